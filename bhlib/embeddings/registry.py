"""The registry of embedding schemes and ``make_embedding``, which builds one for a memory budget.

Model and experiment code never branch on the scheme: they look it up here by name. A budget is a
compression ratio (``V * D / parameters``) or a parameter count; each scheme's closed-form
``budget_hparams`` picks its size hyper-parameter (buckets, ``r``, block size) so that the scheme
uses as much of the budget as it can without exceeding it — the equal-memory comparison of
Yan et al. (CIKM 2021) and of thomasahle/cce's ``make_embedding``.
"""
from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .._checks import check_choice, check_int, check_number
from .base import BudgetError, EmbeddingScheme, bytes_per_parameter
from .binary_hash import BinaryHashEmbedding
from .full import FullEmbedding
from .hash import HashEmbedding
from .multi_hash import MultiHashEmbedding
from .qr import QREmbedding

__all__ = ["EMBEDDINGS", "METHODS", "COMPARED_METHODS", "ABLATION_METHODS", "LESSON_METHODS",
           "SizePlan",
           "plan_embedding", "make_embedding", "BudgetError"]

EMBEDDINGS: dict[str, type[EmbeddingScheme]] = {
    "full": FullEmbedding,
    "hash": HashEmbedding,
    "multi_hash": MultiHashEmbedding,
    "qr": QREmbedding,
    "bh": BinaryHashEmbedding,
}

# Named configurations that experiments and notebooks compare: method -> (scheme, fixed kwargs).
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "full": ("full", {}),
    "hash": ("hash", {}),
    "multi_hash": ("multi_hash", {"num_hashes": 2}),
    "qr": ("qr", {"operation": "mult"}),
    "bh-succession": ("bh", {"strategy": "succession"}),
    "bh-skip": ("bh", {"strategy": "skip"}),
    "bh-shared": ("bh", {"strategy": "succession", "layout": "shared"}),
    # ablations of the reproduction [ours]: fusion apart from indexing, and a top block sized to
    # the ids (README, "Reproducing the paper")
    "bh-product": ("bh", {"strategy": "succession", "fusion": "mult"}),
    "bh-concat": ("bh", {"strategy": "succession", "fusion": "concat"}),
    "bh-mixed": ("bh", {"strategy": "succession", "mixed_radix": True}),
    "qr-add": ("qr", {"operation": "add"}),
}

# The methods of the paper's comparison (every method but the shared-layout ablation), in the
# order tables and figures list them.
COMPARED_METHODS: tuple[str, ...] = ("full", "hash", "multi_hash", "qr", "bh-succession",
                                     "bh-skip")
# The ablations: each changes one thing of a compared method at equal size. bh-product with two
# blocks is Q-R's arithmetic with r = 2**t (and with mixed_radix its very tables); qr-add is Q-R
# with BH's sum; bh-concat gives each block D / K columns; bh-mixed trims the top block's rows.
ABLATION_METHODS: tuple[str, ...] = ("bh-shared", "bh-product", "bh-concat", "bh-mixed",
                                     "qr-add")
# What the lessons and the size table show: the compared methods and the shared-layout pitfall.
LESSON_METHODS: tuple[str, ...] = COMPARED_METHODS + ("bh-shared",)


@dataclass(frozen=True, kw_only=True)
class SizePlan:
    """A scheme's configuration for a budget, with its size, computed without allocating."""

    name: str                      # registry key
    num_embeddings: int            # vocabulary size V
    embedding_dim: int             # output dimension D
    hparams: dict[str, Any] = field(default_factory=dict)  # constructor keyword arguments
    budget: int | None = None      # parameter budget asked for (None: no budget)
    num_parameters: int = 0        # parameters the scheme will allocate
    num_rows: int = 0              # rows of its tables, padding included

    @property
    def achieved_ratio(self) -> float:
        """``V * D / num_parameters``: the compression actually reached."""
        return self.num_embeddings * self.embedding_dim / self.num_parameters

    def memory_bytes(self, optimizer: str | None = None, bytes_per_value: int = 4) -> int:
        """Bytes of parameters (+ optimizer state), as :meth:`EmbeddingScheme.memory_bytes`."""
        return self.num_parameters * bytes_per_parameter(optimizer, bytes_per_value)

    def build(self) -> EmbeddingScheme:
        """Allocate the scheme."""
        return EMBEDDINGS[self.name](self.num_embeddings, self.embedding_dim, **self.hparams)

    def build_for_indices(self) -> EmbeddingScheme:
        """The scheme with the same row indices but one value per row (concat fusion keeps its
        width): for counting collisions without allocating ``embedding_dim`` times the memory.

        Example:
            >>> p = plan_embedding("full", 1000, 64)
            >>> p.build_for_indices().weight.shape, p.build().weight.shape
            (torch.Size([1000, 1]), torch.Size([1000, 64]))
        """
        concat = "concat" in (self.hparams.get("fusion"), self.hparams.get("operation"))
        dim = self.embedding_dim if concat else 1
        return EMBEDDINGS[self.name](self.num_embeddings, dim, **self.hparams)


def _budget(num_embeddings: int, embedding_dim: int, ratio: Any, num_params: Any) -> int | None:
    """The parameter budget ``floor(V * D / ratio)`` (integer-exact), or ``num_params``."""
    if ratio is not None and num_params is not None:
        raise ValueError(f"give ratio or num_params, not both (ratio={ratio!r}, "
                         f"num_params={num_params!r})")
    if num_params is not None:
        return check_int(num_params, "num_params", low=1)
    if ratio is None:
        return None
    value = check_number(ratio, "ratio", low=0, low_open=True)
    if isinstance(ratio, numbers.Integral):
        exact = Fraction(int(ratio))
    else:  # 0.1 means 1/10, not the binary fraction nearest to it; tiny ratios stay exact
        exact = Fraction(value).limit_denominator(10**6) or Fraction(value)
    budget = num_embeddings * embedding_dim * exact.denominator // exact.numerator
    if budget < 1:
        raise BudgetError(f"ratio={ratio!r} leaves V * D / ratio = "
                          f"{num_embeddings * embedding_dim / value:.3g} parameters: not one")
    return budget


def _scheme_name(name: Any) -> str:
    if isinstance(name, str) and name in METHODS and name not in EMBEDDINGS:
        raise ValueError(f"name must be a scheme, one of {list(EMBEDDINGS)}, got {name!r}, which "
                         f"is a method: METHODS[{name!r}] = {METHODS[name]!r}")
    return check_choice(name, "name", EMBEDDINGS)


def _check_kwargs(name: str, scheme: type[EmbeddingScheme], kwargs: dict, budget: Any) -> None:
    """Refuse keyword arguments the scheme does not take, and sizes given with a budget."""
    allowed = [p for p in inspect.signature(scheme.__init__).parameters
               if p not in ("self", "num_embeddings", "embedding_dim")]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"{name}: unexpected keyword argument(s) {unknown}; "
                        f"{scheme.__name__} takes {allowed}")
    given = {k: kwargs[k] for k in scheme.SIZE_HPARAMS if kwargs.get(k) is not None}
    if budget is not None and given:
        raise ValueError(f"{name}: a budget (ratio or num_params) picks "
                         f"{' / '.join(scheme.SIZE_HPARAMS)} itself; got {given} too: give the "
                         "budget or the size, not both")


_SIZE_KWARGS = ("init_std", "sparse", "seed", "field")


def plan_embedding(name: str, num_embeddings: int, embedding_dim: int, *,
                   ratio: float | None = None, num_params: int | None = None,
                   **kwargs: Any) -> SizePlan:
    """Configure scheme ``name`` for a budget and report its size, allocating nothing.

    Args:
        name: a key of :data:`EMBEDDINGS`.
        num_embeddings, embedding_dim: ``V`` and ``D``.
        ratio: target compression ``V * D / parameters`` (e.g. 1000), or
        num_params: a parameter budget. With neither, ``kwargs`` must give the sizes.
        kwargs: fixed constructor arguments (``strategy``, ``num_hashes``, ``operation``...).

    Raises:
        TypeError: a keyword argument the scheme does not take (a typo is never ignored).
        ValueError: a size hyper-parameter (``num_buckets``, ``num_collisions``, ``block_bits``,
            ``num_blocks``) together with a budget.
        BudgetError: the scheme cannot be made that small (e.g. Q-R past ``sqrt(V) / 2``: 2,000
            rows and 500x at most for a million ids); the message says how small it can get.

    Example:
        >>> p = plan_embedding("bh", 1_000_000, 16, ratio=1000, strategy="succession")
        >>> p.hparams["block_bits"], p.num_rows, round(p.achieved_ratio)
        (8, 528, 1894)
        >>> plan_embedding("qr", 1_000_000, 16, ratio=1000)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bhlib.embeddings.base.BudgetError: qr: the smallest Q-R tables for V=1,000,000 have ...
    """
    scheme = EMBEDDINGS[_scheme_name(name)]
    v = check_int(num_embeddings, "num_embeddings", low=1)
    d = check_int(embedding_dim, "embedding_dim", low=1)
    budget = _budget(v, d, ratio, num_params)
    _check_kwargs(name, scheme, kwargs, budget)
    hparams = dict(kwargs)
    if budget is not None:
        sizing = {k: val for k, val in kwargs.items() if k not in _SIZE_KWARGS}
        hparams.update(scheme.budget_hparams(v, d, budget, **sizing))
    shape_kw = {k: val for k, val in hparams.items() if k not in _SIZE_KWARGS}
    rows, row_dim = scheme.weight_shape(v, d, **shape_kw)
    return SizePlan(name=name, num_embeddings=v, embedding_dim=d, hparams=hparams, budget=budget,
                    num_parameters=rows * row_dim, num_rows=rows)


def make_embedding(name: str, num_embeddings: int, embedding_dim: int, *,
                   ratio: float | None = None, num_params: int | None = None,
                   **kwargs: Any) -> EmbeddingScheme:
    """Build scheme ``name`` sized for a compression ``ratio`` or a ``num_params`` budget.

    The returned module's ``compression_ratio`` is the ratio achieved (a scheme moves in steps:
    BH roughly doubles per extra bit per block) and ``plan`` holds the :class:`SizePlan`.

    Example:
        >>> emb = make_embedding("hash", 1_000_000, 16, ratio=100)
        >>> emb.num_buckets, emb.compression_ratio
        (10000, 100.0)
    """
    plan = plan_embedding(name, num_embeddings, embedding_dim, ratio=ratio,
                          num_params=num_params, **kwargs)
    module = plan.build()
    module.plan = plan
    return module


"""The contract every embedding scheme follows: a drop-in replacement for ``nn.Embedding``.

A scheme owns **one** weight tensor of ``rows x row_dim`` (its tables laid end to end, so every
row has one global index) and maps each id to ``K`` rows (:meth:`EmbeddingScheme.indices`), which a
*fusion* combines into one ``embedding_dim`` vector:

* ``sum`` / ``mean``: add (or average) the ``K`` rows (``row_dim = embedding_dim``);
* ``concat``: concatenate them (``row_dim = embedding_dim / K``);
* ``mult``: elementwise product (Q-R's default; ``K = 2``).

**Initialization** (the same rule for every scheme, so that all start with comparable output
scale): every output coordinate starts with standard deviation ``init_std`` (default 0.01). Rows are
drawn from ``N(0, s**2)`` with ``s = init_std / sqrt(K)`` for sum, ``init_std * sqrt(K)`` for mean,
``init_std`` for concat and ``sqrt(init_std)`` for the product of two rows. All rows are zero-mean
(one public Q-R module draws from U(sqrt(1/n), 1), all positive; we do not).

Sizes are known without allocating anything: ``weight_shape(num_embeddings, embedding_dim, **hp)``
is a classmethod, and ``budget_hparams`` picks the size hyper-parameter that fits a parameter
budget, raising :class:`BudgetError` when the scheme cannot get that small.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import as_id_tensor, check_bool, check_choice, check_int, check_number
from .lookup import FUSIONS, fused_lookup

__all__ = ["EmbeddingScheme", "BudgetError", "OPTIMIZER_SLOTS", "FUSIONS", "bytes_per_parameter"]
# float tensors of optimizer state kept per parameter
OPTIMIZER_SLOTS = {None: 0, "sgd": 0, "sgd_momentum": 1, "adagrad": 1, "adam": 2, "sparse_adam": 2}


class BudgetError(ValueError):
    """A scheme cannot meet the requested parameter budget (raised instead of building another)."""


def bytes_per_parameter(optimizer: str | None = "adam", bytes_per_value: int = 4) -> int:
    """Bytes one parameter costs in training: itself plus the optimizer's state slots.

    Example:
        >>> bytes_per_parameter(None), bytes_per_parameter("adagrad"), bytes_per_parameter("adam")
        (4, 8, 12)
    """
    check_choice(optimizer, "optimizer", OPTIMIZER_SLOTS)
    return bytes_per_value * (1 + OPTIMIZER_SLOTS[optimizer])


def row_std(init_std: float, num_lookups: int, fusion: str) -> float:
    """Row standard deviation that gives outputs of standard deviation ``init_std``.

    Example:
        >>> round(row_std(0.01, 4, "sum"), 4)
        0.005
    """
    if fusion == "sum":
        return init_std / math.sqrt(num_lookups)
    if fusion == "mean":
        return init_std * math.sqrt(num_lookups)
    if fusion == "mult":
        return init_std ** (1.0 / num_lookups)
    return init_std


class EmbeddingScheme(nn.Module):
    """Base class: one weight tensor, ``K`` row lookups per id, one fusion.

    Subclasses implement ``weight_shape`` (classmethod), ``budget_hparams`` (classmethod) and
    ``_indices(ids)`` (checked int64 ids -> ``[..., K]`` global rows), and name in
    ``SIZE_HPARAMS`` the constructor arguments a budget picks (:func:`bhlib.plan_embedding`
    refuses them together with a budget).
    """

    SIZE_HPARAMS: tuple[str, ...] = ()

    def __init__(self, num_embeddings: int, embedding_dim: int, *, num_lookups: int,
                 fusion: str, init_std: float = 0.01, sparse: bool = False,
                 shape: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.num_embeddings = check_int(num_embeddings, "num_embeddings", low=1)
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", low=1)
        self.fusion = check_choice(fusion, "fusion", FUSIONS)
        self.init_std = check_number(init_std, "init_std", low=0, low_open=True)
        self.sparse = check_bool(sparse, "sparse")
        self.num_lookups = num_lookups
        rows, row_dim = shape
        self.weight = nn.Parameter(torch.empty(rows, row_dim))  # (R, d)
        self.reset_parameters()

    # ---- sizes -------------------------------------------------------------------------------
    @classmethod
    def weight_shape(cls, num_embeddings: int, embedding_dim: int,
                     **hparams: Any) -> tuple[int, int]:
        """``(rows, row_dim)`` of the weight for these hyper-parameters, computed, not allocated."""
        raise NotImplementedError

    @classmethod
    def parameter_count(cls, num_embeddings: int, embedding_dim: int, **hparams: Any) -> int:
        """Closed-form number of parameters (``rows * row_dim``)."""
        rows, row_dim = cls.weight_shape(num_embeddings, embedding_dim, **hparams)
        return rows * row_dim

    @classmethod
    def budget_hparams(cls, num_embeddings: int, embedding_dim: int, num_params: int,
                       **hparams: Any) -> dict[str, Any]:
        """Hyper-parameters using as much of ``num_params`` as possible without exceeding it."""
        raise NotImplementedError

    def num_parameters(self) -> int:
        """Parameters actually allocated."""
        return sum(p.numel() for p in self.parameters())

    @property
    def num_rows(self) -> int:
        """Rows allocated, all tables together (padding included)."""
        return self.weight.shape[0]

    @property
    def compression_ratio(self) -> float:
        """Full-table parameters over this scheme's: ``num_embeddings * embedding_dim / params``."""
        return self.num_embeddings * self.embedding_dim / self.num_parameters()

    def memory_bytes(self, optimizer: str | None = None) -> int:
        """Bytes of the parameters, plus the optimizer's state for ``"sgd"``, ``"sgd_momentum"``,
        ``"adagrad"``, ``"adam"`` or ``"sparse_adam"`` (step counters ignored)."""
        per_value = bytes_per_parameter(optimizer, bytes_per_value=1)  # 1 + state slots
        return per_value * sum(p.numel() * p.element_size() for p in self.parameters())

    # ---- lookups ----------------------------------------------------------------------------
    def reset_parameters(self) -> None:
        """Draw every row from ``N(0, s**2)``, ``s`` from :func:`row_std`."""
        with torch.no_grad():
            self.weight.normal_(0.0, row_std(self.init_std, self.num_lookups, self.fusion))

    def check_ids(self, ids: Any) -> torch.Tensor:
        """ids as an int64 tensor on the weight's device, checked to lie in
        ``[0, num_embeddings)``."""
        t = as_id_tensor(ids, "ids", high=self.num_embeddings,
                         high_name=f"num_embeddings = {self.num_embeddings}")
        return t.to(self.weight.device)

    def _indices(self, ids: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def indices(self, ids: Any) -> torch.Tensor:
        """Row indices ``[..., K]`` in the global row space of :attr:`weight` (for analysis)."""
        return self._indices(self.check_ids(ids))

    def forward(self, ids: Any) -> torch.Tensor:
        """Embed ids of any shape: ``[...] -> [..., embedding_dim]`` (a scalar id gives ``[D]``,
        like ``nn.Embedding``; no ids give ``[0, D]``)."""
        ids = self.check_ids(ids)
        idx = self._indices(ids)  # (..., K)
        return self.fuse(idx)

    def fuse(self, idx: torch.Tensor) -> torch.Tensor:
        """Look up ``idx`` (``[..., K]``) and combine the ``K`` rows: ``-> [..., embedding_dim]``.

        One lookup is ``F.embedding``; ``K > 1`` go through :func:`~.lookup.fused_lookup`, which
        never holds the ``[..., K, row_dim]`` rows and writes the weight gradient itself (dense,
        or sparse when the scheme is built with ``sparse=True``).
        """
        if idx.shape[-1] == 1:
            return F.embedding(idx.squeeze(-1), self.weight, sparse=self.sparse)  # (..., D)
        return fused_lookup(self.weight, idx, self.fusion, sparse=self.sparse)  # (..., D)

    def extra_repr(self) -> str:
        rows, row_dim = self.weight.shape
        return (f"{self.num_embeddings}, {self.embedding_dim}, rows={rows}, row_dim={row_dim}, "
                f"lookups={self.num_lookups}, fusion={self.fusion}, "
                f"params={self.num_parameters():,}, ratio={self.compression_ratio:.1f}x")


def split_dim(embedding_dim: int, parts: int, what: str) -> int:
    """``embedding_dim / parts`` for concat fusion, or a ``ValueError`` naming the mismatch.

    Example:
        >>> split_dim(16, 2, "tables")
        8
    """
    if embedding_dim % parts:
        raise ValueError(
            f"concat fusion splits embedding_dim={embedding_dim} into {parts} {what}; "
            f"choose an embedding_dim divisible by {parts}"
        )
    return embedding_dim // parts


def budget_rows(num_params: int, row_dim: int, scheme: str) -> int:
    """Whole rows of ``row_dim`` that fit in ``num_params``; :class:`BudgetError` if none does.

    Example:
        >>> budget_rows(100, 16, "hash")
        6
    """
    rows = check_int(num_params, "num_params", low=1) // row_dim
    if rows < 1:
        raise BudgetError(f"{scheme}: a budget of {num_params} parameters holds no row of "
                          f"{row_dim} values")
    return rows

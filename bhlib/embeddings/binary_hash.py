"""Binary Code based Hash Embedding, BH (Yan et al., CIKM 2021, arXiv 2109.02471).

An id (or, with ``hash_inputs=True``, the hash of a raw value) is written as a ``num_bits``-bit
binary code, the bits are cut into blocks (Succession or Skip, :mod:`bhlib.codes`), each block is
read as a small integer and looked up in a small table, and the block vectors are summed. With the
offset layout every id keeps a distinct index tuple, yet the table has only
``sum_j 2**len_j`` rows: about ``m * 2**t`` instead of ``V``.

Special cases worth knowing: one block of ``num_bits`` bits is a full table (``2**num_bits`` rows);
1-bit blocks give ``2 * num_bits`` rows; Succession with ``block_bits=t`` is the base-``2**t`` digit
expansion of the id, a many-way generalization of the quotient-remainder trick.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._checks import as_id_tensor, check_bool, check_choice, check_int
from ..codes import LAYOUTS, MAX_BITS, STRATEGIES, bits_needed, block_lengths
from ..hashing import field_salt, hash_ids, mix64_torch
from ..indices import bh_indices
from .base import BudgetError, EmbeddingScheme, split_dim

__all__ = ["BinaryHashEmbedding", "default_num_bits"]

_FUSIONS = ("sum", "mean", "concat", "mult")


def default_num_bits(num_embeddings: int, hash_inputs: bool = False) -> int:
    """``ceil(log2 V)`` for dense ids; ``2 * ceil(log2 V)`` (at most 63) when raw values are hashed.

    [ours] With hashing, about ``V**2 / 2**(n + 1)`` pairs of distinct values share an ``n``-bit
    code; ``n = 2 * ceil(log2 V)`` keeps that below one half.

    Example:
        >>> default_num_bits(1_000_000), default_num_bits(1_000_000, hash_inputs=True)
        (20, 40)
    """
    n = bits_needed(num_embeddings)
    return min(MAX_BITS, 2 * n) if hash_inputs else n


def _block_spec(num_bits: int, block_bits: int | None, num_blocks: int | None) -> tuple:
    if block_bits is None and num_blocks is None:
        return min(8, num_bits), None  # [ours] default: blocks of at most 8 bits
    return block_bits, num_blocks


class BinaryHashEmbedding(EmbeddingScheme):
    """BH embedding: binarize, cut into blocks, look each block up, fuse (sum by default).

    Args:
        num_embeddings: vocabulary size ``V``. Dense mode (default): ids lie in ``[0, V)``.
            Hash mode: ``V`` is the expected number of distinct values, used for the default
            ``num_bits``; any int64 id is accepted.
        embedding_dim: output dimension ``D``.
        num_bits: code length ``n``; default :func:`default_num_bits`. Dense ids need
            ``2**n >= V``.
        strategy: ``"succession"`` or ``"skip"``.
        block_bits: bits per block (the paper's ``t`` for Succession); default ``min(8, n)``.
        num_blocks: number of blocks (the paper's interval ``t`` for Skip); exclusive with
            ``block_bits``.
        fusion: ``"sum"`` (the paper), ``"mean"``, ``"concat"`` (blocks of ``D / K`` columns) or
            ``"mult"`` (elementwise product, Q-R's default: an ablation [ours]).
        layout: ``"offset"`` (default) or ``"shared"`` (teaching ablation, see :mod:`bhlib.codes`).
        mixed_radix: [ours, not in the paper] Succession on dense ids only: the top block (the
            highest bits) gets ``ceil(V / 2**b)`` rows, ``b`` the bits below it, the values ids
            in ``[0, V)`` can reach, instead of ``2**len``; no row is unreachable. The digits
            are unchanged (the last divisor of a mixed-radix expansion); only the table shrinks.
        hash_inputs: hash ids with :func:`bhlib.hash_ids` (salted by ``seed`` and ``field``) and
            keep the low ``num_bits`` bits, instead of binarizing them directly.
        seed, field: the hash's salt in hash mode.
        init_std, sparse: as for every scheme.

    Example:
        >>> emb = BinaryHashEmbedding(1_000_000, 16, strategy="succession", block_bits=8)
        >>> emb.num_rows, round(emb.compression_ratio)  # 20 bits: blocks of 8, 8, 4 bits
        (528, 1894)
        >>> emb(torch.tensor([[0, 999_999]])).shape
        torch.Size([1, 2, 16])
        >>> emb.indices(torch.tensor([0x12345])).tolist()  # 0x45, 0x23 + 256, 0x1 + 512
        [[69, 291, 513]]
    """


    SIZE_HPARAMS = ("block_bits", "num_blocks")

    def __init__(self, num_embeddings: int, embedding_dim: int, *, num_bits: int | None = None,
                 strategy: str = "succession", block_bits: int | None = None,
                 num_blocks: int | None = None, fusion: str = "sum", layout: str = "offset",
                 mixed_radix: bool = False, hash_inputs: bool = False, seed: int = 0,
                 field: str | None = None, init_std: float = 0.01,
                 sparse: bool = False) -> None:
        hp = self.resolve(num_embeddings, num_bits=num_bits, strategy=strategy,
                          block_bits=block_bits, num_blocks=num_blocks, layout=layout,
                          mixed_radix=mixed_radix, hash_inputs=hash_inputs)
        shape = self.weight_shape(num_embeddings, embedding_dim, fusion=fusion, **hp)
        self.num_bits, self.strategy = hp["num_bits"], strategy
        self.block_bits, self.num_blocks = hp["block_bits"], hp["num_blocks"]
        self.layout, self.hash_inputs = layout, hp["hash_inputs"]
        self.mixed_radix = hp["mixed_radix"]
        self._salt = field_salt(seed, field)  # checks seed and field
        self.seed, self.field = int(seed), field
        self.block_lengths = block_lengths(self.num_bits, strategy=strategy,
                                           block_bits=self.block_bits, num_blocks=self.num_blocks)
        super().__init__(num_embeddings, embedding_dim, num_lookups=len(self.block_lengths),
                         fusion=fusion, init_std=init_std, sparse=sparse, shape=shape)

    @staticmethod
    def resolve(num_embeddings: int, *, num_bits: int | None = None,
                strategy: str = "succession", block_bits: int | None = None,
                num_blocks: int | None = None, layout: str = "offset",
                mixed_radix: bool = False, hash_inputs: bool = False,
                **_: Any) -> dict[str, Any]:
        """Fill in the defaults and check the configuration (no allocation)."""
        v = check_int(num_embeddings, "num_embeddings", low=1)
        check_choice(strategy, "strategy", STRATEGIES)
        check_choice(layout, "layout", LAYOUTS)
        hash_inputs = check_bool(hash_inputs, "hash_inputs")
        mixed_radix = check_bool(mixed_radix, "mixed_radix")
        if mixed_radix and (strategy, layout, hash_inputs) != ("succession", "offset", False):
            raise ValueError(f"mixed_radix=True sizes the top Succession block to the dense ids "
                             f"it reaches: it needs strategy='succession', layout='offset' and "
                             f"hash_inputs=False, got strategy={strategy!r}, layout={layout!r}, "
                             f"hash_inputs={hash_inputs!r}")
        if num_bits is None:
            num_bits = default_num_bits(v, hash_inputs)
        num_bits = check_int(num_bits, "num_bits", low=1, high=MAX_BITS)
        if not hash_inputs and (1 << num_bits) < v:
            raise ValueError(
                f"num_bits={num_bits} codes only 2**{num_bits} = {1 << num_bits:,} ids but "
                f"num_embeddings={v:,}; use num_bits >= {bits_needed(v)} or hash_inputs=True"
            )
        block_bits, num_blocks = _block_spec(num_bits, block_bits, num_blocks)
        block_lengths(num_bits, strategy=strategy, block_bits=block_bits, num_blocks=num_blocks)
        return {"num_bits": num_bits, "strategy": strategy, "block_bits": block_bits,
                "num_blocks": num_blocks, "layout": layout, "mixed_radix": mixed_radix,
                "hash_inputs": hash_inputs}

    @classmethod
    def weight_shape(cls, num_embeddings: int, embedding_dim: int, *, fusion: str = "sum",
                     **hparams: Any) -> tuple[int, int]:
        hp = cls.resolve(num_embeddings, **hparams)
        check_int(embedding_dim, "embedding_dim", low=1)
        check_choice(fusion, "fusion", _FUSIONS)
        lengths = block_lengths(hp["num_bits"], strategy=hp["strategy"],
                                block_bits=hp["block_bits"], num_blocks=hp["num_blocks"])
        rows = sum(1 << n for n in lengths) if hp["layout"] == "offset" else 1 << max(lengths)
        if hp["mixed_radix"]:  # the top block: the values of id >> (bits below it), ids < V
            below = hp["num_bits"] - lengths[-1]
            rows += -(-num_embeddings // (1 << below)) - (1 << lengths[-1])
        dim = (split_dim(embedding_dim, len(lengths), "blocks") if fusion == "concat"
               else embedding_dim)
        return rows, dim

    @classmethod
    def budget_hparams(cls, num_embeddings: int, embedding_dim: int, num_params: int, *,
                       strategy: str = "succession", fusion: str = "sum", **hparams: Any
                       ) -> dict[str, Any]:
        """Pick the block size (Succession: ``block_bits``; Skip: ``num_blocks``) that uses the
        most of ``num_params`` without exceeding it."""
        if hparams.get("block_bits") is not None or hparams.get("num_blocks") is not None:
            raise ValueError("a budget picks block_bits / num_blocks itself; do not pass them too")
        check_choice(fusion, "fusion", _FUSIONS)  # before the search, which skips bad sizes
        base = cls.resolve(num_embeddings, strategy=strategy, **hparams)
        key = "block_bits" if strategy == "succession" else "num_blocks"
        best, smallest = None, None
        for size in range(1, base["num_bits"] + 1):
            hp = {**base, "block_bits": None, "num_blocks": None, key: size}
            try:
                count = cls.parameter_count(num_embeddings, embedding_dim, fusion=fusion, **hp)
            except ValueError:  # concat with an embedding_dim the block count does not divide
                continue
            smallest = count if smallest is None else min(smallest, count)
            if count <= num_params and (best is None or count > best[0]):
                best = (count, hp)
        if best is None:
            raise BudgetError(
                f"bh: the smallest {strategy} configuration for V={num_embeddings:,} and "
                f"{base['num_bits']} bits has {smallest:,} parameters; the budget is "
                f"{num_params:,}" if smallest else "bh: no block size fits this embedding_dim"
            )
        return {**best[1], "fusion": fusion}

    def _hash(self, ids: torch.Tensor) -> torch.Tensor:
        return mix64_torch(ids, self._salt) & ((1 << self.num_bits) - 1)

    def check_ids(self, ids: Any) -> torch.Tensor:
        """Dense mode: ids in ``[0, num_embeddings)``. Hash mode: any int64 id (strings and other
        raw values go through :meth:`forward_values`)."""
        if not self.hash_inputs:
            return super().check_ids(ids)
        hint = "; a hash-mode BH embeds strings and other raw values with forward_values(values)"
        return as_id_tensor(ids, "ids", low=None, hint=hint).to(self.weight.device)

    def _indices(self, ids: torch.Tensor) -> torch.Tensor:
        # ids come from check_ids: dense ids < num_embeddings <= 2**num_bits, or hash codes masked
        # to num_bits bits; bh_indices need not check them a second time
        codes = self._hash(ids) if self.hash_inputs else ids
        return bh_indices(codes, num_bits=self.num_bits, strategy=self.strategy,
                          block_bits=self.block_bits, num_blocks=self.num_blocks,
                          layout=self.layout, validate=False)  # (..., K)

    def forward_values(self, values: Any) -> torch.Tensor:
        """Hash mode: embed raw values (ints, strings or bytes) via :func:`bhlib.hash_ids`.

        For integer values this equals ``forward(torch.tensor(values))``.
        """
        if not self.hash_inputs:
            raise ValueError("forward_values needs hash_inputs=True; "
                             "in dense mode call forward(ids)")
        h = torch.from_numpy(np.asarray(hash_ids(values, seed=self.seed, field=self.field)))
        codes = h.to(self.weight.device) & ((1 << self.num_bits) - 1)
        return self.fuse(bh_indices(codes, num_bits=self.num_bits, strategy=self.strategy,
                                    block_bits=self.block_bits, num_blocks=self.num_blocks,
                                    layout=self.layout))

    def extra_repr(self) -> str:
        spec = (f"block_bits={self.block_bits}" if self.block_bits is not None
                else f"num_blocks={self.num_blocks}")
        return (f"{super().extra_repr()}, num_bits={self.num_bits}, strategy={self.strategy}, "
                f"{spec}, blocks={self.block_lengths}, layout={self.layout}, "
                f"mixed_radix={self.mixed_radix}, hash_inputs={self.hash_inputs}")

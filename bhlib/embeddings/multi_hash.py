"""Multi-hash embedding: ``k`` independent hashes, each into its own table, rows fused.

The Bloom-embedding / hash-embedding family (Serrà & Karatzoglou, RecSys 2017; Svenstrup et al.,
NeurIPS 2017, without their learned importance weights): two ids collide completely only if they
collide under all ``k`` hashes, which is far rarer than a single hash-mod collision at equal memory.
Table ``i`` holds global rows ``[i * num_buckets, (i + 1) * num_buckets)``.
"""
from __future__ import annotations

from typing import Any

import torch

from .._checks import check_choice, check_int
from ..hashing import field_salt, mix64_torch
from .base import EmbeddingScheme, budget_rows, split_dim

__all__ = ["MultiHashEmbedding"]

_FUSIONS = ("sum", "mean", "concat")


class MultiHashEmbedding(EmbeddingScheme):
    """``k`` hash-mod lookups into ``k`` tables of ``num_buckets`` rows, fused (sum by default).

    Args:
        num_embeddings: vocabulary size ``V``; ids must lie in ``[0, V)``.
        embedding_dim: output dimension ``D``.
        num_buckets: rows of *each* table (``num_hashes * num_buckets`` rows in all).
        num_hashes: number of hash functions / tables ``k`` (>= 1).
        fusion: ``"sum"``, ``"mean"`` or ``"concat"`` (each table then has ``D / k`` columns).
        seed: picks the hash family.
        init_std, sparse: as for every scheme.

    Example:
        >>> emb = MultiHashEmbedding(1000, 8, num_buckets=10, num_hashes=2)
        >>> emb(torch.arange(5)).shape, emb.num_rows
        (torch.Size([5, 8]), 20)
        >>> emb.indices(torch.tensor([7])).shape
        torch.Size([1, 2])
    """


    SIZE_HPARAMS = ("num_buckets",)

    def __init__(self, num_embeddings: int, embedding_dim: int, *, num_buckets: int,
                 num_hashes: int = 2, fusion: str = "sum", seed: int = 0,
                 init_std: float = 0.01, sparse: bool = False) -> None:
        shape = self.weight_shape(num_embeddings, embedding_dim, num_buckets=num_buckets,
                                  num_hashes=num_hashes, fusion=fusion)
        self.num_buckets, self.num_hashes = int(num_buckets), int(num_hashes)
        self._salts = [field_salt(seed, "multi_hash", i) for i in range(self.num_hashes)]
        self.seed = int(seed)
        super().__init__(num_embeddings, embedding_dim, num_lookups=num_hashes, fusion=fusion,
                         init_std=init_std, sparse=sparse, shape=shape)

    @classmethod
    def weight_shape(cls, num_embeddings: int, embedding_dim: int, *, num_buckets: int,
                     num_hashes: int = 2, fusion: str = "sum", **_: Any) -> tuple[int, int]:
        check_int(num_embeddings, "num_embeddings", low=1)
        k = check_int(num_hashes, "num_hashes", low=1)
        check_choice(fusion, "fusion", _FUSIONS)
        dim = split_dim(embedding_dim, k, "tables") if fusion == "concat" else embedding_dim
        return check_int(num_buckets, "num_buckets", low=1) * k, dim

    @classmethod
    def budget_hparams(cls, num_embeddings: int, embedding_dim: int, num_params: int, *,
                       num_hashes: int = 2, fusion: str = "sum", **_: Any) -> dict[str, Any]:
        _, dim = cls.weight_shape(num_embeddings, embedding_dim, num_buckets=1,
                                  num_hashes=num_hashes, fusion=fusion)
        per_table = budget_rows(num_params, dim * num_hashes, "multi_hash")
        return {"num_buckets": per_table, "num_hashes": num_hashes, "fusion": fusion}

    def _indices(self, ids: torch.Tensor) -> torch.Tensor:
        cols = [torch.remainder(mix64_torch(ids, s), self.num_buckets) + i * self.num_buckets
                for i, s in enumerate(self._salts)]
        return torch.stack(cols, dim=-1)  # (..., k)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, num_buckets={self.num_buckets}, "
                f"num_hashes={self.num_hashes}, seed={self.seed}")

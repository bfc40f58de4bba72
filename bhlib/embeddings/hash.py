"""Hashing trick: ``row = H(id) mod num_buckets`` (Weinberger et al., ICML 2009).

One table of ``num_buckets`` rows; ids whose hashes agree modulo ``num_buckets`` share a row (and
its gradient). ``H`` is the salted SplitMix64 finalizer of :mod:`bhlib.hashing`, so the buckets
do not follow the order in which a dataset numbers its ids.
"""
from __future__ import annotations

from typing import Any

import torch

from .._checks import check_int
from ..hashing import field_salt, mix64_torch
from .base import EmbeddingScheme, budget_rows

__all__ = ["HashEmbedding"]


class HashEmbedding(EmbeddingScheme):
    """Hash-mod embedding: ``weight[H_seed(id) % num_buckets]``.

    Args:
        num_embeddings: vocabulary size ``V``; ids must lie in ``[0, V)``.
        embedding_dim: output dimension ``D``.
        num_buckets: rows of the table ``M`` (compression ratio ``V / M``).
        seed: picks the hash function.
        init_std, sparse: as for every scheme (see :mod:`bhlib.embeddings.base`).

    Example:
        >>> emb = HashEmbedding(1000, 8, num_buckets=10)
        >>> emb(torch.arange(5)).shape
        torch.Size([5, 8])
        >>> emb.num_rows, emb.compression_ratio
        (10, 100.0)
    """


    SIZE_HPARAMS = ("num_buckets",)

    def __init__(self, num_embeddings: int, embedding_dim: int, *, num_buckets: int,
                 seed: int = 0, init_std: float = 0.01, sparse: bool = False) -> None:
        shape = self.weight_shape(num_embeddings, embedding_dim, num_buckets=num_buckets)
        self.num_buckets = int(num_buckets)
        self.seed = int(seed)
        self._salt = field_salt(seed, "hash")
        super().__init__(num_embeddings, embedding_dim, num_lookups=1, fusion="sum",
                         init_std=init_std, sparse=sparse, shape=shape)

    @classmethod
    def weight_shape(cls, num_embeddings: int, embedding_dim: int, *, num_buckets: int,
                     **_: Any) -> tuple[int, int]:
        check_int(num_embeddings, "num_embeddings", low=1)
        return (check_int(num_buckets, "num_buckets", low=1),
                check_int(embedding_dim, "embedding_dim", low=1))

    @classmethod
    def budget_hparams(cls, num_embeddings: int, embedding_dim: int, num_params: int,
                       **hparams: Any) -> dict[str, Any]:
        return {"num_buckets": budget_rows(num_params, embedding_dim, "hash")}

    def _indices(self, ids: torch.Tensor) -> torch.Tensor:
        h = mix64_torch(ids, self._salt)  # (...) 63-bit hash IDs
        return torch.remainder(h, self.num_buckets).unsqueeze(-1)  # (..., 1)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, num_buckets={self.num_buckets}, seed={self.seed}"

"""Full embedding: one row per id, the uncompressed reference (``nn.Embedding``)."""
from __future__ import annotations

from typing import Any

import torch

from .._checks import check_int
from .base import BudgetError, EmbeddingScheme

__all__ = ["FullEmbedding"]


class FullEmbedding(EmbeddingScheme):
    """One row per id: ``num_embeddings x embedding_dim`` parameters, compression ratio 1.

    Args:
        num_embeddings: vocabulary size ``V``; ids must lie in ``[0, V)``.
        embedding_dim: output dimension ``D``.
        init_std: standard deviation of the initial rows.
        sparse: produce sparse gradients (for ``torch.optim.SparseAdam``).

    Example:
        >>> emb = FullEmbedding(10, 4)
        >>> emb(torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 4])
        >>> emb.num_parameters()
        40
    """


    def __init__(self, num_embeddings: int, embedding_dim: int, *, init_std: float = 0.01,
                 sparse: bool = False) -> None:
        super().__init__(num_embeddings, embedding_dim, num_lookups=1, fusion="sum",
                         init_std=init_std, sparse=sparse,
                         shape=self.weight_shape(num_embeddings, embedding_dim))

    @classmethod
    def weight_shape(cls, num_embeddings: int, embedding_dim: int,
                     **hparams: Any) -> tuple[int, int]:
        if hparams:
            raise TypeError(f"FullEmbedding takes no size hyper-parameters, got {sorted(hparams)}")
        return (check_int(num_embeddings, "num_embeddings", low=1),
                check_int(embedding_dim, "embedding_dim", low=1))

    @classmethod
    def budget_hparams(cls, num_embeddings: int, embedding_dim: int, num_params: int,
                       **hparams: Any) -> dict[str, Any]:
        need = cls.parameter_count(num_embeddings, embedding_dim)
        if num_params < need:
            raise BudgetError(
                f"full embedding always has num_embeddings * embedding_dim = {need:,} parameters; "
                f"it cannot fit a budget of {num_params:,} (compression ratio "
                f"{need / num_params:.3g}); only ratio <= 1 is reachable"
            )
        return {}

    def _indices(self, ids: torch.Tensor) -> torch.Tensor:
        return ids.unsqueeze(-1)  # (..., 1)

"""Quotient-remainder embedding (Shi et al., KDD 2020, arXiv 1909.02107).

Each id ``x`` gets two rows: ``q = x // r`` in a quotient table of ``ceil(V / r)`` rows and
``x % r`` in a remainder table of ``r`` rows (``r = num_collisions``), combined by elementwise
product (default), sum or concatenation. The pair ``(q, x % r)`` is unique per id. Integer
division only: one public module divides in floating point and gets quotients ``>= 2**23`` wrong
(id 36,000,003 with ``r = 4`` gives 9,000,001). Sized with ``ceil``, never ``floor``.
The smallest Q-R table, near ``r = sqrt(V)``, has about ``2 * sqrt(V)`` rows: Q-R cannot compress
much past ``sqrt(V) / 2``.
"""
from __future__ import annotations

from math import isqrt
from typing import Any

import torch

from .._checks import check_choice, check_int
from .base import BudgetError, EmbeddingScheme, split_dim

__all__ = ["QREmbedding", "qr_rows"]

_OPERATIONS = {"mult": "mult", "add": "sum", "concat": "concat"}


def qr_rows(num_embeddings: int, num_collisions: int) -> int:
    """Rows of both Q-R tables: ``ceil(V / r) + r``.

    Example:
        >>> qr_rows(10, 4)
        7
    """
    return -(-num_embeddings // num_collisions) + num_collisions


class QREmbedding(EmbeddingScheme):
    """Quotient-remainder trick: rows ``[x // r, ceil(V / r) + x % r]``, fused by ``operation``.

    Args:
        num_embeddings: vocabulary size ``V``; ids must lie in ``[0, V)``.
        embedding_dim: output dimension ``D``.
        num_collisions: ``r``, the remainder table size (ids per quotient row).
        operation: ``"mult"`` (default), ``"add"`` or ``"concat"`` (tables of ``D / 2`` columns).
        init_std, sparse: as for every scheme.

    Example:
        >>> emb = QREmbedding(10, 4, num_collisions=4)
        >>> emb.indices(torch.tensor([0, 5, 9])).tolist()
        [[0, 3], [1, 4], [2, 4]]
        >>> emb.num_rows
        7
    """


    SIZE_HPARAMS = ("num_collisions",)

    def __init__(self, num_embeddings: int, embedding_dim: int, *, num_collisions: int,
                 operation: str = "mult", init_std: float = 0.01, sparse: bool = False) -> None:
        shape = self.weight_shape(num_embeddings, embedding_dim, num_collisions=num_collisions,
                                  operation=operation)
        self.num_collisions = int(num_collisions)
        self.operation = operation
        self.num_quotients = -(-int(num_embeddings) // self.num_collisions)
        super().__init__(num_embeddings, embedding_dim, num_lookups=2,
                         fusion=_OPERATIONS[operation], init_std=init_std, sparse=sparse,
                         shape=shape)

    @classmethod
    def weight_shape(cls, num_embeddings: int, embedding_dim: int, *, num_collisions: int,
                     operation: str = "mult", **_: Any) -> tuple[int, int]:
        v = check_int(num_embeddings, "num_embeddings", low=1)
        r = check_int(num_collisions, "num_collisions", low=1)
        check_choice(operation, "operation", tuple(_OPERATIONS))
        check_int(embedding_dim, "embedding_dim", low=1)
        dim = split_dim(embedding_dim, 2, "tables") if operation == "concat" else embedding_dim
        return qr_rows(v, r), dim

    @classmethod
    def budget_hparams(cls, num_embeddings: int, embedding_dim: int, num_params: int, *,
                       operation: str = "mult", **_: Any) -> dict[str, Any]:
        v = check_int(num_embeddings, "num_embeddings", low=1)
        _, dim = cls.weight_shape(v, embedding_dim, num_collisions=1, operation=operation)
        budget = check_int(num_params, "num_params", low=1) // dim
        s = isqrt(v)
        smallest = min(qr_rows(v, r) for r in range(max(1, s - 2), s + 3))
        if budget < smallest:
            raise BudgetError(
                f"qr: the smallest Q-R tables for V={v:,} have {smallest:,} rows (r near sqrt(V)), "
                f"compression ratio {v * embedding_dim / (smallest * dim):.1f}x at most; a budget "
                f"of {num_params:,} parameters allows {budget:,} rows"
            )
        # the smallest r that fits: the largest quotient table, the fewest ids per quotient row
        r = max(1, (budget - isqrt(max(0, budget * budget - 4 * v))) // 2 - 2)
        while qr_rows(v, r) > budget:
            r += 1
        return {"num_collisions": r, "operation": operation}

    def _indices(self, ids: torch.Tensor) -> torch.Tensor:
        q = torch.div(ids, self.num_collisions, rounding_mode="floor")  # integer division
        rem = torch.remainder(ids, self.num_collisions) + self.num_quotients
        return torch.stack([q, rem], dim=-1)  # (..., 2)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, num_collisions={self.num_collisions}, "
                f"quotient_rows={self.num_quotients}, operation={self.operation}")

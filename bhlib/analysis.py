"""Collision and uniqueness reports: which ids a scheme keeps apart, and which share rows.

BH's claim (Yan et al., CIKM 2021) is that, unlike hash-mod, it keeps every id distinct: the index
tuple ``(k_0 .. k_{m-1})`` determines the id. That is a statement about *tuples*. Whether the
*fused vectors* are distinct is another question: with sum fusion the vector depends only on the
multiset of rows, so a layout in which blocks share one table confuses ids whose block values are
permutations of each other. :func:`collision_report` counts both, plus row sharing (which every
compressed scheme has, and through which ids share gradient).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["CollisionReport", "collision_report"]


@dataclass(frozen=True)
class CollisionReport:
    """Counts over a set of distinct ids (see :func:`collision_report`)."""

    num_ids: int                # distinct ids analysed
    num_rows: int               # rows the scheme allocates
    rows_used: int              # rows at least one of the ids reads
    lookups_per_id: int         # K, rows read per id
    ids_sharing_tuple: int      # ids whose whole index tuple equals another id's
    ids_sharing_vector: int     # ids whose fused vector equals another's by construction
    ids_sharing_a_row: int      # ids that read at least one row another id also reads
    max_ids_per_row: int        # the most ids reading one row

    def as_dict(self) -> dict[str, int]:
        """A plain dict (one row of a pandas DataFrame)."""
        return asdict(self)

    @property
    def unique_tuples(self) -> bool:
        """True when every id has its own index tuple."""
        return self.ids_sharing_tuple == 0


def _ids_in_duplicate_rows(a: np.ndarray) -> int:
    """Rows of the 2-D array ``a`` that occur more than once (all copies counted)."""
    if len(a) == 0:
        return 0
    order = np.lexsort(a.T[::-1])
    s = a[order]
    same_as_next = np.all(s[1:] == s[:-1], axis=1)  # (N-1,)
    dup = np.zeros(len(s), dtype=bool)
    dup[1:] |= same_as_next
    dup[:-1] |= same_as_next
    return int(dup.sum())


def collision_report(scheme: Any, ids: Any, *, batch_size: int = 1 << 20) -> CollisionReport:
    """Count tuple, vector and row collisions of ``scheme`` over the distinct ``ids``.

    ``ids_sharing_vector`` compares the *multiset* of rows for sum / mean fusion (order is lost) and
    the ordered tuple for concat and product (Q-R), so it equals ``ids_sharing_tuple`` except for
    layouts in which blocks share a table. Indices are computed in batches without gradients.

    Args:
        scheme: any registry scheme (it needs ``indices``, ``num_rows`` and ``fusion``).
        ids: distinct ids (a tensor, array or list); duplicates raise ``ValueError``.

    Example:
        >>> from bhlib import BinaryHashEmbedding
        >>> bh = BinaryHashEmbedding(16, 4, num_bits=4, block_bits=2, layout="shared")
        >>> r = collision_report(bh, range(16))
        >>> r.ids_sharing_tuple, r.ids_sharing_vector  # 1 and 4 read rows {1, 0} and {0, 1}
        (0, 12)
    """
    arr = np.asarray(ids.cpu().numpy() if isinstance(ids, torch.Tensor) else list(ids)
                     if not isinstance(ids, np.ndarray) else ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ids must hold integers, got dtype {arr.dtype}")
    if len(np.unique(arr)) != len(arr):
        raise ValueError(f"ids must be distinct ({len(arr) - len(np.unique(arr))} repeats); "
                         "pass np.unique(ids)")
    with torch.no_grad():
        parts = [scheme.indices(torch.from_numpy(arr[i:i + batch_size].astype(np.int64))).cpu()
                 .numpy() for i in range(0, len(arr), batch_size)]
    k = getattr(scheme, "num_lookups", 1)
    idx = np.concatenate(parts) if parts else np.zeros((0, k), dtype=np.int64)  # (N, K)
    tuples = _ids_in_duplicate_rows(idx)
    vectors = _ids_in_duplicate_rows(np.sort(idx, axis=1)) if scheme.fusion in ("sum", "mean") \
        else tuples
    # row sharing: distinct ids per row (an id reading one row twice counts once)
    s = np.sort(idx, axis=1)  # (N, K)
    first = np.ones_like(s, dtype=bool)
    first[:, 1:] = s[:, 1:] != s[:, :-1]
    counts = np.bincount(s[first], minlength=int(scheme.num_rows))  # (R,)
    ids_sharing = int(((counts[s] >= 2) & first).any(axis=1).sum())
    return CollisionReport(
        num_ids=len(arr), num_rows=int(scheme.num_rows), rows_used=int(np.count_nonzero(counts)),
        lookups_per_id=int(idx.shape[1]), ids_sharing_tuple=tuples, ids_sharing_vector=vectors,
        ids_sharing_a_row=ids_sharing, max_ids_per_row=int(counts.max()) if counts.size else 0,
    )

"""The straightforward formulation of BH index generation: the "before" of the benchmarks.

This is how :func:`bhlib.bh_indices` computed indices before issue 5 (kept here, not in the
library, as the baseline that the optimized version is measured against):

* Succession: one broadcast ``(ids[..., None] >> shifts) & masks`` over ``(..., K)``;
* Skip: a loop over bit ranks, each OR-ing one bit of every block into place;
* then ``+ offsets``; every op allocates a fresh ``(..., K)`` int64 tensor.

Broadcasting over a last dimension of ``K = 2..4`` defeats vectorization, and each fresh
multi-MiB tensor costs page faults, so this runs 5-50x slower than the library version.
"""
from __future__ import annotations

import torch

from bhlib import block_partition
from bhlib._checks import as_id_tensor

__all__ = ["naive_bh_indices"]


def naive_bh_indices(ids: torch.Tensor, *, num_bits: int, strategy: str,
                     block_bits: int | None = None, num_blocks: int | None = None) -> torch.Tensor:
    """BH indices (offset layout) with plain broadcast ops, as bhlib had it before issue 5.

    Example:
        >>> naive_bh_indices(torch.tensor([0b1101_0110]), num_bits=8, strategy="skip",
        ...                  num_blocks=2).tolist()
        [[14, 25]]
    """
    blocks = block_partition(num_bits, strategy=strategy, block_bits=block_bits,
                             num_blocks=num_blocks)
    offsets = [0]
    for b in blocks[:-1]:
        offsets.append(offsets[-1] + (1 << len(b)))
    x = as_id_tensor(ids, high=1 << num_bits).unsqueeze(-1)  # (..., 1)
    if strategy == "succession":
        shifts = torch.tensor([b[0] for b in blocks])
        masks = torch.tensor([(1 << len(b)) - 1 for b in blocks])
        out = (x >> shifts) & masks  # (..., K)
    else:
        m = len(blocks)
        out = torch.zeros(x.shape[:-1] + (m,), dtype=torch.int64)  # (..., K)
        for r in range(max(len(b) for b in blocks)):
            shifts = torch.tensor([r * m + j if r * m + j < num_bits else 0 for j in range(m)])
            valid = torch.tensor([1 if r * m + j < num_bits else 0 for j in range(m)])
            out |= ((x >> shifts) & valid) << r
    return out + torch.tensor(offsets)

"""The fused multi-lookup: ``K`` rows per id combined into one vector, with a hand-written backward.

Every scheme with ``K > 1`` lookups per id (BH's blocks, Q-R's two tables, multi-hash's ``k``
hashes) embeds through :func:`fused_lookup`. Written with autograd's building blocks
(``F.embedding`` then a sum over the ``K`` axis), a batch of ``N`` ids would hold an
``[N, K, D]`` tensor of rows and its gradient, and torch's generic embedding backward would sort
the ``N * K`` indices each step. Here:

* **forward** gathers and fuses the ``K`` rows into ``[N, D]`` without an ``[N, K, D]`` tensor
  (``embedding_bag`` for sum and mean; one ``index_select`` per block for the product; concat's
  output *is* its ``K`` rows side by side, so it is one ``index_select``);
* **backward** writes the weight gradient directly: for sum, the output gradient added into each
  block's rows (one ``index_add_`` per block); mean scales it by ``1 / K``; concat adds each
  block's slice of it; the product adds it times the other blocks' rows (gathered again rather than
  kept from the forward). With ``sparse=True`` the gradient is a sparse COO tensor of ``N * K``
  rows (uncoalesced, as ``F.embedding(..., sparse=True)`` gives), for ``torch.optim.SparseAdam``.

Tested against the autograd formulation (``tests/reference.py``) for every scheme and fusion, and
with ``torch.autograd.gradcheck`` in float64. Double backward is not supported.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from .._checks import check_bool, check_choice

__all__ = ["fused_lookup", "FUSIONS"]

FUSIONS = ("sum", "mean", "concat", "mult")


def _product(weight: torch.Tensor, idx: torch.Tensor, skip: int = -1) -> torch.Tensor | None:
    """``prod_j weight[idx[:, j]]`` over the blocks ``j != skip`` (``[N, d]``; None: no block)."""
    out = None
    for j in range(idx.shape[1]):
        if j == skip:
            continue
        rows = weight.index_select(0, idx[:, j])  # (N, d)
        out = rows if out is None else out.mul_(rows)
    return out


class _FusedLookup(torch.autograd.Function):
    """``weight`` (``[R, d]``), ``idx`` (``[N, K]`` int64) -> fused rows ``[N, D]``."""

    @staticmethod
    def forward(ctx, weight, idx, fusion, sparse):
        # the product's backward reads the rows again; the others need only the indices
        ctx.save_for_backward(idx, weight if fusion == "mult" else None)
        ctx.fusion, ctx.sparse = fusion, sparse
        ctx.table = (weight.shape, weight.dtype, weight.device)
        n, k = idx.shape
        if fusion in ("sum", "mean"):
            return F.embedding_bag(idx, weight, mode=fusion)  # (N, D)
        if fusion == "concat":
            return weight.index_select(0, idx.reshape(-1)).view(n, k * weight.shape[1])
        return _product(weight, idx)  # mult: (N, D)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):  # grad: (N, D)
        idx, weight = ctx.saved_tensors
        shape, dtype, device = ctx.table
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        n, k = idx.shape
        grad = grad.contiguous()
        if ctx.fusion in ("sum", "mean"):
            scale = 1.0 if ctx.fusion == "sum" else 1.0 / k
            parts = [grad * scale if scale != 1.0 else grad] * k  # block j's rows get it all
        elif ctx.fusion == "concat":
            parts = list(grad.view(n, k, -1).unbind(1))  # block j gets columns j*d..(j+1)*d
        else:  # mult: d out / d row_j = product of the other rows
            parts = [grad * (_product(weight, idx, skip=j) if k > 1 else 1.0) for j in range(k)]
        if ctx.sparse:  # values in the order of idx.reshape(-1): id by id, block by block
            values = (grad.view(n * k, -1) if ctx.fusion == "concat"  # already (N, K, d)
                      else torch.stack(parts, dim=1).reshape(n * k, shape[1]))  # (N*K, d)
            # built from in-range indices: torch's invariant check would only cost time
            grad_weight = torch.sparse_coo_tensor(idx.reshape(1, -1), values, shape,
                                                  check_invariants=False)
            return grad_weight, None, None, None
        grad_weight = torch.zeros(shape, dtype=dtype, device=device)  # (R, d)
        for j, part in enumerate(parts):
            grad_weight.index_add_(0, idx[:, j], part)
        return grad_weight, None, None, None


def fused_lookup(weight: torch.Tensor, idx: torch.Tensor, fusion: str = "sum", *,
                 sparse: bool = False) -> torch.Tensor:
    """Look up ``K`` rows of ``weight`` per id and fuse them: ``idx [..., K] -> [..., D]``.

    Args:
        weight: ``[R, d]`` table (all of a scheme's tables laid end to end).
        idx: ``[..., K]`` int64 row indices in ``[0, R)`` (a scheme's ``indices``; not checked
            here: the schemes check the ids they come from).
        fusion: ``"sum"``, ``"mean"``, ``"concat"`` (``D = K * d``) or ``"mult"``.
        sparse: give ``weight`` a sparse gradient (for ``torch.optim.SparseAdam``).

    Example:
        >>> w = torch.arange(8.0).reshape(4, 2).requires_grad_()
        >>> out = fused_lookup(w, torch.tensor([[0, 3], [1, 1]]))
        >>> out.tolist()
        [[6.0, 8.0], [4.0, 6.0]]
        >>> out.sum().backward(); w.grad[:, 0].tolist()  # row 1 is read twice
        [1.0, 2.0, 0.0, 1.0]
    """
    if fusion not in FUSIONS:  # checks kept cheap: every forward of every scheme comes here
        check_choice(fusion, "fusion", FUSIONS)
    if sparse is not True and sparse is not False:
        sparse = check_bool(sparse, "sparse")
    if not isinstance(idx, torch.Tensor) or idx.dtype != torch.int64 or idx.dim() < 1:
        raise TypeError(f"idx must be an int64 tensor of shape [..., K], got "
                        f"{type(idx).__name__ if not isinstance(idx, torch.Tensor) else idx.dtype}"
                        f"{'' if not isinstance(idx, torch.Tensor) else f' {tuple(idx.shape)}'}")
    lead, k = idx.shape[:-1], idx.shape[-1]
    flat = idx.reshape(-1, k)  # (N, K)
    out = _FusedLookup.apply(weight, flat, fusion, sparse)  # (N, D)
    return out.reshape(*lead, out.shape[-1])

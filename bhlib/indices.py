"""BH index generation at speed: hash IDs to the row index of every block, ``[...] -> [..., K]``.

The third step of Yan et al., *Binary Code based Hash Embedding for Web-scale Applications*,
CIKM 2021 (arXiv 2109.02471): each block of a binary code (:mod:`bhlib.codes`) read as an integer
``k_j`` (its bits weighted by their rank in the block, never their global position), plus the
block's row offset. :func:`bh_indices` does it for millions of ids with a few in-place integer
ops per block on cache-sized chunks, integer-exact on int64; ``tests/reference.py`` holds the slow
pure-Python oracle it is tested against.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch

from ._checks import as_id_tensor, check_bool, check_choice
from .codes import LAYOUTS, block_partition, check_block_spec

__all__ = ["bh_indices"]


# Ids per pass of bh_indices: a pass's temporaries (a few MiB) stay in the CPU caches, so each id is
# read from memory once and each index written once, whatever the number of ops per block.
_CHUNK = 1 << 17


def _fold_masks(length: int, stride: int) -> tuple[tuple[int, int], ...]:
    """The ``(shift, mask)`` steps that gather ``length`` bits spaced ``stride`` apart (Skip).

    Bit ``r`` of the block starts at position ``r * stride``. After a step the bits form groups of
    ``2g`` adjacent bits, group ``q`` at position ``q * 2g * stride``: the odd group of each pair
    moves down by ``g * (stride - 1)`` to sit next to the even one (``v | v >> shift``) and
    ``mask`` clears everything else. ``ceil(log2(length))`` steps bring all bits to ``0..length-1``.
    """
    steps, g = [], 1
    while g < length:
        g2 = 2 * g
        mask = 0
        for r in range(length):  # rank r sits in group r // g2 at offset r % g2
            mask |= 1 << ((r // g2) * g2 * stride + r % g2)
        steps.append((g * (stride - 1), mask))
        g = g2
    return tuple(steps)


@lru_cache(maxsize=512)
def _plan(num_bits: int, strategy: str, block_bits: int | None, num_blocks: int | None,
          layout: str) -> tuple:
    """Per block, the integer ops that extract its value, and its row offset (cached, plain ints).

    Returns ``(largest, ((ops, offset), ...))``: the largest index the configuration can produce,
    and one pair per block. ``ops`` are applied in order to the ids:
    ``("shr", s)`` is ``v >> s``, ``("and", m)`` is ``v & m`` and ``("fold", s, m)`` is
    ``(v | v >> s) & m`` (one step of gathering a Skip block's spaced bits, see
    :func:`_fold_masks`). The block holding the top bit needs no mask: ids are ``< 2**num_bits``.
    """
    blocks = block_partition(num_bits, strategy=strategy, block_bits=block_bits,
                             num_blocks=num_blocks)
    offsets, total = [], 0
    for b in blocks:
        offsets.append(total if layout == "offset" else 0)
        total += 1 << len(b)
    plan = []
    for b, offset in zip(blocks, offsets, strict=True):
        first, length = b[0], len(b)
        ops = [("shr", first)] if first else []
        if strategy == "succession" or len(blocks) == 1:  # consecutive bits
            if first + length < num_bits:
                ops.append(("and", (1 << length) - 1))
        else:  # bits first, first + m, first + 2m, ...: isolate them, then fold them together
            m = len(blocks)
            ops.append(("and", sum(1 << (r * m) for r in range(length))))
            ops += [("fold", s, mask) for s, mask in _fold_masks(length, m)]
        assert offset % (1 << length) == 0, "offset must not overlap the block's bits"
        plan.append((tuple(ops), offset))
    largest = max(off + (1 << len(b)) - 1 for b, off in zip(blocks, offsets, strict=True))
    return largest, tuple(plan)


def _run_block(ops: tuple, offset: int, x: torch.Tensor, col: torch.Tensor,
               tmp: torch.Tensor, tmp2: torch.Tensor) -> None:
    """Write one block's indices for the ids ``x`` (``[C]``) into ``col`` (a strided ``[C]`` view).

    Every op but the last writes into the contiguous scratch ``tmp``; the last one writes ``col``.
    """
    v = x
    for i, op in enumerate(ops):
        dst = col if (i == len(ops) - 1 and not offset) else tmp
        if op[0] == "shr":
            torch.bitwise_right_shift(v, op[1], out=dst)
        elif op[0] == "and":
            torch.bitwise_and(v, op[1], out=dst)
        else:  # fold
            torch.bitwise_right_shift(v, op[1], out=tmp2)
            torch.bitwise_or(v, tmp2, out=tmp)
            torch.bitwise_and(tmp, op[2], out=dst)
        v = dst
    if offset:  # a multiple of 2**len(block) (block lengths never grow): OR adds it, and faster
        torch.bitwise_or(v, offset, out=col)
    elif not ops:
        col.copy_(x)


def _output(out: Any, dtype: Any, shape: tuple, largest: int, device: torch.device) -> torch.Tensor:
    """Check or allocate the output tensor of :func:`bh_indices`."""
    if out is not None and not isinstance(out, torch.Tensor):
        raise TypeError(f"out must be a torch.Tensor, got {type(out).__name__}")
    name = "dtype" if dtype is not None or out is None else "out.dtype"
    if dtype is None:
        dtype = torch.int64 if out is None else out.dtype
    if dtype not in (torch.int64, torch.int32):
        raise ValueError(f"{name} must be torch.int64 or torch.int32, got {dtype!r}")
    if dtype == torch.int32 and largest >= 1 << 31:
        raise ValueError(f"dtype=torch.int32 cannot hold indices up to {largest}; use torch.int64")
    if out is None:
        return torch.empty(shape, dtype=dtype, device=device)
    if out.shape != shape or out.dtype != dtype or not out.is_contiguous():
        raise ValueError(f"out must be a contiguous {dtype} tensor of shape {tuple(shape)}, got "
                         f"{'a contiguous' if out.is_contiguous() else 'a non-contiguous'} "
                         f"{out.dtype} tensor of shape {tuple(out.shape)}")
    return out


def bh_indices(ids: Any, *, num_bits: int, strategy: str, block_bits: int | None = None,
               num_blocks: int | None = None, layout: str = "offset", dtype: Any = None,
               out: torch.Tensor | None = None, validate: bool = True) -> Any:
    """Map integer hash IDs to BH row indices, one per block: ``[...] -> [..., K]``.

    Vectorized over ids (the only Python loops run over blocks, bit-gathering steps and chunks of
    ``2**17`` ids, never over single ids), integer-exact on int64. Each block costs a few in-place
    integer ops on a chunk that stays in cache; a Skip block's spaced bits are gathered in
    ``ceil(log2(len))`` shift-or-mask steps rather than one op per bit.

    Args:
        ids: non-negative integer ids ``< 2**num_bits``; torch tensor, numpy array or list.
        num_bits: code length, 1..63.
        strategy, block_bits, num_blocks: the code block strategy, see :func:`block_partition`.
        layout: ``"offset"`` (block ``j``'s rows follow block ``j-1``'s) or ``"shared"``.
        dtype: ``torch.int64`` (default) or ``torch.int32`` (half the bytes; ``ValueError`` if the
            table has ``2**31`` rows or more). Both are valid ``nn.Embedding`` / ``EmbeddingBag``
            indices.
        out: optional preallocated contiguous tensor of shape ``ids.shape + (K,)`` and dtype
            ``dtype`` to write into (no allocation: large fresh tensors cost page faults).
        validate: check that ids lie in ``[0, 2**num_bits)`` (one ``aminmax`` pass). Pass
            ``False`` only for an int64 tensor the caller has already checked (the embeddings
            do); out-of-range ids then give wrong indices instead of an error.

    Returns:
        Indices of shape ``ids.shape + (K,)`` (``out`` if given); a tensor for tensor input, else
        a numpy array.

    Example:
        >>> bh_indices([0b1101_0110], num_bits=8, strategy="succession", block_bits=4).tolist()
        [[6, 29]]
        >>> bh_indices([0b1101_0110], num_bits=8, strategy="skip", num_blocks=2).tolist()
        [[14, 25]]
        >>> bh_indices(torch.tensor([0b1101_0110]), num_bits=8, strategy="skip", num_blocks=2,
        ...            dtype=torch.int32)
        tensor([[14, 25]], dtype=torch.int32)
    """
    num_bits, block_bits, num_blocks = check_block_spec(num_bits, strategy, block_bits,
                                                        num_blocks)
    check_choice(layout, "layout", LAYOUTS)
    validate = check_bool(validate, "validate")
    is_tensor = isinstance(ids, torch.Tensor)
    if validate or not is_tensor or ids.dtype != torch.int64:
        x = as_id_tensor(ids, "ids", high=1 << num_bits,
                         high_name=f"2**num_bits = {1 << num_bits}")
    else:
        x = ids
    largest, plan = _plan(num_bits, strategy, block_bits, num_blocks, layout)
    k = len(plan)
    result = _output(out, dtype, tuple(x.shape) + (k,), largest, x.device)  # (..., K)
    flat, rows = x.reshape(-1), result.view(-1, k)  # (N,), (N, K)
    n = flat.numel()
    tmp = torch.empty(min(n, _CHUNK), dtype=torch.int64, device=x.device)
    tmp2 = torch.empty_like(tmp) if strategy == "skip" and k > 1 else tmp
    for start in range(0, n, _CHUNK):
        xc, oc = flat[start:start + _CHUNK], rows[start:start + _CHUNK]  # (C,), (C, K)
        c = xc.numel()
        for j, (ops, offset) in enumerate(plan):
            _run_block(ops, offset, xc, oc[:, j], tmp[:c], tmp2[:c])
    return result if is_tensor else result.numpy()

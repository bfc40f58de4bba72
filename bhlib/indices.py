"""BH index generation at speed: hash IDs to the row index of every block, ``[...] -> [..., K]``.

The third step of Yan et al., *Binary Code based Hash Embedding for Web-scale Applications*,
CIKM 2021 (arXiv 2109.02471): each block of a binary code (:mod:`bhlib.codes`) read as an integer
``k_j`` (its bits weighted by their rank in the block, never their global position), plus the
block's row offset. :func:`bh_indices` does it for millions of ids with a few in-place integer
ops per block on cache-sized chunks, integer-exact on int64; ``tests/reference.py`` holds the slow
pure-Python oracle it is tested against.

Each op is a pass over a chunk (one into a ``(C, K)`` column is strided, unvectorized): fewer is
faster. The range check runs in the chunk loop. Skip reads tables: digit ``d`` of the id (at most
:data:`_DIGIT_BITS` bits) indexes a table whose row ``v`` packs what bits ``v << shift_d`` give each
block into one int64 *word*; blocks draw on distinct bits, so the OR of the digits' words is the
id's word (two gathers for 24-bit ids; the top digit's bounds check is the range check). A word is
an int32 row, or two int64 indices by one widening copy, or fields to columns. Two Succession blocks
in int32 are the word ``x + (x >> s) * (2**32 - 2**s)`` (plus the offset): no strided pass.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

import torch

from ._checks import as_id_tensor, check_bool, check_choice
from .codes import LAYOUTS, block_partition, check_block_spec

__all__ = ["bh_indices"]


# Ids per pass: operands of 1 MiB stay in cache (2**13..2**16 measured slower, 2**18 no faster)
_CHUNK = 1 << 17

# Id bits per lookup table of the Skip path: a table of 2**12 int64 words is 32 KiB (in L1 / L2).
_DIGIT_BITS = 12


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
    """``(tops, lengths, blocks)``: per block its largest index (offset + 2**len - 1), its bits,
    and the pair ``(ops, offset)``: the integer ops that extract its value, and its row offset.

    ``ops`` are applied in order to the ids:
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
    tops = tuple(off + (1 << len(b)) - 1 for b, off in zip(blocks, offsets, strict=True))
    return tops, tuple(len(b) for b in blocks), tuple(plan)


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


def _word_fields(tops: tuple, dtype: torch.dtype) -> tuple | None:
    """``(write, positions)``: block ``j``'s field starts at bit ``positions[j]`` of the word, and
    ``write`` is ``"row"`` (the word is the row), ``"widen"`` (int32 halves -> int64 indices) or
    ``"fields"`` (field by field into the columns); ``None`` if the fields overflow 63 bits."""
    if len(tops) == 2 and max(tops) < 1 << 31:
        return ("row" if dtype == torch.int32 else "widen"), (0, 32)
    widths = [top.bit_length() for top in tops]
    return ("fields", tuple(sum(widths[:j]) for j in range(len(tops)))) if sum(widths) < 64 \
        else None


@lru_cache(maxsize=64)
def _tables(num_bits: int, strategy: str, block_bits: int | None, num_blocks: int | None,
            layout: str, positions: tuple[int, ...], device: torch.device) -> tuple:
    """The Skip lookup tables ``(width, ((shift, table), ...))``, lowest digit first: row ``v`` is
    the word of the id ``v << shift`` (block ``j``'s field at bit ``positions[j]``), built with the
    column ops. The offsets are in the top digit's table, of length ``2**(num_bits - shift)``:
    its gather's bounds check is the range check of the ids."""
    spec = (num_bits, strategy, block_bits, num_blocks)
    shared = _plan(*spec, "shared")[2]  # without offsets: each is added once, below
    digits = -(-num_bits // _DIGIT_BITS)
    width = -(-num_bits // digits)  # balanced digits: 24 bits -> 12 + 12, 20 -> 10 + 10
    tables = []
    for shift in range(0, num_bits, width):
        ids = torch.arange(1 << min(width, num_bits - shift)) << shift
        cols = torch.empty(len(ids), len(shared), dtype=torch.int64)
        for j, (ops, offset) in enumerate(shared):
            _run_block(ops, offset, ids, cols[:, j], torch.empty_like(ids), torch.empty_like(ids))
        word = torch.zeros_like(ids)
        for j, pos in enumerate(positions):
            word |= cols[:, j] << pos
        tables.append(word)
    offsets = _plan(*spec, layout)[2]
    tables[-1] |= sum(off << pos for (_, off), pos in zip(offsets, positions, strict=True))
    return width, tuple((d * width, t.to(device)) for d, t in enumerate(tables))


def _run_tables(width: int, tables: tuple, x: torch.Tensor, word: torch.Tensor,
                digit: torch.Tensor, tmp: torch.Tensor) -> None:
    """``word = OR over digits d of table_d[digit_d(x)]`` for the ids ``x`` (``[C]``). The top
    digit, first, is not masked: an id out of ``[0, 2**num_bits)`` makes its gather raise."""
    for d in range(len(tables) - 1, -1, -1):
        shift, table = tables[d]
        v = torch.bitwise_right_shift(x, shift, out=digit) if shift else x
        if d == len(tables) - 1:
            torch.gather(table, 0, v, out=word)
        else:
            torch.gather(table, 0, torch.bitwise_and(v, (1 << width) - 1, out=digit), out=tmp)
            word.bitwise_or_(tmp)


def _fields_to_columns(word: torch.Tensor, positions: tuple[int, ...], rows: torch.Tensor,
                       tmp: torch.Tensor) -> None:
    """Block ``j``'s column of ``rows`` (``[C, K]``): the field of ``word`` at ``positions[j]``."""
    for j, pos in enumerate(positions):  # the top field (K > 1, pos > 0) has nothing to mask
        if j == len(positions) - 1:
            torch.bitwise_right_shift(word, pos, out=rows[:, j])
        else:
            v = torch.bitwise_right_shift(word, pos, out=tmp) if pos else word
            torch.bitwise_and(v, (1 << (positions[j + 1] - pos)) - 1, out=rows[:, j])


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


def _check_ids(ids: torch.Tensor, num_bits: int) -> torch.Tensor:
    """:func:`as_id_tensor`'s check: ValueError naming the smallest id if < 0, else the largest."""
    return as_id_tensor(ids, "ids", high=1 << num_bits, high_name=f"2**num_bits = {1 << num_bits}")


def bh_indices(ids: Any, *, num_bits: int, strategy: str, block_bits: int | None = None,
               num_blocks: int | None = None, layout: str = "offset", dtype: Any = None,
               out: torch.Tensor | None = None, validate: bool = True) -> Any:
    """Map integer hash IDs to BH row indices, one per block: ``[...] -> [..., K]``.

    Vectorized over ids (Python loops run over blocks, digits and chunks of ``2**17`` ids, never
    single ids), integer-exact on int64: a few in-place integer ops per block on a chunk in cache;
    Skip reads lookup tables indexed by 12-bit digits of the id (see the module docstring).

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
        validate: check that ids lie in ``[0, 2**num_bits)`` (``ValueError``). An int64 tensor is
            checked chunk by chunk in the index loop, so after the error ``out`` may already hold
            the indices of earlier chunks; other input is checked as it is converted to int64.
            Pass ``False`` only for an int64 tensor the caller has already checked (the embeddings
            do); out-of-range ids then give wrong indices or a ``RuntimeError`` (Skip tables).

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
    if is_tensor and ids.dtype == torch.int64:
        x, check = ids, validate  # check: the range check is still to do
        if check and x.device.type != "cpu":  # per-chunk checks would wait on the device
            x, check = _check_ids(x, num_bits), False
    else:  # the conversion to int64 checks the range (once) on the way
        x, check = _check_ids(ids, num_bits), False
    tops, lengths, blocks = _plan(num_bits, strategy, block_bits, num_blocks, layout)
    k = len(blocks)
    result = _output(out, dtype, tuple(x.shape) + (k,), max(tops), x.device)  # (..., K)
    flat, rows = x.reshape(-1), result.view(-1, k)  # (N,), (N, K)
    n = flat.numel()
    words32 = (result.dtype == torch.int32 and result.storage_offset() % 2 == 0
               and sys.byteorder == "little")  # int32 rows read as int64 words, low half first
    fields = _word_fields(tops, result.dtype) if strategy == "skip" and k > 1 else None
    fields = None if fields and fields[0] == "row" and not words32 else fields
    pair = strategy == "succession" and k == 2 and words32
    in_rows = pair or bool(fields and fields[0] == "row")  # the words are the output rows
    tmp = torch.empty(min(n, _CHUNK), dtype=torch.int64, device=x.device)
    tmp2 = torch.empty_like(tmp) if fields or strategy == "skip" else tmp
    words = (rows.view(torch.int64).view(-1) if in_rows  # (N,) int64 words, or a scratch
             else torch.empty_like(tmp) if fields else None)
    if fields:
        tables = _tables(num_bits, strategy, block_bits, num_blocks, layout, fields[1], x.device)
    try:
        for start in range(0, n, _CHUNK):
            xc, oc = flat[start:start + _CHUNK], rows[start:start + _CHUNK]  # (C,), (C, K)
            c = xc.numel()
            w = words[start:start + c] if in_rows else words[:c] if fields else None
            if fields:  # the top digit's gather checks the range
                _run_tables(*tables, xc, w, tmp[:c], tmp2[:c])
                if fields[0] == "widen":  # int32 halves -> int64 indices: one widening copy
                    oc.view(-1).copy_(w.view(torch.int32))
                elif fields[0] == "fields":
                    _fields_to_columns(w, fields[1], oc, tmp[:c])
                continue
            if check:  # on ids about to be read again, in cache: no pass of its own over memory
                lo, hi = torch.aminmax(xc)
                if int(lo) < 0 or int(hi) >= 1 << num_bits:
                    _check_ids(flat, num_bits)  # raises the error of a check of all the ids
            if pair:  # x + (x >> s) * (2**32 - 2**s) is (x & (2**s - 1)) + ((x >> s) << 32)
                torch.bitwise_right_shift(xc, lengths[0], out=tmp[:c])
                torch.add(xc, tmp[:c], alpha=(1 << 32) - (1 << lengths[0]), out=w)
                if blocks[1][1]:  # the offset, a multiple of 2**len: OR adds it
                    w.bitwise_or_(blocks[1][1] << 32)
            else:
                for j, (ops, offset) in enumerate(blocks):
                    _run_block(ops, offset, xc, oc[:, j], tmp[:c], tmp2[:c])
    except RuntimeError as err:  # from a gather: a top digit outside its table?
        if not (check and fields):
            raise
        error = err
    else:
        return result if is_tensor else result.numpy()
    _check_ids(flat, num_bits)  # an id out of range: the error of a check of all the ids
    raise error

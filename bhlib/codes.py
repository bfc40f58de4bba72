"""Index generation of BH: binarization, code block strategy, decimalization (pure functions).

Yan et al., *Binary Code based Hash Embedding for Web-scale Applications*, CIKM 2021
(arXiv 2109.02471), turn a hash ID ``h`` into a few small table indices:

1. **Binarization** — ``h`` as an ``num_bits``-bit code; bit ``p`` is ``(h >> p) & 1`` (bit 0 is the
   least significant: *our* numbering).
2. **Code block strategy** — a partition of the bit positions into blocks:

   * *Succession*: runs of consecutive bits. The paper's block length ``t`` is ``block_bits=t``
     (blocks ``[0, t), [t, 2t), ...``, the last one shorter when ``t`` does not divide
     ``num_bits``); ``num_blocks=m`` instead splits the bits into ``m`` runs whose lengths differ
     by at most one, the longer runs first.
   * *Skip*: bits at a fixed interval; block ``j`` holds the positions ``p`` with
     ``p % m == j``. The paper's interval ``t`` is ``num_blocks=t`` (``t`` blocks). [ours] One
     public implementation reads "interval t" as ``t + 1`` blocks; we do not. ``block_bits=b``
     asks for the fewest blocks of at most ``b`` bits, ``m = ceil(num_bits / b)``.
3. **Decimalization** — the bits of block ``j``, read in the order of their positions (the lowest
   position is the block's least significant bit; a bit's *rank in its block* sets its weight, never
   its global position), form an integer ``k_j`` in ``[0, 2**len_j)``.

**Layouts.** ``layout="offset"`` (default, [ours]) gives each block its own rows: the index is
``k_j + offset_j`` with ``offset_j = sum_{i<j} 2**len_i``, so distinct hash IDs map to distinct
index tuples *and* distinct row sets. ``layout="shared"`` lets every block read one table of
``2**max_len`` rows with no offset: a teaching ablation in which sum fusion confuses IDs whose block
values are permutations of each other (``num_bits=4, block_bits=2``: IDs 1 and 4).

Everything is integer arithmetic on int64 (no float, no 32-bit shift), so ``num_bits`` may be up to
63. ``num_bits=64`` is refused: hash IDs from :func:`bhlib.hash_ids` have 63 bits, and torch
indices are signed 64-bit integers.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch

from ._checks import as_id_tensor, check_choice, check_int

__all__ = [
    "MAX_BITS", "STRATEGIES", "LAYOUTS", "block_partition", "block_lengths", "table_rows",
    "bh_indices", "format_bits", "bits_needed",
]

MAX_BITS = 63
STRATEGIES = ("succession", "skip")
LAYOUTS = ("offset", "shared")


def bits_needed(num_values: int) -> int:
    """Bits needed to write every id in ``[0, num_values)``: ``ceil(log2(num_values))``, at least 1.

    Integer-exact (``int.bit_length``), no floating-point logarithm.

    Example:
        >>> [bits_needed(v) for v in (1, 2, 3, 1024, 1025, 1_000_000)]
        [1, 1, 2, 10, 11, 20]
    """
    num_values = check_int(num_values, "num_values", low=1)
    return max(1, (num_values - 1).bit_length())


@lru_cache(maxsize=512)
def _partition(num_bits: int, strategy: str, block_bits: int | None,
               num_blocks: int | None) -> tuple[tuple[int, ...], ...]:
    if strategy == "succession":
        if block_bits is not None:
            return tuple(tuple(range(s, min(s + block_bits, num_bits)))
                         for s in range(0, num_bits, block_bits))
        base, extra = divmod(num_bits, num_blocks)
        blocks, start = [], 0
        for j in range(num_blocks):
            length = base + (1 if j < extra else 0)
            blocks.append(tuple(range(start, start + length)))
            start += length
        return tuple(blocks)
    m = num_blocks if num_blocks is not None else -(-num_bits // block_bits)
    return tuple(tuple(range(j, num_bits, m)) for j in range(m))


def _check_partition_args(num_bits, strategy, block_bits, num_blocks, max_bits):
    num_bits = check_int(num_bits, "num_bits", low=1, high=max_bits)
    check_choice(strategy, "strategy", STRATEGIES)
    if (block_bits is None) == (num_blocks is None):
        raise ValueError(
            f"give exactly one of block_bits / num_blocks, got block_bits={block_bits!r}, "
            f"num_blocks={num_blocks!r}"
        )
    if block_bits is not None:
        block_bits = check_int(block_bits, "block_bits", low=1, high=num_bits)
    else:
        num_blocks = check_int(num_blocks, "num_blocks", low=1, high=num_bits)
    return num_bits, block_bits, num_blocks


def block_partition(num_bits: int, *, strategy: str, block_bits: int | None = None,
                    num_blocks: int | None = None) -> list[list[int]]:
    """Partition bit positions ``0 .. num_bits-1`` into blocks (the code block strategy).

    Args:
        num_bits: length of the binary code, 1..63.
        strategy: ``"succession"`` (runs of consecutive bits) or ``"skip"`` (bits at an interval).
        block_bits: at most this many bits per block (the paper's ``t`` for Succession).
        num_blocks: exactly this many blocks (the paper's interval ``t`` for Skip).

    Returns:
        A list of blocks, each the ascending list of bit positions it holds (bit 0 = LSB).

    Example:
        >>> block_partition(8, strategy="succession", block_bits=3)
        [[0, 1, 2], [3, 4, 5], [6, 7]]
        >>> block_partition(8, strategy="skip", num_blocks=3)
        [[0, 3, 6], [1, 4, 7], [2, 5]]
    """
    num_bits, block_bits, num_blocks = _check_partition_args(
        num_bits, strategy, block_bits, num_blocks, MAX_BITS)
    return [list(b) for b in _partition(num_bits, strategy, block_bits, num_blocks)]


def block_lengths(num_bits: int, *, strategy: str, block_bits: int | None = None,
                  num_blocks: int | None = None) -> list[int]:
    """Number of bits in each block (closed form, nothing allocated).

    Example:
        >>> block_lengths(20, strategy="succession", block_bits=8)
        [8, 8, 4]
    """
    return [len(b) for b in block_partition(num_bits, strategy=strategy, block_bits=block_bits,
                                            num_blocks=num_blocks)]


def table_rows(num_bits: int, *, strategy: str, block_bits: int | None = None,
               num_blocks: int | None = None, layout: str = "offset") -> int:
    """Rows a BH table needs: ``sum_j 2**len_j`` (offset layout) or ``2**max_len`` (shared).

    Example:
        >>> table_rows(20, strategy="succession", block_bits=8)
        528
        >>> table_rows(20, strategy="succession", block_bits=8, layout="shared")
        256
    """
    check_choice(layout, "layout", LAYOUTS)
    lengths = block_lengths(num_bits, strategy=strategy, block_bits=block_bits,
                            num_blocks=num_blocks)
    return sum(1 << n for n in lengths) if layout == "offset" else 1 << max(lengths)


@lru_cache(maxsize=512)
def _plan(num_bits: int, strategy: str, block_bits: int | None, num_blocks: int | None,
          layout: str) -> tuple:
    """Shift / mask / offset constants of one configuration (cached; plain Python ints)."""
    blocks = _partition(num_bits, strategy, block_bits, num_blocks)
    lengths = [len(b) for b in blocks]
    offsets = [0] * len(blocks)
    if layout == "offset":
        for j in range(1, len(blocks)):
            offsets[j] = offsets[j - 1] + (1 << lengths[j - 1])
    if strategy == "succession":
        return ("succession", tuple(b[0] for b in blocks),
                tuple((1 << n) - 1 for n in lengths), tuple(offsets))
    m = len(blocks)
    ranks = []  # per rank r: the shift of every block's r-th bit, and 1 if that bit exists
    for r in range(max(lengths)):
        shifts = tuple(r * m + j if r * m + j < num_bits else 0 for j in range(m))
        valid = tuple(1 if r * m + j < num_bits else 0 for j in range(m))
        ranks.append((shifts, valid))
    return ("skip", tuple(ranks), tuple(offsets))


def bh_indices(ids: Any, *, num_bits: int, strategy: str, block_bits: int | None = None,
               num_blocks: int | None = None, layout: str = "offset") -> Any:
    """Map integer hash IDs to BH row indices, one per block: ``[...] -> [..., K]``.

    Vectorized over ids (the only Python loops run over blocks or bit ranks, never over ids),
    integer-exact on int64.

    Args:
        ids: non-negative integer ids ``< 2**num_bits``; torch tensor, numpy array or list.
        num_bits: code length, 1..63.
        strategy, block_bits, num_blocks: the code block strategy, see :func:`block_partition`.
        layout: ``"offset"`` (block ``j``'s rows follow block ``j-1``'s) or ``"shared"``.

    Returns:
        int64 indices of shape ``ids.shape + (K,)``; a tensor for tensor input, else a numpy array.

    Example:
        >>> bh_indices([0b1101_0110], num_bits=8, strategy="succession", block_bits=4).tolist()
        [[6, 29]]
        >>> bh_indices([0b1101_0110], num_bits=8, strategy="skip", num_blocks=2).tolist()
        [[14, 25]]
    """
    num_bits, block_bits, num_blocks = _check_partition_args(
        num_bits, strategy, block_bits, num_blocks, MAX_BITS)
    check_choice(layout, "layout", LAYOUTS)
    is_tensor = isinstance(ids, torch.Tensor)
    x = as_id_tensor(ids, "ids", high=1 << num_bits, high_name=f"2**num_bits = {1 << num_bits}")
    plan = _plan(num_bits, strategy, block_bits, num_blocks, layout)
    xe = x.unsqueeze(-1)  # (..., 1)
    if plan[0] == "succession":
        _, shifts, masks, offsets = plan
        out = (xe >> torch.tensor(shifts)) & torch.tensor(masks)  # (..., K)
    else:
        _, ranks, offsets = plan
        out = torch.zeros(x.shape + (len(offsets),), dtype=torch.int64)  # (..., K)
        for r, (shifts, valid) in enumerate(ranks):
            out |= ((xe >> torch.tensor(shifts)) & torch.tensor(valid)) << r
    if layout == "offset" and len(offsets) > 1:
        out += torch.tensor(offsets)
    return out if is_tensor else out.numpy()


def format_bits(value: int, num_bits: int) -> str:
    """The ``num_bits``-bit binary code of ``value``, most significant bit first (as people write it).

    Example:
        >>> format_bits(6, 8)
        '00000110'
    """
    num_bits = check_int(num_bits, "num_bits", low=1, high=MAX_BITS)
    value = check_int(value, "value", low=0, high=(1 << num_bits) - 1)
    return format(value, f"0{num_bits}b")

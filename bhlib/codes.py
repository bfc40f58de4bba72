"""Binary codes and code block strategies of BH: binarization and block partition (pure functions).

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
indices are signed 64-bit integers. The fast, vectorized index generation itself,
:func:`bhlib.bh_indices`, lives in :mod:`bhlib.indices`.
"""
from __future__ import annotations

from functools import lru_cache

from ._checks import check_choice, check_int

__all__ = [
    "MAX_BITS", "STRATEGIES", "LAYOUTS", "bits_needed", "check_block_spec", "block_partition",
    "block_lengths", "table_rows", "format_bits",
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


def check_block_spec(num_bits: int, strategy: str, block_bits: int | None,
                     num_blocks: int | None) -> tuple[int, int | None, int | None]:
    """Check a code block strategy; return ``(num_bits, block_bits, num_blocks)`` as ints/None.

    Exactly one of ``block_bits`` / ``num_blocks`` must be given, each in ``1 .. num_bits``.

    Example:
        >>> check_block_spec(8, "skip", None, 3)
        (8, None, 3)
    """
    num_bits = check_int(num_bits, "num_bits", low=1, high=MAX_BITS)
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
    num_bits, block_bits, num_blocks = check_block_spec(num_bits, strategy, block_bits,
                                                        num_blocks)
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


def format_bits(value: int, num_bits: int) -> str:
    """The ``num_bits``-bit binary code of ``value``, most significant bit first (as people
    write it).

    Example:
        >>> format_bits(6, 8)
        '00000110'
    """
    num_bits = check_int(num_bits, "num_bits", low=1, high=MAX_BITS)
    value = check_int(value, "value", low=0, high=(1 << num_bits) - 1)
    return format(value, f"0{num_bits}b")

"""From raw values to binary codes (notebook 01): hash IDs, their low bits, hash collisions.

Steps 1 and 2 of Binary Code based Hash Embedding (Yan et al., *Binary Code based Hash
Embedding for Web-scale Applications*, CIKM 2021, arXiv 2109.02471): a raw value is hashed to a
63-bit hash ID (:func:`bhlib.hash_ids`), whose low ``num_bits`` bits are its binary code. Each
function returns a small ``pandas.DataFrame`` built only from the library's own functions, so when
the library changes a taught fact (the bit order, a partition) these tables change and the
notebooks' nbval checks fail.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_int
from ..codes import MAX_BITS, block_partition, format_bits
from ..hashing import hash_ids

__all__ = ["hash_table", "birthday_table", "bit_table"]


def hash_table(values: Sequence[Any], *, num_bits: int, field: str | None = None,
               seed: int = 0) -> pd.DataFrame:
    """Raw values -> 63-bit hash IDs -> their low ``num_bits`` bits (step 1 and 2 of BH).

    Args:
        values: raw values of one kind (ints, or strings), see :func:`bhlib.hash_ids`.
        num_bits: code length ``n``; the code is ``hash_id mod 2**n`` (its low ``n`` bits).
        field: salt of the hash (same value, other field: another hash ID).
        seed: member of the hash family.

    Returns:
        One row per value: ``value``, ``hash_id``, ``code`` and ``bits`` (MSB first).

    Example:
        >>> print(hash_table(["alice", "bob"], num_bits=8, field="user").to_string(index=False))
        value             hash_id  code     bits
        alice 2373654146445680985    89 01011001
          bob 4274793606081491430   230 11100110
    """
    n = check_int(num_bits, "num_bits", low=1, high=MAX_BITS)
    h = hash_ids(values, seed=seed, field=field)
    code = h & ((1 << n) - 1)
    return pd.DataFrame({"value": list(values), "hash_id": h, "code": code,
                         "bits": [format_bits(int(c), n) for c in code]})


def birthday_table(values: Sequence[Any], bits: Sequence[int], *, field: str | None = None,
                   seed: int = 0) -> pd.DataFrame:
    """Hash collisions after truncation to ``n`` bits: the birthday estimate against a count.

    ``expected_pairs = V (V - 1) / 2**(n + 1)`` for ``V`` distinct values; ``measured_pairs``
    counts pairs of values whose hash IDs share their low ``n`` bits; ``values_colliding`` counts
    the values involved. BH keeps hash IDs apart, but it cannot undo these collisions.

    Example:
        >>> t = birthday_table([f"v{i}" for i in range(1000)], [10, 20, 30])
        >>> t["expected_pairs"].round(1).tolist(), t["measured_pairs"].tolist()
        ([487.8, 0.5, 0.0], [479, 0, 0])
    """
    h = hash_ids(values, seed=seed, field=field)
    v = len(np.unique(h))
    if v != len(h):
        raise ValueError(f"values must be distinct and hash apart on 63 bits; {len(h) - v} repeat")
    records = []
    for n in bits:
        n = check_int(n, "bits", low=1, high=MAX_BITS)
        _, counts = np.unique(h & ((1 << n) - 1), return_counts=True)
        records.append({"num_bits": n, "expected_pairs": v * (v - 1) / 2 ** (n + 1),
                        "measured_pairs": int((counts * (counts - 1) // 2).sum()),
                        "values_colliding": int(counts[counts > 1].sum())})
    return pd.DataFrame(records)


def bit_table(value: int, num_bits: int, *, strategy: str = "succession",
              block_bits: int | None = None, num_blocks: int | None = None) -> pd.DataFrame:
    """The ``num_bits``-bit code of ``value``, most significant bit first, with each bit's block.

    Columns are bit positions (``n-1`` on the left, bit 0 = least significant on the right); the
    rows are the bit and the block that owns the position.

    Example:
        >>> bit_table(0b1101_0110, 8, strategy="skip", num_blocks=2)
        position  7  6  5  4  3  2  1  0
        bit       1  1  0  1  0  1  1  0
        block     1  0  1  0  1  0  1  0
    """
    bits = format_bits(value, num_bits)  # MSB first
    blocks = block_partition(num_bits, strategy=strategy, block_bits=block_bits,
                             num_blocks=num_blocks)
    owner = {p: j for j, block in enumerate(blocks) for p in block}
    positions = list(range(num_bits - 1, -1, -1))
    table = pd.DataFrame([[int(b) for b in bits], [owner[p] for p in positions]],
                         index=["bit", "block"], columns=positions)
    table.columns.name = "position"
    return table

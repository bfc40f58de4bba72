"""Code block strategies (notebook 02): each block's value and row, every block size, and
BH-Succession as a many-way quotient-remainder split.

Step 2 and 3 of Binary Code based Hash Embedding (Yan et al., CIKM 2021, arXiv 2109.02471): the
bits of a code are cut into blocks (Succession or Skip, :func:`bhlib.block_partition`), each block
is read as a number and looked up at its row (:func:`bhlib.bh_indices`). Pure functions returning
small tables, built from the library's own functions.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_bool, check_int
from ..codes import bits_needed, block_lengths, block_partition, format_bits
from ..embeddings import plan_embedding
from ..indices import bh_indices

__all__ = ["block_table", "block_size_table", "digits_table", "succession_is_generalized_qr"]


def _spec(strategy: str, block_bits: int | None, num_blocks: int | None) -> dict[str, Any]:
    return {"strategy": strategy, "block_bits": block_bits, "num_blocks": num_blocks}


def block_table(value: int, num_bits: int, *, strategy: str = "succession",
                block_bits: int | None = None, num_blocks: int | None = None,
                layout: str = "offset") -> pd.DataFrame:
    """Decimalization: each block's bits read as a number ``k_j``, plus its offset and table row.

    ``bits`` lists the block's bits from its highest position to its lowest (a bit's rank in the
    block, not its global position, sets its weight), ``k`` is that binary number, ``offset`` is
    where the block's rows start (``sum_{i<j} 2**len_i``; 0 in the shared layout) and ``row`` is
    the index :func:`bhlib.bh_indices` returns, ``k + offset``.

    Example:
        >>> print(block_table(0b1101_0110, 8, strategy="succession", block_bits=3)
        ...       .to_string(index=False))
         block positions bits  k  offset  row
             0     2 1 0  110  6       0    6
             1     5 4 3  010  2       8   10
             2       7 6   11  3      16   19
    """
    spec = _spec(strategy, block_bits, num_blocks)
    blocks = block_partition(num_bits, **spec)
    code = format_bits(value, num_bits)  # MSB first: position p is code[num_bits - 1 - p]
    rows = bh_indices([value], num_bits=num_bits, layout=layout, **spec)[0]
    offsets = np.cumsum([0] + [1 << len(b) for b in blocks[:-1]]) if layout == "offset" \
        else np.zeros(len(blocks), dtype=int)
    records = []
    for j, block in enumerate(blocks):
        bits = "".join(code[num_bits - 1 - p] for p in reversed(block))
        records.append({"block": j, "positions": " ".join(str(p) for p in reversed(block)),
                        "bits": bits, "k": int(bits, 2), "offset": int(offsets[j]),
                        "row": int(rows[j])})
    return pd.DataFrame(records)


def _ranges(values: list[int]) -> str:
    """``[11, 12, 13, 20]`` -> ``"11-13, 20"``."""
    values, parts, i = sorted(values), [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(parts)


def block_size_table(num_embeddings: int, embedding_dim: int = 16, *,
                     strategy: str = "succession", distinct: bool = True) -> pd.DataFrame:
    """Every block size BH can use for ``V`` dense ids: block lengths, rows and compression ratio.

    Succession is sized by ``block_bits`` (1 .. n), Skip by ``num_blocks`` (n .. 1); ``n`` is
    ``ceil(log2 V)``. Rows are those of the offset layout, ``sum_j 2**len_j``. With
    ``distinct`` (the default), sizes that give the same number of rows are one row: the one with
    the fewest blocks (fewest lookups at that size), and ``same_rows_with`` names the others.

    Example:
        >>> t = block_size_table(1000, strategy="succession")
        >>> t[["block_lengths", "num_rows", "same_rows_with"]].head(3).values.tolist()
        [['2 2 2 2 2', 20, 'block_bits 1'], ['3 3 3 1', 26, ''], ['4 4 2', 36, '']]
        >>> len(block_size_table(1000, strategy="skip", distinct=False))  # num_blocks 10 .. 1
        10
    """
    n = bits_needed(check_int(num_embeddings, "num_embeddings", low=1))
    check_bool(distinct, "distinct")
    key = "block_bits" if strategy == "succession" else "num_blocks"
    sizes = range(1, n + 1) if strategy == "succession" else range(n, 0, -1)
    records = []
    for size in sizes:
        spec = {"strategy": strategy, key: size}
        lengths = block_lengths(n, **spec)
        plan = plan_embedding("bh", num_embeddings, embedding_dim, num_bits=n, **spec)
        records.append({"block_bits": max(lengths), "num_blocks": len(lengths),
                        "block_lengths": " ".join(map(str, lengths)), "num_rows": plan.num_rows,
                        "achieved_ratio": round(plan.achieved_ratio, 1), "size": size})
    t = pd.DataFrame(records)
    if not distinct:
        return t.drop(columns="size")
    groups = t.sort_values(["num_rows", "num_blocks"]).groupby("num_rows", sort=True)
    kept = groups.head(1).reset_index(drop=True)  # per row count, the fewest blocks
    others = [g["size"].iloc[1:].tolist() for _, g in groups]  # the same order as ``kept``
    kept["same_rows_with"] = [f"{key} {_ranges(o)}" if o else "" for o in others]
    return kept.drop(columns="size")


def digits_table(value: int, num_bits: int, *, block_bits: int) -> pd.DataFrame:
    """BH-Succession as base-``2**t`` digits: a many-way quotient-remainder split of ``value``.

    Block ``j`` of Succession with ``t = block_bits`` equals ``(value // 2**(t*j)) % 2**t``: the
    Q-R trick (Shi et al., KDD 2020) applied again to each quotient with every divisor ``2**t``.
    ``bh_block`` is computed by :func:`bhlib.bh_indices` (shared layout: no offset).

    Example:
        >>> print(digits_table(1000, 10, block_bits=4).to_string(index=False))
         block  divisor  quotient  digit  bh_block  equal
             0        1      1000      8         8   True
             1       16        62     14        14   True
             2      256         3      3         3   True
    """
    t = check_int(block_bits, "block_bits", low=1, high=num_bits)
    bh = bh_indices([value], num_bits=num_bits, strategy="succession", block_bits=t,
                    layout="shared")[0]
    records = []
    for j, k in enumerate(bh.tolist()):
        divisor = 1 << (t * j)
        quotient = value // divisor
        digit = quotient % (1 << t)
        records.append({"block": j, "divisor": divisor, "quotient": quotient, "digit": digit,
                        "bh_block": k, "equal": digit == k})
    return pd.DataFrame(records)


def succession_is_generalized_qr(ids: Any, num_bits: int, *, block_bits: int) -> bool:
    """True when, for every id, Succession's block values are its base-``2**t`` digits.

    Example:
        >>> succession_is_generalized_qr(range(1024), 10, block_bits=3)
        True
    """
    x = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
    t = check_int(block_bits, "block_bits", low=1, high=num_bits)
    bh = bh_indices(x, num_bits=num_bits, strategy="succession", block_bits=t, layout="shared")
    digits = np.stack([(x // (1 << (t * j))) % (1 << t)  # integer division, as in Q-R
                       for j in range(bh.shape[1])], axis=-1)  # (N, K)
    return bool(np.array_equal(bh, digits))

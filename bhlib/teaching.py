"""The facts the teaching notebooks print: small tables over the BH pipeline (pure functions).

Each function answers one question a student asks about Binary Code based Hash Embedding
(Yan et al., *Binary Code based Hash Embedding for Web-scale Applications*, CIKM 2021,
arXiv 2109.02471) and returns a small ``pandas.DataFrame`` (or a bool) built only from the library's
own functions (:func:`bhlib.hash_ids`, :func:`bhlib.format_bits`, :func:`bhlib.block_partition`,
:func:`bhlib.bh_indices`, :func:`bhlib.plan_embedding`, :func:`bhlib.collision_report`). So when
the library changes a taught fact (the bit order, a partition), these tables change and the
notebooks' nbval checks fail. The widgets (:mod:`bhlib.widgets`) and figures (:mod:`bhlib.viz`)
display these same tables; the memory-budget tables live in :mod:`bhlib.budgets`.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._checks import check_int
from .codes import bh_indices, bits_needed, block_lengths, block_partition, format_bits
from .embeddings import METHODS, plan_embedding
from .hashing import hash_ids

__all__ = ["hash_table", "bit_table", "block_table", "block_size_table", "digits_table",
           "succession_is_generalized_qr", "permutation_collisions", "birthday_table",
           "collision_table"]


def _spec(strategy: str, block_bits: int | None, num_blocks: int | None) -> dict[str, Any]:
    return {"strategy": strategy, "block_bits": block_bits, "num_blocks": num_blocks}


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
        >>> hash_table(["alice", "bob"], num_bits=8, field="user").to_string(index=False)
        'value             hash_id  code     bits\\nalice 2373654146445680985    89 01011001\\n  bob 4274793606081491430   230 11100110'
    """
    n = check_int(num_bits, "num_bits", low=1, high=63)
    h = hash_ids(values, seed=seed, field=field)
    code = h & ((1 << n) - 1)
    return pd.DataFrame({"value": list(values), "hash_id": h, "code": code,
                         "bits": [format_bits(int(c), n) for c in code]})


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
    owner = {p: j for j, block in enumerate(block_partition(
        num_bits, **_spec(strategy, block_bits, num_blocks))) for p in block}
    positions = list(range(num_bits - 1, -1, -1))
    table = pd.DataFrame([[int(b) for b in bits], [owner[p] for p in positions]],
                         index=["bit", "block"], columns=positions)
    table.columns.name = "position"
    return table


def block_table(value: int, num_bits: int, *, strategy: str = "succession",
                block_bits: int | None = None, num_blocks: int | None = None,
                layout: str = "offset") -> pd.DataFrame:
    """Decimalization: each block's bits read as a number ``k_j``, plus its offset and table row.

    ``bits`` lists the block's bits from its highest position to its lowest (a bit's rank in the
    block, not its global position, sets its weight), ``k`` is that binary number, ``offset`` is
    where the block's rows start (``sum_{i<j} 2**len_i``; 0 in the shared layout) and ``row`` is
    the index :func:`bhlib.bh_indices` returns, ``k + offset``.

    Example:
        >>> block_table(0b1101_0110, 8, strategy="succession", block_bits=3).to_string(index=False)
        'block positions bits  k  offset  row\\n    0     2 1 0  110  6       0    6\\n    1     5 4 3  010  2       8   10\\n    2       7 6   11  3      16   19'
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


def block_size_table(num_embeddings: int, embedding_dim: int = 16, *,
                     strategy: str = "succession") -> pd.DataFrame:
    """Every block size BH can use for ``V`` dense ids: block lengths, rows and compression ratio.

    Succession is sized by ``block_bits`` (1 .. n), Skip by ``num_blocks`` (n .. 1); ``n`` is
    ``ceil(log2 V)``. Rows are those of the offset layout, ``sum_j 2**len_j``.

    Example:
        >>> block_size_table(1000, strategy="succession").head(3).to_string(index=False)
        ' block_bits  num_blocks block_lengths  rows  ratio\\n          1          10   1 1 1 1 1 1 1 1 1 1    20   50.0\\n          2           5           2 2 2 2 2    20   50.0\\n          3           4         3 3 3 1    26   38.5'
    """
    n = bits_needed(check_int(num_embeddings, "num_embeddings", low=1))
    key = "block_bits" if strategy == "succession" else "num_blocks"
    sizes = range(1, n + 1) if strategy == "succession" else range(n, 0, -1)
    records = []
    for size in sizes:
        spec = {"strategy": strategy, key: size}
        lengths = block_lengths(n, **spec)
        plan = plan_embedding("bh", num_embeddings, embedding_dim, num_bits=n, **spec)
        records.append({"block_bits": max(lengths), "num_blocks": len(lengths),
                        "block_lengths": " ".join(map(str, lengths)), "rows": plan.num_rows,
                        "ratio": round(plan.achieved_ratio, 1)})
    return pd.DataFrame(records)


def digits_table(value: int, num_bits: int, *, block_bits: int) -> pd.DataFrame:
    """BH-Succession as base-``2**t`` digits: a many-way quotient-remainder split of ``value``.

    Block ``j`` of Succession with ``t = block_bits`` equals ``(value // 2**(t*j)) % 2**t``: the
    Q-R trick (Shi et al., KDD 2020) applied again to each quotient with every divisor ``2**t``.
    ``bh_block`` is computed by :func:`bhlib.bh_indices` (shared layout: no offset).

    Example:
        >>> digits_table(1000, 10, block_bits=4).to_string(index=False)
        ' block  divisor  quotient  digit  bh_block  equal\\n     0        1      1000      8         8   True\\n     1       16        62     14        14   True\\n     2      256         3      3         3   True'
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


def permutation_collisions(num_bits: int, *, block_bits: int) -> pd.DataFrame:
    """Ids whose *shared-layout* rows are permutations of each other (same vector under sum).

    Every id in ``[0, 2**num_bits)`` (``num_bits <= 16``) is cut by Succession into blocks; in the
    shared layout all blocks read one table, so sum fusion sees only the multiset of rows. The
    offset layout gives the same ids different rows.

    Example:
        >>> permutation_collisions(4, block_bits=2).head(4).to_string(index=False)
        ' group  id bits shared_rows offset_rows\\n     0   1 0001      (1, 0)      (1, 4)\\n     0   4 0100      (0, 1)      (0, 5)\\n     1   2 0010      (2, 0)      (2, 4)\\n     1   8 1000      (0, 2)      (0, 6)'
    """
    n = check_int(num_bits, "num_bits", low=1, high=16)
    ids = np.arange(1 << n)
    spec = {"num_bits": n, "strategy": "succession", "block_bits": block_bits}
    shared = bh_indices(ids, layout="shared", **spec)  # (2**n, K)
    offset = bh_indices(ids, layout="offset", **spec)  # (2**n, K)
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(np.sort(shared, axis=1).tolist()):
        groups.setdefault(tuple(row), []).append(i)
    records, g = [], 0
    for members in sorted((m for m in groups.values() if len(m) > 1), key=lambda m: m[0]):
        for i in members:
            records.append({"group": g, "id": i, "bits": format_bits(i, n),
                            "shared_rows": tuple(shared[i].tolist()),
                            "offset_rows": tuple(offset[i].tolist())})
        g += 1
    return pd.DataFrame(records, columns=["group", "id", "bits", "shared_rows", "offset_rows"])


def birthday_table(values: Sequence[Any], bits: Sequence[int], *, field: str | None = None,
                   seed: int = 0) -> pd.DataFrame:
    """Hash collisions after truncation to ``n`` bits: the birthday estimate against a count.

    ``expected_pairs = V (V - 1) / 2**(n + 1)`` for ``V`` distinct values; ``measured_pairs``
    counts pairs of values whose hash IDs share their low ``n`` bits; ``values_colliding`` counts
    the values involved. BH keeps hash IDs apart, but it cannot undo these collisions.

    Example:
        >>> t = birthday_table([f"v{i}" for i in range(1000)], [10, 20, 30])
        >>> t["expected_pairs"].round(3).tolist(), t["measured_pairs"].tolist()
        ([487.8, 0.476, 0.0], [474, 0, 0])
    """
    h = hash_ids(values, seed=seed, field=field)
    v = len(np.unique(h))
    if v != len(h):
        raise ValueError(f"values must be distinct and hash apart on 63 bits; {len(h) - v} repeat")
    records = []
    for n in bits:
        n = check_int(n, "bits", low=1, high=63)
        _, counts = np.unique(h & ((1 << n) - 1), return_counts=True)
        records.append({"num_bits": n, "expected_pairs": v * (v - 1) / 2 ** (n + 1),
                        "measured_pairs": int((counts * (counts - 1) // 2).sum()),
                        "values_colliding": int(counts[counts > 1].sum())})
    return pd.DataFrame(records)


def collision_table(num_embeddings: int, embedding_dim: int, ratio: float,
                    methods: Sequence[str] = tuple(METHODS)) -> pd.DataFrame:
    """Every method at one compression ratio (equal memory): configuration and collision counts.

    Counts run over all ``V`` dense ids (:func:`bhlib.sizes.size_table`). ``shared_tuple``: ids
    whose whole index tuple is another id's (they can never be told apart); ``shared_vector``:
    ids whose fused vector equals another's by construction; ``shared_a_row``: ids that share at
    least one row (and its gradient) with another id. Unreachable ratios are marked, not replaced.

    Example:
        >>> collision_table(1000, 8, 10, ["hash", "qr", "bh-succession"]).to_string(index=False)
        '       method  ratio                   config  rows  shared_tuple  shared_vector  shared_a_row  max_ids_per_row\\n         hash   10.0          num_buckets=100   100           951            951          1000               19\\n           qr   10.0       num_collisions=50    70             0              0          1000               50\\nbh-succession   15.6 num_bits=10 block_bits=5    64             0              0          1000               32'
    """
    from .sizes import size_table  # the experiment-grade table this view trims
    t = size_table(num_embeddings, embedding_dim, ratios=(ratio,), methods=methods,
                   progress=False)
    out = pd.DataFrame({"method": t["method"]})
    reached = t["rows"].notna() if "rows" in t else pd.Series(False, index=t.index)
    out["ratio"] = t.get("achieved_ratio")
    out["config"] = t.get("config").where(reached, "unreachable") if "config" in t \
        else "unreachable"
    for src, dst in (("rows", "rows"), ("ids_sharing_tuple", "shared_tuple"),
                     ("ids_sharing_vector", "shared_vector"), ("ids_sharing_a_row", "shared_a_row"),
                     ("max_ids_per_row", "max_ids_per_row")):
        out[dst] = t[src] if src in t else pd.array([pd.NA] * len(t), dtype="Int64")
    return out

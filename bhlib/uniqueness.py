"""Which ids a scheme keeps apart: hash collisions, equal-memory collision counts, shared-layout
permutations and the rows unseen ids read (pure functions returning small tables).

Yan et al. (*Binary Code based Hash Embedding for Web-scale Applications*, CIKM 2021,
arXiv 2109.02471) claim that BH, unlike the hashing trick, keeps every id distinct. These tables
count that claim and its caveats with the library's own functions (:func:`bhlib.hash_ids`,
:func:`bhlib.bh_indices`, :func:`bhlib.plan_embedding`, :func:`bhlib.collision_report`), for the
notebooks (03 and 06), the widgets and the tests.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._checks import check_int
from .codes import bh_indices, format_bits
from .embeddings import METHODS, BudgetError, plan_embedding
from .hashing import hash_ids

__all__ = ["birthday_table", "permutation_collisions", "collision_table", "unseen_rows_table"]


def permutation_collisions(num_bits: int, *, block_bits: int) -> pd.DataFrame:
    """Ids whose *shared-layout* rows are permutations of each other (same vector under sum).

    Every id in ``[0, 2**num_bits)`` (``num_bits <= 16``) is cut by Succession into blocks; in the
    shared layout all blocks read one table, so sum fusion sees only the multiset of rows. The
    offset layout gives the same ids different rows.

    Example:
        >>> print(permutation_collisions(4, block_bits=2).head(4).to_string(index=False))
         group  id bits shared_rows offset_rows
             0   1 0001      (1, 0)      (1, 4)
             0   4 0100      (0, 1)      (0, 5)
             1   2 0010      (2, 0)      (2, 4)
             1   8 1000      (0, 2)      (0, 6)
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
        >>> t["expected_pairs"].round(1).tolist(), t["measured_pairs"].tolist()
        ([487.8, 0.5, 0.0], [479, 0, 0])
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
        >>> t = collision_table(1000, 8, 10, ["hash", "qr", "bh-succession"])
        >>> print(t[["method", "ratio", "config", "rows", "shared_tuple"]].to_string(index=False))
               method  ratio                   config  rows  shared_tuple
                 hash   10.0          num_buckets=100   100          1000
                   qr   10.4        num_collisions=12    96             0
        bh-succession   12.5 num_bits=10 block_bits=6    80             0
    """
    from .sizes import size_table  # the experiment-grade table this view trims
    names = {"method": "method", "achieved_ratio": "ratio", "config": "config", "rows": "rows",
             "ids_sharing_tuple": "shared_tuple", "ids_sharing_vector": "shared_vector",
             "ids_sharing_a_row": "shared_a_row", "max_ids_per_row": "max_ids_per_row"}
    t = size_table(num_embeddings, embedding_dim, ratios=(ratio,), methods=methods,
                   progress=False).reindex(columns=list(names))
    t["config"] = t["config"].astype(object).where(t["config"].notna(), "unreachable")
    return t.rename(columns=names)


def unseen_rows_table(data: Any, field: str, *, ratio: float,
                      methods: Sequence[str] = ("full", "hash", "multi_hash", "qr", "bh-succession",
                                                "bh-skip"),
                      baseline: str = "full", embedding_dim: int = 16) -> pd.DataFrame:
    """What an id absent from the training split reads: rows some training id has trained, or not.

    An id that never appears in training gets no gradient of its own. With a full table its row
    keeps its random initialization; a compressed scheme may instead send it to rows that training
    ids share, so it gets *some* learned signal. For every test id of ``field`` unseen in training
    this counts the share of its lookups that hit a row read by at least one training id, and the
    ids whose rows are all trained (or none). ``baseline`` is sized without a budget (1x), the
    other methods at ``ratio``; a ratio a scheme cannot reach is marked, not replaced.

    Args:
        data: a :class:`bhlib.data.CTRDataset` with a split (e.g. MovieLens with ``split="time"``).
        field: a single-valued field of ``data``.
        ratio: target compression ratio of the non-baseline methods.
        methods: keys of :data:`bhlib.METHODS`.
        baseline: the method sized without a budget.
        embedding_dim: ``D`` (does not change which rows are read).

    Example:
        >>> from bhlib.data import CTRDataset
        >>> ds = CTRDataset("toy", ["u"], np.arange(16).reshape(16, 1), np.ones(16, np.float32),
        ...                 {"u": 16}, {"train": np.arange(14), "valid": np.array([14]),
        ...                            "test": np.array([15])})
        >>> t = unseen_rows_table(ds, "u", ratio=2, methods=["full", "bh-succession"])
        >>> t[["method", "rows", "lookups_trained", "ids_no_row_trained"]].values.tolist()
        [['full', 16, 0.0, 1], ['bh-succession', 8, 1.0, 0]]
    """
    if field not in data.fields:
        raise ValueError(f"field must be one of the single-valued fields {data.fields}, "
                         f"got {field!r}")
    column = data.X[:, data.fields.index(field)]  # (N,)
    train_ids = np.unique(column[data.splits["train"]])
    unseen = np.setdiff1d(np.unique(column[data.splits["test"]]), train_ids)
    v = int(data.cardinalities[field])
    records = []
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"methods must be keys of bhlib.METHODS {list(METHODS)}, "
                             f"got {method!r}")
        name, kwargs = METHODS[method]
        row = {"method": method, "unseen_ids": len(unseen)}
        try:
            plan = plan_embedding(name, v, embedding_dim,
                                  ratio=None if method == baseline else ratio, **kwargs)
        except BudgetError:
            records.append({**row, "ratio": np.nan, "rows": pd.NA})
            continue
        emb = plan.build()
        trained = np.zeros(plan.num_rows, dtype=bool)  # (R,) rows read by some training id
        trained[emb.indices(train_ids).numpy().ravel()] = True
        hit = trained[emb.indices(unseen).numpy()]  # (U, K)
        records.append({**row, "ratio": round(plan.achieved_ratio, 1), "rows": plan.num_rows,
                        "lookups_trained": round(float(hit.mean()), 3) if hit.size else np.nan,
                        "ids_all_rows_trained": int(hit.all(axis=1).sum()),
                        "ids_no_row_trained": int((~hit).all(axis=1).sum())})
    cols = ["method", "ratio", "rows", "unseen_ids", "lookups_trained", "ids_all_rows_trained",
            "ids_no_row_trained"]
    out = pd.DataFrame(records).reindex(columns=cols)
    for c in ("rows", "unseen_ids", "ids_all_rows_trained", "ids_no_row_trained"):
        out[c] = out[c].astype("Int64")
    return out

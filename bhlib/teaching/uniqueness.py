"""Which ids a scheme keeps apart (notebooks 03 and 06): every method at equal memory, the
shared-layout permutations, and the rows unseen ids read.

Yan et al. (*Binary Code based Hash Embedding for Web-scale Applications*, CIKM 2021,
arXiv 2109.02471) claim that BH, unlike the hashing trick, keeps every id distinct. These tables
count that claim and its caveats with the library's own functions
(:func:`bhlib.collisions.equal_memory_table`, :func:`bhlib.bh_indices`,
:func:`bhlib.plan_embedding`), for the notebooks, the widgets and the tests.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_bool, check_choice, check_choices, check_int
from ..codes import format_bits
from ..collisions import equal_memory_table
from ..embeddings import COMPARED_METHODS, LESSON_METHODS, METHODS, BudgetError, plan_embedding
from ..indices import bh_indices

__all__ = ["collision_table", "permutation_collisions", "unseen_rows_table"]

# the columns of equal_memory_table a lesson on uniqueness shows
_COLLISION_COLUMNS = ["method", "achieved_ratio", "config", "num_rows", "ids_sharing_tuple",
                      "ids_sharing_vector", "ids_sharing_a_row", "max_ids_per_row"]


def collision_table(num_embeddings: int, embedding_dim: int, ratio: float,
                    methods: Sequence[str] = LESSON_METHODS, *,
                    keep_unreachable: bool = False) -> pd.DataFrame:
    """Every method at one target ratio (equal memory): configuration and collision counts.

    The collision columns of :func:`bhlib.collisions.equal_memory_table`, counted over all ``V``
    dense ids: ``ids_sharing_tuple``, ids whose whole index tuple is another id's (they can never
    be told apart); ``ids_sharing_vector``, ids whose fused vector equals another's by
    construction; ``ids_sharing_a_row``, ids that share at least one row (and its gradient) with
    another id. A method that cannot reach the ratio is never replaced by another size: its row
    is left out and its name listed in ``t.attrs["unreachable"]`` (with ``keep_unreachable``,
    kept as a row whose ``config`` is ``"unreachable"``).

    Example:
        >>> t = collision_table(1000, 8, 10, ["full", "hash", "qr", "bh-succession"])
        >>> t.attrs["unreachable"]
        ['full']
        >>> print(t[["method", "achieved_ratio", "config", "num_rows", "ids_sharing_tuple"]]
        ...       .to_string(index=False))
               method  achieved_ratio                   config  num_rows  ids_sharing_tuple
                 hash            10.0          num_buckets=100       100               1000
                   qr            10.4        num_collisions=12        96                  0
        bh-succession            12.5 num_bits=10 block_bits=6        80                  0
    """
    check_bool(keep_unreachable, "keep_unreachable")
    t = equal_memory_table(num_embeddings, embedding_dim, target_ratios=(ratio,),
                           methods=methods, progress=False).reindex(columns=_COLLISION_COLUMNS)
    out = t["config"].isna()
    unreachable = t.loc[out, "method"].tolist()
    if keep_unreachable:
        t["config"] = t["config"].astype(object).where(~out, "unreachable")
    else:
        t = t[~out].reset_index(drop=True)
        t = t.astype({c: "int64" for c in _COLLISION_COLUMNS[3:] if c in t})
    t.attrs["unreachable"] = unreachable
    return t


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
    records = []
    confused = sorted((m for m in groups.values() if len(m) > 1), key=lambda m: m[0])
    for g, members in enumerate(confused):
        for i in members:
            records.append({"group": g, "id": i, "bits": format_bits(i, n),
                            "shared_rows": tuple(shared[i].tolist()),
                            "offset_rows": tuple(offset[i].tolist())})
    return pd.DataFrame(records, columns=["group", "id", "bits", "shared_rows", "offset_rows"])


def unseen_rows_table(data: Any, field: str, *, ratio: float,
                      methods: Sequence[str] = COMPARED_METHODS,
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
        methods: keys of :data:`bhlib.METHODS` (default: the paper's comparison).
        baseline: the method sized without a budget.
        embedding_dim: ``D`` (does not change which rows are read).

    Example:
        >>> from bhlib.data import CTRDataset
        >>> ds = CTRDataset(name="toy", fields=["u"], X=np.arange(16).reshape(16, 1),
        ...                 y=np.ones(16, np.float32), cardinalities={"u": 16},
        ...                 splits={"train": np.arange(14), "valid": np.array([14]),
        ...                         "test": np.array([15])})
        >>> t = unseen_rows_table(ds, "u", ratio=2, methods=["full", "bh-succession"])
        >>> t[["method", "num_rows", "lookups_trained", "ids_no_row_trained"]].values.tolist()
        [['full', 16, 0.0, 1], ['bh-succession', 8, 1.0, 0]]
    """
    check_choice(field, "field", data.fields)
    methods = check_choices(methods, "methods", METHODS)
    column = data.X[:, data.fields.index(field)]  # (N,)
    train_ids = np.unique(column[data.splits["train"]])
    unseen = np.setdiff1d(np.unique(column[data.splits["test"]]), train_ids)
    v = int(data.cardinalities[field])
    records = []
    for method in methods:
        name, kwargs = METHODS[method]
        row = {"method": method, "num_unseen_ids": len(unseen)}
        try:
            plan = plan_embedding(name, v, embedding_dim,
                                  ratio=None if method == baseline else ratio, **kwargs)
        except BudgetError:
            records.append({**row, "achieved_ratio": np.nan, "num_rows": pd.NA})
            continue
        emb = plan.build_for_indices()
        trained = np.zeros(plan.num_rows, dtype=bool)  # (R,) rows read by some training id
        trained[emb.indices(train_ids).numpy().ravel()] = True
        hit = trained[emb.indices(unseen).numpy()]  # (U, K)
        records.append({**row, "achieved_ratio": round(plan.achieved_ratio, 1),
                        "num_rows": plan.num_rows,
                        "lookups_trained": round(float(hit.mean()), 3) if hit.size else np.nan,
                        "ids_all_rows_trained": int(hit.all(axis=1).sum()),
                        "ids_no_row_trained": int((~hit).all(axis=1).sum())})
    cols = ["method", "achieved_ratio", "num_rows", "num_unseen_ids", "lookups_trained",
            "ids_all_rows_trained", "ids_no_row_trained"]
    out = pd.DataFrame(records).reindex(columns=cols)
    for c in ("num_rows", "num_unseen_ids", "ids_all_rows_trained", "ids_no_row_trained"):
        out[c] = out[c].astype("Int64")
    return out

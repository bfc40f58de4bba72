"""Collision tables of bhlib.uniqueness against brute force: pair counts, collision_report,
the schemes' own indices."""
import itertools

import numpy as np
import pandas as pd
import pytest

import bhlib
from bhlib import teaching
from bhlib.data import CTRDataset


# ---------------------------------------------------------------- permutation collisions
def test_permutation_collisions_small_case():
    t = teaching.permutation_collisions(4, block_bits=2)
    groups = sorted(sorted(g["id"].tolist()) for _, g in t.groupby("group"))
    assert groups == [[1, 4], [2, 8], [3, 12], [6, 9], [7, 13], [11, 14]]
    assert len({r for r in t["offset_rows"]}) == len(t)  # offsets: distinct row sets


@pytest.mark.parametrize("n,t", [(4, 1), (4, 2), (6, 2), (8, 3), (10, 4), (12, 5)])
def test_permutation_collisions_agree_with_collision_report(n, t):
    table = teaching.permutation_collisions(n, block_bits=t)
    emb = bhlib.BinaryHashEmbedding(2**n, 2, num_bits=n, block_bits=t, layout="shared")
    assert len(table) == bhlib.collision_report(emb, range(2**n)).ids_sharing_vector
    for _, g in table.groupby("group"):  # within a group: same multiset of shared rows
        assert len({tuple(sorted(r)) for r in g["shared_rows"]}) == 1


def test_permutation_collisions_refuses_large_codes():
    with pytest.raises(ValueError, match="num_bits"):
        teaching.permutation_collisions(17, block_bits=4)


# ---------------------------------------------------------------- birthday
def test_birthday_table_counts_pairs_by_brute_force():
    values = [f"v{i}" for i in range(300)]
    h = bhlib.hash_ids(values).tolist()
    t = teaching.birthday_table(values, [4, 8, 12, 63])
    for row in t.itertuples():
        mask = 2**row.num_bits - 1
        pairs = [(a, b) for a, b in itertools.combinations(h, 2) if a & mask == b & mask]
        assert row.measured_pairs == len(pairs)
        assert row.values_colliding == len({x for p in pairs for x in p})
        assert row.expected_pairs == pytest.approx(300 * 299 / 2 ** (row.num_bits + 1))
    assert t["measured_pairs"].iloc[-1] == 0


def test_birthday_table_bad_input():
    with pytest.raises(ValueError, match="distinct"):
        teaching.birthday_table(["a", "a"], [8])
    with pytest.raises(ValueError, match="bits"):
        teaching.birthday_table(["a", "b"], [0])


# ---------------------------------------------------------------- collision_table
def test_collision_table_counts_and_unreachable():
    t = teaching.collision_table(1682, 16, 10).set_index("method")
    assert list(t.index) == [m for m in bhlib.LESSON_METHODS if m != "full"]
    assert t.attrs["unreachable"] == ["full"]  # a full table is never 10x smaller
    kept = teaching.collision_table(1682, 16, 10, keep_unreachable=True).set_index("method")
    assert list(kept.index) == list(bhlib.LESSON_METHODS)
    assert kept.loc["full", "config"] == "unreachable" and kept.loc["full", "num_rows"] is pd.NA
    for m in ("qr", "bh-succession", "bh-skip"):
        assert t.loc[m, "ids_sharing_tuple"] == 0 and t.loc[m, "ids_sharing_vector"] == 0
    assert (t.loc["bh-shared", "ids_sharing_tuple"] == 0
            and t.loc["bh-shared", "ids_sharing_vector"] > 0)
    # hash: brute force over the scheme's own indices
    emb = bhlib.make_embedding("hash", 1682, 16, ratio=10)
    rows = emb.indices(np.arange(1682)).numpy()[:, 0]
    counts = np.bincount(rows)
    assert t.loc["hash", "ids_sharing_tuple"] == int(counts[rows].__ge__(2).sum())
    assert t.loc["hash", "num_rows"] == emb.num_rows
    assert (t["achieved_ratio"].dropna() >= 10).all()  # nobody exceeds the budget
    t50 = teaching.collision_table(1682, 16, 50)
    assert t50.attrs["unreachable"] == ["full", "qr"] and "qr" not in set(t50["method"])
    assert t50["num_rows"].dtype == np.int64  # no missing values left: plain integers


# ---------------------------------------------------------------- unseen ids
def toy_time_split(V=64, seen=40):
    """Ids 0..seen-1 in train, ids seen..V-1 only in test."""
    X = np.arange(V, dtype=np.int64).reshape(V, 1)
    splits = {"train": np.arange(seen), "valid": np.array([seen]), "test": np.arange(seen + 1, V)}
    return CTRDataset(name="toy", fields=["u"], X=X, y=np.ones(V, np.float32),
                      cardinalities={"u": V}, splits=splits)


def test_unseen_rows_table_brute_force():
    ds = toy_time_split()
    t = teaching.unseen_rows_table(ds, "u", ratio=4).set_index("method")
    unseen = np.arange(41, 64)
    assert (t["num_unseen_ids"] == len(unseen)).all()
    assert t.loc["full", "lookups_trained"] == 0.0 and t.loc["full", "ids_no_row_trained"] == 23
    for method in t.index:
        if pd.isna(t.loc[method, "achieved_ratio"]):
            continue
        name, kw = bhlib.METHODS[method]
        ratio = None if method == "full" else 4
        emb = bhlib.plan_embedding(name, 64, 16, ratio=ratio, **kw).build()
        trained = {int(r) for r in emb.indices(np.arange(40)).numpy().ravel()}
        hits = [[int(r) in trained for r in row] for row in emb.indices(unseen).numpy()]
        assert t.loc[method, "lookups_trained"] == round(float(np.mean(hits)), 3)
        assert t.loc[method, "ids_all_rows_trained"] == sum(all(h) for h in hits)
        assert t.loc[method, "ids_no_row_trained"] == sum(not any(h) for h in hits)


def test_unseen_rows_table_marks_unreachable_and_bad_input():
    ds = toy_time_split()
    t = teaching.unseen_rows_table(ds, "u", ratio=40, methods=["full", "qr"]).set_index("method")
    assert pd.isna(t.loc["qr", "achieved_ratio"]) and pd.isna(t.loc["qr", "num_rows"])
    with pytest.raises(ValueError, match="field"):
        teaching.unseen_rows_table(ds, "nope", ratio=4)
    with pytest.raises(ValueError, match="methods"):
        teaching.unseen_rows_table(ds, "u", ratio=4, methods=["nope"])

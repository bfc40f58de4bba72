"""Tests of the CTRDataset container and the shared helpers (encode_ids, encode_bags, splits)."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bhlib.data import CTRDataset, encode_ids
from bhlib.data.encoding import encode_bags, random_split, spawn_seeds, time_split


def toy(**changes):
    """6 rows, fields u (card 4) and i (card 3), a bag g (card 2), 2 dense columns."""
    kw = dict(
        name="toy", fields=["u", "i"],
        X=np.array([[0, 0], [1, 1], [2, 0], [0, 2], [3, 1], [1, 0]], dtype=np.int64),
        y=np.array([1, 0, 1, 0, 1, 0], dtype=np.float32),
        cardinalities={"u": 4, "i": 3, "g": 2},
        splits={"train": np.array([0, 1, 2], dtype=np.int64),
                "valid": np.array([3], dtype=np.int64),
                "test": np.array([4, 5], dtype=np.int64)},
        bags={"g": np.array([[0, 1], [0, -1], [-1, -1], [1, -1], [1, 0], [0, -1]], dtype=np.int64)},
        dense=np.zeros((6, 2), dtype=np.float32), description="hand-made")
    kw.update(changes)
    return CTRDataset(**kw)


# ---------------------------------------------------------------- encode_ids
@pytest.mark.parametrize("order", ["random", "sorted", "first_seen"])
@pytest.mark.parametrize("values", [["b", "a", "b", "c"], np.array([30, 10, 30, 20]),
                                    pd.Series(["x", "y", "x"]), (1.5, 2.5, 1.5)])
def test_encode_ids_round_trip(values, order):
    codes, vocab = encode_ids(values, order=order)
    assert codes.dtype == np.int64 and codes.shape == (len(values),)
    assert sorted(set(codes.tolist())) == list(range(len(vocab)))
    assert list(vocab[codes]) == list(values)


def test_encode_ids_orders():
    vals = ["c", "a", "b", "a"]
    assert encode_ids(vals, order="sorted")[1].tolist() == ["a", "b", "c"]
    assert encode_ids(vals, order="first_seen")[1].tolist() == ["c", "a", "b"]
    # numeric, not string sort
    assert encode_ids([10, 9, 100], order="sorted")[0].tolist() == [1, 0, 2]


def test_encode_ids_random_is_seeded_and_independent_of_row_order():
    vals = np.arange(1000)
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(vals)
    c1, v1 = encode_ids(vals, seed=3)
    c2, v2 = encode_ids(shuffled, seed=3)
    assert (v1 == v2).all()  # same value -> same id whatever the row order
    assert (encode_ids(vals, seed=3)[0] == c1).all()  # deterministic
    assert (encode_ids(vals, seed=4)[0] != c1).mean() > 0.9  # another seed, another numbering
    assert abs(np.corrcoef(vals, c1)[0, 1]) < 0.1  # no trace of the raw order


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-5, 5), max_size=40), st.integers(0, 2**32))
def test_encode_ids_property(values, seed):
    codes, vocab = encode_ids(values, seed=seed)
    assert len(vocab) == len(set(values))
    assert list(vocab[codes]) == values
    if values:
        assert codes.min() >= 0 and codes.max() < len(vocab)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=3), min_size=1, max_size=30))
def test_encode_ids_property_strings(values):
    codes, vocab = encode_ids(values, order="first_seen")
    assert list(vocab[codes]) == values


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(values=["a", None]), ValueError, "missing"),
    (dict(values=[1.0, np.nan]), ValueError, "missing"),
    (dict(values=["a"], order="zipf"), ValueError, "order"),
    (dict(values=["a"], seed=-1), ValueError, "seed"),
    (dict(values=["a"], seed=1.0), TypeError, "seed"),
    (dict(values="abc"), TypeError, "values"),
    (dict(values=np.zeros((2, 2))), ValueError, "1-D"),
    (dict(values=[[1], [2]]), TypeError, "hashable"),
])
def test_encode_ids_bad_input(kwargs, err, match):
    values = kwargs.pop("values")
    with pytest.raises(err, match=match):
        encode_ids(values, **kwargs)


def test_encode_bags():
    bags, vocab = encode_bags(["a b a", None, "", "c  b"], order="sorted")
    assert vocab.tolist() == ["a", "b", "c"]
    assert bags.tolist() == [[0, 1], [-1, -1], [-1, -1], [2, 1]]  # duplicate 'a' counted once
    assert bags.dtype == np.int64


# ---------------------------------------------------------------- splits
@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_random_split_partitions(n):
    s = random_split(n, seed=1)
    allrows = np.concatenate([s["train"], s["valid"], s["test"]])
    assert sorted(allrows.tolist()) == list(range(n))
    for idx in s.values():
        assert idx.dtype == np.int64 and (np.diff(idx) > 0).all()
    if n == 1000:
        assert [len(s[k]) for k in ("train", "valid", "test")] == [800, 100, 100]
    assert all((random_split(n, seed=1)[k] == s[k]).all() for k in s)


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.8, 0.1, 0.2), (1.2, -0.1, -0.1), ("a", 1, 0)])
def test_split_bad_fractions(fractions):
    with pytest.raises((ValueError, TypeError), match="fractions"):
        random_split(10, seed=0, fractions=fractions)


def test_split_bad_n_and_timestamps():
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        random_split(-1, seed=0)
    with pytest.raises(TypeError, match="n must be an int"):
        random_split(10.0, seed=0)
    with pytest.raises(TypeError, match="timestamps"):
        time_split(np.array(["a", "b"]))


def test_time_split_orders_by_time_stably():
    ts = np.array([3, 1, 2, 2, 5, 4, 2, 0, 9, 8])
    s = time_split(ts)
    assert [len(s[k]) for k in ("train", "valid", "test")] == [7, 1, 2]
    assert ts[s["train"]].max() <= ts[s["valid"]].min() <= ts[s["test"]].min()
    assert s["test"].tolist() == [8, 9]
    with pytest.raises(ValueError, match="NaN"):
        time_split([1.0, np.nan])


def test_spawn_seeds():
    assert spawn_seeds(0, 4) == spawn_seeds(0, 4)
    assert len(set(spawn_seeds(0, 4))) == 4 and spawn_seeds(0, 2) != spawn_seeds(1, 2)


# ---------------------------------------------------------------- CTRDataset
def test_container_basics():
    ds = toy()
    assert ds.num_rows == 6 and ds.positive_rate == 0.5
    assert "toy" in repr(ds) and "rows=6" in repr(ds)


def test_summary(capsys):
    table = toy().summary()
    out = capsys.readouterr().out
    assert "hand-made" in out and "train 3" in out
    assert table.to_dict("records") == [
        {"field": "u", "kind": "single", "cardinality": 4, "seen_in_train": 3},
        {"field": "i", "kind": "single", "cardinality": 3, "seen_in_train": 2},
        {"field": "g", "kind": "bag", "cardinality": 2, "seen_in_train": 2},
    ]
    toy().summary(verbose=False)
    assert capsys.readouterr().out == ""


def test_unseen_mask():
    ds = toy()  # train rows 0..2 see u {0, 1, 2}, i {0, 1}
    assert ds.unseen_mask("test").tolist() == [True, False]  # row 4 has u=3
    assert ds.unseen_mask("valid").tolist() == [True]  # row 3 has i=2
    assert ds.unseen_mask("valid", fields=["u"]).tolist() == [False]
    assert ds.unseen_mask("test", fields="g").tolist() == [False, False]
    assert not ds.unseen_mask("train").any()
    with pytest.raises(ValueError, match="split"):
        ds.unseen_mask("dev")
    with pytest.raises(ValueError, match="unknown field 'zz'"):
        ds.unseen_mask("test", fields=["zz"])


def _bad_splits():
    return {"train": np.array([0, 1, 2]), "valid": np.array([2]), "test": np.array([4, 5])}


@pytest.mark.parametrize("changes, err, match", [
    (dict(X=np.zeros((6, 2), dtype=np.int32)), TypeError, "int64"),
    (dict(X=np.zeros((6, 3), dtype=np.int64)), ValueError, "3 columns"),
    (dict(y=np.ones(6)), TypeError, "float32"),
    (dict(y=np.array([0, 1, 2, 0, 0, 0], np.float32)), ValueError, "found 2.0 at row 2"),
    (dict(X=np.array([[0, 0]] * 5 + [[4, 0]], dtype=np.int64)), ValueError, "field 'u' holds id 4"),
    (dict(X=np.array([[0, 0]] * 5 + [[0, -1]], dtype=np.int64)), ValueError,
     "field 'i' holds id -1"),
    (dict(cardinalities={"u": 4, "i": 3}), ValueError, "missing \\['g'\\]"),
    (dict(cardinalities={"u": 4, "i": 3, "g": 2, "x": 1}), ValueError, "extra \\['x'\\]"),
    (dict(cardinalities={"u": 4, "i": 0, "g": 2}), ValueError, "cardinalities\\['i'\\].*0"),
    (dict(bags={"g": np.full((6, 2), 2, dtype=np.int64)}), ValueError, "bag field 'g' holds id 2"),
    (dict(bags={"g": np.zeros((5, 2), dtype=np.int64)}), TypeError, "bags\\['g'\\]"),
    (dict(dense=np.zeros((6, 2))), TypeError, "dense"),
    (dict(dense=np.full((6, 1), np.nan, np.float32)), ValueError, "non-finite"),
    (dict(splits=_bad_splits()), ValueError, "row 2 is in more than one split"),
    (dict(splits={"train": np.array([0, 1]), "valid": np.array([3]), "test": np.array([4, 5])}),
     ValueError, "row 2 is in no split"),
    (dict(splits={"train": np.array([1, 0, 2]), "valid": np.array([3]), "test": np.array([4, 5])}),
     ValueError, "strictly increasing"),
    (dict(splits={"train": np.array([0, 1, 2]), "test": np.array([3, 4, 5])}), ValueError, "keys"),
    (dict(splits={"train": np.array([0, 1, 2.0]), "valid": np.array([3]),
                  "test": np.array([4, 5])}),
     TypeError, "int64"),
    (dict(fields=["u", "u"]), ValueError, "unique"),
    (dict(X=np.zeros((0, 2), np.int64), y=np.zeros(0, np.float32)), ValueError, "no rows"),
])
def test_container_validation(changes, err, match):
    with pytest.raises(err, match=match):
        toy(**changes)

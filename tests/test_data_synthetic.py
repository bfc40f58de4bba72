"""Tests of the synthetic large-vocabulary generator: determinism, Zipf skew, planted signal,
and that the id numbering leaks neither cluster nor popularity to the high bits of an id."""
import dataclasses

import numpy as np
import pytest

from bhlib.data import SyntheticConfig, make_synthetic
from bhlib.data.synthetic import planted_structure

SMALL = SyntheticConfig(num_rows=20_000, vocab_sizes=(5000, 200, 10), num_clusters=8)


@pytest.fixture(scope="module")
def small():
    return make_synthetic(SMALL)


def top_bits_lookup_accuracy(target_of_id: np.ndarray, bits: int = 8, seed: int = 0) -> float:
    """Held-out accuracy of the best lookup table (top ``bits`` bits of an id) -> target class.

    Fit the majority class of each top-bits bucket on a random half of the ids, score it on the
    other half. If the numbering carries no information about the target this is chance level
    (the majority class rate, about 1/K); if it does, BH's high-bit block would see it.
    """
    V = len(target_of_id)
    width = max(int(V - 1).bit_length(), bits)
    bucket = np.arange(V) >> (width - bits)
    K = int(target_of_id.max()) + 1
    fit = np.random.default_rng(seed).random(V) < 0.5
    counts = np.bincount(bucket[fit] * K + target_of_id[fit],
                         minlength=(2**bits) * K).reshape(2**bits, K)
    guess = counts.argmax(axis=1)
    return float((guess[bucket[~fit]] == target_of_id[~fit]).mean())


def test_shapes_and_metadata(small):
    assert small.name == "synthetic-20k" and small.X.shape == (20_000, 3)
    assert small.fields == ["f0", "f1", "f2"]
    assert small.cardinalities == {"f0": 5000, "f1": 200, "f2": 10}
    assert "SYNTHETIC" in small.description and "not real data" in small.description
    assert [len(small.splits[k]) for k in ("train", "valid", "test")] == [16_000, 2_000, 2_000]


def test_deterministic_per_seed(small):
    again = make_synthetic(SMALL)
    assert (again.X == small.X).all() and (again.y == small.y).all()
    assert all((again.splits[k] == small.splits[k]).all() for k in small.splits)
    other = make_synthetic(SMALL, seed=1)
    assert (other.X != small.X).mean() > 0.5 and (other.y != small.y).any()


def test_fields_are_independent_streams():
    a = planted_structure(SMALL)
    b = planted_structure(dataclasses.replace(SMALL, vocab_sizes=(5000, 300, 10)))
    assert ((a.cluster_of_id[0] == b.cluster_of_id[0]).all()
            and (a.rank_of_id[2] == b.rank_of_id[2]).all())


def test_zipf_skew(small):
    truth = planted_structure(SMALL)
    V = 5000
    head = truth.rank_of_id[0][small.X[:, 0]] < V // 100  # rows whose id is among the top-1% ranks
    w = np.arange(1, V + 1) ** -1.1
    expected = w[: V // 100].sum() / w.sum()
    assert expected > 0.4
    assert abs(head.mean() - expected) < 0.02
    counts = np.sort(np.bincount(small.X[:, 0], minlength=V))[::-1]
    assert counts[: V // 100].sum() / len(small.X) > 0.4  # top 1% of ids hold > 40% of rows
    flat = make_synthetic(SMALL, zipf_exponent=0.0)
    counts = np.sort(np.bincount(flat.X[:, 0], minlength=V))[::-1]
    assert counts[: V // 100].sum() / len(flat.X) < 0.05


@pytest.mark.parametrize("rate", [0.05, 0.25, 0.6])
def test_positive_rate_near_base_rate(rate):
    ds = make_synthetic(SMALL, base_rate=rate, noise=0.5)
    assert abs(ds.positive_rate - rate) < 0.015


def test_planted_signal_is_learnable(small):
    truth = planted_structure(SMALL)
    assert np.corrcoef(truth.logit(small.X), small.y)[0, 1] > 0.3
    cluster = truth.cluster_of_id[0][small.X[:, 0]]  # (N,) cluster of each row's f0 id
    rate = np.bincount(cluster, weights=small.y, minlength=8) / np.bincount(cluster, minlength=8)
    assert np.corrcoef(rate, truth.cluster_effects[0])[0, 1] > 0.8


def test_signal_absent_without_effects():
    cfg = dataclasses.replace(SMALL, cluster_effect=0.0, id_effect=0.0, interaction=0.0)
    ds = make_synthetic(cfg)
    assert np.allclose(planted_structure(cfg).logit(ds.X), 0.0)
    assert abs(ds.positive_rate - 0.25) < 0.015


def test_cluster_not_readable_from_top_bits():
    """Default big field (10^6 ids, 32 clusters): the top 8 bits predict the cluster at chance."""
    cfg = SyntheticConfig()
    cluster = planted_structure(cfg).cluster_of_id[0]
    K = cfg.num_clusters
    chance = np.bincount(cluster).max() / len(cluster)
    acc = top_bits_lookup_accuracy(cluster)
    assert acc < chance + 0.01 and acc < 1.5 / K
    # Contrast: number the same ids by cluster (what a rigged generator would do) -> detected.
    # new id i holds the i-th id in cluster order
    rigged = cluster[np.argsort(cluster, kind="stable")]
    assert top_bits_lookup_accuracy(rigged) > 0.9


def test_popularity_not_readable_from_ids():
    cfg = SyntheticConfig()
    rank = planted_structure(cfg).rank_of_id[0]
    V = len(rank)
    decile = rank * 10 // V  # popularity decile of each id
    assert top_bits_lookup_accuracy(decile) < 0.12
    assert abs(np.corrcoef(np.arange(V), rank)[0, 1]) < 0.01
    # Contrast: numbering by popularity rank (id == rank) is detected.
    assert top_bits_lookup_accuracy(np.arange(V) * 10 // V) > 0.9


@pytest.mark.parametrize("changes, err, match", [
    (dict(num_rows=0), ValueError, "num_rows"),
    (dict(num_rows=1e6), TypeError, "num_rows"),
    (dict(vocab_sizes=()), ValueError, "vocab_sizes"),
    (dict(vocab_sizes=(10, 0)), ValueError, r"vocab_sizes\[1\]"),
    (dict(vocab_sizes=10), TypeError, "vocab_sizes"),
    (dict(zipf_exponent=-1.0), ValueError, "zipf_exponent"),
    (dict(num_clusters=0), ValueError, "num_clusters"),
    (dict(cluster_effect=float("nan")), ValueError, "cluster_effect"),
    (dict(id_effect=-0.1), ValueError, "id_effect"),
    (dict(noise="0"), TypeError, "noise"),
    (dict(base_rate=1.0), ValueError, "base_rate"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(split=(0.9, 0.2, 0.1)), ValueError, "split"),
    (dict(vocab_sizes=(10,)), ValueError, "interaction"),
])
def test_config_validation(changes, err, match):
    with pytest.raises(err, match=match):
        SyntheticConfig(**changes)


def test_make_synthetic_arguments():
    with pytest.raises(TypeError, match="num_row"):
        make_synthetic(num_row=10)
    with pytest.raises(TypeError, match="config"):
        make_synthetic({"num_rows": 10})
    ds = make_synthetic(SMALL, num_rows=1000)
    assert ds.num_rows == 1000 and ds.cardinalities["f0"] == 5000
    ds = make_synthetic(num_rows=500, vocab_sizes=(7,), interaction=0.0)
    assert ds.X.shape == (500, 1) and ds.X.max() < 7

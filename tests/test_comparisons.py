"""Intervals over seeds and paired comparisons: the t interval against scipy's, pairing by seed,
the per-seed scores through summary.csv, BH against the best other method, the ablations."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from bhlib.experiment import ablation_table, paired_table, summarize
from bhlib.experiment.comparisons import ABLATIONS, interval_text, rivals_of
from bhlib.experiment.stats import by_seed_json, paired_difference, read_by_seed, t_interval


@pytest.mark.parametrize("values", [[0.7, 0.72], [0.70, 0.71, 0.74], [0.1, 0.2, 0.2, 0.4, 0.3]])
def test_t_interval_is_scipys(values):
    mean, half = t_interval(values)
    low, high = scipy_stats.t.interval(0.95, len(values) - 1, loc=np.mean(values),
                                       scale=scipy_stats.sem(values))
    assert mean == pytest.approx(np.mean(values), abs=1e-15)
    assert (mean - half, mean + half) == pytest.approx((low, high), abs=1e-12)
    assert t_interval(values, 0.5)[1] < half < t_interval(values, 0.99)[1]


def test_t_interval_edges_and_bad_levels():
    assert all(math.isnan(x) for x in t_interval([]))
    mean, half = t_interval([0.7, float("nan")])
    assert mean == 0.7 and math.isnan(half)
    assert t_interval([0.5, 0.5, 0.5]) == (0.5, 0.0)
    for level in (0, 1, 1.5):
        with pytest.raises(ValueError, match="level must be"):
            t_interval([1, 2], level)


def test_pairs_by_seed_only_over_shared_seeds():
    d = paired_difference({0: 0.8, 1: 0.9, 5: 0.1}, {1: 0.85, 0: 0.75, 2: 0.5})
    assert d["seeds"] == [0, 1] and d["n"] == 2
    assert d["mean"] == pytest.approx(0.05)
    assert d["low"] == pytest.approx(0.05) and d["high"] == pytest.approx(0.05)  # no spread
    one = paired_difference({0: 0.8}, {0: 0.7})
    assert one["n"] == 1 and math.isnan(one["low"])
    assert "(no interval)" in interval_text(one)


def test_per_seed_cells_survive_csv_and_refuse_garbage(tmp_path):
    cell = by_seed_json([2, 0], [0.71, 0.7])
    assert cell == '{"0": 0.7, "2": 0.71}' and read_by_seed(cell) == {0: 0.7, 2: 0.71}
    with pytest.raises(ValueError, match="seeds must be distinct"):
        by_seed_json([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="must be JSON"):
        read_by_seed("{0: 0.7")
    with pytest.raises(TypeError, match="JSON text or a dict"):
        read_by_seed(3)
    recs = [{"dataset": "d", "method": m, "target_ratio": r, "seed": s, "status": "ok",
             "test_auc": a + 0.01 * s, "test_logloss": 0.5, "achieved_ratio": r}
            for m, r, a in (("full", 1.0, 0.8), ("qr", 10.0, 0.77), ("bh-succession", 10.0, 0.78))
            for s in (0, 1, 2)]
    summary = summarize(recs)
    summary.to_csv(tmp_path / "s.csv", index=False)
    again = pd.read_csv(tmp_path / "s.csv")
    assert read_by_seed(again["auc_by_seed"][2]) == {0: 0.78, 1: 0.79, 2: 0.80}
    half = t_interval([0.78, 0.79, 0.80])[1]
    assert again["auc_ci95"][2] == pytest.approx(half)
    pd.testing.assert_frame_equal(paired_table(summary), paired_table(again))


def seeds_row(method, ratio, aucs, achieved=None):
    return {"dataset": "d", "method": method, "target_ratio": float(ratio), "num_seeds": len(aucs),
            "achieved_ratio": float(achieved or ratio), "auc_mean": float(np.mean(aucs)),
            "auc_by_seed": by_seed_json(range(len(aucs)), aucs)}


def test_paired_table_takes_bh_and_the_best_other_method():
    s = pd.DataFrame([seeds_row("full", 1, [0.80, 0.81, 0.80]),
                      seeds_row("hash", 10, [0.70, 0.71, 0.70]),
                      seeds_row("qr", 10, [0.76, 0.78, 0.77]),
                      seeds_row("qr-add", 10, [0.90, 0.90, 0.90]),  # an ablation: not a rival
                      seeds_row("bh-succession", 10, [0.75, 0.78, 0.77], achieved=15),
                      seeds_row("bh-skip", 10, [0.74, 0.77, 0.76]),
                      seeds_row("hash", 100, [0.70, 0.71, 0.70])])
    t = paired_table(s)
    assert t[["target_ratio", "bh_method", "other_method", "bh_ratio"]].values.tolist() == [
        [10.0, "bh-succession", "qr", 15.0]]  # at 100x BH has no run: no row
    d = paired_difference({0: 0.75, 1: 0.78, 2: 0.77}, {0: 0.76, 1: 0.78, 2: 0.77})
    row = t.iloc[0]
    assert (row["difference"], row["low"], row["high"]) == pytest.approx(
        (d["mean"], d["low"], d["high"]))
    assert row["num_pairs"] == 3 and row["bh_ci95"] == pytest.approx(
        t_interval([0.75, 0.78, 0.77])[1])
    assert rivals_of(s["method"]) == ["hash", "qr"]


def test_ablation_table_answers_each_question_where_both_ran():
    s = pd.DataFrame([seeds_row("qr", 10, [0.77, 0.78]), seeds_row("qr-add", 10, [0.75, 0.77]),
                      seeds_row("bh-succession", 10, [0.76, 0.77]),
                      seeds_row("bh-product", 10, [0.77, 0.785]),
                      seeds_row("bh-mixed", 1000, [0.7, 0.71])])
    t = ablation_table(s)
    asked = {(q, a, b) for q, a, b in ABLATIONS}
    assert {(r.question, r.a, r.b) for r in t.itertuples()} <= asked
    got = {r.question: r for r in t.itertuples()}
    assert set(got) == {q for q, a, b in ABLATIONS if {a, b} <= {"qr", "qr-add", "bh-succession",
                                                                   "bh-product"}}
    r = got["indexing, both with product: BH - Q-R"]
    assert (r.a, r.b, r.num_pairs) == ("bh-product", "qr", 2)
    assert r.difference == pytest.approx(0.0025)
    with pytest.raises(ValueError, match="summary lacks the columns"):
        ablation_table(s.drop(columns="auc_by_seed"))
    with pytest.raises(TypeError, match="summary must be a pandas DataFrame"):
        paired_table([{}])

"""The paper's claims judged from a summary: each verdict forced by a made-up summary, the rules'
edges, bad inputs, and the README's tables against ``results/summary.csv`` (``make run``) and
``results/reproduce/summary.csv`` (``make reproduce``: the claims and the ablations) when they
exist."""
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from bhlib.display import format_mean_std
from bhlib.experiment import (
    ExperimentConfig,
    ablation_markdown,
    ablation_table,
    claims_markdown,
    claims_table,
    plan_runs,
    summarize,
)
from bhlib.experiment.claims import CLAIMS, COLUMNS, VERDICTS
from bhlib.experiment.reproduce import reproduce_config
from bhlib.experiment.stats import by_seed_json, paired_difference

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "results" / "summary.csv"
README = ROOT / "README.md"
BEGIN, END = "<!-- claims_table: begin -->", "<!-- claims_table: end -->"


NOISE = (-1.0, 0.0, 1.0, -0.5, 0.5)  # per-seed offsets (in std units) shared by every method


def row(method, ratio, auc, *, std=0.001, n=3, achieved=None, logloss=None, ds="d", seeds=None):
    """One summary row; ``n=0`` is a skipped combination (no numbers, a note). Per seed, the AUC
    is ``auc + std * NOISE[seed]`` (the same offsets for every method: a pairing that cancels)
    unless ``seeds`` gives the scores; the logloss is ``1.2 - AUC`` unless ``logloss`` is given."""
    if n == 0:
        return {"dataset": ds, "method": method, "target_ratio": float(ratio), "num_seeds": 0,
                "achieved_ratio": math.nan, "auc_mean": math.nan, "auc_std": math.nan,
                "logloss_mean": math.nan, "logloss_std": math.nan, "auc_by_seed": "",
                "logloss_by_seed": "", "note": f"{method}: too small"}
    aucs = list(seeds) if seeds is not None else [auc + std * NOISE[i] for i in range(n)]
    losses = [1.2 - a if logloss is None else logloss for a in aucs]
    a, ls = pd.Series(aucs), pd.Series(losses)
    return {"dataset": ds, "method": method, "target_ratio": float(ratio), "num_seeds": len(aucs),
            "achieved_ratio": float(achieved or ratio), "auc_mean": a.mean(),
            "auc_std": a.std() if len(a) > 1 else math.nan, "logloss_mean": ls.mean(),
            "logloss_std": ls.std() if len(a) > 1 else math.nan, "best_epoch": 3.0,
            "auc_by_seed": by_seed_json(range(len(aucs)), aucs),
            "logloss_by_seed": by_seed_json(range(len(aucs)), losses), "note": ""}


def summary_of(*rows, full=0.80, full_std=0.001, full_n=3):
    out = pd.DataFrame([row("full", 1, full, std=full_std, n=full_n), *rows])
    out["retained_auc"] = out["auc_mean"] / full
    out["retained_lift"] = (out["auc_mean"] - 0.5) / (full - 0.5)
    return out


def verdict(table, claim, ratio=None, ds="d"):
    t = table[(table["claim"] == CLAIMS[claim]) & (table["dataset"] == ds)]
    t = t[t["target_ratio"].isna()] if ratio is None else t[t["target_ratio"] == ratio]
    assert len(t) == 1, t
    return t.iloc[0]["verdict"], t.iloc[0]["evidence"]


def test_held_when_bh_wins_against_every_rival_seed_by_seed():
    t = claims_table(summary_of(row("hash", 10, 0.770), row("multi_hash", 10, 0.775),
                                row("qr", 10, 0.780, seeds=[0.779, 0.781, 0.7805]),
                                row("bh-succession", 10, 0.790, achieved=12),
                                row("bh-skip", 10, 0.785, achieved=15)))
    assert list(t.columns) == COLUMNS
    v, ev = verdict(t, "best", 10.0)
    assert v == "held"
    # the evidence quotes the summary: BH's best variant, the best rival, the sizes, the pair
    assert format_mean_std(0.790, 0.001) in ev and "bh-succession" in ev and "(12.0x)" in ev
    assert "the best rival qr " in ev and "3 seeds" in ev and "better than 3 of 3 rivals" in ev
    p = paired_difference({0: 0.789, 1: 0.790, 2: 0.791}, {0: 0.779, 1: 0.781, 2: 0.7805})
    assert f"{p['mean']:+.4f} [{p['low']:+.4f}, {p['high']:+.4f}]" in ev
    assert verdict(t, "merging", 10.0)[0] == "held"
    assert verdict(t, "loss", 10.0)[0] == "held"  # logloss 1.2 - AUC: BH lowest
    assert verdict(t, "strategies", 10.0)[0] == "not held"  # 0.005 apart, margin 0.002


def test_not_held_when_a_rival_wins_seed_by_seed():
    t = claims_table(summary_of(row("hash", 10, 0.760), row("multi_hash", 10, 0.765),
                                row("qr", 10, 0.790), row("bh-succession", 10, 0.770)))
    v, ev = verdict(t, "best", 10.0)
    assert v == "not held" and "the best rival qr" in ev and "-0.0200" in ev
    assert "better than 2 of 3 rivals" in ev
    assert verdict(t, "merging", 10.0)[0] == "held"  # Q-R is not a merging scheme
    assert verdict(t, "loss", 10.0)[0] == "not held"


def test_not_held_shows_the_rival_that_decides_it():
    # hash has the best mean but noisy pairs; multi_hash is surely better than BH
    t = claims_table(summary_of(row("hash", 10, 0, seeds=[0.800, 0.770, 0.790]),
                                row("multi_hash", 10, 0, seeds=[0.781, 0.782, 0.783]),
                                row("bh-succession", 10, 0, seeds=[0.780, 0.781, 0.782])))
    v, ev = verdict(t, "merging", 10.0)
    assert v == "not held" and "vs the rival it surely loses to multi_hash" in ev
    assert "-0.0010 [-0.0010, -0.0010]" in ev and "better than 0 of 2 rivals" in ev


def test_an_interval_holding_zero_is_inconclusive():
    t = claims_table(summary_of(row("qr", 10, 0, seeds=[0.781, 0.779, 0.781]),
                                row("bh-succession", 10, 0, seeds=[0.780, 0.782, 0.779])))
    v, ev = verdict(t, "best", 10.0)
    assert v == "inconclusive" and "+0.0000 [" in ev  # differences -0.001, +0.003, -0.002


def test_pairing_sees_a_gap_that_the_seed_noise_hides():
    """Seed noise of 0.01 shared by both methods (same data order), a constant gap of 0.002: the
    two intervals overlap widely, the paired one lies above 0."""
    t = claims_table(summary_of(row("qr", 10, 0.780, std=0.01),
                                row("bh-succession", 10, 0.782, std=0.01)))
    assert verdict(t, "best", 10.0)[0] == "held"
    shifted = [0.782 + 0.01 * x for x in (1.0, -1.0, 0.0)]  # the same scores, other seeds
    t = claims_table(summary_of(row("qr", 10, 0.780, std=0.01),
                                row("bh-succession", 10, 0, seeds=shifted)))
    assert verdict(t, "best", 10.0)[0] == "inconclusive"


@pytest.mark.parametrize("skip_seeds, expected", [
    ([0.7801, 0.7799, 0.7800], "held"),              # within ±0.002 surely
    ([0.7900, 0.7910, 0.7895], "not held"),          # 0.01 apart surely
    ([0.7850, 0.7760, 0.7800], "inconclusive"),      # wide
])
def test_strategies_is_an_equivalence_test_with_a_margin(skip_seeds, expected):
    t = claims_table(summary_of(row("bh-succession", 10, 0, seeds=[0.7800, 0.7800, 0.7800]),
                                row("bh-skip", 10, 0, seeds=skip_seeds, achieved=13)))
    v, ev = verdict(t, "strategies", 10.0)
    assert v == expected and "(equal within ±0.002)" in ev
    wide = claims_table(summary_of(row("bh-succession", 10, 0, seeds=[0.78] * 3),
                                   row("bh-skip", 10, 0, seeds=skip_seeds, achieved=13)),
                        margin=0.02)
    assert verdict(wide, "strategies", 10.0)[0] == "held"


def test_not_tested_without_seeds_runs_or_sizes():
    one_seed = claims_table(summary_of(row("hash", 10, 0.77, n=1), row("bh-succession", 10, 0.8)))
    v, ev = verdict(one_seed, "best", 10.0)
    assert v == "not tested" and "fewer than 2 seeds shared by bh-succession and hash" in ev
    no_rival = claims_table(summary_of(row("qr", 1000, 0, n=0), row("bh-skip", 1000, 0.79)))
    v, ev = verdict(no_rival, "best", 1000.0)
    assert v == "not tested" and "not reached: qr" in ev
    assert verdict(no_rival, "merging", 1000.0) == (
        "not tested", "no finished run of a rival (hash, multi_hash) here")
    assert verdict(no_rival, "strategies", 1000.0) == (
        "not tested", "no finished run of bh-succession")
    apart = claims_table(summary_of(row("bh-succession", 10, 0.79, achieved=15),
                                    row("bh-skip", 10, 0.78, achieved=390)))
    v, ev = verdict(apart, "strategies", 10.0)
    assert v == "not tested" and "more than 2x apart" in ev and "(390.0x)" in ev


def test_ablations_are_neither_bh_nor_rivals():
    t = claims_table(summary_of(row("qr", 10, 0.770), row("qr-add", 10, 0.800),
                                row("bh-product", 10, 0.810), row("bh-succession", 10, 0.780)))
    v, ev = verdict(t, "best", 10.0)
    assert v == "held" and "1 of 1 rival" in ev and "bh-product" not in ev


def test_retained_at_1000x_held_not_held_inconclusive_and_not_tested():
    def judged(auc, std=0.0005, seeds=None):
        return verdict(claims_table(summary_of(row("hash", 1000, 0.7),
                                               row("bh-succession", 1000, auc, std=std,
                                                   achieved=1752, seeds=seeds))),
                       "retained", 1000.0)
    v, ev = judged(0.796)
    assert v == "held" and "bh-succession at 1,752.0x keeps 99.5% of full's AUC" in ev
    assert "BH - 0.99 x full, paired: " in ev
    assert judged(0.780)[0] == "not held"
    # 0.99 * 0.80 = 0.792, against full's 0.799, 0.800, 0.801 x 0.99
    assert judged(0, seeds=[0.7950, 0.7890, 0.7935])[0] == "inconclusive"
    small = claims_table(summary_of(row("bh-succession", 30, 0.79)))
    assert verdict(small, "retained") == (
        "not tested", "no target ratio >= 1000x here (the largest is 30x)")
    no_full = summary_of(row("bh-skip", 1000, 0.79)).iloc[1:]
    assert verdict(claims_table(no_full), "retained", 1000.0) == (
        "not tested", "no finished run of the baseline 'full'")


def test_rows_follow_the_claims_then_datasets_then_ratios():
    s = pd.concat([summary_of(row("hash", 30, 0.7), row("bh-skip", 30, 0.7),
                              row("hash", 10, 0.7), row("bh-skip", 10, 0.7)),
                   summary_of(row("hash", 10, 0.7, ds="e"), row("bh-skip", 10, 0.7, ds="e"))
                   .assign(dataset="e")])
    t = claims_table(s)
    assert list(dict.fromkeys(t["claim"])) == list(CLAIMS.values())
    best = t[t["claim"] == CLAIMS["best"]]
    assert best[["dataset", "target_ratio"]].values.tolist() == [["d", 10.0], ["d", 30.0],
                                                                  ["e", 10.0]]
    assert set(t["verdict"]) <= set(VERDICTS)


def test_reads_summarize_output_and_its_csv(tmp_path):
    recs = [{"dataset": "d", "method": m, "target_ratio": r, "seed": s, "status": "ok",
             "test_auc": a + 0.001 * s, "test_logloss": 1.2 - a, "achieved_ratio": r * 1.1}
            for m, r, a in (("full", 1.0, 0.8), ("hash", 10.0, 0.77), ("bh-succession", 10.0, 0.79),
                            ("bh-skip", 10.0, 0.785))
            for s in (0, 1, 2)]
    recs.append({"dataset": "d", "method": "qr", "target_ratio": 10.0, "seed": 0,
                 "status": "skipped", "reason": "qr: too small"})
    summary = summarize(recs)
    t = claims_table(summary)
    assert verdict(t, "best", 10.0)[0] == "held"
    summary.to_csv(tmp_path / "summary.csv", index=False)
    again = claims_table(pd.read_csv(tmp_path / "summary.csv"))
    pd.testing.assert_frame_equal(t, again)
    assert claims_markdown(t) == claims_markdown(again)
    assert claims_table(summarize([])).columns.tolist() == COLUMNS  # nothing to judge


def test_markdown_writes_each_claim_once_and_escapes_pipes():
    t = claims_table(summary_of(row("hash", 10, 0.77), row("bh-succession", 10, 0.79),
                                row("hash", 30, 0.75), row("bh-succession", 30, 0.76)))
    t.loc[0, "evidence"] = "a | b"
    text = claims_markdown(t)
    lines = text.splitlines()
    assert lines[0] == "| claim | dataset | target ratio | verdict | evidence |"
    assert len(lines) == 2 + len(t) and "a \\| b" in text
    assert sum(CLAIMS["best"] in line for line in lines) == 1
    assert "| d | 30x | **held** |" in text


@pytest.mark.parametrize("call, error, words", [
    (lambda: claims_table([{"dataset": "d"}]), TypeError, "summary must be a pandas DataFrame"),
    (lambda: claims_table(pd.DataFrame({"dataset": ["d"], "method": ["full"]})), ValueError,
     "summary lacks the columns"),
    (lambda: claims_table(summary_of().drop(columns="auc_by_seed")), ValueError,
     "summary lacks the columns ['auc_by_seed']"),
    (lambda: claims_table(summary_of(row("hash", 10, 0.7), row("hash", 10, 0.7))), ValueError,
     "one row per dataset x method x target ratio"),
    (lambda: claims_table(summary_of(), baseline="fulll"), ValueError, "baseline must be one of"),
    (lambda: claims_table(summary_of(), level=1.5), ValueError, "level must be"),
    (lambda: claims_table(summary_of(), margin=-1), ValueError, "margin must be"),
    (lambda: claims_table(summary_of(), margin="2"), TypeError, "margin must be a number"),
    (lambda: claims_markdown("table"), TypeError, "table must be a pandas DataFrame"),
    (lambda: claims_markdown(pd.DataFrame({"claim": []})), ValueError, "table lacks the columns"),
])
def test_bad_inputs_name_the_argument(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()


def _default_sweep(summary):
    """Whether ``summary`` covers exactly the runs of the default sweep (a full ``make run``)."""
    runs = plan_runs(ExperimentConfig())
    planned = {(r["dataset"], r["method"], r["target_ratio"]) for r in runs}
    return planned == set(zip(summary["dataset"], summary["method"], summary["target_ratio"],
                              strict=True))


@pytest.mark.skipif(not SUMMARY.exists(), reason="no results/summary.csv (run `make run`)")
def test_claims_on_the_make_run_summary():
    summary = pd.read_csv(SUMMARY)
    t = claims_table(summary)
    assert set(t["verdict"]) <= set(VERDICTS) and set(t["claim"]) == set(CLAIMS.values())
    assert t["evidence"].str.len().gt(0).all()
    if _default_sweep(summary):
        # the synthetic set is the only one with 1000x; Q-R cannot reach it (sqrt(V)/2 = 500x)
        assert t[t["claim"] == CLAIMS["retained"]]["target_ratio"].dropna().tolist() == [1000.0]
        assert "not reached: qr" in verdict(t, "best", 1000.0, ds="synthetic")[1]


def test_readme_holds_a_claims_table():
    text = README.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    table = text.split(BEGIN)[1].split(END)[0].strip().splitlines()
    assert table[0] == "| claim | dataset | target ratio | verdict | evidence |"
    for line in table[2:]:
        assert re.search(r"\| \*\*(held|not held|inconclusive|not tested)\*\* \|", line)


@pytest.mark.skipif(not SUMMARY.exists(), reason="no results/summary.csv (run `make run`)")
def test_readme_claims_table_is_claims_table_of_the_make_run_summary():
    summary = pd.read_csv(SUMMARY)
    if not _default_sweep(summary):
        pytest.skip("results/summary.csv is not from the default sweep of `make run`")
    text = README.read_text()
    shown = text.split(BEGIN)[1].split(END)[0].strip()
    assert shown == claims_markdown(claims_table(summary)), (
        "README's claims table differs from results/summary.csv: paste the output of "
        "claims_markdown(claims_table(pd.read_csv('results/summary.csv'))) between its markers")


REPRODUCED = ROOT / "results" / "reproduce" / "summary.csv"
MARKS = {"claims": ("<!-- claims_table reproduce: begin -->",
                    "<!-- claims_table reproduce: end -->"),
         "ablations": ("<!-- ablation_table reproduce: begin -->",
                       "<!-- ablation_table reproduce: end -->")}


def _between(text, marks):
    begin, end = marks
    assert text.count(begin) == 1 and text.count(end) == 1, marks
    return text.split(begin)[1].split(end)[0].strip()


def test_readme_holds_the_tables_of_make_reproduce():
    text = README.read_text()
    claims = _between(text, MARKS["claims"]).splitlines()
    assert claims[0] == "| claim | dataset | target ratio | verdict | evidence |"
    assert any("synthetic-10m" in line and "1000x" in line for line in claims)
    ablations = _between(text, MARKS["ablations"]).splitlines()
    assert ablations[0].startswith("| ablation (a - b) |")
    assert any(line.startswith("| indexing, both with product: BH - Q-R |") for line in ablations)


@pytest.mark.skipif(not REPRODUCED.exists(),
                    reason="no results/reproduce/summary.csv (run `make reproduce`)")
def test_readme_tables_are_those_of_the_make_reproduce_summary():
    summary = pd.read_csv(REPRODUCED)
    planned = {(r["dataset"], r["method"], r["target_ratio"])
               for r in plan_runs(reproduce_config())}
    if planned != set(zip(summary["dataset"], summary["method"], summary["target_ratio"],
                          strict=True)) or summary["num_seeds"].max() != 5:
        pytest.skip("results/reproduce/summary.csv is not from a complete `make reproduce`")
    text = README.read_text()
    assert _between(text, MARKS["claims"]) == claims_markdown(claims_table(summary)), (
        "README's reproduce claims table differs from results/reproduce/summary.csv: paste "
        "claims_markdown(claims_table(summary)) between its markers")
    assert _between(text, MARKS["ablations"]) == ablation_markdown(ablation_table(summary)), (
        "README's ablation table differs from results/reproduce/summary.csv: paste "
        "ablation_markdown(ablation_table(summary)) between its markers")

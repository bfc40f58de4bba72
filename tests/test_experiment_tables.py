"""Tables of bhlib.experiment against the records and summary they read (no training)."""
import numpy as np
import pytest

import bhlib.experiment as ex
from bhlib.display import format_columns
from bhlib.experiment import (
    DatasetSpec,
    append_record,
    plan_runs,
    quick_config,
    summarize,
)


def fake_records(methods=("full", "hash", "bh-succession"), ratios=(10.0, 30.0), seeds=(0, 1)):
    """Records shaped like bhlib.experiment's, with known metrics and curves."""
    out = []
    for seed in seeds:
        for m in methods:
            for r in ((1.0,) if m == "full" else ratios):
                auc = 0.8 - 0.001 * r - 0.01 * (m == "hash") + 0.002 * seed
                curve = [{"epoch": e, "valid_auc": auc - 0.02 / e, "train_loss": 0.6 - 0.01 * e}
                         for e in (0.5, 1.0, 1.5)]
                out.append({"dataset": "d", "method": m, "target_ratio": r, "seed": seed,
                            "status": "ok", "test_auc": auc, "test_logloss": 0.5 + 0.001 * r,
                            "achieved_ratio": r * 1.1, "embedding_params": 10000 / r,
                            "curve": curve, "unseen": {"num_unseen_test_rows": 7,
                                                       "auc_unseen": auc - 0.05,
                                                       "auc_seen": auc}})
    out.append({"dataset": "d", "method": "qr", "target_ratio": 30.0, "seed": 0,
                "status": "skipped", "reason": "qr: too small"})
    return out


def test_sweep_records_keeps_only_this_sweeps_runs(tmp_path):
    cfg = quick_config(results_dir=str(tmp_path), datasets=[DatasetSpec(
        "s", "synthetic", options={"num_rows": 100, "vocab_sizes": (50, 5)}, ratios=(10,))],
        methods=("full", "hash"))
    runs = plan_runs(cfg)
    append_record(tmp_path / "runs.jsonl", {"key": runs[0]["key"], "x": 1})
    append_record(tmp_path / "runs.jsonl", {"key": "someone-else", "x": 2})
    assert ex.sweep_records(cfg) == [{"key": runs[0]["key"], "x": 1}]


def test_retention_and_measure_tables_read_the_summary():
    summary = summarize(fake_records())
    t = ex.retention_table(summary, "d")
    assert len(t) == len(summary) and "dataset" not in t
    text = format_columns(t)
    for row, (_, s) in zip(text.to_dict("records"), summary.iterrows(), strict=True):
        if s["num_seeds"] == 0:
            assert row["auc"] == "-" and row["note"].startswith("qr: too small")
        else:
            assert row["auc"] == f"{s['auc_mean']:.4f}±{s['auc_std']:.4f}"
            assert row["retained_lift"] == f"{s['retained_lift']:.4f}"
            assert row["target_ratio"] == f"{s['target_ratio']:g}"
    assert list(ex.retention_table(summary).columns[:3]) == ["dataset", "method", "target_ratio"]
    grid = ex.measure_table(summary, "d", "retained_auc")
    assert grid.loc["full", 1.0] == 1.0 and grid.loc["qr", 30.0] == "-"
    assert grid.loc["hash", 10.0] == round(
        summary.set_index(["method", "target_ratio"]).loc[("hash", 10.0), "retained_auc"], 4)
    with pytest.raises(ValueError, match="dataset"):
        ex.retention_table(summary, "nope")
    with pytest.raises(ValueError, match="measure"):
        ex.measure_table(summary, "d", "nope")


def test_curve_table_means_over_seeds():
    recs = fake_records()
    t = ex.curve_table(recs, "d", ratio=10.0).set_index("method")
    assert list(t.index) == ["full", "hash", "bh-succession"]  # baseline kept, other ratio dropped
    assert (t["num_seeds"] == 2).all()
    h = [r for r in recs if r["method"] == "hash" and r.get("target_ratio") == 10.0]
    last = np.mean([r["curve"][-1]["valid_auc"] for r in h])
    first = np.mean([r["curve"][0]["valid_auc"] for r in h])
    assert t.loc["hash", "best_valid_auc"] == round(last, 4)
    assert t.loc["hash", "first_valid_auc"] == round(first, 4)
    assert t.loc["hash", "best_epoch"] == 1.5 and t.loc["hash", "last_train_loss"] == 0.585
    assert len(ex.curve_table(recs, "d")) == 5  # every ratio
    with pytest.raises(ValueError, match="no finished runs"):
        ex.curve_table(recs, "other")


def test_unseen_table():
    summary = summarize(fake_records())
    t = ex.unseen_table(summary, "d")
    assert "qr" not in set(t["method"])  # skipped everywhere: no row
    assert (t["num_unseen_test_rows"] == 7).all()
    assert np.allclose(t["gap"], -0.05, atol=1e-4)
    assert len(ex.unseen_table(summary)) == len(t)  # every dataset: the same rows here
    with pytest.raises(ValueError, match="dataset must be one of"):
        ex.unseen_table(summary, "nope")

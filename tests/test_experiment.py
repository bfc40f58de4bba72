"""Tests of the sweep runner: records, resume after a crash, skipped ratios, summary, CLI,
figures."""
import dataclasses
import hashlib
import json
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

import bhlib.experiment as ex
import bhlib.experiment.cli as cli
import bhlib.experiment.runner as runner
from bhlib.data import CTRDataset
from bhlib.embeddings import ABLATION_METHODS, METHODS
from bhlib.experiment import (
    DatasetSpec,
    ExperimentConfig,
    append_record,
    auc_vs_params_figure,
    convergence_figure,
    plan_runs,
    read_records,
    run_experiment,
    run_key,
    summarize,
)
from bhlib.model import ModelConfig
from bhlib.train import TrainConfig

matplotlib.use("Agg")

# V=5000: Q-R reaches at most ~35x, so 100x must be recorded as skipped for qr (BH reaches it)
TINY = DatasetSpec("tiny", "synthetic",
                   options={"num_rows": 800, "vocab_sizes": (5000, 6), "seed": 1},
                   ratios=(10, 100), train={"epochs": 1, "batch_size": 200})


def tiny_config(tmp_path, **changes):
    kw = dict(datasets=(TINY,), methods=("full", "hash", "qr", "bh-succession"), seeds=(0, 1),
              model=ModelConfig(embedding_dim=4, hidden=(8,)),
              results_dir=str(tmp_path / "results"), progress=False, figures=False)
    kw.update(changes)
    return ExperimentConfig(**kw)


def records_of(cfg):
    return read_records(f"{cfg.results_dir}/runs.jsonl")


def test_plan_runs_grid_and_keys(tmp_path):
    runs = plan_runs(tiny_config(tmp_path))
    # per seed: the baseline once, then 3 methods x 2 ratios
    assert len(runs) == 2 * (1 + 3 * 2)
    assert [(r["method"], r["target_ratio"]) for r in runs[:3]] == [("full", 1.0), ("hash", 10.0),
                                                                    ("hash", 100.0)]
    assert len({r["key"] for r in runs}) == len(runs)
    assert runs[0]["config"]["model"]["ratio"] is None and runs[1]["config"]["model"]["ratio"] == 10
    assert runs[1]["config"]["train"]["epochs"] == 1  # the dataset's override applied


def test_run_key_is_a_stable_content_hash(tmp_path):
    a, b = (plan_runs(tiny_config(tmp_path)),
            plan_runs(tiny_config(tmp_path / "elsewhere", progress=True)))
    assert [r["key"] for r in a] == [r["key"] for r in b]  # folder and progress bars do not count
    c = plan_runs(tiny_config(tmp_path, train=TrainConfig(lr=5e-3)))
    assert a[0]["key"] != c[0]["key"]  # a setting that changes the result does
    assert run_key({"x": 1}) == hashlib.sha256(b'{"x":1}').hexdigest()[:16]  # never Python's hash()
    assert run_key({"x": 1}) != run_key({"x": 2})


def test_sweep_records_every_run_and_skips_unreachable_ratios(tmp_path):
    cfg = tiny_config(tmp_path)
    summary = run_experiment(cfg)
    recs = records_of(cfg)
    assert len(recs) == len(plan_runs(cfg)) == 14
    skipped = [r for r in recs if r["status"] == "skipped"]
    assert {(r["method"], r["target_ratio"]) for r in skipped} == {("qr", 100.0)}
    assert all("qr: the smallest Q-R tables for V=5,000" in r["reason"] for r in skipped)
    ok = next(r for r in recs if r["method"] == "bh-succession" and r["target_ratio"] == 100.0)
    for field in ("config", "seed", "dataset", "achieved_ratio", "embedding_params",
                  "embedding_bytes", "embedding_bytes_adam", "test_auc", "test_logloss",
                  "train_seconds", "curve", "fields", "unseen", "finished_at"):
        assert field in ok, field
    assert ok["achieved_ratio"] >= 100 and ok["embedding_bytes_adam"] == 3 * ok["embedding_bytes"]
    row = summary[(summary["method"] == "qr") & (summary["target_ratio"] == 100)].iloc[0]
    assert row["num_seeds"] == 0 and "qr: the smallest" in row["note"]
    assert list(summary.columns[:11]) == ["dataset", "method", "target_ratio", "num_seeds",
                                          "achieved_ratio", "auc_mean", "auc_std", "logloss_mean",
                                          "logloss_std", "retained_auc", "retained_lift"]
    full = summary[summary["method"] == "full"].iloc[0]
    assert full["retained_auc"] == 1.0 and full["retained_lift"] == 1.0 and full["num_seeds"] == 2
    saved = pd.read_csv(f"{cfg.results_dir}/summary.csv")
    assert len(saved) == len(summary) == 1 + 3 * 2


def test_crash_mid_sweep_then_resume_loses_and_repeats_nothing(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path)
    real_fit, calls = runner.fit, []

    def crashing_fit(*args, **kwargs):
        calls.append(kwargs["desc"])
        if len(calls) == 3:
            raise KeyboardInterrupt("killed mid-sweep")
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(runner, "fit", crashing_fit)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(cfg)
    first = records_of(cfg)
    assert len(first) == 2 and all(r["status"] == "ok" for r in first)  # the run in flight is lost

    monkeypatch.setattr(runner, "fit", real_fit)
    run_experiment(cfg)
    recs = records_of(cfg)
    keys = [r["key"] for r in recs]
    assert len(keys) == len(set(keys)) == len(plan_runs(cfg))  # complete, nothing twice
    assert recs[:2] == first  # finished runs were kept, not redone


def test_second_invocation_redoes_nothing(tmp_path, monkeypatch):
    cfg = tiny_config(tmp_path, seeds=(0,))
    first = run_experiment(cfg)
    with open(f"{cfg.results_dir}/runs.jsonl") as fh:
        lines = fh.read()

    def must_not_train(*a, **k):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(runner, "fit", must_not_train)
    monkeypatch.setattr(runner, "load_dataset", must_not_train)  # not even the data is loaded
    second = run_experiment(cfg)
    with open(f"{cfg.results_dir}/runs.jsonl") as fh:
        assert fh.read() == lines
    pd.testing.assert_frame_equal(first, second)


def test_same_seed_same_metrics_across_sweeps(tmp_path):
    a = run_experiment(tiny_config(tmp_path / "a", seeds=(0,), methods=("full", "bh-succession")))
    b = run_experiment(tiny_config(tmp_path / "b", seeds=(0,), methods=("full", "bh-succession")))
    pd.testing.assert_series_equal(a["auc_mean"], b["auc_mean"])
    assert a["auc_mean"].notna().sum() == 3  # full, bh at 10x and 100x


def test_summary_only_uses_records_of_the_current_config(tmp_path):
    cfg = tiny_config(tmp_path, seeds=(0,), methods=("full", "hash"))
    run_experiment(cfg)
    other = dataclasses.replace(cfg, train=TrainConfig(lr=0.5), methods=("full",))
    summary = run_experiment(other)  # same folder, different runs
    assert summary["method"].tolist() == ["full"] and len(records_of(cfg)) == 4


def test_torn_last_line_is_ignored_and_closed(tmp_path):
    path = tmp_path / "runs.jsonl"
    append_record(path, {"key": "a", "x": float("nan")})
    with open(path, "a") as fh:
        fh.write('{"key": "b", "trunc')
    with pytest.warns(UserWarning, match="not valid JSON"):
        assert read_records(path) == [{"key": "a", "x": None}]
    append_record(path, {"key": "c"})
    with pytest.warns(UserWarning):
        assert [r["key"] for r in read_records(path)] == ["a", "c"]


def time_split_data():
    """Rows in time order; the test quarter holds users never seen in training."""
    rng = np.random.default_rng(0)
    n, V = 1600, 3000
    user = np.concatenate([rng.integers(0, 2000, 1200), rng.integers(1500, V, 400)])
    item = rng.integers(0, 5, n)
    y = (rng.random(n) < 0.3 + 0.4 * (user % 2)).astype(np.float32)
    splits = {"train": np.arange(0, 1000), "valid": np.arange(1000, 1200),
              "test": np.arange(1200, n)}
    return CTRDataset(name="time-like", fields=["user", "item"],
                      X=np.stack([user, item], 1).astype(np.int64), y=y,
                      cardinalities={"user": V, "item": 5},
                      splits={k: v.astype(np.int64) for k, v in splits.items()})


def test_unseen_ids_are_counted_and_every_scheme_is_scored_on_them(tmp_path, monkeypatch):
    data = time_split_data()
    monkeypatch.setattr(runner, "load_dataset", lambda spec, cache_dir: data)
    spec = DatasetSpec("time-like", "synthetic", ratios=(10,),
                       train={"epochs": 1, "batch_size": 100})
    cfg = tiny_config(tmp_path, datasets=(spec,), seeds=(0,),
                      methods=("full", "hash", "multi_hash", "qr", "bh-succession", "bh-skip"))
    summary = run_experiment(cfg)
    expected = int(data.unseen_mask("test").sum())
    assert 0 < expected < 400
    for r in records_of(cfg):
        assert r["status"] == "ok"
        u = r["unseen"]
        assert u["num_test_rows"] == 400 and u["num_unseen_test_rows"] == expected
        assert u["unseen_test_rows_by_field"]["user"] == expected
        assert 0 <= u["auc_unseen"] <= 1 and 0 <= u["auc_seen"] <= 1
    assert ((summary["num_unseen_test_rows"] == expected).all()
            and summary["auc_unseen_mean"].notna().all())
    assert len(ex.unseen_table(summary)) == len(summary)


def test_cli_prints_the_table_and_writes_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "quick_config", lambda **ch: tiny_config(tmp_path, seeds=(0,), **ch))
    out = tmp_path / "cli"
    summary = ex.main(["--quick", "--results", str(out), "--quiet", "--methods", "hash", "bh-skip"])
    text = capsys.readouterr().out
    assert "Summary" in text and "bh-skip" in text and "retained" in text
    assert summary["method"].tolist()[:1] == ["full"]
    for name in ("runs.jsonl", "summary.csv", "auc_vs_params_tiny.png", "convergence_tiny.png"):
        assert (out / name).exists(), name
    with pytest.raises(SystemExit):
        ex.main(["--quick", "--datasets", "nope"])


def test_plots_return_figures(tmp_path):
    cfg = tiny_config(tmp_path, seeds=(0, 1), methods=("full", "hash"))
    summary = run_experiment(cfg)
    fig = auc_vs_params_figure(summary, "tiny")
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_legend() is not None
    assert len(convergence_figure(records_of(cfg), "tiny", ratio=10).axes) == 2
    with pytest.raises(ValueError, match="dataset 'nope'"):
        auc_vs_params_figure(summary, "nope")


def test_summary_retention_math():
    recs = [{"dataset": "d", "method": m, "target_ratio": r, "seed": s, "status": "ok",
             "test_auc": a + s / 100, "test_logloss": 0.5, "achieved_ratio": r}
            for m, r, a in (("full", 1.0, 0.8), ("hash", 10.0, 0.7))
            for s in (0, 1, 2)]
    s = summarize(recs).set_index("method")
    assert s.loc["hash", "auc_mean"] == pytest.approx(0.71)
    assert s.loc["hash", "auc_std"] == pytest.approx(0.01)  # sample std (ddof=1)
    assert s.loc["hash", "retained_auc"] == pytest.approx(0.71 / 0.81)
    assert s.loc["hash", "retained_lift"] == pytest.approx(0.21 / 0.31)


@pytest.mark.parametrize("kwargs, match", [
    ({"methods": ("nope",)}, "methods must hold names from"),
    ({"seeds": (-1,)}, r"seeds\[0\] must be >= 0"),
    ({"datasets": ({"name": "x"},)}, "datasets must hold DatasetSpec"),
    ({"datasets": (TINY, TINY)}, "dataset names must be unique"),
    # duplicates would train every run twice and report +-0 over "1 seed"
    ({"seeds": (0, 1, 0)},
     re.escape("seeds must not repeat a value, got [0, 1, 0] (repeated: [0])")),
    ({"methods": ("full", "hash", "hash")},
     re.escape("methods must not repeat a value, got ['full', 'hash', 'hash'] "
               "(repeated: ['hash'])")),
    ({"seeds": (True,)}, re.escape("seeds[0] must be an int, got True (bool)")),
    ({"seeds": (1.0,)}, re.escape("seeds[0] must be an int, got 1.0 (float)")),
    ({"num_threads": True}, re.escape("num_threads must be an int, got True (bool)")),
    ({"figures": "no"}, re.escape("figures must be True or False, got 'no' (str)")),
    ({"progress": 0}, re.escape("progress must be True or False, got 0 (int)")),
])
def test_bad_experiment_config(tmp_path, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tiny_config(tmp_path, **kwargs)


@pytest.mark.parametrize("kwargs, error", [
    ({"figures": "no"}, TypeError), ({"progress": 1}, TypeError), ({"seeds": (True,)}, TypeError),
    ({"seeds": (0, 0)}, ValueError), ({"methods": ("hash", "hash")}, ValueError),
])
def test_bad_experiment_config_error_types(tmp_path, kwargs, error):
    with pytest.raises(error):
        tiny_config(tmp_path, **kwargs)


def test_bad_dataset_spec():
    with pytest.raises(ValueError, match="source must be one of"):
        DatasetSpec("x", "criteo")
    with pytest.raises(ValueError, match=r"ratios\[0\] must be a positive number"):
        DatasetSpec("x", "synthetic", ratios=(0,))
    with pytest.raises(ValueError, match=re.escape(
            "ratios must not repeat a value, got [10, 100, 10.0] (repeated: [10.0])")):
        DatasetSpec("x", "synthetic", ratios=(10, 100, 10.0))
    with pytest.raises(ValueError, match=re.escape(
            "methods must not repeat a value, got ['qr', 'qr'] (repeated: ['qr'])")):
        DatasetSpec("x", "synthetic", methods=("qr", "qr"))
    with pytest.raises(TypeError, match=re.escape("ratios[0] must be a number, got True")):
        DatasetSpec("x", "synthetic", ratios=(True,))


def test_records_are_plain_json(tmp_path):
    cfg = tiny_config(tmp_path, seeds=(0,), methods=("full",))
    run_experiment(cfg)
    with open(f"{cfg.results_dir}/runs.jsonl") as fh:
        line = fh.readline()
    assert "NaN" not in line and json.loads(line)["method"] == "full"


def test_a_dataset_that_cannot_be_fetched_leaves_the_others_running(tmp_path, monkeypatch):
    from bhlib.data import DataFetchError
    real_load = runner.load_dataset

    def load(spec, cache_dir):
        if spec.name == "offline":
            raise DataFetchError("PyPI unreachable; place the files by hand", kind="download")
        return real_load(spec, cache_dir)

    monkeypatch.setattr(runner, "load_dataset", load)
    offline = dataclasses.replace(TINY, name="offline")
    cfg = tiny_config(tmp_path, datasets=(offline, TINY), seeds=(0,), methods=("full", "hash"))
    summary = run_experiment(cfg)
    assert set(summary["dataset"]) == {"tiny"} and "offline" in summary.attrs["failed_datasets"]
    assert {r["dataset"] for r in records_of(cfg)} == {"tiny"}  # nothing faked for the offline one
    monkeypatch.setattr(cli, "quick_config", lambda **ch: dataclasses.replace(cfg, **ch))
    with pytest.raises(SystemExit, match="offline"):
        ex.main(["--quick", "--results", cfg.results_dir, "--quiet", "--no-figures",
                 "--workers", "1"])  # in this process, where load_dataset is replaced


def test_auc_vs_params_figure_follows_the_measure():
    s = pd.DataFrame({"dataset": "d", "method": ["full", "hash"], "target_ratio": [1, 10],
                      "num_seeds": 1, "embedding_params": [1e4, 1e3], "auc_mean": [0.8, 0.7],
                      "auc_std": 0.0, "logloss_mean": [0.5, 0.6], "logloss_std": 0.01})
    auc = auc_vs_params_figure(s, "d").axes[0]
    loss = auc_vs_params_figure(s, "d", measure="logloss_mean").axes[0]
    assert auc.get_ylabel().startswith("test AUC") and loss.get_ylabel().startswith("test logloss")
    assert loss.lines[0].get_ydata()[0] == 0.5  # the baseline's line at its logloss
    with pytest.raises(ValueError, match="measure"):
        auc_vs_params_figure(s, "d", measure="auc")
    with pytest.raises(ValueError, match="no column 'retained_auc'"):
        auc_vs_params_figure(s, "d", measure="retained_auc")


def test_every_method_has_its_own_line_and_the_ablations_are_dotted():
    methods = [m for m in METHODS if m != "full"]
    s = pd.DataFrame({"dataset": "d", "method": ["full", *methods],
                      "target_ratio": [1] + [10] * len(methods), "num_seeds": 2,
                      "embedding_params": [1e4] + [1e3] * len(methods),
                      "auc_mean": 0.8, "auc_std": 0.0})
    ax = auc_vs_params_figure(s, "d").axes[0]
    handles, labels = ax.get_legend_handles_labels()
    lines = {lab: h.lines[0] if hasattr(h, "lines") else h for h, lab in
             zip(handles, labels, strict=True)}
    colors = {m: lines[m].get_color() for m in methods}
    assert len(set(colors.values())) == len(methods), colors
    dotted = {m for m in methods if lines[m].get_linestyle() == ":"}
    assert dotted == set(ABLATION_METHODS)

"""Tuning the same for every method: the grid, the choice by validation AUC, the tuned table on
disk, its use by a sweep (and only for the dataset version it was tuned for), and the protocol
of make reproduce."""
from __future__ import annotations

import dataclasses
import json
import math

import pytest

from bhlib import plan_embedding
from bhlib.experiment import (
    DatasetSpec,
    ExperimentConfig,
    build_config,
    default_datasets,
    plan_runs,
    read_records,
    run_experiment,
)
from bhlib.experiment import reproduce as rep
from bhlib.experiment.tuning import (
    LR_FACTORS,
    LR_LADDER,
    TUNED_PATH,
    TUNING_SEED,
    choose,
    dataset_fingerprint,
    grid_lrs,
    load_tuned,
    tuned_entry,
    widen,
    write_tuned,
)
from bhlib.model import ModelConfig


def tiny(tmp_path, **changes):
    spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
                       options={"num_rows": 400, "vocab_sizes": (5000, 5)},
                       train={"epochs": 1, "lr": 0.01})
    return ExperimentConfig(**{"datasets": [spec], "methods": ("hash", "bh-succession"),
                               "seeds": (0, 1), "results_dir": str(tmp_path / "r"),
                               "progress": False, "figures": False, **changes})


def record(ds, method, ratio, lr, auc, status="ok"):
    return {"dataset": ds, "method": method, "target_ratio": ratio, "status": status,
            "config": {"train": {"lr": lr}}, "best_valid_auc": auc}


def test_grid_is_the_base_rate_times_the_factors():
    assert LR_FACTORS == (0.3, 1.0, 3.0)
    assert grid_lrs(2e-3) == (0.0006, 0.002, 0.006)
    with pytest.raises(ValueError, match="repeated learning rates"):
        grid_lrs(1e-3, (1.0, 1.0001))
    with pytest.raises(ValueError, match="base_lr must be"):
        grid_lrs(0)


def test_choice_is_the_best_validation_auc_first_of_the_grid_on_a_tie():
    recs = [record("d", "qr", 10.0, lr, auc) for lr, auc in ((0.003, 0.71), (0.01, 0.72),
                                                             (0.03, 0.72))]
    recs += [record("d", "qr", 100.0, 0.01, math.nan), record("d", "hash", 10.0, 0.01, 0.6,
                                                              status="skipped")]
    t = choose(recs, {"d": "fp"})
    assert t["d"]["fingerprint"] == "fp" and len(t["d"]["entries"]) == 1
    e = t["d"]["entries"][0]
    assert (e["method"], e["target_ratio"], e["lr"], e["valid_auc"]) == ("qr", 10.0, 0.01, 0.72)
    with pytest.raises(ValueError, match="no fingerprint for dataset 'd'"):
        choose(recs, {})


def test_tuned_table_round_trips_and_says_how_it_was_made(tmp_path):
    table = choose([record("d", "qr", 10.0, 0.01, 0.7)], {"d": "fp"})
    path = write_tuned(tmp_path / "t.json", table, command="make reproduce", commit="abc")
    doc = json.loads(path.read_text())
    assert doc["made_by"] == {"command": "make reproduce", "commit": "abc", "seed": TUNING_SEED,
                              "lr_factors": [0.3, 1.0, 3.0], "lr_ladder": list(LR_LADDER),
                              "chosen_by": "best_valid_auc"}
    assert load_tuned(path) == table
    (tmp_path / "bad.json").write_text('{"datasets": {"d": {"entries": []}}}')
    with pytest.raises(ValueError, match="bad.json is not a tuned table"):
        load_tuned(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="is not a tuned table"):
        load_tuned(tmp_path / "missing.json")


def test_fingerprint_leaves_out_the_rate_and_nothing_else(tmp_path):
    cfg = tiny(tmp_path)
    spec = cfg.datasets[0]
    fp = dataset_fingerprint(spec, cfg)
    assert dataset_fingerprint(dataclasses.replace(spec, train={**spec.train, "lr": 1}), cfg) == fp
    for changed in (dataclasses.replace(spec, options={**spec.options, "num_rows": 401}),
                    dataclasses.replace(spec, train={**spec.train, "epochs": 2}),
                    dataclasses.replace(spec, model={"embedding_dim": 8})):
        assert dataset_fingerprint(changed, cfg) != fp
    assert dataset_fingerprint(spec, dataclasses.replace(cfg, model=ModelConfig(hidden=(8,)))) != fp


def test_a_sweep_uses_a_tuned_rate_only_for_the_dataset_it_was_tuned_for(tmp_path):
    cfg = tiny(tmp_path)
    fp = dataset_fingerprint(cfg.datasets[0], cfg)
    entry = {"method": "hash", "target_ratio": 10.0, "lr": 0.03, "valid_auc": 0.7,
             "grid": {"0.003": 0.6, "0.01": 0.65, "0.03": 0.7}}
    tuned = dataclasses.replace(cfg, tuned={"s": {"fingerprint": fp, "entries": [entry]}})
    runs = {(r["method"], r["seed"]): r for r in plan_runs(tuned)}
    assert runs["hash", 0]["config"]["train"]["lr"] == 0.03
    assert runs["hash", 1]["tuning"] == {**entry, "seed": TUNING_SEED}
    assert runs["bh-succession", 0]["tuning"] is None  # not tuned: the dataset's rate
    assert runs["bh-succession", 0]["config"]["train"]["lr"] == 0.01
    untuned = {(r["method"], r["seed"]): r for r in plan_runs(cfg)}
    assert runs["hash", 0]["key"] != untuned["hash", 0]["key"]  # another rate, another run
    assert runs["full", 0]["key"] == untuned["full", 0]["key"]
    stale = dataclasses.replace(cfg, tuned={"s": {"fingerprint": "other", "entries": [entry]}})
    assert all(r["tuning"] is None for r in plan_runs(stale))
    assert tuned_entry(None, "s", fp, "hash", 10) is None
    with pytest.raises(TypeError, match="tuned must be a tuned table"):
        dataclasses.replace(cfg, tuned=["hash"])


def test_tune_then_train_records_the_grid_and_resumes(tmp_path):
    cfg = tiny(tmp_path, seeds=(0,))
    table = rep.tune(cfg)
    grid = read_records(tmp_path / "r" / "tuning" / "runs.jsonl")
    assert {r["seed"] for r in grid} == {TUNING_SEED}
    first = [r for r in grid if r["config"]["train"]["lr"] in (0.003, 0.01, 0.03)]
    assert len(first) == 3 * 3  # full, hash, bh-succession at the 3 rates of the first grid
    ladder = grid_lrs(0.01, LR_LADDER)
    assert load_tuned(tmp_path / "r" / "tuned.json") == table
    for e in table["s"]["entries"]:
        scores = {float(k): v for k, v in e["grid"].items()}
        assert e["valid_auc"] == max(scores.values()) == scores[e["lr"]]
        lrs = sorted(scores)
        i = ladder.index(lrs[0])
        assert lrs == list(ladder[i:i + len(lrs)])  # grown one ladder step at a time
        assert lrs[0] < e["lr"] < lrs[-1] or e["lr"] in (ladder[0], ladder[-1])
    assert len(grid) == sum(len(e["grid"]) for e in table["s"]["entries"])
    assert rep.tune(cfg) == table  # resumed: nothing trained again, the same choice
    assert len(read_records(tmp_path / "r" / "tuning" / "runs.jsonl")) == len(grid)
    run_experiment(dataclasses.replace(cfg, tuned=table))
    final = read_records(tmp_path / "r" / "runs.jsonl")
    chosen = {(e["method"], e["target_ratio"]): e["lr"] for e in table["s"]["entries"]}
    for r in final:
        assert r["seed"] == 0 and r["tuning"]["seed"] == TUNING_SEED
        assert r["config"]["train"]["lr"] == chosen[r["method"], r["target_ratio"]]


def test_command_line_takes_a_tuned_table_or_none(tmp_path, capsys):
    cfg = tiny(tmp_path)
    table = {"movielens": {"fingerprint": "x", "entries": []}}
    path = write_tuned(tmp_path / "t.json", table, command="c", commit="c")
    assert build_config(["--tuned", str(path)]).tuned == table
    assert build_config(["--untuned"]).tuned is None
    assert build_config(["--quick"]).tuned is None  # the quick sweep is never tuned
    for argv, words in ((["--tuned", str(path), "--untuned"], "exclude each other"),
                        (["--tuned", str(tmp_path / "no.json")], "--tuned must name")):
        with pytest.raises(SystemExit):
            build_config(argv)
        assert words in capsys.readouterr().err
    del cfg


def test_reproduce_protocol_has_qr_at_1000x_on_ten_million_ids():
    cfg = rep.reproduce_config()
    assert [d.name for d in cfg.datasets] == ["movielens", "movielens-time", "synthetic",
                                              "synthetic-10m"]
    assert cfg.seeds == (0, 1, 2, 3, 4) and TUNING_SEED not in cfg.seeds
    assert set(cfg.methods) >= {"qr", "bh-succession", "bh-skip", "hash", "multi_hash",
                                "bh-product", "bh-concat", "bh-mixed", "qr-add"}
    big = cfg.datasets[-1]
    assert big.options["vocab_sizes"][0] == 10**7 and 1000 in big.ratios
    compressed = [v for v in big.options["vocab_sizes"] if v > big.model["compress_threshold"]]
    assert compressed == [10**7]  # only the field Q-R can take to 1000x
    for method in ("qr", "qr-add"):
        p = plan_embedding("qr", 10**7, 16, ratio=1000,
                           operation="add" if method == "qr-add" else "mult")
        assert p.achieved_ratio >= 1000
    # the default sweep's datasets are the protocol's first three, unchanged
    assert [dataset_fingerprint(d, cfg) for d in cfg.datasets[:3]] == [
        dataset_fingerprint(d, ExperimentConfig()) for d in default_datasets()]


@pytest.mark.skipif(not TUNED_PATH.exists(), reason="no committed bhlib/experiment/tuned.json "
                                                    "yet (make reproduce REPRODUCE_ARGS="
                                                    "--commit-tuned writes it)")
def test_committed_table_tunes_every_reachable_run_of_make_run():
    for vocab, ratio in ((1682, 30), (10**6, 1000)):  # MovieLens' item_id; synthetic's f0
        with pytest.raises(ValueError):
            plan_embedding("qr", vocab, 16, ratio=ratio)
    table = load_tuned(TUNED_PATH)
    doc = json.loads(TUNED_PATH.read_text())
    assert doc["made_by"]["command"].startswith("python -m bhlib.experiment.reproduce")
    cfg = dataclasses.replace(build_config([]), tuned=table)
    for run in plan_runs(cfg):
        spec = next(d for d in cfg.datasets if d.name == run["dataset"])
        try:
            ModelConfig(**run["config"]["model"])
            fits = True
        except ValueError:
            fits = False
        if fits and run["tuning"] is None:
            # Q-R cannot reach these (its ceiling is about sqrt(V)/2), so no tuning run trained
            assert (run["dataset"], run["method"], run["target_ratio"]) in {
                ("movielens", "qr", 30.0), ("synthetic", "qr", 1000.0)}, (
                f"{spec.name} {run['method']} {run['target_ratio']}x is not tuned: "
                "bhlib/experiment/tuned.json is stale (re-run make reproduce)")


def test_reproduce_command_line_refuses_bad_arguments(capsys):
    for argv, words in ((["--workers", "0"], "--workers must be >= 1"),
                        (["--datasets", "criteo"], "--datasets: unknown ['criteo']"),
                        (["--results", "README.md"], "--results must be a folder")):
        with pytest.raises(SystemExit) as exc:
            rep.main(argv)
        assert exc.value.code == 2 and words in capsys.readouterr().err


def test_a_grid_grows_only_where_its_choice_is_at_an_edge():
    def entry(method, lr):
        return {"method": method, "target_ratio": 10.0, "lr": lr}
    table = {"d": {"fingerprint": "f", "entries": [
        entry("low", 0.003), entry("high", 0.03), entry("inside", 0.01), entry("end", 0.0003),
        entry("one", 0.01), entry("failed", 0.01)]}}
    three = {0.3: 0.003, 1.0: 0.01, 3.0: 0.03}
    tried = {("d", "low", 10.0): three, ("d", "high", 10.0): three,
             ("d", "inside", 10.0): three, ("d", "end", 10.0): {0.03: 0.0003, 0.1: 0.001},
             ("d", "one", 10.0): {1.0: 0.01},
             # its 3x run scored NaN: 1x is the largest rate that counts, but 3x was tried
             ("d", "failed", 10.0): three}
    assert widen(table, tried) == [("d", "low", 10.0, 0.1), ("d", "high", 10.0, 10.0)]

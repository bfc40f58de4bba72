"""Notebook 07's tables against the obvious formula (a full table is ``12 (V D + MLP)`` bytes with
Adam), the process launcher's promise (nothing outlives it), the record comparisons, and the
replication panel's latency.

The real runs (``torchrun`` on two processes, a sweep on loky workers) are the doctests of
``bhlib.teaching.scale_out`` and the tests of ``tests/test_distributed.py`` and
``tests/test_parallel_sweep.py``; here they are replaced by records made by hand.
"""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import pytest

import bhlib
from bhlib import teaching
from bhlib.teaching import scale_out, widgets
from bhlib.teaching.latency import latency_summary, panel_latency

MLP = 16 * 64 + 64 + 64 * 32 + 32 + 32 + 1  # one field of D = 16 -> 64 -> 32 -> 1: 3,201
ADAM = 12  # bytes per parameter: the parameter and Adam's two moments, float32


def full_bytes(v: int, d: int = 16) -> int:
    return ADAM * (v * d + (d * 64 + 64 + 64 * 32 + 32 + 32 + 1))


# ---------------------------------------------------------------- closed form
def test_full_table_bytes_are_the_formula_and_compressed_ones_meet_their_budget():
    t = teaching.bytes_per_process_table([10**6, 10**7, 10**9], ratio=1000)
    assert MLP == 3201
    for r in t.itertuples():
        if r.method == "full":
            assert r.total_bytes == full_bytes(r.num_ids) and r.achieved_ratio == 1.0
        elif r.skipped == "":
            assert r.table_params <= r.num_ids * 16 / 1000  # within the budget
            assert r.achieved_ratio >= 1000 and r.total_bytes == ADAM * (r.table_params + MLP)


def test_qr_is_skipped_with_its_planners_reason_exactly_where_it_cannot_reach():
    t = teaching.bytes_per_process_table([10**6, 4 * 10**6, 10**7], methods=["qr"], ratio=1000)
    assert list(t["skipped"] != "") == [True, False, False]  # max ratio about sqrt(V)/2
    with pytest.raises(bhlib.BudgetError) as err:
        bhlib.plan_embedding("qr", 10**6, 16, ratio=1000)
    assert t.loc[0, "skipped"] == str(err.value)
    assert t.loc[0, "memory"] == "-" and t["total_bytes"].isna().tolist() == [True, False, False]
    grid = teaching.bytes_per_process_grid(t)
    assert grid.loc["qr 1000x"].tolist() == ["skipped", "806 kB", "1.96 MB"]
    assert list(grid.columns) == ["10^6 ids", "4,000,000 ids", "10^7 ids"]


@pytest.mark.parametrize("memory", [16 * 10**9, 80 * 10**9, 24 * 2**30, 10**6, 123_456_789])
def test_full_table_limit_is_the_last_vocabulary_that_fits(memory):
    v = teaching.full_table_limit(memory)
    assert v == max(0, (memory // ADAM - MLP) // 16)  # the formula, in integers
    if v:
        assert full_bytes(v) <= memory < full_bytes(v + 1)


def test_full_table_limit_counts_the_optimizer_and_the_dimension():
    assert teaching.full_table_limit(80 * 10**9, optimizer=None) == (20 * 10**9 - MLP) // 16
    assert teaching.full_table_limit(10**4) == 0  # not even the MLP fits
    wide = teaching.full_table_limit(10**9, embedding_dim=64)
    assert full_bytes(wide, 64) <= 10**9 < full_bytes(wide + 1, 64)


def test_sharding_table_starts_sharding_one_id_after_the_limit():
    t = teaching.sharding_table()
    assert list(t["device"]) == list(teaching.SCALE_DEVICES)
    for r, memory in zip(t.itertuples(), teaching.SCALE_DEVICES.values(), strict=True):
        assert r.full_fits_up_to == teaching.full_table_limit(memory)
        assert r.sharding_from == r.full_fits_up_to + 1
        assert r.num_shards == math.ceil(full_bytes(10**9) / memory)


def test_replication_table_fits_and_shards():
    t = teaching.replication_table(10**9, 80 * 10**9, ratio=1000)
    assert t.set_index("method")["fits"].to_dict() == {
        "full": False, "hash": True, "multi_hash": True, "qr": True, "bh-succession": True,
        "bh-skip": True}
    assert t["num_shards"].tolist() == [3, 1, 1, 1, 1, 1]
    small = teaching.replication_table(10**6, 10**5, ratio=1000)  # 100 kB: only BH-Skip fits
    assert small.loc[small["fits"], "method"].tolist() == ["bh-skip"]
    assert small.loc[small["method"] == "qr", "num_shards"].isna().all()


@pytest.mark.parametrize("call, error, words", [
    (lambda: teaching.bytes_per_process_table(methods="full"), TypeError, "methods"),
    (lambda: teaching.bytes_per_process_table(methods=["nope"]), ValueError, "methods"),
    (lambda: teaching.bytes_per_process_table(ratio=0), ValueError, "ratio"),
    (lambda: teaching.bytes_per_process_table([10**6.0]), TypeError, "vocab_sizes[0]"),
    (lambda: teaching.full_table_limit(0), ValueError, "memory_bytes"),
    (lambda: teaching.sharding_table(num_ids=0), ValueError, "num_ids"),
    (lambda: teaching.replication_table(10**6, -1), ValueError, "memory_bytes"),
])
def test_bad_arguments_are_named(call, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_figure_draws_each_reachable_method_and_each_device():
    t = teaching.bytes_per_process_table([10**6, 10**8], ratio=1000)
    fig = teaching.bytes_per_process_figure(t, teaching.SCALE_DEVICES, mark=10**7)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert labels[:6] == ["full", "hash 1000x", "multi_hash 1000x", "qr 1000x",
                          "bh-succession 1000x", "bh-skip 1000x"]
    assert len(ax.lines) == 6 + len(teaching.SCALE_DEVICES) + 1  # devices and the mark
    qr = ax.lines[3]
    assert list(qr.get_xdata()) == [10**8]  # its 10^6 point is skipped, not drawn


# ---------------------------------------------------------------- launching processes
def test_run_in_sessions_returns_outputs_and_reports_a_failure():
    outs = scale_out.run_in_sessions([[sys.executable, "-c", "print('a')"],
                                      [sys.executable, "-c", "print('b')"]], timeout_s=60)
    assert outs == ["a\n", "b\n"]
    with pytest.raises(RuntimeError, match="exited with status 3:\nboom"):
        scale_out.run_in_sessions([[sys.executable, "-c",
                                    "import sys; sys.stderr.write('boom'); sys.exit(3)"]],
                                  timeout_s=60)


def test_a_command_out_of_time_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    script = ("import subprocess, sys, time\n"
              "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
              f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
              "time.sleep(300)\n")
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="ran out of time after 3 s"):
        scale_out.run_in_sessions([[sys.executable, "-c", script]], timeout_s=3)
    assert time.monotonic() - start < 30
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(grandchild), f"the grandchild {grandchild} outlived the timeout"


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_data_parallel_commands_stay_on_loopback_in_separate_folders():
    cmds = scale_out.data_parallel_commands("out", port=12345, method="full", epochs=None)
    assert sorted(cmds) == [1, 2]
    assert cmds[1][0] == sys.executable and cmds[2][0].endswith("torchrun")
    assert "--rdzv-endpoint=127.0.0.1:12345" in cmds[2] and "--max-restarts=0" in cmds[2]
    assert "--ratio" not in cmds[1] and "--epochs" not in cmds[1]  # the baseline has no ratio
    assert cmds[1][-1] != cmds[2][-1]  # the same run key: two folders, one record each
    with pytest.raises(ValueError, match="nproc"):
        scale_out.data_parallel_commands("out", port=1, nproc=1)


# ---------------------------------------------------------------- comparing records
RECORD = {"key": "k", "status": "ok", "world_size": 1, "rank_max_difference": 0.0, "steps": 32,
          "best_epoch": 2.0, "test_auc": 0.7407, "test_logloss": 0.4957, "train_seconds": 1.0,
          "finished_at": "2026-01-01T00:00:00+0000",
          "curve": [{"epoch": 1.0, "valid_auc": 0.7, "seconds": 0.4}]}


def test_data_parallel_facts_and_table():
    two = {**RECORD, "world_size": 2, "test_auc": RECORD["test_auc"] + 3e-6}
    facts = teaching.data_parallel_facts({1: RECORD, 2: two})
    assert facts == {"world_size": (1, 2), "one run (same key)": True,
                     "ranks bitwise identical": True, "same steps and best epoch": True,
                     "AUC within 1e-04": True, "logloss within 1e-06": True}
    off = {**two, "test_auc": RECORD["test_auc"] + 2e-4, "rank_max_difference": 1e-9}
    facts = teaching.data_parallel_facts({2: off, 1: RECORD})  # any order of the dict
    assert not facts["AUC within 1e-04"] and not facts["ranks bitwise identical"]
    t = teaching.data_parallel_table({1: RECORD, 2: two})
    assert list(t.columns) == ["1 process", "2 processes", "difference"]
    assert t.loc["test_auc", "difference"] == pytest.approx(3e-6)
    with pytest.raises(ValueError, match="two records"):
        teaching.data_parallel_table({1: RECORD})


def test_records_are_compared_without_their_timing_only():
    later = {**RECORD, "train_seconds": 9.0, "finished_at": "2026-01-02T00:00:00+0000",
             "curve": [{**RECORD["curve"][0], "seconds": 3.0}]}
    assert teaching.without_timing(later) == teaching.without_timing(RECORD)
    assert RECORD["curve"][0]["seconds"] == 0.4  # the record itself is left as it was
    skipped = {"key": "q", "status": "skipped", "reason": "too small"}
    same = teaching.sweep_facts({1: {"records": [RECORD, skipped]},
                                 2: {"records": [skipped, later]}})
    assert same == {"runs": 2, "trained": 1, "skipped": 1, "same runs": True,
                    "identical apart from timing": True}
    changed = teaching.sweep_facts({1: {"records": [RECORD]},
                                    2: {"records": [{**later, "test_auc": 0.7}]}})
    assert changed["same runs"] and not changed["identical apart from timing"]
    missing = teaching.sweep_facts({1: {"records": [RECORD, skipped]}, 2: {"records": [later]}})
    assert not missing["same runs"] and not missing["identical apart from timing"]


def test_sweep_on_workers_wants_a_sweep_config(tmp_path):
    with pytest.raises(TypeError, match="ExperimentConfig"):
        teaching.sweep_on_workers({"workers": 2}, results_dir=tmp_path)


# ---------------------------------------------------------------- the panel answers at once
def test_replication_panel_answers_every_move_within_the_budget():
    """Every control moved headless: each move changes the view; p95 within 2 s (the target is
    0.5 s; the browser suite's 4x margin for a loaded 2-core machine)."""
    moves = panel_latency(widgets.replication_widget(10**9, device="GPU (80 GB)"), num_values=5)
    assert set(moves["control"]) == {"vocabulary", "ratio", "device", "memory"}
    assert moves["changed"].all()
    summary = latency_summary({"07 replication": moves})
    assert summary.loc[0, "p95_s"] <= 2.0, summary.to_dict("records")

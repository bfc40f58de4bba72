"""Smoke test of ``make bench`` (bench/run.py, issue 5) on tiny sizes.

Benchmarks are not tests: nothing here checks a timing. It checks that the script runs, prints
its tables with the summary last, and writes ``bench.json`` / ``bench.md`` with the keys the README
and the issue rely on (section 7's rows and summary keys included); that a memory child process
reports its own peak; and that section 7's child processes die with their own children on timeout.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
from scale_out import _run_child  # noqa: E402
from train_step import traffic_bytes  # noqa: E402


def test_bench_script_runs_on_tiny_sizes_and_writes_the_summary(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke", "--threads", "1",
         "--sections", "index,step,ctr,tables,scale", "--out", str(out)],
        capture_output=True, text=True, timeout=400, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert {"machine", "preset", "config", "index_gen", "train_step", "ctr", "summary"} <= set(res)
    assert {"cpu", "cores", "torch", "numpy", "torch_threads_default"} <= set(res["machine"])
    summary = res["summary"]
    assert isinstance(summary["index_gen_fraction_of_bandwidth"], float)
    assert set(summary["bh_over_full_step_time"]) == {"2000"}  # JSON keys: V as text
    assert isinstance(summary["bh_over_full_step_time"]["2000"], float)
    for key in ("bh_step_over_sparse_full", "bh_step_over_traffic_bound"):  # per V, 1 thread
        assert set(summary[key]) == {"2000"} and summary[key]["2000"] > 0, key
    assert isinstance(summary["goal_bh_step"], bool) and isinstance(summary["goal_index_gen"], bool)
    bh = next(r for r in res["train_step"]["rows"] if r["method"] == "bh-succession"
              and r["optimizer"] == "adam")
    assert bh["over_bound"] == pytest.approx(bh["seconds"] / bh["bound_s"])
    assert bh["traffic_bytes"] == traffic_bytes(4096, 64, bh["K"], bh["rows"], 64)
    tables = res["table_update"]["rows"]
    assert [r["rule"] for r in tables] == ["dense", "sparse"]  # rows = B*K/4 and 16*B*K
    scale = res["scale_out"]  # section 7: 1 and 2 workers, 1 and 2 ranks, the cores beside
    assert scale["cores"] >= 1 and scale["cpu_count"] >= 1
    assert res["machine"]["cores_affinity"] == scale["cores"]
    sweep = {(r["backend"], r["workers"]): r for r in scale["sweep"]["rows"]}
    assert {("loky", 1), ("loky", 2)} <= set(sweep)
    for r in sweep.values():
        assert r["runs"] == r["runs_ok"] == 2, r  # the baseline and hash at 10x
        for key in ("seconds", "runs_per_minute", "speedup", "train_s_sum"):
            assert isinstance(r[key], float) and r[key] > 0, (key, r)
    assert {(r["method"], r["ranks"]) for r in scale["ddp"]["rows"]} == {
        (m, n) for m in ("bh-succession", "full") for n in (1, 2)}
    for r in scale["ddp"]["rows"]:
        assert r["rows_per_rank"] * r["ranks"] == r["global_batch"] == 1024
        for key in ("ms_per_step", "forward_backward_ms", "optimizer_ms", "allreduce_ms",
                    "allreduce_share", "speedup"):
            assert isinstance(r[key], float) and r[key] > 0, (key, r)
        assert r["steps"] == 6  # 2 blocks of 3 timed steps, after the warm-up
    for key in ("cores", "cpu_count"):
        assert summary[key] == scale[key]
    assert isinstance(summary["sweep_speedup_2_workers"], float)
    assert summary["sweep_speedup_2_workers"] > 0
    assert set(summary["sweep_runs_per_minute"]) == {"1", "2"}  # JSON keys: workers as text
    assert all(v > 0 for v in summary["sweep_runs_per_minute"].values())
    for key in ("ddp_step_speedup_2_ranks", "ddp_allreduce_share_2_ranks"):
        assert set(summary[key]) == {"bh-succession", "full"}, key
        assert all(isinstance(v, float) and v > 0 for v in summary[key].values()), key
    assert all(set(v) == {"1", "2"} and min(v.values()) > 0
               for v in summary["ddp_ms_per_step"].values())
    kinds = {r["kind"] for r in res["index_gen"]["rows"]}
    assert {"bh", "naive", "after", "hash", "multi_hash", "qr", "profile"} <= kinds
    methods = {(r["method"], r["optimizer"]) for r in res["train_step"]["rows"]}
    assert {("full", "adam"), ("full", "sparse_adam"), ("bh-succession", "adam"),
            ("bh-succession", "before")} <= methods
    assert "available" in res["ctr"]
    printed = proc.stdout.splitlines()
    step_title = next(line for line in printed if line.startswith("2. Training step"))
    assert printed.index("Summary") > printed.index(step_title)  # the summary table comes last
    scale_title = next(line for line in printed if line.startswith("7. DDP training step"))
    assert printed.index("Summary") > printed.index(scale_title)
    assert any("DDP ms per global step, 1 -> 2 ranks" in line for line in printed)
    assert "**Summary**" in out.with_suffix(".md").read_text()


def test_memory_child_reports_its_own_peak():
    proc = subprocess.run(
        [sys.executable, str(BENCH / "memory.py"), "bh-succession", "adam", "20000", "16", "10"],
        capture_output=True, text=True, timeout=120, cwd=BENCH)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert row["method"] == "bh-succession" and row["ratio"] == 10
    assert row["peak_rss"] >= row["baseline_rss"] > 0
    assert row["expected_bytes"] == row["params"] * 4 * 3  # weight + two Adam moments, float32


def _gone(pid: int) -> bool:
    """The process has exited (reaped, or a zombie nobody has reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_scale_out_child_is_killed_with_its_own_children_on_timeout(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    script = ("import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', "
              "'import time; time.sleep(120)']); open(sys.argv[1], 'w').write(str(p.pid)); "
              "time.sleep(120)")
    with pytest.raises(RuntimeError, match="timed out after 3 s"):
        _run_child([sys.executable, "-c", script, str(pid_file)], timeout_s=3)
    grandchild = int(pid_file.read_text())
    for _ in range(50):  # SIGKILL is delivered at once; the state may lag a little
        if _gone(grandchild):
            break
        time.sleep(0.1)
    assert _gone(grandchild)

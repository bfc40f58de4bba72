"""Smoke test of ``make bench`` (bench/run.py, issue 5) on tiny sizes.

Benchmarks are not tests: nothing here checks a timing. It checks that the script runs, prints
its tables with the summary last, and writes ``bench.json`` / ``bench.md`` with the keys the README
and the issue rely on; and that a memory child process reports its own peak.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
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
    scale = res["scale_out"]
    assert [r["workers"] for r in scale["sweep"]] == [1, 2] and scale["cores"] >= 1
    assert all(r["runs"] > 0 and r["runs_per_minute"] > 0 for r in scale["sweep"])
    assert {(r["method"], r["ranks"]) for r in scale["ddp"]} == {
        (m, n) for m in ("bh-succession", "full") for n in (1, 2)}
    assert all(r["ms_per_step"] > 0 for r in scale["ddp"])
    assert summary["sweep_speedup_2_workers"] > 0
    assert set(summary["ddp_step_speedup_2_ranks"]) == {"bh-succession", "full"}
    kinds = {r["kind"] for r in res["index_gen"]["rows"]}
    assert {"bh", "naive", "after", "hash", "multi_hash", "qr", "profile"} <= kinds
    methods = {(r["method"], r["optimizer"]) for r in res["train_step"]["rows"]}
    assert {("full", "adam"), ("full", "sparse_adam"), ("bh-succession", "adam"),
            ("bh-succession", "before")} <= methods
    assert "available" in res["ctr"]
    printed = proc.stdout.splitlines()
    step_title = next(line for line in printed if line.startswith("2. Training step"))
    assert printed.index("Summary") > printed.index(step_title)  # the summary table comes last
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

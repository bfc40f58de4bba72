"""Sweeps on many workers: loky processes and Dask clusters give the serial sweep's records.

Every cluster a test starts listens on 127.0.0.1 and is closed by the test; a sweep killed in a
test is a process in its own session, killed with its children.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bhlib.experiment import DatasetSpec, quick_config, run_experiment
from bhlib.experiment.parallel import map_unordered

distributed = pytest.importorskip("distributed", reason="the distributed extra is not installed")

TIMING = ("train_seconds", "finished_at")  # the fields that may differ between two sweeps
SPEC = DatasetSpec("syn", "synthetic", ratios=(10, 1000), model={"compress_threshold": 10_000},
                   options={"num_rows": 6000, "vocab_sizes": (100_000, 20_000, 50)},
                   train={"epochs": 2, "batch_size": 512, "lr": 1e-2})
METHODS = ("hash", "multi_hash", "qr", "bh-succession", "bh-skip")


def config(results: Path, **changes):
    return quick_config(results_dir=str(results), datasets=[SPEC], methods=METHODS, seeds=(0, 1),
                        progress=False, figures=False, **changes)


def comparable(results: Path) -> dict[str, dict]:
    """``{key: record}`` of a results folder, timing fields dropped."""
    out = {}
    for line in (results / "runs.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert "finished_at" in record and ("train_seconds" in record) == (record["status"] == "ok")
        for name in TIMING:
            record.pop(name, None)
        for point in record.get("curve", []):
            point.pop("seconds")
        out[record["key"]] = record
    return out


@pytest.fixture(scope="module")
def serial_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serial")
    run_experiment(config(folder))
    return folder


@pytest.fixture(scope="module")
def serial(serial_folder):
    return comparable(serial_folder)


def test_the_serial_sweep_trains_every_run(serial):
    assert len(serial) == 2 * (1 + len(METHODS) * 2)
    assert {r["status"] for r in serial.values()} == {"ok", "skipped"}  # Q-R cannot reach 1000x


def test_two_loky_workers_give_the_serial_records(tmp_path, serial):
    summary = run_experiment(config(tmp_path, workers=2))
    assert comparable(tmp_path) == serial
    assert summary["num_seeds"].sum() == sum(r["status"] == "ok" for r in serial.values())


def test_a_dask_local_cluster_gives_the_serial_records(tmp_path, serial):
    run_experiment(config(tmp_path, workers=2, backend="dask"))
    assert comparable(tmp_path) == serial


def test_a_dask_scheduler_address_gives_the_serial_records(tmp_path, serial):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        run_experiment(config(tmp_path, backend="dask", scheduler=address))
    assert comparable(tmp_path) == serial


def test_workers_resume_a_partial_sweep(tmp_path, serial_folder, serial):
    lines = (serial_folder / "runs.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "runs.jsonl").write_text("".join(lines[:5]))
    run_experiment(config(tmp_path, workers=2))
    assert comparable(tmp_path) == serial  # the 5 recorded runs were not redone
    assert sum(1 for _ in (tmp_path / "runs.jsonl").open()) == len(serial)


def test_a_killed_driver_leaves_its_records_and_no_worker_behind(tmp_path):
    """SIGKILL the driver once some runs are recorded: its workers go, a rerun does the rest."""
    folder = tmp_path / "r"
    argv = [sys.executable, "-m", "bhlib.experiment", "--quick", "--datasets", "synthetic-quick",
            "--results", str(folder), "--workers", "2", "--quiet", "--no-figures"]
    driver = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        runs, deadline = folder / "runs.jsonl", time.monotonic() + 120
        while time.monotonic() < deadline and driver.poll() is None:
            if runs.exists() and sum(1 for _ in runs.open()) >= 2:
                break
            time.sleep(0.05)
        assert driver.poll() is None, "the sweep ended before it could be killed"
        children = subprocess.run(["pgrep", "-s", str(driver.pid)], capture_output=True,
                                  text=True).stdout.split()
        assert len(children) >= 3  # the driver and its two workers
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and subprocess.run(
                ["pgrep", "-s", str(driver.pid)], capture_output=True).returncode == 0:
            time.sleep(0.2)
        left = subprocess.run(["pgrep", "-s", str(driver.pid)], capture_output=True, text=True)
        assert left.returncode == 1, f"workers outlived their driver: {left.stdout.split()}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
    done = sum(1 for _ in runs.open())
    rerun = subprocess.run([a for a in argv if a != "--quiet"], capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    total = sum(1 for _ in runs.open())
    assert f"{total - done} to do" in rerun.stdout + rerun.stderr
    assert len({json.loads(line)["key"] for line in runs.open()}) == total  # no run twice


def test_bad_backend_settings_are_refused():
    with pytest.raises(ValueError, match="needs backend 'dask'"):
        next(map_unordered(pow, [(2, 2)], workers=1, scheduler="127.0.0.1:8786"))
    with pytest.raises(ValueError, match="backend"):
        next(map_unordered(pow, [(2, 2)], workers=1, backend="ray"))
    with pytest.raises(ValueError, match="workers"):
        quick_config(workers=0)
    with pytest.raises(ValueError, match="needs backend 'dask'"):
        quick_config(scheduler="127.0.0.1:8786")
    r = subprocess.run([sys.executable, "-m", "bhlib.experiment", "--quick", "--scheduler",
                        "127.0.0.1:8786"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--scheduler 127.0.0.1:8786 needs --backend dask" in r.stderr

"""One sweep per results folder (bhlib.experiment.lock), repaired and deduplicated records, and
the command line's checks of every argument before any work."""
import contextlib
import fcntl
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import bhlib.collisions as collisions
import bhlib.experiment as ex
import bhlib.experiment.cli as cli
import bhlib.experiment.runner as runner
from bhlib.experiment import (
    DatasetSpec,
    ExperimentConfig,
    SweepLockedError,
    lock_holder,
    read_records,
    repair_torn_tail,
    run_experiment,
    sweep_lock,
    unique_records,
)
from bhlib.experiment.lock import LOCK_NAME
from bhlib.model import ModelConfig

ROOT = Path(__file__).resolve().parents[1]
# a real sweep of three short runs (full, hash at 10x and 1000x): a few seconds after the imports
SWEEP = ["--quick", "--datasets", "synthetic-quick", "--methods", "hash", "--seeds", "0",
         "--epochs", "1", "--no-figures", "--quiet"]
TINY = DatasetSpec("tiny", "synthetic", options={"num_rows": 400, "vocab_sizes": (3000, 6)},
                   ratios=(10,), train={"epochs": 1, "batch_size": 200})


def tiny_config(results, **changes):
    kw = dict(datasets=(TINY,), methods=("full", "hash"), seeds=(0,),
              model=ModelConfig(embedding_dim=4, hidden=(8,)), results_dir=str(results),
              progress=False, figures=False)
    return ExperimentConfig(**{**kw, **changes})


def start_sweep(results, *extra):
    """``python -m bhlib.experiment`` on the small sweep, as a child process."""
    return subprocess.Popen([sys.executable, "-m", "bhlib.experiment", *SWEEP, "--results",
                             str(results), "--cache-dir", str(results.parent / "data"), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_holding(proc, results, timeout=90):
    """Wait until ``proc``'s PID is in the lock file of ``results``."""
    deadline = time.monotonic() + timeout
    while lock_holder(results)["pid"] != proc.pid:
        if proc.poll() is not None:
            out, err = proc.communicate(timeout=10)
            pytest.fail(f"the sweep ended (status {proc.returncode}) before holding the lock:\n"
                        f"{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"no PID {proc.pid} in {results / LOCK_NAME} after {timeout} s")
        time.sleep(0.02)


def end(procs):
    """Kill whatever of ``procs`` still runs (stopped ones included)."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
        with contextlib.suppress(subprocess.TimeoutExpired, ValueError):  # ValueError: closed
            p.communicate(timeout=10)


def lock_is_free(results):
    """True if a new open file description of the lock file can take the lock now."""
    fd = os.open(results / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_two_sweeps_at_once_on_one_folder_second_exits_3_naming_the_first(tmp_path):
    results = tmp_path / "results"
    procs = []
    try:
        first = start_sweep(results)
        procs.append(first)
        wait_until_holding(first, results)
        first.send_signal(signal.SIGSTOP)  # frozen with the lock held: the overlap is certain
        assert lock_holder(results)["pid"] == first.pid, "the first sweep ended before the second"
        t0 = time.monotonic()
        second = start_sweep(results, "--sizes")  # as make run starts it
        procs.append(second)
        out, err = second.communicate(timeout=90)
        waited = time.monotonic() - t0
        assert second.returncode == 3, (out, err)
        assert f"results directory '{results}' is in use by another sweep (PID {first.pid}" in err
        assert "--results <other dir>" in err and "Traceback" not in err
        assert "Every scheme at equal memory" not in out and "Summary" not in out  # nothing done
        first.send_signal(signal.SIGCONT)
        out1, err1 = first.communicate(timeout=120)
        assert first.returncode == 0, err1
        assert "Summary" in out1
    finally:
        end(procs)
    keys = [r["key"] for r in read_records(results / "runs.jsonl")]
    assert len(keys) == len(set(keys)) == 3  # each run once: full, hash 10x, hash 1000x
    assert lock_holder(results)["pid"] is None and lock_is_free(results)
    assert waited < 60


def test_lock_is_released_after_a_sweep_and_after_kill_9(tmp_path, capsys):
    results = tmp_path / "results"
    run_experiment(tiny_config(results))
    assert lock_is_free(results) and lock_holder(results)["pid"] is None
    run_experiment(tiny_config(results))  # the same folder again, at once
    proc = start_sweep(results)
    try:
        wait_until_holding(proc, results)
        assert not lock_is_free(results)
        proc.kill()  # SIGKILL: no cleanup runs
        proc.communicate(timeout=30)
    finally:
        end([proc])
    assert lock_holder(results)["pid"] == proc.pid  # the stale lock file is still there ...
    assert lock_is_free(results)  # ... but the lock died with its process
    summary = ex.main([*SWEEP, "--results", str(results)])  # the killed sweep, resumed
    assert summary["method"].tolist() == ["full", "hash", "hash"]
    assert "Summary" in capsys.readouterr().out


@pytest.fixture
def locked_by_another(tmp_path):
    """The results folder, locked through another open file description naming PID 4242."""
    results = tmp_path / "results"
    results.mkdir()
    fd = os.open(results / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"4242\n2024-01-02T03:04:05+0000\npython -m bhlib.experiment\n")
    yield results
    os.close(fd)


def must_not_run(*args, **kwargs):
    raise AssertionError("work started although the folder is locked / the arguments are bad")


def test_a_locked_folder_is_refused_before_any_work(locked_by_another, monkeypatch):
    results = locked_by_another
    torn = '{"key": "a"}\n{"key": "b", "tr'
    (results / "runs.jsonl").write_text(torn)
    monkeypatch.setattr(runner, "load_dataset", must_not_run)
    monkeypatch.setattr(runner, "fit", must_not_run)
    with pytest.raises(SweepLockedError) as caught:
        run_experiment(tiny_config(results))
    assert str(caught.value) == (
        f"results directory '{results}' is in use by another sweep (PID 4242, started "
        "2024-01-02T03:04:05+0000); wait for it or use --results <other dir>")
    assert isinstance(caught.value, RuntimeError) and caught.value.pid == 4242
    assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
    assert (results / "runs.jsonl").read_text() == torn  # not repaired: not ours to touch
    assert not (results / "runs.jsonl.torn").exists()
    assert lock_holder(results)["pid"] == 4242  # the holder's PID survived our open


def test_cli_exits_3_on_a_locked_folder_before_the_size_table(locked_by_another, monkeypatch,
                                                              capsys):
    monkeypatch.setattr(collisions, "main", must_not_run)
    monkeypatch.setattr(runner, "load_dataset", must_not_run)
    with pytest.raises(SystemExit) as caught:
        ex.main([*SWEEP, "--sizes", "--results", str(locked_by_another)])
    assert caught.value.code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"python -m bhlib.experiment: results directory "
                            f"'{locked_by_another}' is in use by another sweep (PID 4242, started "
                            "2024-01-02T03:04:05+0000); wait for it or use --results <other dir>\n")


def test_sizes_are_printed_with_the_lock_held_before_the_sweep(tmp_path, monkeypatch, capsys):
    results, events = tmp_path / "results", []
    monkeypatch.setattr(collisions, "main",
                        lambda argv: events.append(("sizes", lock_holder(results)["pid"], argv)))
    real_load = runner.load_dataset
    monkeypatch.setattr(runner, "load_dataset",
                        lambda spec, cache_dir: events.append(("load",)) or real_load(spec,
                                                                                      cache_dir))
    monkeypatch.setattr(cli, "quick_config", lambda **ch: tiny_config(results, **ch))
    ex.main(["--quick", "--sizes", "--results", str(results), "--quiet", "--methods", "hash",
             "--workers", "1"])  # in this process, where load_dataset is replaced
    assert events == [("sizes", os.getpid(), ["--out", str(results / "sizes.csv"), "--quiet"]),
                      ("load",)]
    assert lock_holder(results)["pid"] is None  # released at the end


def test_the_lock_is_reentrant_in_one_process(tmp_path):
    with sweep_lock(tmp_path) as path:
        with sweep_lock(tmp_path):
            assert lock_holder(tmp_path)["pid"] == os.getpid()
        assert lock_holder(tmp_path)["pid"] == os.getpid() and not lock_is_free(tmp_path)
    assert path.exists() and lock_is_free(tmp_path)


def test_duplicate_records_are_summarized_once_with_one_warning(tmp_path):
    cfg = tiny_config(tmp_path / "results")
    first = run_experiment(cfg)
    path = tmp_path / "results" / "runs.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    # every run recorded a second time with another score, as two unlocked sweeps would have
    copies = [json.dumps({**json.loads(line), "test_auc": 0.123}) + "\n" for line in lines]
    path.write_text("".join(lines + copies))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = run_experiment(cfg)
    said = [str(w.message) for w in caught if "duplicate" in str(w.message)]
    assert said == [f"{path} holds {len(lines)} duplicate records (a key recorded before); the "
                    "summary keeps one per key, the first finished"]
    assert summary["num_seeds"].tolist() == [1, 1] and summary["auc_std"].isna().all()
    assert summary["auc_mean"].tolist() == first["auc_mean"].tolist()  # the first ones kept
    with pytest.warns(UserWarning, match=f"holds {len(lines)} duplicate records"):
        assert len(ex.sweep_records(cfg)) == len(lines)


def test_unique_records_prefers_the_first_finished_record():
    recs = [{"key": "a", "status": "skipped"}, {"key": "a", "status": "ok", "test_auc": 0.7},
            {"key": "a", "status": "ok", "test_auc": 0.8}, {"no": "key"}, {"no": "key"}]
    with pytest.warns(UserWarning, match="runs.jsonl holds 2 duplicate records"):
        out = unique_records(recs, source="runs.jsonl")
    assert out == [recs[1], recs[3], recs[4]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert unique_records(recs[1:2]) == recs[1:2]


def test_torn_last_line_is_moved_once_and_the_next_start_says_nothing(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    path, torn_path = results / "runs.jsonl", results / "runs.jsonl.torn"
    good, torn = json.dumps({"key": "other", "status": "ok"}) + "\n", '{"key": "b", "stat'
    path.write_text(good + torn)
    torn_path.write_text("earlier\n")  # appended to, not replaced
    cfg = tiny_config(results)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_experiment(cfg)
    said = [str(w.message) for w in caught if "runs.jsonl" in str(w.message)]
    assert said == [f"{path} ended in a torn line (a sweep killed while writing?): its "
                    f"{len(torn)} bytes were moved to {torn_path} and {path} now ends at its "
                    "last complete record"]
    assert torn_path.read_text() == "earlier\n" + torn + "\n"
    text = path.read_text()
    assert text.startswith(good) and text.endswith("\n")
    assert [json.loads(line)["key"] for line in text.splitlines()][0] == "other"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_experiment(cfg)
    assert [str(w.message) for w in caught if "runs.jsonl" in str(w.message)] == []
    assert torn_path.read_text() == "earlier\n" + torn + "\n" and path.read_text() == text


def test_repair_torn_tail_cases(tmp_path):
    path = tmp_path / "runs.jsonl"
    assert repair_torn_tail(path) == 0 and not path.exists()
    path.write_text('{"key": "a"}\n{"key": "b"}')  # whole, only its newline missing: a record
    assert repair_torn_tail(path) == 0 and path.read_text() == '{"key": "a"}\n{"key": "b"}\n'
    assert not (tmp_path / "runs.jsonl.torn").exists()
    big = '{"key": "c", "curve": "' + "x" * 200_000  # longer than one backwards read
    path.write_text('{"key": "a"}\n' + big)
    assert repair_torn_tail(path) == len(big) and path.read_text() == '{"key": "a"}\n'
    path.write_text(big)  # no complete line at all
    assert repair_torn_tail(path) == len(big) and path.read_text() == ""
    assert (tmp_path / "runs.jsonl.torn").read_text() == big + "\n" + big + "\n"
    path.write_text('{"key": "a"}\n{"key": "b", "tr\n{"key": "c"}\n')  # torn in the middle
    assert repair_torn_tail(path) == 0  # kept, and skipped with a warning on every read
    with pytest.warns(UserWarning, match=r"runs.jsonl:2 is not valid JSON"):
        assert [r["key"] for r in read_records(path)] == ["a", "c"]


@pytest.mark.parametrize("argv, message", [
    (["--threads", "0"], "--threads must be >= 1, got 0"),
    (["--threads", "two"], "argument --threads: invalid int value: 'two'"),
    (["--epochs", "0"], "--epochs must be >= 1, got 0"),
    (["--epochs", "1.5"], "argument --epochs: invalid int value: '1.5'"),
    (["--seeds", "-1"], "--seeds must be >= 0, got -1"),
    (["--seeds", "0", "1", "0"], "--seeds must not repeat a value, got [0, 1, 0] (repeated: [0])"),
    (["--target-ratios", "0"], "--target-ratios must be a positive number, got 0.0"),
    (["--target-ratios", "-5"], "--target-ratios must be a positive number, got -5.0"),
    (["--target-ratios", "inf"], "--target-ratios must be a positive number, got inf"),
    (["--target-ratios", "nan"], "--target-ratios must be a positive number, got nan"),
    (["--target-ratios", "10", "10.0"],
     "--target-ratios must not repeat a value, got [10.0, 10.0] (repeated: [10.0])"),
    (["--methods", "hash", "qr", "hash"],
     "--methods must not repeat a value, got ['hash', 'qr', 'hash'] (repeated: ['hash'])"),
    (["--methods", "nope"], "argument --methods: invalid choice: 'nope'"),
    (["--datasets", "movielens", "movielens"],
     "--datasets must not repeat a value, got ['movielens', 'movielens'] "
     "(repeated: ['movielens'])"),
    (["--datasets", "nope"], "unknown datasets ['nope']"),
    (["--results", "{file}"], "--results must be a folder or a path not created yet, got "
                              "'{file}': it exists and is not a folder"),
    (["--results", "{file}/sub"], "--results must be a folder or a path not created yet, got "
                                  "'{file}/sub': '{file}' is not a folder"),
    (["--results", ""], "--results must name a folder, got ''"),
    (["--cache-dir", "{file}"], "--cache-dir must be a folder or a path not created yet, got "
                                "'{file}': it exists and is not a folder"),
])
def test_cli_usage_errors_exit_2_before_any_work(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)  # if a check were missing, "--results ''" would lock the cwd
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    argv = [a.replace("{file}", str(file)) for a in argv]
    monkeypatch.setattr(runner, "load_dataset", must_not_run)
    monkeypatch.setattr(runner, "fit", must_not_run)
    monkeypatch.setattr(collisions, "main", must_not_run)
    results = ["--results", str(tmp_path / "results")] if "--results" not in argv else []
    with pytest.raises(SystemExit) as caught:
        ex.main(["--quick", "--sizes", "--quiet", *results, *argv])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m bhlib.experiment")
    assert message.replace("{file}", str(file)) in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()  # nothing was started, not even the lock
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_usage_error_is_exit_status_2_without_traceback_in_a_real_process(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bhlib.experiment", "--quick", "--seeds", "0",
                           "0", "--results", str(tmp_path / "r")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--seeds must not repeat a value, got [0, 0] (repeated: [0])" in done.stderr
    assert not (tmp_path / "r").exists()

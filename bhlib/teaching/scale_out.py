"""Scaling out (notebook 07), run for real: one training run on 1 and on 2 data-parallel processes
(``torchrun``), and one sweep on 1 and on 2 worker processes, compared record by record.

The runs are those of the comparison of Binary Code based Hash Embedding (Yan et al., CIKM 2021,
arXiv 2109.02471) with its rivals, made by the experiment floor: ``python -m
bhlib.experiment.single_run`` for one run (:mod:`bhlib.distributed` explains what is and is not
bitwise between 1 and N processes) and :func:`bhlib.experiment.run_experiment` with
``workers=N`` for a sweep. This module starts them and puts their records side by side.

Every command runs in its own session (process group) with a timeout; the whole group is killed
when the command ends, fails or runs out of time, so no rank or worker outlives a notebook cell.
The rendezvous of ``torchrun`` listens on 127.0.0.1 only.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._checks import check_int, check_number
from ..experiment import ExperimentConfig, read_records, run_experiment

__all__ = ["TIMING_FIELDS", "free_port", "run_in_sessions", "data_parallel_commands",
           "data_parallel_runs", "data_parallel_table", "data_parallel_facts", "without_timing",
           "sweep_on_workers", "sweep_facts", "sweep_time_table"]

# fields of a record that say when and how long, not what was trained (and each point of its
# curve has "seconds"): the only ones two runs of the same configuration may differ in
TIMING_FIELDS = ("train_seconds", "finished_at")
TORCHRUN = str(Path(sys.executable).with_name("torchrun"))  # installed beside this Python


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now (the OS picks it).

    Example:
        >>> 1024 <= free_port() <= 65535
        True
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_in_sessions(argvs: Sequence[Sequence[str]], *, timeout_s: float = 600,
                    cwd: str | Path | None = None) -> list[str]:
    """Run the commands at once, each in its own session, and return their standard outputs.

    All of them share one deadline, ``timeout_s`` from the start. When a command ends (or the
    deadline passes, or anything goes wrong) its whole process group is killed, children
    included. Raises ``RuntimeError`` with the end of the standard error when a command exits
    with a non-zero status or runs out of time.

    Example:
        >>> run_in_sessions([[sys.executable, "-c", "print(6 * 7)"]], timeout_s=60)
        ['42\\n']
    """
    timeout_s = check_number(timeout_s, "timeout_s", low=0, low_open=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    deadline = time.monotonic() + timeout_s
    with contextlib.ExitStack() as stack:
        files = [(stack.enter_context(tempfile.TemporaryFile("w+")),
                  stack.enter_context(tempfile.TemporaryFile("w+"))) for _ in argvs]
        procs, codes = [], []
        try:
            for argv, (out, err) in zip(argvs, files, strict=True):
                procs.append(subprocess.Popen(list(argv), stdout=out, stderr=err, text=True,
                                              stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                              start_new_session=True))
            for p in procs:
                try:
                    codes.append(p.wait(timeout=max(0.0, deadline - time.monotonic())))
                except subprocess.TimeoutExpired:
                    codes.append(None)
        finally:  # also on KeyboardInterrupt: nothing of theirs is left running
            for p in procs:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        outputs = []
        for argv, code, (out, err) in zip(argvs, codes, files, strict=True):
            out.seek(0)
            err.seek(0)
            if code != 0:
                what = (f"ran out of time after {timeout_s:g} s (killed)" if code is None
                        else f"exited with status {code}")
                raise RuntimeError(f"{' '.join(map(str, argv[:4]))} ... {what}:\n"
                                   f"{err.read()[-3000:]}")
            outputs.append(out.read())
    return outputs


def data_parallel_commands(results_dir: str | Path, *, port: int, method: str = "bh-succession",
                           ratio: float = 10, epochs: int | None = 1,
                           nproc: int = 2) -> dict[int, list[str]]:
    """The command lines of one quick-sweep run on ``synthetic-quick``, on one process and under
    ``torchrun`` on ``nproc`` (one machine, c10d rendezvous at ``127.0.0.1:port``), keyed by
    the number of processes; each writes its record to ``results_dir/<N>-process/runs.jsonl``.

    Example:
        >>> cmds = data_parallel_commands("out", port=29500)
        >>> [Path(a).name for a in cmds[2][:3]], cmds[2][4], cmds[1][-4:]
        ... # doctest: +NORMALIZE_WHITESPACE
        (['torchrun', '--nnodes=1', '--nproc_per_node=2'], '--rdzv-endpoint=127.0.0.1:29500',
         ['--epochs', '1', '--results', 'out/1-process'])
    """
    nproc = check_int(nproc, "nproc", low=2)
    port = check_int(port, "port", low=1, high=65535)
    run = ["-m", "bhlib.experiment.single_run", "--quick", "--dataset", "synthetic-quick",
           "--method", method, "--quiet"]
    if method != "full":
        run += ["--ratio", f"{check_number(ratio, 'ratio', low=0, low_open=True):g}"]
    if epochs is not None:
        run += ["--epochs", str(check_int(epochs, "epochs", low=1))]
    folder = Path(results_dir)
    return {1: [sys.executable, *run, "--results", str(folder / "1-process")],
            nproc: [TORCHRUN, "--nnodes=1", f"--nproc_per_node={nproc}", "--rdzv-backend=c10d",
                    f"--rdzv-endpoint=127.0.0.1:{port}", "--max-restarts=0", *run,
                    "--results", str(folder / f"{nproc}-process")]}


def data_parallel_runs(results_dir: str | Path, *, method: str = "bh-succession",
                       ratio: float = 10, epochs: int | None = 1, nproc: int = 2,
                       timeout_s: float = 600) -> dict[int, dict]:
    """Train the run of :func:`data_parallel_commands` on 1 and on ``nproc`` processes (at the
    same time, each in its own session) and return the two records, keyed by world size.

    ``results_dir`` should be new (a run already recorded there is not trained again).

    Example:
        >>> tmp = tempfile.TemporaryDirectory()
        >>> runs = data_parallel_runs(tmp.name, epochs=1)
        >>> runs[1]["world_size"], runs[2]["world_size"], runs[2]["rank_max_difference"]
        (1, 2, 0.0)
        >>> tmp.cleanup()
    """
    cmds = data_parallel_commands(results_dir, port=free_port(), method=method, ratio=ratio,
                                  epochs=epochs, nproc=nproc)
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    run_in_sessions(list(cmds.values()), timeout_s=timeout_s, cwd=results_dir)
    out = {}
    for size in cmds:
        records = read_records(Path(results_dir) / f"{size}-process" / "runs.jsonl")
        if len(records) != 1:
            raise RuntimeError(f"expected one record from the run on {size} process(es), found "
                               f"{len(records)}: was {results_dir} used before?")
        out[size] = records[0]
    return out


_COMPARED = ("world_size", "rank_max_difference", "steps", "best_epoch", "test_auc",
             "test_logloss")


def data_parallel_table(runs: dict[int, dict]) -> pd.DataFrame:
    """The records of :func:`data_parallel_runs` side by side, with their difference.

    Example:
        >>> a = {"world_size": 1, "rank_max_difference": 0.0, "steps": 16, "best_epoch": 1.0,
        ...      "test_auc": 0.72, "test_logloss": 0.5}
        >>> t = data_parallel_table({1: a, 2: {**a, "world_size": 2, "test_auc": 0.72001}})
        >>> t.loc["test_auc"].round(6).tolist()
        [0.72, 0.72001, 1e-05]
    """
    sizes = sorted(runs)
    if len(sizes) != 2:
        raise ValueError(f"runs must hold two records (1 and N processes), got {sizes}")
    names = [f"{n} process{'es' * (n > 1)}" for n in sizes]
    t = pd.DataFrame({name: [runs[n][k] for k in _COMPARED] for name, n in zip(names, sizes,
                                                                                strict=True)},
                     index=pd.Index(_COMPARED, name="measure"), dtype=float)
    t["difference"] = t[names[1]] - t[names[0]]
    return t


def data_parallel_facts(runs: dict[int, dict], *, auc_tol: float = 1e-4,
                        logloss_tol: float = 1e-6) -> dict[str, Any]:
    """What holds between the two records, as plain facts (no float printed).

    Example:
        >>> a = {"world_size": 1, "rank_max_difference": 0.0, "steps": 16, "best_epoch": 1.0,
        ...      "test_auc": 0.72, "test_logloss": 0.5, "key": "k"}
        >>> data_parallel_facts({1: a, 2: {**a, "world_size": 2}})["AUC within 1e-04"]
        True
    """
    (n1, one), (n2, two) = sorted(runs.items())
    return {"world_size": (one["world_size"], two["world_size"]),
            "one run (same key)": one["key"] == two["key"],
            "ranks bitwise identical": two["rank_max_difference"] == 0.0,
            "same steps and best epoch": (one["steps"], one["best_epoch"])
            == (two["steps"], two["best_epoch"]),
            f"AUC within {auc_tol:.0e}": abs(one["test_auc"] - two["test_auc"]) <= auc_tol,
            f"logloss within {logloss_tol:.0e}":
                abs(one["test_logloss"] - two["test_logloss"]) <= logloss_tol}


def without_timing(record: dict) -> dict:
    """A record without its timing fields (:data:`TIMING_FIELDS` and each curve point's
    ``seconds``): what two runs of the same configuration must agree on.

    Example:
        >>> without_timing({"key": "k", "train_seconds": 1.5, "curve": [{"seconds": 0.7,
        ...                 "valid_auc": 0.7}]})
        {'key': 'k', 'curve': [{'valid_auc': 0.7}]}
    """
    out = {k: v for k, v in record.items() if k not in TIMING_FIELDS}
    if "curve" in out:
        out["curve"] = [{k: v for k, v in p.items() if k != "seconds"} for p in out["curve"]]
    return out


def sweep_on_workers(config: ExperimentConfig, workers: Sequence[int] = (1, 2), *,
                     results_dir: str | Path) -> dict[int, dict]:
    """Run the sweep ``config`` once per number of ``workers``, each from scratch into
    ``results_dir/workers-N``; ``{N: {"records", "wall_seconds"}}`` (records as written).

    Example:
        >>> from bhlib.experiment import DatasetSpec, quick_config
        >>> spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
        ...                    options={"num_rows": 300, "vocab_sizes": (5000, 5)},
        ...                    train={"epochs": 1})
        >>> cfg = quick_config(datasets=[spec], methods=("hash",), progress=False, figures=False)
        >>> tmp = tempfile.TemporaryDirectory()
        >>> s = sweep_on_workers(cfg, (1,), results_dir=tmp.name)
        >>> [r["method"] for r in s[1]["records"]]
        ['full', 'hash']
        >>> tmp.cleanup()
    """
    if not isinstance(config, ExperimentConfig):
        raise TypeError(f"config must be an ExperimentConfig, got {type(config).__name__}")
    out = {}
    for i, n in enumerate(workers):
        n = check_int(n, f"workers[{i}]", low=1)
        folder = Path(results_dir) / f"workers-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        run_experiment(dataclasses.replace(config, workers=n, results_dir=str(folder)))
        out[n] = {"records": read_records(folder / "runs.jsonl"),
                  "wall_seconds": time.perf_counter() - start}
    return out


def sweep_facts(sweeps: dict[int, dict]) -> dict[str, Any]:
    """How the sweeps of :func:`sweep_on_workers` compare, record by record (matched by key,
    since workers finish in any order), as plain facts.

    Example:
        >>> r = {"key": "a", "status": "ok", "test_auc": 0.7, "train_seconds": 1.0}
        >>> sweep_facts({1: {"records": [r]}, 2: {"records": [{**r, "train_seconds": 2.0}]}})
        ... # doctest: +NORMALIZE_WHITESPACE
        {'runs': 1, 'trained': 1, 'skipped': 0, 'same runs': True,
         'identical apart from timing': True}
    """
    by_key = {n: {r["key"]: without_timing(r) for r in s["records"]} for n, s in sweeps.items()}
    first = by_key[min(by_key)]
    statuses = [r["status"] for r in first.values()]
    return {"runs": len(first), "trained": statuses.count("ok"),
            "skipped": statuses.count("skipped"),
            "same runs": all(set(b) == set(first) for b in by_key.values()),
            "identical apart from timing": all(b == first for b in by_key.values())}


def sweep_time_table(sweeps: dict[int, dict]) -> pd.DataFrame:
    """Per number of workers: the sweep's wall time and the training time of its runs added up.

    Example:
        >>> s = {1: {"records": [{"train_seconds": 1.0}], "wall_seconds": 2.0}}
        >>> sweep_time_table(s).values.tolist()
        [[1.0, 1.0, 2.0, 1.0]]
    """
    return pd.DataFrame([{"workers": n, "num_runs": len(s["records"]),
                          "wall_seconds": round(s["wall_seconds"], 1),
                          "train_seconds": round(sum(r.get("train_seconds", 0.0)
                                                     for r in s["records"]), 1)}
                         for n, s in sweeps.items()])

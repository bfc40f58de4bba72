"""Running a sweep, resumably: train every pending run, record each at once, then summarize.

Reproduces the comparison of Yan et al. (CIKM 2021, arXiv 2109.02471; README, "Reproducing the
paper") with our protocol **[ours]**: one DNN (:class:`bhlib.model.CTRModel`) trained by
:func:`bhlib.train.fit` for every run of :func:`bhlib.experiment.config.plan_runs`. A ratio a
scheme cannot reach is recorded as *skipped* with the :class:`bhlib.BudgetError` message, never
replaced by another size.

Every run leaves a record (:mod:`bhlib.experiment.records`): one JSON line appended to
``results/runs.jsonl`` (flushed and fsync'ed) the moment it finishes. A rerun skips the keys
already recorded, so a killed sweep loses at most the run in flight, and a finished sweep reruns
in seconds: the summary (``results/summary.csv``) and the figures are rebuilt from the records of
the current configuration.

A sweep holds its folder's lock (:func:`bhlib.experiment.lock.sweep_lock`) from before it reads
the records to the end: a second sweep on the folder fails at once with
:class:`bhlib.experiment.lock.SweepLockedError`. With the lock held it first moves a torn last
line of ``runs.jsonl`` (a sweep killed while writing) to ``runs.jsonl.torn``, saying so once;
the summary keeps one record per run key, warning if the file holds duplicates.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tqdm.auto import tqdm

from .. import data
from ..embeddings import BudgetError
from ..model import CTRModel, ModelConfig
from ..train import TrainConfig, fit
from .config import DatasetSpec, ExperimentConfig, plan_runs
from .datasets import load_dataset, unseen_test_rows
from .figures import save_figures
from .lock import sweep_lock
from .parallel import map_unordered
from .records import append_record, read_records, repair_torn_tail, unique_records
from .summary import summarize

__all__ = ["train_run", "train_in_worker", "train_runs", "run_experiment", "sweep_records"]


def train_run(run: dict, dataset: data.CTRDataset, unseen: dict, config: ExperimentConfig, *,
              distributed: bool = False) -> dict:
    """Train one planned run (:func:`plan_runs`) and return its record (without ``finished_at``).

    ``unseen`` is :func:`unseen_test_rows` of ``dataset``. A ratio the method cannot reach gives
    a ``"skipped"`` record with the :class:`bhlib.BudgetError` text. With ``distributed`` the run
    trains data-parallel on the initialized process group (:func:`bhlib.train.fit`); every
    process returns the same record.

    Example:
        >>> from bhlib.experiment import quick_config
        >>> spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
        ...                    options={"num_rows": 300, "vocab_sizes": (5000, 5)},
        ...                    train={"epochs": 1})
        >>> cfg = quick_config(datasets=[spec], methods=("hash",), progress=False)
        >>> ds = load_dataset(spec)
        >>> r = train_run(plan_runs(cfg)[1], ds, unseen_test_rows(ds), cfg)
        >>> r["method"], r["status"], r["world_size"], round(r["achieved_ratio"], 1)
        ('hash', 'ok', 1, 10.0)
    """
    base = {k: run[k] for k in ("key", "dataset", "method", "target_ratio", "seed", "config")}
    if run.get("tuning") is not None:  # the grid's validation AUCs and the choice
        base["tuning"] = run["tuning"]
    base.update(torch_version=torch.__version__, num_threads=config.num_threads)
    model_cfg = ModelConfig(**run["config"]["model"])
    try:
        model = CTRModel.for_dataset(dataset, model_cfg)
    except BudgetError as err:
        return {**base, "status": "skipped", "reason": str(err)}
    train = TrainConfig(**run["config"]["train"], num_threads=config.num_threads,
                        progress=config.progress)
    subsets = ({"unseen": unseen["mask"], "seen": ~unseen["mask"]}
               if unseen["num_unseen_test_rows"] else {})
    desc = f"{run['dataset']} {run['method']} {run['target_ratio']:g}x s{run['seed']}"
    hist = fit(model, dataset, train, subsets=subsets, desc=desc, distributed=distributed)
    sizes = model.size_report()
    scores = {f"{k}_{s}": hist.subsets[s][k] for s in hist.subsets for k in ("auc", "logloss")}
    return {**base, "status": "ok", "reason": "",
            "achieved_ratio": sizes.pop("compressed_ratio"), **sizes,
            "test_auc": hist.test_auc, "test_logloss": hist.test_logloss,
            "best_valid_auc": hist.best_valid_auc, "best_epoch": hist.best_epoch,
            "steps": hist.steps, "train_seconds": hist.train_seconds, "curve": hist.curve,
            "table_updates": hist.table_updates, "world_size": hist.world_size,
            "rank_max_difference": hist.rank_max_difference,
            "unseen": {**{k: v for k, v in unseen.items() if k != "mask"}, **scores}}


_WORKER_DATA: dict[str, tuple[data.CTRDataset, dict]] = {}  # a worker's datasets, loaded once


def train_in_worker(run: dict, spec: DatasetSpec, cache_dir: str, num_threads: int) -> dict:
    """:func:`train_run` in a worker process: the run's record with ``finished_at``, or
    ``{"failed_dataset", "error"}`` when the dataset cannot be fetched.

    Each worker loads a dataset once and keeps it for its next runs; it trains with
    ``num_threads`` torch threads and no progress bar, so its record equals a serial sweep's
    apart from the timing fields.

    Example:
        >>> spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
        ...                    options={"num_rows": 300, "vocab_sizes": (5000, 5)},
        ...                    train={"epochs": 1})
        >>> from bhlib.experiment import quick_config
        >>> run = plan_runs(quick_config(datasets=[spec], methods=("hash",)))[1]
        >>> train_in_worker(run, spec, "data", 1)["status"]
        'ok'
    """
    torch.set_num_threads(num_threads)
    cached = f"{cache_dir}|{spec.name}|{spec.source}|{sorted(spec.options.items())}"
    if cached not in _WORKER_DATA:
        try:
            dataset = load_dataset(spec, cache_dir)
        except data.DataFetchError as err:
            return {"failed_dataset": spec.name, "error": str(err)}
        _WORKER_DATA[cached] = dataset, unseen_test_rows(dataset)
    dataset, unseen = _WORKER_DATA[cached]
    config = ExperimentConfig(datasets=(spec,), num_threads=num_threads, progress=False)
    return {**train_run(run, dataset, unseen, config),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _line(record: dict) -> str:
    """The line a sweep prints for a finished run."""
    return (f"{record['dataset']:>16} {record['method']:>13} {record['target_ratio']:>6g}x "
            f"seed {record['seed']}: "
            + (f"AUC {record['test_auc']:.4f} ({record['achieved_ratio']:.1f}x, "
               f"{record['train_seconds']:.1f} s)" if record["status"] == "ok"
               else f"skipped: {record['reason']}"))


def _serial(pending: list[dict], config: ExperimentConfig, failed: dict) -> Iterator[dict]:
    """The records of the pending runs trained here, dataset by dataset (each loaded once)."""
    specs = {d.name: d for d in config.datasets}
    for name in dict.fromkeys(r["dataset"] for r in pending):
        try:
            dataset = load_dataset(specs[name], config.cache_dir)
        except data.DataFetchError as err:
            failed[name] = str(err)
            print(f"could not load dataset {name!r}, its runs stay pending: {err}", flush=True)
            continue
        unseen = unseen_test_rows(dataset)
        for run in (r for r in pending if r["dataset"] == name):
            yield {**train_run(run, dataset, unseen, config),
                   "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _on_workers(pending: list[dict], config: ExperimentConfig, failed: dict) -> Iterator[dict]:
    """The records of the pending runs trained on ``config.workers`` workers, as they finish."""
    specs = {d.name: d for d in config.datasets}
    calls = [(r, specs[r["dataset"]], config.cache_dir, config.num_threads) for r in pending]
    for result in map_unordered(train_in_worker, calls, workers=config.workers,
                                backend=config.backend, scheduler=config.scheduler):
        if "failed_dataset" not in result:
            yield result
        elif result["failed_dataset"] not in failed:
            failed[result["failed_dataset"]] = result["error"]
            print(f"could not load dataset {result['failed_dataset']!r}, its runs stay pending: "
                  f"{result['error']}", flush=True)


def _run_pending(pending: list[dict], config: ExperimentConfig, runs_path: Path,
                 say: Any) -> dict:
    """Train the pending runs, here (``workers=1``, loky) or on workers, recording each the
    moment it finishes (the driver alone writes).

    A dataset that cannot be fetched (:class:`bhlib.data.DataFetchError`) is reported and left
    pending; the others still run. Returns ``{dataset: error message}`` for those.
    """
    failed: dict[str, str] = {}
    here = config.workers == 1 and config.backend == "loky"
    bar = tqdm(total=len(pending), desc="sweep", disable=not (config.progress and pending))
    for record in (_serial if here else _on_workers)(pending, config, failed):
        append_record(runs_path, record)
        bar.update(1)
        say(_line(record))
    bar.close()
    return failed


def sweep_records(config: ExperimentConfig) -> list[dict]:
    """The records of ``config``'s runs found in its ``results_dir`` (other sweeps' are left out).

    Example:
        >>> from bhlib.experiment import quick_config
        >>> sweep_records(quick_config(results_dir="no/such/dir"))
        []
    """
    return _records_of(plan_runs(config), Path(config.results_dir) / "runs.jsonl")


def _records_of(runs: list[dict], runs_path: Path) -> list[dict]:
    """The records in ``runs_path`` of the planned ``runs``, one per key."""
    keys = {r["key"] for r in runs}
    return unique_records([r for r in read_records(runs_path) if r.get("key") in keys],
                          source=runs_path)


def train_runs(config: ExperimentConfig, runs: list[dict]) -> tuple[list[dict], dict]:
    """Train the planned ``runs`` not yet recorded in ``config.results_dir`` (as
    :func:`run_experiment` does, the folder locked), and return the records of all of them and
    ``{dataset: error}`` for the datasets that could not be loaded. No summary is written: for
    runs that are not one sweep, such as a tuning grid (:mod:`bhlib.experiment.reproduce`).

    Example:
        >>> import tempfile
        >>> from bhlib.experiment import quick_config
        >>> spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
        ...                    options={"num_rows": 300, "vocab_sizes": (5000, 5)},
        ...                    train={"epochs": 1})
        >>> cfg = quick_config(results_dir=tempfile.mkdtemp(), progress=False, datasets=[spec],
        ...                    methods=("hash",))
        >>> runs = plan_runs(cfg, lr_factor=0.3) + plan_runs(cfg, lr_factor=3)
        >>> records, failed = train_runs(cfg, runs)
        >>> sorted(r["config"]["train"]["lr"] for r in records), failed  # base lr 1e-3
        ([0.0003, 0.0003, 0.003, 0.003], {})
    """
    with sweep_lock(config.results_dir):
        return _locked_train(config, runs)


def run_experiment(config: ExperimentConfig | None = None) -> pd.DataFrame:
    """Run every pending run of ``config``, then write the summary and figures; return the summary.

    Holds the lock of ``config.results_dir`` throughout (:func:`bhlib.experiment.lock.sweep_lock`;
    :class:`bhlib.experiment.lock.SweepLockedError` at once if another sweep holds it) and first
    moves a torn last line of ``runs.jsonl`` to ``runs.jsonl.torn``. Datasets that could not be
    fetched are listed in ``summary.attrs["failed_datasets"]``.

    Example:
        >>> import tempfile
        >>> from bhlib.experiment import quick_config
        >>> spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
        ...                    options={"num_rows": 300, "vocab_sizes": (5000, 5)},
        ...                    train={"epochs": 1})
        >>> cfg = quick_config(results_dir=tempfile.mkdtemp(), progress=False, figures=False,
        ...                    datasets=[spec], methods=("full", "hash"))
        >>> run_experiment(cfg)[["method", "target_ratio", "num_seeds"]].values.tolist()
        [['full', 1.0, 1], ['hash', 10.0, 1]]
    """
    config = ExperimentConfig() if config is None else config
    with sweep_lock(config.results_dir):
        records, failed = _locked_train(config, plan_runs(config))
        out = Path(config.results_dir)
        summary = summarize(records, baseline=config.baseline)
        out.mkdir(parents=True, exist_ok=True)
        summary.to_csv(out / "summary.csv", index=False)
        if config.figures:
            save_figures(records, summary, out)
        summary.attrs["failed_datasets"] = failed  # dataset -> why it could not be loaded
        return summary


def _locked_train(config: ExperimentConfig, runs: list[dict]) -> tuple[list[dict], dict]:
    """Train the pending ``runs``, with the folder's lock held; their records and the failures."""
    runs_path = Path(config.results_dir) / "runs.jsonl"
    moved = repair_torn_tail(runs_path)
    if moved:
        warnings.warn(f"{runs_path} ended in a torn line (a sweep killed while writing?): its "
                      f"{moved} bytes were moved to {runs_path}.torn and {runs_path} now ends "
                      "at its last complete record", stacklevel=4)
    done = {r.get("key") for r in read_records(runs_path)}
    pending = [r for r in runs if r["key"] not in done]
    say = tqdm.write if config.progress else (lambda *_: None)
    say(f"{len(runs)} runs in the sweep, {len(runs) - len(pending)} already recorded in "
        f"{runs_path}, {len(pending)} to do")
    threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads)
    try:
        failed = _run_pending(pending, config, runs_path, say)
    finally:
        torch.set_num_threads(threads)
    return _records_of(runs, runs_path), failed

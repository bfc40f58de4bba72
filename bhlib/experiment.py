"""Accuracy-versus-size sweeps, resumable: ``python -m bhlib.experiment``.

Reproduces the comparison of Yan et al. (CIKM 2021, arXiv 2109.02471; README, "Reproducing the paper") with our
protocol **[ours]**: datasets x methods x target compression ratios x seeds, one DNN
(:class:`bhlib.model.CTRModel`) trained by :func:`bhlib.train.fit`. The baseline method (full
tables) runs once per dataset and seed; every other method runs at every target ratio, applied
to each compressed field. A ratio a scheme cannot reach is recorded as *skipped* with the
:class:`bhlib.BudgetError` message, never replaced by another size.

Every run leaves a record: one JSON line appended to ``results/runs.jsonl`` (flushed and
fsync'ed) the moment it finishes, keyed by a SHA-256 of its resolved configuration. A rerun skips
the keys already recorded, so a killed sweep loses at most the run in flight, and a finished sweep
reruns in seconds: the summary (``results/summary.csv``) and the figures are rebuilt from the
records of the current configuration.
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import torch
from tqdm.auto import tqdm

from .embeddings import METHODS, BudgetError
from .model import CTRModel, ModelConfig
# re-exported: notebooks and tests import the record helpers from here
from .records import (RECORD_VERSION, _clean, append_record, format_summary, format_unseen,  # noqa: F401
                      read_records, run_key, summarize)
from .train import TrainConfig, fit

__all__ = ["DatasetSpec", "ExperimentConfig", "default_datasets", "quick_config", "plan_runs",
           "run_key", "load_dataset", "read_records", "append_record", "run_experiment", "summarize",
           "format_summary", "format_unseen", "build_config", "main"]

LOADERS = {"movielens": "load_movielens", "synthetic": "make_synthetic", "csv": "load_csv"}  # bhlib.data
_NOT_IN_KEY = ("progress", "num_threads")  # TrainConfig fields that do not change the result


@dataclass
class DatasetSpec:
    """One dataset of a sweep: where it comes from and how it is trained.

    Example:
        >>> DatasetSpec("toy", "synthetic", {"num_rows": 1000}, ratios=(10,)).source
        'synthetic'
    """

    name: str                                   # label in records, tables and figure names
    source: str                                 # "movielens", "synthetic" or "csv" (see load_dataset)
    options: dict = field(default_factory=dict)  # keyword arguments of the loader
    ratios: tuple = (10, 100, 1000)             # target ratios of the non-baseline methods
    model: dict = field(default_factory=dict)   # ModelConfig overrides for this dataset
    train: dict = field(default_factory=dict)   # TrainConfig overrides for this dataset
    methods: tuple | None = None                # subset of the sweep's methods (None: all)

    def __post_init__(self):
        if self.source not in LOADERS:
            raise ValueError(f"source must be one of {sorted(LOADERS)}, got {self.source!r}")
        self.ratios = tuple(self.ratios)
        if any(isinstance(r, bool) or not isinstance(r, (int, float)) or r <= 0 for r in self.ratios):
            raise ValueError(f"ratios must be positive numbers, got {self.ratios!r}")


def default_datasets() -> tuple[DatasetSpec, ...]:
    """The default sweep, sized (measured) to finish within 15 minutes on 2 busy CPU cores.

    * ``movielens``: MovieLens-100K, random 80/10/10 split; user_id, item_id, zip_code
      compressed (cardinality > 100); ratios up to 30x, the most BH reaches on zip_code (795 ids).
    * ``movielens-time``: the time split (last 20% of ratings in test): most test rows hold a user
      or item never seen in training; every scheme at 10x, compared on those rows.
    * ``synthetic``: 500,000 rows of :func:`bhlib.data.make_synthetic` (vocabularies
      10^6, 10^5, 10^4, 10^3, 100, 10); the 10^6 and 10^5 fields compressed at 10x, 100x, 1000x.

    Example:
        >>> [d.name for d in default_datasets()]
        ['movielens', 'movielens-time', 'synthetic']
    """
    ml_train = {"lr": 1e-2, "epochs": 20, "batch_size": 1024, "patience": 2}
    syn_train = {"lr": 2e-3, "epochs": 6, "batch_size": 2048, "patience": 2, "evals_per_epoch": 2}
    return (
        DatasetSpec("movielens", "movielens", {"split": "random"}, (3, 10, 30), train=ml_train),
        DatasetSpec("movielens-time", "movielens", {"split": "time"}, (10,), train=ml_train),
        DatasetSpec("synthetic", "synthetic", {"num_rows": 500_000}, (10, 100, 1000),
                    model={"compress_threshold": 10_000}, train=syn_train),
    )


@dataclass
class ExperimentConfig:
    """A sweep: datasets x methods x ratios x seeds, and where its records go.

    Example:
        >>> ExperimentConfig().methods
        ('full', 'hash', 'multi_hash', 'qr', 'bh-succession', 'bh-skip')
    """

    datasets: tuple = field(default_factory=default_datasets)  # DatasetSpec per dataset
    methods: tuple = ("full", "hash", "multi_hash", "qr", "bh-succession", "bh-skip")  # METHODS keys
    baseline: str = "full"              # run once per dataset and seed, without a budget (ratio 1)
    seeds: tuple = (0, 1, 2)            # one run per seed (model init, row order)
    model: ModelConfig = field(default_factory=ModelConfig)  # shared model settings
    train: TrainConfig = field(default_factory=TrainConfig)  # shared training settings
    results_dir: str = "results"        # runs.jsonl, summary.csv and figures go here
    cache_dir: str = "data"             # dataset cache (MovieLens)
    num_threads: int = 1                # torch threads (1 is fastest on a shared 2-core machine)
    progress: bool = True               # progress bars and a line per finished run
    figures: bool = True                # write the figures

    def __post_init__(self):
        self.datasets, self.methods, self.seeds = tuple(self.datasets), tuple(self.methods), tuple(self.seeds)
        for m in self.methods + (self.baseline,):
            if m not in METHODS:
                raise ValueError(f"methods must be keys of bhlib.METHODS {sorted(METHODS)}, got {m!r}")
        if any(not isinstance(d, DatasetSpec) for d in self.datasets):
            raise TypeError(f"datasets must hold DatasetSpec objects, got {self.datasets!r}")
        if len({d.name for d in self.datasets}) != len(self.datasets):
            raise ValueError(f"dataset names must be unique, got {[d.name for d in self.datasets]}")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be non-negative ints, got {self.seeds!r}")


def quick_config(**changes: Any) -> ExperimentConfig:
    """A smoke-test sweep (about a minute): small data, one seed, two epochs.

    Example:
        >>> [d.options.get("num_rows") for d in quick_config().datasets]
        [None, 20000]
    """
    train = {"epochs": 2, "batch_size": 1024, "lr": 1e-2}
    specs = (DatasetSpec("movielens", "movielens", {"split": "random"}, (10,), train=train),
             DatasetSpec("synthetic-quick", "synthetic",
                         {"num_rows": 20_000, "vocab_sizes": (1_000_000, 1000, 10)}, (10, 1000),
                         model={"compress_threshold": 10_000}, train=train))
    return ExperimentConfig(**{"datasets": specs, "seeds": (0,), **changes})



def plan_runs(config: ExperimentConfig) -> list[dict]:
    """Every run of the sweep as ``{"key", "dataset", "method", "target_ratio", "seed", "config"}``.

    Order: dataset, seed, then the baseline and each method at each ratio, so that an interrupted
    sweep has complete comparisons for the first seeds.

    Example:
        >>> runs = plan_runs(quick_config())
        >>> len(runs), runs[0]["method"], runs[0]["target_ratio"]
        (17, 'full', 1.0)
    """
    runs = []
    for spec in config.datasets:
        grid = [(config.baseline, None)] + [(m, r) for m in (spec.methods or config.methods)
                                            if m != config.baseline for r in spec.ratios]
        for seed in config.seeds:
            for method, ratio in grid:
                model = dataclasses.replace(config.model, **spec.model, method=method, ratio=ratio, seed=seed)
                train = dataclasses.replace(config.train, **spec.train, seed=seed)
                train_d = {k: v for k, v in dataclasses.asdict(train).items() if k not in _NOT_IN_KEY}
                resolved = _clean({"version": RECORD_VERSION, "seed": seed, "method": method,
                                   "target_ratio": float(ratio or 1),
                                   "dataset": {"name": spec.name, "source": spec.source, "options": spec.options},
                                   "model": dataclasses.asdict(model), "train": train_d})
                runs.append({"key": run_key(resolved), "dataset": spec.name, "method": method,
                             "target_ratio": float(ratio or 1), "seed": seed, "config": resolved})
    return runs


def load_dataset(spec: DatasetSpec, cache_dir: str = "data") -> Any:
    """Load (or generate) ``spec``'s dataset with its source's loader and options.

    Example:
        >>> load_dataset(DatasetSpec("s", "synthetic", {"num_rows": 100, "vocab_sizes": (9, 3)})).X.shape
        (100, 2)
    """
    from . import data
    if spec.source == "movielens":
        return data.load_movielens(cache_dir, **spec.options)
    return getattr(data, LOADERS[spec.source])(**spec.options)


def _unseen(data: Any) -> dict[str, Any]:
    """Test rows holding an id absent from the train split: masks and counts per field."""
    mask = data.unseen_mask("test", fields=data.fields + list(data.bags))
    by_field = {f: int(data.unseen_mask("test", fields=[f]).sum()) for f in data.fields + list(data.bags)}
    return {"mask": mask, "n_test": int(len(mask)), "n_unseen": int(mask.sum()), "by_field": by_field}


def _run_one(run: dict, data: Any, unseen: dict, config: ExperimentConfig) -> dict:
    base = {k: run[k] for k in ("key", "dataset", "method", "target_ratio", "seed", "config")}
    base.update(torch_version=torch.__version__, num_threads=config.num_threads)
    model_cfg = ModelConfig(**run["config"]["model"])
    try:
        model = CTRModel.for_dataset(data, model_cfg)
    except BudgetError as err:
        return {**base, "status": "skipped", "reason": str(err)}
    train = TrainConfig(**run["config"]["train"], num_threads=config.num_threads, progress=config.progress)
    subsets = {"unseen": unseen["mask"], "seen": ~unseen["mask"]} if unseen["n_unseen"] else {}
    desc = f"{run['dataset']} {run['method']} {run['target_ratio']:g}x s{run['seed']}"
    hist = fit(model, data, train, subsets=subsets, desc=desc)
    sizes = model.size_report()
    sub = hist.subsets
    return {**base, "status": "ok", "reason": "",
            "achieved_ratio": sizes.pop("compressed_ratio"), **sizes,
            "test_auc": hist.test_auc, "test_logloss": hist.test_logloss,
            "best_valid_auc": hist.best_valid_auc, "best_epoch": hist.best_epoch,
            "steps": hist.steps, "train_seconds": hist.train_seconds, "curve": hist.curve,
            "unseen": {"n_test": unseen["n_test"], "n_unseen": unseen["n_unseen"],
                       "by_field": unseen["by_field"],
                       **{f"{k}_{s}": sub[s][k] for s in sub for k in ("auc", "logloss")}}}


def _run_pending(pending: list[dict], config: ExperimentConfig, runs_path: Path, say: Any) -> dict:
    """Train the pending runs, dataset by dataset (each loaded once), recording each at once.

    A dataset that cannot be fetched (:class:`bhlib.data.DataFetchError`) is reported and left
    pending; the others still run. Returns ``{dataset: error message}`` for those.
    """
    from .data import DataFetchError
    specs, failed = {d.name: d for d in config.datasets}, {}
    bar = tqdm(total=len(pending), desc="sweep", disable=not (config.progress and pending))
    for name in dict.fromkeys(r["dataset"] for r in pending):
        try:
            data = load_dataset(specs[name], config.cache_dir)
        except DataFetchError as err:
            failed[name] = str(err)
            print(f"could not load dataset {name!r}, its runs stay pending: {err}", flush=True)
            continue
        unseen = _unseen(data)
        for run in (r for r in pending if r["dataset"] == name):
            record = {**_run_one(run, data, unseen, config),
                      "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            append_record(runs_path, record)
            bar.update(1)
            say(f"{run['dataset']:>16} {run['method']:>13} {run['target_ratio']:>6g}x seed {run['seed']}: "
                + (f"AUC {record['test_auc']:.4f} ({record['achieved_ratio']:.1f}x, "
                   f"{record['train_seconds']:.1f} s)" if record["status"] == "ok"
                   else f"skipped: {record['reason']}"))
    bar.close()
    return failed


def run_experiment(config: ExperimentConfig | None = None) -> pd.DataFrame:
    """Run every pending run of ``config``, then write the summary and figures; return the summary.

    Datasets that could not be fetched are listed in ``summary.attrs["failed_datasets"]``.

    Example:
        >>> import tempfile
        >>> cfg = quick_config(results_dir=tempfile.mkdtemp(), progress=False, figures=False,
        ...                    datasets=[DatasetSpec("s", "synthetic", {"num_rows": 300,
        ...                              "vocab_sizes": (5000, 5)}, (10,), model={"embedding_dim": 4},
        ...                              train={"epochs": 1})], methods=("full", "hash"))
        >>> run_experiment(cfg)[["method", "ratio", "n_seeds"]].values.tolist()
        [['full', 1.0, 1], ['hash', 10.0, 1]]
    """
    config = ExperimentConfig() if config is None else config
    out = Path(config.results_dir)
    runs_path = out / "runs.jsonl"
    runs = plan_runs(config)
    done = {r.get("key") for r in read_records(runs_path)}
    pending = [r for r in runs if r["key"] not in done]
    say = tqdm.write if config.progress else (lambda *_: None)
    say(f"{len(runs)} runs in the sweep, {len(runs) - len(pending)} already recorded in {runs_path}, "
        f"{len(pending)} to do")
    threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads)
    try:
        failed = _run_pending(pending, config, runs_path, say)
    finally:
        torch.set_num_threads(threads)
    keys = {r["key"] for r in runs}
    records = [r for r in read_records(runs_path) if r.get("key") in keys]
    summary = summarize(records, baseline=config.baseline)
    out.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out / "summary.csv", index=False)
    if config.figures:
        from .plots import save_figures
        save_figures(records, summary, out)
    summary.attrs["failed_datasets"] = failed  # dataset -> why it could not be loaded
    return summary


def build_config(argv: Sequence[str] | None = None) -> ExperimentConfig:
    """The :class:`ExperimentConfig` of a command line (see ``python -m bhlib.experiment --help``).

    Example:
        >>> c = build_config(["--quick", "--seeds", "0", "1", "--methods", "hash"])
        >>> c.seeds, c.methods, [d.name for d in c.datasets]
        ((0, 1), ('hash',), ['movielens', 'synthetic-quick'])
    """
    ap = argparse.ArgumentParser(prog="python -m bhlib.experiment", description=__doc__.split("\n")[0])
    ap.add_argument("--results", default="results", help="folder of runs.jsonl, summary.csv, figures")
    ap.add_argument("--cache-dir", default="data", help="dataset cache folder")
    ap.add_argument("--quick", action="store_true", help="a one-minute smoke sweep (small data, 1 seed)")
    ap.add_argument("--datasets", nargs="+", help="only these datasets (by name)")
    ap.add_argument("--methods", nargs="+", choices=sorted(METHODS), help="methods besides the baseline")
    ap.add_argument("--seeds", nargs="+", type=int, help="seeds (default 0 1 2)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--no-figures", action="store_true", help="do not write figures")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    changes = {"results_dir": args.results, "cache_dir": args.cache_dir, "num_threads": args.threads,
               "figures": not args.no_figures, "progress": not args.quiet}
    config = quick_config(**changes) if args.quick else ExperimentConfig(**changes)
    if args.datasets:
        unknown = set(args.datasets) - {d.name for d in config.datasets}
        if unknown:
            ap.error(f"unknown datasets {sorted(unknown)}; known: {[d.name for d in config.datasets]}")
        config.datasets = tuple(d for d in config.datasets if d.name in args.datasets)
    if args.methods:
        config.methods = tuple(args.methods)
    if args.seeds:
        config.seeds = tuple(args.seeds)
    return config


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Command line: run the sweep (default: :func:`default_datasets`), print the summary table.

    Example:
        >>> import tempfile
        >>> s = main(["--quick", "--datasets", "synthetic-quick", "--methods", "hash",
        ...           "--results", tempfile.mkdtemp(), "--quiet", "--no-figures"])  # doctest: +ELLIPSIS
        <BLANKLINE>
        Summary ...
        >>> s["method"].tolist()
        ['full', 'hash', 'hash']
    """
    config = build_config(argv)
    start = time.perf_counter()
    summary = run_experiment(config)
    print(f"\nSummary ({config.results_dir}/summary.csv; mean ± sample std over seeds; ratios per "
          f"compressed field; retained vs {config.baseline}):\n")
    print(format_summary(summary))
    unseen = format_unseen(summary)
    if unseen:
        print("\nTest rows with an id never seen in training (unseen) vs the rest (seen):\n")
        print(unseen)
    for _, r in summary[summary["n_seeds"] == 0].iterrows():
        print(f"  skipped {r['dataset']} {r['method']} at {r['ratio']:g}x: {r['note']}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    failed = summary.attrs.get("failed_datasets", {})
    if failed:
        raise SystemExit(f"datasets not loaded, their runs are still pending: {sorted(failed)}")
    return summary


if __name__ == "__main__":
    main()

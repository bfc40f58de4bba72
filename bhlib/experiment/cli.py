"""The command line of the sweep: ``python -m bhlib.experiment [--quick] [options]``.

Runs :func:`bhlib.experiment.run_experiment` on the default sweep (or the one-minute quick
sweep), narrowed or changed by the options, and prints the summary and the unseen-id table.
With ``--sizes`` it first prints the size and collision table of ``python -m bhlib.collisions``
(``make run``), with the results folder's lock already held.

Every argument is checked before any work: a bad one is a usage error (exit status 2). A results
folder in use by another sweep (:class:`bhlib.experiment.lock.SweepLockedError`) ends the command
at once with the holder's PID on stderr and exit status 3, before the size table.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .. import collisions
from .._checks import check_int, check_number, check_unique
from ..display import format_columns
from ..embeddings import METHODS
from .config import ExperimentConfig, plan_runs, quick_config
from .lock import SweepLockedError, sweep_lock
from .parallel import BACKENDS
from .runner import run_experiment
from .tables import retention_table, unseen_table
from .tuning import TUNED_PATH, load_tuned

__all__ = ["build_config", "main"]

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m bhlib.experiment",
        description="Accuracy versus embedding size: every method at equal memory, resumable.")
    ap.add_argument("--quick", action="store_true",
                    help="a one-minute smoke sweep (small data, 1 seed, 2 epochs)")
    ap.add_argument("--datasets", nargs="+", metavar="NAME",
                    help="only these datasets (movielens, movielens-time, synthetic; "
                         "quick: movielens, synthetic-quick)")
    ap.add_argument("--methods", nargs="+", choices=list(METHODS), metavar="METHOD",
                    help=f"methods besides the baseline, from {', '.join(METHODS)} "
                         "(default: the paper's six, all but bh-shared)")
    ap.add_argument("--target-ratios", nargs="+", type=float, metavar="R",
                    help="target compression ratios of every dataset (default: per dataset)")
    ap.add_argument("--seeds", nargs="+", type=int, help="seeds (default 0 1 2; quick: 0)")
    ap.add_argument("--epochs", type=int, help="at most this many epochs (default: per dataset)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads of each run (default 1)")
    ap.add_argument("--workers", type=int, default=CORES,
                    help=f"runs trained at once, each in its own process (default: the cores "
                         f"this process may use, {CORES} here; 1: one after another in this "
                         "process)")
    ap.add_argument("--backend", choices=BACKENDS, default="loky",
                    help="where the workers run: loky processes on this machine (default) or a "
                         "Dask cluster (dask: a LocalCluster of --workers processes, or the "
                         "scheduler at --scheduler)")
    ap.add_argument("--scheduler", metavar="HOST:PORT",
                    help="a running Dask scheduler (with --backend dask)")
    ap.add_argument("--results", default="results",
                    help="folder of runs.jsonl, summary.csv and figures (default results)")
    ap.add_argument("--cache-dir", default="data", help="dataset cache folder (default data)")
    ap.add_argument("--no-figures", action="store_true", help="do not write figures")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    ap.add_argument("--tuned", metavar="PATH",
                    help=f"learning rates tuned per dataset, method and ratio (default: "
                         f"{TUNED_PATH.name} of make reproduce, when it exists; not with --quick)")
    ap.add_argument("--untuned", action="store_true",
                    help="every run at its dataset's learning rate (no tuned table)")
    ap.add_argument("--sizes", action="store_true",
                    help="first print the size and collision table of python -m bhlib.collisions "
                         "(written to <results>/sizes.csv), with the results folder locked")
    return ap


def check_folder(text: str, option: str) -> None:
    """Refuse a folder argument that names an existing file or lies under one (``ValueError``
    naming ``option``).

    Example:
        >>> check_folder("results", "--results")
        >>> check_folder("README.md", "--results")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: --results must be a folder or a path not created yet, got 'README.md': ...
    """
    if not text.strip():
        raise ValueError(f"{option} must name a folder, got {text!r}")
    path = Path(text).absolute()
    wanted = f"{option} must be a folder or a path not created yet, got {text!r}"
    if os.path.lexists(path) and not path.is_dir():
        raise ValueError(f"{wanted}: it exists and is not a folder")
    parent = next(p for p in path.parents if p.exists())
    if not parent.is_dir():
        raise ValueError(f"{wanted}: {str(parent)!r} is not a folder")


def _check_args(args: argparse.Namespace) -> None:
    """Check every option's values (``ValueError`` / ``TypeError`` naming the option)."""
    check_int(args.threads, "--threads", low=1)
    check_int(args.workers, "--workers", low=1)
    if args.scheduler is not None and args.backend != "dask":
        raise ValueError(f"--scheduler {args.scheduler} needs --backend dask")
    if args.epochs is not None:
        check_int(args.epochs, "--epochs", low=1)
    for seed in args.seeds or ():
        check_int(seed, "--seeds", low=0)
    for ratio in args.target_ratios or ():
        check_number(ratio, "--target-ratios", low=0, low_open=True)
    for option in ("seeds", "target_ratios", "methods", "datasets"):
        check_unique(getattr(args, option) or (), "--" + option.replace("_", "-"))
    check_folder(args.results, "--results")
    check_folder(args.cache_dir, "--cache-dir")
    if args.tuned is not None and args.untuned:
        raise ValueError(f"--tuned {args.tuned} and --untuned exclude each other")
    if args.tuned is not None and not Path(args.tuned).is_file():
        raise ValueError(f"--tuned must name a tuned table (a file), got {args.tuned!r}")


def build_config(argv: Sequence[str] | None = None) -> ExperimentConfig:
    """The :class:`ExperimentConfig` of a command line (see ``python -m bhlib.experiment --help``).

    Example:
        >>> c = build_config(["--quick", "--seeds", "0", "1", "--methods", "hash",
        ...                   "--target-ratios", "5", "--epochs", "1"])
        >>> c.seeds, c.methods, [(d.name, d.ratios, d.train["epochs"]) for d in c.datasets]
        ((0, 1), ('hash',), [('movielens', (5.0,), 1), ('synthetic-quick', (5.0,), 1)])
    """
    return _parse(argv)[1]


def _parse(argv: Sequence[str] | None) -> tuple[argparse.Namespace, ExperimentConfig]:
    """The options and the :class:`ExperimentConfig` of a command line; usage error if bad."""
    ap = _parser()
    args = ap.parse_args(argv)
    try:
        _check_args(args)
    except (TypeError, ValueError) as err:
        ap.error(str(err))
    changes = {"results_dir": args.results, "cache_dir": args.cache_dir,
               "num_threads": args.threads, "figures": not args.no_figures,
               "workers": args.workers, "backend": args.backend, "scheduler": args.scheduler,
               "progress": not args.quiet}
    if args.methods:
        changes["methods"] = tuple(args.methods)
    if args.seeds:
        changes["seeds"] = tuple(args.seeds)
    tuned = None if args.untuned else args.tuned or (
        None if args.quick or not TUNED_PATH.exists() else TUNED_PATH)
    try:
        if tuned is not None:
            changes["tuned"] = load_tuned(tuned)
        config = quick_config(**changes) if args.quick else ExperimentConfig(**changes)
        specs = config.datasets
        if args.datasets:
            known = [d.name for d in specs]
            unknown = sorted(set(args.datasets) - set(known))
            if unknown:
                ap.error(f"unknown datasets {unknown}; known: {known}")
            specs = tuple(d for d in specs if d.name in args.datasets)
        if args.target_ratios:
            specs = tuple(dataclasses.replace(d, ratios=tuple(args.target_ratios)) for d in specs)
        if args.epochs is not None:
            specs = tuple(dataclasses.replace(d, train={**d.train, "epochs": args.epochs})
                          for d in specs)
        config = dataclasses.replace(config, datasets=specs)
        plan_runs(config)  # every run's model and training settings checked before any work
    except (TypeError, ValueError) as err:
        ap.error(str(err))
    return args, config


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Command line: run the sweep (default: :func:`default_datasets`), print the summary table.

    Example:
        >>> import tempfile
        >>> s = main(["--quick", "--datasets", "synthetic-quick", "--methods", "hash", "--results",
        ...           tempfile.mkdtemp(), "--quiet", "--no-figures"])  # doctest: +ELLIPSIS
        <BLANKLINE>
        Summary ...
        >>> s["method"].tolist()
        ['full', 'hash', 'hash']
    """
    args, config = _parse(argv)
    start = time.perf_counter()
    if config.tuned is not None and not args.quiet:
        runs = plan_runs(config)
        got = sum(r["tuning"] is not None for r in runs)
        print(f"learning rates: {got} of {len(runs)} runs tuned ({args.tuned or TUNED_PATH}); "
              f"the others at their dataset's rate", flush=True)
    try:
        with sweep_lock(config.results_dir):
            if args.sizes:
                collisions.main(["--out", str(Path(config.results_dir) / "sizes.csv"),
                                 *(["--quiet"] if args.quiet else [])])
            summary = run_experiment(config)
    except SweepLockedError as err:
        print(f"python -m bhlib.experiment: {err}", file=sys.stderr)
        raise SystemExit(3) from None
    print(f"\nSummary ({config.results_dir}/summary.csv; mean ± sample std over seeds; ratios per "
          f"compressed field; retained vs {config.baseline}):\n")
    table = retention_table(summary)
    text = format_columns(table.drop(columns=["note"]))
    text.loc[table["num_seeds"] == 0, "auc"] = "skipped"
    print(text.to_string(index=False))
    unseen = unseen_table(summary)
    if len(unseen):
        print("\nTest rows with an id never seen in training (unseen) vs the rest (seen):\n")
        print(format_columns(unseen.drop(columns=["gap"])).to_string(index=False))
    for _, r in summary[summary["num_seeds"] == 0].iterrows():
        print(f"  skipped {r['dataset']} {r['method']} at {r['target_ratio']:g}x: {r['note']}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    failed = summary.attrs.get("failed_datasets", {})
    if failed:
        raise SystemExit(f"datasets not loaded, their runs are still pending: {sorted(failed)}")
    return summary

"""``make reproduce``: the full protocol a reviewer of the comparison would ask for, resumable.

Binary Code based Hash Embedding (Yan et al., CIKM 2021, arXiv 2109.02471) against full
embedding, hash-mod, multi-hash and Q-R (Shi et al., KDD 2020), and the ablations that separate
its fusion from its indexing (:data:`bhlib.ABLATION_METHODS`), on MovieLens-100K (Harper and
Konstan, 2015; random and time split), the synthetic set of ``make run`` (a 10^6-id field) and a
synthetic set with a 10^7-id field, where Q-R can reach 1000x (its ceiling is about
``sqrt(V) / 2``). The protocol **[ours]**:

1. **Tuning** (:mod:`bhlib.experiment.tuning`): every dataset x method x target ratio at each
   learning rate of the grid on the tuning seed; the best validation AUC picks the rate.
   Records in ``<results>/tuning/runs.jsonl``, the choice in ``<results>/tuned.json``.
2. **Final runs**: 5 seeds at the chosen rates, records in ``<results>/runs.jsonl`` (each with
   its ``tuning`` entry), then ``summary.csv``, the figures (AUC versus parameters with 95%
   intervals), ``paired.csv`` (BH against the best other method at each size, seed by seed),
   ``ablations.csv`` and ``claims.md`` (the claims table and the ablation table).

Both steps run on ``--workers`` processes and resume: a killed run loses at most the runs in
flight. ``--commit-tuned`` copies the chosen rates to ``bhlib/experiment/tuned.json`` (with the
command and commit), which ``make run`` uses.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..embeddings import ABLATION_METHODS, COMPARED_METHODS
from .claims import claims_markdown, claims_table
from .cli import CORES, check_folder
from .comparisons import ablation_markdown, ablation_table, paired_table
from .config import DatasetSpec, ExperimentConfig, default_datasets, plan_runs
from .runner import run_experiment, train_runs
from .tuning import (
    LR_FACTORS,
    LR_LADDER,
    TUNED_PATH,
    TUNING_SEED,
    choose,
    dataset_fingerprint,
    load_tuned,
    widen,
    write_tuned,
)

__all__ = ["REPRODUCE_METHODS", "REPRODUCE_SEEDS", "reproduce_datasets", "reproduce_config",
           "tune", "reproduce", "main"]

REPRODUCE_METHODS = COMPARED_METHODS + tuple(m for m in ABLATION_METHODS if m != "bh-shared")
REPRODUCE_SEEDS = (0, 1, 2, 3, 4)


def reproduce_datasets() -> tuple[DatasetSpec, ...]:
    """``make run``'s datasets and ``synthetic-10m``: 500,000 rows of
    :func:`bhlib.data.make_synthetic` with fields of 10^7, 10^4, 10^3, 100 and 10 ids, only the
    10^7-id field compressed (so Q-R reaches 1000x: ``sqrt(10^7) / 2`` is about 1,581), at 100x
    and 1000x.

    Example:
        >>> [d.name for d in reproduce_datasets()]
        ['movielens', 'movielens-time', 'synthetic', 'synthetic-10m']
    """
    syn = next(d for d in default_datasets() if d.name == "synthetic")
    big = DatasetSpec("synthetic-10m", "synthetic",
                      options={"num_rows": 500_000,
                               "vocab_sizes": (10**7, 10_000, 1_000, 100, 10)},
                      ratios=(100, 1000), model={"compress_threshold": 10**6},
                      train=dict(syn.train))
    return (*default_datasets(), big)


def reproduce_config(**changes) -> ExperimentConfig:
    """The final sweep of the protocol (before tuning): :func:`reproduce_datasets`, the
    compared methods and the ablations, 5 seeds, ``results/reproduce``, as many workers as cores.

    Example:
        >>> cfg = reproduce_config()
        >>> cfg.seeds, cfg.results_dir, "bh-product" in cfg.methods
        ((0, 1, 2, 3, 4), 'results/reproduce', True)
    """
    return ExperimentConfig(**{"datasets": reproduce_datasets(), "methods": REPRODUCE_METHODS,
                               "seeds": REPRODUCE_SEEDS, "results_dir": "results/reproduce",
                               "workers": CORES, **changes})


def tune(config: ExperimentConfig, factors: Sequence[float] = LR_FACTORS,
         ladder: Sequence[float] = LR_LADDER) -> dict:
    """Train ``config``'s grid on :data:`~bhlib.experiment.tuning.TUNING_SEED` (into
    ``<results>/tuning``, resumable), widened along ``ladder`` where a choice sits at its
    grid's edge (:func:`~bhlib.experiment.tuning.widen`), and return the tuned table; also
    written to ``<results>/tuned.json``.

    Example:
        >>> import tempfile
        >>> spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
        ...                    options={"num_rows": 300, "vocab_sizes": (5000, 5)},
        ...                    train={"epochs": 1, "lr": 0.01})
        >>> cfg = ExperimentConfig(datasets=[spec], methods=("hash",), seeds=(0,),
        ...                        results_dir=tempfile.mkdtemp(), progress=False)
        >>> t = tune(cfg)
        >>> sorted(t["s"]["entries"][0]["grid"])  # 0.3x won the first grid: it grew to 0.1x
        ['0.001', '0.003', '0.01', '0.03']
    """
    grid = dataclasses.replace(config, seeds=(TUNING_SEED,), tuned=None, figures=False,
                               results_dir=str(Path(config.results_dir) / "tuning"))
    fingerprints = {d.name: dataset_fingerprint(d, config) for d in config.datasets}
    tried: dict[tuple, dict[float, float]] = {}  # combination -> {factor: its rate}
    runs = [r for f in factors for r in _plan(grid, f, tried)]
    records = _train_grid(grid, runs)
    table = choose(records, fingerprints)
    while more := widen(table, tried, ladder):
        wanted = {m[:-1]: m[-1] for m in more}
        runs = [r for f in sorted(set(wanted.values()))
                for r in _plan(grid, f, tried, only=[c for c, g in wanted.items() if g == f])]
        records += _train_grid(grid, runs)
        table = choose(records, fingerprints)
    write_tuned(Path(config.results_dir) / "tuned.json", table, command=_command(),
                commit=_commit(), factors=factors, ladder=ladder)
    return table


def _combo(run: dict) -> tuple:
    return run["dataset"], run["method"], float(run["target_ratio"])


def _plan(grid: ExperimentConfig, factor: float, tried: dict, only=None) -> list[dict]:
    """The grid's runs at ``factor`` (of the combinations ``only``, default all), noted in
    ``tried``."""
    runs = [r for r in plan_runs(grid, lr_factor=factor) if only is None or _combo(r) in only]
    for r in runs:
        tried.setdefault(_combo(r), {})[factor] = r["config"]["train"]["lr"]
    return runs


def _train_grid(grid: ExperimentConfig, runs: list[dict]) -> list[dict]:
    records, failed = train_runs(grid, runs)
    if failed:
        raise RuntimeError(f"tuning could not load {sorted(failed)}: {failed}")
    return records


def reproduce(config: ExperimentConfig | None = None) -> pd.DataFrame:
    """Tune, train the final seeds at the chosen rates, and write the summary, the figures,
    ``paired.csv``, ``ablations.csv`` and ``claims.md`` to ``config.results_dir``; return the
    summary.

    Example (one small dataset; ``make reproduce`` runs :func:`reproduce_config`):
        >>> import tempfile
        >>> spec = DatasetSpec("s", "synthetic", ratios=(10,), model={"embedding_dim": 4},
        ...                    options={"num_rows": 400, "vocab_sizes": (5000, 5)},
        ...                    train={"epochs": 1, "lr": 0.01})
        >>> out = tempfile.mkdtemp()
        >>> s = reproduce(reproduce_config(datasets=[spec], methods=("qr", "bh-product"),
        ...               seeds=(0, 1), workers=1, results_dir=out, progress=False,
        ...               figures=False))  # doctest: +ELLIPSIS
        reproduce: ... s in all; results in ...
        >>> sorted(p.name for p in Path(out).iterdir())  # doctest: +NORMALIZE_WHITESPACE
        ['.sweep.lock', 'ablations.csv', 'claims.md', 'paired.csv', 'runs.jsonl',
         'summary.csv', 'tuned.json', 'tuning']
    """
    config = reproduce_config() if config is None else config
    start = time.perf_counter()
    table = tune(config)
    summary = run_experiment(dataclasses.replace(config, tuned=table))
    out = Path(config.results_dir)
    paired_table(summary).to_csv(out / "paired.csv", index=False)
    ablations = ablation_table(summary)
    ablations.to_csv(out / "ablations.csv", index=False)
    (out / "claims.md").write_text(
        f"Claims table of {out / 'summary.csv'} (commit {_commit()}):\n\n"
        + claims_markdown(claims_table(summary)) + "\n\nAblations (a - b at equal target "
        "ratio, seed by seed):\n\n" + ablation_markdown(ablations) + "\n")
    print(f"reproduce: {time.perf_counter() - start:.0f} s in all; results in {out}", flush=True)
    return summary


def _commit() -> str:
    try:
        got = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10, cwd=Path(__file__).parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10,
                               cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if got.returncode != 0:
        return "unknown"
    return got.stdout.strip() + ("+changes" if dirty else "")


def _command() -> str:
    return "python -m bhlib.experiment.reproduce " + " ".join(sys.argv[1:])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bhlib.experiment.reproduce [--workers N] [--results DIR] [--commit-tuned]``:
    :func:`reproduce` of :func:`reproduce_config`; a bad argument is a usage error (status 2).

    Example:
        >>> try:
        ...     main(["--workers", "0"])
        ... except SystemExit as exit:
        ...     print(exit.code)
        2
    """
    ap = argparse.ArgumentParser(prog="python -m bhlib.experiment.reproduce",
                                 description="The full protocol: tuning, 5 seeds, ablations.")
    ap.add_argument("--workers", type=int, default=CORES,
                    help=f"runs trained at once (default: the cores, {CORES} here)")
    ap.add_argument("--results", default="results/reproduce", help="results folder")
    ap.add_argument("--cache-dir", default="data", help="dataset cache folder (default data)")
    ap.add_argument("--datasets", nargs="+", metavar="NAME",
                    help="only these datasets of the protocol")
    ap.add_argument("--commit-tuned", action="store_true",
                    help=f"copy the chosen learning rates to {TUNED_PATH} (make run uses them)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error(f"--workers must be >= 1, got {args.workers}")
    try:
        check_folder(args.results, "--results")
    except ValueError as err:
        ap.error(str(err))
    datasets = reproduce_datasets()
    if args.datasets:
        unknown = sorted(set(args.datasets) - {d.name for d in datasets})
        if unknown:
            ap.error(f"--datasets: unknown {unknown}; the protocol has "
                     f"{[d.name for d in datasets]}")
        datasets = tuple(d for d in datasets if d.name in args.datasets)
    config = reproduce_config(datasets=datasets, workers=args.workers, results_dir=args.results,
                              cache_dir=args.cache_dir, progress=not args.quiet)
    reproduce(config)
    if args.commit_tuned:
        made = Path(args.results) / "tuned.json"
        load_tuned(made)  # a tuned table, or a ValueError naming the file
        shutil.copyfile(made, TUNED_PATH)  # with the command and commit of the tuning
        print(f"wrote {TUNED_PATH}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

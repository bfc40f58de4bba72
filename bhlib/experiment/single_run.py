"""One run of the sweep, on one process or data-parallel on many: ``python -m
bhlib.experiment.single_run --dataset NAME --method M --ratio R --seed S [--quick] [--results DIR]
[--max-rank-bytes B]``, or the same options after ``torchrun --nproc_per_node=N -m
bhlib.experiment.single_run``.

Trains one (dataset, method, target ratio, seed) run of the comparison of Yan et al. (CIKM 2021,
arXiv 2109.02471) as the default sweep runs it (or the quick one,
``--quick``) of :mod:`bhlib.experiment.config`, and appends its record to ``DIR/runs.jsonl`` in
the sweep's format (:mod:`bhlib.experiment.records`), with the same key: a later sweep on
``DIR`` counts the run as done. Started by ``torchrun`` (``WORLD_SIZE`` in the environment) it
trains with ``DistributedDataParallel`` (:mod:`bhlib.distributed`: gloo on CPU, nccl on CUDA,
``env://``), each process on its share of every global batch; the record (written by rank 0)
carries ``world_size`` and ``rank_max_difference``, the largest parameter difference between
the processes at the end (0.0 when they agree bit for bit). Several machines join through
torchrun's c10d rendezvous, with no change here::

    torchrun --nnodes=2 --nproc_per_node=2 --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 \\
        -m bhlib.experiment.single_run --dataset synthetic --method bh-succession --ratio 100

Before anything is built, each process's memory need is computed in closed form
(:func:`bhlib.replication.replicated_bytes`: parameters and Adam state, replicated on every
process); with ``--max-rank-bytes`` a run that would not fit stops at once with a message that
says how much it needs and that it needs model-parallel sharding instead.

Exit status: 0 (trained, or already recorded), 2 (usage error), 3 (``DIR`` is in use by a
sweep: :class:`bhlib.experiment.lock.SweepLockedError`), 4 (does not fit ``--max-rank-bytes``).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import torch
import torch.distributed as dist

from .._checks import check_int, check_number
from ..distributed import init_from_env, world
from ..embeddings import METHODS
from ..model import ModelConfig
from ..replication import ReplicationError, check_replication, replicated_bytes
from .cli import check_folder
from .config import ExperimentConfig, plan_runs, quick_config
from .datasets import load_dataset, unseen_test_rows
from .lock import SweepLockedError, sweep_lock
from .records import append_record, read_records
from .runner import train_run

__all__ = ["plan_single_run", "main"]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m bhlib.experiment.single_run",
        description="Train one run of the sweep (data-parallel under torchrun) and record it.")
    ap.add_argument("--dataset", required=True, help="a dataset of the sweep (movielens, "
                    "movielens-time, synthetic; quick: movielens, synthetic-quick)")
    ap.add_argument("--method", required=True, choices=list(METHODS), metavar="METHOD",
                    help=f"one of {', '.join(METHODS)}")
    ap.add_argument("--ratio", type=float, help="target compression ratio (not for the baseline, "
                    "which runs without a budget)")
    ap.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    ap.add_argument("--quick", action="store_true", help="a run of the quick sweep")
    ap.add_argument("--epochs", type=int, help="at most this many epochs (default: the dataset's)")
    ap.add_argument("--results", default="results", help="folder of runs.jsonl (default results)")
    ap.add_argument("--cache-dir", default="data", help="dataset cache folder (default data)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    ap.add_argument("--max-rank-bytes", type=float, metavar="B",
                    help="refuse the run if one process would hold more than B bytes of "
                         "parameters and optimizer state (e.g. 8e9)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def plan_single_run(argv: Sequence[str]) -> tuple[argparse.Namespace, ExperimentConfig, dict]:
    """The options, the one-run sweep and its planned run of a command line (usage error, exit
    status 2, when an option is bad).

    Example:
        >>> args, cfg, run = plan_single_run(["--quick", "--dataset", "synthetic-quick",
        ...                                   "--method", "bh-skip", "--ratio", "10"])
        >>> run["method"], run["target_ratio"], run["seed"], len(run["key"])
        ('bh-skip', 10.0, 0, 16)
    """
    ap = _parser()
    args = ap.parse_args(argv)
    try:
        check_int(args.seed, "--seed", low=0)
        check_int(args.threads, "--threads", low=1)
        if args.epochs is not None:
            check_int(args.epochs, "--epochs", low=1)
        if args.max_rank_bytes is not None:
            check_number(args.max_rank_bytes, "--max-rank-bytes", low=1)
            if args.max_rank_bytes != int(args.max_rank_bytes):
                raise ValueError(f"--max-rank-bytes must be a whole number of bytes, got "
                                 f"{args.max_rank_bytes}")
        check_folder(args.results, "--results")
        check_folder(args.cache_dir, "--cache-dir")
        base = (quick_config if args.quick else ExperimentConfig)()
        if args.method == base.baseline:
            if args.ratio not in (None, 1):
                raise ValueError(f"--ratio: the baseline {base.baseline!r} runs without a budget "
                                 f"(ratio 1), got {args.ratio:g}")
        elif args.ratio is None:
            raise ValueError(f"--ratio is required for --method {args.method}")
        else:
            check_number(args.ratio, "--ratio", low=0, low_open=True)
        specs = {d.name: d for d in base.datasets}
        if args.dataset not in specs:
            raise ValueError(f"--dataset must be one of {sorted(specs)}"
                             f"{'' if args.quick else ' (or add --quick)'}, got {args.dataset!r}")
        spec = dataclasses.replace(specs[args.dataset], ratios=(args.ratio or 1.0,), methods=None)
        if args.epochs is not None:
            spec = dataclasses.replace(spec, train={**spec.train, "epochs": args.epochs})
        config = dataclasses.replace(
            base, datasets=(spec,), seeds=(args.seed,), methods=(args.method,),
            results_dir=args.results, cache_dir=args.cache_dir, num_threads=args.threads,
            progress=not args.quiet, figures=False)
        run = next(r for r in plan_runs(config) if r["method"] == args.method)
    except (TypeError, ValueError) as err:
        ap.error(str(err))
    return args, config, run


def _say(text: str, *, error: bool = False) -> None:
    """Print on rank 0 only."""
    if world()[0] == 0:
        print(f"python -m bhlib.experiment.single_run: {text}" if error else text,
              file=sys.stderr if error else sys.stdout, flush=True)


def _agree(value: object) -> object:
    """Rank 0's ``value``, on every process."""
    if world()[1] == 1:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def main(argv: Sequence[str] | None = None) -> dict | None:
    """Command line: train one run and append its record; returns the record (None if the run
    was already recorded). Exits with status 3 or 4 as the module docstring says.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> r = main(["--quick", "--dataset", "synthetic-quick", "--method", "bh-succession",
        ...           "--ratio", "10", "--epochs", "1", "--results", d, "--quiet"])
        ... # doctest: +ELLIPSIS
        synthetic-quick bh-succession 10x seed 0 on 1 process: AUC 0.7236 (15.3x, ...); ...
        >>> r["status"], r["world_size"], r["rank_max_difference"]
        ('ok', 1, 0.0)
    """
    args, config, run = plan_single_run(sys.argv[1:] if argv is None else argv)
    dataset = load_dataset(config.datasets[0], config.cache_dir)
    model = ModelConfig(**run["config"]["model"])
    num_dense = 0 if dataset.dense is None else dataset.dense.shape[1]
    joined = init_from_env()
    rank, size = world()
    try:
        try:
            need = replicated_bytes(dataset.cardinalities, model, num_dense=num_dense)
            check_replication(need, None if args.max_rank_bytes is None
                              else int(args.max_rank_bytes), world_size=size,
                              what=f"{run['method']} at {run['target_ratio']:g}x on "
                                   f"{run['dataset']}")
        except ReplicationError as err:
            _say(str(err), error=True)
            raise SystemExit(4) from None
        except ValueError:  # a BudgetError: train_run records the run as skipped
            pass
        return _locked_run(run, dataset, config, rank, size)
    finally:
        if joined:
            dist.destroy_process_group()


def _locked_run(run: dict, dataset, config: ExperimentConfig, rank: int, size: int) -> dict | None:
    """Rank 0 holds the results folder's lock from before it reads the records to the end."""
    runs_path = Path(config.results_dir) / "runs.jsonl"
    with ExitStack() as stack:
        status = "train"
        if rank == 0:
            try:
                stack.enter_context(sweep_lock(config.results_dir))
                if any(r.get("key") == run["key"] for r in read_records(runs_path)):
                    status = "done"
            except SweepLockedError as err:
                status = str(err)
        status = _agree(status)
        label = f"{run['dataset']} {run['method']} {run['target_ratio']:g}x seed {run['seed']}"
        if status == "done":
            _say(f"{label}: already recorded in {runs_path} (key {run['key']}); nothing to do")
            return None
        if status != "train":
            _say(status, error=True)
            raise SystemExit(3)
        threads = torch.get_num_threads()
        torch.set_num_threads(config.num_threads)
        try:
            record = {**train_run(run, dataset, unseen_test_rows(dataset), config,
                                  distributed=size > 1),
                      "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        finally:
            torch.set_num_threads(threads)
        if rank == 0:
            append_record(runs_path, record)
        procs = f"{size} process{'es' * (size > 1)}"
        _say(f"{label} on {procs}: " + (
            f"AUC {record['test_auc']:.4f} ({record['achieved_ratio']:.1f}x, "
            f"{record['train_seconds']:.1f} s)" + (
                f", parameters of the ranks differ by at most {record['rank_max_difference']:g}"
                if size > 1 else "") if record["status"] == "ok"
            else f"skipped: {record['reason']}") + f"; recorded in {runs_path}")
        return record


if __name__ == "__main__":
    main()

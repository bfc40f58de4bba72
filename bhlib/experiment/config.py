"""What a sweep runs: its datasets, methods, target ratios and seeds, and the list of its runs.

The sweeps compare Binary Code based Hash Embedding with its rivals at equal memory, as Yan et
al. (CIKM 2021, arXiv 2109.02471) do, on our protocol (README, "Reproducing the paper").

A sweep (:class:`ExperimentConfig`) crosses datasets (:class:`DatasetSpec`) x methods x target
compression ratios x seeds. :func:`plan_runs` resolves it into one configuration per run, keyed by
a content hash (:func:`bhlib.experiment.records.run_key`), so that a run's record says exactly
what was trained and a rerun recognises the runs already done.
"""
from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from .. import data
from .._checks import check_bool, check_choice, check_choices, check_int, check_number, check_unique
from ..embeddings import COMPARED_METHODS, METHODS
from ..model import ModelConfig
from ..train import TrainConfig
from .parallel import BACKENDS
from .records import RECORD_VERSION, run_key, to_json
from .tuning import TUNING_SEED, dataset_fingerprint, grid_lrs, tuned_entry

__all__ = ["LOADERS", "DatasetSpec", "ExperimentConfig", "default_datasets", "quick_config",
           "plan_runs"]

# source -> loader in bhlib.data
LOADERS = {"movielens": "load_movielens", "synthetic": "make_synthetic", "csv": "load_csv"}
_NOT_IN_KEY = ("progress", "num_threads")  # TrainConfig fields that do not change the result


def _check_options(source: str, options: Any) -> None:
    """Refuse loader options the loader does not take, before any dataset is loaded; synthetic
    options are checked in full (building a :class:`bhlib.data.SyntheticConfig` is cheap)."""
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict of {LOADERS[source]} arguments, got {options!r}")
    if source == "synthetic":
        known = [f.name for f in dataclasses.fields(data.SyntheticConfig)]
    else:  # the runner passes load_movielens its cache_dir itself
        known = [p for p in inspect.signature(getattr(data, LOADERS[source])).parameters
                 if p != "cache_dir"]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"options holds {unknown}, not arguments of {LOADERS[source]}; "
                        f"it takes {known}")
    if source == "synthetic":
        data.SyntheticConfig(**options)


@dataclass
class DatasetSpec:
    """One dataset of a sweep: where it comes from and how it is trained.

    Example:
        >>> DatasetSpec("toy", "synthetic", options={"num_rows": 1000}, ratios=(10,)).source
        'synthetic'
    """

    name: str                                   # label in records, tables and figure names
    source: str                                 # "movielens", "synthetic" or "csv" (LOADERS)
    _: KW_ONLY
    options: dict = field(default_factory=dict)  # keyword arguments of the loader
    ratios: tuple = (10, 100, 1000)             # target ratios of the non-baseline methods
    model: dict = field(default_factory=dict)   # ModelConfig overrides for this dataset
    train: dict = field(default_factory=dict)   # TrainConfig overrides for this dataset
    methods: tuple | None = None                # subset of the sweep's methods (None: all)

    def __post_init__(self):
        check_choice(self.source, "source", LOADERS)
        _check_options(self.source, self.options)
        self.ratios = tuple(self.ratios)
        for i, ratio in enumerate(self.ratios):
            check_number(ratio, f"ratios[{i}]", low=0, low_open=True)
        check_unique(self.ratios, "ratios")  # compared with ==: 10 and 10.0 are one ratio
        if self.methods is not None:
            self.methods = check_choices(self.methods, "methods", METHODS)
            check_unique(self.methods, "methods")


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
        DatasetSpec("movielens", "movielens", options={"split": "random"}, ratios=(3, 10, 30),
                    train=ml_train),
        DatasetSpec("movielens-time", "movielens", options={"split": "time"}, ratios=(10,),
                    train=ml_train),
        DatasetSpec("synthetic", "synthetic", options={"num_rows": 500_000},
                    ratios=(10, 100, 1000), model={"compress_threshold": 10_000}, train=syn_train),
    )


@dataclass(kw_only=True)
class ExperimentConfig:
    """A sweep: datasets x methods x ratios x seeds, and where its records go.

    Example:
        >>> ExperimentConfig().methods
        ('full', 'hash', 'multi_hash', 'qr', 'bh-succession', 'bh-skip')
    """

    datasets: tuple = field(default_factory=default_datasets)  # DatasetSpec per dataset
    methods: tuple = COMPARED_METHODS   # keys of bhlib.METHODS
    baseline: str = "full"              # run once per dataset and seed, without a budget (ratio 1)
    seeds: tuple = (0, 1, 2)            # one run per seed (model init, row order)
    model: ModelConfig = field(default_factory=ModelConfig)  # shared model settings
    train: TrainConfig = field(default_factory=TrainConfig)  # shared training settings
    results_dir: str = "results"        # runs.jsonl, summary.csv and figures go here
    cache_dir: str = "data"             # dataset cache (MovieLens)
    num_threads: int = 1                # torch threads (1 is fastest on a shared 2-core machine)
    workers: int = 1                    # runs trained at once (1: one after another, here)
    backend: str = "loky"               # "loky" processes or "dask" (bhlib.experiment.parallel)
    scheduler: str | None = None        # a Dask scheduler's HOST:PORT (None: a LocalCluster)
    progress: bool = True               # progress bars and a line per finished run
    figures: bool = True                # write the figures
    tuned: dict | None = None           # a tuned table (bhlib.experiment.tuning): learning rates

    def __post_init__(self):
        self.datasets, self.seeds = tuple(self.datasets), tuple(self.seeds)
        self.methods = check_choices(self.methods, "methods", METHODS)
        check_unique(self.methods, "methods")
        check_choice(self.baseline, "baseline", METHODS)
        if any(not isinstance(d, DatasetSpec) for d in self.datasets):
            raise TypeError(f"datasets must hold DatasetSpec objects, got {self.datasets!r}")
        if len({d.name for d in self.datasets}) != len(self.datasets):
            raise ValueError(f"dataset names must be unique, got {[d.name for d in self.datasets]}")
        for i, seed in enumerate(self.seeds):
            check_int(seed, f"seeds[{i}]", low=0)
        check_unique(self.seeds, "seeds")
        check_int(self.num_threads, "num_threads", low=1)
        check_int(self.workers, "workers", low=1)
        check_choice(self.backend, "backend", BACKENDS)
        if self.scheduler is not None and self.backend != "dask":
            raise ValueError(f"scheduler {self.scheduler!r} is a Dask scheduler's address: it "
                             f"needs backend 'dask', got backend {self.backend!r}")
        self.progress = check_bool(self.progress, "progress")
        self.figures = check_bool(self.figures, "figures")
        if self.tuned is not None and not isinstance(self.tuned, Mapping):
            raise TypeError(f"tuned must be a tuned table (bhlib.experiment.tuning.load_tuned) "
                            f"or None, got {type(self.tuned).__name__}")


def quick_config(**changes: Any) -> ExperimentConfig:
    """A smoke-test sweep (about a minute): small data, one seed, two epochs.

    Example:
        >>> [d.options.get("num_rows") for d in quick_config().datasets]
        [None, 20000]
    """
    train = {"epochs": 2, "batch_size": 1024, "lr": 1e-2}
    specs = (DatasetSpec("movielens", "movielens", options={"split": "random"}, ratios=(10,),
                         train=train),
             DatasetSpec("synthetic-quick", "synthetic",
                         options={"num_rows": 20_000, "vocab_sizes": (1_000_000, 1000, 10)},
                         ratios=(10, 1000), model={"compress_threshold": 10_000}, train=train))
    return ExperimentConfig(**{"datasets": specs, "seeds": (0,), **changes})


def plan_runs(config: ExperimentConfig, *, lr_factor: float | None = None) -> list[dict]:
    """Every run of the sweep as ``{"key", "dataset", "method", "target_ratio", "seed", "config",
    "tuning"}``.

    Order: dataset, seed, then the baseline and each method at each ratio, so that an interrupted
    sweep has complete comparisons for the first seeds. The learning rate is the dataset's
    (``train`` overrides), unless ``config.tuned`` has an entry for the run's dataset (of the same
    fingerprint), method and target ratio: then it is the entry's, and ``tuning`` holds the
    entry (the grid's validation AUCs and the choice; None for an untuned run). ``lr_factor``
    plans one point of a tuning grid instead: every learning rate times it (no tuned table).

    Example:
        >>> runs = plan_runs(quick_config())
        >>> len(runs), runs[0]["method"], runs[0]["target_ratio"]
        (17, 'full', 1.0)
    """
    runs = []
    for spec in config.datasets:
        grid = [(config.baseline, None)] + [(m, r) for m in (spec.methods or config.methods)
                                            if m != config.baseline for r in spec.ratios]
        fingerprint = dataset_fingerprint(spec, config)
        for seed in config.seeds:
            for method, ratio in grid:
                model = dataclasses.replace(config.model, **spec.model, method=method, ratio=ratio,
                                            seed=seed)
                train = dataclasses.replace(config.train, **spec.train, seed=seed)
                tuning = None
                if lr_factor is not None:
                    lr = grid_lrs(train.lr, (lr_factor,))[0]
                    train = dataclasses.replace(train, lr=lr)
                else:
                    tuning = tuned_entry(config.tuned, spec.name, fingerprint, method,
                                         float(ratio or 1))
                    if tuning is not None:
                        train = dataclasses.replace(train, lr=tuning["lr"])
                        tuning = {**tuning, "seed": TUNING_SEED}
                train_d = {k: v for k, v in dataclasses.asdict(train).items()
                           if k not in _NOT_IN_KEY}
                resolved = to_json({"version": RECORD_VERSION, "seed": seed, "method": method,
                                    "target_ratio": float(ratio or 1),
                                    "dataset": {"name": spec.name, "source": spec.source,
                                                "options": spec.options},
                                    "model": dataclasses.asdict(model), "train": train_d})
                runs.append({"key": run_key(resolved), "dataset": spec.name, "method": method,
                             "target_ratio": float(ratio or 1), "seed": seed, "config": resolved,
                             "tuning": tuning})
    return runs

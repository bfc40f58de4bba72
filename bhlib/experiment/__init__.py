"""The experiment floor: everything made from run records.

Sweeps of the accuracy-versus-size comparison of Yan et al. (*Binary Code based Hash Embedding
for Web-scale Applications*, CIKM 2021, arXiv 2109.02471), run resumably, and every table and
figure read from their records. ``python -m bhlib.experiment --help`` lists the options.

* :mod:`~bhlib.experiment.config` — what a sweep runs (:class:`DatasetSpec`,
  :class:`ExperimentConfig`) and the list of its runs (:func:`plan_runs`);
* :mod:`~bhlib.experiment.records` — one JSON line per finished run (``results/runs.jsonl``),
  a torn last line repaired (:func:`repair_torn_tail`), one record per key (:func:`unique_records`);
* :mod:`~bhlib.experiment.lock` — one sweep per results folder (:func:`sweep_lock`,
  :class:`SweepLockedError`);
* :mod:`~bhlib.experiment.datasets` — a sweep's datasets (:func:`load_dataset`);
* :mod:`~bhlib.experiment.runner` — trains the pending runs (:func:`run_experiment`,
  :func:`train_runs`);
* :mod:`~bhlib.experiment.summary` — one row per dataset x method x target ratio
  (:func:`summarize`, ``results/summary.csv``);
* :mod:`~bhlib.experiment.tables`, :mod:`~bhlib.experiment.figures` — read from the summary and
  the records;
* :mod:`~bhlib.experiment.stats` — t intervals over seeds and paired differences;
* :mod:`~bhlib.experiment.comparisons` — BH against the best other method at each size, seed by
  seed (:func:`paired_table`), and the fusion and indexing ablations (:func:`ablation_table`);
* :mod:`~bhlib.experiment.claims` — the paper's claims judged from a summary
  (:func:`claims_table`, rendered by :func:`claims_markdown`);
* :mod:`~bhlib.experiment.tuning` — learning rates picked on a grid by validation AUC, the same
  way for every method (:func:`load_tuned`, :func:`tuned_frame`; ``tuned.json`` is committed);
* :mod:`~bhlib.experiment.cli` — the command line; :mod:`~bhlib.experiment.reproduce` — the full
  protocol (``make reproduce``: tuning, 5 seeds, the ablations, a 10^7-id field).

**The rule of the floors.** A table or figure computed from run records lives here; one computed
in closed form for a notebook lives in :mod:`bhlib.teaching` (by topic); how a number or a table
looks lives in :mod:`bhlib.display`. This floor imports the core (``bhlib.*``) and never
:mod:`bhlib.teaching`; the core never imports this floor (``tests/test_layers.py`` checks both).
"""
from .claims import claims_markdown, claims_table
from .cli import build_config, main
from .comparisons import ablation_markdown, ablation_table, paired_table
from .config import DatasetSpec, ExperimentConfig, default_datasets, plan_runs, quick_config
from .datasets import load_dataset, unseen_test_rows
from .figures import auc_vs_params_figure, convergence_figure, save_figures, unseen_figure
from .lock import SweepLockedError, lock_holder, sweep_lock
from .records import (
    RECORD_VERSION,
    append_record,
    finished_runs,
    read_records,
    repair_torn_tail,
    run_key,
    to_json,
    unique_records,
)
from .runner import run_experiment, sweep_records, train_runs
from .stats import paired_difference, t_interval
from .summary import summarize
from .tables import curve_table, measure_table, retention_table, unseen_table
from .tuning import load_tuned, tuned_frame

__all__ = [
    "DatasetSpec", "ExperimentConfig", "default_datasets", "quick_config", "plan_runs",
    "RECORD_VERSION", "to_json", "run_key", "read_records", "append_record", "finished_runs",
    "repair_torn_tail", "unique_records", "SweepLockedError", "sweep_lock", "lock_holder",
    "load_dataset", "unseen_test_rows", "run_experiment", "train_runs", "sweep_records",
    "summarize",
    "retention_table", "measure_table", "curve_table", "unseen_table", "auc_vs_params_figure",
    "convergence_figure", "unseen_figure", "save_figures", "claims_table", "claims_markdown",
    "paired_table", "ablation_table", "ablation_markdown", "t_interval", "paired_difference",
    "load_tuned", "tuned_frame", "build_config", "main",
]

"""Tables read from a sweep's summary and records: retention, one measure as a grid, convergence
in numbers, unseen ids.

:func:`bhlib.experiment.summary.summarize` turns the records of a sweep of the BH comparison
(Yan et al., CIKM 2021, arXiv 2109.02471) into one row per dataset x method x target ratio; these
functions cut that summary (or the records, for training curves) into the tables the command line
prints and notebooks 05 and 06 show. Pure: no training, no files written. Numbers stay numbers;
:func:`bhlib.display.format_columns` makes text of them.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._checks import check_choice
from .records import finished_runs

__all__ = ["retention_table", "measure_table", "curve_table", "unseen_table"]


def _of_dataset(summary: pd.DataFrame, dataset: str | None) -> pd.DataFrame:
    if dataset is None:
        return summary
    check_choice(dataset, "dataset", dict.fromkeys(summary["dataset"]))
    return summary[summary["dataset"] == dataset]


def retention_table(summary: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """Accuracy and retained performance per method and target ratio (every dataset, or one):
    AUC mean and std over seeds, logloss, both retention measures (``AUC / AUC_full`` and
    ``(AUC - 0.5) / (AUC_full - 0.5)``), embedding parameters, and why a combination was skipped.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash"],
        ...     "target_ratio": [1.0, 10.0], "achieved_ratio": [1.0, 10.0], "num_seeds": [2, 2],
        ...     "auc_mean": [0.8, 0.77], "auc_std": [0.001, 0.002], "logloss_mean": [0.5, 0.52],
        ...     "retained_auc": [1, 0.9625], "retained_lift": [1, 0.9],
        ...     "embedding_params": [1000, 100], "note": ["", ""]})
        >>> retention_table(s, "d")["retained_lift"].tolist()
        [1.0, 0.9]
    """
    d = _of_dataset(summary, dataset)
    cols = ["dataset", "method", "target_ratio", "achieved_ratio", "num_seeds", "auc_mean",
            "auc_std", "logloss_mean", "retained_auc", "retained_lift", "embedding_params", "note"]
    out = d.reindex(columns=cols).reset_index(drop=True)
    out["note"] = out["note"].fillna("").astype(str)
    return out.drop(columns=["dataset"]) if dataset is not None else out


def measure_table(summary: pd.DataFrame, dataset: str, measure: str = "auc_mean") -> pd.DataFrame:
    """One summary column as a grid: methods down, target ratios across (``-``: not run/skipped).

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash", "hash"],
        ...                   "target_ratio": [1.0, 10.0, 30.0], "auc_mean": [0.8, 0.77, 0.75]})
        >>> measure_table(s, "d").values.tolist()
        [[0.8, '-', '-'], ['-', 0.77, 0.75]]
    """
    d = _of_dataset(summary, dataset)
    check_choice(measure, "measure", d.columns)
    grid = d.pivot_table(index="method", columns="target_ratio", values=measure, sort=False,
                         dropna=False)
    grid = grid.round(4).astype(object).where(grid.notna(), "-")
    grid.index.name, grid.columns.name = "method", "target_ratio"
    return grid


def curve_table(records: Sequence[dict], dataset: str, *, ratio: float | None = None,
                baseline: str = "full") -> pd.DataFrame:
    """Convergence in numbers, per method (mean over seeds): validation AUC after the first
    evaluation, best validation AUC and when it came, and the last training loss.

    Args:
        records: run records with a ``curve``.
        dataset: which dataset.
        ratio: the target ratio whose runs are shown (the baseline always); None: all ratios.
        baseline: the method shown at its own ratio (1x).

    Example:
        >>> recs = [{"dataset": "d", "method": "hash", "target_ratio": 10.0, "seed": s,
        ...          "status": "ok", "curve": [{"epoch": 1, "valid_auc": 0.70, "train_loss": 0.6},
        ...                                   {"epoch": 2, "valid_auc": 0.72, "train_loss": 0.5}]}
        ...         for s in (0, 1)]
        >>> curve_table(recs, "d").values.tolist()
        [['hash', 10.0, 2, 0.7, 0.72, 2.0, 0.5]]
    """
    rows = []
    for r in finished_runs(records, dataset, ratio=ratio, baseline=baseline):
        c = pd.DataFrame(r["curve"])
        best = c["valid_auc"].idxmax()
        rows.append({"method": r["method"], "target_ratio": float(r["target_ratio"]),
                     "first_valid_auc": c["valid_auc"].iloc[0],
                     "best_valid_auc": c["valid_auc"].max(), "best_epoch": c["epoch"][best],
                     "last_train_loss": c["train_loss"].iloc[-1]})
    if not rows:
        raise ValueError(f"no finished runs with a curve for dataset {dataset!r}")
    df = pd.DataFrame(rows)
    g = df.groupby(["method", "target_ratio"], sort=False)
    out = g.mean(numeric_only=True).round(4)
    out["best_epoch"] = out["best_epoch"].round(1)  # evaluations fall at fractions of an epoch
    out.insert(0, "num_seeds", g.size())
    return out.reset_index()[["method", "target_ratio", "num_seeds", "first_valid_auc",
                              "best_valid_auc", "best_epoch", "last_train_loss"]]


def unseen_table(summary: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """Test AUC on rows holding an id training never saw, against the other rows and all rows,
    per method (every dataset with such rows, or one); ``gap`` is unseen minus seen.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full"], "target_ratio": [1.0],
        ...     "num_seeds": [1], "num_unseen_test_rows": [50], "auc_unseen_mean": [0.7],
        ...     "auc_unseen_std": [0.01], "auc_seen_mean": [0.8], "auc_seen_std": [0.01],
        ...     "auc_mean": [0.78], "auc_std": [0.01]})
        >>> unseen_table(s, "d")[["method", "num_unseen_test_rows", "gap"]].values.tolist()
        [['full', 50, -0.1]]
    """
    cols = ["dataset", "method", "target_ratio", "num_unseen_test_rows", "auc_unseen_mean",
            "auc_unseen_std", "auc_seen_mean", "auc_seen_std", "auc_mean", "auc_std"]
    d = _of_dataset(summary, dataset)
    d = d.reindex(columns=list(dict.fromkeys([*d.columns, *cols, "num_seeds"])))
    d = d[(d["num_seeds"] > 0) & (d["num_unseen_test_rows"].fillna(0) > 0)]
    if dataset is not None and d.empty:
        raise ValueError(f"dataset {dataset!r} has no finished runs with unseen test rows")
    out = d.reindex(columns=cols).reset_index(drop=True)
    out["num_unseen_test_rows"] = out["num_unseen_test_rows"].astype("Int64")
    out["gap"] = (out["auc_unseen_mean"] - out["auc_seen_mean"]).round(4)
    return out.drop(columns=["dataset"]) if dataset is not None else out

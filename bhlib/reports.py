"""Small tables that read a sweep for the notebooks: planned sizes, retention, curves, unseen ids.

:mod:`bhlib.experiment` runs the sweeps of the BH comparison (Yan et al., CIKM 2021,
arXiv 2109.02471) and writes one record per run plus a summary; :mod:`bhlib.plots` draws them.
These functions turn the same records and summary into the short tables notebooks 05 and 06 print
(pure: no training, no files written). Column names follow :func:`bhlib.experiment.summarize`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .embeddings import BudgetError
from .model import ModelConfig, plan_fields
from .records import finished_runs

__all__ = ["planned_sizes", "sweep_records", "retention_table", "measure_table", "curve_table",
           "unseen_table"]


def planned_sizes(cardinalities: dict[str, int], methods: Sequence[str], ratios: Sequence[float],
                  config: ModelConfig | None = None) -> pd.DataFrame:
    """Rows of every compressed field for each method and target ratio, before any training.

    Sizes come from :func:`bhlib.model.plan_fields` (nothing allocated). ``ratio`` is the
    compression reached on the compressed fields together; an unreachable ratio says so.

    Example:
        >>> t = planned_sizes({"user": 943, "item": 1682, "gender": 2}, ["hash", "qr"], [10, 30])
        >>> print(t.to_string(index=False))
        method  target user item ratio
          hash      10   94  168  10.0
            qr      10   91  164  10.3
          hash      30   31   56  30.2
            qr      30    -    -     -
    """
    config = config or ModelConfig()
    records = []
    for ratio in ratios:
        for method in methods:
            row: dict[str, Any] = {"method": method, "target": ratio}
            try:
                plans = plan_fields(cardinalities, ModelConfig(**{
                    **config.__dict__, "method": method, "ratio": ratio}))
            except BudgetError:
                records.append(row)
                continue
            chosen = {f: p for f, (m, p) in plans.items() if m != config.default_method}
            row.update({f: p.num_rows for f, p in chosen.items()})
            full = sum(p.num_embeddings * p.embedding_dim for p in chosen.values())
            row["ratio"] = round(full / sum(p.num_parameters for p in chosen.values()), 1)
            records.append(row)
    out = pd.DataFrame(records)
    out = out.reindex(columns=[c for c in out.columns if c != "ratio"] + ["ratio"])
    for c in out.columns[2:]:  # unreachable: "-", not NaN (and row counts stay integers)
        out[c] = pd.Series([("-" if pd.isna(v) else v if c == "ratio" else int(v))
                            for v in out[c]], index=out.index, dtype=object)
    return out


def sweep_records(config: Any) -> list[dict]:
    """The records of ``config``'s runs found in its ``results_dir`` (other sweeps' are left out).

    Example:
        >>> from bhlib.experiment import quick_config
        >>> sweep_records(quick_config(results_dir="no/such/dir"))
        []
    """
    from .experiment import plan_runs, read_records
    keys = {r["key"] for r in plan_runs(config)}
    records = read_records(Path(config.results_dir) / "runs.jsonl")
    return [r for r in records if r.get("key") in keys]


def retention_table(summary: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Accuracy and retained performance per method and ratio: AUC ± std over seeds, both
    retention measures (``AUC / AUC_full`` and ``(AUC - 0.5) / (AUC_full - 0.5)``), a note for
    skipped combinations.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash"], "ratio": [1.0, 10.0],
        ...     "achieved_ratio": [1.0, 10.0], "n_seeds": [2, 2], "auc_mean": [0.8, 0.77],
        ...     "auc_std": [0.001, 0.002], "logloss_mean": [0.5, 0.52], "retained_auc": [1, 0.9625],
        ...     "retained_lift": [1, 0.9], "note": ["", ""]})
        >>> retention_table(s, "d")["AUC"].tolist()
        ['0.8000 ± 0.0010', '0.7700 ± 0.0020']
    """
    d = summary[summary["dataset"] == dataset]
    if d.empty:
        raise ValueError(f"dataset must be one of {sorted(summary['dataset'].unique())}, "
                         f"got {dataset!r}")
    auc = [("-" if n == 0 else f"{m:.4f} ± {0 if pd.isna(s) else s:.4f}")
           for m, s, n in zip(d["auc_mean"], d["auc_std"], d["n_seeds"])]
    return pd.DataFrame({
        "method": d["method"], "target": d["ratio"], "achieved": d["achieved_ratio"].round(1),
        "seeds": d["n_seeds"], "AUC": auc, "logloss": d["logloss_mean"].round(4),
        "AUC / full": d["retained_auc"].round(4), "lift / full": d["retained_lift"].round(4),
        "note": d["note"].fillna("").astype(str).str.slice(0, 60),
    }).reset_index(drop=True)


def measure_table(summary: pd.DataFrame, dataset: str, measure: str = "auc_mean") -> pd.DataFrame:
    """One summary column as a grid: methods down, target ratios across (``-``: not run/skipped).

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash", "hash"],
        ...                   "ratio": [1.0, 10.0, 30.0], "auc_mean": [0.8, 0.77, 0.75]})
        >>> measure_table(s, "d").values.tolist()
        [[0.8, '-', '-'], ['-', 0.77, 0.75]]
    """
    d = summary[summary["dataset"] == dataset]
    if d.empty:
        raise ValueError(f"dataset must be one of {sorted(summary['dataset'].unique())}, "
                         f"got {dataset!r}")
    if measure not in d:
        raise ValueError(f"measure must be a column of the summary, got {measure!r}")
    grid = d.pivot_table(index="method", columns="ratio", values=measure, sort=False, dropna=False)
    grid = grid.round(4).astype(object).where(grid.notna(), "-")
    grid.index.name, grid.columns.name = "method", "target"
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
        rows.append({"method": r["method"], "target": float(r["target_ratio"]),
                     "first_valid_auc": c["valid_auc"].iloc[0],
                     "best_valid_auc": c["valid_auc"].max(), "best_epoch": c["epoch"][best],
                     "last_train_loss": c["train_loss"].iloc[-1]})
    if not rows:
        raise ValueError(f"no finished runs with a curve for dataset {dataset!r}")
    df = pd.DataFrame(rows)
    g = df.groupby(["method", "target"], sort=False)
    out = g.mean(numeric_only=True).round(4)
    out.insert(0, "seeds", g.size())
    return out.reset_index()[["method", "target", "seeds", "first_valid_auc", "best_valid_auc",
                              "best_epoch", "last_train_loss"]]


def unseen_table(summary: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Test AUC on rows holding an id training never saw, against the other rows, per method.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full"], "ratio": [1.0], "n_seeds": [1],
        ...     "unseen_rows": [50], "auc_unseen_mean": [0.7], "auc_seen_mean": [0.8]})
        >>> unseen_table(s, "d").values.tolist()
        [['full', 1.0, 50, 0.7, 0.8, -0.1]]
    """
    d = summary[(summary["dataset"] == dataset) & (summary["n_seeds"] > 0)]
    if d.empty:
        raise ValueError(f"dataset {dataset!r} has no finished runs in the summary")
    return pd.DataFrame({
        "method": d["method"], "target": d["ratio"],
        "unseen_rows": d["unseen_rows"].astype("Int64"),
        "auc_unseen": d["auc_unseen_mean"].round(4), "auc_seen": d["auc_seen_mean"].round(4),
        "gap": (d["auc_unseen_mean"] - d["auc_seen_mean"]).round(4),
    }).reset_index(drop=True)

"""The summary of a sweep: one row per dataset x method x target ratio, read from its records.

Means, sample standard deviations and 95% t intervals over seeds of the test AUC and logloss
(Yan et al., CIKM 2021, arXiv 2109.02471, compare methods by AUC at equal memory), the scores seed
by seed (for paired comparisons, :mod:`bhlib.experiment.stats`), the two measures of retained
performance, the sizes reached, and the scores on test rows holding an id that training never
saw. ``results/summary.csv`` is this table.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from ..embeddings import METHODS
from .stats import by_seed_json, t_interval

__all__ = ["summarize"]

_SIZES = ("embedding_ratio", "embedding_params", "embedding_bytes", "embedding_bytes_adam")


def _agg(values: pd.Series) -> tuple[float, float]:
    """Mean and sample standard deviation (NaN for fewer than one / two values)."""
    v = values.dropna().astype(float)
    return (float(v.mean()) if len(v) else math.nan,
            float(v.std(ddof=1)) if len(v) > 1 else math.nan)


def _row(ds: str, method: str, target_ratio: float, runs: pd.DataFrame) -> dict:
    ok = runs[runs["status"] == "ok"]
    row = {"dataset": ds, "method": method, "target_ratio": float(target_ratio),
           "num_seeds": int(ok["seed"].nunique())}
    row["achieved_ratio"] = _agg(ok.get("achieved_ratio", pd.Series(dtype=float)))[0]
    for col, name in (("test_auc", "auc"), ("test_logloss", "logloss")):
        row[f"{name}_mean"], row[f"{name}_std"] = (_agg(ok[col]) if len(ok)
                                                   else (math.nan, math.nan))
    for col in _SIZES:
        row[col] = _agg(ok[col])[0] if col in ok and len(ok) else math.nan
    for col, name in (("train_seconds", "train_seconds_mean"), ("best_epoch", "best_epoch")):
        row[name] = _agg(ok[col])[0] if col in ok and len(ok) else math.nan
    unseen = [r for r in ok.get("unseen", pd.Series(dtype=object)) if isinstance(r, dict)]
    row["num_unseen_test_rows"] = unseen[0]["num_unseen_test_rows"] if unseen else math.nan
    for part in ("unseen", "seen"):
        scores = pd.Series([r.get(f"auc_{part}") for r in unseen], dtype=float)
        row[f"auc_{part}_mean"], row[f"auc_{part}_std"] = _agg(scores)
    for col, name in (("test_auc", "auc"), ("test_logloss", "logloss")):  # for stats.py
        row[f"{name}_ci95"] = t_interval(ok[col].astype(float))[1] if len(ok) else math.nan
        row[f"{name}_by_seed"] = by_seed_json(ok["seed"], ok[col]) if len(ok) else ""
    row["note"] = "" if len(ok) else str(runs["reason"].iloc[0])
    return row


def summarize(records: Sequence[dict], *, baseline: str = "full") -> pd.DataFrame:
    """One row per dataset x method x target ratio: means and sample std over seeds, retention.

    ``auc_ci95`` / ``logloss_ci95``: the half-width of the 95% t interval over seeds (NaN for
    one seed); ``auc_by_seed`` / ``logloss_by_seed``: the scores seed by seed, as JSON text.
    ``retained_auc`` is AUC / AUC_baseline and ``retained_lift`` (AUC - 0.5) / (AUC_baseline - 0.5),
    both from the means over seeds. Combinations only ever skipped get ``num_seeds = 0`` and the
    reason in ``note``. ``auc_unseen_mean`` / ``auc_seen_mean``: test rows with / without an id
    that training never saw (``num_unseen_test_rows`` of them).

    Example:
        >>> recs = [{"dataset": "d", "method": m, "target_ratio": r, "seed": s, "status": "ok",
        ...          "test_auc": a, "test_logloss": 0.5, "achieved_ratio": r}
        ...         for m, r, a in (("full", 1.0, 0.8), ("hash", 10.0, 0.77)) for s in (0, 1)]
        >>> t = summarize(recs)[["method", "num_seeds", "retained_auc", "retained_lift"]]
        >>> t.round(3).values.tolist()
        [['full', 2, 1.0, 1.0], ['hash', 2, 0.962, 0.9]]
    """
    df = pd.DataFrame(list(records))
    if df.empty:
        return pd.DataFrame(columns=["dataset", "method", "target_ratio", "num_seeds"])
    groups = df.groupby(["dataset", "method", "target_ratio"], sort=False)
    out = pd.DataFrame([_row(ds, m, r, g) for (ds, m, r), g in groups])
    full = out[out["method"] == baseline].set_index("dataset")["auc_mean"]
    ref = out["dataset"].map(full)
    out.insert(out.columns.get_loc("logloss_std") + 1, "retained_auc", out["auc_mean"] / ref)
    out.insert(out.columns.get_loc("retained_auc") + 1, "retained_lift",
               (out["auc_mean"] - 0.5) / (ref - 0.5))
    order = {m: i for i, m in enumerate(METHODS)}
    out["_m"] = out["method"].map(order).fillna(len(order))
    out["_d"] = out["dataset"].map({d: i for i, d in enumerate(dict.fromkeys(df["dataset"]))})
    return (out.sort_values(["_d", "target_ratio", "_m"]).drop(columns=["_m", "_d"])
            .reset_index(drop=True))

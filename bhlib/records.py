"""Run records and their summary: the storage side of :mod:`bhlib.experiment`.

A *run record* is one dict per finished run of a sweep: its ``key`` (:func:`run_key`, 16 hex digits
of the SHA-256 of the resolved configuration), ``dataset``, ``method``, ``target_ratio``, ``seed``,
``config``, ``status`` (``"ok"``, or ``"skipped"`` with the :class:`bhlib.BudgetError` text in
``reason``) and, for ``ok`` runs, the test AUC / logloss, achieved ratio, embedding sizes, training
curve and the scores on test rows with ids unseen in training (``unseen``).

Records are stored resumably as JSON Lines (``results/runs.jsonl``): :func:`append_record` writes
one line per run, flushed and fsync'ed, closing a torn last line first; :func:`read_records` skips
a torn line with a warning. A rerun skips keys already present, so a killed sweep loses at most
the run in flight. NaN/inf are stored as ``null``; ``RECORD_VERSION`` is part of every key.

:func:`summarize` turns records into one row per dataset x method x target ratio (``dataset``,
``method``, ``ratio``) with ``n_seeds``, ``achieved_ratio``, ``auc_mean``/``auc_std``,
``logloss_mean``/``logloss_std``, ``retained_auc``, ``retained_lift``, embedding sizes,
``train_seconds_mean``, ``best_epoch``, ``unseen_rows``, ``auc_unseen_*``/``auc_seen_*`` and
``note``; :func:`format_summary` and :func:`format_unseen` print it as text tables.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .embeddings import METHODS

__all__ = ["RECORD_VERSION", "run_key", "read_records", "append_record", "finished_runs",
           "summarize", "format_summary", "format_unseen"]

RECORD_VERSION = 1


def _clean(x: Any) -> Any:
    """JSON-ready copy: tuples -> lists, numpy scalars -> Python, NaN/inf -> None."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def run_key(resolved: dict) -> str:
    """16 hex digits of the SHA-256 of the canonical JSON of a resolved run configuration.

    Example:
        >>> run_key({"a": 1, "b": [2, 3]}) == run_key({"b": (2, 3), "a": 1})
        True
    """
    text = json.dumps(_clean(resolved), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_records(path: str | Path) -> list[dict]:
    """The records of ``runs.jsonl`` (none if it does not exist); a torn line is skipped with a warning.

    Example:
        >>> read_records("no/such/runs.jsonl")
        []
    """
    path, out = Path(path), []
    if not path.exists():
        return out
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            warnings.warn(f"{path}:{i} is not valid JSON (a run killed while writing?); ignored")
    return out


def append_record(path: str | Path, record: dict) -> None:
    """Append one record as a JSON line, flushed and fsync'ed (a torn last line is closed first).

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "runs.jsonl")
        >>> append_record(p, {"key": "k"}); read_records(p)
        [{'key': 'k'}]
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = path.exists() and path.stat().st_size > 0 and path.read_bytes()[-1:] != b"\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(("\n" if torn else "") + json.dumps(_clean(record), sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def finished_runs(records: Sequence[dict], dataset: str, *, ratio: float | None = None,
                  baseline: str = "full") -> list[dict]:
    """The finished runs of ``dataset`` that kept a convergence curve; with ``ratio``, only those
    at that target ratio, plus the baseline's (which runs at 1x only).

    Example:
        >>> recs = [{"dataset": "d", "method": "hash", "target_ratio": 10.0, "status": "ok",
        ...          "curve": [{"epoch": 1}]}, {"dataset": "d", "status": "skipped"}]
        >>> len(finished_runs(recs, "d")), len(finished_runs(recs, "d", ratio=100.0))
        (1, 0)
    """
    return [r for r in records
            if r.get("dataset") == dataset and r.get("status") == "ok" and r.get("curve")
            and (ratio is None or r["method"] == baseline or r["target_ratio"] == ratio)]


def _agg(values: pd.Series) -> tuple[float, float]:
    v = values.dropna().astype(float)
    return (float(v.mean()) if len(v) else math.nan, float(v.std(ddof=1)) if len(v) > 1 else math.nan)


def summarize(records: Sequence[dict], *, baseline: str = "full") -> pd.DataFrame:
    """One row per dataset x method x target ratio: means and sample std over seeds, retention.

    ``retained_auc`` is AUC / AUC_baseline and ``retained_lift`` (AUC - 0.5) / (AUC_baseline - 0.5),
    both from the means over seeds. Combinations only ever skipped get ``n_seeds = 0`` and the
    reason in ``note``. ``auc_unseen_mean`` / ``auc_seen_mean``: test rows with / without an id
    that training never saw.

    Example:
        >>> recs = [{"dataset": "d", "method": m, "target_ratio": r, "seed": s, "status": "ok",
        ...          "test_auc": a, "test_logloss": 0.5, "achieved_ratio": r}
        ...         for m, r, a in (("full", 1.0, 0.8), ("hash", 10.0, 0.77)) for s in (0, 1)]
        >>> summarize(recs)[["method", "n_seeds", "retained_auc", "retained_lift"]].round(3).values.tolist()
        [['full', 2, 1.0, 1.0], ['hash', 2, 0.962, 0.9]]
    """
    rows = []
    df = pd.DataFrame(list(records))
    if df.empty:
        return pd.DataFrame(columns=["dataset", "method", "ratio", "n_seeds"])
    order = {m: i for i, m in enumerate(METHODS)}
    for (ds, method, ratio), g in df.groupby(["dataset", "method", "target_ratio"], sort=False):
        ok = g[g["status"] == "ok"]
        row = {"dataset": ds, "method": method, "ratio": float(ratio), "n_seeds": int(ok["seed"].nunique())}
        row["achieved_ratio"] = _agg(ok.get("achieved_ratio", pd.Series(dtype=float)))[0]
        for col, name in (("test_auc", "auc"), ("test_logloss", "logloss")):
            row[f"{name}_mean"], row[f"{name}_std"] = _agg(ok[col]) if len(ok) else (math.nan, math.nan)
        for col in ("embedding_ratio", "embedding_params", "embedding_bytes", "embedding_bytes_adam",
                    "train_seconds", "best_epoch"):
            row[col if col != "train_seconds" else "train_seconds_mean"] = (
                _agg(ok[col])[0] if col in ok and len(ok) else math.nan)
        un = [r for r in ok.get("unseen", pd.Series(dtype=object)) if isinstance(r, dict)]
        row["unseen_rows"] = un[0]["n_unseen"] if un else math.nan
        for part in ("unseen", "seen"):
            row[f"auc_{part}_mean"], row[f"auc_{part}_std"] = _agg(pd.Series([r.get(f"auc_{part}") for r in un], dtype=float))
        row["note"] = "" if len(ok) else str(g["reason"].iloc[0])
        rows.append(row)
    out = pd.DataFrame(rows)
    full = out[out["method"] == baseline].set_index("dataset")["auc_mean"]
    ref = out["dataset"].map(full)
    out.insert(out.columns.get_loc("logloss_std") + 1, "retained_auc", out["auc_mean"] / ref)
    out.insert(out.columns.get_loc("retained_auc") + 1, "retained_lift", (out["auc_mean"] - 0.5) / (ref - 0.5))
    out["_m"] = out["method"].map(order).fillna(len(order))
    dsorder = {d: i for i, d in enumerate(dict.fromkeys(df["dataset"]))}
    out["_d"] = out["dataset"].map(dsorder)
    return out.sort_values(["_d", "ratio", "_m"]).drop(columns=["_m", "_d"]).reset_index(drop=True)


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as a fixed-width text table (what the CLI prints).

    Example:
        >>> print(format_summary(pd.DataFrame([{"dataset": "d", "method": "full", "ratio": 1.0,
        ...     "achieved_ratio": 1.0, "n_seeds": 3, "auc_mean": 0.8, "auc_std": 0.001,
        ...     "logloss_mean": 0.5, "retained_auc": 1.0, "retained_lift": 1.0,
        ...     "embedding_params": 1000, "note": ""}])).splitlines()[1].split())
        ['d', 'full', '1', '1.0', '3', '0.8000±0.0010', '0.5000', '1.0000', '1.0000', '1,000']
    """
    t = pd.DataFrame({
        "dataset": summary["dataset"], "method": summary["method"],
        "target": summary["ratio"].map("{:g}".format),
        "achieved": summary["achieved_ratio"].map(lambda v: "-" if pd.isna(v) else f"{v:.1f}"),
        "seeds": summary["n_seeds"],
        "AUC": [("skipped" if n == 0 else f"{m:.4f}" + ("" if pd.isna(s) else f"±{s:.4f}"))
                for m, s, n in zip(summary["auc_mean"], summary["auc_std"], summary["n_seeds"])],
        "logloss": summary["logloss_mean"].map(lambda v: "-" if pd.isna(v) else f"{v:.4f}"),
        "ret_auc": summary["retained_auc"].map(lambda v: "-" if pd.isna(v) else f"{v:.4f}"),
        "ret_lift": summary["retained_lift"].map(lambda v: "-" if pd.isna(v) else f"{v:.4f}"),
        "emb_params": summary["embedding_params"].map(lambda v: "-" if pd.isna(v) else f"{int(v):,}"),
    })
    return t.to_string(index=False)


def format_unseen(summary: pd.DataFrame) -> str:
    """Test AUC on rows with ids unseen in training vs the other rows, per dataset and method.

    Example:
        >>> format_unseen(pd.DataFrame(columns=["unseen_rows"]))
        ''
    """
    t = summary[summary["unseen_rows"].fillna(0) > 0] if "unseen_rows" in summary else summary.iloc[:0]
    if t.empty:
        return ""
    pm = lambda m, s: "-" if pd.isna(m) else f"{m:.4f}" + ("" if pd.isna(s) else f"±{s:.4f}")  # noqa: E731
    return pd.DataFrame({
        "dataset": t["dataset"], "method": t["method"], "target": t["ratio"].map("{:g}".format),
        "unseen rows": t["unseen_rows"].map(lambda v: f"{int(v):,}"),
        "AUC unseen": [pm(m, s) for m, s in zip(t["auc_unseen_mean"], t["auc_unseen_std"])],
        "AUC seen": [pm(m, s) for m, s in zip(t["auc_seen_mean"], t["auc_seen_std"])],
        "AUC all": [pm(m, s) for m, s in zip(t["auc_mean"], t["auc_std"])],
    }).to_string(index=False)

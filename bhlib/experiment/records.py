"""Run records: one JSON line per finished run of a sweep, written resumably.

A *run record* is one dict per finished run of a sweep: its ``key`` (:func:`run_key`, 16 hex digits
of the SHA-256 of the resolved configuration), ``dataset``, ``method``, ``target_ratio``, ``seed``,
``config``, ``status`` (``"ok"``, or ``"skipped"`` with the :class:`bhlib.BudgetError` text in
``reason``) and, for ``ok`` runs, the test AUC / logloss, achieved ratio, embedding sizes, training
curve and the scores on test rows with ids unseen in training (``unseen``: ``num_test_rows``,
``num_unseen_test_rows``, ``unseen_test_rows_by_field``, ``auc_unseen`` / ``logloss_unseen`` and
the same for ``seen``).

Records are stored resumably as JSON Lines (``results/runs.jsonl``): :func:`append_record` writes
one line per run, flushed and fsync'ed, closing a torn last line first; :func:`read_records` skips
a torn line with a warning. A rerun skips keys already present, so a killed sweep loses at most
the run in flight. NaN/inf are stored as ``null``; ``RECORD_VERSION`` is part of every key.
Everything else of the floor (:mod:`bhlib.experiment.summary`, ``tables``, ``figures``) is
read from these records.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RECORD_VERSION", "to_json", "run_key", "read_records", "append_record",
           "finished_runs"]

RECORD_VERSION = 2  # part of every run key: a new version reruns nothing old by mistake


def to_json(x: Any) -> Any:
    """JSON-ready copy: tuples -> lists, numpy scalars -> Python, NaN/inf -> None.

    Example:
        >>> to_json({"a": (1, np.int64(2)), "b": float("nan")})
        {'a': [1, 2], 'b': None}
    """
    if isinstance(x, dict):
        return {str(k): to_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_json(v) for v in x]
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
    text = json.dumps(to_json(resolved), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_records(path: str | Path) -> list[dict]:
    """The records of ``runs.jsonl`` (none if it does not exist); a torn line is skipped with a
    warning.

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
            warnings.warn(f"{path}:{i} is not valid JSON (a run killed while writing?); ignored",
                          stacklevel=2)
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
        fh.write(("\n" if torn else "") + json.dumps(to_json(record), sort_keys=True) + "\n")
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

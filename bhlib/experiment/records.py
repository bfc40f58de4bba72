"""Run records: one JSON line per finished run of a sweep, written resumably.

A *run record* is one dict per finished run of a sweep: its ``key`` (:func:`run_key`, 16 hex digits
of the SHA-256 of the resolved configuration), ``dataset``, ``method``, ``target_ratio``, ``seed``,
``config``, ``status`` (``"ok"``, or ``"skipped"`` with the :class:`bhlib.BudgetError` text in
``reason``) and, for ``ok`` runs, the test AUC / logloss, achieved ratio, embedding sizes, training
curve, how each table was updated (``table_updates``: module name -> ``"dense"`` / ``"sparse"``,
:mod:`bhlib.optim`) and the scores on test rows with ids unseen in training (``unseen``:
``num_test_rows``, ``num_unseen_test_rows``, ``unseen_test_rows_by_field``, ``auc_unseen`` /
``logloss_unseen`` and the same for ``seen``).

Records are stored resumably as JSON Lines (``results/runs.jsonl``): :func:`append_record` writes
one line per run, flushed and fsync'ed, closing a torn last line first. A rerun skips keys already
present, so a killed sweep loses at most the run in flight. NaN/inf are stored as ``null``;
``RECORD_VERSION`` is part of every key.

Damage is handled in three ways. A *torn last line* (a sweep killed while writing) is moved to
``runs.jsonl.torn`` by :func:`repair_torn_tail`, which the next sweep calls once with the
folder's lock held. Any other line that is not valid JSON (in the middle of the file: one closed
by :func:`append_record` before this repair existed, or a hand edit) is kept in the file and
skipped by :func:`read_records` with a warning naming the file and line, on every read: it is
never deleted, only a person can tell what it was. *Duplicate records* (one key recorded twice,
say by two sweeps that ran at once before the lock existed) stay in the file;
:func:`unique_records` keeps one per key for the summary and warns.
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
           "repair_torn_tail", "unique_records", "finished_runs"]

# Part of every run key: a new version reruns nothing old by mistake. 3: the fused multi-lookup,
# fused Adam, and small tables updated by dense Adam instead of SparseAdam (bhlib.optim's rule,
# recorded per run in ``table_updates``); 2 trained every table with SparseAdam.
RECORD_VERSION = 3


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
    """The records of ``runs.jsonl`` (none if it does not exist), duplicates included; a line
    that is not valid JSON (torn) is skipped with a warning naming the file and line.

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


def _last_newline_end(fh: Any, size: int) -> int:
    """The offset just past the last ``\\n`` of the open binary file (0 if there is none)."""
    pos = size
    while pos > 0:
        start = max(0, pos - (1 << 16))
        fh.seek(start)
        i = fh.read(pos - start).rfind(b"\n")
        if i >= 0:
            return start + i + 1
        pos = start
    return 0


def repair_torn_tail(path: str | Path) -> int:
    """Move a torn last line of ``path`` (bytes after its last newline) to ``<path>.torn``.

    The torn bytes are appended to ``<path>.torn`` (with a newline) and fsync'ed before
    ``path`` is truncated to its last complete line. A last line that is a whole JSON object
    and only lacks its newline is a record: it gets the newline and stays. Returns how many
    bytes were moved (0: nothing to repair). Call it only while holding the folder's sweep lock
    (:func:`bhlib.experiment.lock.sweep_lock`): a live writer's line would look torn.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "runs.jsonl")
        >>> with open(p, "w") as fh:
        ...     _ = fh.write('{"key": "a"}\\n{"key": "b", "tru')
        >>> repair_torn_tail(p), read_records(p), open(p + ".torn").read()
        (17, [{'key': 'a'}], '{"key": "b", "tru\\n')
        >>> repair_torn_tail(p)
        0
    """
    path = Path(path)
    if not path.exists():
        return 0
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        keep = _last_newline_end(fh, size)
        if keep == size:
            return 0
        fh.seek(keep)
        tail = fh.read()
        try:
            whole = isinstance(json.loads(tail), dict)
        except ValueError:  # JSONDecodeError, or bytes that are not UTF-8
            whole = False
        if whole:
            fh.write(b"\n")
            fh.flush()
            os.fsync(fh.fileno())
            return 0
        with open(path.with_name(path.name + ".torn"), "ab") as torn:
            torn.write(tail + b"\n")
            torn.flush()
            os.fsync(torn.fileno())
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return len(tail)


def unique_records(records: Sequence[dict], *, source: str | Path = "the records") -> list[dict]:
    """One record per ``key``: the first ``"ok"`` one, else the first; records without a key are
    all kept. Warns once, naming ``source`` and the number of duplicates dropped.

    Example:
        >>> recs = [{"key": "a", "status": "ok", "test_auc": 0.7},
        ...         {"key": "a", "status": "ok", "test_auc": 0.8}, {"key": "b", "status": "ok"}]
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     [r.get("test_auc") for r in unique_records(recs, source="runs.jsonl")]
        [0.7, None]
        >>> str(caught[0].message)  # doctest: +ELLIPSIS
        'runs.jsonl holds 1 duplicate record (a key recorded before); ...'
    """
    chosen: dict[str, int] = {}  # key -> index in out
    out: list[dict] = []
    dropped = 0
    for r in records:
        key = r.get("key")
        if key is None:
            out.append(r)
        elif key not in chosen:
            chosen[key] = len(out)
            out.append(r)
        else:
            dropped += 1
            if out[chosen[key]].get("status") != "ok" and r.get("status") == "ok":
                out[chosen[key]] = r
    if dropped:
        warnings.warn(f"{source} holds {dropped} duplicate record{'s' * (dropped > 1)} (a key "
                      "recorded before); the summary keeps one per key, the first finished",
                      stacklevel=2)
    return out


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

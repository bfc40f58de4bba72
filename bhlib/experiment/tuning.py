"""Tuning, the same for every method: the learning rate picked from a small grid by validation
AUC on one seed, per dataset, method and target ratio, then used by the final seeds.

A reviewer of a comparison of Binary Code based Hash Embedding (Yan et al., CIKM 2021,
arXiv 2109.02471) with its rivals asks first whether every method was tuned alike: shared-row
schemes and full tables may want different rates. So every (dataset, method, target ratio) of a
sweep gets the same treatment **[ours]**: its runs on :data:`TUNING_SEED` (a seed the final
runs never use, so the choice is not scored on the runs that report) at each learning rate of
the grid, ``base lr x`` :data:`LR_FACTORS`; the rate with the best validation AUC wins (the
first of the grid on a tie), and the final runs train with it. Test scores play no part. Where
the best rate is the smallest or the largest of its grid, the grid of that combination grows one
step along :data:`LR_LADDER` and is scored again (:func:`widen`), until the best rate is inside
its grid or at the end of the ladder (``edge`` in :func:`tuned_frame`).

The choice is a *tuned table* (:func:`choose`): ``{dataset: {"fingerprint", "entries": [{method,
target_ratio, lr, valid_auc, grid}]}}``. The fingerprint (:func:`dataset_fingerprint`) is a hash
of everything the dataset's runs depend on but the learning rate, so a table tuned for one
version of a dataset is never applied to another (:func:`bhlib.experiment.config.plan_runs`
applies an entry only where the fingerprints agree). ``bhlib/experiment/tuned.json`` is the
committed table of ``make reproduce``, with the command and commit that produced it; the
``make run`` sweep uses it.
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._checks import check_int, check_number
from .records import run_key, to_json

__all__ = ["TUNED_PATH", "TUNING_SEED", "LR_FACTORS", "dataset_fingerprint", "grid_lrs",
           "LR_LADDER", "choose", "widen", "write_tuned", "load_tuned", "tuned_entry",
           "tuned_frame"]

TUNED_PATH = Path(__file__).with_name("tuned.json")  # the committed table (make reproduce)
TUNING_SEED = 100          # the seed of the tuning runs, never one of the final seeds
LR_FACTORS = (0.3, 1.0, 3.0)  # the grid: each dataset's base learning rate times these
LR_LADDER = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)  # the factors a grid may grow along


def dataset_fingerprint(spec: Any, config: Any) -> str:
    """16 hex digits naming what a dataset's runs depend on, the learning rate left out: the
    spec's source and options, its model and train overrides, and the sweep's shared model and
    train settings (``config``: an :class:`~bhlib.experiment.ExperimentConfig`).

    Example:
        >>> from bhlib.experiment import ExperimentConfig, DatasetSpec
        >>> a = DatasetSpec("s", "synthetic", options={"num_rows": 100}, train={"lr": 0.01})
        >>> b = DatasetSpec("s", "synthetic", options={"num_rows": 100}, train={"lr": 0.03})
        >>> c = DatasetSpec("s", "synthetic", options={"num_rows": 200}, train={"lr": 0.01})
        >>> cfg = ExperimentConfig()
        >>> fa, fb, fc = (dataset_fingerprint(x, cfg) for x in (a, b, c))
        >>> fa == fb != fc
        True
    """
    train = {k: v for k, v in {**dataclasses.asdict(config.train), **spec.train}.items()
             if k not in ("lr", "seed", "progress", "num_threads")}
    model = {k: v for k, v in {**dataclasses.asdict(config.model), **spec.model}.items()
             if k not in ("method", "ratio", "seed")}
    return run_key({"source": spec.source, "options": spec.options, "model": model,
                    "train": train, "baseline": config.baseline})


def grid_lrs(base_lr: float, factors: Sequence[float] = LR_FACTORS) -> tuple[float, ...]:
    """The learning rates of the grid around ``base_lr``, at 3 significant digits.

    Example:
        >>> grid_lrs(1e-2), grid_lrs(2e-3)
        ((0.003, 0.01, 0.03), (0.0006, 0.002, 0.006))
    """
    base = check_number(base_lr, "base_lr", low=0, low_open=True)
    out = []
    for i, f in enumerate(factors):
        f = check_number(f, f"factors[{i}]", low=0, low_open=True)
        out.append(float(f"{base * f:.3g}"))
    if len(set(out)) != len(out):
        raise ValueError(f"factors {tuple(factors)} give repeated learning rates {out}")
    return tuple(out)


def choose(records: Sequence[dict], fingerprints: Mapping[str, str]) -> dict:
    """The tuned table of a grid's finished runs: per dataset, method and target ratio the
    learning rate with the best validation AUC (``best_valid_auc``; the first of the grid on a
    tie) and the whole grid's scores. ``fingerprints``: dataset name -> its fingerprint.

    Example:
        >>> recs = [{"dataset": "d", "method": "hash", "target_ratio": 10.0, "status": "ok",
        ...          "config": {"train": {"lr": lr}}, "best_valid_auc": auc}
        ...         for lr, auc in ((0.003, 0.70), (0.01, 0.72), (0.03, 0.71))]
        >>> t = choose(recs, {"d": "abc"})
        >>> e = t["d"]["entries"][0]
        >>> e["lr"], e["valid_auc"], e["grid"]
        (0.01, 0.72, {'0.003': 0.7, '0.01': 0.72, '0.03': 0.71})
    """
    groups: dict[tuple, dict[float, float]] = {}
    for r in records:
        if r.get("status") != "ok":
            continue
        lr, auc = float(r["config"]["train"]["lr"]), float(r["best_valid_auc"])
        if not math.isfinite(auc):
            continue
        groups.setdefault((r["dataset"], r["method"], float(r["target_ratio"])), {})[lr] = auc
    table: dict[str, dict] = {}
    for (ds, method, ratio), scores in groups.items():
        if ds not in fingerprints:
            raise ValueError(f"no fingerprint for dataset {ds!r}; fingerprints has "
                             f"{sorted(fingerprints)}")
        best = max(sorted(scores), key=lambda lr: scores[lr])  # the smallest lr on a tie
        entry = {"method": method, "target_ratio": ratio, "lr": best,
                 "valid_auc": scores[best], "grid": {f"{lr:g}": scores[lr]
                                                     for lr in sorted(scores)}}
        table.setdefault(ds, {"fingerprint": fingerprints[ds], "entries": []})
        table[ds]["entries"].append(entry)
    for t in table.values():  # the order write_tuned keeps
        t["entries"].sort(key=_entry_order)
    return {ds: table[ds] for ds in sorted(table)}


def widen(table: Mapping, tried: Mapping[tuple, Mapping[float, float]],
          ladder: Sequence[float] = LR_LADDER) -> list[tuple]:
    """The next grid points of a tuned table: ``(dataset, method, target_ratio, factor)`` for
    each entry (of :func:`choose`) whose chosen rate is the rate of the smallest factor tried
    (then the next smaller factor of ``ladder``) or of the largest (the next larger one).
    ``tried`` maps ``(dataset, method, target_ratio)`` to ``{factor: learning rate}`` of the
    runs trained for it, finished or not: a rate whose run failed or scored NaN is never
    chosen, so the grid does not grow past it. None where the choice is inside its grid or at
    the ladder's end.

    Example:
        >>> t = {"d": {"fingerprint": "f", "entries": [
        ...     {"method": "qr", "target_ratio": 10.0, "lr": 0.003},
        ...     {"method": "hash", "target_ratio": 10.0, "lr": 0.01}]}}
        >>> rates = {0.3: 0.003, 1.0: 0.01, 3.0: 0.03}
        >>> tried = {("d", "qr", 10.0): rates, ("d", "hash", 10.0): rates}
        >>> widen(t, tried, ladder=(0.1, 0.3, 1.0, 3.0))  # qr chose 0.3x, hash 1x
        [('d', 'qr', 10.0, 0.1)]
    """
    ladder = sorted(ladder)
    out = []
    for ds, t in table.items():
        for e in t["entries"]:
            combo = (ds, e["method"], float(e["target_ratio"]))
            rates = tried.get(combo, {})
            if len(rates) < 2:
                continue
            low, high = min(rates), max(rates)
            if e["lr"] == rates[low] and ladder[0] < low:
                out.append((*combo, max(f for f in ladder if f < low)))
            elif e["lr"] == rates[high] and ladder[-1] > high:
                out.append((*combo, min(f for f in ladder if f > high)))
    return out


def _entry_order(entry: dict) -> tuple:
    return entry["method"], entry["target_ratio"]


def write_tuned(path: str | Path, table: dict, *, command: str, commit: str,
                seed: int = TUNING_SEED, factors: Sequence[float] = LR_FACTORS,
                ladder: Sequence[float] = LR_LADDER) -> Path:
    """Write a tuned table as JSON with how it was made (the command, the commit, the seed, the
    first grid and the ladder it may grow along), datasets and entries in a stable order.
    Returns the path.

    Example:
        >>> import tempfile
        >>> p = write_tuned(Path(tempfile.mkdtemp()) / "t.json", {}, command="make reproduce",
        ...                 commit="abc1234")
        >>> load_tuned(p)
        {}
    """
    check_int(seed, "seed", low=0)
    doc = {"made_by": {"command": command, "commit": commit, "seed": seed,
                       "lr_factors": list(factors), "lr_ladder": list(ladder),
                       "chosen_by": "best_valid_auc"},
           "datasets": {ds: {"fingerprint": t["fingerprint"],
                             "entries": sorted(t["entries"], key=_entry_order)}
                        for ds, t in sorted(table.items())}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(doc), indent=1) + "\n")
    return path


def load_tuned(path: str | Path = TUNED_PATH) -> dict:
    """The tuned table of a file written by :func:`write_tuned` (``{}`` if it holds none).

    Raises ``ValueError`` naming the file when it is not such a table.

    Example:
        >>> sorted(load_tuned())  # the committed table: the datasets of make reproduce
        ... # doctest: +SKIP
        ['movielens', 'movielens-time', 'synthetic', 'synthetic-10m']
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
        table = doc["datasets"]
        for ds, t in table.items():
            if not isinstance(t["fingerprint"], str):
                raise TypeError(f"fingerprint of {ds!r}")
            for e in t["entries"]:
                check_number(e["lr"], "lr", low=0, low_open=True)
                e["target_ratio"] = float(e["target_ratio"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a tuned table (bhlib.experiment.tuning.write_tuned "
                         f"writes one): {type(err).__name__}: {err}") from None
    return table


def tuned_entry(table: Mapping | None, dataset: str, fingerprint: str, method: str,
                target_ratio: float) -> dict | None:
    """The tuned entry of one run's (dataset, method, target ratio), or None: no table, the
    dataset not in it, tuned for another version of the dataset (fingerprints differ), or the
    combination not tuned.

    Example:
        >>> t = {"d": {"fingerprint": "f", "entries": [{"method": "qr", "target_ratio": 10.0,
        ...                                             "lr": 0.03}]}}
        >>> tuned_entry(t, "d", "f", "qr", 10)["lr"], tuned_entry(t, "d", "g", "qr", 10)
        (0.03, None)
    """
    got = (table or {}).get(dataset)
    if not got or got["fingerprint"] != fingerprint:
        return None
    return next((e for e in got["entries"] if e["method"] == method
                 and float(e["target_ratio"]) == float(target_ratio)), None)


def tuned_frame(table: Mapping, base_lrs: Mapping[str, float] | None = None) -> pd.DataFrame:
    """A tuned table as a DataFrame, one row per dataset, method and target ratio: the chosen
    ``lr``, ``valid_auc``, one ``valid_auc@<lr>`` column per rate of its grid (NaN where the grid
    did not hold that rate), ``grid_size``, and ``edge``: True where the choice is the smallest
    or largest rate of its grid (a wider grid might have found a better one). With
    ``base_lrs`` (dataset -> its base learning rate) also ``factor``, the choice over the base.

    Example:
        >>> t = {"d": {"fingerprint": "f", "entries": [{"method": "qr", "target_ratio": 10.0,
        ...       "lr": 0.03, "valid_auc": 0.72, "grid": {"0.003": 0.7, "0.01": 0.71,
        ...                                               "0.03": 0.72}}]}}
        >>> f = tuned_frame(t, base_lrs={"d": 0.01})
        >>> f[["method", "lr", "factor", "grid_size", "edge"]].to_dict("records")
        [{'method': 'qr', 'lr': 0.03, 'factor': 3.0, 'grid_size': 3, 'edge': True}]
    """
    rows = []
    for ds, t in table.items():
        for e in t["entries"]:
            grid = sorted(float(lr) for lr in e["grid"])
            row = {"dataset": ds, "method": e["method"], "target_ratio": float(e["target_ratio"]),
                   "lr": e["lr"], "valid_auc": e["valid_auc"], "grid_size": len(grid),
                   "edge": len(grid) > 1 and e["lr"] in (grid[0], grid[-1])}
            if base_lrs is not None:
                if ds not in base_lrs:
                    raise ValueError(f"base_lrs has no rate for dataset {ds!r}; it has "
                                     f"{sorted(base_lrs)}")
                row["factor"] = float(f"{e['lr'] / base_lrs[ds]:.3g}")
            row.update({f"valid_auc@{lr:g}": e["grid"][k] for lr, k in
                        sorted((float(k), k) for k in e["grid"])})
            rows.append(row)
    frame = pd.DataFrame(rows)
    scores = sorted((c for c in frame if c.startswith("valid_auc@")),
                    key=lambda c: float(c.split("@")[1]))
    return frame[[c for c in frame if c not in scores] + scores]

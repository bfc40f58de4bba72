"""Intervals over seeds and paired comparisons, for judging a sweep of Binary Code based Hash
Embedding (Yan et al., CIKM 2021, arXiv 2109.02471) against its rivals.

Every run of a sweep is repeated over seeds; a seed fixes the model's initialization *and* the
order of the training rows, the same for every method (:mod:`bhlib.train`). So two methods' runs
with the same seed are a pair: they saw the same batches in the same order, and the difference of
their scores, seed by seed, cancels the part of the noise the data order causes. A paired
interval is then narrower than the two methods' own intervals suggest.

The intervals are Student's t intervals over the seeds (``n - 1`` degrees of freedom, the
quantile from :func:`scipy.stats.t.ppf`): ``mean ± t * s / sqrt(n)``. With 3 or 5 seeds they are
wide (``t = 4.30`` and ``2.78`` at 95%), which is the honest price of few seeds.

Per-seed scores travel in the summary as JSON text (``auc_by_seed``: ``{"0": 0.78, ...}``), so
``summary.csv`` read back holds everything a paired comparison needs.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from scipy import stats as _scipy_stats

from .._checks import check_number

__all__ = ["LEVEL", "t_interval", "by_seed_json", "read_by_seed", "paired_difference"]

LEVEL = 0.95  # the intervals' confidence level


def _level(level: float) -> float:
    return check_number(level, "level", low=0, high=1, low_open=True, high_open=True)


def t_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float]:
    """Mean and half-width of the Student's t interval over ``values`` (NaN values dropped);
    the half-width is NaN for fewer than two values.

    Example:
        >>> mean, half = t_interval([0.70, 0.72, 0.74])
        >>> round(mean, 4), round(half, 4)  # t(0.975, 2) = 4.303, s = 0.02
        (0.72, 0.0497)
        >>> t_interval([0.7])
        (0.7, nan)
    """
    level = _level(level)
    v = [float(x) for x in values if not math.isnan(float(x))]
    if not v:
        return math.nan, math.nan
    mean = math.fsum(v) / len(v)
    if len(v) < 2:
        return mean, math.nan
    s = math.sqrt(math.fsum((x - mean) ** 2 for x in v) / (len(v) - 1))
    return mean, float(_scipy_stats.t.ppf(0.5 + level / 2, len(v) - 1)) * s / math.sqrt(len(v))


def by_seed_json(seeds: Sequence[int], values: Sequence[float]) -> str:
    """Per-seed scores as JSON text (a summary cell that survives CSV), seeds in order.

    Example:
        >>> by_seed_json([1, 0], [0.75, 0.7])
        '{"0": 0.7, "1": 0.75}'
    """
    pairs = sorted(zip((int(s) for s in seeds), (float(v) for v in values), strict=True))
    if len({s for s, _ in pairs}) != len(pairs):
        raise ValueError(f"seeds must be distinct, got {sorted(s for s, _ in pairs)}")
    return json.dumps({str(s): v for s, v in pairs})


def read_by_seed(cell: object) -> dict[int, float]:
    """The ``{seed: score}`` of a summary's ``*_by_seed`` cell (a dict, JSON text, or empty/NaN).

    Example:
        >>> read_by_seed('{"0": 0.7, "2": 0.71}'), read_by_seed(float("nan"))
        ({0: 0.7, 2: 0.71}, {})
    """
    if isinstance(cell, Mapping):
        raw = cell
    elif isinstance(cell, str) and cell.strip():
        try:
            raw = json.loads(cell)
        except json.JSONDecodeError as err:
            raise ValueError(f"a *_by_seed cell must be JSON like '{{\"0\": 0.7}}', got "
                             f"{cell[:60]!r}: {err}") from None
    elif cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell == "":
        return {}
    else:
        raise TypeError(f"a *_by_seed cell must be JSON text or a dict, got "
                        f"{type(cell).__name__}: {cell!r}")
    return {int(s): float(v) for s, v in raw.items()}


def paired_difference(a: Mapping[int, float], b: Mapping[int, float],
                      level: float = LEVEL) -> dict:
    """``a - b`` seed by seed over the seeds both have: the mean difference, its t interval
    (``low``, ``high``) and the seeds used (``n``; the interval is NaN below 2).

    Example:
        >>> d = paired_difference({0: 0.80, 1: 0.82, 2: 0.81}, {0: 0.79, 1: 0.80, 2: 0.80, 3: 0.7})
        >>> round(d["mean"], 4), round(d["low"], 4), round(d["high"], 4), d["n"]  # 3 seeds: wide
        (0.0133, -0.001, 0.0277, 3)
    """
    seeds = sorted(set(a) & set(b))
    mean, half = t_interval([a[s] - b[s] for s in seeds], level)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": len(seeds),
            "seeds": seeds}

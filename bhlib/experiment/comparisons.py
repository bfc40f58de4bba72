"""Paired comparisons read from a summary: BH against the best other method at each size, and the
ablations that separate BH's fusion from its indexing.

For Binary Code based Hash Embedding (Yan et al., CIKM 2021, arXiv 2109.02471) and its rivals.
Two runs with the same seed saw the same initialization seed and the same order of training rows
(:mod:`bhlib.experiment.stats`), so methods are compared seed by seed: the difference of their
test scores over the seeds both have, with its 95% t interval. Everything comes from the
summary's ``*_by_seed`` cells (:func:`bhlib.experiment.summarize`); nothing is trained.
"""
from __future__ import annotations

import math

import pandas as pd

from .._checks import check_choice
from ..display import markdown_table
from ..embeddings import METHODS
from .stats import LEVEL, paired_difference, read_by_seed, t_interval

__all__ = ["BH_METHODS", "ABLATIONS", "best_of", "rivals_of", "pair", "interval_text",
           "paired_table", "ablation_table", "ablation_markdown"]

BH_METHODS = ("bh-succession", "bh-skip")  # the paper's BH; the other bh-* are ablations
# (question, a, b): what a - b answers, at equal target ratio [ours]
ABLATIONS = (
    ("fusion, on BH's indices: product - sum", "bh-product", "bh-succession"),
    ("fusion, on Q-R's indices: sum - product", "qr-add", "qr"),
    ("indexing, both with product: BH - Q-R", "bh-product", "qr"),
    ("indexing, both with sum: BH - Q-R", "bh-succession", "qr-add"),
    ("fusion, on BH's indices: concat - sum", "bh-concat", "bh-succession"),
    ("top block sized to the ids: mixed - plain", "bh-mixed", "bh-succession"),
)
_NOT_RIVALS = ("bh-shared", "bh-product", "bh-concat", "bh-mixed", "qr-add")


def _ran(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["num_seeds"].fillna(0) > 0]


def best_of(runs: pd.DataFrame, methods, measure: str = "auc") -> pd.Series | None:
    """The row of ``methods`` with the best mean (highest AUC, lowest logloss) among the rows
    that ran, or None.

    Example:
        >>> runs = pd.DataFrame({"method": ["bh-succession", "bh-skip"], "num_seeds": [3, 3],
        ...                      "auc_mean": [0.78, 0.79]})
        >>> best_of(runs, BH_METHODS)["method"]
        'bh-skip'
    """
    got = _ran(runs)
    got = got[got["method"].isin(list(methods))]
    if got.empty:
        return None
    sign = 1 if measure == "auc" else -1
    return got.loc[(sign * got[f"{measure}_mean"]).idxmax()]


def rivals_of(methods, baseline: str = "full") -> list[str]:
    """The methods BH is judged against: all but the baseline, BH's variants and the ablations.

    Example:
        >>> rivals_of(["full", "hash", "qr", "bh-succession", "bh-product", "qr-add"])
        ['hash', 'qr']
    """
    return [m for m in dict.fromkeys(methods)
            if m != baseline and m not in BH_METHODS and m not in _NOT_RIVALS]


def pair(a: pd.Series, b: pd.Series, measure: str = "auc", *, scale: float = 1.0,
         level: float = LEVEL) -> dict:
    """``a - scale * b`` of a measure, seed by seed (:func:`bhlib.experiment.stats
    .paired_difference` on the rows' ``<measure>_by_seed`` cells).

    Example:
        >>> a = pd.Series({"auc_by_seed": '{"0": 0.80, "1": 0.81}'})
        >>> b = pd.Series({"auc_by_seed": '{"0": 0.79, "1": 0.805}'})
        >>> round(pair(a, b)["mean"], 4), pair(a, b)["n"]
        (0.0075, 2)
    """
    col = f"{measure}_by_seed"
    if col not in a or col not in b:
        raise ValueError(f"the summary has no {col!r} column: summarize() of this version "
                         f"writes it (re-run python -m bhlib.experiment to rewrite summary.csv)")
    left, right = read_by_seed(a[col]), read_by_seed(b[col])
    return paired_difference(left, {s: scale * v for s, v in right.items()}, level)


def _interval(row: pd.Series, measure: str, level: float) -> float:
    return t_interval(list(read_by_seed(row[f"{measure}_by_seed"]).values()), level)[1]


def _check(summary: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a pandas DataFrame (bhlib.experiment.summarize), got "
                        f"{type(summary).__name__}")
    need = ["dataset", "method", "target_ratio", "num_seeds", "achieved_ratio", "auc_mean",
            "auc_by_seed"]
    missing = [c for c in need if c not in summary]
    if missing:
        raise ValueError(f"summary lacks the columns {missing} (bhlib.experiment.summarize "
                         f"writes them); it has {list(summary.columns)}")
    return summary


def paired_table(summary: pd.DataFrame, *, baseline: str = "full",
                 level: float = LEVEL) -> pd.DataFrame:
    """For each dataset and target ratio: BH (the better of Succession and Skip by mean AUC)
    against the best other method there (by mean AUC, among :func:`rivals_of`), the AUC
    difference seed by seed and its ``level`` interval (``low``, ``high``; ``num_pairs`` seeds).

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "qr", "bh-succession"],
        ...     "target_ratio": [1.0, 10.0, 10.0], "num_seeds": 3, "achieved_ratio": [1, 10, 12],
        ...     "auc_mean": [0.8, 0.78, 0.79], "auc_by_seed": ['{"0": 0.8}',
        ...         '{"0": 0.78, "1": 0.779, "2": 0.781}', '{"0": 0.79, "1": 0.788, "2": 0.792}']})
        >>> t = paired_table(s)
        >>> t[["bh_method", "other_method", "num_pairs"]].values.tolist()
        [['bh-succession', 'qr', 3]]
        >>> round(float(t["difference"].iloc[0]), 4), bool(t["low"].iloc[0] > 0)
        (0.01, True)
    """
    check_choice(baseline, "baseline", METHODS)
    s = _check(summary)
    rows = []
    for ds in dict.fromkeys(s["dataset"]):
        d = s[s["dataset"] == ds]
        rivals = rivals_of(d["method"], baseline)
        for ratio in sorted(set(d.loc[d["method"] != baseline, "target_ratio"])):
            runs = d[d["target_ratio"] == ratio]
            bh, other = best_of(runs, BH_METHODS), best_of(runs, rivals)
            if bh is None or other is None:
                continue
            p = pair(bh, other, level=level)
            rows.append({"dataset": ds, "target_ratio": ratio, "bh_method": bh["method"],
                         "bh_ratio": bh["achieved_ratio"], "bh_auc": bh["auc_mean"],
                         "bh_ci95": _interval(bh, "auc", level), "other_method": other["method"],
                         "other_ratio": other["achieved_ratio"], "other_auc": other["auc_mean"],
                         "other_ci95": _interval(other, "auc", level),
                         "difference": p["mean"], "low": p["low"], "high": p["high"],
                         "num_pairs": p["n"]})
    return pd.DataFrame(rows, columns=["dataset", "target_ratio", "bh_method", "bh_ratio",
                                       "bh_auc", "bh_ci95", "other_method", "other_ratio",
                                       "other_auc", "other_ci95", "difference", "low", "high",
                                       "num_pairs"])


def ablation_table(summary: pd.DataFrame, *, level: float = LEVEL) -> pd.DataFrame:
    """Each ablation of :data:`ABLATIONS` at each dataset and target ratio where both of its
    methods ran: their achieved ratios and mean AUCs, and ``a - b`` seed by seed with its
    interval. Read together: if BH's gap to Q-R is the same with both fusions ("indexing" rows)
    the gap is the indices'; if it follows the fusion ("fusion" rows), it is the fusion's.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["qr", "bh-product"],
        ...     "target_ratio": [10.0, 10.0], "num_seeds": 2, "achieved_ratio": [10.0, 12.0],
        ...     "auc_mean": [0.78, 0.781], "auc_by_seed": ['{"0": 0.78, "1": 0.78}',
        ...                                           '{"0": 0.782, "1": 0.780}']})
        >>> t = ablation_table(s)
        >>> t[["question", "a", "b", "num_pairs"]].values.tolist()
        [['indexing, both with product: BH - Q-R', 'bh-product', 'qr', 2]]
    """
    s = _check(summary)
    rows = []
    for ds in dict.fromkeys(s["dataset"]):
        d = _ran(s[s["dataset"] == ds])
        for ratio in sorted(set(d["target_ratio"])):
            runs = d[d["target_ratio"] == ratio].set_index("method")
            for question, a, b in ABLATIONS:
                if a not in runs.index or b not in runs.index:
                    continue
                p = pair(runs.loc[a], runs.loc[b], level=level)
                rows.append({"dataset": ds, "target_ratio": ratio, "question": question,
                             "a": a, "b": b, "a_ratio": runs.loc[a, "achieved_ratio"],
                             "b_ratio": runs.loc[b, "achieved_ratio"],
                             "a_auc": runs.loc[a, "auc_mean"], "b_auc": runs.loc[b, "auc_mean"],
                             "difference": p["mean"], "low": p["low"], "high": p["high"],
                             "num_pairs": p["n"]})
    return pd.DataFrame(rows, columns=["dataset", "target_ratio", "question", "a", "b",
                                       "a_ratio", "b_ratio", "a_auc", "b_auc", "difference",
                                       "low", "high", "num_pairs"])


def interval_text(p: dict, digits: int = 4) -> str:
    """A paired difference as ``+0.0100 [+0.0057, +0.0143], 3 seeds`` (no interval below 2).

    Example:
        >>> interval_text({"mean": 0.01, "low": 0.0057, "high": 0.0143, "n": 3})
        '+0.0100 [+0.0057, +0.0143], 3 seeds'
    """
    if p["n"] < 2 or not math.isfinite(p["low"]):
        return f"{p['mean']:+.{digits}f}, {p['n']} seed{'s' * (p['n'] != 1)} (no interval)"
    lo, hi = f"{p['low']:+.{digits}f}", f"{p['high']:+.{digits}f}"
    return f"{p['mean']:+.{digits}f} [{lo}, {hi}], {p['n']} seeds"


def ablation_markdown(table: pd.DataFrame) -> str:
    """An :func:`ablation_table` as a Markdown table, grouped by question (written once per
    group): each side's mean AUC and achieved ratio, ``a - b`` seed by seed with its interval,
    and the reading: ``a better`` or ``b better`` when the interval excludes 0, otherwise
    ``no difference shown`` (the README's ablation table is this text).

    Example:
        >>> t = pd.DataFrame({"dataset": "d", "target_ratio": [10.0], "question": ["q"],
        ...     "a": ["bh-product"], "b": ["qr"], "a_ratio": [12.0], "b_ratio": [10.0],
        ...     "a_auc": [0.781], "b_auc": [0.78], "difference": [0.001], "low": [0.0004],
        ...     "high": [0.0016], "num_pairs": [5]})
        >>> print(ablation_markdown(t))  # doctest: +NORMALIZE_WHITESPACE
        | ablation (a - b) | dataset | target ratio | a | b | a - b, paired | reading |
        |---|---|---:|---|---|---|---|
        | q | d | 10x | bh-product 0.7810 (12.0x) | qr 0.7800 (10.0x) |
          +0.0010 [+0.0004, +0.0016], 5 seeds | **bh-product better** |
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame (ablation_table), got "
                        f"{type(table).__name__}")
    need = ["dataset", "target_ratio", "question", "a", "b", "a_ratio", "b_ratio", "a_auc",
            "b_auc", "difference", "low", "high", "num_pairs"]
    missing = [c for c in need if c not in table]
    if missing:
        raise ValueError(f"table lacks the columns {missing} (ablation_table writes them)")
    order = list(dict.fromkeys(table["question"]))
    sorted_rows = table.assign(_q=table["question"].map(order.index)).sort_values(
        ["_q", "dataset", "target_ratio"], kind="stable")
    rows = []
    for r in sorted_rows.itertuples(index=False):
        p = {"mean": r.difference, "low": r.low, "high": r.high, "n": int(r.num_pairs)}
        reading = (f"**{r.a} better**" if r.low > 0 else f"**{r.b} better**" if r.high < 0
                   else "no difference shown")
        rows.append([r.question, r.dataset, f"{r.target_ratio:g}x",
                     f"{r.a} {r.a_auc:.4f} ({r.a_ratio:,.1f}x)",
                     f"{r.b} {r.b_auc:.4f} ({r.b_ratio:,.1f}x)", interval_text(p), reading])
    return markdown_table(["ablation (a - b)", "dataset", "target ratio", "a", "b",
                           "a - b, paired", "reading"], rows, right=(2,), group=0)

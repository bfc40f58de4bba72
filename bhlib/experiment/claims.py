"""The paper's claims, judged from a sweep's summary: held, not held, inconclusive, or not tested.

Yan et al. (*Binary Code based Hash Embedding for Web-scale Applications*, CIKM 2021,
arXiv 2109.02471) report that BH has the best AUC at every size against Full, Hash, Multi-Hash
and Q-R, keeps about 99% of the full embedding's performance with tables about 1000x smaller,
that Succession and Skip do about equally well, and that BH converges faster to a lower loss.
:func:`claims_table` turns a summary (:func:`bhlib.experiment.summarize`, ``summary.csv``) into
one verdict per claim, dataset and target ratio, with the numbers it rests on: paired
differences seed by seed and their 95% t intervals (:mod:`bhlib.experiment.comparisons`);
:func:`claims_markdown` renders it (the README's table and notebook 05's are this text).
Pure: every number comes from the summary, nothing is trained or written.
"""
from __future__ import annotations

import math

import pandas as pd

from .._checks import check_choice, check_number
from ..display import format_mean_std, markdown_table
from ..embeddings import METHODS
from .comparisons import BH_METHODS, best_of, interval_text, pair, rivals_of
from .stats import LEVEL

__all__ = ["CLAIMS", "VERDICTS", "claims_table", "claims_markdown"]

# claim key -> the claim in words, in the order of the table
CLAIMS = {
    "best": "BH has the best AUC among compressed methods at every size",
    "retained": "BH keeps >= 99% of the full AUC at >= 1000x",
    "merging": "BH beats hash-mod and multi-hash (which merge ids) at equal size",
    "strategies": "Succession ≈ Skip",
    "loss": "BH reaches a lower loss (test logloss; speed is not judged)",
}
VERDICTS = ("held", "not held", "inconclusive", "not tested")
MERGING = ("hash", "multi_hash")            # schemes that let distinct ids share every row
COLUMNS = ["claim", "dataset", "target_ratio", "verdict", "evidence"]
_NEEDED = ("dataset", "method", "target_ratio", "num_seeds", "achieved_ratio", "auc_mean",
           "auc_std", "logloss_mean", "logloss_std", "auc_by_seed", "logloss_by_seed")


def _x(ratio: float) -> str:
    return f"{ratio:,.1f}x"


def _row(claim: str, dataset: str, ratio: float, verdict: str, evidence: str) -> dict:
    return {"claim": CLAIMS[claim], "dataset": dataset, "target_ratio": ratio,
            "verdict": verdict, "evidence": evidence}


def _show(r: pd.Series, measure: str = "auc") -> str:
    return (f"{r['method']} {format_mean_std(r[f'{measure}_mean'], r[f'{measure}_std'])} "
            f"({_x(r['achieved_ratio'])})")


def _side(p: dict) -> int:
    """+1 when the whole interval is above 0, -1 when below, 0 when it holds 0 (or is NaN)."""
    return 1 if p["low"] > 0 else (-1 if p["high"] < 0 else 0)


def _versus(claim: str, ds: str, ratio: float, runs: pd.DataFrame, rivals: list[str],
            measure: str, level: float) -> dict:
    """BH's best variant against every rival that reached the ratio (claims best, merging, loss)."""
    sign = 1 if measure == "auc" else -1  # AUC: higher is better; logloss: lower is better
    ran = runs[runs["num_seeds"] > 0]
    rival = ran[ran["method"].isin(rivals)]
    missing = [m for m in rivals if m in set(runs["method"]) and m not in set(rival["method"])]
    gone = f"; not reached: {', '.join(missing)}" if missing else ""
    bh = best_of(runs, BH_METHODS, measure)
    if bh is None or rival.empty:
        who = "BH" if bh is None else f"a rival ({', '.join(rivals)})"
        return _row(claim, ds, ratio, "not tested", f"no finished run of {who} here{gone}")
    pairs = [(pair(bh, r, measure, level=level), r) for _, r in rival.iterrows()]
    few = [r["method"] for p, r in pairs if p["n"] < 2]
    if few:
        return _row(claim, ds, ratio, "not tested",
                    f"fewer than 2 seeds shared by {bh['method']} and {', '.join(few)}")
    sides = [sign * _side(p) for p, _ in pairs]  # +1: BH surely better than that rival
    verdict = ("not held" if -1 in sides else "held" if all(x == 1 for x in sides)
               else "inconclusive")
    best, label = best_of(rival, rivals, measure), "the best rival"  # by its mean
    lost_to = [r["method"] for (_, r), x in zip(pairs, sides, strict=True) if x == -1]
    if lost_to and best["method"] not in lost_to:  # show a rival that decides the verdict
        best, label = best_of(rival, lost_to, measure), "the rival it surely loses to"
    p = next(p for p, r in pairs if r["method"] == best["method"])
    name = "AUC" if measure == "auc" else "logloss (lower is better)"
    extra = ""
    if measure == "logloss" and "best_epoch" in runs:
        extra = f"; best epoch {bh['best_epoch']:.1f} vs {best['best_epoch']:.1f}"
    beaten = sum(x == 1 for x in sides)
    return _row(claim, ds, ratio, verdict,
                f"{name} {_show(bh, measure)} vs {label} {_show(best, measure)}: paired "
                f"{interval_text(p)}; surely {'better' if sign > 0 else 'lower'} than "
                f"{beaten} of {len(pairs)} rival{'s' * (len(pairs) > 1)}{gone}{extra}")


def _retained(ds: str, d: pd.DataFrame, baseline: str, level: float) -> list[dict]:
    """Claim retained: BH's best variant against 99% of the baseline's AUC, per ratio >= 1000."""
    compressed = d[d["method"] != baseline]
    big = sorted(r for r in set(compressed["target_ratio"]) if r >= 1000)
    if not big:
        top = compressed["target_ratio"].max() if len(compressed) else math.nan
        return [_row("retained", ds, math.nan, "not tested",
                     f"no target ratio >= 1000x here (the largest is {top:g}x)")]
    full = d[(d["method"] == baseline) & (d["num_seeds"] > 0)]
    rows = []
    for ratio in big:
        bh = best_of(d[d["target_ratio"] == ratio], BH_METHODS)
        if bh is None or full.empty:
            who = "BH" if bh is None else f"the baseline {baseline!r}"
            rows.append(_row("retained", ds, ratio, "not tested", f"no finished run of {who}"))
            continue
        ref = full.iloc[0]
        p = pair(bh, ref, scale=0.99, level=level)
        if p["n"] < 2:
            rows.append(_row("retained", ds, ratio, "not tested",
                             f"fewer than 2 seeds shared by {bh['method']} and {baseline}"))
            continue
        verdict = {1: "held", -1: "not held", 0: "inconclusive"}[_side(p)]
        kept = bh["auc_mean"] / ref["auc_mean"]
        lift = (bh["auc_mean"] - 0.5) / (ref["auc_mean"] - 0.5)
        rows.append(_row("retained", ds, ratio, verdict,
                         f"{bh['method']} at {_x(bh['achieved_ratio'])} keeps {kept:.1%} of "
                         f"{baseline}'s AUC ({format_mean_std(bh['auc_mean'], bh['auc_std'])}"
                         f" vs {format_mean_std(ref['auc_mean'], ref['auc_std'])}; lift "
                         f"{lift:.1%}); BH - 0.99 x {baseline}, paired: {interval_text(p)}"))
    return rows


def _strategies(ds: str, ratio: float, runs: pd.DataFrame, margin: float,
                level: float) -> dict:
    """Claim strategies: Succession against Skip, when both ran at sizes within 2x."""
    got = {m: runs[(runs["method"] == m) & (runs["num_seeds"] > 0)] for m in BH_METHODS}
    if any(g.empty for g in got.values()):
        lost = [m for m, g in got.items() if g.empty]
        return _row("strategies", ds, ratio, "not tested", f"no finished run of {lost[0]}")
    succ, skip = (got[m].iloc[0] for m in BH_METHODS)
    sizes = sorted((succ["achieved_ratio"], skip["achieved_ratio"]))
    shown = f"AUC {_show(succ)} vs {_show(skip)}"
    if sizes[1] > 2 * sizes[0]:
        return _row("strategies", ds, ratio, "not tested",
                    f"sizes more than 2x apart: {shown}")
    p = pair(succ, skip, level=level)
    if p["n"] < 2:
        return _row("strategies", ds, ratio, "not tested", "fewer than 2 seeds shared")
    verdict = ("held" if -margin <= p["low"] and p["high"] <= margin
               else "not held" if p["low"] > margin or p["high"] < -margin else "inconclusive")
    return _row("strategies", ds, ratio, verdict,
                f"{shown}: succession - skip, paired: {interval_text(p)} (equal within "
                f"±{margin:g})")


def claims_table(summary: pd.DataFrame, *, baseline: str = "full", level: float = LEVEL,
                 margin: float = 0.002) -> pd.DataFrame:
    """The paper's claims, one row per claim x dataset (x target ratio), judged from a summary.

    Columns ``claim`` (in words), ``dataset``, ``target_ratio`` (NaN where none applies),
    ``verdict`` (one of :data:`VERDICTS`) and ``evidence`` (the numbers, from the summary).

    The rules **[ours]**. *BH* is the better of ``bh-succession`` and ``bh-skip`` by mean AUC at
    a target ratio (the ablations are neither BH nor rivals); its *rivals* are the other
    compared methods of the summary (hash, multi-hash, Q-R; not ``baseline``). A method
    *reached* a target ratio when it has a finished run there (``num_seeds > 0``). Methods are
    compared at the same target ratio (the achieved ratios are shown: BH's steps of ~2x often
    leave it the smaller table) and **seed by seed**: the same seed gives every method the
    same data order, so the difference of two methods' test scores over the seeds they share
    has a ``level`` (95%) t interval (:func:`bhlib.experiment.comparisons.pair`). A comparison
    needs 2 shared seeds, else ``not tested``.

    1. *BH has the best AUC at every size*, per dataset and ratio: ``held`` if the interval of
       BH - rival lies above 0 for every rival, ``not held`` if it lies below 0 for some rival,
       otherwise ``inconclusive``. The evidence shows the rival with the best mean AUC, or,
       when BH is not surely worse than that one, the best of the rivals it surely loses to.
    2. *BH keeps >= 99% of the full AUC at ~1000x*, per dataset and ratio >= 1000: the interval
       of BH - 0.99 x baseline, paired: ``held`` above 0, ``not held`` below, else
       ``inconclusive``; ``not tested`` (one row, no ratio) without a ratio >= 1000.
    3. *BH beats hash-mod and multi-hash at equal size*: rule 1 against those two only.
    4. *Succession ≈ Skip*: an equivalence test with ``margin``: ``held`` if the interval of
       Succession - Skip lies within ``±margin`` AUC, ``not held`` if it lies wholly beyond
       it, else ``inconclusive``; ``not tested`` where their achieved ratios are over 2x apart.
    5. *BH converges to a lower loss*: rule 1 on the test logloss (lower is better), BH being
       its variant with the lower mean logloss. The summary holds no training curves, so speed
       is not judged; the epoch of the best validation AUC is shown.

    Args:
        summary: :func:`bhlib.experiment.summarize` output (or ``summary.csv`` read back).
        baseline: the full-table method that retention is measured against.
        level: the intervals' confidence level.
        margin: the AUC gap within which Succession and Skip count as equal.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash", "bh-succession"],
        ...     "target_ratio": [1.0, 10.0, 10.0], "num_seeds": 3,
        ...     "achieved_ratio": [1.0, 10.0, 12.0], "auc_mean": [0.80, 0.75, 0.78],
        ...     "auc_std": 0.001, "logloss_mean": [0.50, 0.55, 0.52], "logloss_std": 0.001,
        ...     "auc_by_seed": ['{"0": 0.80, "1": 0.80}', '{"0": 0.750, "1": 0.751}',
        ...                     '{"0": 0.780, "1": 0.780}'],
        ...     "logloss_by_seed": ['{"0": 0.50, "1": 0.50}', '{"0": 0.550, "1": 0.551}',
        ...                         '{"0": 0.520, "1": 0.521}']})
        >>> claims_table(s)[["target_ratio", "verdict"]].values.tolist()
        [[10.0, 'held'], [nan, 'not tested'], [10.0, 'held'], [10.0, 'not tested'], [10.0, 'held']]
    """
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a pandas DataFrame (bhlib.experiment.summarize), got "
                        f"{type(summary).__name__}")
    check_choice(baseline, "baseline", METHODS)
    level = check_number(level, "level", low=0, high=1, low_open=True, high_open=True)
    margin = check_number(margin, "margin", low=0)
    if summary.empty:
        return pd.DataFrame(columns=COLUMNS)
    missing = [c for c in _NEEDED if c not in summary]
    if missing:
        raise ValueError(f"summary lacks the columns {missing} (bhlib.experiment.summarize "
                         f"writes them); it has {list(summary.columns)}")
    keys = summary[["dataset", "method", "target_ratio"]]
    if keys.duplicated().any():
        raise ValueError(f"summary must hold one row per dataset x method x target ratio; "
                         f"repeated: {keys[keys.duplicated()].values.tolist()}")
    s = summary.assign(num_seeds=summary["num_seeds"].fillna(0))
    found = {c: [] for c in CLAIMS}
    for ds in dict.fromkeys(s["dataset"]):
        d = s[s["dataset"] == ds]
        rivals = rivals_of(d["method"], baseline)
        found["retained"] += _retained(ds, d, baseline, level)
        for ratio in sorted(set(d.loc[d["method"] != baseline, "target_ratio"])):
            runs = d[d["target_ratio"] == ratio]
            found["best"].append(_versus("best", ds, ratio, runs, rivals, "auc", level))
            found["merging"].append(_versus("merging", ds, ratio, runs,
                                            [m for m in MERGING if m in rivals] or list(MERGING),
                                            "auc", level))
            found["strategies"].append(_strategies(ds, ratio, runs, margin, level))
            found["loss"].append(_versus("loss", ds, ratio, runs, rivals, "logloss", level))
    return pd.DataFrame([r for c in CLAIMS for r in found[c]], columns=COLUMNS)


def claims_markdown(table: pd.DataFrame) -> str:
    """A :func:`claims_table` as a Markdown table: the claim written once per group, the verdict
    in bold (the README's table and notebook 05's are this text).

    Example:
        >>> t = pd.DataFrame({"claim": ["c", "c"], "dataset": "d", "target_ratio": [10.0, 30.0],
        ...                   "verdict": ["held", "not held"], "evidence": ["a", "b"]})
        >>> print(claims_markdown(t))
        | claim | dataset | target ratio | verdict | evidence |
        |---|---|---:|---|---|
        | c | d | 10x | **held** | a |
        |  | d | 30x | **not held** | b |
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame (claims_table), got "
                        f"{type(table).__name__}")
    missing = [c for c in COLUMNS if c not in table]
    if missing:
        raise ValueError(f"table lacks the columns {missing} (claims_table writes them)")
    rows = ([r.claim, r.dataset, "-" if pd.isna(r.target_ratio) else f"{r.target_ratio:g}x",
             f"**{r.verdict}**", r.evidence] for r in table.itertuples(index=False))
    return markdown_table(["claim", "dataset", "target ratio", "verdict", "evidence"], rows,
                          right=(2,), group=0)

"""The paper's claims, judged from a sweep's summary: held, not held, a tie, or not tested.

Yan et al. (*Binary Code based Hash Embedding for Web-scale Applications*, CIKM 2021,
arXiv 2109.02471) report that BH has the best AUC at every size against Full, Hash, Multi-Hash
and Q-R, keeps about 99% of the full embedding's performance with tables about 1000x smaller,
that Succession and Skip do about equally well, and that BH converges faster to a lower loss.
:func:`claims_table` turns a summary (:func:`bhlib.experiment.summarize`, ``summary.csv``) into
one verdict per claim, dataset and target ratio, with the numbers it rests on;
:func:`claims_markdown` renders it (the README's table and notebook 05's are this text).
Pure: every number comes from the summary, nothing is trained or written.
"""
from __future__ import annotations

import math

import pandas as pd

from .._checks import check_choice, check_number
from ..display import format_mean_std
from ..embeddings import METHODS

__all__ = ["CLAIMS", "VERDICTS", "claims_table", "claims_markdown"]

# claim key -> the claim in words, in the order of the table
CLAIMS = {
    "best": "BH has the best AUC among compressed methods at every size",
    "retained": "BH keeps >= 99% of the full AUC at >= 1000x",
    "merging": "BH beats hash-mod and multi-hash (which merge ids) at equal size",
    "strategies": "Succession ≈ Skip",
    "loss": "BH reaches a lower loss (test logloss; speed is not judged)",
}
VERDICTS = ("held", "not held", "tie (within noise)", "not tested")
BH_METHODS = ("bh-succession", "bh-skip")  # the paper's BH; other bh-* are ablations, left out
MERGING = ("hash", "multi_hash")            # schemes that let distinct ids share every row
COLUMNS = ["claim", "dataset", "target_ratio", "verdict", "evidence"]
_NEEDED = ("dataset", "method", "target_ratio", "num_seeds", "achieved_ratio", "auc_mean",
           "auc_std", "logloss_mean", "logloss_std")


def _x(ratio: float) -> str:
    return f"{ratio:,.1f}x"


def _gap(a: pd.Series, b: pd.Series, measure: str, scale: float = 1.0) -> tuple[float, float]:
    """``a - scale * b`` of a measure's means, and its standard error over seeds."""
    diff = a[f"{measure}_mean"] - scale * b[f"{measure}_mean"]
    var = (a[f"{measure}_std"] ** 2 / a["num_seeds"]
           + (scale * b[f"{measure}_std"]) ** 2 / b["num_seeds"])
    return float(diff), math.sqrt(var)


def _z(diff: float, se: float) -> float:
    return diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))


def _verdict(z: float, num_se: float) -> str:
    """A gap of ``z`` standard errors in BH's favour: held, not held, or a tie within noise."""
    return "not held" if z < -num_se else ("tie (within noise)" if z <= num_se else "held")


def _few_seeds(rows: list[pd.Series], measure: str = "auc") -> str:
    """Why seed noise cannot be judged for these rows (fewer than 2 seeds, no std), or ``""``."""
    few = [f"{r['method']} ({int(r['num_seeds'])})" for r in rows if r["num_seeds"] < 2]
    if few:
        return f"seed noise cannot be judged: fewer than 2 seeds for {', '.join(few)}"
    blind = [r["method"] for r in rows if not math.isfinite(r[f"{measure}_std"])]
    return f"seed noise cannot be judged: no {measure}_std for {', '.join(blind)}" if blind else ""


def _row(claim: str, dataset: str, ratio: float, verdict: str, evidence: str) -> dict:
    return {"claim": CLAIMS[claim], "dataset": dataset, "target_ratio": ratio,
            "verdict": verdict, "evidence": evidence}


def _versus(claim: str, ds: str, ratio: float, runs: pd.DataFrame, rivals: list[str],
            measure: str, num_se: float) -> dict:
    """BH's best variant against every rival that reached the ratio (claims best, merging, loss)."""
    sign = 1 if measure == "auc" else -1  # AUC: higher is better; logloss: lower is better
    ran = runs[runs["num_seeds"] > 0]
    bh = ran[ran["method"].isin(BH_METHODS)]
    rival = ran[ran["method"].isin(rivals)]
    missing = [m for m in rivals if m in set(runs["method"]) and m not in set(rival["method"])]
    gone = f"; not reached: {', '.join(missing)}" if missing else ""
    if bh.empty or rival.empty:
        who = "BH" if bh.empty else f"a rival ({', '.join(rivals)})"
        return _row(claim, ds, ratio, "not tested", f"no finished run of {who} here{gone}")
    best = bh.loc[(sign * bh[f"{measure}_mean"]).idxmax()]
    few = _few_seeds([best, *(r for _, r in rival.iterrows())], measure)
    if few:
        return _row(claim, ds, ratio, "not tested", few)
    zs = [(_z(*_gap(best, r, measure)) * sign, r) for _, r in rival.iterrows()]
    z, worst = min(zs, key=lambda t: t[0])  # least favourable to BH: the smallest win in SE
    diff = _gap(best, worst, measure)[0]
    verdict = _verdict(z, num_se)
    z *= sign  # shown with the sign of the gap

    def show(r):
        return (f"{r['method']} {format_mean_std(r[f'{measure}_mean'], r[f'{measure}_std'])} "
                f"({_x(r['achieved_ratio'])})")
    name = "AUC" if measure == "auc" else "logloss (lower is better)"
    extra = ""
    if measure == "logloss" and "best_epoch" in runs:
        extra = f"; best epoch {best['best_epoch']:.1f} vs {worst['best_epoch']:.1f}"
    return _row(claim, ds, ratio, verdict,
                f"{name} {show(best)} vs {show(worst)}: {diff:+.4f} ({z:+.1f} SE), least "
                f"favourable to BH of {len(rival)} rival{'s' * (len(rival) > 1)}{gone}{extra}")


def _retained(ds: str, d: pd.DataFrame, baseline: str, num_se: float) -> list[dict]:
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
        bh = d[(d["target_ratio"] == ratio) & d["method"].isin(BH_METHODS) & (d["num_seeds"] > 0)]
        if bh.empty or full.empty:
            who = "BH" if bh.empty else f"the baseline {baseline!r}"
            rows.append(_row("retained", ds, ratio, "not tested", f"no finished run of {who}"))
            continue
        best, ref = bh.loc[bh["auc_mean"].idxmax()], full.iloc[0]
        few = _few_seeds([best, ref])
        if few:
            rows.append(_row("retained", ds, ratio, "not tested", few))
            continue
        diff, se = _gap(best, ref, "auc", scale=0.99)
        z = _z(diff, se)
        verdict = _verdict(z, num_se)
        kept = best["auc_mean"] / ref["auc_mean"]
        lift = (best["auc_mean"] - 0.5) / (ref["auc_mean"] - 0.5)
        rows.append(_row("retained", ds, ratio, verdict,
                         f"{best['method']} at {_x(best['achieved_ratio'])} keeps {kept:.1%} of "
                         f"{baseline}'s AUC ({format_mean_std(best['auc_mean'], best['auc_std'])}"
                         f" vs {format_mean_std(ref['auc_mean'], ref['auc_std'])}; lift "
                         f"{lift:.1%}): {diff:+.4f} from 99% ({z:+.1f} SE)"))
    return rows


def _strategies(ds: str, ratio: float, runs: pd.DataFrame, num_se: float) -> dict:
    """Claim strategies: Succession against Skip, when both ran at sizes within 2x."""
    got = {m: runs[(runs["method"] == m) & (runs["num_seeds"] > 0)] for m in BH_METHODS}
    if any(g.empty for g in got.values()):
        lost = [m for m, g in got.items() if g.empty]
        return _row("strategies", ds, ratio, "not tested", f"no finished run of {lost[0]}")
    succ, skip = (got[m].iloc[0] for m in BH_METHODS)
    sizes = sorted((succ["achieved_ratio"], skip["achieved_ratio"]))
    shown = (f"succession {format_mean_std(succ['auc_mean'], succ['auc_std'])} "
             f"({_x(succ['achieved_ratio'])}) vs skip "
             f"{format_mean_std(skip['auc_mean'], skip['auc_std'])} ({_x(skip['achieved_ratio'])})")
    if sizes[1] > 2 * sizes[0]:
        return _row("strategies", ds, ratio, "not tested",
                    f"sizes more than 2x apart: {shown}")
    few = _few_seeds([succ, skip])
    if few:
        return _row("strategies", ds, ratio, "not tested", few)
    diff, se = _gap(succ, skip, "auc")
    z = _z(diff, se)
    return _row("strategies", ds, ratio, "held" if abs(z) <= num_se else "not held",
                f"AUC {shown}: {diff:+.4f} ({z:+.1f} SE)")


def claims_table(summary: pd.DataFrame, *, baseline: str = "full",
                 num_se: float = 2.0) -> pd.DataFrame:
    """The paper's claims, one row per claim x dataset (x target ratio), judged from a summary.

    Columns ``claim`` (in words), ``dataset``, ``target_ratio`` (NaN where none applies),
    ``verdict`` (one of :data:`VERDICTS`) and ``evidence`` (the numbers, from the summary).

    The rules **[ours]**. *BH* is the better of ``bh-succession`` and ``bh-skip`` at a target
    ratio (the shared-layout ablation is neither BH nor a rival); its *rivals* are every other
    method of the summary except ``baseline``. A method *reached* a target ratio when it has a
    finished run there (``num_seeds > 0``; a skipped one has 0 and a ``note``). Methods are
    compared at the same target ratio; the achieved ratios are shown, since BH's steps of ~2x
    often leave it with the smaller table. A gap between two means is measured against the seed
    noise: its standard error ``SE = sqrt(s_a²/n_a + s_b²/n_b)`` (sample stds over ``n`` seeds),
    and a gap of at most ``num_se`` SE is *within noise*. Every comparison needs at least 2 seeds
    on each side, else ``not tested``.

    1. *BH has the best AUC at every size*, per dataset and ratio: ``held`` if BH's mean AUC
       exceeds every rival's by more than the noise, ``not held`` if some rival's exceeds BH's by
       more, otherwise ``tie (within noise)``. The evidence names the rival least favourable
       to BH: the one whose gap, in SE, is the worst for BH.
    2. *BH keeps >= 99% of the full AUC at ~1000x*, per dataset and ratio >= 1000: BH's mean AUC
       against 0.99 x the baseline's, same three outcomes; ``not tested`` (one row, no ratio)
       for a dataset with no ratio >= 1000.
    3. *BH beats hash-mod and multi-hash at equal size*: rule 1 against those two only.
    4. *Succession ≈ Skip*: ``held`` if their AUCs are within noise, else ``not held``; compared
       only where their achieved ratios are within 2x of each other, else ``not tested``.
    5. *BH converges to a lower loss*: rule 1 on the test logloss (lower is better), BH being
       its variant with the lower logloss. The summary holds no training curves, so speed is not
       judged; the epoch of the best validation AUC is shown.

    Args:
        summary: the output of :func:`bhlib.experiment.summarize` (or ``summary.csv`` read back).
        baseline: the full-table method that retention is measured against.
        num_se: how many standard errors a gap may be and still count as noise.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash", "bh-succession"],
        ...     "target_ratio": [1.0, 10.0, 10.0], "num_seeds": 3,
        ...     "achieved_ratio": [1.0, 10.0, 12.0], "auc_mean": [0.80, 0.75, 0.78],
        ...     "auc_std": 0.001, "logloss_mean": [0.50, 0.55, 0.52], "logloss_std": 0.001})
        >>> claims_table(s)[["target_ratio", "verdict"]].values.tolist()
        [[10.0, 'held'], [nan, 'not tested'], [10.0, 'held'], [10.0, 'not tested'], [10.0, 'held']]
    """
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a pandas DataFrame (bhlib.experiment.summarize), got "
                        f"{type(summary).__name__}")
    check_choice(baseline, "baseline", METHODS)
    num_se = check_number(num_se, "num_se", low=0)
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
        rivals = [m for m in dict.fromkeys(d["method"])
                  if m != baseline and not str(m).startswith("bh-")]
        found["retained"] += _retained(ds, d, baseline, num_se)
        for ratio in sorted(set(d.loc[d["method"] != baseline, "target_ratio"])):
            runs = d[d["target_ratio"] == ratio]
            found["best"].append(_versus("best", ds, ratio, runs, rivals, "auc", num_se))
            found["merging"].append(_versus("merging", ds, ratio, runs,
                                            [m for m in MERGING if m in rivals] or list(MERGING),
                                            "auc", num_se))
            found["strategies"].append(_strategies(ds, ratio, runs, num_se))
            found["loss"].append(_versus("loss", ds, ratio, runs, rivals, "logloss", num_se))
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
    lines = ["| claim | dataset | target ratio | verdict | evidence |", "|---|---|---:|---|---|"]
    last = None
    for r in table.itertuples(index=False):
        cells = ["" if r.claim == last else r.claim, r.dataset,
                 "-" if pd.isna(r.target_ratio) else f"{r.target_ratio:g}x",
                 f"**{r.verdict}**", r.evidence]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        last = r.claim
    return "\n".join(lines)

"""Figures of a sweep, drawn from its summary and records: accuracy versus size, convergence,
and the scores on unseen ids (the comparisons of Yan et al., CIKM 2021, arXiv 2109.02471).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot's global state
(safe under the Agg backend, in tests and on headless machines); :func:`save_figures` writes the
first two for every dataset of :func:`bhlib.experiment.run_experiment`.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .._checks import check_choice
from ..display import format_count
from ..embeddings import ABLATION_METHODS, METHODS
from .records import finished_runs

__all__ = ["auc_vs_params_figure", "convergence_figure", "unseen_figure", "save_figures"]

_MARKERS = dict(zip(METHODS, "osD^vP*Xh<>", strict=False))  # more methods: default "o"


def _color(method: str) -> str:
    """C0-C9 for the first ten methods (full's C0 only for full), black for the eleventh, then
    C1-C9 again: every method of ``make reproduce`` has its own color."""
    if method not in METHODS:
        return "k"
    i = list(METHODS).index(method)
    return f"C{i}" if i < 10 else "k" if i == 10 else f"C{(i - 11) % 9 + 1}"


def _line(method: str) -> str:
    return ":" if method in ABLATION_METHODS else "-"  # the ablations dotted


def _between_decades(ax, x: float) -> str:
    """Minor tick label on a log x axis, in plain text, so that a narrow range still has labelled
    ticks: 2 and 5 times a power of ten when the axis spans under three decades, 2, 3, 4, 5 and 7
    times when it spans under one, every minor tick under half a decade."""
    lo, hi = ax.get_xlim()
    if x <= 0 or lo <= 0:
        return ""
    span = np.log10(hi / lo)
    mantissa = round(x / 10 ** np.floor(np.log10(x) + 1e-9), 6)
    every = span < 0.5 or (span < 1 and mantissa in (2.0, 3.0, 4.0, 5.0, 7.0))
    return format_count(x) if every or (span < 3 and mantissa in (2.0, 5.0)) else ""


_MEASURES = {"auc_mean": "test AUC (mean, bars: {bars})",
             "logloss_mean": "test logloss (mean, bars: {bars})",
             "retained_auc": "test AUC / the baseline's",
             "retained_lift": "AUC lift / the baseline's"}


def auc_vs_params_figure(summary: pd.DataFrame, dataset: str, *, baseline: str = "full",
                         measure: str = "auc_mean") -> Figure:
    """Test AUC (or another ``measure`` of the summary) against embedding parameters (log x), one
    line per method, bars of the 95% t interval over seeds (``auc_ci95``; the std where a
    summary has no interval) where the summary has them.

    Each point is one target ratio; its x is the *achieved* size (mean embedding parameters of
    the runs), so schemes that land on different sizes for the same target are drawn where they
    really are. The baseline is a horizontal reference line at its AUC.

    Args:
        summary: the table of :func:`bhlib.experiment.summarize`.
        dataset: which dataset to draw.
        baseline: the method drawn as the reference line.
        measure: ``"auc_mean"``, ``"logloss_mean"``, ``"retained_auc"`` or ``"retained_lift"``.

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash", "hash"],
        ...                   "target_ratio": [1, 10, 100], "num_seeds": 2,
        ...                   "embedding_params": [1e4, 1e3, 1e2], "auc_mean": [0.8, 0.78, 0.75],
        ...                   "auc_std": [0.01, 0.01, 0.02]})
        >>> auc_vs_params_figure(s, "d").axes[0].get_xscale()
        'log'
    """
    check_choice(measure, "measure", _MEASURES)
    if measure not in summary:
        raise ValueError(f"the summary has no column {measure!r}; columns are {list(summary)}")
    ci, std = measure.replace("_mean", "_ci95"), measure.replace("_mean", "_std")
    std, bars = ((ci, "95% t interval over seeds") if ci != measure and ci in summary
                 else (std, "± std over seeds"))
    d = summary[(summary["dataset"] == dataset) & (summary["num_seeds"] > 0)]
    if d.empty:
        raise ValueError(f"dataset {dataset!r} has no finished runs in the summary; "
                         f"datasets are {sorted(summary['dataset'].unique())}")
    # fixed margins in inches (no layout pass at every draw); the legend goes under the axes,
    # where it covers no point
    fig = Figure(figsize=(6.4, 5.0))
    fig.subplots_adjust(left=0.13, right=0.97, bottom=1.45 / 5.0, top=1 - 0.3 / 5.0)
    ax = fig.add_subplot()
    for method, g in d.groupby("method", sort=False):
        g = g.sort_values("embedding_params")
        err = (g[std].fillna(0) if std != measure and std in g else 0 * g[measure]).to_numpy()
        y = g[measure].to_numpy()
        if method == baseline:
            ax.axhline(y[0], color=_color(method), ls="--", lw=1,
                       label=f"{method} ({g['embedding_params'].iloc[0]:,.0f} params)")
            ax.axhspan(y[0] - err[0], y[0] + err[0], color=_color(method), alpha=0.12)
            continue
        ax.errorbar(g["embedding_params"], y, yerr=err, label=method, capsize=3,
                    marker=_MARKERS.get(method, "o"), color=_color(method), ms=5, lw=1.2,
                    ls=_line(method))
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_count(x)))  # plain text
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, _: _between_decades(ax, x)))
    ax.set_xlabel("embedding parameters (all fields, achieved)")
    ax.set_ylabel(_MEASURES[measure].format(bars=bars))
    ax.set_title(f"{dataset}: accuracy vs embedding size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False)
    return fig


def convergence_figure(records: Sequence[dict], dataset: str, *, ratio: float | None = None,
                baseline: str = "full") -> Figure:
    """Validation AUC and training loss per epoch, one line per method (mean over seeds).

    Args:
        records: run records (``runs.jsonl`` lines) with a ``curve``.
        dataset: which dataset to draw.
        ratio: the target ratio whose runs are drawn (the baseline is always drawn); default the
            ratio with the most methods run, the largest on ties.
        baseline: the baseline method.

    Example:
        >>> recs = [{"dataset": "d", "method": m, "target_ratio": r, "seed": 0, "status": "ok",
        ...          "curve": [{"epoch": e, "valid_auc": 0.7 + e / 100, "train_loss": 0.6 - e / 100}
        ...                    for e in (1, 2, 3)]} for m, r in (("full", 1.0), ("hash", 10.0))]
        >>> len(convergence_figure(recs, "d").axes)
        2
    """
    ok = finished_runs(records, dataset)
    if not ok:
        raise ValueError(f"dataset {dataset!r} has no finished runs with a curve")
    if ratio is None:
        counts = pd.Series([r["target_ratio"] for r in ok if r["method"] != baseline])
        ratio = (max(counts.value_counts().items(), key=lambda kv: (kv[1], kv[0]))[0]
                 if len(counts) else 1.0)
    chosen = finished_runs(ok, dataset, ratio=ratio, baseline=baseline)
    # fixed margins (a layout engine would lay the figure out again at every draw, a widget's
    # every change); the legend under both axes, covering no curve
    fig = Figure(figsize=(10, 4.6))
    fig.subplots_adjust(left=0.07, right=0.99, bottom=1.15 / 4.6, top=1 - 0.45 / 4.6,
                        wspace=0.22)
    axes = fig.subplots(1, 2)
    by_method: dict[str, list] = {}
    for r in chosen:
        by_method.setdefault(r["method"], []).append(pd.DataFrame(r["curve"]))
    order = [m for m in METHODS if m in by_method] + [m for m in by_method if m not in METHODS]
    for method in order:
        curves = pd.concat(by_method[method]).groupby("epoch")
        mean, std = curves.mean(numeric_only=True), curves.std(numeric_only=True).fillna(0)
        label = method if method != baseline else f"{method} (1x)"
        for ax, col in zip(axes, ("valid_auc", "train_loss"), strict=True):
            x, y = mean.index.to_numpy(float), mean[col].to_numpy(float)
            ax.plot(x, y, marker=_MARKERS.get(method, "o"), ms=3, color=_color(method), label=label,
                    ls="--" if method == baseline else "-")
            ax.fill_between(x, y - std[col].to_numpy(float), y + std[col].to_numpy(float),
                            color=_color(method), alpha=0.12)
    axes[0].set_ylabel("validation AUC")
    axes[1].set_ylabel("training loss (epoch mean so far)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=min(len(labels), 7),
               frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{dataset}: convergence at target {ratio:g}x (mean ± std over seeds)")
    return fig


def unseen_figure(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Test AUC on rows with an id unseen in training, next to the other rows, per method.

    Args:
        table: :func:`bhlib.experiment.unseen_table` of one dataset.

    Example:
        >>> t = pd.DataFrame({"method": ["full", "hash"], "target_ratio": [1.0, 10.0],
        ...                   "auc_unseen_mean": [0.70, 0.74], "auc_seen_mean": [0.78, 0.75]})
        >>> [round(float(p.get_height()), 2) for p in unseen_figure(t).axes[0].patches]
        [0.78, 0.75, 0.7, 0.74]
    """
    fig = Figure(figsize=(6.5, 3.8))
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["auc_seen_mean"], width=0.4, label="rows with seen ids only",
           color="tab:blue")
    ax.bar(x + 0.2, table["auc_unseen_mean"], width=0.4, label="rows with an unseen id",
           color="tab:orange")
    labels = [f"{m}\n{t:g}x" for m, t in zip(table["method"], table["target_ratio"], strict=True)]
    ax.set_xticks(x, labels, fontsize=8)
    lo = float(np.nanmin(table[["auc_seen_mean", "auc_unseen_mean"]].to_numpy(dtype=float)))
    ax.set_ylim(max(0.0, lo - 0.05), None)
    ax.set_ylabel("test AUC")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    ax.set_title(title or "Cold start: AUC on rows with ids training never saw", fontsize=10)
    fig.tight_layout()
    return fig


def save_figures(records: Sequence[dict], summary: pd.DataFrame, out_dir: Any) -> list[Path]:
    """Write ``auc_vs_params_<dataset>.png`` and ``convergence_<dataset>.png`` for every dataset.

    Example:
        >>> import tempfile
        >>> save_figures([], pd.DataFrame(columns=["dataset", "num_seeds"]), tempfile.mkdtemp())
        []
    """
    out, written = Path(out_dir), []
    out.mkdir(parents=True, exist_ok=True)
    for dataset in dict.fromkeys(summary["dataset"]):
        if not (summary[(summary["dataset"] == dataset)]["num_seeds"] > 0).any():
            continue
        for name, fig in (("auc_vs_params", auc_vs_params_figure(summary, dataset)),
                          ("convergence", convergence_figure(records, dataset))):
            path = out / f"{name}_{dataset}.png"
            fig.savefig(path, dpi=120)
            written.append(path)
    return written

"""Teaching figures for the notebooks and widgets; each function returns a matplotlib ``Figure``.

Figures are built with :class:`matplotlib.figure.Figure` (not ``pyplot``), so nothing is drawn
into global state: a notebook shows the returned figure once, a widget renders it to PNG, a test
inspects its axes. Each figure draws one table from :mod:`bhlib.teaching` or :mod:`bhlib.budgets`
(Yan et al., CIKM 2021, arXiv 2109.02471, for the method being taught). The experiment figures
(AUC versus size, training curves) belong to :mod:`bhlib.plots`.
"""
from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .budgets import format_bytes
from .teaching import bit_table, block_table

__all__ = ["setup_display", "block_color", "bit_grid", "block_size_figure", "birthday_figure",
           "collision_figure", "memory_figure", "unseen_figure", "figure_png"]


def _float(x: float) -> str:
    if x == 0 or abs(x) >= 1e4:
        return f"{x:,.0f}"
    return f"{x:,.4g}" if abs(x) >= 1e-3 else f"{x:.2g}"


def setup_display() -> None:
    """Notebook display conventions: readable floats, wide tables, up to 100 rows.

    Floats keep four significant digits (AUC ``0.7831``, ratio ``15.3``), big ones print whole
    with thousands separators (``1,000,000,000`` instead of ``1e+09``), tiny ones two digits.

    Example:
        >>> keys = ("display.float_format", "display.width", "display.max_columns",
        ...         "display.max_rows", "display.max_colwidth")
        >>> with pd.option_context(*[x for k in keys for x in (k, pd.get_option(k))]):
        ...     setup_display()
        ...     fmt = pd.get_option("display.float_format")
        ...     fmt(1e9), fmt(1893.94), fmt(0.78305), fmt(0.00046)
        ('1,000,000,000', '1,894', '0.7831', '0.00046')
    """
    pd.set_option("display.float_format", _float)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_rows", 100)
    pd.set_option("display.max_colwidth", 80)


def block_color(j: int) -> tuple:
    """The colour of block ``j`` (tab10, repeating), shared by every figure.

    Example:
        >>> block_color(0) == block_color(10)
        True
    """
    return matplotlib.colormaps["tab10"](j % 10)


def bit_grid(value: int, num_bits: int, *, strategy: str = "succession",
             block_bits: int | None = None, num_blocks: int | None = None,
             title: str | None = None) -> Figure:
    """The code of ``value`` as a row of cells, MSB on the left, each coloured by its block.

    Under each cell: the bit position. Legend: each block's value ``k_j`` (its bits read as a
    number, :func:`bhlib.teaching.block_table`).

    Example:
        >>> fig = bit_grid(0b1101_0110, 8, strategy="skip", num_blocks=2)
        >>> [t.get_text() for t in fig.axes[0].texts][:8]
        ['1', '1', '0', '1', '0', '1', '1', '0']
    """
    spec = {"strategy": strategy, "block_bits": block_bits, "num_blocks": num_blocks}
    bits = bit_table(value, num_bits, **spec)
    blocks = block_table(value, num_bits, **spec)
    fig = Figure(figsize=(min(16.0, max(4.0, 0.42 * num_bits + 1.5)), 1.9))
    ax = fig.add_subplot()
    for i, pos in enumerate(bits.columns):
        j = int(bits.loc["block", pos])
        ax.add_patch(matplotlib.patches.Rectangle((i, 0), 1, 1, facecolor=block_color(j),
                                                  edgecolor="white", linewidth=2, alpha=0.85))
        ax.text(i + 0.5, 0.5, str(bits.loc["bit", pos]), ha="center", va="center",
                fontsize=12 if num_bits <= 32 else 7, family="monospace", color="white",
                weight="bold")
    ax.set_xlim(0, num_bits)
    ax.set_ylim(0, 1)
    ax.set_xticks(np.arange(num_bits) + 0.5, [str(p) for p in bits.columns],
                  fontsize=8 if num_bits <= 32 else 6)
    ax.set_yticks([])
    ax.set_xlabel("bit position (0 = least significant)")
    for spine in ax.spines.values():
        spine.set_visible(False)
    handles = [matplotlib.patches.Patch(color=block_color(r.block),
                                        label=f"block {r.block}: {r.bits} = {r.k}")
               for r in blocks.itertuples()][:12]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    ax.set_title(title or f"{value} as {num_bits} bits, {strategy}: {len(blocks)} blocks",
                 fontsize=10)
    fig.tight_layout()
    return fig


def block_size_figure(tables: dict[str, pd.DataFrame], num_embeddings: int | None = None) -> Figure:
    """Rows of the BH table against the longest block's length, one line per strategy (log y).

    Args:
        tables: strategy name -> :func:`bhlib.teaching.block_size_table` output.
        num_embeddings: drawn as the full table's row count, for reference.

    Example:
        >>> from bhlib.teaching import block_size_table
        >>> fig = block_size_figure({"succession": block_size_table(1000)}, 1000)
        >>> fig.axes[0].get_yscale()
        'log'
    """
    fig = Figure(figsize=(5.5, 3.2))
    ax = fig.add_subplot()
    for (name, t), marker in zip(tables.items(), "os^v"):
        ax.plot(t["block_bits"], t["rows"], marker=marker, label=name, alpha=0.8)
    if num_embeddings is not None:
        ax.axhline(num_embeddings, color="black", linestyle=":",
                   label=f"full table: {num_embeddings:,}")
    ax.set_yscale("log")
    ax.set_xlabel("longest block t (bits)")
    ax.set_ylabel("table rows (offset layout)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Longer blocks: more rows (about m * 2^t)", fontsize=10)
    fig.tight_layout()
    return fig


def birthday_figure(table: pd.DataFrame) -> Figure:
    """Colliding pairs of hash codes against ``num_bits``: birthday estimate and measured count.

    Args:
        table: :func:`bhlib.uniqueness.birthday_table` output.

    Example:
        >>> from bhlib.uniqueness import birthday_table
        >>> fig = birthday_figure(birthday_table([f"v{i}" for i in range(100)], [4, 8, 16]))
        >>> len(fig.axes[0].lines)
        2
    """
    fig = Figure(figsize=(5.5, 3.2))
    ax = fig.add_subplot()
    ax.plot(table["num_bits"], table["expected_pairs"], "-", label="expected V(V-1)/2^(n+1)")
    ax.plot(table["num_bits"], table["measured_pairs"], "o", label="measured")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("num_bits n")
    ax.set_ylabel("colliding pairs")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Hash collisions after truncation to n bits", fontsize=10)
    fig.tight_layout()
    return fig


def collision_figure(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Ids sharing a whole index tuple / a fused vector / some row, per method (grouped bars).

    Args:
        table: :func:`bhlib.uniqueness.collision_table` output; unreachable methods are labelled.

    Example:
        >>> from bhlib.uniqueness import collision_table
        >>> fig = collision_figure(collision_table(1000, 8, 10, ["hash", "bh-succession"]))
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
        ['hash (10.0x)', 'bh-succession (12.5x)']
    """
    kinds = [("shared_tuple", "same index tuple"), ("shared_vector", "same fused vector"),
             ("shared_a_row", "share a row")]
    fig = Figure(figsize=(6.5, 0.45 * len(table) + 1.8))
    ax = fig.add_subplot()
    y = np.arange(len(table))
    for i, (col, label) in enumerate(kinds):
        vals = pd.to_numeric(table[col], errors="coerce").fillna(0).to_numpy(dtype=float)
        ax.barh(y + (i - 1) * 0.27, vals, height=0.27, label=label)
    labels = [f"{m} ({r:.1f}x)" if pd.notna(r) else f"{m} (unreachable)"
              for m, r in zip(table["method"], table["ratio"])]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("number of ids")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, frameon=False)
    ax.set_title(title or "Which ids can a scheme tell apart?", fontsize=10)
    fig.tight_layout()
    return fig


def memory_figure(table: pd.DataFrame, budget_bytes: float | None = None) -> Figure:
    """Training memory of each method (log scale), green if it fits the budget, grey if not.

    Args:
        table: :func:`bhlib.budgets.budget_table` output.
        budget_bytes: drawn as a vertical line.

    Example:
        >>> from bhlib.budgets import budget_table
        >>> fig = memory_figure(budget_table(10**6, 16, 10**6, methods=["full", "hash"]), 10**6)
        >>> fig.axes[0].get_xscale()
        'log'
    """
    fig = Figure(figsize=(6.5, 0.4 * len(table) + 1.4))
    ax = fig.add_subplot()
    colors = ["tab:green" if ok else "tab:gray" for ok in table["fits"]]
    y = np.arange(len(table))
    ax.barh(y, table["bytes"], color=colors)
    for yi, b, r in zip(y, table["bytes"], table["ratio"]):
        ax.text(b, yi, f" {format_bytes(b)}, {r:,.0f}x", va="center", fontsize=8)
    ax.set_yticks(y, table["method"])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=ax.get_xlim()[1] * 30)
    if budget_bytes is not None:
        ax.axvline(budget_bytes, color="tab:red", linestyle="--",
                   label=f"budget {format_bytes(budget_bytes)}")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("bytes for training (parameters + optimizer state)")
    ax.set_title("Green: fits the budget; grey: smallest configuration, still too big",
                 fontsize=10)
    fig.tight_layout()
    return fig


def unseen_figure(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Test AUC on rows with an id unseen in training, next to the other rows, per method.

    Args:
        table: :func:`bhlib.reports.unseen_table` output.

    Example:
        >>> t = pd.DataFrame({"method": ["full", "hash"], "target": [1.0, 10.0],
        ...                   "auc_unseen": [0.70, 0.74], "auc_seen": [0.78, 0.75]})
        >>> [round(float(p.get_height()), 2) for p in unseen_figure(t).axes[0].patches]
        [0.78, 0.75, 0.7, 0.74]
    """
    fig = Figure(figsize=(6.5, 3.8))
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["auc_seen"], width=0.4, label="rows with seen ids only", color="tab:blue")
    ax.bar(x + 0.2, table["auc_unseen"], width=0.4, label="rows with an unseen id",
           color="tab:orange")
    ax.set_xticks(x, [f"{m}\n{t:g}x" for m, t in zip(table["method"], table["target"])],
                  fontsize=8)
    lo = float(np.nanmin(table[["auc_seen", "auc_unseen"]].to_numpy(dtype=float)))
    ax.set_ylim(max(0.0, lo - 0.05), None)
    ax.set_ylabel("test AUC")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    ax.set_title(title or "Cold start: AUC on rows with ids training never saw", fontsize=10)
    fig.tight_layout()
    return fig


def figure_png(fig: Figure, *, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (what a widget's ``Image`` shows).

    Example:
        >>> figure_png(Figure(figsize=(1, 1)))[:4]
        b'\\x89PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()

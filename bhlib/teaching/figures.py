"""Teaching figures for the notebooks and widgets; each function returns a matplotlib ``Figure``.

Figures are built with :class:`matplotlib.figure.Figure` (not ``pyplot``), so nothing is drawn
into global state: a notebook shows the returned figure once, a widget renders it to SVG
(:func:`bhlib.display.figure_svg`), a test inspects its axes. Each figure draws one table of this
floor (Yan et al., CIKM 2021, arXiv 2109.02471, for the method being taught). The figures of run
records (AUC versus size, training curves, unseen ids) belong to :mod:`bhlib.experiment.figures`.
"""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ..display import format_bytes, format_count
from .binarization import bit_table
from .blocks import block_table

__all__ = ["block_color", "bit_grid_figure", "block_size_figure", "birthday_figure",
           "collision_figure", "memory_figure", "bytes_per_process_figure"]


def block_color(j: int) -> tuple:
    """The colour of block ``j`` (tab10, repeating), shared by every figure.

    Example:
        >>> block_color(0) == block_color(10)
        True
    """
    return matplotlib.colormaps["tab10"](j % 10)


def bit_grid_figure(value: int, num_bits: int, *, strategy: str = "succession",
             block_bits: int | None = None, num_blocks: int | None = None,
             title: str | None = None) -> Figure:
    """The code of ``value`` as a row of cells, MSB on the left, each coloured by its block.

    Under each cell: the bit position. Legend: each block's value ``k_j`` (its bits read as a
    number, :func:`bhlib.teaching.block_table`).

    Example:
        >>> fig = bit_grid_figure(0b1101_0110, 8, strategy="skip", num_blocks=2)
        >>> [t.get_text() for t in fig.axes[0].texts][:8]
        ['1', '1', '0', '1', '0', '1', '1', '0']
    """
    spec = {"strategy": strategy, "block_bits": block_bits, "num_blocks": num_blocks}
    bits = bit_table(value, num_bits, **spec)
    blocks = block_table(value, num_bits, **spec)
    labels = [f"block {r.block}: {r.bits} = {r.k}" for r in blocks.itertuples()]
    shown_blocks = labels[:12]
    if len(labels) > 12:
        shown_blocks[-1] = f"... {len(labels) - 11} more blocks (see the table)"
    # Fixed margins in inches (no tight_layout: it draws the figure once more, which costs a
    # widget as much again); the legend goes under the grid, where it always fits.
    width = min(16.0, max(4.0, 0.42 * num_bits + 1.0))
    ncol = max(1, min(len(shown_blocks), int(width // (0.075 * max(map(len, shown_blocks)) + 0.5))))
    legend_rows = -(-len(shown_blocks) // ncol)
    top, grid, under = 0.45, 0.6, 0.5 + 0.2 * legend_rows + 0.05
    height = top + grid + under
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0.2 / width, under / height, 1 - 0.4 / width, grid / height))
    block_of = bits.loc["block"].astype(int).to_numpy()
    colors = np.array([block_color(j) for j in block_of])[None, :, :3]
    ax.imshow(colors, extent=(0, num_bits, 0, 1), aspect="auto", alpha=0.85,
              interpolation="nearest")
    ax.vlines(np.arange(1, num_bits), 0, 1, colors="white", linewidth=2)
    size = 12 if num_bits <= 32 else 7
    for i, b in enumerate(bits.loc["bit"]):
        ax.text(i + 0.5, 0.5, str(b), ha="center", va="center", fontsize=size,
                family="monospace", color="white", weight="bold")
    ax.set_xlim(0, num_bits)
    ax.set_ylim(0, 1)
    every = 1 if num_bits <= 24 else 4  # wide codes: a label every fourth position
    shown = [i for i, p in enumerate(bits.columns) if int(p) % every == 0]
    ax.set_xticks(np.array(shown) + 0.5, [str(bits.columns[i]) for i in shown],
                  fontsize=8 if num_bits <= 32 else 7)
    ax.set_yticks([])
    ax.set_xlabel("bit position (0 = least significant)", fontsize=9)
    for spine in ax.spines.values():
        spine.set_visible(False)
    more = len(labels) > 12  # the twelfth entry then stands for the rest
    handles = [matplotlib.patches.Patch(color="lightgray" if more and j == 11 else block_color(j),
                                        label=label) for j, label in enumerate(shown_blocks)]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.02 / height),
               ncol=ncol, fontsize=8, frameon=False, handlelength=1.2, columnspacing=1.2)
    ax.set_title(title or f"{value} as {num_bits} bits, {strategy}: {len(blocks)} "
                          f"block{'s' if len(blocks) > 1 else ''}",
                 fontsize=10)
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
    for (name, t), marker in zip(tables.items(), "os^v", strict=False):  # up to four
        ax.plot(t["block_bits"], t["num_rows"], marker=marker, label=name, alpha=0.8)
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
        table: :func:`bhlib.teaching.birthday_table` output.

    Example:
        >>> from bhlib.teaching import birthday_table
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
        table: :func:`bhlib.teaching.collision_table` output; unreachable methods are labelled.

    Example:
        >>> from bhlib.teaching import collision_table
        >>> fig = collision_figure(collision_table(1000, 8, 10, ["hash", "bh-succession"]))
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
        ['hash (10.0x)', 'bh-succession (12.5x)']
    """
    kinds = [("ids_sharing_tuple", "same index tuple"),
             ("ids_sharing_vector", "same fused vector"), ("ids_sharing_a_row", "share a row")]
    height = 0.45 * len(table) + 1.8
    fig = Figure(figsize=(6.5, height))
    # fixed margins in inches (tight_layout would draw the figure twice: a widget redraws often)
    fig.subplots_adjust(left=2.0 / 6.5, right=0.96, bottom=1.05 / height, top=1 - 0.35 / height)
    ax = fig.add_subplot()
    y = np.arange(len(table))
    for i, (col, label) in enumerate(kinds):
        vals = pd.to_numeric(table[col], errors="coerce").fillna(0).to_numpy(dtype=float)
        ax.barh(y + (i - 1) * 0.27, vals, height=0.27, label=label)
    labels = [f"{m} ({r:.1f}x)" if pd.notna(r) else f"{m} (unreachable)"
              for m, r in zip(table["method"], table["achieved_ratio"], strict=True)]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_count(x)))  # 1M, not 1e6
    ax.set_xlabel("number of ids")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, frameon=False)
    ax.set_title(title or "Which ids can a scheme tell apart?", fontsize=10)
    return fig


def memory_figure(table: pd.DataFrame, budget_bytes: float | None = None, *,
                  training: bool = True) -> Figure:
    """Memory of each method (log scale), green if it fits the budget, grey if not.

    Args:
        table: :func:`bhlib.teaching.budget_table` output.
        budget_bytes: drawn as a vertical line.
        training: whether the table's bytes include optimizer state (the axis label says so).

    Example:
        >>> from bhlib.teaching import budget_table
        >>> fig = memory_figure(budget_table(10**6, 16, 10**6, methods=["full", "hash"]), 10**6)
        >>> fig.axes[0].get_xscale()
        'log'
    """
    height = 0.3 * len(table) + 1.2
    fig = Figure(figsize=(6.5, height))
    # fixed margins in inches; room on the right for the last tick label
    fig.subplots_adjust(left=1.25 / 6.5, right=1 - 0.4 / 6.5, bottom=0.6 / height,
                        top=1 - 0.35 / height)
    ax = fig.add_subplot()
    colors = ["tab:green" if ok else "tab:gray" for ok in table["fits"]]
    y = np.arange(len(table))
    ax.barh(y, table["bytes"], color=colors)
    for yi, b, r in zip(y, table["bytes"], table["achieved_ratio"], strict=True):
        ax.text(b, yi, f" {format_bytes(b)}, {r:,.0f}x", va="center", fontsize=8)
    ax.set_yticks(y, table["method"])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=ax.get_xlim()[1] * 30)
    # a few ticks labelled in bytes (plain text, not mathtext, which is slow to lay out)
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=8))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_bytes(x)))
    if budget_bytes is not None:
        ax.axvline(budget_bytes, color="tab:red", linestyle="--",
                   label=f"budget {format_bytes(budget_bytes)}")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("bytes for training (parameters + optimizer state)" if training
                  else "bytes for inference (parameters)")
    ax.set_title("Green: fits the budget; grey: smallest configuration, still too big",
                 fontsize=10)
    return fig


def bytes_per_process_figure(table: pd.DataFrame, devices: dict[str, float] | None = None, *,
                             mark: float | None = None) -> Figure:
    """Bytes per data-parallel process against the vocabulary, one line per method (log-log),
    with a dashed line per device's memory; ``mark`` draws a vertical line at one vocabulary.

    Args:
        table: :func:`bhlib.teaching.bytes_per_process_table` output (skipped rows not drawn).
        devices: name -> bytes of memory, drawn as horizontal lines.

    Example:
        >>> from bhlib.teaching import bytes_per_process_table
        >>> fig = bytes_per_process_figure(bytes_per_process_table([10**6, 10**9]),
        ...                                {"GPU (80 GB)": 8e10})
        >>> ax = fig.axes[0]
        >>> ax.get_xscale(), ax.get_yscale(), len(ax.lines)
        ('log', 'log', 7)
    """
    fig = Figure(figsize=(6.5, 4.1))
    # fixed margins in inches (tight_layout draws twice); the legend goes under the axes
    fig.subplots_adjust(left=0.9 / 6.5, right=1 - 0.2 / 6.5, bottom=1.15 / 4.1, top=1 - 0.35 / 4.1)
    ax = fig.add_subplot()
    lines = dict.fromkeys(zip(table["method"], table["target_ratio"], strict=True))
    for i, (method, ratio) in enumerate(lines):  # the table's order; a colour per method
        t = table[(table["method"] == method) & (table["target_ratio"] == ratio)
                  & (table["skipped"] == "")]
        ax.plot(t["num_ids"], t["total_bytes"].astype(float), marker="o", markersize=3,
                color=f"C{i % 10}", alpha=0.85,
                label=method if method == "full" else f"{method} {ratio:g}x")
    shown = sorted((devices or {}).items(), key=lambda kv: kv[1])
    for i, (name, memory) in enumerate(shown):  # the lowest label under its line, the others over
        ax.axhline(memory, color="tab:red", linestyle=("--", ":", "-.")[i % 3], linewidth=1)
        ax.text(0.01, memory, f" {name}", transform=ax.get_yaxis_transform(), fontsize=7,
                va="top" if i == 0 else "bottom", color="tab:red")
    if mark is not None:
        ax.axvline(mark, color="black", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    def ids(x: float) -> str:  # format_count up to billions, then trillions
        return f"{x / 1e12:.3g}T" if x >= 1e12 else format_count(x)

    for axis, fmt in ((ax.xaxis, ids), (ax.yaxis, format_bytes)):
        axis.set_major_locator(LogLocator(base=10, numticks=10))
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(FuncFormatter(lambda x, _, fmt=fmt: fmt(x)))
    ax.set_xlabel("vocabulary V (ids of the large field)")
    ax.set_ylabel("bytes per process")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.17), frameon=False)
    ax.set_title("Every data-parallel process holds all of this", fontsize=10)
    return fig

"""How numbers and tables look: bytes, configurations, ``mean ± std``, text, HTML and Markdown
tables.

The one place for formatting, shared by every floor: the size table of
:mod:`bhlib.collisions`, the command line of :mod:`bhlib.experiment` and the notebooks and widgets
of :mod:`bhlib.teaching` all print through these functions, so a number reads the same wherever
it appears. Nothing here computes a result; each function takes a value or a table and returns
its text (or sets pandas' display options).
"""
from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import matplotlib
import pandas as pd

if TYPE_CHECKING:  # for annotations only
    from matplotlib.figure import Figure

__all__ = ["format_bytes", "format_hparams", "format_mean_std", "format_columns", "html_table",
           "markdown_table", "setup_display", "figure_png", "figure_svg"]

# size hyper-parameters worth showing, in this order (every other constructor argument is fixed
# by the method, e.g. ``operation``, or does not change the size, e.g. ``seed``)
_SIZE_KEYS = ("num_buckets", "num_hashes", "num_collisions", "num_bits", "block_bits",
              "num_blocks", "layout")


def format_bytes(num_bytes: float) -> str:
    """Bytes in decimal units, three significant digits: ``1.5 GB``.

    Example:
        >>> [format_bytes(b) for b in (512, 2_048, 3 * 10**9, 7.68e11)]
        ['512 B', '2.05 kB', '3 GB', '768 GB']
    """
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if num_bytes >= size:
            return f"{num_bytes / size:.3g} {unit}"
    return f"{num_bytes:.0f} B"


def format_count(value: float) -> str:
    """A count in a few characters: ``1k``, ``25k``, ``1.5M``, ``2B`` (for axis ticks).

    Example:
        >>> [format_count(x) for x in (7, 1_000, 25_000, 1_500_000, 2e9)]
        ['7', '1k', '25k', '1.5M', '2B']
    """
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"


def format_hparams(hparams: dict[str, Any], *, strategy: bool = False, empty: str = "") -> str:
    """A configuration's size hyper-parameters in a few words (``layout`` only when not the
    default ``offset``); with ``strategy``, BH's block strategy first; ``empty`` when none.

    Example:
        >>> hp = {"strategy": "skip", "num_bits": 20, "num_blocks": 3, "layout": "offset"}
        >>> format_hparams(hp), format_hparams(hp, strategy=True)
        ('num_bits=20 num_blocks=3', 'skip num_bits=20 num_blocks=3')
        >>> format_hparams({}, empty="one row per id")
        'one row per id'
    """
    words = [f"{k}={hparams[k]}" for k in _SIZE_KEYS if hparams.get(k) is not None
             and not (k == "layout" and hparams[k] == "offset")]
    if strategy and hparams.get("strategy"):
        words.insert(0, str(hparams["strategy"]))
    return " ".join(words) or empty


def format_mean_std(mean: float, std: float, digits: int = 4) -> str:
    """``mean±std`` with ``digits`` decimals; the mean alone when ``std`` is missing (one seed),
    ``-`` when the mean is missing.

    Example:
        >>> format_mean_std(0.78314, 0.00123), format_mean_std(0.8, float("nan"))
        ('0.7831±0.0012', '0.8000')
    """
    if mean is None or pd.isna(mean):
        return "-"
    text = f"{mean:.{digits}f}"
    return text if std is None or pd.isna(std) else f"{text}±{std:.{digits}f}"


def _cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "-"
    if column == "target_ratio":
        return f"{value:g}"
    if column == "achieved_ratio":
        return f"{value:.1f}"
    if column.startswith("num_") or column.endswith("_params"):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def format_columns(table: pd.DataFrame) -> pd.DataFrame:
    """A table as text, by the project's column names: each ``X_mean`` with an ``X_std`` becomes
    one column ``X`` (``mean±std``), ``target_ratio`` prints as given, ``achieved_ratio`` with one
    decimal, counts (``num_*``, ``*_params``) with thousands separators, other floats with four
    decimals, missing values as ``-``.

    Example:
        >>> t = pd.DataFrame({"method": ["hash"], "target_ratio": [10.0], "num_seeds": [3],
        ...                   "auc_mean": [0.78], "auc_std": [0.001], "embedding_params": [12000]})
        >>> format_columns(t).values.tolist()
        [['hash', '10', '3', '0.7800±0.0010', '12,000']]
    """
    out = {}
    for col in table.columns:
        if col.endswith("_std") and col[:-4] + "_mean" in table:
            continue
        if col.endswith("_mean") and col[:-5] + "_std" in table:
            std = table[col[:-5] + "_std"]
            out[col[:-5]] = [format_mean_std(m, s) for m, s in zip(table[col], std, strict=True)]
        else:
            out[col] = [_cell(col, v) for v in table[col]]
    return pd.DataFrame(out, index=table.index)


# padding, a ruled header, right-aligned cells (the first column, names, left), zebra rows;
# text cells wrap at their spaces when the page is narrower than the table
_TABLE_STYLE = (
    "<style>.bhlib-table{border-collapse:collapse;font-family:monospace;font-size:12px}"
    ".bhlib-table th,.bhlib-table td{padding:3px 10px;text-align:right}"
    ".bhlib-table th{white-space:nowrap;border-bottom:1px solid #888;font-weight:bold}"
    ".bhlib-table td:first-child,.bhlib-table th:first-child{text-align:left}"
    ".bhlib-table tbody tr:nth-child(even){background:rgba(128,128,128,0.08)}</style>")
_COUNT_WORDS = ("num_", "_params", "ids_", "rows", "count", "_used")  # counts get 1,000 separators


def _is_count(table: pd.DataFrame, column: Any) -> bool:
    """A column of whole numbers whose name says it counts something (never ids or ratios)."""
    name, values = str(column), table[column]
    if not any(w in name for w in _COUNT_WORDS) or name.endswith(("_ratio", "_id")):
        return False
    if pd.api.types.is_integer_dtype(values):
        return True
    numbers = pd.to_numeric(values, errors="coerce").dropna() if values.dtype == object else (
        values.dropna() if pd.api.types.is_float_dtype(values) else None)
    return numbers is not None and len(numbers) == values.notna().sum() and bool(
        (numbers == numbers.round()).all())


def _unbroken(value: Any) -> Any:
    """A short text with no-break spaces and hyphens, so a narrow table wraps only long texts."""
    if isinstance(value, str) and 1 < len(value) <= 16:  # "-" (missing) stays as it is
        return value.replace(" ", "\u00a0").replace("-", "\u2011")
    return value


def html_table(table: pd.DataFrame, *, index: bool = False) -> str:
    """A DataFrame as an HTML table for reading (what the widget panels show): padded cells, a
    ruled header, numbers right-aligned, counts with thousands separators, missing values ``-``;
    on a page narrower than the table, only texts longer than 16 characters wrap.

    Example:
        >>> html = html_table(pd.DataFrame({"method": ["hash"], "num_rows": [100000]}))
        >>> html.startswith("<style>"), "<td>100,000</td>" in html
        (True, True)
    """
    shown = table.copy()
    for c in table.columns:
        if _is_count(table, c):
            shown[c] = ["-" if pd.isna(v) else f"{int(v):,}" for v in table[c]]
        elif table[c].isna().any():  # pd.NA of nullable columns would print as <NA>
            shown[c] = table[c].astype(object).where(table[c].notna(), "-")
        if shown[c].dtype == object:  # short texts ("25.2 MB", "bh-skip") never break
            shown[c] = [_unbroken(v) for v in shown[c]]
    html = shown.to_html(index=index, border=0, na_rep="-", classes="bhlib-table")
    return _TABLE_STYLE + html.replace('class="dataframe bhlib-table"', 'class="bhlib-table"')


def markdown_table(header: list[str], rows, *, right: tuple[int, ...] = (),
                   group: int | None = None) -> str:
    """Rows of cells as a GitHub-flavoured Markdown table: columns ``right`` right-aligned, a
    ``|`` inside a cell escaped, and with ``group`` (a column number) that column's value written
    only where it changes from the row above.

    Example:
        >>> print(markdown_table(["claim", "ratio"], [["a", "3x"], ["a", "10x"]], right=(1,),
        ...                      group=0))
        | claim | ratio |
        |---|---:|
        | a | 3x |
        |  | 10x |
    """
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|"]
    last = object()
    for cells in rows:
        cells = list(cells)
        if group is not None:
            cells[group], last = ("" if cells[group] == last else cells[group]), cells[group]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


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
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_rows", 100)
    pd.set_option("display.max_colwidth", 80)


def figure_svg(fig: Figure) -> bytes:
    """The figure as SVG bytes (what a widget panel's ``Image`` shows): sharp at any size and
    zoom, and about as fast to write as a PNG. Text stays text (``svg.fonttype: none``), which
    writes about a quarter faster and half as many bytes as glyph paths; the browser draws it in
    the figure's font family (DejaVu Sans, else its sans-serif).

    Example:
        >>> from matplotlib.figure import Figure
        >>> figure_svg(Figure(figsize=(1, 1)))[:5]
        b'<?xml'
    """
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    return buf.getvalue()


def figure_png(fig: Figure, *, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (what a widget's ``Image`` shows).

    Example:
        >>> from matplotlib.figure import Figure
        >>> figure_png(Figure(figsize=(1, 1)))[:4]
        b'\\x89PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()

"""Widget builders for the teaching notebooks: thin views over the tables and figures of
:mod:`bhlib.teaching` and :mod:`bhlib.experiment`.

Each builder creates its controls, hands them to a :class:`bhlib.teaching.panel.Panel` with a
``render`` function that calls one pure table function and one figure function, and returns the
panel. Nothing is computed here that a test could not compute by calling those functions.

The ideas on show are those of Yan et al., *Binary Code based Hash Embedding for Web-scale
Applications*, CIKM 2021 (arXiv 2109.02471).
"""
from __future__ import annotations

import html as _html

import ipywidgets as widgets
import pandas as pd
from tqdm.auto import tqdm

from ..codes import table_rows
from ..display import format_bytes, html_table
from ..embeddings import LESSON_METHODS, bytes_per_parameter
from ..experiment import auc_vs_params_figure, convergence_figure, curve_table, measure_table
from .binarization import hash_table
from .blocks import block_table
from .budgets import DEVICES, budget_table
from .figures import bit_grid_figure, collision_figure, memory_figure
from .panel import Panel
from .quiz_view import quiz_widget
from .scaling_widget import replication_widget
from .uniqueness import collision_table

__all__ = ["codes_widget", "blocks_widget", "uniqueness_widget", "budget_widget",
           "results_widget", "curves_widget", "replication_widget", "quiz_widget"]

_STYLE = {"description_width": "120px"}
_WIDE = widgets.Layout(width="480px")
RATIOS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 100_000)


def codes_widget(value: str = "alice", *, field: str | None = "user_id", num_bits: int = 16,
                 fields: tuple = (None, "user_id", "item_id", "zip_code")) -> Panel:
    """Type a value, pick its field and ``num_bits``: see its hash ID and binary code.

    Example:
        >>> p = codes_widget("alice", field="user_id", num_bits=8)
        >>> p.controls["num_bits"].value = 4
        >>> "bits" in p.html.value
        True
    """
    controls = {
        "value": widgets.Text(value=value, description="value", style=_STYLE,
                              continuous_update=False),
        "kind": widgets.ToggleButtons(options=["string", "integer"], description="hash it as",
                                      style=_STYLE),
        # no None among the values: a Dropdown shows the entry of value None blank
        "field": widgets.Dropdown(options=[("(no field)", "")] + [(f, f) for f in fields
                                                                  if f is not None],
                                  value=field or "", description="field (salt)", style=_STYLE),
        "num_bits": widgets.IntSlider(value=num_bits, min=1, max=63, description="num_bits",
                                      style=_STYLE, layout=_WIDE, continuous_update=False),
    }

    def render(v):
        raw = v["value"]
        if v["kind"] == "integer":
            try:
                raw = int(raw)
            except ValueError:
                raise ValueError(f"value {raw!r} is not an integer; choose 'string'") from None
        field = v["field"] or None
        t = hash_table([raw], num_bits=v["num_bits"], field=field)
        code = int(t["code"][0])
        fig = bit_grid_figure(code, v["num_bits"], block_bits=v["num_bits"],
                           title=f"{raw!r} (field {field}) -> code {code}")
        return html_table(t.T.rename(columns={0: ""}), index=True), fig

    return Panel(controls, render, title="<b>From a raw value to a binary code</b>")


def blocks_widget(value: int = 214, *, num_bits: int = 8, max_bits: int = 24) -> Panel:
    """Pick a strategy, a block size and an id: see the bit grid, each block's value and row.

    Example:
        >>> p = blocks_widget(214, num_bits=8)
        >>> p.controls["strategy"].value = "skip"
        >>> p.controls["size_by"].value = "num_blocks"
        >>> p.controls["size"].value = 2
        >>> "<td>25</td>" in p.html.value  # rows 14 and 25, see bhlib.bh_indices
        True
    """
    controls = {
        "num_bits": widgets.IntSlider(value=num_bits, min=1, max=max_bits, description="num_bits",
                                      style=_STYLE, layout=_WIDE, continuous_update=False),
        "value": widgets.BoundedIntText(value=value, min=0, max=(1 << num_bits) - 1,
                                        description="id", style=_STYLE),
        "strategy": widgets.ToggleButtons(options=["succession", "skip"], description="strategy",
                                          style=_STYLE),
        "size_by": widgets.ToggleButtons(options=["block_bits", "num_blocks"],
                                         description="sized by", style=_STYLE),
        "size": widgets.IntSlider(value=min(4, num_bits), min=1, max=num_bits, description="size",
                                  style=_STYLE, layout=_WIDE, continuous_update=False),
        "layout": widgets.ToggleButtons(options=["offset", "shared"], description="layout",
                                        style=_STYLE),
    }

    def render(v):
        n = v["num_bits"]
        spec = {"strategy": v["strategy"], v["size_by"]: v["size"]}
        t = block_table(v["value"], n, layout=v["layout"], **spec)
        rows = table_rows(n, layout=v["layout"], **spec)
        summary = (f"<p>{len(t)} blocks of {'/'.join(str(len(p.split())) for p in t['positions'])}"
                   f" bits; table rows: <b>{rows:,}</b> ({v['layout']} layout) instead of "
                   f"2<sup>{n}</sup> = {1 << n:,} (ratio {(1 << n) / rows:,.1f}x); "
                   f"index tuple: <b>{tuple(t['row'])}</b></p>")
        return summary + html_table(t), bit_grid_figure(v["value"], n, **spec)

    def adjust(name, new):
        if name == "num_bits":  # shrinking num_bits clamps the id and the block size
            controls["value"].max = (1 << new) - 1
            controls["size"].max = new

    return Panel(controls, render, title="<b>Code block strategies</b>", adjust=adjust)


def uniqueness_widget(vocabularies: dict[str, int] | None = None, *, embedding_dim: int = 16,
                      ratio: int = 10, methods: tuple = LESSON_METHODS) -> Panel:
    """A compression-ratio slider: every method at equal memory, and which ids share what.

    The collision counts of every vocabulary at every slider stop are computed when the panel is
    built (about a second per stop for 10^6 ids, with a progress bar), so moving a control only
    looks a table up and draws it.

    Example:
        >>> p = uniqueness_widget({"toy": 1000}, ratio=10, methods=("hash", "bh-succession"))
        >>> p.controls["ratio"].value = 100
        >>> "num_buckets=10" in p.html.value
        True
    """
    vocabularies = vocabularies or {"MovieLens items": 1682, "MovieLens users": 943}
    controls = {
        "vocabulary": widgets.Dropdown(options=[(f"{k} ({v:,} ids)", v)
                                                for k, v in vocabularies.items()],
                                       description="vocabulary", style=_STYLE, layout=_WIDE),
        "ratio": widgets.SelectionSlider(options=list(RATIOS), value=ratio,
                                         description="target ratio", style=_STYLE, layout=_WIDE,
                                         continuous_update=False),
    }

    stops = [(v, r) for v in vocabularies.values() for r in RATIOS]
    tables = {(v, r): collision_table(v, embedding_dim, r, methods)
              for v, r in tqdm(stops, desc="collision counts", leave=False, delay=2.0)}

    def render(v):
        t = tables[v["vocabulary"], v["ratio"]]
        out = t.attrs["unreachable"]  # listed in a sentence, not as rows of dashes
        note = (f"<p>Unreachable at {v['ratio']:,}x (no configuration of theirs is that small): "
                f"{', '.join(out)}</p>" if out else "")
        if t.empty:
            return note, None
        title = f"{v['vocabulary']:,} ids at {v['ratio']:,}x (D = {embedding_dim})"
        return html_table(t) + note, collision_figure(t, title=title)

    return Panel(controls, render, title="<b>Uniqueness at equal memory</b>")


def budget_widget(num_embeddings: int = 10**9, *, embedding_dim: int = 64,
                  device: str = "phone app (50 MB)", methods: tuple = LESSON_METHODS) -> Panel:
    """Vocabulary, dimension, memory budget (or a device): each method's configuration and bytes.

    Example:
        >>> p = budget_widget(10**6, embedding_dim=16, device="wearable (2 MB)")
        >>> from bhlib.teaching import DEVICES
        >>> p.controls["device"].value = "datacenter GPU (80 GB)"
        >>> p.controls["budget"].value == DEVICES["datacenter GPU (80 GB)"]
        True
    """
    controls = {
        "vocabulary": widgets.FloatLogSlider(value=num_embeddings, base=10, min=2, max=11,
                                             step=0.5, description="vocabulary V", style=_STYLE,
                                             layout=_WIDE, readout_format=".3g",
                                             continuous_update=False),
        "dim": widgets.Dropdown(options=[4, 8, 16, 32, 64, 128, 256], value=embedding_dim,
                                description="dim D", style=_STYLE),
        "device": widgets.Dropdown(options=[*DEVICES, "custom"], value=device,
                                   description="device", style=_STYLE, layout=_WIDE),
        "budget": widgets.FloatLogSlider(value=DEVICES[device], base=10, min=3, max=12,
                                         step=0.1, description="budget (bytes)", style=_STYLE,
                                         layout=_WIDE, readout_format=".3g",
                                         continuous_update=False),
        "optimizer": widgets.Dropdown(options=[("none (inference)", "none"), ("SGD", "sgd"),
                                               ("Adagrad", "adagrad"), ("Adam", "adam")],
                                      value="adam", description="optimizer", style=_STYLE),
    }

    def render(v):
        v_ids = int(round(v["vocabulary"]))
        optimizer = None if v["optimizer"] == "none" else v["optimizer"]
        t = budget_table(v_ids, v["dim"], v["budget"], optimizer=optimizer, methods=methods)
        full = v_ids * v["dim"] * bytes_per_parameter(optimizer)
        use = "for inference" if optimizer is None else f"to train with {v['optimizer']}"
        head = (f"<p>V = {v_ids:,} ids, D = {v['dim']}: the full table is "
                f"{format_bytes(full)} {use}; budget "
                f"{format_bytes(v['budget'])}</p>")
        shown = t[["method", "fits", "config", "num_rows", "memory", "achieved_ratio"]]
        return head + html_table(shown), memory_figure(t, v["budget"],
                                                       training=optimizer is not None)

    def adjust(name, new):
        device = controls["device"].value
        if name == "device" and new != "custom":  # a preset sets the budget
            controls["budget"].value = DEVICES[new]
        elif name == "budget" and device != "custom" and DEVICES[device] != new:
            controls["device"].value = "custom"  # a budget of one's own

    return Panel(controls, render, title="<b>Memory budgets, from a server to a phone</b>",
                 adjust=adjust, columns=2)


def results_widget(summary: pd.DataFrame, *, baseline: str = "full") -> Panel:
    """A sweep's summary: pick the dataset and the measure, see the grid and AUC against size.

    Every (dataset, measure) view is drawn when the panel is built (about 0.5 s each).

    Example:
        >>> s = pd.DataFrame({"dataset": "d", "method": ["full", "hash"],
        ...     "target_ratio": [1.0, 10.0], "num_seeds": 1, "embedding_params": [1e4, 1e3],
        ...     "auc_mean": [0.8, 0.77], "auc_std": 0.0, "logloss_mean": [0.5, 0.52],
        ...     "retained_auc": [1.0, 0.9625], "retained_lift": [1.0, 0.9]})
        >>> p = results_widget(s)
        >>> p.controls["measure"].value = "retained_lift"
        >>> "0.9" in p.html.value
        True
    """
    measures = [("AUC", "auc_mean"), ("logloss", "logloss_mean"), ("AUC / full", "retained_auc"),
                ("lift / full", "retained_lift")]
    controls = {
        "dataset": widgets.Dropdown(options=list(dict.fromkeys(summary["dataset"])),
                                    description="dataset", style=_STYLE),
        "measure": widgets.ToggleButtons(options=measures, description="measure", style=_STYLE),
    }

    def render(v):
        grid = measure_table(summary, v["dataset"], v["measure"])
        return html_table(grid, index=True), auc_vs_params_figure(
            summary, v["dataset"], baseline=baseline, measure=v["measure"])

    panel = Panel(controls, render, title="<b>Accuracy versus size</b>")
    # a few settings only (datasets x 4 measures): draw them all now, so no move waits
    panel.precompute([{"dataset": d, "measure": m} for d in controls["dataset"].options
                      for _, m in measures], desc="drawing the views")
    return panel


def curves_widget(records: list, dataset: str, *, baseline: str = "full") -> Panel:
    """Training curves of a sweep: pick the target ratio and the methods to compare.

    The view of each ratio with every method is drawn when the panel is built.

    Example:
        >>> recs = [{"dataset": "d", "method": m, "target_ratio": r, "seed": 0, "status": "ok",
        ...          "curve": [{"epoch": e, "valid_auc": 0.7 + e / 100, "train_loss": 0.6 - e / 100}
        ...                    for e in (1, 2)]} for m, r in (("full", 1.0), ("hash", 10.0))]
        >>> p = curves_widget(recs, "d")
        >>> p.controls["methods"].value = ("full",)
        >>> "hash" in p.html.value
        False
    """
    ok = [r for r in records if r.get("dataset") == dataset and r.get("status") == "ok"]
    ratios = sorted({float(r["target_ratio"]) for r in ok if r["method"] != baseline})
    methods = list(dict.fromkeys(r["method"] for r in ok))
    controls = {
        "ratio": widgets.Dropdown(options=[(f"{x:g}x", x) for x in ratios] or [("1x", 1.0)],
                                  description="target ratio", style=_STYLE),
        "methods": widgets.SelectMultiple(options=methods, value=tuple(methods),
                                          description="methods", style=_STYLE,
                                          rows=min(7, max(2, len(methods)))),
    }

    def render(v):
        chosen = [r for r in ok if r["method"] in v["methods"]]
        if not chosen:
            raise ValueError("select at least one method")
        table = curve_table(chosen, dataset, ratio=v["ratio"], baseline=baseline)
        return html_table(table), convergence_figure(chosen, dataset, ratio=v["ratio"],
                                                     baseline=baseline)

    panel = Panel(controls, render, title=f"<b>Convergence on {_html.escape(dataset)}</b>")
    # every ratio with all methods drawn now; a subset of methods is drawn when first chosen
    panel.precompute([{"ratio": r, "methods": tuple(methods)} for r in ratios],
                     desc="drawing the views")
    return panel

"""The "try it" panel of notebook 07: does one data-parallel replica of each scheme fit a device?

A thin view (:class:`bhlib.teaching.panel.Panel`) over :func:`bhlib.teaching.replication_table`
and :func:`bhlib.teaching.bytes_per_process_figure`, for Binary Code based Hash Embedding (Yan et
al., CIKM 2021, arXiv 2109.02471) and its rivals. Re-exported by :mod:`bhlib.teaching.widgets`
(``widgets.replication_widget``); it lives in its own module to keep that one short.
"""
from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from .._checks import check_choice, check_int
from ..display import format_bytes, html_table
from ..embeddings import COMPARED_METHODS
from .figures import bytes_per_process_figure
from .panel import Panel
from .scaling import SCALE_DEVICES, bytes_per_process_table, replication_table

__all__ = ["replication_widget"]

_STYLE = {"description_width": "120px"}
_WIDE = widgets.Layout(width="480px")
RATIOS = (10, 100, 1_000, 10_000)  # the ratio slider's stops
CURVE_IDS = tuple(int(round(10 ** e)) for e in np.arange(4, 12.01, 0.25))  # the figure's x


def replication_widget(num_ids: int = 10**9, *, device: str = "GPU (80 GB)", ratio: int = 1000,
                       methods: Sequence[str] = COMPARED_METHODS,
                       embedding_dim: int = 16) -> Panel:
    """Vocabulary (log scale), target ratio and a device's memory: the bytes each data-parallel
    process holds for every method, whether one replica fits, and the devices a sharded table
    would need.

    The figure's lines (every method at every stop of the ratio slider) are computed when the
    panel is built (closed form, a fraction of a second), so a move draws one figure.

    Example:
        >>> p = replication_widget(10**9, device="GPU (80 GB)")
        >>> p.controls["device"].value = "GPU (16 GB)"
        >>> p.controls["memory"].value == SCALE_DEVICES["GPU (16 GB)"]
        True
        >>> p.controls["vocabulary"].value = 10**6
        >>> "1,000,000 ids" in p.html.value
        True
    """
    check_int(num_ids, "num_ids", low=1)
    check_choice(device, "device", SCALE_DEVICES)
    check_choice(ratio, "ratio", RATIOS)
    methods = tuple(methods)
    controls = {
        "vocabulary": widgets.FloatLogSlider(value=num_ids, base=10, min=4, max=12, step=0.25,
                                             description="vocabulary V", style=_STYLE,
                                             layout=_WIDE, readout_format=".3g",
                                             continuous_update=False),
        "ratio": widgets.SelectionSlider(options=list(RATIOS), value=ratio,
                                         description="target ratio", style=_STYLE,
                                         layout=_WIDE, continuous_update=False),
        "device": widgets.Dropdown(options=[*SCALE_DEVICES, "custom"], value=device,
                                   description="device", style=_STYLE, layout=_WIDE),
        "memory": widgets.FloatLogSlider(value=SCALE_DEVICES[device], base=10, min=8, max=12,
                                         step=0.1, description="memory (bytes)", style=_STYLE,
                                         layout=_WIDE, readout_format=".3g",
                                         continuous_update=False),
    }
    curves = {r: bytes_per_process_table(CURVE_IDS, ratio=r, methods=methods,
                                         embedding_dim=embedding_dim) for r in RATIOS}

    def render(v):
        v_ids, memory = int(round(v["vocabulary"])), v["memory"]
        t = replication_table(v_ids, memory, ratio=v["ratio"], methods=methods,
                              embedding_dim=embedding_dim)
        head = (f"<p>V = {v_ids:,} ids, D = {embedding_dim}, Adam: every process holds a "
                f"full copy of this; {format_bytes(memory)} per process. "
                f"<code>num_shards</code>: the devices a sharded table would need.</p>")
        skipped = t[t["skipped"] != ""]
        note = "".join(f"<p>Skipped: {r.skipped}</p>" for r in skipped.itertuples())
        name = v["device"] if v["device"] != "custom" else "memory"
        shown = t.drop(columns="skipped")
        return head + html_table(shown) + note, bytes_per_process_figure(
            curves[v["ratio"]], {f"{name} ({format_bytes(memory)})": memory}, mark=v_ids)

    def adjust(name, new):
        chosen = controls["device"].value
        if name == "device" and new != "custom":  # a preset sets the memory
            controls["memory"].value = SCALE_DEVICES[new]
        elif name == "memory" and chosen != "custom" and SCALE_DEVICES[chosen] != new:
            controls["device"].value = "custom"  # a memory of one's own

    return Panel(controls, render, title="<b>Replicate or shard? Bytes per data-parallel "
                                         "process</b>", adjust=adjust, columns=2)

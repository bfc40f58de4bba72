"""How fast a panel answers: move every control of a widget panel headless and time each view.

The panels teach Binary Code based Hash Embedding (Yan et al., CIKM 2021, arXiv 2109.02471) and
its rivals; this module only measures them.

A class can only follow a notebook whose controls answer at once; the target is 0.5 s (95th
percentile) and 1 s at worst per change. :func:`panel_latency` moves each control of a
:class:`bhlib.teaching.panel.Panel` through the values it offers (every option of a dropdown,
slider stops from end to end, a few texts) and times, for each move, the panel's re-render (its
table and its figure, SVG writing included); :func:`latency_summary` gives p50 / p95 / max per
panel. ``make bench`` runs them on every panel of the notebooks (``bench/widgets.py``).
"""
from __future__ import annotations

import time

import ipywidgets as widgets
import numpy as np
import pandas as pd

from .._checks import check_int
from .panel import Panel

__all__ = ["control_moves", "panel_latency", "latency_summary"]


def _spread(values: list, num_values: int) -> list:
    """At most ``num_values`` of ``values``, evenly spread, both ends included."""
    if len(values) <= num_values:
        return list(values)
    picks = np.linspace(0, len(values) - 1, num_values).round().astype(int)
    return [values[i] for i in dict.fromkeys(picks.tolist())]


def control_moves(control: widgets.ValueWidget, *, num_values: int = 8) -> list:
    """The values :func:`panel_latency` gives ``control``: what a user can pick, spread out.

    Example:
        >>> control_moves(widgets.IntSlider(value=3, min=1, max=5))
        [1, 2, 3, 4, 5]
        >>> control_moves(widgets.Dropdown(options=[("a", 1), ("b", None)]))
        [1, None]
    """
    num_values = check_int(num_values, "num_values", low=2)
    if isinstance(control, widgets.SelectMultiple):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return [tuple(options[:k]) for k in range(len(options), 0, -1)][:num_values]
    if hasattr(control, "options"):  # dropdowns, toggle buttons, selection sliders
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return _spread(values, num_values)
    if isinstance(control, (widgets.FloatLogSlider,)):
        exponents = np.linspace(control.min, control.max, num_values)
        return [float(control.base ** e) for e in exponents]
    if isinstance(control, (widgets.IntSlider, widgets.BoundedIntText)):
        return _spread(list(range(control.min, control.max + 1)), num_values)
    if isinstance(control, (widgets.FloatSlider, widgets.BoundedFloatText)):
        return [float(x) for x in np.linspace(control.min, control.max, num_values)]
    if isinstance(control, widgets.Text):
        return [control.value + "x", "bob", "12345", control.value]
    raise TypeError(f"control must be a slider, dropdown, toggle or text widget, got "
                    f"{type(control).__name__}")


def panel_latency(panel: Panel, *, num_values: int = 8) -> pd.DataFrame:
    """Move every control of ``panel`` through :func:`control_moves` and time each re-render.

    Each move sets one control (the panel re-renders synchronously, as in a kernel) and is timed
    from the change to the new HTML and figure; ``changed`` says whether the view differs from
    the one before. Each control starts from the panel's initial settings (the one moved before
    it is put back first, untimed), and all are put back at the end.

    Example:
        >>> p = Panel({"n": widgets.IntSlider(3, min=1, max=4)}, lambda v: (str(v["n"]), None))
        >>> t = panel_latency(p)
        >>> t[["control", "value", "changed"]].values.tolist()[:2]
        [['n', 1, True], ['n', 2, True]]
    """
    if not isinstance(panel, Panel):
        raise TypeError(f"panel must be a bhlib.teaching Panel, got {type(panel).__name__}")
    start = panel.values()
    rows = []
    for name, control in panel.controls.items():
        with panel.hold():
            for other, value in start.items():
                panel.controls[other].value = value
        for value in control_moves(control, num_values=num_values):
            if value == control.value:
                continue
            before = (panel.html.value, panel.image.value)
            t0 = time.perf_counter()
            control.value = value
            seconds = time.perf_counter() - t0
            after = (panel.html.value, panel.image.value)
            rows.append({"control": name, "value": value, "seconds": seconds,
                         "changed": after != before})
    with panel.hold():
        for name, value in start.items():
            panel.controls[name].value = value
    return pd.DataFrame(rows, columns=["control", "value", "seconds", "changed"])


def latency_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per panel: moves timed, p50 / p95 / max seconds, and the slowest control.

    Example:
        >>> t = pd.DataFrame({"control": ["a", "a", "b"], "value": [1, 2, 3],
        ...                   "seconds": [0.1, 0.2, 0.4], "changed": True})
        >>> latency_summary({"p": t})[["panel", "moves", "max_s", "slowest"]].values.tolist()
        [['p', 3, 0.4, 'b']]
    """
    rows = []
    for panel, t in tables.items():
        s = t["seconds"].to_numpy()
        rows.append({"panel": panel, "moves": len(t), "p50_s": float(np.quantile(s, 0.5)),
                     "p95_s": float(np.quantile(s, 0.95)), "max_s": float(s.max()),
                     "slowest": t.loc[t["seconds"].idxmax(), "control"],
                     "unchanged_moves": int((~t["changed"]).sum())})
    return pd.DataFrame(rows)

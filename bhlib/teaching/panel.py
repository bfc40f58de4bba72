"""The panel every widget of the notebooks is: controls, an HTML part and a figure.

A :class:`Panel` wires its controls (``observe``) to one pure ``render`` function that returns a
table (as HTML) and a figure, and re-renders whenever a control changes. Tables go to an ``HTML``
widget and figures to an ``Image`` widget as SVG (sharp at any size), so a test can build a panel
without a kernel, move ``panel.controls[name].value`` and read ``panel.html.value`` /
``panel.image.value``. Bad settings are shown as a message in the panel, never raised into the
notebook.

``render`` is pure, so each view is kept once drawn (the last ``cache`` settings): going back to
a setting costs nothing, and :meth:`Panel.precompute` draws a list of settings ahead (for panels
whose settings are few, so that no move waits for matplotlib).
"""
from __future__ import annotations

import base64
import gc
import html as _html
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
from tqdm.auto import tqdm

from .._checks import check_int
from ..display import figure_svg

__all__ = ["Panel"]


def _svg_width_pt(svg: bytes) -> float:
    """The width, in points, that matplotlib writes into an SVG's root element."""
    head = svg[:2000].decode("ascii", "replace")
    match = re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', head)
    if match is None:
        raise ValueError("the SVG has no width in pt; was it written by matplotlib?")
    return float(match.group(1))


class Panel(widgets.VBox):
    """Controls, then an HTML part and a figure, re-rendered whenever a control's value changes.

    Args:
        controls: name -> value widget; ``panel.controls`` keeps them for tests.
        render: ``render(values) -> (html, figure or None)`` with ``values`` the controls' values.
        title: a line of HTML above the controls.
        adjust: ``adjust(name, new_value)``, called when control ``name`` changes and before the
            panel renders, to keep other controls consistent (bounds, presets); the panel renders
            once after all the changes it causes.

    Example:
        >>> p = Panel({"n": widgets.IntSlider(3)}, lambda v: (f"<b>{v['n'] ** 2}</b>", None))
        >>> p.controls["n"].value = 4
        >>> p.html.value
        '<b>16</b>'
    """

    def __init__(self, controls: dict[str, widgets.ValueWidget],
                 render: Callable[[dict[str, Any]], tuple[str, Any]], *, title: str = "",
                 adjust: Callable[[str, Any], None] | None = None, cache: int = 256,
                 columns: int = 1) -> None:
        self.controls = controls
        self.render = render
        self.adjust = adjust
        self._cache_size = check_int(cache, "cache", low=0)
        self._views: OrderedDict = OrderedDict()
        # the table and the figure side by side where the page is wide enough, else stacked;
        # a table wider than the page scrolls sideways instead of being cut off
        self.html = widgets.HTML(layout=widgets.Layout(max_width="100%", overflow="auto",
                                                       flex="0 1 auto"))
        self.image = widgets.Image(format="svg+xml", layout=widgets.Layout(max_width="100%"))
        self._held = False
        view = widgets.Box([self.html, self.image], layout=widgets.Layout(
            display="flex", flex_flow="row wrap", align_items="flex-start", grid_gap="8px 24px"))
        columns = check_int(columns, "columns", low=1)
        if columns == 1:
            rows = list(controls.values())
        else:  # column j holds controls j, j + columns, ...
            items = list(controls.values())
            rows = [widgets.HBox([widgets.VBox(items[j::columns]) for j in range(columns)],
                                 layout=widgets.Layout(grid_gap="0 16px", flex_flow="row wrap"))]
        self.title = title
        super().__init__([widgets.HTML(title), *rows, view])
        for name, c in controls.items():
            c.observe(lambda change, name=name: self._changed(name, change["new"]), names="value")
        self.refresh()

    def _changed(self, name: str, new: Any) -> None:
        with self.hold():
            if self.adjust is not None:
                self.adjust(name, new)

    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {k: c.value for k, c in self.controls.items()}

    @contextmanager
    def hold(self):
        """Change several controls, render once at the end."""
        held, self._held = self._held, True
        try:
            yield
        finally:
            self._held = held
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        """The widget, plus its current view as HTML for front ends that cannot draw widgets."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        static = self.title + self.html.value
        if self.image.value:
            data = base64.b64encode(self.image.value).decode("ascii")
            static += (f'<img src="data:image/svg+xml;base64,{data}" '
                       f'style="width:{self.image.layout.width};max-width:100%" alt="figure">')
        note = ("<p><i>A still picture of this panel: run the notebook (in JupyterLab, trust it "
                "first) to move its controls.</i></p>")
        return {**bundle, "text/html": static + note,
                "text/plain": f"Panel {_html.unescape(re.sub('<[^>]+>', '', self.title))!r}: "
                              "run the notebook to use its controls"}

    def view(self, values: dict[str, Any]) -> tuple[str, bytes]:
        """The HTML and the SVG (``b""`` for none) that ``values`` show, drawn once and kept.

        Example:
            >>> p = Panel({"n": widgets.IntSlider(3)}, lambda v: (str(v["n"] * 2), None))
            >>> p.view({"n": 5})
            ('10', b'')
        """
        try:
            key = tuple(sorted(values.items()))
            hash(key)
        except TypeError:  # a value that cannot be a key: draw it every time
            key = None
        if key is not None and key in self._views:
            self._views.move_to_end(key)
            return self._views[key]
        # no garbage collection while drawing: matplotlib allocates many objects, and a full
        # collection in the middle (a quarter of a second with a sweep's records in memory)
        # would double the wait; it runs after the view is drawn instead
        collecting = gc.isenabled()
        gc.disable()
        try:
            try:
                text, fig = self.render(values)
            except (ValueError, TypeError) as err:
                text, fig = f'<p style="color:#b00020">{_html.escape(str(err))}</p>', None
            out = (text, figure_svg(fig) if fig is not None else b"")
        finally:
            if collecting:
                gc.enable()
        if key is not None and self._cache_size:
            self._views[key] = out
            while len(self._views) > self._cache_size:
                self._views.popitem(last=False)
        return out

    def precompute(self, settings: Iterable[dict[str, Any]], *, desc: str = "drawing views",
                   progress: bool = True) -> int:
        """Draw the views of ``settings`` (each a dict of some controls' values, the others as
        they are now) ahead of time, with a progress bar if it takes over 2 s; returns how many
        were drawn.

        Example:
            >>> p = Panel({"n": widgets.IntSlider(3)}, lambda v: (str(v["n"]), None))
            >>> p.precompute([{"n": k} for k in range(5)], progress=False)
            5
        """
        settings = list(settings)
        for s in settings:
            unknown = set(s) - set(self.controls)
            if unknown:
                raise ValueError(f"settings name controls {sorted(unknown)} that the panel "
                                 f"does not have; it has {list(self.controls)}")
        now = self.values()
        for s in tqdm(settings, desc=desc, leave=False, disable=not progress, delay=2.0):
            self.view({**now, **s})
        return len(settings)

    def refresh(self) -> None:
        """Render the current values into ``html`` and ``image``."""
        if self._held:
            return
        text, svg = self.view(self.values())
        self.html.value = text
        self.image.value = svg
        self.image.layout.display = None if svg else "none"
        if svg:  # shown at 80% of its size at 96 dpi: the panel fits a 1280 x 800 screen
            self.image.layout.width = f"{_svg_width_pt(svg) * 96 / 72 * 0.8:.0f}px"

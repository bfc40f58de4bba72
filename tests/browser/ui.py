"""What the browser tests do in a page: collect console errors, find the widget panels, move
their controls with real input and time how long the panel's view takes to change.

A panel (``bhlib.teaching.panel.Panel``, an ipywidgets ``VBox``) is an outermost ``.widget-vbox``
holding a title (its first ``.widget-html``), the controls, the table (its last ``.widget-html``)
and the figure (``img.widget-image``, an SVG blob whose ``src`` changes with its value), at
whatever depth the panel's layout puts them. A move is one user action on one control: a key on
a focused slider handle, a click on a toggle button, an entry chosen in a ``<select>``, text
typed then Enter. Its latency is measured in the page, from the input event to the first
animation frame showing a different table or figure.
"""
from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager

from .servers import REPO

BUDGET_S = 2.0  # per move; the target is 0.5 s, a 4x margin for a browser and a kernel on 2 cores

# A panel is an outermost .widget-vbox (a VBox inside one is part of it, not another panel);
# a quiz (bhlib.teaching.quiz_view, class bh-quiz) is not a panel.
PANELS = ".widget-vbox:not(.widget-vbox .widget-vbox):not(.bh-quiz)"
QUIZ = ".widget-vbox.bh-quiz"
CONTROLS = (".widget-slider, .widget-toggle-buttons, .widget-dropdown, .widget-select-multiple, "
            ".widget-text")
# A panel's view: the figure's src (and whether it shows) and the table's HTML (the last
# .widget-html; the first is the title), wherever the panel's layout puts them.
VIEW_JS = """el => {
  const img = el.querySelector('img.widget-image');
  const html = el.querySelectorAll('.widget-html');
  return (img ? img.getAttribute('src') + ' ' + img.style.display : '') + '|' +
         (html.length > 1 ? html[html.length - 1].innerHTML : '');
}"""

# The first input event after arming, in page time (capturing listeners see every one).
ARM_JS = """() => {
  if (!window.__bh) {
    window.__bh = {armed: false, input: null};
    for (const ev of ['keydown', 'mousedown', 'input', 'change']) {
      document.addEventListener(ev, () => {
        if (window.__bh.armed && window.__bh.input === null) window.__bh.input = performance.now();
      }, true);
    }
  }
  window.__bh.armed = true; window.__bh.input = null;
}"""

# True (and the page time) on the first animation frame where the view differs from ``old``.
CHANGED_JS = "([el, old]) => { const now = (" + VIEW_JS + """)(el);
  if (now === old) return false;
  window.__bh.armed = false; return performance.now(); }"""

# Console text that means a widget did not render: always a failure.
WIDGET_ERRORS = re.compile(r"widget model not found|Could not create a view|Could not create "
                           r"model|Error displaying widget|Failed to (load|create) (model|view)|"
                           r"Class \S+ not found in module", re.I)
# The machines have no internet: fetches of anything but the local server fail, and Chromium
# logs them ("Failed to load resource: net::ERR_..."). That is the closed network, not the app.
NETWORK_NOISE = re.compile(r"net::ERR_(NAME_NOT_RESOLVED|INTERNET_DISCONNECTED|CONNECTION_"
                           r"REFUSED|ADDRESS_UNREACHABLE|TIMED_OUT|NETWORK_ACCESS_DENIED)")


@contextmanager
def tall_viewport(page, scroller: str, max_height: int = 16000):
    """The viewport grown by what ``scroller`` (the page's scrolling element) hides, so that a
    screenshot shows the whole document and a tall panel whole; restored afterwards."""
    size = page.viewport_size
    hidden = page.evaluate("s => { const o = document.querySelector(s); "
                           "return o ? o.scrollHeight - o.clientHeight : 0; }", scroller)
    page.set_viewport_size({"width": size["width"],
                            "height": min(size["height"] + hidden, max_height)})
    page.evaluate("s => { const o = document.querySelector(s); if (o) o.scrollTop = 0; }",
                  scroller)
    page.wait_for_timeout(300)  # one layout
    try:
        yield
    finally:
        page.set_viewport_size(size)


def expected_panels(name: str) -> int:
    """How many code cells of the committed notebook call a ``widgets.*_widget(...)`` panel
    builder (the quiz, ``widgets.quiz_widget``, is not a panel)."""
    nb = json.loads((REPO / "notebooks" / name).read_text())
    return sum(bool(re.search(r"widgets\.(?!quiz_)\w+_widget\(", "".join(c["source"])))
               for c in nb["cells"] if c["cell_type"] == "code")


class Console:
    """Every console message and uncaught error of a page, and the ones a test must fail on."""

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.errors.append(f"uncaught: {err}"))

    def _console(self, msg) -> None:
        url = (msg.location or {}).get("url", "")
        line = f"[{msg.type}] {msg.text}" + (f" ({url})" if url else "")
        self.messages.append(line)
        widget = WIDGET_ERRORS.search(msg.text) and msg.type in ("error", "warning")
        if widget or (msg.type == "error" and not NETWORK_NOISE.search(msg.text)):
            self.errors.append(line)

    def report(self) -> str:
        return "console:\n  " + "\n  ".join(self.messages[-40:])


# How many panels under ``root`` are whole: title and table (two .widget-html) and the figure
# (an img with a src, or hidden when the panel has no figure to show), and some controls.
WHOLE_JS = """root => [...root.querySelectorAll('""" + PANELS + """')].filter(el => {
  const img = el.querySelector('img.widget-image');
  return el.querySelectorAll('.widget-html').length >= 2 &&
         el.querySelector('""" + CONTROLS + """') && img &&
         (img.getAttribute('src') || img.style.display === 'none');
}).length"""


def wait_whole(page, root, n: int, timeout_s: float) -> None:
    """Wait until ``n`` panels under ``root`` (an element handle) are whole (see ``WHOLE_JS``)."""
    page.wait_for_function(f"([root, n]) => ({WHOLE_JS})(root) >= n", arg=[root, n],
                           timeout=timeout_s * 1000, polling=100)


def view(panel) -> str:
    return panel.evaluate(VIEW_JS)


def control_kind(control) -> str:
    """One of text, number, toggle, dropdown, multiple, slider, html, image, other."""
    cls = control.get_attribute("class") or ""
    if "widget-image" in cls:
        return "image"
    if "widget-html" in cls:
        return "html"
    if "widget-toggle-buttons" in cls:
        return "toggle"
    if "widget-slider" in cls:
        return "slider"
    if "widget-select-multiple" in cls:
        return "multiple"
    if "widget-dropdown" in cls:
        return "dropdown"
    if "widget-text" in cls or "widget-inline-hbox" in cls:
        kind = control.locator("input").first.get_attribute("type") if control.locator(
            "input").count() else None
        return {"text": "text", "number": "number"}.get(kind, "other")
    return "other"


def controls(panel) -> list:
    """The panel's controls, in page order: ``(label, kind, locator)``."""
    found = panel.locator(CONTROLS)
    out = []
    for i in range(found.count()):
        control = found.nth(i)
        label = control.locator(":scope > label.widget-label").first
        name = label.inner_text().strip() if label.count() else f"#{i}"
        out.append((name, control_kind(control), control))
    return out


def planned_moves(kind: str, control) -> list[tuple[str, object, object]]:
    """``(what, prepare, commit)`` for each move a control allows now; ``commit`` is timed."""
    if kind == "slider":
        handle = control.locator(".noUi-handle").first
        now, top = (float(handle.get_attribute(a) or 0) for a in ("aria-valuenow",
                                                                   "aria-valuemax"))
        key = "ArrowLeft" if now >= top else "ArrowRight"
        return [(f"{key} on the handle", handle.focus, lambda: handle.press(key))]
    if kind == "toggle":
        buttons = control.locator("button")
        names = [buttons.nth(i).inner_text().strip() for i in range(buttons.count())]
        active = [i for i in range(buttons.count())
                  if "mod-active" in (buttons.nth(i).get_attribute("class") or "")]
        if len(names) < 2 or not active:
            return []
        was = active[0]
        other = next(i for i in range(len(names)) if i != was)
        return [(f"click {names[other]!r}", None, buttons.nth(other).click),
                (f"click {names[was]!r} (back)", None, buttons.nth(was).click)]
    if kind == "dropdown":
        select = control.locator("select")
        n = select.locator("option").count()
        if n < 2:
            return []
        i = select.evaluate("s => s.selectedIndex")
        j = (i + 1) % n
        label = select.locator("option").nth(j).inner_text().replace("\xa0", " ").strip()
        return [(f"choose {label!r}", None, lambda: select.select_option(index=j))]
    if kind == "multiple":
        select = control.locator("select")
        picked = select.evaluate("s => [...s.selectedOptions].map(o => o.index)")
        n = select.locator("option").count()
        if n < 2 or not picked:
            return []
        other = picked[:-1] if len(picked) > 1 else [(picked[0] + 1) % n]
        return [(f"select options {other}", None, lambda: select.select_option(index=other)),
                (f"select options {picked} (back)", None,
                 lambda: select.select_option(index=picked))]
    if kind == "text":
        box = control.locator("input")
        new = box.input_value() + "1"
        return [(f"type {new!r} + Enter", lambda: box.fill(new), lambda: box.press("Enter"))]
    if kind == "number":
        box = control.locator("input")
        now = int(float(box.input_value()))
        top = box.get_attribute("max")
        new = now - 1 if top is not None and now >= float(top) else now + 1
        return [(f"type {new} + Enter", lambda: box.fill(str(new)), lambda: box.press("Enter"))]
    return []


def move(page, panel, prepare, commit, timeout_s: float) -> tuple[float, float] | None:
    """Do one move; ``(page_ms, wall_ms)`` once the view changed, None if not in ``timeout_s``.

    ``page_ms`` runs from the input event to the animation frame that first shows the new view
    (what the user waits for); ``wall_ms`` from the test's action to its seeing the change
    (adds playwright's round trips).
    """
    old = view(panel)
    if prepare is not None:
        prepare()
    page.evaluate(ARM_JS)
    start = time.perf_counter()
    commit()
    try:
        changed = page.wait_for_function(CHANGED_JS, arg=[panel.element_handle(), old],
                                         polling="raf", timeout=timeout_s * 1000)
    except Exception as err:  # playwright's TimeoutError
        if "Timeout" not in type(err).__name__:
            raise
        return None
    wall_ms = (time.perf_counter() - start) * 1000
    page_ms = changed.json_value() - page.evaluate("() => window.__bh.input")
    return page_ms, wall_ms


def exercise(page, panel, *, surface: str, notebook: str, record: list, budget_s: float,
             timeout_s: float = 10.0, min_moves: int = 2) -> list[str]:
    """Move every movable control of ``panel`` (toggles and multiple selections there and back);
    the failures, if any.

    Each move must change the panel's view within ``budget_s`` (in the page); each is appended
    to ``record``. A panel must allow at least ``min_moves`` moves.
    """
    failures, done = [], 0
    title = panel.locator(".widget-html").first.inner_text().strip()
    for name, kind, control in controls(panel):
        for what, prepare, commit in planned_moves(kind, control):
            result = move(page, panel, prepare, commit, timeout_s)
            if result is None:
                failures.append(f"{title}: {name} ({kind}) {what}: the view did not change in "
                                f"{timeout_s:.0f} s")
                continue
            page_ms, wall_ms = result
            done += 1
            record.append({"surface": surface, "notebook": notebook, "panel": title,
                           "control": name, "kind": kind, "move": what,
                           "page_ms": round(page_ms, 1), "wall_ms": round(wall_ms, 1)})
            if page_ms > budget_s * 1000:
                failures.append(f"{title}: {name} {what}: {page_ms:.0f} ms > "
                                f"{budget_s * 1000:.0f} ms")
    if done < min_moves:
        failures.append(f"{title}: only {done} moves possible (want {min_moves})")
    return failures


def panel_problems(panel) -> list[str]:
    """What is wrong with a rendered panel: no controls, no table or figure, error text."""
    problems = []
    title = panel.locator(".widget-html").first.inner_text().strip()
    if not controls(panel):
        problems.append(f"{title}: no controls")
    img = panel.locator("img.widget-image")
    shown = img.count() and img.first.get_attribute("src") and img.first.is_visible()
    htmls = panel.locator(".widget-html")
    if not shown and htmls.count() < 2:
        problems.append(f"{title}: neither a figure nor a table")
    text = panel.inner_text()
    if re.search(r"Traceback|Error displaying widget", text):
        problems.append(f"{title}: {text[:300]}")
    return problems

"""The notebooks as Voila dashboards in headless Chromium (1280x800): they execute without error,
their panels fit the screen and respond to real input.

Voila executes a notebook on each page load, so by default only 01, 02 and 04 (about 10 s each)
are served here; 03 (collision tables, ~30 s) and 05/06 (training) run in JupyterLab's test.
``BHLIB_VOILA_NOTEBOOKS=all`` (or a list of prefixes, ``01,03``) chooses others.
"""
from __future__ import annotations

import os
import re

import pytest

from . import servers, ui

CHOSEN = os.environ.get("BHLIB_VOILA_NOTEBOOKS", "01,02,04")
VOILA_NOTEBOOKS = [n for n in servers.NOTEBOOKS
                   if CHOSEN == "all" or n[:2] in CHOSEN.replace(" ", "").split(",")]
VIEWPORT = {"width": 1280, "height": 800}
SCROLLER = "#rendered_cells"  # Voila's lab template scrolls this, not the body
LOAD_TIMEOUT_S = 240  # 05 (if chosen) trains for 30-100 s on a loaded machine
ERRORS_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output, .jp-Cell-outputWrapper')]
  .map(o => o.innerText || '')
  .filter(t => /Traceback \\(most recent call last\\)|There was an error when executing/.test(t))
  .map(t => t.slice(0, 600))"""
SIZE_JS = """el => { const r = el.getBoundingClientRect();
  return [Math.round(r.width), Math.round(r.height), el.scrollWidth, el.scrollHeight]; }"""


@pytest.mark.parametrize("name", VOILA_NOTEBOOKS)
def test_voila_dashboard(browser, voila, shots_dir, report, name):
    """The dashboard renders without error output or widget console errors; each panel's
    controls move its view in time, and each panel fits a 1280x800 screen."""
    want = ui.expected_panels(name)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = ui.Console(page)
    sockets = []  # the kernel's websocket: .../api/kernels/<id>/channels
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        page.goto(f"{voila.url}/voila/render/{name}", wait_until="commit", timeout=60_000)
        panels = page.locator(ui.PANELS)
        try:
            ui.wait_whole(page, page.locator("body").element_handle(), want, LOAD_TIMEOUT_S)
            page.wait_for_load_state("load", timeout=30_000)
        except Exception as err:
            pytest.fail(f"{name}: no panel after {LOAD_TIMEOUT_S} s ({type(err).__name__}); "
                        f"errors: {page.evaluate(ERRORS_JS)}\n{console.report()}\n"
                        f"{voila.tail()}")
        errors = page.evaluate(ERRORS_JS)
        assert not errors, f"{errors}\n{voila.tail()}"
        assert panels.count() == want
        problems = [p for i in range(want) for p in ui.panel_problems(panels.nth(i))]
        assert not problems, problems
        sizes = [panels.nth(i).evaluate(SIZE_JS) for i in range(want)]  # at 1280x800
        report["voila_panels"][name] = sizes
        with ui.tall_viewport(page, SCROLLER):
            page.screenshot(path=str(shots_dir / f"voila_{name[:2]}.png"))

        failures = []
        for i in range(want):
            failures += ui.exercise(page, panels.nth(i), surface="voila", notebook=name,
                                    record=report["moves"], budget_s=ui.BUDGET_S)
        with ui.tall_viewport(page, SCROLLER):
            for i in range(want):
                shot = f"voila_{name[:2]}_panel{'' if i == 0 else i + 1}.png"
                panels.nth(i).screenshot(path=str(shots_dir / shot))
        assert not failures, failures
        too_big = [(i, w, h) for i, (w, h, _, _) in enumerate(sizes)
                   if w > VIEWPORT["width"] or h > VIEWPORT["height"]]
        assert not too_big, f"{name}: panels (index, width, height) larger than 1280x800: {too_big}"
        assert not page.evaluate(ERRORS_JS)
        assert not [e for e in console.errors if not re.search(r"voila/api/shutdown", e)], (
            f"{console.errors}\n{console.report()}")
    finally:
        page.goto("about:blank")
        context.close()
        for url in sockets:  # Voila's unload beacon cannot (see shutdown_voila_kernel)
            if "/api/kernels/" in url:
                voila.shutdown_voila_kernel(url.split("/api/kernels/")[1].split("/")[0])


"""The notebooks in JupyterLab, in headless Chromium: opened as saved, then run from the page,
without errors; every widget panel responds to real input within the latency budget.

One JupyterLab page serves the whole module (a page load costs seconds on 2 cores); each
notebook is opened in it, checked as saved, run, checked and closed with its kernel before the
next. Runs on a temporary copy (see ``servers.make_workdir``); autosave is off, nothing is saved.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from bhlib.teaching import exercises

from . import servers, ui

RUN_TIMEOUT_S = 300  # the longest notebook (05) trains 30-100 s in quick mode on 2 loaded cores

# the notebook this module opened (window.__bhNb) is ready: its kernel connected and idle
READY_JS = """() => {
  const w = window.__bhNb;
  if (!w || !w.context || !w.context.isReady) return false;
  const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}"""
OPEN_JS = """path => {
  window.__bhNb = null;
  window.jupyterapp.commands.execute('docmanager:open', {path: path, factory: 'Notebook'})
    .then(w => { window.__bhNb = w; w.node.setAttribute('data-bh-notebook', path); });
}"""
CLOSE_JS = """() => {
  const w = window.__bhNb;
  window.__bhNb = null;
  if (!w) return;
  w.sessionContext.shutdown().catch(() => {});  // the kernel goes; nothing is saved
  w.dispose();
}"""
RUN_ALL_JS = """() => {
  window.__bhRun = null;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    ok => { window.__bhRun = {ok: ok}; }, err => { window.__bhRun = {error: String(err)}; });
}"""
# every code cell has a number (none is queued, [*]) and the kernel is idle
DONE_JS = """() => {
  const w = window.__bhNb;
  const prompts = [...w.node.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)) &&
         w.sessionContext.session.kernel.status === 'idle';
}"""
# outputs that show an error: stderr with a traceback or an ...Error, or any traceback
ERRORS_JS = """() => {
  const found = [];
  window.__bhNb.node.querySelectorAll('.jp-Cell').forEach((cell, i) => {
    cell.querySelectorAll('.jp-OutputArea-output').forEach(out => {
      const text = out.innerText || '';
      const stderr = out.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr';
      if (/Traceback \\(most recent call last\\)/.test(text) ||
          (stderr && /Traceback|\\w+Error\\b/.test(text)))
        found.push('cell ' + i + ': ' + text.slice(0, 600));
    });
  });
  return found;
}"""


@dataclass
class Opened:
    """A notebook open in the module's JupyterLab page."""

    name: str
    page: object
    console: ui.Console
    root: object  # locator of the notebook's node
    panels: object  # locator of its widget panels
    want: int  # how many panels it has
    since: int  # console errors before it was opened (the later ones are its own)
    scroller: str  # selector of the element that scrolls the notebook

    def errors(self) -> list[str]:
        return self.page.evaluate(ERRORS_JS)


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """One JupyterLab page (1280x900, a fresh workspace) and its console, for the module."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = ui.Console(page)
    try:
        page.goto(f"{lab.url}/lab/workspaces/bhtest?reset", wait_until="domcontentloaded",
                  timeout=60_000)
        page.wait_for_function("() => window.jupyterapp", timeout=60_000, polling=250)
        page.evaluate("() => { window.jupyterapp.restored.then(() => { window.__bhUp = 1; }); }")
        page.wait_for_function("() => window.__bhUp", timeout=60_000, polling=250)
    except Exception as err:
        context.close()
        pytest.fail(f"JupyterLab did not start in the page: {err}\n{console.report()}\n"
                    f"{lab.tail()}")
    if console.errors:
        context.close()
        pytest.fail(f"JupyterLab's start logged errors: {console.errors}\n{lab.tail()}")
    yield page, console
    context.close()
    lab.shutdown_kernels()


@pytest.fixture(scope="module", params=servers.NOTEBOOKS)
def notebook(request, lab_page, lab) -> Opened:
    """Each notebook in turn, opened as committed with its kernel idle; closed (kernel too)
    after its tests (pytest runs every test of one notebook before opening the next)."""
    page, console = lab_page
    name = request.param
    since = len(console.errors)
    page.evaluate(OPEN_JS, f"notebooks/{name}")
    try:
        page.wait_for_function(READY_JS, timeout=120_000, polling=250)
    except Exception as err:
        page.evaluate(CLOSE_JS)
        pytest.fail(f"{name}: no idle kernel in 120 s ({err})\n{console.report()}\n{lab.tail()}")
    root = page.locator(f'[data-bh-notebook="notebooks/{name}"]')
    yield Opened(name, page, console, root, root.locator(f".jp-OutputArea-output {ui.PANELS}"),
                 ui.expected_panels(name), since,
                 f'[data-bh-notebook="notebooks/{name}"] .jp-WindowedPanel-outer')
    page.evaluate(CLOSE_JS)


def panel_path(shots, prefix: str, i: int):
    return shots / (f"{prefix}_panel.png" if i == 0 else f"{prefix}_panel{i + 1}.png")


def test_saved_state_renders_without_running(notebook, shots_dir, report):
    """Opened as committed, nothing run: untrusted (as every new reader opens it), each panel
    shows its still picture (its view as HTML, never ``Panel(children=...)``); trusted, the saved
    widget state renders; no widget error reaches the console either way."""
    nb, page = notebook, notebook.page
    as_text = """root => [...root.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => /^Panel\\(children=/.test(o.innerText)).length"""
    still = """root => [...root.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => /A still picture of this panel/.test(o.innerText)).length"""
    page.wait_for_function(  # the widget outputs rendered: as widgets, still pictures or text
        "([root, n]) => root.querySelectorAll('.jp-OutputArea-output').length > 0 && "
        "[...root.querySelectorAll('.jp-OutputArea-output')].filter(o => "
        "o.querySelector('.widget-vbox') || /A still picture of this panel/.test(o.innerText) "
        "|| /^Panel\\(children=/.test(o.innerText)).length >= n",
        arg=[nb.root.element_handle(), nb.want], timeout=30_000, polling=100)
    untrusted = {"widgets": nb.panels.count(), "as_text": nb.root.evaluate(as_text),
                 "still_pictures": nb.root.evaluate(still),
                 "still_figures": nb.root.locator(
                     '.jp-OutputArea-output img[src^="data:image/svg+xml"]').count()}
    with ui.tall_viewport(page, nb.scroller):
        nb.root.locator(".jp-OutputArea-output", has_text="A still picture of this panel").first \
            .screenshot(path=str(shots_dir / f"lab_{nb.name[:2]}_untrusted_panel.png"))
    assert untrusted["as_text"] == 0 and untrusted["still_pictures"] == nb.want, untrusted
    quiz = nb.root.locator(".jp-OutputArea-output", has_text="Answer and explanations")
    assert quiz.count() == 1, "the quiz shows its questions as HTML while untrusted"

    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:trust'); }")
    page.locator(".jp-Dialog button.jp-mod-accept").click()  # "Trust", as a user would
    ui.wait_whole(page, nb.root.element_handle(), nb.want, timeout_s=30)
    trusted = {"widgets": nb.panels.count(), "as_text": nb.root.evaluate(as_text),
               "disconnected": nb.root.locator(f"{ui.PANELS}.jupyter-widgets-disconnected")
               .count()}
    report["saved_state"][nb.name] = {"untrusted": untrusted, "trusted": trusted}
    with ui.tall_viewport(page, nb.scroller):
        for i in range(nb.panels.count()):
            nb.panels.nth(i).screenshot(path=str(panel_path(shots_dir, f"lab_{nb.name[:2]}_saved",
                                                            i)))
    assert nb.panels.count() == nb.want, f"{trusted}, want {nb.want} panels"
    problems = [p for i in range(nb.want) for p in ui.panel_problems(nb.panels.nth(i))]
    assert not problems, problems
    assert not nb.console.errors[nb.since:], (  # from opening the notebook on
        f"{nb.console.errors[nb.since:]}\n{nb.console.report()}")


def test_run_all_and_move_every_panel(notebook, lab, shots_dir, report):
    """Run all cells from the page; no error output or widget console error; every panel renders
    and each of its controls, moved with the keyboard or the mouse, changes its view in time."""
    nb, page = notebook, notebook.page
    seen = len(nb.console.errors)
    page.evaluate(RUN_ALL_JS)
    try:
        page.wait_for_function("() => window.__bhRun", timeout=RUN_TIMEOUT_S * 1000, polling=500)
        page.wait_for_function(DONE_JS, timeout=30_000, polling=250)
    except Exception as err:
        pytest.fail(f"{nb.name} did not finish in {RUN_TIMEOUT_S} s ({type(err).__name__}); "
                    f"errors: {nb.errors()}\n{lab.tail()}")
    run = page.evaluate("() => window.__bhRun")
    errors = nb.errors()
    assert not errors and run.get("ok"), f"{nb.name}: run {run}; {errors}\n{lab.tail()}"

    ui.wait_whole(page, nb.root.element_handle(), nb.want, timeout_s=30)
    assert nb.panels.count() == nb.want
    problems = [p for i in range(nb.want) for p in ui.panel_problems(nb.panels.nth(i))]
    assert not problems, problems
    with ui.tall_viewport(page, nb.scroller):
        page.screenshot(path=str(shots_dir / f"lab_{nb.name[:2]}.png"))

    failures = []
    for i in range(nb.want):
        panel = nb.panels.nth(i)
        panel.scroll_into_view_if_needed()
        failures += ui.exercise(page, panel, surface="lab", notebook=nb.name,
                                record=report["moves"], budget_s=ui.BUDGET_S)
    with ui.tall_viewport(page, nb.scroller):
        for i in range(nb.want):
            nb.panels.nth(i).screenshot(path=str(panel_path(shots_dir, f"lab_{nb.name[:2]}", i)))
    assert not failures, failures
    assert not nb.errors()  # a move must not raise in the kernel either
    assert not nb.console.errors[seen:], f"{nb.console.errors[seen:]}\n{nb.console.report()}"


def test_quiz_answers_clicks(notebook, shots_dir, report):
    """After the run: the notebook's quiz is a widget; a click on the right choice of the first
    question says "Right!", a click on a wrong choice of the second says "Not quite." with that
    choice's explanation, the score follows, each within the latency budget."""
    nb, page = notebook, notebook.page
    quiz = nb.root.locator(f".jp-OutputArea-output {ui.QUIZ}")
    assert quiz.count() == 1, f"{nb.name}: {quiz.count()} quizzes rendered"
    model = exercises.quiz(nb.name[:2])
    quiz.scroll_into_view_if_needed()
    picks = [(0, model.questions[0].right_index, "Right!"),
             (1, (model.questions[1].right_index + 1) % len(model.questions[1].choices),
              "Not quite.")]
    for k, choice, verdict in picks:
        start = time.perf_counter()
        quiz.locator(".widget-radio-box").nth(k).locator("label").nth(choice).click()
        feedback = quiz.locator(".widget-html", has_text=verdict).first
        feedback.wait_for(timeout=ui.BUDGET_S * 1000)
        report["quiz_clicks"].append({"notebook": nb.name, "question": k + 1,
                                      "choice": choice + 1,
                                      "wall_ms": round((time.perf_counter() - start) * 1000)})
        why = model.questions[k].choices[choice].why
        assert why.split("<")[0][:40] in feedback.inner_text(), feedback.inner_text()
    score = f"2 of {len(model.questions)} answered, 1 right"
    quiz.locator(".widget-html", has_text=score).wait_for(timeout=ui.BUDGET_S * 1000)
    with ui.tall_viewport(page, nb.scroller):
        quiz.screenshot(path=str(shots_dir / f"lab_{nb.name[:2]}_quiz.png"))

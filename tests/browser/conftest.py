"""Fixtures of the browser suite: a temporary copy of the notebooks, JupyterLab and Voila serving
it on 127.0.0.1, headless Chromium (Debian's, driven by playwright), and the record of every
widget move's latency (printed at the end, written to ``results/screenshots/latency.json``).

The suite is skipped, with the reason and the install command, where Chromium or playwright is
missing. Every wait has a timeout; every process started here is stopped here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import servers

HERE = Path(__file__).resolve().parent
SHOTS = servers.REPO / "results" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# what the tests measured, printed at the end and written to results/screenshots/latency.json
REPORT: dict = {
    "budget": {"target_ms": 500, "asserted_ms": 2000,
               "why": "a browser and a kernel sharing 2 loaded cores: 4x margin on the target"},
    "moves": [],  # one row per widget move
    "saved_state": {},  # notebook -> panels rendered from the saved state, untrusted / trusted
    "voila_panels": {},  # notebook -> each panel's size in a 1280x800 viewport
    "seconds_per_test": {},  # set-up (servers) + call + teardown
    "quiz_clicks": [],  # one row per click on a quiz choice: wall time to its feedback
}
LATENCIES, TIMES = REPORT["moves"], REPORT["seconds_per_test"]


def _mine(item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config, items):
    reason = servers.missing()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"browser suite: {reason}")
    for item in items:
        if _mine(item):
            item.add_marker(skip)


def pytest_runtest_logreport(report):
    name = report.nodeid.replace("\\", "/").split("tests/browser/")[-1]
    if "tests/browser/" not in report.nodeid.replace("\\", "/") or report.skipped:
        return
    if report.when != "teardown" or name in TIMES:  # set-up (servers) + call + teardown
        TIMES[name] = TIMES.get(name, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not TIMES:
        return
    tr = terminalreporter
    tr.section("browser suite: seconds per test, milliseconds per widget move")
    for name, seconds in TIMES.items():
        tr.write_line(f"{seconds:7.1f} s  {name}")
    if LATENCIES:
        tr.write_line("")
        tr.write_line(f"{'where':6} {'nb':3} {'control':14} {'move':34} {'page ms':>8} "
                      f"{'wall ms':>8}")
        for r in LATENCIES:
            tr.write_line(f"{r['surface']:6} {r['notebook'][:2]:3} {r['control'][:14]:14} "
                          f"{r['move'][:34]:34} {r['page_ms']:8.0f} {r['wall_ms']:8.0f}")
        page = sorted(r["page_ms"] for r in LATENCIES)
        tr.write_line(f"{len(page)} moves: median {page[len(page) // 2]:.0f} ms, max "
                      f"{page[-1]:.0f} ms (input event to the panel's view changed, in the page)")
    if REPORT["quiz_clicks"]:
        clicks = sorted(r["wall_ms"] for r in REPORT["quiz_clicks"])
        tr.write_line(f"{len(clicks)} quiz clicks: feedback in {clicks[len(clicks) // 2]} ms at "
                      f"the median, {clicks[-1]} ms at most (wall time)")
    for name, seen in REPORT["saved_state"].items():
        tr.write_line(f"saved state, {name[:2]}: untrusted {seen['untrusted']}, "
                      f"trusted {seen['trusted']}")
    for name, sizes in REPORT["voila_panels"].items():
        tr.write_line(f"voila {name[:2]} panels (w x h px, content w x h): {sizes}")
    tr.write_line(f"all of it: {SHOTS / 'latency.json'}")


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    """``results/screenshots`` of the repository (not of the temporary copy)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="session")
def report(shots_dir):
    """What the tests measured (``REPORT``); written to ``latency.json`` at the end."""
    yield REPORT
    (shots_dir / "latency.json").write_text(json.dumps(REPORT, indent=1))


@pytest.fixture(scope="session")
def tmp_browser(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="session")
def workdir(tmp_browser) -> Path:
    """``<tmp>/notebooks`` (copies), ``<tmp>/data`` (link to data/), ``<tmp>/results`` (empty)."""
    return servers.make_workdir(tmp_browser / "work")


@pytest.fixture(scope="session")
def lab(workdir, tmp_browser):
    """JupyterLab serving the temporary copy; stopped, with its kernels, after the session."""
    server = servers.lab_server(workdir, tmp_browser / "state").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def voila(workdir, tmp_browser):
    """Voila serving the temporary copy; stopped, with its kernels, after the session."""
    server = servers.voila_server(workdir, tmp_browser / "state").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(servers.chromium_path()), args=CHROMIUM_ARGS,
                              timeout=60_000)
        yield b
        b.close()

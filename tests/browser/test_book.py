"""The static site of the notebooks (``make book``) in headless Chromium with the network cut:
every page shows its figures, its widgets' still pictures (a Panel's title, table and figure, a
quiz's questions) and the sidebar's table of contents, asks for nothing but the site itself and
logs no error (a classroom may have no internet).

The site is the one ``tests/test_book.py`` checks (built once per session by
``tests/bookbuild.py``), served by ``python -m http.server`` on a free port of 127.0.0.1 that this
module starts and stops. Every request to any other host is recorded and aborted. A screenshot
of each whole page goes to ``results/screenshots/book_NN.png`` (``book_00`` is the root page,
``book_NN_solution`` a worked solution).
"""
from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import pytest

from .. import bookbuild
from . import servers, ui

VIEWPORT = {"width": 1280, "height": 800}  # wide enough for the theme to show its sidebar
_BUILD = bookbuild.build_module()
PAGES = ([_BUILD.ROOT] + [p.stem for p in _BUILD.lessons()]
         + [f"solutions/{p.stem}" for p in _BUILD.solutions()])

# what a page shows, measured in the page once it has loaded
PAGE_JS = r"""() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const seen = el => el.checkVisibility() && box(el)[0] > 0 && box(el)[1] > 0;
  const imgs = [...document.querySelectorAll('article img')];
  const svgs = [...document.querySelectorAll('article .cell_output svg, article .output svg')]
    .filter(s => !s.closest('button'));  // not the copy buttons' icons
  const stills = [...document.querySelectorAll('article .output.text_html')]
    .filter(o => o.firstElementChild);
  return {
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0 && seen(i)))
                .map(i => i.getAttribute('src').slice(0, 80)),
    svgs: svgs.length,
    flat_svgs: svgs.filter(s => !seen(s)).length,
    stills: stills.map(o => ({  // every text/html output, by the element it starts with
      tag: o.firstElementChild.tagName.toLowerCase(),
      heading: o.firstElementChild.textContent.trim().split(/\s+/).join(' '),
      visible: seen(o), tables: [...o.querySelectorAll('table')].filter(seen).length,
      figures: [...o.querySelectorAll('img, svg')].filter(seen).length,
      broken: [...o.querySelectorAll('img')].filter(i => !(i.complete && i.naturalWidth > 0))
        .length})),
    toc: [...document.querySelectorAll('nav.bd-docs-nav a.reference')]
      .map(a => a.href.split('#')[0]),  // absolute; the page's own entry is '#'
    toc_visible: [...document.querySelectorAll('nav.bd-docs-nav')].some(seen),
  };
}"""


def shot_name(name: str) -> str:
    """``book_00.png`` for the root page, ``book_NN.png`` for a lesson, ``book_NN_solution.png``
    (or ``book_solution_<stem>.png``) for a worked solution."""
    stem = name.rsplit("/", 1)[-1]
    if name == _BUILD.ROOT:
        return "book_00.png"
    if name.startswith("solutions/"):
        numbered = stem[:2].isdigit()
        return f"book_{stem[:2]}_solution.png" if numbered else f"book_solution_{stem}.png"
    return f"book_{stem[:2]}.png"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """``(site, server)``: the built site and a static HTTP server on it (stopped afterwards)."""
    site = bookbuild.site(tmp_path_factory)
    port = servers.free_port()
    log = tmp_path_factory.mktemp("book-http") / "http.log"
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
            "--directory", str(site.html)]
    server = servers.Server("book http.server", argv, port=port, ready_path="/index.html",
                            cwd=site.html, env=dict(os.environ), log=log).start()
    yield site, server
    server.stop()


class Offline:
    """A browser context whose every request to a host other than the site's is recorded in
    ``blocked`` and aborted; ``failed`` holds the site's own requests that failed or got an
    HTTP error."""

    def __init__(self, browser, origin: str) -> None:
        self.origin = urlsplit(origin).netloc
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == self.origin:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def page(self):
        """A new page that records its failed requests and HTTP errors in ``failed``."""
        page = self.context.new_page()
        page.set_default_timeout(30_000)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}")
                if urlsplit(r.url).netloc == self.origin else None)
        page.on("response", lambda r: self.failed.append(f"{r.url}: HTTP {r.status}")
                if r.status >= 400 else None)
        return page


def test_book_index_opens_the_root_page(browser, book):
    """``/`` (index.html) redirects to the root page, and asks for nothing else from outside."""
    site, server = book
    offline = Offline(browser, server.url)
    try:
        page = offline.page()
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_url(f"**/{site.names[0]}.html", timeout=15_000)
        assert page.locator("article h1").first.is_visible()
        assert not offline.blocked and not offline.failed, (offline.blocked, offline.failed)
    finally:
        offline.context.close()


@pytest.mark.parametrize("name", PAGES)
def test_book_page_offline(browser, book, shots_dir, report, name):
    """The page loads with the network cut: no request leaves the site, no console error, every
    figure loads and shows, every widget's still picture shows (with its table and figure), the
    sidebar lists every page in order; a screenshot of the whole page is saved."""
    site, server = book
    assert name in site.names, f"{name} has no page in the site ({site.names})"
    offline = Offline(browser, server.url)
    try:
        page = offline.page()
        console = ui.Console(page)
        page.goto(f"{server.url}/{name}.html", wait_until="load")
        page.wait_for_load_state("networkidle", timeout=15_000)
        seen = page.evaluate(PAGE_JS)
        page.screenshot(path=str(shots_dir / shot_name(name)), full_page=True)
        want = bookbuild.still_pictures(site.notebooks[name]) if name in site.notebooks else []
        report.setdefault("book_pages", {})[name] = {
            k: seen[k] for k in ("images", "svgs", "toc_visible")} | {
            "still_pictures": len(want), "blocked": len(offline.blocked)}

        assert not offline.blocked, f"{name} asked the network for: {offline.blocked}"
        assert not offline.failed, f"{name}: requests of the site that failed: {offline.failed}"
        assert not console.errors, f"{console.errors}\n{console.report()}"
        assert not seen["broken"], f"{name}: figures that did not load or show: {seen['broken']}"
        assert not seen["flat_svgs"], f"{name}: {seen['flat_svgs']} inline SVGs have no size"
        assert seen["toc"] == [f"{server.url}/{n}.html" for n in site.names[1:]], seen["toc"]
        assert seen["toc_visible"], f"{name}: the sidebar's table of contents is hidden"
        if name == site.names[0]:
            return
        assert seen["images"] + seen["svgs"] >= bookbuild.figures(site.notebooks[name]), seen
        shown = {}
        for still in seen["stills"]:
            shown.setdefault((still["tag"], still["heading"]), []).append(still)
        for still in want:  # each widget's still picture shows, whole
            key = (still["tag"], still["heading"])
            assert shown.get(key), f"{name}: no still picture {key} among {list(shown)}"
            page_still = shown[key].pop(0)
            assert page_still["visible"] and not page_still["broken"], (name, key, page_still)
            assert page_still["tables"] or not still["table"], (name, key, page_still)
            assert page_still["figures"] or not still["figure"], (name, key, page_still)
    finally:
        offline.context.close()

"""The static site of the notebooks (``book/build.py``), built once per test session for
``tests/test_book.py`` and ``tests/browser/test_book.py``, and the scan of what its pages load.

A classroom may have no internet, so a page must load nothing from another host by itself: no
script, stylesheet, font, picture or frame. Links a reader clicks are fine. ``page_loads`` and
``css_loads`` list what a page or a stylesheet loads (``<script src>``, ``<link href>`` other than
navigation links, ``<img>``, ``<iframe>``, ``<source>``, ``<object>``, SVG ``<image>``, CSS
``url()`` and ``@import`` in ``<style>``, ``style=""`` and loaded stylesheets, a refresh
redirect, and any URL written in an inline script, which could load it); ``audit`` follows a
page's local stylesheets and reports every remote load and every local file that is missing.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILD_PY = REPO / "book" / "build.py"
BUILD_TIMEOUT_S = 600
# <link rel=...> a browser does not fetch by itself (navigation and metadata)
NAV_RELS = {"next", "prev", "previous", "index", "search", "author", "license", "canonical",
            "alternate", "help", "first", "last", "up", "copyright", "glossary", "bookmark"}
# (tag, attribute) pairs whose URL the page loads as soon as it is parsed
LOADING_ATTRS = {("script", "src"), ("img", "src"), ("iframe", "src"), ("frame", "src"),
                 ("embed", "src"), ("source", "src"), ("video", "src"), ("video", "poster"),
                 ("audio", "src"), ("track", "src"), ("input", "src"), ("object", "data"),
                 ("image", "href"), ("image", "xlink:href"), ("use", "href"),
                 ("use", "xlink:href"), ("feimage", "href"), ("body", "background")}
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
SCRIPT_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'`<>)]*""")
# XML namespaces are names, not resources
NAMESPACES = re.compile(r"^(https?:)?//www\.w3\.org/(2000/svg|1999/xlink|1999/xhtml|1998/Math)")


def is_remote(url: str) -> bool:
    """Whether loading ``url`` (as written in a page) goes to another host: ``http(s)://``,
    ``ws(s)://``, ``ftp://`` or protocol-relative ``//host``; ``data:``, relative paths and
    fragments stay on the page's own site."""
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme.lower() in {"http", "https", "ws", "wss",
                                                                      "ftp"}


def css_loads(css: str) -> list[str]:
    """The URLs a stylesheet's text loads: ``url(...)`` and ``@import "..."``, in order."""
    found = [next(g for g in m.groups() if g is not None) for m in CSS_URL.finditer(css)]
    found += [m.group(1) or m.group(2) for m in CSS_IMPORT.finditer(css)]
    return [u for u in found if u]


class _Loads(HTMLParser):
    """Collects ``(what, url)`` for every resource an HTML page loads by itself."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[tuple[str, str]] = []
        self._inline: str | None = None  # "style" or "script" while inside one
        self._script_type = ""

    def handle_starttag(self, tag, attrs):
        values = {k.lower(): (v or "") for k, v in attrs}
        for (t, attr) in LOADING_ATTRS:
            if t == tag and values.get(attr):
                self.loads.append((f"<{tag} {attr}>", values[attr]))
        for attr in ("srcset", "imagesrcset"):
            for part in values.get(attr, "").split(","):
                if part.strip():
                    self.loads.append((f"<{tag} {attr}>", part.split()[0]))
        if tag == "link" and values.get("href"):
            rels = set(values.get("rel", "").lower().split())
            if not rels or rels - NAV_RELS:
                self.loads.append((f"<link rel={values.get('rel', '')}>", values["href"]))
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", values.get("content", ""), re.I)
            if m:
                self.loads.append(("<meta refresh>", m.group(1).strip()))
        if values.get("style"):
            self.loads += [(f"<{tag} style> url()", u) for u in css_loads(values["style"])]
        if tag in ("style", "script"):
            self._inline = tag
            self._script_type = values.get("type", "").lower()

    def handle_endtag(self, tag):
        if tag == self._inline:
            self._inline = None

    def handle_data(self, data):
        if self._inline == "style":
            self.loads += [("<style> url()/@import", u) for u in css_loads(data)]
        elif self._inline == "script" and "json" not in self._script_type:
            self.loads += [("URL in an inline <script>", u) for u in SCRIPT_URL.findall(data)
                           if not NAMESPACES.match(u)]


def page_loads(html: str) -> list[tuple[str, str]]:
    """``(what, url)`` for every resource the HTML page ``html`` loads by itself (see the module
    docstring); links a reader clicks (``<a href>``, ``<link rel=next>``) are not among them."""
    parser = _Loads()
    parser.feed(html)
    parser.close()
    return parser.loads


def _local_file(url: str, base: Path) -> Path | None:
    """The file a local URL of a page or stylesheet in folder ``base`` names (None: none)."""
    path = unquote(urlsplit(url).path)
    if not path or url.startswith(("data:", "#", "about:", "blob:", "javascript:")):
        return None
    return (base / path).resolve()


def audit(page: Path) -> tuple[list[str], list[str]]:
    """``(remote, missing)``: what the page ``page`` and the local stylesheets it loads (followed
    through ``@import``) load from another host, and which local files they load do not exist.
    Each entry says where, what and which URL."""
    remote, missing, seen = [], [], set()
    todo = [(page, what, url) for what, url in page_loads(page.read_text(encoding="utf-8"))]
    while todo:
        source, what, url = todo.pop(0)
        where = f"{source.name}: {what} {url}"
        if is_remote(url):
            remote.append(where)
            continue
        target = _local_file(url, source.parent)
        if target is None or target in seen:
            continue
        seen.add(target)
        if not target.is_file():
            missing.append(where)
        elif target.suffix == ".css":
            todo += [(target, "css url()/@import", u)
                     for u in css_loads(target.read_text(encoding="utf-8", errors="replace"))]
    return remote, missing


@functools.cache
def build_module():
    """``book/build.py`` as a module (``book/`` is not a package), loaded once."""
    spec = importlib.util.spec_from_file_location("bhlib_book_build", BUILD_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing() -> str | None:
    """Why the book cannot be built here (with the install command), or None."""
    try:
        import jupyter_book  # noqa: F401
    except ImportError as err:
        return (f"jupyter_book cannot be imported ({err}); install it with: "
                f"{build_module().INSTALL}")
    if not (Path(sys.executable).parent / "jupyter-book").exists():
        return f"no jupyter-book beside {sys.executable}; install: {build_module().INSTALL}"
    return None


@dataclass
class Site:
    """A built site: its ``html`` folder, its pages' document names in the order of the table of
    contents (``README``, the lessons, ``solutions/...``) and how long the build took."""

    html: Path
    names: list[str]
    seconds: float
    notebooks: dict[str, Path] = field(default_factory=dict)  # page name -> source notebook

    def page(self, name: str) -> Path:
        """The HTML file of the page ``name``."""
        return self.html / f"{name}.html"


_BUILT: dict[str, object] = {}  # the one build of this session, or why it failed


def site(tmp_path_factory) -> Site:
    """The site, built into a session temporary folder the first time it is asked for (skips
    with the install command where Jupyter Book is missing; fails with the build's output)."""
    reason = missing()
    if reason:
        pytest.skip(f"book: {reason}")
    if "site" not in _BUILT and "error" not in _BUILT:
        out = tmp_path_factory.mktemp("book")
        start = time.perf_counter()
        run = subprocess.run([sys.executable, str(BUILD_PY), "--out", str(out)], cwd=REPO,
                             capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
        seconds = time.perf_counter() - start
        if run.returncode:
            _BUILT["error"] = (f"book/build.py exited {run.returncode} after {seconds:.0f} s\n"
                               f"{run.stdout[-4000:]}\n{run.stderr[-6000:]}")
        else:
            build = build_module()
            notebooks = {p.stem: p for p in build.lessons()}
            notebooks |= {f"solutions/{p.stem}": p for p in build.solutions()}
            _BUILT["site"] = Site(out / "_build" / "html", [build.ROOT, *notebooks], seconds,
                                  notebooks)
    if "error" in _BUILT:
        pytest.fail(str(_BUILT["error"]), pytrace=False)
    return _BUILT["site"]


def still_pictures(notebook: Path) -> list[dict]:
    """The still pictures of a notebook's widgets: one per output whose bundle has a widget view
    beside ``text/html`` (a ``bhlib`` Panel: title, table and figure; a quiz: its questions with
    the answers folded away). Each is ``{"kind", "tag", "heading", "table", "figure"}``: ``kind``
    is ``panel`` or ``other``, ``tag`` and ``heading`` the first element it starts with (a Panel's
    ``<b>`` title) and its text, ``table`` and ``figure`` whether it shows a table and a figure
    (an ``<img>`` or ``<svg>``)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    found = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and "text/html" in data:
                html = "".join(data["text/html"])
                plain = "".join(data.get("text/plain", ""))
                m = re.match(r"\s*<(\w+)[^>]*>(.*?)</\1>", html, re.S)
                found.append({
                    "kind": "panel" if plain.startswith("Panel '") else "other",
                    "tag": m.group(1).lower() if m else "",
                    "heading": " ".join(unescape(re.sub(r"<[^>]+>", "", m.group(2))).split())
                    if m else "",
                    "table": "<table" in html,
                    "figure": bool(re.search(r"<(img|svg)\b", html))})
    return found


def figures(notebook: Path) -> int:
    """How many figures a notebook's outputs hold: ``image/*`` outputs and the figures of its
    panels' still pictures."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    images = sum(any(k.startswith("image/") for k in out.get("data", {}))
                 for cell in nb["cells"] for out in cell.get("outputs", []))
    return images + sum(p["figure"] for p in still_pictures(notebook))

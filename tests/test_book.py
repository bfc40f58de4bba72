"""The static site of the notebooks (``make book``, ``book/build.py``) has a page per notebook in
the order of its table of contents, each page its figures and its panels' still pictures, and
no page loads anything from the network (a classroom may have no internet).

The site is built once per session (``tests/bookbuild.py``, shared with the browser suite's
``tests/browser/test_book.py``); where Jupyter Book is missing those tests are skipped with the
install command. The staging and the scan of what a page loads are tested without a build.
"""
from __future__ import annotations

import json
import re

import pytest

from . import bookbuild

BAD_PAGE = """<html><head>
<script src="https://cdn.jsdelivr.net/npm/require.js"></script>
<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Lato">
<link rel="preconnect" href="https://fonts.gstatic.com">
<link rel="next" href="https://example.org/next.html">
<style>@import "https://cdn.example.com/a.css"; .x { background: url( 'http://x.org/b.png' ) }
.y { background: url(data:image/png;base64,AAAA) }</style>
<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js";</script>
<script type="application/json">{"see": "https://example.org/not-loaded"}</script>
</head><body>
<a href="https://arxiv.org/abs/2109.02471">the paper</a>
<img src="_images/fig.png" srcset="https://img.example.com/a.png 2x, local.png 1x">
<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x.org/i.png"/></svg>
<iframe src="http://player.example.com/v"></iframe>
<div style="background-image: url(&quot;https://x.org/c.png&quot;)"></div>
</body></html>"""
BAD_URLS = {"https://cdn.jsdelivr.net/npm/require.js", "//fonts.googleapis.com/css?family=Lato",
            "https://fonts.gstatic.com", "https://cdn.example.com/a.css", "http://x.org/b.png",
            "https://unpkg.com/thebe@0.8.2/lib/index.js", "https://img.example.com/a.png",
            "https://x.org/i.png", "http://player.example.com/v", "https://x.org/c.png"}


def test_scan_finds_every_planted_remote_load():
    """The scan catches each kind of remote load and only those (not links, namespaces, data:)."""
    remote = {url for _, url in bookbuild.page_loads(BAD_PAGE) if bookbuild.is_remote(url)}
    assert remote == BAD_URLS
    assert bookbuild.css_loads("a{src:url(x.woff2)} @import 'y.css';") == ["x.woff2", "y.css"]


def test_audit_follows_local_stylesheets(tmp_path):
    """A remote font inside a local stylesheet (two @imports deep) and a missing file are found."""
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "a.css").write_text("@import 'b.css'; .a{background:url(ok.png)}")
    (tmp_path / "_static" / "ok.png").write_bytes(b"\x89PNG")
    (tmp_path / "_static" / "b.css").write_text(
        "@font-face{src:url(https://fonts.gstatic.com/l.woff2)} .b{background:url(gone.png)}")
    page = tmp_path / "page.html"
    page.write_text('<link rel="stylesheet" href="_static/a.css?v=1"><img src="nothere.png">')
    remote, missing = bookbuild.audit(page)
    assert remote == ["b.css: css url()/@import https://fonts.gstatic.com/l.woff2"]
    assert sorted(missing) == ["b.css: css url()/@import gone.png",
                               "page.html: <img src> nothere.png"]


VIEW = {"model_id": "0", "version_major": 2, "version_minor": 0}
OUTPUTS = [  # a progress bar's widget (left out), a Panel (its still picture stays), a figure
    {"output_type": "display_data", "metadata": {},
     "data": {"application/vnd.jupyter.widget-view+json": VIEW, "text/plain": "50%|#####"}},
    {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
     "data": {"application/vnd.jupyter.widget-view+json": VIEW, "text/plain": "Panel 'P'",
              "text/html": "<b>P</b><table></table>"}},
    {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo="}}]


def _notebook(path, *, widgets=True):
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "w()",
                     "outputs": OUTPUTS}],
          "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    if widgets:
        nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))


def test_stage_lays_out_guide_lessons_and_solutions(tmp_path):
    """Lessons in order, then solutions; the guide is the root page; widget state and widget
    outputs without a still picture are dropped; the solutions part of the table of contents
    goes where there are no solutions."""
    build = bookbuild.build_module()
    notebooks = tmp_path / "notebooks"
    for name in ("02_b.ipynb", "01_a.ipynb", "solutions/01_a.ipynb", "solutions/x.ipynb"):
        _notebook(notebooks / name)
    (notebooks / "execute.py").write_text("")
    (notebooks / "README.md").write_text("# Teacher's guide\n")
    names = build.stage(tmp_path / "src", notebooks)
    assert names == ["README", "01_a", "02_b", "solutions/01_a", "solutions/x"]
    src = tmp_path / "src"
    assert (src / "README.md").read_text() == "# Teacher's guide\n"
    staged = json.loads((src / "01_a.ipynb").read_text())
    assert "widgets" not in staged["metadata"]
    assert staged["cells"][0]["outputs"] == OUTPUTS[1:]
    assert not (src / "execute.py").exists()
    assert 'glob: "solutions/*"' in (src / "_toc.yml").read_text()

    for path in (notebooks / "solutions").iterdir():
        path.unlink()
    (notebooks / "README.md").unlink()
    assert build.stage(src, notebooks) == ["README", "01_a", "02_b"]
    toc = (src / "_toc.yml").read_text()
    assert "solutions" not in toc.split("parts:")[1] and "[0-9][0-9]_*" in toc
    assert (src / "README.md").read_text() == (bookbuild.REPO / "book" / "intro.md").read_text()
    assert not (src / "solutions").exists()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site (once per session, shared with the browser suite)."""
    return bookbuild.site(tmp_path_factory)


def _soup(path):
    bs4 = pytest.importorskip("bs4", reason="beautifulsoup4 comes with Jupyter Book's theme")
    return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_build_is_quick(site):
    """The build fits CI's budget (measured: about 6 s here; 4x margin on a loaded machine)."""
    assert site.seconds < 150, f"the book took {site.seconds:.0f} s to build"


def test_every_notebook_has_a_page(site):
    """Each lesson and worked solution (and the root page) became a page, and no other did."""
    assert len(site.names) >= 7 and site.names[:2] == ["README", "01_raw_ids_to_binary_codes"]
    for name in site.names:
        assert site.page(name).is_file(), f"no page for {name}"
    pages = {p.relative_to(site.html).with_suffix("").as_posix() for p in site.html.rglob("*.html")
             if not p.relative_to(site.html).parts[0].startswith("_")}
    assert pages == {*site.names, "index", "genindex", "search"}


def test_index_lists_the_pages_in_order(site):
    """``index.html`` opens the root page, whose contents and sidebar link every notebook's
    page in order: the lessons 01..07, then the solutions."""
    assert re.search(r'url=README\.html"', (site.html / "index.html").read_text())
    soup = _soup(site.page(site.names[0]))
    want = [f"{name}.html" for name in site.names[1:]]
    contents = [a["href"] for a in soup.select("article .toctree-wrapper a.reference")]
    sidebar = [a["href"] for a in soup.select("nav.bd-docs-nav a.reference")]
    assert contents == want
    assert sidebar == want
    captions = [c.get_text(strip=True) for c in soup.select("nav.bd-docs-nav .caption")]
    solved = any(name.startswith("solutions/") for name in site.names)
    assert captions == (["Lessons", "Worked solutions"] if solved else ["Lessons"])


def test_pages_have_their_figures(site):
    """Each notebook's page shows as many figures as its outputs hold (every lesson has some),
    each a picture that is in the site (or inline); no figure is lost to a missing file."""
    for name, notebook in site.notebooks.items():
        soup = _soup(site.page(name))
        imgs = soup.select("article img")
        svgs = soup.select("article svg")
        want = bookbuild.figures(notebook)
        assert want > 0 or name.startswith("solutions/"), f"{name} stores no figure"
        assert len(imgs) + len(svgs) >= want, (name, want, len(imgs), len(svgs))
        for img in imgs:
            src = img.get("src", "")
            assert src, f"{name}: an <img> without src"
            assert src.startswith("data:image/") or (site.page(name).parent / src).is_file(), (
                name, src)


def test_markdown_tables_of_outputs_are_tables(site):
    """A ``text/markdown`` output holding a pipe table (the claims table of notebook 05) is an
    HTML table on its page, with the table's header row, not a paragraph of pipes."""
    found = 0
    for name, path in site.notebooks.items():
        outputs = [o for c in json.loads(path.read_text())["cells"] for o in c.get("outputs", [])]
        tables = [o["data"]["text/markdown"] for o in outputs
                  if "|---" in "".join(o.get("data", {}).get("text/markdown", ""))]
        if not tables:
            continue
        soup = _soup(site.page(name))
        heads = [" | ".join(th.get_text(strip=True) for th in t.select("thead th"))
                 for t in soup.select("article .cell_output table")]
        for table in tables:
            first = "".join(table).splitlines()[0].strip("| ")
            assert first in heads, (name, first, heads)
            found += 1
        assert not any("| **" in p.get_text() for p in soup.select("article .cell_output p")), name
    assert found, "no notebook stores a Markdown table output (notebook 05's claims table)"


def _heading(output) -> tuple[str, str]:
    """``(tag, text)`` of the first element a rendered ``text/html`` output starts with."""
    first = output.find(True)
    return (first.name, " ".join(first.get_text().split())) if first else ("", "")


def test_widget_panels_appear_as_still_pictures(site):
    """Each widget is shown as its still picture (a Panel: title, table, figure; a quiz: its
    questions) and no widget view is left to render: no widget JavaScript, no widget-view
    placeholder, no saved widget state."""
    for name, notebook in site.notebooks.items():
        stills = bookbuild.still_pictures(notebook)
        assert any(p["kind"] == "panel" for p in stills) or name.startswith("solutions/"), (
            f"{name} stores no panel")
        outputs = _soup(site.page(name)).select("article .output.text_html")
        shown = {}
        for output in outputs:
            shown.setdefault(_heading(output), []).append(output)
        for still in stills:
            key = (still["tag"], still["heading"])
            assert shown.get(key), (name, key, list(shown))
            output = shown[key].pop(0)  # one page output per still picture
            assert not still["table"] or output.select("table"), (name, key)
            assert not still["figure"] or output.select("img, svg"), (name, key)
        text = site.page(name).read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-view+json" not in text, name
        assert "application/vnd.jupyter.widget-state+json" not in text, name
        assert not re.search(r"require\.js|html-manager|embed-amd", text), name


def test_no_page_loads_a_remote_resource(site):
    """No page, nor a stylesheet it loads, loads a script, style, font, picture or frame from
    another host; every local file they load is in the site."""
    problems = {}
    for page in sorted(site.html.rglob("*.html")):
        if page.relative_to(site.html).parts[0].startswith("_"):
            continue  # _static/*.html are the theme's Jinja macros, no pages
        remote, missing = bookbuild.audit(page)
        if remote or missing:
            problems[page.name] = {"remote": remote, "missing": missing}
    assert not problems, json.dumps(problems, indent=1)


def test_pages_have_no_math(site):
    """No page has math, so none adds MathJax (which would come from a CDN). Math in a page
    needs a local MathJax (``mathjax_path`` in book/_config.yml) before this may change."""
    for page in site.html.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'class="[^"]*\bmath\b|mathjax', text, re.I), page.name


def test_student_copy_clears_solutions_and_drops_hidden_tests():
    """nbgrader's preprocessors clear each solution region (and its output, the answer) and the
    autograded cells go; everything else stays as it is."""
    pytest.importorskip("nbgrader", reason="nbgrader comes with the classroom extra")
    build = bookbuild.build_module()
    nb = json.loads((bookbuild.REPO / "notebooks" / "01_raw_ids_to_binary_codes.ipynb")
                    .read_text())
    student = build.student_copy(nb)
    graded = [c for c in nb["cells"] if "nbgrader" in c["metadata"]]
    kept = [c for c in student["cells"] if "nbgrader" in c["metadata"]]
    assert graded and len(kept) == len(graded) // 2  # the solution cells, not their tests
    for cell in kept:
        src = "".join(cell["source"])
        assert "raise NotImplementedError()" in src and "BEGIN SOLUTION" not in src
        assert cell["outputs"] == []
    others = [c for c in nb["cells"] if "nbgrader" not in c["metadata"]]
    assert [c["source"] for c in student["cells"] if "nbgrader" not in c["metadata"]] == \
        [c["source"] for c in others]


def test_lesson_pages_are_the_students_copy(site):
    """No worked answer of a self-checking exercise on a lesson page: no solution region, no
    "Right!" output, no hidden test."""
    for name in [n for n in site.names[1:] if not n.startswith("solutions/")]:
        text = _soup(site.page(name)).get_text()
        assert "raise NotImplementedError()" in text, name
        for leak in ("BEGIN SOLUTION", "HIDDEN TESTS", "assert_correct", "Right! "):
            assert leak not in text, (name, leak)

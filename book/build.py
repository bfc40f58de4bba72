"""Build the executed notebooks as a static HTML site that works offline: ``python book/build.py``.

Jupyter Book 1.x (Sphinx, ``jupyter-book==1.0.4.post1``; 2.x fetches its theme at build time).
The sources are staged into ``OUT/src`` (default ``build/book/src``, git-ignored): the teacher's
guide ``notebooks/README.md`` as the root page ``README`` (``book/intro.md`` where it is missing,
so that the notebooks' links to ``README.md`` always resolve), the lessons
``notebooks/NN_*.ipynb`` and the worked solutions ``notebooks/solutions/*.ipynb``, with
``book/_config.yml`` and ``book/_toc.yml``. The site lands in ``OUT/_build/html`` (its path is
printed at the end). Nothing is executed: the pages show the outputs stored in the notebooks.

Offline by construction (``tests/test_book.py`` and ``tests/browser/test_book.py`` check it):
widget outputs show their still picture (the ``text/html`` beside the view: a Panel's title,
table and SVG figure, a quiz's questions), no widget JavaScript is added, the pages have no math
(so no MathJax), and the theme's repository and launch buttons are off. Warnings are errors: a
missing page or a broken link between pages fails the build.

The lessons' exercise cells are nbgrader instructor cells. By default the book is the students'
copy: nbgrader's own ``ClearSolutions`` and ``ClearHiddenTests`` turn each solution region into
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (its output, which would show the answer,
is dropped) and the autograded test cells are left out, as in the release of ``make
assignments``. ``--instructor`` builds the teacher's copy, solutions and their outputs kept. The
worked solutions of the open-ended exercises are in both.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
NOTEBOOKS = REPO / "notebooks"
DEFAULT_OUT = REPO / "build" / "book"
INSTALL = ".venv/bin/pip install -e '.[classroom]'  (jupyter-book 1.x and nbgrader)"
ASSETS = ("*.png", "*.svg", "*.jpg", "*.jpeg", "*.gif")  # pictures the guide may show
SOLUTIONS_CAPTION = "Worked solutions"
ROOT = "README"  # the root page's document name: notebooks/README.md, where notebooks link to it
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def lessons(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The lesson notebooks ``NN_*.ipynb`` of ``notebooks``, in order."""
    return sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))


def solutions(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Every notebook of ``solutions/`` (``NN_*.ipynb``, worked solutions), in order; none where
    the folder is absent."""
    return sorted((notebooks / "solutions").glob("*.ipynb"))


def _static_output(output: dict) -> bool:
    """False for a widget view that has nothing to show on a static page but its ``text/plain``
    line (a tqdm progress bar, frozen mid-way); a Panel's still picture (``text/html``) stays."""
    data = output.get("data", {})
    return WIDGET_VIEW not in data or bool(set(data) - {WIDGET_VIEW, "text/plain"})


def student_copy(nb: dict) -> dict:
    """``nb`` (a notebook as JSON) as students get it: solution regions cleared by nbgrader (their
    outputs dropped) and autograded test cells left out; other cells untouched."""
    try:
        import nbformat
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    except ImportError as err:
        raise RuntimeError(f"the students' copy needs nbgrader ({err}); install it with: "
                           f"{INSTALL}, or build the teacher's copy with --instructor") from err
    if not any("nbgrader" in c.get("metadata", {}) for c in nb.get("cells", [])):
        return nb  # no exercise cells: nothing to clear
    node = nbformat.reads(json.dumps(nb), as_version=4)  # sources as strings, as nbgrader wants
    node, resources = ClearSolutions().preprocess(node, {})
    node, _ = ClearHiddenTests().preprocess(node, resources)
    cells = []
    for cell in node.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") and not grading.get("solution"):
            continue  # an autograded test: nothing for a reader
        if grading.get("solution") and cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    node.cells = cells
    return json.loads(nbformat.writes(node))


def _copy_notebook(source: Path, target: Path, *, student: bool = False) -> None:
    """Copy a notebook without its saved widget state (no page renders a widget view: each shows
    its still picture, so the state would only weigh on the page as an inert script) and without
    widget outputs that have no still picture; ``student``: as :func:`student_copy`."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    if student:
        nb = student_copy(nb)
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        if "outputs" in cell:
            cell["outputs"] = [o for o in cell["outputs"] if _static_output(o)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


def _toc(with_solutions: bool) -> str:
    """``book/_toc.yml``, less its solutions part where there are no solutions (an empty glob
    is a warning, so an error here)."""
    text = (BOOK / "_toc.yml").read_text(encoding="utf-8")
    if with_solutions:
        return text
    head, sep, _ = text.partition(f"  - caption: {SOLUTIONS_CAPTION}")
    if not sep:
        raise ValueError(f"book/_toc.yml has no '{SOLUTIONS_CAPTION}' part to drop")
    return head


def stage(src: Path, notebooks: Path = NOTEBOOKS, *, instructor: bool = False) -> list[str]:
    """Lay the book's sources out in ``src`` (emptied first); return the pages' document names
    in the order of the table of contents (``ROOT`` first). The lessons are the students' copies
    unless ``instructor``."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copy2(BOOK / "_config.yml", src / "_config.yml")
    guide = notebooks / "README.md"
    shutil.copy2(guide if guide.is_file() else BOOK / "intro.md", src / f"{ROOT}.md")
    for pattern in ASSETS:
        for picture in notebooks.glob(pattern):
            shutil.copy2(picture, src / picture.name)
    names = [ROOT]
    for path in lessons(notebooks):
        _copy_notebook(path, src / path.name, student=not instructor)
        names.append(path.stem)
    worked = solutions(notebooks)
    for path in worked:
        _copy_notebook(path, src / "solutions" / path.name)
        names.append(f"solutions/{path.stem}")
    (src / "_toc.yml").write_text(_toc(bool(worked)), encoding="utf-8")
    return names


def jupyter_book() -> Path:
    """The ``jupyter-book`` command beside this Python; ``RuntimeError`` (how to install it) when
    it is missing."""
    exe = Path(sys.executable).parent / "jupyter-book"
    if not exe.exists():
        raise RuntimeError(f"{exe} is missing; install it with: {INSTALL}")
    return exe


def build(out: Path = DEFAULT_OUT, *, notebooks: Path = NOTEBOOKS, strict: bool = True,
          quiet: bool = True, instructor: bool = False) -> Path:
    """Stage the sources into ``out/src`` and build the site into ``out/_build/html`` from
    scratch; return the path of its ``index.html``.

    Args:
        out: the output folder (``build/book`` by default).
        notebooks: the folder of the lessons, ``solutions/`` and ``README.md``.
        strict: warnings are errors (``-W --keep-going``: every warning is reported first).
        quiet: only warnings and errors from Sphinx, no progress lines.
        instructor: the teacher's copy (exercise solutions kept) instead of the students'.
    """
    out = Path(out).resolve()
    stage(out / "src", notebooks, instructor=instructor)
    html = out / "_build" / "html"
    if html.exists():  # a fresh build: a page of a removed notebook must not linger
        shutil.rmtree(html)
    argv = [str(jupyter_book()), "build", str(out / "src"), "--path-output", str(out), "--all"]
    if strict:
        argv += ["-W", "--keep-going"]
    if quiet:
        argv.append("-q")
    subprocess.run(argv, check=True, cwd=out)
    index = html / "index.html"
    if not index.is_file():
        raise RuntimeError(f"jupyter-book finished but {index} is missing")
    return index


def main(argv: list[str] | None = None) -> int:
    """Command line: build the site (into ``--out``, default ``build/book``), print its path."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"output folder (default {DEFAULT_OUT.relative_to(REPO)})")
    ap.add_argument("--lax", action="store_true", help="warnings are not errors")
    ap.add_argument("--verbose", action="store_true", help="Sphinx's progress lines too")
    ap.add_argument("--instructor", action="store_true",
                    help="the teacher's copy: exercise solutions and their outputs kept")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    try:
        index = build(args.out, strict=not args.lax, quiet=not args.verbose,
                      instructor=args.instructor)
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"book: {err}", file=sys.stderr)
        return 1
    print(f"book built in {time.perf_counter() - start:.0f} s: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

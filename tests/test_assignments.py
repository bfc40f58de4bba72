"""The nbgrader cycle (``notebooks/assignments.py``): generate the student versions, autograde two
students, read the grades back. The instructor's own notebooks must get full marks and the
untouched student copies zero; the copies must hold no solution and no hidden test.

One course in a temporary folder holds every lesson and a two-exercise fixture lesson (which checks
the tooling even where the lessons cannot be graded). Grading executes each submitted notebook
(quick mode in ``make test``), the two students side by side; it runs offline once MovieLens is
cached in data/ (fetched there when missing; the lessons' grading is skipped where that fails).
Skipped, with the install command, when nbgrader (the ``classroom`` extra) is missing.
"""
import importlib.util
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("nb_assignments",
                                              REPO / "notebooks" / "assignments.py")
assignments = importlib.util.module_from_spec(spec)
spec.loader.exec_module(assignments)

NEEDS_NBGRADER = pytest.mark.skipif(
    importlib.util.find_spec("nbgrader") is None,
    reason=f"nbgrader is not installed (the classroom extra): {assignments.INSTALL}")
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def load(path):
    return json.loads(Path(path).read_text())


def source(cell):
    return "".join(cell["source"])


def graded(nb):
    """{grade_id: nbgrader metadata} of a notebook's nbgrader cells, in order."""
    return {c["metadata"]["nbgrader"]["grade_id"]: (c, c["metadata"]["nbgrader"])
            for c in nb["cells"] if "nbgrader" in c.get("metadata", {})}


def auto_points(nb):
    """Points of the autograded test cells (grade, not solution)."""
    return sum(m.get("points", 0) for _, m in graded(nb).values()
               if m.get("grade") and not m.get("solution"))


def manual_points(nb):
    """Points of the cells graded by hand (grade and solution)."""
    return sum(m.get("points", 0) for _, m in graded(nb).values()
               if m.get("grade") and m.get("solution"))


LESSONS = assignments.lessons()
EXERCISED = [p for p in LESSONS if graded(load(p))]


# --- the convention, on the instructor notebooks (no nbgrader needed) ----------------------------

@pytest.mark.parametrize("path", EXERCISED, ids=lambda p: p.stem[:2])
def test_every_solution_cell_has_its_test_right_after(path):
    nb, number = load(path), path.name[:2]
    cells = nb["cells"]
    all_ids = [c["metadata"]["nbgrader"]["grade_id"] for c in cells
               if "nbgrader" in c.get("metadata", {})]
    assert len(all_ids) == len(set(all_ids)), f"duplicate grade ids: {all_ids}"
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta or not meta.get("solution") or meta.get("grade"):
            continue  # a test cell, or a solution graded by hand
        gid = meta["grade_id"]
        assert re.fullmatch(rf"ex-{number}-\d+", gid), gid
        assert SOLUTION.search(source(cell)), f"{gid}: no ### BEGIN/END SOLUTION region"
        test = cells[i + 1].get("metadata", {}).get("nbgrader", {}) if i + 1 < len(cells) else {}
        assert test.get("grade_id") == f"{gid}-test", f"{gid}: the next cell is not its test"
        assert test["grade"] and test["locked"] and not test["solution"] and test["points"] > 0
        assert HIDDEN.search(source(cells[i + 1])), f"{gid}-test: no hidden tests"


# --- a two-exercise fixture lesson: the tooling, checked in every cycle -------------------------

def _meta(**fields):
    return {"nbgrader": {"grade": False, "locked": False, "schema_version": 3, "solution": False,
                         "task": False, **fields}}


def _cell(text, **fields):
    return {"cell_type": "code", "execution_count": None, "metadata": _meta(**fields) if fields
            else {}, "outputs": [], "source": text}


def fixture_notebook(path):
    """A lesson in the convention: it reads BHLIB_DATA, two exercises (1 + 2 points)."""
    cells = [
        _cell("import os\nassert os.path.isdir(os.environ.get('BHLIB_DATA', '../data'))"),
        _cell("### BEGIN SOLUTION\nanswer = sum(range(10))\n### END SOLUTION\nprint(answer)",
              grade_id="ex-99-1", solution=True),
        _cell("# autograded\n### BEGIN HIDDEN TESTS\nassert answer == 45\n### END HIDDEN TESTS",
              grade=True, grade_id="ex-99-1-test", locked=True, points=1),
        _cell("### BEGIN SOLUTION\nword = 'bh'.upper()\n### END SOLUTION",
              grade_id="ex-99-2", solution=True),
        _cell("assert isinstance(word, str)\n### BEGIN HIDDEN TESTS\nassert word == 'BH'\n"
              "### END HIDDEN TESTS", grade=True, grade_id="ex-99-2-test", locked=True, points=2),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"},
                       "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}}}
    path.write_text(json.dumps(nb))
    return path


def check_release(instructor, student):
    """The student copy: stubs instead of solutions, no hidden test, no output, no widget state."""
    src, rel = graded(load(instructor)), graded(load(student))
    assert src.keys() == rel.keys()
    text = Path(student).read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "widgets" not in load(student)["metadata"]
    assert all(not c.get("outputs") for c in load(student)["cells"])
    for gid, (cell, meta) in src.items():
        released = source(rel[gid][0])
        for region in SOLUTION.findall(source(cell)) + HIDDEN.findall(source(cell)):
            for line in filter(str.strip, region.splitlines()):
                assert line not in released, f"{gid}: {line!r} left in the student copy"
        if meta.get("solution") and cell["cell_type"] == "code":
            assert STUB in released, gid


def test_command_line_names_unknown_lessons(capsys):
    with pytest.raises(SystemExit):
        assignments.main(["--only", "99"])  # no such lesson: a clear error, nothing built
    assert "no lesson matches" in capsys.readouterr().err


# --- the cycle: one course, every lesson and the fixture, two students (a minute or two) --------

@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Generate every lesson and the fixture, autograde "instructor" (the instructor notebooks)
    and "blank" (the untouched student copies) side by side; the lessons only where they have
    exercises and MovieLens is at hand (the fixture always: it checks the tooling)."""
    tmp = tmp_path_factory.mktemp("nbgrader")
    course, release, data = tmp / "course", tmp / "release", REPO / "data"
    fixture = fixture_notebook(tmp / "99_fixture.ipynb")
    (release / fixture.stem).mkdir(parents=True)
    (release / fixture.stem / "stale.txt").write_text("from an earlier run: must go")
    skip = None if EXERCISED else "no lesson carries nbgrader exercise cells yet"
    if not skip:
        from bhlib.data.movielens import DataFetchError, fetch_movielens

        try:  # a no-op when cached: grading then runs offline
            fetch_movielens(data, verbose=False)
        except DataFetchError as err:
            skip = f"MovieLens is neither cached in {data} nor downloadable: {err}"
    generated = assignments.generate([*LESSONS, fixture], course, release, data_dir=data)
    for lesson in [fixture] + ([] if skip else EXERCISED):
        assignments.submit(course, "instructor", lesson.stem, [lesson])
        assignments.submit(course, "blank", lesson.stem, [release / lesson.stem / lesson.name])
    seconds = assignments.autograde(course, jobs=2)
    return {"course": course, "release": release, "fixture": fixture, "skip": skip,
            "generated": generated, "seconds": seconds, "scores": assignments.scores(course)}


@NEEDS_NBGRADER
def test_fixture_release_and_grades(cycle):
    fixture, release = cycle["fixture"], cycle["release"]
    assert sorted(p.name for p in (release / fixture.stem).iterdir()) == [fixture.name]
    assert "make assignments" in (release / "README.md").read_text()
    check_release(fixture, release / fixture.stem / fixture.name)
    assert set(cycle["seconds"]) == {"instructor", "blank"}
    assert cycle["scores"]["instructor"][fixture.stem] == (3.0, 3.0)
    assert cycle["scores"]["blank"][fixture.stem] == (0.0, 3.0)


@NEEDS_NBGRADER
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:2])
def test_release_holds_no_solution(cycle, path):
    student = cycle["release"] / path.stem / path.name
    assert sorted(p.name for p in student.parent.iterdir()) == [path.name]
    check_release(path, student)


@NEEDS_NBGRADER
@pytest.mark.parametrize("path", EXERCISED, ids=lambda p: p.stem[:2])
def test_instructor_gets_full_marks_and_blank_zero(cycle, path):
    if cycle["skip"]:
        pytest.skip(cycle["skip"])
    nb = load(path)
    score, max_score = cycle["scores"]["instructor"][path.stem]
    assert max_score == auto_points(nb) + manual_points(nb) > 0
    graded_copy = cycle["course"] / "autograded" / "instructor" / path.stem
    assert score == auto_points(nb), f"an instructor solution fails its test: see {graded_copy}"
    assert cycle["scores"]["blank"][path.stem] == (0.0, max_score)

"""The lessons as nbgrader assignments: ``python notebooks/assignments.py [--only NN ...]``.

Each lesson ``notebooks/NN_*.ipynb`` is the instructor version of one assignment, named after the
notebook's stem. Its checkable exercises are nbgrader cells: a solution cell (``grade_id``
``ex-NN-k``, the worked answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) and, right
after it, an autograded test cell (``ex-NN-k-test``, its checks between ``### BEGIN HIDDEN TESTS``
and ``### END HIDDEN TESTS``). This script

1. writes an nbgrader course in a staging folder (default ``build/course/``): its
   ``nbgrader_config.py``, ``source/<assignment>/<notebook>.ipynb`` (the lessons, without their
   saved widget state) and ``gradebook.db``;
2. runs ``nbgrader generate_assignment --force`` for each assignment: solutions become
   ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, hidden tests and outputs are removed and
   the gradebook learns each cell's points;
3. copies the student versions to ``release/<assignment>/<notebook>.ipynb`` (with a README.md for
   the teacher).

The grading side (:func:`submit`, :func:`autograde`, :func:`scores`) puts submissions under
``submitted/<student>/<assignment>/``, runs ``nbgrader autograde`` (which executes each submitted
notebook after restoring its test cells from the gradebook) and reads the scores back. Running it
again replaces the previous output. nbgrader is the ``classroom`` extra:
``pip install -e ".[classroom]"``.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
COURSE_ID = "bhlib"
CELL_TIMEOUT = 600  # seconds per cell when autograding: notebooks 05 and 06 train models
INSTALL = 'pip install -e ".[classroom]"  (or: .venv/bin/pip install nbgrader==0.9.6)'

CONFIG = '''\
"""nbgrader configuration of the bhlib course, written by notebooks/assignments.py: rerun it
rather than edit this file. Run nbgrader from this folder (``cd {course}``)."""
import os

c = get_config()  # noqa: F821 (traitlets defines it)
HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.Execute.timeout = {timeout}  # seconds per cell: notebooks 05 and 06 train models
# The lessons read MovieLens from BHLIB_DATA (default ../data, which autograded/<student>/ lacks);
# the kernels that nbgrader starts inherit this environment. BHLIB_QUICK=1 shortens 05 and 06.
os.environ.setdefault("BHLIB_DATA", {data!r})
'''

README = """\
# Student notebooks (nbgrader release)

Written by `make assignments` (`notebooks/assignments.py`) from the lessons in `notebooks/`: one
folder per assignment, named after its lesson. Solutions are replaced by `# YOUR CODE HERE` /
`raise NotImplementedError()`, hidden tests and all outputs are removed. Do not edit these copies:
edit the lesson and rerun `make assignments`.

Hand out a folder as it is (each notebook file keeps its nbgrader cell metadata, which grading
needs). Students need bhlib installed (`pip install -e ".[notebooks]"` in a copy of this
repository). The notebooks read MovieLens from `$BHLIB_DATA`, by default `../data` beside the
assignment folder, and fetch it there once if it is missing (the licence forbids shipping it: do not
hand out a `data/` folder).

To grade, collect each student's notebooks into
`build/course/submitted/<student>/<assignment>/` and run `nbgrader autograde <assignment>` in
`build/course/` (or call `autograde` and `scores` in `notebooks/assignments.py`); `nbgrader
export` there writes grades.csv, and the formgrader (`jupyter lab` in `build/course/`, menu
Nbgrader) shows each graded notebook.
"""


# run by _nbgrader in a fresh interpreter: argv = course, step, then "assignment[:student]"s
DRIVER = """\
import json, sys, time
from nbgrader.apps import NbGraderAPI
from traitlets.config.loader import PyFileConfigLoader

course, step, *tasks = sys.argv[1:]
api = NbGraderAPI(config=PyFileConfigLoader("nbgrader_config.py", path=course).load_config())
for task in tasks:
    assignment, _, student = task.partition(":")
    start = time.perf_counter()
    if step == "generate_assignment":
        out = api.generate_assignment(assignment, force=True)
    else:
        out = api.autograde(assignment, student, force=True)
    print(json.dumps({"task": task, "seconds": time.perf_counter() - start,
                      "success": bool(out["success"]), "log": out.get("log", ""),
                      "error": out.get("error", "")}), flush=True)
"""


def lessons() -> list[Path]:
    """The instructor notebooks: ``notebooks/NN_*.ipynb``, in order."""
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def require_nbgrader() -> None:
    """Raise :class:`RuntimeError` naming the install command when nbgrader is not importable."""
    try:
        import nbgrader  # noqa: F401
    except ImportError as err:
        raise RuntimeError(f"nbgrader is not installed (the classroom extra): {INSTALL}") from err


def _nbgrader(course: Path, step: str, tasks: list[str], *,
              threads: int | None = None) -> dict[str, float]:
    """Run one nbgrader step for each task; return seconds per task.

    ``step`` is ``generate_assignment`` (tasks: assignment ids) or ``autograde`` (tasks:
    ``assignment:student``). One fresh Python process runs them all through
    ``nbgrader.apps.NbGraderAPI`` (importing nbgrader takes seconds), configured by the course's
    ``nbgrader_config.py``. nbgrader runs the ``alembic`` command to create a gradebook: this
    interpreter's scripts folder goes first on PATH, so an unactivated venv works. ``threads``
    caps the OpenMP threads of the kernels it starts (torch reads ``OMP_NUM_THREADS``).
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(course), step, *tasks],
                          cwd=course, env=env, capture_output=True, text=True, check=False)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    failed = [r for r in results if not r["success"]]
    if proc.returncode != 0 or failed or len(results) != len(tasks):
        detail = failed[0]["log"] if failed else proc.stderr
        hint = ""
        if "there are submissions associated with it" in detail:
            hint = (f"\nnbgrader keeps graded assignments' cells: build into a new --out, or "
                    f"rebuild {course} with --clean (its gradebook and grades are deleted)")
        raise RuntimeError(f"nbgrader {step} failed for {[r['task'] for r in failed] or tasks} "
                           f"in {course}:\n{detail[-3000:]}{hint}")
    return {r["task"]: r["seconds"] for r in results}


def write_config(course: Path, *, data_dir: Path | str = REPO / "data",
                 timeout: int = CELL_TIMEOUT) -> Path:
    """Write ``course/nbgrader_config.py`` (course id, gradebook inside, cell timeout, data folder).

    Args:
        course: the course folder (created if missing).
        data_dir: the MovieLens cache the kernels get as ``BHLIB_DATA`` (made absolute).
        timeout: seconds a cell may run when autograding.
    """
    course.mkdir(parents=True, exist_ok=True)
    path = course / "nbgrader_config.py"
    path.write_text(CONFIG.format(course=course, course_id=COURSE_ID, timeout=int(timeout),
                                  data=str(Path(data_dir).resolve())))
    return path


def _copy_source(notebook: Path, folder: Path) -> None:
    """Copy a lesson into ``source/<assignment>/``, dropping its saved widget state.

    The state only lets static viewers draw the instructor's widgets; the student copy has no
    outputs for it to belong to.
    """
    nb = json.loads(notebook.read_text())
    nb.get("metadata", {}).pop("widgets", None)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / notebook.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def generate(notebooks: list[Path], course: Path, release: Path | None = None, *,
             data_dir: Path | str = REPO / "data", timeout: int = CELL_TIMEOUT,
             clean: bool = False) -> dict[str, float]:
    """Build the course from instructor notebooks, one assignment each; return seconds for each.

    Args:
        notebooks: instructor notebooks; each becomes the assignment named after its stem.
        course: the course folder (default of the command line: ``build/course/``). Its gradebook,
            submissions and grades are kept; the chosen assignments' source and release are
            replaced.
        release: where to copy the student versions (``<release>/<assignment>/<notebook>``,
            replacing earlier copies, plus README.md); None leaves them in ``course/release/``.
        data_dir: the MovieLens cache autograding kernels read (``BHLIB_DATA``).
        timeout: seconds a cell may run when autograding.
        clean: delete the course folder first (gradebook, submissions and grades included).
            nbgrader refuses to add or remove nbgrader cells of an assignment that has
            submissions: rebuild with ``clean=True`` (or elsewhere) after such a change.

    Example:
        >>> generate(lessons()[:1], Path("build/course"), Path("release"))  # doctest: +SKIP
        {'01_raw_ids_to_binary_codes': 1.9}
    """
    require_nbgrader()
    course = Path(course).resolve()
    if clean:
        shutil.rmtree(course, ignore_errors=True)
    write_config(course, data_dir=data_dir, timeout=timeout)
    assignments = [Path(nb).stem for nb in notebooks]
    for notebook, assignment in zip(notebooks, assignments, strict=True):
        _copy_source(Path(notebook), course / "source" / assignment)
    seconds = _nbgrader(course, "generate_assignment", assignments)
    if release is not None:
        for assignment in assignments:
            target = Path(release) / assignment
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(course / "release" / assignment, target)
        (Path(release) / "README.md").write_text(README)
    return seconds


def submit(course: Path, student: str, assignment: str, notebooks: list[Path]) -> Path:
    """Put a student's notebooks in ``course/submitted/<student>/<assignment>/`` (replacing any).

    Each file keeps its name, which must be the assignment's notebook name.
    """
    folder = Path(course) / "submitted" / student / assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for notebook in notebooks:
        shutil.copy(notebook, folder / Path(notebook).name)
    return folder


def autograde(course: Path, students: list[str] | None = None, *,
              jobs: int = 1) -> dict[str, dict[str, float]]:
    """Autograde every submission of the given students; return ``{student: {assignment: s}}``.

    Each submitted notebook runs top to bottom in a fresh kernel (in
    ``autograded/<student>/<assignment>/``) after nbgrader restores its locked and test cells from
    the gradebook (``nbgrader autograde --force``: earlier grades are replaced). A cell that fails
    does not stop it: its tests score 0.

    Args:
        course: the course folder.
        students: student ids (default: every folder in ``submitted/``).
        jobs: students graded at the same time, one nbgrader process each; the gradebook is one
            SQLite file, which they share. The cores are shared out: each process's kernels get
            ``cores // jobs`` OpenMP threads (an oversubscribed core stalls torch's parallel
            regions).
    """
    require_nbgrader()
    course = Path(course).resolve()
    submitted = course / "submitted"
    if students is None:
        students = sorted(p.name for p in submitted.iterdir() if p.is_dir())
    tasks = {s: [f"{a.name}:{s}" for a in sorted((submitted / s).iterdir()) if a.is_dir()]
             for s in students}
    groups = [[t for s in students for t in tasks[s]]] if jobs <= 1 else list(tasks.values())
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        done = list(pool.map(lambda group: _nbgrader(course, "autograde", group, threads=threads),
                             groups))
    seconds: dict[str, dict[str, float]] = {s: {} for s in students}
    for part in done:
        for task, sec in part.items():
            assignment, _, student = task.partition(":")
            seconds[student][assignment] = sec
    return seconds


def scores(course: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """Read the grades back: ``{student: {assignment: (score, max_score)}}`` from the gradebook.

    ``score`` counts the autograded points and any given by hand; cells graded by hand score 0
    until a teacher grades them (in the formgrader), so only ``max_score`` includes them at first.

    Example:
        >>> lesson = "04_memory_budgets"
        >>> submit(course, "ada", lesson, [Path(f"{lesson}.ipynb")])  # doctest: +SKIP
        >>> autograde(course, ["ada"]); scores(course)  # doctest: +SKIP
        {'ada': {'04_memory_budgets': (1.0, 2.0)}}
    """
    require_nbgrader()
    from nbgrader.api import Gradebook

    db = Path(course).resolve() / "gradebook.db"
    result: dict[str, dict[str, tuple[float, float]]] = {}
    if not db.exists():  # nothing generated yet (and do not create an empty gradebook)
        return result
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                result.setdefault(sub.student.id, {})[assignment.name] = (
                    float(sub.score), float(sub.max_score))
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line: build the course and copy the student notebooks to the release folder."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NN", help="lessons to build (e.g. 01 03)")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "course",
                    help="course folder (default build/course)")
    ap.add_argument("--release", type=Path, default=REPO / "release",
                    help="where the student notebooks go (default release/)")
    ap.add_argument("--clean", action="store_true",
                    help="delete the course folder first (its gradebook and grades too)")
    args = ap.parse_args(argv)
    chosen = lessons()
    if args.only:
        chosen = [p for p in chosen if any(p.name.startswith(n) for n in args.only)]
        if not chosen:
            ap.error(f"no lesson matches {args.only}; have {[p.name for p in lessons()]}")
    try:
        require_nbgrader()
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 2
    seconds = generate(chosen, args.out, args.release, clean=args.clean)
    for assignment, sec in seconds.items():
        print(f"{args.release / assignment}: generated in {sec:.1f} s", flush=True)
    print(f"course in {args.out}; the teacher's notes: {args.release / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The notebooks' exercises and quizzes: every solution passes its own check, typical wrong answers
fail with the hint meant for them (never showing the answer), every exercise of a notebook is in
the registry (self-checking, or open-ended with a worked solution), and every quiz tells the truth
where it states a number."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import bhlib
from bhlib import teaching
from bhlib.data import CTRDataset
from bhlib.teaching import exercises
from bhlib.teaching.exercises import Exercise, OpenExercise
from bhlib.teaching.quiz_view import QuizView, quiz_widget

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = {p.name[:2]: p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}
CHECKED = [q for q in exercises.ALL if isinstance(q, Exercise)]
OPEN = [q for q in exercises.ALL if isinstance(q, OpenExercise)]


def _toy_time_split() -> CTRDataset:
    """Two fields; the last rows hold items training never sees (as MovieLens' time split)."""
    rng = np.random.default_rng(0)
    n = 400
    items = np.concatenate([rng.integers(0, 150, n - 40), rng.integers(150, 200, 40)])
    X = np.stack([rng.integers(0, 50, n), items], axis=1)
    return CTRDataset(name="toy", fields=["user_id", "item_id"], X=X,
                      y=rng.integers(0, 2, n).astype(np.float32),
                      cardinalities={"user_id": 50, "item_id": 200},
                      splits={"train": np.arange(n - 60), "valid": np.arange(n - 60, n - 40),
                              "test": np.arange(n - 40, n)})


def _context(q: Exercise) -> dict:
    return {"data": _toy_time_split()} if "data" in q.context else {}


def _run_solution(q: Exercise, context: dict):
    # what the notebooks have imported when their exercise cells run
    namespace = {"bhlib": bhlib, "teaching": teaching, "plan_embedding": bhlib.plan_embedding,
                 "ds": context.get("data")}
    exec(q.solution_code, namespace)
    return namespace["answer"]


def _notebook_cells(key: str) -> list[dict]:
    return json.loads(LESSONS[key].read_text())["cells"]


@pytest.mark.parametrize("q", CHECKED, ids=lambda q: q.name)
def test_every_solution_passes_its_own_check(q, capsys):
    context = _context(q)
    answer = _run_solution(q, context)
    v = q.verdict(answer, **context)
    assert v.correct, v.message
    q.assert_correct(answer, **context)
    q.check(answer, **context)
    assert capsys.readouterr().out.startswith("Right!")


def _answer_text(expected) -> list[str]:
    """How the right answer could appear in a message (numbers of two digits or more)."""
    if isinstance(expected, bool):
        return []
    if isinstance(expected, (int, float)):
        return [f"{expected:g}", f"{expected:,.0f}"] if abs(expected) >= 10 else []
    return [repr(expected), str(tuple(expected)) if not isinstance(expected, dict) else ""]


@pytest.mark.parametrize("q, k", [(q, k) for q in CHECKED for k in range(len(q.mistakes))],
                         ids=lambda x: x.name if isinstance(x, Exercise) else str(x))
def test_typical_wrong_answers_get_their_hint_and_never_the_answer(q, k):
    context = _context(q)
    expected = q.answer(**context)
    mistake = q.mistakes[k]
    wrong = mistake.example(expected)
    v = q.verdict(wrong, **context)
    assert not v.correct
    assert v.message == f"Not yet: {mistake.hint}", v.message
    for text in filter(None, _answer_text(expected)):
        assert text not in v.message, (text, v.message)
    with pytest.raises(AssertionError, match=re.escape(mistake.hint[:30])):
        q.assert_correct(wrong, **context)


@pytest.mark.parametrize("q", CHECKED, ids=lambda q: q.name)
def test_no_answer_or_the_wrong_kind_of_answer_says_what_is_expected(q):
    context = _context(q)
    assert q.verdict(..., **context).message.startswith("No answer yet")
    v = q.verdict("a string", **context)
    assert not v.correct and q.answer_form in v.message


def test_an_unforeseen_wrong_answer_gets_the_general_hint():
    q = exercises.get("01", 1)
    assert q.verdict((1, 2)).message == f"Not yet: {q.hint_text}"


def test_hint_and_solution_print_without_the_answer(capsys):
    q = exercises.get("04", 1)
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert out.startswith("Hint: ") and "answer = " in out and "256" not in out


def test_check_needs_its_context_and_nothing_else():
    q = exercises.get("06", 1)
    with pytest.raises(TypeError, match="missing \\['data'\\]"):
        q.check(set())
    with pytest.raises(TypeError, match="unknown \\['data'\\]"):
        exercises.get("01", 1).check((59, 66), data=None)


@pytest.mark.parametrize("args, error, match", [
    (("08", 1), ValueError, "notebook must be one of"),
    ((3.0, 1), TypeError, "notebook must be a str"),
    (("03", 9), ValueError, "notebook 03 has exercises \\[1, 2, 3, 4\\]"),
    (("03", "2"), TypeError, "number must be an int"),
])
def test_get_names_the_bad_argument(args, error, match):
    with pytest.raises(error, match=match):
        exercises.get(*args)


def test_get_accepts_an_int_notebook():
    assert exercises.get(3, 2) is exercises.get("03", 2)


@pytest.mark.parametrize("key", sorted(LESSONS))
def test_every_exercise_of_a_notebook_is_registered_as_checked_or_open(key):
    cells = _notebook_cells(key)
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    numbers = [int(n) for n in re.findall(r"\*\*Exercise (\d+)", text)]
    assert numbers == [q.number for q in exercises.for_notebook(key)]
    solutions = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    tests = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
    checked = [q for q in exercises.for_notebook(key) if isinstance(q, Exercise)]
    assert len(solutions) == len(tests) == len(checked)
    for q, sol, test in zip(checked, solutions, tests, strict=True):
        src = "".join(sol["source"])
        region = src.split("### BEGIN SOLUTION\n", 1)[1].split("### END SOLUTION", 1)[0]
        assert region.strip() == q.solution_code.strip(), q.name
        assert f'exercises.get("{key}", {q.number})' in src
        assert f'exercises.get("{key}", {q.number}).assert_correct(answer' in "".join(
            test["source"])
        assert sol["metadata"]["nbgrader"]["grade_id"] + "-test" == \
            test["metadata"]["nbgrader"]["grade_id"]


@pytest.mark.parametrize("q", OPEN, ids=lambda q: q.name)
def test_every_open_exercise_has_a_worked_solution(q, capsys):
    path = NOTEBOOKS / "solutions" / q.solution_notebook
    assert path.exists(), path
    cells = json.loads(path.read_text())["cells"]
    headings = ["".join(c["source"]).split("\n", 1)[0] for c in cells
                if c["cell_type"] == "markdown"]
    assert f"## Exercise {q.number}" in headings
    q.check()
    assert q.where in capsys.readouterr().out


def test_the_solution_notebooks_are_the_open_exercises_own():
    wanted = {q.solution_notebook for q in OPEN}
    assert {p.name for p in (NOTEBOOKS / "solutions").glob("*.ipynb")} == wanted
    assert all(name in {p.name for p in LESSONS.values()} for name in wanted)


def test_every_notebook_has_a_quiz_and_shows_it():
    assert sorted(exercises.QUIZZES) == sorted(LESSONS)
    for key in LESSONS:
        sources = ["".join(c["source"]) for c in _notebook_cells(key)]
        assert f'widgets.quiz_widget("{key}")' in sources
        assert len(exercises.quiz(key).questions) >= 3


@pytest.mark.parametrize("qz, i", [(qz, i) for qz in exercises.QUIZZES.values()
                                   for i in range(len(qz.questions))],
                         ids=lambda x: x.notebook if hasattr(x, "notebook") else str(x))
def test_quiz_questions_have_one_right_choice_explained_and_true_numbers(qz, i):
    q = qz.questions[i]
    assert sum(c.right for c in q.choices) == 1
    assert all(len(c.why) > 10 for c in q.choices)
    if q.verify is not None:
        assert q.verify() == q.choices[q.right_index].value
    assert q.explain(q.right_index).startswith("Right!")
    wrong = next(k for k in range(len(q.choices)) if k != q.right_index)
    assert q.explain(wrong).startswith("Not quite.")


def test_quiz_view_answers_each_pick_and_keeps_the_score():
    view = quiz_widget("03")
    qz = view.quiz
    assert view.score.value == f"<p><i>0 of {len(qz.questions)} answered, 0 right.</i></p>"
    view.pickers[0].index = qz.questions[0].right_index
    wrong = (qz.questions[1].right_index + 1) % len(qz.questions[1].choices)
    view.pickers[1].index = wrong
    assert "Right!" in view.feedback[0].value and "Not quite." in view.feedback[1].value
    assert qz.questions[1].choices[wrong].why in view.feedback[1].value
    assert f"2 of {len(qz.questions)} answered, 1 right" in view.score.value
    view.pickers[1].index = None
    assert view.feedback[1].value == ""


def test_quiz_view_carries_a_static_copy_for_pages_without_widgets():
    bundle = QuizView(exercises.quiz("05"))._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].count("<details>") == len(exercises.quiz("05").questions)
    with pytest.raises(TypeError, match="quiz must be a Quiz"):
        QuizView("05")


@pytest.mark.parametrize("picks, error", [([0], ValueError), ([None] * 3, None)])
def test_quiz_score_checks_its_picks(picks, error):
    qz = exercises.quiz("01")
    if error is None:
        assert qz.score(picks) == 0
    else:
        with pytest.raises(error, match="one entry per question"):
            qz.score(picks)

"""The exercises of the seven notebooks on BH (Yan et al., CIKM 2021, arXiv 2109.02471), each one
self-checking or with a worked solution.

In a notebook::

    from bhlib.teaching import exercises
    q = exercises.get("03", 2)
    q.hint()          # a nudge
    q.check(answer)   # right, or the hint of the most likely mistake (never the answer)
    q.solution()      # the worked code

An exercise with a definite answer is an :class:`Exercise`, whose answer is computed from the
library when it is checked; an open-ended one is an :class:`OpenExercise`, with a worked solution
in ``notebooks/solutions/NN_*.ipynb``.
"""
from __future__ import annotations

from typing import Any

from ..._checks import check_choice, check_int
from . import n01, n02, n03, n04, n05, n06, n07
from .base import Exercise, Mistake, OpenExercise, Verdict
from .quiz import Choice, Question, Quiz

__all__ = ["Exercise", "OpenExercise", "Mistake", "Verdict", "Choice", "Question", "Quiz", "ALL",
           "QUIZZES", "get", "for_notebook", "quiz"]

ALL: tuple[Exercise | OpenExercise, ...] = (n01.EXERCISES + n02.EXERCISES + n03.EXERCISES
                                            + n04.EXERCISES + n05.EXERCISES + n06.EXERCISES
                                            + n07.EXERCISES)
_BY_KEY = {(q.notebook, q.number): q for q in ALL}
QUIZZES: dict[str, Quiz] = {m.QUIZ.notebook: m.QUIZ
                            for m in (n01, n02, n03, n04, n05, n06, n07)}


def _notebook(notebook: Any) -> str:
    if isinstance(notebook, bool) or not isinstance(notebook, (int, str)):
        raise TypeError(f"notebook must be a str like '03' (or an int), got {notebook!r} "
                        f"({type(notebook).__name__})")
    key = f"{notebook:02d}" if isinstance(notebook, int) else notebook
    check_choice(key, "notebook", sorted({q.notebook for q in ALL}))
    return key


def for_notebook(notebook: str | int) -> tuple[Exercise | OpenExercise, ...]:
    """Every exercise of one notebook, in order.

    Example:
        >>> [q.number for q in for_notebook("01")]
        [1, 2, 3, 4]
    """
    key = _notebook(notebook)
    return tuple(q for q in ALL if q.notebook == key)


def get(notebook: str | int, number: int) -> Exercise | OpenExercise:
    """Exercise ``number`` of ``notebook`` (``"03"`` or ``3``).

    Example:
        >>> q = get("02", 4)
        >>> q.check((1, 7, 5, 0))  # doctest: +ELLIPSIS
        Not yet: those are the digits with the most significant first; ...
    """
    key = _notebook(notebook)
    numbers = [q.number for q in for_notebook(key)]
    if check_int(number, "number") not in numbers:
        raise ValueError(f"notebook {key} has exercises {numbers}, got number={number}")
    return _BY_KEY[(key, number)]


def quiz(notebook: str | int) -> Quiz:
    """The quiz of ``notebook`` (its widget: :func:`bhlib.teaching.quiz_view.quiz_widget`).

    Example:
        >>> q = quiz("04").questions[0]
        >>> print(q.explain(q.right_index))
        Right! 12: the parameter and Adam's two moments, 4 bytes each.
    """
    return QUIZZES[_notebook(notebook)]

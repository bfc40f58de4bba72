"""A self-checking exercise: ``check(answer)``, ``hint()`` and ``solution()``.

The pattern is Kaggle learntools' (``q1.check()``, ``q1.hint()``, ``q1.solution()``), for the
exercises of the notebooks on BH (Yan et al., CIKM 2021, arXiv 2109.02471). An exercise with a
definite answer is a :class:`Exercise`: its ``expected`` function computes the answer from the
library when it is asked (no number is pasted), ``check`` says whether an answer is right and, if
not, gives the hint of the most likely mistake (:class:`Mistake`) — never the answer.
``assert_correct`` is the same check as an ``AssertionError``, for nbgrader's autograded cells.
An exercise with no single answer is an :class:`OpenExercise`, whose solution is a worked notebook
under ``notebooks/solutions/``.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Mistake", "Verdict", "Exercise", "OpenExercise"]

KINDS = ("exact", "close", "set")


@dataclass(frozen=True, kw_only=True)
class Mistake:
    """A likely wrong answer and the hint it deserves (which never gives the answer away).

    Args:
        example: ``example(expected) -> answer``, a typical answer of this mistake (tests use it).
        hint: what the student most likely did wrong.
        when: ``when(answer, expected) -> bool``, the answers this hint is for (default: the
            example itself, compared as the exercise compares answers).

    Example:
        >>> m = Mistake(example=lambda e: e - 1, hint="Count the last one too.")
        >>> m.example(10)
        9
    """

    example: Callable[[Any], Any]
    hint: str
    when: Callable[[Any, Any], bool] | None = None


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """Whether an answer is right, and what to tell the student.

    Example:
        >>> Verdict(correct=False, message="Not yet.").correct
        False
    """

    correct: bool
    message: str


def normalize(value: Any) -> Any:
    """A student's answer in plain Python: numpy scalars and arrays, lists and tuples made alike.

    Example:
        >>> normalize(np.array([1, 2])), normalize({np.int64(3): [4.0]}), normalize(np.bool_(True))
        ((1, 2), {3: (4.0,)}, True)
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {normalize(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return frozenset(normalize(v) for v in value)
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    return value


def _shape(value: Any) -> str:
    """What kind of value this is, for a message: ``a tuple of 2``, ``an int``."""
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, numbers.Integral):
        return "an int"
    if isinstance(value, numbers.Real):
        return "a number"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    if isinstance(value, frozenset):
        return "a set"
    if isinstance(value, dict):
        return "a dict"
    return f"a {type(value).__name__}"


def _show(value: Any) -> Any:
    """An answer as the explanation shows it: sets sorted, tuples' floats to one decimal."""
    if isinstance(value, frozenset) and not value:
        return "none"
    if isinstance(value, frozenset):
        return "{" + ", ".join(map(str, sorted(value))) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:.1f}".removesuffix(".0") if isinstance(v, float) else str(v)
                               for v in value) + ")"
    return value


def _same_shape(answer: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(answer, bool):
        return isinstance(answer, bool) and isinstance(expected, bool)
    if isinstance(expected, numbers.Real):
        return isinstance(answer, numbers.Real) and math.isfinite(answer)
    if isinstance(expected, tuple):
        return (isinstance(answer, tuple) and len(answer) == len(expected)
                and all(_same_shape(a, e) for a, e in zip(answer, expected, strict=True)))
    if isinstance(expected, frozenset):
        return isinstance(answer, (frozenset, tuple))
    return type(answer) is type(expected)


def _equal(answer: Any, expected: Any, kind: str, rel_tol: float) -> bool:
    if kind == "set" and isinstance(answer, tuple):
        answer = frozenset(answer)
    if kind == "close" and isinstance(expected, tuple):
        return all(_equal(a, e, kind, rel_tol) for a, e in zip(answer, expected, strict=True))
    if kind == "close" and isinstance(expected, numbers.Real) and not isinstance(expected, bool):
        return math.isclose(answer, expected, rel_tol=rel_tol, abs_tol=1e-12)
    return answer == expected


@dataclass(frozen=True, kw_only=True)
class Exercise:
    """An exercise with a definite answer, computed from the library when it is checked.

    Args:
        notebook: the notebook's two-digit number, e.g. ``"03"``.
        number: the exercise's number in that notebook's Exercises section.
        question: the question, in one or two sentences.
        answer_form: what an answer looks like, e.g. ``"an int: a number of bits"``.
        expected: ``expected(**context) -> answer``, computed from the library.
        hint_text: the general hint (``hint()``) and the message for an unforeseen wrong answer.
        solution_code: worked code that sets ``answer`` (the notebook's solution region).
        explanation: why the answer is what it is; ``{answer}`` is replaced by the answer.
        mistakes: likely wrong answers, each with its own hint.
        kind: ``"exact"``, ``"close"`` (numbers within ``rel_tol``) or ``"set"`` (order free).
        rel_tol: relative tolerance of ``"close"``.
        context: names of the keyword arguments ``check`` needs (e.g. ``("data",)``).

    Example:
        >>> q = Exercise(notebook="00", number=1, question="How many bits number 1000 ids?",
        ...              answer_form="an int", expected=lambda: 10, hint_text="2**10 = 1024.",
        ...              solution_code="answer = bhlib.bits_needed(1000)",
        ...              explanation="{answer} bits: 2**9 < 1000 <= 2**10.",
        ...              mistakes=(Mistake(example=lambda e: e - 1, hint="2**9 is 512."),))
        >>> q.check(9)
        Not yet: 2**9 is 512.
        >>> q.check(10)
        Right! 10 bits: 2**9 < 1000 <= 2**10.
    """

    notebook: str
    number: int
    question: str
    answer_form: str
    expected: Callable[..., Any]
    hint_text: str
    solution_code: str
    explanation: str
    mistakes: tuple[Mistake, ...] = ()
    kind: str = "exact"
    rel_tol: float = 0.0
    context: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if "answer" not in self.solution_code:
            raise ValueError(f"exercise {self.notebook}.{self.number}: solution_code must set "
                             f"`answer`")

    @property
    def name(self) -> str:
        """``"NN.k"``, how notebooks and messages refer to the exercise."""
        return f"{self.notebook}.{self.number}"

    def answer(self, **context: Any) -> Any:
        """The right answer, computed now from the library (for tests and teachers)."""
        missing = [c for c in self.context if c not in context]
        unknown = sorted(set(context) - set(self.context))
        if missing or unknown:
            raise TypeError(f"exercise {self.name}'s check takes {list(self.context) or 'no'} "
                            f"keyword arguments; missing {missing}, unknown {unknown}")
        return normalize(self.expected(**context))

    def verdict(self, answer: Any, **context: Any) -> Verdict:
        """Whether ``answer`` is right, and the message ``check`` prints."""
        if answer is Ellipsis or answer is None:
            return Verdict(correct=False, message=f"No answer yet: set `answer` to "
                                                  f"{self.answer_form}.")
        expected = self.answer(**context)
        given = normalize(answer)
        if not _same_shape(given, expected):
            return Verdict(correct=False, message=f"Not yet: the answer should be "
                                                  f"{self.answer_form}; got {_shape(given)}, "
                                                  f"{given!r}.")
        if _equal(given, expected, self.kind, self.rel_tol):
            return Verdict(correct=True,
                           message="Right! " + self.explanation.format(answer=_show(expected)))
        for m in self.mistakes:
            matches = (m.when(given, expected) if m.when is not None else
                       _equal(given, normalize(m.example(expected)), self.kind, self.rel_tol))
            if matches:
                return Verdict(correct=False, message=f"Not yet: {m.hint}")
        return Verdict(correct=False, message=f"Not yet: {self.hint_text}")

    def check(self, answer: Any, **context: Any) -> None:
        """Print whether ``answer`` is right and, if not, a hint (never the answer)."""
        print(self.verdict(answer, **context).message)

    def assert_correct(self, answer: Any, **context: Any) -> None:
        """``check`` as an assertion (nbgrader's autograded cells): raises ``AssertionError``."""
        v = self.verdict(answer, **context)
        if not v.correct:
            raise AssertionError(f"exercise {self.name}: {v.message}")

    def hint(self) -> None:
        """Print the hint."""
        print(f"Hint: {self.hint_text}")

    def solution(self) -> None:
        """Print the worked code that computes the answer."""
        print(f"Solution of exercise {self.name} (run it to see the answer):\n\n"
              f"{self.solution_code.strip()}")


@dataclass(frozen=True, kw_only=True)
class OpenExercise:
    """An exercise with no single answer: a hint, and a worked solution notebook.

    Example:
        >>> q = OpenExercise(notebook="00", number=2, question="Why?", hint_text="Think.",
        ...                  solution_notebook="00_intro.ipynb")
        >>> q.check("because")  # doctest: +ELLIPSIS
        Exercise 00.2 is open-ended: compare your answer with the worked solution in ...
    """

    notebook: str
    number: int
    question: str
    hint_text: str
    solution_notebook: str

    @property
    def name(self) -> str:
        """``"NN.k"``, how notebooks and messages refer to the exercise."""
        return f"{self.notebook}.{self.number}"

    @property
    def where(self) -> str:
        """The solution notebook's path from the repository root."""
        return f"notebooks/solutions/{self.solution_notebook}"

    def check(self, answer: Any = None) -> None:
        """Say where the worked solution is (an open question has no automatic check)."""
        print(f"Exercise {self.name} is open-ended: compare your answer with the worked solution "
              f'in {self.where} (section "Exercise {self.number}").')

    def hint(self) -> None:
        """Print the hint."""
        print(f"Hint: {self.hint_text}")

    def solution(self) -> None:
        """Say where the worked solution is."""
        print(f'The worked solution is in {self.where}, section "Exercise {self.number}".')

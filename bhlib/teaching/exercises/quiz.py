"""Multiple-choice quizzes: every choice carries an explanation of what is right or wrong in it.

The pattern is the Hugging Face course's end-of-chapter quiz, for the notebooks on BH (Yan et al.,
CIKM 2021, arXiv 2109.02471). A :class:`Question` has one right :class:`Choice`, shown in an
order fixed by a hash of the choices' texts (so the right one is not always first, and the order
is the same for every student and every run); a question whose
answer is a number states it as the right choice's ``value`` and gives ``verify``, a function that
computes the number from the library, so a test can check that the quiz tells the truth. The widget
view is :func:`bhlib.teaching.quiz_view.quiz_widget`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..._checks import check_int

__all__ = ["Choice", "Question", "Quiz"]


@dataclass(frozen=True, kw_only=True)
class Choice:
    """One answer to a question, whether it is right, and why (or why not).

    Example:
        >>> Choice(text="2 ** 10", right=True, why="1024 >= 1000 > 512.").right
        True
    """

    text: str
    why: str
    right: bool = False
    value: Any = None


@dataclass(frozen=True, kw_only=True)
class Question:
    """A question with exactly one right choice.

    Args:
        text: the question (HTML allowed: ``<code>`` for code).
        choices: the choices (shown in an order fixed by their texts, not this one).
        verify: optional ``verify() -> value``, the right choice's ``value`` computed from the
            library (tests compare them).

    Example:
        >>> q = Question(text="Bits for 1000 dense ids?", choices=(
        ...     Choice(text="10", right=True, why="2**10 = 1024 >= 1000.", value=10),
        ...     Choice(text="1000", why="that counts ids, not bits.")))
        >>> [c.text for c in q.choices], q.right_index
        (['1000', '10'], 1)
        >>> q.explain(0)
        'Not quite. 1000: that counts ids, not bits.'
    """

    text: str
    choices: tuple[Choice, ...]
    verify: Callable[[], Any] | None = None

    def __post_init__(self) -> None:
        rights = sum(c.right for c in self.choices)
        if rights != 1 or len(self.choices) < 2:
            raise ValueError(f"a question needs two or more choices, exactly one right; got "
                             f"{len(self.choices)} choices, {rights} right: {self.text!r}")
        shown = sorted(self.choices, key=lambda c: hashlib.sha256(c.text.encode()).digest())
        object.__setattr__(self, "choices", tuple(shown))

    @property
    def right_index(self) -> int:
        """The position of the right choice."""
        return next(i for i, c in enumerate(self.choices) if c.right)

    def explain(self, index: int) -> str:
        """What the quiz says when choice ``index`` is picked."""
        c = self.choices[check_int(index, "index", low=0, high=len(self.choices) - 1)]
        return f"{'Right!' if c.right else 'Not quite.'} {c.text}: {c.why}"


@dataclass(frozen=True, kw_only=True)
class Quiz:
    """The quiz of one notebook.

    Example:
        >>> q = Question(text="1 + 1?", choices=(Choice(text="2", right=True, why="yes."),
        ...                                      Choice(text="3", why="one too many.")))
        >>> Quiz(notebook="00", questions=(q,)).score([q.right_index])
        1
    """

    notebook: str
    questions: tuple[Question, ...]

    def score(self, picks: list[int | None]) -> int:
        """How many of ``picks`` (one choice index, or None, per question) are right."""
        if len(picks) != len(self.questions):
            raise ValueError(f"picks must have one entry per question ({len(self.questions)}), "
                             f"got {len(picks)}")
        pairs = zip(picks, self.questions, strict=True)
        return sum(p is not None and p == q.right_index for p, q in pairs)

    def to_html(self) -> str:
        """The quiz as static HTML, the answers folded away (for pages with no kernel).

        Example:
            >>> q = Question(text="1 + 1?", choices=(Choice(text="2", right=True, why="yes."),
            ...                                      Choice(text="3", why="one too many.")))
            >>> "<details>" in Quiz(notebook="00", questions=(q,)).to_html()
            True
        """
        parts = [f"<h4>Quiz, notebook {self.notebook}</h4>"]
        for i, q in enumerate(self.questions, 1):
            items = "".join(f"<li>{c.text}</li>" for c in q.choices)
            answers = "".join(f"<li><b>{'right' if c.right else 'wrong'}</b> — {c.text}: "
                              f"{c.why}</li>" for c in q.choices)
            parts.append(f"<p><b>{i}.</b> {q.text}</p><ol type='a'>{items}</ol>"
                         f"<details><summary>Answer and explanations</summary>"
                         f"<ul>{answers}</ul></details>")
        return "".join(parts)

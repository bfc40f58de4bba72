"""The quiz of a notebook as a widget: pick a choice, read why it is right or wrong.

A thin view over :class:`bhlib.teaching.exercises.quiz.Quiz` (the quizzes of the notebooks on BH,
Yan et al., CIKM 2021, arXiv 2109.02471): one group of radio buttons per question, the
explanation of the picked choice under it, and the score so far. Where widgets cannot be drawn
(an untrusted notebook, the rendered book) the quiz shows as static HTML with its answers folded
away.
"""
from __future__ import annotations

import ipywidgets as widgets

from . import exercises
from .exercises.quiz import Quiz

__all__ = ["QuizView", "quiz_widget"]

_RIGHT, _WRONG = "#1b7f3b", "#b00020"


class QuizView(widgets.VBox):
    """Radio buttons per question; picking one shows its explanation and updates the score.

    Example:
        >>> view = QuizView(exercises.quiz("01"))
        >>> q = view.quiz.questions[0]
        >>> view.pickers[0].index = q.right_index
        >>> view.feedback[0].value.startswith('<p style="color:#1b7f3b">Right!')
        True
    """

    def __init__(self, quiz: Quiz) -> None:
        if not isinstance(quiz, Quiz):
            raise TypeError(f"quiz must be a Quiz, got {type(quiz).__name__}")
        self.quiz = quiz
        self.pickers: list[widgets.RadioButtons] = []
        self.feedback: list[widgets.HTML] = []
        rows: list[widgets.Widget] = [widgets.HTML(f"<b>Quiz</b> (notebook {quiz.notebook}): "
                                                   "pick an answer to see why it is right or "
                                                   "wrong.")]
        for i, q in enumerate(quiz.questions, 1):
            picker = widgets.RadioButtons(options=[c.text for c in q.choices], index=None,
                                          layout=widgets.Layout(width="auto"))
            note = widgets.HTML()
            picker.observe(lambda change, k=i - 1: self._picked(k), names="index")
            self.pickers.append(picker)
            self.feedback.append(note)
            rows += [widgets.HTML(f"<p><b>{i}.</b> {q.text}</p>"), picker, note]
        self.score = widgets.HTML(self._score_text())
        super().__init__([*rows, self.score])
        self.add_class("bh-quiz")  # how a page (and the browser tests) tells it from a panel

    def _picked(self, k: int) -> None:
        index = self.pickers[k].index
        if index is None:
            self.feedback[k].value = ""
        else:
            right = self.quiz.questions[k].choices[index].right
            self.feedback[k].value = (f'<p style="color:{_RIGHT if right else _WRONG}">'
                                      f"{self.quiz.questions[k].explain(index)}</p>")
        self.score.value = self._score_text()

    def _score_text(self) -> str:
        picks = [p.index for p in self.pickers]
        answered = sum(p is not None for p in picks)
        return (f"<p><i>{answered} of {len(picks)} answered, {self.quiz.score(picks)} "
                f"right.</i></p>")

    def _repr_mimebundle_(self, **kwargs):
        """The widget, plus the quiz as static HTML for front ends that cannot draw widgets."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        return {**bundle, "text/html": self.quiz.to_html(),
                "text/plain": f"Quiz of notebook {self.quiz.notebook}: run the notebook to "
                              "answer it"}


def quiz_widget(notebook: str | int) -> QuizView:
    """The quiz of ``notebook`` (``"03"`` or ``3``) as a widget.

    Example:
        >>> len(quiz_widget("02").pickers) >= 3
        True
    """
    return QuizView(exercises.quiz(notebook))

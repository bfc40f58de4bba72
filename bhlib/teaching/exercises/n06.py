"""The exercises of notebook 06 (convergence and unseen ids, two claims of Yan et al., CIKM 2021,
arXiv 2109.02471): which schemes give unseen ids trained rows, and questions with worked
solutions.

Example:
    >>> EXERCISES[0].context
    ('data',)
"""
from __future__ import annotations

from typing import Any

from ...embeddings import COMPARED_METHODS
from ..uniqueness import unseen_rows_table
from .base import Exercise, Mistake, OpenExercise
from .quiz import Choice, Question, Quiz

__all__ = ["EXERCISES", "QUIZ"]

SOLUTIONS = "06_convergence_and_unseen_ids.ipynb"
RATIO = 30


def _untrained(data: Any, ratio: float = RATIO) -> frozenset:
    t = unseen_rows_table(data, "item_id", ratio=ratio)
    t = t[t["method"] != "full"]
    return frozenset(t.loc[t["ids_no_row_trained"].fillna(0) > 0, "method"])


def _open(number: int, question: str, hint: str) -> OpenExercise:
    return OpenExercise(notebook="06", number=number, question=question, hint_text=hint,
                        solution_notebook=SOLUTIONS)


EXERCISES = (
    Exercise(
        notebook="06", number=1,
        question=f"At ratio {RATIO}, which compressed schemes (of bhlib.COMPARED_METHODS) "
                 "still leave some unseen item_id with no trained row at all?",
        answer_form="a set of method names (set() if none)",
        expected=_untrained, kind="set", context=("data",),
        hint_text=f"teaching.unseen_rows_table(ds, 'item_id', ratio={RATIO}): the methods "
                  "other than full whose ids_no_row_trained is above 0.",
        solution_code=f"t = teaching.unseen_rows_table(ds, 'item_id', ratio={RATIO})\n"
                      "t = t[t['method'] != 'full']\n"
                      "answer = set(t.loc[t['ids_no_row_trained'].fillna(0) > 0, 'method'])",
        explanation="schemes leaving such an id: {answer}. Each row is shared by about 30 ids "
                    "at 30x, so a row that no training id reads is rarer still than at 10x "
                    "(the tables above), and every unseen id reads learned rows.",
        mistakes=(
            Mistake(example=lambda e: set(e) | {"full"},
                    hint="full is the baseline, not a compressed scheme: leave it out."),
            Mistake(example=lambda e: set(COMPARED_METHODS) - {"full"} - set(e),
                    hint="ids_no_row_trained counts the ids none of whose rows were trained; "
                         "keep the methods where it is above 0."),
        ),
    ),
    _open(2, "Number ids in order of first appearance (id_order='first_seen'): what happens "
             "to the rows of new ids?",
          "New ids get the highest numbers; which blocks of BH-Succession do they share, and "
          "with whom?"),
    _open(3, "Three seeds: which differences between methods survive?",
          "Compare each gap with the spread over seeds."),
    _open(4, "Which scheme for a field where new ids keep arriving, and how would you size it?",
          "Think of the rows an unseen id reads, and of the vocabulary a year from now."),
)


QUIZ = Quiz(notebook="06", questions=(
    Question(text="In a time split, what does a full table give an item never seen in "
                  "training?",
             choices=(
                 Choice(text="its own row, still at its random initialization", right=True,
                        why="no training row reads it, so no gradient ever reached it."),
                 Choice(text="the average of the trained rows",
                        why="nothing averages rows; the row is simply untrained."),
                 Choice(text="an error",
                        why="the id is in the vocabulary; its row exists."),
             )),
    Question(text="What does a compressed scheme give that unseen item?",
             choices=(
                 Choice(text="rows that training ids share, so learned parameters of other "
                             "ids", right=True,
                        why="which ids those are depends on how the scheme picks the "
                            "sharers."),
                 Choice(text="a row of its own",
                        why="compressed tables have fewer rows than ids; rows are shared."),
                 Choice(text="zeros",
                        why="no scheme here zeroes unseen ids."),
             )),
    Question(text="Convergence is compared…",
             choices=(
                 Choice(text="at equal memory, on validation AUC and training loss over "
                             "epochs, with the spread over seeds", right=True,
                        why="a larger table or a lucky seed would otherwise decide."),
                 Choice(text="by wall-clock time only",
                        why="time depends on the machine, not the method's convergence."),
                 Choice(text="on the test set, epoch by epoch",
                        why="choosing by test AUC leaks the test set into the comparison."),
             )),
))

"""The exercises of notebook 05 (the accuracy-versus-size trade-off of Yan et al., CIKM 2021,
arXiv 2109.02471): six small sweeps and questions with worked solutions, and one closed-form
check on the sizes a budget gives.

Example:
    >>> EXERCISES[-1].answer()[1]
    528
"""
from __future__ import annotations

from ...embeddings import METHODS, plan_embedding
from ..blocks import block_size_table
from .base import Exercise, Mistake, OpenExercise
from .quiz import Choice, Question, Quiz

__all__ = ["EXERCISES", "QUIZ"]

SOLUTIONS = "05_accuracy_vs_size.ipynb"
V, D, TARGET = 10**6, 16, 1000


def _reached() -> tuple[float, int]:
    name, kwargs = METHODS["bh-succession"]
    plan = plan_embedding(name, V, D, ratio=TARGET, **kwargs)
    return plan.achieved_ratio, plan.num_rows


def _next_larger(expected) -> tuple[float, int]:
    """The smallest Succession size with more rows than the right one (it exceeds the budget)."""
    t = block_size_table(V, D, strategy="succession")
    row = t[t["num_rows"] > expected[1]].sort_values("num_rows").iloc[0]
    return float(row["achieved_ratio"]), int(row["num_rows"])


def _open(number: int, question: str, hint: str) -> OpenExercise:
    return OpenExercise(notebook="05", number=number, question=question, hint_text=hint,
                        solution_notebook=SOLUTIONS)


EXERCISES = (
    _open(1, "Add bh-shared on the synthetic set: does its loss of uniqueness show up in AUC?",
          "Compare bh-shared with bh-succession at the same ratio, and the gap with the spread "
          "over seeds."),
    _open(2, "Number the MovieLens ids in sorted order: does BH-Succession profit from it?",
          "With sorted ids, neighbouring ids share their high blocks: which ids then share "
          "rows?"),
    _open(3, "Compress only item_id: how does the retention change?",
          "A field left full keeps its own capacity; how much of the AUC comes from each "
          "field?"),
    _open(4, "Q-R with sum fusion (qr-add): how much of the gap between Q-R and BH does the "
             "fusion explain?",
          "Compare qr, qr-add and bh-succession at the same ratio on the same seeds."),
    _open(5, "Three seeds: which verdicts change?",
          "A verdict rests on a gap and a spread; a third seed changes both."),
    _open(6, "Which retention measure would you report to a manager, and which to a reviewer?",
          "One measure divides AUCs, the other divides the gains over a coin toss (0.5)."),
    Exercise(
        notebook="05", number=7,
        question="At target ratio 1000 on the 10^6-id field (D = 16), what ratio does "
                 "bh-succession actually reach, and with how many rows?",
        answer_form="a tuple (the ratio reached as a number, the rows as an int)",
        expected=_reached, kind="close", rel_tol=0.005,
        hint_text="The target is a budget: the scheme takes its largest size within it. "
                  "bhlib.plan_embedding('bh', 10**6, 16, ratio=1000, strategy='succession') "
                  "reports achieved_ratio and num_rows; teaching.block_size_table(10**6, 16) "
                  "lists the sizes.",
        solution_code="plan = plan_embedding('bh', 10**6, 16, ratio=1000, strategy='succession')\n"
                      "answer = (plan.achieved_ratio, plan.num_rows)",
        explanation="{answer}: BH's sizes move in steps of about 2x, so the largest one within "
                    "the budget is well past 1000x; report the ratio reached.",
        mistakes=(
            Mistake(example=lambda e: (float(TARGET), V // TARGET),
                    hint="that is the target; BH cannot stop at any size, it moves in steps."),
            Mistake(example=_next_larger,
                    hint="that size has more parameters than the budget allows: the target "
                         "ratio is an upper bound on the size."),
        ),
    ),
)


QUIZ = Quiz(notebook="05", questions=(
    Question(text="Two methods' test AUCs differ by 0.002; over seeds each varies by 0.004. "
                  "What do you conclude?",
             choices=(
                 Choice(text="nothing yet: the gap is within seed noise", right=True,
                        why="a gap smaller than the spread over seeds can flip with the next "
                            "seed."),
                 Choice(text="the higher one is better",
                        why="only if the gap outlasts the noise; here it does not."),
                 Choice(text="both are equal",
                        why="the runs do not show that either; they show too little."),
             )),
    Question(text="Why does MovieLens-100K not test BH at 1000x?",
             choices=(
                 Choice(text="its fields have too few ids for such tables", right=True,
                        why="its largest field has 1,682 items: 1000x would leave a couple of "
                            "rows; the paper's 1000x needs web-scale fields."),
                 Choice(text="BH cannot be trained on real data",
                        why="it trains on MovieLens at 10x in this notebook."),
                 Choice(text="MovieLens has no ids",
                        why="users and items are its id fields."),
             )),
    Question(text="A claim is judged by <code>claims_table</code>. When is the rule chosen?",
             choices=(
                 Choice(text="before looking at the runs", right=True,
                        why="a rule chosen after the numbers can be bent to fit them."),
                 Choice(text="after the runs, to fit what they show",
                        why="that makes any claim hold."),
                 Choice(text="never: the verdict is the reader's",
                        why="the notebook states its rule so that anyone gets the same "
                            "verdict."),
             )),
))

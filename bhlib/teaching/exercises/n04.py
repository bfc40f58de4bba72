"""The exercises of notebook 04 (memory budgets, the motivation of Yan et al., CIKM 2021,
arXiv 2109.02471): a full table under SGD, and where Q-R stops fitting a wearable.

Example:
    >>> EXERCISES[0].answer()
    (256.0, 4)
"""
from __future__ import annotations

import math
from functools import lru_cache

from ...embeddings import bytes_per_parameter, plan_embedding
from ..budgets import DEVICES, budget_table, smallest_plan
from .base import Exercise, Mistake, OpenExercise
from .quiz import Choice, Question, Quiz

__all__ = ["EXERCISES", "QUIZ"]

SOLUTIONS = "04_memory_budgets.ipynb"
GPU, WEARABLE = "datacenter GPU (80 GB)", "wearable (2 MB)"


def _full_sgd(optimizer: str = "sgd") -> tuple[float, int]:
    t = budget_table(10**9, 64, DEVICES[GPU], optimizer=optimizer, methods=["full"])
    nbytes = int(t["bytes"].iloc[0])
    return nbytes / 10**9, math.ceil(nbytes / DEVICES[GPU])


def _fits(v: int, optimizer: str) -> bool:
    plan = smallest_plan("qr", v, 64)
    return plan.num_parameters * bytes_per_parameter(optimizer) <= DEVICES[WEARABLE]


@lru_cache(maxsize=4)
def _qr_limit(optimizer: str = "adam") -> int:
    """The largest V whose smallest Q-R plan (D = 64) still fits the wearable (bisection)."""
    lo, hi = 1, 10**12  # fits, does not fit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _fits(mid, optimizer) else (lo, mid)
    return lo


def _fit_wearable() -> tuple[str, ...]:
    t = budget_table(10**9, 64, DEVICES[WEARABLE], methods=["qr", "bh-succession"])
    return tuple(t.loc[t["fits"], "method"])


EXERCISES = (
    Exercise(
        notebook="04", number=1,
        question="With SGD instead of Adam, how much memory does the full table of 10^9 ids "
                 "(D = 64) need to train, and how many 80 GB GPUs would it fill?",
        answer_form="a tuple (gigabytes as a number, GPUs as an int)",
        expected=_full_sgd, kind="close", rel_tol=0.01,
        hint_text="Plain SGD keeps no state: one float32 per parameter, V x D parameters. "
                  "teaching.budget_table(10**9, 64, 80 * 10**9, optimizer='sgd', "
                  "methods=['full']) has the bytes.",
        solution_code="gpu = 80 * 10**9\n"
                      "t = teaching.budget_table(10**9, 64, gpu, optimizer='sgd',\n"
                      "                          methods=['full'])\n"
                      "nbytes = int(t['bytes'].iloc[0])\n"
                      "answer = (nbytes / 10**9, -(-nbytes // gpu))  # a / b rounded up",
        explanation="{answer}: a third of what Adam needs, and still more than one GPU holds.",
        mistakes=(
            Mistake(example=lambda e: _full_sgd("adam"),
                    hint="that is with Adam, which keeps two more floats per parameter; plain "
                         "SGD keeps none."),
            Mistake(example=lambda e: _full_sgd("sgd_momentum"),
                    hint="that is SGD with momentum (one more float per parameter); the "
                         "exercise means plain SGD."),
            Mistake(example=lambda e: (e[0], e[1] - 1),
                    hint="the table does not divide evenly: the last GPU holds the rest."),
            Mistake(example=lambda e: (e[0] * 10**9, e[1]),
                    hint="give the memory in gigabytes (10**9 bytes)."),
        ),
    ),
    Exercise(
        notebook="04", number=2,
        question="From what vocabulary size on does Q-R (its smallest plan, D = 64, Adam) stop "
                 "fitting the wearable's 2 MB?",
        answer_form="a number (the largest V that still fits; within 2%)",
        expected=_qr_limit, kind="close", rel_tol=0.02,
        hint_text="Q-R's smallest plan has about 2 sqrt(V) rows of D floats, and Adam makes each "
                  "parameter cost 12 bytes; solve for V, or bisect with "
                  "teaching.smallest_plan('qr', V, 64).",
        solution_code="budget = 2 * 10**6 / 12      # parameters that fit, with Adam's state\n"
                      "rows = budget / 64            # rows of D = 64 floats\n"
                      "answer = (rows / 2) ** 2      # 2 sqrt(V) rows",
        explanation="about {answer:,} ids: beyond that even Q-R's smallest tables need more "
                    "than 2 MB, while BH still fits billions of ids.",
        mistakes=(
            Mistake(example=lambda e: _qr_limit(None),
                    hint="count the optimizer's state: Adam keeps two more floats per "
                         "parameter."),
            Mistake(example=lambda e: e * 4,
                    hint="Q-R's smallest plan has two tables of about sqrt(V) rows each, "
                         "2 sqrt(V) rows in all."),
        ),
    ),
    OpenExercise(notebook="04", number=3, solution_notebook=SOLUTIONS,
                 question="Why is Skip's step from 1 to 2 blocks so large? Which num_bits "
                          "would make it smaller?",
                 hint_text="One block of n bits has 2**n rows; two blocks have about "
                           "2 * 2**(n/2)."),
    OpenExercise(notebook="04", number=4, solution_notebook=SOLUTIONS,
                 question="A mixed-dimension or DHE embedding would change which column of "
                          "this notebook?",
                 hint_text="Which quantity do they change: the rows, the dimension, or what an "
                           "id is mapped to?"),
)


QUIZ = Quiz(notebook="04", questions=(
    Question(text="How many bytes does one float32 parameter cost while training with Adam?",
             verify=lambda: bytes_per_parameter("adam"), choices=(
                 Choice(text="12", right=True, value=12,
                        why="the parameter and Adam's two moments, 4 bytes each."),
                 Choice(text="4", why="that is the parameter alone, as at serving time."),
                 Choice(text="8", why="that is one extra slot, as with momentum or "
                                       "Adagrad."),
             )),
    Question(text="On a million ids (D = 16) a budget asks for 1000x, and BH-Succession "
                  "reports 1894x. Why?",
             verify=lambda: round(plan_embedding("bh", 10**6, 16, ratio=1000,
                                                 strategy="succession").achieved_ratio),
             choices=(
                 Choice(text="its sizes move in steps; the largest within the budget is "
                             "smaller", right=True, value=1894,
                        why="one more bit in a block roughly doubles its rows: the next size "
                            "up would exceed the budget."),
                 Choice(text="a rounding error in the report",
                        why="sizes are counted exactly in integers."),
                 Choice(text="BH always compresses twice as much as asked",
                        why="the step depends on the sizes near the budget, not a rule of 2."),
             )),
    Question(text="Which method still fits a 2 MB wearable for a billion ids (D = 64), with "
                  "Adam?",
             verify=lambda: _fit_wearable(), choices=(
                 Choice(text="BH", right=True, value=("bh-succession",),
                        why="it reaches V / 2n: two rows per bit of the code, a few dozen rows "
                            "for a billion ids."),
                 Choice(text="Q-R", why="its smallest plan has about 2 sqrt(V) rows, tens of "
                                        "thousands here: tens of MB with Adam."),
                 Choice(text="none of them",
                        why="hash-mod fits any budget by merging ids, and BH fits too."),
             )),
))

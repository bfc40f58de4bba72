"""The exercises of notebook 02 (code block strategies of Yan et al., CIKM 2021,
arXiv 2109.02471): the sizes Succession and Skip share, global weights, digits in base 8.

Example:
    >>> [type(q).__name__ for q in EXERCISES]
    ['Exercise', 'Exercise', 'OpenExercise', 'Exercise']
"""
from __future__ import annotations

from ...codes import block_partition, table_rows
from ...indices import bh_indices
from ..blocks import digits_table
from .base import Exercise, Mistake, OpenExercise
from .quiz import Choice, Question, Quiz

__all__ = ["EXERCISES", "QUIZ"]

SOLUTIONS = "02_code_block_strategies.ipynb"
N = 20


def _shared_sizes() -> frozenset:
    succession = {table_rows(N, strategy="succession", block_bits=t) for t in range(1, N + 1)}
    skip = {table_rows(N, strategy="skip", num_blocks=m) for m in range(1, N + 1)}
    return frozenset(succession & skip)


def _divisor_sizes(expected) -> frozenset:
    return frozenset(table_rows(N, strategy="succession", block_bits=t)
                     for t in range(1, N + 1) if N % t == 0)


def _global_rows() -> tuple[int, ...]:
    blocks = block_partition(8, strategy="skip", num_blocks=2)
    return tuple(sum(((214 >> p) & 1) << p for p in block) for block in blocks)


def _rank_rows(expected, layout: str = "shared") -> tuple[int, ...]:
    return tuple(bh_indices([214], num_bits=8, strategy="skip", num_blocks=2,
                            layout=layout)[0].tolist())


EXERCISES = (
    Exercise(
        notebook="02", number=1,
        question="For n = 20, which numbers of rows can both Succession (some block_bits) and "
                 "Skip (some num_blocks) give?",
        answer_form="a set of ints (numbers of rows)",
        expected=_shared_sizes, kind="set",
        hint_text="List bhlib.table_rows(20, strategy=..., ...) for every block_bits and every "
                  "num_blocks from 1 to 20, and keep the values in both lists.",
        solution_code="succession = {bhlib.table_rows(20, strategy='succession', block_bits=t)\n"
                      "              for t in range(1, 21)}\n"
                      "skip = {bhlib.table_rows(20, strategy='skip', num_blocks=m)\n"
                      "        for m in range(1, 21)}\n"
                      "answer = succession & skip",
        explanation="{answer}. Equal block lengths give equal rows: when t divides n, Skip with "
                    "n/t blocks cuts the same lengths; when it does not, Succession leaves one "
                    "short block and Skip spreads the remainder, so the sizes part ways — except "
                    "where the lengths happen to agree (t = 3 and 7 blocks: six blocks of 3 bits "
                    "and one of 2), and 1- and 2-bit blocks cost the same 2 rows per bit.",
        mistakes=(
            Mistake(example=_divisor_sizes,
                    hint="those are the sizes where t divides 20; some other sizes agree too "
                         "(compare the block lengths when it does not)."),
        ),
    ),
    Exercise(
        notebook="02", number=2,
        question="n = 8, Skip with 2 blocks: the two block values of id 214 if each bit were "
                 "weighted by its global position 2**p instead of its rank in the block.",
        answer_form="a tuple of two ints (block 0, block 1)",
        expected=_global_rows,
        hint_text="214 = 0b11010110. Block 0 holds the even positions 0, 2, 4, 6, block 1 the "
                  "odd ones; add 2**p for every set bit p of each block.",
        solution_code="blocks = bhlib.block_partition(8, strategy='skip', num_blocks=2)\n"
                      "answer = tuple(sum(((214 >> p) & 1) << p for p in block)\n"
                      "               for block in blocks)",
        explanation="{answer}: neither fits a table of 2**4 = 16 rows (32 with the offset), "
                    "which is why decimalization weights each bit by its rank in the block.",
        mistakes=(
            Mistake(example=_rank_rows,
                    hint="that is BH's own weighting, by rank in the block (decimalization); "
                         "the exercise weights each bit by 2**p, p its position in the code."),
            Mistake(example=lambda e: _rank_rows(e, "offset"),
                    hint="those are the rows BH reads (rank weights, with the offset); the "
                         "exercise weights each bit by 2**p, p its position in the code."),
        ),
    ),
    OpenExercise(notebook="02", number=3, solution_notebook=SOLUTIONS,
                 question="In the widget, switch the layout to shared: what happens to the rows "
                          "and to the index tuple?",
                 hint_text="Compare bhlib.table_rows(..., layout='shared') with the offset "
                           "layout, and the tuples bhlib.bh_indices gives in both."),
    Exercise(
        notebook="02", number=4,
        question="Write id 1000 in base 8: its digits k_0, k_1, ... (BH-Succession, 10 bits, "
                 "block_bits = 3).",
        answer_form="a tuple of ints, the lowest digit first (k_0, k_1, ...)",
        expected=lambda: tuple(digits_table(1000, 10, block_bits=3)["digit"]),
        hint_text="Divide by 8 again and again; the remainders are the digits, lowest first.",
        solution_code="answer = tuple(teaching.digits_table(1000, 10, block_bits=3)['bh_block'])",
        explanation="{answer}: 1000 = 0o1750, the octal digits from the lowest, as BH-Succession "
                    "reads them, block 0 holding the lowest bits.",
        mistakes=(
            Mistake(example=lambda e: tuple(reversed(e)),
                    hint="those are the digits with the most significant first; BH's block 0 "
                         "holds the lowest bits, so list them from the lowest."),
        ),
    ),
)


QUIZ = Quiz(notebook="02", questions=(
    Question(text="BH-Succession with <code>n = 8</code> bits and <code>block_bits = 4</code> "
                  "(offset layout): how many rows?",
             verify=lambda: table_rows(8, strategy="succession", block_bits=4), choices=(
                 Choice(text="32", right=True, value=32,
                        why="two blocks of 4 bits, 2**4 = 16 rows each, side by side."),
                 Choice(text="16", why="that is one block's table; the offset layout gives "
                                        "each block its own 16 rows."),
                 Choice(text="256", why="that is the full table, one row per code."),
                 Choice(text="8", why="that counts bits, not rows."),
             )),
    Question(text="Which blocks does Skip with <code>num_blocks = 2</code> make from 8 bits?",
             verify=lambda: tuple(block_partition(8, strategy="skip", num_blocks=2)[0]), choices=(
                 Choice(text="the even positions (0, 2, 4, 6) and the odd ones", right=True,
                        value=(0, 2, 4, 6),
                        why="Skip takes bits at a fixed interval: block j holds positions p "
                            "with p mod 2 = j."),
                 Choice(text="positions 0 … 3 and 4 … 7",
                        why="that is Succession with block_bits = 4: consecutive runs."),
                 Choice(text="two blocks of random positions",
                        why="the partition is fixed by the strategy; nothing is random."),
             )),
    Question(text="With blocks of <code>t</code> bits, BH-Succession's block values are…",
             choices=(
                 Choice(text="the base-2**t digits of the id", right=True,
                        why="block j is (id // 2**(t j)) mod 2**t: a many-way quotient-"
                            "remainder split."),
                 Choice(text="t independent hashes of the id",
                        why="no hashing happens after the hash ID; the blocks are its bits."),
                 Choice(text="the id modulo t",
                        why="that would collide ids; the blocks together determine the id."),
             )),
))

"""The exercises of notebook 01 (raw ids to binary codes), after Yan et al. (CIKM 2021,
arXiv 2109.02471): the bits a hashed field needs, and the birthday estimate at a small scale.

Example:
    >>> [q.name for q in EXERCISES]
    ['01.1', '01.2', '01.3', '01.4']
"""
from __future__ import annotations

from ...codes import MAX_BITS, bits_needed
from ..binarization import birthday_table
from .base import Exercise, Mistake, OpenExercise
from .quiz import Choice, Question, Quiz

__all__ = ["EXERCISES", "QUIZ"]

SOLUTIONS = "01_raw_ids_to_binary_codes.ipynb"


def _bits_below(num_values: int, pairs: float) -> int:
    """The fewest bits ``n`` with ``V (V - 1) / 2**(n + 1) < pairs`` (exact integer arithmetic)."""
    scaled = num_values * (num_values - 1) * round(1 / pairs)  # V (V-1) / pairs < 2**(n+1)
    return scaled.bit_length() - 1


def _bits_for_a_billion() -> tuple[int, int]:
    v = 10**9
    return _bits_below(v, 1), _bits_below(v, 0.01)


def _pairs_of_twenty() -> float:
    return float(birthday_table([f"name {i}" for i in range(20)], [8])["expected_pairs"].iloc[0])


EXERCISES = (
    Exercise(
        notebook="01", number=1,
        question="With V = 10^9 hashed values, how many bits keep the expected colliding pairs "
                 "below 1, and how many below 0.01?",
        answer_form="a tuple of two ints (bits for < 1 pair, bits for < 0.01 pairs)",
        expected=_bits_for_a_billion,
        hint_text="The expected number of colliding pairs is V (V - 1) / 2**(n + 1); find the "
                  "smallest n that brings it under each bound.",
        solution_code="V = 10**9\n"
                      "def expected_pairs(n):  # the birthday estimate of notebook 01\n"
                      "    return V * (V - 1) / 2 ** (n + 1)\n"
                      "answer = (min(n for n in range(1, 100) if expected_pairs(n) < 1),\n"
                      "          min(n for n in range(1, 100) if expected_pairs(n) < 0.01))",
        explanation="{answer}: about 2 log2 V bits for one pair, and log2(100) = 6.6 more for a "
                    f"hundredth of one. The second does not fit bhlib's {MAX_BITS}-bit hash IDs: "
                    "a billion hashed values always leave some risk of a collision.",
        mistakes=(
            Mistake(example=lambda e: (bits_needed(10**9),) * 2,
                    hint="ceil(log2 V) bits number V *dense* ids without collisions; hashed "
                         "values land at random, so the birthday bound applies: count pairs."),
            Mistake(example=lambda e: (e[0] + 1, e[1] + 1),
                    hint="one bit too many: each of the V (V - 1) / 2 pairs collides with "
                         "probability 2**-n, so the estimate has 2**(n + 1) below, not 2**n."),
        ),
    ),
    OpenExercise(notebook="01", number=2, solution_notebook=SOLUTIONS,
                 question="Why does the library refuse to hash [5] and ['5'] as the same value?",
                 hint_text="What would a silent conversion do to two fields where 5 and '5' are "
                           "different things?"),
    Exercise(
        notebook="01", number=3,
        question="Twenty names on 8 bits: how many colliding pairs does the birthday estimate "
                 "V (V - 1) / 2**9 predict?",
        answer_form="a number (expected pairs)",
        expected=_pairs_of_twenty, kind="close", rel_tol=0.01,
        hint_text="V = 20 names, n = 8 bits: V (V - 1) / 2**(n + 1).",
        solution_code="names = [f'name {i}' for i in range(20)]\n"
                      "answer = teaching.birthday_table(names, [8])['expected_pairs'].iloc[0]",
        explanation="{answer:.3f} pairs expected: with 256 codes, twenty names share one about "
                    "half the time (count them in the widget).",
        mistakes=(
            Mistake(example=lambda e: e * 2,
                    hint="that counts ordered pairs; (a, b) and (b, a) are one pair."),
            Mistake(example=lambda e: 20 * 20 / 2**9,
                    hint="V (V - 1), not V**2: a name does not collide with itself."),
            Mistake(example=lambda e: 20 * 19 / 2,
                    hint="that is the number of pairs; each collides with probability 2**-8."),
        ),
    ),
    OpenExercise(notebook="01", number=4, solution_notebook=SOLUTIONS,
                 question="Why are bits printed MSB first when bit 0 is the least significant, "
                          "and which function prints them?",
                 hint_text="How do we write the number 6 in decimal, and in binary?"),
)


QUIZ = Quiz(notebook="01", questions=(
    Question(text="How many bits does the binary code of <code>V = 1000</code> dense ids "
                  "(numbered 0 … 999) need?",
             verify=lambda: bits_needed(1000), choices=(
                 Choice(text="10", right=True, value=10,
                        why="2**10 = 1024 codes hold ids 0 … 999, and 2**9 = 512 do not."),
                 Choice(text="9", why="2**9 = 512 codes: ids 512 … 999 would not fit."),
                 Choice(text="20", why="about 2 log2 V is the rule for *hashed* values; dense "
                                        "ids never collide with ceil(log2 V) bits."),
                 Choice(text="1000", why="that is one bit per id (one-hot), not a binary "
                                          "code."),
             )),
    Question(text="A field's values are hashed to 63-bit hash IDs, then cut to their low "
                  "<code>n</code> bits. What can BH's blocks undo?",
             choices=(
                 Choice(text="nothing: BH keeps hash IDs apart but cannot separate values "
                             "whose codes are equal", right=True,
                        why="BH is a bijection from the n-bit code on; two values with one "
                            "code are one id to it."),
                 Choice(text="collisions of the truncation to n bits",
                        why="those happen before BH sees the code; pick n about 2 log2 V to "
                            "make them rare."),
                 Choice(text="collisions of the 63-bit hash",
                        why="BH reads the code, not the raw value; it cannot tell apart what "
                            "the hash merged."),
             )),
    Question(text="Why does <code>hash_ids</code> take a <code>field</code> argument?",
             choices=(
                 Choice(text="so that equal raw values of different fields get different "
                             "hash IDs", right=True,
                        why="the field salts the hash: user 5 and item 5 no longer share "
                            "rows by accident."),
                 Choice(text="to pick the number of bits",
                        why="the bits are chosen later (num_bits); the hash ID has 63."),
                 Choice(text="to make the hash depend on the Python process",
                        why="the opposite: hash IDs are the same in every process and on "
                            "every machine (never Python's hash())."),
             )),
))

"""The exercises of notebook 03 (uniqueness and collisions at equal memory), after Yan et al.
(CIKM 2021, arXiv 2109.02471): hash-mod's last private row, multi-hash's shared tuples, the
shared-layout pitfall and the fusion that avoids it.

Example:
    >>> EXERCISES[2].answer()
    {3: 12, 6: 4}
"""
from __future__ import annotations

from functools import lru_cache

from ...collisions import collision_report
from ...embeddings import BinaryHashEmbedding
from ..budgets import smallest_plan
from ..uniqueness import collision_table, permutation_collisions
from .base import Exercise, Mistake
from .quiz import Choice, Question, Quiz

__all__ = ["EXERCISES", "QUIZ"]

V, D = 10**6, 16  # the million-id field of notebook 03


@lru_cache(maxsize=256)
def _shares_at(ratio: int) -> bool:
    """Whether every id shares its hash-mod row with another at this whole ratio."""
    return collision_table(V, D, ratio, ["hash"])["ids_sharing_a_row"].iloc[0] == V


def _hash_all_shared() -> int:
    """The smallest whole ratio at which every id shares its hash-mod row with another."""
    for ratio in range(1, 200):
        if _shares_at(ratio):
            return ratio
    raise RuntimeError("no ratio below 200 leaves every id sharing a row")


@lru_cache(maxsize=1)
def _multi_hash_shared() -> int:
    return int(collision_table(V, D, 100, ["multi_hash"])["ids_sharing_tuple"].iloc[0])


def _groups() -> dict[int, int]:
    sizes = permutation_collisions(6, block_bits=2).groupby("group").size()
    return {int(k): int(v) for k, v in sizes.value_counts().sort_index().items()}


def _concat_confuses() -> bool:
    emb = BinaryHashEmbedding(64, 6, num_bits=6, strategy="succession", block_bits=2,
                              layout="shared", fusion="concat")
    return collision_report(emb, range(64)).ids_sharing_vector > 0


def _unique_at_10() -> tuple[str, ...]:
    t = collision_table(V, D, 10, ["hash", "multi_hash", "qr", "bh-succession"])
    return tuple(t.loc[t["ids_sharing_tuple"] == 0, "method"])


def _is_int(a) -> bool:
    return isinstance(a, int) and not isinstance(a, bool)


EXERCISES = (
    Exercise(
        notebook="03", number=1,
        question="On the million-id field, the smallest whole-number ratio at which hash-mod "
                 "leaves no id with a row of its own (ids_sharing_a_row equals V).",
        answer_form="an int (a ratio)", expected=_hash_all_shared,
        hint_text="Try teaching.collision_table(10**6, 16, r, ['hash']) for r = 1, 2, ... and "
                  "watch ids_sharing_a_row.",
        solution_code="V = 10**6\n"
                      "answer = next(r for r in range(1, 200)\n"
                      "              if teaching.collision_table(V, 16, r, ['hash'])\n"
                      "              ['ids_sharing_a_row'].iloc[0] == V)",
        explanation="{answer}x. With V/r rows an id is alone in its row with probability about "
                    "exp(-r), so about V exp(-r) ids keep a private row: fewer than one from "
                    "r = ln V on (13.8 for a million ids), and the last ones go a few ratios "
                    "later, by chance.",
        mistakes=(
            Mistake(example=lambda e: e - 1, when=lambda a, e: _is_int(a) and 0 < a < e,
                    hint="at that ratio some id still has a row of its own: look at "
                         "ids_sharing_a_row, it is just below V."),
            Mistake(example=lambda e: e + 1, when=lambda a, e: _is_int(a) and a > e
                    and _shares_at(a),
                    hint="every id shares a row there, but a smaller ratio already does it."),
        ),
    ),
    Exercise(
        notebook="03", number=2,
        question="Estimate multi-hash's ids_sharing_tuple at ratio 100 on the million-id field: "
                 "k = 2 tables of M/2 rows each, M = V / 100.",
        answer_form="a number (ids)", expected=_multi_hash_shared, kind="close", rel_tol=0.05,
        hint_text="An id's tuple is one of (M/2)**2 equally likely pairs; it is shared when one "
                  "of the V - 1 other ids picks the same pair.",
        solution_code="V, M = 10**6, 10**6 // 100\n"
                      "tuples = (M // 2) ** 2  # pairs of rows, one from each table\n"
                      "# an id shares its tuple unless all V - 1 others avoid it\n"
                      "answer = V * (1 - (1 - 1 / tuples) ** (V - 1))",
        explanation="about {answer:,} ids (the check compares with collision_table's count "
                    "within 5%). The tuple space (M/2)**2 shrinks with the square of the ratio, "
                    "so shared tuples grow fast with it.",
        mistakes=(
            Mistake(example=lambda e: V * (1 - (1 - 1 / (V // 100) ** 2) ** (V - 1)),
                    hint="each of the k = 2 tables has M/2 rows, so there are (M/2)**2 tuples, "
                         "not M**2."),
            Mistake(example=lambda e: V * (V - 1) / 2 / (V // 200) ** 2,
                    hint="that counts pairs of ids with the same tuple; the question counts ids "
                         "that share their tuple with at least one other id."),
        ),
    ),
    Exercise(
        notebook="03", number=3,
        question="permutation_collisions(6, block_bits=2): how many groups of each size?",
        answer_form="a dict {group size: number of groups}", expected=_groups,
        hint_text="Three blocks of 2 bits: an id is a sequence of 3 values in 0..3, and the "
                  "shared layout sees only their multiset. Count the multisets with 2 or more "
                  "orderings, by how many orderings they have.",
        solution_code="groups = teaching.permutation_collisions(6, block_bits=2).groupby('group')\n"
                      "answer = groups.size().value_counts().to_dict()",
        explanation="{answer}: a multiset of three different values in 0..3 has 3! = 6 "
                    "orderings, one with a value twice has 3, and three equal values are one id "
                    "alone (no group).",
        mistakes=(
            Mistake(example=lambda e: {1: 4, **e},
                    hint="a multiset with one ordering is one id alone: no collision, no "
                         "group."),
        ),
    ),
    Exercise(
        notebook="03", number=4,
        question="BH with fusion='concat' and a shared table: does it confuse ids whose block "
                 "values are permutations of each other?",
        answer_form="a bool (True: it confuses them)", expected=_concat_confuses,
        hint_text="Build bhlib.BinaryHashEmbedding(64, 6, num_bits=6, strategy='succession', "
                  "block_bits=2, layout='shared', fusion='concat') and read ids_sharing_vector "
                  "in bhlib.collision_report(emb, range(64)); compare with fusion='sum'.",
        solution_code="emb = bhlib.BinaryHashEmbedding(64, 6, num_bits=6, strategy='succession',\n"
                      "                                block_bits=2, layout='shared',\n"
                      "                                fusion='concat')\n"
                      "answer = bhlib.collision_report(emb, range(64)).ids_sharing_vector > 0",
        explanation="{answer}: concatenation puts block j's vector in slot j, so the order of "
                    "the blocks is kept; only sum (and mean, mult) forget it.",
    ),
)


QUIZ = Quiz(notebook="03", questions=(
    Question(text="At equal memory, which schemes give every id of the million-id field its own "
                  "index tuple at 10x?",
             verify=lambda: _unique_at_10(), choices=(
                 Choice(text="Q-R and BH", right=True, value=("qr", "bh-succession"),
                        why="both read disjoint parts of the id (quotient and remainder, or "
                            "blocks of bits): the tuple determines the id."),
                 Choice(text="hash-mod and multi-hash",
                        why="both hash ids into fewer rows: some ids share every row."),
                 Choice(text="all of them",
                        why="hash-mod puts about 10 ids in each row at 10x: they share "
                            "everything."),
             )),
    Question(text="Why can Q-R not compress the million-id field 1000x?",
             verify=lambda: round(smallest_plan("qr", V, D).achieved_ratio), choices=(
                 Choice(text="its two tables need at least about 2 sqrt(V) rows", right=True,
                        value=500,
                        why="quotient and remainder tables have r and V / r rows; their sum is "
                            "smallest at r = sqrt(V): 2 sqrt(V) rows, about sqrt(V) / 2 = 500x "
                            "for a million ids."),
                 Choice(text="its product fusion overflows",
                        why="the fusion has nothing to do with the size."),
                 Choice(text="it needs V to be a power of two",
                        why="Q-R works for any V; BH's sizes are the ones tied to powers of "
                            "two."),
             )),
    Question(text="BH in the <em>shared</em> layout with sum fusion confuses which ids?",
             choices=(
                 Choice(text="ids whose block values are permutations of each other",
                        right=True,
                        why="all blocks read one table and the sum forgets the order: "
                            "(1, 0) and (0, 1) give one vector."),
                 Choice(text="ids that differ in one bit",
                        why="their tuples differ in one block, and the rows differ."),
                 Choice(text="none: the tuples are unique",
                        why="the tuples are unique, but the summed vectors are not."),
             )),
))

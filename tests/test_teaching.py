"""The code tables of bhlib.teaching against obvious oracles: Python's own binary formatting,
tests/reference.py and repeated integer division."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bhlib
from bhlib import teaching

from . import reference


@st.composite
def coded_values(draw, max_bits=24):
    n = draw(st.integers(1, max_bits))
    strategy = draw(st.sampled_from(("succession", "skip")))
    by = draw(st.sampled_from(("block_bits", "num_blocks")))
    spec = {"strategy": strategy, by: draw(st.integers(1, n))}
    return draw(st.integers(0, 2**n - 1)), n, spec


# ---------------------------------------------------------------- hash_table
@pytest.mark.parametrize("values", [["alice", "bob", "carol"], [0, 1, 2**40]])
@pytest.mark.parametrize("num_bits", [1, 8, 33, 63])
def test_hash_table_is_the_low_bits_of_the_hash(values, num_bits):
    t = teaching.hash_table(values, num_bits=num_bits, field="user_id")
    h = bhlib.hash_ids(values, field="user_id")
    assert t["value"].tolist() == values
    assert t["hash_id"].tolist() == h.tolist()
    for code, hid, bits in zip(t["code"], h.tolist(), t["bits"], strict=True):
        assert code == hid % 2**num_bits
        assert bits == bin(hid)[2:].zfill(63)[-num_bits:]  # oracle: Python's own binary


def test_hash_table_field_salts_and_bad_bits():
    a = teaching.hash_table(["alice"], num_bits=16, field="user_id")["hash_id"][0]
    b = teaching.hash_table(["alice"], num_bits=16, field="item_id")["hash_id"][0]
    assert a != b
    with pytest.raises(ValueError, match="num_bits"):
        teaching.hash_table(["alice"], num_bits=64)
    with pytest.raises(TypeError, match="num_bits"):
        teaching.hash_table(["alice"], num_bits=8.0)


# ---------------------------------------------------------------- bit_table / block_table
@settings(max_examples=150, deadline=None)
@given(coded_values())
def test_bit_table_reads_msb_first_with_owning_block(case):
    value, n, spec = case
    t = teaching.bit_table(value, n, **spec)
    assert list(t.columns) == list(range(n - 1, -1, -1))
    blocks = reference.partition(n, spec["strategy"], spec.get("block_bits"),
                                 spec.get("num_blocks"))
    for p in range(n):
        assert t.loc["bit", p] == (value >> p) & 1
        assert p in blocks[t.loc["block", p]]
    assert "".join(map(str, t.loc["bit"])) == format(value, f"0{n}b")


@settings(max_examples=150, deadline=None)
@given(coded_values(), st.sampled_from(("offset", "shared")))
def test_block_table_matches_reference(case, layout):
    value, n, spec = case
    t = teaching.block_table(value, n, layout=layout, **spec)
    ref = reference.indices(value, n, spec["strategy"], spec.get("block_bits"),
                            spec.get("num_blocks"), layout)
    assert t["row"].tolist() == ref
    assert (t["row"] == t["k"] + t["offset"]).all()
    blocks = reference.partition(n, spec["strategy"], spec.get("block_bits"),
                                 spec.get("num_blocks"))
    for row, block in zip(t.itertuples(), blocks, strict=True):
        assert [int(p) for p in row.positions.split()] == block[::-1]
        assert row.k == sum(((value >> p) & 1) << r for r, p in enumerate(block))  # rank weights
        assert row.bits == "".join(str((value >> p) & 1) for p in reversed(block))


def test_block_table_example_from_the_notes():
    # n=8, Skip with 2 blocks: 0b1101_0110 -> block values 14 and 9, rows 14 and 16 + 9
    t = teaching.block_table(0b1101_0110, 8, strategy="skip", num_blocks=2)
    assert t["k"].tolist() == [14, 9] and t["row"].tolist() == [14, 25]


def test_bit_and_block_tables_refuse_out_of_range_values():
    with pytest.raises(ValueError, match="value"):
        teaching.bit_table(256, 8, block_bits=4)
    with pytest.raises(ValueError, match="block_bits"):
        teaching.block_table(3, 8, block_bits=9)


# ---------------------------------------------------------------- block_size_table
@pytest.mark.parametrize("strategy", ["succession", "skip"])
@pytest.mark.parametrize("V", [2, 1000, 1682, 10**6])
def test_block_size_table_rows_and_ratio(strategy, V):
    t = teaching.block_size_table(V, strategy=strategy, distinct=False)
    n = bhlib.bits_needed(V)
    assert len(t) == n
    for row in t.itertuples():
        lengths = [int(x) for x in row.block_lengths.split()]
        assert sum(lengths) == n and len(lengths) == row.num_blocks
        assert row.num_rows == sum(2**x for x in lengths)
        assert row.achieved_ratio == round(V / row.num_rows, 1)
    assert t["num_rows"].max() == 2**n  # one block: a full table of 2**n rows
    assert t["num_rows"].min() == 2 * n or n == 1  # 1-bit (or 2-bit) blocks: 2n rows
    # distinct: one row per row count, the fewest blocks, the other sizes named
    d = teaching.block_size_table(V, strategy=strategy)
    key = "block_bits" if strategy == "succession" else "num_blocks"
    assert d["num_rows"].tolist() == sorted(set(t["num_rows"]))
    for row in d.itertuples():
        same = t[t["num_rows"] == row.num_rows]
        assert row.num_blocks == same["num_blocks"].min()
        assert (row.same_rows_with == "") == (len(same) == 1)
        if len(same) > 1:
            assert row.same_rows_with.startswith(key + " ")


# ---------------------------------------------------------------- digits / generalized Q-R
@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n),
                                                      st.integers(0, 2**n - 1))))
def test_digits_table_is_repeated_division(case):
    n, t, value = case
    table = teaching.digits_table(value, n, block_bits=t)
    q, digits = value, []
    while len(digits) < len(table):
        q, d = divmod(q, 2**t)
        digits.append(d)
    assert table["digit"].tolist() == digits == table["bh_block"].tolist()
    assert table["equal"].all()
    assert sum(d * 2 ** (t * j) for j, d in enumerate(digits)) == value


@pytest.mark.parametrize("t", range(1, 13))
def test_succession_is_generalized_qr_for_every_block_length(t):
    assert teaching.succession_is_generalized_qr(range(2**12), 12, block_bits=t)
    assert teaching.succession_is_generalized_qr(np.array([2**40 - 1, 12345]), 40, block_bits=t)


def test_two_block_succession_is_qr():
    qr = bhlib.QREmbedding(1024, 4, num_collisions=32)
    ids = np.arange(1024)
    q_rows = qr.indices(ids).numpy()  # (V, 2): quotient row, 32 + remainder
    bh = bhlib.bh_indices(ids, num_bits=10, strategy="succession", block_bits=5, layout="shared")
    assert (bh[:, 1] == q_rows[:, 0]).all() and (bh[:, 0] == q_rows[:, 1] - 32).all()

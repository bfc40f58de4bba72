import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bhlib import (
    bh_indices,
    bits_needed,
    block_lengths,
    block_partition,
    format_bits,
    table_rows,
)

from . import reference

STRATS = ("succession", "skip")


@st.composite
def configs(draw, max_bits=63):
    n = draw(st.integers(1, max_bits))
    strategy = draw(st.sampled_from(STRATS))
    by = draw(st.sampled_from(("block_bits", "num_blocks")))
    size = draw(st.integers(1, n))
    layout = draw(st.sampled_from(("offset", "shared")))
    return {"num_bits": n, "strategy": strategy, by: size, "layout": layout}


@settings(max_examples=300, deadline=None)
@given(configs(), st.data())
def test_matches_pure_python_reference(cfg, data):
    n = cfg["num_bits"]
    ids = data.draw(st.lists(st.integers(0, 2**n - 1), min_size=1, max_size=20))
    got = bh_indices(np.array(ids, dtype=np.int64), **cfg)
    ref = [reference.indices(v, n, cfg["strategy"], cfg.get("block_bits"),
                             cfg.get("num_blocks"), cfg["layout"]) for v in ids]
    assert got.tolist() == ref


@settings(max_examples=200, deadline=None)
@given(configs())
def test_partition_matches_reference_and_covers_all_bits(cfg):
    kw = {k: cfg[k] for k in ("strategy", "block_bits", "num_blocks") if k in cfg}
    blocks = block_partition(cfg["num_bits"], **kw)
    assert blocks == reference.partition(cfg["num_bits"], kw["strategy"], kw.get("block_bits"),
                                         kw.get("num_blocks"))
    assert sorted(p for b in blocks for p in b) == list(range(cfg["num_bits"]))
    if "block_bits" in kw:
        assert max(len(b) for b in blocks) <= kw["block_bits"]
    else:
        assert len(blocks) == kw["num_blocks"]


@settings(max_examples=100, deadline=None)
@given(configs(max_bits=16))
def test_distinct_ids_give_distinct_tuples_offset_layout(cfg):
    cfg = {**cfg, "layout": "offset"}
    idx = bh_indices(np.arange(2 ** cfg["num_bits"]), **cfg)
    assert len({tuple(r) for r in idx.tolist()}) == 2 ** cfg["num_bits"]
    # and the blocks use disjoint row ranges: the max index is below the table size
    kw = {k: cfg[k] for k in ("strategy", "block_bits", "num_blocks") if k in cfg}
    assert idx.max() < table_rows(cfg["num_bits"], **kw)


@settings(max_examples=200, deadline=None)
@given(configs(), st.data())
def test_flipping_bit_p_changes_only_its_block(cfg, data):
    n = cfg["num_bits"]
    v = data.draw(st.integers(0, 2**n - 1))
    p = data.draw(st.integers(0, n - 1))
    kw = {k: cfg[k] for k in ("strategy", "block_bits", "num_blocks") if k in cfg}
    owner = next(j for j, b in enumerate(block_partition(n, **kw)) if p in b)
    a, b = bh_indices(np.array([v, v ^ (1 << p)]), **cfg).tolist()
    changed = [j for j in range(len(a)) if a[j] != b[j]]
    assert changed == [owner]


def test_one_block_of_all_bits_is_the_id_itself():
    ids = np.arange(1000)
    for strategy in STRATS:
        out = bh_indices(ids, num_bits=10, strategy=strategy, num_blocks=1)
        assert out[:, 0].tolist() == ids.tolist()


def test_shared_layout_permutation_example_from_notes():
    # n=4, t=2: IDs 1 (01|00) and 4 (00|01) read the same multiset of rows, as do 6 and 9
    idx = bh_indices(np.array([1, 4, 6, 9]), num_bits=4, strategy="succession", block_bits=2,
                     layout="shared")
    assert sorted(idx[0]) == sorted(idx[1]) and idx[0].tolist() != idx[1].tolist()
    assert sorted(idx[2]) == sorted(idx[3]) and idx[2].tolist() != idx[3].tolist()


def test_skip_uses_rank_in_block_not_global_position():
    # A public TF op weights Skip bits by global position: for n=8 and 2 blocks, 224 of 256 codes
    # then index past a table of 2 * 16 rows. Ranks keep every index inside the table.
    idx = bh_indices(np.arange(256), num_bits=8, strategy="skip", num_blocks=2)
    assert idx.max() == 31 and idx.min() == 0
    assert len({tuple(r) for r in idx.tolist()}) == 256


def test_63_bit_ids_are_exact_no_32_bit_shifts():
    big = np.array([2**63 - 1, 2**62 + 12345, 2**40 + 7], dtype=np.int64)
    for strategy in STRATS:
        got = bh_indices(big, num_bits=63, strategy=strategy, block_bits=5)
        ref = [reference.indices(int(v), 63, strategy, 5) for v in big]
        assert got.tolist() == ref


def test_torch_in_torch_out_numpy_in_numpy_out_any_shape():
    t = torch.arange(24).reshape(2, 3, 4)
    out = bh_indices(t, num_bits=5, strategy="skip", num_blocks=2)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 3, 4, 2) and out.dtype == torch.int64
    out = bh_indices(t.numpy(), num_bits=5, strategy="skip", num_blocks=2)
    assert isinstance(out, np.ndarray) and out.shape == (2, 3, 4, 2)
    assert bh_indices([3], num_bits=2, strategy="succession", block_bits=1).tolist() == [[1, 3]]
    for dtype in (torch.int8, torch.int16, torch.int32, torch.uint8):
        assert bh_indices(torch.tensor([3], dtype=dtype), num_bits=2, strategy="succession",
                          block_bits=1).tolist() == [[1, 3]]


@pytest.mark.parametrize("ids,kw,exc,match", [
    ([-1], {}, ValueError, "ids must be >= 0, got -1"),
    ([16], {}, ValueError, "ids must be < 2\\*\\*num_bits = 16, got 16"),
    (np.array([1.0]), {}, TypeError, "ids must hold integers"),
    (torch.tensor([1.0]), {}, TypeError, "ids must hold integers"),
    (torch.tensor([True]), {}, TypeError, "ids must hold integers"),
    (np.array([2**64 - 1], dtype=np.uint64), {}, ValueError, "int64 range"),
    ([1], {"strategy": "zigzag"}, ValueError, "strategy must be one of"),
    ([1], {"block_bits": 0}, ValueError, "block_bits must be >= 1"),
    ([1], {"block_bits": 5}, ValueError, "block_bits must be <= 4"),
    ([1], {"block_bits": 2.0}, TypeError, "block_bits must be an int"),
    ([1], {"block_bits": None}, ValueError, "exactly one of block_bits / num_blocks"),
    ([1], {"num_blocks": 2}, ValueError, "exactly one of"),
    ([1], {"num_bits": 64}, ValueError, "num_bits must be <= 63"),
    ([1], {"num_bits": 0}, ValueError, "num_bits must be >= 1"),
    ([1], {"layout": "flat"}, ValueError, "layout must be one of"),
])
def test_bad_input_names_the_argument(ids, kw, exc, match):
    args = {"num_bits": 4, "strategy": "succession", "block_bits": 2, **kw}
    if args.get("block_bits") is None:
        args.pop("block_bits")
    with pytest.raises(exc, match=match):
        bh_indices(ids, **args)


def test_sizes_and_helpers():
    assert block_lengths(20, strategy="succession", block_bits=8) == [8, 8, 4]
    assert block_lengths(20, strategy="skip", num_blocks=3) == [7, 7, 6]
    assert table_rows(20, strategy="skip", num_blocks=3) == 128 + 128 + 64
    assert table_rows(20, strategy="skip", num_blocks=3, layout="shared") == 128
    assert [bits_needed(v) for v in (1, 2, 4, 5, 2**40, 2**40 + 1)] == [1, 1, 2, 3, 40, 41]
    assert format_bits(5, 4) == "0101"
    with pytest.raises(ValueError, match="value must be <= 15"):
        format_bits(16, 4)


def test_large_input_runs_vectorized():
    ids = torch.randint(0, 2**40, (200_000,))
    out = bh_indices(ids, num_bits=40, strategy="skip", num_blocks=5)
    sample = ids[:50].tolist()
    assert out[:50].tolist() == [reference.indices(v, 40, "skip", None, 5) for v in sample]


@settings(max_examples=100, deadline=None)
@given(configs(max_bits=30), st.data())
def test_int32_out_and_unvalidated_paths_agree_with_default(cfg, data):
    n = cfg["num_bits"]
    ids = torch.tensor(data.draw(st.lists(st.integers(0, 2**n - 1), min_size=1, max_size=300)))
    ref = bh_indices(ids, **cfg)
    assert torch.equal(bh_indices(ids, **cfg, dtype=torch.int32).long(), ref)
    assert torch.equal(bh_indices(ids, **cfg, validate=False), ref)
    buf = torch.empty_like(ref)
    assert bh_indices(ids, **cfg, out=buf) is buf and torch.equal(buf, ref)


def test_chunked_path_matches_reference_across_chunk_boundaries():
    from bhlib.indices import _CHUNK
    ids = torch.randint(0, 2**33, (2 * _CHUNK + 17,))
    for strategy in STRATS:
        out = bh_indices(ids, num_bits=33, strategy=strategy, block_bits=7)
        for i in (0, _CHUNK - 1, _CHUNK, 2 * _CHUNK + 16):
            assert out[i].tolist() == reference.indices(int(ids[i]), 33, strategy, 7)


def test_dtype_and_out_errors():
    kw = {"num_bits": 8, "strategy": "succession", "block_bits": 4}
    with pytest.raises(ValueError, match="dtype must be torch.int64 or torch.int32"):
        bh_indices(torch.tensor([1]), **kw, dtype=torch.int16)
    with pytest.raises(ValueError, match="out must be a contiguous"):
        bh_indices(torch.tensor([1]), **kw, out=torch.empty(1, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match="out must be a torch.Tensor"):
        bh_indices(torch.tensor([1]), **kw, out=np.zeros((1, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="cannot hold indices"):
        bh_indices(torch.tensor([1]), num_bits=40, strategy="succession", block_bits=32,
                   dtype=torch.int32)

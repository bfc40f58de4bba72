"""bh_indices' fast paths (in-loop range check, Skip lookup tables, packed words) vs the oracle.

Small chunks (``_CHUNK`` patched) put chunk boundaries, and bad ids in later chunks, in reach of
short inputs.
"""
import numpy as np
import pytest
import torch

import bhlib.indices as bhi
from bhlib import bh_indices

from . import reference

# (num_bits, strategy, partition): every way a row is written
PATHS = [
    (20, "succession", {"block_bits": 8}),    # columns, K = 3
    (20, "succession", {"block_bits": 12}),   # int32: one packed word per row; int64: columns
    (24, "skip", {"num_blocks": 2}),          # tables; int32: the word is the row, int64: widen
    (20, "skip", {"num_blocks": 3}),          # tables, fields to columns
    (33, "skip", {"block_bits": 7}),          # three digits, five fields
    (63, "skip", {"num_blocks": 3}),          # fields do not fit a word: column ops
    (63, "skip", {"num_blocks": 2}),          # 32 + 31 bits: too wide to widen; fields
    (9, "skip", {"num_blocks": 4}),           # one digit: the id itself indexes the table
    (63, "succession", {"num_blocks": 2}),    # int64 only (indices beyond int32)
]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(bhi, "_CHUNK", 64)


def _ids(num_bits, n=300, seed=0):
    gen = torch.Generator().manual_seed(seed)
    hi = min(1 << num_bits, 1 << 62)
    ids = torch.randint(0, hi, (n,), generator=gen)
    ids[:2] = torch.tensor([0, (1 << num_bits) - 1])
    return ids


@pytest.mark.parametrize("num_bits,strategy,kw", PATHS)
@pytest.mark.parametrize("layout", ["offset", "shared"])
def test_every_path_matches_reference_across_chunks(small_chunks, num_bits, strategy, kw, layout):
    ids = _ids(num_bits)
    want = torch.tensor([reference.indices(int(v), num_bits, strategy, layout=layout, **kw)
                         for v in ids])
    cfg = {"num_bits": num_bits, "strategy": strategy, "layout": layout, **kw}
    assert torch.equal(bh_indices(ids, **cfg), want)
    assert torch.equal(bh_indices(ids, **cfg, validate=False), want)
    assert np.array_equal(bh_indices(ids.numpy(), **cfg), want.numpy())
    if int(want.max()) < 1 << 31:
        assert torch.equal(bh_indices(ids.int() if num_bits < 31 else ids, **cfg,
                                      dtype=torch.int32), want.int())
        # an out whose rows cannot be viewed as int64 words (odd storage offset)
        odd = torch.empty(want.numel() + 1, dtype=torch.int32)[1:].view(want.shape)
        assert bh_indices(ids, **cfg, out=odd) is odd and torch.equal(odd, want.int())


@pytest.mark.parametrize("num_bits,strategy,kw", PATHS[:5])
def test_shapes_survive_the_fast_paths(small_chunks, num_bits, strategy, kw):
    ids = _ids(num_bits, n=2 * 3 * 50).view(2, 3, 50)
    cfg = {"num_bits": num_bits, "strategy": strategy, **kw}
    flat = bh_indices(ids.reshape(-1), **cfg)
    assert torch.equal(bh_indices(ids, **cfg), flat.view(2, 3, 50, -1))
    assert torch.equal(bh_indices(ids.transpose(0, 2), **cfg),
                       flat.view(2, 3, 50, -1).transpose(0, 2))
    assert torch.equal(bh_indices(ids[1, 2, 7], **cfg), flat[257])
    assert bh_indices(ids[:, :, :0], **cfg).shape == (2, 3, 0, flat.shape[1])


@pytest.mark.parametrize("strategy", ["succession", "skip"])
@pytest.mark.parametrize("bad,others,match", [
    ([-3], [], "ids must be >= 0, got -3"),
    ([300], [], "ids must be < 2\\*\\*num_bits = 256, got 300"),
    ([300, -3], [], "ids must be >= 0, got -3"),  # the smallest first, as a check of all ids
    ([-3], [-(2**63)], "ids must be >= 0, got -9223372036854775808"),
    ([2**63 - 1], [300], "ids must be < 2\\*\\*num_bits = 256, got 9223372036854775807"),
])
def test_range_errors_of_later_chunks_are_those_of_a_check_of_all_ids(small_chunks, strategy,
                                                                      bad, others, match):
    for where in (0, 100, 299):  # first chunk, a middle one, the last
        ids = torch.randint(0, 256, (300,))
        for i, v in enumerate(bad):
            ids[where - i] = v
        for i, v in enumerate(others):
            ids[(where + 150) % 300 + i] = v
        with pytest.raises(ValueError, match=f"^{match}$"):
            bh_indices(ids, num_bits=8, strategy=strategy, num_blocks=2)
        with pytest.raises(ValueError, match=f"^{match}$"):
            bh_indices(ids.tolist(), num_bits=8, strategy=strategy, num_blocks=2)


def test_range_error_may_leave_earlier_chunks_written(small_chunks):
    ids = torch.randint(0, 256, (300,))
    ids[250] = 256
    out = torch.full((300, 2), -1)
    with pytest.raises(ValueError, match="got 256"):
        bh_indices(ids, num_bits=8, strategy="succession", block_bits=4, out=out)
    assert torch.equal(out[:192], bh_indices(ids[:192], num_bits=8, strategy="succession",
                                             block_bits=4))


def _count_checked(monkeypatch):
    """Count the ids torch.aminmax looks at (the range check's reduction)."""
    seen = []
    real = torch.aminmax

    def counting(t, *args, **kwargs):
        seen.append(t.numel())
        return real(t, *args, **kwargs)

    monkeypatch.setattr(torch, "aminmax", counting)
    return seen


@pytest.mark.parametrize("make", [lambda t: t, lambda t: t.int(), lambda t: t.numpy(),
                                  lambda t: t.tolist()])
def test_ids_are_range_checked_once(small_chunks, monkeypatch, make):
    ids = make(torch.randint(0, 2**20, (300,)))
    seen = _count_checked(monkeypatch)
    bh_indices(ids, num_bits=20, strategy="succession", block_bits=8)
    assert sum(seen) == 300  # one pass: in the chunk loop for int64 tensors, else in conversion
    seen.clear()
    bh_indices(ids, num_bits=20, strategy="skip", num_blocks=3)
    assert sum(seen) == (0 if isinstance(ids, torch.Tensor) and ids.dtype == torch.int64
                         else 300)  # the table lookups' bounds check is the range check
    seen.clear()
    bh_indices(torch.as_tensor(np.asarray(ids), dtype=torch.int64), num_bits=20,
               strategy="succession", block_bits=8, validate=False)
    assert seen == []


def test_skip_tables_are_cached_and_small():
    bh_indices(torch.arange(10), num_bits=24, strategy="skip", num_blocks=3)
    write, positions = bhi._word_fields(bhi._plan(24, "skip", None, 3, "offset")[0], torch.int64)
    assert (write, positions) == ("fields", (0, 8, 17))  # indices up to 255, 511, 767
    hits = bhi._tables.cache_info().hits
    width, tables = bhi._tables(24, "skip", None, 3, "offset", positions, torch.device("cpu"))
    assert bhi._tables.cache_info().hits == hits + 1
    assert width == 12 and [(shift, len(t)) for shift, t in tables] == [(0, 4096), (12, 4096)]

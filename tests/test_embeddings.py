"""One contract over every registry scheme, plus each scheme against its explicit formula."""
import math

import numpy as np
import pytest
import torch

import bhlib
from bhlib import (
    EMBEDDINGS,
    BinaryHashEmbedding,
    FullEmbedding,
    HashEmbedding,
    MultiHashEmbedding,
    QREmbedding,
)
from bhlib.hashing import hash_ids

from . import reference

V, D = 1000, 8
# a small configuration of every scheme (and of its fusions / layouts)
CASES = {
    "full": {},
    "hash": {"num_buckets": 37},
    "multi_hash": {"num_buckets": 20, "num_hashes": 3},
    "multi_hash-concat": {"num_buckets": 20, "num_hashes": 2, "fusion": "concat"},
    "qr": {"num_collisions": 30},
    "qr-add": {"num_collisions": 30, "operation": "add"},
    "qr-concat": {"num_collisions": 30, "operation": "concat"},
    "bh": {"strategy": "succession", "block_bits": 4},
    "bh-skip": {"strategy": "skip", "num_blocks": 3},
    "bh-mean": {"strategy": "succession", "block_bits": 3, "fusion": "mean"},
    "bh-concat": {"strategy": "skip", "num_blocks": 2, "fusion": "concat"},
    "bh-shared": {"strategy": "succession", "block_bits": 5, "layout": "shared"},
}


def build(case, **extra):
    name = case.split("-")[0]
    return EMBEDDINGS[name](V, D, **CASES[case], **extra)


def test_registry_has_exactly_the_five_schemes():
    assert set(EMBEDDINGS) == {"full", "hash", "multi_hash", "qr", "bh"}
    assert {k for k in CASES if "-" not in k} == set(EMBEDDINGS)


@pytest.mark.parametrize("case", CASES)
class TestContract:
    def test_output_shape_any_id_shape(self, case):
        emb = build(case)
        for shape in [(5,), (2, 3), (2, 3, 4), (0,)]:
            ids = torch.randint(0, V, shape)
            assert emb(ids).shape == (*shape, D)
        assert emb(torch.tensor(7)).shape == (D,)

    def test_gradients_reach_parameters(self, case):
        emb = build(case)
        emb(torch.randint(0, V, (64,))).pow(2).sum().backward()
        assert emb.weight.grad is not None and emb.weight.grad.abs().sum() > 0

    def test_sparse_gradients(self, case):
        emb = build(case, sparse=True)
        emb(torch.randint(0, V, (16,))).sum().backward()
        assert emb.weight.grad.is_sparse
        torch.optim.SparseAdam(emb.parameters()).step()

    def test_sizes_closed_form_equals_allocated(self, case):
        emb = build(case)
        name = case.split("-")[0]
        closed = EMBEDDINGS[name].parameter_count(V, D, **CASES[case])
        allocated = sum(p.numel() for p in emb.parameters())
        assert emb.num_parameters() == allocated == closed
        assert emb.memory_bytes() == 4 * closed
        assert emb.memory_bytes("adam") == 12 * closed
        assert emb.memory_bytes("adagrad") == 8 * closed
        assert emb.memory_bytes("sgd") == 4 * closed
        assert math.isclose(emb.compression_ratio, V * D / closed)
        assert f"params={closed:,}" in repr(emb)

    def test_indices_in_global_row_space(self, case):
        emb = build(case)
        idx = emb.indices(torch.arange(V))
        assert idx.shape == (V, emb.num_lookups)
        assert idx.min() >= 0 and idx.max() < emb.num_rows

    def test_forward_is_a_fusion_of_the_indexed_rows(self, case):
        emb = build(case)
        ids = torch.arange(0, V, 7)
        rows = emb.weight[emb.indices(ids)]  # (N, K, d)
        fused = {"sum": rows.sum(1), "mean": rows.mean(1), "mult": rows.prod(1),
                 "concat": rows.reshape(len(ids), -1)}[emb.fusion]
        torch.testing.assert_close(emb(ids), fused)

    def test_deterministic(self, case):
        torch.manual_seed(0)
        a = build(case)
        torch.manual_seed(0)
        b = build(case)
        ids = torch.randint(0, V, (100,))
        assert torch.equal(a(ids), b(ids)) and torch.equal(a.indices(ids), b.indices(ids))

    def test_comparable_initial_output_scale(self, case):
        torch.manual_seed(0)
        emb = build(case)
        out = emb(torch.arange(V)).detach()
        # every scheme starts with output coordinates of std about init_std (0.01)
        assert 0.006 < out.std().item() < 0.014, out.std().item()
        assert abs(out.mean().item()) < 0.003

    @pytest.mark.parametrize("ids,exc,match", [
        (torch.tensor([-1]), ValueError, "ids must be >= 0, got -1"),
        (torch.tensor([V]), ValueError, f"ids must be < num_embeddings = {V}, got {V}"),
        (torch.tensor([1.0]), TypeError, "ids must hold integers"),
        (torch.tensor([True]), TypeError, "ids must hold integers"),
        (np.array([0.5]), TypeError, "ids must hold integers"),
    ])
    def test_bad_ids(self, case, ids, exc, match):
        with pytest.raises(exc, match=match):
            build(case)(ids)

    def test_numpy_and_list_ids_accepted(self, case):
        emb = build(case)
        assert torch.equal(emb(np.array([1, 2])), emb(torch.tensor([1, 2])))
        assert torch.equal(emb([1, 2]), emb(torch.tensor([1, 2])))


def test_bh_one_full_width_block_equals_a_full_table():
    full = FullEmbedding(V, D)
    bh = BinaryHashEmbedding(V, D, num_bits=10, strategy="succession", num_blocks=1)
    assert bh.num_rows == 1024
    with torch.no_grad():
        bh.weight[:V] = full.weight
    ids = torch.randint(0, V, (500,))
    assert torch.equal(bh(ids), full(ids))


@pytest.mark.parametrize("strategy,kw", [("succession", {"block_bits": 3}),
                                         ("skip", {"num_blocks": 4})])
def test_bh_indices_match_reference(strategy, kw):
    bh = BinaryHashEmbedding(V, D, strategy=strategy, **kw)
    ids = list(range(0, V, 13))
    assert bh.indices(torch.tensor(ids)).tolist() == [
        reference.indices(i, 10, strategy, kw.get("block_bits"), kw.get("num_blocks"))
        for i in ids]


def test_qr_equals_explicit_formula_including_ids_above_2_24():
    big = 50_000_000
    emb = QREmbedding(big, 4, num_collisions=4)
    ids = torch.tensor([0, 3, 4, 2**24 + 1, 36_000_003, big - 1])
    q_rows = -(-big // 4)
    expected = [[i // 4, q_rows + i % 4] for i in ids.tolist()]
    assert emb.indices(ids).tolist() == expected
    assert emb.indices(torch.tensor([36_000_003])).tolist()[0][0] == 9_000_000  # not 9,000,001
    assert emb.num_rows == q_rows + 4


def test_qr_quotient_table_uses_ceil():
    emb = QREmbedding(10, 2, num_collisions=4)  # ceil(10/4) = 3 quotient rows, not floor = 2
    assert emb.num_quotients == 3 and emb.num_rows == 7
    assert emb.indices(torch.tensor([9])).tolist() == [[2, 4]]


def test_hash_equals_explicit_formula():
    emb = HashEmbedding(V, D, num_buckets=37, seed=3)
    ids = np.arange(V)
    salt = bhlib.hashing.field_salt(3, "hash")
    expected = bhlib.hashing.mix64_numpy(ids.astype(np.uint64), salt) % 37
    assert emb.indices(torch.from_numpy(ids))[:, 0].tolist() == expected.tolist()


def test_multi_hash_tables_are_independent_and_disjoint():
    emb = MultiHashEmbedding(V, D, num_buckets=50, num_hashes=3)
    idx = emb.indices(torch.arange(V))
    for i in range(3):
        assert idx[:, i].min() >= 50 * i and idx[:, i].max() < 50 * (i + 1)
    # full collisions need all three hashes to agree: far fewer than single-hash collisions
    rep_multi = bhlib.collision_report(emb, np.arange(V))
    rep_single = bhlib.collision_report(HashEmbedding(V, D, num_buckets=150), np.arange(V))
    assert rep_multi.ids_sharing_tuple < rep_single.ids_sharing_tuple / 10


def test_bh_hash_mode_accepts_raw_ints_and_strings_consistently():
    bh = BinaryHashEmbedding(10_000, D, hash_inputs=True, field="user", block_bits=6)
    assert bh.num_bits == 28
    raw = torch.tensor([-5, 0, 2**62, 123])
    assert bh(raw).shape == (4, D)
    torch.testing.assert_close(bh.forward_values([-5, 0, 2**62, 123]), bh(raw))
    assert bh.forward_values(["alice", "bob"]).shape == (2, D)
    codes = torch.from_numpy(hash_ids([-5, 0], field="user")) & (2**28 - 1)
    direct = bhlib.bh_indices(codes, num_bits=28, strategy="succession", block_bits=6)
    assert torch.equal(bh.indices(torch.tensor([-5, 0])), direct)
    with pytest.raises(TypeError, match="ids must hold integers"):
        bh(torch.tensor([0.5]))
    with pytest.raises(ValueError, match="hash_inputs=True"):
        BinaryHashEmbedding(V, D).forward_values([1])


@pytest.mark.parametrize("cls,kw,exc,match", [
    (BinaryHashEmbedding, {"num_bits": 9}, ValueError, "num_bits=9 codes only"),
    (BinaryHashEmbedding, {"strategy": "zigzag"}, ValueError, "strategy must be one of"),
    (BinaryHashEmbedding, {"block_bits": 2, "num_blocks": 2}, ValueError, "exactly one"),
    (BinaryHashEmbedding, {"fusion": "concat", "num_blocks": 3}, ValueError, "divisible by 3"),
    (BinaryHashEmbedding, {"fusion": "max"}, ValueError, "fusion must be one of"),
    (HashEmbedding, {"num_buckets": 0}, ValueError, "num_buckets must be >= 1"),
    (HashEmbedding, {"num_buckets": 2.5}, TypeError, "num_buckets must be an int"),
    (MultiHashEmbedding, {"num_buckets": 4, "num_hashes": 0}, ValueError, "num_hashes"),
    (QREmbedding, {"num_collisions": 0}, ValueError, "num_collisions must be >= 1"),
    (QREmbedding, {"num_collisions": 4, "operation": "div"}, ValueError, "operation must be"),
    (FullEmbedding, {"init_std": 0}, ValueError, "init_std must be a positive number"),
])
def test_bad_constructor_arguments(cls, kw, exc, match):
    with pytest.raises(exc, match=match):
        cls(V, D, **kw)


@pytest.mark.parametrize("v,d", [(0, 4), (10, 0)])
def test_bad_sizes(v, d):
    with pytest.raises(ValueError, match="num_embeddings|embedding_dim"):
        FullEmbedding(v, d)


def test_bad_optimizer_name():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        FullEmbedding(4, 2).memory_bytes("rmsprop")

"""The reproduction's ablations: BH with Q-R's product, Q-R with BH's sum, BH with concat, and BH
with its top block sized to the ids (mixed radix).

The identities checked exactly: BH-Succession with two blocks of ``t`` bits and mixed radix has
Q-R's very tables for ``r = 2**t`` (the same row pairs, up to the order of the rows), so with the
same rows the product (``bh-product``) gives Q-R's output and the sum gives ``qr-add``'s, bit for
bit.
"""
from __future__ import annotations

import itertools

import pytest
import torch

from bhlib import (
    ABLATION_METHODS,
    COMPARED_METHODS,
    METHODS,
    BinaryHashEmbedding,
    QREmbedding,
    make_embedding,
    plan_embedding,
)


def test_ablations_are_methods_apart_from_the_compared_ones():
    assert set(ABLATION_METHODS) <= set(METHODS)
    assert not set(ABLATION_METHODS) & set(COMPARED_METHODS)
    assert METHODS["bh-product"] == ("bh", {"strategy": "succession", "fusion": "mult"})
    assert METHODS["qr-add"] == ("qr", {"operation": "add"})
    assert METHODS["bh-mixed"][1]["mixed_radix"] is True


@pytest.mark.parametrize("v, block_bits", [(10, 2), (1000, 4), (1000, 3), (1024, 5), (999, 10),
                                           (12_345, 5), (10**7, 12)])
def test_mixed_radix_rows_are_exactly_the_rows_ids_reach(v, block_bits):
    """Every row of the mixed-radix table is read by some id of [0, V) and no other row exists;
    the digits (the index tuple) are the plain BH's, so uniqueness is kept."""
    plain = BinaryHashEmbedding(v, 1, block_bits=block_bits)
    mixed = BinaryHashEmbedding(v, 1, block_bits=block_bits, mixed_radix=True)
    lengths = plain.block_lengths
    below = sum(lengths[:-1])
    assert mixed.num_rows == sum(1 << n for n in lengths[:-1]) + -(-v // (1 << below))
    assert mixed.weight.shape == (mixed.num_rows, 1)
    ids = torch.arange(v) if v <= 20_000 else torch.cat([torch.arange(5000),
                                                          torch.arange(v - 5000, v)])
    idx = mixed.indices(ids)
    assert torch.equal(idx, plain.indices(ids))  # the same digits, a smaller top table
    assert int(idx.max()) == mixed.num_rows - 1  # the largest id reads the last row
    if v <= 20_000:
        assert set(idx.flatten().tolist()) == set(range(mixed.num_rows))  # none unreachable
        assert len({tuple(r) for r in idx.tolist()}) == v  # one index tuple per id


def test_mixed_radix_on_ten_million_ids_has_the_rows_the_issue_counts():
    """V = 10^7, two 12-bit blocks: 4,096 + 2,442 = 6,538 of the plain table's 8,192 rows."""
    emb = BinaryHashEmbedding(10**7, 1, block_bits=12, mixed_radix=True)
    assert emb.num_rows == 6538
    assert BinaryHashEmbedding(10**7, 1, block_bits=12).num_rows == 8192


def _qr_rows_of_bh(v: int, t: int) -> torch.Tensor:
    """For each row of the two-block mixed-radix BH table, the Q-R row (r = 2**t) it stands for:
    BH's rows are [remainder (2**t) | quotient (ceil(V / 2**t))], Q-R's [quotient | remainder]."""
    r, q = 1 << t, -(-v // (1 << t))
    return torch.cat([q + torch.arange(r), torch.arange(q)])


@pytest.mark.parametrize("v, t", [(1000, 5), (5000, 7), (65_536, 8), (100_003, 9)])
@pytest.mark.parametrize("bh_fusion, qr_operation", [("mult", "mult"), ("sum", "add")])
def test_two_block_mixed_bh_is_qr_with_power_of_two_divisor(v, t, bh_fusion, qr_operation):
    """Same rows (permuted), same output to the last bit: the product is Q-R, the sum qr-add."""
    bits = 2 * t
    if (1 << t) >= v or (1 << bits) < v:
        pytest.skip("needs exactly two blocks of t bits")
    bh = BinaryHashEmbedding(v, 8, num_bits=bits, block_bits=t, fusion=bh_fusion,
                             mixed_radix=True)
    qr = QREmbedding(v, 8, num_collisions=1 << t, operation=qr_operation)
    assert bh.num_lookups == 2 and bh.num_rows == qr.num_rows
    where = _qr_rows_of_bh(v, t)
    with torch.no_grad():
        qr.weight[where] = bh.weight  # BH's row i is Q-R's row where[i]
    ids = torch.arange(v)
    assert torch.equal(where[bh.indices(ids)].sort(dim=-1).values,
                       qr.indices(ids).sort(dim=-1).values)  # the same pair of rows per id
    assert torch.equal(bh(ids), qr(ids))


def test_product_fusion_trains_and_its_init_has_the_output_scale():
    """BH with product fusion: outputs of about init_std at initialization (rows of
    init_std ** (1 / K)), gradients reach every block."""
    torch.manual_seed(0)
    emb = make_embedding("bh", 10**6, 64, ratio=1000, strategy="succession", fusion="mult")
    assert emb.num_lookups == 3
    out = emb(torch.arange(0, 10**6, 97))
    assert 0.5 * emb.init_std < float(out.detach().std()) < 2 * emb.init_std
    out.pow(2).sum().backward()
    touched = emb.weight.grad.abs().sum(dim=1) > 0
    offsets = [0, 256, 512]
    assert all(bool(touched[o:o + 16].any()) for o in offsets)


@pytest.mark.parametrize("kwargs", [{"strategy": "skip", "num_blocks": 2},
                                    {"layout": "shared"}, {"hash_inputs": True}])
def test_mixed_radix_refuses_what_it_cannot_size(kwargs):
    with pytest.raises(ValueError, match="mixed_radix=True"):
        BinaryHashEmbedding(1000, 4, mixed_radix=True, **kwargs)
    with pytest.raises(TypeError, match="mixed_radix"):
        BinaryHashEmbedding(1000, 4, mixed_radix=1)


@pytest.mark.parametrize("v, ratio", list(itertools.product([10**6, 10**7, 123_457],
                                                             [10, 100, 1000])))
def test_mixed_radix_fits_the_budget_and_picks_its_best_block_size(v, ratio):
    """Same budget: bh-mixed never exceeds it; at plain BH's block size its table is no larger,
    so the block size it picks uses at least as much of the budget as that one would."""
    budget = v * 16 // ratio
    plain = plan_embedding("bh", v, 16, ratio=ratio, strategy="succession")
    mixed = plan_embedding("bh", v, 16, ratio=ratio, strategy="succession", mixed_radix=True)
    same = BinaryHashEmbedding.parameter_count(v, 16, block_bits=plain.hparams["block_bits"],
                                               mixed_radix=True)
    assert same <= plain.num_parameters <= budget
    assert same <= mixed.num_parameters <= budget

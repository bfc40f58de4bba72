"""The fused multi-lookup (bhlib.embeddings.lookup) against the autograd formulation it replaces.

The reference is what ``EmbeddingScheme.fuse`` computed before: ``F.embedding`` of the ``[..., K]``
indices (an ``[..., K, d]`` tensor), then a sum, mean, product or reshape over the ``K`` axis,
differentiated by autograd. Values and weight gradients must agree within float tolerance for
every scheme and fusion, dense and sparse, on random shapes; ``gradcheck`` checks the hand-written
backward in float64 against finite differences.
"""
from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from bhlib import make_embedding
from bhlib.embeddings import FUSIONS, fused_lookup


def reference_fuse(weight: torch.Tensor, idx: torch.Tensor, fusion: str) -> torch.Tensor:
    """The autograd formulation: gather ``[..., K, d]``, then combine over ``K``."""
    rows = F.embedding(idx, weight)  # (..., K, d)
    if fusion == "sum":
        return rows.sum(dim=-2)
    if fusion == "mean":
        return rows.mean(dim=-2)
    if fusion == "mult":
        return rows.prod(dim=-2)
    return rows.reshape(*idx.shape[:-1], -1)  # concat


# (method, scheme kwargs): every scheme with K > 1 lookups, every fusion it offers
SCHEMES = [
    ("bh", {"strategy": "succession", "block_bits": 3, "fusion": "sum"}),
    ("bh", {"strategy": "succession", "block_bits": 4, "fusion": "mean"}),
    ("bh", {"strategy": "skip", "num_blocks": 2, "fusion": "concat"}),
    ("bh", {"strategy": "skip", "num_blocks": 3, "fusion": "sum"}),
    ("bh", {"strategy": "succession", "block_bits": 3, "layout": "shared", "fusion": "sum"}),
    ("qr", {"num_collisions": 7, "operation": "mult"}),
    ("qr", {"num_collisions": 5, "operation": "add"}),
    ("qr", {"num_collisions": 6, "operation": "concat"}),
    ("multi_hash", {"num_buckets": 9, "num_hashes": 2, "fusion": "sum"}),
    ("multi_hash", {"num_buckets": 5, "num_hashes": 3, "fusion": "mean"}),
    ("multi_hash", {"num_buckets": 4, "num_hashes": 2, "fusion": "concat"}),
]


def _grads(emb, ids: torch.Tensor, grad_out: torch.Tensor, *, reference: bool):
    emb.weight.grad = None
    out = reference_fuse(emb.weight, emb.indices(ids), emb.fusion) if reference else emb(ids)
    out.backward(grad_out)
    g = emb.weight.grad
    return out.detach(), (g.to_dense() if g.is_sparse else g)


@pytest.mark.parametrize(("name", "kw"), SCHEMES, ids=lambda x: str(x))
@pytest.mark.parametrize("sparse", [False, True])
def test_scheme_matches_the_autograd_formulation(name, kw, sparse):
    gen = torch.Generator().manual_seed(7)
    for trial in range(3):
        vocab = int(torch.randint(20, 300, (), generator=gen))
        lead = tuple(int(s) for s in torch.randint(1, 6, (1 + trial,), generator=gen))
        emb = make_embedding(name, vocab, 12, sparse=sparse, **kw)
        assert emb.num_lookups > 1
        ids = torch.randint(0, vocab, lead, generator=gen)
        grad_out = torch.randn(*lead, 12, generator=gen)
        out, grad = _grads(emb, ids, grad_out, reference=False)
        assert (emb.weight.grad.is_sparse) == sparse
        ref_out, ref_grad = _grads(emb, ids, grad_out, reference=True)
        assert out.shape == ref_out.shape == (*lead, 12)
        torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(grad, ref_grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("fusion", "k"), list(itertools.product(FUSIONS, [1, 2, 3, 4])))
def test_gradcheck_float64(fusion, k):
    gen = torch.Generator().manual_seed(k)
    weight = torch.randn(6, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    idx = torch.randint(0, 6, (2, 5, k), generator=gen)  # repeats: rows read several times
    assert torch.autograd.gradcheck(lambda w: fused_lookup(w, idx, fusion), (weight,))


@pytest.mark.parametrize("fusion", FUSIONS)
def test_sparse_gradient_equals_the_dense_one(fusion):
    gen = torch.Generator().manual_seed(3)
    weight = torch.randn(10, 4, generator=gen)
    idx = torch.randint(0, 10, (50, 3), generator=gen)
    grad_out = torch.randn(50, 4 * (3 if fusion == "concat" else 1), generator=gen)
    grads = []
    for sparse in (False, True):
        w = weight.clone().requires_grad_()
        fused_lookup(w, idx, fusion, sparse=sparse).backward(grad_out)
        grads.append(w.grad)
    dense, sparse = grads
    assert not dense.is_sparse and sparse.is_sparse and sparse._nnz() == 150
    torch.testing.assert_close(sparse.to_dense(), dense)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_no_rows_tensor_is_kept_for_backward(fusion):
    """Autograd keeps the indices (and, for the product, the weight), never an ``[N, K, d]``
    block of rows."""
    saved = []
    weight = torch.randn(64, 8, requires_grad=True)
    idx = torch.randint(0, 64, (1000, 4))
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.shape) or t,
                                                  lambda t: t):
        out = fused_lookup(weight, idx, fusion)
    kept = [tuple(idx.shape)] + ([tuple(weight.shape)] if fusion == "mult" else [])
    assert sorted(map(tuple, saved)) == sorted(kept)
    out.sum().backward()
    assert weight.grad.shape == weight.shape


def test_shapes_empty_scalar_and_no_grad():
    emb = make_embedding("bh", 1000, 8, strategy="succession", block_bits=4)
    assert emb(torch.tensor(5)).shape == (8,)
    assert emb(torch.empty(0, dtype=torch.int64)).shape == (0, 8)
    assert emb(torch.empty(3, 0, dtype=torch.int64)).shape == (3, 0, 8)
    out = emb(torch.empty(0, dtype=torch.int64))
    out.sum().backward()
    assert torch.count_nonzero(emb.weight.grad) == 0
    with torch.no_grad():
        assert not emb(torch.arange(4)).requires_grad


def test_gradient_reaches_only_the_rows_read():
    emb = make_embedding("qr", 100, 4, num_collisions=10)
    emb(torch.tensor([23])).sum().backward()
    touched = torch.nonzero(emb.weight.grad.abs().sum(1)).flatten().tolist()
    assert touched == emb.indices(torch.tensor([23]))[0].tolist() == [2, 13]


@pytest.mark.parametrize("bad", [torch.tensor([[0.0, 1.0]]), [[0, 1]],
                                 torch.tensor([[0, 1]], dtype=torch.int32)])
def test_bad_indices_are_refused(bad):
    with pytest.raises(TypeError, match="idx must be an int64 tensor"):
        fused_lookup(torch.zeros(4, 2), bad)


def test_bad_fusion_is_refused():
    with pytest.raises(ValueError, match="fusion"):
        fused_lookup(torch.zeros(4, 2), torch.zeros(1, 2, dtype=torch.int64), "max")

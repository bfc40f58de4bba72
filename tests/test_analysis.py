import numpy as np
import pytest
import torch

from bhlib import (BinaryHashEmbedding, FullEmbedding, HashEmbedding, MultiHashEmbedding,
                   QREmbedding, collision_report)


def brute_force(scheme, ids):
    """Pairwise definitions, O(N^2): the oracle for collision_report."""
    idx = scheme.indices(torch.as_tensor(ids)).tolist()
    n = len(idx)
    key = (lambda t: tuple(sorted(t))) if scheme.fusion in ("sum", "mean") else tuple
    tup = sum(any(idx[i] == idx[j] for j in range(n) if j != i) for i in range(n))
    vec = sum(any(key(idx[i]) == key(idx[j]) for j in range(n) if j != i) for i in range(n))
    row = sum(any(set(idx[i]) & set(idx[j]) for j in range(n) if j != i) for i in range(n))
    per_row = {}
    for i, t in enumerate(idx):
        for r in set(t):
            per_row[r] = per_row.get(r, 0) + 1
    return tup, vec, row, max(per_row.values()), len(per_row)


@pytest.mark.parametrize("scheme", [
    FullEmbedding(64, 2),
    HashEmbedding(64, 2, num_buckets=20),
    MultiHashEmbedding(64, 2, num_buckets=9, num_hashes=2),
    QREmbedding(64, 2, num_collisions=5),
    BinaryHashEmbedding(64, 2, strategy="skip", num_blocks=3),
    BinaryHashEmbedding(64, 2, block_bits=2, layout="shared"),
    BinaryHashEmbedding(64, 2, block_bits=3, layout="shared"),
], ids=lambda s: repr(s)[:40])
def test_matches_brute_force(scheme):
    ids = np.random.default_rng(0).permutation(64)[:50]
    r = collision_report(scheme, ids)
    tup, vec, row, max_row, used = brute_force(scheme, ids)
    assert (r.ids_sharing_tuple, r.ids_sharing_vector, r.ids_sharing_a_row, r.max_ids_per_row,
            r.rows_used) == (tup, vec, row, max_row, used)
    assert r.num_ids == 50 and r.num_rows == scheme.num_rows


def test_full_and_bh_offset_keep_every_id_apart():
    ids = np.arange(4096)
    assert collision_report(FullEmbedding(4096, 2), ids).ids_sharing_a_row == 0
    for strategy in ("succession", "skip"):
        r = collision_report(BinaryHashEmbedding(4096, 2, strategy=strategy, num_blocks=3), ids)
        assert r.unique_tuples and r.ids_sharing_vector == 0


def test_shared_layout_permutation_collisions_notes_example():
    r = collision_report(BinaryHashEmbedding(16, 2, num_bits=4, block_bits=2, layout="shared"),
                         range(16))
    # 16 codes, 10 multisets of two 2-bit values: 4 singletons (equal blocks) + 6 pairs
    assert r.ids_sharing_tuple == 0 and r.ids_sharing_vector == 12
    assert r.as_dict()["ids_sharing_vector"] == 12


def test_errors():
    emb = FullEmbedding(10, 2)
    with pytest.raises(ValueError, match="distinct"):
        collision_report(emb, [1, 1, 2])
    with pytest.raises(TypeError, match="integers"):
        collision_report(emb, np.array([0.5]))
    with pytest.raises(ValueError, match="one-dimensional"):
        collision_report(emb, np.zeros((2, 2), dtype=int))

import numpy as np
import pandas as pd
import pytest
import torch

import bhlib
from bhlib import (
    BinaryHashEmbedding,
    FullEmbedding,
    HashEmbedding,
    MultiHashEmbedding,
    QREmbedding,
    collision_report,
    equal_memory_table,
)
from bhlib.collisions import _ids_in_duplicate_rows, _row_keys, main


def brute_force(scheme, ids):
    """Pairwise definitions, O(N^2): the oracle for collision_report."""
    idx = scheme.indices(torch.as_tensor(ids)).tolist()
    n = len(idx)
    key = (lambda t: tuple(sorted(t))) if scheme.fusion in ("sum", "mean") else tuple
    tup = sum(any(idx[i] == idx[j] for j in range(n) if j != i) for i in range(n))
    vec = sum(any(key(idx[i]) == key(idx[j]) for j in range(n) if j != i) for i in range(n))
    row = sum(any(set(idx[i]) & set(idx[j]) for j in range(n) if j != i) for i in range(n))
    per_row = {}
    for _i, t in enumerate(idx):
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


def test_equal_memory_table_bh_has_no_shared_tuples_and_hash_has_collisions():
    t = equal_memory_table(20_000, 8, target_ratios=(10, 100), progress=False)
    ok = t.dropna(subset=["num_rows"])
    for method in ("bh-succession", "bh-skip", "qr"):
        assert (ok[ok.method == method].ids_sharing_tuple == 0).all()
    assert (ok[ok.method == "hash"].ids_sharing_tuple > 0).all()
    assert (ok[ok.method == "multi_hash"].ids_sharing_tuple > 0).all()
    assert (ok[ok.method == "bh-shared"].ids_sharing_vector > 0).all()
    assert t[t.method == "full"].note.str.startswith("unreachable").all()


def test_equal_memory_table_matches_one_report_per_method():
    t = equal_memory_table(3000, 4, target_ratios=(20,), methods=("multi_hash",), progress=False)
    emb = bhlib.make_embedding("multi_hash", 3000, 4, ratio=20, num_hashes=2)
    r = collision_report(emb, range(3000))
    row = t.iloc[0]
    assert (row.num_rows, row.num_params) == (emb.num_rows, emb.num_parameters())
    assert (row.ids_sharing_tuple, row.ids_sharing_a_row) == (r.ids_sharing_tuple,
                                                              r.ids_sharing_a_row)


def test_equal_memory_table_refuses_unknown_methods():
    with pytest.raises(ValueError, match="methods must hold names from"):
        equal_memory_table(100, 4, methods=("nope",), progress=False)
    with pytest.raises(TypeError, match="methods must be a list"):
        equal_memory_table(100, 4, methods="hash", progress=False)


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        collision_report(HashEmbedding(10, 2, num_buckets=1), range(10), batch_size=-1)


def test_command_line_prints_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "sizes.csv"
    main(["--vocab", "1000", "--dim", "8", "--target-ratios", "10", "1000", "--methods", "hash",
          "qr", "--out", str(out), "--quiet"])
    text = capsys.readouterr().out
    assert "V = 1,000 dense ids" in text and "qr at 1000x: unreachable" in text
    saved = pd.read_csv(out)
    assert saved["target_ratio"].tolist() == [10, 10, 1000, 1000]



@pytest.mark.parametrize("scheme", [
    BinaryHashEmbedding(64, 2, num_bits=6, block_bits=2),
    BinaryHashEmbedding(64, 2, num_bits=6, strategy="skip", num_blocks=6),
    BinaryHashEmbedding(64, 2, num_bits=6, block_bits=3, hash_inputs=True),
    MultiHashEmbedding(64, 2, num_buckets=5, num_hashes=3),
], ids=lambda s: repr(s)[:40])
def test_matches_brute_force_on_sorted_ids_in_batches(scheme):
    ids = np.arange(0, 64, 2)  # increasing: the distinctness check skips its sort
    r = collision_report(scheme, ids, batch_size=7)
    tup, vec, row, max_row, used = brute_force(scheme, ids)
    assert (r.ids_sharing_tuple, r.ids_sharing_vector, r.ids_sharing_a_row, r.max_ids_per_row,
            r.rows_used) == (tup, vec, row, max_row, used)


def test_row_keys_fall_back_to_lexsort_past_63_bits():
    a = np.array([[2**40, 0], [0, 2**40], [2**40, 0]], dtype=np.int64)
    assert _row_keys(a) is None
    assert _ids_in_duplicate_rows(a) == 2
    assert _ids_in_duplicate_rows(a[:, :1] + np.zeros((3, 1), dtype=np.int64)) == 2

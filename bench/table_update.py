"""Section 6: dense fused Adam against SparseAdam on one table, by table size (bhlib.optim's rule).

A table of ``R`` rows of ``D`` values read ``K`` times per id (uniform indices, as BH's blocks are
read) by a batch of ``B`` ids, trained with the step of :mod:`train_step`: once with dense
gradients and fused Adam over the whole table, once with sparse gradients and ``SparseAdam``
(only the rows the batch read). ``R`` runs over multiples of ``B * K``;
:func:`bhlib.optim.dense_is_cheaper` switches from dense to sparse above ``DENSE_FACTOR * B * K``,
so the table shows where the rule's switch lies against the measured crossover. The two of one
size are timed interleaved.
"""
from __future__ import annotations

import torch
from common import interleaved
from train_step import step_fn

from bhlib.embeddings import fused_lookup
from bhlib.optim import adam, dense_is_cheaper

__all__ = ["run_table_update", "FACTORS"]

FACTORS = (1 / 16, 1 / 4, 1, 4, 16)  # table rows as multiples of B * K


def _step(weight: torch.nn.Parameter, sparse: bool, batches: list, grad_out: torch.Tensor):
    opt = torch.optim.SparseAdam([weight], lr=1e-3) if sparse else adam([weight], lr=1e-3)
    return step_fn(lambda idx: fused_lookup(weight, idx, sparse=sparse), opt, batches, grad_out)


def run_table_update(repeats: int, *, batch: int = 4096, dim: int = 64, lookups: int = 2,
                     factors: tuple = FACTORS, seed: int = 0) -> dict:
    """Step times of dense and sparse updates per table size (1 thread), and the rule's choice."""
    gen = torch.Generator().manual_seed(seed)
    grad_out = torch.randn(batch, dim, generator=gen)
    rows = []
    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for f in factors:
            table = max(lookups, round(f * batch * lookups))
            batches = [torch.randint(0, table, (batch, lookups), generator=gen) for _ in range(4)]
            weight = torch.nn.Parameter(torch.randn(table, dim, generator=gen) * 0.01)
            timing = interleaved({kind: _step(weight, kind == "sparse", batches, grad_out)
                                  for kind in ("dense", "sparse")},
                                 repeats=repeats, min_sample_s=0.05)
            dense_s, sparse_s = timing["dense"]["seconds"], timing["sparse"]["seconds"]
            rule = "dense" if dense_is_cheaper(table, lookups, batch) else "sparse"
            faster = "dense" if dense_s <= sparse_s else "sparse"
            rows.append({"rows": table, "rows_over_batch_lookups": table / (batch * lookups),
                         "dense_s": dense_s, "sparse_s": sparse_s,
                         "sparse_over_dense": sparse_s / dense_s, "faster": faster,
                         "rule": rule, "rule_agrees": rule == faster})
    finally:
        torch.set_num_threads(default_threads)
    return {"batch": batch, "dim": dim, "lookups": lookups, "threads": 1, "rows": rows}

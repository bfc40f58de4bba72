"""Section 2: one training step (forward + backward + optimizer) per scheme, one field.

A batch of ``B`` ids (uniform over ``[0, V)``: every id is equally likely, the case where sparse
updates touch the most rows), embedded in ``D`` dimensions, loss ``sum(emb(ids) * g)`` with a fixed
random ``g``, then ``zero_grad``, ``backward`` and ``step``. Full is measured both ways: dense
gradients with ``Adam`` (every row of the table and of its two moment tensors is rewritten each
step) and sparse gradients with ``SparseAdam`` (only the batch's rows). The compressed schemes are
sized for a 1000x compression ratio (Q-R: its largest ratio, ~sqrt(V)/2, when 1000x is out of
reach) and use dense Adam on their small tables; BH-Succession is also shown with SparseAdam.

The variants of one ``V`` are timed interleaved. A variant whose parameters and optimizer state
exceed ``solo_gib`` (Full with dense Adam at ``V = 10**7``: ~13 GB) is timed alone before the
others are built, so the two Full tables never coexist; its step is hundreds of times slower, so
interleaving would not change the comparison.
"""
from __future__ import annotations

import gc
import itertools

import torch
from common import interleaved, mem_available

from bhlib import METHODS, make_embedding
from bhlib.embeddings import BudgetError

__all__ = ["run_train_step", "VARIANTS"]

# (method of bhlib.METHODS, optimizer): the rows of the table
VARIANTS = (("full", "adam"), ("full", "sparse_adam"), ("hash", "adam"), ("multi_hash", "adam"),
            ("qr", "adam"), ("bh-succession", "adam"), ("bh-succession", "sparse_adam"),
            ("bh-skip", "adam"))
_BYTES_PER_PARAM = {"adam": 4 * 5, "sparse_adam": 4 * 3}  # weight, grad, 2 moments, 1 temporary


def _build(method: str, optimizer: str, vocab: int, dim: int, ratio: int):
    scheme, kw = METHODS[method]
    sparse = optimizer == "sparse_adam"
    if method == "full":
        return make_embedding(scheme, vocab, dim, sparse=sparse), 1
    try:
        return make_embedding(scheme, vocab, dim, ratio=ratio, sparse=sparse, **kw), ratio
    except BudgetError:  # Q-R: the smallest tables, r near sqrt(V)
        if scheme != "qr":
            raise
        emb = make_embedding(scheme, vocab, dim, num_collisions=max(1, round(vocab ** 0.5)),
                             sparse=sparse, **kw)
        return emb, round(emb.compression_ratio)


def _stepper(emb, optimizer: str, batches: list, grad_out: torch.Tensor):
    opt_cls = torch.optim.SparseAdam if optimizer == "sparse_adam" else torch.optim.Adam
    opt = opt_cls(emb.parameters(), lr=1e-3)
    cycle = itertools.cycle(batches)

    def step():
        loss = (emb(next(cycle)) * grad_out).sum()  # (B, D) -> ()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def _measure_group(group: list, vocab: int, threads: list[int], repeats: int, batches: list,
                   grad_out: torch.Tensor, dim: int, ratio: int, skipped: list) -> list[dict]:
    """Build the variants of ``group``, time them interleaved at each thread count, free them."""
    built = {}
    for method, opt in group:
        need = vocab * dim * _BYTES_PER_PARAM[opt] if method == "full" else 0
        if need > 0.8 * mem_available():
            skipped.append({"V": vocab, "method": method, "optimizer": opt,
                            "reason": f"needs ~{need / 2**30:.1f} GiB, "
                                      f"{mem_available() / 2**30:.1f} GiB available"})
            continue
        try:
            emb, achieved = _build(method, opt, vocab, dim, ratio)
        except BudgetError as exc:  # e.g. 1000x of a small V is below BH's minimum
            skipped.append({"V": vocab, "method": method, "optimizer": opt, "reason": str(exc)})
            continue
        built[(method, opt)] = (emb, achieved, _stepper(emb, opt, batches, grad_out))
    rows = []
    for th in threads:
        torch.set_num_threads(th)
        timing = interleaved({f"{m} {o}": s for (m, o), (_, _, s) in built.items()},
                             repeats=repeats if len(group) > 1 else max(2, repeats // 2),
                             min_sample_s=0.05)
        for (m, o), (emb, achieved, _) in built.items():
            t = timing[f"{m} {o}"]
            rows.append({"V": vocab, "threads": th, "method": m, "optimizer": o,
                         "ratio": achieved, "rows": emb.num_rows, "params": emb.num_parameters(),
                         "seconds": t["seconds"], "spread": t["spread"], "solo": len(group) == 1})
    return rows  # the tables, gradients and optimizer states are freed on return


def run_train_step(vocabs: list[int], threads: list[int], repeats: int, *, batch: int = 4096,
                   dim: int = 64, ratio: int = 1000, solo_gib: float = 10.0,
                   seed: int = 0) -> dict:
    """Step times of every variant at every ``V`` and thread count; rows plus BH / Full ratios."""
    gen = torch.Generator().manual_seed(seed)
    grad_out = torch.randn(batch, dim, generator=gen)
    rows, skipped = [], []
    default_threads = torch.get_num_threads()
    try:
        for vocab in vocabs:
            batches = [torch.randint(0, vocab, (batch,), generator=gen) for _ in range(8)]
            solo = [v for v in VARIANTS
                    if v[0] == "full" and vocab * dim * _BYTES_PER_PARAM[v[1]] > solo_gib * 2**30]
            for group in [[v] for v in solo] + [[v for v in VARIANTS if v not in solo]]:
                rows += _measure_group(group, vocab, threads, repeats, batches, grad_out, dim,
                                       ratio, skipped)
                gc.collect()
    finally:
        torch.set_num_threads(default_threads)
    return {"batch": batch, "dim": dim, "ratio": ratio, "rows": rows, "skipped": skipped,
            "bh_over_full": bh_over_full(rows)}


def bh_over_full(rows: list[dict]) -> dict:
    """``{threads: {V: BH-Succession (Adam) step / faster Full step}}``."""
    out: dict = {}
    for r in rows:
        if r["method"] != "bh-succession" or r["optimizer"] != "adam":
            continue
        full = [f["seconds"] for f in rows if f["method"] == "full" and f["V"] == r["V"]
                and f["threads"] == r["threads"]]
        if full:
            out.setdefault(r["threads"], {})[r["V"]] = r["seconds"] / min(full)
    return out

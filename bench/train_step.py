"""Section 2: one training step (forward + backward + optimizer) per scheme, one field.

A batch of ``B`` ids (uniform over ``[0, V)``: every id is equally likely, the case where sparse
updates touch the most rows), embedded in ``D`` dimensions, loss ``sum(emb(ids) * g)`` with a fixed
random ``g``, then ``zero_grad``, ``backward`` and ``step``. Full is measured both ways: dense
gradients with Adam (every row of the table and of its two moment tensors is rewritten each
step) and sparse gradients with ``SparseAdam`` (only the batch's rows). The compressed schemes are
sized for a 1000x compression ratio (Q-R: its largest ratio, ~sqrt(V)/2, when 1000x is out of
reach) and use dense Adam on their small tables, as ``bhlib.optim``'s rule gives them in training;
BH-Succession is also shown with SparseAdam, and as the step was before the fused multi-lookup
(``before``: autograd's ``embedding_bag`` backward and torch's default, unfused Adam). ``adam``
is :func:`bhlib.optim.adam`: fused.

**Traffic bound.** A dense-Adam step must move at least
``4 * (B*K*d + 2*B*D + 8*R*d) + 8*B*(1 + K)`` bytes (float32 values, int64 ids and indices): the
``K`` rows read per id, the output written and its gradient read, and the ``R x d`` table with its
gradient written by the backward and read, its two moments read and written, the weights read and
written by Adam (8 passes), plus the ids and their indices. Over the copy bandwidth measured in the
same run (``dst.copy_(src)`` on 64 MiB buffers, twice the 32 MiB L3 here), this is the step's
floor, ``bound_s``; ``over_bound`` is the step's time over it. The tables of the compressed schemes
fit in cache, so a step can in principle beat a bound taken from memory bandwidth.

The variants of one ``V`` are timed interleaved. A variant whose parameters and optimizer state
exceed ``solo_gib`` (Full with dense Adam at ``V = 10**7``: ~13 GB) is timed alone before the
others are built, so the two Full tables never coexist; its step is hundreds of times slower, so
interleaving would not change the comparison.
"""
from __future__ import annotations

import gc
import itertools

import torch
import torch.nn.functional as F
from common import interleaved, mem_available

from bhlib import METHODS, make_embedding
from bhlib.embeddings import BudgetError
from bhlib.optim import adam

__all__ = ["run_train_step", "VARIANTS", "traffic_bytes", "step_fn"]

# (method of bhlib.METHODS, optimizer): the rows of the table
VARIANTS = (("full", "adam"), ("full", "sparse_adam"), ("hash", "adam"), ("multi_hash", "adam"),
            ("qr", "adam"), ("bh-succession", "adam"), ("bh-succession", "sparse_adam"),
            ("bh-succession", "before"), ("bh-skip", "adam"))
_BYTES_PER_PARAM = {"adam": 4 * 5, "sparse_adam": 4 * 3, "before": 4 * 5}  # + grad, 1 temporary
COPY_BYTES = 64 * 2**20  # the bandwidth reference: beyond the last-level cache


def traffic_bytes(batch: int, dim: int, lookups: int, rows: int, row_dim: int) -> int:
    """Bytes a dense-Adam step must read and write (the formula of this module's docstring).

    Example:
        >>> traffic_bytes(4096, 64, 2, 8192, 64)  # BH at 1000x of V = 10**7: about 21 MB
        21069824
    """
    values = batch * lookups * row_dim + 2 * batch * dim + 8 * rows * row_dim
    return 4 * values + 8 * batch * (1 + lookups)


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
    if optimizer == "sparse_adam":
        opt = torch.optim.SparseAdam(emb.parameters(), lr=1e-3)
    elif optimizer == "before":
        opt = torch.optim.Adam(emb.parameters(), lr=1e-3, foreach=False, fused=False)
    else:
        opt = adam(list(emb.parameters()), lr=1e-3)
    return step_fn(_autograd_lookup(emb) if optimizer == "before" else emb, opt, batches,
                   grad_out)


def step_fn(embed, opt, batches: list, grad_out: torch.Tensor):
    """One timed step: ``loss = sum(embed(batch) * grad_out)``, ``zero_grad``, ``backward``,
    ``step``, over the batches in turn."""
    cycle = itertools.cycle(batches)

    def step():
        loss = (embed(next(cycle)) * grad_out).sum()  # (B, D) -> ()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def _autograd_lookup(emb):
    """The scheme's lookup as it was before the fused multi-lookup: ``embedding_bag`` (sum or
    mean) with autograd's backward."""
    if emb.fusion not in ("sum", "mean") or emb.num_lookups == 1:
        raise ValueError(f"no autograd lookup kept for fusion {emb.fusion!r}")
    return lambda ids: F.embedding_bag(emb.indices(ids), emb.weight, mode=emb.fusion)


def _measure_group(group: list, vocab: int, threads: list[int], repeats: int, batches: list,
                   grad_out: torch.Tensor, dim: int, ratio: int, skipped: list,
                   copy: tuple) -> list[dict]:
    """Build the variants of ``group``, time them interleaved (with the bandwidth reference
    ``copy = (src, dst)``) at each thread count, free them."""
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
    rows, (src, dst) = [], copy
    for th in threads:
        torch.set_num_threads(th)
        fns = {"copy": lambda: dst.copy_(src)}
        fns.update({f"{m} {o}": s for (m, o), (_, _, s) in built.items()})
        timing = interleaved(fns, repeats=repeats if len(group) > 1 else max(2, repeats // 2),
                             min_sample_s=0.05)
        bandwidth = 2 * src.numel() * src.element_size() / timing["copy"]["seconds"]
        for (m, o), (emb, achieved, _) in built.items():
            t = timing[f"{m} {o}"]
            row = {"V": vocab, "threads": th, "method": m, "optimizer": o, "ratio": achieved,
                   "rows": emb.num_rows, "params": emb.num_parameters(), "K": emb.num_lookups,
                   "seconds": t["seconds"], "spread": t["spread"], "solo": len(group) == 1,
                   "copy_gb_s": bandwidth / 1e9}
            if o != "sparse_adam":  # the bound is a dense-Adam step's
                moved = traffic_bytes(len(batches[0]), dim, emb.num_lookups, *emb.weight.shape)
                row.update(traffic_bytes=moved, bound_s=moved / bandwidth,
                           over_bound=t["seconds"] * bandwidth / moved)
            rows.append(row)
    return rows  # the tables, gradients and optimizer states are freed on return


def run_train_step(vocabs: list[int], threads: list[int], repeats: int, *, batch: int = 4096,
                   dim: int = 64, ratio: int = 1000, solo_gib: float = 10.0,
                   seed: int = 0) -> dict:
    """Step times of every variant at every ``V`` and thread count; rows plus BH / Full ratios."""
    gen = torch.Generator().manual_seed(seed)
    grad_out = torch.randn(batch, dim, generator=gen)
    rows, skipped = [], []
    src = torch.ones(COPY_BYTES // 4)
    copy = (src, torch.empty_like(src))
    default_threads = torch.get_num_threads()
    try:
        for vocab in vocabs:
            batches = [torch.randint(0, vocab, (batch,), generator=gen) for _ in range(8)]
            solo = [v for v in VARIANTS
                    if v[0] == "full" and vocab * dim * _BYTES_PER_PARAM[v[1]] > solo_gib * 2**30]
            for group in [[v] for v in solo] + [[v for v in VARIANTS if v not in solo]]:
                rows += _measure_group(group, vocab, threads, repeats, batches, grad_out, dim,
                                       ratio, skipped, copy)
                gc.collect()
    finally:
        torch.set_num_threads(default_threads)
    return {"batch": batch, "dim": dim, "ratio": ratio, "rows": rows, "skipped": skipped,
            "copy_bytes": COPY_BYTES, "bh_over_full": bh_over_full(rows),
            "bh_over_sparse_full": bh_over_full(rows, full_optimizer="sparse_adam"),
            "bh_over_traffic_bound": {th: {r["V"]: r["over_bound"] for r in rows
                                           if r["threads"] == th and _is_bh(r)}
                                      for th in threads}}


def _is_bh(row: dict) -> bool:
    return row["method"] == "bh-succession" and row["optimizer"] == "adam"


def bh_over_full(rows: list[dict], full_optimizer: str | None = None) -> dict:
    """``{threads: {V: BH-Succession (Adam) step / faster Full step}}`` (or / the Full step with
    ``full_optimizer``)."""
    out: dict = {}
    for r in rows:
        if not _is_bh(r):
            continue
        full = [f["seconds"] for f in rows if f["method"] == "full" and f["V"] == r["V"]
                and f["threads"] == r["threads"]
                and full_optimizer in (None, f["optimizer"])]
        if full:
            out.setdefault(r["threads"], {})[r["V"]] = r["seconds"] / min(full)
    return out

"""Section 1: index generation throughput against the memory-bandwidth bound.

Index generation is pure integer work: read ``N`` int64 ids, write ``N x K`` indices. Its floor is
the time to move those bytes, measured here in the same run by a plain copy
(``dst.copy_(src)``): a copy of ``S`` bytes reads ``S`` and writes ``S``, so the bandwidth is
``2 S / t_copy`` and the **bound** of a configuration is ``(8 N + K N itemsize) / bandwidth``.
The fraction reported is ``bound / time`` (1.0 = as fast as a copy of the same bytes).

Rows: :func:`bhlib.bh_indices` for a few Succession / Skip configurations, writing int64 or
int32 into a preallocated ``out`` (steady state of a data pipeline) or into a fresh tensor
(first-touch page faults included); the pre-issue-5 formulation (:mod:`naive`) beside the library
on the same ``N / 10`` ids (before / after); the rivals' ``indices`` (hash-mod, multi-hash, Q-R,
also on ``N / 10`` ids, fresh output); two profile rows for the best configuration: the range check
alone as a separate ``aminmax`` pass over all ids (what checking before the index loop cost;
``bh_indices`` now checks each chunk inside the loop, while it is in cache) and ``bh_indices`` with
``validate=False`` (the gap to that configuration's row is what the in-loop check costs); and
one ``torch.compile`` row (the same Succession formula fused into one pass; not used by bhlib,
see :func:`_compiled_succession`).
"""
from __future__ import annotations

import time

import torch
from common import interleaved
from naive import naive_bh_indices

from bhlib import bh_indices, bits_needed, block_partition, make_embedding
from bhlib.embeddings import BudgetError

__all__ = ["run_index_gen", "BH_CONFIGS"]

# (strategy, partition argument) pairs measured; at 24 bits: K = 3, 2, 3, 2 blocks
BH_CONFIGS = (("succession", {"block_bits": 8}), ("succession", {"block_bits": 12}),
              ("skip", {"num_blocks": 3}), ("skip", {"num_blocks": 2}))


def _spec(kw: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in kw.items())


def _compiled_succession(x: torch.Tensor, nbits: int, block_bits: int, out: torch.Tensor):
    """``torch.compile`` of the Succession formula, validation included (static shapes).

    Not used by bhlib: compiling takes seconds, needs a C++ compiler, and with dynamic shapes (or
    once a function has been recompiled for a few shapes) the generated code was 10x slower than
    eager here. Measured to show what one fused pass over the ids reaches.
    Returns ``(callable, compile seconds)``, or ``(None, error)`` where compiling fails.
    """
    blocks = block_partition(nbits, strategy="succession", block_bits=block_bits)
    consts, off = [], 0
    for b in blocks:  # no-op steps left out: inductor emitted 6x slower code for `x >> 0`, `+ 0`
        consts.append((b[0], (1 << len(b)) - 1 if b[-1] < nbits - 1 else 0, off))
        off += 1 << len(b)

    def kernel(x, out):
        lo, hi = torch.aminmax(x)  # the validation pass, fused with the index arithmetic
        for j, (shift, mask, offset) in enumerate(consts):
            v = x >> shift if shift else x
            v = v & mask if mask else v
            out[:, j] = v + offset if offset else v
        return lo, hi

    try:
        start = time.perf_counter()
        fn = torch.compile(kernel, dynamic=False)
        fn(x, out)
        seconds = time.perf_counter() - start
        ref = bh_indices(x[:100_000], num_bits=nbits, strategy="succession", block_bits=block_bits)
        assert torch.equal(out[:100_000], ref), "compiled and library BH indices disagree"
        return (lambda: fn(x, out)), seconds
    except Exception as exc:  # no C++ compiler, unsupported platform...
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"


def _rival(name: str, vocab: int, dim: int = 64, ratio: int = 1000):
    try:
        return make_embedding(name, vocab, dim, ratio=ratio), ratio
    except BudgetError:  # Q-R cannot compress past ~sqrt(V)/2: take its smallest tables
        r = max(1, round(vocab ** 0.5))
        emb = make_embedding(name, vocab, dim, num_collisions=r)
        return emb, round(emb.compression_ratio)


def run_index_gen(num_ids: int, threads: list[int], repeats: int, *, compile: bool = True,
                  seed: int = 0) -> dict:
    """Measure every row at every thread count; returns ``{"reference": ..., "rows": [...]}``."""
    gen = torch.Generator().manual_seed(seed)
    vocab = num_ids  # dense ids 0..V-1 with V = N: num_bits = ceil(log2 N)
    nbits = bits_needed(vocab)
    x = torch.randint(0, vocab, (num_ids,), generator=gen)  # (N,)
    x_small = x[: max(1, num_ids // 10)].clone()  # the slow rows run on N / 10 ids
    cases: dict[str, tuple[dict, object]] = {}  # name -> (row facts, callable)
    for strategy, kw in BH_CONFIGS:
        k = bh_indices(x[:1], num_bits=nbits, strategy=strategy, **kw).shape[-1]
        for dtype in (torch.int64, torch.int32):
            out = torch.empty(num_ids, k, dtype=dtype)
            cases[f"bh {strategy} {_spec(kw)} {str(dtype)[6:]} out="] = (
                {"kind": "bh", "strategy": strategy, "spec": _spec(kw), "K": k,
                 "dtype": str(dtype)[6:], "output": "preallocated", "n_ids": num_ids},
                lambda kw=kw, s=strategy, o=out: bh_indices(x, num_bits=nbits, strategy=s, out=o,
                                                            **kw))
        cases[f"bh {strategy} {_spec(kw)} int64 fresh"] = (
            {"kind": "bh", "strategy": strategy, "spec": _spec(kw), "K": k, "dtype": "int64",
             "output": "fresh", "n_ids": num_ids},
            lambda kw=kw, s=strategy: bh_indices(x, num_bits=nbits, strategy=s, **kw))
    for strategy, kw in (BH_CONFIGS[0], BH_CONFIGS[2]):
        k = len(bh_indices(x[:1], num_bits=nbits, strategy=strategy, **kw)[0])
        ref = bh_indices(x_small[:10_000], num_bits=nbits, strategy=strategy, **kw)
        got = naive_bh_indices(x_small[:10_000], num_bits=nbits, strategy=strategy, **kw)
        assert torch.equal(ref, got), "naive and library BH indices disagree"
        cases[f"naive {strategy} {_spec(kw)} (before #5)"] = (
            {"kind": "naive", "strategy": strategy, "spec": _spec(kw), "K": k, "dtype": "int64",
             "output": "fresh", "n_ids": len(x_small)},
            lambda kw=kw, s=strategy: naive_bh_indices(x_small, num_bits=nbits, strategy=s, **kw))
        cases[f"bh {strategy} {_spec(kw)} int64 fresh (after #5)"] = (
            {"kind": "after", "strategy": strategy, "spec": _spec(kw), "K": k, "dtype": "int64",
             "output": "fresh", "n_ids": len(x_small)},
            lambda kw=kw, s=strategy: bh_indices(x_small, num_bits=nbits, strategy=s, **kw))
    for name in ("hash", "multi_hash", "qr"):
        emb, ratio = _rival(name, vocab)
        cases[f"{name} indices (ratio {ratio})"] = (
            {"kind": name, "K": emb.num_lookups, "dtype": "int64", "output": "fresh",
             "n_ids": len(x_small)}, lambda emb=emb: emb.indices(x_small))
    # profile of the configuration the summary reports (Succession, the 1000x table at V=1e7)
    best_kw = BH_CONFIGS[1][1]
    k_best = bh_indices(x[:1], num_bits=nbits, strategy="succession", **best_kw).shape[-1]
    out_best = torch.empty(num_ids, k_best, dtype=torch.int64)
    cases["profile: range check as a separate pass (aminmax)"] = (
        {"kind": "profile", "K": 0, "dtype": "-", "output": "-", "n_ids": num_ids},
        lambda: torch.aminmax(x))
    cases[f"profile: bh succession {_spec(best_kw)} validate=False"] = (
        {"kind": "profile", "strategy": "succession", "spec": _spec(best_kw), "K": k_best,
         "dtype": "int64", "output": "preallocated", "n_ids": num_ids},
        lambda: bh_indices(x, num_bits=nbits, strategy="succession", out=out_best,
                           validate=False, **best_kw))
    compiled, compile_info = (_compiled_succession(x, nbits, best_kw["block_bits"],
                                                   torch.empty(num_ids, k_best, dtype=torch.int64))
                              if compile else (None, None))
    if compiled is not None:
        cases[f"torch.compile succession {_spec(best_kw)} int64 out= (not in bhlib)"] = (
            {"kind": "compiled", "strategy": "succession", "spec": _spec(best_kw), "K": k_best,
             "dtype": "int64", "output": "preallocated", "n_ids": num_ids}, compiled)
    # bandwidth reference: a copy the size of the largest configuration's traffic
    copy_bytes = max(f["n_ids"] * (8 + f["K"] * (4 if f["dtype"] == "int32" else 8))
                     for f, _ in cases.values()) // 2
    src = torch.randint(0, 2**62, (copy_bytes // 8,), generator=gen)
    dst = torch.empty_like(src)
    rows, reference = [], {}
    default_threads = torch.get_num_threads()
    try:
        for th in threads:
            torch.set_num_threads(th)
            fns = {"copy": lambda: dst.copy_(src)}
            fns.update({name: fn for name, (_, fn) in cases.items()})
            timing = interleaved(fns, repeats=repeats)
            bandwidth = 2 * src.numel() * 8 / timing["copy"]["seconds"]
            reference[th] = {"copy_bytes": src.numel() * 8, "seconds": timing["copy"]["seconds"],
                             "bandwidth_gb_s": bandwidth / 1e9, "spread": timing["copy"]["spread"]}
            for name, (facts, _) in cases.items():
                t = timing[name]["seconds"]
                itemsize = 4 if facts["dtype"] == "int32" else 8
                moved = facts["n_ids"] * (8 + facts["K"] * itemsize)
                rows.append({"threads": th, "name": name, **facts, "seconds": t,
                             "ids_per_s": facts["n_ids"] / t, "bytes": moved,
                             "bound_s": moved / bandwidth, "fraction": moved / bandwidth / t,
                             "spread": timing[name]["spread"]})
    finally:
        torch.set_num_threads(default_threads)
    return {"num_ids": num_ids, "num_bits": nbits, "reference": reference, "rows": rows,
            "compile": ({"seconds": compile_info} if compiled is not None
                        else {"error": compile_info} if compile else {})}

"""Section 4: end-to-end CTR training throughput per scheme on the synthetic dataset.

:func:`bhlib.data.make_synthetic` (Criteo-shaped vocabularies, Zipf popularity; synthetic, not
real data) feeds :class:`bhlib.model.CTRModel` trained by :func:`bhlib.train.fit` for one epoch,
exactly as experiments run it (fused Adam for the MLP; per table, dense Adam or SparseAdam by
:mod:`bhlib.optim`'s rule). The two largest fields (10^6 and 10^5 ids) use the scheme under
test at ``ratio``; the others stay full. Throughput = training rows / fit time (one epoch, its one
validation pass included); the schemes' fits are interleaved and the median over ``repeats`` is
kept.
"""
from __future__ import annotations

import statistics
import time

__all__ = ["run_ctr", "CTR_METHODS"]

CTR_METHODS = ("full", "hash", "multi_hash", "qr", "bh-succession", "bh-skip")


def run_ctr(num_rows: int, vocab_sizes: tuple, repeats: int, ratio: int = 100,
            batch_size: int = 1024) -> dict:
    """Samples per second of one training epoch per method, or why it could not run."""
    try:
        from bhlib.data import make_synthetic
        from bhlib.model import CTRModel, ModelConfig
        from bhlib.train import TrainConfig, fit
    except Exception as exc:  # the experiments issue has not landed (or is broken)
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}", "rows": []}
    try:
        start = time.perf_counter()
        data = make_synthetic(num_rows=num_rows, vocab_sizes=vocab_sizes, seed=0)
        data_s = time.perf_counter() - start
        big = [f for f, v in data.cardinalities.items() if v >= 100_000] or [data.fields[0]]
        models, rows = {}, []
        for m in CTR_METHODS:
            cfg = (ModelConfig(method="full") if m == "full" else
                   ModelConfig(method=m, ratio=ratio, compress_fields=big))
            try:
                models[m] = CTRModel.for_dataset(data, cfg)
            except ValueError as exc:  # BudgetError: e.g. Q-R cannot reach the ratio
                rows.append({"method": m, "error": f"{type(exc).__name__}: {exc}"})
        train = TrainConfig(epochs=1, batch_size=batch_size, progress=False, patience=1)
        seconds = {m: [] for m in models}
        for _ in range(repeats):
            for m, model in models.items():
                seconds[m].append(fit(model, data, train).train_seconds)
    except Exception as exc:
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}", "rows": []}
    n_train = len(data.splits["train"])
    for m, model in models.items():
        t = statistics.median(seconds[m])
        rows.append({"method": m, "samples_per_s": n_train / t, "seconds": t,
                     "embedding_params": model.embedding_params,
                     "embedding_ratio": model.embedding_ratio})
    return {"available": True, "num_rows": num_rows, "train_rows": n_train,
            "vocab_sizes": list(vocab_sizes), "compressed_fields": big, "ratio": ratio,
            "batch_size": batch_size, "data_seconds": data_s, "rows": rows}

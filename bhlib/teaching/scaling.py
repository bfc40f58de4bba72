"""Scaling out (notebook 07): the bytes one data-parallel process holds for each scheme, in
closed form, and where replicating a full table stops fitting a device (pure, nothing allocated).

Data-parallel training gives every process a full copy of the model and of Adam's state
(:mod:`bhlib.distributed`). The compressed tables of Binary Code based Hash Embedding (Yan et al.,
CIKM 2021, arXiv 2109.02471) are kilobytes to megabytes, so plain replication is enough for them;
a full table of 10^8 ids or more exceeds one device and has to be *sharded* (model parallelism,
each process holding a slice of the rows, as TorchRec does for "massive embedding tables that
exceed single-GPU memory"). The bytes come from :func:`bhlib.replication.replicated_bytes`: one
field of ``V`` ids (every scheme sized for the target ratio, the full table at ratio 1) and the
CTR model's MLP, float32 parameters plus the optimizer's state. A ratio a scheme cannot reach
(Q-R stops near ``sqrt(V)/2``) is listed as skipped with the :class:`bhlib.BudgetError`'s reason;
no other size is substituted.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from .._checks import check_choices, check_int, check_number
from ..display import format_bytes
from ..embeddings import COMPARED_METHODS, METHODS, BudgetError
from ..model import ModelConfig
from ..replication import replicated_bytes

__all__ = ["SCALE_DEVICES", "VOCABULARIES", "bytes_per_process_table", "bytes_per_process_grid",
           "full_table_limit", "sharding_table", "replication_table"]

# Memory of one process's device (round, illustrative numbers [ours]; this project's own
# machine has about 23.5 GiB of RAM).
SCALE_DEVICES: dict[str, int] = {
    "GPU (16 GB)": 16 * 10**9,
    "GPU (80 GB)": 80 * 10**9,
    "CPU server (24 GiB)": 24 * 2**30,
}
VOCABULARIES = (10**6, 10**7, 10**8, 10**9)  # ids of the one large field, notebook 07's grid
_FIELD = "ids"  # the field's name in the records of these tables


def _need(method: str, num_ids: int, ratio: float, embedding_dim: int,
          optimizer: str | None) -> dict:
    """``replicated_bytes`` of a model with one field of ``num_ids`` ids (BudgetError if out)."""
    config = ModelConfig(method=method, ratio=None if method == "full" else ratio,
                         embedding_dim=embedding_dim, compress_threshold=0)
    return replicated_bytes({_FIELD: num_ids}, config, optimizer=optimizer)


def bytes_per_process_table(vocab_sizes: Sequence[int] = VOCABULARIES, *, ratio: float = 1000,
                            methods: Sequence[str] = COMPARED_METHODS, embedding_dim: int = 16,
                            optimizer: str | None = "adam") -> pd.DataFrame:
    """One row per vocabulary size and method: the bytes each data-parallel process holds.

    Every scheme but ``full`` is sized for ``ratio`` (``full`` is the uncompressed table, ratio
    1). ``total_bytes`` counts the table and the MLP, parameters and ``optimizer`` state;
    ``skipped`` is the reason a scheme cannot reach the ratio (empty when it can), and then the
    sizes are missing.

    Example:
        >>> t = bytes_per_process_table([10**6, 10**8], methods=["full", "qr", "bh-succession"])
        >>> print(t[["num_ids", "method", "achieved_ratio", "memory"]].to_string(index=False))
          num_ids        method  achieved_ratio  memory
          1000000          full             1.0  192 MB
          1000000            qr             NaN       -
          1000000 bh-succession          1893.9  140 kB
        100000000          full             1.0 19.2 GB
        100000000            qr          1000.8 19.2 MB
        100000000 bh-succession          1479.6   13 MB
        >>> t.loc[1, "skipped"][:44]
        'qr: the smallest Q-R tables for V=1,000,000 '
    """
    methods = check_choices(methods, "methods", METHODS)
    check_number(ratio, "ratio", low=1)
    d = check_int(embedding_dim, "embedding_dim", low=1)
    rows = []
    for i, v in enumerate(vocab_sizes):
        v = check_int(v, f"vocab_sizes[{i}]", low=1)
        for method in methods:
            row = {"num_ids": v, "method": method,
                   "target_ratio": 1.0 if method == "full" else float(ratio)}
            try:
                need = _need(method, v, ratio, d, optimizer)
            except BudgetError as err:
                rows.append({**row, "achieved_ratio": math.nan, "table_params": pd.NA,
                             "total_bytes": pd.NA, "memory": "-", "skipped": str(err)})
                continue
            rows.append({**row, "achieved_ratio": round(v * d / need["table_params"], 1),
                         "table_params": need["table_params"], "total_bytes": need["total_bytes"],
                         "memory": format_bytes(need["total_bytes"]), "skipped": ""})
    out = pd.DataFrame(rows, columns=["num_ids", "method", "target_ratio", "achieved_ratio",
                                      "table_params", "total_bytes", "memory", "skipped"])
    return out.astype({"table_params": "Int64", "total_bytes": "Int64"})


def bytes_per_process_grid(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`bytes_per_process_table` as methods x vocabulary sizes, each cell the bytes per
    process (``skipped`` where the scheme cannot reach its ratio).

    Example:
        >>> t = bytes_per_process_table([10**6, 10**9], methods=["full", "qr"])
        >>> print(bytes_per_process_grid(t).to_string())  # doctest: +NORMALIZE_WHITESPACE
        num_ids  10^6 ids 10^9 ids
        method
        full       192 MB   192 GB
        qr 1000x  skipped   192 MB
    """
    t = table.copy()
    t["label"] = [m if m == "full" else f"{m} {r:g}x"
                  for m, r in zip(t["method"], t["target_ratio"], strict=True)]
    t["cell"] = t["memory"].where(t["skipped"] == "", "skipped")
    names = {v: f"10^{round(math.log10(v))} ids" if 10 ** round(math.log10(v)) == v
             else f"{v:,} ids" for v in t["num_ids"]}
    grid = t.pivot(index="label", columns="num_ids", values="cell")
    grid = grid.reindex(index=list(dict.fromkeys(t["label"])))
    grid.columns = pd.Index([names[v] for v in grid.columns], name="num_ids")
    grid.index.name = "method"
    return grid


def full_table_limit(memory_bytes: float, *, embedding_dim: int = 16,
                     optimizer: str | None = "adam") -> int:
    """The largest vocabulary whose full table (and MLP) one process can hold in
    ``memory_bytes``: at one more id, replication stops fitting and sharding begins.

    Found by bisection on :func:`bhlib.replication.replicated_bytes` (the bytes grow with every
    id), so the MLP and the optimizer are counted exactly as a run counts them.

    Example:
        >>> full_table_limit(80 * 10**9)  # about 80e9 / (16 x 12 bytes)
        416666466
    """
    limit = check_number(memory_bytes, "memory_bytes", low=0, low_open=True)
    d = check_int(embedding_dim, "embedding_dim", low=1)

    def fits(v: int) -> bool:
        return _need("full", v, 1, d, optimizer)["total_bytes"] <= limit

    if not fits(1):
        return 0
    lo, hi = 1, 2
    while fits(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:  # fits(lo), not fits(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def sharding_table(devices: dict[str, float] | None = None, *, num_ids: int = 10**9,
                   embedding_dim: int = 16, optimizer: str | None = "adam") -> pd.DataFrame:
    """Per device: the largest full table a replica can hold, the first vocabulary that needs
    sharding, and how many such devices a sharded full table of ``num_ids`` ids needs at least.

    ``num_shards`` divides the full model's bytes (table, MLP, optimizer state) by the device's
    memory, rounded up: a lower bound (each shard also holds activations and buffers).

    Example:
        >>> print(sharding_table({"GPU (80 GB)": 80 * 10**9}).to_string(index=False))
             device memory  full_fits_up_to  sharding_from  num_shards
        GPU (80 GB)  80 GB        416666466      416666467           3
    """
    devices = SCALE_DEVICES if devices is None else devices
    v = check_int(num_ids, "num_ids", low=1)
    total = _need("full", v, 1, check_int(embedding_dim, "embedding_dim", low=1),
                  optimizer)["total_bytes"]
    rows = []
    for name, memory in devices.items():
        limit = full_table_limit(memory, embedding_dim=embedding_dim, optimizer=optimizer)
        rows.append({"device": name, "memory": format_bytes(memory), "full_fits_up_to": limit,
                     "sharding_from": limit + 1, "num_shards": math.ceil(total / memory)})
    return pd.DataFrame(rows)


def replication_table(num_ids: int, memory_bytes: float, *, ratio: float = 1000,
                      methods: Sequence[str] = COMPARED_METHODS, embedding_dim: int = 16,
                      optimizer: str | None = "adam") -> pd.DataFrame:
    """Each method at one vocabulary size: bytes per process, whether a replica fits
    ``memory_bytes``, and the devices its table would need if sharded (``num_shards``).

    Example:
        >>> t = replication_table(10**9, 80 * 10**9, methods=["full", "bh-skip"])
        >>> print(t[["method", "memory", "fits", "num_shards"]].to_string(index=False))
         method  memory  fits  num_shards
           full  192 GB False           3
        bh-skip 12.6 MB  True           1
    """
    limit = check_number(memory_bytes, "memory_bytes", low=0, low_open=True)
    t = bytes_per_process_table([num_ids], ratio=ratio, methods=methods,
                                embedding_dim=embedding_dim, optimizer=optimizer)
    reachable = t["skipped"] == ""
    t["fits"] = [bool(ok and b <= limit) for ok, b in zip(reachable, t["total_bytes"],
                                                          strict=True)]
    t["num_shards"] = pd.array([math.ceil(b / limit) if ok else pd.NA
                                for ok, b in zip(reachable, t["total_bytes"], strict=True)],
                               dtype="Int64")
    return t[["method", "target_ratio", "achieved_ratio", "memory", "fits", "num_shards",
              "skipped"]]

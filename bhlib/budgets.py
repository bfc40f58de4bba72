"""Memory budgets, from a server to a phone: which scheme fits, in what configuration (pure).

Yan et al. (CIKM 2021, arXiv 2109.02471) motivate BH by web-scale vocabularies whose full
embedding tables do not fit the hardware. This module answers the practical question behind it:
given a vocabulary ``V``, a dimension ``D`` and a number of bytes, what does each method of
:data:`bhlib.METHODS` look like when it uses as much of the budget as it can, counting float32
parameters *and* the optimizer's state (Adam keeps two more floats per parameter), and which ratios
can each method reach at all? Nothing is allocated: sizes come from :func:`bhlib.plan_embedding`.

A budget larger than the full table is capped at the full table's size: nobody needs more rows
than ids, so every method then reports its configuration at ratio 1 (or the closest it can get).
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from ._checks import check_int
from .embeddings import METHODS, BudgetError, SizePlan, plan_embedding
from .embeddings.base import bytes_per_parameter  # re-exported: notebooks use budgets.*
from .sizes import format_hparams

__all__ = ["DEVICES", "format_bytes", "bytes_per_parameter", "describe_config", "smallest_plan",
           "reach_table", "budget_table", "device_table"]

# Bytes one might give one embedding field on each device (round, illustrative numbers [ours]).
DEVICES: dict[str, int] = {
    "datacenter GPU (80 GB)": 80 * 10**9,
    "workstation GPU (24 GB)": 24 * 10**9,
    "laptop (4 GB)": 4 * 10**9,
    "phone app (50 MB)": 50 * 10**6,
    "wearable (2 MB)": 2 * 10**6,
}


def format_bytes(num_bytes: float) -> str:
    """Bytes in decimal units, three significant digits: ``1.5 GB``.

    Example:
        >>> [format_bytes(b) for b in (512, 2_048, 3 * 10**9, 7.68e11)]
        ['512 B', '2.05 kB', '3 GB', '768 GB']
    """
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if num_bytes >= size:
            return f"{num_bytes / size:.3g} {unit}"
    return f"{num_bytes:.0f} B"


def describe_config(plan: SizePlan) -> str:
    """The size hyper-parameters of a plan in a few words (what differs between methods).

    Example:
        >>> describe_config(plan_embedding("bh", 10**6, 16, ratio=1000, strategy="skip"))
        'skip num_bits=20 num_blocks=3'
    """
    words = [plan.hparams.get("strategy"), format_hparams(plan.hparams)]
    return " ".join(w for w in words if w) or "one row per id"


def _plan(method: str, num_embeddings: int, embedding_dim: int, num_params: int) -> SizePlan:
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    name, kwargs = METHODS[method]
    return plan_embedding(name, num_embeddings, embedding_dim, num_params=num_params, **kwargs)


def smallest_plan(method: str, num_embeddings: int, embedding_dim: int) -> SizePlan:
    """The smallest configuration ``method`` has for ``V`` and ``D`` (its highest ratio).

    Found by bisection on the parameter budget (a budget that fits stays fitting when it grows),
    so no scheme is special-cased here.

    Example:
        >>> p = smallest_plan("qr", 10**6, 16)
        >>> p.num_rows, round(p.achieved_ratio)
        (2000, 500)
        >>> smallest_plan("bh-succession", 10**6, 16).num_rows  # 20 one-bit blocks
        40
    """
    v = check_int(num_embeddings, "num_embeddings", low=1)
    d = check_int(embedding_dim, "embedding_dim", low=1)
    lo, hi = 1, 4 * v * d  # every method fits 4 V D parameters (BH uses < 2 V rows)
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            _plan(method, v, d, mid)
            hi = mid
        except BudgetError:
            lo = mid + 1
    return _plan(method, v, d, lo)


def reach_table(num_embeddings: int, embedding_dim: int,
                methods: Sequence[str] = tuple(METHODS)) -> pd.DataFrame:
    """The highest compression ratio each method can reach, and the configuration that does it.

    Example:
        >>> print(reach_table(10**6, 16, ["full", "qr", "bh-succession"]).to_string(index=False))
               method                     smallest_config    rows  max_ratio
                 full                      one row per id 1000000        1.0
                   qr                 num_collisions=1000    2000      500.0
        bh-succession succession num_bits=20 block_bits=1      40    25000.0
    """
    records = []
    for m in methods:
        p = smallest_plan(m, num_embeddings, embedding_dim)
        records.append({"method": m, "smallest_config": describe_config(p), "rows": p.num_rows,
                        "max_ratio": round(p.achieved_ratio, 1)})
    return pd.DataFrame(records)


def budget_table(num_embeddings: int, embedding_dim: int, budget_bytes: float, *,
                 optimizer: str | None = "adam",
                 methods: Sequence[str] = tuple(METHODS)) -> pd.DataFrame:
    """Each method sized to a memory budget: configuration, bytes, ratio, and whether it fits.

    The budget covers parameters plus ``optimizer`` state (:func:`bytes_per_parameter`). A method
    that cannot get that small is listed with its *smallest* configuration and ``fits=False``.

    Example:
        >>> t = budget_table(10**9, 64, 50 * 10**6, methods=["full", "hash", "qr", "bh-skip"])
        >>> print(t[["method", "fits", "config", "memory", "ratio"]].to_string(index=False))
         method  fits                        config  memory    ratio
           full False                one row per id  768 GB      1.0
           hash  True             num_buckets=65104   50 MB  15360.0
             qr  True          num_collisions=24830   50 MB  15360.0
        bh-skip  True skip num_bits=30 num_blocks=3 2.36 MB 325520.8
    """
    v = check_int(num_embeddings, "num_embeddings", low=1)
    d = check_int(embedding_dim, "embedding_dim", low=1)
    if isinstance(budget_bytes, bool) or not isinstance(budget_bytes, (int, float)) \
            or not budget_bytes > 0:
        raise ValueError(f"budget_bytes must be a positive number, got {budget_bytes!r}")
    per = bytes_per_parameter(optimizer)
    params = min(int(budget_bytes // per), v * d)
    records = []
    for m in methods:
        try:
            plan, fits = _plan(m, v, d, max(params, 1)), True
        except BudgetError:
            plan, fits = smallest_plan(m, v, d), False
        records.append({"method": m, "fits": fits, "config": describe_config(plan),
                        "rows": plan.num_rows, "params": plan.num_parameters,
                        "bytes": plan.num_parameters * per,
                        "memory": format_bytes(plan.num_parameters * per),
                        "ratio": round(plan.achieved_ratio, 1)})
    return pd.DataFrame(records)


def device_table(num_embeddings: int, embedding_dim: int, devices: dict[str, int] | None = None,
                 *, optimizer: str | None = "adam",
                 methods: Sequence[str] = tuple(METHODS)) -> pd.DataFrame:
    """Methods x devices: the ratio each method reaches when sized to the device, ``-``: no fit.

    Q-R and BH cannot be exactly ratio 1 (``ceil(V/r) + r > V``; ``2**n`` codes), so where the
    full table fits they report the closest ratio they can reach below the full size.

    Example:
        >>> print(device_table(10**9, 64, {"server": 10**12, "phone": 5 * 10**7},
        ...                    methods=["full", "qr", "bh-succession"]).to_string())
        ... # doctest: +NORMALIZE_WHITESPACE
                      server    phone
        method
        full              1x        -
        qr                2x  15,360x
        bh-succession     2x  30,514x
    """
    devices = DEVICES if devices is None else devices
    cols = {}
    for device, budget in devices.items():
        t = budget_table(num_embeddings, embedding_dim, budget, optimizer=optimizer,
                         methods=methods)
        cols[device] = [f"{r:,.0f}x" if ok else "-" for r, ok in zip(t["ratio"], t["fits"])]
    out = pd.DataFrame(cols, index=pd.Index(list(methods), name="method"))
    return out

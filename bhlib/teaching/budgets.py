"""Memory budgets (notebooks 04 and 05), from a server to a phone: which method fits, in what
configuration, and the sizes a sweep will train (pure, nothing allocated).

Yan et al. (CIKM 2021, arXiv 2109.02471) motivate BH by web-scale vocabularies whose full
embedding tables do not fit the hardware. This module answers the practical question behind it:
given a vocabulary ``V``, a dimension ``D`` and a number of bytes, what does each method of
:data:`bhlib.METHODS` look like when it uses as much of the budget as it can, counting float32
parameters *and* the optimizer's state (Adam keeps two more floats per parameter), and which ratios
can each method reach at all? Nothing is allocated: sizes come from :func:`bhlib.plan_embedding`
(:func:`bhlib.model.plan_fields` for a whole model).

A budget larger than the full table is capped at the full table's size: nobody needs more rows
than ids, so every method then reports its configuration at ratio 1 (or the closest it can get).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .._checks import check_choice, check_int, check_number
from ..display import format_bytes, format_hparams
from ..embeddings import (
    LESSON_METHODS,
    METHODS,
    BudgetError,
    SizePlan,
    bytes_per_parameter,
    plan_embedding,
)
from ..model import ModelConfig, plan_fields

__all__ = ["DEVICES", "smallest_plan", "reach_table", "budget_table", "device_table",
           "planned_sizes"]

# Bytes one might give one embedding field on each device (round, illustrative numbers [ours]).
DEVICES: dict[str, int] = {
    "datacenter GPU (80 GB)": 80 * 10**9,
    "workstation GPU (24 GB)": 24 * 10**9,
    "laptop (4 GB)": 4 * 10**9,
    "phone app (50 MB)": 50 * 10**6,
    "wearable (2 MB)": 2 * 10**6,
}


def _config(plan: SizePlan) -> str:
    return format_hparams(plan.hparams, strategy=True, empty="one row per id")


def _plan(method: str, num_embeddings: int, embedding_dim: int, num_params: int) -> SizePlan:
    name, kwargs = METHODS[check_choice(method, "method", METHODS)]
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
                methods: Sequence[str] = LESSON_METHODS) -> pd.DataFrame:
    """The highest compression ratio each method can reach, and the configuration that does it.

    Example:
        >>> print(reach_table(10**6, 16, ["full", "qr", "bh-succession"]).to_string(index=False))
               method                     smallest_config  num_rows  max_ratio
                 full                      one row per id   1000000        1.0
                   qr                 num_collisions=1000      2000      500.0
        bh-succession succession num_bits=20 block_bits=1        40    25000.0
    """
    records = []
    for m in methods:
        p = smallest_plan(m, num_embeddings, embedding_dim)
        records.append({"method": m, "smallest_config": _config(p), "num_rows": p.num_rows,
                        "max_ratio": round(p.achieved_ratio, 1)})
    return pd.DataFrame(records)


def budget_table(num_embeddings: int, embedding_dim: int, budget_bytes: float, *,
                 optimizer: str | None = "adam",
                 methods: Sequence[str] = LESSON_METHODS) -> pd.DataFrame:
    """Each method sized to a memory budget: configuration, bytes, ratio, and whether it fits.

    The budget covers parameters plus ``optimizer`` state (:func:`bytes_per_parameter`). A method
    that cannot get that small is listed with its *smallest* configuration and ``fits=False``.

    Example:
        >>> t = budget_table(10**9, 64, 50 * 10**6, methods=["full", "hash", "qr", "bh-skip"])
        >>> print(t[["method", "fits", "config", "memory", "achieved_ratio"]]
        ...       .to_string(index=False))
         method  fits                        config  memory  achieved_ratio
           full False                one row per id  768 GB             1.0
           hash  True             num_buckets=65104   50 MB         15360.0
             qr  True          num_collisions=24830   50 MB         15360.0
        bh-skip  True skip num_bits=30 num_blocks=3 2.36 MB        325520.8
    """
    v = check_int(num_embeddings, "num_embeddings", low=1)
    d = check_int(embedding_dim, "embedding_dim", low=1)
    check_number(budget_bytes, "budget_bytes", low=0, low_open=True)
    per = bytes_per_parameter(optimizer)
    params = min(int(budget_bytes // per), v * d)
    records = []
    for m in methods:
        try:
            plan, fits = _plan(m, v, d, max(params, 1)), True
        except BudgetError:
            plan, fits = smallest_plan(m, v, d), False
        records.append({"method": m, "fits": fits, "config": _config(plan),
                        "num_rows": plan.num_rows, "num_params": plan.num_parameters,
                        "bytes": plan.num_parameters * per,
                        "memory": format_bytes(plan.num_parameters * per),
                        "achieved_ratio": round(plan.achieved_ratio, 1)})
    return pd.DataFrame(records)


def device_table(num_embeddings: int, embedding_dim: int, devices: dict[str, int] | None = None,
                 *, optimizer: str | None = "adam",
                 methods: Sequence[str] = LESSON_METHODS) -> pd.DataFrame:
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
        cols[device] = [f"{r:,.0f}x" if ok else "-"
                        for r, ok in zip(t["achieved_ratio"], t["fits"], strict=True)]
    return pd.DataFrame(cols, index=pd.Index(list(methods), name="method"))


def planned_sizes(cardinalities: Mapping[str, int], methods: Sequence[str],
                  ratios: Sequence[float], config: ModelConfig | None = None) -> pd.DataFrame:
    """Rows of every compressed field for each method and target ratio, before any training.

    Sizes come from :func:`bhlib.model.plan_fields` (nothing allocated). ``achieved_ratio`` is
    the compression reached on the compressed fields together; an unreachable ratio says ``-``.

    Example:
        >>> t = planned_sizes({"user": 943, "item": 1682, "gender": 2}, ["hash", "qr"], [10, 30])
        >>> print(t.to_string(index=False))
        method  target_ratio user item achieved_ratio
          hash            10   94  168           10.0
            qr            10   91  164           10.3
          hash            30   31   56           30.2
            qr            30    -    -              -
    """
    config = config or ModelConfig()
    records = []
    for ratio in ratios:
        for method in methods:
            row: dict[str, Any] = {"method": method, "target_ratio": ratio}
            try:
                plans = plan_fields(cardinalities,
                                    dataclasses.replace(config, method=method, ratio=ratio))
            except BudgetError:
                records.append(row)
                continue
            chosen = {f: p for f, (m, p) in plans.items() if m != config.default_method}
            row.update({f: p.num_rows for f, p in chosen.items()})
            full = sum(p.num_embeddings * p.embedding_dim for p in chosen.values())
            row["achieved_ratio"] = round(full / sum(p.num_parameters for p in chosen.values()), 1)
            records.append(row)
    out = pd.DataFrame(records)
    out = out.reindex(columns=[c for c in out.columns if c != "achieved_ratio"]
                      + ["achieved_ratio"])
    for c in out.columns[2:]:  # unreachable: "-", not NaN (and row counts stay integers)
        out[c] = pd.Series([("-" if pd.isna(v) else v if c == "achieved_ratio" else int(v))
                            for v in out[c]], index=out.index, dtype=object)
    return out

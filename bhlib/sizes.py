"""Sizes and collisions of every scheme at equal memory: ``python -m bhlib.sizes``.

For a dense vocabulary of ``V`` ids, configure each method (:data:`bhlib.METHODS`) for each
target compression ratio with :func:`bhlib.plan_embedding`, build it, and count over all ``V`` ids
how many share their index tuple, their fused vector, or a row (:func:`bhlib.collision_report`).
A ratio a scheme cannot reach is listed with the reason instead of a substitute.
"""
from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .analysis import collision_report
from .embeddings import METHODS, BudgetError, plan_embedding

__all__ = ["size_table", "format_hparams"]


def format_hparams(hp: dict) -> str:
    """A plan's size hyper-parameters in a few words (``layout`` only when not the default).

    Example:
        >>> format_hparams({"strategy": "skip", "num_bits": 20, "num_blocks": 3, "layout": "offset"})
        'num_bits=20 num_blocks=3'
    """
    keep = ("num_buckets", "num_hashes", "num_collisions", "num_bits", "block_bits", "num_blocks",
            "layout")
    return " ".join(f"{k}={hp[k]}" for k in keep if hp.get(k) is not None
                    and not (k == "layout" and hp[k] == "offset"))


def size_table(num_embeddings: int = 1_000_000, embedding_dim: int = 16,
               ratios: Sequence[float] = (10, 100, 1000),
               methods: Sequence[str] = tuple(METHODS), *, progress: bool = True) -> pd.DataFrame:
    """One row per method and target ratio: configuration, sizes, bytes and collision counts.

    Example:
        >>> t = size_table(1000, 8, ratios=(10,), methods=("hash", "bh-succession"),
        ...                progress=False)
        >>> print(t[["method", "achieved_ratio", "rows", "ids_sharing_tuple"]].to_string(index=False))
               method  achieved_ratio  rows  ids_sharing_tuple
                 hash            10.0   100               1000
        bh-succession            12.5    80                  0
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"methods must be names from {list(METHODS)}, got {unknown}")
    ids = np.arange(num_embeddings, dtype=np.int64)
    rows = []
    jobs = [(m, r) for r in ratios for m in methods]
    for method, ratio in tqdm(jobs, desc="schemes", disable=not progress):
        name, kwargs = METHODS[method]
        row = {"method": method, "target_ratio": ratio}
        try:
            plan = plan_embedding(name, num_embeddings, embedding_dim, ratio=ratio, **kwargs)
        except BudgetError as err:
            rows.append({**row, "note": f"unreachable: {err}"})
            continue
        report = collision_report(plan.build(), ids)
        rows.append({
            **row, "achieved_ratio": round(plan.achieved_ratio, 1),
            "config": format_hparams(plan.hparams), "rows": plan.num_rows,
            "params": plan.num_parameters, "param_MiB": plan.memory_bytes() / 2**20,
            "adam_MiB": plan.memory_bytes("adam") / 2**20,
            "ids_sharing_tuple": report.ids_sharing_tuple,
            "ids_sharing_vector": report.ids_sharing_vector,
            "ids_sharing_a_row": report.ids_sharing_a_row,
            "max_ids_per_row": report.max_ids_per_row, "note": "",
        })
    table = pd.DataFrame(rows)
    for col in ("rows", "params", "ids_sharing_tuple", "ids_sharing_vector", "ids_sharing_a_row",
                "max_ids_per_row"):
        if col in table:
            table[col] = table[col].astype("Int64")
    return table


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Command line: print the table and write it to ``--out`` (CSV)."""
    ap = argparse.ArgumentParser(prog="python -m bhlib.sizes", description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", type=int, default=1_000_000, help="vocabulary size V")
    ap.add_argument("--dim", type=int, default=16, help="embedding dimension D")
    ap.add_argument("--ratios", type=float, nargs="+", default=[1, 10, 100, 1000])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--out", default="results/sizes.csv", help="CSV output ('' to skip)")
    args = ap.parse_args(argv)
    table = size_table(args.vocab, args.dim, args.ratios, args.methods)
    print(f"\nEvery scheme at equal memory: V = {args.vocab:,} dense ids, D = {args.dim}, "
          "float32; collisions counted over all V ids\n")
    with pd.option_context("display.width", 250, "display.max_columns", 30,
                           "display.max_colwidth", 60, "display.float_format", "{:,.2f}".format):
        shown = table.drop(columns=["note"]).dropna(subset=["rows"])
        print(shown.to_string(index=False))
    for _, r in table[table["note"].fillna("").str.startswith("unreachable")].iterrows():
        print(f"  {r['method']} at {r['target_ratio']:g}x: {r['note']}")
    if args.out:
        from pathlib import Path
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
        print(f"\nwritten to {args.out}")
    return table


if __name__ == "__main__":
    main()

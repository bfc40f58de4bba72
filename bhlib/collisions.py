"""Collision reports: which ids a scheme keeps apart, which share rows, at equal memory.

``python -m bhlib.collisions`` prints :func:`equal_memory_table`, every method's size and
collision counts at each target ratio (``make sizes``; the first step of ``make run``).


BH's claim (Yan et al., CIKM 2021) is that, unlike hash-mod, it keeps every id distinct: the index
tuple ``(k_0 .. k_{m-1})`` determines the id. That is a statement about *tuples*. Whether the
*fused vectors* are distinct is another question: with sum fusion the vector depends only on the
multiset of rows, so a layout in which blocks share one table confuses ids whose block values are
permutations of each other. :func:`collision_report` counts both, plus row sharing (which every
compressed scheme has, and through which ids share gradient). :func:`equal_memory_table` runs it
for every method of :data:`bhlib.LESSON_METHODS` (the compared ones and the shared layout; any
of :data:`bhlib.METHODS` on request) sized to each target ratio with
:func:`bhlib.plan_embedding`; a ratio a method cannot reach is listed with the reason instead of
a substitute.
"""
from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ._checks import (
    as_id_tensor,
    check_bool,
    check_choices,
    check_int,
    check_number,
    check_unique,
)
from .display import format_hparams
from .embeddings import LESSON_METHODS, METHODS, BudgetError, plan_embedding

_ARRAYS = (torch.Tensor, np.ndarray, pd.Series, pd.Index, list, tuple, str, bytes)

__all__ = ["CollisionReport", "collision_report", "equal_memory_table", "main"]


@dataclass(frozen=True, kw_only=True)
class CollisionReport:
    """Counts over a set of distinct ids (see :func:`collision_report`)."""

    num_ids: int                # distinct ids analysed
    num_rows: int               # rows the scheme allocates
    rows_used: int              # rows at least one of the ids reads
    lookups_per_id: int         # K, rows read per id
    ids_sharing_tuple: int      # ids whose whole index tuple equals another id's
    ids_sharing_vector: int     # ids whose fused vector equals another's by construction
    ids_sharing_a_row: int      # ids that read at least one row another id also reads
    max_ids_per_row: int        # the most ids reading one row

    def as_dict(self) -> dict[str, int]:
        """A plain dict (one row of a pandas DataFrame)."""
        return asdict(self)

    @property
    def unique_tuples(self) -> bool:
        """True when every id has its own index tuple."""
        return self.ids_sharing_tuple == 0


def _columns(a: np.ndarray) -> tuple[np.ndarray, list[int], list[int]]:
    """The ``(K, N)`` contiguous columns of ``a`` (fast reductions) and each one's min and max."""
    cols = np.ascontiguousarray(a.T)
    return cols, [int(c.min()) for c in cols], [int(c.max()) for c in cols]


def _row_keys(a: np.ndarray, columns: tuple | None = None) -> np.ndarray | None:
    """One int64 per row of the ``(N, K)`` array ``a``, equal exactly when the rows are (mixed
    radix over each column's range); None when the ranges multiply past ``2**63``. ``columns``:
    :func:`_columns` of ``a``, if already computed."""
    cols, low, high = columns or _columns(a)
    span = [hi - lo + 1 for lo, hi in zip(low, high, strict=True)]
    total = 1
    for s in span:
        total *= s
    if total >= 1 << 63:
        return None
    keys = cols[0] - low[0]
    for c, lo, s in zip(cols[1:], low[1:], span[1:], strict=True):
        keys *= s
        keys += c - lo
    return keys


def _columns_apart(low: list[int], high: list[int]) -> bool:
    """True when every value of column ``j`` lies below every value of column ``j + 1``."""
    return all(h < lo for h, lo in zip(high[:-1], low[1:], strict=True))


def _ids_in_duplicate_rows(a: np.ndarray, columns: tuple | None = None) -> int:
    """Rows of the 2-D array ``a`` that occur more than once (all copies counted)."""
    if len(a) == 0:
        return 0
    keys = _row_keys(a, columns)
    if keys is not None:  # one int64 sort instead of a K-column lexsort: about 10x faster
        s = np.sort(keys)
        same_as_next = s[1:] == s[:-1]  # (N-1,)
    else:
        s = a[np.lexsort(a.T[::-1])]
        same_as_next = np.all(s[1:] == s[:-1], axis=1)  # (N-1,)
    dup = np.zeros(len(s), dtype=bool)
    dup[1:] |= same_as_next
    dup[:-1] |= same_as_next
    return int(dup.sum())


def collision_report(scheme: Any, ids: Any, *, batch_size: int = 1 << 20) -> CollisionReport:
    """Count tuple, vector and row collisions of ``scheme`` over the distinct ``ids``.

    ``ids_sharing_vector`` compares the *multiset* of rows for sum / mean fusion (order is lost) and
    the ordered tuple for concat and product (Q-R), so it equals ``ids_sharing_tuple`` except for
    layouts in which blocks share a table. Indices are computed in batches without gradients.

    Args:
        scheme: any registry scheme (it needs ``indices``, ``num_rows`` and ``fusion``).
        ids: distinct ids (a tensor, array or list); duplicates raise ``ValueError``.
        batch_size: ids per call of ``scheme.indices`` (memory, not results).

    Example:
        >>> from bhlib import BinaryHashEmbedding
        >>> bh = BinaryHashEmbedding(16, 4, num_bits=4, block_bits=2, layout="shared")
        >>> r = collision_report(bh, range(16))
        >>> r.ids_sharing_tuple, r.ids_sharing_vector  # 1 and 4 read rows {1, 0} and {0, 1}
        (0, 12)
    """
    batch_size = check_int(batch_size, "batch_size", low=1)
    missing = [a for a in ("indices", "num_rows", "fusion") if not hasattr(scheme, a)]
    if missing:
        raise TypeError(f"scheme must be an embedding scheme (with indices, num_rows and fusion), "
                        f"got {type(scheme).__name__}")
    if isinstance(ids, range):
        ids = np.arange(ids.start, ids.stop, ids.step)
    elif isinstance(ids, Iterable) and not isinstance(ids, _ARRAYS):  # a set, a generator...
        ids = list(ids)
    arr = as_id_tensor(ids, "ids", low=None).cpu().numpy()  # the scheme checks the range
    if arr.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {arr.shape}")
    increasing = bool(np.all(arr[1:] > arr[:-1]))  # dense ids usually come sorted: no sort
    ordered = arr if increasing else np.sort(arr)
    repeats = 0 if increasing else int(np.count_nonzero(ordered[1:] == ordered[:-1]))
    if repeats:
        raise ValueError(f"ids must be distinct ({repeats} repeats); pass np.unique(ids)")
    with torch.no_grad():
        parts = [scheme.indices(torch.from_numpy(arr[i:i + batch_size])).cpu().numpy()
                 for i in range(0, len(arr), batch_size)]
    k = getattr(scheme, "num_lookups", 1)
    idx = np.concatenate(parts) if parts else np.zeros((0, k), dtype=np.int64)  # (N, K)
    columns = _columns(idx) if len(idx) else None
    tuples = _ids_in_duplicate_rows(idx, columns)
    if columns is None or _columns_apart(columns[1], columns[2]):
        # each lookup has its own rows (offset layout, Q-R, multi-hash)
        s, first = idx, None  # the multiset of rows is the tuple; no id reads a row twice
        vectors = tuples
    else:
        s = np.sort(idx, axis=1)  # (N, K): the multiset of rows of each id
        vectors = _ids_in_duplicate_rows(s) if scheme.fusion in ("sum", "mean") else tuples
        first = np.ones_like(s, dtype=bool)  # an id reading one row twice counts once
        first[:, 1:] = s[:, 1:] != s[:, :-1]
    # row sharing: distinct ids per row
    counts = np.bincount(s.ravel() if first is None else s[first],
                         minlength=int(scheme.num_rows))  # (R,)
    shared = counts[s] >= 2  # (N, K)
    ids_sharing = int((shared if first is None else shared & first).any(axis=1).sum())
    return CollisionReport(
        num_ids=len(arr), num_rows=int(scheme.num_rows), rows_used=int(np.count_nonzero(counts)),
        lookups_per_id=int(idx.shape[1]), ids_sharing_tuple=tuples, ids_sharing_vector=vectors,
        ids_sharing_a_row=ids_sharing, max_ids_per_row=int(counts.max()) if counts.size else 0,
    )


_COUNTS = ("num_rows", "num_params", "ids_sharing_tuple", "ids_sharing_vector",
           "ids_sharing_a_row", "max_ids_per_row")


def equal_memory_table(num_embeddings: int = 1_000_000, embedding_dim: int = 16,
                       target_ratios: Sequence[float] = (10, 100, 1000),
                       methods: Sequence[str] = LESSON_METHODS, *,
                       progress: bool = True) -> pd.DataFrame:
    """One row per method and target ratio: configuration, sizes, bytes and collision counts.

    Counts run over all ``V`` dense ids. ``ids_sharing_tuple``: ids whose whole index tuple is
    another id's (they can never be told apart); ``ids_sharing_vector``: ids whose fused vector
    equals another's by construction; ``ids_sharing_a_row``: ids that share at least one row (and
    its gradient) with another id. An unreachable ratio gets a ``note`` and no sizes.

    Example:
        >>> t = equal_memory_table(1000, 8, target_ratios=(10,), methods=("hash", "bh-succession"),
        ...                        progress=False)
        >>> print(t[["method", "achieved_ratio", "num_rows", "ids_sharing_tuple"]]
        ...       .to_string(index=False))
               method  achieved_ratio  num_rows  ids_sharing_tuple
                 hash            10.0       100               1000
        bh-succession            12.5        80                  0
    """
    methods = check_unique(check_choices(methods, "methods", METHODS), "methods")
    if isinstance(target_ratios, (str, bytes)) or not isinstance(target_ratios, Iterable):
        raise TypeError(f"target_ratios must be a list of numbers, got {target_ratios!r}")
    target_ratios = check_unique(target_ratios, "target_ratios")
    for i, r in enumerate(target_ratios):
        check_number(r, f"target_ratios[{i}]", low=0, low_open=True)
    check_int(embedding_dim, "embedding_dim", low=1)
    progress = check_bool(progress, "progress")
    ids = np.arange(check_int(num_embeddings, "num_embeddings", low=1), dtype=np.int64)
    rows = []
    jobs = [(m, r) for r in target_ratios for m in methods]
    for method, ratio in tqdm(jobs, desc="schemes", disable=not progress):
        name, kwargs = METHODS[method]
        row = {"method": method, "target_ratio": ratio}
        try:
            plan = plan_embedding(name, num_embeddings, embedding_dim, ratio=ratio, **kwargs)
        except BudgetError as err:
            rows.append({**row, "note": f"unreachable: {err}"})
            continue
        report = collision_report(plan.build_for_indices(), ids)
        rows.append({
            **row, "achieved_ratio": round(plan.achieved_ratio, 1),
            "config": format_hparams(plan.hparams), "num_rows": plan.num_rows,
            "num_params": plan.num_parameters, "param_MiB": plan.memory_bytes() / 2**20,
            "adam_MiB": plan.memory_bytes("adam") / 2**20,
            "ids_sharing_tuple": report.ids_sharing_tuple,
            "ids_sharing_vector": report.ids_sharing_vector,
            "ids_sharing_a_row": report.ids_sharing_a_row,
            "max_ids_per_row": report.max_ids_per_row, "note": "",
        })
    table = pd.DataFrame(rows)
    for col in _COUNTS:
        if col in table:
            table[col] = table[col].astype("Int64")
    return table


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Command line: print :func:`equal_memory_table` and write it to ``--out`` (CSV).

    Example:
        >>> t = main(["--vocab", "64", "--dim", "4", "--target-ratios", "4", "--methods", "hash",
        ...           "--out", "", "--quiet"])  # doctest: +ELLIPSIS
        <BLANKLINE>
        Every scheme at equal memory: V = 64 dense ids, D = 4, ...
        >>> t["num_rows"].tolist()
        [16]
    """
    ap = argparse.ArgumentParser(
        prog="python -m bhlib.collisions",
        description="Sizes and collisions of every method at equal memory.")
    ap.add_argument("--vocab", type=int, default=1_000_000, help="vocabulary size V")
    ap.add_argument("--dim", type=int, default=16, help="embedding dimension D")
    ap.add_argument("--target-ratios", type=float, nargs="+", default=[1, 10, 100, 1000],
                    help="target compression ratios (default 1 10 100 1000)")
    ap.add_argument("--methods", nargs="+", default=list(LESSON_METHODS),
                    choices=list(METHODS))
    ap.add_argument("--out", default="results/sizes.csv", help="CSV output ('' to skip)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:  # every value checked before any work: a usage error (exit 2), not a traceback
        check_int(args.vocab, "--vocab", low=1)
        check_int(args.dim, "--dim", low=1)
        for r in args.target_ratios:
            check_number(r, "--target-ratios", low=0, low_open=True)
        for option in ("target_ratios", "methods"):
            check_unique(getattr(args, option), "--" + option.replace("_", "-"))
        if args.out and Path(args.out).is_dir():
            raise ValueError(f"--out must name a CSV file, got {args.out!r}, a folder")
    except (TypeError, ValueError) as err:
        ap.error(str(err))
    table = equal_memory_table(args.vocab, args.dim, args.target_ratios, args.methods,
                               progress=not args.quiet)
    print(f"\nEvery scheme at equal memory: V = {args.vocab:,} dense ids, D = {args.dim}, "
          "float32; collisions counted over all V ids\n")
    with pd.option_context("display.width", 250, "display.max_columns", 30,
                           "display.max_colwidth", 60, "display.float_format", "{:,.2f}".format):
        shown = table.drop(columns=["note"]).dropna(subset=["num_rows"])
        print(shown.to_string(index=False))
    for _, r in table[table["note"].fillna("").str.startswith("unreachable")].iterrows():
        print(f"  {r['method']} at {r['target_ratio']:g}x: {r['note']}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
        print(f"\nwritten to {args.out}")
    return table


if __name__ == "__main__":
    main()

"""Shared helpers of the benchmarks: interleaved timing, machine facts, memory, tables.

Timings on a shared 2-core machine are noisy, so every quantity that is compared with another is
measured **in the same run, interleaved**: one repeat of each candidate, then the next repeat of
each, and the median of the repeats is reported (with the spread, max/min, to judge the noise).
"""
from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

__all__ = ["interleaved", "machine_info", "mem_available", "load_average", "format_table",
           "thread_counts"]


def _calibrate(fn: Callable[[], object], min_sample_s: float) -> int:
    """Calls of ``fn`` per timed sample so that a sample lasts about ``min_sample_s``."""
    start = time.perf_counter()
    fn()  # warm-up: allocator, caches, lazy initialization
    first = time.perf_counter() - start
    return max(1, min(1000, round(min_sample_s / max(first, 1e-7))))


def interleaved(fns: dict[str, Callable[[], object]], *, repeats: int = 5,
                min_sample_s: float = 0.02) -> dict[str, dict[str, float]]:
    """Time each callable, interleaving the repeats; seconds per call, median of the repeats.

    Args:
        fns: name -> zero-argument callable (one call = one unit of work).
        repeats: timed samples per callable.
        min_sample_s: a sample calls a fast callable several times to last at least this long.

    Returns:
        name -> ``{"seconds": median, "spread": max / min, "calls": calls per sample}``.

    Example:
        >>> r = interleaved({"noop": lambda: None}, repeats=3)
        >>> sorted(r["noop"])
        ['calls', 'seconds', 'spread']
    """
    calls = {name: _calibrate(fn, min_sample_s) for name, fn in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / calls[name])
    return {name: {"seconds": statistics.median(s), "spread": max(s) / max(min(s), 1e-12),
                   "calls": calls[name]} for name, s in samples.items()}


def thread_counts(requested: list[int] | None = None) -> list[int]:
    """Thread counts to measure: ``requested``, else 1 and every core (at most 2 values)."""
    cores = os.cpu_count() or 1
    return sorted(set(requested)) if requested else sorted({1, cores})


def mem_available() -> int:
    """Bytes the kernel reports as available (``MemAvailable``), or 0 if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def load_average() -> float:
    """1-minute load average (other engineers' jobs on a shared machine show up here)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, cwd=os.path.dirname(os.path.abspath(__file__)))
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_info() -> dict:
    """The facts a timing depends on: CPU, cores, memory, threads, versions, load."""
    mem_total = 0
    with contextlib.suppress(ValueError, OSError):
        mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gib": round(mem_total / 2**30, 1),
        "platform": platform.platform(), "python": platform.python_version(),
        "torch": torch.__version__, "numpy": np.__version__,
        "torch_threads_default": torch.get_num_threads(),
        "parallel_backend": torch.__config__.parallel_info().splitlines()[-1].strip(),
        "cuda": torch.cuda.is_available(),
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                            "OPENBLAS_CORETYPE", "THP_MEM_ALLOC_ENABLE")
                if k in os.environ},
        "load_average_1min": load_average(), "git_commit": _git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "argv": sys.argv[1:],
    }


def format_table(rows: list[dict], columns: list[tuple[str, str, str]], *,
                 markdown: bool = False) -> str:
    """A text (or markdown) table: ``columns`` are ``(key, header, format)``; missing: ``-``.

    Example:
        >>> print(format_table([{"a": 1.5, "b": "x"}], [("a", "A", ".1f"), ("b", "B", "")]))
          A  B
        1.5  x
        >>> print(format_table([{"a": 1.5}], [("a", "A", ".1f")], markdown=True))
        |   A |
        |---:|
        | 1.5 |
    """
    head = [h for _, h, _ in columns]
    body = [["-" if row.get(k) is None else format(row[k], fmt) for k, _, fmt in columns]
            for row in rows]
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(columns))]
    if markdown:
        lines = ["| " + " | ".join(c.rjust(w) for c, w in zip(head, widths, strict=True)) + " |",
                 "|" + "|".join("---:" for _ in columns) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True))
                     for r in [head] + body)

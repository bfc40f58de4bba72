"""Section 3: peak resident memory of a short training run, one child process per scheme.

Each scheme trains a few steps (the step of :mod:`train_step`) in a fresh Python process, which
reports its peak resident set size (``VmHWM``) and its resident size after importing torch and
bhlib, before building anything (the *baseline*). ``peak - baseline`` is what the scheme's
parameters, gradients, optimizer state and temporaries cost; the expected parameter + optimizer
state bytes (:meth:`bhlib.EmbeddingScheme.memory_bytes`) are printed beside it.

Run as a script, this file is the child: ``python bench/memory.py METHOD OPTIMIZER V D RATIO``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

__all__ = ["run_memory", "CHILDREN"]

# (method, optimizer) measured at V = 10**7: Full both ways, BH at 1000x
CHILDREN = (("full", "sparse_adam"), ("full", "adam"), ("bh-succession", "adam"))
_BYTES_PER_PARAM = {"adam": 4 * 5, "sparse_adam": 4 * 3}


def _status_bytes(key: str) -> int:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of this process, in bytes.

    ``VmHWM`` belongs to the address space that ``exec`` created, whereas ``ru_maxrss`` carries
    over the parent's resident size at ``fork`` time: only ``VmHWM`` measures the child alone.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def child(method: str, optimizer: str, vocab: int, dim: int, ratio: int, steps: int = 3) -> dict:
    """Train ``steps`` steps and report memory (runs inside the child process)."""
    import torch
    from train_step import _build, _stepper
    baseline = _status_bytes("VmRSS")
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, vocab, (4096,), generator=gen) for _ in range(4)]
    emb, achieved = _build(method, optimizer, vocab, dim, ratio)
    step = _stepper(emb, optimizer, batches, torch.randn(4096, dim, generator=gen))
    for _ in range(steps):
        step()
    peak = _status_bytes("VmHWM")
    return {"method": method, "optimizer": optimizer, "V": vocab, "ratio": achieved,
            "params": emb.num_parameters(), "expected_bytes": emb.memory_bytes(optimizer),
            "baseline_rss": baseline, "peak_rss": peak, "scheme_bytes": peak - baseline}


def run_memory(vocab: int, dim: int = 64, ratio: int = 1000, timeout_s: int = 300) -> dict:
    """One child per entry of :data:`CHILDREN`; skips a child the free memory cannot hold."""
    from common import mem_available
    rows, skipped = [], []
    for method, optimizer in CHILDREN:
        need = vocab * dim * _BYTES_PER_PARAM[optimizer] if method == "full" else 0
        if need > 0.8 * mem_available():
            skipped.append({"method": method, "optimizer": optimizer,
                            "reason": f"needs ~{need / 2**30:.1f} GiB, "
                                      f"{mem_available() / 2**30:.1f} GiB available"})
            continue
        cmd = [sys.executable, os.path.abspath(__file__), method, optimizer, str(vocab),
               str(dim), str(ratio)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                              cwd=os.path.dirname(os.path.abspath(__file__)))
        if proc.returncode != 0:
            skipped.append({"method": method, "optimizer": optimizer,
                            "reason": f"child failed ({proc.returncode}): {proc.stderr[-300:]}"})
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"V": vocab, "dim": dim, "rows": rows, "skipped": skipped,
            "full_over_bh_peak": _ratio(rows, "peak_rss"),
            "full_over_bh_scheme_bytes": _ratio(rows, "scheme_bytes"),
            "full_over_bh_expected": _ratio(rows, "expected_bytes")}


def _ratio(rows: list[dict], key: str) -> float | None:
    """Smallest Full value (its leaner optimizer) over the BH value."""
    full = [r[key] for r in rows if r["method"] == "full"]
    bh = [r[key] for r in rows if r["method"].startswith("bh")]
    return min(full) / max(bh[0], 1) if full and bh else None


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # bhlib
    m, o, v, d, r = sys.argv[1:6]
    print(json.dumps(child(m, o, int(v), int(d), int(r))))

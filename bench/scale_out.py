"""Section 7: scaling out: sweep throughput with 1 and 2 workers, DDP step time with 1 and 2 ranks.

* **Sweep throughput.** One small sweep on synthetic data (:func:`bhlib.experiment.run_experiment`)
  run with ``workers=1`` (one run after another in this process) and ``workers=2`` (loky
  processes), each into a fresh results folder; the 2-worker time includes starting the workers
  and loading the data in each, as a user pays it. Runs per minute and the speed-up.
* **DDP step.** The training step of :func:`bhlib.train.fit` under
  ``DistributedDataParallel`` (:class:`bhlib.distributed.DataParallel` inside
  :class:`bhlib.optim.TrainOptimizer`, each rank its share of a global batch from
  :class:`bhlib.distributed.ShardBatchSampler`), launched by torchrun on 127.0.0.1 with 1 and 2
  ranks of one thread each, the same global batch; milliseconds per global step (rank 0's
  median over the timed steps) for BH-Succession and the full table.

Both ranks, or both workers, share this machine's cores and memory bandwidth with each other and
with the driver; the cores are in ``bench.json``'s machine record and in the rows.

Run as ``python bench/scale_out.py --ddp-worker OUT METHOD ROWS BATCH STEPS`` it is one rank of
the DDP measurement (torchrun starts it).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["run_scale_out", "PRESETS"]

# preset -> (sweep rows, seeds, methods, DDP dataset rows, global batch, timed steps)
PRESETS = {
    "full": (30_000, (0, 1), ("hash", "qr", "bh-succession", "bh-skip"), 100_000, 4096, 30),
    "quick": (15_000, (0,), ("hash", "qr", "bh-succession", "bh-skip"), 50_000, 4096, 15),
    "smoke": (2_000, (0,), ("hash",), 10_000, 1024, 3),
}
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
TIMEOUT = 300


def _sweep_seconds(rows: int, seeds: tuple, methods: tuple, workers: int) -> tuple[float, int]:
    from bhlib.experiment import DatasetSpec, quick_config, run_experiment
    spec = DatasetSpec("bench", "synthetic", ratios=(10, 100), model={"compress_threshold": 1000},
                       options={"num_rows": rows, "vocab_sizes": (100_000, 10_000, 10)},
                       train={"epochs": 2, "batch_size": 1024, "lr": 1e-2})
    with tempfile.TemporaryDirectory() as out:
        cfg = quick_config(results_dir=out, datasets=[spec], methods=methods, seeds=seeds,
                           progress=False, figures=False, workers=workers)
        t0 = time.perf_counter()
        summary = run_experiment(cfg)
        seconds = time.perf_counter() - t0
    return seconds, int(summary["num_seeds"].sum())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_ms(ranks: int, method: str, rows: int, batch: int, steps: int) -> dict:
    """torchrun ``ranks`` processes of :func:`_ddp_worker`; rank 0's timings."""
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "ddp.json"
        argv = [torchrun, "--nnodes=1", f"--nproc_per_node={ranks}", "--rdzv-backend=c10d",
                f"--rdzv-endpoint=127.0.0.1:{_free_port()}", "--max-restarts=0", __file__,
                "--ddp-worker", str(out), method, str(rows), str(batch), str(steps)]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(f"torchrun with {ranks} ranks failed: {err[-2000:]}")
        return json.loads(out.read_text())


def _ddp_worker(out: str, method: str, rows: int, batch: int, steps: int) -> None:
    """One rank: train ``steps`` timed steps (after 3 warm-up steps) as fit's loop does."""
    from bhlib.data import make_synthetic
    from bhlib.distributed import DataParallel, ShardBatchSampler, init_from_env, world
    from bhlib.evaluation import model_inputs
    from bhlib.model import CTRModel, ModelConfig
    from bhlib.optim import TrainOptimizer
    init_from_env()
    torch.set_num_threads(1)
    rank, size = world()
    ds = make_synthetic(num_rows=rows, vocab_sizes=(10**6, 1000, 10), seed=0)
    model = CTRModel.for_dataset(ds, ModelConfig(method=method, ratio=None if method == "full"
                                                 else 100, compress_threshold=1000))
    train = ds.splits["train"]
    sampler = ShardBatchSampler(train, batch, seed=0, num_replicas=size, rank=rank)
    times = []
    with TrainOptimizer(model, lr=1e-3, batch_size=batch) as opt:
        ddp = DataParallel(model, [n for n, u in opt.table_updates.items() if u == "sparse"])
        batches = [b for b in sampler if len(b)][:steps + 3]
        sizes = sampler.global_sizes()
        for i, mine in enumerate(batches):
            t0 = time.perf_counter()
            y = torch.from_numpy(ds.y[mine])
            loss = F.binary_cross_entropy_with_logits(
                ddp.module(**model_inputs(ds, mine)), y, reduction="sum") * (size / sizes[i])
            opt.zero_grad()
            loss.backward()
            ddp.sync_sparse()
            opt.step()
            if i >= 3:
                times.append(time.perf_counter() - t0)
    if rank == 0:
        Path(out).write_text(json.dumps({"ms": 1e3 * float(np.median(times)), "steps": len(times),
                                         "table_updates": opt.table_updates}))
    torch.distributed.destroy_process_group()


def run_scale_out(preset: str) -> dict:
    """Both measurements, 1 and 2 side by side (sweeps one after the other, DDP interleaved)."""
    rows, seeds, methods, ddp_rows, batch, steps = PRESETS[preset]
    sweep = []
    for workers in (1, 2):
        seconds, runs = _sweep_seconds(rows, seeds, methods, workers)
        sweep.append({"workers": workers, "seconds": seconds, "runs": runs,
                      "runs_per_minute": 60 * runs / seconds})
    ddp = []
    for method in ("bh-succession", "full"):
        for ranks in (1, 2):
            r = _ddp_ms(ranks, method, ddp_rows, batch, steps)
            ddp.append({"method": method, "ranks": ranks, "ms_per_step": r["ms"],
                        "steps": r["steps"], "global_batch": batch})
    speed = {m: next(r["ms_per_step"] for r in ddp if r["method"] == m and r["ranks"] == 1)
             / next(r["ms_per_step"] for r in ddp if r["method"] == m and r["ranks"] == 2)
             for m in ("bh-succession", "full")}
    return {"cores": CORES, "cpu_count": os.cpu_count(), "sweep": sweep, "ddp": ddp,
            "sweep_speedup_2_workers": sweep[0]["seconds"] / sweep[1]["seconds"],
            "ddp_step_speedup_2_ranks": speed}


if __name__ == "__main__" and sys.argv[1:2] == ["--ddp-worker"]:
    out_, method_, rows_, batch_, steps_ = sys.argv[2:7]
    _ddp_worker(out_, method_, int(rows_), int(batch_), int(steps_))

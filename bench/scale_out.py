"""Section 7: scaling out: sweep throughput with 1 and 2 workers, DDP step time with 1 and 2 ranks.

* **Sweep throughput.** One small sweep on synthetic data, :func:`bhlib.experiment.run_experiment`
  of ``quick_config(datasets=[a synthetic DatasetSpec], ..., workers=W)``, with ``W = 1`` (the
  runs one after another in the driver), ``W = 2`` loky processes and, when the ``distributed``
  extra is installed and the preset asks, a Dask ``LocalCluster`` of 2 one-thread workers. Each
  repeat is a fresh Python process (started, as every child here, in its own session with a
  timeout, and killed with its whole process group on timeout, error or exit) that runs every
  variant in turn, each into a fresh results folder and with workers of its own; a variant's
  wall time is that of ``run_experiment`` alone (the child's own imports are not in it). So the
  2-worker times **include** starting the workers (each imports torch and bhlib) and loading
  the data in each, as a user of ``make run`` pays them: ``overhead_s`` is the wall time minus
  the runs' training seconds over the workers (start-up, data, evaluation, the uneven tail).
  The order of the variants flips on every other repeat (drift hits them alike); medians.
* **DDP step.** The training step of :func:`bhlib.train.fit` under ``DistributedDataParallel``
  through bhlib's own path: :class:`bhlib.distributed.DataParallel` inside
  :class:`bhlib.optim.TrainOptimizer`, each rank its share of the global batch from
  :class:`bhlib.distributed.ShardBatchSampler`, the loss the share's sum times
  ``world / global batch rows``, backward, :meth:`~bhlib.distributed.DataParallel.sync_sparse`,
  ``opt.step()``. One torchrun (``--nnodes=1 --rdzv-backend=c10d``, 127.0.0.1, a free port) per
  rank count, ``OMP_NUM_THREADS=1``; each launch builds BH-Succession and the full table and
  times them in alternating blocks after warm-up steps (the same global batches for 1 and 2
  ranks); launches alternate 1, 2, 1, 2 ... Rank 0 reports milliseconds per global step (the
  median over the timed steps; with 2 ranks it waits for the other in every all-reduce), its
  phases (forward + backward, which holds DDP's dense all-reduce; ``sync_sparse``; the
  optimizer step), and an all-reduce probe:
  one ``all_reduce`` of a buffer as large as DDP's dense gradients plus the measured
  ``sync_sparse``; that over the step is ``allreduce_share``, an upper bound on the exposed
  communication (DDP overlaps its bucket with the backward, and ``sync_sparse`` on rank 0 also
  waits for the slower rank).

Both workers, or both ranks, share this machine's cores and memory bandwidth with each other, with
the driver and with whatever else runs; the cores (``len(os.sched_getaffinity(0))`` and
``os.cpu_count()``) are stored beside the rows.

Child modes (started by the functions here): ``python bench/scale_out.py --sweep-child OUT JSON``
and ``torchrun ... bench/scale_out.py --ddp-worker OUT JSON``.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bhlib from a plain checkout too (children included)

__all__ = ["run_scale_out", "cores"]

DDP_METHODS = ("bh-succession", "full")
DDP_VOCABS = (10**6, 1000, 10)  # the 10^6 field is compressed (BH) or a 10^6-row table (full)


def cores() -> dict:
    """The cores this process may run on and the machine's count."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": usable, "cpu_count": os.cpu_count()}


def _run_child(argv: list[str], *, timeout_s: float, env: dict | None = None) -> str:
    """Run ``argv`` in its own session; kill its whole process group on timeout, error or exit
    (stray workers included). Returns stdout; raises RuntimeError with the stderr tail."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, text=True,
                                start_new_session=True, cwd=ROOT, env=env)
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            rc = None
        finally:  # also on KeyboardInterrupt
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # its group: the session it leads
            proc.wait()
        out.seek(0)
        err.seek(0)
        if rc != 0:
            what = f"timed out after {timeout_s:.0f} s (killed)" if rc is None else f"exited {rc}"
            raise RuntimeError(f"{' '.join(argv[:3])} ... {what}: {err.read()[-2000:]}")
        return out.read()


# ---------------------------------------------------------------- sweep: 1 and 2 workers

def _sweep_child(out: str, params: dict) -> None:
    """One repeat of the sweep measurements, in a fresh process: for each ``(backend, workers)``
    of ``params["variants"]`` in turn, run_experiment's wall time and its records' training time
    (each variant starts its own workers: loky's, or a LocalCluster's)."""
    from bhlib.experiment import DatasetSpec, quick_config, run_experiment, sweep_records
    spec = DatasetSpec("bench-scale", "synthetic", ratios=tuple(params["ratios"]),
                       options={"num_rows": params["rows"],
                                "vocab_sizes": tuple(params["vocabs"])},
                       model={"compress_threshold": 1000},
                       train={"epochs": params["epochs"], "batch_size": 1024, "lr": 1e-2})
    got = []
    for backend, workers in params["variants"]:
        with tempfile.TemporaryDirectory(prefix="bhlib-bench-scale-") as results:
            cfg = quick_config(results_dir=results, datasets=[spec],
                               methods=tuple(params["methods"]), seeds=tuple(params["seeds"]),
                               progress=False, figures=False, workers=workers, backend=backend)
            start = time.perf_counter()
            try:
                run_experiment(cfg)
            except Exception as err:  # reported: the parent decides whether it is fatal
                got.append({"backend": backend, "workers": workers,
                            "error": f"{type(err).__name__}: {err}"[:500]})
                continue
            seconds = time.perf_counter() - start
            records = sweep_records(cfg)
        got.append({"backend": backend, "workers": workers, "seconds": seconds,
                    "runs": len(records), "runs_ok": sum(r["status"] == "ok" for r in records),
                    "train_s_sum": sum(r.get("train_seconds", 0.0) for r in records)})
    Path(out).write_text(json.dumps(got))


def _dask_available() -> str | None:
    """None when backend 'dask' can run, else why not."""
    try:
        import distributed  # noqa: F401
    except ImportError as err:
        return f"backend 'dask' needs the distributed extra ({err})"
    return None


def run_sweeps(*, rows: int, vocabs: tuple, methods: tuple, ratios: tuple, seeds: tuple,
               epochs: int, repeats: int, dask: bool, timeout_s: float = 400) -> dict:
    """The sweep with 1 worker, 2 loky workers (and 2 Dask workers): one fresh process per
    repeat runs every variant, in the opposite order on odd repeats (drift hits all alike);
    medians over the repeats."""
    variants = [("loky", 1), ("loky", 2)]
    skipped = {}
    if dask:
        reason = _dask_available()
        if reason is None:
            variants.append(("dask", 2))
        else:
            skipped["dask"] = reason
    base = {"rows": rows, "vocabs": list(vocabs), "methods": list(methods),
            "ratios": list(ratios), "seeds": list(seeds), "epochs": epochs}
    samples: dict = {v: [] for v in variants}
    for rep in range(repeats):
        order = variants if rep % 2 == 0 else variants[::-1]
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "sweep.json"
            _run_child([sys.executable, __file__, "--sweep-child", str(out),
                        json.dumps({**base, "variants": order})], timeout_s=timeout_s)
            for g in json.loads(out.read_text()):
                if "error" not in g:
                    samples[(g["backend"], g["workers"])].append(g)
                elif g["backend"] == "dask":  # the optional variant: noted, not fatal
                    skipped["dask"] = g["error"]
                else:
                    raise RuntimeError(f"sweep with {g['workers']} {g['backend']} worker(s) "
                                       f"failed: {g['error']}")
    out_rows = []
    for (backend, workers), got in samples.items():
        if not got:
            continue
        secs = [g["seconds"] for g in got]
        seconds = statistics.median(secs)
        runs = got[0]["runs"]
        out_rows.append({
            "backend": backend, "workers": workers, "seconds": seconds, "runs": runs,
            "runs_ok": got[0]["runs_ok"], "runs_per_minute": 60 * runs / seconds,
            "train_s_sum": statistics.median(g["train_s_sum"] for g in got),
            "overhead_s": statistics.median(g["seconds"] - g["train_s_sum"] / workers
                                            for g in got),
            "spread": max(secs) / min(secs), "repeats": len(got), "samples_s": secs})
    one = out_rows[0]["seconds"]
    for r in out_rows:
        r["speedup"] = one / r["seconds"]
    return {"rows": out_rows, "skipped": skipped, "dataset_rows": rows, "vocabs": list(vocabs),
            "methods": list(methods), "ratios": list(ratios), "seeds": list(seeds),
            "epochs": epochs, "startup_included": True}


# ---------------------------------------------------------------- DDP: 1 and 2 ranks

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(out: str, params: dict) -> None:
    """One rank (under torchrun): both models' steps as :func:`bhlib.train.fit`'s loop does."""
    import numpy as np
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F

    from bhlib.data import make_synthetic
    from bhlib.distributed import DataParallel, ShardBatchSampler, init_from_env, world
    from bhlib.evaluation import model_inputs
    from bhlib.model import CTRModel, ModelConfig
    from bhlib.optim import TrainOptimizer

    torch.set_num_threads(1)
    init_from_env()
    rank, size = world()
    batch, warmup, steps, rounds = (params[k] for k in ("batch", "warmup", "steps", "rounds"))
    ds = make_synthetic(num_rows=params["rows"], vocab_sizes=tuple(params["vocabs"]), seed=0)
    sampler = ShardBatchSampler(ds.splits["train"], batch, seed=0, num_replicas=size, rank=rank)
    full_batches = {i for i, n in enumerate(sampler.global_sizes()) if n == batch}
    shares, epoch = [], 0  # this rank's share of every full global batch, epochs cycled
    while len(shares) < warmup + steps * rounds:
        sampler.set_epoch(epoch)
        shares += [b for i, b in enumerate(sampler) if i in full_batches]
        epoch += 1
    with contextlib.ExitStack() as stack:
        runs = {}
        for method in params["methods"]:
            model = CTRModel.for_dataset(ds, ModelConfig(
                method=method, ratio=None if method == "full" else params["ratio"],
                compress_threshold=1000, seed=0))
            opt = stack.enter_context(TrainOptimizer(model, lr=1e-3, batch_size=batch))
            ddp = DataParallel(model, [n for n, u in opt.table_updates.items() if u == "sparse"])
            ignored = ddp.module.parameters_to_ignore
            dense = sum(p.numel() for n, p in model.named_parameters()
                        if p.requires_grad and n not in ignored)
            runs[method] = {"model": model, "opt": opt, "ddp": ddp, "dense_numel": dense,
                            "times": [], "phases": [], "blocks": []}

        def step(run: dict, mine: np.ndarray) -> tuple[float, float, float, float]:
            t0 = time.perf_counter()
            y = torch.from_numpy(ds.y[mine])
            logits = run["ddp"].module(**model_inputs(ds, mine))
            loss = F.binary_cross_entropy_with_logits(logits, y, reduction="sum") * (size / batch)
            run["opt"].zero_grad()
            loss.backward()
            t1 = time.perf_counter()
            run["ddp"].sync_sparse()
            t2 = time.perf_counter()
            run["opt"].step()
            t3 = time.perf_counter()
            return t3 - t0, t1 - t0, t2 - t1, t3 - t2

        for run in runs.values():  # warm-up: allocator, DDP's buckets, gloo's connections
            for mine in shares[:warmup]:
                step(run, mine)
        for r in range(rounds):  # blocks alternate between the models
            for run in runs.values():
                dist.barrier()
                block = []
                for mine in shares[warmup + r * steps:warmup + (r + 1) * steps]:
                    t, fb, sync, upd = step(run, mine)
                    block.append(t)
                    run["phases"].append((fb, sync, upd))
                run["times"] += block
                run["blocks"].append(statistics.median(block))
        result = {}
        for method, run in runs.items():
            buf = torch.zeros(run["dense_numel"])
            probe = []
            for _ in range(params["probe_repeats"]):
                dist.barrier()
                t0 = time.perf_counter()
                dist.all_reduce(buf)
                probe.append(time.perf_counter() - t0)
            ph = np.median(np.array(run["phases"]), axis=0)
            ms = 1e3 * statistics.median(run["times"])
            ar = 1e3 * (statistics.median(probe) + ph[1])
            result[method] = {
                "ms_per_step": ms, "forward_backward_ms": 1e3 * ph[0],
                "sync_sparse_ms": 1e3 * ph[1], "optimizer_ms": 1e3 * ph[2],
                "dense_allreduce_ms": 1e3 * statistics.median(probe),
                "allreduce_ms": ar, "allreduce_share": ar / ms, "steps": len(run["times"]),
                "dense_grad_values": run["dense_numel"],
                "table_updates": dict(run["opt"].table_updates),
                "block_ms": [1e3 * b for b in run["blocks"]]}
    if rank == 0:
        Path(out).write_text(json.dumps({"world_size": size, "methods": result}))
    dist.destroy_process_group()


def _ddp_once(ranks: int, params: dict, timeout_s: float) -> dict:
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "ddp.json"
        argv = [torchrun, "--nnodes=1", f"--nproc_per_node={ranks}", "--rdzv-backend=c10d",
                f"--rdzv-endpoint=127.0.0.1:{_free_port()}", "--max-restarts=0",
                "--monitor-interval=0.5", __file__, "--ddp-worker", str(out), json.dumps(params)]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
        _run_child(argv, timeout_s=timeout_s, env=env)
        return json.loads(out.read_text())


def run_ddp(*, rows: int, batch: int, warmup: int, steps: int, rounds: int, repeats: int,
            vocabs: tuple = DDP_VOCABS, ratio: int = 100, timeout_s: float = 300) -> dict:
    """ms per global step with 1 and 2 ranks, both models; launches interleaved, medians
    (``spread``: max / min of the medians of the timed blocks of all launches)."""
    params = {"rows": rows, "vocabs": list(vocabs), "methods": list(DDP_METHODS),
              "batch": batch, "warmup": warmup, "steps": steps, "rounds": rounds,
              "ratio": ratio, "probe_repeats": 20}
    samples: dict = {n: [] for n in (1, 2)}
    launch_s: dict = {n: [] for n in (1, 2)}
    for _ in range(repeats):
        for n in (1, 2):
            t0 = time.perf_counter()
            samples[n].append(_ddp_once(n, params, timeout_s)["methods"])
            launch_s[n].append(time.perf_counter() - t0)
    out_rows = []
    for method in DDP_METHODS:
        for n in (1, 2):
            got = [s[method] for s in samples[n]]
            row = {"method": method, "ranks": n, "global_batch": batch,
                   "rows_per_rank": batch // n, "launches": len(got),
                   "launch_s": statistics.median(launch_s[n]),
                   "table_updates": got[0]["table_updates"]}
            for k in ("ms_per_step", "forward_backward_ms", "sync_sparse_ms", "optimizer_ms",
                      "dense_allreduce_ms", "allreduce_ms", "allreduce_share"):
                row[k] = statistics.median(g[k] for g in got)
            row["steps"] = sum(g["steps"] for g in got)
            blocks = [b for g in got for b in g["block_ms"]]  # medians of the timed blocks
            row["spread"] = max(blocks) / min(blocks)
            out_rows.append(row)
    for r in out_rows:
        one = next(o for o in out_rows if o["method"] == r["method"] and o["ranks"] == 1)
        r["speedup"] = one["ms_per_step"] / r["ms_per_step"]
    return {"rows": out_rows, "dataset_rows": rows, "vocabs": list(vocabs), "ratio": ratio,
            "global_batch": batch, "warmup_steps": warmup, "timed_steps_per_launch":
            steps * rounds, "threads_per_rank": 1, "backend": "gloo", "host": "127.0.0.1"}


def run_scale_out(*, sweep: dict, ddp: dict) -> dict:
    """Section 7: :func:`run_sweeps` (keyword arguments ``sweep``) and :func:`run_ddp` (``ddp``)
    on this machine, with its cores and the wall time of each part."""
    t0 = time.perf_counter()
    sw = run_sweeps(**sweep)
    t1 = time.perf_counter()
    dd = run_ddp(**ddp)
    t2 = time.perf_counter()
    two = next(r for r in sw["rows"] if r["backend"] == "loky" and r["workers"] == 2)
    out = {**cores(), "sweep": sw, "ddp": dd, "sweep_s": t1 - t0, "ddp_s": t2 - t1,
           "sweep_speedup_2_workers": two["speedup"],
           "ddp_step_speedup_2_ranks": {r["method"]: r["speedup"] for r in dd["rows"]
                                        if r["ranks"] == 2}}
    dask = [r for r in sw["rows"] if r["backend"] == "dask"]
    if dask:
        out["sweep_speedup_2_dask_workers"] = dask[0]["speedup"]
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sweep-child"]:
        _sweep_child(sys.argv[2], json.loads(sys.argv[3]))
    elif sys.argv[1:2] == ["--ddp-worker"]:
        _ddp_worker(sys.argv[2], json.loads(sys.argv[3]))
    else:
        sys.exit(__doc__)

"""Data-parallel training: the sampler's batches, torchrun runs against one process, the guard.

The torchrun tests start real processes (gloo on CPU, rendezvous on 127.0.0.1 only), each in
its own session with a timeout; the session is killed whatever happens, so nothing outlives a
test.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bhlib.data import make_synthetic
from bhlib.distributed import ShardBatchSampler
from bhlib.model import CTRModel
from bhlib.train import TrainConfig, fit

PY = sys.executable
TORCHRUN = str(Path(PY).with_name("torchrun"))
TIMEOUT = 240  # seconds for one launch; a quick run takes about 10 s
RUN = ["--quick", "--dataset", "synthetic-quick", "--quiet"]
# One process and two agree within these (float32 rounding, bhlib.distributed's docstring):
# measured differences were 3e-6 (AUC) and 1e-8 (logloss).
AUC_TOL, LOGLOSS_TOL = 1e-4, 1e-6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(argvs: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess]:
    """Start every command at once (own sessions), wait for all, kill all on timeout."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen(a, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
             for a in argvs]
    out = []
    try:
        for p, a in zip(procs, argvs, strict=True):
            stdout, stderr = p.communicate(timeout=TIMEOUT)
            out.append(subprocess.CompletedProcess(a, p.returncode, stdout, stderr))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return out


def torchrun(args: list[str], *, nproc: int = 2, nnodes: int = 1) -> list[str]:
    return [TORCHRUN, f"--nnodes={nnodes}", f"--nproc_per_node={nproc}", "--rdzv-backend=c10d",
            "--rdzv-endpoint=127.0.0.1:PORT", "--max-restarts=0", "-m",
            "bhlib.experiment.single_run", *args]


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "runs.jsonl").read_text().splitlines()]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 200), batch=st.integers(1, 40), size=st.integers(1, 5),
       seed=st.integers(0, 3), epoch=st.integers(0, 3))
def test_the_shards_of_a_global_batch_are_the_one_process_batch(n, batch, size, seed, epoch):
    rows = np.arange(n) * 3 + 1
    one = ShardBatchSampler(rows, batch, seed=seed, num_replicas=1, rank=0)
    parts = [ShardBatchSampler(rows, batch, seed=seed, num_replicas=size, rank=r)
             for r in range(size)]
    for s in (one, *parts):
        s.set_epoch(epoch)
    expected = list(one)
    shards = [list(p) for p in parts]
    assert all(len(s) == len(expected) == len(one) for s in shards)  # no rank waits on another
    for k, global_batch in enumerate(expected):
        together = np.concatenate([s[k] for s in shards])
        assert sorted(together.tolist()) == sorted(global_batch.tolist())
        assert [len(s[k]) for s in shards] == [len(global_batch[r::size]) for r in range(size)]
    assert one.global_sizes() == [len(b) for b in expected]


def test_the_order_is_fits_permutation_stream_and_set_epoch_goes_back():
    rows = np.arange(50)
    s = ShardBatchSampler(rows, 50, seed=7, num_replicas=1, rank=0)
    rng = np.random.default_rng(7)
    stream = [rng.permutation(rows) for _ in range(3)]
    for epoch in (0, 1, 2, 0, 2):
        s.set_epoch(epoch)
        np.testing.assert_array_equal(next(iter(s)), stream[epoch])


def test_distributed_fit_needs_a_process_group():
    ds = make_synthetic(num_rows=200, vocab_sizes=(20, 3))
    with pytest.raises(ValueError, match="initialized torch.distributed process group"):
        fit(CTRModel.for_dataset(ds), ds, TrainConfig(epochs=1, progress=False), distributed=True)


@pytest.mark.parametrize("method", [["bh-succession", "--ratio", "10"], ["full"]],
                         ids=["bh-succession", "full (sparse table)"])
def test_two_ranks_agree_with_each_other_and_with_one_process(tmp_path, method):
    one, two = tmp_path / "one", tmp_path / "two"
    args = [*RUN, "--method", *method]
    cmd = [a.replace("PORT", str(free_port())) for a in torchrun([*args, "--results", str(two)])]
    r1, r2 = launch([[PY, "-m", "bhlib.experiment.single_run", *args, "--results", str(one)],
                     cmd], tmp_path)
    assert r1.returncode == 0, r1.stderr[-3000:]
    assert r2.returncode == 0, r2.stderr[-3000:]
    (a,), (b,) = records(one), records(two)
    assert a["key"] == b["key"] and set(a) == set(b)  # one run, the sweep's record format
    assert (a["world_size"], b["world_size"]) == (1, 2)
    assert b["rank_max_difference"] == 0.0  # both ranks end with identical parameters
    assert b["steps"] == a["steps"] and b["best_epoch"] == a["best_epoch"]
    assert abs(a["test_auc"] - b["test_auc"]) <= AUC_TOL
    assert abs(a["test_logloss"] - b["test_logloss"]) <= LOGLOSS_TOL
    for x, y in zip(a["curve"], b["curve"], strict=True):
        assert abs(x["valid_auc"] - y["valid_auc"]) <= AUC_TOL
        assert abs(x["train_loss"] - y["train_loss"]) <= LOGLOSS_TOL
    if method == ["full"]:
        assert "sparse" in b["table_updates"].values()  # the hand-made sparse all-reduce ran


def test_two_nodes_join_through_the_c10d_rendezvous(tmp_path):
    port = str(free_port())
    cmd = [a.replace("PORT", port) for a in torchrun(
        [*RUN, "--method", "hash", "--ratio", "10", "--epochs", "1", "--results",
         str(tmp_path / "r")], nproc=1, nnodes=2)]
    results = launch([cmd, cmd], tmp_path)  # two "machines" of one process each
    for r in results:
        assert r.returncode == 0, r.stderr[-3000:]
    (rec,) = records(tmp_path / "r")  # rank 0 alone wrote
    assert rec["world_size"] == 2 and rec["rank_max_difference"] == 0.0


def test_a_run_that_would_not_fit_stops_at_once_with_the_reason(tmp_path):
    (r,) = launch([[PY, "-m", "bhlib.experiment.single_run", *RUN, "--method", "full",
                    "--max-rank-bytes", "1e8", "--results", str(tmp_path / "r")]], tmp_path)
    assert r.returncode == 4, r.stderr
    # the 10^6-id table: 16 x 10^6 float32 parameters, times 3 with Adam's two moments
    assert "needs 192 MB per process (parameters 64.1 MB + optimizer state 128 MB" in r.stderr
    assert "more than --max-rank-bytes 100 MB allows" in r.stderr and "'f0', 192 MB" in r.stderr
    assert "model-parallel sharding" in r.stderr and "TorchRec" in r.stderr
    assert not (tmp_path / "r" / "runs.jsonl").exists()
    (ok,) = launch([[PY, "-m", "bhlib.experiment.single_run", *RUN, "--method", "bh-skip",
                     "--ratio", "10", "--epochs", "1", "--max-rank-bytes", "1e8", "--results",
                     str(tmp_path / "r")]], tmp_path)
    assert ok.returncode == 0, ok.stderr[-3000:]  # a compressed table fits the same limit


def test_a_run_already_recorded_is_not_trained_again(tmp_path):
    argv = [PY, "-m", "bhlib.experiment.single_run", *RUN, "--method", "hash", "--ratio", "10",
            "--epochs", "1", "--results", str(tmp_path / "r")]
    first, again = launch([argv], tmp_path)[0], launch([argv], tmp_path)[0]
    assert first.returncode == again.returncode == 0, again.stderr[-3000:]
    assert "already recorded" in again.stdout and len(records(tmp_path / "r")) == 1


@pytest.mark.parametrize("argv, message", [
    (["--method", "hash"], "--ratio is required for --method hash"),
    (["--method", "full", "--ratio", "10"], "the baseline 'full' runs without a budget"),
    (["--method", "hash", "--ratio", "10", "--max-rank-bytes", "0"], "--max-rank-bytes"),
    (["--method", "hash", "--ratio", "-1"], "--ratio"),
])
def test_bad_options_are_usage_errors(tmp_path, argv, message):
    (r,) = launch([[PY, "-m", "bhlib.experiment.single_run", *RUN, *argv, "--results",
                    str(tmp_path / "r")]], tmp_path)
    assert r.returncode == 2 and message in r.stderr, r.stderr

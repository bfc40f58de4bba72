"""Data-parallel training with ``torch.distributed``: the batches of each process, the gradient
average and exact metrics over the whole evaluation set.

:func:`bhlib.train.fit` with ``distributed=True`` trains one model on ``N`` processes (started by
``torchrun``; ``python -m bhlib.experiment.single_run``) with
``torch.nn.parallel.DistributedDataParallel`` (DDP). Every process holds the whole model: the
compressed tables of Binary Code based Hash Embedding (Yan et al., CIKM 2021) are small enough
to replicate (:mod:`bhlib.replication` counts the bytes and refuses what would not fit).

**The batches** (:class:`ShardBatchSampler`). Each epoch has one global order of the training
rows, the order one process uses (``numpy``'s generator seeded by ``TrainConfig.seed``, one
permutation per epoch). It is cut into global batches of ``batch_size`` rows, and process ``r``
of ``N`` takes rows ``r, r + N, ...`` of each, so the ``N`` processes together see exactly the
one-process batches. The loss of process ``r`` is the *sum* of its rows' losses times
``N / rows in the global batch``; DDP averages gradients over the processes, so every step
follows the gradient of the mean loss over the global batch, as one process does, even when the
last batch does not divide evenly (a process may then get no row).

**The gradients.** DDP all-reduces the dense gradients (the MLP, and the small tables that
:mod:`bhlib.optim` updates with dense Adam). DDP recognises sparse gradients only from
``nn.Embedding`` / ``nn.EmbeddingBag``, not from :class:`bhlib.EmbeddingScheme`, so the tables
that stay sparse (SparseAdam) are left out of DDP (``parameters_to_ignore``) and their sparse
COO gradients are all-reduced (gloo supports it), then divided by ``N``, by
:meth:`DataParallel.sync_sparse` after each backward: the same arithmetic DDP applies to an
``nn.Embedding``'s sparse gradient. NCCL has no sparse all-reduce: on CUDA, build the model with
``sparse=False`` (every table then travels densely, each step costing a table's size in traffic).

**The metrics** (:func:`predict_sharded`): process ``r`` scores rows ``r, r + N, ...`` of the
validation or test set; the logits are gathered (``all_gather``) back into row order on every
process, and the AUC is computed once over the whole set, so early stopping takes the same
decision everywhere.

**What is bitwise and what is not.** The row order, the global batches and the initial
parameters (one seed, broadcast by DDP) are identical to one process's. The sums are not done
in the same order: each process sums its own rows, the all-reduce adds the partial gradients,
and ``x / N`` then ``* N`` round. Parameters drift apart from a one-process run by float32
rounding (about 1e-7 relative per step), so metrics agree within a tolerance, not bit for bit;
all processes of one run end with bitwise identical parameters (they apply the same averaged
gradient). Dropout (``ModelConfig.dropout > 0``) draws a different mask per process, so with
dropout the runs agree only in distribution.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from ._checks import check_int

__all__ = ["ShardBatchSampler", "world", "init_from_env", "predict_sharded", "all_sum",
           "DataParallel", "max_rank_difference"]


def world() -> tuple[int, int]:
    """``(rank, world size)`` of this process: ``(0, 1)`` without an initialized process group.

    Example:
        >>> world()
        (0, 1)
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_from_env(backend: str | None = None) -> bool:
    """Join the process group torchrun describes (``env://``: ``RANK``, ``WORLD_SIZE``,
    ``MASTER_ADDR``, ``MASTER_PORT``); gloo on CPU, nccl on CUDA unless ``backend`` says.

    Returns whether a group was joined: False when the environment names no group (a plain
    ``python`` process), or when one is already initialized.

    Example:
        >>> "WORLD_SIZE" in os.environ or init_from_env()
        False
    """
    if "WORLD_SIZE" not in os.environ or dist.is_initialized():
        return False
    backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend, init_method="env://")
    return True


class ShardBatchSampler(DistributedSampler):
    """This process's rows of every global batch, in one process's order (the module docstring).

    A ``torch.utils.data.distributed.DistributedSampler`` whose items are batches: call
    :meth:`set_epoch` before each epoch, as with any ``DistributedSampler``. Unlike the stock
    one it draws its order with ``numpy`` exactly as one-process training does, and never pads
    with repeated rows (which would change the last batch): every process yields
    ``ceil(len(rows) / batch_size)`` batches, some possibly empty.

    Args:
        rows: the training row indices.
        batch_size: rows of a global batch (all processes together).
        seed: seed of the order (``numpy.random.default_rng(seed)``, one permutation per epoch).
        num_replicas, rank: the process group's size and this process's rank (from the
            initialized group when None).

    Example:
        >>> rows = np.arange(10)
        >>> [list(ShardBatchSampler(rows, 4, seed=0, num_replicas=2, rank=r)) for r in (0, 1)]
        ... # doctest: +NORMALIZE_WHITESPACE
        [[array([4, 2]), array([3, 9]), array([8])], [array([6, 7]), array([5, 0]), array([1])]]
        >>> [b.tolist() for b in ShardBatchSampler(rows, 4, seed=0, num_replicas=1, rank=0)]
        [[4, 6, 2, 7], [3, 5, 9, 0], [8, 1]]
    """

    def __init__(self, rows: np.ndarray, batch_size: int, *, seed: int,
                 num_replicas: int | None = None, rank: int | None = None) -> None:
        super().__init__(rows, num_replicas=num_replicas, rank=rank, shuffle=True,
                         seed=check_int(seed, "seed", low=0))
        self.rows = np.asarray(rows, dtype=np.int64)
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        self._rng, self._drawn = np.random.default_rng(seed), 0

    def order(self) -> np.ndarray:
        """The global order of the rows in the current epoch (the same on every process)."""
        if self._drawn > self.epoch:  # an earlier epoch again: redraw from the seed
            self._rng, self._drawn = np.random.default_rng(self.seed), 0
        while self._drawn <= self.epoch:
            self._order = self._rng.permutation(self.rows)
            self._drawn += 1
        return self._order

    def global_sizes(self) -> list[int]:
        """Rows of each global batch of an epoch."""
        n, b = len(self.rows), self.batch_size
        return [min(b, n - start) for start in range(0, n, b)]

    def __iter__(self) -> Iterator[np.ndarray]:
        order, b = self.order(), self.batch_size
        for start in range(0, len(order), b):
            yield order[start:start + b][self.rank::self.num_replicas]

    def __len__(self) -> int:
        return -(-len(self.rows) // self.batch_size)


def all_sum(value: float) -> float:
    """The sum of ``value`` over the processes (``value`` itself in one process), float64.

    Example:
        >>> all_sum(2.5)
        2.5
    """
    if world()[1] == 1:
        return float(value)
    t = torch.tensor(float(value), dtype=torch.float64)
    dist.all_reduce(t)
    return float(t)


def predict_sharded(predict, rows: np.ndarray) -> np.ndarray:
    """``predict(rows)`` computed ``1 / N`` per process and gathered, in row order, everywhere.

    Process ``r`` scores ``rows[r::N]`` (``predict`` maps row indices to float32 logits); the
    pieces are padded to one length, ``all_gather``-ed and interleaved back. In one process it
    is ``predict(rows)``.

    Example:
        >>> predict_sharded(lambda r: r.astype(np.float32) * 2, np.arange(3))
        array([0., 2., 4.], dtype=float32)
    """
    rank, size = world()
    rows = np.asarray(rows, dtype=np.int64)
    if size == 1:
        return predict(rows)
    mine = torch.from_numpy(np.ascontiguousarray(predict(rows[rank::size]), dtype=np.float32))
    longest = -(-len(rows) // size)
    padded = torch.zeros(longest, dtype=torch.float32)
    padded[:len(mine)] = mine
    parts = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(parts, padded)
    out = np.empty(len(rows), dtype=np.float32)
    for r, part in enumerate(parts):
        n = len(range(r, len(rows), size))
        out[r::size] = part[:n].numpy()
    return out


class DataParallel:
    """A model under DDP, its sparse tables' gradients all-reduced by hand (module docstring).

    Args:
        model: the module to train (its parameters are broadcast from rank 0 first).
        sparse_tables: names of the modules whose gradients stay sparse (SparseAdam), e.g.
            ``[n for n, u in TrainOptimizer.table_updates.items() if u == "sparse"]``.

    ``module`` is the DDP wrapper (call it for the forward); :meth:`sync_sparse` after each
    backward.

    Example (a group of one process, in memory):
        >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
        >>> model = nn.Sequential(nn.Embedding(10, 2, sparse=True), nn.Linear(2, 1))
        >>> ddp = DataParallel(model, ["0"])
        >>> ddp.module(torch.tensor([1, 3])).sum().backward(); ddp.sync_sparse()
        >>> model[0].weight.grad.is_sparse, model[1].weight.grad.is_sparse
        (True, False)
        >>> del ddp  # DDP's reducer goes before its process group (else teardown may hang)
        >>> dist.destroy_process_group()
    """

    def __init__(self, model: nn.Module, sparse_tables: list[str]) -> None:
        modules = dict(model.named_modules())
        self.sparse = [p for name in sparse_tables for p in modules[name].parameters(recurse=False)]
        ignore = [f"{name}.{p}" for name in sparse_tables
                  for p, _ in modules[name].named_parameters(recurse=False)]
        for p in self.sparse:  # DDP broadcasts the others
            dist.broadcast(p.data, src=0)
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, ignore)
        self.module = DistributedDataParallel(model)
        self.size = dist.get_world_size()

    def sync_sparse(self) -> None:
        """All-reduce and average the sparse gradients (each process must call it)."""
        for p in self.sparse:
            grad = p.grad if p.grad is not None else torch.sparse_coo_tensor(
                torch.zeros(p.dim(), 0, dtype=torch.long), p.new_zeros(0, *p.shape[1:]), p.shape)
            grad = grad.coalesce()
            dist.all_reduce(grad)
            p.grad = grad / self.size


def max_rank_difference(model: nn.Module) -> float:
    """The largest absolute difference between any parameter here and rank 0's (0.0: the
    processes agree bit for bit), the same on every process; 0.0 in one process.

    Example:
        >>> max_rank_difference(nn.Linear(2, 1))
        0.0
    """
    if world()[1] == 1:
        return 0.0
    worst = torch.zeros((), dtype=torch.float64)
    for p in model.parameters():
        ref = p.detach().clone()
        dist.broadcast(ref, src=0)
        worst = torch.maximum(worst, (ref - p.detach()).abs().max().double())
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return float(worst)

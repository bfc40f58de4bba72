"""Training and evaluation of a CTR model: Adam, BCE, early stopping on validation AUC.

The loop knows nothing about embedding schemes: it sees a ``torch.nn.Module`` that maps a batch
(``x``, ``bags``, ``dense``) to logits, and a :class:`bhlib.data.CTRDataset`. AUC is computed
exactly from ranks (:func:`bhlib.metrics.roc_auc`, ties counted one half, tested against
scikit-learn), so the library needs no scikit-learn at run time.

Optimiser (:class:`bhlib.optim.TrainOptimizer`): fused Adam for the dense parameters; each
embedding table built with ``sparse=True`` (:class:`bhlib.EmbeddingScheme`, ``nn.Embedding``) gets
``torch.optim.SparseAdam`` ("lazy" Adam: only the rows a batch reads are updated) when it is large,
and dense fused Adam when it has no more rows than one batch looks up
(``TrainConfig.table_updates``, the rule in :mod:`bhlib.optim`). Tables get no weight decay.

Determinism: the model is initialised by its own seed; :func:`fit` seeds torch (dropout) and a
numpy generator that fixes the order of training rows in every epoch, so the same seeds give the
same metrics (on the same machine and thread count).
"""
from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ._checks import check_bool, check_choice, check_int, check_number, check_str
from .data import CTRDataset
from .distributed import DataParallel, ShardBatchSampler, all_sum, max_rank_difference, world
from .evaluation import evaluate, model_inputs, predict, sharded_logits
from .metrics import binary_metrics
from .optim import TABLE_UPDATES, TrainOptimizer

__all__ = ["TrainConfig", "History", "fit", "predict", "evaluate"]


@dataclass(kw_only=True)
class TrainConfig:
    """Settings of :func:`fit`, one concern: the optimisation.

    Example:
        >>> TrainConfig(epochs=3, batch_size=512).patience
        2
    """

    epochs: int = 10                # maximum number of passes over the training rows
    batch_size: int = 1024          # rows per optimisation step
    lr: float = 1e-3                # Adam learning rate
    weight_decay: float = 0.0       # Adam L2 penalty on dense (non-sparse) parameters
    patience: int = 2               # stop after this many evaluations without a better valid AUC
    evals_per_epoch: int = 1        # validation evaluations per epoch (finer convergence curves)
    seed: int = 0                   # seed of the row order (numpy) and of torch's RNG (dropout)
    eval_batch_size: int = 16384    # rows per forward pass when evaluating
    num_threads: int | None = None  # torch.set_num_threads during fit (None: leave unchanged)
    progress: bool = True           # show a tqdm progress bar
    table_updates: str = "auto"     # tables: "auto" (bhlib.optim's rule), "sparse" or "dense"

    def __post_init__(self):
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 1), ("seed", 0),
                          ("eval_batch_size", 1), ("evals_per_epoch", 1)):
            setattr(self, name, check_int(getattr(self, name), name, low=low))
        self.lr = check_number(self.lr, "lr", low=0, low_open=True)
        self.weight_decay = check_number(self.weight_decay, "weight_decay", low=0)
        if self.num_threads is not None:
            self.num_threads = check_int(self.num_threads, "num_threads", low=1)
        self.progress = check_bool(self.progress, "progress")
        check_choice(self.table_updates, "table_updates", TABLE_UPDATES)


@dataclass(kw_only=True)
class History:
    """What :func:`fit` learned: the convergence curve, best epoch, test metrics, time.

    ``curve`` holds one dict per validation evaluation (``epoch``: epochs done, fractional when
    ``evals_per_epoch > 1``; ``step``; ``train_loss``: mean over the epoch's batches so far;
    ``valid_auc``; ``valid_logloss``; ``seconds`` since training began); ``subsets`` holds the
    test metrics on each named subset (e.g. rows with ids unseen in training).

    Example:
        >>> History().best_epoch
        0
    """

    curve: list = field(default_factory=list)
    best_epoch: float = 0
    best_valid_auc: float = float("nan")
    test_auc: float = float("nan")
    test_logloss: float = float("nan")
    subsets: dict = field(default_factory=dict)
    train_seconds: float = 0.0
    steps: int = 0
    stopped_early: bool = False
    table_updates: dict = field(default_factory=dict)  # table module name -> "dense" / "sparse"
    world_size: int = 1               # processes that trained the model (fit(distributed=True))
    rank_max_difference: float = 0.0  # largest parameter difference from rank 0 at the end

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()}


def fit(model: torch.nn.Module, data: Any, config: TrainConfig | None = None, *,
        subsets: Mapping[str, Any] | None = None, desc: str = "fit",
        distributed: bool = False) -> History:
    """Train ``model`` on ``data``'s train split with Adam + BCE; early-stop on validation AUC.

    The validation AUC is measured ``evals_per_epoch`` times per epoch; the weights of the best
    evaluation are kept and restored at the end, and training stops after ``patience``
    evaluations without improvement. The
    restored model is then scored on the test split and on each named subset of it.

    Args:
        model: maps ``x`` (B, F), ``bags``, ``dense`` to logits (B,), e.g.
            :class:`bhlib.model.CTRModel`.
        data: a :class:`bhlib.data.CTRDataset`.
        config: a :class:`TrainConfig` (default settings when None).
        subsets: name -> (len(test),) bool mask over the test rows, e.g. rows with unseen ids.
        desc: label of the progress bar.
        distributed: train data-parallel on the initialized ``torch.distributed`` process group
            (every process calls :func:`fit` with the same arguments; :mod:`bhlib.distributed`
            says how batches, gradients and metrics are shared, and what stays bitwise).

    Example:
        >>> from bhlib.data import make_synthetic
        >>> from bhlib.model import CTRModel
        >>> ds = make_synthetic(num_rows=2000, vocab_sizes=(100, 5), seed=0)
        >>> h = fit(CTRModel.for_dataset(ds), ds, TrainConfig(epochs=2, progress=False))
        >>> len(h.curve), 0.5 < h.test_auc <= 1
        (2, True)
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(data, CTRDataset):
        raise TypeError(f"data must be a bhlib.data.CTRDataset, got {type(data).__name__}")
    check_str(desc, "desc")
    if check_bool(distributed, "distributed") and not torch.distributed.is_initialized():
        raise ValueError("distributed=True needs an initialized torch.distributed process group "
                         "(start the script with torchrun; bhlib.distributed.init_from_env)")
    train_rows, valid_rows = data.splits["train"], data.splits["valid"]
    test_rows = data.splits["test"]
    if len(train_rows) == 0 or len(valid_rows) == 0:
        raise ValueError(f"data must have train and valid rows, got {len(train_rows)} and "
                         f"{len(valid_rows)}")
    if subsets is not None and not isinstance(subsets, Mapping):
        raise TypeError(f"subsets must be a dict of name -> bool mask, got {subsets!r}")
    subsets = dict(subsets or {})
    for name, m in subsets.items():
        m = np.asarray(m.cpu() if isinstance(m, torch.Tensor) else m)
        if m.dtype != np.bool_ or m.shape != test_rows.shape:
            raise ValueError(f"subsets[{name!r}] must be a bool mask of shape {test_rows.shape} "
                             f"(one flag per test row), got dtype {m.dtype}, shape {m.shape}")
        subsets[name] = m
    old_threads = torch.get_num_threads()
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    try:
        return _fit(model, data, config, subsets, desc, distributed)
    finally:
        torch.set_num_threads(old_threads)


def _fit(model, data, config, subsets, desc, distributed) -> History:
    torch.manual_seed(config.seed)
    with TrainOptimizer(model, lr=config.lr, weight_decay=config.weight_decay,
                        batch_size=config.batch_size, table_updates=config.table_updates) as opt:
        ddp = DataParallel(model, [n for n, u in opt.table_updates.items() if u == "sparse"]) \
            if distributed else None
        hist = _train(model, data, config, opt, desc, ddp)
        hist.table_updates = dict(opt.table_updates)
    if distributed:
        hist.world_size, hist.rank_max_difference = world()[1], max_rank_difference(model)
    test_rows = data.splits["test"]
    if len(test_rows):
        logits = sharded_logits(model, data, test_rows, batch_size=config.eval_batch_size)
        y = data.y[test_rows]
        test = binary_metrics(y, logits)
        hist.test_auc, hist.test_logloss = test["auc"], test["logloss"]
        for name, m in subsets.items():
            m = np.asarray(m, dtype=bool)
            hist.subsets[name] = binary_metrics(y[m], logits[m])
    return hist


def _train(model, data, config, opt, desc, ddp) -> History:
    """The epochs of :func:`fit`; returns the history with the best weights loaded. With
    ``ddp`` (a :class:`bhlib.distributed.DataParallel`) this process trains its share of every
    batch, its loss scaled so that the averaged gradient is the global batch's mean loss's."""
    rank, size = world()
    train_rows, valid_rows = data.splits["train"], data.splits["valid"]
    sampler = ShardBatchSampler(train_rows, config.batch_size, seed=config.seed,
                                num_replicas=size, rank=rank)
    sizes, net = sampler.global_sizes(), model if ddp is None else ddp.module
    steps_per_epoch = len(sizes)
    # evaluate after these steps of every epoch (the last one always)
    checkpoints = {round(steps_per_epoch * (i + 1) / config.evals_per_epoch)
                   for i in range(config.evals_per_epoch)} - {0}
    hist, best_state, stale, stop = History(), None, 0, False
    start = time.perf_counter()
    bar = tqdm(total=config.epochs * steps_per_epoch, desc=desc, leave=False, mininterval=0.5,
               disable=not config.progress or rank > 0)
    for epoch in range(config.epochs):
        seen = 0
        model.train()
        loss_sum = torch.zeros((), dtype=torch.float64)
        sampler.set_epoch(epoch)
        for step, rows in enumerate(sampler, 1):
            batch = model_inputs(data, rows)
            y = torch.from_numpy(data.y[rows])  # (B / N,)
            if ddp is None:
                loss = F.binary_cross_entropy_with_logits(net(**batch), y)  # ()
            else:  # this share's sum, scaled: DDP's average is then the global batch's mean
                loss = F.binary_cross_entropy_with_logits(net(**batch), y, reduction="sum") * (
                    size / sizes[step - 1])
            opt.zero_grad()
            loss.backward()
            if ddp is not None:
                ddp.sync_sparse()
            opt.step()
            loss_sum += loss.detach() * (len(rows) if ddp is None else sizes[step - 1] / size)
            seen += sizes[step - 1]
            hist.steps += 1
            bar.update(1)
            if step not in checkpoints:
                continue
            valid = evaluate(model, data, valid_rows, batch_size=config.eval_batch_size,
                             sharded=True)
            hist.curve.append({"epoch": round(epoch + step / steps_per_epoch, 4),
                               "step": hist.steps, "train_loss": all_sum(loss_sum) / seen,
                               "valid_auc": valid["auc"], "valid_logloss": valid["logloss"],
                               "seconds": time.perf_counter() - start})
            bar.set_postfix(valid_auc=f"{valid['auc']:.4f}")
            if not valid["auc"] <= hist.best_valid_auc:  # first evaluation, or better (NaN-safe)
                hist.best_epoch, hist.best_valid_auc = hist.curve[-1]["epoch"], valid["auc"]
                stale = 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
                if stale >= config.patience:
                    stop = True
                    break
            model.train()
        if stop:
            break
    bar.close()
    hist.stopped_early = hist.steps < config.epochs * steps_per_epoch
    if best_state is not None:
        model.load_state_dict(best_state)
    hist.train_seconds = time.perf_counter() - start
    return hist

"""Scoring a CTR model: its inputs for a set of rows, its logits and its metrics.

:func:`predict` runs the model in eval mode without gradients, in chunks of ``batch_size`` rows;
:func:`evaluate` adds the metrics of :func:`bhlib.metrics.binary_metrics` (AUC exact from ranks,
logloss). :func:`sharded_logits` spreads the scoring over the processes of a data-parallel run
(:func:`bhlib.distributed.predict_sharded`) and gives every process all the logits, in row order.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from .distributed import predict_sharded
from .metrics import binary_metrics

__all__ = ["model_inputs", "predict", "evaluate", "sharded_logits"]


def model_inputs(data: Any, rows: np.ndarray) -> dict[str, Any]:
    """The model inputs of ``rows``: ``x`` (B, F), ``bags`` {f: (B, L)}, ``dense`` (B, Dn).

    Example:
        >>> from bhlib.data import make_synthetic
        >>> sorted(model_inputs(make_synthetic(num_rows=50, vocab_sizes=(9, 3)), np.arange(4)))
        ['x']
    """
    out = {"x": torch.from_numpy(data.X[rows])}  # (B, F)
    if data.bags:
        out["bags"] = {f: torch.from_numpy(b[rows]) for f, b in data.bags.items()}  # (B, L)
    if data.dense is not None:
        out["dense"] = torch.from_numpy(data.dense[rows])  # (B, Dn)
    return out


def _chunks(rows: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Consecutive pieces of ``rows`` of at most ``size``."""
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


@torch.no_grad()
def predict(model: torch.nn.Module, data: Any, rows: Any, *, batch_size: int = 16384) -> np.ndarray:
    """Logits ``(len(rows),)`` of ``model`` on ``data``'s rows (eval mode, no gradients).

    Example:
        >>> from bhlib.data import make_synthetic
        >>> from bhlib.model import CTRModel
        >>> ds = make_synthetic(num_rows=300, vocab_sizes=(50, 4))
        >>> predict(CTRModel.for_dataset(ds), ds, ds.splits["test"]).shape
        (30,)
    """
    rows = np.asarray(rows, dtype=np.int64)
    was_training = model.training
    model.eval()
    out = [model(**model_inputs(data, r)).float().numpy() for r in _chunks(rows, batch_size)]
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def evaluate(model: torch.nn.Module, data: Any, rows: Any, *, mask: Any = None,
             batch_size: int = 16384, sharded: bool = False) -> dict[str, float]:
    """AUC, logloss, count and positive rate of ``model`` on ``rows`` (optionally ``rows[mask]``).

    With ``sharded=True`` the processes of a data-parallel run share the scoring
    (:func:`sharded_logits`); every process gets the metrics of all the rows.

    Example:
        >>> from bhlib.data import make_synthetic
        >>> from bhlib.model import CTRModel
        >>> ds = make_synthetic(num_rows=300, vocab_sizes=(50, 4))
        >>> sorted(evaluate(CTRModel.for_dataset(ds), ds, ds.splits["valid"]))
        ['auc', 'logloss', 'n', 'positive_rate']
    """
    rows = np.asarray(rows, dtype=np.int64)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != np.bool_ or mask.shape != rows.shape:
            raise ValueError(f"mask must be a bool mask of shape {rows.shape} (one flag per row), "
                             f"got dtype {mask.dtype}, shape {mask.shape}")
        rows = rows[mask]
    score = sharded_logits if sharded else predict
    return binary_metrics(data.y[rows], score(model, data, rows, batch_size=batch_size))


def sharded_logits(model: torch.nn.Module, data: Any, rows: Any, *,
                   batch_size: int = 16384) -> np.ndarray:
    """:func:`predict` of ``rows``, each process of a data-parallel run scoring its share, all
    logits gathered on every process (in one process: :func:`predict` itself).

    Example:
        >>> from bhlib.data import make_synthetic
        >>> from bhlib.model import CTRModel
        >>> ds = make_synthetic(num_rows=300, vocab_sizes=(50, 4))
        >>> m, rows = CTRModel.for_dataset(ds), ds.splits["test"]
        >>> bool((sharded_logits(m, ds, rows) == predict(m, ds, rows)).all())
        True
    """
    return predict_sharded(lambda r: predict(model, data, r, batch_size=batch_size),
                           np.asarray(rows, dtype=np.int64))

"""Metrics of a click-through-rate model: exact ROC AUC and binary cross-entropy on logits.

AUC is computed exactly from ranks (Mann-Whitney U, ties counted one half; tested against
scikit-learn), so the library needs no scikit-learn at run time. Both take logits: only their
order matters for AUC, and the logloss is computed stably from them.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["roc_auc", "log_loss", "binary_metrics"]


def roc_auc(y_true: Any, scores: Any) -> float:
    """Exact area under the ROC curve (Mann-Whitney U with average ranks for ties).

    Returns NaN when ``y_true`` holds a single class (AUC is undefined there).

    Args:
        y_true: (N,) labels in {0, 1}.
        scores: (N,) real scores (logits or probabilities; only their order matters).

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
        >>> roc_auc([0, 1], [0.5, 0.5])
        0.5
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true and scores must have the same length, got {y.size} and {s.size}")
    if ((y != 0) & (y != 1)).any():
        raise ValueError(f"y_true must hold 0/1 labels, got {np.unique(y)[:5]}")
    n_pos = y.sum()
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    _, inverse, counts = np.unique(sorted_s, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based average rank per tie group
    rank_sum = average_rank[inverse][y[order] == 1].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def log_loss(y_true: Any, logits: Any) -> float:
    """Mean binary cross-entropy of labels against *logits* (computed stably, in nats).

    Example:
        >>> round(log_loss([1, 0], [0.0, 0.0]), 4)
        0.6931
    """
    y = torch.as_tensor(np.asarray(y_true, dtype=np.float64))
    z = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    if y.shape != z.shape:
        raise ValueError(f"y_true and logits must have the same shape, got {tuple(y.shape)} and "
                         f"{tuple(z.shape)}")
    return float(F.binary_cross_entropy_with_logits(z, y)) if y.numel() else float("nan")


def binary_metrics(y: np.ndarray, logits: np.ndarray) -> dict[str, float]:
    """AUC, logloss, count and positive rate of labels ``y`` against ``logits`` (NaN when empty).

    Example:
        >>> binary_metrics(np.array([0.0, 1.0]), np.array([-1.0, 1.0]))["auc"]
        1.0
    """
    return {"auc": roc_auc(y, logits) if len(y) else float("nan"), "logloss": log_loss(y, logits),
            "n": int(len(y)), "positive_rate": float(y.mean()) if len(y) else float("nan")}

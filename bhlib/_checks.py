"""Argument checks shared by the pure functions and the embedding modules.

Every check raises ``TypeError`` / ``ValueError`` whose message names the argument and the value;
nothing is clamped, wrapped or truncated.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["check_int", "check_choice", "as_id_tensor"]


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an ``int`` after checking its type and ``low <= value <= high``.

    Example:
        >>> check_int(3, "block_bits", low=1, high=8)
        3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``.

    Example:
        >>> check_choice("sum", "fusion", ("sum", "mean"))
        'sum'
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def as_id_tensor(ids: Any, name: str = "ids", *, high: int | None = None,
                 high_name: str = "") -> torch.Tensor:
    """Check integer ids in ``[0, high)`` and return them as an int64 tensor (numpy: zero-copy).

    Float, bool and complex ids are refused with ``TypeError``; negative ids or ids ``>= high``
    with ``ValueError`` quoting the offending value.

    Example:
        >>> as_id_tensor([3, 1], high=4).tolist()
        [3, 1]
    """
    if isinstance(ids, torch.Tensor):
        t = ids
        if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
            raise TypeError(f"{name} must hold integers, got a tensor of dtype {t.dtype}")
    else:
        arr = np.asarray(ids)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
        if arr.dtype == np.uint64 and arr.size and int(arr.max()) >= 1 << 63:
            raise ValueError(f"{name} holds {int(arr.max())}, beyond the int64 range")
        t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.int64))
    if t.dtype != torch.int64:
        t = t.to(torch.int64)
    if t.numel():
        lo, hi = torch.aminmax(t)
        if int(lo) < 0:
            raise ValueError(f"{name} must be >= 0, got {int(lo)}")
        if high is not None and int(hi) >= high:
            raise ValueError(f"{name} must be < {high_name or high}, got {int(hi)}")
    return t

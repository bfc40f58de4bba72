"""Argument checks, one per concept, shared by every floor of the package.

Every check raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, wrong
value) with a message that names the argument and quotes the value; nothing is clamped, wrapped,
rounded or truncated. Numpy scalars count as the Python numbers they hold; ``bool`` is never a
number.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

__all__ = ["check_int", "check_number", "check_choice", "check_choices", "as_id_tensor"]


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an ``int`` after checking its type and ``low <= value <= high``.

    Example:
        >>> check_int(3, "block_bits", low=1, high=8)
        3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if high is None and low == 0:
        return "a positive number" if low_open else "a non-negative number"
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"a number {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"a number {'<' if high_open else '<='} {high:g}"
    return (f"a number in {'(' if low_open else '['}{low:g}, {high:g}"
            f"{')' if high_open else ']'}")


def check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a finite ``float`` after checking that it lies between ``low`` and
    ``high`` (closed ends unless ``low_open`` / ``high_open``).

    Example:
        >>> check_number(0.01, "init_std", low=0, low_open=True)
        0.01
        >>> check_number(-1, "lr", low=0)
        Traceback (most recent call last):
        ...
        ValueError: lr must be a non-negative number, got -1
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    wanted = _describe(low, high, low_open, high_open)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    if low is not None and (number < low or (low_open and number == low)):
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    if high is not None and (number > high or (high_open and number == high)):
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return number


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices`` (a tuple, or the keys of a dict).

    Example:
        >>> check_choice("sum", "fusion", ("sum", "mean"))
        'sum'
    """
    options = list(choices)
    try:
        known = value in options
    except TypeError:  # an unhashable or uncomparable value
        known = False
    if not known:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_choices(values: Any, name: str, choices: Iterable[Any]) -> tuple:
    """Return ``values`` as a tuple after checking that each one is one of ``choices``.

    A single string is refused: ``methods="hash"`` would otherwise be read letter by letter.

    Example:
        >>> check_choices(["hash", "qr"], "methods", ("full", "hash", "qr"))
        ('hash', 'qr')
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list or tuple of names, got {values!r}")
    values = tuple(values)
    options = list(choices)
    unknown = [v for v in values if v not in options]
    if unknown:
        raise ValueError(f"{name} must hold names from {options}, got {unknown}")
    return values


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

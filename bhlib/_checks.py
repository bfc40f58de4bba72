"""Argument checks, one per concept, shared by every floor of the package: one input policy.

Every check raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, wrong
value) with a message that names the argument, quotes the value received and says what is
allowed; nothing is clamped, wrapped, rounded or truncated. The policy:

* **integers** are Python or numpy integers, never ``bool`` and never a float (not even ``2.0``);
* **numbers** are Python or numpy reals (``bool`` excluded), finite unless a check says otherwise;
* **booleans** are ``bool`` or ``numpy.bool_``: the string ``"no"`` is not ``False``;
* **ids** are checked before any cast that could change them: a ``uint64`` id at or above
  ``2**63`` is refused, never wrapped to a negative int64; a scalar id stays a scalar (a 0-d
  tensor), an empty input an empty tensor of the same shape.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import torch

__all__ = ["check_int", "check_number", "check_bool", "check_str", "check_choice", "check_choices",
           "check_unique", "check_names", "as_id_tensor"]


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


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a ``bool`` if it is one (``numpy.bool_`` too); anything else is refused.

    Example:
        >>> check_bool(True, "sparse")
        True
        >>> check_bool("no", "sparse")
        Traceback (most recent call last):
        ...
        TypeError: sparse must be True or False, got 'no' (str)
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_str(value: Any, name: str, *, optional: bool = False) -> str | None:
    """Return ``value`` if it is a ``str`` (or ``None`` when ``optional``).

    Example:
        >>> check_str("user", "field"), check_str(None, "field", optional=True)
        ('user', None)
    """
    if value is None and optional:
        return None
    if not isinstance(value, str):
        allowed = "a str or None" if optional else "a str"
        raise TypeError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})")
    return value


def check_unique(values: Any, name: str) -> tuple:
    """Return ``values`` as a tuple after checking that no value occurs twice.

    Example:
        >>> check_unique([0, 1, 2], "seeds")
        (0, 1, 2)
        >>> check_unique([0, 1, 0], "seeds")
        Traceback (most recent call last):
        ...
        ValueError: seeds must not repeat a value, got [0, 1, 0] (repeated: [0])
    """
    values = tuple(values)
    seen, repeated = set(), []
    for v in values:
        if v in seen and v not in repeated:
            repeated.append(v)
        seen.add(v)
    if repeated:
        raise ValueError(f"{name} must not repeat a value, got {list(values)} "
                         f"(repeated: {repeated})")
    return values


def check_names(values: Any, name: str) -> list[str]:
    """Return ``values`` as a list of distinct strings (column or field names).

    A single string is refused: ``fields="user"`` would otherwise be read letter by letter.

    Example:
        >>> check_names(("user", "item"), "fields")
        ['user', 'item']
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of names, got {values!r}")
    values = list(values)
    for i, v in enumerate(values):
        check_str(v, f"{name}[{i}]")
    return list(check_unique(values, name))


_INT64_MAX = (1 << 63) - 1
_UNSIGNED = tuple(getattr(torch, n) for n in ("uint16", "uint32", "uint64") if hasattr(torch, n))


def _id_array(ids: Any, name: str, hint: str) -> np.ndarray:
    """``ids`` (not a tensor) as a numpy integer array, checked before any cast."""
    arr = np.asarray(ids)
    if arr.size == 0 and arr.dtype.kind in "fO":  # [] and np.array([]): no values to misread
        return np.zeros(arr.shape, dtype=np.int64)
    if arr.dtype.kind == "O":  # Python ints beyond int64, missing values, mixed objects
        flat = arr.ravel().tolist()
        if any(v is None or v is pd.NA or (isinstance(v, float) and v != v) for v in flat):
            raise ValueError(f"{name} holds missing values (None / NaN / pd.NA); fill them first")
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
               for v in flat):
            big = [int(v) for v in flat if not -_INT64_MAX - 1 <= v <= _INT64_MAX]
            if big:
                raise ValueError(f"{name} holds {big[0]}, beyond the int64 range")
    if arr.dtype.kind not in "iu":
        what = {"f": "floats", "b": "booleans", "c": "complex numbers", "U": "strings",
                "S": "bytes", "O": "objects"}.get(arr.dtype.kind, "values")
        raise TypeError(f"{name} must hold integers, got {what} (dtype {arr.dtype}){hint}")
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > _INT64_MAX:
        raise ValueError(f"{name} holds {int(arr.max())} (dtype {arr.dtype}), beyond the int64 "
                         "range: it would wrap to a negative id")
    return arr


def as_id_tensor(ids: Any, name: str = "ids", *, low: int | None = 0, high: int | None = None,
                 high_name: str = "", hint: str = "") -> torch.Tensor:
    """Check integer ids in ``[low, high)`` and return them as an int64 tensor of the same shape.

    Accepts tensors, numpy arrays, pandas objects, lists and scalars (a scalar gives a 0-d
    tensor); numpy int64 input is not copied. Float, bool, string and complex ids are refused with
    ``TypeError`` (``hint`` is appended to that message); ids below ``low`` (``None``: no lower
    bound), ``>= high``, missing or beyond the int64 range with ``ValueError`` quoting the value.

    Example:
        >>> as_id_tensor([3, 1], high=4).tolist()
        [3, 1]
        >>> as_id_tensor(3).shape, as_id_tensor([]).shape
        (torch.Size([]), torch.Size([0]))
    """
    if isinstance(ids, torch.Tensor):
        t = ids
        if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
            raise TypeError(f"{name} must hold integers, got a tensor of dtype {t.dtype}{hint}")
        if t.dtype in _UNSIGNED:  # check before the cast
            t = torch.from_numpy(_id_array(t.cpu().numpy(), name, hint)).to(t.device)
    else:
        if isinstance(ids, (pd.Series, pd.Index)) and ids.hasnans:
            raise ValueError(f"{name} holds {int(ids.isna().sum())} missing values; fill them "
                             "first")
        arr = _id_array(ids.to_numpy() if isinstance(ids, (pd.Series, pd.Index)) else ids,
                        name, hint)
        t = torch.from_numpy(arr.astype(np.int64, order="C", copy=False))
    if t.dtype != torch.int64:
        t = t.to(torch.int64)
    if t.numel():
        lo, hi = torch.aminmax(t)
        if low is not None and int(lo) < low:
            raise ValueError(f"{name} must be >= {low}, got {int(lo)}")
        if high is not None and int(hi) >= high:
            raise ValueError(f"{name} must be < {high_name or high}, got {int(hi)}")
    return t

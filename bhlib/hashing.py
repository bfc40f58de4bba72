"""Stable, vectorized 63-bit hashing of raw feature values (step 1 of the BH pipeline).

BH (Yan et al., CIKM 2021, arXiv 2109.02471) starts by hashing each raw value (a user id, a zip
code, a string) to an integer *hash ID*. The hash must be identical across processes,
``PYTHONHASHSEED`` values and platforms, so Python's built-in ``hash()`` is never used.

* **Integers** go through the SplitMix64 finalizer (Steele, Lea & Flood, OOPSLA 2014) after adding a
  64-bit salt. For a fixed salt this is a bijection on 64-bit words, so distinct integers only
  collide through the final truncation to 63 bits.
* **Strings and bytes** go through SipHash-2-4 keyed with the salt (``pandas.util.hash_array``,
  vectorized C code), strings encoded as UTF-8.

The salt is ``blake2b("bhlib", seed, field)``: the same value in two fields (``field="user"`` and
``field="item"``) gets two unrelated hashes. The result is an ``int64`` array of values in
``[0, 2**63)`` (the top bit is dropped so every hash fits a signed 64-bit integer, the index type of
torch). Note that the integer ``5`` and the string ``"5"`` hash differently: hash one column with
one dtype.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import torch

from ._checks import check_int

__all__ = ["hash_ids", "field_salt", "mix64_numpy", "mix64_torch"]

_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1


def _to_signed(c: int) -> int:
    """The int64 whose two's-complement bits equal the unsigned 64-bit constant ``c``."""
    return c - (1 << 64) if c >= (1 << 63) else c


def field_salt(seed: int = 0, field: str | None = None, index: int = 0) -> int:
    """A 64-bit salt derived from ``(seed, field, index)`` with BLAKE2b (platform independent).

    ``index`` tells apart the hash functions of a multi-hash family.

    Example:
        >>> field_salt(0, "user") == field_salt(0, "user")
        True
        >>> field_salt(0, "user") != field_salt(0, "item")
        True
    """
    seed = check_int(seed, "seed", low=0)
    if field is not None and not isinstance(field, str):
        raise TypeError(f"field must be a str or None, got {field!r} ({type(field).__name__})")
    key = f"bhlib|{seed}|{'' if field is None else field}|{int(index)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def mix64_numpy(x: np.ndarray, salt: int) -> np.ndarray:
    """SplitMix64 finalizer of ``x + salt`` on uint64 words, returned as int64 in ``[0, 2**63)``.

    Example:
        >>> mix64_numpy(np.array([0, 1, 2], dtype=np.uint64), 0).tolist()
        [0, 3119036373970289394, 7919892530791287365]
    """
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += np.uint64(salt & _MASK64)
        z ^= z >> np.uint64(30)
        z *= np.uint64(_M1)
        z ^= z >> np.uint64(27)
        z *= np.uint64(_M2)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(1)).astype(np.int64)


def _lsr(z: torch.Tensor, s: int) -> torch.Tensor:
    """Logical right shift of int64 words (torch's ``>>`` is arithmetic)."""
    return (z >> s) & ((1 << (64 - s)) - 1)


def mix64_torch(x: torch.Tensor, salt: int) -> torch.Tensor:
    """Same function as :func:`mix64_numpy` on an int64 tensor (bits read as unsigned words).

    Example:
        >>> mix64_torch(torch.tensor([0, 1, 2]), 0).tolist()
        [0, 3119036373970289394, 7919892530791287365]
    """
    z = x.to(torch.int64) + _to_signed(salt & _MASK64)  # (...) wraps mod 2**64
    z = z ^ _lsr(z, 30)
    z = z * _to_signed(_M1)
    z = z ^ _lsr(z, 27)
    z = z * _to_signed(_M2)
    z = z ^ _lsr(z, 31)
    return _lsr(z, 1)


def _as_array(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    if isinstance(values, (pd.Series, pd.Index)):
        if values.hasnans:
            raise ValueError(f"values holds {int(values.isna().sum())} missing values "
                             "(None / NaN / pd.NA); fill them first")
        return values.to_numpy()
    if isinstance(values, (np.ndarray, np.generic)):
        return np.asarray(values)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        return np.asarray([values], dtype=object).reshape(())  # a scalar: a 0-d array
    return np.asarray(list(values), dtype=object)


def _int_words(arr: np.ndarray) -> np.ndarray:
    """Integers as uint64 words (negative ints in two's complement), refused beyond int64."""
    if arr.dtype.kind == "u":
        if arr.size and int(arr.max()) >= 1 << 63:
            raise ValueError(f"values holds {int(arr.max())} (dtype {arr.dtype}), beyond the int64 "
                             "range; hash values >= 2**63 as strings, or view them as int64 "
                             "explicitly")
        return arr.astype(np.uint64)
    if arr.dtype.kind == "i":
        return arr.astype(np.int64).view(np.uint64)
    try:  # object array of Python ints
        return np.array(arr.tolist(), dtype=np.int64).view(np.uint64)
    except OverflowError:
        flat = arr.ravel().tolist()
        big = [v for v in flat if not -(1 << 63) <= v < (1 << 63)][:3]
        raise ValueError(f"values holds integers outside the int64 range, e.g. {big}") from None


def hash_ids(values: Any, *, seed: int = 0, field: str | None = None) -> np.ndarray:
    """Hash raw feature values to stable 63-bit hash IDs (``int64`` in ``[0, 2**63)``).

    Args:
        values: ints, strings or bytes, as a list, numpy array, pandas Series or integer tensor.
            One kind per call; floats, booleans and missing values are rejected (fill or cast
            them first, explicitly).
        seed: selects the member of the hash family (``>= 0``).
        field: salts the hash so equal values of different fields get unrelated IDs.

    Returns:
        ``np.ndarray`` of ``int64``, same shape as ``values``; a single value (a str, bytes or
        int) gives a single ``np.int64``.

    Example:
        >>> hash_ids([0, 1, 2]).tolist()  # integers: SplitMix64 of the salted value
        [3593671614132575611, 1308055754885803121, 8590014901464940420]
        >>> h = hash_ids(["alice", "bob"], field="user")
        >>> bool(h[0] != hash_ids(["alice"], field="item")[0])
        True
        >>> bool(hash_ids("alice", field="user") == h[0])  # a single value: a single hash
        True
    """
    arr = _as_array(values)
    salt = field_salt(seed, field)
    if arr.ndim > 1:
        raise ValueError(f"values must be one-dimensional (or a single value), got shape "
                         f"{arr.shape}")
    if arr.ndim == 0:
        return _hash_1d(arr.reshape(1), salt)[0]
    return _hash_1d(arr, salt)


def _hash_1d(arr: np.ndarray, salt: int) -> np.ndarray:
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    kind = arr.dtype.kind
    if kind in "iu":
        return mix64_numpy(_int_words(arr), salt)
    if kind == "b":
        raise TypeError("values holds booleans; cast them to int or str explicitly")
    if kind in "fc":
        raise TypeError(
            f"values holds floats (dtype {arr.dtype}); IDs must be ints, strings or bytes — "
            "cast integral floats with .astype('int64') after checking they are whole"
        )
    if kind in "US":
        arr = arr.astype(object)
    elif kind != "O":
        # pandas' StringDtype / ArrowDtype come here as object; anything else is refused
        if not isinstance(arr.dtype, pd.StringDtype):
            raise TypeError(f"values has unsupported dtype {arr.dtype}")
        arr = arr.astype(object)
    inferred = pd.api.types.infer_dtype(arr, skipna=False)
    if inferred == "integer":
        return mix64_numpy(_int_words(arr), salt)
    if inferred in ("string", "bytes"):
        h = pd.util.hash_array(arr, encoding="utf8", hash_key=f"{salt:016x}", categorize=False)
        return (h >> np.uint64(1)).astype(np.int64)
    for v in arr.tolist():
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            raise ValueError("values holds missing values (None/NaN); fill them first")
        if isinstance(v, bool) or not isinstance(v, (str, bytes, int)):
            raise TypeError(
                f"values holds {v!r} of type {type(v).__name__}; expected ints, strings or bytes"
            )
    raise TypeError(f"values mixes kinds ({inferred}); hash ints and strings in separate calls")

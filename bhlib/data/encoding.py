"""Turning raw columns into dense ids, and cutting rows into train/valid/test splits.

Raw values become dense ids ``0..V-1`` through :func:`encode_ids` (and :func:`encode_bags` for
multi-valued fields), which by default numbers them in a *seeded random* order so that no embedding
scheme profits from the order a dataset happens to number its ids in (BH reads ids bit by bit, so a
meaningful numbering would hand it structure for free). :func:`random_split` and :func:`time_split`
give the fixed split every :class:`~bhlib.data.dataset.CTRDataset` carries.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_choice, check_int

SPLITS = ("train", "valid", "test")
ID_ORDERS = ("random", "sorted", "first_seen")
MISSING = "<missing>"  # explicit token for missing categorical values


def _check_count(value, name: str) -> int:
    """``value`` as a non-negative int; TypeError for other types, ValueError if negative."""
    return check_int(value, name, low=0)


def spawn_seeds(seed: int, count: int) -> list[int]:
    """Derive ``count`` independent integer seeds from one seed (one per field or purpose).

    Reason: using the same seed for every field would give equal-sized fields the same
    permutation; ``numpy.random.SeedSequence`` gives independent, reproducible streams.

    Args:
        seed: the user's seed (non-negative int).
        count: how many seeds to derive.

    Example:
        >>> spawn_seeds(0, 3) == spawn_seeds(0, 3), len(spawn_seeds(0, 3))
        (True, 3)
    """
    seed = _check_count(seed, "seed")
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(count, dtype=np.uint64)]


def check_fractions(fractions, name="fractions") -> tuple[float, float, float]:
    """Validate three non-negative train/valid/test fractions that sum to 1.

    Args:
        fractions: a sequence of three numbers.
        name: the argument name used in error messages.

    Example:
        >>> check_fractions((0.8, 0.1, 0.1))
        (0.8, 0.1, 0.1)
    """
    try:
        fr = tuple(float(f) for f in fractions)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be three numbers (train, valid, test), "
                        f"got {fractions!r}") from err
    if len(fr) != 3 or any(not np.isfinite(f) or f < 0 for f in fr) or abs(sum(fr) - 1) > 1e-6:
        raise ValueError(f"{name} must be three non-negative numbers summing to 1, "
                         f"got {fractions!r}")
    return fr


def _cut(order: np.ndarray, fractions) -> dict[str, np.ndarray]:
    """Cut a row order into consecutive train/valid/test pieces, each returned sorted."""
    n = len(order)
    n_train = int(round(fractions[0] * n))
    n_valid = min(int(round(fractions[1] * n)), n - n_train)
    pieces = np.split(order, [n_train, n_train + n_valid])
    return {name: np.sort(p).astype(np.int64) for name, p in zip(SPLITS, pieces, strict=True)}


def random_split(n: int, *, seed: int, fractions=(0.8, 0.1, 0.1)) -> dict[str, np.ndarray]:
    """Split rows ``0..n-1`` at random into train/valid/test (sorted, disjoint, covering).

    Args:
        n: number of rows.
        seed: seed of the shuffle.
        fractions: train, valid, test fractions (sum to 1); sizes are rounded, test gets the rest.

    Example:
        >>> s = random_split(10, seed=0)
        >>> [len(s[k]) for k in ("train", "valid", "test")]
        [8, 1, 1]
    """
    n, seed = _check_count(n, "n"), _check_count(seed, "seed")
    return _cut(np.random.default_rng(seed).permutation(n), check_fractions(fractions))


def time_split(timestamps, *, fractions=(0.7, 0.1, 0.2)) -> dict[str, np.ndarray]:
    """Split rows by time: the earliest 70% train, the next 10% valid, the last 20% test.

    Reason: a time split mimics deployment and leaves ids in test that training never saw.
    Ties keep their row order (stable sort).

    Args:
        timestamps: (N,) numbers, one per row, no NaN.
        fractions: train, valid, test fractions (sum to 1).

    Example:
        >>> time_split([5, 1, 4, 2, 3], fractions=(0.6, 0.2, 0.2))
        {'train': array([1, 3, 4]), 'valid': array([2]), 'test': array([0])}
    """
    ts = np.asarray(timestamps)
    if ts.ndim != 1 or not (np.issubdtype(ts.dtype, np.number)
                            or np.issubdtype(ts.dtype, np.datetime64)):
        raise TypeError("timestamps must be a 1-D numeric array, "
                        f"got shape {ts.shape} dtype {ts.dtype}")
    if np.issubdtype(ts.dtype, np.floating) and np.isnan(ts).any():
        raise ValueError(f"timestamps contain {int(np.isnan(ts).sum())} NaN values")
    return _cut(np.argsort(ts, kind="stable"), check_fractions(fractions))


def encode_ids(values, *, seed: int = 0, order: str = "random") -> tuple[np.ndarray, np.ndarray]:
    """Map raw values (any hashable) to dense ids ``0..V-1``; return ``(codes, vocabulary)``.

    Reason: embedding tables are indexed by dense ids. ``order="random"`` numbers the *sorted*
    distinct values by a seeded permutation, so ids are deterministic per seed, independent of
    row order, and carry no meaning a bit-reading scheme could exploit.
    ``"sorted"`` numbers sorted values, ``"first_seen"`` keeps order of appearance.
    ``vocabulary[codes]`` gives the values back.

    Args:
        values: 1-D list, tuple, ndarray or Series of mutually comparable values; no missing
            values (encode them as an explicit token first).
        seed: seed of the permutation (``order="random"`` only).
        order: ``"random"``, ``"sorted"`` or ``"first_seen"``.

    Example:
        >>> codes, vocab = encode_ids(["b", "a", "b", "c"], order="sorted")
        >>> codes.tolist(), vocab.tolist()
        ([1, 0, 1, 2], ['a', 'b', 'c'])
        >>> codes, vocab = encode_ids(["b", "a", "b", "c"], seed=1)
        >>> vocab[codes].tolist()
        ['b', 'a', 'b', 'c']
    """
    check_choice(order, "order", ID_ORDERS)
    seed = _check_count(seed, "seed")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"values must be a 1-D sequence, got {type(values).__name__}")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {values.shape}")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    n_missing = int(s.isna().sum())
    if n_missing:
        raise ValueError(f"values contain {n_missing} missing entries (None/NaN); "
                         "replace them with an explicit token such as '<missing>' first")
    try:
        codes, uniques = pd.factorize(s, sort=order != "first_seen")
    except TypeError as err:
        raise TypeError(f"values must be hashable and mutually comparable ({err}); "
                        "convert them to one type, e.g. str") from err
    codes = np.asarray(codes, dtype=np.int64)
    vocab = np.asarray(uniques)
    if order == "random":
        perm = np.random.default_rng(seed).permutation(len(vocab))
        codes = perm[codes]
        shuffled = np.empty_like(vocab)
        shuffled[perm] = vocab
        vocab = shuffled
    return codes, vocab


def encode_bags(values, *, sep: str = " ", seed: int = 0, order: str = "random"):
    """Encode token-list strings (``"Action Comedy"``) as a multi-hot id matrix padded with -1.

    Reason: multi-valued fields (genres, tags) are bags of ids; a rectangular ``(N, L)`` matrix
    padded with -1 feeds an embedding-bag without Python loops. Repeated tokens in a row count once;
    missing or empty strings give an all -1 row.

    Args:
        values: (N,) strings of tokens separated by ``sep``.
        sep: token separator.
        seed, order: as in :func:`encode_ids` (applied to the token vocabulary).

    Returns:
        ``(bags, vocabulary)`` with ``bags`` of shape (N, L) int64, L the longest bag.

    Example:
        >>> bags, vocab = encode_bags(["a b", "b", ""], order="sorted")
        >>> bags.tolist(), vocab.tolist()
        ([[0, 1], [1, -1], [-1, -1]], ['a', 'b'])
    """
    s = pd.Series(np.asarray(values, dtype=object))
    tokens = s.str.split(sep).explode()
    tokens = tokens[tokens.notna() & (tokens != "")]
    pairs = pd.DataFrame({"row": tokens.index.to_numpy(np.int64),
                          "tok": tokens.astype(str).to_numpy()})
    pairs = pairs.drop_duplicates(ignore_index=True)
    codes, vocab = encode_ids(pairs["tok"], seed=seed, order=order)
    rows = pairs["row"].to_numpy()
    pos = pairs.groupby("row").cumcount().to_numpy(dtype=np.int64)
    bags = np.full((len(s), int(pos.max()) + 1 if len(pos) else 0), -1, dtype=np.int64)  # (N, L)
    bags[rows, pos] = codes
    return bags, vocab

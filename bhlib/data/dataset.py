"""The CTR dataset container every loader returns, and the helpers the loaders share.

A dataset is a matrix of dense categorical ids ``X`` (one column per single-valued field), a
binary label ``y``, optional multi-hot ``bags`` and ``dense`` numeric features, and a fixed
train/valid/test split. Raw values become dense ids through :func:`encode_ids`, which by default
numbers them in a *seeded random* order so that no embedding scheme profits from the order a
dataset happens to number its ids in (BH reads ids bit by bit, so a meaningful numbering would
hand it structure for free).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SPLITS = ("train", "valid", "test")
ID_ORDERS = ("random", "sorted", "first_seen")
MISSING = "<missing>"  # explicit token for missing categorical values


def _check_count(value, name: str) -> int:
    """``value`` as a non-negative int; TypeError for other types, ValueError if negative."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


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
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be three numbers (train, valid, test), got {fractions!r}")
    if len(fr) != 3 or any(not np.isfinite(f) or f < 0 for f in fr) or abs(sum(fr) - 1) > 1e-6:
        raise ValueError(f"{name} must be three non-negative numbers summing to 1, got {fractions!r}")
    return fr


def _cut(order: np.ndarray, fractions) -> dict[str, np.ndarray]:
    """Cut a row order into consecutive train/valid/test pieces, each returned sorted."""
    n = len(order)
    n_train = int(round(fractions[0] * n))
    n_valid = min(int(round(fractions[1] * n)), n - n_train)
    pieces = np.split(order, [n_train, n_train + n_valid])
    return {name: np.sort(p).astype(np.int64) for name, p in zip(SPLITS, pieces)}


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
    if ts.ndim != 1 or not (np.issubdtype(ts.dtype, np.number) or np.issubdtype(ts.dtype, np.datetime64)):
        raise TypeError(f"timestamps must be a 1-D numeric array, got shape {ts.shape} dtype {ts.dtype}")
    if np.issubdtype(ts.dtype, np.floating) and np.isnan(ts).any():
        raise ValueError(f"timestamps contain {int(np.isnan(ts).sum())} NaN values")
    return _cut(np.argsort(ts, kind="stable"), check_fractions(fractions))


def encode_ids(values, *, seed: int = 0, order: str = "random") -> tuple[np.ndarray, np.ndarray]:
    """Map raw values (any hashable) to dense ids ``0..V-1``; return ``(codes, vocabulary)``.

    Reason: embedding tables are indexed by dense ids. ``order="random"`` numbers the *sorted*
    distinct values by a seeded permutation, so ids are deterministic per seed, independent of
    row order, and carry no meaning a bit-reading scheme could exploit (BH_NOTES section 7).
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
    if order not in ID_ORDERS:
        raise ValueError(f"order must be one of {ID_ORDERS}, got {order!r}")
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
    pairs = pd.DataFrame({"row": tokens.index.to_numpy(np.int64), "tok": tokens.astype(str).to_numpy()})
    pairs = pairs.drop_duplicates(ignore_index=True)
    codes, vocab = encode_ids(pairs["tok"], seed=seed, order=order)
    rows = pairs["row"].to_numpy()
    pos = pairs.groupby("row").cumcount().to_numpy(dtype=np.int64)
    bags = np.full((len(s), int(pos.max()) + 1 if len(pos) else 0), -1, dtype=np.int64)  # (N, L)
    bags[rows, pos] = codes
    return bags, vocab


def _check_array(a, name: str, dtype, ndim: int, rows: int | None = None) -> None:
    if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != ndim or (rows is not None and len(a) != rows):
        want = f"{ndim}-D {np.dtype(dtype).name} ndarray" + ("" if rows is None else f" with {rows} rows")
        raise TypeError(f"{name} must be a {want}, got {type(a).__name__} {getattr(a, 'dtype', '')} "
                        f"{getattr(a, 'shape', '')}; convert with np.asarray(..., dtype=np.{np.dtype(dtype).name})")


def _check_ids(ids: np.ndarray, name: str, card: int, *, low: int) -> None:
    if ids.size and (ids.min() < low or ids.max() >= card):
        v = ids.min() if ids.min() < low else ids.max()
        pad = " and not -1 padding" if low < 0 else ""
        raise ValueError(f"{name} holds id {v}, outside [0, {card}){pad}")


@dataclass(eq=False, repr=False)
class CTRDataset:
    """A click-through-rate dataset: dense categorical ids, a binary label and a fixed split.

    Reason: one container for MovieLens, synthetic and user CSV data, validated once here so
    models and experiments can trust shapes, dtypes and id ranges.

    Args:
        name: short name, e.g. ``"movielens-100k"``.
        fields: single-valued categorical fields, in the column order of ``X``.
        X: (N, F) int64; column f holds ids in ``[0, cardinalities[fields[f]])``.
        y: (N,) float32 labels in {0, 1}.
        cardinalities: vocabulary size of every categorical field, bag fields included.
        splits: ``"train"``/``"valid"``/``"test"`` -> sorted int64 row indices, disjoint, covering.
        bags: multi-hot fields, each (N, L) int64 padded with -1.
        dense: (N, Dn) float32 numeric features, or None.
        description: provenance and citation, printed by :meth:`summary`.

    Example:
        >>> ds = CTRDataset("toy", ["user"], np.array([[0], [1], [1]]), np.array([1, 0, 1], np.float32),
        ...                 {"user": 2}, random_split(3, seed=0, fractions=(2/3, 0, 1/3)))
        >>> ds.num_rows, round(ds.positive_rate, 3)
        (3, 0.667)
    """

    name: str
    fields: list[str]
    X: np.ndarray
    y: np.ndarray
    cardinalities: dict[str, int]
    splits: dict[str, np.ndarray]
    bags: dict[str, np.ndarray] = field(default_factory=dict)
    dense: np.ndarray | None = None
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not isinstance(self.description, str):
            raise TypeError("name and description must be str")
        if isinstance(self.fields, str):
            raise TypeError(f"fields must be a list of names, got the string {self.fields!r}")
        self.fields = list(self.fields)
        if len(set(self.fields)) != len(self.fields) or set(self.fields) & set(self.bags):
            raise ValueError(f"field names must be unique across fields and bags, "
                             f"got {self.fields} + {list(self.bags)}")
        X, y = self.X, self.y
        _check_array(X, "X", np.int64, 2)
        n = X.shape[0]
        _check_array(y, "y", np.float32, 1, n)
        if n == 0:
            raise ValueError("dataset has no rows")
        if X.shape[1] != len(self.fields):
            raise ValueError(f"X has {X.shape[1]} columns but {len(self.fields)} fields: {self.fields}")
        bad = ~((y == 0) | (y == 1))
        if bad.any():
            raise ValueError(f"y must hold 0/1, found {float(y[bad][0])} at row {int(np.flatnonzero(bad)[0])}")
        expected, cards = set(self.fields) | set(self.bags), self.cardinalities
        if set(cards) != expected:
            raise ValueError(f"cardinalities must have exactly the keys {sorted(expected)}: missing "
                             f"{sorted(expected - set(cards))}, extra {sorted(set(cards) - expected)}")
        for f, c in cards.items():
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1:
                raise ValueError(f"cardinalities[{f!r}] must be a positive int, got {c!r}")
        for j, f in enumerate(self.fields):
            _check_ids(X[:, j], f"field {f!r}", cards[f], low=0)
        for f, b in self.bags.items():
            _check_array(b, f"bags[{f!r}]", np.int64, 2, n)
            _check_ids(b, f"bag field {f!r}", cards[f], low=-1)
        if self.dense is not None:
            _check_array(self.dense, "dense", np.float32, 2, n)
            if not np.isfinite(self.dense).all():
                raise ValueError(f"dense holds {int((~np.isfinite(self.dense)).sum())} non-finite values")
        self._check_splits(n)

    def _check_splits(self, n: int):
        if set(self.splits) != set(SPLITS):
            raise ValueError(f"splits must have exactly the keys {SPLITS}, got {sorted(self.splits)}")
        for k, idx in self.splits.items():
            _check_array(idx, f"splits[{k!r}]", np.int64, 1)
            if idx.size and (idx[0] < 0 or idx[-1] >= n or (np.diff(idx) <= 0).any()):
                raise ValueError(f"splits[{k!r}] must be strictly increasing row indices in [0, {n}), "
                                 f"got values from {idx.min()} to {idx.max()}")
        counts = np.bincount(np.concatenate([self.splits[k] for k in SPLITS]), minlength=n)
        if (counts != 1).any():
            row = int(np.flatnonzero(counts != 1)[0])
            what = "is in no split" if counts[row] == 0 else "is in more than one split"
            raise ValueError(f"splits must be disjoint and cover all {n} rows: row {row} {what}")

    @property
    def num_rows(self) -> int:
        """Number of rows N."""
        return int(self.X.shape[0])

    @property
    def positive_rate(self) -> float:
        """Fraction of rows with label 1."""
        return float(self.y.mean())

    def __repr__(self) -> str:
        return (f"CTRDataset(name={self.name!r}, rows={self.num_rows}, fields={self.fields}, "
                f"bags={list(self.bags)}, dense={0 if self.dense is None else self.dense.shape[1]}, "
                f"positive_rate={self.positive_rate:.3f})")

    def _column(self, f: str) -> np.ndarray:
        if f in self.bags:
            return self.bags[f]
        if f in self.fields:
            return self.X[:, self.fields.index(f)]
        raise ValueError(f"unknown field {f!r}; fields are {self.fields + list(self.bags)}")

    def _seen_in_train(self, f: str) -> np.ndarray:
        ids = self._column(f)[self.splits["train"]]
        seen = np.zeros(self.cardinalities[f], dtype=bool)
        seen[ids[ids >= 0]] = True
        return seen

    def summary(self, *, verbose: bool = True) -> pd.DataFrame:
        """One row per categorical field: cardinality, kind, and distinct ids seen in train.

        Reason: shows at a glance how big each table is and how many ids training never sees.
        With ``verbose`` it first prints rows, split sizes, positive rate and the description.

        Args:
            verbose: print the header and description.

        Example:
            >>> ds = CTRDataset("toy", ["u"], np.array([[0], [1], [2]]), np.ones(3, np.float32),
            ...                 {"u": 3}, random_split(3, seed=0, fractions=(2/3, 0, 1/3)))
            >>> ds.summary(verbose=False).to_dict("records")
            [{'field': 'u', 'kind': 'single', 'cardinality': 3, 'seen_in_train': 2}]
        """
        if verbose:
            sizes = " / ".join(f"{k} {len(self.splits[k]):,}" for k in SPLITS)
            print(f"{self.name}: {self.num_rows:,} rows, positive rate {self.positive_rate:.3f}; {sizes}")
            if self.description:
                print(self.description)
        names = self.fields + list(self.bags)
        return pd.DataFrame({
            "field": names,
            "kind": ["single"] * len(self.fields) + ["bag"] * len(self.bags),
            "cardinality": [int(self.cardinalities[f]) for f in names],
            "seen_in_train": [int(self._seen_in_train(f).sum()) for f in names],
        })

    def unseen_mask(self, split: str = "test", fields=None) -> np.ndarray:
        """Rows of ``split`` where some field holds an id the train split never contains.

        Reason: a time split creates cold-start ids; their embeddings are untrained, and schemes
        that share parameters (hashing, BH) may still do something sensible for them.

        Args:
            split: ``"train"``, ``"valid"`` or ``"test"``.
            fields: field names to check (bag fields allowed); default all single-valued fields.

        Returns:
            (len(splits[split]),) bool array aligned with ``splits[split]``.

        Example:
            >>> ds = CTRDataset("toy", ["u"], np.array([[0], [1], [0]]), np.ones(3, np.float32),
            ...                 {"u": 2}, {"train": np.array([0]), "valid": np.array([1]), "test": np.array([2])})
            >>> ds.unseen_mask("valid").tolist(), ds.unseen_mask("test").tolist()
            ([True], [False])
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        fields = self.fields if fields is None else ([fields] if isinstance(fields, str) else list(fields))
        rows = self.splits[split]
        mask = np.zeros(len(rows), dtype=bool)
        for f in fields:
            seen, ids = self._seen_in_train(f), self._column(f)[rows]
            unseen = (ids >= 0) & ~seen[np.maximum(ids, 0)]
            mask |= unseen if unseen.ndim == 1 else unseen.any(axis=1)
        return mask

"""The CTR dataset container every loader returns.

A dataset is a matrix of dense categorical ids ``X`` (one column per single-valued field), a
binary label ``y``, optional multi-hot ``bags`` and ``dense`` numeric features, and a fixed
train/valid/test split. Raw values become dense ids, and rows are split, through the helpers in
:mod:`bhlib.data.encoding`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_choice, check_int
from .encoding import SPLITS


def _check_array(a, name: str, dtype, ndim: int, rows: int | None = None) -> None:
    if (not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != ndim
            or (rows is not None and len(a) != rows)):
        want = (f"{ndim}-D {np.dtype(dtype).name} ndarray"
                + ("" if rows is None else f" with {rows} rows"))
        raise TypeError(f"{name} must be a {want}, got {type(a).__name__} "
                        f"{getattr(a, 'dtype', '')} {getattr(a, 'shape', '')}; convert with "
                        f"np.asarray(..., dtype=np.{np.dtype(dtype).name})")


def _check_ids(ids: np.ndarray, name: str, card: int, *, low: int) -> None:
    if ids.size and (ids.min() < low or ids.max() >= card):
        v = ids.min() if ids.min() < low else ids.max()
        pad = " and not -1 padding" if low < 0 else ""
        raise ValueError(f"{name} holds id {v}, outside [0, {card}){pad}")


@dataclass(eq=False, repr=False, kw_only=True)
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
        >>> from bhlib.data.encoding import random_split
        >>> ds = CTRDataset(name="toy", fields=["user"], X=np.array([[0], [1], [1]]),
        ...                 y=np.array([1, 0, 1], np.float32), cardinalities={"user": 2},
        ...                 splits=random_split(3, seed=0, fractions=(2/3, 0, 1/3)))
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
            raise ValueError(f"X has {X.shape[1]} columns but {len(self.fields)} fields: "
                             f"{self.fields}")
        bad = ~((y == 0) | (y == 1))
        if bad.any():
            raise ValueError(f"y must hold 0/1, found {float(y[bad][0])} "
                             f"at row {int(np.flatnonzero(bad)[0])}")
        expected, cards = set(self.fields) | set(self.bags), self.cardinalities
        if set(cards) != expected:
            raise ValueError(f"cardinalities must have exactly the keys {sorted(expected)}: "
                             f"missing {sorted(expected - set(cards))}, "
                             f"extra {sorted(set(cards) - expected)}")
        for f, c in cards.items():
            check_int(c, f"cardinalities[{f!r}]", low=1)
        for j, f in enumerate(self.fields):
            _check_ids(X[:, j], f"field {f!r}", cards[f], low=0)
        for f, b in self.bags.items():
            _check_array(b, f"bags[{f!r}]", np.int64, 2, n)
            _check_ids(b, f"bag field {f!r}", cards[f], low=-1)
        if self.dense is not None:
            _check_array(self.dense, "dense", np.float32, 2, n)
            if not np.isfinite(self.dense).all():
                raise ValueError(f"dense holds {int((~np.isfinite(self.dense)).sum())} "
                                 "non-finite values")
        self._check_splits(n)

    def _check_splits(self, n: int):
        if set(self.splits) != set(SPLITS):
            raise ValueError(f"splits must have exactly the keys {SPLITS}, "
                             f"got {sorted(self.splits)}")
        for k, idx in self.splits.items():
            _check_array(idx, f"splits[{k!r}]", np.int64, 1)
            if idx.size and (idx[0] < 0 or idx[-1] >= n or (np.diff(idx) <= 0).any()):
                raise ValueError(f"splits[{k!r}] must be strictly increasing row indices "
                                 f"in [0, {n}), got values from {idx.min()} to {idx.max()}")
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
                f"bags={list(self.bags)}, "
                f"dense={0 if self.dense is None else self.dense.shape[1]}, "
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
            >>> from bhlib.data.encoding import random_split
            >>> ds = CTRDataset(name="toy", fields=["u"], X=np.array([[0], [1], [2]]),
            ...                 y=np.ones(3, np.float32), cardinalities={"u": 3},
            ...                 splits=random_split(3, seed=0, fractions=(2/3, 0, 1/3)))
            >>> ds.summary(verbose=False).to_dict("records")
            [{'field': 'u', 'kind': 'single', 'cardinality': 3, 'seen_in_train': 2}]
        """
        if verbose:
            sizes = " / ".join(f"{k} {len(self.splits[k]):,}" for k in SPLITS)
            print(f"{self.name}: {self.num_rows:,} rows, "
                  f"positive rate {self.positive_rate:.3f}; {sizes}")
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
            >>> ds = CTRDataset(name="toy", fields=["u"], X=np.array([[0], [1], [0]]),
            ...                 y=np.ones(3, np.float32), cardinalities={"u": 2},
            ...                 splits={"train": np.array([0]), "valid": np.array([1]),
            ...                         "test": np.array([2])})
            >>> ds.unseen_mask("valid").tolist(), ds.unseen_mask("test").tolist()
            ([True], [False])
        """
        check_choice(split, "split", SPLITS)
        fields = (self.fields if fields is None
                  else ([fields] if isinstance(fields, str) else list(fields)))
        rows = self.splits[split]
        mask = np.zeros(len(rows), dtype=bool)
        for f in fields:
            seen, ids = self._seen_in_train(f), self._column(f)[rows]
            unseen = (ids >= 0) & ~seen[np.maximum(ids, 0)]
            mask |= unseen if unseen.ndim == 1 else unseen.any(axis=1)
        return mask

"""Load your own CTR data (Criteo, Avazu, Taobao-style CSV/TSV files) as a :class:`CTRDataset`.

Reason: no registry ships Criteo, Avazu or Taobao; users who have the files name the label and the
categorical (and optionally numeric) columns and get the same container as the built-in data.
Categorical columns are read as strings, so ``"007"`` and ``"7"`` stay different values.
"""
from __future__ import annotations

import codecs
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import check_choice, check_int
from .csvscan import COMPRESSIONS, read_csv_strict
from .dataset import CTRDataset
from .encoding import ID_ORDERS, MISSING, encode_ids, random_split, spawn_seeds, time_split

_TRUE = {"1", "1.0", "true"}
_FALSE = {"0", "0.0", "false"}


def _names(value, arg: str) -> list[str]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise TypeError(f"{arg} must be a list of column names, got {value!r}")
    names = list(value)
    if any(not isinstance(c, str) for c in names):
        raise TypeError(f"{arg} must hold column names (str), got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{arg} names a column twice: {names}")
    return names


def _infer_sep(path: Path) -> str:
    name = path.name.lower()
    name = next((name[:-len(end)] for end in COMPRESSIONS if name.endswith(end)), name)
    return "\t" if name.endswith((".tsv", ".txt")) else ","


def _check_sep(sep) -> None:
    if sep is None:
        return
    if not isinstance(sep, str):
        raise TypeError(f"sep must be a one-character str such as ',' or '\\t', or None (infer "
                        f"from the file name), got {sep!r} ({type(sep).__name__})")
    if len(sep) != 1 or sep in '"\r\n':
        raise ValueError("sep must be exactly one character other than '\"', '\\r' and "
                         f"'\\n' (or None), got {sep!r}")


def _check_encoding(encoding) -> None:
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a codec name (str) such as 'utf-8' or 'latin-1', "
                        f"got {encoding!r} ({type(encoding).__name__})")
    try:
        codecs.lookup(encoding)
        "\n".encode(encoding)  # refuses codecs that are not text encodings, such as "hex"
    except LookupError:
        raise ValueError(f"encoding must be a text encoding known to Python (codecs.lookup) "
                         f"such as 'utf-8' or 'latin-1', got {encoding!r}") from None


def _parse_label(raw: pd.Series, label: str) -> np.ndarray:
    """Strings -> float32 0/1; accepts 0/1, 0.0/1.0 and true/false (any case)."""
    norm = raw.str.strip().str.lower()
    if (norm == "").any():
        raise ValueError(f"label column {label!r} has {int((norm == '').sum())} missing values")
    ok = norm.isin(_TRUE | _FALSE)
    if not ok.all():
        # numbers in numeric order
        num = pd.to_numeric(pd.Series(raw[~ok].unique()), errors="coerce")
        bad = pd.DataFrame({"v": raw[~ok].unique(),
                            "n": num.to_numpy()}).sort_values(["n", "v"])["v"]
        found = bad.tolist() + sorted(raw[ok].unique().tolist())
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise ValueError(f"label column {label!r} must be binary (0/1, true/false); found values "
                         f"{found[:10]}{more}")
    return norm.isin(_TRUE).to_numpy().astype(np.float32)


def load_csv(path, *, label: str, categorical, dense=(), sep: str | None = None,
             split: str = "random", seed: int = 0, id_order: str = "random",
             name: str | None = None, nrows: int | None = None,
             encoding: str = "utf-8") -> CTRDataset:
    """Load a CSV/TSV file with a header row as a CTR dataset.

    Reason: lets the experiments run on your own Criteo/Avazu/Taobao files. Categorical values are
    encoded by :func:`~bhlib.data.encode_ids` (one seeded numbering per column); empty cells become
    an explicit ``"<missing>"`` token; numeric cells that are empty or NaN become 0. Both counts are
    reported in ``description``.

    Args:
        path: the file (``.csv``, ``.tsv``, ``.txt``, optionally compressed, e.g. ``.tsv.gz``).
        label: name of the binary label column (0/1, true/false).
        categorical: names of the categorical columns (at least one).
        dense: names of numeric columns, stored as float32 ``dense`` features.
        sep: column separator; None infers tab for ``.tsv``/``.txt``, else comma.
        split: ``"random"`` (seeded 80/10/10) or ``"ordered"`` (file order 80/10/10, for files
            sorted by time such as Criteo's).
        seed: seed of the id numbering and the random split.
        id_order: ``"random"``, ``"sorted"`` or ``"first_seen"``.
        name: dataset name (default: the file name without extensions).
        nrows: read only the first ``nrows`` data rows (stated in ``description``).
        encoding: the file's text encoding, e.g. ``"latin-1"`` (any name ``codecs.lookup``
            knows); a UTF-8 byte order mark is skipped.

    Every data row must have as many fields as the header: a row with more (an unquoted
    separator inside a value) or fewer is a ``ValueError`` naming the file and the line (the
    header is line 1; blank lines, which are skipped, and line breaks inside quoted values
    count). So are bytes that ``encoding`` cannot decode and a damaged or truncated compressed
    file. The check parses every column once before pandas reads the wanted ones (memory holds
    those alone; see :mod:`bhlib.data.csvscan` for the time it takes).

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "clicks.csv")
        >>> _ = open(p, "w").write("click,site,device\\n1,a,x\\n0,b,\\n0,a,y\\n1,c,x\\n")
        >>> ds = load_csv(p, label="click", categorical=["site", "device"])
        >>> ds.name, ds.X.shape, ds.cardinalities
        ('clicks', (4, 2), {'site': 3, 'device': 3})
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or os.PathLike), got {path!r} "
                        f"({type(path).__name__})")
    if not isinstance(label, str):
        raise TypeError(f"label must be a column name (str), got {label!r}")
    categorical, dense = _names(categorical, "categorical"), _names(dense, "dense")
    if not categorical:
        raise ValueError("categorical must name at least one column, got []")
    wanted = [label] + categorical + dense
    if len(set(wanted)) != len(wanted):
        dup = sorted({c for c in wanted if wanted.count(c) > 1})
        raise ValueError(f"columns {dup} are named in more than one of label/categorical/dense")
    check_choice(split, "split", ("random", "ordered"))
    check_choice(id_order, "id_order", ID_ORDERS)
    seed = check_int(seed, "seed", low=0)
    if nrows is not None:
        nrows = check_int(nrows, "nrows", low=1)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None (the file name), got {name!r} "
                        f"({type(name).__name__})")
    if name == "":
        raise ValueError("name must be a non-empty str or None (the file name), got ''")
    _check_sep(sep)
    _check_encoding(encoding)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_csv: no such file: {path}")
    seeds = spawn_seeds(seed, len(categorical) + 1)
    sep = _infer_sep(path) if sep is None else sep

    df = read_csv_strict(path, wanted, sep=sep, encoding=encoding, nrows=nrows)
    if len(df) == 0:
        raise ValueError(f"load_csv: {path} has a header but no data rows")

    y = _parse_label(df[label], label)
    X = np.empty((len(df), len(categorical)), dtype=np.int64)  # (N, F)
    cards, n_missing_cat = {}, {}
    for j, c in enumerate(categorical):
        values = df[c].where(df[c] != "", MISSING)
        n_missing_cat[c] = int((df[c] == "").sum())
        X[:, j], vocab = encode_ids(values, seed=seeds[j], order=id_order)
        cards[c] = len(vocab)

    dense_arr, n_missing_dense = None, {}
    if dense:
        dense_arr = np.empty((len(df), len(dense)), dtype=np.float32)  # (N, Dn)
        for j, c in enumerate(dense):
            num = pd.to_numeric(df[c].replace("", np.nan), errors="coerce")
            bad = num.isna() & ~df[c].str.strip().str.lower().isin(["", "nan", "na", "null",
                                                                      "none"])
            if bad.any():
                raise ValueError(f"dense column {c!r} holds non-numeric values, "
                                 f"e.g. {df[c][bad].iloc[0]!r} "
                                 f"(row {int(np.flatnonzero(bad.to_numpy())[0])}); "
                                 "list it as categorical instead")
            num = num.to_numpy(dtype=np.float64)
            if np.isinf(num).any():
                raise ValueError(f"dense column {c!r} holds infinite values")
            n_missing_dense[c] = int(np.isnan(num).sum())
            dense_arr[:, j] = np.nan_to_num(num, nan=0.0)

    if split == "random":
        splits = random_split(len(df), seed=seeds[-1])
    else:
        splits = time_split(np.arange(len(df)), fractions=(0.8, 0.1, 0.1))
    rows = f"first {len(df):,} rows (nrows={nrows})" if nrows is not None else f"{len(df):,} rows"
    desc = (f"Loaded by bhlib.data.load_csv from {path} ({rows}); label {label!r}; "
            f"encoding {encoding!r}; split={split!r} 80/10/10, id_order={id_order!r}, "
            f"seed={seed}. "
            f"Missing categorical cells -> '{MISSING}': {n_missing_cat}.")
    if dense:
        desc += f" Missing numeric cells -> 0: {n_missing_dense}."
    return CTRDataset(name=name if name is not None else path.name.split(".")[0],
                      fields=categorical, X=X, y=y, cardinalities=cards, splits=splits,
                      dense=dense_arr, description=desc)

"""MovieLens-100K as a CTR dataset: fetch (from a PyPI wheel), verify, cache, load.

Data: F. Maxwell Harper and Joseph A. Konstan, "The MovieLens Datasets: History and Context",
ACM Transactions on Interactive Intelligent Systems 5(4):19, 2015, doi:10.1145/2827872.
GroupLens' licence forbids redistribution, so bhlib never ships the files: they are copied, with
sha256 checks, out of the MIT-licensed ``recbole==1.2.1`` wheel on PyPI (downloaded with
``pip download --no-deps``; the recbole package is never installed) into a local cache folder.

CTR framing: one row per rating, label ``rating >= 4`` (55.4% positives); fields user_id, item_id,
gender, occupation, zip_code, age (7 buckets), release_year, and the multi-hot ``genres`` bag.
"""
from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import check_choice
from .dataset import CTRDataset
from .encoding import (
    ID_ORDERS,
    MISSING,
    encode_bags,
    encode_ids,
    random_split,
    spawn_seeds,
    time_split,
)

WHEEL = "recbole==1.2.1"
WHEEL_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
MEMBER_DIR = "recbole/dataset_example/ml-100k/"
FIELDS = ("user_id", "item_id", "gender", "occupation", "zip_code", "age", "release_year")
MEMBER_SHA256 = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
}
PIP_TIMEOUT_S = 300
CITATION = ("F. M. Harper and J. A. Konstan, The MovieLens Datasets: History and Context, "
            "ACM TiiS 5(4):19, 2015, doi:10.1145/2827872")
AGE_BINS = [-np.inf, 18, 25, 35, 45, 50, 56, np.inf]
AGE_LABELS = ["<18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"]


class DataFetchError(RuntimeError):
    """A dataset could not be fetched or verified; the message says what to do.

    Reason: callers (and tests) must tell "PyPI unreachable" from "file corrupt" apart, so
    ``kind`` is ``"download"`` (pip failed), ``"checksum"`` (sha256 mismatch) or ``"io"``.

    Args:
        message: what happened and how to fix it.
        kind: ``"download"``, ``"checksum"`` or ``"io"``.

    Example:
        >>> DataFetchError("no network", kind="download").kind
        'download'
    """

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.kind = kind


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cache_problems(target: Path) -> dict[str, str]:
    """Member name -> "missing" or "sha256 mismatch" for every cached file that is not right."""
    problems = {}
    for name, digest in MEMBER_SHA256.items():
        p = target / name
        if not p.is_file():
            problems[name] = "missing"
        elif _sha256(p) != digest:
            problems[name] = "sha256 mismatch"
    return problems


def _advice(target: Path, problems: dict[str, str]) -> str:
    """What the user can do when the fetch fails (appended to every DataFetchError)."""
    how = (f"Check that this machine can reach PyPI (try: pip download --no-deps {WHEEL}), "
           f"or place {', '.join(MEMBER_SHA256)} from the wheel's {MEMBER_DIR} by hand "
           f"in {target}.")
    if any(v != "missing" for v in problems.values()):
        how += f" The cached files there failed verification: {problems}."
    return how


def _download_wheel(dest: Path, how: str) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", WHEEL,
           "-d", str(dest)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S,
                             check=False)
    except subprocess.TimeoutExpired as err:
        raise DataFetchError(f"pip download {WHEEL} timed out after {PIP_TIMEOUT_S} s. {how}",
                             kind="download") from err
    except OSError as err:
        raise DataFetchError(f"could not run pip ({err}). {how}", kind="download") from err
    wheels = sorted(dest.glob("recbole-1.2.1-*.whl"))
    if res.returncode != 0 or not wheels:
        lines = [ln for ln in (res.stderr or res.stdout or "").strip().splitlines() if ln.strip()]
        detail = lines[-1].strip() if lines else f"exit status {res.returncode}"
        raise DataFetchError(f"pip download {WHEEL} failed: {detail}. {how}", kind="download")
    return wheels[0]


def _verified_members(wheel: Path, how: str) -> dict[str, bytes]:
    """Read the three members out of the wheel, after checking the wheel's and their sha256."""
    got = _sha256(wheel)
    if got != WHEEL_SHA256:
        raise DataFetchError(f"{wheel.name} has sha256 {got}, expected {WHEEL_SHA256}: "
                             "the file served differs from the one bhlib was written for "
                             f"(a mirror or proxy?). Nothing was written. {how}",
                             kind="checksum")
    out = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for name, digest in MEMBER_SHA256.items():
                data = zf.read(MEMBER_DIR + name)
                if hashlib.sha256(data).hexdigest() != digest:
                    raise DataFetchError(f"{MEMBER_DIR + name} in {wheel.name} has sha256 "
                                         f"{hashlib.sha256(data).hexdigest()}, expected {digest}. "
                                         f"Nothing was written. {how}", kind="checksum")
                out[name] = data
    except (zipfile.BadZipFile, KeyError) as err:
        raise DataFetchError(f"{wheel.name} is not the expected wheel ({err}). "
                             f"Nothing was written. {how}",
                             kind="checksum") from err
    return out


def _write_atomically(target: Path, members: dict[str, bytes]) -> None:
    """Write every member to a temporary name first, then os.replace; on failure remove them."""
    created = not target.exists()
    tmp_paths = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in members.items():
            tmp = target / f".{name}.{os.getpid()}.tmp"
            tmp_paths.append(tmp)
            tmp.write_bytes(data)
        for name, tmp in zip(members, tmp_paths, strict=True):
            os.replace(tmp, target / name)
    except OSError as err:
        for tmp in tmp_paths:
            tmp.unlink(missing_ok=True)
        if created and target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        raise DataFetchError(f"could not write MovieLens files to {target}: {err}",
                             kind="io") from err


def fetch_movielens(cache_dir="data", *, verbose: bool = True) -> Path:
    """Make sure verified MovieLens-100K files are in ``cache_dir/ml-100k/``; return that folder.

    Reason: the licence forbids shipping the data, so it is fetched once from the
    ``recbole==1.2.1`` wheel on PyPI, checked against pinned sha256 values and cached. When the
    cached files are present and correct nothing is downloaded. Files are written under temporary
    names and renamed, so a failure leaves no partial files.

    Args:
        cache_dir: folder of the cache (default ``"data"``, gitignored in the repo).
        verbose: print one line when downloading.

    Raises:
        DataFetchError: pip failed or is offline (``kind="download"``), or a checksum did not
            match (``kind="checksum"``); the message says what to do.

    Example:
        >>> folder = fetch_movielens("data")  # doctest: +SKIP
        >>> sorted(p.name for p in folder.iterdir())  # doctest: +SKIP
        ['ml-100k.inter', 'ml-100k.item', 'ml-100k.user']
    """
    target = Path(cache_dir) / "ml-100k"
    problems = _cache_problems(target)
    if not problems:
        return target
    if verbose:
        print(f"Fetching MovieLens-100K from the {WHEEL} wheel on PyPI…", flush=True)
    how = _advice(target, problems)
    with tempfile.TemporaryDirectory(prefix="bhlib-ml100k-") as tmp:
        members = _verified_members(_download_wheel(Path(tmp), how), how)
    _write_atomically(target, members)
    return target


def _read(path: Path) -> pd.DataFrame:
    """Read an atomic (recbole) file: tab-separated, header ``name:type``, everything as str."""
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE,
                     encoding="utf-8")
    df.columns = [c.split(":", 1)[0] for c in df.columns]
    return df


def _positions(table_ids: pd.Series, row_ids: pd.Series, what: str) -> np.ndarray:
    if not table_ids.is_unique:
        raise ValueError(f"ml-100k.{what} lists some {what} ids twice")
    pos = pd.Index(table_ids).get_indexer(row_ids)
    if (pos < 0).any():
        raise ValueError(f"ml-100k.inter refers to {int((pos < 0).sum())} rows "
                         f"with unknown {what} ids")
    return pos


def load_movielens(cache_dir="data", *, split: str = "random", seed: int = 0,
                   id_order: str = "random", verbose: bool = True) -> CTRDataset:
    """Load MovieLens-100K (fetching it once if needed) as a CTR dataset with label ``rating >= 4``.

    Reason: a small real dataset with users, items, side features, a genre bag and timestamps.
    Its vocabularies are small (at most 1,682 ids), so large compression ratios need the synthetic
    data instead. Ids are numbered by :func:`~bhlib.data.encode_ids` (``id_order="random"`` by
    default, since MovieLens numbers items roughly by catalogue entry date).

    Args:
        cache_dir: cache folder passed to :func:`fetch_movielens`.
        split: ``"random"`` (seeded 80/10/10) or ``"time"`` (70/10/20 by timestamp: leaves users
            and items in test that train never saw).
        seed: seed of the id numbering and the random split.
        id_order: ``"random"``, ``"sorted"`` (numeric raw ids) or ``"first_seen"``.
        verbose: print a line when downloading.

    Example:
        >>> ds = load_movielens("data", split="time")  # doctest: +SKIP
        >>> ds.num_rows, ds.cardinalities["user_id"], ds.cardinalities["item_id"]  # doctest: +SKIP
        (100000, 943, 1682)
    """
    check_choice(split, "split", ("random", "time"))
    check_choice(id_order, "id_order", ID_ORDERS)
    seeds = spawn_seeds(seed, len(FIELDS) + 2)  # validates seed before fetching
    folder = fetch_movielens(cache_dir, verbose=verbose)
    inter, users, items = (_read(folder / f"ml-100k.{k}") for k in ("inter", "user", "item"))
    upos = _positions(users["user_id"], inter["user_id"], "user")  # (N,) row of each rating's user
    ipos = _positions(items["item_id"], inter["item_id"], "item")  # (N,)

    year = items["release_year"].where(items["release_year"].str.fullmatch(r"\d{4}"), MISSING)
    age = pd.cut(users["age"].astype(int), AGE_BINS, right=False, labels=AGE_LABELS).astype(str)
    columns = {  # field -> (values in its table, row positions of the ratings in that table)
        "user_id": (users["user_id"].astype(np.int64), upos),
        "item_id": (items["item_id"].astype(np.int64), ipos),
        "gender": (users["gender"], upos),
        "occupation": (users["occupation"], upos),
        "zip_code": (users["zip_code"], upos),
        "age": (age, upos),
        "release_year": (year, ipos),
    }
    assert tuple(columns) == FIELDS
    X = np.empty((len(inter), len(columns)), dtype=np.int64)  # (N, F)
    cards = {}
    for j, (f, (values, pos)) in enumerate(columns.items()):
        codes, vocab = encode_ids(values, seed=seeds[j], order=id_order)
        X[:, j] = codes[pos]
        cards[f] = len(vocab)
    genre_bags, genre_vocab = encode_bags(items["class"], sep=" ", seed=seeds[-2], order=id_order)
    cards["genres"] = len(genre_vocab)

    rating = inter["rating"].astype(float).to_numpy()
    y = (rating >= 4).astype(np.float32)
    if split == "random":
        splits = random_split(len(inter), seed=seeds[-1])
    else:
        splits = time_split(inter["timestamp"].astype(float).to_numpy())
    desc = (f"MovieLens-100K ({CITATION}), fetched from the {WHEEL} wheel on PyPI. "
            "One row per rating, label rating >= 4; age in 7 buckets; "
            f"missing release years -> '{MISSING}'; split={split!r} "
            f"({'seeded 80/10/10' if split == 'random' else '70/10/20 by timestamp'}), "
            f"id_order={id_order!r}, seed={seed}. "
            "Licence forbids redistribution: do not commit the data.")
    return CTRDataset(name="movielens-100k", fields=list(columns), X=X, y=y, cardinalities=cards,
                      splits=splits, bags={"genres": genre_bags[ipos]}, description=desc)

"""Tests of the MovieLens-100K fetch/verify/cache/load path.

All tests but one run offline on *made-up* files in the recbole format (never MovieLens data):
``subprocess.run`` is replaced by a fake pip that fails or writes a fake wheel, and the pinned
sha256 values are patched where a test needs its fake files to verify. Exactly one test
(``test_real_movielens``) downloads the real wheel into the repo's gitignored ``data/`` folder,
reused across runs, and skips with the reason when PyPI is unreachable.
"""
import hashlib
import io
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bhlib.data import DataFetchError, fetch_movielens, load_movielens
from bhlib.data import movielens as ml

REPO = Path(__file__).resolve().parents[1]
NAMES = ["ml-100k.inter", "ml-100k.item", "ml-100k.user"]

FAKE = {  # invented rows in the recbole atomic-file format
    "ml-100k.user": "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
                    "1\t17\tM\tstudent\t12345\n2\t18\tF\twriter\t02139\n3\t56\tM\tother\tT8H1N\n"
                    "4\t45\tF\twriter\t12345\n",
    "ml-100k.item": "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
                    "1\tA Film\t1995\tAnimation Children's Comedy\n2\tUnknown\tunkonwn\tunknown\n"
                    "3\t\"Quoted\" Title\tV\tDrama Comedy\n",
    "ml-100k.inter": "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
                     + "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in [
                         (1, 1, 5, 100), (1, 2, 3, 105), (2, 3, 4, 90), (3, 1, 1, 300),
                         (4, 3, 2, 200), (2, 1, 4, 110), (3, 2, 5, 120), (4, 1, 4, 130),
                         (1, 3, 2, 140), (2, 2, 3, 150)]),
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_wheel(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in members.items():
            zf.writestr(ml.MEMBER_DIR + name, text)
    return buf.getvalue()


class FakePip:
    """Stands in for subprocess.run: writes ``wheel`` into the ``-d`` folder, or fails."""

    def __init__(self, wheel: bytes | None = None, returncode: int = 0,
                 exc: Exception | None = None):
        self.wheel, self.returncode, self.exc, self.calls = wheel, returncode, exc, []

    def __call__(self, cmd, **kwargs):
        self.calls.append(cmd)
        assert (cmd[1:6] == ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
                and "recbole==1.2.1" in cmd)
        assert "timeout" in kwargs and kwargs.get("capture_output")
        if self.exc is not None:
            raise self.exc
        if self.wheel is not None:
            (Path(cmd[cmd.index("-d") + 1]) / "recbole-1.2.1-py3-none-any.whl").write_bytes(
                self.wheel)
        err = "" if self.returncode == 0 else (
            "ERROR: Could not find a version that satisfies the requirement recbole==1.2.1\n"
            "ERROR: No matching distribution found for recbole==1.2.1\n")
        return subprocess.CompletedProcess(cmd, self.returncode, "", err)


def no_pip(cmd, **kwargs):
    raise AssertionError(f"pip must not be called when the cache is valid: {cmd}")


@pytest.fixture
def trust_fakes(monkeypatch):
    """Pin the sha256 values to the fake members (and return the fake wheel bytes)."""
    wheel = fake_wheel(FAKE)
    monkeypatch.setattr(ml, "WHEEL_SHA256", sha(wheel))
    monkeypatch.setattr(ml, "MEMBER_SHA256", {k: sha(v.encode()) for k, v in FAKE.items()})
    return wheel


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


@pytest.mark.parametrize("pip", [FakePip(returncode=1),
                                 FakePip(exc=subprocess.TimeoutExpired("pip", 300)),
                                 FakePip(exc=OSError("no such interpreter"))],
                         ids=["fails", "timeout", "oserror"])
def test_offline_raises_and_writes_nothing(tmp_path, monkeypatch, pip):
    monkeypatch.setattr(ml.subprocess, "run", pip)
    with pytest.raises(DataFetchError) as info:
        fetch_movielens(tmp_path / "cache", verbose=False)
    msg = str(info.value)
    assert info.value.kind == "download" and isinstance(info.value, RuntimeError)
    # what to do, where to put files
    assert "PyPI" in msg and str(tmp_path / "cache" / "ml-100k") in msg
    if pip.returncode:
        assert "No matching distribution" in msg
    assert files_under(tmp_path / "cache") == []


def test_wheel_checksum_mismatch(tmp_path, monkeypatch):
    monkeypatch.setattr(ml.subprocess, "run", FakePip(fake_wheel(FAKE)))
    with pytest.raises(DataFetchError, match="sha256.*expected 9c9948") as info:
        fetch_movielens(tmp_path, verbose=False)
    assert info.value.kind == "checksum" and files_under(tmp_path) == []


def test_member_checksum_mismatch(tmp_path, monkeypatch, trust_fakes):
    monkeypatch.setattr(ml, "MEMBER_SHA256", {**ml.MEMBER_SHA256, "ml-100k.item": "0" * 64})
    monkeypatch.setattr(ml.subprocess, "run", FakePip(trust_fakes))
    with pytest.raises(DataFetchError, match="ml-100k.item.*Nothing was written") as info:
        fetch_movielens(tmp_path, verbose=False)
    assert info.value.kind == "checksum" and files_under(tmp_path) == []


def test_fetch_extracts_then_uses_cache(tmp_path, monkeypatch, capsys, trust_fakes):
    pip = FakePip(trust_fakes)
    monkeypatch.setattr(ml.subprocess, "run", pip)
    folder = fetch_movielens(tmp_path)
    assert (folder == tmp_path / "ml-100k"
            and files_under(tmp_path) == ["ml-100k"] + [f"ml-100k/{n}" for n in NAMES])
    assert (folder / "ml-100k.user").read_text() == FAKE["ml-100k.user"]
    assert ("Fetching MovieLens-100K from the recbole==1.2.1 wheel on PyPI"
            in capsys.readouterr().out)
    monkeypatch.setattr(ml.subprocess, "run", no_pip)
    assert fetch_movielens(tmp_path) == folder
    assert capsys.readouterr().out == "" and len(pip.calls) == 1


def test_corrupt_cache_is_not_trusted(tmp_path, monkeypatch, trust_fakes):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name, text in FAKE.items():
        (folder / name).write_text(text)
    (folder / "ml-100k.inter").write_text("user_id:token\n1\n")  # corrupt / truncated
    monkeypatch.setattr(ml.subprocess, "run", FakePip(returncode=1))
    with pytest.raises(DataFetchError,
                       match=r"failed verification: \{'ml-100k.inter': 'sha256 mismatch'\}"):
        load_movielens(tmp_path, verbose=False)
    assert files_under(folder) == NAMES  # no temporary or partial files
    monkeypatch.setattr(ml.subprocess, "run", FakePip(trust_fakes))  # back online: repaired
    assert load_movielens(tmp_path, verbose=False).num_rows == 10
    assert ((folder / "ml-100k.inter").read_text() == FAKE["ml-100k.inter"]
            and files_under(folder) == NAMES)


def test_failed_write_leaves_no_partial_files(tmp_path, monkeypatch, trust_fakes):
    monkeypatch.setattr(ml.subprocess, "run", FakePip(trust_fakes))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(ml.os, "replace", broken_replace)
    with pytest.raises(DataFetchError, match="disk full") as info:
        fetch_movielens(tmp_path / "cache", verbose=False)
    assert info.value.kind == "io" and files_under(tmp_path / "cache") == []


@pytest.mark.parametrize("split", ["random", "time"])
def test_load_parses_recbole_format(tmp_path, monkeypatch, trust_fakes, split):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name, text in FAKE.items():
        (folder / name).write_text(text)
    monkeypatch.setattr(ml.subprocess, "run", no_pip)
    ds = load_movielens(tmp_path, split=split, id_order="sorted", verbose=False)
    assert ds.fields == ["user_id", "item_id", "gender", "occupation", "zip_code", "age",
                         "release_year"]
    assert ds.cardinalities == {"user_id": 4, "item_id": 3, "gender": 2, "occupation": 3,
                                "zip_code": 3, "age": 4, "release_year": 2, "genres": 5}
    assert ds.y.tolist() == [1, 0, 1, 0, 0, 1, 1, 1, 0, 0]  # rating >= 4
    col = {f: ds.X[:, j] for j, f in enumerate(ds.fields)}
    assert col["user_id"].tolist() == [0, 0, 1, 2, 3, 1, 2, 3, 0, 1]  # sorted numerically
    # sorted age buckets present: '18-24' < '45-49' < '56+' < '<18'; user 1 is 17 -> '<18'
    assert col["age"][[0, 2, 3, 4]].tolist() == [3, 0, 2, 1]
    # release years: '1995' < '<missing>' ('unkonwn' and 'V' are not years)
    assert col["release_year"][[0, 1, 2]].tolist() == [0, 1, 1]
    # genre vocabulary sorted: Animation, Children's, Comedy, Drama, unknown
    assert ds.bags["genres"][[0, 1, 2]].tolist() == [[0, 1, 2], [4, -1, -1], [3, 2, -1]]
    assert "Harper" in ds.description and "10.1145/2827872" in ds.description
    if split == "time":
        assert ds.splits["test"].tolist() == [3, 4]  # the two latest timestamps (300, 200)


def test_load_bad_arguments(tmp_path, monkeypatch):
    monkeypatch.setattr(ml.subprocess, "run", no_pip)
    with pytest.raises(ValueError, match="split"):
        load_movielens(tmp_path, split="user")
    with pytest.raises(ValueError, match="id_order"):
        load_movielens(tmp_path, id_order="by_date")
    with pytest.raises(ValueError, match="seed must be >= 0"):
        load_movielens(tmp_path, seed=-1)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="session")
def ml_cache():
    """The repo's gitignored data/ folder: the real download is cached there across runs."""
    return REPO / "data"


@pytest.mark.network
def test_real_movielens(ml_cache, tmp_path, monkeypatch):
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir(), tmp.mkdir()
    monkeypatch.chdir(cwd)  # anything written relative to the cwd would land here
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # the wheel's temporary folder lands here
    top_before = {p.name for p in REPO.iterdir()}
    try:
        ds = load_movielens(ml_cache, split="time", verbose=False)
    except DataFetchError as err:
        if err.kind == "download":
            pytest.skip(f"PyPI unreachable: {err}")
        raise
    rnd = load_movielens(ml_cache, split="random", verbose=False)

    for d in (ds, rnd):
        assert d.num_rows == 100_000 and abs(d.positive_rate - 0.554) <= 0.001
        assert d.cardinalities == {"user_id": 943, "item_id": 1682, "gender": 2, "occupation": 21,
                                   "zip_code": 795, "age": 7, "release_year": 72, "genres": 19}
        assert len(np.unique(d.X[:, 0])) == 943 and len(np.unique(d.X[:, 1])) == 1682
    assert [len(rnd.splits[k]) for k in ("train", "valid", "test")] == [80_000, 10_000, 10_000]
    assert [len(ds.splits[k]) for k in ("train", "valid", "test")] == [70_000, 10_000, 20_000]
    assert ds.unseen_mask("test", ["user_id"]).any() and ds.unseen_mask("test", ["item_id"]).any()
    assert not rnd.unseen_mask("test", ["gender", "occupation"]).any()

    assert sorted(p.name for p in (ml_cache / "ml-100k").iterdir()) == NAMES
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []
    assert {p.name for p in REPO.iterdir()} - top_before <= {".pytest_cache", ".hypothesis"}
    check = subprocess.run(["git", "check-ignore", "-q", "data/ml-100k/ml-100k.inter"], cwd=REPO)
    # 128: not a git checkout
    assert check.returncode in (0, 128), "data/ml-100k must be gitignored"

"""Tests of load_csv on small generated CSV/TSV files."""
import ast
import gzip
import re

import numpy as np
import pandas as pd
import pytest

from bhlib.data import load_csv

CSV = """click,site,device,price,hour
1,a,x,1.5,3
0,b,,2.0,
0,a,y,,5
1,c,x,0.5,6
0,,x,3.0,7
1,b,y,nan,8
0,a,x,1.0,9
1,007,y,2.5,10
0,7,x,1.0,11
1,a,y,4.0,12
"""


@pytest.fixture
def csv_path(tmp_path):
    p = tmp_path / "clicks.csv"
    p.write_text(CSV)
    return p


def test_basic_load(csv_path):
    ds = load_csv(csv_path, label="click", categorical=["site", "device"], dense=["price", "hour"])
    assert ds.name == "clicks" and ds.X.shape == (10, 2) and ds.X.dtype == np.int64
    assert ds.y.tolist() == [1, 0, 0, 1, 0, 1, 0, 1, 0, 1]
    # site: a, b, c, 007, 7 and <missing> ("007" and "7" stay different: read as strings)
    assert ds.cardinalities == {"site": 6, "device": 3}
    assert ds.dense.dtype == np.float32 and ds.dense.shape == (10, 2)
    assert ds.dense[:, 0].tolist() == [1.5, 2.0, 0.0, 0.5, 3.0, 0.0, 1.0, 2.5, 1.0, 4.0]
    assert "{'site': 1, 'device': 1}" in ds.description  # missing categorical counts
    assert "{'price': 2, 'hour': 1}" in ds.description  # missing numeric counts
    assert sum(len(v) for v in ds.splits.values()) == 10


def test_missing_token_is_one_value(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("y,c\n1,\n0,\n1,a\n0,a\n")
    ds = load_csv(p, label="y", categorical=["c"], id_order="sorted")
    # sorted vocabulary: '<missing>' < 'a'
    assert ds.X[:, 0].tolist() == [0, 0, 1, 1] and ds.cardinalities["c"] == 2


@pytest.mark.parametrize("suffix", [".tsv", ".txt", ".tsv.gz"])
def test_tab_separator_inferred(tmp_path, suffix):
    text = CSV.replace(",", "\t")
    p = tmp_path / f"clicks{suffix}"
    if suffix.endswith(".gz"):
        p.write_bytes(gzip.compress(text.encode()))
    else:
        p.write_text(text)
    ds = load_csv(p, label="click", categorical=["site"])
    assert ds.num_rows == 10 and ds.name == "clicks"


def test_explicit_separator(tmp_path):
    p = tmp_path / "pipe.dat"
    p.write_text(CSV.replace(",", "|"))
    assert load_csv(p, label="click", categorical=["device"], sep="|").cardinalities["device"] == 3


@pytest.mark.parametrize("labels", [["0", "1"], ["True", "False"], ["true", "false"],
                                    ["0.0", "1.0"]])
def test_label_formats(tmp_path, labels):
    p = tmp_path / "l.csv"
    pd.DataFrame({"y": labels * 3, "c": list("abcdef")}).to_csv(p, index=False)
    ds = load_csv(p, label="y", categorical=["c"])
    assert sorted(set(ds.y.tolist())) == [0.0, 1.0]
    assert ds.y.tolist()[:2] == ([0, 1] if labels[0] in ("0", "0.0") else [1, 0])


def test_bool_labels_from_pandas(tmp_path):
    p = tmp_path / "b.csv"
    pd.DataFrame({"y": [True, False, True], "c": ["a", "b", "c"]}).to_csv(p, index=False)
    assert load_csv(p, label="y", categorical=["c"]).y.tolist() == [1, 0, 1]


def test_label_not_binary_lists_values(tmp_path):
    p = tmp_path / "bad.csv"
    pd.DataFrame({"y": list(range(15)), "c": ["a"] * 15}).to_csv(p, index=False)
    with pytest.raises(ValueError, match=r"'y' must be binary.*and 5 more") as info:
        load_csv(p, label="y", categorical=["c"])
    listed = ast.literal_eval(re.search(r"found values (\[.*?\])", str(info.value)).group(1))
    assert listed == [str(i) for i in range(2, 12)]  # up to 10 values, non-binary ones first
    p.write_text("y,c\n1,a\n,b\n")
    with pytest.raises(ValueError, match="1 missing values"):
        load_csv(p, label="y", categorical=["c"])


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_csv(tmp_path / "nope.csv", label="y", categorical=["c"])


def test_missing_columns(csv_path):
    with pytest.raises(ValueError,
                       match=r"\['region', 'age'\] not found.*"
                             r"available columns: \['click', 'site'"):
        load_csv(csv_path, label="click", categorical=["site", "region"], dense=["age"])


def test_empty_files(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_csv(p, label="y", categorical=["c"])
    p.write_text("y,c\n")
    with pytest.raises(ValueError, match="no data rows"):
        load_csv(p, label="y", categorical=["c"])


def test_nrows_reported(csv_path):
    ds = load_csv(csv_path, label="click", categorical=["site"], nrows=4)
    assert ds.num_rows == 4 and "nrows=4" in ds.description


def test_id_order_and_seed(csv_path):
    a = load_csv(csv_path, label="click", categorical=["site", "device"], seed=3)
    b = load_csv(csv_path, label="click", categorical=["site", "device"], seed=3)
    assert (a.X == b.X).all() and all((a.splits[k] == b.splits[k]).all() for k in a.splits)
    s = load_csv(csv_path, label="click", categorical=["device"], id_order="sorted")
    assert s.X[:, 0].tolist() == [1, 0, 2, 1, 1, 2, 1, 2, 1, 2]  # '<missing>' < 'x' < 'y'


def test_ordered_split(csv_path):
    ds = load_csv(csv_path, label="click", categorical=["site"], split="ordered")
    assert ds.splits["train"].tolist() == list(range(8)) and ds.splits["test"].tolist() == [9]


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(label="click", categorical="site"), TypeError, "categorical"),
    (dict(label="click", categorical=[]), ValueError, "categorical"),
    (dict(label="click", categorical=["site", "site"]), ValueError, "twice"),
    (dict(label="click", categorical=["site", "click"]), ValueError, r"\['click'\].*more than one"),
    (dict(label=["click"], categorical=["site"]), TypeError, "label"),
    (dict(label="click", categorical=["site"], split="time"), ValueError, "split"),
    (dict(label="click", categorical=["site"], nrows=0), ValueError, "nrows"),
    (dict(label="click", categorical=["hour"], dense=["device"]), ValueError,
     "dense column 'device'.*'x'"),
    (dict(label="click", categorical=["site"], id_order="asc"), ValueError, "id_order"),
])
def test_bad_arguments(csv_path, kwargs, err, match):
    with pytest.raises(err, match=match):
        load_csv(csv_path, **kwargs)

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


# --- rows with the wrong number of fields, encodings, compressed files, option types ---

def test_row_with_too_many_fields_names_its_line(csv_path):
    lines = CSV.splitlines()
    lines[4] = "1,c,x,0,5,6"  # line 5 of the file (header is line 1): an unquoted ',' in a value
    csv_path.write_text("\n".join(lines) + "\n")
    # the extra field is an error even when only other columns are wanted (usecols dropped it)
    with pytest.raises(ValueError, match=r"clicks\.csv line 5: expected 5 fields \(as in the "
                                         r"header\), found 6; quote values that contain ','$"):
        load_csv(csv_path, label="click", categorical=["site"])


def test_first_data_row_with_an_extra_field_is_not_an_index(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("y,c\n1,a,\n0,b\n")  # pandas alone would take column y as the index
    with pytest.raises(ValueError, match=r"t\.csv line 2: expected 2 fields.*found 3"):
        load_csv(p, label="y", categorical=["c"])


def test_row_with_too_few_fields_names_its_line(tmp_path):
    p = tmp_path / "short.csv"
    # blank lines are skipped but counted: the short rows are lines 5 and 7
    p.write_text("y,c,d\n1,a,x\n\n  \n0,b\n1,c,y\n0,\n")
    with pytest.raises(ValueError, match=r"short\.csv line 5: expected 3 fields \(as in the "
                                         r"header\), found 2; every row needs one value, possibly "
                                         r"empty, per column; 2 lines in all have a wrong "
                                         r"number of fields"):
        load_csv(p, label="y", categorical=["c"])


def test_line_numbers_count_line_breaks_in_quoted_values(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('y,c,d\n1,"a\nb",x\n0,"b,c",y\n1,"c\n\nd",y,z\n')
    with pytest.raises(ValueError, match=r"q\.csv line 5: expected 3 fields.*found 4 \(a quoted "
                                         r"value runs the record on to line 7\)"):
        load_csv(p, label="y", categorical=["c"])
    p.write_text('y,c,d\n1,"a\nb",x\n0,"b,c",y\n')  # quoted separators and breaks are fine
    ds = load_csv(p, label="y", categorical=["c"], id_order="sorted")
    assert ds.num_rows == 2 and ds.cardinalities["c"] == 2


def test_unclosed_quote_is_reported(tmp_path):
    p = tmp_path / "open.csv"
    p.write_text('y,c\n1,a\n0,"b\n1,c\n')
    with pytest.raises(ValueError, match=r"open\.csv: the quoted value that starts on line 3 is "
                                         r"never closed"):
        load_csv(p, label="y", categorical=["c"])


def test_nrows_checks_only_the_rows_it_reads(csv_path):
    csv_path.write_text(CSV + "1,a,x,1,2,3\n")  # bad line 12, beyond nrows
    assert load_csv(csv_path, label="click", categorical=["site"], nrows=10).num_rows == 10
    with pytest.raises(ValueError, match="line 12: expected 5 fields"):
        load_csv(csv_path, label="click", categorical=["site"], nrows=11)


def test_latin1_file(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes("y,city\n1,Paris\n0,Orl\xe9ans\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.csv cannot be decoded as utf-8 at line 3 "
                                         r"\(byte offset 20: b'\\xe9'\); pass the file's "
                                         r"encoding, e\.g\. load_csv\(\.\.\., "
                                         r"encoding=\"latin-1\"\)"):
        load_csv(p, label="y", categorical=["city"])
    ds = load_csv(p, label="y", categorical=["city"], encoding="latin-1", id_order="sorted")
    assert ds.X[:, 0].tolist() == [1, 0] and "encoding 'latin-1'" in ds.description
    p.write_bytes('y,city\n1,"Paris"\n0,Orl\xe9ans\n'.encode("latin-1"))  # the csv-module scan
    with pytest.raises(ValueError, match=r"cannot be decoded as utf-8 at line 3"):
        load_csv(p, label="y", categorical=["city"])


def test_utf8_byte_order_mark_and_utf16(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + "y,c\n1,\xe9\n0,a\n".encode())
    assert load_csv(p, label="y", categorical=["c"]).num_rows == 2
    p.write_bytes("y,c\n1,\xe9\n0,a,b\n".encode("utf-16"))
    with pytest.raises(ValueError, match=r"line 3: expected 2 fields .*found 3"):
        load_csv(p, label="y", categorical=["c"], encoding="utf-16")


def test_repeated_header_name_is_refused(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("y,c,c\n1,a,b\n")
    with pytest.raises(ValueError, match=r"columns \{'c': 2\}.*more than once in the header"):
        load_csv(p, label="y", categorical=["c"])


def test_gzip_files(tmp_path, csv_path):
    good = tmp_path / "clicks.csv.gz"
    good.write_bytes(gzip.compress(CSV.encode()))
    a = load_csv(good, label="click", categorical=["site", "device"], dense=["price"])
    b = load_csv(csv_path, label="click", categorical=["site", "device"], dense=["price"])
    assert a.name == "clicks" and (a.X == b.X).all() and (a.dense == b.dense).all()
    data = gzip.compress(CSV.encode() * 50)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.csv\.gz is truncated: the compressed data ends "
                                         r"before its end marker"):
        load_csv(cut, label="click", categorical=["site"])
    fake = tmp_path / "fake.csv.gz"
    fake.write_bytes(CSV.encode())
    with pytest.raises(ValueError, match=r"fake\.csv\.gz is not a valid gzip file or is damaged"):
        load_csv(fake, label="click", categorical=["site"])


def test_numpy_integers_are_integers(csv_path):
    ds = load_csv(csv_path, label="click", categorical=["site"], seed=np.int64(3),
                  nrows=np.int32(4))
    assert ds.num_rows == 4 and "seed=3" in ds.description


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(path=3), TypeError, r"path must be a file path \(str or os\.PathLike\), got 3 \(int\)"),
    (dict(path=None), TypeError, r"path must be a file path.*got None"),
    (dict(sep=5), TypeError, r"sep must be a one-character str.*got 5 \(int\)"),
    (dict(sep=",,"), ValueError, r"sep must be exactly one character.*got ',,'"),
    (dict(sep=""), ValueError, r"sep must be exactly one character.*got ''"),
    (dict(sep='"'), ValueError, r"sep must be exactly one character.*got '\"'"),
    (dict(name=3), TypeError, r"name must be a str or None.*got 3 \(int\)"),
    (dict(name=""), ValueError, r"name must be a non-empty str or None.*got ''"),
    (dict(seed=-1), ValueError, r"seed must be >= 0, got -1"),
    (dict(seed=True), TypeError, r"seed must be an int, got True \(bool\)"),
    (dict(seed=1.0), TypeError, r"seed must be an int, got 1\.0 \(float\)"),
    (dict(nrows=True), TypeError, r"nrows must be an int, got True \(bool\)"),
    (dict(nrows=2.0), TypeError, r"nrows must be an int, got 2\.0 \(float\)"),
    (dict(nrows=-3), ValueError, r"nrows must be >= 1, got -3"),
    (dict(label=None), TypeError, r"label must be a column name \(str\), got None"),
    (dict(encoding=8), TypeError, r"encoding must be a codec name \(str\).*got 8 \(int\)"),
    (dict(encoding="utf9"), ValueError, r"encoding must be a text encoding known to Python.*"
                                        r"got 'utf9'"),
    (dict(encoding="hex"), ValueError, r"encoding must be a text encoding.*got 'hex'"),
    (dict(sepp=","), TypeError, "sepp"),
])
def test_bad_options(csv_path, kwargs, err, match):
    args = dict(path=csv_path, label="click", categorical=["site"]) | kwargs
    with pytest.raises(err, match=match):
        load_csv(args.pop("path"), **args)

"""Memory-budget tables against closed forms: allocated modules, sqrt(V) for Q-R, 2n rows for BH."""
import math

import pytest

import bhlib
from bhlib import display, teaching
from bhlib.embeddings import bytes_per_parameter
from bhlib.model import ModelConfig, plan_fields


def test_format_bytes():
    assert display.format_bytes(0) == "0 B"
    assert display.format_bytes(999) == "999 B"
    assert display.format_bytes(1000) == "1 kB"
    assert display.format_bytes(2.5e9) == "2.5 GB"
    assert display.format_bytes(7.68e11) == "768 GB"
    assert display.format_bytes(3e13) == "30 TB"


def test_bytes_per_parameter_matches_allocated_modules():
    emb = bhlib.FullEmbedding(100, 8)
    for opt in (None, "sgd", "sgd_momentum", "adagrad", "adam", "sparse_adam"):
        assert emb.memory_bytes(opt) == emb.num_parameters() * bytes_per_parameter(opt)
    with pytest.raises(ValueError, match="optimizer"):
        bytes_per_parameter("lion")


@pytest.mark.parametrize("V", [10, 943, 1682, 10**6])
def test_smallest_plan_closed_forms(V):
    n = bhlib.bits_needed(V)
    d = 16
    assert teaching.smallest_plan("full", V, d).num_rows == V
    assert teaching.smallest_plan("hash", V, d).num_rows == 1
    assert teaching.smallest_plan("multi_hash", V, d).num_rows == 2
    assert teaching.smallest_plan("bh-succession", V, d).num_rows == 2 * n
    assert teaching.smallest_plan("bh-skip", V, d).num_rows == 2 * n
    qr = teaching.smallest_plan("qr", V, d).num_rows
    assert qr == min(-(-V // r) + r for r in range(1, V + 1))  # brute-force minimum of ceil(V/r)+r
    assert qr >= 2 * math.isqrt(V)


@pytest.mark.parametrize("method", list(bhlib.METHODS))
def test_smallest_plan_is_smallest(method):
    p = teaching.smallest_plan(method, 5000, 8)
    with pytest.raises(bhlib.BudgetError):
        name, kw = bhlib.METHODS[method]
        bhlib.plan_embedding(name, 5000, 8, num_params=p.num_parameters - 1, **kw)


def test_reach_table():
    t = teaching.reach_table(10**6, 16).set_index("method")
    assert t.loc["qr", "max_ratio"] == 500.0
    assert t.loc["bh-succession", "max_ratio"] == 25000.0
    assert t.loc["full", "max_ratio"] == 1.0
    with pytest.raises(ValueError, match="method"):
        teaching.reach_table(100, 4, ["nope"])


@pytest.mark.parametrize("budget", [1e3, 2e6, 5e7, 4e9, 8e10, 1e13])
@pytest.mark.parametrize("optimizer", [None, "adam"])
def test_budget_table_fits_means_within_budget(budget, optimizer):
    V, D = 10**9, 64
    t = teaching.budget_table(V, D, budget, optimizer=optimizer)
    per = bytes_per_parameter(optimizer)
    assert list(t["method"]) == list(bhlib.LESSON_METHODS)
    for row in t.itertuples():
        assert row.bytes == row.num_params * per
        assert row.achieved_ratio == round(V * D / row.num_params, 1)
        if row.fits:
            assert row.bytes <= budget
        else:  # listed with its smallest configuration, which is still too big
            assert row.bytes > budget
            assert row.num_params == teaching.smallest_plan(row.method, V, D).num_parameters
    full = t.set_index("method").loc["full"]
    assert bool(full.fits) == (V * D * per <= budget)


def test_budget_table_matches_a_built_module():
    t = teaching.budget_table(10**5, 16, 1e6, methods=["bh-succession"])
    name, kw = bhlib.METHODS["bh-succession"]
    emb = bhlib.make_embedding(name, 10**5, 16, num_params=int(1e6 // 12), **kw)
    assert t["bytes"][0] == emb.memory_bytes("adam")
    assert t["num_rows"][0] == emb.num_rows


def test_budget_table_bad_input():
    with pytest.raises(ValueError, match="budget_bytes"):
        teaching.budget_table(100, 4, 0)
    with pytest.raises(TypeError, match="budget_bytes"):
        teaching.budget_table(100, 4, True)
    with pytest.raises(ValueError, match="optimizer"):
        teaching.budget_table(100, 4, 1e6, optimizer="lion")
    with pytest.raises(ValueError, match="num_embeddings"):
        teaching.budget_table(0, 4, 1e6)


def test_device_table_agrees_with_budget_table():
    devices = {"big": 10**13, "phone": 5 * 10**7, "tiny": 10**4}
    t = teaching.device_table(10**9, 64, devices)
    assert list(t.columns) == list(devices)
    assert t.loc["full", "big"] == "1x" and t.loc["full", "phone"] == "-"
    assert t.loc["qr", "tiny"] == "-"
    phone = teaching.budget_table(10**9, 64, 5 * 10**7).set_index("method")
    for m in bhlib.LESSON_METHODS:
        expected = f"{phone.loc[m, 'achieved_ratio']:,.0f}x" if phone.loc[m, "fits"] else "-"
        assert t.loc[m, "phone"] == expected


def test_planned_sizes_match_plan_fields():
    cards = {"user": 943, "item": 1682, "zip": 795, "gender": 2}
    t = teaching.planned_sizes(cards, ["hash", "qr", "bh-skip"], [3, 30])
    assert list(t.columns) == ["method", "target_ratio", "user", "item", "zip", "achieved_ratio"]
    for row in t.to_dict("records"):
        try:
            plans = plan_fields(cards, ModelConfig(method=row["method"], ratio=row["target_ratio"]))
        except bhlib.BudgetError:
            assert row["user"] == row["item"] == row["achieved_ratio"] == "-"
            continue
        for f in ("user", "item", "zip"):
            assert row[f] == plans[f][1].num_rows
        params = sum(plans[f][1].num_parameters for f in ("user", "item", "zip"))
        assert row["achieved_ratio"] == round((943 + 1682 + 795) * 16 / params, 1)

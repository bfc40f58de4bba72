"""Memory-budget tables against closed forms: allocated modules, sqrt(V) for Q-R, 2n rows for BH."""
import math

import pytest

import bhlib
from bhlib import budgets


def test_format_bytes():
    assert budgets.format_bytes(0) == "0 B"
    assert budgets.format_bytes(999) == "999 B"
    assert budgets.format_bytes(1000) == "1 kB"
    assert budgets.format_bytes(2.5e9) == "2.5 GB"
    assert budgets.format_bytes(7.68e11) == "768 GB"
    assert budgets.format_bytes(3e13) == "30 TB"


def test_bytes_per_parameter_matches_allocated_modules():
    emb = bhlib.FullEmbedding(100, 8)
    for opt in (None, "sgd", "sgd_momentum", "adagrad", "adam", "sparse_adam"):
        assert emb.memory_bytes(opt) == emb.num_parameters() * budgets.bytes_per_parameter(opt)
    with pytest.raises(ValueError, match="optimizer"):
        budgets.bytes_per_parameter("lion")


@pytest.mark.parametrize("V", [10, 943, 1682, 10**6])
def test_smallest_plan_closed_forms(V):
    n = bhlib.bits_needed(V)
    d = 16
    assert budgets.smallest_plan("full", V, d).num_rows == V
    assert budgets.smallest_plan("hash", V, d).num_rows == 1
    assert budgets.smallest_plan("multi_hash", V, d).num_rows == 2
    assert budgets.smallest_plan("bh-succession", V, d).num_rows == 2 * n
    assert budgets.smallest_plan("bh-skip", V, d).num_rows == 2 * n
    qr = budgets.smallest_plan("qr", V, d).num_rows
    assert qr == min(-(-V // r) + r for r in range(1, V + 1))  # brute-force minimum of ceil(V/r)+r
    assert qr >= 2 * math.isqrt(V)


@pytest.mark.parametrize("method", list(bhlib.METHODS))
def test_smallest_plan_is_smallest(method):
    p = budgets.smallest_plan(method, 5000, 8)
    with pytest.raises(bhlib.BudgetError):
        name, kw = bhlib.METHODS[method]
        bhlib.plan_embedding(name, 5000, 8, num_params=p.num_parameters - 1, **kw)


def test_reach_table():
    t = budgets.reach_table(10**6, 16).set_index("method")
    assert t.loc["qr", "max_ratio"] == 500.0
    assert t.loc["bh-succession", "max_ratio"] == 25000.0
    assert t.loc["full", "max_ratio"] == 1.0
    with pytest.raises(ValueError, match="method"):
        budgets.reach_table(100, 4, ["nope"])


@pytest.mark.parametrize("budget", [1e3, 2e6, 5e7, 4e9, 8e10, 1e13])
@pytest.mark.parametrize("optimizer", [None, "adam"])
def test_budget_table_fits_means_within_budget(budget, optimizer):
    V, D = 10**9, 64
    t = budgets.budget_table(V, D, budget, optimizer=optimizer)
    per = budgets.bytes_per_parameter(optimizer)
    assert list(t["method"]) == list(bhlib.METHODS)
    for row in t.itertuples():
        assert row.bytes == row.params * per
        assert row.ratio == round(V * D / row.params, 1)
        if row.fits:
            assert row.bytes <= budget
        else:  # listed with its smallest configuration, which is still too big
            assert row.bytes > budget
            assert row.params == budgets.smallest_plan(row.method, V, D).num_parameters
    full = t.set_index("method").loc["full"]
    assert bool(full.fits) == (V * D * per <= budget)


def test_budget_table_matches_a_built_module():
    t = budgets.budget_table(10**5, 16, 1e6, methods=["bh-succession"])
    name, kw = bhlib.METHODS["bh-succession"]
    emb = bhlib.make_embedding(name, 10**5, 16, num_params=int(1e6 // 12), **kw)
    assert t["bytes"][0] == emb.memory_bytes("adam")
    assert t["rows"][0] == emb.num_rows


def test_budget_table_bad_input():
    with pytest.raises(ValueError, match="budget_bytes"):
        budgets.budget_table(100, 4, 0)
    with pytest.raises(ValueError, match="budget_bytes"):
        budgets.budget_table(100, 4, True)
    with pytest.raises(ValueError, match="optimizer"):
        budgets.budget_table(100, 4, 1e6, optimizer="lion")
    with pytest.raises(ValueError, match="num_embeddings"):
        budgets.budget_table(0, 4, 1e6)


def test_device_table_agrees_with_budget_table():
    devices = {"big": 10**13, "phone": 5 * 10**7, "tiny": 10**4}
    t = budgets.device_table(10**9, 64, devices)
    assert list(t.columns) == list(devices)
    assert t.loc["full", "big"] == "1x" and t.loc["full", "phone"] == "-"
    assert t.loc["qr", "tiny"] == "-"
    phone = budgets.budget_table(10**9, 64, 5 * 10**7).set_index("method")
    for m in bhlib.METHODS:
        expected = f"{phone.loc[m, 'ratio']:,.0f}x" if phone.loc[m, "fits"] else "-"
        assert t.loc[m, "phone"] == expected

"""Equal-budget sizing: every scheme fits the budget, uses as much of it as it can, or says why
not."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bhlib
from bhlib import EMBEDDINGS, METHODS, BudgetError, make_embedding, plan_embedding
from bhlib.embeddings.qr import qr_rows


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 10**7), st.sampled_from([4, 8, 16, 64]),
       st.sampled_from([1.5, 2, 10, 100, 1000]), st.sampled_from(sorted(METHODS)))
def test_plans_fit_their_budget(v, d, ratio, method):
    name, kw = METHODS[method]
    try:
        plan = plan_embedding(name, v, d, ratio=ratio, **kw)
    except BudgetError:
        return
    assert plan.num_parameters <= plan.budget
    assert plan.achieved_ratio >= ratio * (1 - 1e-9)
    assert plan.num_parameters == EMBEDDINGS[name].parameter_count(
        v, d, **{k: val for k, val in plan.hparams.items() if k not in ("seed", "field")})


def test_hash_and_multi_hash_use_the_whole_budget():
    p = plan_embedding("hash", 10**6, 16, ratio=100)
    assert p.hparams["num_buckets"] == 10_000 and p.achieved_ratio == 100
    p = plan_embedding("multi_hash", 10**6, 16, ratio=100, num_hashes=4)
    assert p.hparams["num_buckets"] == 2_500 and p.num_rows == 10_000


def test_qr_picks_the_smallest_feasible_r():
    v, d = 10**6, 16
    for ratio in (2, 10, 100, 400):
        p = plan_embedding("qr", v, d, ratio=ratio)
        r, rows_budget = p.hparams["num_collisions"], p.budget // d
        assert qr_rows(v, r) <= rows_budget
        assert all(qr_rows(v, s) > rows_budget for s in range(1, r))


def test_qr_ceiling_near_sqrt_v_over_2_is_reported_not_faked():
    with pytest.raises(BudgetError, match="500.0x at most"):
        plan_embedding("qr", 10**6, 16, ratio=1000)
    assert plan_embedding("qr", 10**6, 16, ratio=499).achieved_ratio >= 499


def test_full_only_at_ratio_one():
    assert plan_embedding("full", 100, 4, ratio=1).num_parameters == 400
    with pytest.raises(BudgetError, match="only ratio <= 1"):
        make_embedding("full", 100, 4, ratio=10)


@pytest.mark.parametrize("strategy", ["succession", "skip"])
def test_bh_picks_the_largest_block_size_that_fits(strategy):
    v, d = 10**6, 16
    for ratio in (10, 100, 1000):
        p = plan_embedding("bh", v, d, ratio=ratio, strategy=strategy)
        key = "block_bits" if strategy == "succession" else "num_blocks"
        others = [bhlib.table_rows(20, strategy=strategy, **{key: s}) * d for s in range(1, 21)]
        fitting = [o for o in others if o <= p.budget]
        assert p.num_parameters == max(fitting)


def test_bh_reaches_1000x_and_more_q_r_does_not():
    bh = make_embedding("bh", 10**6, 16, ratio=1000, strategy="succession")
    assert bh.compression_ratio >= 1000 and bh.plan.hparams["block_bits"] == 8
    assert make_embedding("bh", 10**7, 16, ratio=10_000).compression_ratio >= 10_000
    with pytest.raises(BudgetError, match="smallest succession configuration"):
        plan_embedding("bh", 10**6, 16, ratio=10**6)


def test_budget_argument_errors():
    with pytest.raises(ValueError, match="not both"):
        plan_embedding("hash", 100, 4, ratio=2, num_params=10)
    with pytest.raises(ValueError, match="ratio must be a positive number"):
        plan_embedding("hash", 100, 4, ratio=-1)
    with pytest.raises(ValueError, match="name must be one of"):
        plan_embedding("bloom", 100, 4, ratio=2)
    with pytest.raises(ValueError, match="give the budget or the size, not both"):
        plan_embedding("bh", 100, 4, ratio=2, block_bits=3)
    with pytest.raises(BudgetError, match="holds no row"):
        plan_embedding("hash", 100, 4, num_params=3)


def test_num_params_budget_and_plan_build_agree():
    p = plan_embedding("bh", 50_000, 8, num_params=4_000, strategy="skip")
    emb = p.build()
    assert emb.num_parameters() == p.num_parameters <= 4_000
    assert p.memory_bytes("adam") == emb.memory_bytes("adam")


def test_make_embedding_without_budget_passes_sizes_through():
    emb = make_embedding("qr", 1000, 4, num_collisions=10, operation="add")
    assert emb.num_collisions == 10 and emb.plan.budget is None

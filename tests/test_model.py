"""Tests of the CTR model: every scheme plugs in, sizes add up, bags pool, bad input is refused."""
import numpy as np
import pytest
import torch

import bhlib
from bhlib import METHODS, BudgetError, plan_embedding
from bhlib.data import CTRDataset
from bhlib.model import CTRModel, ModelConfig, plan_fields

CARDS = {"user": 5000, "item": 300, "gender": 2, "genres": 40}


def toy_data(n=64, dense=True, seed=0):
    """A CTRDataset with two large fields, one tiny field, a genre bag and dense features."""
    rng = np.random.default_rng(seed)
    X = np.stack([rng.integers(0, 5000, n), rng.integers(0, 300, n), rng.integers(0, 2, n)], 1)
    bags = rng.integers(-1, 40, (n, 3))
    bags[0] = -1  # an empty bag
    order = rng.permutation(n)
    splits = {k: np.sort(order[a:b]).astype(np.int64)
              for k, a, b in (("train", 0, n // 2), ("valid", n // 2, 3 * n // 4),
                              ("test", 3 * n // 4, n))}
    return CTRDataset(name="toy", fields=["user", "item", "gender"], X=X.astype(np.int64),
                      y=(rng.random(n) < 0.4).astype(np.float32), cardinalities=dict(CARDS),
                      splits=splits,
                      bags={"genres": bags.astype(np.int64)},
                      dense=rng.normal(size=(n, 2)).astype(np.float32) if dense else None)


def inputs(ds, rows=slice(None)):
    out = {"x": torch.from_numpy(ds.X[rows]),
           "bags": {"genres": torch.from_numpy(ds.bags["genres"][rows])}}
    if ds.dense is not None:
        out["dense"] = torch.from_numpy(ds.dense[rows])
    return out


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_plugs_in(method):
    ds = toy_data()
    ratio = None if method == "full" else 4
    model = CTRModel.for_dataset(ds, ModelConfig(method=method, ratio=ratio, embedding_dim=8))
    logits = model(**inputs(ds))
    assert logits.shape == (64,) and torch.isfinite(logits).all()
    logits.sum().backward()
    sizes = model.sizes().set_index("field")
    compressed = {"user", "item"} if method != "full" else set()
    assert {f for f in sizes.index
            if sizes.loc[f, "method"] == method and method != "full"} == compressed
    assert sizes.loc["gender", "method"] == "full" and sizes.loc["genres", "method"] == "full"


def test_sizes_match_the_closed_form_plans():
    model = CTRModel(CARDS, ["user", "item", "gender"], bag_fields=["genres"],
                     config=ModelConfig(method="bh-succession", ratio=10, embedding_dim=16))
    sizes = model.sizes().set_index("field")
    name, fixed = METHODS["bh-succession"]
    plan = plan_embedding(name, 5000, 16, ratio=10, **fixed)
    assert (sizes.loc["user", "params"] == plan.num_parameters
            == model.embeddings["user"].num_parameters())
    assert sizes.loc["user", "ratio"] == pytest.approx(plan.achieved_ratio)
    assert (sizes["bytes_adam"] == 3 * sizes["bytes"]).all()
    rep = model.size_report()
    assert rep["embedding_params"] == sizes["params"].sum() == model.embedding_params
    assert rep["full_embedding_params"] == 16 * sum(CARDS.values())
    assert rep["embedding_ratio"] == pytest.approx(rep["full_embedding_params"]
                                                   / rep["embedding_params"])
    assert rep["compressed_fields"] == ["user", "item"]
    comp = sizes.loc[["user", "item"]]
    assert rep["compressed_ratio"] == pytest.approx(comp["full_params"].sum()
                                                    / comp["params"].sum())
    assert rep["model_ratio"] < rep["embedding_ratio"]  # the MLP is not compressed
    assert rep["mlp_params"] == sum(p.numel() for p in model.mlp.parameters())


def test_compressed_fields_by_threshold_or_by_name():
    by_threshold = plan_fields(CARDS, ModelConfig(method="hash", ratio=4, compress_threshold=1000))
    assert [f for f, (m, _) in by_threshold.items() if m == "hash"] == ["user"]
    by_name = plan_fields(CARDS, ModelConfig(method="hash", ratio=2, compress_fields=["genres"]))
    assert [f for f, (m, _) in by_name.items() if m == "hash"] == ["genres"]
    with pytest.raises(ValueError, match="compress_fields names unknown fields.*'nope'"):
        plan_fields(CARDS, ModelConfig(method="hash", ratio=2, compress_fields=["nope"]))


def test_unreachable_ratio_raises_budget_error_and_allocates_nothing():
    with pytest.raises(BudgetError, match="qr"):
        CTRModel(CARDS, ["user", "item", "gender"], bag_fields=["genres"],
                 config=ModelConfig(method="qr", ratio=1000))


def test_bags_are_composed_then_mean_pooled_ignoring_padding():
    ds = toy_data(dense=False)
    model = CTRModel.for_dataset(ds, ModelConfig(method="qr", ratio=2, compress_fields=["genres"]))
    e = model.embed(torch.from_numpy(ds.X),
                    {"genres": torch.from_numpy(ds.bags["genres"])})  # (B, 4, D)
    assert e.shape == (64, 4, 16)
    table = model.embeddings["genres"]
    for row in range(64):
        ids = [i for i in ds.bags["genres"][row] if i >= 0]
        expected = table(torch.tensor(ids)).mean(0) if ids else torch.zeros(16)
        torch.testing.assert_close(e[row, 3], expected)
    assert (e[0, 3] == 0).all()  # the empty bag


def test_same_seed_same_parameters_other_seed_other_parameters():
    make = lambda seed: CTRModel(CARDS, ["user", "item", "gender"], bag_fields=["genres"],  # noqa: E731
                                 config=ModelConfig(method="multi_hash", ratio=10, seed=seed))
    a, b, c = make(0), make(0), make(1)
    for (name, p), q, _r in zip(a.named_parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(p, q), name
    assert not all(torch.equal(p, r) for p, r in zip(a.parameters(), c.parameters(), strict=True))


def test_construction_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    CTRModel(CARDS, ["user"], config=ModelConfig())
    assert torch.equal(torch.rand(3), expected)


def test_ids_never_trained_embed_without_error():
    model = CTRModel(CARDS, ["user", "item", "gender"],
                     config=ModelConfig(method="bh-skip", ratio=10))
    x = torch.tensor([[4999, 299, 1], [0, 0, 0]])
    assert model(x).shape == (2,)


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "nope"}, "method must be one of"),
    ({"default_method": "x"}, "default_method must be one of"),
    ({"ratio": -1}, "ratio must be a positive number"),
    ({"embedding_dim": 0}, "embedding_dim must be >= 1"),
    ({"hidden": (8, 0)}, r"hidden\[1\] must be >= 1"),
    ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
    ({"compress_fields": "user"}, "compress_fields must be a list"),
])
def test_bad_config_names_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ModelConfig(**kwargs)


def test_bad_inputs_name_the_problem():
    ds = toy_data()
    model = CTRModel.for_dataset(ds, ModelConfig())
    inp = inputs(ds)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 3\)"):
        model(inp["x"][:, :2], inp["bags"], inp["dense"])
    with pytest.raises(ValueError, match="bags must hold the bag field 'genres'"):
        model(inp["x"], {}, inp["dense"])
    with pytest.raises(ValueError, match=r"dense must have shape \(64, 2\)"):
        model(inp["x"], inp["bags"], None)
    with pytest.raises(ValueError, match="ids must be < num_embeddings = 5000"):
        model(inp["x"] + 5000, inp["bags"], inp["dense"])
    with pytest.raises(ValueError, match="cardinalities has no entry for fields"):
        CTRModel({"user": 10}, ["user", "item"])
    with pytest.raises(TypeError, match="config must be a ModelConfig"):
        CTRModel(CARDS, ["user"], config={"method": "hash"})


def test_the_model_uses_the_registry_not_scheme_names(monkeypatch):
    """A method added to the registry works without touching the model."""
    monkeypatch.setitem(bhlib.METHODS, "hash-7", ("hash", {"seed": 7}))
    model = CTRModel(CARDS, ["user"], config=ModelConfig(method="hash-7", ratio=50))
    assert model.embeddings["user"].seed == 7 and model.sizes()["method"].tolist() == ["hash-7"]

"""bhlib.optim: the per-table rule (dense fused Adam or SparseAdam) and the optimizer fit() uses."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from bhlib import make_embedding
from bhlib.data import make_synthetic
from bhlib.model import CTRModel, ModelConfig
from bhlib.optim import TrainOptimizer, adam, dense_is_cheaper, table_shape
from bhlib.train import TrainConfig, fit


def test_rule_boundary():
    assert dense_is_cheaper(2048, 2, 1024)          # as many rows as a batch's lookups
    assert not dense_is_cheaper(2049, 2, 1024)
    assert dense_is_cheaper(1, 1, 1)


@pytest.mark.parametrize(("args", "match"), [((0, 1, 1), "num_rows"), ((5, 0, 1), "num_lookups"),
                                             ((5, 1, 1.5), "batch_size")])
def test_rule_refuses_bad_input(args, match):
    with pytest.raises((ValueError, TypeError), match=match):
        dense_is_cheaper(*args)


def test_table_shape_of_schemes_and_torch_modules():
    bh = make_embedding("bh", 10**6, 8, ratio=1000)
    assert table_shape(bh) == (bh.num_rows, bh.num_lookups) == (528, 3)
    assert table_shape(nn.Embedding(7, 2)) == (7, 1)
    assert table_shape(nn.Linear(3, 1)) is None


def _model(method="bh-succession", ratio=100):
    ds = make_synthetic(num_rows=3000, vocab_sizes=(50_000, 300, 4), seed=0)
    cfg = ModelConfig(method=method, ratio=ratio, compress_threshold=1000, embedding_dim=8)
    return ds, CTRModel.for_dataset(ds, cfg)


def _tables(model):
    return {n: m for n, m in model.named_modules() if table_shape(m) is not None}


def test_auto_makes_small_tables_dense_and_restores_the_flags():
    ds, model = _model()
    tables = _tables(model)
    assert all(m.sparse for m in tables.values())
    with TrainOptimizer(model, lr=1e-3, weight_decay=1e-4, batch_size=64) as opt:
        for name, m in tables.items():
            rows, k = table_shape(m)
            assert opt.table_updates[name] == ("dense" if rows <= 64 * k else "sparse")
            assert m.sparse == (opt.table_updates[name] == "sparse")
        assert set(opt.table_updates.values()) == {"dense", "sparse"}  # the 300-id full table
        adam_opt, sparse_opt = opt.opts
        assert adam_opt.defaults["fused"] and isinstance(sparse_opt, torch.optim.SparseAdam)
        decay = [g["weight_decay"] for g in adam_opt.param_groups]
        assert decay == [1e-4, 0.0]  # the MLP is penalized, the dense tables are not
        dense_ids = {id(p) for n, m in tables.items() if opt.table_updates[n] == "dense"
                     for p in m.parameters()}
        assert {id(p) for p in adam_opt.param_groups[1]["params"]} == dense_ids
    assert all(m.sparse for m in tables.values())


def test_flags_are_restored_when_training_fails():
    _, model = _model()
    with pytest.raises(RuntimeError, match="boom"), TrainOptimizer(model, lr=1e-3,
                                                                     batch_size=4096):
        raise RuntimeError("boom")
    assert all(m.sparse for m in _tables(model).values())


@pytest.mark.parametrize("mode", ["sparse", "dense"])
def test_forced_modes(mode):
    _, model = _model()
    with TrainOptimizer(model, lr=1e-3, batch_size=64, table_updates=mode) as opt:
        assert set(opt.table_updates.values()) == {mode}


def test_dense_tables_get_dense_gradients_inside_the_block():
    ds, model = _model()
    batch = {"x": torch.from_numpy(ds.X[:64])}
    with TrainOptimizer(model, lr=1e-3, batch_size=64) as opt:
        model(**batch).sum().backward()
        for name, m in _tables(model).items():
            assert m.weight.grad.is_sparse == (opt.table_updates[name] == "sparse")
        opt.step()
        opt.zero_grad()
        assert all(p.grad is None for p in model.parameters())


def test_bad_mode_is_refused():
    _, model = _model()
    with pytest.raises(ValueError, match="table_updates"):
        TrainOptimizer(model, lr=1e-3, batch_size=64, table_updates="lazy")
    with pytest.raises(ValueError, match="table_updates"):
        TrainConfig(table_updates="lazy")


def test_adam_falls_back_where_fused_is_missing(monkeypatch):
    real = torch.optim.Adam

    def no_fused(params, **kw):
        if kw.get("fused"):
            raise RuntimeError("`fused=True` requires all the params to be on a supported device")
        return real(params, **kw)

    monkeypatch.setattr(torch.optim, "Adam", no_fused)
    opt = adam([nn.Parameter(torch.zeros(2))], lr=0.1)
    assert not opt.defaults["fused"]


def test_fit_records_the_choice_and_sparse_mode_is_the_old_protocol():
    ds, _ = _model()
    cfg = ModelConfig(method="bh-succession", ratio=100, compress_threshold=1000, embedding_dim=8)
    quiet = {"epochs": 2, "batch_size": 256, "progress": False}
    runs = {}
    for mode in ("auto", "sparse"):
        model = CTRModel.for_dataset(ds, cfg)
        runs[mode] = fit(model, ds, TrainConfig(table_updates=mode, **quiet))
        assert all(m.sparse for m in _tables(model).values())
    assert "dense" in runs["auto"].table_updates.values()
    assert set(runs["sparse"].table_updates.values()) == {"sparse"}
    assert runs["auto"].test_auc != runs["sparse"].test_auc  # not the same optimizer

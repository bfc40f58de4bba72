"""Tests of training and evaluation: exact AUC, determinism, early stopping, subsets, bad input."""
import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import roc_auc_score

import bhlib.train as train_mod
from bhlib.data import CTRDataset
from bhlib.metrics import log_loss, roc_auc
from bhlib.model import CTRModel, ModelConfig
from bhlib.optim import TrainOptimizer
from bhlib.train import History, TrainConfig, evaluate, fit, predict

QUIET = dict(progress=False)


def learnable_data(n=2000, seed=0, time_split=False):
    """Two id fields whose ids carry the signal; with time_split, late rows bring new users."""
    rng = np.random.default_rng(seed)
    V = 400
    effect = rng.normal(0, 2.0, V)
    user = rng.integers(0, V, n)
    if time_split:  # the last quarter of rows comes from users 300..399, absent before
        user[: 3 * n // 4] = rng.integers(0, 300, 3 * n // 4)
        user[3 * n // 4:] = rng.integers(300, V, n - 3 * n // 4)
    item = rng.integers(0, 20, n)
    y = (rng.random(n)
         < 1 / (1 + np.exp(-(effect[user] + 0.3 * (item % 3 - 1))))).astype(np.float32)
    order = np.arange(n) if time_split else rng.permutation(n)
    cut = [0, int(0.6 * n), 3 * n // 4, n] if time_split else [0, int(0.7 * n), int(0.85 * n), n]
    splits = {k: np.sort(order[cut[i]:cut[i + 1]]).astype(np.int64)
              for i, k in enumerate(("train", "valid", "test"))}
    X = np.stack([user, item], 1).astype(np.int64)
    return CTRDataset(name="learnable", fields=["user", "item"], X=X, y=y,
                      cardinalities={"user": V, "item": 20}, splits=splits)


# ---------------------------------------------------------------- AUC and logloss
@pytest.mark.parametrize("seed", range(6))
def test_roc_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 500))
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    scores = rng.integers(0, 8, n).astype(np.float32) if seed % 2 else rng.normal(size=n)
    assert roc_auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


def test_roc_auc_edge_cases():
    assert roc_auc([1, 0, 1], [3, 1, 2]) == 1.0
    assert roc_auc([1, 0, 1], [1, 3, 2]) == 0.0
    assert np.isnan(roc_auc([1, 1], [0.2, 0.3]))
    with pytest.raises(ValueError, match="same length"):
        roc_auc([0, 1], [0.5])
    with pytest.raises(ValueError, match="0/1 labels"):
        roc_auc([0, 2], [0.1, 0.2])


def test_log_loss_matches_sklearn():
    rng = np.random.default_rng(1)
    y, z = rng.integers(0, 2, 300), rng.normal(0, 3, 300)
    assert log_loss(y, z) == pytest.approx(sk_log_loss(y, 1 / (1 + np.exp(-z))), rel=1e-9)


# ---------------------------------------------------------------- fit
def test_fit_learns_and_keeps_a_curve():
    ds = learnable_data()
    model = CTRModel.for_dataset(ds, ModelConfig(method="hash", ratio=2, compress_threshold=100))
    h = fit(model, ds, TrainConfig(epochs=4, lr=1e-2, batch_size=100, patience=8,
                                   evals_per_epoch=2, **QUIET))
    assert isinstance(h, History) and len(h.curve) == 8 and not h.stopped_early
    assert [c["epoch"] for c in h.curve] == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    assert h.curve[-1]["step"] == h.steps == 4 * 14  # 1400 train rows / 100
    assert h.test_auc > 0.65 and h.curve[-1]["train_loss"] < h.curve[0]["train_loss"]
    assert h.best_valid_auc == max(c["valid_auc"] for c in h.curve)
    assert set(h.to_dict()) >= {"curve", "test_auc", "test_logloss", "train_seconds", "best_epoch"}


def test_same_seed_same_metrics_other_seed_other_metrics():
    ds = learnable_data()

    def run(seed):
        model = CTRModel.for_dataset(ds, ModelConfig(method="bh-succession", ratio=4, seed=seed))
        return fit(model, ds, TrainConfig(epochs=2, seed=seed, lr=1e-2, batch_size=100, **QUIET))

    a, b, c = run(3), run(3), run(4)
    assert a.test_auc == b.test_auc and a.test_logloss == b.test_logloss
    assert [x["valid_auc"] for x in a.curve] == [x["valid_auc"] for x in b.curve]
    assert a.test_logloss != c.test_logloss


def test_early_stopping_restores_the_best_weights(monkeypatch):
    ds = learnable_data()
    model = CTRModel.for_dataset(ds, ModelConfig(method="hash", ratio=2))
    scripted, snapshots = iter([0.60, 0.70, 0.65, 0.64, 0.99]), []
    real_evaluate = train_mod.evaluate

    def fake_evaluate(m, data, rows, **kw):
        snapshots.append({k: v.clone() for k, v in m.state_dict().items()})
        return {**real_evaluate(m, data, rows, **kw), "auc": next(scripted)}

    monkeypatch.setattr(train_mod, "evaluate", fake_evaluate)
    h = fit(model, ds, TrainConfig(epochs=5, patience=2, lr=1e-2, **QUIET))
    assert len(h.curve) == 4 and h.stopped_early and h.best_epoch == 2 and h.best_valid_auc == 0.70
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, snapshots[1][k])
    assert not all(torch.equal(v, snapshots[3][k]) for k, v in model.state_dict().items())
    assert h.test_auc == pytest.approx(real_evaluate(model, ds, ds.splits["test"])["auc"])


def test_unseen_ids_on_a_time_split_are_embedded_and_scored_separately():
    ds = learnable_data(time_split=True)
    mask = ds.unseen_mask("test")
    assert mask.sum() > 0 and mask.all()  # every test user is new
    valid_unseen = ds.unseen_mask("valid")
    assert 0 < valid_unseen.sum() < len(valid_unseen)
    sub = {"unseen_valid_like": mask, "seen": ~mask}
    for method in ("full", "hash", "qr", "bh-succession", "bh-skip", "multi_hash"):
        model = CTRModel.for_dataset(ds, ModelConfig(method=method,
                                                     ratio=None if method == "full" else 4,
                                                     compress_threshold=100))
        h = fit(model, ds, TrainConfig(epochs=1, **QUIET), subsets=sub)
        assert h.subsets["unseen_valid_like"]["n"] == mask.sum() and h.subsets["seen"]["n"] == 0
        assert np.isfinite(h.subsets["unseen_valid_like"]["logloss"])
        direct = evaluate(model, ds, ds.splits["test"], mask=mask)
        assert direct["auc"] == pytest.approx(h.subsets["unseen_valid_like"]["auc"])


def test_fit_knows_nothing_about_schemes_plain_torch_model_trains():
    """Any module mapping x -> logits trains; a sparse nn.Embedding larger than a batch's
    lookups gets SparseAdam, and the dense parameters fused Adam."""
    ds = learnable_data()

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(400, 1, sparse=True)
            self.bias = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x, bags=None, dense=None):
            return self.emb(x[:, 0]).squeeze(-1) + self.bias  # (B,)

    opt = TrainOptimizer(Tiny(), lr=1e-3, batch_size=64)
    assert [type(o).__name__ for o in opt.opts] == ["Adam", "SparseAdam"]
    assert opt.opts[0].defaults["fused"] and opt.table_updates == {"emb": "sparse"}
    h = fit(Tiny(), ds, TrainConfig(epochs=3, lr=0.1, batch_size=64, **QUIET))
    assert h.test_auc > 0.6 and h.table_updates == {"emb": "sparse"}


def test_predict_is_batched_and_restores_training_mode():
    ds = learnable_data()
    model = CTRModel.for_dataset(ds, ModelConfig(dropout=0.5))
    model.train()
    rows = ds.splits["test"]
    np.testing.assert_allclose(predict(model, ds, rows, batch_size=7), predict(model, ds, rows),
                               rtol=1e-5)
    assert model.training


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"batch_size": 1.5}, "batch_size must be an int"),
    ({"lr": -1}, "lr must be a positive number"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"patience": 0}, "patience must be >= 1"),
    ({"num_threads": 0}, "num_threads must be >= 1"),
    ({"evals_per_epoch": 0}, "evals_per_epoch must be >= 1"),
])
def test_bad_train_config_names_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TrainConfig(**kwargs)


def test_bad_fit_arguments():
    ds = learnable_data()
    model = CTRModel.for_dataset(ds)
    with pytest.raises(TypeError, match="config must be a TrainConfig"):
        fit(model, ds, {"epochs": 1})
    with pytest.raises(ValueError, match="subsets\\['x'\\] must be a bool mask of shape"):
        fit(model, ds, TrainConfig(**QUIET), subsets={"x": np.ones(3, bool)})
    with pytest.raises(ValueError, match="mask must be a bool mask of shape"):
        evaluate(model, ds, ds.splits["test"], mask=np.ones(2, bool))


def test_num_threads_is_restored():
    ds = learnable_data(n=200)
    before = torch.get_num_threads()
    fit(CTRModel.for_dataset(ds), ds, TrainConfig(epochs=1, num_threads=1, **QUIET))
    assert torch.get_num_threads() == before

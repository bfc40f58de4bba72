"""Synthetic, Criteo-shaped CTR data with huge vocabularies and a planted, learnable signal.

Reason: MovieLens-100K has at most 1,682 ids per field, so claims about 1000x smaller tables
need vocabularies of 10^5-10^7. No registry ships Criteo or Avazu, so this
module *generates* data; it is synthetic and documented as such, never a stand-in for real results.

Model, per field f with vocabulary V_f:
  * popularity: values are drawn by rank from Zipf(s), P(rank r) ∝ (r + 1)^-s;
  * each value has a latent cluster (one of K, uniform) and an individual effect ~ N(0, id_effect²);
    each cluster has an effect ~ N(0, cluster_effect²). Shared parameters (hash buckets, BH blocks)
    can at best learn cluster-level signal; only a per-id row learns the individual effect;
  * field 0 x field 1 clusters interact through a K x K matrix ~ N(0, interaction²);
  * label ~ Bernoulli(sigmoid(bias + sum of effects + N(0, noise²))), bias solved so the
    expected positive rate is ``base_rate``.
Dense ids are a seeded random permutation of popularity rank, drawn independently of the clusters,
so neither popularity nor cluster can be read off the bits of an id: BH's bit blocks get no
structure for free (tests/test_data_synthetic.py shows it, and that the check would catch a
numbering by cluster).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._checks import check_int, check_number
from .dataset import CTRDataset
from .encoding import check_fractions, random_split

_POS_FLOAT = ("zipf_exponent", "cluster_effect", "id_effect", "interaction", "noise")


@dataclass(kw_only=True)
class SyntheticConfig:
    """Settings of :func:`make_synthetic`, one concern per field; validated on construction.

    Reason: a typed config (instead of a long argument list) is stored with every experiment
    record, so a synthetic dataset can be regenerated exactly from it.

    Example:
        >>> SyntheticConfig(num_rows=1000, vocab_sizes=(100, 10)).vocab_sizes
        (100, 10)
    """

    num_rows: int = 1_000_000  # rows (impressions) to generate
    # vocabulary per field (Criteo-shaped)
    vocab_sizes: tuple = (1_000_000, 100_000, 10_000, 1_000, 100, 10)
    zipf_exponent: float = 1.1  # popularity skew s: P(rank r) ∝ (r+1)^-s; 0 = uniform
    num_clusters: int = 32  # latent clusters per field (structure shared parameters can learn)
    cluster_effect: float = 1.0  # std of per-cluster logit effects
    id_effect: float = 0.5  # std of per-id individual effects (only a per-id row can learn these)
    interaction: float = 0.5  # std of the cluster x cluster interaction between field 0 and field 1
    noise: float = 0.0  # std of per-row Gaussian logit noise (unlearnable)
    base_rate: float = 0.25  # target positive rate; the bias is solved to hit it
    seed: int = 0  # seed of everything (structure, rows, labels, split)
    split: tuple = (0.8, 0.1, 0.1)  # train / valid / test fractions (random split)

    def __post_init__(self):
        for name, low in (("num_rows", 1), ("num_clusters", 1), ("seed", 0)):
            setattr(self, name, check_int(getattr(self, name), name, low=low))
        if isinstance(self.vocab_sizes, (str, bytes)) or not hasattr(self.vocab_sizes, "__iter__"):
            raise TypeError(f"vocab_sizes must be a sequence of ints, got {self.vocab_sizes!r}")
        self.vocab_sizes = tuple(self.vocab_sizes)
        if not self.vocab_sizes:
            raise ValueError("vocab_sizes must name at least one field, got ()")
        self.vocab_sizes = tuple(check_int(v, f"vocab_sizes[{i}]", low=1)
                                 for i, v in enumerate(self.vocab_sizes))
        for name in _POS_FLOAT:
            setattr(self, name, check_number(getattr(self, name), name, low=0))
        self.base_rate = check_number(self.base_rate, "base_rate", low=0, high=1, low_open=True,
                                      high_open=True)
        if self.interaction > 0 and len(self.vocab_sizes) < 2:
            raise ValueError(f"interaction={self.interaction} needs at least two fields; "
                             "set interaction=0")
        self.split = check_fractions(self.split, "split")


@dataclass(eq=False, kw_only=True)
class SyntheticTruth:
    """The planted structure behind a synthetic dataset (what a perfect model would know).

    Args:
        cluster_of_id: per field, (V,) int64 latent cluster of each dense id.
        id_effect_of_id: per field, (V,) float64 individual effect of each dense id.
        rank_of_id: per field, (V,) int64 popularity rank of each dense id (0 = most popular).
        cluster_effects: per field, (K,) float64 cluster effects.
        interaction: (K, K) float64 effect of (cluster in field 0, cluster in field 1).

    Example:
        >>> t = planted_structure(SyntheticConfig(num_rows=10, vocab_sizes=(8, 4), num_clusters=2))
        >>> t.logit(np.array([[0, 0], [7, 3]])).shape
        (2,)
    """

    cluster_of_id: list
    id_effect_of_id: list
    rank_of_id: list
    cluster_effects: list
    interaction: np.ndarray

    def logit(self, X: np.ndarray) -> np.ndarray:
        """(N,) planted logit of each row of ids X (N, F), without bias and noise."""
        X = np.asarray(X)
        z = np.zeros(len(X))
        for f, (cl, ide, eff) in enumerate(zip(self.cluster_of_id, self.id_effect_of_id,
                                               self.cluster_effects, strict=True)):
            z += eff[cl[X[:, f]]] + ide[X[:, f]]
        if X.shape[1] >= 2:
            z += self.interaction[self.cluster_of_id[0][X[:, 0]], self.cluster_of_id[1][X[:, 1]]]
        return z


def _rng(cfg: SyntheticConfig, purpose: str, f: int = 0) -> np.random.Generator:
    """An independent generator per (purpose, field), so changing one field leaves the others
    alone."""
    key = ("structure", "rows", "interaction", "labels", "split").index(purpose)
    return np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(key, f)))


def planted_structure(cfg: SyntheticConfig) -> SyntheticTruth:
    """Rebuild the planted structure of ``cfg`` (cheap: O(sum of vocab sizes), no rows).

    Reason: tests and notebooks need the ground truth (clusters, effects) to check that the signal
    is learnable and that the id numbering leaks nothing.

    Args:
        cfg: a :class:`SyntheticConfig`.

    Example:
        >>> t = planted_structure(SyntheticConfig(vocab_sizes=(1000,), num_clusters=4,
        ...                                       interaction=0))
        >>> t.cluster_of_id[0].shape, int(t.cluster_of_id[0].max()) < 4
        ((1000,), True)
    """
    if not isinstance(cfg, SyntheticConfig):
        raise TypeError(f"cfg must be a SyntheticConfig, got {type(cfg).__name__}")
    K = cfg.num_clusters
    clusters, effects, ranks, cl_effects = [], [], [], []
    for f, V in enumerate(cfg.vocab_sizes):
        rng = _rng(cfg, "structure", f)
        id_of_rank = rng.permutation(V)  # dense id of popularity rank r: random numbering
        rank_of_id = np.empty(V, dtype=np.int64)
        rank_of_id[id_of_rank] = np.arange(V)
        # per dense id, independent of numbering
        clusters.append(rng.integers(0, K, size=V, dtype=np.int64))
        effects.append(rng.normal(0.0, cfg.id_effect, size=V))
        cl_effects.append(rng.normal(0.0, cfg.cluster_effect, size=K))
        ranks.append(rank_of_id)
    inter = _rng(cfg, "interaction").normal(0.0, cfg.interaction, size=(K, K))
    return SyntheticTruth(cluster_of_id=clusters, id_effect_of_id=effects, rank_of_id=ranks,
                          cluster_effects=cl_effects, interaction=inter)


def _solve_bias(z: np.ndarray, rate: float) -> float:
    """Bias b with mean(sigmoid(b + z)) = rate (bisection; the mean is increasing in b)."""
    lo, hi = -60.0 - z.max(), 60.0 - z.min()
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.mean(0.5 * (1.0 + np.tanh(0.5 * (mid + z)))) < rate:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-6:
            break
    return 0.5 * (lo + hi)


def _short(n: int) -> str:
    return f"{n // 10**6}M" if n % 10**6 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def make_synthetic(config: SyntheticConfig | None = None, **overrides) -> CTRDataset:
    """Generate a synthetic CTR dataset (deterministic per seed); see the module docstring.

    Reason: large vocabularies with Zipf popularity and a cluster signal that shared parameters can
    partly capture, to compare embedding schemes at 10-1000x compression.

    Args:
        config: a :class:`SyntheticConfig` (default settings when None).
        **overrides: fields of the config to replace, e.g. ``num_rows=10_000``.

    Example:
        >>> ds = make_synthetic(num_rows=2000, vocab_sizes=(500, 20), seed=1)
        >>> ds.name, ds.X.shape, ds.fields, ds.cardinalities["f0"]
        ('synthetic-2k', (2000, 2), ['f0', 'f1'], 500)
    """
    if config is None:
        config = SyntheticConfig()
    elif not isinstance(config, SyntheticConfig):
        raise TypeError(f"config must be a SyntheticConfig or None, got {type(config).__name__}")
    known = {f.name for f in dataclasses.fields(SyntheticConfig)}
    if set(overrides) - known:
        raise TypeError(f"unknown SyntheticConfig field(s) {sorted(set(overrides) - known)}; "
                        f"known: {sorted(known)}")
    cfg = dataclasses.replace(config, **overrides)
    truth = planted_structure(cfg)
    F, N = len(cfg.vocab_sizes), cfg.num_rows
    X = np.empty((N, F), dtype=np.int64)  # (N, F)
    for f, V in enumerate(cfg.vocab_sizes):
        cdf = np.cumsum(np.arange(1, V + 1, dtype=np.float64) ** -cfg.zipf_exponent)  # (V,)
        cdf /= cdf[-1]
        # (N,) inverse CDF
        rank = np.searchsorted(cdf, _rng(cfg, "rows", f).random(N), side="right")
        np.minimum(rank, V - 1, out=rank)
        id_of_rank = np.empty(V, dtype=np.int64)
        id_of_rank[truth.rank_of_id[f]] = np.arange(V)
        X[:, f] = id_of_rank[rank]
    label_rng = _rng(cfg, "labels")
    z = truth.logit(X)
    if cfg.noise > 0:
        z += label_rng.normal(0.0, cfg.noise, size=N)
    bias = _solve_bias(z, cfg.base_rate)
    p = 0.5 * (1.0 + np.tanh(0.5 * (bias + z)))  # (N,) sigmoid, overflow-free
    y = (label_rng.random(N) < p).astype(np.float32)
    fields = [f"f{i}" for i in range(F)]
    splits = random_split(N, seed=int(_rng(cfg, "split").integers(2**63)), fractions=cfg.split)
    desc = (f"SYNTHETIC data from bhlib.data.make_synthetic (not real data): {cfg}. "
            f"Zipf popularity, {cfg.num_clusters} latent clusters per field, per-id effects, "
            f"a field-0 x field-1 cluster interaction; bias {bias:.3f} solved for "
            f"base_rate {cfg.base_rate}. Dense ids are a seeded random "
            "permutation of popularity rank, independent of cluster.")
    return CTRDataset(name=f"synthetic-{_short(N)}", fields=fields, X=X, y=y,
                      cardinalities=dict(zip(fields, map(int, cfg.vocab_sizes), strict=True)),
                      splits=splits,
                      description=desc)

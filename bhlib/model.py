"""A DNN click-through-rate model over any embedding scheme: the baseline of the BH comparison.

The usual CTR baseline (as in Yan et al., CIKM 2021, arXiv 2109.02471, whose exact model is not
published; see the README, "Reproducing the paper", **[ours]**): one embedding per categorical
field, all of the same output dimension, concatenated (with the dense features, if any) and fed to
an MLP that outputs one logit. Which fields are compressed is configurable: by default every
field whose cardinality exceeds ``compress_threshold`` gets ``method`` sized for the target
``ratio``; the other fields get full tables. Schemes are looked up by name in
:data:`bhlib.METHODS` and sized with :func:`bhlib.plan_embedding`: this module never branches on
the scheme.

**Bags** (multi-hot fields such as MovieLens genres) are embedded **compose-then-pool**
**[ours]**: each id of the bag is embedded by the scheme (its ``K`` rows fused into one vector),
then the vectors of the non-padding ids are averaged. Pool-then-compose (average each of the
``K`` row lookups over the bag, then fuse) gives the same result for sum/mean fusion, since both
are linear, but not for Q-R's elementwise product; compose-then-pool is the one that means "the
average of the ids' embeddings" for every scheme, and it needs nothing from the scheme beyond
``forward``. An empty bag embeds as the zero vector.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ._checks import check_bool, check_choice, check_int, check_names, check_number, check_str
from .embeddings import METHODS, SizePlan, plan_embedding

__all__ = ["ModelConfig", "CTRModel", "plan_fields"]


@dataclass(kw_only=True)
class ModelConfig:
    """Settings of :class:`CTRModel`, one concern: the network and its embeddings.

    Example:
        >>> ModelConfig(method="bh-succession", ratio=10).embedding_dim
        16
    """

    method: str = "full"                # key of bhlib.METHODS for the compressed fields
    ratio: float | None = None          # target ratio per compressed field (None: no budget)
    embedding_dim: int = 16             # output dimension D of every field's embedding
    compress_fields: Sequence[str] | None = None  # fields given `method`; None: by threshold
    compress_threshold: int = 100       # compress_fields=None: compress cardinality > this
    default_method: str = "full"        # method for the fields that are not compressed
    scheme_kwargs: dict = field(default_factory=dict)  # extra kwargs for the compressed scheme
    sparse: bool = True                 # sparse gradients (fit() may make small tables dense)
    hidden: tuple = (64, 32)            # MLP hidden layer widths
    dropout: float = 0.0                # dropout after each hidden layer
    seed: int = 0                       # seed of the parameter initialization

    def __post_init__(self):
        for name in ("method", "default_method"):
            check_choice(getattr(self, name), name, METHODS)
        if self.ratio is not None:  # kept an int if given one: run keys hash this config
            check_number(self.ratio, "ratio", low=0, low_open=True)
            self.ratio = self.ratio.item() if isinstance(self.ratio, np.generic) else self.ratio
        for name, low in (("embedding_dim", 1), ("compress_threshold", 0), ("seed", 0)):
            setattr(self, name, check_int(getattr(self, name), name, low=low))
        if self.compress_fields is not None:
            if isinstance(self.compress_fields, str) or not isinstance(self.compress_fields,
                                                                        Sequence):
                raise TypeError(f"compress_fields must be a list of field names or None, "
                                f"got {self.compress_fields!r}")
            for i, f in enumerate(self.compress_fields):
                check_str(f, f"compress_fields[{i}]")
        if isinstance(self.hidden, (str, bytes)) or not isinstance(self.hidden, Sequence):
            raise TypeError(f"hidden must be a tuple of layer widths, got {self.hidden!r}")
        self.hidden = tuple(check_int(w, f"hidden[{i}]", low=1) for i, w in enumerate(self.hidden))
        self.dropout = check_number(self.dropout, "dropout", low=0, high=1, high_open=True)
        if not isinstance(self.scheme_kwargs, Mapping):
            raise TypeError(f"scheme_kwargs must be a dict, got {self.scheme_kwargs!r}")
        self.sparse = check_bool(self.sparse, "sparse")


def plan_fields(cardinalities: Mapping[str, int],
                config: ModelConfig) -> dict[str, tuple[str, SizePlan]]:
    """Size every field's embedding without allocating: ``field -> (method, SizePlan)``.

    Reason: the experiment needs to know a configuration's size (and whether it is reachable at
    all) before training. Raises :class:`bhlib.BudgetError` when a compressed field cannot reach
    ``config.ratio``: no other size is substituted.

    Args:
        cardinalities: vocabulary size of every categorical field (bag fields included).
        config: the model configuration.

    Example:
        >>> plans = plan_fields({"user": 1000, "gender": 2}, ModelConfig(method="hash", ratio=10))
        >>> {f: (m, p.num_rows) for f, (m, p) in plans.items()}
        {'user': ('hash', 100), 'gender': ('full', 2)}
    """
    if not isinstance(cardinalities, Mapping):
        raise TypeError(f"cardinalities must be a dict of field -> vocabulary size, "
                        f"got {cardinalities!r}")
    cardinalities = {f: check_int(v, f"cardinalities[{f!r}]", low=1)
                     for f, v in cardinalities.items()}
    if config.compress_fields is None:
        chosen = {f for f, v in cardinalities.items() if v > config.compress_threshold}
    else:
        chosen = set(config.compress_fields)
        unknown = chosen - set(cardinalities)
        if unknown:
            raise ValueError(f"compress_fields names unknown fields {sorted(unknown)}; "
                             f"fields are {list(cardinalities)}")
    plans = {}
    for f, v in cardinalities.items():
        method = config.method if f in chosen else config.default_method
        name, fixed = METHODS[method]
        extra = config.scheme_kwargs if f in chosen else {}
        clash = {k: v for k, v in extra.items()
                 if k == "sparse" or (k in fixed and fixed[k] != v)}
        if clash:
            raise ValueError(f"scheme_kwargs {clash} contradict method {method!r} "
                             f"({name}, {fixed}) or ModelConfig.sparse; change the method or "
                             "the config instead")
        kwargs = {**fixed, "sparse": config.sparse, **extra}
        ratio = config.ratio if f in chosen else None
        plans[f] = (method, plan_embedding(name, v, config.embedding_dim, ratio=ratio,
                                           **kwargs))
    return plans


class CTRModel(nn.Module):
    """Field embeddings (any scheme) -> concatenation (+ dense features) -> MLP -> one logit.

    Args:
        cardinalities: vocabulary size per field; single-valued and bag fields alike.
        fields: the single-valued fields, in the column order of ``x``.
        bag_fields: the multi-hot fields (given to :meth:`forward` as ``bags``).
        num_dense: number of dense numeric features (0: none).
        config: a :class:`ModelConfig`.

    Example:
        >>> m = CTRModel({"user": 1000, "item": 50}, ["user", "item"], config=ModelConfig(
        ...     method="bh-succession", ratio=10))
        >>> m(torch.tensor([[3, 4], [999, 0]])).shape
        torch.Size([2])
        >>> m.sizes()["method"].tolist(), round(m.embedding_ratio, 2)
        (['bh-succession', 'full'], 8.08)
    """

    def __init__(self, cardinalities: Mapping[str, int], fields: Sequence[str], *,
                 bag_fields: Sequence[str] = (), num_dense: int = 0,
                 config: ModelConfig | None = None) -> None:
        super().__init__()
        config = ModelConfig() if config is None else config
        if not isinstance(config, ModelConfig):
            raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}")
        self.fields = check_names(fields, "fields")
        self.bag_fields = check_names(bag_fields, "bag_fields")
        both = sorted(set(self.fields) & set(self.bag_fields))
        if both:
            raise ValueError(f"fields and bag_fields both name {both}")
        missing = [f for f in self.fields + self.bag_fields if f not in cardinalities]
        if missing:
            raise ValueError(f"cardinalities has no entry for fields {missing}")
        self.config, self.num_dense = config, check_int(num_dense, "num_dense", low=0)
        names = self.fields + self.bag_fields
        self.plans = plan_fields({f: cardinalities[f] for f in names}, config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.embeddings = nn.ModuleDict({f: self.plans[f][1].build() for f in names})
            width, layers = len(names) * config.embedding_dim + self.num_dense, []
            for h in config.hidden:
                layers += [nn.Linear(width, h), nn.ReLU()]
                layers += [nn.Dropout(config.dropout)] if config.dropout else []
                width = h
            self.mlp = nn.Sequential(*layers, nn.Linear(width, 1))

    @classmethod
    def for_dataset(cls, data: Any, config: ModelConfig | None = None) -> CTRModel:
        """Build the model for a :class:`bhlib.data.CTRDataset` (fields, bags, dense features).

        Example:
            >>> from bhlib.data import make_synthetic
            >>> ds = make_synthetic(num_rows=500, vocab_sizes=(300, 5))
            >>> m = CTRModel.for_dataset(ds, ModelConfig(method="qr", ratio=4))
            >>> m.sizes()["method"].tolist()
            ['qr', 'full']
        """
        num_dense = 0 if data.dense is None else data.dense.shape[1]
        return cls(data.cardinalities, data.fields, bag_fields=list(data.bags), num_dense=num_dense,
                   config=config)

    def embed(self, x: torch.Tensor,
              bags: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Field embeddings ``(B, F + F_bags, D)``: ``x`` is ``(B, F)``; each bag ``(B, L)``,
        padded with -1."""
        if x.ndim != 2 or x.shape[1] != len(self.fields):
            raise ValueError(f"x must have shape (B, {len(self.fields)}), got {tuple(x.shape)}")
        out = [self.embeddings[f](x[:, j]) for j, f in enumerate(self.fields)]  # F x (B, D)
        bags = {} if bags is None else bags
        for f in self.bag_fields:
            if f not in bags:
                raise ValueError(f"bags must hold the bag field {f!r}, got keys {sorted(bags)}")
            ids = bags[f]  # (B, L)
            keep = (ids >= 0).unsqueeze(-1).to(torch.float32)  # (B, L, 1)
            vecs = self.embeddings[f](ids.clamp(min=0))  # (B, L, D): compose each id, then pool
            count = keep.sum(dim=1).clamp(min=1.0)  # (B, 1)
            out.append((vecs * keep).sum(dim=1) / count)  # (B, D)
        return torch.stack(out, dim=1)  # (B, F + F_bags, D)

    def forward(self, x: torch.Tensor, bags: Mapping[str, torch.Tensor] | None = None,
                dense: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B,)`` for ids ``x`` ``(B, F)``, bags ``{field: (B, L)}``, dense ``(B, Dn)``."""
        e = self.embed(x, bags).flatten(1)  # (B, (F + F_bags) * D)
        if self.num_dense:
            if dense is None or dense.shape != (x.shape[0], self.num_dense):
                raise ValueError(f"dense must have shape ({x.shape[0]}, {self.num_dense}), got "
                                 f"{None if dense is None else tuple(dense.shape)}")
            e = torch.cat([e, dense], dim=1)  # (B, (F + F_bags) * D + Dn)
        return self.mlp(e).squeeze(-1)  # (B,)

    # ---- sizes ---------------------------------------------------------------------------------
    def sizes(self) -> pd.DataFrame:
        """One row per field: method, cardinality, hyper-parameters, rows, parameters, ratio, bytes.

        ``bytes_adam`` counts the parameters plus Adam's two state tensors.

        Example:
            >>> m = CTRModel({"u": 1000}, ["u"], config=ModelConfig(method="hash", ratio=100))
            >>> m.sizes()[["field", "method", "num_rows", "params", "ratio"]].to_dict("records")
            [{'field': 'u', 'method': 'hash', 'num_rows': 10, 'params': 160, 'ratio': 100.0}]
        """
        rows = []
        for f, (method, plan) in self.plans.items():
            emb = self.embeddings[f]
            params = emb.num_parameters()
            rows.append({"field": f, "method": method, "cardinality": plan.num_embeddings,
                         "hparams": dict(plan.hparams), "num_rows": emb.num_rows, "params": params,
                         "full_params": plan.num_embeddings * plan.embedding_dim,
                         "ratio": emb.compression_ratio,
                         "bytes": emb.memory_bytes(), "bytes_adam": emb.memory_bytes("adam")})
        return pd.DataFrame(rows)

    @property
    def embedding_params(self) -> int:
        """Parameters of all embeddings together."""
        return sum(e.num_parameters() for e in self.embeddings.values())

    @property
    def full_embedding_params(self) -> int:
        """Parameters full tables would need for every field: ``sum_f V_f * D``."""
        return sum(p.num_embeddings * p.embedding_dim for _, p in self.plans.values())

    @property
    def embedding_ratio(self) -> float:
        """Whole-model embedding compression: full-table parameters over actual ones, all fields."""
        return self.full_embedding_params / self.embedding_params

    @property
    def mlp_params(self) -> int:
        """Parameters of the MLP (the part every method shares)."""
        return sum(p.numel() for p in self.mlp.parameters())

    def size_report(self) -> dict[str, Any]:
        """Totals for records: embedding / MLP parameters, bytes (with Adam state) and ratios.

        ``model_ratio`` is the whole model's compression, MLP included; ``compressed_ratio``
        counts only the compressed fields (those not given ``default_method``).

        Example:
            >>> m = CTRModel({"u": 1000}, ["u"], config=ModelConfig(method="hash", ratio=100))
            >>> r = m.size_report(); r["embedding_params"], r["embedding_ratio"]
            (160, 100.0)
        """
        table = self.sizes()
        comp = table[table["method"] != self.config.default_method]
        return {
            "embedding_params": int(table["params"].sum()),
            "full_embedding_params": int(table["full_params"].sum()),
            "embedding_ratio": self.embedding_ratio,
            "compressed_fields": comp["field"].tolist(),
            "compressed_ratio": (float(comp["full_params"].sum() / comp["params"].sum())
                                 if len(comp) else 1.0),
            "embedding_bytes": int(table["bytes"].sum()),
            "embedding_bytes_adam": int(table["bytes_adam"].sum()),
            "mlp_params": self.mlp_params,
            "model_ratio": float((table["full_params"].sum() + self.mlp_params)
                                 / (table["params"].sum() + self.mlp_params)),
            "fields": table.to_dict("records"),
        }

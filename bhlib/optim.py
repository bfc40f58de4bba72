"""The optimizer of :func:`bhlib.train.fit`: Adam, fused where torch has it, and per embedding
table the cheaper of dense Adam and SparseAdam.

Embedding tables are the modules built with ``sparse=True`` (:class:`bhlib.EmbeddingScheme`,
``nn.Embedding``). A large table wants sparse gradients and ``torch.optim.SparseAdam`` ("lazy"
Adam: only the rows a batch reads are updated): dense Adam would rewrite every row and both its
moments each step. A compressed table of a few hundred or thousand rows is the other way round:
SparseAdam's cost grows with the lookups of a batch (``batch_size * K`` gradient rows, sorted and
merged each step), dense fused Adam's with the table, and on small tables dense is cheaper.
``make bench`` (section 6) times both side by side on one table: on this project's 2-core
machine (2026-12-02; ``B = 4096``, ``K = 2``, ``D = 64``, 1 thread) dense was 2.7-4.3x faster
up to ``B * K`` rows, 3.1x faster at ``4 * B * K`` and 1.6x slower at ``16 * B * K``; with the
CTR model's ``B = 1024``, ``D = 16`` it was 2.5x faster at ``4 * B * K`` and 1.3x at ``16 * B * K``.

**The rule** (``table_updates="auto"``, the default): a table is updated densely when
``num_rows <= DENSE_FACTOR * batch_size * num_lookups`` with :data:`DENSE_FACTOR` ``= 1``
(:func:`dense_is_cheaper`), otherwise with SparseAdam. That is well below the measured speed
crossover (between 4x and 16x), for the sake of the results: at that size a batch reads most of
the table anyway (at least 63% of the rows for uniform ids), so dense and lazy Adam differ
little. With ``DENSE_FACTOR = 4`` the sweep of ``make run`` trained faster, but BH-Succession at
100x on the synthetic set (its 8,320-row table of the 10^6-id field, batch 2,048, ``K = 2``, then
dense) lost 0.0012 AUC, 2.9 standard errors over 3 seeds; with 1 (that table sparse), it moved
0.0004 (0.6 SE). ``"sparse"`` keeps every table sparse (the rule before
records version 3), ``"dense"`` makes every table dense. Dense tables get no weight decay, like
the sparse ones (SparseAdam has none), so the rule changes no penalty.

The two are not the same optimizer: dense Adam moves a row the batch did not read (its moments
decay and keep pushing it), lazy Adam leaves it alone. Runs of records version 3 use the rule;
the README ("Reproducing the paper") compares the sweep's metrics before and after it.

Adam is built with ``fused=True`` (one kernel over all parameters of a group) where torch supports
it for the parameters' device and dtype, else with torch's default implementation.
"""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_choice, check_int, check_number

__all__ = ["TABLE_UPDATES", "DENSE_FACTOR", "dense_is_cheaper", "table_shape", "TrainOptimizer",
           "adam"]

TABLE_UPDATES = ("auto", "sparse", "dense")
DENSE_FACTOR = 1  # dense Adam up to this many times a batch's lookups (the module docstring)


def dense_is_cheaper(num_rows: int, num_lookups: int, batch_size: int) -> bool:
    """The rule: dense Adam for a table of at most ``DENSE_FACTOR * batch_size * num_lookups``
    rows.

    Example:
        >>> dense_is_cheaper(2048, 2, 1024), dense_is_cheaper(2049, 2, 1024)
        (True, False)
    """
    rows = check_int(num_rows, "num_rows", low=1)
    lookups = check_int(num_lookups, "num_lookups", low=1)
    return rows <= DENSE_FACTOR * check_int(batch_size, "batch_size", low=1) * lookups


def table_shape(module: nn.Module) -> tuple[int, int] | None:
    """``(rows, lookups per id)`` of an embedding table module, or None for any other module.

    Example:
        >>> table_shape(nn.Embedding(10, 4)), table_shape(nn.Linear(2, 2))
        ((10, 1), None)
    """
    if isinstance(module, nn.Embedding):
        return module.num_embeddings, 1
    rows, lookups = getattr(module, "num_rows", None), getattr(module, "num_lookups", None)
    if isinstance(rows, int) and isinstance(lookups, int):
        return rows, lookups
    return None


def adam(params: list, *, lr: float, weight_decay: float = 0.0) -> torch.optim.Adam:
    """``torch.optim.Adam``, fused where torch supports the parameters' device and dtype.

    Example:
        >>> adam([nn.Parameter(torch.zeros(3))], lr=0.1).defaults["fused"]
        True
    """
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except RuntimeError:  # a device or dtype without the fused kernel
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


class TrainOptimizer:
    """Adam for a model: fused Adam for the dense parameters, each table dense or sparse.

    Used as a context manager: a ``sparse=True`` table that the rule makes dense has its
    ``sparse`` flag cleared inside the ``with`` block (so its backward gives a dense gradient)
    and restored on exit.

    Args:
        model: the module to train.
        lr: learning rate of every parameter.
        weight_decay: L2 penalty of the dense non-table parameters (tables get none).
        batch_size: ids per step, for the rule.
        table_updates: ``"auto"`` (the rule), ``"sparse"`` or ``"dense"``.

    Example:
        >>> from bhlib import make_embedding
        >>> m = nn.ModuleDict({"user": make_embedding("bh", 10**6, 8, ratio=1000, sparse=True),
        ...                    "item": nn.Embedding(10**5, 8, sparse=True)})
        >>> with TrainOptimizer(m, lr=1e-3, batch_size=1024) as opt:
        ...     opt.table_updates, m["user"].sparse
        ({'user': 'dense', 'item': 'sparse'}, False)
        >>> m["user"].sparse
        True
    """

    def __init__(self, model: nn.Module, *, lr: float, weight_decay: float = 0.0,
                 batch_size: int, table_updates: str = "auto") -> None:
        check_choice(table_updates, "table_updates", TABLE_UPDATES)
        lr = check_number(lr, "lr", low=0, low_open=True)
        self._flipped: list[nn.Module] = []
        self.table_updates: dict[str, str] = {}
        sparse, dense_tables = [], []
        in_tables: set[int] = set()
        for name, m in model.named_modules():
            if getattr(m, "sparse", False) is not True:
                continue
            shape = table_shape(m)
            dense = shape is not None and (table_updates == "dense" or (
                table_updates == "auto" and dense_is_cheaper(*shape, batch_size)))
            self.table_updates[name] = "dense" if dense else "sparse"
            params = list(m.parameters(recurse=False))
            (dense_tables if dense else sparse).extend(params)
            in_tables.update(id(p) for p in params)
            if dense:
                self._flipped.append(m)
        rest = [p for p in model.parameters() if id(p) not in in_tables]
        groups = ([{"params": rest, "weight_decay": weight_decay}] if rest else []) + (
            [{"params": dense_tables, "weight_decay": 0.0}] if dense_tables else [])
        self.opts: list[torch.optim.Optimizer] = [adam(groups, lr=lr)] if groups else []
        if sparse:
            self.opts.append(torch.optim.SparseAdam(sparse, lr=lr))

    def __enter__(self) -> TrainOptimizer:
        for m in self._flipped:
            m.sparse = False
        return self

    def __exit__(self, *exc: object) -> None:
        for m in self._flipped:
            m.sparse = True

    def zero_grad(self) -> None:
        """Drop every gradient (``set_to_none``)."""
        for o in self.opts:
            o.zero_grad(set_to_none=True)

    def step(self) -> None:
        """One update of every parameter."""
        for o in self.opts:
            o.step()

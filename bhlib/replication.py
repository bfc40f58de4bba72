"""What one data-parallel process must hold, in closed form, and the guard that refuses a run
whose replicated tables would not fit.

Data-parallel training (:mod:`bhlib.distributed`, ``torch.nn.parallel.DistributedDataParallel``)
gives every process a full copy of the model and of its optimizer state. For Binary Code based
Hash Embedding (Yan et al., CIKM 2021, arXiv 2109.02471) and the other compressed schemes that
copy is small: their tables have thousands of rows whatever the vocabulary. A full table grows
with the vocabulary: 10^8 ids of dimension 16 are 6.4 GB of float32 parameters and, with Adam's
two moments, 19.2 GB per process. Such a table has to be *sharded* (model parallelism: each
process holds a slice of the rows, as TorchRec does for "massive embedding tables that exceed
single-GPU memory"), not replicated.

:func:`replicated_bytes` counts, without allocating anything, the bytes each process holds for a
:class:`bhlib.model.CTRModel`: its parameters (every field's table, sized by
:func:`bhlib.model.plan_fields`, and the MLP) and Adam's two float32 moments per parameter. It
leaves out what does not scale with the vocabulary or is transient: gradients (dense ones are one
more copy of the dense-updated parameters; sparse ones hold a batch's rows), activations, the
dataset and the framework itself, so it is a lower bound of a process's memory.
:func:`check_replication` raises :class:`ReplicationError` when that bound exceeds a limit.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._checks import check_int
from .display import format_bytes
from .embeddings import bytes_per_parameter
from .model import ModelConfig, plan_fields

__all__ = ["ReplicationError", "replicated_bytes", "check_replication"]


class ReplicationError(ValueError):
    """A run's replicated parameters and optimizer state exceed the memory of one process."""


def _mlp_params(width: int, hidden: tuple) -> int:
    """Weights and biases of the MLP ``width -> hidden... -> 1``."""
    total = 0
    for h in (*hidden, 1):
        total += width * h + h
        width = h
    return total


def replicated_bytes(cardinalities: Mapping[str, int], config: ModelConfig | None = None, *,
                     num_dense: int = 0, optimizer: str = "adam") -> dict[str, Any]:
    """Bytes one data-parallel process holds for a :class:`~bhlib.model.CTRModel`, closed form.

    Args:
        cardinalities: vocabulary size of every categorical field (bag fields included), in the
            model's field order, as :attr:`bhlib.data.CTRDataset.cardinalities`.
        config: the model configuration (defaults when None).
        num_dense: numeric features fed to the MLP beside the embeddings.
        optimizer: the optimizer state counted per parameter (``"adam"``: two moments; any
            name of :func:`bhlib.embeddings.bytes_per_parameter`, or None for parameters only).

    Returns:
        ``{"tables": {field: bytes}, "table_params", "mlp_params", "parameter_bytes",
        "optimizer_bytes", "total_bytes"}``: parameters and optimizer state of the tables and
        the MLP, float32, the same on every process. Raises :class:`bhlib.BudgetError` when a
        compressed field cannot reach ``config.ratio``.

    Example:
        >>> full = replicated_bytes({"user": 10**8}, ModelConfig(compress_threshold=0))
        >>> format_bytes(full["total_bytes"])
        '19.2 GB'
        >>> bh = replicated_bytes({"user": 10**8}, ModelConfig(method="bh-succession",
        ...                       ratio=1000, compress_threshold=0))
        >>> format_bytes(bh["total_bytes"]), bh["table_params"]
        ('13 MB', 1081344)
    """
    config = ModelConfig() if config is None else config
    if not isinstance(config, ModelConfig):
        raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}")
    num_dense = check_int(num_dense, "num_dense", low=0)
    per_value = bytes_per_parameter(optimizer)  # ValueError names a bad optimizer
    plans = plan_fields(cardinalities, config)
    table_params = sum(plan.num_parameters for _, plan in plans.values())
    mlp = _mlp_params(len(plans) * config.embedding_dim + num_dense, config.hidden)
    params = table_params + mlp
    return {"tables": {f: plan.memory_bytes(optimizer) for f, (_, plan) in plans.items()},
            "table_params": table_params, "mlp_params": mlp,
            "parameter_bytes": params * bytes_per_parameter(None),
            "optimizer_bytes": params * (per_value - bytes_per_parameter(None)),
            "total_bytes": params * per_value}


def check_replication(need: Mapping[str, Any], max_rank_bytes: int | None, *,
                      world_size: int = 1, what: str = "this run") -> None:
    """Raise :class:`ReplicationError` when ``need`` (:func:`replicated_bytes`) exceeds
    ``max_rank_bytes`` per process; no limit when it is None.

    The message says how much each process needs, how much the limit allows, and that such
    tables call for model-parallel sharding (e.g. TorchRec) instead of replication.

    Example:
        >>> need = replicated_bytes({"user": 10**8}, ModelConfig(compress_threshold=0))
        >>> try:
        ...     check_replication(need, 8 * 10**9, world_size=2)
        ... except ReplicationError as err:
        ...     print(str(err)[:80])
        this run needs 19.2 GB per process (parameters 6.4 GB + optimizer state 12.8 GB;
        >>> check_replication(need, 20 * 10**9)  # fits: no error
    """
    if max_rank_bytes is None:
        return
    limit = check_int(max_rank_bytes, "max_rank_bytes", low=1)
    world_size = check_int(world_size, "world_size", low=1)
    total = need["total_bytes"]
    if total <= limit:
        return
    biggest = max(need["tables"].items(), key=lambda kv: kv[1])
    copies = f"each of the {world_size} processes holds" if world_size > 1 else "each process holds"
    raise ReplicationError(
        f"{what} needs {format_bytes(total)} per process (parameters "
        f"{format_bytes(need['parameter_bytes'])} + optimizer state "
        f"{format_bytes(need['optimizer_bytes'])}; data-parallel training replicates them: "
        f"{copies} a full copy), more than --max-rank-bytes {format_bytes(limit)} allows. Its "
        f"largest table ({biggest[0]!r}, {format_bytes(biggest[1])} with optimizer state) needs "
        "model-parallel sharding (e.g. TorchRec's sharded embedding tables, each process holding "
        "a slice of the rows) instead of replication, or a compressed scheme (--method "
        "bh-succession, ...) at a higher ratio")

"""A sweep's datasets: loaded (or generated) from a :class:`~bhlib.experiment.DatasetSpec`, and
the test rows that hold an id training never saw.

For the comparisons of Binary Code based Hash Embedding (Yan et al., CIKM 2021, arXiv
2109.02471) with its rivals: MovieLens-100K (Harper and Konstan, 2015) and the synthetic CTR
sets of :func:`bhlib.data.make_synthetic`.
"""
from __future__ import annotations

from typing import Any

from .. import data
from .config import LOADERS, DatasetSpec

__all__ = ["load_dataset", "unseen_test_rows"]


def load_dataset(spec: DatasetSpec, cache_dir: str = "data") -> data.CTRDataset:
    """Load (or generate) ``spec``'s dataset with its source's loader and options.

    Example:
        >>> spec = DatasetSpec("s", "synthetic", options={"num_rows": 100, "vocab_sizes": (9, 3)})
        >>> load_dataset(spec).X.shape
        (100, 2)
    """
    if spec.source == "movielens":
        return data.load_movielens(cache_dir, **spec.options)
    return getattr(data, LOADERS[spec.source])(**spec.options)


def unseen_test_rows(dataset: data.CTRDataset) -> dict[str, Any]:
    """Test rows holding an id absent from the train split: the mask and the counts per field.

    Example:
        >>> u = unseen_test_rows(data.make_synthetic(num_rows=200, vocab_sizes=(1000, 3)))
        >>> sorted(u), u["num_test_rows"]
        (['mask', 'num_test_rows', 'num_unseen_test_rows', 'unseen_test_rows_by_field'], 20)
    """
    fields = dataset.fields + list(dataset.bags)
    mask = dataset.unseen_mask("test", fields=fields)
    by_field = {f: int(dataset.unseen_mask("test", fields=[f]).sum()) for f in fields}
    return {"mask": mask, "num_test_rows": int(len(mask)),
            "num_unseen_test_rows": int(mask.sum()), "unseen_test_rows_by_field": by_field}

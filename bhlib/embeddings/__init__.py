"""Embedding schemes: drop-in replacements for ``nn.Embedding`` behind one registry."""
from .base import BudgetError, EmbeddingScheme, bytes_per_parameter
from .binary_hash import BinaryHashEmbedding
from .full import FullEmbedding
from .hash import HashEmbedding
from .lookup import FUSIONS, fused_lookup
from .multi_hash import MultiHashEmbedding
from .qr import QREmbedding
from .registry import (
                       ABLATION_METHODS,
                       COMPARED_METHODS,
                       EMBEDDINGS,
                       LESSON_METHODS,
                       METHODS,
                       SizePlan,
                       make_embedding,
                       plan_embedding,
)

__all__ = [
    "EmbeddingScheme", "BudgetError", "FullEmbedding", "HashEmbedding", "MultiHashEmbedding",
    "QREmbedding", "BinaryHashEmbedding", "EMBEDDINGS", "METHODS", "COMPARED_METHODS",
    "ABLATION_METHODS", "LESSON_METHODS", "SizePlan",
    "make_embedding", "plan_embedding", "bytes_per_parameter", "fused_lookup", "FUSIONS",
]

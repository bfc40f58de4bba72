"""bhlib: Binary Code based Hash Embedding and its rivals, for teaching and analysis.

Implements BH (Bencheng Yan, Pengjie Wang, Jinquan Liu, Wei Lin, Kuang-Chih Lee, Jian Xu, Bo Zheng,
*Binary Code based Hash Embedding for Web-scale Applications*, CIKM 2021, arXiv 2109.02471) and the
baselines it is compared with: full, hash-mod, multi-hash and quotient-remainder embeddings.

The package has three floors; each imports only the floors below it:

* **core** (this package's modules and ``bhlib.embeddings``, ``bhlib.data``): pure functions
  (``hashing``, ``codes``, ``indices``), the schemes, collision reports, data, the CTR model,
  training, metrics, and ``display`` (how numbers and tables look);
* **experiment** (``bhlib.experiment``): everything made from run records;
* **teaching** (``bhlib.teaching``): everything computed in closed form for a notebook, its
  figures and widgets.
"""
from .codes import bits_needed, block_lengths, block_partition, format_bits, table_rows
from .collisions import CollisionReport, collision_report, equal_memory_table
from .embeddings import (
                         ABLATION_METHODS,
                         COMPARED_METHODS,
                         EMBEDDINGS,
                         LESSON_METHODS,
                         METHODS,
                         BinaryHashEmbedding,
                         BudgetError,
                         EmbeddingScheme,
                         FullEmbedding,
                         HashEmbedding,
                         MultiHashEmbedding,
                         QREmbedding,
                         SizePlan,
                         make_embedding,
                         plan_embedding,
)
from .hashing import hash_ids
from .indices import bh_indices
from .model import CTRModel, ModelConfig
from .train import TrainConfig, fit

__version__ = "0.1.0"

__all__ = [
    "hash_ids", "block_partition", "block_lengths", "table_rows", "bh_indices", "bits_needed",
    "format_bits", "EmbeddingScheme", "FullEmbedding", "HashEmbedding", "MultiHashEmbedding",
    "QREmbedding", "BinaryHashEmbedding", "EMBEDDINGS", "METHODS", "COMPARED_METHODS",
    "ABLATION_METHODS", "LESSON_METHODS",
    "BudgetError", "SizePlan", "make_embedding", "plan_embedding", "CollisionReport",
    "collision_report", "equal_memory_table", "CTRModel", "ModelConfig", "TrainConfig", "fit",
]

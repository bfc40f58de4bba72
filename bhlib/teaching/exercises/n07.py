"""The exercises of notebook 07 (scaling out: why the small tables of Yan et al., CIKM 2021,
arXiv 2109.02471, can simply be replicated): where a full table stops fitting one GPU, how many
GPUs a sharded one needs, and questions with worked solutions.

Example:
    >>> EXERCISES[1].answer()
    3
"""
from __future__ import annotations

import math

from ...display import format_bytes
from ...model import ModelConfig
from ...replication import replicated_bytes
from ..scaling import bytes_per_process_table, full_table_limit
from .base import Exercise, Mistake, OpenExercise
from .quiz import Choice, Question, Quiz

__all__ = ["EXERCISES", "QUIZ"]

SOLUTIONS = "07_scaling_out.ipynb"
GPU = 80 * 10**9  # bytes of the exercises' GPU
D = 16


def _first_unfit() -> int:
    return full_table_limit(GPU, embedding_dim=D) + 1


def _shards(optimizer: str | None = "adam") -> int:
    t = bytes_per_process_table([10**9], methods=["full"], embedding_dim=D, optimizer=optimizer)
    return math.ceil(int(t["total_bytes"].iloc[0]) / GPU)


def _full_bytes(optimizer: str | None) -> str:
    need = replicated_bytes({"ids": 10**8}, ModelConfig(compress_threshold=0), optimizer=optimizer)
    return format_bytes(need["total_bytes"] if optimizer else need["parameter_bytes"])


EXERCISES = (
    Exercise(
        notebook="07", number=1,
        question="From what vocabulary size on does a full table (D = 16, trained with Adam) "
                 "no longer fit one 80 GB GPU, so that data-parallel replication stops and "
                 "sharding begins?",
        answer_form="a number of ids (within 0.1%)",
        expected=_first_unfit, kind="close", rel_tol=1e-3,
        hint_text="Each id is a row of D = 16 float32 parameters, and Adam keeps two more floats "
                  "per parameter; divide the GPU's bytes by the bytes of one row. "
                  "teaching.full_table_limit(80 * 10**9) bisects it exactly.",
        solution_code="gpu = 80 * 10**9                 # bytes (GB are 10**9 bytes)\n"
                      "row = 16 * 3 * 4                 # D floats, each with Adam's two "
                      "moments, 4 bytes each\n"
                      "answer = gpu / row               # ids; the MLP's 3,201 parameters "
                      "barely move it",
        explanation="about {answer:,} ids: beyond that one copy of the full table and its Adam "
                    "state exceeds 80 GB, and the table must be sharded; a compressed table at "
                    "1000x fits a thousand times more ids.",
        mistakes=(
            Mistake(example=lambda e: GPU / (D * 4),
                    hint="that counts the parameters only; training with Adam keeps two more "
                         "floats (its moments) per parameter."),
            Mistake(example=lambda e: GPU / (D * 8),
                    hint="Adam keeps two moments per parameter, not one: three floats in all."),
            Mistake(example=lambda e: 80 * 2**30 / (D * 12),
                    hint="80 GB is 80 * 10**9 bytes (decimal), not 80 GiB."),
            Mistake(example=lambda e: GPU / 12,
                    hint="each id is a whole row of D = 16 parameters, not one parameter."),
        ),
    ),
    Exercise(
        notebook="07", number=2,
        question="A full table of 10^9 ids (D = 16, Adam) is sharded row-wise over 80 GB GPUs. "
                 "How many GPUs does it need at least?",
        answer_form="an int: a number of GPUs",
        expected=_shards,
        hint_text="Take the full model's bytes per process at 10^9 ids "
                  "(teaching.bytes_per_process_table) and divide by 80 GB, rounding up.",
        solution_code="t = teaching.bytes_per_process_table([10**9], methods=['full'])\n"
                      "need = int(t['total_bytes'].iloc[0])      # parameters + Adam state\n"
                      "answer = -(-need // (80 * 10**9))          # a / b rounded up",
        explanation="{answer} GPUs at least: 192 GB of parameters and Adam state do not fit "
                    "fewer, and each shard also needs room for activations and buffers.",
        mistakes=(
            Mistake(example=lambda e: e - 1,
                    hint="the table does not divide evenly: round up, the last GPU holds the "
                         "rest."),
            Mistake(example=lambda e: _shards(None),
                    hint="count Adam's state too: the optimizer's moments are sharded with "
                         "their rows."),
        ),
    ),
    OpenExercise(notebook="07", number=3, solution_notebook=SOLUTIONS,
                 question="On CUDA, NCCL has no sparse all-reduce, so every table travels "
                          "densely at each step. How many bytes does one step all-reduce for "
                          "the full 10^6-id table and for BH-Succession at 1000x?",
                 hint_text="A dense gradient has one float32 per parameter of the table; "
                           "teaching.bytes_per_process_table(..., optimizer=None) counts "
                           "parameters only."),
    OpenExercise(notebook="07", number=4, solution_notebook=SOLUTIONS,
                 question="Shard the full 10^9-id table row-wise over three 80 GB GPUs and "
                          "replicate the MLP (what TorchRec does). What does each process hold, "
                          "and what must travel for a batch of 1024 rows?",
                 hint_text="Each process keeps a third of the rows with their Adam state; a "
                           "batch needs each id's row from the process that owns it, and the "
                           "rows' gradients back."),
)


QUIZ = Quiz(notebook="07", questions=(
    Question(text="What does each process hold in data-parallel training (DDP)?",
             choices=(
                 Choice(text="a full copy of the parameters and of the optimizer's state",
                        right=True,
                        why="every process applies the same averaged gradient to its own "
                            "copy, so memory per process does not shrink with more processes."),
                 Choice(text="a slice of the embedding rows",
                        why="that is model-parallel sharding (TorchRec), for tables too big to "
                            "replicate."),
                 Choice(text="only the gradients of its own batch",
                        why="it holds those too, but on top of a full copy of the model."),
             )),
    Question(text="Why do the 1-process and 2-process runs agree within 1e-4 AUC but not bit "
                  "for bit?",
             choices=(
                 Choice(text="the sums are done in a different order, so float32 rounds "
                             "differently", right=True,
                        why="each process sums its own rows, the all-reduce adds the partial "
                            "gradients; the batches and the initial parameters are the same."),
                 Choice(text="the processes see different random batches",
                        why="the two processes together see exactly the one-process batches, "
                            "in the same order."),
                 Choice(text="each process starts from its own random initialization",
                        why="DDP broadcasts rank 0's parameters, so all start identical."),
             )),
    Question(text="How many bytes does one process hold for a full table of 10^8 ids (D = 16) "
                  "trained with Adam?",
             verify=lambda: _full_bytes("adam"), choices=(
                 Choice(text="19.2 GB", right=True, value="19.2 GB",
                        why="1.6 x 10^9 parameters, each with Adam's two moments: 12 bytes "
                            "apiece, on every process."),
                 Choice(text="6.4 GB", why="that is the parameters alone, without Adam's "
                                           "state."),
                 Choice(text="9.6 GB", why="that would be half of it, as if two processes "
                                           "shared the table; data parallelism replicates it."),
             )),
))

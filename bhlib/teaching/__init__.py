"""The teaching floor: everything computed in closed form for a notebook, by topic, and its
figures and widgets.

* :mod:`~bhlib.teaching.binarization` — raw values to hash IDs and binary codes (notebook 01);
* :mod:`~bhlib.teaching.blocks` — code block strategies, block sizes, BH as generalized Q-R (02);
* :mod:`~bhlib.teaching.uniqueness` — who collides with whom at equal memory, the shared-layout
  pitfall, the rows unseen ids read (03, 06);
* :mod:`~bhlib.teaching.budgets` — memory budgets from a server to a phone, a sweep's sizes
  (04, 05);
* :mod:`~bhlib.teaching.scaling` — the bytes one data-parallel process holds per scheme, where
  replication stops fitting a device and sharding begins (07);
* :mod:`~bhlib.teaching.scale_out` — one run on 1 and 2 processes (``torchrun``) and one sweep
  on 1 and 2 workers, started and compared record by record (07);
* :mod:`~bhlib.teaching.figures` — the figures of those tables;
* :mod:`~bhlib.teaching.panel`, :mod:`~bhlib.teaching.widgets` — the "try it" widgets (need
  ``ipywidgets``, the ``notebooks`` extra; imported on their own: ``from bhlib.teaching import
  widgets``).

The tables and figures are importable from this package: ``from bhlib import teaching`` then
``teaching.block_table(...)``.

**The rule of the floors.** A table or figure computed in closed form for a lesson lives here,
in the module of its topic; one computed from run records lives in :mod:`bhlib.experiment`; how a
number or a table looks lives in :mod:`bhlib.display`. This floor may import every other; nothing
outside it imports this floor (``tests/test_layers.py`` checks it).
"""
from .binarization import birthday_table, bit_table, hash_table
from .blocks import block_size_table, block_table, digits_table, succession_is_generalized_qr
from .budgets import DEVICES, budget_table, device_table, planned_sizes, reach_table, smallest_plan
from .figures import (
                      birthday_figure,
                      bit_grid_figure,
                      block_color,
                      block_size_figure,
                      bytes_per_process_figure,
                      collision_figure,
                      memory_figure,
)
from .scale_out import (
                        TIMING_FIELDS,
                        data_parallel_facts,
                        data_parallel_runs,
                        data_parallel_table,
                        sweep_facts,
                        sweep_on_workers,
                        sweep_time_table,
                        without_timing,
)
from .scaling import (
                      SCALE_DEVICES,
                      VOCABULARIES,
                      bytes_per_process_grid,
                      bytes_per_process_table,
                      full_table_limit,
                      replication_table,
                      sharding_table,
)
from .uniqueness import collision_table, permutation_collisions, unseen_rows_table

__all__ = [
    "hash_table", "birthday_table", "bit_table", "block_table", "block_size_table",
    "digits_table", "succession_is_generalized_qr", "collision_table", "permutation_collisions",
    "unseen_rows_table", "DEVICES", "smallest_plan", "reach_table", "budget_table",
    "device_table", "planned_sizes", "block_color", "bit_grid_figure", "block_size_figure",
    "birthday_figure", "collision_figure", "memory_figure", "SCALE_DEVICES", "VOCABULARIES",
    "bytes_per_process_table", "bytes_per_process_grid", "full_table_limit", "sharding_table",
    "replication_table", "bytes_per_process_figure", "TIMING_FIELDS", "data_parallel_runs",
    "data_parallel_table", "data_parallel_facts", "without_timing", "sweep_on_workers",
    "sweep_facts", "sweep_time_table",
]

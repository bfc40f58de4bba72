"""Widget latency: every control of every notebook panel moved headless, each re-render timed.

The panels are built as the notebooks build them (notebook 03's on the MovieLens vocabularies and
the 10^6-id synthetic field; 05 and 06 on the records of ``results/`` when ``make run`` has
written them) and moved with :func:`bhlib.teaching.latency.panel_latency`. The goal is p95 <= 0.5 s
and max <= 1 s per panel. Headless: the time is the kernel's (table, figure, SVG), not the
browser's drawing.
"""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from bhlib.data import DataFetchError, load_movielens
from bhlib.experiment import read_records
from bhlib.teaching import widgets
from bhlib.teaching.latency import latency_summary, panel_latency

__all__ = ["run_widgets"]


def _builders(synthetic_vocab: int, results: Path, cache_dir: str) -> tuple[dict, dict]:
    """Panel name -> zero-argument builder, and panel name -> why it is not measured."""
    skipped = {}
    vocabularies = {}
    try:
        ml = load_movielens(cache_dir).cardinalities
        vocabularies = {"MovieLens items": ml["item_id"], "MovieLens users": ml["user_id"],
                        "MovieLens zip codes": ml["zip_code"]}
    except DataFetchError as err:
        skipped["03 (MovieLens vocabularies)"] = str(err)[:100]
    vocabularies["synthetic field 0"] = synthetic_vocab
    builders = {
        "01 codes": lambda: widgets.codes_widget("alice", field="user_id", num_bits=16),
        "02 blocks": lambda: widgets.blocks_widget(214, num_bits=8),
        "03 uniqueness": lambda: widgets.uniqueness_widget(vocabularies, ratio=10),
        "04 budget": lambda: widgets.budget_widget(10**9, embedding_dim=64,
                                                   device="phone app (50 MB)"),
        "07 replication": lambda: widgets.replication_widget(10**9, device="GPU (80 GB)"),
    }
    summary = results / "summary.csv"
    if summary.exists():
        builders["05 results"] = lambda: widgets.results_widget(pd.read_csv(summary))
    else:
        skipped["05 results"] = f"no {summary} (run make run first)"
    records = read_records(results / "runs.jsonl")
    if any(r.get("dataset") == "movielens-time" for r in records):
        builders["06 curves"] = lambda: widgets.curves_widget(records, "movielens-time")
    else:
        skipped["06 curves"] = f"no movielens-time runs in {results / 'runs.jsonl'}"
    return builders, skipped


def run_widgets(synthetic_vocab: int = 10**6, *, results: str = "results",
                cache_dir: str = "data", num_values: int = 8) -> dict:
    """Build each notebook panel, move every control, and summarize the re-render times."""
    builders, skipped = _builders(synthetic_vocab, Path(results), cache_dir)
    tables, build = {}, {}
    for name, make in builders.items():
        t0 = time.perf_counter()
        panel = make()
        build[name] = time.perf_counter() - t0
        tables[name] = panel_latency(panel, num_values=num_values)
    summary = latency_summary(tables)
    summary["build_s"] = summary["panel"].map(build)
    summary["goal_met"] = (summary["p95_s"] <= 0.5) & (summary["max_s"] <= 1.0)
    moves = pd.concat({k: t for k, t in tables.items()}, names=["panel", "i"]).reset_index()
    return {"synthetic_vocab": synthetic_vocab, "rows": summary.to_dict("records"),
            "moves": moves.drop(columns="i").astype({"value": str}).to_dict("records"),
            "skipped": skipped}

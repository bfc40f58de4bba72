"""`make bench`: BH's speed and memory against the baselines and the hardware limit (issue 5).

Seven sections, each in its own file (timed interleaved, medians of repeats, but the memory one):

1. :mod:`index_gen` — index generation (ids/s) beside a copy of the same bytes (bandwidth bound);
2. :mod:`train_step` — forward + backward + optimizer step per scheme at several ``V``;
3. :mod:`memory` — peak resident memory of a short training run, one child process per scheme;
4. :mod:`ctr` — end-to-end CTR training throughput on the synthetic dataset;
5. :mod:`widgets` — every control of every notebook panel moved headless, each re-render timed;
6. :mod:`table_update` — dense fused Adam against SparseAdam on one table, by table size;
7. :mod:`scale_out` — sweep throughput with 1 and 2 workers, DDP step time with 1 and 2 ranks
   (child processes: a fresh one per sweep repeat, one torchrun per rank count).

Writes ``results/bench.json`` (machine, settings, every row, ``summary``) and
``results/bench.md`` (the tables as markdown) and prints the tables, the summary table last.

Usage::

    python bench/run.py            # full sizes (~2.5 min on an idle 2-core machine, + 1-1.5 min: 7)
    python bench/run.py --quick    # smaller sizes (~1 min, + ~30 s of 7)
    python bench/run.py --smoke    # tiny sizes, for the smoke test (seconds, + 20-50 s of 7)
    python bench/run.py --sections scale   # one section (here 7) alone
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bhlib from a plain checkout too

from common import format_table, load_average, machine_info, thread_counts  # noqa: E402
from ctr import run_ctr  # noqa: E402
from index_gen import run_index_gen  # noqa: E402
from memory import run_memory  # noqa: E402
from scale_out import cores, run_scale_out  # noqa: E402
from table_update import FACTORS, run_table_update  # noqa: E402
from train_step import run_train_step  # noqa: E402
from widgets import run_widgets  # noqa: E402

from bhlib.optim import DENSE_FACTOR  # noqa: E402

SECTIONS = ("index", "step", "memory", "ctr", "widgets", "tables", "scale")
STEP_GOALS = {"over_sparse_full": 0.12, "over_traffic_bound": 2.0}  # BH step, 1 thread
INDEX_GOALS = {"best": 0.6, "skip": 0.35}  # fractions of the copy bound, validation on


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of one benchmark run (one preset per command-line mode)."""

    num_ids: int = 10_000_000                    # ids per index-generation call
    vocabs: tuple = (10**5, 10**6, 10**7)        # V of the training-step section
    memory_vocab: int = 10**7                    # V of the memory section
    ctr_rows: int = 200_000                      # synthetic rows of the CTR section
    ctr_vocabs: tuple = (10**6, 10**5, 10**4, 10**3, 100, 10)  # its field vocabularies
    ratio: int = 1000                            # compression of the compressed schemes
    ctr_ratio: int = 100                         # compression of the CTR section's big fields
    repeats: int = 5                             # timed repeats per quantity (median kept)
    ctr_repeats: int = 3                         # one-epoch fits per CTR method
    compile: bool = True                         # also time a torch.compile'd formula (seconds)
    widget_vocab: int = 10**6                    # notebook 03's synthetic field, as in the notebook
    table_factors: tuple = FACTORS               # table rows / (B * K) of section 6
    # section 7: one synthetic sweep with 1 and 2 workers (a fresh process per repeat) ...
    sweep_rows: int = 100_000                    # its dataset's rows
    sweep_vocabs: tuple = (100_000, 10_000, 10)  # its fields (both big ones compressed)
    sweep_methods: tuple = ("hash", "qr", "bh-succession", "bh-skip")  # beside the full baseline
    sweep_ratios: tuple = (10, 30)               # targets (every method reaches both)
    sweep_seeds: tuple = (0, 1)                  # 2 x 9 = 18 runs: even, so 2 workers can split
    sweep_epochs: int = 2
    sweep_repeats: int = 1                       # fresh processes, variants interleaved, median
    sweep_dask: bool = True                      # also a Dask LocalCluster of 2 workers
    # ... and one DDP step with 1 and 2 ranks (one torchrun launch per rank count per repeat)
    ddp_rows: int = 60_000                       # synthetic rows
    ddp_vocabs: tuple = (10**6, 1000, 10)        # its fields (the first compressed, or Full's)
    ddp_batch: int = 4096                        # global batch, the same for 1 and 2 ranks
    ddp_warmup: int = 5                          # untimed steps per model per launch
    ddp_steps: int = 25                          # timed steps per block; blocks alternate models
    ddp_rounds: int = 4                          # blocks per model per launch
    ddp_repeats: int = 1                         # launches per rank count (1, 2, 1, 2, ...)


PRESETS = {
    "full": BenchConfig(),
    "quick": BenchConfig(num_ids=10**6, vocabs=(10**5, 10**6), memory_vocab=10**6,
                         ctr_rows=50_000, repeats=3, ctr_repeats=1, sweep_rows=60_000,
                         sweep_seeds=(0,), sweep_dask=False, ddp_rounds=2),
    "smoke": BenchConfig(num_ids=20_000, vocabs=(2_000,), memory_vocab=20_000, ctr_rows=3_000,
                         ctr_vocabs=(5_000, 100, 10), ratio=10, ctr_ratio=4, repeats=2,
                         ctr_repeats=1, compile=False, widget_vocab=10_000,
                         table_factors=(1 / 4, 16), sweep_rows=3_000,
                         sweep_vocabs=(5_000, 100, 10), sweep_methods=("hash",),
                         sweep_ratios=(10,), sweep_seeds=(0,), sweep_epochs=1, sweep_dask=False,
                         ddp_rows=10_000, ddp_vocabs=(20_000, 100, 10), ddp_batch=1024,
                         ddp_warmup=2, ddp_steps=3, ddp_rounds=2),
}


def summarize(res: dict) -> dict:
    """The headline numbers and the issue's goals."""
    out: dict = {}
    idx = [r for r in res.get("index_gen", {}).get("rows", []) if r["kind"] == "bh"]
    if idx:
        best = max(idx, key=lambda r: r["fraction"])
        fresh = max((r for r in idx if r["output"] == "fresh"), key=lambda r: r["fraction"])
        out["index_gen_fraction_of_bandwidth"] = best["fraction"]
        out["index_gen_best"] = {k: best[k] for k in ("name", "threads", "ids_per_s", "fraction")}
        out["index_gen_fraction_fresh_output"] = fresh["fraction"]
        out["goal_index_gen_half_bandwidth"] = best["fraction"] >= 0.5
        skip = max(r["fraction"] for r in idx if r["strategy"] == "skip")
        out["index_gen_fraction_skip"] = skip
        out["goal_index_gen"] = (best["fraction"] >= INDEX_GOALS["best"]
                                 and skip >= INDEX_GOALS["skip"])
        comp = [r for r in res["index_gen"]["rows"] if r["kind"] == "compiled"]
        if comp:
            out["index_gen_fraction_torch_compile"] = max(r["fraction"] for r in comp)
    step = res.get("train_step", {}).get("bh_over_full", {})
    if step:
        worst: dict = {}
        for ratios in step.values():
            for v, r in ratios.items():
                worst[v] = max(worst.get(v, 0.0), r)
        out["bh_over_full_step_time"] = worst
        out["bh_over_full_step_time_by_threads"] = step
        out["goal_bh_step_at_most_full"] = all(r <= 1.0 for r in worst.values())
        st = res["train_step"]
        th = min(st["bh_over_sparse_full"] or st["bh_over_traffic_bound"])  # 1 thread if timed
        out["step_threads"] = th
        out["bh_step_over_sparse_full"] = st["bh_over_sparse_full"].get(th, {})
        out["bh_step_over_traffic_bound"] = st["bh_over_traffic_bound"].get(th, {})
        out["goal_bh_step"] = (
            all(r <= STEP_GOALS["over_sparse_full"]
                for r in out["bh_step_over_sparse_full"].values())
            and all(r <= STEP_GOALS["over_traffic_bound"]
                    for r in out["bh_step_over_traffic_bound"].values()))
    mem = res.get("memory", {})
    if mem.get("full_over_bh_peak"):
        out["memory_full_over_bh_peak_rss"] = mem["full_over_bh_peak"]
        out["memory_full_over_bh_scheme_bytes"] = mem["full_over_bh_scheme_bytes"]
        out["memory_full_over_bh_expected"] = mem["full_over_bh_expected"]
    ctr = res.get("ctr", {})
    if ctr.get("available"):
        sps = {r["method"]: r["samples_per_s"] for r in ctr["rows"] if "samples_per_s" in r}
        if "bh-succession" in sps and "full" in sps:
            out["ctr_bh_over_full_throughput"] = sps["bh-succession"] / sps["full"]
    elif ctr:
        out["ctr"] = f"not measured: {ctr.get('reason')}"
    tab = res.get("table_update", {}).get("rows")
    if tab:
        out["table_update_rule_agrees"] = f"{sum(r['rule_agrees'] for r in tab)} of {len(tab)}"
    scale = res.get("scale_out")
    if scale:
        out["cores"], out["cpu_count"] = scale["cores"], scale["cpu_count"]
        sweep = {(r["backend"], r["workers"]): r for r in scale["sweep"]["rows"]}
        out["sweep_runs_per_minute"] = {w: sweep["loky", w]["runs_per_minute"] for w in (1, 2)}
        out["sweep_speedup_2_workers"] = scale["sweep_speedup_2_workers"]
        if "sweep_speedup_2_dask_workers" in scale:
            out["sweep_runs_per_minute_2_dask_workers"] = sweep["dask", 2]["runs_per_minute"]
            out["sweep_speedup_2_dask_workers"] = scale["sweep_speedup_2_dask_workers"]
        ddp = scale["ddp"]["rows"]
        out["ddp_ms_per_step"] = {m: {r["ranks"]: r["ms_per_step"] for r in ddp
                                      if r["method"] == m} for m in dict.fromkeys(
                                          r["method"] for r in ddp)}
        out["ddp_step_speedup_2_ranks"] = scale["ddp_step_speedup_2_ranks"]
        out["ddp_allreduce_share_2_ranks"] = {r["method"]: r["allreduce_share"] for r in ddp
                                              if r["ranks"] == 2}
    wid = res.get("widgets", {}).get("rows")
    if wid:
        out["widget_p95_s"] = {r["panel"]: r["p95_s"] for r in wid}
        out["widget_max_s"] = {r["panel"]: r["max_s"] for r in wid}
        out["goal_widgets_p95_half_second_max_one"] = all(r["goal_met"] for r in wid)
    return out


def tables(res: dict, markdown: bool = False) -> list[tuple[str, str]]:
    """``(title, table)`` per section, the summary last."""
    out = []
    idx = res.get("index_gen")
    if idx:
        ths = sorted({r["threads"] for r in idx["rows"]})
        rows = {}
        for r in idx["rows"]:
            row = rows.setdefault(r["name"], {"name": r["name"], "n": r["n_ids"]})
            row[f"mids{r['threads']}"] = r["ids_per_s"] / 1e6
            row[f"frac{r['threads']}"] = r["fraction"]
        cols = [("name", "index generation", ""), ("n", "ids", ",")]
        for t in ths:
            cols += [(f"mids{t}", f"Mids/s {t}T", ".1f"), (f"frac{t}", f"of bound {t}T", ".2f")]
        ref = ", ".join(f"{t}T {v['bandwidth_gb_s']:.1f} GB/s" for t, v in idx["reference"].items())
        comp = idx.get("compile", {})
        comp = (f"; torch.compile took {comp['seconds']:.1f} s" if "seconds" in comp
                else f"; torch.compile failed: {comp['error'][:60]}" if comp else "")
        out.append((f"1. Index generation, {idx['num_bits']}-bit ids (copy bandwidth: {ref}{comp})",
                    format_table(list(rows.values()), cols, markdown=markdown)))
    st = res.get("train_step")
    if st:
        ths = sorted({r["threads"] for r in st["rows"]})
        rows = {}
        for r in st["rows"]:
            key = (r["V"], r["method"], r["optimizer"])
            row = rows.setdefault(key, {"V": r["V"], "method": r["method"], "opt": r["optimizer"],
                                        "ratio": r["ratio"], "rows": r["rows"]})
            row[f"ms{r['threads']}"] = r["seconds"] * 1e3
            full = [f["seconds"] for f in st["rows"] if f["method"] == "full"
                    and f["V"] == r["V"] and f["threads"] == r["threads"]]
            row[f"rel{r['threads']}"] = r["seconds"] / min(full) if full else None
            sparse = [f["seconds"] for f in st["rows"] if f["method"] == "full"
                      and f["optimizer"] == "sparse_adam" and f["V"] == r["V"]
                      and f["threads"] == r["threads"]]
            row[f"sp{r['threads']}"] = r["seconds"] / sparse[0] if sparse else None
            row[f"bound{r['threads']}"] = r.get("over_bound")
        cols = [("V", "V", ","), ("method", "method", ""), ("opt", "optimizer", ""),
                ("ratio", "ratio", ","), ("rows", "rows", ",")]
        for t in ths:
            cols += [(f"ms{t}", f"ms/step {t}T", ".2f"), (f"rel{t}", f"/ best full {t}T", ".3f"),
                     (f"sp{t}", f"/ sparse full {t}T", ".3f"),
                     (f"bound{t}", f"x traffic bound {t}T", ".2f")]
        bw = {}
        for r in st["rows"]:
            bw.setdefault(r["threads"], []).append(r["copy_gb_s"])
        bw_text = ", ".join(f"{t}T {min(v):.1f}-{max(v):.1f} GB/s" for t, v in sorted(bw.items()))
        notes = "".join(f"\nskipped {s['method']} {s['optimizer']} at V = {s['V']:,}: "
                        f"{s['reason']}" for s in st["skipped"])
        out.append((f"2. Training step (batch {st['batch']}, dim {st['dim']}, one field; copy "
                    f"bandwidth of {st['copy_bytes'] // 2**20} MiB buffers: {bw_text})",
                    format_table(list(rows.values()), cols, markdown=markdown) + notes))
    mem = res.get("memory")
    if mem and mem["rows"]:
        rows = [{**r, "peak": r["peak_rss"] / 2**20, "scheme": r["scheme_bytes"] / 2**20,
                 "expected": r["expected_bytes"] / 2**20} for r in mem["rows"]]
        rows += [{"method": s["method"], "optimizer": s["optimizer"], "note": s["reason"]}
                 for s in mem["skipped"]]
        cols = [("method", "method", ""), ("optimizer", "optimizer", ""), ("ratio", "ratio", ","),
                ("peak", "peak RSS MiB", ",.0f"), ("scheme", "peak - baseline MiB", ",.1f"),
                ("expected", "params+state MiB", ",.1f")]
        if mem["skipped"]:
            cols.append(("note", "note", ""))
        out.append((f"3. Memory of a short training run, V = {mem['V']:,}, one process each",
                    format_table(rows, cols, markdown=markdown)))
    ctr = res.get("ctr")
    if ctr:
        if ctr.get("available"):
            cols = [("method", "method", ""), ("samples_per_s", "samples/s", ",.0f"),
                    ("embedding_ratio", "embedding ratio", ".1f"),
                    ("embedding_params", "embedding params", ",")]
            if any("error" in r for r in ctr["rows"]):
                cols.append(("error", "note", ""))
            out.append((f"4. CTR training throughput, synthetic {ctr['num_rows']:,} rows, "
                        f"fields {ctr['compressed_fields']} at {ctr['ratio']}x",
                        format_table(ctr["rows"], cols, markdown=markdown)))
        else:
            out.append(("4. CTR training throughput", f"not measured: {ctr.get('reason')}"))
    tab = res.get("table_update")
    if tab:
        rows = [{**r, "dense_ms": r["dense_s"] * 1e3, "sparse_ms": r["sparse_s"] * 1e3}
                for r in tab["rows"]]
        cols = [("rows", "table rows", ","), ("rows_over_batch_lookups", "rows / (B*K)", ".3g"),
                ("dense_ms", "dense Adam ms", ".3f"), ("sparse_ms", "SparseAdam ms", ".3f"),
                ("sparse_over_dense", "sparse / dense", ".2f"), ("faster", "faster", ""),
                ("rule", "rule picks", "")]
        out.append((f"6. One table, dense fused Adam or SparseAdam (batch {tab['batch']}, "
                    f"dim {tab['dim']}, K = {tab['lookups']}, 1 thread; the rule: dense when "
                    f"rows <= {DENSE_FACTOR}*B*K)", format_table(rows, cols, markdown=markdown)))
    wid = res.get("widgets")
    if wid:
        cols = [("panel", "panel", ""), ("moves", "moves", ","), ("p50_s", "p50 s", ".3f"),
                ("p95_s", "p95 s", ".3f"), ("max_s", "max s", ".3f"), ("slowest", "slowest", ""),
                ("build_s", "build s", ".1f"), ("unchanged_moves", "unchanged", ",")]
        notes = "".join(f"\nnot measured: {k}: {v}" for k, v in wid["skipped"].items())
        out.append((f"5. Widget latency, every control moved headless (notebook 03's synthetic "
                    f"field: {wid['synthetic_vocab']:,} ids)",
                    format_table(wid["rows"], cols, markdown=markdown) + notes))
    scale = res.get("scale_out")
    if scale:
        sw, dd = scale["sweep"], scale["ddp"]
        cols = [("backend", "backend", ""), ("workers", "workers", ""), ("runs", "runs", ""),
                ("seconds", "wall s", ".1f"), ("runs_per_minute", "runs/min", ".1f"),
                ("speedup", "speed-up", ".2f"), ("train_s_sum", "training s (sum)", ".1f"),
                ("overhead_s", "wall - training/workers s", ".1f"), ("spread", "spread", ".2f")]
        notes = "".join(f"\nnot measured: {k}: {v}" for k, v in sw["skipped"].items())
        out.append((f"7. Scaling out on {scale['cores']} cores (os.cpu_count() "
                    f"{scale['cpu_count']}): one sweep of {sw['rows'][0]['runs']} runs "
                    f"(synthetic, {sw['dataset_rows']:,} rows, "
                    f"{sw['epochs']} epoch(s), 1 thread per run) with 1 and 2 workers, start-up "
                    f"of the workers included, median of {sw['rows'][0]['repeats']}",
                    format_table(sw["rows"], cols, markdown=markdown) + notes))
        cols = [("method", "method", ""), ("ranks", "ranks", ""),
                ("rows_per_rank", "rows/rank", ","), ("ms_per_step", "ms/step", ".2f"),
                ("speedup", "speed-up", ".2f"), ("forward_backward_ms", "fwd+bwd ms", ".2f"),
                ("sync_sparse_ms", "sync_sparse ms", ".2f"), ("optimizer_ms", "opt ms", ".2f"),
                ("allreduce_ms", "all-reduce ms", ".2f"),
                ("allreduce_share", "all-reduce share", ".2f"), ("spread", "spread", ".2f")]
        out.append((f"7. DDP training step, global batch {dd['global_batch']:,} (synthetic, "
                    f"fields {', '.join(f'{v:,}' for v in dd['vocabs'])}; BH at "
                    f"{dd['ratio']}x), torchrun on {dd['host']}, {dd['backend']}, "
                    f"{dd['threads_per_rank']} thread per rank, median of "
                    f"{dd['timed_steps_per_launch']} steps x {dd['rows'][0]['launches']} "
                    f"launch(es); sweep {scale['sweep_s']:.0f} s, DDP {scale['ddp_s']:.0f} s",
                    format_table(dd["rows"], cols, markdown=markdown)))
    s = res.get("summary", {})
    rows = []
    if "index_gen_fraction_of_bandwidth" in s:
        rows.append({"quantity": "bhlib.bh_indices, fraction of the copy bound (best config)",
                     "value": f"{s['index_gen_fraction_of_bandwidth']:.2f} "
                              f"({s['index_gen_best']['name']}, {s['index_gen_best']['threads']}T)",
                     "goal": ">= 0.5",
                     "met": "yes" if s["goal_index_gen_half_bandwidth"] else "no"})
    if "index_gen_fraction_skip" in s:
        rows.append({"quantity": "bhlib.bh_indices, Skip, fraction of the copy bound (best)",
                     "value": f"{s['index_gen_fraction_skip']:.2f}",
                     "goal": f">= {INDEX_GOALS['skip']} (best config >= {INDEX_GOALS['best']})",
                     "met": "yes" if s["goal_index_gen"] else "no"})
    if "index_gen_fraction_torch_compile" in s:
        rows.append({"quantity": "same formula fused by torch.compile (not in bhlib)",
                     "value": f"{s['index_gen_fraction_torch_compile']:.2f}"})
    for v, r in s.get("bh_over_full_step_time", {}).items():
        rows.append({"quantity": f"BH step / faster Full step, V = {v:,} (worst thread count)",
                     "value": f"{r:.3f}", "goal": "<= 1.0", "met": "yes" if r <= 1.0 else "no"})
    for v, r in s.get("bh_step_over_sparse_full", {}).items():
        bound = s["bh_step_over_traffic_bound"].get(v)
        ok = (r <= STEP_GOALS["over_sparse_full"]
              and (bound is None or bound <= STEP_GOALS["over_traffic_bound"]))
        rows.append({"quantity": f"BH step / sparse Full step, and x its traffic bound, "
                                 f"V = {v:,} ({s['step_threads']}T)",
                     "value": f"{r:.3f}, {bound:.2f}x" if bound is not None else f"{r:.3f}",
                     "goal": f"<= {STEP_GOALS['over_sparse_full']}, "
                             f"<= {STEP_GOALS['over_traffic_bound']:g}x",
                     "met": "yes" if ok else "no"})
    if "table_update_rule_agrees" in s:
        rows.append({"quantity": "table sizes where the dense/sparse rule picks the faster",
                     "value": s["table_update_rule_agrees"]})
    mem_ratio = next((r["ratio"] for r in res.get("memory", {}).get("rows", [])
                      if r["method"].startswith("bh")), None)
    if "memory_full_over_bh_peak_rss" in s:
        rows.append({"quantity": f"peak RSS Full (leaner optimizer) / BH {mem_ratio}x",
                     "value": f"{s['memory_full_over_bh_peak_rss']:.1f}x (peak - baseline: "
                              f"{s['memory_full_over_bh_scheme_bytes']:.0f}x; params+state: "
                              f"{s['memory_full_over_bh_expected']:.0f}x)"})
    if "ctr_bh_over_full_throughput" in s:
        rows.append({"quantity": "CTR samples/s BH-Succession / Full",
                     "value": f"{s['ctr_bh_over_full_throughput']:.2f}"})
    elif "ctr" in s:
        rows.append({"quantity": "CTR throughput", "value": s["ctr"][:90]})
    if "widget_p95_s" in s:
        worst = max(s["widget_p95_s"], key=s["widget_p95_s"].get)
        rows.append({"quantity": "widget re-render, worst panel p95 / max (headless)",
                     "value": f"{s['widget_p95_s'][worst]:.2f} s / "
                              f"{max(s['widget_max_s'].values()):.2f} s ({worst})",
                     "goal": "<= 0.5 / 1.0 s",
                     "met": "yes" if s["goal_widgets_p95_half_second_max_one"] else "no"})
    if "sweep_speedup_2_workers" in s:
        rpm = s["sweep_runs_per_minute"]
        rows.append({"quantity": f"sweep runs/min, 1 -> 2 loky workers ({s['cores']} cores, "
                                 f"start-up included)",
                     "value": f"{rpm[1]:.1f} -> {rpm[2]:.1f} "
                              f"({s['sweep_speedup_2_workers']:.2f}x)"})
        if "sweep_speedup_2_dask_workers" in s:
            rows.append({"quantity": "sweep runs/min, 2 Dask LocalCluster workers",
                         "value": f"{s['sweep_runs_per_minute_2_dask_workers']:.1f} "
                                  f"({s['sweep_speedup_2_dask_workers']:.2f}x of 1 worker)"})
        for m, speed in s["ddp_step_speedup_2_ranks"].items():
            ms = s["ddp_ms_per_step"][m]
            rows.append({"quantity": f"DDP ms per global step, 1 -> 2 ranks, {m}",
                         "value": f"{ms[1]:.2f} -> {ms[2]:.2f} ({speed:.2f}x; all-reduce "
                                  f"{s['ddp_allreduce_share_2_ranks'][m]:.0%} of the 2-rank step)"})
    out.append(("Summary", format_table(rows, [("quantity", "quantity", ""), ("value", "value", ""),
                                               ("goal", "goal", ""), ("met", "met", "")],
                                        markdown=markdown)))
    return out


def main(argv: list[str] | None = None) -> dict:
    """Parse the command line, run the sections, write the JSON and markdown, print the tables."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes (~1 min)")
    size.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), for tests")
    p.add_argument("--out", default="results/bench.json", help="JSON output path")
    p.add_argument("--threads", default="", help="comma-separated thread counts (default: 1,cores)")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help=f"comma-separated subset of {','.join(SECTIONS)}")
    args = p.parse_args(argv)
    preset = "smoke" if args.smoke else "quick" if args.quick else "full"
    cfg = PRESETS[preset]
    threads = thread_counts([int(t) for t in args.threads.split(",") if t])
    sections = [s for s in args.sections.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        p.error(f"--sections: unknown {sorted(unknown)}; choose from {list(SECTIONS)}")
    res: dict = {"machine": machine_info(), "preset": preset, "threads": threads,
                 "config": dataclasses.asdict(cfg)}
    res["machine"].update(cores_affinity=cores()["cores"])  # the cores this process may use
    m = res["machine"]
    print(f"bench ({preset}): {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
          f"torch {m['torch']} ({m['parallel_backend']}), numpy {m['numpy']}, "
          f"python {m['python']}, threads {threads} (default {m['torch_threads_default']}), "
          f"env {m['env']}, load {m['load_average_1min']:.2f}, commit {m['git_commit']}",
          flush=True)
    start = time.perf_counter()
    steps = {"index": ("index_gen", lambda: run_index_gen(cfg.num_ids, threads, cfg.repeats,
                                                        compile=cfg.compile)),
             "step": ("train_step", lambda: run_train_step(list(cfg.vocabs), threads,
                                                           cfg.repeats, ratio=cfg.ratio)),
             "memory": ("memory", lambda: run_memory(cfg.memory_vocab, ratio=cfg.ratio)),
             "ctr": ("ctr", lambda: run_ctr(cfg.ctr_rows, cfg.ctr_vocabs, cfg.ctr_repeats,
                                           ratio=cfg.ctr_ratio)),
             "widgets": ("widgets", lambda: run_widgets(cfg.widget_vocab)),
             "tables": ("table_update", lambda: run_table_update(cfg.repeats,
                                                                 factors=cfg.table_factors)),
             "scale": ("scale_out", lambda: run_scale_out(
                 sweep={k: getattr(cfg, f"sweep_{k}") for k in (
                     "rows", "vocabs", "methods", "ratios", "seeds", "epochs", "repeats", "dask")},
                 ddp={k: getattr(cfg, f"ddp_{k}") for k in (
                     "rows", "vocabs", "batch", "warmup", "steps", "rounds", "repeats")}))}
    for name in sections:
        key, fn = steps[name]
        t0 = time.perf_counter()
        res[key] = fn()
        print(f"  {key}: {time.perf_counter() - t0:.1f} s", flush=True)
    res["summary"] = summarize(res)
    res["elapsed_s"] = time.perf_counter() - start
    res["load_average_1min_end"] = load_average()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, default=str))
    md = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB), "
          f"torch {m['torch']}, preset `{preset}`, load {m['load_average_1min']:.1f} -> "
          f"{res['load_average_1min_end']:.1f}."]
    md += [f"**{title}**\n\n{table}" for title, table in tables(res, markdown=True)]
    out.with_suffix(".md").write_text("\n\n".join(md) + "\n")
    for title, table in tables(res):
        print(f"\n{title}\n{table}")
    print(f"\n{preset} bench: {res['elapsed_s']:.0f} s, load {m['load_average_1min']:.2f} -> "
          f"{res['load_average_1min_end']:.2f}; wrote {out} and {out.with_suffix('.md')}")
    return res


if __name__ == "__main__":
    main()

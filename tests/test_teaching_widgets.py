"""Every widget builder, built headless: move each control across its range and read the panel.

The panels render into an ``HTML`` widget and an ``Image`` widget, so no kernel is needed: a test
sets ``panel.controls[name].value`` and reads ``panel.html.value`` / ``panel.image.value``.
"""
import html

import ipywidgets
import numpy as np
import pytest

import bhlib
from bhlib import display, experiment, teaching
from bhlib.embeddings import bytes_per_parameter
from bhlib.teaching import widgets
from bhlib.teaching.panel import Panel

from . import reference

SVG = b"<?xm"  # the first 4 bytes of an SVG: the panels draw their figures as SVG


def sweep(control, most=25):
    """Values across a control's range: every option; a slider's every step, or ``most`` evenly
    spaced steps including both ends when it has more (rendering a figure takes ~0.1 s)."""
    if hasattr(control, "options"):
        opts = control.options
        return [o[1] if isinstance(o, tuple) else o for o in opts]
    if control.__class__.__name__ == "FloatLogSlider":
        steps = np.arange(control.min, control.max + control.step / 2, control.step)
    else:
        steps = np.arange(control.min, control.max + 1)
    if len(steps) > most:
        steps = steps[np.unique(np.linspace(0, len(steps) - 1, most).round().astype(int))]
    if control.__class__.__name__ == "FloatLogSlider":
        return [float(control.base ** e) for e in steps]
    return [int(s) for s in steps]


def count_renders(panel):
    """Record each view the panel shows (drawn, or taken from its cache of drawn views)."""
    calls = []
    view = panel.view

    def counted(values):
        calls.append(dict(values))
        return view(values)

    panel.view = counted
    return calls


def test_every_builder_returns_a_panel_with_controls():
    recs, summary = two_dataset_summary()
    for build in (widgets.codes_widget, widgets.blocks_widget, widgets.budget_widget,
                  lambda: widgets.uniqueness_widget({"toy": 1000}),
                  lambda: widgets.results_widget(summary),
                  lambda: widgets.curves_widget(recs, "d"), widgets.replication_widget):
        p = build()
        assert isinstance(p, Panel) and isinstance(p, ipywidgets.VBox)
        assert p.controls and all(c in descendants(p) for c in p.controls.values())
        assert p.html.value and p.image.value[:4] == SVG
        assert p.html in descendants(p) and p.image in descendants(p)


def descendants(widget):
    """Every widget inside ``widget`` (boxes opened), in order."""
    out = []
    for child in getattr(widget, "children", ()):
        out += [child, *descendants(child)]
    return out


# ---------------------------------------------------------------- codes_widget
def test_codes_widget_num_bits_across_its_range():
    p = widgets.codes_widget("alice", field="user_id", num_bits=16)
    h = int(bhlib.hash_ids(["alice"], field="user_id")[0])
    seen, values = set(), sweep(p.controls["num_bits"])
    assert values[0] == 1 and values[-1] == 63
    for n in values:
        p.controls["num_bits"].value = n
        code = h % 2**n
        assert f"<td>{bin(h)[2:].zfill(63)[-n:]}</td>" in p.html.value
        assert f"<td>{code}</td>" in p.html.value and f"<td>{h}</td>" in p.html.value
        assert p.image.value[:4] == SVG
        seen.add(p.html.value)
    assert len(seen) == len(values)


def test_codes_widget_field_kind_and_value():
    p = widgets.codes_widget("alice", field="user_id", num_bits=20)
    ids = set()
    for field in sweep(p.controls["field"]):
        p.controls["field"].value = field
        h = int(bhlib.hash_ids(["alice"], field=field)[0])
        assert f"<td>{h}</td>" in p.html.value
        ids.add(h)
    assert len(ids) == len(p.controls["field"].options)
    p.controls["field"].value = ""  # "(no field)"
    assert p.controls["field"].label == "(no field)"
    for kind in sweep(p.controls["kind"]):
        p.controls["kind"].value = kind
        p.controls["value"].value = "42"
        expected = 42 if kind == "integer" else "42"
        assert f"<td>{int(bhlib.hash_ids([expected])[0])}</td>" in p.html.value
    p.controls["kind"].value = "integer"
    p.controls["value"].value = "forty-two"
    assert "not an integer" in p.html.value and p.image.layout.display == "none"
    p.controls["value"].value = "7"
    assert p.image.layout.display is None and p.image.value[:4] == SVG


# ---------------------------------------------------------------- blocks_widget
def test_blocks_widget_strategies_sizes_layouts():
    p = widgets.blocks_widget(214, num_bits=8)
    c = p.controls
    for strategy in sweep(c["strategy"]):
        c["strategy"].value = strategy
        for size_by in sweep(c["size_by"]):
            c["size_by"].value = size_by
            for layout in sweep(c["layout"]):
                c["layout"].value = layout
                for size in sweep(c["size"]):
                    c["size"].value = size
                    spec = {size_by: size}
                    ref = reference.indices(214, 8, strategy, spec.get("block_bits"),
                                            spec.get("num_blocks"), layout)
                    assert f"index tuple: <b>{tuple(ref)}</b>" in p.html.value
                    rows = bhlib.table_rows(8, strategy=strategy, layout=layout, **spec)
                    assert f"table rows: <b>{rows:,}</b>" in p.html.value


def test_blocks_widget_num_bits_clamps_and_renders_once():
    p = widgets.blocks_widget(214, num_bits=8)
    c = p.controls
    c["size"].value = 8
    calls = count_renders(p)
    for n in reversed(sweep(c["num_bits"])):
        c["value"].value = c["value"].max  # the largest id of the current code length
        calls.clear()
        c["num_bits"].value = n
        assert len(calls) == 1, "one change of num_bits renders once"
        assert c["value"].max == 2**n - 1 and c["value"].value <= 2**n - 1
        assert c["size"].max == n and c["size"].value <= n
        spec = {c["size_by"].value: c["size"].value}
        ref = reference.indices(c["value"].value, n, c["strategy"].value,
                                spec.get("block_bits"), spec.get("num_blocks"))
        assert f"index tuple: <b>{tuple(ref)}</b>" in p.html.value


def test_blocks_widget_value_across_a_range():
    p = widgets.blocks_widget(0, num_bits=6)
    p.controls["size"].value = 2
    for v in [*range(0, 64, 5), 63]:
        p.controls["value"].value = v
        t = teaching.block_table(v, 6, strategy="succession", block_bits=2)
        assert display.html_table(t) in p.html.value


# ---------------------------------------------------------------- uniqueness_widget
def test_uniqueness_widget_ratio_across_its_range():
    vocabs = {"toy": 1000, "users": 943}
    p = widgets.uniqueness_widget(vocabs, embedding_dim=8, methods=("hash", "qr", "bh-succession"))
    for V in sweep(p.controls["vocabulary"]):
        p.controls["vocabulary"].value = V
        for ratio in sweep(p.controls["ratio"]):
            p.controls["ratio"].value = ratio
            t = teaching.collision_table(V, 8, ratio, ("hash", "qr", "bh-succession"))
            out = t.attrs["unreachable"]
            if not t.empty:
                assert p.html.value.startswith(display.html_table(t))
            assert ("Unreachable" in p.html.value) == bool(out)
            assert all(m in p.html.value for m in out)
            buckets = V * 8 // ratio // 8
            if buckets >= 1:  # the hash row follows the slider
                assert f"num_buckets={buckets}<" in p.html.value
            qr_max = V / min(-(-V // r) + r for r in range(1, V + 1))
            assert ("Unreachable" in p.html.value) == (ratio > qr_max or buckets < 1)
            assert p.image.value[:4] == SVG or t.empty


# ---------------------------------------------------------------- budget_widget
def test_budget_widget_devices_set_the_budget():
    p = widgets.budget_widget(10**9, embedding_dim=64, device="phone app (50 MB)")
    assert all(label for label in p.controls["device"].options)  # no blank entry
    for device in sweep(p.controls["device"]):
        p.controls["device"].value = device
        if device == "custom":
            continue
        budget = teaching.DEVICES[device]
        assert p.controls["budget"].value == budget
        assert f"budget {display.format_bytes(budget)}" in p.html.value
        t = teaching.budget_table(10**9, 64, budget)
        assert display.html_table(t[["method", "fits", "config", "num_rows", "memory",
                                     "achieved_ratio"]]) in p.html.value


def test_budget_widget_budget_slider_goes_custom():
    p = widgets.budget_widget(10**6, embedding_dim=16, device="laptop (4 GB)")
    calls = count_renders(p)
    for budget in sweep(p.controls["budget"]):
        calls.clear()
        p.controls["budget"].value = budget
        assert len(calls) <= 1
        device = p.controls["device"].value
        assert device == "custom" or teaching.DEVICES[device] == budget
        assert f"budget {display.format_bytes(p.controls['budget'].value)}" in p.html.value
    assert p.controls["device"].value == "custom"


def test_budget_widget_vocabulary_dim_optimizer():
    p = widgets.budget_widget(10**6, embedding_dim=16, device="wearable (2 MB)")
    for V in sweep(p.controls["vocabulary"]):
        p.controls["vocabulary"].value = V
        v = int(round(V))
        assert f"V = {v:,} ids" in p.html.value
    for d in sweep(p.controls["dim"]):
        p.controls["dim"].value = d
        assert f"D = {d}:" in p.html.value
    for opt in sweep(p.controls["optimizer"]):
        p.controls["optimizer"].value = opt
        optimizer = None if opt == "none" else opt
        full = display.format_bytes(v * p.controls["dim"].value * bytes_per_parameter(optimizer))
        use = "for inference" if optimizer is None else f"to train with {opt}"
        assert f"the full table is {html.escape(full)} {use}" in p.html.value


# ---------------------------------------------------------------- replication_widget
def test_replication_widget_devices_set_the_memory_and_the_table_follows():
    p = widgets.replication_widget(10**9, device="GPU (80 GB)")
    for device in sweep(p.controls["device"]):
        p.controls["device"].value = device
        if device == "custom":
            continue
        memory = teaching.SCALE_DEVICES[device]
        assert p.controls["memory"].value == memory
        t = teaching.replication_table(10**9, memory, ratio=1000)
        assert display.html_table(t.drop(columns="skipped")) in p.html.value
        assert p.image.value[:4] == SVG
    p.controls["memory"].value = 10**9  # a memory of one's own
    assert p.controls["device"].value == "custom" and "1 GB per process" in p.html.value


def test_replication_widget_vocabulary_and_ratio():
    p = widgets.replication_widget(10**9, device="GPU (16 GB)")
    for V in sweep(p.controls["vocabulary"]):
        p.controls["vocabulary"].value = V
        assert f"V = {int(round(V)):,} ids" in p.html.value
    p.controls["vocabulary"].value = 10**6
    assert "Skipped: qr: the smallest Q-R tables" in p.html.value  # 1000x: beyond sqrt(V)/2
    p.controls["ratio"].value = 100
    assert "Skipped" not in p.html.value
    with pytest.raises(ValueError, match="ratio"):
        widgets.replication_widget(ratio=3)


def test_panel_shows_errors_instead_of_raising():
    def render(v):
        raise ValueError(f"bad <{v['n']}>")

    p = Panel({"n": ipywidgets.IntSlider(1)}, render)
    assert "bad &lt;1&gt;" in p.html.value and p.image.layout.display == "none"
    p.controls["n"].value = 2
    assert "bad &lt;2&gt;" in p.html.value


def test_panel_keeps_each_view_once_drawn():
    drawn = []

    def render(v):
        drawn.append(v["n"])
        return f"<b>{v['n'] ** 2}</b>", None

    p = Panel({"n": ipywidgets.IntSlider(1, max=9)}, render, cache=2)
    for n in (2, 1, 2):  # back to a setting seen: no drawing, the same view
        p.controls["n"].value = n
    assert drawn == [1, 2] and p.html.value == "<b>4</b>"
    p.controls["n"].value = 3  # the cache holds 2: the oldest (1) goes
    p.controls["n"].value = 1
    assert drawn == [1, 2, 3, 1]
    assert p.precompute([{"n": k} for k in (5, 6)], progress=False) == 2
    p.controls["n"].value = 6
    assert drawn[-2:] == [5, 6] and p.html.value == "<b>36</b>"
    with pytest.raises(ValueError, match=r"controls \['m'\].*it has \['n'\]"):
        p.precompute([{"m": 1}])
    with pytest.raises(ValueError, match="cache"):
        Panel({"n": ipywidgets.IntSlider(1)}, render, cache=-1)


def test_panel_controls_in_columns_and_a_still_picture_for_static_viewers():
    controls = {k: ipywidgets.IntSlider(1, description=k) for k in "abc"}
    p = Panel(controls, lambda v: (f"<b>{v['a']}</b>", None), title="<b>T</b>", columns=2)
    grid = p.children[1]
    assert [[w.description for w in col.children] for col in grid.children] == [["a", "c"], ["b"]]
    bundle = p._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live widget first
    assert bundle["text/html"].startswith("<b>T</b><b>1</b>")  # untrusted / static: the view
    assert bundle["text/plain"] == "Panel 'T': run the notebook to use its controls"
    figure = widgets.blocks_widget(214)._repr_mimebundle_()["text/html"]
    assert '<img src="data:image/svg+xml;base64,' in figure
    with pytest.raises(ValueError, match="columns"):
        Panel(controls, lambda v: ("", None), columns=0)


def test_panel_draws_without_garbage_collection_and_restores_it():
    import gc
    seen = []
    p = Panel({"n": ipywidgets.IntSlider(1)}, lambda v: (seen.append(gc.isenabled()) or "", None))
    assert seen == [False] and gc.isenabled()  # off while drawing, back on after
    gc.disable()
    try:
        p.controls["n"].value = 2
        assert seen == [False, False] and not gc.isenabled()  # left off if it was off
    finally:
        gc.enable()


def test_panel_without_cache_draws_every_time():
    drawn = []
    p = Panel({"n": ipywidgets.IntSlider(1)},
              lambda v: (drawn.append(v["n"]) or str(v["n"]), None), cache=0)
    p.controls["n"].value = 2
    p.controls["n"].value = 1
    assert drawn == [1, 2, 1]


# ---------------------------------------------------------------- results_widget / curves_widget
def two_dataset_summary():

    from .test_experiment_tables import fake_records
    recs = fake_records() + [{**r, "dataset": "e", "test_auc": r["test_auc"] - 0.1}
                             for r in fake_records() if r["status"] == "ok"]
    return recs, experiment.summarize(recs)


def test_results_widget_datasets_and_measures():
    _, summary = two_dataset_summary()
    p = widgets.results_widget(summary)
    seen = set()
    for dataset in sweep(p.controls["dataset"]):
        p.controls["dataset"].value = dataset
        for measure in sweep(p.controls["measure"]):
            p.controls["measure"].value = measure
            grid = experiment.measure_table(summary, dataset, measure)
            assert p.html.value == display.html_table(grid, index=True)
            assert p.image.value[:4] == SVG
            seen.add(p.html.value)
    assert len(seen) == 2 * 4


def test_curves_widget_ratio_and_methods():
    recs, _ = two_dataset_summary()
    p = widgets.curves_widget(recs, "d")
    assert sweep(p.controls["ratio"]) == [10.0, 30.0]
    methods = sweep(p.controls["methods"])
    assert methods == ["full", "hash", "bh-succession"]
    for ratio in sweep(p.controls["ratio"]):
        p.controls["ratio"].value = ratio
        for k in range(1, len(methods) + 1):
            chosen = tuple(methods[:k])
            p.controls["methods"].value = chosen
            expected = experiment.curve_table([r for r in recs if r["method"] in chosen
                                            and r["dataset"] == "d"], "d", ratio=ratio)
            assert p.html.value == display.html_table(expected)
            assert p.image.value[:4] == SVG
    p.controls["methods"].value = ()
    assert "select at least one method" in p.html.value and p.image.layout.display == "none"

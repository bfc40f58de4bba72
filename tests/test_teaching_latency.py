"""Tests of the widget-latency harness: it moves every control and times real re-renders."""
import ipywidgets as widgets
import pytest

from bhlib.teaching import widgets as panels
from bhlib.teaching.latency import control_moves, latency_summary, panel_latency
from bhlib.teaching.panel import Panel


def test_every_control_is_moved_from_the_initial_settings():
    seen = []

    def render(v):
        seen.append(dict(v))
        return f"{v['a']}-{v['b']}", None

    p = Panel({"a": widgets.IntSlider(1, min=1, max=3), "b": widgets.Dropdown(options=["x", "y"])},
              render)
    t = panel_latency(p)
    assert t[["control", "value"]].values.tolist() == [["a", 2], ["a", 3], ["b", "y"]]
    assert {"a": 1, "b": "y"} in seen  # b moved with a back at its start value
    assert p.values() == {"a": 1, "b": "x"} and t["changed"].all()


def test_a_move_that_does_not_change_the_view_is_reported():
    p = Panel({"a": widgets.IntSlider(1, min=1, max=2)}, lambda v: ("same", None))
    assert not panel_latency(p)["changed"].any()


@pytest.mark.parametrize("control, moves", [
    (widgets.SelectMultiple(options=["a", "b"], value=("a",)), [("a", "b"), ("a",)]),
    (widgets.FloatLogSlider(value=10, base=10, min=0, max=2), [1.0, 10.0, 100.0]),
    (widgets.ToggleButtons(options=[("one", 1), ("two", 2)]), [1, 2]),
])
def test_control_moves(control, moves):
    assert control_moves(control, num_values=3) == moves


def test_unknown_controls_and_panels_are_refused():
    with pytest.raises(TypeError, match="control must be"):
        control_moves(widgets.Button())
    with pytest.raises(TypeError, match="panel must be"):
        panel_latency(widgets.VBox())


def test_summary_of_a_real_panel():
    t = panel_latency(panels.blocks_widget(214, num_bits=8), num_values=3)
    s = latency_summary({"blocks": t})
    assert s.loc[0, "moves"] == len(t) > 5
    assert 0 < s.loc[0, "p50_s"] <= s.loc[0, "p95_s"] <= s.loc[0, "max_s"]

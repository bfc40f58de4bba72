"""Teaching figures draw exactly the tables they are given (read back from the artists)."""
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from bhlib import display, teaching


@pytest.mark.parametrize("value,n,spec", [
    (214, 8, {"strategy": "succession", "block_bits": 3}),
    (214, 8, {"strategy": "skip", "num_blocks": 3}),
    (2**40 + 12345, 41, {"strategy": "skip", "block_bits": 5}),
    (1, 1, {"strategy": "succession", "block_bits": 1}),
])
def test_bit_grid_cells_are_the_bits_coloured_by_block(value, n, spec):
    fig = teaching.bit_grid_figure(value, n, **spec)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    table = teaching.bit_table(value, n, **spec)
    assert [t.get_text() for t in ax.texts] == [str(b) for b in table.loc["bit"]]
    every = 1 if n <= 24 else 4  # wide codes label every fourth position
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(p) for p in table.columns
                                                            if int(p) % every == 0]
    cells = ax.images[0].get_array()[0]  # one RGB cell per bit, MSB first
    assert len(cells) == n
    for rgb, owner in zip(cells, table.loc["block"], strict=True):
        assert mcolors.same_color(rgb, teaching.block_color(owner)[:3])
    blocks = teaching.block_table(value, n, **spec)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [f"block {r.block}: {r.bits} = {r.k}" for r in blocks.itertuples()][:12]


def test_bit_grid_legend_names_the_blocks_it_leaves_out():
    fig = teaching.bit_grid_figure(2**62 + 5, 63, block_bits=2)  # 32 blocks
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(labels) == 12 and labels[-1] == "... 21 more blocks (see the table)"
    assert labels[0] == "block 0: 01 = 1"


def test_block_size_figure_draws_rows():
    tables = {s: teaching.block_size_table(10**4, strategy=s) for s in ("succession", "skip")}
    ax = teaching.block_size_figure(tables, 10**4).axes[0]
    for line, t in zip(ax.lines, tables.values(), strict=False):  # + the full table's line
        assert list(line.get_xdata()) == t["block_bits"].tolist()
        assert list(line.get_ydata()) == t["num_rows"].tolist()
    assert ax.lines[-1].get_ydata()[0] == 10**4  # the full table's line


def test_birthday_figure_draws_both_series():
    t = teaching.birthday_table([f"v{i}" for i in range(500)], [8, 12, 16])
    ax = teaching.birthday_figure(t).axes[0]
    assert np.allclose(ax.lines[0].get_ydata(), t["expected_pairs"])
    assert list(ax.lines[1].get_ydata()) == t["measured_pairs"].tolist()


def test_collision_figure_bars_are_the_counts():
    t = teaching.collision_table(1000, 8, 10)
    ax = teaching.collision_figure(t).axes[0]
    widths = np.array([p.get_width() for p in ax.patches]).reshape(3, len(t))
    for row, col in zip(widths, ("ids_sharing_tuple", "ids_sharing_vector", "ids_sharing_a_row"),
                        strict=True):
        assert row.tolist() == pd.to_numeric(t[col], errors="coerce").fillna(0).tolist()
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert labels[0].startswith("hash (")
    kept = teaching.collision_table(1000, 8, 10, keep_unreachable=True)
    labels = [x.get_text() for x in teaching.collision_figure(kept).axes[0].get_yticklabels()]
    assert labels[0] == "full (unreachable)" and labels[1].startswith("hash (")


def test_memory_figure_bars_and_colours():
    t = teaching.budget_table(10**9, 64, 5e7)
    ax = teaching.memory_figure(t, 5e7).axes[0]
    assert [p.get_width() for p in ax.patches] == t["bytes"].tolist()
    for p, ok in zip(ax.patches, t["fits"], strict=True):
        assert mcolors.same_color(p.get_facecolor(), "tab:green" if ok else "tab:gray")
    assert ax.lines[0].get_xdata()[0] == 5e7
    assert "optimizer state" in ax.get_xlabel()
    inference = teaching.memory_figure(t, 5e7, training=False).axes[0]
    assert inference.get_xlabel() == "bytes for inference (parameters)"


def test_figure_png_and_no_pyplot_state():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    png = display.figure_png(teaching.bit_grid_figure(5, 4, block_bits=2))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == before  # figures never enter pyplot's global list


def test_setup_display_formats_floats():
    keys = ("display.float_format", "display.width", "display.max_columns", "display.max_rows",
            "display.max_colwidth")
    with pd.option_context(*[x for k in keys for x in (k, pd.get_option(k))]):
        display.setup_display()
        assert "1,000,000,000" in repr(pd.DataFrame({"r": [1e9]}))
        assert "0.9463" in repr(pd.DataFrame({"r": [0.946312]}))

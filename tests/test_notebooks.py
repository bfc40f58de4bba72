"""The teaching notebooks keep their contract: executed, python3, quick-mode parameters, checked
facts, a widget, a Summary and Exercises (reads the .ipynb files; nbval re-runs them)."""
import importlib.util
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_raw_ids_to_binary_codes", "02_code_block_strategies", "03_uniqueness_and_collisions",
         "04_memory_budgets", "05_accuracy_vs_size", "06_convergence_and_unseen_ids",
         "07_scaling_out"]
CHECK = "# NBVAL_CHECK_OUTPUT"


def load(name):
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())


def source(cell):
    return "".join(cell["source"])


def test_the_seven_notebooks_exist():
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_notebook_contract(name):
    nb = load(name)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = nb["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    md = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    # committed executed, top to bottom, in one session
    counts = [c["execution_count"] for c in code]
    assert None not in counts and counts == sorted(counts), "re-run notebooks/execute.py"
    # a parameters cell reading the quick-mode switch comes first
    assert "parameters" in code[0]["metadata"].get("tags", [])
    assert 'os.environ.get("BHLIB_QUICK"' in source(code[0])
    # motivation citing the paper, a Summary and Exercises
    assert "2109.02471" in source(cells[0])
    # the header states the measured time in both modes
    assert re.search(r"\*\*Time\*\*, measured .* s in full mode .* s in quick mode",
                     " ".join(source(cells[0]).split())), "state the measured times"
    assert "## Summary" in md and "## Exercises" in md
    # at least one "try it" widget from bhlib.widgets
    assert any("widgets." in source(c) and "_widget(" in source(c) for c in code)
    # notebooks import the library and hold little logic
    assert all(len(source(c).splitlines()) <= 10 for c in code)
    assert not any(source(c).lstrip().startswith(("def ", "class ")) for c in code)
    checked = [c for c in code if source(c).startswith(CHECK)]
    assert checked, "teaching facts must be checked by nbval"
    for c in checked:  # checked cells: deterministic text, no widget, no progress bars
        assert c["outputs"], source(c)
        for out in c["outputs"]:
            assert out.get("name") != "stderr", source(c)
            assert "application/vnd.jupyter.widget-view+json" not in out.get("data", {})
            assert "image/png" not in out.get("data", {})


def test_execute_script_selects_notebooks():
    spec = importlib.util.spec_from_file_location("nb_execute", NOTEBOOKS / "execute.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with pytest.raises(SystemExit):
        mod.main(["99"])  # no such notebook: a clear error, nothing executed


SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebook_contract(path):
    """A worked-solution notebook: executed in order, quick-mode parameters, one section per
    open exercise of its lesson, and the lesson it solves."""
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert None not in counts and counts == sorted(counts), "re-run notebooks/execute.py"
    assert "parameters" in code[0]["metadata"].get("tags", [])
    assert 'os.environ.get("BHLIB_QUICK"' in source(code[0])
    assert "2109.02471" in source(cells[0]) and f"(../{path.name})" in source(cells[0])
    assert (NOTEBOOKS / path.name).exists()
    assert any(source(c).startswith("## Exercise ") for c in cells)
    assert not any(source(c).lstrip().startswith(("def ", "class ")) for c in code[:1])


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) + SOLUTIONS,
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_sections_are_slides(path):
    """The title and every section (``#``/``##``) start a slide, subsections and exercises a
    sub-slide: the notebooks present as slides (e.g. with jupyterlab-rise) as they are."""
    cells = json.loads(path.read_text())["cells"]
    for i, c in enumerate(cells):
        if c["cell_type"] != "markdown":
            continue
        first = source(c).lstrip().split("\n", 1)[0]
        kind = c["metadata"].get("slideshow", {}).get("slide_type")
        if i == 0 or first.startswith(("# ", "## ")):
            assert kind == "slide", (i, first)
        elif first.startswith(("### ", "**Exercise")):
            assert kind == "subslide", (i, first)

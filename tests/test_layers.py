"""The layout, enforced from the code itself: three floors, imports only downwards.

* **core** — every module of ``bhlib`` outside the two packages below (pure functions, schemes,
  collision reports, data, model, training, metrics, display);
* **experiment** — ``bhlib.experiment``: everything made from run records;
* **teaching** — ``bhlib.teaching``: everything computed in closed form for a notebook.

The core imports neither upper floor and ``experiment`` never imports ``teaching``. Read
statically (``ast``) from every module's source, the rules also say: no module imports another
module's private name, no import hides in a function body, no module is longer than 300 lines,
and a public class takes at most two positional constructor arguments (the model is torchrec's
``test_num_ctor_args``). The checker is a pure
function of the sources, so the tests below also show it catching planted violations.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import bhlib

PACKAGE = Path(bhlib.__file__).resolve().parent
README = (PACKAGE.parent / "README.md").read_text()
FLOORS = {"core": 0, "experiment": 1, "teaching": 2}
MAX_LINES = 300
MAX_POSITIONAL = 2
# Imports allowed inside a function body: optional heavy dependencies only. Dask's
# ``distributed`` (the ``distributed`` extra) is imported by bhlib.experiment.parallel only when a
# sweep asks for backend "dask", so the sweep runs without it. ipywidgets is imported at the top
# of bhlib.teaching.widgets and bhlib.teaching.panel, which bhlib.teaching itself does not import.
LAZY_IMPORTS_ALLOWED: frozenset[str] = frozenset({"distributed"})


def module_sources() -> dict[str, str]:
    """``{module name: source}`` for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path.read_text()
    return out


def floor(module: str) -> str:
    for name in ("experiment", "teaching"):
        if module == f"bhlib.{name}" or module.startswith(f"bhlib.{name}."):
            return name
    return "core"


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    base = parts[:len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def find_violations(sources: dict[str, str], packages: set[str]) -> list[str]:
    """Every broken rule, as ``"module: what"`` lines (empty when the layout holds).

    Args:
        sources: module name -> source text (``bhlib...`` modules only).
        packages: the names in ``sources`` that are packages (``__init__``), for relative imports.
    """
    problems = []
    for module, source in sources.items():
        lines = source.count("\n") + (not source.endswith("\n"))
        if lines > MAX_LINES:
            problems.append(f"{module}: {lines} lines, more than {MAX_LINES}")
        tree = ast.parse(source)
        in_functions = {id(n) for f in ast.walk(tree)
                        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                        for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}
        aliases = set()  # names bound to imported bhlib modules
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
                aliases |= {a.asname or a.name.split(".")[0] for a in node.names
                            if a.name.startswith("bhlib")}
            else:
                source_module = _absolute(module, module in packages, node)
                targets = [source_module]
                for a in node.names:
                    sub = f"{source_module}.{a.name}"
                    if sub in sources:  # `from . import data`: the module bhlib.data
                        targets.append(sub)
                        aliases.add(a.asname or a.name)
                    elif a.name.startswith("_") and not a.name.startswith("__"):
                        problems.append(f"{module}: imports the private name {a.name} of "
                                        f"{source_module}")
            if id(node) in in_functions and not (set(targets) & LAZY_IMPORTS_ALLOWED):
                problems.append(f"{module}: imports {targets[-1]} inside a function "
                                f"(line {node.lineno}); import at the top of the module")
            for target in targets:
                if target.startswith("bhlib") and FLOORS[floor(target)] > FLOORS[floor(module)]:
                    problems.append(f"{module} ({floor(module)}) imports {target} "
                                    f"({floor(target)}): imports go down the floors only")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                problems.append(f"{module}: uses the private name {node.value.id}.{node.attr}")
    return problems


def real_package() -> tuple[dict[str, str], set[str]]:
    sources = module_sources()
    packages = {n for n in sources if (PACKAGE.parent / n.replace(".", "/") / "__init__.py")
                .exists()}
    return sources, packages


def test_the_package_keeps_its_layout():
    sources, packages = real_package()
    assert {floor(m) for m in sources} == set(FLOORS)  # all three floors exist
    assert find_violations(sources, packages) == []


@pytest.mark.parametrize("module, source, expected", [
    ("bhlib.codes", "from .experiment import run_experiment\n", "imports go down the floors"),
    ("bhlib.embeddings.hash", "from ..teaching import budgets\n", "imports go down the floors"),
    ("bhlib.experiment.tables", "from ..teaching.figures import bit_grid_figure\n",
     "imports go down the floors"),
    ("bhlib.experiment.tables", "import bhlib.teaching\n", "imports go down the floors"),
    ("bhlib.display", "from bhlib import experiment\n", "imports go down the floors"),
    ("bhlib.teaching.blocks", "from ..indices import _CHUNK\n", "private name _CHUNK"),
    ("bhlib.teaching.blocks", "from .. import indices\nx = indices._plan\n",
     "private name indices._plan"),
    ("bhlib.collisions", "def f():\n    from .codes import bits_needed\n",
     "inside a function"),
    ("bhlib.codes", "x = 1\n" * (MAX_LINES + 1), "more than 300"),
])
def test_the_checker_catches_a_planted_violation(module, source, expected):
    sources, packages = real_package()
    planted = {**sources, module: source}
    problems = find_violations(planted, packages)
    assert any(expected in p and p.startswith(module) for p in problems), problems


def test_teaching_may_import_experiment_and_the_core():
    sources, packages = real_package()
    ok = {**sources, "bhlib.teaching.blocks": "from ..experiment import summarize\n"
                                              "from ..codes import bits_needed\n"}
    assert find_violations(ok, packages) == []  # teaching may import experiment and the core


def public_classes():
    """Every class a module defines under a public name (in ``__all__`` or not)."""
    for name in sorted(module_sources()):
        mod = importlib.import_module(name)
        for attr, obj in vars(mod).items():
            if (inspect.isclass(obj) and obj.__module__ == name and not attr.startswith("_")
                    and not issubclass(obj, BaseException)):
                yield f"{name}.{attr}", obj


@pytest.mark.parametrize("qualname, cls", list(public_classes()), ids=lambda x: x
                         if isinstance(x, str) else "")
def test_public_constructors_take_at_most_two_positional_arguments(qualname, cls):
    params = inspect.signature(cls).parameters.values()
    positional = [p.name for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert len(positional) <= MAX_POSITIONAL, (
        f"{qualname}({', '.join(positional)}, ...): make the arguments after the first "
        f"{MAX_POSITIONAL} keyword-only")


def test_every_module_is_in_the_readme_package_map():
    section = README.split("## Package map", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`bhlib/([\w/{},.]+)`", section))
    files = set()
    for entry in listed:  # `bhlib/embeddings/{full,hash}.py` lists several files
        m = re.fullmatch(r"(.*)\{(.*)\}(.*)", entry)
        files |= ({m.group(1) + x + m.group(3) for x in m.group(2).split(",")} if m else {entry})
    for module in module_sources():
        rel = module.removeprefix("bhlib").lstrip(".").replace(".", "/")
        if not rel:
            continue
        folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        listed_here = (rel + ".py" in files or folder in files
                       or any(f.startswith(rel + "/") for f in files))
        assert listed_here, f"{module} is missing from the README's package map"


def test_pkgutil_sees_the_same_modules():
    walked = {m.name for m in pkgutil.walk_packages(bhlib.__path__, "bhlib.")} | {"bhlib"}
    assert walked == set(module_sources())

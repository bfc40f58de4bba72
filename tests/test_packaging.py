"""environment.yml must delegate to pyproject.toml (no second dependency list to drift)."""
import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def load():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return project, env


def test_environment_yml_delegates_to_pyproject():
    project, env = load()
    deps = env["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    # conda provides only python and pip; everything else comes from pyproject.toml through pip
    assert sorted(re.split(r"[=<>]", d)[0] for d in conda_pkgs) == ["pip", "python"]
    install = [p for p in pip if p.startswith("-e")]
    assert len(install) == 1
    extras = re.search(r"\[(.*)\]", install[0]).group(1).split(",")
    assert sorted(extras) == sorted(project["optional-dependencies"])
    assert [p for p in pip if not p.startswith("-e")] == ["torch==2.13.0"]


def test_python_version_agrees():
    project, env = load()
    py = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    minor = tuple(int(x) for x in py.split("=")[-1].split("."))
    lowest = tuple(int(x) for x in re.search(r">=\s*([\d.]+)", project["requires-python"])
                   .group(1).split("."))
    assert minor >= lowest


def test_torch_range_admits_the_pin_but_not_newer_builds():
    project, _ = load()
    torch_req = next(d for d in project["dependencies"] if d.startswith("torch"))
    assert ">=" in torch_req and "<2.14" in torch_req
    makefile = (ROOT / "Makefile").read_text()
    assert "torch==2.13.0" in makefile
    # the pin is installed before the project
    assert makefile.index("$(TORCH)") < makefile.index('install -e ".')


def test_make_dashboard_denies_the_extensions_the_browser_suite_denies():
    """`make dashboard` serves Voila as tests/browser does: without the classroom extra's
    JupyterLab front ends, which a dashboard's page cannot host (they log errors there)."""
    from tests.browser import servers

    rule = (ROOT / "Makefile").read_text().split("\ndashboard:", 1)[1].split("\n\n")[0]
    for extension in servers.VOILA_DENYLIST:
        assert f"--VoilaConfiguration.extension_denylist={extension}" in rule, extension

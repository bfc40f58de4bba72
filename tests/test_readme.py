"""The README's usage example runs as written."""
import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_usage_example_runs():
    block = re.search(r"## Usage\n\n```python\n(.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["vectors"].shape == (1, 2, 16)
    assert namespace["emb"].compression_ratio == 3125.0


def test_readme_cites_the_paper_and_the_data():
    assert "arXiv 2109.02471" in README and "10.1145/2827872" in README

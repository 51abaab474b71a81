"""Every example in the package's docstrings runs and prints what it says
(run from the repository root, where `examples/clusters/demo` is)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "rbacgraph",
    "rbacgraph._graph",
    "rbacgraph.results",
    "rbacgraph.errors",
    "rbacgraph.diff",
    "rbacgraph.usage",
    "rbacgraph.audit",
    "rbacgraph.check",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("networkx")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_readme_python_examples_run() -> None:
    pytest.importorskip("pandas")
    from conftest import REPO

    text = (REPO / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert blocks, "the README has no Python example"
    for block in blocks:
        lines = block.strip().splitlines()
        # The last line is what a notebook displays: evaluate it, it must not fail.
        namespace: dict = {}
        exec(compile("\n".join(lines[:-1]), "README.md", "exec"), namespace)
        assert eval(compile(lines[-1], "README.md", "eval"), namespace) is not None

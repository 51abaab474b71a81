"""The example notebook (`examples/notebooks/explore_demo.py`, jupytext
percent format) runs top to bottom, from the repository root and from its
own folder (where Jupyter starts it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

NOTEBOOK = REPO / "examples" / "notebooks" / "explore_demo.py"


def test_notebook_is_jupytext_percent_format() -> None:
    text = NOTEBOOK.read_text()
    assert "format_name: percent" in text
    cells = [line for line in text.splitlines() if line.startswith("# %%")]
    assert len(cells) >= 10
    assert sum(1 for c in cells if c == "# %% [markdown]") >= 5


@pytest.mark.parametrize("cwd", [REPO, NOTEBOOK.parent], ids=["repo root", "notebook folder"])
def test_notebook_runs_top_to_bottom(cwd: object) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("networkx")
    result = subprocess.run(
        [sys.executable, str(NOTEBOOK)], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("all checks passed")

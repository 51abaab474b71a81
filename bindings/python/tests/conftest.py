"""Shared fixtures: the repository root as working directory (sources then
read as the CLI prints them), the demo cluster, and the CLI for cross-checks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

import rbacgraph

REPO = Path(__file__).resolve().parents[3]
DEMO = "examples/clusters/demo"
REAL_WORLD = "tests/fixtures/real-world"
BOOTSTRAP = f"{REAL_WORLD}/kubernetes-bootstrap-policy"


@pytest.fixture(autouse=True, scope="session")
def _repo_root() -> Iterator[None]:
    old = os.getcwd()
    os.chdir(REPO)
    yield
    os.chdir(old)


@pytest.fixture(scope="session")
def demo(_repo_root: None) -> rbacgraph.Graph:
    return rbacgraph.load(DEMO)


def _cli_binary() -> List[str]:
    """The `rbacgraph` binary: $RBACGRAPH_BIN, else target/debug/rbacgraph
    (built with cargo when missing)."""
    explicit = os.environ.get("RBACGRAPH_BIN")
    if explicit:
        return [explicit]
    built = REPO / "target" / "debug" / "rbacgraph"
    if not built.exists():
        subprocess.run(["cargo", "build", "--quiet", "--bin", "rbacgraph"], cwd=REPO, check=True)
    return [str(built)]


Cli = Callable[..., Dict[str, Any]]


@pytest.fixture(scope="session")
def cli(_repo_root: None) -> Cli:
    """Runs `rbacgraph -o json ARGS...` and returns the document's body
    (without `apiVersion` and `kind`), as the bindings' `to_dict()` gives it."""
    binary = _cli_binary()

    def run(*args: str, expect_kind: str) -> Dict[str, Any]:
        result = subprocess.run(
            [*binary, "-o", "json", *args], cwd=REPO, capture_output=True, text=True
        )
        assert result.returncode in (0, 1), f"rbacgraph {' '.join(args)}: {result.stderr}"
        document: Dict[str, Any] = json.loads(result.stdout)
        assert document.pop("apiVersion") == "rbacgraph/v1"
        assert document.pop("kind") == expect_kind
        return document

    return run

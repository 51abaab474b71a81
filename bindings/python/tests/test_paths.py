"""Escalation paths: `Graph.paths`, `who_reaches` and `blast_radius` answer
what `rbacgraph paths` answers."""

from __future__ import annotations

import rbacgraph
from conftest import DEMO, Cli

SA = "system:serviceaccount:"


def test_paths_match_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    paths = demo.paths(f"{SA}ci:deployer", to="nodes")
    expected = cli("-f", DEMO, "paths", "--as", f"{SA}ci:deployer", "--to", "nodes",
                   expect_kind="EscalationPaths")
    assert paths.to_dict() == expected
    assert len(paths) > 0 and all(p.target == "nodes" for p in paths)


def test_paths_with_groups_and_limit(demo: rbacgraph.Graph, cli: Cli) -> None:
    paths = demo.paths("carol", groups=["dev-team"], to="nodes", max_depth=3)
    expected = cli("-f", DEMO, "paths", "--as", "carol", "--as-group", "dev-team",
                   "--to", "nodes", "--max-depth", "3", expect_kind="EscalationPaths")
    assert paths.to_dict() == expected
    limited = demo.paths("carol", groups=["dev-team"], to="nodes", max_depth=3, limit=1)
    assert len(limited) == 1 and limited[0] == paths[0]


def test_who_reaches_matches_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    for to in ("nodes", "cluster-admin"):
        expected = cli("-f", DEMO, "paths", "--all", "--to", to, expect_kind="EscalationPaths")
        assert demo.who_reaches(to).to_dict() == expected


def test_blast_radius_matches_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    radius = demo.blast_radius(f"{SA}shop:default", max_depth=3)
    expected = cli("-f", DEMO, "paths", "--as", f"{SA}shop:default", "--blast-radius",
                   "--max-depth", "3", expect_kind="EscalationPaths")
    assert radius.to_dict() == expected
    assert "node *" in {str(p.end) for p in radius}


def test_options_are_passed_through(demo: rbacgraph.Graph, cli: Cli) -> None:
    paths = demo.who_reaches("nodes", assume_legacy_tokens=True, eks=True)
    expected = cli("-f", DEMO, "paths", "--all", "--to", "nodes", "--assume-legacy-tokens",
                   "--eks", expect_kind="EscalationPaths")
    assert paths.to_dict() == expected


def test_no_path_is_an_empty_answer(demo: rbacgraph.Graph) -> None:
    assert len(demo.paths("nobody", to="cluster-admin")) == 0

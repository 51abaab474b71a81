"""`Graph.to_networkx()`: the permission graph (`rbacgraph export`) as a
networkx MultiDiGraph with kind/name/namespace nodes and typed edges."""

from __future__ import annotations

from collections import Counter

import pytest

import rbacgraph
from conftest import DEMO, Cli

nx = pytest.importorskip("networkx")


def test_whole_graph_matches_cli_export(demo: rbacgraph.Graph, cli: Cli) -> None:
    g = demo.to_networkx()
    assert isinstance(g, nx.MultiDiGraph)
    exported = cli("-f", DEMO, "export", expect_kind="PermissionGraph")
    assert sorted(g.nodes) == sorted(n["id"] for n in exported["nodes"])
    assert g.number_of_edges() == len(exported["edges"])
    kinds = Counter(kind for _, _, kind in g.edges(data="kind"))
    assert kinds == Counter(e["kind"] for e in exported["edges"])
    assert set(kinds) >= {"subjectOf", "roleRef", "rule", "aggregatedInto", "runsAs",
                          "escalation"}


def test_node_attributes(demo: rbacgraph.Graph) -> None:
    g = demo.to_networkx()
    sa = g.nodes["ServiceAccount:ci/deployer"]
    assert (sa["kind"], sa["name"], sa["namespace"]) == ("ServiceAccount", "deployer", "ci")
    role = g.nodes["ClusterRole:edit"]
    assert (role["kind"], role["namespace"]) == ("ClusterRole", None)
    assert role["source"].startswith("examples/clusters/demo/10-default-policy.yaml:")
    for _, data in g.nodes(data=True):
        assert {"kind", "name", "namespace", "label", "source"} <= set(data)


def test_edges_are_typed(demo: rbacgraph.Graph) -> None:
    g = demo.to_networkx()
    assert g.has_edge("ServiceAccount:ci/deployer", "ClusterRoleBinding:ci-deployer")
    assert g.has_edge("ClusterRoleBinding:ci-deployer", "ClusterRole:ci-deployer")
    escalations = [(u, v, d) for u, v, d in g.edges(data=True) if d["kind"] == "escalation"]
    assert escalations
    for _, _, data in escalations:
        assert data["technique"] and data["title"]
    # Keys tell parallel edges apart: the technique, or the kind.
    for u, v, key, data in g.edges(keys=True, data=True):
        assert key == data.get("technique", data["kind"])


def test_around_a_subject(demo: rbacgraph.Graph, cli: Cli) -> None:
    g = demo.to_networkx(around="sa/ci/deployer", depth=1)
    exported = cli("-f", DEMO, "export", "--around", "sa/ci/deployer", "--depth", "1",
                   expect_kind="PermissionGraph")
    assert sorted(g.nodes) == sorted(n["id"] for n in exported["nodes"])
    assert "ServiceAccount:ci/deployer" in g
    assert g.number_of_nodes() < demo.to_networkx().number_of_nodes()


def test_graph_algorithms_work(demo: rbacgraph.Graph) -> None:
    g = demo.to_networkx()
    # Who reaches the secret-reading role, in graph terms.
    ancestors = nx.ancestors(g, "ClusterRole:support-secret-reader")
    assert "Group:system:authenticated" in ancestors

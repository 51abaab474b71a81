"""`rbacgraph.to_pandas` and `.to_pandas()`: tidy DataFrames, one row per
subject-grant (who-can), reason (can-i), near miss, rule, path step, problem."""

from __future__ import annotations

import pytest

import rbacgraph
from rbacgraph import _tables

pandas = pytest.importorskip("pandas")

SA = "system:serviceaccount:"
REF = ["kind", "name", "namespace"]


def test_who_can_one_row_per_subject_grant(demo: rbacgraph.Graph) -> None:
    who = demo.who_can("get", "secrets", namespace="shop")
    df = rbacgraph.to_pandas(who)
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == [
        *(f"subject_{c}" for c in REF), *(f"binding_{c}" for c in REF),
        *(f"role_{c}" for c in REF), "rules", "via", "binding_source",
    ]
    assert len(df) == sum(len(s.grants) for s in who) == 7
    assert who.to_pandas().equals(df)
    first = df.iloc[1]
    assert (first.subject_kind, first.subject_name, first.subject_namespace) == (
        "ServiceAccount", "deployer", "ci")
    assert (first.binding_kind, first.role_name, tuple(first.rules)) == (
        "ClusterRoleBinding", "ci-deployer", (3,))
    assert first.binding_source == "examples/clusters/demo/40-ci.yaml:72 (document 5)"


def test_who_can_expand_has_via(demo: rbacgraph.Graph) -> None:
    df = demo.who_can("list", "secrets", namespace="payments", expand=True).to_pandas()
    assert len(df) >= 13
    assert set(df["via"].dropna()) >= {"Group system:authenticated"}


def test_privileged_group_without_binding_has_one_row() -> None:
    graph = rbacgraph.Graph.from_yaml("")
    df = graph.who_can("get", "pods").to_pandas()
    assert df.shape == (1, 12)
    assert df.iloc[0].subject_name == "system:masters"
    assert df.iloc[0].binding_name is None or pandas.isna(df.iloc[0].binding_name)


def test_decision_rows_are_reasons_and_near_misses_their_own(demo: rbacgraph.Graph) -> None:
    yes = demo.can_i("alice@example.com", "get", "pods", groups=["dev-team"], namespace="shop")
    df = rbacgraph.to_pandas(yes)
    assert len(df) == len(yes.reasons) > 1
    assert list(df.columns)[:4] == ["type", "subject_kind", "subject_name", "subject_namespace"]
    no = demo.can_i("alice@example.com", "create", "pods", groups=["dev-team"],
                    namespace="payments", subresource="exec")
    assert rbacgraph.to_pandas(no).shape == (0, len(df.columns))
    misses = rbacgraph.to_pandas(no.why_not)
    assert misses.shape == (4, 9)
    assert list(misses["reason"]) == ["otherNamespace", "otherNamespace", "rule", "otherNamespace"]


def test_rules_for_one_row_per_rule(demo: rbacgraph.Graph) -> None:
    rules = demo.rules_for(f"{SA}shop:default", namespace="shop")
    df = rules.to_pandas()
    assert len(df) == len(rules)
    assert df.columns[0] == "verbs" and "non_resource_urls" in df.columns
    exploded = df.explode("verbs")
    assert "get" in set(exploded["verbs"])


def test_paths_one_row_per_step(demo: rbacgraph.Graph) -> None:
    paths = demo.blast_radius(f"{SA}shop:default", max_depth=2)
    df = paths.to_pandas()
    assert len(df) == sum(len(p.steps) for p in paths) > 0
    assert list(df.columns) == ["source", "target", "end", "length", "step", "technique",
                                "title", "from", "to"]
    assert set(df["source"]) == {"ServiceAccount shop/default"}


def test_warnings_and_lists_of_results(demo: rbacgraph.Graph) -> None:
    df = rbacgraph.to_pandas(demo.warnings)
    assert df.shape == (3, 7)
    assert list(df["field"]) == ["rules[0].resources[0]", "subjects[0].namespace", "roleRef"]
    both = rbacgraph.to_pandas([demo.who_can("get", "secrets", namespace="shop"),
                                demo.who_can("create", "pods", namespace="kube-system")])
    assert len(both) == 7 + 3


def test_summary_and_stats_tables(demo: rbacgraph.Graph) -> None:
    stats = demo.stats().to_pandas()
    assert stats.shape == (12, 2)
    assert dict(zip(stats["count"], stats["value"]))["cluster_roles"] == 19
    loaded = demo.summary().load.to_pandas()
    assert set(loaded["what"]) == {"loaded", "skipped"}


def test_empty_and_mixed_inputs() -> None:
    assert rbacgraph.to_pandas([]).shape == (0, 0)
    graph = rbacgraph.Graph.from_yaml("")
    with pytest.raises(TypeError):
        rbacgraph.to_pandas([graph.who_can("get", "pods"), graph.summary()])
    with pytest.raises(TypeError):
        rbacgraph.to_pandas([1, 2])


def test_missing_pandas_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    # None in sys.modules makes `import pandas` fail, as when it is not installed.
    monkeypatch.setitem(sys.modules, "pandas", None)
    graph = rbacgraph.Graph.from_yaml("")
    with pytest.raises(ImportError, match="pip install pandas"):
        graph.who_can("get", "pods").to_pandas()


def test_cells_render_for_people() -> None:
    assert _tables.cell(None) == ""
    assert _tables.cell(True) == "yes"
    assert _tables.cell(("a", "b")) == "a, b"
    assert _tables.cell(3) == "3"

"""`rbacgraph.results`: typed fields, `to_dict()` round trips, reprs, HTML
(escaped), truthiness and pickling of every result kind."""

from __future__ import annotations

import copy
import pickle
from typing import Any, List

import pytest

import rbacgraph
from rbacgraph import results

SA = "system:serviceaccount:"

HOSTILE = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "<b>bold</b>"}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "x&y"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "<b>bold</b>"}
subjects: [{kind: User, name: "<script>alert(1)</script>"}]
"""


def every_result(demo: rbacgraph.Graph) -> List[Any]:
    return [
        demo.can_i(f"{SA}ci:deployer", "create", "pods", namespace="shop"),
        demo.can_i("alice@example.com", "create", "pods", groups=["dev-team"],
                   namespace="payments", subresource="exec"),
        demo.can_i("root", "get", "nodes", groups=["system:masters"]),
        demo.who_can("get", "secrets", namespace="shop"),
        demo.who_can("list", "secrets", namespace="payments", expand=True),
        demo.rules_for(f"{SA}shop:default", namespace="shop"),
        demo.summary(),
        demo.stats(),
        demo.paths(f"{SA}shop:default", to="nodes", limit=2),
        demo.who_reaches("nodes", max_depth=3),
        *demo.warnings,
    ]


def test_every_result_round_trips_its_dto(demo: rbacgraph.Graph) -> None:
    for result in every_result(demo):
        dto = result.to_dict()
        rebuilt = type(result).from_dict(dto) if not isinstance(result, results.Paths) \
            else results.Paths.from_dict(dto, {})
        assert rebuilt.to_dict() == dto
        # to_dict() is a copy: changing it changes nothing.
        dto.clear()
        assert result.to_dict() != {}


def test_every_result_pickles(demo: rbacgraph.Graph) -> None:
    for result in every_result(demo):
        again = pickle.loads(pickle.dumps(result))
        assert again == result
        assert again.to_dict() == result.to_dict()
        assert repr(again) == repr(result)
        assert copy.deepcopy(result) == result


def test_every_result_has_repr_and_html(demo: rbacgraph.Graph) -> None:
    for result in every_result(demo):
        assert repr(result)
        html = result._repr_html_()
        assert html.startswith('<table class="rbacgraph">')


def test_decision_is_truthy_and_explains(demo: rbacgraph.Graph) -> None:
    yes = demo.can_i(f"{SA}ci:deployer", "create", "pods", namespace="shop")
    no = demo.can_i(f"{SA}monitoring:node-exporter", "get", "nodes")
    assert yes and not no
    assert yes.explain().splitlines()[0] == "yes"
    assert "allowed: ServiceAccount ci/deployer → ClusterRoleBinding ci-deployer" in yes.explain()
    assert repr(yes).startswith("Decision(allowed=True)\n  allowed: ")
    assert no.explain().splitlines()[0] == "no"
    assert "near miss: ClusterRoleBinding node-exporter names ServiceAccount" in repr(no)
    assert "Decision: denied (near misses)" in no._repr_html_()
    nothing = demo.can_i("nobody", "escalate", "clusterroles")
    assert "no binding that applies to this identity" in nothing.explain()


def test_reasons_and_rules_are_typed(demo: rbacgraph.Graph) -> None:
    (reason,) = demo.can_i(f"{SA}ci:deployer", "create", "pods", namespace="shop").reasons
    assert isinstance(reason.subject, rbacgraph.SubjectRef)
    assert isinstance(reason.binding, rbacgraph.ObjectRef)
    assert isinstance(reason.rule, rbacgraph.PolicyRule)
    assert reason.rule.verbs == ("get", "list", "create", "delete")
    assert str(reason.rule) == 'verbs [get list create delete], apiGroups [""], resources [pods]'
    assert reason.binding.source is not None
    assert str(reason.binding.source) == "examples/clusters/demo/40-ci.yaml:72 (document 5)"
    url_rule = demo.rules_for("anyone").non_resource_rules[0].rule
    assert url_rule.non_resource_urls and not url_rule.resources
    assert "nonResourceURLs [/api" in str(url_rule)


def test_who_can_grants_are_typed(demo: rbacgraph.Graph) -> None:
    who = demo.who_can("list", "secrets", namespace="payments", expand=True)
    first = who[0]
    assert isinstance(first, rbacgraph.SubjectGrants)
    assert first.subject == rbacgraph.SubjectRef(first.kind, first.name, first.namespace)
    grant = next(g for s in who for g in s.grants if g.via is not None)
    assert isinstance(grant, rbacgraph.Grant) and grant.rules
    assert " via " in str(grant)
    assert repr(who).startswith(f"WhoCan({len(who)} subjects)")


def test_paths_are_typed(demo: rbacgraph.Graph) -> None:
    paths = demo.who_reaches("nodes", max_depth=3)
    assert len(paths) > 0
    path = paths[0]
    assert isinstance(path, rbacgraph.AttackPath)
    assert path.end is not None and str(path.end) == "node *"
    assert path.techniques == tuple(s.technique for s in path.steps)
    step = path.steps[0]
    assert isinstance(step, rbacgraph.AttackStep) and step.title
    assert all(isinstance(e, rbacgraph.Evidence) for e in step.evidence)
    assert str(path).startswith(str(path.source))


def test_html_escapes_every_name() -> None:
    graph = rbacgraph.Graph.from_yaml(HOSTILE)
    who = graph.who_can("get", "pods", namespace="web")
    decision = graph.can_i("<script>alert(1)</script>", "get", "pods")
    rules = graph.rules_for("<script>alert(1)</script>")
    for html in (who._repr_html_(), decision._repr_html_(), rules._repr_html_(),
                 graph._repr_html_()):
        assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in who._repr_html_()
    assert "x&amp;y" in who._repr_html_()
    assert "&lt;b&gt;bold&lt;/b&gt;" in decision._repr_html_()


def test_summary_repr(demo: rbacgraph.Graph) -> None:
    text = repr(demo.summary())
    assert text.startswith("Summary(81 objects from 10 file(s), 82 document(s); 0 failed)")
    assert "3 aggregated" in text
    html = demo.summary()._repr_html_()
    assert "<caption>Problems: 3</caption>" in html


def test_results_compare_by_value(demo: rbacgraph.Graph) -> None:
    a = demo.who_can("get", "secrets", namespace="shop")
    b = demo.who_can("get", "secrets", namespace="shop")
    assert a == b and a is not b
    assert a != demo.who_can("get", "secrets", namespace="payments")


@pytest.mark.parametrize("cls", [results.WhoCan, results.Rules, results.Paths])
def test_collections_support_len_iter_and_slices(demo: rbacgraph.Graph, cls: Any) -> None:
    result = {
        results.WhoCan: demo.who_can("get", "secrets", namespace="shop"),
        results.Rules: demo.rules_for("alice@example.com", namespace="shop"),
        results.Paths: demo.who_reaches("nodes", max_depth=3),
    }[cls]
    items = list(result)
    assert len(items) == len(result) > 0
    assert result[0] == items[0] and tuple(result[0:2]) == tuple(items[0:2])

"""`rbacgraph.Graph` and `rbacgraph.load`: loading, warnings, summary and
every query method with every keyword argument."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import yaml

import rbacgraph
from conftest import DEMO, REPO

SA = "system:serviceaccount:"

ROLE_AND_BINDING = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: log-reader}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: support-logs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: log-reader}
subjects:
- {kind: Group, name: support}
"""


# ----- loading -------------------------------------------------------------------


def test_load_directory_and_files(demo: rbacgraph.Graph) -> None:
    assert isinstance(demo, rbacgraph.Graph)
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / DEMO).glob("*.yaml"))
    by_files = rbacgraph.load(*files)
    assert by_files.summary().to_dict() == demo.summary().to_dict()
    as_paths = rbacgraph.Graph.load(*(REPO / f for f in files))
    assert as_paths.stats() == demo.stats()


def test_load_counts_match_the_demo_readme(demo: rbacgraph.Graph) -> None:
    load = demo.summary().load
    assert (load.files, load.documents, sum(load.loaded.values())) == (10, 82, 81)
    assert load.skipped == {"Backup": 1}
    stats = demo.stats()
    assert (stats.roles, stats.cluster_roles, stats.aggregated_cluster_roles) == (7, 19, 3)
    assert (stats.role_bindings, stats.cluster_role_bindings) == (13, 11)


def test_load_needs_a_path() -> None:
    with pytest.raises(TypeError):
        rbacgraph.load()


def test_default_namespace_applies_to_objects_without_one() -> None:
    graph = rbacgraph.Graph.from_yaml(ROLE_AND_BINDING, default_namespace="shop")
    assert graph.can_i("bob", "get", "pods", groups=["support"], namespace="shop")
    assert not graph.can_i("bob", "get", "pods", groups=["support"], namespace="default")


def test_from_yaml_and_from_json_label_their_sources() -> None:
    graph = rbacgraph.Graph.from_yaml(ROLE_AND_BINDING, label="inline.yaml")
    reason = graph.can_i("bob", "get", "pods", groups="support", subresource="log").reasons[0]
    assert reason.binding is not None and reason.binding.source is not None
    assert (reason.binding.source.file, reason.binding.source.document) == ("inline.yaml", 1)

    documents = [d for d in yaml.safe_load_all(ROLE_AND_BINDING)]
    as_list = json.dumps({"apiVersion": "v1", "kind": "List", "items": documents})
    from_json = rbacgraph.Graph.from_json(as_list)
    reason = from_json.can_i("bob", "get", "pods", groups="support").reasons[0]
    assert reason.binding is not None and reason.binding.source is not None
    assert reason.binding.source.file == "<json>"
    assert reason.binding.source.item == 1


def test_from_objects_takes_yaml_safe_load_all_output(demo: rbacgraph.Graph) -> None:
    objects = [
        obj
        for path in sorted((REPO / DEMO).glob("*.yaml"))
        for obj in yaml.safe_load_all(path.read_text())
    ]
    graph = rbacgraph.Graph.from_objects(objects)
    assert graph.stats() == demo.stats()
    question = ("alice@example.com", "delete", "pods")
    reasons = graph.can_i(*question, namespace="shop").reasons
    assert [str(r.binding) for r in reasons] == ["RoleBinding shop/shop-admins"]
    assert reasons[0].binding is not None and reasons[0].binding.source is not None
    assert reasons[0].binding.source.file == "<objects>"


def test_from_objects_takes_kubernetes_client_to_dict_output() -> None:
    # What kubernetes.client.V1ClusterRole(...).to_dict() and friends return:
    # attribute names, every unset field as None, datetimes.
    import datetime

    role = {
        "api_version": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "metrics",
            "labels": {"team_name": "obs"},
            "creation_timestamp": datetime.datetime(2024, 1, 2, 3, 4, 5),
            "namespace": None,
        },
        "aggregation_rule": None,
        "rules": [
            {"api_groups": None, "non_resource_ur_ls": ["/metrics"], "resource_names": None,
             "resources": None, "verbs": ["get"]},
        ],
    }
    binding = {
        "api_version": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "metrics"},
        "role_ref": {"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": "metrics"},
        "subjects": [{"api_group": None, "kind": "ServiceAccount", "name": "scraper",
                      "namespace": "obs"}],
    }
    pod = {
        "api_version": "v1",
        "kind": "Pod",
        "metadata": {"name": "scraper-0", "namespace": "obs"},
        "spec": {"service_account_name": "scraper", "host_pid": True, "containers": [
            {"name": "c", "image": "scraper:1", "security_context": {"privileged": True}}]},
    }
    graph = rbacgraph.Graph.from_objects([role, binding, None, pod])
    assert graph.warnings == []
    assert graph.can_i(f"{SA}obs:scraper", "get", "/metrics").allowed
    assert graph.stats().workloads == 1


def test_from_objects_takes_kubernetes_client_models() -> None:
    # Model objects carry openapi_types and attribute_map; they are converted
    # with their own names, exactly as ApiClient.sanitize_for_serialization.
    class V1PolicyRule:
        openapi_types = {"api_groups": "list[str]", "resources": "list[str]",
                         "verbs": "list[str]", "non_resource_ur_ls": "list[str]"}
        attribute_map = {"api_groups": "apiGroups", "resources": "resources",
                         "verbs": "verbs", "non_resource_ur_ls": "nonResourceURLs"}

        def __init__(self) -> None:
            self.api_groups = [""]
            self.resources = ["pods"]
            self.verbs = ["get"]
            self.non_resource_ur_ls = None

    class V1ObjectMeta:
        openapi_types = {"name": "str", "namespace": "str"}
        attribute_map = {"name": "name", "namespace": "namespace"}

        def __init__(self, name: str, namespace: str) -> None:
            self.name, self.namespace = name, namespace

    class V1Role:
        openapi_types = {"api_version": "str", "kind": "str", "metadata": "V1ObjectMeta",
                         "rules": "list[V1PolicyRule]"}
        attribute_map = {"api_version": "apiVersion", "kind": "kind", "metadata": "metadata",
                         "rules": "rules"}

        def __init__(self) -> None:
            self.api_version = "rbac.authorization.k8s.io/v1"
            self.kind = "Role"
            self.metadata = V1ObjectMeta("reader", "web")
            self.rules = [V1PolicyRule()]

    graph = rbacgraph.Graph.from_objects([V1Role()])
    assert graph.stats().roles == 1
    assert graph.warnings == []


def test_from_objects_rejects_non_objects() -> None:
    with pytest.raises(TypeError):
        rbacgraph.Graph.from_objects(["kind: Role"])


def test_bad_documents_are_warnings_unless_strict() -> None:
    text = ROLE_AND_BINDING + "---\nkind: Role\napiVersion: rbac.authorization.k8s.io/v1\n" \
        "metadata: {name: broken}\nrules: 3\n"
    graph = rbacgraph.Graph.from_yaml(text)
    errors = [w for w in graph.warnings if w.severity == "error"]
    assert len(errors) == 1
    assert errors[0].source.document == 2
    assert errors[0].object is not None and "broken" in errors[0].object
    assert graph.stats().roles == 1
    with pytest.raises(rbacgraph.LoadError):
        rbacgraph.Graph.from_yaml(text, strict=True)


def test_warnings_are_the_planted_ones(demo: rbacgraph.Graph) -> None:
    fields = [(w.severity, w.object, w.field) for w in demo.warnings]
    assert fields == [
        ("warning", "Role payments/debugger", "rules[0].resources[0]"),
        ("warning", "ClusterRoleBinding node-exporter", "subjects[0].namespace"),
        ("warning", "RoleBinding ci/cache-warmer", "roleRef"),
    ]
    # A copy each time: the graph's list cannot be changed from outside.
    demo.warnings.clear()
    assert len(demo.warnings) == 3


def test_summary_and_stats(demo: rbacgraph.Graph) -> None:
    summary = demo.summary()
    assert summary.graph == demo.stats()
    assert [str(d) for d in summary.diagnostics] == [str(w) for w in demo.warnings]
    assert summary.load.deprecated == {}


# ----- can_i -------------------------------------------------------------------------


def test_can_i_allowed_with_reasons(demo: rbacgraph.Graph) -> None:
    d = demo.can_i(f"{SA}ci:deployer", "create", "pods", namespace="kube-system")
    assert d and d.allowed and not d.why_not
    (reason,) = d.reasons
    assert reason.type == "rule"
    assert str(reason.subject) == "ServiceAccount ci/deployer"
    assert str(reason.binding) == "ClusterRoleBinding ci-deployer"
    assert str(reason.role) == "ClusterRole ci-deployer"
    assert reason.rule_index == 2
    assert reason.rule is not None and reason.rule.resources == ("pods",)


def test_can_i_denied_with_near_misses(demo: rbacgraph.Graph) -> None:
    d = demo.can_i("alice@example.com", "create", "pods", groups=["dev-team"],
                   namespace="payments", subresource="exec")
    assert not d and d.reasons == ()
    reasons = [m.reason for m in d.why_not]
    assert reasons == ["otherNamespace", "otherNamespace", "rule", "otherNamespace"]
    pods_star = d.why_not[2]
    assert "`pods/*` is not a wildcard" in pods_star.message
    assert str(pods_star.role) == "Role payments/debugger"
    assert pods_star.details["mismatch"]["part"] == "subresource"


def test_can_i_unresolved_role_is_reported(demo: rbacgraph.Graph) -> None:
    d = demo.can_i(f"{SA}ci:cache-warmer", "update", "configmaps", namespace="ci")
    assert not d
    assert d.errors == ("RoleBinding ci/cache-warmer: Role `cache-writter` not found",)
    assert d.why_not[0].reason == "missingRole"


def test_can_i_implicit_groups_and_superuser(demo: rbacgraph.Graph) -> None:
    # system:authenticated is added: mistake 3 lets anyone read secrets...
    assert demo.can_i("bob@example.com", "get", "secrets", namespace="kube-system")
    # ...but not anonymous requests.
    assert not demo.can_i("system:anonymous", "get", "secrets", namespace="kube-system")
    root = demo.can_i("root", "delete", "nodes", groups=["system:masters"])
    assert root.reasons[0].type == "privilegedGroup"
    assert root.reasons[0].group == "system:masters"


def test_can_i_namespace_forms(demo: rbacgraph.Graph) -> None:
    # Cluster scope: "" and None are -A.
    for namespace in ("", None):
        assert demo.can_i("alice@example.com", "list", "secrets", namespace=namespace)
    # A cluster-scoped resource ignores the namespace.
    nodes = demo.can_i("alice@example.com", "list", "nodes", namespace="shop")
    assert nodes.to_dict() == demo.can_i("alice@example.com", "list", "nodes").to_dict()
    # A named Namespace object is in its own namespace: RoleBindings there
    # grant it (dev-team has edit in shop, nothing in ci), but not the list.
    assert demo.can_i("carol", "get", "namespaces/shop", groups="dev-team")
    assert demo.can_i("carol", "get", "ns", name="shop", groups="dev-team", namespace="ci")
    assert not demo.can_i("carol", "get", "namespaces/ci", groups="dev-team")
    assert not demo.can_i("carol", "list", "namespaces", groups="dev-team", namespace="shop")


def test_can_i_resource_forms(demo: rbacgraph.Graph) -> None:
    alice = "alice@example.com"
    same = [
        demo.can_i(alice, "get", "deployments.apps/storefront", namespace="shop"),
        demo.can_i(alice, "get", "deploy/storefront", namespace="shop"),
        demo.can_i(alice, "get", "Deployment", name="storefront", namespace="shop"),
        demo.can_i(alice, "get", "deployments", api_group="apps", name="storefront",
                   namespace="shop"),
        demo.can_i(alice, "get", "deployments.v1.apps/storefront", namespace="shop"),
    ]
    assert all(d.to_dict() == same[0].to_dict() for d in same)
    # api_group="" is the core group: there are no core deployments.
    core = demo.can_i(alice, "get", "deployments", api_group="", namespace="shop")
    assert not core
    # A CRD that is not loaded can be asked for as TYPE.GROUP.
    assert not demo.can_i(alice, "get", "widgets.example.org", namespace="shop")
    # Non-resource URLs.
    assert demo.can_i(f"{SA}monitoring:prometheus", "get", "/metrics")
    assert not demo.can_i(f"{SA}monitoring:prometheus", "get", "/metrics/other")


def test_can_i_groups_accepts_one_name_or_many(demo: rbacgraph.Graph) -> None:
    args = ("carol", "create", "deployments")
    one = demo.can_i(*args, groups="dev-team", namespace="analytics")
    many = demo.can_i(*args, groups=("dev-team", "other"), namespace="analytics")
    assert one and many and one.reasons == many.reasons


# ----- who_can and rules_for ---------------------------------------------------------------


def test_who_can_subjects_in_locator_order(demo: rbacgraph.Graph) -> None:
    who = demo.who_can("get", "secrets", namespace="shop")
    assert [str(s) for s in who] == [
        "Group system:masters",
        "ServiceAccount ci/deployer",
        "Group system:authenticated",
        "ServiceAccount kube-system/argocd-manager",
        "Group dev-team",
        "User alice@example.com",
        "ServiceAccount shop/default",
    ]
    assert len(who) == 7 and who[-1].name == "default" and who[1:2][0].namespace == "ci"
    assert who.errors == ()


def test_who_can_expand_lists_principals(demo: rbacgraph.Graph) -> None:
    who = demo.who_can("list", "secrets", namespace="payments", expand=True)
    service_accounts = [s for s in who if s.kind == "ServiceAccount"]
    assert len(service_accounts) == 13
    assert {"User alice@example.com"} <= {str(s) for s in who}
    via = {str(g.via) for s in who for g in s.grants}
    assert "Group system:authenticated" in via


def test_who_can_all_namespaces(demo: rbacgraph.Graph) -> None:
    local = demo.who_can("create", "pods", namespace="kube-system")
    everywhere = demo.who_can("create", "pods", all_namespaces=True)
    assert {str(s) for s in local} < {str(s) for s in everywhere}
    namespaces = {g.binding.namespace for s in everywhere for g in s.grants}
    assert {"shop", "analytics"} <= namespaces


def test_who_can_subresource_and_name(demo: rbacgraph.Graph) -> None:
    proxy = demo.who_can("get", "nodes", subresource="proxy")
    assert [str(s) for s in proxy] == [
        "Group system:masters", "ServiceAccount kube-system/argocd-manager"]
    named = demo.who_can("get", "secrets", name="card-processor-key", namespace="payments")
    assert "ServiceAccount payments/payments-api" in {str(s) for s in named}


def test_rules_for(demo: rbacgraph.Graph) -> None:
    rules = demo.rules_for(f"{SA}shop:default", namespace="shop")
    assert len(rules) == len(rules.resource_rules) + len(rules.non_resource_rules)
    assert any(r.role.name == "cluster-admin" for r in rules)
    assert all(r.non_resource_urls for r in (x.rule for x in rules.non_resource_rules))
    cluster_only = demo.rules_for(f"{SA}shop:default", namespace="")
    assert not any(r.binding.kind == "RoleBinding" for r in cluster_only)
    with_group = demo.rules_for("carol", groups=["dev-team"], namespace="analytics")
    assert any(str(r.role) == "ClusterRole edit" for r in with_group)


# ----- the Graph object itself ----------------------------------------------------------------


def test_graph_repr_and_html(demo: rbacgraph.Graph) -> None:
    text = repr(demo)
    assert text.startswith("<rbacgraph.Graph: 81 objects from 10 file(s)")
    html = demo._repr_html_()
    assert "<table" in html and "rules[0].resources[0]" in html


def test_graph_cannot_be_pickled_or_built_directly(demo: rbacgraph.Graph) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(demo)
    with pytest.raises(TypeError):
        rbacgraph.Graph("examples/clusters/demo")  # type: ignore[arg-type]


def test_version() -> None:
    cargo = (REPO / "Cargo.toml").read_text()
    assert f'version = "{rbacgraph.__version__}"' in cargo


def test_load_accepts_path_objects() -> None:
    graph = rbacgraph.load(Path(DEMO) / "00-namespaces.yaml")
    assert graph.summary().load.loaded == {"Namespace": 6}

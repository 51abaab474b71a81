"""The bindings answer exactly what the CLI answers: `to_dict()` of every
result equals the body of `rbacgraph -o json ...` for the same question, on
the demo cluster and on real-world manifests (with the default policy)."""

from __future__ import annotations

from typing import Any, Callable, List, Tuple

import pytest

import rbacgraph
from conftest import BOOTSTRAP, DEMO, REAL_WORLD, Cli

Question = Callable[[rbacgraph.Graph], Any]
Case = Tuple[str, List[str], Question]

SA = "system:serviceaccount:"

DEMO_CAN_I: List[Case] = [
    ("deployer creates pods in shop",
     ["create", "pods", "-n", "shop", "--as", f"{SA}ci:deployer"],
     lambda g: g.can_i(f"{SA}ci:deployer", "create", "pods", namespace="shop")),
    ("prometheus gets /metrics",
     ["get", "/metrics", "--as", f"{SA}monitoring:prometheus"],
     lambda g: g.can_i(f"{SA}monitoring:prometheus", "get", "/metrics")),
    ("alice lists secrets at cluster scope",
     ["list", "secrets", "-A", "--as", "alice@example.com", "--as-group", "dev-team"],
     lambda g: g.can_i("alice@example.com", "list", "secrets", groups=["dev-team"], namespace="")),
    ("shop default SA deletes secrets in shop",
     ["delete", "secrets", "-n", "shop", "--as", f"{SA}shop:default"],
     lambda g: g.can_i(f"{SA}shop:default", "delete", "secrets", namespace="shop")),
    ("shop default SA deletes secrets in payments (near miss: other namespace)",
     ["delete", "secrets", "-n", "payments", "--as", f"{SA}shop:default"],
     lambda g: g.can_i(f"{SA}shop:default", "delete", "secrets", namespace="payments")),
    ("pods/* is not a wildcard",
     ["create", "pods", "--subresource", "exec", "-n", "payments",
      "--as", "alice@example.com", "--as-group", "dev-team"],
     lambda g: g.can_i("alice@example.com", "create", "pods", groups="dev-team",
                       namespace="payments", subresource="exec")),
    ("dangling roleRef",
     ["update", "configmaps", "-n", "ci", "--as", f"{SA}ci:cache-warmer"],
     lambda g: g.can_i(f"{SA}ci:cache-warmer", "update", "configmaps", namespace="ci")),
    ("service account without namespace in a ClusterRoleBinding",
     ["get", "nodes", "--as", f"{SA}monitoring:node-exporter"],
     lambda g: g.can_i(f"{SA}monitoring:node-exporter", "get", "nodes")),
    ("system:authenticated reads secrets",
     ["list", "secrets", "-n", "payments", "--as", "bob@example.com"],
     lambda g: g.can_i("bob@example.com", "list", "secrets", namespace="payments")),
    ("a named Namespace object takes its own name as namespace",
     ["delete", "namespaces/shop", "--as", "alice@example.com"],
     lambda g: g.can_i("alice@example.com", "delete", "namespaces", name="shop")),
    ("short name, group and object name as keywords",
     ["patch", "deploy.apps/storefront", "--subresource", "scale", "-n", "shop",
      "--as", "alice@example.com"],
     lambda g: g.can_i("alice@example.com", "patch", "deploy", api_group="apps",
                       name="storefront", subresource="scale", namespace="shop")),
    ("a CRD by kind",
     ["create", "Backup", "-n", "payments", "--as", "alice@example.com", "--as-group", "dev-team"],
     lambda g: g.can_i("alice@example.com", "create", "Backup", groups=["dev-team"],
                       namespace="payments")),
    ("resourceNames: the one secret payments-api may get",
     ["get", "secrets/card-processor-key", "-n", "payments", "--as", f"{SA}payments:payments-api"],
     lambda g: g.can_i(f"{SA}payments:payments-api", "get", "secrets/card-processor-key",
                       namespace="payments")),
    ("anonymous",
     ["get", "/healthz", "--as", "system:anonymous"],
     lambda g: g.can_i("system:anonymous", "get", "/healthz")),
    ("system:masters",
     ["delete", "nodes/n1", "--as", "root", "--as-group", "system:masters"],
     lambda g: g.can_i("root", "delete", "nodes/n1", groups=["system:masters"])),
]

DEMO_WHO_CAN: List[Case] = [
    ("get secrets in shop", ["get", "secrets", "-n", "shop"],
     lambda g: g.who_can("get", "secrets", namespace="shop")),
    ("create pods everywhere, expanded", ["create", "pods", "-A", "--expand"],
     lambda g: g.who_can("create", "pods", all_namespaces=True, expand=True)),
    ("get nodes/proxy", ["get", "nodes", "--subresource", "proxy"],
     lambda g: g.who_can("get", "nodes", subresource="proxy")),
    ("create pods in kube-system", ["create", "pods", "-n", "kube-system"],
     lambda g: g.who_can("create", "pods", namespace="kube-system")),
    ("list secrets in payments, expanded", ["list", "secrets", "-n", "payments", "--expand"],
     lambda g: g.who_can("list", "secrets", namespace="payments", expand=True)),
    ("a non-resource URL", ["get", "/metrics"], lambda g: g.who_can("get", "/metrics")),
    ("a CRD across namespaces", ["create", "backups.example.com", "-A"],
     lambda g: g.who_can("create", "backups", api_group="example.com", all_namespaces=True)),
    ("a named object", ["get", "secrets/card-processor-key", "-n", "payments"],
     lambda g: g.who_can("get", "secrets", name="card-processor-key", namespace="payments")),
    ("nobody", ["escalate", "clusterroles"], lambda g: g.who_can("escalate", "clusterroles")),
]

DEMO_RULES: List[Case] = [
    ("shop default SA in shop", ["--as", f"{SA}shop:default", "-n", "shop"],
     lambda g: g.rules_for(f"{SA}shop:default", namespace="shop")),
    ("alice with dev-team in analytics",
     ["--as", "alice@example.com", "--as-group", "dev-team", "-n", "analytics"],
     lambda g: g.rules_for("alice@example.com", groups=["dev-team"], namespace="analytics")),
    ("anonymous", ["--as", "system:anonymous"], lambda g: g.rules_for("system:anonymous")),
]


def _ids(cases: List[Case]) -> List[str]:
    return [c[0] for c in cases]


@pytest.mark.parametrize("case", DEMO_CAN_I, ids=_ids(DEMO_CAN_I))
def test_demo_can_i_matches_cli(demo: rbacgraph.Graph, cli: Cli, case: Case) -> None:
    _, args, question = case
    decision = question(demo)
    expected = cli("-f", DEMO, "can-i", *args, expect_kind="AccessDecision")
    assert decision.to_dict() == expected
    assert bool(decision) == expected["allowed"]


@pytest.mark.parametrize("case", DEMO_WHO_CAN, ids=_ids(DEMO_WHO_CAN))
def test_demo_who_can_matches_cli(demo: rbacgraph.Graph, cli: Cli, case: Case) -> None:
    _, args, question = case
    assert question(demo).to_dict() == cli("-f", DEMO, "who-can", *args, expect_kind="WhoCan")


@pytest.mark.parametrize("case", DEMO_RULES, ids=_ids(DEMO_RULES))
def test_demo_rules_for_matches_cli(demo: rbacgraph.Graph, cli: Cli, case: Case) -> None:
    _, args, question = case
    expected = cli("-f", DEMO, "can-i", "--list", *args, expect_kind="RulesReview")
    assert question(demo).to_dict() == expected


def test_demo_summary_matches_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    assert demo.summary().to_dict() == cli("-f", DEMO, "summary", expect_kind="Summary")


# ----- real-world manifests, each on top of the default policy ------------------

REAL: List[Tuple[str, str, str, List[Case]]] = [
    ("argo-cd", f"{REAL_WORLD}/argo-cd/manifests/install.yaml", "argocd", [
        ("who-can get secrets in argocd", ["who-can", "get", "secrets", "-n", "argocd"],
         lambda g: g.who_can("get", "secrets", namespace="argocd")),
        ("controller creates pods in kube-system",
         ["can-i", "create", "pods", "-n", "kube-system",
          "--as", f"{SA}argocd:argocd-application-controller"],
         lambda g: g.can_i(f"{SA}argocd:argocd-application-controller", "create", "pods",
                           namespace="kube-system")),
        ("server creates pods (denied)",
         ["can-i", "create", "pods", "-n", "default", "--as", f"{SA}argocd:argocd-server"],
         lambda g: g.can_i(f"{SA}argocd:argocd-server", "create", "pods")),
    ]),
    ("flux2", f"{REAL_WORLD}/flux2/manifests", "flux-system", [
        ("who-can create clusterrolebindings, expanded",
         ["who-can", "create", "clusterrolebindings", "--expand"],
         lambda g: g.who_can("create", "clusterrolebindings", expand=True)),
        ("kustomize-controller's rules",
         ["can-i", "--list", "--as", f"{SA}flux-system:kustomize-controller", "-n", "flux-system"],
         lambda g: g.rules_for(f"{SA}flux-system:kustomize-controller", namespace="flux-system")),
    ]),
    ("kube-prometheus", f"{REAL_WORLD}/kube-prometheus/manifests", "monitoring", [
        ("who-can get /metrics", ["who-can", "get", "/metrics"],
         lambda g: g.who_can("get", "/metrics")),
        ("prometheus reads node metrics",
         ["can-i", "get", "nodes", "--subresource", "metrics",
          "--as", f"{SA}monitoring:prometheus-k8s"],
         lambda g: g.can_i(f"{SA}monitoring:prometheus-k8s", "get", "nodes",
                           subresource="metrics")),
    ]),
    ("ingress-nginx", f"{REAL_WORLD}/ingress-nginx", "ingress-nginx", [
        ("who-can list secrets everywhere", ["who-can", "list", "secrets", "-A"],
         lambda g: g.who_can("list", "secrets", all_namespaces=True)),
    ]),
    ("kubernetes-dashboard", f"{REAL_WORLD}/kubernetes-dashboard", "kubernetes-dashboard", [
        ("dashboard gets a named secret",
         ["can-i", "get", "secrets/kubernetes-dashboard-csrf", "-n", "kubernetes-dashboard",
          "--as", f"{SA}kubernetes-dashboard:kubernetes-dashboard"],
         lambda g: g.can_i(f"{SA}kubernetes-dashboard:kubernetes-dashboard", "get", "secrets",
                           name="kubernetes-dashboard-csrf", namespace="kubernetes-dashboard")),
        ("dashboard lists secrets (resourceNames never match a list)",
         ["can-i", "list", "secrets", "-n", "kubernetes-dashboard",
          "--as", f"{SA}kubernetes-dashboard:kubernetes-dashboard"],
         lambda g: g.can_i(f"{SA}kubernetes-dashboard:kubernetes-dashboard", "list", "secrets",
                           namespace="kubernetes-dashboard")),
    ]),
]

REAL_CASES = [
    (project, path, namespace, case) for project, path, namespace, cases in REAL for case in cases
]


@pytest.mark.parametrize(
    "project,path,namespace,case",
    REAL_CASES,
    ids=[f"{p}: {c[0]}" for p, _, _, c in REAL_CASES],
)
def test_real_world_matches_cli(
    cli: Cli, project: str, path: str, namespace: str, case: Case
) -> None:
    graph = rbacgraph.load(BOOTSTRAP, path, default_namespace=namespace)
    _, args, question = case
    kind = {"who-can": "WhoCan", "can-i": "AccessDecision"}[args[0]]
    if "--list" in args:
        kind = "RulesReview"
    expected = cli("-f", BOOTSTRAP, "-f", path, "--default-namespace", namespace, *args,
                   expect_kind=kind)
    assert question(graph).to_dict() == expected
    # Something was actually loaded and asked.
    assert graph.stats().cluster_roles > 0, project

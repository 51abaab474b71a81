"""`Graph.usage` and `rbacgraph.usage`: granted versus used from audit logs,
as `rbacgraph usage` reports it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

import rbacgraph
from conftest import DEMO, REPO, Cli

LOG = "examples/audit/demo-audit.log"
SCENARIO = "tests/fixtures/usage"


@pytest.fixture(scope="module")
def report(demo: rbacgraph.Graph) -> rbacgraph.UsageReport:
    return demo.usage(LOG)


def test_usage_matches_cli(report: rbacgraph.UsageReport, cli: Cli) -> None:
    expected = cli("-f", DEMO, "usage", "--audit-log", LOG, expect_kind="UsageReport")
    assert report.to_dict() == expected


def test_usage_options_match_cli(cli: Cli) -> None:
    graph = rbacgraph.load(f"{SCENARIO}/cluster.yaml")
    logs = [f"{SCENARIO}/scenario.log", f"{SCENARIO}/carol.log.gz"]
    report = graph.usage(*logs, include_denied=True, expand_verbs=False, name_prefix="least")
    expected = cli("-f", f"{SCENARIO}/cluster.yaml", "usage", "--audit-log", logs[0],
                   "--audit-log", logs[1], "--include-denied", "--exact-verbs",
                   "--name-prefix", "least", expect_kind="UsageReport")
    assert report.to_dict() == expected
    assert all(m["metadata"]["name"].startswith("least:") for m in report.manifests())


def test_usage_for_some_users(demo: rbacgraph.Graph, cli: Cli) -> None:
    users = ["alice@example.com", "system:serviceaccount:ci:deployer"]
    report = demo.usage(LOG, users=users)
    assert [p.user for p in report] == users
    expected = cli("-f", DEMO, "usage", "--audit-log", LOG, "--user", users[0],
                   "--serviceaccount", "ci:deployer", expect_kind="UsageReport")
    assert report.to_dict() == expected
    one = demo.usage(LOG, users="alice@example.com")
    assert len(one) == 1


def test_usage_is_typed(report: rbacgraph.UsageReport) -> None:
    assert report.window == ("2026-03-02T09:00:01Z", "2026-03-02T09:00:18Z")
    assert report.stats["counted"] == 17 and report.warnings == ()
    alice = report[0]
    assert isinstance(alice, rbacgraph.PrincipalUsage)
    assert (str(alice.principal), alice.user, alice.groups) == (
        "User alice@example.com", "alice@example.com", ("dev-team", "system:authenticated"))
    assert len(alice.grants) == 105 and len(alice.used()) == 5
    assert len(alice.used()) + len(alice.unused()) == len(alice.grants)
    grant = alice.used()[0]
    assert isinstance(grant, rbacgraph.GrantUsage) and grant.uses == 1
    assert str(grant.grant.binding) == "ClusterRoleBinding alice-view"
    (denied,) = alice.denied
    assert isinstance(denied, rbacgraph.ObservedRequest)
    assert str(denied) == "delete pods/schema-migrate in namespace payments"
    assert (denied.denied_in_log, denied.rbac_allowed) == (1, False)
    assert [m["kind"] for m in alice.generated] == ["Role", "RoleBinding"]


def test_generated_manifests_load_back(report: rbacgraph.UsageReport) -> None:
    manifests = report.manifests()
    text = yaml.safe_dump_all(manifests)
    least = rbacgraph.Graph.from_yaml(text)
    assert least.warnings == []
    assert least.can_i("alice@example.com", "list", "pods", namespace="shop")
    assert not least.can_i("alice@example.com", "delete", "pods", namespace="shop")


def test_usage_table_one_row_per_grant(report: rbacgraph.UsageReport) -> None:
    pytest.importorskip("pandas")
    df = report.to_pandas()
    assert len(df) == sum(len(p.grants) for p in report)
    assert {"principal_name", "namespace", "verbs", "via_kind", "binding_name", "role_name",
            "rule_index", "uses", "shared"} <= set(df.columns)
    used = df[df["uses"] > 0]
    assert set(used["principal_name"]) == {"alice@example.com", "deployer", "prometheus",
                                           "storefront"}


def test_usage_repr_html_pickle(report: rbacgraph.UsageReport) -> None:
    assert repr(report).startswith("UsageReport(5 principals, 17 requests from ")
    assert report._repr_html_().startswith('<table class="rbacgraph">')
    assert pickle.loads(pickle.dumps(report)) == report


def test_bad_lines_are_warnings_unless_strict(demo: rbacgraph.Graph, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text((REPO / LOG).read_text() + "not json\n")
    report = demo.usage(log)
    (warning,) = report.warnings
    assert warning.source.file == str(log) and warning.severity == "error"
    with pytest.raises(rbacgraph.LoadError) as info:
        demo.usage(log, strict=True)
    assert info.value.file == str(log)


def test_usage_needs_a_log(demo: rbacgraph.Graph) -> None:
    with pytest.raises(TypeError):
        demo.usage()
    with pytest.raises(rbacgraph.LoadError):
        demo.usage("no/such.log")

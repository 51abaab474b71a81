"""`Graph.audit`: the hardening audit, as `rbacgraph audit` reports it."""

from __future__ import annotations

import pytest

import rbacgraph
from conftest import DEMO, Cli

IGNORE = "tests/fixtures/audit/ignore.yaml"


@pytest.fixture(scope="module")
def report(demo: rbacgraph.Graph) -> rbacgraph.AuditReport:
    return demo.audit()


def test_audit_matches_cli(report: rbacgraph.AuditReport, cli: Cli) -> None:
    assert report.to_dict() == cli("-f", DEMO, "audit", expect_kind="AuditReport")


def test_audit_options_match_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    report = demo.audit(target_version="1.25", ignore=IGNORE, paths=False)
    expected = cli("-f", DEMO, "audit", "--target-version", "1.25", "--ignore", IGNORE,
                   "--no-paths", expect_kind="AuditReport")
    assert report.to_dict() == expected
    assert report.target_version == "1.25"
    assert report.reachability == "permissionOnly"
    assert [s.reason for s in report.suppressed] == ["the schema migration runs once, by hand"]
    assert isinstance(report.suppressed[0].finding, rbacgraph.Finding)


def test_audit_is_typed(report: rbacgraph.AuditReport) -> None:
    assert len(report) == report.summary["findings"] > 0
    first = report[0]
    assert isinstance(first, rbacgraph.Finding)
    assert (first.id, first.severity) == ("CIS-5.1.1", "critical")
    assert str(first.subjects[0]) == "ServiceAccount kube-system/argocd-manager"
    binding = first.objects[0]
    assert str(binding) == "ClusterRoleBinding argocd-manager-role-binding"
    assert binding.source is not None and binding.source.file.endswith("65-kube-system.yaml")
    ranks = [rbacgraph.audit.severity_rank(f.severity) for f in report]
    assert ranks == sorted(ranks, reverse=True)
    assert {f.id for f in report.by_id("RBAC-DANGLING-ROLEREF")} == {"RBAC-DANGLING-ROLEREF"}
    assert report.notes and "upgrade" in report.notes[0]
    frame_rows = report._rows()
    assert len(frame_rows) == len(report) and frame_rows[0]["id"] == "CIS-5.1.1"


def test_fail_on(demo: rbacgraph.Graph) -> None:
    assert demo.audit(fail_on="high", paths=False).failed
    # argocd-manager's ClusterRole allows everything: critical by itself.
    assert demo.audit(fail_on="critical", paths=False).failed
    assert not demo.audit(paths=False).failed
    with pytest.raises(ValueError, match="severity"):
        demo.audit(fail_on="severe")


def test_bad_target_version_is_a_query_error(demo: rbacgraph.Graph) -> None:
    with pytest.raises(rbacgraph.QueryError):
        demo.audit(target_version="one.thirty")

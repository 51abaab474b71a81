"""`Graph.audit` and `rbacgraph.audit`: the fixes `rbacgraph audit` ranks, with
their evidence resolved, as typed objects and as one DataFrame row per fix."""

from __future__ import annotations

import copy
import json
import pickle
import re
from typing import Any, Dict, List, Mapping, Tuple

import pytest

import rbacgraph
from conftest import DEMO, Cli
from rbacgraph.audit import SEVERITIES, severity_rank

IGNORE = "tests/fixtures/audit/ignore.yaml"
PLATFORMS = "tests/fixtures/platform"


@pytest.fixture(scope="module")
def report(demo: rbacgraph.Graph) -> rbacgraph.AuditReport:
    return demo.audit()


@pytest.fixture(scope="module")
def by_control(demo: rbacgraph.Graph) -> rbacgraph.AuditReport:
    return demo.audit(findings=True)


@pytest.fixture(scope="module")
def audit_json(cli: Cli) -> Dict[str, Any]:
    return cli("-f", DEMO, "audit", expect_kind="AuditReport")


# ----- the same answer as the CLI ----------------------------------------------------


def test_matches_cli(report: rbacgraph.AuditReport, audit_json: Dict[str, Any]) -> None:
    assert report.to_dict() == audit_json
    assert "findings" not in audit_json and report.findings == ()


def test_by_control_matches_cli(by_control: rbacgraph.AuditReport, cli: Cli) -> None:
    expected = cli("-f", DEMO, "audit", "--by", "control", expect_kind="AuditReport")
    assert by_control.to_dict() == expected
    assert len(by_control.findings) == by_control.summary.findings == len(expected["findings"])


def test_no_paths_matches_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    report = demo.audit(paths=False)
    expected = cli("-f", DEMO, "audit", "--no-paths", expect_kind="AuditReport")
    assert report.to_dict() == expected
    assert report.reachability == "permissionOnly"
    assert all("impact" not in f for f in expected["fixes"])
    assert all(f.impact is None and f.path is None for f in report)
    assert report.summary.principals_reaching_cluster_admin is None
    assert "exposure not computed" in str(report.summary)
    df = report.to_pandas()
    assert df["impact_cluster_admin"].isna().all() and df["impact_nodes"].isna().all()


def test_target_version_and_ignore_match_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    report = demo.audit(target_version="1.25", ignore=IGNORE, findings=True)
    expected = cli("-f", DEMO, "audit", "--target-version", "1.25", "--ignore", IGNORE,
                   "--by", "control", expect_kind="AuditReport")
    assert report.to_dict() == expected
    assert report.target_version == "1.25"
    assert report.summary.suppressed == len(report.suppressed) == 1
    (suppressed,) = report.suppressed
    assert suppressed.reason == "the schema migration runs once, by hand"
    assert suppressed.rule_index == 0
    finding = suppressed.finding
    assert isinstance(finding, rbacgraph.Finding)
    assert finding.control == "RBAC-WORKLOAD-DEFAULT-SA"
    assert str(finding.object) == "Pod payments/schema-migrate"
    # Suppressed findings leave the per-control view and its counts.
    assert finding not in report.findings
    assert report.summary.findings == len(report.findings)
    assert rbacgraph.to_pandas(report.suppressed).iloc[0]["reason"] == suppressed.reason


def test_platform_managed_fixes_match_cli(cli: Cli) -> None:
    path = f"{PLATFORMS}/aks"
    report = rbacgraph.load(path).audit()
    assert report.to_dict() == cli("-f", path, "audit", expect_kind="AuditReport")
    assert len(report.platform_managed) == report.summary.platform_managed_fixes > 0
    managed = report.platform_managed[0]
    assert managed.platform is not None and managed.platform.platform == "AKS"
    assert report.fix(managed.id) is managed
    # Platform-managed fixes are ranked apart and never fail the audit.
    assert [f.rank for f in report.platform_managed] == list(range(1, len(report.platform_managed) + 1))
    assert not report.fails("info") and len(report) == report.summary.fixes
    assert set(rbacgraph.to_pandas(report.platform_managed)["platform"]) == {"AKS"}
    # The platform's own identities reach further, but no fix is asked of them.
    assert [str(s) for s in report.default_or_platform] == ["User aks-support"]
    assert len(report.default_or_platform) == report.summary.default_or_platform_principals


# ----- ranking and lookup -----------------------------------------------------------------


def test_fixes_in_rank_order(report: rbacgraph.AuditReport) -> None:
    assert len(report) == report.summary.fixes == 23
    assert [f.rank for f in report] == list(range(1, len(report) + 1))
    severities = [severity_rank(f.severity) for f in report]
    assert severities == sorted(severities, reverse=True)
    counts = {s: sum(1 for f in report if f.severity == s) for s in SEVERITIES}
    assert counts == report.summary.by_severity
    assert report[0] is report.fixes[0] and report[1:3] == report.fixes[1:3]
    assert list(report) == list(report.fixes)


def test_fix_lookup(report: rbacgraph.AuditReport) -> None:
    for fix in report:
        assert re.fullmatch(r"FIX-[0-9a-f]+", fix.id)
        assert report.fix(fix.id) is fix
    with pytest.raises(KeyError, match="FIX-nope"):
        report.fix("FIX-nope")


def test_ids_are_stable(report: rbacgraph.AuditReport) -> None:
    again = rbacgraph.load(DEMO).audit()
    assert [f.id for f in again] == [f.id for f in report]


def test_by_control_and_findings(by_control: rbacgraph.AuditReport) -> None:
    fixes = by_control.by_control("CIS-5.1.1")
    assert fixes and all("CIS-5.1.1" in f.controls for f in fixes)
    assert [f.rank for f in fixes] == sorted(f.rank for f in fixes)
    control = next(c for c in by_control.controls if c.id == "CIS-5.1.1")
    assert isinstance(control, rbacgraph.ControlSummary)
    assert control.fixes == len(fixes)
    findings = by_control.findings_of("CIS-5.1.1")
    assert len(findings) == control.findings > 0
    assert control.severity == max((f.severity for f in findings), key=severity_rank)
    for finding in by_control.findings:
        resolved = by_control.fixes_for(finding)
        assert [f.id for f in resolved] == list(finding.fixes)
        assert all(finding.control in f.controls for f in resolved)
        assert finding.subject is not None or finding.object is not None
    first = findings[0]
    assert str(first.object) == "ClusterRoleBinding argocd-manager-role-binding"
    assert str(first).startswith("[critical] CIS-5.1.1: ")
    assert by_control.by_control("NO-SUCH-CONTROL") == ()


def test_findings_of_needs_findings(report: rbacgraph.AuditReport) -> None:
    with pytest.raises(ValueError, match="findings=True"):
        report.findings_of("CIS-5.1.1")


# ----- one fix, typed ---------------------------------------------------------------------


def test_first_fix_is_typed(report: rbacgraph.AuditReport) -> None:
    fix = report[0]
    assert isinstance(fix, rbacgraph.Fix)
    assert (fix.rank, fix.severity, fix.kind) == (1, "critical", "deleteBinding")
    assert fix.title == "Delete ClusterRoleBinding argocd-manager-role-binding"
    assert fix.severity_reason and fix.description
    (obj,) = fix.objects
    assert isinstance(obj, rbacgraph.ObjectRef)
    assert str(obj) == "ClusterRoleBinding argocd-manager-role-binding"
    assert obj.source is not None and obj.source.file.endswith("65-kube-system.yaml")
    assert obj.source.line == 24
    assert "CIS-5.1.1" in fix.controls
    assert [str(p) for p in fix.principals] == ["ServiceAccount kube-system/argocd-manager"]
    assert fix.principal_count == 1
    assert (fix.namespaces, fix.cluster_wide) == (0, True)
    assert fix.platform is None and fix.manual is None
    (patch,) = fix.patch
    assert isinstance(patch, rbacgraph.ObjectPatch)
    assert (patch.action, patch.object) == ("delete", obj)
    assert str(patch) == "delete ClusterRoleBinding argocd-manager-role-binding"
    assert str(fix) == f"1. [critical] {fix.title} ({fix.id})"


def test_impact_is_typed(report: rbacgraph.AuditReport, audit_json: Dict[str, Any]) -> None:
    fix = report[0]
    impact = fix.impact
    assert isinstance(impact, rbacgraph.FixImpact)
    assert (impact.cluster_admin, impact.nodes) == (5, 1)
    assert all(isinstance(p, rbacgraph.SubjectRef) for p in impact.cluster_admin_principals)
    assert len(impact.cluster_admin_principals) == impact.cluster_admin
    assert rbacgraph.SubjectRef("User", "alice@example.com") in impact.cluster_admin_principals
    assert [str(p) for p in impact.nodes_principals] == ["ServiceAccount kube-system/argocd-manager"]
    assert impact.to_dict() == audit_json["fixes"][0]["impact"]


def test_first_fix_path_ends_at_cluster_admin(report: rbacgraph.AuditReport) -> None:
    path = report[0].path
    assert isinstance(path, rbacgraph.AttackPath)
    assert path.target == "cluster-admin"
    assert str(path.source) == "ServiceAccount kube-system/argocd-manager"
    assert path.steps and path.end is not None and path.end.kind == "ClusterAdmin"
    assert str(path.end) == "cluster-admin"
    assert path.techniques == ("E01",)
    step = path.steps[0]
    assert isinstance(step, rbacgraph.AttackStep) and step.title
    binding = step.evidence[0].reasons[0].binding
    assert binding is not None and binding.name == "argocd-manager-role-binding"
    # The path's first step is one the fix removes, through the fix's own binding.
    assert binding == report[0].objects[0]


def test_paths_resolve_steps_by_index(report: rbacgraph.AuditReport,
                                      audit_json: Dict[str, Any]) -> None:
    store = audit_json["evidence"]
    assert report.evidence.to_dict() == store
    for fix, raw in zip(report, audit_json["fixes"]):
        index = raw["evidence"].get("path")
        if index is None:
            assert fix.path is None
            continue
        expected = store["paths"][index]
        assert fix.path is report.evidence.paths[index]
        assert fix.path is not None
        assert fix.path.to_dict() == {**expected, "steps": [store["steps"][i] for i in expected["steps"]]}
        assert fix.path.steps == tuple(report.evidence.steps[i] for i in expected["steps"])
    longest = max((p for p in report.evidence.paths), key=lambda p: len(p.steps))
    assert len(longest.steps) > 1 and str(longest.end) in ("cluster-admin", "node *")


def test_rule_and_object_evidence_resolve(report: rbacgraph.AuditReport,
                                          audit_json: Dict[str, Any]) -> None:
    store = audit_json["evidence"]
    for fix, raw in zip(report, audit_json["fixes"]):
        evidence = raw["evidence"]
        assert fix.evidence.to_dict() == evidence
        assert [r.to_dict() for r in fix.rules] == [store["rules"][i] for i in evidence["rules"]]
        assert [o.to_dict() for o in fix.evidence.objects] == [
            store["objects"][i] for i in evidence["objects"]]
        assert fix.evidence.facts == tuple(evidence["facts"])
        for rule in fix.rules:
            assert isinstance(rule, rbacgraph.RuleEvidence)
            assert isinstance(rule.rule, rbacgraph.PolicyRule)
            assert rule.role.kind in ("Role", "ClusterRole")
    (rule,) = report[0].rules
    assert str(rule) == "ClusterRole argocd-manager-role rule 0: verbs [*], apiGroups [*], resources [*]"
    assert "create pods" in rule.requests


def test_patches_are_typed(report: rbacgraph.AuditReport) -> None:
    actions = {p.action for f in report for p in f.patch}
    assert actions == {"delete", "create", "patch"}
    label = next(f for f in report if f.kind == "labelNamespace")
    (patch,) = label.patch
    assert patch.action == "patch" and patch.manifest is None
    (op,) = patch.json_patch
    assert op["op"] == "add" and op["path"] == "/metadata/labels"
    assert op["value"]["pod-security.kubernetes.io/enforce"] in ("baseline", "restricted")
    created = next(p for f in report for p in f.patch if p.action == "create")
    assert created.manifest is not None and created.manifest["kind"] == created.object.kind
    assert created.json_patch == ()


# ----- tables ----------------------------------------------------------------------------


def test_to_pandas_one_row_per_fix(report: rbacgraph.AuditReport,
                                   audit_json: Dict[str, Any]) -> None:
    pandas = pytest.importorskip("pandas")
    df = report.to_pandas()
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == [
        "rank", "id", "severity", "kind", "title", "controls", "principals", "namespaces",
        "cluster_wide", "impact_cluster_admin", "impact_nodes", "objects", "file", "line",
        "platform",
    ]
    fixes = audit_json["fixes"]
    assert len(df) == len(fixes)
    assert df["rank"].tolist() == [f["rank"] for f in fixes]
    assert df["id"].tolist() == [f["id"] for f in fixes]
    assert df["impact_cluster_admin"].tolist() == [f["impact"]["clusterAdmin"] for f in fixes]
    assert df["impact_nodes"].tolist() == [f["impact"]["nodes"] for f in fixes]
    assert df["principals"].tolist() == [f["principals"]["count"] for f in fixes]
    assert df["cluster_wide"].tolist() == [f["clusterWide"] for f in fixes]
    assert [list(c) for c in df["controls"]] == [f["controls"] for f in fixes]
    first = df.iloc[0]
    assert first["file"] == "examples/clusters/demo/65-kube-system.yaml" and first["line"] == 24
    assert first["objects"] == ("ClusterRoleBinding argocd-manager-role-binding",)
    assert rbacgraph.to_pandas(report).equals(df)


def test_other_tables(by_control: rbacgraph.AuditReport) -> None:
    pytest.importorskip("pandas")
    findings = rbacgraph.to_pandas(by_control.findings)
    assert len(findings) == by_control.summary.findings
    assert list(findings.columns) == list(rbacgraph.Finding._COLUMNS)
    controls = rbacgraph.to_pandas(by_control.controls)
    assert len(controls) == by_control.summary.controls
    assert controls["findings"].sum() == by_control.summary.findings
    summary = by_control.summary.to_pandas().set_index("count")["value"]
    assert summary["fixes"] == 23 and summary["fixes_critical"] == 8


def test_repr_and_html(report: rbacgraph.AuditReport) -> None:
    text = repr(report)
    assert text.splitlines()[0].startswith("AuditReport(23 fixes (8 critical, 1 high, ")
    assert "5 principals reach cluster-admin" in text
    assert f"  {report[0]}" in text and "… and 3 more" in text
    html = report._repr_html_()
    assert html.startswith('<table class="rbacgraph">')
    assert html.count("<tr>") == len(report) + 1
    assert "note: upgrade-readiness checks" in html


def test_html_escapes_names() -> None:
    graph = rbacgraph.Graph.from_yaml("""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "<b>everyone</b>"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: "system:authenticated"}]
""")
    report = graph.audit()
    assert report and report[0].objects[0].name == "<b>everyone</b>"
    html = report._repr_html_()
    assert "<b>" not in html and "&lt;b&gt;everyone&lt;/b&gt;" in html


# ----- failing, building, keeping ----------------------------------------------------------


def test_fail_on(demo: rbacgraph.Graph) -> None:
    report = demo.audit(fail_on="critical", paths=False)
    assert report.fail_on == "critical" and report.failed
    assert report.failed == any(f.severity == "critical" for f in report)
    assert not demo.audit(paths=False).failed
    for level in SEVERITIES:
        assert report.fails(level) == any(severity_rank(f.severity) >= severity_rank(level)
                                          for f in report)
    with pytest.raises(ValueError, match="severity"):
        demo.audit(fail_on="severe")
    with pytest.raises(ValueError, match="severity"):
        report.fails("severe")


def test_fail_on_a_clean_cluster() -> None:
    role = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: web}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: User, name: ann}]
"""
    report = rbacgraph.Graph.from_yaml(role).audit(fail_on="info")
    assert not report and not report.failed and report.summary.fixes == 0


def test_from_cli_document(cli: Cli, report: rbacgraph.AuditReport,
                           audit_json: Dict[str, Any]) -> None:
    document = {"apiVersion": "rbacgraph/v1", "kind": "AuditReport", **audit_json}
    loaded = rbacgraph.AuditReport.from_dict(json.loads(json.dumps(document)), fail_on="high")
    assert loaded.to_dict() == audit_json
    assert loaded == rbacgraph.AuditReport.from_dict(audit_json, fail_on="high")
    assert loaded.fixes == report.fixes and loaded.failed
    assert loaded[0].path is not None and loaded[0].path.steps[0].title
    with pytest.raises(ValueError, match="AuditReport"):
        rbacgraph.AuditReport.from_dict({**document, "kind": "PermissionDiff"})


def test_round_trips_pickles_and_copies(by_control: rbacgraph.AuditReport) -> None:
    dto = by_control.to_dict()
    assert rbacgraph.AuditReport.from_dict(dto).to_dict() == dto
    again = pickle.loads(pickle.dumps(by_control))
    assert again == by_control and repr(again) == repr(by_control)
    assert again.to_dict() == dto
    assert copy.deepcopy(by_control) == by_control
    dto.clear()
    assert by_control.to_dict() != {}


def test_bad_target_version_is_a_query_error(demo: rbacgraph.Graph) -> None:
    with pytest.raises(rbacgraph.QueryError):
        demo.audit(target_version="one.thirty")


def test_bad_ignore_file_is_a_query_error(demo: rbacgraph.Graph, tmp_path: Any) -> None:
    bad = tmp_path / "ignore.yaml"
    bad.write_text("ignore: [{reason: 3, unknown: field}]\n")
    with pytest.raises(rbacgraph.QueryError):
        demo.audit(ignore=bad)


# ----- the Python classes keep up with the core's DTO ----------------------------------------


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _unknown_keys(obj: Any, dto: Mapping[str, Any]) -> List[Tuple[str, str]]:
    return [(type(obj).__name__, k) for k in dto if not hasattr(obj, _snake(k))]


def test_every_dto_field_has_a_python_field(demo: rbacgraph.Graph,
                                            by_control: rbacgraph.AuditReport) -> None:
    """A field the core adds to the audit DTO must show up in the Python classes."""
    reports = [
        by_control,
        demo.audit(target_version="1.25", ignore=IGNORE, findings=True),
        rbacgraph.load(f"{PLATFORMS}/openshift").audit(findings=True),
    ]
    pairs: List[Tuple[Any, Mapping[str, Any]]] = []
    for r in reports:
        raw = r.to_dict()
        pairs += [(r, raw), (r.summary, raw["summary"]), (r.evidence, raw["evidence"])]
        for fix, d in zip(r.fixes + r.platform_managed, raw["fixes"] + raw["platformManaged"]):
            pairs += [(fix, d), (fix.evidence, d["evidence"])]
            pairs.append((fix, {"principalCount": d["principals"]["count"]}))
            if fix.impact is not None:
                pairs.append((fix.impact, d["impact"]))
            if fix.platform is not None:
                pairs.append((fix.platform, d["platform"]))
            pairs += list(zip(fix.patch, d["patch"]))
        pairs += list(zip(r.controls, raw["controls"]))
        pairs += list(zip(r.findings, raw.get("findings", [])))
        pairs += list(zip(r.evidence.rules, raw["evidence"]["rules"]))
        for sup, d in zip(r.suppressed, raw["suppressed"]):
            own = {"reason", "ruleIndex"}
            pairs.append((sup, {k: v for k, v in d.items() if k in own}))
            pairs.append((sup.finding, {k: v for k, v in d.items() if k not in own}))
    kinds = {type(obj) for obj, _ in pairs}
    assert {rbacgraph.PlatformMatch, rbacgraph.SuppressedFinding, rbacgraph.Finding,
            rbacgraph.FixImpact, rbacgraph.ObjectPatch, rbacgraph.RuleEvidence} <= kinds
    assert [k for obj, d in pairs for k in _unknown_keys(obj, d)] == []

"""`Graph.check`: guardrail policies evaluated exactly, as `rbacgraph check
--policy` evaluates them. The report equals the CLI's `-o json` body (and its
JUnit and SARIF renderings equal `-o junit` / `-o sarif`), with and without
`--against`; policies may be paths, directories, text, dicts or a list of
those; a policy that cannot be used raises `PolicyError` naming the field;
the CLI's JUnit validates against the Jenkins xUnit JUnit schema."""

from __future__ import annotations

import copy
import json
import pickle
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml

import rbacgraph
from conftest import DEMO, REPO, Cli, _cli_binary

FAILS = "examples/policies/demo-fails.yaml"
PASSES = "examples/policies/demo-passes.yaml"
POLICIES = [FAILS, PASSES]
JUNIT_XSD = REPO / "tests" / "fixtures" / "junit" / "junit.xsd"

# What the change under review adds: the shop's cart service account
# becomes cluster-admin.
CART_ADMIN = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cart-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: cart, namespace: shop}]
"""
CART = "ServiceAccount shop/cart"

TYPO = """\
apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: typo}
assertions:
- name: nobody reads pods
  whoCan: {verb: get, resorce: pods}
  allowOnly: []
"""


def run_cli(*args: str) -> Tuple[int, str, str]:
    """`rbacgraph ARGS...` from the repository root: exit code, stdout, stderr."""
    result = subprocess.run(
        [*_cli_binary(), *args], cwd=REPO, capture_output=True, text=True
    )
    return result.returncode, result.stdout, result.stderr


def without_sources(dto: Dict[str, Any]) -> Dict[str, Any]:
    """The report body with each result's policy source left out (it names
    the policy file, or the label of text and dicts)."""
    out = copy.deepcopy(dto)
    for r in out["results"]:
        del r["source"]
    return out


@pytest.fixture(scope="module")
def changed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo cluster plus the CART_ADMIN binding."""
    root = tmp_path_factory.mktemp("changed") / "demo"
    shutil.copytree(REPO / DEMO, root)
    (root / "99-cart-admin.yaml").write_text(CART_ADMIN)
    return root


@pytest.fixture(scope="module")
def changed(changed_dir: Path) -> rbacgraph.Graph:
    return rbacgraph.load(changed_dir)


@pytest.fixture(scope="module")
def cart_admin_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CART_ADMIN binding alone: the demo's own files plus this one are
    a changed snapshot whose other objects keep their sources."""
    path = tmp_path_factory.mktemp("added") / "99-cart-admin.yaml"
    path.write_text(CART_ADMIN)
    return path


@pytest.fixture(scope="module")
def fails(demo: rbacgraph.Graph) -> rbacgraph.CheckReport:
    return demo.check(FAILS)


# ----- the same answer as the CLI ---------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_matches_cli(demo: rbacgraph.Graph, cli: Cli, policy: str) -> None:
    report = demo.check(policy)
    expected = cli("-f", DEMO, "check", "--policy", policy, expect_kind="CheckReport")
    assert report.to_dict() == expected
    assert not report.against and report.summary.introduced is None
    assert all(r.resolved is None for r in report)
    assert all(v.introduced is None for v in report.violations)
    # passed is the CLI's exit code.
    code, _, _ = run_cli("-f", DEMO, "check", "--policy", policy)
    assert report.passed == bool(report) == (code == 0)


def test_demo_policies_fail_and_pass(demo: rbacgraph.Graph, fails: rbacgraph.CheckReport) -> None:
    assert not fails.passed
    assert [r.passed for r in fails] == [False] * 5
    assert len(fails.violations) == fails.summary.violations == 12
    passes = demo.check(PASSES)
    assert passes.passed and passes.summary.passed == len(passes) == 6
    assert passes.violations == () and passes.warnings == ()


@pytest.mark.parametrize("policy", POLICIES)
def test_against_a_changed_copy_matches_cli(
    demo: rbacgraph.Graph, changed: rbacgraph.Graph, changed_dir: Path, cli: Cli, policy: str
) -> None:
    report = demo.check(policy, against=changed)
    expected = cli("-f", DEMO, "check", "--policy", policy, "--against", str(changed_dir),
                   expect_kind="CheckReport")
    assert report.to_dict() == expected
    assert report.against and not report.passed
    code, _, _ = run_cli("-f", DEMO, "check", "--policy", policy, "--against", str(changed_dir))
    assert code == 1
    # In every whoCan assertion the cart service account is the one new subject.
    who_can = [r for r in report if r.kind == "whoCan" and r.violations]
    assert who_can
    for r in who_can:
        new = [v for v in r.violations if v.introduced]
        assert [str(v.subject) for v in new] == [CART]
        assert [g.binding.name for g in new[0].grants] == ["cart-admin"]
        assert r.resolved == ()
        assert r.introduced == 1


def test_against_reports_the_cart_binding_as_introduced(
    demo: rbacgraph.Graph, changed: rbacgraph.Graph
) -> None:
    report = demo.check(PASSES, against=changed)
    # The baseline held; the change breaks exactly one assertion, by one subject.
    (failing,) = [r for r in report if not r.passed]
    assert failing.name == "only cluster admins impersonate"
    (v,) = failing.violations
    assert v.introduced is True and v.key == CART
    assert str(v) == f"new: {CART} may, and no allowOnly entry matches it"
    assert report.summary.introduced == 1 and report.summary.resolved == 0
    assert [r.introduced for r in report] == [0, 0, 1, 0, 0, 0]


@pytest.mark.parametrize("policy", POLICIES)
def test_against_same_files_plus_one_matches_cli(
    demo: rbacgraph.Graph, cart_admin_file: Path, cli: Cli, policy: str
) -> None:
    changed = rbacgraph.load(DEMO, cart_admin_file)
    report = demo.check(policy, against=changed)
    expected = cli("-f", DEMO, "check", "--policy", policy,
                   "--against", DEMO, "--against", str(cart_admin_file),
                   expect_kind="CheckReport")
    assert report.to_dict() == expected
    introduced = [v for v in report.violations if v.introduced]
    # Who may, who reaches, which fix: every new violation is the cart binding.
    for v in introduced:
        assert (v.key == CART
                or (v.fix is not None and v.fix.title == "Delete ClusterRoleBinding cart-admin"))
    assert report.summary.introduced == len(introduced) > 0
    assert report.summary.resolved == 0 and report.resolved == ()


def test_audit_violations_of_an_unchanged_copy_are_not_new(
    demo: rbacgraph.Graph, changed: rbacgraph.Graph
) -> None:
    report = demo.check(FAILS, against=changed)
    audit = report[4]
    assert audit.kind == "audit"
    # Audit violations are keyed by what the fix changes, not by its id (which
    # hashes the objects' file paths): only the new binding's fix is new.
    new = [v.fix.title for v in audit.violations if v.introduced and v.fix]
    assert new == ["Delete ClusterRoleBinding cart-admin"]
    assert audit.resolved == ()


def test_against_itself_introduces_nothing(demo: rbacgraph.Graph, cli: Cli) -> None:
    report = demo.check(FAILS, against=demo)
    expected = cli("-f", DEMO, "check", "--policy", FAILS, "--against", DEMO,
                   expect_kind="CheckReport")
    assert report.to_dict() == expected
    assert report.passed and report.against
    assert report.summary.introduced == 0 and report.summary.resolved == 0
    assert report.summary.failed == 5
    assert all(v.introduced is False for v in report.violations)


def test_against_must_be_a_graph(demo: rbacgraph.Graph) -> None:
    with pytest.raises(TypeError, match="against takes another Graph"):
        demo.check(FAILS, against=DEMO)  # type: ignore[arg-type]


# ----- JUnit and SARIF: the CLI's ---------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_junit_and_sarif_match_cli(demo: rbacgraph.Graph, policy: str) -> None:
    report = demo.check(policy)
    _, junit, _ = run_cli("-f", DEMO, "-o", "junit", "check", "--policy", policy)
    _, sarif, _ = run_cli("-f", DEMO, "-o", "sarif", "check", "--policy", policy)
    assert report.to_junit() == junit
    assert report.to_sarif() == json.loads(sarif)


def test_junit_and_sarif_against_match_cli(
    demo: rbacgraph.Graph, changed: rbacgraph.Graph, changed_dir: Path
) -> None:
    report = demo.check(POLICIES, against=changed)
    args = ["check", "--policy", FAILS, "--policy", PASSES, "--against", str(changed_dir)]
    _, junit, _ = run_cli("-f", DEMO, "-o", "junit", *args)
    _, sarif, _ = run_cli("-f", DEMO, "-o", "sarif", *args)
    assert report.to_junit() == junit
    assert report.to_sarif() == json.loads(sarif)
    states = {r["baselineState"] for r in report.to_sarif()["runs"][0]["results"]}
    assert "new" in states and "unchanged" in states


def test_to_sarif_is_a_copy(fails: rbacgraph.CheckReport) -> None:
    fails.to_sarif().clear()
    assert fails.to_sarif()["version"] == "2.1.0"


# ----- JUnit validates against the Jenkins xUnit schema -----------------------------------


def junit_cases() -> List[Tuple[str, List[str]]]:
    return [
        ("demo-fails", ["--policy", FAILS]),
        ("demo-passes", ["--policy", PASSES]),
        ("both policies", ["--policy", FAILS, "--policy", PASSES]),
        ("a directory", ["--policy", "examples/policies"]),
        ("against itself", ["--policy", FAILS, "--against", DEMO]),
    ]


@pytest.fixture(scope="module")
def junit_schema() -> Any:
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema10(str(JUNIT_XSD))


def check_junit(schema: Any, junit: str, report: Dict[str, Any]) -> None:
    """`junit` is valid and counts what the JSON report says: one test per
    assertion, a failure per assertion with violations (with --against:
    violations the change introduces), one suite per policy."""
    import xml.etree.ElementTree as ET

    schema.validate(junit)
    root = ET.fromstring(junit)
    results = report["results"]

    def fails(r: Dict[str, Any]) -> bool:
        return any(v.get("introduced", True) for v in r["violations"])

    assert root.tag == "testsuites"
    assert int(root.get("tests", "")) == report["summary"]["assertions"] == len(results)
    assert int(root.get("failures", "")) == sum(fails(r) for r in results)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == list(dict.fromkeys(r["policy"] for r in results))
    for suite in suites:
        mine = [r for r in results if r["policy"] == suite.get("name")]
        assert int(suite.get("tests", "")) == len(mine) == len(suite.findall("testcase"))
        assert int(suite.get("failures", "")) == sum(fails(r) for r in mine)
        assert suite.get("file") == mine[0]["source"]["file"]
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [r["name"] for r in mine]
        assert [c.find("failure") is not None for c in cases] == [fails(r) for r in mine]


@pytest.mark.parametrize("case", junit_cases(), ids=[c[0] for c in junit_cases()])
def test_cli_junit_is_valid(junit_schema: Any, cli: Cli, case: Tuple[str, List[str]]) -> None:
    _, args = case
    _, junit, _ = run_cli("-f", DEMO, "-o", "junit", "check", *args)
    check_junit(junit_schema, junit, cli("-f", DEMO, "check", *args, expect_kind="CheckReport"))


def test_cli_junit_against_a_change_is_valid(
    junit_schema: Any, cli: Cli, changed_dir: Path
) -> None:
    args = ["check", "--policy", "examples/policies", "--against", str(changed_dir)]
    _, junit, _ = run_cli("-f", DEMO, "-o", "junit", *args)
    report = cli("-f", DEMO, *args, expect_kind="CheckReport")
    check_junit(junit_schema, junit, report)
    assert 'message="1 violation(s) introduced"' in junit


def test_junit_schema_rejects_a_broken_report(junit_schema: Any) -> None:
    # The schema is strict enough to matter: a test case needs a name.
    assert not junit_schema.is_valid(
        '<testsuites><testsuite name="p" tests="1"><testcase classname="p"/></testsuite>'
        "</testsuites>"
    )


# ----- how policies are given ---------------------------------------------------------


def test_path_forms(demo: rbacgraph.Graph, fails: rbacgraph.CheckReport) -> None:
    assert demo.check(Path(FAILS)).to_dict() == fails.to_dict()
    absolute = demo.check(REPO / FAILS)
    assert without_sources(absolute.to_dict()) == without_sources(fails.to_dict())
    assert {r.source.file for r in absolute} == {str(REPO / FAILS)}


def test_directory_matches_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    report = demo.check("examples/policies")
    expected = cli("-f", DEMO, "check", "--policy", "examples/policies",
                   expect_kind="CheckReport")
    assert report.to_dict() == expected
    # Every file below it, in name order.
    assert [r.source.file for r in report][::6] == [FAILS, PASSES]
    assert len(report) == 11


def test_text(demo: rbacgraph.Graph, fails: rbacgraph.CheckReport) -> None:
    text = (REPO / FAILS).read_text()
    report = demo.check(text)
    assert without_sources(report.to_dict()) == without_sources(fails.to_dict())
    assert {str(r.source) for r in report} == {"<policy>:1 (document 0)"}
    # JSON text too, on one line.
    document = yaml.safe_load(text)
    one_line = json.dumps(document)
    assert "\n" not in one_line
    assert without_sources(demo.check(one_line).to_dict()) == without_sources(fails.to_dict())
    # One line starting with apiVersion is text too (here, an incomplete policy).
    with pytest.raises(rbacgraph.PolicyError) as info:
        demo.check("apiVersion: rbacgraph/v1")
    assert info.value.file == "<policy>"


def test_dict(demo: rbacgraph.Graph, fails: rbacgraph.CheckReport) -> None:
    document = yaml.safe_load((REPO / FAILS).read_text())
    report = demo.check(document)
    assert without_sources(report.to_dict()) == without_sources(fails.to_dict())
    assert {(r.source.file, r.source.document) for r in report} == {("<policy>", 0)}
    # Mappings other than dict, and tuples inside, work as well.
    frozen = {**document, "assertions": tuple(document["assertions"])}
    assert demo.check(frozen).summary == fails.summary


def test_list(demo: rbacgraph.Graph, fails: rbacgraph.CheckReport) -> None:
    passes = demo.check(PASSES)
    text = (REPO / PASSES).read_text()
    document = yaml.safe_load((REPO / FAILS).read_text())
    report = demo.check([FAILS, text, document])
    assert len(report) == len(fails) + len(passes) + len(fails)
    assert [r.source.file for r in report] == \
        [FAILS] * 5 + ["<policy[1]>"] * 6 + ["<policy[2]>"] * 5
    expected = fails.to_dict()["results"] + passes.to_dict()["results"] \
        + fails.to_dict()["results"]
    assert [{k: v for k, v in r.items() if k != "source"} for r in report.to_dict()["results"]] \
        == [{k: v for k, v in r.items() if k != "source"} for r in expected]
    # A tuple is a list too.
    assert demo.check((FAILS, PASSES)).summary.assertions == 11


def test_bad_policy_arguments(demo: rbacgraph.Graph) -> None:
    with pytest.raises(ValueError, match="at least one policy"):
        demo.check([])
    with pytest.raises(TypeError, match="a policy is a path"):
        demo.check(3)  # type: ignore[arg-type]
    with pytest.raises(rbacgraph.LoadError) as info:
        demo.check("examples/policies/no-such-policy.yaml")
    assert info.value.file == "examples/policies/no-such-policy.yaml"


# ----- policies that cannot be used -------------------------------------------------


def test_misspelt_field_raises_with_the_field(demo: rbacgraph.Graph) -> None:
    with pytest.raises(rbacgraph.PolicyError) as info:
        demo.check(TYPO)
    e = info.value
    assert isinstance(e, rbacgraph.RbacGraphError) and not isinstance(e, rbacgraph.LoadError)
    assert e.field == "assertions[0].whoCan.resorce"
    assert (e.file, e.document, e.line, e.object) == ("<policy>", 0, 1, "Policy typo")
    (problem,) = e.problems
    assert problem["field"] == "assertions[0].whoCan.resorce"
    assert "unknown field `resorce`" in problem["message"]
    assert set(problem) == {"file", "document", "line", "object", "field", "message"}
    assert "assertions[0].whoCan.resorce" in str(e)


def test_misspelt_field_in_a_file_matches_cli(demo: rbacgraph.Graph, tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(TYPO)
    with pytest.raises(rbacgraph.PolicyError) as info:
        demo.check(path)
    assert info.value.file == str(path)
    code, _, stderr = run_cli("-f", DEMO, "check", "--policy", str(path))
    assert code == 2
    (problem,) = info.value.problems
    assert f"field `{problem['field']}`: {problem['message']}" in stderr


def test_every_problem_of_every_policy(demo: rbacgraph.Graph) -> None:
    document = yaml.safe_load(TYPO)
    document["assertions"][0]["whoCan"] = {"verb": "get", "resource": "widgets"}
    with pytest.raises(rbacgraph.PolicyError) as info:
        demo.check([TYPO, "kind: Role\nmetadata: {name: r}\n", document])
    problems = info.value.problems
    assert [p["file"] for p in problems] == ["<policy[0]>", "<policy[1]>"]
    # The unknown resource is found when the policy meets the graph.
    with pytest.raises(rbacgraph.PolicyError) as info:
        demo.check(document)
    assert info.value.field == "assertions[0].whoCan.resource"
    assert "unknown resource type `widgets`" in info.value.problems[0]["message"]


def test_policy_error_pickles(demo: rbacgraph.Graph) -> None:
    with pytest.raises(rbacgraph.PolicyError) as info:
        demo.check(TYPO)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is rbacgraph.PolicyError
    assert (again.field, again.problems, str(again)) == (
        info.value.field, info.value.problems, str(info.value))


def test_warnings_match_cli(demo: rbacgraph.Graph, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "nobody.yaml"
    path.write_text("""\
apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: nobody}
assertions:
- name: only a ghost reads secrets
  whoCan: {verb: get, resource: secrets, namespace: shop}
  allowOnly: [{kind: User, name: ghost}]
- name: nothing in staging escalates
  paths: {from: {kind: ServiceAccount, namespace: staging}}
  expect: none
""")
    report = demo.check(path)
    assert report.to_dict() == cli("-f", DEMO, "check", "--policy", str(path),
                                   expect_kind="CheckReport")
    assert [w.field for w in report.warnings] == ["assertions[0].allowOnly[0]",
                                                  "assertions[1].paths.from"]
    assert all(isinstance(w, rbacgraph.Diagnostic) for w in report.warnings)
    assert all(w.source.file == str(path) for w in report.warnings)


# ----- the typed objects ------------------------------------------------------------------


def test_typed_evidence(fails: rbacgraph.CheckReport) -> None:
    who, deployer, paths, warmer, audit = fails
    v = who.violations[0]
    assert isinstance(v, rbacgraph.Violation) and (v.policy, v.assertion) == (who.policy, who.name)
    (grant,) = v.grants
    assert isinstance(grant, rbacgraph.GrantChain)
    assert (grant.binding.name, grant.role.name, grant.via) == ("ci-deployer", "ci-deployer", None)
    assert grant.binding.source is not None and grant.binding.source.line == 72
    (rule,) = grant.rules
    assert isinstance(rule, rbacgraph.RuleAt) and rule.index == 3 and "secrets" in str(rule)
    (v,) = deployer.violations
    assert v.key == "yes" and v.reasons[0].binding is not None
    assert v.reasons[0].binding.name == "ci-deployer"
    (v,) = paths.violations
    assert v.subject is None and v.source is not None and str(v.source) == "ServiceAccount ci/deployer"
    assert [s.technique for s in v.steps] == ["W01", "E01"] and v.steps[0].title
    (v,) = warmer.violations
    assert v.near_misses[0].reason == "missingRole"
    assert all(isinstance(x.fix, rbacgraph.FixRef) for x in audit.violations)
    assert audit.violations[0].fix is not None and audit.violations[0].fix.severity == "critical"
    assert isinstance(fails.summary, rbacgraph.CheckSummary)
    assert isinstance(who, rbacgraph.AssertionResult) and who.field == "assertions[0]"


def test_to_pandas_one_row_per_assertion(
    fails: rbacgraph.CheckReport, demo: rbacgraph.Graph, changed: rbacgraph.Graph
) -> None:
    pytest.importorskip("pandas")
    df = fails.to_pandas()
    assert list(df.columns) == ["policy", "name", "kind", "passed", "violations",
                                "introduced", "message"]
    assert len(df) == len(fails) == 5
    assert df["violations"].tolist() == [3, 1, 1, 1, 6]
    assert df["introduced"].isna().all()
    assert set(df["policy"]) == {"demo-intent"}
    assert rbacgraph.to_pandas(fails).equals(df)
    against = demo.check(PASSES, against=changed).to_pandas()
    assert against["introduced"].tolist() == [0, 0, 1, 0, 0, 0]


def test_to_pandas_one_row_per_violation(
    fails: rbacgraph.CheckReport, demo: rbacgraph.Graph, changed: rbacgraph.Graph
) -> None:
    pytest.importorskip("pandas")
    df = rbacgraph.to_pandas(fails.violations)
    assert list(df.columns) == ["policy", "assertion", "key", "message", "subject_kind",
                                "subject_name", "subject_namespace", "introduced"]
    assert len(df) == fails.summary.violations == 12
    assert df["assertion"].tolist()[:3] == [fails[0].name] * 3
    # A path's principal is its source.
    row = df[df["assertion"] == fails[2].name].iloc[0]
    assert (row["subject_kind"], row["subject_name"], row["subject_namespace"]) == (
        "ServiceAccount", "deployer", "ci")
    # Audit violations name no subject.
    assert df[df["assertion"] == fails[4].name]["subject_kind"].isna().all()
    assert df["introduced"].isna().all()
    df = rbacgraph.to_pandas(demo.check(PASSES, against=changed).violations)
    assert df[["key", "introduced"]].values.tolist() == [[CART, True]]
    # One assertion's violations alone.
    assert len(rbacgraph.to_pandas(fails[0].violations)) == 3


def test_round_trips_repr_html_and_pickle(fails: rbacgraph.CheckReport, cli: Cli) -> None:
    document = {"apiVersion": "rbacgraph/v1", "kind": "CheckReport", **fails.to_dict()}
    rebuilt = rbacgraph.CheckReport.from_dict(document)
    assert rebuilt == fails and rebuilt.to_dict() == fails.to_dict()
    with pytest.raises(ValueError, match="JUnit XML comes with graph.check"):
        rebuilt.to_junit()
    with pytest.raises(ValueError, match="SARIF comes with graph.check"):
        rebuilt.to_sarif()
    with pytest.raises(ValueError, match="not an rbacgraph/v1 CheckReport"):
        rbacgraph.CheckReport.from_dict({**document, "kind": "AuditReport"})
    again = pickle.loads(pickle.dumps(fails))
    assert again == fails and again.to_junit() == fails.to_junit()
    text = repr(fails)
    assert text.startswith("CheckReport(5 assertion(s): 0 passed, 5 failed (12 violation(s)))")
    assert "  FAIL the CI deployer cannot create pods in kube-system" in text
    assert "… and 1 more" in text
    html = fails._repr_html_()
    assert "<caption>CheckReport: 5 assertion(s)" in html and "only the shop&#x27;s" in html
    dto = fails.to_dict()
    dto.clear()
    assert fails.to_dict() != {}


def test_every_field_of_the_dto_is_an_attribute(
    fails: rbacgraph.CheckReport, demo: rbacgraph.Graph, changed: rbacgraph.Graph
) -> None:
    """The classes mirror the core's DTO by hand: a field the core adds must
    show up here (camelCase → snake_case) or this fails."""
    import re

    def covered(obj: Any, dto: Dict[str, Any]) -> None:
        for key in dto:
            name = re.sub("([A-Z])", r"_\1", key).lower()
            assert hasattr(obj, name), f"{type(obj).__name__} lacks `{name}` ({key})"

    for report in (fails, demo.check(POLICIES, against=changed)):
        covered(report, report.to_dict())
        covered(report.summary, report.summary.to_dict())
        for r in report:
            covered(r, r.to_dict())
            for v in r.violations + (r.resolved or ()):
                covered(v, v.to_dict())
                for g in v.grants:
                    covered(g, g.to_dict())
                    for rule in g.rules:
                        covered(rule, rule.to_dict())
                if v.fix is not None:
                    covered(v.fix, v.fix.to_dict())

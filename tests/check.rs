//! `check --policy`: each assertion kind passing and failing on small
//! fixtures, globs, `expect: yes` and `no`, a `paths` assertion that fails
//! only through a multi-hop path, one policy error per field, warnings for
//! assertions that cannot match, `--against`, the JSON contract and exit
//! codes in every format, SARIF against the published schema, the committed
//! JSON Schema of the policy (and the examples against it), and the demo
//! policies. The JUnit output is validated against Jenkins' XSD by the
//! Python tests (bindings/python/tests/test_check.py), where an XSD
//! validator is at hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rbacgraph::query::check::{AssertionKind, CheckReport, PolicySet, policy_schema};
use rbacgraph::{Error, RbacGraph};
use serde_json::Value;

const DEMO: &str = "examples/clusters/demo";

/// A small cluster: a platform group and prod's service accounts read prod
/// secrets, so does user mallory; builder in app-1 may create pods in
/// kube-system, where a service account is cluster-admin; everyone
/// authenticated may list secrets in `shared`.
const CLUSTER: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Namespace
metadata: {name: app-1}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: prod}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: app-1}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: idle, namespace: app-1}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: admin, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: Group, name: platform}
- {kind: ServiceAccount, name: api, namespace: prod}
- {kind: User, name: mallory}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-maker}
rules: [{apiGroups: [''], resources: [pods], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-maker}
subjects: [{kind: ServiceAccount, name: builder, namespace: app-1}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything}
subjects: [{kind: ServiceAccount, name: admin, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: everyone-reads, namespace: shared}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: Group, name: 'system:authenticated'}]
";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn graph(text: &str) -> RbacGraph {
    RbacGraph::builder()
        .load_str("cluster.yaml", text)
        .build()
        .unwrap()
}

/// A policy document with these assertions (YAML flow or block list items).
fn policy(assertions: &str) -> String {
    format!(
        "apiVersion: rbacgraph/v1\nkind: Policy\nmetadata: {{name: test}}\nassertions:\n{assertions}"
    )
}

fn check(cluster: &str, assertions: &str) -> CheckReport {
    let set = PolicySet::from_yaml("policy.yaml", &policy(assertions)).unwrap();
    graph(cluster).check(&set).unwrap()
}

/// The one result of a one-assertion policy.
fn one(assertions: &str) -> rbacgraph::query::check::AssertionResult {
    let mut report = check(CLUSTER, assertions);
    assert_eq!(report.results.len(), 1);
    report.results.remove(0)
}

fn keys(r: &rbacgraph::query::check::AssertionResult) -> Vec<&str> {
    r.violations.iter().map(|v| v.key.as_str()).collect()
}

#[test]
fn who_can_allow_only_passes_when_every_subject_matches_an_entry() {
    let r = one("
- name: prod secrets
  whoCan: {verb: get, resource: secrets, namespace: prod}
  allowOnly:
  - {kind: Group, name: platform}
  - {kind: ServiceAccount, namespace: prod, name: '*'}
  - {kind: ServiceAccount, namespace: kube-system, name: admin}
  - {kind: User, name: mallory}
");
    assert!(r.passed, "{r:#?}");
    assert_eq!(r.kind, AssertionKind::WhoCan);
    assert!(r.violations.is_empty());
}

#[test]
fn who_can_allow_only_fails_for_each_subject_no_entry_matches_with_its_chain() {
    let r = one("
- name: prod secrets
  whoCan: {verb: get, resource: secrets, namespace: prod}
  allowOnly: [{kind: Group, name: platform}, {kind: ServiceAccount, namespace: 'pr*'}]
");
    assert!(!r.passed);
    // kube-system/admin (everything, cluster-wide) and mallory; system:masters never counts.
    assert_eq!(
        keys(&r),
        ["ServiceAccount kube-system/admin", "User mallory"]
    );
    let mallory = &r.violations[1];
    let subject = mallory.subject.as_ref().unwrap();
    assert_eq!(
        (subject.kind.as_str(), subject.name.as_str()),
        ("User", "mallory")
    );
    let grant = &mallory.grants[0];
    assert_eq!(grant.binding.name, "readers");
    assert_eq!(grant.role.name, "secret-reader");
    assert_eq!(grant.rules[0].index, 0);
    assert_eq!(grant.rules[0].rule.resources, ["secrets"]);
    let source = grant.binding.source.as_ref().unwrap();
    assert_eq!(&*source.file, "cluster.yaml");
    assert!(source.line.is_some());
}

#[test]
fn globs_match_names_namespaces_and_service_account_user_names() {
    let allowed = |entry: &str| {
        one(&format!(
            "
- name: g
  whoCan: {{verb: create, resource: pods, namespace: kube-system}}
  allowOnly: [{entry}, {{kind: ServiceAccount, namespace: kube-system, name: admin}}]
"
        ))
        .passed
    };
    assert!(allowed("{kind: ServiceAccount, namespace: 'app-*'}"));
    assert!(allowed(
        "{kind: ServiceAccount, namespace: 'app-?', name: 'b*'}"
    ));
    assert!(allowed("{namespace: 'app-[0-9]'}"));
    assert!(allowed("{name: 'system:serviceaccount:app-1:*'}"));
    assert!(allowed("{name: '{builder,deployer}'}"));
    assert!(!allowed("{kind: User, name: 'builder'}"));
    assert!(!allowed("{kind: ServiceAccount, namespace: 'app-2*'}"));
}

#[test]
fn an_empty_allow_list_allows_nobody_and_max_subjects_counts() {
    let r = one("
- name: nobody lists shared secrets
  whoCan: {verb: list, resource: secrets, namespace: shared}
  allowOnly: []
");
    assert_eq!(
        keys(&r),
        [
            "ServiceAccount kube-system/admin",
            "Group system:authenticated"
        ]
    );
    let r = one("
- name: at most one
  whoCan: {verb: list, resource: secrets, namespace: shared}
  maxSubjects: 1
");
    assert_eq!(keys(&r), ["maxSubjects"]);
    assert!(
        r.violations[0]
            .message
            .contains("2 subject(s) may, at most 1")
    );
    let r = one("
- name: at most two
  whoCan: {verb: list, resource: secrets, namespace: shared}
  maxSubjects: 2
");
    assert!(r.passed);
}

#[test]
fn expand_judges_concrete_principals_instead_of_bound_groups() {
    let assertion = |expand: bool| {
        one(&format!(
            "
- name: shared secrets
  whoCan: {{verb: list, resource: secrets, namespace: shared}}
  allowOnly: [{{kind: ServiceAccount}}, {{kind: User}}]
  expand: {expand}
"
        ))
    };
    // Bound: Group system:authenticated is no service account or user.
    let bound = assertion(false);
    assert_eq!(keys(&bound), ["Group system:authenticated"]);
    // Expanded: every known principal is a service account or a user.
    let expanded = assertion(true);
    assert!(expanded.passed, "{expanded:#?}");
    assert!(expanded.message.contains("principal(s)"));
    // And a principal outside the list carries the group it is granted through.
    let r = one("
- name: shared secrets, service accounts only
  whoCan: {verb: list, resource: secrets, namespace: shared}
  allowOnly: [{kind: ServiceAccount}]
  expand: true
");
    assert_eq!(keys(&r), ["User mallory"]);
    let via = r.violations[0].grants[0].via.as_ref().unwrap();
    assert_eq!(via.name, "system:authenticated");
}

#[test]
fn can_i_expect_yes_and_no() {
    let ask = |user: &str, verb: &str, ns: &str, expect: &str| {
        one(&format!(
            "
- name: q
  canI: {{user: '{user}', verb: {verb}, resource: secrets, namespace: {ns}}}
  expect: {expect}
"
        ))
    };
    assert!(ask("mallory", "get", "prod", "'yes'").passed);
    assert!(ask("mallory", "delete", "prod", "'no'").passed);
    // YAML's booleans read as yes and no.
    assert!(ask("mallory", "get", "prod", "true").passed);
    assert!(ask("mallory", "delete", "prod", "false").passed);
    let allowed = ask("mallory", "get", "prod", "'no'");
    assert!(!allowed.passed);
    let v = &allowed.violations[0];
    assert_eq!(v.key, "yes");
    assert_eq!(v.message, "expected no, got yes");
    assert_eq!(v.subject.as_ref().unwrap().name, "mallory");
    assert!(!v.reasons.is_empty());
    let denied = ask("mallory", "delete", "prod", "'yes'");
    let v = &denied.violations[0];
    assert_eq!(v.key, "no");
    assert!(
        v.near_misses.iter().any(|m| m.binding.name == "readers"),
        "{v:#?}"
    );
    // Groups given are added to the implicit ones.
    let r = one("
- name: platform reads
  canI: {user: carol, groups: [platform], verb: get, resource: secrets, namespace: prod}
  expect: 'yes'
");
    assert!(r.passed);
    // A service account's user name, a name, a subresource and a URL.
    let report = check(
        CLUSTER,
        "
- name: builder may not exec in prod
  canI: {user: 'system:serviceaccount:app-1:builder', verb: create, resource: pods, subresource: exec, name: web-0, namespace: prod}
  expect: 'no'
- name: nobody reads /metrics
  canI: {user: mallory, verb: get, nonResourceURL: /metrics}
  expect: 'no'
",
    );
    assert!(report.results.iter().all(|r| r.passed), "{report:#?}");
}

#[test]
fn a_paths_assertion_fails_through_a_multi_hop_path_only() {
    // builder cannot do everything itself …
    let direct = one("
- name: builder is no admin
  canI: {user: 'system:serviceaccount:app-1:builder', verb: delete, resource: nodes}
  expect: 'no'
");
    assert!(direct.passed);
    // … but a pod in kube-system runs as the admin service account.
    let r = one("
- name: no app namespace becomes cluster-admin
  paths: {from: {kind: ServiceAccount, namespace: 'app-*'}, to: cluster-admin}
  expect: none
");
    assert!(!r.passed);
    assert_eq!(keys(&r), ["system:serviceaccount:app-1:builder"]);
    let v = &r.violations[0];
    assert!(v.steps.len() >= 2, "{v:#?}");
    assert_eq!(v.source.as_ref().unwrap().name, "builder");
    assert_eq!(v.steps.last().unwrap().to.kind, "ClusterAdmin");
    // The binding that starts it is the first cause (where SARIF puts it).
    assert_eq!(v.causes()[0].name, "builder");
    assert!(
        r.message.starts_with("1 of 2 principal(s)"),
        "{}",
        r.message
    );
    // Limited to one step, no path.
    let short = one("
- name: not in one step
  paths: {from: {kind: ServiceAccount, namespace: 'app-*'}, maxDepth: 1}
");
    assert!(short.passed);
    // Another target: a principal.
    let to_admin = one("
- name: nobody becomes the admin service account
  paths: {from: {kind: User}, to: 'system:serviceaccount:kube-system:admin'}
");
    assert!(to_admin.passed, "{to_admin:#?}");
}

#[test]
fn a_pattern_that_selects_nothing_is_a_warning() {
    let report = check(
        CLUSTER,
        "
- name: typo in the namespace
  paths: {from: {kind: ServiceAccount, namespace: 'ap-*'}}
- name: typo in the group
  whoCan: {verb: get, resource: secrets, namespace: prdo}
  allowOnly: [{kind: Group, name: platfrom}]
",
    );
    let fields: Vec<&str> = report
        .warnings
        .iter()
        .map(|w| w.field.as_deref().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "assertions[0].paths.from",
            "assertions[1].whoCan.namespace",
            "assertions[1].allowOnly[0]"
        ]
    );
    assert!(report.warnings[0].message.contains("selects no principal"));
    assert!(report.results[0].passed);
}

#[test]
fn an_audit_assertion_gates_on_controls_and_severity() {
    let r = one("
- name: no secrets for everyone
  audit: {control: 'CIS-5.1.2', severity: high}
");
    assert!(!r.passed);
    let fix = r.violations[0].fix.as_ref().unwrap();
    assert!(fix.controls.iter().any(|c| c == "CIS-5.1.2"));
    assert!(r.violations.iter().any(|v| {
        v.fix
            .as_ref()
            .unwrap()
            .objects
            .iter()
            .any(|o| o.name == "everyone-reads")
    }));
    let r = one("
- name: no system:masters bindings
  audit: {control: 'CIS-5.1.7', severity: low}
  expect: none
");
    assert!(r.passed, "{r:#?}");
}

/// Each problem of a policy is an error naming the field.
#[test]
fn a_policy_error_names_its_field() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "- {name: a, whoCan: {verb: get, resorce: secrets}, allowOnly: []}",
            "assertions[0].whoCan.resorce",
            "unknown field `resorce`",
        ),
        (
            "- {name: a, whoCan: {verb: get, resource: secrets}, allowOnly: [{kind: Grop}]}",
            "assertions[0].allowOnly[0].kind",
            "unknown variant `Grop`",
        ),
        (
            "- {name: a, whoCan: {verb: get, resource: secrets}, allowOnly: [{name: '[abc'}]}",
            "assertions[0].allowOnly[0].name",
            "bad glob",
        ),
        (
            "- {name: a, whoCan: {verb: get, resource: secrets}, allowOnly: [{kind: Group, namespace: x}]}",
            "assertions[0].allowOnly[0].namespace",
            "only service accounts",
        ),
        (
            "- {name: a, whoCan: {verb: get, resource: secrets}}",
            "assertions[0]",
            "needs `allowOnly`",
        ),
        (
            "- {name: a, whoCan: {verb: get, resource: secrets}, canI: {user: u, verb: get, resource: pods}, allowOnly: []}",
            "assertions[0]",
            "has whoCan and canI",
        ),
        ("- {name: a, expect: none}", "assertions[0]", "needs one of"),
        (
            "- {name: a, canI: {user: u, verb: get, resource: pods}}",
            "assertions[0].expect",
            "needs `expect",
        ),
        (
            "- {name: a, canI: {user: u, verb: get, resource: pods}, expect: maybe}",
            "assertions[0].expect",
            "unknown value `maybe`",
        ),
        (
            "- {name: a, paths: {from: {}}, expect: 'yes'}",
            "assertions[0].expect",
            "expects `none`",
        ),
        (
            "- {name: a, paths: {from: {}}, allowOnly: []}",
            "assertions[0].allowOnly",
            "is for `whoCan`",
        ),
        (
            "- {name: a, paths: {from: {}, to: 'node:'}}",
            "assertions[0].paths.to",
            "needs a node name",
        ),
        (
            "- {name: a, audit: {control: 'CIS-9.*'}}",
            "assertions[0].audit.control",
            "matches no audit control",
        ),
        (
            "- {name: a, audit: {severity: urgent}}",
            "assertions[0].audit.severity",
            "unknown severity",
        ),
        (
            "- {name: a, canI: {user: u, verb: get, resource: pods/exec}, expect: 'no'}",
            "assertions[0].canI.resource",
            "not TYPE[.GROUP]",
        ),
        (
            "- {name: a, canI: {user: u, verb: get, nonResourceURL: /x, namespace: ns1}, expect: 'no'}",
            "assertions[0].canI.namespace",
            "a non-resource URL has none",
        ),
        (
            "- {name: a, canI: {user: u, verb: get}, expect: 'no'}",
            "assertions[0].canI.resource",
            "needs `resource` or `nonResourceURL`",
        ),
        (
            "- {name: a, canI: {user: u, verb: get, resource: pods, namespace: on}, expect: 'no'}",
            "assertions[0].canI.namespace",
            "quote it",
        ),
        (
            "- {name: a, whoCan: {verb: get, resource: secrets}, maxSubjects: -1}",
            "assertions[0].maxSubjects",
            "invalid value",
        ),
        (
            "- {name: a, audit: {}}\n- {name: a, audit: {}}",
            "assertions[1].name",
            "names an earlier assertion",
        ),
    ];
    for (assertions, field, message) in cases {
        let text = policy(&format!("{assertions}\n"));
        let Err(Error::Policy(problems)) = PolicySet::from_yaml("p.yaml", &text) else {
            panic!("no error for {assertions}");
        };
        assert!(
            problems.iter().any(|p| p.field.as_deref() == Some(field)
                && p.message.contains(message)
                && &*p.source.file == "p.yaml"),
            "{assertions}: {problems:#?}"
        );
    }
    // The document's own fields.
    for (text, field, message) in [
        (
            "apiVersion: rbacgraph/v2\nkind: Policy\nmetadata: {name: p}\nassertions: [{name: a, audit: {}}]",
            "apiVersion",
            "expected `rbacgraph/v1`",
        ),
        (
            "apiVersion: rbacgraph/v1\nkind: Polcy\nmetadata: {name: p}\nassertions: []",
            "kind",
            "expected `kind: Policy`",
        ),
        (
            "apiVersion: rbacgraph/v1\nkind: Policy\nmetadata: {name: p}\nassertions: []",
            "assertions",
            "is empty",
        ),
        (
            "apiVersion: rbacgraph/v1\nkind: Policy\nmetadata: {name: p, nmae: q}\nassertions: [{name: a, audit: {}}]",
            "metadata.nmae",
            "unknown field `nmae`",
        ),
    ] {
        let Err(Error::Policy(problems)) = PolicySet::from_yaml("p.yaml", text) else {
            panic!("no error for {text}");
        };
        assert!(
            problems
                .iter()
                .any(|p| p.field.as_deref() == Some(field) && p.message.contains(message)),
            "{text}: {problems:#?}"
        );
    }
    // Not YAML, and nothing at all.
    assert!(matches!(
        PolicySet::from_yaml("p.yaml", "a: [b"),
        Err(Error::Policy(_))
    ));
    assert!(matches!(
        PolicySet::from_yaml("p.yaml", "# nothing\n"),
        Err(Error::Policy(_))
    ));
    // A misspelt field does not hide the other assertions' problems.
    let text = policy(
        "- {name: a, whoCan: {verb: get, resorce: secrets}, allowOnly: []}\n- {name: b, canI: {user: u, verb: get, resource: pods}, expect: maybe}\n- {name: c, audit: {}, extra: 1}\n",
    );
    let Err(Error::Policy(problems)) = PolicySet::from_yaml("p.yaml", &text) else {
        panic!();
    };
    let fields: Vec<&str> = problems
        .iter()
        .map(|p| p.field.as_deref().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "assertions[0].whoCan.resorce",
            "assertions[1].expect",
            "assertions[2].extra"
        ]
    );
    // An unknown resource is found against the cluster's discovery.
    let set = PolicySet::from_yaml(
        "p.yaml",
        &policy("- {name: a, whoCan: {verb: get, resource: secretz}, allowOnly: []}\n"),
    )
    .unwrap();
    let Err(Error::Policy(problems)) = graph(CLUSTER).check(&set) else {
        panic!("an unknown resource passed");
    };
    assert_eq!(
        problems[0].field.as_deref(),
        Some("assertions[0].whoCan.resource")
    );
    assert!(problems[0].message.contains("secretz"), "{problems:#?}");
    // Every problem of a document is reported at once, with the document index.
    let text = format!(
        "{}\n---\n{}",
        policy(
            "- {name: a, audit: {severity: urgent}}\n- {name: b, whoCan: {verb: get, resource: x}}\n"
        ),
        policy("- {name: c, paths: {from: {kind: Robot}}}\n")
    );
    let Err(Error::Policy(problems)) = PolicySet::from_yaml("p.yaml", &text) else {
        panic!();
    };
    let located: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.source.document, p.field.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        located,
        [
            (0, "assertions[0].audit.severity"),
            (0, "assertions[1]"),
            (1, "assertions[0].paths.from.kind")
        ]
    );
}

// ---------------------------------------------------------------- the CLI

fn rbacgraph() -> Command {
    let mut cmd = Command::cargo_bin("rbacgraph").unwrap();
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = rbacgraph().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A scratch directory under target/.
fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/check-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_json_contract_and_the_exit_code_in_every_format() {
    let fails = "examples/policies/demo-fails.yaml";
    let passes = "examples/policies/demo-passes.yaml";
    let (code, out, err) = run(&["-f", DEMO, "check", "--policy", fails, "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["apiVersion"], "rbacgraph/v1");
    assert_eq!(doc["kind"], "CheckReport");
    let names: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "only the shop's people and Argo CD read shop secrets",
            "the CI deployer cannot create pods in kube-system",
            "no CI service account becomes cluster-admin",
            "the cache warmer can write its ConfigMaps",
            "no critical CIS 5.1 fix is open"
        ]
    );
    for r in doc["results"].as_array().unwrap() {
        assert_eq!(r["passed"], false, "{r}");
        assert!(!r["violations"].as_array().unwrap().is_empty());
    }
    // whoCan: the three planted mistakes, each with the subject.
    let subjects: Vec<String> = doc["results"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = &v["subject"];
            match s["namespace"].as_str() {
                Some(ns) => format!(
                    "{} {ns}/{}",
                    s["kind"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                ),
                None => format!(
                    "{} {}",
                    s["kind"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                ),
            }
        })
        .collect();
    assert_eq!(
        subjects,
        [
            "ServiceAccount ci/deployer",
            "Group system:authenticated",
            "ServiceAccount shop/default"
        ]
    );
    // paths: the source and the steps as `paths -o json` has them.
    let v = &doc["results"][2]["violations"][0];
    assert_eq!(v["source"]["kind"], "ServiceAccount");
    assert_eq!(v["source"]["name"], "deployer");
    let (_, paths_out, _) = run(&[
        "-f",
        DEMO,
        "paths",
        "--as",
        "system:serviceaccount:ci:deployer",
        "-o",
        "json",
    ]);
    let paths: Value = serde_json::from_str(&paths_out).unwrap();
    assert_eq!(v["steps"], paths["paths"][0]["steps"]);
    // Exit codes, every format.
    for format in ["table", "json", "yaml", "junit", "sarif"] {
        let (code, out, err) = run(&["-f", DEMO, "check", "--policy", fails, "-o", format]);
        assert_eq!(code, 1, "{format}: {err}");
        assert!(!out.is_empty());
        let (code, _, err) = run(&["-f", DEMO, "check", "--policy", passes, "-o", format]);
        assert_eq!(code, 0, "{format}: {err}");
    }
    // Both files, and the directory: policy order is file order.
    let (code, out, _) = run(&[
        "-f",
        DEMO,
        "check",
        "--policy",
        "examples/policies",
        "-o",
        "json",
    ]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["assertions"], 11);
    assert_eq!(doc["results"][0]["policy"], "demo-intent");
    assert_eq!(doc["results"][5]["policy"], "demo-baseline");
}

#[test]
fn a_bad_policy_exits_2_naming_file_document_and_field_in_every_format() {
    let dir = scratch("bad");
    let good = write(&dir, "good.yaml", &policy("- {name: a, audit: {}}\n"));
    let bad = write(
        &dir,
        "bad.yaml",
        &format!(
            "{}---\n{}",
            policy("- {name: a, audit: {}}\n"),
            policy("- {name: b, whoCan: {verb: get, resorce: secrets}, allowOnly: []}\n")
        ),
    );
    for format in ["table", "json", "junit", "sarif"] {
        let (code, out, err) = run(&[
            "-f", DEMO, "check", "--policy", &good, "--policy", &bad, "-o", format,
        ]);
        assert_eq!(code, 2, "{format}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains("bad.yaml"), "{err}");
        assert!(err.contains("(document 1)"), "{err}");
        assert!(
            err.contains("field `assertions[0].whoCan.resorce`"),
            "{err}"
        );
        assert!(err.contains("resorce"), "{err}");
    }
    // An unknown resource is found once the cluster is loaded.
    let unknown = write(
        &dir,
        "unknown.yaml",
        &policy("- {name: a, whoCan: {verb: get, resource: secretz}, allowOnly: []}\n"),
    );
    let (code, _, err) = run(&["-f", DEMO, "check", "--policy", &unknown]);
    assert_eq!(code, 2);
    assert!(err.contains("assertions[0].whoCan.resource"), "{err}");
    assert!(
        err.contains("did you mean") || err.contains("secrets"),
        "{err}"
    );
    // No --policy is a usage error.
    let (code, _, _) = run(&["-f", DEMO, "check"]);
    assert_eq!(code, 2);
}

#[test]
fn against_reports_the_violations_a_change_introduces() {
    let dir = scratch("against");
    let current = dir.join("current");
    let changed = dir.join("changed");
    std::fs::create_dir_all(&current).unwrap();
    std::fs::create_dir_all(&changed).unwrap();
    write(&current, "cluster.yaml", CLUSTER);
    write(
        &changed,
        "cluster.yaml",
        &format!(
            "{CLUSTER}---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: contractor, namespace: prod}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}}
subjects: [{{kind: User, name: trent}}]
"
        ),
    );
    let policy_file = write(
        &dir,
        "policy.yaml",
        &policy(
            "
- name: prod secrets
  whoCan: {verb: get, resource: secrets, namespace: prod}
  allowOnly: [{kind: Group, name: platform}, {kind: ServiceAccount, namespace: prod}, {kind: ServiceAccount, namespace: kube-system}]
- name: nothing from app namespaces
  paths: {from: {namespace: 'app-*'}}
- name: no cluster-wide secret readers
  audit: {control: 'CIS-5.1.2', severity: high}
",
        ),
    );
    let current = current.display().to_string();
    let changed = changed.display().to_string();
    let (code, out, err) = run(&[
        "-f",
        &current,
        "check",
        "--policy",
        &policy_file,
        "--against",
        &changed,
        "-o",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["introduced"], 1);
    assert_eq!(doc["summary"]["resolved"], 0);
    let marks: Vec<(String, bool)> = doc["results"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["key"].as_str().unwrap().to_string(),
                v["introduced"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        marks,
        [
            ("User mallory".to_string(), false),
            ("User trent".to_string(), true)
        ]
    );
    // The path violation was there before: it does not fail the change.
    assert_eq!(doc["results"][1]["violations"][0]["introduced"], false);
    // Nor do the audit's fixes that were there before, although the two
    // snapshots are read from two directories.
    let audit = doc["results"][2]["violations"].as_array().unwrap();
    assert!(!audit.is_empty());
    assert!(audit.iter().all(|v| v["introduced"] == false), "{audit:#?}");
    // The same change backwards removes trent and introduces nothing: exit 0,
    // although violations remain.
    let (code, out, err) = run(&[
        "-f",
        &changed,
        "check",
        "--policy",
        &policy_file,
        "--against",
        &current,
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["introduced"], 0);
    assert_eq!(doc["summary"]["resolved"], 1);
    assert_eq!(doc["results"][0]["resolved"][0]["key"], "User trent");
    // The table says which is new; SARIF has the baseline states.
    let (_, table, _) = run(&[
        "-f",
        &current,
        "check",
        "--policy",
        &policy_file,
        "--against",
        &changed,
    ]);
    assert!(table.contains("✗ new: User trent may"), "{table}");
    assert!(
        table.contains("the change introduces 1 and removes 0"),
        "{table}"
    );
    let (_, sarif, _) = run(&[
        "-f",
        &current,
        "check",
        "--policy",
        &policy_file,
        "--against",
        &changed,
        "-o",
        "sarif",
    ]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(&states[..3], ["unchanged", "new", "unchanged"]);
    assert!(states[3..].iter().all(|s| *s == "unchanged"), "{states:?}");
}

#[test]
fn sarif_locates_each_violation_at_its_binding_and_is_valid() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let (code, out, err) = run(&[
        "-f",
        DEMO,
        "check",
        "--policy",
        "examples/policies/demo-fails.yaml",
        "-o",
        "sarif",
    ]);
    assert_eq!(code, 1, "{err}");
    let log: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run0 = &log["runs"][0];
    assert_eq!(run0["tool"]["driver"]["rules"].as_array().unwrap().len(), 5);
    let first = &run0["results"][0];
    assert_eq!(
        first["ruleId"],
        "demo-intent/only the shop's people and Argo CD read shop secrets"
    );
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "examples/clusters/demo/40-ci.yaml"
    );
    assert!(location["region"]["startLine"].as_u64().unwrap() > 1);
    assert_eq!(
        first["locations"][0]["message"]["text"],
        "ClusterRoleBinding ci-deployer"
    );
}

#[test]
fn the_committed_json_schema_is_the_generated_one_and_the_examples_follow_it() {
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/policy.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        committed,
        policy_schema(),
        "schemas/policy.schema.json is stale: run `rbacgraph schema policy > schemas/policy.schema.json`"
    );
    let (code, out, _) = run(&["schema", "policy"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), committed);
    let validator = jsonschema::draft202012::new(&committed).unwrap();
    let mut validated = 0;
    for entry in std::fs::read_dir(root().join("examples/policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../schemas/policy.schema.json"),
            "{}",
            path.display()
        );
        validated += 1;
    }
    assert!(validated >= 2);
    // The benchmark's policy reads too.
    let text = std::fs::read_to_string(root().join("benches/policies/xl.yaml")).unwrap();
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    assert!(validator.is_valid(&doc));
    PolicySet::from_yaml("xl.yaml", &text).unwrap();
    // The schema catches what the reader catches: a misspelt field, two
    // kinds in one assertion, a wrong kind of subject.
    for bad in [
        "- {name: a, whoCan: {verb: get, resorce: secrets}, allowOnly: []}",
        "- {name: a, audit: {}, paths: {from: {}}}",
        "- {name: a, paths: {from: {kind: Robot}}}",
        "- {name: a, canI: {user: u, verb: get, resource: pods}, expect: maybe}",
    ] {
        let doc: Value = serde_saphyr::from_str(&policy(&format!("{bad}\n"))).unwrap();
        assert!(!validator.is_valid(&doc), "{bad}");
    }
}

#[test]
fn policies_read_from_json_and_several_documents() {
    let json = serde_json::json!({
        "apiVersion": "rbacgraph/v1",
        "kind": "Policy",
        "metadata": {"name": "j"},
        "assertions": [{"name": "a", "canI": {"user": "mallory", "verb": "get", "resource": "secrets", "namespace": "prod"}, "expect": "yes"}]
    });
    let mut set = PolicySet::from_yaml("p.json", &json.to_string()).unwrap();
    set.add_value("dict", json).unwrap();
    set.add_yaml(
        "two.yaml",
        &format!(
            "{}---\n{}",
            policy("- {name: first, audit: {}}\n"),
            policy("- {name: second, audit: {}}\n")
        ),
    )
    .unwrap();
    assert_eq!(set.policies().len(), 4);
    let report = graph(CLUSTER).check(&set).unwrap();
    assert_eq!(report.summary.assertions, 4);
    assert!(report.results[0].passed && report.results[1].passed);
    assert_eq!(report.results[3].source.document, 1);
}

#[test]
fn hostile_policies_are_located_errors() {
    // An alias bomb: 10^9 elements once expanded.
    let mut bomb = String::from(
        "apiVersion: rbacgraph/v1\nkind: Policy\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        ));
    }
    let deep = format!("{}x{}", "[".repeat(10_000), "]".repeat(10_000));
    for (text, part) in [
        (bomb.as_str(), "alias"),
        (deep.as_str(), "not YAML"),
        ("\u{0}\u{1}binary", "not YAML"),
    ] {
        let Err(Error::Policy(problems)) = PolicySet::from_yaml("evil.yaml", text) else {
            panic!("accepted {:.40}", text);
        };
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains(part) && &*p.source.file == "evil.yaml"),
            "{problems:#?}"
        );
    }
}

//! Granted versus used from audit logs (`RbacGraph::usage`, `rbacgraph usage`):
//! the audit2rbac demo log (`tests/fixtures/real-world/audit2rbac/`, whose
//! `EXPECTED.md` states the Role audit2rbac generates for alice) and scenario
//! logs written for these tests (`tests/fixtures/usage/`: a service account,
//! impersonation, a non-resource URL, named requests, a list with a
//! `metadata.name` field selector, a create whose `objectRef` names the new
//! object, stages, a duplicate, a bad line, and a gzip log).
//!
//! Every generated set of objects is checked for validity: a graph of only
//! those objects allows every request they were generated from, and denies
//! the neighbours the log did not need (other verbs, resources, names and
//! namespaces).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rbacgraph::auditlog::{AuditLog, LogDecision};
use rbacgraph::query::usage::{PrincipalUsage, UsageOptions, UsageReport};
use rbacgraph::{Identity, RbacGraph, Request};
use serde_json::Value;

const A2R_LOG: &str = "tests/fixtures/real-world/audit2rbac/testdata/demo.log";
const A2R_EXPECTED: &str = "tests/fixtures/real-world/audit2rbac/EXPECTED.md";
const BOOTSTRAP: &str = "tests/fixtures/real-world/kubernetes-bootstrap-policy";
const CLUSTER: &str = "tests/fixtures/usage/cluster.yaml";
const SCENARIO: &str = "tests/fixtures/usage/scenario.log";
const CAROL_GZ: &str = "tests/fixtures/usage/carol.log.gz";
const RUNNER: &str = "system:serviceaccount:ops:runner";

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn log(files: &[&str]) -> AuditLog {
    let mut log = AuditLog::new();
    for f in files {
        log.load_path(&path(f)).unwrap();
    }
    log
}

fn cluster(files: &[&str]) -> RbacGraph {
    let mut b = RbacGraph::builder();
    for f in files {
        b = b.load_path(path(f));
    }
    b.build().unwrap()
}

fn principal<'r>(report: &'r UsageReport, user: &str) -> &'r PrincipalUsage {
    report
        .principals
        .iter()
        .find(|p| p.identity.name == user)
        .unwrap_or_else(|| panic!("no principal {user}"))
}

fn rbacgraph(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("rbacgraph")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A graph of only the generated objects, read back from their YAML (what
/// `kubectl apply` would get).
fn generated_graph(p: &PrincipalUsage) -> RbacGraph {
    let mut text = String::new();
    for m in &p.generated {
        text.push_str(&serde_saphyr::to_string(m).unwrap());
        text.push_str("\n---\n");
    }
    let g = RbacGraph::builder()
        .load_str("generated.yaml", &text)
        .strict(true)
        .build()
        .unwrap();
    assert_eq!(g.bindings().len() * 2, p.generated.len(), "{text}");
    g
}

/// Every request the generated objects were made for is allowed by them alone.
fn assert_valid(p: &PrincipalUsage, include_denied: bool, graph: &RbacGraph) {
    assert!(p.unverified.is_empty(), "{:?}", p.unverified);
    let only = generated_graph(p);
    for o in &p.requests {
        let wanted = o.allowed_in_log > 0 || (include_denied && o.denied_in_log > 0);
        let left_to_groups =
            graph
                .authorize(&p.identity, &o.request)
                .reasons
                .iter()
                .all(|r| match r {
                    rbacgraph::Reason::Rule { subject, .. } => subject.kind == "Group",
                    rbacgraph::Reason::PrivilegedGroup { .. } => true,
                })
                && graph.authorize(&p.identity, &o.request).allowed;
        if wanted && !left_to_groups && !p.superuser {
            assert!(
                only.authorize(&p.identity, &o.request).allowed,
                "{}: generated objects do not allow {}",
                p.identity.name,
                o.request
            );
        }
    }
}

fn allowed(g: &RbacGraph, user: &str, r: &Request) -> bool {
    g.authorize(&Identity::authenticated(user, Vec::<String>::new()), r)
        .allowed
}

// ----- audit2rbac's demo log ---------------------------------------------------------

#[test]
fn audit2rbac_demo_log_is_read_whole() {
    let log = log(&[A2R_LOG]);
    assert_eq!(log.stats.lines, 37);
    assert_eq!(log.stats.counted, 37);
    assert!(log.diagnostics.is_empty());
    // Impersonated by system:admin: the effective user is the impersonated one.
    let first = &log.requests[0];
    assert_eq!(first.identity.name, "bob");
    assert_eq!(first.impersonator.as_ref().unwrap().name, "system:admin");
    assert_eq!(
        first.request,
        Request::resource("list", "", "pods").in_namespace("default")
    );
    assert_eq!(first.decision, LogDecision::Denied);
    let nodes = log
        .requests
        .iter()
        .find(|r| r.identity.name.ends_with("sa1") && r.request.to_string().contains("nodes"))
        .unwrap();
    assert_eq!(nodes.request, Request::resource("list", "", "nodes"));
    assert_eq!(
        nodes.identity.groups,
        [
            "system:serviceaccounts",
            "system:serviceaccounts:ns1",
            "system:authenticated"
        ]
    );
    let url = log
        .requests
        .iter()
        .find(|r| matches!(r.request, Request::NonResource(_)))
        .unwrap();
    assert_eq!(url.request, Request::non_resource("get", "/api"));
    assert_eq!(
        log.window(),
        Some((
            "2017-09-11T19:55:05Z".to_string(),
            "2017-09-11T20:29:04Z".to_string()
        ))
    );
}

#[test]
fn audit2rbac_alice_denied_requests() {
    let graph = cluster(&[BOOTSTRAP]);
    let report = graph.usage(&log(&[A2R_LOG]), &UsageOptions::default());
    let names: Vec<&str> = report
        .principals
        .iter()
        .map(|p| p.identity.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "alice",
            "bob",
            "system:admin",
            "system:serviceaccount:ns1:sa1"
        ]
    );
    let alice = principal(&report, "alice");
    let denied: Vec<String> = alice.denied.iter().map(|d| d.request.to_string()).collect();
    assert_eq!(
        denied,
        [
            "list configmaps in namespace ns1",
            "list pods in namespace ns1",
            "list secrets in namespace ns1"
        ]
    );
    assert!(
        alice
            .denied
            .iter()
            .all(|d| d.denied_in_log == 1 && !d.rbac_allowed)
    );
    // Nothing was allowed, so nothing is generated unless denied requests count.
    assert!(alice.generated.is_empty());
    // The impersonator is a superuser: its `impersonate` requests are derived,
    // nothing is generated for it.
    let admin = principal(&report, "system:admin");
    assert!(admin.superuser);
    assert!(admin.generated.is_empty());
    assert!(admin.requests.iter().all(|r| r.derived));
    assert!(
        admin
            .requests
            .iter()
            .any(|r| r.request == Request::resource("impersonate", "", "users").named("alice"))
    );
    assert!(admin.requests.iter().any(|r| {
        r.request
            == Request::resource("impersonate", "", "serviceaccounts")
                .in_namespace("ns1")
                .named("sa1")
    }));
}

#[test]
fn audit2rbac_alice_matches_the_documented_role() {
    let (code, out, err) = rbacgraph(&[
        "usage",
        "--audit-log",
        A2R_LOG,
        "--user",
        "alice",
        "--include-denied",
        "--name-prefix",
        "audit2rbac",
        "-o",
        "yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  labels:
    rbacgraph/generated: "true"
    rbacgraph/user: alice
  name: audit2rbac:alice
  namespace: ns1
rules:
- apiGroups:
  - ""
  resources:
  - configmaps
  - pods
  - secrets
  verbs:
  - get
  - list
  - watch
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  labels:
    rbacgraph/generated: "true"
    rbacgraph/user: alice
  name: audit2rbac:alice
  namespace: ns1
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: audit2rbac:alice
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: alice
"#
    );
    // The same objects as audit2rbac's README documents, labels aside (ours
    // name rbacgraph, theirs audit2rbac).
    let expected = std::fs::read_to_string(path(A2R_EXPECTED)).unwrap();
    let block = expected
        .split("```yaml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let strip = |mut docs: Vec<Value>| {
        for d in &mut docs {
            d["metadata"].as_object_mut().unwrap().remove("labels");
        }
        docs
    };
    let theirs = strip(serde_saphyr::from_multiple::<Value>(block).unwrap());
    let ours = strip(serde_saphyr::from_multiple::<Value>(&out).unwrap());
    assert_eq!(ours, theirs);
}

#[test]
fn audit2rbac_generated_roles_are_valid_for_everyone() {
    for cluster_files in [&[][..], &[BOOTSTRAP][..]] {
        let graph = cluster(cluster_files);
        for include_denied in [false, true] {
            let opts = UsageOptions {
                include_denied,
                ..UsageOptions::default()
            };
            let report = graph.usage(&log(&[A2R_LOG]), &opts);
            for p in &report.principals {
                assert_valid(p, include_denied, &graph);
            }
        }
    }
    // With the default policy, bob's discovery requests are left to
    // system:discovery (bound to system:authenticated); his one allowed
    // resource request becomes a Role in `default`.
    let graph = cluster(&[BOOTSTRAP]);
    let report = graph.usage(&log(&[A2R_LOG]), &UsageOptions::default());
    let bob = principal(&report, "bob");
    assert_eq!(bob.covered_by_groups, 23, "23 distinct discovery URLs");
    let kinds: Vec<(String, Option<String>)> = bob
        .generated
        .iter()
        .map(|m| (m.kind.clone(), m.metadata.namespace.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Role".to_string(), Some("default".to_string())),
            ("RoleBinding".to_string(), Some("default".to_string()))
        ]
    );
    let only = generated_graph(bob);
    let list = Request::resource("list", "", "pods");
    assert!(allowed(&only, "bob", &list.clone().in_namespace("default")));
    assert!(
        !allowed(&only, "bob", &list.clone().in_namespace("ns1")),
        "the 403 in ns1 was not needed"
    );
    assert!(!allowed(
        &only,
        "bob",
        &Request::resource("list", "", "nodes")
    ));
    assert!(!allowed(
        &only,
        "bob",
        &Request::resource("delete", "", "pods").in_namespace("default")
    ));
    // sa1 listed pods across namespaces (allowed in the end): a ClusterRole.
    let sa1 = principal(&report, "system:serviceaccount:ns1:sa1");
    assert_eq!(sa1.generated[0].kind, "ClusterRole");
    assert_eq!(
        sa1.generated[1].subjects.as_ref().unwrap()[0].kind,
        "ServiceAccount"
    );
}

// ----- scenario logs -------------------------------------------------------------------

fn scenario(opts: &UsageOptions) -> (RbacGraph, UsageReport) {
    let graph = cluster(&[CLUSTER]);
    let report = graph.usage(&log(&[SCENARIO, CAROL_GZ]), opts);
    (graph, report)
}

#[test]
fn scenario_log_is_mapped_to_request_attributes() {
    let log = log(&[SCENARIO]);
    // One event at RequestReceived (the same auditID completes later), one bad line.
    assert_eq!(log.stats.other_stages, 1);
    assert_eq!(log.stats.bad_lines, 1);
    assert_eq!(log.diagnostics[0].source.line, Some(7));
    assert!(log.diagnostics[0].to_string().contains("scenario.log:7"));
    let requests: Vec<String> = log.requests.iter().map(|r| r.request.to_string()).collect();
    assert_eq!(
        requests,
        [
            "list pods at cluster scope",
            "watch pods at cluster scope",
            "get pods/web-0 in namespace team",
            "delete pods/stuck-1 in namespace ops",
            // objectRef names the created ConfigMap; the authorizer saw no name
            "create configmaps in namespace ops",
            "get secrets/db-pass in namespace ops",
            // the metadata.name field selector names the list
            "list secrets/db-pass in namespace ops",
            "get /healthz",
            "get /metrics",
        ]
    );
    assert_eq!(log.requests[8].decision, LogDecision::Denied);
}

#[test]
fn gzip_logs_and_impersonation() {
    let log = log(&[CAROL_GZ]);
    // ResponseStarted is skipped; Panic counts.
    assert_eq!((log.stats.counted, log.stats.other_stages), (4, 1));
    let imp = &log.requests[0];
    assert_eq!(imp.identity.name, RUNNER);
    assert_eq!(imp.impersonator.as_ref().unwrap().name, "carol");
    assert_eq!(
        imp.impersonation_requests(),
        [Request::resource("impersonate", "", "serviceaccounts")
            .in_namespace("ops")
            .named("runner")]
    );
    // A gzip stream cut short is reported, not fatal.
    let bytes = std::fs::read(path(CAROL_GZ)).unwrap();
    let mut cut = AuditLog::new();
    cut.load_bytes("cut.log.gz", &bytes[..bytes.len() / 2]);
    assert!(cut.diagnostics.iter().any(|d| d.message.contains("gzip")));
}

#[test]
fn scenario_used_unused_denied_removable() {
    let (_, report) = scenario(&UsageOptions::default());
    let runner = principal(&report, RUNNER);
    let uses: Vec<(String, usize, usize)> = runner
        .grants
        .iter()
        .map(|g| {
            (
                g.rule.rule.binding.to_string(),
                g.rule.rule.rule_index,
                g.uses,
            )
        })
        .collect();
    assert_eq!(
        uses,
        [
            ("ClusterRoleBinding system:discovery".to_string(), 0, 1),
            ("ClusterRoleBinding runner-pod-janitor".to_string(), 0, 4),
            ("ClusterRoleBinding runner-pod-janitor".to_string(), 1, 0),
            ("RoleBinding batch/runner-leftover".to_string(), 0, 0),
            ("RoleBinding ops/runner-ops-editor".to_string(), 0, 2),
            ("RoleBinding ops/runner-ops-editor".to_string(), 1, 2),
        ]
    );
    let removable: Vec<String> = runner
        .removable
        .iter()
        .map(|r| r.binding.to_string())
        .collect();
    assert_eq!(removable, ["RoleBinding batch/runner-leftover"]);
    let denied: Vec<String> = runner
        .denied
        .iter()
        .map(|d| d.request.to_string())
        .collect();
    assert_eq!(denied, ["get /metrics"]);
    assert_eq!(
        runner.covered_by_groups, 1,
        "/healthz is left to system:discovery"
    );
    // The request carol made as the runner counts for the runner.
    assert!(runner.requests.iter().any(|r| {
        r.request
            == Request::resource("get", "", "configmaps")
                .in_namespace("ops")
                .named("settings")
    }));
    let carol = principal(&report, "carol");
    assert!(carol.requests.iter().any(|r| r.derived));
    let denied: Vec<String> = carol.denied.iter().map(|d| d.request.to_string()).collect();
    assert_eq!(denied, ["create deployments.apps in namespace team"]);
}

#[test]
fn scenario_generated_roles_are_least_privilege() {
    let (graph, report) = scenario(&UsageOptions::default());
    for p in &report.principals {
        assert_valid(p, false, &graph);
    }
    let runner = generated_graph(principal(&report, RUNNER));
    let r = |verb: &str, res: &str, ns: &str, name: &str| {
        Request::resource(verb, "", res)
            .in_namespace(ns)
            .named(name)
    };
    let yes = [
        r("list", "pods", "", ""),
        r("get", "pods", "team", "web-0"),
        r("watch", "pods", "anywhere", ""),
        r("delete", "pods", "ops", "stuck-1"),
        r("create", "configmaps", "ops", ""),
        r("get", "configmaps", "ops", "settings"),
        r("get", "secrets", "ops", "db-pass"),
        r("list", "secrets", "ops", "db-pass"),
        r("watch", "secrets", "ops", "db-pass"),
    ];
    for req in &yes {
        assert!(allowed(&runner, RUNNER, req), "{req}");
    }
    let no = [
        r("delete", "pods", "ops", "other"),
        r("delete", "pods", "team", "stuck-1"),
        r("deletecollection", "pods", "ops", ""),
        r("create", "configmaps", "team", ""),
        r("get", "configmaps", "ops", "other"),
        r("update", "configmaps", "ops", "settings"),
        r("get", "secrets", "ops", "other"),
        r("list", "secrets", "ops", ""),
        r("get", "secrets", "team", "db-pass"),
        r("list", "nodes", "", ""),
        Request::resource("create", "batch", "jobs").in_namespace("batch"),
        Request::non_resource("get", "/metrics"),
        Request::non_resource("get", "/healthz"),
    ];
    for req in &no {
        assert!(!allowed(&runner, RUNNER, req), "{req}");
    }
    let carol = generated_graph(principal(&report, "carol"));
    assert!(allowed(&carol, "carol", &r("list", "pods", "team", "")));
    assert!(allowed(
        &carol,
        "carol",
        &r("get", "services", "team", "web")
    ));
    assert!(allowed(
        &carol,
        "carol",
        &r("impersonate", "serviceaccounts", "ops", "runner")
    ));
    assert!(!allowed(&carol, "carol", &r("delete", "pods", "team", "x")));
    assert!(!allowed(
        &carol,
        "carol",
        &r("get", "services", "team", "other")
    ));
    assert!(!allowed(
        &carol,
        "carol",
        &r("impersonate", "serviceaccounts", "ops", "other")
    ));
    assert!(!allowed(&carol, "carol", &r("list", "pods", "ops", "")));
    assert!(!allowed(
        &carol,
        "carol",
        &Request::resource("create", "apps", "deployments").in_namespace("team")
    ));
}

#[test]
fn include_denied_and_exact_verbs() {
    let opts = UsageOptions {
        include_denied: true,
        expand_verbs: false,
        ..UsageOptions::default()
    };
    let (graph, report) = scenario(&opts);
    for p in &report.principals {
        assert_valid(p, true, &graph);
    }
    let runner = generated_graph(principal(&report, RUNNER));
    // The denied URL now counts, in the ClusterRole.
    assert!(allowed(
        &runner,
        RUNNER,
        &Request::non_resource("get", "/metrics")
    ));
    assert!(!allowed(
        &runner,
        RUNNER,
        &Request::non_resource("get", "/metrics/slis")
    ));
    // Without expansion, list does not bring get or watch.
    assert!(allowed(
        &runner,
        RUNNER,
        &Request::resource("list", "", "pods")
    ));
    assert!(!allowed(
        &runner,
        RUNNER,
        &Request::resource("get", "", "pods")
            .in_namespace("x")
            .named("y")
    ));
    let carol = generated_graph(principal(&report, "carol"));
    assert!(allowed(
        &carol,
        "carol",
        &Request::resource("create", "apps", "deployments").in_namespace("team")
    ));
}

// ----- the command line ------------------------------------------------------------

#[test]
fn cli_table_for_one_service_account() {
    let (code, out, err) = rbacgraph(&[
        "-f",
        CLUSTER,
        "usage",
        "--audit-log",
        SCENARIO,
        "--audit-log",
        CAROL_GZ,
        "--serviceaccount",
        "ops:runner",
    ]);
    assert_eq!(code, 0);
    assert!(
        err.contains("scenario.log:7"),
        "the bad line is reported: {err}"
    );
    assert_eq!(
        out,
        "\
Audit log: 13 request(s) counted of 15 event(s) (2 at other stages, 0 duplicate(s), 1 bad line(s))
window: 2026-02-01T10:00:02Z to 2026-02-01T10:00:14Z

ServiceAccount ops/runner  10 event(s); groups: system:serviceaccounts, system:serviceaccounts:ops, system:authenticated
  4 of 6 granted rule(s) used in the log window:
    ClusterRoleBinding runner-pod-janitor → ClusterRole pod-janitor (cluster-wide): 1 of 2 rule(s) used
          4  rule 0: get, list, watch, delete on pods
          -  rule 1: get, list on nodes
    RoleBinding batch/runner-leftover → Role batch/leftover (in namespace batch): 0 of 1 rule(s) used
          -  rule 0: create, delete on jobs.batch
    RoleBinding ops/runner-ops-editor → Role ops/ops-editor (in namespace ops): 2 of 2 rule(s) used
          2  rule 0: get, create, update on configmaps
          2  rule 1: get, list on secrets
    ClusterRoleBinding system:discovery → ClusterRole system:discovery (cluster-wide; via Group system:authenticated): 1 of 1 rule(s) used
  removable: RoleBinding batch/runner-leftover → Role batch/leftover: none of its 1 rule(s) was used; remove ServiceAccount ops/runner from it
  denied in the log, or not allowed by this RBAC:
    REQUEST       LOG        RBAC
    get /metrics  denied ×1  denied
  1 needed request(s) are allowed through group bindings and left to them
  least privilege for what was used (`-o yaml` prints it ready to apply):
    ClusterRole rbacgraph:runner: get, list, watch on pods
    Role ops/rbacgraph:runner: create on configmaps
    Role ops/rbacgraph:runner: get on configmaps named settings
    Role ops/rbacgraph:runner: delete on pods named stuck-1
    Role ops/rbacgraph:runner: get, list, watch on secrets named db-pass
"
    );
}

#[test]
fn cli_json_yaml_and_exit_codes() {
    let (code, out, _) = rbacgraph(&[
        "-f",
        CLUSTER,
        "-o",
        "json",
        "usage",
        "--audit-log",
        SCENARIO,
        "--user",
        "carol",
        "--audit-log",
        CAROL_GZ,
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["apiVersion"], "rbacgraph/v1");
    assert_eq!(v["kind"], "UsageReport");
    assert_eq!(v["principals"].as_array().unwrap().len(), 1);
    let carol = &v["principals"][0];
    assert_eq!(
        carol["principal"],
        serde_json::json!({"kind": "User", "name": "carol"})
    );
    assert_eq!(carol["generated"][0]["kind"], "Role");
    assert_eq!(
        carol["generated"][0]["rules"][0]["verbs"],
        serde_json::json!(["impersonate"])
    );
    // -o yaml prints only the objects, ready to apply.
    let (_, out, _) = rbacgraph(&[
        "-f",
        CLUSTER,
        "-o",
        "yaml",
        "usage",
        "--audit-log",
        SCENARIO,
        "--audit-log",
        CAROL_GZ,
        "--user",
        "carol",
    ]);
    let docs = serde_saphyr::from_multiple::<Value>(&out).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Role", "Role", "RoleBinding", "RoleBinding"]);
    // Nobody matched: exit 1.
    let (code, out, _) = rbacgraph(&[
        "-f",
        CLUSTER,
        "usage",
        "--audit-log",
        SCENARIO,
        "--user",
        "nobody",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("no principal matched"), "{out}");
    // Errors: exit 2.
    for args in [
        vec!["-f", CLUSTER, "usage"],
        vec!["-f", CLUSTER, "usage", "--audit-log", "does/not/exist.log"],
        vec![
            "-f",
            CLUSTER,
            "usage",
            "--audit-log",
            SCENARIO,
            "--serviceaccount",
            "nocolon",
        ],
        vec!["--strict", "-f", CLUSTER, "usage", "--audit-log", SCENARIO],
        vec![
            "-f",
            CLUSTER,
            "-o",
            "markdown",
            "usage",
            "--audit-log",
            SCENARIO,
        ],
    ] {
        let (code, out, err) = rbacgraph(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
}

#[test]
fn cli_demo_audit_log() {
    let (code, out, err) = rbacgraph(&[
        "-f",
        "examples/clusters/demo",
        "usage",
        "--audit-log",
        "examples/audit/demo-audit.log",
        "--serviceaccount",
        "ci:deployer",
    ]);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "ClusterRoleBinding ci-deployer → ClusterRole ci-deployer (cluster-wide): 2 of 4 rule(s) used",
        "Role payments/rbacgraph:deployer: get, patch, update on deployments.apps named payments-api",
        "Role shop/rbacgraph:deployer: get, patch, update on deployments.apps named storefront",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

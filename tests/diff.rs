//! The effective-permission diff (`RbacGraph::diff`, `rbacgraph diff`) on
//! scenario pairs with exact expected answers: a planted aggregation label,
//! a new RoleBinding to admin, a removed rule, a renamed but equivalent role,
//! a whole `kubectl get -o json` dump against manifests, and a new path to
//! cluster-admin. The scenarios live in `tests/fixtures/diff/`: `base.yaml`
//! is the old snapshot and the new one is `base.yaml` followed by a scenario
//! file, whose objects replace those of the same kind, namespace and name
//! (as `kubectl apply` would).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::path::Path;

use assert_cmd::Command;
use rbacgraph::query::diff::{DiffOptions, ObjectChange, PermissionDiff};
use rbacgraph::{PolicyRule, RbacGraph, SubjectRef};

const DIR: &str = "tests/fixtures/diff";

fn graph(files: &[&str]) -> RbacGraph {
    let mut b = RbacGraph::builder();
    for f in files {
        b = b.load_path(Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR).join(f));
    }
    b.build().unwrap()
}

fn diff(old: &[&str], new: &[&str]) -> PermissionDiff {
    graph(old).diff(&graph(new), &DiffOptions::default())
}

fn scenario(file: &str) -> PermissionDiff {
    diff(&["base.yaml"], &["base.yaml", file])
}

fn inline(yaml: &str) -> RbacGraph {
    RbacGraph::builder()
        .load_str("inline.yaml", yaml)
        .build()
        .unwrap()
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

fn cli_scenario(file: &str, extra: &[&str]) -> (i32, String) {
    let base = format!("{DIR}/base.yaml");
    let new = format!("{DIR}/{file}");
    let mut args = vec!["-f", &base, "diff", "--against", &base, "--against", &new];
    args.extend_from_slice(extra);
    let (code, out, err) = rbacgraph(&args);
    assert!(code == 0 || code == 1, "{file}: exit {code}: {err}");
    (code, out)
}

// ----- the core API ------------------------------------------------------------

#[test]
fn planted_aggregation_label_is_attributed_to_the_aggregated_and_the_contributing_role() {
    let d = scenario("aggregation.yaml");
    assert_eq!(d.principals.len(), 1);
    let devs = &d.principals[0];
    assert_eq!(devs.principal, SubjectRef::group("devs"));
    assert!(devs.removed.is_empty());
    assert_eq!(devs.added.len(), 1);
    let change = &devs.added[0];
    assert_eq!(change.namespace.as_deref(), Some("web"));
    assert_eq!(
        change.rules,
        [
            PolicyRule::resource(["create"], [""], ["pods/exec"]),
            PolicyRule::resource(["get"], [""], ["pods/log"]),
        ]
    );
    assert_eq!(change.causes.len(), 1);
    let cause = &change.causes[0];
    assert_eq!(
        cause.binding.object.to_string(),
        "RoleBinding web/devs-edit"
    );
    assert_eq!(cause.binding.change, ObjectChange::Unchanged);
    assert_eq!(cause.role.object.to_string(), "ClusterRole edit");
    assert_eq!(cause.role.change, ObjectChange::Modified);
    assert_eq!(cause.rules, [0, 1]);
    let chain: Vec<(String, ObjectChange)> = cause
        .aggregated_from
        .iter()
        .map(|o| (o.object.to_string(), o.change))
        .collect();
    assert_eq!(
        chain,
        [("ClusterRole debug-helper".to_string(), ObjectChange::Added)]
    );
    let src = cause.aggregated_from[0].object.source.as_ref().unwrap();
    assert!(src.file.ends_with("aggregation.yaml"), "{src}");
    assert!(!d.has_new_escalation());
    assert!(d.has_changes());
}

#[test]
fn aggregation_reaches_admin_holders_through_edit() {
    // The same label, seen by a holder of admin: admin ⇐ edit ⇐ debug-helper.
    let d = diff(
        &["base.yaml", "admin-binding.yaml"],
        &["base.yaml", "admin-binding.yaml", "aggregation.yaml"],
    );
    let lead = d
        .principals
        .iter()
        .find(|p| p.principal == SubjectRef::user("lead@example.com"))
        .unwrap();
    let cause = &lead.added[0].causes[0];
    assert_eq!(cause.role.object.to_string(), "ClusterRole admin");
    let chain: Vec<String> = cause
        .aggregated_from
        .iter()
        .map(|o| o.object.to_string())
        .collect();
    assert_eq!(chain, ["ClusterRole edit", "ClusterRole debug-helper"]);
}

#[test]
fn new_role_binding_to_admin() {
    let d = scenario("admin-binding.yaml");
    assert_eq!(d.principals.len(), 1);
    let lead = &d.principals[0];
    assert_eq!(lead.principal, SubjectRef::user("lead@example.com"));
    let verbs = [
        "create", "delete", "get", "list", "patch", "update", "watch",
    ];
    assert_eq!(
        lead.added[0].rules,
        [
            PolicyRule::resource(verbs, [""], ["configmaps", "pods", "services"]),
            PolicyRule::resource(verbs, ["apps"], ["deployments"]),
            PolicyRule::resource(
                verbs,
                ["rbac.authorization.k8s.io"],
                ["rolebindings", "roles"]
            ),
        ]
    );
    assert_eq!(lead.added[0].causes[0].binding.change, ObjectChange::Added);
    assert!(lead.added[0].causes[0].aggregated_from.is_empty());
}

#[test]
fn removed_rule() {
    let d = scenario("removed-rule.yaml");
    assert_eq!(d.principals.len(), 1);
    let app = &d.principals[0];
    assert_eq!(app.principal, SubjectRef::service_account("web", "app"));
    assert!(app.added.is_empty());
    assert_eq!(
        app.removed[0].rules,
        [PolicyRule::resource(["get"], [""], ["secrets"]).with_names(["app-tls"])]
    );
    let cause = &app.removed[0].causes[0];
    assert_eq!(cause.role.change, ObjectChange::Modified);
    assert!(
        cause
            .role
            .object
            .source
            .as_ref()
            .unwrap()
            .file
            .ends_with("base.yaml")
    );
}

#[test]
fn renamed_equivalent_role_is_no_change() {
    let d = scenario("renamed.yaml");
    assert_eq!(
        d,
        PermissionDiff {
            escalation: d.escalation.clone(),
            ..PermissionDiff::default()
        }
    );
    assert!(!d.has_changes());
}

#[test]
fn whole_dump_against_manifests() {
    // The dump has the same RBAC plus cluster noise (managedFields, status,
    // Namespaces, a Pod): no effective change either way.
    assert!(!diff(&["dump.json"], &["base.yaml"]).has_changes());
    assert!(!diff(&["base.yaml"], &["dump.json"]).has_changes());
    // A manifest applied over the dump.
    let d = diff(&["dump.json"], &["dump.json", "removed-rule.yaml"]);
    assert_eq!(d.principals.len(), 1);
    assert_eq!(
        d.principals[0].principal,
        SubjectRef::service_account("web", "app")
    );
}

#[test]
fn new_path_to_cluster_admin() {
    let d = diff(&["dump.json"], &["dump.json", "escalation.yaml"]);
    assert!(d.has_new_escalation());
    let e = d.escalation.as_ref().unwrap();
    let gained: Vec<String> = e.gained.iter().map(|p| p.source.to_string()).collect();
    assert_eq!(gained, ["ServiceAccount monitoring/prom"]);
    assert!(e.lost.is_empty());
    // And the permission behind it.
    assert_eq!(
        d.principals[0].added[0].rules,
        [PolicyRule::resource(
            ["impersonate"],
            [""],
            ["groups", "users"]
        )]
    );
    // The reverse diff loses it.
    let back = diff(&["dump.json", "escalation.yaml"], &["dump.json"]);
    assert_eq!(back.escalation.unwrap().lost.len(), 1);
}

#[test]
fn covers_semantics_wildcards_and_splits() {
    let role = |rules: &str| {
        inline(&format!(
            "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: r}}
rules: {rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: r}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}
subjects: [{{kind: User, name: jane}}]
"
        ))
    };
    let get = role("[{apiGroups: [''], resources: [pods], verbs: [get, list]}]");
    let star = role("[{apiGroups: [''], resources: [pods], verbs: ['*']}]");
    let split = role(
        "[{apiGroups: [''], resources: [pods], verbs: [list]}, {apiGroups: [''], resources: [pods], verbs: [get]}]",
    );
    let opts = DiffOptions::default();
    // `*` covers get and list: nothing removed, `*` added.
    let d = get.diff(&star, &opts);
    assert!(d.principals[0].removed.is_empty());
    assert_eq!(
        d.principals[0].added[0].rules,
        [PolicyRule::resource(["*"], [""], ["pods"])]
    );
    // Back again: `*` is lost (listing verbs does not cover `*`).
    let d = star.diff(&get, &opts);
    assert!(d.principals[0].added.is_empty());
    assert_eq!(
        d.principals[0].removed[0].rules,
        [PolicyRule::resource(["*"], [""], ["pods"])]
    );
    // A rule split in two is the same rule.
    assert!(!get.diff(&split, &opts).has_changes());
    assert!(!split.diff(&get, &opts).has_changes());
}

#[test]
fn role_bindings_never_grant_cluster_scoped_rules_or_urls() {
    let base = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules:
- {apiGroups: [''], resources: [nodes, nodes/proxy, pods], verbs: [get]}
- {nonResourceURLs: [/metrics], verbs: [get]}
";
    let old = inline(base);
    let new = inline(&format!(
        "{base}---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: nr, namespace: web}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}}
subjects: [{{kind: User, name: jane}}]
"
    ));
    let d = old.diff(&new, &DiffOptions::default());
    // Only `get pods` takes effect in the namespace.
    assert_eq!(
        d.principals[0].added[0].rules,
        [PolicyRule::resource(["get"], [""], ["pods"])]
    );
}

#[test]
fn implicit_group_changes_are_reported_once_under_the_group() {
    let old = inline(
        "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: jane}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: jane}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]
",
    );
    let new = inline(
        "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: jane}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: jane}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [''], resources: [configmaps], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets}
subjects: [{kind: Group, name: 'system:authenticated'}]
",
    );
    let d = old.diff(&new, &DiffOptions::default());
    let who: Vec<String> = d
        .principals
        .iter()
        .map(|p| p.principal.to_string())
        .collect();
    assert_eq!(who, ["Group system:authenticated", "User jane"]);
    let jane = &d.principals[1];
    // jane's own change only; the group's is noted, not repeated.
    assert_eq!(jane.added.len(), 1);
    assert_eq!(
        jane.added[0].rules,
        [PolicyRule::resource(["list"], [""], ["configmaps"])]
    );
    assert_eq!(jane.inherits, [SubjectRef::group("system:authenticated")]);
}

// ----- the command line: exact output ----------------------------------------------

#[test]
fn cli_aggregation_table() {
    let (code, out) = cli_scenario("aggregation.yaml", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "\
1 principal(s) with changed permissions: 1 rule set(s) added, 0 removed; no change in who reaches cluster-admin

Group devs
  + in namespace web: create on pods/exec
  + in namespace web: get on pods/log
      granted by RoleBinding web/devs-edit → ClusterRole edit (modified) ⇐ ClusterRole debug-helper (added) rules 0, 1
        ClusterRole edit at tests/fixtures/diff/base.yaml:25 (document 3)
        ClusterRole debug-helper at tests/fixtures/diff/aggregation.yaml:1 (document 0)
"
    );
}

#[test]
fn cli_admin_binding_table() {
    let (code, out) = cli_scenario("admin-binding.yaml", &["--fail-on-change"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "\
1 principal(s) with changed permissions: 1 rule set(s) added, 0 removed; no change in who reaches cluster-admin

User lead@example.com
  + in namespace web: create, delete, get, list, patch, update, watch on configmaps, pods, services
  + in namespace web: create, delete, get, list, patch, update, watch on deployments.apps
  + in namespace web: create, delete, get, list, patch, update, watch on rolebindings.rbac.authorization.k8s.io, roles.rbac.authorization.k8s.io
      granted by RoleBinding web/lead-admin (added) → ClusterRole admin rules 0, 1, 2, 3
        RoleBinding web/lead-admin at tests/fixtures/diff/admin-binding.yaml:1 (document 0)
"
    );
}

#[test]
fn cli_removed_rule_table() {
    let (code, out) = cli_scenario("removed-rule.yaml", &["--fail-on-escalation"]);
    assert_eq!(code, 0, "a removal is no escalation");
    assert_eq!(
        out,
        "\
1 principal(s) with changed permissions: 0 rule set(s) added, 1 removed; no change in who reaches cluster-admin

ServiceAccount web/app
  - in namespace web: get on secrets named app-tls
      was granted by RoleBinding web/app → Role web/config-reader (modified) rule 1
        Role web/config-reader at tests/fixtures/diff/base.yaml:98 (document 12)
"
    );
}

#[test]
fn cli_renamed_role_is_no_change_even_with_fail_on_change() {
    let (code, out) = cli_scenario(
        "renamed.yaml",
        &["--fail-on-change", "--fail-on-escalation"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "no effective permission changes; no change in who reaches cluster-admin\n"
    );
}

#[test]
fn cli_dump_against_manifests_and_escalation_exit_code() {
    let dump = format!("{DIR}/dump.json");
    let base = format!("{DIR}/base.yaml");
    let esc = format!("{DIR}/escalation.yaml");
    let (code, out, _) = rbacgraph(&["-f", &dump, "diff", "--against", &base, "--fail-on-change"]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "no effective permission changes; no change in who reaches cluster-admin\n"
        )
    );
    let (code, out, _) = rbacgraph(&[
        "-f",
        &dump,
        "diff",
        "--against",
        &dump,
        "--against",
        &esc,
        "--fail-on-escalation",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "\
1 principal(s) with changed permissions: 1 rule set(s) added, 0 removed; 1 principal(s) newly reach cluster-admin, 0 no longer do

ServiceAccount monitoring/prom
  + cluster-wide: impersonate on groups, users
      granted by ClusterRoleBinding prom-metrics → ClusterRole metrics-reader (modified) rule 2
        ClusterRole metrics-reader at tests/fixtures/diff/escalation.yaml:1 (document 0)

Paths to cluster-admin
  + ServiceAccount monitoring/prom in 1 step(s): E04 (impersonate) → cluster-admin
"
    );
    // Without the flags the exit code is 0 whatever changed.
    let (code, _, _) = rbacgraph(&["-f", &dump, "diff", "--against", &dump, "--against", &esc]);
    assert_eq!(code, 0);
}

#[test]
fn cli_markdown_for_a_pull_request() {
    let (code, out) = cli_scenario("aggregation.yaml", &["-o", "markdown"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "\
### RBAC change review (rbacgraph)

1 principal(s) with changed permissions: 1 rule set(s) added, 0 removed; no change in who reaches cluster-admin.

#### Permission changes

| principal | change | scope | permissions | caused by |
|---|---|---|---|---|
| Group devs | added | in namespace web | `create on pods/exec`<br>`get on pods/log` | RoleBinding web/devs-edit → ClusterRole edit (modified) ⇐ ClusterRole debug-helper (added) rules 0, 1 |
"
    );
    let dump = format!("{DIR}/dump.json");
    let esc = format!("{DIR}/escalation.yaml");
    let (_, out, _) = rbacgraph(&[
        "-f",
        &dump,
        "diff",
        "--against",
        &dump,
        "--against",
        &esc,
        "-o",
        "markdown",
    ]);
    assert!(
        out.contains(
            "#### :warning: New paths to cluster-admin\n\n| principal | steps | path |\n|---|---|---|\n\
             | ServiceAccount monitoring/prom | 1 | E04 (impersonate) → cluster-admin |\n"
        ),
        "{out}"
    );
}

#[test]
fn cli_json_document() {
    let (_, out) = cli_scenario("removed-rule.yaml", &["-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["apiVersion"], "rbacgraph/v1");
    assert_eq!(v["kind"], "PermissionDiff");
    assert_eq!(v["summary"]["removed"], 1);
    let removed = &v["principals"][0]["removed"][0];
    assert_eq!(removed["namespace"], "web");
    assert_eq!(
        removed["rules"][0]["resourceNames"],
        serde_json::json!(["app-tls"])
    );
    assert_eq!(removed["causes"][0]["role"]["change"], "modified");
    assert_eq!(removed["causes"][0]["rules"], serde_json::json!([1]));
    assert_eq!(v["escalation"]["gained"], serde_json::json!([]));
}

#[test]
fn cli_errors_and_format_checks() {
    let base = format!("{DIR}/base.yaml");
    // No --against, no -f, markdown elsewhere, dot for diff: all exit 2.
    for args in [
        vec!["-f", base.as_str(), "diff"],
        vec!["diff", "--against", base.as_str()],
        vec!["-f", base.as_str(), "-o", "markdown", "summary"],
        vec![
            "-f",
            base.as_str(),
            "-o",
            "dot",
            "diff",
            "--against",
            base.as_str(),
        ],
    ] {
        let (code, out, err) = rbacgraph(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains("error"), "{args:?}: {err}");
    }
}

#[test]
fn cli_demo_next_snapshot() {
    let (code, out, err) = rbacgraph(&[
        "-f",
        "examples/clusters/demo",
        "diff",
        "--against",
        "examples/clusters/demo-next",
        "--fail-on-escalation",
    ]);
    assert_eq!(code, 1, "{err}");
    for expected in [
        "6 principal(s) with changed permissions: 4 rule set(s) added, 2 removed; 1 principal(s) newly reach cluster-admin, 0 no longer do, 1 reach it in fewer steps",
        "Group support\n  + cluster-wide: get, list on secrets\n",
        "Group system:authenticated\n  - cluster-wide: get, list on secrets\n",
        "ServiceAccount ci/deployer\n  - cluster-wide: get on secrets\n",
        "ServiceAccount ci/cache-warmer\n  + in namespace ci: create, delete, get, list, patch, update on configmaps\n",
        "User alice@example.com\n  + cluster-wide: impersonate on groups, users\n      granted by ClusterRoleBinding alice-view → ClusterRole view (modified) ⇐ ClusterRole oncall-impersonator (added) rule 1\n",
        "granted by RoleBinding payments/payments-lead-admin (added) → ClusterRole admin (modified)",
        // bob's new admin role in payments lets him start a privileged pod
        // there: the node escape of mistake 2 now starts from him too.
        "Paths to cluster-admin\n  + User bob@example.com in 4 step(s): W02 (create a privileged pod) → node *",
        // alice reached cluster-admin through the same node escape; the
        // planted aggregation gives her a one-step way.
        "  + User alice@example.com in 1 step(s) (was 4): E04 (impersonate) → cluster-admin\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    // The renamed storefront Role changes nothing.
    assert!(!out.contains("storefront"), "{out}");
}

#[test]
fn without_paths_escalation_falls_back_to_cluster_admin_equivalence() {
    let old = graph(&["base.yaml"]);
    let new = RbacGraph::builder()
        .load_path(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(DIR)
                .join("base.yaml"),
        )
        .load_str(
            "oncall.yaml",
            "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oncall-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: oncall}]
",
        )
        .build()
        .unwrap();
    let no_paths = DiffOptions {
        escalation_paths: false,
        ..DiffOptions::default()
    };
    let d = old.diff(&new, &no_paths);
    assert!(d.escalation.is_none());
    assert!(d.has_new_escalation());
    let oncall = &d.principals[0];
    assert_eq!(oncall.principal, SubjectRef::user("oncall"));
    assert_eq!(
        oncall.cluster_admin,
        Some(rbacgraph::query::diff::AdminChange::Gained)
    );
    // The impersonation scenario is an escalation only through a path.
    let d = graph(&["base.yaml"]).diff(&graph(&["base.yaml", "escalation.yaml"]), &no_paths);
    assert!(!d.has_new_escalation());
    assert!(scenario("escalation.yaml").has_new_escalation());
}

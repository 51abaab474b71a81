//! Escalation paths: one regression test per peer bug of
//! `peers.md` ("Verified correctness problems") that applies, negatives,
//! expectations from real-world fixtures (kubernetes-goat, badPods, the demo
//! cluster), and the `paths` / `export` command line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::path::Path;

use assert_cmd::Command;
use rbacgraph::model::BindingKind;
use rbacgraph::query::escalation::EscalationVerdict;
use rbacgraph::query::paths::export::{ExportEdgeKind, ExportGraph};
use rbacgraph::query::paths::{AttackGraph, AttackNode, AttackPath, Evidence, Target, Technique};
use rbacgraph::{Identity, RbacGraph, Request, WriteOp};
use serde_json::Value;

// ----- helpers ---------------------------------------------------------------

const BOOTSTRAP: &str = "tests/fixtures/real-world/kubernetes-bootstrap-policy";
const DEMO: &str = "examples/clusters/demo";
const GOAT: &str = "tests/fixtures/real-world/kubernetes-goat";
const BADPODS: &str = "tests/fixtures/real-world/badpods/manifests";

/// `cluster-admin` as the default policy defines it.
const CLUSTER_ADMIN: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules:
- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}
- {nonResourceURLs: ['*'], verbs: ['*']}
";

fn graph(yaml: &str) -> RbacGraph {
    RbacGraph::builder()
        .load_str("cluster-admin.yaml", CLUSTER_ADMIN)
        .load_str("test.yaml", yaml)
        .build()
        .unwrap()
}

fn load(paths: &[&str]) -> RbacGraph {
    let mut builder = RbacGraph::builder();
    for p in paths {
        builder = builder.load_path(Path::new(env!("CARGO_MANIFEST_DIR")).join(p));
    }
    builder.build().unwrap()
}

fn user(name: &str) -> Identity {
    Identity::authenticated(name, Vec::<String>::new())
}

fn sa(namespace: &str, name: &str) -> Identity {
    user(&format!("system:serviceaccount:{namespace}:{name}"))
}

fn sa_node(namespace: &str, name: &str) -> AttackNode {
    AttackNode::ServiceAccount {
        namespace: namespace.into(),
        name: name.into(),
    }
}

fn shortest(attack: &AttackGraph<'_>, who: &Identity, target: &Target) -> Option<AttackPath> {
    attack.paths(who, target, 8).next()
}

fn techniques(path: &AttackPath) -> Vec<Technique> {
    path.techniques()
}

/// The techniques of the edges from `from` to `to`.
fn edges_between(attack: &AttackGraph<'_>, from: &AttackNode, to: &AttackNode) -> Vec<Technique> {
    attack
        .edges()
        .filter(|e| e.from == from && e.to == to)
        .map(|e| e.technique)
        .collect()
}

/// The technique edges leaving `from`.
fn edges_from(attack: &AttackGraph<'_>, from: &AttackNode) -> Vec<(Technique, AttackNode)> {
    attack
        .edges()
        .filter(|e| e.from == from)
        .map(|e| (e.technique, e.to.clone()))
        .collect()
}

fn workload_node(graph: &RbacGraph, name: &str) -> AttackNode {
    let i = graph
        .workloads()
        .iter()
        .position(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload {name}"));
    AttackNode::Workload {
        id: rbacgraph::graph::WorkloadId(i as u32),
    }
}

fn permission_requests(path: &AttackPath, step: usize) -> Vec<Request> {
    path.steps[step]
        .evidence
        .iter()
        .filter_map(|e| match e {
            Evidence::Permission { request, .. } => Some(request.clone()),
            _ => None,
        })
        .collect()
}

fn rbac_cluster_role(name: &str, rules: &str) -> String {
    format!(
        "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {name}}}
rules:
{rules}
"
    )
}

fn crb(name: &str, role: &str, subject: &str) -> String {
    format!(
        "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {name}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}
subjects: [{subject}]
"
    )
}

const ATTACKER: &str = "{kind: ServiceAccount, name: attacker, namespace: tools}";

fn attacker() -> Identity {
    sa("tools", "attacker")
}

/// A ClusterRole `power` with `rules`, bound cluster-wide to tools/attacker.
fn attacker_with(rules: &str) -> RbacGraph {
    graph(&(rbac_cluster_role("power", rules) + &crb("power", "power", ATTACKER)))
}

// ----- peer bugs (peers.md, "Verified correctness problems") ------------------

/// peers.md 3: rbac-police `bind_roles` and checkov CKV_K8S_157 look for
/// `bind` on rolebindings/clusterrolebindings, so they miss the canonical
/// path `create clusterrolebindings` + `bind clusterroles`.
#[test]
fn peer_bug_rbac_police_checkov_bind_on_bindings_misses_canonical_path() {
    let g = attacker_with(
        "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}",
    );
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &attacker(), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E02]);
    let requests = permission_requests(&path, 0);
    assert_eq!(
        requests,
        [
            Request::resource("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
            Request::resource("bind", "rbac.authorization.k8s.io", "clusterroles")
                .named("cluster-admin"),
        ]
    );

    // What those tools look for instead — `bind` on the binding resources —
    // allows nothing: Kubernetes asks `bind` on the role.
    let g = attacker_with(
        "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create, bind]}",
    );
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());
}

/// peers.md 4: KubeHound's POD_CREATE/POD_PATCH need apiGroups `""` or `*`
/// in the rule that names the controller, so `apps` and `batch` controllers
/// give no edge; and rules with resourceNames are skipped.
#[test]
fn peer_bug_kubehound_pod_create_misses_apps_and_batch_controllers() {
    for (group, resource) in [
        ("apps", "deployments"),
        ("apps", "daemonsets"),
        ("apps", "statefulsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("", "replicationcontrollers"),
    ] {
        let yaml = format!(
            "
apiVersion: v1
kind: ServiceAccount
metadata: {{name: admin-bot, namespace: prod}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: deployer, namespace: prod}}
rules: [{{apiGroups: ['{group}'], resources: [{resource}], verbs: [create]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: deployer, namespace: prod}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}}
subjects: [{{kind: User, name: ci}}]
"
        );
        let g = graph(&yaml);
        let attack = AttackGraph::builder(&g).build();
        let path = shortest(
            &attack,
            &user("ci"),
            &Target::Principal("system:serviceaccount:prod:admin-bot".into()),
        )
        .unwrap_or_else(|| panic!("no W01 path through {group}/{resource}"));
        assert_eq!(techniques(&path), [Technique::W01], "{group}/{resource}");
        assert_eq!(
            permission_requests(&path, 0),
            [Request::resource("create", group, resource).in_namespace("prod")]
        );
    }

    // Patching one existing Deployment, named in resourceNames, changes its
    // template's ServiceAccount just as well.
    let g = graph(
        "
apiVersion: v1
kind: ServiceAccount
metadata: {name: admin-bot, namespace: prod}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  template:
    spec:
      containers: [{name: web, image: nginx}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: patch-web, namespace: prod}
rules: [{apiGroups: [apps], resources: [deployments], verbs: [patch], resourceNames: [web]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: patch-web, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: patch-web}
subjects: [{kind: User, name: ci}]
",
    );
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(
        &attack,
        &user("ci"),
        &Target::Principal("system:serviceaccount:prod:admin-bot".into()),
    )
    .unwrap();
    assert_eq!(
        permission_requests(&path, 0),
        [Request::resource("patch", "apps", "deployments")
            .in_namespace("prod")
            .named("web")]
    );
}

/// peers.md 4: KubeHound has no ESCALATE edge (KubeHound#99).
#[test]
fn peer_bug_kubehound_99_escalate_on_a_bound_role() {
    let g = attacker_with(
        "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, update], resourceNames: [power]}",
    );
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &attacker(), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E03]);
    let requests = permission_requests(&path, 0);
    assert!(
        requests.contains(
            &Request::resource("escalate", "rbac.authorization.k8s.io", "clusterroles")
                .named("power")
        ),
        "{requests:?}"
    );

    // Update without escalate: the storage rejects any rule one does not hold.
    let g = attacker_with(
        "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [update], resourceNames: [power]}",
    );
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());

    // Escalate without update or patch writes nothing.
    let g = attacker_with(
        "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}",
    );
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());
}

/// peers.md 4: KubeHound's IDENTITY_IMPERSONATE has coverage "None", and
/// who-can rejects `impersonate` (peers.md 5). Impersonating group
/// `system:masters` (with some user) is cluster-admin; impersonating a
/// service account is namespaced, so a RoleBinding can grant it.
#[test]
fn peer_bug_kubehound_impersonate_coverage_none() {
    let g = attacker_with(
        "- {apiGroups: [''], resources: [groups], verbs: [impersonate], resourceNames: ['system:masters']}
- {apiGroups: [''], resources: [users], verbs: [impersonate], resourceNames: [nobody]}",
    );
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &attacker(), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E04]);

    // Groups without a user are rejected (400): no user to impersonate, no edge.
    let g = attacker_with(
        "- {apiGroups: [''], resources: [groups], verbs: [impersonate], resourceNames: ['system:masters']}",
    );
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());

    // A RoleBinding grants impersonation of the service accounts of its namespace.
    let g = graph(
        "
apiVersion: v1
kind: ServiceAccount
metadata: {name: root, namespace: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: root}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: root, namespace: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: become, namespace: ops}
rules: [{apiGroups: [''], resources: [serviceaccounts], verbs: [impersonate]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: become, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: become}
subjects: [{kind: User, name: mallory}]
",
    );
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &user("mallory"), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E04, Technique::E01]);
    assert_eq!(
        permission_requests(&path, 0),
        [Request::resource("impersonate", "", "serviceaccounts")
            .in_namespace("ops")
            .named("root")]
    );
}

/// peers.md 2 and 4: `resourceNames` ignored (KubiScan) or rules with them
/// skipped (KubeHound). `bind` limited to `view` allows binding `view`, not
/// `cluster-admin`.
#[test]
fn peer_bug_resource_names_limited_bind() {
    let rules = "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [view]}";
    let view = "
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
";
    let g = graph(&(rbac_cluster_role("power", rules) + &crb("power", "power", ATTACKER) + view));
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());
    let view = g
        .roles()
        .iter()
        .position(|r| r.name == "view")
        .map(|i| rbacgraph::RoleId(i as u32))
        .unwrap();
    let grant = AttackNode::RoleGrant {
        role: Some(view),
        namespace: None,
    };
    let from = sa_node("tools", "attacker");
    assert_eq!(edges_between(&attack, &from, &grant), [Technique::E02]);
}

/// peers.md 1, 2 and 5: KubiScan drops its `*`-verb templates and matches
/// verbs literally; who-can rejects `bind`/`escalate`/`impersonate`. A `*`
/// verb includes all three.
#[test]
fn peer_bug_kubiscan_star_verbs_imply_bind_escalate_impersonate() {
    // `*` on bindings and roles: bind (E02) and escalate (E03).
    let g = attacker_with(
        "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings, clusterroles], verbs: ['*']}",
    );
    let attack = AttackGraph::builder(&g).build();
    let from = sa_node("tools", "attacker");
    let mut found = edges_between(&attack, &from, &AttackNode::ClusterAdmin);
    found.sort();
    assert_eq!(found, [Technique::E02, Technique::E03]);

    // `*` on users and groups: impersonate.
    let g = attacker_with("- {apiGroups: [''], resources: [users, groups], verbs: ['*']}");
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &attacker(), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E04]);
}

// ----- negatives ---------------------------------------------------------------

#[test]
fn create_bindings_without_bind_or_the_roles_permissions_gives_no_edge() {
    let g = attacker_with(
        "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings, rolebindings], verbs: [create, update, patch]}",
    );
    let attack = AttackGraph::builder(&g).build();
    let from = sa_node("tools", "attacker");
    // The only roles it may bind are the one it holds (the cover check),
    // which gains nothing: no E02 edge at all, and never cluster-admin, for
    // which it has neither `bind` nor the rules.
    assert!(
        edges_from(&attack, &from)
            .iter()
            .all(|(t, _)| *t != Technique::E02)
    );
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());
}

#[test]
fn create_bindings_while_holding_the_roles_permissions_gains_nothing() {
    // The storage allows a binding to a role whose permissions the writer
    // already holds in that scope, without `bind` (rbac-semantics §6.3);
    // bound to oneself it grants nothing new, so it is no step.
    let g = graph(
        "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [''], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: team-lead, namespace: team}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}
- {apiGroups: [''], resources: [pods], verbs: ['*']}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: team-lead, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: team-lead}
subjects: [{kind: User, name: lee}]
",
    );
    let attack = AttackGraph::builder(&g).build();
    let reader = g.roles().iter().position(|r| r.name == "reader").unwrap();
    let grant = AttackNode::RoleGrant {
        role: Some(rbacgraph::RoleId(reader as u32)),
        namespace: Some("team".into()),
    };
    let lee = AttackNode::User { name: "lee".into() };
    let binding = rbacgraph::Binding {
        kind: BindingKind::RoleBinding,
        name: "lee-reader".into(),
        namespace: Some("team".into()),
        role_ref: rbacgraph::model::RoleRef {
            kind: "ClusterRole".into(),
            name: "reader".into(),
            api_group: "rbac.authorization.k8s.io".into(),
        },
        subjects: Vec::new(),
        api_version: "rbac.authorization.k8s.io/v1".into(),
        source: rbacgraph::Source::inline("probe"),
    };
    let check = g.check_binding_write(&user("lee"), &binding, WriteOp::Create);
    assert!(check.allowed);
    assert!(matches!(check.escalation, EscalationVerdict::Covered));
    assert!(edges_between(&attack, &lee, &grant).is_empty());
    // Not the cluster-wide variant: clusterrolebindings are not writable.
    let cluster_grant = AttackNode::RoleGrant {
        role: Some(rbacgraph::RoleId(reader as u32)),
        namespace: None,
    };
    assert!(edges_between(&attack, &lee, &cluster_grant).is_empty());
}

#[test]
fn namespaced_role_granting_clusterrolebindings_gives_no_edge() {
    // A RoleBinding never grants cluster-scoped requests: creating a
    // ClusterRoleBinding is asked at cluster scope.
    let g = graph(
        "
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: crb-writer, namespace: team}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: ['*']}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: crb-writer, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: crb-writer}
subjects: [{kind: User, name: lee}]
",
    );
    let attack = AttackGraph::builder(&g).build();
    let lee = AttackNode::User { name: "lee".into() };
    assert!(
        edges_from(&attack, &lee)
            .iter()
            .all(|(t, _)| *t != Technique::E02)
    );
    assert!(shortest(&attack, &user("lee"), &Target::ClusterAdmin).is_none());
}

#[test]
fn unmounted_token_gives_no_token_theft_edge() {
    let g = graph(
        "
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: prod}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: quiet, namespace: prod}
spec:
  serviceAccountName: robot
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: loud, namespace: prod}
spec:
  serviceAccountName: robot
  automountServiceAccountToken: true
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: opted-out, namespace: prod}
spec:
  serviceAccountName: default
  automountServiceAccountToken: false
  containers: [{name: c, image: busybox}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: prod}
rules: [{apiGroups: [''], resources: [pods/exec], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}
subjects: [{kind: User, name: dev}]
",
    );
    let attack = AttackGraph::builder(&g).build();
    let dev = AttackNode::User { name: "dev".into() };
    let robot = sa_node("prod", "robot");
    let (quiet, loud, opted_out) = (
        workload_node(&g, "quiet"),
        workload_node(&g, "loud"),
        workload_node(&g, "opted-out"),
    );
    // Exec reaches all three pods …
    for pod in [&quiet, &loud, &opted_out] {
        assert_eq!(edges_between(&attack, &dev, pod), [Technique::W04]);
    }
    // … but only the pod whose spec mounts the token (overriding its
    // ServiceAccount's `false`) gives the token away.
    assert!(edges_between(&attack, &quiet, &robot).is_empty());
    assert_eq!(edges_between(&attack, &loud, &robot), [Technique::C05]);
    assert!(edges_between(&attack, &opted_out, &sa_node("prod", "default")).is_empty());
    let path = shortest(
        &attack,
        &user("dev"),
        &Target::Principal("system:serviceaccount:prod:robot".into()),
    )
    .unwrap();
    assert_eq!(techniques(&path), [Technique::W04, Technique::C05]);
    assert_eq!(path.steps[0].to.name, "loud");
}

/// A pod's requests name the pod in evidence, whether a rule lists its name
/// (then only such rules allow it) or not (then the rules without
/// `resourceNames` decide, with the same reasons as for any name); a
/// controller's pods have generated names, so their requests have none.
#[test]
fn pod_requests_name_the_pod_in_evidence() {
    let g = graph(
        "
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: prod}
spec:
  serviceAccountName: robot
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: prod}
spec:
  serviceAccountName: robot
  containers: [{name: c, image: busybox}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  template:
    spec:
      serviceAccountName: robot
      containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: prod}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-web-0, namespace: prod}
rules: [{apiGroups: [''], resources: [pods/exec], verbs: [create], resourceNames: [web-0]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec-web-0, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-web-0}
subjects: [{kind: User, name: named}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-any, namespace: prod}
rules: [{apiGroups: [''], resources: [pods/exec], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec-any, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-any}
subjects: [{kind: User, name: anyone}]
",
    );
    let attack = AttackGraph::builder(&g).build();
    // The requests of the W04 edge from a user to a workload, if any.
    let exec_into = |who: &str, pod: &str| {
        let from = AttackNode::User { name: who.into() };
        let to = workload_node(&g, pod);
        let edge = attack
            .edges()
            .find(|e| *e.from == from && *e.to == to && e.technique == Technique::W04)?;
        let requests: Vec<Request> = edge
            .evidence()
            .into_iter()
            .filter_map(|e| match e {
                Evidence::Permission { request, .. } => Some(request),
                _ => None,
            })
            .collect();
        Some(requests)
    };
    let exec = |name: &str| {
        Request::resource("create", "", "pods")
            .subresource("exec")
            .in_namespace("prod")
            .named(name)
    };
    assert_eq!(exec_into("named", "web-0"), Some(vec![exec("web-0")]));
    assert_eq!(exec_into("named", "web-1"), None);
    assert_eq!(exec_into("named", "api"), None);
    assert_eq!(exec_into("anyone", "web-0"), Some(vec![exec("web-0")]));
    assert_eq!(exec_into("anyone", "web-1"), Some(vec![exec("web-1")]));
    assert_eq!(exec_into("anyone", "api"), Some(vec![exec("")]));
}

/// A role bound on the way decides on the pod's own name: a Role that no
/// binding uses yet, limited to one pod by `resourceNames`, still execs
/// into that pod once bound (and only into it).
#[test]
fn a_grant_limited_to_one_pod_reaches_that_pod() {
    let g = graph(
        "
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: prod}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: prod}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-web-0, namespace: prod}
rules: [{apiGroups: [''], resources: [pods/exec], verbs: [create], resourceNames: [web-0]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: binder, namespace: prod}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [bind]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: binder, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: binder}
subjects: [{kind: User, name: dev}]
",
    );
    let attack = AttackGraph::builder(&g).build();
    let role = g
        .roles()
        .iter()
        .position(|r| r.name == "exec-web-0")
        .map(|i| rbacgraph::RoleId(i as u32))
        .unwrap();
    let grant = AttackNode::RoleGrant {
        role: Some(role),
        namespace: Some("prod".into()),
    };
    assert_eq!(
        edges_between(&attack, &AttackNode::User { name: "dev".into() }, &grant),
        [Technique::E02]
    );
    assert_eq!(
        edges_between(&attack, &grant, &workload_node(&g, "web-0")),
        [Technique::W04]
    );
    assert!(edges_between(&attack, &grant, &workload_node(&g, "web-1")).is_empty());
}

// ----- the other techniques ------------------------------------------------------

#[test]
fn csr_create_approve_and_sign_is_cluster_admin() {
    let rules = "- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create, get]}
- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}";
    let signer = "\n- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}";
    let g = attacker_with(&format!("{rules}{signer}"));
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &attacker(), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E07]);
    // Without `approve` on the signer the approval is refused.
    let g = attacker_with(rules);
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());
    // `kubernetes.io/*` names every signer of the domain.
    let g = attacker_with(&format!(
        "{rules}\n- {{apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: ['kubernetes.io/*']}}"
    ));
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_some());
}

#[test]
fn mutating_webhook_control_is_cluster_admin() {
    let g = attacker_with(
        "- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create]}",
    );
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &attacker(), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E08]);
}

#[test]
fn aws_auth_is_cluster_admin_on_eks_only() {
    let g = attacker_with(
        "- {apiGroups: [''], resources: [configmaps], verbs: [patch], resourceNames: [aws-auth]}",
    );
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());
    let attack = AttackGraph::builder(&g).eks(true).build();
    let path = shortest(&attack, &attacker(), &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&path), [Technique::E09]);
    // Another ConfigMap name does not do.
    let g = attacker_with(
        "- {apiGroups: [''], resources: [configmaps], verbs: [patch], resourceNames: [coredns]}",
    );
    let attack = AttackGraph::builder(&g).eks(true).build();
    assert!(shortest(&attack, &attacker(), &Target::ClusterAdmin).is_none());
}

#[test]
fn dangling_role_ref_creator_that_is_bound_gains_any_rules() {
    let yaml = "
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: future, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: not-yet}
subjects: [{kind: User, name: opal}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role-maker, namespace: ops}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [create, escalate]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: role-maker, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-maker}
subjects: [{kind: User, name: opal}, {kind: User, name: otto}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: ops}
";
    let g = graph(yaml);
    let attack = AttackGraph::builder(&g).build();
    let grant = AttackNode::RoleGrant {
        role: None,
        namespace: Some("ops".into()),
    };
    let opal = AttackNode::User {
        name: "opal".into(),
    };
    assert_eq!(edges_between(&attack, &opal, &grant), [Technique::E13]);
    // Any rules in the namespace include creating pods there.
    let path = shortest(
        &attack,
        &user("opal"),
        &Target::Principal("system:serviceaccount:ops:app".into()),
    )
    .unwrap();
    assert_eq!(path.steps.len(), 2);
    assert_eq!(path.steps[0].technique, Technique::E13);
    let app = sa_node("ops", "app");
    let mut via = edges_between(&attack, &grant, &app);
    via.sort();
    assert_eq!(
        via,
        [
            Technique::E04,
            Technique::C03,
            Technique::C04,
            Technique::W01
        ]
    );
    // otto can create the role too, but the binding does not name otto.
    let otto = AttackNode::User {
        name: "otto".into(),
    };
    assert!(edges_between(&attack, &otto, &grant).is_empty());
}

#[test]
fn token_secrets_requests_and_minting() {
    let yaml = "
apiVersion: v1
kind: ServiceAccount
metadata: {name: old, namespace: legacy}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: new, namespace: legacy}
---
apiVersion: v1
kind: Secret
metadata:
  name: old-token-abcde
  namespace: legacy
  annotations: {kubernetes.io/service-account.name: old}
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: lister, namespace: legacy}
rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lister, namespace: legacy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: lister}
subjects: [{kind: User, name: lisa}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: getter, namespace: legacy}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [old-token-abcde]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: getter, namespace: legacy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: getter}
subjects: [{kind: User, name: gus}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: minter, namespace: legacy}
rules: [{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [new]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: minter, namespace: legacy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: minter}
subjects: [{kind: User, name: mia}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-maker, namespace: legacy}
rules: [{apiGroups: [''], resources: [secrets], verbs: [create, get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: secret-maker, namespace: legacy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-maker}
subjects: [{kind: User, name: sam}]
";
    let g = graph(yaml);
    let attack = AttackGraph::builder(&g).build();
    let (old, new) = (sa_node("legacy", "old"), sa_node("legacy", "new"));
    let by = |name: &str| AttackNode::User { name: name.into() };
    // Only the SA with a token Secret object (Kubernetes 1.24+).
    assert_eq!(edges_between(&attack, &by("lisa"), &old), [Technique::C01]);
    assert!(edges_between(&attack, &by("lisa"), &new).is_empty());
    assert_eq!(edges_between(&attack, &by("gus"), &old), [Technique::C02]);
    // TokenRequest carries the SA's name: resourceNames honoured.
    assert_eq!(edges_between(&attack, &by("mia"), &new), [Technique::C03]);
    assert!(edges_between(&attack, &by("mia"), &old).is_empty());
    // Create a token Secret for any SA and read it back.
    assert_eq!(edges_between(&attack, &by("sam"), &new), [Technique::C04]);
    // (sam's `get secrets` also reads the existing token Secret: C02.)
    assert_eq!(
        edges_between(&attack, &by("sam"), &old),
        [Technique::C02, Technique::C04]
    );

    // With legacy tokens assumed, listing Secrets yields every SA.
    let attack = AttackGraph::builder(&g).assume_legacy_tokens(true).build();
    assert_eq!(edges_between(&attack, &by("lisa"), &new), [Technique::C01]);
    // A get limited to one name cannot guess the others.
    assert!(edges_between(&attack, &by("gus"), &new).is_empty());
}

#[test]
fn pod_security_admission_gates_privileged_pods() {
    let yaml = "
apiVersion: v1
kind: Namespace
metadata:
  name: locked
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: v1
kind: Namespace
metadata:
  name: open
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods}
rules: [{apiGroups: [''], resources: [pods], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: pods, namespace: locked}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods}
subjects: [{kind: User, name: lou}, {kind: User, name: lab}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: pods, namespace: open}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods}
subjects: [{kind: User, name: ona}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: relabel, namespace: locked}
rules: [{apiGroups: [''], resources: [namespaces], verbs: [patch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: relabel, namespace: locked}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: relabel}
subjects: [{kind: User, name: lab}]
";
    let g = graph(yaml);
    let attack = AttackGraph::builder(&g).build();
    assert!(shortest(&attack, &user("lou"), &Target::AnyNode).is_none());
    let ona = shortest(&attack, &user("ona"), &Target::AnyNode).unwrap();
    assert_eq!(techniques(&ona), [Technique::W02]);
    let lab = shortest(&attack, &user("lab"), &Target::AnyNode).unwrap();
    assert_eq!(techniques(&lab), [Technique::W03]);
}

#[test]
fn host_path_persistent_volume_bypasses_pod_security() {
    let yaml = "
apiVersion: v1
kind: Namespace
metadata:
  name: locked
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: storage}
rules:
- {apiGroups: [''], resources: [persistentvolumes], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: storage}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: storage}
subjects: [{kind: User, name: pia}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: apps, namespace: locked}
rules:
- {apiGroups: [''], resources: [persistentvolumeclaims], verbs: [create]}
- {apiGroups: [apps], resources: [statefulsets], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: apps, namespace: locked}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: apps}
subjects: [{kind: User, name: pia}]
";
    let g = graph(yaml);
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(&attack, &user("pia"), &Target::AnyNode).unwrap();
    assert_eq!(techniques(&path), [Technique::W13]);
}

#[test]
fn nodes_proxy_and_root_on_a_node() {
    let yaml = "
apiVersion: v1
kind: Node
metadata: {name: worker-1}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: operator, namespace: infra}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: operator-0, namespace: infra}
spec:
  nodeName: worker-1
  serviceAccountName: operator
  containers: [{name: c, image: op, securityContext: {privileged: true}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: operator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: operator, namespace: infra}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kubelet-api}
rules: [{apiGroups: [''], resources: [nodes/proxy], verbs: [get], resourceNames: [worker-1]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kubelet-api}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubelet-api}
subjects: [{kind: User, name: kim}]
";
    let g = graph(yaml);
    let attack = AttackGraph::builder(&g).build();
    // W08 into the pod on worker-1, W16 out of its privileged container,
    // W17 to the token the kubelet may request (automount is off).
    let to_node = shortest(&attack, &user("kim"), &Target::Node("worker-1".into())).unwrap();
    assert_eq!(techniques(&to_node), [Technique::W08, Technique::W16]);
    let admin = shortest(&attack, &user("kim"), &Target::ClusterAdmin).unwrap();
    assert_eq!(
        techniques(&admin),
        [
            Technique::W08,
            Technique::W16,
            Technique::W17,
            Technique::E01
        ]
    );
    // The node's kubelet identity.
    let worker = AttackNode::Node {
        name: Some("worker-1".into()),
    };
    let kubelet = AttackNode::NodeIdentity {
        name: "worker-1".into(),
    };
    assert_eq!(edges_between(&attack, &worker, &kubelet), [Technique::W17]);
    assert!(
        attack
            .paths(
                &user("kim"),
                &Target::Principal("system:node:worker-1".into()),
                8
            )
            .next()
            .is_some()
    );
}

// ----- queries -------------------------------------------------------------------

#[test]
fn paths_are_lazy_bounded_and_deterministic() {
    let g = load(&[DEMO]);
    let attack = AttackGraph::builder(&g).build();
    let deployer = sa("ci", "deployer");
    // Lazy: the first path without computing the rest.
    let mut iter = attack.paths(&deployer, &Target::AnyNode, 8);
    let first = iter.next().unwrap();
    assert_eq!(first.steps.len(), 1);
    // Bounded: a two-step target is not found within one step.
    let dev_admin = Target::Principal("system:serviceaccount:shop:default".into());
    assert!(
        attack
            .paths(&user("nobody"), &dev_admin, 1)
            .next()
            .is_none()
    );
    let blast = attack.blast_radius(&deployer, 1);
    assert!(blast.iter().all(|p| p.steps.len() == 1));
    // Deterministic: two builds answer the same, byte for byte.
    let again = AttackGraph::builder(&g).build();
    for target in [Target::AnyNode, Target::ClusterAdmin, dev_admin] {
        let a = serde_json::to_string(&attack.who_reaches(&target, 8)).unwrap();
        let b = serde_json::to_string(&again.who_reaches(&target, 8)).unwrap();
        assert_eq!(a, b);
    }
    let a = serde_json::to_string(&attack.blast_radius(&deployer, 8)).unwrap();
    let b = serde_json::to_string(&again.blast_radius(&deployer, 8)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn identities_with_extra_groups_are_evaluated_on_the_spot() {
    let g = load(&[DEMO]);
    let attack = AttackGraph::builder(&g).build();
    // alice alone is admin of shop; with dev-team she also edits analytics.
    let alone = user("alice@example.com");
    let team = Identity::authenticated("alice@example.com", ["dev-team"]);
    let target = Target::Principal("system:serviceaccount:analytics:dashboard".into());
    let via_team = shortest(&attack, &team, &target).unwrap();
    assert_eq!(via_team.source.groups, team.groups);
    assert_eq!(via_team.steps.len(), 1);
    let alone_path = shortest(&attack, &alone, &target).unwrap();
    assert!(alone_path.steps.len() > 1);
}

#[test]
fn e02_edges_agree_with_check_binding_write() {
    // For every principal of the demo and every ClusterRole, a RoleBinding
    // in `shop` that the storage accepts is an E02 edge (unless the
    // principal is cluster-admin already), and one it refuses is none.
    let g = load(&[DEMO]);
    let attack = AttackGraph::builder(&g).build();
    let mut checked = 0;
    let mut covered = 0;
    for p in g.principals() {
        let name = match &p.namespace {
            Some(ns) => format!("system:serviceaccount:{ns}:{}", p.name),
            None => p.name.clone(),
        };
        let id = user(&name);
        let node = match &p.namespace {
            Some(ns) => sa_node(ns, &p.name),
            None => AttackNode::User {
                name: p.name.clone(),
            },
        };
        if edges_between(&attack, &node, &AttackNode::ClusterAdmin).contains(&Technique::E01) {
            continue;
        }
        for (i, role) in g.roles().iter().enumerate() {
            if role.kind != rbacgraph::model::RoleKind::ClusterRole
                || role.rules.iter().all(|r| r.resources.is_empty())
            {
                continue;
            }
            let binding = rbacgraph::Binding {
                kind: BindingKind::RoleBinding,
                name: "probe".into(),
                namespace: Some("shop".into()),
                role_ref: rbacgraph::model::RoleRef {
                    kind: "ClusterRole".into(),
                    name: role.name.clone(),
                    api_group: "rbac.authorization.k8s.io".into(),
                },
                subjects: Vec::new(),
                api_version: "rbac.authorization.k8s.io/v1".into(),
                source: rbacgraph::Source::inline("probe"),
            };
            let check = g.check_binding_write(&id, &binding, WriteOp::Create);
            // Allowed by covering the role gains nothing: not an edge.
            let gains = check.allowed && !matches!(check.escalation, EscalationVerdict::Covered);
            let grant = AttackNode::RoleGrant {
                role: Some(rbacgraph::RoleId(i as u32)),
                namespace: Some("shop".into()),
            };
            let edge = edges_between(&attack, &node, &grant).contains(&Technique::E02);
            assert_eq!(edge, gains, "{name} binding {} in shop", role.name);
            covered += usize::from(check.allowed && !gains);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    assert!(
        covered > 0,
        "the demo has namespace admins that cover roles"
    );
}

// ----- real-world fixtures ---------------------------------------------------------

#[test]
fn kubernetes_goat_superadmin_is_cluster_admin() {
    let g = load(&[BOOTSTRAP, GOAT]);
    let attack = AttackGraph::builder(&g).build();
    let path = shortest(
        &attack,
        &sa("kube-system", "superadmin"),
        &Target::ClusterAdmin,
    )
    .unwrap();
    assert_eq!(techniques(&path), [Technique::E01]);
    let who: Vec<String> = attack
        .who_reaches(&Target::ClusterAdmin, 1)
        .iter()
        .map(|p| p.source.to_string())
        .collect();
    assert!(
        who.contains(&"ServiceAccount kube-system/superadmin".to_string()),
        "{who:?}"
    );
}

#[test]
fn kubernetes_goat_container_escapes_reach_the_node() {
    let g = load(&[BOOTSTRAP, GOAT]);
    let attack = AttackGraph::builder(&g).build();
    let any_node = AttackNode::Node { name: None };
    // Scenario 4: privileged, hostPID and hostPath `/`.
    let monitor = workload_node(&g, "system-monitor-deployment");
    let edge = attack
        .edges()
        .find(|e| e.from == &monitor && e.to == &any_node)
        .unwrap();
    assert_eq!(edge.technique, Technique::W16);
    let facts: Vec<String> = edge
        .evidence()
        .into_iter()
        .filter_map(|e| match e {
            Evidence::Fact { message } => Some(message),
            _ => None,
        })
        .collect();
    assert!(facts.iter().any(|f| f.contains("privileged")), "{facts:?}");
    assert!(
        facts.iter().any(|f| f.contains("hostPath volume `/`")),
        "{facts:?}"
    );
    // Scenario 2: the containerd socket.
    let health = workload_node(&g, "health-check-deployment");
    let edge = attack
        .edges()
        .find(|e| e.from == &health && e.to == &any_node)
        .unwrap();
    assert!(edge.evidence().iter().any(|e| matches!(
        e,
        Evidence::Fact { message } if message.contains("/run/containerd/containerd.sock")
    )));
    // Whoever can exec into the monitor reaches a node; its token is
    // default/default's.
    assert!(
        edges_between(&attack, &monitor, &sa_node("default", "default")).contains(&Technique::C05)
    );
}

/// badPods (BishopFox) README class table (SOURCES.md): everything-allowed,
/// priv-and-hostpid, priv and hostpath give the node; hostpid, hostnetwork,
/// hostipc and nothing-allowed do not (no W16 edge).
#[test]
fn badpods_classes_that_reach_the_node() {
    let cases = [
        ("everything-allowed", true),
        ("priv-and-hostpid", true),
        ("priv", true),
        ("hostpath", true),
        ("hostpid", false),
        ("hostnetwork", false),
        ("hostipc", false),
        ("nothing-allowed", false),
    ];
    for (class, escapes) in cases {
        let g = load(&[&format!("{BADPODS}/{class}")]);
        assert_eq!(g.workloads().len(), 16, "{class}: 8 kinds × exec/revshell");
        let attack = AttackGraph::builder(&g).build();
        for (i, w) in g.workloads().iter().enumerate() {
            let node = AttackNode::Workload {
                id: rbacgraph::graph::WorkloadId(i as u32),
            };
            let w16 = edges_from(&attack, &node)
                .iter()
                .any(|(t, to)| *t == Technique::W16 && matches!(to, AttackNode::Node { .. }));
            assert_eq!(w16, escapes, "{class}: {} {}", w.kind.as_str(), w.name);
        }
    }
}

#[test]
fn demo_planted_mistakes_show_paths() {
    let g = load(&[DEMO]);
    let attack = AttackGraph::builder(&g).build();
    // Mistake 2: the CI deployer creates pods anywhere → the namespace
    // admin account of shop (mistake 1), and a privileged pod → a node.
    let deployer = sa("ci", "deployer");
    let to_default = shortest(
        &attack,
        &deployer,
        &Target::Principal("system:serviceaccount:shop:default".into()),
    )
    .unwrap();
    assert_eq!(techniques(&to_default), [Technique::W01]);
    let to_node = shortest(&attack, &deployer, &Target::AnyNode).unwrap();
    assert_eq!(techniques(&to_node), [Technique::W02]);
    // Mistake 1: shop/default holds cluster-admin in shop, so it binds any
    // role there, and creates pods (any SA of shop).
    let default = sa("shop", "default");
    let to_cart = shortest(
        &attack,
        &default,
        &Target::Principal("system:serviceaccount:shop:cart".into()),
    )
    .unwrap();
    assert_eq!(to_cart.steps.len(), 1);
    // Mistake 2 again: a pod in kube-system may run as argocd-manager, which
    // holds every permission. Whoever gets root on a node can take the
    // deployer's token from its build agents (no nodeName: any node).
    let to_admin = shortest(&attack, &deployer, &Target::ClusterAdmin).unwrap();
    assert_eq!(techniques(&to_admin), [Technique::W01, Technique::E01]);
    assert_eq!(
        to_admin.steps[0].to.to_string(),
        "ServiceAccount kube-system/argocd-manager"
    );
    let mut admins: Vec<String> = attack
        .who_reaches(&Target::ClusterAdmin, 8)
        .iter()
        .map(|p| p.source.to_string())
        .collect();
    admins.sort();
    assert_eq!(
        admins,
        [
            "Group dev-team",
            "ServiceAccount ci/deployer",
            "ServiceAccount kube-system/argocd-manager",
            "ServiceAccount shop/default",
            "User alice@example.com",
        ]
    );
    // Who reaches a node: the deployer, shop/default, dev-team, alice.
    let who: Vec<String> = attack
        .who_reaches(&Target::AnyNode, 8)
        .iter()
        .map(|p| p.source.to_string())
        .collect();
    for expected in [
        "ServiceAccount ci/deployer",
        "ServiceAccount shop/default",
        "Group dev-team",
        "User alice@example.com",
    ] {
        assert!(who.contains(&expected.to_string()), "{expected}: {who:?}");
    }
    // The deployer's blast radius includes every ServiceAccount it can run
    // a pod as.
    let reached: Vec<String> = attack
        .blast_radius(&deployer, 8)
        .into_iter()
        .map(|p| p.target)
        .collect();
    assert!(reached.contains(&"system:serviceaccount:payments:payments-api".to_string()));
}

// ----- export ---------------------------------------------------------------------

#[test]
fn export_has_the_permission_graph_and_escalation_edges() {
    let g = load(&[DEMO]);
    let attack = AttackGraph::builder(&g).build();
    let export = ExportGraph::new(&attack);
    let has_node = |id: &str| export.nodes.iter().any(|n| n.id == id);
    for id in [
        "ServiceAccount:ci/deployer",
        "ClusterRoleBinding:ci-deployer",
        "ClusterRole:ci-deployer",
        "ClusterRole:ci-deployer#2",
        "Deployment:ci/build-agent",
        "Node:*",
    ] {
        assert!(has_node(id), "{id}");
    }
    assert!(
        export
            .edges
            .iter()
            .any(|e| e.from == "ServiceAccount:ci/deployer"
                && e.to == "Node:*"
                && e.kind == ExportEdgeKind::Escalation
                && e.technique == Some(Technique::W02))
    );
    let around = export.around("sa/ci/deployer", 1).unwrap();
    assert!(
        around
            .nodes
            .iter()
            .any(|n| n.id == "ClusterRoleBinding:ci-deployer")
    );
    assert!(
        !around
            .nodes
            .iter()
            .any(|n| n.id == "ClusterRole:ci-deployer#2")
    );
    assert!(export.around("clusterrole/no-such-role", 1).is_err());
    assert!(export.to_dot().starts_with("digraph rbac {"));
}

// ----- command line ------------------------------------------------------------------

fn rbacgraph() -> Command {
    let mut cmd = Command::cargo_bin("rbacgraph").unwrap();
    cmd.env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
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

#[test]
fn cli_paths_exit_codes_and_json_shape() {
    let (code, out, err) = run(&[
        "-f",
        DEMO,
        "-o",
        "json",
        "paths",
        "--as",
        "system:serviceaccount:ci:deployer",
        "--to",
        "nodes",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["apiVersion"], "rbacgraph/v1");
    assert_eq!(v["kind"], "EscalationPaths");
    let path = &v["paths"][0];
    assert_eq!(path["source"]["kind"], "ServiceAccount");
    assert_eq!(path["source"]["name"], "deployer");
    assert_eq!(path["target"], "nodes");
    let step = &path["steps"][0];
    assert_eq!(step["technique"], "W02");
    assert_eq!(step["from"]["name"], "deployer");
    assert_eq!(step["to"]["kind"], "Node");
    assert_eq!(step["evidence"][0]["type"], "permission");
    assert_eq!(
        step["evidence"][0]["reasons"][0]["binding"]["name"],
        "ci-deployer"
    );

    // No path: exit 1, in every format.
    for format in ["table", "json", "yaml", "dot"] {
        let (code, _, err) = run(&[
            "-f",
            DEMO,
            "-o",
            format,
            "paths",
            "--as",
            "system:serviceaccount:payments:payments-api",
        ]);
        assert_eq!(code, 1, "{format}: {err}");
    }
    // EKS: the deployer may patch kube-system/aws-auth.
    let (code, out, _) = run(&[
        "-f",
        DEMO,
        "paths",
        "--as",
        "system:serviceaccount:ci:deployer",
        "--eks",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("E09"), "{out}");
    // Errors: exit 2.
    let (code, _, _) = run(&["-f", DEMO, "paths", "--as", "x", "--to", "node:"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["-f", DEMO, "paths"]);
    assert_eq!(code, 2);
}

#[test]
fn cli_paths_table_all_and_dot() {
    let (code, out, _) = run(&["-f", DEMO, "paths", "--all", "--to", "nodes"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("SOURCE"), "{out}");
    assert!(out.contains("ServiceAccount ci/deployer"), "{out}");
    let (code, out, _) = run(&[
        "-f",
        DEMO,
        "paths",
        "--as",
        "system:serviceaccount:ci:deployer",
        "--to",
        "nodes",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("W02 create a privileged pod"), "{out}");
    assert!(out.contains("ClusterRoleBinding ci-deployer"), "{out}");
    let (code, out, _) = run(&["-f", DEMO, "-o", "dot", "paths", "--all", "--to", "nodes"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph escalation_paths {"), "{out}");
    assert!(out.contains("W02"), "{out}");
    let (code, out, _) = run(&[
        "-f",
        DEMO,
        "paths",
        "--as",
        "system:serviceaccount:ci:deployer",
        "--blast-radius",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("REACHES"), "{out}");
}

#[test]
fn cli_export_and_dot_only_where_it_makes_sense() {
    let (code, out, _) = run(&["-f", DEMO, "-o", "dot", "export"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph rbac {"));
    let (code, out, _) = run(&[
        "-f",
        DEMO,
        "-o",
        "json",
        "export",
        "--around",
        "sa/ci/deployer",
        "--depth",
        "1",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "PermissionGraph");
    assert!(v["nodes"].as_array().unwrap().len() > 2);
    let (code, _, err) = run(&["-f", DEMO, "export"]);
    assert_eq!(code, 2, "table makes no sense for export: {err}");
    let (code, _, _) = run(&[
        "-f",
        DEMO,
        "-o",
        "dot",
        "export",
        "--around",
        "user/nobody-here",
    ]);
    assert_eq!(code, 2);
    for args in [
        &["-f", DEMO, "-o", "dot", "summary"][..],
        &["-f", DEMO, "-o", "dot", "who-can", "get", "pods"][..],
        &["-f", DEMO, "-o", "dot", "can-i", "get", "pods", "--as", "x"][..],
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("-o dot"), "{err}");
    }
}

// ----- documentation ---------------------------------------------------------------------

#[test]
fn every_technique_is_documented() {
    let docs = include_str!("../docs/techniques.md");
    for t in Technique::ALL {
        assert!(
            docs.contains(&format!("## {}", t.id())),
            "docs/techniques.md has no section for {}",
            t.id()
        );
    }
}

//! Random small clusters built to exercise escalation paths and the fixes
//! that cut them: namespaces with and without Pod Security labels, nodes,
//! service accounts, workloads (privileged or not, mounting their token or
//! not, bound to a node or not), legacy token Secrets, roles from a pool of
//! escalation-relevant rules (with `resourceNames`, wildcards, an aggregated
//! ClusterRole and its contributors), and bindings with users, groups (the
//! implicit ones too) and service accounts, a dangling one now and then.
//!
//! A world is a list of manifests (JSON values), so that tests can apply
//! JSON patches to them and load them again, as a person would.

#![allow(dead_code, reason = "each test binary uses part of the support code")]

use std::collections::BTreeSet;

use rbacgraph::Identity;
use rbacgraph::query::SubjectRef;
use rbacgraph::query::paths::impact::Goal;
use rbacgraph::query::paths::{AttackGraph, NodeRef, Target};
use rbacgraph::query::whatif::{ObjectPatch, PatchAction};
use serde_json::{Value, json};

/// A deterministic source of choices (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next() % den < num
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMESPACES: &[&str] = &["apps", "ops", "kube-system"];
const NODES: &[&str] = &["node-1", "node-2"];
const USERS: &[&str] = &["ann", "bob", "cid"];
const GROUPS: &[&str] = &[
    "devs",
    "admins",
    "system:authenticated",
    "system:serviceaccounts",
    "system:serviceaccounts:apps",
];

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

/// Rules that matter for escalation (and a few that do not).
fn pool_rule(r: &mut Rng, namespaced: bool) -> Value {
    let mut x = match r.below(if namespaced { 16 } else { 26 }) {
        0 => rule(&["create"], &[""], &["pods"]),
        1 => rule(&["create", "patch"], &["apps"], &["deployments"]),
        2 => rule(&["create"], &[""], &["pods/exec"]),
        3 => rule(&["patch", "update"], &[""], &["pods"]),
        4 => rule(&["patch"], &[""], &["pods/ephemeralcontainers"]),
        5 => rule(&["get", "list"], &[""], &["secrets"]),
        6 => rule(&["create"], &[""], &["secrets"]),
        7 => rule(&["create"], &[""], &["serviceaccounts/token"]),
        8 => rule(&["impersonate"], &[""], &["serviceaccounts"]),
        9 => rule(
            &["create"],
            &["rbac.authorization.k8s.io"],
            &["rolebindings"],
        ),
        10 => rule(
            &["bind"],
            &["rbac.authorization.k8s.io"],
            &["clusterroles", "roles"],
        ),
        11 => rule(
            &["escalate", "update"],
            &["rbac.authorization.k8s.io"],
            &["roles"],
        ),
        12 => rule(&["get", "list", "watch"], &[""], &["pods", "services"]),
        13 => rule(&["*"], &[""], &["pods"]),
        14 => rule(&["create"], &[""], &["persistentvolumeclaims"]),
        15 => rule(&["update", "patch"], &[""], &["namespaces"]),
        16 => rule(&["impersonate"], &[""], &["users", "groups"]),
        17 => rule(
            &["create"],
            &["rbac.authorization.k8s.io"],
            &["clusterrolebindings"],
        ),
        18 => rule(&["get", "create"], &[""], &["nodes/proxy"]),
        19 => rule(&["create"], &[""], &["persistentvolumes"]),
        20 => rule(
            &["escalate", "update"],
            &["rbac.authorization.k8s.io"],
            &["clusterroles"],
        ),
        21 => rule(
            &["create"],
            &["admissionregistration.k8s.io"],
            &["mutatingwebhookconfigurations"],
        ),
        22 => rule(&["*"], &["*"], &["*"]),
        23 => rule(&["get", "list"], &[""], &["nodes"]),
        24 => rule(
            &["create", "get"],
            &["certificates.k8s.io"],
            &["certificatesigningrequests"],
        ),
        _ => rule(
            &["update"],
            &["certificates.k8s.io"],
            &["certificatesigningrequests/approval"],
        ),
    };
    if r.chance(1, 6) {
        let names: &[&str] = &["sa-0", "web-0", "cluster-admin", "ops", "apps"];
        x["resourceNames"] = json!([*r.pick(names)]);
    }
    x
}

fn meta(name: &str, namespace: Option<&str>) -> Value {
    match namespace {
        Some(ns) => json!({"name": name, "namespace": ns}),
        None => json!({"name": name}),
    }
}

fn subject(r: &mut Rng, binding_ns: Option<&str>) -> Value {
    match r.below(6) {
        0 | 1 => {
            json!({"kind": "User", "name": *r.pick(USERS), "apiGroup": "rbac.authorization.k8s.io"})
        }
        2 => {
            json!({"kind": "Group", "name": *r.pick(GROUPS), "apiGroup": "rbac.authorization.k8s.io"})
        }
        _ => {
            let ns = *r.pick(NAMESPACES);
            let name = format!("sa-{}", r.below(3));
            if binding_ns.is_some() && r.chance(1, 3) {
                json!({"kind": "ServiceAccount", "name": name})
            } else {
                json!({"kind": "ServiceAccount", "name": name, "namespace": ns})
            }
        }
    }
}

fn pod_spec(r: &mut Rng, ns: &str, node: Option<&str>) -> Value {
    let sa = if r.chance(1, 5) {
        "default".to_string()
    } else {
        format!("sa-{}", r.below(3))
    };
    let mut spec = json!({"serviceAccountName": sa, "containers": [{"name": "c", "image": "img"}]});
    if r.chance(1, 4) {
        spec["containers"][0]["securityContext"] = json!({"privileged": true});
    }
    if r.chance(1, 4) {
        spec["automountServiceAccountToken"] = json!(r.chance(1, 2));
    }
    if let Some(n) = node {
        spec["nodeName"] = json!(n);
    }
    let _ = ns;
    spec
}

/// A random world.
pub fn world(seed: u64) -> Vec<Value> {
    let r = &mut Rng::new(seed);
    let mut docs = Vec::new();
    for n in NODES {
        docs.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}}));
    }
    for ns in NAMESPACES {
        let mut m = meta(ns, None);
        match r.below(4) {
            0 => m["labels"] = json!({"pod-security.kubernetes.io/enforce": "baseline"}),
            1 => m["labels"] = json!({"pod-security.kubernetes.io/enforce": "privileged"}),
            _ => {}
        }
        docs.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": m}));
        for i in 0..3 {
            if r.chance(2, 3) {
                let mut sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": meta(&format!("sa-{i}"), Some(ns))});
                if r.chance(1, 5) {
                    sa["automountServiceAccountToken"] = json!(false);
                }
                docs.push(sa);
            }
        }
        for w in 0..r.below(4) {
            let name = format!("web-{w}");
            let doc = match r.below(4) {
                0 => {
                    let node = if r.chance(2, 3) {
                        Some(*r.pick(NODES))
                    } else {
                        None
                    };
                    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta(&name, Some(ns)),
                        "spec": pod_spec(r, ns, node)})
                }
                1 => {
                    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&name, Some(ns)),
                    "spec": {"template": {"spec": pod_spec(r, ns, None)}}})
                }
                2 => {
                    json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta(&name, Some(ns)),
                    "spec": {"template": {"spec": pod_spec(r, ns, None)}}})
                }
                _ => {
                    json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(&name, Some(ns)),
                    "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec(r, ns, None)}}}}})
                }
            };
            docs.push(doc);
        }
        if r.chance(1, 3) {
            let sa = format!("sa-{}", r.below(3));
            docs.push(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                "metadata": {"name": format!("{sa}-token"), "namespace": ns,
                    "annotations": {"kubernetes.io/service-account.name": sa}}}));
        }
    }
    // ClusterRoles: cluster-admin, an aggregated role and its contributors,
    // and a few from the pool.
    docs.push(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": meta("cluster-admin", None), "rules": [rule(&["*"], &["*"], &["*"])]}),
    );
    docs.push(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": meta("agg", None),
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-agg": "true"}}]}}),
    );
    let mut cluster_roles = vec!["cluster-admin".to_string(), "agg".to_string()];
    for i in 0..2 + r.below(4) {
        let name = format!("cr-{i}");
        let rules: Vec<Value> = (0..1 + r.below(3)).map(|_| pool_rule(r, false)).collect();
        let mut m = meta(&name, None);
        if r.chance(1, 3) {
            m["labels"] = json!({"to-agg": "true"});
        }
        docs.push(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": m, "rules": rules}),
        );
        cluster_roles.push(name);
    }
    let mut roles: Vec<(String, String)> = Vec::new();
    for ns in NAMESPACES {
        for i in 0..r.below(3) {
            let name = format!("role-{i}");
            let rules: Vec<Value> = (0..1 + r.below(3)).map(|_| pool_rule(r, true)).collect();
            docs.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": meta(&name, Some(ns)), "rules": rules}),
            );
            roles.push((ns.to_string(), name));
        }
    }
    for i in 0..4 + r.below(7) {
        let name = format!("b-{i}");
        let subjects_of = |r: &mut Rng, ns: Option<&str>| -> Vec<Value> {
            (0..1 + r.below(2)).map(|_| subject(r, ns)).collect()
        };
        if r.chance(2, 5) {
            let role = if r.chance(1, 10) {
                "missing".to_string()
            } else {
                r.pick(&cluster_roles).clone()
            };
            let subjects = subjects_of(r, None);
            docs.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": meta(&name, None),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": subjects}));
        } else {
            let ns = *r.pick(NAMESPACES);
            let local: Vec<&(String, String)> = roles.iter().filter(|(n, _)| n == ns).collect();
            let (kind, role) = if !local.is_empty() && r.chance(1, 2) {
                ("Role", r.pick(&local).1.clone())
            } else {
                ("ClusterRole", r.pick(&cluster_roles).clone())
            };
            let subjects = subjects_of(r, Some(ns));
            docs.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": meta(&name, Some(ns)),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
                "subjects": subjects}),
            );
        }
    }
    docs
}

/// The documents as one multi-document YAML stream (JSON is YAML).
pub fn yaml(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| format!("---\n{d}\n"))
        .collect::<String>()
}

// ----- the truth a what-if answer is checked against ---------------------

pub fn target(goal: Goal) -> Target {
    match goal {
        Goal::ClusterAdmin => Target::ClusterAdmin,
        Goal::Nodes => Target::AnyNode,
    }
}

/// The identity a principal's node stands for.
pub fn identity(n: &NodeRef) -> Identity {
    match (n.kind.as_str(), &n.namespace) {
        ("ServiceAccount", Some(ns)) => Identity::authenticated(
            format!("system:serviceaccount:{ns}:{}", n.name),
            Vec::<String>::new(),
        ),
        ("Group", _) => Identity::authenticated("", [n.name.clone()]),
        _ => Identity::authenticated(n.name.clone(), n.groups.clone()),
    }
}

/// The manifests after the patches.
pub fn apply(docs: &[Value], patches: &[ObjectPatch]) -> Vec<Value> {
    let mut out: Vec<Option<Value>> = docs.iter().cloned().map(Some).collect();
    let mut created = Vec::new();
    for p in patches {
        let at = p.object.source.as_ref().map(|s| s.document);
        match &p.action {
            PatchAction::Delete => {
                out[at.unwrap()] = None;
            }
            PatchAction::Patch { json_patch } => {
                let ops: json_patch::Patch =
                    serde_json::from_value(serde_json::to_value(json_patch).unwrap()).unwrap();
                let doc = out[at.unwrap()].as_mut().unwrap();
                json_patch::patch(doc, &ops).unwrap();
            }
            PatchAction::Create { manifest } => created.push(manifest.clone()),
        }
    }
    out.into_iter().flatten().chain(created).collect()
}

/// The principals (by key) that reach the goal before and not after.
pub fn truth(
    before: &AttackGraph<'_>,
    after: &AttackGraph<'_>,
    goal: Goal,
    depth: usize,
) -> BTreeSet<String> {
    let now: BTreeSet<String> = after
        .who_reaches(&target(goal), depth)
        .into_iter()
        .map(|p| p.source.key())
        .collect();
    let known: BTreeSet<String> = after
        .nodes()
        .iter()
        .filter(|n| n.is_principal())
        .map(|n| after.node_ref(n).key())
        .collect();
    before
        .who_reaches(&target(goal), depth)
        .into_iter()
        .filter(|p| {
            let key = p.source.key();
            if now.contains(&key) {
                return false;
            }
            if known.contains(&key) {
                return true;
            }
            after
                .paths(&identity(&p.source), &target(goal), depth)
                .next()
                .is_none()
        })
        .map(|p| p.source.key())
        .collect()
}

/// A subject as the key of its principal node ([`NodeRef::key`]).
pub fn subject_key(s: &SubjectRef) -> String {
    match s.kind.as_str() {
        "Group" => format!("group:{}", s.name),
        "ServiceAccount" => format!(
            "system:serviceaccount:{}:{}",
            s.namespace.as_deref().unwrap_or(""),
            s.name
        ),
        _ => s.name.clone(),
    }
}

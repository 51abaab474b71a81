//! Golden answers on real manifests: the install manifests of well-known
//! projects (copied byte-for-byte under `tests/fixtures/real-world/`, see its
//! `SOURCES.md`), each loaded on top of the Kubernetes default policy as the
//! cluster defaults, and the bundled demo cluster (`examples/clusters/demo`).
//!
//! Every expected value was derived by reading the YAML (subject lists in
//! full, in the subject locator's order: `system:masters`, then the subjects
//! of every allowing ClusterRoleBinding in load order, then of the allowing
//! RoleBindings). Files of a directory load in path order, and the bootstrap
//! policy loads first, so its bindings come first.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::path::{Path, PathBuf};

use rbacgraph::matching::{Mismatch, rule_allows};
use rbacgraph::model::{PolicyRule, Role, RoleKind};
use rbacgraph::query::authorize::MissReason;
use rbacgraph::{Decision, Identity, RbacGraph, Reason, Request, Severity, WhoCanQuery, covers};

// ----- loading ---------------------------------------------------------------

const BOOTSTRAP: &str = "tests/fixtures/real-world/kubernetes-bootstrap-policy";
const DEMO: &str = "examples/clusters/demo";

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Loads `paths` (relative to the package root) in order.
fn load(paths: &[&str], default_namespace: &str) -> RbacGraph {
    let mut builder = RbacGraph::builder().default_namespace(default_namespace);
    for p in paths {
        builder = builder.load_path(path(p));
    }
    builder
        .build()
        .unwrap_or_else(|e| panic!("cannot load {paths:?}: {e}"))
}

/// Loads the default policy, then a project's manifests.
fn with_bootstrap(project: &str, default_namespace: &str) -> RbacGraph {
    load(&[BOOTSTRAP, project], default_namespace)
}

fn demo() -> RbacGraph {
    load(&[DEMO], "default")
}

/// No Error-severity diagnostics (warnings allowed; all are printed on failure).
fn assert_no_errors(g: &RbacGraph) {
    let errors: Vec<String> = g
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    let all: Vec<String> = g.diagnostics().iter().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "load errors:\n{}\nall diagnostics:\n{}",
        errors.join("\n"),
        all.join("\n")
    );
}

fn assert_no_diagnostics(g: &RbacGraph) {
    let all: Vec<String> = g.diagnostics().iter().map(ToString::to_string).collect();
    assert!(
        all.is_empty(),
        "unexpected diagnostics:\n{}",
        all.join("\n")
    );
}

fn counts(pairs: &[(&str, usize)]) -> std::collections::BTreeMap<String, usize> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

// ----- identities and requests ----------------------------------------------

fn sa(namespace: &str, name: &str) -> Identity {
    Identity::authenticated(
        format!("system:serviceaccount:{namespace}:{name}"),
        Vec::<String>::new(),
    )
}

fn user(name: &str, groups: &[&str]) -> Identity {
    Identity::authenticated(name, groups.iter().copied())
}

fn res(verb: &str, group: &str, resource: &str) -> Request {
    Request::resource(verb, group, resource)
}

fn url(verb: &str, path: &str) -> Request {
    Request::non_resource(verb, path)
}

// ----- answers as comparable data --------------------------------------------

/// `who-can` subjects as `Kind [ns/]name`, in answer order.
fn who(g: &RbacGraph, request: Request, all_namespaces: bool, expand: bool) -> Vec<String> {
    let answer = g.who_can(
        &WhoCanQuery::new(request)
            .all_namespaces(all_namespaces)
            .expand(expand),
    );
    answer
        .subjects
        .iter()
        .map(|s| s.subject.to_string())
        .collect()
}

fn bound(g: &RbacGraph, request: Request) -> Vec<String> {
    who(g, request, false, false)
}

/// The reasons of a decision as `subject → binding → role rule N`.
fn reasons(d: &Decision) -> Vec<String> {
    d.reasons
        .iter()
        .map(|r| match r {
            Reason::PrivilegedGroup { group } => format!("privileged group {group}"),
            Reason::Rule {
                subject,
                binding,
                role,
                rule_index,
                ..
            } => format!("{subject} → {binding} → {role} rule {rule_index}"),
        })
        .collect()
}

/// Asserts the request is allowed, for exactly these reasons.
fn assert_allowed(g: &RbacGraph, who: &Identity, request: &Request, expected: &[&str]) {
    let d = g.authorize(who, request);
    assert!(d.allowed, "{who} {request}: expected allowed, got {d:#?}");
    assert_eq!(reasons(&d), expected, "{who} {request}");
}

/// A near miss as `(binding, role, rule index, reason)`.
type Miss = (String, String, Option<usize>, MissReason);

fn miss(binding: &str, role: &str, rule: Option<usize>, reason: MissReason) -> Miss {
    (binding.to_string(), role.to_string(), rule, reason)
}

fn rule_miss(binding: &str, role: &str, rule: usize, mismatch: Mismatch) -> Miss {
    miss(binding, role, Some(rule), MissReason::Rule { mismatch })
}

fn other_ns(binding: &str, role: &str, rule: usize, binding_ns: &str, request_ns: &str) -> Miss {
    miss(
        binding,
        role,
        Some(rule),
        MissReason::OtherNamespace {
            binding_namespace: binding_ns.into(),
            request_namespace: request_ns.into(),
        },
    )
}

/// Asserts the request is denied, with exactly these near misses; returns
/// the decision for further checks of the messages.
fn assert_denied(g: &RbacGraph, who: &Identity, request: &Request, expected: &[Miss]) -> Decision {
    let d = g.authorize(who, request);
    assert!(!d.allowed, "{who} {request}: expected denied, got {d:#?}");
    let got: Vec<Miss> = d
        .why_not
        .iter()
        .map(|m| {
            (
                m.binding.to_string(),
                m.role.to_string(),
                m.rule_index,
                m.reason.clone(),
            )
        })
        .collect();
    assert_eq!(
        got, expected,
        "{who} {request}: near misses {:#?}",
        d.why_not
    );
    d
}

// ----- roles -----------------------------------------------------------------

fn cluster_role<'g>(g: &'g RbacGraph, name: &str) -> &'g Role {
    g.roles()
        .iter()
        .find(|r| r.kind == RoleKind::ClusterRole && r.name == name)
        .unwrap_or_else(|| panic!("no ClusterRole {name}"))
}

fn rules_of(g: &RbacGraph, names: &[&str]) -> Vec<PolicyRule> {
    names
        .iter()
        .flat_map(|n| cluster_role(g, n).rules.clone())
        .collect()
}

/// The names of the ClusterRoles aggregated into `name`, sorted.
fn aggregated_from(g: &RbacGraph, name: &str) -> Vec<String> {
    let id = g
        .roles()
        .iter()
        .position(|r| r.kind == RoleKind::ClusterRole && r.name == name)
        .map(|i| rbacgraph::RoleId(u32::try_from(i).unwrap()))
        .unwrap();
    let mut names: Vec<String> = g
        .aggregated_from(id)
        .into_iter()
        .map(|r| g.role(r).unwrap().name.clone())
        .collect();
    names.sort();
    names
}

fn allows(role: &Role, request: &Request) -> bool {
    role.rules.iter().any(|r| rule_allows(r, request))
}

/// `rules_for` grouped: `(binding, number of rules)` in answer order.
fn rules_by_binding(g: &RbacGraph, who: &Identity, namespace: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for r in &g.rules_for(who, namespace).rules {
        let binding = r.binding.to_string();
        match out.last_mut() {
            Some((b, n)) if *b == binding => *n += 1,
            _ => out.push((binding, 1)),
        }
    }
    out
}

const MASTERS: &str = "Group system:masters";
const KCM: &str = "User system:kube-controller-manager";

// ===== the default policy alone ==============================================

#[test]
fn bootstrap_loads_without_any_diagnostic() {
    let g = load(&[BOOTSTRAP], "default");
    assert_no_diagnostics(&g);
    let summary = g.load_summary();
    assert_eq!(summary.files, 4);
    assert_eq!(summary.documents, 4, "each file is one `kind: List`");
    assert_eq!(
        summary.loaded,
        counts(&[
            ("ClusterRole", 31),
            ("ClusterRoleBinding", 10),
            ("Role", 7),
            ("RoleBinding", 7)
        ])
    );
    assert!(summary.skipped.is_empty());
    assert_eq!(summary.failed, 0);
    // List items keep their index.
    let view = cluster_role(&g, "view");
    assert_eq!(view.source.item, Some(30));
    assert!(view.source.file.ends_with("cluster-roles.yaml"));
}

#[test]
fn bootstrap_who_can_create_pods_in_kube_system() {
    let g = load(&[BOOTSTRAP], "default");
    let create_pods = res("create", "", "pods").in_namespace("kube-system");
    // cluster-admin (system:masters) and system:node allow it; system:node
    // is bound to nobody (the Node authorizer handles kubelets).
    let (allowing, errors) = g.allowing_bindings(&create_pods, false);
    let allowing: Vec<String> = allowing
        .iter()
        .map(|a| g.binding_ref(a.binding).to_string())
        .collect();
    assert_eq!(
        allowing,
        [
            "ClusterRoleBinding cluster-admin",
            "ClusterRoleBinding system:node"
        ]
    );
    assert!(errors.is_empty());

    let answer = g.who_can(&WhoCanQuery::new(create_pods.clone()));
    assert_eq!(bound(&g, create_pods.clone()), [MASTERS]);
    let grants: Vec<String> = answer.subjects[0]
        .grants
        .iter()
        .map(|gr| format!("{} → {} {:?}", gr.binding, gr.role, gr.rules))
        .collect();
    assert_eq!(
        grants,
        ["ClusterRoleBinding cluster-admin → ClusterRole cluster-admin [0]"]
    );
    // No known user or service account is in system:masters.
    assert!(who(&g, create_pods, false, true).is_empty());
}

#[test]
fn bootstrap_who_can_list_secrets_cluster_wide() {
    let g = load(&[BOOTSTRAP], "default");
    let list_secrets = res("list", "", "secrets");
    // At cluster scope only ClusterRoleBindings count: cluster-admin and
    // system:kube-controller-manager (`*/*` list/watch).
    assert_eq!(bound(&g, list_secrets.clone()), [MASTERS, KCM]);
    // In every namespace: also the kube-system Roles of the bootstrap signer
    // and the token cleaner.
    assert_eq!(
        who(&g, list_secrets.clone(), true, false),
        [
            MASTERS,
            KCM,
            "ServiceAccount kube-system/bootstrap-signer",
            "ServiceAccount kube-system/token-cleaner",
        ]
    );
    assert_eq!(
        who(&g, list_secrets, true, true),
        [
            "ServiceAccount kube-system/bootstrap-signer",
            "ServiceAccount kube-system/token-cleaner",
            KCM,
        ]
    );
}

#[test]
fn bootstrap_aggregated_roles() {
    let g = load(&[BOOTSTRAP], "default");
    // view ← system:aggregate-to-view; edit ← system:aggregate-to-edit, view;
    // admin ← edit, system:aggregate-to-admin (selected roles in name order).
    assert_eq!(aggregated_from(&g, "view"), ["system:aggregate-to-view"]);
    assert_eq!(
        aggregated_from(&g, "edit"),
        ["system:aggregate-to-edit", "view"]
    );
    assert_eq!(
        aggregated_from(&g, "admin"),
        ["edit", "system:aggregate-to-admin"]
    );
    let view = cluster_role(&g, "view");
    let edit = cluster_role(&g, "edit");
    let admin = cluster_role(&g, "admin");
    assert_eq!(view.rules, rules_of(&g, &["system:aggregate-to-view"]));
    assert_eq!(
        edit.rules,
        rules_of(
            &g,
            &["system:aggregate-to-edit", "system:aggregate-to-view"]
        )
    );
    assert_eq!(
        admin.rules,
        rules_of(
            &g,
            &[
                "system:aggregate-to-edit",
                "system:aggregate-to-view",
                "system:aggregate-to-admin"
            ]
        )
    );
    assert_eq!(
        (view.rules.len(), edit.rules.len(), admin.rules.len()),
        (10, 23, 25)
    );
    assert!(cluster_role(&g, "cluster-admin").aggregation.is_none());

    let ns = |r: Request| r.in_namespace("team-a");
    let token = ns(res("create", "", "serviceaccounts").subresource("token"));
    assert!(allows(edit, &token) && allows(admin, &token) && !allows(view, &token));
    let get_secrets = ns(res("get", "", "secrets"));
    assert!(allows(edit, &get_secrets) && !allows(view, &get_secrets));
    let bind = ns(res("create", "rbac.authorization.k8s.io", "rolebindings"));
    assert!(allows(admin, &bind) && !allows(edit, &bind));
    // The upstream invariant (policy_test.go TestEditViewRelationship): view
    // reads no secrets and no pod or service subresource that reaches into a
    // workload.
    for (group, resource, sub) in [
        ("", "pods", "attach"),
        ("", "pods", "exec"),
        ("", "pods", "portforward"),
        ("", "pods", "proxy"),
        ("", "services", "proxy"),
        ("apps", "deployments", "rollback"),
        ("extensions", "deployments", "rollback"),
    ] {
        for verb in ["get", "list", "watch"] {
            let r = ns(res(verb, group, resource).subresource(sub));
            assert!(!allows(view, &r), "view allows {r}");
        }
    }
    assert!(allows(view, &ns(res("get", "", "pods").subresource("log"))));
}

#[test]
fn bootstrap_anonymous_sees_only_public_info() {
    let g = load(&[BOOTSTRAP], "default");
    let anonymous = user("system:anonymous", &[]);
    assert_eq!(anonymous.groups, ["system:unauthenticated"]);
    let public = "Group system:unauthenticated → ClusterRoleBinding system:public-info-viewer \
                  → ClusterRole system:public-info-viewer rule 0";
    for path in ["/healthz", "/livez", "/readyz", "/version", "/version/"] {
        assert_allowed(&g, &anonymous, &url("get", path), &[public]);
    }
    // Discovery is for authenticated users only.
    let d = assert_denied(
        &g,
        &anonymous,
        &url("get", "/apis"),
        &[rule_miss(
            "ClusterRoleBinding system:public-info-viewer",
            "ClusterRole system:public-info-viewer",
            0,
            Mismatch::NonResourceUrl,
        )],
    );
    assert!(d.why_not[0].message.contains("no URL covers `/apis`"));
    assert_denied(
        &g,
        &anonymous,
        &url("post", "/healthz"),
        &[rule_miss(
            "ClusterRoleBinding system:public-info-viewer",
            "ClusterRole system:public-info-viewer",
            0,
            Mismatch::Verb,
        )],
    );
    // A URL rule is no near miss for a resource request.
    assert_denied(
        &g,
        &anonymous,
        &res("get", "", "pods").in_namespace("default"),
        &[],
    );

    let jane = user("jane", &[]);
    assert_allowed(
        &g,
        &jane,
        &url("get", "/apis/apps/v1"),
        &[
            "Group system:authenticated → ClusterRoleBinding system:discovery → ClusterRole system:discovery rule 0",
        ],
    );
    assert_allowed(
        &g,
        &jane,
        &url("get", "/healthz"),
        &[
            "Group system:authenticated → ClusterRoleBinding system:discovery → ClusterRole system:discovery rule 0",
            "Group system:authenticated → ClusterRoleBinding system:public-info-viewer → ClusterRole system:public-info-viewer rule 0",
        ],
    );
    assert_eq!(
        bound(&g, url("get", "/healthz")),
        [
            MASTERS,
            "Group system:authenticated",
            "Group system:unauthenticated"
        ]
    );
    assert_eq!(
        bound(&g, url("get", "/apis")),
        [MASTERS, "Group system:authenticated"]
    );
}

#[test]
fn bootstrap_kube_scheduler() {
    let g = load(&[BOOTSTRAP], "default");
    let scheduler = user("system:kube-scheduler", &[]);
    let via_crb = |rule: usize| {
        format!(
            "User system:kube-scheduler → ClusterRoleBinding system:kube-scheduler → \
             ClusterRole system:kube-scheduler rule {rule}"
        )
    };
    assert_allowed(
        &g,
        &scheduler,
        &res("create", "", "pods")
            .subresource("binding")
            .named("web-0")
            .in_namespace("default"),
        &[&via_crb(5)],
    );
    assert_allowed(
        &g,
        &scheduler,
        &res("delete", "", "pods")
            .named("web-0")
            .in_namespace("kube-system"),
        &[&via_crb(4)],
    );
    // It binds and deletes pods but never creates them (rule 0 creates
    // events, in the core group too).
    assert_denied(
        &g,
        &scheduler,
        &res("create", "", "pods").in_namespace("default"),
        &[
            rule_miss(
                "ClusterRoleBinding system:kube-scheduler",
                "ClusterRole system:kube-scheduler",
                0,
                Mismatch::Resource,
            ),
            rule_miss(
                "ClusterRoleBinding system:kube-scheduler",
                "ClusterRole system:kube-scheduler",
                4,
                Mismatch::Verb,
            ),
            rule_miss(
                "ClusterRoleBinding system:kube-scheduler",
                "ClusterRole system:kube-scheduler",
                5,
                Mismatch::Subresource,
            ),
        ],
    );
    // Its lease: the name-limited ClusterRole rule and the kube-system Role.
    assert_allowed(
        &g,
        &scheduler,
        &res("update", "coordination.k8s.io", "leases")
            .named("kube-scheduler")
            .in_namespace("kube-system"),
        &[
            &via_crb(2),
            "User system:kube-scheduler → RoleBinding kube-system/system::leader-locking-kube-scheduler \
             → Role kube-system/system::leader-locking-kube-scheduler rule 0",
        ],
    );
    assert_allowed(
        &g,
        &scheduler,
        &res("get", "", "configmaps")
            .named("extension-apiserver-authentication")
            .in_namespace("kube-system"),
        &[
            "User system:kube-scheduler → RoleBinding kube-system/system::extension-apiserver-authentication-reader \
           → Role kube-system/extension-apiserver-authentication-reader rule 0",
        ],
    );
    assert!(
        !g.authorize(
            &scheduler,
            &res("get", "", "secrets").in_namespace("kube-system")
        )
        .allowed
    );

    let in_kube_system = rules_by_binding(&g, &scheduler, "kube-system");
    let expected_crbs = [
        ("ClusterRoleBinding system:basic-user", 2),
        ("ClusterRoleBinding system:discovery", 1),
        ("ClusterRoleBinding system:kube-scheduler", 18),
        ("ClusterRoleBinding system:public-info-viewer", 1),
        ("ClusterRoleBinding system:volume-scheduler", 3),
    ];
    let mut expected: Vec<(String, usize)> = expected_crbs
        .iter()
        .map(|&(b, n)| (b.to_string(), n))
        .collect();
    expected.push((
        "RoleBinding kube-system/system::extension-apiserver-authentication-reader".into(),
        1,
    ));
    expected.push((
        "RoleBinding kube-system/system::leader-locking-kube-scheduler".into(),
        2,
    ));
    assert_eq!(in_kube_system, expected);
    let list = g.rules_for(&scheduler, "kube-system");
    assert_eq!(list.rules.len(), 28);
    assert_eq!(list.non_resource_rules().count(), 2);
    assert_eq!(list.resource_rules().count(), 26);
    assert!(list.errors.is_empty());
    assert_eq!(g.rules_for(&scheduler, "default").rules.len(), 25);
}

// ===== argo-cd ===============================================================

const ARGOCD: &str = "tests/fixtures/real-world/argo-cd/manifests/install.yaml";

fn argocd() -> RbacGraph {
    with_bootstrap(ARGOCD, "argocd")
}

#[test]
fn argocd_loads_cleanly_into_its_namespace() {
    let g = argocd();
    assert_no_errors(&g);
    let summary = g.load_summary();
    assert_eq!(
        summary.loaded,
        counts(&[
            ("ClusterRole", 31 + 3),
            ("ClusterRoleBinding", 10 + 3),
            ("CustomResourceDefinition", 3),
            ("Deployment", 6),
            ("Role", 7 + 6),
            ("RoleBinding", 7 + 6),
            ("Secret", 2),
            ("ServiceAccount", 7),
            ("StatefulSet", 1),
        ])
    );
    assert_eq!(
        summary.skipped,
        counts(&[("ConfigMap", 7), ("NetworkPolicy", 7), ("Service", 8)])
    );
    // The manifest names no namespace: everything lands in argocd, and a Role
    // and a ClusterRole share the name argocd-server.
    let server_roles: Vec<String> = g
        .roles()
        .iter()
        .filter(|r| r.name == "argocd-server")
        .map(|r| format!("{} {:?}", r.kind, r.namespace))
        .collect();
    assert_eq!(server_roles, ["Role Some(\"argocd\")", "ClusterRole None"]);
}

#[test]
fn argocd_application_controller_is_cluster_admin_equivalent() {
    let g = argocd();
    let controller = sa("argocd", "argocd-application-controller");
    let everything = g.rules_for(&controller, "");
    let rules: Vec<PolicyRule> = everything.rules.iter().map(|r| r.rule.clone()).collect();
    let (covered, missing) = covers(&rules, &cluster_role(&g, "cluster-admin").rules);
    assert!(covered, "missing {missing:?}");

    let rule = |i: usize| {
        format!(
            "ServiceAccount argocd/argocd-application-controller → ClusterRoleBinding \
             argocd-application-controller → ClusterRole argocd-application-controller rule {i}"
        )
    };
    for request in [
        res("create", "", "pods").in_namespace("kube-system"),
        res("delete", "", "nodes").named("node-1"),
        res("escalate", "rbac.authorization.k8s.io", "clusterroles").named("admin"),
        res("impersonate", "", "users").named("alice"),
        res("create", "", "serviceaccounts")
            .subresource("token")
            .named("default")
            .in_namespace("default"),
    ] {
        assert_allowed(&g, &controller, &request, &[&rule(0)]);
    }
    // nonResourceURLs `*` too (the default policy's bindings load first).
    assert_allowed(&g, &controller, &url("delete", "/logs/x"), &[&rule(1)]);
    assert_allowed(
        &g,
        &controller,
        &url("get", "/version"),
        &[
            "Group system:authenticated → ClusterRoleBinding system:discovery → ClusterRole system:discovery rule 0",
            "Group system:authenticated → ClusterRoleBinding system:public-info-viewer → ClusterRole system:public-info-viewer rule 0",
            &rule(1),
        ],
    );
    let controller_sa = "ServiceAccount argocd/argocd-application-controller";
    assert_eq!(
        bound(
            &g,
            res("escalate", "rbac.authorization.k8s.io", "clusterroles")
        ),
        [MASTERS, controller_sa]
    );
    assert_eq!(bound(&g, url("get", "/metrics")), [MASTERS, controller_sa]);
}

#[test]
fn argocd_server_deletes_pods_everywhere_but_cannot_create_them() {
    let g = argocd();
    let server = sa("argocd", "argocd-server");
    let rule0 = "ServiceAccount argocd/argocd-server → ClusterRoleBinding argocd-server → \
                 ClusterRole argocd-server rule 0";
    assert_allowed(
        &g,
        &server,
        &res("delete", "", "pods")
            .named("coredns-1")
            .in_namespace("kube-system"),
        &[rule0],
    );
    assert_allowed(&g, &server, &res("delete", "", "pods"), &[rule0]);
    assert_allowed(
        &g,
        &server,
        &res("patch", "apps", "deployments")
            .named("web")
            .in_namespace("shop"),
        &[rule0],
    );
    let crb = "ClusterRoleBinding argocd-server";
    let cr = "ClusterRole argocd-server";
    // In argocd its Role also names secrets/configmaps and events for create.
    assert_denied(
        &g,
        &server,
        &res("create", "", "pods").in_namespace("argocd"),
        &[
            rule_miss(crb, cr, 0, Mismatch::Verb),
            rule_miss(crb, cr, 3, Mismatch::Verb),
            rule_miss(
                "RoleBinding argocd/argocd-server",
                "Role argocd/argocd-server",
                0,
                Mismatch::Resource,
            ),
            rule_miss(
                "RoleBinding argocd/argocd-server",
                "Role argocd/argocd-server",
                2,
                Mismatch::Resource,
            ),
        ],
    );
    assert_denied(
        &g,
        &server,
        &res("create", "", "pods").in_namespace("kube-system"),
        &[
            rule_miss(crb, cr, 0, Mismatch::Verb),
            rule_miss(crb, cr, 3, Mismatch::Verb),
        ],
    );
    assert_eq!(
        bound(&g, res("delete", "", "pods")),
        [
            MASTERS,
            "User system:kube-scheduler",
            "ServiceAccount argocd/argocd-application-controller",
            "ServiceAccount argocd/argocd-server",
        ]
    );
    assert_eq!(
        bound(&g, res("create", "", "pods").in_namespace("argocd")),
        [
            MASTERS,
            "ServiceAccount argocd/argocd-application-controller"
        ]
    );
}

#[test]
fn argocd_who_can_get_secrets_in_argocd() {
    let g = argocd();
    let get = || res("get", "", "secrets").in_namespace("argocd");
    let base = [
        MASTERS,
        KCM,
        "ServiceAccount argocd/argocd-application-controller",
        "ServiceAccount argocd/argocd-applicationset-controller",
        "ServiceAccount argocd/argocd-server",
        "ServiceAccount argocd/argocd-dex-server",
    ];
    // The RoleBinding subjects have no namespace: they are argocd's.
    assert_eq!(bound(&g, get()), base);
    // Name-limited rules count only for their names.
    let mut redis = base.to_vec();
    redis.push("ServiceAccount argocd/argocd-redis");
    assert_eq!(bound(&g, get().named("argocd-redis")), redis);
    let mut notifications = base.to_vec();
    notifications.push("ServiceAccount argocd/argocd-notifications-controller");
    assert_eq!(
        bound(&g, get().named("argocd-notifications-secret")),
        notifications
    );
    assert_eq!(
        who(&g, get(), false, true),
        [
            "ServiceAccount argocd/argocd-application-controller",
            "ServiceAccount argocd/argocd-applicationset-controller",
            "ServiceAccount argocd/argocd-dex-server",
            "ServiceAccount argocd/argocd-server",
            KCM,
        ]
    );
}

// ===== flux2 =================================================================

const FLUX: &str = "tests/fixtures/real-world/flux2/manifests";
const FLUX_CONTROLLERS: [&str; 7] = [
    "kustomize-controller",
    "helm-controller",
    "source-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
];

fn flux() -> RbacGraph {
    with_bootstrap(FLUX, "flux-system")
}

#[test]
fn flux_loads_cleanly_into_flux_system() {
    let g = flux();
    assert_no_errors(&g);
    assert_eq!(
        g.load_summary().loaded,
        counts(&[
            ("ClusterRole", 31 + 3),
            ("ClusterRoleBinding", 10 + 2),
            ("Namespace", 1),
            ("Role", 7),
            ("RoleBinding", 7),
            ("ServiceAccount", 7),
        ])
    );
    assert_eq!(
        g.load_summary().skipped,
        counts(&[("Kustomization", 2), ("ResourceQuota", 1)])
    );
    let mut accounts: Vec<String> = g
        .service_accounts()
        .iter()
        .map(|s| format!("{}/{}", s.namespace, s.name))
        .collect();
    accounts.sort();
    let mut expected: Vec<String> = FLUX_CONTROLLERS
        .iter()
        .map(|c| format!("flux-system/{c}"))
        .collect();
    expected.sort();
    assert_eq!(accounts, expected);
}

#[test]
fn flux_reconcilers_are_cluster_admin() {
    let g = flux();
    assert_eq!(
        bound(
            &g,
            res("create", "rbac.authorization.k8s.io", "clusterrolebindings")
        ),
        [
            MASTERS,
            "ServiceAccount flux-system/kustomize-controller",
            "ServiceAccount flux-system/helm-controller",
        ]
    );
    assert_allowed(
        &g,
        &sa("flux-system", "helm-controller"),
        &res("delete", "", "namespaces").named("shop"),
        &[
            "ServiceAccount flux-system/helm-controller → ClusterRoleBinding cluster-reconciler → ClusterRole cluster-admin rule 0",
        ],
    );
    // The other controllers have `*` only in the flux API groups.
    let misses: Vec<Miss> = (0..6)
        .map(|i| {
            rule_miss(
                "ClusterRoleBinding crd-controller",
                "ClusterRole crd-controller",
                i,
                Mismatch::ApiGroup,
            )
        })
        .collect();
    assert_denied(
        &g,
        &sa("flux-system", "source-controller"),
        &res("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
        &misses,
    );
}

#[test]
fn flux_controllers_all_read_secrets_cluster_wide() {
    let g = flux();
    let list_secrets = res("list", "", "secrets");
    let mut expected = vec![MASTERS.to_string(), KCM.to_string()];
    expected.extend(
        FLUX_CONTROLLERS
            .iter()
            .map(|c| format!("ServiceAccount flux-system/{c}")),
    );
    assert_eq!(bound(&g, list_secrets.clone()), expected);
    assert_eq!(
        who(&g, list_secrets.clone(), false, true),
        [
            "ServiceAccount flux-system/helm-controller",
            "ServiceAccount flux-system/image-automation-controller",
            "ServiceAccount flux-system/image-reflector-controller",
            "ServiceAccount flux-system/kustomize-controller",
            "ServiceAccount flux-system/notification-controller",
            "ServiceAccount flux-system/source-controller",
            "ServiceAccount flux-system/source-watcher",
            KCM,
        ]
    );
    // kustomize-controller holds it twice: crd-controller rule 6 and cluster-admin.
    let answer = g.who_can(&WhoCanQuery::new(list_secrets));
    let grants: Vec<String> = answer.subjects[2]
        .grants
        .iter()
        .map(|gr| format!("{} {:?}", gr.binding, gr.rules))
        .collect();
    assert_eq!(
        grants,
        [
            "ClusterRoleBinding crd-controller [6]",
            "ClusterRoleBinding cluster-reconciler [0]"
        ]
    );
    for c in FLUX_CONTROLLERS {
        let token = res("create", "", "serviceaccounts")
            .subresource("token")
            .named("app")
            .in_namespace("shop");
        assert!(g.authorize(&sa("flux-system", c), &token).allowed, "{c}");
    }
}

#[test]
fn flux_roles_aggregate_into_view_edit_and_admin() {
    let g = flux();
    assert_eq!(
        aggregated_from(&g, "view"),
        ["flux-view", "system:aggregate-to-view"]
    );
    assert_eq!(
        aggregated_from(&g, "edit"),
        ["flux-edit", "flux-view", "system:aggregate-to-edit", "view"]
    );
    assert_eq!(
        aggregated_from(&g, "admin"),
        [
            "edit",
            "flux-edit",
            "flux-view",
            "system:aggregate-to-admin"
        ]
    );
    let view = cluster_role(&g, "view");
    let edit = cluster_role(&g, "edit");
    let admin = cluster_role(&g, "admin");
    // Selected roles in name order, duplicates (flux-view through view) once.
    let view_rules = rules_of(&g, &["flux-view", "system:aggregate-to-view"]);
    let edit_rules = rules_of(
        &g,
        &[
            "flux-edit",
            "flux-view",
            "system:aggregate-to-edit",
            "system:aggregate-to-view",
        ],
    );
    let admin_rules = [
        edit_rules.clone(),
        rules_of(&g, &["system:aggregate-to-admin"]),
    ]
    .concat();
    assert_eq!(view.rules, view_rules);
    assert_eq!(edit.rules, edit_rules);
    assert_eq!(admin.rules, admin_rules);
    assert_eq!(
        (view.rules.len(), edit.rules.len(), admin.rules.len()),
        (11, 25, 27)
    );
    let ks = |verb: &str| {
        res(verb, "kustomize.toolkit.fluxcd.io", "kustomizations").in_namespace("team-a")
    };
    assert!(allows(view, &ks("get")) && !allows(view, &ks("create")));
    assert!(allows(edit, &ks("create")) && allows(admin, &ks("deletecollection")));
}

// ===== kube-prometheus =======================================================

const KUBE_PROMETHEUS: &str = "tests/fixtures/real-world/kube-prometheus/manifests";

#[test]
fn kube_prometheus_loads_cleanly_and_expands_lists() {
    let g = with_bootstrap(KUBE_PROMETHEUS, "monitoring");
    assert_no_errors(&g);
    let loaded = &g.load_summary().loaded;
    assert_eq!(loaded["ClusterRole"], 31 + 8);
    assert_eq!(loaded["ClusterRoleBinding"], 10 + 7);
    assert_eq!(loaded["Role"], 7 + 4);
    assert_eq!(loaded["RoleBinding"], 7 + 5);
    assert_eq!(loaded["ServiceAccount"], 8);
    // The third item of prometheus-roleSpecificNamespaces.yaml's RoleList.
    let role = g
        .roles()
        .iter()
        .find(|r| r.name == "prometheus-k8s" && r.namespace.as_deref() == Some("monitoring"))
        .unwrap();
    assert!(
        role.source
            .file
            .ends_with("prometheus-roleSpecificNamespaces.yaml")
    );
    assert_eq!((role.source.document, role.source.item), (0, Some(2)));
}

#[test]
fn kube_prometheus_secrets_and_metrics() {
    let g = with_bootstrap(KUBE_PROMETHEUS, "monitoring");
    assert_eq!(
        bound(&g, res("list", "", "secrets")),
        [
            MASTERS,
            KCM,
            "ServiceAccount monitoring/kube-state-metrics",
            "ServiceAccount monitoring/prometheus-operator",
        ]
    );
    assert_eq!(
        bound(&g, url("get", "/metrics")),
        [MASTERS, "ServiceAccount monitoring/prometheus-k8s"]
    );
    // kube-state-metrics lists secrets (metadata for metrics) but cannot get one.
    assert_denied(
        &g,
        &sa("monitoring", "kube-state-metrics"),
        &res("get", "", "secrets")
            .named("alertmanager-main")
            .in_namespace("monitoring"),
        &[rule_miss(
            "ClusterRoleBinding kube-state-metrics",
            "ClusterRole kube-state-metrics",
            0,
            Mismatch::Verb,
        )],
    );
    assert_allowed(
        &g,
        &sa("monitoring", "prometheus-operator"),
        &res("create", "apps", "statefulsets").in_namespace("kube-system"),
        &[
            "ServiceAccount monitoring/prometheus-operator → ClusterRoleBinding prometheus-operator → ClusterRole prometheus-operator rule 1",
        ],
    );
    // Prometheus discovers pods only in the three namespaces it has Roles in.
    let prometheus = sa("monitoring", "prometheus-k8s");
    assert_allowed(
        &g,
        &prometheus,
        &res("list", "", "pods").in_namespace("kube-system"),
        &[
            "ServiceAccount monitoring/prometheus-k8s → RoleBinding kube-system/prometheus-k8s → Role kube-system/prometheus-k8s rule 1",
        ],
    );
    assert_denied(
        &g,
        &prometheus,
        &res("list", "", "pods").in_namespace("shop"),
        &[
            other_ns(
                "RoleBinding default/prometheus-k8s",
                "Role default/prometheus-k8s",
                1,
                "default",
                "shop",
            ),
            other_ns(
                "RoleBinding kube-system/prometheus-k8s",
                "Role kube-system/prometheus-k8s",
                1,
                "kube-system",
                "shop",
            ),
            other_ns(
                "RoleBinding monitoring/prometheus-k8s",
                "Role monitoring/prometheus-k8s",
                1,
                "monitoring",
                "shop",
            ),
        ],
    );
    assert_allowed(
        &g,
        &prometheus,
        &res("get", "", "nodes")
            .subresource("metrics")
            .named("node-1"),
        &[
            "ServiceAccount monitoring/prometheus-k8s → ClusterRoleBinding prometheus-k8s → ClusterRole prometheus-k8s rule 0",
        ],
    );
}

#[test]
fn kube_prometheus_adapter_needs_the_default_policy() {
    let g = with_bootstrap(KUBE_PROMETHEUS, "monitoring");
    let adapter = sa("monitoring", "prometheus-adapter");
    assert_allowed(
        &g,
        &adapter,
        &res("create", "authentication.k8s.io", "tokenreviews"),
        &[
            "ServiceAccount monitoring/prometheus-adapter → ClusterRoleBinding resource-metrics:system:auth-delegator → ClusterRole system:auth-delegator rule 0",
        ],
    );
    assert_allowed(
        &g,
        &adapter,
        &res("get", "", "configmaps")
            .named("extension-apiserver-authentication")
            .in_namespace("kube-system"),
        &[
            "ServiceAccount monitoring/prometheus-adapter → RoleBinding kube-system/resource-metrics-auth-reader → Role kube-system/extension-apiserver-authentication-reader rule 0",
        ],
    );
    // system:aggregated-metrics-reader joins view (after system:aggregate-to-view).
    let view = cluster_role(&g, "view");
    assert_eq!(
        view.rules,
        rules_of(
            &g,
            &[
                "system:aggregate-to-view",
                "system:aggregated-metrics-reader"
            ]
        )
    );
    assert!(allows(
        view,
        &res("list", "metrics.k8s.io", "pods").in_namespace("shop")
    ));
}

// ===== ingress-nginx =========================================================

const INGRESS_NGINX: &str = "tests/fixtures/real-world/ingress-nginx";

#[test]
fn ingress_nginx_lists_secrets_cluster_wide_but_gets_only_its_own() {
    let g = with_bootstrap(INGRESS_NGINX, "ingress-nginx");
    assert_no_errors(&g);
    let controller = "ServiceAccount ingress-nginx/ingress-nginx";
    assert_eq!(
        bound(&g, res("list", "", "secrets")),
        [MASTERS, KCM, controller]
    );
    assert_eq!(
        who(&g, res("get", "", "secrets"), true, false),
        [
            MASTERS,
            KCM,
            "ServiceAccount kube-system/bootstrap-signer",
            "ServiceAccount kube-system/token-cleaner",
            controller,
            "ServiceAccount ingress-nginx/ingress-nginx-admission",
        ]
    );
    let nginx = sa("ingress-nginx", "ingress-nginx");
    assert_allowed(
        &g,
        &nginx,
        &res("get", "", "secrets")
            .named("tls")
            .in_namespace("ingress-nginx"),
        &[
            "ServiceAccount ingress-nginx/ingress-nginx → RoleBinding ingress-nginx/ingress-nginx → Role ingress-nginx/ingress-nginx rule 1",
        ],
    );
    let crb = "ClusterRoleBinding ingress-nginx";
    let cr = "ClusterRole ingress-nginx";
    assert_denied(
        &g,
        &nginx,
        &res("get", "", "secrets")
            .named("tls")
            .in_namespace("default"),
        &[
            rule_miss(crb, cr, 0, Mismatch::Verb),
            rule_miss(crb, cr, 2, Mismatch::Resource),
            rule_miss(crb, cr, 3, Mismatch::Resource),
            other_ns(
                "RoleBinding ingress-nginx/ingress-nginx",
                "Role ingress-nginx/ingress-nginx",
                1,
                "ingress-nginx",
                "default",
            ),
        ],
    );
}

// ===== metrics-server ========================================================

const METRICS_SERVER: &str = "tests/fixtures/real-world/metrics-server/manifests/base";

#[test]
fn metrics_server_with_the_default_policy() {
    let g = with_bootstrap(METRICS_SERVER, "kube-system");
    assert_no_diagnostics(&g);
    let ms = sa("kube-system", "metrics-server");
    let via = |binding: &str, role: &str, rule: usize| {
        format!("ServiceAccount kube-system/metrics-server → {binding} → {role} rule {rule}")
    };
    let delegator = "ClusterRoleBinding metrics-server:system:auth-delegator";
    assert_allowed(
        &g,
        &ms,
        &res("create", "authentication.k8s.io", "tokenreviews"),
        &[&via(delegator, "ClusterRole system:auth-delegator", 0)],
    );
    assert_allowed(
        &g,
        &ms,
        &res("create", "authorization.k8s.io", "subjectaccessreviews"),
        &[&via(delegator, "ClusterRole system:auth-delegator", 1)],
    );
    let reader = "Role kube-system/extension-apiserver-authentication-reader";
    assert_allowed(
        &g,
        &ms,
        &res("get", "", "configmaps")
            .named("extension-apiserver-authentication")
            .in_namespace("kube-system"),
        &[&via(
            "RoleBinding kube-system/metrics-server-auth-reader",
            reader,
            0,
        )],
    );
    let d = assert_denied(
        &g,
        &ms,
        &res("list", "", "configmaps").in_namespace("kube-system"),
        &[
            rule_miss(
                "ClusterRoleBinding system:metrics-server",
                "ClusterRole system:metrics-server",
                1,
                Mismatch::Resource,
            ),
            rule_miss(
                "RoleBinding kube-system/metrics-server-auth-reader",
                reader,
                0,
                Mismatch::ResourceNames {
                    allowed: vec!["extension-apiserver-authentication".into()],
                },
            ),
        ],
    );
    assert!(
        d.why_not[1]
            .message
            .contains("never match a request without a name")
    );
    assert_allowed(
        &g,
        &ms,
        &res("get", "", "nodes")
            .subresource("metrics")
            .named("node-1"),
        &[&via(
            "ClusterRoleBinding system:metrics-server",
            "ClusterRole system:metrics-server",
            0,
        )],
    );
    assert_eq!(
        bound(
            &g,
            res("get", "", "configmaps")
                .named("extension-apiserver-authentication")
                .in_namespace("kube-system")
        ),
        [
            MASTERS,
            KCM,
            "User system:kube-scheduler",
            "ServiceAccount kube-system/cloud-provider",
            "ServiceAccount kube-system/metrics-server",
        ]
    );
    // The aggregated metrics reader joins view.
    assert!(allows(
        cluster_role(&g, "view"),
        &res("get", "metrics.k8s.io", "pods").in_namespace("shop")
    ));
}

#[test]
fn metrics_server_alone_has_two_dangling_role_refs() {
    let g = load(&[METRICS_SERVER], "kube-system");
    let dangling: Vec<(Severity, String, String, String)> = g
        .diagnostics()
        .iter()
        .map(|d| {
            (
                d.severity,
                d.object.clone().unwrap_or_default(),
                d.field.clone().unwrap_or_default(),
                d.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        dangling,
        [
            (
                Severity::Warning,
                "RoleBinding kube-system/metrics-server-auth-reader".to_string(),
                "roleRef".to_string(),
                "Role `kube-system/extension-apiserver-authentication-reader` does not exist; \
                 the binding grants nothing until it is created"
                    .to_string()
            ),
            (
                Severity::Warning,
                "ClusterRoleBinding metrics-server:system:auth-delegator".to_string(),
                "roleRef".to_string(),
                "ClusterRole `system:auth-delegator` does not exist; \
                 the binding grants nothing until it is created"
                    .to_string()
            ),
        ]
    );
    assert_eq!(g.stats().dangling_bindings, 2);
    let d = assert_denied(
        &g,
        &sa("kube-system", "metrics-server"),
        &res("create", "authentication.k8s.io", "tokenreviews"),
        &[miss(
            "ClusterRoleBinding metrics-server:system:auth-delegator",
            "ClusterRole system:auth-delegator",
            None,
            MissReason::MissingRole,
        )],
    );
    assert_eq!(
        d.errors,
        [
            "ClusterRoleBinding metrics-server:system:auth-delegator: ClusterRole `system:auth-delegator` not found"
        ]
    );
}

// ===== kubernetes-dashboard ==================================================

const DASHBOARD: &str = "tests/fixtures/real-world/kubernetes-dashboard";

#[test]
fn dashboard_reads_only_its_named_secrets() {
    let g = with_bootstrap(DASHBOARD, "kubernetes-dashboard");
    assert_no_errors(&g);
    let dashboard = sa("kubernetes-dashboard", "kubernetes-dashboard");
    let secrets = |verb: &str| res(verb, "", "secrets").in_namespace("kubernetes-dashboard");
    let rb = "RoleBinding kubernetes-dashboard/kubernetes-dashboard";
    let role = "Role kubernetes-dashboard/kubernetes-dashboard";
    assert_allowed(
        &g,
        &dashboard,
        &secrets("get").named("kubernetes-dashboard-certs"),
        &[&format!(
            "ServiceAccount kubernetes-dashboard/kubernetes-dashboard → {rb} → {role} rule 0"
        )],
    );
    let names = Mismatch::ResourceNames {
        allowed: vec![
            "kubernetes-dashboard-key-holder".into(),
            "kubernetes-dashboard-certs".into(),
            "kubernetes-dashboard-csrf".into(),
        ],
    };
    // `list` is neither among the rule's verbs nor possible with resourceNames.
    let d = assert_denied(
        &g,
        &dashboard,
        &secrets("list"),
        &[rule_miss(rb, role, 0, names.clone())],
    );
    assert_eq!(
        d.why_not[0].message,
        format!(
            "{rb} → {role} rule 0 does not allow the verb `list` and is limited to resourceNames \
             [kubernetes-dashboard-key-holder, kubernetes-dashboard-certs, kubernetes-dashboard-csrf], \
             which never match a request without a name (create, list, watch, deletecollection)"
        )
    );
    let d = assert_denied(
        &g,
        &dashboard,
        &secrets("get").named("admin-token"),
        &[rule_miss(rb, role, 0, names)],
    );
    assert!(d.why_not[0].message.ends_with("not `admin-token`"));
    assert_eq!(bound(&g, secrets("list")), [MASTERS, KCM]);
    assert_eq!(
        bound(&g, secrets("get").named("kubernetes-dashboard-csrf")),
        [
            MASTERS,
            KCM,
            "ServiceAccount kubernetes-dashboard/kubernetes-dashboard"
        ]
    );
}

// ===== kubernetes-goat =======================================================

const GOAT: &str = "tests/fixtures/real-world/kubernetes-goat";

#[test]
fn goat_superadmin_and_big_monolith() {
    let g = with_bootstrap(GOAT, "default");
    assert_no_errors(&g);
    let superadmin = "ServiceAccount kube-system/superadmin";
    assert_eq!(
        bound(
            &g,
            res("create", "rbac.authorization.k8s.io", "clusterrolebindings")
        ),
        [MASTERS, superadmin]
    );
    let monolith = "ServiceAccount big-monolith/big-monolith-sa";
    assert_eq!(
        bound(&g, res("get", "", "secrets").in_namespace("big-monolith")),
        [MASTERS, KCM, superadmin, monolith]
    );
    // The RoleBinding subject has no namespace: the binding's (big-monolith).
    let binding = g
        .bindings()
        .iter()
        .find(|b| b.name == "secret-reader-binding")
        .unwrap();
    assert_eq!(binding.subjects[0].namespace, "");
    let sa_ = sa("big-monolith", "big-monolith-sa");
    let via = format!(
        "{monolith} → RoleBinding big-monolith/secret-reader-binding → Role big-monolith/secret-reader rule 0"
    );
    for secret in ["vaultapikey", "webhookapikey"] {
        assert_allowed(
            &g,
            &sa_,
            &res("get", "", "secrets")
                .named(secret)
                .in_namespace("big-monolith"),
            &[&via],
        );
    }
    // `resources: ["*"]` covers subresources as well.
    assert_allowed(
        &g,
        &sa_,
        &res("get", "", "pods")
            .subresource("log")
            .named("x")
            .in_namespace("big-monolith"),
        &[&via],
    );
    assert_denied(
        &g,
        &sa_,
        &res("create", "", "pods").in_namespace("big-monolith"),
        &[rule_miss(
            "RoleBinding big-monolith/secret-reader-binding",
            "Role big-monolith/secret-reader",
            0,
            Mismatch::Verb,
        )],
    );
    assert_denied(
        &g,
        &sa_,
        &res("list", "", "secrets").in_namespace("default"),
        &[other_ns(
            "RoleBinding big-monolith/secret-reader-binding",
            "Role big-monolith/secret-reader",
            0,
            "big-monolith",
            "default",
        )],
    );
    let workloads: Vec<String> = g
        .workloads_of("big-monolith", "big-monolith-sa")
        .into_iter()
        .map(|w| {
            let w = &g.workloads()[w.0 as usize];
            format!("{} {}/{}", w.kind.as_str(), w.namespace, w.name)
        })
        .collect();
    assert_eq!(
        workloads,
        ["Deployment big-monolith/hunger-check-deployment"]
    );
    // Secret values are never kept.
    let dump = format!("{g:?}");
    assert!(!dump.contains("azhzLWdvYXQt"), "secret data in the graph");
    assert!(dump.contains("vaultapikey"));
}

// ===== the demo cluster ======================================================

fn workloads_of(g: &RbacGraph, namespace: &str, name: &str) -> Vec<String> {
    g.workloads_of(namespace, name)
        .into_iter()
        .map(|w| {
            let w = &g.workloads()[w.0 as usize];
            format!("{} {}", w.kind.as_str(), w.name)
        })
        .collect()
}

#[test]
fn demo_loads_with_only_the_planted_warnings() {
    let g = demo();
    let found: Vec<(Severity, Option<String>, Option<String>)> = g
        .diagnostics()
        .iter()
        .map(|d| (d.severity, d.object.clone(), d.field.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Severity::Warning,
                Some("Role payments/debugger".into()),
                Some("rules[0].resources[0]".into())
            ),
            (
                Severity::Warning,
                Some("ClusterRoleBinding node-exporter".into()),
                Some("subjects[0].namespace".into())
            ),
            (
                Severity::Warning,
                Some("RoleBinding ci/cache-warmer".into()),
                Some("roleRef".into())
            ),
        ]
    );
    let summary = g.load_summary();
    assert_eq!(
        (summary.files, summary.documents, summary.failed),
        (10, 82, 0)
    );
    assert_eq!(
        summary.loaded,
        counts(&[
            ("ClusterRole", 19),
            ("ClusterRoleBinding", 11),
            ("CronJob", 3),
            ("CustomResourceDefinition", 1),
            ("DaemonSet", 1),
            ("Deployment", 6),
            ("Namespace", 6),
            ("Pod", 1),
            ("Role", 7),
            ("RoleBinding", 13),
            ("Secret", 1),
            ("ServiceAccount", 10),
            ("StatefulSet", 2),
        ])
    );
    assert_eq!(summary.skipped, counts(&[("Backup", 1)]));
    let stats = g.stats();
    assert_eq!(stats.aggregated_cluster_roles, 3);
    assert_eq!(stats.dangling_bindings, 1);
    assert_eq!(stats.workloads, 13);
    assert_eq!(stats.subjects, 19);
    // The CRD is known to discovery.
    assert!(g.discovery().get("example.com", "backups").is_some());
    // The Secret's value is never kept.
    assert!(!format!("{g:?}").contains("ZGVtby1wbGFjZWhvbGRlci"));
}

#[test]
fn demo_aggregation_extends_the_default_roles_with_backups() {
    let g = demo();
    let view = cluster_role(&g, "view");
    let edit = cluster_role(&g, "edit");
    let admin = cluster_role(&g, "admin");
    assert_eq!(
        view.rules,
        rules_of(&g, &["backup-viewer", "system:aggregate-to-view"])
    );
    assert_eq!(
        edit.rules,
        rules_of(
            &g,
            &[
                "backup-editor",
                "system:aggregate-to-edit",
                "backup-viewer",
                "system:aggregate-to-view"
            ]
        )
    );
    assert_eq!(
        (view.rules.len(), edit.rules.len(), admin.rules.len()),
        (11, 25, 27)
    );
    let backups = |verb: &str, ns: &str| res(verb, "example.com", "backups").in_namespace(ns);
    // alice reads backups everywhere through view.
    assert_allowed(
        &g,
        &user("alice@example.com", &[]),
        &backups("list", "ci"),
        &["User alice@example.com → ClusterRoleBinding alice-view → ClusterRole view rule 0"],
    );
    // dev-team creates them where it has edit, not where it has view.
    let dev = user("bob@example.com", &["dev-team"]);
    assert_allowed(
        &g,
        &dev,
        &backups("create", "analytics"),
        &["Group dev-team → RoleBinding analytics/dev-team-edit → ClusterRole edit rule 0"],
    );
    assert!(!g.authorize(&dev, &backups("create", "payments")).allowed);
}

#[test]
fn demo_planted_1_cluster_admin_for_shop_default_sa() {
    let g = demo();
    let default_sa = sa("shop", "default");
    assert_allowed(
        &g,
        &default_sa,
        &res("delete", "", "secrets")
            .named("shop-db-credentials")
            .in_namespace("shop"),
        &[
            "ServiceAccount shop/default → RoleBinding shop/default-sa-admin → ClusterRole cluster-admin rule 0",
        ],
    );
    assert_denied(
        &g,
        &default_sa,
        &res("delete", "", "secrets").in_namespace("payments"),
        &[
            rule_miss(
                "ClusterRoleBinding support-secret-reader",
                "ClusterRole support-secret-reader",
                0,
                Mismatch::Verb,
            ),
            other_ns(
                "RoleBinding shop/default-sa-admin",
                "ClusterRole cluster-admin",
                0,
                "shop",
                "payments",
            ),
        ],
    );
    assert_eq!(
        bound(&g, res("get", "", "secrets").in_namespace("shop")),
        [
            MASTERS,
            "ServiceAccount ci/deployer",
            "Group system:authenticated",
            "ServiceAccount kube-system/argocd-manager",
            "Group dev-team",
            "User alice@example.com",
            "ServiceAccount shop/default",
        ]
    );
    assert_eq!(
        workloads_of(&g, "shop", "default"),
        ["StatefulSet shop-db", "CronJob sitemap"]
    );
}

#[test]
fn demo_planted_2_ci_deployer_cluster_wide() {
    let g = demo();
    let deployer = sa("ci", "deployer");
    let rule = |i: usize| {
        format!(
            "ServiceAccount ci/deployer → ClusterRoleBinding ci-deployer → ClusterRole ci-deployer rule {i}"
        )
    };
    for ns in ["shop", "kube-system"] {
        assert_allowed(
            &g,
            &deployer,
            &res("create", "", "pods").in_namespace(ns),
            &[&rule(2)],
        );
    }
    assert_allowed(
        &g,
        &deployer,
        &res("get", "", "secrets")
            .named("any")
            .in_namespace("kube-system"),
        &[
            &rule(3),
            "Group system:authenticated → ClusterRoleBinding support-secret-reader → ClusterRole support-secret-reader rule 0",
        ],
    );
    assert_eq!(
        bound(&g, res("create", "", "pods").in_namespace("kube-system")),
        [
            MASTERS,
            "ServiceAccount ci/deployer",
            "ServiceAccount kube-system/argocd-manager"
        ]
    );
    assert_eq!(
        workloads_of(&g, "ci", "deployer"),
        ["Deployment build-agent"]
    );
}

#[test]
fn demo_planted_3_authenticated_reads_every_secret() {
    let g = demo();
    assert_allowed(
        &g,
        &user("bob@example.com", &[]),
        &res("list", "", "secrets").in_namespace("payments"),
        &[
            "Group system:authenticated → ClusterRoleBinding support-secret-reader → ClusterRole support-secret-reader rule 0",
        ],
    );
    let list = || res("list", "", "secrets").in_namespace("payments");
    assert_eq!(
        bound(&g, list()),
        [
            MASTERS,
            "Group system:authenticated",
            "ServiceAccount kube-system/argocd-manager"
        ]
    );
    assert_eq!(
        who(&g, list(), false, true),
        [
            "ServiceAccount kube-system/argocd-manager",
            "ServiceAccount backup-system/backup-operator",
            "ServiceAccount ci/cache-warmer",
            "ServiceAccount shop/cart",
            "ServiceAccount analytics/dashboard",
            "ServiceAccount analytics/default",
            "ServiceAccount payments/default",
            "ServiceAccount shop/default",
            "ServiceAccount ci/deployer",
            "ServiceAccount monitoring/node-exporter",
            "ServiceAccount payments/payments-api",
            "ServiceAccount monitoring/prometheus",
            "ServiceAccount shop/storefront",
            "User alice@example.com",
        ]
    );
    assert!(!g.authorize(&user("system:anonymous", &[]), &list()).allowed);
}

#[test]
fn demo_planted_4_pods_star_is_not_a_wildcard() {
    let g = demo();
    let warning = g
        .diagnostics()
        .iter()
        .find(|d| d.object.as_deref() == Some("Role payments/debugger"))
        .unwrap();
    assert!(
        warning.message.starts_with("`pods/*` matches nothing"),
        "{warning}"
    );
    let alice = user("alice@example.com", &["dev-team"]);
    let exec = res("create", "", "pods")
        .subresource("exec")
        .named("payments-api-0")
        .in_namespace("payments");
    let d = assert_denied(
        &g,
        &alice,
        &exec,
        &[
            other_ns(
                "RoleBinding shop/dev-team-edit",
                "ClusterRole edit",
                3,
                "shop",
                "payments",
            ),
            other_ns(
                "RoleBinding shop/shop-admins",
                "ClusterRole admin",
                3,
                "shop",
                "payments",
            ),
            rule_miss(
                "RoleBinding payments/dev-team-debugger",
                "Role payments/debugger",
                0,
                Mismatch::Subresource,
            ),
            other_ns(
                "RoleBinding analytics/dev-team-edit",
                "ClusterRole edit",
                3,
                "analytics",
                "payments",
            ),
        ],
    );
    assert!(
        d.why_not[2].message.contains("`pods/*` is not a wildcard"),
        "{}",
        d.why_not[2].message
    );
    // The same rule matches only a subresource literally named `*`.
    assert!(
        g.authorize(
            &alice,
            &res("create", "", "pods")
                .subresource("*")
                .in_namespace("payments")
        )
        .allowed
    );
}

#[test]
fn demo_planted_5_dangling_role_ref() {
    let g = demo();
    let d = assert_denied(
        &g,
        &sa("ci", "cache-warmer"),
        &res("update", "", "configmaps")
            .named("cache")
            .in_namespace("ci"),
        &[miss(
            "RoleBinding ci/cache-warmer",
            "Role ci/cache-writter",
            None,
            MissReason::MissingRole,
        )],
    );
    assert_eq!(
        d.errors,
        ["RoleBinding ci/cache-warmer: Role `cache-writter` not found"]
    );
    let warning = g
        .diagnostics()
        .iter()
        .find(|d| d.field.as_deref() == Some("roleRef"))
        .unwrap();
    assert!(warning.source.file.ends_with("40-ci.yaml"));
    assert_eq!(
        warning.message,
        "Role `ci/cache-writter` does not exist; the binding grants nothing until it is created"
    );
    assert_eq!(
        workloads_of(&g, "ci", "cache-warmer"),
        ["CronJob cache-warm"]
    );
}

#[test]
fn demo_planted_6_service_account_without_namespace() {
    let g = demo();
    let d = assert_denied(
        &g,
        &sa("monitoring", "node-exporter"),
        &res("get", "", "nodes").named("node-1"),
        &[
            rule_miss(
                "ClusterRoleBinding support-secret-reader",
                "ClusterRole support-secret-reader",
                0,
                Mismatch::Resource,
            ),
            miss(
                "ClusterRoleBinding node-exporter",
                "ClusterRole node-exporter",
                None,
                MissReason::ServiceAccountWithoutNamespace,
            ),
        ],
    );
    assert!(d.why_not[1].message.contains("without a namespace"));
    // Prometheus, bound correctly, can.
    assert_allowed(
        &g,
        &sa("monitoring", "prometheus"),
        &res("get", "", "nodes").named("node-1"),
        &[
            "ServiceAccount monitoring/prometheus → ClusterRoleBinding prometheus-monitoring-reader → ClusterRole monitoring-reader rule 0",
        ],
    );
    assert_eq!(
        bound(&g, url("get", "/metrics")),
        [
            MASTERS,
            "ServiceAccount monitoring/prometheus",
            "ServiceAccount kube-system/argocd-manager"
        ]
    );
    // The subject never shows up in who-can, bound or expanded.
    let node_metrics = || res("get", "", "nodes").subresource("metrics");
    assert_eq!(
        bound(&g, node_metrics()),
        [
            MASTERS,
            "ServiceAccount monitoring/prometheus",
            "ServiceAccount kube-system/argocd-manager"
        ]
    );
    assert_eq!(
        who(&g, node_metrics(), false, true),
        [
            "ServiceAccount kube-system/argocd-manager",
            "ServiceAccount monitoring/prometheus"
        ]
    );
}

//! Deterministic synthetic Kubernetes clusters for benchmarking rbacgraph.
//!
//! A cluster starts from the API server's default RBAC policy and adds:
//!
//! - the roles a managed control plane installs, EKS style: ClusterRoles
//!   `eks:addon-manager`, `eks:node-manager`, `eks:certificate-controller`
//!   and `eks:fargate-manager` (labelled `eks.amazonaws.com/component`),
//!   each bound by a ClusterRoleBinding of the same name to the User of the
//!   same name, plus a Role and RoleBinding `eks:addon-manager` in
//!   `kube-system` for the add-on manager's namespaced writes (no Node
//!   carries an `eks.amazonaws.com/` label, so the cluster is not taken for
//!   an EKS one);
//! - namespaces with Pod Security labels chosen by namespace index: per
//!   block of 20, 8 enforce `baseline` (40 %), 4 `restricted` (20 %), 1
//!   says `privileged` explicitly (5 %; namespace 0, where the first
//!   privileged, hostPath deployment runs, is one) and 7 have no label
//!   (35 %);
//! - per namespace, service accounts (`default` and `app-N`; a chart's
//!   takes the place of an `app-N` one), Deployments and their Pods spread
//!   over nodes;
//! - the namespaces' RBAC, mostly repeated installs as in real clusters:
//!   - a catalogue of twelve Helm-style charts, each installed in 10 % to
//!     60 % of the namespaces (by namespace index modulo 20, at most four
//!     per namespace, 3.6 on average) with a ServiceAccount, a RoleBinding
//!     and a one-replica Deployment (and its Pod) of the chart's name, the
//!     binding granting either a Role of the chart's name, the same rules
//!     in every namespace (`stack-operator`, `metrics-exporter`,
//!     `cert-manager-agent`, `job-scheduler`, `feature-flags`,
//!     `ingress-nginx`, `postgres-operator`), or the one shared ClusterRole
//!     `<chart>-namespace` (`ci-runner`, `log-shipper`, `otel-collector`,
//!     `backup-agent`, `event-exporter`). Five hold what real charts of
//!     their kind hold and an audit flags (pods or pod controllers,
//!     secrets, `pods/exec`); the others read, or write only their own
//!     resources;
//!   - the teams' bindings: namespace `i` belongs to team `i / 25`, and has
//!     `team-edit` (ClusterRole `edit` to Group `team-<k>`), in 60 % of the
//!     namespaces `developers-view` (`view` to Group `developers`), and
//!     per-member bindings `<login>-<role>` granting `admin`, `edit` or
//!     `view` to the members of the team's roster (User
//!     `<login>@example.com`), the same in every namespace of the team;
//!     there are as many as it takes to leave the random one-offs 15 % of
//!     the RoleBindings (small clusters have far more bindings per
//!     namespace than charts give: about 27 per namespace on `small`, 5 on
//!     `medium`, 2.4 on `big` and `xl`);
//!   - hand-made one-offs, from a seeded random draw: Roles `app-role-N`
//!     with random rules for what the charts leave of the Role budget, and
//!     RoleBindings `binding-N` for the rest (15 % of the RoleBindings),
//!     half to one of those Roles, a fifth to the `view`, `edit` and
//!     `admin` ClusterRoles, the rest to operators' ClusterRoles, each to a
//!     service account of the namespace and sometimes a group, a user or
//!     another namespace's service account;
//! - cluster-wide operators with ClusterRoles and ClusterRoleBindings;
//!   aggregated ClusterRoles; wildcards, resourceNames and subresources;
//!   users and groups; and a few planted escalation paths.
//!
//! The same preset and seed always give the same bytes.
//!
//! Presets `small`, `medium` and `big` have the RBAC sizes KubeHound
//! published from real clusters (DataDog/KubeHound PR #87); `xl` is ten times
//! `big`. The fixed content above is carved out of those budgets: the
//! random objects fill what is left, so the totals per kind (Roles,
//! ClusterRoles, RoleBindings, ClusterRoleBindings, ServiceAccounts, Pods,
//! Nodes, Namespaces) are exactly the preset's.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::{self, Write};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// The size of a synthetic cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Preset name.
    pub name: &'static str,
    /// Namespaces.
    pub namespaces: usize,
    /// Nodes.
    pub nodes: usize,
    /// RoleBindings (total, including the default policy's).
    pub role_bindings: usize,
    /// ClusterRoleBindings (total).
    pub cluster_role_bindings: usize,
    /// Roles (total).
    pub roles: usize,
    /// ClusterRoles (total).
    pub cluster_roles: usize,
    /// ServiceAccounts (total, one `default` per namespace included).
    pub service_accounts: usize,
    /// Pods.
    pub pods: usize,
}

/// Every preset, smallest first.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "small",
        namespaces: 40,
        nodes: 10,
        role_bindings: 1_504,
        cluster_role_bindings: 196,
        roles: 127,
        cluster_roles: 219,
        service_accounts: 400,
        pods: 1_000,
    },
    Preset {
        name: "medium",
        namespaces: 150,
        nodes: 80,
        role_bindings: 1_851,
        cluster_role_bindings: 171,
        roles: 525,
        cluster_roles: 191,
        service_accounts: 1_500,
        pods: 10_000,
    },
    Preset {
        name: "big",
        namespaces: 500,
        nodes: 200,
        role_bindings: 4_491,
        cluster_role_bindings: 676,
        roles: 1_374,
        cluster_roles: 721,
        service_accounts: 3_000,
        pods: 30_000,
    },
    Preset {
        name: "xl",
        namespaces: 5_000,
        nodes: 2_000,
        role_bindings: 45_000,
        cluster_role_bindings: 7_000,
        roles: 14_000,
        cluster_roles: 7_000,
        service_accounts: 30_000,
        pods: 150_000,
    },
];

/// The preset of that name.
pub fn preset(name: &str) -> Option<Preset> {
    PRESETS.iter().copied().find(|p| p.name == name)
}

/// Errors writing a cluster.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Writing failed.
    #[error("cannot write the cluster: {0}")]
    Io(#[from] io::Error),
    /// Serialising failed.
    #[error("cannot serialise an object: {0}")]
    Serialize(String),
}

/// The default policy files, in load order: the copy the core embeds to
/// recognise default objects (`crates/rbacgraph/data/bootstrap`, with its
/// attribution), so both crates start from the same policy.
const DEFAULT_POLICY: &[&str] = &[
    include_str!("../../rbacgraph/data/bootstrap/cluster-roles-featuregates.yaml"),
    include_str!("../../rbacgraph/data/bootstrap/cluster-role-bindings.yaml"),
    include_str!("../../rbacgraph/data/bootstrap/namespace-roles.yaml"),
    include_str!("../../rbacgraph/data/bootstrap/namespace-role-bindings.yaml"),
];

fn default_policy() -> Vec<Value> {
    let mut out = Vec::new();
    for text in DEFAULT_POLICY {
        // The data is compiled in and parsed by tests; a failure would be a build defect.
        if let Ok(Value::Object(mut list)) = serde_saphyr::from_str::<Value>(text)
            && let Some(Value::Array(items)) = list.remove("items")
        {
            out.extend(items);
        }
    }
    out
}

const RBAC: &str = "rbac.authorization.k8s.io/v1";

/// The label custom aggregated ClusterRoles select on.
const AGGREGATE_LABEL: &str = "synth.example.com/aggregate-to";

/// Planted escalation paths: one ClusterRole and one ClusterRoleBinding each.
const PLANTED: usize = 4;

/// The Pod Security admission label that decides what a namespace admits.
const PSA_ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// The Pod Security level a namespace enforces, by its index alone (no
/// random draw): `7 * i + 12` runs over every residue modulo 20 once per 20
/// consecutive namespaces, so each block of 20 has 8 `baseline`, 4
/// `restricted`, 1 explicit `privileged` (namespace 0 among them, where the
/// privileged and hostPath deployments start) and 7 unlabelled namespaces.
fn psa_level(i: usize) -> Option<&'static str> {
    match (7 * i + 12) % 20 {
        0..=7 => Some("baseline"),
        8..=11 => Some("restricted"),
        12 => Some("privileged"),
        _ => None,
    }
}

/// The label the managed control plane puts on its roles.
const EKS_COMPONENT_LABEL: &str = "eks.amazonaws.com/component";

/// Roles a managed control plane (EKS style) installs: the ClusterRole
/// and ClusterRoleBinding `eks:<component>` binding the User of that name.
fn platform_roles() -> Vec<(&'static str, Value)> {
    let rbac = "rbac.authorization.k8s.io";
    vec![
        (
            "addon-manager",
            json!([
                rule(WRITE, &[rbac], &["clusterroles", "clusterrolebindings"]),
                rule(
                    WRITE,
                    &["apiextensions.k8s.io"],
                    &["customresourcedefinitions"]
                ),
                rule(
                    WRITE,
                    &["admissionregistration.k8s.io"],
                    &[
                        "mutatingwebhookconfigurations",
                        "validatingwebhookconfigurations"
                    ]
                ),
                rule(
                    READ,
                    &[""],
                    &["namespaces", "nodes", "serviceaccounts", "configmaps"]
                ),
                rule(READ, &["apps"], &["deployments", "daemonsets"]),
            ]),
        ),
        (
            "node-manager",
            json!([
                rule(
                    &["get", "list", "watch", "patch", "update"],
                    &[""],
                    &["nodes"]
                ),
                rule(&["get", "list", "watch", "delete"], &[""], &["pods"]),
                rule(&["create"], &[""], &["pods/eviction"]),
                rule(&["get", "list"], &["apps"], &["daemonsets"]),
                rule(&["create", "patch"], &["", "events.k8s.io"], &["events"]),
            ]),
        ),
        (
            "certificate-controller",
            json!([
                rule(READ, &["certificates.k8s.io"], &["certificatesigningrequests"]),
                rule(
                    &["update"],
                    &["certificates.k8s.io"],
                    &["certificatesigningrequests/approval", "certificatesigningrequests/status"]
                ),
                {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"],
                    "resourceNames": ["beta.eks.amazonaws.com/app-serving", "kubernetes.io/kubelet-serving"]},
                rule(&["create", "patch"], &[""], &["events"]),
            ]),
        ),
        (
            "fargate-manager",
            json!([
                rule(
                    &["get", "list", "watch", "patch", "update", "delete"],
                    &[""],
                    &["pods"]
                ),
                rule(&["create"], &[""], &["pods/binding"]),
                rule(&["patch", "update"], &[""], &["pods/status"]),
                rule(
                    &["get", "list", "watch", "create", "patch", "delete"],
                    &[""],
                    &["nodes"]
                ),
                rule(&["create", "patch"], &[""], &["events"]),
            ]),
        ),
    ]
}

/// The add-on manager's namespaced writes, a Role in `kube-system`, where
/// the add-ons (CNI, CoreDNS, kube-proxy) run.
fn addon_manager_namespaced_rules() -> Value {
    json!([
        rule(WRITE, &["apps"], &["deployments", "daemonsets"]),
        rule(WRITE, &[""], &["serviceaccounts", "configmaps", "services"]),
        rule(
            WRITE,
            &["rbac.authorization.k8s.io"],
            &["roles", "rolebindings"]
        ),
        rule(&["get", "list"], &[""], &["secrets"]),
    ])
}

/// A Helm-style chart installed in some namespaces (by index, no random
/// draw): per install a ServiceAccount, a RoleBinding and a one-replica
/// Deployment (with its Pod) named after the chart, and either a Role of
/// that name with [`Chart::rules`] or, when `shared`, a binding to the one
/// ClusterRole `<name>-namespace` holding them.
struct Chart {
    name: &'static str,
    version: &'static str,
    /// Installed in namespace `i` when `i % 20` is one of these (each
    /// residue is 5 % of the namespaces).
    residues: &'static [usize],
    shared: bool,
    rules: fn() -> Value,
}

/// The period of the chart install patterns.
const CHART_PERIOD: usize = 20;

impl Chart {
    fn installed_in(&self, i: usize) -> bool {
        self.residues.contains(&(i % CHART_PERIOD))
    }

    fn cluster_role(&self) -> String {
        format!("{}-namespace", self.name)
    }

    fn labels(&self) -> Value {
        json!({
            "app.kubernetes.io/name": self.name,
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/managed-by": "Helm",
            "helm.sh/chart": format!("{}-{}", self.name, self.version),
        })
    }

    fn meta(&self, namespace: Option<&str>) -> Value {
        let mut m = meta(self.name, namespace);
        m["labels"] = self.labels();
        m
    }
}

/// A Lease rule limited to the chart's own leader-election lock.
fn leader_lease(name: &str) -> Value {
    json!([
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
            "resourceNames": [name], "verbs": ["get", "update"]},
        rule(&["create"], &["coordination.k8s.io"], &["leases"]),
    ])
}

/// Rules followed by the chart's leader-election lease rules.
fn with_lease(name: &str, rules: Value) -> Value {
    let mut rules = rules;
    if let (Some(list), Value::Array(lease)) = (rules.as_array_mut(), leader_lease(name)) {
        list.extend(lease);
    }
    rules
}

/// The chart catalogue, with the share of namespaces each is installed in.
/// Five hold what real charts of their kind hold and an audit flags
/// (`stack-operator`, `ingress-nginx`, `postgres-operator`, `ci-runner`,
/// `backup-agent`: pods or pod controllers, secrets, `pods/exec`); the
/// other seven read, or write only their own resources. Namespace `i % 20
/// == 1` has `ci-runner` alone (the planted paths' service account is the
/// last `app-N` of namespace 1); no namespace has more than four (each
/// chart's service account takes the place of an `app-N` one, and `big` and
/// `xl` have five per namespace).
const CHARTS: &[Chart] = &[
    // 30 %: manages its namespace's apps, runs pods, writes secrets.
    Chart {
        name: "stack-operator",
        version: "1.4.2",
        residues: &[0, 4, 7, 10, 14, 17],
        shared: false,
        rules: || {
            json!([
                rule(WRITE, &[""], &["configmaps", "secrets", "pods", "services"]),
                rule(WRITE, &["apps"], &["deployments"]),
                rule(&["create"], &[""], &["pods"]),
                rule(&["get"], &[""], &["pods/log"]),
                rule(
                    &["get", "create", "update"],
                    &["coordination.k8s.io"],
                    &["leases"]
                ),
                rule(&["create", "patch"], &[""], &["events"]),
            ])
        },
    },
    // 30 %: CI jobs run as pods of the namespace, with exec and secrets.
    Chart {
        name: "ci-runner",
        version: "0.71.0",
        residues: &[1, 4, 8, 11, 14, 18],
        shared: true,
        rules: || {
            json!([
                rule(
                    &["get", "list", "watch", "create", "delete"],
                    &[""],
                    &["pods"]
                ),
                rule(
                    &["get", "create", "patch", "delete"],
                    &[""],
                    &["pods/exec", "pods/attach"]
                ),
                rule(&["get", "list"], &[""], &["pods/log"]),
                rule(
                    &["get", "create", "update", "delete"],
                    &[""],
                    &["secrets", "configmaps"]
                ),
                rule(&["get"], &[""], &["serviceaccounts"]),
                rule(&["get", "create"], &[""], &["services"]),
                rule(&["list", "watch"], &[""], &["events"]),
            ])
        },
    },
    // 60 %: a metrics exporter next to the apps, discovering scrape targets.
    Chart {
        name: "metrics-exporter",
        version: "0.9.3",
        residues: &[0, 2, 3, 5, 6, 9, 12, 13, 15, 16, 18, 19],
        shared: false,
        rules: || {
            json!([
                rule(READ, &[""], &["pods", "services", "endpoints"]),
                rule(READ, &["discovery.k8s.io"], &["endpointslices"]),
                rule(
                    READ,
                    &["monitoring.coreos.com"],
                    &["servicemonitors", "podmonitors"]
                ),
                {"apiGroups": [""], "resources": ["configmaps"],
                    "resourceNames": ["metrics-exporter-config"], "verbs": ["get", "watch"]},
            ])
        },
    },
    // 50 %: cert-manager's namespaced agent, approving and tracking the
    // namespace's certificate requests (the controller issues the secrets).
    Chart {
        name: "cert-manager-agent",
        version: "1.14.5",
        residues: &[2, 3, 5, 7, 9, 11, 13, 15, 17, 19],
        shared: false,
        rules: || {
            with_lease(
                "cert-manager-agent",
                json!([
                    rule(
                        READ,
                        &["cert-manager.io"],
                        &["certificates", "certificaterequests", "issuers"]
                    ),
                    rule(
                        &["update", "patch"],
                        &["cert-manager.io"],
                        &["certificaterequests/status"]
                    ),
                    rule(READ, &[""], &["configmaps"]),
                    rule(&["create", "patch"], &[""], &["events"]),
                ]),
            )
        },
    },
    // 40 %: a cron-style scheduler writing its own Schedule objects; the
    // cluster-wide controller creates the Jobs.
    Chart {
        name: "job-scheduler",
        version: "2.3.0",
        residues: &[0, 6, 8, 10, 12, 15, 16, 19],
        shared: false,
        rules: || {
            with_lease(
                "job-scheduler",
                json!([
                    rule(WRITE, &["scheduler.example.com"], &["schedules"]),
                    rule(
                        &["get", "update", "patch"],
                        &["scheduler.example.com"],
                        &["schedules/status"]
                    ),
                    rule(READ, &["batch"], &["jobs", "cronjobs"]),
                    rule(READ, &[""], &["pods"]),
                    rule(&["create", "patch"], &[""], &["events"]),
                ]),
            )
        },
    },
    // 35 %: a feature-flag service reading its flag definitions.
    Chart {
        name: "feature-flags",
        version: "0.8.1",
        residues: &[3, 4, 6, 8, 11, 14, 17],
        shared: false,
        rules: || {
            json!([
                rule(
                    READ,
                    &["core.openfeature.dev"],
                    &["featureflags", "featureflagsources"]
                ),
                rule(READ, &[""], &["configmaps"]),
                rule(&["create", "patch"], &[""], &["events"]),
            ])
        },
    },
    // 20 %: a namespace-scoped ingress controller; it reads the TLS
    // secrets of the Ingresses it serves (all of the namespace's).
    Chart {
        name: "ingress-nginx",
        version: "4.10.1",
        residues: &[2, 9, 12, 17],
        shared: false,
        rules: || {
            with_lease(
                "ingress-nginx-leader",
                json!([
                    rule(
                        READ,
                        &[""],
                        &["configmaps", "pods", "secrets", "endpoints", "services"]
                    ),
                    rule(READ, &["networking.k8s.io"], &["ingresses"]),
                    rule(&["update"], &["networking.k8s.io"], &["ingresses/status"]),
                    rule(READ, &["discovery.k8s.io"], &["endpointslices"]),
                    rule(&["create", "patch"], &[""], &["events"]),
                ]),
            )
        },
    },
    // 15 %: a database operator running Postgres clusters: StatefulSets,
    // their secrets, and exec into the pods for failover.
    Chart {
        name: "postgres-operator",
        version: "1.12.2",
        residues: &[0, 9, 15],
        shared: false,
        rules: || {
            with_lease(
                "postgres-operator",
                json!([
                    rule(
                        WRITE,
                        &["acid.zalan.do"],
                        &["postgresqls", "postgresqls/status"]
                    ),
                    rule(WRITE, &["apps"], &["statefulsets"]),
                    rule(
                        &["get", "list", "watch", "patch", "delete"],
                        &[""],
                        &["pods"]
                    ),
                    rule(&["create"], &[""], &["pods/exec"]),
                    rule(
                        WRITE,
                        &[""],
                        &[
                            "secrets",
                            "services",
                            "endpoints",
                            "configmaps",
                            "persistentvolumeclaims"
                        ]
                    ),
                    rule(WRITE, &["policy"], &["poddisruptionbudgets"]),
                    rule(&["create", "patch"], &[""], &["events"]),
                ]),
            )
        },
    },
    // 35 %: a log shipper enriching records with pod metadata.
    Chart {
        name: "log-shipper",
        version: "0.46.7",
        residues: &[2, 5, 7, 10, 13, 16, 18],
        shared: true,
        rules: || {
            json!([
                rule(READ, &[""], &["pods"]),
                rule(READ, &["apps"], &["replicasets"]),
            ])
        },
    },
    // 20 %: an OpenTelemetry collector resolving telemetry to workloads.
    Chart {
        name: "otel-collector",
        version: "0.97.1",
        residues: &[3, 8, 13, 18],
        shared: true,
        rules: || {
            json!([
                rule(READ, &[""], &["pods", "services", "endpoints", "events"]),
                rule(
                    READ,
                    &["apps"],
                    &["replicasets", "deployments", "statefulsets"]
                ),
            ])
        },
    },
    // 15 %: a backup agent: reads everything it saves, secrets included,
    // runs hooks with pods/exec, takes volume snapshots.
    Chart {
        name: "backup-agent",
        version: "6.2.0",
        residues: &[4, 10, 16],
        shared: true,
        rules: || {
            json!([
                rule(
                    READ,
                    &[""],
                    &[
                        "secrets",
                        "configmaps",
                        "persistentvolumeclaims",
                        "services",
                        "serviceaccounts",
                        "pods"
                    ]
                ),
                rule(
                    READ,
                    &["apps"],
                    &["deployments", "statefulsets", "daemonsets", "replicasets"]
                ),
                rule(&["create"], &[""], &["pods/exec"]),
                rule(WRITE, &["snapshot.storage.k8s.io"], &["volumesnapshots"]),
                rule(WRITE, &["velero.io"], &["backups", "podvolumebackups"]),
            ])
        },
    },
    // 10 %: exports the namespace's events to the logging backend.
    Chart {
        name: "event-exporter",
        version: "3.1.0",
        residues: &[11, 19],
        shared: true,
        rules: || json!([rule(READ, &["", "events.k8s.io"], &["events"])]),
    },
];

/// Namespaces per team: namespace `i` belongs to team `i / 25`.
const NAMESPACES_PER_TEAM: usize = 25;

/// The team a namespace belongs to.
fn team(i: usize) -> usize {
    i / NAMESPACES_PER_TEAM
}

/// Whether namespace `i` binds `view` to the `developers` group (60 %).
fn developers_view(i: usize) -> bool {
    matches!(i % 5, 0 | 1 | 3)
}

/// The j-th member of team `team`'s roster: their login and the default
/// ClusterRole their per-namespace binding grants (the first member, the
/// team lead, `admin`; every fourth `view`; the others `edit`).
fn member(team: usize, j: usize) -> (String, &'static str) {
    let role = if j == 0 {
        "admin"
    } else if j % 4 == 3 {
        "view"
    } else {
        "edit"
    };
    (format!("t{team:03}-dev{j:02}"), role)
}

/// The random one-off RoleBindings' target share of all RoleBindings, in
/// percent: the per-member bindings fill what the charts and team bindings
/// leave above it.
const RANDOM_BINDINGS_PERCENT: usize = 15;

/// Replicas of the random Deployments.
const PER_DEPLOY: usize = 5;

fn meta(name: &str, namespace: Option<&str>) -> Value {
    match namespace {
        Some(ns) => json!({"name": name, "namespace": ns}),
        None => json!({"name": name}),
    }
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

fn role_ref(kind: &str, name: &str) -> Value {
    json!({"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name})
}

fn sa_subject(namespace: Option<&str>, name: &str) -> Value {
    match namespace {
        Some(ns) => json!({"kind": "ServiceAccount", "name": name, "namespace": ns}),
        None => json!({"kind": "ServiceAccount", "name": name}),
    }
}

fn named_subject(kind: &str, name: &str) -> Value {
    json!({"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"})
}

/// Resource pools rules draw from: (group, resource).
const APP_RESOURCES: &[(&str, &str)] = &[
    ("", "configmaps"),
    ("", "secrets"),
    ("", "pods"),
    ("", "pods/log"),
    ("", "services"),
    ("", "endpoints"),
    ("", "persistentvolumeclaims"),
    ("apps", "deployments"),
    ("apps", "deployments/scale"),
    ("apps", "statefulsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("networking.k8s.io", "ingresses"),
    ("coordination.k8s.io", "leases"),
    ("", "events"),
];
const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &[
    "get", "list", "watch", "create", "update", "patch", "delete",
];

struct Gen<'a> {
    rng: ChaCha8Rng,
    preset: Preset,
    emit: &'a mut dyn FnMut(Value) -> Result<(), Error>,
}

impl Gen<'_> {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn ns(&self, i: usize) -> String {
        format!("team-{i:04}")
    }

    fn app_rule(&mut self) -> Value {
        let n = 1 + self.below(3);
        let mut groups: Vec<&str> = Vec::new();
        let mut resources: Vec<&str> = Vec::new();
        for _ in 0..n {
            let (g, r) = APP_RESOURCES[self.below(APP_RESOURCES.len())];
            if !groups.contains(&g) {
                groups.push(g);
            }
            if !resources.contains(&r) {
                resources.push(r);
            }
        }
        let verbs = if self.chance(0.4) { WRITE } else { READ };
        let mut r = rule(verbs, &groups, &resources);
        if self.chance(0.1) {
            r["resourceNames"] = json!([format!("item-{}", self.below(50))]);
        }
        if self.chance(0.03) {
            r["verbs"] = json!(["*"]);
        }
        r
    }

    fn emit(&mut self, v: Value) -> Result<(), Error> {
        (self.emit)(v)
    }

    fn run(&mut self) -> Result<(), Error> {
        let p = self.preset;
        let mut counts = Counts::default();
        for obj in default_policy() {
            counts.count(&obj);
            self.emit(obj)?;
        }
        for obj in platform_objects() {
            counts.count(&obj);
            self.emit(obj)?;
        }
        // Nodes and namespaces.
        for i in 0..p.nodes {
            let role = if i < 3 { "control-plane" } else { "worker" };
            self.emit(json!({"apiVersion": "v1", "kind": "Node", "metadata": {
                "name": format!("node-{i:04}"),
                "labels": {format!("node-role.kubernetes.io/{role}"): ""}}}))?;
        }
        for i in 0..p.namespaces {
            let mut labels = serde_json::Map::new();
            if let Some(level) = psa_level(i) {
                labels.insert(PSA_ENFORCE_LABEL.into(), json!(level));
            }
            self.emit(json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": self.ns(i), "labels": labels}}))?;
        }
        // ServiceAccounts: a default per namespace, the rest spread; a
        // chart's service account takes the place of an app one.
        let per_ns_sa = p.service_accounts.saturating_sub(p.namespaces) / p.namespaces.max(1);
        let mut sa_names: Vec<Vec<String>> = Vec::with_capacity(p.namespaces);
        for i in 0..p.namespaces {
            let ns = self.ns(i);
            let charts = CHARTS.iter().filter(|c| c.installed_in(i)).count();
            let mut names = vec!["default".to_string()];
            names.extend((0..per_ns_sa.saturating_sub(charts)).map(|j| format!("app-{j}")));
            for name in &names {
                let mut sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(name, Some(&ns))});
                if name == "default" && self.chance(0.5) {
                    sa["automountServiceAccountToken"] = json!(false);
                }
                self.emit(sa)?;
                counts.service_accounts += 1;
            }
            sa_names.push(names);
        }
        // Legacy token secrets for some service accounts (metadata and type only).
        for (i, names) in sa_names.iter().enumerate().step_by(7) {
            let ns = self.ns(i);
            let name = &names[names.len() - 1];
            self.emit(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                "metadata": {"name": format!("{name}-token"), "namespace": ns,
                    "annotations": {"kubernetes.io/service-account.name": name}}}))?;
        }
        self.charts(&mut counts)?;
        // ClusterRoles: operators, aggregated contributors, custom aggregations.
        let extra_cluster_roles = p
            .cluster_roles
            .saturating_sub(counts.cluster_roles + PLANTED);
        let aggregators = (extra_cluster_roles / 50).max(1);
        for i in 0..extra_cluster_roles {
            let name = format!("operator-{i:05}");
            let group = format!("ops{}.example.com", i % 97);
            let mut rules = vec![
                rule(&["*"], &[group.as_str()], &["*"]),
                rule(READ, &[""], &["pods", "services", "configmaps"]),
            ];
            for _ in 0..self.below(3) {
                rules.push(self.app_rule());
            }
            if i % 11 == 0 {
                rules.push(rule(READ, &[""], &["secrets"]));
            }
            if i % 53 == 0 {
                rules.push(json!({"nonResourceURLs": ["/metrics", "/debug/*"], "verbs": ["get"]}));
            }
            let mut labels = serde_json::Map::new();
            if i % 17 == 0 {
                labels.insert(
                    "rbac.authorization.k8s.io/aggregate-to-view".into(),
                    json!("true"),
                );
                rules = vec![rule(READ, &[group.as_str()], &["*"])];
            }
            if i >= aggregators && i % 7 == 0 {
                labels.insert(
                    AGGREGATE_LABEL.into(),
                    json!(format!("agg-{}", i % aggregators)),
                );
            }
            let mut role = json!({"apiVersion": RBAC, "kind": "ClusterRole",
                "metadata": {"name": name, "labels": labels}, "rules": rules});
            if i < aggregators {
                // Each aggregator picks its own contributors and the next
                // aggregator (labelled with this one's name): a long chain.
                let own = format!("agg-{i}");
                let next = format!("agg-{}", i + 1);
                role["metadata"]["labels"] = if i == 0 {
                    json!({})
                } else {
                    json!({AGGREGATE_LABEL: format!("agg-{}", i - 1)})
                };
                role["aggregationRule"] = json!({"clusterRoleSelectors": [
                    {"matchLabels": {AGGREGATE_LABEL: own}},
                    {"matchExpressions": [{"key": AGGREGATE_LABEL, "operator": "In", "values": [next]}]}
                ]});
                role["rules"] = Value::Null;
            }
            self.emit(role)?;
        }
        // Roles per namespace: the random one-offs fill what the charts left.
        let extra_roles = p.roles.saturating_sub(counts.roles);
        let mut random_roles: Vec<(usize, String)> = Vec::with_capacity(extra_roles);
        for i in 0..extra_roles {
            let nsi = i % p.namespaces.max(1);
            let ns = self.ns(nsi);
            let name = format!("app-role-{i}");
            let rules: Vec<Value> = (0..1 + self.below(4)).map(|_| self.app_rule()).collect();
            self.emit(json!({"apiVersion": RBAC, "kind": "Role", "metadata": meta(&name, Some(&ns)), "rules": rules}))?;
            random_roles.push((nsi, name));
        }
        // The teams' bindings, the same in each namespace of a team; the
        // per-member ones bring the random remainder down to its share.
        let team_bindings = (0..p.namespaces)
            .map(|i| 1 + usize::from(developers_view(i)))
            .sum::<usize>();
        let random_target = p.role_bindings * RANDOM_BINDINGS_PERCENT / 100;
        let members = p
            .role_bindings
            .saturating_sub(counts.role_bindings + team_bindings + random_target);
        self.team_bindings(members, &mut counts)?;
        // RoleBindings: random one-offs, hand-made, for what is left.
        let extra_rbs = p.role_bindings.saturating_sub(counts.role_bindings);
        for i in 0..extra_rbs {
            let mut nsi = self.below(p.namespaces);
            let (kind, role) = match self.below(20) {
                // Half bind one of the random Roles, in its namespace.
                0..=9 if !random_roles.is_empty() => {
                    let (at, name) = &random_roles[self.below(random_roles.len())];
                    nsi = *at;
                    ("Role", name.clone())
                }
                10..=11 => ("ClusterRole", "view".to_string()),
                12 => ("ClusterRole", "edit".to_string()),
                13 => ("ClusterRole", "admin".to_string()),
                _ => (
                    "ClusterRole",
                    format!("operator-{:05}", self.below(extra_cluster_roles.max(1))),
                ),
            };
            let ns = self.ns(nsi);
            let mut subjects = Vec::new();
            let sas = &sa_names[nsi];
            let sa = sas[self.below(sas.len())].clone();
            // Half of the SA subjects omit the namespace (it defaults to the binding's).
            subjects.push(sa_subject(
                if self.chance(0.5) { None } else { Some(&ns) },
                &sa,
            ));
            if self.chance(0.3) {
                subjects.push(named_subject("Group", &format!("team-{}", self.below(200))));
            }
            if self.chance(0.2) {
                subjects.push(named_subject(
                    "User",
                    &format!("user-{}@example.com", self.below(2000)),
                ));
            }
            if self.chance(0.05) {
                let other = self.below(p.namespaces);
                subjects.push(sa_subject(Some(&self.ns(other)), "default"));
            }
            self.emit(json!({"apiVersion": RBAC, "kind": "RoleBinding",
                "metadata": meta(&format!("binding-{i}"), Some(&ns)),
                "roleRef": role_ref(kind, &role), "subjects": subjects}))?;
        }
        // ClusterRoleBindings: operator service accounts and groups.
        let extra_crbs = p
            .cluster_role_bindings
            .saturating_sub(counts.cluster_role_bindings + PLANTED);
        for i in 0..extra_crbs {
            let role = if i % 97 == 0 {
                "view".to_string()
            } else {
                format!("operator-{:05}", i % extra_cluster_roles.max(1))
            };
            let nsi = self.below(p.namespaces);
            let sas = &sa_names[nsi];
            let sa = sas[self.below(sas.len())].clone();
            let mut subjects = vec![sa_subject(Some(&self.ns(nsi)), &sa)];
            if self.chance(0.1) {
                subjects.push(named_subject("Group", &format!("team-{}", self.below(200))));
            }
            self.emit(json!({"apiVersion": RBAC, "kind": "ClusterRoleBinding",
                "metadata": meta(&format!("cluster-binding-{i}"), None),
                "roleRef": role_ref("ClusterRole", &role), "subjects": subjects}))?;
        }
        self.planted(&sa_names)?;
        // Deployments with their pods, spread over nodes: what the charts
        // left of the pod budget, five replicas each (the last one fewer).
        let pods = p.pods.saturating_sub(counts.pods);
        let deployments = pods.div_ceil(PER_DEPLOY);
        for d in 0..deployments {
            let replicas = PER_DEPLOY.min(pods - d * PER_DEPLOY);
            let nsi = d % p.namespaces.max(1);
            let ns = self.ns(nsi);
            let sas = &sa_names[nsi];
            let sa = sas[self.below(sas.len())].clone();
            let name = format!("svc-{d}");
            let privileged = d % 211 == 0;
            let spec = pod_spec(&sa, privileged, d % 389 == 0, None);
            self.emit(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&name, Some(&ns)),
                "spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}))?;
            for r in 0..replicas {
                let node = format!("node-{:04}", self.below(p.nodes));
                let spec = pod_spec(&sa, privileged, d % 389 == 0, Some(&node));
                self.emit(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": meta(&format!("{name}-{r}"), Some(&ns)), "spec": spec}))?;
            }
        }
        Ok(())
    }

    /// The charts' installs, namespace by namespace (no random draw).
    fn charts(&mut self, counts: &mut Counts) -> Result<(), Error> {
        let p = self.preset;
        for chart in CHARTS.iter().filter(|c| c.shared) {
            let mut m = meta(&chart.cluster_role(), None);
            m["labels"] = chart.labels();
            let role = json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": m, "rules": (chart.rules)()});
            counts.count(&role);
            self.emit(role)?;
        }
        for i in 0..p.namespaces {
            let ns = self.ns(i);
            for (c, chart) in CHARTS.iter().enumerate() {
                if !chart.installed_in(i) {
                    continue;
                }
                let m = chart.meta(Some(&ns));
                self.emit(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": m}))?;
                counts.service_accounts += 1;
                let target = if chart.shared {
                    role_ref("ClusterRole", &chart.cluster_role())
                } else {
                    let role = json!({"apiVersion": RBAC, "kind": "Role", "metadata": m, "rules": (chart.rules)()});
                    counts.count(&role);
                    self.emit(role)?;
                    role_ref("Role", chart.name)
                };
                let binding = json!({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": m,
                    "roleRef": target, "subjects": [sa_subject(Some(&ns), chart.name)]});
                counts.count(&binding);
                self.emit(binding)?;
                // Chart pods run on the workers, by namespace index.
                let workers = p.nodes.saturating_sub(3);
                let node = if workers == 0 {
                    (i + c) % p.nodes.max(1)
                } else {
                    3 + (i + c) % workers
                };
                let spec = chart_pod_spec(chart, None);
                self.emit(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": m,
                    "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": chart.name}},
                        "template": {"metadata": {"labels": chart.labels()}, "spec": spec}}}))?;
                let spec = chart_pod_spec(chart, Some(&format!("node-{node:04}")));
                let mut pod_meta = meta(&format!("{}-0", chart.name), Some(&ns));
                pod_meta["labels"] = chart.labels();
                let pod =
                    json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec});
                counts.count(&pod);
                self.emit(pod)?;
            }
        }
        Ok(())
    }

    /// The teams' RoleBindings, namespace by namespace (no random draw):
    /// `team-edit` (ClusterRole `edit` to Group `team-<k>`, k the team)
    /// everywhere, `developers-view` (`view` to Group `developers`) where
    /// [`developers_view`] says, and `members` per-member bindings spread
    /// evenly (the first namespaces one more): the j-th binding of a
    /// namespace grants the j-th member of its team's roster
    /// ([`member`]), named `<login>-<role>`.
    fn team_bindings(&mut self, members: usize, counts: &mut Counts) -> Result<(), Error> {
        let n = self.preset.namespaces.max(1);
        let (per_ns, extra) = (members / n, members % n);
        for i in 0..self.preset.namespaces {
            let ns = self.ns(i);
            let k = team(i);
            let mut bindings = vec![(
                "team-edit".to_string(),
                "edit",
                named_subject("Group", &format!("team-{k}")),
            )];
            if developers_view(i) {
                bindings.push((
                    "developers-view".into(),
                    "view",
                    named_subject("Group", "developers"),
                ));
            }
            for j in 0..per_ns + usize::from(i < extra) {
                let (login, role) = member(k, j);
                bindings.push((
                    format!("{login}-{role}"),
                    role,
                    named_subject("User", &format!("{login}@example.com")),
                ));
            }
            for (name, role, subject) in bindings {
                let binding = json!({"apiVersion": RBAC, "kind": "RoleBinding",
                    "metadata": meta(&name, Some(&ns)),
                    "roleRef": role_ref("ClusterRole", role), "subjects": [subject]});
                counts.count(&binding);
                self.emit(binding)?;
            }
        }
        Ok(())
    }

    /// A handful of escalation paths a good analysis must find.
    fn planted(&mut self, sa_names: &[Vec<String>]) -> Result<(), Error> {
        let ns = self.ns(1 % self.preset.namespaces.max(1));
        let planted: [(&str, Value); PLANTED] = [
            (
                "planted-binder",
                json!([
                    rule(&["create"], &["rbac.authorization.k8s.io"], &["clusterrolebindings"]),
                    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["cluster-admin"]}
                ]),
            ),
            (
                "planted-impersonator",
                json!([rule(&["impersonate"], &[""], &["groups"])]),
            ),
            (
                "planted-node-proxy",
                json!([rule(&["get", "create"], &[""], &["nodes/proxy"])]),
            ),
            (
                "planted-escalator",
                json!([rule(
                    &["escalate", "update"],
                    &["rbac.authorization.k8s.io"],
                    &["clusterroles"]
                )]),
            ),
        ];
        let sa = sa_names
            .get(1)
            .and_then(|s| s.last())
            .cloned()
            .unwrap_or_else(|| "default".into());
        for (name, rules) in planted {
            self.emit(json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": meta(name, None), "rules": rules}))?;
            self.emit(json!({"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": meta(name, None),
                "roleRef": role_ref("ClusterRole", name), "subjects": [sa_subject(Some(&ns), &sa)]}))?;
        }
        Ok(())
    }
}

/// The ClusterRoles, ClusterRoleBindings, Role and RoleBinding of the
/// managed control plane.
fn platform_objects() -> Vec<Value> {
    let mut out = Vec::new();
    for (component, rules) in platform_roles() {
        let name = format!("eks:{component}");
        let labels = json!({EKS_COMPONENT_LABEL: component});
        out.push(json!({"apiVersion": RBAC, "kind": "ClusterRole",
            "metadata": {"name": name, "labels": labels}, "rules": rules}));
        out.push(json!({"apiVersion": RBAC, "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": labels},
            "roleRef": role_ref("ClusterRole", &name), "subjects": [named_subject("User", &name)]}));
        if component == "addon-manager" {
            let metadata = json!({"name": name, "namespace": "kube-system", "labels": labels});
            out.push(
                json!({"apiVersion": RBAC, "kind": "Role", "metadata": metadata,
                "rules": addon_manager_namespaced_rules()}),
            );
            out.push(
                json!({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": metadata,
                "roleRef": role_ref("Role", &name), "subjects": [named_subject("User", &name)]}),
            );
        }
    }
    out
}

/// A chart's pod: its service account, non-root, no privilege escalation
/// (admitted by `restricted`).
fn chart_pod_spec(chart: &Chart, node: Option<&str>) -> Value {
    let mut spec = json!({
        "serviceAccountName": chart.name,
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": chart.name,
            "image": format!("registry.example.com/charts/{}:{}", chart.name, chart.version),
            "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
    });
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    spec
}

fn pod_spec(sa: &str, privileged: bool, host_path: bool, node: Option<&str>) -> Value {
    let mut spec = json!({
        "serviceAccountName": sa,
        "containers": [{"name": "main", "image": "registry.example.com/app:1.0",
            "securityContext": {"privileged": privileged}}]
    });
    if host_path {
        spec["volumes"] = json!([{"name": "host", "hostPath": {"path": "/"}}]);
        spec["hostPID"] = json!(true);
    }
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    spec
}

/// Objects of each kind already emitted (the default policy's, the
/// platform's, the charts', the teams'): the random ones fill the rest of
/// the budget.
#[derive(Default)]
struct Counts {
    roles: usize,
    cluster_roles: usize,
    role_bindings: usize,
    cluster_role_bindings: usize,
    service_accounts: usize,
    pods: usize,
}

impl Counts {
    fn count(&mut self, v: &Value) {
        match v.get("kind").and_then(Value::as_str) {
            Some("Role") => self.roles += 1,
            Some("ClusterRole") => self.cluster_roles += 1,
            Some("RoleBinding") => self.role_bindings += 1,
            Some("ClusterRoleBinding") => self.cluster_role_bindings += 1,
            Some("Pod") => self.pods += 1,
            _ => {}
        }
    }
}

/// Generates a cluster, handing every object to `emit` in a fixed order.
///
/// # Errors
/// Whatever `emit` returns.
pub fn generate(
    preset: Preset,
    seed: u64,
    emit: &mut dyn FnMut(Value) -> Result<(), Error>,
) -> Result<(), Error> {
    Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        preset,
        emit,
    }
    .run()
}

/// Writes a cluster as one `kind: List` JSON document (what
/// `kubectl get -o json` prints), streaming object by object.
///
/// # Errors
/// Write or serialisation failures.
pub fn write_json(preset: Preset, seed: u64, out: &mut dyn Write) -> Result<(), Error> {
    out.write_all(b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n")?;
    let mut first = true;
    generate(preset, seed, &mut |obj| {
        if !first {
            out.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &obj).map_err(|e| Error::Serialize(e.to_string()))
    })?;
    out.write_all(b"\n]}\n")?;
    Ok(())
}

/// Writes a cluster as a multi-document YAML stream, one object per document.
///
/// # Errors
/// Write or serialisation failures.
pub fn write_yaml(preset: Preset, seed: u64, out: &mut dyn Write) -> Result<(), Error> {
    generate(preset, seed, &mut |obj| {
        let text = serde_saphyr::to_string(&obj).map_err(|e| Error::Serialize(e.to_string()))?;
        out.write_all(b"---\n")?;
        out.write_all(text.as_bytes())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(preset: Preset) -> std::collections::BTreeMap<String, usize> {
        let mut kinds = std::collections::BTreeMap::new();
        generate(preset, 7, &mut |v| {
            let kind = v
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let name = v["metadata"]["name"].as_str().unwrap_or("");
            if kind == "RoleBinding" && name.starts_with("binding-") {
                *kinds.entry("RoleBinding/random".into()).or_default() += 1;
            }
            if kind == "Role" && name.starts_with("app-role-") {
                *kinds.entry("Role/random".into()).or_default() += 1;
            }
            *kinds.entry(kind).or_default() += 1;
            Ok(())
        })
        .unwrap();
        kinds
    }

    fn objects(preset: Preset) -> Vec<Value> {
        let mut out = Vec::new();
        generate(preset, 7, &mut |v| {
            out.push(v);
            Ok(())
        })
        .unwrap();
        out
    }

    fn assert_published_sizes(name: &str) {
        let p = preset(name).unwrap();
        let kinds = count(p);
        assert_eq!(kinds["RoleBinding"], p.role_bindings, "{name}");
        assert_eq!(
            kinds["ClusterRoleBinding"], p.cluster_role_bindings,
            "{name}"
        );
        assert_eq!(kinds["Role"], p.roles, "{name}");
        assert_eq!(kinds["ClusterRole"], p.cluster_roles, "{name}");
        assert_eq!(kinds["ServiceAccount"], p.service_accounts, "{name}");
        assert_eq!(kinds["Pod"], p.pods, "{name}");
        assert_eq!(kinds["Node"], p.nodes, "{name}");
        assert_eq!(kinds["Namespace"], p.namespaces, "{name}");
        // The random one-offs are a minority of the RoleBindings: 15 %,
        // rounded down.
        let random = kinds["RoleBinding/random"];
        assert_eq!(
            random,
            p.role_bindings * RANDOM_BINDINGS_PERCENT / 100,
            "{name}"
        );
        assert!(random * 5 <= p.role_bindings, "{name}");
        // The charts leave some of the Role budget to random ones.
        assert!(kinds["Role/random"] > 0, "{name}");
    }

    #[test]
    fn small_has_the_published_rbac_sizes() {
        assert_published_sizes("small");
    }

    #[test]
    fn medium_has_the_published_rbac_sizes() {
        assert_published_sizes("medium");
    }

    #[test]
    fn big_has_the_published_rbac_sizes() {
        assert_published_sizes("big");
    }

    #[test]
    fn xl_has_its_sizes() {
        assert_published_sizes("xl");
    }

    fn of_kind<'a>(objects: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        objects.iter().filter(move |o| o["kind"] == kind)
    }

    #[test]
    fn pod_security_labels_by_level_on_small() {
        let p = preset("small").unwrap();
        let objects = objects(p);
        let mut levels = std::collections::BTreeMap::new();
        for ns in of_kind(&objects, "Namespace") {
            let level = ns["metadata"]["labels"][PSA_ENFORCE_LABEL]
                .as_str()
                .unwrap_or("none")
                .to_string();
            *levels.entry(level).or_insert(0) += 1;
        }
        // 40 namespaces: 40 % baseline, 20 % restricted, 5 % privileged, 35 % none.
        assert_eq!(levels["baseline"], 16);
        assert_eq!(levels["restricted"], 8);
        assert_eq!(levels["privileged"], 2);
        assert_eq!(levels["none"], 14);
        // The namespace of the privileged, hostPath deployment admits it.
        assert_eq!(psa_level(0), Some("privileged"));
    }

    #[test]
    fn platform_roles_are_present_and_labelled() {
        let objects = objects(preset("small").unwrap());
        for component in [
            "addon-manager",
            "node-manager",
            "certificate-controller",
            "fargate-manager",
        ] {
            let name = format!("eks:{component}");
            let role = of_kind(&objects, "ClusterRole")
                .find(|o| o["metadata"]["name"] == name.as_str())
                .unwrap_or_else(|| panic!("{name}"));
            assert_eq!(role["metadata"]["labels"][EKS_COMPONENT_LABEL], component);
            assert!(!role["rules"].as_array().unwrap().is_empty());
            let binding = of_kind(&objects, "ClusterRoleBinding")
                .find(|o| o["metadata"]["name"] == name.as_str())
                .unwrap_or_else(|| panic!("{name}"));
            assert_eq!(binding["roleRef"]["name"], name.as_str());
            assert_eq!(
                binding["subjects"],
                json!([{"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}])
            );
        }
        let addon = of_kind(&objects, "RoleBinding")
            .find(|o| o["metadata"]["name"] == "eks:addon-manager")
            .unwrap();
        assert_eq!(addon["metadata"]["namespace"], "kube-system");
        assert_eq!(addon["roleRef"]["kind"], "Role");
        // No Node says EKS: that would switch on EKS-only techniques.
        for node in of_kind(&objects, "Node") {
            let labels = node["metadata"]["labels"].as_object().unwrap();
            assert!(labels.keys().all(|k| !k.starts_with("eks.amazonaws.com/")));
        }
    }

    /// At most this many charts in one namespace: each takes the place of
    /// an `app-N` service account, and `big` and `xl` have five per
    /// namespace (one is left for the random bindings and workloads).
    const MAX_CHARTS_PER_NAMESPACE: usize = 4;

    #[test]
    fn chart_catalogue_fits_every_preset() {
        assert!((10..=12).contains(&CHARTS.len()));
        let mut names: Vec<&str> = CHARTS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHARTS.len());
        for chart in CHARTS {
            // 10 % to 60 % of the namespaces, residues distinct and in range.
            assert!((2..=12).contains(&chart.residues.len()), "{}", chart.name);
            assert!(chart.residues.windows(2).all(|w| w[0] < w[1]));
            assert!(chart.residues.iter().all(|&r| r < CHART_PERIOD));
        }
        let installs = |i: usize| CHARTS.iter().filter(|c| c.installed_in(i)).count();
        assert!((0..CHART_PERIOD).all(|i| installs(i) <= MAX_CHARTS_PER_NAMESPACE));
        // Namespace 1 (the planted paths' service account) has ci-runner alone.
        let in_one: Vec<&str> = CHARTS
            .iter()
            .filter(|c| c.installed_in(1))
            .map(|c| c.name)
            .collect();
        assert_eq!(in_one, ["ci-runner"]);
        for p in PRESETS {
            let per_ns_sa = (p.service_accounts - p.namespaces) / p.namespaces;
            assert!(MAX_CHARTS_PER_NAMESPACE < per_ns_sa, "{}", p.name);
        }
    }

    /// Whether rules grant what an audit flags: creating pods or pod
    /// controllers, reading secrets, exec into pods.
    fn dangerous(rules: &Value) -> bool {
        let has = |list: &Value, wanted: &[&str]| {
            list.as_array()
                .unwrap()
                .iter()
                .any(|v| v == "*" || wanted.iter().any(|w| v == *w))
        };
        rules.as_array().unwrap().iter().any(|r| {
            let (verbs, resources) = (&r["verbs"], &r["resources"]);
            (has(verbs, &["create"])
                && has(
                    resources,
                    &[
                        "pods",
                        "pods/exec",
                        "deployments",
                        "statefulsets",
                        "daemonsets",
                        "jobs",
                        "cronjobs",
                    ],
                ))
                || (has(verbs, &["get", "list", "watch"]) && has(resources, &["secrets"]))
        })
    }

    #[test]
    fn a_few_charts_are_dangerous_most_are_not() {
        let flagged: Vec<&str> = CHARTS
            .iter()
            .filter(|c| dangerous(&(c.rules)()))
            .map(|c| c.name)
            .collect();
        assert_eq!(
            flagged,
            [
                "stack-operator",
                "ci-runner",
                "ingress-nginx",
                "postgres-operator",
                "backup-agent"
            ]
        );
    }

    #[test]
    fn charts_repeat_the_same_role_in_their_namespaces() {
        for name in ["small", "medium"] {
            let p = preset(name).unwrap();
            let objects = objects(p);
            for chart in CHARTS {
                check_chart(p, &objects, chart);
            }
        }
    }

    fn check_chart(p: Preset, objects: &[Value], chart: &Chart) {
        let installs = (0..p.namespaces).filter(|&i| chart.installed_in(i)).count();
        if p.namespaces.is_multiple_of(CHART_PERIOD) {
            // The chart's share of the namespaces, exactly.
            assert_eq!(
                installs * CHART_PERIOD,
                p.namespaces * chart.residues.len(),
                "{}",
                chart.name
            );
        }
        let named = |kind: &'static str| -> Vec<&Value> {
            of_kind(objects, kind)
                .filter(|o| o["metadata"]["name"] == chart.name)
                .collect()
        };
        let bindings = named("RoleBinding");
        assert_eq!(bindings.len(), installs, "{}", chart.name);
        let mut namespaces: Vec<&str> = bindings
            .iter()
            .map(|b| b["metadata"]["namespace"].as_str().unwrap())
            .collect();
        namespaces.dedup();
        assert_eq!(namespaces.len(), installs);
        for b in &bindings {
            let ns = b["metadata"]["namespace"].as_str().unwrap();
            assert_eq!(
                b["subjects"],
                json!([{"kind": "ServiceAccount", "name": chart.name, "namespace": ns}])
            );
        }
        let sas = named("ServiceAccount");
        assert_eq!(sas.len(), installs);
        let deployments = named("Deployment");
        assert_eq!(deployments.len(), installs);
        for d in &deployments {
            assert_eq!(d["spec"]["replicas"], 1);
            assert_eq!(
                d["spec"]["template"]["spec"]["serviceAccountName"],
                chart.name
            );
        }
        let pods: Vec<&Value> = of_kind(objects, "Pod")
            .filter(|o| o["spec"]["serviceAccountName"] == chart.name)
            .collect();
        assert_eq!(pods.len(), installs);
        let roles = named("Role");
        if chart.shared {
            assert!(roles.is_empty());
            let shared = chart.cluster_role();
            assert!(
                bindings
                    .iter()
                    .all(|b| b["roleRef"] == role_ref("ClusterRole", &shared))
            );
            let cluster_roles: Vec<&Value> = of_kind(objects, "ClusterRole")
                .filter(|o| o["metadata"]["name"] == shared.as_str())
                .collect();
            assert_eq!(cluster_roles.len(), 1);
            assert_eq!(cluster_roles[0]["rules"], (chart.rules)());
        } else {
            assert_eq!(roles.len(), installs);
            assert!(roles.iter().all(|r| r["rules"] == roles[0]["rules"]));
            assert_eq!(roles[0]["rules"], (chart.rules)());
            assert!(
                bindings
                    .iter()
                    .all(|b| b["roleRef"] == role_ref("Role", chart.name))
            );
        }
    }

    #[test]
    fn team_bindings_are_named_the_same_in_every_namespace() {
        for name in ["small", "medium", "big"] {
            let p = preset(name).unwrap();
            let objects = objects(p);
            let mut per_ns: std::collections::BTreeMap<&str, Vec<&Value>> =
                std::collections::BTreeMap::new();
            for b in of_kind(&objects, "RoleBinding") {
                if let Some(ns) = b["metadata"]["namespace"].as_str() {
                    per_ns.entry(ns).or_default().push(b);
                }
            }
            let mut developers = 0;
            // The members' bindings of each team: (team, name) to (roleRef,
            // subjects, namespaces); and how many each namespace has.
            let mut roster: std::collections::BTreeMap<(usize, &str), (&Value, &Value, usize)> =
                std::collections::BTreeMap::new();
            let mut member_counts = Vec::new();
            for i in 0..p.namespaces {
                let ns = format!("team-{i:04}");
                let bindings = &per_ns[ns.as_str()];
                let find = |n: &str| {
                    bindings
                        .iter()
                        .filter(|b| b["metadata"]["name"] == n)
                        .collect::<Vec<_>>()
                };
                let edit = find("team-edit");
                assert_eq!(edit.len(), 1, "{name} {ns}");
                assert_eq!(edit[0]["roleRef"], role_ref("ClusterRole", "edit"));
                assert_eq!(
                    edit[0]["subjects"],
                    json!([named_subject("Group", &format!("team-{}", i / 25))])
                );
                let view = find("developers-view");
                if developers_view(i) {
                    developers += 1;
                    assert_eq!(view.len(), 1, "{name} {ns}");
                    assert_eq!(view[0]["roleRef"], role_ref("ClusterRole", "view"));
                    assert_eq!(
                        view[0]["subjects"],
                        json!([named_subject("Group", "developers")])
                    );
                } else {
                    assert!(view.is_empty(), "{name} {ns}");
                }
                let prefix = format!("t{:03}-dev", i / 25);
                let mut members = 0;
                for b in bindings.iter().filter(|b| {
                    b["subjects"][0]["kind"] == "User"
                        && b["metadata"]["name"]
                            .as_str()
                            .is_some_and(|n| n.starts_with(&prefix))
                }) {
                    let n = b["metadata"]["name"].as_str().unwrap();
                    let e = roster
                        .entry((i / 25, n))
                        .or_insert((&b["roleRef"], &b["subjects"], 0));
                    assert_eq!(e.0, &b["roleRef"], "{n}");
                    assert_eq!(e.1, &b["subjects"], "{n}");
                    e.2 += 1;
                    members += 1;
                }
                member_counts.push(members);
            }
            // Spread evenly: the namespaces' rosters differ by one at most.
            let fewest = *member_counts.iter().min().unwrap();
            assert!(fewest > 0, "{name}");
            assert!(*member_counts.iter().max().unwrap() <= fewest + 1, "{name}");
            // So the first `fewest` members are bound in every namespace of
            // their team.
            for k in 0..p.namespaces.div_ceil(25) {
                let team_size = p.namespaces.min((k + 1) * 25) - k * 25;
                for j in 0..fewest {
                    let (login, role) = member(k, j);
                    let n = format!("{login}-{role}");
                    assert_eq!(roster[&(k, n.as_str())].2, team_size, "{name} {n}");
                }
            }
            // 60 % of the namespaces.
            assert_eq!(developers * 5, p.namespaces * 3, "{name}");
        }
    }

    #[test]
    fn deterministic() {
        let p = preset("small").unwrap();
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_json(p, 42, &mut a).unwrap();
        write_json(p, 42, &mut b).unwrap();
        assert_eq!(a, b);
        let mut c = Vec::new();
        write_json(p, 43, &mut c).unwrap();
        assert_ne!(a, c);
    }
}

//! Deterministic synthetic Kubernetes clusters for benchmarking rbacgraph.
//!
//! A cluster starts from the API server's default RBAC policy and adds, per
//! namespace, service accounts, Roles, RoleBindings (to Roles and to the
//! admin/edit/view ClusterRoles), Deployments and their Pods spread over
//! nodes; cluster-wide operators with ClusterRoles and ClusterRoleBindings;
//! aggregated ClusterRoles; wildcards, resourceNames and subresources; users
//! and groups; and a few planted escalation paths. The same preset and seed
//! always give the same bytes.
//!
//! Presets `small`, `medium` and `big` have the RBAC sizes KubeHound
//! published from real clusters (DataDog/KubeHound PR #87); `xl` is ten times
//! `big`.

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
        // Nodes and namespaces.
        for i in 0..p.nodes {
            let role = if i < 3 { "control-plane" } else { "worker" };
            self.emit(json!({"apiVersion": "v1", "kind": "Node", "metadata": {
                "name": format!("node-{i:04}"),
                "labels": {format!("node-role.kubernetes.io/{role}"): ""}}}))?;
        }
        for i in 0..p.namespaces {
            let mut labels = serde_json::Map::new();
            if i % 3 == 0 {
                labels.insert(
                    "pod-security.kubernetes.io/enforce".into(),
                    json!("baseline"),
                );
            }
            self.emit(json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": self.ns(i), "labels": labels}}))?;
        }
        // ServiceAccounts: a default per namespace, the rest spread.
        let per_ns_sa = p.service_accounts.saturating_sub(p.namespaces) / p.namespaces.max(1);
        let mut sa_names: Vec<Vec<String>> = Vec::with_capacity(p.namespaces);
        for i in 0..p.namespaces {
            let ns = self.ns(i);
            let mut names = vec!["default".to_string()];
            names.extend((0..per_ns_sa).map(|j| format!("app-{j}")));
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
        // Roles per namespace.
        let extra_roles = p.roles.saturating_sub(counts.roles);
        let mut role_names: Vec<Vec<String>> = vec![Vec::new(); p.namespaces];
        for i in 0..extra_roles {
            let nsi = i % p.namespaces.max(1);
            let ns = self.ns(nsi);
            let name = format!("app-role-{i}");
            let rules: Vec<Value> = (0..1 + self.below(4)).map(|_| self.app_rule()).collect();
            self.emit(json!({"apiVersion": RBAC, "kind": "Role", "metadata": meta(&name, Some(&ns)), "rules": rules}))?;
            role_names[nsi].push(name);
        }
        // RoleBindings.
        let extra_rbs = p.role_bindings.saturating_sub(counts.role_bindings);
        for i in 0..extra_rbs {
            let nsi = self.below(p.namespaces);
            let ns = self.ns(nsi);
            let (kind, role) = match self.below(10) {
                0..=4 if !role_names[nsi].is_empty() => (
                    "Role",
                    role_names[nsi][self.below(role_names[nsi].len())].clone(),
                ),
                0..=5 => ("ClusterRole", "view".to_string()),
                6..=7 => ("ClusterRole", "edit".to_string()),
                8 => ("ClusterRole", "admin".to_string()),
                _ => (
                    "ClusterRole",
                    format!("operator-{:05}", self.below(extra_cluster_roles.max(1))),
                ),
            };
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
        // Deployments with their pods, spread over nodes.
        let per_deploy = 5;
        let deployments = p.pods / per_deploy;
        for d in 0..deployments {
            let nsi = d % p.namespaces.max(1);
            let ns = self.ns(nsi);
            let sas = &sa_names[nsi];
            let sa = sas[self.below(sas.len())].clone();
            let name = format!("svc-{d}");
            let privileged = d % 211 == 0;
            let spec = pod_spec(&sa, privileged, d % 389 == 0, None);
            self.emit(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&name, Some(&ns)),
                "spec": {"replicas": per_deploy, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}))?;
            for r in 0..per_deploy {
                let node = format!("node-{:04}", self.below(p.nodes));
                let spec = pod_spec(&sa, privileged, d % 389 == 0, Some(&node));
                self.emit(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": meta(&format!("{name}-{r}"), Some(&ns)), "spec": spec}))?;
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

/// Objects of each RBAC kind already emitted (the default policy's).
#[derive(Default)]
struct Counts {
    roles: usize,
    cluster_roles: usize,
    role_bindings: usize,
    cluster_role_bindings: usize,
    service_accounts: usize,
}

impl Counts {
    fn count(&mut self, v: &Value) {
        match v.get("kind").and_then(Value::as_str) {
            Some("Role") => self.roles += 1,
            Some("ClusterRole") => self.cluster_roles += 1,
            Some("RoleBinding") => self.role_bindings += 1,
            Some("ClusterRoleBinding") => self.cluster_role_bindings += 1,
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
            *kinds.entry(kind).or_default() += 1;
            Ok(())
        })
        .unwrap();
        kinds
    }

    #[test]
    fn small_has_the_published_rbac_sizes() {
        let p = preset("small").unwrap();
        let kinds = count(p);
        assert_eq!(kinds["RoleBinding"], p.role_bindings);
        assert_eq!(kinds["ClusterRoleBinding"], p.cluster_role_bindings);
        assert_eq!(kinds["Role"], p.roles);
        assert_eq!(kinds["ClusterRole"], p.cluster_roles);
        assert_eq!(kinds["Pod"], p.pods);
        assert_eq!(kinds["Node"], p.nodes);
        assert_eq!(kinds["Namespace"], p.namespaces);
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

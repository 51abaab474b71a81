//! The permission graph as data, for Graphviz and graph explorers: subjects,
//! bindings, roles, their rules, workloads, and the escalation edges of the
//! attack graph — the whole graph or the neighbourhood of one object.
//!
//! Node ids are `Kind:name` for cluster-scoped objects and
//! `Kind:namespace/name` for namespaced ones (`User:alice`,
//! `ServiceAccount:ci/deployer`, `ClusterRole:edit`, `RoleBinding:shop/web`);
//! a rule is its role's id plus `#index`; the sinks are
//! `ClusterAdmin:cluster-admin` and `Node:NAME` (`Node:*` for a node the
//! input does not name).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use serde::Serialize;

use super::dto::dot_id;
use super::{AttackGraph, AttackNode, NODE_USERNAME_PREFIX, Technique};
use crate::error::Error;
use crate::graph::{BindingId, RoleId, RoleResolution, SubjectKey, WorkloadId, subject_key};
use crate::model::{PolicyRule, Source, SubjectKind, describe};
use crate::render::{Document, document};
use crate::request::split_service_account;

/// One node of the exported graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportNode {
    /// Stable id (see the module documentation).
    pub id: String,
    /// `User`, `Group`, `ServiceAccount`, `RoleBinding`, `ClusterRoleBinding`,
    /// `Role`, `ClusterRole`, `Rule`, a workload kind, `ClusterAdmin`,
    /// `Node` or `RoleGrant`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A label for people (a rule's text; `missing` for a role that does
    /// not exist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Where the object was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// What an exported edge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ExportEdgeKind {
    /// Subject → binding that names it.
    SubjectOf,
    /// Binding → the role it references.
    RoleRef,
    /// Role → one of its rules.
    Rule,
    /// ClusterRole → the aggregated ClusterRole that selects it.
    AggregatedInto,
    /// Workload → the ServiceAccount its pods run as.
    RunsAs,
    /// An attack-graph edge (see `technique`).
    Escalation,
}

/// One edge of the exported graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportEdge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// What the edge means.
    pub kind: ExportEdgeKind,
    /// The technique of an escalation edge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technique: Option<Technique>,
}

/// The permission graph, or a neighbourhood of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportGraph {
    /// Nodes, sorted by id.
    pub nodes: Vec<ExportNode>,
    /// Edges, sorted.
    pub edges: Vec<ExportEdge>,
}

fn id(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind}:{ns}/{name}"),
        None => format!("{kind}:{name}"),
    }
}

fn subject_id(key: &SubjectKey) -> String {
    match key.kind {
        SubjectKind::ServiceAccount => id("ServiceAccount", Some(&key.namespace), &key.name),
        _ => id(key.kind.as_str(), None, &key.name),
    }
}

/// `get,list pods,pods/log [names a,b]` — a rule in one line.
fn rule_text(rule: &PolicyRule) -> String {
    let mut out = rule.verbs.join(",");
    if !rule.resources.is_empty() {
        let groups: Vec<&str> = rule
            .api_groups
            .iter()
            .map(|g| if g.is_empty() { "core" } else { g.as_str() })
            .collect();
        let _ = write!(out, " {}", rule.resources.join(","));
        let _ = write!(out, " ({})", groups.join(","));
    }
    if !rule.resource_names.is_empty() {
        let _ = write!(out, " names {}", rule.resource_names.join(","));
    }
    if !rule.non_resource_urls.is_empty() {
        let _ = write!(out, " {}", rule.non_resource_urls.join(","));
    }
    out
}

impl ExportGraph {
    /// The whole permission graph with the attack graph's escalation edges
    /// (but not those out of `cluster-admin`, which reach everything).
    ///
    /// # Complexity
    /// O(subjects + bindings + rules + workloads + attack-graph edges).
    ///
    /// # Example
    /// ```
    /// use rbacgraph::RbacGraph;
    /// use rbacgraph::query::paths::AttackGraph;
    /// use rbacgraph::query::paths::export::ExportGraph;
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: reader}
    /// rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: read}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
    /// subjects: [{kind: User, name: jane}]
    /// ").build().unwrap();
    /// let attack = AttackGraph::builder(&graph).build();
    /// let export = ExportGraph::new(&attack).around("user/jane", 2).unwrap();
    /// let ids: Vec<&str> = export.nodes.iter().map(|n| n.id.as_str()).collect();
    /// assert_eq!(ids, ["ClusterRole:reader", "ClusterRoleBinding:read", "User:jane"]);
    /// ```
    pub fn new(attack: &AttackGraph<'_>) -> ExportGraph {
        let g = attack.rbac();
        let mut nodes: BTreeMap<String, ExportNode> = BTreeMap::new();
        let mut edges: BTreeSet<ExportEdge> = BTreeSet::new();
        let add = |nodes: &mut BTreeMap<String, ExportNode>, node: ExportNode| {
            nodes.entry(node.id.clone()).or_insert(node);
        };
        let node = |kind: &str, namespace: Option<&str>, name: &str| ExportNode {
            id: id(kind, namespace, name),
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            label: None,
            source: None,
        };
        let edge = |from: String, to: String, kind: ExportEdgeKind| ExportEdge {
            from,
            to,
            kind,
            technique: None,
        };
        for key in g.subjects() {
            if key.kind == SubjectKind::ServiceAccount && key.namespace.is_empty() {
                continue; // matches no one (a ClusterRoleBinding subject without namespace)
            }
            let mut n = match key.kind {
                SubjectKind::ServiceAccount => {
                    node("ServiceAccount", Some(&key.namespace), &key.name)
                }
                _ => node(key.kind.as_str(), None, &key.name),
            };
            if key.kind == SubjectKind::ServiceAccount {
                n.source = g
                    .service_account(&key.namespace, &key.name)
                    .map(|s| s.source.clone());
            }
            add(&mut nodes, n);
        }
        for (i, role) in g.roles().iter().enumerate() {
            let rid = id(role.kind.as_str(), role.namespace.as_deref(), &role.name);
            let mut n = node(role.kind.as_str(), role.namespace.as_deref(), &role.name);
            n.source = Some(role.source.clone());
            add(&mut nodes, n);
            for (r, rule) in role.rules.iter().enumerate() {
                let rule_id = format!("{rid}#{r}");
                add(
                    &mut nodes,
                    ExportNode {
                        id: rule_id.clone(),
                        kind: "Rule".into(),
                        name: format!("{}#{r}", role.name),
                        namespace: role.namespace.clone(),
                        label: Some(rule_text(rule)),
                        source: None,
                    },
                );
                edges.insert(edge(rid.clone(), rule_id, ExportEdgeKind::Rule));
            }
            for from in g.aggregated_from(RoleId(i as u32)) {
                if let Some(c) = g.role(from) {
                    edges.insert(edge(
                        id(c.kind.as_str(), c.namespace.as_deref(), &c.name),
                        rid.clone(),
                        ExportEdgeKind::AggregatedInto,
                    ));
                }
            }
        }
        for (i, b) in g.bindings().iter().enumerate() {
            let bid = id(b.kind.as_str(), b.namespace.as_deref(), &b.name);
            let mut n = node(b.kind.as_str(), b.namespace.as_deref(), &b.name);
            n.source = Some(b.source.clone());
            add(&mut nodes, n);
            let role = g.referenced_role(BindingId(i as u32));
            let role_id = id(&role.kind, role.namespace.as_deref(), &role.name);
            if !matches!(
                g.resolution(BindingId(i as u32)),
                Some(RoleResolution::Resolved { .. })
            ) {
                let mut missing = node(&role.kind, role.namespace.as_deref(), &role.name);
                missing.label = Some("missing".into());
                add(&mut nodes, missing);
            }
            edges.insert(edge(bid.clone(), role_id, ExportEdgeKind::RoleRef));
            let ns = b.namespace.as_deref().unwrap_or("");
            for s in &b.subjects {
                let Some(key) = subject_key(s, b.kind, ns) else {
                    continue;
                };
                if key.kind == SubjectKind::ServiceAccount && key.namespace.is_empty() {
                    continue;
                }
                edges.insert(edge(
                    subject_id(&key),
                    bid.clone(),
                    ExportEdgeKind::SubjectOf,
                ));
            }
        }
        for w in g.workloads() {
            let mut n = node(w.kind.as_str(), Some(&w.namespace), &w.name);
            n.source = Some(w.source.clone());
            add(&mut nodes, n);
            let sa = node("ServiceAccount", Some(&w.namespace), &w.pod.service_account);
            let sa_id = sa.id.clone();
            add(&mut nodes, sa);
            edges.insert(edge(
                id(w.kind.as_str(), Some(&w.namespace), &w.name),
                sa_id,
                ExportEdgeKind::RunsAs,
            ));
        }
        for e in attack.edges() {
            // cluster-admin can do everything: its own edges (to every
            // principal, workload and node) would only tie the graph into a
            // knot around it.
            if e.from == &AttackNode::ClusterAdmin {
                continue;
            }
            let (Some(from), Some(to)) = (attack_node(attack, e.from), attack_node(attack, e.to))
            else {
                continue;
            };
            let (from_id, to_id) = (from.id.clone(), to.id.clone());
            add(&mut nodes, from);
            add(&mut nodes, to);
            edges.insert(ExportEdge {
                from: from_id,
                to: to_id,
                kind: ExportEdgeKind::Escalation,
                technique: Some(e.technique),
            });
        }
        ExportGraph {
            nodes: nodes.into_values().collect(),
            edges: edges.into_iter().collect(),
        }
    }

    /// The id of the node `spec` names: `KIND/NAME` or `KIND/NAMESPACE/NAME`
    /// (kinds `user`, `group`, `sa`/`serviceaccount`, `role`,
    /// `clusterrole`, `rolebinding`/`rb`, `clusterrolebinding`/`crb`,
    /// `node`, case-insensitive), a node id, a service-account user name, or
    /// a bare user or group name.
    ///
    /// # Errors
    /// When nothing in the graph has that name, or a namespaced kind's bare
    /// name is ambiguous.
    pub fn resolve(&self, spec: &str) -> Result<String, Error> {
        let invalid = |reason: String| Error::Invalid {
            what: "--around",
            value: spec.to_string(),
            reason,
        };
        let exists = |id: &str| self.nodes.iter().any(|n| n.id == id);
        if exists(spec) {
            return Ok(spec.to_string());
        }
        if let Some((ns, name)) = split_service_account(spec) {
            let sa = id("ServiceAccount", Some(ns), name);
            return if exists(&sa) {
                Ok(sa)
            } else {
                Err(invalid("no such ServiceAccount in the graph".into()))
            };
        }
        if let Some((kind, rest)) = spec.split_once('/') {
            let kind = match kind.to_ascii_lowercase().as_str() {
                "user" | "users" => "User",
                "group" | "groups" => "Group",
                "sa" | "serviceaccount" | "serviceaccounts" => "ServiceAccount",
                "role" | "roles" => "Role",
                "clusterrole" | "clusterroles" => "ClusterRole",
                "rolebinding" | "rolebindings" | "rb" => "RoleBinding",
                "clusterrolebinding" | "clusterrolebindings" | "crb" => "ClusterRoleBinding",
                "node" | "nodes" => "Node",
                other => {
                    return Err(invalid(format!(
                        "unknown kind `{other}`; use user, group, sa, role, clusterrole, rolebinding, clusterrolebinding or node"
                    )));
                }
            };
            let namespaced = matches!(kind, "ServiceAccount" | "Role" | "RoleBinding");
            let candidate = if namespaced {
                match rest.split_once('/') {
                    Some((ns, name)) => id(kind, Some(ns), name),
                    None => {
                        let matching: Vec<&ExportNode> = self
                            .nodes
                            .iter()
                            .filter(|n| n.kind == kind && n.name == rest)
                            .collect();
                        match matching.as_slice() {
                            [one] => one.id.clone(),
                            [] => {
                                return Err(invalid(format!(
                                    "no {kind} named `{rest}` in the graph"
                                )));
                            }
                            _ => {
                                return Err(invalid(format!(
                                    "{kind} `{rest}` exists in several namespaces; use {}/NAMESPACE/{rest}",
                                    kind.to_ascii_lowercase()
                                )));
                            }
                        }
                    }
                }
            } else {
                id(kind, None, rest)
            };
            return if exists(&candidate) {
                Ok(candidate)
            } else {
                Err(invalid(format!("no {kind} `{rest}` in the graph")))
            };
        }
        for kind in ["User", "Group"] {
            let candidate = id(kind, None, spec);
            if exists(&candidate) {
                return Ok(candidate);
            }
        }
        Err(invalid(
            "no subject, role or binding of that name; use KIND/NAME or KIND/NAMESPACE/NAME".into(),
        ))
    }

    /// The nodes within `depth` edges (in either direction) of the node
    /// `spec` names (see [`ExportGraph::resolve`]), and the edges between them.
    ///
    /// # Errors
    /// When `spec` names nothing in the graph.
    pub fn around(&self, spec: &str, depth: usize) -> Result<ExportGraph, Error> {
        let start = self.resolve(spec)?;
        let mut adjacent: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in &self.edges {
            adjacent.entry(&e.from).or_default().push(&e.to);
            adjacent.entry(&e.to).or_default().push(&e.from);
        }
        let mut dist: BTreeMap<&str, usize> = BTreeMap::new();
        dist.insert(start.as_str(), 0);
        let mut queue = VecDeque::from([start.as_str()]);
        while let Some(v) = queue.pop_front() {
            let d = dist.get(v).copied().unwrap_or(0);
            if d >= depth {
                continue;
            }
            for &u in adjacent.get(v).into_iter().flatten() {
                if !dist.contains_key(u) {
                    dist.insert(u, d + 1);
                    queue.push_back(u);
                }
            }
        }
        Ok(ExportGraph {
            nodes: self
                .nodes
                .iter()
                .filter(|n| dist.contains_key(n.id.as_str()))
                .cloned()
                .collect(),
            edges: self
                .edges
                .iter()
                .filter(|e| dist.contains_key(e.from.as_str()) && dist.contains_key(e.to.as_str()))
                .cloned()
                .collect(),
        })
    }

    /// As a versioned document (`kind: PermissionGraph`).
    pub fn to_document(&self) -> Document<&ExportGraph> {
        document("PermissionGraph", self)
    }

    /// A Graphviz digraph: subjects as ellipses, bindings as boxes, roles as
    /// hexagons, rules as notes, workloads as 3-D boxes, sinks as double
    /// octagons; escalation edges in red, labelled with their technique.
    pub fn to_dot(&self) -> String {
        let mut out =
            String::from("digraph rbac {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        for n in &self.nodes {
            let shape = match n.kind.as_str() {
                "User" | "Group" | "ServiceAccount" => "ellipse",
                "RoleBinding" | "ClusterRoleBinding" => "box",
                "Role" | "ClusterRole" => "hexagon",
                "Rule" | "RoleGrant" => "note",
                "ClusterAdmin" | "Node" => "doubleoctagon",
                _ => "box3d",
            };
            let mut label = describe(&n.kind, n.namespace.as_deref(), &n.name);
            if let Some(extra) = &n.label {
                label = if n.kind == "Rule" {
                    extra.clone()
                } else {
                    format!("{label}\n({extra})")
                };
            }
            let _ = writeln!(
                out,
                "  {} [label={}, shape={shape}];",
                dot_id(&n.id),
                dot_id(&label)
            );
        }
        for e in &self.edges {
            let attrs = match (e.kind, e.technique) {
                (ExportEdgeKind::Escalation, Some(t)) => {
                    format!("color=red, fontcolor=red, label={}", dot_id(t.id()))
                }
                (kind, _) => {
                    let name = match kind {
                        ExportEdgeKind::SubjectOf => "subject of",
                        ExportEdgeKind::RoleRef => "roleRef",
                        ExportEdgeKind::Rule => "rule",
                        ExportEdgeKind::AggregatedInto => "aggregated into",
                        ExportEdgeKind::RunsAs => "runs as",
                        ExportEdgeKind::Escalation => "",
                    };
                    format!("color=gray40, fontsize=9, label={}", dot_id(name))
                }
            };
            let _ = writeln!(out, "  {} -> {} [{attrs}];", dot_id(&e.from), dot_id(&e.to));
        }
        out.push_str("}\n");
        out
    }
}

/// The export node of an attack-graph node (`None` for query sources).
fn attack_node(attack: &AttackGraph<'_>, node: &AttackNode) -> Option<ExportNode> {
    let g = attack.rbac();
    let plain = |kind: &str, namespace: Option<&str>, name: &str| ExportNode {
        id: id(kind, namespace, name),
        kind: kind.to_string(),
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        label: None,
        source: None,
    };
    Some(match node {
        AttackNode::ClusterAdmin => plain("ClusterAdmin", None, "cluster-admin"),
        AttackNode::Node { name } => plain("Node", None, name.as_deref().unwrap_or("*")),
        AttackNode::NodeIdentity { name } => {
            plain("User", None, &format!("{NODE_USERNAME_PREFIX}{name}"))
        }
        AttackNode::User { name } => plain("User", None, name),
        AttackNode::Group { name } => plain("Group", None, name),
        AttackNode::ServiceAccount { namespace, name } => {
            plain("ServiceAccount", Some(namespace), name)
        }
        AttackNode::Workload { id: WorkloadId(w) } => {
            let w = g.workloads().get(*w as usize)?;
            plain(w.kind.as_str(), Some(&w.namespace), &w.name)
        }
        AttackNode::RoleGrant { role, namespace } => {
            let role = role.and_then(|r| g.role(r));
            let role_name = role.map_or("*".to_string(), |r| {
                describe(r.kind.as_str(), r.namespace.as_deref(), &r.name)
            });
            let scope = namespace.clone().unwrap_or_else(|| "cluster".into());
            ExportNode {
                id: format!("RoleGrant:{role_name}@{scope}"),
                kind: "RoleGrant".into(),
                name: role.map_or("*".to_string(), |r| r.name.clone()),
                namespace: namespace.clone(),
                label: Some(format!("{role_name} bound in {scope}")),
                source: None,
            }
        }
        AttackNode::Identity { .. } | AttackNode::Shadow { .. } => return None,
    })
}

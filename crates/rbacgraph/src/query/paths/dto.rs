//! The serializable answers of path queries (the `EscalationPaths` document)
//! and their Graphviz rendering.

use std::collections::BTreeSet;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use super::{AttackGraph, AttackNode, Evidence, NODE_USERNAME_PREFIX, SYSTEM_NODES, Technique};
use crate::model::{Source, describe};
use crate::query::ObjectRef;
use crate::render::{Document, document};

/// A node of a path, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    /// `ClusterAdmin`, `Node`, `User`, `Group`, `ServiceAccount`, a
    /// workload kind (`Pod`, `Deployment`, …) or `RoleGrant`.
    pub kind: String,
    /// Name (`*` for an unnamed node or for any rules).
    pub name: String,
    /// Namespace, for namespaced nodes and RoleBinding grants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Groups of an identity, when they matter (kubelets, query sources).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The role of a `RoleGrant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<ObjectRef>,
    /// Where the object was read from, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

impl NodeRef {
    fn simple(kind: &str, name: &str) -> NodeRef {
        NodeRef {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            groups: Vec::new(),
            role: None,
            source: None,
        }
    }

    /// A stable key: the user name for identities, `cluster-admin`,
    /// `node:NAME`, `group:NAME`, otherwise the description.
    pub fn key(&self) -> String {
        match self.kind.as_str() {
            "ClusterAdmin" => "cluster-admin".into(),
            "Node" => format!("node:{}", self.name),
            "Group" => format!("group:{}", self.name),
            "User" => self.name.clone(),
            "ServiceAccount" => crate::request::service_account_username(
                self.namespace.as_deref().unwrap_or(""),
                &self.name,
            ),
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind.as_str() {
            "ClusterAdmin" => f.write_str("cluster-admin"),
            "Node" => write!(f, "node {}", self.name),
            "RoleGrant" => match (&self.role, &self.namespace) {
                (Some(role), Some(ns)) => write!(f, "{role} bound in namespace {ns}"),
                (Some(role), None) => write!(f, "{role} bound cluster-wide"),
                (None, Some(ns)) => write!(f, "any rules in namespace {ns}"),
                (None, None) => f.write_str("any rules cluster-wide"),
            },
            kind => f.write_str(&describe(kind, self.namespace.as_deref(), &self.name)),
        }
    }
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttackStep {
    /// The technique (serialized as its id, `"E02"`).
    pub technique: Technique,
    /// Where the step starts.
    pub from: NodeRef,
    /// Where it ends.
    pub to: NodeRef,
    /// Why the step is possible: permissions with their reasons, objects,
    /// facts. Shared by the paths that take the same step.
    pub evidence: Arc<[Evidence]>,
}

/// A path from a source to a target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttackPath {
    /// The starting identity.
    pub source: NodeRef,
    /// What was looked for (`cluster-admin`, `nodes`, `node:NAME`, a user
    /// name, `group:NAME`), or for a blast radius the key of the node reached.
    pub target: String,
    /// The steps, in order (never empty).
    pub steps: Vec<AttackStep>,
}

impl AttackPath {
    /// The node the path ends at.
    pub fn end(&self) -> Option<&NodeRef> {
        self.steps.last().map(|s| &s.to)
    }

    /// The technique ids along the path.
    pub fn techniques(&self) -> Vec<Technique> {
        self.steps.iter().map(|s| s.technique).collect()
    }
}

/// The answer of a path query: `{"paths": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathsReport {
    /// The paths found.
    pub paths: Vec<AttackPath>,
}

impl PathsReport {
    /// As a versioned document (`kind: EscalationPaths`).
    pub fn to_document(&self) -> Document<&PathsReport> {
        document("EscalationPaths", self)
    }

    /// The paths as a Graphviz digraph: one node per distinct node on any
    /// path, one edge per distinct step labelled with its technique.
    pub fn to_dot(&self) -> String {
        let mut nodes: BTreeSet<&NodeRef> = BTreeSet::new();
        let mut edges: BTreeSet<(String, String, Technique)> = BTreeSet::new();
        let mut sources: BTreeSet<&NodeRef> = BTreeSet::new();
        for p in &self.paths {
            sources.insert(&p.source);
            nodes.insert(&p.source);
            for s in &p.steps {
                nodes.insert(&s.from);
                nodes.insert(&s.to);
                edges.insert((s.from.key(), s.to.key(), s.technique));
            }
        }
        let mut out = String::from(
            "digraph escalation_paths {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
        );
        for n in &nodes {
            let shape = match n.kind.as_str() {
                "ClusterAdmin" | "Node" => "doubleoctagon",
                "RoleGrant" => "note",
                "User" | "Group" | "ServiceAccount" => "ellipse",
                _ => "box",
            };
            let style = if sources.contains(n) {
                ", style=bold"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} [label={}, shape={shape}{style}];",
                dot_id(&n.key()),
                dot_id(&n.to_string())
            );
        }
        for (from, to, technique) in &edges {
            let _ = writeln!(
                out,
                "  {} -> {} [label={}];",
                dot_id(from),
                dot_id(to),
                dot_id(&format!("{technique} {}", technique.title()))
            );
        }
        out.push_str("}\n");
        out
    }
}

/// A quoted Graphviz id.
pub(crate) fn dot_id(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl AttackGraph<'_> {
    /// How a node is reported.
    pub fn node_ref(&self, node: &AttackNode) -> NodeRef {
        let g = self.graph;
        match node {
            AttackNode::ClusterAdmin => NodeRef::simple("ClusterAdmin", "cluster-admin"),
            AttackNode::Node { name } => {
                let mut r = NodeRef::simple("Node", name.as_deref().unwrap_or("*"));
                r.source = name.as_ref().and_then(|n| {
                    g.nodes()
                        .iter()
                        .find(|o| &o.name == n)
                        .map(|o| o.source.clone())
                });
                r
            }
            AttackNode::NodeIdentity { name } => {
                let mut r = NodeRef::simple("User", &format!("{NODE_USERNAME_PREFIX}{name}"));
                r.groups = vec![SYSTEM_NODES.to_string()];
                r
            }
            AttackNode::User { name } => NodeRef::simple("User", name),
            AttackNode::Group { name } => NodeRef::simple("Group", name),
            AttackNode::ServiceAccount { namespace, name } => {
                let mut r = NodeRef::simple("ServiceAccount", name);
                r.namespace = Some(namespace.clone());
                r.source = g.service_account(namespace, name).map(|s| s.source.clone());
                r
            }
            AttackNode::Workload { id } => match g.workloads().get(id.0 as usize) {
                Some(w) => {
                    let mut r = NodeRef::simple(w.kind.as_str(), &w.name);
                    r.namespace = Some(w.namespace.clone());
                    r.source = Some(w.source.clone());
                    r
                }
                None => NodeRef::simple("Workload", ""),
            },
            AttackNode::Identity { name, groups } => {
                let mut r = match crate::request::split_service_account(name) {
                    Some((ns, sa)) => {
                        let mut r = NodeRef::simple("ServiceAccount", sa);
                        r.namespace = Some(ns.to_string());
                        r
                    }
                    None => NodeRef::simple("User", name),
                };
                r.groups = groups.clone();
                r
            }
            AttackNode::Shadow { of } => {
                let mut r = match self.nodes.get(*of as usize) {
                    Some(n) if !matches!(n, AttackNode::Shadow { .. }) => self.node_ref(n),
                    _ => NodeRef::simple("User", ""),
                };
                r.kind = format!("Shadow of {}", r.kind);
                r
            }
            AttackNode::RoleGrant { role, namespace } => {
                let mut r = NodeRef::simple(
                    "RoleGrant",
                    role.and_then(|id| g.role(id))
                        .map_or("*", |x| x.name.as_str()),
                );
                r.namespace = namespace.clone();
                r.role = role.map(|id| g.role_ref(id));
                r
            }
        }
    }
}

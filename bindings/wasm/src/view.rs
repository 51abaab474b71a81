//! A neighbourhood of the permission graph for drawing: the nodes within a
//! few edges of one subject, binding, role, rule or workload, and the edges
//! between them, capped so that a cluster with hundreds of thousands of
//! edges still draws a readable picture.
//!
//! Node ids follow `rbacgraph export` (`rbacgraph::query::paths::export`):
//! `Kind:name` for cluster-scoped objects, `Kind:namespace/name` for
//! namespaced ones, a role's id plus `#index` for a rule. The walk uses the
//! core's graph accessors ([`RbacGraph::edges_of`] and friends) and no
//! attack graph, so it costs only the neighbourhood it visits.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use rbacgraph::graph::{GraphEdge, GraphNode, NodeId, RoleResolution, WorkloadId};
use rbacgraph::model::{PolicyRule, RoleKind, Source, SubjectKind};
use rbacgraph::{BindingId, RbacGraph, RoleId, SubjectKey};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What to draw.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphViewInput {
    /// The node in the middle (a node id, see the module documentation).
    pub around: String,
    /// How many edges away to go, in either direction (default 2).
    pub depth: Option<usize>,
    /// At most this many nodes (default 150).
    pub max_nodes: Option<usize>,
    /// Draw each role's rules as nodes (default true).
    pub rules: Option<bool>,
    /// Draw the workloads that run as service accounts (default true).
    pub workloads: Option<bool>,
}

/// One node to draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewNode {
    /// Stable id.
    pub id: String,
    /// `User`, `Group`, `ServiceAccount`, `RoleBinding`,
    /// `ClusterRoleBinding`, `Role`, `ClusterRole`, `Rule` or a workload kind.
    pub kind: String,
    /// Name (`ROLE#i` for a rule).
    pub name: String,
    /// Namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A rule's text, or `missing` for a role that does not exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The user name a User or ServiceAccount subject authenticates as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Where the object was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Edges from the centre.
    pub depth: usize,
    /// Neighbours in the whole graph (drawn or not).
    pub degree: usize,
}

/// One edge to draw.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewEdge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// `subjectOf`, `roleRef`, `rule`, `aggregatedInto` or `runsAs`.
    pub kind: &'static str,
}

/// A neighbourhood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphView {
    /// The centre's id.
    pub center: String,
    /// Nodes, centre first, then by distance and id.
    pub nodes: Vec<ViewNode>,
    /// Edges between drawn nodes, sorted.
    pub edges: Vec<ViewEdge>,
    /// Neighbours of drawn nodes, within `depth`, that `maxNodes` left out
    /// (nodes further out behind them are not counted).
    pub omitted: usize,
}

/// A node found by [`find_nodes`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundNode {
    /// Node id, for `graphView`.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A node of the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum V {
    /// A node of the core graph.
    Core(NodeId),
    /// Rule `index` of a role.
    Rule(RoleId, usize),
    /// The role a binding references that does not exist.
    Missing(BindingId),
}

fn id(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind}:{ns}/{name}"),
        None => format!("{kind}:{name}"),
    }
}

/// `get,list pods,pods/log (core) names a,b` — a rule in one line, as
/// `rbacgraph export` labels it.
fn rule_text(rule: &PolicyRule) -> String {
    let mut out = rule.verbs.join(",");
    if !rule.resources.is_empty() {
        let groups: Vec<&str> = rule
            .api_groups
            .iter()
            .map(|g| if g.is_empty() { "core" } else { g.as_str() })
            .collect();
        out.push_str(&format!(
            " {} ({})",
            rule.resources.join(","),
            groups.join(",")
        ));
    }
    if !rule.resource_names.is_empty() {
        out.push_str(&format!(" names {}", rule.resource_names.join(",")));
    }
    if !rule.non_resource_urls.is_empty() {
        out.push_str(&format!(" {}", rule.non_resource_urls.join(",")));
    }
    out
}

struct Walker<'g> {
    g: &'g RbacGraph,
    rules: bool,
    workloads: bool,
}

impl Walker<'_> {
    fn info(&self, v: V) -> Option<ViewNode> {
        let node = |kind: &str, namespace: Option<&str>, name: &str| ViewNode {
            id: id(kind, namespace, name),
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            label: None,
            user: None,
            source: None,
            depth: 0,
            degree: 0,
        };
        let g = self.g;
        Some(match v {
            V::Core(n) => match g.node(n)? {
                GraphNode::Subject(key) => {
                    let mut out = match key.kind {
                        SubjectKind::ServiceAccount => {
                            let mut out = node("ServiceAccount", Some(&key.namespace), &key.name);
                            out.source = g
                                .service_account(&key.namespace, &key.name)
                                .map(|s| s.source.clone());
                            out
                        }
                        _ => node(key.kind.as_str(), None, &key.name),
                    };
                    out.user = key.username();
                    out
                }
                GraphNode::Binding(b) => {
                    let b = g.binding(*b)?;
                    let mut out = node(b.kind.as_str(), b.namespace.as_deref(), &b.name);
                    out.source = Some(b.source.clone());
                    out
                }
                GraphNode::Role(r) => {
                    let r = g.role(*r)?;
                    let mut out = node(r.kind.as_str(), r.namespace.as_deref(), &r.name);
                    out.source = Some(r.source.clone());
                    out
                }
                GraphNode::Workload(WorkloadId(w)) => {
                    let w = g.workloads().get(*w as usize)?;
                    let mut out = node(w.kind.as_str(), Some(&w.namespace), &w.name);
                    out.source = Some(w.source.clone());
                    out
                }
            },
            V::Rule(r, i) => {
                let role = g.role(r)?;
                let rule = role.rules.get(i)?;
                let role_id = id(role.kind.as_str(), role.namespace.as_deref(), &role.name);
                ViewNode {
                    id: format!("{role_id}#{i}"),
                    kind: "Rule".into(),
                    name: format!("{}#{i}", role.name),
                    namespace: role.namespace.clone(),
                    label: Some(rule_text(rule)),
                    user: None,
                    source: Some(role.source.clone()),
                    depth: 0,
                    degree: 0,
                }
            }
            V::Missing(b) => {
                let role = g.referenced_role(b);
                let mut out = node(&role.kind, role.namespace.as_deref(), &role.name);
                out.label = Some("missing".into());
                out
            }
        })
    }

    fn id_of(&self, v: V) -> Option<String> {
        self.info(v).map(|n| n.id)
    }

    fn visible(&self, n: NodeId) -> bool {
        match self.g.node(n) {
            // A ServiceAccount without a namespace matches no one.
            Some(GraphNode::Subject(k)) => {
                !(k.kind == SubjectKind::ServiceAccount && k.namespace.is_empty())
            }
            Some(GraphNode::Workload(_)) => self.workloads,
            Some(_) => true,
            None => false,
        }
    }

    /// Every edge touching `v`, as `(neighbour, whether the edge leaves v,
    /// kind)`.
    fn edges(&self, v: V) -> Vec<(V, bool, &'static str)> {
        let g = self.g;
        let mut out = Vec::new();
        match v {
            V::Core(n) => {
                for (a, b, e) in g.edges_of(n) {
                    let other = if a == n { b } else { a };
                    if !self.visible(other) {
                        continue;
                    }
                    let kind = match e {
                        GraphEdge::SubjectOf { .. } => "subjectOf",
                        GraphEdge::RoleRef => "roleRef",
                        GraphEdge::AggregatedInto => "aggregatedInto",
                        GraphEdge::RunsAs => "runsAs",
                    };
                    out.push((V::Core(other), a == n, kind));
                }
                match g.node(n) {
                    Some(GraphNode::Role(r)) if self.rules => {
                        let count = g.role(*r).map_or(0, |role| role.rules.len());
                        for i in 0..count {
                            out.push((V::Rule(*r, i), true, "rule"));
                        }
                    }
                    Some(GraphNode::Binding(b))
                        if !matches!(g.resolution(*b), Some(RoleResolution::Resolved { .. })) =>
                    {
                        out.push((V::Missing(*b), true, "roleRef"));
                    }
                    _ => {}
                }
            }
            V::Rule(r, _) => {
                if let Some(role) = g.role_node_id(r) {
                    out.push((V::Core(role), false, "rule"));
                }
            }
            V::Missing(b) => {
                let target = g.referenced_role(b);
                for (i, _) in g.bindings().iter().enumerate() {
                    let other = BindingId(i as u32);
                    let resolved =
                        matches!(g.resolution(other), Some(RoleResolution::Resolved { .. }));
                    if !resolved
                        && g.referenced_role(other) == target
                        && let Some(node) = g.binding_node_id(other)
                    {
                        out.push((V::Core(node), false, "roleRef"));
                    }
                }
            }
        }
        out
    }

    /// The walk node an id names.
    fn resolve(&self, text: &str) -> Result<V, ApiError> {
        let g = self.g;
        let invalid = |reason: &str| ApiError::invalid("around", text, reason);
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| invalid("expected a node id such as `User:alice`, `ClusterRole:view` or `RoleBinding:shop/web`"))?;
        let split_ns = || {
            rest.split_once('/')
                .ok_or_else(|| invalid("a namespaced node id is `Kind:namespace/name`"))
        };
        let subject = |kind: SubjectKind, namespace: &str, name: &str| {
            let key = SubjectKey {
                kind,
                name: name.to_string(),
                namespace: namespace.to_string(),
            };
            g.subject_node_id(&key).map(V::Core)
        };
        let found = match kind {
            "User" => subject(SubjectKind::User, "", rest),
            "Group" => subject(SubjectKind::Group, "", rest),
            "ServiceAccount" => {
                let (ns, name) = split_ns()?;
                subject(SubjectKind::ServiceAccount, ns, name)
            }
            "Role" | "ClusterRole" => {
                // `ROLE#i` is a rule when the role has that many rules.
                let (role_part, rule) = match rest.rsplit_once('#') {
                    Some((r, i)) if !i.is_empty() && i.bytes().all(|c| c.is_ascii_digit()) => {
                        (r, i.parse::<usize>().ok())
                    }
                    _ => (rest, None),
                };
                let (role_kind, ns, name) = if kind == "Role" {
                    let (ns, name) = role_part
                        .split_once('/')
                        .ok_or_else(|| invalid("a Role id is `Role:namespace/name`"))?;
                    (RoleKind::Role, ns, name)
                } else {
                    (RoleKind::ClusterRole, "", role_part)
                };
                match (g.role_id(role_kind, ns, name), rule) {
                    (Some(r), Some(i)) if g.role(r).is_some_and(|x| i < x.rules.len()) => {
                        Some(V::Rule(r, i))
                    }
                    (Some(_), Some(_)) => None,
                    (Some(r), None) => g.role_node_id(r).map(V::Core),
                    // A role that does not exist but is referenced.
                    (None, _) => (0..g.bindings().len())
                        .map(|i| BindingId(i as u32))
                        .find_map(|b| {
                            let referenced = g.referenced_role(b);
                            let unresolved =
                                !matches!(g.resolution(b), Some(RoleResolution::Resolved { .. }));
                            (unresolved
                                && id(
                                    &referenced.kind,
                                    referenced.namespace.as_deref(),
                                    &referenced.name,
                                ) == text)
                                .then_some(V::Missing(b))
                        }),
                }
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let (ns, name) = if kind == "RoleBinding" {
                    let (ns, name) = split_ns()?;
                    (Some(ns), name)
                } else {
                    (None, rest)
                };
                g.bindings()
                    .iter()
                    .position(|b| {
                        b.kind.as_str() == kind && b.namespace.as_deref() == ns && b.name == name
                    })
                    .and_then(|i| g.binding_node_id(BindingId(i as u32)))
                    .map(V::Core)
            }
            workload => {
                let (ns, name) = split_ns()?;
                g.workloads()
                    .iter()
                    .position(|w| w.kind.as_str() == workload && w.namespace == ns && w.name == name)
                    .and_then(|i| {
                        let key = SubjectKey {
                            kind: SubjectKind::ServiceAccount,
                            name: g.workloads()[i].pod.service_account.clone(),
                            namespace: ns.to_string(),
                        };
                        // A workload node is found through its service account.
                        let sa = g.subject_node_id(&key)?;
                        g.edges_of(sa).into_iter().find_map(|(a, _, _)| {
                            matches!(g.node(a), Some(GraphNode::Workload(WorkloadId(w))) if *w as usize == i)
                                .then_some(V::Core(a))
                        })
                    })
            }
        };
        found.ok_or_else(|| invalid("nothing in the loaded graph has this id"))
    }
}

/// The neighbourhood of `q.around`.
pub fn graph_view(graph: &RbacGraph, q: &GraphViewInput) -> Result<GraphView, ApiError> {
    let walker = Walker {
        g: graph,
        rules: q.rules.unwrap_or(true),
        workloads: q.workloads.unwrap_or(true),
    };
    let depth = q.depth.unwrap_or(2);
    let max_nodes = q.max_nodes.unwrap_or(150).max(1);
    let start = walker.resolve(&q.around)?;
    let start_id = walker
        .id_of(start)
        .ok_or_else(|| ApiError::invalid("around", &q.around, "not a node"))?;

    // Breadth-first, neighbours in id order, so the same question always
    // draws the same nodes.
    let mut order: Vec<(V, String, usize)> = vec![(start, start_id.clone(), 0)];
    let mut seen: HashMap<String, usize> = HashMap::from([(start_id.clone(), 0)]);
    let mut omitted: BTreeSet<String> = BTreeSet::new();
    let mut queue = VecDeque::from([0usize]);
    while let Some(i) = queue.pop_front() {
        let (v, _, d) = order[i].clone();
        if d >= depth {
            continue;
        }
        let mut next: BTreeMap<String, V> = BTreeMap::new();
        for (other, ..) in walker.edges(v) {
            if let Some(other_id) = walker.id_of(other) {
                next.entry(other_id).or_insert(other);
            }
        }
        for (other_id, other) in next {
            if seen.contains_key(&other_id) {
                continue;
            }
            if order.len() >= max_nodes {
                omitted.insert(other_id);
                continue;
            }
            seen.insert(other_id.clone(), order.len());
            queue.push_back(order.len());
            order.push((other, other_id, d + 1));
        }
    }

    let mut nodes = Vec::with_capacity(order.len());
    let mut edges: BTreeSet<ViewEdge> = BTreeSet::new();
    for (v, vid, d) in &order {
        let mut neighbours: BTreeSet<String> = BTreeSet::new();
        for (other, outgoing, kind) in walker.edges(*v) {
            let Some(other_id) = walker.id_of(other) else {
                continue;
            };
            if seen.contains_key(&other_id) {
                let (from_id, to_id) = if outgoing {
                    (vid.clone(), other_id.clone())
                } else {
                    (other_id.clone(), vid.clone())
                };
                edges.insert(ViewEdge {
                    from: from_id,
                    to: to_id,
                    kind,
                });
            }
            neighbours.insert(other_id);
        }
        if let Some(mut info) = walker.info(*v) {
            info.depth = *d;
            info.degree = neighbours.len();
            nodes.push(info);
        }
    }
    omitted.retain(|id| !seen.contains_key(id));
    Ok(GraphView {
        center: start_id,
        nodes,
        edges: edges.into_iter().collect(),
        omitted: omitted.len(),
    })
}

/// Subjects, roles (also referenced ones that do not exist) and bindings
/// whose id contains `text` (case-insensitive), best first: exact names,
/// then names starting with it, then the rest, shorter ids first. At most
/// `limit`.
pub fn find_nodes(graph: &RbacGraph, text: &str, limit: usize) -> Vec<FoundNode> {
    let needle = text.to_lowercase();
    let mut found: Vec<(u8, usize, FoundNode)> = Vec::new();
    let mut consider = |kind: &str, namespace: Option<&str>, name: &str| {
        let node_id = id(kind, namespace, name);
        let lower = node_id.to_lowercase();
        if !lower.contains(&needle) {
            return;
        }
        let name_lower = name.to_lowercase();
        let rank = if name_lower == needle || lower == needle {
            0
        } else if name_lower.starts_with(&needle) {
            1
        } else {
            2
        };
        found.push((
            rank,
            node_id.len(),
            FoundNode {
                id: node_id,
                kind: kind.to_string(),
                name: name.to_string(),
                namespace: namespace.map(str::to_string),
            },
        ));
    };
    for key in graph.subjects() {
        match key.kind {
            SubjectKind::ServiceAccount if key.namespace.is_empty() => {}
            SubjectKind::ServiceAccount => {
                consider("ServiceAccount", Some(&key.namespace), &key.name)
            }
            _ => consider(key.kind.as_str(), None, &key.name),
        }
    }
    for r in graph.roles() {
        consider(r.kind.as_str(), r.namespace.as_deref(), &r.name);
    }
    for (i, b) in graph.bindings().iter().enumerate() {
        consider(b.kind.as_str(), b.namespace.as_deref(), &b.name);
        let id = BindingId(i as u32);
        if !matches!(graph.resolution(id), Some(RoleResolution::Resolved { .. })) {
            // A referenced role that does not exist is a node too.
            let role = graph.referenced_role(id);
            consider(&role.kind, role.namespace.as_deref(), &role.name);
        }
    }
    found.sort_by(|a, b| (a.0, a.1, &a.2.id).cmp(&(b.0, b.1, &b.2.id)));
    found.dedup_by(|a, b| a.2.id == b.2.id);
    found.truncate(limit);
    found.into_iter().map(|(_, _, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: read}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: jane}, {kind: Group, name: devs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ghost, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gone}
subjects: [{kind: ServiceAccount, name: api}]
---
apiVersion: v1
kind: Pod
metadata: {name: api-0, namespace: shop}
spec: {serviceAccountName: api, containers: [{name: c, image: x}]}
";

    fn graph() -> RbacGraph {
        RbacGraph::builder()
            .load_str("w.yaml", WORLD)
            .build()
            .unwrap()
    }

    fn view(around: &str, depth: usize, max: usize) -> GraphView {
        graph_view(
            &graph(),
            &GraphViewInput {
                around: around.into(),
                depth: Some(depth),
                max_nodes: Some(max),
                rules: None,
                workloads: None,
            },
        )
        .unwrap()
    }

    fn ids(v: &GraphView) -> Vec<&str> {
        v.nodes.iter().map(|n| n.id.as_str()).collect()
    }

    #[test]
    fn subject_neighbourhood_reaches_role_and_rule() {
        let v = view("User:jane", 3, 100);
        assert_eq!(
            ids(&v),
            [
                "User:jane",
                "ClusterRoleBinding:read",
                "ClusterRole:reader",
                "Group:devs",
                "ClusterRole:reader#0"
            ]
        );
        assert!(v.edges.contains(&ViewEdge {
            from: "User:jane".into(),
            to: "ClusterRoleBinding:read".into(),
            kind: "subjectOf"
        }));
        assert!(v.edges.contains(&ViewEdge {
            from: "ClusterRole:reader".into(),
            to: "ClusterRole:reader#0".into(),
            kind: "rule"
        }));
        assert_eq!(v.omitted, 0);
    }

    #[test]
    fn cap_counts_what_it_leaves_out() {
        let v = view("ClusterRoleBinding:read", 1, 2);
        assert_eq!(v.nodes.len(), 2);
        assert_eq!(v.omitted, 2);
        assert_eq!(v.nodes[0].degree, 3);
    }

    #[test]
    fn missing_roles_and_workloads_are_drawn() {
        let v = view("RoleBinding:shop/ghost", 2, 100);
        assert_eq!(
            ids(&v),
            [
                "RoleBinding:shop/ghost",
                "Role:shop/gone",
                "ServiceAccount:shop/api",
                "Pod:shop/api-0"
            ]
        );
        assert_eq!(v.nodes[1].label.as_deref(), Some("missing"));
        let again = view("Role:shop/gone", 1, 100);
        assert_eq!(ids(&again), ["Role:shop/gone", "RoleBinding:shop/ghost"]);
        let pod = view("Pod:shop/api-0", 1, 100);
        assert_eq!(ids(&pod), ["Pod:shop/api-0", "ServiceAccount:shop/api"]);
        assert_eq!(
            pod.nodes[1].user.as_deref(),
            Some("system:serviceaccount:shop:api")
        );
    }

    #[test]
    fn unknown_ids_are_errors_naming_the_field() {
        let err = graph_view(
            &graph(),
            &GraphViewInput {
                around: "User:nobody".into(),
                depth: None,
                max_nodes: None,
                rules: None,
                workloads: None,
            },
        );
        assert!(matches!(err, Err(ApiError::Invalid { field, .. }) if field == "around"));
    }

    #[test]
    fn find_ranks_exact_names_first() {
        let found = find_nodes(&graph(), "read", 10);
        let ids: Vec<&str> = found.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["ClusterRoleBinding:read", "ClusterRole:reader"]);
    }
}

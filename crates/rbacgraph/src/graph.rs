//! The RBAC graph: subjects → bindings → roles, plus the workloads that run
//! as service accounts, built once and indexed for queries.
//!
//! Node and edge kinds are our own vocabulary; petgraph stays an
//! implementation detail behind the id types.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::path::Path;

use petgraph::Direction;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use crate::aggregation::Aggregation;
use crate::discovery::Discovery;
use crate::error::{Diagnostic, Error, Severity};
use crate::index::QueryIndex;
use crate::load::{LoadSummary, Loader};
use crate::model::{
    Binding, BindingKind, CustomResource, NamedObject, Object, Role, RoleKind, SecretMeta,
    ServiceAccount, Subject, SubjectKind, Workload,
};
use crate::request::{Identity, service_account_username};

/// Index of a role in [`RbacGraph::roles`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RoleId(pub u32);

/// Index of a binding in [`RbacGraph::bindings`] (also its load order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct BindingId(pub u32);

/// Index of a workload in [`RbacGraph::workloads`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WorkloadId(pub u32);

/// A node of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(NodeIndex);

/// A subject as a node: User and Group by name, ServiceAccount by namespace
/// and name (a RoleBinding's namespace filled in where the subject has none).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectKey {
    /// User, Group or ServiceAccount.
    pub kind: SubjectKind,
    /// Name.
    pub name: String,
    /// Namespace (ServiceAccount only, else empty).
    pub namespace: String,
}

impl SubjectKey {
    /// The user name this subject matches, for User and ServiceAccount. A
    /// ServiceAccount without a namespace (one in a ClusterRoleBinding)
    /// matches no user at all: `appliesToUser` returns false when the
    /// defaulted namespace is empty (rbac-semantics.md §3.2), so it must not
    /// match the literal user name `system:serviceaccount::NAME`.
    pub fn username(&self) -> Option<String> {
        match self.kind {
            SubjectKind::User => Some(self.name.clone()),
            SubjectKind::ServiceAccount if self.namespace.is_empty() => None,
            SubjectKind::ServiceAccount => {
                Some(service_account_username(&self.namespace, &self.name))
            }
            _ => None,
        }
    }

    /// As a binding subject.
    pub fn to_subject(&self) -> Subject {
        match self.kind {
            SubjectKind::User => Subject::user(&self.name),
            SubjectKind::Group => Subject::group(&self.name),
            _ => Subject::service_account(&self.namespace, &self.name),
        }
    }
}

/// What a graph node stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum GraphNode {
    /// A User, Group or ServiceAccount.
    Subject(SubjectKey),
    /// A RoleBinding or ClusterRoleBinding.
    Binding(BindingId),
    /// A Role or ClusterRole.
    Role(RoleId),
    /// A Pod or controller.
    Workload(WorkloadId),
}

/// What a graph edge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum GraphEdge {
    /// Subject → binding: `subjects[index]` of the binding names it.
    SubjectOf {
        /// Index in the binding's `subjects`.
        index: u32,
    },
    /// Binding → role it references.
    RoleRef,
    /// ClusterRole → aggregated ClusterRole whose selectors pick it.
    AggregatedInto,
    /// Workload → the ServiceAccount its pods run as.
    RunsAs,
}

/// How a binding's `roleRef` resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum RoleResolution {
    /// Found.
    Resolved {
        /// The role.
        role: RoleId,
    },
    /// No such role: the binding grants nothing.
    Missing,
    /// The reference can never resolve (e.g. a ClusterRoleBinding to a Role).
    Invalid {
        /// Why.
        reason: String,
    },
}

/// Counts for a summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphStats {
    /// Roles.
    pub roles: usize,
    /// ClusterRoles.
    pub cluster_roles: usize,
    /// Aggregated ClusterRoles.
    pub aggregated_cluster_roles: usize,
    /// RoleBindings.
    pub role_bindings: usize,
    /// ClusterRoleBindings.
    pub cluster_role_bindings: usize,
    /// Bindings whose role does not exist.
    pub dangling_bindings: usize,
    /// Distinct subjects (users, groups, service accounts) in the graph.
    pub subjects: usize,
    /// ServiceAccount objects.
    pub service_accounts: usize,
    /// Pods and controllers.
    pub workloads: usize,
    /// Namespaces seen (objects or metadata).
    pub namespaces: usize,
    /// Graph nodes.
    pub nodes: usize,
    /// Graph edges.
    pub edges: usize,
}

/// Builds an [`RbacGraph`] from files, text, typed objects or model objects.
///
/// ```
/// use rbacgraph::RbacGraph;
/// let graph = RbacGraph::builder()
///     .load_str("inline", "
/// apiVersion: rbac.authorization.k8s.io/v1
/// kind: ClusterRole
/// metadata: {name: reader}
/// rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
/// ")
///     .build()
///     .unwrap();
/// assert_eq!(graph.roles().len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct GraphBuilder {
    loader: Loader,
    strict: bool,
    io_errors: Vec<Error>,
}

impl GraphBuilder {
    /// Namespace for namespaced objects that have none (default `default`).
    pub fn default_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.loader.set_default_namespace(namespace);
        self
    }

    /// In strict mode any error diagnostic makes [`GraphBuilder::build`] fail.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Loads a file, a directory (recursively) or `-` for standard input.
    pub fn load_path(mut self, path: impl AsRef<Path>) -> Self {
        if let Err(e) = self.loader.load_path(path.as_ref()) {
            self.io_errors.push(e);
        }
        self
    }

    /// Loads YAML or JSON text labelled `label` in sources.
    pub fn load_str(mut self, label: &str, text: &str) -> Self {
        self.loader.load_str(label, text);
        self
    }

    /// Loads bytes (rejected with a diagnostic when not UTF-8).
    pub fn load_bytes(mut self, label: &str, bytes: &[u8]) -> Self {
        self.loader.load_bytes(label, bytes);
        self
    }

    /// Adds one model object.
    #[allow(
        clippy::should_implement_trait,
        reason = "builder method named as in ripgrep's GlobSetBuilder"
    )]
    pub fn add(mut self, object: Object) -> Self {
        self.loader.add(object);
        self
    }

    /// Adds model objects.
    pub fn extend(mut self, objects: impl IntoIterator<Item = Object>) -> Self {
        for o in objects {
            self.loader.add(o);
        }
        self
    }

    /// Adds a typed k8s-openapi object (Role, RoleBinding, Pod, Deployment, …).
    /// Kinds rbacgraph does not use are counted as skipped.
    pub fn add_resource<T>(mut self, resource: &T, label: &str) -> Self
    where
        T: k8s_openapi::Resource + Serialize,
    {
        self.loader.add_resource(resource, label);
        self
    }

    /// Builds the graph: resolves role references, computes aggregated
    /// ClusterRoles, indexes subjects.
    ///
    /// # Errors
    /// An unreadable path, or (in strict mode) any error diagnostic.
    pub fn build(self) -> Result<RbacGraph, Error> {
        if let Some(e) = self.io_errors.into_iter().next() {
            return Err(e);
        }
        let (objects, diagnostics, summary) = self.loader.into_parts();
        let graph = RbacGraph::from_parts(objects, diagnostics, summary);
        if self.strict {
            let errors: Vec<Diagnostic> = graph
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .cloned()
                .collect();
            if !errors.is_empty() {
                return Err(Error::Strict(errors));
            }
        }
        Ok(graph)
    }
}

/// The analysed cluster: objects, their graph and the indexes queries use.
#[derive(Debug, Clone)]
pub struct RbacGraph {
    pub(crate) roles: Vec<Role>,
    pub(crate) bindings: Vec<Binding>,
    pub(crate) resolution: Vec<RoleResolution>,
    pub(crate) service_accounts: Vec<ServiceAccount>,
    pub(crate) workloads: Vec<Workload>,
    pub(crate) nodes: Vec<NamedObject>,
    pub(crate) namespaces: Vec<NamedObject>,
    pub(crate) secrets: Vec<SecretMeta>,
    pub(crate) discovery: Discovery,
    pub(crate) graph: StableDiGraph<GraphNode, GraphEdge>,
    pub(crate) role_nodes: Vec<NodeIndex>,
    /// Roles by (kind, namespace or "", name).
    pub(crate) role_index: HashMap<(RoleKind, String, String), RoleId>,
    pub(crate) binding_nodes: Vec<NodeIndex>,
    pub(crate) subject_nodes: HashMap<SubjectKey, NodeIndex>,
    /// ServiceAccount objects by namespace, then name (looked up without
    /// allocating).
    pub(crate) service_account_index: HashMap<String, HashMap<String, u32>>,
    /// Namespace objects by name.
    pub(crate) namespace_index: HashMap<String, u32>,
    /// User and ServiceAccount subject nodes by the user name they match.
    pub(crate) by_username: HashMap<String, Vec<NodeIndex>>,
    /// Group subject nodes by group name.
    pub(crate) by_group: HashMap<String, NodeIndex>,
    /// ClusterRoleBindings in load order.
    pub(crate) cluster_bindings: Vec<BindingId>,
    /// RoleBindings by namespace, in load order.
    pub(crate) namespace_bindings: HashMap<String, Vec<BindingId>>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) summary: LoadSummary,
    pub(crate) index: QueryIndex,
    /// How aggregated ClusterRoles select their rules.
    pub(crate) aggregation: Aggregation,
}

impl RbacGraph {
    /// A builder.
    pub fn builder() -> GraphBuilder {
        GraphBuilder::default()
    }

    /// Builds a graph from model objects (no diagnostics beyond the build's).
    pub fn from_objects(objects: impl IntoIterator<Item = Object>) -> RbacGraph {
        let mut loader = Loader::new();
        for o in objects {
            loader.add(o);
        }
        let (objects, diagnostics, summary) = loader.into_parts();
        RbacGraph::from_parts(objects, diagnostics, summary)
    }

    fn from_parts(
        objects: Vec<Object>,
        mut diagnostics: Vec<Diagnostic>,
        summary: LoadSummary,
    ) -> RbacGraph {
        let objects = dedupe(objects, &mut diagnostics);
        let mut g = RbacGraph {
            roles: Vec::new(),
            bindings: Vec::new(),
            resolution: Vec::new(),
            service_accounts: Vec::new(),
            workloads: Vec::new(),
            nodes: Vec::new(),
            namespaces: Vec::new(),
            secrets: Vec::new(),
            discovery: Discovery::default(),
            graph: StableDiGraph::new(),
            role_nodes: Vec::new(),
            role_index: HashMap::new(),
            binding_nodes: Vec::new(),
            subject_nodes: HashMap::new(),
            service_account_index: HashMap::new(),
            namespace_index: HashMap::new(),
            by_username: HashMap::new(),
            by_group: HashMap::new(),
            cluster_bindings: Vec::new(),
            namespace_bindings: HashMap::new(),
            diagnostics,
            summary,
            index: QueryIndex::default(),
            aggregation: Aggregation::default(),
        };
        let mut crds: Vec<CustomResource> = Vec::new();
        for object in objects {
            match object {
                Object::Role(r) => g.roles.push(r),
                Object::Binding(b) => g.bindings.push(b),
                Object::ServiceAccount(s) => g.service_accounts.push(s),
                Object::Workload(w) => g.workloads.push(w),
                Object::Node(n) => g.nodes.push(n),
                Object::Namespace(n) => g.namespaces.push(n),
                Object::CustomResource(c) => crds.push(c),
                Object::Secret(s) => g.secrets.push(s),
            }
        }
        g.discovery = Discovery::new(&crds);
        g.index_roles();
        g.aggregate();
        g.index_bindings();
        g.index_workloads();
        let principals = crate::index::principals(g.subject_nodes.keys());
        g.index = QueryIndex::build(&g.roles, &g.bindings, &g.resolution, principals);
        g
    }

    fn index_roles(&mut self) {
        for (i, r) in self.roles.iter().enumerate() {
            let node = self.graph.add_node(GraphNode::Role(RoleId(i as u32)));
            self.role_nodes.push(node);
            let key = (
                r.kind,
                r.namespace.clone().unwrap_or_default(),
                r.name.clone(),
            );
            self.role_index.insert(key, RoleId(i as u32));
        }
    }

    /// The role of this kind, namespace (`""` for a ClusterRole) and name.
    pub fn role_id(&self, kind: RoleKind, namespace: &str, name: &str) -> Option<RoleId> {
        self.role_index
            .get(&(kind, namespace.to_string(), name.to_string()))
            .copied()
    }

    /// Computes every aggregated ClusterRole's rules as the aggregation
    /// controller would once settled (see [`Aggregation::settle`]):
    /// aggregated roles start empty (their manifest rules are replaced), and
    /// chains are followed to the least fixed point.
    ///
    /// See: `pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go
    /// :: syncClusterRole` (rbac-semantics.md §5).
    fn aggregate(&mut self) {
        let aggregation = Aggregation::new(&self.roles);
        for (a, c) in aggregation.picks() {
            if let (Some(&into), Some(&from)) = (self.role_nodes.get(a), self.role_nodes.get(c)) {
                self.graph.add_edge(from, into, GraphEdge::AggregatedInto);
            }
        }
        let roles = &self.roles;
        let own = |i: usize| roles.get(i).map_or(&[][..], |r| r.rules.as_slice());
        let none = |_: usize| &[][..];
        let settled = aggregation.settle(&own, &none, None);
        for (a, rules) in settled {
            if let Some(role) = self.roles.get_mut(a) {
                role.rules = rules;
            }
        }
        self.aggregation = aggregation;
    }

    fn subject_node(&mut self, key: SubjectKey) -> NodeIndex {
        if let Some(&n) = self.subject_nodes.get(&key) {
            return n;
        }
        let node = self.graph.add_node(GraphNode::Subject(key.clone()));
        match key.kind {
            SubjectKind::Group => {
                self.by_group.insert(key.name.clone(), node);
            }
            _ => {
                if let Some(username) = key.username() {
                    self.by_username.entry(username).or_default().push(node);
                }
            }
        }
        self.subject_nodes.insert(key, node);
        node
    }

    fn index_bindings(&mut self) {
        let mut resolution = Vec::with_capacity(self.bindings.len());
        let mut dangling = Vec::new();
        for b in &self.bindings {
            let ns = b.namespace.as_deref().unwrap_or("");
            let res = match (b.kind, b.role_ref.kind.as_str()) {
                (BindingKind::RoleBinding, "Role") => {
                    self.role_id(RoleKind::Role, ns, &b.role_ref.name)
                }
                (_, "ClusterRole") => self.role_id(RoleKind::ClusterRole, "", &b.role_ref.name),
                (BindingKind::ClusterRoleBinding, "Role") => {
                    resolution.push(RoleResolution::Invalid {
                        reason: "a ClusterRoleBinding cannot reference a Role".into(),
                    });
                    continue;
                }
                (_, other) => {
                    resolution.push(RoleResolution::Invalid {
                        reason: format!("unsupported role reference kind `{other}`"),
                    });
                    continue;
                }
            };
            match res {
                Some(role) => resolution.push(RoleResolution::Resolved { role }),
                None => {
                    dangling.push(Diagnostic {
                        severity: Severity::Warning,
                        source: b.source.clone(),
                        object: Some(crate::model::describe(b.kind.as_str(), b.namespace.as_deref(), &b.name)),
                        field: Some("roleRef".into()),
                        message: format!(
                            "{} `{}` does not exist; the binding grants nothing until it is created",
                            b.role_ref.kind,
                            match b.kind {
                                BindingKind::RoleBinding if b.role_ref.kind == "Role" => format!("{ns}/{}", b.role_ref.name),
                                _ => b.role_ref.name.clone(),
                            }
                        ),
                    });
                    resolution.push(RoleResolution::Missing);
                }
            }
        }
        self.diagnostics.extend(dangling);
        self.resolution = resolution;

        for i in 0..self.bindings.len() {
            let Some(binding) = self.bindings.get(i) else {
                continue;
            };
            let (kind, ns) = (binding.kind, binding.namespace.clone().unwrap_or_default());
            let subjects = binding.subjects.clone();
            let id = BindingId(i as u32);
            let node = self.graph.add_node(GraphNode::Binding(id));
            self.binding_nodes.push(node);
            if let Some(RoleResolution::Resolved { role }) = self.resolution.get(i)
                && let Some(&role_node) = self.role_nodes.get(role.0 as usize)
            {
                self.graph.add_edge(node, role_node, GraphEdge::RoleRef);
            }
            match kind {
                BindingKind::ClusterRoleBinding => self.cluster_bindings.push(id),
                BindingKind::RoleBinding => self
                    .namespace_bindings
                    .entry(ns.clone())
                    .or_default()
                    .push(id),
            }
            for (index, s) in subjects.into_iter().enumerate() {
                let Some(key) = subject_key(&s, kind, &ns) else {
                    continue;
                };
                let subject = self.subject_node(key);
                self.graph.add_edge(
                    subject,
                    node,
                    GraphEdge::SubjectOf {
                        index: index as u32,
                    },
                );
            }
        }
    }

    fn index_workloads(&mut self) {
        for (i, n) in self.namespaces.iter().enumerate() {
            self.namespace_index
                .entry(n.name.clone())
                .or_insert(i as u32);
        }
        for (i, sa) in self.service_accounts.iter().enumerate() {
            self.service_account_index
                .entry(sa.namespace.clone())
                .or_default()
                .entry(sa.name.clone())
                .or_insert(i as u32);
        }
        let accounts: Vec<SubjectKey> = self
            .service_accounts
            .iter()
            .map(|sa| SubjectKey {
                kind: SubjectKind::ServiceAccount,
                name: sa.name.clone(),
                namespace: sa.namespace.clone(),
            })
            .collect();
        for key in accounts {
            self.subject_node(key);
        }
        let runs_as: Vec<SubjectKey> = self
            .workloads
            .iter()
            .map(|w| SubjectKey {
                kind: SubjectKind::ServiceAccount,
                name: w.pod.service_account.clone(),
                namespace: w.namespace.clone(),
            })
            .collect();
        for (i, key) in runs_as.into_iter().enumerate() {
            let node = self
                .graph
                .add_node(GraphNode::Workload(WorkloadId(i as u32)));
            let sa = self.subject_node(key);
            self.graph.add_edge(node, sa, GraphEdge::RunsAs);
        }
    }

    // ----- accessors -------------------------------------------------------

    /// All roles; aggregated ClusterRoles carry their computed rules.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// One role.
    pub fn role(&self, id: RoleId) -> Option<&Role> {
        self.roles.get(id.0 as usize)
    }

    /// All bindings, in load order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// One binding.
    pub fn binding(&self, id: BindingId) -> Option<&Binding> {
        self.bindings.get(id.0 as usize)
    }

    /// How a binding's roleRef resolved.
    pub fn resolution(&self, id: BindingId) -> Option<&RoleResolution> {
        self.resolution.get(id.0 as usize)
    }

    /// The role a binding references, if it exists.
    pub fn bound_role(&self, id: BindingId) -> Option<(RoleId, &Role)> {
        match self.resolution(id)? {
            RoleResolution::Resolved { role } => Some((*role, self.role(*role)?)),
            _ => None,
        }
    }

    /// ServiceAccount objects.
    pub fn service_accounts(&self) -> &[ServiceAccount] {
        &self.service_accounts
    }

    /// The ServiceAccount object of this namespace and name, if loaded.
    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&ServiceAccount> {
        let i = self.service_account_index.get(namespace)?.get(name)?;
        self.service_accounts.get(*i as usize)
    }

    /// The Namespace object of this name, if loaded.
    pub fn namespace_object(&self, name: &str) -> Option<&NamedObject> {
        let i = self.namespace_index.get(name)?;
        self.namespaces.get(*i as usize)
    }

    /// Pods and controllers.
    pub fn workloads(&self) -> &[Workload] {
        &self.workloads
    }

    /// Node objects.
    pub fn nodes(&self) -> &[NamedObject] {
        &self.nodes
    }

    /// Namespace objects.
    pub fn namespace_objects(&self) -> &[NamedObject] {
        &self.namespaces
    }

    /// Secret metadata.
    pub fn secrets(&self) -> &[SecretMeta] {
        &self.secrets
    }

    /// Known resource types (built-ins and loaded CRDs).
    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }

    /// Problems found while loading and building.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// What the load read.
    pub fn load_summary(&self) -> &LoadSummary {
        &self.summary
    }

    /// ClusterRoleBindings in load order.
    pub fn cluster_role_bindings(&self) -> &[BindingId] {
        &self.cluster_bindings
    }

    /// RoleBindings of a namespace in load order.
    pub fn role_bindings_in(&self, namespace: &str) -> &[BindingId] {
        self.namespace_bindings
            .get(namespace)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every namespace that has objects, bindings or a Namespace object, sorted.
    pub fn namespaces(&self) -> Vec<String> {
        let mut out: HashSet<&str> = self.namespace_bindings.keys().map(String::as_str).collect();
        out.extend(self.namespaces.iter().map(|n| n.name.as_str()));
        out.extend(self.roles.iter().filter_map(|r| r.namespace.as_deref()));
        out.extend(self.service_accounts.iter().map(|s| s.namespace.as_str()));
        out.extend(self.workloads.iter().map(|w| w.namespace.as_str()));
        let mut out: Vec<String> = out.into_iter().map(str::to_string).collect();
        out.sort();
        out
    }

    /// Every subject node (users, groups and service accounts named by
    /// bindings, ServiceAccount objects and workloads), sorted.
    pub fn subjects(&self) -> Vec<&SubjectKey> {
        let mut out: Vec<&SubjectKey> = self.subject_nodes.keys().collect();
        out.sort();
        out
    }

    /// Counts for a summary.
    pub fn stats(&self) -> GraphStats {
        let count_roles = |k| self.roles.iter().filter(|r| r.kind == k).count();
        GraphStats {
            roles: count_roles(RoleKind::Role),
            cluster_roles: count_roles(RoleKind::ClusterRole),
            aggregated_cluster_roles: self
                .roles
                .iter()
                .filter(|r| r.aggregation.is_some())
                .count(),
            role_bindings: self
                .bindings
                .iter()
                .filter(|b| b.kind == BindingKind::RoleBinding)
                .count(),
            cluster_role_bindings: self.cluster_bindings.len(),
            dangling_bindings: self
                .resolution
                .iter()
                .filter(|r| !matches!(r, RoleResolution::Resolved { .. }))
                .count(),
            subjects: self.subject_nodes.len(),
            service_accounts: self.service_accounts.len(),
            workloads: self.workloads.len(),
            namespaces: self.namespaces().len(),
            nodes: self.graph.node_count(),
            edges: self.graph.edge_count(),
        }
    }

    /// The ClusterRoles whose rules were aggregated into `role`.
    pub fn aggregated_from(&self, role: RoleId) -> Vec<RoleId> {
        let Some(&node) = self.role_nodes.get(role.0 as usize) else {
            return Vec::new();
        };
        let mut out: Vec<RoleId> = self
            .graph
            .edges_directed(node, Direction::Incoming)
            .filter_map(|e| match (e.weight(), &self.graph[e.source()]) {
                (GraphEdge::AggregatedInto, GraphNode::Role(r)) => Some(*r),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// The workloads running as a service account.
    pub fn workloads_of(&self, namespace: &str, name: &str) -> Vec<WorkloadId> {
        let key = SubjectKey {
            kind: SubjectKind::ServiceAccount,
            name: name.to_string(),
            namespace: namespace.to_string(),
        };
        let Some(&node) = self.subject_nodes.get(&key) else {
            return Vec::new();
        };
        let mut out: Vec<WorkloadId> = self
            .graph
            .edges_directed(node, Direction::Incoming)
            .filter_map(|e| match &self.graph[e.source()] {
                GraphNode::Workload(w) => Some(*w),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// The bindings a subject appears in, with the subject's index in each.
    pub fn bindings_of(&self, key: &SubjectKey) -> Vec<(BindingId, usize)> {
        let Some(&node) = self.subject_nodes.get(key) else {
            return Vec::new();
        };
        self.bindings_from(node)
    }

    fn bindings_from(&self, node: NodeIndex) -> Vec<(BindingId, usize)> {
        self.graph
            .edges_directed(node, Direction::Outgoing)
            .filter_map(|e| match (e.weight(), &self.graph[e.target()]) {
                (GraphEdge::SubjectOf { index }, GraphNode::Binding(b)) => {
                    Some((*b, *index as usize))
                }
                _ => None,
            })
            .collect()
    }

    /// Every binding with a subject that applies to `identity`, with the index
    /// of the first such subject, in load order.
    ///
    /// See: `pkg/registry/rbac/validation/rule.go :: appliesTo`.
    pub(crate) fn applicable_bindings(&self, identity: &Identity) -> Vec<(BindingId, usize)> {
        let mut found: HashMap<BindingId, usize> = HashMap::new();
        let mut visit = |node: NodeIndex| {
            for (b, index) in self.bindings_from(node) {
                found
                    .entry(b)
                    .and_modify(|i| *i = (*i).min(index))
                    .or_insert(index);
            }
        };
        for &node in self.by_username.get(&identity.name).into_iter().flatten() {
            visit(node);
        }
        for group in &identity.groups {
            if let Some(&node) = self.by_group.get(group) {
                visit(node);
            }
        }
        let mut out: Vec<(BindingId, usize)> = found.into_iter().collect();
        out.sort();
        out
    }

    /// The graph node of a subject.
    pub fn subject_node_id(&self, key: &SubjectKey) -> Option<NodeId> {
        self.subject_nodes.get(key).copied().map(NodeId)
    }

    /// The graph node of a binding.
    pub fn binding_node_id(&self, id: BindingId) -> Option<NodeId> {
        self.binding_nodes.get(id.0 as usize).copied().map(NodeId)
    }

    /// The graph node of a role.
    pub fn role_node_id(&self, id: RoleId) -> Option<NodeId> {
        self.role_nodes.get(id.0 as usize).copied().map(NodeId)
    }

    /// What a node stands for.
    pub fn node(&self, id: NodeId) -> Option<&GraphNode> {
        self.graph.node_weight(id.0)
    }

    /// Every edge touching a node, as `(from, to, edge)`.
    pub fn edges_of(&self, id: NodeId) -> Vec<(NodeId, NodeId, GraphEdge)> {
        let out = self.graph.edges_directed(id.0, Direction::Outgoing);
        let inc = self.graph.edges_directed(id.0, Direction::Incoming);
        out.chain(inc)
            .map(|e| (NodeId(e.source()), NodeId(e.target()), *e.weight()))
            .collect()
    }
}

/// The subject node a binding subject refers to; `None` for kinds that never
/// match. A ServiceAccount subject without a namespace takes a RoleBinding's
/// namespace; in a ClusterRoleBinding it keeps `""` and matches no one
/// (`appliesToUser` rejects an empty namespace; rbac-semantics.md §3.2 —
/// see [`SubjectKey::username`]).
///
/// See: `pkg/registry/rbac/validation/rule.go :: appliesToUser`,
/// `serviceaccount/util.go :: MatchesUsername`.
pub(crate) fn subject_key(
    s: &Subject,
    binding: BindingKind,
    binding_ns: &str,
) -> Option<SubjectKey> {
    match &s.kind {
        SubjectKind::User | SubjectKind::Group => Some(SubjectKey {
            kind: s.kind.clone(),
            name: s.name.clone(),
            namespace: String::new(),
        }),
        SubjectKind::ServiceAccount => {
            let namespace = if s.namespace.is_empty() && binding == BindingKind::RoleBinding {
                binding_ns.to_string()
            } else {
                s.namespace.clone()
            };
            Some(SubjectKey {
                kind: SubjectKind::ServiceAccount,
                name: s.name.clone(),
                namespace,
            })
        }
        SubjectKind::Other(_) => None,
    }
}

/// Keeps the last of objects with the same kind, namespace and name (as a
/// later `kubectl apply` would), warning about each replaced one.
fn dedupe(objects: Vec<Object>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Object> {
    let mut last: HashMap<(&str, &str, &str), usize> = HashMap::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        last.insert(o.key(), i);
    }
    if last.len() == objects.len() {
        return objects;
    }
    let keep: Vec<bool> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| last.get(&o.key()) == Some(&i))
        .collect();
    drop(last);
    let mut out = Vec::with_capacity(objects.len());
    for (o, keep) in objects.into_iter().zip(keep) {
        if keep {
            out.push(o);
        } else {
            diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                source: o.source().clone(),
                object: Some(o.describe()),
                field: None,
                message: "duplicate object; a later definition replaces this one".into(),
            });
        }
    }
    out
}

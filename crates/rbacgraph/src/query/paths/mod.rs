//! Escalation paths: an attack graph over principals and capability sinks,
//! every edge derived from the exact permission engine and carrying its
//! evidence.
//!
//! Nodes ([`AttackNode`]) are the identities one can act as — users,
//! groups (any member of the group), service accounts, kubelet identities
//! `system:node:<name>` — and what one can end up holding: cluster-admin, root
//! on a node, code execution in the pods of a workload, or a role bound to
//! oneself through a binding created on the way ([`AttackNode::RoleGrant`]).
//! Edges are [`Technique`]s of the escalation catalog. Each edge is found by
//! asking [`RbacGraph::authorize`] (or the RBAC storage's escalation check:
//! `bind`/`escalate` through the authorizer, [`crate::covers`] for "already
//! holds every permission") with concrete request attributes — the object
//! names, namespaces and subresources the real requests carry, so
//! `resourceNames` are honoured — and keeps the decision's reasons and the
//! objects involved, with their sources.
//!
//! The holder of a role bound on the way (a [`AttackNode::RoleGrant`]) is
//! asked with the same rule matching the authorizer uses
//! ([`crate::matching::rule_allows`]) within that binding's scope, and the
//! storage's checks for its writes with [`crate::covers`].
//!
//! Build the graph once with [`AttackGraph::builder`] and ask many
//! questions: [`AttackGraph::paths`] (shortest paths from an identity to a
//! [`Target`], lazily), [`AttackGraph::who_reaches`] (every principal that
//! reaches a target, one shortest path each) and
//! [`AttackGraph::blast_radius`] (everything an identity reaches).
//!
//! Modelling choices (see `docs/techniques.md` for each technique):
//! - A principal's identity is its name with the groups Kubernetes'
//!   authenticators add ([`Identity::authenticated`]); group nodes stand for
//!   any member of the group. Identities are not merged: impersonating a
//!   user and a group at once is modelled as two separate steps, which can
//!   only under-approximate.
//! - A cluster-admin-equivalent principal gets one edge, E01, to the
//!   `cluster-admin` sink; what cluster-admin can do (impersonate anyone,
//!   run pods anywhere) hangs off the sink, computed as `system:masters`.
//! - Pods without `nodeName` (every controller's template) may run on any
//!   node: root on any node reaches their service accounts (W17), and an
//!   escape from them (W16) lands on `node *`, a node the input does not
//!   name. A DaemonSet runs on every node. Creating a pod lets one choose
//!   its node, so W02, W03 and W13 reach every node.
//! - Legacy token Secrets exist only where a Secret object of type
//!   `kubernetes.io/service-account-token` names the service account
//!   (Kubernetes 1.24 and later), unless
//!   [`AttackGraphBuilder::assume_legacy_tokens`] says every service account
//!   has one.

mod adjacency;
mod build;
mod catalogue;
mod dto;
pub mod export;
pub mod impact;
mod index;
mod search;
mod shadow;
pub mod techniques;
mod writes;

use foldhash::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

pub use dto::{AttackPath, AttackStep, NodeRef, PathsReport};
pub use search::PathIter;
pub use techniques::Technique;

use crate::error::Error;
use crate::graph::{RbacGraph, RoleId, WorkloadId};
use crate::model::PolicyRule;
use crate::query::ObjectRef;
use crate::query::authorize::Reason;
use crate::request::{Identity, Request, SYSTEM_MASTERS, split_service_account};

/// Prefix of kubelet user names.
pub const NODE_USERNAME_PREFIX: &str = "system:node:";
/// The group of kubelet identities.
pub const SYSTEM_NODES: &str = "system:nodes";

/// A node of the attack graph. The variant order is the node order used
/// everywhere for deterministic answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AttackNode {
    /// Full control of the cluster (`* * *` cluster-wide, or `system:masters`).
    ClusterAdmin,
    /// Root on a node: a named node, or (`None`) a node the input does not
    /// name — wherever a pod without `nodeName` is scheduled.
    Node {
        /// Node name; `None` for an unnamed node.
        name: Option<String>,
    },
    /// A kubelet identity: user `system:node:<name>` in group `system:nodes`.
    NodeIdentity {
        /// The node name.
        name: String,
    },
    /// A user (with only the implicit groups).
    User {
        /// User name.
        name: String,
    },
    /// Any member of a group.
    Group {
        /// Group name.
        name: String,
    },
    /// A service account.
    ServiceAccount {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// Code execution in the pods of a workload.
    Workload {
        /// The workload.
        id: WorkloadId,
    },
    /// The holder of a role through a binding one created (or a role one
    /// rewrote): its rules in the namespace, or cluster-wide.
    RoleGrant {
        /// The role; `None` for any rules (a role rewritten with `escalate`).
        role: Option<RoleId>,
        /// The RoleBinding's namespace; `None` for a ClusterRoleBinding.
        namespace: Option<String>,
    },
    /// A query source that is no node of the built graph: an identity with
    /// groups beyond the implicit ones, or a user no binding names.
    Identity {
        /// User name.
        name: String,
        /// All its groups.
        groups: Vec<String>,
    },
    /// What a cluster-admin principal (the node `of`) holds besides what
    /// makes it cluster-admin; built only for impact queries
    /// ([`AttackGraphBuilder::what_if`]), never on a path.
    Shadow {
        /// The principal's node index.
        of: u32,
    },
}

impl AttackNode {
    /// The user name, for nodes that are one identity (users, service
    /// accounts, kubelets).
    pub fn username(&self) -> Option<String> {
        match self {
            AttackNode::User { name } => Some(name.clone()),
            AttackNode::ServiceAccount { namespace, name } => {
                Some(crate::request::service_account_username(namespace, name))
            }
            AttackNode::NodeIdentity { name } => Some(format!("{NODE_USERNAME_PREFIX}{name}")),
            AttackNode::Identity { name, .. } => Some(name.clone()),
            _ => None,
        }
    }

    /// Whether the node is a principal one can start from (a user, group,
    /// service account or kubelet identity).
    pub fn is_principal(&self) -> bool {
        matches!(
            self,
            AttackNode::User { .. }
                | AttackNode::Group { .. }
                | AttackNode::ServiceAccount { .. }
                | AttackNode::NodeIdentity { .. }
        )
    }
}

/// What a path query looks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The `cluster-admin` sink.
    ClusterAdmin,
    /// Root on any node.
    AnyNode,
    /// Root on one named node.
    Node(String),
    /// Acting as this user name (a user, `system:serviceaccount:NS:NAME`, or
    /// `system:node:NAME`).
    Principal(String),
    /// Acting as a member of this group.
    Group(String),
}

impl Target {
    /// Parses a target: `cluster-admin`, `nodes`, `node:NAME`,
    /// `group:NAME`, or a user name.
    ///
    /// # Errors
    /// An empty string.
    ///
    /// ```
    /// use rbacgraph::query::paths::Target;
    /// assert_eq!(Target::parse("nodes").unwrap(), Target::AnyNode);
    /// assert_eq!(Target::parse("node:n1").unwrap(), Target::Node("n1".into()));
    /// assert_eq!(Target::parse("bob").unwrap(), Target::Principal("bob".into()));
    /// ```
    pub fn parse(text: &str) -> Result<Target, Error> {
        let invalid = |reason: &str| Error::Invalid {
            what: "target",
            value: text.to_string(),
            reason: reason.to_string(),
        };
        Ok(match text {
            "" => {
                return Err(invalid(
                    "expected cluster-admin, nodes, node:NAME, group:NAME or a user name",
                ));
            }
            "cluster-admin" => Target::ClusterAdmin,
            "nodes" => Target::AnyNode,
            _ => {
                if let Some(node) = text.strip_prefix("node:") {
                    if node.is_empty() {
                        return Err(invalid("`node:` needs a node name"));
                    }
                    Target::Node(node.to_string())
                } else if let Some(group) = text.strip_prefix("group:") {
                    if group.is_empty() {
                        return Err(invalid("`group:` needs a group name"));
                    }
                    if group == SYSTEM_MASTERS {
                        Target::ClusterAdmin
                    } else {
                        Target::Group(group.to_string())
                    }
                } else {
                    Target::Principal(text.to_string())
                }
            }
        })
    }

    /// Whether a node is (one of) this target.
    pub fn matches(&self, node: &AttackNode) -> bool {
        match (self, node) {
            (Target::ClusterAdmin, AttackNode::ClusterAdmin) => true,
            (Target::AnyNode, AttackNode::Node { .. }) => true,
            (Target::Node(x), AttackNode::Node { name: Some(n) }) => x == n,
            (Target::Group(g), AttackNode::Group { name }) => g == name,
            (Target::Principal(user), node) => node.username().is_some_and(|u| &u == user),
            _ => false,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::ClusterAdmin => f.write_str("cluster-admin"),
            Target::AnyNode => f.write_str("nodes"),
            Target::Node(n) => write!(f, "node:{n}"),
            Target::Principal(u) => f.write_str(u),
            Target::Group(g) => write!(f, "group:{g}"),
        }
    }
}

/// Why an edge exists: one piece of evidence.
#[allow(
    clippy::large_enum_variant,
    reason = "evidence is built once per edge and read, not moved in bulk"
)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Evidence {
    /// The authorizer allowed this request: every allowing subject →
    /// binding → role → rule, with sources (or membership in `system:masters`).
    #[serde(rename_all = "camelCase")]
    Permission {
        /// The request attributes asked.
        request: Request,
        /// The decision's reasons.
        reasons: Vec<Reason>,
    },
    /// A rule of a role bound to oneself in an earlier step allows this
    /// request (through the binding created or the role rewritten there).
    #[serde(rename_all = "camelCase")]
    GrantedRule {
        /// The request attributes asked.
        request: Request,
        /// The role; absent when the rules are whatever one wrote (E03, E13).
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<ObjectRef>,
        /// The binding's namespace; absent for a ClusterRoleBinding.
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// The allowing rule's index in the role.
        #[serde(skip_serializing_if = "Option::is_none")]
        rule_index: Option<usize>,
        /// The allowing rule.
        rule: PolicyRule,
    },
    /// The RBAC storage's escalation check passes because the writer already
    /// holds every permission of the role in that scope (`Covers`).
    #[serde(rename_all = "camelCase")]
    Covered {
        /// The role whose rules are covered.
        role: ObjectRef,
        /// The namespace of the check; absent for cluster scope.
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// A sentence for people.
        message: String,
    },
    /// An object the step uses (a pod, a secret, a role, a binding, a
    /// namespace), with its source.
    #[serde(rename_all = "camelCase")]
    Object {
        /// The object.
        object: ObjectRef,
        /// What about it matters.
        message: String,
    },
    /// A fact the step relies on.
    #[serde(rename_all = "camelCase")]
    Fact {
        /// A sentence for people.
        message: String,
    },
}

/// Options of the attack graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathOptions {
    /// Every service account has a legacy token Secret (clusters before
    /// v1.24, or ones that still create them): reading Secrets of a
    /// namespace yields all its service accounts (C01, C02).
    pub assume_legacy_tokens: bool,
    /// The cluster is EKS: model its `aws-auth` ConfigMap (E09). Off by
    /// default, since on other clusters that ConfigMap means nothing; the
    /// builder turns it on by itself when a Node carries an
    /// `eks.amazonaws.com/` label.
    pub eks: bool,
}

/// Builds an [`AttackGraph`] from an [`RbacGraph`].
#[derive(Clone, Debug)]
pub struct AttackGraphBuilder<'g> {
    graph: &'g RbacGraph,
    options: PathOptions,
    what_if: bool,
}

impl<'g> AttackGraphBuilder<'g> {
    /// Sets [`PathOptions::assume_legacy_tokens`].
    pub fn assume_legacy_tokens(mut self, yes: bool) -> Self {
        self.options.assume_legacy_tokens = yes;
        self
    }

    /// Sets [`PathOptions::eks`].
    pub fn eks(mut self, yes: bool) -> Self {
        self.options.eks = yes;
        self
    }

    /// Sets all options.
    pub fn options(mut self, options: PathOptions) -> Self {
        self.options = options;
        self
    }

    /// Also builds what [`impact::ReachIndex`] needs to answer for changes
    /// that take cluster-admin away from a principal: the steps of what it
    /// holds besides ([`AttackNode::Shadow`]). Paths are the same either way.
    pub fn what_if(mut self, yes: bool) -> Self {
        self.what_if = yes;
        self
    }

    /// Builds the attack graph.
    ///
    /// # Complexity
    /// One reverse who-can query ([`RbacGraph::allowing_bindings`]) per
    /// distinct request the techniques ask (per namespace, workload, service
    /// account, user, group and token Secret), then one
    /// [`RbacGraph::authorize`] per (principal, request) that some binding
    /// allows, to keep the evidence. Principals are never asked one by one.
    pub fn build(self) -> AttackGraph<'g> {
        let mut options = self.options;
        // EKS labels its nodes (`eks.amazonaws.com/nodegroup`, …).
        options.eks |= self
            .graph
            .nodes()
            .iter()
            .any(|n| n.labels.keys().any(|k| k.starts_with("eks.amazonaws.com/")));
        build::build(self.graph, options, self.what_if)
    }
}

/// One edge of the attack graph, stored as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Edge {
    pub(crate) from: u32,
    pub(crate) to: u32,
    pub(crate) technique: Technique,
    pub(crate) evidence: u32,
}

/// An actor filled the slots of a capability group (every member), of one
/// capability, or of a template (every group of it in a namespace where no
/// RoleBinding applies to the actor): it stands for one edge per target of
/// each member, each with the decisions below adapted to the member's
/// requests plus the member's facts. Keeps the graph linear where a
/// technique fans out (every pod of a namespace, every namespace, every node).
#[derive(Clone, Debug)]
pub(crate) struct CapEdge {
    pub(crate) from: u32,
    pub(crate) scope: Scope,
    /// Per slot: the index of the allowed alternative and its decision.
    pub(crate) pieces: Vec<(u32, Piece)>,
}

/// What a [`CapEdge`] covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every member of a group.
    Group(u32),
    /// One capability.
    Cap(u32),
    /// Every group of a template, but those of the namespaces where a
    /// RoleBinding applies to the actor.
    Template(u32),
}

/// A W17 edge from every `Node` sink (root on any node reaches the service
/// account of a pod without `nodeName`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Floating {
    pub(crate) to: u32,
    pub(crate) evidence: u32,
    /// Insertion order among the stored edges (see [`EdgeRef`]).
    pub(crate) stamp: u64,
}

/// One edge, stored or implied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EdgeRef {
    /// A stored edge.
    Stored(u32),
    /// A member capability's target of a [`CapEdge`].
    Cap {
        /// The [`CapEdge`].
        edge: u32,
        /// The member capability.
        cap: u32,
        /// The target.
        to: u32,
    },
    /// A [`Floating`] edge from one sink.
    Floating {
        /// The sink.
        from: u32,
        /// The entry.
        entry: u32,
    },
}

/// An edge about to be followed in a search: the node at the other end, the
/// technique, and a stamp that orders edges with the same ends and technique
/// as the order they were found in (the first one found is kept).
pub(crate) type Candidate = (u32, Technique, u64, EdgeRef);

/// Evidence shared between edges (one decision backs many edges).
#[derive(Clone, Debug)]
pub(crate) enum Piece {
    /// Evidence as is.
    Shared(Arc<Vec<Evidence>>),
    /// The decision of a request without its name, standing for the named
    /// request with this id (no rule in scope lists that name, so the
    /// reasons are the same).
    Named(Arc<Vec<Evidence>>, u32),
    /// The end of an E02 step ([`writes::bind_evidence`]): the binding or
    /// role written.
    Bind {
        /// The role bound.
        role: RoleId,
        /// The binding's namespace (index into the catalogue's namespaces).
        namespace: Option<u32>,
        /// The existing binding updated, if any.
        existing: Option<crate::graph::BindingId>,
    },
    /// The rule of a role held through a binding made on the way
    /// ([`build::Actor::Grant`]) that allows the request, read out as
    /// [`Evidence::GrantedRule`].
    Rule {
        /// The grant's node.
        actor: u32,
        /// The request.
        request: u32,
        /// The rule's index in the grant's rules.
        rule: u32,
    },
    /// What a workload's manifest shows, written out when read
    /// ([`build::workload_evidence`]).
    Workload {
        /// The workload.
        id: WorkloadId,
        /// Which evidence.
        fact: WorkloadFact,
    },
    /// `system:masters` allowed the request.
    Superuser {
        /// The request.
        request: u32,
    },
    /// A principal's allowed request, its reasons asked of the authorizer
    /// only when the evidence is read ([`RbacGraph::authorize`]).
    Ask {
        /// The principal's node.
        actor: u32,
        /// The request.
        request: u32,
        /// Ask without the request's name (no rule in scope lists it, so
        /// the reasons are the same: one decision serves every name).
        nameless: bool,
    },
}

/// The evidence a workload gives a technique ([`Piece::Workload`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WorkloadFact {
    /// The pod or controller whose pods are reached (W04, W07).
    Target,
    /// The same, and that its images can be changed (W06).
    Images,
    /// The same, and that a privileged ephemeral container is admitted
    /// (W07 to the node).
    PrivilegedDebug,
    /// Its pod spec gives host access (W16).
    HostAccess,
    /// It mounts its ServiceAccount's token (C05).
    Token,
    /// Where its pods run: root there reads their tokens (W17).
    Placement,
}

impl Evidence {
    /// Gives the request of a decision a name, unless it has one.
    pub(crate) fn name_request(&mut self, name: &str) {
        if let Evidence::Permission { request, .. } | Evidence::GrantedRule { request, .. } = self
            && let Request::Resource(r) = request
            && r.name.is_empty()
        {
            r.name = name.to_string();
        }
    }
}

impl Piece {
    /// The same decision, standing for the named request `request`.
    pub(crate) fn renamed(&self, request: u32) -> Piece {
        match self {
            Piece::Shared(c) | Piece::Named(c, _) => Piece::Named(Arc::clone(c), request),
            Piece::Ask { actor, .. } => Piece::Ask {
                actor: *actor,
                request,
                nameless: true,
            },
            // The same rule allows every name it does not list.
            Piece::Rule { actor, rule, .. } => Piece::Rule {
                actor: *actor,
                request,
                rule: *rule,
            },
            Piece::Superuser { .. } => Piece::Superuser { request },
            Piece::Bind { .. } | Piece::Workload { .. } => self.clone(),
        }
    }
}

/// The evidence of an edge's pieces.
pub(crate) fn materialize(pieces: &[Piece], g: &AttackGraph<'_>) -> Vec<Evidence> {
    let requests = &g.catalogue.requests;
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Shared(chunk) => out.extend(chunk.iter().cloned()),
            Piece::Bind {
                role,
                namespace,
                existing,
            } => {
                let ns = namespace.and_then(|i| g.catalogue.namespaces.get(i as usize));
                out.extend(writes::bind_evidence(
                    g.graph,
                    *role,
                    ns.map(String::as_str),
                    *existing,
                ));
            }
            Piece::Rule {
                actor,
                request,
                rule,
            } => {
                let (
                    Some(build::Actor::Grant {
                        role,
                        namespace,
                        rules,
                    }),
                    Some(req),
                ) = (
                    g.actors.get(*actor as usize).and_then(Option::as_ref),
                    requests.get(*request as usize),
                )
                else {
                    continue;
                };
                let Some(granted) = rules.get(*rule as usize) else {
                    continue;
                };
                out.push(Evidence::GrantedRule {
                    request: req.clone(),
                    role: role.map(|r| g.graph.role_ref(r)),
                    namespace: namespace.clone(),
                    rule_index: role.map(|_| *rule as usize),
                    rule: granted.clone(),
                });
            }
            Piece::Workload { id, fact } => {
                if let Some(w) = g.graph.workloads().get(id.0 as usize) {
                    out.extend(build::workload_evidence(g, w, *fact));
                }
            }
            Piece::Superuser { request } => {
                if let Some(req) = requests.get(*request as usize) {
                    out.push(Evidence::Permission {
                        request: req.clone(),
                        reasons: vec![Reason::PrivilegedGroup {
                            group: SYSTEM_MASTERS.into(),
                        }],
                    });
                }
            }
            Piece::Ask {
                actor,
                request,
                nameless,
            } => {
                let (Some(build::Actor::Identity(id)), Some(req)) = (
                    g.actors.get(*actor as usize).and_then(Option::as_ref),
                    requests.get(*request as usize),
                ) else {
                    continue;
                };
                let decision = if *nameless {
                    g.graph.authorize(id, &req.clone().named(""))
                } else {
                    g.graph.authorize(id, req)
                };
                out.push(Evidence::Permission {
                    request: req.clone(),
                    reasons: decision.reasons,
                });
            }
            Piece::Named(chunk, request) => out.extend(chunk.iter().map(|e| {
                match e {
                    Evidence::Permission { reasons, .. } => Evidence::Permission {
                        request: requests
                            .get(*request as usize)
                            .cloned()
                            .unwrap_or_else(|| Request::resource("", "", "")),
                        reasons: reasons.clone(),
                    },
                    other => other.clone(),
                }
            })),
        }
    }
    out
}

/// A read-only view of one edge.
#[derive(Clone, Copy)]
pub struct EdgeView<'a> {
    /// Source node.
    pub from: &'a AttackNode,
    /// Target node.
    pub to: &'a AttackNode,
    /// The technique.
    pub technique: Technique,
    graph: &'a AttackGraph<'a>,
    edge: EdgeRef,
}

impl fmt::Debug for EdgeView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EdgeView")
            .field("from", self.from)
            .field("to", self.to)
            .field("technique", &self.technique)
            .finish_non_exhaustive()
    }
}

impl EdgeView<'_> {
    /// Why the edge exists.
    pub fn evidence(&self) -> Vec<Evidence> {
        self.graph.edge_evidence(self.edge)
    }
}

/// The attack graph of a cluster: build once, query many times.
///
/// # Example
/// ```
/// use rbacgraph::{Identity, RbacGraph};
/// use rbacgraph::query::paths::{AttackGraph, Target, Technique};
/// let graph = RbacGraph::builder().load_str("demo", "
/// apiVersion: rbac.authorization.k8s.io/v1
/// kind: ClusterRole
/// metadata: {name: binder}
/// rules:
/// - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}
/// - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}
/// ---
/// apiVersion: rbac.authorization.k8s.io/v1
/// kind: ClusterRole
/// metadata: {name: cluster-admin}
/// rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]
/// ---
/// apiVersion: rbac.authorization.k8s.io/v1
/// kind: ClusterRoleBinding
/// metadata: {name: ci-binder}
/// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}
/// subjects: [{kind: ServiceAccount, name: ci, namespace: tools}]
/// ").build().unwrap();
/// let attack = AttackGraph::builder(&graph).build();
/// let ci = Identity::authenticated("system:serviceaccount:tools:ci", Vec::<String>::new());
/// let path = attack.paths(&ci, &Target::ClusterAdmin, 5).next().unwrap();
/// assert_eq!(path.steps.len(), 1);
/// assert_eq!(path.steps[0].technique, Technique::E02);
/// ```
#[derive(Clone, Debug)]
pub struct AttackGraph<'g> {
    pub(crate) graph: &'g RbacGraph,
    pub(crate) options: PathOptions,
    pub(crate) nodes: Vec<AttackNode>,
    pub(crate) node_index: HashMap<AttackNode, u32>,
    pub(crate) actors: Vec<Option<build::Actor>>,
    pub(crate) admin: Vec<bool>,
    pub(crate) expanded: Vec<bool>,
    pub(crate) edges: Vec<Edge>,
    pub(crate) edge_keys: HashSet<(u32, u32, Technique)>,
    pub(crate) evidence: Vec<Vec<Piece>>,
    pub(crate) cap_edges: Vec<CapEdge>,
    pub(crate) floating: Vec<Floating>,
    /// Per node: the namespaces (indexes into the catalogue's) where some
    /// RoleBinding applies to it, sorted.
    pub(crate) bound: Vec<Vec<u32>>,
    pub(crate) adj: adjacency::Adjacency,
    pub(crate) catalogue: build::Catalogue,
}

impl<'g> AttackGraph<'g> {
    /// A builder with default [`PathOptions`].
    pub fn builder(graph: &'g RbacGraph) -> AttackGraphBuilder<'g> {
        AttackGraphBuilder {
            graph,
            options: PathOptions::default(),
            what_if: false,
        }
    }

    /// The RBAC graph it was built from.
    pub fn rbac(&self) -> &'g RbacGraph {
        self.graph
    }

    /// The options it was built with.
    pub fn options(&self) -> &PathOptions {
        &self.options
    }

    /// Every node, in node order (sinks, principals, workloads, then the role
    /// grants found while building).
    pub fn nodes(&self) -> &[AttackNode] {
        &self.nodes
    }

    /// Every edge, sorted by source node, then target node and technique.
    ///
    /// # Complexity
    /// Linear in the number of edges, which can be large: one edge per
    /// principal and pod it can exec into, per node a pod can be placed on …
    pub fn edges(&self) -> impl Iterator<Item = EdgeView<'_>> {
        (0..self.nodes.len() as u32).flat_map(move |u| {
            let mut list = self.out_candidates(u, None);
            list.retain(|c| c.0 != u);
            adjacency::sort_dedup(&mut list);
            list.into_iter()
                .filter_map(move |(to, technique, _, edge)| {
                    Some(EdgeView {
                        from: self.nodes.get(u as usize)?,
                        to: self.nodes.get(to as usize)?,
                        technique,
                        graph: self,
                        edge,
                    })
                })
        })
    }

    /// The index of a node in [`AttackGraph::nodes`], if the graph has it.
    pub fn node_of(&self, node: &AttackNode) -> Option<usize> {
        self.node_index.get(node).map(|&i| i as usize)
    }

    /// Shortest escalation paths from an identity to a target, lazily: one
    /// path per target node reached (the `cluster-admin` sink, each node, …),
    /// in order of length, then node order. The search is a breadth-first
    /// search that stops expanding at `max_depth` steps.
    ///
    /// An identity that is a principal of the graph with just its implicit
    /// groups starts from that principal's node; any other identity (extra
    /// groups, a user no binding names) gets its edges computed on the spot
    /// (the graph is cloned and extended, which costs one pass over the
    /// techniques for that identity).
    ///
    /// # Arguments
    /// * `source` — the identity, as authenticated ([`Identity::authenticated`]).
    /// * `target` — what to reach.
    /// * `max_depth` — the most steps a path may have.
    ///
    /// # Returns
    /// An iterator of [`AttackPath`]s; `.next()` is a shortest path. The
    /// source itself is never yielded.
    ///
    /// # Complexity
    /// O(nodes + edges) for the whole iteration, plus the extension for an
    /// identity that is not a node.
    ///
    /// # Example
    /// ```
    /// use rbacgraph::{Identity, RbacGraph};
    /// use rbacgraph::query::paths::{AttackGraph, Target, Technique};
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: deployer, namespace: apps}
    /// rules: [{apiGroups: [apps], resources: [deployments], verbs: [create]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: deployer, namespace: apps}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
    /// subjects: [{kind: User, name: dana}]
    /// ").build().unwrap();
    /// let attack = AttackGraph::builder(&graph).build();
    /// let dana = Identity::authenticated("dana", Vec::<String>::new());
    /// let mut paths = attack.paths(&dana, &Target::AnyNode, 3);
    /// let first = paths.next().unwrap();
    /// assert_eq!(first.steps[0].technique, Technique::W02);
    /// assert_eq!(first.target, "nodes");
    /// ```
    pub fn paths(&self, source: &Identity, target: &Target, max_depth: usize) -> PathIter<'_, 'g> {
        search::PathIter::new(self, source, Some(target.clone()), max_depth)
    }

    /// Every principal (user, group, service account, kubelet identity) that
    /// reaches the target within `max_depth` steps, each with one shortest
    /// path, ordered by path length, then principal.
    ///
    /// # Arguments
    /// * `target` — what to reach.
    /// * `max_depth` — the most steps a path may have.
    ///
    /// # Returns
    /// One [`AttackPath`] per principal that reaches the target.
    ///
    /// # Complexity
    /// One reverse breadth-first search from the target nodes: O(nodes + edges).
    ///
    /// # Example
    /// ```
    /// use rbacgraph::RbacGraph;
    /// use rbacgraph::query::paths::{AttackGraph, Target};
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: impersonator}
    /// rules: [{apiGroups: [''], resources: [users, groups], verbs: [impersonate]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: support}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonator}
    /// subjects: [{kind: Group, name: support}]
    /// ").build().unwrap();
    /// let attack = AttackGraph::builder(&graph).build();
    /// let who = attack.who_reaches(&Target::ClusterAdmin, 4);
    /// let sources: Vec<String> = who.iter().map(|p| p.source.to_string()).collect();
    /// assert_eq!(sources, ["Group support"]);
    /// ```
    pub fn who_reaches(&self, target: &Target, max_depth: usize) -> Vec<AttackPath> {
        search::who_reaches(self, target, max_depth)
    }

    /// Everything an identity reaches within `max_depth` steps (principals,
    /// sinks, workloads), each with one shortest path, ordered by path
    /// length, then node order. Role grants are steps on the way, not listed
    /// for themselves: what they give is.
    ///
    /// # Arguments
    /// * `source` — the identity, as authenticated.
    /// * `max_depth` — the most steps a path may have.
    ///
    /// # Returns
    /// One [`AttackPath`] per reached node; the path's `target` names the node.
    ///
    /// # Complexity
    /// One breadth-first search: O(nodes + edges), plus the extension for an
    /// identity that is not a node (see [`AttackGraph::paths`]).
    ///
    /// # Example
    /// ```
    /// use rbacgraph::{Identity, RbacGraph};
    /// use rbacgraph::query::paths::AttackGraph;
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: tokens, namespace: ci}
    /// rules: [{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [builder]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: tokens, namespace: ci}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tokens}
    /// subjects: [{kind: User, name: erin}]
    /// ---
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: builder, namespace: ci}
    /// ---
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: other, namespace: ci}
    /// ").build().unwrap();
    /// let attack = AttackGraph::builder(&graph).build();
    /// let erin = Identity::authenticated("erin", Vec::<String>::new());
    /// let reached: Vec<String> = attack.blast_radius(&erin, 5).into_iter().map(|p| p.target).collect();
    /// assert_eq!(reached, ["system:serviceaccount:ci:builder"]);
    /// ```
    pub fn blast_radius(&self, source: &Identity, max_depth: usize) -> Vec<AttackPath> {
        search::PathIter::new(self, source, None, max_depth)
            .filter(|p| p.end().is_some_and(|n| n.kind != "RoleGrant"))
            .collect()
    }
}

/// The principal node for an identity's user name (a service account, a
/// kubelet, or a user).
pub(crate) fn principal_node(username: &str) -> AttackNode {
    if let Some((namespace, name)) = split_service_account(username) {
        AttackNode::ServiceAccount {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    } else if let Some(node) = username
        .strip_prefix(NODE_USERNAME_PREFIX)
        .filter(|n| !n.is_empty())
    {
        AttackNode::NodeIdentity {
            name: node.to_string(),
        }
    } else {
        AttackNode::User {
            name: username.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_graph_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<AttackGraph<'static>>();
        check::<AttackPath>();
    }

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("cluster-admin").unwrap(),
            Target::ClusterAdmin
        );
        assert_eq!(
            Target::parse("group:system:masters").unwrap(),
            Target::ClusterAdmin
        );
        assert_eq!(
            Target::parse("group:dev").unwrap(),
            Target::Group("dev".into())
        );
        assert!(Target::parse("").is_err());
        assert!(Target::parse("node:").is_err());
        let sa = Target::parse("system:serviceaccount:ci:deployer").unwrap();
        assert!(sa.matches(&AttackNode::ServiceAccount {
            namespace: "ci".into(),
            name: "deployer".into()
        }));
        assert!(
            Target::parse("system:node:n1")
                .unwrap()
                .matches(&AttackNode::NodeIdentity { name: "n1".into() })
        );
    }
}

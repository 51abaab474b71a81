//! Building the attack graph.
//!
//! Most techniques are *capabilities* ([`Capability`]): a few slots of
//! alternative requests (any one allowed alternative fills a slot; every
//! slot must be filled) that lead to fixed targets. They are evaluated in
//! reverse: for each distinct request, a reverse index
//! ([`super::index::BindingIndex`], the same answer as
//! [`RbacGraph::allowing_bindings`]) names the bindings that allow it, their
//! subjects name the principals, and only those principals are then asked
//! through [`RbacGraph::authorize`], which keeps the reasons. Principals are
//! never asked one by one about everything. The escalation checks of the RBAC
//! storage (E02, E03, E13, in `writes.rs`) are per-principal procedures run
//! only for the principals that some binding allows the write. Actors that
//! are not principals — the holder of a role bound on the way
//! ([`AttackNode::RoleGrant`]), the cluster-admin sink, a query source with
//! extra groups — are evaluated forward, one capability at a time.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::hash::BuildHasher;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::rc::Rc;
use std::slice;
use std::sync::Arc;

use super::index::BindingIndex;
use super::techniques::{
    Technique, escape_reasons, privileged_pods_admitted, runs_everywhere, token_mounted,
};
use super::{
    AttackGraph, AttackNode, Edge, Evidence, NODE_USERNAME_PREFIX, PathOptions, Piece,
    SYSTEM_NODES, Scope, WorkloadFact, materialize,
};
use crate::graph::{BindingId, RbacGraph, RoleId, WorkloadId, subject_key};
use crate::matching::rule_allows;
use crate::model::{
    BindingKind, NamedObject, PolicyRule, Source, Subject, SubjectKind, Workload, WorkloadKind,
};
use crate::query::ObjectRef;
use crate::query::whatif::OwnedHoldings;
use crate::request::{Identity, Request, SYSTEM_MASTERS};

/// How a node acts when it makes requests.
#[derive(Clone, Debug)]
pub(crate) enum Actor {
    /// A real identity: a principal, any member of a group, a kubelet, a
    /// query source. Asked through the authorizer.
    Identity(Identity),
    /// `system:masters`, allowed everything: the cluster-admin sink.
    Superuser,
    /// The holder of a role through a binding created (or a role rewritten)
    /// on the way: the role's rules, in the binding's namespace or
    /// cluster-wide.
    Grant {
        /// The role; `None` for a role rewritten with any rules.
        role: Option<RoleId>,
        /// The binding's namespace; `None` for a ClusterRoleBinding.
        namespace: Option<String>,
        /// The rules it holds (shared by the grants of one role).
        rules: Arc<Vec<PolicyRule>>,
    },
    /// A principal without what makes it cluster-admin (its shadow, see
    /// `shadow.rs`): decides by the rules it holds besides.
    Restricted {
        /// The principal's identity.
        identity: Identity,
        /// What it holds besides.
        holdings: Arc<OwnedHoldings>,
    },
}

/// A technique instance: every slot needs one allowed request, then the
/// actor reaches every target.
#[derive(Clone, Debug)]
pub(crate) struct Capability {
    pub(crate) technique: Technique,
    pub(crate) slots: Vec<Arc<Vec<u32>>>,
    pub(crate) targets: Arc<Vec<u32>>,
    /// The shared target list ([`Catalogue::hubs`]) `targets` is, if any.
    pub(crate) hub: Option<u32>,
    /// What the technique relies on besides the permissions.
    pub(crate) facts: Option<Piece>,
    /// The object name the requests of the slots stand for when they were
    /// interned without it (no rule lists it, so the decisions and their
    /// reasons are those of the nameless requests): put back in evidence.
    pub(crate) name: Option<Arc<str>>,
    /// The targets are workloads and each edge's facts are its target's
    /// (this one), with a pod's name put back in requests that have none:
    /// one capability serves the workloads of a namespace.
    pub(crate) per_target: Option<WorkloadFact>,
    /// The object whose state (not RBAC) the capability relies on, for
    /// what-if changes to it ([`super::impact`]).
    pub(crate) origin: Origin,
}

/// The object a capability exists because of, besides permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Nothing a what-if change can remove.
    None,
    /// W02: the namespace (index into the catalogue's namespaces) admits
    /// privileged pods.
    PrivilegedPods(u32),
    /// W07 to a node: the workload's namespace admits a privileged ephemeral
    /// container.
    PrivilegedDebug(WorkloadId),
    /// C01, C02: a legacy token Secret (index into the graph's Secrets).
    TokenSecret(u32),
}

/// Capabilities of one technique whose slots ask the same requests once
/// names that no rule lists are dropped (the pods of a namespace): an
/// identity's decisions on the group's slots hold for every member.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) slots: Vec<Arc<Vec<u32>>>,
    /// Member capabilities, in order.
    pub(crate) members: Vec<u32>,
}

/// Groups of one technique whose requests are the same but for their
/// namespace (one group per namespace): a principal no RoleBinding of a
/// namespace applies to decides the same in all of them, by its
/// ClusterRoleBindings alone.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    /// The slots' requests without namespace.
    pub(crate) slots: Vec<Arc<Vec<u32>>>,
    /// Member groups, in order.
    pub(crate) members: Vec<u32>,
}

/// A technique and its slots' requests.
type GroupKey = (Technique, Vec<Arc<Vec<u32>>>);

/// The shared target list of every `Node` sink.
pub(crate) const SINKS_HUB: u32 = 0;
/// The shared target list of every workload.
pub(crate) const WORKLOADS_HUB: u32 = 1;

/// The requests and capabilities of a graph, kept for extending it with
/// query sources.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalogue {
    pub(crate) requests: Vec<Request>,
    /// Indexes into `requests` by the request's hash (each request is
    /// stored once).
    pub(crate) req_index: hashbrown::HashTable<u32>,
    pub(crate) caps: Vec<Capability>,
    /// Capability groups, in the order of their first member.
    pub(crate) groups: Vec<Group>,
    /// The group of each capability.
    pub(crate) cap_group: Vec<u32>,
    /// The namespace (index into `namespaces`) of a group whose namespaced
    /// requests are all in one namespace.
    pub(crate) group_ns: Vec<Option<u32>>,
    /// Templates of groups.
    pub(crate) templates: Vec<Template>,
    /// The template of each group, if any.
    pub(crate) group_template: Vec<Option<u32>>,
    /// Principals some RoleBinding of a namespace applies to, by namespace
    /// index, sorted.
    pub(crate) bound_actors: Vec<Vec<u32>>,
    /// Target lists many capabilities share ([`SINKS_HUB`], [`WORKLOADS_HUB`]).
    pub(crate) hubs: Vec<Arc<Vec<u32>>>,
    /// The capabilities a RoleBinding in a namespace can fill (every slot
    /// has a request in that namespace).
    pub(crate) caps_by_namespace: HashMap<String, Vec<usize>>,
    pub(crate) namespaces: Vec<String>,
    pub(crate) cluster_roles: Vec<RoleId>,
    pub(crate) roles_in: BTreeMap<String, Vec<RoleId>>,
    /// The binding writes E02 considers (see `writes.rs`).
    pub(crate) binding_writes: Arc<Vec<(u32, super::writes::BindingWrite)>>,
    /// Indexes into `binding_writes` by the namespace of the write's
    /// request (`""`: cluster-scoped), in order.
    pub(crate) binding_writes_in: HashMap<String, Vec<u32>>,
}

/// Objects by name, for the build.
pub(crate) struct Lookup<'g> {
    pub(crate) nodes: HashMap<&'g str, &'g NamedObject>,
    /// Names of the workloads of a kind in a namespace.
    pub(crate) workloads: HashMap<(&'g str, WorkloadKind), Vec<&'g str>>,
    /// Service-account nodes by namespace.
    pub(crate) sa_nodes: BTreeMap<String, Vec<u32>>,
    /// Every `Node` sink.
    pub(crate) sinks: Vec<u32>,
}

impl<'g> Lookup<'g> {
    fn new(attack: &AttackGraph<'g>) -> Lookup<'g> {
        let g: &'g RbacGraph = attack.graph;
        let mut workloads: HashMap<(&'g str, WorkloadKind), Vec<&'g str>> = HashMap::new();
        for w in g.workloads() {
            workloads
                .entry((w.namespace.as_str(), w.kind))
                .or_default()
                .push(w.name.as_str());
        }
        let mut sa_nodes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut sinks = Vec::new();
        for (i, n) in attack.nodes.iter().enumerate() {
            match n {
                AttackNode::ServiceAccount { namespace, .. } => sa_nodes
                    .entry(namespace.clone())
                    .or_default()
                    .push(i as u32),
                AttackNode::Node { .. } => sinks.push(i as u32),
                _ => {}
            }
        }
        Lookup {
            nodes: g.nodes().iter().map(|n| (n.name.as_str(), n)).collect(),
            workloads,
            sa_nodes,
            sinks,
        }
    }
}

/// Principals allowed a request by ClusterRoleBindings, and by
/// RoleBindings of its namespace (sorted).
type ReverseParts = (Rc<Vec<u32>>, Rc<Vec<u32>>);

/// A request's key in the reverse index, its namespace and its name where a
/// rule of that namespace lists it.
type LocalKey<'g> = (u32, &'g str, Option<String>);

/// A map from dense ids (requests, nodes) to values: an index, not a hash.
#[derive(Debug)]
pub(crate) struct Dense<T>(Vec<Option<T>>);

impl<T> Default for Dense<T> {
    fn default() -> Self {
        Dense(Vec::new())
    }
}

impl<T> Dense<T> {
    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        self.0.get(id as usize).and_then(Option::as_ref)
    }

    pub(crate) fn contains(&self, id: u32) -> bool {
        self.get(id).is_some()
    }

    pub(crate) fn insert(&mut self, id: u32, value: T) {
        let i = id as usize;
        if self.0.len() <= i {
            self.0.resize_with(i + 1, || None);
        }
        if let Some(slot) = self.0.get_mut(i) {
            *slot = Some(value);
        }
    }
}

/// Build-time caches.
pub(crate) struct Ctx<'g> {
    pub(crate) index: BindingIndex<'g>,
    /// Request → principals some allowing binding names (sorted).
    reverse: Dense<Rc<Vec<u32>>>,
    /// Request → [`AttackGraph::reverse_parts`].
    reverse_parts: Dense<ReverseParts>,
    /// (The request's key in the index, its name where a cluster-wide rule
    /// lists it) → principals ClusterRoleBindings allow.
    cluster_reverse: HashMap<(u32, Option<String>), Rc<Vec<u32>>>,
    /// (The request's key, its namespace, its name where a rule of that
    /// namespace lists it) → principals the namespace's RoleBindings allow.
    local_reverse: HashMap<LocalKey<'g>, Rc<Vec<u32>>>,
    /// A slot (its alternatives) → the union of their reverse sets.
    slot_union: HashMap<Arc<Vec<u32>>, Rc<Vec<u32>>>,
    /// (actor, request) → the evidence when allowed.
    decisions: HashMap<(u32, u32), Option<Piece>>,
    /// (actor, request without its name) → the evidence when allowed.
    nameless: HashMap<(u32, Request), Option<Arc<Vec<Evidence>>>>,
    /// actor → namespace → the RBAC rules it holds there.
    pub(crate) held: HashMap<u32, HashMap<String, Rc<Held>>>,
    /// The rules of the grants of a role.
    grant_rules: HashMap<Option<RoleId>, Arc<Vec<PolicyRule>>>,
    /// Principal → the namespaces of the RoleBindings that apply to it.
    bound_namespaces: HashMap<u32, Rc<HashSet<String>>>,
    /// Held rule sets by content: many principals hold the same rules.
    held_ids: HashMap<Vec<PolicyRule>, Rc<Held>>,
    /// (resource, namespace) → the principals some binding with a `bind`
    /// rule on that resource (any name) names, sorted.
    pub(crate) binders: HashMap<(&'static str, String), Rc<Vec<u32>>>,
    /// Request → whether its name is listed by no rule in scope.
    names_irrelevant: Dense<bool>,
    /// Principals by user name.
    by_user: HashMap<String, Vec<u32>>,
    /// Principals by group.
    by_group: HashMap<String, Vec<u32>>,
    /// Binding → the principals its subjects apply to (by binding index).
    binding_actors: Vec<Option<Rc<[u32]>>>,
    /// The actors the reverse sets know (all the graph's principals).
    pub(crate) indexed: Dense<()>,
    /// Nodes to evaluate forward (new role grants).
    pub(crate) queue: VecDeque<u32>,
}

impl<'g> Ctx<'g> {
    fn new(graph: &'g RbacGraph) -> Ctx<'g> {
        Ctx {
            index: BindingIndex::new(graph),
            reverse: Dense::default(),
            reverse_parts: Dense::default(),
            cluster_reverse: HashMap::new(),
            local_reverse: HashMap::new(),
            slot_union: HashMap::new(),
            decisions: HashMap::new(),
            nameless: HashMap::new(),
            held: HashMap::new(),
            held_ids: HashMap::new(),
            bound_namespaces: HashMap::new(),
            grant_rules: HashMap::new(),
            binders: HashMap::new(),
            by_user: HashMap::new(),
            names_irrelevant: Dense::default(),
            by_group: HashMap::new(),
            binding_actors: vec![None; graph.bindings().len()],
            indexed: Dense::default(),
            queue: VecDeque::new(),
        }
    }
}

/// The rules an actor holds in a scope (shared by content: many actors
/// hold the same rules).
#[derive(Debug, Default)]
pub(crate) struct Held {
    pub(crate) rules: Vec<PolicyRule>,
}

/// The evidence a workload gives a technique, written out when a path is
/// read ([`Piece::Workload`]).
pub(crate) fn workload_evidence(
    g: &AttackGraph<'_>,
    w: &Workload,
    what: WorkloadFact,
) -> Vec<Evidence> {
    let graph = g.graph;
    let target = || {
        // A controller's pods have generated names: only rules without
        // resourceNames reach them.
        Evidence::Object {
            object: workload_ref(w),
            message: if w.kind == WorkloadKind::Pod {
                "the pod".into()
            } else {
                "its pods have generated names, so only rules without resourceNames reach them"
                    .into()
            },
        }
    };
    match what {
        WorkloadFact::Target => vec![target()],
        WorkloadFact::Images => vec![
            target(),
            fact("a running pod's container images can be changed"),
        ],
        WorkloadFact::PrivilegedDebug => {
            let (_, why) = privileged_pods_admitted(graph.namespace_object(&w.namespace));
            vec![
                target(),
                fact(format!(
                    "a privileged ephemeral container is admitted: namespace {}: {why}",
                    w.namespace
                )),
            ]
        }
        WorkloadFact::HostAccess => {
            let mut ev = vec![Evidence::Object {
                object: workload_ref(w),
                message: "its pod spec gives host access".into(),
            }];
            ev.extend(escape_reasons(&w.pod).into_iter().map(fact));
            ev
        }
        WorkloadFact::Token => {
            let sa = graph.service_account(&w.namespace, &w.pod.service_account);
            let (_, why) = token_mounted(w, sa);
            let mut ev = vec![Evidence::Object {
                object: workload_ref(w),
                message: format!(
                    "runs as ServiceAccount {}/{}; {why}",
                    w.namespace, w.pod.service_account
                ),
            }];
            if let Some(sa) = sa {
                ev.push(Evidence::Object {
                    object: object(
                        "ServiceAccount",
                        &sa.name,
                        Some(&sa.namespace),
                        Some(&sa.source),
                    ),
                    message: "the ServiceAccount".into(),
                });
            }
            ev
        }
        WorkloadFact::Placement => {
            let where_ = match (&w.pod.node_name, runs_everywhere(w)) {
                (Some(name), _) => format!("its pods are bound to node {name} (nodeName)"),
                (None, true) => "a DaemonSet runs a pod on every node".to_string(),
                (None, false) => "no nodeName: its pods may be scheduled on any node".to_string(),
            };
            vec![
                Evidence::Object {
                    object: workload_ref(w),
                    message: where_,
                },
                fact(format!(
                    "root on the node reads its pods' tokens, and the kubelet may request a token for ServiceAccount {}/{}",
                    w.namespace, w.pod.service_account
                )),
            ]
        }
    }
}

/// The hash an interned request is filed under in `Catalogue::req_index`.
fn request_hash(hasher: &foldhash::fast::FixedState, requests: &[Request], i: u32) -> u64 {
    requests.get(i as usize).map_or(0, |r| hasher.hash_one(r))
}

/// Where a workload's pods run.
pub(crate) enum Placement {
    /// Every node (a DaemonSet).
    Every,
    /// These nodes.
    Nodes(Vec<u32>),
}

/// The index of the E01 capability (always first).
pub(crate) const E01_CAP: usize = 0;

pub(crate) fn wildcard_rule() -> PolicyRule {
    PolicyRule::resource(["*"], ["*"], ["*"])
}

/// The request only a rule with `*` verbs, groups and resources and no
/// resourceNames allows at cluster scope: E01. Equivalent to `Covers` of
/// `{* * *}` by one rule (rbac-semantics.md §6.4: an owner listing every
/// verb does not cover `*`).
pub(crate) fn cluster_admin_probe() -> Request {
    Request::resource("*", "*", "*")
}

pub(crate) fn is_wildcard(rules: &[PolicyRule]) -> bool {
    let probe = cluster_admin_probe();
    rules.iter().any(|r| rule_allows(r, &probe))
}

pub(crate) fn object(
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    source: Option<&Source>,
) -> ObjectRef {
    ObjectRef {
        kind: kind.to_string(),
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        source: source.cloned(),
    }
}

pub(crate) fn workload_ref(w: &Workload) -> ObjectRef {
    object(
        w.kind.as_str(),
        &w.name,
        Some(&w.namespace),
        Some(&w.source),
    )
}

pub(crate) fn fact(message: impl Into<String>) -> Evidence {
    Evidence::Fact {
        message: message.into(),
    }
}

/// The common elements of two sorted lists.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    while let (Some(&&x), Some(&&y)) = (a.peek(), b.peek()) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => {
                a.next();
            }
            std::cmp::Ordering::Greater => {
                b.next();
            }
            std::cmp::Ordering::Equal => {
                out.push(x);
                a.next();
                b.next();
            }
        }
    }
    out
}

/// Builds the whole graph.
pub(crate) fn build<'g>(
    graph: &'g RbacGraph,
    options: PathOptions,
    what_if: bool,
) -> AttackGraph<'g> {
    let mut g = AttackGraph {
        graph,
        options,
        nodes: Vec::new(),
        node_index: HashMap::new(),
        actors: Vec::new(),
        admin: Vec::new(),
        expanded: Vec::new(),
        edges: Vec::new(),
        edge_keys: HashSet::new(),
        evidence: Vec::new(),
        cap_edges: Vec::new(),
        floating: Vec::new(),
        bound: Vec::new(),
        adj: super::adjacency::Adjacency::default(),
        catalogue: Catalogue::default(),
    };
    g.add_base_nodes();
    let lookup = Lookup::new(&g);
    let mut ctx = Ctx::new(graph);
    g.build_catalogue(&lookup, &mut ctx.index);
    g.build_groups(&mut ctx);
    for (i, actor) in g.actors.iter().enumerate() {
        if let Some(Actor::Identity(id)) = actor {
            ctx.indexed.insert(i as u32, ());
            ctx.by_user
                .entry(id.name.clone())
                .or_default()
                .push(i as u32);
            for group in &id.groups {
                ctx.by_group
                    .entry(group.clone())
                    .or_default()
                    .push(i as u32);
            }
        }
    }
    g.add_static_edges(&lookup);
    g.build_templates(&ctx);
    for group in 0..g.catalogue.groups.len() {
        g.apply_reverse(&mut ctx, group as u32);
    }
    for template in 0..g.catalogue.templates.len() {
        g.apply_template(&mut ctx, template as u32);
    }
    g.writes_reverse(&mut ctx);
    if let Some(&sink) = g.node_index.get(&AttackNode::ClusterAdmin) {
        if let Some(x) = g.expanded.get_mut(sink as usize) {
            *x = true;
        }
        g.forward(&mut ctx, sink);
    }
    g.drain(&mut ctx);
    if what_if {
        g.add_shadows(&mut ctx);
        g.drain(&mut ctx);
    }
    g.finalize();
    g
}

impl<'g> AttackGraph<'g> {
    pub(crate) fn add_node(&mut self, node: AttackNode, actor: Option<Actor>) -> u32 {
        if let Some(&i) = self.node_index.get(&node) {
            return i;
        }
        let i = self.nodes.len() as u32;
        self.node_index.insert(node.clone(), i);
        self.nodes.push(node);
        self.actors.push(actor);
        self.admin.push(false);
        self.expanded.push(false);
        i
    }

    /// Whether a node is cluster-admin-equivalent (E01).
    pub(crate) fn is_admin(&self, node: u32) -> bool {
        self.admin.get(node as usize).copied().unwrap_or(false)
    }

    pub(crate) fn ix(&self, node: &AttackNode) -> Option<u32> {
        self.node_index.get(node).copied()
    }

    /// Sinks, principals and workloads, in [`AttackNode`] order.
    fn add_base_nodes(&mut self) {
        let g = self.graph;
        let mut nodes: BTreeMap<AttackNode, Option<Actor>> = BTreeMap::new();
        nodes.insert(AttackNode::ClusterAdmin, Some(Actor::Superuser));
        nodes.insert(AttackNode::Node { name: None }, None);
        let mut node_names: BTreeSet<String> = g.nodes().iter().map(|n| n.name.clone()).collect();
        node_names.extend(g.workloads().iter().filter_map(|w| w.pod.node_name.clone()));
        let mut principals: Vec<AttackNode> = g
            .principals()
            .iter()
            .map(|p| match &p.namespace {
                Some(namespace) => AttackNode::ServiceAccount {
                    namespace: namespace.clone(),
                    name: p.name.clone(),
                },
                None => super::principal_node(&p.name),
            })
            .collect();
        // A legacy token Secret names its service account, which exists (the
        // token controller deletes the Secrets of deleted accounts).
        for s in g.secrets() {
            if let Some(sa) = &s.service_account {
                principals.push(AttackNode::ServiceAccount {
                    namespace: s.namespace.clone(),
                    name: sa.clone(),
                });
            }
        }
        for p in &principals {
            if let AttackNode::NodeIdentity { name } = p {
                node_names.insert(name.clone());
            }
        }
        for name in &node_names {
            nodes.insert(
                AttackNode::Node {
                    name: Some(name.clone()),
                },
                None,
            );
            // A kubelet authenticates as `system:node:NAME` in `system:nodes`.
            // See: `pkg/auth/nodeidentifier/default.go :: NodeIdentity`.
            let id =
                Identity::authenticated(format!("{NODE_USERNAME_PREFIX}{name}"), [SYSTEM_NODES]);
            nodes.insert(
                AttackNode::NodeIdentity { name: name.clone() },
                Some(Actor::Identity(id)),
            );
        }
        for p in principals {
            let Some(username) = p.username() else {
                continue;
            };
            if matches!(p, AttackNode::NodeIdentity { .. }) {
                continue;
            }
            let id = Identity::authenticated(username, Vec::<String>::new());
            nodes.insert(p, Some(Actor::Identity(id)));
        }
        for key in g.subjects() {
            if key.kind == SubjectKind::Group && key.name != SYSTEM_MASTERS {
                // Any member of the group: the authenticators add
                // `system:authenticated` (an empty user name matches no User
                // subject: validation rejects empty subject names).
                let id = Identity::authenticated("", [key.name.clone()]);
                nodes.insert(
                    AttackNode::Group {
                        name: key.name.clone(),
                    },
                    Some(Actor::Identity(id)),
                );
            }
        }
        for i in 0..g.workloads().len() {
            nodes.insert(
                AttackNode::Workload {
                    id: WorkloadId(i as u32),
                },
                None,
            );
        }
        for (node, actor) in nodes {
            self.add_node(node, actor);
        }
    }

    pub(crate) fn intern(&mut self, request: Request) -> u32 {
        let hasher = foldhash::fast::FixedState::default();
        let hash = hasher.hash_one(&request);
        let cat = &mut self.catalogue;
        let requests = &cat.requests;
        if let Some(&i) = cat
            .req_index
            .find(hash, |&i| requests.get(i as usize) == Some(&request))
        {
            return i;
        }
        let i = requests.len() as u32;
        cat.req_index
            .insert_unique(hash, i, |&j| request_hash(&hasher, requests, j));
        cat.requests.push(request);
        i
    }

    /// Makes room for `n` more interned requests.
    pub(crate) fn reserve_requests(&mut self, n: usize) {
        let hasher = foldhash::fast::FixedState::default();
        let cat = &mut self.catalogue;
        let requests = &cat.requests;
        cat.req_index
            .reserve(n, |&j| request_hash(&hasher, requests, j));
        cat.requests.reserve(n);
    }

    pub(crate) fn push_evidence(&mut self, evidence: Vec<Evidence>) -> u32 {
        self.push_pieces(vec![Piece::Shared(Arc::new(evidence))])
    }

    pub(crate) fn push_pieces(&mut self, pieces: Vec<Piece>) -> u32 {
        self.evidence.push(pieces);
        (self.evidence.len() - 1) as u32
    }

    pub(crate) fn add_edge(&mut self, from: u32, to: u32, technique: Technique, evidence: u32) {
        if from != to && self.edge_keys.insert((from, to, technique)) {
            self.edges.push(Edge {
                from,
                to,
                technique,
                evidence,
            });
        }
    }

    /// Where code execution in a workload's pods lands when it escapes: its
    /// node, every node for a DaemonSet, else a node the input does not name.
    pub(crate) fn placement(&self, w: &Workload) -> Placement {
        match &w.pod.node_name {
            Some(name) => Placement::Nodes(
                self.ix(&AttackNode::Node {
                    name: Some(name.clone()),
                })
                .into_iter()
                .collect(),
            ),
            None if runs_everywhere(w) => Placement::Every,
            None => Placement::Nodes(
                self.ix(&AttackNode::Node { name: None })
                    .into_iter()
                    .collect(),
            ),
        }
    }

    /// Edges that need no permission: container escapes (W16), mounted
    /// tokens (C05) and what root on a node holds (W17).
    fn add_static_edges(&mut self, lookup: &Lookup<'_>) {
        let g = self.graph;
        let mut floating: HashSet<u32> = HashSet::new();
        for (i, w) in g.workloads().iter().enumerate() {
            let Some(node) = self.ix(&AttackNode::Workload {
                id: WorkloadId(i as u32),
            }) else {
                continue;
            };
            let Some(sa_node) = self.ix(&AttackNode::ServiceAccount {
                namespace: w.namespace.clone(),
                name: w.pod.service_account.clone(),
            }) else {
                continue;
            };
            let lazy = |fact| {
                vec![Piece::Workload {
                    id: WorkloadId(i as u32),
                    fact,
                }]
            };
            if !escape_reasons(&w.pod).is_empty() {
                let ev = self.push_pieces(lazy(WorkloadFact::HostAccess));
                let targets = match self.placement(w) {
                    Placement::Every => lookup.sinks.clone(),
                    Placement::Nodes(nodes) => nodes,
                };
                for t in targets {
                    self.add_edge(node, t, Technique::W16, ev);
                }
            }
            let sa = self
                .graph
                .service_account(&w.namespace, &w.pod.service_account);
            if token_mounted(w, sa).0 {
                let ev = self.push_pieces(lazy(WorkloadFact::Token));
                self.add_edge(node, sa_node, Technique::C05, ev);
            }
            // W17: root on a node reads the tokens of its pods, and the
            // kubelet may request a token for the ServiceAccount of any pod
            // bound to its node, automounted or not. A pod without nodeName
            // may be scheduled on any node.
            // See: `plugin/pkg/auth/authorizer/node/node_authorizer.go :: authorizeCreateToken`.
            let placement: Option<Option<u32>> = match &w.pod.node_name {
                Some(name) => Some(self.ix(&AttackNode::Node {
                    name: Some(name.clone()),
                })),
                None if floating.contains(&sa_node) => continue,
                None => None,
            };
            let ev = self.push_pieces(lazy(WorkloadFact::Placement));
            match placement {
                Some(Some(t)) => self.add_edge(t, sa_node, Technique::W17, ev),
                Some(None) => {}
                // From every node: one entry, found after the edges stored so far.
                None => {
                    floating.insert(sa_node);
                    self.floating.push(super::Floating {
                        to: sa_node,
                        evidence: ev,
                        stamp: 2 * self.edges.len() as u64,
                    });
                }
            }
        }
        let node_names: Vec<(u32, String)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                AttackNode::Node { name: Some(x) } => Some((i as u32, x.clone())),
                _ => None,
            })
            .collect();
        for (sink, name) in node_names {
            if let Some(kubelet) = self.ix(&AttackNode::NodeIdentity { name: name.clone() }) {
                let ev = self.push_evidence(vec![fact(format!(
                    "the kubelet's client credentials on the node authenticate as {NODE_USERNAME_PREFIX}{name} in group {SYSTEM_NODES}"
                ))]);
                self.add_edge(sink, kubelet, Technique::W17, ev);
            }
        }
    }

    /// Principals some allowing binding names for a request (sorted).
    pub(crate) fn reverse(&self, ctx: &mut Ctx<'g>, request: u32) -> Rc<Vec<u32>> {
        if let Some(found) = ctx.reverse.get(request) {
            return Rc::clone(found);
        }
        let (cluster, local) = self.reverse_parts(ctx, request);
        // Most requests are allowed by one kind of binding only: share its
        // list.
        let out = if local.is_empty() {
            cluster
        } else if cluster.is_empty() {
            local
        } else {
            let mut out: Vec<u32> = cluster.iter().chain(local.iter()).copied().collect();
            out.sort_unstable();
            out.dedup();
            Rc::new(out)
        };
        ctx.reverse.insert(request, Rc::clone(&out));
        out
    }

    /// The principals sorted, of a list of bindings.
    fn binding_actors(&self, ctx: &mut Ctx<'_>, bindings: &[BindingId]) -> Vec<u32> {
        let mut out = Vec::new();
        for &b in bindings {
            out.extend(self.actors_of_binding(ctx, b).iter());
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The principals a binding's subjects apply to (kept per binding:
    /// many requests are allowed by the same bindings).
    pub(crate) fn actors_of_binding(&self, ctx: &mut Ctx<'_>, b: BindingId) -> Rc<[u32]> {
        if let Some(Some(found)) = ctx.binding_actors.get(b.0 as usize) {
            return Rc::clone(found);
        }
        let actors: Rc<[u32]> = match self.graph.binding(b) {
            Some(binding) => self.subject_actors(ctx, b, &binding.subjects).into(),
            None => Rc::from([]),
        };
        if let Some(slot) = ctx.binding_actors.get_mut(b.0 as usize) {
            *slot = Some(Rc::clone(&actors));
        }
        actors
    }

    /// [`Self::reverse`] in two parts: the principals that ClusterRoleBindings
    /// allow (the same in every namespace, so kept per request shape), and
    /// those the RoleBindings of the request's namespace allow.
    pub(crate) fn reverse_parts(&self, ctx: &mut Ctx<'g>, request: u32) -> ReverseParts {
        if let Some(found) = ctx.reverse_parts.get(request) {
            return found.clone();
        }
        let Some(req) = self.catalogue.requests.get(request as usize) else {
            return (Rc::default(), Rc::default());
        };
        let g = self.graph;
        let (cluster, local) = match (req, ctx.index.lookup(req)) {
            (Request::Resource(r), Some(e)) => {
                // A name no cluster-wide rule lists is allowed as any other
                // such name: one entry serves them all.
                let key = (
                    e.id,
                    e.cluster_names_matter(&r.name).then(|| r.name.clone()),
                );
                let cluster = match ctx.cluster_reverse.get(&key) {
                    Some(found) => Rc::clone(found),
                    None => {
                        let name = key.1.as_deref().unwrap_or("");
                        let bindings = e.allowing_cluster(g, name);
                        let out = Rc::new(self.binding_actors(ctx, &bindings));
                        ctx.cluster_reverse.insert(key, Rc::clone(&out));
                        out
                    }
                };
                let local = match e.local_scope(&r.namespace, &r.name) {
                    None => Rc::default(),
                    Some((ns, listed)) => {
                        let key = (e.id, ns, listed);
                        match ctx.local_reverse.get(&key) {
                            Some(found) => Rc::clone(found),
                            None => {
                                let bindings = e.allowing_local(g, &r.namespace, &r.name);
                                let out = Rc::new(self.binding_actors(ctx, &bindings));
                                ctx.local_reverse.insert(key, Rc::clone(&out));
                                out
                            }
                        }
                    }
                };
                (cluster, local)
            }
            _ => {
                let bindings = ctx.index.allowing_cluster(req);
                (Rc::new(self.binding_actors(ctx, &bindings)), Rc::default())
            }
        };
        ctx.reverse_parts
            .insert(request, (Rc::clone(&cluster), Rc::clone(&local)));
        (cluster, local)
    }

    /// The principals the subjects of a binding apply to.
    /// See: `pkg/registry/rbac/validation/rule.go :: appliesTo`.
    pub(crate) fn subject_actors(
        &self,
        ctx: &Ctx<'_>,
        binding: BindingId,
        subjects: &[Subject],
    ) -> Vec<u32> {
        let Some(b) = self.graph.binding(binding) else {
            return Vec::new();
        };
        let ns = b.namespace.as_deref().unwrap_or("");
        let mut out = Vec::new();
        for s in subjects {
            let Some(key) = subject_key(s, b.kind, ns) else {
                continue;
            };
            match key.kind {
                SubjectKind::Group => out.extend(ctx.by_group.get(&key.name).into_iter().flatten()),
                _ => {
                    if let Some(user) = key.username() {
                        out.extend(ctx.by_user.get(&user).into_iter().flatten());
                    }
                }
            }
        }
        out
    }

    /// Whether an actor may make a request, with the evidence.
    pub(crate) fn decide(&self, ctx: &mut Ctx<'g>, actor: u32, request: u32) -> Option<Piece> {
        // A principal the reverse sets know is allowed exactly when an
        // allowing binding names it; the reasons are asked of the authorizer
        // when the evidence is read. Cheap to ask again, so not kept.
        if ctx.indexed.contains(actor) {
            let (cluster, local) = self.reverse_parts(ctx, request);
            return if cluster.binary_search(&actor).is_err() && local.binary_search(&actor).is_err()
            {
                None
            } else {
                let nameless = self.names_irrelevant(ctx, request);
                Some(Piece::Ask {
                    actor,
                    request,
                    nameless,
                })
            };
        }
        if let Some(found) = ctx.decisions.get(&(actor, request)) {
            return found.clone();
        }
        let req = self.catalogue.requests.get(request as usize)?;
        let found = match self.actors.get(actor as usize).and_then(Option::as_ref) {
            Some(Actor::Identity(id)) => self.authorize(ctx, actor, id, request),
            Some(Actor::Superuser) => Some(Piece::Superuser { request }),
            // A shadow's steps are never shown: no evidence.
            Some(Actor::Restricted { holdings, .. }) => holdings
                .view()
                .allows(req)
                .then(|| Piece::Shared(Arc::new(Vec::new()))),
            Some(Actor::Grant {
                namespace, rules, ..
            }) => {
                // A RoleBinding grants only requests in its own namespace.
                // See: `plugin/pkg/auth/authorizer/rbac/rbac.go :: Authorize`
                // through `VisitRulesFor`.
                let in_scope = match namespace {
                    None => true,
                    Some(ns) => !req.namespace().is_empty() && req.namespace() == ns,
                };
                in_scope
                    .then(|| rules.iter().position(|r| rule_allows(r, req)))
                    .flatten()
                    .map(|i| Piece::Rule {
                        actor,
                        request,
                        rule: i as u32,
                    })
            }
            None => None,
        };
        self.remember(ctx, actor, request, found)
    }

    fn remember(
        &self,
        ctx: &mut Ctx<'g>,
        actor: u32,
        request: u32,
        found: Option<Piece>,
    ) -> Option<Piece> {
        ctx.decisions.insert((actor, request), found.clone());
        found
    }

    /// [`RbacGraph::authorize`] for a principal. A named request that no
    /// rule in scope lists in its `resourceNames` is decided by the rules
    /// without `resourceNames` alone, which allow every name: the decision
    /// of the same request without a name has the same reasons. It is made
    /// once per actor and request shape and shared (with the name put back
    /// in the evidence), so the many pods of a namespace cost one decision.
    fn authorize(
        &self,
        ctx: &mut Ctx<'g>,
        actor: u32,
        id: &Identity,
        request: u32,
    ) -> Option<Piece> {
        let req = self.catalogue.requests.get(request as usize)?;
        let decide = |request: &Request| {
            let d = self.graph.authorize(id, request);
            d.allowed.then(|| {
                Arc::new(vec![Evidence::Permission {
                    request: request.clone(),
                    reasons: d.reasons,
                }])
            })
        };
        if let Request::Resource(r) = req
            && !r.name.is_empty()
            && !ctx.index.names_matter(req)
        {
            let nameless = req.clone().named("");
            let found = match ctx.nameless.get(&(actor, nameless.clone())) {
                Some(found) => found.clone(),
                None => {
                    let found = decide(&nameless);
                    ctx.nameless.insert((actor, nameless), found.clone());
                    found
                }
            };
            return found.map(|chunk| Piece::Named(chunk, request));
        }
        decide(req).map(Piece::Shared)
    }

    /// Whether a named request's name is listed by no rule in its scope
    /// (then the decision of the request without a name has the same reasons).
    fn names_irrelevant(&self, ctx: &mut Ctx<'g>, request: u32) -> bool {
        if let Some(&found) = ctx.names_irrelevant.get(request) {
            return found;
        }
        let found = match self.catalogue.requests.get(request as usize) {
            Some(req @ Request::Resource(r)) => !r.name.is_empty() && !ctx.index.names_matter(req),
            _ => false,
        };
        ctx.names_irrelevant.insert(request, found);
        found
    }

    /// The evidence a decision stands for.
    pub(crate) fn expand(&self, piece: &Piece) -> Vec<Evidence> {
        materialize(slice::from_ref(piece), self)
    }

    pub(crate) fn decide_req(
        &mut self,
        ctx: &mut Ctx<'g>,
        actor: u32,
        request: Request,
    ) -> Option<Piece> {
        let r = self.intern(request);
        self.decide(ctx, actor, r)
    }

    /// The RBAC rules an actor holds in a namespace (`""`: cluster scope), as
    /// the storage's cover check collects them.
    /// See: `pkg/registry/rbac/validation/rule.go :: RulesFor`.
    pub(crate) fn held(&self, ctx: &mut Ctx<'g>, actor: u32, namespace: &str) -> Rc<Held> {
        if let Some(found) = ctx.held.get(&actor).and_then(|m| m.get(namespace)) {
            return Rc::clone(found);
        }
        // A principal no RoleBinding of the namespace applies to holds
        // there what it holds cluster-wide.
        if !namespace.is_empty()
            && let Some(Actor::Identity(id)) =
                self.actors.get(actor as usize).and_then(Option::as_ref)
        {
            let bound = match ctx.bound_namespaces.get(&actor) {
                Some(found) => Rc::clone(found),
                None => {
                    let g = self.graph;
                    let set: HashSet<String> = g
                        .applicable_bindings(id)
                        .into_iter()
                        .filter_map(|(b, _)| g.binding(b)?.namespace.clone())
                        .collect();
                    let set = Rc::new(set);
                    ctx.bound_namespaces.insert(actor, Rc::clone(&set));
                    set
                }
            };
            if !bound.contains(namespace) {
                return self.held(ctx, actor, "");
            }
        }
        let rules = match self.actors.get(actor as usize).and_then(Option::as_ref) {
            Some(Actor::Identity(id)) => self
                .graph
                .rules_for(id, namespace)
                .rules
                .into_iter()
                .map(|r| r.rule)
                .collect(),
            Some(Actor::Superuser) => vec![wildcard_rule(), PolicyRule::non_resource(["*"], ["*"])],
            Some(Actor::Restricted { holdings, .. }) => holdings.view().rules_in(namespace),
            Some(Actor::Grant {
                namespace: scope,
                rules,
                ..
            }) => match scope {
                None => rules.to_vec(),
                Some(ns) if ns == namespace => rules.to_vec(),
                Some(_) => Vec::new(),
            },
            None => Vec::new(),
        };
        let held = match ctx.held_ids.get(&rules) {
            Some(found) => Rc::clone(found),
            None => {
                let held = Rc::new(Held {
                    rules: rules.clone(),
                });
                ctx.held_ids.insert(rules, Rc::clone(&held));
                held
            }
        };
        ctx.held
            .entry(actor)
            .or_default()
            .insert(namespace.to_string(), Rc::clone(&held));
        held
    }

    /// Every slot filled: per slot, the allowed alternative and its decision.
    fn evaluate(
        &self,
        ctx: &mut Ctx<'g>,
        actor: u32,
        slots: &[Arc<Vec<u32>>],
    ) -> Option<Vec<(u32, Piece)>> {
        let mut out = Vec::with_capacity(slots.len());
        for slot in slots {
            out.push(
                slot.iter()
                    .enumerate()
                    .find_map(|(k, &r)| self.decide(ctx, actor, r).map(|p| (k as u32, p)))?,
            );
        }
        Some(out)
    }

    /// Records that an actor filled the slots of a group, a capability or
    /// a template.
    fn emit(&mut self, actor: u32, scope: Scope, pieces: Vec<(u32, Piece)>) {
        let admin = match scope {
            Scope::Cap(c) => c as usize == E01_CAP,
            Scope::Group(group) => self
                .catalogue
                .groups
                .get(group as usize)
                .is_some_and(|g| g.members.first().is_some_and(|&m| m as usize == E01_CAP)),
            Scope::Template(_) => false,
        };
        self.cap_edges.push(super::CapEdge {
            from: actor,
            scope,
            pieces,
        });
        if admin && let Some(a) = self.admin.get_mut(actor as usize) {
            *a = true;
        }
    }

    /// The principals some binding allows a request of every slot (the
    /// intersection of the slots' candidates); empty as soon as one slot
    /// has none.
    fn all_slots_candidates(&self, ctx: &mut Ctx<'g>, slots: &[Arc<Vec<u32>>]) -> Vec<u32> {
        let mut candidates: Option<Vec<u32>> = None;
        for slot in slots {
            let union = self.slot_candidates(ctx, slot);
            let next = match candidates {
                None => union.to_vec(),
                Some(c) => intersect(&c, &union),
            };
            if next.is_empty() {
                return next;
            }
            candidates = Some(next);
        }
        candidates.unwrap_or_default()
    }

    fn slot_candidates(&self, ctx: &mut Ctx<'g>, slot: &Arc<Vec<u32>>) -> Rc<Vec<u32>> {
        if let Some(found) = ctx.slot_union.get(slot) {
            return Rc::clone(found);
        }
        let mut union: Vec<u32> = Vec::new();
        for &r in slot.iter() {
            union.extend(self.reverse(ctx, r).iter());
        }
        union.sort_unstable();
        union.dedup();
        let union = Rc::new(union);
        ctx.slot_union.insert(Arc::clone(slot), Rc::clone(&union));
        union
    }

    /// Groups the capabilities by technique and requests, names that no
    /// role's rule lists dropped: such a name changes neither a decision
    /// nor its reasons (see [`Self::authorize`]), so one decision
    /// per group serves all its members.
    pub(crate) fn build_groups(&mut self, ctx: &mut Ctx<'g>) {
        let mut canon: HashMap<u32, u32> = HashMap::new();
        let mut by_key: HashMap<GroupKey, u32> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut cap_group = Vec::with_capacity(self.catalogue.caps.len());
        for c in 0..self.catalogue.caps.len() {
            let Some(cap) = self.catalogue.caps.get(c) else {
                continue;
            };
            let technique = cap.technique;
            let slots = cap.slots.clone();
            let mut key_slots = Vec::with_capacity(slots.len());
            for slot in &slots {
                let mut out = Vec::with_capacity(slot.len());
                for &r in slot.iter() {
                    let found = canon.get(&r).copied();
                    let k = match found {
                        Some(k) => k,
                        None => {
                            let k = self.canonical(ctx, r);
                            canon.insert(r, k);
                            k
                        }
                    };
                    out.push(k);
                }
                key_slots.push(if out.as_slice() == slot.as_slice() {
                    Arc::clone(slot)
                } else {
                    Arc::new(out)
                });
            }
            // E01 decides who is cluster-admin before anything else: its
            // own group, first.
            let key = (technique, key_slots);
            let g = match by_key.get(&key) {
                Some(&g) if c != E01_CAP => g,
                _ => {
                    let g = groups.len() as u32;
                    groups.push(Group {
                        slots: key.1.clone(),
                        members: Vec::new(),
                    });
                    if c != E01_CAP {
                        by_key.insert(key, g);
                    }
                    g
                }
            };
            if let Some(group) = groups.get_mut(g as usize) {
                group.members.push(c as u32);
            }
            cap_group.push(g);
        }
        self.catalogue.groups = groups;
        self.catalogue.cap_group = cap_group;
    }

    /// The request without its name when no rule of any role lists the
    /// name (nor the empty name), else the request itself.
    fn canonical(&mut self, ctx: &mut Ctx<'g>, r: u32) -> u32 {
        let Some(req) = self.catalogue.requests.get(r as usize) else {
            return r;
        };
        let Request::Resource(x) = req else {
            return r;
        };
        if x.name.is_empty() {
            return r;
        }
        // Any role's rules, not only the bound ones: a role bound on the
        // way decides on these requests too.
        let Some(e) = ctx.index.lookup(req) else {
            return r;
        };
        if e.any_role_lists(&x.name) || e.any_role_lists("") {
            return r;
        }
        let nameless = req.clone().named("");
        self.intern(nameless)
    }

    /// Evaluates a capability group for the principals some binding allows.
    fn apply_reverse(&mut self, ctx: &mut Ctx<'g>, group: u32) {
        let Some(g) = self.catalogue.groups.get(group as usize) else {
            return;
        };
        let slots = g.slots.clone();
        let e01 = g.members.first().is_some_and(|&m| m as usize == E01_CAP);
        // A group of a template: the principals RoleBindings of its
        // namespace apply to (the others are the template's).
        if let Some(Some(_)) = self.catalogue.group_template.get(group as usize)
            && let Some(Some(x)) = self.catalogue.group_ns.get(group as usize)
        {
            let actors = self
                .catalogue
                .bound_actors
                .get(*x as usize)
                .cloned()
                .unwrap_or_default();
            for actor in actors {
                if self.admin.get(actor as usize).copied().unwrap_or(false) {
                    continue;
                }
                if let Some(ev) = self.evaluate(ctx, actor, &slots) {
                    self.emit(actor, Scope::Group(group), ev);
                }
            }
            return;
        }
        for actor in self.all_slots_candidates(ctx, &slots) {
            if !e01 && self.admin.get(actor as usize).copied().unwrap_or(false) {
                continue;
            }
            if let Some(ev) = self.evaluate(ctx, actor, &slots) {
                self.emit(actor, Scope::Group(group), ev);
            }
        }
    }

    /// Finds the templates: the groups whose requests are in one namespace,
    /// by technique and requests without namespace. Also the principals
    /// RoleBindings apply to, per namespace.
    fn build_templates(&mut self, ctx: &Ctx<'g>) {
        let g = self.graph;
        let namespaces = self.catalogue.namespaces.clone();
        let ns_index = |ns: &str| namespaces.binary_search_by(|x| x.as_str().cmp(ns)).ok();
        let mut bound_actors: Vec<Vec<u32>> = vec![Vec::new(); namespaces.len()];
        for (i, b) in g.bindings().iter().enumerate() {
            if let (BindingKind::RoleBinding, Some(ns)) = (b.kind, &b.namespace)
                && let Some(list) = ns_index(ns).and_then(|x| bound_actors.get_mut(x))
            {
                list.extend(self.subject_actors(ctx, BindingId(i as u32), &b.subjects));
            }
        }
        let mut bound: Vec<Vec<u32>> = vec![Vec::new(); self.nodes.len()];
        for (x, list) in bound_actors.iter_mut().enumerate() {
            list.sort_unstable();
            list.dedup();
            for &a in list.iter() {
                if let Some(b) = bound.get_mut(a as usize) {
                    b.push(x as u32);
                }
            }
        }
        self.bound = bound;
        self.catalogue.bound_actors = bound_actors;
        let mut erased: HashMap<u32, u32> = HashMap::new();
        let mut by_key: HashMap<(Technique, Vec<Vec<u32>>), u32> = HashMap::new();
        let mut templates: Vec<Template> = Vec::new();
        let mut group_ns = Vec::with_capacity(self.catalogue.groups.len());
        let mut group_template = Vec::with_capacity(self.catalogue.groups.len());
        for gi in 0..self.catalogue.groups.len() {
            let Some(group) = self.catalogue.groups.get(gi) else {
                continue;
            };
            let slots = group.slots.clone();
            let technique = group
                .members
                .first()
                .and_then(|&c| self.catalogue.caps.get(c as usize))
                .map(|c| c.technique);
            let mut ns: Option<&str> = None;
            let mut one = true;
            for &r in slots.iter().flat_map(|s| s.iter()) {
                let here = self
                    .catalogue
                    .requests
                    .get(r as usize)
                    .map_or("", Request::namespace);
                if here.is_empty() {
                    continue;
                }
                match ns {
                    None => ns = Some(here),
                    Some(x) if x == here => {}
                    Some(_) => one = false,
                }
            }
            let x = ns.filter(|_| one).and_then(ns_index).map(|x| x as u32);
            group_ns.push(x);
            let (Some(_), Some(technique)) = (x, technique) else {
                group_template.push(None);
                continue;
            };
            let mut key = Vec::with_capacity(slots.len());
            for slot in &slots {
                let mut out = Vec::with_capacity(slot.len());
                for &r in slot.iter() {
                    let e = match erased.get(&r) {
                        Some(&e) => e,
                        None => {
                            let shape = self
                                .catalogue
                                .requests
                                .get(r as usize)
                                .cloned()
                                .map(|q| q.in_namespace(""));
                            let e = shape.map_or(r, |q| self.intern(q));
                            erased.insert(r, e);
                            e
                        }
                    };
                    out.push(e);
                }
                key.push(out);
            }
            let key = (technique, key);
            let t = match by_key.get(&key) {
                Some(&t) => t,
                None => {
                    let t = templates.len() as u32;
                    templates.push(Template {
                        slots: key.1.iter().map(|s| Arc::new(s.clone())).collect(),
                        members: Vec::new(),
                    });
                    by_key.insert(key, t);
                    t
                }
            };
            if let Some(tpl) = templates.get_mut(t as usize) {
                tpl.members.push(gi as u32);
            }
            group_template.push(Some(t));
        }
        self.catalogue.group_ns = group_ns;
        self.catalogue.templates = templates;
        self.catalogue.group_template = group_template;
    }

    /// Evaluates a template for the principals ClusterRoleBindings allow:
    /// in a namespace where no RoleBinding applies to a principal, its
    /// decisions are those of the requests without namespace.
    fn apply_template(&mut self, ctx: &mut Ctx<'g>, template: u32) {
        let Some(t) = self.catalogue.templates.get(template as usize) else {
            return;
        };
        let slots = t.slots.clone();
        for actor in self.all_slots_candidates(ctx, &slots) {
            if self.admin.get(actor as usize).copied().unwrap_or(false) {
                continue;
            }
            if let Some(ev) = self.evaluate(ctx, actor, &slots) {
                self.emit(actor, Scope::Template(template), ev);
            }
        }
    }

    /// Evaluates one capability for one actor.
    fn apply_forward(&mut self, ctx: &mut Ctx<'g>, actor: u32, cap: usize) -> bool {
        let Some(c) = self.catalogue.caps.get(cap) else {
            return false;
        };
        let slots = c.slots.clone();
        self.apply_scope(ctx, actor, Scope::Cap(cap as u32), &slots)
    }

    /// Evaluates slots for one actor and records the edge when it fills
    /// them all.
    fn apply_scope(
        &mut self,
        ctx: &mut Ctx<'g>,
        actor: u32,
        scope: Scope,
        slots: &[Arc<Vec<u32>>],
    ) -> bool {
        match self.evaluate(ctx, actor, slots) {
            Some(ev) => {
                self.emit(actor, scope, ev);
                true
            }
            None => false,
        }
    }

    /// Evaluates every technique for one actor (role grants, the
    /// cluster-admin sink, query sources), one group at a time: a group's
    /// decisions hold for each member. An actor whose rules are the same in
    /// every namespace (a role bound cluster-wide on the way, the sink)
    /// decides a template once for all its namespaces.
    pub(crate) fn forward(&mut self, ctx: &mut Ctx<'g>, actor: u32) {
        let superuser = matches!(
            self.actors.get(actor as usize),
            Some(Some(Actor::Superuser))
        );
        if !superuser && self.apply_forward(ctx, actor, E01_CAP) {
            return;
        }
        let e01_group = self.catalogue.cap_group.get(E01_CAP).copied();
        let cat = &self.catalogue;
        let mut scopes: Vec<Scope> = Vec::new();
        match self.actors.get(actor as usize) {
            // A RoleBinding's holder can only fill slots with requests in
            // its namespace.
            Some(Some(Actor::Grant {
                namespace: Some(ns),
                ..
            })) => {
                let mut seen = HashSet::new();
                for &c in cat.caps_by_namespace.get(ns).into_iter().flatten() {
                    if let Some(&g) = cat.cap_group.get(c)
                        && Some(g) != e01_group
                        && seen.insert(g)
                    {
                        scopes.push(Scope::Group(g));
                    }
                }
            }
            Some(Some(
                Actor::Grant {
                    namespace: None, ..
                }
                | Actor::Superuser,
            )) => {
                scopes.extend((0..cat.templates.len() as u32).map(Scope::Template));
                for g in 0..cat.groups.len() as u32 {
                    if Some(g) != e01_group
                        && cat
                            .group_template
                            .get(g as usize)
                            .copied()
                            .flatten()
                            .is_none()
                    {
                        scopes.push(Scope::Group(g));
                    }
                }
            }
            _ => scopes.extend(
                (0..cat.groups.len() as u32)
                    .filter(|&g| Some(g) != e01_group)
                    .map(Scope::Group),
            ),
        }
        for scope in scopes {
            let slots = match scope {
                Scope::Group(g) => self
                    .catalogue
                    .groups
                    .get(g as usize)
                    .map(|g| g.slots.clone()),
                Scope::Template(t) => self
                    .catalogue
                    .templates
                    .get(t as usize)
                    .map(|t| t.slots.clone()),
                Scope::Cap(c) => self.catalogue.caps.get(c as usize).map(|c| c.slots.clone()),
            };
            if let Some(slots) = slots {
                self.apply_scope(ctx, actor, scope, &slots);
            }
        }
        if !superuser {
            self.writes_forward(ctx, actor);
        }
    }

    pub(crate) fn drain(&mut self, ctx: &mut Ctx<'g>) {
        while let Some(actor) = ctx.queue.pop_front() {
            self.forward(ctx, actor);
        }
    }

    /// The node of a role grant (reached with `bind`, `escalate` or a
    /// missing role), queued once for its own edges.
    pub(crate) fn grant_node(
        &mut self,
        ctx: &mut Ctx<'g>,
        role: Option<RoleId>,
        namespace: Option<String>,
    ) -> u32 {
        let node = AttackNode::RoleGrant {
            role,
            namespace: namespace.clone(),
        };
        let i = match self.ix(&node) {
            Some(i) => i,
            None => {
                let rules = match ctx.grant_rules.get(&role) {
                    Some(found) => Arc::clone(found),
                    None => {
                        let rules = Arc::new(match role.and_then(|r| self.graph.role(r)) {
                            Some(r) => r.rules.clone(),
                            None => vec![wildcard_rule()],
                        });
                        ctx.grant_rules.insert(role, Arc::clone(&rules));
                        rules
                    }
                };
                self.add_node(
                    node,
                    Some(Actor::Grant {
                        role,
                        namespace,
                        rules,
                    }),
                )
            }
        };
        if let Some(x) = self.expanded.get_mut(i as usize)
            && !*x
        {
            *x = true;
            ctx.queue.push_back(i);
        }
        i
    }

    /// The graph with a node for `identity`: this graph when the identity
    /// is one of its principals (with just the implicit groups), otherwise a
    /// copy extended with a node for it and everything it newly reaches.
    pub(crate) fn with_source(&self, identity: &Identity) -> (Cow<'_, AttackGraph<'g>>, u32) {
        let node = super::principal_node(&identity.name);
        if let Some(i) = self.ix(&node)
            && let Some(Some(Actor::Identity(id))) = self.actors.get(i as usize)
        {
            let a: BTreeSet<&String> = id.groups.iter().collect();
            let b: BTreeSet<&String> = identity.groups.iter().collect();
            if id.name == identity.name && a == b {
                return (Cow::Borrowed(self), i);
            }
        }
        let mut g = self.clone();
        let source = g.add_node(
            AttackNode::Identity {
                name: identity.name.clone(),
                groups: identity.groups.clone(),
            },
            Some(Actor::Identity(identity.clone())),
        );
        let mut ctx = Ctx::new(self.graph);
        // The reverse index answers "not allowed" without asking, except for
        // `system:masters`, which no binding needs to name.
        if !identity.is_superuser() {
            ctx.indexed.insert(source, ());
            ctx.by_user.insert(identity.name.clone(), vec![source]);
            for group in &identity.groups {
                ctx.by_group.insert(group.clone(), vec![source]);
            }
        }
        g.forward(&mut ctx, source);
        g.drain(&mut ctx);
        g.finalize();
        (Cow::Owned(g), source)
    }
}

//! What a change does to escalation paths: which principals lose every path
//! to cluster-admin (or to a node) when a [`Change`] is made — exactly, and
//! without rebuilding the attack graph.
//!
//! The attack graph is flattened once into a *reach graph*: its nodes, plus
//! one node per capability group, template, capability, shared target list
//! and for the floating W17 entries, so that an actor's capability edge is
//! one edge (actor → group, template or capability) whatever it fans out
//! to. Those inner edges weigh 0; every step of a path weighs 1. One 0-1
//! breadth-first search from the target gives every node's distance, the
//! length of its shortest path.
//!
//! A change only removes steps: fewer permissions fill fewer slots (every
//! technique is monotone in the permissions it asks), a deleted binding can
//! no longer be updated, an unmounted token can no longer be stolen, a
//! labelled namespace no longer admits privileged pods. Two techniques react
//! otherwise and are handled where they arise: labelling a namespace turns
//! W02 there into W03 for whoever may relabel it, and a principal that is
//! cluster-admin (E01, where the graph keeps no other step) gets the steps of
//! what it holds besides, from its *shadow*, built for this purpose with the
//! graph.
//!
//! For one change, the nodes whose distance may grow are found in order of
//! distance from the sources of the removed steps: a node keeps its distance
//! when one of its shortest steps survives the change and leads to a node
//! that keeps its own. The new distances of the others are computed by
//! Dijkstra's algorithm over them alone (the dynamic shortest-path
//! algorithm of Ramalingam and Reps, for 0/1 weights). A principal loses its
//! path when its new distance exceeds the depth the paths are searched to.
//!
//! Deciding whether a step survives asks the change's `Overlay` what its
//! actor still holds, with the builder's own requests: every alternative of
//! every slot of a capability, every binding write and `bind` check of an
//! E02 step, the role writes and their escalation checks of E03 and E13.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::build::{Actor, E01_CAP, Origin, SINKS_HUB, is_wildcard};
use super::techniques::Technique;
use super::writes::{BindingWrite, rbac_write, role_resource};
use super::{AttackGraph, AttackNode, AttackPath, EdgeRef, Scope};
use crate::RBAC_GROUP;
use crate::graph::{BindingId, RoleId, RoleResolution, WorkloadId, subject_key};
use crate::matching::rule_allows;
use crate::model::{BindingKind, PolicyRule, RoleKind, SubjectKind, Workload};
use crate::query::escalation::covers;
use crate::query::whatif::{Change, Holdings, Overlay};
use crate::request::{Identity, Request};

pub(crate) use super::shadow::makes_cluster_admin;

/// Distance of a node that does not reach the target.
const FAR: u32 = u32::MAX;

/// The predecessor of a principal on its own path: none.
const START: u32 = u32::MAX;

fn goal_name(goal: Goal) -> &'static str {
    match goal {
        Goal::ClusterAdmin => "cluster-admin",
        Goal::Nodes => "nodes",
    }
}

/// Which target an answer is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Goal {
    /// The `cluster-admin` sink.
    ClusterAdmin,
    /// Root on any node.
    Nodes,
}

impl Goal {
    /// Both goals.
    pub const ALL: [Goal; 2] = [Goal::ClusterAdmin, Goal::Nodes];

    fn index(self) -> usize {
        match self {
            Goal::ClusterAdmin => 0,
            Goal::Nodes => 1,
        }
    }
}

/// What an edge of the reach graph stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// A stored edge of the attack graph (a step).
    Stored(u32),
    /// A capability edge of the attack graph: its actor to the group,
    /// template or capability it filled (a step).
    Cap(u32),
    /// A `Node` sink to the floating W17 entries (a step).
    Floating,
    /// Inside a group, template, capability or shared list (no step).
    Inner,
}

impl Unit {
    fn weight(self) -> u32 {
        match self {
            Unit::Inner => 0,
            _ => 1,
        }
    }
}

/// One end of an edge of the reach graph, with what the edge stands for.
#[derive(Clone, Copy, Debug)]
struct Half {
    node: u32,
    unit: Unit,
}

/// Adjacency lists in one array.
#[derive(Debug, Default)]
struct Csr {
    offsets: Vec<u32>,
    halves: Vec<Half>,
}

impl Csr {
    /// Lists `n` nodes' edges, grouped by the node `key` picks of each edge.
    fn new(n: usize, edges: &[(u32, u32, Unit)], from: bool) -> Csr {
        let key = |e: &(u32, u32, Unit)| if from { e.0 } else { e.1 };
        let mut offsets = vec![0u32; n + 1];
        for e in edges {
            if let Some(o) = offsets.get_mut(key(e) as usize + 1) {
                *o += 1;
            }
        }
        for i in 0..n {
            let before = offsets.get(i).copied().unwrap_or(0);
            if let Some(o) = offsets.get_mut(i + 1) {
                *o += before;
            }
        }
        let mut fill = offsets.clone();
        let mut halves = vec![
            Half {
                node: 0,
                unit: Unit::Inner,
            };
            edges.len()
        ];
        for e in edges {
            let (at, other) = if from { (e.0, e.1) } else { (e.1, e.0) };
            if let Some(f) = fill.get_mut(at as usize) {
                if let Some(h) = halves.get_mut(*f as usize) {
                    *h = Half {
                        node: other,
                        unit: e.2,
                    };
                }
                *f += 1;
            }
        }
        Csr { offsets, halves }
    }

    fn of(&self, u: u32) -> &[Half] {
        let (Some(&a), Some(&b)) = (
            self.offsets.get(u as usize),
            self.offsets.get(u as usize + 1),
        ) else {
            return &[];
        };
        self.halves.get(a as usize..b as usize).unwrap_or(&[])
    }
}

/// Precomputed answers for impact queries over one attack graph.
#[derive(Debug)]
pub struct ReachIndex<'a, 'g> {
    attack: &'a AttackGraph<'g>,
    /// Attack-graph nodes, then groups, templates, capabilities, hubs, and
    /// the floating entries.
    group0: u32,
    template0: u32,
    cap0: u32,
    hub0: u32,
    float: u32,
    size: u32,
    out: Csr,
    inc: Csr,
    dist: [Vec<u32>; 2],
    /// Per goal: for each node on some principal's shortest path within the
    /// depth, the real node before it on such a path and the edge from
    /// there (`START` for the principals themselves).
    on_path: [Vec<Option<(u32, Half)>>; 2],
    max_depth: u32,
    /// Identity actors by user name and by group.
    by_user: HashMap<&'a str, Vec<u32>>,
    by_group: HashMap<&'a str, Vec<u32>>,
    /// RoleGrant nodes of each role.
    grants_of: HashMap<RoleId, Vec<u32>>,
    /// Capabilities that exist because of an object ([`Origin`]).
    pods_caps: HashMap<u32, Vec<u32>>,
    debug_caps: HashMap<WorkloadId, Vec<u32>>,
    secret_caps: HashMap<u32, Vec<u32>>,
    /// The workload node of each workload.
    workload_node: Vec<u32>,
    /// The shadow of each cluster-admin principal (see [`super::shadow`]).
    shadows: HashMap<u32, u32>,
    /// Workloads by namespace.
    workloads_in: HashMap<&'a str, Vec<WorkloadId>>,
}

impl<'a, 'g> ReachIndex<'a, 'g> {
    /// Flattens an attack graph and computes every node's distance to
    /// cluster-admin and to the nodes.
    ///
    /// # Complexity
    /// Linear in the stored size of the attack graph (its edges, capability
    /// edges and the catalogue's target lists).
    pub fn new(attack: &'a AttackGraph<'g>, max_depth: usize) -> ReachIndex<'a, 'g> {
        let cat = &attack.catalogue;
        let real = attack.nodes.len() as u32;
        let group0 = real;
        let template0 = group0 + cat.groups.len() as u32;
        let cap0 = template0 + cat.templates.len() as u32;
        let hub0 = cap0 + cat.caps.len() as u32;
        let float = hub0 + cat.hubs.len() as u32;
        let size = float + 1;
        let mut edges: Vec<(u32, u32, Unit)> = Vec::new();
        for (i, e) in attack.edges.iter().enumerate() {
            edges.push((e.from, e.to, Unit::Stored(i as u32)));
        }
        for (i, e) in attack.cap_edges.iter().enumerate() {
            let to = match e.scope {
                Scope::Group(g) => group0 + g,
                Scope::Template(t) => template0 + t,
                Scope::Cap(c) => cap0 + c,
            };
            edges.push((e.from, to, Unit::Cap(i as u32)));
        }
        for (g, group) in cat.groups.iter().enumerate() {
            for &c in &group.members {
                edges.push((group0 + g as u32, cap0 + c, Unit::Inner));
            }
        }
        for (t, tpl) in cat.templates.iter().enumerate() {
            for &g in &tpl.members {
                edges.push((template0 + t as u32, group0 + g, Unit::Inner));
            }
        }
        for (c, cap) in cat.caps.iter().enumerate() {
            let from = cap0 + c as u32;
            match cap.hub {
                Some(h) => edges.push((from, hub0 + h, Unit::Inner)),
                None => {
                    for &t in cap.targets.iter() {
                        edges.push((from, t, Unit::Inner));
                    }
                }
            }
        }
        for (h, hub) in cat.hubs.iter().enumerate() {
            for &t in hub.iter() {
                edges.push((hub0 + h as u32, t, Unit::Inner));
            }
        }
        if !attack.floating.is_empty()
            && let Some(sinks) = cat.hubs.get(SINKS_HUB as usize)
        {
            for &s in sinks.iter() {
                edges.push((s, float, Unit::Floating));
            }
            for f in &attack.floating {
                edges.push((float, f.to, Unit::Inner));
            }
        }
        let out = Csr::new(size as usize, &edges, true);
        let inc = Csr::new(size as usize, &edges, false);
        drop(edges);
        let mut index = ReachIndex {
            attack,
            group0,
            template0,
            cap0,
            hub0,
            float,
            size,
            out,
            inc,
            dist: [Vec::new(), Vec::new()],
            on_path: [Vec::new(), Vec::new()],
            max_depth: u32::try_from(max_depth).unwrap_or(u32::MAX),
            by_user: HashMap::new(),
            by_group: HashMap::new(),
            grants_of: HashMap::new(),
            pods_caps: HashMap::new(),
            debug_caps: HashMap::new(),
            secret_caps: HashMap::new(),
            workload_node: Vec::new(),
            shadows: HashMap::new(),
            workloads_in: HashMap::new(),
        };
        for (i, w) in attack.graph.workloads().iter().enumerate() {
            index
                .workloads_in
                .entry(w.namespace.as_str())
                .or_default()
                .push(WorkloadId(i as u32));
        }
        for goal in Goal::ALL {
            let seeds: Vec<u32> = attack
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| match goal {
                    Goal::ClusterAdmin => matches!(n, AttackNode::ClusterAdmin),
                    Goal::Nodes => matches!(n, AttackNode::Node { .. }),
                })
                .map(|(i, _)| i as u32)
                .collect();
            let dist = index.distances(&seeds);
            if let Some(d) = index.dist.get_mut(goal.index()) {
                *d = dist;
            }
        }
        for goal in Goal::ALL {
            let on_path = index.shortest_paths(goal);
            if let Some(x) = index.on_path.get_mut(goal.index()) {
                *x = on_path;
            }
        }
        for (i, actor) in attack.actors.iter().enumerate() {
            match actor {
                Some(Actor::Identity(id)) => {
                    index
                        .by_user
                        .entry(id.name.as_str())
                        .or_default()
                        .push(i as u32);
                    for g in &id.groups {
                        index.by_group.entry(g.as_str()).or_default().push(i as u32);
                    }
                }
                Some(Actor::Grant {
                    role: Some(role), ..
                }) => index.grants_of.entry(*role).or_default().push(i as u32),
                _ => {}
            }
        }
        for (c, cap) in cat.caps.iter().enumerate() {
            let c = c as u32;
            match cap.origin {
                Origin::None => {}
                Origin::PrivilegedPods(x) => index.pods_caps.entry(x).or_default().push(c),
                Origin::PrivilegedDebug(w) => index.debug_caps.entry(w).or_default().push(c),
                Origin::TokenSecret(s) => index.secret_caps.entry(s).or_default().push(c),
            }
        }
        index.workload_node = (0..attack.graph.workloads().len())
            .map(|i| {
                attack
                    .ix(&AttackNode::Workload {
                        id: WorkloadId(i as u32),
                    })
                    .unwrap_or(u32::MAX)
            })
            .collect();
        for (i, n) in attack.nodes.iter().enumerate() {
            if let AttackNode::Shadow { of } = n {
                index.shadows.insert(*of, i as u32);
            }
        }
        index
    }

    /// Which nodes lie on a principal's shortest path to the goal (within
    /// the depth), and how such a path reaches them: a search from every
    /// reaching principal along the edges that keep to a shortest path.
    fn shortest_paths(&self, goal: Goal) -> Vec<Option<(u32, Half)>> {
        let mut out: Vec<Option<(u32, Half)>> = vec![None; self.size as usize];
        let Some(dist) = self.dist.get(goal.index()) else {
            return out;
        };
        let d = |u: u32| dist.get(u as usize).copied().unwrap_or(FAR);
        let mut queue: VecDeque<u32> = VecDeque::new();
        for (i, n) in self.attack.nodes.iter().enumerate() {
            let u = i as u32;
            if n.is_principal() && d(u) > 0 && d(u) <= self.max_depth {
                if let Some(x) = out.get_mut(i) {
                    *x = Some((
                        START,
                        Half {
                            node: u,
                            unit: Unit::Inner,
                        },
                    ));
                }
                queue.push_back(u);
            }
        }
        while let Some(u) = queue.pop_front() {
            let du = d(u);
            if du == 0 {
                continue;
            }
            let inherited = out.get(u as usize).copied().flatten();
            for h in self.out.of(u) {
                if d(h.node).saturating_add(h.unit.weight()) != du {
                    continue;
                }
                let Some(slot) = out.get_mut(h.node as usize) else {
                    continue;
                };
                if slot.is_some() {
                    continue;
                }
                *slot = if u < self.group0 {
                    Some((u, *h))
                } else {
                    inherited
                };
                queue.push_back(h.node);
            }
        }
        out
    }

    /// 0-1 breadth-first search over the reversed edges from `seeds`.
    fn distances(&self, seeds: &[u32]) -> Vec<u32> {
        let mut dist = vec![FAR; self.size as usize];
        let mut queue: VecDeque<u32> = VecDeque::new();
        for &s in seeds {
            if let Some(d) = dist.get_mut(s as usize) {
                *d = 0;
                queue.push_back(s);
            }
        }
        while let Some(v) = queue.pop_front() {
            let dv = dist.get(v as usize).copied().unwrap_or(FAR);
            for h in self.inc.of(v) {
                let w = h.unit.weight();
                let nd = dv.saturating_add(w);
                if let Some(du) = dist.get_mut(h.node as usize)
                    && nd < *du
                {
                    *du = nd;
                    if w == 0 {
                        queue.push_front(h.node);
                    } else {
                        queue.push_back(h.node);
                    }
                }
            }
        }
        dist
    }

    /// The attack graph.
    pub fn attack(&self) -> &'a AttackGraph<'g> {
        self.attack
    }

    /// The depth paths are searched to.
    pub fn max_depth(&self) -> usize {
        self.max_depth as usize
    }

    /// The length of a node's shortest path to the goal, if it has one
    /// within the depth.
    pub fn distance(&self, goal: Goal, node: u32) -> Option<u32> {
        self.dist
            .get(goal.index())
            .and_then(|d| d.get(node as usize))
            .copied()
            .filter(|&d| d <= self.max_depth)
    }

    /// Every principal node that reaches the goal within the depth, with its
    /// distance, in node order.
    pub fn reaching(&self, goal: Goal) -> Vec<(u32, u32)> {
        self.attack
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_principal())
            .filter_map(|(i, _)| {
                let d = self.distance(goal, i as u32)?;
                (d > 0).then_some((i as u32, d))
            })
            .collect()
    }

    /// Whether a node is the goal itself.
    fn is_target(&self, goal: Goal, u: u32) -> bool {
        match self.attack.nodes.get(u as usize) {
            Some(AttackNode::ClusterAdmin) => goal == Goal::ClusterAdmin,
            Some(AttackNode::Node { .. }) => goal == Goal::Nodes,
            _ => false,
        }
    }

    fn rank(&self, u: u32) -> u8 {
        if u < self.group0 {
            0
        } else if u >= self.hub0 {
            1
        } else if u >= self.cap0 {
            2
        } else if u >= self.template0 {
            4
        } else {
            3
        }
    }

    /// What a change does to the paths to both goals.
    ///
    /// # Complexity
    /// Proportional to the actors the change touches and the nodes whose
    /// shortest paths it cuts (and their edges), not to the graph.
    pub fn impact(&self, change: &Change) -> Impact {
        let overlay = Overlay::new(self.attack.graph, change);
        let mut probe = Probe::new(self, &overlay);
        let mut out = Impact::default();
        for goal in Goal::ALL {
            let (lost, used) = self.lost(&mut probe, goal);
            if let Some(l) = out.lost.get_mut(goal.index()) {
                *l = lost;
            }
            if let Some(u) = out.used.get_mut(goal.index()) {
                *u = used;
            }
        }
        out
    }

    /// The principals that lose every path to the goal within the depth,
    /// and one removed step on a path to it (the first step of a path
    /// through the change), if any.
    fn lost(&self, probe: &mut Probe<'_, 'a, 'g>, goal: Goal) -> (Vec<u32>, Option<Step>) {
        let Some(dist) = self.dist.get(goal.index()) else {
            return (Vec::new(), None);
        };
        let d = |u: u32| dist.get(u as usize).copied().unwrap_or(FAR);
        let limit = self.max_depth;
        // A removed step of a principal's shortest path: prefer a
        // principal's own first step, then the one nearest the goal.
        let on_path = self.on_path.get(goal.index());
        let mut used: Option<(bool, u32, Step)> = None;
        let seeds = probe.seeds.clone();
        for &u in &seeds {
            if d(u) > limit
                || on_path
                    .and_then(|p| p.get(u as usize))
                    .copied()
                    .flatten()
                    .is_none()
            {
                continue;
            }
            for h in self.out.of(u) {
                if d(h.node).saturating_add(h.unit.weight()) != d(u) || probe.alive(u, h) {
                    continue;
                }
                let principal = self
                    .attack
                    .nodes
                    .get(u as usize)
                    .is_some_and(|n| n.is_principal());
                let better = match &used {
                    None => true,
                    Some((p, best, _)) => (!principal, d(u)) < (!*p, *best),
                };
                if better {
                    used = Some((principal, d(u), Step { from: u, half: *h }));
                }
            }
        }
        // Otherwise a removed step on a longer path within the depth: from
        // a principal (it starts its own path), or from an inner node that
        // a principal's shortest path enters.
        if used.is_none() {
            let mut best: Option<(u32, Step)> = None;
            for &u in &seeds {
                let principal = self
                    .attack
                    .nodes
                    .get(u as usize)
                    .is_some_and(|n| n.is_principal());
                let prefix = if principal {
                    Some(0)
                } else if u >= self.group0 {
                    self.prefix_len(goal, u)
                } else {
                    None
                };
                let Some(prefix) = prefix else { continue };
                for h in self.out.of(u) {
                    let total = prefix
                        .saturating_add(h.unit.weight())
                        .saturating_add(d(h.node));
                    if total > limit || probe.alive(u, h) {
                        continue;
                    }
                    if best.as_ref().is_none_or(|(t, _)| total < *t) {
                        best = Some((total, Step { from: u, half: *h }));
                    }
                }
            }
            used = best.map(|(t, s)| (false, t, s));
        }
        // Phase 1: the nodes whose distance may grow, in order of distance
        // (then rank, so that the far end of a 0-weight edge comes first).
        let mut state: HashMap<u32, bool> = HashMap::new();
        let mut heap: BinaryHeap<Reverse<(u32, u8, u32)>> = BinaryHeap::new();
        for &u in &seeds {
            if d(u) != FAR {
                heap.push(Reverse((d(u), self.rank(u), u)));
            }
        }
        let mut affected: Vec<u32> = Vec::new();
        while let Some(Reverse((du, _, u))) = heap.pop() {
            if state.contains_key(&u) {
                continue;
            }
            // A target stays one.
            let kept = self.is_target(goal, u)
                || self.out.of(u).iter().any(|h| {
                    d(h.node).saturating_add(h.unit.weight()) == du
                        && state.get(&h.node) != Some(&true)
                        && probe.alive(u, h)
                });
            state.insert(u, !kept);
            if kept {
                continue;
            }
            affected.push(u);
            for h in self.inc.of(u) {
                let dp = du.saturating_add(h.unit.weight());
                if d(h.node) == dp && !state.contains_key(&h.node) {
                    heap.push(Reverse((dp, self.rank(h.node), h.node)));
                }
            }
        }
        // Phase 2: their new distances, from the nodes that keep theirs.
        let mut nd: HashMap<u32, u32> = HashMap::with_capacity(affected.len());
        let mut queue: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::new();
        for &u in &affected {
            let mut best = FAR;
            for h in self.out.of(u) {
                if state.get(&h.node) == Some(&true) || d(h.node) == FAR {
                    continue;
                }
                let via = d(h.node).saturating_add(h.unit.weight());
                if via < best && probe.alive(u, h) {
                    best = via;
                }
            }
            for (v, w) in probe.extra_out(u) {
                if state.get(&v) != Some(&true) && d(v) != FAR {
                    best = best.min(d(v).saturating_add(w));
                }
            }
            nd.insert(u, best);
            if best != FAR {
                queue.push(Reverse((best, u)));
            }
        }
        while let Some(Reverse((du, u))) = queue.pop() {
            if nd.get(&u).copied().unwrap_or(FAR) < du {
                continue;
            }
            let mut relax = |p: u32, w: u32, nd: &mut HashMap<u32, u32>| {
                let via = du.saturating_add(w);
                if let Some(x) = nd.get_mut(&p)
                    && via < *x
                {
                    *x = via;
                    queue.push(Reverse((via, p)));
                }
            };
            for h in self.inc.of(u) {
                if state.get(&h.node) == Some(&true)
                    && du.saturating_add(h.unit.weight()) < nd.get(&h.node).copied().unwrap_or(FAR)
                    && probe.alive(
                        h.node,
                        &Half {
                            node: u,
                            unit: h.unit,
                        },
                    )
                {
                    relax(h.node, h.unit.weight(), &mut nd);
                }
            }
            for (p, w) in probe.extra_in(u) {
                if state.get(&p) == Some(&true) {
                    relax(p, w, &mut nd);
                }
            }
        }
        let mut lost: Vec<u32> = affected
            .into_iter()
            .filter(|&u| {
                u < self.group0
                    && d(u) <= limit
                    && d(u) > 0
                    && nd.get(&u).copied().unwrap_or(FAR) > limit
                    && self
                        .attack
                        .nodes
                        .get(u as usize)
                        .is_some_and(|n| n.is_principal())
            })
            .collect();
        lost.sort_unstable();
        (lost, used.map(|(_, _, s)| s))
    }

    /// The real node an edge leads to along a shortest path: itself, or the
    /// first real node down the inner nodes at the same distance.
    fn landing(&self, goal: Goal, node: u32) -> Option<u32> {
        let dist = self.dist.get(goal.index())?;
        let d = |u: u32| dist.get(u as usize).copied().unwrap_or(FAR);
        let mut at = node;
        while at >= self.group0 {
            at = self
                .out
                .of(at)
                .iter()
                .filter(|h| h.unit == Unit::Inner && d(h.node) == d(at))
                .map(|h| h.node)
                .min()?;
        }
        Some(at)
    }

    /// The attack-graph edge an edge out of a real node stands for, to a
    /// given real node.
    fn edge_to(&self, from: u32, half: &Half, to: u32) -> Option<EdgeRef> {
        let cat = &self.attack.catalogue;
        let cap_reaches = |c: u32| {
            cat.caps.get(c as usize).is_some_and(|cap| match cap.hub {
                Some(h) => cat.hubs.get(h as usize).is_some_and(|l| l.contains(&to)),
                None => cap.targets.contains(&to),
            })
        };
        match half.unit {
            Unit::Stored(e) => Some(EdgeRef::Stored(e)),
            Unit::Floating => {
                let entry = self.attack.floating.iter().position(|f| f.to == to)?;
                Some(EdgeRef::Floating {
                    from,
                    entry: entry as u32,
                })
            }
            Unit::Cap(ce) => {
                let s = half.node;
                let groups: Vec<u32> = if s >= self.template0 && s < self.cap0 {
                    cat.templates
                        .get((s - self.template0) as usize)
                        .map(|t| t.members.clone())
                        .unwrap_or_default()
                } else if s >= self.group0 && s < self.template0 {
                    vec![s - self.group0]
                } else {
                    Vec::new()
                };
                let cap = if s >= self.cap0 && s < self.hub0 {
                    Some(s - self.cap0)
                } else {
                    groups
                        .iter()
                        .filter_map(|&g| cat.groups.get(g as usize))
                        .flat_map(|g| g.members.iter().copied())
                        .find(|&c| cap_reaches(c))
                }?;
                Some(EdgeRef::Cap { edge: ce, cap, to })
            }
            Unit::Inner => None,
        }
    }

    /// A shortest path from a node to the goal (before any change), as
    /// attack-graph edges.
    fn shortest(&self, goal: Goal, from: u32) -> Vec<(u32, EdgeRef)> {
        let Some(dist) = self.dist.get(goal.index()) else {
            return Vec::new();
        };
        let d = |u: u32| dist.get(u as usize).copied().unwrap_or(FAR);
        let mut out = Vec::new();
        let mut at = from;
        while d(at) > 0 && d(at) != FAR && out.len() <= self.max_depth as usize {
            let here = d(at);
            let Some((to, edge)) = self
                .out
                .of(at)
                .iter()
                .filter(|h| h.unit != Unit::Inner && d(h.node).saturating_add(1) == here)
                .find_map(|h| {
                    let to = self.landing(goal, h.node)?;
                    Some((to, self.edge_to(at, h, to)?))
                })
            else {
                break;
            };
            out.push((at, edge));
            at = to;
        }
        out
    }

    /// The path a removed step lies on: a principal's shortest path to the
    /// step, the step, then a shortest path on (all as they are before the
    /// change), as edges.
    /// The length of the shortest-path prefix from a principal to a node
    /// on its shortest path, if the node is on one.
    fn prefix_len(&self, goal: Goal, node: u32) -> Option<u32> {
        let on_path = self.on_path.get(goal.index())?;
        let mut len = 0u32;
        let mut at = node;
        let mut hops = 0;
        on_path.get(node as usize).copied().flatten()?;
        while let Some(Some((x, h))) = on_path.get(at as usize).copied() {
            if x == START || hops > self.max_depth {
                break;
            }
            len = len.saturating_add(h.unit.weight());
            at = x;
            hops += 1;
        }
        Some(len)
    }

    pub(crate) fn path_edges_through(&self, goal: Goal, step: &Step) -> Option<PathEdges> {
        let on_path = self.on_path.get(goal.index())?;
        // The real step: from a real node, or the unit edge that entered
        // the inner node the removed edge leaves.
        let (from, half) = if step.from < self.group0 {
            (step.from, step.half)
        } else {
            let (x, h) = on_path.get(step.from as usize).copied().flatten()?;
            (x, h)
        };
        let to = self.landing(goal, step.half.node)?;
        let first = self.edge_to(from, &half, to)?;
        let mut prefix = Vec::new();
        let mut at = from;
        while let Some(Some((x, h))) = on_path.get(at as usize).copied() {
            if x == START || prefix.len() > self.max_depth as usize {
                break;
            }
            prefix.push((x, self.edge_to(x, &h, at)?));
            at = x;
        }
        prefix.reverse();
        let source = prefix.first().map_or(from, |(x, _)| *x);
        let edges = prefix
            .into_iter()
            .chain(std::iter::once((from, first)))
            .chain(self.shortest(goal, to))
            .collect();
        Some(PathEdges {
            source,
            target: goal_name(goal),
            edges,
        })
    }

    /// The path a removed step lies on, with its evidence.
    pub fn path_through(&self, goal: Goal, step: &Step) -> Option<AttackPath> {
        self.materialize(&self.path_edges_through(goal, step)?)
    }

    /// A path's evidence, read from the attack graph.
    pub(crate) fn materialize(&self, path: &PathEdges) -> Option<AttackPath> {
        let g = self.attack;
        let mut steps = Vec::new();
        for &(x, edge) in &path.edges {
            steps.push(super::search::step(g, edge, super::search::node_ref(g, x))?);
        }
        Some(AttackPath {
            source: super::search::node_ref(g, path.source),
            target: path.target.into(),
            steps,
        })
    }

    /// One edge of a path, with its evidence.
    pub(crate) fn step(&self, from: u32, edge: EdgeRef) -> Option<super::AttackStep> {
        let g = self.attack;
        super::search::step(g, edge, super::search::node_ref(g, from))
    }

    /// The ends and technique of an edge.
    pub(crate) fn ends(&self, edge: EdgeRef) -> Option<(u32, u32, Technique)> {
        self.attack.edge_ends(edge)
    }

    /// A shortest path from a node to the goal (before any change).
    pub fn path_from(&self, goal: Goal, node: u32) -> Option<AttackPath> {
        let g = self.attack;
        let mut steps = Vec::new();
        for (from, edge) in self.shortest(goal, node) {
            steps.push(super::search::step(
                g,
                edge,
                super::search::node_ref(g, from),
            )?);
        }
        (!steps.is_empty()).then(|| AttackPath {
            source: super::search::node_ref(g, node),
            target: goal_name(goal).into(),
            steps,
        })
    }
}

/// A path as attack-graph edges (evidence read on demand).
#[derive(Clone, Debug)]
pub(crate) struct PathEdges {
    /// Where it starts.
    pub(crate) source: u32,
    /// `cluster-admin` or `nodes`.
    pub(crate) target: &'static str,
    /// Each step: the node it leaves and the edge.
    pub(crate) edges: Vec<(u32, EdgeRef)>,
}

/// A removed step: the node it leaves and the reach-graph edge.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    from: u32,
    half: Half,
}

/// What a change does to the paths (see [`ReachIndex::impact`]).
#[derive(Clone, Debug, Default)]
pub struct Impact {
    /// Per goal ([`Goal::ClusterAdmin`], [`Goal::Nodes`]): the principal
    /// nodes that lose every path within the depth, in node order.
    pub lost: [Vec<u32>; 2],
    /// Per goal: a step the change removes that lies on a path to it within
    /// the depth (the change is *used* by such a path), if any.
    pub used: [Option<Step>; 2],
}

impl Impact {
    /// The principals that lose every path to the goal.
    pub fn lost(&self, goal: Goal) -> &[u32] {
        self.lost.get(goal.index()).map_or(&[][..], Vec::as_slice)
    }

    /// A step the change removes on a path to the goal.
    pub fn used(&self, goal: Goal) -> Option<&Step> {
        self.used.get(goal.index()).and_then(Option::as_ref)
    }
}

/// One change's view of the reach graph: which edges survive it.
struct Probe<'p, 'a, 'g> {
    index: &'p ReachIndex<'a, 'g>,
    overlay: &'p Overlay<'p>,
    /// Actors whose RBAC holdings the change alters.
    touched: HashSet<u32>,
    /// Nodes some of whose out-edges may not survive.
    seeds: Vec<u32>,
    /// Capabilities that no longer exist (their node has no out-edges).
    dead_caps: HashSet<u32>,
    /// Per dead W02 capability: its namespace (W03 for who may relabel it).
    relabel: HashMap<u32, String>,
    /// E02 targets that lost an existing binding to update.
    rebound: HashSet<u32>,
    /// W17 steps no workload justifies after the change: (node sink,
    /// service account node), and floating entries by service account node.
    dead_placed: HashSet<(u32, u32)>,
    dead_floating: HashSet<u32>,
    holdings: HashMap<u32, Holdings<'p>>,
    /// Per capability group, template or capability: whether a rule the
    /// change takes away allows some request of its slots.
    exposed: HashMap<(u8, u32), bool>,
    /// Capability edges already decided (the search asks of one edge
    /// several times).
    caps: HashMap<u32, bool>,
    /// The rules the change may take away, by the namespace they can
    /// matter in (`None`: anywhere).
    lost_rules: HashMap<Option<&'p str>, Vec<&'p PolicyRule>>,
}

impl<'p, 'a, 'g> Probe<'p, 'a, 'g> {
    fn new(index: &'p ReachIndex<'a, 'g>, overlay: &'p Overlay<'p>) -> Probe<'p, 'a, 'g> {
        let attack = index.attack;
        let g = attack.graph;
        let change = overlay.change();
        let mut probe = Probe {
            index,
            overlay,
            touched: HashSet::new(),
            seeds: Vec::new(),
            dead_caps: HashSet::new(),
            relabel: HashMap::new(),
            rebound: HashSet::new(),
            dead_placed: HashSet::new(),
            dead_floating: HashSet::new(),
            holdings: HashMap::new(),
            exposed: HashMap::new(),
            caps: HashMap::new(),
            lost_rules: {
                let mut by: HashMap<Option<&'p str>, Vec<&'p PolicyRule>> = HashMap::new();
                for (scope, rule) in overlay.lost_rules() {
                    by.entry(scope).or_default().push(rule);
                }
                by
            },
        };
        // Actors of changed bindings' subjects (removed ones, or all of a
        // deleted binding or of one whose role changes).
        let mut subjects: Vec<(BindingId, usize)> = Vec::new();
        for &b in &change.deleted_bindings {
            if let Some(x) = g.binding(b) {
                subjects.extend((0..x.subjects.len()).map(|i| (b, i)));
            }
        }
        for (&b, removed) in &change.removed_subjects {
            subjects.extend(removed.iter().map(|&i| (b, i)));
        }
        for role in overlay.changed_roles() {
            for &b in g
                .index
                .cluster_bindings_of(role)
                .iter()
                .chain(g.index.role_bindings_of(role))
            {
                if let Some(x) = g.binding(b) {
                    subjects.extend((0..x.subjects.len()).map(|i| (b, i)));
                }
            }
            for &n in index.grants_of.get(&role).into_iter().flatten() {
                probe.touched.insert(n);
            }
        }
        for (b, i) in subjects {
            let Some(x) = g.binding(b) else { continue };
            let Some(s) = x.subjects.get(i) else { continue };
            let Some(key) = subject_key(s, x.kind, x.namespace.as_deref().unwrap_or("")) else {
                continue;
            };
            let actors = match key.kind {
                SubjectKind::Group => index.by_group.get(key.name.as_str()),
                _ => key.username().and_then(|u| index.by_user.get(u.as_str())),
            };
            probe.touched.extend(actors.into_iter().flatten().copied());
        }
        let shadows: Vec<u32> = probe
            .touched
            .iter()
            .filter_map(|a| index.shadows.get(a).copied())
            .collect();
        probe.touched.extend(shadows);
        // E02 steps that may have updated a deleted binding.
        for &b in &change.deleted_bindings {
            let (Some(x), Some((role, r))) = (g.binding(b), g.bound_role(b)) else {
                continue;
            };
            let target = if x.kind == BindingKind::ClusterRoleBinding && is_wildcard(&r.rules) {
                attack.ix(&AttackNode::ClusterAdmin)
            } else {
                attack.ix(&AttackNode::RoleGrant {
                    role: Some(role),
                    namespace: match x.kind {
                        BindingKind::ClusterRoleBinding => None,
                        BindingKind::RoleBinding => x.namespace.clone(),
                    },
                })
            };
            if let Some(t) = target {
                probe.rebound.insert(t);
                for h in index.inc.of(t) {
                    if let Unit::Stored(e) = h.unit
                        && attack
                            .edges
                            .get(e as usize)
                            .is_some_and(|x| x.technique == Technique::E02)
                    {
                        probe.seeds.push(h.node);
                    }
                }
            }
        }
        // Objects whose state a capability relies on.
        let cat = &attack.catalogue;
        for (ns, level) in &change.pod_security {
            let admits = crate::query::paths::techniques::level_admits_privileged(level);
            if admits {
                continue;
            }
            let Ok(x) = cat.namespaces.binary_search(ns) else {
                continue;
            };
            for &c in index.pods_caps.get(&(x as u32)).into_iter().flatten() {
                probe.dead_caps.insert(c);
                probe.relabel.insert(c, ns.clone());
            }
            for id in index.workloads_in.get(ns.as_str()).into_iter().flatten() {
                probe
                    .dead_caps
                    .extend(index.debug_caps.get(id).into_iter().flatten());
            }
        }
        for &s in &change.deleted_secrets {
            probe
                .dead_caps
                .extend(index.secret_caps.get(&(s as u32)).into_iter().flatten());
        }
        for &c in &probe.dead_caps {
            probe.seeds.push(index.cap0 + c);
        }
        // Workloads whose token or identity changes: their C05 step, and the
        // W17 steps of the nodes they run on.
        let mut moved: Vec<WorkloadId> = change.unmounted.iter().copied().collect();
        moved.extend(change.new_service_account.keys().copied());
        for (ns, name) in &change.unmounted_service_accounts {
            for id in g.workloads_of(ns, name) {
                moved.push(id);
            }
        }
        for id in moved {
            if let Some(&n) = index.workload_node.get(id.0 as usize) {
                probe.seeds.push(n);
            }
            let Some(w) = g.workloads().get(id.0 as usize) else {
                continue;
            };
            if !change.new_service_account.contains_key(&id) {
                continue;
            }
            // The W17 step to its service account stays while another
            // workload there still runs as it.
            let Some(sa) = attack.ix(&AttackNode::ServiceAccount {
                namespace: w.namespace.clone(),
                name: w.pod.service_account.clone(),
            }) else {
                continue;
            };
            let others = g.workloads_of(&w.namespace, &w.pod.service_account);
            let stays = |same_place: &dyn Fn(&Workload) -> bool| {
                others.iter().any(|o| {
                    !change.new_service_account.contains_key(o)
                        && g.workloads().get(o.0 as usize).is_some_and(same_place)
                })
            };
            match &w.pod.node_name {
                Some(node) => {
                    if !stays(&|x: &Workload| x.pod.node_name.as_deref() == Some(node.as_str()))
                        && let Some(sink) = attack.ix(&AttackNode::Node {
                            name: Some(node.clone()),
                        })
                    {
                        probe.dead_placed.insert((sink, sa));
                        probe.seeds.push(sink);
                    }
                }
                None => {
                    if !stays(&|x: &Workload| x.pod.node_name.is_none()) {
                        probe.dead_floating.insert(sa);
                        probe.seeds.push(index.float);
                    }
                }
            }
        }
        let touched: Vec<u32> = probe.touched.iter().copied().collect();
        probe.seeds.extend(touched);
        probe.seeds.sort_unstable();
        probe.seeds.dedup();
        probe
    }

    /// The identity an actor decides as, if it is one (a shadow decides as
    /// the principal it shadows).
    fn identity(&self, actor: u32) -> Option<&'a Identity> {
        match self.index.attack.actors.get(actor as usize)?.as_ref()? {
            Actor::Identity(id) | Actor::Restricted { identity: id, .. } => Some(id),
            _ => None,
        }
    }

    /// What an identity actor holds after the change (a shadow: without
    /// the grants that made its principal cluster-admin).
    fn holdings(&mut self, actor: u32) -> &Holdings<'p> {
        if !self.holdings.contains_key(&actor) {
            let mut held = match self.identity(actor) {
                Some(id) => self.overlay.holdings(id),
                None => Holdings::default(),
            };
            if let Some(Some(Actor::Restricted { .. })) =
                self.index.attack.actors.get(actor as usize)
            {
                held = held.not_admin();
            }
            self.holdings.insert(actor, held);
        }
        // Inserted above.
        self.holdings.entry(actor).or_default()
    }

    /// Whether an actor may make a request after the change.
    fn decide(&mut self, actor: u32, request: &Request) -> bool {
        let attack = self.index.attack;
        match attack.actors.get(actor as usize).and_then(Option::as_ref) {
            Some(Actor::Superuser) => true,
            Some(Actor::Grant {
                role, namespace, ..
            }) => {
                let in_scope = match namespace {
                    None => true,
                    Some(ns) => !request.namespace().is_empty() && request.namespace() == ns,
                };
                in_scope
                    && match role {
                        None => true,
                        Some(r) => self
                            .overlay
                            .rules_of(*r)
                            .iter()
                            .any(|rule| rule_allows(rule, request)),
                    }
            }
            Some(Actor::Identity(_) | Actor::Restricted { .. }) => {
                self.holdings(actor).allows(request)
            }
            None => false,
        }
    }

    /// The rules an actor holds in a namespace after the change (for the
    /// storage's cover check).
    fn held_in(&mut self, actor: u32, namespace: &str) -> Vec<PolicyRule> {
        let attack = self.index.attack;
        match attack.actors.get(actor as usize).and_then(Option::as_ref) {
            Some(Actor::Superuser) => vec![
                super::build::wildcard_rule(),
                PolicyRule::non_resource(["*"], ["*"]),
            ],
            Some(Actor::Grant {
                role,
                namespace: scope,
                ..
            }) => {
                let rules = match role {
                    Some(r) => self.overlay.rules_of(*r).iter().cloned().collect(),
                    None => vec![super::build::wildcard_rule()],
                };
                match scope {
                    None => rules,
                    Some(ns) if ns == namespace => rules,
                    Some(_) => Vec::new(),
                }
            }
            Some(Actor::Identity(_) | Actor::Restricted { .. }) => {
                self.holdings(actor).rules_in(namespace)
            }
            None => Vec::new(),
        }
    }

    fn superuser(&self, actor: u32) -> bool {
        matches!(
            self.index.attack.actors.get(actor as usize),
            Some(Some(Actor::Superuser))
        ) || self.identity(actor).is_some_and(Identity::is_superuser)
    }

    /// Whether a rule the change takes away allows some request of the
    /// slots (otherwise every actor decides them as before).
    fn exposed(&mut self, key: (u8, u32), slots: &[std::sync::Arc<Vec<u32>>]) -> bool {
        if let Some(&x) = self.exposed.get(&key) {
            return x;
        }
        let requests = &self.index.attack.catalogue.requests;
        let lost = &self.lost_rules;
        let x = slots.iter().flat_map(|s| s.iter()).any(|&r| {
            requests.get(r as usize).is_some_and(|req| {
                let ns = req.namespace();
                let anywhere = lost.get(&None).into_iter().flatten();
                let here = (!ns.is_empty())
                    .then(|| lost.get(&Some(ns)))
                    .flatten()
                    .into_iter()
                    .flatten();
                anywhere.chain(here).any(|rule| rule_allows(rule, req))
            })
        });
        self.exposed.insert(key, x);
        x
    }

    /// Whether an edge of the reach graph survives the change.
    fn alive(&mut self, from: u32, h: &Half) -> bool {
        let index = self.index;
        if from >= index.cap0 && from < index.hub0 && self.dead_caps.contains(&(from - index.cap0))
        {
            return false;
        }
        match h.unit {
            Unit::Inner => {
                if from == index.float {
                    self.floating_alive(h.node)
                } else {
                    true
                }
            }
            Unit::Floating => true,
            Unit::Cap(ce) => self.cap_alive(ce),
            Unit::Stored(e) => self.stored_alive(e),
        }
    }

    fn cap_alive(&mut self, ce: u32) -> bool {
        if let Some(&known) = self.caps.get(&ce) {
            return known;
        }
        let alive = self.decide_cap(ce);
        self.caps.insert(ce, alive);
        alive
    }

    fn decide_cap(&mut self, ce: u32) -> bool {
        let attack = self.index.attack;
        let Some(edge) = attack.cap_edges.get(ce as usize) else {
            return false;
        };
        if !self.touched.contains(&edge.from) {
            return true;
        }
        let cat = &attack.catalogue;
        let (key, slots) = match edge.scope {
            Scope::Group(g) => ((0, g), cat.groups.get(g as usize).map(|x| &x.slots)),
            Scope::Template(t) => ((1, t), cat.templates.get(t as usize).map(|x| &x.slots)),
            Scope::Cap(c) => ((2, c), cat.caps.get(c as usize).map(|x| &x.slots)),
        };
        let Some(slots) = slots else { return false };
        if !self.exposed(key, slots) && !self.is_grant_of_changed_role(edge.from) {
            return true;
        }
        let actor = edge.from;
        for (i, slot) in slots.iter().enumerate() {
            let first = edge.pieces.get(i).map_or(0, |(k, _)| *k as usize);
            let filled = slot.iter().skip(first).any(|&r| {
                cat.requests
                    .get(r as usize)
                    .is_some_and(|req| self.decide(actor, req))
            });
            if !filled {
                return false;
            }
        }
        true
    }

    fn is_grant_of_changed_role(&self, actor: u32) -> bool {
        matches!(
            self.index.attack.actors.get(actor as usize),
            Some(Some(Actor::Grant { role: Some(r), .. })) if self.overlay.role_changed(*r)
        )
    }

    fn stored_alive(&mut self, e: u32) -> bool {
        let attack = self.index.attack;
        let Some(edge) = attack.edges.get(e as usize) else {
            return false;
        };
        match edge.technique {
            Technique::E02 => {
                if !self.touched.contains(&edge.from) && !self.rebound.contains(&edge.to) {
                    return true;
                }
                self.e02_alive(edge.from, edge.to)
            }
            Technique::E03 => {
                !self.touched.contains(&edge.from) || self.e03_alive(edge.from, edge.to)
            }
            Technique::E13 => {
                !self.touched.contains(&edge.from) || self.e13_alive(edge.from, edge.to)
            }
            Technique::C05 => self.token_alive(edge.from),
            Technique::W17 => self.placed_alive(edge.from, edge.to),
            _ => true,
        }
    }

    /// E02 after the change: some write of a binding to the role in scope
    /// (create, or update/patch an existing one that still exists) and `bind`
    /// on the role. For cluster-admin, any role that allows everything.
    fn e02_alive(&mut self, actor: u32, to: u32) -> bool {
        let attack = self.index.attack;
        let g = attack.graph;
        let candidates: Vec<(RoleId, Option<String>)> = match attack.nodes.get(to as usize) {
            Some(AttackNode::RoleGrant {
                role: Some(r),
                namespace,
            }) => vec![(*r, namespace.clone())],
            Some(AttackNode::ClusterAdmin) => attack
                .catalogue
                .cluster_roles
                .iter()
                .filter(|&&r| {
                    self.overlay
                        .rules_of(r)
                        .iter()
                        .any(super::shadow::makes_cluster_admin)
                })
                .map(|&r| (r, None))
                .collect(),
            _ => return true,
        };
        for (role, ns) in candidates {
            let Some(r) = g.role(role) else { continue };
            let scope = ns.as_deref().unwrap_or("");
            let bind = Request::resource("bind", RBAC_GROUP, role_resource(r.kind))
                .in_namespace(scope)
                .named(&r.name);
            if !self.decide(actor, &bind) {
                continue;
            }
            let writes = attack.catalogue.binding_writes.clone();
            let picked: Vec<u32> = attack
                .catalogue
                .binding_writes_in
                .get(scope)
                .cloned()
                .unwrap_or_default();
            for i in picked {
                let Some((req, write)) = writes.get(i as usize) else {
                    continue;
                };
                let fits = match write {
                    BindingWrite::Create { namespace } => *namespace == ns,
                    BindingWrite::Existing(b) => {
                        self.overlay.binding_exists(*b)
                            && g.bound_role(*b).is_some_and(|(x, _)| x == role)
                            && g.binding(*b).is_some_and(|x| {
                                (x.kind == BindingKind::RoleBinding) == ns.is_some()
                            })
                    }
                };
                if fits
                    && let Some(q) = attack.catalogue.requests.get(*req as usize)
                    && self.decide(actor, q)
                {
                    return true;
                }
            }
        }
        false
    }

    /// The storage's check of a role write after the change: the write,
    /// then superuser, `escalate`, or covering the rules written.
    /// See: `escalation_check.go :: RoleEscalationAuthorized` (as
    /// [`crate::RbacGraph::check_role_write`]).
    fn role_write(
        &mut self,
        actor: u32,
        writes: &[Request],
        escalate: &Request,
        namespace: &str,
        wanted: &[PolicyRule],
    ) -> bool {
        if !writes.iter().any(|w| self.decide(actor, w)) {
            return false;
        }
        if self.superuser(actor) || self.decide(actor, escalate) {
            return true;
        }
        let held = self.held_in(actor, namespace);
        covers(&held, wanted).0
    }

    /// E03 after the change: a role bound to the actor (through a binding
    /// that still applies) in the target's scope, rewritable with any rules.
    fn e03_alive(&mut self, actor: u32, to: u32) -> bool {
        let attack = self.index.attack;
        let g = attack.graph;
        let Some(scope) = grant_scope(attack, to) else {
            return true;
        };
        let held: Vec<RoleId> = match attack.actors.get(actor as usize).and_then(Option::as_ref) {
            Some(Actor::Identity(id) | Actor::Restricted { identity: id, .. }) => g
                .applicable_bindings(id)
                .into_iter()
                .filter(|&(b, _)| self.overlay.applies(b, id))
                .filter(|&(b, _)| g.binding(b).is_some_and(|x| binding_scope(x) == scope))
                .filter_map(|(b, _)| g.bound_role(b).map(|(r, _)| r))
                .collect(),
            Some(Actor::Grant {
                role: Some(r),
                namespace,
                ..
            }) if *namespace == scope => vec![*r],
            _ => Vec::new(),
        };
        for rid in held {
            let Some(role) = g.role(rid) else { continue };
            let role_ns = role.namespace.clone().unwrap_or_default();
            let resource = role_resource(role.kind);
            let writes = [
                rbac_write("update", resource, &role_ns, &role.name),
                rbac_write("patch", resource, &role_ns, &role.name),
            ];
            let escalate = rbac_write("escalate", resource, &role_ns, &role.name);
            let mut wanted = vec![super::build::wildcard_rule()];
            if role.aggregation.is_some() {
                wanted.push(PolicyRule::non_resource(["*"], ["*"]));
            }
            if self.role_write(actor, &writes, &escalate, &role_ns, &wanted) {
                return true;
            }
        }
        false
    }

    /// E13 after the change: a dangling binding that still applies to the
    /// actor, in the target's scope, whose role it may create with any rules.
    fn e13_alive(&mut self, actor: u32, to: u32) -> bool {
        let attack = self.index.attack;
        let g = attack.graph;
        let Some(scope) = grant_scope(attack, to) else {
            return true;
        };
        let Some(id) = self.identity(actor) else {
            return false;
        };
        let dangling: Vec<BindingId> = g
            .applicable_bindings(id)
            .into_iter()
            .map(|(b, _)| b)
            .filter(|&b| matches!(g.resolution(b), Some(RoleResolution::Missing)))
            .filter(|&b| self.overlay.applies(b, id))
            .filter(|&b| g.binding(b).is_some_and(|x| binding_scope(x) == scope))
            .collect();
        for b in dangling {
            let Some(x) = g.binding(b) else { continue };
            let (kind, ns) = match x.role_ref.kind.as_str() {
                "Role" => (RoleKind::Role, x.namespace.clone().unwrap_or_default()),
                _ => (RoleKind::ClusterRole, String::new()),
            };
            let resource = role_resource(kind);
            let writes = [rbac_write("create", resource, &ns, &x.role_ref.name)];
            let escalate = rbac_write("escalate", resource, &ns, "");
            if self.role_write(
                actor,
                &writes,
                &escalate,
                &ns,
                &[super::build::wildcard_rule()],
            ) {
                return true;
            }
        }
        false
    }

    /// C05 after the change: the workload still mounts its service
    /// account's token (and still runs as it).
    fn token_alive(&self, workload_node: u32) -> bool {
        let attack = self.index.attack;
        let change = self.overlay.change();
        let Some(AttackNode::Workload { id }) = attack.nodes.get(workload_node as usize) else {
            return true;
        };
        if change.unmounted.contains(id) || change.new_service_account.contains_key(id) {
            return false;
        }
        let Some(w) = attack.graph.workloads().get(id.0 as usize) else {
            return false;
        };
        let sa_unmounted = change
            .unmounted_service_accounts
            .contains(&(w.namespace.clone(), w.pod.service_account.clone()));
        if !sa_unmounted {
            return true;
        }
        w.pod.automount_token.unwrap_or(false)
    }

    /// W17 from a node after the change: some workload bound to the node
    /// still runs as the service account (kubelet identities always).
    fn placed_alive(&self, sink: u32, to: u32) -> bool {
        !self.dead_placed.contains(&(sink, to))
    }

    /// A floating W17 entry after the change: some workload without a node
    /// still runs as the service account.
    fn floating_alive(&self, to: u32) -> bool {
        !self.dead_floating.contains(&to)
    }

    /// Edges the change adds (weight, far end): W03 where W02 died for an
    /// actor that may relabel the namespace, and the shadow of a principal
    /// that is no longer cluster-admin.
    fn extra_out(&mut self, u: u32) -> Vec<(u32, u32)> {
        let index = self.index;
        let attack = index.attack;
        let mut out = Vec::new();
        if u >= index.group0 {
            return out;
        }
        if let Some(&shadow) = index.shadows.get(&u)
            && !self.e01_alive(u)
        {
            out.push((shadow, 0));
        }
        if !self.relabel.is_empty() {
            let relabel: Vec<(u32, String)> = self
                .relabel
                .iter()
                .map(|(c, ns)| (*c, ns.clone()))
                .collect();
            for (c, ns) in relabel {
                if self.reached_cap(u, c) {
                    let writes = [
                        Request::resource("update", "", "namespaces")
                            .in_namespace(&ns)
                            .named(&ns),
                        Request::resource("patch", "", "namespaces")
                            .in_namespace(&ns)
                            .named(&ns),
                    ];
                    if writes.iter().any(|w| self.decide(u, w)) {
                        out.push((index.hub0 + SINKS_HUB, 1));
                    }
                }
            }
        }
        let _ = attack;
        out
    }

    /// Reverse of [`Self::extra_out`]: the nodes that gain an edge to `v`.
    fn extra_in(&mut self, v: u32) -> Vec<(u32, u32)> {
        let index = self.index;
        let mut out = Vec::new();
        for (&of, &shadow) in &index.shadows {
            if shadow == v && self.touched.contains(&of) {
                out.push((of, 0));
            }
        }
        if v == index.hub0 + SINKS_HUB && !self.relabel.is_empty() {
            let seeds = self.seeds.clone();
            for u in seeds {
                if self.extra_out(u).iter().any(|&(x, _)| x == v) {
                    out.push((u, 1));
                }
            }
        }
        out
    }

    /// Whether a cluster-admin principal stays cluster-admin (E01).
    fn e01_alive(&mut self, actor: u32) -> bool {
        let attack = self.index.attack;
        for h in self.index.out.of(actor) {
            if let Unit::Cap(ce) = h.unit
                && let Some(e) = attack.cap_edges.get(ce as usize)
                && is_e01(attack, e.scope)
            {
                return self.cap_alive(ce);
            }
        }
        false
    }

    /// Whether an actor filled capability `c` before the change (through
    /// its group, or its template, or the capability itself).
    fn reached_cap(&self, actor: u32, c: u32) -> bool {
        let index = self.index;
        let cat = &index.attack.catalogue;
        let group = cat.cap_group.get(c as usize).copied();
        let template = group.and_then(|g| cat.group_template.get(g as usize).copied().flatten());
        index.out.of(actor).iter().any(|h| {
            h.unit != Unit::Inner
                && (h.node == index.cap0 + c
                    || group.is_some_and(|g| h.node == index.group0 + g)
                    || template.is_some_and(|t| h.node == index.template0 + t))
        })
    }
}

/// Whether a capability scope is E01's.
fn is_e01(attack: &AttackGraph<'_>, scope: Scope) -> bool {
    match scope {
        Scope::Cap(c) => c as usize == E01_CAP,
        Scope::Group(g) => attack
            .catalogue
            .groups
            .get(g as usize)
            .is_some_and(|g| g.members.first().is_some_and(|&m| m as usize == E01_CAP)),
        Scope::Template(_) => false,
    }
}

/// The scope of the role grant a step reaches: `Some(None)` for
/// cluster-admin (a ClusterRoleBinding), `Some(Some(ns))` for any rules in
/// a namespace.
fn grant_scope(attack: &AttackGraph<'_>, to: u32) -> Option<Option<String>> {
    match attack.nodes.get(to as usize)? {
        AttackNode::ClusterAdmin => Some(None),
        AttackNode::RoleGrant {
            role: None,
            namespace,
        } => Some(namespace.clone()),
        _ => None,
    }
}

/// A binding's scope: its namespace for a RoleBinding, `None` for a
/// ClusterRoleBinding.
fn binding_scope(b: &crate::model::Binding) -> Option<String> {
    match b.kind {
        BindingKind::ClusterRoleBinding => None,
        BindingKind::RoleBinding => b.namespace.clone(),
    }
}

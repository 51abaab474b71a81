//! Adjacency of the attack graph: the stored edges, the capability edges
//! that stand for one edge per target ([`CapEdge`]), and the W17 edges from
//! every node ([`Floating`]), indexed both ways for the searches.
//!
//! A search asks for the edges of a node as [`Candidate`]s and keeps, for
//! each node at the other end, the edge with the least (technique, stamp):
//! the edge the graph would hold had every implied edge been stored in the
//! order it was found (the first one found wins). A search may pass
//! [`Done`] marks so that implied edges whose far ends it has all seen
//! already are skipped, which keeps every search linear in the stored
//! size of the graph.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::techniques::Technique;
use super::{AttackGraph, AttackNode, Candidate, EdgeRef, Evidence, Piece, Scope, materialize};
use crate::model::WorkloadKind;

/// Indexes built by [`AttackGraph::finalize`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Adjacency {
    /// Stored out-edges, by (target, technique).
    pub(crate) out: Vec<Vec<u32>>,
    /// Stored in-edges, by (source, technique).
    pub(crate) inc: Vec<Vec<u32>>,
    /// Capability edges by source.
    out_caps: Vec<Vec<u32>>,
    /// Group-wide capability edges by group.
    group_edges: Vec<Vec<u32>>,
    /// Template capability edges by template.
    template_edges: Vec<Vec<u32>>,
    /// Capability edges of one capability, by capability.
    cap_edges: Vec<Vec<u32>>,
    /// Capabilities whose own target list names a node, by node.
    target_caps: Vec<Vec<u32>>,
    /// Capabilities targeting a shared list ([`super::build::Catalogue::hubs`]), by list.
    hub_caps: Vec<Vec<u32>>,
    /// The shared lists a node is in.
    node_hubs: Vec<Vec<u32>>,
    /// The [`super::Floating`] entry of a node, if any.
    floating_of: Vec<Option<u32>>,
    /// Whether a node is a `Node` sink (a source of the floating edges).
    is_sink: Vec<bool>,
}

/// What a search has fully expanded.
#[derive(Debug, Default)]
pub(crate) struct Done {
    groups: Vec<bool>,
    caps: Vec<bool>,
    hubs: Vec<bool>,
    floating: bool,
    /// Per template, the member groups a forward search has not expanded,
    /// or the edges a reverse search has not harvested.
    left: Vec<Option<Vec<u32>>>,
    /// Marks to set once the current node is finished.
    pending: Vec<Mark>,
}

#[derive(Clone, Copy, Debug)]
enum Mark {
    Group(u32),
    Cap(u32),
    Hub(u32),
    Floating,
}

impl Done {
    pub(crate) fn new(g: &AttackGraph<'_>) -> Done {
        Done {
            groups: vec![false; g.catalogue.groups.len()],
            caps: vec![false; g.catalogue.caps.len()],
            hubs: vec![false; g.catalogue.hubs.len()],
            floating: false,
            left: vec![None; g.catalogue.templates.len()],
            pending: Vec::new(),
        }
    }

    fn is(&self, m: Mark) -> bool {
        match m {
            Mark::Group(i) => self.groups.get(i as usize).copied().unwrap_or(false),
            Mark::Cap(i) => self.caps.get(i as usize).copied().unwrap_or(false),
            Mark::Hub(i) => self.hubs.get(i as usize).copied().unwrap_or(false),
            Mark::Floating => self.floating,
        }
    }

    /// Sets the marks gathered while expanding one node.
    pub(crate) fn commit(&mut self) {
        for m in std::mem::take(&mut self.pending) {
            let slot = match m {
                Mark::Group(i) => self.groups.get_mut(i as usize),
                Mark::Cap(i) => self.caps.get_mut(i as usize),
                Mark::Hub(i) => self.hubs.get_mut(i as usize),
                Mark::Floating => Some(&mut self.floating),
            };
            if let Some(slot) = slot {
                *slot = true;
            }
        }
    }
}

/// Sorts candidates by (node, technique, stamp) and keeps the first per
/// (node, technique).
pub(crate) fn sort_dedup(list: &mut Vec<Candidate>) {
    list.sort_unstable_by_key(|c| (c.0, c.1, c.2));
    list.dedup_by_key(|c| (c.0, c.1));
}

fn lists(n: usize) -> Vec<Vec<u32>> {
    vec![Vec::new(); n]
}

fn push(lists: &mut [Vec<u32>], at: u32, value: u32) {
    if let Some(list) = lists.get_mut(at as usize) {
        list.push(value);
    }
}

fn stored_stamp(e: u32) -> u64 {
    2 * u64::from(e) + 1
}

impl AttackGraph<'_> {
    /// Builds the indexes; stored out-edges sorted by (target, technique),
    /// in-edges by (source, technique).
    pub(crate) fn finalize(&mut self) {
        let n = self.nodes.len();
        let cat = &self.catalogue;
        let mut adj = Adjacency {
            out: lists(n),
            inc: lists(n),
            out_caps: lists(n),
            group_edges: lists(cat.groups.len()),
            template_edges: lists(cat.templates.len()),
            cap_edges: lists(cat.caps.len()),
            target_caps: lists(n),
            hub_caps: lists(cat.hubs.len()),
            node_hubs: lists(n),
            floating_of: vec![None; n],
            is_sink: vec![false; n],
        };
        for (i, e) in self.edges.iter().enumerate() {
            push(&mut adj.out, e.from, i as u32);
            push(&mut adj.inc, e.to, i as u32);
        }
        let edges = &self.edges;
        let key = |i: &u32| edges.get(*i as usize).map(|e| (e.to, e.technique));
        for list in &mut adj.out {
            list.sort_by_key(key);
        }
        let key = |i: &u32| edges.get(*i as usize).map(|e| (e.from, e.technique));
        for list in &mut adj.inc {
            list.sort_by_key(key);
        }
        for (i, e) in self.cap_edges.iter().enumerate() {
            push(&mut adj.out_caps, e.from, i as u32);
            match e.scope {
                Scope::Group(g) => push(&mut adj.group_edges, g, i as u32),
                Scope::Cap(c) => push(&mut adj.cap_edges, c, i as u32),
                Scope::Template(t) => push(&mut adj.template_edges, t, i as u32),
            }
        }
        for (c, cap) in cat.caps.iter().enumerate() {
            match cap.hub {
                Some(h) => push(&mut adj.hub_caps, h, c as u32),
                None => {
                    for &t in cap.targets.iter() {
                        push(&mut adj.target_caps, t, c as u32);
                    }
                }
            }
        }
        for (h, hub) in cat.hubs.iter().enumerate() {
            for &t in hub.iter() {
                push(&mut adj.node_hubs, t, h as u32);
            }
        }
        if let Some(sinks) = cat.hubs.get(super::build::SINKS_HUB as usize) {
            for &s in sinks.iter() {
                if let Some(x) = adj.is_sink.get_mut(s as usize) {
                    *x = true;
                }
            }
        }
        for (i, f) in self.floating.iter().enumerate() {
            if let Some(x) = adj.floating_of.get_mut(f.to as usize) {
                *x = Some(i as u32);
            }
        }
        self.adj = adj;
    }

    /// Whether a RoleBinding of namespace `x` applies to a node.
    pub(crate) fn bound_in(&self, node: u32, x: u32) -> bool {
        self.bound
            .get(node as usize)
            .is_some_and(|b| b.binary_search(&x).is_ok())
    }

    pub(crate) fn cap_edge_from(&self, e: u32) -> u32 {
        self.cap_edges.get(e as usize).map_or(u32::MAX, |e| e.from)
    }

    /// The targets of a group's members as candidates from one edge.
    fn expand_group(
        &self,
        group: u32,
        edge: u32,
        done: &mut Option<&mut Done>,
        out: &mut Vec<Candidate>,
    ) {
        let Some(g) = self.catalogue.groups.get(group as usize) else {
            return;
        };
        if let Some(d) = done.as_deref_mut() {
            if d.is(Mark::Group(group)) {
                return;
            }
            d.pending.push(Mark::Group(group));
        }
        for &c in &g.members {
            self.expand_cap(c, edge, done, out);
        }
    }

    fn expand_cap(
        &self,
        c: u32,
        edge: u32,
        done: &mut Option<&mut Done>,
        out: &mut Vec<Candidate>,
    ) {
        let Some(cap) = self.catalogue.caps.get(c as usize) else {
            return;
        };
        if let Some(d) = done.as_deref_mut() {
            let mark = cap.hub.map_or(Mark::Cap(c), Mark::Hub);
            if d.is(mark) {
                return;
            }
            d.pending.push(mark);
        }
        for &t in cap.targets.iter() {
            out.push((
                t,
                cap.technique,
                u64::from(c),
                EdgeRef::Cap {
                    edge,
                    cap: c,
                    to: t,
                },
            ));
        }
    }

    /// The out-edges of `u` (every one when `done` is `None`; otherwise
    /// those not yet expanded, with the marks to set once `u` is finished).
    pub(crate) fn out_candidates(&self, u: u32, mut done: Option<&mut Done>) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = Vec::new();
        let ui = u as usize;
        for &e in self.adj.out.get(ui).into_iter().flatten() {
            if let Some(edge) = self.edges.get(e as usize) {
                out.push((edge.to, edge.technique, stored_stamp(e), EdgeRef::Stored(e)));
            }
        }
        for &ce in self.adj.out_caps.get(ui).into_iter().flatten() {
            let Some(edge) = self.cap_edges.get(ce as usize) else {
                continue;
            };
            match edge.scope {
                Scope::Cap(c) => self.expand_cap(c, ce, &mut done, &mut out),
                Scope::Group(g) => self.expand_group(g, ce, &mut done, &mut out),
                Scope::Template(t) => {
                    let Some(tpl) = self.catalogue.templates.get(t as usize) else {
                        continue;
                    };
                    let groups: Vec<u32> = match done.as_deref_mut() {
                        None => tpl.members.clone(),
                        Some(d) => {
                            let Some(left) = d.left.get_mut(t as usize) else {
                                continue;
                            };
                            let left = left.get_or_insert_with(|| tpl.members.clone());
                            let mut take = Vec::new();
                            left.retain(|&g| {
                                let x = self.catalogue.group_ns.get(g as usize).copied().flatten();
                                if x.is_some_and(|x| self.bound_in(u, x)) {
                                    true
                                } else {
                                    take.push(g);
                                    false
                                }
                            });
                            take
                        }
                    };
                    for g in groups {
                        let x = self.catalogue.group_ns.get(g as usize).copied().flatten();
                        if x.is_some_and(|x| self.bound_in(u, x)) {
                            continue;
                        }
                        self.expand_group(g, ce, &mut done, &mut out);
                    }
                }
            }
        }
        if self.adj.is_sink.get(ui).copied().unwrap_or(false) {
            let skip = match done {
                Some(d) if d.floating => true,
                Some(d) => {
                    d.pending.push(Mark::Floating);
                    false
                }
                None => false,
            };
            if !skip {
                for (i, f) in self.floating.iter().enumerate() {
                    out.push((
                        f.to,
                        Technique::W17,
                        f.stamp,
                        EdgeRef::Floating {
                            from: u,
                            entry: i as u32,
                        },
                    ));
                }
            }
        }
        out
    }

    /// The in-edges of `v` not yet expanded by a reverse search, with the
    /// marks to set once `v` is finished.
    pub(crate) fn in_candidates(&self, v: u32, done: &mut Done) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = Vec::new();
        let vi = v as usize;
        for &e in self.adj.inc.get(vi).into_iter().flatten() {
            if let Some(edge) = self.edges.get(e as usize) {
                out.push((
                    edge.from,
                    edge.technique,
                    stored_stamp(e),
                    EdgeRef::Stored(e),
                ));
            }
        }
        let mut caps: Vec<u32> = self.adj.target_caps.get(vi).cloned().unwrap_or_default();
        for &h in self.adj.node_hubs.get(vi).into_iter().flatten() {
            if !done.is(Mark::Hub(h)) {
                done.pending.push(Mark::Hub(h));
                caps.extend(self.adj.hub_caps.get(h as usize).into_iter().flatten());
            }
        }
        // A group's (or a template's, per namespace) edges are the same for
        // each member cap: listed once, stamped with the first member cap
        // here (the stamp the search keeps).
        let mut groups: BTreeMap<u32, u32> = BTreeMap::new();
        let mut harvests: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for c in caps {
            let Some(cap) = self.catalogue.caps.get(c as usize) else {
                continue;
            };
            if !done.is(Mark::Cap(c)) {
                done.pending.push(Mark::Cap(c));
                self.push_cap_edges(
                    self.adj.cap_edges.get(c as usize),
                    c,
                    cap.technique,
                    v,
                    &mut out,
                );
            }
            let Some(g) = self.catalogue.cap_group.get(c as usize).copied() else {
                continue;
            };
            if !done.is(Mark::Group(g)) {
                let first = groups.entry(g).or_insert(c);
                *first = (*first).min(c);
            }
            // A template's edges from principals no RoleBinding of the
            // group's namespace applies to.
            if let Some(Some(t)) = self.catalogue.group_template.get(g as usize)
                && let Some(Some(x)) = self.catalogue.group_ns.get(g as usize)
            {
                let first = harvests.entry((*t, *x)).or_insert(c);
                *first = (*first).min(c);
            }
        }
        for (g, c) in groups {
            done.pending.push(Mark::Group(g));
            let technique = self.catalogue.caps.get(c as usize).map(|cap| cap.technique);
            if let Some(technique) = technique {
                self.push_cap_edges(
                    self.adj.group_edges.get(g as usize),
                    c,
                    technique,
                    v,
                    &mut out,
                );
            }
        }
        // In stamp order, each template edge harvested once: an actor
        // offered for one namespace needs no later (higher) offer.
        let mut harvests: Vec<((u32, u32), u32)> = harvests.into_iter().collect();
        harvests.sort_by_key(|&(tx, c)| (c, tx));
        for ((t, x), c) in harvests {
            let (Some(left), Some(cap)) = (
                done.left.get_mut(t as usize),
                self.catalogue.caps.get(c as usize),
            ) else {
                continue;
            };
            let left = left.get_or_insert_with(|| {
                self.adj
                    .template_edges
                    .get(t as usize)
                    .cloned()
                    .unwrap_or_default()
            });
            for &ce in left.iter() {
                if let Some(edge) = self.cap_edges.get(ce as usize)
                    && !self.bound_in(edge.from, x)
                {
                    out.push((
                        edge.from,
                        cap.technique,
                        u64::from(c),
                        EdgeRef::Cap {
                            edge: ce,
                            cap: c,
                            to: v,
                        },
                    ));
                }
            }
            left.retain(|&e| self.bound_in(self.cap_edge_from(e), x));
        }
        if let Some(Some(entry)) = self.adj.floating_of.get(vi)
            && !done.floating
            && let Some(f) = self.floating.get(*entry as usize)
        {
            done.pending.push(Mark::Floating);
            if let Some(sinks) = self.catalogue.hubs.get(super::build::SINKS_HUB as usize) {
                for &s in sinks.iter() {
                    out.push((
                        s,
                        Technique::W17,
                        f.stamp,
                        EdgeRef::Floating {
                            from: s,
                            entry: *entry,
                        },
                    ));
                }
            }
        }
        out
    }

    /// Candidates for the capability edges of a list, through cap `c` to `v`.
    fn push_cap_edges(
        &self,
        list: Option<&Vec<u32>>,
        c: u32,
        technique: Technique,
        v: u32,
        out: &mut Vec<Candidate>,
    ) {
        for &ce in list.into_iter().flatten() {
            if let Some(edge) = self.cap_edges.get(ce as usize) {
                out.push((
                    edge.from,
                    technique,
                    u64::from(c),
                    EdgeRef::Cap {
                        edge: ce,
                        cap: c,
                        to: v,
                    },
                ));
            }
        }
    }

    /// The ends and technique of an edge.
    pub(crate) fn edge_ends(&self, e: EdgeRef) -> Option<(u32, u32, Technique)> {
        match e {
            EdgeRef::Stored(i) => self
                .edges
                .get(i as usize)
                .map(|x| (x.from, x.to, x.technique)),
            EdgeRef::Cap { edge, cap, to } => {
                let from = self.cap_edges.get(edge as usize)?.from;
                let technique = self.catalogue.caps.get(cap as usize)?.technique;
                Some((from, to, technique))
            }
            EdgeRef::Floating { from, entry } => {
                let f = self.floating.get(entry as usize)?;
                Some((from, f.to, Technique::W17))
            }
        }
    }

    /// The evidence of an edge.
    pub(crate) fn edge_evidence(&self, e: EdgeRef) -> Vec<Evidence> {
        let stored = |i: u32| {
            self.evidence
                .get(i as usize)
                .map(|p| materialize(p, self))
                .unwrap_or_default()
        };
        match e {
            EdgeRef::Stored(i) => self
                .edges
                .get(i as usize)
                .map(|x| stored(x.evidence))
                .unwrap_or_default(),
            EdgeRef::Floating { entry, .. } => self
                .floating
                .get(entry as usize)
                .map(|f| stored(f.evidence))
                .unwrap_or_default(),
            EdgeRef::Cap { edge, cap, to } => {
                let (Some(ce), Some(c)) = (
                    self.cap_edges.get(edge as usize),
                    self.catalogue.caps.get(cap as usize),
                ) else {
                    return Vec::new();
                };
                // The decisions were made on the group's requests (the same
                // requests without names no rule lists): put the member's
                // names back.
                let group = |g: u32| {
                    self.catalogue
                        .groups
                        .get(g as usize)
                        .map_or(&[][..], |g| g.slots.as_slice())
                };
                let canonical: &[Arc<Vec<u32>>] = match ce.scope {
                    Scope::Cap(_) => &c.slots,
                    Scope::Group(g) => group(g),
                    // Decided on the requests without namespace: ask the
                    // member's, without the name where the group dropped it.
                    Scope::Template(_) => group(
                        self.catalogue
                            .cap_group
                            .get(cap as usize)
                            .copied()
                            .unwrap_or(u32::MAX),
                    ),
                };
                let mut pieces = Vec::with_capacity(ce.pieces.len() + 1);
                for (i, (k, piece)) in ce.pieces.iter().enumerate() {
                    let own = c.slots.get(i).and_then(|s| s.get(*k as usize));
                    let asked = canonical.get(i).and_then(|s| s.get(*k as usize));
                    match (ce.scope, own) {
                        // A grant's rule or the superuser: the same in
                        // every namespace.
                        (Scope::Template(_), Some(&r))
                            if matches!(piece, Piece::Rule { .. } | Piece::Superuser { .. }) =>
                        {
                            pieces.push(piece.renamed(r));
                        }
                        (Scope::Template(_), Some(&r)) => pieces.push(Piece::Ask {
                            actor: ce.from,
                            request: r,
                            nameless: own != asked,
                        }),
                        (_, Some(&r)) if own != asked => pieces.push(piece.renamed(r)),
                        _ => pieces.push(piece.clone()),
                    }
                }
                let mut out = materialize(&pieces, self);
                let target = match (c.per_target, self.nodes.get(to as usize)) {
                    (Some(fact), Some(AttackNode::Workload { id })) => Some((*id, fact)),
                    _ => None,
                };
                let target_pod = target
                    .and_then(|(id, _)| self.graph.workloads().get(id.0 as usize))
                    .filter(|w| w.kind == WorkloadKind::Pod)
                    .map(|w| w.name.as_str());
                if let Some(name) = c.name.as_deref().or(target_pod) {
                    for e in &mut out {
                        e.name_request(name);
                    }
                }
                if let Some(facts) = &c.facts {
                    out.extend(self.expand(facts));
                }
                if let Some((id, fact)) = target {
                    out.extend(self.expand(&Piece::Workload { id, fact }));
                }
                out
            }
        }
    }
}

//! Breadth-first searches over the attack graph: lazily from a source, and
//! in reverse from a target. Both walk the edges a node has as
//! [`super::Candidate`]s (see `adjacency.rs`) in the order of the node at the
//! other end, then technique, so the first edge that reaches a node is the
//! same as if every edge were stored.

use std::borrow::Cow;
use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt};

use super::adjacency::Done;
use super::dto::{AttackPath, AttackStep, NodeRef};
use super::{AttackGraph, AttackNode, EdgeRef, Target};
use crate::request::Identity;

const UNSEEN: u32 = u32::MAX;

/// Shortest paths from one identity, yielded lazily as a breadth-first
/// search discovers the nodes it looks for (see [`AttackGraph::paths`]).
#[derive(Debug)]
pub struct PathIter<'a, 'g> {
    graph: Cow<'a, AttackGraph<'g>>,
    source: u32,
    source_ref: NodeRef,
    /// `None`: every node (blast radius).
    target: Option<Target>,
    max_depth: usize,
    queue: VecDeque<u32>,
    dist: Vec<u32>,
    /// The edge a node was discovered through.
    parent: Vec<Option<EdgeRef>>,
    pending: VecDeque<u32>,
    done: Done,
}

pub(crate) fn node_ref(g: &AttackGraph<'_>, node: u32) -> NodeRef {
    match g.nodes.get(node as usize) {
        Some(n) => g.node_ref(n),
        None => g.node_ref(&AttackNode::ClusterAdmin),
    }
}

/// A step along an edge.
pub(crate) fn step(g: &AttackGraph<'_>, edge: EdgeRef, from: NodeRef) -> Option<AttackStep> {
    let (_, to, technique) = g.edge_ends(edge)?;
    Some(AttackStep {
        technique,
        from,
        to: node_ref(g, to),
        evidence: g.edge_evidence(edge).into(),
    })
}

impl<'a, 'g> PathIter<'a, 'g> {
    pub(crate) fn new(
        graph: &'a AttackGraph<'g>,
        source: &Identity,
        target: Option<Target>,
        max_depth: usize,
    ) -> PathIter<'a, 'g> {
        let (graph, start) = graph.with_source(source);
        let n = graph.nodes.len();
        let source_ref = node_ref(&graph, start);
        let mut dist = vec![UNSEEN; n];
        if let Some(d) = dist.get_mut(start as usize) {
            *d = 0;
        }
        let done = Done::new(&graph);
        PathIter {
            graph,
            source: start,
            source_ref,
            target,
            max_depth,
            queue: VecDeque::from([start]),
            dist,
            parent: vec![None; n],
            pending: VecDeque::new(),
            done,
        }
    }

    fn wanted(&self, node: u32) -> bool {
        match &self.target {
            None => true,
            Some(t) => self
                .graph
                .nodes
                .get(node as usize)
                .is_some_and(|n| t.matches(n)),
        }
    }

    fn path_to(&self, node: u32) -> AttackPath {
        let g = &self.graph;
        let mut steps = Vec::new();
        let mut at = node;
        while at != self.source {
            let Some(Some(edge)) = self.parent.get(at as usize).copied() else {
                break;
            };
            let Some((from, _, _)) = g.edge_ends(edge) else {
                break;
            };
            let from_ref = if from == self.source {
                self.source_ref.clone()
            } else {
                node_ref(g, from)
            };
            steps.extend(step(g, edge, from_ref));
            at = from;
        }
        steps.reverse();
        let target = match &self.target {
            Some(t) => t.to_string(),
            None => node_ref(g, node).key(),
        };
        AttackPath {
            source: self.source_ref.clone(),
            target,
            steps,
        }
    }
}

impl Iterator for PathIter<'_, '_> {
    type Item = AttackPath;

    fn next(&mut self) -> Option<AttackPath> {
        loop {
            if let Some(node) = self.pending.pop_front() {
                return Some(self.path_to(node));
            }
            let u = self.queue.pop_front()?;
            let d = self.dist.get(u as usize).copied().unwrap_or(UNSEEN);
            if d as usize >= self.max_depth {
                continue;
            }
            let mut cands = self.graph.out_candidates(u, Some(&mut self.done));
            self.done.commit();
            cands.retain(|c| self.dist.get(c.0 as usize) == Some(&UNSEEN));
            super::adjacency::sort_dedup(&mut cands);
            for (v, _, _, edge) in cands {
                let Some(dv) = self.dist.get_mut(v as usize) else {
                    continue;
                };
                if *dv != UNSEEN {
                    continue;
                }
                *dv = d + 1;
                if let Some(p) = self.parent.get_mut(v as usize) {
                    *p = Some(edge);
                }
                self.queue.push_back(v);
                if self.wanted(v) {
                    self.pending.push_back(v);
                }
            }
        }
    }
}

/// Every principal that reaches the target, one shortest path each.
pub(crate) fn who_reaches(
    g: &AttackGraph<'_>,
    target: &Target,
    max_depth: usize,
) -> Vec<AttackPath> {
    let n = g.nodes.len();
    let mut dist = vec![UNSEEN; n];
    let mut next: Vec<Option<EdgeRef>> = vec![None; n];
    let mut queue = VecDeque::new();
    let mut done = Done::new(g);
    for (i, node) in g.nodes.iter().enumerate() {
        if target.matches(node)
            && let Some(d) = dist.get_mut(i)
        {
            *d = 0;
            queue.push_back(i as u32);
        }
    }
    while let Some(v) = queue.pop_front() {
        let d = dist.get(v as usize).copied().unwrap_or(UNSEEN);
        if d as usize >= max_depth {
            continue;
        }
        let mut cands = g.in_candidates(v, &mut done);
        done.commit();
        cands.retain(|c| dist.get(c.0 as usize) == Some(&UNSEEN));
        super::adjacency::sort_dedup(&mut cands);
        for (u, _, _, edge) in cands {
            let Some(du) = dist.get_mut(u as usize) else {
                continue;
            };
            if *du != UNSEEN {
                continue;
            }
            *du = d + 1;
            if let Some(x) = next.get_mut(u as usize) {
                *x = Some(edge);
            }
            queue.push_back(u);
        }
    }
    let mut found: Vec<(u32, u32)> = g
        .nodes
        .iter()
        .zip(&dist)
        .enumerate()
        .filter(|(_, (node, d))| **d != UNSEEN && **d > 0 && node.is_principal())
        .map(|(i, (_, d))| (*d, i as u32))
        .collect();
    found.sort_unstable();
    // Paths share their tails (every path through a node goes on the same
    // way): each node's step is written out once.
    let mut steps_from: HashMap<u32, Option<AttackStep>> = HashMap::new();
    found
        .into_iter()
        .map(|(_, start)| {
            let mut steps = Vec::new();
            let mut at = start;
            while dist.get(at as usize).is_some_and(|&d| d > 0 && d != UNSEEN) {
                let Some(Some(edge)) = next.get(at as usize).copied() else {
                    break;
                };
                let Some((from, to, _)) = g.edge_ends(edge) else {
                    break;
                };
                let made = steps_from
                    .entry(at)
                    .or_insert_with(|| step(g, edge, node_ref(g, from)));
                steps.extend(made.iter().cloned());
                at = to;
            }
            AttackPath {
                source: node_ref(g, start),
                target: target.to_string(),
                steps,
            }
        })
        .collect()
}

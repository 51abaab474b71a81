//! Breadth-first searches over the attack graph: lazily from a source, and
//! in reverse from a target.

use std::borrow::Cow;
use std::collections::VecDeque;

use super::dto::{AttackPath, AttackStep, NodeRef};
use super::{AttackGraph, Target, materialize};
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
    parent: Vec<u32>,
    pending: VecDeque<u32>,
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
        let source_ref = graph.node_ref(&graph.nodes[start as usize]);
        let mut dist = vec![UNSEEN; n];
        dist[start as usize] = 0;
        PathIter {
            graph,
            source: start,
            source_ref,
            target,
            max_depth,
            queue: VecDeque::from([start]),
            dist,
            parent: vec![UNSEEN; n],
            pending: VecDeque::new(),
        }
    }

    fn wanted(&self, node: u32) -> bool {
        match &self.target {
            None => true,
            Some(t) => t.matches(&self.graph.nodes[node as usize]),
        }
    }

    fn path_to(&self, node: u32) -> AttackPath {
        let g = &self.graph;
        let mut steps = Vec::new();
        let mut at = node;
        while at != self.source {
            let e = &g.edges[self.parent[at as usize] as usize];
            let from = if e.from == self.source {
                self.source_ref.clone()
            } else {
                g.node_ref(&g.nodes[e.from as usize])
            };
            steps.push(AttackStep {
                technique: e.technique,
                from,
                to: g.node_ref(&g.nodes[e.to as usize]),
                evidence: materialize(&g.evidence[e.evidence as usize], &g.catalogue.requests),
            });
            at = e.from;
        }
        steps.reverse();
        let target = match &self.target {
            Some(t) => t.to_string(),
            None => g.node_ref(&g.nodes[node as usize]).key(),
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
            let d = self.dist[u as usize];
            if d as usize >= self.max_depth {
                continue;
            }
            for &e in &self.graph.out[u as usize] {
                let v = self.graph.edges[e as usize].to;
                if self.dist[v as usize] == UNSEEN {
                    self.dist[v as usize] = d + 1;
                    self.parent[v as usize] = e;
                    self.queue.push_back(v);
                    if self.wanted(v) {
                        self.pending.push_back(v);
                    }
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
    let mut next = vec![UNSEEN; n];
    let mut queue = VecDeque::new();
    for (i, node) in g.nodes.iter().enumerate() {
        if target.matches(node) {
            dist[i] = 0;
            queue.push_back(i as u32);
        }
    }
    while let Some(v) = queue.pop_front() {
        let d = dist[v as usize];
        if d as usize >= max_depth {
            continue;
        }
        for &e in &g.inc[v as usize] {
            let u = g.edges[e as usize].from;
            if dist[u as usize] == UNSEEN {
                dist[u as usize] = d + 1;
                next[u as usize] = e;
                queue.push_back(u);
            }
        }
    }
    let mut found: Vec<(u32, u32)> = (0..n as u32)
        .filter(|&i| {
            let d = dist[i as usize];
            d != UNSEEN && d > 0 && g.nodes[i as usize].is_principal()
        })
        .map(|i| (dist[i as usize], i))
        .collect();
    found.sort_unstable();
    found
        .into_iter()
        .map(|(_, start)| {
            let mut steps = Vec::new();
            let mut at = start;
            while dist[at as usize] > 0 {
                let e = &g.edges[next[at as usize] as usize];
                steps.push(AttackStep {
                    technique: e.technique,
                    from: g.node_ref(&g.nodes[e.from as usize]),
                    to: g.node_ref(&g.nodes[e.to as usize]),
                    evidence: materialize(&g.evidence[e.evidence as usize], &g.catalogue.requests),
                });
                at = e.to;
            }
            AttackPath {
                source: g.node_ref(&g.nodes[start as usize]),
                target: target.to_string(),
                steps,
            }
        })
        .collect()
}

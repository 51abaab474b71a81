//! ClusterRole aggregation: which ClusterRoles each aggregated ClusterRole
//! selects, and the rules it ends up with once the aggregation controller
//! has settled. Computed once when the graph is built. A what-if change to
//! a contributor's rules ([`crate::query::whatif`]) is carried to the
//! aggregated roles downstream from [`Sources`]: which contributors give
//! each aggregated role each of its rules.
//!
//! See: `pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go
//! :: syncClusterRole` (rbac-semantics.md §5).

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::matching::selector_matches;
use crate::model::{PolicyRule, Role, RoleKind};

/// The selections of every aggregated ClusterRole, in the order the
/// controller settles them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Aggregation {
    /// Aggregated ClusterRoles (indexes into the roles), by name.
    aggregated: Vec<usize>,
    /// Per aggregated role: the ClusterRoles its selectors pick, selector by
    /// selector, each selector's matches by name (itself skipped).
    selected: Vec<Vec<usize>>,
    /// Aggregated roles (indexes into `aggregated`) grouped into selection
    /// cycles, dependencies first.
    components: Vec<Vec<usize>>,
    /// Role index → its position in `aggregated`.
    position: HashMap<usize, usize>,
    /// Role index → the aggregated roles that pick it directly.
    pickers: HashMap<usize, Vec<usize>>,
    /// Per aggregated role (index into `aggregated`): the roles that are not
    /// aggregated it picks, directly or through other aggregated roles.
    contributors: Vec<Vec<usize>>,
    /// Built on first use.
    sources: OnceLock<Sources>,
}

/// Which contributors give each aggregated role each of its rules: rules
/// as ids, and per aggregated role how many of its contributors have each.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    ids: HashMap<PolicyRule, u32>,
    counts: HashMap<usize, HashMap<u32, u32>>,
    /// Per aggregated role: the id of each of its (settled) rules, in order.
    rule_ids: HashMap<usize, Vec<u32>>,
}

impl Sources {
    /// A rule's id, if some contributor has it.
    pub(crate) fn id(&self, rule: &PolicyRule) -> Option<u32> {
        self.ids.get(rule).copied()
    }

    /// The ids of an aggregated role's rules, in order.
    pub(crate) fn rule_ids(&self, aggregated: usize) -> &[u32] {
        self.rule_ids
            .get(&aggregated)
            .map_or(&[][..], Vec::as_slice)
    }

    /// How many contributors of an aggregated role have a rule.
    pub(crate) fn count(&self, aggregated: usize, id: u32) -> u32 {
        self.counts
            .get(&aggregated)
            .and_then(|c| c.get(&id))
            .copied()
            .unwrap_or(0)
    }
}

impl Aggregation {
    /// The selections of `roles` (their labels and aggregation rules).
    pub(crate) fn new(roles: &[Role]) -> Aggregation {
        let mut cluster_roles: Vec<usize> = roles
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == RoleKind::ClusterRole)
            .map(|(i, _)| i)
            .collect();
        let name = |i: usize| roles.get(i).map(|r| r.name.as_str());
        cluster_roles.sort_by(|&a, &b| name(a).cmp(&name(b)));
        let aggregated: Vec<usize> = cluster_roles
            .iter()
            .copied()
            .filter(|&i| roles.get(i).is_some_and(|r| r.aggregation.is_some()))
            .collect();
        if aggregated.is_empty() {
            return Aggregation::default();
        }
        let selected: Vec<Vec<usize>> = aggregated
            .iter()
            .map(|&a| {
                let mut picks = Vec::new();
                let Some(role) = roles.get(a) else {
                    return picks;
                };
                for selector in role.aggregation.iter().flatten() {
                    for &c in &cluster_roles {
                        if let Some(candidate) = roles.get(c)
                            && candidate.name != role.name
                            && selector_matches(selector, &candidate.labels)
                        {
                            picks.push(c);
                        }
                    }
                }
                picks
            })
            .collect();
        let position: HashMap<usize, usize> = aggregated
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, i))
            .collect();
        // Settle aggregated roles in dependency order (strongly connected
        // components, dependencies first), so each role is computed once
        // from final inputs; only a selection cycle needs repeated passes.
        let mut deps = petgraph::graph::DiGraph::<usize, ()>::new();
        let dep_nodes: Vec<_> = (0..aggregated.len()).map(|i| deps.add_node(i)).collect();
        for (i, picks) in selected.iter().enumerate() {
            for c in picks {
                if let Some(&j) = position.get(c)
                    && let (Some(&from), Some(&to)) = (dep_nodes.get(i), dep_nodes.get(j))
                {
                    deps.update_edge(from, to, ());
                }
            }
        }
        // Tarjan's algorithm lists components in post-order: dependencies first.
        let components = petgraph::algo::tarjan_scc(&deps)
            .into_iter()
            .map(|component| {
                let mut members: Vec<usize> = component.iter().map(|&n| deps[n]).collect();
                members.sort_unstable();
                members
            })
            .collect();
        let mut pickers: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, picks) in selected.iter().enumerate() {
            if let Some(&a) = aggregated.get(i) {
                for &c in picks {
                    let list = pickers.entry(c).or_default();
                    if list.last() != Some(&a) {
                        list.push(a);
                    }
                }
            }
        }
        let contributors = (0..aggregated.len())
            .map(|i| {
                let mut out: Vec<usize> = Vec::new();
                let mut seen: HashSet<usize> = HashSet::new();
                let mut stack: Vec<usize> = selected.get(i).cloned().unwrap_or_default();
                while let Some(c) = stack.pop() {
                    if !seen.insert(c) {
                        continue;
                    }
                    match position.get(&c) {
                        Some(&j) => stack.extend(selected.get(j).into_iter().flatten()),
                        None => out.push(c),
                    }
                }
                out.sort_unstable();
                out
            })
            .collect();
        Aggregation {
            aggregated,
            selected,
            components,
            position,
            pickers,
            contributors,
            sources: OnceLock::new(),
        }
    }

    /// Every (aggregated role, role it picks) pair, each pair once.
    pub(crate) fn picks(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.aggregated
            .iter()
            .zip(&self.selected)
            .flat_map(|(&a, picks)| {
                let mut seen = HashSet::new();
                picks
                    .iter()
                    .filter(move |&&c| seen.insert(c))
                    .map(move |&c| (a, c))
            })
    }

    /// The roles that are not aggregated an aggregated role picks, directly
    /// or through other aggregated roles.
    pub(crate) fn contributors(&self, role: usize) -> &[usize] {
        self.position
            .get(&role)
            .and_then(|&i| self.contributors.get(i))
            .map_or(&[][..], Vec::as_slice)
    }

    /// [`Sources`], built on first use from the roles' own rules.
    pub(crate) fn sources(&self, roles: &[Role]) -> &Sources {
        self.sources.get_or_init(|| {
            let mut s = Sources::default();
            for (&a, contributors) in self.aggregated.iter().zip(&self.contributors) {
                let mut counts: HashMap<u32, u32> = HashMap::new();
                for &c in contributors {
                    let Some(role) = roles.get(c) else { continue };
                    let mut mine: HashSet<u32> = HashSet::new();
                    for rule in &role.rules {
                        let next = s.ids.len() as u32;
                        let id = *s.ids.entry(rule.clone()).or_insert(next);
                        if mine.insert(id) {
                            *counts.entry(id).or_default() += 1;
                        }
                    }
                }
                s.counts.insert(a, counts);
            }
            for &a in &self.aggregated {
                let ids = roles
                    .get(a)
                    .map(|r| {
                        r.rules
                            .iter()
                            .map(|rule| s.ids.get(rule).copied().unwrap_or(u32::MAX))
                            .collect()
                    })
                    .unwrap_or_default();
                s.rule_ids.insert(a, ids);
            }
            s
        })
    }

    /// Whether a role is aggregated (its rules are computed).
    pub(crate) fn is_aggregated(&self, role: usize) -> bool {
        self.position.contains_key(&role)
    }

    /// The aggregated roles whose rules depend on `roles` (they pick one of
    /// them, directly or through other aggregated roles).
    pub(crate) fn downstream(&self, roles: &[usize]) -> HashSet<usize> {
        let mut out: HashSet<usize> = HashSet::new();
        let mut frontier: Vec<usize> = roles.to_vec();
        while let Some(r) = frontier.pop() {
            for &a in self.pickers.get(&r).into_iter().flatten() {
                if out.insert(a) {
                    frontier.push(a);
                }
            }
        }
        out
    }

    /// Settles the aggregated roles in `only` (every one when `None`), given
    /// each role's own rules (`own`; an aggregated role's own rules are
    /// ignored, it starts empty) and the settled rules of the aggregated
    /// roles outside `only` (`settled`).
    ///
    /// For each selector in order, the picked roles' rules are appended
    /// unless already present; within a selection cycle every pass can only
    /// add rules (the inputs only grow), so the sets settle after at most one
    /// pass per member plus one that changes nothing, and the rule order
    /// follows the last pass.
    pub(crate) fn settle<'r>(
        &self,
        own: &dyn Fn(usize) -> &'r [PolicyRule],
        settled: &dyn Fn(usize) -> &'r [PolicyRule],
        only: Option<&HashSet<usize>>,
    ) -> HashMap<usize, Vec<PolicyRule>> {
        let mut current: HashMap<usize, Vec<PolicyRule>> = HashMap::new();
        for component in &self.components {
            let wanted = component.iter().any(|&i| {
                self.aggregated
                    .get(i)
                    .is_some_and(|a| only.is_none_or(|o| o.contains(a)))
            });
            if !wanted {
                continue;
            }
            for &i in component {
                if let Some(&a) = self.aggregated.get(i) {
                    current.insert(a, Vec::new());
                }
            }
            let passes = if component.len() == 1 {
                1
            } else {
                component.len() + 1
            };
            for _ in 0..passes {
                let mut grew = false;
                for &i in component {
                    let (Some(picks), Some(&a)) = (self.selected.get(i), self.aggregated.get(i))
                    else {
                        continue;
                    };
                    let mut seen: HashSet<&PolicyRule> = HashSet::new();
                    let mut rules = Vec::new();
                    for &c in picks {
                        let from: &[PolicyRule] = match current.get(&c) {
                            Some(r) => r,
                            None if self.is_aggregated(c) => settled(c),
                            None => own(c),
                        };
                        for rule in from {
                            if seen.insert(rule) {
                                rules.push(rule.clone());
                            }
                        }
                    }
                    if let Some(slot) = current.get_mut(&a) {
                        grew |= rules.len() != slot.len();
                        *slot = rules;
                    }
                }
                if !grew {
                    break;
                }
            }
        }
        current
    }
}

//! Rule sets: every rule a principal holds, by scope; rules broken into
//! atoms as the RBAC storage's `Covers` does; atoms merged back into a few
//! readable rules. Shared by the permission diff ([`crate::query::diff`]) and
//! the usage report ([`crate::query::usage`]).
//!
//! An *atom* is a rule with one verb and either one API group, one resource
//! and at most one resource name, or one non-resource URL.
//!
//! See: `staging/src/k8s.io/component-helpers/auth/rbac/validation/policy_comparator.go
//! :: BreakdownRule, Covers` (rbac-semantics.md §6.4) and
//! `pkg/registry/rbac/validation/policy_compact.go :: CompactRules`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::SubjectRef;
use super::rules_for::EffectiveRule;
use crate::discovery::Discovery;
use crate::graph::{BindingId, RbacGraph, RoleId};
use crate::model::{BindingKind, PolicyRule, Scope, SubjectKind};
use crate::request::Identity;

/// One rule a principal holds and the scope it holds it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopedRule {
    /// The RoleBinding's namespace; `None` for a ClusterRoleBinding (every
    /// namespace, cluster-scoped resources and non-resource URLs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The rule with its subject, binding, role and index.
    #[serde(flatten)]
    pub rule: EffectiveRule,
}

/// A principal's rules in every scope, and the role references that did not
/// resolve on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopedRules {
    /// ClusterRoleBinding rules first, then RoleBinding rules by namespace
    /// (each in load order).
    pub rules: Vec<ScopedRule>,
    /// Unresolvable role references.
    pub errors: Vec<String>,
}

/// A held rule with ids, for the queries of this crate.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub(crate) namespace: Option<String>,
    pub(crate) binding: BindingId,
    pub(crate) subject_index: usize,
    pub(crate) role: RoleId,
    pub(crate) rule_index: usize,
    pub(crate) rule: PolicyRule,
}

impl RbacGraph {
    /// Every rule that applies to `identity`, in every scope at once: what
    /// [`RbacGraph::rules_for`] gives for namespace `""` (the
    /// ClusterRoleBindings), plus the RoleBinding rules of every namespace,
    /// each tagged with its namespace.
    ///
    /// # Arguments
    /// * `identity` — the user and groups, as authenticated.
    ///
    /// # Returns
    /// The [`ScopedRules`]: ClusterRoleBinding rules first, then RoleBinding
    /// rules ordered by namespace.
    ///
    /// # Complexity
    /// O(bindings naming the identity or its groups × their rules).
    ///
    /// # Example
    /// ```
    /// use rbacgraph::{Identity, RbacGraph};
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: reader}
    /// rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: read, namespace: web}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
    /// subjects: [{kind: User, name: jane}]
    /// ").build().unwrap();
    /// let held = graph.scoped_rules_for(&Identity::authenticated("jane", Vec::<String>::new()));
    /// assert_eq!(held.rules.len(), 1);
    /// assert_eq!(held.rules[0].namespace.as_deref(), Some("web"));
    /// ```
    pub fn scoped_rules_for(&self, identity: &Identity) -> ScopedRules {
        let (held, errors) = self.held(self.applicable_bindings(identity));
        ScopedRules {
            rules: held
                .iter()
                .map(|h| ScopedRule {
                    namespace: h.namespace.clone(),
                    rule: self.effective_rule(h),
                })
                .collect(),
            errors,
        }
    }

    /// The rules of the given bindings (with the index of the subject that
    /// matched), ClusterRoleBindings first, then RoleBindings by namespace.
    pub(crate) fn held(&self, mut bindings: Vec<(BindingId, usize)>) -> (Vec<Held>, Vec<String>) {
        bindings.sort_by_key(|&(b, _)| {
            let ns = self.binding(b).and_then(|x| x.namespace.clone());
            (ns.is_some(), ns, b)
        });
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (b, subject_index) in bindings {
            let Some(binding) = self.binding(b) else {
                continue;
            };
            let Some((role_id, role)) = self.bound_role(b) else {
                errors.extend(self.resolution_error(b));
                continue;
            };
            let namespace = match binding.kind {
                BindingKind::ClusterRoleBinding => None,
                BindingKind::RoleBinding => binding.namespace.clone(),
            };
            for (i, rule) in role.rules.iter().enumerate() {
                out.push(Held {
                    namespace: namespace.clone(),
                    binding: b,
                    subject_index,
                    role: role_id,
                    rule_index: i,
                    rule: rule.clone(),
                });
            }
        }
        (out, errors)
    }

    pub(crate) fn effective_rule(&self, h: &Held) -> EffectiveRule {
        EffectiveRule {
            rule: h.rule.clone(),
            subject: self.matched_subject(h.binding, h.subject_index),
            binding: self.binding_ref(h.binding),
            role: self.role_ref(h.role),
            rule_index: h.rule_index,
        }
    }

    /// Whether the binding subject through which a held rule applies is a
    /// Group (rather than the user or service account itself).
    pub(crate) fn held_via_group(&self, h: &Held) -> bool {
        self.binding(h.binding)
            .and_then(|b| b.subjects.get(h.subject_index))
            .is_some_and(|s| s.kind == SubjectKind::Group)
    }

    /// The subject of a held rule, as reported.
    pub(crate) fn held_subject(&self, h: &Held) -> SubjectRef {
        self.matched_subject(h.binding, h.subject_index)
    }
}

pub use super::escalation::breakdown;

/// Whether one rule covers an atom (the storage's single-rule cover).
pub(crate) fn rule_covers_atom(owner: &PolicyRule, atom: &PolicyRule) -> bool {
    super::escalation::rule_covers(owner, atom)
}

/// Whether some rule of `owners` covers the atom.
pub(crate) fn covered(owners: &[&PolicyRule], atom: &PolicyRule) -> bool {
    owners.iter().any(|o| rule_covers_atom(o, atom))
}

/// Removes duplicate atoms and every atom another atom of the set covers
/// (`get pods` next to `* pods`, `get secrets/a` next to `get secrets`), so
/// what is left is the same permission said once. Sorted.
///
/// ```
/// use rbacgraph::PolicyRule;
/// use rbacgraph::query::ruleset::minimize;
/// let atoms = vec![
///     PolicyRule::resource(["get"], [""], ["pods"]),
///     PolicyRule::resource(["*"], [""], ["pods"]),
///     PolicyRule::resource(["get"], [""], ["pods"]).with_names(["api-0"]),
/// ];
/// assert_eq!(minimize(atoms), [PolicyRule::resource(["*"], [""], ["pods"])]);
/// ```
pub fn minimize(mut atoms: Vec<PolicyRule>) -> Vec<PolicyRule> {
    atoms.sort();
    atoms.dedup();
    let keep: Vec<bool> = atoms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            !atoms
                .iter()
                .enumerate()
                .any(|(j, b)| i != j && rule_covers_atom(b, a))
        })
        .collect();
    atoms
        .into_iter()
        .zip(keep)
        .filter_map(|(a, k)| k.then_some(a))
        .collect()
}

type Names = Option<String>;

/// Merges atoms back into few rules without changing what they allow: verbs
/// of the same (group, resource, name) together, then resources with the
/// same verbs, then groups with the same verbs and resources, then names
/// with the same verbs, resources and groups; URLs with the same verbs
/// together. Every merge keeps the other dimensions identical, so each
/// rule's cross product is exactly the union of its atoms. Verbs, groups,
/// resources, names and URLs are sorted; resource rules come first, ordered
/// by groups, resources, names (none first), then verbs.
///
/// Rules that are not atoms are broken down first.
///
/// ```
/// use rbacgraph::PolicyRule;
/// use rbacgraph::query::ruleset::compact;
/// let atoms = [
///     PolicyRule::resource(["list"], [""], ["pods"]),
///     PolicyRule::resource(["get"], [""], ["pods"]),
///     PolicyRule::resource(["get"], [""], ["secrets"]),
///     PolicyRule::resource(["list"], [""], ["secrets"]),
///     PolicyRule::non_resource(["get"], ["/metrics"]),
/// ];
/// assert_eq!(
///     compact(&atoms),
///     [
///         PolicyRule::resource(["get", "list"], [""], ["pods", "secrets"]),
///         PolicyRule::non_resource(["get"], ["/metrics"]),
///     ]
/// );
/// ```
pub fn compact(rules: &[PolicyRule]) -> Vec<PolicyRule> {
    // (group, resource, name) → verbs
    let mut by_target: BTreeMap<(String, String, Names), BTreeSet<String>> = BTreeMap::new();
    // url → verbs
    let mut by_url: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rule in rules {
        for atom in breakdown(rule) {
            let verb = atom.verbs.first().cloned().unwrap_or_default();
            if let Some(url) = atom.non_resource_urls.first() {
                by_url.entry(url.clone()).or_default().insert(verb);
            } else if let (Some(g), Some(r)) = (atom.api_groups.first(), atom.resources.first()) {
                by_target
                    .entry((g.clone(), r.clone(), atom.resource_names.first().cloned()))
                    .or_default()
                    .insert(verb);
            }
        }
    }
    // (group, name, verbs) → resources
    let mut by_verbs: BTreeMap<(String, Names, BTreeSet<String>), BTreeSet<String>> =
        BTreeMap::new();
    for ((g, r, n), verbs) in by_target {
        by_verbs.entry((g, n, verbs)).or_default().insert(r);
    }
    // (name, verbs, resources) → groups
    let mut by_resources: BTreeMap<(Names, BTreeSet<String>, BTreeSet<String>), BTreeSet<String>> =
        BTreeMap::new();
    for ((g, n, verbs), resources) in by_verbs {
        by_resources
            .entry((n, verbs, resources))
            .or_default()
            .insert(g);
    }
    // (groups, resources, verbs, named?) → names
    type Shape = (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>);
    let mut unnamed: Vec<Shape> = Vec::new();
    let mut named: BTreeMap<Shape, BTreeSet<String>> = BTreeMap::new();
    for ((n, verbs, resources), groups) in by_resources {
        let shape = (groups, resources, verbs);
        match n {
            None => unnamed.push(shape),
            Some(name) => {
                named.entry(shape).or_default().insert(name);
            }
        }
    }
    let mut out: Vec<(Shape, BTreeSet<String>)> = unnamed
        .into_iter()
        .map(|s| (s, BTreeSet::new()))
        .chain(named)
        .collect();
    out.sort_by(|((ga, ra, va), na), ((gb, rb, vb), nb)| (ga, ra, na, va).cmp(&(gb, rb, nb, vb)));
    let mut rules: Vec<PolicyRule> = out
        .into_iter()
        .map(|((groups, resources, verbs), names)| {
            PolicyRule::resource(verbs, groups, resources).with_names(names)
        })
        .collect();
    let mut urls: BTreeMap<BTreeSet<String>, BTreeSet<String>> = BTreeMap::new();
    for (url, verbs) in by_url {
        urls.entry(verbs).or_default().insert(url);
    }
    let mut url_rules: Vec<PolicyRule> = urls
        .into_iter()
        .map(|(verbs, urls)| PolicyRule::non_resource(verbs, urls))
        .collect();
    url_rules.sort_by(|a, b| a.non_resource_urls.cmp(&b.non_resource_urls));
    rules.extend(url_rules);
    rules
}

/// A resource atom held through a RoleBinding of `namespace`, as far as it
/// can ever take effect; `None` when it never can. A RoleBinding grants
/// only requests whose namespace attribute is its own, so cluster-scoped
/// resources and non-resource URLs are never granted by one, even when its
/// ClusterRole lists them. The exception is the Namespace object itself,
/// addressed by name (`GET /api/v1/namespaces/NS`, its `status` and
/// `finalize`): its namespace attribute is its own name, so the atom narrows
/// to that one name, and list, watch, create and deletecollection of
/// namespaces (namespace attribute `""`) never take effect. Unknown
/// resources are assumed namespaced.
///
/// See: `plugin/pkg/auth/authorizer/rbac/rbac.go :: Authorize` via
/// `rule.go :: VisitRulesFor` (rbac-semantics.md §3) and, for
/// `namespaces`, `requestinfo.go :: NewRequestInfo` (§1).
pub(crate) fn effective_in_namespace(
    discovery: &Discovery,
    namespace: &str,
    atom: &PolicyRule,
) -> Option<PolicyRule> {
    if !atom.non_resource_urls.is_empty() {
        return None;
    }
    let (Some(group), Some(resource)) = (atom.api_groups.first(), atom.resources.first()) else {
        return None;
    };
    let base = resource.split('/').next().unwrap_or(resource);
    if (group.is_empty() || group == "*") && base == "namespaces" {
        let nameless = atom
            .verbs
            .iter()
            .all(|v| matches!(v.as_str(), "list" | "watch" | "create" | "deletecollection"));
        let other_name = atom.resource_names.iter().all(|n| n != namespace);
        if nameless || (!atom.resource_names.is_empty() && other_name) {
            return None;
        }
        return Some(atom.clone().with_names([namespace]));
    }
    (discovery.scope(group, base) != Some(Scope::Cluster)).then(|| atom.clone())
}

/// A rule in one line for people: `get, list on pods, deployments.apps`,
/// `get on secrets named tls`, `get on /metrics, /healthz`. Resources carry
/// their group as kubectl writes them (`RESOURCE.GROUP`, none for the core
/// group, `.*` for every group).
///
/// ```
/// use rbacgraph::PolicyRule;
/// use rbacgraph::query::ruleset::describe;
/// let rule = PolicyRule::resource(["get", "list"], ["", "apps"], ["deployments"]);
/// assert_eq!(describe(&rule), "get, list on deployments, deployments.apps");
/// ```
pub fn describe(rule: &PolicyRule) -> String {
    let verbs = rule.verbs.join(", ");
    let mut targets: Vec<String> = Vec::new();
    for g in &rule.api_groups {
        for r in &rule.resources {
            targets.push(if g.is_empty() {
                r.clone()
            } else {
                format!("{r}.{g}")
            });
        }
    }
    // A bare `*` URL would read like a resource: say what it is.
    targets.extend(rule.non_resource_urls.iter().map(|u| {
        if u == "*" {
            "every non-resource URL (*)".to_string()
        } else {
            u.clone()
        }
    }));
    let mut out = format!("{verbs} on {}", targets.join(", "));
    if !rule.resource_names.is_empty() {
        out.push_str(&format!(" named {}", rule.resource_names.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::escalation::covers;

    #[test]
    fn compact_merges_groups_and_names_only_when_everything_else_matches() {
        let atoms = [
            PolicyRule::resource(["get"], ["apps"], ["deployments"]),
            PolicyRule::resource(["get"], ["extensions"], ["deployments"]),
            PolicyRule::resource(["get"], [""], ["secrets"]).with_names(["a"]),
            PolicyRule::resource(["get"], [""], ["secrets"]).with_names(["b"]),
            PolicyRule::resource(["update"], [""], ["secrets"]).with_names(["a"]),
        ];
        assert_eq!(
            compact(&atoms),
            [
                PolicyRule::resource(["get", "update"], [""], ["secrets"]).with_names(["a"]),
                PolicyRule::resource(["get"], [""], ["secrets"]).with_names(["b"]),
                PolicyRule::resource(["get"], ["apps", "extensions"], ["deployments"]),
            ]
        );
    }

    #[test]
    fn compact_is_exact() {
        let rules = [
            PolicyRule::resource(["get", "list"], ["", "apps"], ["pods", "deployments"]),
            PolicyRule::resource(["create"], [""], ["pods"]),
            PolicyRule::non_resource(["get"], ["/healthz", "/metrics"]),
            PolicyRule::non_resource(["post"], ["/metrics"]),
        ];
        let compacted = compact(&rules);
        assert!(covers(&compacted, &rules).0);
        assert!(covers(&rules, &compacted).0);
    }

    #[test]
    fn role_bindings_never_grant_cluster_scoped_resources() {
        let d = Discovery::default();
        let atom = |v: &str, g: &str, r: &str| PolicyRule::resource([v], [g], [r]);
        let eff = |a: &PolicyRule| effective_in_namespace(&d, "web", a);
        assert_eq!(eff(&atom("get", "", "nodes")), None);
        assert_eq!(eff(&atom("get", "", "nodes/proxy")), None);
        assert_eq!(eff(&atom("impersonate", "", "users")), None);
        assert_eq!(
            eff(&atom("get", "", "pods/log")),
            Some(atom("get", "", "pods/log"))
        );
        let widgets = atom("get", "example.com", "widgets");
        assert_eq!(eff(&widgets), Some(widgets.clone()));
        assert_eq!(eff(&atom("*", "*", "*")), Some(atom("*", "*", "*")));
        assert_eq!(eff(&PolicyRule::non_resource(["get"], ["/metrics"])), None);
        // The Namespace object: only itself, by name.
        assert_eq!(
            eff(&atom("get", "", "namespaces")),
            Some(atom("get", "", "namespaces").with_names(["web"]))
        );
        assert_eq!(eff(&atom("list", "", "namespaces")), None);
        assert_eq!(eff(&atom("get", "", "namespaces").with_names(["db"])), None);
        assert_eq!(
            eff(&atom("update", "", "namespaces/status")),
            Some(atom("update", "", "namespaces/status").with_names(["web"]))
        );
    }
}

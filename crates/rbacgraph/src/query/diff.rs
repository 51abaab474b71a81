//! Effective-permission diff between two snapshots of a cluster's RBAC (two
//! `kubectl get -o json` dumps, two sets of manifests, or one of each): for
//! every principal, what it may do afterwards that it could not before, and
//! what it lost, per scope, each change with the objects that cause it; and
//! the principals that gain or lose a path to cluster-admin.
//!
//! Permissions are compared as the RBAC storage compares them (`Covers`,
//! rbac-semantics.md §6.4): both sides' rules are broken into atoms and an
//! atom is a change only when no rule of the other side covers it. So a
//! renamed role with the same rules, reordered rules, a rule split in two,
//! or `get` replaced by `*` is no change; `*` replaced by every verb listed
//! is (`*` also covers verbs that do not exist yet). Changed atoms are
//! merged back into a few readable rules ([`crate::query::ruleset::compact`]),
//! one group per distinct set of causes.
//!
//! Scopes follow the authorizer (rbac-semantics.md §3): ClusterRoleBindings
//! grant cluster-wide; a RoleBinding grants only in its namespace, and never
//! cluster-scoped resources or non-resource URLs, so those rules of a
//! ClusterRole bound by a RoleBinding are not effective and not reported. A
//! namespace change already implied by a cluster-wide change is reported
//! once, cluster-wide.
//!
//! Principals are the users, service accounts and groups that either side
//! names. A user or service account is evaluated with the groups Kubernetes'
//! authenticators add ([`Identity::authenticated`]); a change it gets only
//! through one of those groups (`system:authenticated`,
//! `system:serviceaccounts[:NS]`) is reported once, under the group, and the
//! group is listed in [`PrincipalDiff::inherits`] of principals that also
//! change on their own. A change that also comes through the principal's own
//! bindings is reported under the principal with those causes alone.
//!
//! Audit findings are not compared: rbacgraph has no audit findings yet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::escalation::covers;
use super::paths::{AttackGraph, AttackPath, PathOptions, Target};
use super::ruleset::{Held, breakdown, compact, covered, effective_in_namespace, minimize};
use super::{ObjectRef, SubjectRef};
use crate::graph::{BindingId, RbacGraph, RoleId, SubjectKey};
use crate::model::{Binding, BindingKind, PolicyRule, Role, SubjectKind};
use crate::render::{Document, document};
use crate::request::{Identity, service_account_username};

/// What to compare besides permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare escalation paths to cluster-admin ([`AttackGraph::who_reaches`]
    /// on both sides).
    pub escalation_paths: bool,
    /// The most steps an escalation path may have.
    pub max_depth: usize,
    /// Options of the attack graphs.
    pub path_options: PathOptions,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            escalation_paths: true,
            max_depth: 8,
            path_options: PathOptions::default(),
        }
    }
}

/// How an object differs between the two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ObjectChange {
    /// Only in the new snapshot.
    Added,
    /// Only in the old snapshot.
    Removed,
    /// In both, different (for an aggregated ClusterRole: its computed rules).
    Modified,
    /// In both, the same.
    Unchanged,
}

impl ObjectChange {
    /// `added`, `removed`, `modified`, `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectChange::Added => "added",
            ObjectChange::Removed => "removed",
            ObjectChange::Modified => "modified",
            ObjectChange::Unchanged => "unchanged",
        }
    }
}

/// An object with how it changed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedObject {
    /// The object, with its source on the side where the cause exists.
    #[serde(flatten)]
    pub object: ObjectRef,
    /// How it changed between the snapshots.
    pub change: ObjectChange,
}

/// Why a permission was added (a grant of the new side) or removed (a grant
/// of the old side).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    /// The binding.
    pub binding: ChangedObject,
    /// The role it references.
    pub role: ChangedObject,
    /// Indexes of the role's (effective) rules that give the change.
    pub rules: Vec<usize>,
    /// For an aggregated ClusterRole whose rules come from a ClusterRole
    /// that was added or changed: the chain of ClusterRoles they were
    /// aggregated through, ending at that one (`edit`, `view`, then the
    /// ClusterRole carrying a new `aggregate-to-view` label). Empty when the
    /// rules' origin is unchanged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aggregated_from: Vec<ChangedObject>,
    /// The binding subject that matched the principal.
    pub subject: SubjectRef,
}

/// One readable rule set that a principal gained or lost in one scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleChange {
    /// The RoleBinding namespace; `None` for cluster-wide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The permissions, compacted.
    pub rules: Vec<PolicyRule>,
    /// The grants that give them (added: on the new side; removed: on the old).
    pub causes: Vec<Cause>,
}

/// What changed for one principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalDiff {
    /// The user, service account or group.
    pub principal: SubjectRef,
    /// Permissions it has only in the new snapshot.
    pub added: Vec<RuleChange>,
    /// Permissions it has only in the old snapshot.
    pub removed: Vec<RuleChange>,
    /// Implicit groups whose own changes (reported under the group) apply
    /// to this principal too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<SubjectRef>,
    /// Whether it gained or lost cluster-admin-equivalent permissions (its
    /// ClusterRoleBinding rules cover `*` on every resource of every group
    /// and on every URL, as the storage's `Covers` decides); `None` when that
    /// did not change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_admin: Option<AdminChange>,
}

/// A change of cluster-admin equivalence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AdminChange {
    /// Not equivalent before, equivalent after.
    Gained,
    /// Equivalent before, not after.
    Lost,
}

/// Principals that gain or lose a path to cluster-admin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationDiff {
    /// What the paths reach (`cluster-admin`).
    pub target: String,
    /// The most steps a path may have.
    pub max_depth: usize,
    /// A shortest path of every principal that reaches the target only in
    /// the new snapshot.
    pub gained: Vec<AttackPath>,
    /// A shortest path of every principal that reached it only in the old one.
    pub lost: Vec<AttackPath>,
    /// Principals that reach it in both snapshots, but in fewer steps in
    /// the new one: a new, easier way in (say, a one-step impersonation
    /// where the old way needed a node escape).
    pub shortened: Vec<ShorterPath>,
}

/// A principal's new shortest path, shorter than its old one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShorterPath {
    /// Steps of the old snapshot's shortest path.
    pub previous_steps: usize,
    /// The new snapshot's shortest path.
    pub path: AttackPath,
}

/// Counts of a diff.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSummary {
    /// Principals with a permission change.
    pub principals: usize,
    /// Rule sets added.
    pub added: usize,
    /// Rule sets removed.
    pub removed: usize,
    /// Principals that newly reach cluster-admin.
    pub gained_paths: usize,
    /// Principals that no longer reach cluster-admin.
    pub lost_paths: usize,
    /// Principals that reach cluster-admin in fewer steps than before.
    pub shortened_paths: usize,
}

/// The answer of [`RbacGraph::diff`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDiff {
    /// Counts.
    pub summary: DiffSummary,
    /// Every principal with a change, sorted (groups, service accounts, users).
    pub principals: Vec<PrincipalDiff>,
    /// Escalation paths gained and lost; `None` when not compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<EscalationDiff>,
    /// Role references that do not resolve, per side (`old: …`, `new: …`).
    pub errors: Vec<String>,
}

impl PermissionDiff {
    /// Whether anything changed (permissions or escalation paths).
    pub fn has_changes(&self) -> bool {
        !self.principals.is_empty()
            || self.escalation.as_ref().is_some_and(|e| {
                !e.gained.is_empty() || !e.lost.is_empty() || !e.shortened.is_empty()
            })
    }

    /// Whether some principal newly reaches cluster-admin, or reaches it in
    /// fewer steps than before. Without compared paths (`escalation` is
    /// `None`), whether some principal newly holds cluster-admin-equivalent
    /// permissions.
    pub fn has_new_escalation(&self) -> bool {
        match &self.escalation {
            Some(e) => !e.gained.is_empty() || !e.shortened.is_empty(),
            None => self
                .principals
                .iter()
                .any(|p| p.cluster_admin == Some(AdminChange::Gained)),
        }
    }

    /// As a versioned document (`kind: PermissionDiff`).
    pub fn to_document(&self) -> Document<&PermissionDiff> {
        document("PermissionDiff", self)
    }
}

impl RbacGraph {
    /// The effective-permission diff from this snapshot (old) to `new`: for
    /// every principal either side names, the permissions added and
    /// removed, per scope, compacted into rule sets with their causes; and,
    /// when [`DiffOptions::escalation_paths`] is set, the principals that
    /// gain or lose a path to cluster-admin.
    ///
    /// # Arguments
    /// * `new` — the snapshot after the change.
    /// * `options` — what to compare besides permissions.
    ///
    /// # Returns
    /// A [`PermissionDiff`]; empty when nothing effective changed.
    ///
    /// # Complexity
    /// For each principal, O(atoms of its rules × its rules) on each side
    /// (skipped when its rules are identical on both sides); plus building
    /// both attack graphs when paths are compared.
    ///
    /// # Example
    /// ```
    /// use rbacgraph::RbacGraph;
    /// use rbacgraph::query::diff::DiffOptions;
    /// let old = RbacGraph::builder().load_str("old.yaml", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: reader, namespace: web}
    /// rules: [{apiGroups: [''], resources: [pods], verbs: [get, list]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: read, namespace: web}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
    /// subjects: [{kind: User, name: jane}]
    /// ").build().unwrap();
    /// // Renamed, rules split and reordered, one verb added.
    /// let new = RbacGraph::builder().load_str("new.yaml", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: pod-reader, namespace: web}
    /// rules:
    /// - {apiGroups: [''], resources: [pods], verbs: [list, watch]}
    /// - {apiGroups: [''], resources: [pods], verbs: [get]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: read, namespace: web}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
    /// subjects: [{kind: User, name: jane}]
    /// ").build().unwrap();
    /// let diff = old.diff(&new, &DiffOptions::default());
    /// assert_eq!(diff.principals.len(), 1);
    /// let jane = &diff.principals[0];
    /// assert!(jane.removed.is_empty());
    /// assert_eq!(jane.added[0].namespace.as_deref(), Some("web"));
    /// assert_eq!(jane.added[0].rules, [rbacgraph::PolicyRule::resource(["watch"], [""], ["pods"])]);
    /// ```
    pub fn diff(&self, new: &RbacGraph, options: &DiffOptions) -> PermissionDiff {
        let old = self;
        let old_index = ObjectIndex::new(old);
        let new_index = ObjectIndex::new(new);
        let mut errors = BTreeSet::new();
        let mut principals = Vec::new();
        for p in all_principals(old, new) {
            let (old_held, old_errors) = held_by(old, &p);
            let (new_held, new_errors) = held_by(new, &p);
            errors.extend(old_errors.into_iter().map(|e| format!("old: {e}")));
            errors.extend(new_errors.into_iter().map(|e| format!("new: {e}")));
            if same_rules(&old_held, &new_held) {
                continue;
            }
            let ctx = Sides {
                old: (old, &old_index),
                new: (new, &new_index),
            };
            if let Some(d) = principal_diff(&ctx, &p, &old_held, &new_held) {
                principals.push(d);
            }
        }
        let escalation = options.escalation_paths.then(|| {
            let reach = |g: &RbacGraph| {
                AttackGraph::builder(g)
                    .options(options.path_options.clone())
                    .build()
                    .who_reaches(&Target::ClusterAdmin, options.max_depth)
            };
            let (before, after) = (reach(old), reach(new));
            let steps = |paths: &[AttackPath]| -> BTreeMap<String, usize> {
                paths
                    .iter()
                    .map(|p| (p.source.key(), p.steps.len()))
                    .collect()
            };
            let (before_steps, after_steps) = (steps(&before), steps(&after));
            let mut gained = Vec::new();
            let mut shortened = Vec::new();
            for path in after {
                match before_steps.get(&path.source.key()) {
                    None => gained.push(path),
                    Some(&previous_steps) if path.steps.len() < previous_steps => {
                        shortened.push(ShorterPath {
                            previous_steps,
                            path,
                        });
                    }
                    Some(_) => {}
                }
            }
            EscalationDiff {
                target: Target::ClusterAdmin.to_string(),
                max_depth: options.max_depth,
                gained,
                lost: before
                    .into_iter()
                    .filter(|p| !after_steps.contains_key(&p.source.key()))
                    .collect(),
                shortened,
            }
        });
        let summary = DiffSummary {
            principals: principals.len(),
            added: principals.iter().map(|p| p.added.len()).sum(),
            removed: principals.iter().map(|p| p.removed.len()).sum(),
            gained_paths: escalation.as_ref().map_or(0, |e| e.gained.len()),
            lost_paths: escalation.as_ref().map_or(0, |e| e.lost.len()),
            shortened_paths: escalation.as_ref().map_or(0, |e| e.shortened.len()),
        };
        PermissionDiff {
            summary,
            principals,
            escalation,
            errors: errors.into_iter().collect(),
        }
    }
}

/// Every user, service account and group either side names, sorted.
fn all_principals(old: &RbacGraph, new: &RbacGraph) -> Vec<SubjectRef> {
    let mut out: BTreeSet<SubjectRef> = BTreeSet::new();
    for g in [old, new] {
        out.extend(g.principals().iter().cloned());
        out.extend(
            g.subjects()
                .into_iter()
                .filter(|k| k.kind == SubjectKind::Group)
                .map(|k| SubjectRef::group(&k.name)),
        );
    }
    out.into_iter().collect()
}

/// The rules a principal holds in a graph: a group through the bindings
/// that name it; a user or service account as authenticated (implicit
/// groups included).
fn held_by(graph: &RbacGraph, p: &SubjectRef) -> (Vec<Held>, Vec<String>) {
    let bindings = match (p.kind.as_str(), &p.namespace) {
        ("Group", _) => graph.bindings_of(&SubjectKey {
            kind: SubjectKind::Group,
            name: p.name.clone(),
            namespace: String::new(),
        }),
        (_, Some(ns)) => graph.applicable_bindings(&Identity::authenticated(
            service_account_username(ns, &p.name),
            Vec::<String>::new(),
        )),
        (_, None) => graph.applicable_bindings(&Identity::authenticated(
            p.name.clone(),
            Vec::<String>::new(),
        )),
    };
    graph.held(bindings)
}

/// Whether both sides hold the same rules in the same scopes (a fast path:
/// nothing can have changed).
fn same_rules(old: &[Held], new: &[Held]) -> bool {
    let key = |h: &[Held]| -> Vec<(Option<String>, PolicyRule)> {
        let mut v: Vec<_> = h
            .iter()
            .map(|h| (h.namespace.clone(), h.rule.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    key(old) == key(new)
}

/// Objects of a graph by kind, namespace and name, for change status.
struct ObjectIndex<'g> {
    bindings: HashMap<(BindingKind, String, String), &'g Binding>,
}

impl<'g> ObjectIndex<'g> {
    fn new(graph: &'g RbacGraph) -> Self {
        ObjectIndex {
            bindings: graph
                .bindings()
                .iter()
                .map(|b| {
                    (
                        (
                            b.kind,
                            b.namespace.clone().unwrap_or_default(),
                            b.name.clone(),
                        ),
                        b,
                    )
                })
                .collect(),
        }
    }
}

struct Sides<'a> {
    old: (&'a RbacGraph, &'a ObjectIndex<'a>),
    new: (&'a RbacGraph, &'a ObjectIndex<'a>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Old,
    New,
}

impl<'a> Sides<'a> {
    fn this(&self, side: Side) -> (&'a RbacGraph, &'a ObjectIndex<'a>) {
        match side {
            Side::Old => self.old,
            Side::New => self.new,
        }
    }

    fn other(&self, side: Side) -> (&'a RbacGraph, &'a ObjectIndex<'a>) {
        match side {
            Side::Old => self.new,
            Side::New => self.old,
        }
    }

    /// How a binding of `side` changed relative to the other side.
    fn binding_change(&self, side: Side, id: BindingId) -> ObjectChange {
        let (graph, _) = self.this(side);
        let (_, other) = self.other(side);
        let Some(b) = graph.binding(id) else {
            return ObjectChange::Unchanged;
        };
        let key = (
            b.kind,
            b.namespace.clone().unwrap_or_default(),
            b.name.clone(),
        );
        match other.bindings.get(&key) {
            None => missing(side),
            Some(o) if o.role_ref == b.role_ref && o.subjects == b.subjects => {
                ObjectChange::Unchanged
            }
            Some(_) => ObjectChange::Modified,
        }
    }

    /// How a role of `side` changed relative to the other side (rules as
    /// computed, so an aggregated ClusterRole whose inputs changed is
    /// modified).
    fn role_change(&self, side: Side, id: RoleId) -> ObjectChange {
        let (graph, _) = self.this(side);
        let (other, _) = self.other(side);
        let Some(r) = graph.role(id) else {
            return ObjectChange::Unchanged;
        };
        let found = other
            .role_id(r.kind, r.namespace.as_deref().unwrap_or(""), &r.name)
            .and_then(|o| other.role(o));
        match found {
            None => missing(side),
            Some(o) if same_role(o, r) => ObjectChange::Unchanged,
            Some(_) => ObjectChange::Modified,
        }
    }

    fn changed_role(&self, side: Side, id: RoleId) -> ChangedObject {
        ChangedObject {
            object: self.this(side).0.role_ref(id),
            change: self.role_change(side, id),
        }
    }

    /// The cause key of a held rule: its binding and role, and the
    /// aggregation chain when the role at its end (the one listing the rule)
    /// changed, so that a planted aggregation label shows; an unchanged
    /// origin is left out and the rules of one binding stay together.
    fn cause_key(&self, side: Side, h: &Held) -> CauseKey {
        let (graph, _) = self.this(side);
        let chain = aggregation_chain(graph, h.role, &h.rule);
        let origin_changed = chain
            .last()
            .is_some_and(|&r| self.role_change(side, r) != ObjectChange::Unchanged);
        CauseKey {
            binding: h.binding,
            subject_index: h.subject_index,
            role: h.role,
            chain: if origin_changed { chain } else { Vec::new() },
        }
    }

    fn cause(&self, side: Side, key: &CauseKey, rules: &BTreeSet<usize>) -> Cause {
        let (graph, _) = self.this(side);
        Cause {
            binding: ChangedObject {
                object: graph.binding_ref(key.binding),
                change: self.binding_change(side, key.binding),
            },
            role: self.changed_role(side, key.role),
            rules: rules.iter().copied().collect(),
            aggregated_from: key
                .chain
                .iter()
                .map(|&r| self.changed_role(side, r))
                .collect(),
            subject: graph.matched_subject(key.binding, key.subject_index),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CauseKey {
    binding: BindingId,
    subject_index: usize,
    role: RoleId,
    chain: Vec<RoleId>,
}

fn missing(side: Side) -> ObjectChange {
    match side {
        Side::Old => ObjectChange::Removed,
        Side::New => ObjectChange::Added,
    }
}

fn same_role(a: &Role, b: &Role) -> bool {
    a.labels == b.labels && a.rules == b.rules && a.aggregation == b.aggregation
}

/// For a rule of an aggregated ClusterRole, the shortest chain of
/// ClusterRoles it was aggregated through, ending at a non-aggregated one
/// that lists it (empty for a role that is not aggregated).
///
/// See: `pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go
/// :: syncClusterRole` (rbac-semantics.md §5): aggregated rules are copies of
/// the selected roles' rules.
fn aggregation_chain(graph: &RbacGraph, role: RoleId, rule: &PolicyRule) -> Vec<RoleId> {
    let is_aggregated = |r: RoleId| graph.role(r).is_some_and(|x| x.aggregation.is_some());
    if !is_aggregated(role) {
        return Vec::new();
    }
    // Breadth-first over "aggregated from" edges, keeping parents.
    let mut parent: HashMap<RoleId, RoleId> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([role]);
    let mut found = None;
    'search: while let Some(current) = queue.pop_front() {
        let mut contributors: Vec<RoleId> = graph
            .aggregated_from(current)
            .into_iter()
            .filter(|&c| graph.role(c).is_some_and(|x| x.rules.contains(rule)))
            .collect();
        // A role that lists the rule itself is the end of a chain: prefer it.
        contributors.sort_by_key(|&c| (is_aggregated(c), c));
        for c in contributors {
            if c == role || parent.contains_key(&c) {
                continue;
            }
            parent.insert(c, current);
            if !is_aggregated(c) {
                found = Some(c);
                break 'search;
            }
            queue.push_back(c);
        }
    }
    let mut chain = Vec::new();
    let mut at = found;
    while let Some(r) = at {
        if r == role {
            break;
        }
        chain.push(r);
        at = parent.get(&r).copied();
    }
    chain.reverse();
    chain
}

/// Atoms of held rules that take effect in their scope (narrowed where
/// only part takes effect: see [`effective_in_namespace`]).
fn effective_atoms(graph: &RbacGraph, held: &[&Held]) -> Vec<PolicyRule> {
    held.iter()
        .flat_map(|h| {
            breakdown(&h.rule)
                .into_iter()
                .filter_map(move |a| match &h.namespace {
                    None => Some(a),
                    Some(ns) => effective_in_namespace(graph.discovery(), ns, &a),
                })
        })
        .collect()
}

/// A scope (`None`: cluster-wide), the old and new grants in it, and the
/// rules that cover what is not removed and what is not added.
type Scope<'h> = (
    Option<String>,
    Vec<&'h Held>,
    Vec<&'h Held>,
    Vec<&'h PolicyRule>,
    Vec<&'h PolicyRule>,
);

fn principal_diff(
    ctx: &Sides<'_>,
    p: &SubjectRef,
    old: &[Held],
    new: &[Held],
) -> Option<PrincipalDiff> {
    let cluster = |h: &[Held]| -> Vec<usize> {
        h.iter()
            .enumerate()
            .filter(|(_, x)| x.namespace.is_none())
            .map(|(i, _)| i)
            .collect()
    };
    let by_ns = |h: &[Held]| -> BTreeMap<String, Vec<usize>> {
        let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, x) in h.iter().enumerate() {
            if let Some(ns) = &x.namespace {
                m.entry(ns.clone()).or_default().push(i);
            }
        }
        m
    };
    let (old_c, new_c) = (cluster(old), cluster(new));
    let (old_ns, new_ns) = (by_ns(old), by_ns(new));
    fn refs<'h>(h: &'h [Held], idx: &[usize]) -> Vec<&'h Held> {
        idx.iter().filter_map(|&i| h.get(i)).collect()
    }
    fn rules_of<'h>(hs: &[&'h Held]) -> Vec<&'h PolicyRule> {
        hs.iter().map(|h| &h.rule).collect()
    }

    let mut scopes: Vec<Scope<'_>> = Vec::new();
    let (oc, nc) = (refs(old, &old_c), refs(new, &new_c));
    // Cluster-wide: atoms of one side's ClusterRoleBinding rules that the
    // other side's do not cover.
    scopes.push((None, oc.clone(), nc.clone(), rules_of(&nc), rules_of(&oc)));
    let namespaces: BTreeSet<&String> = old_ns.keys().chain(new_ns.keys()).collect();
    for ns in namespaces {
        let o = refs(old, old_ns.get(ns).map(Vec::as_slice).unwrap_or(&[]));
        let n = refs(new, new_ns.get(ns).map(Vec::as_slice).unwrap_or(&[]));
        // In a namespace the other side's cluster-wide rules count too, and so
        // do this side's: a change they imply is reported cluster-wide.
        let mut old_owners = rules_of(&n);
        old_owners.extend(rules_of(&nc));
        old_owners.extend(rules_of(&oc));
        let mut new_owners = rules_of(&o);
        new_owners.extend(rules_of(&oc));
        new_owners.extend(rules_of(&nc));
        scopes.push((Some(ns.clone()), o, n, old_owners, new_owners));
    }

    let implicit_group = p.kind != "Group";
    let mut inherits: BTreeSet<SubjectRef> = BTreeSet::new();
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for (ns, o, n, removed_owners, added_owners) in scopes {
        // added: atoms of the new grants not covered by the old effective
        // rules (and, in a namespace, not by the new cluster-wide ones).
        let add_atoms: Vec<PolicyRule> = effective_atoms(ctx.new.0, &n)
            .into_iter()
            .filter(|a| !covered(&added_owners, a))
            .collect();
        let rem_atoms: Vec<PolicyRule> = effective_atoms(ctx.old.0, &o)
            .into_iter()
            .filter(|a| !covered(&removed_owners, a))
            .collect();
        added.extend(group_changes(
            ctx,
            Side::New,
            &ns,
            &n,
            minimize(add_atoms),
            implicit_group,
            &mut inherits,
        ));
        removed.extend(group_changes(
            ctx,
            Side::Old,
            &ns,
            &o,
            minimize(rem_atoms),
            implicit_group,
            &mut inherits,
        ));
    }
    let full_authority = [
        PolicyRule::resource(["*"], ["*"], ["*"]),
        PolicyRule::non_resource(["*"], ["*"]),
    ];
    let is_admin = |hs: &[&Held]| {
        let rules: Vec<PolicyRule> = hs.iter().map(|h| h.rule.clone()).collect();
        covers(&rules, &full_authority).0
    };
    let cluster_admin = match (is_admin(&oc), is_admin(&nc)) {
        (false, true) => Some(AdminChange::Gained),
        (true, false) => Some(AdminChange::Lost),
        _ => None,
    };
    if added.is_empty() && removed.is_empty() && cluster_admin.is_none() {
        return None;
    }
    Some(PrincipalDiff {
        principal: p.clone(),
        added,
        removed,
        inherits: inherits.into_iter().collect(),
        cluster_admin,
    })
}

/// Attributes each changed atom to the grants of `side` that give it, drops
/// (for a user or service account) those that come only through one of its
/// implicit groups (reported under the group, which is noted in
/// `inherits`), and merges the rest into one [`RuleChange`] per set of causes.
fn group_changes(
    ctx: &Sides<'_>,
    side: Side,
    namespace: &Option<String>,
    grants: &[&Held],
    atoms: Vec<PolicyRule>,
    drop_group_changes: bool,
    inherits: &mut BTreeSet<SubjectRef>,
) -> Vec<RuleChange> {
    let graph = ctx.this(side).0;
    let keys: Vec<CauseKey> = grants.iter().map(|h| ctx.cause_key(side, h)).collect();
    // cause keys → (atoms, rule indexes per key)
    type Group = (Vec<PolicyRule>, BTreeMap<CauseKey, BTreeSet<usize>>);
    let mut groups: BTreeMap<Vec<CauseKey>, Group> = BTreeMap::new();
    for atom in atoms {
        let mut causes: Vec<usize> = grants
            .iter()
            .enumerate()
            .filter(|(_, g)| super::ruleset::rule_covers_atom(&g.rule, &atom))
            .map(|(i, _)| i)
            .collect();
        if drop_group_changes {
            // A change that comes only through implicit groups is the
            // group's (reported there); one that also comes through the
            // principal's own bindings is reported with those alone.
            let (via_groups, own): (Vec<usize>, Vec<usize>) = causes
                .iter()
                .partition(|&&i| grants.get(i).is_some_and(|&g| graph.held_via_group(g)));
            inherits.extend(
                via_groups
                    .iter()
                    .filter_map(|&i| grants.get(i))
                    .map(|&g| graph.held_subject(g)),
            );
            if own.is_empty() {
                continue;
            }
            causes = own;
        }
        let mut key: Vec<CauseKey> = causes
            .iter()
            .filter_map(|&i| keys.get(i).cloned())
            .collect();
        key.sort();
        key.dedup();
        let entry = groups.entry(key).or_default();
        entry.0.push(atom);
        for &i in &causes {
            if let (Some(key), Some(grant)) = (keys.get(i), grants.get(i)) {
                entry
                    .1
                    .entry(key.clone())
                    .or_default()
                    .insert(grant.rule_index);
            }
        }
    }
    let mut out: Vec<RuleChange> = groups
        .into_values()
        .map(|(atoms, causes)| RuleChange {
            namespace: namespace.clone(),
            rules: compact(&atoms),
            causes: causes
                .iter()
                .map(|(key, rules)| ctx.cause(side, key, rules))
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| a.rules.cmp(&b.rules));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoleKind as K;

    #[test]
    fn aggregation_chain_ends_at_the_labelled_role() {
        let g = RbacGraph::builder()
            .load_str(
                "t",
                "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: edit}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {to-edit: 'true'}}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view, labels: {to-edit: 'true'}}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {to-view: 'true'}}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: extra, labels: {to-view: 'true'}}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
",
            )
            .build()
            .unwrap();
        let edit = g.role_id(K::ClusterRole, "", "edit").unwrap();
        let view = g.role_id(K::ClusterRole, "", "view").unwrap();
        let extra = g.role_id(K::ClusterRole, "", "extra").unwrap();
        let rule = PolicyRule::resource(["get"], [""], ["pods"]);
        assert_eq!(aggregation_chain(&g, edit, &rule), [view, extra]);
        assert_eq!(aggregation_chain(&g, view, &rule), [extra]);
        assert!(aggregation_chain(&g, extra, &rule).is_empty());
    }
}

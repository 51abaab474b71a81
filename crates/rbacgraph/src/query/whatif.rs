//! What-if: a change to a cluster's objects — what an audit fix does — and
//! what principals hold once it is made, answered from the graph as it is,
//! without rebuilding it.
//!
//! A [`Change`] only ever takes away: it deletes bindings, roles and token
//! Secrets, removes binding subjects, replaces a role's rules (with fewer),
//! stops token mounts, moves a workload to a new (unbound) service account
//! or labels a namespace with a Pod Security level. The escalation-path
//! impact engine ([`crate::query::paths::impact`]) asks the `Overlay` of a
//! change what each principal still holds, with the same rule matching and
//! scoping the authorizer uses (`VisitRulesFor`): a ClusterRoleBinding's
//! rules everywhere, a RoleBinding's only in its namespace.
//!
//! See: `plugin/pkg/auth/authorizer/rbac/rbac.go :: Authorize` and
//! `pkg/registry/rbac/validation/rule.go :: VisitRulesFor` (rbac-semantics.md §2–§4).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use serde::Serialize;
use serde_json::{Value, json};

use crate::graph::{BindingId, RbacGraph, RoleId, WorkloadId, subject_key};
use crate::matching::rule_allows;
use crate::model::{BindingKind, PolicyRule, Subject, SubjectKind, WorkloadKind};
use crate::query::ObjectRef;
use crate::query::paths::techniques::PSA_ENFORCE_LABEL;
use crate::request::{Identity, Request};

/// A change to a cluster's objects (see the [module docs](self)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Bindings deleted.
    pub deleted_bindings: BTreeSet<BindingId>,
    /// Subjects removed from bindings: indexes into each binding's `subjects`.
    pub removed_subjects: BTreeMap<BindingId, BTreeSet<usize>>,
    /// Roles whose own rules are replaced (aggregated ClusterRoles that pick
    /// them follow, as the aggregation controller would make them).
    pub replaced_rules: BTreeMap<RoleId, Vec<PolicyRule>>,
    /// Roles deleted.
    pub deleted_roles: BTreeSet<RoleId>,
    /// Workloads whose pod spec now sets `automountServiceAccountToken: false`.
    pub unmounted: BTreeSet<WorkloadId>,
    /// ServiceAccounts (namespace, name) that now set
    /// `automountServiceAccountToken: false` (a pod spec that sets it wins).
    pub unmounted_service_accounts: BTreeSet<(String, String)>,
    /// Workloads moved to a new ServiceAccount of this name (that no binding
    /// names).
    pub new_service_account: BTreeMap<WorkloadId, String>,
    /// Namespaces labelled `pod-security.kubernetes.io/enforce` with a level.
    pub pod_security: BTreeMap<String, String>,
    /// Secrets deleted (indexes into [`RbacGraph::secrets`]).
    pub deleted_secrets: BTreeSet<usize>,
}

impl Change {
    /// Whether the change changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Change::default()
    }

    /// Adds another change to this one.
    pub fn merge(&mut self, other: Change) {
        self.deleted_bindings.extend(other.deleted_bindings);
        for (b, subjects) in other.removed_subjects {
            self.removed_subjects.entry(b).or_default().extend(subjects);
        }
        self.replaced_rules.extend(other.replaced_rules);
        self.deleted_roles.extend(other.deleted_roles);
        self.unmounted.extend(other.unmounted);
        self.unmounted_service_accounts
            .extend(other.unmounted_service_accounts);
        self.new_service_account.extend(other.new_service_account);
        self.pod_security.extend(other.pod_security);
        self.deleted_secrets.extend(other.deleted_secrets);
    }

    /// Whether the change touches RBAC objects (bindings or roles).
    pub fn touches_rbac(&self) -> bool {
        !(self.deleted_bindings.is_empty()
            && self.removed_subjects.is_empty()
            && self.replaced_rules.is_empty()
            && self.deleted_roles.is_empty())
    }
}

/// One object's part of a patch: a [`Change`] written down for people and
/// tools ([`Change::patches`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectPatch {
    /// The object (its source, when it exists).
    pub object: ObjectRef,
    /// What to do with it.
    #[serde(flatten)]
    pub action: PatchAction,
}

/// What a patch does to one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum PatchAction {
    /// Delete the object.
    Delete,
    /// Create the object from this manifest.
    Create {
        /// The manifest.
        manifest: Value,
    },
    /// Apply these RFC 6902 JSON Patch operations to the object's manifest
    /// (`kubectl patch --type=json` takes them as they are).
    #[serde(rename_all = "camelCase")]
    Patch {
        /// The operations, in order.
        json_patch: Vec<JsonPatchOp>,
    },
}

/// One RFC 6902 operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonPatchOp {
    /// `add` or `remove`.
    pub op: String,
    /// A JSON Pointer into the manifest.
    pub path: String,
    /// The value added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl JsonPatchOp {
    fn add(path: impl Into<String>, value: Value) -> JsonPatchOp {
        JsonPatchOp {
            op: "add".into(),
            path: path.into(),
            value: Some(value),
        }
    }

    fn remove(path: impl Into<String>) -> JsonPatchOp {
        JsonPatchOp {
            op: "remove".into(),
            path: path.into(),
            value: None,
        }
    }
}

/// Where a workload's pod spec lives in its manifest.
fn pod_spec_path(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Pod => "/spec",
        WorkloadKind::CronJob => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    }
}

impl Change {
    /// The change as patches to the graph's objects, object by object in a
    /// stable order: deletions, then patches, then objects to create.
    ///
    /// Bindings lose subjects by `remove` operations from the highest index
    /// down; roles get their whole `rules` list; pod specs, ServiceAccounts
    /// and Namespaces get the one field (Namespaces their whole label map).
    pub fn patches(&self, graph: &RbacGraph) -> Vec<ObjectPatch> {
        let mut deletes = Vec::new();
        let mut patches = Vec::new();
        let mut creates = Vec::new();
        let patch = |object: ObjectRef, ops: Vec<JsonPatchOp>| ObjectPatch {
            object,
            action: PatchAction::Patch { json_patch: ops },
        };
        for &b in &self.deleted_bindings {
            deletes.push(ObjectPatch {
                object: graph.binding_ref(b),
                action: PatchAction::Delete,
            });
        }
        for &r in &self.deleted_roles {
            deletes.push(ObjectPatch {
                object: graph.role_ref(r),
                action: PatchAction::Delete,
            });
        }
        for &s in &self.deleted_secrets {
            if let Some(x) = graph.secrets().get(s) {
                deletes.push(ObjectPatch {
                    object: ObjectRef {
                        kind: "Secret".into(),
                        name: x.name.clone(),
                        namespace: Some(x.namespace.clone()),
                        source: Some(x.source.clone()),
                    },
                    action: PatchAction::Delete,
                });
            }
        }
        for (&b, removed) in &self.removed_subjects {
            if self.deleted_bindings.contains(&b) {
                continue;
            }
            let ops = removed
                .iter()
                .rev()
                .map(|i| JsonPatchOp::remove(format!("/subjects/{i}")))
                .collect();
            patches.push(patch(graph.binding_ref(b), ops));
        }
        for (&r, rules) in &self.replaced_rules {
            if self.deleted_roles.contains(&r) {
                continue;
            }
            let value = serde_json::to_value(rules).unwrap_or(Value::Null);
            patches.push(patch(
                graph.role_ref(r),
                vec![JsonPatchOp::add("/rules", value)],
            ));
        }
        let mut workloads: BTreeMap<WorkloadId, Vec<JsonPatchOp>> = BTreeMap::new();
        for &w in &self.unmounted {
            if let Some(x) = graph.workloads().get(w.0 as usize) {
                workloads.entry(w).or_default().push(JsonPatchOp::add(
                    format!("{}/automountServiceAccountToken", pod_spec_path(x.kind)),
                    Value::Bool(false),
                ));
            }
        }
        for (&w, name) in &self.new_service_account {
            let Some(x) = graph.workloads().get(w.0 as usize) else {
                continue;
            };
            workloads.entry(w).or_default().push(JsonPatchOp::add(
                format!("{}/serviceAccountName", pod_spec_path(x.kind)),
                Value::String(name.clone()),
            ));
            if graph.service_account(&x.namespace, name).is_none() {
                creates.push(ObjectPatch {
                    object: ObjectRef {
                        kind: "ServiceAccount".into(),
                        name: name.clone(),
                        namespace: Some(x.namespace.clone()),
                        source: None,
                    },
                    action: PatchAction::Create {
                        manifest: json!({"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": {"name": name, "namespace": x.namespace}}),
                    },
                });
            }
        }
        for (w, ops) in workloads {
            if let Some(x) = graph.workloads().get(w.0 as usize) {
                let object = ObjectRef {
                    kind: x.kind.as_str().into(),
                    name: x.name.clone(),
                    namespace: Some(x.namespace.clone()),
                    source: Some(x.source.clone()),
                };
                patches.push(patch(object, ops));
            }
        }
        for (ns, name) in &self.unmounted_service_accounts {
            match graph.service_account(ns, name) {
                Some(sa) => patches.push(patch(
                    ObjectRef {
                        kind: "ServiceAccount".into(),
                        name: name.clone(),
                        namespace: Some(ns.clone()),
                        source: Some(sa.source.clone()),
                    },
                    vec![JsonPatchOp::add(
                        "/automountServiceAccountToken",
                        Value::Bool(false),
                    )],
                )),
                None => creates.push(ObjectPatch {
                    object: ObjectRef {
                        kind: "ServiceAccount".into(),
                        name: name.clone(),
                        namespace: Some(ns.clone()),
                        source: None,
                    },
                    action: PatchAction::Create {
                        manifest: json!({"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": {"name": name, "namespace": ns},
                            "automountServiceAccountToken": false}),
                    },
                }),
            }
        }
        for (ns, level) in &self.pod_security {
            match graph.namespace_object(ns) {
                Some(o) => {
                    let mut labels = o.labels.clone();
                    labels.insert(PSA_ENFORCE_LABEL.into(), level.clone());
                    patches.push(patch(
                        ObjectRef {
                            kind: "Namespace".into(),
                            name: ns.clone(),
                            namespace: None,
                            source: Some(o.source.clone()),
                        },
                        vec![JsonPatchOp::add("/metadata/labels", json!(labels))],
                    ));
                }
                None => creates.push(ObjectPatch {
                    object: ObjectRef {
                        kind: "Namespace".into(),
                        name: ns.clone(),
                        namespace: None,
                        source: None,
                    },
                    action: PatchAction::Create {
                        manifest: json!({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": ns, "labels": {PSA_ENFORCE_LABEL: level}}}),
                    },
                }),
            }
        }
        deletes.extend(patches);
        deletes.extend(creates);
        deletes
    }
}

/// Rules as a role has them: its own, or an aggregated role's after a change.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RuleList<'a> {
    /// As written (or settled).
    Slice(&'a [PolicyRule]),
    /// Re-aggregated.
    Refs(&'a [&'a PolicyRule]),
}

impl<'a> RuleList<'a> {
    /// Every rule.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a PolicyRule> {
        let (slice, refs): (&'a [PolicyRule], &'a [&'a PolicyRule]) = match self {
            RuleList::Slice(s) => (s, &[]),
            RuleList::Refs(r) => (&[], r),
        };
        slice.iter().chain(refs.iter().copied())
    }
}

/// The rules an identity holds, by scope: what the authorizer consults.
#[derive(Clone, Debug, Default)]
pub(crate) struct Holdings<'a> {
    /// In `system:masters`: allowed everything.
    pub(crate) superuser: bool,
    /// Each bound role's rules with the RoleBinding's namespace (`None`: a
    /// ClusterRoleBinding's, which applies everywhere).
    entries: Vec<(Option<&'a str>, RuleList<'a>)>,
    /// Leave out the ClusterRoleBinding rules that make cluster-admin (a
    /// shadow's view, see `paths::shadow`).
    not_admin: bool,
}

impl<'a> Holdings<'a> {
    /// What an identity holds: these bound rules by scope.
    pub(crate) fn new(superuser: bool, entries: Vec<(Option<&'a str>, RuleList<'a>)>) -> Self {
        Holdings {
            superuser,
            entries,
            not_admin: false,
        }
    }

    /// Every rule in a scope (`None`: cluster-wide), the left-out ones aside.
    fn rules<'s>(&'s self, scope: Option<&'s str>) -> impl Iterator<Item = &'a PolicyRule> + 's {
        let not_admin = self.not_admin;
        self.entries
            .iter()
            .filter(move |(s, _)| *s == scope)
            .flat_map(|(_, list)| list.iter())
            .filter(move |r| {
                !(not_admin
                    && scope.is_none()
                    && crate::query::paths::impact::makes_cluster_admin(r))
            })
    }

    /// Whether the rules allow a request: `system:masters`, or a rule that
    /// matches it through a binding in scope (a RoleBinding only for
    /// requests in its namespace).
    pub(crate) fn allows(&self, request: &Request) -> bool {
        if self.superuser {
            return true;
        }
        let ns = request.namespace();
        if self.rules(None).any(|rule| rule_allows(rule, request)) {
            return true;
        }
        !ns.is_empty() && self.rules(Some(ns)).any(|rule| rule_allows(rule, request))
    }

    /// The rules that apply in a namespace (`""`: cluster scope), as the
    /// storage's cover check collects them (`RulesFor`).
    pub(crate) fn rules_in(&self, namespace: &str) -> Vec<PolicyRule> {
        let mut out: Vec<PolicyRule> = self.rules(None).cloned().collect();
        if !namespace.is_empty() {
            out.extend(self.rules(Some(namespace)).cloned());
        }
        out
    }

    /// The same without the ClusterRoleBinding rules that make
    /// cluster-admin.
    pub(crate) fn not_admin(mut self) -> Holdings<'a> {
        self.not_admin = true;
        self
    }

    /// An owned copy.
    pub(crate) fn to_owned(&self) -> OwnedHoldings {
        let mut scopes: Vec<Option<&str>> = self.entries.iter().map(|(s, _)| *s).collect();
        scopes.sort_unstable();
        scopes.dedup();
        OwnedHoldings {
            superuser: self.superuser,
            rules: scopes
                .into_iter()
                .map(|s| (s.map(str::to_string), self.rules(s).cloned().collect()))
                .collect(),
        }
    }
}

/// [`Holdings`] that own their rules (kept by a shadow actor).
#[derive(Clone, Debug, Default)]
pub(crate) struct OwnedHoldings {
    superuser: bool,
    rules: Vec<(Option<String>, Vec<PolicyRule>)>,
}

impl OwnedHoldings {
    /// A view to ask.
    pub(crate) fn view(&self) -> Holdings<'_> {
        Holdings::new(
            self.superuser,
            self.rules
                .iter()
                .map(|(s, r)| (s.as_deref(), RuleList::Slice(r)))
                .collect(),
        )
    }
}

/// Whether a binding subject names an identity.
/// See: `pkg/registry/rbac/validation/rule.go :: appliesTo`.
pub(crate) fn subject_applies(
    subject: &Subject,
    kind: BindingKind,
    binding_ns: &str,
    identity: &Identity,
) -> bool {
    let Some(key) = subject_key(subject, kind, binding_ns) else {
        return false;
    };
    match key.kind {
        SubjectKind::Group => identity.groups.contains(&key.name),
        _ => key.username().is_some_and(|u| u == identity.name),
    }
}

/// A [`Change`] resolved against a graph: which bindings still apply to
/// whom, and which roles' rules are different afterwards.
#[derive(Debug)]
pub(crate) struct Overlay<'g> {
    graph: &'g RbacGraph,
    change: &'g Change,
    /// Roles whose own rules the change replaces (deleted ones: none).
    own: HashMap<RoleId, &'g [PolicyRule]>,
    /// Aggregated ClusterRoles downstream of them, their rules worked out
    /// when first asked.
    aggregated: HashMap<RoleId, OnceCell<Vec<&'g PolicyRule>>>,
}

impl<'g> Overlay<'g> {
    /// Resolves a change: the aggregated ClusterRoles downstream of replaced
    /// or deleted roles are marked changed (their rules are worked out when
    /// first asked, see [`Self::rules_of`]).
    pub(crate) fn new(graph: &'g RbacGraph, change: &'g Change) -> Overlay<'g> {
        let mut own: HashMap<RoleId, &'g [PolicyRule]> = HashMap::new();
        for (&role, new) in &change.replaced_rules {
            own.insert(role, new.as_slice());
        }
        for &role in &change.deleted_roles {
            own.insert(role, &[]);
        }
        let changed: Vec<usize> = own.keys().map(|r| r.0 as usize).collect();
        let aggregated = graph
            .aggregation
            .downstream(&changed)
            .into_iter()
            .map(|a| (RoleId(a as u32), OnceCell::new()))
            .collect();
        Overlay {
            graph,
            change,
            own,
            aggregated,
        }
    }

    /// An aggregated role's rules after the change, as the aggregation
    /// controller would settle them (the order of the rules aside, which no
    /// decision depends on): a rule stays while a contributor that keeps it
    /// gives it; the new rules of changed contributors join.
    fn reaggregate(&self, role: RoleId) -> Vec<&'g PolicyRule> {
        let g = self.graph;
        let a = role.0 as usize;
        let Some(current) = g.role(role).map(|r| r.rules.as_slice()) else {
            return Vec::new();
        };
        let sources = g.aggregation.sources(&g.roles);
        let changed: Vec<RoleId> = g
            .aggregation
            .contributors(a)
            .iter()
            .map(|&c| RoleId(c as u32))
            .filter(|c| self.own.contains_key(c))
            .collect();
        // How many of the changed contributors had each rule, and what
        // they give now.
        let mut lost: HashMap<u32, u32> = HashMap::new();
        let mut given: HashSet<&'g PolicyRule> = HashSet::new();
        for c in &changed {
            if let Some(old) = g.role(*c) {
                let mut mine: HashSet<u32> = HashSet::new();
                for r in &old.rules {
                    if let Some(id) = sources.id(r)
                        && mine.insert(id)
                    {
                        *lost.entry(id).or_default() += 1;
                    }
                }
            }
            given.extend(self.own.get(c).copied().unwrap_or_default());
        }
        let ids = sources.rule_ids(a);
        let mut out: Vec<&'g PolicyRule> = Vec::with_capacity(current.len());
        for (k, r) in current.iter().enumerate() {
            let id = ids.get(k).copied().unwrap_or(u32::MAX);
            let keep = match lost.get(&id) {
                None => true,
                Some(&n) => sources.count(a, id) > n || given.contains(r),
            };
            if keep {
                out.push(r);
            }
        }
        // A rule a contributor gives that the role did not have yet.
        let mut present: HashSet<&'g PolicyRule> = out.iter().copied().collect();
        for c in &changed {
            for r in self.own.get(c).copied().unwrap_or_default() {
                let had = sources.id(r).is_some_and(|id| sources.count(a, id) > 0);
                if !had && present.insert(r) {
                    out.push(r);
                }
            }
        }
        out
    }

    /// The change.
    pub(crate) fn change(&self) -> &'g Change {
        self.change
    }

    /// The rules of a role after the change.
    pub(crate) fn rules_of(&self, role: RoleId) -> RuleList<'_> {
        if let Some(r) = self.own.get(&role) {
            return RuleList::Slice(r);
        }
        if let Some(cell) = self.aggregated.get(&role) {
            return RuleList::Refs(cell.get_or_init(|| self.reaggregate(role)));
        }
        RuleList::Slice(
            self.graph
                .role(role)
                .map_or(&[][..], |r| r.rules.as_slice()),
        )
    }

    /// Roles whose effective rules the change may make different.
    pub(crate) fn changed_roles(&self) -> impl Iterator<Item = RoleId> + '_ {
        self.own.keys().chain(self.aggregated.keys()).copied()
    }

    /// Whether a role's rules may be different after the change.
    pub(crate) fn role_changed(&self, role: RoleId) -> bool {
        self.own.contains_key(&role) || self.aggregated.contains_key(&role)
    }

    /// Whether a binding is changed (deleted, a subject removed, or its
    /// role's rules different).
    pub(crate) fn binding_changed(&self, b: BindingId) -> bool {
        self.change.deleted_bindings.contains(&b)
            || self.change.removed_subjects.contains_key(&b)
            || self
                .graph
                .bound_role(b)
                .is_some_and(|(r, _)| self.role_changed(r))
    }

    /// Whether a binding still exists after the change.
    pub(crate) fn binding_exists(&self, b: BindingId) -> bool {
        !self.change.deleted_bindings.contains(&b)
    }

    /// Whether a binding applies to an identity after the change: it exists
    /// and one of its remaining subjects names the identity.
    pub(crate) fn applies(&self, b: BindingId, identity: &Identity) -> bool {
        if !self.binding_exists(b) {
            return false;
        }
        let Some(binding) = self.graph.binding(b) else {
            return false;
        };
        let removed = self.change.removed_subjects.get(&b);
        let ns = binding.namespace.as_deref().unwrap_or("");
        binding.subjects.iter().enumerate().any(|(i, s)| {
            removed.is_none_or(|r| !r.contains(&i))
                && subject_applies(s, binding.kind, ns, identity)
        })
    }

    /// What an identity holds after the change.
    pub(crate) fn holdings(&self, identity: &Identity) -> Holdings<'_> {
        let mut rules = Vec::new();
        for (b, _) in self.graph.applicable_bindings(identity) {
            if self.binding_changed(b) && !self.applies(b, identity) {
                continue;
            }
            let (Some(binding), Some((role, _))) =
                (self.graph.binding(b), self.graph.bound_role(b))
            else {
                continue;
            };
            let scope = match binding.kind {
                BindingKind::ClusterRoleBinding => None,
                BindingKind::RoleBinding => binding.namespace.as_deref(),
            };
            rules.push((scope, self.rules_of(role)));
        }
        Holdings::new(identity.is_superuser(), rules)
    }

    /// The rules that may stop granting something, each with the namespace
    /// it can only matter in (`None`: anywhere): every rule of a deleted
    /// binding's or removed subject's role (in a RoleBinding's namespace),
    /// and the rules a replaced or deleted role loses (a Role's only in its
    /// namespace; what an aggregated role downstream loses is among a
    /// ClusterRole's). A request none of them allows in its namespace is
    /// decided the same after the change as before, for everyone.
    pub(crate) fn lost_rules(&self) -> Vec<(Option<&'g str>, &'g PolicyRule)> {
        let g = self.graph;
        let mut out: Vec<(Option<&'g str>, &'g PolicyRule)> = Vec::new();
        let mut bindings: Vec<BindingId> = self
            .change
            .deleted_bindings
            .iter()
            .chain(self.change.removed_subjects.keys())
            .copied()
            .collect();
        bindings.sort_unstable();
        bindings.dedup();
        for b in bindings {
            let (Some(binding), Some((_, role))) = (g.binding(b), g.bound_role(b)) else {
                continue;
            };
            let scope = match binding.kind {
                BindingKind::ClusterRoleBinding => None,
                BindingKind::RoleBinding => binding.namespace.as_deref(),
            };
            out.extend(role.rules.iter().map(|r| (scope, r)));
        }
        for (role, new) in &self.own {
            if let Some(old) = g.role(*role) {
                let scope = match old.kind {
                    crate::model::RoleKind::Role => old.namespace.as_deref(),
                    crate::model::RoleKind::ClusterRole => None,
                };
                out.extend(
                    old.rules
                        .iter()
                        .filter(|r| !new.contains(r))
                        .map(|r| (scope, r)),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods}
rules: [{apiGroups: [''], resources: [pods], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {to-agg: 'true'}}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part, labels: {to-agg: 'true'}}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: both, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods}
subjects: [{kind: User, name: ann}, {kind: Group, name: devs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: agg}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}
subjects: [{kind: User, name: ann}]
";

    fn graph() -> RbacGraph {
        RbacGraph::builder().load_str("w", WORLD).build().unwrap()
    }

    fn ann() -> Identity {
        Identity::authenticated("ann", ["devs"])
    }

    #[test]
    fn an_empty_change_holds_what_the_authorizer_allows() {
        let g = graph();
        let change = Change::default();
        let o = Overlay::new(&g, &change);
        let held = o.holdings(&ann());
        for req in [
            Request::resource("create", "", "pods").in_namespace("web"),
            Request::resource("create", "", "pods").in_namespace("db"),
            Request::resource("get", "", "secrets").in_namespace("db"),
            Request::resource("get", "", "secrets"),
        ] {
            assert_eq!(
                held.allows(&req),
                g.authorize(&ann(), &req).allowed,
                "{req:?}"
            );
        }
    }

    #[test]
    fn a_removed_subject_leaves_the_others() {
        let g = graph();
        let pods = Request::resource("create", "", "pods").in_namespace("web");
        let mut change = Change::default();
        change
            .removed_subjects
            .insert(BindingId(0), BTreeSet::from([0]));
        let o = Overlay::new(&g, &change);
        // Still a member of `devs`, the other subject.
        assert!(o.holdings(&ann()).allows(&pods));
        let solo = Identity::authenticated("ann", Vec::<String>::new());
        assert!(!o.holdings(&solo).allows(&pods));
        assert!(o.binding_changed(BindingId(0)));
    }

    #[test]
    fn replacing_a_contributors_rules_resettles_the_aggregate() {
        let g = graph();
        let part = g
            .role_id(crate::model::RoleKind::ClusterRole, "", "part")
            .unwrap();
        let agg = g
            .role_id(crate::model::RoleKind::ClusterRole, "", "agg")
            .unwrap();
        let secrets = Request::resource("get", "", "secrets").in_namespace("db");
        assert!(g.authorize(&ann(), &secrets).allowed);
        let mut change = Change::default();
        change.replaced_rules.insert(part, Vec::new());
        let o = Overlay::new(&g, &change);
        assert!(o.role_changed(agg));
        assert_eq!(o.rules_of(agg).iter().count(), 0);
        assert!(!o.holdings(&ann()).allows(&secrets));
        assert_eq!(o.lost_rules().len(), 1);
        assert_eq!(o.lost_rules()[0].0, None);
        // A rule the role keeps is no loss.
        let rules = g.roles()[part.0 as usize].rules.clone();
        let mut same = Change::default();
        same.replaced_rules.insert(part, rules);
        let o = Overlay::new(&g, &same);
        assert!(o.lost_rules().is_empty());
        let expected: Vec<&PolicyRule> = g.roles()[agg.0 as usize].rules.iter().collect();
        assert_eq!(o.rules_of(agg).iter().collect::<Vec<_>>(), expected);
    }
}

//! Indexes that let who-can skip every role that cannot match: rules by the
//! resource string they name, bindings by the role they reference, and the
//! principals expand mode reports.
//!
//! INVARIANT: built once after aggregation, from the effective rules; the
//! graph is immutable afterwards, so the indexes never go stale.

use foldhash::HashMap;

use crate::graph::{BindingId, RoleId, RoleResolution};
use crate::matching::{ALL, verb_mask, verb_may_match};
use crate::model::{Binding, BindingKind, Role, SubjectKind};
use crate::query::SubjectRef;
use crate::request::{SYSTEM_ANONYMOUS, service_account_username, split_service_account};

/// One rule of one role.
pub(crate) type RuleRef = (RoleId, u32);

/// Query indexes (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct QueryIndex {
    /// Resource rules by each API group and resource string they list
    /// (`pods`, `pods/log`, `*/scale`, `*`, …), so a request looks up only
    /// the entries that can match it.
    /// Each with the rule's [`verb_mask`].
    by_resource: HashMap<String, HashMap<String, Vec<(RuleRef, u32)>>>,
    /// Rules with non-resource URLs (few; scanned).
    non_resource: Vec<RuleRef>,
    /// ClusterRoleBindings by the role they resolve to, in load order.
    cluster_bindings_by_role: HashMap<RoleId, Vec<BindingId>>,
    /// RoleBindings by role, then namespace, in load order.
    role_bindings_by_role_ns: HashMap<RoleId, HashMap<String, Vec<BindingId>>>,
    /// RoleBindings by role, in load order (all-namespaces mode).
    role_bindings_by_role: HashMap<RoleId, Vec<BindingId>>,
    /// ClusterRoleBindings whose role does not resolve.
    pub(crate) unresolved_cluster: Vec<BindingId>,
    /// RoleBindings whose role does not resolve, by namespace.
    pub(crate) unresolved_by_ns: HashMap<String, Vec<BindingId>>,
    /// Every principal (users and service accounts), sorted.
    pub(crate) principals: Vec<SubjectRef>,
    /// Principal index by the user name it authenticates as.
    pub(crate) principal_by_username: HashMap<String, usize>,
    /// Service-account principals by namespace.
    pub(crate) service_accounts_by_ns: HashMap<String, Vec<usize>>,
}

impl QueryIndex {
    pub(crate) fn build(
        roles: &[Role],
        bindings: &[Binding],
        resolution: &[RoleResolution],
        principals: Vec<SubjectRef>,
    ) -> Self {
        let mut index = QueryIndex::default();
        for (r, role) in roles.iter().enumerate() {
            for (i, rule) in role.rules.iter().enumerate() {
                let at = (RoleId(r as u32), i as u32);
                let verbs = verb_mask(&rule.verbs);
                for group in &rule.api_groups {
                    let by_group = index.by_resource.entry(group.clone()).or_default();
                    for resource in &rule.resources {
                        let entry = by_group.entry(resource.clone()).or_default();
                        // A rule listing a string twice is one candidate.
                        if entry.last().map(|e| e.0) != Some(at) {
                            entry.push((at, verbs));
                        }
                    }
                }
                if !rule.non_resource_urls.is_empty() {
                    index.non_resource.push(at);
                }
            }
        }
        for (b, (binding, res)) in bindings.iter().zip(resolution).enumerate() {
            let id = BindingId(b as u32);
            let ns = binding.namespace.clone().unwrap_or_default();
            match (binding.kind, res) {
                (BindingKind::ClusterRoleBinding, RoleResolution::Resolved { role }) => {
                    index
                        .cluster_bindings_by_role
                        .entry(*role)
                        .or_default()
                        .push(id);
                }
                (BindingKind::RoleBinding, RoleResolution::Resolved { role }) => {
                    index
                        .role_bindings_by_role
                        .entry(*role)
                        .or_default()
                        .push(id);
                    index
                        .role_bindings_by_role_ns
                        .entry(*role)
                        .or_default()
                        .entry(ns)
                        .or_default()
                        .push(id);
                }
                (BindingKind::ClusterRoleBinding, _) => index.unresolved_cluster.push(id),
                (BindingKind::RoleBinding, _) => {
                    index.unresolved_by_ns.entry(ns).or_default().push(id);
                }
            }
        }
        for (i, p) in principals.iter().enumerate() {
            match &p.namespace {
                Some(ns) => {
                    index
                        .principal_by_username
                        .insert(service_account_username(ns, &p.name), i);
                    index
                        .service_accounts_by_ns
                        .entry(ns.clone())
                        .or_default()
                        .push(i);
                }
                None => {
                    index.principal_by_username.insert(p.name.clone(), i);
                }
            }
        }
        index.principals = principals;
        index
    }

    /// The rules that could match a resource request for `verb` on
    /// `group`, `resource` and `subresource`: those naming the group or
    /// `*`, and the combined resource, `*` or `*/SUB`, whose verbs may
    /// include `verb` (`""`: any verb). For a verb with its own bit
    /// ([`crate::matching::verb_has_bit`]) each rule returned matches the
    /// verb, group and resource: only its `resourceNames` are left to check.
    pub(crate) fn resource_candidates(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        subresource: &str,
    ) -> Vec<RuleRef> {
        let mut resources: Vec<String> = vec![ALL.to_string()];
        if subresource.is_empty() {
            resources.push(resource.to_string());
        } else {
            resources.push(format!("{resource}/{subresource}"));
            resources.push(format!("*/{subresource}"));
        }
        let mut out: Vec<RuleRef> = Vec::new();
        for g in [group, ALL] {
            let Some(by_group) = self.by_resource.get(g) else {
                continue;
            };
            for r in &resources {
                out.extend(
                    by_group
                        .get(r.as_str())
                        .into_iter()
                        .flatten()
                        .filter(|(_, mask)| verb.is_empty() || verb_may_match(*mask, verb))
                        .map(|(at, _)| *at),
                );
            }
            if group == ALL {
                break;
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Rules that have non-resource URLs.
    pub(crate) fn non_resource_candidates(&self) -> &[RuleRef] {
        &self.non_resource
    }

    /// ClusterRoleBindings of a role.
    pub(crate) fn cluster_bindings_of(&self, role: RoleId) -> &[BindingId] {
        self.cluster_bindings_by_role
            .get(&role)
            .map_or(&[], Vec::as_slice)
    }

    /// RoleBindings of a role in one namespace.
    pub(crate) fn role_bindings_of_in(&self, role: RoleId, namespace: &str) -> &[BindingId] {
        self.role_bindings_by_role_ns
            .get(&role)
            .and_then(|by_ns| by_ns.get(namespace))
            .map_or(&[], Vec::as_slice)
    }

    /// RoleBindings of a role in every namespace.
    pub(crate) fn role_bindings_of(&self, role: RoleId) -> &[BindingId] {
        self.role_bindings_by_role
            .get(&role)
            .map_or(&[], Vec::as_slice)
    }

    /// The principals a bound subject admits, as implicit groups decide:
    /// `system:authenticated` admits every principal but the anonymous user,
    /// `system:unauthenticated` the anonymous user, `system:serviceaccounts`
    /// every service account, `system:serviceaccounts:NS` those of NS; a user
    /// or service account admits itself. Other groups admit no known
    /// principal (membership is not recorded in RBAC objects).
    ///
    /// See: rbac-semantics.md §4 (implicit groups), [`crate::Identity::authenticated`].
    pub(crate) fn admitted(&self, kind: &SubjectKind, name: &str, namespace: &str) -> Vec<usize> {
        match kind {
            SubjectKind::User => self
                .principal_by_username
                .get(name)
                .copied()
                .into_iter()
                .collect(),
            // A ServiceAccount subject without a namespace never matches.
            SubjectKind::ServiceAccount if namespace.is_empty() => Vec::new(),
            SubjectKind::ServiceAccount => self
                .principal_by_username
                .get(&service_account_username(namespace, name))
                .copied()
                .into_iter()
                .collect(),
            SubjectKind::Group => match name {
                crate::request::SYSTEM_AUTHENTICATED => {
                    let anonymous = self.principal_by_username.get(SYSTEM_ANONYMOUS).copied();
                    (0..self.principals.len())
                        .filter(|&i| Some(i) != anonymous)
                        .collect()
                }
                crate::request::SYSTEM_UNAUTHENTICATED => self
                    .principal_by_username
                    .get(SYSTEM_ANONYMOUS)
                    .copied()
                    .into_iter()
                    .collect(),
                crate::request::SYSTEM_SERVICEACCOUNTS => self
                    .service_accounts_by_ns
                    .values()
                    .flatten()
                    .copied()
                    .collect(),
                other => match other.strip_prefix("system:serviceaccounts:") {
                    Some(ns) => self
                        .service_accounts_by_ns
                        .get(ns)
                        .cloned()
                        .unwrap_or_default(),
                    None => Vec::new(),
                },
            },
            SubjectKind::Other(_) => Vec::new(),
        }
    }
}

/// Every principal named by subject keys: users, and service accounts with
/// a namespace; a user spelled as a service-account user name is that
/// service account. Sorted and deduplicated.
pub(crate) fn principals<'a>(
    keys: impl Iterator<Item = &'a crate::graph::SubjectKey>,
) -> Vec<SubjectRef> {
    let mut out: Vec<SubjectRef> = Vec::new();
    for key in keys {
        match key.kind {
            SubjectKind::User => match split_service_account(&key.name) {
                Some((ns, name)) => out.push(SubjectRef::service_account(ns, name)),
                None => out.push(SubjectRef::user(&key.name)),
            },
            SubjectKind::ServiceAccount if !key.namespace.is_empty() => {
                out.push(SubjectRef::service_account(&key.namespace, &key.name))
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

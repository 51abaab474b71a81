//! Recognising the API server's own default roles and bindings, so that the
//! audit does not report them as user mistakes unless they were modified.
//!
//! The reference is the bootstrap policy as the upstream tests serialise it
//! (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/`), embedded
//! from `crates/rbacgraph/data/bootstrap/` (see its README for the commits).
//!
//! - A role with the name of a default role is unmodified when its rules
//!   grant nothing the default's do not ([`crate::covers`]), or, for the
//!   aggregated `admin`/`edit`/`view`, when its aggregation selectors are the
//!   default's (what other roles contribute is reported on those roles).
//! - A binding with the name of a default binding is unmodified when it
//!   references the same role and names no subject the default does not.
//! - Objects the embedded copy does not have (defaults of other releases)
//!   count as defaults when they carry the `system:` prefix and, for a role,
//!   the label `kubernetes.io/bootstrapping: rbac-defaults`, or, for a
//!   binding, reference a default role whose name has that prefix.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::graph::{BindingId, RbacGraph, RoleId};
use crate::model::{Binding, Role, RoleKind};
use crate::query::ObjectRef;
use crate::query::who_can::Grant;

/// The label the API server puts on its default roles and bindings.
pub const BOOTSTRAPPING_LABEL: &str = "kubernetes.io/bootstrapping";
/// Its value.
pub const RBAC_DEFAULTS: &str = "rbac-defaults";

const FILES: [(&str, &str); 5] = [
    (
        "bootstrap/cluster-roles-featuregates.yaml",
        include_str!("../../../data/bootstrap/cluster-roles-featuregates.yaml"),
    ),
    (
        "bootstrap/controller-roles-featuregates.yaml",
        include_str!("../../../data/bootstrap/controller-roles-featuregates.yaml"),
    ),
    (
        "bootstrap/cluster-role-bindings.yaml",
        include_str!("../../../data/bootstrap/cluster-role-bindings.yaml"),
    ),
    (
        "bootstrap/namespace-roles.yaml",
        include_str!("../../../data/bootstrap/namespace-roles.yaml"),
    ),
    (
        "bootstrap/namespace-role-bindings.yaml",
        include_str!("../../../data/bootstrap/namespace-role-bindings.yaml"),
    ),
];

/// The embedded default policy as a graph (built once).
pub fn bootstrap_policy() -> &'static RbacGraph {
    static POLICY: OnceLock<RbacGraph> = OnceLock::new();
    POLICY.get_or_init(|| {
        FILES
            .iter()
            .fold(RbacGraph::builder(), |b, (label, text)| {
                b.load_str(label, text)
            })
            .build()
            .unwrap_or_else(|_| RbacGraph::from_objects(Vec::new()))
    })
}

/// Which roles and bindings of a graph are unmodified defaults.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    roles: HashSet<RoleId>,
    bindings: HashSet<BindingId>,
    /// Default roles and bindings by name: (kind, namespace or `""`).
    role_keys: HashMap<String, Vec<(String, String)>>,
    binding_keys: HashMap<String, Vec<(String, String)>>,
}

impl Defaults {
    /// Classifies every role and binding of `graph`.
    pub fn of(graph: &RbacGraph) -> Defaults {
        let policy = bootstrap_policy();
        let mut d = Defaults::default();
        for (i, role) in graph.roles().iter().enumerate() {
            if role_is_default(policy, role) {
                d.roles.insert(RoleId(i as u32));
                insert(
                    &mut d.role_keys,
                    role.kind.as_str(),
                    role.namespace.as_deref(),
                    &role.name,
                );
            }
        }
        for (i, binding) in graph.bindings().iter().enumerate() {
            let id = BindingId(i as u32);
            let role_default = graph
                .bound_role(id)
                .is_none_or(|(r, _)| d.roles.contains(&r));
            if binding_is_default(policy, binding, role_default) {
                d.bindings.insert(id);
                insert(
                    &mut d.binding_keys,
                    binding.kind.as_str(),
                    binding.namespace.as_deref(),
                    &binding.name,
                );
            }
        }
        d
    }

    /// Whether a role is an unmodified default.
    pub fn role(&self, id: RoleId) -> bool {
        self.roles.contains(&id)
    }

    /// Whether a binding is an unmodified default.
    pub fn binding(&self, id: BindingId) -> bool {
        self.bindings.contains(&id)
    }

    /// Whether a who-can grant comes from an unmodified default binding of
    /// an unmodified default role.
    pub fn grant(&self, grant: &Grant) -> bool {
        self.binding_ref(&grant.binding) && self.role_ref(&grant.role)
    }

    /// Whether a binding reference names an unmodified default binding.
    pub fn binding_ref(&self, r: &ObjectRef) -> bool {
        contains(&self.binding_keys, r)
    }

    /// Whether a role reference names an unmodified default role.
    pub fn role_ref(&self, r: &ObjectRef) -> bool {
        contains(&self.role_keys, r)
    }
}

fn insert(
    keys: &mut HashMap<String, Vec<(String, String)>>,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) {
    keys.entry(name.to_string())
        .or_default()
        .push((kind.to_string(), namespace.unwrap_or_default().to_string()));
}

/// Looked up by name without allocating: most names are no default.
fn contains(keys: &HashMap<String, Vec<(String, String)>>, r: &ObjectRef) -> bool {
    keys.get(&r.name).is_some_and(|v| {
        v.iter()
            .any(|(k, ns)| *k == r.kind && ns == r.namespace.as_deref().unwrap_or_default())
    })
}

fn role_is_default(policy: &RbacGraph, role: &Role) -> bool {
    let ns = role.namespace.as_deref().unwrap_or("");
    match policy
        .role_id(role.kind, ns, &role.name)
        .and_then(|id| policy.role(id))
    {
        Some(default) => match (&default.aggregation, &role.aggregation) {
            (Some(theirs), Some(ours)) => theirs == ours,
            (Some(_), None) | (None, Some(_)) => false,
            (None, None) => crate::covers(&default.rules, &role.rules).0,
        },
        None => {
            role.name.starts_with("system:")
                && role.labels.get(BOOTSTRAPPING_LABEL).map(String::as_str) == Some(RBAC_DEFAULTS)
        }
    }
}

fn binding_is_default(policy: &RbacGraph, binding: &Binding, role_default: bool) -> bool {
    let found = policy.bindings().iter().find(|b| {
        b.kind == binding.kind && b.namespace == binding.namespace && b.name == binding.name
    });
    match found {
        Some(default) => {
            role_default
                && default.role_ref.kind == binding.role_ref.kind
                && default.role_ref.name == binding.role_ref.name
                && binding.subjects.iter().all(|s| {
                    default
                        .subjects
                        .iter()
                        .any(|d| d.kind == s.kind && d.name == s.name && d.namespace == s.namespace)
                })
        }
        None => {
            role_default
                && binding.name.starts_with("system:")
                && binding.role_ref.name.starts_with("system:")
        }
    }
}

/// Whether a role kind and name is one of the API server's defaults (in
/// the embedded policy), modified or not.
pub fn is_default_name(kind: RoleKind, namespace: &str, name: &str) -> bool {
    bootstrap_policy().role_id(kind, namespace, name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_policy_loads_without_errors() {
        let p = bootstrap_policy();
        assert!(p.roles().len() > 80, "{}", p.roles().len());
        assert!(p.bindings().len() >= 10);
        assert!(
            p.diagnostics()
                .iter()
                .all(|d| d.severity != crate::Severity::Error),
            "{:?}",
            p.diagnostics()
        );
        assert!(is_default_name(RoleKind::ClusterRole, "", "cluster-admin"));
    }

    #[test]
    fn the_default_policy_is_all_defaults_and_a_change_is_not() {
        let p = bootstrap_policy();
        let d = Defaults::of(p);
        assert_eq!(d.roles.len(), p.roles().len());
        assert_eq!(d.bindings.len(), p.bindings().len());

        let changed = RbacGraph::builder()
            .load_str(
                "x",
                "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: 'system:discovery'}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: 'system:masters'}, {kind: User, name: mallory}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}, {nonResourceURLs: ['*'], verbs: ['*']}]
",
            )
            .build()
            .unwrap();
        let d = Defaults::of(&changed);
        assert!(!d.role(RoleId(0)), "system:discovery now reads secrets");
        assert!(!d.binding(BindingId(0)), "a subject was added");
        assert!(d.role(RoleId(1)), "cluster-admin is unchanged");
    }
}

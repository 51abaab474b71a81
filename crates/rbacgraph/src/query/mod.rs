//! Queries over an [`RbacGraph`]: authorize (can-i), who-can, rules-for
//! (can-i --list), the RBAC storage's escalation checks, escalation paths,
//! permission diffs, audit-log usage and the hardening audit.

pub mod audit;
pub mod authorize;
pub mod check;
pub mod diff;
pub mod escalation;
pub mod paths;
pub mod rules_for;
pub mod ruleset;
pub mod usage;
pub mod whatif;
pub mod who_can;

use serde::Serialize;

use crate::graph::{BindingId, RbacGraph, RoleId, RoleResolution};
use crate::model::{Source, Subject, SubjectKind};

/// A reference to an object, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// File and document, when the object exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::model::describe(
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
        ))
    }
}

/// A subject as reported: ServiceAccounts always with their namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectRef {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (ServiceAccount only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl SubjectRef {
    /// A User.
    pub fn user(name: &str) -> Self {
        SubjectRef {
            kind: "User".into(),
            name: name.into(),
            namespace: None,
        }
    }

    /// A Group.
    pub fn group(name: &str) -> Self {
        SubjectRef {
            kind: "Group".into(),
            name: name.into(),
            namespace: None,
        }
    }

    /// A ServiceAccount.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        SubjectRef {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(namespace.into()),
        }
    }

    pub(crate) fn from_key(key: &crate::graph::SubjectKey) -> Self {
        match key.kind {
            SubjectKind::ServiceAccount => SubjectRef::service_account(&key.namespace, &key.name),
            _ => SubjectRef {
                kind: key.kind.as_str().into(),
                name: key.name.clone(),
                namespace: None,
            },
        }
    }
}

impl std::fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

impl RbacGraph {
    /// A reference to a binding.
    pub fn binding_ref(&self, id: BindingId) -> ObjectRef {
        match self.binding(id) {
            Some(b) => ObjectRef {
                kind: b.kind.as_str().into(),
                name: b.name.clone(),
                namespace: b.namespace.clone(),
                source: Some(b.source.clone()),
            },
            None => ObjectRef {
                kind: "Binding".into(),
                name: String::new(),
                namespace: None,
                source: None,
            },
        }
    }

    /// A reference to a role.
    pub fn role_ref(&self, id: RoleId) -> ObjectRef {
        match self.role(id) {
            Some(r) => ObjectRef {
                kind: r.kind.as_str().into(),
                name: r.name.clone(),
                namespace: r.namespace.clone(),
                source: Some(r.source.clone()),
            },
            None => ObjectRef {
                kind: "Role".into(),
                name: String::new(),
                namespace: None,
                source: None,
            },
        }
    }

    /// A reference to what a binding's roleRef names (even when missing).
    pub fn referenced_role(&self, id: BindingId) -> ObjectRef {
        if let Some((role, _)) = self.bound_role(id) {
            return self.role_ref(role);
        }
        match self.binding(id) {
            Some(b) => ObjectRef {
                kind: b.role_ref.kind.clone(),
                name: b.role_ref.name.clone(),
                namespace: (b.role_ref.kind == "Role")
                    .then(|| b.namespace.clone())
                    .flatten(),
                source: None,
            },
            None => ObjectRef {
                kind: "Role".into(),
                name: String::new(),
                namespace: None,
                source: None,
            },
        }
    }

    /// The error upstream reports for an unresolvable roleRef, if any.
    pub(crate) fn resolution_error(&self, id: BindingId) -> Option<String> {
        let binding = self.binding(id)?;
        let what = crate::model::describe(
            binding.kind.as_str(),
            binding.namespace.as_deref(),
            &binding.name,
        );
        match self.resolution(id)? {
            RoleResolution::Resolved { .. } => None,
            RoleResolution::Missing => Some(format!(
                "{what}: {} `{}` not found",
                binding.role_ref.kind, binding.role_ref.name
            )),
            RoleResolution::Invalid { reason } => Some(format!("{what}: {reason}")),
        }
    }

    /// A binding subject as reported (ServiceAccount namespace defaulted for
    /// RoleBindings); `None` for subjects that can never match.
    pub(crate) fn report_subject(&self, id: BindingId, subject: &Subject) -> Option<SubjectRef> {
        let b = self.binding(id)?;
        let key = crate::graph::subject_key(subject, b.kind, b.namespace.as_deref().unwrap_or(""))?;
        if key.kind == SubjectKind::ServiceAccount && key.namespace.is_empty() {
            return None;
        }
        Some(SubjectRef::from_key(&key))
    }
}

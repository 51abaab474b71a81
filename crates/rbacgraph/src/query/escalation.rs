//! The RBAC storage's escalation prevention: may an identity write a role
//! or binding? Rules cover other rules ([`covers`]); a role write needs
//! `escalate` or coverage; a binding write needs `bind` or coverage.
//!
//! See: `pkg/registry/rbac/escalation_check.go`, the `policybased` storages
//! and `component-helpers/auth/rbac/validation/policy_comparator.go :: Covers`
//! (rbac-semantics.md §6).

use serde::Serialize;

use super::authorize::Decision;
use crate::RBAC_GROUP;
use crate::graph::RbacGraph;
use crate::matching::{ALL, url_form_matches};
use crate::model::{Binding, BindingKind, PolicyRule, Role, RoleKind};
use crate::request::{Identity, Request, ResourceRequest};

/// Whether `owner` covers every permission of `servant`; returns the
/// uncovered atoms. Each servant rule is broken into atoms (one group,
/// resource, verb and name; or one URL and verb) and each atom must be
/// covered by a single owner rule.
///
/// ```
/// use rbacgraph::{covers, PolicyRule};
/// let owner = [PolicyRule::resource(["get"], ["*"], ["*/scale"])];
/// let (ok, missing) = covers(&owner, &[PolicyRule::resource(["get", "list"], ["apps"], ["deployments/scale"])]);
/// assert!(!ok);
/// assert_eq!(missing, [PolicyRule::resource(["list"], ["apps"], ["deployments/scale"])]);
/// ```
pub fn covers(owner: &[PolicyRule], servant: &[PolicyRule]) -> (bool, Vec<PolicyRule>) {
    let mut missing = Vec::new();
    for rule in servant {
        for atom in breakdown(rule) {
            if !owner.iter().any(|o| rule_covers(o, &atom)) {
                missing.push(atom);
            }
        }
    }
    (missing.is_empty(), missing)
}

/// The atoms of a rule: one (group, resource, verb[, name]) or (URL, verb)
/// each, as the storage's cover check compares them.
/// See: `policy_comparator.go :: BreakdownRule`.
///
/// ```
/// use rbacgraph::PolicyRule;
/// use rbacgraph::query::escalation::breakdown;
/// let atoms = breakdown(&PolicyRule::resource(["get", "list"], [""], ["pods"]));
/// assert_eq!(atoms.len(), 2);
/// assert_eq!(atoms[0], PolicyRule::resource(["get"], [""], ["pods"]));
/// ```
pub fn breakdown(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    for group in &rule.api_groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                let atom =
                    PolicyRule::resource([verb.as_str()], [group.as_str()], [resource.as_str()]);
                if rule.resource_names.is_empty() {
                    out.push(atom);
                } else {
                    out.extend(
                        rule.resource_names
                            .iter()
                            .map(|n| atom.clone().with_names([n.as_str()])),
                    );
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        for verb in &rule.verbs {
            out.push(PolicyRule::non_resource([verb.as_str()], [url.as_str()]));
        }
    }
    out
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}

/// Whether one owner rule covers one atom. See: `policy_comparator.go :: ruleCovers`.
pub(crate) fn rule_covers(owner: &PolicyRule, atom: &PolicyRule) -> bool {
    let verbs = atom
        .verbs
        .iter()
        .all(|v| has(&owner.verbs, ALL) || has(&owner.verbs, v));
    let groups = atom
        .api_groups
        .iter()
        .all(|g| has(&owner.api_groups, ALL) || has(&owner.api_groups, g));
    let resources = atom
        .resources
        .iter()
        .all(|r| resource_covers(&owner.resources, r));
    let names = if atom.resource_names.is_empty() {
        owner.resource_names.is_empty()
    } else {
        owner.resource_names.is_empty()
            || atom
                .resource_names
                .iter()
                .all(|n| has(&owner.resource_names, n))
    };
    let urls = atom.non_resource_urls.iter().all(|u| {
        owner
            .non_resource_urls
            .iter()
            .any(|o| non_resource_url_covers(o, u))
    });
    verbs && groups && resources && names && urls
}

fn resource_covers(owner: &[String], resource: &str) -> bool {
    if has(owner, ALL) || has(owner, resource) {
        return true;
    }
    match resource.split_once('/') {
        Some((_, sub)) => has(owner, &format!("*/{sub}")),
        None => false,
    }
}

/// Whether an owner URL covers a requested URL. See: `policy_comparator.go
/// :: nonResourceURLCovers`.
pub fn non_resource_url_covers(owner: &str, requested: &str) -> bool {
    url_form_matches(owner, requested)
}

/// The operation on an RBAC object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum WriteOp {
    /// `create` (the request carries no object name).
    Create,
    /// `update` (the request carries the object name).
    Update,
}

/// How an RBAC write got past escalation prevention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "camelCase")]
pub enum EscalationVerdict {
    /// `system:masters`: no check, no authorizer call.
    Superuser,
    /// The authorizer allowed `escalate` (roles) or `bind` (bindings).
    #[serde(rename_all = "camelCase")]
    Verb {
        /// `escalate` or `bind`.
        verb: String,
        /// The decision that allowed it.
        decision: Box<Decision>,
    },
    /// The writer already holds every permission granted.
    Covered,
    /// None of the above: these permissions are missing.
    #[serde(rename_all = "camelCase")]
    Forbidden {
        /// Uncovered permissions.
        missing: Vec<PolicyRule>,
        /// Resolution errors (e.g. the bound role does not exist).
        errors: Vec<String>,
    },
}

/// The outcome of checking an RBAC write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteCheck {
    /// Allowed overall.
    pub allowed: bool,
    /// The ordinary authorization of the write (create/update on the
    /// roles/bindings resource).
    pub authorization: Decision,
    /// The escalation check (only meaningful when authorized).
    pub escalation: EscalationVerdict,
}

impl WriteCheck {
    /// Whether the storage consulted the authorizer for `escalate`/`bind`.
    pub fn consulted_authorizer(&self) -> bool {
        !matches!(self.escalation, EscalationVerdict::Superuser)
    }
}

fn write_request(op: WriteOp, resource: &str, namespace: &str, name: &str) -> Request {
    let verb = match op {
        WriteOp::Create => "create",
        WriteOp::Update => "update",
    };
    let name = if op == WriteOp::Create { "" } else { name };
    Request::resource(verb, RBAC_GROUP, resource)
        .in_namespace(namespace)
        .named(name)
}

impl RbacGraph {
    /// May `identity` create or update `role`? Authorized normally, then:
    /// superuser; or `escalate` on it (no name on create); or every rule is
    /// covered by the writer's RBAC rules in the role's namespace (for an
    /// aggregated ClusterRole, full authority is needed as well).
    pub fn check_role_write(&self, identity: &Identity, role: &Role, op: WriteOp) -> WriteCheck {
        let (resource, namespace) = match role.kind {
            RoleKind::Role => ("roles", role.namespace.clone().unwrap_or_default()),
            RoleKind::ClusterRole => ("clusterroles", String::new()),
        };
        let write = write_request(op, resource, &namespace, &role.name);
        // `escalate` is asked on the very object written (no name on create).
        let escalate = Request::Resource(ResourceRequest {
            verb: "escalate".into(),
            ..match &write {
                Request::Resource(r) => r.clone(),
                Request::NonResource(_) => ResourceRequest::default(),
            }
        });
        let mut wanted = role.rules.clone();
        if role.aggregation.is_some() {
            // "must have cluster-admin privileges to use the aggregationRule"
            wanted.push(PolicyRule::resource(["*"], ["*"], ["*"]));
            wanted.push(PolicyRule::non_resource(["*"], ["*"]));
        }
        self.check_write(identity, &write, &escalate, &namespace, Ok(wanted))
    }

    /// May `identity` create or update `binding`? Authorized normally, then:
    /// superuser; or `bind` on the referenced role (resourceNames = its name,
    /// in the binding's namespace); or the role's rules are covered by the
    /// writer's RBAC rules in the binding's namespace. A binding to a role
    /// that does not exist needs `bind`.
    pub fn check_binding_write(
        &self,
        identity: &Identity,
        binding: &Binding,
        op: WriteOp,
    ) -> WriteCheck {
        let (resource, namespace) = match binding.kind {
            BindingKind::RoleBinding => (
                "rolebindings",
                binding.namespace.clone().unwrap_or_default(),
            ),
            BindingKind::ClusterRoleBinding => ("clusterrolebindings", String::new()),
        };
        let write = write_request(op, resource, &namespace, &binding.name);
        let role_ref = &binding.role_ref;
        let role_resource = if role_ref.kind == "Role" {
            "roles"
        } else {
            "clusterroles"
        };
        let group = if role_ref.api_group.is_empty() {
            RBAC_GROUP
        } else {
            role_ref.api_group.as_str()
        };
        let bind = Request::resource("bind", group, role_resource)
            .in_namespace(&namespace)
            .named(&role_ref.name);
        let wanted = self
            .role_for_ref(&role_ref.kind, &namespace, &role_ref.name)
            .map(|role| role.rules.clone())
            .ok_or_else(|| format!("{} `{}` not found", role_ref.kind, role_ref.name));
        self.check_write(identity, &write, &bind, &namespace, wanted)
    }

    /// The storage's sequence for any RBAC write: the ordinary authorization
    /// of `write`; then superuser, or the special `verb_request`
    /// (`escalate`/`bind`) through the authorizer, or coverage of `wanted`
    /// by the writer's RBAC rules in `namespace` (`Err` when what would be
    /// granted cannot be resolved).
    fn check_write(
        &self,
        identity: &Identity,
        write: &Request,
        verb_request: &Request,
        namespace: &str,
        wanted: Result<Vec<PolicyRule>, String>,
    ) -> WriteCheck {
        let authorization = self.authorize(identity, write);
        let escalation = if identity.is_superuser() {
            EscalationVerdict::Superuser
        } else {
            let decision = self.authorize(identity, verb_request);
            if decision.allowed {
                EscalationVerdict::Verb {
                    verb: verb_request.verb().to_string(),
                    decision: Box::new(decision),
                }
            } else {
                match wanted {
                    Err(error) => EscalationVerdict::Forbidden {
                        missing: Vec::new(),
                        errors: vec![error],
                    },
                    Ok(wanted) => {
                        let held = self.rules_for(identity, namespace);
                        let owner: Vec<PolicyRule> =
                            held.rules.into_iter().map(|r| r.rule).collect();
                        match covers(&owner, &wanted) {
                            (true, _) => EscalationVerdict::Covered,
                            (false, missing) => EscalationVerdict::Forbidden {
                                missing,
                                errors: held.errors,
                            },
                        }
                    }
                }
            }
        };
        let allowed =
            authorization.allowed && !matches!(escalation, EscalationVerdict::Forbidden { .. });
        WriteCheck {
            allowed,
            authorization,
            escalation,
        }
    }

    /// The role a roleRef names, resolved in `namespace` for a Role.
    pub fn role_for_ref(&self, kind: &str, namespace: &str, name: &str) -> Option<&Role> {
        let id = match kind {
            "Role" => self.role_id(RoleKind::Role, namespace, name),
            "ClusterRole" => self.role_id(RoleKind::ClusterRole, "", name),
            _ => None,
        }?;
        self.role(id)
    }
}

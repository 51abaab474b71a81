//! `can-i`: is a request allowed, and why (or why not)?

use serde::Serialize;

use super::{ObjectRef, SubjectRef};
use crate::graph::{BindingId, RbacGraph, RoleId, RoleResolution, SubjectKey};
use crate::matching::{
    Mismatch, group_matches, mismatches, resource_matches, rule_allows, verb_matches,
};
use crate::model::{BindingKind, PolicyRule, SubjectKind};
use crate::request::{Identity, Request, SYSTEM_MASTERS};

/// The answer to "may this identity make this request?".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Allowed by RBAC or by membership in `system:masters`.
    pub allowed: bool,
    /// Every reason it is allowed, in the authorizer's visiting order.
    pub reasons: Vec<Reason>,
    /// When denied: the near misses and why each missed.
    pub why_not: Vec<NearMiss>,
    /// Role references that could not be resolved while evaluating (the
    /// authorizer reports them only when nothing allowed the request).
    pub errors: Vec<String>,
}

/// One reason a request is allowed.
#[allow(
    clippy::large_enum_variant,
    reason = "answers are read, not moved in bulk"
)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Reason {
    /// The identity is in `system:masters`, which the privileged-groups
    /// authorizer allows everything before RBAC is asked.
    #[serde(rename_all = "camelCase")]
    PrivilegedGroup {
        /// `system:masters`.
        group: String,
    },
    /// A rule of a bound role allows it.
    #[serde(rename_all = "camelCase")]
    Rule {
        /// The binding subject that matched the identity.
        subject: SubjectRef,
        /// The binding.
        binding: ObjectRef,
        /// The role.
        role: ObjectRef,
        /// Index of the rule in the role's (effective) rules.
        rule_index: usize,
        /// The rule.
        rule: PolicyRule,
    },
}

/// Why a near miss missed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum MissReason {
    /// The binding applies but its role does not exist.
    MissingRole,
    /// The binding applies but its roleRef can never resolve.
    #[serde(rename_all = "camelCase")]
    InvalidRoleRef {
        /// Why.
        detail: String,
    },
    /// A RoleBinding in another namespace would allow it.
    #[serde(rename_all = "camelCase")]
    OtherNamespace {
        /// The binding's namespace.
        binding_namespace: String,
        /// The request's namespace.
        request_namespace: String,
    },
    /// A RoleBinding's role allows it, but the request is cluster-scoped,
    /// across all namespaces or a non-resource URL, which only
    /// ClusterRoleBindings can grant.
    #[serde(rename_all = "camelCase")]
    RoleBindingScope {
        /// The binding's namespace.
        binding_namespace: String,
    },
    /// One part of a rule does not match. For `ResourceNames` the verb may
    /// not match either (the message says so).
    #[serde(rename_all = "camelCase")]
    Rule {
        /// The part.
        mismatch: Mismatch,
    },
    /// A ClusterRoleBinding names this service account without a namespace,
    /// so the subject never matches.
    ServiceAccountWithoutNamespace,
}

/// A binding or rule that almost allows the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NearMiss {
    /// Why it missed.
    #[serde(flatten)]
    pub reason: MissReason,
    /// The binding.
    pub binding: ObjectRef,
    /// The role (as referenced, even when missing).
    pub role: ObjectRef,
    /// The rule, when one rule is at issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    /// A sentence for people.
    pub message: String,
}

/// Whether a resource rule misses a resource request on two of verb, API
/// group and resource: then [`mismatches`] has two entries other than
/// verb and resourceNames, and the rule is no near miss. A quick test
/// that saves listing the mismatches of most rules.
fn far(rule: &PolicyRule, request: &Request) -> bool {
    let Request::Resource(r) = request else {
        return false;
    };
    if rule.resources.is_empty() {
        return false;
    }
    let misses = [
        !verb_matches(rule, &r.verb),
        !group_matches(rule, &r.api_group),
        !resource_matches(rule, &r.resource, &r.subresource),
    ];
    misses.iter().filter(|&&m| m).count() >= 2
}

impl RbacGraph {
    /// Decides a request exactly as the API server's authorizer chain would
    /// with RBAC alone: `system:masters` first, then every ClusterRoleBinding,
    /// then the RoleBindings of the request's namespace.
    ///
    /// # Arguments
    /// * `identity` — the user and groups, as authenticated (see
    ///   [`Identity::authenticated`] for the implicit groups).
    /// * `request` — the request attributes.
    ///
    /// # Returns
    /// A [`Decision`] with every allowing rule, or when denied the near misses.
    ///
    /// # Complexity
    /// O(bindings naming the identity or its groups × their rules), plus, when
    /// denied, the same again for the near misses.
    ///
    /// # Example
    /// ```
    /// use rbacgraph::{Identity, RbacGraph, Request};
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: reader, namespace: web}
    /// rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: read, namespace: web}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
    /// subjects: [{kind: User, name: jane}]
    /// ").build().unwrap();
    /// let jane = Identity::authenticated("jane", Vec::<String>::new());
    /// assert!(graph.authorize(&jane, &Request::resource("get", "", "pods").in_namespace("web")).allowed);
    /// let other = graph.authorize(&jane, &Request::resource("get", "", "pods").in_namespace("db"));
    /// assert!(!other.allowed);
    /// assert!(other.why_not[0].message.contains("namespace web"));
    /// ```
    pub fn authorize(&self, identity: &Identity, request: &Request) -> Decision {
        let mut decision = Decision::default();
        if identity.is_superuser() {
            decision.reasons.push(Reason::PrivilegedGroup {
                group: SYSTEM_MASTERS.into(),
            });
        }
        let mut applicable = self.applicable_bindings(identity);
        // The authorizer visits all ClusterRoleBindings, then RoleBindings.
        applicable.sort_by_key(|&(b, _)| (self.is_role_binding(b), b));
        for &(b, subject_index) in &applicable {
            if !self.binding_in_scope(b, request.namespace()) {
                continue;
            }
            let Some((role_id, role)) = self.bound_role(b) else {
                decision.errors.extend(self.resolution_error(b));
                continue;
            };
            for (i, rule) in role.rules.iter().enumerate() {
                if rule_allows(rule, request) {
                    decision.reasons.push(Reason::Rule {
                        subject: self.matched_subject(b, subject_index),
                        binding: self.binding_ref(b),
                        role: self.role_ref(role_id),
                        rule_index: i,
                        rule: rule.clone(),
                    });
                }
            }
        }
        decision.allowed = !decision.reasons.is_empty();
        if !decision.allowed {
            decision.why_not = self.near_misses(identity, request, &applicable);
        }
        decision
    }

    fn is_role_binding(&self, b: BindingId) -> bool {
        self.binding(b)
            .is_some_and(|x| x.kind == BindingKind::RoleBinding)
    }

    /// A ClusterRoleBinding applies everywhere; a RoleBinding only to
    /// requests whose namespace attribute is its namespace.
    pub(crate) fn binding_in_scope(&self, b: BindingId, namespace: &str) -> bool {
        match self.binding(b) {
            Some(x) if x.kind == BindingKind::ClusterRoleBinding => true,
            Some(x) => !namespace.is_empty() && x.namespace.as_deref() == Some(namespace),
            None => false,
        }
    }

    pub(crate) fn matched_subject(&self, b: BindingId, index: usize) -> SubjectRef {
        self.binding(b)
            .and_then(|x| x.subjects.get(index))
            .and_then(|s| self.report_subject(b, s))
            .unwrap_or_else(|| SubjectRef::user(""))
    }

    fn near_misses(
        &self,
        identity: &Identity,
        request: &Request,
        applicable: &[(BindingId, usize)],
    ) -> Vec<NearMiss> {
        let mut out = Vec::new();
        let ns = request.namespace();
        // The first rule of a role that allows the request, by role: one
        // role is often bound in many namespaces.
        let mut first_allowing: Vec<(RoleId, Option<usize>)> = Vec::new();
        for &(b, _) in applicable {
            // The references are made only for a binding that is near.
            let refs = || (self.binding_ref(b), self.referenced_role(b));
            let in_scope = self.binding_in_scope(b, ns);
            let rules = match self.resolution(b) {
                Some(RoleResolution::Resolved { .. }) => {
                    self.bound_role(b).map(|(id, r)| (id, &r.rules))
                }
                // An unresolved RoleBinding of another namespace could not
                // grant this request even if its role existed.
                Some(RoleResolution::Missing | RoleResolution::Invalid { .. }) if !in_scope => {
                    continue;
                }
                Some(RoleResolution::Missing) => {
                    let (binding, role) = refs();
                    let message = format!("{binding} applies to you but {role} does not exist");
                    out.push(NearMiss {
                        reason: MissReason::MissingRole,
                        binding,
                        role,
                        rule_index: None,
                        message,
                    });
                    continue;
                }
                Some(RoleResolution::Invalid { reason }) => {
                    let (binding, role) = refs();
                    let message =
                        format!("{binding} applies to you but its roleRef is invalid: {reason}");
                    out.push(NearMiss {
                        reason: MissReason::InvalidRoleRef {
                            detail: reason.clone(),
                        },
                        binding,
                        role,
                        rule_index: None,
                        message,
                    });
                    continue;
                }
                None => None,
            };
            let Some((role_id, rules)) = rules else {
                continue;
            };
            if !in_scope {
                let known = first_allowing.iter().find(|(r, _)| *r == role_id);
                let found = match known {
                    Some(&(_, found)) => found,
                    None => {
                        let found = rules.iter().position(|r| rule_allows(r, request));
                        first_allowing.push((role_id, found));
                        found
                    }
                };
                let Some(i) = found else {
                    continue;
                };
                let (binding, role) = refs();
                let binding_ns = binding.namespace.clone().unwrap_or_default();
                let (reason, message) = if ns.is_empty() {
                    (
                        MissReason::RoleBindingScope {
                            binding_namespace: binding_ns.clone(),
                        },
                        format!(
                            "{binding} grants this through {role} rule {i}, but only inside namespace \
                             {binding_ns}; cluster-scoped, all-namespace and non-resource requests \
                             need a ClusterRoleBinding"
                        ),
                    )
                } else {
                    (
                        MissReason::OtherNamespace {
                            binding_namespace: binding_ns.clone(),
                            request_namespace: ns.to_string(),
                        },
                        format!(
                            "{binding} grants this through {role} rule {i}, but only in namespace \
                             {binding_ns}, not {ns}"
                        ),
                    )
                };
                out.push(NearMiss {
                    reason,
                    binding,
                    role,
                    rule_index: Some(i),
                    message,
                });
                continue;
            }
            let mut near_refs: Option<(ObjectRef, ObjectRef)> = None;
            for (i, rule) in rules.iter().enumerate() {
                if far(rule, request) {
                    continue;
                }
                let mut m = mismatches(rule, request);
                // A rule limited by resourceNames on this very resource is
                // near even when the verb differs too (`list secrets` against
                // `get` of named Secrets): report the names, which no verb
                // change alone would get past.
                let verb_too = matches!(
                    m.as_slice(),
                    [Mismatch::Verb, Mismatch::ResourceNames { .. }]
                );
                if verb_too {
                    m.remove(0);
                }
                // A rule of the other request type is never near: otherwise
                // the default system:discovery and system:public-info-viewer
                // URL rules (bound to everyone) would be reported for every
                // denied `get` of a resource.
                if !matches!(m.as_slice(), [x] if *x != Mismatch::WrongRequestType) {
                    continue;
                }
                let mismatch = m.remove(0);
                let (binding, role) = near_refs.get_or_insert_with(refs);
                let explained = explain_mismatch(&mismatch, request);
                let message = if verb_too {
                    format!(
                        "{binding} → {role} rule {i} does not allow the verb `{}` and {explained}",
                        request.verb()
                    )
                } else {
                    format!("{binding} → {role} rule {i} {explained}")
                };
                out.push(NearMiss {
                    reason: MissReason::Rule { mismatch },
                    binding: binding.clone(),
                    role: role.clone(),
                    rule_index: Some(i),
                    message,
                });
            }
        }
        if let Some((_, name)) = identity.service_account() {
            let key = SubjectKey {
                kind: SubjectKind::ServiceAccount,
                name: name.to_string(),
                namespace: String::new(),
            };
            for (b, _) in self.bindings_of(&key) {
                let Some((_, role)) = self.bound_role(b) else {
                    continue;
                };
                if !role.rules.iter().any(|r| rule_allows(r, request)) || self.is_role_binding(b) {
                    continue;
                }
                let binding = self.binding_ref(b);
                let message = format!(
                    "{binding} names ServiceAccount {name} without a namespace; \
                     in a ClusterRoleBinding such a subject never matches"
                );
                out.push(NearMiss {
                    reason: MissReason::ServiceAccountWithoutNamespace,
                    role: self.referenced_role(b),
                    binding,
                    rule_index: None,
                    message,
                });
            }
        }
        out
    }
}

fn explain_mismatch(m: &Mismatch, request: &Request) -> String {
    match (m, request) {
        (Mismatch::Verb, _) => format!("matches all but the verb `{}`", request.verb()),
        (Mismatch::ApiGroup, Request::Resource(r)) => {
            format!("matches all but the API group `{}`", r.api_group)
        }
        (Mismatch::Subresource, Request::Resource(r)) if r.subresource.is_empty() => {
            "names only subresources of this resource, not the resource itself".into()
        }
        (Mismatch::Subresource, Request::Resource(r)) => format!(
            "names the resource but not `{}/{}` (a rule on a resource does not cover its \
             subresources, and `{}/*` is not a wildcard; use `{}/{}` or `*/{}`)",
            r.resource, r.subresource, r.resource, r.resource, r.subresource, r.subresource
        ),
        (Mismatch::Resource, Request::Resource(r)) => {
            format!("matches all but the resource `{}`", r.resource)
        }
        (Mismatch::ResourceNames { allowed }, Request::Resource(r)) if r.name.is_empty() => {
            format!(
                "is limited to resourceNames [{}], which never match a request without a name \
             (create, list, watch, deletecollection)",
                allowed.join(", ")
            )
        }
        (Mismatch::ResourceNames { allowed }, Request::Resource(r)) => {
            format!(
                "is limited to resourceNames [{}], not `{}`",
                allowed.join(", "),
                r.name
            )
        }
        (Mismatch::NonResourceUrl, Request::NonResource(r)) => {
            format!("matches the verb but no URL covers `{}`", r.path)
        }
        (Mismatch::WrongRequestType, Request::NonResource(_)) => {
            "is a resource rule; this is a non-resource URL request".into()
        }
        (Mismatch::WrongRequestType, _) => {
            "is a non-resource URL rule; this is a resource request".into()
        }
        _ => "does not match".into(),
    }
}

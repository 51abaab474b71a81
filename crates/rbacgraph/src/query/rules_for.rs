//! `can-i --list`: every rule that applies to an identity in a namespace.

use serde::Serialize;

use super::{ObjectRef, SubjectRef};
use crate::graph::RbacGraph;
use crate::model::PolicyRule;
use crate::request::Identity;

/// One effective rule and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectiveRule {
    /// The rule.
    pub rule: PolicyRule,
    /// The binding subject that matched.
    pub subject: SubjectRef,
    /// The binding.
    pub binding: ObjectRef,
    /// The role.
    pub role: ObjectRef,
    /// Index of the rule in the role.
    pub rule_index: usize,
}

/// The rules that apply to an identity in a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesFor {
    /// Rules from ClusterRoleBindings, then from RoleBindings of the namespace.
    pub rules: Vec<EffectiveRule>,
    /// Role references that could not be resolved (the list is still
    /// complete for everything that did resolve: rules are additive).
    pub errors: Vec<String>,
}

impl RulesFor {
    /// Rules with at least one resource (SelfSubjectRulesReview's `resourceRules`).
    pub fn resource_rules(&self) -> impl Iterator<Item = &EffectiveRule> {
        self.rules.iter().filter(|r| !r.rule.resources.is_empty())
    }

    /// Rules with at least one non-resource URL (`nonResourceRules`).
    pub fn non_resource_rules(&self) -> impl Iterator<Item = &EffectiveRule> {
        self.rules
            .iter()
            .filter(|r| !r.rule.non_resource_urls.is_empty())
    }
}

impl RbacGraph {
    /// What `kubectl auth can-i --list` shows: the rules of every
    /// ClusterRoleBinding that applies, then (for a non-empty namespace) of
    /// every RoleBinding of that namespace that applies. Membership in
    /// `system:masters` adds no rules here (the privileged-groups authorizer
    /// resolves none); in real clusters that group is bound to `cluster-admin`.
    ///
    /// See: `pkg/registry/rbac/validation/rule.go :: RulesFor`,
    /// `plugin/pkg/auth/authorizer/rbac/rbac.go :: RulesFor`.
    ///
    /// # Complexity
    /// O(bindings naming the identity or its groups × their rules).
    ///
    /// # Example
    /// ```
    /// use rbacgraph::{Identity, RbacGraph};
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: discovery}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: discovery}
    /// subjects: [{kind: Group, name: 'system:authenticated'}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: discovery}
    /// rules: [{nonResourceURLs: ['/api', '/api/*'], verbs: [get]}]
    /// ").build().unwrap();
    /// let rules = graph.rules_for(&Identity::authenticated("jane", Vec::<String>::new()), "default");
    /// assert_eq!(rules.non_resource_rules().count(), 1);
    /// ```
    pub fn rules_for(&self, identity: &Identity, namespace: &str) -> RulesFor {
        let mut out = RulesFor::default();
        let mut applicable = self.applicable_bindings(identity);
        applicable.sort_by_key(|&(b, _)| (self.binding(b).map(|x| x.namespace.is_some()), b));
        for (b, subject_index) in applicable {
            if !self.binding_in_scope(b, namespace) {
                continue;
            }
            let Some((role_id, role)) = self.bound_role(b) else {
                out.errors.extend(self.resolution_error(b));
                continue;
            };
            for (i, rule) in role.rules.iter().enumerate() {
                out.rules.push(EffectiveRule {
                    rule: rule.clone(),
                    subject: self.matched_subject(b, subject_index),
                    binding: self.binding_ref(b),
                    role: self.role_ref(role_id),
                    rule_index: i,
                });
            }
        }
        out
    }
}

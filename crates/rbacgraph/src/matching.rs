//! Rule matching: the single place where RBAC's string semantics live.
//!
//! See: `pkg/apis/rbac/v1/evaluation_helpers.go :: VerbMatches, APIGroupMatches,
//! ResourceMatches, ResourceNameMatches, NonResourceURLMatches` and
//! `plugin/pkg/auth/authorizer/rbac/rbac.go :: RuleAllows` (rbac-semantics.md §3.3).

use serde::Serialize;

use crate::model::{LabelSelector, PolicyRule, SelectorOperator};
use crate::request::{NonResourceRequest, Request, ResourceRequest};

/// The only wildcard RBAC knows.
pub const ALL: &str = "*";

/// Whether `rule` allows `request`.
pub fn rule_allows(rule: &PolicyRule, request: &Request) -> bool {
    match request {
        Request::Resource(r) => {
            verb_matches(rule, &r.verb)
                && group_matches(rule, &r.api_group)
                && resource_matches(rule, &r.resource, &r.subresource)
                && name_matches(rule, &r.name)
        }
        Request::NonResource(r) => verb_matches(rule, &r.verb) && url_matches(rule, &r.path),
    }
}

/// Verbs with their own bit in a [`verb_mask`].
const KNOWN_VERBS: [&str; 16] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "use",
    "proxy",
    "attest",
];
/// Bit of a [`verb_mask`]: the rule lists `*`.
const ANY_VERB: u32 = 1 << 31;
/// Bit of a [`verb_mask`]: the rule lists a verb not in [`KNOWN_VERBS`].
const OTHER_VERB: u32 = 1 << 30;

/// The verbs of a rule as bits, for a quick test that never rejects a
/// match: [`verb_may_match`] is true whenever [`verb_matches`] is.
pub(crate) fn verb_mask(verbs: &[String]) -> u32 {
    verbs.iter().fold(0, |mask, v| {
        mask | match KNOWN_VERBS.iter().position(|k| k == v) {
            Some(i) => 1 << i,
            None if v == ALL => ANY_VERB,
            None => OTHER_VERB,
        }
    })
}

/// Whether `verb` has its own bit: then [`verb_may_match`] is exactly
/// [`verb_matches`].
pub(crate) fn verb_has_bit(verb: &str) -> bool {
    KNOWN_VERBS.contains(&verb)
}

/// Whether a rule with this [`verb_mask`] may allow `verb` (exactly when
/// [`verb_has_bit`]; otherwise [`verb_matches`] decides).
pub(crate) fn verb_may_match(mask: u32, verb: &str) -> bool {
    let wanted = match KNOWN_VERBS.iter().position(|k| *k == verb) {
        Some(i) => 1 << i,
        None => OTHER_VERB,
    };
    mask & (wanted | ANY_VERB) != 0
}

/// Some rule verb is `*` or equals the request verb (case-sensitive).
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == ALL || v == verb)
}

/// Some rule group is `*` or equals the request group.
pub fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == ALL || g == group)
}

/// `*`, the exact `res` / `res/sub`, or `*/sub` when a subresource is asked for.
/// `pods/*` is a literal: it matches nothing real.
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources
        .iter()
        .any(|r| resource_form_matches(r, resource, subresource))
}

/// One rule resource string against a request resource and subresource.
pub fn resource_form_matches(rule_resource: &str, resource: &str, subresource: &str) -> bool {
    if rule_resource == ALL {
        return true;
    }
    if subresource.is_empty() {
        return rule_resource == resource;
    }
    // Exactly `resource + "/" + subresource` or `"*/" + subresource`
    // (rbac-semantics.md §3.3 item 3). Compared as whole strings, not by
    // splitting the rule at its first `/`, so a request resource that itself
    // contains `/` matches as upstream's `ResourceMatches` would.
    let exact = rule_resource
        .strip_prefix(resource)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|sub| sub == subresource);
    exact
        || rule_resource
            .strip_prefix("*/")
            .is_some_and(|sub| sub == subresource)
}

/// Empty `resourceNames` allows any name (even none); otherwise the request
/// name must be listed, so nameless requests (create, list) never match.
pub fn name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// Some rule URL is `*`, equals the path, or ends in `*` and the path starts
/// with it after trimming every trailing `*`.
pub fn url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls
        .iter()
        .any(|u| url_form_matches(u, path))
}

/// One rule URL against a path.
pub fn url_form_matches(rule_url: &str, path: &str) -> bool {
    if rule_url == ALL || rule_url == path {
        return true;
    }
    rule_url.ends_with('*') && path.starts_with(rule_url.trim_end_matches('*'))
}

/// Which part of a rule failed to match a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "part")]
pub enum Mismatch {
    /// No verb matched.
    Verb,
    /// No API group matched.
    ApiGroup,
    /// The resource is named but not this subresource form (e.g. the rule has
    /// `pods` and the request is `pods/log`, or the rule has `pods/*`).
    Subresource,
    /// No resource matched.
    Resource,
    /// The rule is limited to names the request does not carry.
    ResourceNames {
        /// The names the rule allows.
        allowed: Vec<String>,
    },
    /// No non-resource URL matched.
    NonResourceUrl,
    /// The rule has no non-resource URLs, the request is non-resource (or the
    /// rule has only URLs and the request is on a resource).
    WrongRequestType,
}

/// Every part of `rule` that does not match `request` (empty = allowed).
pub fn mismatches(rule: &PolicyRule, request: &Request) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if !verb_matches(rule, request.verb()) {
        out.push(Mismatch::Verb);
    }
    match request {
        Request::Resource(r) => resource_mismatches(rule, r, &mut out),
        Request::NonResource(r) => non_resource_mismatches(rule, r, &mut out),
    }
    out
}

fn resource_mismatches(rule: &PolicyRule, r: &ResourceRequest, out: &mut Vec<Mismatch>) {
    if rule.resources.is_empty() {
        out.push(Mismatch::WrongRequestType);
        return;
    }
    if !group_matches(rule, &r.api_group) {
        out.push(Mismatch::ApiGroup);
    }
    if !resource_matches(rule, &r.resource, &r.subresource) {
        let names_resource = rule.resources.iter().any(|x| {
            x == &r.resource || x.split_once('/').is_some_and(|(res, _)| res == r.resource)
        });
        out.push(if names_resource {
            Mismatch::Subresource
        } else {
            Mismatch::Resource
        });
    }
    if !name_matches(rule, &r.name) {
        out.push(Mismatch::ResourceNames {
            allowed: rule.resource_names.clone(),
        });
    }
}

fn non_resource_mismatches(rule: &PolicyRule, r: &NonResourceRequest, out: &mut Vec<Mismatch>) {
    if rule.non_resource_urls.is_empty() {
        out.push(Mismatch::WrongRequestType);
    } else if !url_matches(rule, &r.path) {
        out.push(Mismatch::NonResourceUrl);
    }
}

/// Whether a label selector matches a label set. An empty selector matches
/// everything.
///
/// See: `apimachinery/pkg/apis/meta/v1/helpers.go :: LabelSelectorAsSelector`,
/// `apimachinery/pkg/labels/selector.go :: Requirement.Matches`.
pub fn selector_matches(
    selector: &LabelSelector,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    selector
        .match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
        && selector.match_expressions.iter().all(|req| {
            let value = labels.get(&req.key);
            match req.operator {
                SelectorOperator::In => value.is_some_and(|v| req.values.contains(v)),
                SelectorOperator::NotIn => value.is_none_or(|v| !req.values.contains(v)),
                SelectorOperator::Exists => value.is_some(),
                SelectorOperator::DoesNotExist => value.is_none(),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_forms() {
        assert!(resource_form_matches("*", "pods", "log"));
        assert!(resource_form_matches("pods", "pods", ""));
        assert!(!resource_form_matches("pods", "pods", "log"));
        assert!(resource_form_matches("pods/log", "pods", "log"));
        assert!(resource_form_matches("*/scale", "deployments", "scale"));
        assert!(!resource_form_matches("*/scale", "scale", ""));
        assert!(!resource_form_matches("pods/*", "pods", "status"));
    }

    #[test]
    fn url_forms() {
        assert!(url_form_matches("/apis/*", "/apis/"));
        assert!(!url_form_matches("/apis/*", "/apis"));
        assert!(url_form_matches("/healthz*", "/healthzfoo"));
        assert!(!url_form_matches("/a/*/b", "/a/x/b"));
        assert!(url_form_matches("*", ""));
    }
}

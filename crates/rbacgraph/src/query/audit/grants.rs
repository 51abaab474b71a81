//! The "who can" controls: which binding subjects are granted a sensitive
//! request, in which scope, through which rule — every grant at once.
//!
//! Instead of a who-can query per request and namespace, each control's
//! requests are looked up in the rule index ([`crate::index`]) once: the
//! rules that allow the verb on the resource (for some object name), the
//! bindings of their roles (a ClusterRoleBinding everywhere, a RoleBinding
//! in its namespace, and only for namespaced requests) and the subjects of
//! those bindings. That is exactly the set of (subject, binding, rule) a
//! who-can query over every namespace and every listed name would report
//! (`tests/audit.rs` checks it against [`RbacGraph::who_can`]).

use std::collections::BTreeMap;

use crate::graph::{BindingId, RbacGraph, RoleId};
use crate::matching::{group_matches, resource_matches, verb_matches};
use crate::model::PolicyRule;
use crate::query::SubjectRef;
#[cfg(test)]
use crate::request::Request;
use crate::request::SYSTEM_MASTERS;

use super::Severity;
use super::defaults::Defaults;

/// A request a control asks about, for any object name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Template {
    pub(crate) verb: &'static str,
    pub(crate) group: &'static str,
    pub(crate) resource: &'static str,
    pub(crate) subresource: &'static str,
    /// Whether a RoleBinding can grant it (the request carries a namespace).
    pub(crate) namespaced: bool,
}

impl Template {
    const fn new(
        verb: &'static str,
        group: &'static str,
        resource: &'static str,
        subresource: &'static str,
        namespaced: bool,
    ) -> Template {
        Template {
            verb,
            group,
            resource,
            subresource,
            namespaced,
        }
    }

    /// `verb resource[/subresource]`, for people.
    pub(crate) fn describe(&self) -> String {
        let resource = if self.subresource.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        };
        format!("{} {resource}", self.verb)
    }

    /// The request, in a namespace (or cluster-scoped) and for a name.
    #[cfg(test)]
    pub(crate) fn request(&self, namespace: &str, name: &str) -> Request {
        Request::resource(self.verb, self.group, self.resource)
            .subresource(self.subresource)
            .in_namespace(if self.namespaced { namespace } else { "" })
            .named(name)
    }

    /// Whether a rule allows the request for some object name (its
    /// `resourceNames` aside).
    pub(crate) fn matched_by(&self, rule: &PolicyRule) -> bool {
        !rule.resources.is_empty()
            && verb_matches(rule, self.verb)
            && group_matches(rule, self.group)
            && resource_matches(rule, self.resource, self.subresource)
    }
}

/// A "who can" control: its requests and the severity of a grant
/// cluster-wide, in namespaces, or only for named objects.
#[derive(Clone, Debug)]
pub(crate) struct Check {
    pub(crate) id: &'static str,
    pub(crate) what: &'static str,
    pub(crate) templates: Vec<Template>,
    pub(crate) cluster: Severity,
    pub(crate) namespaced: Severity,
    pub(crate) named: Severity,
}

impl Check {
    /// The severity of a grant in that scope.
    pub(crate) fn severity(&self, cluster_wide: bool, named: bool) -> Severity {
        if named {
            self.named
        } else if cluster_wide {
            self.cluster
        } else {
            self.namespaced
        }
    }
}

/// The pod controllers whose template a writer controls.
const CONTROLLERS: [(&str, &str); 7] = [
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
];

/// Every "who can" control, in catalogue order.
pub(crate) fn checks() -> Vec<Check> {
    let t = Template::new;
    let mut pods = vec![t("create", "", "pods", "", true)];
    for (group, resource) in CONTROLLERS {
        for verb in ["create", "update", "patch"] {
            pods.push(t(verb, group, resource, "", true));
        }
    }
    vec![
        Check {
            id: "CIS-5.1.2",
            what: "read Secrets",
            templates: ["get", "list", "watch"]
                .map(|v| t(v, "", "secrets", "", true))
                .to_vec(),
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Low,
        },
        Check {
            id: "CIS-5.1.4",
            what: "create pods or pod controllers",
            templates: pods,
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Medium,
        },
        Check {
            id: "CIS-5.1.8",
            what: "bind, escalate or impersonate",
            templates: vec![
                t("bind", crate::RBAC_GROUP, "clusterroles", "", true),
                t("bind", crate::RBAC_GROUP, "roles", "", true),
                t("escalate", crate::RBAC_GROUP, "clusterroles", "", false),
                t("escalate", crate::RBAC_GROUP, "roles", "", true),
                t("impersonate", "", "users", "", false),
                t("impersonate", "", "groups", "", false),
                t("impersonate", "", "serviceaccounts", "", true),
            ],
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Medium,
        },
        Check {
            id: "CIS-5.1.9",
            what: "create PersistentVolumes",
            templates: vec![t("create", "", "persistentvolumes", "", false)],
            cluster: Severity::Medium,
            namespaced: Severity::Medium,
            named: Severity::Low,
        },
        Check {
            id: "CIS-5.1.10",
            what: "use the nodes/proxy subresource",
            templates: vec![
                t("get", "", "nodes", "proxy", false),
                t("create", "", "nodes", "proxy", false),
            ],
            cluster: Severity::High,
            namespaced: Severity::High,
            named: Severity::Medium,
        },
        Check {
            id: "CIS-5.1.11",
            what: "approve certificate signing requests",
            templates: vec![
                t(
                    "update",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "approval",
                    false,
                ),
                t(
                    "patch",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "approval",
                    false,
                ),
            ],
            cluster: Severity::High,
            namespaced: Severity::High,
            named: Severity::Medium,
        },
        Check {
            id: "CIS-5.1.12",
            what: "change admission webhook configurations",
            templates: ["create", "update", "patch", "delete"]
                .into_iter()
                .flat_map(|v| {
                    [
                        "mutatingwebhookconfigurations",
                        "validatingwebhookconfigurations",
                    ]
                    .map(|r| t(v, "admissionregistration.k8s.io", r, "", false))
                })
                .collect(),
            cluster: Severity::High,
            namespaced: Severity::High,
            named: Severity::Medium,
        },
        Check {
            id: "CIS-5.1.13",
            what: "create service-account tokens",
            templates: vec![t("create", "", "serviceaccounts", "token", true)],
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Low,
        },
        Check {
            id: "RBAC-EXEC-IN-PODS",
            what: "run code in running pods",
            templates: vec![
                t("create", "", "pods", "exec", true),
                t("create", "", "pods", "attach", true),
                t("update", "", "pods", "", true),
                t("patch", "", "pods", "", true),
                t("update", "", "pods", "ephemeralcontainers", true),
                t("patch", "", "pods", "ephemeralcontainers", true),
            ],
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Low,
        },
        Check {
            id: "RBAC-SERVICE-INTERCEPT",
            what: "intercept Service traffic (CVE-2020-8554)",
            templates: vec![
                t("update", "", "services", "status", true),
                t("patch", "", "services", "status", true),
                t("create", "", "services", "", true),
                t("update", "", "services", "", true),
                t("patch", "", "services", "", true),
            ],
            cluster: Severity::Medium,
            namespaced: Severity::Low,
            named: Severity::Low,
        },
    ]
}

/// What each role grants of the checks' requests: per role, every
/// (rule index, check, template) whose rule allows the template's request
/// for some object name. The bindings of the role then grant it to their
/// subjects (a ClusterRoleBinding everywhere, a RoleBinding in its
/// namespace and only for namespaced requests).
pub(crate) fn hits(graph: &RbacGraph, checks: &[Check]) -> BTreeMap<RoleId, Vec<Hit>> {
    let mut out: BTreeMap<RoleId, Vec<Hit>> = BTreeMap::new();
    for (ci, check) in checks.iter().enumerate() {
        for (ti, template) in check.templates.iter().enumerate() {
            let candidates = graph.index.resource_candidates(
                template.verb,
                template.group,
                template.resource,
                template.subresource,
            );
            for (role, rule) in candidates {
                let Some(r) = graph.role(role).and_then(|x| x.rules.get(rule as usize)) else {
                    continue;
                };
                if template.matched_by(r) {
                    out.entry(role).or_default().push(Hit {
                        rule,
                        check: ci as u16,
                        template: ti as u16,
                    });
                }
            }
        }
    }
    out
}

/// A rule of a role that allows a check's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Hit {
    /// The rule's index in the role's (effective) rules.
    pub(crate) rule: u32,
    pub(crate) check: u16,
    pub(crate) template: u16,
}

/// Whether a binding subject counts: it can match, and is not
/// `system:masters` (which needs no binding).
pub(crate) fn counts(
    graph: &RbacGraph,
    b: BindingId,
    s: &crate::model::Subject,
) -> Option<SubjectRef> {
    let subject = graph.report_subject(b, s)?;
    (!(subject.kind == "Group" && subject.name == SYSTEM_MASTERS)).then_some(subject)
}

/// Whether a binding's grants are reported (it is not an unmodified default).
pub(crate) fn reported(defaults: &Defaults, b: BindingId) -> bool {
    !defaults.binding(b)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::graph::{RbacGraph, RoleResolution};
    use crate::model::BindingKind;

    /// Roles that grant the controls' requests in every way a rule can:
    /// wildcards, subresources, resourceNames, aggregation, both binding
    /// kinds, and near misses.
    const WORLD: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: star}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods-sub}
rules:
- {apiGroups: [""], resources: ["pods/*"], verbs: ["create", "get"]}
- {apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["x"]}
- {apiGroups: [""], resources: ["services/status"], verbs: ["patch"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg, labels: {pick: "yes"}}
rules:
- {apiGroups: ["apps"], resources: ["deployments", "daemonsets"], verbs: ["patch", "update"]}
- {apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: picker}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {pick: "yes"}}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: local, namespace: a}
rules:
- {apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles", "roles"], verbs: ["escalate", "bind"]}
- {apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"]}
- {apiGroups: ["extensions"], resources: ["pods"], verbs: ["create"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: star}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: star}
subjects: [{kind: User, name: root}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: picker}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: picker}
subjects: [{kind: Group, name: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: pods-sub, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods-sub}
subjects: [{kind: ServiceAccount, name: app, namespace: a}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: agg, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}
subjects: [{kind: User, name: dev}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: local, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}
subjects: [{kind: User, name: dev}]
"#;

    /// `hits` is the who-can answer for every control's request at once:
    /// for each template and namespace, the (binding, rule) pairs the hits
    /// give equal those of a who-can query in that namespace, for an
    /// unnamed request and for the one name the world lists. A RoleBinding
    /// counts only for a template marked namespaced (`bind clusterroles`
    /// is: a RoleBinding's `bind` check carries its namespace).
    #[test]
    fn hits_agree_with_who_can() {
        let graph = RbacGraph::builder()
            .load_str("world.yaml", WORLD)
            .build()
            .expect("world loads");
        let checks = checks();
        let hits = hits(&graph, &checks);
        let mut compared = 0;
        for (ci, check) in checks.iter().enumerate() {
            for (ti, template) in check.templates.iter().enumerate() {
                for namespace in ["", "a", "b"] {
                    let mut from_hits = BTreeSet::new();
                    for (role, role_hits) in &hits {
                        for hit in role_hits
                            .iter()
                            .filter(|h| h.check as usize == ci && h.template as usize == ti)
                        {
                            for (b, binding) in graph.bindings().iter().enumerate() {
                                let b = BindingId(b as u32);
                                let resolved = matches!(graph.resolution(b), Some(RoleResolution::Resolved { role: r }) if r == role);
                                let scoped = binding.kind == BindingKind::ClusterRoleBinding
                                    || (template.namespaced
                                        && !namespace.is_empty()
                                        && binding.namespace.as_deref() == Some(namespace));
                                if resolved && scoped {
                                    from_hits.insert((b, hit.rule as usize));
                                }
                            }
                        }
                    }
                    let mut from_who_can = BTreeSet::new();
                    if template.namespaced || namespace.is_empty() {
                        for name in ["", "x"] {
                            let request = template.request(namespace, name);
                            for allowing in graph.allowing_bindings(&request, false).0 {
                                for rule in allowing.rules {
                                    from_who_can.insert((allowing.binding, rule));
                                }
                            }
                        }
                    } else {
                        // A cluster-scoped request is the same in every namespace.
                        from_who_can = from_hits.clone();
                    }
                    assert_eq!(
                        from_hits,
                        from_who_can,
                        "{} {} in {namespace:?}",
                        check.id,
                        template.describe()
                    );
                    compared += from_hits.len();
                }
            }
        }
        assert!(
            compared > 20,
            "the world grants too little to compare: {compared}"
        );
    }
}

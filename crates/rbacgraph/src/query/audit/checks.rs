//! The CIS 5.1 and seed controls. Every "who can X" control is a who-can
//! query ([`RbacGraph::who_can`]); the others read roles, bindings and
//! workloads.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::controls::Control;
use super::defaults::Defaults;
use super::{AuditEvidence, Finding, Severity};
use crate::graph::{BindingId, RbacGraph, RoleId, RoleResolution, SubjectKey, WorkloadId};
use crate::model::{BindingKind, PolicyRule, SubjectKind, Workload};
use crate::query::who_can::{Grant, WhoCanQuery};
use crate::query::{ObjectRef, SubjectRef};
use crate::request::{Request, SYSTEM_MASTERS};

/// The groups every anonymous or every authenticated request carries.
pub(crate) const ANONYMOUS_USER: &str = "system:anonymous";
pub(crate) const UNAUTHENTICATED: &str = "system:unauthenticated";
pub(crate) const AUTHENTICATED: &str = "system:authenticated";

/// Runs every CIS and seed control.
pub(crate) fn run(graph: &RbacGraph, defaults: &Defaults) -> Vec<Finding> {
    let mut out = Vec::new();
    let ctx = Ctx { graph, defaults };
    ctx.cluster_admin_bindings(&mut out);
    for check in permission_checks() {
        ctx.permission(&check, &mut out);
    }
    ctx.wildcards(&mut out);
    ctx.default_service_accounts(&mut out);
    ctx.unused_tokens(&mut out);
    ctx.masters_bindings(&mut out);
    ctx.anonymous_exposure(&mut out);
    ctx.dangling(&mut out);
    ctx.dead_subjects(&mut out);
    ctx.unused_roles(&mut out);
    ctx.workloads_on_default(&mut out);
    ctx.dead_rules(&mut out);
    out
}

/// The control of an id used below (each is in the catalogue; a unit test
/// checks it).
pub(crate) fn control(id: &str) -> &'static Control {
    super::controls::control(id).unwrap_or(&UNKNOWN)
}

const UNKNOWN: Control = Control {
    id: "UNKNOWN",
    title: "unknown control",
    decided: "",
    remediation: "",
};

/// A who-can control: requests asked over every namespace, and the
/// severity when granted cluster-wide, in namespaces, or only for named
/// objects.
struct PermissionCheck {
    id: &'static str,
    what: &'static str,
    requests: Vec<Request>,
    cluster: Severity,
    namespaced: Severity,
    named: Severity,
}

fn permission_checks() -> Vec<PermissionCheck> {
    let res = |verb: &str, group: &str, resource: &str| Request::resource(verb, group, resource);
    let many = |verbs: &[&str], group: &str, resources: &[&str]| -> Vec<Request> {
        resources
            .iter()
            .flat_map(|r| verbs.iter().map(move |v| res(v, group, r)))
            .collect()
    };
    vec![
        PermissionCheck {
            id: "CIS-5.1.2",
            what: "read Secrets",
            requests: many(&["get", "list", "watch"], "", &["secrets"]),
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Low,
        },
        PermissionCheck {
            id: "CIS-5.1.4",
            what: "create pods or pod controllers",
            requests: [
                many(&["create"], "", &["pods", "replicationcontrollers"]),
                many(
                    &["create"],
                    "apps",
                    &["deployments", "daemonsets", "statefulsets", "replicasets"],
                ),
                many(&["create"], "batch", &["jobs", "cronjobs"]),
            ]
            .concat(),
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Medium,
        },
        PermissionCheck {
            id: "CIS-5.1.8",
            what: "bind, escalate or impersonate",
            requests: [
                many(
                    &["bind", "escalate"],
                    crate::RBAC_GROUP,
                    &["clusterroles", "roles"],
                ),
                many(
                    &["impersonate"],
                    "",
                    &["users", "groups", "serviceaccounts"],
                ),
            ]
            .concat(),
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Medium,
        },
        PermissionCheck {
            id: "CIS-5.1.9",
            what: "create PersistentVolumes",
            requests: many(&["create"], "", &["persistentvolumes"]),
            cluster: Severity::Medium,
            namespaced: Severity::Medium,
            named: Severity::Low,
        },
        PermissionCheck {
            id: "CIS-5.1.10",
            what: "use the nodes/proxy subresource",
            requests: vec![
                res("get", "", "nodes").subresource("proxy"),
                res("create", "", "nodes").subresource("proxy"),
            ],
            cluster: Severity::High,
            namespaced: Severity::High,
            named: Severity::Medium,
        },
        PermissionCheck {
            id: "CIS-5.1.11",
            what: "approve certificate signing requests",
            requests: vec![
                res(
                    "update",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                )
                .subresource("approval"),
                res("patch", "certificates.k8s.io", "certificatesigningrequests")
                    .subresource("approval"),
            ],
            cluster: Severity::High,
            namespaced: Severity::High,
            named: Severity::Medium,
        },
        PermissionCheck {
            id: "CIS-5.1.12",
            what: "change admission webhook configurations",
            requests: many(
                &["create", "update", "patch", "delete"],
                "admissionregistration.k8s.io",
                &[
                    "mutatingwebhookconfigurations",
                    "validatingwebhookconfigurations",
                ],
            ),
            cluster: Severity::High,
            namespaced: Severity::High,
            named: Severity::Medium,
        },
        PermissionCheck {
            id: "CIS-5.1.13",
            what: "create service-account tokens",
            requests: vec![res("create", "", "serviceaccounts").subresource("token")],
            cluster: Severity::High,
            namespaced: Severity::Medium,
            named: Severity::Low,
        },
    ]
}

/// How many grants and objects a who-can finding lists before it counts
/// the rest (a group bound in every namespace would otherwise carry
/// thousands).
const MAX_LISTED: usize = 20;

/// The namespace a grant holds in: its RoleBinding's, or `None` for a
/// ClusterRoleBinding (every namespace).
fn namespace_of(g: &Grant) -> Option<&str> {
    if g.binding.kind == BindingKind::RoleBinding.as_str() {
        g.binding.namespace.as_deref()
    } else {
        None
    }
}

/// Up to [`MAX_LISTED`] items, then how many more.
fn listed<'a>(items: impl ExactSizeIterator<Item = &'a String>) -> String {
    let total = items.len();
    let shown: Vec<&str> = items.take(MAX_LISTED).map(String::as_str).collect();
    if total > shown.len() {
        format!("{} and {} more", shown.join(", "), total - shown.len())
    } else {
        shown.join(", ")
    }
}

/// What one subject is granted by one check.
#[derive(Default)]
struct Held {
    evidence: Vec<AuditEvidence>,
    evidence_grants: usize,
    omitted_grants: usize,
    unlisted: HashSet<(String, Option<String>, String)>,
    cluster_wide: bool,
    namespaces: BTreeSet<String>,
    names: BTreeSet<String>,
    unnamed: bool,
    verbs: BTreeSet<String>,
    resources: BTreeSet<String>,
    objects: BTreeSet<ObjectRef>,
}

struct Ctx<'a> {
    graph: &'a RbacGraph,
    defaults: &'a Defaults,
}

impl Ctx<'_> {
    /// The names that rules restrict the request to: the `resourceNames` of
    /// the rules the engine's index offers for its resource, with its verb
    /// (the who-can engine then decides which of them apply).
    fn candidate_names(&self, request: &Request) -> BTreeSet<String> {
        let Request::Resource(r) = request else {
            return BTreeSet::new();
        };
        let mut names = BTreeSet::new();
        for (role, rule) in
            self.graph
                .index
                .resource_candidates(&r.verb, &r.api_group, &r.resource, &r.subresource)
        {
            let Some(rule) = self
                .graph
                .role(role)
                .and_then(|x| x.rules.get(rule as usize))
            else {
                continue;
            };
            if !rule.resource_names.is_empty()
                && rule.verbs.iter().any(|v| v == "*" || *v == r.verb)
            {
                names.extend(rule.resource_names.iter().cloned());
            }
        }
        names
    }

    /// Runs a who-can control: one finding per subject granted any of the
    /// requests by something other than the defaults.
    fn permission(&self, check: &PermissionCheck, out: &mut Vec<Finding>) {
        let mut held: BTreeMap<SubjectRef, Held> = BTreeMap::new();
        for request in &check.requests {
            let mut asked = vec![(request.clone(), false)];
            asked.extend(
                self.candidate_names(request)
                    .into_iter()
                    .map(|n| (request.clone().named(n), true)),
            );
            // Where each subject is granted the request for every name
            // (cluster-wide, or these namespaces): a named grant there is
            // no news, so it is not repeated as evidence (on a large
            // cluster, thousands of entries); its objects are still listed.
            let mut any_name: HashMap<SubjectRef, (bool, HashSet<String>)> = HashMap::new();
            for (req, named) in asked {
                let answer = self
                    .graph
                    .who_can(&WhoCanQuery::new(req.clone()).all_namespaces(true));
                for s in answer.subjects {
                    if s.subject.kind == "Group" && s.subject.name == SYSTEM_MASTERS {
                        continue;
                    }
                    let grants: Vec<Grant> = s
                        .grants
                        .into_iter()
                        .filter(|g| !self.defaults.grant(g))
                        .collect();
                    if grants.is_empty() {
                        continue;
                    }
                    if !named {
                        let (cluster, namespaces) = any_name.entry(s.subject.clone()).or_default();
                        for g in &grants {
                            match namespace_of(g) {
                                Some(ns) => {
                                    namespaces.insert(ns.to_string());
                                }
                                None => *cluster = true,
                            }
                        }
                    }
                    // A named grant where the subject holds every name is no news.
                    let every_name = any_name.get(&s.subject).filter(|_| named);
                    let h = held.entry(s.subject).or_default();
                    if let Request::Resource(r) = &req {
                        h.verbs.insert(r.verb.clone());
                        let resource = if r.subresource.is_empty() {
                            r.resource.clone()
                        } else {
                            format!("{}/{}", r.resource, r.subresource)
                        };
                        h.resources.insert(resource);
                        if named {
                            h.names.insert(r.name.clone());
                        } else {
                            h.unnamed = true;
                        }
                    }
                    for g in &grants {
                        match namespace_of(g) {
                            Some(ns) => {
                                h.namespaces.insert(ns.to_string());
                            }
                            None => h.cluster_wide = true,
                        }
                        if h.objects.len() < MAX_LISTED {
                            h.objects.insert(g.binding.clone());
                            h.objects.insert(g.role.clone());
                        } else {
                            h.unlisted.insert((
                                g.binding.kind.clone(),
                                g.binding.namespace.clone(),
                                g.binding.name.clone(),
                            ));
                        }
                    }
                    let evidence: Vec<Grant> = grants
                        .into_iter()
                        .filter(|g| match every_name {
                            None => true,
                            Some((cluster, namespaces)) => {
                                !*cluster
                                    && !namespace_of(g).is_some_and(|ns| namespaces.contains(ns))
                            }
                        })
                        .collect();
                    // Enough evidence to act on; the totals say what is left out.
                    let room = MAX_LISTED.saturating_sub(h.evidence_grants);
                    h.evidence_grants += evidence.len().min(room);
                    h.omitted_grants += evidence.len().saturating_sub(room);
                    if room > 0 && !evidence.is_empty() {
                        h.evidence.push(AuditEvidence::Grants {
                            request: req.clone(),
                            grants: evidence.into_iter().take(room).collect(),
                        });
                    }
                }
            }
        }
        let c = control(check.id);
        for (subject, h) in held {
            let scope = if h.cluster_wide {
                "cluster-wide".to_string()
            } else {
                format!(
                    "in {} namespace(s): {}",
                    h.namespaces.len(),
                    listed(h.namespaces.iter())
                )
            };
            let only_named = !h.unnamed;
            let severity = if only_named {
                check.named
            } else if h.cluster_wide {
                check.cluster
            } else {
                check.namespaced
            };
            let mut message = format!(
                "{subject} can {} ({} {}) {scope}",
                check.what,
                h.verbs.iter().cloned().collect::<Vec<_>>().join("/"),
                h.resources.iter().cloned().collect::<Vec<_>>().join(", "),
            );
            if only_named {
                message.push_str(&format!(
                    ", limited to the names {}",
                    listed(h.names.iter())
                ));
            }
            let mut f = Finding::new(c, severity, message);
            f.subjects.push(subject);
            f.objects.extend(h.objects);
            f.evidence = h.evidence;
            if h.omitted_grants > 0 || !h.unlisted.is_empty() {
                f.evidence.push(AuditEvidence::Fact {
                    message: format!(
                        "{} more grant(s) through {} more binding(s) are not listed (`rbacgraph who-can VERB RESOURCE -A` lists them all)",
                        h.omitted_grants,
                        h.unlisted.len()
                    ),
                });
            }
            out.push(f);
        }
    }

    fn subjects_of(&self, b: BindingId) -> Vec<SubjectRef> {
        let mut out: Vec<SubjectRef> = self
            .graph
            .binding(b)
            .map(|x| {
                x.subjects
                    .iter()
                    .filter_map(|s| self.graph.report_subject(b, s))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out.dedup();
        out
    }

    fn bindings_of_role(&self, role: RoleId) -> Vec<BindingId> {
        let mut out: Vec<BindingId> = self.graph.index.cluster_bindings_of(role).to_vec();
        out.extend_from_slice(self.graph.index.role_bindings_of(role));
        out.sort();
        out
    }

    /// CIS 5.1.1: bindings of cluster-admin, or of a role as strong.
    fn cluster_admin_bindings(&self, out: &mut Vec<Finding>) {
        let everything = [PolicyRule::resource(["*"], ["*"], ["*"])];
        let c = control("CIS-5.1.1");
        for (i, b) in self.graph.bindings().iter().enumerate() {
            let id = BindingId(i as u32);
            let Some((role_id, role)) = self.graph.bound_role(id) else {
                continue;
            };
            if self.defaults.binding(id) || !crate::covers(&role.rules, &everything).0 {
                continue;
            }
            let role_ref = self.graph.role_ref(role_id);
            let binding_ref = self.graph.binding_ref(id);
            let (severity, scope) = match (b.kind, &b.namespace) {
                (BindingKind::RoleBinding, Some(ns)) => {
                    (Severity::High, format!("in namespace {ns}"))
                }
                _ => (Severity::Critical, "cluster-wide".to_string()),
            };
            let subjects = self.subjects_of(id);
            let names: Vec<String> = subjects.iter().map(ToString::to_string).collect();
            let mut f = Finding::new(
                c,
                severity,
                format!(
                    "{binding_ref} grants {role_ref} (every verb on every resource) {scope} to {}",
                    if names.is_empty() {
                        "no subject".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            );
            f.subjects = subjects;
            if let Some((index, rule)) = role
                .rules
                .iter()
                .enumerate()
                .find(|(_, r)| crate::covers(std::slice::from_ref(r), &everything).0)
            {
                f.evidence.push(AuditEvidence::Rule {
                    role: role_ref.clone(),
                    rule_index: index,
                    rule: rule.clone(),
                });
            }
            f.objects = vec![binding_ref, role_ref];
            out.push(f);
        }
    }

    /// CIS 5.1.3: wildcards in roles.
    fn wildcards(&self, out: &mut Vec<Finding>) {
        let c = control("CIS-5.1.3");
        for (i, role) in self.graph.roles().iter().enumerate() {
            let id = RoleId(i as u32);
            // An aggregated role's rules are its contributors'; report those.
            if self.defaults.role(id) || role.aggregation.is_some() {
                continue;
            }
            let role_ref = self.graph.role_ref(id);
            let mut severity = None;
            let mut evidence = Vec::new();
            for (index, rule) in role.rules.iter().enumerate() {
                let verbs = rule.verbs.iter().any(|v| v == "*");
                let resources = rule
                    .resources
                    .iter()
                    .any(|r| r == "*" || r.starts_with("*/"));
                let groups = rule.api_groups.iter().any(|g| g == "*");
                let urls = rule.non_resource_urls.iter().any(|u| u == "*");
                let s = match (verbs, resources, groups || urls) {
                    (true, true, _) => Severity::High,
                    (true, false, _) | (false, true, _) => Severity::Medium,
                    (false, false, true) => Severity::Low,
                    (false, false, false) => continue,
                };
                severity = severity.max(Some(s));
                evidence.push(AuditEvidence::Rule {
                    role: role_ref.clone(),
                    rule_index: index,
                    rule: rule.clone(),
                });
            }
            let Some(severity) = severity else { continue };
            let bindings = self.bindings_of_role(id);
            let mut f = Finding::new(
                c,
                severity,
                format!(
                    "{role_ref} uses `*` in {} rule(s); bound by {} binding(s)",
                    evidence.len(),
                    bindings.len()
                ),
            );
            f.objects.push(role_ref);
            for b in bindings {
                f.subjects.extend(self.subjects_of(b));
                f.objects.push(self.graph.binding_ref(b));
            }
            f.subjects.sort();
            f.subjects.dedup();
            f.evidence = evidence;
            out.push(f);
        }
    }

    /// Whether a workload's pods get a token, and the sentence saying why.
    fn automount(&self, w: &Workload) -> (bool, String) {
        let sa = self
            .graph
            .service_account(&w.namespace, &w.pod.service_account)
            .and_then(|s| s.automount_token);
        match (w.pod.automount_token, sa) {
            (Some(v), _) => (
                v,
                format!("the pod spec sets automountServiceAccountToken: {v}"),
            ),
            (None, Some(v)) => (
                v,
                format!(
                    "ServiceAccount {}/{} sets automountServiceAccountToken: {v}",
                    w.namespace, w.pod.service_account
                ),
            ),
            (None, None) => (
                true,
                "neither the pod spec nor the ServiceAccount sets automountServiceAccountToken, so the token is mounted".into(),
            ),
        }
    }

    fn workload_ref(w: &Workload) -> ObjectRef {
        ObjectRef {
            kind: w.kind.as_str().into(),
            name: w.name.clone(),
            namespace: Some(w.namespace.clone()),
            source: Some(w.source.clone()),
        }
    }

    fn service_account_ref(&self, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(namespace.into()),
            source: self
                .graph
                .service_account(namespace, name)
                .map(|s| s.source.clone()),
        }
    }

    /// Non-default bindings naming a subject directly.
    fn direct_bindings(&self, key: &SubjectKey) -> Vec<BindingId> {
        let mut out: Vec<BindingId> = self
            .graph
            .bindings_of(key)
            .into_iter()
            .map(|(b, _)| b)
            .filter(|b| !self.defaults.binding(*b))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn sa_key(namespace: &str, name: &str) -> SubjectKey {
        SubjectKey {
            kind: SubjectKind::ServiceAccount,
            name: name.into(),
            namespace: namespace.into(),
        }
    }

    /// CIS 5.1.5: `default` service accounts bound to roles or used by
    /// workloads that mount their token.
    fn default_service_accounts(&self, out: &mut Vec<Finding>) {
        let c = control("CIS-5.1.5");
        // Namespaces with objects, and those whose `default` a binding names.
        let mut namespaces: BTreeSet<String> = self.graph.namespaces().into_iter().collect();
        namespaces.extend(
            self.graph
                .subjects()
                .into_iter()
                .filter(|k| {
                    k.kind == SubjectKind::ServiceAccount
                        && k.name == "default"
                        && !k.namespace.is_empty()
                })
                .map(|k| k.namespace.clone()),
        );
        for ns in namespaces {
            let bindings = self.direct_bindings(&Self::sa_key(&ns, "default"));
            let users: Vec<(WorkloadId, String)> = self
                .graph
                .workloads_of(&ns, "default")
                .into_iter()
                .filter_map(|id| {
                    let w = self.graph.workloads().get(id.0 as usize)?;
                    let (mounted, why) = self.automount(w);
                    mounted.then_some((id, why))
                })
                .collect();
            if bindings.is_empty() && users.is_empty() {
                continue;
            }
            let subject = SubjectRef::service_account(&ns, "default");
            let mut parts = Vec::new();
            if !bindings.is_empty() {
                parts.push(format!("is bound by {} binding(s)", bindings.len()));
            }
            if !users.is_empty() {
                parts.push(format!(
                    "is the identity of {} workload(s) that mount its token",
                    users.len()
                ));
            }
            let severity = if bindings.is_empty() {
                Severity::Low
            } else {
                Severity::Medium
            };
            let mut f = Finding::new(c, severity, format!("{subject} {}", parts.join(" and ")));
            f.subjects.push(subject);
            f.objects.push(self.service_account_ref(&ns, "default"));
            for b in bindings {
                let binding = self.graph.binding_ref(b);
                f.evidence.push(AuditEvidence::Object {
                    object: binding.clone(),
                    message: format!(
                        "names the default ServiceAccount and grants {}",
                        self.graph.referenced_role(b)
                    ),
                });
                f.objects.push(binding);
            }
            for (id, why) in users {
                if let Some(w) = self.graph.workloads().get(id.0 as usize) {
                    let object = Self::workload_ref(w);
                    f.evidence.push(AuditEvidence::Object {
                        object: object.clone(),
                        message: format!("runs as the default ServiceAccount; {why}"),
                    });
                    f.objects.push(object);
                }
            }
            out.push(f);
        }
    }

    /// CIS 5.1.6: tokens mounted where no binding gives them a use.
    fn unused_tokens(&self, out: &mut Vec<Finding>) {
        let c = control("CIS-5.1.6");
        let mut used: HashSet<(String, String)> = HashSet::new();
        let mut unused: HashSet<(String, String)> = HashSet::new();
        for w in self.graph.workloads() {
            let (mounted, why) = self.automount(w);
            if !mounted {
                continue;
            }
            let sa = (w.namespace.clone(), w.pod.service_account.clone());
            let has_use = if used.contains(&sa) {
                true
            } else if unused.contains(&sa) {
                false
            } else {
                let group = SubjectKey {
                    kind: SubjectKind::Group,
                    name: format!("system:serviceaccounts:{}", w.namespace),
                    namespace: String::new(),
                };
                let any = !self.direct_bindings(&Self::sa_key(&sa.0, &sa.1)).is_empty()
                    || !self.direct_bindings(&group).is_empty();
                if any {
                    used.insert(sa.clone());
                } else {
                    unused.insert(sa.clone());
                }
                any
            };
            if has_use {
                continue;
            }
            let subject = SubjectRef::service_account(&sa.0, &sa.1);
            let object = Self::workload_ref(w);
            let mut f = Finding::new(
                c,
                Severity::Low,
                format!("{object} mounts the token of {subject}, which no binding names"),
            );
            f.evidence.push(AuditEvidence::Fact { message: why });
            f.evidence.push(AuditEvidence::Fact {
                message: format!(
                    "no binding names {subject} or Group system:serviceaccounts:{}",
                    sa.0
                ),
            });
            f.subjects.push(subject);
            f.objects.push(object);
            out.push(f);
        }
    }

    /// CIS 5.1.7: `system:masters` named by bindings.
    fn masters_bindings(&self, out: &mut Vec<Finding>) {
        let c = control("CIS-5.1.7");
        for (i, b) in self.graph.bindings().iter().enumerate() {
            let id = BindingId(i as u32);
            if self.defaults.binding(id)
                || !b
                    .subjects
                    .iter()
                    .any(|s| s.kind == SubjectKind::Group && s.name == SYSTEM_MASTERS)
            {
                continue;
            }
            let binding = self.graph.binding_ref(id);
            let mut f = Finding::new(
                c,
                Severity::High,
                format!(
                    "{binding} names Group system:masters, whose members bypass RBAC altogether"
                ),
            );
            f.subjects.push(SubjectRef::group(SYSTEM_MASTERS));
            f.objects.push(binding);
            f.objects.push(self.graph.referenced_role(id));
            out.push(f);
        }
    }

    /// RBAC-ANON-EXPOSURE: bindings to anonymous or to every authenticated
    /// user beyond the defaults.
    fn anonymous_exposure(&self, out: &mut Vec<Finding>) {
        let c = control("RBAC-ANON-EXPOSURE");
        for (i, b) in self.graph.bindings().iter().enumerate() {
            let id = BindingId(i as u32);
            if self.defaults.binding(id) {
                continue;
            }
            let exposed: Vec<SubjectRef> = self
                .subjects_of(id)
                .into_iter()
                .filter(|s| {
                    (s.kind == "User" && s.name == ANONYMOUS_USER)
                        || (s.kind == "Group"
                            && (s.name == UNAUTHENTICATED || s.name == AUTHENTICATED))
                })
                .collect();
            if exposed.is_empty() {
                continue;
            }
            let anonymous = exposed.iter().any(|s| s.name != AUTHENTICATED);
            let severity = if anonymous {
                Severity::High
            } else {
                Severity::Medium
            };
            let binding = self.graph.binding_ref(id);
            let role = self.graph.referenced_role(id);
            let who = if anonymous {
                "anonymous requests"
            } else {
                "every authenticated user and service account"
            };
            let scope = match &b.namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "cluster-wide".to_string(),
            };
            let mut f = Finding::new(
                c,
                severity,
                format!("{binding} grants {role} {scope} to {who}"),
            );
            if let Some((role_id, r)) = self.graph.bound_role(id) {
                let role_ref = self.graph.role_ref(role_id);
                for (index, rule) in r.rules.iter().enumerate() {
                    f.evidence.push(AuditEvidence::Rule {
                        role: role_ref.clone(),
                        rule_index: index,
                        rule: rule.clone(),
                    });
                }
            }
            f.subjects = exposed;
            f.objects = vec![binding, role];
            out.push(f);
        }
    }

    /// RBAC-DANGLING-ROLEREF.
    fn dangling(&self, out: &mut Vec<Finding>) {
        let c = control("RBAC-DANGLING-ROLEREF");
        for i in 0..self.graph.bindings().len() {
            let id = BindingId(i as u32);
            let why = match self.graph.resolution(id) {
                Some(RoleResolution::Resolved { .. }) | None => continue,
                Some(RoleResolution::Missing) => "does not exist".to_string(),
                Some(RoleResolution::Invalid { reason }) => reason.clone(),
            };
            let binding = self.graph.binding_ref(id);
            let role = self.graph.referenced_role(id);
            let mut f = Finding::new(
                c,
                Severity::Low,
                format!("{binding} references {role}, which {why}; it grants nothing"),
            );
            f.subjects = self.subjects_of(id);
            f.objects = vec![binding];
            out.push(f);
        }
    }

    /// RBAC-DEAD-SUBJECT: subjects that can never match.
    fn dead_subjects(&self, out: &mut Vec<Finding>) {
        let c = control("RBAC-DEAD-SUBJECT");
        for (i, b) in self.graph.bindings().iter().enumerate() {
            let id = BindingId(i as u32);
            if self.defaults.binding(id) {
                continue;
            }
            for (index, s) in b.subjects.iter().enumerate() {
                if self.graph.report_subject(id, s).is_some() {
                    continue;
                }
                let binding = self.graph.binding_ref(id);
                let why = match &s.kind {
                    SubjectKind::ServiceAccount => format!(
                        "names ServiceAccount {} without a namespace; in a ClusterRoleBinding such a subject never matches",
                        s.name
                    ),
                    other => format!(
                        "names a subject of kind `{}` ({}), which never matches",
                        other.as_str(),
                        s.name
                    ),
                };
                let mut f = Finding::new(
                    c,
                    Severity::Low,
                    format!("{binding} subjects[{index}] {why}"),
                );
                f.objects = vec![binding, self.graph.referenced_role(id)];
                out.push(f);
            }
        }
    }

    /// RBAC-UNUSED-ROLE.
    fn unused_roles(&self, out: &mut Vec<Finding>) {
        let c = control("RBAC-UNUSED-ROLE");
        let mut contributors: HashSet<RoleId> = HashSet::new();
        for (i, role) in self.graph.roles().iter().enumerate() {
            if role.aggregation.is_some() {
                contributors.extend(self.graph.aggregated_from(RoleId(i as u32)));
            }
        }
        for i in 0..self.graph.roles().len() {
            let id = RoleId(i as u32);
            if self.defaults.role(id)
                || contributors.contains(&id)
                || !self.bindings_of_role(id).is_empty()
            {
                continue;
            }
            let role = self.graph.role_ref(id);
            let mut f = Finding::new(c, Severity::Info, format!("no binding references {role}"));
            f.objects.push(role);
            out.push(f);
        }
    }

    /// RBAC-WORKLOAD-DEFAULT-SA.
    fn workloads_on_default(&self, out: &mut Vec<Finding>) {
        let c = control("RBAC-WORKLOAD-DEFAULT-SA");
        for w in self.graph.workloads() {
            if w.pod.service_account != "default" {
                continue;
            }
            let (mounted, why) = self.automount(w);
            let object = Self::workload_ref(w);
            let subject = SubjectRef::service_account(&w.namespace, "default");
            let mut f = Finding::new(
                c,
                if mounted {
                    Severity::Low
                } else {
                    Severity::Info
                },
                format!(
                    "{object} runs as {subject}, shared by every pod of the namespace that names no ServiceAccount"
                ),
            );
            f.evidence.push(AuditEvidence::Fact { message: why });
            f.subjects.push(subject);
            f.objects.push(object);
            out.push(f);
        }
    }

    /// RBAC-DEAD-RULE: `R/*` resources, which match nothing.
    fn dead_rules(&self, out: &mut Vec<Finding>) {
        let c = control("RBAC-DEAD-RULE");
        for (i, role) in self.graph.roles().iter().enumerate() {
            let id = RoleId(i as u32);
            if self.defaults.role(id) {
                continue;
            }
            let role_ref = self.graph.role_ref(id);
            for (index, rule) in role.rules.iter().enumerate() {
                let dead: Vec<&String> = rule
                    .resources
                    .iter()
                    .filter(|r| {
                        r.strip_suffix("/*")
                            .is_some_and(|base| !base.is_empty() && base != "*")
                    })
                    .collect();
                if dead.is_empty() {
                    continue;
                }
                let names: Vec<String> = dead.iter().map(|r| format!("`{r}`")).collect();
                let mut f = Finding::new(
                    c,
                    Severity::Low,
                    format!(
                        "{role_ref} rule {index} names {}, which RBAC never matches (`R/*` is not a wildcard)",
                        names.join(", ")
                    ),
                );
                f.evidence.push(AuditEvidence::Rule {
                    role: role_ref.clone(),
                    rule_index: index,
                    rule: rule.clone(),
                });
                for b in self.bindings_of_role(id) {
                    f.subjects.extend(self.subjects_of(b));
                }
                f.subjects.sort();
                f.subjects.dedup();
                f.objects.push(role_ref.clone());
                out.push(f);
            }
        }
    }
}

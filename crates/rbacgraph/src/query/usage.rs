//! Granted versus used: replays the requests of an audit log
//! ([`AuditLog`]) against the cluster's RBAC and reports, per principal,
//! which granted rules were used in the log window and which were not, the
//! requests that were denied, the bindings that could be removed, and the
//! least Role(s)/ClusterRole (with bindings) that would allow what was used,
//! as ready-to-apply manifests.
//!
//! What is *granted*: every rule of every binding that applies to the
//! principal, cluster-wide and in every namespace (not only the namespaces
//! seen in the log: a grant in a namespace it never touched is unused).
//!
//! What counts as *used*: a rule is used when it allows a request that the
//! log shows allowed and that the given RBAC allows too (every allowing rule
//! counts, not only the first the authorizer visits: removing one of two
//! rules that both allow a request is safe only if the other stays, so
//! neither is called unused). A request the log shows allowed but the given
//! RBAC denies was allowed by something else (another authorizer, or RBAC
//! that changed since): it is listed with the denied ones.
//!
//! How roles are generated, following audit2rbac (liggitt/audit2rbac,
//! `pkg/process.go`, `pkg/util.go`) where it is least privilege, and
//! tighter where it is not:
//! - Requests needed: those the log shows allowed (plus, with
//!   [`UsageOptions::include_denied`], those it shows denied), except those
//!   the given RBAC allows only through Group bindings (discovery for
//!   `system:authenticated`, …): such grants are shared and stay. (This is
//!   audit2rbac#7, "take existing roles into account".)
//! - A namespaced request → a Role and RoleBinding in its namespace; a
//!   cluster-scoped, all-namespace or non-resource-URL request → one
//!   ClusterRole and ClusterRoleBinding. (audit2rbac turns a request seen in
//!   several namespaces into a ClusterRole; rbacgraph keeps one Role per
//!   namespace, which grants less.)
//! - Verbs are expanded as audit2rbac does by default, because clients that
//!   use one almost always use the others: `list` → `get`, `list`, `watch`;
//!   `watch` → `get`, `list`, `watch`; `update` → `get`, `patch`, `update`;
//!   `patch` → `get`, `patch`, `update` ([`UsageOptions::expand_verbs`]).
//! - A named request keeps its name as `resourceNames`, unless the same
//!   verb on the same resource was also used without a name or with another
//!   name in that scope: then any name (audit2rbac's
//!   `ExpandMultipleNamesToUnnamed`).
//! - Atoms are deduplicated, those covered by others dropped (in a
//!   namespace, also those the ClusterRole covers: its ClusterRoleBinding
//!   grants them everywhere), and the rest merged into few rules
//!   ([`crate::query::ruleset::compact`]).
//! - The generated objects are checked: a graph of only them must allow
//!   every needed request ([`PrincipalUsage::unverified`] lists any it does
//!   not, which would be a bug).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::authorize::Reason;
use super::ruleset::{ScopedRule, breakdown, compact, covered, minimize};
use super::{ObjectRef, SubjectRef};
use crate::RBAC_GROUP;
use crate::auditlog::{AuditLog, AuditStats, LogDecision};
use crate::graph::RbacGraph;
use crate::model::{
    Binding, BindingKind, Object, PolicyRule, Role, RoleKind, RoleRef, Source, Subject,
};
use crate::render::{Document, document};
use crate::request::{Identity, Request, split_service_account};

/// What to report and how to generate roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageOptions {
    /// Only these user names (`system:serviceaccount:NS:NAME` for a service
    /// account); empty for every principal in the log.
    pub users: Vec<String>,
    /// Generated roles also cover requests the log shows denied (what
    /// audit2rbac does: the role that *would have* allowed them).
    pub include_denied: bool,
    /// Expand verbs as audit2rbac does (see the module documentation).
    pub expand_verbs: bool,
    /// Generated objects are named `PREFIX:USER` (for a service account,
    /// `PREFIX:NAME` unless its name is `default`), as audit2rbac names them
    /// `audit2rbac:USER`.
    pub name_prefix: String,
}

impl Default for UsageOptions {
    fn default() -> Self {
        UsageOptions {
            users: Vec::new(),
            include_denied: false,
            expand_verbs: true,
            name_prefix: "rbacgraph".into(),
        }
    }
}

/// A granted rule and how often it was used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantUsage {
    /// The rule, its scope, binding, role and subject.
    #[serde(flatten)]
    pub rule: ScopedRule,
    /// Logged events of requests it allows (0: unused).
    pub uses: usize,
    /// Granted through a Group binding (shared with every member).
    pub shared: bool,
}

/// A binding none of whose rules was used, granted to the principal itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovableGrant {
    /// The binding.
    pub binding: ObjectRef,
    /// Its role.
    pub role: ObjectRef,
    /// The subject naming the principal (remove it, or the whole binding
    /// when it is the only subject).
    pub subject: SubjectRef,
    /// How many rules the role grants.
    pub rules: usize,
}

/// One distinct request of a principal, as logged and as evaluated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedRequest {
    /// The request attributes.
    pub request: Request,
    /// Events of it that the log shows allowed.
    pub allowed_in_log: usize,
    /// Events of it that the log shows denied.
    pub denied_in_log: usize,
    /// Whether the given RBAC allows it.
    pub rbac_allowed: bool,
    /// Derived from impersonation (`impersonate` on the impersonated user,
    /// groups, extras, UID), not logged as such.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub derived: bool,
}

impl ObservedRequest {
    /// Events in all.
    pub fn events(&self) -> usize {
        self.allowed_in_log + self.denied_in_log
    }
}

/// Metadata of a generated object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ManifestMeta {
    /// `rbacgraph/generated: "true"` and `rbacgraph/user: USER` (sanitised).
    pub labels: BTreeMap<String, String>,
    /// Name.
    pub name: String,
    /// Namespace (Role, RoleBinding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A rule as Kubernetes writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestRule {
    /// API groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    /// Non-resource URLs.
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
    /// Resource names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    /// Resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Verbs.
    pub verbs: Vec<String>,
}

impl From<&PolicyRule> for ManifestRule {
    fn from(r: &PolicyRule) -> Self {
        ManifestRule {
            api_groups: r.api_groups.clone(),
            non_resource_urls: r.non_resource_urls.clone(),
            resource_names: r.resource_names.clone(),
            resources: r.resources.clone(),
            verbs: r.verbs.clone(),
        }
    }
}

impl ManifestRule {
    /// As a model rule.
    pub fn to_rule(&self) -> PolicyRule {
        PolicyRule {
            verbs: self.verbs.clone(),
            api_groups: self.api_groups.clone(),
            resources: self.resources.clone(),
            resource_names: self.resource_names.clone(),
            non_resource_urls: self.non_resource_urls.clone(),
        }
    }
}

/// A binding's roleRef as Kubernetes writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestRoleRef {
    /// `rbac.authorization.k8s.io`.
    pub api_group: String,
    /// `Role` or `ClusterRole`.
    pub kind: String,
    /// Name.
    pub name: String,
}

/// A binding subject as Kubernetes writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestSubject {
    /// `rbac.authorization.k8s.io` for a User; none for a ServiceAccount.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_group: String,
    /// `User` or `ServiceAccount`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (ServiceAccount).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A generated, ready-to-apply RBAC object (fields in `kubectl get -o yaml`
/// order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// `rbac.authorization.k8s.io/v1`.
    pub api_version: String,
    /// `Role`, `ClusterRole`, `RoleBinding` or `ClusterRoleBinding`.
    pub kind: String,
    /// Name, namespace and labels.
    pub metadata: ManifestMeta,
    /// A binding's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_ref: Option<ManifestRoleRef>,
    /// A role's rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<ManifestRule>>,
    /// A binding's subjects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subjects: Option<Vec<ManifestSubject>>,
}

impl Manifest {
    /// As a model object (to build a graph of it), labelled `source`.
    pub fn to_object(&self, source: &str) -> Object {
        let source = Source::inline(source);
        match (&self.rules, &self.role_ref) {
            (Some(rules), _) => Object::Role(Role {
                kind: if self.kind == "Role" {
                    RoleKind::Role
                } else {
                    RoleKind::ClusterRole
                },
                name: self.metadata.name.clone(),
                namespace: self.metadata.namespace.clone(),
                labels: self.metadata.labels.clone(),
                rules: rules.iter().map(ManifestRule::to_rule).collect(),
                aggregation: None,
                api_version: self.api_version.clone(),
                source,
            }),
            (_, role_ref) => Object::Binding(Binding {
                kind: if self.kind == "RoleBinding" {
                    BindingKind::RoleBinding
                } else {
                    BindingKind::ClusterRoleBinding
                },
                name: self.metadata.name.clone(),
                namespace: self.metadata.namespace.clone(),
                role_ref: RoleRef {
                    kind: role_ref
                        .as_ref()
                        .map(|r| r.kind.clone())
                        .unwrap_or_default(),
                    name: role_ref
                        .as_ref()
                        .map(|r| r.name.clone())
                        .unwrap_or_default(),
                    api_group: RBAC_GROUP.into(),
                },
                subjects: self
                    .subjects
                    .iter()
                    .flatten()
                    .map(|s| match &s.namespace {
                        Some(ns) => Subject::service_account(ns, &s.name),
                        None => Subject::user(&s.name),
                    })
                    .collect(),
                api_version: self.api_version.clone(),
                source,
            }),
        }
    }
}

/// What one principal was granted, used, denied, and would need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalUsage {
    /// The user or service account.
    pub principal: SubjectRef,
    /// Its user name and every group it had in the log (implicit ones added).
    pub identity: Identity,
    /// Events in the log (plus derived impersonation requests).
    pub events: usize,
    /// Member of `system:masters`: allowed everything, nothing generated.
    pub superuser: bool,
    /// Every distinct request, in the order of its text.
    pub requests: Vec<ObservedRequest>,
    /// Every rule granted to it in any scope, with its uses.
    pub grants: Vec<GrantUsage>,
    /// Bindings to the principal itself none of whose rules was used.
    pub removable: Vec<RemovableGrant>,
    /// Requests denied in the log, or allowed in the log but not by the given RBAC.
    pub denied: Vec<ObservedRequest>,
    /// Needed requests allowed only through Group bindings (left to them).
    pub covered_by_groups: usize,
    /// The least Role(s)/ClusterRole and bindings that allow what was used.
    pub generated: Vec<Manifest>,
    /// Needed requests the generated objects do not allow (always empty
    /// unless rbacgraph has a bug).
    pub unverified: Vec<Request>,
    /// Unresolvable role references met.
    pub errors: Vec<String>,
}

/// The time span the log covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First timestamp.
    pub first: String,
    /// Last timestamp.
    pub last: String,
}

/// The answer of [`RbacGraph::usage`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    /// The log window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// What was read from the log.
    pub stats: AuditStats,
    /// One entry per principal, by user name.
    pub principals: Vec<PrincipalUsage>,
}

impl UsageReport {
    /// As a versioned document (`kind: UsageReport`).
    pub fn to_document(&self) -> Document<&UsageReport> {
        document("UsageReport", self)
    }

    /// Every generated object of every principal, in order.
    pub fn manifests(&self) -> Vec<&Manifest> {
        self.principals.iter().flat_map(|p| &p.generated).collect()
    }
}

#[derive(Default)]
struct Observed {
    identity: Identity,
    events: usize,
    requests: BTreeMap<String, ObservedRequest>,
}

impl Observed {
    fn add(&mut self, request: &Request, decision: LogDecision, derived: bool) {
        self.events += 1;
        let entry = self
            .requests
            .entry(format!("{request}"))
            .or_insert_with(|| ObservedRequest {
                request: request.clone(),
                allowed_in_log: 0,
                denied_in_log: 0,
                rbac_allowed: false,
                derived,
            });
        match decision {
            LogDecision::Allowed => entry.allowed_in_log += 1,
            LogDecision::Denied => entry.denied_in_log += 1,
        }
    }

    fn merge_groups(&mut self, identity: &Identity) {
        if self.identity.name.is_empty() {
            self.identity = identity.clone();
            return;
        }
        for g in &identity.groups {
            if !self.identity.groups.contains(g) {
                self.identity.groups.push(g.clone());
            }
        }
    }
}

impl RbacGraph {
    /// Granted versus used: replays `log` against this graph and reports,
    /// per principal (the user each request ran as, and each impersonator
    /// for its `impersonate` requests), the rules used and unused, the
    /// denied requests, the removable bindings and the least roles that
    /// allow what was used.
    ///
    /// # Arguments
    /// * `log` — the audit events ([`AuditLog`]).
    /// * `options` — principal filter and role generation ([`UsageOptions`]).
    ///
    /// # Returns
    /// A [`UsageReport`], principals ordered by user name.
    ///
    /// # Complexity
    /// One [`RbacGraph::authorize`] per distinct (principal, request), plus
    /// one per needed request on the graph of the generated objects.
    ///
    /// # Example
    /// ```
    /// use rbacgraph::RbacGraph;
    /// use rbacgraph::auditlog::AuditLog;
    /// use rbacgraph::query::usage::UsageOptions;
    /// let graph = RbacGraph::builder().load_str("cluster.yaml", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: reader}
    /// rules:
    /// - {apiGroups: [''], resources: [pods, secrets], verbs: [get, list, watch]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: read, namespace: web}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
    /// subjects: [{kind: User, name: jane}]
    /// ").build().unwrap();
    /// let mut log = AuditLog::new();
    /// log.load_str("audit.log", r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/web/pods","verb":"list","user":{"username":"jane"},"objectRef":{"resource":"pods","namespace":"web"},"responseStatus":{"code":200}}"#);
    /// let report = graph.usage(&log, &UsageOptions::default());
    /// let jane = &report.principals[0];
    /// assert_eq!(jane.grants[0].uses, 1); // the rule that allows `list pods`
    /// let role = &jane.generated[0];
    /// assert_eq!((role.kind.as_str(), role.metadata.namespace.as_deref()), ("Role", Some("web")));
    /// let rules = role.rules.as_ref().unwrap();
    /// assert_eq!(rules[0].resources, ["pods"]); // not secrets: never used
    /// assert_eq!(rules[0].verbs, ["get", "list", "watch"]);
    /// ```
    pub fn usage(&self, log: &AuditLog, options: &UsageOptions) -> UsageReport {
        let wanted =
            |name: &str| options.users.is_empty() || options.users.iter().any(|u| u == name);
        let mut by_user: BTreeMap<String, Observed> = BTreeMap::new();
        for r in &log.requests {
            if wanted(&r.identity.name) {
                let o = by_user.entry(r.identity.name.clone()).or_default();
                o.merge_groups(&r.identity);
                o.add(&r.request, r.decision, false);
            }
            if let Some(imp) = r.impersonator.as_ref().filter(|i| wanted(&i.name)) {
                let o = by_user.entry(imp.name.clone()).or_default();
                o.merge_groups(imp);
                // The impersonation itself was allowed: the request ran as
                // the impersonated user.
                for req in r.impersonation_requests() {
                    o.add(&req, LogDecision::Allowed, true);
                }
            }
        }
        let principals = by_user
            .into_values()
            .map(|o| self.principal_usage(o, options))
            .collect();
        UsageReport {
            window: log.window().map(|(first, last)| Window { first, last }),
            stats: log.stats.clone(),
            principals,
        }
    }

    fn principal_usage(&self, observed: Observed, options: &UsageOptions) -> PrincipalUsage {
        let identity = observed.identity;
        let principal = match split_service_account(&identity.name) {
            Some((ns, name)) => SubjectRef::service_account(ns, name),
            None => SubjectRef::user(&identity.name),
        };
        let held = self.scoped_rules_for(&identity);
        let mut uses: BTreeMap<(ObjectRef, usize), usize> = BTreeMap::new();
        let mut requests: Vec<ObservedRequest> = observed.requests.into_values().collect();
        let mut needed: Vec<Request> = Vec::new();
        let mut covered_by_groups = 0;
        for o in &mut requests {
            let decision = self.authorize(&identity, &o.request);
            o.rbac_allowed = decision.allowed;
            if decision.allowed && o.allowed_in_log > 0 {
                for reason in &decision.reasons {
                    if let Reason::Rule {
                        binding,
                        rule_index,
                        ..
                    } = reason
                    {
                        *uses
                            .entry((strip_source(binding), *rule_index))
                            .or_default() += o.allowed_in_log;
                    }
                }
            }
            let wanted = o.allowed_in_log > 0 || (options.include_denied && o.denied_in_log > 0);
            if !wanted {
                continue;
            }
            // Allowed only through Group bindings (or system:masters): those
            // grants are shared and stay; what the principal's own bindings
            // allow is what the generated roles replace.
            let only_groups = decision.allowed
                && decision.reasons.iter().all(|r| match r {
                    Reason::PrivilegedGroup { .. } => true,
                    Reason::Rule { subject, .. } => subject.kind == "Group",
                });
            if only_groups {
                covered_by_groups += 1;
            } else {
                needed.push(o.request.clone());
            }
        }
        let grants: Vec<GrantUsage> = held
            .rules
            .into_iter()
            .map(|rule| {
                let key = (strip_source(&rule.rule.binding), rule.rule.rule_index);
                GrantUsage {
                    uses: uses.get(&key).copied().unwrap_or(0),
                    shared: rule.rule.subject.kind == "Group",
                    rule,
                }
            })
            .collect();
        // Bindings to the principal itself with no rule used.
        let mut per_binding: BTreeMap<ObjectRef, (ObjectRef, SubjectRef, usize, usize)> =
            BTreeMap::new();
        for g in grants.iter().filter(|g| !g.shared) {
            let e = per_binding
                .entry(g.rule.rule.binding.clone())
                .or_insert_with(|| (g.rule.rule.role.clone(), g.rule.rule.subject.clone(), 0, 0));
            e.2 += 1;
            e.3 += g.uses;
        }
        let removable = per_binding
            .into_iter()
            .filter(|(_, (_, _, _, used))| *used == 0)
            .map(|(binding, (role, subject, rules, _))| RemovableGrant {
                binding,
                role,
                subject,
                rules,
            })
            .collect();
        let denied = requests
            .iter()
            .filter(|o| o.denied_in_log > 0 || !o.rbac_allowed)
            .cloned()
            .collect();
        let superuser = identity.is_superuser();
        let generated = if superuser {
            Vec::new()
        } else {
            generate(&identity.name, &needed, options)
        };
        let check = RbacGraph::from_objects(generated.iter().map(|m| m.to_object("generated")));
        let unverified = needed
            .iter()
            .filter(|r| !check.authorize(&identity, r).allowed)
            .cloned()
            .collect();
        PrincipalUsage {
            principal,
            events: observed.events,
            superuser,
            requests,
            grants,
            removable,
            denied,
            covered_by_groups,
            generated,
            unverified: if superuser { Vec::new() } else { unverified },
            errors: held.errors,
            identity,
        }
    }
}

fn strip_source(r: &ObjectRef) -> ObjectRef {
    ObjectRef {
        source: None,
        ..r.clone()
    }
}

/// audit2rbac's default verb expansions (`pkg/process.go ::
/// DefaultGenerateOptions`), the observed verb included.
fn expand_verb(verb: &str) -> Vec<&str> {
    match verb {
        "list" | "watch" => vec!["get", "list", "watch"],
        "update" | "patch" => vec!["get", "patch", "update"],
        v => vec![v],
    }
}

/// The least Role(s)/ClusterRole and their bindings that allow `requests`
/// for `username`: namespaced requests in a Role per namespace,
/// cluster-scoped, all-namespace and URL requests in one ClusterRole (see
/// the module documentation for verbs and names). Objects come in
/// audit2rbac's order: ClusterRole, ClusterRoleBinding, Roles, RoleBindings.
///
/// ```
/// use rbacgraph::Request;
/// use rbacgraph::query::usage::{generate, UsageOptions};
/// let requests = [
///     Request::resource("get", "", "secrets").in_namespace("web").named("tls"),
///     Request::non_resource("get", "/metrics"),
/// ];
/// let objects = generate("jane", &requests, &UsageOptions::default());
/// let kinds: Vec<&str> = objects.iter().map(|o| o.kind.as_str()).collect();
/// assert_eq!(kinds, ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
/// let role = objects[2].rules.as_ref().unwrap();
/// assert_eq!(role[0].resource_names, ["tls"]);
/// assert_eq!(objects[2].metadata.name, "rbacgraph:jane");
/// ```
pub fn generate(username: &str, requests: &[Request], options: &UsageOptions) -> Vec<Manifest> {
    // scope ("" = cluster) → atoms
    let mut scopes: BTreeMap<String, Vec<PolicyRule>> = BTreeMap::new();
    for r in requests {
        match r {
            Request::Resource(rr) => {
                let resource = if rr.subresource.is_empty() {
                    rr.resource.clone()
                } else {
                    format!("{}/{}", rr.resource, rr.subresource)
                };
                let verbs = if options.expand_verbs {
                    expand_verb(&rr.verb)
                } else {
                    vec![rr.verb.as_str()]
                };
                let atoms = scopes.entry(rr.namespace.clone()).or_default();
                for v in verbs {
                    let atom =
                        PolicyRule::resource([v], [rr.api_group.as_str()], [resource.as_str()]);
                    atoms.push(if rr.name.is_empty() {
                        atom
                    } else {
                        atom.with_names([rr.name.as_str()])
                    });
                }
            }
            Request::NonResource(nr) => {
                scopes
                    .entry(String::new())
                    .or_default()
                    .push(PolicyRule::non_resource(
                        [nr.verb.as_str()],
                        [nr.path.as_str()],
                    ))
            }
        }
    }
    let (name, subject, labels) = naming(username, &options.name_prefix);
    let mut cluster = Vec::new();
    let mut namespaced = Vec::new();
    // What the ClusterRole grants is granted in every namespace too (through
    // its ClusterRoleBinding): namespace atoms it covers are left out.
    let cluster_atoms = minimize(generalize_names(
        scopes.get("").cloned().unwrap_or_default(),
    ));
    for (ns, atoms) in scopes {
        let atoms = if ns.is_empty() {
            cluster_atoms.clone()
        } else {
            let owners: Vec<&PolicyRule> = cluster_atoms.iter().collect();
            minimize(generalize_names(atoms))
                .into_iter()
                .filter(|a| !covered(&owners, a))
                .collect()
        };
        let rules: Vec<ManifestRule> = compact(&atoms).iter().map(ManifestRule::from).collect();
        if rules.is_empty() {
            continue;
        }
        let namespace = (!ns.is_empty()).then_some(ns);
        let (role_kind, binding_kind) = if namespace.is_some() {
            ("Role", "RoleBinding")
        } else {
            ("ClusterRole", "ClusterRoleBinding")
        };
        let meta = ManifestMeta {
            labels: labels.clone(),
            name: name.clone(),
            namespace,
        };
        let role = Manifest {
            api_version: format!("{RBAC_GROUP}/v1"),
            kind: role_kind.into(),
            metadata: meta.clone(),
            role_ref: None,
            rules: Some(rules),
            subjects: None,
        };
        let binding = Manifest {
            api_version: format!("{RBAC_GROUP}/v1"),
            kind: binding_kind.into(),
            metadata: meta,
            role_ref: Some(ManifestRoleRef {
                api_group: RBAC_GROUP.into(),
                kind: role_kind.into(),
                name: name.clone(),
            }),
            rules: None,
            subjects: Some(vec![subject.clone()]),
        };
        let target = if role_kind == "Role" {
            &mut namespaced
        } else {
            &mut cluster
        };
        target.push((role, binding));
    }
    let mut out = Vec::new();
    for group in [cluster, namespaced] {
        let (roles, bindings): (Vec<Manifest>, Vec<Manifest>) = group.into_iter().unzip();
        out.extend(roles);
        out.extend(bindings);
    }
    out
}

/// Drops names where the same verb on the same resource was used without a
/// name or with several names (audit2rbac's `ExpandMultipleNamesToUnnamed`).
fn generalize_names(atoms: Vec<PolicyRule>) -> Vec<PolicyRule> {
    let key = |a: &PolicyRule| (a.verbs.clone(), a.api_groups.clone(), a.resources.clone());
    type Key = (Vec<String>, Vec<String>, Vec<String>);
    let mut names: BTreeMap<Key, BTreeSet<Option<String>>> = BTreeMap::new();
    for a in atoms.iter().flat_map(breakdown) {
        names
            .entry(key(&a))
            .or_default()
            .insert(a.resource_names.first().cloned());
    }
    atoms
        .into_iter()
        .map(|mut a| {
            if names.get(&key(&a)).is_some_and(|n| n.len() > 1) {
                a.resource_names.clear();
            }
            a
        })
        .collect()
}

/// Object name, subject and labels for a generated object, as audit2rbac
/// names them (`cmd/audit2rbac/audit2rbac.go :: Complete`, `sanitizeName`,
/// `sanitizeLabel`).
fn naming(username: &str, prefix: &str) -> (String, ManifestSubject, BTreeMap<String, String>) {
    let (short, subject) = match split_service_account(username) {
        Some((ns, name)) => (
            if name == "default" { username } else { name },
            ManifestSubject {
                api_group: String::new(),
                kind: "ServiceAccount".into(),
                name: name.into(),
                namespace: Some(ns.into()),
            },
        ),
        None => (
            username,
            ManifestSubject {
                api_group: RBAC_GROUP.into(),
                kind: "User".into(),
                name: username.into(),
                namespace: None,
            },
        ),
    };
    let sanitize = |s: &str, keep_colon: bool| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || (keep_colon && c == ':') {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    };
    let name = format!("{prefix}:{}", sanitize(short, true));
    // A label value: at most 63 characters, alphanumeric at both ends.
    let mut label = sanitize(username, false);
    label.truncate(63);
    let label = label.trim_matches('-').to_string();
    let mut labels = BTreeMap::from([("rbacgraph/generated".to_string(), "true".to_string())]);
    if !label.is_empty() {
        labels.insert("rbacgraph/user".into(), label);
    }
    (name, subject, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_generalise_only_when_several_are_used() {
        let opts = UsageOptions {
            expand_verbs: false,
            ..UsageOptions::default()
        };
        let reqs = [
            Request::resource("get", "", "secrets")
                .in_namespace("a")
                .named("x"),
            Request::resource("get", "", "secrets")
                .in_namespace("a")
                .named("y"),
            Request::resource("get", "", "configmaps")
                .in_namespace("a")
                .named("z"),
        ];
        let objects = generate("jane", &reqs, &opts);
        let rules = objects[0].rules.clone().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].resources, ["configmaps"]);
        assert_eq!(rules[0].resource_names, ["z"]);
        assert_eq!(rules[1].resources, ["secrets"]);
        assert!(rules[1].resource_names.is_empty());
    }

    #[test]
    fn service_accounts_are_named_like_audit2rbac() {
        let (name, subject, labels) = naming("system:serviceaccount:ns1:sa1", "audit2rbac");
        assert_eq!(name, "audit2rbac:sa1");
        assert_eq!(subject.kind, "ServiceAccount");
        assert_eq!(subject.namespace.as_deref(), Some("ns1"));
        assert_eq!(labels["rbacgraph/user"], "system-serviceaccount-ns1-sa1");
        let (name, _, _) = naming("system:serviceaccount:ns1:default", "p");
        assert_eq!(name, "p:system:serviceaccount:ns1:default");
        let (name, _, _) = naming("Alice@Example.com", "p");
        assert_eq!(name, "p:alice-example-com");
    }
}

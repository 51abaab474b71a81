//! `who-can`: which subjects may make a request.

use foldhash::{HashMap, HashMapExt};

use serde::Serialize;

use super::{ObjectRef, SubjectRef};
use crate::graph::{BindingId, RbacGraph, RoleId};
use crate::index::RuleRef;
use crate::matching::{name_matches, rule_allows, verb_has_bit};
use crate::model::{RoleKind, Scope, Subject};
use crate::request::{Request, SYSTEM_MASTERS};

/// A who-can question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoCanQuery {
    /// The request; its namespace is the one asked about unless
    /// `all_namespaces` is set.
    pub request: Request,
    /// Evaluate the RoleBindings of every namespace, each in its own
    /// namespace (for namespaced resources; cluster-scoped resources and
    /// non-resource URLs can only be granted by ClusterRoleBindings).
    pub all_namespaces: bool,
    /// List concrete principals (users and service accounts, implicit groups
    /// applied) instead of subjects as bound.
    pub expand: bool,
}

impl WhoCanQuery {
    /// Subjects as bound, in the request's namespace.
    pub fn new(request: Request) -> Self {
        WhoCanQuery {
            request,
            all_namespaces: false,
            expand: false,
        }
    }

    /// Sets all-namespaces mode.
    pub fn all_namespaces(mut self, yes: bool) -> Self {
        self.all_namespaces = yes;
        self
    }

    /// Sets expand mode.
    pub fn expand(mut self, yes: bool) -> Self {
        self.expand = yes;
        self
    }
}

/// One way a subject is granted the request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The binding.
    pub binding: ObjectRef,
    /// Its role.
    pub role: ObjectRef,
    /// Indexes of the role's rules that allow the request.
    pub rules: Vec<usize>,
    /// In expand mode, the bound subject through which the principal is
    /// granted (itself, or a group it is in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<SubjectRef>,
}

/// A subject and its grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectGrants {
    /// The subject.
    #[serde(flatten)]
    pub subject: SubjectRef,
    /// How it is granted (empty for `system:masters`, allowed by the
    /// privileged-groups authorizer).
    pub grants: Vec<Grant>,
}

/// The answer to a who-can question.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCan {
    /// Subjects (or principals in expand mode), deduplicated.
    pub subjects: Vec<SubjectGrants>,
    /// Role references that could not be resolved.
    pub errors: Vec<String>,
}

/// A binding that allows a request: which role and which of its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowingBinding {
    /// The binding.
    pub binding: BindingId,
    /// Its role.
    pub role: RoleId,
    /// Allowing rule indexes.
    pub rules: Vec<usize>,
}

impl RbacGraph {
    /// The bindings whose role allows the request, in the subject locator's
    /// order: every ClusterRoleBinding, then the RoleBindings of the request
    /// namespace (or, with `all_namespaces`, of every namespace). Also returns
    /// resolution errors.
    ///
    /// See: `plugin/pkg/auth/authorizer/rbac/subject_locator.go :: AllowedSubjects`.
    pub fn allowing_bindings(
        &self,
        request: &Request,
        all_namespaces: bool,
    ) -> (Vec<AllowingBinding>, Vec<String>) {
        // Only rules that name a matching resource string (or URL) can allow
        // the request; check those fully, then find their roles' bindings.
        let candidates: Vec<RuleRef> = match request {
            Request::Resource(r) => {
                self.index
                    .resource_candidates(&r.verb, &r.api_group, &r.resource, &r.subresource)
            }
            Request::NonResource(_) => self.index.non_resource_candidates().to_vec(),
        };
        let namespace = request.namespace();
        // A Role is bound only by RoleBindings of its own namespace: outside
        // all-namespaces mode, the Roles of other namespaces cannot answer.
        let in_reach = |role: &crate::model::Role| {
            all_namespaces
                || role.kind != RoleKind::Role
                || (!namespace.is_empty() && role.namespace.as_deref() == Some(namespace))
        };
        // The index matched verb, group and resource already when the verb
        // has its own bit: the names are left.
        let names_only = match request {
            Request::Resource(r) => verb_has_bit(&r.verb).then_some(r.name.as_str()),
            Request::NonResource(_) => None,
        };
        let mut by_role: Vec<(RoleId, Vec<usize>)> = Vec::new();
        for (role, rule) in candidates {
            let allows = self
                .role(role)
                .filter(|r| in_reach(r))
                .and_then(|r| r.rules.get(rule as usize))
                .is_some_and(|r| match names_only {
                    Some(name) => name_matches(r, name),
                    None => rule_allows(r, request),
                });
            if !allows {
                continue;
            }
            match by_role.last_mut() {
                Some((last, rules)) if *last == role => rules.push(rule as usize),
                _ => by_role.push((role, vec![rule as usize])),
            }
        }
        let role_bindings = if all_namespaces {
            self.role_bindings_can_grant(request)
        } else {
            !namespace.is_empty()
        };
        let mut cluster = Vec::new();
        let mut local = Vec::new();
        for (role, rules) in &by_role {
            for &b in self.index.cluster_bindings_of(*role) {
                cluster.push(AllowingBinding {
                    binding: b,
                    role: *role,
                    rules: rules.clone(),
                });
            }
            if role_bindings {
                let found = if all_namespaces {
                    self.index.role_bindings_of(*role)
                } else {
                    self.index.role_bindings_of_in(*role, namespace)
                };
                for &b in found {
                    local.push(AllowingBinding {
                        binding: b,
                        role: *role,
                        rules: rules.clone(),
                    });
                }
            }
        }
        // The subject locator's order: ClusterRoleBindings, then
        // RoleBindings, each in load order.
        cluster.sort_by_key(|a| a.binding);
        local.sort_by_key(|a| a.binding);
        cluster.extend(local);
        let mut errors: Vec<String> = self
            .index
            .unresolved_cluster
            .iter()
            .filter_map(|&b| self.resolution_error(b))
            .collect();
        if role_bindings {
            let mut unresolved: Vec<BindingId> = if all_namespaces {
                self.index
                    .unresolved_by_ns
                    .values()
                    .flatten()
                    .copied()
                    .collect()
            } else {
                self.index
                    .unresolved_by_ns
                    .get(namespace)
                    .cloned()
                    .unwrap_or_default()
            };
            unresolved.sort_unstable();
            errors.extend(
                unresolved
                    .into_iter()
                    .filter_map(|b| self.resolution_error(b)),
            );
        }
        (cluster, errors)
    }

    /// Whether, across namespaces, a RoleBinding could grant this request:
    /// only for resource requests on namespaced (or unknown) resources.
    fn role_bindings_can_grant(&self, request: &Request) -> bool {
        match request {
            Request::Resource(r) => {
                self.discovery.scope(&r.api_group, &r.resource) != Some(Scope::Cluster)
            }
            Request::NonResource(_) => false,
        }
    }

    /// The upstream subject locator's answer, verbatim: `Group system:masters`,
    /// then every subject of every allowing binding as written (no
    /// normalisation, duplicates kept). Use [`RbacGraph::who_can`] for a
    /// cleaned answer.
    pub fn allowed_subjects(&self, request: &Request) -> (Vec<Subject>, Vec<String>) {
        let (allowing, errors) = self.allowing_bindings(request, false);
        let mut out = vec![Subject::group(SYSTEM_MASTERS)];
        for a in &allowing {
            if let Some(b) = self.binding(a.binding) {
                out.extend(b.subjects.iter().cloned());
            }
        }
        (out, errors)
    }

    /// Who may make a request.
    ///
    /// Bound mode lists `Group system:masters`, then the subjects of every
    /// allowing ClusterRoleBinding and RoleBinding, deduplicated, with
    /// ServiceAccount subjects' namespaces filled in from their RoleBinding
    /// (and dropped from ClusterRoleBindings, where they can never match).
    /// Expand mode lists every known user and service account whose identity
    /// (implicit groups included) is allowed, and no groups.
    ///
    /// # Complexity
    /// O(bindings × rules) to find the allowing bindings, plus in expand mode
    /// O(principals × groups per principal).
    ///
    /// # Example
    /// ```
    /// use rbacgraph::{RbacGraph, Request, WhoCanQuery};
    /// let graph = RbacGraph::builder().load_str("demo", "
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: secret-reader}
    /// rules: [{apiGroups: [''], resources: [secrets], verbs: [get, list]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: ci-secrets, namespace: ci}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
    /// subjects: [{kind: ServiceAccount, name: builder}]
    /// ").build().unwrap();
    /// let answer = graph.who_can(&WhoCanQuery::new(
    ///     Request::resource("list", "", "secrets").in_namespace("ci"),
    /// ));
    /// let names: Vec<String> = answer.subjects.iter().map(|s| s.subject.to_string()).collect();
    /// assert_eq!(names, ["Group system:masters", "ServiceAccount ci/builder"]);
    /// ```
    pub fn who_can(&self, query: &WhoCanQuery) -> WhoCan {
        let (allowing, errors) = self.allowing_bindings(&query.request, query.all_namespaces);
        let subjects = if query.expand {
            self.expand_principals(&allowing)
        } else {
            self.bound_subjects(&allowing)
        };
        WhoCan { subjects, errors }
    }

    fn grant(&self, a: &AllowingBinding, via: Option<SubjectRef>) -> Grant {
        Grant {
            binding: self.binding_ref(a.binding),
            role: self.role_ref(a.role),
            rules: a.rules.clone(),
            via,
        }
    }

    fn bound_subjects(&self, allowing: &[AllowingBinding]) -> Vec<SubjectGrants> {
        let mut out = vec![SubjectGrants {
            subject: SubjectRef::group(SYSTEM_MASTERS),
            grants: Vec::new(),
        }];
        let mut index: HashMap<SubjectRef, usize> = HashMap::new();
        index.insert(SubjectRef::group(SYSTEM_MASTERS), 0);
        for a in allowing {
            let Some(binding) = self.binding(a.binding) else {
                continue;
            };
            // One grant per binding, cloned for each of its subjects.
            let grant = self.grant(a, None);
            for s in &binding.subjects {
                let Some(subject) = self.report_subject(a.binding, s) else {
                    continue;
                };
                let i = match index.get(&subject) {
                    Some(&i) => i,
                    None => {
                        index.insert(subject.clone(), out.len());
                        out.push(SubjectGrants {
                            subject,
                            grants: Vec::new(),
                        });
                        out.len() - 1
                    }
                };
                if let Some(entry) = out.get_mut(i)
                    && !entry.grants.contains(&grant)
                {
                    entry.grants.push(grant.clone());
                }
            }
        }
        out
    }

    /// Every known principal: users named by User subjects and service
    /// accounts known from objects or subjects. A User subject spelled as a
    /// service-account user name is that service account. Sorted.
    pub fn principals(&self) -> &[SubjectRef] {
        &self.index.principals
    }

    fn expand_principals(&self, allowing: &[AllowingBinding]) -> Vec<SubjectGrants> {
        // For every principal a bound subject admits (implicit groups
        // included), the allowing bindings and the subject it came through.
        let mut hits: HashMap<usize, Vec<(usize, SubjectRef)>> = HashMap::new();
        for (ai, a) in allowing.iter().enumerate() {
            let Some(binding) = self.binding(a.binding) else {
                continue;
            };
            let ns = binding.namespace.as_deref().unwrap_or("");
            for s in &binding.subjects {
                let Some(key) = crate::graph::subject_key(s, binding.kind, ns) else {
                    continue;
                };
                let via = SubjectRef::from_key(&key);
                for p in self.index.admitted(&key.kind, &key.name, &key.namespace) {
                    hits.entry(p).or_default().push((ai, via.clone()));
                }
            }
        }
        let mut principals: Vec<usize> = hits.keys().copied().collect();
        principals.sort_unstable();
        principals
            .into_iter()
            .filter_map(|p| {
                let mut grants = hits.remove(&p)?;
                grants.sort();
                grants.dedup();
                let grants = grants
                    .into_iter()
                    .filter_map(|(ai, via)| Some(self.grant(allowing.get(ai)?, Some(via))))
                    .collect();
                Some(SubjectGrants {
                    subject: self.index.principals.get(p)?.clone(),
                    grants,
                })
            })
            .collect()
    }
}

//! A deliberately naive reference evaluator for Kubernetes RBAC, written
//! straight from `/work/shared/spec/rbac-semantics.md` (§1–§5, §8).
//!
//! It shares nothing with the engine but the plain model types used as input
//! data (`rbacgraph::model`), the request attribute structs and
//! `Identity::authenticated` (the implicit groups of §4, which the who-can
//! expand mode is defined in terms of). Everything else — rule matching,
//! label selectors, aggregation, subject matching, role resolution, who-can
//! and rules-for — is a linear scan over a `World`, re-implemented here from
//! the spec text, so that the differential test compares two independent
//! implementations.

use std::collections::{BTreeMap, BTreeSet};

use rbacgraph::model::{
    Binding, BindingKind, LabelSelector, PolicyRule, Role, RoleKind, Scope, SelectorOperator,
    ServiceAccount, Subject, SubjectKind,
};
use rbacgraph::request::{Identity, Request, ResourceRequest};

/// The cluster as plain lists, in load order.
#[derive(Clone, Debug, Default)]
pub struct World {
    /// Roles and ClusterRoles (aggregated ClusterRoles with their manifest rules).
    pub roles: Vec<Role>,
    /// RoleBindings and ClusterRoleBindings.
    pub bindings: Vec<Binding>,
    /// ServiceAccount objects (only used to enumerate principals).
    pub service_accounts: Vec<ServiceAccount>,
}

/// A subject or principal as reported by who-can.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Who {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (ServiceAccount only).
    pub namespace: Option<String>,
}

impl Who {
    fn user(name: &str) -> Self {
        Who {
            kind: "User".into(),
            name: name.into(),
            namespace: None,
        }
    }
    fn group(name: &str) -> Self {
        Who {
            kind: "Group".into(),
            name: name.into(),
            namespace: None,
        }
    }
    fn service_account(namespace: &str, name: &str) -> Self {
        Who {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(namespace.into()),
        }
    }
}

/// Kind, namespace and name of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    /// Kind.
    pub kind: String,
    /// Namespace, for namespaced objects.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjKey {
    /// The key of a role.
    pub fn of_role(r: &Role) -> Self {
        let kind = match r.kind {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        };
        ObjKey {
            kind: kind.into(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        }
    }

    /// The key of a binding.
    pub fn of_binding(b: &Binding) -> Self {
        let kind = match b.kind {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        };
        ObjKey {
            kind: kind.into(),
            namespace: b.namespace.clone(),
            name: b.name.clone(),
        }
    }
}

/// One way a bound subject is granted a request: binding, role, and the
/// indexes of the role's (effective) rules that allow it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RefGrant {
    /// The binding.
    pub binding: ObjKey,
    /// The role it references.
    pub role: ObjKey,
    /// Allowing rule indexes, ascending.
    pub rules: Vec<usize>,
}

const STAR: &str = "*";
const MASTERS: &str = "system:masters";
const SA_PREFIX: &str = "system:serviceaccount:";

// ----- §3.3 rule matching --------------------------------------------------

fn verb_ok(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == STAR || v == verb)
}

fn group_ok(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == STAR || g == group)
}

/// §3.3 item 3: `*`, exactly the combined `resource[/subresource]`, or
/// `*/<sub>` when the request has a subresource.
fn resource_ok(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    let combined = if subresource.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}/{subresource}")
    };
    rule.resources.iter().any(|r| {
        r == STAR || *r == combined || (!subresource.is_empty() && *r == format!("*/{subresource}"))
    })
}

fn name_ok(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

fn url_ok(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == STAR || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// Whether one rule allows a request (§3.3).
pub fn rule_allows(rule: &PolicyRule, request: &Request) -> bool {
    match request {
        Request::Resource(r) => {
            verb_ok(rule, &r.verb)
                && group_ok(rule, &r.api_group)
                && resource_ok(rule, &r.resource, &r.subresource)
                && name_ok(rule, &r.name)
        }
        Request::NonResource(r) => verb_ok(rule, &r.verb) && url_ok(rule, &r.path),
    }
}

/// The namespace attribute (§1): non-resource requests have none.
fn request_namespace(request: &Request) -> &str {
    match request {
        Request::Resource(r) => &r.namespace,
        Request::NonResource(_) => "",
    }
}

fn with_namespace(request: &Request, namespace: &str) -> Request {
    match request {
        Request::Resource(r) => Request::Resource(ResourceRequest {
            namespace: namespace.to_string(),
            ..r.clone()
        }),
        other => other.clone(),
    }
}

// ----- §5 label selectors --------------------------------------------------

/// §5: matchLabels and matchExpressions ANDed; an empty selector matches all.
pub fn selector_ok(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    for (k, v) in &selector.match_labels {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    for req in &selector.match_expressions {
        let value = labels.get(&req.key);
        let ok = match req.operator {
            SelectorOperator::In => match value {
                Some(v) => req.values.contains(v),
                None => false,
            },
            SelectorOperator::NotIn => match value {
                Some(v) => !req.values.contains(v),
                None => true,
            },
            SelectorOperator::Exists => value.is_some(),
            SelectorOperator::DoesNotExist => value.is_none(),
        };
        if !ok {
            return false;
        }
    }
    true
}

// ----- §4 service-account user names ---------------------------------------

/// `SplitUsername`: exactly two non-empty `:`-separated parts after the prefix.
pub fn split_sa(username: &str) -> Option<(String, String)> {
    let rest = username.strip_prefix(SA_PREFIX)?;
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() == 2 && !parts[0].is_empty() && !parts[1].is_empty() {
        Some((parts[0].to_string(), parts[1].to_string()))
    } else {
        None
    }
}

fn sa_username(namespace: &str, name: &str) -> String {
    format!("{SA_PREFIX}{namespace}:{name}")
}

// ----- the evaluator -------------------------------------------------------

/// The reference evaluator: a world plus each role's effective rules.
#[derive(Clone, Debug)]
pub struct Reference {
    /// The input.
    pub world: World,
    /// Effective rules per role (same index as `world.roles`): manifest rules,
    /// or for an aggregated ClusterRole the computed aggregation.
    pub rules: Vec<Vec<PolicyRule>>,
    /// Per role: whether its aggregated rule *order* is not determined by the
    /// spec (it selects, possibly transitively, a cycle of aggregated
    /// ClusterRoles; §5 only fixes the rule *set* there).
    pub order_ambiguous: Vec<bool>,
    /// Per aggregated ClusterRole: the ClusterRoles it reads, in order.
    pub picks: Vec<Vec<usize>>,
}

impl Reference {
    /// Computes aggregation and returns the evaluator.
    pub fn new(world: World) -> Self {
        let (rules, order_ambiguous, picks) = aggregate(&world.roles);
        Reference {
            world,
            rules,
            order_ambiguous,
            picks,
        }
    }

    /// Whether an aggregated role reads a non-empty aggregated role (a chain).
    pub fn reads_aggregated(&self, role: usize) -> bool {
        self.picks[role]
            .iter()
            .any(|&c| self.world.roles[c].aggregation.is_some() && !self.rules[c].is_empty())
    }

    /// The index of a role by key.
    pub fn role_index(&self, key: &ObjKey) -> Option<usize> {
        self.world
            .roles
            .iter()
            .position(|r| ObjKey::of_role(r) == *key)
    }

    /// §3.1: a RoleBinding's `Role` is looked up in its namespace; a
    /// ClusterRoleBinding has namespace "" and so never finds a Role;
    /// `ClusterRole` by name; anything else never resolves; missing → None.
    pub fn resolve(&self, b: &Binding) -> Option<usize> {
        let binding_ns = match b.kind {
            BindingKind::RoleBinding => b.namespace.clone().unwrap_or_default(),
            BindingKind::ClusterRoleBinding => String::new(),
        };
        match b.role_ref.kind.as_str() {
            "Role" => {
                if binding_ns.is_empty() {
                    return None;
                }
                self.world.roles.iter().position(|r| {
                    r.kind == RoleKind::Role
                        && r.name == b.role_ref.name
                        && r.namespace.as_deref() == Some(binding_ns.as_str())
                })
            }
            "ClusterRole" => self
                .world
                .roles
                .iter()
                .position(|r| r.kind == RoleKind::ClusterRole && r.name == b.role_ref.name),
            _ => None,
        }
    }

    /// The namespace used for SA-subject defaulting (§3.2): the binding's
    /// namespace for RoleBindings, "" for ClusterRoleBindings.
    fn defaulting_namespace(b: &Binding) -> String {
        match b.kind {
            BindingKind::RoleBinding => b.namespace.clone().unwrap_or_default(),
            BindingKind::ClusterRoleBinding => String::new(),
        }
    }

    /// §3.2 `appliesToUser`.
    fn subject_applies(subject: &Subject, binding_ns: &str, identity: &Identity) -> bool {
        match &subject.kind {
            SubjectKind::User => identity.name == subject.name,
            SubjectKind::Group => identity.groups.contains(&subject.name),
            SubjectKind::ServiceAccount => {
                let ns = if subject.namespace.is_empty() {
                    binding_ns
                } else {
                    subject.namespace.as_str()
                };
                if ns.is_empty() {
                    return false;
                }
                identity.name == sa_username(ns, &subject.name)
            }
            SubjectKind::Other(_) => false,
        }
    }

    fn binding_applies(b: &Binding, identity: &Identity) -> bool {
        let ns = Self::defaulting_namespace(b);
        b.subjects
            .iter()
            .any(|s| Self::subject_applies(s, &ns, identity))
    }

    /// The bindings the authorizer visits for a request namespace (§3 steps
    /// 1–2): every ClusterRoleBinding, then — only for a non-empty namespace
    /// — the RoleBindings of exactly that namespace.
    fn visited_bindings(&self, namespace: &str) -> Vec<&Binding> {
        let mut out: Vec<&Binding> = self
            .world
            .bindings
            .iter()
            .filter(|b| b.kind == BindingKind::ClusterRoleBinding)
            .collect();
        if !namespace.is_empty() {
            out.extend(self.world.bindings.iter().filter(|b| {
                b.kind == BindingKind::RoleBinding && b.namespace.as_deref() == Some(namespace)
            }));
        }
        out
    }

    /// §2 + §3: `system:masters` allows everything; otherwise some visited
    /// binding must apply and its role have an allowing rule.
    pub fn authorize(&self, identity: &Identity, request: &Request) -> bool {
        if identity.groups.iter().any(|g| g == MASTERS) {
            return true;
        }
        for b in self.visited_bindings(request_namespace(request)) {
            if !Self::binding_applies(b, identity) {
                continue;
            }
            let Some(role) = self.resolve(b) else {
                continue;
            };
            if self.rules[role].iter().any(|r| rule_allows(r, request)) {
                return true;
            }
        }
        false
    }

    /// The first subject of a binding that applies (§3.2 `appliesTo`), as
    /// reported (ServiceAccount namespace defaulted).
    fn first_applying_subject(b: &Binding, identity: &Identity) -> Option<Who> {
        let ns = Self::defaulting_namespace(b);
        let s = b
            .subjects
            .iter()
            .find(|s| Self::subject_applies(s, &ns, identity))?;
        Some(match &s.kind {
            SubjectKind::Group => Who::group(&s.name),
            SubjectKind::ServiceAccount if s.namespace.is_empty() => {
                Who::service_account(&ns, &s.name)
            }
            SubjectKind::ServiceAccount => Who::service_account(&s.namespace, &s.name),
            _ => Who::user(&s.name),
        })
    }

    /// Every reason a request is allowed by RBAC: (matched subject, binding,
    /// role, allowing rule index) over all visited applying bindings.
    pub fn reasons(&self, identity: &Identity, request: &Request) -> Vec<(Who, RefGrant)> {
        let mut out = Vec::new();
        for b in self.visited_bindings(request_namespace(request)) {
            let Some(who) = Self::first_applying_subject(b, identity) else {
                continue;
            };
            let Some(role) = self.resolve(b) else {
                continue;
            };
            for (i, r) in self.rules[role].iter().enumerate() {
                if rule_allows(r, request) {
                    let grant = RefGrant {
                        binding: ObjKey::of_binding(b),
                        role: ObjKey::of_role(&self.world.roles[role]),
                        rules: vec![i],
                    };
                    out.push((who.clone(), grant));
                }
            }
        }
        out
    }

    /// §3.4 `RulesFor`: every rule of every applying visited binding,
    /// duplicates kept, each with its binding and role.
    pub fn rules_for(
        &self,
        identity: &Identity,
        namespace: &str,
    ) -> Vec<(ObjKey, ObjKey, PolicyRule)> {
        let mut out = Vec::new();
        for b in self.visited_bindings(namespace) {
            if !Self::binding_applies(b, identity) {
                continue;
            }
            if let Some(role) = self.resolve(b) {
                let role_key = ObjKey::of_role(&self.world.roles[role]);
                for r in &self.rules[role] {
                    out.push((ObjKey::of_binding(b), role_key.clone(), r.clone()));
                }
            }
        }
        out
    }

    /// §8 `AllowedSubjects` verbatim: `Group system:masters`, then every
    /// subject, as written and with duplicates, of every ClusterRoleBinding
    /// and then every RoleBinding of the request namespace whose role allows
    /// the request, in load order.
    pub fn allowed_subjects(&self, request: &Request) -> Vec<Subject> {
        let mut out = vec![Subject::group(MASTERS)];
        for b in self.visited_bindings(request_namespace(request)) {
            let Some(role) = self.resolve(b) else {
                continue;
            };
            if self.rules[role].iter().any(|r| rule_allows(r, request)) {
                out.extend(b.subjects.iter().cloned());
            }
        }
        out
    }

    /// Whether RoleBindings take part in an all-namespaces question: only
    /// resource requests on resources that are not cluster-scoped (`scope`
    /// is discovery data for the request's group/resource).
    fn role_bindings_count_everywhere(request: &Request, scope: Option<Scope>) -> bool {
        matches!(request, Request::Resource(_)) && scope != Some(Scope::Cluster)
    }

    /// §8 subject locator, cleaned as `RbacGraph::who_can` documents:
    /// `Group system:masters` first, then the subjects of every allowing
    /// ClusterRoleBinding, then of every allowing RoleBinding of the request
    /// namespace (all-namespaces: of every RoleBinding, each in its own
    /// namespace, if RoleBindings can grant the request at all);
    /// ServiceAccount subjects without namespace take the RoleBinding's and
    /// are dropped from ClusterRoleBindings; other kinds dropped;
    /// deduplicated with all their grants.
    pub fn who_can_bound(
        &self,
        request: &Request,
        all_namespaces: bool,
        scope: Option<Scope>,
    ) -> Vec<(Who, Vec<RefGrant>)> {
        let mut candidates: Vec<&Binding> = self
            .world
            .bindings
            .iter()
            .filter(|b| b.kind == BindingKind::ClusterRoleBinding)
            .collect();
        if all_namespaces {
            if Self::role_bindings_count_everywhere(request, scope) {
                candidates.extend(
                    self.world
                        .bindings
                        .iter()
                        .filter(|b| b.kind == BindingKind::RoleBinding),
                );
            }
        } else {
            candidates = self.visited_bindings(request_namespace(request));
        }
        let mut out: Vec<(Who, Vec<RefGrant>)> = vec![(Who::group(MASTERS), Vec::new())];
        for b in candidates {
            let Some(role) = self.resolve(b) else {
                continue;
            };
            let allowing: Vec<usize> = self.rules[role]
                .iter()
                .enumerate()
                .filter(|(_, r)| rule_allows(r, request))
                .map(|(i, _)| i)
                .collect();
            if allowing.is_empty() {
                continue;
            }
            let grant = RefGrant {
                binding: ObjKey::of_binding(b),
                role: ObjKey::of_role(&self.world.roles[role]),
                rules: allowing,
            };
            let ns = Self::defaulting_namespace(b);
            for s in &b.subjects {
                let who = match &s.kind {
                    SubjectKind::User => Who::user(&s.name),
                    SubjectKind::Group => Who::group(&s.name),
                    SubjectKind::ServiceAccount => {
                        let sa_ns = if s.namespace.is_empty() {
                            ns.clone()
                        } else {
                            s.namespace.clone()
                        };
                        if sa_ns.is_empty() {
                            continue;
                        }
                        Who::service_account(&sa_ns, &s.name)
                    }
                    SubjectKind::Other(_) => continue,
                };
                match out.iter_mut().find(|(w, _)| *w == who) {
                    Some((_, grants)) => {
                        if !grants.contains(&grant) {
                            grants.push(grant.clone());
                        }
                    }
                    None => out.push((who, vec![grant.clone()])),
                }
            }
        }
        out
    }

    /// Every principal: ServiceAccount objects, ServiceAccount subjects
    /// (namespace defaulted in RoleBindings; none in a ClusterRoleBinding
    /// means no principal) and User subjects (a User spelled as a
    /// service-account user name is that ServiceAccount). Sorted, unique.
    pub fn principals(&self) -> Vec<Who> {
        let mut out: BTreeSet<Who> = BTreeSet::new();
        for sa in &self.world.service_accounts {
            out.insert(Who::service_account(&sa.namespace, &sa.name));
        }
        for b in &self.world.bindings {
            let ns = Self::defaulting_namespace(b);
            for s in &b.subjects {
                match &s.kind {
                    SubjectKind::User => match split_sa(&s.name) {
                        Some((sa_ns, sa_name)) => {
                            out.insert(Who::service_account(&sa_ns, &sa_name));
                        }
                        None => {
                            out.insert(Who::user(&s.name));
                        }
                    },
                    SubjectKind::ServiceAccount => {
                        let sa_ns = if s.namespace.is_empty() {
                            ns.clone()
                        } else {
                            s.namespace.clone()
                        };
                        if !sa_ns.is_empty() {
                            out.insert(Who::service_account(&sa_ns, &s.name));
                        }
                    }
                    _ => {}
                }
            }
        }
        out.into_iter().collect()
    }

    /// Expand mode by brute force: each principal's authenticated identity
    /// is run through [`Reference::authorize`]; in all-namespaces mode it is
    /// tried at cluster scope and in every namespace that has RoleBindings
    /// (when RoleBindings can grant the request at all).
    pub fn who_can_expand(
        &self,
        request: &Request,
        all_namespaces: bool,
        scope: Option<Scope>,
    ) -> Vec<Who> {
        let mut namespaces: Vec<String> = Vec::new();
        if all_namespaces {
            namespaces.push(String::new());
            if Self::role_bindings_count_everywhere(request, scope) {
                for b in &self.world.bindings {
                    if let (BindingKind::RoleBinding, Some(ns)) = (b.kind, &b.namespace)
                        && !namespaces.contains(ns)
                    {
                        namespaces.push(ns.clone());
                    }
                }
            }
        }
        let mut out = Vec::new();
        for p in self.principals() {
            let username = match &p.namespace {
                Some(ns) => sa_username(ns, &p.name),
                None => p.name.clone(),
            };
            let identity = Identity::authenticated(username, Vec::<String>::new());
            let allowed = if all_namespaces {
                namespaces
                    .iter()
                    .any(|ns| self.authorize(&identity, &with_namespace(request, ns)))
            } else {
                self.authorize(&identity, request)
            };
            if allowed {
                out.push(p);
            }
        }
        out
    }
}

/// §5 aggregation. Aggregated ClusterRoles start empty; each round
/// recomputes every aggregated role from the previous round's rules of the
/// ClusterRoles its selectors pick (selectors in order, picks sorted by
/// name, itself skipped, rules deduplicated first-seen), until nothing
/// changes (least fixed point). Roles that reach a selection cycle only have
/// a determined rule set, not order: they are flagged.
type Aggregation = (Vec<Vec<PolicyRule>>, Vec<bool>, Vec<Vec<usize>>);

fn aggregate(roles: &[Role]) -> Aggregation {
    let n = roles.len();
    let is_aggregated =
        |i: usize| roles[i].kind == RoleKind::ClusterRole && roles[i].aggregation.is_some();
    let mut by_name: Vec<usize> = (0..n)
        .filter(|&i| roles[i].kind == RoleKind::ClusterRole)
        .collect();
    by_name.sort_by(|&a, &b| roles[a].name.cmp(&roles[b].name));

    // picks[a]: the ClusterRoles aggregated role `a` reads, in order.
    let mut picks: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (a, pick) in picks.iter_mut().enumerate() {
        if !is_aggregated(a) {
            continue;
        }
        for selector in roles[a].aggregation.iter().flatten() {
            for &c in &by_name {
                if roles[c].name != roles[a].name && selector_ok(selector, &roles[c].labels) {
                    pick.push(c);
                }
            }
        }
    }

    let mut rules: Vec<Vec<PolicyRule>> = (0..n)
        .map(|i| {
            if is_aggregated(i) {
                Vec::new()
            } else {
                roles[i].rules.clone()
            }
        })
        .collect();
    let rounds = 4 * n + 8;
    for _ in 0..rounds {
        let mut next = rules.clone();
        for a in 0..n {
            if !is_aggregated(a) {
                continue;
            }
            let mut acc: Vec<PolicyRule> = Vec::new();
            for &c in &picks[a] {
                for r in &rules[c] {
                    if !acc.contains(r) {
                        acc.push(r.clone());
                    }
                }
            }
            next[a] = acc;
        }
        if next == rules {
            break;
        }
        rules = next;
    }

    // reach[a]: roles reachable from a over pick edges (a itself only via a cycle).
    let mut ambiguous = vec![false; n];
    let reach = |start: usize| -> Vec<bool> {
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = picks[start].clone();
        while let Some(x) = stack.pop() {
            if !seen[x] {
                seen[x] = true;
                stack.extend(picks[x].iter().copied());
            }
        }
        seen
    };
    let reaches: Vec<Vec<bool>> = (0..n).map(reach).collect();
    let on_cycle: Vec<bool> = (0..n).map(|i| reaches[i][i]).collect();
    for a in 0..n {
        ambiguous[a] = on_cycle[a] || (0..n).any(|x| reaches[a][x] && on_cycle[x]);
    }
    (rules, ambiguous, picks)
}

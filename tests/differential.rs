//! Differential tests: the engine (`rbacgraph::RbacGraph`) against the naive
//! reference evaluator in `support/reference.rs`, on small random worlds built
//! to hit RBAC's pitfalls (rbac-semantics.md §1–§5, §8).
//!
//! Deterministic: fixed seeds, no failure persistence. The number of worlds
//! is `max(1024, PROPTEST_CASES)`, run as two shards on two threads; each
//! world is asked about a thousand questions: `authorize` (allowed and every
//! reason), `who_can` bound and expand × single and all namespaces (subjects
//! and, when bound, each subject's grants), the verbatim `allowed_subjects`
//! and `rules_for` (multiset of rules with their binding and role), plus the
//! effective rules of every role (aggregation). The total number of compared
//! queries, by kind, and some coverage counters are printed to stderr
//! (`cargo test --test differential -- --nocapture`).
//!
//! On a mismatch the (shrunk) world is printed as Kubernetes manifests (one
//! JSON document per `---`, which is YAML) together with the query and both
//! answers.

#[path = "support/reference.rs"]
mod reference;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use rbacgraph::model::{
    Binding, BindingKind, LabelSelector, Object, PolicyRule, Role, RoleKind, RoleRef, Scope,
    SelectorOperator, SelectorRequirement, ServiceAccount, Source, Subject, SubjectKind,
};
use rbacgraph::request::{NonResourceRequest, ResourceRequest};
use rbacgraph::{Identity, RbacGraph, Reason, Request, WhoCanQuery};
use reference::{ObjKey, RefGrant, Reference, Who, World};
use serde_json::{Value, json};

// ----- pools ----------------------------------------------------------------

const NAMESPACES: &[&str] = &["ns1", "ns2", "ns3"];
const RULES_FOR_NAMESPACES: &[&str] = &["", "ns1", "ns2", "ns3", "*"];
/// RoleBinding namespaces: `*` is only a namespace name (§8), never a wildcard.
const RB_NAMESPACES: &[&str] = &["ns1", "ns1", "ns2", "ns2", "ns3", "ns3", "*"];
/// Request namespaces, for the (rare) literal `*` too.
const REQ_NAMESPACES: &[&str] = &["", "", "ns1", "ns1", "ns2", "ns2", "ns3", "ns3", "*"];
const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "delete",
    "*",
    "bind",
    "escalate",
    "impersonate",
    "GET",
];
const RULE_GROUPS: &[&str] = &["", "apps", "*", "rbac.authorization.k8s.io"];
const RULE_RESOURCES: &[&str] = &[
    "*",
    "pods",
    "pods/log",
    "pods/*",
    "*/scale",
    "deployments",
    "deployments/scale",
    "namespaces",
    "nodes",
    "secrets",
    "roles",
    "clusterroles",
    "serviceaccounts",
    "users",
    // Only a literal: matches the (malformed) request resource `pods/log`
    // with subresource `status`, since RBAC compares `resource/subresource`.
    "pods/log/status",
];
const RULE_NAMES: &[&str] = &["n1", "n2", "*", ""];
const RULE_URLS: &[&str] = &["/healthz", "/healthz*", "/apis/*", "*", "/a/*/b", "/api"];
const LABEL_KEYS: &[&str] = &["agg", "tier"];
const LABEL_VALUES: &[&str] = &["a", "b"];
const CLUSTER_ROLE_NAMES: &[&str] = &["admin", "edit", "view", "cr-a", "cr-b", "zz", "agg-1"];
const ROLE_NAMES: &[&str] = &["r1", "r2", "admin"];
const RB_NAMES: &[&str] = &["rb1", "rb2", "rb3", "rb4"];
const CRB_NAMES: &[&str] = &["crb1", "crb2", "crb3", "crb4"];
const USER_SUBJECTS: &[&str] = &[
    "alice",
    "bob",
    "*",
    "system:anonymous",
    "system:serviceaccount:ns1:sa1",
    "system:serviceaccount::sa1",
];
const GROUP_SUBJECTS: &[&str] = &[
    "system:authenticated",
    "system:unauthenticated",
    "system:serviceaccounts",
    "system:serviceaccounts:ns1",
    "system:masters",
    "devs",
];
const SA_NAMES: &[&str] = &["sa1", "sa2", "default"];
const SA_SUBJECT_NAMESPACES: &[&str] = &["", "ns1", "ns2", "ns3"];
const IDENTITY_NAMES: &[&str] = &[
    "alice",
    "bob",
    "*",
    "carol",
    "system:anonymous",
    "system:serviceaccount:ns1:sa1",
    "system:serviceaccount:ns2:sa1",
    "system:serviceaccount:ns1:default",
    "system:serviceaccount:ns3:sa2",
    "system:serviceaccount::sa1",
    "system:serviceaccount:ns1:sa1:x",
];
const IDENTITY_GROUPS: &[&str] = &[
    "system:authenticated",
    "system:unauthenticated",
    "system:serviceaccounts",
    "system:serviceaccounts:ns1",
    "system:masters",
    "devs",
    "ops",
];
const REQ_VERBS: &[&str] = &[
    "get",
    "list",
    "create",
    "delete",
    "bind",
    "escalate",
    "impersonate",
    "GET",
    "watch",
    "*",
];
const REQ_GROUPS: &[&str] = &["", "apps", "rbac.authorization.k8s.io", "batch", "*"];
const REQ_RESOURCES: &[&str] = &[
    "pods",
    "deployments",
    "namespaces",
    "nodes",
    "secrets",
    "roles",
    "clusterroles",
    "serviceaccounts",
    "users",
    "foo",
    "*",
    "scale",
    "pods/log",
];
const REQ_SUBRESOURCES: &[&str] = &["", "", "", "log", "scale", "status", "*", "exec"];
const REQ_NAMES: &[&str] = &["", "", "n1", "n2", "*"];
const NR_VERBS: &[&str] = &["get", "post", "GET", "*"];
const NR_PATHS: &[&str] = &[
    "/healthz",
    "/healthzfoo",
    "/healthz/x",
    "/apis",
    "/apis/",
    "/apis/v1/x",
    "/a/x/b",
    "/a/*/b",
    "/api",
    "/",
    "",
];

// ----- strategies -------------------------------------------------------------

fn strings(
    pool: &'static [&'static str],
    len: std::ops::RangeInclusive<usize>,
) -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(select(pool).prop_map(str::to_string), len).boxed()
}

fn rule() -> BoxedStrategy<PolicyRule> {
    let names = prop_oneof![3 => Just(Vec::new()), 1 => strings(RULE_NAMES, 1..=2)];
    let resource = (
        strings(VERBS, 1..=3),
        strings(RULE_GROUPS, 1..=2),
        strings(RULE_RESOURCES, 1..=3),
        names,
    )
        .prop_map(
            |(verbs, api_groups, resources, resource_names)| PolicyRule {
                verbs,
                api_groups,
                resources,
                resource_names,
                non_resource_urls: Vec::new(),
            },
        );
    let non_resource = (strings(VERBS, 1..=2), strings(RULE_URLS, 1..=2)).prop_map(
        |(verbs, non_resource_urls)| PolicyRule {
            verbs,
            non_resource_urls,
            ..PolicyRule::default()
        },
    );
    // Rejected by validation but meaningful to the matcher (§3.3, `newRule`).
    let mixed = (
        strings(VERBS, 1..=2),
        strings(RULE_GROUPS, 1..=1),
        strings(RULE_RESOURCES, 1..=2),
        strings(RULE_URLS, 1..=1),
    )
        .prop_map(
            |(verbs, api_groups, resources, non_resource_urls)| PolicyRule {
                verbs,
                api_groups,
                resources,
                resource_names: Vec::new(),
                non_resource_urls,
            },
        );
    prop_oneof![6 => resource, 2 => non_resource, 1 => mixed].boxed()
}

fn labels() -> BoxedStrategy<BTreeMap<String, String>> {
    prop::collection::btree_map(
        select(LABEL_KEYS).prop_map(str::to_string),
        select(LABEL_VALUES).prop_map(str::to_string),
        0..=2,
    )
    .boxed()
}

fn requirement() -> BoxedStrategy<SelectorRequirement> {
    let op = prop_oneof![
        Just(SelectorOperator::In),
        Just(SelectorOperator::NotIn),
        Just(SelectorOperator::Exists),
        Just(SelectorOperator::DoesNotExist)
    ];
    (select(LABEL_KEYS), op, strings(LABEL_VALUES, 1..=2))
        .prop_map(|(key, operator, values)| {
            let values = match operator {
                SelectorOperator::In | SelectorOperator::NotIn => values,
                _ => Vec::new(),
            };
            SelectorRequirement {
                key: key.to_string(),
                operator,
                values,
            }
        })
        .boxed()
}

fn selector() -> BoxedStrategy<LabelSelector> {
    (labels(), prop::collection::vec(requirement(), 0..=1))
        .prop_map(|(match_labels, match_expressions)| {
            // Keep selectors selective most of the time: `{}` selects everything.
            LabelSelector {
                match_labels,
                match_expressions,
            }
        })
        .boxed()
}

fn source(label: &str) -> Source {
    Source::inline(label)
}

fn cluster_role() -> BoxedStrategy<Role> {
    (
        select(CLUSTER_ROLE_NAMES),
        labels(),
        prop::collection::vec(rule(), 0..=3),
        prop::option::weighted(0.35, prop::collection::vec(selector(), 1..=2)),
    )
        .prop_map(|(name, labels, rules, aggregation)| Role {
            kind: RoleKind::ClusterRole,
            name: name.to_string(),
            namespace: None,
            labels,
            rules,
            aggregation,
            api_version: "rbac.authorization.k8s.io/v1".into(),
            source: source("cluster-role"),
        })
        .boxed()
}

fn role() -> BoxedStrategy<Role> {
    (
        select(ROLE_NAMES),
        select(NAMESPACES),
        labels(),
        prop::collection::vec(rule(), 0..=3),
        // A Role never aggregates (§5); built directly, bypassing validation.
        prop::option::weighted(0.1, prop::collection::vec(selector(), 1..=1)),
    )
        .prop_map(|(name, ns, labels, rules, aggregation)| Role {
            kind: RoleKind::Role,
            name: name.to_string(),
            namespace: Some(ns.to_string()),
            labels,
            rules,
            aggregation,
            api_version: "rbac.authorization.k8s.io/v1".into(),
            source: source("role"),
        })
        .boxed()
}

fn subject() -> BoxedStrategy<Subject> {
    prop_oneof![
        3 => select(USER_SUBJECTS).prop_map(Subject::user),
        3 => select(GROUP_SUBJECTS).prop_map(Subject::group),
        4 => (select(SA_SUBJECT_NAMESPACES), select(SA_NAMES)).prop_map(|(ns, n)| Subject::service_account(ns, n)),
        1 => select(&["user", "Foo"][..]).prop_map(|kind| Subject {
            kind: SubjectKind::Other(kind.to_string()),
            name: "alice".into(),
            namespace: String::new(),
            api_group: String::new(),
        }),
    ]
    .boxed()
}

fn role_ref(crb: bool) -> BoxedStrategy<RoleRef> {
    let mut cr_names: Vec<&'static str> = CLUSTER_ROLE_NAMES.to_vec();
    cr_names.push("missing");
    let mut r_names: Vec<&'static str> = ROLE_NAMES.to_vec();
    r_names.push("missing");
    let role_weight = if crb { 1 } else { 4 };
    prop_oneof![
        6 => select(cr_names).prop_map(|n| ("ClusterRole", n)),
        role_weight => select(r_names).prop_map(|n| ("Role", n)),
        1 => select(&["clusterrole", "Group"][..]).prop_map(|k| (k, "admin")),
    ]
    .prop_map(|(kind, name)| RoleRef {
        kind: kind.to_string(),
        name: name.to_string(),
        api_group: rbacgraph::RBAC_GROUP.to_string(),
    })
    .boxed()
}

fn role_binding() -> BoxedStrategy<Binding> {
    (
        select(RB_NAMES),
        select(RB_NAMESPACES),
        role_ref(false),
        prop::collection::vec(subject(), 0..=4),
    )
        .prop_map(|(name, ns, role_ref, subjects)| Binding {
            kind: BindingKind::RoleBinding,
            name: name.to_string(),
            namespace: Some(ns.to_string()),
            role_ref,
            subjects,
            api_version: "rbac.authorization.k8s.io/v1".into(),
            source: source("role-binding"),
        })
        .boxed()
}

fn cluster_role_binding() -> BoxedStrategy<Binding> {
    (
        select(CRB_NAMES),
        role_ref(true),
        prop::collection::vec(subject(), 0..=4),
    )
        .prop_map(|(name, role_ref, subjects)| Binding {
            kind: BindingKind::ClusterRoleBinding,
            name: name.to_string(),
            namespace: None,
            role_ref,
            subjects,
            api_version: "rbac.authorization.k8s.io/v1".into(),
            source: source("cluster-role-binding"),
        })
        .boxed()
}

fn service_account() -> BoxedStrategy<ServiceAccount> {
    (select(NAMESPACES), select(SA_NAMES))
        .prop_map(|(ns, name)| ServiceAccount {
            name: name.to_string(),
            namespace: ns.to_string(),
            automount_token: None,
            secrets: Vec::new(),
            source: source("service-account"),
        })
        .boxed()
}

fn identity() -> BoxedStrategy<Identity> {
    prop_oneof![
        (select(IDENTITY_NAMES), strings(IDENTITY_GROUPS, 0..=3))
            .prop_map(|(n, g)| Identity::new(n, g)),
        (
            select(IDENTITY_NAMES),
            strings(&IDENTITY_GROUPS[5..], 0..=1)
        )
            .prop_map(|(n, g)| Identity::authenticated(n, g)),
    ]
    .boxed()
}

fn request() -> BoxedStrategy<Request> {
    let resource = (
        select(REQ_VERBS),
        select(REQ_GROUPS),
        select(REQ_RESOURCES),
        select(REQ_SUBRESOURCES),
        select(REQ_NAMES),
        select(REQ_NAMESPACES),
    )
        .prop_map(|(verb, group, resource, sub, name, ns)| {
            Request::Resource(ResourceRequest {
                verb: verb.into(),
                api_group: group.into(),
                resource: resource.into(),
                subresource: sub.into(),
                name: name.into(),
                namespace: ns.into(),
            })
        });
    let non_resource = (select(NR_VERBS), select(NR_PATHS)).prop_map(|(verb, path)| {
        Request::NonResource(NonResourceRequest {
            verb: verb.into(),
            path: path.into(),
        })
    });
    prop_oneof![3 => resource, 1 => non_resource].boxed()
}

/// One generated world and the questions asked of it.
#[derive(Clone, Debug)]
struct Case {
    objects: Vec<Object>,
    identities: Vec<Identity>,
    requests: Vec<Request>,
}

/// A tiny deterministic generator (splitmix64) for deriving questions from
/// a proptest-chosen seed.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next() % den < num
    }

    fn pick<'a>(&mut self, pool: &'a [&'a str]) -> &'a str {
        pool.get(self.below(pool.len())).copied().unwrap_or("")
    }

    fn pick_string(&mut self, list: &[String]) -> Option<String> {
        list.get(self.below(list.len())).cloned()
    }
}

/// A request one rule of the world allows, each attribute perturbed now and
/// then (near misses); wildcards are replaced by random concrete values.
fn derive_request(objects: &[Object], seed: u64) -> Option<Request> {
    let rules: Vec<&PolicyRule> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Role(r) => Some(r.rules.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut m = Mix(seed);
    let namespace = m.pick(REQ_NAMESPACES).to_string();
    request_for_rule(&rules, &mut m, namespace)
}

fn request_for_rule(rules: &[&PolicyRule], m: &mut Mix, namespace: String) -> Option<Request> {
    let rule = *rules.get(m.below(rules.len()))?;
    let verb = match m.pick_string(&rule.verbs) {
        Some(v) if v != "*" && !m.chance(1, 10) => v,
        _ => m.pick(REQ_VERBS).to_string(),
    };
    let url_side =
        !rule.non_resource_urls.is_empty() && (rule.resources.is_empty() || m.chance(1, 2));
    if url_side {
        let path = match m.pick_string(&rule.non_resource_urls) {
            Some(u) if u != "*" && !m.chance(1, 10) => match u.strip_suffix('*') {
                Some(_) => format!(
                    "{}{}",
                    u.trim_end_matches('*'),
                    m.pick(&["", "x", "/v1", "/"])
                ),
                None => u,
            },
            _ => m.pick(NR_PATHS).to_string(),
        };
        return Some(Request::NonResource(NonResourceRequest { verb, path }));
    }
    let api_group = match m.pick_string(&rule.api_groups) {
        Some(g) if g != "*" && !m.chance(1, 10) => g,
        _ => m.pick(REQ_GROUPS).to_string(),
    };
    let (resource, subresource) = match m.pick_string(&rule.resources) {
        Some(r) if r != "*" && !m.chance(1, 10) => match r.split_once('/') {
            Some(("*", sub)) => (m.pick(REQ_RESOURCES).to_string(), sub.to_string()),
            Some((res, sub)) => (res.to_string(), sub.to_string()),
            None => (r, String::new()),
        },
        _ => (
            m.pick(REQ_RESOURCES).to_string(),
            m.pick(REQ_SUBRESOURCES).to_string(),
        ),
    };
    let name = match m.pick_string(&rule.resource_names) {
        Some(n) if !m.chance(1, 10) => n,
        _ => m.pick(REQ_NAMES).to_string(),
    };
    Some(Request::Resource(ResourceRequest {
        verb,
        api_group,
        resource,
        subresource,
        name,
        namespace,
    }))
}

/// An identity one binding subject of the world names.
fn derive_identity(objects: &[Object], seed: u64) -> Option<Identity> {
    let subjects: Vec<(&Subject, &str)> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Binding(b) => Some(
                b.subjects
                    .iter()
                    .map(|s| (s, b.namespace.as_deref().unwrap_or(""))),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    let mut m = Mix(seed);
    let (subject, binding_ns) = *subjects.get(m.below(subjects.len()))?;
    Some(identity_for_subject(subject, binding_ns, &mut m))
}

/// A user of that name, a member of that group, or the service account (the
/// RoleBinding's namespace where the subject has none); sometimes with the
/// authenticated groups, sometimes with an extra random group.
fn identity_for_subject(subject: &Subject, binding_ns: &str, m: &mut Mix) -> Identity {
    let mut groups: Vec<String> = Vec::new();
    if m.chance(1, 3) {
        groups.push(m.pick(IDENTITY_GROUPS).to_string());
    }
    let name = match &subject.kind {
        SubjectKind::Group => {
            groups.push(subject.name.clone());
            m.pick(IDENTITY_NAMES).to_string()
        }
        SubjectKind::ServiceAccount => {
            let ns = if subject.namespace.is_empty() {
                binding_ns
            } else {
                subject.namespace.as_str()
            };
            format!("system:serviceaccount:{ns}:{}", subject.name)
        }
        _ => subject.name.clone(),
    };
    if m.chance(1, 2) {
        Identity::authenticated(name, groups)
    } else {
        Identity::new(name, groups)
    }
}

/// A likely matching pair: a subject of one binding and a request that one
/// rule of the role it (probably) references allows, mostly in the binding's
/// namespace. The role lookup is a loose name match — a generator heuristic,
/// not semantics.
fn derive_pair(objects: &[Object], seed: u64) -> Option<(Identity, Request)> {
    let bindings: Vec<&Binding> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Binding(b) if !b.subjects.is_empty() => Some(b),
            _ => None,
        })
        .collect();
    let mut m = Mix(seed);
    let b = *bindings.get(m.below(bindings.len()))?;
    let ns = b.namespace.clone().unwrap_or_default();
    let subject = b.subjects.get(m.below(b.subjects.len()))?;
    let identity = identity_for_subject(subject, &ns, &mut m);
    let rules: Vec<&PolicyRule> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Role(r) if r.name == b.role_ref.name || r.aggregation.is_some() => {
                Some(r.rules.iter())
            }
            _ => None,
        })
        .flatten()
        .collect();
    let namespace = if !ns.is_empty() && m.chance(9, 10) {
        ns
    } else {
        m.pick(REQ_NAMESPACES).to_string()
    };
    let request = request_for_rule(&rules, &mut m, namespace)?;
    Some((identity, request))
}

/// Keeps the last object of each kind/namespace/name (what `kubectl apply`
/// of the sequence would leave), so both sides see the same unique objects.
fn unique(objects: Vec<Object>) -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    for o in objects.into_iter().rev() {
        if !out.iter().any(|x| x.describe() == o.describe()) {
            out.push(o);
        }
    }
    out.reverse();
    out
}

fn case() -> BoxedStrategy<Case> {
    let world = (
        prop::collection::vec(cluster_role(), 1..=7),
        prop::collection::vec(role(), 0..=5),
        prop::collection::vec(role_binding(), 1..=8),
        prop::collection::vec(cluster_role_binding(), 1..=5),
        prop::collection::vec(service_account(), 0..=3),
    );
    // Questions are random, derived from the world (a rule's request, a
    // binding's subject, each possibly perturbed), or matching pairs, so
    // that answers are not almost always "no".
    let identities = prop::collection::vec(
        (prop::bool::weighted(0.6), any::<u64>(), identity()),
        6..=10,
    );
    let requests = prop::collection::vec(
        (prop::bool::weighted(0.75), any::<u64>(), request()),
        40..=60,
    );
    let pairs = prop::collection::vec(any::<u64>(), 4..=8);
    (world, identities, requests, pairs)
        .prop_map(|(world, identity_seeds, request_seeds, pair_seeds)| {
            let (crs, rs, rbs, crbs, sas) = world;
            let mut objects: Vec<Object> = Vec::new();
            // Interleave kinds a little so load order is not kind-sorted.
            objects.extend(rbs.into_iter().map(Object::Binding));
            objects.extend(crs.into_iter().map(Object::Role));
            objects.extend(crbs.into_iter().map(Object::Binding));
            objects.extend(rs.into_iter().map(Object::Role));
            objects.extend(sas.into_iter().map(Object::ServiceAccount));
            let objects = unique(objects);
            let mut identities: Vec<Identity> = Vec::new();
            for (derive, seed, random) in identity_seeds {
                let derived = if derive {
                    derive_identity(&objects, seed)
                } else {
                    None
                };
                identities.push(derived.unwrap_or(random));
            }
            let mut requests: Vec<Request> = Vec::new();
            for (derive, seed, random) in request_seeds {
                let derived = if derive {
                    derive_request(&objects, seed)
                } else {
                    None
                };
                requests.push(derived.unwrap_or(random));
            }
            for seed in pair_seeds {
                if let Some((identity, request)) = derive_pair(&objects, seed) {
                    identities.push(identity);
                    requests.push(request);
                }
            }
            Case {
                objects,
                identities,
                requests,
            }
        })
        .boxed()
}

// ----- the world as manifests -------------------------------------------------

fn rule_json(r: &PolicyRule) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("verbs".into(), json!(r.verbs));
    if !r.api_groups.is_empty() {
        m.insert("apiGroups".into(), json!(r.api_groups));
    }
    if !r.resources.is_empty() {
        m.insert("resources".into(), json!(r.resources));
    }
    if !r.resource_names.is_empty() {
        m.insert("resourceNames".into(), json!(r.resource_names));
    }
    if !r.non_resource_urls.is_empty() {
        m.insert("nonResourceURLs".into(), json!(r.non_resource_urls));
    }
    Value::Object(m)
}

fn selector_json(s: &LabelSelector) -> Value {
    let exprs: Vec<Value> = s
        .match_expressions
        .iter()
        .map(|e| {
            let op = match e.operator {
                SelectorOperator::In => "In",
                SelectorOperator::NotIn => "NotIn",
                SelectorOperator::Exists => "Exists",
                SelectorOperator::DoesNotExist => "DoesNotExist",
            };
            json!({"key": e.key, "operator": op, "values": e.values})
        })
        .collect();
    json!({"matchLabels": s.match_labels, "matchExpressions": exprs})
}

fn metadata(
    name: &str,
    namespace: Option<&str>,
    labels: Option<&BTreeMap<String, String>>,
) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        m.insert("namespace".into(), json!(ns));
    }
    if let Some(l) = labels.filter(|l| !l.is_empty()) {
        m.insert("labels".into(), json!(l));
    }
    Value::Object(m)
}

fn object_json(o: &Object) -> Value {
    match o {
        Object::Role(r) => {
            let mut v = json!({
                "apiVersion": r.api_version,
                "kind": r.kind.as_str(),
                "metadata": metadata(&r.name, r.namespace.as_deref(), Some(&r.labels)),
                "rules": r.rules.iter().map(rule_json).collect::<Vec<_>>(),
            });
            if let (Some(sel), Value::Object(m)) = (&r.aggregation, &mut v) {
                m.insert(
                    "aggregationRule".into(),
                    json!({"clusterRoleSelectors": sel.iter().map(selector_json).collect::<Vec<_>>()}),
                );
            }
            v
        }
        Object::Binding(b) => json!({
            "apiVersion": b.api_version,
            "kind": b.kind.as_str(),
            "metadata": metadata(&b.name, b.namespace.as_deref(), None),
            "roleRef": {"apiGroup": b.role_ref.api_group, "kind": b.role_ref.kind, "name": b.role_ref.name},
            "subjects": b.subjects.iter().map(|s| {
                let mut m = serde_json::Map::new();
                m.insert("kind".into(), json!(s.kind.as_str()));
                m.insert("name".into(), json!(s.name));
                if !s.namespace.is_empty() {
                    m.insert("namespace".into(), json!(s.namespace));
                }
                if !s.api_group.is_empty() {
                    m.insert("apiGroup".into(), json!(s.api_group));
                }
                Value::Object(m)
            }).collect::<Vec<_>>(),
        }),
        Object::ServiceAccount(s) => json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata(&s.name, Some(&s.namespace), None),
        }),
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

/// The world as a YAML stream (one flow-style JSON document per `---`).
fn dump_world(objects: &[Object]) -> String {
    let mut out = String::new();
    for o in objects {
        out.push_str("---\n");
        out.push_str(&object_json(o).to_string());
        out.push('\n');
    }
    out
}

fn fail(case: &Case, query: String, engine: String, reference: String) -> TestCaseError {
    TestCaseError::fail(format!(
        "differential mismatch\n# world ({} objects)\n{}# query\n{query}\n# engine\n{engine}\n# reference\n{reference}\n",
        case.objects.len(),
        dump_world(&case.objects)
    ))
}

// ----- comparison -------------------------------------------------------------

/// How a grant's rules are compared: by index where the rule order is
/// determined, by rule contents (sorted) where §5 leaves the order open.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum GrantRules {
    Indexes(Vec<usize>),
    Contents(Vec<PolicyRule>),
}

type NormGrant = (ObjKey, ObjKey, GrantRules);

fn who_of(s: &rbacgraph::SubjectRef) -> Who {
    Who {
        kind: s.kind.clone(),
        name: s.name.clone(),
        namespace: s.namespace.clone(),
    }
}

fn key_of(o: &rbacgraph::ObjectRef) -> ObjKey {
    ObjKey {
        kind: o.kind.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
    }
}

/// Coverage counters, printed with the query count so a weak generator shows.
#[derive(Debug, Default)]
struct Stats {
    authorize: AtomicU64,
    who_can: AtomicU64,
    allowed_subjects: AtomicU64,
    rules_for: AtomicU64,
    allowed_by_rbac: AtomicU64,
    who_can_nontrivial: AtomicU64,
    expand_nonempty: AtomicU64,
    rules_for_nonempty: AtomicU64,
    aggregated_nonempty: AtomicU64,
    aggregated_chained: AtomicU64,
    order_ambiguous: AtomicU64,
}

impl Stats {
    fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

struct Checker<'a> {
    case: &'a Case,
    graph: RbacGraph,
    reference: Reference,
    engine_roles: BTreeMap<ObjKey, Vec<PolicyRule>>,
    stats: &'a Stats,
}

impl<'a> Checker<'a> {
    fn new(case: &'a Case, stats: &'a Stats) -> Self {
        let graph = RbacGraph::from_objects(case.objects.clone());
        let mut world = World::default();
        for o in &case.objects {
            match o {
                Object::Role(r) => world.roles.push(r.clone()),
                Object::Binding(b) => world.bindings.push(b.clone()),
                Object::ServiceAccount(s) => world.service_accounts.push(s.clone()),
                _ => {}
            }
        }
        let engine_roles = graph
            .roles()
            .iter()
            .map(|r| (ObjKey::of_role(r), r.rules.clone()))
            .collect();
        Checker {
            case,
            graph,
            reference: Reference::new(world),
            engine_roles,
            stats,
        }
    }

    fn ambiguous(&self, role: &ObjKey) -> bool {
        self.reference
            .role_index(role)
            .is_some_and(|i| self.reference.order_ambiguous[i])
    }

    fn norm_rules(&self, role: &ObjKey, indexes: &[usize], rules_of: &[PolicyRule]) -> GrantRules {
        if self.ambiguous(role) {
            let mut c: Vec<PolicyRule> = indexes
                .iter()
                .filter_map(|&i| rules_of.get(i).cloned())
                .collect();
            c.sort();
            GrantRules::Contents(c)
        } else {
            GrantRules::Indexes(indexes.to_vec())
        }
    }

    /// §5: the effective rules of every ClusterRole.
    fn check_aggregation(&self) -> Result<(), TestCaseError> {
        for (i, r) in self.reference.world.roles.iter().enumerate() {
            let key = ObjKey::of_role(r);
            let mine = &self.reference.rules[i];
            if r.kind == RoleKind::ClusterRole && r.aggregation.is_some() && !mine.is_empty() {
                Stats::bump(&self.stats.aggregated_nonempty, 1);
                if self.reference.reads_aggregated(i) {
                    Stats::bump(&self.stats.aggregated_chained, 1);
                }
            }
            if self.reference.order_ambiguous[i] {
                Stats::bump(&self.stats.order_ambiguous, 1);
            }
            let engine = self.engine_roles.get(&key).cloned().unwrap_or_default();
            let same = if self.reference.order_ambiguous[i] {
                let a: BTreeSet<&PolicyRule> = engine.iter().collect();
                let b: BTreeSet<&PolicyRule> = mine.iter().collect();
                a == b && a.len() == engine.len()
            } else {
                engine == *mine
            };
            if !same {
                return Err(fail(
                    self.case,
                    format!(
                        "effective rules of {key:?} (order ambiguous: {})",
                        self.reference.order_ambiguous[i]
                    ),
                    format!("{engine:#?}"),
                    format!("{mine:#?}"),
                ));
            }
        }
        Ok(())
    }

    fn check_authorize(
        &mut self,
        identity: &Identity,
        request: &Request,
    ) -> Result<(), TestCaseError> {
        Stats::bump(&self.stats.authorize, 1);
        let decision = self.graph.authorize(identity, request);
        let engine = decision.allowed;
        let mine = self.reference.authorize(identity, request);
        if engine && !identity.groups.iter().any(|g| g == "system:masters") {
            Stats::bump(&self.stats.allowed_by_rbac, 1);
        }
        if engine != mine {
            return Err(fail(
                self.case,
                format!("authorize identity={identity:?} request={request:?}"),
                format!("allowed={engine}"),
                format!("allowed={mine}"),
            ));
        }
        // Every RBAC reason: matched subject, binding, role, rule.
        let mut engine_reasons: Vec<(Who, NormGrant)> = decision
            .reasons
            .iter()
            .filter_map(|r| match r {
                Reason::Rule {
                    subject,
                    binding,
                    role,
                    rule_index,
                    ..
                } => {
                    let role = key_of(role);
                    let rules = self.engine_rules(&role, &[*rule_index]);
                    Some((who_of(subject), (key_of(binding), role, rules)))
                }
                Reason::PrivilegedGroup { .. } => None,
            })
            .collect();
        let mut mine_reasons: Vec<(Who, NormGrant)> = self
            .reference
            .reasons(identity, request)
            .into_iter()
            .map(|(who, g)| {
                let rules = self.reference_rules(&g.role, &g.rules);
                (who, (g.binding, g.role, rules))
            })
            .collect();
        engine_reasons.sort();
        mine_reasons.sort();
        if engine_reasons != mine_reasons {
            return Err(fail(
                self.case,
                format!("authorize (reasons) identity={identity:?} request={request:?}"),
                format!("{engine_reasons:#?}"),
                format!("{mine_reasons:#?}"),
            ));
        }
        Ok(())
    }

    fn engine_rules(&self, role: &ObjKey, indexes: &[usize]) -> GrantRules {
        let rules_of = self.engine_roles.get(role).cloned().unwrap_or_default();
        self.norm_rules(role, indexes, &rules_of)
    }

    fn reference_rules(&self, role: &ObjKey, indexes: &[usize]) -> GrantRules {
        let rules_of = self
            .reference
            .role_index(role)
            .map(|i| self.reference.rules[i].clone())
            .unwrap_or_default();
        self.norm_rules(role, indexes, &rules_of)
    }

    /// §8: the verbatim subject locator answer, in order, duplicates kept.
    fn check_allowed_subjects(&mut self, request: &Request) -> Result<(), TestCaseError> {
        Stats::bump(&self.stats.allowed_subjects, 1);
        let (engine, _errors) = self.graph.allowed_subjects(request);
        let mine = self.reference.allowed_subjects(request);
        if engine != mine {
            return Err(fail(
                self.case,
                format!("allowed-subjects (verbatim) request={request:?}"),
                format!("{engine:#?}"),
                format!("{mine:#?}"),
            ));
        }
        Ok(())
    }

    fn scope(&self, request: &Request) -> Option<Scope> {
        match request {
            Request::Resource(r) => self.graph.discovery().scope(&r.api_group, &r.resource),
            Request::NonResource(_) => None,
        }
    }

    fn check_who_can_bound(
        &mut self,
        request: &Request,
        all_namespaces: bool,
    ) -> Result<(), TestCaseError> {
        Stats::bump(&self.stats.who_can, 1);
        let answer = self
            .graph
            .who_can(&WhoCanQuery::new(request.clone()).all_namespaces(all_namespaces));
        let mut engine: BTreeMap<Who, BTreeSet<NormGrant>> = BTreeMap::new();
        let mut problems = Vec::new();
        if answer.subjects.first().map(|s| who_of(&s.subject))
            != Some(Who {
                kind: "Group".into(),
                name: "system:masters".into(),
                namespace: None,
            })
        {
            problems.push("engine answer does not start with Group system:masters".to_string());
        }
        for s in &answer.subjects {
            let grants: BTreeSet<NormGrant> = s
                .grants
                .iter()
                .map(|g| {
                    let role = key_of(&g.role);
                    let rules = self.engine_rules(&role, &g.rules);
                    (key_of(&g.binding), role, rules)
                })
                .collect();
            if grants.len() != s.grants.len() {
                problems.push(format!("engine repeats a grant of {:?}", s.subject));
            }
            if engine.insert(who_of(&s.subject), grants).is_some() {
                problems.push(format!("engine lists {:?} twice", s.subject));
            }
        }
        let mut mine: BTreeMap<Who, BTreeSet<NormGrant>> = BTreeMap::new();
        for (who, grants) in
            self.reference
                .who_can_bound(request, all_namespaces, self.scope(request))
        {
            let set = grants
                .into_iter()
                .map(|g: RefGrant| {
                    let rules = self.reference_rules(&g.role, &g.rules);
                    (g.binding, g.role, rules)
                })
                .collect();
            mine.insert(who, set);
        }
        if engine.len() > 1 {
            Stats::bump(&self.stats.who_can_nontrivial, 1);
        }
        if engine != mine || !problems.is_empty() {
            return Err(fail(
                self.case,
                format!(
                    "who-can (bound) all_namespaces={all_namespaces} request={request:?}\n{problems:?}"
                ),
                format!("{engine:#?}"),
                format!("{mine:#?}"),
            ));
        }
        Ok(())
    }

    fn check_who_can_expand(
        &mut self,
        request: &Request,
        all_namespaces: bool,
    ) -> Result<(), TestCaseError> {
        Stats::bump(&self.stats.who_can, 1);
        let answer = self.graph.who_can(
            &WhoCanQuery::new(request.clone())
                .all_namespaces(all_namespaces)
                .expand(true),
        );
        let engine: Vec<Who> = answer.subjects.iter().map(|s| who_of(&s.subject)).collect();
        let engine_set: BTreeSet<Who> = engine.iter().cloned().collect();
        let mine: BTreeSet<Who> = self
            .reference
            .who_can_expand(request, all_namespaces, self.scope(request))
            .into_iter()
            .collect();
        if !engine.is_empty() {
            Stats::bump(&self.stats.expand_nonempty, 1);
        }
        if engine_set != mine || engine_set.len() != engine.len() {
            return Err(fail(
                self.case,
                format!("who-can (expand) all_namespaces={all_namespaces} request={request:?}"),
                format!("{engine:#?}"),
                format!("{mine:#?}"),
            ));
        }
        Ok(())
    }

    fn check_rules_for(
        &mut self,
        identity: &Identity,
        namespace: &str,
    ) -> Result<(), TestCaseError> {
        Stats::bump(&self.stats.rules_for, 1);
        let mut engine: Vec<(ObjKey, ObjKey, PolicyRule)> = self
            .graph
            .rules_for(identity, namespace)
            .rules
            .into_iter()
            .map(|r| (key_of(&r.binding), key_of(&r.role), r.rule))
            .collect();
        let mut mine = self.reference.rules_for(identity, namespace);
        engine.sort();
        mine.sort();
        if !engine.is_empty() {
            Stats::bump(&self.stats.rules_for_nonempty, 1);
        }
        if engine != mine {
            return Err(fail(
                self.case,
                format!("rules-for identity={identity:?} namespace={namespace:?}"),
                format!("{engine:#?}"),
                format!("{mine:#?}"),
            ));
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), TestCaseError> {
        self.check_aggregation()?;
        let case = self.case;
        for request in &case.requests {
            for identity in &case.identities {
                self.check_authorize(identity, request)?;
            }
            self.check_allowed_subjects(request)?;
            for all in [false, true] {
                self.check_who_can_bound(request, all)?;
                self.check_who_can_expand(request, all)?;
            }
        }
        for identity in &case.identities {
            for ns in RULES_FOR_NAMESPACES {
                self.check_rules_for(identity, ns)?;
            }
        }
        Ok(())
    }
}

// ----- the test -----------------------------------------------------------------

const MIN_WORLDS: u32 = 1024;
const SHARDS: u32 = 2;
const SEED: u64 = 0x5eed_7bac_0001;

fn run_shard(shard: u32, worlds: u32, stats: &Stats) -> Result<(), String> {
    let config = Config {
        cases: worlds,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(SEED + u64::from(shard)),
        max_shrink_iters: 4096,
        max_shrink_time: 120_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| Checker::new(&case, stats).run());
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, _)) => Err(format!("shard {shard}: {reason}")),
        Err(TestError::Abort(reason)) => Err(format!("shard {shard} aborted: {reason}")),
    }
}

#[test]
fn engine_matches_reference() -> Result<(), String> {
    let requested = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let worlds = requested.max(MIN_WORLDS);
    let stats = Stats::default();
    let started = std::time::Instant::now();
    let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..SHARDS)
            .map(|shard| {
                let per_shard = worlds / SHARDS + u32::from(shard < worlds % SHARDS);
                let stats = &stats;
                scope.spawn(move || run_shard(shard, per_shard, stats))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("shard panicked".to_string()))
            })
            .collect()
    });
    let (authorize, who_can, allowed_subjects, rules_for) = (
        Stats::get(&stats.authorize),
        Stats::get(&stats.who_can),
        Stats::get(&stats.allowed_subjects),
        Stats::get(&stats.rules_for),
    );
    eprintln!(
        "differential: {worlds} worlds, {} queries compared in {:.1?}: {authorize} authorize, \
         {who_can} who-can (bound/expand × single/all namespaces), {allowed_subjects} \
         allowed-subjects, {rules_for} rules-for",
        authorize + who_can + allowed_subjects + rules_for,
        started.elapsed()
    );
    eprintln!(
        "differential coverage: {} authorizations allowed by RBAC, {} who-can answers beyond \
         system:masters, {} non-empty expansions, {} non-empty rules-for, {} non-empty aggregated \
         ClusterRoles ({} reading another aggregated role, {} roles with cycle-dependent order)",
        Stats::get(&stats.allowed_by_rbac),
        Stats::get(&stats.who_can_nontrivial),
        Stats::get(&stats.expand_nonempty),
        Stats::get(&stats.rules_for_nonempty),
        Stats::get(&stats.aggregated_nonempty),
        Stats::get(&stats.aggregated_chained),
        Stats::get(&stats.order_ambiguous),
    );
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        for f in &failures {
            eprintln!("{f}");
        }
        Err(format!(
            "{} shard(s) found a difference; see stderr",
            failures.len()
        ))
    }
}

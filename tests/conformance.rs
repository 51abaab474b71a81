//! Conformance runner: every check of `tests/fixtures/conformance/k8s-cases.yaml`
//! (Kubernetes RBAC test cases re-expressed as data; see the file header for
//! the format) run against the public API of `rbacgraph`.
//!
//! One `#[test]` per suite kind, plus `all_checks_are_run`, which runs every
//! suite and asserts that the number of checks run equals the number of
//! checks in the file, counted independently by walking the YAML.
//!
//! Counting convention (it yields exactly 229 for the file as shipped): every
//! element of a case's `checks:` list is one check; a case without `checks`
//! but with an `operations:` list (escalation storage) counts one check per
//! operation — `operations: [create, update]` is two checks — and one with a
//! `servants:` list one check per servant; any other case is one check.
//!
//! A failure names the suite id, the case name and the check index, and
//! prints expected vs actual. Every failure of a suite is collected before
//! the test fails, so one run shows them all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::{self, Debug};
use std::path::PathBuf;
use std::sync::OnceLock;

use rbacgraph::model::{
    Binding, BindingKind, LabelSelector, Object, PolicyRule, Role, RoleKind, RoleRef, Source,
    Subject, SubjectKind,
};
use rbacgraph::query::SubjectRef;
use rbacgraph::query::escalation::{EscalationVerdict, WriteCheck, non_resource_url_covers};
use rbacgraph::{Identity, RbacGraph, Reason, Request, WriteOp, covers};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The copy of the shared conformance file (never read from `../shared`).
const CASES_YAML: &str = include_str!("fixtures/conformance/k8s-cases.yaml");

/// The number of checks the file is documented to hold.
const EXPECTED_TOTAL: usize = 229;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

// ===========================================================================
// Loading
// ===========================================================================

/// One suite, with its cases still as raw values (each kind parses its own).
#[derive(Debug, Deserialize)]
struct Suite {
    id: String,
    kind: String,
    #[serde(default)]
    derived: bool,
    cases: Vec<Value>,
    /// Suite-level data (`world`, `object`, `owner_ref`, …) and metadata.
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

impl Suite {
    /// Parses suite-level field `key`, if present.
    fn field<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.extra.get(key).map(|v| {
            serde_json::from_value(v.clone())
                .unwrap_or_else(|e| panic!("suite {}: field `{key}` does not parse: {e}", self.id))
        })
    }

    /// Parses every case as `T`.
    fn cases<T: DeserializeOwned>(&self) -> Vec<T> {
        self.cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                serde_json::from_value(c.clone()).unwrap_or_else(|e| {
                    panic!("suite {}: case #{i} does not parse: {e}\n{c:#}", self.id)
                })
            })
            .collect()
    }
}

/// The whole file as a YAML tree (anchors and aliases resolved).
///
/// Only YAML 1.2 core booleans are booleans: with the default YAML 1.1
/// spellings the label selector `{x: y}` (derived.escalation) would become
/// `{x: true}` in the untyped tree.
fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut options = serde_saphyr::Options::default();
        options.strict_booleans = true;
        serde_saphyr::from_str_with_options::<Value>(CASES_YAML, options)
            .expect("k8s-cases.yaml is valid YAML")
    })
}

fn suites() -> Vec<Suite> {
    let doc = document();
    assert_eq!(
        doc["format"], "k8s-rbac-oracle-cases/v1",
        "unexpected file format"
    );
    serde_json::from_value(doc["suites"].clone()).expect("`suites` parses")
}

/// The number of checks of one suite, counted from the raw YAML tree with the
/// convention described in the module documentation (independently of the
/// runners, which count what they actually run).
fn count_checks_in_yaml(suite: &Value) -> usize {
    let cases = suite["cases"].as_array().expect("`cases` is a list");
    cases
        .iter()
        .map(|case| {
            ["checks", "operations", "servants"]
                .iter()
                .find_map(|key| case.get(*key).and_then(Value::as_array).map(Vec::len))
                .unwrap_or(1)
        })
        .sum()
}

// ===========================================================================
// Data model of the file
// ===========================================================================

/// A policy rule; an omitted key is an empty list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleDef {
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    api_groups: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    resource_names: Vec<String>,
    #[serde(default, rename = "nonResourceURLs")]
    non_resource_urls: Vec<String>,
}

impl RuleDef {
    fn to_model(&self) -> PolicyRule {
        PolicyRule {
            verbs: self.verbs.clone(),
            api_groups: self.api_groups.clone(),
            resources: self.resources.clone(),
            resource_names: self.resource_names.clone(),
            non_resource_urls: self.non_resource_urls.clone(),
        }
    }
}

fn rules(defs: &[RuleDef]) -> Vec<PolicyRule> {
    defs.iter().map(RuleDef::to_model).collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SelectorDef {
    #[serde(default)]
    match_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AggregationRuleDef {
    cluster_role_selectors: Vec<SelectorDef>,
}

/// A Role or ClusterRole of a world. `selectors` is the aggregation suite's
/// shorthand: a list of matchLabels maps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RoleDef {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    aggregation_rule: Option<AggregationRuleDef>,
    #[serde(default)]
    selectors: Option<Vec<BTreeMap<String, String>>>,
    #[serde(default)]
    rules: Vec<RuleDef>,
}

impl RoleDef {
    fn to_model(&self, kind: RoleKind) -> Role {
        let namespace = match kind {
            RoleKind::Role => Some(
                self.namespace
                    .clone()
                    .unwrap_or_else(|| panic!("Role {} has no namespace", self.name)),
            ),
            RoleKind::ClusterRole => None,
        };
        let from_rule = self.aggregation_rule.as_ref().map(|a| {
            a.cluster_role_selectors
                .iter()
                .map(|s| match_labels(&s.match_labels))
                .collect::<Vec<_>>()
        });
        let from_shorthand = self
            .selectors
            .as_ref()
            .map(|s| s.iter().map(match_labels).collect::<Vec<_>>());
        Role {
            kind,
            name: self.name.clone(),
            namespace,
            labels: self.labels.clone(),
            rules: rules(&self.rules),
            aggregation: from_rule.or(from_shorthand),
            api_version: format!("{RBAC_GROUP}/v1"),
            source: Source::inline("k8s-cases.yaml"),
        }
    }
}

fn match_labels(labels: &BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: labels.clone(),
        match_expressions: Vec::new(),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubjectDef {
    kind: String,
    name: String,
    #[serde(default)]
    namespace: String,
    /// `None` when omitted (the upstream tests often leave it unset).
    #[serde(default)]
    api_group: Option<String>,
}

impl SubjectDef {
    fn to_model(&self) -> Subject {
        Subject {
            kind: SubjectKind::parse(&self.kind),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            api_group: self.api_group.clone().unwrap_or_default(),
        }
    }

    /// As `Reason::Rule` reports it: ServiceAccount namespace defaulted to the
    /// binding namespace.
    fn reported(&self, binding_namespace: &str) -> SubjectRef {
        match self.kind.as_str() {
            "ServiceAccount" => {
                let ns = if self.namespace.is_empty() {
                    binding_namespace
                } else {
                    &self.namespace
                };
                SubjectRef::service_account(ns, &self.name)
            }
            "User" => SubjectRef::user(&self.name),
            "Group" => SubjectRef::group(&self.name),
            other => panic!("unexpected subject kind {other}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RoleRefDef {
    kind: String,
    name: String,
    #[serde(default)]
    api_group: String,
}

impl RoleRefDef {
    fn to_model(&self) -> RoleRef {
        RoleRef {
            kind: self.kind.clone(),
            name: self.name.clone(),
            api_group: self.api_group.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BindingDef {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    role_ref: RoleRefDef,
    #[serde(default)]
    subjects: Vec<SubjectDef>,
}

impl BindingDef {
    /// `generated_name` is used when the binding has none: upstream test
    /// bindings have an empty `metadata.name`, and two unnamed bindings must
    /// stay two bindings (the graph merges objects with the same name).
    fn to_model(&self, kind: BindingKind, generated_name: String) -> Binding {
        let namespace = match kind {
            BindingKind::RoleBinding => Some(
                self.namespace
                    .clone()
                    .unwrap_or_else(|| panic!("RoleBinding {:?} has no namespace", self.name)),
            ),
            BindingKind::ClusterRoleBinding => None,
        };
        Binding {
            kind,
            name: self.name.clone().unwrap_or(generated_name),
            namespace,
            role_ref: self.role_ref.to_model(),
            subjects: self.subjects.iter().map(SubjectDef::to_model).collect(),
            api_version: format!("{RBAC_GROUP}/v1"),
            source: Source::inline("k8s-cases.yaml"),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorldDef {
    #[serde(default)]
    roles: Vec<RoleDef>,
    #[serde(default)]
    cluster_roles: Vec<RoleDef>,
    #[serde(default)]
    role_bindings: Vec<BindingDef>,
    #[serde(default)]
    cluster_role_bindings: Vec<BindingDef>,
}

impl WorldDef {
    fn objects(&self) -> Vec<Object> {
        let mut out = Vec::new();
        out.extend(
            self.roles
                .iter()
                .map(|r| Object::Role(r.to_model(RoleKind::Role))),
        );
        out.extend(
            self.cluster_roles
                .iter()
                .map(|r| Object::Role(r.to_model(RoleKind::ClusterRole))),
        );
        out.extend(self.role_bindings.iter().enumerate().map(|(i, b)| {
            Object::Binding(b.to_model(BindingKind::RoleBinding, format!("rb-{i}")))
        }));
        out.extend(self.cluster_role_bindings.iter().enumerate().map(|(i, b)| {
            Object::Binding(b.to_model(BindingKind::ClusterRoleBinding, format!("crb-{i}")))
        }));
        out
    }

    fn graph(&self) -> RbacGraph {
        RbacGraph::from_objects(self.objects())
    }
}

/// Request attributes; omitted strings are `""`, omitted groups an empty list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RequestDef {
    #[serde(default)]
    user: String,
    #[serde(default)]
    groups: Vec<String>,
    verb: String,
    resource_request: bool,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    api_group: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    subresource: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    path: String,
}

impl RequestDef {
    fn request(&self) -> Request {
        if self.resource_request {
            Request::resource(&self.verb, &self.api_group, &self.resource)
                .in_namespace(&self.namespace)
                .named(&self.name)
                .subresource(&self.subresource)
        } else {
            Request::non_resource(&self.verb, &self.path)
        }
    }

    /// The user exactly as given: no implicit groups are added.
    fn identity(&self) -> Identity {
        Identity::new(&self.user, &self.groups)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserDef {
    #[serde(default)]
    name: String,
    #[serde(default)]
    groups: Vec<String>,
}

impl UserDef {
    fn identity(&self) -> Identity {
        Identity::new(&self.name, &self.groups)
    }
}

// ===========================================================================
// Bookkeeping
// ===========================================================================

/// Where a check is: suite id, case name, index of the check in the case.
#[derive(Debug, Clone)]
struct At<'a> {
    suite: &'a str,
    case: &'a str,
    index: usize,
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] case {:?} check #{}",
            self.suite, self.case, self.index
        )
    }
}

/// The problems found by one check (empty = pass).
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn eq<T: PartialEq + Debug>(&mut self, what: &str, expected: T, actual: T) {
        if expected != actual {
            self.0.push(format!(
                "{what}:\n      expected: {expected:?}\n      actual:   {actual:?}"
            ));
        }
    }

    fn fail(&mut self, message: String) {
        self.0.push(message);
    }

    /// Adds context (e.g. a derived case's `basis`) to a failing check.
    fn context(&mut self, what: &str, detail: Option<&str>) {
        if let Some(detail) = detail.filter(|_| !self.0.is_empty()) {
            self.0.push(format!("{what}: {detail}"));
        }
    }
}

/// Checks run and failures, for one or more suites.
#[derive(Debug, Default)]
struct Tally {
    checks: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Records one check.
    fn record(&mut self, at: &At<'_>, problems: Problems) {
        self.checks += 1;
        for p in problems.0 {
            self.failures.push(format!("{at}: {p}"));
        }
    }

    fn absorb(&mut self, other: Tally) {
        self.checks += other.checks;
        self.failures.extend(other.failures);
    }
}

/// A derived (non-upstream) check the engine deliberately disagrees with.
/// Every entry must cite the upstream source that overrules the derivation.
/// Upstream suites can never be overruled.
struct Overrule {
    suite: &'static str,
    case: &'static str,
    index: usize,
    #[allow(dead_code)]
    citation: &'static str,
}

/// No derived check needs overruling at present.
const OVERRULED: &[Overrule] = &[];

fn overruled(suite: &Suite, at: &At<'_>) -> bool {
    suite.derived
        && OVERRULED
            .iter()
            .any(|o| o.suite == at.suite && o.case == at.case && o.index == at.index)
}

/// Records a check, unless it is an overruled derived check (still counted).
fn record(tally: &mut Tally, suite: &Suite, at: &At<'_>, problems: Problems) {
    if overruled(suite, at) {
        tally.checks += 1;
        println!("{at}: overruled derived check (see OVERRULED)");
        return;
    }
    tally.record(at, problems);
}

// ===========================================================================
// Suite runners
// ===========================================================================

fn run_suite(suite: &Suite) -> Tally {
    match suite.kind.as_str() {
        "authorize" => run_authorize(suite),
        "rule_match" => run_rule_match(suite),
        "applies_to" => run_applies_to(suite),
        "rules_for" => run_rules_for(suite),
        "subject_locator" => run_subject_locator(suite),
        "covers" => run_covers(suite),
        "nonresource_url_covers" => run_nonresource_url_covers(suite),
        "escalation_storage" => run_escalation_storage(suite),
        "aggregation" => run_aggregation(suite),
        "group_adder" => run_group_adder(suite),
        "bootstrap_invariant_covers" => run_bootstrap_invariant_covers(suite),
        other => panic!("suite {}: unknown kind `{other}`", suite.id),
    }
}

// --- authorize ---------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeCase {
    name: String,
    #[serde(default)]
    basis: Option<String>,
    world: WorldDef,
    checks: Vec<AuthorizeCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeCheck {
    request: RequestDef,
    expect: String,
    #[serde(default)]
    expect_reason_contains_error: bool,
    #[serde(default)]
    note: Option<String>,
}

fn run_authorize(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<AuthorizeCase>() {
        let graph = case.world.graph();
        for (index, check) in case.checks.iter().enumerate() {
            let at = At {
                suite: &suite.id,
                case: &case.name,
                index,
            };
            let mut p = Problems::default();
            let decision = graph.authorize(&check.request.identity(), &check.request.request());
            let expected_allow = match check.expect.as_str() {
                "allow" => true,
                "no_opinion" => false,
                other => panic!("{at}: unknown expectation `{other}`"),
            };
            let show = |allowed: bool| if allowed { "allow" } else { "no_opinion" };
            p.eq(
                &format!(
                    "decision for {} ({:?})",
                    check.request.request(),
                    check.note
                ),
                show(expected_allow),
                show(decision.allowed),
            );
            if check.expect_reason_contains_error && decision.errors.is_empty() {
                p.fail(format!(
                    "expected resolution errors in the decision, got none: {decision:?}"
                ));
            }
            p.context("basis of the derived case", case.basis.as_deref());
            record(&mut tally, suite, &at, p);
        }
    }
    tally
}

// --- rule_match --------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleMatchCase {
    name: String,
    rule: RuleDef,
    checks: Vec<RuleMatchCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleMatchCheck {
    request: RequestDef,
    expect: bool,
}

fn run_rule_match(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<RuleMatchCase>() {
        let rule = case.rule.to_model();
        for (index, check) in case.checks.iter().enumerate() {
            let at = At {
                suite: &suite.id,
                case: &case.name,
                index,
            };
            let mut p = Problems::default();
            let request = check.request.request();
            let actual = rbacgraph::matching::rule_allows(&rule, &request);
            p.eq(
                &format!("rule_allows({rule:?}, {request})"),
                check.expect,
                actual,
            );
            record(&mut tally, suite, &at, p);
        }
    }
    tally
}

// --- applies_to --------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppliesToCase {
    name: String,
    subjects: Vec<SubjectDef>,
    user: UserDef,
    namespace: String,
    expect: AppliesToExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppliesToExpect {
    applies: bool,
    index: usize,
}

/// `appliesTo(user, subjects, namespace)` is observed through a one-binding
/// world: a RoleBinding in `namespace` (a ClusterRoleBinding for `""`, where
/// upstream passes no namespace) with the case's subjects, to a ClusterRole
/// that allows everything. The user is allowed iff some subject applies, and
/// the `Reason::Rule` names the first matching subject.
fn run_applies_to(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<AppliesToCase>() {
        let at = At {
            suite: &suite.id,
            case: &case.name,
            index: 0,
        };
        let everything = RoleDef {
            name: "allow-everything".into(),
            namespace: None,
            labels: BTreeMap::new(),
            aggregation_rule: None,
            selectors: None,
            rules: vec![RuleDef {
                verbs: vec!["*".into()],
                api_groups: vec!["*".into()],
                resources: vec!["*".into()],
                ..RuleDef::default()
            }],
        };
        let binding = BindingDef {
            name: Some("applies-to".into()),
            namespace: (!case.namespace.is_empty()).then(|| case.namespace.clone()),
            role_ref: RoleRefDef {
                kind: "ClusterRole".into(),
                name: everything.name.clone(),
                api_group: RBAC_GROUP.into(),
            },
            subjects: case.subjects.clone(),
        };
        let mut world = WorldDef {
            cluster_roles: vec![everything],
            ..WorldDef::default()
        };
        if case.namespace.is_empty() {
            world.cluster_role_bindings.push(binding);
        } else {
            world.role_bindings.push(binding);
        }
        let graph = world.graph();
        let request = Request::resource("get", "", "pods").in_namespace(&case.namespace);
        let decision = graph.authorize(&case.user.identity(), &request);

        let mut p = Problems::default();
        p.eq("applies", case.expect.applies, decision.allowed);
        if case.expect.applies {
            let expected = case
                .subjects
                .get(case.expect.index)
                .map(|s| s.reported(&case.namespace));
            let actual = decision.reasons.iter().find_map(|r| match r {
                Reason::Rule { subject, .. } => Some(subject.clone()),
                Reason::PrivilegedGroup { .. } => None,
            });
            p.eq(
                &format!("matched subject (index {})", case.expect.index),
                expected,
                actual,
            );
        } else {
            // Upstream returns index 0 when nothing applies.
            p.eq("index when not applicable", 0, case.expect.index);
        }
        record(&mut tally, suite, &at, p);
    }
    tally
}

// --- rules_for ---------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesForCase {
    name: String,
    world: WorldDef,
    user: UserDef,
    namespace: String,
    expect_rules: Vec<RuleDef>,
}

fn run_rules_for(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<RulesForCase>() {
        let at = At {
            suite: &suite.id,
            case: &case.name,
            index: 0,
        };
        let graph = case.world.graph();
        let mut actual: Vec<PolicyRule> = graph
            .rules_for(&case.user.identity(), &case.namespace)
            .rules
            .into_iter()
            .map(|r| r.rule)
            .collect();
        let mut expected = rules(&case.expect_rules);
        // Compared as a multiset (upstream sorts both sides by a hash).
        actual.sort();
        expected.sort();
        let mut p = Problems::default();
        p.eq("rules (sorted multiset)", expected, actual);
        record(&mut tally, suite, &at, p);
    }
    tally
}

// --- subject_locator ---------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubjectLocatorCase {
    name: String,
    #[serde(default)]
    basis: Option<String>,
    super_user: String,
    world: WorldDef,
    checks: Vec<SubjectLocatorCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectLocatorCheck {
    #[serde(default)]
    name: Option<String>,
    request: RequestDef,
    expect_subjects: Vec<SubjectDef>,
}

/// The fields of a subject the comparison looks at: kind, name, namespace,
/// apiGroup.
type SubjectTuple = (String, String, String, String);

fn subject_tuple(s: &Subject) -> SubjectTuple {
    (
        s.kind.as_str().to_string(),
        s.name.clone(),
        s.namespace.clone(),
        s.api_group.clone(),
    )
}

fn run_subject_locator(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<SubjectLocatorCase>() {
        let graph = case.world.graph();
        for (index, check) in case.checks.iter().enumerate() {
            let at = At {
                suite: &suite.id,
                case: &case.name,
                index,
            };
            let (mut actual, _errors) = graph.allowed_subjects(&check.request.request());
            // `superUser` is apiserver configuration, not RBAC data, so the
            // engine cannot know it: upstream's AllowedSubjects emits
            // `User <superUser>` (apiGroup rbac.authorization.k8s.io) right
            // after `Group system:masters` when one is configured
            // [plugin/pkg/auth/authorizer/rbac/subject_locator.go :: AllowedSubjects].
            if !case.super_user.is_empty() {
                actual.insert(1.min(actual.len()), Subject::user(&case.super_user));
            }
            // An omitted apiGroup (ServiceAccounts) is the empty string.
            let expected: Vec<SubjectTuple> = check
                .expect_subjects
                .iter()
                .map(|s| subject_tuple(&s.to_model()))
                .collect();
            let actual: Vec<SubjectTuple> = actual.iter().map(subject_tuple).collect();
            let mut p = Problems::default();
            p.eq(
                &format!(
                    "allowed subjects, in order ({})",
                    check.name.as_deref().unwrap_or("unnamed check")
                ),
                expected,
                actual,
            );
            p.context("basis of the derived case", case.basis.as_deref());
            record(&mut tally, suite, &at, p);
        }
    }
    tally
}

// --- covers ------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CoversCase {
    name: String,
    owner: Vec<RuleDef>,
    servant: Vec<RuleDef>,
    expect: CoversExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CoversExpect {
    covered: bool,
    uncovered: Vec<RuleDef>,
}

fn run_covers(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<CoversCase>() {
        let at = At {
            suite: &suite.id,
            case: &case.name,
            index: 0,
        };
        let (covered, mut uncovered) = covers(&rules(&case.owner), &rules(&case.servant));
        let mut expected_uncovered = rules(&case.expect.uncovered);
        // Compared as an unordered collection.
        uncovered.sort();
        expected_uncovered.sort();
        let mut p = Problems::default();
        p.eq("covered", case.expect.covered, covered);
        p.eq("uncovered (sorted)", expected_uncovered, uncovered);
        record(&mut tally, suite, &at, p);
    }
    tally
}

// --- nonresource_url_covers --------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlCoversCase {
    owner: String,
    requested: String,
    expect: bool,
}

fn run_nonresource_url_covers(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<UrlCoversCase>() {
        let name = format!("owner {:?} requested {:?}", case.owner, case.requested);
        let at = At {
            suite: &suite.id,
            case: &name,
            index: 0,
        };
        let mut p = Problems::default();
        p.eq(
            "nonResourceURLCovers",
            case.expect,
            non_resource_url_covers(&case.owner, &case.requested),
        );
        record(&mut tally, suite, &at, p);
    }
    tally
}

// --- escalation_storage ------------------------------------------------------

/// The RBAC object being written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ObjectDef {
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    role_ref: Option<RoleRefDef>,
    #[serde(default)]
    subjects: Vec<SubjectDef>,
    #[serde(default)]
    rules: Vec<RuleDef>,
    #[serde(default)]
    aggregation_rule: Option<AggregationRuleDef>,
}

enum Written {
    Role(Role),
    Binding(Binding),
}

impl ObjectDef {
    fn to_model(&self) -> Written {
        let role = |kind| {
            RoleDef {
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                labels: BTreeMap::new(),
                aggregation_rule: self.aggregation_rule.clone(),
                selectors: None,
                rules: self.rules.clone(),
            }
            .to_model(kind)
        };
        let binding = |kind| {
            BindingDef {
                name: Some(self.name.clone()),
                namespace: self.namespace.clone(),
                role_ref: self
                    .role_ref
                    .clone()
                    .expect("a binding object has a roleRef"),
                subjects: self.subjects.clone(),
            }
            .to_model(kind, String::new())
        };
        match self.kind.as_str() {
            "Role" => Written::Role(role(RoleKind::Role)),
            "ClusterRole" => Written::Role(role(RoleKind::ClusterRole)),
            "RoleBinding" => Written::Binding(binding(BindingKind::RoleBinding)),
            "ClusterRoleBinding" => Written::Binding(binding(BindingKind::ClusterRoleBinding)),
            other => panic!("unexpected object kind {other}"),
        }
    }
}

/// An operation: a bare verb (`create`/`update`, applied to the suite's
/// object with the case's `expect`) or a full spec.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OperationDef {
    Verb(String),
    Spec(Box<OperationSpec>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationSpec {
    op: String,
    object: ObjectDef,
    expect: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationCase {
    name: String,
    user: UserDef,
    #[serde(default)]
    world: Option<WorldDef>,
    operations: Vec<OperationDef>,
    #[serde(default)]
    expect: Option<EscalationExpect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationExpect {
    allowed: bool,
    #[serde(default)]
    error: Option<String>,
    authz_called: bool,
}

fn write_op(op: &str) -> WriteOp {
    match op {
        "create" => WriteOp::Create,
        "update" => WriteOp::Update,
        other => panic!("unknown operation {other}"),
    }
}

fn run_escalation_storage(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    let suite_world: Option<WorldDef> = suite.field("world");
    let suite_object: Option<ObjectDef> = suite.field("object");
    let allows_users: Vec<String> = suite.field("authorizer_allows_users").unwrap_or_default();
    for case in suite.cases::<EscalationCase>() {
        let mut world = case
            .world
            .clone()
            .or_else(|| suite_world.clone())
            .unwrap_or_else(|| panic!("[{}] case {:?} has no world", suite.id, case.name));
        // storage.role.TestEscalation uses a fake authorizer that allows ANY
        // request of the listed users (steve) and has no opinion otherwise;
        // only the cover check reads RBAC data. The engine's authorizer is
        // RBAC, so that authorizer is modelled as a ClusterRoleBinding giving
        // each such user a ClusterRole allowing every resource request: for
        // these checks (create/update/escalate on roles) an authorizer that
        // allows everything is equivalent. (Here RBAC is the authorizer, so
        // alice's `* * *` also grants `escalate`; upstream's fake authorizer
        // ignores RBAC and she passes by the cover check instead. The
        // outcome — allowed, authorizer consulted — is the same.)
        if !allows_users.is_empty() {
            world.cluster_roles.push(RoleDef {
                name: "harness:authorizer-allows-everything".into(),
                namespace: None,
                labels: BTreeMap::new(),
                aggregation_rule: None,
                selectors: None,
                rules: vec![RuleDef {
                    verbs: vec!["*".into()],
                    api_groups: vec!["*".into()],
                    resources: vec!["*".into()],
                    ..RuleDef::default()
                }],
            });
            world.cluster_role_bindings.push(BindingDef {
                name: Some("harness:authorizer-allows-everything".into()),
                namespace: None,
                role_ref: RoleRefDef {
                    kind: "ClusterRole".into(),
                    name: "harness:authorizer-allows-everything".into(),
                    api_group: RBAC_GROUP.into(),
                },
                subjects: allows_users
                    .iter()
                    .map(|u| SubjectDef {
                        kind: "User".into(),
                        name: u.clone(),
                        namespace: String::new(),
                        api_group: Some(RBAC_GROUP.into()),
                    })
                    .collect(),
            });
        }
        let graph = world.graph();
        let identity = case.user.identity();
        for (index, op) in case.operations.iter().enumerate() {
            let at = At {
                suite: &suite.id,
                case: &case.name,
                index,
            };
            let mut p = Problems::default();
            match op {
                OperationDef::Verb(verb) => {
                    let object = suite_object
                        .as_ref()
                        .expect("suite-level object for bare operations");
                    let expect = case
                        .expect
                        .as_ref()
                        .expect("case-level expect for bare operations");
                    let check = write(&graph, &identity, object, write_op(verb));
                    p.eq(&format!("{verb}: allowed"), expect.allowed, check.allowed);
                    // Upstream tests the storage alone (its authorizer call
                    // included, plain authorization of the write excluded), so
                    // the escalation verdict must agree with `allowed` too.
                    let escalation_ok =
                        !matches!(check.escalation, EscalationVerdict::Forbidden { .. });
                    p.eq(
                        &format!("{verb}: escalation check passes"),
                        expect.allowed,
                        escalation_ok,
                    );
                    p.eq(
                        &format!("{verb}: authorizer consulted"),
                        expect.authz_called,
                        check.consulted_authorizer(),
                    );
                    if let Some(error) = &expect.error {
                        assert_eq!(
                            error, "Forbidden",
                            "{at}: only Forbidden errors are modelled"
                        );
                    }
                    if !p.0.is_empty() {
                        p.fail(format!("write check: {check:?}"));
                    }
                }
                OperationDef::Spec(spec) => {
                    let expected_allowed = match spec.expect.as_str() {
                        "allowed" => true,
                        "forbidden" => false,
                        other => panic!("{at}: unknown expectation `{other}`"),
                    };
                    let check = write(&graph, &identity, &spec.object, write_op(&spec.op));
                    p.eq(
                        &format!(
                            "{} {} {:?}: allowed ({:?})",
                            spec.op, spec.object.kind, spec.object.namespace, spec.note
                        ),
                        expected_allowed,
                        check.allowed,
                    );
                    if !p.0.is_empty() {
                        p.fail(format!("write check: {check:?}"));
                    }
                }
            }
            record(&mut tally, suite, &at, p);
        }
    }
    tally
}

fn write(graph: &RbacGraph, identity: &Identity, object: &ObjectDef, op: WriteOp) -> WriteCheck {
    match object.to_model() {
        Written::Role(role) => graph.check_role_write(identity, &role, op),
        Written::Binding(binding) => graph.check_binding_write(identity, &binding, op),
    }
}

// --- aggregation -------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregationCase {
    name: String,
    #[serde(rename = "clusterRoles")]
    cluster_roles: Vec<RoleDef>,
    sync: String,
    expect_rules: Vec<RuleDef>,
    #[serde(default)]
    expect_no_write: bool,
}

fn run_aggregation(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<AggregationCase>() {
        let at = At {
            suite: &suite.id,
            case: &case.name,
            index: 0,
        };
        let world = WorldDef {
            cluster_roles: case.cluster_roles.clone(),
            ..WorldDef::default()
        };
        let graph = world.graph();
        let mut p = Problems::default();
        let synced = graph
            .roles()
            .iter()
            .find(|r| r.kind == RoleKind::ClusterRole && r.name == case.sync);
        match synced {
            None => p.fail(format!("ClusterRole {} not in the graph", case.sync)),
            Some(role) => {
                let expected = rules(&case.expect_rules);
                p.eq("aggregated rules, in order", &expected, &role.rules);
                if case.expect_no_write {
                    // No write means the computed rules equal the input rules.
                    let input = case
                        .cluster_roles
                        .iter()
                        .find(|r| r.name == case.sync)
                        .map(|r| rules(&r.rules))
                        .unwrap_or_default();
                    p.eq("rules unchanged (no write)", &input, &role.rules);
                }
            }
        }
        record(&mut tally, suite, &at, p);
    }
    tally
}

// --- group_adder -------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupAdderCase {
    name: String,
    input: UserDef,
    expect: UserDef,
}

fn run_group_adder(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    for case in suite.cases::<GroupAdderCase>() {
        let at = At {
            suite: &suite.id,
            case: &case.name,
            index: 0,
        };
        // The AuthenticatedGroupAdder alone (`Identity::authenticated` would
        // also add service-account groups).
        let mut id = case.input.identity();
        id.add_authenticated_group();
        let mut p = Problems::default();
        p.eq("name", &case.expect.name, &id.name);
        p.eq("groups, in order", &case.expect.groups, &id.groups);
        record(&mut tally, suite, &at, p);
    }
    tally
}

// --- bootstrap_invariant_covers ----------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OwnerRef {
    fixture: String,
    cluster_role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BootstrapCase {
    name: String,
    servant: Vec<RuleDef>,
    expect_covered: bool,
}

fn run_bootstrap_invariant_covers(suite: &Suite) -> Tally {
    let mut tally = Tally::default();
    let owner_ref: OwnerRef = suite.field("owner_ref").expect("owner_ref");
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "crates",
        "rbacgraph",
        "data",
        "bootstrap",
        &owner_ref.fixture,
    ]
    .iter()
    .collect();
    let graph = RbacGraph::builder()
        .load_path(&path)
        .build()
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    let owner = graph
        .roles()
        .iter()
        .find(|r| r.kind == RoleKind::ClusterRole && r.name == owner_ref.cluster_role)
        .unwrap_or_else(|| {
            panic!(
                "ClusterRole {} not in {}",
                owner_ref.cluster_role,
                path.display()
            )
        })
        .rules
        .clone();
    assert!(
        !owner.is_empty(),
        "ClusterRole {} has no rules",
        owner_ref.cluster_role
    );
    for case in suite.cases::<BootstrapCase>() {
        let at = At {
            suite: &suite.id,
            case: &case.name,
            index: 0,
        };
        let (covered, uncovered) = covers(&owner, &rules(&case.servant));
        let mut p = Problems::default();
        p.eq(
            &format!("covered (uncovered: {uncovered:?})"),
            case.expect_covered,
            covered,
        );
        record(&mut tally, suite, &at, p);
    }
    tally
}

// ===========================================================================
// Tests
// ===========================================================================

/// Runs every suite of `kind`, prints the counts, fails with every failure.
fn run_kind(kind: &str) -> usize {
    let mut total = Tally::default();
    let mut ran = 0;
    for suite in suites().iter().filter(|s| s.kind == kind) {
        let tally = run_suite(suite);
        println!(
            "{}: {} checks, {} failed",
            suite.id,
            tally.checks,
            tally.failures.len()
        );
        total.absorb(tally);
        ran += 1;
    }
    assert!(ran > 0, "no suite of kind {kind}");
    assert!(
        total.failures.is_empty(),
        "{} of {} `{kind}` checks failed:\n{}",
        total.failures.len(),
        total.checks,
        total.failures.join("\n")
    );
    total.checks
}

#[test]
fn authorize() {
    run_kind("authorize");
}

#[test]
fn rule_match() {
    run_kind("rule_match");
}

#[test]
fn applies_to() {
    run_kind("applies_to");
}

#[test]
fn rules_for() {
    run_kind("rules_for");
}

#[test]
fn subject_locator() {
    run_kind("subject_locator");
}

#[test]
fn covers_rules() {
    run_kind("covers");
}

#[test]
fn nonresource_url_covers() {
    run_kind("nonresource_url_covers");
}

#[test]
fn escalation_storage() {
    run_kind("escalation_storage");
}

#[test]
fn aggregation() {
    run_kind("aggregation");
}

#[test]
fn group_adder() {
    run_kind("group_adder");
}

#[test]
fn bootstrap_invariant_covers() {
    run_kind("bootstrap_invariant_covers");
}

/// Every check of the file is run: the runners' count equals the count
/// obtained by walking the YAML, suite by suite, and the total is 229.
#[test]
fn all_checks_are_run() {
    let raw_suites = document()["suites"].as_array().expect("`suites` is a list");
    let suites = suites();
    assert_eq!(raw_suites.len(), suites.len());
    let mut in_file = 0;
    let mut run = 0;
    let mut failures = Vec::new();
    for (raw, suite) in raw_suites.iter().zip(&suites) {
        let expected = count_checks_in_yaml(raw);
        let tally = run_suite(suite);
        println!(
            "{} ({}): {} checks run, {} in file",
            suite.id, suite.kind, tally.checks, expected
        );
        assert_eq!(
            tally.checks, expected,
            "suite {}: checks run vs checks in the file",
            suite.id
        );
        in_file += expected;
        run += tally.checks;
        failures.extend(tally.failures);
    }
    println!(
        "conformance: {run} checks run, {in_file} in the file, {} failed",
        failures.len()
    );
    assert_eq!(run, in_file, "checks run vs checks in the file");
    assert_eq!(
        in_file, EXPECTED_TOTAL,
        "the file should hold {EXPECTED_TOTAL} checks"
    );
    assert!(
        failures.is_empty(),
        "{} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

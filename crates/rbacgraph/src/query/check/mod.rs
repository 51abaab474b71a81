//! `check`: RBAC guardrails as code. A [`PolicySet`] holds named
//! assertions — who may make a request (`whoCan` with `allowOnly` /
//! `maxSubjects`), whether one identity may (`canI` with `expect`), which
//! escalation paths must not exist (`paths`), which audit fixes must not
//! (`audit`) — and [`Check`] evaluates them exactly with the engine's own
//! queries: [`RbacGraph::who_can`], [`RbacGraph::authorize`],
//! [`AttackGraph::who_reaches`] and the [`Audit`].
//!
//! Every violation carries its evidence: the subject with each binding →
//! role → rule that grants it, the allowing reasons or the near misses of a
//! can-i question, the path step by step, or the audit fix; objects with
//! the file and line they were read from. [`CheckReport::against`] compares
//! the report of a changed snapshot with the report of the current one and
//! marks the violations the change introduces, so a pull request is judged
//! on what it adds.
//!
//! ```
//! use rbacgraph::RbacGraph;
//! use rbacgraph::query::check::{Check, PolicySet};
//! let graph = RbacGraph::builder().load_str("cluster.yaml", "
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: ClusterRole
//! metadata: {name: secret-reader}
//! rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: readers, namespace: prod}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
//! subjects: [{kind: Group, name: platform}, {kind: User, name: mallory}]
//! ").build().unwrap();
//! let policy = PolicySet::from_yaml("policy.yaml", "
//! apiVersion: rbacgraph/v1
//! kind: Policy
//! metadata: {name: prod}
//! assertions:
//! - name: only the platform team reads prod secrets
//!   whoCan: {verb: get, resource: secrets, namespace: prod}
//!   allowOnly: [{kind: Group, name: platform}]
//! ").unwrap();
//! let report = Check::new(&graph, &policy).run().unwrap();
//! let result = &report.results[0];
//! assert!(!result.passed);
//! assert_eq!(result.violations[0].subject.as_ref().unwrap().name, "mallory");
//! ```

mod junit;
mod policy;
mod sarif;

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use globset::GlobMatcher;
use serde::Serialize;

pub use policy::{
    Assertion, AuditSpec, CanISpec, Expect, PathsSpec, PatternKind, Policy, PolicyDocument,
    PolicyMetadata, PolicySet, PolicySource, SubjectPattern, WhoCanSpec, policy_schema,
};
pub use sarif::CheckProperties;

use self::policy::{Pattern, RequestFields, compile_glob, problem};
use super::audit::{Audit, AuditReport, Severity as FixSeverity};
use super::authorize::{NearMiss, Reason};
use super::paths::{AttackGraph, AttackStep, NodeRef, PathOptions, Target as PathTarget};
use super::who_can::WhoCanQuery;
use super::{ObjectRef, SubjectRef};
use crate::error::{Diagnostic, Error, Severity};
use crate::graph::RbacGraph;
use crate::model::{PolicyRule, RoleKind, Source};
use crate::render::{Document, document};
use crate::request::{Identity, Request, SYSTEM_MASTERS};
use crate::target::{self, Namespaces};

/// How many items of one list (grants, rules, objects) the evidence lines
/// of a violation show.
pub const EVIDENCE_ITEMS: usize = 3;

/// The default path length limit, as `paths` has it.
const DEFAULT_MAX_DEPTH: usize = 8;

/// The kind of an assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AssertionKind {
    /// `whoCan` with `allowOnly` / `maxSubjects`.
    WhoCan,
    /// `canI` with `expect: yes|no`.
    CanI,
    /// `paths` with `expect: none`.
    Paths,
    /// `audit` with `expect: none`.
    Audit,
}

impl AssertionKind {
    /// The policy field that names it.
    pub fn as_str(self) -> &'static str {
        match self {
            AssertionKind::WhoCan => "whoCan",
            AssertionKind::CanI => "canI",
            AssertionKind::Paths => "paths",
            AssertionKind::Audit => "audit",
        }
    }
}

/// A role's rule that grants a request, with its index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleAt {
    /// Index in the role's rules (aggregated rules included).
    pub index: usize,
    /// The rule.
    pub rule: PolicyRule,
}

/// One way a subject is granted a request: binding → role → rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantChain {
    /// The bound subject the grant goes through, when the violation is a
    /// principal (`expand`) reached through a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<SubjectRef>,
    /// The binding, with its source.
    pub binding: ObjectRef,
    /// The role, with its source.
    pub role: ObjectRef,
    /// The rules that allow the request.
    pub rules: Vec<RuleAt>,
}

/// An audit fix, as a check violation names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixRef {
    /// The fix id (`rbacgraph audit --fix ID` shows it whole).
    pub id: String,
    /// What to do.
    pub title: String,
    /// Its severity.
    pub severity: FixSeverity,
    /// The controls it addresses.
    pub controls: Vec<String>,
    /// The objects it changes, with their sources.
    pub objects: Vec<ObjectRef>,
}

/// One violation of an assertion, with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// What the violation is about, stable across snapshots (a subject, a
    /// path's source, an audit fix's title and objects, the can-i answer):
    /// `--against` compares by it.
    pub key: String,
    /// A sentence for people.
    pub message: String,
    /// `whoCan`: the subject (or principal) that may; `canI`: the identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectRef>,
    /// `whoCan`: every binding → role → rules that grants it (empty for a
    /// count violation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantChain>,
    /// `canI` expecting `no`: why the request is allowed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// `canI` expecting `yes`: the near misses of the denial.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub near_misses: Vec<NearMiss>,
    /// `paths`: the principal the path starts from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<NodeRef>,
    /// `paths`: the path, step by step, as `paths -o json` has it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<AttackStep>,
    /// `audit`: the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<FixRef>,
    /// With `--against`: whether the change introduces the violation (it is
    /// absent from the current snapshot's report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<bool>,
}

impl Violation {
    fn new(key: String, message: String) -> Violation {
        Violation {
            key,
            message,
            subject: None,
            grants: Vec::new(),
            reasons: Vec::new(),
            near_misses: Vec::new(),
            source: None,
            steps: Vec::new(),
            fix: None,
            introduced: None,
        }
    }

    /// The objects that cause the violation (bindings first, then roles),
    /// deduplicated, in order: where SARIF locates it.
    pub fn causes(&self) -> Vec<&ObjectRef> {
        let mut all: Vec<&ObjectRef> = Vec::new();
        all.extend(self.grants.iter().map(|g| &g.binding));
        for r in &self.reasons {
            if let Reason::Rule { binding, .. } = r {
                all.push(binding);
            }
        }
        for step in &self.steps {
            for e in step.evidence.iter() {
                evidence_objects(e, &mut |o| all.push(o));
            }
        }
        if let Some(f) = &self.fix {
            all.extend(&f.objects);
        }
        all.extend(self.grants.iter().map(|g| &g.role));
        for r in &self.reasons {
            if let Reason::Rule { role, .. } = r {
                all.push(role);
            }
        }
        let mut out: Vec<&ObjectRef> = Vec::with_capacity(all.len());
        for o in all {
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }

    /// The evidence as indented lines for people: the chains with their
    /// files and lines, or the path step by step. Long lists are cut at
    /// [`EVIDENCE_ITEMS`] (grants, rules of a grant, objects of a fix or a
    /// step), saying how many more the JSON has.
    pub fn evidence_lines(&self) -> Vec<String> {
        let more = |out: &mut Vec<String>, indent: &str, total: usize, what: &str| {
            if total > EVIDENCE_ITEMS {
                out.push(format!(
                    "{indent}… and {} more {what} (-o json lists every one)",
                    total - EVIDENCE_ITEMS
                ));
            }
        };
        let mut out = Vec::new();
        let at = |o: &ObjectRef| match &o.source {
            Some(s) if s.item.is_none() && s.line.is_some() => {
                format!(" at {}:{}", s.file, s.line.unwrap_or_default())
            }
            Some(s) => format!(" at {s}"),
            None => String::new(),
        };
        for g in self.grants.iter().take(EVIDENCE_ITEMS) {
            let via = g
                .via
                .as_ref()
                .map(|v| format!("as {v}: "))
                .unwrap_or_default();
            out.push(format!("{via}{} → {}{}", g.binding, g.role, at(&g.binding)));
            for r in g.rules.iter().take(EVIDENCE_ITEMS) {
                out.push(format!("  rule {}: {}{}", r.index, r.rule, at(&g.role)));
            }
            more(&mut out, "  ", g.rules.len(), "rule(s)");
        }
        more(&mut out, "", self.grants.len(), "binding(s)");
        for r in &self.reasons {
            match r {
                Reason::PrivilegedGroup { group } => {
                    out.push(format!("member of {group}: allowed everything"))
                }
                Reason::Rule {
                    subject,
                    binding,
                    role,
                    rule_index,
                    rule,
                } => {
                    out.push(format!("{subject} → {binding} → {role}{}", at(binding)));
                    out.push(format!("  rule {rule_index}: {rule}{}", at(role)));
                }
            }
        }
        for m in &self.near_misses {
            out.push(format!("near miss: {}", m.message));
        }
        for (i, s) in self.steps.iter().enumerate() {
            out.push(format!("{}. {} {} → {}", i + 1, s.technique, s.from, s.to));
            let mut objects = Vec::new();
            for e in s.evidence.iter() {
                evidence_objects(e, &mut |o| {
                    if !objects.contains(o) {
                        objects.push(o.clone());
                    }
                });
            }
            let located: Vec<&ObjectRef> = objects.iter().filter(|o| o.source.is_some()).collect();
            for o in located.iter().take(EVIDENCE_ITEMS) {
                out.push(format!("   {o}{}", at(o)));
            }
            more(&mut out, "   ", located.len(), "object(s)");
        }
        if let Some(f) = &self.fix {
            out.push(format!("fix {} [{}]: {}", f.id, f.severity, f.title));
            for o in f.objects.iter().take(EVIDENCE_ITEMS) {
                out.push(format!("  {o}{}", at(o)));
            }
            more(&mut out, "  ", f.objects.len(), "object(s)");
        }
        out
    }
}

/// The objects one piece of path evidence names (bindings and roles of the
/// permissions it uses, the objects it touches).
fn evidence_objects<'a>(e: &'a super::paths::Evidence, f: &mut dyn FnMut(&'a ObjectRef)) {
    use super::paths::Evidence;
    match e {
        Evidence::Permission { reasons, .. } => {
            for r in reasons {
                if let Reason::Rule { binding, role, .. } = r {
                    f(binding);
                    f(role);
                }
            }
        }
        Evidence::GrantedRule {
            role: Some(role), ..
        } => f(role),
        Evidence::Covered { role, .. } => f(role),
        Evidence::Object { object, .. } => f(object),
        _ => {}
    }
}

/// The outcome of one assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResult {
    /// The assertion's name.
    pub name: String,
    /// The policy it belongs to.
    pub policy: String,
    /// Its kind.
    pub kind: AssertionKind,
    /// The policy file and document.
    pub source: Source,
    /// The assertion's place in the document (`assertions[2]`).
    pub field: String,
    /// Whether it holds on the (new) snapshot: no violations.
    pub passed: bool,
    /// What was found, in one sentence.
    pub message: String,
    /// Every violation, with its evidence.
    pub violations: Vec<Violation>,
    /// With `--against`: the violations of the current snapshot the change
    /// removes (their keys and messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Vec<Violation>>,
}

impl AssertionResult {
    /// How many violations the change introduces (with `--against`), or
    /// all of them.
    pub fn introduced(&self) -> usize {
        self.violations
            .iter()
            .filter(|v| v.introduced.unwrap_or(true))
            .count()
    }
}

/// Counts over a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckSummary {
    /// Assertions evaluated.
    pub assertions: usize,
    /// Assertions that hold.
    pub passed: usize,
    /// Assertions with violations.
    pub failed: usize,
    /// Violations, over all assertions.
    pub violations: usize,
    /// With `--against`: violations the change introduces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<usize>,
    /// With `--against`: violations the change removes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<usize>,
}

/// The answer of `check` (`kind: CheckReport`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// Counts.
    pub summary: CheckSummary,
    /// One result per assertion, in policy order.
    pub results: Vec<AssertionResult>,
    /// Assertions that can never match anything (a `from` that selects no
    /// principal, an `allowOnly` entry no subject matches, a namespace no
    /// object is in), with the policy file, document and field.
    pub warnings: Vec<Diagnostic>,
}

impl CheckReport {
    /// As a versioned document (`kind: CheckReport`).
    pub fn to_document(&self) -> Document<&CheckReport> {
        document("CheckReport", self)
    }

    /// Whether the check fails: some assertion has violations — with
    /// `--against`, violations the change introduces.
    pub fn fails(&self) -> bool {
        match self.summary.introduced {
            Some(n) => n > 0,
            None => self.summary.failed > 0,
        }
    }

    /// Marks, in this report of the changed snapshot, the violations that
    /// `current` (the same policies on the current snapshot) does not have,
    /// and lists the ones the change removes.
    pub fn against(mut self, current: &CheckReport) -> CheckReport {
        let mut introduced = 0;
        let mut resolved = 0;
        for (new, old) in self.results.iter_mut().zip(&current.results) {
            let before: BTreeSet<&str> = old.violations.iter().map(|v| v.key.as_str()).collect();
            let after: BTreeSet<String> = new.violations.iter().map(|v| v.key.clone()).collect();
            for v in &mut new.violations {
                let added = !before.contains(v.key.as_str());
                introduced += usize::from(added);
                v.introduced = Some(added);
            }
            let gone: Vec<Violation> = old
                .violations
                .iter()
                .filter(|v| !after.contains(&v.key))
                .map(|v| {
                    let mut v = v.clone();
                    v.introduced = None;
                    v
                })
                .collect();
            resolved += gone.len();
            new.resolved = Some(gone);
        }
        self.summary.introduced = Some(introduced);
        self.summary.resolved = Some(resolved);
        self
    }
}

/// A check of a graph against policies:
/// `Check::new(&graph, &policies).path_options(o).run()`.
#[derive(Debug)]
pub struct Check<'g, 'p> {
    graph: &'g RbacGraph,
    policies: &'p PolicySet,
    path_options: PathOptions,
}

impl<'g, 'p> Check<'g, 'p> {
    /// A check with the default attack-graph options.
    pub fn new(graph: &'g RbacGraph, policies: &'p PolicySet) -> Self {
        Check {
            graph,
            policies,
            path_options: PathOptions::default(),
        }
    }

    /// Attack-graph options for `paths` and `audit` assertions.
    pub fn path_options(mut self, options: PathOptions) -> Self {
        self.path_options = options;
        self
    }

    /// Evaluates every assertion, in order.
    ///
    /// # Errors
    /// [`Error::Policy`] naming every field the graph cannot answer: an
    /// unknown resource type (with close matches).
    ///
    /// # Complexity
    /// One who-can or authorize question per `whoCan` / `canI` assertion;
    /// with `paths` assertions one attack-graph build and one reverse
    /// search per distinct target and depth; with `audit` assertions one
    /// audit.
    pub fn run(&self) -> Result<CheckReport, Error> {
        let compiled = self.compile()?;
        let has = |f: fn(&Question<'_>) -> bool| compiled.iter().any(|c| f(&c.question));
        let mut ctx = Context {
            graph: self.graph,
            path_options: self.path_options.clone(),
            share: has(|q| matches!(q, Question::Paths { .. }))
                && has(|q| matches!(q, Question::Audit { .. })),
            attack: OnceLock::new(),
            reach: HashMap::new(),
            audit: None,
            warnings: Vec::new(),
            known: OnceLock::new(),
        };
        let mut results = Vec::with_capacity(compiled.len());
        for c in &compiled {
            results.push(ctx.evaluate(c));
        }
        let failed = results.iter().filter(|r| !r.passed).count();
        Ok(CheckReport {
            summary: CheckSummary {
                assertions: results.len(),
                passed: results.len() - failed,
                failed,
                violations: results.iter().map(|r| r.violations.len()).sum(),
                introduced: None,
                resolved: None,
            },
            results,
            warnings: ctx.warnings,
        })
    }

    /// Turns every assertion into a question the graph can answer.
    fn compile(&self) -> Result<Vec<Compiled<'p>>, Error> {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for (policy, index, a) in self.policies.assertions() {
            let field = format!("assertions[{index}]");
            let object = Some(format!("Policy {}", policy.document.metadata.name));
            let mut fail = |sub: &str, message: String| {
                problems.push(problem(
                    &policy.source,
                    object.clone(),
                    Some(format!("{field}.{sub}")),
                    message,
                ));
            };
            let question = if let Some(w) = &a.who_can {
                let parsed = self.request(&w.request(), Namespaces::All);
                match parsed {
                    Ok(t) => Question::WhoCan {
                        query: WhoCanQuery::new(t.request)
                            .all_namespaces(t.all_namespaces)
                            .expand(a.expand.unwrap_or(false)),
                        allow_only: a
                            .allow_only
                            .as_ref()
                            .map(|list| list.iter().map(|p| (p, Pattern::new(p))).collect()),
                        max_subjects: a.max_subjects,
                        namespace: w.namespace.clone(),
                    },
                    Err(e) => {
                        fail("whoCan.resource", e.to_string());
                        continue;
                    }
                }
            } else if let Some(c) = &a.can_i {
                let parsed = self.request(&c.request(), Namespaces::One(""));
                match parsed {
                    Ok(t) => Question::CanI {
                        identity: Identity::authenticated(c.user.clone(), c.groups.clone()),
                        request: t.request,
                        expect_allowed: a.expect == Some(Expect::Yes),
                        namespace: c.namespace.clone(),
                    },
                    Err(e) => {
                        fail("canI.resource", e.to_string());
                        continue;
                    }
                }
            } else if let Some(p) = &a.paths {
                let to = p.to.as_deref().unwrap_or("cluster-admin");
                match PathTarget::parse(to) {
                    Ok(target) => Question::Paths {
                        from: Pattern::new(&p.from),
                        pattern: &p.from,
                        target,
                        max_depth: p.max_depth.unwrap_or(DEFAULT_MAX_DEPTH),
                    },
                    Err(e) => {
                        fail("paths.to", e.to_string());
                        continue;
                    }
                }
            } else if let Some(audit) = &a.audit {
                let min = audit
                    .severity
                    .as_deref()
                    .map_or(Ok(FixSeverity::High), str::parse);
                match min {
                    Ok(min) => Question::Audit {
                        control: audit.control.as_deref().and_then(|c| compile_glob(c).ok()),
                        min,
                    },
                    Err(e) => {
                        fail("audit.severity", e.to_string());
                        continue;
                    }
                }
            } else {
                // PolicySet validated that every assertion has a kind.
                continue;
            };
            out.push(Compiled {
                policy,
                field,
                assertion: a,
                question,
            });
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Error::Policy(problems))
        }
    }

    /// A request as the CLI would build it from the same words;
    /// `all_namespaces` is what `allNamespaces: true` means for the kind.
    fn request(
        &self,
        r: &RequestFields<'_>,
        all_namespaces: Namespaces<'_>,
    ) -> Result<target::Target, Error> {
        if let Some(url) = r.url {
            return target::parse(self.graph, r.verb, url, None, Namespaces::One(""));
        }
        let resource = r.resource.unwrap_or_default();
        let text = match r.name {
            Some(n) => format!("{resource}/{n}"),
            None => resource.to_string(),
        };
        let namespaces = if r.all_namespaces {
            all_namespaces
        } else {
            Namespaces::One(r.namespace.unwrap_or("default"))
        };
        target::parse(self.graph, r.verb, &text, r.subresource, namespaces)
    }
}

/// An assertion ready to evaluate.
struct Compiled<'p> {
    policy: &'p Policy,
    field: String,
    assertion: &'p Assertion,
    question: Question<'p>,
}

enum Question<'p> {
    WhoCan {
        query: WhoCanQuery,
        allow_only: Option<Vec<(&'p SubjectPattern, Pattern)>>,
        max_subjects: Option<usize>,
        namespace: Option<String>,
    },
    CanI {
        identity: Identity,
        request: Request,
        expect_allowed: bool,
        namespace: Option<String>,
    },
    Paths {
        from: Pattern,
        pattern: &'p SubjectPattern,
        target: PathTarget,
        max_depth: usize,
    },
    Audit {
        control: Option<GlobMatcher>,
        min: FixSeverity,
    },
}

/// What the evaluation builds once and shares between assertions.
struct Context<'g> {
    graph: &'g RbacGraph,
    path_options: PathOptions,
    /// Both `paths` and `audit` assertions: one attack graph serves both
    /// (built for the audit's what-if questions; paths are the same).
    share: bool,
    attack: OnceLock<AttackGraph<'g>>,
    reach: HashMap<(String, usize), Vec<super::paths::AttackPath>>,
    audit: Option<AuditReport>,
    warnings: Vec<Diagnostic>,
    known: OnceLock<Known>,
}

/// The subjects and namespaces the input names, for the warnings.
struct Known {
    subjects: Vec<SubjectRef>,
    namespaces: BTreeSet<String>,
}

impl<'g> Context<'g> {
    fn attack(&self) -> &AttackGraph<'g> {
        self.attack.get_or_init(|| {
            AttackGraph::builder(self.graph)
                .options(self.path_options.clone())
                .what_if(self.share)
                .build()
        })
    }

    fn known(&self) -> &Known {
        self.known.get_or_init(|| Known {
            subjects: self
                .graph
                .subjects()
                .into_iter()
                .map(SubjectRef::from_key)
                .collect(),
            namespaces: self.graph.namespaces().into_iter().collect(),
        })
    }

    fn warn(&mut self, c: &Compiled<'_>, field: &str, message: String) {
        self.warnings.push(Diagnostic {
            severity: Severity::Warning,
            source: c.policy.source.clone(),
            object: Some(format!("Policy {}", c.policy.document.metadata.name)),
            field: Some(format!("{}.{field}", c.field)),
            message,
        });
    }

    /// Warns about a namespace no object of the input is in (a typo, or
    /// input that lacks the namespace).
    fn check_namespace(&mut self, c: &Compiled<'_>, field: &str, namespace: Option<&str>) {
        let Some(ns) = namespace.filter(|ns| !ns.is_empty()) else {
            return;
        };
        if !self.known().namespaces.contains(ns) {
            self.warn(
                c,
                field,
                format!(
                    "no object of the input is in namespace `{ns}`: a typo, or input that lacks it?"
                ),
            );
        }
    }

    fn evaluate(&mut self, c: &Compiled<'_>) -> AssertionResult {
        let (kind, message, violations) = match &c.question {
            Question::WhoCan {
                query,
                allow_only,
                max_subjects,
                namespace,
            } => {
                let field = match query.request {
                    Request::Resource(_) => "whoCan.namespace",
                    Request::NonResource(_) => "whoCan.nonResourceURL",
                };
                self.check_namespace(c, field, namespace.as_deref());
                let (message, violations) =
                    self.who_can(c, query, allow_only.as_deref(), *max_subjects);
                (AssertionKind::WhoCan, message, violations)
            }
            Question::CanI {
                identity,
                request,
                expect_allowed,
                namespace,
            } => {
                self.check_namespace(c, "canI.namespace", namespace.as_deref());
                let (message, violations) = self.can_i(identity, request, *expect_allowed);
                (AssertionKind::CanI, message, violations)
            }
            Question::Paths {
                from,
                pattern,
                target,
                max_depth,
            } => {
                let (message, violations) = self.paths(c, from, pattern, target, *max_depth);
                (AssertionKind::Paths, message, violations)
            }
            Question::Audit { control, min } => {
                let (message, violations) = self.audit(control.as_ref(), *min);
                (AssertionKind::Audit, message, violations)
            }
        };
        AssertionResult {
            name: c.assertion.name.clone(),
            policy: c.policy.document.metadata.name.clone(),
            kind,
            source: c.policy.source.clone(),
            field: c.field.clone(),
            passed: violations.is_empty(),
            message,
            violations,
            resolved: None,
        }
    }

    fn who_can(
        &mut self,
        c: &Compiled<'_>,
        query: &WhoCanQuery,
        allow_only: Option<&[(&SubjectPattern, Pattern)]>,
        max_subjects: Option<usize>,
    ) -> (String, Vec<Violation>) {
        let answer = self.graph.who_can(query);
        let subjects: Vec<_> = answer
            .subjects
            .iter()
            .filter(|s| !(s.subject.kind == "Group" && s.subject.name == SYSTEM_MASTERS))
            .collect();
        if let Some(list) = allow_only {
            for (j, (written, pattern)) in list.iter().enumerate() {
                let names_one = self
                    .known()
                    .subjects
                    .iter()
                    .any(|s| pattern.matches_subject(s))
                    || subjects.iter().any(|s| pattern.matches_subject(&s.subject));
                if !names_one {
                    let what = serde_json::to_string(written).unwrap_or_default();
                    self.warn(
                        c,
                        &format!("allowOnly[{j}]"),
                        format!("{what} matches no subject of the input"),
                    );
                }
            }
        }
        let mut violations = Vec::new();
        if let Some(list) = allow_only {
            for s in &subjects {
                if list.iter().any(|(_, p)| p.matches_subject(&s.subject)) {
                    continue;
                }
                let mut v = Violation::new(
                    s.subject.to_string(),
                    format!("{} may, and no allowOnly entry matches it", s.subject),
                );
                v.subject = Some(s.subject.clone());
                v.grants = s
                    .grants
                    .iter()
                    .map(|g| GrantChain {
                        via: g.via.clone(),
                        rules: self.rules_at(&g.role, &g.rules),
                        binding: g.binding.clone(),
                        role: g.role.clone(),
                    })
                    .collect();
                violations.push(v);
            }
        }
        if let Some(max) = max_subjects
            && subjects.len() > max
        {
            violations.push(Violation::new(
                "maxSubjects".into(),
                format!(
                    "{} subject(s) may, at most {max} allowed: {}",
                    subjects.len(),
                    list_some(subjects.iter().map(|s| s.subject.to_string()), 5)
                ),
            ));
        }
        let what = if query.expand { "principal" } else { "subject" };
        let mut message = format!(
            "{} {what}(s) besides system:masters may {}",
            subjects.len(),
            describe_request(&query.request, query.all_namespaces)
        );
        if !violations.is_empty() {
            message.push_str(&format!("; {} violation(s)", violations.len()));
        }
        if !answer.errors.is_empty() {
            message.push_str(&format!(
                "; {} binding(s) with an unresolved roleRef",
                answer.errors.len()
            ));
        }
        (message, violations)
    }

    /// The rules at `indexes` of the role `role` names.
    fn rules_at(&self, role: &ObjectRef, indexes: &[usize]) -> Vec<RuleAt> {
        let kind = if role.kind == "Role" {
            RoleKind::Role
        } else {
            RoleKind::ClusterRole
        };
        let rules = self
            .graph
            .role_id(kind, role.namespace.as_deref().unwrap_or(""), &role.name)
            .and_then(|id| self.graph.role(id))
            .map(|r| r.rules.as_slice())
            .unwrap_or_default();
        indexes
            .iter()
            .filter_map(|&index| {
                Some(RuleAt {
                    index,
                    rule: rules.get(index)?.clone(),
                })
            })
            .collect()
    }

    fn can_i(
        &self,
        identity: &Identity,
        request: &Request,
        expect_allowed: bool,
    ) -> (String, Vec<Violation>) {
        let decision = self.graph.authorize(identity, request);
        let answer = if decision.allowed { "yes" } else { "no" };
        let message = format!(
            "{} may {}: {answer}",
            identity.name,
            describe_request(request, false)
        );
        if decision.allowed == expect_allowed {
            return (message, Vec::new());
        }
        let mut v = Violation::new(
            answer.to_string(),
            format!(
                "expected {}, got {answer}",
                if expect_allowed { "yes" } else { "no" }
            ),
        );
        v.subject = Some(identity_subject(identity));
        v.reasons = decision.reasons;
        v.near_misses = decision.why_not;
        (message, vec![v])
    }

    fn paths(
        &mut self,
        c: &Compiled<'_>,
        from: &Pattern,
        pattern: &SubjectPattern,
        target: &PathTarget,
        max_depth: usize,
    ) -> (String, Vec<Violation>) {
        let attack = self.attack();
        let selected = attack
            .nodes()
            .iter()
            .filter(|n| n.is_principal())
            .map(|n| attack.node_ref(n))
            .filter(|r| from.matches(&r.kind, &r.name, r.namespace.as_deref()))
            .count();
        let key = (target.to_string(), max_depth);
        if !self.reach.contains_key(&key) {
            let found = self.attack().who_reaches(target, max_depth);
            self.reach.insert(key.clone(), found);
        }
        let paths = self.reach.get(&key).map(Vec::as_slice).unwrap_or_default();
        let violations: Vec<Violation> = paths
            .iter()
            .filter(|p| {
                from.matches(
                    &p.source.kind,
                    &p.source.name,
                    p.source.namespace.as_deref(),
                )
            })
            .map(|p| {
                let chain: Vec<String> = p
                    .steps
                    .iter()
                    .map(|s| format!("{} → {}", s.technique, s.to))
                    .collect();
                let mut v = Violation::new(
                    p.source.key(),
                    format!(
                        "{} reaches {target} in {} step(s): {}",
                        p.source,
                        p.steps.len(),
                        chain.join(" → ")
                    ),
                );
                v.source = Some(p.source.clone());
                v.steps = p.steps.clone();
                v
            })
            .collect();
        if selected == 0 {
            let what = serde_json::to_string(pattern).unwrap_or_default();
            self.warn(
                c,
                "paths.from",
                format!("{what} selects no principal of the input: the assertion cannot fail"),
            );
        }
        let message = format!(
            "{} of {selected} principal(s) selected reach {target} within {max_depth} step(s)",
            violations.len()
        );
        (message, violations)
    }

    fn audit(
        &mut self,
        control: Option<&GlobMatcher>,
        min: FixSeverity,
    ) -> (String, Vec<Violation>) {
        let report = match self.audit.take() {
            Some(report) => report,
            None => {
                let audit = Audit::builder(self.graph).path_options(self.path_options.clone());
                if self.share {
                    audit.run_on(self.attack())
                } else {
                    audit.run()
                }
            }
        };
        let violations: Vec<Violation> = report
            .fixes
            .iter()
            .filter(|f| f.severity >= min)
            .filter(|f| control.is_none_or(|g| f.controls.iter().any(|c| g.is_match(c))))
            .map(|f| {
                // Keyed by what the fix changes, not by its id: the id
                // hashes the objects' sources too, which differ between two
                // snapshots in two directories.
                let objects: Vec<String> = f.objects.iter().map(ToString::to_string).collect();
                let mut v = Violation::new(
                    format!("{}: {}", f.title, objects.join(", ")),
                    format!("{} [{}; {}]", f.title, f.severity, f.controls.join(", ")),
                );
                v.fix = Some(FixRef {
                    id: f.id.clone(),
                    title: f.title.clone(),
                    severity: f.severity,
                    controls: f.controls.clone(),
                    objects: f.objects.clone(),
                });
                v
            })
            .collect();
        let message = format!(
            "{} audit fix(es) at or above {min} ({} platform-managed ones not counted)",
            violations.len(),
            report.platform_managed.len()
        );
        self.audit = Some(report);
        (message, violations)
    }
}

/// The identity of a can-i question as a subject.
fn identity_subject(identity: &Identity) -> SubjectRef {
    match crate::request::split_service_account(&identity.name) {
        Some((ns, name)) => SubjectRef::service_account(ns, name),
        None => SubjectRef::user(&identity.name),
    }
}

/// `get secrets in namespace prod`, `get /metrics`.
fn describe_request(request: &Request, all_namespaces: bool) -> String {
    match request {
        Request::NonResource(r) => format!("{} {}", r.verb, r.path),
        Request::Resource(r) => {
            let mut what = r.resource.clone();
            if !r.api_group.is_empty() {
                what = format!("{what}.{}", r.api_group);
            }
            if !r.subresource.is_empty() {
                what = format!("{what}/{}", r.subresource);
            }
            if !r.name.is_empty() {
                what = format!("{what} `{}`", r.name);
            }
            let scope = if all_namespaces {
                " in any namespace".to_string()
            } else if r.namespace.is_empty() {
                " cluster-wide".to_string()
            } else {
                format!(" in namespace {}", r.namespace)
            };
            format!("{} {what}{scope}", r.verb)
        }
    }
}

/// `a, b, c and 4 more`.
fn list_some(items: impl Iterator<Item = String>, n: usize) -> String {
    let all: Vec<String> = items.collect();
    let shown = all.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if all.len() > n {
        format!("{shown} and {} more", all.len() - n)
    } else {
        shown
    }
}

impl RbacGraph {
    /// Evaluates policies with the default attack-graph options; see
    /// [`Check`].
    ///
    /// # Errors
    /// As [`Check::run`].
    pub fn check(&self, policies: &PolicySet) -> Result<CheckReport, Error> {
        Check::new(self, policies).run()
    }
}

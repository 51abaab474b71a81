//! `audit`: what to fix first. The hardening controls — CIS Kubernetes
//! Benchmark 5.1.1–5.1.13, code execution in running pods, Service traffic
//! interception, Pod Security of namespaces where pods can be created, the
//! seed checks (API exposure to anonymous and all authenticated users,
//! dangling roleRefs, unused roles, workloads on the `default` service
//! account, dead rules) and upgrade readiness — find problems; the report's
//! unit is the **fix**: one change to one place (delete or narrow a
//! binding, remove subjects from it, narrow a role's rules, stop mounting a
//! token, label a namespace, …) that resolves every finding it addresses.
//!
//! Each [`Fix`] carries the objects to change (file and line), what to do
//! in words and as a machine-applicable [`ObjectPatch`] list, the controls
//! it addresses, the principals it affects and, from the escalation paths,
//! its **impact**: the principals that lose every path to cluster-admin
//! (and, apart, to the nodes) once it is applied — exactly, from one attack
//! graph and the what-if engine ([`crate::query::paths::impact`]), without
//! rebuilding anything per fix.
//!
//! Root causes, not symptoms: a role bound in 2,000 namespaces is one fix
//! at that role; the same Role (name and rules) installed in many
//! namespaces, or the same RoleBinding, is one fix over all of them. Every
//! principal that reaches cluster-admin or a node (the API server's own
//! identities and platform-managed ones aside) is affected by at least one
//! fix: where no control names the permission its path starts with, a fix
//! of control `RBAC-ESCALATION-PATH` removes it.
//!
//! Severity comes from the fix's own permissions (cluster-wide outranks one
//! namespace; a grant to every authenticated user or service account ranks
//! one level higher, for what it is: everyone) and from the paths that use
//! it: a fix that removes a step of a path to cluster-admin is critical, to
//! a node at least high. Fixes rank by severity, then impact.
//!
//! The API server's own default roles and bindings (the embedded copy of the
//! bootstrap policy, see [`defaults`]) are recognised and not reported
//! unless modified; objects a managed platform installs (see [`platform`])
//! are reported apart, in [`AuditReport::platform_managed`]. Suppressions
//! ([`IgnoreRules`]) move findings to [`AuditReport::suppressed`], with
//! their reason; they are never dropped.
//!
//! ```
//! use rbacgraph::RbacGraph;
//! use rbacgraph::query::audit::{Audit, Severity};
//! let graph = RbacGraph::builder().load_str("demo.yaml", "
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: ClusterRole
//! metadata: {name: secret-reader}
//! rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: ClusterRoleBinding
//! metadata: {name: everyone-reads-secrets}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
//! subjects: [{kind: Group, name: 'system:authenticated'}]
//! ").build().unwrap();
//! let report = Audit::builder(&graph).run();
//! let fix = &report.fixes[0];
//! assert_eq!(fix.objects[0].name, "everyone-reads-secrets");
//! assert!(fix.controls.iter().any(|c| c == "CIS-5.1.2"));
//! assert!(fix.controls.iter().any(|c| c == "RBAC-ANON-EXPOSURE"));
//! assert!(fix.severity >= Severity::Critical);
//! ```

mod checks;
pub mod controls;
pub mod defaults;
mod fixes;
mod grants;
mod ignore;
pub mod platform;
pub mod sarif;
pub mod upgrade;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use controls::{CONTROLS, Control};
pub use ignore::{IgnoreRule, IgnoreRules};
pub use platform::PlatformMatch;
pub use upgrade::KubeVersion;

use crate::error::Error;
use crate::graph::RbacGraph;
use crate::model::PolicyRule;
use crate::query::paths::{AttackStep, NodeRef, PathOptions};
use crate::query::whatif::ObjectPatch;
use crate::query::{ObjectRef, SubjectRef};
use crate::render::{Document, document};

/// How urgent a fix or finding is; ordered from `Info` (least) to `Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no risk by itself.
    Info,
    /// Hygiene: small risk, or a mistake that grants nothing.
    Low,
    /// A real but bounded risk (one namespace, one kind of object).
    Medium,
    /// A path to other identities' credentials or to code execution.
    High,
    /// Control of the cluster, or of an identity that has it.
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One level up (`Critical` stays).
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = Error;

    /// `info`, `low`, `medium`, `high` or `critical`.
    fn from_str(s: &str) -> Result<Self, Error> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::Invalid {
                what: "severity",
                value: s.to_string(),
                reason: "expected info, low, medium, high or critical".into(),
            })
    }
}

/// What kind of change a fix makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FixKind {
    /// Delete one or more bindings.
    DeleteBinding,
    /// Remove subjects from a binding.
    RemoveSubjects,
    /// Rewrite a role's rules (narrower, without wildcards or dead resources).
    EditRole,
    /// Delete one or more roles no binding uses.
    DeleteRole,
    /// Stop mounting a service account's token.
    StopTokenMount,
    /// Give workloads a ServiceAccount of their own.
    OwnServiceAccounts,
    /// Label a namespace with a Pod Security level.
    LabelNamespace,
    /// Delete a legacy token Secret.
    DeleteSecret,
    /// Move objects to a served apiVersion.
    UpdateApiVersion,
}

/// Principals a fix affects: every one, with the count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Principals {
    /// How many.
    pub count: usize,
    /// Every one (users, groups, service accounts), sorted.
    pub items: Vec<SubjectRef>,
}

impl Principals {
    pub(crate) fn new(items: Vec<SubjectRef>) -> Principals {
        Principals {
            count: items.len(),
            items,
        }
    }
}

/// What applying a fix does to the escalation paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixImpact {
    /// How many principals lose every path to cluster-admin.
    pub cluster_admin: usize,
    /// How many principals lose every path to a node.
    pub nodes: usize,
    /// Those that lose every path to cluster-admin.
    pub cluster_admin_principals: Vec<SubjectRef>,
    /// Those that lose every path to a node.
    pub nodes_principals: Vec<SubjectRef>,
}

/// Why a fix holds, by reference into [`AuditReport::evidence`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixEvidence {
    /// The rules involved (indexes into [`EvidenceStore::rules`]).
    pub rules: Vec<usize>,
    /// The other objects involved: bindings of a role, workloads of a
    /// service account, … (indexes into [`EvidenceStore::objects`]).
    pub objects: Vec<usize>,
    /// Facts, in words.
    pub facts: Vec<String>,
    /// A path that uses the fix (its first step is one the fix removes), to
    /// cluster-admin if one does, else to a node (an index into
    /// [`EvidenceStore::paths`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<usize>,
}

/// One fix: a change to one place, and everything it resolves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    /// Stable id (`FIX-` and a hash of the change): the same on the same input.
    pub id: String,
    /// Position in the ranking (1 = first), in its section.
    pub rank: usize,
    /// The highest severity of what it addresses and of the paths it cuts.
    pub severity: Severity,
    /// How the severity was decided.
    pub severity_reason: String,
    /// The kind of change.
    pub kind: FixKind,
    /// What to change, in a line.
    pub title: String,
    /// Why, and what else to know.
    pub description: String,
    /// The objects to change, with their sources.
    pub objects: Vec<ObjectRef>,
    /// The controls it addresses (CIS ids and the seed checks).
    pub controls: Vec<String>,
    /// The principals whose permissions or credentials it changes.
    pub principals: Principals,
    /// How many namespaces it touches (the scopes of the grants it
    /// removes, or of the objects it changes).
    pub namespaces: usize,
    /// Whether it removes something granted in every namespace.
    pub cluster_wide: bool,
    /// What it does to the escalation paths (absent without paths).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<FixImpact>,
    /// The change, object by object: delete, create, or RFC 6902 JSON
    /// Patch operations (`kubectl patch --type=json`).
    pub patch: Vec<ObjectPatch>,
    /// What a person must finish by hand, when the patch cannot do it all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<String>,
    /// Why.
    pub evidence: FixEvidence,
    /// The platform that manages the objects, for platform-managed fixes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformMatch>,
}

/// A finding: one control about one subject or object (the view a CIS
/// auditor ticks off), with the fixes that resolve it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The control's id.
    pub control: String,
    /// Its severity from the permission or object alone.
    pub severity: Severity,
    /// The subject, for "who can" findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectRef>,
    /// The object, for findings about an object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// What was found, in a sentence.
    pub message: String,
    /// The fixes that resolve it (ids).
    pub fixes: Vec<String>,
}

/// A suppressed finding and the rule that suppressed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppressed {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The ignore rule's reason.
    pub reason: String,
    /// The index of the rule in the ignore file.
    pub rule_index: usize,
}

/// A rule, as evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleEvidence {
    /// The role (an index into [`EvidenceStore::objects`]).
    pub role: usize,
    /// The rule's index in the role's rules as written.
    pub rule_index: usize,
    /// The rule.
    pub rule: PolicyRule,
    /// The requests of the controls it grants (`create pods`, …).
    pub requests: Vec<String>,
}

/// An escalation path, its steps by reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathEvidence {
    /// Where it starts.
    pub source: NodeRef,
    /// `cluster-admin` or `nodes`.
    pub target: String,
    /// The steps (indexes into [`EvidenceStore::steps`]).
    pub steps: Vec<usize>,
}

/// Evidence kept once and referred to by index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceStore {
    /// Objects (with sources).
    pub objects: Vec<ObjectRef>,
    /// Rules.
    pub rules: Vec<RuleEvidence>,
    /// Paths.
    pub paths: Vec<PathEvidence>,
    /// Path steps, each with its own evidence.
    pub steps: Vec<AttackStep>,
}

/// Counts by severity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Info.
    pub info: usize,
}

impl SeverityCounts {
    pub(crate) fn add(&mut self, s: Severity) {
        let slot = match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        };
        *slot += 1;
    }

    /// How many have this severity.
    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
}

/// The first screen: how exposed the cluster is, and how much there is to fix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSummary {
    /// Principals with a path to cluster-admin (absent without paths).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principals_reaching_cluster_admin: Option<usize>,
    /// Of those, the ones bound to it on purpose: cluster-admin (or an equal
    /// role) bound to them directly, in one step — controllers, break-glass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principals_bound_to_cluster_admin: Option<usize>,
    /// Principals with a path to root on a node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principals_reaching_nodes: Option<usize>,
    /// Of the principals with a path to either, the API server's own
    /// identities and platform-managed ones (no fix is asked of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_or_platform_principals: Option<usize>,
    /// Fixes (platform-managed ones apart).
    pub fixes: usize,
    /// Fixes by severity.
    pub by_severity: SeverityCounts,
    /// Fixes of platform-managed objects.
    pub platform_managed_fixes: usize,
    /// Findings (control × subject or object), suppressed ones aside.
    pub findings: usize,
    /// Suppressed findings.
    pub suppressed: usize,
    /// Controls run.
    pub controls: usize,
}

/// How severities were ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reachability {
    /// With the escalation paths: impact computed, severity raised by the
    /// paths that use a fix.
    AttackGraph,
    /// By the permission alone (paths turned off): no impact.
    PermissionOnly,
}

/// Per control: how many findings and which fixes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlSummary {
    /// The control's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Findings (suppressed ones aside).
    pub findings: usize,
    /// The highest severity among them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Fixes that address it.
    pub fixes: usize,
}

/// The answer of an audit (`kind: AuditReport`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// The Kubernetes version upgrade checks were run against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
    /// How severities were ranked.
    pub reachability: Reachability,
    /// The first screen.
    pub summary: AuditSummary,
    /// Fixes, in rank order: what to change first.
    pub fixes: Vec<Fix>,
    /// Fixes of objects a managed platform installs (the user cannot change
    /// them; they count in paths and impact all the same), in rank order.
    pub platform_managed: Vec<Fix>,
    /// Per control: findings and fixes.
    pub controls: Vec<ControlSummary>,
    /// Every finding, control by control, when asked for
    /// ([`Audit::findings`]); otherwise empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Findings an ignore rule matched, with the reason.
    pub suppressed: Vec<Suppressed>,
    /// The principals that reach cluster-admin or a node but are the
    /// cluster's own (subjects of default or platform bindings, kubelets,
    /// platform identities): no fix is asked of them. Empty without paths.
    pub default_or_platform: Vec<SubjectRef>,
    /// Evidence the fixes refer to.
    pub evidence: EvidenceStore,
    /// Remarks about the run (checks skipped and why).
    pub notes: Vec<String>,
}

impl AuditReport {
    /// As a versioned document (`kind: AuditReport`).
    pub fn to_document(&self) -> Document<&AuditReport> {
        document("AuditReport", self)
    }

    /// Whether any fix (platform-managed ones aside) is at or above `level`.
    pub fn fails(&self, level: Severity) -> bool {
        self.fixes.iter().any(|f| f.severity >= level)
    }

    /// A fix by id, in either section.
    pub fn fix(&self, id: &str) -> Option<&Fix> {
        self.fixes
            .iter()
            .chain(&self.platform_managed)
            .find(|f| f.id == id)
    }

    /// A path of the evidence, resolved.
    pub fn path(&self, index: usize) -> Option<(&PathEvidence, Vec<&AttackStep>)> {
        let p = self.evidence.paths.get(index)?;
        let steps = p
            .steps
            .iter()
            .filter_map(|&s| self.evidence.steps.get(s))
            .collect();
        Some((p, steps))
    }
}

/// Options of an audit.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Run upgrade-readiness checks against this version.
    pub target_version: Option<KubeVersion>,
    /// Suppressions.
    pub ignore: IgnoreRules,
    /// Compute escalation paths (impact, severity from paths, coverage).
    pub paths: bool,
    /// The most steps an escalation path may have.
    pub max_depth: usize,
    /// Attack-graph options (legacy tokens, EKS).
    pub path_options: PathOptions,
    /// List every finding in [`AuditReport::findings`] (the per-control view).
    pub findings: bool,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            target_version: None,
            ignore: IgnoreRules::default(),
            paths: true,
            max_depth: 8,
            path_options: PathOptions::default(),
            findings: false,
        }
    }
}

/// An audit of one graph: `Audit::builder(&graph).target_version(v).run()`.
#[derive(Clone, Debug)]
pub struct Audit<'g> {
    graph: &'g RbacGraph,
    options: AuditOptions,
}

impl<'g> Audit<'g> {
    /// An audit with default options (paths on, no upgrade checks).
    pub fn builder(graph: &'g RbacGraph) -> Audit<'g> {
        Audit {
            graph,
            options: AuditOptions::default(),
        }
    }

    /// Runs the upgrade-readiness checks against this version.
    pub fn target_version(mut self, version: KubeVersion) -> Self {
        self.options.target_version = Some(version);
        self
    }

    /// Suppresses the findings these rules match.
    pub fn ignore(mut self, rules: IgnoreRules) -> Self {
        self.options.ignore = rules;
        self
    }

    /// Computes escalation paths (default) or ranks by the permission alone.
    pub fn paths(mut self, yes: bool) -> Self {
        self.options.paths = yes;
        self
    }

    /// The most steps an escalation path may have (default 8).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.options.max_depth = depth;
        self
    }

    /// Attack-graph options.
    pub fn path_options(mut self, options: PathOptions) -> Self {
        self.options.path_options = options;
        self
    }

    /// Lists every finding (the per-control view) in the report.
    pub fn findings(mut self, yes: bool) -> Self {
        self.options.findings = yes;
        self
    }

    /// Sets all options.
    pub fn options(mut self, options: AuditOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs every control and turns what they find into ranked fixes.
    ///
    /// # Returns
    /// An [`AuditReport`]: the summary, fixes in rank order (platform-managed
    /// ones apart), per-control counts, suppressed findings with their
    /// reasons, and the evidence the fixes refer to.
    ///
    /// # Complexity
    /// One pass of the rule index per request a control asks (about sixty),
    /// one pass over roles, bindings, workloads and Secrets; with paths, one
    /// attack-graph build, its flattening, and per fix an impact query
    /// proportional to what the fix touches.
    pub fn run(&self) -> AuditReport {
        fixes::run(self.graph, &self.options, None)
    }

    /// Runs on an attack graph already built for other questions (with
    /// `what_if(true)` and the audit's path options), instead of building
    /// one: `check` shares one between its `paths` and `audit` assertions.
    pub(crate) fn run_on(&self, attack: &crate::query::paths::AttackGraph<'_>) -> AuditReport {
        fixes::run(self.graph, &self.options, Some(attack))
    }
}

/// Every principal the everyone-groups stand for: a grant to one of them
/// is a grant to every user, every service account, or anyone at all.
pub(crate) fn is_everyone(s: &SubjectRef) -> bool {
    use crate::request::{
        SYSTEM_ANONYMOUS, SYSTEM_AUTHENTICATED, SYSTEM_SERVICEACCOUNTS, SYSTEM_UNAUTHENTICATED,
    };
    match s.kind.as_str() {
        "Group" => matches!(
            s.name.as_str(),
            SYSTEM_AUTHENTICATED | SYSTEM_UNAUTHENTICATED | SYSTEM_SERVICEACCOUNTS
        ),
        "User" => s.name == SYSTEM_ANONYMOUS,
        _ => false,
    }
}

/// An object's reference, for evidence and fixes.
pub(crate) fn object_ref(
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    source: Option<&crate::model::Source>,
) -> ObjectRef {
    ObjectRef {
        kind: kind.to_string(),
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        source: source.cloned(),
    }
}

//! `audit`: hardening findings over the whole graph — CIS Kubernetes
//! Benchmark 5.1.1–5.1.13, the seed checks (API exposure to anonymous and
//! all authenticated users, dangling roleRefs, unused roles, workloads on
//! the `default` service account, dead rules) and upgrade readiness — each
//! with a stable id, a severity, the subjects and objects involved (with
//! file and line), its evidence and what to do about it.
//!
//! Every "who can X" control asks the exact engine ([`RbacGraph::who_can`]
//! over every namespace, plus the object names some rule restricts the
//! request to); no control has a matcher of its own. Severity starts from
//! the permission (cluster-wide outranks one namespace) and is raised one
//! level when a subject of the finding reaches cluster-admin in the attack
//! graph ([`AttackGraph::who_reaches`], built once per audit); the finding
//! then carries that shortest path. With paths turned off, the report says
//! that it ranks by the permission alone.
//!
//! The API server's own default roles and bindings (the embedded copy of the
//! bootstrap policy, see [`defaults`]) are recognised and not reported unless
//! modified. Suppressions ([`IgnoreRules`]) move findings to
//! [`AuditReport::suppressed`], with their reason; they are never dropped.
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
//! let secrets = report.findings.iter().find(|f| f.id == "CIS-5.1.2").unwrap();
//! assert_eq!(secrets.subjects[0].name, "system:authenticated");
//! assert!(secrets.severity >= Severity::High);
//! assert!(report.findings.iter().any(|f| f.id == "RBAC-ANON-EXPOSURE"));
//! ```

mod checks;
pub mod controls;
pub mod defaults;
mod ignore;
pub mod sarif;
pub mod upgrade;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use controls::{CONTROLS, Control};
pub use ignore::{IgnoreRule, IgnoreRules};
pub use upgrade::KubeVersion;

use crate::error::Error;
use crate::graph::RbacGraph;
use crate::model::PolicyRule;
use crate::query::paths::{AttackGraph, AttackPath, PathOptions, Target};
use crate::query::who_can::Grant;
use crate::query::{ObjectRef, SubjectRef};
use crate::render::{Document, document};
use crate::request::Request;

/// How urgent a finding is; ordered from `Info` (least) to `Critical`.
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

/// Why a finding holds: one piece of evidence.
#[allow(
    clippy::large_enum_variant,
    reason = "evidence is built once per finding and read, not moved in bulk"
)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum AuditEvidence {
    /// The who-can engine's answer for this subject: every binding → role →
    /// rule that grants the request.
    #[serde(rename_all = "camelCase")]
    Grants {
        /// The request asked (namespace empty: every namespace was asked).
        request: Request,
        /// How the subject is granted it.
        grants: Vec<Grant>,
    },
    /// A rule of a role.
    #[serde(rename_all = "camelCase")]
    Rule {
        /// The role.
        role: ObjectRef,
        /// The rule's index in the role.
        rule_index: usize,
        /// The rule.
        rule: PolicyRule,
    },
    /// An object involved, with what about it matters.
    #[serde(rename_all = "camelCase")]
    Object {
        /// The object.
        object: ObjectRef,
        /// A sentence for people.
        message: String,
    },
    /// A fact the finding relies on.
    #[serde(rename_all = "camelCase")]
    Fact {
        /// A sentence for people.
        message: String,
    },
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The control's stable id (`CIS-5.1.2`, `RBAC-ANON-EXPOSURE`, …).
    pub id: String,
    /// The control's title.
    pub title: String,
    /// How urgent it is.
    pub severity: Severity,
    /// What was found, in one sentence.
    pub message: String,
    /// The users, groups and service accounts involved.
    pub subjects: Vec<SubjectRef>,
    /// The objects involved, with their sources (file and line).
    pub objects: Vec<ObjectRef>,
    /// Why: who-can answers, rules, objects, facts.
    pub evidence: Vec<AuditEvidence>,
    /// What to do about it.
    pub remediation: String,
    /// How the severity was decided.
    pub severity_reason: String,
    /// When a subject reaches cluster-admin: its shortest escalation path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_to_cluster_admin: Option<AttackPath>,
}

impl Finding {
    /// A finding of a control with the control's title and remediation.
    pub(crate) fn new(control: &Control, severity: Severity, message: String) -> Finding {
        Finding {
            id: control.id.to_string(),
            title: control.title.to_string(),
            severity,
            message,
            subjects: Vec::new(),
            objects: Vec::new(),
            evidence: Vec::new(),
            remediation: control.remediation.to_string(),
            severity_reason: String::new(),
            path_to_cluster_admin: None,
        }
    }

    /// The objects that have a source (file and line), for locations.
    pub fn located_objects(&self) -> impl Iterator<Item = &ObjectRef> {
        self.objects.iter().filter(|o| o.source.is_some())
    }
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

/// Findings counted by severity.
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
    fn add(&mut self, s: Severity) {
        let slot = match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        };
        *slot += 1;
    }

    /// How many findings have this severity.
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

/// Totals of a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSummary {
    /// Reported findings (not suppressed).
    pub findings: usize,
    /// Reported findings by severity.
    pub by_severity: SeverityCounts,
    /// Suppressed findings.
    pub suppressed: usize,
    /// Controls run.
    pub controls: usize,
}

/// How severities were ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reachability {
    /// Raised where a subject reaches cluster-admin in the attack graph.
    AttackGraph,
    /// By the permission alone (paths turned off).
    PermissionOnly,
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
    /// Totals.
    pub summary: AuditSummary,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Findings an ignore rule matched, with the reason.
    pub suppressed: Vec<Suppressed>,
    /// Remarks about the run (checks skipped and why).
    pub notes: Vec<String>,
}

impl AuditReport {
    /// As a versioned document (`kind: AuditReport`).
    pub fn to_document(&self) -> Document<&AuditReport> {
        document("AuditReport", self)
    }

    /// Whether any reported finding is at or above `level`.
    pub fn fails(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }
}

/// Options of an audit.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Run upgrade-readiness checks against this version.
    pub target_version: Option<KubeVersion>,
    /// Suppressions.
    pub ignore: IgnoreRules,
    /// Rank by reachability of cluster-admin (builds the attack graph).
    pub paths: bool,
    /// The most steps an escalation path may have.
    pub max_depth: usize,
    /// Attack-graph options (legacy tokens, EKS).
    pub path_options: PathOptions,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            target_version: None,
            ignore: IgnoreRules::default(),
            paths: true,
            max_depth: 8,
            path_options: PathOptions::default(),
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

    /// Ranks by reachability of cluster-admin (default) or by the
    /// permission alone.
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

    /// Sets all options.
    pub fn options(mut self, options: AuditOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs every control.
    ///
    /// # Returns
    /// An [`AuditReport`]: findings most severe first, suppressed findings
    /// with their reasons, totals.
    ///
    /// # Complexity
    /// One who-can query over every namespace per request a control asks
    /// (about forty, plus one per object name some rule restricts them to),
    /// one pass over roles, bindings, workloads and Secrets, and with paths
    /// one attack-graph build and one reverse search from cluster-admin.
    pub fn run(&self) -> AuditReport {
        let graph = self.graph;
        let defaults = defaults::Defaults::of(graph);
        let mut notes = Vec::new();
        let mut findings = checks::run(graph, &defaults);
        match self.options.target_version {
            Some(v) => findings.extend(upgrade::run(graph, &defaults, v)),
            None => notes.push(
                "upgrade-readiness checks (UPGRADE-*) skipped: no target version given".into(),
            ),
        }
        let reachability = if self.options.paths {
            let attack = AttackGraph::builder(graph)
                .options(self.options.path_options.clone())
                .build();
            let reaching: HashMap<String, AttackPath> = attack
                .who_reaches(&Target::ClusterAdmin, self.options.max_depth)
                .into_iter()
                .map(|p| (p.source.key(), p))
                .collect();
            for f in &mut findings {
                rank(f, Some(&reaching));
            }
            Reachability::AttackGraph
        } else {
            notes.push(
                "severities rank by the permission alone: escalation paths were not computed"
                    .into(),
            );
            for f in &mut findings {
                rank(f, None);
            }
            Reachability::PermissionOnly
        };
        // Most severe first; within a severity, findings with a path to
        // cluster-admin (shortest first), then the catalogue's order
        // (CIS-5.1.2 before CIS-5.1.10).
        let catalogue_position = |id: &str| CONTROLS.iter().position(|c| c.id == id);
        let path_steps = |f: &Finding| {
            f.path_to_cluster_admin
                .as_ref()
                .map_or(usize::MAX, |p| p.steps.len())
        };
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| path_steps(a).cmp(&path_steps(b)))
                .then_with(|| catalogue_position(&a.id).cmp(&catalogue_position(&b.id)))
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.subjects.cmp(&b.subjects))
                .then_with(|| a.objects.cmp(&b.objects))
                .then_with(|| a.message.cmp(&b.message))
        });
        let mut reported = Vec::new();
        let mut suppressed = Vec::new();
        for f in findings {
            match self.options.ignore.matching(&f) {
                Some((rule_index, rule)) => suppressed.push(Suppressed {
                    reason: rule.reason.clone(),
                    rule_index,
                    finding: f,
                }),
                None => reported.push(f),
            }
        }
        let mut by_severity = SeverityCounts::default();
        for f in &reported {
            by_severity.add(f.severity);
        }
        AuditReport {
            target_version: self.options.target_version.map(|v| v.to_string()),
            reachability,
            summary: AuditSummary {
                findings: reported.len(),
                by_severity,
                suppressed: suppressed.len(),
                controls: CONTROLS.len(),
            },
            findings: reported,
            suppressed,
            notes,
        }
    }
}

/// The key of a subject in the attack graph's answers ([`crate::query::paths::NodeRef::key`]).
fn subject_key(s: &SubjectRef) -> String {
    match (s.kind.as_str(), &s.namespace) {
        ("ServiceAccount", Some(ns)) => crate::request::service_account_username(ns, &s.name),
        ("Group", _) => format!("group:{}", s.name),
        _ => s.name.clone(),
    }
}

/// Raises a finding one level when one of its subjects reaches
/// cluster-admin, keeping the shortest such path.
fn rank(f: &mut Finding, reaching: Option<&HashMap<String, AttackPath>>) {
    let Some(reaching) = reaching else {
        f.severity_reason = "from the permission alone (escalation paths not computed)".into();
        return;
    };
    let best = f
        .subjects
        .iter()
        .filter_map(|s| reaching.get(&subject_key(s)).map(|p| (s, p)))
        .min_by_key(|(_, p)| p.steps.len());
    match best {
        Some((s, p)) => {
            let before = f.severity;
            f.severity = f.severity.raised();
            f.severity_reason = format!(
                "{before} from the permission, raised to {}: {s} reaches cluster-admin in {} step(s)",
                f.severity,
                p.steps.len()
            );
            f.path_to_cluster_admin = Some(p.clone());
        }
        None if f.subjects.is_empty() => {
            f.severity_reason = "from the objects involved".into();
        }
        None => {
            f.severity_reason = "from the permission; no subject reaches cluster-admin".into();
        }
    }
}

//! The serde DTO layer shared by the CLI's JSON/YAML output and the
//! bindings: every answer wrapped with `apiVersion: rbacgraph/v1` and a
//! kind, field names in camelCase.
//!
//! | kind | body |
//! |---|---|
//! | `AccessDecision` | [`Decision`]: `allowed`, `reasons`, `whyNot`, `errors` |
//! | `WhoCan` | [`WhoCan`]: `subjects` (`kind`, `name`, `namespace`?, `grants`), `errors` |
//! | `RulesReview` | [`RulesReview`]: `resourceRules`, `nonResourceRules`, `errors` |
//! | `Summary` | [`Summary`]: load counts, graph counts, diagnostics |
//! | `EscalationPaths` | [`PathsReport`](crate::query::paths::PathsReport): `paths` (`source`, `target`, `steps`: `technique`, `from`, `to`, `evidence`) |
//! | `PermissionGraph` | [`ExportGraph`](crate::query::paths::export::ExportGraph): `nodes` (`id`, `kind`, `name`, …), `edges` (`from`, `to`, `kind`, `technique`?) |

use serde::Serialize;

use crate::error::Diagnostic;
use crate::graph::{GraphStats, RbacGraph};
use crate::load::LoadSummary;
use crate::query::authorize::Decision;
use crate::query::rules_for::{EffectiveRule, RulesFor};
use crate::query::who_can::WhoCan;
use crate::query::{ObjectRef, SubjectRef};

/// The schema version of every document.
pub const API_VERSION: &str = "rbacgraph/v1";

/// A versioned document: `{"apiVersion": "rbacgraph/v1", "kind": K, ...body}`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<T> {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// The document kind.
    pub kind: &'static str,
    /// The body, flattened into the document.
    #[serde(flatten)]
    pub body: T,
}

/// Wraps a body.
pub fn document<T>(kind: &'static str, body: T) -> Document<T> {
    Document {
        api_version: API_VERSION,
        kind,
        body,
    }
}

impl Decision {
    /// As a versioned document.
    pub fn to_document(&self) -> Document<&Decision> {
        document("AccessDecision", self)
    }
}

impl WhoCan {
    /// As a versioned document.
    pub fn to_document(&self) -> Document<&WhoCan> {
        document("WhoCan", self)
    }
}

/// A resource rule in SelfSubjectRulesReview shape, with provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRuleDto {
    /// Verbs.
    pub verbs: Vec<String>,
    /// API groups.
    pub api_groups: Vec<String>,
    /// Resources.
    pub resources: Vec<String>,
    /// Resource names (empty = any).
    pub resource_names: Vec<String>,
    /// Where it comes from.
    #[serde(flatten)]
    pub from: Provenance,
}

/// A non-resource rule in SelfSubjectRulesReview shape, with provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NonResourceRuleDto {
    /// Verbs.
    pub verbs: Vec<String>,
    /// URLs.
    #[serde(rename = "nonResourceURLs")]
    pub non_resource_urls: Vec<String>,
    /// Where it comes from.
    #[serde(flatten)]
    pub from: Provenance,
}

/// Subject → binding → role → rule index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// The matching binding subject.
    pub subject: SubjectRef,
    /// The binding.
    pub binding: ObjectRef,
    /// The role.
    pub role: ObjectRef,
    /// The rule's index in the role.
    pub rule_index: usize,
}

/// `kubectl auth can-i --list` as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesReview {
    /// Rules with resources.
    pub resource_rules: Vec<ResourceRuleDto>,
    /// Rules with non-resource URLs.
    pub non_resource_rules: Vec<NonResourceRuleDto>,
    /// Unresolvable role references met on the way.
    pub errors: Vec<String>,
}

fn provenance(r: &EffectiveRule) -> Provenance {
    Provenance {
        subject: r.subject.clone(),
        binding: r.binding.clone(),
        role: r.role.clone(),
        rule_index: r.rule_index,
    }
}

impl RulesFor {
    /// The SelfSubjectRulesReview shape.
    pub fn to_review(&self) -> RulesReview {
        RulesReview {
            resource_rules: self
                .resource_rules()
                .map(|r| ResourceRuleDto {
                    verbs: r.rule.verbs.clone(),
                    api_groups: r.rule.api_groups.clone(),
                    resources: r.rule.resources.clone(),
                    resource_names: r.rule.resource_names.clone(),
                    from: provenance(r),
                })
                .collect(),
            non_resource_rules: self
                .non_resource_rules()
                .map(|r| NonResourceRuleDto {
                    verbs: r.rule.verbs.clone(),
                    non_resource_urls: r.rule.non_resource_urls.clone(),
                    from: provenance(r),
                })
                .collect(),
            errors: self.errors.clone(),
        }
    }
}

impl RulesReview {
    /// As a versioned document.
    pub fn to_document(&self) -> Document<&RulesReview> {
        document("RulesReview", self)
    }
}

/// What was loaded and built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Load counts.
    pub load: LoadSummary,
    /// Graph counts.
    pub graph: GraphStats,
    /// Every diagnostic.
    pub diagnostics: Vec<Diagnostic>,
}

impl RbacGraph {
    /// Load and graph counts plus diagnostics.
    pub fn summary(&self) -> Summary {
        Summary {
            load: self.summary.clone(),
            graph: self.stats(),
            diagnostics: self.diagnostics.clone(),
        }
    }
}

/// Aligns rows into columns separated by two spaces (no colour, no
/// trailing spaces). Shared by the CLI's table output.
pub fn align(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, &w)) in row.iter().zip(&widths).enumerate() {
            if i + 1 < row.len() {
                line.push_str(&format!("{cell:<w$}  "));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

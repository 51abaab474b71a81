//! SARIF 2.1.0 output of an audit, for code-scanning services in CI: one
//! rule per control, one result per fix (its first control is the rule),
//! located at the manifest file and line of the first object it changes,
//! the others as related locations. Suppressed findings are results with an
//! external suppression and its justification.
//!
//! See: OASIS SARIF 2.1.0, §3.13 (sarifLog), §3.14 (run), §3.27 (result),
//! §3.33 (physicalLocation), §3.35 (suppression); `tests/audit.rs` validates
//! the output against the published JSON schema.

use serde::Serialize;

use super::controls::{CONTROLS, Control};
use super::{AuditReport, Finding, Fix, Severity};
use crate::query::ObjectRef;

/// The schema URI written into the log.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log (`sarifLog`); `P` is the tool's own properties of a result
/// (the audit's [`Properties`], the check's own).
#[derive(Clone, Debug, Serialize)]
pub struct SarifLog<P = Properties> {
    /// The schema.
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// `2.1.0`.
    pub version: &'static str,
    /// One run.
    pub runs: Vec<Run<P>>,
}

impl<P> SarifLog<P> {
    /// A log of one run of rbacgraph with these rules and results.
    pub fn new(rules: Vec<Rule>, results: Vec<SarifResult<P>>) -> Self {
        SarifLog {
            schema: SARIF_SCHEMA,
            version: "2.1.0",
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: "rbacgraph",
                        version: env!("CARGO_PKG_VERSION"),
                        rules,
                    },
                },
                results,
            }],
        }
    }
}

/// A run of the tool.
#[derive(Clone, Debug, Serialize)]
pub struct Run<P = Properties> {
    /// The tool.
    pub tool: Tool,
    /// Results.
    pub results: Vec<SarifResult<P>>,
}

/// The tool.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// Its driver.
    pub driver: Driver,
}

/// The tool's driver component.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// `rbacgraph`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// One rule per control.
    pub rules: Vec<Rule>,
}

/// A plain-text message.
#[derive(Clone, Debug, Serialize)]
pub struct Text {
    /// The text.
    pub text: String,
}

/// A rule (`reportingDescriptor`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The control id (the check: the policy and assertion).
    pub id: String,
    /// The title.
    pub short_description: Text,
    /// How it is decided.
    pub full_description: Text,
    /// The remediation.
    pub help: Text,
}

/// A result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult<P = Properties> {
    /// The control id.
    pub rule_id: String,
    /// Index of the rule in the driver's rules.
    pub rule_index: usize,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// What to change, why, and what it cuts.
    pub message: Text,
    /// Where the first object to change was read from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Where the other objects to change were read from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
    /// For suppressed findings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    /// Compared with a baseline (`check --against`): `new` or `unchanged`,
    /// and `absent` for what the change removes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<&'static str>,
    /// `rbacgraph/fix/v1`: the fix's id, stable across runs on the same
    /// input, so that code-scanning services follow a fix from run to run.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub partial_fingerprints: std::collections::BTreeMap<&'static str, String>,
    /// rbacgraph's own fields.
    pub properties: P,
}

/// rbacgraph's own fields on a result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties {
    /// The severity (`critical` … `info`).
    pub severity: Severity,
    /// The fix's id (absent for a suppressed finding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The controls it addresses.
    pub controls: Vec<String>,
    /// How many principals it affects.
    pub principals: usize,
    /// How many principals lose every path to cluster-admin, and to a node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<[usize; 2]>,
    /// The objects, as `Kind ns/name`.
    pub objects: Vec<String>,
}

/// A location.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Its id among the result's related locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    /// The file and line.
    pub physical_location: PhysicalLocation,
    /// The object, in words.
    pub message: Text,
}

/// A file and a region in it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// A file.
#[derive(Clone, Debug, Serialize)]
pub struct ArtifactLocation {
    /// A URI reference (the path as given, percent-encoded).
    pub uri: String,
}

/// A region.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// One-based line where the object's document starts.
    pub start_line: usize,
}

/// A suppression.
#[derive(Clone, Debug, Serialize)]
pub struct Suppression {
    /// `external`: from an ignore file.
    pub kind: &'static str,
    /// The reason.
    pub justification: String,
}

/// The SARIF level of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A path as a URI reference: `\` as `/`, and every byte outside RFC 3986's
/// unreserved and path characters percent-encoded.
pub fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where an object was read from, if from a file.
pub(crate) fn location(o: &ObjectRef, id: Option<usize>) -> Option<Location> {
    let source = o.source.as_ref()?;
    if &*source.file == "-" {
        return None;
    }
    Some(Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: path_uri(&source.file),
            },
            region: source
                .line
                .filter(|l| *l > 0)
                .map(|start_line| Region { start_line }),
        },
        message: Text {
            text: o.to_string(),
        },
    })
}

fn rule_index(rules: &[Control], id: &str) -> usize {
    rules.iter().position(|c| c.id == id).unwrap_or_default()
}

fn fix_result(rules: &[Control], report: &AuditReport, fix: &Fix) -> SarifResult {
    let rule_id = fix.controls.first().cloned().unwrap_or_default();
    let mut text = format!(
        "{} [{}; {}]: {}",
        fix.title, fix.severity, fix.id, fix.description
    );
    if let Some(i) = &fix.impact {
        text.push_str(&format!(
            " Applying it removes every path to cluster-admin of {} principal(s) and to a node of {}.",
            i.cluster_admin, i.nodes
        ));
    }
    if let Some((p, steps)) = fix.evidence.path.and_then(|i| report.path(i)) {
        let chain: Vec<String> = steps
            .iter()
            .map(|s| format!("{} → {}", s.technique, s.to))
            .collect();
        text.push_str(&format!(
            " A path it cuts: {} → {}.",
            p.source,
            chain.join(" → ")
        ));
    }
    let mut located = fix.objects.iter().filter_map(|o| location(o, None));
    let locations: Vec<Location> = located.next().into_iter().collect();
    let related_locations: Vec<Location> = located
        .enumerate()
        .map(|(i, mut l)| {
            l.id = Some(i + 1);
            l
        })
        .collect();
    SarifResult {
        rule_index: rule_index(rules, &rule_id),
        rule_id,
        level: level(fix.severity),
        message: Text { text },
        locations,
        related_locations,
        suppressions: Vec::new(),
        baseline_state: None,
        partial_fingerprints: std::collections::BTreeMap::from([(
            "rbacgraph/fix/v1",
            fix.id.clone(),
        )]),
        properties: Properties {
            severity: fix.severity,
            fix: Some(fix.id.clone()),
            controls: fix.controls.clone(),
            principals: fix.principals.count,
            impact: fix.impact.as_ref().map(|i| [i.cluster_admin, i.nodes]),
            objects: fix.objects.iter().map(ToString::to_string).collect(),
        },
    }
}

fn suppressed_result(rules: &[Control], finding: &Finding, reason: &str) -> SarifResult {
    SarifResult {
        rule_id: finding.control.clone(),
        rule_index: rule_index(rules, &finding.control),
        level: level(finding.severity),
        message: Text {
            text: format!("{} [{}]", finding.message, finding.severity),
        },
        locations: finding
            .object
            .iter()
            .filter_map(|o| location(o, None))
            .collect(),
        related_locations: Vec::new(),
        suppressions: vec![Suppression {
            kind: "external",
            justification: reason.to_string(),
        }],
        baseline_state: None,
        partial_fingerprints: std::collections::BTreeMap::new(),
        properties: Properties {
            severity: finding.severity,
            fix: None,
            controls: vec![finding.control.clone()],
            principals: usize::from(finding.subject.is_some()),
            impact: None,
            objects: finding.object.iter().map(ToString::to_string).collect(),
        },
    }
}

impl AuditReport {
    /// The report as a SARIF 2.1.0 log: one result per fix (platform-managed
    /// ones too), one per suppressed finding.
    pub fn to_sarif(&self) -> SarifLog {
        let rules: Vec<Rule> = CONTROLS
            .iter()
            .map(|c| Rule {
                id: c.id.to_string(),
                short_description: Text {
                    text: c.title.to_string(),
                },
                full_description: Text {
                    text: c.decided.to_string(),
                },
                help: Text {
                    text: c.remediation.to_string(),
                },
            })
            .collect();
        let mut results: Vec<SarifResult> = self
            .fixes
            .iter()
            .chain(&self.platform_managed)
            .map(|f| fix_result(CONTROLS, self, f))
            .collect();
        results.extend(
            self.suppressed
                .iter()
                .map(|s| suppressed_result(CONTROLS, &s.finding, &s.reason)),
        );
        SarifLog::new(rules, results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            path_uri("examples/demo/a b.yaml"),
            "examples/demo/a%20b.yaml"
        );
        assert_eq!(path_uri(r"c:\x\y.yaml"), "c:/x/y.yaml");
        assert_eq!(path_uri("é"), "%C3%A9");
    }
}

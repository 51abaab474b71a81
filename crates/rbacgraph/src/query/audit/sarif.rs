//! SARIF 2.1.0 output of an audit, for code-scanning services in CI: one
//! rule per control, one result per finding, located at the manifest file
//! and line of each object that came from a file. Suppressed findings are
//! results with an external suppression and its justification.
//!
//! See: OASIS SARIF 2.1.0, §3.13 (sarifLog), §3.14 (run), §3.27 (result),
//! §3.33 (physicalLocation), §3.35 (suppression); `tests/audit.rs` validates
//! the output against the published JSON schema.

use serde::Serialize;

use super::controls::{CONTROLS, Control};
use super::{AuditReport, Finding, Severity};

/// The schema URI written into the log.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log (`sarifLog`).
#[derive(Clone, Debug, Serialize)]
pub struct SarifLog {
    /// The schema.
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// `2.1.0`.
    pub version: &'static str,
    /// One run.
    pub runs: Vec<Run>,
}

/// A run of the tool.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// The tool.
    pub tool: Tool,
    /// Results.
    pub results: Vec<SarifResult>,
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
    /// The control id.
    pub id: &'static str,
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
pub struct SarifResult {
    /// The control id.
    pub rule_id: String,
    /// Index of the rule in the driver's rules.
    pub rule_index: usize,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// The finding's message and remediation.
    pub message: Text,
    /// Where the objects were read from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// For suppressed findings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    /// rbacgraph's severity and the subjects.
    pub properties: Properties,
}

/// rbacgraph's own fields on a result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties {
    /// The severity (`critical` … `info`).
    pub severity: Severity,
    /// The subjects, as `Kind ns/name`.
    pub subjects: Vec<String>,
    /// The objects, as `Kind ns/name`.
    pub objects: Vec<String>,
}

/// A location.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
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

fn result(rules: &[Control], finding: &Finding, suppression: Option<&str>) -> SarifResult {
    let rule_index = rules
        .iter()
        .position(|c| c.id == finding.id)
        .unwrap_or_default();
    let mut text = format!("{} [{}]", finding.message, finding.severity);
    if let Some(p) = &finding.path_to_cluster_admin {
        let chain: Vec<String> = p
            .steps
            .iter()
            .map(|s| format!("{} → {}", s.technique, s.to))
            .collect();
        text.push_str(&format!(
            ". Reaches cluster-admin: {} → {}",
            p.source,
            chain.join(" → ")
        ));
    }
    text.push_str(&format!(". Fix: {}", finding.remediation));
    let locations = finding
        .located_objects()
        .filter_map(|o| {
            let source = o.source.as_ref()?;
            if &*source.file == "-" {
                return None;
            }
            Some(Location {
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
        })
        .collect();
    SarifResult {
        rule_id: finding.id.clone(),
        rule_index,
        level: level(finding.severity),
        message: Text { text },
        locations,
        suppressions: suppression
            .map(|reason| Suppression {
                kind: "external",
                justification: reason.to_string(),
            })
            .into_iter()
            .collect(),
        properties: Properties {
            severity: finding.severity,
            subjects: finding.subjects.iter().map(ToString::to_string).collect(),
            objects: finding.objects.iter().map(ToString::to_string).collect(),
        },
    }
}

impl AuditReport {
    /// The report as a SARIF 2.1.0 log.
    pub fn to_sarif(&self) -> SarifLog {
        let rules: Vec<Rule> = CONTROLS
            .iter()
            .map(|c| Rule {
                id: c.id,
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
            .findings
            .iter()
            .map(|f| result(CONTROLS, f, None))
            .collect();
        results.extend(
            self.suppressed
                .iter()
                .map(|s| result(CONTROLS, &s.finding, Some(&s.reason))),
        );
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

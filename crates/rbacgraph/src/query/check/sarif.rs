//! SARIF 2.1.0 output of a check: one rule per assertion (id
//! `POLICY/ASSERTION`), one result per violation, located at the binding or
//! role that causes it (the other causes as related locations). With
//! `--against`, every result has its `baselineState` (`new`, `unchanged`)
//! and what the change removes is listed as `absent`. The log types are the
//! audit's ([`crate::query::audit::sarif`]).

use serde::Serialize;

use super::{AssertionResult, CheckReport, Violation};
use crate::query::audit::sarif::{Location, Rule, SarifLog, SarifResult, Text, location};

/// rbacgraph's own fields on a check result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckProperties {
    /// The policy.
    pub policy: String,
    /// The assertion.
    pub assertion: String,
    /// What the violation is about (`--against` compares by it).
    pub key: String,
}

fn rule_id(r: &AssertionResult) -> String {
    format!("{}/{}", r.policy, r.name)
}

fn result(
    index: usize,
    r: &AssertionResult,
    v: &Violation,
    baseline: Option<&'static str>,
) -> SarifResult<CheckProperties> {
    let mut located = v.causes().into_iter().filter_map(|o| location(o, None));
    let locations: Vec<Location> = located.next().into_iter().collect();
    let related_locations = located
        .enumerate()
        .map(|(i, mut l)| {
            l.id = Some(i + 1);
            l
        })
        .collect();
    SarifResult {
        rule_id: rule_id(r),
        rule_index: index,
        level: if baseline == Some("absent") {
            "note"
        } else {
            "error"
        },
        message: Text {
            text: format!("{}: {}", r.name, v.message),
        },
        locations,
        related_locations,
        suppressions: Vec::new(),
        baseline_state: baseline,
        partial_fingerprints: std::collections::BTreeMap::from([(
            "rbacgraph/check/v1",
            format!("{}/{}", rule_id(r), v.key),
        )]),
        properties: CheckProperties {
            policy: r.policy.clone(),
            assertion: r.name.clone(),
            key: v.key.clone(),
        },
    }
}

impl CheckReport {
    /// The report as a SARIF 2.1.0 log.
    pub fn to_sarif(&self) -> SarifLog<CheckProperties> {
        let rules = self
            .results
            .iter()
            .map(|r| Rule {
                id: rule_id(r),
                short_description: Text {
                    text: r.name.clone(),
                },
                full_description: Text {
                    text: format!(
                        "A `{}` assertion of policy {} ({}, {}).",
                        r.kind.as_str(),
                        r.policy,
                        r.source,
                        r.field
                    ),
                },
                help: Text {
                    text: "Change the objects the result points at until the assertion holds, or change the policy if the access is intended.".into(),
                },
            })
            .collect();
        let mut results = Vec::new();
        for (i, r) in self.results.iter().enumerate() {
            for v in &r.violations {
                let baseline = v
                    .introduced
                    .map(|new| if new { "new" } else { "unchanged" });
                results.push(result(i, r, v, baseline));
            }
            for v in r.resolved.iter().flatten() {
                results.push(result(i, r, v, Some("absent")));
            }
        }
        SarifLog::new(rules, results)
    }
}

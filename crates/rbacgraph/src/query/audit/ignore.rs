//! Suppressions for accepted risks: a YAML list of rules, each a control id
//! (or a fix id) and optionally a subject and an object glob, with the
//! reason.
//!
//! ```yaml
//! ignore:
//! - id: CIS-5.1.2                       # a glob too: CIS-5.1.*
//!   subject: ServiceAccount monitoring/*  # `Kind ns/name`, `Kind name`, a user name or a bare name
//!   object: ClusterRoleBinding prometheus*
//!   reason: Prometheus reads the scrape credentials it is given
//! ```
//!
//! A rule matches a finding when its id glob matches the finding's control
//! and, when given, the subject glob matches one of the finding's subjects
//! and the object glob one of its objects (for a who-can finding: the
//! binding or the role that grants it). Globs are globset's (`*`, `?`,
//! `[...]`, `{a,b}`); `*` also matches `/`.

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::query::{ObjectRef, SubjectRef};

/// One suppression rule, as written.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IgnoreRule {
    /// Finding id glob.
    pub id: String,
    /// Subject glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Object glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Why the risk is accepted (required).
    pub reason: String,
}

#[derive(Clone, Debug)]
struct Compiled {
    rule: IgnoreRule,
    id: GlobMatcher,
    subject: Option<GlobMatcher>,
    object: Option<GlobMatcher>,
}

/// Parsed suppression rules.
#[derive(Clone, Debug, Default)]
pub struct IgnoreRules {
    rules: Vec<Compiled>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum File {
    Wrapped { ignore: Vec<IgnoreRule> },
    List(Vec<IgnoreRule>),
}

fn glob(index: usize, field: &str, pattern: &str) -> Result<GlobMatcher, Error> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| Error::Invalid {
            what: "ignore rule",
            value: format!("ignore[{index}].{field}: {pattern}"),
            reason: e.kind().to_string(),
        })
}

impl IgnoreRules {
    /// Rules from YAML: `ignore: [...]` or the list alone.
    ///
    /// # Errors
    /// YAML that is not such a list, a rule without a reason, or a bad glob.
    ///
    /// ```
    /// use rbacgraph::query::audit::IgnoreRules;
    /// let rules = IgnoreRules::from_yaml("ignore: [{id: 'CIS-5.1.*', reason: accepted}]").unwrap();
    /// assert_eq!(rules.rules().count(), 1);
    /// assert!(IgnoreRules::from_yaml("ignore: [{id: CIS-5.1.2}]").is_err());
    /// ```
    pub fn from_yaml(text: &str) -> Result<IgnoreRules, Error> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| Error::Invalid {
            what: "ignore file",
            value: String::new(),
            reason: e.to_string(),
        })?;
        let rules = match file {
            File::Wrapped { ignore } => ignore,
            File::List(list) => list,
        };
        IgnoreRules::new(rules)
    }

    /// Compiles rules.
    ///
    /// # Errors
    /// A rule without a reason, or a bad glob.
    pub fn new(rules: Vec<IgnoreRule>) -> Result<IgnoreRules, Error> {
        let mut out = Vec::with_capacity(rules.len());
        for (i, rule) in rules.into_iter().enumerate() {
            if rule.reason.trim().is_empty() {
                return Err(Error::Invalid {
                    what: "ignore rule",
                    value: format!("ignore[{i}] ({})", rule.id),
                    reason: "needs a `reason`".into(),
                });
            }
            out.push(Compiled {
                id: glob(i, "id", &rule.id)?,
                subject: rule
                    .subject
                    .as_deref()
                    .map(|p| glob(i, "subject", p))
                    .transpose()?,
                object: rule
                    .object
                    .as_deref()
                    .map(|p| glob(i, "object", p))
                    .transpose()?,
                rule,
            });
        }
        Ok(IgnoreRules { rules: out })
    }

    /// The rules, as written.
    pub fn rules(&self) -> impl Iterator<Item = &IgnoreRule> {
        self.rules.iter().map(|c| &c.rule)
    }

    /// The first rule that matches a finding — one of its ids (the
    /// control), one of its subjects and one of its objects — with its
    /// index.
    pub fn matching(
        &self,
        ids: &[&str],
        subjects: &[SubjectRef],
        objects: &[ObjectRef],
    ) -> Option<(usize, &IgnoreRule)> {
        self.rules.iter().enumerate().find_map(|(i, c)| {
            let hit = ids.iter().any(|id| c.id.is_match(id))
                && c.subject
                    .as_ref()
                    .is_none_or(|g| subjects.iter().any(|s| subject_matches(g, s)))
                && c.object
                    .as_ref()
                    .is_none_or(|g| objects.iter().any(|o| object_matches(g, o)));
            hit.then_some((i, &c.rule))
        })
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn subject_matches(glob: &GlobMatcher, s: &SubjectRef) -> bool {
    let user = match &s.namespace {
        Some(ns) if s.kind == "ServiceAccount" => {
            crate::request::service_account_username(ns, &s.name)
        }
        _ => s.name.clone(),
    };
    glob.is_match(s.to_string()) || glob.is_match(&user) || glob.is_match(&s.name)
}

fn object_matches(glob: &GlobMatcher, o: &ObjectRef) -> bool {
    glob.is_match(o.to_string()) || glob.is_match(&o.name)
}

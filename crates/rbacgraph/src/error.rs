//! Errors and diagnostics.
//!
//! Only malformed input (or a query that cannot be understood) is an
//! [`Error`]; everything else is an answer. Problems found while loading are
//! [`Diagnostic`]s that name the file, document, object and field, and never
//! stop the good documents from loading (unless strict mode asks for that).

use std::fmt;

use serde::Serialize;

use crate::model::Source;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Something worth knowing; the object was kept.
    Warning,
    /// The document or object could not be used and was left out.
    Error,
}

/// A problem with the input, located as precisely as the loader knows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// Warning (kept) or error (left out).
    pub severity: Severity,
    /// File, document and line.
    pub source: Source,
    /// `Kind namespace/name` of the object, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The field path, e.g. `roleRef.kind` or `rules[2].verbs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, in lower case, no trailing period.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{level}: {}", self.source)?;
        if let Some(object) = &self.object {
            write!(f, ": {object}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Errors: malformed input in strict mode, unreadable files, and queries
/// that cannot be understood.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Strict mode and the input had errors.
    #[error("{} problem(s) in the input (strict mode); first: {}", .0.len(), first(.0))]
    Strict(Vec<Diagnostic>),
    /// A file or directory could not be read.
    #[error("cannot read `{path}`: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// A resource type name that is neither built in nor a loaded CRD.
    #[error("unknown resource type `{name}`{}", suggestion_text(.suggestions))]
    UnknownResource {
        /// What was asked for.
        name: String,
        /// Close matches, as `TYPE.GROUP`.
        suggestions: Vec<String>,
    },
    /// A check policy that cannot be used: every problem found, each naming
    /// the policy file, document, assertion and field.
    #[error("{} problem(s) in the policy; first: {}", .0.len(), first(.0))]
    Policy(Vec<Diagnostic>),
    /// A target or argument that does not parse.
    #[error("invalid {what} `{value}`: {reason}")]
    Invalid {
        /// What was being parsed (`target`, `verb`, …).
        what: &'static str,
        /// The input.
        value: String,
        /// Why it is wrong.
        reason: String,
    },
}

/// A parser's message without any value of the input: serde quotes the
/// offending string (`invalid type: string "…", expected a mapping`), which
/// could be a Secret's data, an environment variable or a token, so every
/// quoted string becomes `a string`; and `expected struct RawUser` (a Rust
/// type) becomes `expected a mapping`. Every diagnostic of the loader and
/// the audit-log reader goes through this.
pub(crate) fn redact(message: &str) -> String {
    const QUOTED: &str = "string \"";
    const STRUCT: &str = "expected struct ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(QUOTED) {
        let (before, tail) = rest.split_at_checked(start).unwrap_or((rest, ""));
        out.push_str(before);
        out.push_str("a string");
        let inside = tail.get(QUOTED.len()..).unwrap_or_default();
        // The value is Debug-escaped: it ends at the first unescaped quote.
        let mut escaped = false;
        let mut end = inside.len();
        for (i, c) in inside.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = inside.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    while let Some(start) = out.find(STRUCT) {
        let name_start = start + STRUCT.len();
        let name_len = out
            .get(name_start..)
            .unwrap_or_default()
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(out.len() - name_start);
        out.replace_range(start..name_start + name_len, "expected a mapping");
    }
    out
}

fn first(problems: &[Diagnostic]) -> String {
    problems
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        "; name it as TYPE.GROUP (for example `widgets.example.com`) to query a resource \
         that is not loaded"
            .to_string()
    } else {
        format!(
            "; did you mean {}?",
            suggestions
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_removes_quoted_values_and_type_names() {
        assert_eq!(
            redact(r#"invalid type: string "hunter2 \"x\" y", expected a mapping"#),
            "invalid type: a string, expected a mapping"
        );
        assert_eq!(
            redact(r#"invalid type: string "a", expected struct RawUser"#),
            "invalid type: a string, expected a mapping"
        );
        assert_eq!(redact(r#"string "unterminated"#), "a string");
        assert_eq!(redact("unclosed bracket '['"), "unclosed bracket '['");
    }
}

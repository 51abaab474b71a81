//! Errors as data: every failure crosses into JavaScript as a tagged object
//! (`{kind, message, ...}`), never as a bare string or a thrown exception.

use rbacgraph::{Diagnostic, Error};
use serde::Serialize;

/// A failure, as JavaScript sees it (`RbacError` in the TypeScript
/// declarations). `kind` tells the variants apart; `message` is always a
/// sentence for people; `field` names the query field at fault when one is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ApiError {
    /// Strict mode and the input had error diagnostics (each with its file,
    /// document, object and field).
    #[serde(rename_all = "camelCase")]
    Strict {
        /// Summary sentence.
        message: String,
        /// The first diagnostic's file.
        file: String,
        /// The first diagnostic's document index.
        document: usize,
        /// The first diagnostic's field, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// Every error diagnostic.
        diagnostics: Vec<Diagnostic>,
    },
    /// A check policy that cannot be used: every problem, each with its
    /// policy file, document, object (`Policy NAME`) and field
    /// (`assertions[0].whoCan.resource`).
    #[serde(rename_all = "camelCase")]
    Policy {
        /// Summary sentence.
        message: String,
        /// The first problem's file.
        file: String,
        /// The first problem's document index.
        document: usize,
        /// The first problem's field, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// Every problem.
        diagnostics: Vec<Diagnostic>,
    },
    /// A resource type name that is neither built in nor a loaded CRD.
    #[serde(rename_all = "camelCase")]
    UnknownResource {
        /// Sentence, with suggestions.
        message: String,
        /// Always `resource`.
        field: String,
        /// What was asked for.
        name: String,
        /// Close matches, as `TYPE.GROUP`.
        suggestions: Vec<String>,
    },
    /// A query value that does not parse (an empty verb, a malformed
    /// target, an unknown graph node, …).
    #[serde(rename_all = "camelCase")]
    Invalid {
        /// Sentence.
        message: String,
        /// The query field at fault.
        field: String,
        /// The value given.
        value: String,
        /// Why it is wrong.
        reason: String,
    },
    /// The query object itself has the wrong shape (a missing field, a
    /// number where a string belongs, an unknown field).
    #[serde(rename_all = "camelCase")]
    Query {
        /// Sentence.
        message: String,
        /// Path of the field at fault, e.g. `groups[1]`, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// Anything else the engine reports.
    #[serde(rename_all = "camelCase")]
    Other {
        /// Sentence.
        message: String,
    },
}

/// The query field a core error's `what` refers to.
fn field_of(what: &str) -> &str {
    match what {
        "target" => "resource",
        other => other.trim_start_matches('-'),
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Strict(diagnostics) => {
                let first = diagnostics.first();
                ApiError::Strict {
                    file: first.map(|d| d.source.file.to_string()).unwrap_or_default(),
                    document: first.map_or(0, |d| d.source.document),
                    field: first.and_then(|d| d.field.clone()),
                    diagnostics,
                    message,
                }
            }
            Error::Policy(diagnostics) => {
                let first = diagnostics.first();
                ApiError::Policy {
                    file: first.map(|d| d.source.file.to_string()).unwrap_or_default(),
                    document: first.map_or(0, |d| d.source.document),
                    field: first.and_then(|d| d.field.clone()),
                    diagnostics,
                    message,
                }
            }
            Error::UnknownResource { name, suggestions } => ApiError::UnknownResource {
                message,
                field: "resource".into(),
                name,
                suggestions,
            },
            Error::Invalid {
                what,
                value,
                reason,
            } => ApiError::Invalid {
                message,
                field: field_of(what).to_string(),
                value,
                reason,
            },
            _ => ApiError::Other { message },
        }
    }
}

impl ApiError {
    /// A bad value in a query field.
    pub fn invalid(field: &str, value: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        ApiError::Invalid {
            message: format!("invalid {field} `{value}`: {reason}"),
            field: field.to_string(),
            value: value.to_string(),
            reason,
        }
    }

    /// The same error blamed on another query field.
    pub fn on_field(self, name: &str) -> Self {
        match self {
            ApiError::Invalid {
                message,
                value,
                reason,
                ..
            } => ApiError::Invalid {
                message,
                field: name.to_string(),
                value,
                reason,
            },
            other => other,
        }
    }
}

/// A shape error from deserializing a query, with the path of the field.
impl<E: std::fmt::Display> From<serde_path_to_error::Error<E>> for ApiError {
    fn from(e: serde_path_to_error::Error<E>) -> Self {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        let inner = e.inner().to_string();
        let message = match &field {
            Some(f) => format!("invalid query: field `{f}`: {inner}"),
            None => format!("invalid query: {inner}"),
        };
        ApiError::Query { message, field }
    }
}

#![doc = include_str!("../../../README.md")]
#![forbid(unsafe_code)]
// No `[]` indexing or slicing outside tests: `.get()`, iterators and
// `split_at_checked` instead, so no input can make the library panic.
#![deny(clippy::indexing_slicing)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod aggregation;
pub mod auditlog;
pub mod discovery;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
mod index;
pub mod load;
pub mod matching;
pub mod model;
mod parallel;
pub mod query;
pub mod render;
pub mod request;
pub mod target;

pub use error::{Diagnostic, Error, Result, Severity};
pub use graph::{BindingId, GraphBuilder, RbacGraph, RoleId, SubjectKey};
pub use model::{Binding, Object, PolicyRule, Role, Source, Subject};
pub use query::audit::{Audit, AuditReport, Finding};
pub use query::authorize::{Decision, NearMiss, Reason};
pub use query::escalation::{WriteCheck, WriteOp, covers};
pub use query::paths::{AttackGraph, AttackPath, Target, Technique};
pub use query::rules_for::RulesFor;
pub use query::who_can::{WhoCan, WhoCanQuery};
pub use query::{ObjectRef, SubjectRef};
pub use request::{Identity, Request};

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

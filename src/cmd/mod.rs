//! One module per subcommand.

pub mod audit;
pub mod can_i;
pub mod check;
pub mod diff;
pub mod export;
pub mod generate;
pub mod paths;
pub mod summary;
pub mod usage;
pub mod who_can;

use rbacgraph::ObjectRef;

/// `Kind ns/name`.
pub fn short(r: &ObjectRef) -> String {
    r.to_string()
}

/// `[a b c]` as kubectl prints lists.
pub fn bracket(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

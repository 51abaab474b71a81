//! Reading the `-f` inputs into a graph and reporting load problems.

use std::io::Write;

use rbacgraph::{RbacGraph, Severity};

use crate::AppError;
use crate::cli::GlobalArgs;
use crate::output::{YELLOW, paint};

/// Loads every `-f` path. Error diagnostics go to stderr (one line each),
/// warnings as a count, unless `quiet` (the summary prints them itself).
pub fn load(global: &GlobalArgs, quiet: bool) -> Result<RbacGraph, AppError> {
    if global.files.is_empty() {
        return Err(AppError::Usage(
            "no input: give -f PATH (a file, a directory, or - for standard input)".into(),
        ));
    }
    let mut builder = RbacGraph::builder()
        .default_namespace(&global.default_namespace)
        .strict(global.strict);
    for path in &global.files {
        builder = builder.load_path(path);
    }
    let graph = builder.build()?;
    if !quiet {
        let mut err = anstream::stderr().lock();
        let mut warnings = 0;
        for d in graph.diagnostics() {
            match d.severity {
                Severity::Error => {
                    let _ = writeln!(err, "{}", paint(YELLOW, &d.to_string()));
                }
                Severity::Warning => warnings += 1,
            }
        }
        if warnings > 0 {
            let _ = writeln!(
                err,
                "{}",
                paint(
                    YELLOW,
                    &format!(
                        "rbacgraph: {warnings} warning(s) in the input; `rbacgraph summary` lists them"
                    )
                )
            );
        }
    }
    Ok(graph)
}

//! `rbacgraph summary`: what was loaded and every problem found.

use std::process::ExitCode;

use rbacgraph::Severity;
use rbacgraph::render::document;

use crate::AppError;
use crate::cli::{Format, GlobalArgs};
use crate::output::{self, BOLD, RED, YELLOW, paint};

pub fn run(global: &GlobalArgs) -> Result<ExitCode, AppError> {
    let graph = crate::input::load(global, true)?;
    let summary = graph.summary();
    if global.output != Format::Table {
        output::document(global.output, &document("Summary", &summary))?;
        return Ok(ExitCode::SUCCESS);
    }
    let load = &summary.load;
    let g = &summary.graph;
    let mut text = String::new();
    let counts = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    text.push_str(&format!(
        "{} {} objects from {} file(s), {} document(s)\n",
        paint(BOLD, "Loaded"),
        load.loaded_total(),
        load.files,
        load.documents
    ));
    if !load.loaded.is_empty() {
        text.push_str(&format!("  {}\n", counts(&load.loaded)));
    }
    if !load.skipped.is_empty() {
        text.push_str(&format!(
            "{} {} objects of kinds rbacgraph does not use: {}\n",
            paint(BOLD, "Skipped"),
            load.skipped_total(),
            counts(&load.skipped)
        ));
    }
    if load.failed > 0 {
        text.push_str(&format!(
            "{} {} document(s) or object(s) could not be used (see below)\n",
            paint(RED, "Failed"),
            load.failed
        ));
    }
    // Every object read is loaded, skipped or failed (a document that does
    // not parse counts as one failed object): say that the numbers add up.
    text.push_str(&format!(
        "{} {} object(s) read = {} loaded + {} skipped + {} failed\n",
        paint(BOLD, "Accounted"),
        load.loaded_total() + load.skipped_total() + load.failed,
        load.loaded_total(),
        load.skipped_total(),
        load.failed
    ));
    if load.unlisted > 0 {
        text.push_str(&format!(
            "{} {} problem(s) beyond the first {} are counted but not listed\n",
            paint(RED, "Unlisted"),
            load.unlisted,
            rbacgraph::load::MAX_DIAGNOSTICS
        ));
    }
    if !load.deprecated.is_empty() {
        text.push_str(&format!(
            "{} {}\n",
            paint(BOLD, "Deprecated apiVersions:"),
            counts(&load.deprecated)
        ));
    }
    text.push_str(&format!(
        "{} {} Roles, {} ClusterRoles ({} aggregated), {} RoleBindings, {} ClusterRoleBindings; {} binding(s) reference a role that does not exist\n",
        paint(BOLD, "RBAC"),
        g.roles, g.cluster_roles, g.aggregated_cluster_roles, g.role_bindings, g.cluster_role_bindings, g.dangling_bindings
    ));
    text.push_str(&format!(
        "{} {} subjects, {} ServiceAccounts, {} workloads, {} namespaces; {} nodes and {} edges\n",
        paint(BOLD, "Graph"),
        g.subjects,
        g.service_accounts,
        g.workloads,
        g.namespaces,
        g.nodes,
        g.edges
    ));
    let (errors, warnings): (Vec<_>, Vec<_>) = summary
        .diagnostics
        .iter()
        .partition(|d| d.severity == Severity::Error);
    if !summary.diagnostics.is_empty() {
        text.push_str(&format!(
            "{} {} error(s), {} warning(s)\n",
            paint(BOLD, "Problems"),
            errors.len(),
            warnings.len()
        ));
        for d in errors.iter().chain(warnings.iter()) {
            let style = if d.severity == Severity::Error {
                RED
            } else {
                YELLOW
            };
            text.push_str(&format!("  {}\n", paint(style, &d.to_string())));
        }
    }
    output::write_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

//! `rbacgraph export`: the permission graph (or a neighbourhood of it) as
//! Graphviz DOT or JSON/YAML.

use std::process::ExitCode;

use rbacgraph::query::paths::AttackGraph;
use rbacgraph::query::paths::export::ExportGraph;

use crate::AppError;
use crate::cli::{ExportArgs, Format, GlobalArgs};
use crate::output;
use crate::timings;

pub fn run(global: &GlobalArgs, args: &ExportArgs) -> Result<ExitCode, AppError> {
    if global.output == Format::Table {
        return Err(AppError::Usage(
            "export prints a graph: use -o dot (Graphviz) or -o json".into(),
        ));
    }
    let graph = crate::input::load(global, true)?;
    let attack = timings::time("attack graph", || {
        AttackGraph::builder(&graph)
            .options(args.model.options())
            .build()
    });
    let mut export = timings::time("query", || ExportGraph::new(&attack));
    if let Some(around) = &args.around {
        export = timings::time("query", || export.around(around, args.depth))?;
    }
    match global.output {
        Format::Dot => output::write_out(&timings::time("render", || export.to_dot()))?,
        format => output::document(format, &export.to_document())?,
    }
    Ok(ExitCode::SUCCESS)
}

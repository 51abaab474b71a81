//! Reading the `-f` inputs into a graph and reporting load problems.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rbacgraph::load::{manifest_files, read_input};
use rbacgraph::{RbacGraph, Severity};

use crate::AppError;
use crate::cli::GlobalArgs;
use crate::output::{YELLOW, paint};
use crate::timings;

/// Loads every `-f` path (timing read, parse and build). Error diagnostics
/// go to stderr (one line each), warnings as a count, unless `quiet` (the
/// summary prints them itself). A progress bar appears on stderr when the
/// load takes over a second and stderr is a terminal.
pub fn load(global: &GlobalArgs, quiet: bool) -> Result<RbacGraph, AppError> {
    load_from(global, &global.files, quiet)
}

/// Loads `paths` (instead of the `-f` ones) as [`load`] does.
pub fn load_from(
    global: &GlobalArgs,
    paths: &[std::path::PathBuf],
    quiet: bool,
) -> Result<RbacGraph, AppError> {
    if paths.is_empty() {
        return Err(AppError::Usage(
            "no input: give -f PATH (a file, a directory, or - for standard input)".into(),
        ));
    }
    let mut files = Vec::new();
    for path in paths {
        files.extend(timings::time("read", || manifest_files(path))?);
    }
    let progress = Progress::new(files.len());
    let mut builder = RbacGraph::builder()
        .default_namespace(&global.default_namespace)
        .strict(global.strict);
    for file in &files {
        let bytes = timings::time("read", || read_input(file))?;
        let label = file.display().to_string();
        progress.working_on(&label, bytes.len());
        builder = timings::time("parse", || builder.load_bytes(&label, &bytes));
        progress.done_one();
    }
    progress.working_on("building the graph", 0);
    let graph = timings::time("build", || builder.build());
    progress.finish();
    let graph = graph?;
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

/// A progress bar that stays hidden for the first second and whenever
/// stderr is not a terminal.
struct Progress {
    bar: ProgressBar,
    start: Instant,
    enabled: bool,
}

impl Progress {
    fn new(files: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{elapsed}] {pos}/{len} files {wide_msg}")
        {
            bar.set_style(style);
        }
        Progress {
            bar,
            start: Instant::now(),
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn reveal_if_slow(&self) {
        if self.enabled && self.bar.is_hidden() && self.start.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(100));
        }
    }

    fn working_on(&self, what: &str, bytes: usize) {
        self.reveal_if_slow();
        if bytes > 0 {
            self.bar
                .set_message(format!("{what} ({:.1} MB)", bytes as f64 / 1e6));
        } else {
            self.bar.set_message(what.to_string());
        }
    }

    fn done_one(&self) {
        self.bar.inc(1);
        self.reveal_if_slow();
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

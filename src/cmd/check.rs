//! `rbacgraph check --policy`: guardrails as code, and `rbacgraph schema`.

use std::io::Write;
use std::process::ExitCode;

use rbacgraph::query::check::{
    AssertionResult, Check, CheckReport, PolicySet, PolicySource, policy_schema,
};

use crate::AppError;
use crate::cli::{CheckArgs, Format, GlobalArgs};
use crate::output::{self, BOLD, DIM, GREEN, RED, YELLOW, paint};
use crate::timings;

pub fn run(global: &GlobalArgs, args: &CheckArgs) -> Result<ExitCode, AppError> {
    match check(global, args) {
        // Every problem of the policy, one per line (not only the first).
        Err(AppError::Rbac(rbacgraph::Error::Policy(problems))) => Ok(policy_problems(&problems)),
        answer => answer,
    }
}

fn check(global: &GlobalArgs, args: &CheckArgs) -> Result<ExitCode, AppError> {
    let sources = args.policies.iter().cloned().map(PolicySource::Path);
    let policies = timings::time("read", || PolicySet::read(sources))?;
    let quiet = global.output != Format::Table;
    let graph = crate::input::load(global, quiet)?;
    let evaluate = |graph: &rbacgraph::RbacGraph| {
        timings::time("query", || {
            Check::new(graph, &policies)
                .path_options(args.model.options())
                .run()
        })
    };
    let report = evaluate(&graph)?;
    let report = if args.against.is_empty() {
        report
    } else {
        drop(graph);
        let new = crate::input::load_from(global, &args.against, quiet)?;
        evaluate(&new)?.against(&report)
    };
    match global.output {
        Format::Table => output::write_out(&timings::time("render", || table(&report, args.top)))?,
        Format::Junit => output::write_out(&timings::time("render", || report.to_junit()))?,
        Format::Sarif => output::document(Format::Json, &report.to_sarif())?,
        format => output::document(format, &report.to_document())?,
    }
    if global.output != Format::Table && !report.warnings.is_empty() {
        let mut err = anstream::stderr().lock();
        for w in &report.warnings {
            let _ = writeln!(err, "{}", paint(YELLOW, &w.to_string()));
        }
    }
    Ok(if report.fails() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints every problem of the policy, one per line, and exits 2.
fn policy_problems(problems: &[rbacgraph::Diagnostic]) -> ExitCode {
    let mut err = anstream::stderr().lock();
    for p in problems {
        let _ = writeln!(err, "{p}");
    }
    let _ = writeln!(
        err,
        "error: {} problem(s) in the policy; `rbacgraph schema policy` prints its JSON Schema",
        problems.len()
    );
    ExitCode::from(2)
}

/// `rbacgraph schema policy`.
pub fn schema(global: &GlobalArgs, document: &str) -> Result<ExitCode, AppError> {
    let schema = match document {
        "policy" => policy_schema(),
        other => return Err(AppError::Usage(format!("no schema for `{other}`"))),
    };
    match global.output {
        Format::Yaml => output::document(Format::Yaml, &schema)?,
        _ => {
            let text = serde_json::to_string_pretty(&schema).map_err(std::io::Error::from)?;
            output::write_out(&(text + "\n"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Per policy, per assertion: PASS or FAIL, what was found, and the first
/// `top` violations with their evidence.
fn table(report: &CheckReport, top: usize) -> String {
    let against = report.summary.introduced.is_some();
    let mut out = String::new();
    let mut last: Option<(&str, &rbacgraph::Source)> = None;
    for r in &report.results {
        if last != Some((r.policy.as_str(), &r.source)) {
            if last.is_some() {
                out.push('\n');
            }
            out.push_str(&format!(
                "{} {} {}\n",
                paint(BOLD, "Policy"),
                r.policy,
                paint(DIM, &format!("({})", r.source.file))
            ));
            last = Some((r.policy.as_str(), &r.source));
        }
        assertion(&mut out, r, top, against);
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} assertion(s): {} passed, {} failed ({} violation(s))",
        s.assertions, s.passed, s.failed, s.violations
    ));
    if let (Some(new), Some(resolved)) = (s.introduced, s.resolved) {
        out.push_str(&format!(
            "; the change introduces {new} and removes {resolved}"
        ));
    }
    out.push('\n');
    for w in &report.warnings {
        out.push_str(&paint(YELLOW, &w.to_string()));
        out.push('\n');
    }
    out
}

fn assertion(out: &mut String, r: &AssertionResult, top: usize, against: bool) {
    let status = if r.passed {
        paint(GREEN, "PASS")
    } else if against && r.introduced() == 0 {
        paint(YELLOW, "FAIL")
    } else {
        paint(RED, "FAIL")
    };
    out.push_str(&format!("  {status}  {}\n", r.name));
    out.push_str(&format!("        {}\n", paint(DIM, &r.message)));
    // With --against, the new violations first.
    let mut shown: Vec<_> = r.violations.iter().collect();
    shown.sort_by_key(|v| v.introduced == Some(false));
    for v in shown.iter().take(top) {
        let mark = match v.introduced {
            Some(true) => "new: ",
            Some(false) => "already there: ",
            None => "",
        };
        out.push_str(&format!("        ✗ {mark}{}\n", v.message));
        for line in v.evidence_lines() {
            out.push_str(&format!("            {}\n", paint(DIM, &line)));
        }
    }
    if shown.len() > top {
        out.push_str(&format!(
            "        … and {} more violation(s) (--top N shows more; -o json lists every one)\n",
            shown.len() - top
        ));
    }
    for v in r.resolved.iter().flatten().take(top) {
        out.push_str(&format!("        ✓ removed by the change: {}\n", v.message));
    }
    if let Some(resolved) = r.resolved.as_ref().filter(|v| v.len() > top) {
        out.push_str(&format!(
            "        … and {} more removed\n",
            resolved.len() - top
        ));
    }
}

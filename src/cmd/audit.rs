//! `rbacgraph audit`: hardening findings, most severe first.

use std::process::ExitCode;

use rbacgraph::query::audit::{
    Audit, AuditEvidence, AuditReport, Finding, IgnoreRules, KubeVersion, Reachability, Severity,
};

use crate::AppError;
use crate::cli::{AuditArgs, Format, GlobalArgs};
use crate::output::{self, BOLD, DIM, GREEN, RED, YELLOW, paint};
use crate::timings;

pub fn run(global: &GlobalArgs, args: &AuditArgs) -> Result<ExitCode, AppError> {
    let target = args
        .target_version
        .as_deref()
        .map(str::parse::<KubeVersion>)
        .transpose()?;
    let fail_on = args
        .fail_on
        .as_deref()
        .map(str::parse::<Severity>)
        .transpose()?;
    let ignore = match &args.ignore {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                AppError::Usage(format!("cannot read ignore file {}: {e}", path.display()))
            })?;
            IgnoreRules::from_yaml(&text)?
        }
        None => IgnoreRules::default(),
    };
    let graph = crate::input::load(global, global.output != Format::Table)?;
    let mut audit = Audit::builder(&graph)
        .ignore(ignore)
        .paths(!args.no_paths)
        .max_depth(args.max_depth)
        .path_options(args.model.options());
    if let Some(v) = target {
        audit = audit.target_version(v);
    }
    let report = timings::time("query", || audit.run());
    match global.output {
        Format::Table => output::write_out(&timings::time("render", || table(&report)))?,
        Format::Sarif => output::document(Format::Json, &report.to_sarif())?,
        format => output::document(format, &report.to_document())?,
    }
    Ok(match fail_on {
        Some(level) if report.fails(level) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn style(s: Severity) -> anstyle::Style {
    match s {
        Severity::Critical | Severity::High => RED,
        Severity::Medium => YELLOW,
        Severity::Low | Severity::Info => DIM,
    }
}

/// Findings grouped by severity, most severe first: what to fix first.
fn table(report: &AuditReport) -> String {
    let s = &report.summary;
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|&v| format!("{} {v}", s.by_severity.get(v)))
        .collect();
    let mut out = format!(
        "{} {} finding(s): {}; {} suppressed\n",
        paint(BOLD, "Audit:"),
        s.findings,
        counts.join(", "),
        s.suppressed
    );
    out.push_str(&paint(
        DIM,
        &match report.reachability {
            Reachability::AttackGraph => {
                "Severity is raised one level where a subject reaches cluster-admin (the path is shown).\n".to_string()
            }
            Reachability::PermissionOnly => {
                "Severity ranks by the permission alone (--no-paths).\n".to_string()
            }
        },
    ));
    for note in &report.notes {
        out.push_str(&paint(DIM, &format!("Note: {note}\n")));
    }
    if report.findings.is_empty() {
        out.push_str(&paint(GREEN, "\nNo findings.\n"));
    }
    for level in Severity::ALL {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == level)
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&paint(
            style(level),
            &format!("{} ({})\n", level.as_str().to_uppercase(), group.len()),
        ));
        for f in group {
            finding(&mut out, f);
        }
    }
    if !report.suppressed.is_empty() {
        out.push_str(&format!("\n{}\n", paint(BOLD, "SUPPRESSED")));
        let mut rows = vec![vec![
            "ID".to_string(),
            "SEVERITY".into(),
            "FINDING".into(),
            "REASON".into(),
        ]];
        for sup in &report.suppressed {
            rows.push(vec![
                sup.finding.id.clone(),
                sup.finding.severity.to_string(),
                sup.finding.message.clone(),
                format!("{} (rule {})", sup.reason, sup.rule_index),
            ]);
        }
        out.push_str(&output::table(&rows));
    }
    out
}

fn finding(out: &mut String, f: &Finding) {
    out.push_str(&format!("  {} {}\n", paint(BOLD, &f.id), f.title));
    out.push_str(&format!("    {}\n", f.message));
    for o in f.located_objects().take(4) {
        if let Some(src) = &o.source {
            out.push_str(&paint(DIM, &format!("    at {o}: {src}\n")));
        }
    }
    let more = f.located_objects().count().saturating_sub(4);
    if more > 0 {
        out.push_str(&paint(DIM, &format!("    … and {more} more object(s)\n")));
    }
    for e in &f.evidence {
        if let AuditEvidence::Fact { message } = e {
            out.push_str(&paint(DIM, &format!("    because {message}\n")));
        }
    }
    if let Some(p) = &f.path_to_cluster_admin {
        let chain: Vec<String> = p
            .steps
            .iter()
            .map(|s| format!("{} → {}", s.technique, s.to))
            .collect();
        out.push_str(&format!(
            "    {} {} → {}\n",
            paint(RED, "path to cluster-admin:"),
            p.source,
            chain.join(" → ")
        ));
    }
    out.push_str(&format!("    fix: {}\n", f.remediation));
}

//! `rbacgraph paths`: escalation paths from an identity, or every principal
//! that reaches a target.

use std::process::ExitCode;

use rbacgraph::query::paths::{AttackGraph, AttackPath, AttackStep, Evidence, PathsReport, Target};
use rbacgraph::{Identity, Reason};

use crate::AppError;
use crate::cli::{Format, GlobalArgs, PathsArgs};
use crate::output::{self, BOLD, DIM, paint};
use crate::timings;

pub fn run(global: &GlobalArgs, args: &PathsArgs) -> Result<ExitCode, AppError> {
    let graph = crate::input::load(global, global.output != Format::Table)?;
    let target = Target::parse(&args.to)?;
    let attack = timings::time("attack graph", || {
        AttackGraph::builder(&graph)
            .options(args.model.options())
            .build()
    });
    let paths: Vec<AttackPath> = if args.all {
        timings::time("query", || attack.who_reaches(&target, args.max_depth))
    } else {
        let Some(user) = &args.user else {
            return Err(AppError::Usage("paths needs --as USER or --all".into()));
        };
        let identity = Identity::authenticated(user.clone(), args.groups.clone());
        timings::time("query", || {
            if args.blast_radius {
                attack.blast_radius(&identity, args.max_depth)
            } else {
                attack
                    .paths(&identity, &target, args.max_depth)
                    .take(args.limit)
                    .collect()
            }
        })
    };
    let found = !paths.is_empty();
    let report = PathsReport { paths };
    match global.output {
        Format::Table => {
            let text = timings::time("render", || {
                if args.all || args.blast_radius {
                    overview(&report, args.all)
                } else {
                    detailed(&report, &target)
                }
            });
            output::write_out(&text)?;
        }
        Format::Dot => output::write_out(&timings::time("render", || report.to_dot()))?,
        format => output::document(format, &report.to_document())?,
    }
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One row per path: who (or what), how many steps, and the chain.
fn overview(report: &PathsReport, by_source: bool) -> String {
    if report.paths.is_empty() {
        return "no paths\n".into();
    }
    let mut rows = vec![vec![
        if by_source { "SOURCE" } else { "REACHES" }.to_string(),
        "STEPS".into(),
        "PATH".into(),
    ]];
    for p in &report.paths {
        let first = if by_source {
            p.source.to_string()
        } else {
            p.end().map(ToString::to_string).unwrap_or_default()
        };
        rows.push(vec![first, p.steps.len().to_string(), chain(p)]);
    }
    output::table(&rows)
}

/// `W01 → ServiceAccount shop/default → W02 → node *`.
fn chain(p: &AttackPath) -> String {
    p.steps
        .iter()
        .map(|s| format!("{} → {}", s.technique, s.to))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Every path step by step, with the evidence of each step.
fn detailed(report: &PathsReport, target: &Target) -> String {
    let Some(first) = report.paths.first() else {
        return format!("no path to {target}\n");
    };
    let mut out = String::new();
    out.push_str(&format!(
        "{} {} → {target}: {} path(s)\n",
        paint(BOLD, "From"),
        first.source,
        report.paths.len()
    ));
    for p in &report.paths {
        let end = p.end().map(ToString::to_string).unwrap_or_default();
        out.push_str(&format!(
            "\n{} {end} in {} step(s)\n",
            paint(BOLD, "To"),
            p.steps.len()
        ));
        let mut rows = vec![vec![
            "STEP".to_string(),
            "TECHNIQUE".into(),
            "FROM".into(),
            "TO".into(),
            "BECAUSE".into(),
        ]];
        for (i, s) in p.steps.iter().enumerate() {
            rows.push(vec![
                (i + 1).to_string(),
                format!("{} {}", s.technique, s.technique.title()),
                s.from.to_string(),
                s.to.to_string(),
                because(s),
            ]);
        }
        out.push_str(&output::table(&rows));
        for (i, s) in p.steps.iter().enumerate() {
            for line in sources(s) {
                out.push_str(&paint(DIM, &format!("  step {}: {line}\n", i + 1)));
            }
        }
    }
    out
}

/// The permissions a step uses, in one cell.
fn because(step: &AttackStep) -> String {
    let mut parts = Vec::new();
    for e in step.evidence.iter() {
        match e {
            Evidence::Permission { request, reasons } => {
                let how = match reasons.first() {
                    Some(Reason::Rule {
                        binding,
                        role,
                        rule_index,
                        ..
                    }) => format!("{binding} → {role} rule {rule_index}"),
                    Some(Reason::PrivilegedGroup { group }) => format!("member of {group}"),
                    None => String::new(),
                };
                parts.push(format!("{request} ({how})"));
            }
            Evidence::GrantedRule {
                request,
                role,
                rule_index,
                ..
            } => parts.push(match (role, rule_index) {
                (Some(role), Some(i)) => format!("{request} ({role} rule {i}, bound earlier)"),
                _ => format!("{request} (rules written earlier)"),
            }),
            Evidence::Covered { message, .. } => parts.push(message.clone()),
            Evidence::Object { .. } | Evidence::Fact { .. } => {}
        }
    }
    if parts.is_empty() {
        // Steps that need no permission: the pod spec or node facts.
        for e in step.evidence.iter() {
            match e {
                Evidence::Object { object, message } => parts.push(format!("{object}: {message}")),
                Evidence::Fact { message } => parts.push(message.clone()),
                _ => {}
            }
        }
    }
    parts.join("; ")
}

/// Where the bindings and objects of a step come from.
fn sources(step: &AttackStep) -> Vec<String> {
    let mut out = Vec::new();
    for e in step.evidence.iter() {
        match e {
            Evidence::Permission { reasons, .. } => {
                for r in reasons {
                    if let Reason::Rule { binding, .. } = r
                        && let Some(src) = &binding.source
                    {
                        out.push(format!("{binding} from {src}"));
                    }
                }
            }
            Evidence::Object { object, .. } => {
                if let Some(src) = &object.source {
                    out.push(format!("{object} from {src}"));
                }
            }
            _ => {}
        }
    }
    out.dedup();
    out
}

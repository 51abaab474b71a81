//! `rbacgraph diff`: effective-permission changes between two snapshots.

use std::process::ExitCode;

use rbacgraph::AttackPath;
use rbacgraph::query::diff::{
    AdminChange, Cause, ChangedObject, DiffOptions, ObjectChange, PermissionDiff, RuleChange,
};
use rbacgraph::query::ruleset::describe;

use crate::AppError;
use crate::cli::{DiffArgs, Format, GlobalArgs};
use crate::output::{self, BOLD, DIM, GREEN, RED, paint};
use crate::timings;

pub fn run(global: &GlobalArgs, args: &DiffArgs) -> Result<ExitCode, AppError> {
    if global.files.is_empty() {
        return Err(AppError::Usage(
            "diff needs the old snapshot as -f PATH and the new one as --against PATH".into(),
        ));
    }
    let quiet = global.output != Format::Table;
    let old = crate::input::load_from(global, &global.files, quiet)?;
    let new = crate::input::load_from(global, &args.against, quiet)?;
    let options = DiffOptions {
        escalation_paths: !args.no_paths,
        max_depth: args.max_depth,
        path_options: args.model.options(),
    };
    let diff = timings::time("query", || old.diff(&new, &options));
    match global.output {
        Format::Table => output::write_out(&table(&diff))?,
        Format::Markdown => output::write_out(&markdown(&diff))?,
        format => output::document(format, &diff.to_document())?,
    }
    let fail = (args.fail_on_change && diff.has_changes())
        || (args.fail_on_escalation && diff.has_new_escalation());
    Ok(if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn scope(change: &RuleChange) -> String {
    match &change.namespace {
        Some(ns) => format!("in namespace {ns}"),
        None => "cluster-wide".into(),
    }
}

fn changed(o: &ChangedObject) -> String {
    match o.change {
        ObjectChange::Unchanged => o.object.to_string(),
        c => format!("{} ({})", o.object, c.as_str()),
    }
}

/// `RoleBinding ns/b (added) → ClusterRole admin ⇐ ClusterRole edit ⇐ ClusterRole x (added) rule 0`.
fn chain(c: &Cause) -> String {
    let mut out = format!("{} → {}", changed(&c.binding), changed(&c.role));
    for a in &c.aggregated_from {
        out.push_str(&format!(" ⇐ {}", changed(a)));
    }
    out
}

/// Where the changed objects of a cause come from (the binding's when none changed).
fn sources(c: &Cause) -> Vec<String> {
    let mut objects: Vec<&ChangedObject> = vec![&c.binding, &c.role];
    objects.extend(&c.aggregated_from);
    let mut out: Vec<String> = objects
        .iter()
        .filter(|o| o.change != ObjectChange::Unchanged)
        .filter_map(|o| {
            o.object
                .source
                .as_ref()
                .map(|s| format!("{} at {s}", o.object))
        })
        .collect();
    if out.is_empty() {
        out.extend(
            c.binding
                .object
                .source
                .as_ref()
                .map(|s| format!("{} at {s}", c.binding.object)),
        );
    }
    out.dedup();
    out
}

/// `rule 3` or `rules 0, 4, 7`.
fn rule_list(rules: &[usize]) -> String {
    let list: Vec<String> = rules.iter().map(ToString::to_string).collect();
    match list.len() {
        1 => format!("rule {}", list.join("")),
        _ => format!("rules {}", list.join(", ")),
    }
}

fn path_chain(p: &AttackPath) -> String {
    p.steps
        .iter()
        .map(|s| format!("{} ({}) → {}", s.technique, s.technique.title(), s.to))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn headline(diff: &PermissionDiff) -> String {
    let s = &diff.summary;
    let mut out = if s.principals == 0 {
        "no effective permission changes".to_string()
    } else {
        format!(
            "{} principal(s) with changed permissions: {} rule set(s) added, {} removed",
            s.principals, s.added, s.removed
        )
    };
    if let Some(e) = &diff.escalation {
        if e.gained.is_empty() && e.lost.is_empty() && e.shortened.is_empty() {
            out.push_str(&format!("; no change in who reaches {}", e.target));
        } else {
            out.push_str(&format!(
                "; {} principal(s) newly reach {}, {} no longer do",
                e.gained.len(),
                e.target,
                e.lost.len()
            ));
            if !e.shortened.is_empty() {
                out.push_str(&format!(", {} reach it in fewer steps", e.shortened.len()));
            }
        }
    }
    out
}

fn table(diff: &PermissionDiff) -> String {
    let mut out = format!("{}\n", paint(BOLD, &headline(diff)));
    for p in &diff.principals {
        out.push_str(&format!("\n{}\n", paint(BOLD, &p.principal.to_string())));
        for (sign, style, changes) in [("+", GREEN, &p.added), ("-", RED, &p.removed)] {
            for change in changes {
                for rule in &change.rules {
                    out.push_str(&format!(
                        "  {} {}: {}\n",
                        paint(style, sign),
                        scope(change),
                        describe(rule)
                    ));
                }
                for cause in &change.causes {
                    out.push_str(&format!(
                        "      {} {} {}\n",
                        if sign == "+" {
                            "granted by"
                        } else {
                            "was granted by"
                        },
                        chain(cause),
                        rule_list(&cause.rules)
                    ));
                    for s in sources(cause) {
                        out.push_str(&paint(DIM, &format!("        {s}\n")));
                    }
                }
            }
        }
        match p.cluster_admin {
            Some(AdminChange::Gained) => out.push_str(&format!(
                "  {} now holds cluster-admin-equivalent permissions\n",
                paint(RED, "!")
            )),
            Some(AdminChange::Lost) => {
                out.push_str("  no longer holds cluster-admin-equivalent permissions\n")
            }
            None => {}
        }
        if !p.inherits.is_empty() {
            let groups: Vec<String> = p.inherits.iter().map(ToString::to_string).collect();
            out.push_str(&format!(
                "  also gets the changes of {} (listed there)\n",
                groups.join(", ")
            ));
        }
    }
    if let Some(e) = &diff.escalation
        && (!e.gained.is_empty() || !e.lost.is_empty() || !e.shortened.is_empty())
    {
        out.push_str(&format!(
            "\n{}\n",
            paint(BOLD, &format!("Paths to {}", e.target))
        ));
        for (sign, style, paths) in [("+", RED, &e.gained), ("-", GREEN, &e.lost)] {
            for p in paths {
                out.push_str(&format!(
                    "  {} {} in {} step(s): {}\n",
                    paint(style, sign),
                    p.source,
                    p.steps.len(),
                    path_chain(p)
                ));
            }
        }
        for s in &e.shortened {
            out.push_str(&format!(
                "  {} {} in {} step(s) (was {}): {}\n",
                paint(RED, "+"),
                s.path.source,
                s.path.steps.len(),
                s.previous_steps,
                path_chain(&s.path)
            ));
        }
    }
    for e in &diff.errors {
        out.push_str(&paint(DIM, &format!("unresolved: {e}\n")));
    }
    out
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(diff: &PermissionDiff) -> String {
    let mut out = String::from("### RBAC change review (rbacgraph)\n\n");
    out.push_str(&format!("{}.\n", capitalise(&headline(diff))));
    if let Some(e) = &diff.escalation {
        if !e.gained.is_empty() {
            out.push_str(&format!(
                "\n#### :warning: New paths to {}\n\n| principal | steps | path |\n|---|---|---|\n",
                e.target
            ));
            for p in &e.gained {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cell(&p.source.to_string()),
                    p.steps.len(),
                    cell(&path_chain(p))
                ));
            }
        }
        if !e.shortened.is_empty() {
            out.push_str(&format!(
                "\n#### :warning: Shorter paths to {}\n\n| principal | steps | was | path |\n|---|---|---|---|\n",
                e.target
            ));
            for s in &e.shortened {
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    cell(&s.path.source.to_string()),
                    s.path.steps.len(),
                    s.previous_steps,
                    cell(&path_chain(&s.path))
                ));
            }
        }
        if !e.lost.is_empty() {
            out.push_str(&format!(
                "\n#### Paths to {} removed\n\n| principal | steps | path |\n|---|---|---|\n",
                e.target
            ));
            for p in &e.lost {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cell(&p.source.to_string()),
                    p.steps.len(),
                    cell(&path_chain(p))
                ));
            }
        }
    }
    if !diff.principals.is_empty() {
        out.push_str(
            "\n#### Permission changes\n\n| principal | change | scope | permissions | caused by |\n|---|---|---|---|---|\n",
        );
        for p in &diff.principals {
            for (what, changes) in [("added", &p.added), ("removed", &p.removed)] {
                for change in changes {
                    let rules: Vec<String> = change
                        .rules
                        .iter()
                        .map(|r| format!("`{}`", describe(r)))
                        .collect();
                    let causes: Vec<String> = change
                        .causes
                        .iter()
                        .map(|c| format!("{} {}", chain(c), rule_list(&c.rules)))
                        .collect();
                    out.push_str(&format!(
                        "| {} | {what} | {} | {} | {} |\n",
                        cell(&p.principal.to_string()),
                        scope(change),
                        cell(&rules.join("<br>")),
                        cell(&causes.join("<br>"))
                    ));
                }
            }
        }
    }
    if !diff.errors.is_empty() {
        out.push_str("\n<details><summary>Unresolved role references</summary>\n\n");
        for e in &diff.errors {
            out.push_str(&format!("- {}\n", cell(e)));
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

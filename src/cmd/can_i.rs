//! `rbacgraph can-i`.

use std::process::ExitCode;

use rbacgraph::query::authorize::Decision;
use rbacgraph::{Identity, Reason};

use super::{bracket, short};
use crate::AppError;
use crate::cli::{CanIArgs, Format, GlobalArgs};
use crate::output::{self, DIM, GREEN, RED, paint};
use crate::timings;
use rbacgraph::target::{self, Namespaces};

pub fn run(global: &GlobalArgs, args: &CanIArgs) -> Result<ExitCode, AppError> {
    let graph = crate::input::load(global, global.output != Format::Table)?;
    let identity =
        Identity::authenticated(args.identity.user.clone(), args.identity.groups.clone());
    if args.list {
        return list(global, &graph, &identity, &args.namespace);
    }
    let (Some(verb), Some(target)) = (&args.verb, &args.target) else {
        return Err(AppError::Usage(
            "can-i needs VERB and TARGET, or --list".into(),
        ));
    };
    let namespace = if args.all_namespaces {
        Namespaces::One("")
    } else {
        Namespaces::One(&args.namespace)
    };
    let target = target::parse(&graph, verb, target, args.subresource.as_deref(), namespace)?;
    let decision = timings::time("query", || graph.authorize(&identity, &target.request));
    match global.output {
        Format::Table => {
            let mut text = if decision.allowed {
                paint(GREEN, "yes")
            } else {
                paint(RED, "no")
            };
            text.push('\n');
            if args.explain {
                text.push_str(&explain(&decision));
            }
            output::write_out(&text)?;
        }
        format => output::document(format, &decision.to_document())?,
    }
    Ok(if decision.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn explain(decision: &Decision) -> String {
    let mut out = String::new();
    for reason in &decision.reasons {
        match reason {
            Reason::PrivilegedGroup { group } => out.push_str(&format!(
                "  allowed: member of {group}, which the API server allows everything before RBAC\n"
            )),
            Reason::Rule {
                subject,
                binding,
                role,
                rule_index,
                rule,
            } => {
                out.push_str(&format!(
                    "  allowed: {subject} → {} → {} rule {rule_index}: {}\n",
                    short(binding),
                    short(role),
                    rule
                ));
                if let Some(src) = &binding.source {
                    out.push_str(&paint(DIM, &format!("           binding from {src}\n")));
                }
            }
        }
    }
    if !decision.allowed {
        if decision.why_not.is_empty() {
            out.push_str(
                "  no binding that applies to this identity has a rule close to this request\n",
            );
        }
        for miss in &decision.why_not {
            out.push_str(&format!("  near miss: {}\n", miss.message));
        }
        for e in &decision.errors {
            out.push_str(&format!("  unresolved: {e}\n"));
        }
    }
    out
}

fn list(
    global: &GlobalArgs,
    graph: &rbacgraph::RbacGraph,
    identity: &Identity,
    namespace: &str,
) -> Result<ExitCode, AppError> {
    let rules = timings::time("query", || graph.rules_for(identity, namespace));
    let review = rules.to_review();
    match global.output {
        Format::Table => {
            let mut rows = vec![vec![
                "RESOURCES".to_string(),
                "NON-RESOURCE URLS".into(),
                "RESOURCE NAMES".into(),
                "VERBS".into(),
                "GRANTED BY".into(),
            ]];
            for r in &review.resource_rules {
                let mut combos = Vec::new();
                for g in &r.api_groups {
                    for res in &r.resources {
                        combos.push(if g.is_empty() {
                            res.clone()
                        } else {
                            format!("{res}.{g}")
                        });
                    }
                }
                rows.push(vec![
                    combos.join(", "),
                    "[]".into(),
                    bracket(&r.resource_names),
                    bracket(&r.verbs),
                    format!("{} → {}", short(&r.from.binding), short(&r.from.role)),
                ]);
            }
            for r in &review.non_resource_rules {
                rows.push(vec![
                    String::new(),
                    bracket(&r.non_resource_urls),
                    "[]".into(),
                    bracket(&r.verbs),
                    format!("{} → {}", short(&r.from.binding), short(&r.from.role)),
                ]);
            }
            let mut text = output::table(&rows);
            for e in &review.errors {
                text.push_str(&format!("unresolved: {e}\n"));
            }
            output::write_out(&text)?;
        }
        format => output::document(format, &review.to_document())?,
    }
    Ok(if rules.rules.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

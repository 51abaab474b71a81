//! `rbacgraph who-can`.

use std::process::ExitCode;

use rbacgraph::WhoCanQuery;
use rbacgraph::request::SYSTEM_MASTERS;

use super::short;
use crate::AppError;
use crate::cli::{Format, GlobalArgs, WhoCanArgs};
use crate::output;
use crate::timings;
use rbacgraph::target::{self, Namespaces};

pub fn run(global: &GlobalArgs, args: &WhoCanArgs) -> Result<ExitCode, AppError> {
    let graph = crate::input::load(global, global.output != Format::Table)?;
    let t = &args.target;
    let namespace = if t.all_namespaces {
        Namespaces::All
    } else {
        Namespaces::One(&t.namespace)
    };
    let target = target::parse(
        &graph,
        &t.verb,
        &t.target,
        t.subresource.as_deref(),
        namespace,
    )?;
    let query = WhoCanQuery::new(target.request)
        .all_namespaces(target.all_namespaces)
        .expand(args.expand);
    let answer = timings::time("query", || graph.who_can(&query));
    match global.output {
        Format::Table => {
            let mut rows = vec![vec![
                "KIND".to_string(),
                "NAME".into(),
                "NAMESPACE".into(),
                "BINDING".into(),
                "ROLE".into(),
                "RULES".into(),
            ]];
            if args.expand {
                rows[0].push("VIA".into());
            }
            for s in &answer.subjects {
                let ns = s.subject.namespace.clone().unwrap_or_default();
                if s.grants.is_empty() {
                    rows.push(vec![
                        s.subject.kind.clone(),
                        s.subject.name.clone(),
                        ns.clone(),
                        "(privileged group: allowed everything)".into(),
                        String::new(),
                        String::new(),
                    ]);
                }
                for g in &s.grants {
                    let rules: Vec<String> = g.rules.iter().map(ToString::to_string).collect();
                    let mut row = vec![
                        s.subject.kind.clone(),
                        s.subject.name.clone(),
                        ns.clone(),
                        short(&g.binding),
                        short(&g.role),
                        rules.join(","),
                    ];
                    if let Some(via) = &g.via {
                        row.push(via.to_string());
                    }
                    rows.push(row);
                }
            }
            let mut text = output::table(&rows);
            for e in &answer.errors {
                text.push_str(&format!("unresolved: {e}\n"));
            }
            output::write_out(&text)?;
        }
        format => output::document(format, &answer.to_document())?,
    }
    let found = answer
        .subjects
        .iter()
        .any(|s| !(s.subject.kind == "Group" && s.subject.name == SYSTEM_MASTERS));
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

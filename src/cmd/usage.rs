//! `rbacgraph usage`: granted versus used, from audit logs.

use std::io::Write;
use std::process::ExitCode;

use rbacgraph::RbacGraph;
use rbacgraph::auditlog::AuditLog;
use rbacgraph::query::ruleset::describe;
use rbacgraph::query::usage::{ObservedRequest, PrincipalUsage, UsageOptions, UsageReport};
use rbacgraph::request::service_account_username;

use crate::AppError;
use crate::cli::{Format, GlobalArgs, UsageArgs};
use crate::output::{self, BOLD, DIM, YELLOW, paint};
use crate::timings;

pub fn run(global: &GlobalArgs, args: &UsageArgs) -> Result<ExitCode, AppError> {
    let quiet = global.output != Format::Table;
    let graph = if global.files.is_empty() {
        let _ = writeln!(
            anstream::stderr(),
            "{}",
            paint(
                YELLOW,
                "rbacgraph: no -f: the existing RBAC is taken as empty, so nothing counts as granted"
            )
        );
        RbacGraph::from_objects([])
    } else {
        crate::input::load(global, quiet)?
    };
    let mut log = AuditLog::new();
    for path in &args.audit_logs {
        timings::time("read", || log.load_path(path))?;
    }
    {
        let mut err = anstream::stderr().lock();
        for d in &log.diagnostics {
            let _ = writeln!(err, "{}", paint(YELLOW, &d.to_string()));
        }
    }
    if global.strict && !log.diagnostics.is_empty() {
        return Err(AppError::Usage(format!(
            "{} bad line(s) in the audit log (strict mode)",
            log.diagnostics.len()
        )));
    }
    let mut users = args.users.clone();
    for sa in &args.service_accounts {
        let Some((ns, name)) = sa
            .split_once(':')
            .filter(|(n, s)| !n.is_empty() && !s.is_empty())
        else {
            return Err(AppError::Usage(format!(
                "invalid service account `{sa}`: expected NAMESPACE:NAME"
            )));
        };
        users.push(service_account_username(ns, name));
    }
    let options = UsageOptions {
        users,
        include_denied: args.include_denied,
        expand_verbs: !args.exact_verbs,
        name_prefix: args.name_prefix.clone(),
    };
    let report = timings::time("query", || graph.usage(&log, &options));
    match global.output {
        Format::Table => output::write_out(&table(&report))?,
        Format::Yaml => output::write_out(&manifests(&report)?)?,
        format => output::document(format, &report.to_document())?,
    }
    Ok(if report.principals.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The generated objects as one multi-document YAML stream, ready for
/// `kubectl apply -f -`.
fn manifests(report: &UsageReport) -> Result<String, AppError> {
    let mut docs = Vec::new();
    for m in report.manifests() {
        let mut doc = serde_saphyr::to_string(m).map_err(std::io::Error::other)?;
        if !doc.ends_with('\n') {
            doc.push('\n');
        }
        docs.push(doc);
    }
    if docs.is_empty() {
        let _ = writeln!(
            anstream::stderr(),
            "rbacgraph: no roles to generate (no principal matched, or everything used is granted through groups)"
        );
    }
    Ok(docs.join("---\n"))
}

fn log_column(o: &ObservedRequest) -> String {
    let mut parts = Vec::new();
    if o.allowed_in_log > 0 {
        parts.push(format!("allowed ×{}", o.allowed_in_log));
    }
    if o.denied_in_log > 0 {
        parts.push(format!("denied ×{}", o.denied_in_log));
    }
    parts.join(", ")
}

fn table(report: &UsageReport) -> String {
    let s = &report.stats;
    let mut out = format!(
        "{}\n",
        paint(
            BOLD,
            &format!(
                "Audit log: {} request(s) counted of {} event(s) ({} at other stages, {} duplicate(s), {} bad line(s))",
                s.counted, s.events, s.other_stages, s.duplicates, s.bad_lines
            )
        )
    );
    if let Some(w) = &report.window {
        out.push_str(&format!("window: {} to {}\n", w.first, w.last));
    }
    if report.principals.is_empty() {
        out.push_str("no principal matched\n");
    }
    for p in &report.principals {
        out.push_str(&principal(p));
    }
    out
}

fn principal(p: &PrincipalUsage) -> String {
    let mut out = format!(
        "\n{}  {}\n",
        paint(BOLD, &p.principal.to_string()),
        paint(
            DIM,
            &format!(
                "{} event(s); groups: {}",
                p.events,
                p.identity.groups.join(", ")
            )
        )
    );
    if p.superuser {
        out.push_str("  member of system:masters: allowed everything, whatever RBAC says\n");
    }
    out.push_str(&grants(p));
    for r in &p.removable {
        out.push_str(&format!(
            "  {} {} → {}: none of its {} rule(s) was used; remove {} from it\n",
            paint(YELLOW, "removable:"),
            r.binding,
            r.role,
            r.rules,
            r.subject
        ));
    }
    if !p.denied.is_empty() {
        out.push_str("  denied in the log, or not allowed by this RBAC:\n");
        let mut rows = vec![vec!["REQUEST".to_string(), "LOG".into(), "RBAC".into()]];
        for d in &p.denied {
            rows.push(vec![
                d.request.to_string(),
                log_column(d),
                if d.rbac_allowed { "allowed" } else { "denied" }.into(),
            ]);
        }
        out.push_str(&indent(&output::table(&rows)));
    }
    if p.covered_by_groups > 0 {
        out.push_str(&format!(
            "  {} needed request(s) are allowed through group bindings and left to them\n",
            p.covered_by_groups
        ));
    }
    if !p.generated.is_empty() {
        out.push_str("  least privilege for what was used (`-o yaml` prints it ready to apply):\n");
        for m in p.generated.iter().filter(|m| m.rules.is_some()) {
            let name = match &m.metadata.namespace {
                Some(ns) => format!("{} {ns}/{}", m.kind, m.metadata.name),
                None => format!("{} {}", m.kind, m.metadata.name),
            };
            for r in m.rules.iter().flatten() {
                out.push_str(&format!("    {name}: {}\n", describe(&r.to_rule())));
            }
        }
    }
    for r in &p.unverified {
        out.push_str(&format!(
            "  not covered by the generated roles (bug): {r}\n"
        ));
    }
    for e in &p.errors {
        out.push_str(&paint(DIM, &format!("  unresolved: {e}\n")));
    }
    out
}

/// Granted rules by binding: the principal's own bindings with each rule
/// and its uses (big roles: the used rules only), then one line per binding
/// shared through a group.
fn grants(p: &PrincipalUsage) -> String {
    if p.grants.is_empty() {
        return "  granted: nothing\n".into();
    }
    // (shared, binding) → indexes into p.grants, in order
    let mut order: Vec<(bool, String)> = Vec::new();
    let mut by_binding: std::collections::HashMap<(bool, String), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, g) in p.grants.iter().enumerate() {
        let key = (g.shared, g.rule.rule.binding.to_string());
        if !by_binding.contains_key(&key) {
            order.push(key.clone());
        }
        by_binding.entry(key).or_default().push(i);
    }
    order.sort_by_key(|(shared, _)| *shared);
    let used = p.grants.iter().filter(|g| g.uses > 0).count();
    let mut out = format!(
        "  {used} of {} granted rule(s) used in the log window:\n",
        p.grants.len()
    );
    // Unused bindings shared through a group: one line per group.
    let mut idle_shared: std::collections::BTreeMap<String, (usize, usize)> =
        std::collections::BTreeMap::new();
    for key in &order {
        let Some(rows) = by_binding.get(key) else {
            continue;
        };
        if key.0 && rows.iter().all(|&i| p.grants[i].uses == 0) {
            if let Some(&i) = rows.first() {
                let e = idle_shared
                    .entry(p.grants[i].rule.rule.subject.to_string())
                    .or_default();
                e.0 += 1;
                e.1 += rows.len();
            }
            continue;
        }
        let Some(first) = rows.first().and_then(|&i| p.grants.get(i)) else {
            continue;
        };
        let r = &first.rule.rule;
        let scope = first
            .rule
            .namespace
            .as_ref()
            .map_or("cluster-wide".to_string(), |ns| {
                format!("in namespace {ns}")
            });
        let via = if first.shared {
            format!("; via {}", r.subject)
        } else {
            String::new()
        };
        let used = rows.iter().filter(|&&i| p.grants[i].uses > 0).count();
        out.push_str(&format!(
            "    {} → {} ({scope}{via}): {used} of {} rule(s) used\n",
            r.binding,
            r.role,
            rows.len()
        ));
        if first.shared {
            continue;
        }
        let show_all = rows.len() <= 10;
        for &i in rows {
            let g = &p.grants[i];
            if show_all || g.uses > 0 {
                let uses = if g.uses > 0 {
                    format!("{:>5}", g.uses)
                } else {
                    format!("{:>5}", "-")
                };
                out.push_str(&format!(
                    "      {uses}  rule {}: {}\n",
                    g.rule.rule.rule_index,
                    describe(&g.rule.rule.rule)
                ));
            }
        }
        if !show_all {
            out.push_str(&format!(
                "      {:>5}  {} unused rule(s) not shown (-o json lists every rule)\n",
                "-",
                rows.len() - used
            ));
        }
    }
    for (group, (bindings, rules)) in idle_shared {
        out.push_str(&format!(
            "    {bindings} binding(s) through {group}: none of their {rules} rule(s) used\n"
        ));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

//! `rbacgraph audit`: what to fix first, as fixes ranked by severity and
//! impact; the per-control view with `--by control`; one fix, its patch and
//! the manifests it changes with `--fix ID`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use rbacgraph::load::{manifest_at, read_input};
use rbacgraph::query::audit::{Audit, AuditReport, Fix, IgnoreRules, KubeVersion, Severity};
use rbacgraph::query::whatif::PatchAction;
use serde::Serialize;

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
    let by_control = args.by == "control";
    let graph = crate::input::load(global, global.output != Format::Table)?;
    let mut audit = Audit::builder(&graph)
        .ignore(ignore)
        .paths(!args.no_paths)
        .max_depth(args.max_depth)
        .path_options(args.model.options())
        .findings(by_control);
    if let Some(v) = target {
        audit = audit.target_version(v);
    }
    let report = timings::time("query", || audit.run());
    if let Some(id) = &args.fix {
        let Some(fix) = report.fix(id) else {
            return Err(AppError::Usage(format!(
                "no fix `{id}` in this audit (`rbacgraph audit --all` lists every fix with its id)"
            )));
        };
        match global.output {
            Format::Table => {
                output::write_out(&timings::time("render", || fix_detail(&report, fix)))?
            }
            Format::Yaml => output::write_out(&patched_manifests(fix)?)?,
            _ => output::document(
                Format::Json,
                &rbacgraph::render::document("AuditFix", FixDocument::new(&report, fix)?),
            )?,
        }
    } else {
        match global.output {
            Format::Table if by_control => {
                output::write_out(&timings::time("render", || control_table(&report)))?;
            }
            Format::Table => {
                let top = if args.all { usize::MAX } else { args.top };
                output::write_out(&timings::time("render", || table(&report, top)))?;
            }
            Format::Sarif => output::document(Format::Json, &report.to_sarif())?,
            format => output::document(format, &report.to_document())?,
        }
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

/// `n` things, with the plural.
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The first screen: exposure, then what there is to fix.
fn summary(report: &AuditReport) -> String {
    let s = &report.summary;
    let severities: Vec<String> = Severity::ALL
        .iter()
        .filter(|&&v| s.by_severity.get(v) > 0)
        .map(|&v| format!("{} {v}", s.by_severity.get(v)))
        .collect();
    let controls = report.controls.iter().filter(|c| c.findings > 0).count();
    let mut out = format!(
        "{} {}{} resolve {} of {}\n",
        paint(BOLD, "Audit:"),
        count(s.fixes, "fix", "fixes"),
        if severities.is_empty() {
            String::new()
        } else {
            format!(" ({})", severities.join(", "))
        },
        count(s.findings, "finding", "findings"),
        count(controls, "control", "controls"),
    );
    match (
        s.principals_reaching_cluster_admin,
        s.principals_bound_to_cluster_admin,
        s.principals_reaching_nodes,
        s.default_or_platform_principals,
    ) {
        (Some(admin), Some(bound), Some(nodes), Some(exempt)) => {
            out.push_str(&format!(
                "{} {} reach cluster-admin ({} bound to it on purpose, in one step), {} reach a node; {} of them are the API server's or the platform's own\n",
                paint(BOLD, "Exposure:"),
                count(admin, "principal", "principals"),
                bound,
                nodes,
                exempt
            ));
        }
        _ => out.push_str(&format!(
            "{} not computed (--no-paths): no impact, severities from the permissions alone\n",
            paint(BOLD, "Exposure:")
        )),
    }
    if s.platform_managed_fixes > 0 || s.suppressed > 0 {
        out.push_str(&format!(
            "{} {} of platform-managed objects (listed apart), {}\n",
            paint(BOLD, "Also:"),
            count(s.platform_managed_fixes, "fix", "fixes"),
            count(s.suppressed, "suppressed finding", "suppressed findings"),
        ));
    }
    for note in &report.notes {
        out.push_str(&paint(DIM, &format!("Note: {note}\n")));
    }
    out
}

/// A path of the evidence as one line.
fn path_line(report: &AuditReport, index: usize) -> Option<String> {
    let (p, steps) = report.path(index)?;
    let chain: Vec<String> = steps
        .iter()
        .map(|s| format!("{} → {}", s.technique, s.to))
        .collect();
    Some(format!("{} → {}", p.source, chain.join(" → ")))
}

fn located(o: &rbacgraph::ObjectRef) -> String {
    match &o.source {
        Some(src) => format!("{src} ({o})"),
        None => format!("{o} (not in the input; the patch creates it)"),
    }
}

/// One fix in the ranked list: four lines or so.
fn fix_lines(out: &mut String, report: &AuditReport, fix: &Fix) {
    let impact = match &fix.impact {
        Some(i) if i.cluster_admin == 0 && i.nodes == 0 => {
            "impact: no principal loses its path".into()
        }
        Some(i) => format!(
            "impact: cluster-admin lost by {}, nodes by {}",
            count(i.cluster_admin, "principal", "principals"),
            i.nodes
        ),
        None => "impact not computed (--no-paths)".into(),
    };
    out.push_str(&format!(
        "{:>3}. {} {}  {}\n",
        fix.rank,
        paint(
            style(fix.severity),
            &format!("{:<8}", fix.severity.as_str().to_uppercase())
        ),
        paint(BOLD, &fix.title),
        paint(DIM, &fix.id)
    ));
    let mut at: Vec<String> = fix.objects.iter().take(2).map(located).collect();
    if fix.objects.len() > 2 {
        at.push(format!("and {} more", fix.objects.len() - 2));
    }
    out.push_str(&format!("       at {}\n", at.join("; ")));
    let who: Vec<String> = fix
        .principals
        .items
        .iter()
        .take(3)
        .map(ToString::to_string)
        .collect();
    let scope = if fix.cluster_wide {
        "cluster-wide".to_string()
    } else if fix.namespaces > 0 {
        count(fix.namespaces, "namespace", "namespaces")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "       {} · {}{}{} · {}{}\n",
        fix.controls.join(" "),
        count(fix.principals.count, "principal", "principals"),
        if who.is_empty() {
            String::new()
        } else {
            format!(
                " ({}{})",
                who.join(", "),
                if fix.principals.count > 3 {
                    ", …"
                } else {
                    ""
                }
            )
        },
        if scope.is_empty() {
            String::new()
        } else {
            format!(" · {scope}")
        },
        impact,
        if fix.manual.is_some() {
            " · needs a person too"
        } else {
            ""
        },
    ));
    if let Some(line) = fix.evidence.path.and_then(|i| path_line(report, i)) {
        out.push_str(&format!("       {} {line}\n", paint(RED, "path:")));
    }
}

/// The ranked fixes: the summary, then the first `top`.
fn table(report: &AuditReport, top: usize) -> String {
    let mut out = summary(report);
    if report.fixes.is_empty() {
        out.push_str(&paint(GREEN, "\nNothing to fix.\n"));
    } else {
        let shown = report.fixes.len().min(top);
        out.push_str(&format!(
            "\n{}\n",
            paint(
                BOLD,
                &if shown < report.fixes.len() {
                    format!(
                        "The first {shown} of {} fixes, most urgent first (--all shows every one; --fix ID one with its patch):",
                        report.fixes.len()
                    )
                } else {
                    format!(
                        "{}, most urgent first (--fix ID shows one with its patch):",
                        count(report.fixes.len(), "fix", "fixes")
                    )
                }
            )
        ));
        for fix in report.fixes.iter().take(shown) {
            fix_lines(&mut out, report, fix);
        }
        if shown < report.fixes.len() {
            let rest: BTreeMap<Severity, usize> =
                report
                    .fixes
                    .iter()
                    .skip(shown)
                    .fold(BTreeMap::new(), |mut m, f| {
                        *m.entry(f.severity).or_default() += 1;
                        m
                    });
            let rest: Vec<String> = rest.iter().rev().map(|(s, n)| format!("{n} {s}")).collect();
            out.push_str(&paint(
                DIM,
                &format!(
                    "     … and {} more ({}): rbacgraph audit --all, or -o json\n",
                    report.fixes.len() - shown,
                    rest.join(", ")
                ),
            ));
        }
    }
    if !report.platform_managed.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            paint(
                BOLD,
                &format!(
                    "Platform-managed: {} for objects the platform installs (they count in paths and impact all the same):",
                    count(report.platform_managed.len(), "fix", "fixes")
                )
            )
        ));
        for fix in report.platform_managed.iter().take(3) {
            let platform = fix.platform.as_ref().map_or("", |p| p.platform.as_str());
            out.push_str(&format!(
                "  {} {} [{platform}] {}\n",
                paint(style(fix.severity), fix.severity.as_str()),
                fix.title,
                paint(DIM, &fix.id)
            ));
        }
        if report.platform_managed.len() > 3 {
            out.push_str(&paint(
                DIM,
                &format!(
                    "  … and {} more (-o json lists them under platformManaged)\n",
                    report.platform_managed.len() - 3
                ),
            ));
        }
    }
    suppressed(&mut out, report);
    out
}

fn suppressed(out: &mut String, report: &AuditReport) {
    if report.suppressed.is_empty() {
        return;
    }
    out.push_str(&format!("\n{}\n", paint(BOLD, "Suppressed (--ignore):")));
    let mut rows = vec![vec![
        "CONTROL".to_string(),
        "SEVERITY".into(),
        "FINDING".into(),
        "REASON".into(),
    ]];
    for sup in report.suppressed.iter().take(10) {
        rows.push(vec![
            sup.finding.control.clone(),
            sup.finding.severity.to_string(),
            sup.finding.message.clone(),
            format!("{} (rule {})", sup.reason, sup.rule_index),
        ]);
    }
    out.push_str(&output::table(&rows));
    if report.suppressed.len() > 10 {
        out.push_str(&paint(
            DIM,
            &format!(
                "… and {} more (-o json lists them all)\n",
                report.suppressed.len() - 10
            ),
        ));
    }
}

/// The per-control view: every control's findings, a few of each shown.
fn control_table(report: &AuditReport) -> String {
    const SHOWN: usize = 5;
    let mut out = summary(report);
    out.push('\n');
    let mut rows = vec![vec![
        "CONTROL".to_string(),
        "FINDINGS".into(),
        "SEVERITY".into(),
        "FIXES".into(),
        "TITLE".into(),
    ]];
    for c in &report.controls {
        rows.push(vec![
            c.id.clone(),
            c.findings.to_string(),
            c.severity.map_or("-".into(), |s| s.to_string()),
            c.fixes.to_string(),
            c.title.clone(),
        ]);
    }
    out.push_str(&output::table(&rows));
    for c in report.controls.iter().filter(|c| c.findings > 0) {
        out.push_str(&format!("\n{} {}\n", paint(BOLD, &c.id), c.title));
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.control == c.id)
            .collect();
        for f in findings.iter().take(SHOWN) {
            let fixes = match f.fixes.as_slice() {
                [] => String::new(),
                [one] => format!(" → {one}"),
                [one, rest @ ..] => format!(" → {one} and {} more", rest.len()),
            };
            out.push_str(&format!(
                "  {} {}{}\n",
                paint(style(f.severity), f.severity.as_str()),
                f.message,
                paint(DIM, &fixes)
            ));
        }
        if findings.len() > SHOWN {
            out.push_str(&paint(
                DIM,
                &format!(
                    "  … and {} more (rbacgraph audit --by control -o json lists them all)\n",
                    findings.len() - SHOWN
                ),
            ));
        }
    }
    suppressed(&mut out, report);
    out
}

/// One fix in full.
fn fix_detail(report: &AuditReport, fix: &Fix) -> String {
    const SHOWN: usize = 20;
    let mut out = format!(
        "{} {}\n{} {} — {}\n",
        paint(BOLD, &fix.id),
        fix.title,
        paint(style(fix.severity), &fix.severity.as_str().to_uppercase()),
        fix.severity_reason,
        format!("{:?}", fix.kind).to_lowercase()
    );
    if let Some(p) = &fix.platform {
        out.push_str(&format!(
            "platform-managed: {} ({})\n",
            p.platform, p.reason
        ));
    }
    out.push_str(&format!("\n{}\n", fix.description));
    out.push_str(&format!("\n{}\n", paint(BOLD, "Objects to change:")));
    for o in &fix.objects {
        out.push_str(&format!("  {}\n", located(o)));
    }
    out.push_str(&format!(
        "\n{} {}\n",
        paint(BOLD, "Controls:"),
        fix.controls.join(", ")
    ));
    out.push_str(&format!(
        "{} {}{}\n",
        paint(BOLD, "Principals affected:"),
        fix.principals.count,
        if fix.cluster_wide {
            ", cluster-wide".to_string()
        } else {
            format!(", in {}", count(fix.namespaces, "namespace", "namespaces"))
        }
    ));
    for p in fix.principals.items.iter().take(SHOWN) {
        out.push_str(&format!("  {p}\n"));
    }
    if fix.principals.count > SHOWN {
        out.push_str(&paint(
            DIM,
            &format!("  … and {} more\n", fix.principals.count - SHOWN),
        ));
    }
    match &fix.impact {
        Some(i) => {
            for (what, n, who) in [
                (
                    "cluster-admin",
                    i.cluster_admin,
                    &i.cluster_admin_principals,
                ),
                ("a node", i.nodes, &i.nodes_principals),
            ] {
                out.push_str(&format!(
                    "{} {} lose every path to {what}\n",
                    paint(BOLD, "Impact:"),
                    count(n, "principal", "principals")
                ));
                for p in who.iter().take(SHOWN) {
                    out.push_str(&format!("  {p}\n"));
                }
                if who.len() > SHOWN {
                    out.push_str(&paint(
                        DIM,
                        &format!("  … and {} more\n", who.len() - SHOWN),
                    ));
                }
            }
        }
        None => out.push_str(&format!(
            "{} not computed (--no-paths)\n",
            paint(BOLD, "Impact:")
        )),
    }
    if let Some((p, steps)) = fix.evidence.path.and_then(|i| report.path(i)) {
        out.push_str(&format!(
            "\n{} {} → {} in {}\n",
            paint(RED, "A path it cuts:"),
            p.source,
            p.target,
            count(steps.len(), "step", "steps")
        ));
        for s in steps {
            out.push_str(&format!("  {} {} → {}\n", s.technique, s.from, s.to));
        }
    }
    if !fix.evidence.rules.is_empty() {
        out.push_str(&format!("\n{}\n", paint(BOLD, "Rules:")));
        for &r in fix.evidence.rules.iter().take(SHOWN) {
            if let Some(rule) = report.evidence.rules.get(r) {
                let role = report
                    .evidence
                    .objects
                    .get(rule.role)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {role} rule {}: {}{}\n",
                    rule.rule_index,
                    rbacgraph::query::ruleset::describe(&rule.rule),
                    if rule.requests.is_empty() {
                        String::new()
                    } else {
                        format!(" — grants {}", rule.requests.join(", "))
                    }
                ));
            }
        }
    }
    for f in &fix.evidence.facts {
        out.push_str(&paint(DIM, &format!("  because {f}\n")));
    }
    out.push_str(&format!(
        "\n{}\n",
        paint(
            BOLD,
            "Patch (rbacgraph audit --fix ID -o yaml prints the changed manifests):"
        )
    ));
    for p in &fix.patch {
        match &p.action {
            PatchAction::Delete => out.push_str(&format!("  delete {}\n", p.object)),
            PatchAction::Create { .. } => out.push_str(&format!("  create {}\n", p.object)),
            PatchAction::Patch { json_patch } => {
                out.push_str(&format!("  patch {}:\n", p.object));
                for op in json_patch {
                    let value = op
                        .value
                        .as_ref()
                        .map(|v| format!(" {}", serde_json::to_string(v).unwrap_or_default()))
                        .unwrap_or_default();
                    out.push_str(&format!("    {} {}{value}\n", op.op, op.path));
                }
            }
        }
    }
    if let Some(m) = &fix.manual {
        out.push_str(&format!("{} {m}\n", paint(YELLOW, "By hand:")));
    }
    out
}

/// One patched object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Patched {
    object: rbacgraph::ObjectRef,
    action: &'static str,
    /// The manifest after the change (absent for a deletion).
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<serde_json::Value>,
}

/// `kind: AuditFix`: the fix, its path, and the manifests it changes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FixDocument<'a> {
    fix: &'a Fix,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<rbacgraph::AttackPath>,
    manifests: Vec<Patched>,
}

impl<'a> FixDocument<'a> {
    fn new(report: &AuditReport, fix: &'a Fix) -> Result<FixDocument<'a>, AppError> {
        let path = fix
            .evidence
            .path
            .and_then(|i| report.path(i))
            .map(|(p, steps)| rbacgraph::AttackPath {
                source: p.source.clone(),
                target: p.target.clone(),
                steps: steps.into_iter().cloned().collect(),
            });
        Ok(FixDocument {
            fix,
            path,
            manifests: patched(fix)?,
        })
    }
}

/// Applies a fix's patch to the manifests it was loaded from.
fn patched(fix: &Fix) -> Result<Vec<Patched>, AppError> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for p in &fix.patch {
        match &p.action {
            PatchAction::Delete => out.push(Patched {
                object: p.object.clone(),
                action: "delete",
                manifest: None,
            }),
            PatchAction::Create { manifest } => out.push(Patched {
                object: p.object.clone(),
                action: "create",
                manifest: Some(manifest.clone()),
            }),
            PatchAction::Patch { json_patch } => {
                let Some(source) = &p.object.source else {
                    continue;
                };
                let file = source.file.to_string();
                if file == "-" {
                    return Err(AppError::Usage(format!(
                        "{} was read from standard input: give the manifests as files (-f FILE) to print them patched",
                        p.object
                    )));
                }
                if !files.contains_key(&file) {
                    let bytes = read_input(std::path::Path::new(&file))?;
                    files.insert(file.clone(), String::from_utf8_lossy(&bytes).into_owned());
                }
                let text = files.get(&file).map(String::as_str).unwrap_or_default();
                let mut manifest = manifest_at(text, source.document, source.item)?;
                let ops: json_patch::Patch = serde_json::from_value(
                    serde_json::to_value(json_patch).map_err(|e| AppError::Usage(e.to_string()))?,
                )
                .map_err(|e| AppError::Usage(format!("the patch of {}: {e}", p.object)))?;
                json_patch::patch(&mut manifest, &ops).map_err(|e| {
                    AppError::Usage(format!(
                        "the patch of {} does not apply to {source}: {e}",
                        p.object
                    ))
                })?;
                out.push(Patched {
                    object: p.object.clone(),
                    action: "patch",
                    manifest: Some(manifest),
                });
            }
        }
    }
    Ok(out)
}

/// The manifests a fix changes, patched, as a YAML stream; deletions as
/// comments with the kubectl command.
fn patched_manifests(fix: &Fix) -> Result<String, AppError> {
    let mut out = format!("# {} {}\n", fix.id, fix.title);
    for p in patched(fix)? {
        let at = p
            .object
            .source
            .as_ref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        match p.manifest {
            None => {
                let ns = p
                    .object
                    .namespace
                    .as_ref()
                    .map(|n| format!(" -n {n}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "---\n# delete {}{at}: kubectl delete {} {}{ns}\n",
                    p.object,
                    p.object.kind.to_lowercase(),
                    p.object.name
                ));
            }
            Some(m) => {
                out.push_str(&format!("---\n# {} {}{at}\n", p.action, p.object));
                out.push_str(
                    &serde_saphyr::to_string(&m).map_err(|e| AppError::Usage(e.to_string()))?,
                );
            }
        }
    }
    Ok(out)
}

//! The controls about objects rather than permissions: cluster-admin
//! bindings, wildcards, the `default` service account, tokens mounted for
//! nothing, `system:masters`, anonymous exposure, dangling, dead and unused
//! RBAC, and dead rules. Each finding is an [`Atom`]: the finding and the
//! place ([`Site`]) a fix changes to resolve it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::Severity;
use super::fixes::{Atom, Ctx, RoleEdit, Site};
use crate::graph::{BindingId, RoleId, RoleResolution, SubjectKey};
use crate::model::{BindingKind, PolicyRule, SubjectKind, Workload};
use crate::query::{ObjectRef, SubjectRef};
use crate::request::{
    SYSTEM_ANONYMOUS, SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, SYSTEM_UNAUTHENTICATED,
};

/// Runs every object control.
pub(crate) fn run(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    cluster_admin_bindings(ctx, out);
    wildcards(ctx, out);
    default_service_accounts(ctx, out);
    unused_tokens(ctx, out);
    masters_bindings(ctx, out);
    anonymous_exposure(ctx, out);
    dangling(ctx, out);
    dead_subjects(ctx, out);
    unused_roles(ctx, out);
    workloads_on_default(ctx, out);
    dead_rules(ctx, out);
}

/// The site that takes some subjects away from a binding: the binding
/// itself when they are all its subjects.
pub(crate) fn subjects_site(ctx: &Ctx<'_>, b: BindingId, subjects: &[usize]) -> Vec<Site> {
    let all = ctx
        .graph
        .binding(b)
        .is_some_and(|x| x.subjects.len() <= subjects.len());
    if all {
        vec![Site::Binding(b)]
    } else {
        subjects
            .iter()
            .map(|&i| Site::Subject(b, i as u32))
            .collect()
    }
}

/// CIS 5.1.1: bindings of cluster-admin, or of a role as strong.
fn cluster_admin_bindings(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    let everything = [PolicyRule::resource(["*"], ["*"], ["*"])];
    for (i, b) in g.bindings().iter().enumerate() {
        let id = BindingId(i as u32);
        let Some((role_id, role)) = g.bound_role(id) else {
            continue;
        };
        if ctx.defaults.binding(id) || !crate::covers(&role.rules, &everything).0 {
            continue;
        }
        let role_ref = g.role_ref(role_id);
        let binding_ref = g.binding_ref(id);
        let (severity, scope) = match (b.kind, &b.namespace) {
            (BindingKind::RoleBinding, Some(ns)) => (Severity::High, format!("in namespace {ns}")),
            _ => (Severity::Critical, "cluster-wide".to_string()),
        };
        let subjects = ctx.subjects_of(id);
        let names: Vec<String> = subjects.iter().map(ToString::to_string).collect();
        // A default binding that only gained subjects: remove those.
        let extra = ctx.defaults_extra_subjects(id);
        let sites = match &extra {
            Some(extra) if !extra.is_empty() => subjects_site(ctx, id, extra),
            _ => vec![Site::Binding(id)],
        };
        let rule = role
            .rules
            .iter()
            .position(|r| crate::covers(std::slice::from_ref(r), &everything).0);
        for site in sites {
            let mut a = Atom::new(
                "CIS-5.1.1",
                severity,
                format!(
                    "{binding_ref} grants {role_ref} (every verb on every resource) {scope} to {}",
                    if names.is_empty() {
                        "no subject".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
                site,
            );
            a.object = Some(binding_ref.clone());
            a.principals = subjects.clone();
            a.rules.extend(rule.map(|r| (role_id, r)));
            a.cluster_wide = b.kind == BindingKind::ClusterRoleBinding;
            a.namespaces.extend(b.namespace.clone());
            out.push(a);
        }
    }
}

/// CIS 5.1.3: wildcards in roles.
fn wildcards(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    for (id, role) in ctx.own_roles() {
        let role_ref = g.role_ref(id);
        let mut severity = None;
        let mut rules = Vec::new();
        for (index, rule) in role.rules.iter().enumerate() {
            let verbs = rule.verbs.iter().any(|v| v == "*");
            let resources = rule
                .resources
                .iter()
                .any(|r| r == "*" || r.starts_with("*/"));
            let groups = rule.api_groups.iter().any(|g| g == "*");
            let urls = rule.non_resource_urls.iter().any(|u| u == "*");
            let s = match (verbs, resources, groups || urls) {
                (true, true, _) => Severity::High,
                (true, false, _) | (false, true, _) => Severity::Medium,
                (false, false, true) => Severity::Low,
                (false, false, false) => continue,
            };
            severity = severity.max(Some(s));
            rules.push(index);
        }
        let Some(severity) = severity else { continue };
        // Bound by its own bindings, and through the aggregated roles that
        // pick it by theirs: the fix is the role's, its principals the
        // subjects of its own bindings.
        let own = ctx.bindings_of_role(id);
        let through = ctx.bindings_through(id).len();
        let mut pickers: Vec<String> = g
            .aggregation
            .downstream(&[id.0 as usize])
            .into_iter()
            .filter_map(|r| g.roles().get(r).map(|x| x.name.clone()))
            .collect();
        pickers.sort();
        let mut a = Atom::new(
            "CIS-5.1.3",
            severity,
            format!(
                "{role_ref} uses `*` in {} rule(s); bound by {} binding(s){}",
                rules.len(),
                through,
                if pickers.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} of them its own and the rest those of the aggregated roles that pick it ({})",
                        own.len(),
                        pickers.join(", ")
                    )
                }
            ),
            Site::Role(id),
        );
        a.object = Some(role_ref);
        for b in &own {
            a.principals.extend(ctx.subjects_of(*b));
            a.objects.push(g.binding_ref(*b));
        }
        a.principals.sort();
        a.principals.dedup();
        a.rules = rules.iter().map(|&r| (id, r)).collect();
        a.edits = rules
            .into_iter()
            .map(|rule| RoleEdit::Wildcards { rule })
            .collect();
        out.push(a);
    }
}

/// Whether a workload's pods get a token, and the sentence saying why.
pub(crate) fn automount(ctx: &Ctx<'_>, w: &Workload) -> (bool, String) {
    let sa = ctx
        .graph
        .service_account(&w.namespace, &w.pod.service_account)
        .and_then(|s| s.automount_token);
    match (w.pod.automount_token, sa) {
        (Some(v), _) => (
            v,
            format!("the pod spec sets automountServiceAccountToken: {v}"),
        ),
        (None, Some(v)) => (
            v,
            format!(
                "ServiceAccount {}/{} sets automountServiceAccountToken: {v}",
                w.namespace, w.pod.service_account
            ),
        ),
        (None, None) => (
            true,
            "neither the pod spec nor the ServiceAccount sets automountServiceAccountToken, so the token is mounted".into(),
        ),
    }
}

pub(crate) fn workload_ref(w: &Workload) -> ObjectRef {
    ObjectRef {
        kind: w.kind.as_str().into(),
        name: w.name.clone(),
        namespace: Some(w.namespace.clone()),
        source: Some(w.source.clone()),
    }
}

fn sa_key(namespace: &str, name: &str) -> SubjectKey {
    SubjectKey {
        kind: SubjectKind::ServiceAccount,
        name: name.into(),
        namespace: namespace.into(),
    }
}

/// CIS 5.1.5: `default` service accounts bound to roles or used by
/// workloads that mount their token.
fn default_service_accounts(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    let mut namespaces: BTreeSet<String> = g.namespaces().into_iter().collect();
    namespaces.extend(
        g.subjects()
            .into_iter()
            .filter(|k| {
                k.kind == SubjectKind::ServiceAccount
                    && k.name == "default"
                    && !k.namespace.is_empty()
            })
            .map(|k| k.namespace.clone()),
    );
    for ns in namespaces {
        let subject = SubjectRef::service_account(&ns, "default");
        for (b, index) in ctx.direct_bindings(&sa_key(&ns, "default")) {
            let binding = g.binding_ref(b);
            for site in subjects_site(ctx, b, &[index]) {
                let mut a = Atom::new(
                    "CIS-5.1.5",
                    Severity::Medium,
                    format!(
                        "{subject} is bound by {binding}, which grants {}",
                        g.referenced_role(b)
                    ),
                    site,
                );
                a.subject = Some(subject.clone());
                a.principals.push(subject.clone());
                a.objects.push(binding.clone());
                a.namespaces.push(ns.clone());
                out.push(a);
            }
        }
        let users: Vec<(&Workload, String)> = g
            .workloads_of(&ns, "default")
            .into_iter()
            .filter_map(|id| {
                let w = g.workloads().get(id.0 as usize)?;
                let (mounted, why) = automount(ctx, w);
                mounted.then_some((w, why))
            })
            .collect();
        if users.is_empty() {
            continue;
        }
        let mut a = Atom::new(
            "CIS-5.1.5",
            Severity::Low,
            format!(
                "{subject} is the identity of {} workload(s) that mount its token",
                users.len()
            ),
            Site::Token(ns.clone(), "default".into()),
        );
        a.subject = Some(subject.clone());
        a.principals.push(subject.clone());
        for (w, why) in users {
            a.objects.push(workload_ref(w));
            a.facts.push(format!("{}: {why}", workload_ref(w)));
        }
        a.namespaces.push(ns.clone());
        out.push(a);
    }
}

/// CIS 5.1.6: tokens mounted where no binding gives them a use.
fn unused_tokens(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let mut used: HashSet<(String, String)> = HashSet::new();
    let mut unused: HashSet<(String, String)> = HashSet::new();
    for w in ctx.graph.workloads() {
        let (mounted, why) = automount(ctx, w);
        if !mounted {
            continue;
        }
        let sa = (w.namespace.clone(), w.pod.service_account.clone());
        let has_use = if used.contains(&sa) {
            true
        } else if unused.contains(&sa) {
            false
        } else {
            let group = SubjectKey {
                kind: SubjectKind::Group,
                name: format!("system:serviceaccounts:{}", w.namespace),
                namespace: String::new(),
            };
            let any = !ctx.direct_bindings(&sa_key(&sa.0, &sa.1)).is_empty()
                || !ctx.direct_bindings(&group).is_empty();
            if any {
                used.insert(sa.clone());
            } else {
                unused.insert(sa.clone());
            }
            any
        };
        if has_use {
            continue;
        }
        let subject = SubjectRef::service_account(&sa.0, &sa.1);
        let object = workload_ref(w);
        let mut a = Atom::new(
            "CIS-5.1.6",
            Severity::Low,
            format!("{object} mounts the token of {subject}, which no binding names"),
            Site::Token(sa.0.clone(), sa.1.clone()),
        );
        a.facts.push(why);
        a.facts.push(format!(
            "no binding names {subject} or Group system:serviceaccounts:{}",
            sa.0
        ));
        a.subject = Some(subject.clone());
        a.object = Some(object.clone());
        a.principals.push(subject);
        a.objects.push(object);
        a.namespaces.push(sa.0);
        out.push(a);
    }
}

/// CIS 5.1.7: `system:masters` named by bindings.
fn masters_bindings(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    for (i, b) in g.bindings().iter().enumerate() {
        let id = BindingId(i as u32);
        if ctx.defaults.binding(id) {
            continue;
        }
        let masters: Vec<usize> = b
            .subjects
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SubjectKind::Group && s.name == SYSTEM_MASTERS)
            .map(|(i, _)| i)
            .collect();
        if masters.is_empty() {
            continue;
        }
        let binding = g.binding_ref(id);
        for site in subjects_site(ctx, id, &masters) {
            let mut a = Atom::new(
                "CIS-5.1.7",
                Severity::High,
                format!(
                    "{binding} names Group system:masters, whose members bypass RBAC altogether"
                ),
                site,
            );
            a.subject = Some(SubjectRef::group(SYSTEM_MASTERS));
            a.object = Some(binding.clone());
            a.objects.push(g.referenced_role(id));
            a.principals.push(SubjectRef::group(SYSTEM_MASTERS));
            out.push(a);
        }
    }
}

/// RBAC-ANON-EXPOSURE: bindings to anonymous or to every authenticated
/// user beyond the defaults.
fn anonymous_exposure(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    for (i, b) in g.bindings().iter().enumerate() {
        let id = BindingId(i as u32);
        if ctx.defaults.binding(id) {
            continue;
        }
        let ns = b.namespace.as_deref().unwrap_or("");
        let exposed: Vec<(usize, SubjectRef)> = b
            .subjects
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let r = g.report_subject(id, s)?;
                let hit = (r.kind == "User" && r.name == SYSTEM_ANONYMOUS)
                    || (r.kind == "Group"
                        && (r.name == SYSTEM_UNAUTHENTICATED || r.name == SYSTEM_AUTHENTICATED));
                let _ = ns;
                hit.then_some((i, r))
            })
            .collect();
        if exposed.is_empty() {
            continue;
        }
        let anonymous = exposed.iter().any(|(_, s)| s.name != SYSTEM_AUTHENTICATED);
        let severity = if anonymous {
            Severity::High
        } else {
            Severity::Medium
        };
        let binding = g.binding_ref(id);
        let role = g.referenced_role(id);
        let who = if anonymous {
            "anonymous requests"
        } else {
            "every authenticated user and service account"
        };
        let scope = match &b.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "cluster-wide".to_string(),
        };
        let indexes: Vec<usize> = exposed.iter().map(|(i, _)| *i).collect();
        for site in subjects_site(ctx, id, &indexes) {
            let mut a = Atom::new(
                "RBAC-ANON-EXPOSURE",
                severity,
                format!("{binding} grants {role} {scope} to {who}"),
                site,
            );
            a.object = Some(binding.clone());
            a.principals = exposed.iter().map(|(_, s)| s.clone()).collect();
            if let Some((role_id, r)) = g.bound_role(id) {
                a.rules = (0..r.rules.len()).map(|k| (role_id, k)).collect();
            }
            a.cluster_wide = b.kind == BindingKind::ClusterRoleBinding;
            a.namespaces.extend(b.namespace.clone());
            out.push(a);
        }
    }
}

/// The name of an existing role a dangling roleRef likely meant (one edit
/// away, in the same namespace for a Role).
fn did_you_mean(ctx: &Ctx<'_>, b: BindingId) -> Option<String> {
    let g = ctx.graph;
    let binding = g.binding(b)?;
    let wanted = &binding.role_ref.name;
    let close = |name: &str| edit_distance(wanted, name) <= 2;
    g.roles()
        .iter()
        .filter(|r| r.kind.as_str() == binding.role_ref.kind)
        .filter(|r| r.kind.as_str() == "ClusterRole" || r.namespace == binding.namespace)
        .map(|r| r.name.as_str())
        .filter(|n| close(n))
        .min_by_key(|n| (edit_distance(wanted, n), *n))
        .map(str::to_string)
}

/// Levenshtein distance (small strings: role names).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// RBAC-DANGLING-ROLEREF.
fn dangling(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    for i in 0..g.bindings().len() {
        let id = BindingId(i as u32);
        let why = match g.resolution(id) {
            Some(RoleResolution::Resolved { .. }) | None => continue,
            Some(RoleResolution::Missing) => "does not exist".to_string(),
            Some(RoleResolution::Invalid { reason }) => reason.clone(),
        };
        let binding = g.binding_ref(id);
        let role = g.referenced_role(id);
        let mut a = Atom::new(
            "RBAC-DANGLING-ROLEREF",
            Severity::Low,
            format!("{binding} references {role}, which {why}; it grants nothing"),
            Site::Binding(id),
        );
        if let Some(name) = did_you_mean(ctx, id) {
            a.facts.push(format!(
                "a role named `{name}` exists: if the binding is wanted, recreate it with `roleRef.name: {name}` (a roleRef cannot be changed in place)"
            ));
        }
        a.object = Some(binding);
        a.principals = ctx.subjects_of(id);
        out.push(a);
    }
}

/// RBAC-DEAD-SUBJECT: subjects that can never match.
fn dead_subjects(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    for (i, b) in g.bindings().iter().enumerate() {
        let id = BindingId(i as u32);
        if ctx.defaults.binding(id) {
            continue;
        }
        for (index, s) in b.subjects.iter().enumerate() {
            if g.report_subject(id, s).is_some() {
                continue;
            }
            let binding = g.binding_ref(id);
            let why = match &s.kind {
                SubjectKind::ServiceAccount => format!(
                    "names ServiceAccount {} without a namespace; in a ClusterRoleBinding such a subject never matches",
                    s.name
                ),
                other => format!(
                    "names a subject of kind `{}` ({}), which never matches",
                    other.as_str(),
                    s.name
                ),
            };
            for site in subjects_site(ctx, id, &[index]) {
                let mut a = Atom::new(
                    "RBAC-DEAD-SUBJECT",
                    Severity::Low,
                    format!("{binding} subjects[{index}] {why}"),
                    site,
                );
                if s.kind == SubjectKind::ServiceAccount {
                    let homes: Vec<&str> = g
                        .service_accounts()
                        .iter()
                        .filter(|x| x.name == s.name)
                        .map(|x| x.namespace.as_str())
                        .collect();
                    if let [ns] = homes.as_slice() {
                        a.facts.push(format!(
                            "ServiceAccount {ns}/{} exists: to grant it what was meant, give the subject `namespace: {ns}` instead",
                            s.name
                        ));
                    }
                }
                a.object = Some(binding.clone());
                a.objects.push(g.referenced_role(id));
                out.push(a);
            }
        }
    }
}

/// RBAC-UNUSED-ROLE.
fn unused_roles(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    let mut contributors: HashSet<RoleId> = HashSet::new();
    for (i, role) in g.roles().iter().enumerate() {
        if role.aggregation.is_some() {
            contributors.extend(g.aggregated_from(RoleId(i as u32)));
        }
    }
    for i in 0..g.roles().len() {
        let id = RoleId(i as u32);
        if ctx.defaults.role(id)
            || contributors.contains(&id)
            || !ctx.bindings_of_role(id).is_empty()
        {
            continue;
        }
        // A dangling binding may name it by kind and name in another
        // namespace: only a role no roleRef names at all is unused.
        if ctx.referenced(id) {
            continue;
        }
        let role = g.role_ref(id);
        let mut a = Atom::new(
            "RBAC-UNUSED-ROLE",
            Severity::Info,
            format!("no binding references {role}"),
            Site::UnusedRole(id),
        );
        a.object = Some(role);
        out.push(a);
    }
}

/// RBAC-WORKLOAD-DEFAULT-SA.
fn workloads_on_default(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    for w in ctx.graph.workloads() {
        if w.pod.service_account != "default" {
            continue;
        }
        let (mounted, why) = automount(ctx, w);
        let object = workload_ref(w);
        let subject = SubjectRef::service_account(&w.namespace, "default");
        let site = if mounted {
            Site::Token(w.namespace.clone(), "default".into())
        } else {
            Site::OwnAccounts(w.namespace.clone())
        };
        let mut a = Atom::new(
            "RBAC-WORKLOAD-DEFAULT-SA",
            if mounted {
                Severity::Low
            } else {
                Severity::Info
            },
            format!(
                "{object} runs as {subject}, shared by every pod of the namespace that names no ServiceAccount"
            ),
            site,
        );
        a.facts.push(why);
        a.subject = Some(subject.clone());
        a.object = Some(object.clone());
        a.principals.push(subject);
        a.objects.push(object);
        a.namespaces.push(w.namespace.clone());
        out.push(a);
    }
}

/// RBAC-DEAD-RULE: `R/*` resources, which match nothing.
fn dead_rules(ctx: &Ctx<'_>, out: &mut Vec<Atom>) {
    let g = ctx.graph;
    for (id, role) in ctx.own_roles() {
        let role_ref = g.role_ref(id);
        for (index, rule) in role.rules.iter().enumerate() {
            let dead: Vec<String> = rule
                .resources
                .iter()
                .filter(|r| {
                    r.strip_suffix("/*")
                        .is_some_and(|base| !base.is_empty() && base != "*")
                })
                .cloned()
                .collect();
            if dead.is_empty() {
                continue;
            }
            let names: Vec<String> = dead.iter().map(|r| format!("`{r}`")).collect();
            let mut a = Atom::new(
                "RBAC-DEAD-RULE",
                Severity::Low,
                format!(
                    "{role_ref} rule {index} names {}, which RBAC never matches (`R/*` is not a wildcard)",
                    names.join(", ")
                ),
                Site::Role(id),
            );
            a.facts.push(
                "name the subresources (`pods/exec`, `pods/log`) or use `*/exec`: the patch only drops what matches nothing".into(),
            );
            a.object = Some(role_ref.clone());
            a.rules.push((id, index));
            a.edits.push(RoleEdit::DropResources {
                rule: index,
                resources: dead,
            });
            for b in ctx.bindings_through(id) {
                a.principals.extend(ctx.subjects_of(b));
            }
            a.principals.sort();
            a.principals.dedup();
            out.push(a);
        }
    }
}

/// The subjects of every default binding by name, to tell the subjects a
/// modified default binding gained.
pub(crate) fn default_subjects() -> BTreeMap<(String, String, String), Vec<crate::model::Subject>> {
    let policy = super::defaults::bootstrap_policy();
    policy
        .bindings()
        .iter()
        .map(|b| {
            (
                (
                    b.kind.as_str().to_string(),
                    b.namespace.clone().unwrap_or_default(),
                    b.name.clone(),
                ),
                b.subjects.clone(),
            )
        })
        .collect()
}

//! From findings to fixes: every finding names the place a fix changes (a
//! [`Site`]: a binding, one of its subjects, a role's rules, a service
//! account's token, a namespace's Pod Security label, …); findings of the
//! same site, and sites of the same kind repeated across namespaces (the
//! same Role or RoleBinding installed in many of them), make one fix. Each
//! fix is written as a [`Change`] (for the impact engine) and as patches.
//!
//! Who-can findings are aggregated straight from the grants (see
//! [`super::grants`]): a grant's site is the binding when the role cannot
//! be changed (a default or platform role, an aggregated role whose rule
//! comes from one, a rule with `*` resources or groups, cluster-admin
//! itself), when a ClusterRoleBinding grants namespaced permissions
//! everywhere (scope it down), or when the subject is an everyone-group (that
//! subject); otherwise it is the role, which loses the flagged verbs.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::checks::{self, default_subjects};
use super::controls::control;
use super::defaults::Defaults;
use super::grants::{self, Check, Hit};
use super::platform::{PlatformCatalog, PlatformMatch, platform_catalog};
use super::{
    AuditOptions, AuditReport, AuditSummary, ControlSummary, EvidenceStore, Finding, Fix,
    FixEvidence, FixImpact, FixKind, PathEvidence, Principals, Reachability, RuleEvidence,
    Severity, SeverityCounts, Suppressed, is_everyone,
};
use crate::graph::{BindingId, RbacGraph, RoleId, SubjectKey};
use crate::matching::resource_form_matches;
use crate::model::{BindingKind, PolicyRule, Role, RoleKind, SubjectKind};
use crate::query::authorize::Reason;
use crate::query::paths::impact::{Goal, PathEdges, ReachIndex, makes_cluster_admin};
use crate::query::paths::{AttackGraph, AttackNode, AttackPath, Evidence, Technique};
use crate::query::whatif::{Change, JsonPatchOp, ObjectPatch, PatchAction};
use crate::query::{ObjectRef, SubjectRef};
use crate::request::Request;

/// The verbs a `*` stands for on ordinary resources, when a fix narrows
/// it: the special verbs (`bind`, `escalate`, `impersonate`, `approve`,
/// `use`, …) are what it drops.
const STANDARD_VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Namespaces whose system pods need privileges: never labelled by a fix.
const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// The place a fix changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Site {
    /// Delete a binding.
    Binding(BindingId),
    /// Remove one subject from a binding.
    Subject(BindingId, u32),
    /// Rewrite a role's own rules.
    Role(RoleId),
    /// Delete a role no binding uses.
    UnusedRole(RoleId),
    /// Stop mounting a service account's token (namespace, name).
    Token(String, String),
    /// Give the workloads of a namespace that run as `default` (and do not
    /// mount its token) their own ServiceAccounts.
    OwnAccounts(String),
    /// Label a namespace `pod-security.kubernetes.io/enforce: baseline`.
    PodSecurity(String),
    /// Delete a legacy token Secret.
    Secret(usize),
    /// Move an object (kind, namespace, name, source document) to an
    /// apiVersion.
    ApiVersion {
        object: ObjectRef,
        from: String,
        to: String,
    },
}

/// A change to a role's rules a finding asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum RoleEdit {
    /// Stop granting a request (verb, group, resource, subresource) through a rule.
    Narrow {
        rule: usize,
        request: (String, String, String, String),
    },
    /// List the standard verbs instead of `*` in a rule.
    Wildcards { rule: usize },
    /// Drop resources from a rule.
    DropResources { rule: usize, resources: Vec<String> },
}

/// One finding of an object control, and the site that resolves it.
#[derive(Clone, Debug)]
pub(crate) struct Atom {
    pub(crate) control: &'static str,
    pub(crate) severity: Severity,
    pub(crate) subject: Option<SubjectRef>,
    pub(crate) object: Option<ObjectRef>,
    pub(crate) message: String,
    pub(crate) site: Site,
    pub(crate) edits: Vec<RoleEdit>,
    /// Evidence rules: (role, rule index).
    pub(crate) rules: Vec<(RoleId, usize)>,
    /// Evidence objects.
    pub(crate) objects: Vec<ObjectRef>,
    pub(crate) facts: Vec<String>,
    /// The subjects whose permissions or credentials the site changes.
    pub(crate) principals: Vec<SubjectRef>,
    pub(crate) namespaces: Vec<String>,
    pub(crate) cluster_wide: bool,
}

impl Atom {
    pub(crate) fn new(
        control: &'static str,
        severity: Severity,
        message: String,
        site: Site,
    ) -> Atom {
        Atom {
            control,
            severity,
            subject: None,
            object: None,
            message,
            site,
            edits: Vec::new(),
            rules: Vec::new(),
            objects: Vec::new(),
            facts: Vec::new(),
            principals: Vec::new(),
            namespaces: Vec::new(),
            cluster_wide: false,
        }
    }
}

/// What the controls need of the graph, computed once.
pub(crate) struct Ctx<'g> {
    pub(crate) graph: &'g RbacGraph,
    pub(crate) defaults: Defaults,
    pub(crate) platform: &'static PlatformCatalog,
    default_subjects: BTreeMap<(String, String, String), Vec<crate::model::Subject>>,
    /// (kind, namespace of a Role's roleRef or "", name) of every roleRef.
    role_refs: HashSet<(String, String, String)>,
    /// The origin of every rule of every aggregated ClusterRole.
    origins: HashMap<(RoleId, usize), (RoleId, usize)>,
    /// Per namespace: the ServiceAccount names taken (objects, subjects,
    /// workloads), for naming new ones.
    taken: BTreeMap<String, BTreeSet<String>>,
    /// Bindings by (kind, namespace or "", name).
    binding_ids: HashMap<(String, String, String), BindingId>,
}

impl<'g> Ctx<'g> {
    /// The roles whose rules are their own to fix: not defaults, and not
    /// aggregated (an aggregated role's rules are its contributors'; the
    /// findings go there).
    pub(crate) fn own_roles(&self) -> impl Iterator<Item = (RoleId, &'g Role)> + '_ {
        let g = self.graph;
        g.roles()
            .iter()
            .enumerate()
            .map(|(i, role)| (RoleId(i as u32), role))
            .filter(|(id, role)| !self.defaults.role(*id) && role.aggregation.is_none())
    }

    fn new(graph: &'g RbacGraph) -> Ctx<'g> {
        let role_refs = graph
            .bindings()
            .iter()
            .map(|b| {
                let ns = if b.role_ref.kind == "Role" {
                    b.namespace.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                (b.role_ref.kind.clone(), ns, b.role_ref.name.clone())
            })
            .collect();
        let mut taken: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for s in graph.service_accounts() {
            taken
                .entry(s.namespace.clone())
                .or_default()
                .insert(s.name.clone());
        }
        for k in graph.subjects() {
            if k.kind == SubjectKind::ServiceAccount {
                taken
                    .entry(k.namespace.clone())
                    .or_default()
                    .insert(k.name.clone());
            }
        }
        for w in graph.workloads() {
            taken
                .entry(w.namespace.clone())
                .or_default()
                .insert(w.pod.service_account.clone());
        }
        let mut ctx = Ctx {
            graph,
            defaults: Defaults::of(graph),
            platform: platform_catalog(),
            default_subjects: default_subjects(),
            role_refs,
            origins: HashMap::new(),
            taken,
            binding_ids: graph
                .bindings()
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    (
                        (
                            b.kind.as_str().to_string(),
                            b.namespace.clone().unwrap_or_default(),
                            b.name.clone(),
                        ),
                        BindingId(i as u32),
                    )
                })
                .collect(),
        };
        for (i, role) in graph.roles().iter().enumerate() {
            if role.aggregation.is_none() {
                continue;
            }
            let id = RoleId(i as u32);
            let first = ctx.first_sources(id);
            for (rule, r) in role.rules.iter().enumerate() {
                if let Some(&origin) = first.get(r) {
                    ctx.origins.insert((id, rule), origin);
                }
            }
        }
        ctx
    }

    /// A binding's subjects as reported, sorted (dead ones aside).
    pub(crate) fn subjects_of(&self, b: BindingId) -> Vec<SubjectRef> {
        let mut out: Vec<SubjectRef> = self
            .graph
            .binding(b)
            .map(|x| {
                x.subjects
                    .iter()
                    .filter_map(|s| self.graph.report_subject(b, s))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out.dedup();
        out
    }

    /// The bindings of a role.
    pub(crate) fn bindings_of_role(&self, role: RoleId) -> Vec<BindingId> {
        let mut out: Vec<BindingId> = self.graph.index.cluster_bindings_of(role).to_vec();
        out.extend_from_slice(self.graph.index.role_bindings_of(role));
        out.sort();
        out
    }

    /// The bindings of a role and of every aggregated role that picks it.
    pub(crate) fn bindings_through(&self, role: RoleId) -> Vec<BindingId> {
        let mut roles = vec![role];
        roles.extend(
            self.graph
                .aggregation
                .downstream(&[role.0 as usize])
                .into_iter()
                .map(|r| RoleId(r as u32)),
        );
        let mut out: Vec<BindingId> = roles
            .into_iter()
            .flat_map(|r| self.bindings_of_role(r))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Whether some binding's roleRef names the role.
    pub(crate) fn referenced(&self, role: RoleId) -> bool {
        self.graph.role(role).is_some_and(|r| {
            self.role_refs.contains(&(
                r.kind.as_str().to_string(),
                r.namespace.clone().unwrap_or_default(),
                r.name.clone(),
            ))
        })
    }

    /// The non-default bindings that name a subject directly, with the
    /// subject's index in each.
    pub(crate) fn direct_bindings(&self, key: &SubjectKey) -> Vec<(BindingId, usize)> {
        let mut out: Vec<(BindingId, usize)> = self
            .graph
            .bindings_of(key)
            .into_iter()
            .filter(|(b, _)| !self.defaults.binding(*b))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// For a binding named like a default one with the same roleRef: the
    /// indexes of the subjects the default does not have.
    pub(crate) fn defaults_extra_subjects(&self, b: BindingId) -> Option<Vec<usize>> {
        let binding = self.graph.binding(b)?;
        let key = (
            binding.kind.as_str().to_string(),
            binding.namespace.clone().unwrap_or_default(),
            binding.name.clone(),
        );
        let defaults = self.default_subjects.get(&key)?;
        let policy = super::defaults::bootstrap_policy();
        let same_ref = policy.bindings().iter().any(|d| {
            d.kind == binding.kind
                && d.namespace == binding.namespace
                && d.name == binding.name
                && d.role_ref.name == binding.role_ref.name
                && d.role_ref.kind == binding.role_ref.kind
        });
        if !same_ref {
            return None;
        }
        Some(
            binding
                .subjects
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    !defaults
                        .iter()
                        .any(|d| d.kind == s.kind && d.name == s.name && d.namespace == s.namespace)
                })
                .map(|(i, _)| i)
                .collect(),
        )
    }

    /// The role and own rule a rule of a role comes from: itself, or for an
    /// aggregated ClusterRole the first role it picked (through other
    /// aggregated roles) that has the rule.
    fn origin(&self, role: RoleId, rule: usize) -> (RoleId, usize) {
        self.origins
            .get(&(role, rule))
            .copied()
            .unwrap_or((role, rule))
    }

    /// For an aggregated ClusterRole: every rule of the roles it picks
    /// (through other aggregated roles), with the first role and rule index
    /// that has it.
    fn first_sources(&self, role: RoleId) -> HashMap<&'g PolicyRule, (RoleId, usize)> {
        let g = self.graph;
        let mut out: HashMap<&'g PolicyRule, (RoleId, usize)> = HashMap::new();
        let mut stack: Vec<RoleId> = g.aggregated_from(role);
        stack.reverse();
        let mut seen: HashSet<RoleId> = HashSet::new();
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            let Some(x) = g.role(c) else { continue };
            if x.aggregation.is_some() {
                let mut more = g.aggregated_from(c);
                more.reverse();
                stack.extend(more);
                continue;
            }
            for (i, r) in x.rules.iter().enumerate() {
                out.entry(r).or_insert((c, i));
            }
        }
        out
    }

    /// The site of a grant (see the module docs).
    fn grant_site(
        &self,
        b: BindingId,
        subject_index: u32,
        subject: &SubjectRef,
        role: RoleId,
        rule: usize,
        namespaced: bool,
    ) -> Site {
        let g = self.graph;
        let Some(binding) = g.binding(b) else {
            return Site::Binding(b);
        };
        if is_everyone(subject) {
            return if binding.subjects.len() <= 1 {
                Site::Binding(b)
            } else {
                Site::Subject(b, subject_index)
            };
        }
        let (origin, origin_rule) = self.origin(role, rule);
        let rule_ok = g
            .role(origin)
            .and_then(|r| r.rules.get(origin_rule))
            .is_some_and(|r| narrowable(r) && !makes_cluster_admin(r));
        if !rule_ok || !self.editable(origin) {
            return Site::Binding(b);
        }
        if binding.kind == BindingKind::ClusterRoleBinding && namespaced {
            return Site::Binding(b);
        }
        Site::Role(origin)
    }

    /// Whether a fix may rewrite a role (it is the user's own).
    fn editable(&self, role: RoleId) -> bool {
        let Some(r) = self.graph.role(role) else {
            return false;
        };
        !self.defaults.role(role) && r.aggregation.is_none() && self.platform.role(r).is_none()
    }
}

/// Whether a rule can be narrowed verb by verb: explicit resources and
/// groups, and it does not make its holder cluster-admin.
fn narrowable(rule: &PolicyRule) -> bool {
    !rule.resources.is_empty()
        && !rule
            .resources
            .iter()
            .any(|r| r == "*" || r.starts_with("*/"))
        && !rule.api_groups.iter().any(|g| g == "*")
}

/// Interns values as dense ids.
struct Interner<T> {
    items: Vec<T>,
    ids: HashMap<T, u32>,
}

impl<T: Clone + Eq + Hash> Interner<T> {
    fn new() -> Self {
        Interner {
            items: Vec::new(),
            ids: HashMap::new(),
        }
    }

    fn id(&mut self, item: &T) -> u32 {
        if let Some(&i) = self.ids.get(item) {
            return i;
        }
        let i = self.items.len() as u32;
        self.items.push(item.clone());
        self.ids.insert(item.clone(), i);
        i
    }

    fn get(&self, id: u32) -> Option<&T> {
        self.items.get(id as usize)
    }
}

/// What the findings of one site add up to.
#[derive(Debug)]
struct SiteAcc {
    site: Site,
    controls: BTreeSet<&'static str>,
    severity: Severity,
    everyone: bool,
    subjects: Vec<u32>,
    namespaces: Vec<u32>,
    cluster_wide: bool,
    /// Evidence rules: (role, rule index) → the flagged requests' templates
    /// (a bit per [`Collector::templates`] entry).
    rules: BTreeMap<(RoleId, usize), u64>,
    edits: BTreeSet<RoleEdit>,
    /// For a role site: (own rule index, check, template) to stop granting.
    flags: BTreeSet<(usize, u16, u16)>,
    bindings: Vec<BindingId>,
    objects: Vec<ObjectRef>,
    facts: Vec<String>,
    findings: Vec<u32>,
}

impl SiteAcc {
    fn new(site: Site) -> SiteAcc {
        SiteAcc {
            site,
            controls: BTreeSet::new(),
            severity: Severity::Info,
            everyone: false,
            subjects: Vec::new(),
            namespaces: Vec::new(),
            cluster_wide: false,
            rules: BTreeMap::new(),
            edits: BTreeSet::new(),
            flags: BTreeSet::new(),
            bindings: Vec::new(),
            objects: Vec::new(),
            facts: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn absorb(&mut self, other: SiteAcc) {
        self.controls.extend(other.controls);
        self.severity = self.severity.max(other.severity);
        self.everyone |= other.everyone;
        self.subjects.extend(other.subjects);
        self.namespaces.extend(other.namespaces);
        self.cluster_wide |= other.cluster_wide;
        for (k, v) in other.rules {
            *self.rules.entry(k).or_default() |= v;
        }
        self.edits.extend(other.edits);
        self.flags.extend(other.flags);
        self.bindings.extend(other.bindings);
        self.objects.extend(other.objects);
        self.facts.extend(other.facts);
        self.findings.extend(other.findings);
    }
}

/// A finding under construction.
#[derive(Debug)]
struct Draft {
    control: &'static str,
    severity: Severity,
    subject: Option<u32>,
    object: Option<ObjectRef>,
    /// An object control's message; who-can findings are described from
    /// `grant` when asked.
    message: Option<String>,
    grant: Option<GrantSummary>,
    sites: BTreeSet<u32>,
}

/// What a who-can finding adds up to.
#[derive(Debug, Default)]
struct GrantSummary {
    check: u16,
    templates: u64,
    cluster_wide: bool,
    namespaces: BTreeSet<u32>,
    unnamed: bool,
    names: BTreeSet<String>,
}

/// Gathers findings into sites.
struct Collector<'c, 'g> {
    ctx: &'c Ctx<'g>,
    checks: Vec<Check>,
    /// Every check's templates, flattened: the bit of a template in masks.
    templates: Vec<(u16, u16)>,
    template_bit: HashMap<(u16, u16), u32>,
    subjects: Interner<SubjectRef>,
    namespaces: Interner<String>,
    sites: Vec<SiteAcc>,
    site_ix: HashMap<Site, u32>,
    drafts: Vec<Draft>,
    grant_drafts: HashMap<(u16, u32), u32>,
    suppressed: Vec<Suppressed>,
}

impl<'c, 'g> Collector<'c, 'g> {
    fn new(ctx: &'c Ctx<'g>) -> Self {
        let checks = grants::checks();
        let mut templates = Vec::new();
        let mut template_bit = HashMap::new();
        for (ci, c) in checks.iter().enumerate() {
            for ti in 0..c.templates.len() {
                template_bit.insert((ci as u16, ti as u16), templates.len() as u32);
                templates.push((ci as u16, ti as u16));
            }
        }
        Collector {
            ctx,
            checks,
            templates,
            template_bit,
            subjects: Interner::new(),
            namespaces: Interner::new(),
            sites: Vec::new(),
            site_ix: HashMap::new(),
            drafts: Vec::new(),
            grant_drafts: HashMap::new(),
            suppressed: Vec::new(),
        }
    }

    fn site(&mut self, site: &Site) -> u32 {
        site_id(&mut self.sites, &mut self.site_ix, site.clone())
    }

    fn bit(&self, check: u16, template: u16) -> u64 {
        self.template_bit
            .get(&(check, template))
            .map_or(0, |&b| if b < 64 { 1u64 << b } else { 0 })
    }

    /// An object control's finding.
    fn absorb(&mut self, atom: Atom, ignore: &super::IgnoreRules) {
        let finding = Finding {
            control: atom.control.to_string(),
            severity: atom.severity,
            subject: atom.subject.clone(),
            object: atom.object.clone(),
            message: atom.message.clone(),
            fixes: Vec::new(),
        };
        let mut objects: Vec<ObjectRef> = atom.object.iter().cloned().collect();
        objects.extend(atom.objects.iter().cloned());
        let subjects: Vec<SubjectRef> = atom.subject.iter().cloned().collect();
        if let Some((rule_index, rule)) = ignore.matching(&[atom.control], &subjects, &objects) {
            self.suppressed.push(Suppressed {
                finding,
                reason: rule.reason.clone(),
                rule_index,
            });
            return;
        }
        let s = self.site(&atom.site);
        let subject = atom.subject.as_ref().map(|x| self.subjects.id(x));
        let principals: Vec<u32> = atom
            .principals
            .iter()
            .map(|x| self.subjects.id(x))
            .collect();
        let namespaces: Vec<u32> = atom
            .namespaces
            .iter()
            .map(|x| self.namespaces.id(x))
            .collect();
        let d = self.drafts.len() as u32;
        self.drafts.push(Draft {
            control: atom.control,
            severity: atom.severity,
            subject,
            object: atom.object,
            message: Some(atom.message),
            grant: None,
            sites: BTreeSet::from([s]),
        });
        let Some(acc) = self.sites.get_mut(s as usize) else {
            return;
        };
        acc.controls.insert(atom.control);
        acc.severity = acc.severity.max(atom.severity);
        acc.subjects.extend(principals);
        acc.namespaces.extend(namespaces);
        acc.cluster_wide |= atom.cluster_wide;
        for r in atom.rules {
            acc.rules.entry(r).or_default();
        }
        acc.edits.extend(atom.edits);
        acc.objects.extend(atom.objects);
        acc.facts.extend(atom.facts);
        acc.findings.push(d);
    }

    /// Every grant, into who-can findings and sites: role by role, binding
    /// by binding, subject by subject, each site and finding updated once
    /// per binding subject.
    fn grants(&mut self, hits: &BTreeMap<RoleId, Vec<Hit>>, ignore: &super::IgnoreRules) {
        /// What a hit of a role is, the same for every binding of the role.
        struct RoleHit {
            hit: Hit,
            bit: u64,
            named: bool,
            namespaced: bool,
            origin: (RoleId, usize),
            /// The origin rule can be narrowed in the origin role.
            editable: bool,
        }
        let g = self.ctx.graph;
        let n_checks = self.checks.len();
        let mut role_sites: HashMap<RoleId, u32> = HashMap::new();
        let mut role_done: HashSet<(u32, RoleId)> = HashSet::new();
        for (&role, role_hits) in hits {
            let prepared: Vec<RoleHit> = role_hits
                .iter()
                .filter_map(|&hit| {
                    let template = self
                        .checks
                        .get(hit.check as usize)?
                        .templates
                        .get(hit.template as usize)?;
                    let rule = g.role(role)?.rules.get(hit.rule as usize)?;
                    let origin = self.ctx.origin(role, hit.rule as usize);
                    let editable = self.ctx.editable(origin.0)
                        && g.role(origin.0)
                            .and_then(|r| r.rules.get(origin.1))
                            .is_some_and(|r| narrowable(r) && !makes_cluster_admin(r));
                    Some(RoleHit {
                        hit,
                        bit: self.bit(hit.check, hit.template),
                        named: !rule.resource_names.is_empty(),
                        namespaced: template.namespaced,
                        origin,
                        editable,
                    })
                })
                .collect();
            let mut bindings: Vec<BindingId> = g.index.cluster_bindings_of(role).to_vec();
            bindings.extend_from_slice(g.index.role_bindings_of(role));
            for b in bindings {
                if !grants::reported(&self.ctx.defaults, b) {
                    continue;
                }
                let Some(binding) = g.binding(b) else {
                    continue;
                };
                let cluster = binding.kind == BindingKind::ClusterRoleBinding;
                let ns = binding
                    .namespace
                    .as_ref()
                    .filter(|_| !cluster)
                    .map(|n| self.namespaces.id(n));
                let mut binding_site: Option<u32> = None;
                for (si, s) in binding.subjects.iter().enumerate() {
                    let Some(subject) = grants::counts(g, b, s) else {
                        continue;
                    };
                    let sid = self.subjects.id(&subject);
                    let everyone = is_everyone(&subject);
                    let everyone_site = everyone.then(|| {
                        let site = if binding.subjects.len() <= 1 {
                            Site::Binding(b)
                        } else {
                            Site::Subject(b, si as u32)
                        };
                        self.site(&site)
                    });
                    // Per check: templates, scope and names; per site: checks
                    // and severity.
                    let mut per_check: Vec<Option<GrantSummary>> =
                        (0..n_checks).map(|_| None).collect();
                    let mut check_sites: Vec<Vec<u32>> = vec![Vec::new(); n_checks];
                    let mut touched: Vec<(u32, u32, Severity)> = Vec::new();
                    let mut suppressed_checks: BTreeSet<u16> = BTreeSet::new();
                    for rh in &prepared {
                        if !cluster && !rh.namespaced {
                            continue;
                        }
                        let Some(check) = self.checks.get(rh.hit.check as usize) else {
                            continue;
                        };
                        if !ignore.is_empty() {
                            let objects = [g.binding_ref(b), g.role_ref(role)];
                            if let Some((rule_index, rule)) = ignore.matching(
                                &[check.id],
                                std::slice::from_ref(&subject),
                                &objects,
                            ) {
                                if suppressed_checks.insert(rh.hit.check) {
                                    self.suppressed.push(Suppressed {
                                        finding: Finding {
                                            control: check.id.to_string(),
                                            severity: check.severity(cluster, false),
                                            subject: Some(subject.clone()),
                                            object: Some(g.binding_ref(b)),
                                            message: format!(
                                                "{subject} can {} through {} ({})",
                                                check.what,
                                                g.binding_ref(b),
                                                g.referenced_role(b)
                                            ),
                                            fixes: Vec::new(),
                                        },
                                        reason: rule.reason.clone(),
                                        rule_index,
                                    });
                                }
                                continue;
                            }
                        }
                        let site = match everyone_site {
                            Some(x) => x,
                            None if !rh.editable || (cluster && rh.namespaced) => *binding_site
                                .get_or_insert_with(|| {
                                    site_id(&mut self.sites, &mut self.site_ix, Site::Binding(b))
                                }),
                            None => match role_sites.get(&rh.origin.0) {
                                Some(&x) => x,
                                None => {
                                    let x = site_id(
                                        &mut self.sites,
                                        &mut self.site_ix,
                                        Site::Role(rh.origin.0),
                                    );
                                    role_sites.insert(rh.origin.0, x);
                                    x
                                }
                            },
                        };
                        let severity = check.severity(cluster, rh.named);
                        if let Some(sum) = per_check.get_mut(rh.hit.check as usize) {
                            let sum = sum.get_or_insert_with(|| GrantSummary {
                                check: rh.hit.check,
                                ..GrantSummary::default()
                            });
                            sum.templates |= rh.bit;
                            sum.cluster_wide |= cluster;
                            if rh.named {
                                if let Some(r) =
                                    g.role(role).and_then(|r| r.rules.get(rh.hit.rule as usize))
                                {
                                    sum.names.extend(r.resource_names.iter().cloned());
                                }
                            } else {
                                sum.unnamed = true;
                            }
                        }
                        if let Some(x) = check_sites.get_mut(rh.hit.check as usize)
                            && !x.contains(&site)
                        {
                            x.push(site);
                        }
                        match touched.iter_mut().find(|(s, _, _)| *s == site) {
                            Some((_, checks, sev)) => {
                                *checks |= 1 << rh.hit.check;
                                *sev = (*sev).max(severity);
                            }
                            None => touched.push((site, 1 << rh.hit.check, severity)),
                        }
                        // The rules a site removes: the same for every
                        // binding of the role.
                        if role_done.contains(&(site, role)) {
                            continue;
                        }
                        let Some(acc) = self.sites.get_mut(site as usize) else {
                            continue;
                        };
                        if matches!(acc.site, Site::Role(_)) {
                            *acc.rules.entry(rh.origin).or_default() |= rh.bit;
                            acc.flags
                                .insert((rh.origin.1, rh.hit.check, rh.hit.template));
                        } else {
                            *acc.rules.entry((role, rh.hit.rule as usize)).or_default() |= rh.bit;
                        }
                    }
                    for &(site, checks, severity) in &touched {
                        if matches!(
                            self.sites.get(site as usize).map(|a| &a.site),
                            Some(Site::Role(_))
                        ) {
                            role_done.insert((site, role));
                        }
                        let Some(acc) = self.sites.get_mut(site as usize) else {
                            continue;
                        };
                        for (ci, check) in self.checks.iter().enumerate() {
                            if checks & (1 << ci) != 0 {
                                acc.controls.insert(check.id);
                            }
                        }
                        acc.severity = acc.severity.max(severity);
                        acc.subjects.push(sid);
                        acc.bindings.push(b);
                        acc.namespaces.extend(ns);
                        acc.cluster_wide |= cluster;
                        acc.everyone |= everyone;
                    }
                    for (ci, sum) in per_check.into_iter().enumerate() {
                        let Some(sum) = sum else { continue };
                        let Some(check) = self.checks.get(ci) else {
                            continue;
                        };
                        let d = match self.grant_drafts.get(&(ci as u16, sid)) {
                            Some(&d) => d,
                            None => {
                                let d = self.drafts.len() as u32;
                                self.drafts.push(Draft {
                                    control: check.id,
                                    severity: Severity::Info,
                                    subject: Some(sid),
                                    object: None,
                                    message: None,
                                    grant: Some(GrantSummary {
                                        check: ci as u16,
                                        ..GrantSummary::default()
                                    }),
                                    sites: BTreeSet::new(),
                                });
                                self.grant_drafts.insert((ci as u16, sid), d);
                                d
                            }
                        };
                        let sites = check_sites.get(ci).cloned().unwrap_or_default();
                        for &site in &sites {
                            if let Some(acc) = self.sites.get_mut(site as usize)
                                && acc.findings.last() != Some(&d)
                            {
                                acc.findings.push(d);
                            }
                        }
                        if let Some(draft) = self.drafts.get_mut(d as usize) {
                            draft.sites.extend(sites);
                            if let Some(total) = draft.grant.as_mut() {
                                total.templates |= sum.templates;
                                total.cluster_wide |= sum.cluster_wide;
                                total.namespaces.extend(ns);
                                total.unnamed |= sum.unnamed;
                                total.names.extend(sum.names);
                                let base = check.severity(total.cluster_wide, !total.unnamed);
                                // A grant to everyone ranks as one: a level up.
                                draft.severity = if everyone && base >= Severity::Medium {
                                    base.raised()
                                } else {
                                    base
                                };
                            }
                        }
                    }
                }
            }
        }
        for acc in &mut self.sites {
            acc.findings.sort_unstable();
            acc.findings.dedup();
        }
    }

    /// A who-can finding's sentence.
    /// The requests of a set of templates (a bit each), described, sorted
    /// and without repeats.
    fn described(&self, mask: u64) -> Vec<String> {
        let mut requests: BTreeSet<String> = BTreeSet::new();
        for (bit, (ci, ti)) in self.templates.iter().enumerate() {
            if bit >= 64 || mask & (1 << bit) == 0 {
                continue;
            }
            if let Some(t) = self
                .checks
                .get(*ci as usize)
                .and_then(|c| c.templates.get(*ti as usize))
            {
                requests.insert(t.describe());
            }
        }
        requests.into_iter().collect()
    }

    fn grant_message(&self, d: &Draft) -> String {
        let Some(sum) = &d.grant else {
            return d.message.clone().unwrap_or_default();
        };
        let subject = d
            .subject
            .and_then(|s| self.subjects.get(s))
            .map(ToString::to_string)
            .unwrap_or_default();
        let what = self.checks.get(sum.check as usize).map_or("", |c| c.what);
        let requests = self.described(sum.templates);
        let scope = if sum.cluster_wide {
            "cluster-wide".to_string()
        } else {
            let names: Vec<&String> = sum
                .namespaces
                .iter()
                .filter_map(|&n| self.namespaces.get(n))
                .collect();
            format!("in {} namespace(s): {}", names.len(), listed(&names, 10))
        };
        let mut message = format!("{subject} can {what} ({}) {scope}", listed(&requests, 6));
        if !sum.unnamed {
            let names: Vec<&String> = sum.names.iter().collect();
            message.push_str(&format!(", limited to the names {}", listed(&names, 10)));
        }
        message
    }
}

/// The id of a site, made on first use.
fn site_id(sites: &mut Vec<SiteAcc>, ix: &mut HashMap<Site, u32>, site: Site) -> u32 {
    if let Some(&i) = ix.get(&site) {
        return i;
    }
    let i = sites.len() as u32;
    sites.push(SiteAcc::new(site.clone()));
    ix.insert(site, i);
    i
}

/// Up to `n` items, then how many more.
fn listed<T: std::fmt::Display>(items: &[T], n: usize) -> String {
    let shown: Vec<String> = items.iter().take(n).map(ToString::to_string).collect();
    if items.len() > n {
        format!("{} and {} more", shown.join(", "), items.len() - n)
    } else {
        shown.join(", ")
    }
}

/// Namespaces that admit privileged pods where someone (not a default) may
/// create pods, and whose workloads would all pass `baseline`: the Pod
/// Security label is a fix there.
fn pod_security(
    ctx: &Ctx<'_>,
    hits: &BTreeMap<RoleId, Vec<Hit>>,
    checks: &[Check],
    out: &mut Vec<Atom>,
) {
    use crate::query::paths::techniques::{escape_reasons, privileged_pods_admitted};
    let g = ctx.graph;
    let Some(create_pods) = checks.iter().position(|c| c.id == "CIS-5.1.4") else {
        return;
    };
    let mut everywhere = false;
    let mut creators: BTreeMap<String, BTreeSet<SubjectRef>> = BTreeMap::new();
    let mut everywhere_subjects: BTreeSet<SubjectRef> = BTreeSet::new();
    for (&role, role_hits) in hits {
        if !role_hits.iter().any(|h| h.check as usize == create_pods) {
            continue;
        }
        let mut bindings: Vec<BindingId> = g.index.cluster_bindings_of(role).to_vec();
        bindings.extend_from_slice(g.index.role_bindings_of(role));
        for b in bindings {
            if !grants::reported(&ctx.defaults, b) {
                continue;
            }
            // The platform's own controllers create pods where they must.
            let Some(binding) = g.binding(b).filter(|x| ctx.platform.binding(x).is_none()) else {
                continue;
            };
            for s in &binding.subjects {
                let Some(s) = grants::counts(g, b, s) else {
                    continue;
                };
                match (&binding.kind, &binding.namespace) {
                    (BindingKind::RoleBinding, Some(ns)) => {
                        creators.entry(ns.clone()).or_default().insert(s);
                    }
                    _ => {
                        everywhere = true;
                        everywhere_subjects.insert(s);
                    }
                }
            }
        }
    }
    let mut needs_privileges: BTreeSet<&str> = BTreeSet::new();
    for w in g.workloads() {
        let pod = &w.pod;
        if !escape_reasons(pod).is_empty()
            || pod.host_pid
            || pod.host_ipc
            || pod.host_network
            || !pod.host_paths.is_empty()
        {
            needs_privileges.insert(w.namespace.as_str());
        }
    }
    let mut namespaces: BTreeSet<String> = g.namespaces().into_iter().collect();
    if !everywhere {
        namespaces.retain(|ns| creators.contains_key(ns));
    }
    for ns in namespaces {
        if SYSTEM_NAMESPACES.contains(&ns.as_str()) || needs_privileges.contains(ns.as_str()) {
            continue;
        }
        let object = g.namespace_object(&ns);
        let (admitted, why) = privileged_pods_admitted(object);
        if !admitted {
            continue;
        }
        let who: BTreeSet<SubjectRef> = creators.remove(&ns).unwrap_or_default();
        let everywhere = if everywhere_subjects.is_empty() {
            String::new()
        } else {
            format!(
                ", and {} more may create pods in every namespace",
                everywhere_subjects.len()
            )
        };
        let mut a = Atom::new(
            "POD-SECURITY-PRIVILEGED",
            Severity::Medium,
            format!(
                "namespace {ns} admits privileged pods ({why}); {} subject(s) may create pods there through its RoleBindings{everywhere}",
                who.len()
            ),
            Site::PodSecurity(ns.clone()),
        );
        a.object = Some(super::object_ref(
            "Namespace",
            &ns,
            None,
            object.map(|o| &o.source),
        ));
        a.facts.push(
            "no workload loaded in the namespace needs privileges (privileged containers, host namespaces, hostPath), so `baseline` admits them all".into(),
        );
        a.principals = who.into_iter().collect();
        a.namespaces.push(ns);
        out.push(a);
    }
}

/// Runs the audit; with paths on, on `prebuilt` when given (an attack graph
/// built with [`crate::query::paths::AttackGraphBuilder::what_if`] and the
/// audit's path options), else on one it builds.
pub(crate) fn run(
    graph: &RbacGraph,
    options: &AuditOptions,
    prebuilt: Option<&AttackGraph<'_>>,
) -> AuditReport {
    let ctx = Ctx::new(graph);
    let mut notes = Vec::new();
    // The attack graph (for the paths) is built on another core while the
    // checks look at the RBAC objects: neither reads what the other makes.
    let build_attack = || {
        (options.paths && prebuilt.is_none()).then(|| {
            AttackGraph::builder(graph)
                .options(options.path_options.clone())
                .what_if(true)
                .build()
        })
    };
    let (attack, mut c) = crate::parallel::join(build_attack, || {
        let mut atoms = Vec::new();
        checks::run(&ctx, &mut atoms);
        match options.target_version {
            Some(v) => super::upgrade::run(&ctx, v, &mut atoms),
            None => notes.push(
                "upgrade-readiness checks (UPGRADE-*) skipped: no target version given".into(),
            ),
        }
        let mut c = Collector::new(&ctx);
        let hits = grants::hits(graph, &c.checks);
        pod_security(&ctx, &hits, &c.checks, &mut atoms);
        c.grants(&hits, &options.ignore);
        drop(hits);
        for atom in atoms {
            c.absorb(atom, &options.ignore);
        }
        c
    });
    let attack = prebuilt.or(attack.as_ref()).filter(|_| options.paths);
    let index = attack.map(|a| ReachIndex::new(a, options.max_depth));
    let mut exposure = None;
    if let Some(index) = &index {
        exposure = Some(cover(&ctx, &mut c, index, &options.ignore));
    } else {
        notes.push(
            "escalation paths were not computed (paths off): no fix has an impact, and severities rank by the permission alone"
                .into(),
        );
    }
    finish(&ctx, c, index.as_ref(), exposure, options, notes)
}

/// Reaching principals, and which are the API server's or a platform's.
struct Exposure {
    cluster_admin: usize,
    bound: usize,
    nodes: usize,
    exempt: Vec<SubjectRef>,
}

/// The identities no fix is asked of: subjects of default or platform
/// bindings, kubelets, and the platform's identities.
fn exempt(ctx: &Ctx<'_>, s: &SubjectRef) -> bool {
    let g = ctx.graph;
    if s.kind == "User"
        && s.name
            .starts_with(crate::query::paths::NODE_USERNAME_PREFIX)
    {
        return true;
    }
    if ctx
        .platform
        .identity(&s.kind, &s.name, s.namespace.as_deref())
        .is_some()
    {
        return true;
    }
    let key = SubjectKey {
        kind: SubjectKind::parse(&s.kind),
        name: s.name.clone(),
        namespace: s.namespace.clone().unwrap_or_default(),
    };
    g.bindings_of(&key).into_iter().any(|(b, _)| {
        ctx.defaults.binding(b)
            || g.binding(b)
                .is_some_and(|x| ctx.platform.binding(x).is_some())
    })
}

/// A principal node as a subject.
fn node_subject(n: &AttackNode, attack: &AttackGraph<'_>) -> Option<SubjectRef> {
    if !n.is_principal() {
        return None;
    }
    let r = attack.node_ref(n);
    Some(SubjectRef {
        kind: r.kind,
        name: r.name,
        namespace: r.namespace,
    })
}

/// Expands subjects into the principals they admit (a group: itself and
/// its known members).
fn expand(ctx: &Ctx<'_>, subjects: impl Iterator<Item = SubjectRef>) -> BTreeSet<SubjectRef> {
    let g = ctx.graph;
    let mut out = BTreeSet::new();
    for s in subjects {
        let kind = SubjectKind::parse(&s.kind);
        let ns = s.namespace.clone().unwrap_or_default();
        for p in g.index.admitted(&kind, &s.name, &ns) {
            if let Some(x) = g.principals().get(p) {
                out.insert(x.clone());
            }
        }
        out.insert(s);
    }
    out
}

/// Makes sure every reaching principal that is not exempt is affected by
/// some site: for one that is not, the permissions of the first step of
/// its shortest path become findings of `RBAC-ESCALATION-PATH`.
fn cover(
    ctx: &Ctx<'_>,
    c: &mut Collector<'_, '_>,
    index: &ReachIndex<'_, '_>,
    ignore: &super::IgnoreRules,
) -> Exposure {
    let attack = index.attack();
    let mut covered: HashSet<SubjectRef> = HashSet::new();
    let mut groups: BTreeSet<SubjectRef> = BTreeSet::new();
    for acc in &c.sites {
        for &s in &acc.subjects {
            if let Some(x) = c.subjects.get(s) {
                if x.kind == "Group" {
                    groups.insert(x.clone());
                }
                covered.insert(x.clone());
            }
        }
    }
    covered.extend(expand(ctx, groups.into_iter()));
    let mut reaching: BTreeMap<u32, (bool, bool)> = BTreeMap::new();
    for (goal, first) in [(Goal::ClusterAdmin, true), (Goal::Nodes, false)] {
        for (n, _) in index.reaching(goal) {
            let e = reaching.entry(n).or_default();
            if first {
                e.0 = true;
            } else {
                e.1 = true;
            }
        }
    }
    let mut exposure = Exposure {
        cluster_admin: 0,
        bound: 0,
        nodes: 0,
        exempt: Vec::new(),
    };
    let mut atoms = Vec::new();
    for (&n, &(admin, nodes)) in &reaching {
        let Some(node) = attack.nodes().get(n as usize) else {
            continue;
        };
        let Some(subject) = node_subject(node, attack) else {
            continue;
        };
        exposure.cluster_admin += usize::from(admin);
        exposure.nodes += usize::from(nodes);
        if admin && index.distance(Goal::ClusterAdmin, n) == Some(1) {
            exposure.bound += 1;
        }
        if exempt(ctx, &subject) {
            exposure.exempt.push(subject);
            continue;
        }
        if covered.contains(&subject) {
            continue;
        }
        let goal = if admin {
            Goal::ClusterAdmin
        } else {
            Goal::Nodes
        };
        let Some(path) = index.path_from(goal, n) else {
            continue;
        };
        atoms.extend(first_step_atoms(ctx, &subject, &path, admin));
        covered.insert(subject);
    }
    for a in atoms {
        c.absorb(a, ignore);
    }
    exposure
}

/// The findings of `RBAC-ESCALATION-PATH` for a principal: one per grant
/// its path's first step relies on.
fn first_step_atoms(
    ctx: &Ctx<'_>,
    subject: &SubjectRef,
    path: &AttackPath,
    admin: bool,
) -> Vec<Atom> {
    let g = ctx.graph;
    let mut out = Vec::new();
    let Some(step) = path.steps.first() else {
        return out;
    };
    let chain: Vec<String> = path
        .steps
        .iter()
        .map(|s| format!("{} → {}", s.technique, s.to))
        .collect();
    let message = format!(
        "{subject} reaches {} in {} step(s): {} → {}",
        path.target,
        path.steps.len(),
        subject,
        chain.join(" → ")
    );
    let severity = if admin {
        Severity::Critical
    } else {
        Severity::High
    };
    let binding_id = |r: &ObjectRef| -> Option<BindingId> {
        ctx.binding_ids
            .get(&(
                r.kind.clone(),
                r.namespace.clone().unwrap_or_default(),
                r.name.clone(),
            ))
            .copied()
    };
    for e in step.evidence.iter() {
        let Evidence::Permission { request, reasons } = e else {
            continue;
        };
        for reason in reasons {
            let Reason::Rule {
                subject: via,
                binding,
                role,
                rule_index,
                ..
            } = reason
            else {
                continue;
            };
            let Some(b) = binding_id(binding) else {
                continue;
            };
            if ctx.defaults.binding(b) {
                continue;
            }
            let kind = if role.kind == "Role" {
                RoleKind::Role
            } else {
                RoleKind::ClusterRole
            };
            let Some(role_id) =
                g.role_id(kind, role.namespace.as_deref().unwrap_or(""), &role.name)
            else {
                continue;
            };
            let subject_index = g
                .binding(b)
                .and_then(|x| {
                    x.subjects
                        .iter()
                        .position(|s| g.report_subject(b, s).as_ref() == Some(via))
                })
                .unwrap_or(0) as u32;
            let namespaced = !request.namespace().is_empty();
            let site = ctx.grant_site(b, subject_index, via, role_id, *rule_index, namespaced);
            let mut a = Atom::new(
                "RBAC-ESCALATION-PATH",
                severity,
                message.clone(),
                site.clone(),
            );
            a.subject = Some(subject.clone());
            a.principals = vec![subject.clone(), via.clone()];
            a.rules.push((role_id, *rule_index));
            a.objects.push(binding.clone());
            if let (Site::Role(_), Request::Resource(r)) = (&site, request) {
                let (_, origin_rule) = ctx.origin(role_id, *rule_index);
                a.edits.push(RoleEdit::Narrow {
                    rule: origin_rule,
                    request: (
                        r.verb.clone(),
                        r.api_group.clone(),
                        r.resource.clone(),
                        r.subresource.clone(),
                    ),
                });
            }
            if let Some(x) = g.binding(b) {
                a.cluster_wide = x.kind == BindingKind::ClusterRoleBinding;
                a.namespaces.extend(x.namespace.clone());
            }
            out.push(a);
        }
    }
    out
}

/// How sites group into fixes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum GroupKey {
    One(Site),
    /// RoleBindings of one name, role and subjects (namespaces aside).
    Bindings(String, String, String, Vec<(String, String, bool)>),
    /// Roles of one name and rules, in several namespaces, and the edits.
    Roles(
        String,
        Vec<PolicyRule>,
        BTreeSet<RoleEdit>,
        BTreeSet<(usize, u16, u16)>,
    ),
    /// Unused Roles of one name and rules.
    UnusedRoles(String, Vec<PolicyRule>),
    /// Objects of one kind moving from one apiVersion to another.
    ApiVersions(String, String),
}

fn group_key(ctx: &Ctx<'_>, acc: &SiteAcc) -> GroupKey {
    let g = ctx.graph;
    match &acc.site {
        Site::Binding(b) => match g.binding(*b) {
            Some(x) if x.kind == BindingKind::RoleBinding => {
                let ns = x.namespace.clone().unwrap_or_default();
                let subjects = x
                    .subjects
                    .iter()
                    .map(|s| {
                        let here = s.namespace.is_empty() || s.namespace == ns;
                        (s.kind.as_str().to_string(), s.name.clone(), here)
                    })
                    .collect();
                GroupKey::Bindings(
                    x.name.clone(),
                    x.role_ref.kind.clone(),
                    x.role_ref.name.clone(),
                    subjects,
                )
            }
            _ => GroupKey::One(acc.site.clone()),
        },
        Site::Role(r) => match g.role(*r) {
            Some(x) if x.kind == RoleKind::Role => GroupKey::Roles(
                x.name.clone(),
                x.rules.clone(),
                acc.edits.clone(),
                acc.flags.clone(),
            ),
            _ => GroupKey::One(acc.site.clone()),
        },
        Site::UnusedRole(r) => match g.role(*r) {
            Some(x) if x.kind == RoleKind::Role => {
                GroupKey::UnusedRoles(x.name.clone(), x.rules.clone())
            }
            _ => GroupKey::One(acc.site.clone()),
        },
        Site::ApiVersion { object, from, to } => {
            GroupKey::ApiVersions(format!("{}|{from}", object.kind), to.clone())
        }
        other => GroupKey::One(other.clone()),
    }
}

/// The rules of a role after edits.
pub(crate) fn edited_rules(
    rules: &[PolicyRule],
    edits: &BTreeSet<RoleEdit>,
) -> (Vec<PolicyRule>, Vec<String>) {
    let mut out = Vec::new();
    let mut manual = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let mut narrow: Vec<&(String, String, String, String)> = Vec::new();
        let mut wildcard = false;
        let mut drop: BTreeSet<&str> = BTreeSet::new();
        for e in edits {
            match e {
                RoleEdit::Narrow { rule, request } if *rule == i => narrow.push(request),
                RoleEdit::Wildcards { rule } if *rule == i => wildcard = true,
                RoleEdit::DropResources { rule, resources } if *rule == i => {
                    drop.extend(resources.iter().map(String::as_str));
                }
                _ => {}
            }
        }
        if narrow.is_empty() && !wildcard && drop.is_empty() {
            out.push(rule.clone());
            continue;
        }
        let mut rule = rule.clone();
        if !drop.is_empty() {
            let before = rule.resources.len();
            rule.resources.retain(|r| !drop.contains(r.as_str()));
            if before > 0 && rule.resources.is_empty() {
                continue;
            }
        }
        let star_verbs = rule.verbs.iter().any(|v| v == "*");
        if wildcard && !narrowable(&rule) && rule.non_resource_urls.is_empty() {
            manual.push(format!(
                "rule {i}: list the resources and API groups the role needs instead of `*`"
            ));
        }
        if wildcard && rule.non_resource_urls.iter().any(|u| u == "*") {
            manual.push(format!(
                "rule {i}: list the non-resource URLs the role needs instead of `*`"
            ));
        }
        let expand_verbs = star_verbs && (!narrow.is_empty() || wildcard) && narrowable(&rule);
        let verbs: Vec<String> = if expand_verbs {
            let mut v: Vec<String> = STANDARD_VERBS.iter().map(|s| s.to_string()).collect();
            v.extend(rule.verbs.iter().filter(|x| *x != "*").cloned());
            v.sort();
            v.dedup();
            v
        } else {
            rule.verbs.clone()
        };
        if narrow.is_empty() || !narrowable(&rule) {
            rule.verbs = verbs;
            out.push(rule);
            continue;
        }
        // Per resource: the verbs left once the flagged requests are taken out.
        let mut by_verbs: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        for resource in &rule.resources {
            let (base, sub) = resource.split_once('/').unwrap_or((resource.as_str(), ""));
            let flagged: BTreeSet<&str> = narrow
                .iter()
                .filter(|(_, group, res, subres)| {
                    rule.api_groups.iter().any(|g| g == group)
                        && resource_form_matches(resource, res, subres)
                })
                .map(|(verb, ..)| verb.as_str())
                .collect();
            let _ = (base, sub);
            let left: Vec<String> = verbs
                .iter()
                .filter(|v| !flagged.contains(v.as_str()))
                .cloned()
                .collect();
            if left.is_empty() {
                continue;
            }
            by_verbs.entry(left).or_default().push(resource.clone());
        }
        for (verbs, resources) in by_verbs {
            let mut r = rule.clone();
            r.verbs = verbs;
            r.resources = resources;
            out.push(r);
        }
    }
    (out, manual)
}

/// A fix under construction.
struct FixDraft {
    sites: Vec<u32>,
    kind: FixKind,
    change: Change,
    extra_patches: Vec<ObjectPatch>,
    objects: Vec<ObjectRef>,
    title: String,
    manual: Vec<String>,
    platform: Option<PlatformMatch>,
}

/// A stable id from what a fix changes.
/// A fix's id: a hash of what it changes and how. FNV-1a, because the id
/// must be the same on every platform (the WASM build's report equals the
/// CLI's), which the fast in-memory hashers do not promise.
fn fix_id(kind: FixKind, objects: &[ObjectRef], patch: &[ObjectPatch]) -> String {
    use std::hash::Hasher as _;
    let text = format!(
        "{kind:?}|{}|{}",
        objects
            .iter()
            .map(|o| format!(
                "{}/{}/{}",
                o.kind,
                o.namespace.as_deref().unwrap_or(""),
                o.name
            ))
            .collect::<Vec<_>>()
            .join(","),
        serde_json::to_string(&patch).unwrap_or_default()
    );
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(text.as_bytes());
    format!("FIX-{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// Objects of one kind and name in several namespaces, for a title:
/// "RoleBinding `edit` in 2,000 namespaces".
fn in_namespaces(objects: &[ObjectRef]) -> String {
    let first = objects.first();
    let mut namespaces: Vec<&str> = objects
        .iter()
        .filter_map(|o| o.namespace.as_deref())
        .collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    format!(
        "{} `{}` in {} namespaces",
        first.map_or("", |o| o.kind.as_str()),
        first.map_or("", |o| o.name.as_str()),
        namespaces.len()
    )
}

fn describe_object(o: &ObjectRef) -> String {
    o.to_string()
}

/// The fix of a group of sites.
fn draft(ctx: &Ctx<'_>, c: &Collector<'_, '_>, sites: Vec<u32>) -> Option<FixDraft> {
    let g = ctx.graph;
    let first = c.sites.get(*sites.first()? as usize)?;
    let mut change = Change::default();
    let mut extra_patches = Vec::new();
    let mut objects = Vec::new();
    let mut manual = Vec::new();
    let mut platform = None;
    let kind;
    let title;
    let count = sites.len();
    match &first.site {
        Site::Binding(_) | Site::Subject(..) => {
            let mut removed: BTreeMap<BindingId, BTreeSet<usize>> = BTreeMap::new();
            let mut deleted = BTreeSet::new();
            for &s in &sites {
                match c.sites.get(s as usize).map(|a| &a.site) {
                    Some(Site::Binding(b)) => {
                        deleted.insert(*b);
                    }
                    Some(Site::Subject(b, i)) => {
                        removed.entry(*b).or_default().insert(*i as usize);
                    }
                    _ => {}
                }
            }
            for (b, subjects) in removed {
                let all = g
                    .binding(b)
                    .is_some_and(|x| x.subjects.len() <= subjects.len());
                if all {
                    deleted.insert(b);
                } else if !deleted.contains(&b) {
                    change.removed_subjects.insert(b, subjects);
                }
            }
            change.deleted_bindings = deleted;
            for &b in change
                .deleted_bindings
                .iter()
                .chain(change.removed_subjects.keys())
            {
                objects.push(g.binding_ref(b));
                if platform.is_none() {
                    platform = g.binding(b).and_then(|x| ctx.platform.binding(x));
                }
            }
            if change.removed_subjects.is_empty() {
                kind = FixKind::DeleteBinding;
                title = match objects.as_slice() {
                    [one] => format!("Delete {}", describe_object(one)),
                    more => format!("Delete {}", in_namespaces(more)),
                };
            } else {
                kind = FixKind::RemoveSubjects;
                let mut who = Vec::new();
                for (b, subjects) in &change.removed_subjects {
                    if let Some(x) = g.binding(*b) {
                        for &i in subjects {
                            if let Some(s) = x.subjects.get(i) {
                                who.push(match g.report_subject(*b, s) {
                                    Some(r) => r.to_string(),
                                    None => format!("{} {}", s.kind.as_str(), s.name),
                                });
                            }
                        }
                    }
                }
                title = format!(
                    "Remove {} from {}",
                    who.join(", "),
                    objects
                        .iter()
                        .map(describe_object)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        Site::Role(_) => {
            kind = FixKind::EditRole;
            let mut dropped: BTreeSet<String> = BTreeSet::new();
            for &s in &sites {
                let Some(acc) = c.sites.get(s as usize) else {
                    continue;
                };
                let Site::Role(r) = acc.site else { continue };
                let Some(role) = g.role(r) else { continue };
                let mut edits = acc.edits.clone();
                for &(rule, check, template) in &acc.flags {
                    if let Some(t) = c
                        .checks
                        .get(check as usize)
                        .and_then(|x| x.templates.get(template as usize))
                    {
                        edits.insert(RoleEdit::Narrow {
                            rule,
                            request: (
                                t.verb.to_string(),
                                t.group.to_string(),
                                t.resource.to_string(),
                                t.subresource.to_string(),
                            ),
                        });
                    }
                }
                let (rules, notes) = edited_rules(&role.rules, &edits);
                for e in &edits {
                    if let RoleEdit::Narrow {
                        request: (v, _, res, sub),
                        ..
                    } = e
                    {
                        dropped.insert(if sub.is_empty() {
                            format!("{v} {res}")
                        } else {
                            format!("{v} {res}/{sub}")
                        });
                    }
                }
                if edits
                    .iter()
                    .any(|e| matches!(e, RoleEdit::Wildcards { .. }))
                {
                    dropped.insert("`*` verbs".into());
                }
                if edits
                    .iter()
                    .any(|e| matches!(e, RoleEdit::DropResources { .. }))
                {
                    dropped.insert("resources that match nothing".into());
                }
                if manual.is_empty() {
                    manual.extend(notes);
                }
                if rules != role.rules {
                    change.replaced_rules.insert(r, rules);
                }
                objects.push(g.role_ref(r));
                if platform.is_none() {
                    platform = ctx.platform.role(role);
                }
            }
            let dropped: Vec<String> = dropped.into_iter().collect();
            let what = match objects.as_slice() {
                [one] => describe_object(one),
                more => in_namespaces(more),
            };
            title = if change.replaced_rules.is_empty() {
                // Nothing a patch can say: `*` resources or groups only a
                // person can replace by what the role needs.
                format!("Replace `*` in {what} with what it needs (by hand)")
            } else {
                format!("Narrow {what}: drop {}", listed(&dropped, 6))
            };
        }
        Site::UnusedRole(_) => {
            kind = FixKind::DeleteRole;
            for &s in &sites {
                if let Some(Site::UnusedRole(r)) = c.sites.get(s as usize).map(|a| &a.site) {
                    change.deleted_roles.insert(*r);
                    objects.push(g.role_ref(*r));
                    if platform.is_none() {
                        platform = g.role(*r).and_then(|x| ctx.platform.role(x));
                    }
                }
            }
            title = match objects.as_slice() {
                [one] => format!("Delete unused {}", describe_object(one)),
                more => format!("Delete unused {}", in_namespaces(more)),
            };
        }
        Site::Token(ns, sa) => {
            kind = FixKind::StopTokenMount;
            change
                .unmounted_service_accounts
                .insert((ns.clone(), sa.clone()));
            // A pod spec that asks for the token wins over the ServiceAccount.
            for id in g.workloads_of(ns, sa) {
                if let Some(w) = g.workloads().get(id.0 as usize)
                    && w.pod.automount_token == Some(true)
                {
                    change.unmounted.insert(id);
                }
            }
            objects.push(super::object_ref(
                "ServiceAccount",
                sa,
                Some(ns),
                g.service_account(ns, sa).map(|x| &x.source),
            ));
            for &w in &change.unmounted {
                if let Some(x) = g.workloads().get(w.0 as usize) {
                    objects.push(checks::workload_ref(x));
                }
            }
            title = format!("Stop mounting the token of ServiceAccount {ns}/{sa}");
        }
        Site::OwnAccounts(ns) => {
            kind = FixKind::OwnServiceAccounts;
            let taken = ctx.taken.get(ns).cloned().unwrap_or_default();
            let mut used = taken.clone();
            for id in g.workloads_of(ns, "default") {
                let Some(w) = g.workloads().get(id.0 as usize) else {
                    continue;
                };
                if checks::automount(ctx, w).0 {
                    continue;
                }
                let mut name = w.name.clone();
                let mut n = 1;
                while used.contains(&name) {
                    name = format!("{}-{n}", w.name);
                    n += 1;
                }
                used.insert(name.clone());
                change.new_service_account.insert(id, name);
                objects.push(checks::workload_ref(w));
            }
            title = format!(
                "Give {} workload(s) in namespace {ns} a ServiceAccount of their own",
                change.new_service_account.len()
            );
        }
        Site::PodSecurity(ns) => {
            kind = FixKind::LabelNamespace;
            change.pod_security.insert(ns.clone(), "baseline".into());
            objects.push(super::object_ref(
                "Namespace",
                ns,
                None,
                g.namespace_object(ns).map(|o| &o.source),
            ));
            title = format!(
                "Label namespace {ns} `{}: baseline`",
                crate::query::paths::techniques::PSA_ENFORCE_LABEL
            );
        }
        Site::Secret(s) => {
            kind = FixKind::DeleteSecret;
            change.deleted_secrets.insert(*s);
            if let Some(x) = g.secrets().get(*s) {
                objects.push(super::object_ref(
                    "Secret",
                    &x.name,
                    Some(&x.namespace),
                    Some(&x.source),
                ));
            }
            title = format!(
                "Delete legacy token Secret {}",
                objects.first().map(describe_object).unwrap_or_default()
            );
        }
        Site::ApiVersion { to, .. } => {
            kind = FixKind::UpdateApiVersion;
            let mut from = BTreeSet::new();
            for &s in &sites {
                if let Some(Site::ApiVersion {
                    object,
                    from: old,
                    to,
                }) = c.sites.get(s as usize).map(|a| &a.site)
                {
                    objects.push(object.clone());
                    from.insert(old.clone());
                    extra_patches.push(ObjectPatch {
                        object: object.clone(),
                        action: PatchAction::Patch {
                            json_patch: vec![JsonPatchOp {
                                op: "add".into(),
                                path: "/apiVersion".into(),
                                value: Some(serde_json::Value::String(to.clone())),
                            }],
                        },
                    });
                }
            }
            manual.push(
                "fields that changed between the versions must be rewritten as the replacement API expects (see the Kubernetes deprecation guide)".into(),
            );
            title = format!(
                "Move {} {} object(s) from {} to {to}",
                objects.len(),
                objects.first().map_or("", |o| o.kind.as_str()),
                from.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let _ = count;
    Some(FixDraft {
        sites,
        kind,
        change,
        extra_patches,
        objects,
        title,
        manual,
        platform,
    })
}

/// Adds a path to the evidence: each step (by its ends and technique) is
/// read from the attack graph and stored once.
fn store_path(
    store: &mut EvidenceStore,
    steps: &mut HashMap<(u32, u32, Technique), usize>,
    index: &ReachIndex<'_, '_>,
    path: &PathEdges,
) -> Option<usize> {
    let mut ids = Vec::with_capacity(path.edges.len());
    for &(from, edge) in &path.edges {
        let (_, to, technique) = index.ends(edge)?;
        let id = match steps.get(&(from, to, technique)) {
            Some(&i) => i,
            None => {
                let step = index.step(from, edge)?;
                store.steps.push(step);
                let i = store.steps.len() - 1;
                steps.insert((from, to, technique), i);
                i
            }
        };
        ids.push(id);
    }
    let attack = index.attack();
    let source = attack
        .nodes()
        .get(path.source as usize)
        .map(|n| attack.node_ref(n))?;
    store.paths.push(PathEvidence {
        source,
        target: path.target.to_string(),
        steps: ids,
    });
    Some(store.paths.len() - 1)
}

fn object_index(
    store: &mut EvidenceStore,
    ids: &mut HashMap<ObjectRef, usize>,
    o: &ObjectRef,
) -> usize {
    if let Some(&i) = ids.get(o) {
        return i;
    }
    store.objects.push(o.clone());
    ids.insert(o.clone(), store.objects.len() - 1);
    store.objects.len() - 1
}

/// Builds the fixes, their impact and ranking, and the report.
/// What a fix does to the paths: who loses them, and a path through it.
struct Measured {
    impact: FixImpact,
    admin_path: Option<PathEdges>,
    node_path: Option<PathEdges>,
}

fn measure(idx: &ReachIndex<'_, '_>, d: &FixDraft) -> Measured {
    let impact = idx.impact(&d.change);
    let attack = idx.attack();
    let names = |goal: Goal| -> Vec<SubjectRef> {
        let mut v: Vec<SubjectRef> = impact
            .lost(goal)
            .iter()
            .filter_map(|&n| attack.nodes().get(n as usize))
            .filter_map(|n| node_subject(n, attack))
            .collect();
        v.sort();
        v
    };
    Measured {
        impact: FixImpact {
            cluster_admin: impact.lost(Goal::ClusterAdmin).len(),
            nodes: impact.lost(Goal::Nodes).len(),
            cluster_admin_principals: names(Goal::ClusterAdmin),
            nodes_principals: names(Goal::Nodes),
        },
        admin_path: impact
            .used(Goal::ClusterAdmin)
            .and_then(|s| idx.path_edges_through(Goal::ClusterAdmin, s)),
        node_path: impact
            .used(Goal::Nodes)
            .and_then(|s| idx.path_edges_through(Goal::Nodes, s)),
    }
}

fn finish(
    ctx: &Ctx<'_>,
    mut c: Collector<'_, '_>,
    index: Option<&ReachIndex<'_, '_>>,
    exposure: Option<Exposure>,
    options: &AuditOptions,
    notes: Vec<String>,
) -> AuditReport {
    let g = ctx.graph;
    // A deleted binding takes its subjects with it.
    let subject_sites: Vec<(u32, BindingId)> = c
        .sites
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match a.site {
            Site::Subject(b, _) => Some((i as u32, b)),
            _ => None,
        })
        .collect();
    let mut merged_into: HashMap<u32, u32> = HashMap::new();
    for (i, b) in subject_sites {
        if let Some(&target) = c.site_ix.get(&Site::Binding(b)) {
            merged_into.insert(i, target);
        }
    }
    for (&from, &to) in &merged_into {
        let taken = c
            .sites
            .get_mut(from as usize)
            .map(|a| std::mem::replace(a, SiteAcc::new(Site::Binding(BindingId(u32::MAX)))));
        if let (Some(acc), Some(target)) = (taken, c.sites.get_mut(to as usize)) {
            target.absorb(acc);
        }
    }
    for d in &mut c.drafts {
        d.sites = d
            .sites
            .iter()
            .map(|s| merged_into.get(s).copied().unwrap_or(*s))
            .collect();
    }
    // Group sites into fixes.
    let mut groups: BTreeMap<GroupKey, Vec<u32>> = BTreeMap::new();
    for (i, acc) in c.sites.iter().enumerate() {
        if merged_into.contains_key(&(i as u32)) || acc.findings.is_empty() {
            continue;
        }
        groups
            .entry(group_key(ctx, acc))
            .or_default()
            .push(i as u32);
    }
    let mut store = EvidenceStore::default();
    let mut object_ids: HashMap<ObjectRef, usize> = HashMap::new();
    let mut rule_ids: HashMap<(RoleId, usize), usize> = HashMap::new();
    let mut step_ids: HashMap<(u32, u32, Technique), usize> = HashMap::new();
    // Every subject's principals (itself, and a group's known members), as
    // ids, and the order of all ids by subject.
    let mut expansion: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut all: Vec<u32> = c
        .sites
        .iter()
        .flat_map(|a| a.subjects.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    for sid in all {
        let mut ids = vec![sid];
        if let Some(s) = c.subjects.get(sid).cloned()
            && s.kind == "Group"
        {
            let members: Vec<SubjectRef> = g
                .index
                .admitted(&SubjectKind::Group, &s.name, "")
                .into_iter()
                .filter_map(|p| g.principals().get(p).cloned())
                .collect();
            ids.extend(members.iter().map(|m| c.subjects.id(m)));
        }
        expansion.insert(sid, ids);
    }
    let mut order: Vec<u32> = (0..c.subjects.items.len() as u32).collect();
    order.sort_by(|&a, &b| c.subjects.get(a).cmp(&c.subjects.get(b)));
    let mut rank = vec![0u32; order.len()];
    for (r, &id) in order.iter().enumerate() {
        if let Some(x) = rank.get_mut(id as usize) {
            *x = r as u32;
        }
    }
    let mut site_fix: HashMap<u32, usize> = HashMap::new();
    let mut fixes: Vec<Fix> = Vec::new();
    let drafts: Vec<FixDraft> = groups
        .into_values()
        .filter_map(|sites| draft(ctx, &c, sites))
        .collect();
    // The impact of each fix, on every core: each is independent of the
    // others (a probe of the reach index, which the fixes only read).
    let mut measured: Vec<Option<Measured>> = match index {
        Some(idx) => {
            let measure_all = |part: &[FixDraft]| -> Vec<Option<Measured>> {
                part.iter().map(|d| Some(measure(idx, d))).collect()
            };
            crate::parallel::shares(&drafts, 64, || (), |(), _, part| measure_all(part))
                .into_iter()
                .flat_map(|share| {
                    // A share that panicked (a bug) is redone here, so the
                    // panic surfaces as it would without threads.
                    share.unwrap_or_else(|lost| measure_all(drafts.get(lost).unwrap_or(&[])))
                })
                .collect()
        }
        None => Vec::new(),
    };
    measured.resize_with(drafts.len(), || None);
    for (d, measured) in drafts.into_iter().zip(measured) {
        let mut patch = d.change.patches(g);
        patch.extend(d.extra_patches.iter().cloned());
        // Gather what the sites add up to.
        let mut controls: BTreeSet<&'static str> = BTreeSet::new();
        let mut base = Severity::Info;
        let mut everyone = false;
        let mut subjects: Vec<u32> = Vec::new();
        let mut namespaces: BTreeSet<u32> = BTreeSet::new();
        let mut cluster_wide = false;
        let mut evidence = FixEvidence::default();
        let mut facts: BTreeSet<String> = BTreeSet::new();
        let mut messages: Vec<String> = Vec::new();
        for &s in &d.sites {
            let Some(acc) = c.sites.get(s as usize) else {
                continue;
            };
            controls.extend(acc.controls.iter().copied());
            base = base.max(acc.severity);
            everyone |= acc.everyone;
            for x in &acc.subjects {
                subjects.extend(expansion.get(x).into_iter().flatten());
            }
            namespaces.extend(acc.namespaces.iter().copied());
            cluster_wide |= acc.cluster_wide;
            for (&(role, rule), &mask) in &acc.rules {
                let id = match rule_ids.get(&(role, rule)) {
                    Some(&i) => i,
                    None => {
                        let Some(r) = g.role(role).and_then(|x| x.rules.get(rule)) else {
                            continue;
                        };
                        let role_ix = object_index(&mut store, &mut object_ids, &g.role_ref(role));
                        let requests = c.described(mask);
                        store.rules.push(RuleEvidence {
                            role: role_ix,
                            rule_index: rule,
                            rule: r.clone(),
                            requests,
                        });
                        rule_ids.insert((role, rule), store.rules.len() - 1);
                        store.rules.len() - 1
                    }
                };
                evidence.rules.push(id);
            }
            let mut bindings = acc.bindings.clone();
            bindings.sort();
            bindings.dedup();
            for b in bindings {
                evidence
                    .objects
                    .push(object_index(&mut store, &mut object_ids, &g.binding_ref(b)));
            }
            for o in &acc.objects {
                evidence
                    .objects
                    .push(object_index(&mut store, &mut object_ids, o));
            }
            facts.extend(acc.facts.iter().cloned());
            for &f in acc.findings.iter().take(3) {
                if let Some(dr) = c.drafts.get(f as usize) {
                    messages.push(c.grant_message(dr));
                }
            }
        }
        evidence.rules.sort_unstable();
        evidence.rules.dedup();
        evidence.objects.sort_unstable();
        evidence.objects.dedup();
        // A fact said of a workload ("CronJob x: …") makes the bare one moot.
        let said_of: HashSet<&str> = facts
            .iter()
            .filter_map(|f| f.split_once(": ").map(|(_, rest)| rest))
            .collect();
        let bare: Vec<String> = facts
            .iter()
            .filter(|f| said_of.contains(f.as_str()))
            .cloned()
            .collect();
        for f in bare {
            facts.remove(&f);
        }
        evidence.facts = facts.into_iter().collect();
        subjects.sort_unstable_by_key(|&x| rank.get(x as usize).copied().unwrap_or(u32::MAX));
        subjects.dedup();
        let principals: Vec<SubjectRef> = subjects
            .iter()
            .filter_map(|&x| c.subjects.get(x).cloned())
            .collect();
        // Impact and the paths that use the fix.
        let mut severity = base;
        let mut reason = format!("{base} from the permissions and objects it changes");
        if everyone && base >= Severity::Medium && base < Severity::Critical {
            severity = base.raised();
            reason = format!(
                "{base} from the permissions it changes, raised to {severity}: they are granted to everyone (an implicit group of every user or service account)"
            );
        }
        let impact = match (measured, index) {
            (
                Some(Measured {
                    impact: fi,
                    admin_path,
                    node_path,
                }),
                Some(idx),
            ) => {
                let describe = |p: &PathEdges| {
                    let attack = idx.attack();
                    let source = attack
                        .nodes()
                        .get(p.source as usize)
                        .map(|n| attack.node_ref(n).to_string())
                        .unwrap_or_default();
                    (source, p.edges.len())
                };
                if let Some(p) = &admin_path {
                    if severity < Severity::Critical {
                        let (source, n) = describe(p);
                        reason = format!(
                            "{severity} from what it changes, raised to critical: it removes a step of a path from {source} to cluster-admin ({n} step(s))"
                        );
                        severity = Severity::Critical;
                    }
                    evidence.path = store_path(&mut store, &mut step_ids, idx, p);
                } else if let Some(p) = &node_path {
                    if severity < Severity::High {
                        let (source, n) = describe(p);
                        reason = format!(
                            "{severity} from what it changes, raised to high: it removes a step of a path from {source} to a node ({n} step(s))"
                        );
                        severity = Severity::High;
                    }
                    evidence.path = store_path(&mut store, &mut step_ids, idx, p);
                }
                Some(fi)
            }
            _ => None,
        };
        let mut controls: Vec<String> = controls.into_iter().map(str::to_string).collect();
        let position = |id: &str| super::CONTROLS.iter().position(|c| c.id == id);
        controls.sort_by_key(|c| position(c));
        let mut description = String::new();
        for m in messages.iter().take(3) {
            description.push_str(m);
            description.push_str(". ");
        }
        let total: usize = d
            .sites
            .iter()
            .filter_map(|&s| c.sites.get(s as usize))
            .map(|a| a.findings.len())
            .sum();
        if total > 3 {
            description.push_str(&format!("({} findings in all.) ", total));
        }
        if let Some(first) = controls.first().and_then(|id| control(id)) {
            description.push_str(first.remediation);
        }
        // The namespaces of what it grants, and of what it changes.
        let namespace_count = {
            let mut all: BTreeSet<&str> = namespaces
                .iter()
                .filter_map(|&n| c.namespaces.get(n).map(String::as_str))
                .collect();
            if !cluster_wide {
                all.extend(d.objects.iter().filter_map(|o| o.namespace.as_deref()));
            }
            all.len()
        };
        let id = fix_id(d.kind, &d.objects, &patch);
        for &s in &d.sites {
            site_fix.insert(s, fixes.len());
        }
        fixes.push(Fix {
            id,
            rank: 0,
            severity,
            severity_reason: reason,
            kind: d.kind,
            title: d.title,
            description,
            objects: d.objects,
            controls,
            principals: Principals::new(principals),
            namespaces: namespace_count,
            cluster_wide,
            impact,
            patch,
            manual: (!d.manual.is_empty()).then(|| d.manual.join("; ")),
            evidence,
            platform: d.platform,
        });
    }
    // Rank: severity, impact on cluster-admin, on the nodes, principals.
    let impact_of = |f: &Fix| {
        f.impact
            .as_ref()
            .map_or((0, 0), |i| (i.cluster_admin, i.nodes))
    };
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by(|&a, &b| match (fixes.get(a), fixes.get(b)) {
        (Some(x), Some(y)) => y
            .severity
            .cmp(&x.severity)
            .then_with(|| impact_of(y).cmp(&impact_of(x)))
            .then_with(|| y.principals.count.cmp(&x.principals.count))
            .then_with(|| x.id.cmp(&y.id)),
        _ => a.cmp(&b),
    });
    let mut new_index = vec![0usize; fixes.len()];
    for (rank, &i) in order.iter().enumerate() {
        if let Some(slot) = new_index.get_mut(i) {
            *slot = rank;
        }
    }
    let mut slots: Vec<Option<Fix>> = fixes.into_iter().map(Some).collect();
    let mut ranked: Vec<Fix> = order
        .iter()
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .collect();
    let fix_ids: Vec<String> = {
        let mut ids = vec![String::new(); ranked.len()];
        for (old, &new) in new_index.iter().enumerate() {
            if let (Some(slot), Some(f)) = (ids.get_mut(old), ranked.get(new)) {
                *slot = f.id.clone();
            }
        }
        ids
    };
    let (mut user, mut platform): (Vec<Fix>, Vec<Fix>) =
        ranked.drain(..).partition(|f| f.platform.is_none());
    for (i, f) in user.iter_mut().enumerate() {
        f.rank = i + 1;
    }
    for (i, f) in platform.iter_mut().enumerate() {
        f.rank = i + 1;
    }
    // Findings, with the fixes that resolve them.
    let mut per_control: BTreeMap<&'static str, (usize, Option<Severity>, HashSet<usize>)> =
        BTreeMap::new();
    let mut findings = Vec::new();
    for d in &c.drafts {
        let mut fixes: Vec<usize> = d
            .sites
            .iter()
            .filter_map(|&s| site_fix.get(&s).copied())
            .collect();
        fixes.sort_unstable();
        fixes.dedup();
        let e = per_control.entry(d.control).or_default();
        e.0 += 1;
        e.1 = e.1.max(Some(d.severity));
        e.2.extend(fixes.iter().copied());
        if options.findings {
            let mut fixes: Vec<String> = fixes
                .iter()
                .filter_map(|&i| fix_ids.get(i).cloned())
                .collect();
            fixes.sort();
            findings.push(Finding {
                control: d.control.to_string(),
                severity: d.severity,
                subject: d.subject.and_then(|s| c.subjects.get(s).cloned()),
                object: d.object.clone(),
                message: c.grant_message(d),
                fixes,
            });
        }
    }
    let position = |id: &str| super::CONTROLS.iter().position(|c| c.id == id);
    findings.sort_by(|a, b| {
        position(&a.control)
            .cmp(&position(&b.control))
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.message.cmp(&b.message))
    });
    let controls: Vec<ControlSummary> = super::CONTROLS
        .iter()
        .map(|ctl| {
            let (findings, severity, fixes) = per_control.remove(ctl.id).unwrap_or_default();
            ControlSummary {
                id: ctl.id.to_string(),
                title: ctl.title.to_string(),
                findings,
                severity,
                fixes: fixes.len(),
            }
        })
        .collect();
    let mut by_severity = SeverityCounts::default();
    for f in &user {
        by_severity.add(f.severity);
    }
    let mut suppressed = c.suppressed;
    suppressed.sort_by(|a, b| {
        position(&a.finding.control)
            .cmp(&position(&b.finding.control))
            .then_with(|| a.finding.message.cmp(&b.finding.message))
    });
    let summary = AuditSummary {
        principals_reaching_cluster_admin: exposure.as_ref().map(|e| e.cluster_admin),
        principals_bound_to_cluster_admin: exposure.as_ref().map(|e| e.bound),
        principals_reaching_nodes: exposure.as_ref().map(|e| e.nodes),
        default_or_platform_principals: exposure.as_ref().map(|e| e.exempt.len()),
        fixes: user.len(),
        by_severity,
        platform_managed_fixes: platform.len(),
        findings: c.drafts.len(),
        suppressed: suppressed.len(),
        controls: super::CONTROLS.len(),
    };
    AuditReport {
        target_version: options.target_version.map(|v| v.to_string()),
        reachability: if index.is_some() {
            Reachability::AttackGraph
        } else {
            Reachability::PermissionOnly
        },
        summary,
        fixes: user,
        platform_managed: platform,
        controls,
        findings,
        suppressed,
        default_or_platform: exposure
            .map(|mut e| {
                e.exempt.sort();
                e.exempt
            })
            .unwrap_or_default(),
        evidence: store,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> Vec<PolicyRule> {
        let g = RbacGraph::builder()
            .load_str(
                "r",
                &format!(
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\nrules: {yaml}\n"
                ),
            )
            .build()
            .unwrap();
        g.roles()[0].rules.clone()
    }

    fn narrow(verb: &str, resource: &str) -> RoleEdit {
        let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
        RoleEdit::Narrow {
            rule: 0,
            request: (verb.into(), "".into(), res.into(), sub.into()),
        }
    }

    #[test]
    fn narrowing_drops_the_flagged_verbs_per_resource() {
        let r = rules(
            "[{apiGroups: [''], resources: [pods, configmaps], verbs: [get, create, delete]}]",
        );
        let (out, manual) = edited_rules(&r, &BTreeSet::from([narrow("create", "pods")]));
        assert!(manual.is_empty());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].resources, ["configmaps"]);
        assert_eq!(out[0].verbs, ["get", "create", "delete"]);
        assert_eq!(out[1].resources, ["pods"]);
        assert_eq!(out[1].verbs, ["get", "delete"]);
    }

    #[test]
    fn narrowing_a_star_lists_the_standard_verbs_but_the_flagged() {
        let r = rules("[{apiGroups: [''], resources: [pods], verbs: ['*']}]");
        let (out, _) = edited_rules(&r, &BTreeSet::from([narrow("create", "pods")]));
        assert_eq!(out.len(), 1);
        assert!(!out[0].verbs.contains(&"create".to_string()));
        assert!(out[0].verbs.contains(&"get".to_string()));
        assert!(!out[0].verbs.contains(&"*".to_string()));
    }

    #[test]
    fn a_rule_left_without_verbs_goes() {
        let r = rules(
            "[{apiGroups: [''], resources: [pods/exec], verbs: [create]}, {apiGroups: [''], resources: [pods], verbs: [get]}]",
        );
        let (out, _) = edited_rules(&r, &BTreeSet::from([narrow("create", "pods/exec")]));
        assert_eq!(out, r[1..].to_vec());
    }

    /// The id is FNV-1a of the fix's text, the same on every platform: the
    /// expected value was computed apart from this code (FNV-1a 64 of
    /// `DeleteBinding|ClusterRoleBinding//x|[]`, low 48 bits).
    #[test]
    fn fix_ids_do_not_depend_on_the_platform() {
        let object = ObjectRef {
            kind: "ClusterRoleBinding".into(),
            name: "x".into(),
            namespace: None,
            source: None,
        };
        assert_eq!(
            fix_id(FixKind::DeleteBinding, &[object], &[]),
            "FIX-8cca4ddb00f8"
        );
    }

    #[test]
    fn dead_resources_are_dropped_and_wildcard_resources_need_a_person() {
        let r = rules(
            "[{apiGroups: [''], resources: ['pods/*', pods/log], verbs: [get]}, {apiGroups: ['*'], resources: ['*'], verbs: ['*']}]",
        );
        let edits = BTreeSet::from([
            RoleEdit::DropResources {
                rule: 0,
                resources: vec!["pods/*".into()],
            },
            RoleEdit::Wildcards { rule: 1 },
        ]);
        let (out, manual) = edited_rules(&r, &edits);
        assert_eq!(out[0].resources, ["pods/log"]);
        assert_eq!(out[1], r[1]);
        assert_eq!(manual.len(), 1);
    }
}

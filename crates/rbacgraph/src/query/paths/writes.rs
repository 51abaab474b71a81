//! The techniques that write RBAC objects and pass the RBAC storage's
//! escalation checks: E02 (bind a role), E03 (escalate a bound role), E13
//! (create the missing role of a dangling binding).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use foldhash::{HashMap, HashMapExt};

use std::rc::Rc;
use std::sync::Arc;

use super::build::{Actor, Ctx, fact, is_wildcard, object, wildcard_rule};
use super::techniques::Technique;
use super::{AttackGraph, AttackNode, Evidence, Piece};
use crate::RBAC_GROUP;
use crate::graph::{BindingId, RbacGraph, RoleId, RoleResolution};
use crate::model::{BindingKind, PolicyRule, Role, RoleKind, Source};
use crate::query::escalation::{EscalationVerdict, WriteCheck, WriteOp, covers};
use crate::request::Request;

/// A write on a (Cluster)RoleBinding.
#[derive(Clone, Debug)]
pub(crate) enum BindingWrite {
    /// Create one, in a namespace (a RoleBinding) or not.
    Create {
        /// The RoleBinding's namespace; `None` for a ClusterRoleBinding.
        namespace: Option<String>,
    },
    /// Update or patch an existing one.
    Existing(BindingId),
}

/// A write on an RBAC object, as the storage authorizes it (no name on create).
/// See: `pkg/registry/rbac/escalation_check.go`.
pub(crate) fn rbac_write(verb: &str, resource: &str, namespace: &str, name: &str) -> Request {
    Request::resource(verb, RBAC_GROUP, resource)
        .in_namespace(namespace)
        .named(if verb == "create" { "" } else { name })
}

pub(crate) fn role_resource(kind: RoleKind) -> &'static str {
    match kind {
        RoleKind::Role => "roles",
        RoleKind::ClusterRole => "clusterroles",
    }
}

/// The evidence of an E02 step after the write's and the `bind`
/// decision's: the binding or role written.
pub(crate) fn bind_evidence(
    g: &RbacGraph,
    rid: RoleId,
    ns: Option<&str>,
    existing: Option<BindingId>,
) -> Vec<Evidence> {
    let mut out = Vec::new();
    out.push(match existing {
        Some(b) => Evidence::Object {
            object: g.binding_ref(b),
            message:
                "an existing binding: add yourself to its subjects (its roleRef cannot change)"
                    .into(),
        },
        None => Evidence::Object {
            object: g.role_ref(rid),
            message: format!(
                "the role to bind with a new {}",
                if ns.is_some() {
                    "RoleBinding"
                } else {
                    "ClusterRoleBinding"
                }
            ),
        },
    });
    out
}

impl<'g> AttackGraph<'g> {
    /// Every write on bindings E02 considers: create a ClusterRoleBinding,
    /// create a RoleBinding in each namespace, update or patch each binding
    /// whose role exists.
    pub(crate) fn binding_writes(&mut self) -> Vec<(u32, BindingWrite)> {
        let g = self.graph;
        let mut out = Vec::new();
        let r = self.intern(rbac_write("create", "clusterrolebindings", "", ""));
        out.push((r, BindingWrite::Create { namespace: None }));
        for ns in self.catalogue.namespaces.clone() {
            let r = self.intern(rbac_write("create", "rolebindings", &ns, ""));
            out.push((
                r,
                BindingWrite::Create {
                    namespace: Some(ns),
                },
            ));
        }
        for (i, b) in g.bindings().iter().enumerate() {
            if g.bound_role(BindingId(i as u32)).is_none() {
                continue;
            }
            let (resource, ns) = match b.kind {
                BindingKind::ClusterRoleBinding => ("clusterrolebindings", ""),
                BindingKind::RoleBinding => ("rolebindings", b.namespace.as_deref().unwrap_or("")),
            };
            for verb in ["update", "patch"] {
                let r = self.intern(rbac_write(verb, resource, ns, &b.name));
                out.push((r, BindingWrite::Existing(BindingId(i as u32))));
            }
        }
        out
    }

    /// The storage-checked techniques for the principals that some binding
    /// allows the write (or `escalate`, or that a dangling binding names).
    pub(crate) fn writes_reverse(&mut self, ctx: &mut Ctx<'g>) {
        let g = self.graph;
        let writes = self.binding_writes();
        for (r, write) in &writes {
            let candidates = self.reverse(ctx, *r);
            for &actor in candidates.iter() {
                if self.is_admin(actor) {
                    continue;
                }
                if let Some(ev) = self.decide(ctx, actor, *r) {
                    self.e02_write(ctx, actor, &ev, write);
                }
            }
        }
        let mut by_namespace: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, (r, _)) in writes.iter().enumerate() {
            if let Some(q) = self.catalogue.requests.get(*r as usize) {
                by_namespace
                    .entry(q.namespace().to_string())
                    .or_default()
                    .push(i as u32);
            }
        }
        self.catalogue.binding_writes = Arc::new(writes);
        self.catalogue.binding_writes_in = by_namespace;
        // E03: `escalate` on a role that is bound to someone.
        let mut candidates = BTreeSet::new();
        let mut seen = HashSet::new();
        for i in 0..g.bindings().len() {
            let Some((rid, role)) = g.bound_role(BindingId(i as u32)) else {
                continue;
            };
            if !seen.insert(rid) {
                continue;
            }
            let ns = role.namespace.as_deref().unwrap_or("");
            let r = self.intern(rbac_write(
                "escalate",
                role_resource(role.kind),
                ns,
                &role.name,
            ));
            candidates.extend(self.reverse(ctx, r).iter().copied());
        }
        for actor in candidates {
            if !self.is_admin(actor) {
                self.e03(ctx, actor);
            }
        }
        // E13: the subjects of dangling bindings.
        let mut candidates = BTreeSet::new();
        for (i, b) in g.bindings().iter().enumerate() {
            if matches!(
                g.resolution(BindingId(i as u32)),
                Some(RoleResolution::Missing)
            ) {
                candidates.extend(self.subject_actors(ctx, BindingId(i as u32), &b.subjects));
            }
        }
        for actor in candidates {
            if !self.is_admin(actor) {
                self.e13(ctx, actor);
            }
        }
    }

    /// E02, E03 and E13 for one actor evaluated forward.
    pub(crate) fn writes_forward(&mut self, ctx: &mut Ctx<'g>, actor: u32) {
        let scope = match self.actors.get(actor as usize) {
            Some(Some(Actor::Grant { namespace, .. })) => Some(namespace.clone()),
            _ => None,
        };
        let writes = Arc::clone(&self.catalogue.binding_writes);
        // A RoleBinding's holder writes only in its namespace.
        let picked: Box<dyn Iterator<Item = usize>> = match &scope {
            Some(Some(ns)) => Box::new(
                self.catalogue
                    .binding_writes_in
                    .get(ns)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|i| i as usize),
            ),
            _ => Box::new(0..writes.len()),
        };
        for i in picked {
            let Some((r, write)) = writes.get(i) else {
                continue;
            };
            if let Some(ev) = self.decide(ctx, actor, *r) {
                self.e02_write(ctx, actor, &ev, write);
            }
        }
        self.e03(ctx, actor);
        self.e13(ctx, actor);
    }

    /// E02: write a binding to a role; the storage allows it with `bind` on
    /// the role (resourceNames: the role's name) through the authorizer, or
    /// when the writer already holds every permission of the role in the
    /// binding's namespace (`Covers` over `RulesFor`). Only the first is an
    /// edge: a role one covers grants nothing one does not hold in that
    /// scope, so such a step never shortens a path (and on large clusters
    /// namespace admins × namespaces × covered ClusterRoles would be tens of
    /// millions of dead ends).
    ///
    /// See: `pkg/registry/rbac/rolebinding/policybased/storage.go :: Create`,
    /// `pkg/registry/rbac/escalation_check.go :: BindingAuthorized`
    /// (rbac-semantics.md §6.3); `RbacGraph::check_binding_write` is the
    /// same sequence for one identity and one binding.
    fn e02_write(&mut self, ctx: &mut Ctx<'g>, actor: u32, write: &Piece, target: &BindingWrite) {
        let g = self.graph;
        match target {
            BindingWrite::Create { namespace } => {
                // Without `bind` on ClusterRoles in scope, only the ones one
                // already covers pass the storage's check: no gain.
                let scope = namespace.as_deref().unwrap_or("");
                let mut roles = if self.may_bind(ctx, actor, "clusterroles", scope) {
                    self.catalogue.cluster_roles.clone()
                } else {
                    Vec::new()
                };
                if let Some(ns) = namespace {
                    roles.extend(self.catalogue.roles_in.get(ns).into_iter().flatten());
                }
                for rid in roles {
                    self.try_bind(ctx, actor, write, namespace.as_deref(), rid, None);
                }
            }
            // `roleRef` is immutable: updating an existing binding (to add
            // oneself to its subjects) gains its role.
            BindingWrite::Existing(b) => {
                let Some((rid, _)) = g.bound_role(*b) else {
                    return;
                };
                let ns = g.binding(*b).and_then(|x| x.namespace.clone());
                self.try_bind(ctx, actor, write, ns.as_deref(), rid, Some(*b));
            }
        }
    }

    /// False when no binding in scope has a `bind` rule on the resource
    /// that applies to the actor, so that no `bind` request can be allowed
    /// (principals only; others may always).
    fn may_bind(&self, ctx: &mut Ctx<'g>, actor: u32, resource: &'static str, ns: &str) -> bool {
        if !ctx.indexed.contains(actor) {
            return true;
        }
        let key = (resource, ns.to_string());
        let binders = match ctx.binders.get(&key) {
            Some(found) => Rc::clone(found),
            None => {
                let mut out = Vec::new();
                for b in ctx
                    .index
                    .allowing_any_name("bind", RBAC_GROUP, resource, ns)
                {
                    out.extend(self.actors_of_binding(ctx, b).iter());
                }
                out.sort_unstable();
                out.dedup();
                let out = Rc::new(out);
                ctx.binders.insert(key, Rc::clone(&out));
                out
            }
        };
        binders.binary_search(&actor).is_ok()
    }

    fn try_bind(
        &mut self,
        ctx: &mut Ctx<'g>,
        actor: u32,
        write: &Piece,
        ns: Option<&str>,
        rid: RoleId,
        existing: Option<BindingId>,
    ) {
        let g = self.graph;
        let Some(role) = g.role(rid) else { return };
        // A binding to a role without rules grants nothing, and a RoleBinding
        // never grants non-resource URLs: their requests carry no namespace.
        // See: `pkg/registry/rbac/validation/rule.go :: VisitRulesFor`.
        if role
            .rules
            .iter()
            .all(|r| r.resources.is_empty() && (ns.is_some() || r.non_resource_urls.is_empty()))
        {
            return;
        }
        let bind = self
            .may_bind(ctx, actor, role_resource(role.kind), ns.unwrap_or(""))
            .then(|| {
                Request::resource("bind", RBAC_GROUP, role_resource(role.kind))
                    .in_namespace(ns.unwrap_or(""))
                    .named(&role.name)
            });
        // Allowed only by covering the role: nothing gained (see e02_write).
        let Some(escalation) = bind.and_then(|bind| self.decide_req(ctx, actor, bind)) else {
            return;
        };
        let target = if ns.is_none() && is_wildcard(&role.rules) {
            match self.ix(&AttackNode::ClusterAdmin) {
                Some(t) => t,
                None => return,
            }
        } else {
            self.grant_node(ctx, Some(rid), ns.map(str::to_string))
        };
        // The covered check and the object, made when the evidence is read.
        let namespace = match ns {
            None => Some(None),
            Some(ns) => self
                .catalogue
                .namespaces
                .binary_search_by(|x| x.as_str().cmp(ns))
                .ok()
                .map(|i| Some(i as u32)),
        };
        let tail = match namespace {
            Some(namespace) => Piece::Bind {
                role: rid,
                namespace,
                existing,
            },
            None => Piece::Shared(Arc::new(bind_evidence(self.graph, rid, ns, existing))),
        };
        let pieces = vec![write.clone(), escalation, tail];
        let ev = self.push_pieces(pieces);
        self.add_edge(actor, target, Technique::E02, ev);
    }

    /// The evidence of a role write the engine checked.
    fn write_check_evidence(
        write: Request,
        check: &WriteCheck,
        escalate: Request,
        role: &Role,
    ) -> Vec<Evidence> {
        let mut ev = vec![Evidence::Permission {
            request: write,
            reasons: check.authorization.reasons.clone(),
        }];
        ev.extend(Self::verdict_evidence(&check.escalation, escalate, role));
        ev
    }

    fn verdict_evidence(
        verdict: &EscalationVerdict,
        escalate: Request,
        role: &Role,
    ) -> Vec<Evidence> {
        match verdict {
            EscalationVerdict::Superuser => vec![fact("system:masters skips the escalation check")],
            EscalationVerdict::Verb { decision, .. } => vec![Evidence::Permission {
                request: escalate,
                reasons: decision.reasons.clone(),
            }],
            EscalationVerdict::Covered => vec![Evidence::Covered {
                role: object(
                    role.kind.as_str(),
                    &role.name,
                    role.namespace.as_deref(),
                    None,
                ),
                namespace: role.namespace.clone(),
                message: "already holds every rule written".into(),
            }],
            EscalationVerdict::Forbidden { .. } => Vec::new(),
        }
    }

    /// E03: rewrite a role bound to oneself with any rules. The storage
    /// allows a role update with `escalate` on it, or when every new rule is
    /// already held (which gains nothing).
    ///
    /// See: `pkg/registry/rbac/role/policybased/storage.go :: Update`,
    /// `escalation_check.go :: RoleEscalationAuthorized` (rbac-semantics.md §6.2).
    fn e03(&mut self, ctx: &mut Ctx<'g>, actor: u32) {
        let g = self.graph;
        let held: Vec<(Option<String>, RoleId, Option<BindingId>)> =
            match self.actors.get(actor as usize).and_then(Option::as_ref) {
                Some(Actor::Identity(id) | Actor::Restricted { identity: id, .. }) => g
                    .applicable_bindings(id)
                    .into_iter()
                    .filter_map(|(b, _)| {
                        let (rid, _) = g.bound_role(b)?;
                        Some((g.binding(b)?.namespace.clone(), rid, Some(b)))
                    })
                    .collect(),
                Some(Actor::Grant {
                    role: Some(rid),
                    namespace,
                    ..
                }) => vec![(namespace.clone(), *rid, None)],
                _ => Vec::new(),
            };
        let mut seen = HashSet::new();
        for (scope, rid, binding) in held {
            if !seen.insert((scope.clone(), rid)) {
                continue;
            }
            let Some(role) = g.role(rid) else { continue };
            let role_ns = role.namespace.clone().unwrap_or_default();
            let resource = role_resource(role.kind);
            let escalate = rbac_write("escalate", resource, &role_ns, &role.name);
            let update = rbac_write("update", resource, &role_ns, &role.name);
            let patch = rbac_write("patch", resource, &role_ns, &role.name);
            let mut rewritten = role.clone();
            rewritten.rules = vec![wildcard_rule()];
            let evidence = match self.actors.get(actor as usize).and_then(Option::as_ref) {
                Some(Actor::Identity(id)) => {
                    let check = g.check_role_write(id, &rewritten, WriteOp::Update);
                    if check.allowed {
                        Some(Self::write_check_evidence(update, &check, escalate, role))
                    } else if !matches!(check.escalation, EscalationVerdict::Forbidden { .. }) {
                        self.decide_req(ctx, actor, patch).map(|w| {
                            let mut ev = self.expand(&w);
                            ev.extend(Self::verdict_evidence(&check.escalation, escalate, role));
                            ev
                        })
                    } else {
                        None
                    }
                }
                Some(Actor::Grant { .. } | Actor::Restricted { .. }) => {
                    let write = self
                        .decide_req(ctx, actor, update)
                        .or_else(|| self.decide_req(ctx, actor, patch));
                    let esc = self
                        .decide_req(ctx, actor, escalate)
                        .map(|e| self.expand(&e))
                        .or_else(|| {
                            let mut wanted = rewritten.rules.clone();
                            if role.aggregation.is_some() {
                                wanted.push(PolicyRule::non_resource(["*"], ["*"]));
                            }
                            let owner = self.held(ctx, actor, &role_ns);
                            covers(&owner.rules, &wanted).0.then(|| {
                                Self::verdict_evidence(
                                    &EscalationVerdict::Covered,
                                    Request::resource("", "", ""),
                                    role,
                                )
                            })
                        });
                    match (write, esc) {
                        (Some(w), Some(e)) => {
                            let mut ev = self.expand(&w);
                            ev.extend(e);
                            Some(ev)
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            let Some(mut ev) = evidence else { continue };
            ev.push(Evidence::Object {
                object: g.role_ref(rid),
                message: "rewrite its rules as `*` on `*`".into(),
            });
            if let Some(b) = binding {
                ev.push(Evidence::Object {
                    object: g.binding_ref(b),
                    message: "binds the role to you".into(),
                });
            }
            let target = match scope {
                None => match self.ix(&AttackNode::ClusterAdmin) {
                    Some(t) => t,
                    None => continue,
                },
                Some(ns) => self.grant_node(ctx, None, Some(ns)),
            };
            let ev = self.push_evidence(ev);
            self.add_edge(actor, target, Technique::E03, ev);
        }
    }

    /// E13: a binding that applies to oneself references a role that does
    /// not exist; creating it (with `escalate`, since any rules one already
    /// holds gain nothing) grants whatever one writes.
    ///
    /// See: escalation-catalog.md E13; `RbacGraph::check_role_write` for the
    /// storage's create check.
    fn e13(&mut self, ctx: &mut Ctx<'g>, actor: u32) {
        let g = self.graph;
        let (id, restricted) = match self.actors.get(actor as usize) {
            Some(Some(Actor::Identity(id))) => (id.clone(), false),
            Some(Some(Actor::Restricted { identity, .. })) => (identity.clone(), true),
            _ => return,
        };
        let applicable: BTreeSet<BindingId> = g
            .applicable_bindings(&id)
            .into_iter()
            .map(|(b, _)| b)
            .collect();
        for b in applicable {
            if !matches!(g.resolution(b), Some(RoleResolution::Missing)) {
                continue;
            }
            let Some(binding) = g.binding(b) else {
                continue;
            };
            let (kind, namespace) = match binding.role_ref.kind.as_str() {
                "Role" => (RoleKind::Role, binding.namespace.clone()),
                _ => (RoleKind::ClusterRole, None),
            };
            let missing = Role {
                kind,
                name: binding.role_ref.name.clone(),
                namespace: namespace.clone(),
                labels: BTreeMap::new(),
                rules: vec![wildcard_rule()],
                aggregation: None,
                api_version: format!("{RBAC_GROUP}/v1"),
                source: Source::inline("the missing role"),
            };
            let resource = role_resource(kind);
            let ns = namespace.clone().unwrap_or_default();
            let create = rbac_write("create", resource, &ns, &missing.name);
            let escalate = rbac_write("escalate", resource, &ns, "");
            let mut ev = if restricted {
                // A shadow's steps are never shown: decided, no evidence.
                let wanted = [wildcard_rule()];
                let allowed = self.decide_req(ctx, actor, create).is_some()
                    && (self.decide_req(ctx, actor, escalate).is_some()
                        || covers(&self.held(ctx, actor, &ns).rules, &wanted).0);
                if !allowed {
                    continue;
                }
                Vec::new()
            } else {
                let check = g.check_role_write(&id, &missing, WriteOp::Create);
                if !check.allowed {
                    continue;
                }
                Self::write_check_evidence(create, &check, escalate, &missing)
            };
            ev.push(Evidence::Object {
                object: g.binding_ref(b),
                message: format!(
                    "applies to you and references {} {}, which does not exist: it grants whatever rules the role is created with",
                    binding.role_ref.kind, binding.role_ref.name
                ),
            });
            let target = match &binding.namespace {
                None => match self.ix(&AttackNode::ClusterAdmin) {
                    Some(t) => t,
                    None => continue,
                },
                Some(ns) => self.grant_node(ctx, None, Some(ns.clone())),
            };
            let ev = self.push_evidence(ev);
            self.add_edge(actor, target, Technique::E13, ev);
        }
    }
}

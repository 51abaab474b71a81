//! The technique catalogue: every capability (slots of alternative
//! requests → targets) of a cluster, built once from its objects.

use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt};
use std::rc::Rc;
use std::sync::Arc;

use super::build::{
    Capability, Lookup, Origin, Placement, SINKS_HUB, WORKLOADS_HUB, cluster_admin_probe, fact,
    object,
};
use super::index::{BindingIndex, KeyEntries};
use super::techniques::{POD_CONTROLLERS, Technique, privileged_pods_admitted};
use super::{
    AttackGraph, AttackNode, Evidence, NODE_USERNAME_PREFIX, Piece, SYSTEM_NODES, WorkloadFact,
};
use crate::graph::{RoleId, WorkloadId};
use crate::model::{RoleKind, WorkloadKind};
use crate::request::{Request, SYSTEM_MASTERS};

/// The signer whose certificates the API server accepts as client
/// credentials (any user name, any groups).
///
/// See: `pkg/apis/certificates/types.go :: KubeAPIServerClientSignerName`.
const KUBE_APISERVER_CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";

/// A slot of a capability: requests to intern, or an interned slot to share.
pub(crate) enum Slot {
    Requests(Vec<Request>),
    Interned(Arc<Vec<u32>>),
}

impl From<Vec<Request>> for Slot {
    fn from(requests: Vec<Request>) -> Self {
        Slot::Requests(requests)
    }
}

impl From<Arc<Vec<u32>>> for Slot {
    fn from(slot: Arc<Vec<u32>>) -> Self {
        Slot::Interned(slot)
    }
}

/// The slots of W04, W06 and W07 for the pods of a workload.
type PodSlots = [Arc<Vec<u32>>; 3];

/// Evidence shared by the edges of a capability, if any.
fn shared(facts: Vec<Evidence>) -> Option<Piece> {
    (!facts.is_empty()).then(|| Piece::Shared(Arc::new(facts)))
}

impl<'g> AttackGraph<'g> {
    /// Interns a slot's requests.
    fn slot(&mut self, requests: Vec<Request>) -> Arc<Vec<u32>> {
        Arc::new(requests.into_iter().map(|r| self.intern(r)).collect())
    }

    fn add_cap<S: Into<Slot>>(
        &mut self,
        technique: Technique,
        slots: Vec<S>,
        targets: Vec<u32>,
        facts: Vec<Evidence>,
    ) -> Option<usize> {
        self.add_cap_to(
            technique,
            slots,
            Arc::new(targets),
            None,
            shared(facts),
            None,
        )
    }

    /// A capability whose targets are a shared list ([`super::build::Catalogue::hubs`]).
    fn add_cap_hub<S: Into<Slot>>(
        &mut self,
        technique: Technique,
        slots: Vec<S>,
        hub: u32,
        facts: Vec<Evidence>,
    ) -> Option<usize> {
        let targets = self.catalogue.hubs.get(hub as usize).cloned()?;
        self.add_cap_to(technique, slots, targets, Some(hub), shared(facts), None)
    }

    fn add_cap_to<S: Into<Slot>>(
        &mut self,
        technique: Technique,
        slots: Vec<S>,
        targets: Arc<Vec<u32>>,
        hub: Option<u32>,
        facts: Option<Piece>,
        name: Option<Arc<str>>,
    ) -> Option<usize> {
        if targets.is_empty() {
            return None;
        }
        let slots = slots
            .into_iter()
            .map(|s| match s.into() {
                Slot::Requests(r) => self.slot(r),
                Slot::Interned(s) => s,
            })
            .collect();
        self.catalogue.caps.push(Capability {
            technique,
            slots,
            targets,
            hub,
            facts,
            name,
            per_target: None,
            origin: Origin::None,
        });
        Some(self.catalogue.caps.len() - 1)
    }

    /// Records the object a capability relies on ([`Origin`]).
    fn set_origin(&mut self, cap: Option<usize>, origin: Origin) {
        if let Some(c) = cap.and_then(|c| self.catalogue.caps.get_mut(c)) {
            c.origin = origin;
        }
    }

    /// W04, W06 and W07 to workloads of one namespace, with their pods'
    /// slots: each edge's evidence is its target's.
    fn add_workload_caps(&mut self, [exec, images, debug]: PodSlots, targets: Vec<u32>) {
        let targets = Arc::new(targets);
        for (technique, slot, fact) in [
            (Technique::W04, exec, WorkloadFact::Target),
            (Technique::W06, images, WorkloadFact::Images),
            (Technique::W07, debug, WorkloadFact::Target),
        ] {
            self.catalogue.caps.push(Capability {
                technique,
                slots: vec![slot],
                targets: Arc::clone(&targets),
                hub: None,
                facts: None,
                name: None,
                per_target: Some(fact),
                origin: Origin::None,
            });
        }
    }

    /// Which capabilities a RoleBinding in each namespace can fill: those
    /// whose every slot has a request in that namespace.
    fn index_caps_by_namespace(&mut self) {
        let requests = &self.catalogue.requests;
        // A slot's namespaces, sorted, by the slot's address: many
        // capabilities share a slot, and every slot lives as long as this.
        let mut of_slot: HashMap<*const Vec<u32>, Rc<Vec<&str>>> = HashMap::new();
        let mut by_namespace: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, cap) in self.catalogue.caps.iter().enumerate().skip(1) {
            let mut common: Option<Rc<Vec<&str>>> = None;
            for slot in &cap.slots {
                let here = of_slot
                    .entry(Arc::as_ptr(slot))
                    .or_insert_with(|| {
                        let mut here: Vec<&str> = slot
                            .iter()
                            .filter_map(|&r| requests.get(r as usize))
                            .map(Request::namespace)
                            .filter(|ns| !ns.is_empty())
                            .collect();
                        here.sort_unstable();
                        here.dedup();
                        Rc::new(here)
                    })
                    .clone();
                common = Some(match common {
                    None => here,
                    Some(c) => Rc::new(
                        c.iter()
                            .filter(|ns| here.binary_search(ns).is_ok())
                            .copied()
                            .collect(),
                    ),
                });
            }
            for &ns in common.iter().flat_map(|c| c.iter()) {
                by_namespace.entry(ns).or_default().push(i);
            }
        }
        self.catalogue.caps_by_namespace = by_namespace
            .into_iter()
            .map(|(ns, caps)| (ns.to_string(), caps))
            .collect();
    }

    /// The requests any of which lets one create a pod with a chosen
    /// service account in `ns`: create pods; create any pod controller; or
    /// update/patch one (any name, or an existing one's name) to change its
    /// template.
    ///
    /// An existing controller's name is asked only where some role's rule
    /// for updating or patching it lists it (`listed`: those keys per
    /// controller of [`POD_CONTROLLERS`]):
    /// a name no rule lists is allowed exactly when the nameless request
    /// before it is (a rule without `resourceNames` allows every name).
    fn pod_slot(
        &self,
        ns: &str,
        lookup: &Lookup<'_>,
        listed: &[[Rc<KeyEntries<'_>>; 2]],
    ) -> Vec<Request> {
        let mut out = vec![Request::resource("create", "", "pods").in_namespace(ns)];
        for (&(group, resource, kind), keys) in POD_CONTROLLERS.iter().zip(listed) {
            out.push(Request::resource("create", group, resource).in_namespace(ns));
            let mut names = vec![""];
            names.extend(
                lookup
                    .workloads
                    .get(&(ns, kind))
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|name| keys.iter().any(|k| k.any_role_lists(name))),
            );
            for verb in ["update", "patch"] {
                for name in &names {
                    out.push(
                        Request::resource(verb, group, resource)
                            .in_namespace(ns)
                            .named(*name),
                    );
                }
            }
        }
        out
    }

    pub(crate) fn build_catalogue(&mut self, lookup: &Lookup<'_>, index: &mut BindingIndex<'g>) {
        let g = self.graph;
        let all_workloads: Vec<u32> = (0..g.workloads().len())
            .filter_map(|i| {
                self.ix(&AttackNode::Workload {
                    id: WorkloadId(i as u32),
                })
            })
            .collect();
        self.catalogue.hubs = vec![Arc::new(lookup.sinks.clone()), Arc::new(all_workloads)];
        let admin = self
            .ix(&AttackNode::ClusterAdmin)
            .into_iter()
            .collect::<Vec<_>>();
        // E01 first: it decides which principals are cluster-admin.
        self.add_cap(Technique::E01, vec![vec![cluster_admin_probe()]], admin.clone(), vec![fact(
            "a rule with `*` verbs, `*` API groups and `*` resources through a ClusterRoleBinding allows every request",
        )]);

        let mut namespaces: BTreeSet<String> = g.namespaces().into_iter().collect();
        for n in &self.nodes {
            if let AttackNode::ServiceAccount { namespace, .. } = n {
                namespaces.insert(namespace.clone());
            }
        }
        let namespaces: Vec<String> = namespaces.into_iter().collect();
        self.catalogue.namespaces = namespaces.clone();
        // Room for what the loops below intern, so the tables are not
        // copied while they grow (an upper bound; untouched room costs no
        // memory): per workload, its pods' five requests and its
        // controller's two in its namespace's pod slot; per namespace, its
        // own requests; per Secret, node and identity, a few.
        let expected = 7 * g.workloads().len()
            + 40 * namespaces.len()
            + 3 * g.secrets().len()
            + 3 * self.nodes.len()
            + 64;
        self.reserve_requests(expected);
        self.catalogue
            .caps
            .reserve(4 * g.workloads().len() + 8 * namespaces.len() + 3 * self.nodes.len() + 64);
        for (i, role) in g.roles().iter().enumerate() {
            match (&role.kind, &role.namespace) {
                (RoleKind::ClusterRole, _) => self.catalogue.cluster_roles.push(RoleId(i as u32)),
                (RoleKind::Role, Some(ns)) => self
                    .catalogue
                    .roles_in
                    .entry(ns.clone())
                    .or_default()
                    .push(RoleId(i as u32)),
                (RoleKind::Role, None) => {}
            }
        }

        // Per namespace: W01, W02/W03, W13, C04 (and C01/C02 when assuming legacy tokens).
        let listed: Vec<[Rc<KeyEntries<'g>>; 2]> = POD_CONTROLLERS
            .iter()
            .map(|&(group, resource, _)| {
                ["update", "patch"].map(|verb| index.key(verb, group, resource, ""))
            })
            .collect();
        for ns in &namespaces {
            let sas = lookup.sa_nodes.get(ns).cloned().unwrap_or_default();
            let pods = self.pod_slot(ns, lookup, &listed);
            let pods = self.slot(pods);
            self.add_cap(
                Technique::W01,
                vec![Arc::clone(&pods)],
                sas.clone(),
                vec![fact(format!(
                    "a pod may run as any ServiceAccount of namespace {ns} and mount its token"
                ))],
            );
            let ns_object = g.namespace_object(ns);
            let (admitted, why) = privileged_pods_admitted(ns_object);
            let mut psa = Vec::new();
            if let Some(o) = ns_object {
                psa.push(Evidence::Object {
                    object: object("Namespace", &o.name, None, Some(&o.source)),
                    message: why.clone(),
                });
            } else {
                psa.push(fact(format!("namespace {ns}: {why}")));
            }
            if admitted {
                let mut facts = psa.clone();
                facts.push(fact(
                    "a privileged pod with hostPID and the host's `/` mounted is root on the node it names in `nodeName`",
                ));
                let cap =
                    self.add_cap_hub(Technique::W02, vec![Arc::clone(&pods)], SINKS_HUB, facts);
                let x = namespaces.binary_search(ns).map_or(u32::MAX, |x| x as u32);
                self.set_origin(cap, Origin::PrivilegedPods(x));
            } else {
                let relabel = vec![
                    Request::resource("update", "", "namespaces")
                        .in_namespace(ns)
                        .named(ns),
                    Request::resource("patch", "", "namespaces")
                        .in_namespace(ns)
                        .named(ns),
                ];
                let mut facts = psa.clone();
                facts.push(fact(format!(
                    "changing `{}` to `privileged` lifts the restriction for new pods",
                    super::techniques::PSA_ENFORCE_LABEL
                )));
                self.add_cap_hub(
                    Technique::W03,
                    vec![Slot::from(relabel), Slot::from(Arc::clone(&pods))],
                    SINKS_HUB,
                    facts,
                );
            }
            self.add_cap_hub(
                Technique::W13,
                vec![
                    Slot::from(vec![Request::resource("create", "", "persistentvolumes")]),
                    Slot::from(vec![Request::resource("create", "", "persistentvolumeclaims").in_namespace(ns)]),
                    Slot::from(Arc::clone(&pods)),
                ],
                SINKS_HUB,
                vec![fact(format!(
                    "a hostPath PersistentVolume claimed in namespace {ns} mounts the node's filesystem; Pod Security admission checks the pod's volumes, not the PersistentVolume"
                ))],
            );
            let read_any = vec![
                Request::resource("get", "", "secrets").in_namespace(ns),
                Request::resource("list", "", "secrets").in_namespace(ns),
                Request::resource("watch", "", "secrets").in_namespace(ns),
            ];
            self.add_cap(
                Technique::C04,
                vec![vec![Request::resource("create", "", "secrets").in_namespace(ns)], read_any],
                sas.clone(),
                vec![fact(
                    "the token controller fills a Secret of type kubernetes.io/service-account-token annotated kubernetes.io/service-account.name with a long-lived token for that ServiceAccount",
                )],
            );
            if self.options.assume_legacy_tokens {
                let assumed = fact(format!(
                    "assumed legacy token Secrets (--assume-legacy-tokens): before v1.24 every ServiceAccount of {ns} had one"
                ));
                self.add_cap(
                    Technique::C01,
                    vec![vec![
                        Request::resource("list", "", "secrets").in_namespace(ns),
                        Request::resource("watch", "", "secrets").in_namespace(ns),
                    ]],
                    sas.clone(),
                    vec![assumed.clone()],
                );
                self.add_cap(
                    Technique::C02,
                    vec![vec![Request::resource("get", "", "secrets").in_namespace(ns)]],
                    sas.clone(),
                    vec![assumed, fact("legacy token Secret names are `<serviceaccount>-token-<5 random characters>`: getting any name finds them")],
                );
            }
        }

        // Legacy token Secrets that exist: C01 (list/watch, by name through a
        // metadata.name field selector) and C02 (get by name).
        for (si, s) in g.secrets().iter().enumerate() {
            let Some(sa) = &s.service_account else {
                continue;
            };
            if s.type_ != "kubernetes.io/service-account-token" {
                continue;
            }
            let Some(target) = self.ix(&AttackNode::ServiceAccount {
                namespace: s.namespace.clone(),
                name: sa.clone(),
            }) else {
                continue;
            };
            let secret = Evidence::Object {
                object: object("Secret", &s.name, Some(&s.namespace), Some(&s.source)),
                message: format!("legacy token Secret of ServiceAccount {}/{sa}", s.namespace),
            };
            let c01 = self.add_cap(
                Technique::C01,
                vec![vec![
                    Request::resource("list", "", "secrets")
                        .in_namespace(&s.namespace)
                        .named(&s.name),
                    Request::resource("watch", "", "secrets")
                        .in_namespace(&s.namespace)
                        .named(&s.name),
                ]],
                vec![target],
                vec![secret.clone()],
            );
            self.set_origin(c01, Origin::TokenSecret(si as u32));
            let c02 = self.add_cap(
                Technique::C02,
                vec![vec![
                    Request::resource("get", "", "secrets")
                        .in_namespace(&s.namespace)
                        .named(&s.name),
                ]],
                vec![target],
                vec![secret],
            );
            self.set_origin(c02, Origin::TokenSecret(si as u32));
        }

        // W04, W06, W07 (code execution in a workload's pods). A pod's
        // requests carry its name only where some rule lists it (or lists
        // the empty name); elsewhere they decide, with the same reasons, as
        // the namespace's nameless requests, and one capability per
        // namespace and technique targets every such workload (its evidence
        // is the target's, with the pod's name put back). A controller's pods
        // have generated names: only rules without resourceNames reach them.
        let pod_keys = [
            ("create", "exec"),
            ("update", ""),
            ("patch", ""),
            ("update", "ephemeralcontainers"),
            ("patch", "ephemeralcontainers"),
        ]
        .map(|(verb, sub)| index.key(verb, "", "pods", sub));
        let names_matter = |pod: &str| {
            pod_keys
                .iter()
                .any(|k| k.any_role_lists(pod) || k.any_role_lists(""))
        };
        let mut nameless: HashMap<&str, usize> = HashMap::new();
        // Per namespace, in order: its nameless slots and their workloads.
        let mut shared: Vec<(PodSlots, Vec<u32>)> = Vec::new();
        let mut admits: HashMap<&str, bool> = HashMap::new();
        for (i, w) in g.workloads().iter().enumerate() {
            let Some(node) = self.ix(&AttackNode::Workload {
                id: WorkloadId(i as u32),
            }) else {
                continue;
            };
            let pod = if w.kind == WorkloadKind::Pod {
                w.name.as_str()
            } else {
                ""
            };
            let lazy = |fact| {
                Some(Piece::Workload {
                    id: WorkloadId(i as u32),
                    fact,
                })
            };
            let slots = |this: &mut Self, name: &str| {
                let req = |verb: &str, sub: &str| {
                    Request::resource(verb, "", "pods")
                        .subresource(sub)
                        .in_namespace(&w.namespace)
                        .named(name)
                };
                [
                    this.slot(vec![req("create", "exec")]),
                    this.slot(vec![req("update", ""), req("patch", "")]),
                    this.slot(vec![
                        req("update", "ephemeralcontainers"),
                        req("patch", "ephemeralcontainers"),
                    ]),
                ]
            };
            let (name, debug) = if !pod.is_empty() && names_matter(pod) {
                let slots = slots(self, pod);
                let debug = Arc::clone(&slots[2]);
                self.add_workload_caps(slots, vec![node]);
                (None, debug)
            } else {
                let k = match nameless.get(w.namespace.as_str()) {
                    Some(&k) => k,
                    None => {
                        let made = slots(self, "");
                        shared.push((made, Vec::new()));
                        nameless.insert(w.namespace.as_str(), shared.len() - 1);
                        shared.len() - 1
                    }
                };
                let Some((made, targets)) = shared.get_mut(k) else {
                    continue;
                };
                targets.push(node);
                let [_, _, debug] = made;
                (
                    (!pod.is_empty()).then(|| Arc::<str>::from(pod)),
                    Arc::clone(debug),
                )
            };
            let admitted = *admits
                .entry(w.namespace.as_str())
                .or_insert_with(|| privileged_pods_admitted(g.namespace_object(&w.namespace)).0);
            if admitted {
                let facts = lazy(WorkloadFact::PrivilegedDebug);
                match self.placement(w) {
                    Placement::Every => {
                        if let Some(targets) = self.catalogue.hubs.get(SINKS_HUB as usize).cloned()
                        {
                            let cap = self.add_cap_to(
                                Technique::W07,
                                vec![debug],
                                targets,
                                Some(SINKS_HUB),
                                facts,
                                name,
                            );
                            self.set_origin(cap, Origin::PrivilegedDebug(WorkloadId(i as u32)));
                        }
                    }
                    Placement::Nodes(nodes) => {
                        let cap = self.add_cap_to(
                            Technique::W07,
                            vec![debug],
                            Arc::new(nodes),
                            None,
                            facts,
                            name,
                        );
                        self.set_origin(cap, Origin::PrivilegedDebug(WorkloadId(i as u32)));
                    }
                }
            }
        }
        for (slots, targets) in shared {
            self.add_workload_caps(slots, targets);
        }

        // W08: the kubelet API of a node (or of every node) runs commands in its pods.
        let any_node = vec![
            Request::resource("get", "", "nodes").subresource("proxy"),
            Request::resource("create", "", "nodes").subresource("proxy"),
        ];
        self.add_cap_hub(Technique::W08, vec![any_node], WORKLOADS_HUB, vec![fact(
            "the kubelet authorizes /exec and /run with `get` or `create` on nodes/proxy (named after the node) and runs them in any pod of its node",
        )]);
        let node_names: Vec<String> = self
            .nodes
            .iter()
            .filter_map(|n| match n {
                AttackNode::Node { name: Some(x) } => Some(x.clone()),
                _ => None,
            })
            .collect();
        let mut by_node: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, w) in g.workloads().iter().enumerate() {
            if let Some(name) = w.pod.node_name.as_deref()
                && let Some(node) = self.ix(&AttackNode::Workload {
                    id: WorkloadId(i as u32),
                })
            {
                by_node.entry(name).or_default().push(node);
            }
        }
        for name in &node_names {
            let on_node = by_node.remove(name.as_str()).unwrap_or_default();
            let mut facts = vec![fact(format!(
                "the kubelet of node {name} runs commands in the pods bound to it"
            ))];
            if let Some(o) = lookup.nodes.get(name.as_str()) {
                facts.push(Evidence::Object {
                    object: object("Node", name, None, Some(&o.source)),
                    message: "the node".into(),
                });
            }
            self.add_cap(
                Technique::W08,
                vec![vec![
                    Request::resource("get", "", "nodes")
                        .subresource("proxy")
                        .named(name),
                    Request::resource("create", "", "nodes")
                        .subresource("proxy")
                        .named(name),
                ]],
                on_node,
                facts,
            );
        }

        // E04: impersonation. Users and groups are cluster-scoped; a service
        // account is asked as `serviceaccounts` in its namespace.
        // See: `staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go
        // :: buildImpersonationRequests` (rbac-semantics.md §7.1).
        let impersonate = |resource: &str, ns: &str, name: &str| {
            Request::resource("impersonate", "", resource)
                .in_namespace(ns)
                .named(name)
        };
        // Impersonating a group needs a user too (groups without a user are
        // a 400): any user or service account one may impersonate.
        let mut any_user = vec![impersonate("users", "", "")];
        let mut user_names = index.key("impersonate", "", "users", "").listed_names();
        let mut sa_targets = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            match n {
                AttackNode::User { name } => {
                    user_names.insert(name.clone());
                }
                AttackNode::NodeIdentity { name } => {
                    user_names.insert(format!("{NODE_USERNAME_PREFIX}{name}"));
                }
                AttackNode::ServiceAccount { namespace, name } => {
                    sa_targets.push((i as u32, namespace.clone(), name.clone()));
                }
                _ => {}
            }
        }
        any_user.extend(user_names.iter().map(|u| impersonate("users", "", u)));
        any_user.extend(
            namespaces
                .iter()
                .map(|ns| impersonate("serviceaccounts", ns, "")),
        );
        any_user.extend(
            sa_targets
                .iter()
                .map(|(_, ns, name)| impersonate("serviceaccounts", ns, name)),
        );
        let any_user = self.slot(any_user);
        let targets: Vec<(u32, AttackNode)> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u32, n.clone()))
            .collect();
        for (i, n) in targets {
            match n {
                AttackNode::User { name } => {
                    self.add_cap(
                        Technique::E04,
                        vec![vec![impersonate("users", "", &name)]],
                        vec![i],
                        Vec::new(),
                    );
                }
                AttackNode::NodeIdentity { name } => {
                    self.add_cap(
                        Technique::E04,
                        vec![
                            vec![impersonate(
                                "users",
                                "",
                                &format!("{NODE_USERNAME_PREFIX}{name}"),
                            )],
                            vec![impersonate("groups", "", SYSTEM_NODES)],
                        ],
                        vec![i],
                        Vec::new(),
                    );
                }
                AttackNode::ServiceAccount { namespace, name } => {
                    self.add_cap(
                        Technique::E04,
                        vec![vec![impersonate("serviceaccounts", &namespace, &name)]],
                        vec![i],
                        Vec::new(),
                    );
                    // C03: TokenRequest, `create serviceaccounts/token` named after the SA.
                    // See: rbac-semantics.md §7.2.
                    self.add_cap(
                        Technique::C03,
                        vec![vec![
                            Request::resource("create", "", "serviceaccounts")
                                .subresource("token")
                                .in_namespace(&namespace)
                                .named(&name),
                        ]],
                        vec![i],
                        Vec::new(),
                    );
                }
                AttackNode::Group { name } => {
                    self.add_cap(
                        Technique::E04,
                        vec![
                            Slot::from(vec![impersonate("groups", "", &name)]),
                            Slot::from(Arc::clone(&any_user)),
                        ],
                        vec![i],
                        Vec::new(),
                    );
                }
                _ => {}
            }
        }
        self.add_cap(
            Technique::E04,
            vec![
                Slot::from(vec![impersonate("groups", "", SYSTEM_MASTERS)]),
                Slot::from(any_user),
            ],
            admin.clone(),
            vec![fact(
                "members of system:masters are allowed every request before RBAC is asked",
            )],
        );

        // E07: a client certificate for any user and groups, system:masters included.
        // See: `plugin/pkg/admission/certificates/approval/admission.go` and
        // `pkg/certauthorization :: IsAuthorizedForSignerName` (the signer name,
        // then `<domain>/*`).
        let csr = |verb: &str, sub: &str, name: &str| {
            Request::resource(verb, "certificates.k8s.io", "certificatesigningrequests")
                .subresource(sub)
                .named(name)
        };
        // The attacker names its CSR, so a resourceNames-limited rule works
        // with one of its names.
        let mut approval = vec![csr("update", "approval", "")];
        approval.extend(
            index
                .key(
                    "update",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "approval",
                )
                .listed_names()
                .iter()
                .map(|n| csr("update", "approval", n)),
        );
        let mut fetch = vec![
            csr("get", "", ""),
            csr("list", "", ""),
            csr("watch", "", ""),
        ];
        fetch.extend(
            index
                .key(
                    "get",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "",
                )
                .listed_names()
                .iter()
                .map(|n| csr("get", "", n)),
        );
        self.add_cap(
            Technique::E07,
            vec![
                vec![csr("create", "", "")],
                approval,
                vec![
                    Request::resource("approve", "certificates.k8s.io", "signers").named(KUBE_APISERVER_CLIENT_SIGNER),
                    Request::resource("approve", "certificates.k8s.io", "signers").named("kubernetes.io/*"),
                ],
                fetch,
            ],
            admin.clone(),
            vec![fact(format!(
                "an approved CSR for signer {KUBE_APISERVER_CLIENT_SIGNER} with organization system:masters is signed by kube-controller-manager and authenticates as a member of system:masters"
            ))],
        );

        // E08: a mutating webhook sees and rewrites every admitted object.
        let webhook = |verb: &str| {
            Request::resource(
                verb,
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
            )
        };
        self.add_cap(
            Technique::E08,
            vec![vec![webhook("create"), webhook("update"), webhook("patch")]],
            admin.clone(),
            vec![fact(
                "a mutating admission webhook can rewrite every pod the controllers create (privileged containers, any ServiceAccount) and sees every admitted object",
            )],
        );

        // E09: EKS maps IAM identities through kube-system/aws-auth.
        if self.options.eks {
            let aws_auth = |verb: &str| {
                Request::resource(verb, "", "configmaps")
                    .in_namespace("kube-system")
                    .named("aws-auth")
            };
            self.add_cap(
                Technique::E09,
                vec![vec![aws_auth("update"), aws_auth("patch")]],
                admin,
                vec![fact(
                    "on EKS, kube-system/aws-auth maps IAM roles and users to Kubernetes users and groups, system:masters included",
                )],
            );
        }
        self.index_caps_by_namespace();
    }
}

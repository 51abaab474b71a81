//! Resource discovery: which resource types exist, their group, plural,
//! kind, short names and scope, and kubectl-style name resolution.
//!
//! Built-in types come from k8s-openapi's [`k8s_openapi::Resource`] metadata
//! (only types present in every Kubernetes version the crate supports, so the
//! core picks no version); short names are kubectl's, which discovery
//! serves and k8s-openapi does not carry. Loaded CRDs add to the table.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::Error;
use crate::model::{CustomResource, Scope};

/// One resource type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceType {
    /// API group, `""` for core.
    pub group: String,
    /// Plural resource name as used in RBAC rules.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Kind.
    pub kind: String,
    /// kubectl short names.
    pub short_names: Vec<String>,
    /// Namespaced or cluster-scoped.
    pub scope: Scope,
    /// Whether it came from a loaded CustomResourceDefinition.
    pub custom: bool,
}

impl ResourceType {
    /// `plural` or `plural.group`.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// A resource name resolved against discovery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedResource {
    /// API group.
    pub group: String,
    /// Plural resource name.
    pub resource: String,
    /// Scope; `None` when the type is not known (asked for as `TYPE.GROUP`).
    pub scope: Option<Scope>,
}

impl ResolvedResource {
    /// Whether requests on it carry a namespace. Unknown types count as
    /// namespaced, as custom resources usually are.
    pub fn is_namespaced(&self) -> bool {
        self.scope != Some(Scope::Cluster)
    }
}

trait ScopeOf {
    const SCOPE: Scope;
}
impl ScopeOf for k8s_openapi::NamespaceResourceScope {
    const SCOPE: Scope = Scope::Namespaced;
}
impl ScopeOf for k8s_openapi::ClusterResourceScope {
    const SCOPE: Scope = Scope::Cluster;
}

fn builtin<T>(short_names: &[&str]) -> ResourceType
where
    T: k8s_openapi::Resource,
    T::Scope: ScopeOf,
{
    ResourceType {
        group: T::GROUP.to_string(),
        plural: T::URL_PATH_SEGMENT.to_string(),
        singular: T::KIND.to_lowercase(),
        kind: T::KIND.to_string(),
        short_names: short_names.iter().map(|s| s.to_string()).collect(),
        scope: <T::Scope as ScopeOf>::SCOPE,
        custom: false,
    }
}

/// Resources that exist only for authorization (impersonation, CSR signers):
/// no object of these kinds is ever stored, so k8s-openapi has no type.
/// See: rbac-semantics.md §7.1 and the certificates API's `signers` resource.
const VIRTUAL: &[(&str, &str, &str)] = &[
    ("", "users", "User"),
    ("", "groups", "Group"),
    ("authentication.k8s.io", "userextras", "UserExtra"),
    ("authentication.k8s.io", "uids", "UID"),
    ("certificates.k8s.io", "signers", "Signer"),
];

fn builtins() -> Vec<ResourceType> {
    use k8s_openapi::api::{
        admissionregistration::v1 as adm, apps::v1 as apps, authentication::v1 as authn,
        authorization::v1 as authz, autoscaling::v2 as autoscaling, batch::v1 as batch,
        certificates::v1 as certs, coordination::v1 as coord, core::v1 as core,
        discovery::v1 as disc, events::v1 as events, flowcontrol::v1 as flow,
        networking::v1 as net, node::v1 as node, policy::v1 as policy, rbac::v1 as rbac,
        scheduling::v1 as sched, storage::v1 as storage,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
    use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apireg;
    let mut out = vec![
        builtin::<core::Binding>(&[]),
        builtin::<core::ComponentStatus>(&["cs"]),
        builtin::<core::ConfigMap>(&["cm"]),
        builtin::<core::Endpoints>(&["ep"]),
        builtin::<core::Event>(&["ev"]),
        builtin::<core::LimitRange>(&["limits"]),
        builtin::<core::Namespace>(&["ns"]),
        builtin::<core::Node>(&["no"]),
        builtin::<core::PersistentVolumeClaim>(&["pvc"]),
        builtin::<core::PersistentVolume>(&["pv"]),
        builtin::<core::Pod>(&["po"]),
        builtin::<core::PodTemplate>(&[]),
        builtin::<core::ReplicationController>(&["rc"]),
        builtin::<core::ResourceQuota>(&["quota"]),
        builtin::<core::Secret>(&[]),
        builtin::<core::ServiceAccount>(&["sa"]),
        builtin::<core::Service>(&["svc"]),
        builtin::<adm::MutatingWebhookConfiguration>(&[]),
        builtin::<adm::ValidatingWebhookConfiguration>(&[]),
        builtin::<adm::ValidatingAdmissionPolicy>(&[]),
        builtin::<adm::ValidatingAdmissionPolicyBinding>(&[]),
        builtin::<apiext::CustomResourceDefinition>(&["crd", "crds"]),
        builtin::<apireg::APIService>(&[]),
        builtin::<apps::ControllerRevision>(&[]),
        builtin::<apps::DaemonSet>(&["ds"]),
        builtin::<apps::Deployment>(&["deploy"]),
        builtin::<apps::ReplicaSet>(&["rs"]),
        builtin::<apps::StatefulSet>(&["sts"]),
        builtin::<authn::SelfSubjectReview>(&[]),
        builtin::<authn::TokenReview>(&[]),
        builtin::<authz::LocalSubjectAccessReview>(&[]),
        builtin::<authz::SelfSubjectAccessReview>(&[]),
        builtin::<authz::SelfSubjectRulesReview>(&[]),
        builtin::<authz::SubjectAccessReview>(&[]),
        builtin::<autoscaling::HorizontalPodAutoscaler>(&["hpa"]),
        builtin::<batch::CronJob>(&["cj"]),
        builtin::<batch::Job>(&[]),
        builtin::<certs::CertificateSigningRequest>(&["csr"]),
        builtin::<coord::Lease>(&[]),
        builtin::<disc::EndpointSlice>(&[]),
        builtin::<events::Event>(&["ev"]),
        builtin::<flow::FlowSchema>(&[]),
        builtin::<flow::PriorityLevelConfiguration>(&[]),
        builtin::<net::Ingress>(&["ing"]),
        builtin::<net::IngressClass>(&[]),
        builtin::<net::IPAddress>(&["ip"]),
        builtin::<net::NetworkPolicy>(&["netpol"]),
        builtin::<net::ServiceCIDR>(&[]),
        builtin::<node::RuntimeClass>(&[]),
        builtin::<policy::PodDisruptionBudget>(&["pdb"]),
        builtin::<rbac::ClusterRole>(&[]),
        builtin::<rbac::ClusterRoleBinding>(&[]),
        builtin::<rbac::Role>(&[]),
        builtin::<rbac::RoleBinding>(&[]),
        builtin::<sched::PriorityClass>(&["pc"]),
        builtin::<storage::CSIDriver>(&[]),
        builtin::<storage::CSINode>(&[]),
        builtin::<storage::CSIStorageCapacity>(&[]),
        builtin::<storage::StorageClass>(&["sc"]),
        builtin::<storage::VolumeAttachment>(&[]),
    ];
    out.extend(VIRTUAL.iter().map(|(group, plural, kind)| ResourceType {
        group: group.to_string(),
        plural: plural.to_string(),
        singular: kind.to_lowercase(),
        kind: kind.to_string(),
        short_names: Vec::new(),
        scope: Scope::Cluster,
        custom: false,
    }));
    out
}

/// The resource types known to a graph: built-ins plus loaded CRDs.
#[derive(Clone, Debug)]
pub struct Discovery {
    types: Vec<ResourceType>,
    by_group_resource: HashMap<(String, String), usize>,
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery::new(&[])
    }
}

impl Discovery {
    /// Built-in types plus the given CRDs (a CRD never replaces a built-in).
    pub fn new(crds: &[CustomResource]) -> Self {
        let mut types = builtins();
        for crd in crds {
            types.push(ResourceType {
                group: crd.group.clone(),
                plural: crd.plural.clone(),
                singular: crd.singular.clone(),
                kind: crd.kind.clone(),
                short_names: crd.short_names.clone(),
                scope: crd.scope,
                custom: true,
            });
        }
        let mut by_group_resource = HashMap::new();
        for (i, t) in types.iter().enumerate() {
            by_group_resource
                .entry((t.group.clone(), t.plural.clone()))
                .or_insert(i);
        }
        Discovery {
            types,
            by_group_resource,
        }
    }

    /// Every known type.
    pub fn types(&self) -> &[ResourceType] {
        &self.types
    }

    /// The type with this group and plural, if known.
    pub fn get(&self, group: &str, plural: &str) -> Option<&ResourceType> {
        self.by_group_resource
            .get(&(group.to_string(), plural.to_string()))
            .and_then(|&i| self.types.get(i))
    }

    /// Scope of a resource, `None` if unknown.
    pub fn scope(&self, group: &str, plural: &str) -> Option<Scope> {
        self.get(group, plural).map(|t| t.scope)
    }

    /// Resolves `TYPE[.GROUP]` as kubectl does: plural, singular, kind or
    /// short name, case-insensitively; with `.GROUP` (optionally
    /// `.VERSION.GROUP`) restricted to that group. When several groups serve
    /// a bare name the core group wins, then built-ins, then CRDs. A name
    /// with a group that no loaded type matches is taken literally, so
    /// resources from CRDs that are not loaded can still be queried; an
    /// unknown bare name is an error with suggestions.
    ///
    /// ```
    /// use rbacgraph::discovery::Discovery;
    /// let d = Discovery::default();
    /// assert_eq!(d.resolve("deploy").unwrap().group, "apps");
    /// assert_eq!(d.resolve("po").unwrap().resource, "pods");
    /// assert_eq!(d.resolve("widgets.example.com").unwrap().scope, None);
    /// assert!(d.resolve("widgets").is_err());
    /// ```
    pub fn resolve(&self, name: &str) -> Result<ResolvedResource, Error> {
        if name.is_empty() {
            return Err(Error::Invalid {
                what: "resource",
                value: String::new(),
                reason: "a resource type is required".into(),
            });
        }
        if name == "*" {
            return Ok(ResolvedResource {
                group: "*".into(),
                resource: "*".into(),
                scope: None,
            });
        }
        let (type_name, group) = match name.split_once('.') {
            Some((t, g)) => (t, Some(strip_version(g))),
            None => (name, None),
        };
        let lower = type_name.to_lowercase();
        let matches = |t: &ResourceType| {
            t.plural == lower
                || t.singular == lower
                || t.kind.to_lowercase() == lower
                || t.short_names.contains(&lower)
        };
        let found = self
            .types
            .iter()
            .filter(|t| group.is_none_or(|g| g == t.group) && matches(t))
            .min_by_key(|t| (!t.group.is_empty(), t.custom));
        if let Some(t) = found {
            return Ok(ResolvedResource {
                group: t.group.clone(),
                resource: t.plural.clone(),
                scope: Some(t.scope),
            });
        }
        match group {
            Some(g) => Ok(ResolvedResource {
                group: g.to_string(),
                resource: type_name.to_string(),
                scope: None,
            }),
            None => Err(Error::UnknownResource {
                name: name.to_string(),
                suggestions: self.suggest(&lower),
            }),
        }
    }

    fn suggest(&self, lower: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .types
            .iter()
            .filter(|t| {
                t.plural.contains(lower)
                    || lower.contains(t.singular.as_str())
                    || t.kind.to_lowercase().contains(lower)
            })
            .map(ResourceType::qualified)
            .collect();
        out.sort();
        out.dedup();
        out.truncate(3);
        out
    }
}

/// `v1.apps` → `apps`; `apps` → `apps`.
fn strip_version(group: &str) -> &str {
    match group.split_once('.') {
        Some((first, rest)) if is_version(first) => rest,
        _ => group,
    }
}

fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    tail.is_empty()
        || ["alpha", "beta"].iter().any(|p| {
            tail.strip_prefix(p)
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
        })
}

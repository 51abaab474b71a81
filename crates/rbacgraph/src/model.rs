//! The object model: the parts of Kubernetes objects that RBAC analysis needs.
//!
//! These are lean, owned structs. The loader fills them from YAML/JSON and
//! from k8s-openapi objects ([`crate::GraphBuilder::add_resource`]). Secret payloads (`data`,
//! `stringData`) have no field here, so they are never stored.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Where an object came from: a file (or `-` for stdin, or a caller-given
/// label) and the zero-based document index inside it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// File path, `-` for standard input, or the label given to the loader.
    pub file: Arc<str>,
    /// Zero-based index of the document in the file (YAML `---` stream or
    /// concatenated JSON values).
    pub document: usize,
    /// Zero-based index inside a `List` document (`items[i]`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    /// One-based line where the document starts, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Source {
    /// A source for objects built in code rather than read from a file.
    pub fn inline(label: &str) -> Self {
        Source {
            file: Arc::from(label),
            document: 0,
            item: None,
            line: None,
        }
    }
}

impl fmt::Display for Source {
    /// `file:line` for a document; `file (document N, items[i])` for an item
    /// of a List.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.item, self.line) {
            (Some(item), _) => write!(
                f,
                "{} (document {}, items[{item}])",
                self.file, self.document
            ),
            (None, Some(line)) => write!(f, "{}:{line} (document {})", self.file, self.document),
            (None, None) => write!(f, "{} (document {})", self.file, self.document),
        }
    }
}

/// One RBAC policy rule, exactly as written (strings are not normalised:
/// RBAC compares them case-sensitively).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    /// Verbs, `*` for all.
    pub verbs: Vec<String>,
    /// API groups, `""` for the core group, `*` for all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    /// Resources: `*`, `res`, `res/sub` or `*/sub`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Object names; empty means any name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    /// Non-resource URL paths; a trailing `*` is a prefix match. Serialized
    /// with Kubernetes' spelling, `nonResourceURLs`.
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// A resource rule.
    pub fn resource<V, G, R>(verbs: V, api_groups: G, resources: R) -> Self
    where
        V: IntoIterator,
        V::Item: Into<String>,
        G: IntoIterator,
        G::Item: Into<String>,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        PolicyRule {
            verbs: verbs.into_iter().map(Into::into).collect(),
            api_groups: api_groups.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().map(Into::into).collect(),
            ..PolicyRule::default()
        }
    }

    /// A non-resource URL rule.
    pub fn non_resource<V, U>(verbs: V, urls: U) -> Self
    where
        V: IntoIterator,
        V::Item: Into<String>,
        U: IntoIterator,
        U::Item: Into<String>,
    {
        PolicyRule {
            verbs: verbs.into_iter().map(Into::into).collect(),
            non_resource_urls: urls.into_iter().map(Into::into).collect(),
            ..PolicyRule::default()
        }
    }

    /// Restricts the rule to the given object names.
    pub fn with_names<N>(mut self, names: N) -> Self
    where
        N: IntoIterator,
        N::Item: Into<String>,
    {
        self.resource_names = names.into_iter().map(Into::into).collect();
        self
    }
}

/// `verbs [get list], apiGroups [""], resources [pods], resourceNames [web]`:
/// the rule's non-empty fields, as kubectl prints lists.
impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
            let items: Vec<&str> = items
                .into_iter()
                .map(|s| if s.is_empty() { "\"\"" } else { s.as_str() })
                .collect();
            format!("[{}]", items.join(" "))
        }
        write!(f, "verbs {}", list(&self.verbs))?;
        for (field, values) in [
            ("apiGroups", &self.api_groups),
            ("resources", &self.resources),
            ("resourceNames", &self.resource_names),
            ("nonResourceURLs", &self.non_resource_urls),
        ] {
            if !values.is_empty() {
                write!(f, ", {field} {}", list(values))?;
            }
        }
        Ok(())
    }
}

/// `Role` or `ClusterRole`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoleKind {
    /// A namespaced `Role`.
    Role,
    /// A cluster-wide `ClusterRole`.
    ClusterRole,
}

impl RoleKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

impl fmt::Display for RoleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label selector requirement operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SelectorOperator {
    /// Key present and value in the set.
    In,
    /// Key absent, or value not in the set.
    NotIn,
    /// Key present.
    Exists,
    /// Key absent.
    DoesNotExist,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SelectorRequirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: SelectorOperator,
    /// Values (non-empty for In/NotIn, empty otherwise).
    pub values: Vec<String>,
}

/// A `metav1.LabelSelector`. An empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// `matchLabels`: all must be equal.
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`: all must hold.
    pub match_expressions: Vec<SelectorRequirement>,
}

/// A Role or ClusterRole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// Role or ClusterRole.
    pub kind: RoleKind,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` for a Role; `None` for a ClusterRole.
    pub namespace: Option<String>,
    /// `metadata.labels` (aggregation selects on them).
    pub labels: BTreeMap<String, String>,
    /// The rules as written in the manifest. For an aggregated ClusterRole
    /// the graph replaces them by the computed union.
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors`, for an aggregated ClusterRole.
    pub aggregation: Option<Vec<LabelSelector>>,
    /// The `apiVersion` it was written with.
    pub api_version: String,
    /// Where it was read from.
    pub source: Source,
}

/// `RoleBinding` or `ClusterRoleBinding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BindingKind {
    /// A namespaced `RoleBinding`.
    RoleBinding,
    /// A cluster-wide `ClusterRoleBinding`.
    ClusterRoleBinding,
}

impl BindingKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

impl fmt::Display for BindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A binding's `roleRef`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    /// `Role` or `ClusterRole` (anything else never resolves).
    pub kind: String,
    /// Role name.
    pub name: String,
    /// API group (not examined during evaluation).
    pub api_group: String,
}

/// The kind of a binding subject.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum SubjectKind {
    /// A user name.
    User,
    /// A group name.
    Group,
    /// A service account.
    ServiceAccount,
    /// Any other kind: never matches anyone.
    Other(String),
}

impl SubjectKind {
    /// Parses a subject kind string.
    pub fn parse(kind: &str) -> Self {
        match kind {
            "User" => SubjectKind::User,
            "Group" => SubjectKind::Group,
            "ServiceAccount" => SubjectKind::ServiceAccount,
            other => SubjectKind::Other(other.to_string()),
        }
    }

    /// The Kubernetes kind name.
    pub fn as_str(&self) -> &str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
            SubjectKind::Other(s) => s,
        }
    }
}

/// One binding subject, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// User, Group, ServiceAccount or other.
    pub kind: SubjectKind,
    /// Name.
    pub name: String,
    /// Namespace (ServiceAccount only; may be empty in a RoleBinding).
    pub namespace: String,
    /// API group as written (not examined during evaluation).
    pub api_group: String,
}

impl Subject {
    /// A `User` subject.
    pub fn user(name: impl Into<String>) -> Self {
        Subject {
            kind: SubjectKind::User,
            name: name.into(),
            namespace: String::new(),
            api_group: crate::RBAC_GROUP.to_string(),
        }
    }

    /// A `Group` subject.
    pub fn group(name: impl Into<String>) -> Self {
        Subject {
            kind: SubjectKind::Group,
            name: name.into(),
            namespace: String::new(),
            api_group: crate::RBAC_GROUP.to_string(),
        }
    }

    /// A `ServiceAccount` subject (`namespace` may be empty in a RoleBinding).
    pub fn service_account(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Subject {
            kind: SubjectKind::ServiceAccount,
            name: name.into(),
            namespace: namespace.into(),
            api_group: String::new(),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SubjectKind::ServiceAccount => {
                write!(f, "ServiceAccount {}/{}", self.namespace, self.name)
            }
            _ => write!(f, "{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// RoleBinding or ClusterRoleBinding.
    pub kind: BindingKind,
    /// `metadata.name`.
    pub name: String,
    /// Namespace for a RoleBinding; `None` for a ClusterRoleBinding.
    pub namespace: Option<String>,
    /// `roleRef`.
    pub role_ref: RoleRef,
    /// `subjects`, as written.
    pub subjects: Vec<Subject>,
    /// The `apiVersion` it was written with.
    pub api_version: String,
    /// Where it was read from.
    pub source: Source,
}

/// A ServiceAccount object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `automountServiceAccountToken`, if set.
    pub automount_token: Option<bool>,
    /// Names listed in `secrets` (legacy token secrets).
    pub secrets: Vec<String>,
    /// Where it was read from.
    pub source: Source,
}

/// The kinds of workload the loader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum WorkloadKind {
    /// Pod.
    Pod,
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 DaemonSet.
    DaemonSet,
    /// apps/v1 StatefulSet.
    StatefulSet,
    /// apps/v1 ReplicaSet.
    ReplicaSet,
    /// v1 ReplicationController.
    ReplicationController,
    /// batch/v1 Job.
    Job,
    /// batch/v1 CronJob.
    CronJob,
}

impl WorkloadKind {
    /// Parses a kind name.
    pub fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "Pod" => WorkloadKind::Pod,
            "Deployment" => WorkloadKind::Deployment,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "ReplicationController" => WorkloadKind::ReplicationController,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            _ => return None,
        })
    }

    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

/// One container of a pod template, reduced to its security-relevant fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// `securityContext.privileged`.
    pub privileged: bool,
    /// `securityContext.allowPrivilegeEscalation`, if set.
    pub allow_privilege_escalation: Option<bool>,
    /// `securityContext.capabilities.add`.
    pub capabilities_add: Vec<String>,
    /// Whether it is an init or ephemeral container rather than a main one.
    pub init: bool,
}

/// A pod spec reduced to what identity and escalation analysis needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    /// `serviceAccountName` (or the deprecated `serviceAccount`); `default` when unset.
    pub service_account: String,
    /// `automountServiceAccountToken` of the pod spec, if set (overrides the SA's).
    pub automount_token: Option<bool>,
    /// `nodeName`, if set.
    pub node_name: Option<String>,
    /// `hostPID`.
    pub host_pid: bool,
    /// `hostIPC`.
    pub host_ipc: bool,
    /// `hostNetwork`.
    pub host_network: bool,
    /// hostPath volume paths.
    pub host_paths: Vec<String>,
    /// Secret names mounted as volumes or referenced from env.
    pub secret_refs: Vec<String>,
    /// Containers (main, init and ephemeral).
    pub containers: Vec<Container>,
}

/// A Pod or a pod-creating controller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// Pod, Deployment, …
    pub kind: WorkloadKind,
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The pod (template) spec.
    pub pod: PodTemplate,
    /// The `apiVersion` it was written with.
    pub api_version: String,
    /// Where it was read from.
    pub source: Source,
}

/// Resource scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Scope {
    /// Namespaced.
    Namespaced,
    /// Cluster-scoped.
    Cluster,
}

/// A CustomResourceDefinition, reduced to discovery data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomResource {
    /// `spec.group`.
    pub group: String,
    /// `spec.names.plural`.
    pub plural: String,
    /// `spec.names.singular`.
    pub singular: String,
    /// `spec.names.kind`.
    pub kind: String,
    /// `spec.names.shortNames`.
    pub short_names: Vec<String>,
    /// `spec.scope`.
    pub scope: Scope,
    /// Where it was read from.
    pub source: Source,
}

/// A Secret's metadata: never its `data` or `stringData`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretMeta {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `type`, e.g. `kubernetes.io/service-account-token`.
    pub type_: String,
    /// The `kubernetes.io/service-account.name` annotation, if present.
    pub service_account: Option<String>,
    /// Where it was read from.
    pub source: Source,
}

/// A Node or Namespace object (name and labels are all RBAC analysis uses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedObject {
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Where it was read from.
    pub source: Source,
}

/// Every object kind the graph holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum Object {
    /// A Role or ClusterRole.
    Role(Role),
    /// A RoleBinding or ClusterRoleBinding.
    Binding(Binding),
    /// A ServiceAccount.
    ServiceAccount(ServiceAccount),
    /// A Pod or controller.
    Workload(Workload),
    /// A Node.
    Node(NamedObject),
    /// A Namespace.
    Namespace(NamedObject),
    /// A CustomResourceDefinition.
    CustomResource(CustomResource),
    /// A Secret (metadata only).
    Secret(SecretMeta),
}

impl Object {
    /// The source of the object.
    pub fn source(&self) -> &Source {
        match self {
            Object::Role(o) => &o.source,
            Object::Binding(o) => &o.source,
            Object::ServiceAccount(o) => &o.source,
            Object::Workload(o) => &o.source,
            Object::Node(o) | Object::Namespace(o) => &o.source,
            Object::CustomResource(o) => &o.source,
            Object::Secret(o) => &o.source,
        }
    }

    /// What makes the object unique: (kind, namespace or `""`, name); for a
    /// CRD (kind, group, plural).
    pub fn key(&self) -> (&str, &str, &str) {
        match self {
            Object::Role(r) => (
                r.kind.as_str(),
                r.namespace.as_deref().unwrap_or(""),
                &r.name,
            ),
            Object::Binding(b) => (
                b.kind.as_str(),
                b.namespace.as_deref().unwrap_or(""),
                &b.name,
            ),
            Object::ServiceAccount(s) => ("ServiceAccount", &s.namespace, &s.name),
            Object::Workload(w) => (w.kind.as_str(), &w.namespace, &w.name),
            Object::Node(n) => ("Node", "", &n.name),
            Object::Namespace(n) => ("Namespace", "", &n.name),
            Object::CustomResource(c) => ("CustomResourceDefinition", &c.group, &c.plural),
            Object::Secret(s) => ("Secret", &s.namespace, &s.name),
        }
    }

    /// `Kind namespace/name` for messages.
    pub fn describe(&self) -> String {
        match self {
            Object::Role(r) => describe(r.kind.as_str(), r.namespace.as_deref(), &r.name),
            Object::Binding(b) => describe(b.kind.as_str(), b.namespace.as_deref(), &b.name),
            Object::ServiceAccount(s) => describe("ServiceAccount", Some(&s.namespace), &s.name),
            Object::Workload(w) => describe(w.kind.as_str(), Some(&w.namespace), &w.name),
            Object::Node(n) => describe("Node", None, &n.name),
            Object::Namespace(n) => describe("Namespace", None, &n.name),
            Object::CustomResource(c) => describe(
                "CustomResourceDefinition",
                None,
                &format!("{}.{}", c.plural, c.group),
            ),
            Object::Secret(s) => describe("Secret", Some(&s.namespace), &s.name),
        }
    }
}

/// `Kind ns/name` or `Kind name`.
pub(crate) fn describe(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{kind} {ns}/{name}"),
        _ => format!("{kind} {name}"),
    }
}

/// An object read with a pre-release (`alpha`, `beta`) or `extensions/`
/// apiVersion, of any kind (also kinds the loader otherwise skips): what
/// upgrade-readiness checks compare with the Kubernetes deprecation guide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionedObject {
    /// `apiVersion` as written.
    pub api_version: String,
    /// Kind.
    pub kind: String,
    /// Namespace as written (`None` when absent).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Where it was read from.
    pub source: Source,
}

impl VersionedObject {
    /// Whether an apiVersion is pre-release or in the retired `extensions`
    /// group: every version the deprecation guide lists as removed is one.
    pub fn is_prerelease(api_version: &str) -> bool {
        api_version.contains("alpha")
            || api_version.contains("beta")
            || api_version.starts_with("extensions/")
    }
}

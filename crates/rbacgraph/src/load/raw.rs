//! Lean serde structs for the fields rbacgraph reads, and their conversion
//! into the [`crate::model`]. Unknown fields are ignored, so a Secret's
//! `data`/`stringData` are skipped by the deserializer and never stored.
//! Each struct declares `expecting = "a mapping"` so that a type error names
//! what the manifest needs, never a Rust type.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::model::{
    Binding, BindingKind, Container, CustomResource, LabelSelector, NamedObject, Object,
    PodTemplate, PolicyRule, Role, RoleKind, RoleRef, Scope, SecretMeta, SelectorOperator,
    SelectorRequirement, ServiceAccount, Source, Subject, SubjectKind, Workload, WorkloadKind,
};

/// `null` and absent both mean the default.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Just enough to route a document: kind, apiVersion and list items.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope<I> {
    #[serde(default, deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default = "Option::default")]
    pub items: Option<Vec<I>>,
    /// Only read to name the object in messages when decoding it fails.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// The most nodes (mappings, sequences and scalars) one item of a large
/// YAML list is parsed into; an item with more is read to its end but not
/// kept. No Kubernetes object comes near it (a 3 MiB object has well under
/// a million nodes; this is over half a million), and it bounds the tree
/// one hostile item can build.
pub(crate) const MAX_ITEM_NODES: usize = 1 << 19;

/// One item of a large YAML list (see `LargeDocument` in the loader): decoded
/// into the lean structs as soon as it is parsed, or kept as a tree when it
/// does not decode (so the loader can say which field is wrong, as for any
/// other object), or too large to keep.
pub(crate) enum YamlItem {
    /// The item decoded.
    Decoded(Box<RawObject>),
    /// The item as parsed.
    Undecoded(serde_json::Value),
    /// The item has more than [`MAX_ITEM_NODES`] nodes.
    Oversized,
}

impl<'de> Deserialize<'de> for YamlItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let budget = NodeBudget {
            left: std::cell::Cell::new(MAX_ITEM_NODES),
            exceeded: std::cell::Cell::new(false),
        };
        let value = serde::de::DeserializeSeed::deserialize(BoundedValue(&budget), d)?;
        if budget.exceeded.get() {
            return Ok(YamlItem::Oversized);
        }
        Ok(match RawObject::deserialize(&value) {
            Ok(raw) => YamlItem::Decoded(Box::new(raw)),
            Err(_) => YamlItem::Undecoded(value),
        })
    }
}

/// Nodes a [`BoundedValue`] may still keep.
struct NodeBudget {
    left: std::cell::Cell<usize>,
    exceeded: std::cell::Cell<bool>,
}

impl NodeBudget {
    /// Counts one node; `false` once the budget is spent.
    fn take(&self) -> bool {
        match self.left.get().checked_sub(1) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.exceeded.set(true);
                false
            }
        }
    }
}

/// A `serde_json::Value` built from any deserializer, keeping at most the
/// budget's nodes: past it, the input is still read to the end of the item
/// (the parser must go on) but nothing more is stored.
struct BoundedValue<'a>(&'a NodeBudget);

impl<'de> serde::de::DeserializeSeed<'de> for BoundedValue<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BoundedValue<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        self.0.take();
        Ok(serde_json::Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        self.0.take();
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        self.0.take();
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        self.0.take();
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(if self.0.take() {
            serde_json::Value::String(v.to_string())
        } else {
            serde_json::Value::Null
        })
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let keep = self.0.take();
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(BoundedValue(self.0))? {
            if keep && !self.0.exceeded.get() {
                items.push(item);
            }
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let keep = self.0.take();
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(BoundedValue(self.0))?;
            if keep && !self.0.exceeded.get() {
                object.insert(key, value);
            }
        }
        Ok(serde_json::Value::Object(object))
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawMeta {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub namespace: String,
    #[serde(default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub annotations: RawAnnotations,
}

/// Only the annotation rbacgraph uses; the rest (including
/// `last-applied-configuration`, which can hold Secret data) is skipped.
#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
pub(crate) struct RawAnnotations {
    #[serde(rename = "kubernetes.io/service-account.name", default)]
    pub service_account_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawRule {
    #[serde(default, deserialize_with = "nullable")]
    verbs: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    api_groups: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    resources: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    resource_names: Vec<String>,
    #[serde(default, rename = "nonResourceURLs", deserialize_with = "nullable")]
    non_resource_urls: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawSelector {
    #[serde(default, deserialize_with = "nullable")]
    match_labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    match_expressions: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(expecting = "a mapping")]
pub(crate) struct RawRequirement {
    key: String,
    operator: String,
    #[serde(default, deserialize_with = "nullable")]
    values: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawAggregationRule {
    #[serde(default, deserialize_with = "nullable")]
    cluster_role_selectors: Vec<RawSelector>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawRoleRef {
    #[serde(default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    api_group: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawSubject {
    #[serde(default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    namespace: String,
    #[serde(default, deserialize_with = "nullable")]
    api_group: String,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
pub(crate) struct RawNameRef {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawCapabilities {
    #[serde(default, deserialize_with = "nullable")]
    add: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawSecurityContext {
    #[serde(default)]
    privileged: Option<bool>,
    #[serde(default)]
    allow_privilege_escalation: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    capabilities: RawCapabilities,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawSecretKeyRef {
    #[serde(default)]
    secret_key_ref: Option<RawNameRef>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawEnv {
    #[serde(default)]
    value_from: Option<RawSecretKeyRef>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawEnvFrom {
    #[serde(default)]
    secret_ref: Option<RawNameRef>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawContainer {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    image: String,
    #[serde(default, deserialize_with = "nullable")]
    security_context: RawSecurityContext,
    #[serde(default, deserialize_with = "nullable")]
    env: Vec<RawEnv>,
    #[serde(default, deserialize_with = "nullable")]
    env_from: Vec<RawEnvFrom>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawHostPath {
    #[serde(default, deserialize_with = "nullable")]
    path: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawSecretVolume {
    #[serde(default, deserialize_with = "nullable")]
    secret_name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawVolume {
    #[serde(default)]
    host_path: Option<RawHostPath>,
    #[serde(default)]
    secret: Option<RawSecretVolume>,
}

/// The union of every `spec` shape rbacgraph reads: pod spec, controller
/// template, CronJob job template and CRD spec.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawSpec {
    // Pod spec.
    #[serde(default, deserialize_with = "nullable")]
    service_account_name: String,
    #[serde(default, deserialize_with = "nullable")]
    service_account: String,
    #[serde(default)]
    automount_service_account_token: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    node_name: String,
    #[serde(default, rename = "hostPID", deserialize_with = "nullable")]
    host_pid: bool,
    #[serde(default, rename = "hostIPC", deserialize_with = "nullable")]
    host_ipc: bool,
    #[serde(default, deserialize_with = "nullable")]
    host_network: bool,
    #[serde(default, deserialize_with = "nullable")]
    containers: Vec<RawContainer>,
    #[serde(default, deserialize_with = "nullable")]
    init_containers: Vec<RawContainer>,
    #[serde(default, deserialize_with = "nullable")]
    ephemeral_containers: Vec<RawContainer>,
    #[serde(default, deserialize_with = "nullable")]
    volumes: Vec<RawVolume>,
    // Controllers.
    #[serde(default)]
    template: Option<Box<RawTemplate>>,
    #[serde(default)]
    job_template: Option<Box<RawTemplate>>,
    // CustomResourceDefinition.
    #[serde(default, deserialize_with = "nullable")]
    group: String,
    #[serde(default, deserialize_with = "nullable")]
    names: RawCrdNames,
    #[serde(default, deserialize_with = "nullable")]
    scope: String,
}

#[derive(Deserialize, Default)]
#[serde(expecting = "a mapping")]
pub(crate) struct RawTemplate {
    #[serde(default, deserialize_with = "nullable")]
    spec: RawSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawCrdNames {
    #[serde(default, deserialize_with = "nullable")]
    plural: String,
    #[serde(default, deserialize_with = "nullable")]
    singular: String,
    #[serde(default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default, deserialize_with = "nullable")]
    short_names: Vec<String>,
}

/// One object with every field rbacgraph reads from any kind it handles.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a mapping")]
pub(crate) struct RawObject {
    #[serde(default, deserialize_with = "nullable")]
    pub api_version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: RawMeta,
    #[serde(default)]
    rules: Option<Vec<Option<RawRule>>>,
    #[serde(default)]
    aggregation_rule: Option<RawAggregationRule>,
    #[serde(default)]
    role_ref: Option<RawRoleRef>,
    #[serde(default, deserialize_with = "nullable")]
    subjects: Vec<RawSubject>,
    #[serde(default)]
    automount_service_account_token: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    secrets: Vec<RawNameRef>,
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    type_: String,
    #[serde(default, deserialize_with = "nullable")]
    spec: RawSpec,
}

/// The kinds the loader reads, with the apiVersions each accepts. The first
/// listed version is current; the others are accepted and flagged deprecated.
pub(crate) fn accepted_versions(kind: &str) -> Option<&'static [&'static str]> {
    const RBAC: &[&str] = &[
        "rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1beta1",
        "rbac.authorization.k8s.io/v1alpha1",
    ];
    const CORE: &[&str] = &["v1"];
    const APPS: &[&str] = &[
        "apps/v1",
        "apps/v1beta2",
        "apps/v1beta1",
        "extensions/v1beta1",
    ];
    Some(match kind {
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => RBAC,
        "ServiceAccount" | "Pod" | "ReplicationController" | "Node" | "Namespace" | "Secret" => {
            CORE
        }
        "Deployment" | "DaemonSet" | "ReplicaSet" => APPS,
        "StatefulSet" => &["apps/v1", "apps/v1beta2", "apps/v1beta1"],
        "Job" => &["batch/v1"],
        "CronJob" => &["batch/v1", "batch/v1beta1", "batch/v2alpha1"],
        "CustomResourceDefinition" => &["apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"],
        _ => return None,
    })
}

/// A problem found while converting one object: a field path and a message.
pub(crate) struct FieldProblem {
    pub field: String,
    pub message: String,
    /// `true` if the object is still usable (a warning), `false` if dropped.
    pub keep: bool,
}

impl FieldProblem {
    fn error(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            message: message.into(),
            keep: false,
        }
    }
    fn warning(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            message: message.into(),
            keep: true,
        }
    }
}

/// Converts a decoded object into the model. Returns the object (if it is
/// usable) and the problems found.
pub(crate) fn convert(
    raw: RawObject,
    source: Source,
    default_namespace: &str,
) -> (Option<Object>, Vec<FieldProblem>) {
    let mut problems = Vec::new();
    let kind = raw.kind.clone();
    if raw.metadata.name.is_empty() {
        problems.push(FieldProblem::error("metadata.name", "is required"));
        return (None, problems);
    }
    let namespace = if raw.metadata.namespace.is_empty() {
        default_namespace.to_string()
    } else {
        raw.metadata.namespace.clone()
    };
    let object = match kind.as_str() {
        "Role" | "ClusterRole" => convert_role(raw, source, namespace, &mut problems),
        "RoleBinding" | "ClusterRoleBinding" => {
            convert_binding(raw, source, namespace, &mut problems)
        }
        "ServiceAccount" => Some(Object::ServiceAccount(ServiceAccount {
            name: raw.metadata.name,
            namespace,
            automount_token: raw.automount_service_account_token,
            secrets: raw
                .secrets
                .into_iter()
                .map(|s| s.name)
                .filter(|s| !s.is_empty())
                .collect(),
            source,
        })),
        "Node" | "Namespace" => {
            let o = NamedObject {
                name: raw.metadata.name,
                labels: raw.metadata.labels,
                source,
            };
            Some(if kind == "Node" {
                Object::Node(o)
            } else {
                Object::Namespace(o)
            })
        }
        "Secret" => Some(Object::Secret(SecretMeta {
            name: raw.metadata.name,
            namespace,
            type_: raw.type_,
            service_account: raw.metadata.annotations.service_account_name,
            source,
        })),
        "CustomResourceDefinition" => convert_crd(raw, source, &mut problems),
        other => WorkloadKind::parse(other).map(|wk| convert_workload(wk, raw, source, namespace)),
    };
    (object, problems)
}

fn convert_rules(
    raw: Option<Vec<Option<RawRule>>>,
    kind: RoleKind,
    problems: &mut Vec<FieldProblem>,
) -> Vec<PolicyRule> {
    let rules: Vec<PolicyRule> = raw
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let r = r.unwrap_or_default();
            PolicyRule {
                verbs: r.verbs,
                api_groups: r.api_groups,
                resources: r.resources,
                resource_names: r.resource_names,
                non_resource_urls: r.non_resource_urls,
            }
        })
        .collect();
    // See: pkg/apis/rbac/validation/validation.go :: ValidatePolicyRule.
    for (i, rule) in rules.iter().enumerate() {
        for (j, resource) in rule.resources.iter().enumerate() {
            if is_dead_resource_form(resource) {
                problems.push(FieldProblem::warning(
                    format!("rules[{i}].resources[{j}]"),
                    format!(
                        "`{resource}` matches nothing: RBAC's only wildcards are `*` and `*/SUB`; \
                         list the subresources (`pods/log`, `pods/exec`, …) instead"
                    ),
                ));
            }
        }
        if rule.verbs.is_empty() {
            problems.push(FieldProblem::warning(
                format!("rules[{i}].verbs"),
                "a rule needs at least one verb; this rule matches nothing",
            ));
        }
        if !rule.non_resource_urls.is_empty() {
            if kind == RoleKind::Role {
                problems.push(FieldProblem::warning(
                    format!("rules[{i}].nonResourceURLs"),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if !rule.api_groups.is_empty() || !rule.resources.is_empty() {
                problems.push(FieldProblem::warning(
                    format!("rules[{i}]"),
                    "a rule with nonResourceURLs must not also name apiGroups or resources",
                ));
            }
        } else if rule.resources.is_empty() || rule.api_groups.is_empty() {
            problems.push(FieldProblem::warning(
                format!("rules[{i}]"),
                "a resource rule needs at least one apiGroup and one resource; \
                 this rule matches nothing",
            ));
        }
    }
    rules
}

/// A resource string with a `*` that RBAC treats as a literal (`pods/*`,
/// `*/*`, `pod*`): no request can carry such a resource, so it matches nothing.
/// See: rbac-semantics.md §3.3; kubernetes/kubernetes#78936.
fn is_dead_resource_form(resource: &str) -> bool {
    if resource == "*" || !resource.contains('*') {
        return false;
    }
    match resource.strip_prefix("*/") {
        Some(sub) => sub.contains('*'),
        None => true,
    }
}

fn convert_selector(
    raw: RawSelector,
    field: &str,
    problems: &mut Vec<FieldProblem>,
) -> LabelSelector {
    let mut match_expressions = Vec::new();
    for (i, req) in raw.match_expressions.into_iter().enumerate() {
        let operator = match req.operator.as_str() {
            "In" => SelectorOperator::In,
            "NotIn" => SelectorOperator::NotIn,
            "Exists" => SelectorOperator::Exists,
            "DoesNotExist" => SelectorOperator::DoesNotExist,
            other => {
                problems.push(FieldProblem::warning(
                    format!("{field}.matchExpressions[{i}].operator"),
                    format!("unknown operator `{other}`; the selector matches nothing"),
                ));
                // An invalid selector cannot be converted upstream, so it selects nothing.
                SelectorOperator::In
            }
        };
        let bad_values = match operator {
            SelectorOperator::In | SelectorOperator::NotIn => req.values.is_empty(),
            SelectorOperator::Exists | SelectorOperator::DoesNotExist => !req.values.is_empty(),
        };
        if bad_values {
            problems.push(FieldProblem::warning(
                format!("{field}.matchExpressions[{i}].values"),
                "values must be non-empty for In/NotIn and empty for Exists/DoesNotExist",
            ));
        }
        match_expressions.push(SelectorRequirement {
            key: req.key,
            operator,
            values: req.values,
        });
    }
    LabelSelector {
        match_labels: raw.match_labels,
        match_expressions,
    }
}

fn convert_role(
    raw: RawObject,
    source: Source,
    namespace: String,
    problems: &mut Vec<FieldProblem>,
) -> Option<Object> {
    let kind = if raw.kind == "Role" {
        RoleKind::Role
    } else {
        RoleKind::ClusterRole
    };
    let rules = convert_rules(raw.rules, kind, problems);
    let aggregation = match (kind, raw.aggregation_rule) {
        (RoleKind::ClusterRole, Some(agg)) => {
            if agg.cluster_role_selectors.is_empty() {
                problems.push(FieldProblem::warning(
                    "aggregationRule.clusterRoleSelectors",
                    "an aggregationRule needs at least one selector; the role aggregates nothing",
                ));
            }
            Some(
                agg.cluster_role_selectors
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| {
                        convert_selector(
                            s,
                            &format!("aggregationRule.clusterRoleSelectors[{i}]"),
                            problems,
                        )
                    })
                    .collect(),
            )
        }
        (RoleKind::Role, Some(_)) => {
            problems.push(FieldProblem::warning(
                "aggregationRule",
                "only ClusterRoles aggregate; ignored on a Role",
            ));
            None
        }
        (_, None) => None,
    };
    Some(Object::Role(Role {
        kind,
        name: raw.metadata.name,
        namespace: (kind == RoleKind::Role).then_some(namespace),
        labels: raw.metadata.labels,
        rules,
        aggregation,
        api_version: raw.api_version,
        source,
    }))
}

fn convert_binding(
    raw: RawObject,
    source: Source,
    namespace: String,
    problems: &mut Vec<FieldProblem>,
) -> Option<Object> {
    let kind = if raw.kind == "RoleBinding" {
        BindingKind::RoleBinding
    } else {
        BindingKind::ClusterRoleBinding
    };
    // See: pkg/apis/rbac/validation/validation.go :: ValidateRoleBinding.
    let Some(role_ref) = raw.role_ref else {
        problems.push(FieldProblem::error("roleRef", "is required"));
        return None;
    };
    if role_ref.name.is_empty() {
        problems.push(FieldProblem::error("roleRef.name", "is required"));
        return None;
    }
    match (kind, role_ref.kind.as_str()) {
        (_, "ClusterRole") | (BindingKind::RoleBinding, "Role") => {}
        (BindingKind::ClusterRoleBinding, "Role") => {
            problems.push(FieldProblem::error(
                "roleRef.kind",
                "a ClusterRoleBinding can only reference a ClusterRole, not a Role",
            ));
            return None;
        }
        (_, other) => {
            problems.push(FieldProblem::error(
                "roleRef.kind",
                format!("unsupported role reference kind `{other}`; expected Role or ClusterRole"),
            ));
            return None;
        }
    }
    let mut subjects = Vec::with_capacity(raw.subjects.len());
    for (i, s) in raw.subjects.into_iter().enumerate() {
        let subject_kind = SubjectKind::parse(&s.kind);
        if let SubjectKind::Other(k) = &subject_kind {
            problems.push(FieldProblem::warning(
                format!("subjects[{i}].kind"),
                format!("unknown subject kind `{k}`; it never matches anyone"),
            ));
        }
        if s.name.is_empty() {
            problems.push(FieldProblem::warning(
                format!("subjects[{i}].name"),
                "is required",
            ));
        }
        if subject_kind == SubjectKind::ServiceAccount
            && s.namespace.is_empty()
            && kind == BindingKind::ClusterRoleBinding
        {
            problems.push(FieldProblem::warning(
                format!("subjects[{i}].namespace"),
                "a ServiceAccount subject of a ClusterRoleBinding needs a namespace; \
                 without one it never matches",
            ));
        }
        subjects.push(Subject {
            kind: subject_kind,
            name: s.name,
            namespace: s.namespace,
            api_group: s.api_group,
        });
    }
    Some(Object::Binding(Binding {
        kind,
        name: raw.metadata.name,
        namespace: (kind == BindingKind::RoleBinding).then_some(namespace),
        role_ref: RoleRef {
            kind: role_ref.kind,
            name: role_ref.name,
            api_group: role_ref.api_group,
        },
        subjects,
        api_version: raw.api_version,
        source,
    }))
}

fn convert_crd(raw: RawObject, source: Source, problems: &mut Vec<FieldProblem>) -> Option<Object> {
    let spec = raw.spec;
    if spec.group.is_empty() || spec.names.plural.is_empty() {
        problems.push(FieldProblem::error(
            "spec",
            "a CustomResourceDefinition needs spec.group and spec.names.plural",
        ));
        return None;
    }
    let scope = match spec.scope.as_str() {
        "Cluster" => Scope::Cluster,
        "Namespaced" => Scope::Namespaced,
        other => {
            problems.push(FieldProblem::error(
                "spec.scope",
                format!("unknown scope `{other}`; expected Namespaced or Cluster"),
            ));
            return None;
        }
    };
    let singular = if spec.names.singular.is_empty() {
        spec.names.kind.to_lowercase()
    } else {
        spec.names.singular
    };
    Some(Object::CustomResource(CustomResource {
        group: spec.group,
        plural: spec.names.plural,
        singular,
        kind: spec.names.kind,
        short_names: spec.names.short_names,
        scope,
        source,
    }))
}

fn convert_containers(
    raw: Vec<RawContainer>,
    init: bool,
    out: &mut Vec<Container>,
    secrets: &mut Vec<String>,
) {
    for c in raw {
        for e in c.env {
            if let Some(r) = e.value_from.and_then(|v| v.secret_key_ref) {
                secrets.push(r.name);
            }
        }
        for e in c.env_from {
            if let Some(r) = e.secret_ref {
                secrets.push(r.name);
            }
        }
        out.push(Container {
            name: c.name,
            image: c.image,
            privileged: c.security_context.privileged.unwrap_or(false),
            allow_privilege_escalation: c.security_context.allow_privilege_escalation,
            capabilities_add: c.security_context.capabilities.add,
            init,
        });
    }
}

fn convert_pod_spec(spec: RawSpec) -> PodTemplate {
    let mut containers = Vec::new();
    let mut secret_refs = Vec::new();
    convert_containers(spec.containers, false, &mut containers, &mut secret_refs);
    convert_containers(
        spec.init_containers,
        true,
        &mut containers,
        &mut secret_refs,
    );
    convert_containers(
        spec.ephemeral_containers,
        true,
        &mut containers,
        &mut secret_refs,
    );
    let mut host_paths = Vec::new();
    for v in spec.volumes {
        if let Some(h) = v.host_path {
            host_paths.push(h.path);
        }
        if let Some(s) = v.secret {
            secret_refs.push(s.secret_name);
        }
    }
    secret_refs.retain(|s| !s.is_empty());
    secret_refs.sort();
    secret_refs.dedup();
    // `serviceAccount` is the deprecated alias of `serviceAccountName`.
    let service_account = [spec.service_account_name, spec.service_account]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    PodTemplate {
        service_account,
        automount_token: spec.automount_service_account_token,
        node_name: (!spec.node_name.is_empty()).then_some(spec.node_name),
        host_pid: spec.host_pid,
        host_ipc: spec.host_ipc,
        host_network: spec.host_network,
        host_paths,
        secret_refs,
        containers,
    }
}

fn convert_workload(
    kind: WorkloadKind,
    raw: RawObject,
    source: Source,
    namespace: String,
) -> Object {
    let spec = match kind {
        WorkloadKind::Pod => raw.spec,
        WorkloadKind::CronJob => raw
            .spec
            .job_template
            .and_then(|jt| jt.spec.template)
            .map(|t| t.spec)
            .unwrap_or_default(),
        _ => raw.spec.template.map(|t| t.spec).unwrap_or_default(),
    };
    Object::Workload(Workload {
        kind,
        name: raw.metadata.name,
        namespace,
        pod: convert_pod_spec(spec),
        api_version: raw.api_version,
        source,
    })
}

//! The binding's operations as plain Rust over serde types, so they run and
//! are unit-tested on the host; `lib.rs` only moves values across the
//! JavaScript boundary. No RBAC logic lives here: queries become request
//! attributes through [`rbacgraph::target::parse`] (as the CLI's do),
//! identities through [`Identity::authenticated`], and answers are the
//! core's DTOs ([`rbacgraph::render`]), so they equal the CLI's JSON.

use rbacgraph::discovery::ResourceType;
use rbacgraph::graph::GraphStats;
use rbacgraph::model::{PolicyRule, RoleKind, Scope, SubjectKind};
use rbacgraph::query::audit::{Audit, AuditReport, IgnoreRules, KubeVersion};
use rbacgraph::query::check::{Check, CheckReport, PolicySet, PolicySource};
use rbacgraph::query::paths::{
    AttackGraph, AttackPath, PathOptions, PathsReport, Target, Technique,
};
use rbacgraph::render::{Document, RulesReview, Summary, document};
use rbacgraph::target::{self, Namespaces};
use rbacgraph::{Decision, Identity, ObjectRef, RbacGraph, SubjectRef, WhoCan, WhoCanQuery};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ApiError;

/// One manifest file: a name for sources and diagnostics, and its text.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// File name (or path) shown in sources.
    pub name: String,
    /// YAML or JSON text.
    pub text: String,
}

/// How to load.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadOptions {
    /// Namespace for namespaced objects that have none (default `default`).
    pub default_namespace: Option<String>,
    /// Any error diagnostic fails the load.
    #[serde(default)]
    pub strict: bool,
    /// The name of pasted text in sources (`fromYaml`/`fromJson` only).
    pub name: Option<String>,
}

/// Builds a graph from files, in order.
pub fn load(files: &[ManifestFile], options: &LoadOptions) -> Result<RbacGraph, ApiError> {
    let mut builder = RbacGraph::builder().strict(options.strict);
    if let Some(ns) = &options.default_namespace {
        builder = builder.default_namespace(ns);
    }
    for f in files {
        builder = builder.load_str(&f.name, &f.text);
    }
    Ok(builder.build()?)
}

/// A request as a person types it: the CLI's `VERB TARGET [--subresource S]
/// [-n NS | -A]`, with the object name as its own field.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WhoCanInput {
    /// Verb.
    pub verb: String,
    /// `TYPE[.GROUP]` (plural, singular, kind or short name) or a URL.
    pub resource: String,
    /// Subresource.
    pub subresource: Option<String>,
    /// Object name.
    pub name: Option<String>,
    /// Namespace (default `default`).
    pub namespace: Option<String>,
    /// Every namespace's RoleBindings (`-A`).
    #[serde(default)]
    pub all_namespaces: bool,
    /// Concrete principals instead of bound subjects (`--expand`).
    #[serde(default)]
    pub expand: bool,
}

/// `can-i` input: an identity and a request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanIInput {
    /// User name (`system:serviceaccount:NS:NAME` for a service account).
    pub user: String,
    /// Extra groups; the authenticators' implicit groups are added.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Verb.
    pub verb: String,
    /// `TYPE[.GROUP]` or a URL.
    pub resource: String,
    /// Subresource.
    pub subresource: Option<String>,
    /// Object name.
    pub name: Option<String>,
    /// Namespace (default `default`).
    pub namespace: Option<String>,
    /// Ask at namespace `""` (all namespaces), as `can-i -A`.
    #[serde(default)]
    pub all_namespaces: bool,
}

/// `can-i --list` input.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RulesForInput {
    /// User name.
    pub user: String,
    /// Extra groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Namespace (default `default`; `""` for cluster-wide rules only).
    pub namespace: Option<String>,
}

/// `paths` input.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PathsInput {
    /// Start from this user (not with `all`).
    pub user: Option<String>,
    /// Its extra groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// `cluster-admin` (default), `nodes`, `node:NAME`, `group:NAME` or a user name.
    pub to: Option<String>,
    /// Every principal that reaches the target, one shortest path each.
    #[serde(default)]
    pub all: bool,
    /// Everything the user reaches, one shortest path each.
    #[serde(default)]
    pub blast_radius: bool,
    /// The most steps a path may have (default 8).
    pub max_depth: Option<usize>,
    /// Every ServiceAccount has a legacy token Secret.
    #[serde(default)]
    pub assume_legacy_tokens: bool,
    /// Model EKS's `aws-auth`.
    #[serde(default)]
    pub eks: bool,
}

/// Input of [`access_matrix`].
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessMatrixInput {
    /// User name; empty for "any member of `groups`".
    #[serde(default)]
    pub user: String,
    /// Extra groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Namespace; `""` asks every type at cluster scope (namespaced types
    /// across all namespaces).
    #[serde(default)]
    pub namespace: String,
    /// Verbs (default get, list, watch, create, update, patch, delete, deletecollection).
    pub verbs: Option<Vec<String>>,
}

/// One row of an access matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRow {
    /// `plural` or `plural.group`.
    pub resource: String,
    /// API group.
    pub group: String,
    /// Whether the type is namespaced.
    pub namespaced: bool,
    /// Whether it came from a loaded CRD.
    pub custom: bool,
    /// One entry per verb, in the matrix's verb order.
    pub allowed: Vec<bool>,
}

/// A rakkess-style matrix: for each resource type, which verbs the identity
/// may use in the namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessMatrix {
    /// The identity asked about (implicit groups included).
    pub identity: Identity,
    /// The namespace (`""`: cluster scope).
    pub namespace: String,
    /// Column order.
    pub verbs: Vec<String>,
    /// Rows, sorted by resource.
    pub rows: Vec<AccessRow>,
}

/// The default matrix columns: the verbs `kubectl` maps its commands to.
pub const MATRIX_VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

fn some_nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|x| !x.is_empty())
}

/// The CLI's TARGET from a resource and a name.
fn target_text(resource: &str, name: Option<&str>) -> Result<String, ApiError> {
    match name {
        None => Ok(resource.to_string()),
        Some(n) if resource.starts_with('/') => Err(ApiError::invalid(
            "name",
            n,
            "a non-resource URL has no object name",
        )),
        Some(n) if resource.contains('/') => Err(ApiError::invalid(
            "name",
            n,
            "give the name either here or as TYPE/NAME in `resource`, not both",
        )),
        Some(n) => Ok(format!("{resource}/{n}")),
    }
}

fn namespace_or_default(ns: &Option<String>) -> &str {
    ns.as_deref().unwrap_or("default")
}

/// `who-can`, as `rbacgraph who-can -o json`.
pub fn who_can(graph: &RbacGraph, q: &WhoCanInput) -> Result<Document<WhoCan>, ApiError> {
    let text = target_text(&q.resource, some_nonempty(&q.name))?;
    let namespaces = if q.all_namespaces {
        Namespaces::All
    } else {
        Namespaces::One(namespace_or_default(&q.namespace))
    };
    let t = target::parse(
        graph,
        &q.verb,
        &text,
        some_nonempty(&q.subresource),
        namespaces,
    )?;
    let query = WhoCanQuery::new(t.request)
        .all_namespaces(t.all_namespaces)
        .expand(q.expand);
    Ok(document("WhoCan", graph.who_can(&query)))
}

/// `can-i`, as `rbacgraph can-i -o json`.
pub fn can_i(graph: &RbacGraph, q: &CanIInput) -> Result<Document<Decision>, ApiError> {
    let text = target_text(&q.resource, some_nonempty(&q.name))?;
    let ns = if q.all_namespaces {
        ""
    } else {
        namespace_or_default(&q.namespace)
    };
    let t = target::parse(
        graph,
        &q.verb,
        &text,
        some_nonempty(&q.subresource),
        Namespaces::One(ns),
    )?;
    let identity = Identity::authenticated(q.user.clone(), q.groups.clone());
    Ok(document(
        "AccessDecision",
        graph.authorize(&identity, &t.request),
    ))
}

/// `can-i --list`, as `rbacgraph can-i --list -o json`.
pub fn rules_for(graph: &RbacGraph, q: &RulesForInput) -> Document<RulesReview> {
    let identity = Identity::authenticated(q.user.clone(), q.groups.clone());
    let rules = graph.rules_for(&identity, namespace_or_default(&q.namespace));
    document("RulesReview", rules.to_review())
}

/// `paths`, as `rbacgraph paths -o json`.
pub fn paths(graph: &RbacGraph, q: &PathsInput) -> Result<Document<PathsReport>, ApiError> {
    let target = Target::parse(q.to.as_deref().unwrap_or("cluster-admin"))
        .map_err(|e| ApiError::from(e).on_field("to"))?;
    let max_depth = q.max_depth.unwrap_or(8);
    let identity = match (&q.user, q.all) {
        (Some(_), true) => {
            return Err(ApiError::invalid(
                "all",
                "true",
                "give either `user` or `all`, not both",
            ));
        }
        (None, false) => {
            return Err(ApiError::Query {
                message: "invalid query: paths needs `user` or `all: true`".into(),
                field: Some("user".into()),
            });
        }
        (Some(u), false) => Some(Identity::authenticated(u.clone(), q.groups.clone())),
        (None, true) => None,
    };
    let attack = AttackGraph::builder(graph)
        .assume_legacy_tokens(q.assume_legacy_tokens)
        .eks(q.eks)
        .build();
    let paths: Vec<AttackPath> = match identity {
        None => attack.who_reaches(&target, max_depth),
        Some(id) if q.blast_radius => attack.blast_radius(&id, max_depth),
        Some(id) => attack.paths(&id, &target, max_depth).collect(),
    };
    Ok(document("EscalationPaths", PathsReport { paths }))
}

/// `audit` input: every field optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditInput {
    /// Run the upgrade checks against `1.NN`.
    pub target_version: Option<String>,
    /// The text of an ignore file (YAML: `ignore: [{id, subject, object, reason}]`).
    pub ignore: Option<String>,
    /// Rank by reachability of cluster-admin (default true).
    pub paths: Option<bool>,
    /// The most steps an escalation path may have (default 8).
    pub max_depth: Option<usize>,
    /// Every ServiceAccount has a legacy token Secret.
    #[serde(default)]
    pub assume_legacy_tokens: bool,
    /// Model EKS's `aws-auth` ConfigMap.
    #[serde(default)]
    pub eks: bool,
    /// List every finding, control by control (`--by control`).
    #[serde(default)]
    pub findings: bool,
}

/// `audit`, as `rbacgraph audit -o json` (with `findings`, as `rbacgraph
/// audit --by control -o json`).
pub fn audit(graph: &RbacGraph, q: &AuditInput) -> Result<Document<AuditReport>, ApiError> {
    let target = q
        .target_version
        .as_deref()
        .map(str::parse::<KubeVersion>)
        .transpose()
        .map_err(|e| ApiError::from(e).on_field("targetVersion"))?;
    let ignore = match q.ignore.as_deref() {
        Some(text) => {
            IgnoreRules::from_yaml(text).map_err(|e| ApiError::from(e).on_field("ignore"))?
        }
        None => IgnoreRules::default(),
    };
    let mut audit = Audit::builder(graph)
        .ignore(ignore)
        .paths(q.paths.unwrap_or(true))
        .max_depth(q.max_depth.unwrap_or(8))
        .path_options(PathOptions {
            assume_legacy_tokens: q.assume_legacy_tokens,
            eks: q.eks,
        })
        .findings(q.findings);
    if let Some(v) = target {
        audit = audit.target_version(v);
    }
    Ok(document("AuditReport", audit.run()))
}

/// The policies of a check: one YAML or JSON text, or named files.
#[derive(Clone, Debug)]
pub enum PolicyInput {
    /// One stream of policy documents, named [`POLICY_NAME`] in sources.
    Text(String),
    /// Files, in order, as `--policy` reads them; their names are the
    /// sources results and problems name.
    Files(Vec<ManifestFile>),
}

/// The name of a policy given as one text.
pub const POLICY_NAME: &str = "policy.yaml";

impl<'de> Deserialize<'de> for PolicyInput {
    /// By hand rather than `untagged`, so a bad file names its field
    /// (`policy[1].text`) instead of "did not match any variant".
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PolicyInput;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("YAML or JSON text, or an array of `{name, text}` files")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PolicyInput, E> {
                Ok(PolicyInput::Text(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<PolicyInput, E> {
                Ok(PolicyInput::Text(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<PolicyInput, A::Error> {
                let de = serde::de::value::SeqAccessDeserializer::new(seq);
                Vec::deserialize(de).map(PolicyInput::Files)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl PolicyInput {
    /// Reads every file, collecting the problems of all of them (as the
    /// CLI reads every `--policy`).
    fn read(&self) -> Result<PolicySet, ApiError> {
        let text = |label: &str, text: &str| PolicySource::Text {
            label: label.to_string(),
            text: text.to_string(),
        };
        let sources = match self {
            PolicyInput::Text(t) => vec![text(POLICY_NAME, t)],
            PolicyInput::Files(files) => files.iter().map(|f| text(&f.name, &f.text)).collect(),
        };
        Ok(PolicySet::read(sources)?)
    }
}

/// What `check` answers with (`-o`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckFormat {
    /// The `CheckReport` document.
    #[default]
    Json,
    /// JUnit XML text.
    Junit,
    /// A SARIF 2.1.0 log.
    Sarif,
}

/// `check` input.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckInput {
    /// The policies (`--policy`).
    pub policy: PolicyInput,
    /// The output format (default JSON).
    #[serde(default)]
    pub format: CheckFormat,
    /// Every ServiceAccount has a legacy token Secret (`paths` and `audit`
    /// assertions).
    #[serde(default)]
    pub assume_legacy_tokens: bool,
    /// Model EKS's `aws-auth` ConfigMap.
    #[serde(default)]
    pub eks: bool,
}

/// `check`, as `rbacgraph -f GRAPH check --policy … [--against CHANGED]`:
/// the policies on `graph` or, with `changed`, on `changed` compared with
/// `graph` ([`CheckReport::against`]). The format is the caller's to apply.
pub fn check(
    graph: &RbacGraph,
    q: &CheckInput,
    changed: Option<&RbacGraph>,
) -> Result<CheckReport, ApiError> {
    let policies = q.policy.read()?;
    let options = PathOptions {
        assume_legacy_tokens: q.assume_legacy_tokens,
        eks: q.eks,
    };
    let run = |g: &RbacGraph| Check::new(g, &policies).path_options(options.clone()).run();
    let current = run(graph)?;
    Ok(match changed {
        Some(changed) => run(changed)?.against(&current),
        None => current,
    })
}

/// `summary`, as `rbacgraph summary -o json`.
pub fn summary(graph: &RbacGraph) -> Document<Summary> {
    document("Summary", graph.summary())
}

/// Graph counts.
pub fn stats(graph: &RbacGraph) -> GraphStats {
    graph.stats()
}

/// Every subject that can match someone (users, groups, service accounts
/// with a namespace), sorted.
pub fn subjects(graph: &RbacGraph) -> Vec<SubjectRef> {
    graph
        .subjects()
        .into_iter()
        .filter_map(|k| match k.kind {
            SubjectKind::ServiceAccount if k.namespace.is_empty() => None,
            SubjectKind::ServiceAccount => Some(SubjectRef::service_account(&k.namespace, &k.name)),
            SubjectKind::User => Some(SubjectRef::user(&k.name)),
            SubjectKind::Group => Some(SubjectRef::group(&k.name)),
            SubjectKind::Other(_) => None,
        })
        .collect()
}

/// Every namespace seen, sorted.
pub fn namespaces(graph: &RbacGraph) -> Vec<String> {
    graph.namespaces()
}

/// Known resource types (built-ins and loaded CRDs).
pub fn resource_types(graph: &RbacGraph) -> &[ResourceType] {
    graph.discovery().types()
}

/// Which verbs the identity may use on each resource type in a namespace:
/// one [`RbacGraph::authorize`] per cell.
pub fn access_matrix(graph: &RbacGraph, q: &AccessMatrixInput) -> AccessMatrix {
    let identity = Identity::authenticated(q.user.clone(), q.groups.clone());
    let verbs: Vec<String> = match &q.verbs {
        Some(v) if !v.is_empty() => v.clone(),
        _ => MATRIX_VERBS.iter().map(|v| v.to_string()).collect(),
    };
    let mut rows: Vec<AccessRow> = graph
        .discovery()
        .types()
        .iter()
        .filter(|t| q.namespace.is_empty() || t.scope == Scope::Namespaced)
        .map(|t| {
            let allowed = verbs
                .iter()
                .map(|verb| {
                    let request = rbacgraph::Request::resource(verb, &t.group, &t.plural)
                        .in_namespace(&q.namespace);
                    graph.authorize(&identity, &request).allowed
                })
                .collect();
            AccessRow {
                resource: t.qualified(),
                group: t.group.clone(),
                namespaced: t.scope == Scope::Namespaced,
                custom: t.custom,
                allowed,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.resource.cmp(&b.resource));
    AccessMatrix {
        identity,
        namespace: q.namespace.clone(),
        verbs,
        rows,
    }
}

/// An escalation technique of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TechniqueInfo {
    /// Its id, as path steps name it (`E02`).
    pub id: &'static str,
    /// What it is, in a few words.
    pub title: &'static str,
}

/// Every technique escalation paths can use.
pub fn techniques() -> Vec<TechniqueInfo> {
    Technique::ALL
        .iter()
        .map(|t| TechniqueInfo {
            id: t.id(),
            title: t.title(),
        })
        .collect()
}

/// Which role [`role`] looks up.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleInput {
    /// `Role` or `ClusterRole`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (Role only).
    pub namespace: Option<String>,
}

/// A role with its effective rules (aggregated ClusterRoles: the computed
/// union) and the ClusterRoles aggregated into it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleInfo {
    /// The role.
    #[serde(flatten)]
    pub role: ObjectRef,
    /// Its rules, in order (rule indexes in answers point here).
    pub rules: Vec<PolicyRule>,
    /// ClusterRoles whose rules were aggregated into it.
    pub aggregated_from: Vec<ObjectRef>,
}

/// One role's rules, to show the rule an answer's `ruleIndex` names.
pub fn role(graph: &RbacGraph, q: &RoleInput) -> Result<RoleInfo, ApiError> {
    let (kind, ns) = match q.kind.as_str() {
        "Role" => (RoleKind::Role, q.namespace.as_deref().unwrap_or("")),
        "ClusterRole" => (RoleKind::ClusterRole, ""),
        other => {
            return Err(ApiError::invalid(
                "kind",
                other,
                "expected `Role` or `ClusterRole`",
            ));
        }
    };
    let id = graph
        .role_id(kind, ns, &q.name)
        .ok_or_else(|| ApiError::invalid("name", &q.name, "no such role is loaded"))?;
    Ok(RoleInfo {
        role: graph.role_ref(id),
        rules: graph.role(id).map(|r| r.rules.clone()).unwrap_or_default(),
        aggregated_from: graph
            .aggregated_from(id)
            .into_iter()
            .map(|r| graph.role_ref(r))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: log-reader, namespace: shop}
rules:
- {apiGroups: [''], resources: [pods, pods/log], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: support-logs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: log-reader}
subjects:
- {kind: Group, name: support}
";

    fn graph() -> RbacGraph {
        let files = [ManifestFile {
            name: "demo.yaml".into(),
            text: DEMO.into(),
        }];
        match load(&files, &LoadOptions::default()) {
            Ok(g) => g,
            Err(e) => unreachable!("demo loads: {e:?}"),
        }
    }

    fn who(resource: &str, name: Option<&str>) -> WhoCanInput {
        WhoCanInput {
            verb: "get".into(),
            resource: resource.into(),
            subresource: None,
            name: name.map(str::to_string),
            namespace: Some("shop".into()),
            all_namespaces: false,
            expand: false,
        }
    }

    #[test]
    fn who_can_resolves_short_names_like_the_cli() {
        let g = graph();
        let answer = who_can(&g, &who("po", Some("api-0"))).map(|d| d.body);
        let names: Vec<String> = answer
            .map(|w| w.subjects.iter().map(|s| s.subject.name.clone()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["system:masters", "support"]);
    }

    #[test]
    fn unknown_resource_is_data_naming_the_field() {
        let g = graph();
        match who_can(&g, &who("widgets", None)) {
            Err(ApiError::UnknownResource { field, name, .. }) => {
                assert_eq!((field.as_str(), name.as_str()), ("resource", "widgets"));
            }
            other => unreachable!("expected an unknown-resource error, got {other:?}"),
        }
    }

    #[test]
    fn name_given_twice_is_rejected() {
        let g = graph();
        let err = who_can(&g, &who("pods/a", Some("b"))).err();
        assert!(matches!(err, Some(ApiError::Invalid { field, .. }) if field == "name"));
    }

    #[test]
    fn can_i_adds_implicit_groups() {
        let g = graph();
        let q = CanIInput {
            user: "bob".into(),
            groups: vec!["support".into()],
            verb: "get".into(),
            resource: "pods".into(),
            subresource: Some("log".into()),
            name: Some("api-0".into()),
            namespace: Some("shop".into()),
            all_namespaces: false,
        };
        assert!(can_i(&g, &q).is_ok_and(|d| d.body.allowed));
    }

    #[test]
    fn strict_load_failure_names_file_and_document() {
        let files = [ManifestFile {
            name: "bad.yaml".into(),
            text:
                "kind: Role\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: x}\n---\n{"
                    .into(),
        }];
        let options = LoadOptions {
            strict: true,
            ..LoadOptions::default()
        };
        match load(&files, &options) {
            Err(ApiError::Strict { file, document, .. }) => {
                assert_eq!(file, "bad.yaml");
                assert!(document <= 1);
            }
            other => unreachable!("expected a strict error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn role_lookup_gives_rules_by_index() {
        let g = graph();
        let q = RoleInput {
            kind: "Role".into(),
            name: "log-reader".into(),
            namespace: Some("shop".into()),
        };
        let info = role(&g, &q).unwrap();
        assert_eq!(info.rules[0].resources, ["pods", "pods/log"]);
        let missing = RoleInput {
            namespace: Some("web".into()),
            ..q
        };
        assert!(
            matches!(role(&g, &missing), Err(ApiError::Invalid { field, .. }) if field == "name")
        );
    }

    #[test]
    fn audit_lists_findings_only_when_asked() {
        let files = [ManifestFile {
            name: "everyone.yaml".into(),
            text: format!(
                "{DEMO}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: everyone-reads-secrets}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}}
subjects: [{{kind: Group, name: 'system:authenticated'}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: secret-reader}}
rules: [{{apiGroups: [''], resources: [secrets], verbs: [get, list]}}]
"
            ),
        }];
        let Ok(g) = load(&files, &LoadOptions::default()) else {
            unreachable!("the manifests load");
        };
        let fixes_only = audit(&g, &AuditInput::default()).map(|d| d.body);
        let by_control = audit(
            &g,
            &AuditInput {
                findings: true,
                paths: Some(false),
                ..AuditInput::default()
            },
        )
        .map(|d| d.body);
        let (Ok(fixes_only), Ok(by_control)) = (fixes_only, by_control) else {
            unreachable!("the demo audits");
        };
        assert!(fixes_only.findings.is_empty());
        assert_eq!(by_control.findings.len(), by_control.summary.findings);
        assert!(by_control.summary.findings > 0);
        // Every finding names fixes of this report (or none, for info-only controls).
        for f in &by_control.findings {
            for id in &f.fixes {
                assert!(by_control.fix(id).is_some(), "{id}");
            }
        }
    }

    const POLICY: &str = "
apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: logs}
assertions:
- name: only support reads shop logs
  whoCan: {verb: get, resource: pods, subresource: log, namespace: shop}
  allowOnly: [{kind: Group, name: support}]
";

    fn check_input(json: serde_json::Value) -> Result<CheckInput, ApiError> {
        Ok(serde_path_to_error::deserialize(json)?)
    }

    #[test]
    fn check_reads_text_or_named_files() {
        let g = graph();
        let text = check_input(serde_json::json!({ "policy": POLICY }));
        let report = text.and_then(|q| check(&g, &q, None));
        assert!(report.is_ok_and(
            |r| r.summary.passed == 1 && r.results[0].source.file.as_ref() == POLICY_NAME
        ));
        let files = check_input(serde_json::json!({
            "policy": [{"name": "a.yaml", "text": POLICY}],
            "format": "junit",
        }));
        assert!(files.is_ok_and(|q| q.format == CheckFormat::Junit));
        let missing = check_input(serde_json::json!({"policy": [{"name": "a.yaml"}]}));
        assert!(matches!(missing, Err(ApiError::Query { field: Some(f), .. }) if f == "policy[0]"));
    }

    #[test]
    fn check_collects_the_problems_of_every_file() {
        let g = graph();
        let bad = POLICY.replace("resource: pods", "resorce: pods");
        let q = check_input(serde_json::json!({"policy": [
            {"name": "a.yaml", "text": bad},
            {"name": "b.yaml", "text": "kind: Role"},
        ]}));
        match q.and_then(|q| check(&g, &q, None)) {
            Err(ApiError::Policy {
                file,
                field,
                diagnostics,
                ..
            }) => {
                assert_eq!(file, "a.yaml");
                assert_eq!(field.as_deref(), Some("assertions[0].whoCan.resorce"));
                let files: Vec<&str> = diagnostics.iter().map(|d| &*d.source.file).collect();
                assert_eq!(files, ["a.yaml", "b.yaml"]);
            }
            other => unreachable!("expected a policy error, got {other:?}"),
        }
    }

    #[test]
    fn check_against_marks_what_the_change_introduces() {
        let g = graph();
        let files = [ManifestFile {
            name: "changed.yaml".into(),
            text: DEMO.replace(
                "- {kind: Group, name: support}",
                "- {kind: Group, name: support}\n- {kind: User, name: mallory}",
            ),
        }];
        let Ok(changed) = load(&files, &LoadOptions::default()) else {
            unreachable!("the changed snapshot loads");
        };
        let q = check_input(serde_json::json!({ "policy": POLICY }));
        let Ok(report) = q.and_then(|q| check(&g, &q, Some(&changed))) else {
            unreachable!("the policy checks");
        };
        assert_eq!(report.summary.introduced, Some(1));
        let v = &report.results[0].violations;
        assert_eq!(
            (v.len(), v[0].key.as_str(), v[0].introduced),
            (1, "User mallory", Some(true))
        );
        assert!(report.fails());
    }

    #[test]
    fn matrix_has_one_cell_per_verb() {
        let g = graph();
        let m = access_matrix(
            &g,
            &AccessMatrixInput {
                user: "bob".into(),
                groups: vec!["support".into()],
                namespace: "shop".into(),
                verbs: None,
            },
        );
        let pods = m.rows.iter().find(|r| r.resource == "pods");
        assert_eq!(
            pods.map(|r| r.allowed.clone()),
            Some(vec![true, true, false, false, false, false, false, false])
        );
        assert!(m.rows.iter().all(|r| r.namespaced));
    }
}

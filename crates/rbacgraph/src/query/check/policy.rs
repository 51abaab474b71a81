//! The policy document `check` reads, as written (serde and JSON Schema
//! types), and its reading: YAML or JSON streams of `kind: Policy`
//! documents, every problem reported with its file, document, assertion and
//! field.

use std::borrow::Cow;
use std::sync::Arc;

use globset::{Glob, GlobMatcher};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::error::{Diagnostic, Error, Severity};
use crate::model::Source;
use crate::query::SubjectRef;
use crate::render::API_VERSION;

/// The kind of a policy document.
pub const POLICY_KIND: &str = "Policy";

/// A policy document: named assertions about who may do what.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "rbacgraph Policy",
    description = "Assertions `rbacgraph check --policy` evaluates against a cluster's RBAC: who-can allow-lists, can-i expectations, forbidden escalation paths and audit gates."
)]
pub struct PolicyDocument {
    /// Always `rbacgraph/v1`.
    #[schemars(extend("const" = "rbacgraph/v1"))]
    pub api_version: String,
    /// Always `Policy`.
    #[schemars(extend("const" = "Policy"))]
    pub kind: String,
    /// The policy's name (JUnit test suite, SARIF rule prefix).
    pub metadata: PolicyMetadata,
    /// The assertions, evaluated and reported in this order.
    pub assertions: Vec<Assertion>,
}

/// A policy's metadata.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyMetadata {
    /// The policy's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// What the policy is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Labels, kept as written.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Annotations, kept as written.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// One assertion: exactly one of `whoCan`, `canI`, `paths` and `audit`,
/// with the fields that kind takes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    {"required": ["whoCan"]},
    {"required": ["canI"]},
    {"required": ["paths"]},
    {"required": ["audit"]}
]))]
pub struct Assertion {
    /// What the assertion says, for people (the test case's name).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Why it matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who may make this request. Fails for every subject (system:masters
    /// aside) that no `allowOnly` entry matches, and when more than
    /// `maxSubjects` subjects may.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_can: Option<WhoCanSpec>,
    /// Whether one identity may make this request; `expect` says which
    /// answer passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_i: Option<CanISpec>,
    /// Escalation paths that must not exist (`expect: none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<PathsSpec>,
    /// Audit fixes that must not exist (`expect: none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditSpec>,
    /// `whoCan`: the subjects allowed to make the request; every other
    /// subject is a violation. An empty list allows nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_only: Option<Vec<SubjectPattern>>,
    /// `whoCan`: at most this many subjects (system:masters aside) may make
    /// the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_subjects: Option<usize>,
    /// `whoCan`: judge concrete principals (users and service accounts,
    /// group memberships applied) instead of subjects as bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expand: Option<bool>,
    /// `canI`: `"yes"` or `"no"` (required); `paths` and `audit`: `none`
    /// (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// A request, as who-can takes it: `resource` (TYPE[.GROUP], as on the
/// command line) or `nonResourceURL`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WhoCanSpec {
    /// The verb (`get`, `create`, `impersonate`, … or an HTTP method for URLs).
    #[schemars(length(min = 1))]
    pub verb: String,
    /// TYPE[.GROUP]: `secrets`, `deployments.apps`, `deploy`, a CRD's plural.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// A subresource: `exec`, `log`, `status`, `token`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// One object's name (`resourceNames` rules then count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The namespace asked about (default `default`; cluster-scoped
    /// resources ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Every namespace's RoleBindings, each in its own namespace.
    #[serde(default, skip_serializing_if = "is_false")]
    pub all_namespaces: bool,
    /// A non-resource URL (`/metrics`, `/healthz`), instead of `resource`.
    #[serde(
        default,
        rename = "nonResourceURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub non_resource_url: Option<String>,
}

/// A request made as one identity, as can-i takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanISpec {
    /// The user name (`system:serviceaccount:NS:NAME` for a service
    /// account); the implicit groups are added as Kubernetes'
    /// authenticators add them.
    #[schemars(length(min = 1))]
    pub user: String,
    /// Groups the user is in, besides the implicit ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The verb.
    #[schemars(length(min = 1))]
    pub verb: String,
    /// TYPE[.GROUP].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// A subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// One object's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The request's namespace (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Ask at cluster scope (namespace ""): only ClusterRoleBindings count.
    #[serde(default, skip_serializing_if = "is_false")]
    pub all_namespaces: bool,
    /// A non-resource URL, instead of `resource`.
    #[serde(
        default,
        rename = "nonResourceURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub non_resource_url: Option<String>,
}

/// Escalation paths from the principals a pattern selects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PathsSpec {
    /// The principals the paths start from (users, groups, service accounts).
    pub from: SubjectPattern,
    /// What they must not reach: `cluster-admin` (the default), `nodes`,
    /// `node:NAME`, `group:NAME` or a user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The most steps a path may have (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_depth: Option<usize>,
}

/// Audit fixes of some controls at or above a severity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditSpec {
    /// Control id or glob (`CIS-5.1.*`, `RBAC-EXEC-IN-PODS`); default every control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// The least severity that counts (default `high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["info", "low", "medium", "high", "critical"]))]
    pub severity: Option<String>,
}

/// Which subjects an entry selects. Every field given must match; `name`
/// and `namespace` are globs (`*`, `?`, `[...]`, `{a,b}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubjectPattern {
    /// `User`, `Group` or `ServiceAccount`; any kind when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PatternKind>,
    /// Name glob. For a service account it may also match the user name
    /// `system:serviceaccount:NS:NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace glob (service accounts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The kinds a subject pattern names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum PatternKind {
    /// A user (kubelets are users `system:node:NAME`).
    User,
    /// A group.
    Group,
    /// A service account.
    ServiceAccount,
}

/// What an assertion expects: `yes` / `no` for `canI`, `none` for `paths`
/// and `audit`. YAML's `true` and `false` read as `yes` and `no`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Allowed.
    Yes,
    /// Denied.
    No,
    /// Nothing found.
    None,
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Bool(bool),
            Text(String),
        }
        match Written::deserialize(d)? {
            Written::Bool(true) => Ok(Expect::Yes),
            Written::Bool(false) => Ok(Expect::No),
            Written::Text(t) => match t.as_str() {
                "yes" => Ok(Expect::Yes),
                "no" => Ok(Expect::No),
                "none" => Ok(Expect::None),
                _ => Err(serde::de::Error::custom(format!(
                    "unknown value `{t}`, expected `yes`, `no` or `none`"
                ))),
            },
        }
    }
}

impl JsonSchema for Expect {
    fn schema_name() -> Cow<'static, str> {
        "Expect".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`yes` or `no` for canI; `none` for paths and audit (YAML's true and false read as yes and no).",
            "enum": ["yes", "no", "none", true, false]
        })
    }
}

/// The request fields `whoCan` and `canI` share (serde cannot flatten
/// them into both with `deny_unknown_fields`), borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestFields<'a> {
    pub(crate) verb: &'a str,
    pub(crate) resource: Option<&'a str>,
    pub(crate) subresource: Option<&'a str>,
    pub(crate) name: Option<&'a str>,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) all_namespaces: bool,
    pub(crate) url: Option<&'a str>,
}

impl WhoCanSpec {
    pub(crate) fn request(&self) -> RequestFields<'_> {
        RequestFields {
            verb: &self.verb,
            resource: self.resource.as_deref(),
            subresource: self.subresource.as_deref(),
            name: self.name.as_deref(),
            namespace: self.namespace.as_deref(),
            all_namespaces: self.all_namespaces,
            url: self.non_resource_url.as_deref(),
        }
    }
}

impl CanISpec {
    pub(crate) fn request(&self) -> RequestFields<'_> {
        RequestFields {
            verb: &self.verb,
            resource: self.resource.as_deref(),
            subresource: self.subresource.as_deref(),
            name: self.name.as_deref(),
            namespace: self.namespace.as_deref(),
            all_namespaces: self.all_namespaces,
            url: self.non_resource_url.as_deref(),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The JSON Schema (draft 2020-12) of a policy document, for editors
/// (`# yaml-language-server: $schema=…`) and validators.
///
/// ```
/// let schema = rbacgraph::query::check::policy_schema();
/// assert_eq!(schema["title"], "rbacgraph Policy");
/// ```
pub fn policy_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(PolicyDocument);
    schema.to_value()
}

/// A policy document with where it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The document.
    pub document: PolicyDocument,
    /// Its file and document index.
    pub source: Source,
}

/// Where policies are read from ([`PolicySet::read`]).
#[derive(Clone, Debug, PartialEq)]
pub enum PolicySource {
    /// A file, a directory (its `.yaml`, `.yml` and `.json` files, in name
    /// order) or `-` for standard input.
    Path(std::path::PathBuf),
    /// A YAML or JSON stream of policy documents, named `label` in sources.
    Text {
        /// The name sources give it.
        label: String,
        /// The text.
        text: String,
    },
    /// One policy document, already parsed (a Python dict, a JS object).
    Document {
        /// The name sources give it.
        label: String,
        /// The document.
        value: serde_json::Value,
    },
}

/// Policy documents, in the order read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicySet {
    policies: Vec<Policy>,
}

impl PolicySet {
    /// No policies.
    pub fn new() -> Self {
        PolicySet::default()
    }

    /// Reads a YAML (or JSON) stream of policy documents, labelled `label`
    /// in every message.
    ///
    /// # Errors
    /// [`Error::Policy`] with every problem: YAML that does not parse, a
    /// document that is not `kind: Policy`, an unknown or misspelt field, a
    /// value of the wrong type, a bad glob, an assertion with no kind or two.
    ///
    /// ```
    /// use rbacgraph::query::check::PolicySet;
    /// let policy = PolicySet::from_yaml("p.yaml", "
    /// apiVersion: rbacgraph/v1
    /// kind: Policy
    /// metadata: {name: p}
    /// assertions:
    /// - name: nobody execs
    ///   whoCan: {verb: create, resource: pods, subresource: exec, allNamespaces: true}
    ///   allowOnly: []
    /// ").unwrap();
    /// assert_eq!(policy.assertions().count(), 1);
    /// let typo = PolicySet::from_yaml("p.yaml", "
    /// apiVersion: rbacgraph/v1
    /// kind: Policy
    /// metadata: {name: p}
    /// assertions: [{name: x, whoCan: {verb: get, resorce: pods}, allowOnly: []}]
    /// ").unwrap_err();
    /// assert!(typo.to_string().contains("assertions[0].whoCan"));
    /// ```
    pub fn from_yaml(label: &str, text: &str) -> Result<PolicySet, Error> {
        let mut set = PolicySet::new();
        set.add_yaml(label, text)?;
        Ok(set)
    }

    /// Adds the policy documents of a YAML (or JSON) stream.
    ///
    /// # Errors
    /// As [`PolicySet::from_yaml`]; nothing is added then.
    pub fn add_yaml(&mut self, label: &str, text: &str) -> Result<(), Error> {
        let file: Arc<str> = Arc::from(label);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut problems = Vec::new();
        let mut read = Vec::new();
        for (document, (line, doc)) in crate::load::split_yaml(text).into_iter().enumerate() {
            let source = Source {
                file: file.clone(),
                document,
                item: None,
                line: Some(line),
            };
            // The loader's budgets: no alias bomb or deep nesting gets through.
            let options = crate::load::yaml_options(doc.len());
            match serde_saphyr::from_str_with_options::<serde_json::Value>(doc, options) {
                Ok(serde_json::Value::Null) => {}
                Ok(value) => match read_document(value, &source) {
                    Ok(document) => read.push(Policy { document, source }),
                    Err(mut found) => problems.append(&mut found),
                },
                Err(e) => problems.push(problem(
                    &source,
                    None,
                    None,
                    format!("not YAML: {}", crate::load::yaml_message(&e)),
                )),
            }
        }
        if read.is_empty() && problems.is_empty() {
            problems.push(problem(
                &Source::inline(label),
                None,
                None,
                "no policy document (expected `kind: Policy`)".into(),
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Policy(problems));
        }
        self.policies.append(&mut read);
        Ok(())
    }

    /// Adds the policy documents of a file, of every `.yaml`, `.yml` and
    /// `.json` file below a directory (in name order), or of standard input
    /// (`-`), as `-f` reads manifests.
    ///
    /// # Errors
    /// [`Error::Io`] for a path that cannot be read; [`Error::Policy`] with
    /// the problems of every file read (nothing is added then).
    pub fn add_path(&mut self, path: &std::path::Path) -> Result<(), Error> {
        let mut files = Vec::new();
        for file in crate::load::manifest_files(path)? {
            let bytes = crate::load::read_input(&file)?;
            files.push(PolicySource::Text {
                label: file.display().to_string(),
                text: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        self.extend(PolicySet::read(files)?);
        Ok(())
    }

    /// Reads policies from several sources, in order — every `--policy`
    /// of the command line, every argument of a binding's `check`.
    ///
    /// # Errors
    /// [`Error::Io`] at the first path that cannot be read; otherwise
    /// [`Error::Policy`] with the problems of every source at once.
    ///
    /// ```
    /// use rbacgraph::query::check::{PolicySet, PolicySource};
    /// let bad = |label: &str| PolicySource::Text { label: label.into(), text: "kind: Role".into() };
    /// let Err(rbacgraph::Error::Policy(problems)) = PolicySet::read([bad("a.yaml"), bad("b.yaml")]) else {
    ///     panic!()
    /// };
    /// assert_eq!(problems.len(), 2);
    /// ```
    pub fn read(sources: impl IntoIterator<Item = PolicySource>) -> Result<PolicySet, Error> {
        let mut set = PolicySet::new();
        let mut problems = Vec::new();
        for source in sources {
            let added = match source {
                PolicySource::Path(path) => set.add_path(&path),
                PolicySource::Text { label, text } => set.add_yaml(&label, &text),
                PolicySource::Document { label, value } => set.add_value(&label, value),
            };
            match added {
                Ok(()) => {}
                Err(Error::Policy(mut found)) => problems.append(&mut found),
                Err(e) => return Err(e),
            }
        }
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(Error::Policy(problems))
        }
    }

    /// Adds one policy document already parsed (a Python dict, a JS
    /// object), labelled `label`.
    ///
    /// # Errors
    /// As [`PolicySet::from_yaml`].
    pub fn add_value(&mut self, label: &str, value: serde_json::Value) -> Result<(), Error> {
        let source = Source::inline(label);
        let document = read_document(value, &source).map_err(Error::Policy)?;
        self.policies.push(Policy { document, source });
        Ok(())
    }

    /// Adds every policy of another set.
    pub fn extend(&mut self, other: PolicySet) {
        self.policies.extend(other.policies);
    }

    /// The policies.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Every assertion with its policy, in order.
    pub fn assertions(&self) -> impl Iterator<Item = (&Policy, usize, &Assertion)> {
        self.policies.iter().flat_map(|p| {
            p.document
                .assertions
                .iter()
                .enumerate()
                .map(move |(i, a)| (p, i, a))
        })
    }

    /// Whether there are no policies.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

pub(crate) fn problem(
    source: &Source,
    object: Option<String>,
    field: Option<String>,
    message: String,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        source: source.clone(),
        object,
        field,
        message,
    }
}

/// Decodes one document and checks what the types cannot say.
fn read_document(
    value: serde_json::Value,
    source: &Source,
) -> Result<PolicyDocument, Vec<Diagnostic>> {
    let kind = value.get("kind").and_then(serde_json::Value::as_str);
    if kind != Some(POLICY_KIND) {
        let found = kind.map_or_else(|| "no kind".to_string(), |k| format!("kind `{k}`"));
        return Err(vec![problem(
            source,
            None,
            Some("kind".into()),
            format!("expected `kind: Policy`, found {found}"),
        )]);
    }
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(serde_json::Value::as_str)
        .map(|n| format!("Policy {n}"));
    // The envelope first, then each assertion on its own: one misspelt
    // field does not hide the problems of the other assertions.
    let located = |e: serde_path_to_error::Error<serde_json::Error>, prefix: &str| {
        let path = e.path().to_string();
        let field = match (prefix, path.as_str()) {
            ("", ".") => None,
            ("", p) => Some(p.to_string()),
            (pre, ".") => Some(pre.to_string()),
            (pre, p) => Some(format!("{pre}.{p}")),
        };
        let mut message = crate::error::redact(&e.inner().to_string());
        if message.contains("invalid type: boolean") {
            message.push_str(" (quote it: YAML reads y, n, yes, no, on and off as booleans)");
        }
        problem(source, name.clone(), field, message)
    };
    let mut value = value;
    let assertions = match value.get_mut("assertions") {
        Some(serde_json::Value::Array(list)) => std::mem::take(list),
        _ => Vec::new(),
    };
    let mut problems = Vec::new();
    let mut document: Option<PolicyDocument> = match serde_path_to_error::deserialize(&value) {
        Ok(d) => Some(d),
        Err(e) => {
            problems.push(located(e, ""));
            None
        }
    };
    for (i, a) in assertions.iter().enumerate() {
        match serde_path_to_error::deserialize::<_, Assertion>(a) {
            Ok(a) => {
                if let Some(d) = &mut document {
                    d.assertions.push(a);
                }
            }
            Err(e) => problems.push(located(e, &format!("assertions[{i}]"))),
        }
    }
    let Some(document) = document.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let problems = validate(&document, source);
    if problems.is_empty() {
        Ok(document)
    } else {
        Err(problems)
    }
}

/// What the serde types cannot say: the apiVersion, one kind per
/// assertion, the fields each kind takes, the expectations, the globs.
fn validate(doc: &PolicyDocument, source: &Source) -> Vec<Diagnostic> {
    let object = Some(format!("Policy {}", doc.metadata.name));
    let mut out = Vec::new();
    let mut report = |field: String, message: String| {
        out.push(problem(source, object.clone(), Some(field), message));
    };
    if doc.api_version != API_VERSION {
        report(
            "apiVersion".into(),
            format!("expected `{API_VERSION}`, found `{}`", doc.api_version),
        );
    }
    if doc.metadata.name.trim().is_empty() {
        report("metadata.name".into(), "is empty".into());
    }
    if doc.assertions.is_empty() {
        report(
            "assertions".into(),
            "is empty: a policy without assertions would pass whatever the cluster".into(),
        );
    }
    let mut names = std::collections::HashSet::new();
    for (i, a) in doc.assertions.iter().enumerate() {
        let at = |field: &str| {
            if field.is_empty() {
                format!("assertions[{i}]")
            } else {
                format!("assertions[{i}].{field}")
            }
        };
        if a.name.trim().is_empty() {
            report(at("name"), "is empty".into());
        } else if !names.insert(a.name.as_str()) {
            report(
                at("name"),
                format!("`{}` names an earlier assertion too", a.name),
            );
        }
        let kinds: Vec<&str> = [
            ("whoCan", a.who_can.is_some()),
            ("canI", a.can_i.is_some()),
            ("paths", a.paths.is_some()),
            ("audit", a.audit.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, present)| present.then_some(k))
        .collect();
        let kind = match kinds.as_slice() {
            [one] => *one,
            [] => {
                report(
                    at(""),
                    "needs one of `whoCan`, `canI`, `paths` or `audit`".into(),
                );
                continue;
            }
            many => {
                report(
                    at(""),
                    format!("has {}; give one per assertion", many.join(" and ")),
                );
                continue;
            }
        };
        if kind != "whoCan" {
            for (field, present) in [
                ("allowOnly", a.allow_only.is_some()),
                ("maxSubjects", a.max_subjects.is_some()),
                ("expand", a.expand.is_some()),
            ] {
                if present {
                    report(
                        at(field),
                        format!("is for `whoCan` assertions, not `{kind}`"),
                    );
                }
            }
        }
        match kind {
            "whoCan" => {
                if a.allow_only.is_none() && a.max_subjects.is_none() {
                    report(
                        at(""),
                        "a `whoCan` assertion needs `allowOnly` (who may) or `maxSubjects` (how many may)".into(),
                    );
                }
                if a.expect.is_some() {
                    report(
                        at("expect"),
                        "is not for `whoCan`: say who may with `allowOnly` (`[]` for nobody)"
                            .into(),
                    );
                }
                for (j, p) in a.allow_only.iter().flatten().enumerate() {
                    for (field, message) in pattern_problems(p) {
                        report(at(&format!("allowOnly[{j}].{field}")), message);
                    }
                }
                if let Some(w) = &a.who_can {
                    for (field, message) in request_problems(&w.request()) {
                        report(at(&format!("whoCan.{field}")), message);
                    }
                }
            }
            "canI" => {
                match a.expect {
                    Some(Expect::Yes | Expect::No) => {}
                    Some(Expect::None) => report(
                        at("expect"),
                        "a `canI` assertion expects `yes` or `no`".into(),
                    ),
                    None => report(
                        at("expect"),
                        "a `canI` assertion needs `expect: \"yes\"` or `expect: \"no\"`".into(),
                    ),
                }
                if let Some(c) = &a.can_i {
                    for (field, message) in request_problems(&c.request()) {
                        report(at(&format!("canI.{field}")), message);
                    }
                    if c.user.trim().is_empty() {
                        report(at("canI.user"), "is empty".into());
                    }
                }
            }
            _ => {
                if matches!(a.expect, Some(Expect::Yes | Expect::No)) {
                    report(
                        at("expect"),
                        format!("a `{kind}` assertion expects `none` (the default)"),
                    );
                }
                if let Some(p) = &a.paths {
                    for (field, message) in pattern_problems(&p.from) {
                        report(at(&format!("paths.from.{field}")), message);
                    }
                    if let Some(to) = &p.to
                        && let Err(e) = crate::query::paths::Target::parse(to)
                    {
                        report(at("paths.to"), e.to_string());
                    }
                    if p.max_depth == Some(0) {
                        report(at("paths.maxDepth"), "must be at least 1".into());
                    }
                }
                if let Some(audit) = &a.audit {
                    if let Some(control) = &audit.control {
                        match compile_glob(control) {
                            Err(e) => report(at("audit.control"), e),
                            Ok(g) => {
                                if !crate::query::audit::CONTROLS
                                    .iter()
                                    .any(|c| g.is_match(c.id))
                                {
                                    report(
                                        at("audit.control"),
                                        format!(
                                            "`{control}` matches no audit control (`rbacgraph audit --by control` lists them)"
                                        ),
                                    );
                                }
                            }
                        }
                    }
                    if let Some(s) = &audit.severity
                        && s.parse::<crate::query::audit::Severity>().is_err()
                    {
                        report(
                            at("audit.severity"),
                            format!(
                                "unknown severity `{s}`, expected info, low, medium, high or critical"
                            ),
                        );
                    }
                }
            }
        }
    }
    out
}

/// Problems of a request's fields that need no cluster: a resource and a
/// URL at once, neither, a URL with resource fields.
fn request_problems(r: &RequestFields<'_>) -> Vec<(&'static str, String)> {
    let RequestFields {
        verb,
        resource,
        subresource,
        name,
        namespace,
        all_namespaces,
        url,
    } = *r;
    let mut out = Vec::new();
    if verb.trim().is_empty() {
        out.push(("verb", "is empty".to_string()));
    }
    match (resource, url) {
        (Some(_), Some(_)) => out.push((
            "nonResourceURL",
            "give `resource` or `nonResourceURL`, not both".into(),
        )),
        (None, None) => out.push(("resource", "needs `resource` or `nonResourceURL`".into())),
        (None, Some(u)) => {
            if !u.starts_with('/') {
                out.push(("nonResourceURL", format!("`{u}` does not start with `/`")));
            }
            for (field, present) in [
                ("subresource", subresource.is_some()),
                ("name", name.is_some()),
                ("namespace", namespace.is_some()),
                ("allNamespaces", all_namespaces),
            ] {
                if present {
                    out.push((field, "a non-resource URL has none".into()));
                }
            }
        }
        (Some(r), None) => {
            if r.is_empty() || r.contains('/') {
                out.push((
                    "resource",
                    format!("`{r}` is not TYPE[.GROUP]; put a subresource in `subresource` and a name in `name`"),
                ));
            }
            if namespace.is_some() && all_namespaces {
                out.push((
                    "allNamespaces",
                    "give `namespace` or `allNamespaces`, not both".into(),
                ));
            }
            if name.is_some_and(str::is_empty) {
                out.push(("name", "is empty".into()));
            }
        }
    }
    out
}

fn pattern_problems(p: &SubjectPattern) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (field, glob) in [("name", &p.name), ("namespace", &p.namespace)] {
        if let Some(g) = glob
            && let Err(e) = compile_glob(g)
        {
            out.push((field, e));
        }
    }
    if p.namespace.is_some() && matches!(p.kind, Some(PatternKind::User | PatternKind::Group)) {
        out.push((
            "namespace",
            "only service accounts have a namespace".to_string(),
        ));
    }
    out
}

pub(crate) fn compile_glob(pattern: &str) -> Result<GlobMatcher, String> {
    if pattern.is_empty() {
        return Err("is empty".into());
    }
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{pattern}`: {}", e.kind()))
}

/// A compiled subject pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    kind: Option<PatternKind>,
    name: Option<GlobMatcher>,
    namespace: Option<GlobMatcher>,
}

impl Pattern {
    /// Compiles a validated pattern (a glob that fails matches nothing).
    pub(crate) fn new(p: &SubjectPattern) -> Pattern {
        Pattern {
            kind: p.kind,
            name: p.name.as_deref().and_then(|g| compile_glob(g).ok()),
            namespace: p.namespace.as_deref().and_then(|g| compile_glob(g).ok()),
        }
    }

    /// Whether the pattern selects a subject (`kind`, `name`, `namespace`).
    pub(crate) fn matches(&self, kind: &str, name: &str, namespace: Option<&str>) -> bool {
        let kind_ok = match self.kind {
            None => true,
            Some(PatternKind::User) => kind == "User",
            Some(PatternKind::Group) => kind == "Group",
            Some(PatternKind::ServiceAccount) => kind == "ServiceAccount",
        };
        let name_ok = self.name.as_ref().is_none_or(|g| {
            g.is_match(name)
                || (kind == "ServiceAccount"
                    && g.is_match(crate::request::service_account_username(
                        namespace.unwrap_or(""),
                        name,
                    )))
        });
        let namespace_ok = match (&self.namespace, namespace) {
            (None, _) => true,
            (Some(g), Some(ns)) => g.is_match(ns),
            (Some(_), None) => false,
        };
        kind_ok && name_ok && namespace_ok
    }

    /// Whether the pattern selects a reported subject.
    pub(crate) fn matches_subject(&self, s: &SubjectRef) -> bool {
        self.matches(&s.kind, &s.name, s.namespace.as_deref())
    }
}

//! Bad input: every broken document is reported (file, document, list item,
//! object, field and a readable message) and every good one still loads;
//! strict mode turns any error into `Err(Error::Strict(..))`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::collections::BTreeMap;

use rbacgraph::{Diagnostic, Error, GraphBuilder, Identity, RbacGraph, Request, Severity};

/// A graph built from labelled texts (default namespace `team-a`).
fn builder(files: &[(&str, &str)]) -> GraphBuilder {
    let mut b = RbacGraph::builder().default_namespace("team-a");
    for (label, text) in files {
        b = b.load_str(label, text);
    }
    b
}

fn build(files: &[(&str, &str)]) -> RbacGraph {
    builder(files).build().unwrap()
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

/// Where a diagnostic points, without the message:
/// `(severity, file, document, item, object, field)`.
type Place = (
    Severity,
    String,
    usize,
    Option<usize>,
    Option<String>,
    Option<String>,
);

fn place(d: &Diagnostic) -> Place {
    (
        d.severity,
        d.source.file.to_string(),
        d.source.document,
        d.source.item,
        d.object.clone(),
        d.field.clone(),
    )
}

fn at(
    severity: Severity,
    file: &str,
    document: usize,
    item: Option<usize>,
    object: Option<&str>,
    field: Option<&str>,
) -> Place {
    (
        severity,
        file.into(),
        document,
        item,
        object.map(Into::into),
        field.map(Into::into),
    )
}

fn places(g: &RbacGraph) -> Vec<Place> {
    g.diagnostics().iter().map(place).collect()
}

fn messages(g: &RbacGraph) -> Vec<String> {
    g.diagnostics().iter().map(|d| d.message.clone()).collect()
}

/// Strict mode fails with exactly the error diagnostics of a lenient build.
fn assert_strict_fails(files: &[(&str, &str)]) {
    let lenient = build(files);
    let errors: Vec<Diagnostic> = lenient
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    assert!(!errors.is_empty());
    match builder(files).strict(true).build() {
        Err(Error::Strict(found)) => assert_eq!(found, errors),
        other => panic!("expected Error::Strict, got {other:?}"),
    }
}

/// Strict mode accepts input that only has warnings.
fn assert_strict_accepts(files: &[(&str, &str)]) {
    let g = builder(files).strict(true).build().unwrap();
    assert!(
        g.diagnostics()
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
}

const SERVICE_ACCOUNT: &str = "apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: ci}
";

const CLUSTER_ROLE: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [''], resources: [pods], verbs: [get, list]}
";

#[test]
fn truncated_yaml_loses_only_the_cut_document() {
    let text = format!(
        "{SERVICE_ACCOUNT}---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: reader, namespace: ci}}
rules:
- apiGroups: ['']
  resources: [pods, secr"
    );
    let files = [("truncated.yaml", text.as_str())];
    let g = build(&files);
    assert_eq!(g.load_summary().loaded, counts(&[("ServiceAccount", 1)]));
    assert_eq!(
        (g.load_summary().documents, g.load_summary().failed),
        (2, 1)
    );
    assert_eq!(
        places(&g),
        [at(Severity::Error, "truncated.yaml", 1, None, None, None)]
    );
    let d = &g.diagnostics()[0];
    assert_eq!(d.message, "invalid YAML: unclosed bracket '['");
    // The document starts at its `---` (line 4); the error is inside it.
    let line = d.source.line.unwrap();
    assert!((5..=10).contains(&line), "line {line}");
    assert_eq!(
        d.to_string(),
        format!("error: truncated.yaml:{line} (document 1): invalid YAML: unclosed bracket '['")
    );
    assert_strict_fails(&files);
}

#[test]
fn wrong_types_name_the_object_and_the_field() {
    let text = format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: reader, namespace: ci}}
rules:
- apiGroups: ['']
  resources: [pods]
  verbs: get
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: readers, namespace: ci}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}
subjects: {{}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: admins}}
roleRef: admin
---
{CLUSTER_ROLE}---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: deployer, namespace: ci}}
automountServiceAccountToken: maybe
"
    );
    let files = [("types.yaml", text.as_str())];
    let g = build(&files);
    assert_eq!(g.load_summary().loaded, counts(&[("ClusterRole", 1)]));
    assert_eq!(g.load_summary().failed, 4);
    assert_eq!(
        places(&g),
        [
            at(
                Severity::Error,
                "types.yaml",
                0,
                None,
                Some("Role ci/reader"),
                Some("rules[0].verbs")
            ),
            at(
                Severity::Error,
                "types.yaml",
                1,
                None,
                Some("RoleBinding ci/readers"),
                Some("subjects")
            ),
            at(
                Severity::Error,
                "types.yaml",
                2,
                None,
                Some("ClusterRoleBinding admins"),
                Some("roleRef")
            ),
            at(
                Severity::Error,
                "types.yaml",
                4,
                None,
                Some("ServiceAccount ci/deployer"),
                Some("automountServiceAccountToken")
            ),
        ]
    );
    assert_eq!(
        messages(&g),
        [
            "invalid type: a string, expected a sequence",
            "invalid type: map, expected a sequence",
            "invalid type: a string, expected a mapping",
            "invalid type: a string, expected a boolean",
        ]
    );
    assert_eq!(
        g.diagnostics()[0].to_string(),
        "error: types.yaml:1 (document 0): Role ci/reader: field `rules[0].verbs`: \
         invalid type: a string, expected a sequence"
    );
    assert_strict_fails(&files);
}

#[test]
fn unknown_api_version_is_an_error() {
    let text = format!(
        "apiVersion: rbac.authorization.k8s.io/v2
kind: Role
metadata: {{name: reader, namespace: ci}}
rules: []
---
{CLUSTER_ROLE}"
    );
    let files = [("v2.yaml", text.as_str())];
    let g = build(&files);
    assert_eq!(g.load_summary().loaded, counts(&[("ClusterRole", 1)]));
    assert_eq!(
        places(&g),
        [at(
            Severity::Error,
            "v2.yaml",
            0,
            None,
            Some("Role ci/reader"),
            Some("apiVersion")
        )]
    );
    assert_eq!(
        messages(&g),
        [
            "unknown apiVersion `rbac.authorization.k8s.io/v2` for kind Role; expected \
          rbac.authorization.k8s.io/v1 or rbac.authorization.k8s.io/v1beta1 or \
          rbac.authorization.k8s.io/v1alpha1"
        ]
    );
    assert!(g.load_summary().deprecated.is_empty());
    assert_strict_fails(&files);
}

#[test]
fn cluster_role_binding_to_a_role_is_rejected() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: ci}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}]
";
    let files = [("crb.yaml", text)];
    let g = build(&files);
    assert_eq!(g.load_summary().loaded, counts(&[("Role", 1)]));
    assert!(g.bindings().is_empty());
    assert_eq!(
        places(&g),
        [at(
            Severity::Error,
            "crb.yaml",
            1,
            None,
            Some("ClusterRoleBinding readers"),
            Some("roleRef.kind")
        )]
    );
    assert_eq!(
        messages(&g),
        ["a ClusterRoleBinding can only reference a ClusterRole, not a Role"]
    );
    let jane = Identity::authenticated("jane", Vec::<String>::new());
    assert!(
        !g.authorize(
            &jane,
            &Request::resource("get", "", "pods").in_namespace("ci")
        )
        .allowed
    );
    assert_strict_fails(&files);
}

#[test]
fn duplicate_objects_keep_the_later_one_with_a_warning() {
    let first = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: ci}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
";
    let second = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: ci}
rules: [{apiGroups: [''], resources: [pods], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: other}
rules: []
";
    let files = [("a.yaml", first), ("b.yaml", second)];
    let g = build(&files);
    // Three objects were read; the graph keeps two (ci/reader once).
    assert_eq!(g.load_summary().loaded, counts(&[("Role", 3)]));
    let roles: Vec<(String, String, Vec<String>)> = g
        .roles()
        .iter()
        .map(|r| {
            (
                r.namespace.clone().unwrap_or_default(),
                r.source.file.to_string(),
                r.rules.iter().flat_map(|x| x.verbs.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (
                "ci".to_string(),
                "b.yaml".to_string(),
                vec!["list".to_string()]
            ),
            ("other".to_string(), "b.yaml".to_string(), vec![]),
        ]
    );
    // The warning points at the replaced definition.
    assert_eq!(
        places(&g),
        [at(
            Severity::Warning,
            "a.yaml",
            0,
            None,
            Some("Role ci/reader"),
            None
        )]
    );
    assert_eq!(
        messages(&g),
        ["duplicate object; a later definition replaces this one"]
    );
    assert_strict_accepts(&files);
}

#[test]
fn missing_name_or_kind_and_scalar_documents() {
    let text = format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{namespace: ci}}
rules: []
---
apiVersion: v1
metadata: {{name: mystery}}
---
just a string
---
42
---
{SERVICE_ACCOUNT}"
    );
    let files = [("odd.yaml", text.as_str())];
    let g = build(&files);
    assert_eq!(g.load_summary().loaded, counts(&[("ServiceAccount", 1)]));
    assert_eq!(
        (g.load_summary().documents, g.load_summary().failed),
        (5, 4)
    );
    assert_eq!(
        places(&g),
        [
            at(
                Severity::Error,
                "odd.yaml",
                0,
                None,
                Some("Role"),
                Some("metadata.name")
            ),
            at(Severity::Error, "odd.yaml", 1, None, None, Some("kind")),
            at(Severity::Error, "odd.yaml", 2, None, None, None),
            at(Severity::Error, "odd.yaml", 3, None, None, None),
        ]
    );
    assert_eq!(
        messages(&g),
        [
            "is required",
            "is missing; not a Kubernetes object",
            "not a Kubernetes object (expected a mapping)",
            "not a Kubernetes object (expected a mapping)",
        ]
    );
    let lines: Vec<Option<usize>> = g.diagnostics().iter().map(|d| d.source.line).collect();
    assert_eq!(lines, [Some(1), Some(5), Some(8), Some(10)]);
    assert_strict_fails(&files);
}

#[test]
fn invalid_utf8_loses_only_its_document() {
    let mut bytes = SERVICE_ACCOUNT.as_bytes().to_vec();
    bytes.extend_from_slice(b"---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: caf");
    let bad_offset = bytes.len();
    bytes.extend_from_slice(b"\xe9\n  namespace: ci\n---\n");
    bytes.extend_from_slice(CLUSTER_ROLE.as_bytes());
    let g = RbacGraph::builder()
        .load_bytes("latin1.yaml", &bytes)
        .build()
        .unwrap();
    assert_eq!(
        g.load_summary().loaded,
        counts(&[("ClusterRole", 1), ("ServiceAccount", 1)])
    );
    assert_eq!(
        (
            g.load_summary().files,
            g.load_summary().documents,
            g.load_summary().failed
        ),
        (1, 3, 1)
    );
    assert_eq!(
        places(&g),
        [at(Severity::Error, "latin1.yaml", 1, None, None, None)]
    );
    let d = &g.diagnostics()[0];
    assert_eq!(
        d.message,
        format!("not UTF-8 text (invalid byte at offset {bad_offset} of the file)")
    );
    // Line 8: the document starts at its `---` on line 4.
    assert_eq!(d.source.line, Some(8));
    match RbacGraph::builder()
        .strict(true)
        .load_bytes("latin1.yaml", &bytes)
        .build()
    {
        Err(Error::Strict(found)) => assert_eq!(found, g.diagnostics()),
        other => panic!("expected Error::Strict, got {other:?}"),
    }

    // JSON cannot be split into documents without parsing it: the whole file fails.
    let json = b"{\"apiVersion\": \"v1\", \"kind\": \"ServiceAccount\", \
                 \"metadata\": {\"name\": \"caf\xe9\", \"namespace\": \"ci\"}}";
    let g = RbacGraph::builder()
        .load_bytes("latin1.json", json)
        .build()
        .unwrap();
    assert!(g.load_summary().loaded.is_empty());
    assert_eq!(
        places(&g),
        [at(Severity::Error, "latin1.json", 0, None, None, None)]
    );
    let offset = json.iter().position(|&b| b == 0xe9).unwrap();
    assert_eq!(
        messages(&g),
        [format!("not UTF-8 text (invalid byte at offset {offset})")]
    );
}

#[test]
fn json_syntax_error_after_a_good_value() {
    let text = r#"{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "ci"}}
{"apiVersion": "v1", "kind": }
{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "never-read", "namespace": "ci"}}
"#;
    let files = [("stream.json", text)];
    let g = build(&files);
    // The stream cannot be resynchronised after a syntax error.
    assert_eq!(g.load_summary().loaded, counts(&[("ServiceAccount", 1)]));
    assert_eq!(g.service_accounts()[0].name, "builder");
    assert_eq!(
        places(&g),
        [at(Severity::Error, "stream.json", 1, None, None, None)]
    );
    assert_eq!(messages(&g), ["invalid JSON: expected value"]);
    assert_eq!(g.diagnostics()[0].source.line, Some(2));
    assert_strict_fails(&files);
}

#[test]
fn a_bad_list_item_among_good_ones() {
    let yaml = "apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: good, namespace: ci}
  rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: bad, namespace: ci}
  rules: [{apiGroups: [''], resources: [pods], verbs: get}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: good, namespace: ci}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: good}
  subjects: [{kind: ServiceAccount, name: builder}]
";
    let json = r#"{"apiVersion": "v1", "kind": "RoleList", "items": [
  {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
   "metadata": {"name": "good", "namespace": "web"}, "rules": []},
  {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
   "metadata": {"name": "bad", "namespace": "web"}, "rules": [{"verbs": "get"}]}
]}"#;
    let files = [("list.yaml", yaml), ("list.json", json)];
    let g = build(&files);
    assert_eq!(
        g.load_summary().loaded,
        counts(&[("Role", 2), ("RoleBinding", 1)])
    );
    assert_eq!(
        places(&g),
        [
            at(
                Severity::Error,
                "list.yaml",
                0,
                Some(1),
                Some("Role ci/bad"),
                Some("rules[0].verbs")
            ),
            at(
                Severity::Error,
                "list.json",
                0,
                Some(1),
                Some("Role web/bad"),
                Some("rules[0].verbs")
            ),
        ]
    );
    assert_eq!(
        messages(&g),
        [
            "invalid type: a string, expected a sequence",
            "invalid type: a string, expected a sequence",
        ]
    );
    assert_eq!(
        g.diagnostics()[0].to_string(),
        "error: list.yaml (document 0, items[1]): Role ci/bad: field `rules[0].verbs`: \
         invalid type: a string, expected a sequence"
    );
    // The good items work: the binding's subject is ci/builder.
    let builder_sa =
        Identity::authenticated("system:serviceaccount:ci:builder", Vec::<String>::new());
    assert!(
        g.authorize(
            &builder_sa,
            &Request::resource("get", "", "pods").in_namespace("ci")
        )
        .allowed
    );
    assert_strict_fails(&files);
}

#[test]
fn secret_values_never_reach_the_graph_or_the_diagnostics() {
    let good = "apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: ci
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{\"stringData\":{\"password\":\"hunter2-last-applied\"}}'
    kubernetes.io/service-account.name: builder
type: kubernetes.io/service-account-token
data:
  token: aHVudGVyMi1iYXNlNjQ=
stringData:
  password: hunter2-plain
";
    let broken_yaml = "apiVersion: v1
kind: Secret
metadata: {name: broken, namespace: ci}
data:
  password: aHVudGVyMi1icm9rZW4=
  password: aHVudGVyMi1kdXBsaWNhdGU=
---
apiVersion: v1
kind: Secret
metadata: {name: unterminated, namespace: ci}
stringData: {password: \"hunter2-unterminated
";
    let broken_json = r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ok", "namespace": "ci"}, "data": {"k": "aHVudGVyMi1qc29u"}}
{"apiVersion": "v1", "kind": "Secret", "data": {"k": "hunter2-json-broken" "#;
    let files = [
        ("secret.yaml", good),
        ("broken.yaml", broken_yaml),
        ("broken.json", broken_json),
    ];
    let g = build(&files);
    assert_eq!(g.load_summary().loaded, counts(&[("Secret", 2)]));
    let secrets: Vec<(String, String, Option<String>)> = g
        .secrets()
        .iter()
        .map(|s| {
            (
                format!("{}/{}", s.namespace, s.name),
                s.type_.clone(),
                s.service_account.clone(),
            )
        })
        .collect();
    assert_eq!(
        secrets,
        [
            (
                "ci/db".to_string(),
                "kubernetes.io/service-account-token".to_string(),
                Some("builder".to_string())
            ),
            ("ci/ok".to_string(), String::new(), None),
        ]
    );
    assert_eq!(
        places(&g),
        [
            at(Severity::Error, "broken.yaml", 0, None, None, None),
            at(Severity::Error, "broken.yaml", 1, None, None, None),
            at(Severity::Error, "broken.json", 1, None, None, None),
        ]
    );
    let dump = format!("{g:?}");
    let diagnostics: String = g
        .diagnostics()
        .iter()
        .map(|d| format!("{d} {d:?}\n"))
        .collect();
    for needle in ["hunter2", "aHVudGVyMi"] {
        assert!(!dump.contains(needle), "`{needle}` in the graph");
        assert!(
            !diagnostics.contains(needle),
            "`{needle}` in the diagnostics:\n{diagnostics}"
        );
    }
    // Strict mode's error carries the same (clean) diagnostics.
    match builder(&files).strict(true).build() {
        Err(e @ Error::Strict(_)) => {
            let text = format!("{e} {e:?}");
            assert!(!text.contains("hunter2") && !text.contains("aHVudGVyMi"));
        }
        other => panic!("expected Error::Strict, got {other:?}"),
    }
}

#[test]
fn unknown_kinds_are_counted_as_skipped() {
    let text = format!(
        "apiVersion: example.com/v1
kind: Widget
metadata: {{name: w, namespace: ci}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: ci}}
data: {{a: b}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: other, namespace: ci}}
---
{CLUSTER_ROLE}"
    );
    let files = [("mixed.yaml", text.as_str())];
    let g = build(&files);
    let summary = g.load_summary();
    assert_eq!(summary.loaded, counts(&[("ClusterRole", 1)]));
    assert_eq!(summary.skipped, counts(&[("ConfigMap", 2), ("Widget", 1)]));
    assert_eq!((summary.documents, summary.failed), (4, 0));
    assert!(g.diagnostics().is_empty());
    assert_strict_accepts(&files);
}

#[test]
fn namespaced_objects_without_namespace_get_the_default_namespace() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: builder}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {serviceAccountName: builder, containers: [{name: web, image: nginx}]}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: elsewhere}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-reader}
rules: []
";
    let files = [("bare.yaml", text)];
    let g = build(&files);
    assert!(g.diagnostics().is_empty());
    let namespaces: Vec<Option<String>> = g.roles().iter().map(|r| r.namespace.clone()).collect();
    assert_eq!(namespaces, [Some("team-a".to_string()), None]);
    assert_eq!(g.bindings()[0].namespace.as_deref(), Some("team-a"));
    assert_eq!(g.service_accounts()[0].namespace, "team-a");
    assert_eq!(g.workloads()[0].namespace, "team-a");
    assert_eq!(g.namespaces(), ["elsewhere", "team-a"]);
    let builder_sa =
        Identity::authenticated("system:serviceaccount:team-a:builder", Vec::<String>::new());
    let d = g.authorize(
        &builder_sa,
        &Request::resource("get", "", "pods").in_namespace("team-a"),
    );
    assert!(d.allowed);
    // With the default `default` namespace instead.
    let g = RbacGraph::builder()
        .load_str("bare.yaml", text)
        .build()
        .unwrap();
    assert_eq!(g.roles()[0].namespace.as_deref(), Some("default"));
}

#[test]
fn deprecated_api_versions_load_with_a_warning() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1beta1
kind: Role
metadata: {name: old, namespace: ci}
rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1beta1
kind: RoleBinding
metadata: {name: old, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: old}
subjects: [{kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: web, namespace: ci}
spec: {template: {spec: {containers: [{name: web, image: nginx}]}}}
";
    let files = [("old.yaml", text)];
    let g = build(&files);
    let summary = g.load_summary();
    assert_eq!(
        summary.loaded,
        counts(&[("Deployment", 1), ("Role", 1), ("RoleBinding", 1)])
    );
    assert_eq!(
        summary.deprecated,
        counts(&[
            ("extensions/v1beta1 Deployment", 1),
            ("rbac.authorization.k8s.io/v1beta1 Role", 1),
            ("rbac.authorization.k8s.io/v1beta1 RoleBinding", 1),
        ])
    );
    assert_eq!(
        places(&g),
        [
            at(
                Severity::Warning,
                "old.yaml",
                0,
                None,
                Some("Role ci/old"),
                Some("apiVersion")
            ),
            at(
                Severity::Warning,
                "old.yaml",
                1,
                None,
                Some("RoleBinding ci/old"),
                Some("apiVersion")
            ),
            at(
                Severity::Warning,
                "old.yaml",
                2,
                None,
                Some("Deployment ci/web"),
                Some("apiVersion")
            ),
        ]
    );
    assert_eq!(
        messages(&g)[0],
        "`rbac.authorization.k8s.io/v1beta1` is deprecated or removed; current is \
         `rbac.authorization.k8s.io/v1`"
    );
    assert_eq!(
        messages(&g)[2],
        "`extensions/v1beta1` is deprecated or removed; current is `apps/v1`"
    );
    // The old objects still grant.
    let jane = Identity::authenticated("jane", Vec::<String>::new());
    assert!(
        g.authorize(
            &jane,
            &Request::resource("get", "", "pods").in_namespace("ci")
        )
        .allowed
    );
    assert_strict_accepts(&files);
}

#[test]
fn strict_mode_reports_every_error_of_every_file() {
    let files = [
        (
            "a.yaml",
            "kind: Role\napiVersion: rbac.authorization.k8s.io/v2\nmetadata: {name: x, namespace: ci}\n",
        ),
        ("b.yaml", "[1, 2"),
        ("c.yaml", CLUSTER_ROLE),
    ];
    match builder(&files).strict(true).build() {
        Err(Error::Strict(found)) => {
            let files: Vec<String> = found.iter().map(|d| d.source.file.to_string()).collect();
            assert_eq!(files, ["a.yaml", "b.yaml"]);
            let e = Error::Strict(found);
            assert!(
                e.to_string()
                    .starts_with("2 problem(s) in the input (strict mode); first: error: a.yaml:1 (document 0): Role ci/x: field `apiVersion`"),
                "{e}"
            );
        }
        other => panic!("expected Error::Strict, got {other:?}"),
    }
    assert_eq!(
        build(&files).load_summary().loaded,
        counts(&[("ClusterRole", 1)])
    );
}

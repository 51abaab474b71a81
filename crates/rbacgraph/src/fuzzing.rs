//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the test that
//! replays their regression inputs (`tests/fuzz_regressions.rs`), so both
//! run exactly the same code. Not part of the supported API.
//!
//! Each function takes arbitrary bytes, drives the public API with them and
//! returns `Err` with a description when an invariant breaks (the fuzz
//! target turns that into a crash). A panic, hang or runaway allocation
//! anywhere below is a bug in the library.

use crate::discovery::Discovery;
use crate::load::LoadSummary;
use crate::query::paths::{AttackGraph, Target as PathTarget};
use crate::target::{Namespaces, parse};
use crate::{Identity, RbacGraph, Request, WhoCanQuery};

/// The most steps the path queries take on fuzzed input.
const MAX_DEPTH: usize = 4;
/// The most identities the queries are asked for.
const MAX_IDENTITIES: usize = 8;
/// The most requests derived from the loaded rules.
const MAX_REQUESTS: usize = 16;

/// Loads `data` as a manifest file (YAML, JSON or neither), builds the graph
/// and checks the load's bookkeeping.
///
/// # Errors
/// An invariant of the load does not hold.
pub fn yaml_loader(data: &[u8]) -> Result<(), String> {
    load_and_check("fuzz.yaml", data).map(|_| ())
}

/// Loads `data` as JSON: bytes that do not start like a JSON value are
/// wrapped into an array (`[` + data), so the input always reaches the JSON
/// path first.
///
/// # Errors
/// An invariant of the load does not hold.
pub fn json_loader(data: &[u8]) -> Result<(), String> {
    let starts_like_json = matches!(data.trim_ascii_start().first(), Some(b'{' | b'['));
    if starts_like_json {
        load_and_check("fuzz.json", data).map(|_| ())
    } else {
        let mut wrapped = Vec::with_capacity(data.len() + 1);
        wrapped.push(b'[');
        wrapped.extend_from_slice(data);
        load_and_check("fuzz.json", &wrapped).map(|_| ())
    }
}

/// Parses what a person types: the lines of `data` are a verb, a target,
/// a subresource (empty for none), a namespace (`*` for all), a paths target
/// and a user name. Resolved against a graph with one CRD.
///
/// # Errors
/// Never, so far: parsing either answers or returns an [`crate::Error`].
pub fn target_parse(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let mut next = || lines.next().unwrap_or_default();
    let (verb, target, sub, ns, path_target, user) =
        (next(), next(), next(), next(), next(), next());
    let graph = RbacGraph::builder()
        .load_str("crd.yaml", FUZZ_CRD)
        .build()
        .map_err(|e| e.to_string())?;
    let namespaces = if ns == "*" {
        Namespaces::All
    } else {
        Namespaces::One(ns)
    };
    let sub = (!sub.is_empty()).then_some(sub);
    if let Ok(t) = parse(&graph, verb, target, sub, namespaces) {
        let identity = Identity::authenticated(user, Vec::<String>::new());
        let _ = graph.authorize(&identity, &t.request);
        let _ = graph.who_can(&WhoCanQuery::new(t.request).all_namespaces(t.all_namespaces));
    }
    let _ = Discovery::default().resolve(target);
    let _ = graph.discovery().resolve(verb);
    let _ = PathTarget::parse(path_target);
    let _ = crate::request::split_service_account(user);
    let _ = Identity::authenticated(user, [path_target]).service_account();
    Ok(())
}

/// Loads `data` as [`yaml_loader`] does, then asks the graph questions
/// derived from what loaded: `authorize` and `who-can` for requests built
/// from the loaded rules, `rules_for` and escalation paths for the first
/// subjects, and the export graph.
///
/// # Errors
/// An invariant of the load or of the answers does not hold.
pub fn build_and_query(data: &[u8]) -> Result<(), String> {
    let graph = load_and_check("fuzz.yaml", data)?;
    let identities: Vec<Identity> = graph
        .subjects()
        .into_iter()
        .filter_map(|s| s.username())
        .take(MAX_IDENTITIES)
        .map(|name| Identity::authenticated(name, Vec::<String>::new()))
        .chain([Identity::authenticated(
            "system:serviceaccount:default:fuzz",
            ["fuzzers"],
        )])
        .collect();
    let requests = derived_requests(&graph);
    for request in &requests {
        let who = graph.who_can(&WhoCanQuery::new(request.clone()).expand(true));
        for identity in &identities {
            let decision = graph.authorize(identity, request);
            // RBAC only adds: a principal who-can lists is allowed with
            // the implicit groups, and these identities hold at least those.
            let listed = who.subjects.iter().any(|s| {
                let name = match (s.subject.kind.as_str(), &s.subject.namespace) {
                    ("User", _) => s.subject.name.clone(),
                    ("ServiceAccount", Some(ns)) => {
                        crate::request::service_account_username(ns, &s.subject.name)
                    }
                    _ => return false,
                };
                name == identity.name
            });
            if listed && !decision.allowed {
                return Err(format!(
                    "who-can lists `{}` for {request:?} but authorize denies",
                    identity.name
                ));
            }
        }
    }
    for identity in &identities {
        let _ = graph.rules_for(identity, "default");
    }
    let attack = AttackGraph::builder(&graph).build();
    for identity in &identities {
        let _ = attack
            .paths(identity, &PathTarget::ClusterAdmin, MAX_DEPTH)
            .take(2)
            .count();
        let _ = attack.blast_radius(identity, MAX_DEPTH);
    }
    let _ = attack.who_reaches(&PathTarget::AnyNode, MAX_DEPTH);
    let export = crate::query::paths::export::ExportGraph::new(&attack);
    let _ = export.to_dot();
    if let Some(first) = identities.first() {
        let _ = export.around(&first.name, 2);
    }
    Ok(())
}

/// Reads `data` as an audit log (JSON lines, or gzip when it starts with
/// the gzip magic bytes), then reports usage against a small cluster with
/// and without denied requests and verb expansion, and renders the report
/// and the generated roles.
///
/// # Errors
/// The fixed cluster does not load (never).
pub fn audit_log(data: &[u8]) -> Result<(), String> {
    let mut log = crate::auditlog::AuditLog::new();
    log.load_bytes("fuzz.log", data);
    let graph = RbacGraph::builder()
        .load_str("crd.yaml", FUZZ_CRD)
        .build()
        .map_err(|e| e.to_string())?;
    for options in [
        crate::query::usage::UsageOptions::default(),
        crate::query::usage::UsageOptions {
            include_denied: true,
            expand_verbs: false,
            ..Default::default()
        },
    ] {
        let report = graph.usage(&log, &options);
        let _ = report.to_document();
        let _ = report.manifests();
    }
    Ok(())
}

/// Requests made of the verbs, groups, resources and names of the loaded
/// rules (plus one non-resource URL), in the namespaces that appear.
fn derived_requests(graph: &RbacGraph) -> Vec<Request> {
    let namespaces = graph.namespaces();
    let namespace = namespaces.first().map_or("default", String::as_str);
    let mut requests = vec![Request::non_resource("get", "/healthz")];
    for role in graph.roles() {
        for rule in &role.rules {
            let verb = rule.verbs.first().map_or("get", String::as_str);
            if let Some(url) = rule.non_resource_urls.first() {
                requests.push(Request::non_resource(verb, url.trim_end_matches('*')));
            }
            let group = rule.api_groups.first().map_or("", String::as_str);
            if let Some(resource) = rule.resources.first() {
                let (resource, sub) = resource.split_once('/').unwrap_or((resource, ""));
                let mut request = Request::resource(verb, group, resource).in_namespace(namespace);
                if !sub.is_empty() {
                    request = request.subresource(sub);
                }
                if let Some(name) = rule.resource_names.first() {
                    request = request.named(name);
                }
                requests.push(request);
            }
            if requests.len() >= MAX_REQUESTS {
                return requests;
            }
        }
    }
    requests
}

/// Loads `data` labelled `label` and checks that the load summary adds up:
/// every document is counted, and the diagnostics name documents that
/// exist.
fn load_and_check(label: &str, data: &[u8]) -> Result<RbacGraph, String> {
    let graph = RbacGraph::builder()
        .load_bytes(label, data)
        .build()
        .map_err(|e| format!("lenient build failed: {e}"))?;
    let summary: &LoadSummary = graph.load_summary();
    if summary.files != 1 {
        return Err(format!("one input counted as {} files", summary.files));
    }
    let errors = graph
        .diagnostics()
        .iter()
        .filter(|d| d.severity == crate::Severity::Error)
        .count();
    if errors > summary.failed {
        return Err(format!(
            "{errors} error diagnostics but {} failed",
            summary.failed
        ));
    }
    for d in graph.diagnostics() {
        if d.source.document >= summary.documents.max(1) {
            return Err(format!(
                "diagnostic names document {} of {}: {d}",
                d.source.document, summary.documents
            ));
        }
    }
    Ok(graph)
}

/// A CRD the target parser resolves against (`widgets`, short name `wd`).
const FUZZ_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions: [{name: v1, served: true, storage: true}]
";

//! Kubernetes audit logs: `audit.k8s.io/v1` Event objects, one JSON object
//! per line (what the API server's log backend writes), plain or gzip, turned
//! into the request attributes the authorizer saw.
//!
//! Which events count: only stage `ResponseComplete` (or `Panic`, when the
//! handler panicked), because only then is the response code known; the same
//! request seen at several stages (one `auditID`) counts once. A line that
//! is not an audit event is reported as a [`Diagnostic`] and skipped.
//!
//! How an event maps to request attributes (rbac-semantics.md §1):
//! - The verb is the event's `verb`: the API server writes the authorizer's
//!   verb there (`list`, `watch`, `deletecollection` already derived from
//!   the HTTP method and the URL).
//! - An event with an `objectRef` is a resource request: group, resource,
//!   subresource, namespace and name are parsed from `requestURI` the way
//!   `RequestInfoFactory.NewRequestInfo` parses the URL (falling back to
//!   `objectRef` when the URI does not parse). The URI, not `objectRef`, is
//!   authoritative for the name: the audit layer copies the name of a
//!   created object into `objectRef.name`, but a `create` on a collection is
//!   authorized without a name.
//! - `list` and `watch` carry a name only when the `fieldSelector` pins
//!   `metadata.name` to a valid path segment; `deletecollection` never does.
//! - An event without `objectRef` is a non-resource request: the verb is the
//!   lower-cased HTTP method, the path is the URI without its query.
//! - The user is `impersonatedUser` when present (the identity the request
//!   ran as), else `user`; both with the groups the API server adds
//!   ([`Identity::authenticated`]: service-account user names get
//!   `system:serviceaccounts` and `system:serviceaccounts:NS`). The
//!   impersonator is kept: its `impersonate` requests are derived
//!   ([`AuditRequest::impersonation_requests`]).
//! - The log's decision: the `authorization.k8s.io/decision` annotation
//!   (`allow`/`forbid`) when present, else HTTP 403 means denied. A 401 is
//!   an authentication failure (the user is unknown) and is skipped.
//!
//! See: `staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go
//! :: NewRequestInfo`, `staging/src/k8s.io/apiserver/pkg/audit/request.go
//! :: LogRequestObject`, `staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go
//! :: WithImpersonation`, `staging/src/k8s.io/apiserver/pkg/endpoints/filters/authorization.go
//! :: WithAuthorization` (decision annotations).

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Diagnostic, Error, Severity};

/// The most text read from one gzip audit log: a few MB of gzip can expand
/// to many GB (a decompression bomb), so the rest is reported, not read. A
/// larger log loads in full when passed decompressed (its size is then the
/// input's).
pub const MAX_GZIP_TEXT: usize = 128 << 20;
use crate::model::Source;
use crate::request::{
    Identity, Request, SYSTEM_AUTHENTICATED, SYSTEM_SERVICEACCOUNTS, SYSTEM_UNAUTHENTICATED,
    split_service_account,
};

/// What the log says the authorizer decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LogDecision {
    /// Allowed (the request may still have failed later, e.g. 404).
    Allowed,
    /// Forbidden (HTTP 403, or the `forbid` decision annotation).
    Denied,
}

/// One request from the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRequest {
    /// The event's `auditID`.
    pub audit_id: String,
    /// The identity the request ran as (impersonated, if it was).
    pub identity: Identity,
    /// The identity that impersonated it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<Identity>,
    /// Impersonated extra values (`key` → values) and UID, for the
    /// impersonator's `impersonate` requests.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub impersonated_extra: BTreeMap<String, Vec<String>>,
    /// Impersonated UID, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_uid: Option<String>,
    /// The request attributes.
    pub request: Request,
    /// The log's decision.
    pub decision: LogDecision,
    /// The HTTP status code, when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// When the request was received (`requestReceivedTimestamp`, else
    /// `stageTimestamp` or `timestamp`), as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// File and line.
    pub source: Source,
}

impl AuditRequest {
    /// The `impersonate` requests the impersonator must have been allowed for
    /// this request to run as its identity: the user (`users`, or
    /// `serviceaccounts` in its namespace for a service-account user name),
    /// each group, each extra value (`userextras/<key>`) and the UID.
    /// Groups the impersonation filter adds by itself (`system:authenticated`,
    /// `system:unauthenticated`, and a service account's
    /// `system:serviceaccounts[:NS]`) are not asked for: the log cannot tell
    /// them from requested ones, and they are the defaults.
    ///
    /// See: `impersonation.go :: buildImpersonationRequests`
    /// (rbac-semantics.md §7.1).
    pub fn impersonation_requests(&self) -> Vec<Request> {
        if self.impersonator.is_none() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let sa = split_service_account(&self.identity.name);
        match sa {
            Some((ns, name)) => out.push(
                Request::resource("impersonate", "", "serviceaccounts")
                    .in_namespace(ns)
                    .named(name),
            ),
            None => {
                out.push(Request::resource("impersonate", "", "users").named(&self.identity.name))
            }
        }
        let sa_ns_group = sa.map(|(ns, _)| format!("{SYSTEM_SERVICEACCOUNTS}:{ns}"));
        for g in &self.identity.groups {
            let defaulted = g == SYSTEM_AUTHENTICATED
                || g == SYSTEM_UNAUTHENTICATED
                || (sa.is_some()
                    && (g == SYSTEM_SERVICEACCOUNTS || Some(g) == sa_ns_group.as_ref()));
            if !defaulted {
                out.push(Request::resource("impersonate", "", "groups").named(g));
            }
        }
        for (key, values) in &self.impersonated_extra {
            for v in values {
                out.push(
                    Request::resource("impersonate", "authentication.k8s.io", "userextras")
                        .subresource(key.to_lowercase())
                        .named(v),
                );
            }
        }
        if let Some(uid) = &self.impersonated_uid {
            out.push(Request::resource("impersonate", "authentication.k8s.io", "uids").named(uid));
        }
        out
    }
}

/// Counts of what was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditStats {
    /// Non-empty lines read.
    pub lines: usize,
    /// Events read.
    pub events: usize,
    /// Events counted (ResponseComplete or Panic, first of their auditID).
    pub counted: usize,
    /// Events at other stages (RequestReceived, ResponseStarted).
    pub other_stages: usize,
    /// Events of an auditID already counted.
    pub duplicates: usize,
    /// Events of requests that failed authentication (401).
    pub unauthenticated: usize,
    /// Lines that were not audit events.
    pub bad_lines: usize,
}

/// Audit events read from one or more logs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    /// The requests, in log order.
    pub requests: Vec<AuditRequest>,
    /// Counts.
    pub stats: AuditStats,
    /// Lines that could not be used, with file and line.
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip)]
    seen: HashSet<String>,
}

impl AuditLog {
    /// An empty log.
    pub fn new() -> Self {
        AuditLog::default()
    }

    /// Reads a log file (`-` for standard input); gzip is recognised by its
    /// magic bytes.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn load_path(&mut self, path: &Path) -> Result<(), Error> {
        let bytes = crate::load::read_input(path)?;
        self.load_bytes(&path.display().to_string(), &bytes);
        Ok(())
    }

    /// Reads log bytes labelled `label` (plain JSON lines, or gzip of them —
    /// several concatenated gzip members too, as rotated logs are). A gzip
    /// stream that breaks off is reported; the lines before the break are kept.
    pub fn load_bytes(&mut self, label: &str, bytes: &[u8]) {
        if !bytes.starts_with(&[0x1f, 0x8b]) {
            return self.load_str(label, &String::from_utf8_lossy(bytes));
        }
        // Line by line as it decompresses, never the whole text at once, and
        // at most MAX_GZIP_TEXT of it: a few MB of gzip can expand to many GB.
        let file: Arc<str> = Arc::from(label);
        let decoder = flate2::read::MultiGzDecoder::new(bytes).take(MAX_GZIP_TEXT as u64);
        let mut reader = std::io::BufReader::new(decoder);
        let (mut line, mut index, mut read) = (Vec::new(), 0, 0);
        loop {
            line.clear();
            match std::io::BufRead::read_until(&mut reader, b'\n', &mut line) {
                Ok(0) => break,
                Ok(n) => {
                    read += n;
                    if read >= MAX_GZIP_TEXT && !line.ends_with(b"\n") {
                        self.problem(
                            label,
                            0,
                            None,
                            format!(
                                "gzip stream expands beyond {} MiB (a decompression bomb?); \
                                 reading the lines before that (decompress the log to read \
                                 all of it)",
                                MAX_GZIP_TEXT >> 20
                            ),
                        );
                        break;
                    }
                    self.load_line(&file, index, &String::from_utf8_lossy(&line));
                    index += 1;
                }
                Err(e) => {
                    self.problem(
                        label,
                        0,
                        None,
                        format!("gzip stream is corrupt: {e}; reading what came before"),
                    );
                    break;
                }
            }
        }
    }

    /// Reads JSON lines labelled `label`.
    ///
    /// # Example
    /// ```
    /// use rbacgraph::auditlog::{AuditLog, LogDecision};
    /// use rbacgraph::Request;
    /// let mut log = AuditLog::new();
    /// log.load_str("audit.log", r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/web/pods?fieldSelector=metadata.name%3Dapi-0","verb":"list","user":{"username":"jane","groups":["system:authenticated"]},"objectRef":{"resource":"pods","namespace":"web","apiVersion":"v1"},"responseStatus":{"code":200}}"#);
    /// let r = &log.requests[0];
    /// assert_eq!(r.request, Request::resource("list", "", "pods").in_namespace("web").named("api-0"));
    /// assert_eq!(r.decision, LogDecision::Allowed);
    /// ```
    pub fn load_str(&mut self, label: &str, text: &str) {
        let file: Arc<str> = Arc::from(label);
        for (i, line) in text.lines().enumerate() {
            self.load_line(&file, i, line);
        }
    }

    /// Reads line `i` (from 0) of `file`.
    fn load_line(&mut self, file: &Arc<str>, i: usize, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        self.stats.lines += 1;
        let source = Source {
            file: file.clone(),
            document: i,
            item: None,
            line: Some(i + 1),
        };
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                self.bad_line(source, format!("not JSON: {e}"));
                return;
            }
        };
        // An `EventList` (what `kubectl get --raw` of a list gives) holds events in `items`.
        if value.get("kind").and_then(|k| k.as_str()) == Some("EventList") {
            let items = value
                .get("items")
                .and_then(|i| i.as_array())
                .cloned()
                .unwrap_or_default();
            for (j, item) in items.into_iter().enumerate() {
                let source = Source {
                    item: Some(j),
                    ..source.clone()
                };
                self.event(item, source);
            }
        } else {
            self.event(value, source);
        }
    }

    fn problem(&mut self, file: &str, line: usize, field: Option<&str>, message: String) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            source: Source {
                file: Arc::from(file),
                document: line.saturating_sub(1),
                item: None,
                line: (line > 0).then_some(line),
            },
            object: None,
            field: field.map(str::to_string),
            message: crate::error::redact(&message),
        });
    }

    fn bad_line(&mut self, source: Source, message: String) {
        self.stats.bad_lines += 1;
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            source,
            object: None,
            field: None,
            message: crate::error::redact(&message),
        });
    }

    fn event(&mut self, value: serde_json::Value, source: Source) {
        let event: RawEvent = match serde_path_to_error::deserialize(value) {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().to_string();
                self.stats.bad_lines += 1;
                self.diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    source,
                    object: None,
                    field: (path != ".").then_some(path),
                    message: crate::error::redact(&format!("not an audit event: {}", e.inner())),
                });
                return;
            }
        };
        if event.kind.as_deref().is_some_and(|k| k != "Event")
            || event
                .api_version
                .as_deref()
                .is_some_and(|v| !v.starts_with("audit.k8s.io/"))
        {
            self.bad_line(
                source,
                format!(
                    "not an audit event: kind `{}`, apiVersion `{}` (expected `Event`, `audit.k8s.io/v1`)",
                    event.kind.as_deref().unwrap_or(""),
                    event.api_version.as_deref().unwrap_or("")
                ),
            );
            return;
        }
        self.stats.events += 1;
        match event.stage.as_deref() {
            Some("ResponseComplete" | "Panic") => {}
            // Events without a stage (very old logs) are taken as complete.
            None => {}
            Some(_) => {
                self.stats.other_stages += 1;
                return;
            }
        }
        let audit_id = event.audit_id.clone().unwrap_or_default();
        if !audit_id.is_empty() && !self.seen.insert(audit_id.clone()) {
            self.stats.duplicates += 1;
            return;
        }
        let code = event.response_status.as_ref().and_then(|s| s.code);
        if code == Some(401) {
            self.stats.unauthenticated += 1;
            return;
        }
        let Some(user) = event.user.as_ref().filter(|u| !u.username.is_empty()) else {
            self.bad_line(source, "audit event without `user.username`".into());
            return;
        };
        let Some(verb) = event.verb.as_deref().filter(|v| !v.is_empty()) else {
            self.bad_line(source, "audit event without `verb`".into());
            return;
        };
        let request = match request_attributes(
            verb,
            event.request_uri.as_deref().unwrap_or(""),
            event.object_ref.as_ref(),
        ) {
            Ok(r) => r,
            Err(message) => {
                self.bad_line(source, message);
                return;
            }
        };
        let decision = match event
            .annotations
            .get("authorization.k8s.io/decision")
            .map(String::as_str)
        {
            Some("forbid") => LogDecision::Denied,
            Some("allow") => LogDecision::Allowed,
            _ if code == Some(403) => LogDecision::Denied,
            _ => LogDecision::Allowed,
        };
        let requester = Identity::authenticated(user.username.clone(), user.groups.clone());
        let (identity, impersonator, extra, uid) = match event
            .impersonated_user
            .as_ref()
            .filter(|u| !u.username.is_empty())
        {
            Some(imp) => (
                Identity::authenticated(imp.username.clone(), imp.groups.clone()),
                Some(requester),
                imp.extra.clone(),
                imp.uid.clone().filter(|u| !u.is_empty()),
            ),
            None => (requester, None, BTreeMap::new(), None),
        };
        self.stats.counted += 1;
        self.requests.push(AuditRequest {
            audit_id,
            identity,
            impersonator,
            impersonated_extra: extra,
            impersonated_uid: uid,
            request,
            decision,
            code,
            timestamp: event
                .request_received_timestamp
                .or(event.stage_timestamp)
                .or(event.timestamp),
            source,
        });
    }

    /// The first and last timestamp of the counted requests (RFC 3339 text
    /// compares in time order when written in UTC, as the API server does).
    pub fn window(&self) -> Option<(String, String)> {
        let mut stamps = self.requests.iter().filter_map(|r| r.timestamp.as_ref());
        let first = stamps.next()?.clone();
        let (mut lo, mut hi) = (first.clone(), first);
        for s in stamps {
            if *s < lo {
                lo = s.clone();
            }
            if *s > hi {
                hi = s.clone();
            }
        }
        Some((lo, hi))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    kind: Option<String>,
    api_version: Option<String>,
    #[serde(rename = "auditID")]
    audit_id: Option<String>,
    stage: Option<String>,
    #[serde(rename = "requestURI")]
    request_uri: Option<String>,
    verb: Option<String>,
    user: Option<RawUser>,
    impersonated_user: Option<RawUser>,
    object_ref: Option<RawObjectRef>,
    response_status: Option<RawStatus>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    request_received_timestamp: Option<String>,
    stage_timestamp: Option<String>,
    timestamp: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUser {
    #[serde(default)]
    username: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    extra: BTreeMap<String, Vec<String>>,
    uid: Option<String>,
}

/// The `objectRef` of an audit event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawObjectRef {
    /// Resource (plural).
    #[serde(default)]
    pub resource: String,
    /// Subresource.
    #[serde(default)]
    pub subresource: String,
    /// Namespace.
    #[serde(default)]
    pub namespace: String,
    /// Name (for a create, the created object's name: not an authorization
    /// attribute).
    #[serde(default)]
    pub name: String,
    /// API group (`""` or absent for core).
    #[serde(default)]
    pub api_group: String,
}

#[derive(Debug, Deserialize)]
struct RawStatus {
    code: Option<u16>,
}

/// The request attributes of an audit event: `verb`, `requestURI` and
/// `objectRef` as logged (see the module documentation for the rules).
///
/// # Errors
/// A resource request whose URI does not parse and whose `objectRef` names
/// no resource.
///
/// ```
/// use rbacgraph::auditlog::request_attributes;
/// use rbacgraph::Request;
/// // The namespace of a Namespace object addressed by name is its own name.
/// assert_eq!(
///     request_attributes("get", "/api/v1/namespaces/shop", Some(&Default::default())).unwrap(),
///     Request::resource("get", "", "namespaces").named("shop").in_namespace("shop")
/// );
/// assert_eq!(
///     request_attributes("get", "/healthz?verbose=1", None).unwrap(),
///     Request::non_resource("get", "/healthz")
/// );
/// ```
pub fn request_attributes(
    verb: &str,
    request_uri: &str,
    object_ref: Option<&RawObjectRef>,
) -> Result<Request, String> {
    let (path, query) = match request_uri.split_once('?') {
        Some((p, q)) => (p, q),
        None => (request_uri, ""),
    };
    let Some(object_ref) = object_ref else {
        return Ok(Request::non_resource(verb.to_lowercase(), path));
    };
    let parsed = parse_resource_path(path);
    let mut request = match parsed {
        Some(info) => Request::resource(verb, info.group, info.resource)
            .subresource(info.subresource)
            .in_namespace(info.namespace)
            .named(info.name),
        None if !object_ref.resource.is_empty() => {
            // No usable URI: trust objectRef, except for the name of a create
            // on a collection (the audit layer fills it from the object).
            let name = if verb == "create" && object_ref.subresource.is_empty()
                || verb == "deletecollection"
            {
                ""
            } else {
                object_ref.name.as_str()
            };
            Request::resource(verb, &object_ref.api_group, &object_ref.resource)
                .subresource(&object_ref.subresource)
                .in_namespace(&object_ref.namespace)
                .named(name)
        }
        None => {
            return Err(format!(
                "cannot tell the resource of `{verb} {request_uri}`: the URI is not an API path and objectRef names no resource"
            ));
        }
    };
    // list and watch get a name only from a `metadata.name` field selector.
    // See: requestinfo.go :: NewRequestInfo (rbac-semantics.md §1).
    if let Request::Resource(r) = &mut request {
        if (r.verb == "list" || r.verb == "watch")
            && r.name.is_empty()
            && let Some(name) = field_selector_name(query)
        {
            r.name = name;
        }
        if r.verb == "deletecollection" {
            r.name.clear();
        }
    }
    Ok(request)
}

struct PathInfo {
    group: String,
    resource: String,
    subresource: String,
    namespace: String,
    name: String,
}

/// Parses an API path as `NewRequestInfo` does: `/api/VERSION/...` (core)
/// or `/apis/GROUP/VERSION/...`, an optional deprecated `watch`/`proxy`
/// segment, `namespaces/NS/` (unless the next segment is a namespace
/// subresource: `status`, `finalize`), then `RESOURCE[/NAME[/SUBRESOURCE]]`
/// (no subresource after `proxy`). `None` when it is no resource path.
fn parse_resource_path(path: &str) -> Option<PathInfo> {
    let parts: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let mut rest: &[String] = &parts;
    let (group, prefix_len) = match rest.first().map(String::as_str) {
        Some("api") => (String::new(), 1),
        Some("apis") => (rest.get(1)?.clone(), 2),
        _ => return None,
    };
    // prefix, [group], version, resource at least
    rest = rest.get(prefix_len + 1..)?;
    if rest.is_empty() {
        return None;
    }
    let mut no_subresource = false;
    if matches!(rest.first().map(String::as_str), Some("watch" | "proxy")) {
        if rest.len() < 2 {
            return None;
        }
        no_subresource = rest.first().map(String::as_str) == Some("proxy");
        rest = rest.get(1..).unwrap_or_default();
    }
    let mut namespace = String::new();
    if rest.first().map(String::as_str) == Some("namespaces")
        && let Some(ns) = rest.get(1)
    {
        namespace = ns.clone();
        if rest
            .get(2)
            .is_some_and(|s| !matches!(s.as_str(), "status" | "finalize"))
        {
            rest = rest.get(2..).unwrap_or_default();
        }
    }
    let resource = rest.first()?.clone();
    let name = rest.get(1).cloned().unwrap_or_default();
    let subresource = if no_subresource {
        String::new()
    } else {
        rest.get(2).cloned().unwrap_or_default()
    };
    Some(PathInfo {
        group,
        resource,
        subresource,
        namespace,
        name,
    })
}

/// The name a `fieldSelector` query parameter pins with `metadata.name=X`
/// or `metadata.name==X`, when X is a valid path segment name.
///
/// See: `requestinfo.go :: NewRequestInfo` (`RequiresExactMatch("metadata.name")`,
/// `IsValidPathSegmentName`).
fn field_selector_name(query: &str) -> Option<String> {
    let selector = query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (query_decode(k) == "fieldSelector").then(|| query_decode(v))
    })?;
    for term in split_unescaped(&selector, ',') {
        if term.contains("!=") {
            continue;
        }
        let (field, value) = if let Some((f, v)) = term.split_once("==") {
            (f, v)
        } else if let Some((f, v)) = term.split_once('=') {
            (f, v)
        } else {
            continue;
        };
        if field.trim() == "metadata.name" {
            let value = unescape_selector(value.trim());
            let valid = !value.is_empty()
                && value != "."
                && value != ".."
                && !value.contains('/')
                && !value.contains('%');
            return valid.then_some(value);
        }
    }
    None
}

/// Splits at `sep` not preceded by a backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn unescape_selector(s: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    out
}

fn query_decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

fn percent_decode(s: &str) -> String {
    let mut rest = s.as_bytes();
    let mut out = Vec::with_capacity(rest.len());
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%'
            && let Some((hex, after)) = tail.split_at_checked(2)
            && let Some(b) = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            rest = after;
            continue;
        }
        out.push(byte);
        rest = tail;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(verb: &str, uri: &str) -> Request {
        request_attributes(verb, uri, Some(&RawObjectRef::default())).unwrap()
    }

    #[test]
    fn paths_parse_like_new_request_info() {
        assert_eq!(
            attrs("get", "/api/v1/namespaces/web/pods/api-0/log?container=x"),
            Request::resource("get", "", "pods")
                .in_namespace("web")
                .named("api-0")
                .subresource("log")
        );
        assert_eq!(
            attrs("list", "/apis/apps/v1/deployments"),
            Request::resource("list", "apps", "deployments")
        );
        assert_eq!(
            attrs("update", "/api/v1/namespaces/web/status"),
            Request::resource("update", "", "namespaces")
                .in_namespace("web")
                .named("web")
                .subresource("status")
        );
        assert_eq!(
            attrs("watch", "/api/v1/watch/namespaces/web/pods/a"),
            Request::resource("watch", "", "pods")
                .in_namespace("web")
                .named("a")
        );
        assert_eq!(
            attrs("proxy", "/api/v1/proxy/namespaces/web/pods/a/metrics"),
            Request::resource("proxy", "", "pods")
                .in_namespace("web")
                .named("a")
        );
        assert_eq!(
            attrs(
                "create",
                "/api/v1/namespaces/ci/serviceaccounts/builder/token"
            ),
            Request::resource("create", "", "serviceaccounts")
                .in_namespace("ci")
                .named("builder")
                .subresource("token")
        );
    }

    #[test]
    fn list_names_come_only_from_a_metadata_name_field_selector() {
        let uri = "/api/v1/namespaces/web/secrets?fieldSelector=metadata.name%3Dtls&limit=1";
        assert_eq!(
            attrs("list", uri),
            Request::resource("list", "", "secrets")
                .in_namespace("web")
                .named("tls")
        );
        let uri =
            "/api/v1/namespaces/web/secrets?fieldSelector=type%3Dopaque,metadata.name%3D%3Dtls";
        assert_eq!(
            attrs("watch", uri),
            Request::resource("watch", "", "secrets")
                .in_namespace("web")
                .named("tls")
        );
        let uri = "/api/v1/namespaces/web/secrets?fieldSelector=metadata.name!%3Dtls";
        assert_eq!(
            attrs("list", uri),
            Request::resource("list", "", "secrets").in_namespace("web")
        );
        let uri = "/api/v1/namespaces/web/secrets?fieldSelector=metadata.name%3Da%2Fb";
        assert_eq!(
            attrs("list", uri),
            Request::resource("list", "", "secrets").in_namespace("web")
        );
        let uri = "/api/v1/namespaces/web/secrets?fieldSelector=metadata.name%3Dtls";
        assert_eq!(
            attrs("deletecollection", uri),
            Request::resource("deletecollection", "", "secrets").in_namespace("web")
        );
    }

    #[test]
    fn created_object_names_are_not_attributes() {
        let object = RawObjectRef {
            resource: "pods".into(),
            namespace: "web".into(),
            name: "api-0".into(),
            ..RawObjectRef::default()
        };
        assert_eq!(
            request_attributes("create", "/api/v1/namespaces/web/pods", Some(&object)).unwrap(),
            Request::resource("create", "", "pods").in_namespace("web")
        );
        assert_eq!(
            request_attributes("create", "", Some(&object)).unwrap(),
            Request::resource("create", "", "pods").in_namespace("web")
        );
    }

    #[test]
    fn stages_duplicates_and_bad_lines() {
        let mut log = AuditLog::new();
        let event = |id: &str, stage: &str| {
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"{id}","stage":"{stage}","requestURI":"/metrics","verb":"get","user":{{"username":"system:serviceaccount:mon:prom"}},"responseStatus":{{"code":200}}}}"#
            )
        };
        let text = [
            event("a", "RequestReceived"),
            event("a", "ResponseComplete"),
            "{not json".to_string(),
            event("a", "ResponseComplete"),
            event("b", "Panic"),
        ]
        .join("\n");
        log.load_str("t.log", &text);
        assert_eq!(log.requests.len(), 2);
        assert_eq!(log.stats.other_stages, 1);
        assert_eq!(log.stats.duplicates, 1);
        assert_eq!(log.stats.bad_lines, 1);
        assert_eq!(log.diagnostics[0].source.line, Some(3));
        assert_eq!(
            log.requests[0].identity.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:mon",
                "system:authenticated"
            ]
        );
    }
}

//! Reading manifests: files, directories, standard input and strings of
//! multi-document YAML, JSON (one value, concatenated values or an array),
//! `kind: List` and `*List` wrappers.
//!
//! A YAML stream is split into documents before parsing, so a broken
//! document is reported and the next one still loads.

mod raw;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Diagnostic, Error, Severity};
use crate::model::{Object, Source};
use raw::{Envelope, RawObject};

/// What a load did, counted per object. `loaded + skipped + failed` is every
/// object seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadSummary {
    /// Files read.
    pub files: usize,
    /// Documents read (YAML documents or JSON values).
    pub documents: usize,
    /// Objects loaded, by kind.
    pub loaded: BTreeMap<String, usize>,
    /// Objects of kinds rbacgraph does not use, by kind.
    pub skipped: BTreeMap<String, usize>,
    /// Objects or documents that could not be used.
    pub failed: usize,
    /// Objects written with a deprecated apiVersion, by `apiVersion kind`.
    pub deprecated: BTreeMap<String, usize>,
    /// Problems counted (in `failed`, or as warnings) but not listed as
    /// diagnostics, past the first [`MAX_DIAGNOSTICS`].
    #[serde(skip_serializing_if = "is_zero")]
    pub unlisted: usize,
    /// Every object (of any kind, skipped ones too) written with a
    /// pre-release or `extensions/` apiVersion, for upgrade checks.
    #[serde(skip)]
    pub prerelease: Vec<crate::model::VersionedObject>,
}

impl LoadSummary {
    /// Total objects loaded.
    pub fn loaded_total(&self) -> usize {
        self.loaded.values().sum()
    }

    /// Total objects skipped.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// Reads manifests into [`Object`]s, collecting diagnostics.
#[derive(Debug)]
pub struct Loader {
    default_namespace: String,
    objects: Vec<Object>,
    diagnostics: Vec<Diagnostic>,
    summary: LoadSummary,
}

impl Default for Loader {
    fn default() -> Self {
        Loader::new()
    }
}

/// The parts a finished load hands over: objects, diagnostics, summary.
pub type LoadParts = (Vec<Object>, Vec<Diagnostic>, LoadSummary);

impl Loader {
    /// A loader whose default namespace is `default`.
    pub fn new() -> Self {
        Loader {
            default_namespace: "default".to_string(),
            objects: Vec::new(),
            diagnostics: Vec::new(),
            summary: LoadSummary::default(),
        }
    }

    /// The namespace given to namespaced objects that have none, as
    /// `kubectl apply -n` would.
    pub fn set_default_namespace(&mut self, namespace: impl Into<String>) {
        self.default_namespace = namespace.into();
    }

    /// Loads a file, or every `.yaml`/`.yml`/`.json` file under a directory
    /// (recursively, in name order), or standard input for `-`.
    pub fn load_path(&mut self, path: &Path) -> Result<(), Error> {
        for file in manifest_files(path)? {
            let bytes = read_input(&file)?;
            self.load_bytes(&file.display().to_string(), &bytes);
        }
        Ok(())
    }

    /// Loads bytes read from `label` (a file name, `-`, or any label).
    pub fn load_bytes(&mut self, label: &str, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.load_str(label, text),
            Err(_) if !looks_like_json(bytes) => {
                self.summary.files += 1;
                self.load_yaml_bytes(&Arc::from(label), bytes);
            }
            Err(e) => {
                self.summary.files += 1;
                self.summary.failed += 1;
                self.report(Diagnostic {
                    severity: Severity::Error,
                    source: Source {
                        file: Arc::from(label),
                        document: 0,
                        item: None,
                        line: None,
                    },
                    object: None,
                    field: None,
                    message: format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        e.valid_up_to()
                    ),
                });
            }
        }
    }

    /// Loads YAML or JSON text; `label` names it in sources and diagnostics.
    pub fn load_str(&mut self, label: &str, text: &str) {
        self.summary.files += 1;
        let file: Arc<str> = Arc::from(label);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let trimmed = text.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('[')) && self.load_json(&file, text) {
            return;
        }
        self.load_yaml(&file, text);
    }

    /// Adds an object built in code.
    pub fn add(&mut self, object: Object) {
        count(&mut self.summary.loaded, kind_name(&object));
        self.objects.push(object);
    }

    /// Adds a typed k8s-openapi object (Role, Pod, Deployment, …), decoded by
    /// the same code as files so both load identically. `label` names it.
    pub fn add_resource<T>(&mut self, resource: &T, label: &str)
    where
        T: k8s_openapi::Resource + Serialize,
    {
        let source = Source {
            file: Arc::from(label),
            document: self.summary.documents,
            item: None,
            line: None,
        };
        self.summary.documents += 1;
        match serde_json::to_value(resource) {
            Ok(value) => self.decode_value(&value, source),
            Err(e) => self.document_error(&source, format!("cannot convert typed object: {e}")),
        }
    }

    /// Keeps a diagnostic (its message [`crate::error::redact`]ed: no input
    /// value is ever echoed), or past [`MAX_DIAGNOSTICS`] only counts it, so
    /// a stream of a million broken documents cannot take memory out of
    /// proportion to its size ([`Loader::into_parts`] says how many were
    /// not listed).
    fn report(&mut self, mut diagnostic: Diagnostic) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            diagnostic.message = crate::error::redact(&diagnostic.message);
            self.diagnostics.push(diagnostic);
        } else {
            self.summary.unlisted += 1;
        }
    }

    /// The objects (in load order, aggregated ClusterRoles with the rules
    /// their manifests list), the diagnostics and the summary.
    pub fn into_parts(mut self) -> LoadParts {
        if self.summary.unlisted > 0
            && let Some(last) = self.diagnostics.last()
        {
            let source = last.source.clone();
            self.diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                source,
                object: None,
                field: None,
                message: format!(
                    "{} more problem(s) after the first {MAX_DIAGNOSTICS} are counted in the \
                     summary but not listed",
                    self.summary.unlisted
                ),
            });
        }
        (self.objects, self.diagnostics, self.summary)
    }

    /// Loads a JSON stream. Returns `false` (having loaded nothing) when the
    /// first value does not parse, so the caller can try YAML instead.
    fn load_json(&mut self, file: &Arc<str>, text: &str) -> bool {
        // One object or list (what `kubectl get -o json` prints): a single
        // pass finds the items.
        if let Ok(env) = serde_json::from_str::<Envelope<&RawValue>>(text) {
            self.summary.documents += 1;
            let source = Source {
                file: file.clone(),
                document: 0,
                item: None,
                line: Some(line_of(text, leading_ws(text))),
            };
            match env.items {
                Some(items) if is_list_kind(&env.kind) => self.json_items(&items, &source),
                _ => self.decode_json(text, source),
            }
            return true;
        }
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
        let mut document = 0;
        loop {
            let offset = stream.byte_offset();
            match stream.next() {
                None => return true,
                Some(Ok(value)) => {
                    self.summary.documents += 1;
                    let source = Source {
                        file: file.clone(),
                        document,
                        item: None,
                        line: Some(line_of(
                            text,
                            offset + leading_ws(text.get(offset..).unwrap_or_default()),
                        )),
                    };
                    self.json_value(value, source);
                    document += 1;
                }
                Some(Err(e)) => {
                    if document == 0 {
                        return false;
                    }
                    self.summary.documents += 1;
                    self.summary.failed += 1;
                    self.report(Diagnostic {
                        severity: Severity::Error,
                        source: Source {
                            file: file.clone(),
                            document,
                            item: None,
                            line: Some(e.line()),
                        },
                        object: None,
                        field: None,
                        message: format!("invalid JSON: {}", strip_position(&e.to_string())),
                    });
                    return true;
                }
            }
        }
    }

    fn json_value(&mut self, value: &RawValue, source: Source) {
        let text = value.get();
        if text.starts_with('[') {
            match serde_json::from_str::<Vec<&RawValue>>(text) {
                Ok(items) => self.json_items(&items, &source),
                Err(e) => self.document_error(&source, format!("invalid JSON array: {e}")),
            }
            return;
        }
        match serde_json::from_str::<Envelope<&RawValue>>(text) {
            Ok(env) => match env.items {
                Some(items) if is_list_kind(&env.kind) => self.json_items(&items, &source),
                _ => self.decode_json(text, source),
            },
            Err(e) => self.document_error(&source, format!("not a Kubernetes object: {e}")),
        }
    }

    /// Decodes the items of a JSON list, on every core for large lists; the
    /// result is the same as one after the other, in order.
    fn json_items(&mut self, items: &[&RawValue], source: &Source) {
        let decode = |loader: &mut Loader, offset: usize, chunk: &[&RawValue]| {
            for (i, item) in chunk.iter().enumerate() {
                let source = Source {
                    item: Some(offset + i),
                    ..source.clone()
                };
                loader.decode_json(item.get(), source);
            }
        };
        self.in_parallel(items, decode);
    }

    /// Runs `work` over chunks of `items`, on several threads when there is
    /// enough to do, and absorbs the partial loads in order.
    fn in_parallel<T: Sync>(
        &mut self,
        items: &[T],
        work: impl Fn(&mut Loader, usize, &[T]) + Sync,
    ) {
        let partials: Vec<Loader> = crate::parallel::shares(
            items,
            PARALLEL_MIN_ITEMS,
            || self.child(),
            |mut child, offset, part| {
                work(&mut child, offset, part);
                child
            },
        )
        .into_iter()
        .map(|share| {
            share.unwrap_or_else(|lost| {
                // A worker panicked (a bug): say so rather than lose its share silently.
                let mut child = self.child();
                child.summary.failed += lost.len();
                child.report(Diagnostic {
                    severity: Severity::Error,
                    source: Source::inline("loader"),
                    object: None,
                    field: None,
                    message: format!(
                        "internal error while decoding {} items starting at {}; please report it",
                        lost.len(),
                        lost.start
                    ),
                });
                child
            })
        })
        .collect();
        self.objects
            .reserve(partials.iter().map(|p| p.objects.len()).sum());
        for partial in partials {
            self.absorb(partial);
        }
    }

    /// An empty loader with the same settings, for one share of the work.
    fn child(&self) -> Loader {
        let mut child = Loader::new();
        child.default_namespace.clone_from(&self.default_namespace);
        child
    }

    /// Appends a partial load.
    fn absorb(&mut self, other: Loader) {
        self.objects.reserve(other.objects.len());
        self.objects.extend(other.objects);
        self.summary.unlisted += other.summary.unlisted;
        for d in other.diagnostics {
            self.report(d);
        }
        let s = &mut self.summary;
        let o = other.summary;
        s.files += o.files;
        s.documents += o.documents;
        s.failed += o.failed;
        s.prerelease.extend(o.prerelease);
        for (mine, theirs) in [
            (&mut s.loaded, o.loaded),
            (&mut s.skipped, o.skipped),
            (&mut s.deprecated, o.deprecated),
        ] {
            for (k, v) in theirs {
                *mine.entry(k).or_default() += v;
            }
        }
    }

    fn load_yaml(&mut self, file: &Arc<str>, text: &str) {
        let docs = split_yaml(text);
        self.in_parallel(&docs, |loader, offset, chunk| {
            for (i, (line, doc)) in chunk.iter().enumerate() {
                loader.yaml_document(file, offset + i, *line, doc);
            }
        });
    }

    /// Loads a YAML stream that is not all UTF-8: every document that is
    /// text still loads; each of the others is one error. (Marker lines are
    /// ASCII, so the stream splits the same as text would.)
    fn load_yaml_bytes(&mut self, file: &Arc<str>, bytes: &[u8]) {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        for (document, (line, range)) in split_yaml_ranges(bytes).into_iter().enumerate() {
            let doc = bytes.get(range.clone()).unwrap_or_default();
            match std::str::from_utf8(doc) {
                Ok(text) => self.yaml_document(file, document, line, text),
                Err(e) => {
                    self.summary.documents += 1;
                    let valid = doc.get(..e.valid_up_to()).unwrap_or_default();
                    let bad_line = line + valid.iter().filter(|&&b| b == b'\n').count();
                    let source = Source {
                        file: file.clone(),
                        document,
                        item: None,
                        line: Some(bad_line),
                    };
                    self.document_error(
                        &source,
                        format!(
                            "not UTF-8 text (invalid byte at offset {} of the file)",
                            range.start + e.valid_up_to()
                        ),
                    );
                }
            }
        }
    }

    /// Parses and loads document `document` of `file`, which starts at `line`.
    fn yaml_document(&mut self, file: &Arc<str>, document: usize, line: usize, doc: &str) {
        self.summary.documents += 1;
        let source = Source {
            file: file.clone(),
            document,
            item: None,
            line: Some(line),
        };
        if doc.len() > MAX_OBJECT_BYTES {
            return self.large_yaml_document(doc, source);
        }
        let options = yaml_options(doc.len());
        match serde_saphyr::from_str_with_options::<serde_json::Value>(doc, options) {
            Ok(value) => self.yaml_value(value, source),
            Err(e) => self.yaml_error(&e, source),
        }
    }

    /// A YAML document larger than any one object can be: only a `*List`
    /// is read, item by item (each item becomes the loader's lean structs
    /// as soon as it is parsed, so no tree of the whole document is ever
    /// held); anything else is reported without decoding its fields.
    fn large_yaml_document(&mut self, doc: &str, source: Source) {
        let options = yaml_options(doc.len());
        let mut items = self.child();
        let seed = LargeDocument {
            items: &mut items,
            source: &source,
        };
        let parsed = serde_saphyr::with_deserializer_from_str_with_options(doc, options, |d| {
            serde::de::DeserializeSeed::deserialize(seed, d)
        });
        match parsed {
            Ok((kind, _, true)) if is_list_kind(&kind) => self.absorb_items(items),
            Ok((kind, metadata, _)) => {
                let object = describe_undecoded(&kind, metadata.as_ref());
                self.summary.failed += 1;
                self.report(Diagnostic {
                    severity: Severity::Error,
                    source,
                    object: (!object.is_empty()).then_some(object),
                    field: None,
                    message: too_large(doc.len()),
                });
            }
            Err(e) => self.yaml_error(&e, source),
        }
    }

    /// Takes over what a child loader read from the items of one list
    /// document (its document count is not the caller's).
    fn absorb_items(&mut self, mut items: Loader) {
        items.summary.documents = 0;
        items.summary.files = 0;
        self.absorb(items);
    }

    /// Reports a document the YAML parser rejected.
    fn yaml_error(&mut self, e: &serde_saphyr::Error, source: Source) {
        let first_line = source.line.unwrap_or(1);
        let at = e
            .location()
            .map(|l| first_line + (l.line() as usize).saturating_sub(1));
        self.summary.failed += 1;
        self.report(Diagnostic {
            severity: Severity::Error,
            source: Source {
                line: at.or(source.line),
                ..source
            },
            object: None,
            field: None,
            message: format!("invalid YAML: {}", yaml_message(e)),
        });
    }

    fn yaml_value(&mut self, value: serde_json::Value, source: Source) {
        use serde_json::Value;
        match value {
            Value::Null => {}
            Value::Array(items) => self.value_items(items, &source),
            Value::Object(mut map) => {
                let kind = map
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if is_list_kind(&kind)
                    && let Some(Value::Array(items)) = map.remove("items")
                {
                    self.value_items(items, &source);
                    return;
                }
                self.decode_value(&Value::Object(map), source);
            }
            _ => self.document_error(
                &source,
                "not a Kubernetes object (expected a mapping)".into(),
            ),
        }
    }

    fn value_items(&mut self, items: Vec<serde_json::Value>, source: &Source) {
        self.in_parallel(&items, |loader, offset, chunk| {
            for (i, item) in chunk.iter().enumerate() {
                loader.decode_value(
                    item,
                    Source {
                        item: Some(offset + i),
                        ..source.clone()
                    },
                );
            }
        });
    }

    fn document_error(&mut self, source: &Source, message: String) {
        self.summary.failed += 1;
        self.report(Diagnostic {
            severity: Severity::Error,
            source: source.clone(),
            object: None,
            field: None,
            message,
        });
    }

    /// Decodes one JSON object (not a list). The fast path decodes straight
    /// into the lean structs; only a failure pays for locating the field.
    fn decode_json(&mut self, text: &str, source: Source) {
        if text.len() > MAX_OBJECT_BYTES {
            let object = match serde_json::from_str::<Envelope<serde::de::IgnoredAny>>(text) {
                Ok(e) => describe_undecoded(&e.kind, e.metadata.as_ref()),
                Err(_) => String::new(),
            };
            self.summary.failed += 1;
            self.report(Diagnostic {
                severity: Severity::Error,
                source,
                object: (!object.is_empty()).then_some(object),
                field: None,
                message: too_large(text.len()),
            });
            return;
        }
        if let Ok(raw) = serde_json::from_str::<RawObject>(text) {
            return self.accept(raw, source);
        }
        let (kind, object) = match serde_json::from_str::<Envelope<serde::de::IgnoredAny>>(text) {
            Ok(e) => {
                let object = describe_undecoded(&e.kind, e.metadata.as_ref());
                (e.kind, object)
            }
            Err(_) => (String::new(), String::new()),
        };
        if self.known_kind(&kind, &source) {
            let located = serde_path_to_error::deserialize::<_, RawObject>(
                &mut serde_json::Deserializer::from_str(text),
            );
            self.decode_failed(located.err(), object, source);
        }
    }

    /// Decodes one parsed object (not a list).
    fn decode_value(&mut self, value: &serde_json::Value, source: Source) {
        let kind = value
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        if !self.known_kind(kind, &source) {
            let field = |v: Option<&serde_json::Value>, key: &str| {
                v.and_then(|m| m.get(key))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let metadata = value.get("metadata");
            self.note_version(
                &field(Some(value), "apiVersion"),
                kind,
                &field(metadata, "namespace"),
                &field(metadata, "name"),
                &source,
            );
            return;
        }
        match RawObject::deserialize(value) {
            Ok(raw) => self.accept(raw, source),
            Err(_) => {
                let object = describe_undecoded(kind, value.get("metadata"));
                let located = serde_path_to_error::deserialize::<_, RawObject>(value);
                self.decode_failed(located.err(), object, source);
            }
        }
    }

    /// Whether `kind` is one the loader reads; counts it as skipped, or
    /// reports a missing kind, when not.
    fn known_kind(&mut self, kind: &str, source: &Source) -> bool {
        if kind.is_empty() {
            self.summary.failed += 1;
            self.report(Diagnostic {
                severity: Severity::Error,
                source: source.clone(),
                object: None,
                field: Some("kind".into()),
                message: "is missing; not a Kubernetes object".into(),
            });
            return false;
        }
        if raw::accepted_versions(kind).is_none() {
            count(&mut self.summary.skipped, kind);
            return false;
        }
        true
    }

    /// Records an object written with a pre-release apiVersion (cheap for
    /// the rest: one string scan).
    fn note_version(
        &mut self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        source: &Source,
    ) {
        if kind.is_empty() || !crate::model::VersionedObject::is_prerelease(api_version) {
            return;
        }
        self.summary.prerelease.push(crate::model::VersionedObject {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
            name: name.to_string(),
            source: source.clone(),
        });
    }

    /// Reports an object whose fields do not decode.
    fn decode_failed(
        &mut self,
        error: Option<serde_path_to_error::Error<impl std::fmt::Display>>,
        object: String,
        source: Source,
    ) {
        self.summary.failed += 1;
        let (field, message) = match error {
            Some(e) => {
                let field = e.path().to_string();
                // serde_json's position is inside the object, not the file.
                (
                    (field != ".").then_some(field),
                    strip_position(&e.into_inner().to_string()),
                )
            }
            None => (None, "cannot be decoded".to_string()),
        };
        self.report(Diagnostic {
            severity: Severity::Error,
            source,
            object: Some(object),
            field,
            message,
        });
    }

    /// Validates and converts a decoded object of any kind.
    fn accept(&mut self, raw: RawObject, source: Source) {
        let kind = raw.kind.clone();
        self.note_version(
            &raw.api_version,
            &kind,
            &raw.metadata.namespace,
            &raw.metadata.name,
            &source,
        );
        if !self.known_kind(&kind, &source) {
            return;
        }
        let Some(versions) = raw::accepted_versions(&kind) else {
            return;
        };
        let object_name = describe_object(&kind, &raw.metadata.namespace, &raw.metadata.name);
        let api_version = raw.api_version.clone();
        if !versions.contains(&api_version.as_str()) {
            self.summary.failed += 1;
            self.report(Diagnostic {
                severity: Severity::Error,
                source,
                object: Some(object_name),
                field: Some("apiVersion".into()),
                message: format!(
                    "unknown apiVersion `{api_version}` for kind {kind}; expected {}",
                    versions.join(" or ")
                ),
            });
            return;
        }
        let deprecated = versions.first() != Some(&api_version.as_str());
        let (object, problems) = raw::convert(raw, source.clone(), &self.default_namespace);
        let object_name = object.as_ref().map(Object::describe).unwrap_or(object_name);
        for p in problems {
            self.report(Diagnostic {
                severity: if p.keep {
                    Severity::Warning
                } else {
                    Severity::Error
                },
                source: source.clone(),
                object: Some(object_name.clone()),
                field: Some(p.field),
                message: p.message,
            });
        }
        match object {
            Some(object) => {
                if deprecated {
                    *self
                        .summary
                        .deprecated
                        .entry(format!("{api_version} {kind}"))
                        .or_default() += 1;
                    self.report(Diagnostic {
                        severity: Severity::Warning,
                        source,
                        object: Some(object_name),
                        field: Some("apiVersion".into()),
                        message: format!(
                            "`{api_version}` is deprecated or removed; current is `{}`",
                            versions.first().copied().unwrap_or_default()
                        ),
                    });
                }
                self.add(object);
            }
            None => self.summary.failed += 1,
        }
    }
}

/// Adds one to a per-kind count (allocating the key only the first time).
fn count(counts: &mut BTreeMap<String, usize>, kind: &str) {
    match counts.get_mut(kind) {
        Some(n) => *n += 1,
        None => {
            counts.insert(kind.to_string(), 1);
        }
    }
}

/// Reads a large YAML document (see [`Loader::large_yaml_document`]):
/// `kind` and `metadata` are kept, every item of `items` is loaded into
/// `items` as soon as it is parsed, other fields are skipped unread.
/// Returns the kind, the metadata and whether there were items.
struct LargeDocument<'a> {
    items: &'a mut Loader,
    source: &'a Source,
}

impl<'de> serde::de::DeserializeSeed<'de> for LargeDocument<'_> {
    type Value = (String, Option<serde_json::Value>, bool);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for LargeDocument<'_> {
    type Value = (String, Option<serde_json::Value>, bool);

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a mapping (a Kubernetes object or list)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut metadata, mut had_items) = (String::new(), None, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "kind" => kind = map.next_value::<Option<String>>()?.unwrap_or_default(),
                "metadata" => metadata = map.next_value()?,
                "items" => {
                    had_items = true;
                    map.next_value_seed(ListItems {
                        items: &mut *self.items,
                        source: self.source,
                    })?;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok((kind, metadata, had_items))
    }
}

/// The `items` of a large YAML list, each loaded as it is parsed.
struct ListItems<'a> {
    items: &'a mut Loader,
    source: &'a Source,
}

impl<'de> serde::de::DeserializeSeed<'de> for ListItems<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ListItems<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence of objects")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(item) = seq.next_element::<raw::YamlItem>()? {
            let source = Source {
                item: Some(i),
                ..self.source.clone()
            };
            match item {
                raw::YamlItem::Decoded(raw) => self.items.accept(*raw, source),
                raw::YamlItem::Undecoded(value) => self.items.decode_value(&value, source),
                raw::YamlItem::Oversized => {
                    self.items.summary.failed += 1;
                    self.items.report(Diagnostic {
                        severity: Severity::Error,
                        source,
                        object: None,
                        field: None,
                        message: format!(
                            "has more than {} nodes; no Kubernetes object is that large (the \
                             API server's request limit is 3 MiB), so it is not loaded",
                            raw::MAX_ITEM_NODES
                        ),
                    });
                }
            }
            i += 1;
        }
        Ok(())
    }
}

/// The most diagnostics one load lists; later problems are only counted
/// ([`LoadSummary::unlisted`]).
pub const MAX_DIAGNOSTICS: usize = 100_000;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The largest one object (a YAML document or JSON value that is not a
/// list, or one item of a list) the loader decodes. The API server refuses
/// request bodies over 3 MiB and etcd stores values of at most 1.5 MiB by
/// default, so no object of a real cluster comes near it, even as indented
/// YAML; a bigger one is reported, never decoded, which bounds the memory a
/// hostile document can take.
///
/// See: `k8s.io/apiserver/pkg/server/config.go :: MaxRequestBodyBytes`
/// (3 MiB) and etcd's `--max-request-bytes` (1.5 MiB).
pub const MAX_OBJECT_BYTES: usize = 4 << 20;

/// The message for an object over [`MAX_OBJECT_BYTES`].
fn too_large(len: usize) -> String {
    format!(
        "is {:.1} MiB; no Kubernetes object is larger than {} MiB (the API server's \
         request limit is 3 MiB), so it is not loaded",
        len as f64 / f64::from(1 << 20),
        MAX_OBJECT_BYTES >> 20
    )
}

/// Below this many items or documents, one thread does the work.
const PARALLEL_MIN_ITEMS: usize = 256;

/// `Kind ns/name`, `Kind name`, or `Kind` alone when the name is missing.
fn describe_object(kind: &str, namespace: &str, name: &str) -> String {
    if name.is_empty() {
        return kind.to_string();
    }
    crate::model::describe(kind, (!namespace.is_empty()).then_some(namespace), name)
}

/// [`describe_object`] for an object not decoded yet, from its `metadata`.
fn describe_undecoded(kind: &str, metadata: Option<&serde_json::Value>) -> String {
    let field = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    };
    describe_object(kind, field("namespace"), field("name"))
}

/// `List`, `RoleList`, `ClusterRoleBindingList`, …
fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

fn kind_name(object: &Object) -> &str {
    match object {
        Object::Role(r) => r.kind.as_str(),
        Object::Binding(b) => b.kind.as_str(),
        Object::ServiceAccount(_) => "ServiceAccount",
        Object::Workload(w) => w.kind.as_str(),
        Object::Node(_) => "Node",
        Object::Namespace(_) => "Namespace",
        Object::CustomResource(_) => "CustomResourceDefinition",
        Object::Secret(_) => "Secret",
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The files `-f PATH` stands for: the path itself for a file or `-`
/// (standard input); for a directory every `.yaml`, `.yml` and `.json` file
/// below it, recursively, in name order.
///
/// # Errors
/// The path (or a directory below it) cannot be read.
pub fn manifest_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    if path.as_os_str() == "-" {
        return Ok(vec![path.to_path_buf()]);
    }
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    collect_files(path, &mut files).map_err(|e| io_error(path, &e))?;
    files.sort();
    Ok(files)
}

/// Reads one file of [`manifest_files`] (`-` is standard input).
///
/// # Errors
/// The file cannot be read.
pub fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| io_error(path, &e))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|e| io_error(path, &e))
    }
}

/// Collects manifest files under `dir`. Symbolic links to directories are
/// not followed (a link cycle would never end); links to files are read.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(&path, out)?;
        } else if path.is_file()
            && matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The manifest of one document, or one item of a list, of a file's text,
/// numbered as the loader numbers them ([`Source::document`],
/// [`Source::item`]): what tools that rewrite loaded objects start from
/// (`rbacgraph audit --fix ID -o yaml`).
///
/// # Errors
/// The document or item does not exist, or does not parse.
///
/// ```
/// use rbacgraph::load::manifest_at;
/// let text = "kind: A\n---\nkind: List\nitems: [{kind: B}, {kind: C}]\n";
/// assert_eq!(manifest_at(text, 0, None).unwrap()["kind"], "A");
/// assert_eq!(manifest_at(text, 1, Some(1)).unwrap()["kind"], "C");
/// assert!(manifest_at(text, 2, None).is_err());
/// ```
pub fn manifest_at(
    text: &str,
    document: usize,
    item: Option<usize>,
) -> Result<serde_json::Value, Error> {
    let missing = |what: &str| Error::Invalid {
        what: "manifest",
        value: format!(
            "document {document}{}",
            item.map(|i| format!(", item {i}")).unwrap_or_default()
        ),
        reason: what.to_string(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    let mut value = None;
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
        let first = stream.next();
        if let Some(Ok(first)) = first {
            let mut values = vec![first];
            values.extend(stream.map_while(Result::ok));
            value = Some(
                values
                    .into_iter()
                    .nth(document)
                    .ok_or_else(|| missing("no such document"))?,
            );
        }
    }
    let value = match value {
        Some(v) => v,
        None => {
            let docs = split_yaml(text);
            let (_, doc) = docs
                .get(document)
                .ok_or_else(|| missing("no such document"))?;
            serde_saphyr::from_str::<serde_json::Value>(doc)
                .map_err(|e| missing(&format!("invalid YAML: {e}")))?
        }
    };
    match item {
        None => Ok(value),
        Some(i) => {
            let items = match &value {
                serde_json::Value::Array(items) => Some(items),
                serde_json::Value::Object(m) => m.get("items").and_then(|x| x.as_array()),
                _ => None,
            };
            items
                .and_then(|items| items.get(i))
                .cloned()
                .ok_or_else(|| missing("no such item"))
        }
    }
}

/// Splits a YAML stream into `(first line, document text)` at `---` and
/// `...` marker lines. YAML forbids a marker at the start of a line inside
/// any scalar, so this split is exact. Documents holding only comments,
/// blank lines or directives are dropped.
pub(crate) fn split_yaml(text: &str) -> Vec<(usize, &str)> {
    split_yaml_ranges(text.as_bytes())
        .into_iter()
        .filter_map(|(line, range)| Some((line, text.get(range)?)))
        .collect()
}

/// [`split_yaml`] on bytes: `(first line, byte range)` of each document.
/// Every boundary is at the start of a line, so on UTF-8 text every range
/// is on character boundaries.
fn split_yaml_ranges(bytes: &[u8]) -> Vec<(usize, Range<usize>)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
        let is_marker = |m: &[u8]| {
            bare.strip_prefix(m)
                .is_some_and(|rest| matches!(rest.first(), None | Some(b' ' | b'\t')))
        };
        if is_marker(b"---") {
            push_doc(&mut docs, bytes, start_line, start..offset);
            start = offset;
            start_line = i + 1;
        } else if is_marker(b"...") {
            push_doc(&mut docs, bytes, start_line, start..offset);
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    push_doc(&mut docs, bytes, start_line, start..bytes.len());
    docs
}

fn push_doc(docs: &mut Vec<(usize, Range<usize>)>, bytes: &[u8], line: usize, range: Range<usize>) {
    // On bytes, not a lossy copy: a document of binary garbage would grow
    // threefold as text.
    let doc = bytes.get(range.clone()).unwrap_or_default();
    let has_content = doc.split(|&b| b == b'\n').any(|l| {
        let t = l.trim_ascii();
        !(t.is_empty() || t.starts_with(b"#") || t.starts_with(b"%") || t == b"---")
    });
    if has_content {
        docs.push((line, range));
    }
}

/// Whether bytes (not necessarily text) start like JSON: `{` or `[` after
/// an optional byte-order mark and whitespace.
fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    matches!(bytes.trim_ascii_start().first(), Some(b'{' | b'['))
}

/// Parser limits sized to the document: generous for real manifests, tight
/// against alias bombs and deep nesting.
pub(crate) fn yaml_options(len: usize) -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.emit_comments = false;
    // Snippets would echo document text (possibly Secret data) into messages.
    options.with_snippet = false;
    if let Some(budget) = options.budget.as_mut() {
        budget.max_events = budget.max_events.max(len.saturating_mul(2));
        budget.max_nodes = budget.max_nodes.max(len.saturating_mul(2));
        budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len.saturating_mul(2));
    }
    options
}

/// The parser's message without any echo of the input.
pub(crate) fn yaml_message(e: &serde_saphyr::Error) -> String {
    let msg = e.to_string();
    // The parser's budgets (see `yaml_options`) stop alias bombs and deep
    // nesting; its message names a Rust type, so say what it means.
    let breach = match e {
        serde_saphyr::Error::Budget { breach, .. } => Some(format!("{breach:?}")),
        _ => msg
            .lines()
            .next()
            .and_then(|l| l.trim().strip_prefix("budget breached: "))
            .map(str::to_string),
    };
    if let Some(breach) = breach {
        return if breach.starts_with("Depth") {
            "nested too deeply (more than 64 levels)".to_string()
        } else if breach.starts_with("Aliases") || breach.starts_with("Anchors") {
            "too many anchors or aliases".to_string()
        } else {
            "aliases expand the document to more than twice its size (an alias bomb?)".to_string()
        };
    }
    let first = msg.lines().next().unwrap_or("syntax error").trim();
    let first = strip_position(first);
    // Drop advice addressed to users of the parser library, not of rbacgraph.
    match first.find(", set DuplicateKeyPolicy") {
        Some(i) => first.get(..i).unwrap_or(&first).to_string(),
        None => first,
    }
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .get(..offset)
        .unwrap_or(text.as_bytes())
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_lines_and_drops_empty_documents() {
        let text = "# c\n---\na: 1\n---\n# only comment\n---\nb: 2\n...\n";
        let docs = split_yaml(text);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].0, 2);
        assert!(docs[0].1.contains("a: 1"));
        assert_eq!(docs[1].0, 6);
    }

    #[test]
    fn marker_needs_line_start_and_separator() {
        let text = "a: |\n  ---\n  x\nb: ---x\n";
        assert_eq!(split_yaml(text).len(), 1);
    }

    #[test]
    fn byte_split_matches_text_split_and_isolates_bad_bytes() {
        let text = "a: 1\n---\n# only comment\n---\r\nb: 2\n...\nc: 3\n";
        let docs: Vec<(usize, &str)> = split_yaml(text);
        assert_eq!(docs, [(1, "a: 1\n"), (4, "---\r\nb: 2\n"), (7, "c: 3\n")]);
        let bytes = b"a: 1\n---\nb: \xff\n---\nc: 3\n";
        let docs = split_yaml_ranges(bytes);
        let lines: Vec<usize> = docs.iter().map(|d| d.0).collect();
        assert_eq!(lines, [1, 2, 4]);
        assert_eq!(&bytes[docs[1].1.clone()], b"---\nb: \xff\n");
        assert!(looks_like_json(b"\xEF\xBB\xBF \n[\xff]") && !looks_like_json(b"a: [\xff]"));
    }
}

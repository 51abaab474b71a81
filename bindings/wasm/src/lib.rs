//! rbacgraph for JavaScript: the whole RBAC engine as WebAssembly.
//!
//! One class, `RbacGraph`, built with `RbacGraph.fromYaml(text)`,
//! `RbacGraph.fromJson(text)` or `RbacGraph.load(files)`; its methods answer
//! with the same documents `rbacgraph -o json` prints (`apiVersion:
//! rbacgraph/v1`, camelCase), as plain JavaScript objects. Everything that
//! can fail returns a tagged result, `{ok: true, value}` or `{ok: false,
//! error}`, whose error is data (`kind`, `message`, the `field` at fault,
//! and for input problems the file, document and diagnostics); nothing
//! throws. The TypeScript declarations are in `types.d.ts`.
//!
//! This file only moves values across the boundary; the operations are in
//! [`api`] and [`view`], over the core's public API.

pub mod api;
pub mod error;
pub mod view;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::error::ApiError;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// A loaded cluster (`RbacGraph` in JavaScript).
#[wasm_bindgen(js_name = RbacGraph)]
#[derive(Debug)]
pub struct Graph {
    inner: rbacgraph::RbacGraph,
}

/// The crate version.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The escalation techniques paths can use: `{id, title}` each.
#[wasm_bindgen(unchecked_return_type = "TechniqueInfo[]")]
pub fn techniques() -> JsValue {
    to_js(&api::techniques())
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

static LAST_PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// The message of the last internal error (a panic), or `""`. A panic
/// aborts the call with a `RuntimeError` and leaves the module unusable:
/// load it again (the explorer restarts its worker).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> String {
    LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default()
}

/// Records panics (the module is built with `panic = "abort"`, so the call
/// then traps) where JavaScript can read them.
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("rbacgraph internal error: {info}");
        console_error(&message);
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = message;
        }
    }));
}

fn set(target: &js_sys::Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), value);
}

/// A value as a plain object (maps as objects, not `Map`s).
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    match value.serialize(&serializer) {
        Ok(v) => v,
        Err(e) => {
            let out = js_sys::Object::new();
            set(&out, "kind", &JsValue::from_str("other"));
            set(&out, "message", &JsValue::from_str(&e.to_string()));
            out.into()
        }
    }
}

fn ok_value(value: JsValue) -> JsValue {
    let out = js_sys::Object::new();
    set(&out, "ok", &JsValue::TRUE);
    set(&out, "value", &value);
    out.into()
}

fn err_value(error: &ApiError) -> JsValue {
    let out = js_sys::Object::new();
    set(&out, "ok", &JsValue::FALSE);
    set(&out, "error", &to_js(error));
    out.into()
}

fn result<T: Serialize>(r: Result<T, ApiError>) -> JsValue {
    match r {
        Ok(v) => ok_value(to_js(&v)),
        Err(e) => err_value(&e),
    }
}

/// Reads a query object, naming the field at fault when it has the wrong
/// shape. The object goes through `serde_json::Value` first because
/// serde-wasm-bindgen reads only the fields a struct declares, so a
/// misspelt field (`namespce`) would be silently ignored.
fn input<T: DeserializeOwned>(value: JsValue) -> Result<T, ApiError> {
    let json: serde_json::Value =
        serde_wasm_bindgen::from_value(value).map_err(|e| ApiError::Query {
            message: format!("invalid query: {e}"),
            field: None,
        })?;
    Ok(serde_path_to_error::deserialize(json)?)
}

#[wasm_bindgen]
extern "C" {
    /// `LoadOptions`, optional in TypeScript.
    #[wasm_bindgen(typescript_type = "LoadOptions")]
    #[derive(Debug)]
    pub type LoadOptionsArg;
}

fn options(value: Option<LoadOptionsArg>) -> Result<api::LoadOptions, ApiError> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => input(v.into()),
        _ => Ok(api::LoadOptions::default()),
    }
}

fn graph_result(r: Result<rbacgraph::RbacGraph, ApiError>) -> JsValue {
    match r {
        Ok(inner) => ok_value(Graph { inner }.into()),
        Err(e) => err_value(&e),
    }
}

fn from_text(text: String, options: Option<LoadOptionsArg>, default_name: &str) -> JsValue {
    graph_result(self::options(options).and_then(|o| {
        let name = o.name.clone().unwrap_or_else(|| default_name.to_string());
        api::load(&[api::ManifestFile { name, text }], &o)
    }))
}

impl Graph {
    fn check_with(&self, query: JsValue, changed: Option<&Graph>) -> JsValue {
        let checked = input(query).and_then(|q: api::CheckInput| {
            let report = api::check(&self.inner, &q, changed.map(|g| &g.inner))?;
            Ok((q.format, report))
        });
        match checked {
            Ok((api::CheckFormat::Json, report)) => ok_value(to_js(&report.to_document())),
            Ok((api::CheckFormat::Junit, report)) => {
                ok_value(JsValue::from_str(&report.to_junit()))
            }
            Ok((api::CheckFormat::Sarif, report)) => ok_value(to_js(&report.to_sarif())),
            Err(e) => err_value(&e),
        }
    }
}

#[wasm_bindgen(js_class = RbacGraph)]
impl Graph {
    /// Loads YAML (one or many documents, `List`s) or JSON text.
    #[wasm_bindgen(js_name = fromYaml, unchecked_return_type = "Result<RbacGraph>")]
    pub fn from_yaml(text: String, options: Option<LoadOptionsArg>) -> JsValue {
        from_text(text, options, "input.yaml")
    }

    /// Loads JSON text (`kubectl get -o json` output, one object, an array or
    /// concatenated values). The same loader as `fromYaml`; only the default
    /// name differs.
    #[wasm_bindgen(js_name = fromJson, unchecked_return_type = "Result<RbacGraph>")]
    pub fn from_json(text: String, options: Option<LoadOptionsArg>) -> JsValue {
        from_text(text, options, "input.json")
    }

    /// Loads several files, in order.
    #[wasm_bindgen(unchecked_return_type = "Result<RbacGraph>")]
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "ManifestFile[]")] files: JsValue,
        options: Option<LoadOptionsArg>,
    ) -> JsValue {
        graph_result(self::options(options).and_then(|o| {
            let files: Vec<api::ManifestFile> = input(files)?;
            api::load(&files, &o)
        }))
    }

    /// Who may make a request (`rbacgraph who-can -o json`).
    #[wasm_bindgen(js_name = whoCan, unchecked_return_type = "Result<WhoCanDocument>")]
    pub fn who_can(
        &self,
        #[wasm_bindgen(unchecked_param_type = "WhoCanQuery")] query: JsValue,
    ) -> JsValue {
        result(input(query).and_then(|q| api::who_can(&self.inner, &q)))
    }

    /// May this identity make this request, and why (`rbacgraph can-i -o json`).
    #[wasm_bindgen(js_name = canI, unchecked_return_type = "Result<AccessDecisionDocument>")]
    pub fn can_i(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CanIQuery")] query: JsValue,
    ) -> JsValue {
        result(input(query).and_then(|q| api::can_i(&self.inner, &q)))
    }

    /// Every rule that applies to an identity in a namespace
    /// (`rbacgraph can-i --list -o json`).
    #[wasm_bindgen(js_name = rulesFor, unchecked_return_type = "Result<RulesReviewDocument>")]
    pub fn rules_for(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RulesForQuery")] query: JsValue,
    ) -> JsValue {
        result(input(query).map(|q| api::rules_for(&self.inner, &q)))
    }

    /// Escalation paths (`rbacgraph paths -o json`).
    #[wasm_bindgen(unchecked_return_type = "Result<EscalationPathsDocument>")]
    pub fn paths(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PathsQuery")] query: JsValue,
    ) -> JsValue {
        result(input(query).and_then(|q| api::paths(&self.inner, &q)))
    }

    /// The hardening audit (`rbacgraph audit -o json`); `{}` for the defaults.
    #[wasm_bindgen(unchecked_return_type = "Result<AuditReportDocument>")]
    pub fn audit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AuditQuery")] query: JsValue,
    ) -> JsValue {
        result(input(query).and_then(|q| api::audit(&self.inner, &q)))
    }

    /// Policies evaluated on this cluster (`rbacgraph check`), as the
    /// `format` of the query asks: the `-o json` document (default), JUnit
    /// XML or a SARIF log. Typed in `types.d.ts` (the answer's type
    /// follows `format`).
    #[wasm_bindgen(skip_typescript)]
    pub fn check(&self, query: JsValue) -> JsValue {
        self.check_with(query, None)
    }

    /// The same policies on a changed snapshot, each violation marked
    /// `introduced` unless this cluster has it too, and what the change
    /// removes listed (`rbacgraph -f THIS check --against CHANGED`).
    #[wasm_bindgen(js_name = checkAgainst, skip_typescript)]
    pub fn check_against(&self, changed: &Graph, query: JsValue) -> JsValue {
        self.check_with(query, Some(changed))
    }

    /// What was loaded and every diagnostic (`rbacgraph summary -o json`).
    #[wasm_bindgen(unchecked_return_type = "SummaryDocument")]
    pub fn summary(&self) -> JsValue {
        to_js(&api::summary(&self.inner))
    }

    /// Graph counts.
    #[wasm_bindgen(unchecked_return_type = "GraphStats")]
    pub fn stats(&self) -> JsValue {
        to_js(&api::stats(&self.inner))
    }

    /// Every subject that can match someone, sorted.
    #[wasm_bindgen(unchecked_return_type = "SubjectRef[]")]
    pub fn subjects(&self) -> JsValue {
        to_js(&api::subjects(&self.inner))
    }

    /// Every namespace seen, sorted.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn namespaces(&self) -> JsValue {
        to_js(&api::namespaces(&self.inner))
    }

    /// Known resource types: built-ins and loaded CRDs.
    #[wasm_bindgen(js_name = resourceTypes, unchecked_return_type = "ResourceType[]")]
    pub fn resource_types(&self) -> JsValue {
        to_js(api::resource_types(&self.inner))
    }

    /// Which verbs an identity may use on every resource type in a namespace.
    #[wasm_bindgen(js_name = accessMatrix, unchecked_return_type = "Result<AccessMatrix>")]
    pub fn access_matrix(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AccessMatrixQuery")] query: JsValue,
    ) -> JsValue {
        result(input(query).map(|q| api::access_matrix(&self.inner, &q)))
    }

    /// A role's effective rules (what answers' `ruleIndex` points at).
    #[wasm_bindgen(unchecked_return_type = "Result<RoleInfo>")]
    pub fn role(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RoleQuery")] query: JsValue,
    ) -> JsValue {
        result(input(query).and_then(|q| api::role(&self.inner, &q)))
    }

    /// The neighbourhood of one node, for drawing.
    #[wasm_bindgen(js_name = graphView, unchecked_return_type = "Result<GraphView>")]
    pub fn graph_view(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GraphViewFilter")] filter: JsValue,
    ) -> JsValue {
        result(input(filter).and_then(|q| view::graph_view(&self.inner, &q)))
    }

    /// Subjects, roles and bindings whose id contains `text`, best first.
    #[wasm_bindgen(js_name = findNodes, unchecked_return_type = "FoundNode[]")]
    pub fn find_nodes(&self, text: &str, limit: Option<u32>) -> JsValue {
        to_js(&view::find_nodes(
            &self.inner,
            text,
            limit.unwrap_or(20) as usize,
        ))
    }
}

//! `rbacgraph._rbacgraph`: the native half of the Python package `rbacgraph`.
//!
//! Thin by design: every method is one call into the core crate, and every
//! answer crosses as the core's serde DTO (the body of the CLI's `-o json`
//! document, camelCase), turned into Python dicts and lists by `pythonize`.
//! The pure-Python layer (`python/rbacgraph/`) wraps those dicts in typed
//! result classes. Identities are built as the CLI builds `--as`/`--as-group`
//! ([`Identity::authenticated`]) and TARGET strings are parsed by the same
//! function ([`rbacgraph::target::parse`]). Errors map to Python exceptions in
//! one place, `errors.rs`.

mod errors;

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;

use rbacgraph::auditlog::AuditLog;
use rbacgraph::query::audit::{Audit, IgnoreRules, KubeVersion};
use rbacgraph::query::check::{Check, CheckReport, PolicySet, PolicySource};
use rbacgraph::query::diff::DiffOptions;
use rbacgraph::query::paths::export::ExportGraph;
use rbacgraph::query::paths::{AttackGraph, PathOptions, PathsReport, Target};
use rbacgraph::query::usage::UsageOptions;
use rbacgraph::target::{self, Namespaces};
use rbacgraph::{Identity, RbacGraph, Technique, WhoCanQuery};

use errors::BindingError;

type Answer<'py> = Result<Bound<'py, PyAny>, BindingError>;

/// The core's DTO as Python dicts, lists, strings, numbers and `None`.
fn to_python<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> Answer<'py> {
    Ok(pythonize::pythonize(py, value)?)
}

/// One policy argument of `Graph.check`, as the Python layer classified it
/// (`("path", "", PATH)`, `("text", LABEL, TEXT)`, `("document", LABEL, DICT)`).
fn policy_source(
    kind: &str,
    label: String,
    value: &Bound<'_, PyAny>,
) -> Result<PolicySource, BindingError> {
    Ok(match kind {
        "path" => PolicySource::Path(value.extract()?),
        "text" => PolicySource::Text {
            label,
            text: value.extract()?,
        },
        "document" => PolicySource::Document {
            label,
            value: pythonize::depythonize(value)?,
        },
        other => {
            return Err(PyValueError::new_err(format!("unknown policy input `{other}`")).into());
        }
    })
}

/// An analysed cluster (the core's `RbacGraph`); immutable once built.
#[pyclass(frozen, module = "rbacgraph._rbacgraph")]
#[derive(Debug)]
struct NativeGraph {
    graph: RbacGraph,
}

impl NativeGraph {
    fn attack_graph(&self, assume_legacy_tokens: bool, eks: bool) -> AttackGraph<'_> {
        AttackGraph::builder(&self.graph)
            .assume_legacy_tokens(assume_legacy_tokens)
            .eks(eks)
            .build()
    }
}

#[pymethods]
impl NativeGraph {
    /// Loads files and directories (recursively: `.yaml`, `.yml`, `.json`),
    /// as `rbacgraph -f PATH...` does.
    #[staticmethod]
    fn load(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        default_namespace: String,
        strict: bool,
    ) -> Result<Self, BindingError> {
        let graph = py.detach(move || {
            paths
                .iter()
                .fold(
                    RbacGraph::builder()
                        .default_namespace(default_namespace)
                        .strict(strict),
                    |builder, path| builder.load_path(path),
                )
                .build()
        })?;
        Ok(NativeGraph { graph })
    }

    /// Loads YAML or JSON text; `label` names it in sources and diagnostics.
    #[staticmethod]
    fn from_text(
        py: Python<'_>,
        label: String,
        text: String,
        default_namespace: String,
        strict: bool,
    ) -> Result<Self, BindingError> {
        let graph = py.detach(move || {
            RbacGraph::builder()
                .default_namespace(default_namespace)
                .strict(strict)
                .load_str(&label, &text)
                .build()
        })?;
        Ok(NativeGraph { graph })
    }

    /// Every problem found while loading and building (`Diagnostic` DTOs).
    fn diagnostics<'py>(&self, py: Python<'py>) -> Answer<'py> {
        to_python(py, self.graph.diagnostics())
    }

    /// Load counts, graph counts and diagnostics (the `Summary` document body).
    fn summary<'py>(&self, py: Python<'py>) -> Answer<'py> {
        to_python(py, &self.graph.summary())
    }

    /// `rbacgraph can-i VERB TARGET --as USER --as-group G... -n NS`: the
    /// `AccessDecision` body.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per CLI flag, passed straight through"
    )]
    fn can_i<'py>(
        &self,
        py: Python<'py>,
        user: String,
        groups: Vec<String>,
        verb: &str,
        target: &str,
        subresource: Option<&str>,
        namespace: &str,
    ) -> Answer<'py> {
        let identity = Identity::authenticated(user, groups);
        let parsed = target::parse(
            &self.graph,
            verb,
            target,
            subresource,
            Namespaces::One(namespace),
        )?;
        to_python(py, &self.graph.authorize(&identity, &parsed.request))
    }

    /// `rbacgraph who-can VERB TARGET [-n NS | -A] [--expand]`: the `WhoCan` body.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per CLI flag, passed straight through"
    )]
    fn who_can<'py>(
        &self,
        py: Python<'py>,
        verb: &str,
        target: &str,
        subresource: Option<&str>,
        namespace: &str,
        all_namespaces: bool,
        expand: bool,
    ) -> Answer<'py> {
        let namespaces = if all_namespaces {
            Namespaces::All
        } else {
            Namespaces::One(namespace)
        };
        let parsed = target::parse(&self.graph, verb, target, subresource, namespaces)?;
        let query = WhoCanQuery::new(parsed.request)
            .all_namespaces(parsed.all_namespaces)
            .expand(expand);
        to_python(py, &self.graph.who_can(&query))
    }

    /// `rbacgraph can-i --list --as USER -n NS`: the `RulesReview` body.
    fn rules_for<'py>(
        &self,
        py: Python<'py>,
        user: String,
        groups: Vec<String>,
        namespace: &str,
    ) -> Answer<'py> {
        let identity = Identity::authenticated(user, groups);
        to_python(py, &self.graph.rules_for(&identity, namespace).to_review())
    }

    /// `rbacgraph paths --as USER --to TARGET`: shortest paths, at most
    /// `limit` of them (all when `None`); the `EscalationPaths` body.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per CLI flag, passed straight through"
    )]
    fn paths<'py>(
        &self,
        py: Python<'py>,
        user: String,
        groups: Vec<String>,
        to: &str,
        max_depth: usize,
        limit: Option<usize>,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> Answer<'py> {
        let target = Target::parse(to)?;
        let identity = Identity::authenticated(user, groups);
        let attack = self.attack_graph(assume_legacy_tokens, eks);
        let paths = attack
            .paths(&identity, &target, max_depth)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        to_python(py, &PathsReport { paths })
    }

    /// `rbacgraph paths --all --to TARGET`: one shortest path per principal
    /// that reaches the target.
    fn who_reaches<'py>(
        &self,
        py: Python<'py>,
        to: &str,
        max_depth: usize,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> Answer<'py> {
        let target = Target::parse(to)?;
        let attack = self.attack_graph(assume_legacy_tokens, eks);
        let paths = attack.who_reaches(&target, max_depth);
        to_python(py, &PathsReport { paths })
    }

    /// `rbacgraph paths --as USER --blast-radius`: one shortest path to
    /// everything the identity reaches.
    fn blast_radius<'py>(
        &self,
        py: Python<'py>,
        user: String,
        groups: Vec<String>,
        max_depth: usize,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> Answer<'py> {
        let identity = Identity::authenticated(user, groups);
        let attack = self.attack_graph(assume_legacy_tokens, eks);
        let paths = attack.blast_radius(&identity, max_depth);
        to_python(py, &PathsReport { paths })
    }

    /// `rbacgraph export -o json [--around OBJECT --depth N]`: the
    /// `PermissionGraph` body (nodes and typed edges).
    fn export<'py>(
        &self,
        py: Python<'py>,
        around: Option<&str>,
        depth: usize,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> Answer<'py> {
        let attack = self.attack_graph(assume_legacy_tokens, eks);
        let mut export = ExportGraph::new(&attack);
        if let Some(spec) = around {
            export = export.around(spec, depth)?;
        }
        to_python(py, &export)
    }

    /// `rbacgraph -f OLD diff --against NEW`: the `PermissionDiff` body
    /// (this graph is the old snapshot).
    fn diff<'py>(
        &self,
        py: Python<'py>,
        new: &NativeGraph,
        escalation_paths: bool,
        max_depth: usize,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> Answer<'py> {
        let options = DiffOptions {
            escalation_paths,
            max_depth,
            path_options: PathOptions {
                assume_legacy_tokens,
                eks,
            },
        };
        let diff = py.detach(|| self.graph.diff(&new.graph, &options));
        to_python(py, &diff)
    }

    /// `rbacgraph audit`: the `AuditReport` body (fixes in rank order, the
    /// evidence they refer to). `ignore` is the text of an ignore file
    /// (YAML), `target_version` `1.NN`; `findings` adds every finding, control
    /// by control (`--by control`).
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per CLI flag, passed straight through"
    )]
    #[pyo3(signature = (target_version, ignore, paths, max_depth, assume_legacy_tokens, eks, findings))]
    fn audit<'py>(
        &self,
        py: Python<'py>,
        target_version: Option<String>,
        ignore: Option<String>,
        paths: bool,
        max_depth: usize,
        assume_legacy_tokens: bool,
        eks: bool,
        findings: bool,
    ) -> Answer<'py> {
        let target = target_version
            .as_deref()
            .map(str::parse::<KubeVersion>)
            .transpose()?;
        let ignore = match ignore.as_deref() {
            Some(text) => IgnoreRules::from_yaml(text)?,
            None => IgnoreRules::default(),
        };
        let report = py.detach(|| {
            let mut audit = Audit::builder(&self.graph)
                .ignore(ignore)
                .paths(paths)
                .findings(findings)
                .max_depth(max_depth)
                .path_options(PathOptions {
                    assume_legacy_tokens,
                    eks,
                });
            if let Some(v) = target {
                audit = audit.target_version(v);
            }
            audit.run()
        });
        to_python(py, &report)
    }

    /// `rbacgraph check --policy P... [--against NEW]`: the `CheckReport`
    /// body, its JUnit XML and its SARIF log (JSON text). With `against`
    /// (the changed snapshot), the policies are evaluated on it and compared
    /// with this graph's report (`changed.against(&current)`), as the CLI
    /// does.
    fn check<'py>(
        &self,
        py: Python<'py>,
        policies: Vec<(String, String, Bound<'py, PyAny>)>,
        against: Option<&NativeGraph>,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> Result<(Bound<'py, PyAny>, String, String), BindingError> {
        let inputs = policies
            .iter()
            .map(|(kind, label, value)| policy_source(kind, label.clone(), value))
            .collect::<Result<Vec<_>, _>>()?;
        let options = PathOptions {
            assume_legacy_tokens,
            eks,
        };
        let changed = against.map(|g| &g.graph);
        let report = py.detach(|| -> Result<CheckReport, rbacgraph::Error> {
            let set = PolicySet::read(inputs)?;
            let run =
                |graph: &RbacGraph| Check::new(graph, &set).path_options(options.clone()).run();
            let current = run(&self.graph)?;
            Ok(match changed {
                Some(graph) => run(graph)?.against(&current),
                None => current,
            })
        })?;
        // SARIF as JSON text, parsed by Python only when asked for.
        let sarif = serde_json::to_string(&report.to_sarif())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok((to_python(py, &report)?, report.to_junit(), sarif))
    }

    /// `rbacgraph usage AUDIT_LOG...`: the `UsageReport` body and the audit
    /// log's diagnostics (lines that could not be used); with `strict`, any
    /// such line is an error, as a strict manifest load is.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per CLI flag, passed straight through"
    )]
    fn usage<'py>(
        &self,
        py: Python<'py>,
        audit_logs: Vec<PathBuf>,
        users: Vec<String>,
        include_denied: bool,
        expand_verbs: bool,
        name_prefix: String,
        strict: bool,
    ) -> Result<(Bound<'py, PyAny>, Bound<'py, PyAny>), BindingError> {
        let options = UsageOptions {
            users,
            include_denied,
            expand_verbs,
            name_prefix,
        };
        let (report, diagnostics) = py.detach(|| {
            let mut log = AuditLog::new();
            for path in &audit_logs {
                log.load_path(path)?;
            }
            if strict && !log.diagnostics.is_empty() {
                return Err(rbacgraph::Error::Strict(log.diagnostics));
            }
            Ok((self.graph.usage(&log, &options), log.diagnostics))
        })?;
        Ok((to_python(py, &report)?, to_python(py, &diagnostics)?))
    }
}

/// The escalation techniques: id → title, in catalog order.
#[pyfunction]
fn techniques(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    for t in Technique::ALL {
        out.set_item(t.id(), t.title())?;
    }
    Ok(out)
}

#[pymodule]
fn _rbacgraph(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeGraph>()?;
    m.add_function(wrap_pyfunction!(techniques, m)?)?;
    Ok(())
}

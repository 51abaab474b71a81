//! The one place where the core's errors become Python exceptions.
//!
//! The exception classes live in `rbacgraph/errors.py` (typed attributes,
//! docstrings, picklable); this module only picks the class and fills its
//! attributes from the core's [`rbacgraph::Error`]:
//!
//! | core error | Python exception |
//! |---|---|
//! | `Strict` (every error diagnostic of a strict load) | `LoadError` located at the first one, all in `.diagnostics` |
//! | `Io` (a path cannot be read) | `LoadError` with `.file` |
//! | `UnknownResource` | `UnknownResourceError` (a `QueryError`) with `.suggestions` |
//! | `Invalid` (a target, verb or path target that does not parse) | `QueryError` with `.what` and `.value` |
//! | `Policy` (every problem of a check policy) | `PolicyError` located at the first one, all in `.problems` |
//! | anything newer | `RbacGraphError` |

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// An error on its way to Python: the core's, or one Python already raised
/// (a conversion failure).
#[derive(Debug)]
pub enum BindingError {
    /// From the core.
    Core(rbacgraph::Error),
    /// Already a Python exception.
    Python(PyErr),
}

impl From<rbacgraph::Error> for BindingError {
    fn from(e: rbacgraph::Error) -> Self {
        BindingError::Core(e)
    }
}

impl From<PyErr> for BindingError {
    fn from(e: PyErr) -> Self {
        BindingError::Python(e)
    }
}

impl From<pythonize::PythonizeError> for BindingError {
    fn from(e: pythonize::PythonizeError) -> Self {
        BindingError::Python(e.into())
    }
}

impl From<BindingError> for PyErr {
    fn from(e: BindingError) -> PyErr {
        match e {
            BindingError::Python(e) => e,
            BindingError::Core(e) => Python::attach(|py| {
                // If the exception classes cannot be built, say so rather
                // than lose the original message.
                core_to_python(py, &e).unwrap_or_else(|import_error| {
                    PyRuntimeError::new_err(format!("{e} (and {import_error})"))
                })
            }),
        }
    }
}

fn core_to_python(py: Python<'_>, e: &rbacgraph::Error) -> PyResult<PyErr> {
    let errors = py.import("rbacgraph.errors")?;
    let kwargs = PyDict::new(py);
    let class = match e {
        rbacgraph::Error::Strict(diagnostics) => {
            if let Some(first) = diagnostics.first() {
                kwargs.set_item("file", first.source.file.as_ref())?;
                kwargs.set_item("document", first.source.document)?;
                kwargs.set_item("line", first.source.line)?;
                kwargs.set_item("object", first.object.as_deref())?;
                kwargs.set_item("field", first.field.as_deref())?;
            }
            kwargs.set_item("diagnostics", pythonize::pythonize(py, diagnostics)?)?;
            "LoadError"
        }
        rbacgraph::Error::Policy(problems) => {
            if let Some(first) = problems.first() {
                kwargs.set_item("file", first.source.file.as_ref())?;
                kwargs.set_item("document", first.source.document)?;
                kwargs.set_item("line", first.source.line)?;
                kwargs.set_item("object", first.object.as_deref())?;
                kwargs.set_item("field", first.field.as_deref())?;
            }
            let list = PyList::empty(py);
            for p in problems {
                let problem = PyDict::new(py);
                problem.set_item("file", p.source.file.as_ref())?;
                problem.set_item("document", p.source.document)?;
                problem.set_item("line", p.source.line)?;
                problem.set_item("object", p.object.as_deref())?;
                problem.set_item("field", p.field.as_deref())?;
                problem.set_item("message", &p.message)?;
                list.append(problem)?;
            }
            kwargs.set_item("problems", list)?;
            "PolicyError"
        }
        rbacgraph::Error::Io { path, .. } => {
            kwargs.set_item("file", path)?;
            "LoadError"
        }
        rbacgraph::Error::UnknownResource { name, suggestions } => {
            kwargs.set_item("what", "resource")?;
            kwargs.set_item("value", name)?;
            kwargs.set_item("suggestions", suggestions)?;
            "UnknownResourceError"
        }
        rbacgraph::Error::Invalid { what, value, .. } => {
            kwargs.set_item("what", *what)?;
            kwargs.set_item("value", value)?;
            "QueryError"
        }
        _ => "RbacGraphError",
    };
    let exception = errors
        .getattr(class)?
        .call((e.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(exception))
}

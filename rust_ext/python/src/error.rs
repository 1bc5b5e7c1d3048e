//! Errors as Python sees them: a `ValueError` with the message, naming the file where one is
//! involved.

use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

pub fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `path: error`, the one-line form every reader error takes.
pub fn file_error(path: &std::path::Path, e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{}: {e}", path.display()))
}

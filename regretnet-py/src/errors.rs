//! Errors across the boundary: bad input (a config, a flag's value, an array, a run directory
//! or checkpoint) raises `ValueError` with the CLI's message; a failure of the computation or
//! the file system raises `RuntimeError`; a Rust panic is caught and raised as `RuntimeError`
//! instead of unwinding into the interpreter.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;
use regretnet_train::core::ConfigError;
use regretnet_train::nets::NetsError;
use regretnet_train::TrainError;

/// A library error as the Python exception that says whose fault it is.
pub fn to_py(e: TrainError) -> PyErr {
    let message = chain(&e);
    if e.is_input_error() {
        PyValueError::new_err(message)
    } else {
        PyRuntimeError::new_err(message)
    }
}

/// A config error: always the caller's input.
pub fn config_err(e: ConfigError) -> PyErr {
    PyValueError::new_err(chain(&e))
}

/// A network error: a tensor failure is a `RuntimeError`, the rest (shapes, checkpoints) the
/// caller's input.
pub fn nets_err(e: NetsError) -> PyErr {
    match e {
        NetsError::Candle(_) => PyRuntimeError::new_err(chain(&e)),
        other => PyValueError::new_err(chain(&other)),
    }
}

/// The error and its causes in one line, each cause once (as the CLI prints them).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    regretnet_train::error::one_line(e)
}

/// `ValueError` with `message`.
pub fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// Run `f`, turning a panic into a `RuntimeError` that says where it came from.
pub fn guard<T>(f: impl FnOnce() -> pyo3::PyResult<T>) -> pyo3::PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            Err(PyRuntimeError::new_err(format!(
                "internal error in regretnet (a Rust panic: {what}); please report it"
            )))
        }
    }
}

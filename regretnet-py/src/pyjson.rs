//! JSON values as Python objects: the library's reports (`eval --json`, `train --json`,
//! `baseline --json`) cross as their JSON text and are read by Python's `json` module, so a
//! dict from Python holds exactly what the CLI prints.

use pyo3::prelude::*;

/// `value` as Python dicts, lists, floats, ints, strings, bools and `None`.
pub fn to_python<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .call_method1("loads", (value.to_string(),))
}

//! A named protocol (`"default"` from the run's `[eval]` section, or `"paper"`) with keyword
//! overrides: the same [`ProtocolOverrides`] as `regretnet eval`'s flags, so the same values are
//! refused with the same messages and the overridden protocol gets the same name.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use regretnet_train::core::{ConfigError, EvalConfig};
use regretnet_train::eval::ProtocolOverrides;
use regretnet_train::Protocol;

use crate::errors::value_error;

/// The keywords a protocol takes (the `eval` flags' names with `_` for `-`).
pub const KEYWORDS: [&str; 15] = [
    "restarts",
    "steps",
    "samples",
    "regret_samples",
    "grid",
    "coordinate_grid",
    "pair_samples",
    "reference_samples",
    "reference_restarts",
    "reference_steps",
    "certify",
    "tol",
    "budget",
    "certify_samples",
    "symmetrize",
];

fn count(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
    if v.is_none() {
        return Ok(None);
    }
    if v.is_instance_of::<pyo3::types::PyBool>() {
        return Err(value_error(format!(
            "{key} must be a whole number, not a bool"
        )));
    }
    v.extract::<u64>()
        .map(Some)
        .map_err(|_| value_error(format!("{key} must be a whole number >= 0, not {v}")))
}

/// `name` (`default` or `paper`) with the overrides in `kwargs`; a `ValueError` naming an
/// unknown keyword or a value out of range.
pub fn protocol_of(
    name: &str,
    eval: &EvalConfig,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Protocol> {
    let base = match name {
        "default" => Protocol::from_config("default", eval),
        "paper" => Protocol::paper(),
        other => {
            return Err(value_error(format!(
                "protocol must be \"default\" or \"paper\", not {other:?}"
            )))
        }
    };
    let mut o = ProtocolOverrides::default();
    if let Some(d) = kwargs {
        for (k, v) in d.iter() {
            let key: String = k.extract()?;
            match key.as_str() {
                "restarts" => o.restarts = count(&key, &v)?,
                "steps" => o.steps = count(&key, &v)?,
                "samples" => o.samples = count(&key, &v)?,
                "regret_samples" => o.regret_samples = count(&key, &v)?,
                "grid" => o.grid = count(&key, &v)?,
                "coordinate_grid" => o.coordinate_grid = count(&key, &v)?,
                "pair_samples" => o.pair_samples = count(&key, &v)?,
                "reference_samples" => o.reference_samples = count(&key, &v)?,
                "reference_restarts" => o.reference_restarts = count(&key, &v)?,
                "reference_steps" => o.reference_steps = count(&key, &v)?,
                "budget" => o.budget = count(&key, &v)?,
                "certify_samples" => o.certify_samples = count(&key, &v)?,
                "certify" => o.certify = v.extract::<Option<bool>>()?,
                "symmetrize" => o.symmetrize = v.extract::<Option<bool>>()?,
                "tol" => o.tol = v.extract::<Option<f64>>()?,
                _ => {
                    return Err(value_error(format!(
                        "unknown protocol keyword {key:?}; known: {}",
                        KEYWORDS.join(", ")
                    )))
                }
            }
        }
    }
    o.apply(&base).map_err(|e| match e {
        ConfigError::Invalid { field, reason, .. } => value_error(format!("{field}: {reason}")),
        other => crate::errors::config_err(other),
    })
}

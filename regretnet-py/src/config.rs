//! `regretnet.presets()`, `regretnet.config(...)` and the `Config` class: a run's
//! configuration, built from a preset or a TOML file with keyword overrides, validated with the
//! CLI's messages.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use regretnet_train::core::presets::{self as preset_lib, DEFAULT_PRESET};
use regretnet_train::core::{Config, MenuKind, NetKind};
use regretnet_train::tools::listing::presets_json;

use crate::errors::{config_err, guard, value_error};
use crate::pyjson;

/// A run's configuration (the `config.toml` a run directory holds).
#[pyclass(name = "Config", module = "regretnet", frozen)]
#[derive(Debug, Clone)]
pub struct PyConfig {
    pub(crate) inner: Config,
}

#[pymethods]
impl PyConfig {
    /// The setting's name.
    #[getter]
    fn setting(&self) -> String {
        self.inner.setting.name.clone()
    }

    /// Bidders.
    #[getter]
    fn bidders(&self) -> usize {
        self.inner.setting.bidders
    }

    /// Items.
    #[getter]
    fn items(&self) -> usize {
        self.inner.setting.items
    }

    /// The architecture (`regretnet`, `rochetnet`, `myersonnet`, `ama`).
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.net.kind.name()
    }

    /// Training iterations.
    #[getter]
    fn iterations(&self) -> u64 {
        self.inner.train.iterations
    }

    /// The config as TOML text (what `config.toml` of a run holds).
    fn to_toml(&self) -> String {
        self.inner.to_toml_string()
    }

    /// The config as nested dicts, one per section.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = serde_json::to_value(&self.inner)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        pyjson::to_python(py, &value)
    }

    /// A copy with keyword overrides applied (as `regretnet.config` takes them).
    #[pyo3(signature = (**overrides))]
    fn replace(&self, overrides: Option<&Bound<'_, PyDict>>) -> PyResult<PyConfig> {
        guard(|| apply(self.inner.clone(), overrides))
    }

    /// Write the config as TOML to `path`.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        std::fs::write(&path, self.inner.to_toml_string())
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display())))
    }

    fn __repr__(&self) -> String {
        format!(
            "Config(setting={:?}, kind={:?}, iterations={})",
            self.inner.setting.name,
            self.inner.net.kind.name(),
            self.inner.train.iterations
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyConfig>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }
}

/// A Python value as the TOML value a config file would hold.
fn toml_value(key: &str, v: &Bound<'_, PyAny>) -> PyResult<toml::Value> {
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(v.extract().map_err(|_| {
            value_error(format!("{key}: {v} does not fit a 64-bit integer"))
        })?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(v.extract()?));
    }
    if let Ok(p) = v.extract::<PathBuf>() {
        return Ok(toml::Value::String(p.display().to_string()));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: PyResult<Vec<toml::Value>> =
            v.try_iter()?.map(|x| toml_value(key, &x?)).collect();
        return Ok(toml::Value::Array(items?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, x) in d.iter() {
            t.insert(k.extract::<String>()?, toml_value(key, &x)?);
        }
        return Ok(toml::Value::Table(t));
    }
    // numpy scalars and other number-likes.
    if let Ok(i) = v.call_method0("__index__").and_then(|i| i.extract::<i64>()) {
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(f) = v.call_method0("__float__").and_then(|f| f.extract::<f64>()) {
        return Ok(toml::Value::Float(f));
    }
    Err(value_error(format!(
        "{key}: {} is not a config value (a number, bool, string, list or dict)",
        v.get_type().name()?
    )))
}

/// `config` with the keyword overrides applied and validated.
pub(crate) fn apply(config: Config, overrides: Option<&Bound<'_, PyDict>>) -> PyResult<PyConfig> {
    let mut pairs: Vec<(String, toml::Value)> = Vec::new();
    if let Some(d) = overrides {
        for (k, v) in d.iter() {
            let key: String = k.extract()?;
            if v.is_none() {
                continue;
            }
            pairs.push((key.clone(), toml_value(&key, &v)?));
        }
    }
    let inner = config
        .with_overrides(pairs.iter().map(|(k, v)| (k.as_str(), v.clone())))
        .map_err(config_err)?;
    Ok(PyConfig { inner })
}

/// Every preset as a dict: `name`, `description`, `optimal_revenue`, `best_baseline` and
/// `paper_regretnet` (what `regretnet presets --json` prints).
#[pyfunction]
pub fn presets(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    pyjson::to_python(py, &presets_json())
}

/// `name` read as the config file reads `net.kind` or `net.menu` (so a new kind needs no
/// list here); a `ValueError` naming `key` and the known names otherwise.
fn kind_of<T: serde::de::DeserializeOwned>(key: &str, name: &str) -> PyResult<T> {
    toml::Value::String(name.into())
        .try_into()
        .map_err(|e: toml::de::Error| value_error(format!("{key}: {}", e.to_string().trim())))
}

/// A config: `path` (a TOML file) or a preset (`preset`, default the default 1x2), then the
/// keyword overrides. A preset with `net="ama"` (and `menu=`) takes that architecture's
/// hyperparameters, as `regretnet train --preset P --net ama` does.
#[pyfunction]
#[pyo3(signature = (path = None, *, preset = None, **overrides))]
pub fn config(
    path: Option<PathBuf>,
    preset: Option<String>,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyConfig> {
    guard(|| {
        let get = |key: &str| -> PyResult<Option<String>> {
            match overrides.map(|d| d.get_item(key)).transpose()?.flatten() {
                Some(v) if !v.is_none() => {
                    Ok(Some(v.extract::<String>().map_err(|_| {
                        value_error(format!("{key} must be a string"))
                    })?))
                }
                _ => Ok(None),
            }
        };
        let base = match (path, preset) {
            (Some(_), Some(_)) => {
                return Err(value_error("give a config file or a preset, not both"))
            }
            (Some(p), None) => Config::load(&p).map_err(config_err)?,
            (None, preset) => {
                let name = preset.unwrap_or_else(|| DEFAULT_PRESET.to_string());
                let kind = get("net")?
                    .map(|k| kind_of::<NetKind>("net", &k))
                    .transpose()?;
                let menu = get("menu")?
                    .map(|m| kind_of::<MenuKind>("menu", &m))
                    .transpose()?;
                match (kind, menu) {
                    (Some(NetKind::Ama), Some(menu)) => preset_lib::preset_with_menu(&name, menu),
                    (kind, _) => preset_lib::preset_with_net(&name, kind.unwrap_or_default()),
                }
                .map_err(config_err)?
            }
        };
        let mut config = apply(base, overrides)?.inner;
        config.regretnet_version = Some(env!("CARGO_PKG_VERSION").to_string());
        Ok(PyConfig { inner: config })
    })
}

/// A `Config`, a preset's name or a TOML file's path, as a config.
pub fn config_of(obj: &Bound<'_, PyAny>) -> PyResult<Config> {
    if let Ok(c) = obj.cast::<PyConfig>() {
        return Ok(c.get().inner.clone());
    }
    if let Ok(name) = obj.extract::<String>() {
        if preset_lib::PRESETS.iter().any(|p| p.name == name) || !name.ends_with(".toml") {
            return preset_lib::preset(&name).map_err(config_err);
        }
        return Config::load(name.as_ref()).map_err(config_err);
    }
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Config::load(&p).map_err(config_err);
    }
    Err(value_error(
        "expected a regretnet.Config, a preset's name or a config file's path",
    ))
}

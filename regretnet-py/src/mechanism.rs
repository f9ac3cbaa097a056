//! `regretnet.load(path)` and the `Mechanism` class: a trained network of any kind, queried
//! on numpy arrays (outcomes, utilities), audited (regret with every estimate) and certified
//! (a proven bound where a bidder reports at most 2 values).

use std::path::{Path, PathBuf};

use numpy::PyArrayMethods;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use regretnet_train::core::{Config, ConfigError, EvalConfig, Setting};
use regretnet_train::eval::steps::{audited_regret, certified_regret, check_profiles};
use regretnet_train::nets::checkpoint::load_model;
use regretnet_train::nets::Model;
use regretnet_train::{RunDir, TrainError};
use serde_json::json;

use crate::arrays::{owned, Profiles};
use crate::config::PyConfig;
use crate::errors::{config_err, guard, nets_err, to_py, value_error};
use crate::protocol::protocol_of;
use crate::pyjson;

/// A trained mechanism: RegretNet, RochetNet, MyersonNet or an affine maximizer.
#[pyclass(name = "Mechanism", module = "regretnet", frozen)]
#[derive(Debug)]
pub struct PyMechanism {
    model: Model,
    setting: Setting,
    config: Option<Config>,
    path: PathBuf,
}

/// The worker threads of an audit or evaluation: `threads`, or the machine's parallelism.
pub(crate) fn threads_of(threads: Option<usize>) -> PyResult<usize> {
    match threads {
        Some(0) => Err(value_error("threads must be at least 1")),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

impl PyMechanism {
    /// The run's config, when known.
    pub(crate) fn run_config(&self) -> Option<Config> {
        self.config.clone()
    }

    fn eval_config(&self) -> EvalConfig {
        self.config
            .as_ref()
            .map(|c| c.eval.clone())
            .unwrap_or_default()
    }

    /// Profiles of this mechanism's shape, checked against the prior's support.
    fn read<'py>(&self, obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Profiles<'py>> {
        let p = Profiles::read(obj, what, self.setting.bidders, self.model.type_len())?;
        check_profiles(&self.setting, p.as_slice()?).map_err(|e| match e {
            TrainError::Config(ConfigError::Invalid { reason, .. }) => {
                value_error(format!("{what}: {reason}"))
            }
            other => to_py(other),
        })?;
        Ok(p)
    }
}

#[pymethods]
impl PyMechanism {
    /// The setting: `name`, `bidders`, `items`, `type_len` (values each bidder reports) and
    /// `valuation`.
    #[getter]
    fn setting<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = &self.setting;
        pyjson::to_python(
            py,
            &json!({
                "name": s.name,
                "bidders": s.bidders,
                "items": s.items,
                "type_len": s.type_len(),
                "valuation": s.valuation.name(),
            }),
        )
    }

    /// The architecture: `regretnet`, `rochetnet`, `myersonnet` or `ama`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.model.kind().name()
    }

    /// The checkpoint it was loaded from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The run's config, when the mechanism came from a run directory.
    #[getter]
    fn config(&self) -> Option<PyConfig> {
        self.config.clone().map(|inner| PyConfig { inner })
    }

    /// Allocations `(batch, n, d)` and payments `(batch, n)` at the reported profiles `bids`
    /// `(batch, n, d)`.
    fn outcome<'py>(
        &self,
        py: Python<'py>,
        bids: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        guard(|| {
            let p = Profiles::read(bids, "bids", self.setting.bidders, self.model.type_len())?;
            let slice = p.as_slice()?;
            let (alloc, pay) = py
                .detach(|| self.model.outcome_of(slice))
                .map_err(nets_err)?;
            let (b, n, d) = (p.batch(), self.setting.bidders, self.model.type_len());
            Ok((
                owned(py, alloc, &[b, n, d])?.into_any(),
                owned(py, pay, &[b, n])?.into_any(),
            ))
        })
    }

    /// Each bidder's utility `(batch, n)` with true `values` at the outcome of `bids` (both
    /// `(batch, n, d)`): `sum_j a_ij v_ij - p_i`.
    fn utility<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyAny>,
        bids: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let (n, d) = (self.setting.bidders, self.model.type_len());
            let v = Profiles::read(values, "values", n, d)?;
            let b = Profiles::read(bids, "bids", n, d)?;
            if v.batch() != b.batch() {
                return Err(value_error(format!(
                    "values hold {} profiles and bids {}: give one true profile per report",
                    v.batch(),
                    b.batch()
                )));
            }
            let (vs, bs) = (v.as_slice()?, b.as_slice()?);
            let u = py
                .detach(|| self.model.utility_of(vs, bs))
                .map_err(nets_err)?;
            Ok(owned(py, u, &[b.batch(), n])?.into_any())
        })
    }

    /// The audited regret at `profiles` (true values, `(batch, n, d)`) under `protocol`
    /// (`"default"`: the run's `[eval]`; `"paper"`) with `eval`'s overrides as keywords: a dict
    /// with `audited` `(batch, n)` (the largest estimate), `mean`, `best_misreport`
    /// `(batch, n, d)` (bidder i's report that gained the most, the others truthful), and
    /// `estimates` (name to `(k, n)` array, the gradient search first; the pairwise grids and
    /// the reference search cover only the first profiles).
    #[pyo3(signature = (profiles, protocol = "default", *, threads = None, **overrides))]
    fn regret<'py>(
        &self,
        py: Python<'py>,
        profiles: &Bound<'py, PyAny>,
        protocol: &str,
        threads: Option<usize>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let protocol = protocol_of(protocol, &self.eval_config(), overrides)?;
            let threads = threads_of(threads)?;
            let p = self.read(profiles, "profiles")?;
            let slice = p.as_slice()?;
            let r = py
                .detach(|| audited_regret(&self.model, &self.setting, slice, &protocol, threads))
                .map_err(to_py)?;
            let (b, n, d) = (r.samples, r.bidders, self.model.type_len());
            let out = PyDict::new(py);
            out.set_item("mean", r.mean())?;
            out.set_item("protocol", protocol.name.clone())?;
            let estimates = PyDict::new(py);
            for e in &r.estimates {
                let k = e.regret.len() / n.max(1);
                estimates.set_item(&e.name, owned(py, e.regret.clone(), &[k, n])?)?;
            }
            out.set_item("audited", owned(py, r.audited, &[b, n])?)?;
            out.set_item("best_misreport", owned(py, r.best_misreport, &[b, n, d])?)?;
            out.set_item("estimates", estimates)?;
            Ok(out.into_any())
        })
    }

    /// A proven upper bound on the regret at `profiles` `(batch, n, d)` (branch and bound over
    /// boxes of misreports; bidders who report at most 2 values): a dict with `upper` and
    /// `lower` `(batch, n)` (the bound and the best misreport's regret), `reached` (whether
    /// `upper - lower <= tol`) and `boxes`. The gradient search of `protocol` seeds it.
    #[pyo3(signature = (profiles, *, tol = None, budget = None, protocol = "default", threads = None))]
    fn certify<'py>(
        &self,
        py: Python<'py>,
        profiles: &Bound<'py, PyAny>,
        tol: Option<f64>,
        budget: Option<u64>,
        protocol: &str,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let d = self.model.type_len();
            if d > 2 {
                return Err(value_error(format!(
                    "certify needs bidders who report at most 2 values; this mechanism's \
                     report {d} (use regret(), whose audits cover any size)"
                )));
            }
            let p = self.read(profiles, "profiles")?;
            let slice = p.as_slice()?;
            let kw = PyDict::new(py);
            kw.set_item("certify", true)?;
            if let Some(t) = tol {
                kw.set_item("tol", t)?;
            }
            if let Some(b) = budget {
                kw.set_item("budget", b)?;
            }
            let protocol = protocol_of(protocol, &self.eval_config(), Some(&kw))?;
            let threads = threads_of(threads)?;
            let cert = py
                .detach(|| certified_regret(&self.model, &self.setting, slice, &protocol, threads))
                .map_err(to_py)?;
            let n = self.setting.bidders;
            let b = cert.upper.len() / n.max(1);
            let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
            let out = PyDict::new(py);
            out.set_item("upper", owned(py, f32s(&cert.upper), &[b, n])?)?;
            out.set_item("lower", owned(py, f32s(&cert.lower), &[b, n])?)?;
            out.set_item(
                "reached",
                numpy::PyArray1::from_vec(py, cert.reached.clone()).reshape([b, n])?,
            )?;
            out.set_item(
                "boxes",
                numpy::PyArray1::from_vec(py, cert.boxes.iter().map(|&x| x as u64).collect())
                    .reshape([b, n])?,
            )?;
            out.set_item("tol", protocol.certify_tol)?;
            Ok(out.into_any())
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Mechanism(kind={:?}, setting={:?}, path={:?})",
            self.model.kind().name(),
            self.setting.name,
            self.path.display().to_string()
        )
    }
}

/// The run directory a checkpoint file sits in (`RUN/checkpoints/x.safetensors`), if any.
fn run_of_checkpoint(path: &Path) -> Option<RunDir> {
    let run = path.parent()?.parent()?;
    run.join("config.toml")
        .exists()
        .then(|| RunDir::open(run).ok())
        .flatten()
}

/// Load a mechanism: a run directory (its newest checkpoint, or `best=True` for the best
/// one) or a checkpoint file.
#[pyfunction]
#[pyo3(signature = (path, *, best = false))]
pub fn load(py: Python<'_>, path: PathBuf, best: bool) -> PyResult<PyMechanism> {
    guard(|| {
        py.detach(|| {
            if path.is_dir() {
                let run = RunDir::open(&path).map_err(to_py)?;
                let (file, ckpt) = if best {
                    run.load_best()
                } else {
                    run.load_latest()
                }
                .map_err(to_py)?;
                let config = run.read_config().map_err(to_py)?;
                let setting = config.setting.build().map_err(config_err)?;
                return Ok(PyMechanism {
                    model: ckpt.model,
                    setting,
                    config: Some(config),
                    path: file,
                });
            }
            if best {
                return Err(value_error("best=True needs a run directory, not a file"));
            }
            if !path.exists() {
                return Err(value_error(format!(
                    "{}: no such run directory or checkpoint file",
                    path.display()
                )));
            }
            let run = run_of_checkpoint(&path);
            let ckpt = match &run {
                Some(r) => r.load(&path).map_err(to_py)?,
                None => load_model(&path).map_err(nets_err)?,
            };
            let config = run.map(|r| r.read_config()).transpose().map_err(to_py)?;
            let setting = ckpt.model.spec().setting.build().map_err(config_err)?;
            Ok(PyMechanism {
                model: ckpt.model,
                setting,
                config,
                path,
            })
        })
    })
}

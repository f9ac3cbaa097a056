//! `regretnet.evaluate(...)` (what `regretnet eval --json` prints, saved in the run directory
//! as the CLI saves it), `regretnet.baselines(...)` (what `regretnet baseline --json` prints)
//! and `regretnet.sample(...)` (the test profiles those use).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use regretnet_train::core::rng::{stream_rng, Stream};
use regretnet_train::eval::evaluate_checkpoint;
use regretnet_train::tools::listing::baselines_json;
use regretnet_train::RunDir;

use crate::arrays::owned;
use crate::config::config_of;
use crate::errors::{config_err, guard, to_py, value_error};
use crate::mechanism::threads_of;
use crate::protocol::protocol_of;
use crate::pyjson;

/// Evaluate the run in `run_dir` (its newest checkpoint, or `checkpoint`) under `protocol`
/// with `eval`'s overrides as keywords; the report `regretnet eval --json` prints, also saved
/// as `eval-<protocol>.json` in the run directory.
#[pyfunction]
#[pyo3(signature = (run_dir, protocol = "default", *, checkpoint = None, threads = None, **overrides))]
pub fn evaluate<'py>(
    py: Python<'py>,
    run_dir: PathBuf,
    protocol: &str,
    checkpoint: Option<PathBuf>,
    threads: Option<usize>,
    overrides: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let run = RunDir::open(&run_dir).map_err(to_py)?;
        let config = run.read_config().map_err(to_py)?;
        let protocol = protocol_of(protocol, &config.eval, overrides)?;
        let threads = threads_of(threads)?;
        let saved = py
            .detach(|| {
                let path = match checkpoint {
                    Some(p) => p,
                    None => run.latest_checkpoint()?.1,
                };
                evaluate_checkpoint(&run, &path, &protocol, threads, None)
            })
            .map_err(to_py)?;
        pyjson::to_python(py, &saved.0.json)
    })
}

/// Every baseline that applies to a setting (a `Config`, a preset's name or a config file) on
/// the test sample of `samples` profiles from `seed` (default: the config's `[eval]`): what
/// `regretnet baseline --json` prints.
#[pyfunction]
#[pyo3(signature = (setting, *, samples = None, seed = None))]
pub fn baselines<'py>(
    py: Python<'py>,
    setting: &Bound<'py, PyAny>,
    samples: Option<usize>,
    seed: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let config = config_of(setting)?;
        if samples == Some(0) {
            return Err(value_error("samples must be at least 1"));
        }
        let json = py
            .detach(|| baselines_json(&config, samples, seed))
            .map_err(to_py)?;
        pyjson::to_python(py, &json)
    })
}

/// `n` test profiles `(n, bidders, d)` of a setting (a `Config`, a preset's name, a config
/// file or a loaded `Mechanism`'s run) from `seed` (default: the config's `eval.seed`): the
/// profiles `evaluate` and `baselines` use, in the same order, so `sample(c, 10000)` are an
/// evaluation's 10,000 test profiles and its first `regret_samples` are where it measured
/// regret.
#[pyfunction]
#[pyo3(signature = (setting, n, seed = None))]
pub fn sample<'py>(
    py: Python<'py>,
    setting: &Bound<'py, PyAny>,
    n: usize,
    seed: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let config = match setting.cast::<crate::mechanism::PyMechanism>() {
            Ok(m) => m
                .get()
                .run_config()
                .ok_or_else(|| value_error("this mechanism was loaded without its run's config"))?,
            Err(_) => config_of(setting)?,
        };
        if n == 0 {
            return Err(value_error("n must be at least 1"));
        }
        let built = config.setting.build().map_err(config_err)?;
        let seed = seed.unwrap_or(config.eval.seed);
        let profiles = py.detach(|| built.sample_profiles(&mut stream_rng(seed, Stream::Test), n));
        let shape = [n, built.bidders, built.type_len()];
        Ok(owned(py, profiles, &shape)?.into_any())
    })
}

//! # regretnet-py
//!
//! The Python package `regretnet`: a thin skin over `regretnet-train`, as the CLI is. It
//! converts numpy arrays, keyword arguments and errors, and calls the library; every number
//! it returns comes from the same functions `regretnet train`, `eval` and `baseline` call.
//!
//! | module | Python API |
//! |---|---|
//! | [`config`] | `presets()`, `config(...)`, `Config` |
//! | [`training`] | `train(...)`, `resume(...)` (GIL released, Ctrl-C checkpoints) |
//! | [`mechanism`] | `load(...)`, `Mechanism.outcome/utility/regret/certify` |
//! | [`evaluation`] | `evaluate(...)`, `baselines(...)`, `sample(...)` |
//! | [`protocol`] | the evaluation protocols' keyword overrides |
//! | [`arrays`], [`errors`], [`pyjson`] | arrays, exceptions and dicts across the boundary |
//!
//! On import it sets what the `regretnet` binary sets for speed: `RAYON_NUM_THREADS=1` (unless
//! already set) so that candle's matrix products stay on one thread, and mimalloc as the
//! allocator. Built by maturin (`pip install ./regretnet-py`); not a default member of the
//! workspace, so plain `cargo test` needs no Python.
#![deny(missing_docs)]

pub mod arrays;
pub mod config;
pub mod errors;
pub mod evaluation;
pub mod mechanism;
pub mod protocol;
pub mod pyjson;
pub mod training;

use pyo3::prelude::*;

/// mimalloc, as in the `regretnet` binary: candle allocates a buffer per tensor, and glibc's
/// allocator returns the large ones to the kernel step after step.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The native module behind `regretnet` (imported as `regretnet._regretnet`).
#[pymodule]
fn _regretnet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Before candle's first matrix product starts its thread pool.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<config::PyConfig>()?;
    m.add_class::<mechanism::PyMechanism>()?;
    m.add_function(wrap_pyfunction!(config::presets, m)?)?;
    m.add_function(wrap_pyfunction!(config::config, m)?)?;
    m.add_function(wrap_pyfunction!(training::train, m)?)?;
    m.add_function(wrap_pyfunction!(training::resume, m)?)?;
    m.add_function(wrap_pyfunction!(mechanism::load, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::baselines, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::sample, m)?)?;
    Ok(())
}

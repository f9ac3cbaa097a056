//! `regretnet.train(...)` and `regretnet.resume(...)`: training in a run directory, as
//! `regretnet train` does it. The training runs on a worker thread with the GIL released; the
//! calling thread waits, hands each logged row to `progress` and checks for Ctrl-C. A
//! `KeyboardInterrupt` (or an exception raised by `progress`) stops training after the current
//! iteration with a checkpoint written, then is raised in Python: `resume(run_dir)` continues
//! from it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use regretnet_train::analysis::plot::refresh_report;
use regretnet_train::run::RunDir;
use regretnet_train::train::{create_run, resume_run};
use regretnet_train::{train_in_run, Event, Trainer};
use serde_json::{json, Value};

use crate::config::config_of;
use crate::errors::{guard, to_py, value_error};
use crate::pyjson;

/// How often the waiting thread looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// A training event as the dict `progress` receives.
fn event_json(e: &Event<'_>) -> Value {
    match e {
        Event::Logged(r) => json!({
            "event": "logged",
            "iteration": r.iteration,
            "revenue": r.revenue,
            "regret": r.regret,
            "lambda": r.lambda,
            "rho": r.rho,
            "loss": r.loss,
            "seconds": r.seconds,
        }),
        Event::Validated(r) => json!({
            "event": "validated",
            "iteration": r.iteration,
            "revenue": r.revenue,
            "regret": r.regret,
            "regret_max": r.regret_max,
            "seconds": r.seconds,
        }),
        Event::Checkpoint(p) => json!({
            "event": "checkpoint",
            "path": p.display().to_string(),
        }),
    }
}

/// Worker threads of training: `threads` when given (refused above `train.shards`, as the CLI
/// refuses it), else 2 up to the shard count.
fn training_threads(threads: Option<usize>, shards: usize) -> PyResult<usize> {
    match threads {
        Some(0) => Err(value_error("threads must be at least 1")),
        Some(t) if t > shards => Err(value_error(format!(
            "threads={t} is more than train.shards = {shards}: each training iteration runs one \
             shard per thread, so the other threads would idle; raise train.shards to use them"
        ))),
        Some(t) => Ok(t),
        None => Ok(2.min(shards)),
    }
}

/// Train `trainer` in `run` with the GIL released, relaying events to `progress` and Ctrl-C to
/// the trainer's stop flag; the summary as `train --json` prints it.
fn drive<'py>(
    py: Python<'py>,
    trainer: &mut Trainer,
    run: &RunDir,
    out: &Path,
    threads: usize,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let stop = Arc::new(AtomicBool::new(false));
    // Each event waits for its acknowledgement, so that `progress` sees the trainer where the
    // event left it, and a stop it asks for takes effect before the next iteration.
    let (tx, rx) = channel::<(Value, Sender<()>)>();
    let rx = Mutex::new(rx);
    let mut pending: Option<PyErr> = None;
    let result = std::thread::scope(|s| {
        let flag = stop.clone();
        let worker = s.spawn(move || {
            let mut send = |e: Event<'_>| {
                let (ack_tx, ack_rx) = channel();
                if tx.send((event_json(&e), ack_tx)).is_ok() {
                    let _ = ack_rx.recv();
                }
            };
            train_in_run(trainer, run, threads, Some(flag), &mut send)
        });
        loop {
            let next = py.detach(|| match rx.lock() {
                Ok(r) => r.recv_timeout(SIGNAL_POLL),
                Err(_) => Err(RecvTimeoutError::Disconnected),
            });
            match next {
                Ok((event, ack)) => {
                    if let (Some(cb), None) = (progress, &pending) {
                        let called = pyjson::to_python(py, &event).and_then(|arg| cb.call1((arg,)));
                        if let Err(e) = called {
                            pending = Some(e);
                            stop.store(true, Ordering::SeqCst);
                        }
                    }
                    let _ = ack.send(());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if pending.is_none() {
                if let Err(e) = py.check_signals() {
                    pending = Some(e);
                    stop.store(true, Ordering::SeqCst);
                }
            }
        }
        worker.join().map_err(|_| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "internal error: the training thread panicked",
            )
        })
    })?;
    let summary = result.map_err(to_py)?;
    if let Some(e) = pending {
        // The checkpoint of the stop is written: hand the interrupt (or progress's error) back.
        return Err(e);
    }
    let Some(json) = summary.to_json(out) else {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "training stopped at iteration {}; continue with regretnet.resume({:?})",
            summary.iterations,
            out.display().to_string()
        )));
    };
    if let Err(e) = refresh_report(run) {
        warn(py, &format!("could not draw the run's figures: {e}"))?;
    }
    pyjson::to_python(py, &json)
}

fn warn(py: Python<'_>, message: &str) -> PyResult<()> {
    py.import("warnings")?.call_method1("warn", (message,))?;
    Ok(())
}

/// Train `config` (a `Config`, a preset's name or a TOML path) into the run directory `out`;
/// the summary `regretnet train --json` prints.
#[pyfunction]
#[pyo3(signature = (config, out, *, iterations = None, seed = None, threads = None, progress = None, force = false))]
#[allow(clippy::too_many_arguments)]
pub fn train<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    out: PathBuf,
    iterations: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
    force: bool,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let mut config = config_of(config)?;
        if iterations == Some(0) {
            return Err(value_error("iterations must be at least 1"));
        }
        if let Some(n) = iterations {
            config.train.iterations = n;
        }
        if let Some(s) = seed {
            config.train.seed = s;
        }
        config.regretnet_version = Some(env!("CARGO_PKG_VERSION").to_string());
        config.validate().map_err(crate::errors::config_err)?;
        let threads = training_threads(threads, config.train.shards)?;
        let (run, mut trainer) = py
            .detach(|| create_run(&out, config, force))
            .map_err(to_py)?;
        drive(py, &mut trainer, &run, &out, threads, progress.as_ref())
    })
}

/// Continue the run in `run_dir` from its newest checkpoint (to `iterations` in all, when
/// given); the summary `regretnet train --json` prints.
#[pyfunction]
#[pyo3(signature = (run_dir, *, iterations = None, threads = None, progress = None))]
pub fn resume<'py>(
    py: Python<'py>,
    run_dir: PathBuf,
    iterations: Option<u64>,
    threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        if iterations == Some(0) {
            return Err(value_error("iterations must be at least 1"));
        }
        let mut warnings = Vec::new();
        let (run, mut trainer) = py
            .detach(|| {
                resume_run(&run_dir, iterations, false, &mut |w| {
                    warnings.push(w.to_string())
                })
            })
            .map_err(to_py)?;
        for w in &warnings {
            warn(py, w)?;
        }
        let threads = training_threads(threads, trainer.config().train.shards)?;
        if trainer.iteration() >= trainer.config().train.iterations {
            return Err(value_error(format!(
                "run {} is complete ({} iterations); pass iterations= to extend it",
                run_dir.display(),
                trainer.iteration()
            )));
        }
        drive(py, &mut trainer, &run, &run_dir, threads, progress.as_ref())
    })
}

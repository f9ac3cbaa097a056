//! Training inside a run directory, as `regretnet train` and `regretnet reproduce` do it:
//! start one ([`create_run`]), resume from its newest usable checkpoint ([`resume_run`],
//! [`resume_latest`]), and train to the configured
//! iterations with `metrics.csv`, `validation.csv` and checkpoints written into the run
//! ([`train_in_run`]).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use regretnet_core::Config;

use crate::error::{Result, TrainError};
use crate::run::metrics::{truncate_after, CsvSink};
use crate::run::rundir::RunDir;
use crate::train::trainer::{Event, TrainSummary, Trainer};

/// A new run directory at `out` (refused if it holds files, unless `force`) with `config`
/// written into it, and a fresh trainer for it ([`Trainer::start`]: from `train.init_from`'s
/// weights when it names a checkpoint, recorded as an absolute path).
pub fn create_run(out: &Path, mut config: Config, force: bool) -> Result<(RunDir, Trainer)> {
    if let Some(path) = &config.train.init_from {
        // Recorded absolute, so that the run's config says where it began from anywhere.
        let path = Path::new(path);
        let absolute = std::fs::canonicalize(path).map_err(|e| TrainError::io(path, e))?;
        config.train.init_from = Some(absolute.display().to_string());
    }
    let trainer = Trainer::start(config)?;
    let run = RunDir::create(out, force)?;
    run.write_config(trainer.config())?;
    Ok((run, trainer))
}

/// The run directory at `dir` and the trainer of its newest usable checkpoint
/// ([`resume_latest`]), extended to `iterations` when given (with a constant-rate `tail`, or
/// the schedules rescaled: [`Trainer::set_iterations`], whose note goes to `warn`); the run's
/// `config.toml` is rewritten to match.
pub fn resume_run(
    dir: &Path,
    iterations: Option<u64>,
    tail: bool,
    warn: &mut dyn FnMut(&str),
) -> Result<(RunDir, Trainer)> {
    let run = RunDir::open(dir)?;
    let mut trainer = resume_latest(&run, warn)?;
    if let Some(n) = iterations {
        if let Some(note) = trainer.set_iterations(n, tail)? {
            warn(&note);
        }
    }
    run.write_config(trainer.config())?;
    Ok((run, trainer))
}

/// The trainer of the newest checkpoint of `run` that resumes, with the run's metrics files
/// cut back to that checkpoint's iteration (so that they continue exactly from it). A newer
/// checkpoint whose own bytes are damaged ([`TrainError::is_damaged_checkpoint`]: truncated,
/// not safetensors, an entry missing) is renamed `*.unusable` (kept for inspection) and
/// reported through `warn`; the previous one is tried (it is lean: the misreport cache is
/// redrawn and Adam restarts, and `warn` says so: [`Trainer::resumed_exactly`]). Any other error (the file cannot be
/// read, it was written by another version) would hit every checkpoint alike: it is returned
/// at once, naming the file, and nothing is renamed.
pub fn resume_latest(run: &RunDir, warn: &mut dyn FnMut(&str)) -> Result<Trainer> {
    let candidates = run.checkpoints()?;
    let no_checkpoint = |reason: String| TrainError::RunDir {
        path: run.path().display().to_string(),
        reason,
    };
    if candidates.is_empty() {
        return Err(no_checkpoint(
            "no checkpoint to resume from (checkpoints/iter-*.safetensors)".into(),
        ));
    }
    let mut last_error = String::new();
    for (_, path) in candidates.iter().rev() {
        match Trainer::resume(path) {
            Ok(trainer) => {
                truncate_after(run.path(), trainer.iteration())?;
                if !trainer.resumed_exactly() {
                    warn(&format!(
                        "{} holds no misreport cache or Adam state (only the newest checkpoint \
                         keeps them): the run continues from iteration {} with the misreports \
                         redrawn from the seed and Adam restarted, so it is complete but not \
                         bitwise the uninterrupted run",
                        path.display(),
                        trainer.iteration()
                    ));
                }
                return Ok(trainer);
            }
            Err(e) if e.is_damaged_checkpoint() => {
                let aside = path.with_extension("safetensors.unusable");
                warn(&format!(
                    "{e}\nmoved it to {} and trying the previous checkpoint",
                    aside.display()
                ));
                std::fs::rename(path, &aside).map_err(|io| TrainError::io(path, io))?;
                last_error = e.to_string();
            }
            Err(e) => return Err(e),
        }
    }
    Err(no_checkpoint(format!(
        "no usable checkpoint in checkpoints/ (tried {}; the last: {last_error})",
        candidates.len()
    )))
}

/// Start `config` afresh in `run`, an existing run directory without a checkpoint to resume
/// (never written, or every one damaged and set aside). Rows a previous attempt left in its
/// metrics files are cut (they would repeat the iterations this run trains again) and the
/// restart is reported through `warn` whenever there was something to cut or set aside.
pub fn restart_run(run: &RunDir, config: Config, warn: &mut dyn FnMut(&str)) -> Result<Trainer> {
    let trainer = Trainer::start(config)?;
    let rows = crate::run::metrics::rows_after(run.path(), 0)?;
    let aside = run.unusable_checkpoints()?;
    if rows > 0 || !aside.is_empty() {
        warn(&format!(
            "{}: no usable checkpoint ({} set aside as *.unusable): training from iteration 0; \
             the {rows} rows its metrics files held are cut",
            run.path().display(),
            aside.len()
        ));
        truncate_after(run.path(), 0)?;
    }
    Ok(trainer)
}

/// Train `trainer` to its configured iterations in `run`: metrics appended to the run's CSV
/// files, checkpoints on the config's schedule, `threads` worker threads, stopping after the
/// current iteration with a checkpoint once `stop` is set. `observer` sees every event.
pub fn train_in_run(
    trainer: &mut Trainer,
    run: &RunDir,
    threads: usize,
    stop: Option<Arc<AtomicBool>>,
    observer: &mut dyn FnMut(Event<'_>),
) -> Result<TrainSummary> {
    let mut sink = CsvSink::open(run.path(), trainer.setting().bidders)?;
    if let Some(flag) = stop {
        trainer.set_stop_flag(flag);
    }
    trainer.set_threads(threads);
    trainer.run(&mut sink, Some(run), threads, observer)
}

#[cfg(test)]
#[path = "tests_session.rs"]
mod tests_session;

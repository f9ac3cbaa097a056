//! The checkpoint policy of a training run: a checkpoint every `train.checkpoint_every`
//! iterations and at the end, the newest `train.keep_checkpoints` kept, only the newest holding
//! the full state (the misreport cache and Adam's moments: the previous one is rewritten lean
//! once the next is safely on disk); the best validation within `train.best_regret_bound` kept
//! apart, lean, as `checkpoints/best.safetensors`; and, with
//! tracing on, weight-only checkpoints on the log-spaced trace schedule
//! ([`crate::train::layers::is_trace_checkpoint`]). What a checkpoint holds:
//! [`super::resume`].

use crate::error::{Result, TrainError};
use crate::run::metrics::ValidationRow;
use crate::run::rundir::RunDir;
use crate::train::trainer::{Best, Event, Trainer};

impl Trainer {
    /// Write the weights alone to `checkpoints/trace/` (the log-spaced schedule of tracing).
    pub(crate) fn trace_checkpoint(&self, run: &RunDir) -> Result<()> {
        let path = run.trace_checkpoint_path(self.iteration);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
        }
        let meta = [("iteration".to_string(), self.iteration.to_string())].into();
        regretnet_nets::checkpoint::save_model(&self.net, &Default::default(), &meta, &path)?;
        Ok(())
    }

    /// Keep `v` as the best when its regret meets the bound and its revenue is the highest so
    /// far; with a run directory, write the current state to `checkpoints/best.safetensors`.
    pub(crate) fn consider_best(
        &mut self,
        v: &ValidationRow,
        run: Option<&RunDir>,
        observer: &mut dyn FnMut(Event<'_>),
    ) -> Result<()> {
        let regret = v.regret.iter().sum::<f64>() / v.regret.len().max(1) as f64;
        let better = self.best.is_none_or(|b| v.revenue > b.revenue);
        if regret <= self.config.train.best_regret_bound && better {
            self.best = Some(Best {
                iteration: v.iteration,
                revenue: v.revenue,
            });
            if let Some(run) = run {
                let path = run.best_checkpoint_path();
                self.write_checkpoint(&path, false)?;
                observer(Event::Checkpoint(&path));
            }
        }
        Ok(())
    }

    /// Write the periodic checkpoint of the current iteration with the full state, then make
    /// the previous one lean (a crash in between leaves two full ones, never none), then prune
    /// to `train.keep_checkpoints`.
    pub(crate) fn checkpoint_into(
        &mut self,
        run: &RunDir,
        observer: &mut dyn FnMut(Event<'_>),
    ) -> Result<()> {
        let path = run.checkpoint_path(self.iteration);
        self.write_checkpoint(&path, true)?;
        if let Some(previous) = self.cached_checkpoint.replace(path.clone()) {
            if previous != path && previous.exists() {
                Trainer::make_lean(&previous)?;
            }
        }
        run.prune_checkpoints(self.config.train.keep_checkpoints)?;
        observer(Event::Checkpoint(&path));
        Ok(())
    }
}

//! The run directory: resolved config, metrics, checkpoints and evaluations.
//!
//! ```text
//! RUN_DIR/
//!   config.toml                     resolved config, written before iteration 0
//!   metrics.csv, validation.csv     see `metrics`
//!   checkpoints/iter-000040000.safetensors   the newest `train.keep_checkpoints` periodic ones
//!   checkpoints/best.safetensors    best validation revenue within `train.best_regret_bound`
//!   eval-<protocol>.json            written by `regretnet eval`
//! ```

use std::path::{Path, PathBuf};

use regretnet_core::{Config, Setting};
use regretnet_nets::checkpoint::{load_model_expecting, ModelCheckpoint};
use regretnet_nets::NetSpec;

use crate::error::{Result, TrainError};

/// A run directory on disk.
#[derive(Debug, Clone)]
pub struct RunDir {
    path: PathBuf,
}

const CONFIG: &str = "config.toml";
const CHECKPOINTS: &str = "checkpoints";
const OWN_FILES: &[&str] = &["metrics.csv", "validation.csv"];

impl RunDir {
    /// Create a run directory for a new run. An existing non-empty directory is refused unless
    /// `force`, in which case this run's own files (config, metrics, checkpoints, evaluations)
    /// are removed first and anything else is left alone.
    pub fn create(path: &Path, force: bool) -> Result<RunDir> {
        let err = |reason: String| TrainError::RunDir {
            path: path.display().to_string(),
            reason,
        };
        if path.exists() {
            if !path.is_dir() {
                return Err(err("exists and is not a directory".into()));
            }
            let non_empty = std::fs::read_dir(path)
                .map_err(|e| TrainError::io(path, e))?
                .next()
                .is_some();
            if non_empty && !force {
                return Err(err(
                    "exists and is not empty; choose another --out, continue the run in it with \
                     `regretnet train --resume DIR`, or pass --force to replace it"
                        .into(),
                ));
            }
            if non_empty {
                let run = RunDir {
                    path: path.to_path_buf(),
                };
                run.clear()?;
            }
        }
        std::fs::create_dir_all(path.join(CHECKPOINTS)).map_err(|e| TrainError::io(path, e))?;
        Ok(RunDir {
            path: path.to_path_buf(),
        })
    }

    fn clear(&self) -> Result<()> {
        let mut doomed: Vec<PathBuf> = OWN_FILES.iter().map(|f| self.path.join(f)).collect();
        doomed.push(self.path.join(CONFIG));
        for entry in std::fs::read_dir(&self.path).map_err(|e| TrainError::io(&self.path, e))? {
            let p = entry.map_err(|e| TrainError::io(&self.path, e))?.path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("eval-") && name.ends_with(".json") {
                doomed.push(p);
            }
        }
        for p in doomed.iter().filter(|p| p.exists()) {
            std::fs::remove_file(p).map_err(|e| TrainError::io(p, e))?;
        }
        let ck = self.path.join(CHECKPOINTS);
        if ck.exists() {
            std::fs::remove_dir_all(&ck).map_err(|e| TrainError::io(&ck, e))?;
        }
        Ok(())
    }

    /// Open an existing run directory (it must hold a `config.toml`).
    pub fn open(path: &Path) -> Result<RunDir> {
        let err = |reason: &str| TrainError::RunDir {
            path: path.display().to_string(),
            reason: reason.into(),
        };
        if !path.is_dir() {
            return Err(err("does not exist or is not a directory"));
        }
        if !path.join(CONFIG).is_file() {
            return Err(err("is not a regretnet run (no config.toml)"));
        }
        Ok(RunDir {
            path: path.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the resolved config (atomically).
    pub fn write_config(&self, config: &Config) -> Result<()> {
        let p = self.path.join(CONFIG);
        regretnet_nets::checkpoint::write_atomic(&p, config.to_toml_string().as_bytes())
            .map_err(|e| TrainError::io(&p, e))
    }

    /// Read the resolved config.
    pub fn read_config(&self) -> Result<Config> {
        Ok(Config::load(&self.path.join(CONFIG))?)
    }

    /// Path of the checkpoint after `iteration` iterations.
    pub fn checkpoint_path(&self, iteration: u64) -> PathBuf {
        self.path
            .join(CHECKPOINTS)
            .join(format!("iter-{iteration:09}.safetensors"))
    }

    /// Path of the weight-only checkpoint that tracing keeps after `iteration` iterations
    /// (`checkpoints/trace/`, never pruned).
    pub fn trace_checkpoint_path(&self, iteration: u64) -> PathBuf {
        self.path
            .join(CHECKPOINTS)
            .join("trace")
            .join(format!("iter-{iteration:09}.safetensors"))
    }

    /// The trace checkpoints present, oldest first, with their iterations.
    pub fn trace_checkpoints(&self) -> Result<Vec<(u64, PathBuf)>> {
        list_iter_files(&self.path.join(CHECKPOINTS).join("trace"))
    }

    /// Path of the best checkpoint (see `train.best_regret_bound`).
    pub fn best_checkpoint_path(&self) -> PathBuf {
        self.path.join(CHECKPOINTS).join("best.safetensors")
    }

    /// Periodic checkpoints present (`iter-*.safetensors`; temporary files of interrupted
    /// writes are ignored), oldest first, with their iterations.
    pub fn checkpoints(&self) -> Result<Vec<(u64, PathBuf)>> {
        list_iter_files(&self.path.join(CHECKPOINTS))
    }

    /// Checkpoints set aside as damaged by a resume (`iter-*.safetensors.unusable`).
    pub fn unusable_checkpoints(&self) -> Result<Vec<PathBuf>> {
        let dir = self.path.join(CHECKPOINTS);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| TrainError::io(&dir, e))? {
            let p = entry.map_err(|e| TrainError::io(&dir, e))?.path();
            if p.to_string_lossy().ends_with(".safetensors.unusable") {
                out.push(p);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The newest checkpoint.
    pub fn latest_checkpoint(&self) -> Result<(u64, PathBuf)> {
        self.checkpoints()?.pop().ok_or_else(|| TrainError::RunDir {
            path: self.path.display().to_string(),
            reason: "has no checkpoint yet (checkpoints/iter-*.safetensors)".into(),
        })
    }

    /// The setting of the run's config, built (priors and all).
    pub fn setting(&self) -> Result<Setting> {
        Ok(self.read_config()?.setting.build()?)
    }

    /// Load checkpoint `path`, which must hold the network of this run's config; the
    /// mechanism with its metadata (what [`RunDir::load_latest`] and [`RunDir::load_best`]
    /// return).
    pub fn load(&self, path: &Path) -> Result<ModelCheckpoint> {
        let config = self.read_config()?;
        let spec = NetSpec {
            setting: config.setting,
            net: config.net,
        };
        Ok(load_model_expecting(path, &spec)?)
    }

    /// The newest periodic checkpoint, loaded (what `regretnet eval RUN` evaluates), with its
    /// path.
    ///
    /// ```no_run
    /// use regretnet_train::RunDir;
    ///
    /// let run = RunDir::open("runs/default".as_ref()).unwrap();
    /// let (path, ckpt) = run.load_latest().unwrap();
    /// let setting = run.setting().unwrap();
    /// let (alloc, pay) = ckpt.model.outcome_of(&vec![0.5; setting.profile_len()]).unwrap();
    /// println!("{}: pays {pay:?} for {alloc:?}", path.display());
    /// ```
    pub fn load_latest(&self) -> Result<(PathBuf, ModelCheckpoint)> {
        let (_, path) = self.latest_checkpoint()?;
        let ckpt = self.load(&path)?;
        Ok((path, ckpt))
    }

    /// The best checkpoint (`checkpoints/best.safetensors`: the best validation revenue
    /// within `train.best_regret_bound`), loaded, with its path; an error naming the file when
    /// the run has none yet.
    pub fn load_best(&self) -> Result<(PathBuf, ModelCheckpoint)> {
        let path = self.best_checkpoint_path();
        if !path.exists() {
            return Err(TrainError::RunDir {
                path: self.path.display().to_string(),
                reason: "has no best checkpoint yet (checkpoints/best.safetensors)".into(),
            });
        }
        let ckpt = self.load(&path)?;
        Ok((path, ckpt))
    }

    /// Delete all but the newest `keep` checkpoints.
    pub fn prune_checkpoints(&self, keep: usize) -> Result<()> {
        let all = self.checkpoints()?;
        let excess = all.len().saturating_sub(keep);
        for (_, p) in &all[..excess] {
            std::fs::remove_file(p).map_err(|e| TrainError::io(p, e))?;
        }
        Ok(())
    }

    /// Path of the saved evaluation of protocol `name`.
    pub fn eval_path(&self, name: &str) -> PathBuf {
        self.path.join(format!("eval-{name}.json"))
    }

    /// Where the per-profile regrets of protocol `name`'s evaluation are saved
    /// (`profile,bidder,regret` rows, the audited regret).
    pub fn eval_regret_path(&self, name: &str) -> PathBuf {
        self.path.join(format!("eval-{name}-regret.csv"))
    }
}

/// `iter-<N>.safetensors` files in `dir` (none when it does not exist), oldest first;
/// temporary files of interrupted writes are ignored. A `dir` that exists but cannot be
/// listed (not a directory, no permission) is an error naming it, never an empty list: a run
/// whose checkpoints cannot be seen must not look like a run that has none.
fn list_iter_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).map_err(|e| TrainError::io(dir, e))? {
        let p = entry.map_err(|e| TrainError::io(dir, e))?.path();
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Some(it) = name
            .strip_prefix("iter-")
            .and_then(|s| s.strip_suffix(".safetensors"))
            .and_then(|s| s.parse::<u64>().ok())
        {
            out.push((it, p));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_non_empty_directory_without_force_and_keeps_foreign_files_with_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let err = RunDir::create(dir.path(), false).unwrap_err().to_string();
        assert!(err.contains("--force"), "{err}");
        std::fs::write(dir.path().join("metrics.csv"), "old").unwrap();
        let run = RunDir::create(dir.path(), true).unwrap();
        assert!(dir.path().join("notes.txt").exists());
        assert!(!dir.path().join("metrics.csv").exists());
        assert!(run.latest_checkpoint().is_err());
        assert!(RunDir::open(dir.path()).is_err(), "no config yet");
    }

    #[test]
    fn checkpoints_sort_and_prune_by_iteration() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::create(&dir.path().join("r"), false).unwrap();
        for it in [500u64, 20, 1_000] {
            std::fs::write(run.checkpoint_path(it), "x").unwrap();
        }
        assert_eq!(run.latest_checkpoint().unwrap().0, 1_000);
        run.prune_checkpoints(2).unwrap();
        let left: Vec<u64> = run.checkpoints().unwrap().iter().map(|c| c.0).collect();
        assert_eq!(left, vec![500, 1_000]);
    }
}

//! A trained mechanism as a small, weights-only model directory (`regretnet export`): what
//! `models/<row>` in the repository holds, so that a published row can be evaluated without
//! training it.
//!
//! ```text
//! MODEL_DIR/
//!   config.toml                              the run's resolved config, as trained
//!   checkpoints/iter-<N>.safetensors         the network's weights and self-describing metadata
//! ```
//!
//! The checkpoint keeps the network's tensors and the metadata that describes them (`format`,
//! `format_version`, `setting`, `net`; `regretnet-nets/src/checkpoint.rs`) plus `iteration` and
//! `exported_from` (the source checkpoint's file name); the optimizer state, multipliers,
//! misreport cache and data order of a training checkpoint are left out, so a 5x10 RegretNet is
//! about 400 KB instead of 16 MB. A model directory is a run directory without metrics:
//! `regretnet eval MODEL_DIR` evaluates it (writing `eval-*.json` beside it), `regretnet train
//! --init-from MODEL_DIR/checkpoints/iter-<N>.safetensors` starts a run from it, and the Python
//! package's `load` reads it. It cannot be resumed (`train --resume` needs the training state).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regretnet_nets::checkpoint::save_model;

use crate::error::{Result, TrainError};
use crate::run::rundir::RunDir;

/// What [`export_model`] wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The model directory.
    pub dir: PathBuf,
    /// Its weights-only checkpoint.
    pub checkpoint: PathBuf,
    /// The iteration the weights are from.
    pub iteration: u64,
    /// The checkpoint's size in bytes.
    pub bytes: u64,
}

/// Write checkpoint `checkpoint` of `run` (it must hold the run's network) as a weights-only
/// model directory `out` (module docs). An existing non-empty `out` is refused unless `force`
/// (then only a run's own files in it are replaced, as for `train --force`).
pub fn export_model(run: &RunDir, checkpoint: &Path, out: &Path, force: bool) -> Result<Exported> {
    let config = run.read_config()?;
    let ckpt = run.load(checkpoint)?;
    let iteration = match ckpt.metadata.get("iteration") {
        Some(s) => s.parse::<u64>().map_err(|_| TrainError::RunDir {
            path: checkpoint.display().to_string(),
            reason: format!("metadata `iteration` is not an integer: {s:?}"),
        })?,
        None => 0,
    };
    if out.canonicalize().ok() == run.path().canonicalize().ok() {
        return Err(TrainError::RunDir {
            path: out.display().to_string(),
            reason: "is the run directory itself; export into another directory".into(),
        });
    }
    let dir = RunDir::create(out, force)?;
    dir.write_config(&config)?;
    let mut meta = BTreeMap::new();
    meta.insert("iteration".to_string(), iteration.to_string());
    let source = checkpoint
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    meta.insert("exported_from".to_string(), source);
    let path = dir.checkpoint_path(iteration);
    save_model(&ckpt.model, &BTreeMap::new(), &meta, &path)?;
    let bytes = std::fs::metadata(&path)
        .map_err(|e| TrainError::io(&path, e))?
        .len();
    Ok(Exported {
        dir: out.to_path_buf(),
        checkpoint: path,
        iteration,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::trainer::Trainer;
    use regretnet_core::presets::preset;

    #[test]
    fn an_exported_model_holds_the_same_mechanism_and_nothing_else() {
        let tmp_dir = tempfile::tempdir().unwrap();
        let tmp = tmp_dir.path();
        let mut c = preset("additive_2x2_uniform").unwrap();
        c.net.alloc_hidden = vec![8];
        c.net.pay_hidden = vec![8];
        c.train.iterations = 3;
        c.train.train_size = 64;
        c.train.batch_size = 32;
        c.train.misreport_steps = 1;
        c.train.validate_every = 0;
        c.train.checkpoint_every = 3;
        let run_path = tmp.join("run");
        let run = RunDir::create(&run_path, false).unwrap();
        run.write_config(&c).unwrap();
        let mut trainer = Trainer::new(c.clone()).unwrap();
        for _ in 0..3 {
            trainer.step().unwrap();
        }
        let source = run.checkpoint_path(3);
        trainer.save_checkpoint(&source).unwrap();

        let out = tmp.join("model");
        let e = export_model(&run, &source, &out, false).unwrap();
        assert_eq!(e.iteration, 3);
        let model = RunDir::open(&out).unwrap();
        assert_eq!(model.read_config().unwrap(), c);
        let (path, loaded) = model.load_latest().unwrap();
        assert_eq!(path, e.checkpoint);
        // No optimizer state, multipliers or misreport cache: the network's tensors only.
        assert!(loaded.extra.is_empty(), "{:?}", loaded.extra.keys());
        assert_eq!(
            loaded.metadata["exported_from"],
            "iter-000000003.safetensors"
        );
        assert!(e.bytes < std::fs::metadata(&source).unwrap().len());
        // The same outcome as the training checkpoint's, to the bit.
        let original = run.load(&source).unwrap();
        let profile = [0.3f32, 0.9, 0.7, 0.2];
        assert_eq!(
            original.model.outcome_of(&profile).unwrap(),
            loaded.model.outcome_of(&profile).unwrap()
        );
        // A second export into the same directory needs force; the run itself is refused.
        let err = export_model(&run, &source, &out, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force"), "{err}");
        export_model(&run, &source, &out, true).unwrap();
        let err = export_model(&run, &source, &run_path, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("run directory itself"), "{err}");
    }
}

//! Evaluate a run's checkpoint and save the result in the run directory (`regretnet eval`,
//! and every row of `regretnet reproduce`): `eval-<protocol>.json` (the report plus where it
//! came from; for an AMA, which menu entries it chose on the test sample) and
//! `eval-<protocol>-regret.csv` (per-profile regret), both written atomically.

use std::path::{Path, PathBuf};

use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::Setting;
use regretnet_nets::checkpoint::{write_atomic, ModelCheckpoint};
use regretnet_nets::Model;

use crate::eval::menu::{column_names, menu_usage, TOP_ENTRIES};

use crate::error::{Result, TrainError};
use crate::eval::evaluate::{evaluate, Phase};
use crate::eval::protocol::Protocol;
use crate::eval::report::EvalReport;
use crate::run::rundir::RunDir;

/// A saved evaluation.
#[derive(Debug)]
pub struct SavedEval {
    /// The report.
    pub report: EvalReport,
    /// The report's fields plus `run_dir`, `checkpoint` and `iteration`, as one flat JSON
    /// object: what `eval-<protocol>.json` holds (and `regretnet eval --json` prints).
    pub json: serde_json::Value,
    /// Where the JSON was written.
    pub path: PathBuf,
}

/// Load checkpoint `path` of `run` (it must match the run's config), evaluate it under
/// `protocol` and save the result ([`evaluate_and_save`]); the saved evaluation and the loaded
/// checkpoint's metadata.
pub fn evaluate_checkpoint(
    run: &RunDir,
    path: &Path,
    protocol: &Protocol,
    threads: usize,
    progress: Option<&(dyn Fn(Phase, usize) + Sync)>,
) -> Result<(SavedEval, ModelCheckpoint)> {
    let setting = run.setting()?;
    let ckpt = run.load(path)?;
    let saved = evaluate_and_save(run, path, &ckpt, &setting, protocol, threads, progress)?;
    Ok((saved, ckpt))
}

/// Evaluate checkpoint `path` (loaded as `ckpt`) of `run` under `protocol` and save the report
/// with its origin as `eval-<protocol>.json` in the run directory, the per-profile regret as
/// `eval-<protocol>-regret.csv`. `progress` receives the phase and the profiles done in it
/// (from worker threads).
pub fn evaluate_and_save(
    run: &RunDir,
    path: &Path,
    ckpt: &ModelCheckpoint,
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    progress: Option<&(dyn Fn(Phase, usize) + Sync)>,
) -> Result<SavedEval> {
    let mut report = evaluate(&ckpt.model, setting, protocol, threads, progress)?;
    // The symmetrized mechanism is a lottery over relabelled menus: no one entry is chosen.
    if let (Model::Ama(net), false) = (&ckpt.model, protocol.symmetrize) {
        // The same test profiles as the evaluation's (its seed and stream).
        let profiles = setting.sample_profiles(
            &mut stream_rng(protocol.seed, Stream::Test),
            protocol.samples,
        );
        report.menu = Some(menu_usage(
            &net.affine_menu()?,
            &profiles,
            column_names(setting),
            TOP_ENTRIES,
        ));
    }
    let json = origin_json(&report, run.path(), path, ckpt)?;
    let text =
        serde_json::to_string_pretty(&json).map_err(|e| TrainError::Report(e.to_string()))?;
    let per_profile = run.eval_regret_path(&protocol.name);
    write_atomic(&per_profile, report.per_profile_csv().as_bytes())
        .map_err(|e| TrainError::io(&per_profile, e))?;
    let out = run.eval_path(&protocol.name);
    write_atomic(&out, text.as_bytes()).map_err(|e| TrainError::io(&out, e))?;
    Ok(SavedEval {
        report,
        json,
        path: out,
    })
}

/// The report's fields plus where it came from, as one flat object.
fn origin_json(
    report: &EvalReport,
    run_dir: &Path,
    path: &Path,
    ckpt: &ModelCheckpoint,
) -> Result<serde_json::Value> {
    let mut flat = serde_json::to_value(report).map_err(|e| TrainError::Report(e.to_string()))?;
    if let Some(obj) = flat.as_object_mut() {
        obj.insert("run_dir".into(), run_dir.display().to_string().into());
        obj.insert("checkpoint".into(), path.display().to_string().into());
        let iteration = ckpt
            .metadata
            .get("iteration")
            .and_then(|s| s.parse::<u64>().ok());
        obj.insert("iteration".into(), iteration.into());
    }
    Ok(flat)
}

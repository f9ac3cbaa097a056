//! `regretnet probe` as library calls: probe one traced run and write `<run>/probe/`
//! ([`probe_and_write`]), or probe several seeds of one config (reusing each run's saved
//! summary unless asked to redo it) and write their aggregate ([`probe_seeds`]).

use std::path::{Path, PathBuf};

use crate::analysis::probe::analysis::{probe_run, read_trace, ProbeConfig, ProbeSummary};
use crate::analysis::probe::report::write_probe;
use crate::analysis::probe::seeds::{
    aggregate, check_runs, read_summary, write_aggregate, Aggregate,
};
use crate::error::Result;
use crate::run::rundir::RunDir;

/// What a probe reports as it goes.
pub trait ProbeProgress {
    /// A line of progress.
    fn message(&self, text: &str);
    /// A warning (shown even when progress is hidden).
    fn warning(&self, text: &str);
    /// A run was probed: its summary and the files written into `<run>/probe/`.
    fn probed(&self, run: &Path, summary: &ProbeSummary, written: &[PathBuf]);
}

/// Probe the traced run at `path` and write its report into `<run>/probe/`.
pub fn probe_and_write(
    path: &Path,
    config: &ProbeConfig,
    threads: usize,
    progress: &dyn ProbeProgress,
) -> Result<ProbeSummary> {
    let run = RunDir::open(path)?;
    progress.message(&format!("probing {}", path.display()));
    let summary = probe_run(&run, config, threads, &|line| {
        progress.message(&format!("  {line}"))
    })?;
    let trace = read_trace(&run)?;
    let written = write_probe(path, &summary, &trace)?;
    progress.probed(path, &summary, &written);
    Ok(summary)
}

/// Probe several runs of one config that differ only by seed (refused otherwise:
/// [`check_runs`]) and aggregate them; a run's saved `probe/summary.json` is reused unless
/// `fresh`. The aggregate is written into `out` (default `runs/probe-<setting>`); returns it
/// with the files written.
pub fn probe_seeds(
    runs: &[PathBuf],
    config: &ProbeConfig,
    fresh: bool,
    out: Option<&Path>,
    threads: usize,
    progress: &dyn ProbeProgress,
) -> Result<(Aggregate, Vec<PathBuf>)> {
    check_runs(runs)?;
    let mut summaries = Vec::new();
    for dir in runs {
        let have = dir.join("probe").join("summary.json").is_file();
        if fresh || !have {
            probe_and_write(dir, config, threads, progress)?;
        } else {
            progress.message(&format!(
                "{}: using its probe/summary.json (--fresh to redo)",
                dir.display()
            ));
        }
        let summary = read_summary(dir)?;
        if summary.config != *config {
            progress.warning(&format!(
                "{} was probed with other settings (threshold {:e}, {} samples); its summary is \
                 used as it is (--fresh to probe it again)",
                dir.display(),
                summary.config.regret_threshold,
                summary.config.samples
            ));
        }
        summaries.push(summary);
    }
    let agg = aggregate(&summaries)?;
    let out = out.map_or_else(
        || PathBuf::from("runs").join(format!("probe-{}", agg.setting)),
        Path::to_path_buf,
    );
    let written = write_aggregate(&out, &agg)?;
    Ok((agg, written))
}

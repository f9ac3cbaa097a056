//! Running a reproduction: every row trained (or resumed, or reused), evaluated under the
//! audited protocol, compared with the baselines on the same test sample, and the table
//! rewritten after each row. A killed or interrupted reproduction continues from each row's
//! checkpoint when run again; a finished row (`reproduce.json` in its run directory) is reused
//! only when its protocol and its run's config equal the current ones.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use regretnet_core::baselines::paired_with;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_nets::checkpoint::write_atomic;

use crate::analysis::plot::refresh_report;
use crate::error::{Result, TrainError};
use crate::eval::{evaluate_checkpoint, Phase, Protocol};
use crate::run::rundir::RunDir;
use crate::tools::reproduce::sweep::{self, Sweep};
use crate::tools::reproduce::table::{
    check_results_path, machine_description, results_markdown, table_order, Budget, Row,
};
use crate::train::session::{create_run, restart_run, resume_latest, train_in_run};
use crate::train::trainer::Event;

/// Which protocol evaluates every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolChoice {
    /// The preset's `[eval]` section.
    Default,
    /// The paper's protocol ([`Protocol::paper`]).
    Paper,
}

/// What to reproduce, and where.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// The budget (its schedule for every preset).
    pub budget: Budget,
    /// The presets, in order (the budget's own when empty).
    pub presets: Vec<String>,
    /// The evaluation protocol of every row.
    pub protocol: ProtocolChoice,
    /// Train every row this many iterations instead of the budget's.
    pub iterations: Option<u64>,
    /// Evaluate on this many test profiles instead of the protocol's (renames it).
    pub samples: Option<usize>,
    /// Write a checkpoint every this many iterations instead of the budget's (a killed task
    /// of a cluster array loses at most this much).
    pub checkpoint_every: Option<u64>,
    /// Record the layer trace every this many iterations (`train.trace_every`, what
    /// `regretnet probe` reads).
    pub trace_every: Option<u64>,
    /// Train every preset once per value (training seeds or regret targets: [`Sweep`]), each
    /// a row of its own in `<out>/<preset>-<label>`; empty: once, in `<out>/<preset>`.
    pub sweep: Vec<Sweep>,
    /// The directory of the rows' run directories.
    pub out: PathBuf,
    /// Where the table goes.
    pub results: PathBuf,
    /// The command line, recorded in every row.
    pub command: String,
    /// Worker threads.
    pub threads: usize,
    /// Once set, training stops after the current iteration with a checkpoint and the
    /// reproduction returns [`TrainError::Interrupted`].
    pub stop: Option<Arc<AtomicBool>>,
}

/// Where a reproduction reports what it is doing; every method defaults to nothing. Called
/// from worker threads during evaluation, hence `Sync`.
pub trait ReproduceProgress: Sync {
    /// Row `index` (from 0) of `total`, preset `name`, begins.
    fn row_started(&self, _index: usize, _total: usize, _name: &str) {}
    /// A line of progress (reusing a row, evaluating again, where the report is).
    fn message(&self, _text: &str) {}
    /// A warning: something the user should know even with progress hidden.
    fn warning(&self, _text: &str) {}
    /// Training begins at `iteration` of `total`; `line` says what and where.
    fn train_started(&self, _iteration: u64, _total: u64, _line: &str) {}
    /// An event of the training loop.
    fn train_event(&self, _event: &Event<'_>) {}
    /// Training ended (finished or stopped).
    fn train_finished(&self) {}
    /// `done` of `total` profiles of an evaluation phase.
    fn eval_tick(&self, _phase: Phase, _done: usize, _total: usize) {}
    /// The evaluation ended.
    fn eval_finished(&self) {}
    /// A row is done (trained, evaluated, saved).
    fn row_done(&self, _row: &Row) {}
}

/// Reproduce every row of `options` in order, rewriting the table after each; returns the
/// rows. A preset name or config that is wrong fails before any training.
pub fn reproduce(options: &ReproduceOptions, progress: &dyn ReproduceProgress) -> Result<Vec<Row>> {
    let budget = options.budget;
    let names: Vec<String> = if options.presets.is_empty() {
        budget.presets().into_iter().map(String::from).collect()
    } else {
        options.presets.clone()
    };
    for name in &names {
        budget.config(name)?;
    }
    let rows_of = sweep::rows(&names, &options.sweep);
    check_results_path(&options.results).map_err(|reason| TrainError::Io {
        path: options.results.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, reason),
    })?;
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    let machine = machine_description();
    let mut rows = Vec::new();
    for (k, (dir, name, value)) in rows_of.iter().enumerate() {
        progress.row_started(k, rows_of.len(), dir);
        let row = reproduce_row(name, value.as_ref(), options, &out.join(dir), progress)?;
        progress.row_done(&row);
        rows.push(row);
        let table = table_with_finished(out, budget, rows.clone(), progress)?;
        let text = results_markdown(budget, &machine, &table);
        write_atomic(&options.results, text.as_bytes())
            .map_err(|e| TrainError::io(&options.results, e))?;
    }
    Ok(rows)
}

/// `rows` plus every other finished row of `budget` under `out` (rows added by an earlier
/// command with other presets join the table), in the paper's order. A `reproduce.json` that
/// cannot be read is named in a warning and left out.
fn table_with_finished(
    out: &Path,
    budget: Budget,
    mut table: Vec<Row>,
    progress: &dyn ReproduceProgress,
) -> Result<Vec<Row>> {
    let mut entries: Vec<_> = std::fs::read_dir(out)
        .map_err(|e| TrainError::io(out, e))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if table.iter().any(|r| r.key() == name) {
            continue;
        }
        let path = entry.path().join("reproduce.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match serde_json::from_str::<Row>(&text) {
            Ok(r) if r.budget == budget && r.key() == name => table.push(r),
            Ok(_) => {}
            Err(e) => progress.warning(&format!(
                "cannot read {} ({e}); the table leaves that row out",
                path.display()
            )),
        }
    }
    table_order(&mut table);
    Ok(table)
}

/// The protocol of a reproduction's rows for a preset's `[eval]` section.
fn row_protocol(options: &ReproduceOptions, eval: &regretnet_core::EvalConfig) -> Protocol {
    let mut protocol = match options.protocol {
        ProtocolChoice::Default => Protocol::from_config("default", eval),
        ProtocolChoice::Paper => Protocol::paper(),
    };
    if let Some(k) = options.samples {
        protocol.samples = k;
        protocol.name = format!("{}-n{k}", protocol.name);
    }
    protocol
}

/// Train (or resume, or reuse) preset `name`'s run (with the sweep's `value`, if any) in `dir`,
/// evaluate it and compute the baselines on the evaluation's test sample; the row is saved as
/// `reproduce.json` in `dir`.
pub fn reproduce_row(
    name: &str,
    value: Option<&Sweep>,
    options: &ReproduceOptions,
    dir: &Path,
    progress: &dyn ReproduceProgress,
) -> Result<Row> {
    let budget = options.budget;
    let mut config = budget.config(name)?;
    if let Some(v) = value {
        v.apply(&mut config);
        config.validate()?;
    }
    config.regretnet_version = Some(env!("CARGO_PKG_VERSION").to_string());
    if let Some(n) = options.iterations {
        config.train.iterations = n;
    }
    if let Some(k) = options.checkpoint_every {
        config.train.checkpoint_every = k;
    }
    if let Some(k) = options.trace_every {
        config.train.trace_every = k;
        config.validate()?;
    }
    // As the trainer resolves it (and records it in config.toml), so that a rerun recognises
    // its own run.
    config.train.resolve_schedule();
    let protocol = row_protocol(options, &config.eval);
    let saved = dir.join("reproduce.json");
    // The protocol as saved (its chunk size is not part of it).
    let recorded = Protocol {
        chunk: 0,
        ..protocol.clone()
    };
    let same = |c: &regretnet_core::Config| {
        (&c.setting, &c.net, &c.train) == (&config.setting, &config.net, &config.train)
    };
    if let Ok(text) = std::fs::read_to_string(&saved) {
        let same_config = RunDir::open(dir)
            .and_then(|r| r.read_config())
            .is_ok_and(|c| same(&c));
        match serde_json::from_str::<Row>(&text) {
            Ok(row)
                if row.budget == budget
                    && row.sweep.as_ref() == value
                    && row.protocol_detail.as_ref() == Some(&recorded)
                    && row.iterations == config.train.iterations
                    && same_config =>
            {
                progress.message(&format!("reusing {}", saved.display()));
                return Ok(row);
            }
            Ok(_) => progress.message(&format!(
                "{} was made under another protocol or configuration: evaluating again",
                saved.display()
            )),
            Err(e) => progress.warning(&format!(
                "cannot read {} ({e}); evaluating the row again",
                saved.display()
            )),
        }
    }
    let (run, mut trainer) = if dir.join("config.toml").exists() {
        let run = RunDir::open(dir)?;
        if !same(&run.read_config()?) {
            return Err(TrainError::RunDir {
                path: dir.display().to_string(),
                reason: format!(
                    "holds a run with another configuration than `{name}` under the {} budget; \
                     pass another --out or remove it",
                    budget.name()
                ),
            });
        }
        if run.checkpoints()?.is_empty() {
            let trainer = restart_run(&run, config.clone(), &mut |w| progress.warning(w))?;
            (run, trainer)
        } else {
            let trainer = resume_latest(&run, &mut |w| progress.warning(w))?;
            (run, trainer)
        }
    } else {
        create_run(dir, config.clone(), false)?
    };
    let mut train_seconds = 0.0;
    if trainer.iteration() < config.train.iterations {
        let verb = match trainer.iteration() {
            0 => "training".to_string(),
            k => format!("resuming at iteration {k}"),
        };
        progress.train_started(
            trainer.iteration(),
            config.train.iterations,
            &format!(
                "{verb} {name} for {} iterations into {}",
                config.train.iterations,
                dir.display()
            ),
        );
        let summary = train_in_run(
            &mut trainer,
            &run,
            options.threads,
            options.stop.clone(),
            &mut |e| progress.train_event(&e),
        );
        progress.train_finished();
        let summary = summary?;
        match (&summary.validation, summary.interrupted) {
            (Some(v), false) => train_seconds = v.seconds,
            _ => {
                return Err(TrainError::Interrupted(format!(
                    "stopped in {name} at iteration {}, checkpoint written; run the same \
                     `regretnet reproduce` command again to continue",
                    summary.iterations
                )))
            }
        }
    }
    let (iteration, path) = run.latest_checkpoint()?;
    let start = Instant::now();
    let tick = |phase: Phase, done: usize| {
        progress.eval_tick(phase, done, protocol.phase_profiles(phase));
    };
    let saved_eval = evaluate_checkpoint(&run, &path, &protocol, options.threads, Some(&tick));
    progress.eval_finished();
    let (saved_eval, ckpt) = saved_eval?;
    let report = saved_eval.report;
    // A run trained by an earlier command (evaluated again now): its own training time.
    if train_seconds == 0.0 {
        train_seconds = ckpt
            .metadata
            .get("elapsed_seconds")
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    }
    let eval_seconds = start.elapsed().as_secs_f64();
    match refresh_report(&run) {
        Ok(path) => progress.message(&format!("report: {}", path.display())),
        Err(e) => progress.warning(&format!("could not draw the run's figures: {e}")),
    }
    // The evaluation's own test sample: same seed, same stream, same count.
    let setting = config.setting.build()?;
    let profiles = setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    );
    let ours: Vec<f64> = report
        .per_profile_revenue
        .iter()
        .map(|&r| r as f64)
        .collect();
    let row = Row {
        preset: name.to_string(),
        budget,
        protocol: protocol.name.clone(),
        iterations: iteration,
        samples: protocol.samples,
        revenue: report.revenue,
        revenue_se: report.revenue_se,
        gradient_regret: report.gradient.mean,
        audited_regret: report.regret,
        audit_to_gradient: report.audit_to_gradient,
        baselines: paired_with(&setting, &profiles, &ours),
        train_seconds,
        eval_seconds,
        command: options.command.clone(),
        estimates: report.estimates.clone(),
        protocol_detail: Some(recorded),
        net: config.net.kind,
        allocation_distance: report.allocation_distance,
        sweep: value.copied(),
        regret_target_start: config.train.regret_target_start,
    };
    let text = serde_json::to_string_pretty(&row).map_err(|e| TrainError::Report(e.to_string()))?;
    write_atomic(&saved, text.as_bytes()).map_err(|e| TrainError::io(&saved, e))?;
    Ok(row)
}

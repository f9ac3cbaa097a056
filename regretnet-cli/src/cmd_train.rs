//! `regretnet train`: resolve the config (or resume a run), train, summarise. Ctrl-C stops
//! after the current iteration with a checkpoint (exit 130); a second Ctrl-C quits at once
//! (checkpoint writes are atomic, so nothing is left half-written).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use regretnet_train::core::presets::{self, DEFAULT_PRESET};
use regretnet_train::core::Config;
use regretnet_train::metrics::{truncate_after, CsvSink};
use regretnet_train::{Event, RunDir, TrainSummary, Trainer};

use crate::cli::TrainArgs;
use crate::failure::Failure;
use crate::progress;

fn resolve(args: &TrainArgs) -> Result<Config, Failure> {
    let mut config = match (&args.preset, &args.config) {
        (_, Some(path)) => Config::load(path)?,
        (Some(name), None) => presets::preset(name)?,
        (None, None) => presets::preset(DEFAULT_PRESET)?,
    };
    if let Some(n) = args.iterations {
        config.train.iterations = n;
    }
    if let Some(s) = args.seed {
        config.train.seed = s;
    }
    if let Some(k) = args.trace {
        if k == 0 {
            return Err(Failure::usage(
                "--trace must be at least 1 (iterations between traces)",
            ));
        }
        config.train.trace_every = k;
    }
    config.regretnet_version = Some(env!("CARGO_PKG_VERSION").to_string());
    config.validate()?;
    Ok(config)
}

/// The trainer of the newest checkpoint that resumes; unusable newer ones are renamed
/// `*.unusable` (kept for inspection) with a warning.
pub(crate) fn resume(run: &RunDir) -> Result<Trainer, Failure> {
    let candidates = run.checkpoints()?;
    if candidates.is_empty() {
        return Err(Failure::usage(format!(
            "run directory {} has no checkpoint to resume from (checkpoints/iter-*.safetensors)",
            run.path().display()
        )));
    }
    let mut last_error = String::new();
    for (_, path) in candidates.iter().rev() {
        match Trainer::resume(path) {
            Ok(trainer) => return Ok(trainer),
            Err(e) if e.is_input_error() => {
                let aside = path.with_extension("safetensors.unusable");
                // Warnings are not progress: --quiet does not hide them.
                eprintln!(
                    "warning: {e}\nwarning: moved it to {} and trying the previous checkpoint",
                    aside.display()
                );
                std::fs::rename(path, &aside)
                    .map_err(|io| Failure::Runtime(anyhow::anyhow!("{}: {io}", path.display())))?;
                last_error = e.to_string();
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::usage(format!(
        "no usable checkpoint in {} (tried {}; the last: {last_error})",
        run.path().join("checkpoints").display(),
        candidates.len()
    )))
}

/// The process's Ctrl-C flag: the first Ctrl-C sets it (training stops after the current
/// iteration with a checkpoint), a second one exits at once. One handler per process, shared by
/// every training a command runs (`reproduce` runs several).
pub(crate) fn stop_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let installed = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!(
                "\ninterrupt: writing a checkpoint after this iteration (Ctrl-C again to quit now)"
            );
        });
        if let Err(e) = installed {
            // Training still works; only a clean stop on Ctrl-C does not (a kill still leaves
            // the last periodic checkpoint to resume from).
            eprintln!(
                "warning: cannot catch Ctrl-C ({e}); an interrupt will stop training without \
                 a final checkpoint (resume continues from the last periodic one)"
            );
        }
        stop
    })
    .clone()
}

/// Train `trainer` to its configured iterations in `run` (at `out`), with a progress bar and
/// validation lines on stderr; metrics and checkpoints go to the run directory.
pub(crate) fn train_to_end(
    trainer: &mut Trainer,
    run: &RunDir,
    out: &Path,
    threads: usize,
    quiet: bool,
) -> Result<TrainSummary, Failure> {
    let bidders = trainer.setting().bidders;
    let mut sink = CsvSink::open(run.path(), bidders)?;
    let total = trainer.config().train.iterations;
    let pb = progress::bar(total, "iterations", quiet);
    pb.set_position(trainer.iteration());
    let verb = if trainer.iteration() > 0 {
        format!("resuming at iteration {}", trainer.iteration())
    } else {
        "training".to_string()
    };
    progress::line(
        &pb,
        quiet,
        &format!(
            "{verb} {} for {} iterations into {}",
            trainer.setting().name,
            total,
            out.display()
        ),
    );
    trainer.set_stop_flag(stop_flag());
    trainer.set_threads(threads);
    let summary = trainer.run(&mut sink, Some(run), threads, &mut |event| {
        match event {
            Event::Logged(row) => {
                pb.set_position(row.iteration);
                let rgt = row.regret.iter().sum::<f64>() / row.regret.len() as f64;
                pb.set_message(format!("revenue {:.4} regret {:.2e}", row.revenue, rgt));
            }
            Event::Validated(v) => {
                let rgt = v.regret.iter().sum::<f64>() / v.regret.len() as f64;
                progress::line(
                    &pb,
                    quiet,
                    &format!(
                        "iteration {:>8}  validation revenue {:.4}  regret {:.3e} (max {:.2e})  {:.0} s",
                        v.iteration, v.revenue, rgt, v.regret_max, v.seconds
                    ),
                );
            }
            Event::Checkpoint(_) => {}
        }
    })?;
    pb.finish_and_clear();
    Ok(summary)
}

pub fn run(args: &TrainArgs) -> Result<(), Failure> {
    let quiet = args.quiet;
    if args.iterations == Some(0) {
        return Err(Failure::usage("--iterations must be at least 1"));
    }
    let (run, out, mut trainer) = match &args.resume {
        Some(dir) => {
            let run = RunDir::open(dir)?;
            let mut trainer = resume(&run)?;
            if let Some(n) = args.iterations {
                trainer.set_iterations(n)?;
            }
            // The run's files as they were at the checkpoint, then onwards.
            truncate_after(run.path(), trainer.iteration())?;
            run.write_config(trainer.config())?;
            (run, dir.clone(), trainer)
        }
        None => {
            let config = resolve(args)?;
            let out = args.out.clone().unwrap_or_else(|| {
                PathBuf::from("runs")
                    .join(format!("{}-seed{}", config.setting.name, config.train.seed))
            });
            let run = RunDir::create(&out, args.force)?;
            run.write_config(&config)?;
            (run, out, Trainer::new(config)?)
        }
    };
    if trainer.iteration() >= trainer.config().train.iterations {
        println!(
            "run {} is complete ({} iterations); pass --iterations to extend it",
            out.display(),
            trainer.iteration()
        );
        return Ok(());
    }
    let summary = train_to_end(&mut trainer, &run, &out, args.threads.count as usize, quiet)?;
    let v = match (&summary.validation, summary.interrupted) {
        (Some(v), false) => v,
        _ => {
            return Err(Failure::Interrupted(anyhow::anyhow!(
                "stopped at iteration {}, checkpoint written; continue with `regretnet train --resume {}`",
                summary.iterations,
                out.display()
            )))
        }
    };
    crate::cmd_plot::refresh_report(&run, quiet || args.json);
    let regret = v.regret.iter().sum::<f64>() / v.regret.len() as f64;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "iterations": summary.iterations,
                "seconds": summary.seconds,
                "revenue": v.revenue,
                "regret": regret,
                "regret_per_bidder": v.regret,
                "run_dir": out.display().to_string(),
            })
        );
    } else {
        println!(
            "trained {} iterations in {:.1} s: validation revenue {:.4}, regret {:.3e}\nrun directory: {}\nnext: regretnet eval {}",
            summary.iterations,
            summary.seconds,
            v.revenue,
            regret,
            out.display(),
            out.display()
        );
    }
    Ok(())
}

//! `regretnet train`: resolve the config (or resume a run), train, summarise. Ctrl-C stops
//! after the current iteration with a checkpoint (exit 130); a second Ctrl-C quits at once
//! (checkpoint writes are atomic, so nothing is left half-written).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use regretnet_train::analysis::plot::refresh_report;
use regretnet_train::core::presets::{self, DEFAULT_PRESET};
use regretnet_train::core::{Config, NetKind};
use regretnet_train::tools::reproduce::ReproduceProgress;
use regretnet_train::train::{create_run, resume_run};
use regretnet_train::train_in_run;

use crate::cli::TrainArgs;
use crate::failure::Failure;
use crate::progress::Display;

fn resolve(args: &TrainArgs) -> Result<Config, Failure> {
    let kind = args.net.map(|n| n.kind());
    let name = args.preset.as_deref().unwrap_or(DEFAULT_PRESET);
    let mut config = match (&args.config, kind, args.menu) {
        (Some(path), _, _) => Config::load(path)?,
        // A preset's AMA takes its menu's own learning rate.
        (None, Some(NetKind::Ama), Some(menu)) => presets::preset_with_menu(name, menu.kind())?,
        (None, _, _) => presets::preset_with_net(name, kind.unwrap_or_default())?,
    };
    if let (Some(kind), Some(_)) = (kind, &args.config) {
        config.net.kind = kind;
    }
    if let Some(menu) = args.menu {
        config.net.menu = menu.kind();
    }
    if args.itemwise {
        config.net.itemwise = true;
    }
    if let Some(target) = args.regret_target {
        config.train.regret_target = Some(target);
    }
    if let Some(start) = args.regret_target_start {
        config.train.regret_target_start = Some(start);
    }
    if let Some(k) = args.teacher_iterations {
        config.train.teacher = Some(regretnet_train::core::Teacher::ItemwiseMyerson);
        config.train.teacher_iterations = k;
    }
    if let Some(tau) = args.teacher_temperature {
        config.train.teacher_temperature = tau;
    }
    if let Some(w) = args.teacher_weight {
        config.train.teacher_weight = w;
    }
    if let Some(tau) = args.myerson_base {
        config.net.base = Some(regretnet_train::core::NetBase::ItemwiseMyerson);
        config.net.base_temperature = Some(tau);
    }
    if let Some(n) = args.iterations {
        config.train.iterations = n;
    }
    if let Some(s) = args.seed {
        config.train.seed = s;
    }
    if let Some(k) = args.shards {
        config.train.shards = k as usize;
    }
    if let Some(path) = &args.init_from {
        config.train.init_from = Some(path.display().to_string());
    }
    if args.init_misreports {
        config.train.init_misreports = true;
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

/// The worker threads of training: `--threads` when given (refused above `train.shards`,
/// which would idle), else the machine's parallelism up to the shard count.
fn training_threads(args: &TrainArgs, shards: usize) -> Result<usize, Failure> {
    match args.threads.given {
        Some(t) if t as usize > shards => Err(Failure::usage(format!(
            "--threads {t} is more than train.shards = {shards}: each training iteration runs \
             one shard per thread, so the other threads would idle; raise train.shards (or \
             --shards for a new run) to use them (another shard count sums in another order: \
             other bits, the same at any thread count)"
        ))),
        _ => Ok(args.threads.count().min(shards)),
    }
}

pub fn run(args: &TrainArgs) -> Result<(), Failure> {
    let quiet = args.quiet;
    let display = Display::new(quiet);
    if args.iterations == Some(0) {
        return Err(Failure::usage("--iterations must be at least 1"));
    }
    let (run, out, mut trainer, threads) = match &args.resume {
        Some(dir) => {
            let (run, trainer) =
                resume_run(dir, args.iterations, args.tail, &mut |w| display.warning(w))?;
            let threads = training_threads(args, trainer.config().train.shards)?;
            (run, dir.clone(), trainer, threads)
        }
        None => {
            let config = resolve(args)?;
            let threads = training_threads(args, config.train.shards)?;
            let out = args.out.clone().unwrap_or_else(|| {
                PathBuf::from("runs")
                    .join(format!("{}-seed{}", config.setting.name, config.train.seed))
            });
            let (run, trainer) = create_run(&out, config, args.force)?;
            if args.init_only {
                let path = run.checkpoint_path(0);
                trainer.save_checkpoint(&path)?;
                println!(
                    "wrote {} (the weights of {} at iteration 0)\nnext: regretnet eval {} \
                     (or regretnet train --resume {} to fine-tune)",
                    path.display(),
                    args.init_from
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string()),
                    out.display(),
                    out.display()
                );
                return Ok(());
            }
            (run, out, trainer, threads)
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
    let verb = match trainer.iteration() {
        0 => "training".to_string(),
        k => format!("resuming at iteration {k}"),
    };
    let total = trainer.config().train.iterations;
    display.train_started(
        trainer.iteration(),
        total,
        &format!(
            "{verb} {} for {total} iterations into {}",
            trainer.setting().name,
            out.display()
        ),
    );
    let summary = train_in_run(&mut trainer, &run, threads, Some(stop_flag()), &mut |e| {
        display.train_event(&e)
    });
    display.train_finished();
    let summary = summary?;
    let (Some(json), Some(v)) = (summary.to_json(&out), summary.validation.as_ref()) else {
        return Err(Failure::Interrupted(anyhow::anyhow!(
            "stopped at iteration {}, checkpoint written; continue with `regretnet train --resume {}`",
            summary.iterations,
            out.display()
        )));
    };
    match refresh_report(&run) {
        Ok(path) if !(quiet || args.json) => eprintln!("report: {}", path.display()),
        Ok(_) => {}
        Err(e) => display.warning(&format!("could not draw the run's figures: {e}")),
    }
    let regret = json["regret"].as_f64().unwrap_or(f64::NAN);
    if args.json {
        println!("{json}");
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

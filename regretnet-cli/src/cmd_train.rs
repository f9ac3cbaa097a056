//! `regretnet train`: resolve the config, create the run directory, train, summarise.

use std::path::PathBuf;

use regretnet_train::core::presets::{self, DEFAULT_PRESET};
use regretnet_train::core::Config;
use regretnet_train::metrics::CsvSink;
use regretnet_train::{Event, RunDir, Trainer};

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
        if n == 0 {
            return Err(Failure::usage("--iterations must be at least 1"));
        }
        config.train.iterations = n;
    }
    if let Some(s) = args.seed {
        config.train.seed = s;
    }
    config.regretnet_version = Some(env!("CARGO_PKG_VERSION").to_string());
    config.validate()?;
    Ok(config)
}

pub fn run(args: &TrainArgs) -> Result<(), Failure> {
    let config = resolve(args)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{}-seed{}", config.setting.name, config.train.seed))
    });
    let run = RunDir::create(&out, args.force)?;
    run.write_config(&config)?;
    let mut sink = CsvSink::open(run.path(), config.setting.bidders)?;
    let total = config.train.iterations;
    let quiet = args.quiet;
    let pb = progress::bar(total, "iterations", quiet);
    progress::line(
        &pb,
        quiet,
        &format!(
            "training {} for {} iterations into {}",
            config.setting.name,
            total,
            out.display()
        ),
    );
    let mut trainer = Trainer::new(config)?;
    let summary = trainer.run(&mut sink, Some(&run), args.threads.count as usize, &mut |event| {
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
    let v = &summary.validation;
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

//! `regretnet frontier`: evaluate every kept checkpoint of a run and write the revenue-regret
//! frontier (`regretnet_train::frontier`) as `frontier-<protocol>.json` and `.md` in the run.

use regretnet_train::frontier::frontier;
use regretnet_train::nets::checkpoint::write_atomic;
use regretnet_train::{Protocol, RunDir, TrainError};

use crate::cli::FrontierArgs;
use crate::cmd_eval::protocol_name;
use crate::failure::Failure;

pub fn run(args: &FrontierArgs) -> Result<(), Failure> {
    if args.bounds.is_empty() || args.bounds.iter().any(|b| !(b.is_finite() && *b >= 0.0)) {
        return Err(Failure::usage(format!(
            "--bounds must be non-negative numbers, not {:?}",
            args.bounds
        )));
    }
    let run = RunDir::open(&args.run_dir)?;
    let config = run.read_config()?;
    let base = Protocol::from_config("default", &config.eval);
    let mut protocol = base.clone();
    if let Some(k) = args.samples {
        protocol.samples = k as usize;
    }
    if let Some(r) = args.restarts {
        protocol.restarts = r as usize;
    }
    if let Some(s) = args.steps {
        protocol.steps = s as usize;
    }
    protocol.name = protocol_name(&base, &protocol);
    let total = run.checkpoints()?.len();
    if !args.quiet {
        eprintln!(
            "evaluating {total} checkpoints of {} under protocol {} ({} profiles each)",
            args.run_dir.display(),
            protocol.name,
            protocol.samples
        );
    }
    let quiet = args.quiet;
    let progress = move |done: usize, all: usize| {
        if !quiet {
            eprintln!("  {done}/{all} checkpoints");
        }
    };
    let f = frontier(
        &run,
        &protocol,
        &args.bounds,
        args.threads.count as usize,
        Some(&progress),
    )?;
    let json = serde_json::to_string_pretty(&f).map_err(|e| Failure::Runtime(e.into()))?;
    let md = f.to_markdown();
    for (ext, text) in [("json", &json), ("md", &md)] {
        let path = args
            .run_dir
            .join(format!("frontier-{}.{ext}", protocol.name));
        write_atomic(&path, text.as_bytes()).map_err(|e| {
            Failure::from(TrainError::Io {
                path: path.display().to_string(),
                source: e,
            })
        })?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{md}");
    }
    Ok(())
}

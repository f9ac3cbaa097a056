//! `regretnet frontier`: evaluate every kept checkpoint of a run and write the revenue-regret
//! frontier (`regretnet_train::eval::frontier`) as `frontier-<protocol>.json` and `.md` in the run.

use regretnet_train::eval::frontier::frontier;
use regretnet_train::{Protocol, RunDir};

use crate::cli::FrontierArgs;
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
    protocol.name = protocol.name_against(&base);
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
        args.threads.count(),
        Some(&progress),
    )?;
    f.save(&run)?;
    if args.json {
        let json = serde_json::to_string_pretty(&f).map_err(|e| Failure::Runtime(e.into()))?;
        println!("{json}");
    } else {
        print!("{}", f.to_markdown());
    }
    Ok(())
}

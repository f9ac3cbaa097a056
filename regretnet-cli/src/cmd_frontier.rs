//! `regretnet frontier`: evaluate every kept checkpoint of one or more runs of a setting and
//! write the revenue-regret frontier (`regretnet_train::eval::frontier`) as
//! `frontier-<protocol>.json` and `.md`: in the run, or for several runs in `--out` (default:
//! the first run's parent directory).

use std::path::PathBuf;

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
    let runs = args
        .run_dirs
        .iter()
        .map(|p| RunDir::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    let config = runs[0].read_config()?;
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
    let out = match (&args.out, runs.len()) {
        (Some(dir), _) => dir.clone(),
        (None, 1) => runs[0].path().to_path_buf(),
        (None, _) => match runs[0].path().parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    if !out.is_dir() {
        return Err(Failure::usage(format!(
            "--out {} is not a directory",
            out.display()
        )));
    }
    let mut total = 0;
    for run in &runs {
        total += run.checkpoints()?.len();
    }
    if !args.quiet {
        eprintln!(
            "evaluating {total} checkpoints of {} run(s) under protocol {} ({} profiles each)",
            runs.len(),
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
        &runs,
        &protocol,
        &args.bounds,
        args.threads.count(),
        Some(&progress),
    )?;
    let [_, md] = f.save(&out)?;
    if !args.quiet {
        eprintln!("frontier written to {}", md.display());
    }
    if args.json {
        let json = serde_json::to_string_pretty(&f).map_err(|e| Failure::Runtime(e.into()))?;
        println!("{json}");
    } else {
        print!("{}", f.to_markdown());
    }
    Ok(())
}

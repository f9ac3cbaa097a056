//! `regretnet probe`: the explainability analyses of a traced run, or the aggregate of several
//! seeds (docs/EXPLAINABILITY.md).

use std::path::{Path, PathBuf};

use regretnet_train::probe::seeds::{check_runs, read_summary};
use regretnet_train::probe::{aggregate, probe_run, write_aggregate, write_probe, ProbeConfig};
use regretnet_train::RunDir;

use crate::cli::ProbeArgs;
use crate::failure::Failure;

fn config(args: &ProbeArgs) -> Result<ProbeConfig, Failure> {
    if !(args.threshold.is_finite() && args.threshold > 0.0) {
        return Err(Failure::usage("--threshold must be a positive number"));
    }
    if args.grid == 1 {
        return Err(Failure::usage(
            "--grid 1 is not a grid: use 0 (no audit) or at least 2",
        ));
    }
    Ok(ProbeConfig {
        samples: args.samples as usize,
        regret_threshold: args.threshold,
        restarts: args.restarts as usize,
        steps: args.steps as usize,
        grid: args.grid as usize,
        ..ProbeConfig::default()
    })
}

/// Probe one run and write `<run>/probe/`.
fn probe_one(path: &Path, config: &ProbeConfig, args: &ProbeArgs) -> Result<(), Failure> {
    let run = RunDir::open(path)?;
    let quiet = args.quiet;
    if !quiet {
        eprintln!("probing {}", path.display());
    }
    let summary = probe_run(&run, config, args.threads.count as usize, &|line| {
        if !quiet {
            eprintln!("  {line}");
        }
    })?;
    let trace = regretnet_train::probe::analysis::read_trace(&run)?;
    for f in write_probe(path, &summary, &trace)? {
        println!("wrote {}", f.display());
    }
    println!(
        "verdict for {}: {}",
        path.display(),
        summary.verdict.overall
    );
    Ok(())
}

pub fn run(args: &ProbeArgs) -> Result<(), Failure> {
    let config = config(args)?;
    if let Some(dir) = &args.run_dir {
        return probe_one(dir, &config, args);
    }
    check_runs(&args.runs)?;
    let mut summaries = Vec::new();
    for dir in &args.runs {
        let have = dir.join("probe").join("summary.json").is_file();
        if args.fresh || !have {
            probe_one(dir, &config, args)?;
        } else if !args.quiet {
            eprintln!(
                "{}: using its probe/summary.json (--fresh to redo)",
                dir.display()
            );
        }
        let summary = read_summary(dir)?;
        if summary.config != config {
            eprintln!(
                "warning: {} was probed with other settings (threshold {:e}, {} samples); \
                 its summary is used as it is (--fresh to probe it again)",
                dir.display(),
                summary.config.regret_threshold,
                summary.config.samples
            );
        }
        summaries.push(summary);
    }
    let agg = aggregate(&summaries)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("probe-{}", agg.setting)));
    for f in write_aggregate(&out, &agg)? {
        println!("wrote {}", f.display());
    }
    for c in &agg.claims {
        println!("{}: {}", c.id, c.status);
    }
    Ok(())
}

//! `regretnet probe`: the explainability analyses of a traced run, or the aggregate of several
//! seeds (docs/EXPLAINABILITY.md).

use std::path::{Path, PathBuf};

use regretnet_train::analysis::probe::{
    probe_and_write, probe_seeds, ProbeConfig, ProbeProgress, ProbeSummary,
};

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

/// Progress lines on stderr (unless quiet), warnings always, written files and the verdict
/// on stdout.
struct Lines {
    quiet: bool,
}

impl ProbeProgress for Lines {
    fn message(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }
    fn warning(&self, text: &str) {
        eprintln!("warning: {text}");
    }
    fn probed(&self, run: &Path, summary: &ProbeSummary, written: &[PathBuf]) {
        for f in written {
            println!("wrote {}", f.display());
        }
        println!("verdict for {}: {}", run.display(), summary.verdict.overall);
    }
}

pub fn run(args: &ProbeArgs) -> Result<(), Failure> {
    let config = config(args)?;
    let lines = Lines { quiet: args.quiet };
    let threads = args.threads.count();
    if let Some(dir) = &args.run_dir {
        probe_and_write(dir, &config, threads, &lines)?;
        return Ok(());
    }
    let (agg, written) = probe_seeds(
        &args.runs,
        &config,
        args.fresh,
        args.out.as_deref(),
        threads,
        &lines,
    )?;
    for f in written {
        println!("wrote {}", f.display());
    }
    for c in &agg.claims {
        println!("{}: {}", c.id, c.status);
    }
    Ok(())
}

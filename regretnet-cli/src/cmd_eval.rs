//! `regretnet eval`: load a run's checkpoint and evaluate it under a named protocol.

use regretnet_train::core::{ConfigError, EvalConfig};
use regretnet_train::eval::evaluate_checkpoint;
use regretnet_train::eval::ProtocolOverrides;
use regretnet_train::tools::reproduce::ReproduceProgress;
use regretnet_train::{Phase, Protocol, RunDir};

use crate::cli::{EvalArgs, ProtocolName};
use crate::failure::Failure;
use crate::progress::Display;

pub fn run(args: &EvalArgs) -> Result<(), Failure> {
    let run = RunDir::open(&args.run_dir)?;
    let config = run.read_config()?;
    let path = match &args.checkpoint {
        Some(p) => p.clone(),
        None => run.latest_checkpoint()?.1,
    };
    let protocol = protocol_of(args, &config.eval)?;
    if !args.quiet {
        eprintln!(
            "evaluating {} under protocol {} ({} profiles, {} threads)",
            path.display(),
            protocol.name,
            protocol.samples,
            args.threads.count()
        );
    }
    let display = Display::new(args.quiet);
    let tick = |phase: Phase, done: usize| {
        display.eval_tick(phase, done, protocol.phase_profiles(phase));
    };
    let saved = evaluate_checkpoint(&run, &path, &protocol, args.threads.count(), Some(&tick));
    display.eval_finished();
    let (saved, _) = saved?;
    let report = &saved.report;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&saved.json).map_err(|e| Failure::Runtime(e.into()))?
        );
    } else {
        print!("{}", report.to_text());
        println!("saved        {}", saved.path.display());
    }
    match args.max_regret {
        Some(limit) if report.regret > limit => Err(Failure::Runtime(anyhow::anyhow!(
            "audited regret {:.4e} exceeds --max-regret {limit:e}",
            report.regret
        ))),
        _ => Ok(()),
    }
}

/// The named protocol with the flags' overrides ([`ProtocolOverrides`], the checks the Python
/// package shares); a name that spells out every override, so that saved evaluations of
/// different strengths never overwrite each other.
fn protocol_of(args: &EvalArgs, eval: &EvalConfig) -> Result<Protocol, Failure> {
    let base = match args.protocol {
        ProtocolName::Default => Protocol::from_config("default", eval),
        ProtocolName::Paper => Protocol::paper(),
    };
    if let Some(x) = args.max_regret {
        if !(x.is_finite() && x >= 0.0) {
            return Err(Failure::usage(format!(
                "--max-regret must be a non-negative number, not {x}"
            )));
        }
    }
    let overrides = ProtocolOverrides {
        restarts: args.restarts,
        steps: args.steps,
        samples: args.samples,
        regret_samples: args.regret_samples,
        grid: args.grid,
        coordinate_grid: args.coordinate_grid,
        pair_samples: args.pair_samples,
        reference_samples: args.reference_samples,
        reference_restarts: args.reference_restarts,
        reference_steps: args.reference_steps,
        certify: Some(args.certify),
        tol: args.tol,
        budget: args.budget,
        certify_samples: args.certify_samples,
        symmetrize: Some(args.symmetrize),
    };
    overrides.apply(&base).map_err(|e| match e {
        // Named as the flag the user typed.
        ConfigError::Invalid { field, reason, .. } => {
            Failure::usage(format!("--{} {reason}", field.replace('_', "-")))
        }
        other => other.into(),
    })
}

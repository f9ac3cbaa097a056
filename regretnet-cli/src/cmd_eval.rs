//! `regretnet eval`: load a run's checkpoint and evaluate it under a named protocol.

use regretnet_train::core::EvalConfig;
use regretnet_train::eval::evaluate_checkpoint;
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

/// The named protocol with the flags' overrides; a name that spells out every override, so
/// that saved evaluations of different strengths never overwrite each other.
fn protocol_of(args: &EvalArgs, eval: &EvalConfig) -> Result<Protocol, Failure> {
    let mut protocol = match args.protocol {
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
    if args.grid == Some(1) {
        return Err(Failure::usage(
            "--grid 1 is not a grid: use 0 (no audit) or 2 to 4001 points per coordinate",
        ));
    }
    if args.coordinate_grid == Some(1) {
        return Err(Failure::usage(
            "--coordinate-grid 1 is not a grid: use 0 (item-wise grid only) or 2 to 1001 values \
             per item",
        ));
    }
    let base = protocol.clone();
    let set = |field: &mut usize, flag: Option<u64>| {
        if let Some(x) = flag {
            *field = x as usize;
        }
    };
    set(&mut protocol.restarts, args.restarts);
    set(&mut protocol.steps, args.steps);
    set(&mut protocol.samples, args.samples);
    set(&mut protocol.regret_samples, args.regret_samples);
    set(&mut protocol.grid, args.grid);
    set(&mut protocol.coordinate_grid, args.coordinate_grid);
    set(&mut protocol.pair_samples, args.pair_samples);
    set(&mut protocol.reference_samples, args.reference_samples);
    set(&mut protocol.reference_restarts, args.reference_restarts);
    set(&mut protocol.reference_steps, args.reference_steps);
    if args.certify {
        protocol.certify = true;
        if let Some(t) = args.tol {
            if !(t.is_finite() && t > 0.0) {
                return Err(Failure::usage(format!(
                    "--tol must be a positive number, not {t}"
                )));
            }
            protocol.certify_tol = t;
        }
        set(&mut protocol.certify_budget, args.budget);
        set(&mut protocol.certify_samples, args.certify_samples);
    }
    protocol.name = protocol.name_against(&base);
    Ok(protocol)
}

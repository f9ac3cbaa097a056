//! `regretnet eval`: load a run's checkpoint and evaluate it under a named protocol.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indicatif::ProgressBar;
use regretnet_train::core::{EvalConfig, Setting};
use regretnet_train::nets::{checkpoint, Checkpoint, NetSpec};
use regretnet_train::{evaluate, EvalReport, Phase, Protocol, RunDir, TrainError};

use crate::cli::{EvalArgs, ProtocolName};
use crate::failure::Failure;
use crate::progress;

pub fn run(args: &EvalArgs) -> Result<(), Failure> {
    let run = RunDir::open(&args.run_dir)?;
    let config = run.read_config()?;
    let setting = config.setting.build()?;
    let path = match &args.checkpoint {
        Some(p) => p.clone(),
        None => run.latest_checkpoint()?.1,
    };
    let spec = NetSpec {
        setting: config.setting.clone(),
        net: config.net.clone(),
    };
    let ckpt = checkpoint::load_expecting(&path, &spec)?;
    let protocol = protocol_of(args, &config.eval)?;
    if !args.quiet {
        eprintln!(
            "evaluating {} under protocol {} ({} profiles, {} threads)",
            path.display(),
            protocol.name,
            protocol.samples,
            args.threads.count
        );
    }
    let (report, flat, out) = evaluate_and_save(
        &run,
        &args.run_dir,
        &path,
        &ckpt,
        &setting,
        &protocol,
        args.threads.count as usize,
        args.quiet,
    )?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&flat).map_err(|e| Failure::Runtime(e.into()))?
        );
    } else {
        print!("{}", report.to_text());
        println!("saved        {}", out.display());
    }
    match args.max_regret {
        Some(limit) if report.regret > limit => Err(Failure::Runtime(anyhow::anyhow!(
            "audited regret {:.4e} exceeds --max-regret {limit:e}",
            report.regret
        ))),
        _ => Ok(()),
    }
}

/// Evaluate checkpoint `path` (loaded as `ckpt`) of the run at `run_dir` under `protocol`,
/// with progress bars on stderr, and save the report with its origin as
/// `eval-<protocol>.json` in the run directory. Returns the report, the saved JSON and its path.
#[allow(clippy::too_many_arguments)]
pub(crate) fn evaluate_and_save(
    run: &RunDir,
    run_dir: &Path,
    path: &Path,
    ckpt: &Checkpoint,
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    quiet: bool,
) -> Result<(EvalReport, serde_json::Value, PathBuf), Failure> {
    let current: Mutex<Option<(Phase, ProgressBar)>> = Mutex::new(None);
    let report = {
        let tick = |phase: Phase, done: usize| {
            let mut cur = current.lock().expect("progress lock");
            if cur.as_ref().map(|(p, _)| *p) != Some(phase) {
                if let Some((_, old)) = cur.take() {
                    old.finish_and_clear();
                }
                // Regret runs on the first `regret_profiles`; the reference on fewer.
                let total = match phase {
                    Phase::Reference => protocol.reference_samples.min(protocol.regret_profiles()),
                    _ => protocol.regret_profiles(),
                };
                let pb = progress::bar(total as u64, "profiles", quiet);
                pb.set_message(phase.to_string());
                *cur = Some((phase, pb));
            }
            if let Some((_, pb)) = cur.as_ref() {
                pb.set_position(done as u64);
            }
        };
        evaluate(&ckpt.net, setting, protocol, threads, Some(&tick))?
    };
    if let Some((_, pb)) = current.lock().expect("progress lock").take() {
        pb.finish_and_clear();
    }
    // The report's fields plus where it came from, as one flat object (`--json` and the file).
    let mut flat = serde_json::to_value(&report).map_err(|e| Failure::Runtime(e.into()))?;
    if let Some(obj) = flat.as_object_mut() {
        obj.insert("run_dir".into(), run_dir.display().to_string().into());
        obj.insert("checkpoint".into(), path.display().to_string().into());
        let iteration = ckpt
            .metadata
            .get("iteration")
            .and_then(|s| s.parse::<u64>().ok());
        obj.insert("iteration".into(), iteration.into());
    }
    let text = serde_json::to_string_pretty(&flat).map_err(|e| Failure::Runtime(e.into()))?;
    let per_profile = run.eval_regret_path(&protocol.name);
    regretnet_train::nets::checkpoint::write_atomic(
        &per_profile,
        report.per_profile_csv().as_bytes(),
    )
    .map_err(|e| {
        Failure::Runtime(
            TrainError::Io {
                path: per_profile.display().to_string(),
                source: e,
            }
            .into(),
        )
    })?;
    let out = run.eval_path(&protocol.name);
    regretnet_train::nets::checkpoint::write_atomic(&out, text.as_bytes()).map_err(|e| {
        Failure::Runtime(
            TrainError::Io {
                path: out.display().to_string(),
                source: e,
            }
            .into(),
        )
    })?;
    Ok((report, flat, out))
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
    protocol.name = protocol_name(&base, &protocol);
    Ok(protocol)
}

/// The name of `protocol`, `base` with overrides: `base`'s name when nothing differs, else the
/// name followed by every search and audit setting, and the reference search's when it runs.
/// A flag that repeats the protocol's own value renames nothing.
pub(crate) fn protocol_name(base: &Protocol, protocol: &Protocol) -> String {
    let mut name = base.name.clone();
    let core = |p: &Protocol| (p.restarts, p.steps, p.samples, p.grid);
    let audit = |p: &Protocol| (p.coordinate_grid, p.pair_samples, p.regret_samples);
    let reference = |p: &Protocol| (p.reference_samples, p.reference_restarts, p.reference_steps);
    if core(base) != core(protocol) || audit(base) != audit(protocol) {
        name += &format!(
            "-r{}-s{}-n{}-g{}",
            protocol.restarts, protocol.steps, protocol.samples, protocol.grid
        );
    }
    if audit(base) != audit(protocol) {
        name += &format!(
            "-c{}-p{}-k{}",
            protocol.coordinate_grid, protocol.pair_samples, protocol.regret_samples
        );
    }
    if reference(base) != reference(protocol) && protocol.reference_samples > 0 {
        name += &format!(
            "-ref{}x{}x{}",
            protocol.reference_samples, protocol.reference_restarts, protocol.reference_steps
        );
    }
    name
}

//! `regretnet eval`: load a run's checkpoint and evaluate it under a named protocol.

use regretnet_train::nets::{checkpoint, NetSpec};
use regretnet_train::{evaluate, Protocol, RunDir, TrainError};

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
    let mut protocol = match args.protocol {
        ProtocolName::Default => Protocol::from_config("default", &config.eval),
        ProtocolName::Paper => Protocol::paper(),
    };
    let overridden = args.restarts.is_some() || args.steps.is_some() || args.samples.is_some();
    if let Some(r) = args.restarts {
        protocol.restarts = r as usize;
    }
    if let Some(s) = args.steps {
        protocol.steps = s as usize;
    }
    if let Some(k) = args.samples {
        protocol.samples = k as usize;
    }
    if overridden {
        protocol.name = format!(
            "{}-r{}-s{}-n{}",
            protocol.name, protocol.restarts, protocol.steps, protocol.samples
        );
    }
    let pb = progress::bar(protocol.samples as u64, "profiles", args.quiet);
    progress::line(
        &pb,
        args.quiet,
        &format!(
            "evaluating {} ({} profiles x {} starts x {} steps, {} threads)",
            path.display(),
            protocol.samples,
            protocol.restarts,
            protocol.steps,
            args.threads.count
        ),
    );
    let report = {
        let tick = |done: usize| pb.set_position(done as u64);
        evaluate(
            &ckpt.net,
            &setting,
            &protocol,
            args.threads.count as usize,
            Some(&tick),
        )?
    };
    pb.finish_and_clear();
    // The report's fields plus where it came from, as one flat object (`--json` and the file).
    let mut flat = serde_json::to_value(&report).map_err(|e| Failure::Runtime(e.into()))?;
    if let Some(obj) = flat.as_object_mut() {
        obj.insert("run_dir".into(), args.run_dir.display().to_string().into());
        obj.insert("checkpoint".into(), path.display().to_string().into());
        let iteration = ckpt
            .metadata
            .get("iteration")
            .and_then(|s| s.parse::<u64>().ok());
        obj.insert("iteration".into(), iteration.into());
    }
    let text = serde_json::to_string_pretty(&flat).map_err(|e| Failure::Runtime(e.into()))?;
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
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&flat).map_err(|e| Failure::Runtime(e.into()))?
        );
    } else {
        print!("{}", report.to_text());
        println!("saved        {}", out.display());
    }
    Ok(())
}

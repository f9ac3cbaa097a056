//! `regretnet reproduce --slurm | --status DIR | --collect DIR`: a reproduction handed to
//! Slurm as a job array, where each row stands, and the table of the finished rows
//! (`regretnet_train::tools::reproduce::{slurm, status}`, docs/CLUSTER.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use regretnet_train::tools::reproduce::slurm::{prepare, Plan, SlurmOptions};
use regretnet_train::tools::reproduce::status::{collect_into, row_states};
use regretnet_train::tools::reproduce::Budget;

use crate::cli::{ProtocolName, ReproduceArgs};
use crate::failure::Failure;

/// Write the array script (and the plan) under the output directory and submit it.
pub fn submit(args: &ReproduceArgs, budget: Budget, out: &Path) -> Result<(), Failure> {
    let rows: Vec<String> = if args.only.is_empty() {
        budget.presets().into_iter().map(String::from).collect()
    } else {
        args.only.clone()
    };
    let plan = Plan {
        budget,
        rows,
        paper_protocol: args.protocol == ProtocolName::Paper,
        iterations: args.iterations,
        samples: args.samples.map(|k| k as usize),
        checkpoint_every: args.checkpoint_every,
        trace_every: args.trace,
        sweep: crate::cmd_reproduce::sweep_of(args),
    };
    let mut slurm = match &args.slurm_config {
        Some(path) => SlurmOptions::load(path)?,
        None => SlurmOptions::default(),
    };
    slurm = slurm.overridden_by(SlurmOptions {
        partition: args.partition.clone(),
        time: args.time.clone(),
        cpus_per_task: args.cpus_per_task.map(|n| n as usize),
        mem: args.mem.clone(),
        extra: args.sbatch_arg.clone(),
    });
    // Tasks run the binary that wrote the script.
    let binary = std::env::current_exe()
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("cannot find the regretnet binary: {e}")))?;
    let prepared = prepare(&plan, out, &binary, &slurm, args.resubmit)?;
    let out = &prepared.out;
    let Some(path) = prepared.script else {
        println!(
            "every row of {} is finished; next: regretnet reproduce --collect {}",
            out.display(),
            out.display()
        );
        return Ok(());
    };
    let tasks = prepared.tasks;
    if args.dry_run {
        println!(
            "wrote {} ({tasks} tasks; not submitted: --dry-run)\nsubmit it with: sbatch {}",
            path.display(),
            path.display()
        );
        return Ok(());
    }
    let output = Command::new("sbatch")
        .arg("--parsable")
        .arg(&path)
        .output()
        .map_err(|e| {
            Failure::usage(format!(
                "cannot run sbatch ({e}): is this a Slurm login node? --dry-run writes the \
                 script without submitting it"
            ))
        })?;
    if !output.status.success() {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "sbatch refused {}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let job = String::from_utf8_lossy(&output.stdout).trim().to_string();
    println!(
        "submitted job array {job} ({tasks} tasks) from {}\nnext: regretnet reproduce --status {} \
         (then --collect {})",
        path.display(),
        out.display(),
        out.display()
    );
    Ok(())
}

/// Print each row's state.
pub fn status(dir: &Path) -> Result<(), Failure> {
    let (plan, states) = row_states(dir)?;
    println!(
        "{}: the {} budget, {} rows",
        dir.display(),
        plan.budget.name(),
        states.len()
    );
    for (name, state) in &states {
        println!("  {name:<32} {state}");
    }
    Ok(())
}

/// Write the table of the finished rows; exit 1 when a row is not finished.
pub fn collect_table(dir: &Path, results: Option<PathBuf>) -> Result<(), Failure> {
    let results = results.unwrap_or_else(|| dir.join("RESULTS.md"));
    let states = collect_into(dir, &results)?;
    let missing: Vec<_> = states.iter().filter(|(_, s)| !s.is_finished()).collect();
    println!("wrote {}", results.display());
    if missing.is_empty() {
        return Ok(());
    }
    for (name, state) in &missing {
        eprintln!("not in the table: {name}: {state}");
    }
    Err(Failure::Runtime(anyhow::anyhow!(
        "{} of {} rows are not finished (regretnet reproduce --slurm --resubmit continues them)",
        missing.len(),
        states.len()
    )))
}

//! `regretnet reproduce --slurm | --status DIR | --collect DIR`: a reproduction handed to
//! Slurm as a job array, where each row stands, and the table of the finished rows
//! (`regretnet_train::tools::reproduce::{slurm, status}`, docs/CLUSTER.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use regretnet_train::nets::checkpoint::write_atomic;
use regretnet_train::tools::reproduce::slurm::{array_script, Plan, SlurmOptions, SLURM_DIR};
use regretnet_train::tools::reproduce::status::{collect, row_states};
use regretnet_train::tools::reproduce::{check_results_path, Budget};

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
    for (_, name, value) in plan.tasks() {
        // Every row's config is valid before anything is written.
        plan.config(&name, value.as_ref())?;
    }
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
    std::fs::create_dir_all(out)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", out.display())))?;
    // Tasks run elsewhere: absolute paths for the directory and the binary.
    let out = std::fs::canonicalize(out)
        .map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
    plan.save(&out)?;
    let indices: Vec<usize> = if args.resubmit {
        let (_, states) = row_states(&out)?;
        let left: Vec<usize> = states
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| !s.is_finished())
            .map(|(i, _)| i)
            .collect();
        if left.is_empty() {
            println!(
                "every row of {} is finished; next: regretnet reproduce --collect {}",
                out.display(),
                out.display()
            );
            return Ok(());
        }
        left
    } else {
        Vec::new()
    };
    let binary = std::env::current_exe()
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("cannot find the regretnet binary: {e}")))?;
    let script = array_script(&plan, &indices, &out, &binary, &slurm)?;
    let path = out.join(SLURM_DIR).join("reproduce.sbatch");
    write_atomic(&path, script.as_bytes())
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("{}: {e}", path.display())))?;
    let tasks = if indices.is_empty() {
        plan.tasks().len()
    } else {
        indices.len()
    };
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
    check_results_path(&results).map_err(Failure::usage)?;
    let (text, states) = collect(dir)?;
    write_atomic(&results, text.as_bytes())
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("{}: {e}", results.display())))?;
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

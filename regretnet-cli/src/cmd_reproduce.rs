//! `regretnet reproduce`: train, evaluate (audited) and compare with the baselines every preset
//! of a budget, and write the `RESULTS.md` table (`regretnet_train::tools::reproduce`). Each
//! row lives in its own run directory under `--out`; rerunning the same command after a kill
//! resumes the row in progress from its checkpoint and reuses the finished rows.

use std::path::PathBuf;

use regretnet_train::tools::reproduce::sweep::Sweep;
use regretnet_train::tools::reproduce::{Budget, ProtocolChoice};
use regretnet_train::{reproduce, ReproduceOptions};

use crate::cli::{BudgetName, ProtocolName, ReproduceArgs};
use crate::cmd_reproduce_slurm;
use crate::cmd_train::stop_flag;
use crate::failure::Failure;
use crate::progress::Display;

pub fn run(args: &ReproduceArgs) -> Result<(), Failure> {
    let budget = match args.budget {
        BudgetName::Quick => Budget::Quick,
        BudgetName::Full => Budget::Full,
        BudgetName::Large => Budget::Large,
        BudgetName::Exact => Budget::Exact,
        BudgetName::Ama => Budget::Ama,
    };
    if let Some(dir) = &args.status {
        return cmd_reproduce_slurm::status(dir);
    }
    if let Some(dir) = &args.collect {
        return cmd_reproduce_slurm::collect_table(dir, args.results.clone());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("reproduce-{}", budget.name())));
    if args.slurm {
        return cmd_reproduce_slurm::submit(args, budget, &out);
    }
    let results = args
        .results
        .clone()
        .unwrap_or_else(|| out.join("RESULTS.md"));
    let options = ReproduceOptions {
        budget,
        presets: args.only.clone(),
        protocol: match args.protocol {
            ProtocolName::Default => ProtocolChoice::Default,
            ProtocolName::Paper => ProtocolChoice::Paper,
        },
        iterations: args.iterations,
        samples: args.samples.map(|k| k as usize),
        checkpoint_every: args.checkpoint_every,
        trace_every: args.trace,
        sweep: sweep_of(args),
        out,
        results: results.clone(),
        command: command_line(args, budget),
        threads: args.threads.count(),
        stop: Some(stop_flag()),
    };
    reproduce(&options, &Display::new(args.quiet))?;
    println!("wrote {}", results.display());
    Ok(())
}

/// The command as a user would type it again, recorded in every row.
fn command_line(args: &ReproduceArgs, budget: Budget) -> String {
    let mut command = format!("regretnet reproduce --budget {}", budget.name());
    if !args.only.is_empty() {
        command += &format!(" --only {}", args.only.join(" "));
    }
    if args.protocol == ProtocolName::Paper {
        command += " --protocol paper";
    }
    if let Some(n) = args.iterations {
        command += &format!(" --iterations {n}");
    }
    if let Some(k) = args.samples {
        command += &format!(" --samples {k}");
    }
    if let Some(k) = args.checkpoint_every {
        command += &format!(" --checkpoint-every {k}");
    }
    if let Some(k) = args.trace {
        command += &format!(" --trace {k}");
    }
    let sweep = sweep_of(args);
    if let Some(first) = sweep.first() {
        let values: Vec<String> = sweep.iter().map(|v| v.flag().1).collect();
        command += &format!(" {} {}", first.flag().0, values.join(","));
    }
    command
}

/// The sweep the flags ask for (`--seeds`, `--regret-targets`; clap refuses both at once).
pub(crate) fn sweep_of(args: &ReproduceArgs) -> Vec<Sweep> {
    let seeds = args.seeds.iter().map(|&s| Sweep::Seed(s));
    let targets = args.regret_targets.iter().map(|&t| Sweep::RegretTarget(t));
    seeds.chain(targets).collect()
}

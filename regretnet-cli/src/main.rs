//! The `regretnet` command: parse flags, validate them into typed configs, call the library,
//! print results on stdout and progress on stderr.
//!
//! Exit codes: 0 success, 1 a failure of the computation (or `eval --max-regret` exceeded), 2 a
//! usage or input error (flags, config, run directory, checkpoint), 130 `train` stopped by
//! Ctrl-C after writing a checkpoint.

mod cli;
mod cmd_baseline;
mod cmd_bench;
mod cmd_eval;
mod cmd_export;
mod cmd_frontier;
mod cmd_plot;
mod cmd_presets;
mod cmd_probe;
mod cmd_reproduce;
mod cmd_reproduce_slurm;
mod cmd_train;
mod failure;
mod progress;

use clap::Parser;

/// mimalloc instead of the system allocator: candle allocates a fresh buffer for every tensor,
/// and glibc returns the large ones to the kernel and faults them back in, step after step
/// (BENCHMARKS.md, "What each change bought").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::cli::{Cli, Command};

fn main() {
    // gemm's own threading is slower than one thread at RegretNet's sizes (docs/CANDLE.md);
    // regretnet parallelises at the application level instead (`--threads`).
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Presets(args) => cmd_presets::run(&args),
        Command::Train(args) => cmd_train::run(&args),
        Command::Eval(args) => cmd_eval::run(&args),
        Command::Bench(args) => cmd_bench::run(&args),
        Command::Baseline(args) => cmd_baseline::run(&args),
        Command::Reproduce(args) => cmd_reproduce::run(&args),
        Command::Plot(args) => cmd_plot::run(&args),
        Command::Probe(args) => cmd_probe::run(&args),
        Command::Frontier(args) => cmd_frontier::run(&args),
        Command::Export(args) => cmd_export::run(&args),
    };
    if let Err(failure) = result {
        eprintln!("{}: {}", failure.label(), failure::message(failure.error()));
        std::process::exit(failure.exit_code());
    }
}

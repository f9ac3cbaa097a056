//! `regretnet bench`: time the hot loop's operations per setting and print medians, achieved
//! GFLOP/s and the FLOP floor (workloads in `regretnet_train::bench`).

use regretnet_train::bench::{gemm_gflops, time, Op, Workload, SETTINGS};

use crate::cli::BenchArgs;
use crate::failure::Failure;

/// Timed calls per operation: fewer for the slow ones.
fn samples(op: Op, label: &str, scale: f64) -> usize {
    let base = match (op, label) {
        (Op::Iteration, "5x10") => 10,
        (Op::Iteration, _) => 50,
        (Op::MisreportStepPlain | Op::MisreportStepAutograd, "5x10") => 10,
        (Op::EvalStep, _)
        | (Op::MisreportStep, "5x10")
        | (Op::MisreportStepPlain | Op::MisreportStepAutograd, _) => 30,
        _ => 200,
    };
    ((base as f64 * scale).round() as usize).max(3)
}

pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    let wanted: Vec<&str> = args.settings.split(',').map(str::trim).collect();
    for w in &wanted {
        if !SETTINGS.iter().any(|(l, _)| l == w) {
            return Err(Failure::usage(format!(
                "--settings: unknown setting `{w}`; choose from {}",
                SETTINGS.map(|(l, _)| l).join(", ")
            )));
        }
    }
    if !(args.scale.is_finite() && args.scale > 0.0) {
        return Err(Failure::usage("--scale must be a positive number"));
    }
    let gemm = gemm_gflops()?;
    let mut rows = Vec::new();
    if !args.json {
        println!(
            "gemm [128,100]x[100,100] on one thread: {gemm:.1} GFLOP/s (the floor below uses it)\n"
        );
        println!(
            "{:<6} {:<20} {:>11} {:>11} {:>11} {:>9} {:>11}",
            "", "operation", "median ms", "min ms", "max ms", "GFLOP/s", "floor ms"
        );
    }
    for (label, preset) in SETTINGS.iter().filter(|(l, _)| wanted.contains(l)) {
        let mut w = Workload::new(preset)?;
        w.trainer.set_threads(args.threads.count as usize);
        for op in Op::ALL {
            let t = time(3, samples(op, label, args.scale), || w.run(op))?;
            let flops = w.flops(op);
            let row = serde_json::json!({
                "setting": label,
                "operation": op.name(),
                "median_ms": t.median * 1e3,
                "min_ms": t.min * 1e3,
                "max_ms": t.max * 1e3,
                "gflops": flops / t.median / 1e9,
                "floor_ms": flops / (gemm * 1e9) * 1e3,
                "threads": args.threads.count,
            });
            if !args.json {
                println!(
                    "{:<6} {:<20} {:>11.3} {:>11.3} {:>11.3} {:>9.1} {:>11.3}",
                    label,
                    op.name(),
                    t.median * 1e3,
                    t.min * 1e3,
                    t.max * 1e3,
                    flops / t.median / 1e9,
                    flops / (gemm * 1e9) * 1e3
                );
            }
            rows.push(row);
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "gemm_gflops": gemm, "threads": args.threads.count, "rows": rows })
        );
    }
    Ok(())
}

//! `regretnet bench`: time the hot loop's operations per setting and print medians, achieved
//! GFLOP/s and the time the matrix products would take at one core's gemm speed (a yardstick, not
//! a floor: two threads beat it; workloads in `regretnet_train::bench`).

use regretnet_train::bench::{bench_setting, gemm_gflops, time, Op, Workload};

use crate::cli::BenchArgs;
use crate::failure::Failure;

/// Timed calls per operation: about 1.5 s of work each at 40 GFLOP/s (fewer for slow
/// operations), between 3 and 200, times `scale`.
fn samples(flops: f64, scale: f64) -> usize {
    let guess = 1.5 / (flops / 40e9).max(1e-9);
    ((guess.clamp(3.0, 200.0) * scale).round() as usize).max(3)
}

pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    let wanted: Vec<&str> = args.settings.split(',').map(str::trim).collect();
    // Every setting resolved first: a typo fails before minutes of timing.
    let configs = wanted
        .iter()
        .map(|w| bench_setting(w).map(|c| (*w, c)))
        .collect::<Result<Vec<_>, _>>()?;
    if !(args.scale.is_finite() && args.scale > 0.0) {
        return Err(Failure::usage("--scale must be a positive number"));
    }
    let width = wanted.iter().map(|w| w.len()).max().unwrap_or(0).max(6);
    let gemm = gemm_gflops()?;
    let mut rows = Vec::new();
    if !args.json {
        println!(
            "gemm [128,100]x[100,100] on one thread: {gemm:.1} GFLOP/s (the \"at gemm\" column uses it)\n"
        );
        println!(
            "{:<width$} {:<20} {:>11} {:>11} {:>11} {:>9} {:>11}",
            "", "operation", "median ms", "min ms", "max ms", "GFLOP/s", "at gemm ms"
        );
    }
    for (label, config) in configs {
        let mut w = Workload::from_config(config)?;
        w.trainer.set_threads(args.threads.count as usize);
        for op in Op::ALL {
            let flops = w.flops(op);
            let t = time(3, samples(flops, args.scale), || w.run(op))?;
            let row = serde_json::json!({
                "setting": label,
                "operation": op.name(),
                "median_ms": t.median * 1e3,
                "min_ms": t.min * 1e3,
                "max_ms": t.max * 1e3,
                "gflops": flops / t.median / 1e9,
                "at_gemm_speed_ms": flops / (gemm * 1e9) * 1e3,
                "threads": args.threads.count,
            });
            if !args.json {
                println!(
                    "{:<width$} {:<20} {:>11.3} {:>11.3} {:>11.3} {:>9.1} {:>11.3}",
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

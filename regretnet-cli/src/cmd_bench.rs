//! `regretnet bench`: time the hot loop's operations per setting and print medians, achieved
//! GFLOP/s and the time the matrix products would take at one core's gemm speed (a yardstick,
//! not a floor: two threads beat it; workloads in `regretnet_train::tools::bench`).

use regretnet_train::tools::bench::{run_benchmarks, BenchEvent};

use crate::cli::BenchArgs;
use crate::failure::Failure;

pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    let wanted: Vec<&str> = args.settings.split(',').map(str::trim).collect();
    let width = wanted.iter().map(|w| w.len()).max().unwrap_or(0).max(6);
    let threads = args.threads.count();
    let mut gemm = 0.0;
    let net = (args.net.kind(), args.menu.kind());
    let rows = run_benchmarks(
        &wanted,
        net,
        args.myerson_base,
        args.scale,
        threads,
        &mut |event| match event {
            BenchEvent::Gemm(g) => {
                gemm = g;
                if !args.json {
                    println!(
                    "gemm [128,100]x[100,100] on one thread: {g:.1} GFLOP/s (the \"at gemm\" column uses it)\n"
                );
                    println!(
                        "{:<width$} {:<20} {:>11} {:>11} {:>11} {:>9} {:>11}",
                        "", "operation", "median ms", "min ms", "max ms", "GFLOP/s", "at gemm ms"
                    );
                }
            }
            BenchEvent::Row(r) if !args.json => println!(
                "{:<width$} {:<20} {:>11.3} {:>11.3} {:>11.3} {:>9.1} {:>11.3}",
                r.setting,
                r.operation,
                r.median_ms,
                r.min_ms,
                r.max_ms,
                r.gflops,
                r.at_gemm_speed_ms
            ),
            BenchEvent::Row(_) => {}
        },
    )?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "gemm_gflops": gemm,
                "threads": threads,
                "net": args.net.kind().name(),
                "menu": args.menu.kind().name(),
                "rows": rows
            })
        );
    }
    Ok(())
}

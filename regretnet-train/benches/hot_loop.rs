//! Criterion benchmarks of the hot loop: forward pass, one misreport step, one training
//! iteration and one evaluation search step, for 1x2, 2x2 and 5x10 at the reference's sizes
//! (workloads and FLOP counts in `regretnet_train::tools::bench`); and a learned affine
//! maximizer's forward pass and training iteration at 2x3 and 3x10 (its preset schedule, 1,000
//! entries). Run with
//! `cargo bench -p regretnet-train --bench hot_loop`; `regretnet bench` prints the same
//! operations as a table with GFLOP/s and the time at one-core gemm speed.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};

/// The allocator the `regretnet` binary uses (see its `main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use regretnet_train::core::{MenuKind, NetKind};
use regretnet_train::tools::bench::{bench_setting_for, Op, Workload, SETTINGS};

fn bench(c: &mut Criterion) {
    // As the `regretnet` binary does: one gemm thread, parallelism in our own code.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (label, preset) in SETTINGS {
        let mut group = c.benchmark_group(label);
        if label == "5x10" {
            group.sample_size(10);
        }
        let mut w = Workload::new(preset).unwrap();
        w.trainer.set_threads(threads);
        for op in Op::ALL {
            group.bench_function(op.name(), |b| b.iter(|| w.run(op).unwrap()));
        }
        group.finish();
    }
    for label in ["2x3", "3x10"] {
        let mut group = c.benchmark_group(format!("ama {label}"));
        let config = bench_setting_for(label, NetKind::Ama, MenuKind::Free).unwrap();
        let mut w = Workload::from_config(config).unwrap();
        w.trainer.set_threads(threads);
        for &op in w.ops() {
            group.bench_function(op.name(), |b| b.iter(|| w.run(op).unwrap()));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

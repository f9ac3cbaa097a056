//! Benchmarks of the grid audit at the sizes `regretnet eval` runs by default.
//!
//! - `grid_audit/additive_1x2_uniform`: a 1 x 2 model (the preset's 2 x 100 tanh nets) on
//!   10,000 test profiles at 101 x 101, best 4 points refined by 50 steps, 2 threads. Target
//!   (issue 3): at most 60 s on a 2-core machine.
//! - `grid_audit/additive_2x2_uniform`: a 2 x 2 model on 100 profiles at 101 x 101; the grid is
//!   evaluated per profile and bidder here, so its cost grows with the sample.
//!
//! The audit's cost does not depend on the weights, so freshly initialised nets stand in for
//! trained ones. Run with `cargo bench -p regretnet-regret --bench grid_audit`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use regretnet_core::presets;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::Setting;
use regretnet_nets::{NetSpec, RegretNet};
use regretnet_regret::{grid_audit, GridConfig, Work};

fn model(preset: &str) -> (Setting, RegretNet) {
    let config = presets::preset(preset).unwrap();
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
    (setting, net)
}

fn bench(c: &mut Criterion) {
    // As the `regretnet` binary does: one gemm thread, parallelism over profile chunks.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let mut group = c.benchmark_group("grid_audit");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    for (preset, samples, chunk) in [
        ("additive_1x2_uniform", 10_000, 500),
        ("additive_2x2_uniform", 100, 5),
    ] {
        let (setting, net) = model(preset);
        let profiles = setting.sample_profiles(&mut stream_rng(100, Stream::Test), samples);
        group.bench_function(preset, |b| {
            b.iter(|| {
                grid_audit(
                    &net,
                    &setting,
                    &profiles,
                    &GridConfig::default(),
                    Work::new(chunk, 2),
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The Rust side of the Python package's overhead benchmark (BENCHMARKS.md, "Python"): the
//! seconds of one `Model::outcome_of` call on the first `N` test profiles of a run (the
//! profiles `regretnet eval` and `regretnet.sample` draw), best of `R` calls, with what the
//! binary and the Python module set for speed (mimalloc, `RAYON_NUM_THREADS=1`).
//! `regretnet-py/benches/outcome_overhead.py` runs it beside `Mechanism.outcome`.
//!
//! ```sh
//! cargo run --release -p regretnet-cli --example outcome_timing -- RUN_DIR [N] [R]
//! ```

use std::time::Instant;

use regretnet_train::core::rng::{stream_rng, Stream};
use regretnet_train::RunDir;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: outcome_timing RUN_DIR [N] [R]")?;
    let n: usize = args.next().map_or(Ok(10_000), |s| s.parse())?;
    let repeats: usize = args.next().map_or(Ok(20), |s| s.parse())?;
    let run = RunDir::open(dir.as_ref())?;
    let config = run.read_config()?;
    let (_, ckpt) = run.load_latest()?;
    let setting = config.setting.build()?;
    let profiles = setting.sample_profiles(&mut stream_rng(config.eval.seed, Stream::Test), n);
    let mut best = f64::INFINITY;
    let mut revenue = 0.0;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        let (_, pay) = ckpt.model.outcome_of(&profiles)?;
        best = best.min(t.elapsed().as_secs_f64());
        revenue = pay.iter().map(|&p| p as f64).sum::<f64>() / n as f64;
    }
    println!("{{\"seconds\": {best:e}, \"profiles\": {n}, \"revenue\": {revenue}}}");
    Ok(())
}

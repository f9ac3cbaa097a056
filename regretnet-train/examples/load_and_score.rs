//! Load a trained run and score its mechanism on profiles of your own, with `regretnet-train`
//! as the only dependency: the latest checkpoint, allocations and payments on plain slices,
//! the revenue on `regretnet eval`'s test profiles, and the comparison with the known optimum
//! and every baseline on those same profiles, paired.
//!
//! ```sh
//! cargo run --release -p regretnet-train --example load_and_score -- runs/default
//! cargo run --release -p regretnet-train --example load_and_score -- runs/a runs/b  # + a vs b, paired
//! ```
//!
//! Without an argument it first trains a small 1x2 run into a temporary directory (what
//! `cargo xtask ci` runs), so that it works on a fresh clone.

use std::path::PathBuf;

use regretnet_train::core::baselines::{paired_with, PairedDifference};
use regretnet_train::core::presets;
use regretnet_train::core::rng::{stream_rng, Stream};
use regretnet_train::train::create_run;
use regretnet_train::{train_in_run, RunDir};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // What the `regretnet` binary sets for itself: one gemm thread per worker (candle's own
    // threading is slower at these sizes). A program of yours should also make mimalloc its
    // global allocator, as the binary does (candle allocates a fresh buffer for every tensor;
    // BENCHMARKS.md measured a 5x10 training iteration at 117 ms with glibc, 100 with mimalloc,
    // and an evaluation step halved).
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let scratch;
    let dir: PathBuf = match std::env::args_os().nth(1) {
        Some(d) => d.into(),
        None => {
            scratch = tempfile::tempdir()?;
            let dir = scratch.path().join("tiny");
            let mut config = presets::preset("additive_1x2_uniform")?;
            config.net.alloc_hidden = vec![32, 32];
            config.net.pay_hidden = vec![32, 32];
            config.train.iterations = 300;
            config.train.train_size = 8_192;
            config.train.validate_every = 300;
            config.train.validation_samples = 500;
            let (run, mut trainer) = create_run(&dir, config, false)?;
            train_in_run(&mut trainer, &run, 2, None, &mut |_| {})?;
            println!("trained a small 1x2 run into {}", dir.display());
            dir
        }
    };

    let run = RunDir::open(&dir)?;
    let (path, ckpt) = run.load_latest()?;
    let setting = run.setting()?;
    let model = &ckpt.model;
    println!(
        "loaded {} ({:?}, {} parameters) for {}",
        path.display(),
        model.kind(),
        model.parameter_count(),
        setting.name
    );

    // A few profiles of our own: [n, d] values per profile, row-major.
    let (n, d) = (setting.bidders, model.type_len());
    let mine: Vec<f32> = (0..4 * n * d).map(|k| (k % 7) as f32 / 7.0).collect();
    let (alloc, pay) = model.outcome_of(&mine)?;
    for (p, profile) in mine.chunks_exact(n * d).enumerate() {
        println!(
            "profile {profile:?}: allocation {:?}, payments {:?}",
            &alloc[p * n * d..(p + 1) * n * d],
            &pay[p * n..(p + 1) * n]
        );
    }

    // The test profiles `regretnet eval` uses (its seed and stream), and the revenue on each.
    let config = run.read_config()?;
    let samples = 10_000;
    let profiles =
        setting.sample_profiles(&mut stream_rng(config.eval.seed, Stream::Test), samples);
    let (_, pay) = model.outcome_of(&profiles)?;
    let ours: Vec<f64> = pay
        .chunks_exact(n)
        .map(|p| p.iter().map(|&x| x as f64).sum())
        .collect();
    let revenue = ours.iter().sum::<f64>() / samples as f64;
    println!("revenue on the {samples} test profiles: {revenue:.4}");
    // Every baseline, the known optimum where there is one, on the same profiles.
    for b in paired_with(&setting, &profiles, &ours) {
        let Some(diff) = b.paired else { continue };
        println!(
            "{:<20} {:.4}; ours minus it {:+.4} +- {:.4} paired",
            b.name, b.revenue, diff.mean, diff.se
        );
    }
    // A second run of the same setting: its revenue on the same profiles, paired.
    if let Some(other) = std::env::args_os().nth(2) {
        let other = RunDir::open(std::path::Path::new(&other))?;
        let (other_path, other_ckpt) = other.load_latest()?;
        if other.setting()? != setting {
            return Err(format!(
                "{} is not a run of {}",
                other.path().display(),
                setting.name
            )
            .into());
        }
        let (_, pay) = other_ckpt.model.outcome_of(&profiles)?;
        let theirs: Vec<f64> = pay
            .chunks_exact(n)
            .map(|p| p.iter().map(|&x| x as f64).sum())
            .collect();
        let diff = PairedDifference::of(&ours, &theirs);
        println!(
            "{}: {:.4}; ours minus it {:+.4} +- {:.4} paired",
            other_path.display(),
            theirs.iter().sum::<f64>() / samples as f64,
            diff.mean,
            diff.se
        );
    }
    println!(
        "(revenue alone says nothing about regret: `regretnet eval {}` audits it)",
        dir.display()
    );
    Ok(())
}

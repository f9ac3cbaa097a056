//! The quality guard (run by `cargo xtask ci` in release mode with `--ignored`): a shortened
//! version of the default training must still learn a near-optimal, near-truthful mechanism.
//! A change that breaks training quality (a gradient that stops flowing, a weaker inner search,
//! a schedule that sells regret) fails here, not in a user's run.
//!
//! The shortened schedule is the default preset's (`additive_1x2_uniform`: 50 misreport steps,
//! best iterate kept, lambda 5, lr decayed over the second half) squeezed from 32,000
//! iterations into [`GUARD_ITERATIONS`], with the reference's rho step (+50) instead of the
//! default's +200: the preset's rho schedule is relative (`train.rho_steps`), so it takes the
//! default's 10 steps, every 800 iterations. At 8,000 iterations the default's +200 leaves too
//! few iterations to learn the menu before the penalty dominates: measured 0.5367, -1.80% from
//! the optimum on the same profiles, +0.0003 +- 0.0025 over bundle Myerson (a collapse to pure
//! bundling, which this guard fails), audited regret 2.4e-4. Measured with this exact config
//! (release, 2026-12-01 on the AMD EPYC, docs/TRAINING.md "Time to quality (issue 16)"): 0.5514
//! on the first 2,000 test profiles, +0.88% from the Manelli-Vincent optimum on the same
//! profiles (+0.0048 +- 0.0029 paired), audited regret 6.6e-4, allocation distance 0.106; on
//! 2026-12-03 on the Intel Xeon: 0.5510, +0.80% (+0.0044 +- 0.0029, 1.5 SE), +0.0145 +- 0.0022
//! over bundle Myerson (6.6 SE), audited regret 6.60e-4, allocation distance 0.108. Training is deterministic (seeded
//! streams, results independent of the thread count), so the bands below are not about noise:
//! they leave room for a legitimate change to the arithmetic and fail a real loss of quality.
//! Run it as xtask does, with `RAYON_NUM_THREADS=1` (about 2 minutes; without it candle's gemm
//! threads fight the trainer's and it takes over 10).
#![allow(clippy::unwrap_used)]

use regretnet_train::core::presets::{self, DEFAULT_PRESET};
use regretnet_train::core::EvalConfig;
use regretnet_train::run::MemorySink;
use regretnet_train::{evaluate, Protocol, Trainer};

/// Iterations of the shortened default (about a minute on 2 threads).
const GUARD_ITERATIONS: u64 = 8_000;
/// Test profiles of its evaluation (the default protocol otherwise).
const GUARD_SAMPLES: usize = 2_000;

/// Revenue must lie within this fraction of the optimum's on the same profiles (measured
/// +0.88%): below, the mechanism is not learning to sell; above, it is selling regret.
const REVENUE_BAND: f64 = 0.02;
/// Revenue above the optimum's on the same profiles by more than this many paired standard
/// errors is regret being sold, whatever the band says (measured +1.7 SE).
const ABOVE_OPTIMUM_SE: f64 = 3.0;
/// The learned mechanism must beat bundle Myerson (the best single posted price for the
/// bundle) on the same profiles by more than this many paired standard errors: pure bundling
/// is 1.1% below the optimum, inside the revenue band, and at allocation distance 0.086,
/// inside the distance bound, so only a paired win tells a learned menu from a collapse to it.
const OVER_BUNDLE_SE: f64 = 2.0;
/// Audited regret at most this (measured 6.6e-4).
const REGRET_BOUND: f64 = 1.2e-3;
/// Allocation distance from the optimum's at most this (measured 0.106). It does not separate
/// near-optimal mechanisms (the bundle-only menu is at 0.086, RESULTS.md), it catches a net that
/// allocates unlike the optimum: selling each item with probability 1/2 everywhere is at 0.5.
const DISTANCE_BOUND: f64 = 0.2;

#[test]
#[ignore = "long: trains the shortened default; run in release by cargo xtask ci"]
fn the_shortened_default_training_ends_near_the_optimum_at_low_audited_regret() {
    let mut config = presets::preset(DEFAULT_PRESET).unwrap();
    config.train.iterations = GUARD_ITERATIONS;
    config.train.rho_increment = presets::REFERENCE_1X2_RHO_STEP;
    config.train.validate_every = 0;
    let mut trainer = Trainer::new(config).unwrap();
    assert_eq!(
        trainer.config().train.rho_every(),
        800,
        "the default's 10 rho steps"
    );
    trainer
        .run(&mut MemorySink::default(), None, 2, &mut |_| {})
        .unwrap();
    let mut protocol = Protocol::from_config("default", &EvalConfig::default());
    protocol.samples = GUARD_SAMPLES;
    let r = evaluate(trainer.net(), trainer.setting(), &protocol, 2, None).unwrap();
    let opt = r
        .baselines
        .iter()
        .find(|b| b.name == "known optimum")
        .unwrap();
    let paired = opt.paired.unwrap();
    let gap = paired.mean / opt.revenue;
    let bundle = r
        .baselines
        .iter()
        .find(|b| b.name == "bundle Myerson")
        .unwrap()
        .paired
        .unwrap();
    let distance = r.allocation_distance.unwrap().mean;
    eprintln!(
        "revenue {:.4} (optimum {:.4}, gap {:+.2}%, paired {:+.4} +- {:.4}; over bundle Myerson \
         {:+.4} +- {:.4}), audited regret {:.3e}, allocation distance {:.4}",
        r.revenue,
        opt.revenue,
        100.0 * gap,
        paired.mean,
        paired.se,
        bundle.mean,
        bundle.se,
        r.regret,
        distance
    );
    assert!(gap.abs() <= REVENUE_BAND, "revenue gap {gap:+.4}");
    assert!(
        paired.mean <= ABOVE_OPTIMUM_SE * paired.se,
        "above the optimum by {:.1} paired SE: regret sold",
        paired.mean / paired.se
    );
    assert!(
        bundle.mean > OVER_BUNDLE_SE * bundle.se,
        "over bundle Myerson by only {:.1} paired SE: a collapse to pure bundling",
        bundle.mean / bundle.se
    );
    assert!(r.regret <= REGRET_BOUND, "audited regret {:.3e}", r.regret);
    assert!(
        distance <= DISTANCE_BOUND,
        "allocation distance {distance:.4}"
    );
}

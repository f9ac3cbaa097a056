//! RochetNet, MyersonNet and the AMA end to end: short training, then the audited evaluation.
//! Their regret must be zero up to floating point whatever the training did (they are incentive
//! compatible by construction), and a short training must already earn most of the optimum, or
//! beat the best simple mechanism where no optimum is known.
#![allow(clippy::unwrap_used)]

use regretnet_train::core::presets::preset_with_net;
use regretnet_train::core::{EvalConfig, NetKind};
use regretnet_train::run::MemorySink;
use regretnet_train::{evaluate, Protocol, Trainer};

fn train_and_audit(
    name: &str,
    kind: NetKind,
    iterations: u64,
    tweak: impl Fn(&mut regretnet_train::core::Config),
) -> regretnet_train::EvalReport {
    let mut config = preset_with_net(name, kind).unwrap();
    config.train.iterations = iterations;
    config.train.train_size = 12_800;
    config.train.validate_every = 0;
    tweak(&mut config);
    let mut trainer = Trainer::new(config).unwrap();
    trainer
        .run(&mut MemorySink::default(), None, 2, &mut |_| {})
        .unwrap();
    // A small protocol: revenue on 2,000 profiles (at 400 the paired SE against bundle Myerson
    // was 0.0066, too wide to tell a learned menu from bundling), regret on 400, the default
    // search shortened, the default grid audit (2 items: 101 x 101; one item: 101 points) and
    // the coordinate audit.
    let eval = EvalConfig {
        samples: 2_000,
        regret_samples: 400,
        restarts: 2,
        steps: 20,
        ..EvalConfig::default()
    };
    let protocol = Protocol::from_config("small", &eval);
    evaluate(trainer.net(), trainer.setting(), &protocol, 2, None).unwrap()
}

/// The paired difference (ours minus theirs, on the same profiles) with baseline `name`.
fn paired(r: &regretnet_train::EvalReport, name: &str) -> (f64, f64) {
    let b = r.baselines.iter().find(|b| b.name == name).unwrap();
    let d = b.paired.unwrap();
    println!("ours - {name}: {:+.4} +- {:.4} paired", d.mean, d.se);
    (d.mean, d.se)
}

/// Regret and IR violation at floating-point level; revenue, compared on the same profiles
/// (paired), within 5% below the optimum and not above it by more than 3 paired SE (an exactly
/// IC mechanism cannot earn more than the optimum: past that the comparison itself is broken).
fn assert_ic_and_near_the_optimum(r: &regretnet_train::EvalReport) {
    assert!(
        r.audited.mean < 1e-6 && r.audited.max < 1e-5,
        "{:?}",
        r.audited
    );
    assert!(r.ir_violation <= 1e-6, "{}", r.ir_violation);
    let opt = r.optimal_revenue.unwrap();
    println!(
        "revenue {} +- {} against the optimum {opt}",
        r.revenue, r.revenue_se
    );
    let (gap, se) = paired(r, "known optimum");
    assert!(gap > -0.05 * opt, "{gap:+.4} below the optimum");
    assert!(gap <= 3.0 * se, "{gap:+.4} +- {se:.4} above the optimum");
}

#[test]
fn a_short_rochetnet_is_ic_to_float_precision_and_near_the_optimum() {
    // 1x2 U[0,1]: the Manelli-Vincent optimum earns 0.5492 (docs/PAPER.md). 8,000 iterations
    // of a 200-entry menu at learning rate 0.01, measured on these 2,000 profiles: +0.0012 +-
    // 0.0017 paired from the optimum, +0.0113 +- 0.0035 over bundle Myerson (3.2 SE). At 2,000
    // iterations it was only +0.0047 +- 0.0037 over bundling: not yet a menu that beats it.
    let r = train_and_audit("additive_1x2_uniform", NetKind::Rochetnet, 8_000, |c| {
        c.net.menu_size = 200;
        c.train.lr = 0.01;
    });
    assert_ic_and_near_the_optimum(&r);
    // A menu stuck at pure bundling (one entry, price sqrt(2/3)) is bundle Myerson: 1.1% below
    // the optimum, inside the band above. Only a paired win over it shows a learned menu.
    let (win, se) = paired(&r, "bundle Myerson");
    assert!(
        win > 2.0 * se,
        "over bundle Myerson by {win:+.4} +- {se:.4}: stuck at bundling"
    );
}

#[test]
fn a_short_myersonnet_is_ic_to_float_precision_and_near_myersons_revenue() {
    // 3 bidders U[0,1]: Myerson's optimum earns 0.53125 (second price, reserve 1/2); its
    // revenue on the same 400 profiles is the report's optimum.
    let r = train_and_audit("additive_3x1_uniform", NetKind::Myersonnet, 3_000, |c| {
        c.train.lr = 0.01;
    });
    assert_ic_and_near_the_optimum(&r);
}

#[test]
fn a_short_ama_is_ic_to_float_precision_and_beats_bundling_at_two_by_three() {
    // 2x3 U[0,1] has no known optimum; bundle Myerson (1.277 published) is the best simple
    // mechanism and item-wise Myerson earns 3 x 5/12 = 1.25. A 200-entry lottery AMA at the
    // preset's temperature 100 and learning rate 1e-2, 3,000 iterations, must beat both on the
    // same 2,000 profiles by more than 2 paired SE at zero regret (the audit: item-wise grids,
    // coordinate sweeps and pairwise grids on 400 profiles) and exactly zero IR violation (the
    // payment is clamped to the reported value). Measured on the Xeon with the soft payment
    // bounded by the expected value: +0.0523 +- 0.0057 paired over bundle Myerson (9.2 SE),
    // +0.0835 +- 0.0082 over item-wise (before the bound: +0.0531 and +0.0843).
    let r = train_and_audit("additive_2x3_uniform", NetKind::Ama, 3_000, |c| {
        c.net.menu_size = 200;
    });
    assert!(
        r.audited.mean < 1e-6 && r.audited.max < 1e-5,
        "{:?}",
        r.audited
    );
    assert_eq!(r.ir_violation, 0.0);
    println!("revenue {} +- {}", r.revenue, r.revenue_se);
    for name in ["bundle Myerson", "item-wise Myerson"] {
        let (win, se) = paired(&r, name);
        assert!(win > 2.0 * se, "over {name} by {win:+.4} +- {se:.4}");
    }
}

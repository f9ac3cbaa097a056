//! Calibration of the coordinate audit ([`crate::coordinate`]) on mechanisms whose regret is
//! known exactly for many items ([`crate::closed_form`]), each test paired with a weakened audit
//! that must fail it (the check that the test can fail), and against the 2-D grid audit on
//! two-item networks.

use regretnet_core::{rng::stream_rng, rng::Stream, Setting};

use crate::closed_form::{BidLottery, SecondPrice, Staircase};
use crate::coordinate::{coordinate_audit, CoordinateAudit, CoordinateConfig};
use crate::grid::{grid_audit, GridConfig};
use crate::itemwise::itemwise_audit;
use crate::tests::small_net;
use crate::tests_audit::{mean, profiles, unit_box};
use crate::work::Work;
use crate::Mechanism;

fn audit<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    v: &[f32],
    config: &CoordinateConfig,
) -> CoordinateAudit {
    coordinate_audit(
        mech,
        setting,
        v,
        None,
        config,
        &mut stream_rng(5, Stream::TestMisreport),
        Work::new(4, 2),
    )
    .unwrap()
}

/// Exact regret per (profile, bidder) of a staircase.
fn stair_truth(mech: &Staircase, v: &[f32], m: usize) -> Vec<f32> {
    v.chunks_exact(m).map(|vi| mech.regret(vi) as f32).collect()
}

/// The window [0.64, 0.76] holds grid values of the default sweep (k / 40) and the pairwise
/// grid's 0.7, and a prior draw lands in it with probability 0.12 per item.
const WINDOW: (f32, f32) = (0.64, 0.76);

#[test]
fn sweeps_climb_a_ten_item_staircase_that_the_item_wise_audit_cannot() {
    // 3 bidders x 10 items; steps on items 9, then 8, then 7: changing one item climbs at most
    // one step, each sweep (items in order) climbs one. Exact regret (1 - level/3) sum v.
    let (n, m) = (3, 10);
    let setting = unit_box(n, m);
    let mech = Staircase::new(n, m, vec![vec![9], vec![8], vec![7]], WINDOW);
    let v = profiles(&setting, 24, 11);
    let exact = stair_truth(&mech, &v, m);
    // Only the truthful start: the sweeps alone must climb all three steps.
    let sweeps_only = CoordinateConfig {
        prior_starts: 0,
        corners: false,
        pair_samples: 0,
        ..CoordinateConfig::default()
    };
    let found = audit(&mech, &setting, &v, &sweeps_only);
    for (k, (f, e)) in found.regret.iter().zip(&exact).enumerate() {
        assert!(
            (f - e).abs() <= 1e-5,
            "profile/bidder {k}: found {f}, exact {e}"
        );
    }
    // The default audit too.
    let found = audit(&mech, &setting, &v, &CoordinateConfig::default());
    assert!(found
        .regret
        .iter()
        .zip(&exact)
        .all(|(f, e)| (f - e).abs() <= 1e-5));
    // Weakened: one sweep climbs one step (two where the truth already sits on the next), far
    // below the truth; the item-wise audit likewise.
    let one = audit(
        &mech,
        &setting,
        &v,
        &CoordinateConfig {
            max_sweeps: 1,
            ..sweeps_only
        },
    );
    let item = itemwise_audit(&mech, &setting, &v, 41, Work::new(4, 2)).unwrap();
    let (e, o, i) = (mean(&exact), mean(&one.regret), mean(&item.regret));
    assert!(o < 0.8 * e, "one sweep {o} vs exact {e}");
    assert!(i < 0.8 * e, "item-wise {i} vs exact {e}");
    assert!(mean(&found.regret) > 1.2 * i);
}

#[test]
fn pairwise_grids_find_a_step_that_needs_two_items_at_once() {
    // One step naming items 2 and 5: no single-item move from the truth pays (unless the truth
    // already has one of them in the window). Exact regret sum v unless both are in it.
    let (n, m) = (2, 10);
    let setting = unit_box(n, m);
    let mech = Staircase::new(n, m, vec![vec![2, 5]], WINDOW);
    let v = profiles(&setting, 16, 12);
    let exact = stair_truth(&mech, &v, m);
    let config = CoordinateConfig {
        pair_samples: 16,
        ..CoordinateConfig::default()
    };
    let found = audit(&mech, &setting, &v, &config);
    for (k, (f, e)) in found.regret.iter().zip(&exact).enumerate() {
        assert!(
            (f - e).abs() <= 1e-5,
            "profile/bidder {k}: found {f}, exact {e}"
        );
    }
    assert_eq!(found.before_pairs.len(), 16 * n);
    // Weakened: without the pairwise grids (and with only the truthful start) nothing is found
    // where the truth has neither item in the window; the item-wise audit likewise.
    let none = audit(
        &mech,
        &setting,
        &v,
        &CoordinateConfig {
            pair_samples: 0,
            prior_starts: 0,
            corners: false,
            ..config
        },
    );
    let item = itemwise_audit(&mech, &setting, &v, 41, Work::new(4, 2)).unwrap();
    assert!(mean(&none.regret) < 0.5 * mean(&exact));
    assert!(mean(&item.regret) < 0.5 * mean(&exact));
    // Only the first `pair_samples` profiles get the grids.
    let partial = audit(
        &mech,
        &setting,
        &v,
        &CoordinateConfig {
            pair_samples: 8,
            prior_starts: 0,
            corners: false,
            ..config
        },
    );
    assert_eq!(partial.pair_samples, 8);
    assert!(partial.regret[..8 * n]
        .iter()
        .zip(&exact)
        .all(|(f, e)| (f - e).abs() <= 1e-5));
    assert_eq!(partial.regret[8 * n..], none.regret[8 * n..]);
}

#[test]
fn paying_the_bid_with_ten_items_has_its_analytic_regret() {
    // BidLottery: regret sum_j v_j^2 / (4n) exactly, the best report v / 2 interior in every
    // item at once. The item-wise audit finds one item's share only.
    let (n, m) = (3, 10);
    let setting = unit_box(n, m);
    let mech = BidLottery {
        bidders: n,
        items: m,
    };
    let v = profiles(&setting, 12, 13);
    let exact: Vec<f32> = v.chunks_exact(m).map(|vi| mech.regret(vi) as f32).collect();
    let found = audit(&mech, &setting, &v, &CoordinateConfig::default());
    for (k, (f, e)) in found.regret.iter().zip(&exact).enumerate() {
        assert!(*f <= e + 1e-5, "{k}: {f} above the exact {e}");
        assert!(*f >= e - 1e-5, "{k}: found {f}, exact {e}");
    }
    // The sweeps alone are off by at most half a grid step per item: (1/80)^2 / n each.
    for (f, e) in found.sweep_regret.iter().zip(&exact) {
        assert!(*f >= e - 10.0 * (1.0f32 / 80.0).powi(2) / n as f32 - 1e-6);
    }
    let item = itemwise_audit(&mech, &setting, &v, 41, Work::new(4, 2)).unwrap();
    assert!(mean(&item.regret) < 0.3 * mean(&exact));
}

#[test]
fn a_truthful_mechanism_has_zero_coordinate_regret() {
    let setting = unit_box(3, 4);
    let mech = SecondPrice {
        bidders: 3,
        items: 4,
    };
    let v = profiles(&setting, 16, 14);
    let found = audit(
        &mech,
        &setting,
        &v,
        &CoordinateConfig {
            pair_samples: 16,
            ..CoordinateConfig::default()
        },
    );
    assert!(
        found.regret.iter().all(|&r| r <= 1e-6),
        "{:?}",
        found.regret
    );
}

#[test]
fn on_two_items_the_coordinate_audit_matches_the_full_grid() {
    // Where a full 101 x 101 grid is affordable it is the reference: the coordinate audit must
    // find what it finds, profile by profile, on random networks of several settings.
    for (preset, seed) in [
        ("additive_1x2_uniform", 1),
        ("additive_2x2_uniform", 2),
        ("unit_2x2_uniform", 3),
        ("ca_sym_uniform_12", 4),
    ] {
        let (setting, net) = small_net(preset, seed);
        let v = profiles(&setting, 24, 15);
        let grid = grid_audit(&net, &setting, &v, &GridConfig::default(), Work::new(8, 2)).unwrap();
        let found = audit(&net, &setting, &v, &CoordinateConfig::default());
        let (g, c) = (mean(&grid.regret), mean(&found.regret));
        assert!(c >= 0.99 * g, "{preset}: coordinate {c} vs grid {g}");
        for (k, (c, g)) in found.regret.iter().zip(&grid.regret).enumerate() {
            assert!(*c >= g - 2e-4, "{preset} {k}: coordinate {c} vs grid {g}");
        }
        // A combinatorial bidder's complementarity is never moved.
        let d = setting.type_len();
        for (b, t) in found.best_misreport.chunks_exact(d).zip(v.chunks_exact(d)) {
            assert_eq!(b[setting.items..], t[setting.items..]);
        }
    }
}

#[test]
fn coordinate_results_do_not_depend_on_chunks_or_threads() {
    let (setting, net) = small_net("additive_2x3_uniform", 6);
    let v = profiles(&setting, 10, 16);
    let config = CoordinateConfig {
        pair_samples: 5,
        refine_steps: 10,
        ..CoordinateConfig::default()
    };
    let run = |work: Work<'_>| {
        coordinate_audit(
            &net,
            &setting,
            &v,
            Some(&v),
            &config,
            &mut stream_rng(5, Stream::TestMisreport),
            work,
        )
        .unwrap()
    };
    let a = run(Work::new(10, 1));
    let b = run(Work::new(3, 2));
    assert_eq!(a.regret, b.regret);
    assert_eq!(a.best_misreport, b.best_misreport);
    assert_eq!(a.sweeps, b.sweeps);
    assert_eq!(a.starts, 6);
}

#[test]
fn the_coordinate_audit_rejects_what_it_cannot_use() {
    let setting = unit_box(1, 3);
    let mech = BidLottery {
        bidders: 1,
        items: 3,
    };
    let v = profiles(&setting, 2, 1);
    let bad = |config: CoordinateConfig, seeds: Option<&[f32]>, v: &[f32]| {
        coordinate_audit(
            &mech,
            &setting,
            v,
            seeds,
            &config,
            &mut stream_rng(1, Stream::TestMisreport),
            Work::new(2, 1),
        )
        .is_err()
    };
    assert!(bad(
        CoordinateConfig {
            resolution: 1,
            ..CoordinateConfig::default()
        },
        None,
        &v
    ));
    assert!(bad(CoordinateConfig::default(), Some(&v[..3]), &v));
    assert!(bad(CoordinateConfig::default(), None, &v[..4]));
}

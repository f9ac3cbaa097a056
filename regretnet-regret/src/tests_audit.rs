//! Tests of the audits (grid, item-wise) and of the search's starts against mechanisms whose
//! regret is known in closed form ([`crate::closed_form`]).

use regretnet_core::{rng::stream_rng, rng::Stream, Config, Setting};

use crate::closed_form::{BidLottery, PostedPrice, SecondPrice, Trap};
use crate::grid::{grid_audit, grid_points, GridConfig};
use crate::itemwise::itemwise_audit;
use crate::regret::estimate_regret_with;
use crate::work::Work;
use crate::{Mechanism, SearchConfig};

/// `n` bidders, `m` items, values uniform on `[0, 1]`.
pub(crate) fn unit_box(n: usize, m: usize) -> Setting {
    Config::from_toml_str(&format!(
        "[setting]\nname='u{n}x{m}'\nbidders={n}\nitems={m}\nprior={{kind='uniform',lo=0,hi=1}}\n"
    ))
    .unwrap()
    .setting
    .build()
    .unwrap()
}

pub(crate) fn profiles(setting: &Setting, k: usize, seed: u64) -> Vec<f32> {
    setting.sample_profiles(&mut stream_rng(seed, Stream::Test), k)
}

fn gradient<M: Mechanism>(mech: &M, s: &Setting, v: &[f32], search: &SearchConfig) -> Vec<f32> {
    estimate_regret_with(
        mech,
        s,
        v,
        search,
        &mut stream_rng(7, Stream::TestMisreport),
        Work::new(16, 2),
    )
    .unwrap()
    .regret
}

pub(crate) fn mean(x: &[f32]) -> f64 {
    x.iter().map(|&r| r as f64).sum::<f64>() / x.len() as f64
}

/// Searches from weak to strong; every one must report 0 on a truthful mechanism.
const SEARCHES: [SearchConfig; 3] = [
    SearchConfig {
        steps: 0,
        lr: 0.1,
        restarts: 0,
        corners: false,
    },
    SearchConfig {
        steps: 20,
        lr: 0.1,
        restarts: 3,
        corners: true,
    },
    SearchConfig {
        steps: 200,
        lr: 0.05,
        restarts: 20,
        corners: true,
    },
];

fn assert_truthful<M: Mechanism>(mech: &M, setting: &Setting, grid: bool) {
    let v = profiles(setting, 48, 3);
    for search in &SEARCHES {
        let r = gradient(mech, setting, &v, search);
        assert!(r.iter().all(|&x| x <= 1e-6), "{search:?}: {r:?}");
    }
    if grid {
        let config = GridConfig {
            resolution: 41,
            ..GridConfig::default()
        };
        let audit = grid_audit(mech, setting, &v, &config, Work::new(8, 2)).unwrap();
        assert!(
            audit.regret.iter().all(|&x| x <= 1e-6),
            "{:?}",
            audit.regret
        );
    }
    let item = itemwise_audit(mech, setting, &v, 41, Work::new(8, 2)).unwrap();
    assert!(item.regret.iter().all(|&x| x <= 1e-6), "{:?}", item.regret);
}

#[test]
fn a_posted_price_has_zero_regret_under_every_audit() {
    assert_truthful(&PostedPrice::new(vec![0.4, 0.7]), &unit_box(1, 2), true);
}

#[test]
fn a_second_price_auction_has_zero_regret_under_every_audit() {
    assert_truthful(
        &SecondPrice {
            bidders: 2,
            items: 2,
        },
        &unit_box(2, 2),
        true,
    );
    assert_truthful(
        &SecondPrice {
            bidders: 3,
            items: 4,
        },
        &unit_box(3, 4),
        false,
    );
}

#[test]
fn second_price_allocates_to_the_highest_bid_at_the_second_price() {
    // Item 0: bids 0.3, 0.8, 0.5 -> bidder 1 wins and pays 0.5.
    let bids =
        candle_core::Tensor::new(&[[[0.3f32], [0.8], [0.5]]], &candle_core::Device::Cpu).unwrap();
    let o = SecondPrice {
        bidders: 3,
        items: 1,
    }
    .outcome(&bids, regretnet_nets::WeightGrad::Frozen)
    .unwrap();
    let a: Vec<f32> = o.alloc.flatten_all().unwrap().to_vec1().unwrap();
    let p: Vec<f32> = o.pay.flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(a, vec![0.0, 1.0, 0.0]);
    assert_eq!(p, vec![0.0, 0.5, 0.0]);
}

/// Closed-form regret of every (profile, bidder) of `v`.
fn lottery_truth(mech: &BidLottery, v: &[f32]) -> Vec<f32> {
    v.chunks_exact(mech.items)
        .map(|vi| mech.regret(vi) as f32)
        .collect()
}

fn assert_within_one_percent(found: &[f32], exact: &[f32], what: &str) {
    let (f, e) = (mean(found), mean(exact));
    assert!(
        (f - e).abs() <= 0.01 * e,
        "{what}: found {f:.5}, exact {e:.5}"
    );
    // Never above the truth (every estimate is a lower bound), up to f32 rounding.
    for (k, (x, y)) in found.iter().zip(exact).enumerate() {
        assert!(
            *x <= y + 1e-5,
            "{what}: profile {k} found {x} above exact {y}"
        );
    }
}

#[test]
fn paying_the_bid_has_its_analytic_regret_in_the_grid_and_the_search() {
    // One bidder (grid through the shared outcome table) and two bidders (grid per profile).
    for (n, resolution) in [(1, 101), (2, 31)] {
        let setting = unit_box(n, 2);
        let mech = BidLottery {
            bidders: n,
            items: 2,
        };
        let v = profiles(&setting, 40, 11);
        let exact = lottery_truth(&mech, &v);
        let config = GridConfig {
            resolution,
            ..GridConfig::default()
        };
        let audit = grid_audit(&mech, &setting, &v, &config, Work::new(7, 2)).unwrap();
        assert_within_one_percent(&audit.regret, &exact, "grid");
        // The grid alone is within its resolution: the utility is quadratic with curvature
        // 2/n per coordinate, and the best grid point is at most half a step away per item.
        let step = 1.0 / (resolution - 1) as f32;
        for (g, e) in audit.grid_regret.iter().zip(&exact) {
            assert!(
                *g >= e - 2.0 * (step / 2.0).powi(2),
                "grid {g} vs exact {e}"
            );
        }
        let search = SearchConfig {
            steps: 300,
            lr: 0.05,
            restarts: 2,
            corners: true,
        };
        assert_within_one_percent(&gradient(&mech, &setting, &v, &search), &exact, "gradient");
    }
}

#[test]
fn item_wise_audit_finds_the_best_single_item_lie() {
    // Moving item j alone gains v_j^2 / (4n) (the other items stay truthful with utility 0),
    // so the item-wise bound is max_j v_j^2 / (4n), up to the grid step (values on a grid of
    // 101 points lie within 0.005 of v_j / 2: a loss of at most 0.005^2 / n).
    let setting = unit_box(2, 3);
    let mech = BidLottery {
        bidders: 2,
        items: 3,
    };
    let v = profiles(&setting, 30, 5);
    let audit = itemwise_audit(&mech, &setting, &v, 101, Work::new(4, 2)).unwrap();
    for (k, (found, vi)) in audit.regret.iter().zip(v.chunks_exact(3)).enumerate() {
        let best = vi.iter().map(|x| x * x / 8.0).fold(0.0f32, f32::max);
        assert!(
            (found - best).abs() <= 0.005f32.powi(2) / 2.0 + 1e-6,
            "row {k}: {found} vs {best}"
        );
        // The best misreport differs from the truth in one item only.
        let lie = &audit.best_misreport[k * 3..k * 3 + 3];
        assert_eq!(lie.iter().zip(vi).filter(|(a, b)| a != b).count(), 1);
    }
}

#[test]
fn the_grid_finds_a_planted_trap_that_a_weak_search_misses() {
    // A disc of radius 0.02 around an off-grid point: 0.13% of the unit square. Ten prior
    // draws, the truthful report and the four corners land in it for about 1% of profiles.
    let setting = unit_box(1, 2);
    let trap = Trap::new(vec![0.8137, 0.2719], 0.02);
    let v = profiles(&setting, 300, 21);
    let exact: Vec<f32> = v.chunks_exact(2).map(|x| trap.regret(x) as f32).collect();
    let weak = SearchConfig {
        steps: 100,
        lr: 0.1,
        restarts: 10,
        corners: true,
    };
    let found = gradient(&trap, &setting, &v, &weak);
    let audit = grid_audit(
        &trap,
        &setting,
        &v,
        &GridConfig::default(),
        Work::new(64, 2),
    )
    .unwrap();
    assert_within_one_percent(&audit.regret, &exact, "grid");
    let (g, e) = (mean(&found), mean(&exact));
    eprintln!(
        "trap: exact {e:.4}, grid {:.4}, weak search {g:.4}",
        mean(&audit.regret)
    );
    assert!(g < 0.1 * e, "weak search {g:.4} should miss most of {e:.4}");
}

#[test]
fn grid_points_cover_the_support_ends_included() {
    let setting = Config::from_toml_str(
        "[setting]\nname='b'\nbidders=1\nitems=2\nprior={kind='uniform',lo=[4,4],hi=[16,7]}\n",
    )
    .unwrap()
    .setting
    .build()
    .unwrap();
    let g = grid_points(&setting, 0, 5);
    assert_eq!(g.len(), 25 * 2);
    assert_eq!(&g[..2], &[4.0, 4.0]);
    assert_eq!(&g[2..4], &[7.0, 4.0]);
    assert_eq!(&g[48..], &[16.0, 7.0]);
}

#[test]
fn audits_reject_what_they_cannot_cover() {
    let setting = unit_box(1, 3);
    let mech = BidLottery {
        bidders: 1,
        items: 3,
    };
    let v = profiles(&setting, 2, 1);
    let e = grid_audit(&mech, &setting, &v, &GridConfig::default(), Work::new(1, 1));
    assert!(matches!(e, Err(crate::RegretError::Unsupported(s)) if s.contains("item-wise")));
    let setting = unit_box(1, 2);
    let e = grid_audit(
        &mech,
        &setting,
        &v[..4],
        &GridConfig {
            resolution: 1,
            ..GridConfig::default()
        },
        Work::new(1, 1),
    );
    assert!(matches!(e, Err(crate::RegretError::Unsupported(_))));
}

#[test]
fn grid_results_do_not_depend_on_chunks_or_threads() {
    let setting = unit_box(2, 2);
    let mech = BidLottery {
        bidders: 2,
        items: 2,
    };
    let v = profiles(&setting, 9, 2);
    let config = GridConfig {
        resolution: 11,
        ..GridConfig::default()
    };
    let a = grid_audit(&mech, &setting, &v, &config, Work::new(2, 2)).unwrap();
    let b = grid_audit(&mech, &setting, &v, &config, Work::new(9, 1)).unwrap();
    assert_eq!(a.regret, b.regret);
    assert_eq!(a.best_misreport, b.best_misreport);
}

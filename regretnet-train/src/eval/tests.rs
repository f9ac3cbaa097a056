//! Tests of the evaluation protocols and report on mechanisms with closed-form regret.

use regretnet_core::{Config, EvalConfig, Setting};
use regretnet_regret::closed_form::{BidLottery, SecondPrice, Trap};

use super::*;

pub(crate) fn unit_box(n: usize, m: usize) -> Setting {
    Config::from_toml_str(&format!(
        "[setting]\nname='u{n}x{m}'\nbidders={n}\nitems={m}\nprior={{kind='uniform',lo=0,hi=1}}\n"
    ))
    .unwrap()
    .setting
    .build()
    .unwrap()
}

/// The named protocols on a few profiles (their strength per profile is unchanged).
fn protocols(samples: usize) -> Vec<Protocol> {
    let mut out = vec![
        Protocol::from_config("default", &EvalConfig::default()),
        Protocol::paper(),
    ];
    for p in &mut out {
        p.samples = samples;
    }
    out
}

#[test]
fn a_truthful_auction_has_zero_regret_under_every_named_protocol() {
    // A second-price auction per item is truthful for additive bidders: regret exactly 0,
    // whatever the search and audit (paper protocol included: 1,005 starts x 2,000 steps).
    let setting = unit_box(2, 2);
    let mech = SecondPrice {
        bidders: 2,
        items: 2,
    };
    for p in protocols(3) {
        let r = evaluate(&mech, &setting, &p, 2, None).unwrap();
        assert_eq!(r.audit, Audit::Grid);
        assert!(r.gradient.max <= 1e-6, "{}: {:?}", p.name, r.gradient);
        assert!(r.audited.max <= 1e-6, "{}: {:?}", p.name, r.audited);
        assert_eq!(r.ir_violation, 0.0);
    }
    // More items than a grid covers: the item-wise grid and the coordinate audit run instead,
    // and find nothing.
    let setting = unit_box(2, 3);
    let mech = SecondPrice {
        bidders: 2,
        items: 3,
    };
    let mut p = Protocol::from_config("default", &EvalConfig::default());
    p.samples = 20;
    let r = evaluate(&mech, &setting, &p, 2, None).unwrap();
    assert_eq!(r.audit, Audit::Coordinate);
    assert!(r.audited.max <= 1e-6, "{:?}", r.audited);
    assert!(r.warnings().is_empty());
    // The report compares with every baseline on its own profiles: the mechanism is VCG for
    // additive bidders, so the paired difference with VCG is exactly 0, and item-wise Myerson's
    // is its mean revenue minus ours.
    let vcg = r.baselines.iter().find(|b| b.name == "VCG").unwrap();
    assert!(vcg.paired.unwrap().mean.abs() < 1e-6, "{vcg:?}");
    let myerson = r
        .baselines
        .iter()
        .find(|b| b.name == "item-wise Myerson")
        .unwrap();
    let d = myerson.paired.unwrap().mean;
    assert!((d - (r.revenue - myerson.revenue)).abs() < 1e-9, "{d}");
    assert!(r.to_text().contains("baseline     VCG"), "{}", r.to_text());
}

#[test]
fn with_many_items_the_headline_is_the_largest_estimate_and_names_each() {
    // A ten-item staircase (closed_form::Staircase): steps on items 9, 8, 7 in a narrow
    // window; exact regret (1 - level / 3) sum_j v_j. The search (piecewise-constant outcome,
    // no gradient) and the item-wise grid find a third at most; the coordinate audit finds all.
    let setting = unit_box(2, 10);
    let mech = regretnet_regret::closed_form::Staircase::new(
        2,
        10,
        vec![vec![9], vec![8], vec![7]],
        (0.64, 0.76),
    );
    let mut p = Protocol::from_config("default", &EvalConfig::default());
    p.samples = 30;
    p.steps = 5;
    p.restarts = 2;
    p.pair_samples = 10;
    p.reference_samples = 4;
    p.reference_restarts = 3;
    p.reference_steps = 5;
    let r = evaluate(&mech, &setting, &p, 2, None).unwrap();
    assert_eq!(r.audit, Audit::Coordinate);
    let profiles = setting.sample_profiles(
        &mut regretnet_core::rng::stream_rng(p.seed, regretnet_core::rng::Stream::Test),
        p.samples,
    );
    let exact = profiles
        .chunks_exact(10)
        .map(|v| mech.regret(v))
        .sum::<f64>()
        / 60.0;
    assert!((r.regret - exact).abs() < 1e-5, "{} vs {exact}", r.regret);
    let names: Vec<&str> = r.estimates.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "item-wise grid",
            "coordinate sweeps",
            "coordinate + pairwise grids",
            "coordinate audit",
            "reference search"
        ]
    );
    let by = |name: &str| r.estimates.iter().find(|e| e.name == name).unwrap();
    assert_eq!(by("coordinate audit").profiles, 30);
    assert_eq!(by("coordinate + pairwise grids").profiles, 10);
    assert_eq!(by("reference search").profiles, 4);
    assert!(by("coordinate audit").to_search > 1.5);
    assert!(by("item-wise grid").mean < 0.8 * by("coordinate audit").mean);
    for e in &r.estimates {
        assert!(r.audited.mean + 1e-9 >= e.mean * e.profiles as f64 / 30.0);
    }
    let reference = r.reference.clone().unwrap();
    assert_eq!(
        (reference.profiles, reference.restarts, reference.steps),
        (4, 3, 5)
    );
    assert!(reference.audit_share >= reference.search_share);
    let warnings = r.warnings();
    assert!(
        warnings.iter().any(|w| w.contains("coordinate audit")),
        "{warnings:?}"
    );
    let text = r.to_text();
    assert!(text.contains("coordinate grid ascent"), "{text}");
    assert!(text.contains("reference    "), "{text}");
}

#[test]
fn the_report_carries_the_analytic_regret_of_a_manipulable_mechanism() {
    // Bid lottery, one bidder, two items uniform on [0, 1]: regret sum_j v_j^2 / 4 per
    // profile (closed_form::BidLottery), 1/6 in expectation.
    let setting = unit_box(1, 2);
    let mech = BidLottery {
        bidders: 1,
        items: 2,
    };
    let mut p = Protocol::from_config("default", &EvalConfig::default());
    p.samples = 400;
    let r = evaluate(&mech, &setting, &p, 2, None).unwrap();
    let profiles = setting.sample_profiles(
        &mut regretnet_core::rng::stream_rng(p.seed, regretnet_core::rng::Stream::Test),
        p.samples,
    );
    let exact = profiles
        .chunks_exact(2)
        .map(|v| mech.regret(v))
        .sum::<f64>()
        / 400.0;
    for (what, found) in [
        ("gradient", r.gradient.mean),
        ("grid", r.audit_stats.unwrap().mean),
    ] {
        assert!(
            (found - exact).abs() < 0.01 * exact,
            "{what}: {found} vs {exact}"
        );
    }
    assert!((r.audit_to_gradient.unwrap() - 1.0).abs() < 0.01);
    // Every profile has regret above 1e-3 unless both values are below ~0.063.
    assert!(r.audited.share_above > 0.99);
}

#[test]
fn the_report_shows_what_a_weak_search_missed() {
    // A planted trap (closed_form::Trap): profitable only within 0.02 of (0.8137, 0.2719).
    let setting = unit_box(1, 2);
    let trap = Trap::new(vec![0.8137, 0.2719], 0.02);
    let mut p = Protocol::from_config("default", &EvalConfig::default());
    p.samples = 200;
    p.steps = 50;
    let r = evaluate(&trap, &setting, &p, 2, None).unwrap();
    let grid = r.audit_stats.clone().unwrap();
    assert!(grid.mean > 0.9, "the grid finds the trap: {grid:?}");
    assert!(r.gradient.mean < 0.1 * grid.mean, "{:?}", r.gradient);
    assert!(r.audit_to_gradient.unwrap() > 10.0);
    assert_eq!(r.regret, r.audited.mean);
    assert!(r.regret >= grid.mean);
    let text = r.to_text();
    assert!(text.contains("audit/search"), "{text}");
    assert!(text.contains("too weak"), "{text}");
}

#[test]
fn protocols_record_their_strength() {
    let p = Protocol::paper();
    assert_eq!(
        (p.samples, p.seed, p.restarts, p.steps),
        (10_000, 100, 1_000, 2_000)
    );
    assert!(p.corners && p.truthful_start);
    assert_eq!(p.grid, 101);
    let mut none = Protocol::from_config("x", &EvalConfig::default());
    none.grid = 0;
    assert_eq!(none.audit_for(&unit_box(1, 2)), Audit::None);
    assert_eq!(p.audit_for(&unit_box(3, 10)), Audit::Coordinate);
    let mut item = Protocol::from_config("x", &EvalConfig::default());
    item.coordinate_grid = 0;
    assert_eq!(item.audit_for(&unit_box(3, 10)), Audit::ItemWise);
    assert_eq!(item.audit_for(&unit_box(3, 2)), Audit::Grid);
}

#[test]
fn a_regret_subsample_keeps_revenue_on_every_profile() {
    // Bid lottery, 2 bidders x 3 items: revenue per profile sum_ij v_ij^2 / n in closed form,
    // regret sum_j v_ij^2 / (4n) per bidder. Regret on the first 10 of 40 profiles; revenue,
    // IR and the per-profile revenues on all 40.
    let setting = unit_box(2, 3);
    let mech = BidLottery {
        bidders: 2,
        items: 3,
    };
    let mut p = Protocol::from_config("default", &EvalConfig::default());
    p.samples = 40;
    p.steps = 100;
    p.pair_samples = 0;
    p.regret_samples = 10;
    let sub = evaluate(&mech, &setting, &p, 2, None).unwrap();
    p.regret_samples = 0;
    let full = evaluate(&mech, &setting, &p, 2, None).unwrap();
    let profiles = setting.sample_profiles(
        &mut regretnet_core::rng::stream_rng(p.seed, regretnet_core::rng::Stream::Test),
        40,
    );
    let exact_revenue = profiles
        .iter()
        .map(|&v| (v as f64).powi(2) / 2.0)
        .sum::<f64>()
        / 40.0;
    assert_eq!((sub.samples, sub.regret_samples), (40, 10));
    assert_eq!((full.samples, full.regret_samples), (40, 40));
    assert_eq!(sub.per_profile.len(), 20);
    assert_eq!(sub.per_profile_revenue.len(), 40);
    assert!(
        (sub.revenue - exact_revenue).abs() < 1e-5,
        "{} vs {exact_revenue}",
        sub.revenue
    );
    assert_eq!(sub.revenue, full.revenue);
    assert_eq!(sub.per_profile_revenue, full.per_profile_revenue);
    // The subsample's regrets are the full run's first ones.
    assert_eq!(sub.per_profile[..], full.per_profile[..20]);
    assert!(sub
        .to_text()
        .contains("regret on the first 10 profiles; revenue and IR on all 40"));
}

#[test]
fn the_allocation_distance_to_myerson_of_a_second_price_auction_is_the_unsold_mass() {
    // 3 bidders, one item, U[0,1]: Myerson's optimum is the second-price auction with reserve
    // 1/2. Without the reserve the item is sold where Myerson keeps it, on max v < 1/2 (per
    // profile distance 1, probability (1/2)^3), and goes to the same bidder elsewhere
    // (distance 0; ties have probability 0): expected distance exactly 1/8.
    let setting = unit_box(3, 1);
    let mech = SecondPrice {
        bidders: 3,
        items: 1,
    };
    let mut p = Protocol::from_config("default", &EvalConfig::default());
    p.samples = 4_000;
    p.regret_samples = 10;
    let r = evaluate(&mech, &setting, &p, 2, None).unwrap();
    let d = r
        .allocation_distance
        .expect("one item: Myerson is the known optimum");
    let se = (0.125f64 * 0.875 / 4_000.0).sqrt();
    assert!((d.mean - 0.125).abs() < 4.0 * se, "{d:?}");
    assert!(
        (d.above_0_1 - d.mean).abs() < 1e-12,
        "the distance is 0 or 1: {d:?}"
    );
    assert!(r.to_text().contains("allocation   "), "{}", r.to_text());
    // No known optimum with two items and two bidders: no distance.
    let two = unit_box(2, 2);
    let mech = SecondPrice {
        bidders: 2,
        items: 2,
    };
    p.samples = 5;
    p.regret_samples = 5;
    assert!(evaluate(&mech, &two, &p, 2, None)
        .unwrap()
        .allocation_distance
        .is_none());
}

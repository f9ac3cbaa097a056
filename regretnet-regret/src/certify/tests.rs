//! Soundness and tightness of the certified regret: against brute-force grids computed by the
//! candle forward pass (independent of the interval code), on random networks of every
//! supported kind, and a mutation that drops the derivative enclosures must be caught.

use candle_core::{Device, Tensor};
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{Config, Setting};
use regretnet_nets::{NetSpec, RegretNet, WeightGrad, Weights};

use super::*;
use crate::Mechanism;

/// Regret slack allowed to the `f32` forward pass of the brute force (the certificate bounds
/// the real-arithmetic mechanism; `f32` rounding of utilities of order 1 is about 1e-6).
const F32_SLACK: f64 = 2e-5;

fn setting(toml: &str) -> Setting {
    Config::from_toml_str(toml)
        .unwrap()
        .setting
        .build()
        .unwrap()
}

/// A random network with its weights scaled by `scale` (larger: sharper, more regret).
fn net(setting: &Setting, toml: &str, seed: u64, scale: f64) -> RegretNet {
    let mut config = Config::from_toml_str(toml).unwrap();
    config.net.alloc_hidden = vec![10, 10];
    config.net.pay_hidden = vec![10];
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    let scaled: Weights = net
        .weights()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.clone(), (t * scale).unwrap()))
        .collect();
    net.with_weights(&scaled).unwrap()
}

/// Bidder `k`'s regret at `profile` over a `g x g` grid of its support (the triangle's points
/// only where the prior is the triangle), by candle's forward pass.
fn grid_regret(net: &RegretNet, s: &Setting, profile: &[f32], k: usize, g: usize) -> f64 {
    let (n, m) = (s.bidders, s.items);
    let bbox = s.prior.bounding_box(k);
    let mut rows: Vec<f32> = profile.to_vec();
    for a in 0..g {
        for b in 0..g {
            let mut p = profile.to_vec();
            let point = [a, b];
            for t in 0..m {
                let (lo, hi) = bbox[t];
                p[k * m + t] = lo + (hi - lo) * point[t] as f32 / (g - 1) as f32;
            }
            if s.prior.contains_bidder(k, &p[k * m..(k + 1) * m]) {
                rows.extend(p);
            }
        }
    }
    let b = rows.len() / (n * m);
    let bids = Tensor::from_vec(rows.clone(), (b, n, m), &Device::Cpu).unwrap();
    let out = Mechanism::outcome(net, &bids, WeightGrad::Frozen).unwrap();
    let alloc = out.alloc.to_vec3::<f32>().unwrap();
    let pay = out.pay.to_vec2::<f32>().unwrap();
    let v = &profile[k * m..(k + 1) * m];
    let u = |r: usize| -> f64 {
        (0..m)
            .map(|j| alloc[r][k][j] as f64 * v[j] as f64)
            .sum::<f64>()
            - pay[r][k] as f64
    };
    (1..b).map(u).fold(f64::NEG_INFINITY, f64::max) - u(0)
}

/// Check the certificate of every profile and bidder against the grid; returns the largest
/// violation (grid regret above the certified bound).
fn worst_violation<M: BoxBounds>(
    mech: &M,
    net: &RegretNet,
    s: &Setting,
    profiles: &[f32],
    g: usize,
    config: &CertifyConfig,
) -> f64 {
    let c = certify_mechanism(mech, s, profiles, None, config, Work::new(4, 2)).unwrap();
    let len = s.bidders * s.items;
    let mut worst = f64::NEG_INFINITY;
    for (p, profile) in profiles.chunks_exact(len).enumerate() {
        for k in 0..s.bidders {
            let r = p * s.bidders + k;
            let grid = grid_regret(net, s, profile, k, g);
            worst = worst.max(grid - c.upper[r]);
            // What the branch and bound found is a real misreport's regret: never above the
            // bound.
            assert!(c.lower[r] <= c.upper[r] + 1e-12);
            assert!(c.lower[r] >= 0.0 && c.upper[r].is_finite());
        }
    }
    worst
}

const BOX_1X2: &str =
    "[setting]\nname='r1x2'\nbidders=1\nitems=2\nprior={kind='uniform',lo=0,hi=1}\n";
const BOX_2X2: &str =
    "[setting]\nname='r2x2'\nbidders=2\nitems=2\nprior={kind='uniform',lo=0,hi=1}\n";
const UNIT_2X2: &str = "[setting]\nname='u2x2'\nbidders=2\nitems=2\nvaluation='unit_demand'\nprior={kind='uniform',lo=0,hi=1}\n";
const TRIANGLE: &str = "[setting]\nname='t1x2'\nbidders=1\nitems=2\nprior={kind='triangle'}\n";
const ASYM: &str =
    "[setting]\nname='a1x2'\nbidders=1\nitems=2\nprior={kind='uniform',lo=[4,4],hi=[16,7]}\n";

#[test]
fn the_certificate_bounds_a_dense_grid_on_every_supported_kind() {
    // Independent check: the grid's regret (candle, f32) never exceeds the certified bound
    // (up to f32 rounding), on random sharpened networks of each valuation kind and support.
    let config = CertifyConfig {
        tol: 1e-4,
        budget: 3_000,
    };
    for (toml, seed, scale) in [
        (BOX_1X2, 1, 3.0),
        (BOX_2X2, 2, 3.0),
        (UNIT_2X2, 3, 3.0),
        (TRIANGLE, 4, 3.0),
        (ASYM, 5, 1.0),
    ] {
        let s = setting(toml);
        let net = net(&s, toml, seed, scale);
        let profiles = s.sample_profiles(&mut stream_rng(seed, Stream::Test), 3);
        let mech = Net64::new(&net).unwrap();
        let worst = worst_violation(&mech, &net, &s, &profiles, 201, &config);
        assert!(
            worst <= F32_SLACK,
            "{}: grid above the bound by {worst}",
            s.name
        );
    }
}

#[test]
fn certificates_that_reach_tol_are_tight() {
    // Where the certificate reached tol, the proven bound and the regret of a misreport found
    // are within tol of each other: the number is the regret to within tol, both ways.
    let s = setting(BOX_1X2);
    let net = net(&s, BOX_1X2, 11, 3.0);
    let profiles = s.sample_profiles(&mut stream_rng(11, Stream::Test), 8);
    let config = CertifyConfig {
        tol: 1e-4,
        budget: 20_000,
    };
    let c = certify_regret(&net, &s, &profiles, None, &config, Work::new(2, 2)).unwrap();
    assert!(
        c.reached.iter().filter(|&&r| r).count() >= 6,
        "{:?}",
        c.reached
    );
    for r in 0..c.upper.len() {
        if c.reached[r] {
            assert!(
                c.upper[r] - c.lower[r] <= 1e-4 + 1e-9,
                "{} vs {}",
                c.upper[r],
                c.lower[r]
            );
        }
    }
    // The one-bidder cache makes the result independent of the thread count.
    let one = certify_regret(&net, &s, &profiles, None, &config, Work::new(3, 1)).unwrap();
    assert_eq!(one, c);
}

/// A mutation of the bound: the remainders of the allocation's and payment's forms dropped
/// (a bound that forgot the linearisation error of the network's nonlinearities).
struct NoRemainder(Net64);

impl BoxBounds for NoRemainder {
    fn bidders(&self) -> usize {
        self.0.bidders()
    }
    fn items(&self) -> usize {
        self.0.items()
    }
    fn outcome(&self, profile: &[f64], k: usize, report: &[Aff]) -> BoxOutcome {
        let mut o = self.0.outcome(profile, k, report);
        o.a.iter_mut().for_each(|a| a.e = 0.0);
        if let PayBound::Fraction(f) = &mut o.pay {
            f.e = 0.0;
        }
        o
    }
}

#[test]
fn dropping_the_remainder_is_caught_by_the_grid_check() {
    // The same check as above fails on the mutated bound: it claims less regret than the
    // grid finds on some profile. The check has teeth.
    let s = setting(BOX_1X2);
    let net = net(&s, BOX_1X2, 1, 3.0);
    let profiles = s.sample_profiles(&mut stream_rng(1, Stream::Test), 3);
    let config = CertifyConfig {
        tol: 1e-2,
        budget: 50,
    };
    let worst = worst_violation(
        &NoRemainder(Net64::new(&net).unwrap()),
        &net,
        &s,
        &profiles,
        101,
        &config,
    );
    assert!(
        worst > 10.0 * F32_SLACK,
        "the mutation went unnoticed: {worst}"
    );
}

#[test]
fn unsupported_settings_are_named() {
    let s =
        setting("[setting]\nname='r1x3'\nbidders=1\nitems=3\nprior={kind='uniform',lo=0,hi=1}\n");
    let n = net(
        &s,
        "[setting]\nname='r1x3'\nbidders=1\nitems=3\nprior={kind='uniform',lo=0,hi=1}\n",
        1,
        1.0,
    );
    let p = s.sample_profiles(&mut stream_rng(1, Stream::Test), 1);
    let e =
        certify_regret(&n, &s, &p, None, &CertifyConfig::default(), Work::new(1, 1)).unwrap_err();
    assert!(e.to_string().contains("at most 2 values"), "{e}");
}

#[test]
fn closed_form_mechanisms_are_certified_at_their_exact_regret() {
    // Exact regrets (closed_form's docs): a posted price is truthful (0); the bid lottery
    // sum_j v_j^2 / (4n); the planted trap (1 - bump(v)) sum_j v_j. The certificate must be at
    // least the exact regret and, where it reached tol, within tol of it.
    let unit = setting(BOX_1X2);
    let two = setting(BOX_2X2);
    let config = CertifyConfig {
        tol: 1e-4,
        budget: 20_000,
    };
    let check = |c: &CertifiedRegret, exact: &[f64]| {
        for (r, &x) in exact.iter().enumerate() {
            assert!(
                c.upper[r] >= x - 1e-12,
                "bound {} below the exact {x}",
                c.upper[r]
            );
            assert!(c.reached[r], "profile {r} did not reach tol");
            assert!(
                c.upper[r] <= x + 1e-4 + 1e-9,
                "bound {} vs exact {x}",
                c.upper[r]
            );
        }
    };
    let profiles = unit.sample_profiles(&mut stream_rng(21, Stream::Test), 20);
    let posted = crate::closed_form::PostedPrice::new(vec![0.4, 0.7]);
    let c = certify_mechanism(&posted, &unit, &profiles, None, &config, Work::new(5, 2)).unwrap();
    check(&c, &[0.0; 20]);

    // The trap sits at (0.8, 0.2), radius 0.1: far from most profiles, invisible to a gradient.
    let trap = crate::closed_form::Trap::new(vec![0.8, 0.2], 0.1);
    let c = certify_mechanism(&trap, &unit, &profiles, None, &config, Work::new(5, 2)).unwrap();
    let exact: Vec<f64> = profiles.chunks_exact(2).map(|v| trap.regret(v)).collect();
    assert!(exact.iter().any(|&x| x > 0.3));
    check(&c, &exact);

    // The Manelli-Vincent menu: truthful, and any box's bound is the best offer at the true
    // values, which the truthful report takes.
    let mv =
        crate::closed_form::MenuMechanism::new(regretnet_core::optimal::Menu::manelli_vincent(), 2);
    let c = certify_mechanism(&mv, &unit, &profiles, None, &config, Work::new(5, 2)).unwrap();
    check(&c, &[0.0; 20]);

    let lottery = crate::closed_form::BidLottery {
        bidders: 2,
        items: 2,
    };
    let profiles = two.sample_profiles(&mut stream_rng(22, Stream::Test), 10);
    let c = certify_mechanism(&lottery, &two, &profiles, None, &config, Work::new(5, 2)).unwrap();
    let exact: Vec<f64> = profiles
        .chunks_exact(2)
        .map(|v| lottery.regret(v))
        .collect();
    check(&c, &exact);
}

//! Tests of the learned affine maximizer: its tensor forward against the `f64` mechanism
//! ([`regretnet_core::ama::AffineMenu`], an independent per-profile computation), IR at
//! truthful bids, feasibility of every entry, the VVCA / AMA_bsym special cases, the soft
//! surrogate's limit and the checkpoint round trip.

use candle_core::{Device, Tensor};
use regretnet_core::affine::{reference_affine_maximizers, OutcomeList};
use regretnet_core::ama::AffineMenu;
use regretnet_core::{presets, rng::stream_rng, rng::Stream, NetKind, Setting};

use crate::checkpoint::{self, flat_values};
use crate::{AmaNet, Choice, Model, NetSpec, WeightGrad};

pub(crate) fn ama(preset: &str, entries: usize, seed: u64) -> (Setting, AmaNet) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = NetKind::Ama;
    config.net.menu_size = entries;
    let setting = config.setting.build().unwrap();
    config.net.validate_for(&setting).unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = AmaNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    // Spread the entries towards deterministic allocations and the weights away from 1, so
    // the choice and the payments depend on every parameter.
    let vars = net.named_vars();
    let alloc = &vars["ama.alloc"];
    alloc.set(&(alloc.as_tensor() * 4.0).unwrap()).unwrap();
    // Boosts that price each entry by its quantity at a per-entry rate in [0.2, 0.9] (times
    // the scale of the values), so that many entries are chosen.
    let (entries, _, _) = net.menu(WeightGrad::Frozen).unwrap();
    let quantity = flat_values(&entries.flatten_from(1).unwrap().sum(1).unwrap()).unwrap();
    let scale = setting.prior.bounding_box(0)[0].1;
    let boosts: Vec<f32> = quantity[1..]
        .iter()
        .enumerate()
        .map(|(k, q)| -q * scale * (0.2 + 0.7 * ((k as f32 * 0.618).fract())))
        .collect();
    vars["ama.boost"]
        .set(&Tensor::from_vec(boosts, entries.dim(0).unwrap() - 1, &Device::Cpu).unwrap())
        .unwrap();
    let n = setting.bidders;
    let w: Vec<f32> = (0..n).map(|i| 0.3 * i as f32 - 0.2).collect();
    vars["ama.weight"]
        .set(&Tensor::from_vec(w, n, &Device::Cpu).unwrap())
        .unwrap();
    (setting, net)
}

pub(crate) fn bids(setting: &Setting, count: usize, seed: u64) -> (Vec<f32>, Tensor) {
    let v = setting.sample_profiles(&mut stream_rng(seed, Stream::Test), count);
    let t = Tensor::from_vec(
        v.clone(),
        (count, setting.bidders, setting.type_len()),
        &Device::Cpu,
    )
    .unwrap();
    (v, t)
}

const PRESETS: [&str; 5] = [
    "additive_2x2_uniform",
    "unit_2x2_uniform",
    "ca_asym_uniform_12_15",
    "additive_3x10_uniform",
    "additive_1x2_uniform",
];

#[test]
fn the_hard_forward_is_the_f64_affine_maximizer_and_is_ir() {
    for preset in PRESETS {
        let (setting, net) = ama(preset, 30, 1);
        assert_hard_forward_is_the_mechanism(preset, &setting, &net);
    }
}

/// The net's hard forward on 400 profiles equals its `f64` [`AffineMenu`]'s outcome (entry,
/// allocation, payments), is IR in `f32`, and chooses more than three entries.
pub(crate) fn assert_hard_forward_is_the_mechanism(preset: &str, setting: &Setting, net: &AmaNet) {
    {
        let menu = net.affine_menu().unwrap();
        let (v, x) = bids(setting, 400, 2);
        let out = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
        let (a, p) = (
            flat_values(&out.alloc).unwrap(),
            flat_values(&out.pay).unwrap(),
        );
        let (n, d) = (setting.bidders, setting.type_len());
        let mut chosen = std::collections::BTreeSet::new();
        for (b, profile) in v.chunks_exact(n * d).enumerate() {
            let want = menu.outcome(profile);
            chosen.insert(want.entry);
            for i in 0..n {
                // The allocation is the chosen entry's (f32 against f64 coefficients).
                let row = &a[(b * n + i) * d..(b * n + i + 1) * d];
                for (got, c) in row.iter().zip(menu.coefficients(want.entry, i)) {
                    assert!((*got as f64 - c).abs() < 1e-6, "{preset}: allocation");
                }
                let pay = p[b * n + i];
                assert!(
                    (pay as f64 - want.payments[i]).abs() < 1e-5,
                    "{preset} profile {b} bidder {i}: {pay} vs {}",
                    want.payments[i]
                );
                // IR exactly, in f32: the payment never exceeds the reported value.
                let value: f32 = row
                    .iter()
                    .zip(&profile[i * d..(i + 1) * d])
                    .map(|(x, y)| x * y)
                    .sum();
                assert!(
                    pay >= 0.0 && pay <= value.max(0.0) + 1e-6 * value.abs(),
                    "{preset}: IR"
                );
            }
        }
        assert!(chosen.len() > 3, "{preset}: the test menu chose {chosen:?}");
    }
}

#[test]
fn the_plain_hard_path_is_the_tensor_path() {
    // Free menus of every valuation, and a generated menu: the same entry on every profile,
    // the same allocation to the bit, payments within float rounding of candle's ops
    // (`forward_ops`, the path training differentiates).
    let mut nets: Vec<(String, Setting, AmaNet)> = PRESETS
        .iter()
        .map(|p| {
            let (s, n) = ama(p, 200, 3);
            (p.to_string(), s, n)
        })
        .collect();
    let mut config =
        presets::preset_with_menu("additive_3x10_uniform", regretnet_core::MenuKind::Generated)
            .unwrap();
    config.net.menu_size = 200;
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let generated = AmaNet::new(&setting, spec, &mut stream_rng(4, Stream::Init)).unwrap();
    nets.push(("generated 3x10".into(), setting, generated));
    for (name, setting, net) in &nets {
        let (_, x) = bids(setting, 1000, 5);
        let fast = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
        let ops = net
            .forward_ops(&x, Choice::Hard, WeightGrad::Frozen)
            .unwrap();
        assert_eq!(
            flat_values(&fast.alloc).unwrap(),
            flat_values(&ops.alloc).unwrap(),
            "{name}: allocations"
        );
        let (p, q) = (
            flat_values(&fast.pay).unwrap(),
            flat_values(&ops.pay).unwrap(),
        );
        let scale = setting.prior.bounding_box(0)[0].1;
        for (a, b) in p.iter().zip(&q) {
            assert!((a - b).abs() <= 2e-6 * scale, "{name}: payment {a} vs {b}");
        }
        // Not a constant mechanism: payments vary.
        assert!(p.iter().any(|x| *x > 0.0), "{name}");
    }
}

#[test]
fn every_entry_is_a_feasible_lottery() {
    // Additive and unit demand: each item sold at most once; unit demand also at most one item
    // per bidder in expectation. Combinatorial: coefficients of (v1, v2, C) are (q1 + qb,
    // q2 + qb, qb) with q1 + q2 + qb <= 1 per bidder and each item sold at most once overall.
    for preset in PRESETS {
        let (setting, net) = ama(preset, 50, 3);
        let menu = net.affine_menu().unwrap();
        let (n, m) = (setting.bidders, setting.items);
        for k in 0..menu.len() {
            let c: Vec<&[f64]> = (0..n).map(|i| menu.coefficients(k, i)).collect();
            let tol = 1e-6;
            if setting.type_len() == 3 {
                let item = |j: usize| -> f64 { c.iter().map(|r| r[j]).sum() };
                assert!(
                    item(0) <= 1.0 + tol && item(1) <= 1.0 + tol,
                    "{preset} entry {k}"
                );
                for r in &c {
                    assert!(r[0] >= r[2] - tol && r[1] >= r[2] - tol);
                    assert!(r[0] + r[1] - r[2] <= 1.0 + tol);
                }
            } else {
                for j in 0..m {
                    assert!(c.iter().map(|r| r[j]).sum::<f64>() <= 1.0 + tol, "{preset}");
                }
                if preset.starts_with("unit") {
                    for r in &c {
                        assert!(r.iter().sum::<f64>() <= 1.0 + tol, "{preset}: unit demand");
                    }
                }
            }
        }
        assert!((0..n).all(|i| menu.coefficients(0, i).iter().all(|&x| x == 0.0)));
    }
}

#[test]
fn vvca_and_ama_bsym_load_into_the_net_and_keep_their_revenue() {
    // Expected values: `AffineMaximizer::revenue_of_profile`, the baseline code, on the same
    // 10,000 profiles. The net's parameters are f32 (the weights as logarithms, the boosts
    // shifted by the empty outcome's), so its f64 menu agrees to f32 rounding of the
    // parameters (1e-6), and its f32 forward to 1e-5.
    for preset in [
        "additive_2x2_uniform",
        "ca_sym_uniform_12",
        "ca_asym_uniform_12_15",
    ] {
        let (setting, net) = ama(preset, 8, 5);
        let (v, x) = bids(&setting, 10_000, 6);
        for list in [OutcomeList::AsCoded, OutcomeList::Corrected] {
            for reference in reference_affine_maximizers(&setting, list) {
                let menu = AffineMenu::from_affine(&reference, setting.type_len()).unwrap();
                net.load_deterministic(&menu).unwrap();
                let want = v
                    .chunks_exact(setting.profile_len())
                    .map(|b| reference.revenue_of_profile(&setting, b))
                    .sum::<f64>()
                    / 10_000.0;
                let f64_menu = net.affine_menu().unwrap().mean_revenue(&v);
                assert!(
                    (f64_menu - want).abs() < 1e-6,
                    "{preset} {}: {f64_menu} vs {want}",
                    reference.name
                );
                let out = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
                let tensor = flat_values(&out.pay)
                    .unwrap()
                    .iter()
                    .map(|&p| p as f64)
                    .sum::<f64>()
                    / 10_000.0;
                assert!((tensor - want).abs() < 1e-5, "{preset} {}", reference.name);
            }
        }
    }
}

#[test]
fn the_soft_surrogate_tends_to_the_mechanism_at_high_temperature() {
    // At temperature 1e6 the softmax is the argmax except at near-ties: the soft revenue is
    // the hard one to 1e-3 on 400 profiles.
    let (setting, mut net) = ama("additive_2x2_uniform", 30, 7);
    net.set_temperature(1e6);
    let (_, x) = bids(&setting, 400, 8);
    let revenue = |c: Choice| -> f64 {
        let out = net.forward(&x, c, WeightGrad::Frozen).unwrap();
        flat_values(&out.pay)
            .unwrap()
            .iter()
            .map(|&p| p as f64)
            .sum::<f64>()
            / 400.0
    };
    let (soft, hard) = (revenue(Choice::Soft), revenue(Choice::Hard));
    assert!((soft - hard).abs() < 1e-3, "{soft} vs {hard}");
    assert!(hard > 0.05, "the test menu sells: {hard}");
}

#[test]
fn the_soft_payment_is_at_most_the_expected_value_even_at_a_tiny_weight() {
    // The exploit the bound closes: at temperature 1 the choice is spread over the menu, so
    // `max_k S_{-i} - E_pi S_{-i}` is positive, and bidder 0's weight e^-12 divides it into a
    // payment far above anything bidder 0 receives. The expected value is computed here from
    // the soft allocation (additive: sum over items of probability times bid).
    let (setting, mut net) = ama("additive_2x3_uniform", 40, 11);
    net.set_temperature(1.0);
    net.named_vars()["ama.weight"]
        .set(&Tensor::new(&[-12.0f32, 0.0], &Device::Cpu).unwrap())
        .unwrap();
    let (flat, x) = bids(&setting, 200, 12);
    let out = net.forward(&x, Choice::Soft, WeightGrad::Frozen).unwrap();
    let (alloc, pay) = (
        flat_values(&out.alloc).unwrap(),
        flat_values(&out.pay).unwrap(),
    );
    let (n, m) = (2, 3);
    let mut binding = 0;
    for b in 0..200 {
        for i in 0..n {
            let value: f32 = (0..m)
                .map(|j| alloc[(b * n + i) * m + j] * flat[(b * n + i) * m + j])
                .sum();
            let p = pay[b * n + i];
            assert!(
                p <= value + 1e-5,
                "profile {b} bidder {i}: pays {p}, expects {value}"
            );
            assert!(p >= -1e-5, "profile {b} bidder {i}: pays {p}");
            if i == 0 && (p - value).abs() < 1e-6 {
                binding += 1;
            }
        }
    }
    // Without the bound bidder 0's payment is about e^12 times the slack: the bound binds.
    assert!(
        binding > 100,
        "the bound binds on {binding} of 200 profiles"
    );
}

#[test]
fn an_ama_checkpoint_round_trips() {
    let (_, net) = ama("additive_2x3_uniform", 12, 9);
    round_trip(&Model::Ama(net));
}

/// `model` saved and loaded back, with every tensor checked equal to the bit.
pub(crate) fn round_trip(model: &Model) -> Model {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ama.safetensors");
    checkpoint::save_model(model, &Default::default(), &Default::default(), &path).unwrap();
    let back = checkpoint::load_model(&path).unwrap().model;
    assert_eq!(back.kind(), NetKind::Ama);
    for (name, var) in model.named_vars() {
        let other = &back.named_vars()[&name];
        assert_eq!(
            flat_values(var.as_tensor()).unwrap(),
            flat_values(other.as_tensor()).unwrap(),
            "{name}"
        );
    }
    back
}

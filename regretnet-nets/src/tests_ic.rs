//! Tests of the exactly incentive-compatible networks: RochetNet's menu choice and IR,
//! MyersonNet's monotone virtual values and threshold payments, and their checkpoints.

use candle_core::{Device, Tensor};
use proptest::prelude::*;
use regretnet_core::{presets, rng::stream_rng, rng::Stream, NetKind, Setting};

use crate::checkpoint::{self, flat_values};
use crate::{Choice, Model, MyersonNet, NetSpec, RochetNet, WeightGrad};

fn spec_for(
    preset: &str,
    kind: NetKind,
    tweak: impl Fn(&mut regretnet_core::NetConfig),
) -> (Setting, NetSpec) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = kind;
    tweak(&mut config.net);
    let setting = config.setting.build().unwrap();
    config.net.validate_for(&setting).unwrap();
    (
        setting,
        NetSpec {
            setting: config.setting,
            net: config.net,
        },
    )
}

fn rochet(preset: &str, entries: usize, seed: u64) -> (Setting, RochetNet) {
    let (setting, spec) = spec_for(preset, NetKind::Rochetnet, |n| n.menu_size = entries);
    let net = RochetNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    // Spread the menu: initial allocations are all near 1/2.
    let alpha = net.named_vars()["menu.alpha"].clone();
    alpha.set(&(alpha.as_tensor() * 60.0).unwrap()).unwrap();
    (setting, net)
}

fn myerson(preset: &str, seed: u64) -> (Setting, MyersonNet) {
    let (setting, spec) = spec_for(preset, NetKind::Myersonnet, |n| {
        n.groups = 4;
        n.linear = 3;
        // Virtual values of both signs at these values' scale.
        n.bias_init = Some([-1.0, 0.5]);
    });
    let net = MyersonNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

fn bids(setting: &Setting, count: usize, seed: u64) -> Tensor {
    let v = setting.sample_profiles(&mut stream_rng(seed, Stream::Test), count);
    Tensor::from_vec(
        v,
        (count, setting.bidders, setting.type_len()),
        &Device::Cpu,
    )
    .unwrap()
}

#[test]
fn rochetnet_picks_the_utility_maximizing_entry_and_is_ir() {
    // Brute force in f64 over the menu (zero entry included): the hard outcome's utility is the
    // best entry's, never negative, and its payment is that entry's price.
    for preset in [
        "additive_1x2_uniform",
        "unit_1x2_uniform",
        "additive_1x2_uniform_416_47",
    ] {
        let (setting, net) = rochet(preset, 40, 3);
        let (w, b) = net.menu(WeightGrad::Frozen).unwrap();
        let (m, k) = w.dims2().unwrap();
        let w = flat_values(&w).unwrap();
        let b = flat_values(&b).unwrap();
        let x = bids(&setting, 300, 4);
        let out = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
        let (xv, a, p) = (
            flat_values(&x).unwrap(),
            flat_values(&out.alloc).unwrap(),
            flat_values(&out.pay).unwrap(),
        );
        let mut nonzero = 0;
        for r in 0..300 {
            let v = &xv[r * m..(r + 1) * m];
            let best = (0..k)
                .map(|e| {
                    (0..m)
                        .map(|j| v[j] as f64 * w[j * k + e] as f64)
                        .sum::<f64>()
                        + b[e] as f64
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let got: f64 = (0..m)
                .map(|j| v[j] as f64 * a[r * m + j] as f64)
                .sum::<f64>()
                - p[r] as f64;
            assert!(
                (got - best).abs() < 1e-4 * (1.0 + best.abs()),
                "{preset} row {r}: {got} vs {best}"
            );
            assert!(got >= -1e-5, "{preset}: IR violated, {got}");
            if unit_sum(&a[r * m..(r + 1) * m]) > 1e-6 {
                nonzero += 1;
            }
            if preset.starts_with("unit") {
                assert!(unit_sum(&a[r * m..(r + 1) * m]) <= 1.0 + 1e-5);
            }
        }
        assert!(
            nonzero > 0,
            "{preset}: nothing was ever sold; the check saw no entries"
        );
    }
}

fn unit_sum(a: &[f32]) -> f32 {
    a.iter().sum()
}

#[test]
fn rochetnet_soft_choice_approaches_the_hard_one() {
    // With the reference's temperature 1000 the softmax puts almost all weight on the best
    // entry: revenue within 1% of the hard menu's on 500 profiles of a spread menu.
    let (setting, net) = rochet("additive_1x2_uniform", 30, 5);
    let x = bids(&setting, 500, 6);
    let rev = |c| {
        let p = net.forward(&x, c, WeightGrad::Frozen).unwrap().pay;
        p.mean_all().unwrap().to_scalar::<f32>().unwrap()
    };
    let (soft, hard) = (rev(Choice::Soft), rev(Choice::Hard));
    assert!(
        (soft - hard).abs() <= 0.01 * hard.abs() + 1e-3,
        "{soft} vs {hard}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Monotone by construction, for any weights: min over groups of max over lines with
    /// positive slopes; and the inverse inverts.
    #[test]
    fn myersonnet_virtual_values_are_monotone_and_invertible(seed in 0u64..10_000, scale in 0.1f64..4.0, lo in 0.0f32..5.0, gap in 1e-3f32..3.0) {
        let (_, net) = myerson("additive_3x1_irregular", seed);
        for v in net.named_vars().values() {
            v.set(&(v.as_tensor() * scale).unwrap()).unwrap();
        }
        let x = Tensor::new(&[[lo, lo, lo], [lo + gap, lo + gap, lo + gap]], &Device::Cpu).unwrap();
        let vv = net.virtual_values(&x, WeightGrad::Frozen).unwrap().to_vec2::<f32>().unwrap();
        for i in 0..3 {
            prop_assert!(vv[0][i] <= vv[1][i], "bidder {}: {:?}", i, vv);
        }
        let back = net.inverse_virtual_values(&Tensor::new(vv, &Device::Cpu).unwrap(), WeightGrad::Frozen)
            .unwrap().to_vec2::<f32>().unwrap();
        for i in 0..3 {
            prop_assert!((back[0][i] - lo).abs() < 1e-3 * (1.0 + lo), "{:?}", back);
        }
    }
}

#[test]
fn myersonnet_sells_to_the_top_virtual_value_at_the_least_winning_bid() {
    // The hard auction: at most one winner, who has the highest non-negative virtual value and
    // pays the bid at which it would stop winning (found by bisection against the mechanism
    // itself); losers pay nothing.
    for preset in [
        "additive_3x1_uniform",
        "additive_5x1_asymmetric_uniform",
        "additive_3x1_exponential",
    ] {
        let (setting, net) = myerson(preset, 8);
        let n = setting.bidders;
        let x = bids(&setting, 60, 9);
        let out = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
        let (xv, a, p) = (
            flat_values(&x).unwrap(),
            flat_values(&out.alloc).unwrap(),
            flat_values(&out.pay).unwrap(),
        );
        let vv = flat_values(
            &net.virtual_values(&x.reshape((60, n)).unwrap(), WeightGrad::Frozen)
                .unwrap(),
        )
        .unwrap();
        let mut sold = 0;
        for r in 0..60 {
            let row = &a[r * n..(r + 1) * n];
            assert!(row.iter().sum::<f32>() <= 1.0);
            let top = (0..n)
                .map(|i| vv[r * n + i])
                .fold(f32::NEG_INFINITY, f32::max);
            for i in 0..n {
                if row[i] == 0.0 {
                    assert_eq!(p[r * n + i], 0.0);
                    continue;
                }
                sold += 1;
                assert!(vv[r * n + i] == top && top >= 0.0);
                assert!(p[r * n + i] <= xv[r * n + i] + 1e-4, "IR");
                let wins = |bid: f32| {
                    let mut b = xv[r * n..(r + 1) * n].to_vec();
                    b[i] = bid;
                    let t = Tensor::from_vec(b, (1, n, 1), &Device::Cpu).unwrap();
                    flat_values(
                        &net.forward(&t, Choice::Hard, WeightGrad::Frozen)
                            .unwrap()
                            .alloc,
                    )
                    .unwrap()[i]
                        > 0.5
                };
                let (mut lo, mut hi) = (-50.0f32, xv[r * n + i]);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if wins(mid) {
                        hi = mid
                    } else {
                        lo = mid
                    }
                }
                assert!(
                    (hi - p[r * n + i]).abs() < 1e-3 * (1.0 + hi.abs()),
                    "{preset} row {r}: {hi} vs {}",
                    p[r * n + i]
                );
            }
        }
        assert!(
            sold > 0,
            "{preset}: no sale; the threshold check saw nothing"
        );
    }
}

#[test]
fn exactly_ic_checkpoints_round_trip_and_are_named_on_the_wrong_loader() {
    let dir = tempfile::tempdir().unwrap();
    for (preset, kind) in [
        ("unit_1x2_uniform", NetKind::Rochetnet),
        ("additive_3x1_exponential", NetKind::Myersonnet),
    ] {
        let (setting, spec) = spec_for(preset, kind, |n| {
            n.menu_size = 7;
            n.groups = 2;
            n.linear = 3;
        });
        let model = Model::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
        let path = dir.path().join(format!("{preset}.safetensors"));
        checkpoint::save_model(&model, &Default::default(), &Default::default(), &path).unwrap();
        let back = checkpoint::load_model_expecting(&path, model.spec()).unwrap();
        let x = bids(&setting, 20, 2);
        let a = flat_values(&model.forward(&x, WeightGrad::Frozen).unwrap().pay).unwrap();
        let b = flat_values(&back.model.forward(&x, WeightGrad::Frozen).unwrap().pay).unwrap();
        assert_eq!(a, b);
        let err = checkpoint::load(&path).unwrap_err().to_string();
        assert!(err.contains(kind.name()), "{err}");
    }
}

#[test]
fn constructors_refuse_the_wrong_shape() {
    let (setting, mut spec) = spec_for("additive_2x2_uniform", NetKind::Regretnet, |_| {});
    spec.net.kind = NetKind::Rochetnet;
    assert!(spec
        .net
        .validate_for(&setting)
        .unwrap_err()
        .to_string()
        .contains("net.kind"));
    let mut rng = stream_rng(1, Stream::Init);
    assert!(RochetNet::new(&setting, spec.clone(), &mut rng).is_err());
    spec.net.kind = NetKind::Myersonnet;
    assert!(spec
        .net
        .validate_for(&setting)
        .unwrap_err()
        .to_string()
        .contains("net.kind"));
    assert!(MyersonNet::new(&setting, spec, &mut rng).is_err());
}

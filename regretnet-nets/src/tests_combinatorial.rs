//! Tests of the combinatorial 2x2 head and network: feasibility, the coefficient form of the
//! utility, individual rationality and the head's gradient.

use candle_core::{DType, Device, Tensor, Var};
use proptest::prelude::*;
use rand::Rng;
use regretnet_core::combinatorial::bundle_values;
use regretnet_core::{presets, rng::stream_rng, rng::Stream};

use crate::checkpoint::flat_values;
use crate::heads::{combinatorial_allocation, combinatorial_bundles, COMBINATORIAL_LOGITS};
use crate::{NetSpec, RegretNet, WeightGrad};

fn logits(seed: u64, batch: usize, scale: f32) -> Tensor {
    let mut rng = stream_rng(seed, Stream::Test);
    let z: Vec<f32> = (0..batch * COMBINATORIAL_LOGITS)
        .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * scale)
        .collect();
    Tensor::from_vec(z, (batch, COMBINATORIAL_LOGITS), &Device::Cpu).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Each item is given at most once (alone or in a bundle, over both bidders) and each
    /// bidder receives at most one package, for any logits, saturated ones included.
    #[test]
    fn bundles_are_feasible(seed in 0u64..10_000, scale in 0.1f32..60.0) {
        let batch = 32;
        let a = flat_values(&combinatorial_bundles(&logits(seed, batch, scale)).unwrap()).unwrap();
        let c = flat_values(&combinatorial_allocation(&logits(seed, batch, scale)).unwrap()).unwrap();
        for b in 0..batch {
            let at = |k: usize, p: usize| a[(b * 2 + k) * 3 + p];
            prop_assert!(a[b * 6..(b + 1) * 6].iter().all(|&x| (0.0..=1.0).contains(&x)));
            for item in 0..2 {
                let used = at(0, item) + at(1, item) + at(0, 2) + at(1, 2);
                prop_assert!(used <= 1.0 + 1e-5, "item {} used {}", item, used);
            }
            for k in 0..2 {
                let got = at(k, 0) + at(k, 1) + at(k, 2);
                prop_assert!(got <= 1.0 + 1e-5, "bidder {} gets {}", k, got);
                // Coefficients of (v1, v2, C): (a1 + ab, a2 + ab, ab).
                let coef = &c[(b * 2 + k) * 3..(b * 2 + k + 1) * 3];
                prop_assert!((coef[0] - at(k, 0) - at(k, 2)).abs() < 1e-6);
                prop_assert!((coef[1] - at(k, 1) - at(k, 2)).abs() < 1e-6);
                prop_assert!((coef[2] - at(k, 2)).abs() < 1e-6);
            }
        }
    }
}

#[test]
fn combinatorial_head_gradient_matches_finite_differences() {
    // d/dz of sum(w * coef(z)) by autograd against central differences, all in f64 (the head
    // runs in whatever dtype its logits have); random logits are tie-free, away from the min's
    // kinks.
    let batch = 4;
    let k = COMBINATORIAL_LOGITS;
    let z = logits(21, batch, 2.0).to_dtype(DType::F64).unwrap();
    let z: Vec<f64> = z.flatten_all().unwrap().to_vec1().unwrap();
    let mut rng = stream_rng(22, Stream::Test);
    let w: Vec<f64> = (0..batch * 6).map(|_| rng.random::<f64>() - 0.5).collect();
    let wt = Tensor::from_vec(w.clone(), (batch, 2, 3), &Device::Cpu).unwrap();
    let f = |z: &[f64]| -> f64 {
        let t = Tensor::from_slice(z, (batch, k), &Device::Cpu).unwrap();
        let a = combinatorial_allocation(&t).unwrap();
        let a: Vec<f64> = a.flatten_all().unwrap().to_vec1().unwrap();
        a.iter().zip(&w).map(|(a, w)| a * w).sum()
    };
    let var = Var::from_slice(&z, (batch, k), &Device::Cpu).unwrap();
    let a = combinatorial_allocation(var.as_tensor()).unwrap();
    let g = (a * &wt).unwrap().sum_all().unwrap().backward().unwrap();
    let g: Vec<f64> = g
        .get(var.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let h = 1e-6;
    for i in 0..batch * k {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (f(&up) - f(&down)) / (2.0 * h);
        assert!(
            (fd - g[i]).abs() < 1e-7,
            "logit {i}: fd {fd} autograd {}",
            g[i]
        );
    }
    // Every one of the four softmaxes gets gradient somewhere.
    for block in [0..5, 5..10, 10..13, 13..16] {
        assert!(
            (0..batch).any(|b| block.clone().any(|j| g[b * k + j].abs() > 1e-3)),
            "no gradient reaches logits {block:?}"
        );
    }
}

#[test]
fn a_ca_net_scores_bundles_and_is_individually_rational() {
    // The net's utility in coefficient form, sum_k coef_k type_k - p, equals the bundle form
    // a1 v1 + a2 v2 + ab (v1 + v2 + C) - p computed from the bundle shares of the same logits;
    // the payment is at most the reported value (IR), and the net reads the bundle values
    // (v1, v2, v1 + v2 + C): changing C alone changes the outcome.
    let mut config = presets::preset("ca_asym_uniform_12_15").unwrap();
    config.net.alloc_hidden = vec![16, 8];
    config.net.pay_hidden = vec![12];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(5, Stream::Init)).unwrap();
    assert_eq!(net.items(), 3);
    let batch = 64;
    let profiles = setting.sample_profiles(&mut stream_rng(6, Stream::Test), batch);
    let t = Tensor::from_slice(&profiles, (batch, 2, 3), &Device::Cpu).unwrap();
    let out = net.forward(&t, WeightGrad::Frozen).unwrap();
    let coef = flat_values(&out.alloc).unwrap();
    let pay = flat_values(&out.pay).unwrap();
    let x = crate::heads::combinatorial_input(&t).unwrap();
    let logits = net
        .alloc_net()
        .forward_plain(&x, WeightGrad::Frozen)
        .unwrap();
    let shares = flat_values(&combinatorial_bundles(&logits).unwrap()).unwrap();
    for r in 0..batch * 2 {
        let row = &profiles[r * 3..(r + 1) * 3];
        let by_coef: f32 = coef[r * 3..(r + 1) * 3]
            .iter()
            .zip(row)
            .map(|(c, v)| c * v)
            .sum();
        let by_bundle: f64 = shares[r * 3..(r + 1) * 3]
            .iter()
            .zip(bundle_values(row))
            .map(|(a, v)| *a as f64 * v)
            .sum();
        assert!((by_coef as f64 - by_bundle).abs() < 1e-4, "row {r}");
        assert!(pay[r] >= 0.0 && pay[r] <= by_coef + 1e-5, "row {r}: IR");
    }
    let mut moved = profiles.clone();
    moved[2] = -moved[2];
    let t2 = Tensor::from_slice(&moved, (batch, 2, 3), &Device::Cpu).unwrap();
    let out2 = net.forward(&t2, WeightGrad::Frozen).unwrap();
    let p2 = flat_values(&out2.pay).unwrap();
    assert_ne!(pay[0], p2[0]);
}

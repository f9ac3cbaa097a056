//! Unit tests of the networks: feasibility, individual rationality, init and checkpoints.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};
use proptest::prelude::*;
use rand::Rng;
use regretnet_core::{presets, rng::stream_rng, rng::Stream, Setting};

use crate::checkpoint::{self, flat_values};
use crate::{NetSpec, NetsError, RegretNet, WeightGrad};

fn build(preset: &str, seed: u64) -> (Setting, RegretNet) {
    let mut config = presets::preset(preset).unwrap();
    config.net.alloc_hidden = vec![16, 8];
    config.net.pay_hidden = vec![12];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Feasibility and IR hold by construction of the heads (softmax with a dummy bidder;
    /// payment = sigmoid * reported value), for any weights and any bids, even outside the
    /// prior's support and for large weights.
    #[test]
    fn allocations_feasible_and_payments_ir(seed in 0u64..1000, scale in 0.1f32..30.0, n in 1usize..4, m in 1usize..4, unit in any::<bool>()) {
        let preset = if unit { "unit_2x2_uniform" } else { "additive_2x2_uniform" };
        let mut config = presets::preset(preset).unwrap();
        config.setting.bidders = n;
        config.setting.items = m;
        config.net.alloc_hidden = vec![10];
        config.net.pay_hidden = vec![10];
        let setting = config.setting.build().unwrap();
        let spec = NetSpec { setting: config.setting, net: config.net };
        let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
        // Blow the weights up so that the softmax saturates too.
        for var in net.named_vars().values() {
            var.set(&(var.as_tensor() * scale as f64).unwrap()).unwrap();
        }
        let batch = 16;
        let mut rng = stream_rng(seed, Stream::Data);
        let bids: Vec<f32> = (0..batch * n * m).map(|_| rng.random::<f32>() * 5.0).collect();
        let t = Tensor::from_vec(bids.clone(), (batch, n, m), &Device::Cpu).unwrap();
        let out = net.forward(&t, WeightGrad::Frozen).unwrap();
        let a = flat_values(&out.alloc).unwrap();
        let p = flat_values(&out.pay).unwrap();
        for b in 0..batch {
            for j in 0..m {
                let col: f32 = (0..n).map(|i| a[(b * n + i) * m + j]).sum();
                prop_assert!(col <= 1.0 + 1e-5, "item {} allocated {}", j, col);
            }
            for i in 0..n {
                if unit {
                    // Unit demand: at most one item per bidder in expectation.
                    let row: f32 = (0..m).map(|j| a[(b * n + i) * m + j]).sum();
                    prop_assert!(row <= 1.0 + 1e-5, "bidder {} gets {}", i, row);
                }
                let value: f32 = (0..m).map(|j| a[(b * n + i) * m + j] * bids[(b * n + i) * m + j]).sum();
                let pay = p[b * n + i];
                prop_assert!(pay >= 0.0 && pay <= value * (1.0 + 1e-5) + 1e-7, "pay {} value {}", pay, value);
            }
        }
        prop_assert!(a.iter().all(|x| (0.0..=1.0).contains(x)));
    }
}

#[test]
fn glorot_init_has_the_right_range_and_variance() {
    // Glorot-uniform: U[-a, a] with a = sqrt(6 / (fan_in + fan_out)), variance a^2 / 3.
    let w = crate::init::glorot_uniform(100, 200, &mut stream_rng(3, Stream::Init)).unwrap();
    let v = flat_values(w.as_tensor()).unwrap();
    let a = (6.0f64 / 300.0).sqrt();
    assert!(v.iter().all(|x| (x.abs() as f64) <= a));
    let var = v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / v.len() as f64;
    assert!(
        (var - a * a / 3.0).abs() < 0.05 * a * a / 3.0,
        "variance {var}"
    );
}

#[test]
fn init_is_determined_by_the_seed() {
    let (_, a) = build("additive_1x2_uniform", 5);
    let (_, b) = build("additive_1x2_uniform", 5);
    let (_, c) = build("additive_1x2_uniform", 6);
    let w =
        |n: &RegretNet| flat_values(n.named_vars()["alloc.hidden0.weight"].as_tensor()).unwrap();
    assert_eq!(w(&a), w(&b));
    assert_ne!(w(&a), w(&c));
}

#[test]
fn checkpoint_round_trips_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let (_, net) = build("additive_2x2_uniform", 9);
    let extra: BTreeMap<_, _> = [(
        "optim.step".to_string(),
        Tensor::new(&[3.0f32], &Device::Cpu).unwrap(),
    )]
    .into();
    let meta: BTreeMap<_, _> = [("iteration".to_string(), "17".to_string())].into();
    checkpoint::save(&net, &extra, &meta, &path).unwrap();
    let back = checkpoint::load_expecting(&path, net.spec()).unwrap();
    for (name, var) in net.named_vars() {
        let other = &back.net.named_vars()[&name];
        assert_eq!(
            flat_values(var.as_tensor()).unwrap(),
            flat_values(other.as_tensor()).unwrap(),
            "{name}"
        );
    }
    assert_eq!(back.metadata["iteration"], "17");
    assert_eq!(back.metadata["format_version"], "1");
    assert_eq!(flat_values(&back.extra["optim.step"]).unwrap(), vec![3.0]);
    // Same outputs bit for bit.
    let bids = Tensor::new(&[[[0.3f32, 0.4], [0.9, 0.05]]], &Device::Cpu).unwrap();
    let p1 = flat_values(&net.forward(&bids, WeightGrad::Frozen).unwrap().pay).unwrap();
    let p2 = flat_values(&back.net.forward(&bids, WeightGrad::Frozen).unwrap().pay).unwrap();
    assert_eq!(p1, p2);
}

#[test]
fn checkpoint_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let (_, net) = build("additive_2x2_uniform", 9);
    checkpoint::save(&net, &BTreeMap::new(), &BTreeMap::new(), &path).unwrap();

    let (_, other) = build("additive_1x2_uniform", 9);
    let err = checkpoint::load_expecting(&path, other.spec()).unwrap_err();
    assert!(
        matches!(err, NetsError::Mismatch { ref field, .. } if field == "setting"),
        "{err}"
    );

    let bytes = std::fs::read(&path).unwrap();
    let truncated = dir.path().join("trunc.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = checkpoint::load(&truncated).unwrap_err().to_string();
    assert!(err.contains("trunc.safetensors"), "{err}");

    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"hello world, not a checkpoint").unwrap();
    let err = checkpoint::load(&junk).unwrap_err().to_string();
    assert!(err.contains("not a safetensors file"), "{err}");

    let foreign = dir.path().join("foreign.safetensors");
    let t = Tensor::new(&[1.0f32], &Device::Cpu).unwrap();
    candle_core::safetensors::save(&[("x", t)].into_iter().collect(), &foreign).unwrap();
    let err = checkpoint::load(&foreign).unwrap_err().to_string();
    assert!(err.contains("format"), "{err}");

    let missing = checkpoint::load(&dir.path().join("nope.safetensors")).unwrap_err();
    assert!(matches!(missing, NetsError::Io { .. }));
}

#[test]
fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state");
    checkpoint::write_atomic(&path, b"old").unwrap();
    // A failure after the temporary file is fully written (as when the disk fills up at the
    // end): the rename onto a non-empty directory fails; the temporary is removed.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("inside"), b"x").unwrap();
    assert!(checkpoint::write_atomic(&blocked, b"new").is_err());
    assert!(blocked.join("inside").exists());
    // A failure before anything is written: no directory.
    assert!(checkpoint::write_atomic(&dir.path().join("missing/f"), b"new").is_err());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| !n.ends_with(".tmp")), "{left:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
}

#[test]
fn unit_demand_head_gradient_matches_finite_differences() {
    // d/dz of sum(w * a(z)) by autograd against central differences in f64-accumulated f32
    // (h = 1e-2 on logits of order 1; the min's kinks are avoided by random, tie-free logits).
    let (n, m) = (2, 3);
    let k = 2 * (n + 1) * (m + 1);
    let mut rng = stream_rng(11, Stream::Test);
    let z: Vec<f32> = (0..k).map(|_| rng.random::<f32>() * 4.0 - 2.0).collect();
    let w: Vec<f32> = (0..n * m).map(|_| rng.random::<f32>() - 0.5).collect();
    let wt = Tensor::from_vec(w.clone(), (1, n, m), &Device::Cpu).unwrap();
    let f = |z: &[f32]| -> f64 {
        let t = Tensor::from_slice(z, (1, k), &Device::Cpu).unwrap();
        let a = crate::heads::unit_demand_allocation(&t, n, m).unwrap();
        flat_values(&a)
            .unwrap()
            .iter()
            .zip(&w)
            .map(|(a, w)| (a * w) as f64)
            .sum()
    };
    let var = candle_core::Var::from_slice(&z, (1, k), &Device::Cpu).unwrap();
    let a = crate::heads::unit_demand_allocation(var.as_tensor(), n, m).unwrap();
    let g = (a * &wt).unwrap().sum_all().unwrap().backward().unwrap();
    let g = flat_values(g.get(var.as_tensor()).unwrap()).unwrap();
    let h = 1e-2f32;
    for i in 0..k {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (f(&up) - f(&down)) / (2.0 * h as f64);
        assert!(
            (fd - g[i] as f64).abs() < 2e-3,
            "logit {i}: fd {fd} autograd {}",
            g[i]
        );
    }
    assert!(
        g.iter().any(|x| x.abs() > 1e-2),
        "a gradient that means something"
    );
}

#[test]
fn matmul_at_our_shapes_matches_an_f64_product() {
    // Whichever gemm kernel runs (AVX-512 with the `avx512` feature on a CPU that has it,
    // AVX2 otherwise; `cargo xtask ci` runs this both ways), a product at the networks' shapes
    // (batch x 100 by 100 x 100, and a ragged one) is the f64 product to f32 rounding.
    let mut rng = stream_rng(5, Stream::Test);
    for (m, k, n) in [(640, 100, 100), (37, 100, 53)] {
        let a: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let ta = Tensor::from_slice(&a, (m, k), &Device::Cpu).unwrap();
        let tb = Tensor::from_slice(&b, (k, n), &Device::Cpu).unwrap();
        let c = ta
            .matmul(&tb)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for i in (0..m).step_by(7) {
            for j in 0..n {
                let exact: f64 = (0..k)
                    .map(|l| a[i * k + l] as f64 * b[l * n + j] as f64)
                    .sum();
                // |sum| of k terms of size <= 1: f32 accumulation error well below 1e-4.
                assert!(
                    (c[i * n + j] as f64 - exact).abs() < 1e-4,
                    "({i},{j}) of {m}x{k}x{n}: {} vs {exact}",
                    c[i * n + j]
                );
            }
        }
    }
}

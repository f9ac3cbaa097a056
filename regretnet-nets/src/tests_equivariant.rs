//! Tests of the equivariant RegretNet: permuting bidders or items permutes the outcome,
//! feasibility and individual rationality whatever the weights, the same parameters at every
//! size (a 2 x 3 net evaluates 5 x 10 profiles and checkpoints move between sizes), the
//! checkpoint round trip, and gradients that reach the weights only when tracked.

use candle_core::{Device, Tensor};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, NetKind, Setting};

use crate::checkpoint::{self, flat_values};
use crate::init::uniform;
use crate::{EquivariantNet, Model, NetSpec, WeightGrad};

fn equivariant(preset: &str, seed: u64) -> (Setting, EquivariantNet) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = NetKind::Equivariant;
    config.net.alloc_hidden = vec![8, 8];
    config.net.pay_hidden = vec![8, 8];
    let setting = config.setting.build().unwrap();
    config.net.validate_for(&setting).unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = EquivariantNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

fn bids(batch: usize, n: usize, m: usize, seed: u64) -> Tensor {
    let v = uniform(
        batch * n * m,
        [0.0, 1.0],
        &mut stream_rng(seed, Stream::Init),
    );
    Tensor::from_vec(v, (batch, n, m), &Device::Cpu).unwrap()
}

fn index(p: &[u32]) -> Tensor {
    Tensor::new(p, &Device::Cpu).unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    let (a, b) = (flat_values(a).unwrap(), flat_values(b).unwrap());
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn permuting_bidders_or_items_permutes_the_outcome() {
    // The outcome at the permuted bids, against the permuted outcome at the original bids:
    // a relabelling of bidders (3 of them) and of items (4), separately and together.
    let (_, net) = equivariant("additive_3x10_uniform", 1);
    let b = bids(16, 3, 4, 2);
    let out = net.forward(&b, WeightGrad::Frozen).unwrap();
    let (sigma, tau) = (index(&[2, 0, 1]), index(&[3, 1, 0, 2]));
    let cases = [
        (Some(&sigma), None),
        (None, Some(&tau)),
        (Some(&sigma), Some(&tau)),
    ];
    for (rows, cols) in cases {
        let permute = |t: &Tensor, with_cols: bool| {
            let mut t = t.contiguous().unwrap();
            if let Some(r) = rows {
                t = t.index_select(r, 1).unwrap().contiguous().unwrap();
            }
            if let (Some(c), true) = (cols, with_cols) {
                t = t.index_select(c, 2).unwrap();
            }
            t
        };
        let moved = net.forward(&permute(&b, true), WeightGrad::Frozen).unwrap();
        let da = max_diff(&moved.alloc, &permute(&out.alloc, true));
        let dp = max_diff(&moved.pay, &permute(&out.pay, false));
        assert!(da < 1e-6 && dp < 1e-6, "alloc off by {da}, pay by {dp}");
    }
    // Not a test that cannot fail: the outcome does depend on the order within a profile.
    let swapped = net
        .forward(&b.index_select(&sigma, 1).unwrap(), WeightGrad::Frozen)
        .unwrap();
    assert!(max_diff(&swapped.alloc, &out.alloc) > 1e-4);
}

#[test]
fn outcomes_are_feasible_and_individually_rational_whatever_the_weights() {
    // Weights scaled up 30x saturate the softmaxes and sigmoids: each item's column still sums
    // to at most 1 and each truthful bidder pays between 0 and its value of its allocation.
    let (_, net) = equivariant("additive_2x5_uniform", 3);
    for var in net.named_vars().values() {
        var.set(&(var.as_tensor() * 30.0).unwrap()).unwrap();
    }
    let b = bids(64, 2, 5, 4);
    let out = net.forward(&b, WeightGrad::Frozen).unwrap();
    let a = out.alloc.to_vec3::<f32>().unwrap();
    let p = out.pay.to_vec2::<f32>().unwrap();
    let v = b.to_vec3::<f32>().unwrap();
    for k in 0..64 {
        for j in 0..5 {
            let col: f32 = (0..2).map(|i| a[k][i][j]).sum();
            assert!(
                col <= 1.0 + 1e-6 && a[k].iter().all(|r| r[j] >= 0.0),
                "profile {k}"
            );
        }
        for i in 0..2 {
            let value: f32 = (0..5).map(|j| a[k][i][j] * v[k][i][j]).sum();
            assert!(
                p[k][i] >= 0.0 && p[k][i] <= value + 1e-6,
                "profile {k} bidder {i}"
            );
        }
    }
}

#[test]
fn the_parameters_do_not_depend_on_the_size() {
    // A 2 x 3 net and a 5 x 10 net from the same seed have the same variables, to the bit
    // (the draws do not depend on n or m); so the 2 x 3 net evaluates 5 x 10 profiles exactly
    // as the 5 x 10 net does.
    let (_, small) = equivariant("additive_2x3_uniform", 5);
    let (_, large) = equivariant("additive_5x10_uniform", 5);
    let (vs, vl) = (small.named_vars(), large.named_vars());
    assert_eq!(vs.keys().collect::<Vec<_>>(), vl.keys().collect::<Vec<_>>());
    for (name, var) in &vs {
        assert_eq!(
            flat_values(var.as_tensor()).unwrap(),
            flat_values(vl[name].as_tensor()).unwrap(),
            "{name}"
        );
    }
    let b = bids(4, 5, 10, 6);
    let (os, ol) = (
        small.forward(&b, WeightGrad::Frozen).unwrap(),
        large.forward(&b, WeightGrad::Frozen).unwrap(),
    );
    assert_eq!(
        flat_values(&os.alloc).unwrap(),
        flat_values(&ol.alloc).unwrap()
    );
    assert_eq!(flat_values(&os.pay).unwrap(), flat_values(&ol.pay).unwrap());
}

#[test]
fn checkpoints_round_trip_through_model() {
    let (setting, net) = equivariant("additive_2x3_uniform", 7);
    let dir = std::env::temp_dir().join(format!("regretnet-eq-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("eq.safetensors");
    let model = Model::Equivariant(net);
    checkpoint::save_model(&model, &Default::default(), &Default::default(), &path).unwrap();
    let loaded = checkpoint::load_model(&path).unwrap().model;
    assert_eq!(loaded.kind(), NetKind::Equivariant);
    assert_eq!(loaded.spec(), model.spec());
    let b = bids(8, setting.bidders, setting.items, 8);
    let (x, y) = (
        model.forward(&b, WeightGrad::Frozen).unwrap(),
        loaded.forward(&b, WeightGrad::Frozen).unwrap(),
    );
    assert_eq!(
        flat_values(&x.alloc).unwrap(),
        flat_values(&y.alloc).unwrap()
    );
    assert_eq!(flat_values(&x.pay).unwrap(), flat_values(&y.pay).unwrap());
    // A RegretNet reader refuses it, naming the kind.
    let err = checkpoint::load(&path).unwrap_err().to_string();
    assert!(err.contains("equivariant"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gradients_reach_the_weights_only_when_tracked() {
    let (_, net) = equivariant("additive_2x3_uniform", 9);
    let vars = net.named_vars();
    let b = candle_core::Var::from_tensor(&bids(4, 2, 3, 10)).unwrap();
    for (mode, weights_move) in [(WeightGrad::Track, true), (WeightGrad::Frozen, false)] {
        let out = net.forward(b.as_tensor(), mode).unwrap();
        let grads = out.pay.sum_all().unwrap().backward().unwrap();
        assert!(grads.get(b.as_tensor()).is_some(), "the bids' gradient");
        for (name, var) in &vars {
            assert_eq!(grads.get(var.as_tensor()).is_some(), weights_move, "{name}");
        }
    }
}

#[test]
fn only_additive_bidders_and_sensible_widths_are_accepted() {
    let mut config = presets::preset("unit_1x2_uniform").unwrap();
    config.net.kind = NetKind::Equivariant;
    let err = config.validate().unwrap_err().to_string();
    assert!(
        err.contains("net.kind") && err.contains("additive"),
        "{err}"
    );
    let mut config = presets::preset("additive_2x3_uniform").unwrap();
    config.net.kind = NetKind::Equivariant;
    config.net.alloc_hidden = vec![];
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("net.alloc_hidden"), "{err}");
    config.net.alloc_hidden = vec![2000];
    assert!(config.validate().is_err());
    config.net.alloc_hidden = vec![8];
    config.train.trace_every = 100;
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("train.trace_every"), "{err}");
}

//! Tests of the generated AMA menu: the exchangeable layer's equivariance, parameters that do
//! not depend on the numbers of bidders and items (so a net moves between sizes), the hard
//! forward against the `f64` affine maximizer with IR, and the checkpoint round trip.

use candle_core::{Device, Tensor};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, MenuKind, NetKind, Setting};

use crate::checkpoint::{self, flat_values};
use crate::init::normal;
use crate::tests_ama::assert_hard_forward_is_the_mechanism;
use crate::{AmaNet, Exchangeable, Model, NetSpec, WeightGrad};

fn generated(preset: &str, entries: usize, seed: u64) -> (Setting, AmaNet) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = NetKind::Ama;
    config.net.menu = MenuKind::Generated;
    config.net.menu_size = entries;
    config.net.menu_hidden = vec![16, 16];
    let setting = config.setting.build().unwrap();
    config.net.validate_for(&setting).unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = AmaNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

/// Sharpen the generated entries, price each by its quantity at a per-entry rate (the boost
/// head's weights zeroed, its bias set), and spread the bidder weights, so that the choice and
/// the payments depend on the generator.
fn spread(setting: &Setting, net: &AmaNet) {
    let vars = net.named_vars();
    let alloc = &vars["ama.gen.alloc"];
    alloc.set(&(alloc.as_tensor() * 20.0).unwrap()).unwrap();
    let boost = &vars["ama.gen.boost"];
    boost.set(&boost.as_tensor().zeros_like().unwrap()).unwrap();
    let (entries, _, _) = net.menu(WeightGrad::Frozen).unwrap();
    let quantity = flat_values(&entries.flatten_from(1).unwrap().sum(1).unwrap()).unwrap();
    let scale = setting.prior.bounding_box(0)[0].1;
    let boosts: Vec<f32> = quantity[1..]
        .iter()
        .enumerate()
        .map(|(k, q)| -q * scale * (0.4 + 0.2 * (((k + 1) as f32 * 0.618).fract())))
        .collect();
    vars["ama.gen.boost_bias"]
        .set(&Tensor::from_vec(boosts, entries.dim(0).unwrap() - 1, &Device::Cpu).unwrap())
        .unwrap();
    let w = &vars["ama.gen.weight"];
    let h = w.as_tensor().dim(0).unwrap();
    let values = normal(h, 0.5, &mut stream_rng(99, Stream::Init));
    w.set(&Tensor::from_vec(values, (h, 1), &Device::Cpu).unwrap())
        .unwrap();
}

#[test]
fn exchangeable_layers_commute_with_permutations_of_rows_and_columns() {
    // Permuting the input grid's rows and columns permutes the output the same way: checked
    // on a [2, 4, 5, 3] grid against the layer applied to the unpermuted one.
    let layer = Exchangeable::new(3, 6, &mut stream_rng(1, Stream::Init)).unwrap();
    let (b, r, c, k) = (2, 4, 5, 3);
    let x = normal(b * r * c * k, 1.0, &mut stream_rng(2, Stream::Init));
    let rows = [2usize, 0, 3, 1];
    let cols = [4usize, 1, 0, 3, 2];
    let mut permuted = vec![0.0f32; x.len()];
    for bb in 0..b {
        for (i, &pi) in rows.iter().enumerate() {
            for (j, &pj) in cols.iter().enumerate() {
                let from = ((bb * r + pi) * c + pj) * k;
                let to = ((bb * r + i) * c + j) * k;
                permuted[to..to + k].copy_from_slice(&x[from..from + k]);
            }
        }
    }
    let run = |v: Vec<f32>| -> Vec<f32> {
        let t = Tensor::from_vec(v, (b, r, c, k), &Device::Cpu).unwrap();
        flat_values(&layer.forward(&t, WeightGrad::Frozen).unwrap()).unwrap()
    };
    let (y, yp) = (run(x), run(permuted));
    let out = 6;
    for bb in 0..b {
        for (i, &pi) in rows.iter().enumerate() {
            for (j, &pj) in cols.iter().enumerate() {
                for o in 0..out {
                    let want = y[((bb * r + pi) * c + pj) * out + o];
                    let got = yp[((bb * r + i) * c + j) * out + o];
                    assert!((want - got).abs() < 1e-5, "{want} vs {got}");
                }
            }
        }
    }
    // And it is not the trivial layer: entries of one grid differ.
    assert!(y.iter().any(|v| (v - y[0]).abs() > 1e-3));
}

#[test]
fn a_generated_menu_has_the_same_parameters_at_every_size() {
    // Same seed, 2 x 5 and 3 x 10: the same names, shapes and initial values; the 2 x 5 net's
    // weights then drive a 3 x 10 mechanism that is an exact affine maximizer.
    let (_, small) = generated("additive_2x5_uniform", 40, 3);
    let (large_setting, large) = generated("additive_3x10_uniform", 40, 3);
    let (a, b) = (small.named_vars(), large.named_vars());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, var) in &a {
        assert_eq!(
            flat_values(var.as_tensor()).unwrap(),
            flat_values(b[name].as_tensor()).unwrap(),
            "{name}"
        );
    }
    // A free menu's parameters grow with the sizes; the generated one's do not.
    let count = |net: &AmaNet| -> usize {
        net.named_vars()
            .values()
            .map(|v| v.as_tensor().elem_count())
            .sum()
    };
    assert_eq!(count(&small), count(&large));
    for (name, var) in &a {
        b[name].set(var.as_tensor()).unwrap();
    }
    spread(&large_setting, &large);
    let (entries, _, weights) = large.menu(WeightGrad::Frozen).unwrap();
    assert_eq!(entries.dims(), &[41, 3, 10]);
    assert_eq!(weights.dims(), &[3]);
    assert_hard_forward_is_the_mechanism("additive_3x10_uniform", &large_setting, &large);
}

#[test]
fn the_generated_hard_forward_is_the_f64_affine_maximizer_and_is_ir() {
    for preset in [
        "additive_2x2_uniform",
        "unit_2x2_uniform",
        "additive_1x2_uniform",
        "additive_2x5_uniform",
    ] {
        let (setting, net) = generated(preset, 30, 4);
        spread(&setting, &net);
        assert_hard_forward_is_the_mechanism(preset, &setting, &net);
        // The unit-demand menu keeps its constraints: at most one item per bidder.
        if preset.starts_with("unit") {
            let menu = net.affine_menu().unwrap();
            for k in 0..menu.len() {
                for i in 0..setting.bidders {
                    assert!(menu.coefficients(k, i).iter().sum::<f64>() <= 1.0 + 1e-6);
                }
            }
        }
    }
}

#[test]
fn a_generated_ama_checkpoint_round_trips_and_keeps_its_menu_kind() {
    let (setting, net) = generated("additive_2x3_uniform", 12, 5);
    spread(&setting, &net);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.safetensors");
    let model = Model::Ama(net);
    checkpoint::save_model(&model, &Default::default(), &Default::default(), &path).unwrap();
    let back = checkpoint::load_model(&path).unwrap().model;
    assert_eq!(back.spec().net.menu, MenuKind::Generated);
    let (x, y) = (model.named_vars(), back.named_vars());
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
    for (name, var) in &x {
        assert_eq!(
            flat_values(var.as_tensor()).unwrap(),
            flat_values(y[name].as_tensor()).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn a_generated_menu_refuses_deterministic_loading() {
    let (setting, net) = generated("additive_2x2_uniform", 8, 6);
    let menu = regretnet_core::ama::AffineMenu::new(
        setting.bidders,
        setting.type_len(),
        vec![0.0; 9 * 4],
        vec![1.0, 1.0],
        vec![0.0; 9],
    )
    .unwrap();
    let err = net.load_deterministic(&menu).unwrap_err().to_string();
    assert!(err.contains("generated"), "{err}");
}

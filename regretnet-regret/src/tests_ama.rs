//! The audits on learned affine maximizers, whose regret is zero by construction
//! ([`regretnet_core::ama`]): the 2-D grid at 2 items, the coordinate audit at 10 items (a
//! mechanism with known zero regret at a size where no closed form of ours has it), and the
//! piecewise-constant utility gradient against candle's autograd.

use candle_core::{Device, Tensor};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, NetKind, Setting};
use regretnet_nets::{Model, NetSpec};

use crate::coordinate::{coordinate_audit, CoordinateConfig};
use crate::grid::{grid_audit, GridConfig};
use crate::search::{Autograd, PiecewiseConstant, UtilityGradient};
use crate::tests_audit::profiles;
use crate::work::Work;

/// An AMA of `entries` entries for `preset`, its logits spread so that entries are close to
/// deterministic and many are chosen.
fn ama(preset: &str, entries: usize, seed: u64) -> (Setting, Model) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = NetKind::Ama;
    config.net.menu_size = entries;
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let model = Model::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    let alloc = &model.named_vars()["ama.alloc"];
    alloc.set(&(alloc.as_tensor() * 3.0).unwrap()).unwrap();
    (setting, model)
}

/// An AMA with the item-wise block ([`regretnet_core::ama_itemwise`]) for `preset`, moved off
/// its start (item-wise Myerson) so that both the block and the entries are chosen: sharper
/// entries with boosts raised by `raise`, the block's boosts shifted, weights away from 1.
fn itemwise_ama(preset: &str, entries: usize, seed: u64, raise: f64) -> (Setting, Model) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = NetKind::Ama;
    config.net.menu_size = entries;
    config.net.itemwise = true;
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let model = Model::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    let vars = model.named_vars();
    let alloc = &vars["ama.alloc"];
    alloc.set(&(alloc.as_tensor() * 3.0).unwrap()).unwrap();
    let boost = &vars["ama.boost"];
    boost.set(&(boost.as_tensor() + raise).unwrap()).unwrap();
    let beta = &vars["ama.itemwise"];
    let count = beta.as_tensor().elem_count();
    let shift: Vec<f32> = (0..count)
        .map(|x| 0.3 * ((x as f32 * 0.618).fract() - 0.5))
        .collect();
    let shift = Tensor::from_vec(shift, beta.as_tensor().dims(), &Device::Cpu).unwrap();
    beta.set(&(beta.as_tensor() + shift).unwrap()).unwrap();
    let n = setting.bidders;
    let w: Vec<f32> = (0..n).map(|i| 0.25 * i as f32 - 0.2).collect();
    vars["ama.weight"]
        .set(&Tensor::from_vec(w, n, &Device::Cpu).unwrap())
        .unwrap();
    (setting, model)
}

#[test]
fn the_audits_find_no_regret_in_an_ama_with_the_itemwise_block() {
    // The block's argmax and payments are computed item by item; the audits search the
    // reports themselves. The grid at 2 items and the coordinate audit at 10 (the boosts
    // raised as far as the nets' tests measured both the block and the entries to be chosen:
    // 0.02 at 2x2, 2.0 at 3x10). Tolerances as in the two tests above.
    let (setting, model) = itemwise_ama("additive_2x2_uniform", 60, 1, 0.02);
    let v = profiles(&setting, 40, 2);
    let audit = grid_audit(
        &model,
        &setting,
        &v,
        &GridConfig::default(),
        Work::new(8, 2),
    )
    .unwrap();
    assert!(worst(&audit.regret) < 1e-6, "2x2: {}", worst(&audit.regret));
    let (setting, model) = itemwise_ama("additive_3x10_uniform", 80, 3, 2.0);
    let v = profiles(&setting, 12, 4);
    let audit = coordinate_audit(
        &model,
        &setting,
        &v,
        None,
        &CoordinateConfig::default(),
        &mut stream_rng(5, Stream::TestMisreport),
        Work::new(4, 2),
    )
    .unwrap();
    assert!(
        worst(&audit.regret) < 1e-5,
        "3x10: {}",
        worst(&audit.regret)
    );
}

/// The largest regret of any (profile, bidder).
fn worst(regret: &[f32]) -> f32 {
    regret.iter().fold(0.0f32, |a, &b| a.max(b))
}

#[test]
fn the_grid_finds_no_regret_in_a_two_item_ama() {
    // Tolerance: f32 rounding of utilities of order 1 (a few ulps, 1e-6).
    // The CA settings too: a combinatorial bidder's type has three values (the bundle's term),
    // which the mechanism must report as its `items` (this audit once stopped with a shape
    // error on every CA AMA).
    for preset in [
        "additive_2x2_uniform",
        "unit_2x2_uniform",
        "additive_1x2_uniform",
        "ca_sym_uniform_12",
        "ca_asym_uniform_12_15",
    ] {
        let (setting, model) = ama(preset, 60, 1);
        assert_eq!(
            crate::Mechanism::items(&model),
            setting.type_len(),
            "{preset}"
        );
        let v = profiles(&setting, 40, 2);
        let audit = grid_audit(
            &model,
            &setting,
            &v,
            &GridConfig::default(),
            Work::new(8, 2),
        )
        .unwrap();
        assert!(
            worst(&audit.regret) < 1e-6,
            "{preset}: {}",
            worst(&audit.regret)
        );
    }
}

#[test]
fn the_coordinate_audit_finds_no_regret_in_a_ten_item_ama() {
    let (setting, model) = ama("additive_3x10_uniform", 80, 3);
    let v = profiles(&setting, 12, 4);
    let audit = coordinate_audit(
        &model,
        &setting,
        &v,
        None,
        &CoordinateConfig::default(),
        &mut stream_rng(5, Stream::TestMisreport),
        Work::new(4, 2),
    )
    .unwrap();
    // The same audit finds the staircase's regret at this size (tests_coordinate.rs, of order
    // 0.1 per profile), so a zero here is the mechanism's. Tolerance: a few ulps of the affine
    // welfare the payments are differences of (up to about 30 at 3 bidders and 10 items, where
    // one f32 ulp is 1.9e-6); the largest found on these profiles is 1.2e-6.
    assert!(worst(&audit.regret) < 1e-5, "{}", worst(&audit.regret));
}

#[test]
fn the_piecewise_constant_gradient_is_autograd_s() {
    // Autograd's gradient of a bidder's utility with respect to its own report is exactly
    // zero wherever the chosen entry does not change (the payment's own-report terms
    // cancel), so skipping the backward pass loses nothing. Autograd runs candle's tensor
    // path, PiecewiseConstant the plain per-profile one (the bids are not tracked there):
    // the same mechanism, whose values may round differently (candle's matrix product fuses
    // multiply-adds), so the utilities agree to a few ulps of the values (order 1 here).
    let (setting, model) = ama("additive_2x3_uniform", 40, 6);
    let (n, d) = (setting.bidders, setting.type_len());
    let v = profiles(&setting, 64, 7);
    let mis = profiles(&setting, 64, 8);
    let truth = Tensor::from_slice(&v, (64, n, d), &Device::Cpu).unwrap();
    let (u_auto, g_auto) = Autograd(&model).utility_and_grad(&truth, &mis).unwrap();
    let (u_pc, g_pc) = PiecewiseConstant(&model)
        .utility_and_grad(&truth, &mis)
        .unwrap();
    assert_eq!(u_auto.len(), u_pc.len());
    for (a, b) in u_auto.iter().zip(&u_pc) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert!(g_pc.iter().all(|&g| g == 0.0));
    let largest = g_auto.iter().fold(0.0f32, |a, &b| a.max(b.abs()));
    assert!(largest < 1e-5, "autograd's gradient {largest}");
}

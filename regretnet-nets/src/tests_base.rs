//! RegretNet on the softened item-wise Myerson base (`net.base`, [`crate::base`]): it starts as
//! that auction (checked against the independent computation of
//! [`regretnet_core::myerson_soft::SoftItem`], whose payments integrate numerically), the
//! misreport search's hand-written gradient matches autograd with the base and a trained
//! residual, and checkpoints keep the base.

use candle_core::{Device, Tensor};
use rand::Rng;
use regretnet_core::myerson_soft::SoftItem;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{presets, NetBase, Setting};

use crate::frozen::FrozenNet;
use crate::tests_fused::{autograd_reference, search_rows};
use crate::{NetSpec, RegretNet, WeightGrad};

fn based(preset: &str, tau: f64, seed: u64) -> (Setting, RegretNet) {
    let mut c = presets::preset(preset).unwrap();
    c.net.alloc_hidden = vec![16, 16];
    c.net.pay_hidden = vec![16, 16];
    c.net.base = Some(NetBase::ItemwiseMyerson);
    c.net.base_temperature = Some(tau);
    let setting = c.setting.build().unwrap();
    c.net.validate_for(&setting).unwrap();
    let spec = NetSpec {
        setting: c.setting.clone(),
        net: c.net.clone(),
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

#[test]
fn a_fresh_based_network_is_the_softened_itemwise_myerson_auction() {
    for (preset, tau) in [
        ("additive_2x3_uniform", 0.05),
        ("additive_5x10_uniform", 0.1),
    ] {
        let (setting, net) = based(preset, tau, 3);
        let (n, m) = (setting.bidders, setting.items);
        let b = 30;
        let bids = setting.sample_profiles(&mut stream_rng(4, Stream::Test), b);
        let out = net
            .forward(
                &Tensor::from_slice(&bids, (b, n, m), &Device::Cpu).unwrap(),
                WeightGrad::Frozen,
            )
            .unwrap();
        let alloc: Vec<f32> = out.alloc.flatten_all().unwrap().to_vec1().unwrap();
        let pay: Vec<f32> = out.pay.flatten_all().unwrap().to_vec1().unwrap();
        let auctions = regretnet_core::baselines::myerson_per_item(&setting).unwrap();
        let soft: Vec<SoftItem> = auctions
            .iter()
            .map(|a| SoftItem::new(a.ironed().to_vec(), tau).unwrap())
            .collect();
        for p in 0..b {
            let mut want_pay = vec![0f64; n];
            for (j, item) in soft.iter().enumerate() {
                let v: Vec<f64> = (0..n).map(|i| bids[(p * n + i) * m + j] as f64).collect();
                let (a, pj) = item.outcome(&v);
                for i in 0..n {
                    let got = alloc[(p * n + i) * m + j] as f64;
                    assert!(
                        (got - a[i]).abs() < 2e-6,
                        "{preset} alloc {got} vs {}",
                        a[i]
                    );
                    want_pay[i] += pj[i];
                }
            }
            for i in 0..n {
                let got = pay[p * n + i] as f64;
                assert!(
                    (got - want_pay[i]).abs() < 2e-5,
                    "{preset} profile {p} bidder {i}: pays {got}, softened Myerson {}",
                    want_pay[i]
                );
            }
        }
    }
}

#[test]
fn the_hand_written_gradient_matches_autograd_on_a_based_network() {
    for (preset, tau) in [
        ("additive_2x2_uniform", 0.1),
        ("additive_2x3_uniform", 0.05),
        // Three bidders: the other bidders' logsumexp has more than one term.
        ("additive_3x10_uniform", 0.05),
    ] {
        let (setting, net) = based(preset, tau, 7);
        // A residual that is not zero: random output layers, so both paths matter.
        let mut rng = stream_rng(11, Stream::Init);
        for out in [&net.alloc_net().output, &net.pay_net().output] {
            let dims = out.weight.as_tensor().dims().to_vec();
            let w: Vec<f32> = (0..dims.iter().product::<usize>())
                .map(|_| rng.random_range(-0.3f32..0.3))
                .collect();
            out.weight
                .set(&Tensor::from_vec(w, dims, &Device::Cpu).unwrap())
                .unwrap();
        }
        let (n, m) = (setting.bidders, setting.items);
        let b = 40;
        let truth = setting.sample_profiles(&mut stream_rng(8, Stream::Test), b);
        let mis = setting.sample_profiles(&mut stream_rng(9, Stream::Test), b);
        let (u_ref, g_ref) = autograd_reference(&net, &truth, &mis);
        let (reports, values) = search_rows(&truth, &mis, n, m);
        let fast = FrozenNet::new(&net)
            .unwrap()
            .own_utility_and_grad(&reports, &values, true)
            .unwrap();
        let du = u_ref
            .iter()
            .zip(&fast.utility)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let scale = g_ref.iter().map(|g| g.abs()).fold(0.0, f32::max);
        // Relative to the largest gradient: the base's logits have slope 2 / tau.
        let dg = g_ref
            .iter()
            .zip(&fast.grad)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(du < 2e-5, "{preset}: utility differs by {du}");
        assert!(
            dg < 1e-4 * scale.max(1.0),
            "{preset}: gradient differs by {dg} (largest {scale})"
        );
        assert!(
            scale > 0.05,
            "{preset}: gradients too small to mean anything"
        );
    }
}

#[test]
fn a_checkpoint_keeps_the_base() {
    let (_, net) = based("additive_2x3_uniform", 0.05, 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    crate::checkpoint::save(&net, &Default::default(), &Default::default(), &path).unwrap();
    let back = crate::checkpoint::load(&path).unwrap().net;
    assert_eq!(back.base(), net.base());
    let bids = Tensor::new(&[[[0.9f32, 0.2, 0.6], [0.4, 0.8, 0.55]]], &Device::Cpu).unwrap();
    let a = net.forward(&bids, WeightGrad::Frozen).unwrap();
    let b = back.forward(&bids, WeightGrad::Frozen).unwrap();
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(flat(&a.pay), flat(&b.pay));
    assert!(flat(&a.pay)[0] > 0.3, "the base sells: {:?}", flat(&a.pay));
}

#[test]
fn a_base_is_refused_where_it_does_not_apply() {
    let check = |preset: &str, kind: Option<regretnet_core::NetKind>, tau: Option<f64>| {
        let mut c = match kind {
            Some(k) => presets::preset_with_net(preset, k).unwrap(),
            None => presets::preset(preset).unwrap(),
        };
        c.net.base = Some(NetBase::ItemwiseMyerson);
        c.net.base_temperature = tau;
        let setting = c.setting.build().unwrap();
        c.net.validate_for(&setting).unwrap_err().to_string()
    };
    assert!(check("additive_2x2_uniform", None, None).contains("net.base"));
    for bad in [0.0, -1.0, f64::NAN] {
        assert!(check("additive_2x2_uniform", None, Some(bad)).contains("net.base_temperature"));
    }
    assert!(check("unit_2x2_uniform", None, Some(0.1)).contains("uniform values"));
    assert!(check("additive_3x1_exponential", None, Some(0.1)).contains("uniform values"));
    assert!(check(
        "additive_2x2_uniform",
        Some(regretnet_core::NetKind::Equivariant),
        Some(0.1)
    )
    .contains("\"regretnet\""));
}

#[test]
fn the_search_rows_terms_agree_with_the_batched_logits() {
    // The f64 per-row path (`own_row_terms`, the misreport search) against the candle path
    // (`logits`, training): the same allocation logits, and each bidder's payment logit.
    let (setting, _) = based("additive_5x10_uniform", 0.05, 5);
    let (n, m) = (setting.bidders, setting.items);
    let base = crate::base::MyersonBase::new(&setting, 0.05).unwrap();
    let b = 20;
    let bids = setting.sample_profiles(&mut stream_rng(6, Stream::Test), b);
    let (z_ref, s_ref) = base
        .logits(&Tensor::from_slice(&bids, (b, n, m), &Device::Cpu).unwrap())
        .unwrap();
    let z_ref: Vec<f32> = z_ref.flatten_all().unwrap().to_vec1().unwrap();
    let s_ref: Vec<f32> = s_ref.flatten_all().unwrap().to_vec1().unwrap();
    let block = (n + 1) * (m + 1);
    for p in 0..b {
        for own in 0..n {
            let mut z = vec![0f32; block];
            let (logit, _) = base.own_row_terms(&bids[p * n * m..(p + 1) * n * m], &mut z, own);
            for (got, want) in z.iter().zip(&z_ref[p * block..(p + 1) * block]) {
                assert!(
                    (got - want).abs() < 1e-4,
                    "allocation logit {got} vs {want}"
                );
            }
            let want = s_ref[p * n + own];
            assert!(
                (logit - want).abs() < 2e-3 * want.abs().max(1.0),
                "profile {p} bidder {own}: payment logit {logit} vs {want}"
            );
        }
    }
}

//! Tests of the AMA's item-wise block (`[net] itemwise = true`): the fresh net is item-wise
//! Myerson, the hard forward with the block is the `f64` mechanism
//! ([`regretnet_core::ama::AffineMenu`] with its [`regretnet_core::ama::ItemwiseBlock`], an
//! independent per-profile computation that the core tests check against the block written
//! out as explicit entries), the plain path is the tensor path, the soft surrogate's limit and
//! bound, and the checkpoint round trip.

use candle_core::{Device, Tensor};
use regretnet_core::baselines::itemwise_myerson;
use regretnet_core::{presets, rng::stream_rng, rng::Stream, NetKind, Setting};

use crate::checkpoint::flat_values;
use crate::tests_ama::{bids, round_trip};
use crate::{AmaNet, Choice, Model, NetSpec, WeightGrad};

/// A fresh AMA of `entries` entries with the item-wise block for `preset`.
pub(crate) fn fresh(preset: &str, entries: usize, seed: u64) -> (Setting, AmaNet) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = NetKind::Ama;
    config.net.menu_size = entries;
    config.net.itemwise = true;
    let setting = config.setting.build().unwrap();
    config.net.validate_for(&setting).unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = AmaNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

/// A fresh net moved off item-wise Myerson so that every parameter matters: sharper entries,
/// their boosts raised by `raise` (so that they win on part of the profiles), the block's
/// boosts and the weights away from their start.
pub(crate) fn perturbed(preset: &str, entries: usize, seed: u64, raise: f32) -> (Setting, AmaNet) {
    let (setting, net) = fresh(preset, entries, seed);
    let vars = net.named_vars();
    let alloc = &vars["ama.alloc"];
    alloc.set(&(alloc.as_tensor() * 3.0).unwrap()).unwrap();
    let boost = &vars["ama.boost"];
    boost
        .set(&(boost.as_tensor() + raise as f64).unwrap())
        .unwrap();
    let beta = &vars["ama.itemwise"];
    let shift: Vec<f32> = (0..beta.as_tensor().elem_count())
        .map(|x| 0.3 * ((x as f32 * 0.618).fract() - 0.5))
        .collect();
    let shift = Tensor::from_vec(shift, beta.as_tensor().dims(), &Device::Cpu).unwrap();
    beta.set(&(beta.as_tensor() + shift).unwrap()).unwrap();
    let n = setting.bidders;
    let w: Vec<f32> = (0..n).map(|i| 0.25 * i as f32 - 0.2).collect();
    vars["ama.weight"]
        .set(&Tensor::from_vec(w, n, &Device::Cpu).unwrap())
        .unwrap();
    (setting, net)
}

#[test]
fn a_fresh_itemwise_ama_is_itemwise_myerson() {
    // Independent computation: `baselines::itemwise_myerson` (virtual values) on 2,000 test
    // profiles. The entries start 3 / T below the least boost at which they beat the block
    // anywhere, so the block is chosen on every profile and its payments are Myerson's to f32
    // rounding.
    for preset in [
        "additive_2x2_uniform",
        "additive_2x5_uniform",
        "additive_3x10_uniform",
    ] {
        let (setting, net) = fresh(preset, 100, 1);
        let menu = net.affine_menu().unwrap();
        let (v, x) = bids(&setting, 2000, 2);
        let out = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
        let pay = flat_values(&out.pay).unwrap();
        let n = setting.bidders;
        let len = setting.profile_len();
        let mut block = 0;
        let (mut got, mut want) = (0.0, 0.0);
        for (b, profile) in v.chunks_exact(len).enumerate() {
            let here: f64 = pay[b * n..(b + 1) * n].iter().map(|&p| p as f64).sum();
            let myerson = itemwise_myerson(&setting, profile).unwrap();
            // The block, or the empty entry where the block's best is also the empty
            // assignment (welfare 0 when no bid reaches its reserve: the tie goes to the
            // explicit menu), selling nothing as Myerson does.
            let entry = menu.outcome(profile).entry;
            assert!(
                entry == 0 || entry == menu.len(),
                "{preset} {b}: entry {entry}"
            );
            block += usize::from(entry == menu.len());
            assert!(
                (here - myerson).abs() < 1e-5,
                "{preset} {b}: {here} vs {myerson}"
            );
            (got, want) = (got + here, want + myerson);
        }
        assert!(block > 1800, "{preset}: the block on {block} of 2,000");
        assert!(
            ((got - want) / 2000.0).abs() < 1e-6,
            "{preset}: {} vs {}",
            got / 2000.0,
            want / 2000.0
        );
    }
}

#[test]
fn the_entry_floor_is_where_an_entry_starts_to_beat_the_block() {
    // U[0, 1], reserve 1/2 on every item: at bids of 1/2 everywhere every assignment of the
    // block has welfare 0 and entry 1 has welfare `sum a_ij / 2 + boost`, which is above 0
    // exactly when the boost is above its floor `-sum a_ij / 2`. Just above, entry 1 is
    // chosen there; just below, the empty entry is (welfare 0, tied with the block's best,
    // and ties go to the explicit menu).
    let (setting, net) = fresh("additive_2x3_uniform", 5, 13);
    let (entries, boosts, _) = net.menu(WeightGrad::Frozen).unwrap();
    let a = flat_values(&entries.narrow(0, 1, 1).unwrap()).unwrap();
    let floor = crate::ama_block::entry_floor(
        &a,
        &crate::ama_block::itemwise_myerson_boosts(&setting),
        2,
        3,
    );
    assert!((floor + a.iter().map(|&x| x as f64).sum::<f64>() / 2.0).abs() < 1e-6);
    let start = flat_values(&boosts).unwrap()[1];
    let margin = 3.0 / net.spec().net.temperature;
    assert!(
        (start as f64 - (floor - margin)).abs() < 1e-5,
        "{start} vs {floor}"
    );
    let at_reserve = Tensor::from_vec(vec![0.5f32; 6], (1, 2, 3), &Device::Cpu).unwrap();
    for (delta, want) in [(1e-3, 1), (-1e-3, 0)] {
        let mut b = flat_values(&boosts).unwrap()[1..].to_vec();
        b[0] = (floor + delta) as f32;
        net.named_vars()["ama.boost"]
            .set(&Tensor::from_vec(b, 5, &Device::Cpu).unwrap())
            .unwrap();
        let entry = net.affine_menu().unwrap().outcome(&[0.5; 6]).entry;
        assert_eq!(entry, want, "boost floor {delta:+}");
        let out = net
            .forward(&at_reserve, Choice::Hard, WeightGrad::Frozen)
            .unwrap();
        let got = flat_values(&out.alloc).unwrap();
        let entry_1: Vec<f32> = a.clone();
        assert_eq!(got == entry_1, want == 1, "boost floor {delta:+}: {got:?}");
    }
}

#[test]
fn the_hard_forward_with_the_block_is_the_f64_mechanism_and_is_ir() {
    for (preset, raise) in [
        ("additive_2x2_uniform", 0.02),
        ("additive_3x10_uniform", 2.0),
    ] {
        let (setting, net) = perturbed(preset, 60, 3, raise);
        let menu = net.affine_menu().unwrap();
        let (v, x) = bids(&setting, 400, 4);
        let out = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
        let (a, p) = (
            flat_values(&out.alloc).unwrap(),
            flat_values(&out.pay).unwrap(),
        );
        let (n, m) = (setting.bidders, setting.items);
        let mut block = 0;
        for (b, profile) in v.chunks_exact(n * m).enumerate() {
            let want = menu.outcome(profile);
            for i in 0..n {
                let row = &a[(b * n + i) * m..(b * n + i + 1) * m];
                for (j, got) in row.iter().enumerate() {
                    let c = if want.entry == menu.len() {
                        if want.owners[j] == i {
                            1.0
                        } else {
                            0.0
                        }
                    } else {
                        menu.coefficients(want.entry, i)[j]
                    };
                    assert!((*got as f64 - c).abs() < 1e-6, "{preset} {b}: allocation");
                }
                let pay = p[b * n + i];
                assert!(
                    (pay as f64 - want.payments[i]).abs() < 1e-5,
                    "{preset} profile {b} bidder {i}: {pay} vs {}",
                    want.payments[i]
                );
                let value: f32 = row
                    .iter()
                    .zip(&profile[i * m..(i + 1) * m])
                    .map(|(x, y)| x * y)
                    .sum();
                assert!(
                    pay >= 0.0 && pay <= value + 1e-6 * value.abs(),
                    "{preset}: IR"
                );
            }
            block += usize::from(want.entry == menu.len());
        }
        assert!(
            (40..360).contains(&block),
            "{preset}: the block on {block} of 400"
        );
    }
}

#[test]
fn the_plain_hard_path_with_the_block_is_the_tensor_path() {
    for (preset, raise) in [
        ("additive_2x5_uniform", 0.3),
        ("additive_3x10_uniform", 2.0),
    ] {
        let (setting, net) = perturbed(preset, 200, 5, raise);
        let (_, x) = bids(&setting, 1000, 6);
        let fast = net.forward(&x, Choice::Hard, WeightGrad::Frozen).unwrap();
        let ops = net
            .forward_ops(&x, Choice::Hard, WeightGrad::Frozen)
            .unwrap();
        assert_eq!(
            flat_values(&fast.alloc).unwrap(),
            flat_values(&ops.alloc).unwrap(),
            "{preset}: allocations"
        );
        let (p, q) = (
            flat_values(&fast.pay).unwrap(),
            flat_values(&ops.pay).unwrap(),
        );
        for (a, b) in p.iter().zip(&q) {
            // A few ulps of the block's welfare, a sum over 10 items of order 10 (candle's sum
            // and the plain loop may add in different orders; found 2.3e-6).
            assert!((a - b).abs() <= 1e-5, "{preset}: payment {a} vs {b}");
        }
        assert!(p.iter().any(|x| *x > 0.0), "{preset}");
    }
}

#[test]
fn the_soft_surrogate_with_the_block_tends_to_the_mechanism() {
    // At temperature 1e6 the block's per-item softmaxes and the choice between it and the
    // entries are argmaxes except at near-ties: the soft revenue is the hard one to 1e-3.
    let (setting, mut net) = perturbed("additive_2x5_uniform", 40, 7, 0.3);
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
    assert!(hard > 0.5, "the test menu sells: {hard}");
}

#[test]
fn the_soft_payment_with_the_block_is_at_most_the_expected_value() {
    // Temperature 1 spreads the choice over entries and assignments; the soft allocation is
    // then a mixture whose rows are each item's probabilities (at most 1 over bidders), and no
    // payment exceeds the expected value computed from it.
    let (setting, mut net) = perturbed("additive_2x5_uniform", 40, 9, 0.3);
    net.set_temperature(1.0);
    let (flat, x) = bids(&setting, 200, 10);
    let out = net.forward(&x, Choice::Soft, WeightGrad::Frozen).unwrap();
    let (alloc, pay) = (
        flat_values(&out.alloc).unwrap(),
        flat_values(&out.pay).unwrap(),
    );
    let (n, m) = (2, 5);
    for b in 0..200 {
        for j in 0..m {
            let sold: f32 = (0..n).map(|i| alloc[(b * n + i) * m + j]).sum();
            assert!(sold <= 1.0 + 1e-5, "profile {b} item {j}: {sold}");
        }
        for i in 0..n {
            let value: f32 = (0..m)
                .map(|j| alloc[(b * n + i) * m + j] * flat[(b * n + i) * m + j])
                .sum();
            let p = pay[b * n + i];
            assert!(
                p <= value + 1e-5 && p >= -1e-5,
                "profile {b} bidder {i}: {p} vs {value}"
            );
        }
    }
}

#[test]
fn an_itemwise_checkpoint_round_trips() {
    let (setting, net) = perturbed("additive_2x3_uniform", 12, 11, 0.1);
    let model = Model::Ama(net);
    let back = round_trip(&model);
    assert!(back.spec().net.itemwise);
    let names: Vec<String> = model.named_vars().into_keys().collect();
    assert!(names.contains(&"ama.itemwise".to_string()), "{names:?}");
    let (_, x) = bids(&setting, 50, 12);
    let (a, b) = (
        model.forward(&x, WeightGrad::Frozen).unwrap(),
        back.forward(&x, WeightGrad::Frozen).unwrap(),
    );
    assert_eq!(flat_values(&a.pay).unwrap(), flat_values(&b.pay).unwrap());
}

#[test]
fn the_block_is_refused_where_it_does_not_apply() {
    for (preset, kind, menu, want) in [
        (
            "unit_2x2_uniform",
            NetKind::Ama,
            regretnet_core::MenuKind::Free,
            "additive",
        ),
        (
            "additive_2x2_uniform",
            NetKind::Regretnet,
            regretnet_core::MenuKind::Free,
            "part of the AMA",
        ),
        (
            "additive_2x2_uniform",
            NetKind::Ama,
            regretnet_core::MenuKind::Generated,
            "free menu",
        ),
    ] {
        let mut config = presets::preset(preset).unwrap();
        config.net.kind = kind;
        config.net.menu = menu;
        config.net.itemwise = true;
        let setting = config.setting.build().unwrap();
        let err = config.net.validate_for(&setting).unwrap_err().to_string();
        assert!(
            err.contains("net.itemwise") && err.contains(want),
            "{preset}: {err}"
        );
    }
}

#[test]
fn the_block_charges_each_bidder_only_for_what_it_wins() {
    // `ama_block::soft` at temperature 2 (a spread choice) against an independent f64
    // computation from the bids, weights and boosts: per item the softmax `q` over the terms
    // `w_k b_kj + beta[j, k]` and "unsold" `beta[j, n]`, bidder i's price
    // `(max(beta[j, i], max_{k != i} s_jk) - beta[j, i]) / w_i`, and the charge
    // `sum_j q_ji min(price, b_ij)`. Items a bidder does not get cost it nothing, however
    // spread the choice.
    let (setting, net) = perturbed("additive_2x5_uniform", 10, 14, 0.3);
    let (n, m) = (setting.bidders, setting.items);
    let (v, x) = bids(&setting, 50, 15);
    let (_, _, weights) = net.menu(WeightGrad::Frozen).unwrap();
    let beta_t = net.itemwise_boosts(WeightGrad::Frozen).unwrap();
    let blk = crate::ama_block::soft(&x, &weights, &beta_t, 2.0).unwrap();
    let charge = flat_values(&blk.charge).unwrap();
    let w: Vec<f64> = flat_values(&weights)
        .unwrap()
        .iter()
        .map(|&x| x as f64)
        .collect();
    let beta: Vec<f64> = flat_values(&beta_t)
        .unwrap()
        .iter()
        .map(|&x| x as f64)
        .collect();
    let mut spread = 0.0f64;
    for (b, profile) in v.chunks_exact(n * m).enumerate() {
        for i in 0..n {
            let mut want = 0.0;
            for j in 0..m {
                let s: Vec<f64> = (0..=n)
                    .map(|k| {
                        let bk = beta[j * (n + 1) + k];
                        if k < n {
                            w[k] * profile[k * m + j] as f64 + bk
                        } else {
                            bk
                        }
                    })
                    .collect();
                let top = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = s.iter().map(|x| (2.0 * (x - top)).exp()).sum();
                let q = (2.0 * (s[i] - top)).exp() / z;
                spread = spread.max(q.min(1.0 - q));
                let own = beta[j * (n + 1) + i];
                let rival = (0..=n)
                    .filter(|&k| k != i)
                    .map(|k| s[k])
                    .fold(own, f64::max);
                let price = (rival - own) / w[i];
                want += q * price.min(profile[i * m + j] as f64);
            }
            let got = charge[b * n + i] as f64;
            assert!(
                (got - want).abs() < 1e-5,
                "profile {b} bidder {i}: {got} vs {want}"
            );
        }
    }
    assert!(spread > 0.3, "the test's choice is spread: {spread}");
}

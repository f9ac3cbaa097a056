//! The fast paths against candle's plain autograd: fused tanh layers (values and gradients)
//! and the hand-written input gradient of the misreport search, each to 1e-5.

use candle_core::{Device, Tensor, Var};
use rand::Rng;
use regretnet_core::{presets, rng::stream_rng, rng::Stream, Setting};

use crate::frozen::FrozenNet;
use crate::fused::{bias_tanh, column_sum, tanh, tanh_backward};
use crate::{NetSpec, RegretNet, WeightGrad};

fn random(rows: usize, cols: usize, scale: f32, seed: u64) -> Vec<f32> {
    let mut rng = stream_rng(seed, Stream::Test);
    (0..rows * cols)
        .map(|_| scale * (2.0 * rng.random::<f32>() - 1.0))
        .collect()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let b = b.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn vectorisable_tanh_matches_libm() {
    let mut worst = 0f32;
    for k in -120_000..=120_000 {
        let x = k as f32 * 1e-4;
        worst = worst.max((tanh(x) - x.tanh()).abs());
    }
    for x in [
        0.0f32,
        -0.0,
        1e-30,
        0.125,
        -0.125,
        8.99,
        9.0,
        50.0,
        -1e30,
        f32::MAX,
    ] {
        worst = worst.max((tanh(x) - x.tanh()).abs());
    }
    assert!(worst < 3e-7, "max |tanh - libm tanh| = {worst}");
    assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(tanh(1e4), 1.0);
    assert!(tanh(f32::NAN).is_nan());
}

#[test]
fn fused_bias_tanh_matches_plain_ops_in_value_and_gradient() {
    let (rows, h) = (37, 23);
    let z = Var::from_vec(random(rows, h, 3.0, 1), (rows, h), &Device::Cpu).unwrap();
    let b = Var::from_vec(random(1, h, 1.0, 2), h, &Device::Cpu).unwrap();
    let upstream = Tensor::from_vec(random(rows, h, 1.0, 3), (rows, h), &Device::Cpu).unwrap();
    let fused = bias_tanh(z.as_tensor(), b.as_tensor()).unwrap();
    let plain = z
        .as_tensor()
        .broadcast_add(b.as_tensor())
        .unwrap()
        .tanh()
        .unwrap();
    assert!(max_diff(&fused, &plain) < 1e-6);
    let gf = (&fused * &upstream)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let gp = (&plain * &upstream)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    for (name, v) in [("z", &z), ("b", &b)] {
        let d = max_diff(
            gf.get(v.as_tensor()).unwrap(),
            gp.get(v.as_tensor()).unwrap(),
        );
        assert!(d < 1e-5, "gradient of {name} differs by {d}");
    }
    // The helpers on their own.
    let y = Tensor::new(&[[0.5f32, -0.25]], &Device::Cpu).unwrap();
    let g = Tensor::new(&[[2.0f32, 4.0]], &Device::Cpu).unwrap();
    let back = tanh_backward(&g, &y).unwrap().to_vec2::<f32>().unwrap();
    assert_eq!(back, vec![vec![1.5, 3.75]]);
    let cs = column_sum(&Tensor::new(&[[1.0f32, 2.0], [3.0, 4.0]], &Device::Cpu).unwrap());
    assert_eq!(cs.unwrap().to_vec1::<f32>().unwrap(), vec![4.0, 6.0]);
}

/// The preset's net with random (non-zero) biases and weights scaled up, so that every
/// softmax and sigmoid is away from its flat middle.
fn net(preset: &str, seed: u64) -> (Setting, RegretNet) {
    let mut config = presets::preset(preset).unwrap();
    config.net.alloc_hidden = vec![24, 16];
    config.net.pay_hidden = vec![20];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    for (k, (_, var)) in net.named_vars().into_iter().enumerate() {
        let t = var.as_tensor();
        let scaled = (t * 2.0).unwrap();
        let noise = Tensor::from_vec(
            random(1, t.elem_count(), 0.5, 100 + k as u64),
            t.shape(),
            &Device::Cpu,
        )
        .unwrap();
        var.set(&(scaled + noise).unwrap()).unwrap();
    }
    (setting, net)
}

#[test]
fn fused_forward_matches_plain_forward_and_weight_gradients() {
    for preset in [
        "additive_1x2_uniform",
        "additive_2x3_uniform",
        "unit_2x2_uniform",
    ] {
        let (setting, net) = net(preset, 4);
        let bids = setting.sample_profiles(&mut stream_rng(5, Stream::Test), 64);
        let bids =
            Tensor::from_vec(bids, (64, setting.bidders, setting.items), &Device::Cpu).unwrap();
        let a = net.forward(&bids, WeightGrad::Track).unwrap();
        let b = net.forward_plain(&bids, WeightGrad::Track).unwrap();
        assert!(max_diff(&a.alloc, &b.alloc) < 1e-5);
        assert!(max_diff(&a.pay, &b.pay) < 1e-5);
        let loss = |o: &crate::Outcome| {
            (o.pay.sum_all().unwrap() + (o.alloc.sqr().unwrap().sum_all().unwrap() * 0.3).unwrap())
                .unwrap()
        };
        let ga = loss(&a).backward().unwrap();
        let gb = loss(&b).backward().unwrap();
        for (name, var) in net.named_vars() {
            let d = max_diff(
                ga.get(var.as_tensor()).unwrap(),
                gb.get(var.as_tensor()).unwrap(),
            );
            assert!(d < 1e-5, "{preset} {name}: {d}");
        }
    }
}

/// The search's utility by candle autograd on the plain forward: profiles `truth` (flat
/// `[B, n, m]`), misreports `mis`; returns (utility [B*n], gradient [B*n*m]) per own row.
pub(crate) fn autograd_reference(
    net: &RegretNet,
    truth: &[f32],
    mis: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let (n, m) = (net.bidders(), net.items());
    let b = truth.len() / (n * m);
    let mis_var = Var::from_slice(mis, (b, n, m), &Device::Cpu).unwrap();
    let truth_t = Tensor::from_slice(truth, (b, n, m), &Device::Cpu).unwrap();
    // Row b*n + k: the truth with bidder k's row replaced.
    let eye = Tensor::eye(n, candle_core::DType::F32, &Device::Cpu)
        .unwrap()
        .reshape((1, n, n, 1))
        .unwrap();
    let keep = (1.0 - &eye).unwrap();
    let others = truth_t.unsqueeze(1).unwrap().broadcast_mul(&keep).unwrap();
    let own = mis_var
        .as_tensor()
        .unsqueeze(2)
        .unwrap()
        .broadcast_mul(&eye)
        .unwrap();
    let profiles = (others + own).unwrap().reshape((b * n, n, m)).unwrap();
    let out = net.forward_plain(&profiles, WeightGrad::Frozen).unwrap();
    let alloc = out
        .alloc
        .reshape((b, n, n, m))
        .unwrap()
        .broadcast_mul(&eye)
        .unwrap()
        .sum(2)
        .unwrap();
    let pay = out
        .pay
        .reshape((b, n, n))
        .unwrap()
        .broadcast_mul(&eye.squeeze(3).unwrap())
        .unwrap()
        .sum(2)
        .unwrap();
    let u = ((alloc * &truth_t).unwrap().sum(2).unwrap() - pay).unwrap();
    let g = u.sum_all().unwrap().backward().unwrap();
    (
        u.flatten_all().unwrap().to_vec1().unwrap(),
        g.get(mis_var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap(),
    )
}

/// The search's layout of profiles `truth` and misreports `mis` (both flat `[B, n, m]`): row
/// `b * n + k` is profile `b` with bidder `k`'s misreport; the reports (flat `[B * n, n, m]`)
/// and each row's own true values (flat `[B * n, m]`).
pub(crate) fn search_rows(truth: &[f32], mis: &[f32], n: usize, m: usize) -> (Vec<f32>, Vec<f32>) {
    let b = truth.len() / (n * m);
    let mut reports = Vec::with_capacity(b * n * n * m);
    let mut values = Vec::with_capacity(b * n * m);
    for p in 0..b {
        for k in 0..n {
            let at = reports.len();
            reports.extend_from_slice(&truth[p * n * m..(p + 1) * n * m]);
            reports[at + k * m..at + (k + 1) * m]
                .copy_from_slice(&mis[(p * n + k) * m..(p * n + k + 1) * m]);
            values.extend_from_slice(&truth[(p * n + k) * m..(p * n + k + 1) * m]);
        }
    }
    (reports, values)
}

#[test]
fn hand_written_input_gradient_matches_autograd() {
    for preset in [
        "additive_1x2_uniform",
        "additive_2x2_uniform",
        "additive_2x3_uniform",
        "unit_1x2_uniform",
        "unit_2x2_uniform",
        "ca_sym_uniform_12",
        "ca_asym_uniform_12_15",
    ] {
        let (setting, net) = net(preset, 7);
        let (n, m) = (setting.bidders, setting.type_len());
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
        let dg = g_ref
            .iter()
            .zip(&fast.grad)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let scale = g_ref.iter().map(|g| g.abs()).fold(0.0, f32::max);
        assert!(du < 1e-5, "{preset}: utility differs by {du}");
        assert!(
            dg < 1e-5,
            "{preset}: gradient differs by {dg} (largest gradient {scale})"
        );
        assert!(
            scale > 0.05,
            "{preset}: gradients too small to mean anything"
        );
        let only_u = FrozenNet::new(&net)
            .unwrap()
            .own_utility_and_grad(&reports, &values, false)
            .unwrap();
        assert_eq!(only_u.utility, fast.utility);
        assert!(only_u.grad.is_empty());
    }
}

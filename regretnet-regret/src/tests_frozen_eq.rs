//! The equivariant net's hand-written utility gradient ([`regretnet_nets::FrozenEquivariant`])
//! against candle's autograd on its forward pass, at several sizes and with weights large
//! enough to saturate the softmaxes and the sigmoid.

use candle_core::{Device, Tensor};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, NetKind};
use regretnet_nets::{Model, NetSpec};

use crate::search::{Autograd, UtilityGradient};
use crate::Mechanism;

fn check(preset: &str, scale: f64, widths: (Vec<usize>, Vec<usize>)) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = NetKind::Equivariant;
    (config.net.alloc_hidden, config.net.pay_hidden) = widths;
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let model = Model::new(&setting, spec, &mut stream_rng(7, Stream::Init)).unwrap();
    for var in model.named_vars().values() {
        var.set(&(var.as_tensor() * scale).unwrap()).unwrap();
    }
    let (n, m) = (setting.bidders, setting.items);
    let truth = setting.sample_profiles(&mut stream_rng(1, Stream::Test), 9);
    let mis = setting.sample_profiles(&mut stream_rng(2, Stream::Test), 9);
    let truth = Tensor::from_vec(truth, (9, n, m), &Device::Cpu).unwrap();
    let fast = model.utility_gradient().unwrap();
    let (u, g) = fast.utility_and_grad(&truth, &mis).unwrap();
    let (u_ref, g_ref) = Autograd(&model).utility_and_grad(&truth, &mis).unwrap();
    let close = |a: &[f32], b: &[f32], what: &str| {
        assert_eq!(a.len(), b.len());
        let scale = b.iter().fold(1e-3f32, |s, x| s.max(x.abs()));
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 2e-5 * scale,
                "{preset} {what}[{k}]: {x} vs {y}"
            );
        }
    };
    close(&u, &u_ref, "utility");
    close(&g, &g_ref, "gradient");
    assert_eq!(fast.utility(&truth, &mis).unwrap(), u);
    // Not an empty comparison: the gradient is far from zero.
    assert!(g_ref.iter().any(|x| x.abs() > 1e-3), "{preset}");
}

#[test]
fn the_hand_written_gradient_is_autograd_s() {
    check("additive_2x3_uniform", 1.0, (vec![8, 8], vec![8]));
    check("additive_3x10_uniform", 3.0, (vec![6], vec![5, 7]));
    check("additive_1x2_uniform", 2.0, (vec![4, 4, 4], vec![4]));
    check("additive_2x2_uniform", 0.5, (vec![16, 16], vec![16, 16]));
}

//! Tests of weight surgery: copies are independent, rollback to the same weights is the
//! identity, and mean ablation equals an independent forward pass with the units replaced.

use candle_core::{Device, Tensor};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, Setting};

use crate::{Layer, NetSpec, Part, RegretNet, WeightGrad};

fn build(seed: u64) -> (Setting, RegretNet) {
    let mut config = presets::preset("additive_2x2_uniform").unwrap();
    config.net.alloc_hidden = vec![7, 5];
    config.net.pay_hidden = vec![6, 4];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

fn bids(setting: &Setting, count: usize) -> Tensor {
    let v = setting.sample_profiles(&mut stream_rng(3, Stream::Test), count);
    Tensor::from_vec(v, (count, 2, 2), &Device::Cpu).unwrap()
}

fn outputs(net: &RegretNet, b: &Tensor) -> (Vec<f32>, Vec<f32>) {
    let o = net.forward_plain(b, WeightGrad::Frozen).unwrap();
    (
        o.alloc.flatten_all().unwrap().to_vec1().unwrap(),
        o.pay.flatten_all().unwrap().to_vec1().unwrap(),
    )
}

#[test]
fn layers_are_named_like_the_checkpoint_tensors() {
    let (_, net) = build(1);
    let names: Vec<String> = net.layers().iter().map(Layer::name).collect();
    assert_eq!(
        names,
        [
            "alloc.hidden0",
            "alloc.hidden1",
            "alloc.out",
            "pay.hidden0",
            "pay.hidden1",
            "pay.out"
        ]
    );
    for l in net.layers() {
        assert!(net
            .named_vars()
            .contains_key(&format!("{}.weight", l.name())));
    }
}

#[test]
fn weights_are_a_copy_and_with_weights_rebuilds_the_same_net() {
    let (setting, net) = build(1);
    let b = bids(&setting, 9);
    let w = net.weights().unwrap();
    let copy = net.with_weights(&w).unwrap();
    assert_eq!(outputs(&net, &b), outputs(&copy, &b));
    // Changing the copy's variables leaves the original alone (no shared storage).
    let v = &copy.named_vars()["alloc.out.bias"];
    v.set(&v.as_tensor().affine(1.0, 1.0).unwrap()).unwrap();
    assert_ne!(outputs(&net, &b).0, outputs(&copy, &b).0);
    assert_eq!(
        outputs(&net, &b),
        outputs(&net.with_weights(&w).unwrap(), &b)
    );
}

#[test]
fn rollback_to_the_same_weights_changes_nothing_and_to_others_changes_one_layer() {
    let (setting, net) = build(1);
    let (_, early) = build(2);
    let b = bids(&setting, 9);
    for layer in net.layers() {
        let same = net.with_layer_from(&layer, &net).unwrap();
        assert_eq!(outputs(&net, &b), outputs(&same, &b), "{}", layer.name());
        let rolled = net.with_layer_from(&layer, &early).unwrap();
        let w = rolled.weights().unwrap();
        for name in net.weights().unwrap().keys() {
            let from = if name.starts_with(&format!("{}.", layer.name())) {
                &early
            } else {
                &net
            };
            let expected = from.weights().unwrap()[name].flatten_all().unwrap();
            let got = w[name].flatten_all().unwrap();
            assert_eq!(
                expected.to_vec1::<f32>().unwrap(),
                got.to_vec1::<f32>().unwrap(),
                "{name} after rolling back {}",
                layer.name()
            );
        }
    }
    // Swapping a whole part: the allocation of `early`, the payment rule's weights of `net`.
    let swapped = net.with_part_from(Part::Alloc, &early).unwrap();
    assert_eq!(outputs(&swapped, &b).0, outputs(&early, &b).0);
}

/// The payment net's output before the sigmoid, computed by hand with units `units` of hidden
/// layer 0 replaced by `mean`: the independent reference for the folded ablation.
fn pay_logits_by_hand(net: &RegretNet, b: &Tensor, units: &[usize], mean: &[f32]) -> Vec<f32> {
    let x = b.reshape((b.dim(0).unwrap(), 4)).unwrap();
    let mlp = net.pay_net();
    let layer = |h: &Tensor, k: usize| {
        let l = &mlp.hidden[k];
        h.matmul(l.weight.as_tensor())
            .unwrap()
            .broadcast_add(l.bias.as_tensor())
            .unwrap()
            .tanh()
            .unwrap()
    };
    let h0 = layer(&x, 0);
    let mut h0v: Vec<Vec<f32>> = h0.to_vec2().unwrap();
    for row in &mut h0v {
        for &j in units {
            row[j] = mean[j];
        }
    }
    let h0 = Tensor::new(h0v, &Device::Cpu).unwrap();
    let h1 = layer(&h0, 1);
    h1.matmul(mlp.output.weight.as_tensor())
        .unwrap()
        .broadcast_add(mlp.output.bias.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

#[test]
fn mean_ablation_equals_replacing_the_units_in_the_forward_pass() {
    let (setting, net) = build(4);
    let b = bids(&setting, 11);
    let acts = net.hidden_activations(&b).unwrap();
    let (layer, h) = &acts[2];
    assert_eq!(layer.name(), "pay.hidden0");
    let mean: Vec<f32> = h.mean(0).unwrap().to_vec1().unwrap();
    let units = [0, 3, 5];
    let ablated = net.mean_ablated(layer, &units, &mean).unwrap();
    let expected = pay_logits_by_hand(&net, &b, &units, &mean);
    let got = ablated
        .pay_net()
        .forward_plain(&b.reshape((11, 4)).unwrap(), WeightGrad::Frozen)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (e, g) in expected.iter().zip(&got) {
        assert!((e - g).abs() < 1e-5, "{e} vs {g}");
    }
    // The allocation net is untouched; ablating every unit makes the payment net constant.
    assert_eq!(outputs(&net, &b).0, outputs(&ablated, &b).0);
    let all: Vec<usize> = (0..6).collect();
    let constant = net.mean_ablated(layer, &all, &mean).unwrap();
    let logits = constant
        .pay_net()
        .forward_plain(&b.reshape((11, 4)).unwrap(), WeightGrad::Frozen)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert!(logits.iter().all(|r| r == &logits[0]));
    assert!(net.mean_ablated(&net.layers()[2], &[0], &mean).is_err());
}

#[test]
fn hidden_activations_match_the_forward_pass() {
    let (setting, net) = build(5);
    let b = bids(&setting, 6);
    let acts = net.hidden_activations(&b).unwrap();
    assert_eq!(acts.len(), 4);
    // The last allocation hidden layer times the output layer gives the forward's logits;
    // through the head, the allocation.
    let (_, h) = &acts[1];
    let out = &net.alloc_net().output;
    let logits = h
        .matmul(out.weight.as_tensor())
        .unwrap()
        .broadcast_add(out.bias.as_tensor())
        .unwrap();
    let direct = net
        .alloc_net()
        .forward_plain(&b.reshape((6, 4)).unwrap(), WeightGrad::Frozen)
        .unwrap();
    let d: Vec<f32> = direct.flatten_all().unwrap().to_vec1().unwrap();
    let l: Vec<f32> = logits.flatten_all().unwrap().to_vec1().unwrap();
    for (x, y) in d.iter().zip(&l) {
        assert!((x - y).abs() < 1e-5);
    }
}

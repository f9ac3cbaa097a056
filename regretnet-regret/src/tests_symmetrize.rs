//! Tests of the symmetrized mechanism ([`crate::symmetrize`]): a bidder's utility from any
//! report against it is the average over the relabellings of its relabelled utility against
//! the network (the identity the revenue and regret guarantees rest on), its revenue on a sample
//! is the average of the network's on the relabelled samples, it commutes with the shifts, an
//! equivariant network is its own symmetrization, and priors without symmetry are refused.

use candle_core::{Device, Tensor};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, NetKind, Setting};
use regretnet_nets::{Model, NetSpec, WeightGrad};

use crate::utility::{misreport_utilities, truthful_utilities};
use crate::{Mechanism, Symmetrized};

fn model(preset: &str, kind: NetKind) -> (Setting, Model) {
    let mut config = presets::preset(preset).unwrap();
    config.net.kind = kind;
    config.net.alloc_hidden = vec![16, 16];
    config.net.pay_hidden = vec![16];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let m = Model::new(&setting, spec, &mut stream_rng(3, Stream::Init)).unwrap();
    (setting, m)
}

fn sample(setting: &Setting, count: usize, seed: u64) -> Tensor {
    let v = setting.sample_profiles(&mut stream_rng(seed, Stream::Test), count);
    Tensor::from_vec(v, (count, setting.bidders, setting.items), &Device::Cpu).unwrap()
}

fn rotate(t: &Tensor, dim: usize, shift: usize) -> Tensor {
    let len = t.dim(dim).unwrap();
    let idx: Vec<u32> = (0..len).map(|k| ((k + shift) % len) as u32).collect();
    t.contiguous()
        .unwrap()
        .index_select(&Tensor::new(idx.as_slice(), &Device::Cpu).unwrap(), dim)
        .unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn a_misreport_against_the_average_gains_the_average_of_the_relabelled_gains() {
    // u_i(M_sym; v, b') = (1/|G|) sum_{s,t} u_{i - s}(M; g v, g b'), computed here from the
    // network at the 6 relabelled profiles (2 bidder shifts x 3 item shifts).
    let (setting, net) = model("additive_2x3_uniform", NetKind::Regretnet);
    let sym = Symmetrized::new(&net, &setting).unwrap();
    assert_eq!(sym.shifts(), (2, 3));
    let (truth, mis) = (sample(&setting, 32, 1), sample(&setting, 32, 2));
    let ours = flat(&misreport_utilities(&sym, &truth, &mis, WeightGrad::Frozen).unwrap());
    let (ours_truth, ours_rev) = truthful_utilities(&sym, &truth, WeightGrad::Frozen).unwrap();
    let mut avg = vec![0f32; ours.len()];
    let mut avg_truth = vec![0f32; ours.len()];
    let mut avg_rev = vec![0f32; 32];
    for s in 0..2 {
        for t in 0..3 {
            let g = |x: &Tensor| rotate(&rotate(x, 1, s), 2, t);
            let u = misreport_utilities(&net, &g(&truth), &g(&mis), WeightGrad::Frozen).unwrap();
            let (ut, rev) = truthful_utilities(&net, &g(&truth), WeightGrad::Frozen).unwrap();
            // Row i of the relabelled profile is bidder (i + s) mod 2: shift back.
            let (u, ut) = (
                flat(&rotate(&u, 1, (2 - s) % 2)),
                flat(&rotate(&ut, 1, (2 - s) % 2)),
            );
            for k in 0..avg.len() {
                avg[k] += u[k] / 6.0;
                avg_truth[k] += ut[k] / 6.0;
            }
            for (a, r) in avg_rev.iter_mut().zip(flat(&rev)) {
                *a += r / 6.0;
            }
        }
    }
    assert!(max_diff(&ours, &avg) < 1e-5, "{}", max_diff(&ours, &avg));
    assert!(max_diff(&flat(&ours_truth), &avg_truth) < 1e-5);
    assert!(max_diff(&flat(&ours_rev), &avg_rev) < 1e-5);
    // The network itself is not symmetric, so the test is not empty.
    let own = flat(&misreport_utilities(&net, &truth, &mis, WeightGrad::Frozen).unwrap());
    assert!(max_diff(&own, &ours) > 1e-4);
}

#[test]
fn the_average_commutes_with_the_shifts_and_an_equivariant_net_is_its_own() {
    let (setting, net) = model("additive_3x10_uniform", NetKind::Regretnet);
    let sym = Symmetrized::new(&net, &setting).unwrap();
    assert_eq!(sym.group_size(), 30);
    let b = sample(&setting, 8, 3);
    let out = sym.outcome(&b, WeightGrad::Frozen).unwrap();
    let moved = sym
        .outcome(&rotate(&rotate(&b, 1, 1), 2, 4), WeightGrad::Frozen)
        .unwrap();
    let expected = rotate(&rotate(&out.alloc, 1, 1), 2, 4);
    assert!(max_diff(&flat(&moved.alloc), &flat(&expected)) < 1e-5);
    assert!(max_diff(&flat(&moved.pay), &flat(&rotate(&out.pay, 1, 1))) < 1e-5);
    // Feasible: each item's column sums to at most 1.
    let cols = flat(&out.alloc.sum(1).unwrap());
    assert!(cols.iter().all(|&c| c <= 1.0 + 1e-5));
    let (setting, eq) = model("additive_3x10_uniform", NetKind::Equivariant);
    let sym = Symmetrized::new(&eq, &setting).unwrap();
    let (a, b2) = (
        eq.outcome(&b, WeightGrad::Frozen).unwrap(),
        sym.outcome(&b, WeightGrad::Frozen).unwrap(),
    );
    assert!(max_diff(&flat(&a.alloc), &flat(&b2.alloc)) < 1e-5);
    assert!(max_diff(&flat(&a.pay), &flat(&b2.pay)) < 1e-5);
}

#[test]
fn gradients_flow_through_the_average_to_the_bids() {
    let (setting, net) = model("additive_2x3_uniform", NetKind::Regretnet);
    let sym = Symmetrized::new(&net, &setting).unwrap();
    let b = candle_core::Var::from_tensor(&sample(&setting, 4, 5)).unwrap();
    let out = sym.outcome(b.as_tensor(), WeightGrad::Frozen).unwrap();
    let grads = out.pay.sum_all().unwrap().backward().unwrap();
    let g = flat(grads.get(b.as_tensor()).expect("a gradient for the bids"));
    assert!(g.iter().any(|x| x.abs() > 0.0));
}

#[test]
fn a_prior_without_symmetry_is_refused_and_a_one_sided_one_shifts_one_side() {
    for name in [
        "additive_1x2_uniform_416_47",     // one bidder, items not alike
        "additive_5x1_asymmetric_uniform", // one item, bidders not alike
        "ca_sym_uniform_12",               // combinatorial
    ] {
        let (setting, net) = model(name, NetKind::Regretnet);
        let err = Symmetrized::new(&net, &setting)
            .err()
            .unwrap_or_else(|| panic!("{name} accepted"))
            .to_string();
        assert!(err.contains("cannot symmetrize"), "{name}: {err}");
    }
    // 1x2 U[0,1]: one bidder, two alike items: item shifts only.
    let (setting, net) = model("additive_1x2_uniform", NetKind::Regretnet);
    let sym = Symmetrized::new(&net, &setting).unwrap();
    assert_eq!(sym.shifts(), (1, 2));
}

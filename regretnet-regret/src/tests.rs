//! Unit tests of utilities, the search and regret estimates against closed forms.

use candle_core::{Device, Tensor, Var};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, Config, Setting};
use regretnet_nets::{NetSpec, Outcome, RegretNet, WeightGrad};

use crate::regret::estimate_regret_with;
use crate::search::{ascend_tracking_best, Autograd, SearchConfig, UtilityGradient};
use crate::utility::{misreport_profiles, misreport_utilities, utilities};
use crate::work::Work;
use crate::{estimate_regret, Mechanism, Result};

/// One bidder, one item, always sold at the bidder's own bid: `a = 1`, `p = b`.
/// A bidder of value `v` gets `u = v - b`: the best misreport on `[0, 1]` is `b = 0`, so the
/// regret at `v` is exactly `v` and its expectation under U[0,1] is 1/2.
struct SoldAtOwnBid;

impl Mechanism for SoldAtOwnBid {
    fn bidders(&self) -> usize {
        1
    }
    fn items(&self) -> usize {
        1
    }
    fn outcome(&self, bids: &Tensor, _: WeightGrad) -> Result<Outcome> {
        Ok(Outcome {
            alloc: bids.ones_like()?,
            pay: bids.squeeze(2)?,
        })
    }
}

/// One bidder, one item, U[0,1].
pub(crate) fn one_item_setting() -> Setting {
    Config::from_toml_str(
        "[setting]\nname='one'\nbidders=1\nitems=1\nprior={kind='uniform',lo=0,hi=1}\n",
    )
    .unwrap()
    .setting
    .build()
    .unwrap()
}

pub(crate) fn small_net(preset: &str, seed: u64) -> (Setting, RegretNet) {
    let mut config = presets::preset(preset).unwrap();
    config.net.alloc_hidden = vec![20, 20];
    config.net.pay_hidden = vec![20, 20];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

#[test]
fn search_recovers_the_analytic_regret_of_selling_at_the_bid() {
    let setting = one_item_setting();
    let profiles = setting.sample_profiles(&mut stream_rng(1, Stream::Test), 2000);
    let search = SearchConfig {
        steps: 30,
        lr: 0.1,
        restarts: 2,
        corners: false,
    };
    let est = estimate_regret(
        &SoldAtOwnBid,
        &setting,
        &profiles,
        &search,
        &mut stream_rng(1, Stream::TestMisreport),
        2,
    )
    .unwrap();
    // Per profile: regret = v exactly (best misreport 0); the mean equals the sample mean of v
    // and, within sampling error (sd 1/sqrt(12 * 2000) = 0.0065), the closed form 1/2.
    let mean_v = profiles.iter().map(|&v| v as f64).sum::<f64>() / 2000.0;
    let regret = est.mean_per_bidder()[0];
    assert!(
        (regret - mean_v).abs() < 0.01 * mean_v,
        "{regret} vs {mean_v}"
    );
    assert!((regret - 0.5).abs() < 0.02, "{regret}");
    for (r, v) in est.regret.iter().zip(&profiles) {
        assert!((r - v).abs() < 1e-6);
    }
    assert!(est.best_misreport.iter().all(|&b| b == 0.0));
}

#[test]
fn misreport_profiles_replace_exactly_one_row() {
    let (b, n, m) = (2, 3, 2);
    let truth: Vec<f32> = (0..b * n * m).map(|x| x as f32).collect();
    let mis: Vec<f32> = (0..b * n * m).map(|x| -(x as f32) - 1.0).collect();
    let t = Tensor::from_vec(truth.clone(), (b, n, m), &Device::Cpu).unwrap();
    let x = Tensor::from_vec(mis.clone(), (b, n, m), &Device::Cpu).unwrap();
    let out = misreport_profiles(&t, &x).unwrap();
    assert_eq!(out.dims(), &[b * n, n, m]);
    let flat = out.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for p in 0..b {
        for k in 0..n {
            for i in 0..n {
                for j in 0..m {
                    let got = flat[((p * n + k) * n + i) * m + j];
                    let want = if i == k {
                        mis[(p * n + i) * m + j]
                    } else {
                        truth[(p * n + i) * m + j]
                    };
                    assert_eq!(got, want, "profile {p} copy {k} bidder {i} item {j}");
                }
            }
        }
    }
}

#[test]
fn batched_misreport_utility_matches_one_profile_at_a_time() {
    // Independent computation: build each misreported profile by hand, run the net on it
    // alone and read bidder k's utility with its true values.
    let (setting, net) = small_net("additive_2x3_uniform", 4);
    let (n, m) = (setting.bidders, setting.items);
    let mut rng = stream_rng(2, Stream::Data);
    let truth = setting.sample_profiles(&mut rng, 5);
    let mis = setting.sample_profiles(&mut rng, 5);
    let t = Tensor::from_slice(&truth, (5, n, m), &Device::Cpu).unwrap();
    let batched = Autograd(&net).utility(&t, &mis).unwrap();
    for b in 0..5 {
        for k in 0..n {
            let mut profile = truth[b * n * m..(b + 1) * n * m].to_vec();
            profile[k * m..(k + 1) * m].copy_from_slice(&mis[(b * n + k) * m..(b * n + k + 1) * m]);
            let x = Tensor::from_vec(profile, (1, n, m), &Device::Cpu).unwrap();
            let out = net.forward(&x, WeightGrad::Frozen).unwrap();
            let a = out.alloc.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let p = out.pay.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let u: f32 = (0..m)
                .map(|j| a[k * m + j] * truth[(b * n + k) * m + j])
                .sum::<f32>()
                - p[k];
            assert!(
                (u - batched[b * n + k]).abs() < 1e-5,
                "{u} vs {}",
                batched[b * n + k]
            );
        }
    }
}

#[test]
fn utility_gradient_agrees_with_finite_differences() {
    let (setting, net) = small_net("additive_2x2_uniform", 11);
    let (n, m) = (setting.bidders, setting.items);
    let mut rng = stream_rng(3, Stream::Data);
    let batch = 4;
    let truth = setting.sample_profiles(&mut rng, batch);
    let mis = setting.sample_profiles(&mut rng, batch);
    let t = Tensor::from_slice(&truth, (batch, n, m), &Device::Cpu).unwrap();
    let grad = Autograd(&net);
    let (_, g) = grad.utility_and_grad(&t, &mis).unwrap();
    // Central differences in f32 with h = 1e-2: truncation error O(h^2 * u''') ~ 1e-4,
    // rounding error ~ 1e-7 / h = 1e-5.
    let h = 1e-2f32;
    for idx in 0..mis.len() {
        let (mut up, mut down) = (mis.clone(), mis.clone());
        up[idx] += h;
        down[idx] -= h;
        let row = idx / m; // (profile, bidder) whose utility this coordinate moves
        let fd = (grad.utility(&t, &up).unwrap()[row] - grad.utility(&t, &down).unwrap()[row])
            / (2.0 * h);
        assert!(
            (fd - g[idx]).abs() < 2e-3 + 1e-2 * fd.abs(),
            "coordinate {idx}: fd {fd} autograd {}",
            g[idx]
        );
    }
}

#[test]
fn inner_loop_gradients_never_reach_the_weights_and_outer_loop_never_the_misreports() {
    let (setting, net) = small_net("additive_2x2_uniform", 5);
    let (n, m) = (setting.bidders, setting.items);
    let truth = setting.sample_profiles(&mut stream_rng(4, Stream::Data), 3);
    let t = Tensor::from_slice(&truth, (3, n, m), &Device::Cpu).unwrap();
    let mis = Var::from_tensor(&t).unwrap();
    let inner = misreport_utilities(&net, &t, mis.as_tensor(), WeightGrad::Frozen).unwrap();
    let grads = inner.sum_all().unwrap().backward().unwrap();
    assert!(grads.get(mis.as_tensor()).is_some());
    for (name, var) in net.named_vars() {
        assert!(
            grads.get(var.as_tensor()).is_none(),
            "inner loop touched {name}"
        );
    }
    let fixed = mis.as_detached_tensor();
    let outer = misreport_utilities(&net, &t, &fixed, WeightGrad::Track).unwrap();
    let grads = outer.sum_all().unwrap().backward().unwrap();
    assert!(grads.get(mis.as_tensor()).is_none());
    assert!(grads.get(&fixed).is_none());
    for (name, var) in net.named_vars() {
        assert!(
            grads.get(var.as_tensor()).is_some(),
            "outer loop missed {name}"
        );
    }
}

#[test]
fn regret_is_the_gain_at_the_best_misreport_and_searches_stay_in_support() {
    let (setting, net) = small_net("additive_1x2_uniform_416_47", 8);
    let profiles = setting.sample_profiles(&mut stream_rng(5, Stream::Test), 64);
    let search = SearchConfig {
        steps: 15,
        lr: 0.5,
        restarts: 2,
        corners: false,
    };
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let progress = |d: usize| {
        seen.fetch_max(d, std::sync::atomic::Ordering::Relaxed);
    };
    let run = |threads| {
        estimate_regret_with(
            &net,
            &setting,
            &profiles,
            &search,
            &mut stream_rng(5, Stream::TestMisreport),
            Work {
                chunk: 10,
                threads,
                progress: Some(&progress),
            },
        )
        .unwrap()
    };
    let est = run(2);
    assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 64);
    // Each regret is what it claims to be, recomputed independently: bidder i's utility, at
    // its true values, of the outcome where it reports its best misreport and the others the
    // truth, less its truthful utility, floored at 0 (the truthful report is always a start).
    // (A bare `regret >= 0` would hold by the floor alone.)
    let (n, m) = (setting.bidders, setting.items);
    let (mut reports, mut who, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..64 {
        let truth = &profiles[k * n * m..(k + 1) * n * m];
        for i in 0..n {
            let mut r = truth.to_vec();
            r[i * m..(i + 1) * m]
                .copy_from_slice(&est.best_misreport[(k * n + i) * m..(k * n + i + 1) * m]);
            reports.extend_from_slice(&r);
            who.push(i);
            values.extend_from_slice(&truth[i * m..(i + 1) * m]);
        }
    }
    let at_best = crate::utility::utilities_at_reports(&net, &reports, &who, &values).unwrap();
    assert!(
        est.regret.iter().any(|&r| r > 1e-3),
        "a young net has regret to find"
    );
    for (r, ((&reg, &ub), &ut)) in est
        .regret
        .iter()
        .zip(&at_best)
        .zip(&est.truthful_utility)
        .enumerate()
    {
        assert!(
            (reg - (ub - ut).max(0.0)).abs() < 1e-4,
            "row {r}: regret {reg}, gain at the best misreport {}",
            ub - ut
        );
    }
    for (k, row) in est.best_misreport.chunks(2).enumerate() {
        assert!(
            setting.prior.contains_bidder(k % setting.bidders, row),
            "{row:?}"
        );
    }
    // Thread count does not change the result, nor do the windows the starts are drawn in:
    // chunks of 10 make windows of 20 profiles on 1 thread (4 windows), 40 on 2 (2), 160 on 8
    // (one window: every start drawn up front, as before windows).
    for threads in [1, 8] {
        let other = run(threads);
        assert_eq!(other.regret, est.regret, "{threads} threads");
        assert_eq!(
            other.best_misreport, est.best_misreport,
            "{threads} threads"
        );
    }
    assert_eq!(crate::regret::start_window(10, 8), 160);
}

/// `u(b) = -(b - 0.3)^2` for a single one-item report, so Adam with a large step overshoots.
struct Peaked;

impl UtilityGradient for Peaked {
    fn utility_and_grad(&self, _: &Tensor, mis: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        Ok((
            mis.iter().map(|b| -(b - 0.3) * (b - 0.3)).collect(),
            mis.iter().map(|b| -2.0 * (b - 0.3)).collect(),
        ))
    }
    fn utility(&self, _: &Tensor, mis: &[f32]) -> Result<Vec<f32>> {
        Ok(mis.iter().map(|b| -(b - 0.3) * (b - 0.3)).collect())
    }
}

#[test]
fn ascent_keeps_the_best_iterate_not_the_last() {
    // From b = 0 with lr 0.25, Adam's first step is exactly lr * sign(g) = 0.25 (bias
    // correction), u = -0.0025; its momentum then carries it past the peak at 0.3 (to ~0.45
    // and beyond), where u is lower. The best iterate is 0.25, not the last one.
    let setting = one_item_setting();
    let t = Tensor::new(&[[[0.5f32]]], &Device::Cpu).unwrap();
    let mut mis = vec![0.0f32];
    let best = ascend_tracking_best(&Peaked, &setting, &t, &mut mis, 3, 0.25).unwrap();
    assert!(mis[0] > 0.4, "last iterate {}", mis[0]);
    assert!(
        (best.best_misreport[0] - 0.25).abs() < 1e-6,
        "{:?}",
        best.best_misreport
    );
    assert!((best.best_utility[0] + 0.0025).abs() < 1e-6);
}

#[test]
fn utility_is_value_of_allocation_minus_payment() {
    // Two profiles, two bidders, two items, every number distinct, so that a wrong axis, a
    // dropped payment or a sign error each give another answer. By hand:
    // profile 0, bidder 0: 0.3 * 0.9 + 0.5 * 0.2 - 0.25 = 0.12
    // profile 0, bidder 1: 0.6 * 0.4 + 0.1 * 0.7 - 0.05 = 0.26
    // profile 1, bidder 0: 0.2 * 0.8 + 0.4 * 0.6 - 0.50 = -0.10
    // profile 1, bidder 1: 0.7 * 0.3 + 0.5 * 0.1 - 0.02 = 0.24
    let d = &Device::Cpu;
    let values = Tensor::new(&[[[0.9f32, 0.2], [0.4, 0.7]], [[0.8, 0.6], [0.3, 0.1]]], d).unwrap();
    let alloc = Tensor::new(&[[[0.3f32, 0.5], [0.6, 0.1]], [[0.2, 0.4], [0.7, 0.5]]], d).unwrap();
    let pay = Tensor::new(&[[0.25f32, 0.05], [0.50, 0.02]], d).unwrap();
    let u = utilities(&values, &alloc, &pay).unwrap();
    assert_eq!(u.dims(), &[2, 2]);
    let got = u.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (g, want) in got.iter().zip([0.12f32, 0.26, -0.10, 0.24]) {
        assert!((g - want).abs() < 1e-6, "{got:?}");
    }
}

//! The misreport search and the grid audit on a combinatorial network: the complementarity is
//! never misreported, and the grid's regret equals an independent brute-force loop.

use candle_core::{Device, Tensor};
use regretnet_core::{presets, rng::stream_rng, rng::Stream, Setting};
use regretnet_nets::{NetSpec, RegretNet, WeightGrad};

use crate::grid::{grid_audit, GridConfig};
use crate::regret::estimate_regret_with;
use crate::work::Work;
use crate::SearchConfig;

fn ca_net(seed: u64) -> (Setting, RegretNet) {
    let mut config = presets::preset("ca_asym_uniform_12_15").unwrap();
    config.net.alloc_hidden = vec![24, 24];
    config.net.pay_hidden = vec![24];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting,
        net: config.net,
    };
    let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init)).unwrap();
    (setting, net)
}

/// Utility of bidder `i` with true type `truth[i]` when it reports item values `(x1, x2)`,
/// the others truthful, straight from the net's forward pass.
fn utility(net: &RegretNet, truth: &[f32], i: usize, x: [f32; 2]) -> f32 {
    let mut r = truth.to_vec();
    r[i * 3..i * 3 + 2].copy_from_slice(&x);
    let t = Tensor::from_vec(r, (1, 2, 3), &Device::Cpu).unwrap();
    let o = net.forward(&t, WeightGrad::Frozen).unwrap();
    let a: Vec<f32> = o.alloc.flatten_all().unwrap().to_vec1().unwrap();
    let p: Vec<f32> = o.pay.flatten_all().unwrap().to_vec1().unwrap();
    (0..3).map(|k| a[i * 3 + k] * truth[i * 3 + k]).sum::<f32>() - p[i]
}

#[test]
fn the_search_never_misreports_the_complementarity() {
    let (setting, net) = ca_net(1);
    let profiles = setting.sample_profiles(&mut stream_rng(2, Stream::Test), 12);
    let search = SearchConfig {
        steps: 40,
        lr: 0.1,
        restarts: 3,
        corners: true,
    };
    let est = estimate_regret_with(
        &net,
        &setting,
        &profiles,
        &search,
        &mut stream_rng(3, Stream::TestMisreport),
        Work::new(4, 2),
    )
    .unwrap();
    for r in 0..12 * 2 {
        let (mis, truth) = (&est.best_misreport[r * 3..], &profiles[r * 3..]);
        assert_eq!(mis[2], truth[2], "row {r}: C must stay true");
        assert!(setting.prior.contains_bidder(r % 2, &mis[..3]));
        // The reported regret is the utility gain of that very misreport.
        let gain = utility(
            &net,
            &profiles[(r / 2) * 6..(r / 2 + 1) * 6],
            r % 2,
            [mis[0], mis[1]],
        ) - utility(
            &net,
            &profiles[(r / 2) * 6..(r / 2 + 1) * 6],
            r % 2,
            [truth[0], truth[1]],
        );
        assert!((gain.max(0.0) - est.regret[r]).abs() < 1e-4, "row {r}");
    }
}

#[test]
fn the_grid_audit_equals_a_brute_force_loop() {
    // Item values on a 21 x 21 grid over each bidder's box, C held at the truth, no
    // refinement: the audit's grid regret equals the maximum over the same points computed
    // one forward pass at a time.
    let (setting, net) = ca_net(4);
    let profiles = setting.sample_profiles(&mut stream_rng(5, Stream::Test), 3);
    let g = 21;
    let audit = grid_audit(
        &net,
        &setting,
        &profiles,
        &GridConfig {
            resolution: g,
            refine_top: 1,
            refine_steps: 0,
        },
        Work::new(2, 2),
    )
    .unwrap();
    for b in 0..3 {
        let truth = &profiles[b * 6..(b + 1) * 6];
        for i in 0..2 {
            let hi = if i == 0 { 2.0 } else { 5.0 };
            let at = |k: usize| 1.0 + (hi - 1.0) * k as f32 / (g - 1) as f32;
            let u0 = utility(&net, truth, i, [truth[i * 3], truth[i * 3 + 1]]);
            let best = (0..g * g)
                .map(|p| utility(&net, truth, i, [at(p % g), at(p / g)]))
                .fold(f32::NEG_INFINITY, f32::max);
            let r = audit.grid_regret[b * 2 + i];
            assert!(((best - u0).max(0.0) - r).abs() < 1e-4, "{b} {i}: {r}");
            assert_eq!(audit.best_misreport[(b * 2 + i) * 3 + 2], truth[i * 3 + 2]);
        }
    }
    // An untrained net is manipulable somewhere.
    assert!(audit.grid_regret.iter().any(|&r| r > 1e-3));
}

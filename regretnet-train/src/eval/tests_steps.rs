//! Tests of the evaluation's steps: `audited_regret` on the evaluation's own regret subsample
//! is the report's audited regret, its best misreports are the closed form's, and bad
//! profiles are refused with the problem named.

use regretnet_core::EvalConfig;
use regretnet_regret::closed_form::Trap;

use crate::eval::evaluate::tests::unit_box;
use crate::eval::steps::{audited_regret, test_sample};
use crate::eval::{evaluate, Protocol};

#[test]
fn audited_regret_on_the_evaluations_profiles_is_its_audited_regret() {
    // The trap (closed_form::Trap): the best misreport of every profile is the centre
    // (0.8, 0.3), where the item is given away for sure; the regret at v is
    // `(1 - bump(v)) (v1 + v2)`. The grid audit finds it from anywhere, the gradient search
    // only from inside the disc.
    let setting = unit_box(1, 2);
    let mech = Trap::new(vec![0.8, 0.3], 0.1);
    let mut protocol = Protocol::from_config("default", &EvalConfig::default());
    protocol.samples = 60;
    protocol.regret_samples = 40;
    let report = evaluate(&mech, &setting, &protocol, 2, None).unwrap();
    let all = test_sample(&setting, &protocol);
    let profiles = &all[..40 * 2];
    let r = audited_regret(&mech, &setting, profiles, &protocol, 2).unwrap();
    assert_eq!(r.audited, report.per_profile);
    assert_eq!(r.mean(), report.regret);
    assert_eq!(r.estimates[0].name, "gradient search");
    assert_eq!(
        r.estimates[1..]
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        report
            .estimates
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
    );
    let mut far = 0;
    for (p, v) in profiles.chunks_exact(2).enumerate() {
        let want = mech.regret(v) as f32;
        assert!(
            (r.audited[p] - want).abs() < 1e-3,
            "profile {p}: {} vs {want}",
            r.audited[p]
        );
        if want > 0.05 {
            far += 1;
            let m = &r.best_misreport[p * 2..p * 2 + 2];
            let d = ((m[0] - 0.8).powi(2) + (m[1] - 0.3).powi(2)).sqrt();
            assert!(d < 0.02, "profile {p}: best misreport {m:?}");
        }
    }
    assert!(far > 30, "{far}");
}

#[test]
fn bad_profiles_are_refused_with_the_problem_named() {
    let setting = unit_box(2, 2);
    let mech = Trap::new(vec![0.5, 0.5], 0.1);
    let protocol = Protocol::from_config("default", &EvalConfig::default());
    let err = |p: &[f32]| {
        audited_regret(&mech, &setting, p, &protocol, 1)
            .unwrap_err()
            .to_string()
    };
    assert!(err(&[0.1, 0.2, 0.3]).contains("whole profiles"));
    assert!(err(&[0.1, 0.2, f32::NAN, 0.3]).contains("profile 0, bidder 1"));
    let e = err(&[0.1, 0.2, 0.3, 0.4, 0.5, 1.2, 0.3, 0.4]);
    assert!(
        e.contains("profile 1, bidder 0") && e.contains("support"),
        "{e}"
    );
}

#[test]
fn certified_regret_on_the_evaluations_profiles_is_its_certificate() {
    // A small RegretNet of the default 1x2 (reports are 2-D, so it has enclosures): the
    // certificate of `evaluate` on its regret profiles and `certified_regret` on the same
    // profiles are the same branch and bound from the same seeds.
    use regretnet_core::presets;
    use regretnet_core::rng::{stream_rng, Stream};
    use regretnet_nets::{Model, NetSpec};

    use crate::eval::steps::certified_regret;

    let mut config = presets::preset("additive_1x2_uniform").unwrap();
    config.net.alloc_hidden = vec![8];
    config.net.pay_hidden = vec![8];
    let setting = config.setting.build().unwrap();
    let spec = NetSpec {
        setting: config.setting.clone(),
        net: config.net.clone(),
    };
    let model = Model::new(&setting, spec, &mut stream_rng(3, Stream::Init)).unwrap();
    let mut protocol = Protocol::from_config("default", &config.eval);
    (protocol.samples, protocol.regret_samples) = (20, 6);
    (protocol.restarts, protocol.steps, protocol.grid) = (2, 20, 0);
    (protocol.certify, protocol.certify_tol) = (true, 1e-3);
    let report = evaluate(&model, &setting, &protocol, 1, None).unwrap();
    let all = test_sample(&setting, &protocol);
    let mut other = protocol.clone();
    other.certify = false; // certified_regret certifies whatever the protocol says
    let c = certified_regret(&model, &setting, &all[..6 * 2], &other, 1).unwrap();
    let want = report.certified.unwrap();
    assert_eq!(c.upper.len(), 6);
    let mean = c.upper.iter().sum::<f64>() / 6.0;
    assert_eq!(mean, want.mean);
    assert_eq!(want.violations, 0);
    for (u, l) in c.upper.iter().zip(&c.lower) {
        assert!(u >= l && u - l <= 1e-3 + 1e-9, "{u} {l}");
    }
    // Bad profiles are refused before any work.
    assert!(certified_regret(&model, &setting, &[0.5, 1.5], &other, 1).is_err());
}

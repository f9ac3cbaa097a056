//! The library path a user takes without the CLI: train into a run directory, load it back
//! with `RunDir::load_latest`, run the mechanism on plain slices with `Model::outcome_of`, and
//! get the same revenue as `evaluate` on the same test profiles.
#![allow(clippy::unwrap_used)]

use regretnet_train::core::presets;
use regretnet_train::core::rng::{stream_rng, Stream};
use regretnet_train::train::create_run;
use regretnet_train::{evaluate, train_in_run, Protocol, RunDir, Tensor, TrainError};

#[test]
fn a_loaded_run_scores_profiles_as_evaluate_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run");
    let mut config = presets::preset("additive_2x2_uniform").unwrap();
    config.net.alloc_hidden = vec![8];
    config.net.pay_hidden = vec![8];
    config.train.iterations = 6;
    config.train.train_size = 256;
    config.train.batch_size = 32;
    config.train.misreport_steps = 2;
    config.train.validate_every = 1_000;
    config.train.checkpoint_every = 3;
    let (run, mut trainer) = create_run(&path, config, false).unwrap();
    train_in_run(&mut trainer, &run, 1, None, &mut |_| {}).unwrap();

    let run = RunDir::open(&path).unwrap();
    let (latest, ckpt) = run.load_latest().unwrap();
    assert!(
        latest.ends_with("iter-000000006.safetensors"),
        "{}",
        latest.display()
    );
    // No validation ran, so no best checkpoint: an error that names the file.
    match run.load_best() {
        Err(TrainError::RunDir { reason, .. }) => assert!(reason.contains("best.safetensors")),
        other => panic!("{other:?}"),
    }
    let setting = run.setting().unwrap();
    let config = run.read_config().unwrap();
    let mut protocol = Protocol::from_config("library", &config.eval);
    protocol.samples = 500;
    protocol.regret_samples = 5;
    protocol.pair_samples = 1;
    protocol.restarts = 1;
    protocol.steps = 2;
    let report = evaluate(&ckpt.model, &setting, &protocol, 1, None).unwrap();

    // Independent of `evaluate`'s code path: the profiles drawn here from its seed and stream,
    // the payments from the slice-level call.
    let profiles = setting.sample_profiles(&mut stream_rng(protocol.seed, Stream::Test), 500);
    let (alloc, pay) = ckpt.model.outcome_of(&profiles).unwrap();
    assert_eq!(alloc.len(), profiles.len());
    let revenue = pay.iter().map(|&p| p as f64).sum::<f64>() / 500.0;
    assert!(
        (revenue - report.revenue).abs() < 1e-6,
        "{revenue} vs {}",
        report.revenue
    );
    // The same as the tensor call the re-exported types allow.
    let t = Tensor::from_slice(&profiles[..4], (1, 2, 2), &regretnet_train::Device::Cpu).unwrap();
    let out = ckpt
        .model
        .forward(&t, regretnet_train::nets::WeightGrad::Frozen)
        .unwrap();
    assert_eq!(
        out.pay.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        pay[..2]
    );

    // Bad slices are errors that say what is wrong, not panics.
    let err = ckpt
        .model
        .outcome_of(&profiles[..3])
        .unwrap_err()
        .to_string();
    assert!(err.contains("whole profiles"), "{err}");
    let err = ckpt
        .model
        .outcome_of(&[0.1, f32::NAN, 0.2, 0.3])
        .unwrap_err()
        .to_string();
    assert!(err.contains("finite"), "{err}");
}

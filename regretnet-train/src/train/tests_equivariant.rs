//! Tests of training the equivariant RegretNet: the regret-constrained step on it (its inner
//! search differentiates by autograd), a resume equal to the bit to an uninterrupted run, and
//! checkpoints that start runs of other sizes (2 x 3 to 5 x 10 and back) while an MLP
//! RegretNet's are refused at another size.

use std::path::Path;

use regretnet_core::presets::preset_with_net;
use regretnet_core::{Config, NetKind};
use regretnet_nets::checkpoint::{flat_values, load_model};

use crate::run::rundir::RunDir;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::train::session::{create_run, resume_latest, train_in_run};
use crate::train::trainer::{Event, Trainer};

fn tiny(preset: &str) -> Config {
    let mut c = preset_with_net(preset, NetKind::Equivariant).unwrap();
    c.net.alloc_hidden = vec![6, 6];
    c.net.pay_hidden = vec![6];
    c.train.iterations = 12;
    c.train.train_size = 64;
    c.train.batch_size = 32;
    c.train.misreport_steps = 3;
    c.train.log_every = 4;
    c.train.validate_every = 6;
    c.train.validation_samples = 8;
    c.train.validation_steps = 3;
    c.train.checkpoint_every = 6;
    c
}

fn train(dir: &Path, config: Config) -> RunDir {
    let (run, mut trainer) = create_run(dir, config, false).unwrap();
    train_in_run(&mut trainer, &run, 1, None, &mut |_| {}).unwrap();
    run
}

fn weights_of(model: &regretnet_nets::Model) -> Vec<(String, Vec<f32>)> {
    model
        .named_vars()
        .into_iter()
        .map(|(k, v)| (k, flat_values(v.as_tensor()).unwrap()))
        .collect()
}

fn weights(path: &Path) -> Vec<(String, Vec<f32>)> {
    weights_of(&load_model(path).unwrap().model)
}

#[test]
fn the_regret_step_trains_it_and_a_resume_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut trainer = Trainer::new(tiny("additive_2x3_uniform")).unwrap();
    let before = weights_of(trainer.net());
    let mut found_regret = false;
    for _ in 0..6 {
        let s = trainer.step().unwrap();
        assert!(s.loss.is_finite() && s.revenue > 0.0, "{s:?}");
        assert_eq!(s.regret.len(), 2);
        found_regret |= s.regret.iter().any(|&r| r > 0.0);
    }
    assert!(
        found_regret,
        "the inner search found no regret at a random start"
    );
    let after = weights_of(trainer.net());
    assert_ne!(before, after, "no weight moved");
    // 12 iterations at once, against a run stopped after its checkpoint at 6 (it stops at 7
    // with a checkpoint) and resumed to 12.
    let whole = train(&dir.path().join("whole"), tiny("additive_2x3_uniform"));
    let (run, mut part) = create_run(
        &dir.path().join("part"),
        tiny("additive_2x3_uniform"),
        false,
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let summary = train_in_run(&mut part, &run, 1, Some(stop), &mut |e| {
        if let Event::Checkpoint(_) = e {
            flag.store(true, Ordering::SeqCst);
        }
    })
    .unwrap();
    assert!(
        summary.interrupted && summary.iterations == 7,
        "{summary:?}"
    );
    let mut rest = resume_latest(&run, &mut |w| panic!("{w}")).unwrap();
    assert!(rest.resumed_exactly());
    train_in_run(&mut rest, &run, 1, None, &mut |_| {}).unwrap();
    assert_eq!(
        weights(&whole.latest_checkpoint().unwrap().1),
        weights(&run.latest_checkpoint().unwrap().1)
    );
}

#[test]
fn a_checkpoint_starts_a_run_of_another_size_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let small = train(&dir.path().join("small"), tiny("additive_2x3_uniform"));
    let (_, ckpt) = small.latest_checkpoint().unwrap();
    let mut large = tiny("additive_5x10_uniform");
    large.train.init_from = Some(ckpt.display().to_string());
    large.train.iterations = 2;
    let mut trainer = Trainer::start(large.clone()).unwrap();
    assert_eq!(weights_of(trainer.net()), weights(&ckpt));
    // It trains at 5 x 10 from there (five multipliers), and its checkpoint starts a 2 x 3 run.
    assert_eq!(trainer.step().unwrap().regret.len(), 5);
    let big = train(&dir.path().join("large"), large);
    let (_, big_ckpt) = big.latest_checkpoint().unwrap();
    let mut back = tiny("additive_2x3_uniform");
    back.train.init_from = Some(big_ckpt.display().to_string());
    let trainer = Trainer::start(back.clone()).unwrap();
    assert_eq!(trainer.net().spec().setting.bidders, 2);
    assert_eq!(weights_of(trainer.net()), weights(&big_ckpt));
    // Other widths are refused naming `net`.
    let mut wider = back;
    wider.net.pay_hidden = vec![7];
    let err = Trainer::start(wider).err().unwrap().to_string();
    assert!(err.contains("net"), "{err}");
    // An MLP RegretNet's weights have the sizes in their shapes: another size is refused.
    let mut mlp = regretnet_core::presets::preset("additive_2x3_uniform").unwrap();
    mlp.net.alloc_hidden = vec![4];
    mlp.net.pay_hidden = vec![4];
    mlp.train = tiny("additive_2x3_uniform").train;
    let mlp_run = train(&dir.path().join("mlp"), mlp);
    let mut other = regretnet_core::presets::preset("additive_2x5_uniform").unwrap();
    other.net = mlp_run_config_net(&mlp_run);
    other.train.init_from = Some(mlp_run.latest_checkpoint().unwrap().1.display().to_string());
    let err = Trainer::start(other).err().unwrap().to_string();
    assert!(err.contains("setting"), "{err}");
}

fn mlp_run_config_net(run: &RunDir) -> regretnet_core::NetConfig {
    load_model(&run.latest_checkpoint().unwrap().1)
        .unwrap()
        .model
        .spec()
        .net
        .clone()
}

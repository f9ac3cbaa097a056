//! Tests of exact resume, the best checkpoint and the numerical guard.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use candle_core::Tensor;
use regretnet_core::presets::preset;
use regretnet_core::Config;
use regretnet_nets::checkpoint;

use crate::error::TrainError;
use crate::run::metrics::{MemorySink, MetricsRow, ValidationRow};
use crate::run::rundir::RunDir;
use crate::train::trainer::{Event, Trainer};

fn tiny_config() -> Config {
    let mut c = preset("additive_2x2_uniform").unwrap();
    c.net.alloc_hidden = vec![8];
    c.net.pay_hidden = vec![8];
    c.train.iterations = 31;
    c.train.train_size = 96;
    c.train.batch_size = 32; // 3 batches per epoch: several reshuffles
    c.train.misreport_steps = 3;
    c.train.log_every = 7;
    c.train.validate_every = 10;
    c.train.validation_samples = 16;
    c.train.validation_steps = 3;
    c.train.checkpoint_every = 10;
    c.train.lambda_update_every = 4;
    c.train.rho_increment_every = 6;
    c.train.lr_decay_from = Some(0.5);
    c.train.best_regret_bound = 10.0; // every validation qualifies
    c
}

/// Every tensor of a checkpoint, as raw bytes, and its metadata without the wall clock.
fn contents(path: &std::path::Path) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, String>) {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(k, v)| (k, v.data().to_vec()))
        .collect();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta: BTreeMap<String, String> = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    meta.remove("elapsed_seconds");
    (tensors, meta)
}

fn without_seconds(rows: &[MetricsRow]) -> Vec<MetricsRow> {
    rows.iter()
        .map(|r| MetricsRow {
            seconds: 0.0,
            ..r.clone()
        })
        .collect()
}

fn validations_without_seconds(rows: &[ValidationRow]) -> Vec<ValidationRow> {
    rows.iter()
        .map(|r| ValidationRow {
            seconds: 0.0,
            ..r.clone()
        })
        .collect()
}

#[test]
fn an_interrupted_and_resumed_run_is_bitwise_the_uninterrupted_run() {
    exact_resume(tiny_config());
}

#[test]
fn a_traced_run_with_a_second_misreport_start_resumes_exactly_too() {
    let mut c = tiny_config();
    c.train.trace_every = 3;
    c.train.misreport_extra_start = regretnet_core::ExtraStart::Corners;
    exact_resume(c);
}

#[test]
fn a_run_with_prior_starts_in_its_training_search_resumes_exactly_too() {
    // The draws are keyed by the seed and the iteration, not by a stream that a restart
    // would rewind.
    let mut c = tiny_config();
    c.train.misreport_prior_starts = 2;
    c.train.misreport_keep_best = true;
    exact_resume(c);
}

#[test]
fn exactly_ic_runs_resume_exactly() {
    use regretnet_core::presets::preset_with_net;
    use regretnet_core::NetKind;
    for (name, kind) in [
        ("unit_1x2_uniform", NetKind::Rochetnet),
        ("additive_3x1_irregular", NetKind::Myersonnet),
        ("additive_2x2_uniform", NetKind::Ama),
        ("ca_sym_uniform_12", NetKind::Ama),
    ] {
        let mut c = preset_with_net(name, kind).unwrap();
        let t = tiny_config().train;
        c.net.menu_size = 16;
        c.net.groups = 3;
        c.net.linear = 4;
        c.train = regretnet_core::TrainConfig {
            lambda_init: c.train.lambda_init,
            ..t
        };
        exact_resume(c);
    }
}

fn exact_resume(config: Config) {
    let tiny_config = || config.clone();
    let dir = tempfile::tempdir().unwrap();
    // Uninterrupted.
    let full_dir = RunDir::create(&dir.path().join("full"), false).unwrap();
    let mut full = MemorySink::default();
    Trainer::new(tiny_config())
        .unwrap()
        .run(&mut full, Some(&full_dir), 2, &mut |_| {})
        .unwrap();

    // Stopped at the validation of iteration 20 (20 % 7 = 6 iterations into a metrics
    // window, mid-epoch), as Ctrl-C would; then resumed from the checkpoint it wrote.
    let part_dir = RunDir::create(&dir.path().join("part"), false).unwrap();
    let mut first = MemorySink::default();
    let mut tr = Trainer::new(tiny_config()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    tr.set_stop_flag(stop.clone());
    let summary = tr
        .run(&mut first, Some(&part_dir), 2, &mut |e| {
            if let Event::Validated(v) = e {
                if v.iteration == 20 {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        })
        .unwrap();
    assert!(summary.interrupted && summary.validation.is_none());
    assert_eq!(summary.iterations, 20);
    let (it, path) = part_dir.latest_checkpoint().unwrap();
    assert_eq!(it, 20);
    drop(tr);
    let mut resumed = Trainer::resume(&path).unwrap();
    assert_eq!(resumed.iteration(), 20);
    let mut second = MemorySink::default();
    resumed
        .run(&mut second, Some(&part_dir), 1, &mut |_| {})
        .unwrap();

    let mut rows = first.rows.clone();
    rows.extend(second.rows.iter().cloned());
    assert_eq!(without_seconds(&rows), without_seconds(&full.rows));
    let mut vals = first.validations.clone();
    vals.extend(second.validations.iter().cloned());
    assert_eq!(
        validations_without_seconds(&vals),
        validations_without_seconds(&full.validations)
    );
    let mut trace = first.trace.clone();
    trace.extend(second.trace.iter().cloned());
    assert_eq!(trace, full.trace);
    let traced = |d: &RunDir| -> Vec<_> {
        d.trace_checkpoints()
            .unwrap()
            .into_iter()
            .map(|(it, p)| (it, contents(&p)))
            .collect()
    };
    assert_eq!(traced(&full_dir), traced(&part_dir));
    if config.train.trace_every > 0 {
        // 0, 10, 20 and the last; every 3rd iteration traced, 4 layers each.
        let its: Vec<u64> = full_dir
            .trace_checkpoints()
            .unwrap()
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(its, [0, 10, 20, 31]);
        assert_eq!(full.trace.len(), 11 * 4);
        assert!(full.trace.iter().all(|r| r.iteration % 3 == 0));
    }
    // Weights, Adam state, multipliers, misreport cache, permutation, RNG position: identical.
    let a = contents(&full_dir.checkpoint_path(31));
    let b = contents(&part_dir.checkpoint_path(31));
    assert_eq!(
        a.0.keys().collect::<Vec<_>>(),
        b.0.keys().collect::<Vec<_>>()
    );
    for (k, v) in &a.0 {
        assert!(v == &b.0[k], "tensor {k} differs");
    }
    assert_eq!(a.1, b.1);
    // The best checkpoint was chosen identically.
    assert_eq!(
        contents(&full_dir.best_checkpoint_path()),
        contents(&part_dir.best_checkpoint_path())
    );
}

#[test]
fn only_the_newest_checkpoints_and_the_best_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::create(&dir.path().join("r"), false).unwrap();
    let mut c = tiny_config();
    c.train.checkpoint_every = 5;
    c.train.keep_checkpoints = 2;
    c.train.best_regret_bound = 0.0; // nothing qualifies: no best file
    Trainer::new(c)
        .unwrap()
        .run(&mut MemorySink::default(), Some(&run), 1, &mut |_| {})
        .unwrap();
    let left: Vec<u64> = run.checkpoints().unwrap().iter().map(|c| c.0).collect();
    assert_eq!(left, vec![30, 31]);
    assert!(!run.best_checkpoint_path().exists());
}

#[test]
fn a_non_finite_weight_stops_the_run_naming_iteration_and_quantity() {
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::create(&dir.path().join("r"), false).unwrap();
    let mut tr = Trainer::new(tiny_config()).unwrap();
    tr.config.train.iterations = 10;
    tr.run(&mut MemorySink::default(), Some(&run), 1, &mut |_| {})
        .unwrap();
    let good = contents(&run.checkpoint_path(10));
    tr.config.train.iterations = 31;
    // Poison one weight, as an exploding step would.
    let vars = tr.net.named_vars();
    let w = &vars["pay.out.weight"];
    let mut values = checkpoint::flat_values(w.as_tensor()).unwrap();
    values[0] = f32::NAN;
    w.set(&Tensor::from_vec(values, w.as_tensor().shape(), &candle_core::Device::Cpu).unwrap())
        .unwrap();
    let err = tr
        .run(&mut MemorySink::default(), Some(&run), 1, &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(err, TrainError::NonFinite { iteration: 10, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("iteration 10") && msg.contains("not finite"),
        "{msg}"
    );
    // The last good checkpoint is still the newest and unchanged.
    assert_eq!(run.latest_checkpoint().unwrap().0, 10);
    assert_eq!(contents(&run.checkpoint_path(10)), good);
    Trainer::resume(&run.checkpoint_path(10)).unwrap();
}

#[test]
fn resume_refuses_checkpoints_without_training_state() {
    let dir = tempfile::tempdir().unwrap();
    let tr = Trainer::new(tiny_config()).unwrap();
    let path = dir.path().join("net-only.safetensors");
    checkpoint::save_model(tr.net(), &BTreeMap::new(), &BTreeMap::new(), &path).unwrap();
    let err = Trainer::resume(&path).unwrap_err();
    assert!(err.is_input_error());
    assert!(err.to_string().contains("trainer_state"), "{err}");
}

#[test]
fn a_run_can_start_from_another_runs_weights_and_nothing_else() {
    // train.init_from: the weights of the checkpoint, the rest (Adam, multipliers, cache,
    // iteration) fresh; a checkpoint of another network is refused naming the field.
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::create(&dir.path().join("a"), false).unwrap();
    let mut first = Trainer::new(tiny_config()).unwrap();
    first
        .run(&mut MemorySink::default(), Some(&run), 1, &mut |_| {})
        .unwrap();
    let (_, path) = run.latest_checkpoint().unwrap();
    let mut c = tiny_config();
    c.train.seed = 7;
    c.train.lambda_init = 11.0;
    c.train.init_from = Some(path.display().to_string());
    let second = Trainer::start(c.clone()).unwrap();
    assert_eq!(second.iteration(), 0);
    assert_eq!(second.lagrangian().lambda, vec![11.0; 2]);
    for (name, var) in second.net().named_vars() {
        let want = first.net().named_vars()[&name]
            .as_tensor()
            .flatten_all()
            .unwrap();
        let got = var.as_tensor().flatten_all().unwrap();
        assert_eq!(
            want.to_vec1::<f32>().unwrap(),
            got.to_vec1::<f32>().unwrap(),
            "{name}"
        );
    }
    // Without init_from, seed 7 draws other weights.
    c.train.init_from = None;
    let fresh = Trainer::start(c.clone()).unwrap();
    let w = |t: &Trainer| {
        t.net().named_vars()["alloc.out.weight"]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    assert_ne!(w(&fresh), w(&second));
    // Another architecture: refused, the mismatching field named.
    c.net.alloc_hidden = vec![9];
    c.train.init_from = Some(path.display().to_string());
    let err = Trainer::start(c).unwrap_err().to_string();
    assert!(err.contains("net"), "{err}");
}

#[test]
fn a_fork_can_take_the_misreport_cache_of_the_same_training_set_only() {
    // train.init_misreports: the cache the first run's 31 iterations warmed (it differs from a
    // fresh trainer's prior draws) comes along with the weights; a checkpoint of another
    // training set (seed) is refused, naming both.
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::create(&dir.path().join("a"), false).unwrap();
    let mut first = Trainer::new(tiny_config()).unwrap();
    first
        .run(&mut MemorySink::default(), Some(&run), 1, &mut |_| {})
        .unwrap();
    let (_, path) = run.latest_checkpoint().unwrap();
    let warm = first.data.state().cache;
    let mut c = tiny_config();
    c.train.lambda_init = 11.0;
    c.train.init_from = Some(path.display().to_string());
    let cold = Trainer::start(c.clone()).unwrap().data.state().cache;
    assert_ne!(cold, warm, "the first run's searches moved its cache");
    c.train.init_misreports = true;
    let fork = Trainer::start(c.clone()).unwrap();
    assert_eq!(fork.data.state().cache, warm);
    assert_eq!(fork.iteration(), 0);
    assert_eq!(fork.lagrangian().lambda, vec![11.0; 2]);
    c.train.seed = 7;
    let err = Trainer::start(c).err().unwrap().to_string();
    assert!(
        err.contains("misreport cache") && err.contains("seed 42") && err.contains("seed 7"),
        "{err}"
    );
}

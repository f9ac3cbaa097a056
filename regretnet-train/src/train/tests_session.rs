//! Tests that a resume in a run directory never loses or repeats work: a checkpoint this build
//! cannot read, a checkpoint directory that cannot be listed, a crash after rows past the
//! newest checkpoint were written, and a restart where nothing resumes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use regretnet_core::presets::preset;
use regretnet_core::Config;

use crate::error::TrainError;
use crate::run::rundir::RunDir;
use crate::train::session::{create_run, restart_run, resume_latest, train_in_run};
use crate::train::trainer::{Event, Trainer};

fn tiny_config() -> Config {
    let mut c = preset("additive_2x2_uniform").unwrap();
    c.net.alloc_hidden = vec![8];
    c.net.pay_hidden = vec![8];
    c.train.iterations = 31;
    c.train.train_size = 96;
    c.train.batch_size = 32;
    c.train.misreport_steps = 3;
    c.train.log_every = 3;
    c.train.validate_every = 10;
    c.train.validation_samples = 16;
    c.train.validation_steps = 3;
    c.train.checkpoint_every = 10;
    c.train.keep_checkpoints = 5;
    c
}

/// A finished tiny run in `dir`: checkpoints at 10, 20, 30 and 31.
fn finished_run(dir: &Path) -> RunDir {
    finished_run_of(dir, tiny_config())
}

fn finished_run_of(dir: &Path, config: Config) -> RunDir {
    let (run, mut trainer) = create_run(dir, config, false).unwrap();
    train_in_run(&mut trainer, &run, 1, None, &mut |_| {}).unwrap();
    run
}

/// `metrics.csv` or `validation.csv` without its `seconds` column (wall clock).
fn rows(path: PathBuf) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

/// Rewrite one metadata entry of a safetensors file, keeping every tensor's bytes.
fn set_metadata(path: &Path, key: &str, value: &str) {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta: HashMap<String, String> = header.metadata().clone().unwrap_or_default();
    meta.insert(key.into(), value.into());
    let out = safetensors::serialize(st.tensors(), Some(meta)).unwrap();
    std::fs::write(path, out).unwrap();
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_checkpoint_of_another_version_is_an_error_that_renames_nothing() {
    // Both layers of versioning: the trainer state (`trainer_state`) and the file format
    // (`format_version`). Either would hit every checkpoint of the run alike; setting them
    // aside one by one would end with none left and a restart from zero.
    for (key, value, variant) in [
        ("trainer_state", "3", "trainer"),
        ("format_version", "99", "format"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let run = finished_run(&dir.path().join("r"));
        let ckpts = dir.path().join("r/checkpoints");
        let before = files(&ckpts);
        let metrics = rows(run.path().join("metrics.csv"));
        let newest = run.checkpoint_path(31);
        set_metadata(&newest, key, value);
        let err = resume_latest(&run, &mut |w| panic!("no warning expected: {w}")).unwrap_err();
        let text = err.to_string();
        assert!(err.is_input_error(), "{text}");
        assert!(!err.is_damaged_checkpoint(), "{variant}: {text}");
        assert!(text.contains("iter-000000031"), "{text}");
        assert!(
            text.contains(value),
            "{variant}: the version is named: {text}"
        );
        assert_eq!(files(&ckpts), before, "nothing renamed");
        assert_eq!(rows(run.path().join("metrics.csv")), metrics, "nothing cut");
    }
}

#[test]
fn a_checkpoint_directory_or_file_that_cannot_be_read_is_an_error_that_renames_nothing() {
    // The process runs as root in CI, so permissions cannot make a file unreadable; a
    // directory where a file belongs (and the reverse) gives the same I/O errors.
    let dir = tempfile::tempdir().unwrap();
    let run = finished_run(&dir.path().join("r"));
    let ckpts = run.path().join("checkpoints");

    // The newest checkpoint cannot be read: the error names it; the older ones are not tried.
    let newest = run.checkpoint_path(31);
    std::fs::rename(&newest, dir.path().join("kept")).unwrap();
    std::fs::create_dir(&newest).unwrap();
    let before = files(&ckpts);
    let err = resume_latest(&run, &mut |w| panic!("no warning expected: {w}")).unwrap_err();
    assert!(
        err.is_input_error() && !err.is_damaged_checkpoint(),
        "{err}"
    );
    assert!(err.to_string().contains("iter-000000031"), "{err}");
    assert_eq!(files(&ckpts), before);

    // The checkpoint directory cannot be listed: an error, not "no checkpoint".
    std::fs::rename(&ckpts, dir.path().join("ckpts")).unwrap();
    std::fs::write(&ckpts, "not a directory").unwrap();
    let err = resume_latest(&run, &mut |_| {}).unwrap_err();
    assert!(matches!(err, TrainError::Io { .. }), "{err}");
    assert!(err.to_string().contains("checkpoints"), "{err}");
    assert!(run.checkpoints().is_err());
}

#[test]
fn a_resume_after_a_crash_past_the_newest_checkpoint_repeats_and_loses_no_row() {
    // The uninterrupted run against one that crashed after its checkpoint at 20 (stopped
    // there) but after writing its rows up to 31 and half a row: the resumed run's files are
    // the same rows.
    let dir = tempfile::tempdir().unwrap();
    let reference = finished_run(&dir.path().join("full"));
    let (crashed, mut trainer) =
        create_run(&dir.path().join("crashed"), tiny_config(), false).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let summary = train_in_run(&mut trainer, &crashed, 1, Some(stop), &mut |e| {
        if matches!(e, Event::Validated(v) if v.iteration == 20) {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    })
    .unwrap();
    assert!(summary.interrupted && summary.iterations == 20);
    for name in ["metrics.csv", "validation.csv"] {
        // The rows the crashed process wrote past its checkpoint: the reference's.
        std::fs::copy(reference.path().join(name), crashed.path().join(name)).unwrap();
    }
    let metrics = crashed.path().join("metrics.csv");
    let mut text = std::fs::read_to_string(&metrics).unwrap();
    text.push('3'); // a row cut short by the crash
    std::fs::write(&metrics, text).unwrap();

    let mut warnings = Vec::new();
    let mut trainer = resume_latest(&crashed, &mut |w| warnings.push(w.to_string())).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(trainer.resumed_exactly());
    assert_eq!(trainer.iteration(), 20);
    let last = |p: PathBuf| rows(p).last().cloned().unwrap();
    assert!(
        last(metrics.clone()).starts_with("18,"),
        "cut back to the checkpoint"
    );
    train_in_run(&mut trainer, &crashed, 1, None, &mut |_| {}).unwrap();
    for name in ["metrics.csv", "validation.csv"] {
        assert_eq!(
            rows(crashed.path().join(name)),
            rows(reference.path().join(name)),
            "{name}"
        );
    }
}

#[test]
fn a_version_1_checkpoint_with_its_stored_order_resumes_to_the_same_state() {
    // Version 1 stored the epoch's permutation (`data.order`); version 2 replays it from the
    // shuffle stream. The newest checkpoint rewritten the old way (its order added, its
    // version set to 1) resumes to the same training state.
    let dir = tempfile::tempdir().unwrap();
    let run = finished_run(&dir.path().join("r"));
    let path = run.checkpoint_path(31);
    let now = Trainer::resume(&path).unwrap();
    let state = now.data.state();
    assert!(state.epoch > 0, "the replay crosses reshuffles");
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta: HashMap<String, String> = header.metadata().clone().unwrap_or_default();
    meta.insert("trainer_state".into(), "1".into());
    let order_bytes: Vec<u8> = state.order.iter().flat_map(|k| k.to_le_bytes()).collect();
    let order = safetensors::tensor::TensorView::new(
        safetensors::Dtype::U32,
        vec![state.order.len()],
        &order_bytes,
    )
    .unwrap();
    let mut tensors: Vec<(String, safetensors::tensor::TensorView<'_>)> = st.tensors();
    tensors.push(("data.order".into(), order));
    std::fs::write(&path, safetensors::serialize(tensors, Some(meta)).unwrap()).unwrap();
    let old = Trainer::resume(&path).unwrap();
    assert_eq!(old.data.state(), state);
    assert_eq!(old.iteration(), 31);
    assert!(old.resumed_exactly());

    // A version 1 file without its order is damaged (that version always wrote it).
    set_metadata(&run.checkpoint_path(30), "trainer_state", "1");
    let err = Trainer::resume(&run.checkpoint_path(30)).unwrap_err();
    assert!(err.is_damaged_checkpoint(), "{err}");
}

/// Whether the safetensors file at `path` holds a tensor named `name`.
fn holds(path: &Path, name: &str) -> bool {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let found = st.names().contains(&name);
    found
}

#[test]
fn only_the_newest_checkpoint_holds_the_misreport_cache_and_an_older_one_still_resumes() {
    let dir = tempfile::tempdir().unwrap();
    // Any validation qualifies as the best, so that `best.safetensors` is written.
    let mut config = tiny_config();
    config.train.best_regret_bound = 1e6;
    let reference = finished_run_of(&dir.path().join("full"), config.clone());
    let run = finished_run_of(&dir.path().join("r"), config);
    let with_cache: Vec<u64> = run
        .checkpoints()
        .unwrap()
        .into_iter()
        .filter(|(_, p)| holds(p, "data.cache"))
        .map(|(it, _)| it)
        .collect();
    assert_eq!(with_cache, vec![31], "the newest alone");
    // Adam's state likewise; the multipliers in every one; the order in none (replayed).
    for (it, p) in run.checkpoints().unwrap() {
        assert_eq!(holds(&p, "optim.step"), it == 31, "{p:?}");
        assert!(
            holds(&p, "lagrange.lambda") && !holds(&p, "data.order"),
            "{p:?}"
        );
    }
    let best = run.best_checkpoint_path();
    assert!(best.exists() && !holds(&best, "data.cache") && !holds(&best, "optim.step"));

    // The newest damaged: the previous one resumes without the cache, and says so.
    std::fs::write(run.checkpoint_path(31), b"torn").unwrap();
    let mut warnings = Vec::new();
    let mut trainer = resume_latest(&run, &mut |w| warnings.push(w.to_string())).unwrap();
    assert_eq!(trainer.iteration(), 30);
    assert!(!trainer.resumed_exactly());
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[1].contains("iter-000000030") && warnings[1].contains("no misreport cache"),
        "{}",
        warnings[1]
    );
    // It finishes the run; only the misreports differ, so rows up to 30 are the reference's.
    train_in_run(&mut trainer, &run, 1, None, &mut |_| {}).unwrap();
    let (ours, theirs) = (
        rows(run.path().join("metrics.csv")),
        rows(reference.path().join("metrics.csv")),
    );
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours[..ours.len() - 1], theirs[..theirs.len() - 1]);
    assert!(holds(&run.checkpoint_path(31), "data.cache"));
    assert!(!holds(&run.checkpoint_path(30), "data.cache"));
}

#[test]
fn a_restart_where_nothing_resumes_says_so_and_cuts_the_old_rows() {
    // Every checkpoint damaged: the resume sets each aside and refuses; a restart (what
    // `reproduce` does next) warns, naming what it cut, and its rows then match a fresh run.
    let dir = tempfile::tempdir().unwrap();
    let reference = finished_run(&dir.path().join("full"));
    let run = finished_run(&dir.path().join("r"));
    for (_, path) in run.checkpoints().unwrap() {
        std::fs::write(path, b"not a checkpoint").unwrap();
    }
    let mut warnings = Vec::new();
    let err = resume_latest(&run, &mut |w| warnings.push(w.to_string())).unwrap_err();
    assert!(err.to_string().contains("no usable checkpoint"), "{err}");
    assert_eq!(warnings.len(), 4, "each set aside with a warning");
    assert_eq!(run.unusable_checkpoints().unwrap().len(), 4);
    assert!(run.checkpoints().unwrap().is_empty());

    let mut warnings = Vec::new();
    let mut trainer =
        restart_run(&run, tiny_config(), &mut |w| warnings.push(w.to_string())).unwrap();
    // 11 metrics rows (every 3rd iteration and the last) and 4 validation rows were cut.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("iteration 0")
            && warnings[0].contains("15 rows")
            && warnings[0].contains("4 set aside"),
        "{}",
        warnings[0]
    );
    assert_eq!(
        rows(run.path().join("metrics.csv")).len(),
        1,
        "the header alone"
    );
    train_in_run(&mut trainer, &run, 1, None, &mut |_| {}).unwrap();
    for name in ["metrics.csv", "validation.csv"] {
        assert_eq!(
            rows(run.path().join(name)),
            rows(reference.path().join(name)),
            "{name}"
        );
    }

    // A directory with neither rows nor set-aside checkpoints restarts without a word.
    let fresh = dir.path().join("fresh");
    let (run, _) = create_run(&fresh, tiny_config(), false).unwrap();
    restart_run(&run, tiny_config(), &mut |w| {
        panic!("no warning expected: {w}")
    })
    .unwrap();
}

#[test]
fn a_shorter_default_keeps_its_ten_rho_steps_in_its_recorded_config() {
    // `regretnet train --preset additive_1x2_uniform --iterations 8000`: the preset's rho
    // schedule is relative (10 steps, docs/TRAINING.md), so its config.toml records a step
    // every 800 iterations, not the 32,000-iteration default's 3,200.
    let dir = tempfile::tempdir().unwrap();
    let mut config = preset("additive_1x2_uniform").unwrap();
    assert_eq!(config.train.rho_steps, Some(10));
    assert_eq!(config.train.rho_increment_every, 3_200);
    config.train.iterations = 8_000;
    let (run, _) = create_run(&dir.path().join("r"), config, false).unwrap();
    let recorded = run.read_config().unwrap();
    assert_eq!(recorded.train.rho_steps, Some(10));
    assert_eq!(recorded.train.rho_increment_every, 800);
}

#[test]
fn extending_a_decayed_run_says_what_happens_to_its_rate_and_a_tail_keeps_it() {
    // A finished run whose rate decays from 1e-3 to 1e-5 over its second half, extended from
    // 31 to 62 iterations: rescaled, the rate at iteration 31 jumps back to about 5e-4 and rho's
    // step comes every 6 instead of 3 iterations (both said); with a tail it stays at 1e-5.
    let mut config = tiny_config();
    config.train.lr = 1e-3;
    config.train.lr_decay_from = Some(0.5);
    config.train.lr_final = 1e-5;
    config.train.rho_steps = Some(10);
    for tail in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (run, mut trainer) = create_run(&dir.path().join("r"), config.clone(), false).unwrap();
        train_in_run(&mut trainer, &run, 1, None, &mut |_| {}).unwrap();
        assert_eq!(trainer.config().train.rho_increment_every, 3);
        let mut notes = Vec::new();
        let (run, mut trainer) =
            crate::train::session::resume_run(run.path(), Some(62), tail, &mut |w| {
                notes.push(w.to_string())
            })
            .unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        let t = &trainer.config().train;
        if tail {
            assert_eq!(t.schedule_end, Some(31));
            assert_eq!(t.rho_every(), 3);
            assert!((t.lr_at(31) - 1e-5).abs() < 1e-15 && (t.lr_at(62) - 1e-5).abs() < 1e-15);
            assert!(
                notes[0].contains("tail") && notes[0].contains("1.000e-5"),
                "{}",
                notes[0]
            );
        } else {
            assert_eq!(t.schedule_end, None);
            assert_eq!(t.rho_every(), 6);
            assert!(t.lr_at(31) > 4e-4, "{}", t.lr_at(31));
            assert!(
                notes[0].contains("1.000e-5 to")
                    && notes[0].contains("every 6")
                    && notes[0].contains("--tail"),
                "{}",
                notes[0]
            );
        }
        assert_eq!(
            &run.read_config().unwrap().train,
            t,
            "config.toml rewritten to match"
        );
        train_in_run(&mut trainer, &run, 1, None, &mut |_| {}).unwrap();
        assert_eq!(trainer.iteration(), 62);
    }
}

#[test]
fn the_same_shard_count_gives_the_same_bits_at_any_thread_count() {
    // train.shards = 4 on 1, 2 and 4 threads: the same metrics and final checkpoint, bit for
    // bit (the shards are summed in order whatever ran them); 2 shards sum in another order.
    let mut config = tiny_config();
    config.train.shards = 4;
    let dir = tempfile::tempdir().unwrap();
    let mut finals = Vec::new();
    for threads in [1, 2, 4] {
        let (run, mut trainer) = create_run(
            &dir.path().join(format!("t{threads}")),
            config.clone(),
            false,
        )
        .unwrap();
        train_in_run(&mut trainer, &run, threads, None, &mut |_| {}).unwrap();
        assert_eq!(run.read_config().unwrap().train.shards, 4, "recorded");
        let bytes = std::fs::read(run.checkpoint_path(31)).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut tensors: Vec<(String, Vec<u8>)> = st
            .tensors()
            .into_iter()
            .map(|(k, v)| (k, v.data().to_vec()))
            .collect();
        tensors.sort();
        finals.push((rows(run.path().join("metrics.csv")), tensors));
    }
    assert_eq!(finals[0], finals[1]);
    assert_eq!(finals[0], finals[2]);
    let two = finished_run(&dir.path().join("two"));
    assert_ne!(rows(two.path().join("metrics.csv")), finals[0].0);
}

fn tiny_ama(preset_name: &str, menu: regretnet_core::MenuKind) -> Config {
    let mut c = regretnet_core::presets::preset_with_net(preset_name, regretnet_core::NetKind::Ama)
        .unwrap();
    c.net.menu = menu;
    c.net.menu_size = 16;
    c.net.menu_hidden = vec![8];
    c.train.iterations = 10;
    c.train.train_size = 64;
    c.train.batch_size = 32;
    c.train.validate_every = 10;
    c.train.validation_samples = 16;
    c.train.checkpoint_every = 10;
    c
}

#[test]
fn a_generated_menu_starts_from_a_checkpoint_of_another_size_and_a_free_one_does_not() {
    use regretnet_core::MenuKind;
    let dir = tempfile::tempdir().unwrap();
    let small = finished_run_of(
        &dir.path().join("small"),
        tiny_ama("additive_2x2_uniform", MenuKind::Generated),
    );
    let (_, ckpt) = small.latest_checkpoint().unwrap();
    // The 2 x 2 generator's weights, read at 3 x 10: every variable equal.
    let mut large = tiny_ama("additive_3x10_uniform", MenuKind::Generated);
    large.train.init_from = Some(ckpt.display().to_string());
    let trainer = Trainer::start(large.clone()).unwrap();
    let from = regretnet_nets::checkpoint::load_model(&ckpt).unwrap().model;
    for (name, var) in trainer.net().named_vars() {
        assert_eq!(
            regretnet_nets::checkpoint::flat_values(var.as_tensor()).unwrap(),
            regretnet_nets::checkpoint::flat_values(from.named_vars()[&name].as_tensor()).unwrap(),
            "{name}"
        );
    }
    // Another architecture is refused naming `net`; another valuation naming it.
    let mut wider = large.clone();
    wider.net.menu_hidden = vec![9];
    let err = Trainer::start(wider).err().unwrap().to_string();
    assert!(err.contains("net"), "{err}");
    let mut unit = tiny_ama("unit_2x2_uniform", MenuKind::Generated);
    unit.train.init_from = Some(ckpt.display().to_string());
    let err = Trainer::start(unit).err().unwrap().to_string();
    assert!(err.contains("setting.valuation"), "{err}");
    // A free menu's parameters have the sizes in their shapes: another size is refused.
    let free = finished_run_of(
        &dir.path().join("free"),
        tiny_ama("additive_2x2_uniform", MenuKind::Free),
    );
    let mut other = tiny_ama("additive_2x3_uniform", MenuKind::Free);
    other.train.init_from = Some(free.latest_checkpoint().unwrap().1.display().to_string());
    let err = Trainer::start(other).err().unwrap().to_string();
    assert!(err.contains("setting"), "{err}");
}

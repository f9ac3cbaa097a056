//! Crash safety end to end: a real `regretnet train` process killed with SIGKILL (or stopped
//! with SIGINT) and resumed gives the same metrics and final weights as an uninterrupted run;
//! a corrupt newest checkpoint is skipped with a warning.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_regretnet"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A 1x2 run of 600 iterations with checkpoints every 25 and validations every 50.
fn config(dir: &Path) -> String {
    let path = dir.join("c.toml");
    std::fs::write(
        &path,
        r#"
[setting]
name = "crash_1x2"
bidders = 1
items = 2
prior = { kind = "uniform", lo = 0.0, hi = 1.0 }

[net]
alloc_hidden = [16]
pay_hidden = [16]

[train]
iterations = 600
train_size = 640
batch_size = 64
misreport_steps = 5
log_every = 10
validate_every = 50
validation_samples = 64
validation_steps = 10
checkpoint_every = 25
lr_decay_from = 0.5
"#,
    )
    .unwrap();
    path.display().to_string()
}

fn start(cfg: &str, out: &Path) -> Child {
    bin()
        .args([
            "train",
            "--config",
            cfg,
            "--quiet",
            "--threads",
            "2",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until the run has written the checkpoint of `iteration`.
fn wait_for_checkpoint(child: &mut Child, out: &Path, iteration: u64) {
    let path = out.join(format!("checkpoints/iter-{iteration:09}.safetensors"));
    let t0 = Instant::now();
    while !path.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its checkpoint {iteration}"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no checkpoint {iteration}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn resume(out: &Path) -> Output {
    bin()
        .args(["train", "--quiet", "--threads", "2", "--resume"])
        .arg(out)
        .output()
        .unwrap()
}

/// CSV rows without the wall-clock `seconds` column (the last one).
fn rows(path: PathBuf) -> Vec<String> {
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

/// Every tensor's bytes and the metadata without the wall clock.
fn checkpoint(path: PathBuf) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, String>) {
    let bytes = std::fs::read(&path).unwrap();
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

fn assert_same_run(a: &Path, b: &Path) {
    assert_eq!(rows(a.join("metrics.csv")), rows(b.join("metrics.csv")));
    assert_eq!(
        rows(a.join("validation.csv")),
        rows(b.join("validation.csv"))
    );
    let last = "checkpoints/iter-000000600.safetensors";
    assert!(
        checkpoint(a.join(last)) == checkpoint(b.join(last)),
        "final checkpoints differ"
    );
}

#[test]
fn killed_or_interrupted_runs_resume_to_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let reference = dir.path().join("reference");
    let o = bin()
        .args([
            "train",
            "--config",
            &cfg,
            "--quiet",
            "--threads",
            "2",
            "--out",
        ])
        .arg(&reference)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        rows(reference.join("metrics.csv")).len(),
        61,
        "header + 60 rows"
    );

    // SIGKILL in the middle: whatever the process was doing, resume continues exactly.
    let killed = dir.path().join("killed");
    let mut child = start(&cfg, &killed);
    wait_for_checkpoint(&mut child, &killed, 150);
    child.kill().unwrap();
    child.wait().unwrap();
    let o = resume(&killed);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_run(&reference, &killed);

    // SIGINT: a checkpoint at the current iteration, exit 130 and a hint; resume finishes.
    let stopped = dir.path().join("stopped");
    let mut child = start(&cfg, &stopped);
    wait_for_checkpoint(&mut child, &stopped, 100);
    let int = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(int.success());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let o = resume(&stopped);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_run(&reference, &stopped);

    // A truncated newest checkpoint: resume warns, sets it aside and falls back to the
    // previous one (575). Only the newest checkpoint keeps the misreport cache and Adam's
    // moments, so the rerun of the last iterations says it is not bitwise the uninterrupted
    // run: every row up to 575 is the reference's, none is duplicated, and the run completes.
    let newest = killed.join("checkpoints/iter-000000600.safetensors");
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();
    let o = resume(&killed);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning") && err.contains("iter-000000600"),
        "{err}"
    );
    assert!(
        err.contains("iter-000000575") && err.contains("not bitwise"),
        "{err}"
    );
    assert!(killed
        .join("checkpoints/iter-000000600.safetensors.unusable")
        .exists());
    assert!(newest.exists(), "the rerun wrote its final checkpoint");
    let upto = |rows: Vec<String>, last: u64| -> Vec<String> {
        rows.into_iter()
            .filter(|r| {
                r.split(',')
                    .next()
                    .unwrap()
                    .parse::<u64>()
                    .map_or(true, |i| i <= last)
            })
            .collect()
    };
    for csv in ["metrics.csv", "validation.csv"] {
        let (a, b) = (rows(reference.join(csv)), rows(killed.join(csv)));
        assert_eq!(a.len(), b.len(), "{csv}: one row per logged iteration");
        assert_eq!(
            upto(a, 575),
            upto(b, 575),
            "{csv} up to the resumed iteration"
        );
    }

    // A finished run resumes to nothing; every checkpoint corrupt is refused with exit 2.
    let o = resume(&reference);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("complete"));
    for entry in std::fs::read_dir(reference.join("checkpoints")).unwrap() {
        std::fs::write(entry.unwrap().path(), b"not a checkpoint").unwrap();
    }
    let o = resume(&reference);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no usable checkpoint"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn thread_count_does_not_change_training() {
    // Training is single-threaded; validation splits profiles over threads but returns them
    // in order. Same seed, 1 or 2 threads: the same metrics.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = bin()
            .args([
                "train",
                "--config",
                &cfg,
                "--iterations",
                "60",
                "--quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(out);
    }
    assert_eq!(
        rows(outs[0].join("validation.csv")),
        rows(outs[1].join("validation.csv"))
    );
    assert_eq!(
        rows(outs[0].join("metrics.csv")),
        rows(outs[1].join("metrics.csv"))
    );
}

//! End-to-end tests of `regretnet train --trace` and `regretnet probe`: the files a probe
//! writes, the across-seeds aggregate, and bad input (exit 2, a message naming the problem,
//! nothing already written lost).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn regretnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regretnet"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const CONFIG: &str = r#"
[setting]
name = "additive_1x2_uniform"
bidders = 1
items = 2
prior = { kind = "uniform", lo = 0.0, hi = 1.0 }

[net]
alloc_hidden = [8, 6]
pay_hidden = [8, 6]

[train]
iterations = 60
train_size = 256
batch_size = 32
misreport_steps = 3
log_every = 10
validate_every = 0
validation_samples = 32
validation_steps = 3
checkpoint_every = 30
"#;

/// A tiny traced run in `dir/name` with `seed`.
fn traced(dir: &Path, name: &str, seed: u64, config: &str) -> PathBuf {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, config).unwrap();
    let out = dir.join(name);
    let seed = seed.to_string();
    let o = regretnet(&[
        "train",
        "--quiet",
        "--config",
        p(&cfg),
        "--out",
        p(&out),
        "--seed",
        &seed,
        "--trace",
        "5",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn assert_input_error(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn probe_writes_its_report_and_aggregates_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = traced(d, "a", 1, CONFIG);
    let b = traced(d, "b", 2, CONFIG);
    // Tracing: trace.csv (12 traced iterations x 6 layers) and the log-spaced checkpoints.
    let trace = std::fs::read_to_string(a.join("trace.csv")).unwrap();
    assert_eq!(trace.lines().count(), 1 + 12 * 6);
    let kept: Vec<String> = std::fs::read_dir(a.join("checkpoints/trace"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for it in [0, 10, 20, 50, 60] {
        assert!(
            kept.contains(&format!("iter-{it:09}.safetensors")),
            "{it} in {kept:?}"
        );
    }

    let o = regretnet(&[
        "probe",
        p(&a),
        "--samples",
        "40",
        "--steps",
        "10",
        "--grid",
        "11",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "summary.json",
        "REPORT.md",
        "timeline.csv",
        "probes.csv",
        "interventions.csv",
        "timeline.svg",
        "probes.svg",
        "trace.svg",
    ] {
        assert!(a.join("probe").join(f).is_file(), "{f}");
    }
    let report = std::fs::read_to_string(a.join("probe/REPORT.md")).unwrap();
    assert!(report.contains("## Verdict"), "{report}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("probe/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["timeline"].as_array().unwrap().len(), 5);
    // 2 sources x (6 rollbacks + 2 swaps) + 4 ablations.
    assert_eq!(summary["interventions"].as_array().unwrap().len(), 20);
    assert_eq!(summary["verdict"]["claims"].as_array().unwrap().len(), 7);
    // The 1x2 uniform optimum is known: its allocation is a probe target.
    let probes = std::fs::read_to_string(a.join("probe/probes.csv")).unwrap();
    assert!(probes.contains("optimal_alloc_1"));

    // Across seeds: `a` is reused, `b` probed now; two runs cannot establish anything.
    let out = d.join("agg");
    let o = regretnet(&[
        "probe",
        "--runs",
        p(&a),
        p(&b),
        "--out",
        p(&out),
        "--samples",
        "40",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(b.join("probe/summary.json").is_file());
    let agg = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(agg.contains("across 2 runs"), "{agg}");
    assert!(agg.contains("not established: 2 run(s)"), "{agg}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("ic_first: not established"), "{stdout}");
}

#[test]
fn bad_probe_input_exits_2_and_keeps_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = d.join("plain.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let plain = d.join("plain");
    let o = regretnet(&["train", "--quiet", "--config", p(&cfg), "--out", p(&plain)]);
    assert!(o.status.success());
    assert_input_error(&regretnet(&["probe", p(&plain)]), "--trace");
    assert_input_error(
        &regretnet(&["train", "--config", p(&cfg), "--trace", "0"]),
        "--trace",
    );
    assert_input_error(
        &regretnet(&["probe", p(&d.join("missing"))]),
        "does not exist",
    );
    assert_input_error(
        &regretnet(&["probe", p(&plain), "--threshold=-1"]),
        "--threshold",
    );
    assert_input_error(&regretnet(&["probe"]), "RUN_DIR");

    let run = traced(d, "t", 1, CONFIG);
    let metrics = std::fs::read(run.join("metrics.csv")).unwrap();
    let trace = run.join("trace.csv");
    let good_trace = std::fs::read(&trace).unwrap();
    std::fs::write(&trace, "iteration,layer\n0,alloc.hidden0,x\n").unwrap();
    assert_input_error(
        &regretnet(&[
            "probe",
            p(&run),
            "--samples",
            "20",
            "--steps",
            "5",
            "--grid",
            "0",
        ]),
        "trace.csv",
    );
    std::fs::write(&trace, &good_trace).unwrap();

    // A malformed summary is named, not silently re-probed.
    std::fs::create_dir_all(run.join("probe")).unwrap();
    std::fs::write(run.join("probe/summary.json"), "{not json").unwrap();
    assert_input_error(&regretnet(&["probe", "--runs", p(&run)]), "summary.json");

    // Runs of different settings do not aggregate.
    let other = traced(
        d,
        "other",
        1,
        &CONFIG
            .replace("additive_1x2_uniform", "mine")
            .replace("items = 2", "items = 3"),
    );
    let o = regretnet(&[
        "probe",
        "--runs",
        p(&other),
        p(&run),
        "--fresh",
        "--samples",
        "20",
        "--quiet",
    ]);
    assert_input_error(&o, "differ in more than their seed");
    // The same run five times is one run, not five seeds.
    let r = p(&run);
    assert_input_error(
        &regretnet(&["probe", "--runs", r, r, r, r, r, "--quiet"]),
        "given twice",
    );
    // Nothing of the runs was lost.
    assert_eq!(std::fs::read(run.join("metrics.csv")).unwrap(), metrics);
    assert_eq!(std::fs::read(&trace).unwrap(), good_trace);
}

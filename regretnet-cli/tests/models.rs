//! The published models (`models/<row>`, models/README.md): every row directory loads, holds
//! only network weights, and `regretnet eval` reproduces the numbers its `expected.json`
//! records. The revenue (all 10,000 test profiles, a forward pass) is checked on every run; the
//! audited regret on the first profiles, which costs minutes at 5x10, by the long checks.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a row's `expected.json` records: the default protocol's numbers as `regretnet eval`
/// printed them (revenue and its standard error to 4 decimals; the audited regret on the
/// first `regret_samples` profiles in `%.4e`).
struct Expected {
    revenue: String,
    revenue_se: String,
    regret_samples: u64,
    regret: String,
}

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("models")
}

/// Every row directory under models/ with its expectations.
fn rows() -> Vec<(PathBuf, Expected)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(models_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let text = std::fs::read_to_string(dir.join("expected.json"))
            .unwrap_or_else(|e| panic!("{}: expected.json: {e}", dir.display()));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{}: `{k}` missing", dir.display()))
                .to_string()
        };
        out.push((
            dir.clone(),
            Expected {
                revenue: s("revenue"),
                revenue_se: s("revenue_se"),
                regret_samples: v["regret_samples"].as_u64().unwrap(),
                regret: s("regret"),
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A copy of the row's directory (the evaluation writes beside the model).
fn copy_row(dir: &Path, into: &Path) -> PathBuf {
    let dst = into.join(dir.file_name().unwrap());
    std::fs::create_dir_all(dst.join("checkpoints")).unwrap();
    std::fs::copy(dir.join("config.toml"), dst.join("config.toml")).unwrap();
    for f in std::fs::read_dir(dir.join("checkpoints")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dst.join("checkpoints").join(f.file_name().unwrap())).unwrap();
    }
    dst
}

fn eval(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_regretnet"))
        .arg("eval")
        .arg(dir)
        .args(["--json", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_published_row_is_weights_only_and_listed() {
    let readme = std::fs::read_to_string(models_dir().join("README.md")).unwrap();
    for (dir, _) in rows() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            readme.contains(&name),
            "models/README.md does not list {name}"
        );
        let ckpts: Vec<PathBuf> = std::fs::read_dir(dir.join("checkpoints"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(ckpts.len(), 1, "{name}: one checkpoint, got {ckpts:?}");
        // A few hundred KB: the weights, not a training checkpoint's state.
        let bytes = std::fs::metadata(&ckpts[0]).unwrap().len();
        assert!(bytes < 1_000_000, "{name}: {bytes} bytes");
    }
}

#[test]
fn every_published_row_reproduces_its_revenue() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, want) in rows() {
        let copy = copy_row(&dir, tmp.path());
        // Regret on one profile, no audit: the revenue and its standard error are the full
        // sample's whatever the search does.
        let got = eval(
            &copy,
            &["--regret-samples", "1", "--grid", "0", "--steps", "1"],
        );
        let revenue = format!("{:.4}", got["revenue"].as_f64().unwrap());
        let se = format!("{:.4}", got["revenue_se"].as_f64().unwrap());
        assert_eq!(
            (revenue, se),
            (want.revenue.clone(), want.revenue_se.clone()),
            "{}",
            dir.display()
        );
    }
}

#[test]
#[ignore = "audits every published row on its first profiles (minutes at 5x10): run in release by `cargo xtask ci`"]
fn every_published_row_reproduces_its_audited_regret() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, want) in rows() {
        let copy = copy_row(&dir, tmp.path());
        let k = want.regret_samples.to_string();
        let got = eval(&copy, &["--regret-samples", &k, "--threads", "2"]);
        let regret = format!("{:.4e}", got["regret"].as_f64().unwrap());
        assert_eq!(regret, want.regret, "{}", dir.display());
    }
}

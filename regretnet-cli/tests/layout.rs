//! The binary stays thin: its sources parse flags, call the library and print. This test reads
//! them and fails on the calls that mean orchestration crept back in (training loops, run
//! directory writes, evaluations, sampling, file I/O), and checks that inside
//! `regretnet-train` the folders depend on each other one way (run <- train <- eval <-
//! analysis <- tools), by the `use crate::...` lines of each folder.

#![allow(clippy::unwrap_used)]

use std::path::Path;

fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
    out
}

/// The code of a source file without comments and its test modules (the first
/// `#[cfg(test)]` onwards).
fn code(text: &str) -> String {
    let body = text.split("#[cfg(test)]").next().unwrap_or("");
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_cli_holds_no_orchestration() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let forbidden = [
        "Trainer::new",
        "Trainer::resume",
        "CsvSink",
        "truncate_after",
        "write_atomic",
        "evaluate(",
        "sample_profiles",
        "std::fs::",
        "read_dir",
        "checkpoint::load",
        "RunDir::create",
        "stream_rng",
    ];
    let mut found = Vec::new();
    for (path, text) in sources(&src) {
        let code = code(&text);
        for f in forbidden {
            if code.contains(f) {
                found.push(format!("{path}: {f}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "orchestration in the CLI:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_training_crate_s_folders_depend_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../regretnet-train/src");
    let order = ["run", "train", "eval", "analysis", "tools"];
    let mut found = Vec::new();
    for (k, folder) in order.iter().enumerate() {
        for (path, text) in sources(&src.join(folder)) {
            for line in code(&text).lines() {
                for later in &order[k + 1..] {
                    if line.contains(&format!("crate::{later}::")) {
                        found.push(format!("{path}: {}", line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "imports against the layering:\n{}",
        found.join("\n")
    );
}

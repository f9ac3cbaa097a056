//! Malformed input, table-driven: configs, flags, run directories and checkpoints. Every case
//! must exit with status 2, print a message that names the problem, never panic, and leave
//! what was already written untouched.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn regretnet(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regretnet"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const SETTING: &str = r#"[setting]
name = "m_1x2"
bidders = 1
items = 2
prior = { kind = "uniform", lo = 0.0, hi = 1.0 }
"#;

/// A valid combinatorial 2x2 setting (the CA presets' form).
const CA: &str = r#"[setting]
name = "m_ca"
bidders = 2
items = 2
valuation = "combinatorial"
prior = { kind = "combinatorial", lo = 1.0, hi = 2.0, complementarity = [-1.0, 1.0] }
"#;

const SMALL: &str = r#"
[net]
alloc_hidden = [8]
pay_hidden = [8]

[train]
iterations = 20
train_size = 256
batch_size = 64
misreport_steps = 3
log_every = 10
validate_every = 0
validation_samples = 32
validation_steps = 3
checkpoint_every = 10

[eval]
samples = 20
restarts = 1
steps = 3
grid = 11
"#;

/// A complete, valid tiny run in `dir/name` (setting `items` items).
fn train(dir: &Path, name: &str, items: usize) -> PathBuf {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "{}{SMALL}",
            SETTING.replace("items = 2", &format!("items = {items}"))
        ),
    )
    .unwrap();
    let out = dir.join(name);
    let o = regretnet(&s(&[
        "train",
        "--quiet",
        "--config",
        p(&cfg),
        "--out",
        p(&out),
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A copy of a valid checkpoint with its tensors and metadata rewritten by `edit`.
fn rewrite(
    src: &Path,
    dst: &Path,
    edit: impl Fn(&mut Vec<(String, Vec<usize>, Vec<u8>)>, &mut HashMap<String, String>),
    keep_metadata: bool,
) {
    let bytes = std::fs::read(src).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(k, v)| (k, v.shape().to_vec(), v.data().to_vec()))
        .collect();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = header.metadata().clone().unwrap_or_default();
    edit(&mut tensors, &mut meta);
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(k, shape, data)| {
            let dtype = st
                .tensor(k)
                .map(|t| t.dtype())
                .unwrap_or(safetensors::Dtype::F32);
            (
                k.clone(),
                safetensors::tensor::TensorView::new(dtype, shape.clone(), data).unwrap(),
            )
        })
        .collect();
    let out = safetensors::serialize(views, keep_metadata.then_some(meta)).unwrap();
    std::fs::write(dst, out).unwrap();
}

#[test]
fn malformed_inputs_exit_2_with_a_message_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = train(d, "good", 2);
    let other = train(d, "other", 3);
    let ckpt = run.join("checkpoints/iter-000000020.safetensors");
    let snapshot = |path: &Path| std::fs::read(path).unwrap();
    let before = (snapshot(&ckpt), snapshot(&run.join("metrics.csv")));

    // Config files: (name, contents after the [setting] table or replacing it, needle).
    let configs: &[(&str, String, &str)] = &[
        ("unknown_table", format!("{SETTING}[extra]\n"), "extra"),
        (
            "unknown_key",
            format!("{SETTING}[train]\nlr_typo = 1\n"),
            "lr_typo",
        ),
        (
            "wrong_type",
            format!("{SETTING}[train]\niterations = \"many\"\n"),
            "iterations",
        ),
        (
            "zero_iterations",
            format!("{SETTING}[train]\niterations = 0\n"),
            "train.iterations",
        ),
        (
            "combinatorial_prior_additive_valuation",
            CA.replace("valuation = \"combinatorial\"\n", ""),
            "setting.valuation",
        ),
        (
            "combinatorial_valuation_uniform_prior",
            SETTING.replace("items = 2", "items = 2\nvaluation = \"combinatorial\""),
            "setting.prior.kind",
        ),
        (
            "combinatorial_three_items",
            CA.replace("items = 2", "items = 3"),
            "2 bidders and 2 items",
        ),
        (
            "combinatorial_reversed_complementarity",
            CA.replace("[-1.0, 1.0]", "[1.0, -1.0]"),
            "setting.prior.complementarity",
        ),
        (
            "combinatorial_complementarity_one_value",
            CA.replace("[-1.0, 1.0]", "[1.0]"),
            "complementarity",
        ),
        (
            "combinatorial_missing_complementarity",
            CA.replace(", complementarity = [-1.0, 1.0]", ""),
            "complementarity",
        ),
        (
            "zero_batch",
            format!("{SETTING}[train]\nbatch_size = 0\n"),
            "train.batch_size",
        ),
        (
            "negative_count",
            format!("{SETTING}[train]\nbatch_size = -5\n"),
            "batch_size",
        ),
        (
            "zero_bidders",
            SETTING.replace("bidders = 1", "bidders = 0"),
            "bidders",
        ),
        (
            "zero_items",
            SETTING.replace("items = 2", "items = 0"),
            "items",
        ),
        (
            "lo_equals_hi",
            SETTING.replace("hi = 1.0", "hi = 0.0"),
            "hi",
        ),
        ("lo_above_hi", SETTING.replace("lo = 0.0", "lo = 2.0"), "lo"),
        ("nan_bound", SETTING.replace("lo = 0.0", "lo = nan"), "lo"),
        (
            "infinite_bound",
            SETTING.replace("hi = 1.0", "hi = inf"),
            "hi",
        ),
        (
            "bounds_of_wrong_length",
            SETTING.replace("hi = 1.0", "hi = [1.0, 2.0, 3.0]"),
            "hi",
        ),
        (
            "unknown_valuation",
            SETTING.replace("items = 2", "items = 2\nvaluation = \"subadditive\""),
            "subadditive",
        ),
        (
            "unknown_prior",
            SETTING.replace("kind = \"uniform\"", "kind = \"normal\""),
            "normal",
        ),
        (
            "negative_lr",
            format!("{SETTING}[train]\nlr = -0.001\n"),
            "train.lr",
        ),
        (
            "infinite_misreport_lr",
            format!("{SETTING}[train]\nmisreport_lr = inf\n"),
            "train.misreport_lr",
        ),
        (
            "decay_from_one",
            format!("{SETTING}[train]\nlr_decay_from = 1.0\n"),
            "train.lr_decay_from",
        ),
        (
            "zero_rho_every",
            format!("{SETTING}[train]\nrho_increment_every = 0\n"),
            "train.rho_increment_every",
        ),
        (
            "zero_keep",
            format!("{SETTING}[train]\nkeep_checkpoints = 0\n"),
            "train.keep_checkpoints",
        ),
        (
            "negative_best_bound",
            format!("{SETTING}[train]\nbest_regret_bound = -1.0\n"),
            "train.best_regret_bound",
        ),
        (
            "training_set_too_big",
            format!("{SETTING}[train]\ntrain_size = 100000000000\n"),
            "train.train_size",
        ),
        (
            "nets_too_big",
            format!("{SETTING}[net]\nalloc_hidden = [60000, 60000]\n"),
            "net.alloc_hidden",
        ),
        (
            "no_hidden_layer",
            format!("{SETTING}[net]\npay_hidden = []\n"),
            "net.pay_hidden",
        ),
        (
            "zero_width",
            format!("{SETTING}[net]\nalloc_hidden = [100, 0]\n"),
            "net.alloc_hidden",
        ),
        (
            "eval_chunk_too_big",
            format!("{SETTING}[eval]\nbatch_size = 1000000\nrestarts = 1000\n"),
            "eval.batch_size",
        ),
        (
            "one_point_grid",
            format!("{SETTING}[eval]\ngrid = 1\n"),
            "eval.grid",
        ),
        (
            "no_setting",
            "[train]\niterations = 5\n".to_string(),
            "setting",
        ),
        ("empty_file", String::new(), "setting"),
        (
            "toml_syntax",
            "[setting\nname = \"x\"\n".to_string(),
            "TOML",
        ),
    ];
    let mut cases: Vec<(String, Vec<String>, String)> = Vec::new();
    for (name, text, needle) in configs {
        let path = d.join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = d.join(format!("out-{name}"));
        cases.push((
            format!("config {name}"),
            s(&["train", "--config", p(&path), "--out", p(&out)]),
            needle.to_string(),
        ));
    }
    std::fs::write(d.join("binary.toml"), [0xff, 0xfe, 0x00, 0x9f]).unwrap();
    std::fs::create_dir(d.join("dir.toml")).unwrap();

    // Checkpoints, evaluated with --checkpoint.
    let truncated = d.join("truncated.safetensors");
    std::fs::write(&truncated, &before.0[..before.0.len() / 2]).unwrap();
    let text = d.join("text.safetensors");
    std::fs::write(&text, "hello, not a checkpoint").unwrap();
    let misshapen = d.join("misshapen.safetensors");
    rewrite(
        &ckpt,
        &misshapen,
        |t, _| {
            let bias = t.iter_mut().find(|(k, _, _)| k == "pay.out.bias").unwrap();
            bias.1 = vec![2];
            bias.2 = vec![0; 8];
        },
        true,
    );
    let newer = d.join("newer.safetensors");
    rewrite(
        &ckpt,
        &newer,
        |_, m| {
            m.insert("format_version".into(), "99".into());
        },
        true,
    );
    let bare = d.join("bare.safetensors");
    rewrite(&ckpt, &bare, |_, _| {}, false);
    let bad_setting = d.join("bad-setting.safetensors");
    rewrite(
        &ckpt,
        &bad_setting,
        |_, m| {
            m.insert("setting".into(), "{not json".into());
        },
        true,
    );
    let foreign = other.join("checkpoints/iter-000000020.safetensors");
    let good = p(&run).to_string();
    let eval_ckpt = |f: &Path| s(&["eval", &good, "--quiet", "--checkpoint", p(f)]);

    // A run directory whose only checkpoint lacks the training state, one without
    // checkpoints, one with a broken config, and a directory that is not a run.
    let net_only = d.join("net-only");
    std::fs::create_dir_all(net_only.join("checkpoints")).unwrap();
    std::fs::copy(run.join("config.toml"), net_only.join("config.toml")).unwrap();
    rewrite(
        &ckpt,
        &net_only.join("checkpoints/iter-000000020.safetensors"),
        |t, m| {
            t.retain(|(k, _, _)| k.starts_with("alloc.") || k.starts_with("pay."));
            m.remove("trainer_state");
        },
        true,
    );
    let empty_run = d.join("empty-run");
    std::fs::create_dir_all(&empty_run).unwrap();
    std::fs::copy(run.join("config.toml"), empty_run.join("config.toml")).unwrap();
    let broken_run = d.join("broken-run");
    std::fs::create_dir_all(&broken_run).unwrap();
    std::fs::write(
        broken_run.join("config.toml"),
        "[setting]\nbidders = \"two\"\n",
    )
    .unwrap();
    let not_a_run = d.join("not-a-run");
    std::fs::create_dir_all(&not_a_run).unwrap();
    // A reproduce --out whose preset directory holds a run of another configuration.
    let taken = d.join("taken");
    std::fs::create_dir_all(&taken).unwrap();
    let foreign_run = train(&taken, "additive_1x2_uniform", 2);
    let foreign_before = snapshot(&foreign_run.join("metrics.csv"));

    let more: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "config missing",
            s(&["train", "--config", p(&d.join("nope.toml"))]),
            "nope.toml",
        ),
        (
            "config not UTF-8",
            s(&["train", "--config", p(&d.join("binary.toml"))]),
            "binary.toml",
        ),
        (
            "config a directory",
            s(&["train", "--config", p(&d.join("dir.toml"))]),
            "dir.toml",
        ),
        (
            "flag --iterations 0",
            s(&["train", "--iterations", "0"]),
            "--iterations",
        ),
        (
            "flag --iterations many",
            s(&["train", "--iterations", "many"]),
            "many",
        ),
        ("flag --seed -1", s(&["train", "--seed=-1"]), "--seed"),
        (
            "flag --preset unknown",
            s(&["train", "--preset", "nope"]),
            "nope",
        ),
        (
            "flag --preset and --config",
            s(&["train", "--preset", "a", "--config", "b"]),
            "cannot be used with",
        ),
        (
            "flag --resume and --preset",
            s(&["train", "--resume", &good, "--preset", "a"]),
            "cannot be used with",
        ),
        (
            "flag --threads 0",
            s(&["train", "--threads", "0"]),
            "threads",
        ),
        (
            "flag --threads above train.shards",
            s(&[
                "train",
                "--iterations",
                "5",
                "--threads",
                "3",
                "--out",
                "never-written",
            ]),
            "train.shards = 2",
        ),
        (
            "flag --shards 0",
            s(&["train", "--shards", "0"]),
            "--shards",
        ),
        (
            "flag eval --samples 0",
            s(&["eval", &good, "--samples", "0"]),
            "samples",
        ),
        (
            "flag eval --grid 1",
            s(&["eval", &good, "--grid", "1"]),
            "--grid 1",
        ),
        (
            "flag eval --grid 9999",
            s(&["eval", &good, "--grid", "9999"]),
            "--grid",
        ),
        (
            "flag eval --max-regret -1",
            s(&["eval", &good, "--max-regret", "-1"]),
            "--max-regret",
        ),
        (
            "flag eval --max-regret nan",
            s(&["eval", &good, "--max-regret", "NaN"]),
            "--max-regret",
        ),
        (
            "flag eval --protocol",
            s(&["eval", &good, "--protocol", "best"]),
            "best",
        ),
        (
            // 256 threads hold 512 chunks of starts at once: about 100,000 starts for each
            // of 25,600 profiles (the default chunk of 50) are 19 GiB at 1x2.
            "flag eval too many starts at once",
            s(&[
                "eval",
                &good,
                "--samples",
                "1000000",
                "--restarts",
                "100000",
                "--threads",
                "256",
            ]),
            "eval.restarts",
        ),
        ("unknown subcommand", s(&["frobnicate"]), "frobnicate"),
        (
            "bench unknown setting",
            s(&["bench", "--settings", "3x3y"]),
            "3x3y",
        ),
        (
            "bench setting without bidders",
            s(&["bench", "--settings", "1x2,0x3"]),
            "0x3",
        ),
        ("bench zero scale", s(&["bench", "--scale", "0"]), "--scale"),
        ("baseline without a setting", s(&["baseline"]), "--preset"),
        (
            "plot a missing run",
            s(&["plot", p(&d.join("missing"))]),
            "does not exist",
        ),
        (
            "plot a bidder that does not exist",
            s(&["plot", &good, "--bidder", "2"]),
            "bidder 2 of 1",
        ),
        (
            "plot with a short fixed profile",
            s(&["plot", &good, "--fix", "0.5"]),
            "expected 2",
        ),
        (
            "plot --resolution 1",
            s(&["plot", &good, "--resolution", "1"]),
            "--resolution",
        ),
        (
            "plot --format gif",
            s(&["plot", &good, "--format", "gif"]),
            "gif",
        ),
        (
            "reproduce unknown preset",
            s(&["reproduce", "--only", "additive_1x2_uniform", "nope"]),
            "nope",
        ),
        (
            "reproduce unknown budget",
            s(&["reproduce", "--budget", "huge"]),
            "huge",
        ),
        (
            "reproduce zero iterations",
            s(&["reproduce", "--iterations", "0"]),
            "--iterations",
        ),
        (
            "reproduce into a foreign run",
            s(&[
                "reproduce",
                "--only",
                "additive_1x2_uniform",
                "--out",
                p(&taken),
            ]),
            "another configuration",
        ),
        (
            "baseline unknown preset",
            s(&["baseline", "--preset", "nope"]),
            "nope",
        ),
        (
            "baseline one sample",
            s(&[
                "baseline",
                "--preset",
                "additive_2x2_uniform",
                "--samples",
                "1",
            ]),
            "samples",
        ),
        (
            "eval missing directory",
            s(&["eval", p(&d.join("missing"))]),
            "does not exist",
        ),
        ("eval not a run", s(&["eval", p(&not_a_run)]), "config.toml"),
        (
            "eval run without checkpoints",
            s(&["eval", p(&empty_run)]),
            "no checkpoint",
        ),
        (
            "eval broken config.toml",
            s(&["eval", p(&broken_run)]),
            "bidders",
        ),
        (
            "train into a non-empty run",
            s(&["train", "--iterations", "5", "--out", &good]),
            "--force",
        ),
        (
            "resume missing directory",
            s(&["train", "--resume", p(&d.join("missing"))]),
            "does not exist",
        ),
        (
            "resume not a run",
            s(&["train", "--resume", p(&not_a_run)]),
            "config.toml",
        ),
        (
            "resume without checkpoints",
            s(&["train", "--resume", p(&empty_run)]),
            "no checkpoint",
        ),
        (
            "resume net-only checkpoint",
            s(&["train", "--resume", p(&net_only)]),
            "trainer_state",
        ),
        (
            "resume shorter --iterations",
            s(&["train", "--resume", &good, "--iterations", "10"]),
            "fewer than",
        ),
        (
            "checkpoint missing",
            eval_ckpt(&d.join("gone.safetensors")),
            "gone.safetensors",
        ),
        (
            "checkpoint truncated",
            eval_ckpt(&truncated),
            "truncated.safetensors",
        ),
        (
            "checkpoint not safetensors",
            eval_ckpt(&text),
            "not a safetensors file",
        ),
        (
            "checkpoint of another setting",
            eval_ckpt(&foreign),
            "does not match",
        ),
        (
            "checkpoint with a wrong shape",
            eval_ckpt(&misshapen),
            "pay.out.bias",
        ),
        (
            "checkpoint of a newer format",
            eval_ckpt(&newer),
            "format version 99",
        ),
        ("checkpoint without metadata", eval_ckpt(&bare), "metadata"),
        (
            "checkpoint with a broken setting",
            eval_ckpt(&bad_setting),
            "setting",
        ),
    ];
    for (name, args, needle) in more {
        cases.push((name.to_string(), args, needle.to_string()));
    }
    assert!(cases.len() >= 40, "{} cases", cases.len());

    let mut failures = Vec::new();
    for (name, args, needle) in &cases {
        let o = regretnet(args);
        let err = String::from_utf8_lossy(&o.stderr);
        let ok = o.status.code() == Some(2)
            && err.contains(needle.as_str())
            && !err.contains("panicked");
        if !ok {
            failures.push(format!(
                "{name}: exit {:?}, expected {needle:?} in stderr:\n{err}",
                o.status.code()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // Nothing that existed was changed, and the refused trains created no run directory.
    assert_eq!(
        (snapshot(&ckpt), snapshot(&run.join("metrics.csv"))),
        before
    );
    assert_eq!(snapshot(&foreign_run.join("metrics.csv")), foreign_before);
    for (name, _, _) in configs {
        assert!(
            !d.join(format!("out-{name}")).exists(),
            "{name} created its run directory"
        );
    }
}

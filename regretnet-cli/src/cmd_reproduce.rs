//! `regretnet reproduce`: train, evaluate (audited) and compare with the baselines every preset
//! of a budget, and write the `RESULTS.md` table. Each row lives in its own run directory under
//! `--out`; rerunning the same command after a kill resumes the row in progress from its
//! checkpoint and reuses the finished rows (`reproduce.json` in each run directory).

use std::path::{Path, PathBuf};
use std::time::Instant;

use regretnet_train::core::baselines::paired_with;
use regretnet_train::core::rng::{stream_rng, Stream};
use regretnet_train::metrics::truncate_after;
use regretnet_train::nets::{checkpoint, NetSpec};
use regretnet_train::reproduce::{machine_description, results_markdown, table_order, Budget, Row};
use regretnet_train::{Protocol, RunDir, TrainError, Trainer};

use crate::cli::{BudgetName, ProtocolName, ReproduceArgs};
use crate::cmd_eval::evaluate_and_save;
use crate::cmd_train::{resume, train_to_end};
use crate::failure::Failure;

pub fn run(args: &ReproduceArgs) -> Result<(), Failure> {
    let budget = match args.budget {
        BudgetName::Quick => Budget::Quick,
        BudgetName::Full => Budget::Full,
        BudgetName::Large => Budget::Large,
    };
    let names: Vec<String> = if args.only.is_empty() {
        budget.presets().into_iter().map(String::from).collect()
    } else {
        args.only.clone()
    };
    // Every name and config first: a typo fails before an hour of training, not after.
    for name in &names {
        budget.config(name)?;
    }
    let overrides = Overrides {
        iterations: args.iterations,
        samples: args.samples.map(|k| k as usize),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("reproduce-{}", budget.name())));
    std::fs::create_dir_all(&out).map_err(|e| io(&out, e))?;
    let results = args
        .results
        .clone()
        .unwrap_or_else(|| out.join("RESULTS.md"));
    let mut command = format!("regretnet reproduce --budget {}", budget.name());
    if !args.only.is_empty() {
        command += &format!(" --only {}", args.only.join(" "));
    }
    if args.protocol == ProtocolName::Paper {
        command += " --protocol paper";
    }
    if let Some(n) = args.iterations {
        command += &format!(" --iterations {n}");
    }
    if let Some(k) = args.samples {
        command += &format!(" --samples {k}");
    }
    let machine = machine_description();
    let threads = args.threads.count as usize;
    let mut rows = Vec::new();
    for (k, name) in names.iter().enumerate() {
        if !args.quiet {
            eprintln!("[{}/{}] {name}", k + 1, names.len());
        }
        let row = reproduce_row(
            name,
            budget,
            args.protocol,
            overrides,
            &command,
            &out.join(name),
            threads,
            args.quiet,
        )?;
        println!(
            "{name}: revenue {:.4} +- {:.4}, regret {:.2e} (audited), {}",
            row.revenue,
            row.revenue_se,
            row.audited_regret,
            row.checks()
        );
        rows.push(row);
        // The table holds this command's rows and every other finished row under --out (rows
        // added later with --only join the table).
        let mut table = rows.clone();
        for entry in std::fs::read_dir(&out).map_err(|e| io(&out, e))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if table.iter().any(|r| r.preset == name) {
                continue;
            }
            if let Some(r) = std::fs::read_to_string(entry.path().join("reproduce.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Row>(&t).ok())
                .filter(|r| r.budget == budget && r.preset == name)
            {
                table.push(r);
            }
        }
        table_order(&mut table);
        let text = results_markdown(budget, &machine, &table);
        checkpoint::write_atomic(&results, text.as_bytes()).map_err(|e| io(&results, e))?;
    }
    println!("wrote {}", results.display());
    Ok(())
}

fn io(path: &Path, source: std::io::Error) -> Failure {
    TrainError::Io {
        path: path.display().to_string(),
        source,
    }
    .into()
}

/// `--iterations` and `--samples`.
#[derive(Debug, Clone, Copy)]
struct Overrides {
    iterations: Option<u64>,
    samples: Option<usize>,
}

/// Train (or resume, or reuse) one preset's run in `dir`, evaluate it and compute the
/// baselines on the evaluation's test sample.
#[allow(clippy::too_many_arguments)]
fn reproduce_row(
    name: &str,
    budget: Budget,
    protocol_name: ProtocolName,
    overrides: Overrides,
    command: &str,
    dir: &Path,
    threads: usize,
    quiet: bool,
) -> Result<Row, Failure> {
    let mut config = budget.config(name)?;
    config.regretnet_version = Some(env!("CARGO_PKG_VERSION").to_string());
    if let Some(n) = overrides.iterations {
        config.train.iterations = n;
    }
    let mut protocol = match protocol_name {
        ProtocolName::Default => Protocol::from_config("default", &config.eval),
        ProtocolName::Paper => Protocol::paper(),
    };
    if let Some(k) = overrides.samples {
        protocol.samples = k;
        protocol.name = format!("{}-n{k}", protocol.name);
    }
    let saved = dir.join("reproduce.json");
    // The protocol as saved (its chunk size is not part of it).
    let recorded = Protocol {
        chunk: 0,
        ..protocol.clone()
    };
    if let Ok(text) = std::fs::read_to_string(&saved) {
        let same_config = RunDir::open(dir)
            .and_then(|r| r.read_config())
            .is_ok_and(|c| {
                (&c.setting, &c.net, &c.train) == (&config.setting, &config.net, &config.train)
            });
        match serde_json::from_str::<Row>(&text) {
            Ok(row)
                if row.budget == budget
                    && row.protocol_detail.as_ref() == Some(&recorded)
                    && row.iterations == config.train.iterations
                    && same_config =>
            {
                if !quiet {
                    eprintln!("reusing {}", saved.display());
                }
                return Ok(row);
            }
            Ok(_) => {
                if !quiet {
                    eprintln!(
                        "{} was made under another protocol or configuration: evaluating again",
                        saved.display()
                    );
                }
            }
            Err(e) => eprintln!(
                "warning: cannot read {} ({e}); evaluating the row again",
                saved.display()
            ),
        }
    }
    let (run, mut trainer) = if dir.join("config.toml").exists() {
        let run = RunDir::open(dir)?;
        let existing = run.read_config()?;
        if (&existing.setting, &existing.net, &existing.train)
            != (&config.setting, &config.net, &config.train)
        {
            return Err(Failure::usage(format!(
                "{} holds a run with another configuration than `{name}` under the {} budget; \
                 pass another --out or remove it",
                dir.display(),
                budget.name()
            )));
        }
        if run.checkpoints()?.is_empty() {
            (run, Trainer::new(config.clone())?)
        } else {
            let trainer = resume(&run)?;
            truncate_after(run.path(), trainer.iteration())?;
            (run, trainer)
        }
    } else {
        let run = RunDir::create(dir, false)?;
        run.write_config(&config)?;
        (run, Trainer::new(config.clone())?)
    };
    let mut train_seconds = 0.0;
    if trainer.iteration() < config.train.iterations {
        let summary = train_to_end(&mut trainer, &run, dir, threads, quiet)?;
        match (&summary.validation, summary.interrupted) {
            (Some(v), false) => train_seconds = v.seconds,
            _ => {
                return Err(Failure::Interrupted(anyhow::anyhow!(
                    "stopped in {name} at iteration {}, checkpoint written; run the same \
                     `regretnet reproduce` command again to continue",
                    summary.iterations
                )))
            }
        }
    }
    let setting = config.setting.build()?;
    let (iteration, path) = run.latest_checkpoint()?;
    let spec = NetSpec {
        setting: config.setting.clone(),
        net: config.net.clone(),
    };
    let ckpt = checkpoint::load_expecting(&path, &spec)?;
    // A run trained by an earlier command (evaluated again now): its own training time.
    if train_seconds == 0.0 {
        train_seconds = ckpt
            .metadata
            .get("elapsed_seconds")
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    }
    let start = Instant::now();
    let (report, _, _) =
        evaluate_and_save(&run, dir, &path, &ckpt, &setting, &protocol, threads, quiet)?;
    let eval_seconds = start.elapsed().as_secs_f64();
    crate::cmd_plot::refresh_report(&run, quiet);
    // The evaluation's own test sample: same seed, same stream, same count.
    let profiles = setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    );
    let row = Row {
        preset: name.to_string(),
        budget,
        protocol: protocol.name.clone(),
        iterations: iteration,
        samples: protocol.samples,
        revenue: report.revenue,
        revenue_se: report.revenue_se,
        gradient_regret: report.gradient.mean,
        audited_regret: report.regret,
        audit_to_gradient: report.audit_to_gradient,
        baselines: paired_with(
            &setting,
            &profiles,
            &report
                .per_profile_revenue
                .iter()
                .map(|&r| r as f64)
                .collect::<Vec<_>>(),
        ),
        train_seconds,
        eval_seconds,
        command: command.to_string(),
        estimates: report.estimates.clone(),
        protocol_detail: Some(recorded),
    };
    let text = serde_json::to_string_pretty(&row).map_err(|e| Failure::Runtime(e.into()))?;
    checkpoint::write_atomic(&saved, text.as_bytes()).map_err(|e| io(&saved, e))?;
    Ok(row)
}

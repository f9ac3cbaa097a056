//! `regretnet baseline`: the baseline mechanisms' revenue on a setting's test sample (the same
//! profiles `regretnet eval` uses), with standard errors and the paper's published numbers.

use regretnet_train::core::baselines::on_test_sample;
use regretnet_train::core::presets::{self, PRESETS};
use regretnet_train::core::Config;

use crate::cli::BaselineArgs;
use crate::failure::Failure;

pub fn run(args: &BaselineArgs) -> Result<(), Failure> {
    let config = match (&args.preset, &args.config) {
        (_, Some(path)) => Config::load(path)?,
        (Some(name), None) => presets::preset(name)?,
        (None, None) => {
            return Err(Failure::usage(
                "name a setting: --preset NAME (see `regretnet presets`) or --config FILE",
            ))
        }
    };
    let setting = config.setting.build()?;
    let samples = args.samples.map_or(config.eval.samples, |k| k as usize);
    let seed = args.seed.unwrap_or(config.eval.seed);
    let rows = on_test_sample(&setting, samples, seed);
    let published = PRESETS.iter().find(|p| p.name == setting.name);
    if args.json {
        let rows: Vec<_> = rows
            .iter()
            .map(|b| serde_json::json!({"name": b.name, "revenue": b.revenue, "se": b.se}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "setting": setting.name,
                "samples": samples,
                "seed": seed,
                "baselines": rows,
                "published_optimum": published.and_then(|p| p.optimal_revenue),
                "published_best_baseline": published.and_then(|p| p.best_baseline)
                    .map(|(n, v)| serde_json::json!({"name": n, "revenue": v})),
            })
        );
        return Ok(());
    }
    println!(
        "setting  {} ({samples} test profiles, seed {seed})",
        setting.name
    );
    if rows.is_empty() {
        println!("no implemented baseline applies to this setting");
    }
    for b in &rows {
        println!("  {:<26} {:.4} +- {:.4}", b.name, b.revenue, b.se);
    }
    if let Some(p) = published {
        if let Some(v) = p.optimal_revenue {
            println!("published optimum      {v:.4}");
        }
        if let Some((n, v)) = p.best_baseline {
            println!("published best baseline {v:.4} ({n})");
        }
    }
    Ok(())
}

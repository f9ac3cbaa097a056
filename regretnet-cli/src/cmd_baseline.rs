//! `regretnet baseline`: the baseline mechanisms' revenue on a setting's test sample (the same
//! profiles `regretnet eval` uses), with standard errors and the paper's published numbers.

use regretnet_train::core::baselines::on_test_sample;
use regretnet_train::core::presets::{self, PRESETS};
use regretnet_train::core::Config;
use regretnet_train::tools::listing::baselines_json;

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
    let samples = args.samples.map(|k| k as usize);
    if args.json {
        println!("{}", baselines_json(&config, samples, args.seed)?);
        return Ok(());
    }
    let setting = config.setting.build()?;
    let samples = samples.unwrap_or(config.eval.samples);
    let seed = args.seed.unwrap_or(config.eval.seed);
    let rows = on_test_sample(&setting, samples, seed);
    let published = PRESETS.iter().find(|p| p.name == setting.name);
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

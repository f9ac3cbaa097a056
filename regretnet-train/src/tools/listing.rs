//! The presets and the baselines as JSON: what `regretnet presets --json` and `regretnet
//! baseline --json` print and what the Python package's `presets()` and `baselines()` return,
//! built here once so that both give the same fields and numbers.

use regretnet_core::baselines::on_test_sample;
use regretnet_core::presets::PRESETS;
use regretnet_core::Config;
use serde_json::{json, Value};

use crate::error::Result;

/// Every preset: `name`, `description`, the paper's `optimal_revenue`, `best_baseline`
/// (`name`, `revenue`) and `paper_regretnet` (`revenue`, `regret_below`), `null` where the
/// paper gives none.
pub fn presets_json() -> Value {
    Value::Array(
        PRESETS
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "description": p.description,
                    "optimal_revenue": p.optimal_revenue,
                    "best_baseline": p.best_baseline.map(|(n, v)| json!({"name": n, "revenue": v})),
                    "paper_regretnet": p.paper_regretnet.map(|(r, g)| json!({"revenue": r, "regret_below": g})),
                })
            })
            .collect(),
    )
}

/// Every baseline that applies to `config`'s setting on the test sample of an evaluation with
/// `samples` profiles (default `eval.samples`) and `seed` (default `eval.seed`): `setting`,
/// `samples`, `seed`, `baselines` (each `name`, `revenue`, `se`) and the paper's
/// `published_optimum` and `published_best_baseline` where it has them.
///
/// ```
/// use regretnet_train::core::presets;
/// use regretnet_train::tools::listing::baselines_json;
///
/// let config = presets::preset("additive_1x2_uniform").unwrap();
/// let b = baselines_json(&config, Some(1000), None).unwrap();
/// assert_eq!(b["samples"], 1000);
/// assert!(b["baselines"].as_array().unwrap().iter().any(|r| r["name"] == "known optimum"));
/// ```
pub fn baselines_json(config: &Config, samples: Option<usize>, seed: Option<u64>) -> Result<Value> {
    let setting = config.setting.build()?;
    let samples = samples.unwrap_or(config.eval.samples);
    let seed = seed.unwrap_or(config.eval.seed);
    let rows: Vec<Value> = on_test_sample(&setting, samples, seed)
        .iter()
        .map(|b| json!({"name": b.name, "revenue": b.revenue, "se": b.se}))
        .collect();
    let published = PRESETS.iter().find(|p| p.name == setting.name);
    Ok(json!({
        "setting": setting.name,
        "samples": samples,
        "seed": seed,
        "baselines": rows,
        "published_optimum": published.and_then(|p| p.optimal_revenue),
        "published_best_baseline": published.and_then(|p| p.best_baseline)
            .map(|(n, v)| json!({"name": n, "revenue": v})),
    }))
}

//! Test-time evaluation: revenue, regret and IR violation on a fixed test sample, with the
//! search protocol recorded beside every number.

use std::time::Instant;

use regretnet_core::optimal::known_optimum;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{EvalConfig, Setting};
use regretnet_nets::RegretNet;
use regretnet_regret::{estimate_regret_with, SearchConfig, Work};
use serde::Serialize;

use crate::error::Result;

/// A named search protocol: the test sample and the strength of the misreport search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Protocol {
    /// Name (`default`, `paper`, or `custom` when flags changed it).
    pub name: String,
    /// Test profiles.
    pub samples: usize,
    /// Seed of the test sample and of the restarts.
    pub seed: u64,
    /// Starts per profile and bidder (the truthful report plus prior draws).
    pub restarts: usize,
    /// Projected-Adam steps per start.
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Profiles per chunk of work (memory bound; does not change results).
    #[serde(skip)]
    pub chunk: usize,
}

impl Protocol {
    /// The protocol described by an `[eval]` section, under `name`.
    pub fn from_config(name: &str, e: &EvalConfig) -> Self {
        Protocol {
            name: name.to_string(),
            samples: e.samples,
            seed: e.seed,
            restarts: e.restarts,
            steps: e.steps,
            lr: e.lr,
            chunk: e.batch_size,
        }
    }

    /// The reference test protocol (`regretnet-paper.md`, "Test"): 10,000 profiles with seed 100,
    /// 1,000 starts x 2,000 Adam steps at lr 0.1.
    pub fn paper() -> Self {
        Protocol::from_config("paper", &EvalConfig::paper())
    }
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Setting name.
    pub setting: String,
    /// Number of test profiles.
    pub samples: usize,
    /// Mean revenue.
    pub revenue: f64,
    /// Standard error of the mean revenue.
    pub revenue_se: f64,
    /// Regret: mean over profiles, then mean over bidders (the reference's convention).
    pub regret: f64,
    /// Standard error of `regret`.
    pub regret_se: f64,
    /// Mean regret of each bidder.
    pub regret_per_bidder: Vec<f64>,
    /// Largest per-profile regret of each bidder.
    pub regret_max_per_bidder: Vec<f64>,
    /// Largest per-profile regret of any bidder.
    pub regret_max: f64,
    /// `mean(max(0, -u_truthful))` over profiles and bidders (0 by construction of the payment
    /// head; reported as a check).
    pub ir_violation: f64,
    /// Revenue of the known optimal mechanism on the same test profiles, where one is known
    /// (`regretnet_core::optimal`); `None` otherwise.
    pub optimal_revenue: Option<f64>,
    /// The search protocol.
    pub protocol: Protocol,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Threads used.
    pub threads: usize,
}

fn mean_se(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count().max(1) as f64;
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

/// Evaluate `net` on the protocol's test sample; `progress` receives profiles done.
pub fn evaluate(
    net: &RegretNet,
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    progress: Option<&(dyn Fn(usize) + Sync)>,
) -> Result<EvalReport> {
    let start = Instant::now();
    let profiles = setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    );
    let search = SearchConfig {
        steps: protocol.steps,
        lr: protocol.lr,
        restarts: protocol.restarts,
    };
    let est = estimate_regret_with(
        net,
        setting,
        &profiles,
        &search,
        &mut stream_rng(protocol.seed, Stream::TestMisreport),
        Work {
            chunk: protocol.chunk,
            threads,
            progress,
        },
    )?;
    let n = setting.bidders;
    let (revenue, revenue_se) = mean_se(est.revenue.iter().map(|&r| r as f64));
    let per_profile_mean = est
        .regret
        .chunks_exact(n)
        .map(|row| row.iter().map(|&r| r as f64).sum::<f64>() / n as f64);
    let (regret, regret_se) = mean_se(per_profile_mean);
    let regret_max_per_bidder: Vec<f64> = (0..n)
        .map(|i| {
            est.regret
                .iter()
                .skip(i)
                .step_by(n)
                .cloned()
                .fold(0.0f32, f32::max) as f64
        })
        .collect();
    let ir_violation = est
        .truthful_utility
        .iter()
        .map(|&u| (-(u as f64)).max(0.0))
        .sum::<f64>()
        / est.truthful_utility.len().max(1) as f64;
    let optimal_revenue = known_optimum(setting).map(|menu| {
        let len = setting.profile_len();
        profiles
            .chunks_exact(len)
            .map(|v| menu.revenue(v))
            .sum::<f64>()
            / est.samples as f64
    });
    Ok(EvalReport {
        optimal_revenue,
        setting: setting.name.clone(),
        samples: est.samples,
        revenue,
        revenue_se,
        regret,
        regret_se,
        regret_per_bidder: est.mean_per_bidder(),
        regret_max: regret_max_per_bidder.iter().cloned().fold(0.0, f64::max),
        regret_max_per_bidder,
        ir_violation,
        protocol: protocol.clone(),
        seconds: start.elapsed().as_secs_f64(),
        threads,
    })
}

impl EvalReport {
    /// A human-readable summary (what `regretnet eval` prints without `--json`).
    pub fn to_text(&self) -> String {
        let p = &self.protocol;
        let mut s = format!(
            "setting      {}\nprotocol     {} ({} profiles, seed {}, {} starts x {} Adam steps, lr {})\n",
            self.setting, p.name, self.samples, p.seed, p.restarts, p.steps, p.lr
        );
        s += &format!(
            "revenue      {:.4} +- {:.4} (standard error)\n",
            self.revenue, self.revenue_se
        );
        if let Some(opt) = self.optimal_revenue {
            s += &format!(
                "optimum      {opt:.4} (the known optimal mechanism on the same profiles)\n"
            );
        }
        s += &format!(
            "regret       {:.3e} +- {:.1e} (mean over bidders of the mean over profiles)\n",
            self.regret, self.regret_se
        );
        for (i, (m, x)) in self
            .regret_per_bidder
            .iter()
            .zip(&self.regret_max_per_bidder)
            .enumerate()
        {
            s += &format!("  bidder {i}   mean {m:.3e}  max {x:.3e}\n");
        }
        s += &format!("IR violation {:.3e}\n", self.ir_violation);
        s += &format!(
            "time         {:.1} s on {} threads\n",
            self.seconds, self.threads
        );
        if p.name.starts_with("default") {
            s += "note         the default protocol is a strong search sized for a CPU (best iterate of \
                  the truthful start and prior draws);\n             --protocol paper runs the \
                  reference's 1,000 starts x 2,000 steps\n";
        }
        s
    }
}

//! Test-time evaluation: revenue, regret by gradient search and by audit, and IR violation on
//! a fixed test sample, with the protocol that produced them recorded beside every number.
//!
//! The gradient search ([`regretnet_regret::estimate_regret_with`]) is the paper's estimate.
//! The audit checks it: a dense grid over each bidder's support refined by gradient ascent
//! where a bidder reports at most two values ([`regretnet_regret::grid_audit`]), an item-wise
//! 1-D grid otherwise ([`regretnet_regret::itemwise_audit`]). Every estimate is a lower bound
//! on the true regret, so the report's headline, the *audited* regret, takes the larger of the
//! two per profile and bidder, and the ratio of audit to search says how much the search
//! missed.

use std::time::Instant;

use regretnet_core::optimal::known_optimum;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{ConfigError, EvalConfig, Setting};
use regretnet_regret::grid::MAX_GRID_ITEMS;
use regretnet_regret::starts::starts_per_profile;
use regretnet_regret::stats::{elementwise_max, mean_se};
use regretnet_regret::{
    estimate_regret_with, grid_audit, itemwise_audit, GridConfig, Mechanism, RegretStats,
    SearchConfig, Work,
};
use serde::Serialize;

use crate::error::Result;
pub use crate::report::{Audit, EvalReport, Timings};

/// A named search protocol: the test sample, the strength of the misreport search and the
/// density of the audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Protocol {
    /// Name (`default`, `paper`, or one that spells out the overrides).
    pub name: String,
    /// Test profiles.
    pub samples: usize,
    /// Seed of the test sample and of the prior-drawn starts.
    pub seed: u64,
    /// Starts drawn from the prior per profile and bidder.
    pub restarts: usize,
    /// Whether the truthful report starts a search too (always true; recorded for readers).
    pub truthful_start: bool,
    /// Whether the corners of the support are starts.
    pub corners: bool,
    /// Projected-Adam steps per start.
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Grid points per report coordinate of the audit (0: no audit).
    pub grid: usize,
    /// Best grid points refined per profile and bidder.
    pub grid_refine_top: usize,
    /// Projected-Adam steps of the refinement.
    pub grid_refine_steps: usize,
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
            truthful_start: true,
            corners: e.corners,
            steps: e.steps,
            lr: e.lr,
            grid: e.grid,
            grid_refine_top: e.grid_refine_top,
            grid_refine_steps: e.grid_refine_steps,
            chunk: e.batch_size,
        }
    }

    /// The reference test protocol (`regretnet-paper.md`, "Test"): 10,000 profiles with seed
    /// 100, 1,000 prior starts x 2,000 Adam steps at lr 0.1, plus the truthful report and the
    /// corners, audited like the default.
    pub fn paper() -> Self {
        Protocol::from_config("paper", &EvalConfig::paper())
    }

    /// The search part of the protocol.
    pub fn search(&self) -> SearchConfig {
        SearchConfig {
            steps: self.steps,
            lr: self.lr,
            restarts: self.restarts,
            corners: self.corners,
        }
    }

    /// Which audit this protocol runs on `setting`.
    pub fn audit_for(&self, setting: &Setting) -> Audit {
        if self.grid == 0 {
            Audit::None
        } else if setting.items <= MAX_GRID_ITEMS {
            Audit::Grid
        } else {
            Audit::ItemWise
        }
    }
}

/// Which part of an evaluation is running, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The gradient search.
    Search,
    /// The audit.
    Audit(Audit),
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Phase::Search => write!(f, "gradient search"),
            Phase::Audit(a) => write!(f, "{a} audit"),
        }
    }
}

/// Profiles per chunk of the one-bidder grid audit, whose per-profile work is a row of one
/// matrix product and a short refinement: large chunks keep the tensors worth their overhead.
const SHARED_GRID_CHUNK: usize = 500;

/// Memory an evaluation may take for its sample and starts, in bytes.
pub const MAX_EVAL_BYTES: u64 = 8 << 30;

/// Refuse, before allocating, a protocol whose test sample and search starts would not fit
/// in [`MAX_EVAL_BYTES`].
fn check_memory(setting: &Setting, protocol: &Protocol) -> Result<()> {
    let per_profile = starts_per_profile(setting, &protocol.search()) as u64 + 3;
    let bytes = (protocol.samples as u64)
        .saturating_mul(setting.profile_len() as u64)
        .saturating_mul(per_profile)
        .saturating_mul(4);
    if bytes > MAX_EVAL_BYTES {
        return Err(ConfigError::invalid(
            "eval.samples",
            format!(
                "{} profiles x {} starts need {:.1} GiB (limit {} GiB); use fewer --samples or \
                 --restarts",
                protocol.samples,
                per_profile - 3,
                bytes as f64 / (1u64 << 30) as f64,
                MAX_EVAL_BYTES >> 30
            ),
        )
        .into());
    }
    Ok(())
}

/// Evaluate `mech` on the protocol's test sample; `progress` receives the phase and the
/// profiles done in it.
pub fn evaluate<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    progress: Option<&(dyn Fn(Phase, usize) + Sync)>,
) -> Result<EvalReport> {
    check_memory(setting, protocol)?;
    let start = Instant::now();
    let profiles = setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    );
    let n = setting.bidders;
    let search_progress = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Search, done)
        }
    };
    let est = estimate_regret_with(
        mech,
        setting,
        &profiles,
        &protocol.search(),
        &mut stream_rng(protocol.seed, Stream::TestMisreport),
        Work {
            chunk: protocol.chunk,
            threads,
            progress: Some(&search_progress),
        },
    )?;
    let search_seconds = start.elapsed().as_secs_f64();
    let audit_start = Instant::now();
    let audit = protocol.audit_for(setting);
    let audit_progress = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Audit(audit), done)
        }
    };
    let audit_regret = match audit {
        Audit::None => None,
        Audit::Grid => {
            let config = GridConfig {
                resolution: protocol.grid,
                refine_top: protocol.grid_refine_top,
                refine_steps: protocol.grid_refine_steps,
            };
            let chunk = if n == 1 {
                SHARED_GRID_CHUNK
            } else {
                protocol.chunk
            };
            let work = Work {
                chunk,
                threads,
                progress: Some(&audit_progress),
            };
            Some(grid_audit(mech, setting, &profiles, &config, work)?.regret)
        }
        Audit::ItemWise => {
            let work = Work {
                chunk: protocol.chunk,
                threads,
                progress: Some(&audit_progress),
            };
            Some(itemwise_audit(mech, setting, &profiles, protocol.grid, work)?.regret)
        }
    };
    let audit_seconds = audit_start.elapsed().as_secs_f64();

    let revenue: Vec<f64> = est.revenue.iter().map(|&r| r as f64).collect();
    let (revenue, revenue_se) = mean_se(&revenue);
    let ir_violation = est
        .truthful_utility
        .iter()
        .map(|&u| (-(u as f64)).max(0.0))
        .sum::<f64>()
        / est.truthful_utility.len().max(1) as f64;
    let optimal_revenue = known_optimum(setting).map(|menu| {
        profiles
            .chunks_exact(setting.profile_len())
            .map(|v| menu.revenue(v))
            .sum::<f64>()
            / est.samples.max(1) as f64
    });
    let gradient = RegretStats::from_regret(&est.regret, n);
    let per_profile = match &audit_regret {
        Some(a) => elementwise_max(&est.regret, a),
        None => est.regret.clone(),
    };
    let audited = RegretStats::from_regret(&per_profile, n);
    let audit_stats = audit_regret
        .as_ref()
        .map(|a| RegretStats::from_regret(a, n));
    let audit_to_gradient = audit_stats.as_ref().map(|a| {
        if gradient.mean > 0.0 {
            a.mean / gradient.mean
        } else if a.mean > 0.0 {
            f64::INFINITY
        } else {
            1.0
        }
    });
    Ok(EvalReport {
        setting: setting.name.clone(),
        samples: est.samples,
        revenue,
        revenue_se,
        optimal_revenue,
        ir_violation,
        regret: audited.mean,
        regret_se: audited.se,
        regret_max: audited.max,
        audit,
        audit_to_gradient,
        gradient,
        audit_stats,
        audited,
        protocol: protocol.clone(),
        timings: Timings {
            search: search_seconds,
            audit: audit_seconds,
            total: start.elapsed().as_secs_f64(),
        },
        threads,
        per_profile,
    })
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;

//! The `[eval]` section: the test sample, the strength of the misreport search, the audits and
//! the reference search.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::setting::Setting;

use super::checks::{positive, positive_finite};

/// The `[eval]` section: the test sample and the strength of the misreport search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalConfig {
    /// Number of test profiles (revenue, IR and the baselines' comparison use them all).
    pub samples: usize,
    /// Regret (the search and every audit) on the first this many test profiles only; 0: on
    /// all of them. The settings with 10 items use a subsample to fit a CPU budget.
    pub regret_samples: usize,
    /// Seed of the test sample and of the search restarts.
    pub seed: u64,
    /// Starts drawn from the prior per profile and bidder, besides the truthful report and
    /// the corners.
    pub restarts: usize,
    /// Whether the corners of each bidder's support are extra starts (all `2^m` up to 6
    /// items, `2m + 2` above).
    pub corners: bool,
    /// Projected-Adam steps per start.
    pub steps: usize,
    /// Adam learning rate of the search.
    pub lr: f64,
    /// Profiles per evaluation chunk.
    pub batch_size: usize,
    /// Grid points per report coordinate of the audit: a full grid when a bidder reports at
    /// most 2 values, an item-wise 1-D grid otherwise; 0 turns the audit off.
    pub grid: usize,
    /// Best grid points per profile and bidder that the audit refines by gradient ascent.
    pub grid_refine_top: usize,
    /// Projected-Adam steps of that refinement.
    pub grid_refine_steps: usize,
    /// Where a bidder reports more than 2 values: grid values per item of the coordinate
    /// audit's sweeps (`regretnet_regret::coordinate`); 0 turns the coordinate audit off (the
    /// item-wise grid still runs while `grid` is not 0).
    pub coordinate_grid: usize,
    /// Most sweeps over the items per start of the coordinate audit.
    pub coordinate_sweeps: usize,
    /// Prior draws per profile and bidder that start the coordinate audit, besides the
    /// truthful report, the search's best misreport and the all-low and all-high corners.
    pub coordinate_starts: usize,
    /// Projected-Adam steps refining the coordinate audit's points.
    pub coordinate_refine_steps: usize,
    /// The first this many test profiles also get pairwise 2-D grids over every pair of items
    /// (more than 2 items; 0: none).
    pub pair_samples: usize,
    /// Grid values per item of a pairwise grid.
    pub pair_grid: usize,
    /// The first this many test profiles also get a paper-strength reference search
    /// (`reference_restarts` prior starts x `reference_steps` steps; 0: none), to measure how
    /// much of its regret the default search and the audit find.
    pub reference_samples: usize,
    /// Prior starts per profile and bidder of the reference search.
    pub reference_restarts: usize,
    /// Projected-Adam steps per start of the reference search.
    pub reference_steps: usize,
    /// Certify the regret: a proven upper bound per profile and bidder by branch and bound
    /// (bidders who report at most 2 values; `regretnet_regret::certify`).
    pub certify: bool,
    /// Stop certifying a profile and bidder when the bound is within this of the best
    /// misreport found. The default, 5e-5 with [`EvalConfig::certify_budget`] 100,000, puts
    /// the default 1x2 model's certified mean within 5e-5 of its audited mean, every profile
    /// within tol (docs/EVALUATION.md, "Certified regret"); at 1e-4 and 20,000 boxes every
    /// certificate that reached tol sat about 1e-4 above its found regret and 14% of profiles
    /// stopped at the budget, 2.2e-4 above the audited mean.
    pub certify_tol: f64,
    /// Most boxes bounded per profile and bidder.
    pub certify_budget: usize,
    /// Certify the first this many of the regret profiles (0: all of them).
    pub certify_samples: usize,
}

/// The largest `eval.grid` accepted (a 2-D grid of 16 million points per bidder).
pub const MAX_GRID: usize = 4001;

/// The largest `eval.coordinate_grid` accepted (values per item of one sweep).
pub const MAX_AXIS_GRID: usize = 1001;

/// The largest `eval.pair_grid` accepted (a pairwise grid has its square per pair of items).
pub const MAX_PAIR_GRID: usize = 101;

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            samples: 10_000,
            regret_samples: 0,
            seed: 100,
            restarts: 10,
            corners: true,
            steps: 300,
            lr: 0.1,
            batch_size: 50,
            grid: 101,
            grid_refine_top: 4,
            grid_refine_steps: 50,
            coordinate_grid: 41,
            coordinate_sweeps: 4,
            coordinate_starts: 2,
            coordinate_refine_steps: 50,
            pair_samples: 200,
            pair_grid: 11,
            reference_samples: 0,
            reference_restarts: 1_000,
            reference_steps: 2_000,
            certify: false,
            certify_tol: 5e-5,
            certify_budget: 100_000,
            certify_samples: 0,
        }
    }
}

impl EvalConfig {
    /// The reference implementation's test protocol: 1,000 starts x 2,000 steps at lr 0.1
    /// on 10,000 profiles drawn with seed 100 (`docs/PAPER.md`, "Test protocol"),
    /// plus the truthful report and the corners as extra starts and the default audit.
    pub fn paper() -> Self {
        EvalConfig {
            restarts: 1_000,
            steps: 2_000,
            batch_size: 5,
            ..EvalConfig::default()
        }
    }
}

impl EvalConfig {
    /// Check every field; `setting` sizes a chunk's memory.
    pub(crate) fn validate(&self, setting: &Setting) -> Result<(), ConfigError> {
        let e = self;
        positive("eval.samples", e.samples)?;
        positive_finite("eval.lr", e.lr)?;
        positive("eval.batch_size", e.batch_size)?;
        if e.grid == 1 || e.grid > MAX_GRID {
            return Err(ConfigError::invalid(
                "eval.grid",
                format!(
                    "{} grid points per coordinate: use 0 (no audit) or 2 to {MAX_GRID}",
                    e.grid
                ),
            ));
        }
        if e.grid > 0 && !(1..=64).contains(&e.grid_refine_top) {
            return Err(ConfigError::invalid(
                "eval.grid_refine_top",
                format!("{} refined points: use 1 to 64", e.grid_refine_top),
            ));
        }
        if e.coordinate_grid == 1 || e.coordinate_grid > MAX_AXIS_GRID {
            return Err(ConfigError::invalid(
                "eval.coordinate_grid",
                format!(
                    "{} values per item: use 0 (no coordinate audit) or 2 to {MAX_AXIS_GRID}",
                    e.coordinate_grid
                ),
            ));
        }
        if e.coordinate_grid > 0 && !(1..=100).contains(&e.coordinate_sweeps) {
            return Err(ConfigError::invalid(
                "eval.coordinate_sweeps",
                format!("{} sweeps: use 1 to 100", e.coordinate_sweeps),
            ));
        }
        if e.pair_samples > 0 && !(2..=MAX_PAIR_GRID).contains(&e.pair_grid) {
            return Err(ConfigError::invalid(
                "eval.pair_grid",
                format!(
                    "{} values per item of a pairwise grid: use 2 to {MAX_PAIR_GRID}",
                    e.pair_grid
                ),
            ));
        }
        if e.certify {
            positive_finite("eval.certify_tol", e.certify_tol)?;
            positive("eval.certify_budget", e.certify_budget)?;
        }
        if e.reference_samples > 0 {
            positive("eval.reference_steps", e.reference_steps)?;
        }
        let rows = (e.batch_size as u64)
            .saturating_mul(e.restarts as u64 + 1 + (1u64 << setting.items.min(6)))
            .saturating_mul(setting.bidders as u64);
        if rows > 50_000_000 {
            return Err(ConfigError::invalid(
                "eval.batch_size",
                format!(
                    "{} profiles x {} starts x {} bidders per chunk is too large to fit in \
                     memory; lower eval.batch_size",
                    e.batch_size, e.restarts, setting.bidders
                ),
            ));
        }
        Ok(())
    }
}

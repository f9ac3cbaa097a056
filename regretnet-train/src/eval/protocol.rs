//! Evaluation protocols: the test sample, the strength of the misreport search, the audit and
//! the reference search, as one named, recorded value ([`Protocol`]). A protocol's name is part
//! of every saved evaluation's file name; a protocol changed by overrides is named for them
//! ([`Protocol::name_against`]), so evaluations of different strengths never overwrite each
//! other.

use regretnet_core::EvalConfig;
use regretnet_core::Setting;
use regretnet_regret::grid::MAX_GRID_ITEMS;
use regretnet_regret::{CoordinateConfig, SearchConfig};
use serde::{Deserialize, Serialize};

use crate::eval::evaluate::Phase;
use crate::eval::report::Audit;

/// A named search protocol: the test sample, the strength of the misreport search and the
/// density of the audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// Name (`default`, `paper`, or one that spells out the overrides).
    pub name: String,
    /// Test profiles (revenue, IR, baselines).
    pub samples: usize,
    /// Regret on the first this many of them (0: all).
    pub regret_samples: usize,
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
    /// Grid values per item of the coordinate audit (more than 2 items; 0: none).
    pub coordinate_grid: usize,
    /// Most sweeps per start of the coordinate audit.
    pub coordinate_sweeps: usize,
    /// Prior-drawn starts per profile and bidder of the coordinate audit.
    pub coordinate_starts: usize,
    /// Refinement steps of the coordinate audit.
    pub coordinate_refine_steps: usize,
    /// The first this many profiles get pairwise 2-D grids (more than 2 items).
    pub pair_samples: usize,
    /// Values per item of a pairwise grid.
    pub pair_grid: usize,
    /// The first this many profiles get the reference search (0: none).
    pub reference_samples: usize,
    /// Prior starts of the reference search.
    pub reference_restarts: usize,
    /// Steps per start of the reference search.
    pub reference_steps: usize,
    /// Whether the regret is certified (a proven upper bound by branch and bound).
    #[serde(default)]
    pub certify: bool,
    /// Tolerance of the certificate.
    #[serde(default = "default_certify_tol")]
    pub certify_tol: f64,
    /// Boxes per profile and bidder.
    #[serde(default = "default_certify_budget")]
    pub certify_budget: usize,
    /// Certified profiles (0: every regret profile).
    #[serde(default)]
    pub certify_samples: usize,
    /// Whether the mechanism is averaged over cyclic shifts of its bidders and items where the
    /// prior is symmetric in them before anything is measured (`eval --symmetrize`,
    /// [`regretnet_regret::symmetrize`]).
    #[serde(default)]
    pub symmetrize: bool,
    /// Profiles per chunk of work (memory bound; does not change results).
    #[serde(skip)]
    pub chunk: usize,
}

fn default_certify_tol() -> f64 {
    EvalConfig::default().certify_tol
}

fn default_certify_budget() -> usize {
    EvalConfig::default().certify_budget
}

impl Protocol {
    /// The protocol described by an `[eval]` section, under `name`.
    pub fn from_config(name: &str, e: &EvalConfig) -> Self {
        Protocol {
            name: name.to_string(),
            samples: e.samples,
            regret_samples: e.regret_samples,
            seed: e.seed,
            restarts: e.restarts,
            truthful_start: true,
            corners: e.corners,
            steps: e.steps,
            lr: e.lr,
            grid: e.grid,
            grid_refine_top: e.grid_refine_top,
            grid_refine_steps: e.grid_refine_steps,
            coordinate_grid: e.coordinate_grid,
            coordinate_sweeps: e.coordinate_sweeps,
            coordinate_starts: e.coordinate_starts,
            coordinate_refine_steps: e.coordinate_refine_steps,
            pair_samples: e.pair_samples,
            pair_grid: e.pair_grid,
            reference_samples: e.reference_samples,
            reference_restarts: e.reference_restarts,
            reference_steps: e.reference_steps,
            certify: e.certify,
            certify_tol: e.certify_tol,
            certify_budget: e.certify_budget,
            certify_samples: e.certify_samples,
            symmetrize: false,
            chunk: e.batch_size,
        }
    }

    /// The reference test protocol (`docs/PAPER.md`, "Test protocol"): 10,000 profiles with seed
    /// 100, 1,000 prior starts x 2,000 Adam steps at lr 0.1, plus the truthful report and the
    /// corners, audited like the default.
    pub fn paper() -> Self {
        Protocol::from_config("paper", &EvalConfig::paper())
    }

    /// Profiles whose regret is measured: `regret_samples` when set and smaller, else all.
    pub fn regret_profiles(&self) -> usize {
        match self.regret_samples {
            0 => self.samples,
            k => k.min(self.samples),
        }
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
        } else if self.coordinate_grid > 0 {
            Audit::Coordinate
        } else {
            Audit::ItemWise
        }
    }

    /// The coordinate audit's part of the protocol.
    pub fn coordinate(&self) -> CoordinateConfig {
        CoordinateConfig {
            resolution: self.coordinate_grid,
            max_sweeps: self.coordinate_sweeps,
            prior_starts: self.coordinate_starts,
            corners: true,
            refine_steps: self.coordinate_refine_steps,
            pair_samples: self.pair_samples,
            pair_resolution: self.pair_grid,
        }
    }

    /// The reference search (the first [`Protocol::reference_samples`] profiles).
    pub fn reference_search(&self) -> SearchConfig {
        SearchConfig {
            steps: self.reference_steps,
            lr: self.lr,
            restarts: self.reference_restarts,
            corners: self.corners,
        }
    }

    /// Profiles whose regret is certified (when `certify`): `certify_samples` when set and
    /// smaller, else every regret profile.
    pub fn certify_profiles(&self) -> usize {
        match self.certify_samples {
            0 => self.regret_profiles(),
            k => k.min(self.regret_profiles()),
        }
    }

    /// The profiles an evaluation phase works through (for progress displays): the first
    /// [`Protocol::regret_profiles`], or the reference search's first `reference_samples`.
    pub fn phase_profiles(&self, phase: Phase) -> usize {
        match phase {
            Phase::Reference => self.reference_samples.min(self.regret_profiles()),
            Phase::Certify => self.certify_profiles(),
            _ => self.regret_profiles(),
        }
    }

    /// The name of `self` when it is `base` with overrides: `base`'s name when nothing
    /// differs, else that name followed by every search and audit setting, and the reference
    /// search's when it runs. An override that repeats `base`'s own value renames nothing.
    ///
    /// ```
    /// use regretnet_train::core::EvalConfig;
    /// use regretnet_train::Protocol;
    ///
    /// let base = Protocol::from_config("default", &EvalConfig::default());
    /// let mut p = base.clone();
    /// p.grid = base.grid; // `--grid 101`, the default: same protocol, same name
    /// assert_eq!(p.name_against(&base), "default");
    /// p.steps = 50;
    /// assert_eq!(p.name_against(&base), "default-r10-s50-n10000-g101");
    /// ```
    pub fn name_against(&self, base: &Protocol) -> String {
        let mut name = base.name.clone();
        let core = |p: &Protocol| (p.restarts, p.steps, p.samples, p.grid);
        let audit = |p: &Protocol| (p.coordinate_grid, p.pair_samples, p.regret_samples);
        let reference =
            |p: &Protocol| (p.reference_samples, p.reference_restarts, p.reference_steps);
        if core(base) != core(self) || audit(base) != audit(self) {
            name += &format!(
                "-r{}-s{}-n{}-g{}",
                self.restarts, self.steps, self.samples, self.grid
            );
        }
        if audit(base) != audit(self) {
            name += &format!(
                "-c{}-p{}-k{}",
                self.coordinate_grid, self.pair_samples, self.regret_samples
            );
        }
        let certify = |p: &Protocol| {
            (
                p.certify,
                p.certify_tol.to_bits(),
                p.certify_budget,
                p.certify_samples,
            )
        };
        if certify(base) != certify(self) && self.certify {
            name += &format!("-cert{:e}-b{}", self.certify_tol, self.certify_budget);
            if self.certify_samples > 0 {
                name += &format!("-k{}", self.certify_samples);
            }
        }
        if self.symmetrize && !base.symmetrize {
            name += "-sym";
        }
        if reference(base) != reference(self) && self.reference_samples > 0 {
            name += &format!(
                "-ref{}x{}x{}",
                self.reference_samples, self.reference_restarts, self.reference_steps
            );
        }
        name
    }
}

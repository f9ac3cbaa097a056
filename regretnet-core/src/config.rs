//! The TOML configuration of a run: setting, networks, training and evaluation.
//!
//! Every struct rejects unknown keys, so a typo is an error rather than a silently ignored
//! setting. Sections other than `[setting]` may be omitted and default to the reference
//! implementation's hyperparameters. [`Config::validate`] checks every field and names the field
//! at fault.
//!
//! ```
//! use regretnet_core::Config;
//! let text = r#"
//! [setting]
//! name = "my_2x3"
//! bidders = 2
//! items = 3
//! prior = { kind = "uniform", lo = 0.0, hi = [1.0, 2.0, 3.0] }
//!
//! [train]
//! iterations = 1000
//! "#;
//! let config = Config::from_toml_str(text).unwrap();
//! assert_eq!(config.train.batch_size, 128);
//! let setting = config.setting.build().unwrap();
//! assert_eq!(setting.profile_len(), 6);
//! assert!(Config::from_toml_str("[setting]\nnmae = 1").is_err());
//! ```

use serde::{Deserialize, Serialize};

use crate::combinatorial::Combinatorial;
use crate::error::ConfigError;
use crate::prior::{Prior, Triangle, UniformBox};
use crate::setting::{Setting, ValuationKind};

/// Memory we allow the training set plus its misreport cache to take, in bytes.
pub const MAX_TRAIN_BYTES: u64 = 8 << 30;

/// Most weights one network may have (hidden layers; 4 bytes each, three times that with
/// Adam's moments).
pub const MAX_PARAMETERS: u64 = 50_000_000;

/// A whole run configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The regretnet version that wrote a resolved config (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regretnet_version: Option<String>,
    /// The auction.
    pub setting: SettingConfig,
    /// The networks.
    #[serde(default)]
    pub net: NetConfig,
    /// The augmented-Lagrangian training.
    #[serde(default)]
    pub train: TrainConfig,
    /// The test-time evaluation.
    #[serde(default)]
    pub eval: EvalConfig,
}

/// The `[setting]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingConfig {
    /// Name of the setting, used in reports and checkpoint metadata.
    pub name: String,
    /// Number of bidders.
    pub bidders: usize,
    /// Number of items.
    pub items: usize,
    /// Valuation kind (`"additive"`).
    #[serde(default = "default_valuation")]
    pub valuation: ValuationKind,
    /// The prior over values.
    pub prior: PriorConfig,
}

fn default_valuation() -> ValuationKind {
    ValuationKind::Additive
}

/// The `[setting.prior]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PriorConfig {
    /// Independent `U[lo, hi]` per bidder and item.
    Uniform {
        /// Lower bounds.
        lo: Bound,
        /// Upper bounds.
        hi: Bound,
    },
    /// Each bidder uniform on `{v >= 0, sum_j v_j <= 1}` (`kind = "triangle"`; with two items
    /// the triangle `v1 + v2 <= 1`).
    Triangle {},
    /// Item values `U[lo, hi]` as for `uniform`, plus per bidder a bundle complementarity
    /// `C_i ~ U[complementarity[0], complementarity[1]]` (`kind = "combinatorial"`, with
    /// `valuation = "combinatorial"`; [`crate::combinatorial`]).
    Combinatorial {
        /// Lower bounds of the item values.
        lo: Bound,
        /// Upper bounds of the item values.
        hi: Bound,
        /// `[low, high]` of every bidder's complementarity.
        complementarity: [f64; 2],
    },
}

/// A bound given for all values at once, per item (shared by bidders), or per bidder and item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    /// The same bound for every bidder and item.
    Scalar(f64),
    /// One bound per item, the same for every bidder.
    PerItem(Vec<f64>),
    /// One row of `m` bounds per bidder.
    PerBidderItem(Vec<Vec<f64>>),
}

impl Bound {
    fn expand(&self, field: &str, n: usize, m: usize) -> Result<Vec<f64>, ConfigError> {
        let values = match self {
            Bound::Scalar(v) => vec![*v; n * m],
            Bound::PerItem(row) => {
                if row.len() != m {
                    return Err(ConfigError::invalid(
                        field,
                        format!("has {} entries, expected one per item ({m})", row.len()),
                    ));
                }
                row.iter().cycle().take(n * m).cloned().collect()
            }
            Bound::PerBidderItem(rows) => {
                if rows.len() != n || rows.iter().any(|r| r.len() != m) {
                    return Err(ConfigError::invalid(
                        field,
                        format!("expected {n} rows (bidders) of {m} values (items)"),
                    ));
                }
                rows.concat()
            }
        };
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(ConfigError::invalid(
                field,
                format!("{bad} is not a finite number"),
            ));
        }
        Ok(values)
    }
}

/// The `[net]` section: hidden layer widths of the two tanh MLPs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    /// Hidden widths of the allocation net (reference: `[100, 100]`).
    pub alloc_hidden: Vec<usize>,
    /// Hidden widths of the payment net (reference: `[100, 100]`).
    pub pay_hidden: Vec<usize>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            alloc_hidden: vec![100, 100],
            pay_hidden: vec![100, 100],
        }
    }
}

/// The second start of the training misreport search (`train.misreport_extra_start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraStart {
    /// The cached misreports alone (the reference).
    #[default]
    None,
    /// The truthful report.
    Truthful,
    /// One corner of the support per iteration, in turn.
    Corners,
}

/// The `[train]` section. Defaults are the reference implementation's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Seed of every training stream (data, init, misreports, shuffle, validation).
    pub seed: u64,
    /// Number of outer (weight) iterations.
    pub iterations: u64,
    /// Profiles per minibatch.
    pub batch_size: usize,
    /// Size of the fixed training set.
    pub train_size: usize,
    /// Adam learning rate of the weights.
    pub lr: f64,
    /// Fraction of `iterations` (in `[0, 1)`) after which the weights' learning rate decays
    /// linearly, reaching `lr_final` at the last iteration; a fraction, so that changing
    /// `iterations` (`--iterations`) keeps the schedule's shape. Omitted: a constant rate, as
    /// in the reference implementation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_decay_from: Option<f64>,
    /// The weights' learning rate at the last iteration when `lr_decay_from` is set.
    pub lr_final: f64,
    /// Projected-Adam steps on the misreports per iteration.
    pub misreport_steps: usize,
    /// Adam learning rate of the misreports.
    pub misreport_lr: f64,
    /// A second start that each iteration ascends beside the cached misreports, with the
    /// same steps; per profile and bidder the one ending at the higher utility is kept and
    /// cached. `none` (the reference): the cache alone; `truthful`: the truthful report;
    /// `corners`: one corner of the support, the corners in turn. A net can learn to hide
    /// regret from a warm-started search (RESULTS.md, the triangle); the second start keeps
    /// training honest about it at twice the inner search's cost.
    pub misreport_extra_start: ExtraStart,
    /// Whether the inner search keeps each misreport's best iterate (highest utility seen)
    /// rather than its last. Off (the reference): the last iterate, which Adam at lr 0.1 can
    /// leave well below the best when it oscillates around an optimum on a slanted face of the
    /// support (the triangle), so that training sees less regret than there is.
    pub misreport_keep_best: bool,
    /// Initial Lagrange multiplier of every bidder's regret.
    pub lambda_init: f64,
    /// Iterations between multiplier updates `lambda_i += rho * rgt_i`.
    pub lambda_update_every: u64,
    /// Initial quadratic penalty weight.
    pub rho_init: f64,
    /// Amount added to rho on its schedule.
    pub rho_increment: f64,
    /// Iterations between rho increments.
    pub rho_increment_every: u64,
    /// Iterations between rows of `metrics.csv`.
    pub log_every: u64,
    /// Iterations between layer traces (`trace.csv`: per layer, the gradient norms of the
    /// revenue term and of the regret terms, their cosine, the movement since init) and, when
    /// on, weight-only checkpoints on a log-spaced schedule in `checkpoints/trace/`, both for
    /// `regretnet probe` (docs/EXPLAINABILITY.md). 0: off (the default).
    pub trace_every: u64,
    /// Iterations between validations (0: never).
    pub validate_every: u64,
    /// Profiles in the validation sample.
    pub validation_samples: usize,
    /// Misreport steps of the validation search (from the truthful report and one prior draw).
    pub validation_steps: usize,
    /// Iterations between checkpoints (0: only the final one).
    pub checkpoint_every: u64,
    /// Periodic checkpoints kept in the run directory (the newest; `best` is kept besides).
    pub keep_checkpoints: usize,
    /// A validation qualifies for `checkpoints/best.safetensors` when its regret (mean over
    /// bidders) is at most this; the best is the qualifying one with the highest revenue.
    pub best_regret_bound: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 42,
            iterations: 400_000,
            batch_size: 128,
            train_size: 640_000,
            lr: 1e-3,
            lr_decay_from: None,
            lr_final: 1e-5,
            misreport_steps: 25,
            misreport_lr: 0.1,
            misreport_extra_start: ExtraStart::None,
            misreport_keep_best: false,
            lambda_init: 5.0,
            lambda_update_every: 100,
            rho_init: 1.0,
            rho_increment: 1.0,
            rho_increment_every: 10_000,
            log_every: 100,
            trace_every: 0,
            validate_every: 5_000,
            validation_samples: 2_000,
            validation_steps: 200,
            checkpoint_every: 5_000,
            keep_checkpoints: 3,
            best_regret_bound: 1e-3,
        }
    }
}

impl TrainConfig {
    /// The weights' learning rate at iteration `t` (0-based).
    ///
    /// ```
    /// use regretnet_core::TrainConfig;
    /// let t = TrainConfig { iterations: 100, lr: 1e-3, lr_decay_from: Some(0.5), lr_final: 1e-5,
    ///                       ..TrainConfig::default() };
    /// assert_eq!(t.lr_at(10), 1e-3);
    /// assert!((t.lr_at(75) - 0.5 * (1e-3 + 1e-5)).abs() < 1e-12);
    /// assert!((t.lr_at(100) - 1e-5).abs() < 1e-12);
    /// ```
    pub fn lr_at(&self, t: u64) -> f64 {
        let start = self
            .lr_decay_from
            .map(|f| (f * self.iterations as f64).floor() as u64);
        match start {
            Some(start) if t > start && self.iterations > start => {
                let frac = ((t - start) as f64 / (self.iterations - start) as f64).min(1.0);
                self.lr + (self.lr_final - self.lr) * frac
            }
            _ => self.lr,
        }
    }
}

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

fn positive<T: PartialOrd + Default + std::fmt::Display>(
    field: &str,
    v: T,
) -> Result<(), ConfigError> {
    if v > T::default() {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field,
            format!("must be positive, got {v}"),
        ))
    }
}

fn positive_finite(field: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field,
            format!("must be a positive finite number, got {v}"),
        ))
    }
}

fn non_negative_finite(field: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field,
            format!("must be a finite number >= 0, got {v}"),
        ))
    }
}

impl SettingConfig {
    /// Resolve into a [`Setting`], checking sizes and bounds.
    pub fn build(&self) -> Result<Setting, ConfigError> {
        if self.name.trim().is_empty() {
            return Err(ConfigError::invalid("setting.name", "must not be empty"));
        }
        positive("setting.bidders", self.bidders)?;
        positive("setting.items", self.items)?;
        if self.bidders > 1_000 || self.items > 1_000 {
            return Err(ConfigError::invalid(
                if self.bidders > 1_000 {
                    "setting.bidders"
                } else {
                    "setting.items"
                },
                "at most 1000 bidders and 1000 items are supported",
            ));
        }
        let (n, m) = (self.bidders, self.items);
        let prior = match (&self.prior, self.valuation) {
            (PriorConfig::Combinatorial { .. }, v) if v != ValuationKind::Combinatorial => {
                return Err(ConfigError::invalid(
                    "setting.valuation",
                    format!(
                        "a combinatorial prior needs valuation = \"combinatorial\", not \"{}\"",
                        v.name()
                    ),
                ))
            }
            (
                PriorConfig::Uniform { .. } | PriorConfig::Triangle {},
                ValuationKind::Combinatorial,
            ) => {
                return Err(ConfigError::invalid(
                    "setting.prior.kind",
                    "valuation = \"combinatorial\" needs kind = \"combinatorial\" (item \
                     bounds and a complementarity range)",
                ))
            }
            (PriorConfig::Uniform { lo, hi }, _) => Prior::UniformBox(uniform_box(lo, hi, n, m)?),
            (PriorConfig::Triangle {}, _) => Prior::Triangle(Triangle::new(n, m)),
            (
                PriorConfig::Combinatorial {
                    lo,
                    hi,
                    complementarity: [c_lo, c_hi],
                },
                _,
            ) => {
                if (n, m) != (2, 2) {
                    return Err(ConfigError::invalid(
                        "setting",
                        format!(
                            "the combinatorial allocation head is built for 2 bidders and 2 \
                             items (the paper's CA settings), not {n} x {m}"
                        ),
                    ));
                }
                let items = uniform_box(lo, hi, n, m)?;
                if c_lo.abs() > 1e6 || c_hi.abs() > 1e6 {
                    return Err(ConfigError::invalid(
                        "setting.prior.complementarity",
                        "bounds must lie within [-1e6, 1e6]",
                    ));
                }
                Prior::Combinatorial(Combinatorial::new(items, *c_lo, *c_hi).ok_or_else(|| {
                    ConfigError::invalid(
                        "setting.prior.complementarity",
                        format!("needs two finite numbers with low < high, got [{c_lo}, {c_hi}]"),
                    )
                })?)
            }
        };
        Ok(Setting {
            name: self.name.clone(),
            bidders: n,
            items: m,
            valuation: self.valuation,
            prior,
        })
    }
}

/// The uniform box of `[setting.prior]`'s `lo` and `hi`, checked.
fn uniform_box(lo: &Bound, hi: &Bound, n: usize, m: usize) -> Result<UniformBox, ConfigError> {
    let lo = lo.expand("setting.prior.lo", n, m)?;
    let hi = hi.expand("setting.prior.hi", n, m)?;
    for (k, (l, h)) in lo.iter().zip(&hi).enumerate() {
        if l >= h {
            return Err(ConfigError::invalid(
                "setting.prior",
                format!(
                    "bidder {} item {}: lo = {l} must be below hi = {h}",
                    k / m,
                    k % m
                ),
            ));
        }
    }
    // Profiles are f32 in the networks; keep values where f32 is accurate.
    if lo.iter().chain(&hi).any(|v| v.abs() > 1e6) {
        return Err(ConfigError::invalid(
            "setting.prior",
            "bounds must lie within [-1e6, 1e6]",
        ));
    }
    UniformBox::new(n, m, lo, hi)
        .ok_or_else(|| ConfigError::invalid("setting.prior", "inconsistent bounds"))
}

impl Config {
    /// Parse and validate a TOML text.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: None,
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Read, parse and validate a TOML file; errors name the file.
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Config::from_toml_str(&text).map_err(|e| e.with_origin(path.display().to_string()))
    }

    /// The config as TOML text (the run directory's resolved `config.toml`).
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).expect("a Config always serializes to TOML")
    }

    /// Check every field; the error names the first field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let setting = self.setting.build()?;
        for (field, widths) in [
            ("net.alloc_hidden", &self.net.alloc_hidden),
            ("net.pay_hidden", &self.net.pay_hidden),
        ] {
            if widths.is_empty() {
                return Err(ConfigError::invalid(
                    field,
                    "needs at least one hidden layer",
                ));
            }
            if let Some(w) = widths.iter().find(|&&w| w == 0 || w > 65_536) {
                return Err(ConfigError::invalid(
                    field,
                    format!("layer width {w} must be between 1 and 65536"),
                ));
            }
            let mut params = 0u64;
            let mut fan_in = setting.profile_len() as u64;
            for &w in widths.iter() {
                params = params.saturating_add(fan_in.saturating_mul(w as u64) + w as u64);
                fan_in = w as u64;
            }
            if params > MAX_PARAMETERS {
                return Err(ConfigError::invalid(
                    field,
                    format!(
                        "{params} weights (about {} MB with the optimizer state) are more than \
                         the {MAX_PARAMETERS} allowed; use narrower layers",
                        (params * 12) >> 20
                    ),
                ));
            }
        }
        let t = &self.train;
        positive("train.iterations", t.iterations)?;
        positive("train.batch_size", t.batch_size)?;
        positive("train.train_size", t.train_size)?;
        if t.batch_size > t.train_size {
            return Err(ConfigError::invalid(
                "train.batch_size",
                format!(
                    "{} is larger than train.train_size = {}",
                    t.batch_size, t.train_size
                ),
            ));
        }
        positive_finite("train.lr", t.lr)?;
        positive_finite("train.misreport_lr", t.misreport_lr)?;
        positive_finite("train.lr_final", t.lr_final)?;
        if let Some(from) = t.lr_decay_from {
            if !(0.0..1.0).contains(&from) {
                return Err(ConfigError::invalid(
                    "train.lr_decay_from",
                    format!("{from} must be a fraction of train.iterations in [0, 1)"),
                ));
            }
        }
        non_negative_finite("train.lambda_init", t.lambda_init)?;
        positive("train.lambda_update_every", t.lambda_update_every)?;
        non_negative_finite("train.rho_init", t.rho_init)?;
        non_negative_finite("train.rho_increment", t.rho_increment)?;
        positive("train.rho_increment_every", t.rho_increment_every)?;
        positive("train.log_every", t.log_every)?;
        positive("train.keep_checkpoints", t.keep_checkpoints)?;
        if !(t.best_regret_bound.is_finite() && t.best_regret_bound >= 0.0) {
            return Err(ConfigError::invalid(
                "train.best_regret_bound",
                format!("{} is not a non-negative number", t.best_regret_bound),
            ));
        }
        if t.validate_every > 0 {
            positive("train.validation_samples", t.validation_samples)?;
        }
        let bytes = (t.train_size as u64)
            .saturating_mul(setting.profile_len() as u64)
            .saturating_mul(2 * 4);
        if bytes > MAX_TRAIN_BYTES {
            return Err(ConfigError::invalid(
                "train.train_size",
                format!(
                    "{} profiles of {} values need {:.1} GiB for the data and misreport cache, \
                     more than the {} GiB limit",
                    t.train_size,
                    setting.profile_len(),
                    bytes as f64 / (1u64 << 30) as f64,
                    MAX_TRAIN_BYTES >> 30
                ),
            ));
        }
        let e = &self.eval;
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

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[setting]
name = "t"
bidders = 2
items = 2
prior = { kind = "uniform", lo = 0.0, hi = 1.0 }
"#;

    fn with(extra: &str) -> Result<Config, ConfigError> {
        Config::from_toml_str(&format!("{MINIMAL}{extra}"))
    }

    #[test]
    fn defaults_are_the_reference_hyperparameters() {
        // docs/PAPER.md, "Training": Adam 1e-3, batch 128, 640,000 profiles,
        // 25 misreport steps at lr 0.1, lambda 5, rho 1, 2 x 100 tanh nets, test seed 100.
        let c = with("").unwrap();
        assert_eq!(c.train.lr, 1e-3);
        assert_eq!(c.train.batch_size, 128);
        assert_eq!(c.train.train_size, 640_000);
        assert_eq!(c.train.misreport_steps, 25);
        assert_eq!(c.train.misreport_lr, 0.1);
        assert_eq!(c.train.lambda_init, 5.0);
        assert_eq!(c.train.rho_init, 1.0);
        assert_eq!(c.net.alloc_hidden, vec![100, 100]);
        assert_eq!(c.eval.seed, 100);
        assert_eq!(EvalConfig::paper().restarts, 1_000);
        assert_eq!(EvalConfig::paper().steps, 2_000);
    }

    #[test]
    fn round_trips_through_toml() {
        let c = with("[train]\niterations = 7\n").unwrap();
        let back = Config::from_toml_str(&c.to_toml_string()).unwrap();
        assert_eq!(c, back);
    }

    #[test]
    fn bounds_expand_per_item_and_per_bidder() {
        let c = Config::from_toml_str(
            "[setting]\nname='a'\nbidders=2\nitems=2\n\
             prior={kind='uniform', lo=[[0,0],[1,1]], hi=[2.0, 3.0]}\n",
        )
        .unwrap();
        let s = c.setting.build().unwrap();
        let Prior::UniformBox(b) = &s.prior else {
            panic!("a box prior")
        };
        assert_eq!((b.lo(1, 0), b.hi(1, 0), b.hi(0, 1)), (1.0, 2.0, 3.0));
    }

    #[test]
    fn a_triangle_prior_parses_and_round_trips() {
        let c = Config::from_toml_str(
            "[setting]\nname='t'\nbidders=1\nitems=2\nprior={kind='triangle'}\n",
        )
        .unwrap();
        assert_eq!(c.setting.prior, PriorConfig::Triangle {});
        assert!(matches!(
            c.setting.build().unwrap().prior,
            Prior::Triangle(_)
        ));
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
        let err = Config::from_toml_str(
            "[setting]\nname='t'\nbidders=1\nitems=2\nprior={kind='triangle',hi=2}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("hi"), "{err}");
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: &[(&str, &str)] = &[
            ("[train]\nbatchsize = 3\n", "batchsize"),
            ("[train]\nbatch_size = 0\n", "train.batch_size"),
            ("[train]\nbatch_size = -1\n", "batch_size"),
            ("[train]\nlr = nan\n", "train.lr"),
            ("[train]\nlr = 0.0\n", "train.lr"),
            ("[train]\nmisreport_lr = inf\n", "train.misreport_lr"),
            ("[train]\nlambda_init = -1.0\n", "train.lambda_init"),
            ("[train]\nlr_decay_from = 1.0\n", "train.lr_decay_from"),
            ("[train]\nlr_final = 0.0\n", "train.lr_final"),
            (
                "[train]\nrho_increment_every = 0\n",
                "train.rho_increment_every",
            ),
            ("[train]\ntrain_size = 100\n", "train.batch_size"),
            ("[train]\ntrain_size = 100000000000\n", "train.train_size"),
            ("[net]\nalloc_hidden = []\n", "net.alloc_hidden"),
            ("[net]\npay_hidden = [100, 0]\n", "net.pay_hidden"),
            ("[net]\nalloc_hidden = [60000, 60000]\n", "net.alloc_hidden"),
            ("[eval]\nsamples = 0\n", "eval.samples"),
            ("[train]\nkeep_checkpoints = 0\n", "train.keep_checkpoints"),
            (
                "[train]\nbest_regret_bound = -1.0\n",
                "train.best_regret_bound",
            ),
            ("[eval]\nrestarts = -1\n", "restarts"),
            ("[eval]\ngrid = 1\n", "eval.grid"),
            ("[eval]\ngrid = 5000\n", "eval.grid"),
            ("[eval]\ngrid_refine_top = 0\n", "eval.grid_refine_top"),
            ("[eval]\ncoordinate_grid = 1\n", "eval.coordinate_grid"),
            ("[eval]\ncoordinate_sweeps = 0\n", "eval.coordinate_sweeps"),
            ("[eval]\npair_grid = 1\n", "eval.pair_grid"),
            ("[eval]\npair_grid = 500\n", "eval.pair_grid"),
            (
                "[eval]\nreference_samples = 5\nreference_steps = 0\n",
                "eval.reference_steps",
            ),
            ("[eval]\ncorners = 3\n", "corners"),
            ("[eval]\nlr = -0.1\n", "eval.lr"),
            (
                "[eval]\nbatch_size = 1000000\nrestarts = 1000\n",
                "eval.batch_size",
            ),
            ("[extra]\n", "extra"),
        ];
        for (extra, needle) in cases {
            let err = with(extra).expect_err(extra).to_string();
            assert!(err.contains(needle), "{extra:?} gave {err:?}");
        }
        let bad_settings: &[(&str, &str)] = &[
            (
                "bidders=0\nitems=2\nprior={kind='uniform',lo=0,hi=1}",
                "setting.bidders",
            ),
            (
                "bidders=1\nitems=2\nprior={kind='uniform',lo=1,hi=1}",
                "lo = 1 must be below",
            ),
            (
                "bidders=1\nitems=2\nprior={kind='uniform',lo=0,hi=nan}",
                "setting.prior.hi",
            ),
            (
                "bidders=1\nitems=2\nprior={kind='uniform',lo=[0,0,0],hi=1}",
                "setting.prior.lo",
            ),
            (
                "bidders=1\nitems=2\nprior={kind='normal',lo=0,hi=1}",
                "normal",
            ),
            (
                "bidders=1\nitems=2\nprior={kind='uniform',lo=0,hi=1,mid=3}",
                "mid",
            ),
            (
                "bidders=1\nitems=2\nvaluation='unit'\nprior={kind='uniform',lo=0,hi=1}",
                "unit",
            ),
        ];
        for (body, needle) in bad_settings {
            let err = Config::from_toml_str(&format!("[setting]\nname='x'\n{body}\n"))
                .expect_err(body)
                .to_string();
            assert!(err.contains(needle), "{body:?} gave {err:?}");
        }
    }
}

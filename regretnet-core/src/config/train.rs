//! The `[train]` section: the augmented-Lagrangian schedule, the inner misreport search, the
//! data, validation and checkpoints. Defaults are the reference implementation's.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::setting::Setting;

use super::checks::{non_negative_finite, positive, positive_finite};

/// Memory we allow the training set plus its misreport cache to take, in bytes.
pub const MAX_TRAIN_BYTES: u64 = 8 << 30;

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

/// An exactly incentive-compatible mechanism distilled into the network before its
/// Lagrangian phase (`train.teacher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Teacher {
    /// Myerson's optimal auction of each item on its own, with ironed virtual values
    /// ([`crate::baselines::myerson_per_item`]): additive bidders with independent values.
    ItemwiseMyerson,
}

impl Teacher {
    /// The name in configs.
    pub fn name(self) -> &'static str {
        match self {
            Teacher::ItemwiseMyerson => "itemwise_myerson",
        }
    }
}

/// The regret-target rule's default step (`train.regret_target_rate`): the best of 0.02, 0.002
/// and 0.0005 on the default 1x2 (docs/TRAINING.md, "Regret-target training"); at 0.02 the
/// multiplier answered the random start's regret by growing 46,000-fold in 600 iterations and
/// crushed the mechanism. A batch regret ten times the target multiplies a multiplier by 10 in
/// about 2,000 iterations.
pub const DEFAULT_REGRET_TARGET_RATE: f64 = 0.0005;

/// Where `regretnet reproduce --regret-targets` starts each target below it
/// (`train.regret_target_start`): about the batch regret the fast schedules hold while the
/// network finds the mechanism's shape (6e-3 in the default 1x2's first 3,200 iterations). At
/// 1x2 the annealed target 5e-5 earned the fast schedule's revenue where the constant one lost
/// 0.0077 (docs/TRAINING.md, "Regret-target training").
pub const DEFAULT_REGRET_TARGET_START: f64 = 5e-3;

/// The fraction of the schedule over which an annealed regret target
/// (`train.regret_target_start`) falls to `train.regret_target` when
/// `train.regret_target_anneal` is omitted: the half before the learning rate's decay in the
/// fast schedules.
pub const DEFAULT_REGRET_TARGET_ANNEAL: f64 = 0.5;

fn default_regret_target_rate() -> f64 {
    DEFAULT_REGRET_TARGET_RATE
}

fn is_default_regret_target_rate(x: &f64) -> bool {
    *x == DEFAULT_REGRET_TARGET_RATE
}

/// The most prior draws the training search takes per iteration (`train.misreport_prior_starts`).
pub const MAX_PRIOR_STARTS: usize = 64;

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
    /// Shards each minibatch is cut into; each runs its inner search and its share of the
    /// outer gradient on its own thread (`--threads` up to this many). The same shard count
    /// gives the same bits at any thread count; another one sums in another order, so it is a
    /// part of the run's config. Default 2 (the cores of this project's machine).
    pub shards: usize,
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
    /// Fresh draws from the prior that each iteration ascends beside the cached misreports
    /// (and the second start), per profile and bidder, with the same steps; the one ending at
    /// the highest utility is kept and cached. Default 0 (the reference). The test search
    /// starts from 10 prior draws per profile; without draws the training search sees a
    /// fraction of what the test search and the audit find (at 3x10 on the truthful base the
    /// audit found 13 times the batch regret, 8 times with two draws: docs/TRAINING.md), so a
    /// regret target binds harder with them. Each draw costs one more inner search. The draws
    /// come from the run's seed and the iteration alone, so a resumed run draws the same ones.
    pub misreport_prior_starts: usize,
    /// Whether the inner search keeps each misreport's best iterate (highest utility seen)
    /// rather than its last. Off (the reference): the last iterate, which Adam at lr 0.1 can
    /// leave well below the best when it oscillates around an optimum on a slanted face of the
    /// support (the triangle), so that training sees less regret than there is.
    pub misreport_keep_best: bool,
    /// Initial Lagrange multiplier of every bidder's regret.
    pub lambda_init: f64,
    /// Iterations between multiplier updates `lambda_i += rho * rgt_i`.
    pub lambda_update_every: u64,
    /// Initial quadratic penalty weight (with `regret_target` set, rho stays here).
    pub rho_init: f64,
    /// Amount added to rho on its schedule.
    pub rho_increment: f64,
    /// Iterations between rho increments. With `rho_steps` set it is derived from that
    /// (`schedule length / rho_steps`, rewritten when the run starts and recorded in the run's
    /// `config.toml`), and a value given here is replaced.
    pub rho_increment_every: u64,
    /// rho's schedule in relative form: rho takes its step `rho_steps` times, evenly over the
    /// schedule (every `schedule length / rho_steps` iterations), so that changing
    /// `iterations` (`--iterations`) rescales rho's schedule as `lr_decay_from` rescales the
    /// learning rate's. Omitted: `rho_increment_every` is absolute, as in the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho_steps: Option<u64>,
    /// Train to a regret rather than by a schedule: the per-bidder mean regret the
    /// multipliers steer toward. When set, every iteration multiplies each `lambda_i` by
    /// `exp(regret_target_rate * clamp(ln(rgt_i / regret_target), -ln 100, ln 100))` (dual
    /// ascent on `ln lambda`, `rgt_i` the batch regret floored at a hundredth of the target),
    /// keeps it in `[1e-4, 1e6]`, and leaves rho at `rho_init`: `lambda_update_every`,
    /// `rho_increment`, `rho_increment_every` and `rho_steps` are not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regret_target: Option<f64>,
    /// The target rule's step in `ln lambda` per unit of `ln(rgt / regret_target)` (default
    /// [`DEFAULT_REGRET_TARGET_RATE`]).
    #[serde(
        default = "default_regret_target_rate",
        skip_serializing_if = "is_default_regret_target_rate"
    )]
    pub regret_target_rate: f64,
    /// With `regret_target`: whether rho keeps its schedule (`rho_increment` every
    /// `rho_increment_every` or `rho_steps`) beside the target rule (`true`), or stays at
    /// `rho_init` (`false`, the default). The quadratic term penalizes each bidder's regret in
    /// proportion to its size; held at 1 it is thousands of times weaker late in training than
    /// under the fast schedules (docs/TRAINING.md, "Regret-target training").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub regret_target_rho_schedule: bool,
    /// With `regret_target`: the target at iteration 0, from which it falls geometrically to
    /// `regret_target` over the first `regret_target_anneal` of the schedule and stays there
    /// ([`TrainConfig::regret_target_at`]). A network from noise has regrets of order 1e-2;
    /// a low target from the first iteration drives the multipliers up while the network is
    /// still finding the mechanism's shape (docs/TRAINING.md, "Regret-target training").
    /// Omitted: the target is `regret_target` from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regret_target_start: Option<f64>,
    /// With `regret_target_start`: the fraction of the schedule (`schedule_end` or
    /// `iterations`) over which the target falls to `regret_target` (default
    /// [`DEFAULT_REGRET_TARGET_ANNEAL`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regret_target_anneal: Option<f64>,
    /// Where the relative schedules (`lr_decay_from`, `rho_steps`) end, when that is before
    /// `iterations`: a run extended with `train --resume --iterations N --tail` keeps the
    /// schedule it finished and trains the added iterations at its final learning rate, rho
    /// stepping on at the interval it had. Omitted: `iterations`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_end: Option<u64>,
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
    /// A checkpoint whose network weights start the run instead of the seed's
    /// initialisation (same setting and network; Adam, the multipliers, the penalty and, unless
    /// `init_misreports`, the misreport cache start fresh from this config). Used to continue
    /// a run under another
    /// schedule, e.g. a stronger penalty; recorded here so that the run says where it began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<String>,
    /// With `init_from`: take that checkpoint's misreport cache too (a trainer checkpoint of
    /// the same setting, `train_size` and `seed`, whose cache belongs to these training
    /// profiles, and the newest periodic checkpoint of its run: only that one keeps the cache),
    /// so that the inner search starts warm. A fresh cache with few misreport steps
    /// lets the continued network sell regret the cold search misses for epochs
    /// (docs/TRAINING.md, "Forks need the misreport cache").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init_misreports: bool,
    /// A truthful mechanism the network first imitates (warm start): for the first
    /// `teacher_iterations` iterations the outer step descends the squared distance
    /// `mean_b [sum_ij (a_ij - a*_ij)^2 + sum_i (p_i - p*_i)^2]` to the teacher's allocations
    /// `a*` and payments `p*` on the batch instead of the Lagrangian (the inner search still
    /// runs, so the logged regret is measured and the misreport cache is warm; the multipliers
    /// and rho wait), then training goes on as configured. Omitted: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher: Option<Teacher>,
    /// Iterations of imitation with `teacher` (1 to `iterations - 1`; counted in `iterations`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub teacher_iterations: u64,
    /// The teacher softened (`tau`, in units of virtual value): each item's allocation a
    /// softmax of the bidders' ironed virtual values over `tau` beside a reserve of 0, each
    /// payment by Myerson's payment identity, so the teacher stays exactly IC and IR but is
    /// smooth ([`crate::myerson_soft`]). 0 (the default): item-wise Myerson's exact thresholds.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub teacher_temperature: f64,
    /// After the imitation phase, the teacher as an anchor: the outer loss adds
    /// `teacher_weight` times the imitation loss to the Lagrangian's for the rest of the run,
    /// so that the penalty trades regret against distance from a truthful mechanism rather
    /// than against revenue alone. 0 (the default): no anchor.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub teacher_weight: f64,
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

fn is_zero(x: &u64) -> bool {
    *x == 0
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
            misreport_prior_starts: 0,
            misreport_keep_best: false,
            lambda_init: 5.0,
            lambda_update_every: 100,
            rho_init: 1.0,
            rho_increment: 1.0,
            rho_increment_every: 10_000,
            rho_steps: None,
            regret_target: None,
            regret_target_rate: DEFAULT_REGRET_TARGET_RATE,
            regret_target_rho_schedule: false,
            regret_target_start: None,
            regret_target_anneal: None,
            shards: 2,
            schedule_end: None,
            log_every: 100,
            trace_every: 0,
            validate_every: 5_000,
            validation_samples: 2_000,
            validation_steps: 200,
            checkpoint_every: 5_000,
            keep_checkpoints: 3,
            best_regret_bound: 1e-3,
            init_from: None,
            init_misreports: false,
            teacher: None,
            teacher_iterations: 0,
            teacher_temperature: 0.0,
            teacher_weight: 0.0,
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
    ///
    /// A tail (`schedule_end`) holds the final rate past the schedule's end:
    ///
    /// ```
    /// # use regretnet_core::TrainConfig;
    /// let t = TrainConfig { iterations: 150, schedule_end: Some(100), lr: 1e-3,
    ///                       lr_decay_from: Some(0.5), lr_final: 1e-5, ..TrainConfig::default() };
    /// assert!((t.lr_at(75) - 0.5 * (1e-3 + 1e-5)).abs() < 1e-12);
    /// assert!((t.lr_at(140) - 1e-5).abs() < 1e-12);
    /// ```
    pub fn lr_at(&self, t: u64) -> f64 {
        let end = self.schedule_len();
        let start = self.lr_decay_from.map(|f| (f * end as f64).floor() as u64);
        match start {
            Some(start) if t > start && end > start => {
                let frac = ((t - start) as f64 / (end - start) as f64).min(1.0);
                self.lr + (self.lr_final - self.lr) * frac
            }
            _ => self.lr,
        }
    }
}

impl TrainConfig {
    /// The regret target at iteration `t` (0-based): `regret_target`, or with
    /// `regret_target_start` the geometric path from the start to `regret_target` over the first
    /// `regret_target_anneal` of the schedule, then `regret_target`.
    ///
    /// ```
    /// use regretnet_core::TrainConfig;
    /// let t = TrainConfig { iterations: 1_000, regret_target: Some(1e-4),
    ///                       regret_target_start: Some(1e-2), regret_target_anneal: Some(0.5),
    ///                       ..TrainConfig::default() };
    /// assert_eq!(t.regret_target_at(0), Some(1e-2));
    /// assert!((t.regret_target_at(250).unwrap() - 1e-3).abs() < 1e-15);
    /// assert_eq!(t.regret_target_at(500), Some(1e-4));
    /// assert_eq!(t.regret_target_at(900), Some(1e-4));
    /// assert_eq!(TrainConfig::default().regret_target_at(0), None);
    /// ```
    pub fn regret_target_at(&self, t: u64) -> Option<f64> {
        let target = self.regret_target?;
        let Some(start) = self.regret_target_start else {
            return Some(target);
        };
        let anneal = self
            .regret_target_anneal
            .unwrap_or(DEFAULT_REGRET_TARGET_ANNEAL);
        let span = (anneal * self.schedule_len() as f64).floor();
        if span < 1.0 || t as f64 >= span {
            return Some(target);
        }
        let frac = t as f64 / span;
        Some(start * (target / start).powf(frac))
    }

    /// The iterations the relative schedules span: `schedule_end`, or `iterations`.
    pub fn schedule_len(&self) -> u64 {
        self.schedule_end.unwrap_or(self.iterations)
    }

    /// Iterations between rho's steps: from `rho_steps` when set, else `rho_increment_every`.
    ///
    /// ```
    /// use regretnet_core::TrainConfig;
    /// let t = TrainConfig { iterations: 8_000, rho_steps: Some(10), ..TrainConfig::default() };
    /// assert_eq!(t.rho_every(), 800);
    /// assert_eq!(TrainConfig::default().rho_every(), 10_000);
    /// ```
    pub fn rho_every(&self) -> u64 {
        match self.rho_steps {
            Some(k) => (self.schedule_len() / k.max(1)).max(1),
            None => self.rho_increment_every,
        }
    }

    /// Write the derived `rho_increment_every` of a relative rho schedule into the config, so
    /// that a recorded config says what the run does (a no-op without `rho_steps`).
    pub fn resolve_schedule(&mut self) {
        self.rho_increment_every = self.rho_every();
    }

    /// Check every field; `setting` sizes the training set's memory.
    pub(crate) fn validate(&self, setting: &Setting) -> Result<(), ConfigError> {
        let t = self;
        positive("train.iterations", t.iterations)?;
        positive("train.batch_size", t.batch_size)?;
        positive("train.train_size", t.train_size)?;
        positive("train.shards", t.shards)?;
        if t.shards > t.batch_size {
            return Err(ConfigError::invalid(
                "train.shards",
                format!(
                    "{} is more than train.batch_size = {}",
                    t.shards, t.batch_size
                ),
            ));
        }
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
        if t.misreport_prior_starts > MAX_PRIOR_STARTS {
            return Err(ConfigError::invalid(
                "train.misreport_prior_starts",
                format!(
                    "{} is more than {MAX_PRIOR_STARTS} (each draw is one more inner search per \
                     iteration)",
                    t.misreport_prior_starts
                ),
            ));
        }
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
        non_negative_finite("train.teacher_temperature", t.teacher_temperature)?;
        non_negative_finite("train.teacher_weight", t.teacher_weight)?;
        for (field, x) in [
            ("train.teacher_temperature", t.teacher_temperature),
            ("train.teacher_weight", t.teacher_weight),
        ] {
            if x > 0.0 && t.teacher.is_none() {
                return Err(ConfigError::invalid(
                    field,
                    "applies with train.teacher only",
                ));
            }
        }
        match (t.teacher, t.teacher_iterations) {
            (None, 0) => {}
            (None, _) => {
                return Err(ConfigError::invalid(
                    "train.teacher_iterations",
                    "needs train.teacher (e.g. \"itemwise_myerson\")",
                ))
            }
            (Some(teacher), k) => {
                if k == 0 || k >= t.iterations {
                    return Err(ConfigError::invalid(
                        "train.teacher_iterations",
                        format!(
                            "{k} must be in 1..{} (train.iterations; the imitation comes first)",
                            t.iterations
                        ),
                    ));
                }
                if crate::baselines::myerson_per_item(setting).is_none() {
                    return Err(ConfigError::invalid(
                        "train.teacher",
                        format!(
                            "{} needs additive bidders with independent values (uniform boxes, \
                             exponential or mixture marginals); `{}` has none",
                            teacher.name(),
                            setting.name
                        ),
                    ));
                }
            }
        }
        if t.regret_target_rho_schedule && t.regret_target.is_none() {
            return Err(ConfigError::invalid(
                "train.regret_target_rho_schedule",
                "applies with train.regret_target only (without it rho always follows its \
                 schedule)",
            ));
        }
        if let Some(target) = t.regret_target {
            if !(target.is_finite() && target > 0.0 && target < 1.0) {
                return Err(ConfigError::invalid(
                    "train.regret_target",
                    format!("{target} must be a per-bidder mean regret in (0, 1), e.g. 1e-3"),
                ));
            }
        }
        if let Some(start) = t.regret_target_start {
            let Some(target) = t.regret_target else {
                return Err(ConfigError::invalid(
                    "train.regret_target_start",
                    "applies with train.regret_target only (it is where that target's path \
                     starts)",
                ));
            };
            if !(start.is_finite() && start > target && start < 1.0) {
                return Err(ConfigError::invalid(
                    "train.regret_target_start",
                    format!("{start} must lie above train.regret_target ({target}) and below 1"),
                ));
            }
        }
        if let Some(anneal) = t.regret_target_anneal {
            if t.regret_target_start.is_none() {
                return Err(ConfigError::invalid(
                    "train.regret_target_anneal",
                    "applies with train.regret_target_start only",
                ));
            }
            if !(anneal.is_finite() && anneal > 0.0 && anneal <= 1.0) {
                return Err(ConfigError::invalid(
                    "train.regret_target_anneal",
                    format!("{anneal} must be a fraction of the schedule in (0, 1]"),
                ));
            }
        }
        if !(t.regret_target_rate.is_finite()
            && t.regret_target_rate > 0.0
            && t.regret_target_rate <= 1.0)
        {
            return Err(ConfigError::invalid(
                "train.regret_target_rate",
                format!("{} must be in (0, 1]", t.regret_target_rate),
            ));
        }
        positive("train.rho_increment_every", t.rho_increment_every)?;
        if let Some(end) = t.schedule_end {
            if end == 0 || end > t.iterations {
                return Err(ConfigError::invalid(
                    "train.schedule_end",
                    format!("{end} must be in 1..=train.iterations ({})", t.iterations),
                ));
            }
        }
        if t.rho_steps == Some(0) {
            // More steps than iterations is a step every iteration (a short smoke run).
            return Err(ConfigError::invalid(
                "train.rho_steps",
                "0: rho's steps over the run must be at least 1 (omit it for an absolute schedule)",
            ));
        }
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
        if t.init_misreports && t.init_from.is_none() {
            return Err(ConfigError::invalid(
                "train.init_misreports",
                "needs train.init_from (the checkpoint whose misreport cache to take)",
            ));
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
        Ok(())
    }
}

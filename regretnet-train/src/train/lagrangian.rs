//! The augmented-Lagrangian multipliers and their schedules.
//!
//! Loss: `-revenue + sum_i lambda_i rgt_i + (rho / 2) sum_i rgt_i^2`. As in the reference
//! implementation (`docs/PAPER.md`, "Training"): `lambda_i += rho * rgt_i` at iteration 0
//! and every `lambda_update_every` iterations; `rho += rho_increment` every
//! `rho_increment_every` iterations.
//!
//! With `train.regret_target` set the schedules give way to the target rule: after every
//! iteration `lambda_i *= exp(eta * clamp(ln(max(rgt_i, target / 100) / target), -ln 100,
//! ln 100))`, `eta = train.regret_target_rate`, within `[1e-4, 1e6]`, and rho stays at
//! `rho_init` (or keeps its schedule with `train.regret_target_rho_schedule`). It is dual ascent on `ln lambda_i` (the ascent direction of the dual is the
//! constraint's violation, measured here on a log scale so that a regret ten times the target and
//! one a tenth of it move the multiplier by the same factor in opposite directions). Its fixed
//! point is a batch regret whose geometric mean over iterations is the target. With
//! `train.regret_target_start` the target itself moves: geometrically from that start down to
//! `train.regret_target` over the first `train.regret_target_anneal` of the schedule
//! ([`TrainConfig::regret_target_at`]), so that the rule squeezes the regret as the fast schedules
//! do, late, rather than from the first iteration. The multipliers are
//! the only state, and they are in every checkpoint, so a resumed run continues exactly.

use regretnet_core::TrainConfig;

/// The target rule's smallest multiplier (a regret far below target relaxes it to here).
pub const LAMBDA_MIN: f64 = 1e-4;
/// The target rule's largest multiplier.
pub const LAMBDA_MAX: f64 = 1e6;

/// Multipliers and penalty weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Lagrangian {
    /// One multiplier per bidder.
    pub lambda: Vec<f64>,
    /// Quadratic penalty weight.
    pub rho: f64,
}

impl Lagrangian {
    /// Initial values from the config.
    pub fn new(bidders: usize, cfg: &TrainConfig) -> Self {
        Lagrangian {
            lambda: vec![cfg.lambda_init; bidders],
            rho: cfg.rho_init,
        }
    }

    /// The penalty `sum_i lambda_i r_i + rho/2 sum_i r_i^2` for regrets `r` (for reporting).
    pub fn penalty(&self, regret: &[f64]) -> f64 {
        self.lambda
            .iter()
            .zip(regret)
            .map(|(l, r)| l * r + 0.5 * self.rho * r * r)
            .sum()
    }

    /// Apply the schedules after iteration `iteration` (0-based), whose batch regrets were
    /// `regret`.
    pub fn after_iteration(&mut self, iteration: u64, regret: &[f64], cfg: &TrainConfig) {
        if let Some(target) = cfg.regret_target_at(iteration) {
            let bound = 100f64.ln();
            for (l, r) in self.lambda.iter_mut().zip(regret) {
                let ratio = (r.max(target / 100.0) / target).ln().clamp(-bound, bound);
                let next = *l * (cfg.regret_target_rate * ratio).exp();
                *l = next.clamp(LAMBDA_MIN, LAMBDA_MAX);
            }
            if cfg.regret_target_rho_schedule && (iteration + 1).is_multiple_of(cfg.rho_every()) {
                self.rho += cfg.rho_increment;
            }
            return;
        }
        if iteration.is_multiple_of(cfg.lambda_update_every) {
            for (l, r) in self.lambda.iter_mut().zip(regret) {
                *l += self.rho * r;
            }
        }
        if (iteration + 1).is_multiple_of(cfg.rho_every()) {
            self.rho += cfg.rho_increment;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_the_reference() {
        // additive_1x2_uniform: lambda 5, rho 1, +50 every 10,000 (docs/PAPER.md).
        let cfg = TrainConfig {
            rho_increment: 50.0,
            ..TrainConfig::default()
        };
        let mut l = Lagrangian::new(1, &cfg);
        l.after_iteration(0, &[0.1], &cfg);
        assert!((l.lambda[0] - 5.1).abs() < 1e-12);
        l.after_iteration(1, &[0.1], &cfg);
        assert!((l.lambda[0] - 5.1).abs() < 1e-12, "no update off schedule");
        for it in 2..10_000 {
            l.after_iteration(it, &[0.0], &cfg);
        }
        assert_eq!(l.rho, 51.0);
        l.after_iteration(10_000, &[0.01], &cfg);
        assert!((l.lambda[0] - (5.1 + 51.0 * 0.01)).abs() < 1e-12);
        assert!((l.penalty(&[0.1]) - (l.lambda[0] * 0.1 + 0.5 * 51.0 * 0.01)).abs() < 1e-12);
    }

    #[test]
    fn the_target_rule_moves_the_multipliers_by_the_log_ratio_and_keeps_rho() {
        let cfg = TrainConfig {
            regret_target: Some(1e-3),
            regret_target_rate: 0.1,
            ..TrainConfig::default()
        };
        let mut l = Lagrangian::new(3, &cfg);
        let rho = l.rho;
        // Regret 1e-2 (ten times the target), the target itself, and 0 (floored at 1e-5:
        // ln 0.01). Off every schedule's step and on it alike: the rule runs every iteration.
        for iteration in [0, 1, 99, 9_999] {
            let before = l.lambda.clone();
            l.after_iteration(iteration, &[1e-2, 1e-3, 0.0], &cfg);
            let want = [
                before[0] * (0.1 * 10f64.ln()).exp(),
                before[1],
                before[2] * (0.1 * 0.01f64.ln()).exp(),
            ];
            for (got, want) in l.lambda.iter().zip(want) {
                assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
            }
        }
        assert_eq!(l.rho, rho);
        // Bounded: a huge regret counts as a hundred times the target, and the multiplier
        // stops at LAMBDA_MAX.
        for i in 0..2_000 {
            l.after_iteration(i, &[1.0, 1.0, 1.0], &cfg);
        }
        assert_eq!(l.lambda, vec![LAMBDA_MAX; 3]);
    }

    #[test]
    fn with_the_rho_schedule_rho_steps_beside_the_target_rule() {
        // rho_init 1, +10 every 100 iterations: after iterations 0..=299 it is 31, and the
        // multipliers moved by the rule alone (the additive update does not run).
        let cfg = TrainConfig {
            regret_target: Some(1e-3),
            regret_target_rate: 0.1,
            regret_target_rho_schedule: true,
            rho_increment: 10.0,
            rho_increment_every: 100,
            ..TrainConfig::default()
        };
        let mut l = Lagrangian::new(1, &cfg);
        for i in 0..300 {
            l.after_iteration(i, &[1e-3], &cfg);
        }
        assert_eq!(l.rho, 31.0);
        assert_eq!(l.lambda, vec![cfg.lambda_init]);
        // Without a target the flag means nothing, and the config says so.
        let mut off = regretnet_core::presets::preset("additive_1x2_uniform").unwrap();
        off.train.regret_target_rho_schedule = true;
        let err = off.validate().unwrap_err().to_string();
        assert!(err.contains("train.regret_target_rho_schedule"), "{err}");
    }

    #[test]
    fn an_annealed_target_moves_the_multipliers_by_the_log_ratio_to_the_moving_target() {
        // Target 1e-2 at iteration 0 falling to 1e-4 at iteration 50 (half of 100): a batch
        // regret of 1e-3 lies ten times below the target at 0 (lambda shrinks by e^{0.1 ln 10}),
        // at the target at 25, and ten times above it from 50 on.
        let cfg = TrainConfig {
            iterations: 100,
            regret_target: Some(1e-4),
            regret_target_start: Some(1e-2),
            regret_target_rate: 0.1,
            ..TrainConfig::default()
        };
        let step = (0.1 * 10f64.ln()).exp();
        for (iteration, factor) in [(0, 1.0 / step), (25, 1.0), (50, step), (99, step)] {
            let mut l = Lagrangian::new(1, &cfg);
            l.after_iteration(iteration, &[1e-3], &cfg);
            let want = cfg.lambda_init * factor;
            assert!(
                (l.lambda[0] - want).abs() <= 1e-12 * want,
                "iteration {iteration}: {} vs {want}",
                l.lambda[0]
            );
        }
    }

    #[test]
    fn the_target_rule_settles_where_the_regret_meets_the_target() {
        // A toy response in which the regret falls as the multiplier rises, rgt = c / lambda:
        // the rule's fixed point is lambda = c / target, here 0.02 / 1e-4 = 200 from 5.
        let cfg = TrainConfig {
            regret_target: Some(1e-4),
            regret_target_rate: 0.02,
            ..TrainConfig::default()
        };
        let mut l = Lagrangian::new(1, &cfg);
        for i in 0..5_000 {
            let r = 0.02 / l.lambda[0];
            l.after_iteration(i, &[r], &cfg);
        }
        assert!((l.lambda[0] - 200.0).abs() < 1e-6, "{}", l.lambda[0]);
    }
}

//! The augmented-Lagrangian multipliers and their schedules.
//!
//! Loss: `-revenue + sum_i lambda_i rgt_i + (rho / 2) sum_i rgt_i^2`. As in the reference
//! implementation (`docs/PAPER.md`, "Training"): `lambda_i += rho * rgt_i` at iteration 0
//! and every `lambda_update_every` iterations; `rho += rho_increment` every
//! `rho_increment_every` iterations.

use regretnet_core::TrainConfig;

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
}

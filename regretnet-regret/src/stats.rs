//! Summary statistics of per-profile regrets: means with standard errors, maxima, quantiles
//! and the share of profiles above a threshold.
//!
//! Conventions (those of the reference implementation where it has one): a bidder's regret is
//! its mean over profiles; the headline regret is the mean of that over bidders. Standard
//! errors are those of a sample mean, `sd / sqrt(samples)` with the `samples - 1` divisor.
//! Quantiles interpolate linearly between order statistics (numpy's default, Hyndman and Fan's
//! type 7): the `q`-quantile of sorted `x[0..k]` is read at position `q * (k - 1)`.

use serde::Serialize;

/// The per-profile regret above which a profile counts as manipulable in
/// [`RegretStats::share_above`].
pub const SHARE_THRESHOLD: f64 = 1e-3;

/// One bidder's per-profile regret, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BidderRegret {
    /// Mean over profiles.
    pub mean: f64,
    /// Standard error of `mean`.
    pub se: f64,
    /// Largest per-profile regret.
    pub max: f64,
    /// Median.
    pub q50: f64,
    /// 90% quantile.
    pub q90: f64,
    /// 99% quantile.
    pub q99: f64,
    /// Share of profiles with regret above [`SHARE_THRESHOLD`].
    pub share_above: f64,
}

/// Per-profile regrets of all bidders, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegretStats {
    /// Mean over bidders of each bidder's mean regret.
    pub mean: f64,
    /// Standard error of `mean` (over profiles of the per-profile mean over bidders).
    pub se: f64,
    /// Largest per-profile regret of any bidder.
    pub max: f64,
    /// Share of profiles where some bidder's regret exceeds [`SHARE_THRESHOLD`].
    pub share_above: f64,
    /// Each bidder's statistics.
    pub bidders: Vec<BidderRegret>,
}

pub use regretnet_core::stats::mean_se;

/// The `q`-quantile of ascending `sorted` by linear interpolation (type 7); 0 when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        k => {
            let pos = q.clamp(0.0, 1.0) * (k - 1) as f64;
            let (below, frac) = (pos.floor() as usize, pos.fract());
            let above = (below + 1).min(k - 1);
            sorted[below] + frac * (sorted[above] - sorted[below])
        }
    }
}

impl RegretStats {
    /// Summarise `regret`, flat `[samples, bidders]`.
    pub fn from_regret(regret: &[f32], bidders: usize) -> Self {
        let bidders = bidders.max(1);
        let samples = regret.len() / bidders;
        let column = |i: usize| -> Vec<f64> {
            regret
                .iter()
                .skip(i)
                .step_by(bidders)
                .map(|&r| r as f64)
                .collect()
        };
        let per_bidder: Vec<BidderRegret> = (0..bidders)
            .map(|i| {
                let mut x = column(i);
                let (mean, se) = mean_se(&x);
                let share_above = share(x.iter().map(|&r| r > SHARE_THRESHOLD), samples);
                x.sort_by(f64::total_cmp);
                BidderRegret {
                    mean,
                    se,
                    max: x.last().copied().unwrap_or(0.0),
                    q50: quantile(&x, 0.5),
                    q90: quantile(&x, 0.9),
                    q99: quantile(&x, 0.99),
                    share_above,
                }
            })
            .collect();
        let profile_means: Vec<f64> = regret
            .chunks_exact(bidders)
            .map(|row| row.iter().map(|&r| r as f64).sum::<f64>() / bidders as f64)
            .collect();
        let (mean, se) = mean_se(&profile_means);
        let share_above = share(
            regret
                .chunks_exact(bidders)
                .map(|row| row.iter().any(|&r| r as f64 > SHARE_THRESHOLD)),
            samples,
        );
        RegretStats {
            mean,
            se,
            max: per_bidder.iter().map(|b| b.max).fold(0.0, f64::max),
            share_above,
            bidders: per_bidder,
        }
    }
}

fn share(flags: impl Iterator<Item = bool>, samples: usize) -> f64 {
    flags.filter(|&f| f).count() as f64 / samples.max(1) as f64
}

/// Elementwise maximum of two per-profile regret vectors of equal length: the regret that
/// either search found (each is a lower bound on the true regret, so their maximum is too).
pub fn elementwise_max(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x.max(*y)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear_interpolation() {
        // numpy.quantile([1, 2, 3, 4], [0.5, 0.9, 0.99]) = [2.5, 3.7, 3.97].
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&x, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile(&x, 0.9) - 3.7).abs() < 1e-12);
        assert!((quantile(&x, 0.99) - 3.97).abs() < 1e-12);
        assert_eq!(quantile(&x, 0.0), 1.0);
        assert_eq!(quantile(&x, 1.0), 4.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn two_bidders_summarised_column_by_column() {
        // Profiles (bidder 0, bidder 1): (0, 0.002), (0.004, 0), (0, 0), (0.002, 0.0005).
        let r = [0.0, 0.002, 0.004, 0.0, 0.0, 0.0, 0.002, 0.0005];
        let s = RegretStats::from_regret(&r, 2);
        assert!((s.bidders[0].mean - 0.0015).abs() < 1e-9);
        assert!((s.bidders[1].mean - 0.000625).abs() < 1e-9);
        assert!((s.mean - (0.0015 + 0.000625) / 2.0).abs() < 1e-9);
        assert!((s.max - 0.004).abs() < 1e-9);
        assert!((s.bidders[0].share_above - 0.5).abs() < 1e-12);
        assert!((s.bidders[1].share_above - 0.25).abs() < 1e-12);
        // Profiles 0, 1 and 3 have some bidder above 1e-3.
        assert!((s.share_above - 0.75).abs() < 1e-12);
        // Bidder 0 sorted: 0, 0, 0.002, 0.004 -> median 0.001.
        assert!((s.bidders[0].q50 - 0.001).abs() < 1e-9);
    }

    #[test]
    fn elementwise_max_keeps_the_larger() {
        assert_eq!(elementwise_max(&[1.0, 0.0], &[0.5, 2.0]), vec![1.0, 2.0]);
    }
}

//! The distribution of one value (one bidder, one item) in a prior of independent values:
//! uniform, exponential, or a finite mixture of uniforms.
//!
//! Each [`Marginal`] knows its CDF, density, quantile function and sampler, the range a
//! misreport is projected onto ([`Marginal::report_range`]), and Myerson's virtual value
//! `phi(v) = v - (1 - F(v)) / f(v)`. Uniform and exponential values are regular (`phi` is
//! increasing: `2v - hi` and `v - scale`); a mixture of uniforms need not be, and
//! [`crate::myerson`] irons it.
//!
//! **The exponential's truncation.** An exponential value has unbounded support. Values are
//! drawn from the full distribution (as the reference's MyersonNet data generator does), but a
//! misreport is projected onto `[0, cap]` and audit grids span `[0, cap]`; the default cap is
//! the `1 - 1e-4` quantile, `scale * ln(1e4)` (27.6 for the reference's scale 3). A true value
//! above the cap (one draw in 10,000) is still evaluated as drawn; only its misreports are
//! confined. Reporting above the cap is never needed against a mechanism monotone in the
//! report, and the audit cannot look there.

use rand::Rng;

/// Default truncation of an exponential's misreports, in units of its scale: `ln(1e4)`, the
/// `1 - 1e-4` quantile.
pub const EXPONENTIAL_CAP_SCALES: f64 = 9.210_340_371_976_184;

/// One uniform component of a [`Marginal::Mixture`]: probability `weight` of `U[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    /// Probability of this component (the weights of a mixture sum to 1).
    pub weight: f64,
    /// Lower end of the component's interval.
    pub lo: f64,
    /// Upper end of the component's interval.
    pub hi: f64,
}

/// A mixture of uniforms as a piecewise-constant density: breakpoints, the density on each
/// segment between consecutive breakpoints and the CDF at each breakpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    parts: Vec<Part>,
    breaks: Vec<f64>,
    density: Vec<f64>,
    cdf_at: Vec<f64>,
}

impl Mixture {
    /// The mixture of `parts`; `None` unless every part has a positive weight and a finite
    /// interval with `lo < hi`, and the weights sum to 1 (within 1e-9; they are renormalised).
    pub fn new(parts: &[Part]) -> Option<Self> {
        let ok = !parts.is_empty()
            && parts
                .iter()
                .all(|p| p.weight > 0.0 && p.lo.is_finite() && p.hi.is_finite() && p.lo < p.hi);
        let total: f64 = parts.iter().map(|p| p.weight).sum();
        if !ok || (total - 1.0).abs() > 1e-9 {
            return None;
        }
        let parts: Vec<Part> = parts
            .iter()
            .map(|p| Part {
                weight: p.weight / total,
                ..*p
            })
            .collect();
        let mut breaks: Vec<f64> = parts.iter().flat_map(|p| [p.lo, p.hi]).collect();
        breaks.sort_by(f64::total_cmp);
        breaks.dedup();
        let density: Vec<f64> = breaks
            .windows(2)
            .map(|w| {
                let mid = 0.5 * (w[0] + w[1]);
                parts
                    .iter()
                    .filter(|p| p.lo <= mid && mid < p.hi)
                    .map(|p| p.weight / (p.hi - p.lo))
                    .sum()
            })
            .collect();
        let mut cdf_at = vec![0.0];
        for (w, d) in breaks.windows(2).zip(&density) {
            let last = *cdf_at.last().unwrap_or(&0.0);
            cdf_at.push(last + d * (w[1] - w[0]));
        }
        Some(Mixture {
            parts,
            breaks,
            density,
            cdf_at,
        })
    }

    /// The components.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The segment holding `v` (clamped to the first and last).
    fn segment(&self, v: f64) -> usize {
        let k = self.breaks.partition_point(|&b| b <= v);
        k.clamp(1, self.breaks.len() - 1) - 1
    }

    fn cdf(&self, v: f64) -> f64 {
        let (lo, hi) = (self.breaks[0], self.breaks[self.breaks.len() - 1]);
        if v <= lo {
            return 0.0;
        }
        if v >= hi {
            return 1.0;
        }
        let s = self.segment(v);
        (self.cdf_at[s] + self.density[s] * (v - self.breaks[s])).min(1.0)
    }

    fn density(&self, v: f64) -> f64 {
        let (lo, hi) = (self.breaks[0], self.breaks[self.breaks.len() - 1]);
        if v < lo || v >= hi {
            return 0.0;
        }
        self.density[self.segment(v)]
    }

    fn quantile(&self, q: f64) -> f64 {
        let q = q.clamp(0.0, 1.0);
        // The first segment with positive density whose CDF range reaches q.
        for s in 0..self.density.len() {
            if self.density[s] > 0.0 && self.cdf_at[s + 1] >= q {
                let v = self.breaks[s] + (q - self.cdf_at[s]) / self.density[s];
                return v.clamp(self.breaks[s], self.breaks[s + 1]);
            }
        }
        self.breaks[self.breaks.len() - 1]
    }
}

/// The distribution of one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Marginal {
    /// `U[lo, hi]`.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// Exponential with mean `scale`; misreports confined to `[0, cap]` (module docs).
    Exponential {
        /// Mean of the distribution (numpy's `exponential(scale)`).
        scale: f64,
        /// Largest report a misreport may take.
        cap: f64,
    },
    /// A finite mixture of uniforms.
    Mixture(Mixture),
}

impl Marginal {
    /// Exponential with mean `scale` and the default cap ([`EXPONENTIAL_CAP_SCALES`]).
    pub fn exponential(scale: f64) -> Self {
        Marginal::Exponential {
            scale,
            cap: scale * EXPONENTIAL_CAP_SCALES,
        }
    }

    /// Draw one value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Marginal::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
            Marginal::Exponential { scale, .. } => -scale * (1.0 - rng.random::<f64>()).ln(),
            Marginal::Mixture(m) => {
                // Pick a component by weight, then a uniform value in it.
                let mut u: f64 = rng.random();
                let last = m.parts.len() - 1;
                for (k, p) in m.parts.iter().enumerate() {
                    if u < p.weight || k == last {
                        return p.lo + (p.hi - p.lo) * rng.random::<f64>();
                    }
                    u -= p.weight;
                }
                unreachable!("the last component is always taken")
            }
        }
    }

    /// `P(value <= v)`.
    pub fn cdf(&self, v: f64) -> f64 {
        match self {
            Marginal::Uniform { lo, hi } => ((v - lo) / (hi - lo)).clamp(0.0, 1.0),
            Marginal::Exponential { scale, .. } => {
                if v <= 0.0 {
                    0.0
                } else {
                    -(-v / scale).exp_m1()
                }
            }
            Marginal::Mixture(m) => m.cdf(v),
        }
    }

    /// The density at `v` (right-continuous at breakpoints).
    pub fn density(&self, v: f64) -> f64 {
        match self {
            Marginal::Uniform { lo, hi } => {
                if *lo <= v && v < *hi {
                    1.0 / (hi - lo)
                } else {
                    0.0
                }
            }
            Marginal::Exponential { scale, .. } => {
                if v < 0.0 {
                    0.0
                } else {
                    (-v / scale).exp() / scale
                }
            }
            Marginal::Mixture(m) => m.density(v),
        }
    }

    /// The quantile function: the least `v` with `F(v) >= q`, for `q` in `[0, 1)`.
    pub fn quantile(&self, q: f64) -> f64 {
        match self {
            Marginal::Uniform { lo, hi } => lo + (hi - lo) * q.clamp(0.0, 1.0),
            Marginal::Exponential { scale, .. } => -scale * (-q.clamp(0.0, 1.0)).ln_1p(),
            Marginal::Mixture(m) => m.quantile(q),
        }
    }

    /// The interval a misreport is projected onto: the support, with an exponential truncated
    /// at its cap.
    pub fn report_range(&self) -> (f64, f64) {
        match self {
            Marginal::Uniform { lo, hi } => (*lo, *hi),
            Marginal::Exponential { cap, .. } => (0.0, *cap),
            Marginal::Mixture(m) => (m.breaks[0], m.breaks[m.breaks.len() - 1]),
        }
    }

    /// The expected value.
    pub fn mean(&self) -> f64 {
        match self {
            Marginal::Uniform { lo, hi } => 0.5 * (lo + hi),
            Marginal::Exponential { scale, .. } => *scale,
            Marginal::Mixture(m) => m.parts.iter().map(|p| p.weight * 0.5 * (p.lo + p.hi)).sum(),
        }
    }

    /// Myerson's virtual value `v - (1 - F(v)) / f(v)` where the density is positive (for a
    /// mixture: right-continuous at breakpoints); `None` outside the support.
    pub fn virtual_value(&self, v: f64) -> Option<f64> {
        match self {
            Marginal::Uniform { lo, hi } => (*lo <= v && v <= *hi).then(|| 2.0 * v - hi),
            Marginal::Exponential { scale, .. } => (v >= 0.0).then(|| v - scale),
            Marginal::Mixture(m) => {
                let (lo, hi) = (m.breaks[0], m.breaks[m.breaks.len() - 1]);
                if v < lo || v > hi {
                    return None;
                }
                let s = m.segment(v);
                let f = m.density[s];
                (f > 0.0).then(|| v - (1.0 - m.cdf(v)) / f)
            }
        }
    }

    /// Whether the virtual value is known to be nondecreasing (uniform, exponential); a
    /// mixture is checked by ironing it ([`crate::myerson::Ironed`]).
    pub fn is_regular(&self) -> bool {
        !matches!(self, Marginal::Mixture(_))
    }
}

/// The reference MyersonNet's irregular prior, 3/4 U[0,3] + 1/4 U[3,8] (a test fixture).
#[cfg(test)]
pub(crate) fn irregular() -> Marginal {
    let part = |weight, lo, hi| Part { weight, lo, hi };
    Marginal::Mixture(Mixture::new(&[part(0.75, 0.0, 3.0), part(0.25, 3.0, 8.0)]).expect("valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    #[test]
    fn the_irregular_mixture_has_the_hand_computed_cdf_and_virtual_values() {
        // Density 1/4 on [0,3), 1/20 on [3,8): F(v) = v/4, then 3/4 + (v-3)/20;
        // phi = 2v - 4 below 3 and 2v - 8 above (derived by hand in docs/PAPER.md).
        let m = irregular();
        assert!((m.cdf(2.0) - 0.5).abs() < 1e-15);
        assert!((m.cdf(5.0) - 0.85).abs() < 1e-15);
        assert!((m.quantile(0.85) - 5.0).abs() < 1e-12);
        assert!((m.virtual_value(1.0).unwrap() + 2.0).abs() < 1e-12);
        assert!((m.virtual_value(6.0).unwrap() - 4.0).abs() < 1e-12);
        assert!(m.virtual_value(8.5).is_none());
        assert!((m.mean() - (0.75 * 1.5 + 0.25 * 5.5)).abs() < 1e-15);
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for m in [
            irregular(),
            Marginal::exponential(3.0),
            Marginal::Uniform { lo: 0.0, hi: 2.0 },
        ] {
            for k in 1..100 {
                let q = k as f64 / 100.0;
                assert!((m.cdf(m.quantile(q)) - q).abs() < 1e-12, "{m:?} q {q}");
            }
        }
    }

    #[test]
    fn samples_follow_the_cdf() {
        // Kolmogorov-Smirnov at 20,000 draws: the 99.9% critical value is 1.95 / sqrt(n).
        let mut rng = stream_rng(5, Stream::Data);
        for m in [irregular(), Marginal::exponential(3.0)] {
            let n = 20_000;
            let mut x: Vec<f64> = (0..n).map(|_| m.sample(&mut rng)).collect();
            x.sort_by(f64::total_cmp);
            let d = x
                .iter()
                .enumerate()
                .map(|(k, &v)| {
                    let f = m.cdf(v);
                    (f - k as f64 / n as f64)
                        .abs()
                        .max((f - (k + 1) as f64 / n as f64).abs())
                })
                .fold(0.0f64, f64::max);
            assert!(d < 1.95 / (n as f64).sqrt(), "{m:?}: KS distance {d}");
        }
    }

    #[test]
    fn rejects_bad_mixtures() {
        let p = |weight, lo, hi| Part { weight, lo, hi };
        assert!(Mixture::new(&[]).is_none());
        assert!(Mixture::new(&[p(0.5, 0.0, 1.0)]).is_none());
        assert!(Mixture::new(&[p(1.0, 1.0, 1.0)]).is_none());
        assert!(Mixture::new(&[p(0.5, 0.0, 1.0), p(0.5, 0.0, f64::INFINITY)]).is_none());
        assert!(Mixture::new(&[p(0.5, 0.0, 1.0), p(0.5, 2.0, 3.0)]).is_some());
    }
}

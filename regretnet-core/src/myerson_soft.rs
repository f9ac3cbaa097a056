//! Myerson's single-item auction softened into a smooth, still exactly incentive-compatible
//! one: the teacher `train.teacher_temperature` distills (docs/TRAINING.md, "Warm start").
//!
//! With ironed virtual values `phi_k = phi_bar_k(v_k)` ([`crate::myerson::Ironed`]) and a
//! temperature `tau > 0`, bidder `i` gets the item with probability
//!
//! ```text
//! x_i(v) = exp(phi_i / tau) / (1 + sum_k exp(phi_k / tau))
//! ```
//!
//! a softmax over the bidders' virtual values and a reserve of virtual value 0 (the `1`). As
//! `tau -> 0` it is Myerson's auction. Against fixed rival reports, `x_i` is a logistic function
//! of `phi_i`, so it is nondecreasing in `v_i`; with the payment of Myerson's payment identity,
//!
//! ```text
//! p_i(v) = v_i x_i(v) - int_lo^{v_i} x_i(t, v_-i) dt
//! ```
//!
//! (`lo` the support's bottom, where a bidder pays nothing), every bidder's utility is
//! `int_lo^{v_i} x_i(t, v_-i) dt` when truthful, and no report does better (Myerson 1981,
//! Lemma 2): the softened auction is dominant-strategy IC and IR for every `tau`, at a revenue
//! below Myerson's by what the smooth allocation gives away. The integral is taken by adaptive
//! Simpson's rule to [`TOLERANCE`] (tested against the closed form for uniform values).

use crate::myerson::Ironed;

/// The softened auction of one item (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct SoftItem {
    bidders: Vec<Ironed>,
    temperature: f64,
}

impl SoftItem {
    /// The softened auction for bidders with these ironed virtual values, at `temperature`
    /// (`tau`, in units of virtual value); `None` unless the temperature is finite and
    /// positive.
    pub fn new(bidders: Vec<Ironed>, temperature: f64) -> Option<Self> {
        (temperature.is_finite() && temperature > 0.0).then_some(SoftItem {
            bidders,
            temperature,
        })
    }

    /// The temperature.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// Each bidder's probability of getting the item, and its payment, at reports `v`.
    pub fn outcome(&self, v: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let tau = self.temperature;
        let phi: Vec<f64> = self
            .bidders
            .iter()
            .zip(v)
            .map(|(b, &x)| b.value(x))
            .collect();
        // Shifted by the largest scaled virtual value (the reserve's 0 included) for stability.
        let top = phi.iter().fold(0.0f64, |a, &p| a.max(p / tau));
        let weights: Vec<f64> = phi.iter().map(|&p| (p / tau - top).exp()).collect();
        let reserve = (-top).exp();
        let total = reserve + weights.iter().sum::<f64>();
        let alloc: Vec<f64> = weights.iter().map(|w| w / total).collect();
        let pay = (0..v.len())
            .map(|i| {
                // Against fixed rivals x_i(t) = logistic(phi_i(t) / tau - rest), with rest the
                // log-sum-exp of the reserve's 0 and the rivals' phi_k / tau.
                let rest = log_sum_exp(
                    std::iter::once(0.0)
                        .chain((0..v.len()).filter(|&k| k != i).map(|k| phi[k] / tau)),
                );
                let me = &self.bidders[i];
                let x = |t: f64| logistic(me.value(t) / tau - rest);
                let lo = me.marginal().report_range().0;
                let integral = integrate_monotone(&x, lo, v[i].max(lo));
                (v[i] * alloc[i] - integral).max(0.0)
            })
            .collect();
        (alloc, pay)
    }
}

/// `ln sum_k exp(z_k)` without overflow.
fn log_sum_exp(z: impl Iterator<Item = f64> + Clone) -> f64 {
    let top = z.clone().fold(f64::NEG_INFINITY, f64::max);
    top + z.map(|x| (x - top).exp()).sum::<f64>().ln()
}

/// `int_a^b f` for a nondecreasing `f` with values in `[0, 1]`, by adaptive Simpson's rule to
/// [`TOLERANCE`]. Monotonicity makes the adaptive rule safe: where `f` takes the same value at
/// both ends of a panel it is constant there, so a sharp step cannot hide between samples.
fn integrate_monotone(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let (fa, fb, fm) = (f(a), f(b), f(0.5 * (a + b)));
    let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    adaptive(f, a, b, fa, fm, fb, whole, TOLERANCE, MAX_DEPTH)
}

/// Absolute error goal of the payment integral.
pub const TOLERANCE: f64 = 1e-10;

/// Deepest bisection of the adaptive rule (panels of `2^-40` of the support).
const MAX_DEPTH: u32 = 40;

#[allow(clippy::too_many_arguments)]
fn adaptive(
    f: &impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    fa: f64,
    fm: f64,
    fb: f64,
    whole: f64,
    tol: f64,
    depth: u32,
) -> f64 {
    if fa == fb {
        // Nondecreasing and equal at both ends: constant.
        return (b - a) * fa;
    }
    let m = 0.5 * (a + b);
    let (lm, rm) = (0.5 * (a + m), 0.5 * (m + b));
    let (flm, frm) = (f(lm), f(rm));
    let left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
    let right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
    let delta = left + right - whole;
    if depth == 0 || delta.abs() <= 15.0 * tol {
        return left + right + delta / 15.0;
    }
    adaptive(f, a, m, fa, flm, fm, left, tol / 2.0, depth - 1)
        + adaptive(f, m, b, fm, frm, fb, right, tol / 2.0, depth - 1)
}

/// `ln(1 + e^x)` without overflow.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// `1 / (1 + exp(-z))` without overflow.
pub fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marginal::Marginal;
    use crate::myerson::SingleItem;

    fn uniform(n: usize, tau: f64) -> SoftItem {
        let m = Marginal::Uniform { lo: 0.0, hi: 1.0 };
        SoftItem::new(vec![Ironed::new(&m); n], tau).unwrap()
    }

    #[test]
    fn one_uniform_bidder_pays_the_closed_form() {
        // phi(t) = 2t - 1, x(t) = sigma((2t - 1) / tau), so
        // int_0^v x = (tau / 2) [softplus((2v - 1) / tau) - softplus(-1 / tau)].
        for tau in [0.02, 0.1, 0.5] {
            let auction = uniform(1, tau);
            for v in [0.0, 0.3, 0.5, 0.51, 0.8, 1.0] {
                let (a, p) = auction.outcome(&[v]);
                let x = logistic((2.0 * v - 1.0) / tau);
                let integral = tau / 2.0 * (softplus((2.0 * v - 1.0) / tau) - softplus(-1.0 / tau));
                assert!((a[0] - x).abs() < 1e-12, "tau {tau} v {v}");
                assert!(
                    (p[0] - (v * x - integral)).abs() < 1e-9,
                    "tau {tau} v {v}: {} vs {}",
                    p[0],
                    v * x - integral
                );
            }
        }
    }

    #[test]
    fn no_report_beats_the_truth_and_utility_is_never_negative() {
        // Dominant-strategy IC and IR, checked on a grid of misreports for three bidders,
        // a uniform, an exponential and the irregular (ironed) 3/4 U[0,3] + 1/4 U[3,8].
        let marginals = [
            Marginal::Uniform { lo: 0.0, hi: 1.0 },
            Marginal::exponential(1.0),
            crate::marginal::irregular(),
        ];
        let ironed: Vec<Ironed> = marginals.iter().map(Ironed::new).collect();
        for tau in [0.05, 0.3] {
            let auction = SoftItem::new(ironed.clone(), tau).unwrap();
            for truth in [[0.7, 0.4, 2.9], [0.2, 1.5, 0.1], [0.55, 0.3, 3.5]] {
                for i in 0..3 {
                    let (a, p) = auction.outcome(&truth);
                    let honest = truth[i] * a[i] - p[i];
                    assert!(honest >= -1e-12, "IR {truth:?} bidder {i}");
                    for k in 0..=60 {
                        let mut report = truth;
                        report[i] = k as f64 * 0.05;
                        let (a, p) = auction.outcome(&report);
                        let lie = truth[i] * a[i] - p[i];
                        assert!(
                            lie <= honest + 1e-9,
                            "tau {tau} {truth:?} bidder {i} reports {}: {lie} > {honest}",
                            report[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_low_temperature_is_myersons_auction() {
        // Away from the thresholds (reserve 1/2, ties), tau -> 0 gives the second-price
        // auction with reserve 1/2 that SingleItem computes.
        let m = Marginal::Uniform { lo: 0.0, hi: 1.0 };
        let hard = SingleItem::new(&[m.clone(), m.clone(), m.clone()]);
        let soft = uniform(3, 1e-4);
        for v in [[0.9, 0.3, 0.6], [0.2, 0.4, 0.1], [0.7, 0.95, 0.52]] {
            let (a, p) = soft.outcome(&v);
            let (ha, hp) = (hard.allocation(&v), hard.payments(&v));
            for i in 0..3 {
                assert!((a[i] - ha[i]).abs() < 1e-6, "{v:?}");
                assert!((p[i] - hp[i]).abs() < 1e-3, "{v:?}: {p:?} vs {hp:?}");
            }
        }
        assert!(SoftItem::new(vec![], 0.0).is_none());
        assert!(SoftItem::new(vec![], f64::NAN).is_none());
    }
}

//! Myerson's optimal single-item auction for independent, possibly asymmetric and irregular,
//! values (Myerson, "Optimal Auction Design", Math. of OR 1981).
//!
//! - [`Ironed`]: a bidder's ironed virtual value `phi_bar`. For a regular marginal (uniform,
//!   exponential) it is the virtual value itself. Otherwise it is computed, not typed in: in
//!   quantile space `q = F(v)`, `H(q) = int_0^q phi(F^-1(s)) ds` is replaced by its lower convex
//!   envelope and `phi_bar` is the envelope's slope, constant on each *ironed interval* where
//!   the envelope lies below `H`. The envelope is taken on a grid of 2^20 quantiles, which places
//!   the interval ends to about 1e-6 in quantile.
//! - [`SingleItem`]: the item goes to a bidder with the highest `phi_bar` if it is at least 0,
//!   uniformly at random among ties (ties happen on ironed intervals). Each bidder pays its
//!   expected threshold payment `b x(b) - int_lo^b x(t) dt`, exact for the step function
//!   `x` this allocation gives a bidder against fixed rival reports.
//!
//! For `n` bidders with i.i.d. `U[0,1]` values this is the second-price auction with reserve 1/2
//! (expected revenue `(n - 1)/(n + 1) + 2^-n / (n + 1)`, 0.53125 for `n = 3`).

use crate::marginal::Marginal;

/// Quantile grid size of the convex envelope.
const GRID: usize = 1 << 20;

/// An interval of values on which the ironed virtual value is constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flat {
    /// Lowest value of the interval.
    pub lo: f64,
    /// Highest value of the interval.
    pub hi: f64,
    /// The ironed virtual value on it.
    pub value: f64,
}

/// A bidder's ironed virtual value.
#[derive(Debug, Clone, PartialEq)]
pub struct Ironed {
    marginal: Marginal,
    flats: Vec<Flat>,
}

impl Ironed {
    /// Iron `marginal` (nothing to do for a regular one).
    pub fn new(marginal: &Marginal) -> Self {
        let flats = if marginal.is_regular() {
            Vec::new()
        } else {
            envelope_flats(marginal)
        };
        Ironed {
            marginal: marginal.clone(),
            flats,
        }
    }

    /// The ironed intervals, in increasing order.
    pub fn flats(&self) -> &[Flat] {
        &self.flats
    }

    /// The marginal this was computed for.
    pub fn marginal(&self) -> &Marginal {
        &self.marginal
    }

    /// `phi_bar(v)`, nondecreasing in `v`; `v` is clamped to the support first.
    pub fn value(&self, v: f64) -> f64 {
        let (lo, hi) = self.support();
        let v = v.clamp(lo, hi);
        let mut phi = self.marginal.virtual_value(v).unwrap_or(f64::NEG_INFINITY);
        for f in &self.flats {
            if f.lo <= v && v <= f.hi {
                return f.value;
            }
            // Keep monotone across the grid's placement of the interval ends.
            if v > f.hi {
                phi = phi.max(f.value);
            } else {
                phi = phi.min(f.value);
            }
        }
        phi
    }

    /// The support's ends (infinite above for an exponential).
    fn support(&self) -> (f64, f64) {
        match &self.marginal {
            Marginal::Exponential { .. } => (0.0, f64::INFINITY),
            m => m.report_range(),
        }
    }

    /// The least value whose `phi_bar` is at least `t`, and the least whose `phi_bar` exceeds
    /// `t` (they differ only when `t` is the value of an ironed interval: its two ends); `None`
    /// when no value of the support reaches `t`.
    pub fn thresholds(&self, t: f64) -> Option<(f64, f64)> {
        if let Some(f) = self.flats.iter().find(|f| f.value == t) {
            return Some((f.lo, f.hi));
        }
        let (lo, hi) = self.support();
        let at_least = match &self.marginal {
            Marginal::Uniform { lo, hi } => {
                let v = (t + hi) / 2.0;
                (v <= *hi).then_some(v.max(*lo))
            }
            Marginal::Exponential { scale, .. } => Some((t + scale).max(0.0)),
            Marginal::Mixture(_) => {
                if self.value(lo) >= t {
                    Some(lo)
                } else if self.value(hi) < t {
                    None
                } else {
                    let (mut a, mut b) = (lo, hi);
                    for _ in 0..64 {
                        let mid = 0.5 * (a + b);
                        if mid <= a || mid >= b {
                            break;
                        }
                        if self.value(mid) >= t {
                            b = mid;
                        } else {
                            a = mid;
                        }
                    }
                    Some(b)
                }
            }
        }?;
        Some((at_least, at_least))
    }
}

/// The ironed intervals of `marginal`: where the lower convex envelope of `H(q)` (module docs)
/// leaves `H`, with the envelope's slope there.
fn envelope_flats(marginal: &Marginal) -> Vec<Flat> {
    let n = GRID;
    let h = 1.0 / n as f64;
    // phi(F^-1(q)) at the grid's midpoints: bounded for a mixture of uniforms.
    let phi_at = |q: f64| {
        let v = marginal.quantile(q);
        marginal.virtual_value(v).unwrap_or(0.0)
    };
    let mut big_h = Vec::with_capacity(n + 1);
    big_h.push(0.0f64);
    for k in 0..n {
        let last = big_h[k];
        big_h.push(last + h * phi_at((k as f64 + 0.5) * h));
    }
    // Andrew's monotone chain, lower hull.
    let mut hull: Vec<usize> = Vec::new();
    for k in 0..=n {
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            let cross =
                (b - a) as f64 * (big_h[k] - big_h[a]) - (k - a) as f64 * (big_h[b] - big_h[a]);
            if cross <= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(k);
    }
    hull.windows(2)
        .filter(|w| w[1] - w[0] >= 4)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            Flat {
                lo: marginal.quantile(a as f64 * h),
                hi: marginal.quantile(b as f64 * h),
                value: (big_h[b] - big_h[a]) / ((b - a) as f64 * h),
            }
        })
        .collect()
}

/// Myerson's optimal auction of one item (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct SingleItem {
    bidders: Vec<Ironed>,
}

impl SingleItem {
    /// The auction for bidders with these value distributions, in bidder order.
    pub fn new(marginals: &[Marginal]) -> Self {
        SingleItem {
            bidders: marginals.iter().map(Ironed::new).collect(),
        }
    }

    /// Each bidder's ironed virtual value function.
    pub fn ironed(&self) -> &[Ironed] {
        &self.bidders
    }

    fn virtual_values(&self, v: &[f64]) -> Vec<f64> {
        self.bidders
            .iter()
            .zip(v)
            .map(|(b, &x)| b.value(x))
            .collect()
    }

    /// The probability that each bidder gets the item at reports `v`.
    pub fn allocation(&self, v: &[f64]) -> Vec<f64> {
        let phi = self.virtual_values(v);
        let top = phi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if top < 0.0 {
            return vec![0.0; phi.len()];
        }
        let winners = phi.iter().filter(|&&p| p == top).count() as f64;
        phi.iter()
            .map(|&p| if p == top { 1.0 / winners } else { 0.0 })
            .collect()
    }

    /// Each bidder's expected payment at reports `v`.
    pub fn payments(&self, v: &[f64]) -> Vec<f64> {
        let phi = self.virtual_values(v);
        (0..phi.len())
            .map(|i| {
                let rival = (0..phi.len())
                    .filter(|&j| j != i)
                    .map(|j| phi[j])
                    .fold(f64::NEG_INFINITY, f64::max);
                let me = &self.bidders[i];
                if rival < 0.0 {
                    // Against the reserve alone: win iff phi_bar >= 0, pay the least such value.
                    return match (phi[i] >= 0.0, me.thresholds(0.0)) {
                        (true, Some((t1, _))) => t1,
                        _ => 0.0,
                    };
                }
                let tied = (0..phi.len())
                    .filter(|&j| j != i && phi[j] == rival)
                    .count() as f64;
                let Some((t1, t2)) = me.thresholds(rival) else {
                    return 0.0;
                };
                if phi[i] > rival {
                    // x = 0 below t1, 1/(k+1) on [t1, t2), 1 above.
                    t2 - (t2 - t1) / (tied + 1.0)
                } else if phi[i] == rival {
                    t1 / (tied + 1.0)
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Revenue at reports `v`: the sum of the expected payments.
    pub fn revenue(&self, v: &[f64]) -> f64 {
        self.payments(v).iter().sum()
    }

    /// The expected revenue over the prior, by Myerson's lemma the expected ironed virtual
    /// surplus `E[max(0, max_i phi_bar_i(v_i))] = int_0^inf 1 - prod_i P(phi_bar_i <= t) dt`,
    /// integrated numerically (Simpson's rule on 20,000 intervals up to the largest virtual
    /// value a bidder can have, or 60 scales above an exponential's mean; about 1e-8 relative).
    pub fn expected_revenue(&self) -> f64 {
        let top = self
            .bidders
            .iter()
            .map(|b| match b.marginal() {
                Marginal::Exponential { scale, .. } => 60.0 * scale,
                m => b.value(m.report_range().1),
            })
            .fold(0.0f64, f64::max);
        if top <= 0.0 {
            return 0.0;
        }
        let tail = |t: f64| -> f64 {
            let below: f64 = self
                .bidders
                .iter()
                .map(|b| match b.thresholds(t) {
                    // P(phi_bar <= t) = F(least value whose phi_bar exceeds t).
                    Some((_, above)) => b.marginal().cdf(above),
                    None => 1.0,
                })
                .product();
            1.0 - below
        };
        let k = 20_000;
        let h = top / k as f64;
        let mut sum = tail(0.0) + tail(top);
        for i in 1..k {
            sum += tail(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * h / 3.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marginal::irregular;
    use crate::rng::{stream_rng, Stream};

    #[test]
    fn the_irregular_prior_is_ironed_where_the_hand_derivation_says() {
        // 3/4 U[0,3] + 1/4 U[3,8]: phi = 8q - 4 on q < 3/4 and 40(q - 3/4) - 2 above. The
        // ironed interval [q1, q2] with value c solves phi(q1) = phi(q2) = c and
        // int_{q1}^{q2} phi = c (q2 - q1): c = 3 - sqrt(5), v in [(7 - sqrt 5)/2, (11 - sqrt 5)/2]
        // (the closed form the reference's baseline.py hard-codes).
        let ironed = Ironed::new(&irregular());
        let s5 = 5f64.sqrt();
        assert_eq!(ironed.flats().len(), 1, "{:?}", ironed.flats());
        let f = ironed.flats()[0];
        assert!((f.value - (3.0 - s5)).abs() < 1e-6, "{f:?}");
        assert!((f.lo - (7.0 - s5) / 2.0).abs() < 1e-4, "{f:?}");
        assert!((f.hi - (11.0 - s5) / 2.0).abs() < 1e-4, "{f:?}");
        // Outside the interval, the plain virtual value.
        assert!((ironed.value(1.0) + 2.0).abs() < 1e-12);
        assert!((ironed.value(6.0) - 4.0).abs() < 1e-12);
        assert_eq!(ironed.value(3.0), f.value);
    }

    #[test]
    fn ironing_agrees_with_a_brute_force_envelope() {
        // Independent check: the envelope's slope at q is the largest slope of a line through
        // (q, H(q)) lying below H everywhere: min over q' > q of the chord slope is the
        // right-derivative of the envelope, taken on a coarse grid with exact integration.
        let m = irregular();
        let ironed = Ironed::new(&m);
        let n = 2000;
        let big_h = |q: f64| -> f64 {
            // Integrate phi(F^-1(s)) = 8s - 4 and 40(s - 3/4) - 2 exactly.
            let a = q.min(0.75);
            let mut h = 4.0 * a * a - 4.0 * a;
            if q > 0.75 {
                let t = q - 0.75;
                h += 20.0 * t * t - 2.0 * t;
            }
            h
        };
        for k in 1..n - 1 {
            let q = (k as f64 + 0.5) / n as f64;
            let slope_right = (k + 1..=n)
                .map(|j| {
                    let qj = j as f64 / n as f64;
                    (big_h(qj) - big_h(q)) / (qj - q)
                })
                .fold(f64::INFINITY, f64::min);
            let slope_left = (0..=k)
                .map(|j| {
                    let qj = j as f64 / n as f64;
                    (big_h(q) - big_h(qj)) / (q - qj)
                })
                .fold(f64::NEG_INFINITY, f64::max);
            // Where H touches the envelope, phi_bar lies between the one-sided chord slopes.
            let phi_bar = ironed.value(m.quantile(q));
            if slope_left <= slope_right {
                assert!(
                    slope_left - 1e-2 <= phi_bar && phi_bar <= slope_right + 1e-2,
                    "q {q}: {slope_left} <= {phi_bar} <= {slope_right}"
                );
            } else {
                // Strictly inside an ironed interval.
                assert!(
                    (phi_bar - (3.0 - 5f64.sqrt())).abs() < 1e-6,
                    "q {q}: {phi_bar}"
                );
            }
        }
    }

    #[test]
    fn uniform_bidders_get_a_second_price_auction_with_reserve_one_half() {
        // Closed form: n iid U[0,1], revenue (n-1)/(n+1) + 2^-n/(n+1) = 0.53125 for n = 3.
        let u = Marginal::Uniform { lo: 0.0, hi: 1.0 };
        let a = SingleItem::new(&[u.clone(), u.clone(), u]);
        assert_eq!(a.payments(&[0.9, 0.7, 0.2]), vec![0.7, 0.0, 0.0]);
        assert_eq!(a.payments(&[0.9, 0.3, 0.2]), vec![0.5, 0.0, 0.0]);
        assert_eq!(a.revenue(&[0.4, 0.3, 0.2]), 0.0);
        let mut rng = stream_rng(9, Stream::Test);
        let draws = 200_000;
        let total: f64 = (0..draws)
            .map(|_| {
                let v: Vec<f64> = (0..3).map(|_| rand::Rng::random::<f64>(&mut rng)).collect();
                a.revenue(&v)
            })
            .sum();
        // Revenue's standard deviation is below 0.35: 4 SE < 0.0032.
        assert!(
            (total / draws as f64 - 0.53125).abs() < 0.0032,
            "{}",
            total / draws as f64
        );
    }

    #[test]
    fn expected_revenue_matches_closed_forms_and_the_sample_mean() {
        // Closed forms: 3 iid U[0,1]: 0.53125. 3 iid exponential(3): phi = v - 3, so with
        // a = e^-1, E = 3 int_0^a (1 - (1 - x)^3)/x dx = 9a - 4.5a^2 + a^3.
        let u = Marginal::Uniform { lo: 0.0, hi: 1.0 };
        let uniform = SingleItem::new(&[u.clone(), u.clone(), u]);
        assert!((uniform.expected_revenue() - 0.53125).abs() < 1e-7);
        let e = Marginal::exponential(3.0);
        let exp = SingleItem::new(&[e.clone(), e.clone(), e]);
        let a = (-1.0f64).exp();
        let exact = 9.0 * a - 4.5 * a * a + a * a * a;
        assert!(
            (exp.expected_revenue() - exact).abs() < 1e-6,
            "{}",
            exp.expected_revenue()
        );
        // Irregular and asymmetric: the integral against the mean payment on 40,000 draws,
        // an independent estimator (payments, not virtual surplus), within 4 SE.
        let asym: Vec<Marginal> = (1..=5)
            .map(|i| Marginal::Uniform {
                lo: 0.0,
                hi: i as f64,
            })
            .collect();
        for marginals in [vec![irregular(); 3], asym] {
            let a = SingleItem::new(&marginals);
            let mut rng = stream_rng(12, Stream::Test);
            let r: Vec<f64> = (0..40_000)
                .map(|_| {
                    let v: Vec<f64> = marginals.iter().map(|m| m.sample(&mut rng)).collect();
                    a.revenue(&v)
                })
                .collect();
            let (mean, se) = crate::stats::mean_se(&r);
            let exact = a.expected_revenue();
            assert!((mean - exact).abs() < 4.0 * se, "{mean} +- {se} vs {exact}");
        }
    }

    #[test]
    fn ties_on_an_ironed_interval_share_the_item_and_pay_the_reference_closed_form() {
        // Two of three irregular bidders inside the ironed interval, the third above it: the
        // third wins outright and pays (11 - sqrt 5)/2 - 2/(k + 1) with k = 2 tied rivals
        // (reference baseline.py); all three inside: each wins 1/3 and pays (7 - sqrt 5)/2 / 3.
        let a = SingleItem::new(&[irregular(), irregular(), irregular()]);
        let s5 = 5f64.sqrt();
        let p = a.payments(&[3.0, 3.5, 6.0]);
        assert!(p[0] == 0.0 && p[1] == 0.0);
        assert!(
            (p[2] - ((11.0 - s5) / 2.0 - 2.0 / 3.0)).abs() < 1e-4,
            "{p:?}"
        );
        let x = a.allocation(&[3.0, 3.5, 4.0]);
        assert_eq!(x, vec![1.0 / 3.0; 3]);
        let p = a.payments(&[3.0, 3.5, 4.0]);
        for pi in p {
            assert!((pi - (7.0 - s5) / 2.0 / 3.0).abs() < 1e-4, "{pi}");
        }
        // Below the interval and against negative rivals: the reserve value phi_bar^-1(0) = 2.
        let p = a.payments(&[2.2, 1.0, 0.5]);
        assert!((p[0] - 2.0).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn payments_are_truthful_thresholds() {
        // Brute force: with rivals fixed, no report earns a bidder more utility than the truth
        // (value x allocation - payment), on a grid of reports; asymmetric and irregular.
        let marginals = [
            irregular(),
            Marginal::Uniform { lo: 0.0, hi: 2.0 },
            Marginal::exponential(3.0),
        ];
        let a = SingleItem::new(&marginals);
        let mut rng = stream_rng(11, Stream::Test);
        for _ in 0..200 {
            let v: Vec<f64> = marginals.iter().map(|m| m.sample(&mut rng)).collect();
            for i in 0..3 {
                let u = |r: f64| {
                    let mut b = v.clone();
                    b[i] = r;
                    v[i] * a.allocation(&b)[i] - a.payments(&b)[i]
                };
                let truth = u(v[i]);
                assert!(truth >= -1e-9, "IR: {v:?} bidder {i}: {truth}");
                let (lo, hi) = marginals[i].report_range();
                for k in 0..=400 {
                    let r = lo + (hi - lo) * k as f64 / 400.0;
                    assert!(u(r) <= truth + 1e-6, "{v:?} bidder {i} report {r}");
                }
            }
        }
    }
}

//! Interval arithmetic in `f64`, rounded outward, so that every computed interval contains the
//! exact real result of the operation on every point of its operands.
//!
//! - `+`, `-`, `*`, `1/x`: IEEE round-to-nearest is within half an ulp of the exact result,
//!   so moving the lower end one ulp down (`next_down`) and the upper end one ulp up
//!   (`next_up`) encloses it.
//! - `exp`, `tanh`, the sigmoid: the platform's libm is not correctly rounded. glibc documents
//!   a maximum error of 1 ulp for `exp` and 2 ulps for `tanh` on x86-64; the sigmoid
//!   `1 / (1 + exp(-x))` adds two rounded operations. Each end is moved [`TRANSCENDENTAL_ULPS`]
//!   ulps outward, at least twice the documented error, and clamped to the function's range.
//! - Dot products of an interval vector with exact weights ([`dot`]) use the midpoint-radius
//!   form with Higham's bound on the rounding error of a recursively summed dot product
//!   (|fl(x.y) - x.y| <= gamma_n |x|.|y|, gamma_n = n u / (1 - n u), "Accuracy and Stability of
//!   Numerical Algorithms", 2nd ed., eq. 3.5), inflated for the rounding of the bound itself
//!   and for underflow.

/// Ulps each end of a transcendental function's result is moved outward.
pub const TRANSCENDENTAL_ULPS: u32 = 4;

/// The unit roundoff of `f64`, `2^-53`.
const U: f64 = f64::EPSILON / 2.0;

/// An absolute slack covering underflow in a dot product's products (gradual underflow loses
/// at most `2^-1074` per operation; this is far above any sum of those).
const UNDERFLOW: f64 = 1e-290;

/// The neighbouring floats of an `f64` (`f64::next_up` and `next_down` need Rust 1.86; the
/// workspace supports 1.85).
pub trait Ulp {
    /// The least float above (infinity and NaN unchanged).
    fn ulp_up(self) -> f64;
    /// The greatest float below.
    fn ulp_down(self) -> f64;
}

impl Ulp for f64 {
    fn ulp_up(self) -> f64 {
        if self.is_nan() || self == f64::INFINITY {
            self
        } else if self == 0.0 {
            f64::from_bits(1)
        } else if self > 0.0 {
            f64::from_bits(self.to_bits() + 1)
        } else {
            f64::from_bits(self.to_bits() - 1)
        }
    }
    fn ulp_down(self) -> f64 {
        -(-self).ulp_up()
    }
}

fn down(x: f64, ulps: u32) -> f64 {
    (0..ulps).fold(x, |x, _| x.ulp_down())
}

fn up(x: f64, ulps: u32) -> f64 {
    (0..ulps).fold(x, |x, _| x.ulp_up())
}

/// A closed interval `[lo, hi]` of reals (`lo <= hi`, both finite unless an operation
/// overflowed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Iv {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Iv {
    /// `[lo, hi]`.
    pub fn new(lo: f64, hi: f64) -> Iv {
        debug_assert!(lo <= hi, "[{lo}, {hi}]");
        Iv { lo, hi }
    }

    /// The degenerate interval `[x, x]`.
    pub fn point(x: f64) -> Iv {
        Iv { lo: x, hi: x }
    }

    /// The smallest interval holding both.
    pub fn hull(self, o: Iv) -> Iv {
        Iv::new(self.lo.min(o.lo), self.hi.max(o.hi))
    }

    /// Whether `x` lies in the interval.
    pub fn contains(self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// The largest absolute value in the interval.
    pub fn mag(self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }

    /// Sum.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, o: Iv) -> Iv {
        Iv::new(down(self.lo + o.lo, 1), up(self.hi + o.hi, 1))
    }

    /// Difference.
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, o: Iv) -> Iv {
        Iv::new(down(self.lo - o.hi, 1), up(self.hi - o.lo, 1))
    }

    /// Product.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, o: Iv) -> Iv {
        let p = [
            self.lo * o.lo,
            self.lo * o.hi,
            self.hi * o.lo,
            self.hi * o.hi,
        ];
        let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Iv::new(down(lo, 1), up(hi, 1))
    }

    /// Product with an exact number.
    pub fn scale(self, c: f64) -> Iv {
        self.mul(Iv::point(c))
    }

    /// `1 / x` for an interval of positive numbers.
    pub fn recip_pos(self) -> Iv {
        debug_assert!(self.lo > 0.0);
        Iv::new(down(1.0 / self.hi, 1), up(1.0 / self.lo, 1))
    }

    /// `exp`.
    pub fn exp(self) -> Iv {
        Iv::new(
            down(self.lo.exp(), TRANSCENDENTAL_ULPS).max(0.0),
            up(self.hi.exp(), TRANSCENDENTAL_ULPS),
        )
    }

    /// `tanh` (increasing).
    pub fn tanh(self) -> Iv {
        Iv::new(
            down(self.lo.tanh(), TRANSCENDENTAL_ULPS).max(-1.0),
            up(self.hi.tanh(), TRANSCENDENTAL_ULPS).min(1.0),
        )
    }

    /// `1 - t^2` for `t` in the interval (the derivative of tanh at `atanh(t)`).
    pub fn one_minus_sq(self) -> Iv {
        let (a, b) = (self.lo.abs(), self.hi.abs());
        let max_sq = up(a.max(b) * a.max(b), 1);
        let min_sq = if self.lo <= 0.0 && self.hi >= 0.0 {
            0.0
        } else {
            down(a.min(b) * a.min(b), 1)
        };
        Iv::new(down(1.0 - max_sq, 1), up(1.0 - min_sq, 1))
    }

    /// The logistic sigmoid `1 / (1 + exp(-x))` (increasing).
    pub fn sigmoid(self) -> Iv {
        let s = |x: f64| 1.0 / (1.0 + (-x).exp());
        Iv::new(
            down(s(self.lo), 2 * TRANSCENDENTAL_ULPS).max(0.0),
            up(s(self.hi), 2 * TRANSCENDENTAL_ULPS).min(1.0),
        )
    }

    /// `s (1 - s)` for `s` in the interval, a sub-interval of `[0, 1]` (the sigmoid's
    /// derivative at the logit of `s`; largest, 1/4, at `s = 1/2`).
    pub fn logistic_slope(self) -> Iv {
        let g = |s: f64| s * (1.0 - s);
        let (a, b) = (g(self.lo), g(self.hi));
        let hi = if self.lo <= 0.5 && self.hi >= 0.5 {
            0.25
        } else {
            up(a.max(b), 2)
        };
        Iv::new(down(a.min(b), 2).max(0.0), hi)
    }

    /// `min(a, b)` for `a` and `b` in the two intervals.
    pub fn min(self, o: Iv) -> Iv {
        Iv::new(self.lo.min(o.lo), self.hi.min(o.hi))
    }
}

/// `sum_i w_i x_i + bias` for `x_i` in the intervals `[mid_i - rad_i, mid_i + rad_i]` and exact
/// weights `w` (the midpoint-radius form; module docs for the rounding bound).
pub fn dot(w: &[f64], mid: &[f64], rad: &[f64], bias: f64) -> Iv {
    debug_assert_eq!(w.len(), mid.len());
    let (mut c, mut a, mut r) = (bias, bias.abs(), 0.0f64);
    for ((&w, &m), &q) in w.iter().zip(mid).zip(rad) {
        c += w * m;
        a += w.abs() * m.abs();
        r += w.abs() * q;
    }
    let n = (w.len() + 1) as f64;
    // gamma_n for the sums (each term a product, then added), doubled to cover the rounding of
    // this bound and of the computed sums of absolute values (<= (1 - gamma_n)^-1 too small).
    let gamma = 2.0 * (n + 1.0) * U / (1.0 - (n + 1.0) * U);
    let radius = up(r + gamma * (a + r) + UNDERFLOW, 2);
    Iv::new(down(c - radius, 1), up(c + radius, 1))
}

/// Midpoints and radii of intervals: `[mid - rad, mid + rad]` holds each.
pub fn mid_rad(x: &[Iv]) -> (Vec<f64>, Vec<f64>) {
    x.iter()
        .map(|v| {
            let m = 0.5 * v.lo + 0.5 * v.hi;
            let r = up((v.hi - m).max(m - v.lo), 1);
            (m, r)
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use regretnet_core::rng::{stream_rng, Stream};

    /// A random interval and a point in it.
    fn sample<R: Rng>(rng: &mut R, scale: f64) -> (Iv, f64) {
        let a = rng.random_range(-scale..scale);
        let b = a + rng.random_range(0.0..scale);
        let t = rng.random_range(0.0..=1.0);
        (Iv::new(a, b), a + t * (b - a))
    }

    #[test]
    fn every_operation_contains_its_result_on_points_of_its_operands() {
        // Independent check: the plain f64 result at points inside the operands lies in the
        // computed interval (outward rounding makes that hold even at the ends).
        let mut rng = stream_rng(7, Stream::Test);
        for _ in 0..20_000 {
            let (x, px) = sample(&mut rng, 8.0);
            let (y, py) = sample(&mut rng, 8.0);
            assert!(x.add(y).contains(px + py));
            assert!(x.sub(y).contains(px - py));
            assert!(x.mul(y).contains(px * py));
            assert!(x.exp().contains(px.exp()));
            assert!(x.tanh().contains(px.tanh()));
            let t = px.tanh();
            assert!(x.tanh().one_minus_sq().contains(1.0 - t * t));
            let s = 1.0 / (1.0 + (-px).exp());
            assert!(x.sigmoid().contains(s));
            assert!(x.sigmoid().logistic_slope().contains(s * (1.0 - s)));
            assert!(x.min(y).contains(px.min(py)));
            if x.lo > 0.0 {
                assert!(x.recip_pos().contains(1.0 / px));
            }
        }
    }

    #[test]
    fn neighbouring_floats_are_one_ulp_away() {
        for x in [0.0, -0.0, 1.0, -1.0, 1e-310, -1e-310, 3.5e300, f64::MAX] {
            let (u, d) = (x.ulp_up(), x.ulp_down());
            assert!(u > x && d < x, "{x}");
            // Nothing between: the midpoints round back to an end.
            let mid = 0.5 * x + 0.5 * u;
            assert!(mid == x || mid == u);
        }
        assert_eq!(f64::INFINITY.ulp_up(), f64::INFINITY);
    }

    #[test]
    fn dots_contain_the_exact_dot_product() {
        // Exact reference: the products of small integers over 2^10 are exact in f64 and so
        // is their sum, so the true value is known.
        let mut rng = stream_rng(3, Stream::Test);
        for _ in 0..2_000 {
            let n = rng.random_range(1..200);
            let w: Vec<f64> = (0..n)
                .map(|_| rng.random_range(-512i32..512) as f64 / 1024.0)
                .collect();
            let x: Vec<Iv> = (0..n)
                .map(|_| {
                    let lo = rng.random_range(-512i32..512) as f64 / 1024.0;
                    Iv::new(lo, lo + rng.random_range(0i32..64) as f64 / 1024.0)
                })
                .collect();
            let (mid, rad) = mid_rad(&x);
            let d = dot(&w, &mid, &rad, 0.25);
            let (mut lo, mut hi) = (0.25, 0.25);
            for (w, x) in w.iter().zip(&x) {
                lo += (w * x.lo).min(w * x.hi);
                hi += (w * x.lo).max(w * x.hi);
            }
            assert!(d.lo <= lo && hi <= d.hi, "[{lo}, {hi}] not in {d:?}");
            // And tight: the overestimate is rounding-sized.
            assert!(d.hi - hi < 1e-12 && lo - d.lo < 1e-12);
        }
    }
}

//! First-order affine forms over a box: `x = c + g . eps + delta` with `eps` in `[-1, 1]^2` (the
//! box's two coordinates, `b_t = centre_t + radius_t eps_t`) and `|delta| <= e`.
//!
//! Linear maps act on the form exactly, so the dependency on the two report coordinates is
//! tracked through every layer instead of being lost as with intervals. Each nonlinearity
//! (tanh, exp, `1/x`, products, `min`) is replaced by its best linear approximation on the
//! operand's range, chosen by the chord, plus the largest deviation from it, which joins `e`.
//! That deviation is second order in the range's width, so the upper bound `c + |g|_1 + e` of
//! a utility over a box of half-width `r` has slack `O(r^2)`: a tolerance of 1e-4 needs boxes of
//! width about 1e-2 near a maximiser, not 1e-4 (the zonotope domain of DeepZ, Singh et al.,
//! NeurIPS 2018, restricted to the input's two symbols).
//!
//! Soundness in floating point: every operation adds to `e` a bound on its own rounding error
//! (Higham's `gamma_n` for sums of `n` terms, doubled), and the deviation of a linearised
//! function is computed at the ends of the range and at its critical points, then widened by
//! `DEVIATION_MARGIN` (relative to the magnitudes involved) for the libm error of the
//! function's evaluation and for the rounding of the computed critical points (the deviation is
//! stationary there, so that error enters squared).

use crate::certify::interval::Ulp;

/// Unit roundoff of `f64`.
const U: f64 = f64::EPSILON / 2.0;

/// Relative widening of a linearisation's deviation (libm's few ulps, with room to spare),
/// plus an absolute floor.
const DEVIATION_MARGIN: f64 = 64.0 * f64::EPSILON;
const ABS_FLOOR: f64 = 1e-300;

/// `gamma_n` of Higham (3.4), doubled for the rounding of the bound itself.
pub(crate) fn gamma(n: usize) -> f64 {
    let nu = (n as f64 + 1.0) * U;
    2.0 * nu / (1.0 - nu)
}

/// An affine form over the box's two symbols (module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aff {
    /// Centre.
    pub c: f64,
    /// Coefficients of the two symbols.
    pub g: [f64; 2],
    /// Bound on the remainder (>= 0).
    pub e: f64,
}

impl Aff {
    /// A constant.
    pub fn constant(c: f64) -> Aff {
        Aff {
            c,
            g: [0.0; 2],
            e: 0.0,
        }
    }

    /// Coordinate `t` of a box `[centre - radius, centre + radius]`.
    pub fn coordinate(centre: f64, radius: f64, t: usize) -> Aff {
        let mut g = [0.0; 2];
        g[t] = radius;
        Aff {
            c: centre,
            g,
            e: 0.0,
        }
    }

    fn spread(&self) -> f64 {
        self.g[0].abs() + self.g[1].abs()
    }

    /// The largest value the form takes (rounded up).
    pub fn hi(&self) -> f64 {
        let s = self.spread() + self.e;
        (self.c + s * (1.0 + gamma(3))).ulp_up()
    }

    /// The smallest value the form takes (rounded down).
    pub fn lo(&self) -> f64 {
        let s = self.spread() + self.e;
        (self.c - s * (1.0 + gamma(3))).ulp_down()
    }

    /// Sum.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, o: Aff) -> Aff {
        let c = self.c + o.c;
        let g = [self.g[0] + o.g[0], self.g[1] + o.g[1]];
        let round = gamma(1) * (c.abs() + g[0].abs() + g[1].abs());
        Aff {
            c,
            g,
            e: (self.e + o.e + round) * (1.0 + gamma(2)) + ABS_FLOOR,
        }
    }

    /// Difference.
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, o: Aff) -> Aff {
        self.add(o.scale(-1.0))
    }

    /// Product with an exact number.
    pub fn scale(self, k: f64) -> Aff {
        let c = k * self.c;
        let g = [k * self.g[0], k * self.g[1]];
        let round = gamma(1) * (c.abs() + g[0].abs() + g[1].abs());
        Aff {
            c,
            g,
            e: (k.abs() * self.e + round) * (1.0 + gamma(2)) + ABS_FLOOR,
        }
    }

    /// `alpha x + beta` with an extra remainder `delta`.
    fn affine_map(self, alpha: f64, beta: f64, delta: f64) -> Aff {
        let c = alpha * self.c + beta;
        let g = [alpha * self.g[0], alpha * self.g[1]];
        let round = gamma(2) * (c.abs() + beta.abs() + g[0].abs() + g[1].abs());
        Aff {
            c,
            g,
            e: (alpha.abs() * self.e + delta + round) * (1.0 + gamma(2)) + ABS_FLOOR,
        }
    }

    /// Product of two forms: the cross term of the symbols and the remainders joins `e`.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, o: Aff) -> Aff {
        let c = self.c * o.c;
        let g = [
            self.c * o.g[0] + o.c * self.g[0],
            self.c * o.g[1] + o.c * self.g[1],
        ];
        let cross = (self.spread() + self.e) * (o.spread() + o.e);
        let round = gamma(2)
            * (c.abs()
                + (self.c * o.g[0]).abs()
                + (o.c * self.g[0]).abs()
                + (self.c * o.g[1]).abs()
                + (o.c * self.g[1]).abs());
        Aff {
            c,
            g,
            e: (self.c.abs() * o.e + o.c.abs() * self.e + cross + round) * (1.0 + gamma(4))
                + ABS_FLOOR,
        }
    }

    /// `f(x)` for a function `f` with derivative `df`, linearised by the chord on the form's
    /// range `[lo, hi]` (clipped to `domain`): `f(x) = alpha x + beta + d`, `|d| <= delta`, with
    /// the deviation `f(x) - alpha x` examined at the ends and at `critical(alpha)`, the points
    /// `(x, f(x))` where `df = alpha` (given in closed form: the deviation is stationary there,
    /// so the rounding of `x` enters squared).
    fn linearise(
        self,
        domain: (f64, f64),
        f: impl Fn(f64) -> f64,
        df: impl Fn(f64) -> f64,
        critical: impl Fn(f64) -> [Option<(f64, f64)>; 2],
    ) -> Aff {
        let lo = self.lo().max(domain.0);
        let hi = self.hi().min(domain.1).max(lo);
        let (flo, fhi) = (f(lo), f(hi));
        let alpha = if hi - lo > 1e-9 * (1.0 + lo.abs().max(hi.abs())) {
            (fhi - flo) / (hi - lo)
        } else {
            df(0.5 * lo + 0.5 * hi)
        };
        let (mut dmin, mut dmax) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut scale = 0.0f64;
        let ends = [Some((lo, flo)), Some((hi, fhi))];
        for (x, fx) in ends
            .into_iter()
            .chain(critical(alpha))
            .flatten()
            .filter(|&(x, _)| x >= lo && x <= hi)
        {
            let d = fx - alpha * x;
            dmin = dmin.min(d);
            dmax = dmax.max(d);
            scale = scale.max(fx.abs() + (alpha * x).abs());
        }
        let beta = 0.5 * dmin + 0.5 * dmax;
        let delta = 0.5 * (dmax - dmin) + DEVIATION_MARGIN * scale + ABS_FLOOR;
        self.affine_map(alpha, beta, delta)
    }

    /// `tanh`.
    pub fn tanh(self) -> Aff {
        self.linearise(
            (f64::NEG_INFINITY, f64::INFINITY),
            f64::tanh,
            |x| 1.0 - x.tanh() * x.tanh(),
            |alpha| {
                // 1 - tanh(x)^2 = alpha at x = +-atanh(t), t = sqrt(1 - alpha), for
                // 0 < alpha < 1; tanh there is +-t.
                if alpha > 0.0 && alpha < 1.0 {
                    let t = (1.0 - alpha).sqrt();
                    let x = t.atanh();
                    [Some((x, t)), Some((-x, -t))]
                } else {
                    [None, None]
                }
            },
        )
    }

    /// The logistic sigmoid, `(1 + tanh(x / 2)) / 2`.
    pub fn sigmoid(self) -> Aff {
        self.scale(0.5).tanh().affine_map(0.5, 0.5, 0.0)
    }

    /// `exp` (its argument's range is capped at 700, beyond which `exp` overflows; callers
    /// keep their arguments below that).
    pub fn exp(self) -> Aff {
        self.linearise(
            (f64::NEG_INFINITY, 700.0),
            f64::exp,
            f64::exp,
            // exp(x) = alpha at x = ln(alpha).
            |alpha| [(alpha > 0.0).then(|| (alpha.ln(), alpha)), None],
        )
    }

    /// `1 / x` for a form whose true values are at least `floor > 0`.
    pub fn recip(self, floor: f64) -> Aff {
        self.linearise(
            (floor, f64::INFINITY),
            |x| 1.0 / x,
            |x| -1.0 / (x * x),
            // -1 / x^2 = alpha at x = 1 / sqrt(-alpha), where 1 / x = sqrt(-alpha).
            |alpha| {
                [
                    (alpha < 0.0).then(|| ((-alpha).sqrt().recip(), (-alpha).sqrt())),
                    None,
                ]
            },
        )
    }

    /// `max(0, x)`, by the chord through `(lo, 0)` and `(hi, hi)` when the range straddles 0.
    pub fn relu(self) -> Aff {
        let (lo, hi) = (self.lo(), self.hi());
        if lo >= 0.0 {
            self
        } else if hi <= 0.0 {
            Aff::constant(0.0)
        } else {
            // relu(x) - lambda x lies in [-lambda hi ... ] : between lambda x (below) and
            // lambda (x - lo) (above) with lambda = hi / (hi - lo).
            let lambda = hi / (hi - lo);
            let mu = -0.5 * lambda * lo;
            let scale = lambda.abs() * lo.abs().max(hi.abs());
            self.affine_map(lambda, mu, mu + DEVIATION_MARGIN * scale + ABS_FLOOR)
        }
    }

    /// `min(x, y)`, as `x - relu(x - y)`.
    pub fn min(self, o: Aff) -> Aff {
        self.sub(self.sub(o).relu())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::Rng;
    use regretnet_core::rng::{stream_rng, Stream};

    /// A random form and the value at a random point of its box (the remainder at a random
    /// point of its range).
    pub(crate) fn sample<R: Rng>(rng: &mut R, scale: f64) -> (Aff, [f64; 2], f64) {
        let a = Aff {
            c: rng.random_range(-scale..scale),
            g: [
                rng.random_range(-scale..scale) * 0.3,
                rng.random_range(-scale..scale) * 0.3,
            ],
            e: rng.random_range(0.0..scale * 0.1),
        };
        let eps = [rng.random_range(-1.0..=1.0), rng.random_range(-1.0..=1.0)];
        let d = rng.random_range(-1.0..=1.0) * a.e;
        (a, eps, a.c + a.g[0] * eps[0] + a.g[1] * eps[1] + d)
    }

    /// Whether the form, at the symbols `eps`, can take the value `x`.
    pub(crate) fn holds(a: &Aff, eps: [f64; 2], x: f64) -> bool {
        let at = a.c + a.g[0] * eps[0] + a.g[1] * eps[1];
        (x - at).abs() <= a.e * (1.0 + 1e-12) + 1e-15 * (1.0 + at.abs())
    }

    #[test]
    fn every_operation_encloses_its_result_at_the_same_symbols() {
        // Independent check: evaluate each function at a point the operands can take, with the
        // same eps for both; the result form at that eps must admit the value.
        let mut rng = stream_rng(5, Stream::Test);
        for _ in 0..20_000 {
            let (x, eps, px) = sample(&mut rng, 3.0);
            let (y, _, _) = sample(&mut rng, 3.0);
            // y at the same eps: pick its remainder point independently.
            let dy = rng.random_range(-1.0..=1.0) * y.e;
            let py = y.c + y.g[0] * eps[0] + y.g[1] * eps[1] + dy;
            assert!(holds(&x.add(y), eps, px + py));
            assert!(holds(&x.sub(y), eps, px - py));
            assert!(holds(&x.mul(y), eps, px * py));
            assert!(holds(&x.scale(-1.7), eps, -1.7 * px));
            assert!(holds(&x.tanh(), eps, px.tanh()));
            assert!(holds(&x.sigmoid(), eps, 1.0 / (1.0 + (-px).exp())));
            assert!(holds(&x.exp(), eps, px.exp()));
            assert!(holds(&x.relu(), eps, px.max(0.0)));
            assert!(holds(&x.min(y), eps, px.min(py)));
            if px >= 0.5 {
                assert!(holds(&x.recip(0.5), eps, 1.0 / px));
            }
        }
    }

    #[test]
    fn a_smooth_function_s_remainder_is_second_order_in_the_width() {
        // Halving the box quarters the linearisation remainder of tanh (plus rounding).
        let e = |r: f64| Aff::coordinate(0.3, r, 0).tanh().e;
        let (a, b) = (e(0.1), e(0.05));
        assert!(b < 0.3 * a && b > 0.2 * a, "{a} -> {b}");
        assert!(Aff::coordinate(0.3, 0.1, 0).tanh().hi() >= (0.4f64).tanh());
    }
}

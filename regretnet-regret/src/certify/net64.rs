//! A trained [`RegretNet`] in `f64` affine arithmetic ([`super::affine`]): for bidder `k`'s
//! report ranging over a box (the other bidders truthful), affine enclosures of `k`'s
//! allocation and payment fraction as functions of the report, and from those, of `k`'s
//! utility.
//!
//! The weights are the network's `f32` weights, exactly representable in `f64`: what is bounded
//! is the mechanism those weights define in real arithmetic. The network as run in `f32`
//! differs from it by rounding (relative 1e-7 or so), which no regret estimate here resolves.
//!
//! The heads: the additive allocation `a_kj = 1 / (1 + sum_{l != k} exp(z_lj - z_kj))` over the
//! `n + 1` rows of item `j`'s column (the dummy bidder included); unit demand the minimum of
//! that and the item softmax of bidder `k`'s row (`min(x, y) = x - max(0, x - y)`); the
//! payment fraction `sigmoid(s_k)`. A share's interval bound replaces its form where the
//! interval is narrower than the form's remainder (shares near 0 or 1), and wherever an
//! exponent may exceed 600, so that `exp` never overflows.

use crate::certify::interval::Ulp;
use regretnet_core::ValuationKind;
use regretnet_nets::{Mlp, RegretNet};

use crate::certify::affine::{gamma as affine_gamma, Aff};
use crate::error::{RegretError, Result};

/// One affine layer, `W` as `[in][out]` (rows contiguous) in `f64`.
#[derive(Debug, Clone)]
struct Layer64 {
    w: Vec<f64>,
    bias: Vec<f64>,
    /// `sum_i |W_io| + |b_o|` per output: scales the rounding bound.
    abs_sums: Vec<f64>,
}

impl Layer64 {
    fn new(dense: &regretnet_nets::mlp::Dense) -> Result<Self> {
        let w = dense.weight.as_tensor().to_vec2::<f32>()?;
        let bias: Vec<f64> = dense
            .bias
            .as_tensor()
            .to_vec1::<f32>()?
            .into_iter()
            .map(f64::from)
            .collect();
        let w: Vec<f64> = w.into_iter().flatten().map(f64::from).collect();
        Ok(Layer64::from_parts(w, bias))
    }

    /// A layer of weights `w` (`[in][out]`, flat) and biases.
    fn from_parts(w: Vec<f64>, bias: Vec<f64>) -> Self {
        let mut abs_sums: Vec<f64> = bias.iter().map(|b| b.abs()).collect();
        for row in w.chunks_exact(bias.len().max(1)) {
            for (s, x) in abs_sums.iter_mut().zip(row) {
                *s += x.abs();
            }
        }
        // Rounded sums of non-negative terms: inflate for their own rounding.
        let grow = 1.0 + affine_gamma(w.len() / bias.len().max(1) + 1);
        abs_sums.iter_mut().for_each(|s| *s *= grow);
        Layer64 { w, bias, abs_sums }
    }

    /// `x W + b` on forms, accumulated input by input over all outputs at once (the loop
    /// over outputs vectorises); the rounding bound is Higham's for a dot product, which holds
    /// for any order of summation.
    fn apply(&self, x: &[Aff]) -> Vec<Aff> {
        let out = self.bias.len();
        let mut c = self.bias.clone();
        let mut g0 = vec![0.0f64; out];
        let mut g1 = vec![0.0f64; out];
        let mut e = vec![0.0f64; out];
        // Every term's magnitude |w| (|c_i| + |g_i|_1 + e_i) is at most |w| times the largest
        // input magnitude, so the rounding bound scales with the weights' absolute sums.
        let mut largest = 1.0f64;
        for (xi, row) in x.iter().zip(self.w.chunks_exact(out)) {
            largest = largest.max(xi.c.abs() + xi.g[0].abs() + xi.g[1].abs() + xi.e);
            if xi.g == [0.0; 2] && xi.e == 0.0 {
                for (co, &w) in c.iter_mut().zip(row) {
                    *co += w * xi.c;
                }
                continue;
            }
            for o in 0..out {
                let w = row[o];
                c[o] += w * xi.c;
                g0[o] += w * xi.g[0];
                g1[o] += w * xi.g[1];
                e[o] += w.abs() * xi.e;
            }
        }
        let gm = affine_gamma(x.len() + 1);
        let largest = largest * (1.0 + affine_gamma(4));
        (0..out)
            .map(|o| Aff {
                c: c[o],
                g: [g0[o], g1[o]],
                e: (e[o] + gm * largest * self.abs_sums[o]) * (1.0 + gm) + 1e-300,
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Mlp64 {
    hidden: Vec<Layer64>,
    out: Layer64,
}

impl Mlp64 {
    fn new(mlp: &Mlp) -> Result<Self> {
        Ok(Mlp64 {
            hidden: mlp.hidden.iter().map(Layer64::new).collect::<Result<_>>()?,
            out: Layer64::new(&mlp.output)?,
        })
    }

    fn forward(&self, x: Vec<Aff>) -> Vec<Aff> {
        let h = self
            .hidden
            .iter()
            .fold(x, |h, l| l.apply(&h).into_iter().map(Aff::tanh).collect());
        self.out.apply(&h)
    }
}

/// How a bidder's payment is bounded over a box.
#[derive(Debug, Clone)]
pub enum PayBound {
    /// RegretNet's payment `f * sum_j a_j b_j`, by the form of the fraction `f`.
    Fraction(Aff),
    /// A payment bounded directly (closed-form mechanisms).
    Direct(Aff),
}

/// Bidder `k`'s outcome over a box of its reports, as affine forms over the box's symbols.
#[derive(Debug, Clone)]
pub struct BoxOutcome {
    /// Probability of each item.
    pub a: Vec<Aff>,
    /// The payment.
    pub pay: PayBound,
}

/// A RegretNet in `f64`, for bounding (module docs).
#[derive(Debug, Clone)]
pub struct Net64 {
    bidders: usize,
    items: usize,
    valuation: ValuationKind,
    alloc: Mlp64,
    pay: Mlp64,
}

/// The share `1 / (1 + sum_{q != l} exp(z_q - z_l))` of entry `l` of a softmax over `z`: the
/// affine form, or the interval bound as a constant form where its whole width is below the
/// form's remainder (a share near 0 or 1, where linearising `exp` over a wide range loses more
/// than the share's size).
fn share(z: &[Aff], l: usize) -> Aff {
    let diffs: Vec<Aff> = (0..z.len())
        .filter(|&q| q != l)
        .map(|q| z[q].sub(z[l]))
        .collect();
    // The interval bound: the share is decreasing in every difference.
    let den = |end: fn(&Aff) -> f64, round: fn(f64) -> f64| {
        diffs.iter().fold(1.0f64, |s, d| {
            let x = end(d).min(700.0);
            round(s + round(x.exp()))
        })
    };
    let lo = (1.0 / den(|d| d.hi(), |x| x.ulp_up().ulp_up()))
        .ulp_down()
        .max(0.0);
    let hi = (1.0 / den(|d| d.lo(), |x| x.ulp_down().ulp_down()))
        .ulp_up()
        .min(1.0);
    let interval = Aff {
        c: 0.5 * lo + 0.5 * hi,
        g: [0.0; 2],
        e: (0.5 * (hi - lo)).ulp_up().ulp_up(),
    };
    if diffs.iter().any(|d| d.hi() > 600.0) {
        return interval;
    }
    let form = diffs
        .iter()
        .fold(Aff::constant(1.0), |s, d| s.add(d.exp()))
        .recip(1.0);
    // The form keeps the share's first-order dependence on the report (which cancels in the
    // utility); the interval only wins where its whole width is below the form's remainder.
    if hi - lo < 2.0 * form.e {
        interval
    } else {
        form
    }
}

impl Net64 {
    /// The network's weights in `f64`. Combinatorial bidders are refused: their head is not
    /// bounded here.
    pub fn new(net: &RegretNet) -> Result<Self> {
        if net.valuation() == ValuationKind::Combinatorial {
            return Err(RegretError::Unsupported(
                "certified regret is implemented for additive and unit-demand bidders, not the \
                 combinatorial head"
                    .into(),
            ));
        }
        if net.base().is_some() {
            return Err(RegretError::Unsupported(
                "certified regret is not implemented for a RegretNet on a truthful base \
                 (net.base): its bound covers the MLPs' logits only"
                    .into(),
            ));
        }
        Ok(Net64 {
            bidders: net.bidders(),
            items: net.items(),
            valuation: net.valuation(),
            alloc: Mlp64::new(net.alloc_net())?,
            pay: Mlp64::new(net.pay_net())?,
        })
    }

    /// Bidders.
    pub fn bidders(&self) -> usize {
        self.bidders
    }

    /// Items (values per bidder).
    pub fn items(&self) -> usize {
        self.items
    }

    /// Bidder `k`'s outcome when its report is the form `report` (one per item) and the others
    /// report as in `profile` (flat `[n * m]`).
    pub fn outcome(&self, profile: &[f64], k: usize, report: &[Aff]) -> BoxOutcome {
        let (n, m) = (self.bidders, self.items);
        let mut x: Vec<Aff> = profile.iter().map(|&v| Aff::constant(v)).collect();
        x[k * m..(k + 1) * m].copy_from_slice(report);
        let logits = self.alloc.forward(x.clone());
        let s = self.pay.forward(x);
        let cols = m + 1;
        let mut a = Vec::with_capacity(m);
        for j in 0..m {
            let column: Vec<Aff> = (0..=n).map(|l| logits[l * cols + j]).collect();
            let p = share(&column, k);
            a.push(match self.valuation {
                ValuationKind::UnitDemand => {
                    let block = (n + 1) * cols;
                    let row: Vec<Aff> = (0..cols).map(|q| logits[block + k * cols + q]).collect();
                    p.min(share(&row, j))
                }
                _ => p,
            });
        }
        BoxOutcome {
            a,
            pay: PayBound::Fraction(s[k].sigmoid()),
        }
    }
}

/// Bidder `k`'s utility `sum_j a_j v_j - pay` as a form over the box, with `report` the forms
/// of its reports; RegretNet's payment is `f sum_j a_j b_j`.
pub fn utility(o: &BoxOutcome, v: &[f64], report: &[Aff]) -> Aff {
    let mut value = Aff::constant(0.0);
    let mut reported = Aff::constant(0.0);
    for ((a, &vj), bj) in o.a.iter().zip(v).zip(report) {
        value = value.add(a.scale(vj));
        reported = reported.add(a.mul(*bj));
    }
    match &o.pay {
        PayBound::Fraction(f) => value.sub(f.mul(reported)),
        PayBound::Direct(p) => value.sub(*p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certify::affine::tests::{holds, sample};
    use rand::Rng;
    use regretnet_core::rng::{stream_rng, Stream};

    #[test]
    fn a_layer_encloses_its_affine_map_at_the_same_symbols() {
        // Independent check: the plain f64 value of x W + b at a point the inputs can take
        // lies in each output form at the same symbols.
        let mut rng = stream_rng(9, Stream::Test);
        let layer = Layer64::from_parts(vec![0.3, -1.25, 2.0, 0.5, -0.75, 1.5], vec![0.5, -0.1]);
        for _ in 0..5_000 {
            let (x, eps, px) = sample(&mut rng, 3.0);
            let (y, _, _) = sample(&mut rng, 3.0);
            let dy = rng.random_range(-1.0..=1.0) * y.e;
            let py = y.c + y.g[0] * eps[0] + y.g[1] * eps[1] + dy;
            let z = Aff::constant(0.25);
            let out = layer.apply(&[x, y, z]);
            assert!(holds(&out[0], eps, 0.3 * px + 2.0 * py - 0.75 * 0.25 + 0.5));
            assert!(holds(
                &out[1],
                eps,
                -1.25 * px + 0.5 * py + 1.5 * 0.25 - 0.1
            ));
        }
    }
}

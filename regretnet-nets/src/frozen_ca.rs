//! The combinatorial 2x2 head's utility and input gradient by hand, for [`FrozenNet`].
//!
//! Bidder `k`'s row of a report profile is its type `x = (x_1, x_2, C)`; the nets read the
//! bundle values `(x_1, x_2, x_1 + x_2 + C)` ([`crate::heads::combinatorial_input`]). With
//! `I1, I2` the two item softmaxes (5-way), `B_k` bidder `k`'s package softmax (3-way) and the
//! bundle shares
//!
//! ```text
//! A_1 = min(I1[k], B_k[0]),  A_2 = min(I2[k], B_k[1]),  A_3 = min(min(I1[2+k], I2[2+k]), B_k[2])
//! ```
//!
//! bidder `k` with true bundle values `w` and reported ones `y` gets
//! `u = sum_p A_p (w_p - sigma y_p)`, `sigma` its payment sigmoid. So
//! `du/dA_p = G_p = w_p - sigma y_p` flows through each min to the smaller side (half to each
//! at a tie, as candle's `minimum`), then through each softmax as `dz_i = P_i (g_i - sum P g)`;
//! `du/ds_k = -sigma (1 - sigma) sum_p A_p y_p`; the payment's direct term is
//! `du/dy_p = -sigma A_p`; and a gradient `d` on the bundle values maps to the type as
//! `(d_1 + d_3, d_2 + d_3, d_3)`. Tested against candle's autograd.

use candle_core::{Device, Tensor};

use crate::error::{NetsError, Result};
use crate::frozen::{FrozenNet, OwnUtility};
use crate::heads::COMBINATORIAL_LOGITS;

/// Softmax of `z` into `p`.
fn softmax(z: &[f32], p: &mut [f32]) {
    let max = z.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0f32;
    for (p, &x) in p.iter_mut().zip(z) {
        *p = (x - max).exp();
        sum += *p;
    }
    p.iter_mut().for_each(|p| *p /= sum);
}

/// Softmax backward: `dz_i = p_i (g_i - sum_j p_j g_j)`.
fn softmax_back(p: &[f32], g: &[f32], dz: &mut [f32]) {
    let dot: f32 = p.iter().zip(g).map(|(p, g)| p * g).sum();
    for ((d, &p), &g) in dz.iter_mut().zip(p).zip(g) {
        *d = p * (g - dot);
    }
}

/// `min(a, b)` and the share of its gradient that goes to `a`.
fn min_share(a: f32, b: f32) -> (f32, f32) {
    if a < b {
        (a, 1.0)
    } else if a > b {
        (b, 0.0)
    } else {
        (a, 0.5)
    }
}

/// Bundle values `(x_1, x_2, x_1 + x_2 + C)` of a type row.
fn bundles(t: &[f32]) -> [f32; 3] {
    [t[0], t[1], t[0] + t[1] + t[2]]
}

impl FrozenNet {
    /// [`FrozenNet::own_utility_and_grad`] for the combinatorial head: rows of 2 bidders x 3
    /// type values, gradients with respect to the whole own type row (`C` included; the search
    /// pins it afterwards).
    pub(crate) fn combinatorial_utility_and_grad(
        &self,
        reports: &[f32],
        values: &[f32],
        with_grad: bool,
    ) -> Result<OwnUtility> {
        let (n, d) = (2usize, 3usize);
        let len = n * d;
        let rows = values.len() / d;
        if reports.len() != rows * len || values.len() != rows * d {
            return Err(NetsError::Shape(format!(
                "{} report values and {} true values for rows of 2 x 3",
                reports.len(),
                values.len()
            )));
        }
        let input: Vec<f32> = reports.chunks_exact(d).flat_map(bundles).collect();
        let x = Tensor::from_vec(input, (rows, len), &Device::Cpu)?;
        let (alloc_acts, z) = self.alloc.forward(&x)?;
        let (pay_acts, s) = self.pay.forward(&x)?;
        let cols = COMBINATORIAL_LOGITS;
        let zeros = |len: usize| {
            if with_grad {
                vec![0f32; len]
            } else {
                Vec::new()
            }
        };
        let (mut dz, mut ds, mut direct) = (zeros(rows * cols), zeros(rows * n), zeros(rows * d));
        let mut utility = vec![0f32; rows];
        let (mut i1, mut i2, mut bk) = ([0f32; 5], [0f32; 5], [0f32; 3]);
        for r in 0..rows {
            let k = r % n;
            let zr = &z[r * cols..(r + 1) * cols];
            softmax(&zr[0..5], &mut i1);
            softmax(&zr[5..10], &mut i2);
            softmax(&zr[10 + 3 * k..13 + 3 * k], &mut bk);
            let (a1, s1) = min_share(i1[k], bk[0]);
            let (a2, s2) = min_share(i2[k], bk[1]);
            let (both, sb) = min_share(i1[2 + k], i2[2 + k]);
            let (a3, s3) = min_share(both, bk[2]);
            let a = [a1, a2, a3];
            let y = bundles(&reports[r * len + k * d..r * len + (k + 1) * d]);
            let w = bundles(&values[r * d..(r + 1) * d]);
            let sigma = 1.0 / (1.0 + (-s[r * n + k]).exp());
            let (mut u, mut val) = (0f32, 0f32);
            for p in 0..3 {
                u += a[p] * (w[p] - sigma * y[p]);
                val += a[p] * y[p];
            }
            utility[r] = u;
            if !with_grad {
                continue;
            }
            let g: [f32; 3] = std::array::from_fn(|p| w[p] - sigma * y[p]);
            let (mut g1, mut g2, mut gb) = ([0f32; 5], [0f32; 5], [0f32; 3]);
            g1[k] = g[0] * s1;
            gb[0] = g[0] * (1.0 - s1);
            g2[k] = g[1] * s2;
            gb[1] = g[1] * (1.0 - s2);
            let g_both = g[2] * s3;
            gb[2] = g[2] * (1.0 - s3);
            g1[2 + k] = g_both * sb;
            g2[2 + k] = g_both * (1.0 - sb);
            let dzr = &mut dz[r * cols..(r + 1) * cols];
            softmax_back(&i1, &g1, &mut dzr[0..5]);
            softmax_back(&i2, &g2, &mut dzr[5..10]);
            softmax_back(&bk, &gb, &mut dzr[10 + 3 * k..13 + 3 * k]);
            ds[r * n + k] = -sigma * (1.0 - sigma) * val;
            // Direct payment term on the bundle values, mapped to the type.
            let dy: [f32; 3] = std::array::from_fn(|p| -sigma * a[p]);
            direct[r * d..(r + 1) * d].copy_from_slice(&[dy[0] + dy[2], dy[1] + dy[2], dy[2]]);
        }
        if !with_grad {
            return Ok(OwnUtility {
                utility,
                grad: Vec::new(),
            });
        }
        let (dx_alloc, dx_pay) = self.input_grads(&alloc_acts, dz, &pay_acts, ds, rows)?;
        let mut grad = direct;
        for r in 0..rows {
            let k = r % n;
            let at = r * len + k * d;
            let din: [f32; 3] = std::array::from_fn(|p| dx_alloc[at + p] + dx_pay[at + p]);
            grad[r * d] += din[0] + din[2];
            grad[r * d + 1] += din[1] + din[2];
            grad[r * d + 2] += din[2];
        }
        Ok(OwnUtility { utility, grad })
    }
}

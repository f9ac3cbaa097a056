//! The mechanism with its weights frozen, and the misreport search's input gradient by hand.
//!
//! The misreport search needs, for every profile and bidder `k`, the utility of `k` at its
//! misreport and the gradient with respect to that misreport, never a weight gradient.
//! candle's `backward()` cannot skip the weight gradients (docs/CANDLE.md), so this module
//! computes the input gradient in closed form: with `x` the misreported profile (flat
//! `[n*m]`), `v` bidder `k`'s true values, `P = softmax` over the `n + 1` bidder rows of the
//! allocation logits, `a_kj = P_kj`, and `sigma = sigmoid(s_k)` the payment fraction,
//!
//! ```text
//! u       = sum_j a_kj (v_j - sigma x_kj)
//! du/da_kj = G_j = v_j - sigma x_kj
//! du/dz_ij = P_ij G_j (1[i = k] - P_kj)           (softmax over i, per item j < m; 0 for j = m)
//! du/ds_k  = -sigma (1 - sigma) sum_j a_kj x_kj
//! du/dx_kj += -sigma a_kj                          (the payment's direct dependence on the bid)
//! ```
//!
//! For unit demand `a_kj = min(P_kj, Q_kj)` with `Q` the softmax of the second logit block over
//! the `m + 1` items of bidder `k`'s row; `G_j` flows to whichever of the two is smaller (half
//! to each at a tie, as candle's `minimum`), through `P` as above and through `Q` as
//! `du/dz'_kj = Q_kj (g_j - sum_l Q_kl g_l)` with `g` the share of `G` routed to `Q`.
//!
//! The combinatorial head's version is in [`crate::frozen_ca`].
//!
//! Then back through each tanh MLP `d <- ((d W_out^T) * (1 - h^2)) W^T ...` layer by layer
//! ([`crate::fused::tanh_backward`]). The forward pass uses the same fused layers as
//! [`RegretNet::forward`]. Tested against candle's autograd to 1e-5.

use candle_core::{Device, Tensor};
use regretnet_core::ValuationKind;

use crate::error::{NetsError, Result};
use crate::fused::{bias_tanh, tanh_backward};
use crate::mlp::Mlp;
use crate::net::RegretNet;

/// One network's weights as constants, with the transposes its backward pass needs.
#[derive(Debug, Clone)]
pub(crate) struct FrozenMlp {
    /// `(W, W^T, b)` per hidden layer.
    hidden: Vec<(Tensor, Tensor, Tensor)>,
    out_w: Tensor,
    out_w_t: Tensor,
    out_bias: Vec<f32>,
}

impl FrozenMlp {
    fn new(mlp: &Mlp) -> Result<Self> {
        let t = |x: &Tensor| -> Result<Tensor> { Ok(x.t()?.contiguous()?) };
        let mut hidden = Vec::with_capacity(mlp.hidden.len());
        for l in &mlp.hidden {
            let w = l.weight.as_detached_tensor();
            hidden.push((w.clone(), t(&w)?, l.bias.as_detached_tensor()));
        }
        let out_w = mlp.output.weight.as_detached_tensor();
        Ok(FrozenMlp {
            out_w_t: t(&out_w)?,
            out_w,
            out_bias: mlp.output.bias.as_detached_tensor().to_vec1::<f32>()?,
            hidden,
        })
    }

    /// Hidden activations (input side first) and the output, flat `[rows, out]` (the output
    /// bias is added here, in the loop that copies the output out of its tensor).
    pub(crate) fn forward(&self, x: &Tensor) -> Result<(Vec<Tensor>, Vec<f32>)> {
        let mut acts = Vec::with_capacity(self.hidden.len());
        let mut h = x.clone();
        for (w, _, b) in &self.hidden {
            h = bias_tanh(&h.matmul(w)?, b)?;
            acts.push(h.clone());
        }
        let mut out = h.matmul(&self.out_w)?.flatten_all()?.to_vec1::<f32>()?;
        for row in out.chunks_exact_mut(self.out_bias.len().max(1)) {
            for (o, b) in row.iter_mut().zip(&self.out_bias) {
                *o += b;
            }
        }
        Ok((acts, out))
    }

    /// Gradient with respect to the input, from the gradient `d_out` of the output.
    pub(crate) fn input_grad(&self, acts: &[Tensor], d_out: &Tensor) -> Result<Tensor> {
        let mut d = d_out.matmul(&self.out_w_t)?;
        for ((_, w_t, _), h) in self.hidden.iter().zip(acts).rev() {
            d = tanh_backward(&d, h)?.matmul(w_t)?;
        }
        Ok(d)
    }
}

/// A snapshot of a [`RegretNet`] for the misreport search: weights frozen, transposes cached.
/// Build one per search (the weights do not change during it).
#[derive(Debug, Clone)]
pub struct FrozenNet {
    bidders: usize,
    items: usize,
    valuation: ValuationKind,
    pub(crate) alloc: FrozenMlp,
    pub(crate) pay: FrozenMlp,
    base: Option<crate::base::MyersonBase>,
}

/// Per-row results of [`FrozenNet::own_utility_and_grad`].
#[derive(Debug, Clone, PartialEq)]
pub struct OwnUtility {
    /// Utility of each row's own bidder, `[rows]`.
    pub utility: Vec<f32>,
    /// Its gradient with respect to the own bidder's report, flat `[rows, m]` (empty when not
    /// asked for).
    pub grad: Vec<f32>,
}

impl FrozenNet {
    /// Back through both MLPs: the input gradients (flat `[rows, n * d]`) of the allocation
    /// net from the logit gradients `dz` (flat `[rows, cols]`) and of the payment net from
    /// `ds` (flat `[rows, n]`).
    pub(crate) fn input_grads(
        &self,
        alloc_acts: &[Tensor],
        dz: Vec<f32>,
        pay_acts: &[Tensor],
        ds: Vec<f32>,
        rows: usize,
    ) -> Result<(Vec<f32>, Vec<f32>)> {
        let cols = dz.len() / rows.max(1);
        let n = ds.len() / rows.max(1);
        let dz = Tensor::from_vec(dz, (rows, cols), &Device::Cpu)?;
        let ds = Tensor::from_vec(ds, (rows, n), &Device::Cpu)?;
        let dx_alloc = self.alloc.input_grad(alloc_acts, &dz)?;
        let dx_pay = self.pay.input_grad(pay_acts, &ds)?;
        Ok((
            dx_alloc.flatten_all()?.to_vec1::<f32>()?,
            dx_pay.flatten_all()?.to_vec1::<f32>()?,
        ))
    }

    /// Freeze `net`'s current weights.
    pub fn new(net: &RegretNet) -> Result<Self> {
        Ok(FrozenNet {
            bidders: net.bidders(),
            items: net.items(),
            valuation: net.valuation(),
            alloc: FrozenMlp::new(net.alloc_net())?,
            pay: FrozenMlp::new(net.pay_net())?,
            base: net.base().cloned(),
        })
    }

    /// For report profiles `reports` (flat `[rows, n, m]`) whose row `r` belongs to bidder
    /// `k = r % n` with true values `values[r]` (flat `[rows, m]`): `k`'s utility at the
    /// profile and, when `with_grad`, its gradient with respect to `k`'s own report. This is
    /// the layout of the misreport search (profile `b`'s copy `k` is row `b * n + k`).
    pub fn own_utility_and_grad(
        &self,
        reports: &[f32],
        values: &[f32],
        with_grad: bool,
    ) -> Result<OwnUtility> {
        if self.valuation == ValuationKind::Combinatorial {
            return self.combinatorial_utility_and_grad(reports, values, with_grad);
        }
        let (n, m) = (self.bidders, self.items);
        let len = n * m;
        let rows = values.len() / m.max(1);
        if reports.len() != rows * len || values.len() != rows * m {
            return Err(NetsError::Shape(format!(
                "{} report values and {} true values for rows of {n} x {m}",
                reports.len(),
                values.len()
            )));
        }
        let x = Tensor::from_slice(reports, (rows, len), &Device::Cpu)?;
        let (alloc_acts, mut z) = self.alloc.forward(&x)?;
        let (pay_acts, mut s) = self.pay.forward(&x)?;
        let block = (n + 1) * (m + 1);
        // The truthful base's logits, and each row's own payment logit's slope in its reports
        // (`base_ds`, flat [rows, m]); the allocation logits' slope is 2 / tau.
        let mut base_ds = Vec::new();
        if let Some(base) = &self.base {
            base_ds.reserve(rows * m);
            for r in 0..rows {
                let k = r % n;
                let (logit, slope) = base.own_row_terms(
                    &reports[r * len..(r + 1) * len],
                    &mut z[r * block..(r + 1) * block],
                    k,
                );
                s[r * n + k] += logit;
                base_ds.extend(slope);
            }
        }
        let unit = self.valuation == ValuationKind::UnitDemand;
        let cols = if unit { 2 * block } else { block };
        let zeros = |len: usize| {
            if with_grad {
                vec![0f32; len]
            } else {
                Vec::new()
            }
        };
        let mut utility = vec![0f32; rows];
        let (mut dz, mut ds, mut direct) = (zeros(rows * cols), zeros(rows * n), zeros(rows * m));
        // p1[i * m + j]: softmax over the n + 1 bidder rows of item column j (first block);
        // p2[j]: softmax over the m + 1 item columns of the own bidder's row (second block,
        // unit demand only); share1[j]: the share of the min's gradient that goes to p1.
        let mut p1 = vec![0f32; (n + 1) * m];
        let mut p2 = vec![0f32; m + 1];
        let mut alloc = vec![0f32; m];
        let mut share1 = vec![1f32; m];
        for r in 0..rows {
            let k = r % n;
            let zr = &z[r * cols..(r + 1) * cols];
            for j in 0..m {
                let max = (0..=n)
                    .map(|i| zr[i * (m + 1) + j])
                    .fold(f32::MIN, f32::max);
                let mut sum = 0f32;
                for i in 0..=n {
                    let e = (zr[i * (m + 1) + j] - max).exp();
                    p1[i * m + j] = e;
                    sum += e;
                }
                for i in 0..=n {
                    p1[i * m + j] /= sum;
                }
            }
            if unit {
                let row = &zr[block + k * (m + 1)..block + (k + 1) * (m + 1)];
                let max = row.iter().copied().fold(f32::MIN, f32::max);
                let mut sum = 0f32;
                for (p, &x) in p2.iter_mut().zip(row) {
                    *p = (x - max).exp();
                    sum += *p;
                }
                p2.iter_mut().for_each(|p| *p /= sum);
            }
            for j in 0..m {
                let a1 = p1[k * m + j];
                (alloc[j], share1[j]) = if !unit || a1 < p2[j] {
                    (a1, 1.0)
                } else if a1 > p2[j] {
                    (p2[j], 0.0)
                } else {
                    // A tie: half the gradient to each side, as candle's `minimum`.
                    (a1, 0.5)
                };
            }
            let sigma = 1.0 / (1.0 + (-s[r * n + k]).exp());
            let own_x = &reports[r * len + k * m..r * len + (k + 1) * m];
            let v = &values[r * m..(r + 1) * m];
            let mut u = 0f32;
            let mut val = 0f32;
            for j in 0..m {
                u += alloc[j] * (v[j] - sigma * own_x[j]);
                val += alloc[j] * own_x[j];
            }
            utility[r] = u;
            if !with_grad {
                continue;
            }
            let dzr = &mut dz[r * cols..(r + 1) * cols];
            let mut s2 = 0f32;
            for j in 0..m {
                let g = v[j] - sigma * own_x[j];
                let g1 = g * share1[j];
                let a1 = p1[k * m + j];
                for i in 0..=n {
                    let own = if i == k { 1.0 } else { 0.0 };
                    dzr[i * (m + 1) + j] = p1[i * m + j] * g1 * (own - a1);
                }
                s2 += p2[j] * g * (1.0 - share1[j]);
                direct[r * m + j] = -sigma * alloc[j];
            }
            if unit {
                for jj in 0..=m {
                    let g2 = if jj < m {
                        (v[jj] - sigma * own_x[jj]) * (1.0 - share1[jj])
                    } else {
                        0.0
                    };
                    dzr[block + k * (m + 1) + jj] = p2[jj] * (g2 - s2);
                }
            }
            ds[r * n + k] = -sigma * (1.0 - sigma) * val;
        }
        if !with_grad {
            return Ok(OwnUtility {
                utility,
                grad: Vec::new(),
            });
        }
        if let Some(base) = &self.base {
            let slope = base.logit_slope() as f32;
            for r in 0..rows {
                let k = r % n;
                for j in 0..m {
                    direct[r * m + j] +=
                        dz[r * cols + k * (m + 1) + j] * slope + ds[r * n + k] * base_ds[r * m + j];
                }
            }
        }
        let (dx_alloc, dx_pay) = self.input_grads(&alloc_acts, dz, &pay_acts, ds, rows)?;
        let mut grad = direct;
        for r in 0..rows {
            let k = r % n;
            for j in 0..m {
                let at = r * len + k * m + j;
                grad[r * m + j] += dx_alloc[at] + dx_pay[at];
            }
        }
        Ok(OwnUtility { utility, grad })
    }
}

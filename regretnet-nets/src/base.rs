//! A truthful base under RegretNet (`net.base = "itemwise_myerson"`): item-wise Myerson
//! softened at temperature `tau` ([`regretnet_core::myerson_soft`]), written as the logits that
//! RegretNet's heads turn into exactly that auction.
//!
//! For uniform values `U[lo_ij, hi_ij]` bidder `i`'s virtual value of item `j` is
//! `phi_ij = 2 v_ij - hi_ij`. Per item, with the dummy bidder's logit 0 and `z_ij = phi_ij / tau`:
//!
//! ```text
//! a*_ij  = softmax_i(z_0j, ..., z_(n-1)j, 0)                 allocation logits: + z_ij
//! l_ij   = z_ij - c_ij,  c_ij = logsumexp_{k != i}(z_kj, 0)  (= logit a*_ij)
//! p*_ij  = v_ij a*_ij - (tau / 2) [softplus(l_ij) - softplus((2 lo_ij - hi_ij) / tau - c_ij)]
//! f*_i   = sum_j p*_ij / sum_j a*_ij v_ij                    payment logits: + logit f*_i
//! ```
//!
//! `p*` is Myerson's payment identity `v x(v) - int_lo^v x(t) dt` in closed form (`x` is a
//! logistic function of `2t / tau`), so with the network's output layers at zero the
//! allocation head gives `a*` and the payment head `sigmoid(logit f*) * sum_j a*_ij v_ij = sum_j
//! p*_ij`: the softened item-wise Myerson auction, dominant-strategy IC and IR. `f*` is clamped
//! to `[1e-6, 1 - 1e-6]` (its gradient is 0 where the clamp binds; `sum_j a* v` below 1e-12
//! counts as `f* = 0`).
//!
//! [`MyersonBase::logits`] computes the terms in candle's ops (differentiable in the bids, for
//! training and autograd); [`MyersonBase::own_row_terms`] computes them for one profile in `f64`
//! with the derivative of the searching bidder's payment logit in its own reports, for the misreport
//! search's hand-written gradient ([`crate::frozen`]).

use candle_core::{DType, Tensor};
use regretnet_core::myerson_soft::{logistic, softplus as softplus64};
use regretnet_core::{Prior, Setting};

use crate::error::{NetsError, Result};

/// The clamp on the base's payment fraction.
pub const FRACTION_EPS: f64 = 1e-6;

/// The softened item-wise Myerson base of one setting (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct MyersonBase {
    bidders: usize,
    items: usize,
    tau: f64,
    /// `hi_ij`, flat `[n * m]`.
    hi: Vec<f64>,
    /// `(2 lo_ij - hi_ij) / tau`: the scaled virtual value at the support's bottom.
    bottom: Vec<f64>,
}

impl MyersonBase {
    /// The base for `setting` (additive bidders with uniform values) at temperature `tau`.
    pub fn new(setting: &Setting, tau: f64) -> Result<Self> {
        let Prior::UniformBox(b) = &setting.prior else {
            return Err(NetsError::Shape(
                "item-wise Myerson as a base needs uniform values".into(),
            ));
        };
        let (n, m) = (setting.bidders, setting.items);
        let mut hi = Vec::with_capacity(n * m);
        let mut bottom = Vec::with_capacity(n * m);
        for i in 0..n {
            for j in 0..m {
                hi.push(b.hi(i, j));
                bottom.push((2.0 * b.lo(i, j) - b.hi(i, j)) / tau);
            }
        }
        Ok(MyersonBase {
            bidders: n,
            items: m,
            tau,
            hi,
            bottom,
        })
    }

    /// The temperature.
    pub fn temperature(&self) -> f64 {
        self.tau
    }

    /// The derivative of an allocation logit `z_ij` in its bid `v_ij`: `2 / tau`.
    pub fn logit_slope(&self) -> f64 {
        2.0 / self.tau
    }

    /// The base's allocation logits `[B, (n + 1) * (m + 1)]` (zero in the dummy bidder's row
    /// and the extra column) and payment logits `[B, n]` for `bids: [B, n, m]`, in candle's
    /// ops (differentiable in `bids`).
    pub fn logits(&self, bids: &Tensor) -> Result<(Tensor, Tensor)> {
        let (n, m) = (self.bidders, self.items);
        let batch = bids.dim(0)?;
        let dev = bids.device();
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let hi = Tensor::from_vec(f32s(&self.hi), (1, n, m), dev)?;
        let bottom = Tensor::from_vec(f32s(&self.bottom), (1, n, m), dev)?;
        let tau = self.tau;
        // z: [B, n, m]; with the dummy's 0: [B, n + 1, m].
        let z = ((bids * 2.0)?.broadcast_sub(&hi)? / tau)?;
        let z_all = Tensor::cat(&[&z, &Tensor::zeros((batch, 1, m), DType::F32, dev)?], 1)?;
        // c_ij = logsumexp over the rows k != i: mask row i out with a large negative number.
        let mask: Vec<f32> = (0..n)
            .flat_map(|i| (0..=n).map(move |k| if k == i { -1e30f32 } else { 0.0 }))
            .collect();
        let mask = Tensor::from_vec(mask, (1, n, n + 1, 1), dev)?;
        let others = z_all.unsqueeze(1)?.broadcast_add(&mask)?; // [B, n, n + 1, m]
        let top = others.max_keepdim(2)?.detach();
        let c = (others.broadcast_sub(&top)?.exp()?.sum_keepdim(2)?.log()? + top)?.squeeze(2)?;
        let l = (&z - &c)?;
        let a = candle_nn::ops::sigmoid(&l)?;
        let low = bottom.broadcast_sub(&c)?;
        let pay = ((&a * bids)? - ((softplus(&l)? - softplus(&low)?)? * (tau / 2.0))?)?;
        let value = (&a * bids)?.sum(2)?;
        let fraction = (pay.sum(2)? / value.clamp(1e-12f32, f32::MAX)?)?
            .clamp(FRACTION_EPS as f32, (1.0 - FRACTION_EPS) as f32)?;
        let pay_logits = (fraction.log()? - (1.0 - &fraction)?.log()?)?;
        // Allocation logits in the head's layout: [B, n + 1, m + 1], zero outside z.
        let alloc_logits = Tensor::cat(
            &[&z_all, &Tensor::zeros((batch, n + 1, 1), DType::F32, dev)?],
            2,
        )?
        .reshape((batch, (n + 1) * (m + 1)))?;
        Ok((alloc_logits, pay_logits))
    }

    /// For one report profile `x` (flat `[n * m]`) in the misreport search, whose row belongs
    /// to bidder `own`: add the base's allocation logits to `z` (flat `[(n + 1) * (m + 1)]`),
    /// and return `own`'s payment logit with its derivative in `own`'s reports `x_own,j`
    /// (`[m]`). The other bidders' payment logits are not computed: the row's utility is
    /// `own`'s, and it reads only `own`'s payment (O(n m) work per row, not O(n^2 m)).
    pub fn own_row_terms(&self, x: &[f32], z: &mut [f32], own: usize) -> (f32, Vec<f32>) {
        let (n, m, tau) = (self.bidders, self.items, self.tau);
        let mut col = vec![0f64; n];
        let (mut pay, mut value) = (0f64, 0f64);
        let mut d_pay = vec![0f64; m];
        let mut d_value = vec![0f64; m];
        for j in 0..m {
            for (i, c) in col.iter_mut().enumerate() {
                *c = (2.0 * x[i * m + j] as f64 - self.hi[i * m + j]) / tau;
                z[i * (m + 1) + j] += *c as f32;
            }
            // c = logsumexp over the other bidders and the dummy's 0.
            let others = || (0..n).filter(|&k| k != own).map(|k| col[k]);
            let top = others().fold(0.0f64, f64::max);
            let c = top + ((-top).exp() + others().map(|zk| (zk - top).exp()).sum::<f64>()).ln();
            let l = col[own] - c;
            let a = logistic(l);
            let v = x[own * m + j] as f64;
            let low = self.bottom[own * m + j] - c;
            pay += v * a - tau / 2.0 * (softplus64(l) - softplus64(low));
            value += a * v;
            let da = a * (1.0 - a) * 2.0 / tau;
            d_pay[j] = v * da;
            d_value[j] = a + v * da;
        }
        let raw = if value > 1e-12 { pay / value } else { 0.0 };
        let f = raw.clamp(FRACTION_EPS, 1.0 - FRACTION_EPS);
        let logit = (f.ln() - (1.0 - f).ln()) as f32;
        let mut d_own = vec![0f32; m];
        if raw == f && value > 1e-12 {
            for j in 0..m {
                let df = (d_pay[j] * value - pay * d_value[j]) / (value * value);
                d_own[j] = (df / (f * (1.0 - f))) as f32;
            }
        }
        (logit, d_own)
    }

    /// The base alone as a mechanism: allocations `[B, n, m]` and payments `[B, n]` at
    /// `bids: [B, n, m]` (what RegretNet computes with its output layers at zero).
    pub fn outcome(&self, bids: &Tensor) -> Result<(Tensor, Tensor)> {
        let (z, s) = self.logits(bids)?;
        let alloc = crate::heads::additive_allocation(&z, self.bidders, self.items)?;
        let pay = crate::heads::payment(&s, &alloc, bids)?;
        Ok((alloc, pay))
    }
}

/// `ln(1 + e^x)` in candle's ops, without overflow.
fn softplus(x: &Tensor) -> Result<Tensor> {
    Ok((x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?)?)
}

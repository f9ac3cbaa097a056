//! The learned affine maximizer's mechanism (the hard argmax, weights frozen) on plain `f32`
//! slices: what evaluation, validation and the audits call.
//!
//! It computes what [`crate::AmaNet::forward`]'s tensor path computes with `Choice::Hard`, in
//! the same order of operations per profile: bidder `i`'s value `V_i(k)` of entry `k`, the
//! weighted values `w_i V_i(k)`, the affine welfare `S(k) = sum_i w_i V_i(k) + lambda_k` summed
//! over bidders in index order, the first maximizer `k*` of `S` (ties to the lower entry, the
//! empty entry first, as candle's argmax), `S_{-i} = S - w_i V_i`, and the payment
//! `(max_k S_{-i}(k) - S_{-i}(k*)) / w_i` clamped to `[0, max(V_i(k*), 0)]`. Only the value
//! `V_i(k)` may round differently (candle's matrix product may fuse the multiply-adds); the tests
//! compare both paths profile by profile. A menu with the item-wise block
//! ([`crate::ama_block`]) computes the block's terms `w_k b_kj + beta[j, k]`, their per-item
//! maxima (with and without each bidder, the latter as `s - w_i b_ij` where the tensor path
//! subtracts) and sums over items in item order, and takes the block where its best welfare is
//! strictly above `S(k*)`. The tensor path spends most of its time in broadcast
//! element-wise operations over `[batch, n, K]` tensors; this one keeps one profile's `[n, K]`
//! values in a scratch buffer, with every loop over the entries contiguous.

use candle_core::{Device, Tensor};

use crate::error::Result;
use crate::net::Outcome;

/// The menu laid out for the per-profile loops.
#[derive(Debug)]
pub(crate) struct HardMenu {
    bidders: usize,
    dim: usize,
    entries: usize,
    /// Coefficients as `[n, d, K]`: for a bidder and a coordinate, contiguous over entries.
    by_entry: Vec<f32>,
    /// Coefficients as `[K, n * d]`: the chosen entry's allocation.
    by_bidder: Vec<f32>,
    boosts: Vec<f32>,
    weights: Vec<f32>,
    /// The item-wise block's boosts `[m, n + 1]`, if any.
    itemwise: Option<Vec<f32>>,
}

impl HardMenu {
    /// From the menu's tensors: coefficients `[K, n, d]`, boosts `[K]`, weights `[n]` and the
    /// item-wise block's boosts `[d, n + 1]`, if any.
    pub(crate) fn new(
        entries: &Tensor,
        boosts: &Tensor,
        weights: &Tensor,
        itemwise: Option<&Tensor>,
    ) -> Result<Self> {
        let (k, n, d) = entries.dims3()?;
        let by_bidder: Vec<f32> = entries.flatten_all()?.to_vec1()?;
        let by_entry: Vec<f32> = entries
            .permute((1, 2, 0))?
            .contiguous()?
            .flatten_all()?
            .to_vec1()?;
        Ok(HardMenu {
            bidders: n,
            dim: d,
            entries: k,
            by_entry,
            by_bidder,
            boosts: boosts.to_vec1()?,
            weights: weights.to_vec1()?,
            itemwise: itemwise.map(|t| t.flatten_all()?.to_vec1()).transpose()?,
        })
    }

    /// Allocation `[B, n, d]` and payments `[B, n]` for `bids: [B, n, d]` (row-major).
    pub(crate) fn outcome(&self, bids: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (n, d, k) = (self.bidders, self.dim, self.entries);
        let profiles = bids.len() / (n * d);
        let mut alloc = Vec::with_capacity(profiles * n * d);
        let mut pay = Vec::with_capacity(profiles * n);
        let mut weighted = vec![0.0f32; n * k];
        let mut values = vec![0.0f32; n * k];
        let mut score = vec![0.0f32; k];
        // The block's scratch: its best assignment, the others' best per bidder, one item's terms.
        let mut owners = Vec::with_capacity(d);
        let mut tops = vec![0.0f32; n];
        let mut terms = vec![0.0f32; n + 1];
        for profile in bids.chunks_exact(n * d) {
            for i in 0..n {
                let v = &mut values[i * k..(i + 1) * k];
                v.fill(0.0);
                for j in 0..d {
                    let bid = profile[i * d + j];
                    let e = &self.by_entry[(i * d + j) * k..(i * d + j + 1) * k];
                    for (v, e) in v.iter_mut().zip(e) {
                        *v += bid * e;
                    }
                }
                let w = self.weights[i];
                for (x, v) in weighted[i * k..(i + 1) * k].iter_mut().zip(v.iter()) {
                    *x = v * w;
                }
            }
            score.fill(0.0);
            for i in 0..n {
                for (s, x) in score.iter_mut().zip(&weighted[i * k..(i + 1) * k]) {
                    *s += x;
                }
            }
            for (s, b) in score.iter_mut().zip(&self.boosts) {
                *s += b;
            }
            let mut pick = 0;
            for (e, s) in score.iter().enumerate() {
                if *s > score[pick] {
                    pick = e;
                }
            }
            let block = self
                .itemwise
                .as_ref()
                .map(|beta| self.block(profile, beta, &mut owners, &mut tops, &mut terms));
            let block_wins = block.is_some_and(|b| b > score[pick]);
            if block_wins {
                let start = alloc.len();
                alloc.resize(start + n * d, 0.0);
                for (j, &o) in owners.iter().enumerate() {
                    if o < n {
                        alloc[start + o * d + j] = 1.0;
                    }
                }
            } else {
                alloc.extend_from_slice(&self.by_bidder[pick * n * d..(pick + 1) * n * d]);
            }
            for i in 0..n {
                let x = &weighted[i * k..(i + 1) * k];
                let mut top = score
                    .iter()
                    .zip(x)
                    .map(|(s, x)| s - x)
                    .fold(f32::NEG_INFINITY, f32::max);
                let (mut chosen, mut value) = (score[pick] - x[pick], values[i * k + pick]);
                if let Some(block_score) = block {
                    top = top.max(tops[i]);
                    if block_wins {
                        let (w, b) = (self.weights[i], &profile[i * d..(i + 1) * d]);
                        let (mut own, mut v) = (0.0f32, 0.0f32);
                        for (j, &o) in owners.iter().enumerate() {
                            let at = if o == i { 1.0 } else { 0.0 };
                            own += at * (b[j] * w);
                            v += at * b[j];
                        }
                        (chosen, value) = (block_score - own, v);
                    }
                }
                pay.push(
                    ((top - chosen) / self.weights[i])
                        .max(0.0)
                        .min(value.max(0.0)),
                );
            }
        }
        (alloc, pay)
    }

    /// The item-wise block at one profile (`[n, m]`): its best welfare; `owners` receives the
    /// best assignment and `tops` (`[n]`) the others' best welfare over the block per bidder;
    /// `terms` (`[n + 1]`) is scratch.
    fn block(
        &self,
        profile: &[f32],
        beta: &[f32],
        owners: &mut Vec<usize>,
        tops: &mut [f32],
        terms: &mut [f32],
    ) -> f32 {
        let (n, m) = (self.bidders, self.dim);
        owners.clear();
        tops.fill(0.0);
        let mut score = 0.0f32;
        for j in 0..m {
            for (o, t) in terms.iter_mut().enumerate() {
                let b = beta[j * (n + 1) + o];
                *t = if o < n {
                    profile[o * m + j] * self.weights[o] + b
                } else {
                    0.0 + b
                };
            }
            let mut owner = 0;
            for o in 1..=n {
                if terms[o] > terms[owner] {
                    owner = o;
                }
            }
            owners.push(owner);
            score += terms[owner];
            for (i, top) in tops.iter_mut().enumerate() {
                let own = profile[i * m + j] * self.weights[i];
                let best = terms
                    .iter()
                    .enumerate()
                    .map(|(o, t)| if o == i { t - own } else { t - 0.0 })
                    .fold(f32::NEG_INFINITY, f32::max);
                *top += best;
            }
        }
        score
    }

    /// [`HardMenu::outcome`] as tensors.
    pub(crate) fn outcome_tensors(&self, bids: &Tensor) -> Result<Outcome> {
        let (batch, n, d) = bids.dims3()?;
        let flat: Vec<f32> = bids.flatten_all()?.to_vec1()?;
        let (alloc, pay) = self.outcome(&flat);
        Ok(Outcome {
            alloc: Tensor::from_vec(alloc, (batch, n, d), &Device::Cpu)?,
            pay: Tensor::from_vec(pay, (batch, n), &Device::Cpu)?,
        })
    }
}

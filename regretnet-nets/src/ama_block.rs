//! The item-wise block of a learned affine maximizer ([`regretnet_core::ama_itemwise`]) in
//! candle's tensor ops: its best welfare with and without each bidder, the allocation of its
//! best assignment, and the soft choice's parts, all item by item.
//!
//! With bids `b: [B, n, m]`, weights `w: [n]` and boosts `beta: [m, n + 1]`, the per-item terms
//! are `s[b, j, k] = w_k b[b, k, j] + beta[j, k]` for bidders `k < n` and `beta[j, n]` for
//! "unsold"; without bidder `i`, `s^{-i}[b, i, j, k] = s[b, j, k] - [k = i] w_i b[b, i, j]`.
//! The block's best welfare is `sum_j max_k s`, the others' best `sum_j max_k s^{-i}`. Under a
//! softmax at temperature `T` over all of the block's `(n + 1)^m` assignments, the block's total
//! logit is `sum_j logsumexp_k(T s)` and, given the block, items are independent with
//! `q[b, j, :] = softmax(T s[b, j, :])`.
//!
//! # The soft payment
//!
//! At the block's assignment `o` the mechanism charges bidder `i`
//! `(top_i - S_{-i}(o)) / w_i = (top_i - top^block_i) / w_i + sum_j d_ij(o_j) / w_i` with
//! `d_ij(k) = max_k' s^{-i}_jk' - s^{-i}_j(k) >= 0` and `top_i` the others' best over the whole
//! menu. At the block's best assignment `d_ij(o_j)` is 0 on every item `i` does not win (for the
//! usual boosts, where no bidder's boost on an item exceeds the winner's term), and on the items
//! it wins it is at most `w_i b_ij`. Averaging `d` under the spread `q`, as the menu's surrogate
//! does for its entries, would charge a bidder for items it does not get, and training sells that
//! slack: at 5x10 the block's training revenue rose to 7.49 while the mechanism's fell to 6.58
//! (docs/AMA.md). So the surrogate charges only for what bidder `i` wins, item by item and
//! capped at its bid: `(top_i - top^block_i) / w_i + sum_j q_ji min(d_ij(i) / w_i, b_ij)`. At the
//! block's best assignment with `q` one-hot this is the mechanism's payment.

use candle_core::{DType, Device, Tensor, D};
use regretnet_core::baselines::myerson_per_item;
use regretnet_core::Setting;

use crate::error::Result;

/// The block's boosts at item-wise Myerson for `setting` (additive): bidder `i`'s column on
/// item `j` is minus its reserve, the least value at which its ironed virtual value for the
/// item is nonnegative (a marginal the Myerson code does not cover: half the upper end of its
/// box, at least the lower end); unsold 0. Row-major `[m, n + 1]`.
pub fn itemwise_myerson_boosts(setting: &Setting) -> Vec<f64> {
    let (n, m) = (setting.bidders, setting.items);
    let auctions = myerson_per_item(setting);
    let reserve = |i: usize, j: usize| -> f64 {
        auctions
            .as_ref()
            .and_then(|a| a[j].ironed()[i].thresholds(0.0))
            .map(|(t, _)| t)
            .unwrap_or_else(|| {
                let (lo, hi) = setting.prior.bounding_box(i)[j];
                (lo as f64).max(hi as f64 / 2.0)
            })
    };
    (0..m)
        .flat_map(|j| (0..=n).map(move |k| (j, k)))
        .map(|(j, k)| if k < n { -reserve(k, j) } else { 0.0 })
        .collect()
}

/// The least boost at which an explicit entry with coefficients `a` (`[n, m]`, each item's
/// probabilities summing to at most 1) beats the block at some bids, for block boosts `beta`
/// (`[m, n + 1]`): `sum_j [sum_i a_ij beta[j, i] + (1 - sum_i a_ij) beta[j, n]]`, whatever the
/// weights.
///
/// Why: the block's welfare minus the entry's, `sum_j (max_k s_j(k) - sum_i a_ij w_i b_ij)`, is
/// at least the same sum with the max replaced by the average under the weights `a_.j` on the
/// bidders and `1 - sum_i a_ij` on "unsold", in which the bids cancel; the bound is attained
/// where every bidder bids its reserve `(beta[j, n] - beta[j, i]) / w_i`, so the entry beats
/// the block somewhere exactly when its boost exceeds this floor and the reserves lie inside
/// the prior's support (otherwise the floor is still a bound: below it, never).
pub fn entry_floor(a: &[f32], beta: &[f64], n: usize, m: usize) -> f64 {
    (0..m)
        .map(|j| {
            let sold: f64 = (0..n).map(|i| a[i * m + j] as f64).sum();
            (0..n)
                .map(|i| a[i * m + j] as f64 * beta[j * (n + 1) + i])
                .sum::<f64>()
                + (1.0 - sold) * beta[j * (n + 1) + n]
        })
        .sum()
}

/// The per-item terms `s: [B, m, n + 1]` and the weighted bids `w b: [B, n, m]`.
fn terms(bids: &Tensor, weights: &Tensor, beta: &Tensor) -> Result<(Tensor, Tensor)> {
    let (batch, n, m) = bids.dims3()?;
    let weighted = bids.broadcast_mul(&weights.reshape((1, n, 1))?)?;
    let unsold = Tensor::zeros((batch, m, 1), DType::F32, &Device::Cpu)?;
    let s = Tensor::cat(&[&weighted.transpose(1, 2)?.contiguous()?, &unsold], 2)?
        .broadcast_add(&beta.unsqueeze(0)?)?;
    Ok((s, weighted))
}

/// `s^{-i}: [B, n, m, n + 1]` from `s` and the weighted bids.
fn without(s: &Tensor, weighted: &Tensor) -> Result<Tensor> {
    let (_, n, _) = weighted.dims3()?;
    let eye: Vec<f32> = (0..n)
        .flat_map(|i| (0..=n).map(move |k| if i == k { 1.0 } else { 0.0 }))
        .collect();
    let eye = Tensor::from_vec(eye, (1, n, 1, n + 1), &Device::Cpu)?;
    let own = weighted.unsqueeze(3)?.broadcast_mul(&eye)?;
    Ok(s.unsqueeze(1)?.broadcast_sub(&own)?)
}

/// The block's parts under the soft choice.
pub(crate) struct SoftBlock {
    /// The block's total logit `sum_j logsumexp_k(T s)`: `[B]`.
    pub logit: Tensor,
    /// The allocation given the block, `q` without "unsold": `[B, n, m]`.
    pub alloc: Tensor,
    /// `max_o S_{-i}(o)` over the block: `[B, n]`.
    pub top: Tensor,
    /// What bidder `i` pays for what it wins, given the block and before the term the explicit
    /// entries add: `sum_j q[j, i] min(t_ij, b_ij)` with `t_ij = (max_k s^{-i}_jk - beta[j, i]) /
    /// w_i` the price item `j` would have if bidder `i` took it: `[B, n]` (module docs).
    pub charge: Tensor,
    /// Each bidder's expected value given the block: `[B, n]`.
    pub value: Tensor,
}

/// The block under the softmax at `temperature` (module docs).
pub(crate) fn soft(
    bids: &Tensor,
    weights: &Tensor,
    beta: &Tensor,
    temperature: f64,
) -> Result<SoftBlock> {
    let (_, n, _) = bids.dims3()?;
    let (s, weighted) = terms(bids, weights, beta)?;
    let scaled = (&s * temperature)?;
    let peak = scaled.max_keepdim(D::Minus1)?;
    let lse = (scaled
        .broadcast_sub(&peak)?
        .exp()?
        .sum_keepdim(D::Minus1)?
        .log()?
        + &peak)?; // [B, m, 1]
    let logit = lse.squeeze(D::Minus1)?.sum(1)?;
    let q = candle_nn::ops::softmax(&scaled, D::Minus1)?; // [B, m, n + 1]
    let alloc = q.narrow(2, 0, n)?.transpose(1, 2)?.contiguous()?; // [B, n, m]
    let minus = without(&s, &weighted)?; // [B, n, m, n + 1]
    let best = minus.max(D::Minus1)?; // [B, n, m]
    let top = best.sum(D::Minus1)?;
    // The price of item j to bidder i: (max_k s^{-i}_jk - beta[j, i]) / w_i.
    let own_boost = beta.narrow(1, 0, n)?.t()?.unsqueeze(0)?; // [1, n, m]
    let price = best
        .broadcast_sub(&own_boost)?
        .broadcast_div(&weights.reshape((1, n, 1))?)?;
    let charge = (&alloc * price.minimum(bids)?)?.sum(D::Minus1)?;
    let value = (&alloc * bids)?.sum(D::Minus1)?;
    Ok(SoftBlock {
        logit,
        alloc,
        top,
        charge,
        value,
    })
}

/// The block's best assignment and what it means for each bidder.
pub(crate) struct HardBlock {
    /// `max_o S(o)`: `[B]`.
    pub score: Tensor,
    /// The best assignment's allocation (ties: the first maximizer per item): `[B, n, m]`.
    pub alloc: Tensor,
    /// `max_o S_{-i}(o)` over the block: `[B, n]`.
    pub top: Tensor,
    /// `S_{-i}` at the block's best assignment: `[B, n]`.
    pub chosen: Tensor,
    /// Each bidder's value for the best assignment: `[B, n]`.
    pub value: Tensor,
}

/// The block's best assignment at `bids` (module docs).
pub(crate) fn hard(bids: &Tensor, weights: &Tensor, beta: &Tensor) -> Result<HardBlock> {
    let (batch, n, _) = bids.dims3()?;
    let (s, weighted) = terms(bids, weights, beta)?;
    let score = s.max(D::Minus1)?.sum(1)?;
    let owner = s.argmax_keepdim(D::Minus1)?; // [B, m, 1]
    let owners: Vec<u32> = (0..=n as u32).collect();
    let one_hot = owner
        .broadcast_eq(&Tensor::from_vec(owners, (1, 1, n + 1), &Device::Cpu)?)?
        .to_dtype(DType::F32)?; // [B, m, n + 1]
    let alloc = one_hot.narrow(2, 0, n)?.transpose(1, 2)?.contiguous()?;
    let minus = without(&s, &weighted)?;
    let top = minus.max(D::Minus1)?.sum(D::Minus1)?;
    let own = (&alloc * &weighted)?.sum(D::Minus1)?;
    let chosen = score.reshape((batch, 1))?.broadcast_sub(&own)?;
    let value = (&alloc * bids)?.sum(D::Minus1)?;
    Ok(HardBlock {
        score,
        alloc,
        top,
        chosen,
        value,
    })
}

//! Utilities at truthful and misreported profiles, all bidders batched together.

use candle_core::{Device, Tensor};
use regretnet_nets::WeightGrad;

use crate::error::Result;
use crate::mechanism::Mechanism;

/// `u_i = sum_j a_ij v_ij - p_i` for true values `values: [B, n, m]` and an outcome computed
/// at some report profile. Returns `[B, n]`.
pub fn utilities(values: &Tensor, alloc: &Tensor, pay: &Tensor) -> Result<Tensor> {
    Ok(((alloc * values)?.sum(2)? - pay)?)
}

/// `[1, n, n, 1]` with ones where copy `k` equals bidder `i`.
fn own_row_mask(n: usize) -> Result<Tensor> {
    Ok(Tensor::eye(n, candle_core::DType::F32, &Device::Cpu)?.reshape((1, n, n, 1))?)
}

/// The `n` misreported profiles of every profile: entry `[b*n + k]` is profile `b` with bidder
/// `k`'s row replaced by `mis[b, k]` and everyone else truthful.
/// `truth`, `mis: [B, n, m]`; returns `[B*n, n, m]`.
pub fn misreport_profiles(truth: &Tensor, mis: &Tensor) -> Result<Tensor> {
    let (b, n, m) = truth.dims3()?;
    let eye = own_row_mask(n)?;
    let keep = (1.0 - &eye)?;
    let others = truth.unsqueeze(1)?.broadcast_mul(&keep)?; // [B, n(copy), n, m]
    let own = mis.unsqueeze(2)?.broadcast_mul(&eye)?; // [B, n(copy), n, m]
    Ok((others + own)?.reshape((b * n, n, m))?)
}

/// Utility of every bidder `k` at the profile where `k` alone reports `mis[b, k]`, evaluated
/// with its true values `truth[b, k]`. Returns `[B, n]`, differentiable with respect to `mis`
/// (and to the weights when `mode` is [`WeightGrad::Track`]).
pub fn misreport_utilities<M: Mechanism + ?Sized>(
    mech: &M,
    truth: &Tensor,
    mis: &Tensor,
    mode: WeightGrad,
) -> Result<Tensor> {
    let (b, n, m) = truth.dims3()?;
    let profiles = misreport_profiles(truth, mis)?;
    let out = mech.outcome(&profiles, mode)?;
    let eye = own_row_mask(n)?;
    // Copy k's allocation row of bidder k: [B, n, m].
    let alloc = out
        .alloc
        .reshape((b, n, n, m))?
        .broadcast_mul(&eye)?
        .sum(2)?;
    let pay = out
        .pay
        .reshape((b, n, n))?
        .broadcast_mul(&eye.squeeze(3)?)?
        .sum(2)?;
    utilities(truth, &alloc, &pay)
}

/// Utilities `[B, n]` of truthful reporting, plus the outcome's revenue per profile `[B]`.
pub fn truthful_utilities<M: Mechanism + ?Sized>(
    mech: &M,
    truth: &Tensor,
    mode: WeightGrad,
) -> Result<(Tensor, Tensor)> {
    let out = mech.outcome(truth, mode)?;
    let u = utilities(truth, &out.alloc, &out.pay)?;
    Ok((u, out.pay.sum(1)?))
}

/// Rows of report profiles evaluated per network call by [`utilities_at_reports`] (bounds the
/// memory of the audits: a few MB of activations per hidden layer of 100 units).
pub const BLOCK_ROWS: usize = 16_384;

/// Utility of one bidder per row at arbitrary report profiles: row `r` is the report profile
/// `reports[r]` (flat `[rows, n, m]`), the bidder `who[r]` and its true values `values[r]`
/// (flat `[rows, m]`). The audits use this to score grid points; no gradients are taken.
pub fn utilities_at_reports<M: Mechanism + ?Sized>(
    mech: &M,
    reports: &[f32],
    who: &[usize],
    values: &[f32],
) -> Result<Vec<f32>> {
    let (n, m) = (mech.bidders(), mech.items());
    let len = n * m;
    let rows = who.len();
    if reports.len() != rows * len || values.len() != rows * m || who.iter().any(|&i| i >= n) {
        return Err(crate::RegretError::Shape(format!(
            "{} report values, {} bidders and {} true values for {n} x {m} profiles",
            reports.len(),
            rows,
            values.len()
        )));
    }
    let mut out = Vec::with_capacity(rows);
    for lo in (0..rows).step_by(BLOCK_ROWS) {
        let hi = (lo + BLOCK_ROWS).min(rows);
        let bids = Tensor::from_slice(&reports[lo * len..hi * len], (hi - lo, n, m), &Device::Cpu)?;
        let o = mech.outcome(&bids, WeightGrad::Frozen)?;
        let alloc = o.alloc.flatten_all()?.to_vec1::<f32>()?;
        let pay = o.pay.flatten_all()?.to_vec1::<f32>()?;
        for r in lo..hi {
            let i = who[r];
            let k = r - lo;
            let a = &alloc[(k * n + i) * m..(k * n + i + 1) * m];
            let v = &values[r * m..(r + 1) * m];
            out.push(a.iter().zip(v).map(|(a, v)| a * v).sum::<f32>() - pay[k * n + i]);
        }
    }
    Ok(out)
}

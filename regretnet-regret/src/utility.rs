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

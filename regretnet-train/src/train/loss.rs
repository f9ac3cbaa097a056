//! The outer loss: `loss = -revenue + sum_i lambda_i rgt_i + rho/2 sum_i rgt_i^2`, where
//! `rgt_i = mean_b max(0, u_i(mis) - u_i(truth))`, with the misreports held fixed so that its
//! gradient reaches the weights only.
//!
//! [`positive_gains`] is the one place the per-profile gains `max(0, u_i(mis) - u_i(truth))`
//! are computed: the whole-batch [`lagrangian_loss`] (tests, the layer trace) and the sharded
//! training step (`train/shards.rs`) both build on it.

use candle_core::{DType, Device, Tensor};
use regretnet_nets::WeightGrad;
use regretnet_regret::utility::{misreport_utilities, truthful_utilities};
use regretnet_regret::Mechanism;

use crate::error::Result;
use crate::train::lagrangian::Lagrangian;

/// The outer loss on one batch and its parts (scalars and `[n]` tensors).
#[derive(Debug)]
pub struct LossParts {
    /// `-revenue + sum_i lambda_i rgt_i + rho/2 sum_i rgt_i^2`.
    pub loss: Tensor,
    /// `rgt_i = mean_b max(0, u_i(mis) - u_i(truth))`, `[n]`.
    pub regret: Tensor,
    /// Mean revenue of the batch.
    pub revenue: Tensor,
}

/// Per profile and bidder, the positive part of the utility gain of the misreport,
/// `max(0, u_i(mis) - u_i(truth))` (`[B, n]`), and per profile the truthful revenue (`[B]`),
/// both tracking the weights; `mis` is detached first, so no gradient reaches it.
///
/// The positive part is `gain * [gain > 0]`: its gradient is 0 where the gain is 0 (candle's
/// `relu` has gradient 1 there, which would pull on weights whose misreport gains nothing).
pub fn positive_gains<M: Mechanism>(
    net: &M,
    truth: &Tensor,
    mis: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let mis = mis.detach();
    let u_mis = misreport_utilities(net, truth, &mis, WeightGrad::Track)?;
    let (u_truth, revenue) = truthful_utilities(net, truth, WeightGrad::Track)?;
    let gain = (u_mis - u_truth)?;
    let positive = gain.gt(0.0)?.to_dtype(DType::F32)?;
    Ok(((gain * positive)?, revenue))
}

/// The augmented-Lagrangian loss of `net` on `truth` with the misreports `mis` held fixed
/// (both `[B, n, m]`), differentiable with respect to the weights only.
pub fn lagrangian_loss<M: Mechanism>(
    net: &M,
    truth: &Tensor,
    mis: &Tensor,
    lagrangian: &Lagrangian,
) -> Result<LossParts> {
    let (gains, revenue) = positive_gains(net, truth, mis)?;
    let regret = gains.mean(0)?;
    let revenue = revenue.mean_all()?;
    let lambda: Vec<f32> = lagrangian.lambda.iter().map(|&l| l as f32).collect();
    let lambda = Tensor::from_vec(lambda, regret.dims1()?, &Device::Cpu)?;
    let penalty =
        ((&regret * &lambda)?.sum_all()? + (regret.sqr()?.sum_all()? * (0.5 * lagrangian.rho))?)?;
    Ok(LossParts {
        loss: (penalty - &revenue)?,
        regret,
        revenue,
    })
}

//! The view of a mechanism that utilities and the misreport search need.

use candle_core::Tensor;
use regretnet_nets::{Outcome, RegretNet, WeightGrad};

use crate::error::Result;

/// A direct mechanism on `n` bidders and `m` items, computed with candle operations so that it
/// can be differentiated with respect to the bids.
pub trait Mechanism: Sync {
    /// Number of bidders `n`.
    fn bidders(&self) -> usize;
    /// Number of items `m`.
    fn items(&self) -> usize;
    /// Allocations `[batch, n, m]` and payments `[batch, n]` for `bids: [batch, n, m]`.
    /// With [`WeightGrad::Frozen`] no gradient may reach the mechanism's parameters.
    fn outcome(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome>;
}

impl Mechanism for RegretNet {
    fn bidders(&self) -> usize {
        RegretNet::bidders(self)
    }
    fn items(&self) -> usize {
        RegretNet::items(self)
    }
    fn outcome(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        Ok(self.forward(bids, mode)?)
    }
}

//! The view of a mechanism that utilities and the misreport search need.

use candle_core::Tensor;
use regretnet_nets::{FrozenEquivariant, FrozenNet, Model, Outcome, RegretNet, WeightGrad};

use crate::certify::{BoxBounds, Net64};
use crate::error::Result;
use crate::search::{Autograd, PiecewiseConstant, UtilityGradient};

/// A direct mechanism on `n` bidders and `m` items, computed with candle operations so that it
/// can be differentiated with respect to the bids.
pub trait Mechanism: Sync {
    /// Number of bidders `n`.
    fn bidders(&self) -> usize;
    /// Values per bidder in a profile `d`: the number of items `m`, or the length of a
    /// combinatorial bidder's type ([`regretnet_core::Setting::type_len`]).
    fn items(&self) -> usize;
    /// Allocations `[batch, n, d]` (the coefficients of each bidder's type in its value; item
    /// probabilities unless combinatorial) and payments `[batch, n]` for `bids: [batch, n, d]`.
    /// With [`WeightGrad::Frozen`] no gradient may reach the mechanism's parameters.
    fn outcome(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome>;

    /// The utility gradient a misreport search on this mechanism uses: candle's autograd on
    /// [`Mechanism::outcome`] unless the mechanism knows a faster exact one (a
    /// [`RegretNet`] uses its hand-written input gradient, [`FrozenNet`]). Built once per
    /// search; the mechanism must not change while it lives.
    fn utility_gradient(&self) -> Result<Box<dyn UtilityGradient + '_>> {
        Ok(Box::new(Autograd(self)))
    }

    /// Enclosures of the outcome over boxes of one bidder's reports, for certified regret
    /// ([`crate::certify`]); `None` for a mechanism that has none.
    fn box_bounds(&self) -> Option<Result<Box<dyn BoxBounds + '_>>> {
        None
    }
}

/// A [`RegretNet`] through candle's own ops only (no fused kernels): with [`Autograd`], the
/// plain implementation the fast paths replaced. Benchmarks measure against it, and tests check
/// the fused forward and gradients against it.
#[derive(Debug, Clone, Copy)]
pub struct PlainNet<'a>(pub &'a RegretNet);

impl Mechanism for PlainNet<'_> {
    fn bidders(&self) -> usize {
        self.0.bidders()
    }
    fn items(&self) -> usize {
        self.0.items()
    }
    fn outcome(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        Ok(self.0.forward_plain(bids, mode)?)
    }
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
    fn utility_gradient(&self) -> Result<Box<dyn UtilityGradient + '_>> {
        Ok(Box::new(FrozenNet::new(self)?))
    }
    fn box_bounds(&self) -> Option<Result<Box<dyn BoxBounds + '_>>> {
        Some(Net64::new(self).map(|n| Box::new(n) as Box<dyn BoxBounds>))
    }
}

/// Any of the networks; RochetNet, MyersonNet and the AMA as mechanisms take the hard argmax,
/// so their regret is zero up to floating point. Their outcome is piecewise constant in the
/// bids: the gradient search has nothing to climb, and the audits' grids, corners and coordinate
/// sweeps are what look for regret.
impl Mechanism for Model {
    fn bidders(&self) -> usize {
        self.spec().setting.bidders
    }
    fn items(&self) -> usize {
        // A combinatorial bidder's type is longer than its items (the bundle's term).
        self.type_len()
    }
    fn outcome(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        Ok(self.forward(bids, mode)?)
    }
    fn utility_gradient(&self) -> Result<Box<dyn UtilityGradient + '_>> {
        match self {
            Model::RegretNet(n) => n.utility_gradient(),
            Model::Equivariant(n) => {
                Ok(Box::new(FrozenEquivariant::new(n, n.bidders(), n.items())?))
            }
            Model::Ama(_) => Ok(Box::new(PiecewiseConstant(self))),
            _ => Ok(Box::new(Autograd(self))),
        }
    }
    fn box_bounds(&self) -> Option<Result<Box<dyn BoxBounds + '_>>> {
        match self {
            Model::RegretNet(n) => n.box_bounds(),
            _ => None,
        }
    }
}

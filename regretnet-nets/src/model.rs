//! Any of the networks, chosen by `[net] kind`: the paper's [`RegretNet`], [`RochetNet`] and
//! [`MyersonNet`], and the learned affine maximizer [`AmaNet`]. Evaluation, plots and
//! checkpoints work on a [`Model`]; training dispatches on it (the regret-constrained trainer
//! for RegretNet, plain revenue ascent for the exactly incentive-compatible networks).

use std::collections::BTreeMap;

use candle_core::{Tensor, Var};
use rand::Rng;
use regretnet_core::{NetKind, Setting};

use crate::ama::AmaNet;
use crate::error::Result;
use crate::mlp::WeightGrad;
use crate::myerson_net::MyersonNet;
use crate::net::{NetSpec, Outcome, RegretNet};
use crate::rochet::{Choice, RochetNet};

/// One of the networks.
#[derive(Debug, Clone)]
pub enum Model {
    /// Allocation and payment MLPs.
    RegretNet(RegretNet),
    /// A menu of lotteries for one bidder.
    RochetNet(RochetNet),
    /// Monotone virtual values and a second-price auction, one item.
    MyersonNet(MyersonNet),
    /// A learned affine maximizer, any numbers of bidders and items.
    Ama(AmaNet),
}

impl Model {
    /// A freshly initialised network of the kind `spec.net.kind` names.
    pub fn new<R: Rng + ?Sized>(setting: &Setting, spec: NetSpec, rng: &mut R) -> Result<Self> {
        Ok(match spec.net.kind {
            NetKind::Regretnet => Model::RegretNet(RegretNet::new(setting, spec, rng)?),
            NetKind::Rochetnet => Model::RochetNet(RochetNet::new(setting, spec, rng)?),
            NetKind::Myersonnet => Model::MyersonNet(MyersonNet::new(setting, spec, rng)?),
            NetKind::Ama => Model::Ama(AmaNet::new(setting, spec, rng)?),
        })
    }

    /// The setting and architecture.
    pub fn spec(&self) -> &NetSpec {
        match self {
            Model::RegretNet(n) => n.spec(),
            Model::RochetNet(n) => n.spec(),
            Model::MyersonNet(n) => n.spec(),
            Model::Ama(n) => n.spec(),
        }
    }

    /// Every trainable variable by name, in name order.
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        match self {
            Model::RegretNet(n) => n.named_vars(),
            Model::RochetNet(n) => n.named_vars(),
            Model::MyersonNet(n) => n.named_vars(),
            Model::Ama(n) => n.named_vars(),
        }
    }

    /// Total number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.named_vars()
            .values()
            .map(|v| v.as_tensor().elem_count())
            .sum()
    }

    /// The mechanism: allocations `[B, n, d]` and payments `[B, n]` for `bids: [B, n, d]`
    /// (the exactly-IC networks take the hard argmax).
    pub fn forward(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        match self {
            Model::RegretNet(n) => n.forward(bids, mode),
            Model::RochetNet(n) => n.forward(bids, Choice::Hard, mode),
            Model::MyersonNet(n) => n.forward(bids, Choice::Hard, mode),
            Model::Ama(n) => n.forward(bids, Choice::Hard, mode),
        }
    }

    /// What training differentiates: RegretNet's outcome, or the exactly-IC networks' softmax
    /// surrogate with the weights tracked.
    pub fn forward_train(&self, bids: &Tensor) -> Result<Outcome> {
        match self {
            Model::RegretNet(n) => n.forward(bids, WeightGrad::Track),
            Model::RochetNet(n) => n.forward(bids, Choice::Soft, WeightGrad::Track),
            Model::MyersonNet(n) => n.forward(bids, Choice::Soft, WeightGrad::Track),
            Model::Ama(n) => n.forward(bids, Choice::Soft, WeightGrad::Track),
        }
    }

    /// The RegretNet inside, if this is one.
    pub fn as_regretnet(&self) -> Option<&RegretNet> {
        match self {
            Model::RegretNet(n) => Some(n),
            _ => None,
        }
    }

    /// The architecture's name.
    pub fn kind(&self) -> NetKind {
        self.spec().net.kind
    }
}

//! Any of the networks, chosen by `[net] kind`: the paper's [`RegretNet`], [`RochetNet`] and
//! [`MyersonNet`], the learned affine maximizer [`AmaNet`] and the permutation-equivariant
//! RegretNet [`EquivariantNet`]. Evaluation, plots and
//! checkpoints work on a [`Model`]; training dispatches on it (the regret-constrained trainer
//! for RegretNet and the equivariant net, plain revenue ascent for the exactly incentive-compatible networks).

use std::collections::BTreeMap;

use candle_core::{Device, Tensor, Var};
use rand::Rng;
use regretnet_core::{NetKind, Setting};

use crate::ama::AmaNet;
use crate::equivariant::EquivariantNet;
use crate::error::{NetsError, Result};
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
    /// A permutation-equivariant RegretNet (exchangeable layers), any numbers of bidders and
    /// items.
    Equivariant(EquivariantNet),
}

impl Model {
    /// A freshly initialised network of the kind `spec.net.kind` names.
    pub fn new<R: Rng + ?Sized>(setting: &Setting, spec: NetSpec, rng: &mut R) -> Result<Self> {
        Ok(match spec.net.kind {
            NetKind::Regretnet => Model::RegretNet(RegretNet::new(setting, spec, rng)?),
            NetKind::Rochetnet => Model::RochetNet(RochetNet::new(setting, spec, rng)?),
            NetKind::Myersonnet => Model::MyersonNet(MyersonNet::new(setting, spec, rng)?),
            NetKind::Ama => Model::Ama(AmaNet::new(setting, spec, rng)?),
            NetKind::Equivariant => Model::Equivariant(EquivariantNet::new(setting, spec, rng)?),
        })
    }

    /// The setting and architecture.
    pub fn spec(&self) -> &NetSpec {
        match self {
            Model::RegretNet(n) => n.spec(),
            Model::RochetNet(n) => n.spec(),
            Model::MyersonNet(n) => n.spec(),
            Model::Ama(n) => n.spec(),
            Model::Equivariant(n) => n.spec(),
        }
    }

    /// Every trainable variable by name, in name order.
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        match self {
            Model::RegretNet(n) => n.named_vars(),
            Model::RochetNet(n) => n.named_vars(),
            Model::MyersonNet(n) => n.named_vars(),
            Model::Ama(n) => n.named_vars(),
            Model::Equivariant(n) => n.named_vars(),
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
            Model::Equivariant(n) => n.forward(bids, mode),
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
            Model::Equivariant(n) => n.forward(bids, WeightGrad::Track),
        }
    }

    /// Values per bidder in a profile: the number of items, or the type length of a
    /// combinatorial bidder (3 in the 2 x 2 CA settings: both items and the bundle's term).
    pub fn type_len(&self) -> usize {
        match self {
            Model::RegretNet(n) => n.items(),
            Model::Ama(n) => n.dim(),
            _ => self.spec().setting.items,
        }
    }

    /// The mechanism on plain slices: `profiles` holds `B` reported profiles `[B, n, d]`
    /// row-major (`d` = [`Model::type_len`]); returns the allocations `[B, n, d]` and the
    /// payments `[B, n]`, row-major, as [`Model::forward`] with the weights frozen.
    ///
    /// ```
    /// # use regretnet_core::{presets, rng::{stream_rng, Stream}};
    /// # use regretnet_nets::{Model, NetSpec};
    /// let config = presets::preset("additive_1x2_uniform").unwrap();
    /// let setting = config.setting.build().unwrap();
    /// let spec = NetSpec { setting: config.setting, net: config.net };
    /// let model = Model::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
    /// let (alloc, pay) = model.outcome_of(&[0.3, 0.9, 0.5, 0.5]).unwrap(); // two profiles
    /// assert_eq!((alloc.len(), pay.len()), (4, 2));
    /// assert!(model.outcome_of(&[0.3, 0.9, 0.5]).is_err()); // not a whole profile
    /// ```
    pub fn outcome_of(&self, profiles: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        let (n, d) = (self.spec().setting.bidders, self.type_len());
        if profiles.is_empty() || !profiles.len().is_multiple_of(n * d) {
            return Err(NetsError::Shape(format!(
                "{} values are not whole profiles of {n} bidders x {d} values",
                profiles.len()
            )));
        }
        if let Some(at) = profiles.iter().position(|x| !x.is_finite()) {
            return Err(NetsError::Shape(format!(
                "value {at} of the profiles is {}, not a finite number",
                profiles[at]
            )));
        }
        let bids = Tensor::from_slice(profiles, (profiles.len() / (n * d), n, d), &Device::Cpu)?;
        let out = self.forward(&bids, WeightGrad::Frozen)?;
        Ok((
            out.alloc.flatten_all()?.to_vec1()?,
            out.pay.flatten_all()?.to_vec1()?,
        ))
    }

    /// Each bidder's utility `u_i = sum_j a_ij v_ij - p_i` with true values `values` at the
    /// outcome of the reports `bids` (both flat `[B, n, d]` as in [`Model::outcome_of`]):
    /// flat `[B, n]`. With `values == bids` it is the truthful utility; with bidder `i`'s row
    /// of `bids` changed, `i`'s entry is its utility from that misreport.
    ///
    /// ```
    /// # use regretnet_core::{presets, rng::{stream_rng, Stream}};
    /// # use regretnet_nets::{Model, NetSpec};
    /// # let config = presets::preset("additive_1x2_uniform").unwrap();
    /// # let setting = config.setting.build().unwrap();
    /// # let spec = NetSpec { setting: config.setting, net: config.net };
    /// # let model = Model::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
    /// let u = model.utility_of(&[0.3, 0.9], &[0.5, 0.5]).unwrap();
    /// let (a, p) = model.outcome_of(&[0.5, 0.5]).unwrap();
    /// assert!((u[0] - (a[0] * 0.3 + a[1] * 0.9 - p[0])).abs() < 1e-6);
    /// assert!(model.utility_of(&[0.3, 0.9], &[0.5]).is_err());
    /// ```
    pub fn utility_of(&self, values: &[f32], bids: &[f32]) -> Result<Vec<f32>> {
        if values.len() != bids.len() {
            return Err(NetsError::Shape(format!(
                "{} true values for {} reported values: give one value per report",
                values.len(),
                bids.len()
            )));
        }
        if let Some(at) = values.iter().position(|x| !x.is_finite()) {
            return Err(NetsError::Shape(format!(
                "true value {at} is {}, not a finite number",
                values[at]
            )));
        }
        let (alloc, pay) = self.outcome_of(bids)?;
        let d = self.type_len();
        Ok(alloc
            .chunks_exact(d)
            .zip(values.chunks_exact(d))
            .zip(&pay)
            .map(|((a, v), p)| a.iter().zip(v).map(|(a, v)| a * v).sum::<f32>() - p)
            .collect())
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

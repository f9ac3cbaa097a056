//! The RegretNet mechanism: an allocation net and a payment net over the bid profile.

use std::collections::BTreeMap;

use candle_core::{Tensor, Var};
use rand::Rng;
use regretnet_core::{NetConfig, Setting, SettingConfig, ValuationKind};

use crate::base::MyersonBase;
use crate::error::Result;
use crate::heads::{
    additive_allocation, combinatorial_allocation, combinatorial_input, payment,
    unit_demand_allocation, COMBINATORIAL_LOGITS,
};
use crate::mlp::{Mlp, WeightGrad};

/// What a network was built for: the setting and the architecture. Stored in checkpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct NetSpec {
    /// The setting as configured (name, sizes, valuation, prior).
    pub setting: SettingConfig,
    /// The hidden widths.
    pub net: NetConfig,
}

/// Allocations and payments for a batch of bid profiles.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `[batch, n, d]`, the coefficients of each bidder's type in its value: for additive and
    /// unit-demand bidders (`d = m`) the probability that bidder `i` receives item `j`; for a
    /// combinatorial bidder (`d = 3`) those of `(v_1, v_2, C)`,
    /// [`crate::heads::combinatorial_allocation`]. A bidder's value is always
    /// `sum_k alloc[i, k] type[i, k]`.
    pub alloc: Tensor,
    /// `[batch, n]`: expected payment of bidder `i`.
    pub pay: Tensor,
}

/// The learned mechanism: two tanh MLPs reading the flattened bid profile.
///
/// - allocation net: `[batch, n*m] -> [batch, (n+1)*(m+1)]` logits, then
///   [`additive_allocation`] (unit demand: twice as many logits, then
///   [`unit_demand_allocation`]; combinatorial 2x2: 16 logits, then
///   [`combinatorial_allocation`]);
/// - payment net: `[batch, n*m] -> [batch, n]` logits, then [`payment`].
///
/// A combinatorial profile `[batch, 2, 3]` of types `(v_1, v_2, C)` enters both nets as the
/// bundle values `(v_1, v_2, v_1 + v_2 + C)` ([`combinatorial_input`]), as in the reference.
#[derive(Debug, Clone)]
pub struct RegretNet {
    spec: NetSpec,
    bidders: usize,
    items: usize,
    valuation: ValuationKind,
    alloc: Mlp,
    pay: Mlp,
    base: Option<MyersonBase>,
}

impl RegretNet {
    /// A freshly initialised network (Glorot-uniform weights from `rng`, zero biases; the
    /// allocation net is drawn first, then the payment net).
    pub fn new<R: Rng + ?Sized>(setting: &Setting, spec: NetSpec, rng: &mut R) -> Result<Self> {
        let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
        let logits = match setting.valuation {
            ValuationKind::Additive => (n + 1) * (m + 1),
            ValuationKind::UnitDemand => 2 * (n + 1) * (m + 1),
            ValuationKind::Combinatorial => COMBINATORIAL_LOGITS,
        };
        let alloc = Mlp::new(n * d, &spec.net.alloc_hidden, logits, rng)?;
        let pay = Mlp::new(n * d, &spec.net.pay_hidden, n, rng)?;
        // On a truthful base the output layers start at zero: the network starts as the base.
        let base = match (spec.net.base, spec.net.base_temperature) {
            (Some(_), Some(tau)) => {
                for out in [&alloc.output, &pay.output] {
                    out.weight.set(&out.weight.as_tensor().zeros_like()?)?;
                    out.bias.set(&out.bias.as_tensor().zeros_like()?)?;
                }
                Some(MyersonBase::new(setting, tau)?)
            }
            _ => None,
        };
        Ok(RegretNet {
            spec,
            bidders: n,
            items: d,
            valuation: setting.valuation,
            alloc,
            pay,
            base,
        })
    }

    /// The truthful base the network learns a residual to (`net.base`), if any.
    pub fn base(&self) -> Option<&MyersonBase> {
        self.base.as_ref()
    }

    /// The MLPs' logits plus the base's, when there is one.
    fn with_base(&self, bids: &Tensor, z: Tensor, s: Tensor) -> Result<(Tensor, Tensor)> {
        match &self.base {
            Some(base) => {
                let (bz, bs) = base.logits(bids)?;
                Ok(((z + bz)?, (s + bs)?))
            }
            None => Ok((z, s)),
        }
    }

    /// The setting and architecture this network was built for.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// Number of bidders.
    pub fn bidders(&self) -> usize {
        self.bidders
    }

    /// Values per bidder in a bid profile: the number of items, or 3 for a combinatorial
    /// bidder's `(v_1, v_2, C)` ([`regretnet_core::Setting::type_len`]).
    pub fn items(&self) -> usize {
        self.items
    }

    /// The valuation kind (which allocation head).
    pub fn valuation(&self) -> ValuationKind {
        self.valuation
    }

    /// The allocation head on allocation logits.
    fn allocation(&self, logits: &Tensor) -> Result<Tensor> {
        match self.valuation {
            ValuationKind::Additive => additive_allocation(logits, self.bidders, self.items),
            ValuationKind::UnitDemand => unit_demand_allocation(logits, self.bidders, self.items),
            ValuationKind::Combinatorial => combinatorial_allocation(logits),
        }
    }

    /// The flattened network input for `bids: [batch, n, d]`.
    pub(crate) fn input(&self, bids: &Tensor) -> Result<Tensor> {
        match self.valuation {
            ValuationKind::Combinatorial => combinatorial_input(bids),
            _ => Ok(bids.reshape((bids.dim(0)?, self.bidders * self.items))?),
        }
    }

    /// The allocation MLP.
    pub fn alloc_net(&self) -> &Mlp {
        &self.alloc
    }

    /// The payment MLP.
    pub fn pay_net(&self) -> &Mlp {
        &self.pay
    }

    /// Allocations and payments for `bids: [batch, n, d]`.
    ///
    /// With [`WeightGrad::Frozen`] the result is differentiable with respect to `bids` only.
    pub fn forward(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        let x = self.input(bids)?;
        let (z, s) = self.with_base(
            bids,
            self.alloc.forward(&x, mode)?,
            self.pay.forward(&x, mode)?,
        )?;
        let alloc = self.allocation(&z)?;
        let pay = payment(&s, &alloc, bids)?;
        Ok(Outcome { alloc, pay })
    }

    /// [`RegretNet::forward`] in candle's own ops only (no fused kernels): slower, the
    /// reference that the fast paths are tested against.
    pub fn forward_plain(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        let x = self.input(bids)?;
        let (z, s) = self.with_base(
            bids,
            self.alloc.forward_plain(&x, mode)?,
            self.pay.forward_plain(&x, mode)?,
        )?;
        let alloc = self.allocation(&z)?;
        let pay = payment(&s, &alloc, bids)?;
        Ok(Outcome { alloc, pay })
    }

    /// Every trainable variable by name, in name order (the order of optimizer state and of
    /// checkpoints; never a `HashMap` order).
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        self.alloc
            .named_vars("alloc")
            .into_iter()
            .chain(self.pay.named_vars("pay"))
            .collect()
    }

    /// Total number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.named_vars()
            .values()
            .map(|v| v.as_tensor().elem_count())
            .sum()
    }
}

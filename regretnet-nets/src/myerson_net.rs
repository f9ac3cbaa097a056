//! MyersonNet (Dütting et al., section 4.2): a single-item auction that is exactly incentive
//! compatible because each bidder's virtual value is monotone in its bid and the item is sold
//! by a second-price auction with reserve zero on those virtual values.
//!
//! Bidder `i`'s virtual value is a min over `G` groups of a max over `L` increasing linear
//! pieces, `phi_i(x) = min_g max_l (exp(s_gli) x + c_gli)`, strictly increasing because every
//! slope is an exponential. Its inverse is
//! `phi_i^-1(y) = max_g min_l (y - c_gli) / exp(s_gli)`. Parameters as in the reference
//! implementation: `s: [G, L, n]` from `N(0, 1)`, `c: [G, L, n]` from `U[bias_init]`
//! (reference: `-5 U[0,1)`).
//!
//! The winner is the bidder with the highest non-negative virtual value; it pays
//! `phi_i^-1(max(0, max_{j != i} phi_j))`, the least bid that would still win. Training
//! ([`Choice::Soft`]) replaces the winner by `softmax(T [phi, 0])` (the 0 is the "unsold"
//! dummy) with the reference's `T = 1000`; evaluation ([`Choice::Hard`]) takes the argmax, the
//! first index on a tie (a bidder at virtual value exactly 0 wins).

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor, Var};
use rand::Rng;
use regretnet_core::Setting;

use crate::error::{NetsError, Result};
use crate::init::{normal, uniform};
use crate::mlp::WeightGrad;
use crate::net::{NetSpec, Outcome};
use crate::rochet::Choice;

/// The monotone virtual-value network and its second-price unit (module docs).
#[derive(Debug, Clone)]
pub struct MyersonNet {
    spec: NetSpec,
    bidders: usize,
    groups: usize,
    linear: usize,
    temperature: f64,
    slope_log: Var,
    bias: Var,
}

impl MyersonNet {
    /// A fresh network for `setting` (one item), slopes then biases drawn from `rng`.
    pub fn new<R: Rng + ?Sized>(setting: &Setting, spec: NetSpec, rng: &mut R) -> Result<Self> {
        if setting.items != 1 {
            return Err(NetsError::Shape(format!(
                "MyersonNet sells one item, the setting has {}",
                setting.items
            )));
        }
        let (n, g, l) = (setting.bidders, spec.net.groups, spec.net.linear);
        let shape = (g, l, n);
        let slope_log = Tensor::from_vec(normal(g * l * n, 1.0, rng), shape, &Device::Cpu)?;
        let bias = Tensor::from_vec(
            uniform(g * l * n, spec.net.bias_range(setting), rng),
            shape,
            &Device::Cpu,
        )?;
        Ok(MyersonNet {
            bidders: n,
            groups: g,
            linear: l,
            temperature: spec.net.temperature,
            slope_log: Var::from_tensor(&slope_log)?,
            bias: Var::from_tensor(&bias)?,
            spec,
        })
    }

    /// The setting and architecture.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// Number of bidders.
    pub fn bidders(&self) -> usize {
        self.bidders
    }

    /// The trainable variables: `vv.slope_log` and `vv.bias`, both `[G, L, n]`.
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        BTreeMap::from([
            ("vv.bias".to_string(), self.bias.clone()),
            ("vv.slope_log".to_string(), self.slope_log.clone()),
        ])
    }

    fn params(&self, mode: WeightGrad) -> Result<(Tensor, Tensor)> {
        let (s, c) = match mode {
            WeightGrad::Track => (
                self.slope_log.as_tensor().clone(),
                self.bias.as_tensor().clone(),
            ),
            WeightGrad::Frozen => (
                self.slope_log.as_detached_tensor(),
                self.bias.as_detached_tensor(),
            ),
        };
        Ok((s.exp()?, c))
    }

    /// Virtual values `[B, n]` of bids `x: [B, n]`.
    pub fn virtual_values(&self, x: &Tensor, mode: WeightGrad) -> Result<Tensor> {
        let (slope, c) = self.params(mode)?;
        let batch = x.dim(0)?;
        let x4 = x.reshape((batch, 1, 1, self.bidders))?;
        let lines = x4.broadcast_mul(&slope)?.broadcast_add(&c)?; // [B, G, L, n]
        Ok(lines.max(2)?.min(1)?)
    }

    /// The inverse virtual values `[B, n]` of `y: [B, n]` (bidder `i`'s inverse at `y[:, i]`).
    pub fn inverse_virtual_values(&self, y: &Tensor, mode: WeightGrad) -> Result<Tensor> {
        let (slope, c) = self.params(mode)?;
        let batch = y.dim(0)?;
        let y4 = y.reshape((batch, 1, 1, self.bidders))?;
        let x = y4.broadcast_sub(&c)?.broadcast_div(&slope)?; // [B, G, L, n]
        Ok(x.min(2)?.max(1)?)
    }

    /// Allocation `[B, n, 1]` and payments `[B, n]` for `bids: [B, n, 1]`.
    pub fn forward(&self, bids: &Tensor, choice: Choice, mode: WeightGrad) -> Result<Outcome> {
        let (batch, n) = (bids.dim(0)?, self.bidders);
        let x = bids.reshape((batch, n))?;
        let vv = self.virtual_values(&x, mode)?;
        let with_dummy = Tensor::cat(
            &[&vv, &Tensor::zeros((batch, 1), DType::F32, &Device::Cpu)?],
            1,
        )?;
        let win = match choice {
            Choice::Soft => candle_nn::ops::softmax(&(&with_dummy * self.temperature)?, 1)?,
            Choice::Hard => {
                let pick = with_dummy.argmax_keepdim(1)?; // [B, 1] u32
                let index = Tensor::arange(0u32, (n + 1) as u32, &Device::Cpu)?;
                pick.broadcast_eq(&index)?.to_dtype(DType::F32)?
            }
        }
        .narrow(1, 0, n)?;
        // max(0, max_{j != i} phi_j): zeroing the own entry puts the reserve 0 in the max.
        let others = Tensor::ones((n, n), DType::F32, &Device::Cpu)?.sub(&Tensor::eye(
            n,
            DType::F32,
            &Device::Cpu,
        )?)?;
        let threshold = vv.unsqueeze(1)?.broadcast_mul(&others)?.max(2)?; // [B, n]
        let price = self.inverse_virtual_values(&threshold, mode)?;
        Ok(Outcome {
            pay: (&win * &price)?,
            alloc: win.reshape((batch, n, 1))?,
        })
    }

    /// Number of groups and linear pieces per group.
    pub fn sizes(&self) -> (usize, usize) {
        (self.groups, self.linear)
    }
}

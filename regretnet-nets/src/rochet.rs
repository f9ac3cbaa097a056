//! RochetNet (Dütting et al., section 4.1): a menu of lotteries for a single bidder, exactly
//! incentive compatible because the bidder picks its favourite entry.
//!
//! Entry `k` offers allocation `w_k` (a probability per item) at price `-b_k`; the bidder's
//! utility for it is `u_k(x) = x . w_k + b_k`. A zero entry (`w = 0`, `b = 0`) is always on the
//! menu, so utility is never negative (IR). Parameters, as in the reference implementation:
//!
//! - additive: `w = sigmoid(alpha)`, `alpha: [m, K]`;
//! - unit demand: `w = softmax(alpha, axis 0)[:m]`, `alpha: [m + 1, K]`, so each entry's
//!   probabilities sum to at most 1;
//! - `b: [K]`, drawn from `U[bias_init]`; `alpha` from `N(0, 1)` ([`ALPHA_INIT_SD`]).
//!
//! Training ([`Choice::Soft`]) replaces the argmax by `softmax(T u)` with the reference's
//! temperature `T = 1000`: allocation `a = softmax(T u) W^T` and payment
//! `p = a . x - max_k u_k`, as in the reference. Evaluation ([`Choice::Hard`]) takes the
//! utility-maximizing entry: allocation `w_{k*}`, payment `-b_{k*}`.

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor, Var, D};
use rand::Rng;
use regretnet_core::{Setting, ValuationKind};

use crate::error::{NetsError, Result};
use crate::init::{normal, uniform};
use crate::mlp::WeightGrad;
use crate::net::{NetSpec, Outcome};

/// Standard deviation of RochetNet's initial `alpha`: 1, the default of the reference's
/// `tf.keras.initializers.RandomNormal()` in the TensorFlow 1.x releases of its time, where
/// that name was the core `init_ops.RandomNormal` (stddev 1.0, tensorflow/tensorflow#12973;
/// later Keras releases default to 0.05). It matters: with 0.05 every entry starts near the
/// lottery `(1/2, 1/2)`, the menu stays symmetric and training on 1x2 U\[0,1\] settled on pure
/// bundling (0.5386 on the test sample, the bundle's revenue, -1.1% from the optimum, after
/// 40,000 and after 100,000 iterations); with 1 the entries start spread over the square and
/// the same 40,000 iterations reach 0.5439, -0.13% (docs/TRAINING.md).
pub const ALPHA_INIT_SD: f64 = 1.0;

/// How an exactly-IC network chooses: the smooth training surrogate or the mechanism itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Softmax with the configured temperature (training).
    Soft,
    /// Argmax (evaluation: the mechanism whose regret is zero).
    Hard,
}

/// A menu of `K` lotteries plus the zero entry (module docs).
#[derive(Debug, Clone)]
pub struct RochetNet {
    spec: NetSpec,
    items: usize,
    unit_demand: bool,
    temperature: f64,
    alpha: Var,
    bias: Var,
}

impl RochetNet {
    /// A fresh menu for `setting` (one bidder), `alpha` then `b` drawn from `rng`.
    pub fn new<R: Rng + ?Sized>(setting: &Setting, spec: NetSpec, rng: &mut R) -> Result<Self> {
        if setting.bidders != 1 {
            return Err(NetsError::Shape(format!(
                "RochetNet needs one bidder, the setting has {}",
                setting.bidders
            )));
        }
        let (m, k) = (setting.items, spec.net.menu_size);
        let unit_demand = setting.valuation == ValuationKind::UnitDemand;
        let rows = if unit_demand { m + 1 } else { m };
        let alpha = Tensor::from_vec(
            normal(rows * k, ALPHA_INIT_SD, rng),
            (rows, k),
            &Device::Cpu,
        )?;
        let bias = Tensor::from_vec(
            uniform(k, spec.net.bias_range(setting), rng),
            k,
            &Device::Cpu,
        )?;
        Ok(RochetNet {
            items: m,
            unit_demand,
            temperature: spec.net.temperature,
            alpha: Var::from_tensor(&alpha)?,
            bias: Var::from_tensor(&bias)?,
            spec,
        })
    }

    /// The setting and architecture.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// Number of items.
    pub fn items(&self) -> usize {
        self.items
    }

    /// The trainable variables: `menu.alpha` and `menu.bias`.
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        BTreeMap::from([
            ("menu.alpha".to_string(), self.alpha.clone()),
            ("menu.bias".to_string(), self.bias.clone()),
        ])
    }

    fn param(v: &Var, mode: WeightGrad) -> Tensor {
        match mode {
            WeightGrad::Track => v.as_tensor().clone(),
            WeightGrad::Frozen => v.as_detached_tensor(),
        }
    }

    /// The menu with its zero entry last: allocations `[m, K + 1]` and utility offsets
    /// `[K + 1]` (minus the prices).
    pub fn menu(&self, mode: WeightGrad) -> Result<(Tensor, Tensor)> {
        let alpha = Self::param(&self.alpha, mode);
        let w = if self.unit_demand {
            candle_nn::ops::softmax(&alpha, 0)?.narrow(0, 0, self.items)?
        } else {
            candle_nn::ops::sigmoid(&alpha)?
        };
        let w = Tensor::cat(
            &[
                &w,
                &Tensor::zeros((self.items, 1), DType::F32, &Device::Cpu)?,
            ],
            1,
        )?;
        let b = Tensor::cat(
            &[
                &Self::param(&self.bias, mode),
                &Tensor::zeros(1, DType::F32, &Device::Cpu)?,
            ],
            0,
        )?;
        Ok((w, b))
    }

    /// Allocation `[B, 1, m]` and payment `[B, 1]` for `bids: [B, 1, m]`.
    pub fn forward(&self, bids: &Tensor, choice: Choice, mode: WeightGrad) -> Result<Outcome> {
        let batch = bids.dim(0)?;
        let x = bids.reshape((batch, self.items))?;
        let (w, b) = self.menu(mode)?;
        let u = x.matmul(&w)?.broadcast_add(&b)?; // [B, K + 1]
        let (alloc, pay) = match choice {
            Choice::Soft => {
                let weights = candle_nn::ops::softmax(&(&u * self.temperature)?, D::Minus1)?;
                let a = weights.matmul(&w.t()?)?;
                let pay = ((&a * &x)?.sum(1)? - u.max(1)?)?;
                (a, pay)
            }
            Choice::Hard => {
                let pick = u.argmax(1)?;
                let a = w.t()?.contiguous()?.index_select(&pick, 0)?;
                let pay = b.neg()?.index_select(&pick, 0)?;
                (a, pay)
            }
        };
        Ok(Outcome {
            alloc: alloc.reshape((batch, 1, self.items))?,
            pay: pay.reshape((batch, 1))?,
        })
    }
}

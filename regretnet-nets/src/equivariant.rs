//! The permutation-equivariant RegretNet (`[net] kind = "equivariant"`), after EquivariantNet
//! (Rahme, Jelassi, Bruna and Weinberg, "A Permutation-Equivariant Neural Network
//! Architecture for Auction Design", AAAI 2021): the allocation and payment nets are stacks of
//! exchangeable layers ([`Exchangeable`]) over the bidders x items grid of bids, so relabelling
//! the bidders or the items relabels the outcome, and no parameter's shape depends on the
//! numbers of bidders `n` and items `m`.
//!
//! # The computation
//!
//! The bids `[B, n, m]` enter as a grid `[B, n, m, 1]` (one channel: the bid).
//!
//! - **Allocation net**: one [`Exchangeable`] layer per width of `net.alloc_hidden`, each
//!   followed by tanh, giving `H` `[B, n, m, h]`; then
//!   - the bidders' logits `z_ij`: one more exchangeable layer `h -> 1` on `H`
//!     (`eq.alloc.out.*`);
//!   - the dummy bidder's logit per item ("unsold"): `mean_i H[i, j] w_dummy + b_dummy`
//!     (`eq.alloc.dummy` `[h, 1]`, `eq.alloc.dummy_bias` `[1]`), the same for every order of
//!     the bidders;
//!   - a softmax over the `n + 1` bidders of each item: every entry in `[0, 1]`, every item's
//!     column summing to at most 1 (RegretNet's additive head).
//! - **Payment net**: its own stack over `net.pay_hidden`, `G` `[B, n, m, h']`; bidder `i`'s
//!   payment fraction is `sigmoid(mean_j G[i, j] w_pay + b_pay)` (`eq.pay.out` `[h', 1]`,
//!   `eq.pay.out_bias` `[1]`), and its payment that fraction times its reported value of its
//!   allocation ([`crate::heads::payment`]): a truthful bidder is never charged more than its
//!   value, whatever the weights (individual rationality by construction, as in RegretNet).
//!
//! Every layer commutes with permutations of the rows (bidders) and columns (items), the
//! bidder pooling is over the rows and the item pooling over the columns, so for permutations
//! `s` of the bidders and `t` of the items the outcome at the permuted bids is the permuted
//! outcome (tested to float precision). A symmetric prior gets a symmetric mechanism by
//! construction; an asymmetric one still gets one, which may cost revenue.
//!
//! Variables: `eq.alloc.layer{l}.{entry,col,row,all,bias}`, `eq.alloc.out.{...}`,
//! `eq.alloc.dummy`, `eq.alloc.dummy_bias`, `eq.pay.layer{l}.{...}`, `eq.pay.out`,
//! `eq.pay.out_bias`. The same names and shapes at every size: a checkpoint of a 2 x 3 run
//! initializes a 5 x 10 run (`train.init_from`).

use std::collections::BTreeMap;

use candle_core::{Tensor, Var};
use rand::Rng;
use regretnet_core::Setting;

use crate::error::Result;
use crate::exchangeable::Exchangeable;
use crate::heads::{payment, softmax};
use crate::init::{glorot_uniform, zeros};
use crate::mlp::WeightGrad;
use crate::net::{NetSpec, Outcome};

/// A stack of exchangeable layers with tanh after each.
#[derive(Debug, Clone)]
struct Stack {
    layers: Vec<Exchangeable>,
}

impl Stack {
    fn new<R: Rng + ?Sized>(widths: &[usize], rng: &mut R) -> Result<Self> {
        let mut layers = Vec::with_capacity(widths.len());
        let mut c_in = 1;
        for &w in widths {
            layers.push(Exchangeable::new(c_in, w, rng)?);
            c_in = w;
        }
        Ok(Stack { layers })
    }

    fn named_vars(&self, prefix: &str) -> BTreeMap<String, Var> {
        let mut vars = BTreeMap::new();
        for (l, layer) in self.layers.iter().enumerate() {
            vars.extend(layer.named_vars(&format!("{prefix}.layer{l}")));
        }
        vars
    }

    /// `grid: [B, n, m, 1] -> [B, n, m, h]`.
    fn forward(&self, grid: &Tensor, mode: WeightGrad) -> Result<Tensor> {
        let mut h = grid.clone();
        for layer in &self.layers {
            h = layer.forward(&h, mode)?.tanh()?;
        }
        Ok(h)
    }
}

fn read(v: &Var, mode: WeightGrad) -> Tensor {
    match mode {
        WeightGrad::Track => v.as_tensor().clone(),
        WeightGrad::Frozen => v.as_detached_tensor(),
    }
}

/// `x: [B, r, h]` times `w: [h, 1]` plus `b: [1]`: `[B, r]`.
fn project(x: &Tensor, w: &Var, b: &Var, mode: WeightGrad) -> Result<Tensor> {
    let (batch, rows, h) = x.dims3()?;
    Ok(x.reshape((batch * rows, h))?
        .matmul(&read(w, mode))?
        .reshape((batch, rows))?
        .broadcast_add(&read(b, mode))?)
}

/// The equivariant RegretNet (module docs).
#[derive(Debug, Clone)]
pub struct EquivariantNet {
    spec: NetSpec,
    bidders: usize,
    items: usize,
    alloc: Stack,
    alloc_out: Exchangeable,
    dummy: Var,
    dummy_bias: Var,
    pay: Stack,
    pay_out: Var,
    pay_out_bias: Var,
}

impl EquivariantNet {
    /// A freshly initialised network for `setting` (additive bidders; the config's checks
    /// refuse others). Draws, in order: the allocation layers, its output layer, the dummy
    /// bidder's weights (Glorot-uniform), the payment layers, the payment's weights
    /// (Glorot-uniform); biases zero.
    pub fn new<R: Rng + ?Sized>(setting: &Setting, spec: NetSpec, rng: &mut R) -> Result<Self> {
        let alloc = Stack::new(&spec.net.alloc_hidden, rng)?;
        let h = *spec.net.alloc_hidden.last().unwrap_or(&1);
        let alloc_out = Exchangeable::new(h, 1, rng)?;
        let dummy = glorot_uniform(h, 1, rng)?;
        let pay = Stack::new(&spec.net.pay_hidden, rng)?;
        let hp = *spec.net.pay_hidden.last().unwrap_or(&1);
        let pay_out = glorot_uniform(hp, 1, rng)?;
        Ok(EquivariantNet {
            bidders: setting.bidders,
            items: setting.items,
            spec,
            alloc,
            alloc_out,
            dummy,
            dummy_bias: zeros(1)?,
            pay,
            pay_out,
            pay_out_bias: zeros(1)?,
        })
    }

    /// The setting and architecture this network was built for.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// Number of bidders.
    pub fn bidders(&self) -> usize {
        self.bidders
    }

    /// Number of items.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Every trainable variable by name, in name order (module docs).
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        let mut vars = self.alloc.named_vars("eq.alloc");
        vars.extend(self.alloc_out.named_vars("eq.alloc.out"));
        vars.insert("eq.alloc.dummy".into(), self.dummy.clone());
        vars.insert("eq.alloc.dummy_bias".into(), self.dummy_bias.clone());
        vars.extend(self.pay.named_vars("eq.pay"));
        vars.insert("eq.pay.out".into(), self.pay_out.clone());
        vars.insert("eq.pay.out_bias".into(), self.pay_out_bias.clone());
        vars
    }

    /// Multiply-adds of one profile of `n` bidders and `m` items through both nets (matrix
    /// products only): each exchangeable layer `c_in -> c_out` costs
    /// `(n m + n + m + 1) c_in c_out` (the entries, the row means, the column means, the global
    /// mean), the dummy bidder's projection `m h`, the payment's `n h'`.
    ///
    /// ```
    /// # use regretnet_core::{presets, rng::{stream_rng, Stream}};
    /// # use regretnet_nets::{EquivariantNet, NetSpec};
    /// let config = presets::preset_with_net("additive_2x3_uniform",
    ///     regretnet_core::NetKind::Equivariant).unwrap();
    /// let setting = config.setting.build().unwrap();
    /// let spec = NetSpec { setting: config.setting, net: config.net };
    /// let net = EquivariantNet::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
    /// // The presets' widths [16, 16] in both nets, 2 x 3: 12 grid terms per layer.
    /// let layers = 12 * (16 + 16 * 16) * 2 + 12 * 16; // both stacks, then alloc.out
    /// assert_eq!(net.macs_per_profile(2, 3), layers + 3 * 16 + 2 * 16); // dummy, payment
    /// assert_eq!(net.macs_per_profile(2, 3), 6_800); // BENCHMARKS.md's count
    /// ```
    pub fn macs_per_profile(&self, n: usize, m: usize) -> usize {
        let terms = n * m + n + m + 1;
        let stack = |widths: &[usize]| -> usize {
            let mut c_in = 1;
            widths
                .iter()
                .map(|&w| {
                    let macs = terms * c_in * w;
                    c_in = w;
                    macs
                })
                .sum()
        };
        let (alloc, pay) = (&self.spec.net.alloc_hidden, &self.spec.net.pay_hidden);
        let (h, hp) = (
            alloc.last().copied().unwrap_or(1),
            pay.last().copied().unwrap_or(1),
        );
        stack(alloc) + terms * h + m * h + stack(pay) + n * hp
    }

    /// Allocations `[B, n, m]` and payments `[B, n]` for `bids: [B, n, m]`, at any `n` and
    /// `m` (the weights do not depend on them). With [`WeightGrad::Frozen`] the result is
    /// differentiable with respect to `bids` only.
    pub fn forward(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        let (batch, n, m) = bids.dims3()?;
        let grid = bids.reshape((batch, n, m, 1))?;
        let h = self.alloc.forward(&grid, mode)?;
        let logits = self.alloc_out.forward(&h, mode)?.reshape((batch, n, m))?;
        let pooled = h.mean(1)?; // [B, m, h]: each item's mean over the bidders
        let dummy = project(&pooled, &self.dummy, &self.dummy_bias, mode)?.unsqueeze(1)?;
        let z = Tensor::cat(&[logits, dummy], 1)?; // [B, n + 1, m]
        let alloc = softmax(&z, 1)?.narrow(1, 0, n)?;
        let g = self.pay.forward(&grid, mode)?.mean(2)?; // [B, n, h']: each bidder's mean
        let fraction_logits = project(&g, &self.pay_out, &self.pay_out_bias, mode)?;
        let pay = payment(&fraction_logits, &alloc, bids)?;
        Ok(Outcome { alloc, pay })
    }
}

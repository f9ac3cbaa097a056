//! A learned affine maximizer auction (lottery AMA, Curry, Sandholm and Dickerson, IJCAI 2023):
//! a free menu of `K` randomized allocations, bidder weights and boosts, exactly incentive
//! compatible and individually rational for any parameters (the proof is in
//! [`regretnet_core::ama`], whose [`AffineMenu`] is the same mechanism in `f64`).
//!
//! # Parameters
//!
//! - `ama.alloc`: the menu's logits. Additive: `[K, n + 1, m]`, each item's allocation a
//!   softmax over the `n` bidders and "unsold" (axis 1, the last row dropped). Unit demand:
//!   `[K, n + 1, m + 1]`, the minimum of the softmax over bidders (axis 1) and the softmax over
//!   items (axis 2), without the dummy row and column, as RegretNet's unit-demand head: every
//!   item is sold at most once and every bidder gets at most one item in expectation, a doubly
//!   substochastic matrix and so a lottery over matchings (Birkhoff-von Neumann). Combinatorial
//!   2 x 2: `[K, 9]`, a softmax over the nine deterministic outcomes
//!   ([`OutcomeList::Corrected`]) whose expected coefficients of `(v1, v2, C)` are the entry.
//! - `ama.boost`: `[K]`, the boosts `lambda_k`.
//! - `ama.weight`: `[n]`, the bidder weights `w_i = exp(weight_i)`.
//!
//! With `[net] menu = "generated"` the three come instead from a [`MenuGenerator`] (exchangeable
//! layers over fixed bidder and item representations, whose parameters do not depend on `n` or
//! `m`): its logits take the place of `ama.alloc`, through the same softmaxes.
//!
//! With `[net] itemwise = true` (a free menu of additive bidders) the menu also holds the
//! item-wise block of [`regretnet_core::ama_itemwise`]: every deterministic assignment of the
//! items, with boost `sum_j beta[j, o_j]`, `ama.itemwise` `[m, n + 1]` the table `beta`
//! (column `n`: unsold). It starts at item-wise Myerson (each bidder's column minus its
//! reserve, the value where the item's ironed virtual value reaches 0; unsold 0), and each
//! entry's boost starts `3 / T` below [`ama_block::entry_floor`], the least boost at which the
//! entry beats the block at some profile: the mechanism starts as item-wise Myerson, and the
//! soft choice still reaches every entry near the reserves. The block's best welfare, with and
//! without a bidder, and its softmax are computed item by item; its soft payment charges each
//! bidder only for the items it wins ([`crate::ama_block`], "The soft payment").
//!
//! The empty entry, with boost 0, is entry 0 of the menu (adding one constant to every boost
//! changes neither the choice nor a payment, so fixing the empty entry's boost loses nothing).
//!
//! # Choice
//!
//! [`Choice::Hard`] is the mechanism: with `V[b, i, k]` bidder `i`'s value for entry `k`,
//! `S = sum_i w_i V_i + lambda`, entry `k* = argmax_k S` (candle's argmax: the first maximizer),
//! payment `p_i = (max_k S_{-i} - S_{-i}(k*)) / w_i` clamped to `[0, V_i(k*)]`.
//! [`Choice::Soft`], for training, replaces the choice by `pi = softmax(T S)` at the configured
//! temperature `T`: allocation `sum_k pi_k A_k`, payment
//! `p_i = (max_k S_{-i} - sum_k pi_k S_{-i}(k)) / w_i` (Curry et al.'s surrogate: the hard first
//! term, the expected second), at most the expected value `sum_k pi_k V_i(k)`. Revenue ascent on
//! it needs no misreport search. Without that bound the surrogate sells its own slack: the
//! numerator is positive whenever `pi` is spread, and dividing by a weight that training drives
//! toward zero made a generated 3 x 10 menu's training revenue 45,513 before it collapsed to a
//! menu that sold nothing (docs/TRAINING.md).

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor, Var, D};
use rand::Rng;
use regretnet_core::affine::{OutcomeList, Package};
use regretnet_core::ama::{AffineMenu, ItemwiseBlock};
use regretnet_core::{MenuKind, Setting, ValuationKind};

use crate::ama_block::{self, entry_floor, itemwise_myerson_boosts};
use crate::ama_hard::HardMenu;
use crate::error::{NetsError, Result};
use crate::init::{normal, uniform};
use crate::menu_gen::MenuGenerator;
use crate::mlp::WeightGrad;
use crate::net::{NetSpec, Outcome};
use crate::rochet::{Choice, ALPHA_INIT_SD};

/// A learned menu, bidder weights and boosts (module docs).
#[derive(Debug, Clone)]
pub struct AmaNet {
    spec: NetSpec,
    bidders: usize,
    items: usize,
    dim: usize,
    valuation: ValuationKind,
    temperature: f64,
    params: MenuParams,
    /// The item-wise block's boosts `[m, n + 1]`, when the menu has one.
    itemwise: Option<Var>,
}

/// Where the menu comes from.
#[derive(Debug, Clone)]
enum MenuParams {
    /// The logits, boosts and log weights themselves.
    Free { alloc: Var, boost: Var, weight: Var },
    /// Computed from fixed representations.
    Generated(MenuGenerator),
}

/// The nine outcomes' coefficient rows of `(v1, v2, C)` for both bidders: `[9, 6]`.
fn outcome_coefficients() -> Vec<f32> {
    let row = |p: Package| match p {
        Package::None => [0.0, 0.0, 0.0],
        Package::Item1 => [1.0, 0.0, 0.0],
        Package::Item2 => [0.0, 1.0, 0.0],
        Package::Both => [1.0, 1.0, 1.0],
    };
    OutcomeList::Corrected
        .outcomes()
        .iter()
        .flat_map(|o| o.iter().flat_map(|&p| row(p)))
        .collect()
}

impl AmaNet {
    /// A fresh menu of `spec.net.menu_size` entries for `setting`: logits from `N(0, 1)`,
    /// boosts from `U[bias_init]`, unit weights (a generated menu: [`MenuGenerator::new`]).
    pub fn new<R: Rng + ?Sized>(setting: &Setting, spec: NetSpec, rng: &mut R) -> Result<Self> {
        let (n, m, k) = (setting.bidders, setting.items, spec.net.menu_size);
        if spec.net.menu == MenuKind::Generated {
            if setting.valuation == ValuationKind::Combinatorial {
                return Err(NetsError::Shape(
                    "a generated menu covers additive and unit-demand bidders".into(),
                ));
            }
            let generator = MenuGenerator::new(
                n,
                m,
                setting.valuation == ValuationKind::UnitDemand,
                k,
                &spec.net.menu_hidden,
                spec.net.bias_range(setting),
                rng,
            )?;
            return Ok(AmaNet {
                bidders: n,
                items: m,
                dim: setting.type_len(),
                valuation: setting.valuation,
                temperature: spec.net.temperature,
                params: MenuParams::Generated(generator),
                itemwise: None,
                spec,
            });
        }
        let shape: Vec<usize> = match setting.valuation {
            ValuationKind::Additive => vec![k, n + 1, m],
            ValuationKind::UnitDemand => vec![k, n + 1, m + 1],
            ValuationKind::Combinatorial if (n, m) == (2, 2) => vec![k, 9],
            ValuationKind::Combinatorial => {
                return Err(NetsError::Shape(format!(
                    "the AMA's combinatorial menu is for 2 bidders and 2 items, not {n}x{m}"
                )))
            }
        };
        let count = shape.iter().product();
        let alloc = Tensor::from_vec(normal(count, ALPHA_INIT_SD, rng), shape, &Device::Cpu)?;
        let boost = Tensor::from_vec(
            uniform(k, spec.net.bias_range(setting), rng),
            k,
            &Device::Cpu,
        )?;
        let itemwise = spec.net.itemwise;
        let net = AmaNet {
            bidders: n,
            items: m,
            dim: setting.type_len(),
            valuation: setting.valuation,
            temperature: spec.net.temperature,
            params: MenuParams::Free {
                alloc: Var::from_tensor(&alloc)?,
                boost: Var::from_tensor(&boost)?,
                weight: Var::zeros(n, DType::F32, &Device::Cpu)?,
            },
            itemwise: None,
            spec,
        };
        if itemwise {
            return net.with_itemwise_block(setting);
        }
        Ok(net)
    }

    /// This free additive menu with the item-wise block at item-wise Myerson and its entries'
    /// boosts set below the block (module docs).
    fn with_itemwise_block(mut self, setting: &Setting) -> Result<Self> {
        let (n, m) = (self.bidders, self.items);
        if setting.valuation != ValuationKind::Additive {
            return Err(NetsError::Shape(
                "the item-wise block needs additive bidders".into(),
            ));
        }
        let beta = itemwise_myerson_boosts(setting);
        ItemwiseBlock::new(n, m, beta.clone()).map_err(NetsError::Shape)?;
        self.itemwise = Some(Var::from_tensor(&Tensor::from_vec(
            beta.iter().map(|&x| x as f32).collect::<Vec<f32>>(),
            (m, n + 1),
            &Device::Cpu,
        )?)?);
        // Each entry's boost: just below the least at which it beats the block anywhere.
        let (entries, _, _) = self.menu(WeightGrad::Frozen)?;
        let coefficients: Vec<f32> = entries.flatten_all()?.to_vec1()?;
        let margin = 3.0 / self.temperature.max(1e-6);
        let boosts: Vec<f32> = coefficients
            .chunks_exact(n * m)
            .skip(1)
            .map(|a| (entry_floor(a, &beta, n, m) - margin) as f32)
            .collect();
        if let MenuParams::Free { boost, .. } = &self.params {
            boost.set(&Tensor::from_vec(boosts, self.entries(), &Device::Cpu)?)?;
        }
        Ok(self)
    }

    /// The setting and architecture.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// Set the training-time softmax temperature (the mechanism itself does not depend on it).
    pub fn set_temperature(&mut self, temperature: f64) {
        self.temperature = temperature;
    }

    /// The trainable variables: `ama.alloc`, `ama.boost` and `ama.weight` (a generated menu:
    /// the generator's, `ama.gen.*`).
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        match &self.params {
            MenuParams::Free {
                alloc,
                boost,
                weight,
            } => BTreeMap::from([
                ("ama.alloc".to_string(), alloc.clone()),
                ("ama.boost".to_string(), boost.clone()),
                ("ama.weight".to_string(), weight.clone()),
            ]),
            MenuParams::Generated(g) => g.named_vars(),
        }
        .into_iter()
        .chain(
            self.itemwise
                .iter()
                .map(|v| ("ama.itemwise".to_string(), v.clone())),
        )
        .collect()
    }

    /// Values per bidder in a profile: the number of items, or the length of a combinatorial
    /// bidder's type (`Setting::type_len`, 3 for the 2 x 2 CA settings).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Entries besides the empty one.
    pub fn entries(&self) -> usize {
        self.spec.net.menu_size
    }

    fn param(v: &Var, mode: WeightGrad) -> Tensor {
        match mode {
            WeightGrad::Track => v.as_tensor().clone(),
            WeightGrad::Frozen => v.as_detached_tensor(),
        }
    }

    /// The menu with the empty entry first: coefficients `[K + 1, n, d]`, boosts `[K + 1]` and
    /// bidder weights `[n]`.
    pub fn menu(&self, mode: WeightGrad) -> Result<(Tensor, Tensor, Tensor)> {
        let (n, m) = (self.bidders, self.items);
        let (logits, raw_boosts, log_weights) = match &self.params {
            MenuParams::Free {
                alloc,
                boost,
                weight,
            } => (
                Self::param(alloc, mode),
                Self::param(boost, mode),
                Self::param(weight, mode),
            ),
            MenuParams::Generated(g) => g.generate(mode)?,
        };
        let k = logits.dim(0)?;
        let entries = match self.valuation {
            ValuationKind::Additive => candle_nn::ops::softmax(&logits, 1)?.narrow(1, 0, n)?,
            ValuationKind::UnitDemand => {
                let by_item = candle_nn::ops::softmax(&logits, 1)?;
                let by_bidder = candle_nn::ops::softmax(&logits, 2)?;
                by_item
                    .minimum(&by_bidder)?
                    .narrow(1, 0, n)?
                    .narrow(2, 0, m)?
            }
            ValuationKind::Combinatorial => {
                let probs = candle_nn::ops::softmax(&logits, 1)?; // [K, 9]
                let c = Tensor::from_vec(outcome_coefficients(), (9, 6), &Device::Cpu)?;
                probs.matmul(&c)?.reshape((k, 2, 3))?
            }
        };
        let empty = Tensor::zeros((1, n, self.dim), DType::F32, &Device::Cpu)?;
        let entries = Tensor::cat(&[&empty, &entries.contiguous()?], 0)?;
        let boosts = Tensor::cat(
            &[&Tensor::zeros(1, DType::F32, &Device::Cpu)?, &raw_boosts],
            0,
        )?;
        let weights = log_weights.exp()?;
        Ok((entries, boosts, weights))
    }

    /// The item-wise block's boosts `[m, n + 1]` (module docs), when the menu has the block.
    pub fn itemwise_boosts(&self, mode: WeightGrad) -> Option<Tensor> {
        self.itemwise.as_ref().map(|v| Self::param(v, mode))
    }

    /// The mechanism in `f64` ([`AffineMenu`]), from the current parameters.
    pub fn affine_menu(&self) -> Result<AffineMenu> {
        let (entries, boosts, weights) = self.menu(WeightGrad::Frozen)?;
        let f = |t: &Tensor| -> Result<Vec<f64>> {
            Ok(t.flatten_all()?
                .to_dtype(DType::F64)?
                .to_vec1::<f64>()?
                .into_iter()
                // Softmax underflow can leave -0.0 or denormals; both are zero probability.
                .map(|x| if x > 0.0 { x } else { 0.0 })
                .collect())
        };
        let boosts: Vec<f64> = boosts.to_dtype(DType::F64)?.to_vec1()?;
        let menu = AffineMenu::new(self.bidders, self.dim, f(&entries)?, f(&weights)?, boosts)
            .map_err(|e| NetsError::Shape(e.to_string()))?;
        match self.itemwise_boosts(WeightGrad::Frozen) {
            None => Ok(menu),
            Some(beta) => {
                let beta: Vec<f64> = beta.flatten_all()?.to_dtype(DType::F64)?.to_vec1()?;
                let block =
                    ItemwiseBlock::new(self.bidders, self.items, beta).map_err(NetsError::Shape)?;
                menu.with_itemwise(block)
                    .map_err(|e| NetsError::Shape(e.to_string()))
            }
        }
    }

    /// Set the menu to `menu`'s entries, weights and boosts (shifted so that the empty entry's
    /// boost is 0) for a net whose entries are logits over deterministic outcomes: the
    /// combinatorial 2 x 2 net, or an additive 2 x 2 one whose entries are the nine outcomes'
    /// item probabilities. Each entry must be one of the nine outcomes of
    /// [`OutcomeList::Corrected`] (or its duplicate "bidder 1 gets item 1"); its logit row
    /// becomes `+L` on that outcome and `-L` elsewhere, `L` large enough that the softmax is
    /// exact in `f32`.
    pub fn load_deterministic(&self, menu: &AffineMenu) -> Result<()> {
        let MenuParams::Free {
            alloc,
            boost,
            weight,
        } = &self.params
        else {
            return Err(NetsError::Shape(
                "a generated menu cannot be set entry by entry (use menu = \"free\")".into(),
            ));
        };
        if menu.len() != self.entries() + 1 || menu.bidders() != self.bidders {
            return Err(NetsError::Shape(format!(
                "a menu of {} entries for {} bidders does not fit a net of {} entries plus the \
                 empty one for {} bidders",
                menu.len(),
                menu.bidders(),
                self.entries(),
                self.bidders
            )));
        }
        const L: f32 = 60.0;
        let shape = alloc.as_tensor().dims().to_vec();
        let row_len: usize = shape[1..].iter().product();
        let mut logits = vec![-L; menu.len().saturating_sub(1) * row_len];
        let coefficients = outcome_coefficients();
        for k in 1..menu.len() {
            let want: Vec<f64> = (0..self.bidders)
                .flat_map(|i| menu.coefficients(k, i).to_vec())
                .collect();
            let row = &mut logits[(k - 1) * row_len..k * row_len];
            match self.valuation {
                ValuationKind::Combinatorial => {
                    let o = (0..9)
                        .find(|&o| {
                            (0..6).all(|c| (coefficients[o * 6 + c] as f64 - want[c]).abs() < 1e-12)
                        })
                        .ok_or_else(|| {
                            NetsError::Shape(format!("entry {k} is not a deterministic outcome"))
                        })?;
                    row[o] = L;
                }
                ValuationKind::Additive => {
                    // [n + 1, m]: each item to its bidder, or to the "unsold" row.
                    let (n, m) = (self.bidders, self.items);
                    for j in 0..m {
                        let owner = (0..n).find(|&i| want[i * m + j] == 1.0).unwrap_or(n);
                        if (0..n).any(|i| i != owner && want[i * m + j] != 0.0) {
                            return Err(NetsError::Shape(format!(
                                "entry {k} is not deterministic in item {j}"
                            )));
                        }
                        row[owner * m + j] = L;
                    }
                }
                ValuationKind::UnitDemand => {
                    return Err(NetsError::Shape(
                        "deterministic menus load into additive and combinatorial nets".into(),
                    ))
                }
            }
        }
        alloc.set(&Tensor::from_vec(logits, shape, &Device::Cpu)?)?;
        let shift = menu.boosts()[0];
        let boosts: Vec<f32> = menu.boosts()[1..]
            .iter()
            .map(|b| (b - shift) as f32)
            .collect();
        boost.set(&Tensor::from_vec(boosts, menu.len() - 1, &Device::Cpu)?)?;
        let weights: Vec<f32> = menu.weights().iter().map(|w| w.ln() as f32).collect();
        weight.set(&Tensor::from_vec(weights, self.bidders, &Device::Cpu)?)?;
        Ok(())
    }

    /// Allocation `[B, n, d]` and payment `[B, n]` for `bids: [B, n, d]`. The mechanism itself
    /// (`Choice::Hard` with the weights frozen, on bids no gradient flows to) is computed per
    /// profile on plain slices (the crate's `ama_hard` module), the same operations as the tensor path
    /// and several times faster; everything else through candle's ops.
    pub fn forward(&self, bids: &Tensor, choice: Choice, mode: WeightGrad) -> Result<Outcome> {
        if choice == Choice::Hard && mode == WeightGrad::Frozen && !bids.track_op() {
            let (entries, boosts, weights) = self.menu(WeightGrad::Frozen)?;
            return HardMenu::new(
                &entries,
                &boosts,
                &weights,
                self.itemwise_boosts(WeightGrad::Frozen).as_ref(),
            )?
            .outcome_tensors(bids);
        }
        self.forward_ops(bids, choice, mode)
    }

    /// [`AmaNet::forward`] through candle's tensor ops only, whatever the choice and mode (the
    /// tests compare the plain hard path with it).
    pub(crate) fn forward_ops(
        &self,
        bids: &Tensor,
        choice: Choice,
        mode: WeightGrad,
    ) -> Result<Outcome> {
        let (batch, n, d) = bids.dims3()?;
        let (entries, boosts, weights) = self.menu(mode)?;
        let k = entries.dim(0)?;
        // V[b, i, k] = sum_d entries[k, i, d] bids[b, i, d], as n batched products.
        let values = bids
            .transpose(0, 1)?
            .contiguous()?
            .matmul(&entries.permute((1, 2, 0))?.contiguous()?)? // [n, B, K]
            .transpose(0, 1)?
            .contiguous()?; // [B, n, K]
        let weighted = values.broadcast_mul(&weights.reshape((1, n, 1))?)?;
        let score = weighted.sum(1)?.broadcast_add(&boosts.reshape((1, k))?)?; // [B, K]
        let others = score.unsqueeze(1)?.broadcast_sub(&weighted)?; // [B, n, K]
        let top = others.max_keepdim(D::Minus1)?; // [B, n, 1]
        let flat = entries.reshape((k, n * d))?;
        let top = top.squeeze(D::Minus1)?; // [B, n]
        let beta = self.itemwise_boosts(mode);
        let (alloc, pay) = match choice {
            Choice::Soft => {
                let scaled = (&score * self.temperature)?;
                let block = match &beta {
                    Some(beta) => Some(ama_block::soft(bids, &weights, beta, self.temperature)?),
                    None => None,
                };
                // The block is one more logit: its assignments' total mass.
                let (pi, p_block) = match &block {
                    Some(blk) => {
                        let all = candle_nn::ops::softmax(
                            &Tensor::cat(&[&scaled, &blk.logit.unsqueeze(1)?], 1)?,
                            D::Minus1,
                        )?;
                        (all.narrow(1, 0, k)?, Some(all.narrow(1, k, 1)?))
                    }
                    None => (candle_nn::ops::softmax(&scaled, D::Minus1)?, None),
                };
                let block = block.zip(p_block);
                let mut alloc = pi.matmul(&flat)?.reshape((batch, n, d))?;
                let expected = others.broadcast_mul(&pi.unsqueeze(1)?)?.sum(D::Minus1)?;
                let mut value = values.broadcast_mul(&pi.unsqueeze(1)?)?.sum(D::Minus1)?; // [B, n]
                let w = weights.reshape((1, n))?;
                let pay = match &block {
                    None => (top - expected)?.broadcast_div(&w)?,
                    Some((blk, p)) => {
                        // The entries' part `sum_k pi_k (top - S_{-i}(k)) / w_i` and the
                        // block's, which charges for what each bidder wins
                        // (`ama_block`'s module docs).
                        alloc = (alloc + blk.alloc.broadcast_mul(&p.unsqueeze(2)?)?)?;
                        value = (value + blk.value.broadcast_mul(p)?)?;
                        let top = top.maximum(&blk.top)?;
                        let entries = (top.broadcast_mul(&(1.0 - p)?)? - expected)?;
                        let block = ((&top - &blk.top)?.broadcast_div(&w)? + &blk.charge)?;
                        (entries.broadcast_div(&w)? + block.broadcast_mul(p)?)?
                    }
                };
                // Bounded by the expected value, as the hard payment by the chosen entry's:
                // unbounded, the surrogate pays `(max_k S_{-i} - E_pi S_{-i}) / w_i` however
                // small `w_i` is, and training can sell that slack by shrinking a weight.
                let pay = pay.minimum(&value)?;
                (alloc, pay)
            }
            Choice::Hard => {
                let pick = score.argmax(D::Minus1)?; // [B], u32
                let mut alloc = flat.index_select(&pick, 0)?.reshape((batch, n, d))?;
                let at = pick
                    .reshape((batch, 1, 1))?
                    .broadcast_as((batch, n, 1))?
                    .contiguous()?;
                let mut chosen = others.gather(&at, D::Minus1)?.squeeze(D::Minus1)?;
                let mut value = values.gather(&at, D::Minus1)?.squeeze(D::Minus1)?;
                let mut top = top;
                if let Some(beta) = &beta {
                    // The block wins where its best welfare is strictly above every entry's.
                    let blk = ama_block::hard(bids, &weights, beta)?;
                    let wins = blk.score.gt(&score.max(D::Minus1)?)?; // [B], u8
                    let per_bidder = wins.reshape((batch, 1))?.broadcast_as((batch, n))?;
                    alloc = wins
                        .reshape((batch, 1, 1))?
                        .broadcast_as((batch, n, d))?
                        .where_cond(&blk.alloc, &alloc)?;
                    chosen = per_bidder.where_cond(&blk.chosen, &chosen)?;
                    value = per_bidder.where_cond(&blk.value, &value)?;
                    top = top.maximum(&blk.top)?;
                }
                let pay = (top - chosen)?
                    .broadcast_div(&weights.reshape((1, n))?)?
                    .relu()?
                    .minimum(&value.relu()?)?;
                (alloc, pay)
            }
        };
        Ok(Outcome { alloc, pay })
    }
}

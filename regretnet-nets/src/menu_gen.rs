//! A generated AMA menu (`[net] menu = "generated"`), in the spirit of AMenuNet (Duan, Sun,
//! Chen and Deng, NeurIPS 2023): the menu's allocation logits, the boosts and the bidder weights
//! are computed by exchangeable layers ([`Exchangeable`]) from fixed representations of the
//! bidders and items, never from the bids, so the mechanism is still an affine maximizer and
//! exactly incentive compatible ([`regretnet_core::ama`]).
//!
//! # The computation
//!
//! - **Input grid** `[1, n + 1, c, 2R + 2]`, `c = m` (additive) or `m + 1` (unit demand: a dummy
//!   item column, as the free menu's logits have), `R` = [`REP_DIM`]. Cell `(i, j)` holds bidder
//!   `i`'s representation, item `j`'s, and two indicators: "row `i` is the unsold row" and
//!   "column `j` is the dummy item" (the dummy row and column have zero representations).
//!   Bidder `i`'s representation is `R` draws of `N(0, 1)` from [`Stream::Representation`] keyed
//!   by `i`; item `j`'s keyed by `2^40 + j`. They are constants: the same at every size, so
//!   bidder 0 of a 2 x 5 net is bidder 0 of the same net read at 3 x 10.
//! - **Layers**: one [`Exchangeable`] layer per width of `net.menu_hidden`, each followed by tanh:
//!   `H` is `[1, n + 1, c, h]`.
//! - **Heads** (`K` = `net.menu_size`):
//!   - allocation logits `H W_alloc`, `[h, K]`, read as `[K, n + 1, c]`: exactly the free menu's
//!     `ama.alloc`, to which the same softmaxes apply;
//!   - boosts `mean(H) W_boost + b_boost` (`[h, K]`, `[K]`): the grid's mean, so the boosts are
//!     the same for every order of the bidders and items;
//!   - log bidder weights `mean_j H[i, j] w_weight + b_weight` (`[h, 1]`, `[1]`) for the `n`
//!     real bidders: a relabelling of the bidders relabels the weights.
//!
//! Every parameter's shape depends on `R`, the widths and `K` only. Permuting the bidders (or
//! the items) permutes the representations, and the layers and heads commute with that
//! permutation; with fixed representations the mechanism is still not symmetric (each bidder
//! has its own representation), but a net trained at one size is a mechanism at any other.
//!
//! Variables: `ama.gen.layer{l}.{entry,col,row,all,bias}`, `ama.gen.alloc` `[h, K]`,
//! `ama.gen.boost` `[h, K]`, `ama.gen.boost_bias` `[K]`, `ama.gen.weight` `[h, 1]`,
//! `ama.gen.weight_bias` `[1]`.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor, Var};
use rand::Rng;
use regretnet_core::rng::{stream_rng, Stream};

use crate::error::Result;
use crate::exchangeable::Exchangeable;
use crate::init::{glorot_uniform, normal, uniform, zeros};
use crate::mlp::WeightGrad;

/// Length of each bidder's and item's fixed representation.
pub const REP_DIM: usize = 16;

/// The allocation head's initial weights are `N(0, (ALLOC_INIT_SCALE^2 / h))`, so that with
/// the last layer's tanh outputs at a root mean square of about 1/2 the logits start at a
/// standard deviation of about 1, as the free menu's ([`crate::rochet::ALPHA_INIT_SD`]).
/// Glorot's scale (about 0.17 at `h = 64`, `K = 1000`) starts every entry at nearly the same
/// lottery: identical entries make every affine-maximizer payment zero, and on
/// additive_2x2_uniform training from there sold nothing after 200 iterations.
pub const ALLOC_INIT_SCALE: f64 = 2.0;

/// The key of item `j`'s representation stream: `ITEM_KEY + j` (bidder `i`'s is `i`).
pub const ITEM_KEY: u64 = 1 << 40;

/// Bidder `index`'s representation ([`REP_DIM`] values; module docs).
pub fn bidder_representation(index: usize) -> Vec<f32> {
    normal(
        REP_DIM,
        1.0,
        &mut stream_rng(index as u64, Stream::Representation),
    )
}

/// Item `index`'s representation.
pub fn item_representation(index: usize) -> Vec<f32> {
    normal(
        REP_DIM,
        1.0,
        &mut stream_rng(ITEM_KEY + index as u64, Stream::Representation),
    )
}

/// The generator of a menu (module docs).
#[derive(Debug, Clone)]
pub struct MenuGenerator {
    bidders: usize,
    cols: usize,
    input: Tensor,
    layers: Vec<Exchangeable>,
    alloc: Var,
    boost: Var,
    boost_bias: Var,
    weight: Var,
    weight_bias: Var,
}

fn read(v: &Var, mode: WeightGrad) -> Tensor {
    match mode {
        WeightGrad::Track => v.as_tensor().clone(),
        WeightGrad::Frozen => v.as_detached_tensor(),
    }
}

impl MenuGenerator {
    /// A generator for `bidders` bidders and `cols` logit columns (items, plus the dummy item
    /// when `dummy_item`), `entries` menu entries, hidden widths `hidden`, initial boost
    /// biases from `U[boost_range]`. Draws the layers in order, then the heads.
    pub fn new<R: Rng + ?Sized>(
        bidders: usize,
        items: usize,
        dummy_item: bool,
        entries: usize,
        hidden: &[usize],
        boost_range: [f64; 2],
        rng: &mut R,
    ) -> Result<Self> {
        let cols = items + usize::from(dummy_item);
        let channels = 2 * REP_DIM + 2;
        let bidder_reps: Vec<Vec<f32>> = (0..bidders).map(bidder_representation).collect();
        let item_reps: Vec<Vec<f32>> = (0..items).map(item_representation).collect();
        let mut grid = Vec::with_capacity((bidders + 1) * cols * channels);
        let zero = vec![0.0f32; REP_DIM];
        for i in 0..=bidders {
            for j in 0..cols {
                grid.extend_from_slice(bidder_reps.get(i).unwrap_or(&zero));
                grid.extend_from_slice(item_reps.get(j).unwrap_or(&zero));
                grid.push(if i == bidders { 1.0 } else { 0.0 });
                grid.push(if j >= items { 1.0 } else { 0.0 });
            }
        }
        let input = Tensor::from_vec(grid, (1, bidders + 1, cols, channels), &Device::Cpu)?;
        let mut layers = Vec::with_capacity(hidden.len());
        let mut width = channels;
        for &h in hidden {
            layers.push(Exchangeable::new(width, h, rng)?);
            width = h;
        }
        let boost_bias = Var::from_tensor(&Tensor::from_vec(
            uniform(entries, boost_range, rng),
            entries,
            &Device::Cpu,
        )?)?;
        Ok(MenuGenerator {
            bidders,
            cols,
            input,
            layers,
            alloc: Var::from_tensor(&Tensor::from_vec(
                normal(
                    width * entries,
                    ALLOC_INIT_SCALE / (width as f64).sqrt(),
                    rng,
                ),
                (width, entries),
                &Device::Cpu,
            )?)?,
            boost: glorot_uniform(width, entries, rng)?,
            boost_bias,
            weight: Var::zeros((width, 1), candle_core::DType::F32, &Device::Cpu)?,
            weight_bias: zeros(1)?,
        })
    }

    /// The input grid `[1, n + 1, c, 2R + 2]` (module docs): constants, not parameters.
    pub fn input(&self) -> &Tensor {
        &self.input
    }

    /// The variables, named as in the module docs.
    pub fn named_vars(&self) -> BTreeMap<String, Var> {
        let mut vars = BTreeMap::new();
        for (l, layer) in self.layers.iter().enumerate() {
            vars.extend(layer.named_vars(&format!("ama.gen.layer{l}")));
        }
        vars.insert("ama.gen.alloc".into(), self.alloc.clone());
        vars.insert("ama.gen.boost".into(), self.boost.clone());
        vars.insert("ama.gen.boost_bias".into(), self.boost_bias.clone());
        vars.insert("ama.gen.weight".into(), self.weight.clone());
        vars.insert("ama.gen.weight_bias".into(), self.weight_bias.clone());
        vars
    }

    /// The menu's allocation logits `[K, n + 1, c]`, boosts `[K]` and log bidder weights
    /// `[n]`.
    pub fn generate(&self, mode: WeightGrad) -> Result<(Tensor, Tensor, Tensor)> {
        let mut h = self.input.clone();
        for layer in &self.layers {
            h = layer.forward(&h, mode)?.tanh()?;
        }
        let (_, rows, cols, width) = h.dims4()?;
        let flat = h.reshape((rows * cols, width))?;
        let logits = flat
            .matmul(&read(&self.alloc, mode))?
            .reshape((rows, cols, ()))?
            .permute((2, 0, 1))?
            .contiguous()?;
        let pooled = flat.mean_keepdim(0)?; // [1, h]
        let boosts = pooled
            .matmul(&read(&self.boost, mode))?
            .squeeze(0)?
            .add(&read(&self.boost_bias, mode))?;
        let per_bidder = h.squeeze(0)?.narrow(0, 0, self.bidders)?.mean(1)?; // [n, h]
        let log_weights = per_bidder
            .matmul(&read(&self.weight, mode))?
            .squeeze(1)?
            .broadcast_add(&read(&self.weight_bias, mode))?;
        debug_assert_eq!(cols, self.cols);
        Ok((logits, boosts, log_weights))
    }
}

//! Exchangeable matrix layers (Hartford, Graham, Leyton-Brown and Ravanbakhsh, "Deep Models of
//! Interactions Across Sets", ICML 2018): a linear map of a `rows x cols` grid of feature
//! vectors that commutes with every permutation of the rows and every permutation of the
//! columns. Output entry `(r, c)` is
//!
//! ```text
//! x[r, c] W_entry + mean_r' x[r', c] W_col + mean_c' x[r, c'] W_row + mean x W_all + bias
//! ```
//!
//! (`W_col` reads the column's mean over rows, `W_row` the row's mean over columns), which is
//! the most general such linear layer with pooling by means. Its weights have shape
//! `[c_in, c_out]` whatever the grid's size, so a stack of them reads any numbers of bidders
//! (rows) and items (columns).

use std::collections::BTreeMap;

use candle_core::{Tensor, Var};
use rand::Rng;

use crate::error::Result;
use crate::init::{glorot_uniform, zeros};
use crate::mlp::WeightGrad;

/// One exchangeable layer (module docs), without its nonlinearity.
#[derive(Debug, Clone)]
pub struct Exchangeable {
    entry: Var,
    col: Var,
    row: Var,
    all: Var,
    bias: Var,
}

fn read(v: &Var, mode: WeightGrad) -> Tensor {
    match mode {
        WeightGrad::Track => v.as_tensor().clone(),
        WeightGrad::Frozen => v.as_detached_tensor(),
    }
}

impl Exchangeable {
    /// A layer from `c_in` to `c_out` channels: the four weight matrices Glorot-uniform at
    /// `[c_in, c_out]` scaled by 1/2 (so that their sum has about a single matrix's variance),
    /// the bias zero. Drawn in the order entry, column, row, all.
    pub fn new<R: Rng + ?Sized>(c_in: usize, c_out: usize, rng: &mut R) -> Result<Self> {
        let half = |v: Var| -> Result<Var> { Ok(Var::from_tensor(&(v.as_tensor() * 0.5)?)?) };
        Ok(Exchangeable {
            entry: half(glorot_uniform(c_in, c_out, rng)?)?,
            col: half(glorot_uniform(c_in, c_out, rng)?)?,
            row: half(glorot_uniform(c_in, c_out, rng)?)?,
            all: half(glorot_uniform(c_in, c_out, rng)?)?,
            bias: zeros(c_out)?,
        })
    }

    /// The variables under `prefix`: `{prefix}.entry`, `.col`, `.row`, `.all`, `.bias`.
    pub fn named_vars(&self, prefix: &str) -> BTreeMap<String, Var> {
        BTreeMap::from([
            (format!("{prefix}.entry"), self.entry.clone()),
            (format!("{prefix}.col"), self.col.clone()),
            (format!("{prefix}.row"), self.row.clone()),
            (format!("{prefix}.all"), self.all.clone()),
            (format!("{prefix}.bias"), self.bias.clone()),
        ])
    }

    /// Output channels.
    pub fn out_channels(&self) -> Result<usize> {
        Ok(self.bias.as_tensor().dim(0)?)
    }

    /// `x: [batch, rows, cols, c_in] -> [batch, rows, cols, c_out]`.
    pub fn forward(&self, x: &Tensor, mode: WeightGrad) -> Result<Tensor> {
        let (b, r, c, k) = x.dims4()?;
        let out = self.out_channels()?;
        let lin = |t: &Tensor, w: &Var, shape: (usize, usize, usize)| -> Result<Tensor> {
            let rows = shape.0 * shape.1 * shape.2;
            Ok(t.reshape((rows, k))?
                .matmul(&read(w, mode))?
                .reshape((shape.0, shape.1, shape.2, out))?)
        };
        let entry = lin(&x.contiguous()?, &self.entry, (b, r, c))?;
        let col_mean = x.mean_keepdim(1)?; // [b, 1, c, k]
        let row_mean = x.mean_keepdim(2)?; // [b, r, 1, k]
        let all_mean = col_mean.mean_keepdim(2)?; // [b, 1, 1, k]
        let y = entry
            .broadcast_add(&lin(&col_mean, &self.col, (b, 1, c))?)?
            .broadcast_add(&lin(&row_mean, &self.row, (b, r, 1))?)?
            .broadcast_add(&lin(&all_mean, &self.all, (b, 1, 1))?)?
            .broadcast_add(&read(&self.bias, mode))?;
        Ok(y)
    }
}

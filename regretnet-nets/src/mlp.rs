//! A fully connected tanh network: hidden layers `h = tanh(x W + b)`, then a linear output.

use candle_core::{Tensor, Var};
use rand::Rng;

use crate::error::Result;
use crate::fused::bias_tanh;
use crate::init::{glorot_uniform, zeros};

/// Whether a forward pass records gradients for the weights.
///
/// The misreport search runs with [`WeightGrad::Frozen`]: the weights enter the graph as
/// detached tensors, so `backward()` yields gradients for the misreports only. The outer
/// Lagrangian step runs with [`WeightGrad::Track`] on fixed (detached) misreports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightGrad {
    /// Weights are variables of the graph.
    Track,
    /// Weights are constants of the graph.
    Frozen,
}

/// One affine layer `x W + b` with `W: [in, out]`, `b: [out]`.
#[derive(Debug, Clone)]
pub struct Dense {
    /// Weight `[in, out]`.
    pub weight: Var,
    /// Bias `[out]`.
    pub bias: Var,
}

impl Dense {
    fn params(&self, mode: WeightGrad) -> (Tensor, Tensor) {
        match mode {
            WeightGrad::Track => (
                self.weight.as_tensor().clone(),
                self.bias.as_tensor().clone(),
            ),
            WeightGrad::Frozen => (
                self.weight.as_detached_tensor(),
                self.bias.as_detached_tensor(),
            ),
        }
    }

    fn apply(&self, x: &Tensor, mode: WeightGrad) -> Result<Tensor> {
        let (w, b) = self.params(mode);
        Ok(x.matmul(&w)?.broadcast_add(&b)?)
    }
}

/// A tanh MLP: `hidden.len()` tanh layers and a linear output layer.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// The hidden layers, input side first.
    pub hidden: Vec<Dense>,
    /// The linear output layer.
    pub output: Dense,
}

impl Mlp {
    /// Glorot-uniform weights and zero biases, drawn layer by layer, input side first.
    pub fn new<R: Rng + ?Sized>(
        input: usize,
        hidden: &[usize],
        output: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let mut layers = Vec::with_capacity(hidden.len());
        let mut fan_in = input;
        for &width in hidden {
            layers.push(Dense {
                weight: glorot_uniform(fan_in, width, rng)?,
                bias: zeros(width)?,
            });
            fan_in = width;
        }
        let output = Dense {
            weight: glorot_uniform(fan_in, output, rng)?,
            bias: zeros(output)?,
        };
        Ok(Mlp {
            hidden: layers,
            output,
        })
    }

    /// `x: [batch, input]` to `[batch, output]`. Hidden layers run as one fused
    /// `tanh(x W + b)` op ([`crate::fused::bias_tanh`]); [`Mlp::forward_plain`] is the same
    /// computation in candle's own ops, the reference the fused path is tested against.
    pub fn forward(&self, x: &Tensor, mode: WeightGrad) -> Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.hidden {
            let (w, b) = layer.params(mode);
            h = bias_tanh(&h.matmul(&w)?, &b)?;
        }
        self.output.apply(&h, mode)
    }

    /// [`Mlp::forward`] with candle's `broadcast_add` and `tanh` (slower; for tests).
    pub fn forward_plain(&self, x: &Tensor, mode: WeightGrad) -> Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.hidden {
            h = layer.apply(&h, mode)?.tanh()?;
        }
        self.output.apply(&h, mode)
    }

    /// `(name, variable)` pairs under `prefix`: `{prefix}.hidden{k}.weight`, `.bias`,
    /// `{prefix}.out.weight`, `{prefix}.out.bias`.
    pub fn named_vars(&self, prefix: &str) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for (k, layer) in self.hidden.iter().enumerate() {
            out.push((format!("{prefix}.hidden{k}.weight"), layer.weight.clone()));
            out.push((format!("{prefix}.hidden{k}.bias"), layer.bias.clone()));
        }
        out.push((format!("{prefix}.out.weight"), self.output.weight.clone()));
        out.push((format!("{prefix}.out.bias"), self.output.bias.clone()));
        out
    }
}

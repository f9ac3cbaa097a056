//! Weight surgery and activations, for the explainability analyses (`regretnet probe`).
//!
//! A network is a pure function of its weights, so every intervention the probes make is a
//! new network with some weights replaced:
//! - **rollback**: one layer's weight and bias taken from an earlier checkpoint
//!   ([`RegretNet::with_layer_from`]);
//! - **mean ablation** of units `S` of a hidden layer: each replaced by its mean activation
//!   `mu_j` over a sample. The next layer computes `h W + b`; with `h_j = mu_j` for `j` in `S`
//!   and every input, that is the net whose next layer has the rows `j` in `S` of `W` zeroed
//!   and `b' = b + sum_{j in S} mu_j W_j` ([`RegretNet::mean_ablated`]): exact, with no hooks
//!   in the forward pass.
//!
//! Layers are named `alloc.hidden{k}`, `alloc.out`, `pay.hidden{k}`, `pay.out`
//! ([`RegretNet::layers`]), the prefixes of the checkpoint's tensor names.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};
use regretnet_core::rng::{stream_rng, Stream};

use crate::error::{NetsError, Result};
use crate::mlp::Mlp;
use crate::net::RegretNet;

/// Weights as plain tensors, by checkpoint name (`alloc.hidden0.weight`, ...).
pub type Weights = BTreeMap<String, Tensor>;

/// The two networks of a [`RegretNet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The allocation network.
    Alloc,
    /// The payment network.
    Pay,
}

impl Part {
    /// `alloc` or `pay`, the prefix of the part's layer names.
    pub fn name(self) -> &'static str {
        match self {
            Part::Alloc => "alloc",
            Part::Pay => "pay",
        }
    }
}

/// One layer of one of the two networks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layer {
    /// The network it belongs to.
    pub part: Part,
    /// Its index from the input side; the output layer is the last.
    pub index: usize,
    /// Whether it is the linear output layer.
    pub output: bool,
}

impl Layer {
    /// `alloc.hidden0`, ..., `pay.out`.
    pub fn name(&self) -> String {
        if self.output {
            format!("{}.out", self.part.name())
        } else {
            format!("{}.hidden{}", self.part.name(), self.index)
        }
    }
}

fn deep_copy(t: &Tensor) -> Result<Tensor> {
    Ok(t.copy()?)
}

impl RegretNet {
    /// Every layer, the allocation network's first, each input side first.
    pub fn layers(&self) -> Vec<Layer> {
        let mut out = Vec::new();
        for (part, mlp) in [(Part::Alloc, self.alloc_net()), (Part::Pay, self.pay_net())] {
            for index in 0..mlp.hidden.len() {
                out.push(Layer {
                    part,
                    index,
                    output: false,
                });
            }
            out.push(Layer {
                part,
                index: mlp.hidden.len(),
                output: true,
            });
        }
        out
    }

    /// A copy of the weights (new storage: later changes to the net do not show in it).
    pub fn weights(&self) -> Result<Weights> {
        self.named_vars()
            .into_iter()
            .map(|(k, v)| Ok((k, deep_copy(v.as_tensor())?)))
            .collect()
    }

    /// A new network (its own variables) of the same spec with the weights `w`; every
    /// tensor of the net must be in `w`, with its shape.
    pub fn with_weights(&self, w: &Weights) -> Result<RegretNet> {
        let setting = self
            .spec()
            .setting
            .build()
            .map_err(|e| NetsError::Shape(format!("the net's setting is invalid: {e}")))?;
        // The init draws are overwritten; the stream only has to be deterministic.
        let net = RegretNet::new(
            &setting,
            self.spec().clone(),
            &mut stream_rng(0, Stream::Init),
        )?;
        for (name, var) in net.named_vars() {
            let t = w
                .get(&name)
                .ok_or_else(|| NetsError::Shape(format!("weights have no tensor `{name}`")))?;
            if t.dims() != var.as_tensor().dims() {
                return Err(NetsError::Shape(format!(
                    "tensor `{name}` has shape {:?}, the net {:?}",
                    t.dims(),
                    var.as_tensor().dims()
                )));
            }
            var.set(&deep_copy(t)?)?;
        }
        Ok(net)
    }

    /// This net with `layer`'s weight and bias taken from `earlier` (a net of the same spec).
    pub fn with_layer_from(&self, layer: &Layer, earlier: &RegretNet) -> Result<RegretNet> {
        let mut w = self.weights()?;
        let old = earlier.weights()?;
        let prefix = format!("{}.", layer.name());
        for (k, t) in old.into_iter().filter(|(k, _)| k.starts_with(&prefix)) {
            w.insert(k, t);
        }
        self.with_weights(&w)
    }

    /// This net with the allocation (`Part::Alloc`) or payment network taken whole from
    /// `other`.
    pub fn with_part_from(&self, part: Part, other: &RegretNet) -> Result<RegretNet> {
        let mut w = self.weights()?;
        let prefix = format!("{}.", part.name());
        for (k, t) in other
            .weights()?
            .into_iter()
            .filter(|(k, _)| k.starts_with(&prefix))
        {
            w.insert(k, t);
        }
        self.with_weights(&w)
    }

    /// This net with the units `units` of hidden layer `layer` fixed at their entries of
    /// `mean` (`[width]`, the mean activations over some sample), folded into the next layer
    /// (module docs). All units: the layer's output is constant, and so is its network's.
    pub fn mean_ablated(&self, layer: &Layer, units: &[usize], mean: &[f32]) -> Result<RegretNet> {
        if layer.output {
            return Err(NetsError::Shape(format!(
                "{} is an output layer; only hidden layers are ablated",
                layer.name()
            )));
        }
        let mlp = self.mlp(layer.part);
        let next = mlp.hidden.get(layer.index + 1).unwrap_or(&mlp.output);
        let (width, out) = next.weight.as_tensor().dims2()?;
        if mean.len() != width || units.iter().any(|&j| j >= width) {
            return Err(NetsError::Shape(format!(
                "{} has {width} units: {} means, units up to {:?}",
                layer.name(),
                mean.len(),
                units.iter().max()
            )));
        }
        let mut wn = next.weight.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        let mut bias = next.bias.as_tensor().to_vec1::<f32>()?;
        for &j in units {
            for (o, b) in bias.iter_mut().enumerate() {
                *b += mean[j] * wn[j * out + o];
            }
            wn[j * out..(j + 1) * out].fill(0.0);
        }
        let next_name = if layer.index + 1 < mlp.hidden.len() {
            format!("{}.hidden{}", layer.part.name(), layer.index + 1)
        } else {
            format!("{}.out", layer.part.name())
        };
        let mut w = self.weights()?;
        w.insert(
            format!("{next_name}.weight"),
            Tensor::from_vec(wn, (width, out), &Device::Cpu)?,
        );
        w.insert(
            format!("{next_name}.bias"),
            Tensor::from_vec(bias, out, &Device::Cpu)?,
        );
        self.with_weights(&w)
    }

    fn mlp(&self, part: Part) -> &Mlp {
        match part {
            Part::Alloc => self.alloc_net(),
            Part::Pay => self.pay_net(),
        }
    }

    /// The post-tanh activations `[B, width]` of every hidden layer on `bids` (`[B, n, d]`),
    /// with their layer, in [`RegretNet::layers`] order.
    pub fn hidden_activations(&self, bids: &Tensor) -> Result<Vec<(Layer, Tensor)>> {
        let x = self.input(bids)?;
        let mut out = Vec::new();
        for part in [Part::Alloc, Part::Pay] {
            let mut h = x.clone();
            for (index, layer) in self.mlp(part).hidden.iter().enumerate() {
                let w = layer.weight.as_detached_tensor();
                let b = layer.bias.as_detached_tensor();
                h = h.matmul(&w)?.broadcast_add(&b)?.tanh()?;
                out.push((
                    Layer {
                        part,
                        index,
                        output: false,
                    },
                    h.clone(),
                ));
            }
        }
        Ok(out)
    }
}

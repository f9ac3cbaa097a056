//! # regretnet-nets
//!
//! The candle networks of RegretNet (Dütting et al., ICML 2019):
//!
//! - [`Mlp`]: tanh hidden layers with Glorot-uniform weights drawn from our own seeded RNG
//!   (candle's CPU RNG cannot be seeded) and zero biases;
//! - [`heads`]: the additive allocation head (softmax over bidders plus a dummy "unsold" bidder
//!   per item) and the payment head (sigmoid fraction times the reported value of the
//!   allocation, so truthful reports are individually rational by construction);
//! - [`RegretNet`]: both nets over the flattened bid profile, `forward` on `[batch, n, m]`
//!   returning allocations `[batch, n, m]` and payments `[batch, n]`;
//! - the paper's two exactly incentive-compatible networks, [`RochetNet`] (a menu of lotteries
//!   for one bidder) and [`MyersonNet`] (monotone virtual values for one item), the learned
//!   affine maximizer [`AmaNet`], the permutation-equivariant RegretNet [`EquivariantNet`]
//!   (exchangeable layers), and [`Model`], any of them as `[net] kind` chooses; [`base`]: the
//!   softened item-wise Myerson auction a RegretNet can start as and learn a residual to;
//! - [`checkpoint`]: self-describing safetensors files (tensor names, shapes, metadata and the
//!   forward computation are documented there, precisely enough to recompute the mechanism in
//!   numpy).
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use regretnet_core::{presets, rng::{stream_rng, Stream}};
//! use regretnet_nets::{NetSpec, RegretNet, WeightGrad};
//!
//! let config = presets::preset("additive_2x2_uniform").unwrap();
//! let setting = config.setting.build().unwrap();
//! let spec = NetSpec { setting: config.setting.clone(), net: config.net.clone() };
//! let net = RegretNet::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
//! let bids = Tensor::new(&[[[0.2f32, 0.9], [0.5, 0.1]]], &Device::Cpu).unwrap();
//! let out = net.forward(&bids, WeightGrad::Frozen).unwrap();
//! assert_eq!(out.alloc.dims(), &[1, 2, 2]);
//! assert_eq!(out.pay.dims(), &[1, 2]);
//! ```
#![deny(missing_docs)]

pub mod ama;
pub mod ama_block;
mod ama_hard;
pub mod base;
pub mod checkpoint;
pub mod equivariant;
pub mod error;
pub mod exchangeable;
pub mod frozen;
pub mod frozen_ca;
pub mod frozen_eq;
pub mod fused;
pub mod heads;
pub mod init;
pub mod menu_gen;
pub mod mlp;
pub mod model;
pub mod myerson_net;
pub mod net;
pub mod rochet;
pub mod surgery;

pub use ama::AmaNet;
pub use checkpoint::{Checkpoint, ModelCheckpoint};
pub use equivariant::EquivariantNet;
pub use error::{NetsError, Result};
pub use exchangeable::Exchangeable;
pub use frozen::{FrozenNet, OwnUtility};
pub use frozen_eq::FrozenEquivariant;
pub use menu_gen::MenuGenerator;
pub use mlp::{Dense, Mlp, WeightGrad};
pub use model::Model;
pub use myerson_net::MyersonNet;
pub use net::{NetSpec, Outcome, RegretNet};
pub use rochet::{Choice, RochetNet};
pub use surgery::{Layer, Part, Weights};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ama;
#[cfg(test)]
mod tests_ama_block;
#[cfg(test)]
mod tests_base;
#[cfg(test)]
mod tests_combinatorial;
#[cfg(test)]
mod tests_equivariant;
#[cfg(test)]
mod tests_fused;
#[cfg(test)]
mod tests_ic;
#[cfg(test)]
mod tests_menu_gen;
#[cfg(test)]
mod tests_surgery;

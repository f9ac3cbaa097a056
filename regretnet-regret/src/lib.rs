//! # regretnet-regret
//!
//! Utilities, the misreport search and regret estimates.
//!
//! Bidder `i`'s utility at a report profile `b` is `u_i(v_i; b) = sum_j a_ij(b) v_ij - p_i(b)`:
//! its *true* values `v_i` with the allocation and payment computed at the reported profile.
//! Its regret at a profile `v` is `max over b_i' of u_i(v_i; (b_i', v_-i)) - u_i(v_i; v)`, found
//! here by projected Adam ascent on `b_i'` ([`search::ascend`]) with the mechanism's weights held
//! fixed: the gradient flows to the misreports only. All bidders' misreported profiles are
//! batched together ([`utility::misreport_profiles`]).
//!
//! The search reads the mechanism through two small traits: [`Mechanism`] (allocations and
//! payments) and [`UtilityGradient`] (utility at a misreport and its gradient with respect to
//! the misreport). [`Autograd`] implements the latter with candle's `backward()`; a faster,
//! hand-derived path can replace it without touching the search.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use regretnet_core::{presets, rng::{stream_rng, Stream}};
//! use regretnet_nets::{NetSpec, RegretNet};
//! use regretnet_regret::{estimate_regret, SearchConfig};
//!
//! let config = presets::preset("additive_1x2_uniform").unwrap();
//! let setting = config.setting.build().unwrap();
//! let spec = NetSpec { setting: config.setting.clone(), net: config.net.clone() };
//! let net = RegretNet::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
//! let profiles = setting.sample_profiles(&mut stream_rng(1, Stream::Test), 8);
//! let search = SearchConfig { steps: 20, lr: 0.1, restarts: 2, corners: true };
//! let est = estimate_regret(&net, &setting, &profiles, &search,
//!                           &mut stream_rng(1, Stream::TestMisreport), 1).unwrap();
//! assert!(est.regret.iter().all(|r| *r >= 0.0));
//! ```
#![deny(missing_docs)]

pub mod adam;
pub mod certify;
pub mod closed_form;
pub mod coordinate;
pub mod error;
pub mod grid;
pub mod itemwise;
pub mod mechanism;
pub mod policy;
pub mod regret;
pub mod search;
pub mod starts;
pub mod stats;
pub mod symmetrize;
pub mod utility;
pub mod work;

pub use certify::{certify_regret, CertifiedRegret, CertifyConfig};
pub use coordinate::{coordinate_audit, CoordinateAudit, CoordinateConfig};
pub use error::{RegretError, Result};
pub use grid::{grid_audit, GridAudit, GridConfig};
pub use itemwise::{itemwise_audit, ItemwiseAudit};
pub use mechanism::{Mechanism, PlainNet};
pub use policy::InnerSearch;
pub use regret::{
    estimate_regret, estimate_regret_with, truthful_allocations, truthful_outcomes, RegretEstimate,
};
pub use search::{ascend, ascend_tracking_best, Ascent, Autograd, SearchConfig, UtilityGradient};
pub use stats::RegretStats;
pub use symmetrize::Symmetrized;
pub use work::Work;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ama;
#[cfg(test)]
mod tests_audit;
#[cfg(test)]
mod tests_combinatorial;
#[cfg(test)]
mod tests_coordinate;
#[cfg(test)]
mod tests_frozen_eq;
#[cfg(test)]
mod tests_symmetrize;

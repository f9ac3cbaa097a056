//! # regretnet-core
//!
//! The auction side of regretnet, with no neural-network dependency:
//!
//! - [`Setting`]: `n` bidders, `m` items, a [`ValuationKind`] and a [`Prior`];
//! - [`Prior`]: the distribution of valuation profiles, its seeded sampler and the
//!   projection of a misreport back onto its support;
//! - [`rng`]: one ChaCha stream per purpose (data, init, misreports, test, ...), all derived from
//!   a seed the user owns;
//! - [`Config`]: the TOML configuration of a run (setting, networks, training, evaluation), with
//!   unknown fields rejected and every field validated;
//! - [`presets`]: the settings of the RegretNet paper with the reference hyperparameters and the
//!   published numbers.
//!
//! Profiles are stored row-major as `f32` slices of length `n * m`: entry `i * m + j` is bidder
//! `i`'s value for item `j`. A combinatorial bidder's type has one more value, its bundle
//! complementarity ([`combinatorial`]), so the stride is [`Setting::type_len`] in general.
//!
//! ```
//! use regretnet_core::{presets, rng::{stream_rng, Stream}};
//!
//! let config = presets::preset("additive_1x2_uniform").unwrap();
//! let setting = config.setting.build().unwrap();
//! let mut rng = stream_rng(42, Stream::Data);
//! let profiles = setting.sample_profiles(&mut rng, 4);
//! assert_eq!(profiles.len(), 4 * setting.profile_len());
//! assert!(profiles.iter().all(|v| (0.0..=1.0).contains(v)));
//! ```
#![deny(missing_docs)]

pub mod affine;
pub mod ama;
pub mod ama_itemwise;
pub mod baselines;
pub mod combinatorial;
pub mod config;
pub mod error;
pub mod marginal;
pub mod myerson;
pub mod myerson_soft;
pub mod optimal;
pub mod presets;
pub mod prior;
pub mod recovery;
pub mod rng;
pub mod setting;
pub mod stats;

pub use config::{
    Bound, Config, EvalConfig, ExtraStart, MenuKind, NetBase, NetConfig, NetKind, PartConfig,
    PriorConfig, SettingConfig, Teacher, TrainConfig,
};
pub use error::ConfigError;
pub use marginal::Marginal;
pub use prior::{Independent, Prior, UniformBox};
pub use setting::{Setting, ValuationKind};

//! # regretnet-train
//!
//! The augmented-Lagrangian RegretNet trainer ([`Trainer`]), its run directory ([`RunDir`]),
//! metrics sinks ([`metrics`]), checkpoints and test-time evaluation ([`eval`]).
//!
//! This crate re-exports the lower crates, so that one dependency is enough:
//! [`core`] (settings, priors, configs, presets), [`nets`] (the candle networks) and [`regret`]
//! (utilities, misreport search, regret estimates).
//!
//! ```
//! use regretnet_train::{core::presets, metrics::MemorySink, Trainer};
//!
//! let mut config = presets::preset("additive_1x2_uniform").unwrap();
//! config.net.alloc_hidden = vec![16];
//! config.net.pay_hidden = vec![16];
//! config.train.iterations = 5;
//! config.train.train_size = 256;
//! config.train.batch_size = 32;
//! config.train.misreport_steps = 3;
//! config.train.validation_samples = 50;
//! config.train.validation_steps = 5;
//! let mut trainer = Trainer::new(config).unwrap();
//! let mut sink = MemorySink::default();
//! let summary = trainer.run(&mut sink, None, 1, &mut |_| {}).unwrap();
//! assert_eq!(summary.iterations, 5);
//! assert!(summary.validation.unwrap().regret[0] >= 0.0);
//! ```
#![deny(missing_docs)]

pub use regretnet_core as core;
pub use regretnet_nets as nets;
pub use regretnet_regret as regret;

pub mod bench;
pub mod data;
pub mod error;
pub mod eval;
pub mod frontier;
pub mod lagrangian;
pub mod metrics;
pub mod optim;
pub mod plot;
pub mod probe;
pub mod report;
pub mod reproduce;
pub mod resume;
pub mod rundir;
pub mod sharded;
pub mod trace;
pub mod trainer;

pub use error::{Result, TrainError};
pub use eval::{evaluate, Audit, EvalReport, Phase, Protocol};
pub use lagrangian::Lagrangian;
pub use rundir::RunDir;
pub use trainer::{Event, StepStats, TrainSummary, Trainer};

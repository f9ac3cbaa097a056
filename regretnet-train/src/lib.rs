//! # regretnet-train
//!
//! Train RegretNet with the augmented Lagrangian, evaluate it with an audited regret, and
//! explain what it learned. One folder per concern, each building only on those before it:
//!
//! | module | owns |
//! |---|---|
//! | [`run`] | the run directory, metrics rows and sinks, the trace record |
//! | [`train`] | the trainer: loop, step, loss, schedules, optimizer, data, resume, checkpoints |
//! | [`eval`] | protocols, the audited evaluation and its report, the frontier |
//! | [`analysis`] | plots and `report.html`, the explainability probe |
//! | [`tools`] | `reproduce` (the paper's table) and the hot-loop benchmarks |
//!
//! The lower crates are re-exported, so that one dependency is enough: [`core`] (settings,
//! priors, configs, presets, baselines), [`nets`] (the candle networks) and [`regret`]
//! (utilities, misreport search, regret estimates and audits).
//!
//! ```
//! use regretnet_train::{core::presets, run::MemorySink, Trainer};
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

pub mod analysis;
pub mod error;
pub mod eval;
pub mod run;
pub mod tools;
pub mod train;

pub use error::{Result, TrainError};
pub use eval::{evaluate, evaluate_and_save, EvalReport, Phase, Protocol};
pub use run::{MetricsSink, RunDir};
pub use tools::reproduce::{reproduce, ReproduceOptions};
pub use train::{train_in_run, Event, Lagrangian, TrainSummary, Trainer};

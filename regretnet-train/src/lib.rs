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
//!
//! # Speed: what the `regretnet` binary sets and a library user must set too
//!
//! - `RAYON_NUM_THREADS=1` before candle starts: its matrix products' own threading is slower
//!   than one thread at these networks' sizes; parallelism comes from the `threads` arguments
//!   (one worker per thread) instead.
//! - mimalloc as the global allocator (`#[global_allocator] static GLOBAL: mimalloc::MiMalloc
//!   = mimalloc::MiMalloc;`): candle allocates a fresh buffer for every tensor, and glibc
//!   returns the large ones to the kernel step after step (BENCHMARKS.md: a 5x10 training
//!   iteration 117 ms with glibc, 100 ms with mimalloc; an evaluation step halved).
//!
//! # Loading a run
//!
//! [`RunDir::load_latest`] and [`RunDir::load_best`] load a run's checkpoint;
//! [`nets::Model::outcome_of`] runs its mechanism on plain `f32` slices
//! (`examples/load_and_score.rs`, which `cargo xtask ci` runs). [`Tensor`] and [`Device`] are
//! re-exported for [`nets::Model::forward`]. [`eval::audited_regret`] and
//! [`eval::steps::certified_regret`] audit and certify profiles of your own. The Python
//! package (`regretnet-py`, docs/PYTHON.md) is built on these same functions.
#![deny(missing_docs)]

/// candle, whose [`Tensor`] and [`Device`] the networks' signatures take.
pub use candle_core as candle;
pub use candle_core::{Device, Tensor};
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

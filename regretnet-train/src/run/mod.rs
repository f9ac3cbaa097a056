//! What a training run leaves on disk, and the sinks that write it: the run directory's layout
//! ([`RunDir`]: config, checkpoints, evaluations), the weights-only model directory
//! ([`export`]), the metrics rows and their CSV sinks
//! ([`metrics`]), and the layer trace's record ([`trace`]).
//!
//! This folder holds record formats only: it imports nothing from the trainer, so the trainer
//! ([`crate::train`]), evaluation and analysis all build on it.

pub mod export;
pub mod metrics;
pub mod rundir;
pub mod trace;

pub use metrics::{CsvSink, MemorySink, MetricsRow, MetricsSink, ValidationRow};
pub use rundir::RunDir;

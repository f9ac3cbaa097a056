//! `regretnet probe`: where and when a trained RegretNet holds incentive compatibility and
//! where it extracts revenue (docs/EXPLAINABILITY.md).
//!
//! A run trained with tracing (`train.trace_every`, `regretnet train --trace K`) has
//! `trace.csv` and weight checkpoints on a log-spaced schedule (`checkpoints/trace/`). The
//! probe evaluates every one of them on one probe sample with the audited evaluation
//! ([`crate::evaluate()`], a protocol sized for many calls) and computes:
//! - **when** ([`analysis::When`]): the first iteration from which the audited regret stays
//!   below a threshold, and the first from which revenue stays within 1% of its final value;
//! - **where the information is** ([`ridge`]): per hidden layer (and the raw input, as a
//!   control) and checkpoint, the held-out R^2 of a linear probe to the profile's revenue, each
//!   bidder's utility and regret, and the known optimal mechanism's allocation where there is
//!   one;
//! - **where it lives** (causal): layer rollback to the initial and to an early checkpoint,
//!   mean ablation of half of a hidden layer's units, and whole-network swaps, each followed by
//!   revenue and audited regret;
//! - the layer trace summarised per layer (share of the regret terms in the gradient, early and
//!   late in training; movement since init);
//! - a [`verdict`] on the hypothesis that incentive compatibility is secured first and in
//!   earlier layers, revenue later and in later layers.
//!
//! [`seeds`] aggregates the summaries of several runs (seeds) with confidence intervals;
//! [`runner`] does either as one call.

pub mod analysis;
pub mod report;
pub mod ridge;
pub mod runner;
pub mod seeds;
pub mod verdict;

pub use analysis::{probe_run, ProbeConfig, ProbeSummary};
pub use report::write_probe;
pub use runner::{probe_and_write, probe_seeds, ProbeProgress};
pub use seeds::{aggregate, write_aggregate, Aggregate};

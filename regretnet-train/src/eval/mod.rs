//! Test-time evaluation of a trained mechanism: the named protocols ([`Protocol`]) and their overrides
//! ([`ProtocolOverrides`]), the
//! audited evaluation ([`evaluate()`], the composition of [`steps`], which a user can call one
//! by one, and [`audited_regret`] on profiles of one's own), its report ([`EvalReport`]), saving it in a run
//! directory ([`evaluate_and_save`]), the revenue-regret frontier over a run's checkpoints
//! ([`frontier`]), and for a learned affine maximizer the menu entries it uses ([`menu`]).
//!
//! Evaluation reads checkpoints and run directories ([`crate::run`]); it never trains.

pub mod evaluate;
pub mod frontier;
pub mod menu;
pub mod overrides;
pub mod protocol;
pub mod report;
pub mod save;
pub mod steps;

pub use evaluate::{evaluate, report, Measured, Phase, MAX_EVAL_BYTES};
pub use overrides::ProtocolOverrides;
pub use protocol::Protocol;
pub use report::{Audit, Estimate, EvalReport, ReferenceCheck, Timings};
pub use save::{evaluate_and_save, evaluate_checkpoint, SavedEval};
pub use steps::{audited_regret, check_profiles, AuditedRegret};

//! What a trained run shows: its pictures and `report.html` ([`plot`]), and the explainability
//! probe, which layers secure incentive compatibility and which extract revenue ([`probe`]).
//! The menu entries a learned affine maximizer uses are part of its evaluation
//! ([`crate::eval::menu`]); [`plot`] draws them.
//!
//! Analysis reads run directories and uses the audited evaluation ([`crate::eval`]).

pub mod plot;
pub mod probe;

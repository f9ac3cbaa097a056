//! What a trained run shows: its pictures and `report.html` ([`plot`]), and the explainability
//! probe, which layers secure incentive compatibility and which extract revenue ([`probe`]);
//! for a learned affine maximizer, which menu entries it uses ([`menu`]).
//!
//! Analysis reads run directories and uses the audited evaluation ([`crate::eval`]).

pub mod menu;
pub mod plot;
pub mod probe;

//! What a trained run shows: its pictures and `report.html` ([`plot`]), and the explainability
//! probe, which layers secure incentive compatibility and which extract revenue ([`probe`]).
//!
//! Analysis reads run directories and uses the audited evaluation ([`crate::eval`]).

pub mod plot;
pub mod probe;

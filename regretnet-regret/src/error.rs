//! Errors of the regret crate.

use thiserror::Error;

/// What can go wrong computing utilities or searching misreports.
#[derive(Debug, Error)]
pub enum RegretError {
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// The network failed.
    #[error(transparent)]
    Nets(#[from] regretnet_nets::NetsError),
    /// Inputs of inconsistent sizes.
    #[error("shape error: {0}")]
    Shape(String),
    /// An audit that this setting does not admit.
    #[error("{0}")]
    Unsupported(String),
    /// A gradient or utility was NaN or infinite.
    #[error("non-finite {what} in the misreport search")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, RegretError>;

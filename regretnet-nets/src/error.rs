//! Errors of the networks crate.

use thiserror::Error;

/// What can go wrong building, running, saving or loading a network.
#[derive(Debug, Error)]
pub enum NetsError {
    /// A candle operation failed (shape mismatch, ...).
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// Inputs of inconsistent sizes.
    #[error("shape error: {0}")]
    Shape(String),
    /// The checkpoint file could not be read or written.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The checkpoint is not a valid regretnet safetensors file.
    #[error("checkpoint {path}: {reason}")]
    BadCheckpoint {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The checkpoint is well formed but written by a newer regretnet (a format version this
    /// build does not read): the file is fine, this build is too old for it.
    #[error("checkpoint {path}: {reason}")]
    Version {
        /// The file.
        path: String,
        /// Which version it is and which this build reads.
        reason: String,
    },
    /// The checkpoint was written for another setting or architecture.
    #[error(
        "checkpoint {path} does not match: {field} is {found} in the file, expected {expected}"
    )]
    Mismatch {
        /// The file.
        path: String,
        /// The field that differs.
        field: String,
        /// Its value in the file.
        found: String,
        /// The value expected by the caller.
        expected: String,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, NetsError>;

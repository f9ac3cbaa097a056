//! Errors of the training crate.

use thiserror::Error;

/// What can go wrong while training or evaluating.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] regretnet_core::ConfigError),
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// The networks or a checkpoint failed.
    #[error(transparent)]
    Nets(#[from] regretnet_nets::NetsError),
    /// The misreport search failed.
    #[error(transparent)]
    Regret(#[from] regretnet_regret::RegretError),
    /// A file of the run directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The run directory cannot be used.
    #[error("run directory {path}: {reason}")]
    RunDir {
        /// The directory.
        path: String,
        /// Why.
        reason: String,
    },
    /// A checkpoint cannot resume a run.
    #[error("cannot resume from {path}: {reason}")]
    Resume {
        /// The checkpoint.
        path: String,
        /// Why.
        reason: String,
    },
    /// A checkpoint that is well formed but was written by another version of regretnet (its
    /// training-state layout or its config is one this build does not read). Unlike a
    /// [`TrainError::Resume`], the file is not damaged: it is never set aside.
    #[error("cannot resume from {path}: {reason}")]
    Incompatible {
        /// The checkpoint.
        path: String,
        /// Which version it is and which this build reads.
        reason: String,
    },
    /// A plot could not be drawn.
    #[error("plot: {0}")]
    Plot(String),
    /// A run cannot be probed (no trace, a malformed `trace.csv` or `probe/summary.json`,
    /// runs of different settings).
    #[error("probe: {0}")]
    Probe(String),
    /// The operation does not apply to this run's architecture (a RegretNet-only tool on a
    /// RochetNet run, say).
    #[error("{0}")]
    Unsupported(String),
    /// A report could not be serialised.
    #[error("cannot write the report as JSON: {0}")]
    Report(String),
    /// Training was stopped (Ctrl-C) after writing a checkpoint; the message says how to
    /// continue.
    #[error("{0}")]
    Interrupted(String),
    /// Training produced a NaN or infinite value.
    #[error("training diverged at iteration {iteration}: {quantity} is not finite")]
    NonFinite {
        /// The iteration.
        iteration: u64,
        /// Which quantity.
        quantity: String,
    },
}

impl TrainError {
    /// Whether the error is the user's input or environment (config, run directory, checkpoint,
    /// a file that cannot be read or written, a full disk) rather than a failure of the
    /// computation: the CLI exits with 2 for these.
    /// A tensor operation that failed inside the networks is a failure of the computation, like
    /// a bare candle error; the networks' other errors (a checkpoint that does not load or
    /// does not match) are input.
    pub fn is_input_error(&self) -> bool {
        match self {
            TrainError::Nets(regretnet_nets::NetsError::Candle(_)) => false,
            e => matches!(
                e,
                TrainError::Config(_)
                    | TrainError::RunDir { .. }
                    | TrainError::Nets(_)
                    | TrainError::Resume { .. }
                    | TrainError::Incompatible { .. }
                    | TrainError::Io { .. }
                    | TrainError::Probe(_)
                    | TrainError::Unsupported(_)
            ),
        }
    }

    /// Whether the error says that a checkpoint's own bytes are damaged (not a safetensors
    /// file, a tensor or metadata entry missing or malformed), so that it can never load and
    /// may be set aside. An I/O error, a version this build does not read, or a checkpoint of
    /// another setting is not damage: it would hit every checkpoint alike, or the next build
    /// would read the file.
    pub fn is_damaged_checkpoint(&self) -> bool {
        matches!(
            self,
            TrainError::Nets(regretnet_nets::NetsError::BadCheckpoint { .. })
                | TrainError::Resume { .. }
        )
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, TrainError>;

/// An error and its causes in one line, each cause once: a cause whose text the message already
/// holds (an I/O error that names its path and then its cause, a parse error that quotes its
/// source) is not repeated. What the `regretnet` binary prints and the Python package raises.
pub fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out += ": ";
            out += &text;
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candle_failure_is_a_computation_failure_wherever_it_comes_from() {
        let candle = || candle_core::Error::Msg("matmul shape mismatch".into());
        assert!(!TrainError::Candle(candle()).is_input_error());
        assert!(!TrainError::Nets(regretnet_nets::NetsError::Candle(candle())).is_input_error());
        assert!(TrainError::RunDir {
            path: "x".into(),
            reason: "missing".into()
        }
        .is_input_error());
    }
}

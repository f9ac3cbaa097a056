//! How a command failed, and the exit code that says so.

use regretnet_train::TrainError;

/// A failed command: bad input (exit 2) or a failure while computing (exit 1).
#[derive(Debug)]
pub enum Failure {
    /// Flags, config, run directory or checkpoint at fault.
    Input(anyhow::Error),
    /// The computation or the file system failed.
    Runtime(anyhow::Error),
    /// Stopped by Ctrl-C after writing a checkpoint (exit 130, as shells report SIGINT).
    Interrupted(anyhow::Error),
}

impl Failure {
    pub fn error(&self) -> &anyhow::Error {
        match self {
            Failure::Input(e) | Failure::Runtime(e) | Failure::Interrupted(e) => e,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Input(_) => 2,
            Failure::Runtime(_) => 1,
            Failure::Interrupted(_) => 130,
        }
    }

    /// How the message starts on stderr.
    pub fn label(&self) -> &'static str {
        match self {
            Failure::Interrupted(_) => "interrupted",
            _ => "error",
        }
    }

    /// A usage error with a message.
    pub fn usage(msg: impl std::fmt::Display) -> Self {
        Failure::Input(anyhow::anyhow!("{msg}"))
    }
}

impl From<TrainError> for Failure {
    fn from(e: TrainError) -> Self {
        if matches!(e, TrainError::Interrupted(_)) {
            Failure::Interrupted(e.into())
        } else if e.is_input_error() {
            Failure::Input(e.into())
        } else {
            Failure::Runtime(e.into())
        }
    }
}

impl From<regretnet_train::core::ConfigError> for Failure {
    fn from(e: regretnet_train::core::ConfigError) -> Self {
        Failure::Input(e.into())
    }
}

impl From<regretnet_train::nets::NetsError> for Failure {
    fn from(e: regretnet_train::nets::NetsError) -> Self {
        match e {
            regretnet_train::nets::NetsError::Candle(_) => Failure::Runtime(e.into()),
            other => Failure::Input(other.into()),
        }
    }
}

/// An error and its causes in one line, each cause once: a cause whose text the message
/// already holds (an I/O error that names its path and then its cause, a parse error that
/// quotes its source) is not repeated.
pub fn message(e: &anyhow::Error) -> String {
    regretnet_train::error::one_line(e.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let e: anyhow::Error = TrainError::Io {
            path: "runs/x/config.toml".into(),
            source: io,
        }
        .into();
        assert_eq!(message(&e), "runs/x/config.toml: No such file or directory");
        // A cause the message does not hold is kept, once.
        let e = anyhow::anyhow!("disk full").context("cannot write runs/x/metrics.csv");
        assert_eq!(message(&e), "cannot write runs/x/metrics.csv: disk full");
    }
}

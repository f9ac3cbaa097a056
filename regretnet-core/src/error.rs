//! Errors of the core crate: configuration parsing and validation.

use thiserror::Error;

/// A configuration that cannot be used, with the field at fault and what was expected.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The TOML text could not be parsed or did not match the schema (unknown key, wrong type).
    #[error("invalid config{}: {message}", origin_suffix(.origin))]
    Parse {
        /// The file the text came from, when known.
        origin: Option<String>,
        /// The parser's message, which names the key and the line.
        message: String,
    },
    /// A field parsed but has a value that cannot be used.
    #[error("invalid config{}: field `{field}`: {reason}", origin_suffix(.origin))]
    Invalid {
        /// The file the config came from, when known.
        origin: Option<String>,
        /// Dotted path of the offending field, e.g. `train.batch_size`.
        field: String,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// The config file could not be read.
    #[error("cannot read config {path}: {source}")]
    Io {
        /// The path that was read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No preset has this name.
    #[error("unknown preset `{name}`; known presets: {known}")]
    UnknownPreset {
        /// The name that was asked for.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
}

fn origin_suffix(origin: &Option<String>) -> String {
    origin.as_ref().map(|o| format!(" {o}")).unwrap_or_default()
}

impl ConfigError {
    /// Shorthand for an [`ConfigError::Invalid`] without a file.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            origin: None,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Attach the file the config came from.
    pub fn with_origin(self, path: impl Into<String>) -> Self {
        let path = Some(path.into());
        match self {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                origin: path,
                message,
            },
            ConfigError::Invalid { field, reason, .. } => ConfigError::Invalid {
                origin: path,
                field,
                reason,
            },
            other => other,
        }
    }
}

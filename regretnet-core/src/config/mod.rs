//! The TOML configuration of a run: setting, networks, training and evaluation.
//!
//! Every struct rejects unknown keys, so a typo is an error rather than a silently ignored
//! setting. Sections other than `[setting]` may be omitted and default to the reference
//! implementation's hyperparameters. [`Config::validate`] checks every field and names the field
//! at fault.
//!
//! ```
//! use regretnet_core::Config;
//! let text = r#"
//! [setting]
//! name = "my_2x3"
//! bidders = 2
//! items = 3
//! prior = { kind = "uniform", lo = 0.0, hi = [1.0, 2.0, 3.0] }
//!
//! [train]
//! iterations = 1000
//! "#;
//! let config = Config::from_toml_str(text).unwrap();
//! assert_eq!(config.train.batch_size, 128);
//! let setting = config.setting.build().unwrap();
//! assert_eq!(setting.profile_len(), 6);
//! assert!(Config::from_toml_str("[setting]\nnmae = 1").is_err());
//! ```

mod checks;
mod eval;
mod net;
pub mod overrides;
mod setting;
#[cfg(test)]
mod tests;
mod train;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

pub use eval::{EvalConfig, MAX_AXIS_GRID, MAX_GRID, MAX_PAIR_GRID};
pub use net::{
    MenuKind, NetBase, NetConfig, NetKind, DEFAULT_MENU_HIDDEN, DEFAULT_MENU_SIZE, MAX_PARAMETERS,
};
pub use setting::{Bound, PartConfig, PriorConfig, SettingConfig};
pub use train::{
    ExtraStart, Teacher, TrainConfig, DEFAULT_REGRET_TARGET_ANNEAL, DEFAULT_REGRET_TARGET_RATE,
    DEFAULT_REGRET_TARGET_START, MAX_PRIOR_STARTS, MAX_TRAIN_BYTES,
};

/// A whole run configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The regretnet version that wrote a resolved config (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regretnet_version: Option<String>,
    /// The auction.
    pub setting: SettingConfig,
    /// The networks.
    #[serde(default)]
    pub net: NetConfig,
    /// The augmented-Lagrangian training.
    #[serde(default)]
    pub train: TrainConfig,
    /// The test-time evaluation.
    #[serde(default)]
    pub eval: EvalConfig,
}

impl Config {
    /// Parse and validate a TOML text.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: None,
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Read, parse and validate a TOML file; errors name the file.
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Config::from_toml_str(&text).map_err(|e| e.with_origin(path.display().to_string()))
    }

    /// The config as TOML text (the run directory's resolved `config.toml`).
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).expect("a Config always serializes to TOML")
    }

    /// Check every field; the error names the first field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let setting = self.setting.build()?;
        self.net.validate(&setting)?;
        self.train.validate(&setting)?;
        self.eval.validate(&setting)?;
        if self.net.kind.is_exactly_ic() && self.train.teacher.is_some() {
            return Err(ConfigError::invalid(
                "train.teacher",
                format!(
                    "the warm start is for networks trained under the regret constraint; \
                     net.kind = \"{}\" is exactly IC already",
                    self.net.kind.name()
                ),
            ));
        }
        if self.net.kind != NetKind::Regretnet && self.train.trace_every > 0 {
            return Err(ConfigError::invalid(
                "train.trace_every",
                format!(
                    "the layer trace reads RegretNet's allocation and payment layers; set it to \
                     0 for net.kind = \"{}\"",
                    self.net.kind.name()
                ),
            ));
        }
        Ok(())
    }
}

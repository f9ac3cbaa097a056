//! The `[net]` section: the hidden layers of the allocation and payment networks.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::setting::Setting;

/// Most weights one network may have (hidden layers; 4 bytes each, three times that with
/// Adam's moments).
pub const MAX_PARAMETERS: u64 = 50_000_000;

/// The `[net]` section: hidden layer widths of the two tanh MLPs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    /// Hidden widths of the allocation net (reference: `[100, 100]`).
    pub alloc_hidden: Vec<usize>,
    /// Hidden widths of the payment net (reference: `[100, 100]`).
    pub pay_hidden: Vec<usize>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            alloc_hidden: vec![100, 100],
            pay_hidden: vec![100, 100],
        }
    }
}

impl NetConfig {
    /// Check the widths and the size of each network on `setting`'s input.
    pub(crate) fn validate(&self, setting: &Setting) -> Result<(), ConfigError> {
        for (field, widths) in [
            ("net.alloc_hidden", &self.alloc_hidden),
            ("net.pay_hidden", &self.pay_hidden),
        ] {
            if widths.is_empty() {
                return Err(ConfigError::invalid(
                    field,
                    "needs at least one hidden layer",
                ));
            }
            if let Some(w) = widths.iter().find(|&&w| w == 0 || w > 65_536) {
                return Err(ConfigError::invalid(
                    field,
                    format!("layer width {w} must be between 1 and 65536"),
                ));
            }
            let mut params = 0u64;
            let mut fan_in = setting.profile_len() as u64;
            for &w in widths.iter() {
                params = params.saturating_add(fan_in.saturating_mul(w as u64) + w as u64);
                fan_in = w as u64;
            }
            if params > MAX_PARAMETERS {
                return Err(ConfigError::invalid(
                    field,
                    format!(
                        "{params} weights (about {} MB with the optimizer state) are more than \
                         the {MAX_PARAMETERS} allowed; use narrower layers",
                        (params * 12) >> 20
                    ),
                ));
            }
        }
        Ok(())
    }
}

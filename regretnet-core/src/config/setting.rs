//! The `[setting]` section: bidders, items, valuation kind and prior, resolved into a
//! [`Setting`].

use serde::{Deserialize, Serialize};

use crate::combinatorial::Combinatorial;
use crate::error::ConfigError;
use crate::prior::{Prior, Triangle, UniformBox};
use crate::setting::{Setting, ValuationKind};

use super::checks::positive;

/// The `[setting]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingConfig {
    /// Name of the setting, used in reports and checkpoint metadata.
    pub name: String,
    /// Number of bidders.
    pub bidders: usize,
    /// Number of items.
    pub items: usize,
    /// Valuation kind (`"additive"`).
    #[serde(default = "default_valuation")]
    pub valuation: ValuationKind,
    /// The prior over values.
    pub prior: PriorConfig,
}

fn default_valuation() -> ValuationKind {
    ValuationKind::Additive
}

/// The `[setting.prior]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PriorConfig {
    /// Independent `U[lo, hi]` per bidder and item.
    Uniform {
        /// Lower bounds.
        lo: Bound,
        /// Upper bounds.
        hi: Bound,
    },
    /// Each bidder uniform on `{v >= 0, sum_j v_j <= 1}` (`kind = "triangle"`; with two items
    /// the triangle `v1 + v2 <= 1`).
    Triangle {},
    /// Item values `U[lo, hi]` as for `uniform`, plus per bidder a bundle complementarity
    /// `C_i ~ U[complementarity[0], complementarity[1]]` (`kind = "combinatorial"`, with
    /// `valuation = "combinatorial"`; [`crate::combinatorial`]).
    Combinatorial {
        /// Lower bounds of the item values.
        lo: Bound,
        /// Upper bounds of the item values.
        hi: Bound,
        /// `[low, high]` of every bidder's complementarity.
        complementarity: [f64; 2],
    },
}

/// A bound given for all values at once, per item (shared by bidders), or per bidder and item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    /// The same bound for every bidder and item.
    Scalar(f64),
    /// One bound per item, the same for every bidder.
    PerItem(Vec<f64>),
    /// One row of `m` bounds per bidder.
    PerBidderItem(Vec<Vec<f64>>),
}

impl Bound {
    fn expand(&self, field: &str, n: usize, m: usize) -> Result<Vec<f64>, ConfigError> {
        let values = match self {
            Bound::Scalar(v) => vec![*v; n * m],
            Bound::PerItem(row) => {
                if row.len() != m {
                    return Err(ConfigError::invalid(
                        field,
                        format!("has {} entries, expected one per item ({m})", row.len()),
                    ));
                }
                row.iter().cycle().take(n * m).cloned().collect()
            }
            Bound::PerBidderItem(rows) => {
                if rows.len() != n || rows.iter().any(|r| r.len() != m) {
                    return Err(ConfigError::invalid(
                        field,
                        format!("expected {n} rows (bidders) of {m} values (items)"),
                    ));
                }
                rows.concat()
            }
        };
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(ConfigError::invalid(
                field,
                format!("{bad} is not a finite number"),
            ));
        }
        Ok(values)
    }
}

impl SettingConfig {
    /// Resolve into a [`Setting`], checking sizes and bounds.
    pub fn build(&self) -> Result<Setting, ConfigError> {
        if self.name.trim().is_empty() {
            return Err(ConfigError::invalid("setting.name", "must not be empty"));
        }
        positive("setting.bidders", self.bidders)?;
        positive("setting.items", self.items)?;
        if self.bidders > 1_000 || self.items > 1_000 {
            return Err(ConfigError::invalid(
                if self.bidders > 1_000 {
                    "setting.bidders"
                } else {
                    "setting.items"
                },
                "at most 1000 bidders and 1000 items are supported",
            ));
        }
        let (n, m) = (self.bidders, self.items);
        let prior = match (&self.prior, self.valuation) {
            (PriorConfig::Combinatorial { .. }, v) if v != ValuationKind::Combinatorial => {
                return Err(ConfigError::invalid(
                    "setting.valuation",
                    format!(
                        "a combinatorial prior needs valuation = \"combinatorial\", not \"{}\"",
                        v.name()
                    ),
                ))
            }
            (
                PriorConfig::Uniform { .. } | PriorConfig::Triangle {},
                ValuationKind::Combinatorial,
            ) => {
                return Err(ConfigError::invalid(
                    "setting.prior.kind",
                    "valuation = \"combinatorial\" needs kind = \"combinatorial\" (item \
                     bounds and a complementarity range)",
                ))
            }
            (PriorConfig::Uniform { lo, hi }, _) => Prior::UniformBox(uniform_box(lo, hi, n, m)?),
            (PriorConfig::Triangle {}, _) => Prior::Triangle(Triangle::new(n, m)),
            (
                PriorConfig::Combinatorial {
                    lo,
                    hi,
                    complementarity: [c_lo, c_hi],
                },
                _,
            ) => {
                if (n, m) != (2, 2) {
                    return Err(ConfigError::invalid(
                        "setting",
                        format!(
                            "the combinatorial allocation head is built for 2 bidders and 2 \
                             items (the paper's CA settings), not {n} x {m}"
                        ),
                    ));
                }
                let items = uniform_box(lo, hi, n, m)?;
                if c_lo.abs() > 1e6 || c_hi.abs() > 1e6 {
                    return Err(ConfigError::invalid(
                        "setting.prior.complementarity",
                        "bounds must lie within [-1e6, 1e6]",
                    ));
                }
                Prior::Combinatorial(Combinatorial::new(items, *c_lo, *c_hi).ok_or_else(|| {
                    ConfigError::invalid(
                        "setting.prior.complementarity",
                        format!("needs two finite numbers with low < high, got [{c_lo}, {c_hi}]"),
                    )
                })?)
            }
        };
        Ok(Setting {
            name: self.name.clone(),
            bidders: n,
            items: m,
            valuation: self.valuation,
            prior,
        })
    }
}

/// The uniform box of `[setting.prior]`'s `lo` and `hi`, checked.
fn uniform_box(lo: &Bound, hi: &Bound, n: usize, m: usize) -> Result<UniformBox, ConfigError> {
    let lo = lo.expand("setting.prior.lo", n, m)?;
    let hi = hi.expand("setting.prior.hi", n, m)?;
    for (k, (l, h)) in lo.iter().zip(&hi).enumerate() {
        if l >= h {
            return Err(ConfigError::invalid(
                "setting.prior",
                format!(
                    "bidder {} item {}: lo = {l} must be below hi = {h}",
                    k / m,
                    k % m
                ),
            ));
        }
    }
    // Profiles are f32 in the networks; keep values where f32 is accurate.
    if lo.iter().chain(&hi).any(|v| v.abs() > 1e6) {
        return Err(ConfigError::invalid(
            "setting.prior",
            "bounds must lie within [-1e6, 1e6]",
        ));
    }
    UniformBox::new(n, m, lo, hi)
        .ok_or_else(|| ConfigError::invalid("setting.prior", "inconsistent bounds"))
}

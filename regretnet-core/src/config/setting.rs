//! The `[setting]` section: bidders, items, valuation kind and prior, resolved into a
//! [`Setting`].

use serde::{Deserialize, Serialize};

use crate::combinatorial::Combinatorial;
use crate::error::ConfigError;
use crate::marginal::{Marginal, Mixture, Part, EXPONENTIAL_CAP_SCALES};
use crate::prior::{Independent, Prior, Triangle, UniformBox};
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
    /// Independent exponential values with mean `scale` (`kind = "exponential"`; numpy's
    /// `exponential(scale)`, the reference MyersonNet's `exp` setting uses 3). Values are drawn
    /// from the full distribution; misreports and audit grids are confined to `[0, cap]`, by
    /// default `scale * ln(1e4)`, the `1 - 1e-4` quantile ([`crate::marginal`]).
    Exponential {
        /// Means: one for all, per item, or per bidder and item (as `lo` and `hi`).
        scale: Bound,
        /// Largest misreport, in the same shapes; default `scale * ln(1e4)`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<Bound>,
    },
    /// Independent values from one mixture of uniforms, the same for every bidder and item
    /// (`kind = "mixture"`; the reference MyersonNet's irregular setting is
    /// `parts = [{ weight = 0.75, lo = 0, hi = 3 }, { weight = 0.25, lo = 3, hi = 8 }]`).
    Mixture {
        /// The components; weights sum to 1.
        parts: Vec<PartConfig>,
    },
}

/// One component of `kind = "mixture"`: probability `weight` of `U[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartConfig {
    /// Probability of the component.
    pub weight: f64,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
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
                PriorConfig::Uniform { .. }
                | PriorConfig::Triangle {}
                | PriorConfig::Exponential { .. }
                | PriorConfig::Mixture { .. },
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
            (PriorConfig::Exponential { scale, cap }, _) => exponential(scale, cap.as_ref(), n, m)?,
            (PriorConfig::Mixture { parts }, _) => mixture(parts, n, m)?,
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

/// The exponential prior of `[setting.prior]`'s `scale` and `cap`, checked.
fn exponential(
    scale: &Bound,
    cap: Option<&Bound>,
    n: usize,
    m: usize,
) -> Result<Prior, ConfigError> {
    let scales = scale.expand("setting.prior.scale", n, m)?;
    if let Some(bad) = scales.iter().find(|&&s| !(s > 0.0 && s <= 1e5)) {
        return Err(ConfigError::invalid(
            "setting.prior.scale",
            format!("{bad}: every scale must be positive and at most 1e5"),
        ));
    }
    let caps = match cap {
        Some(c) => c.expand("setting.prior.cap", n, m)?,
        None => scales.iter().map(|s| s * EXPONENTIAL_CAP_SCALES).collect(),
    };
    if let Some((c, s)) = caps
        .iter()
        .zip(&scales)
        .find(|(&c, &s)| !(c > 0.0 && c <= 1e6 && c >= s))
    {
        return Err(ConfigError::invalid(
            "setting.prior.cap",
            format!("{c} must be at least the scale {s} and at most 1e6"),
        ));
    }
    let marginals = scales
        .iter()
        .zip(&caps)
        .map(|(&scale, &cap)| Marginal::Exponential { scale, cap })
        .collect();
    Independent::new(n, m, marginals)
        .map(Prior::Independent)
        .ok_or_else(|| ConfigError::invalid("setting.prior", "inconsistent sizes"))
}

/// The mixture prior of `[setting.prior]`'s `parts`, checked.
fn mixture(parts: &[PartConfig], n: usize, m: usize) -> Result<Prior, ConfigError> {
    let field = "setting.prior.parts";
    if parts.is_empty() || parts.len() > 64 {
        return Err(ConfigError::invalid(
            field,
            "needs between 1 and 64 components",
        ));
    }
    for (k, p) in parts.iter().enumerate() {
        let ok = p.weight.is_finite()
            && p.weight > 0.0
            && p.lo.is_finite()
            && p.hi.is_finite()
            && p.lo < p.hi
            && p.lo.abs() <= 1e6
            && p.hi.abs() <= 1e6;
        if !ok {
            return Err(ConfigError::invalid(
                field,
                format!(
                    "component {k}: needs weight > 0 and finite lo < hi within [-1e6, 1e6], got \
                     weight {} lo {} hi {}",
                    p.weight, p.lo, p.hi
                ),
            ));
        }
    }
    let total: f64 = parts.iter().map(|p| p.weight).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(ConfigError::invalid(
            field,
            format!("the weights sum to {total}, not 1"),
        ));
    }
    let parts: Vec<Part> = parts
        .iter()
        .map(|p| Part {
            weight: p.weight,
            lo: p.lo,
            hi: p.hi,
        })
        .collect();
    let mixture = Mixture::new(&parts)
        .ok_or_else(|| ConfigError::invalid(field, "not a valid mixture of uniforms"))?;
    Independent::new(n, m, vec![Marginal::Mixture(mixture); n * m])
        .map(Prior::Independent)
        .ok_or_else(|| ConfigError::invalid("setting.prior", "inconsistent sizes"))
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

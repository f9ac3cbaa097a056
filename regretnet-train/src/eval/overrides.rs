//! Overrides of a named protocol, checked and applied in one place: `regretnet eval`'s flags
//! and the Python package's keyword arguments are the same [`ProtocolOverrides`], so both
//! refuse the same values with the same messages and name the overridden protocol alike.

use regretnet_core::ConfigError;

use crate::eval::protocol::Protocol;

/// The largest value each override accepts (the CLI's flags take the same ranges).
pub mod limits {
    /// Prior starts per profile and bidder (`restarts`, `reference_restarts`).
    pub const RESTARTS: u64 = 100_000;
    /// Adam steps per start (`steps`, `reference_steps`).
    pub const STEPS: u64 = 1_000_000;
    /// Profiles (`samples`, `regret_samples`, `pair_samples`, `reference_samples`,
    /// `certify_samples`).
    pub const PROFILES: u64 = 10_000_000;
    /// Grid points per report coordinate of the audit.
    pub const GRID: u64 = 4001;
    /// Values per item of the coordinate audit.
    pub const COORDINATE_GRID: u64 = 1001;
    /// Boxes per profile and bidder of the certificate.
    pub const BUDGET: u64 = 100_000_000;
}

/// Overrides of a protocol's fields; `None` keeps the named protocol's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProtocolOverrides {
    /// Prior starts per profile and bidder (0 to [`limits::RESTARTS`]).
    pub restarts: Option<u64>,
    /// Adam steps per start (0 to [`limits::STEPS`]).
    pub steps: Option<u64>,
    /// Test profiles (1 to [`limits::PROFILES`]).
    pub samples: Option<u64>,
    /// Regret on the first this many test profiles (0: all).
    pub regret_samples: Option<u64>,
    /// Grid points per report coordinate (0: no audit, else 2 to [`limits::GRID`]).
    pub grid: Option<u64>,
    /// Values per item of the coordinate audit (0: item-wise grid only, else 2 to
    /// [`limits::COORDINATE_GRID`]).
    pub coordinate_grid: Option<u64>,
    /// Profiles with pairwise 2-D grids.
    pub pair_samples: Option<u64>,
    /// Profiles with the reference search.
    pub reference_samples: Option<u64>,
    /// Prior starts of the reference search.
    pub reference_restarts: Option<u64>,
    /// Steps per start of the reference search (at least 1).
    pub reference_steps: Option<u64>,
    /// Certify the regret (`Some(true)`); `tol`, `budget` and `certify_samples` need it.
    pub certify: Option<bool>,
    /// Tolerance of each certificate (positive).
    pub tol: Option<f64>,
    /// Most boxes per profile and bidder (at least 1).
    pub budget: Option<u64>,
    /// Certify the first this many regret profiles (at least 1).
    pub certify_samples: Option<u64>,
    /// Average the mechanism over cyclic shifts of its iid bidders and items first
    /// (`Some(true)`; [`regretnet_regret::symmetrize`]).
    pub symmetrize: Option<bool>,
}

fn in_range(name: &str, value: Option<u64>, lo: u64, hi: u64) -> Result<(), ConfigError> {
    match value {
        Some(x) if x < lo || x > hi => Err(ConfigError::invalid(
            name,
            format!("{x} is not in {lo}..={hi}"),
        )),
        _ => Ok(()),
    }
}

impl ProtocolOverrides {
    /// `base` with these overrides, named for them ([`Protocol::name_against`]); an error
    /// naming the first override that is out of range.
    ///
    /// ```
    /// use regretnet_train::core::EvalConfig;
    /// use regretnet_train::eval::ProtocolOverrides;
    /// use regretnet_train::Protocol;
    ///
    /// let base = Protocol::from_config("default", &EvalConfig::default());
    /// let o = ProtocolOverrides { steps: Some(50), ..Default::default() };
    /// assert_eq!(o.apply(&base).unwrap().name, "default-r10-s50-n10000-g101");
    /// let bad = ProtocolOverrides { grid: Some(1), ..Default::default() };
    /// assert!(bad.apply(&base).unwrap_err().to_string().contains("not a grid"));
    /// ```
    pub fn apply(&self, base: &Protocol) -> Result<Protocol, ConfigError> {
        use limits::*;
        in_range("restarts", self.restarts, 0, RESTARTS)?;
        in_range("steps", self.steps, 0, STEPS)?;
        in_range("samples", self.samples, 1, PROFILES)?;
        in_range("regret_samples", self.regret_samples, 0, PROFILES)?;
        in_range("grid", self.grid, 0, GRID)?;
        in_range("coordinate_grid", self.coordinate_grid, 0, COORDINATE_GRID)?;
        in_range("pair_samples", self.pair_samples, 0, PROFILES)?;
        in_range("reference_samples", self.reference_samples, 0, PROFILES)?;
        in_range("reference_restarts", self.reference_restarts, 0, RESTARTS)?;
        in_range("reference_steps", self.reference_steps, 1, STEPS)?;
        in_range("budget", self.budget, 1, BUDGET)?;
        in_range("certify_samples", self.certify_samples, 1, PROFILES)?;
        if self.grid == Some(1) {
            return Err(ConfigError::invalid(
                "grid",
                "1 is not a grid: use 0 (no audit) or 2 to 4001 points per coordinate",
            ));
        }
        if self.coordinate_grid == Some(1) {
            return Err(ConfigError::invalid(
                "coordinate_grid",
                "1 is not a grid: use 0 (item-wise grid only) or 2 to 1001 values per item",
            ));
        }
        let certify = self.certify.unwrap_or(false);
        let certify_only = [
            ("tol", self.tol.is_some()),
            ("budget", self.budget.is_some()),
            ("certify_samples", self.certify_samples.is_some()),
        ];
        if let Some((name, _)) = certify_only.iter().find(|(_, set)| *set && !certify) {
            return Err(ConfigError::invalid(
                *name,
                "applies to the certificate only: certify it too",
            ));
        }
        if certify && self.symmetrize == Some(true) {
            return Err(ConfigError::invalid(
                "symmetrize",
                "cannot go with the certificate: its enclosures bound the network itself, not \
                 its average over relabellings (certify without it)",
            ));
        }
        if let Some(t) = self.tol {
            if !(t.is_finite() && t > 0.0) {
                return Err(ConfigError::invalid(
                    "tol",
                    format!("must be a positive number, not {t}"),
                ));
            }
        }
        let mut p = base.clone();
        let set = |field: &mut usize, value: Option<u64>| {
            if let Some(x) = value {
                *field = x as usize;
            }
        };
        set(&mut p.restarts, self.restarts);
        set(&mut p.steps, self.steps);
        set(&mut p.samples, self.samples);
        set(&mut p.regret_samples, self.regret_samples);
        set(&mut p.grid, self.grid);
        set(&mut p.coordinate_grid, self.coordinate_grid);
        set(&mut p.pair_samples, self.pair_samples);
        set(&mut p.reference_samples, self.reference_samples);
        set(&mut p.reference_restarts, self.reference_restarts);
        set(&mut p.reference_steps, self.reference_steps);
        if certify {
            p.certify = true;
            if let Some(t) = self.tol {
                p.certify_tol = t;
            }
            set(&mut p.certify_budget, self.budget);
            set(&mut p.certify_samples, self.certify_samples);
        }
        if self.symmetrize == Some(true) {
            p.symmetrize = true;
        }
        p.name = p.name_against(base);
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regretnet_core::EvalConfig;

    fn base() -> Protocol {
        Protocol::from_config("default", &EvalConfig::default())
    }

    #[test]
    fn no_override_is_the_named_protocol() {
        assert_eq!(ProtocolOverrides::default().apply(&base()).unwrap(), base());
    }

    #[test]
    fn out_of_range_values_are_named() {
        for (o, field) in [
            (
                ProtocolOverrides {
                    samples: Some(0),
                    ..Default::default()
                },
                "samples",
            ),
            (
                ProtocolOverrides {
                    coordinate_grid: Some(1),
                    ..Default::default()
                },
                "coordinate_grid",
            ),
            (
                ProtocolOverrides {
                    tol: Some(1e-3),
                    ..Default::default()
                },
                "tol",
            ),
            (
                ProtocolOverrides {
                    certify: Some(true),
                    tol: Some(0.0),
                    ..Default::default()
                },
                "tol",
            ),
            (
                ProtocolOverrides {
                    certify: Some(true),
                    symmetrize: Some(true),
                    ..Default::default()
                },
                "symmetrize",
            ),
        ] {
            let e = o.apply(&base()).unwrap_err().to_string();
            assert!(e.contains(field), "{e}");
        }
    }

    #[test]
    fn certify_settings_apply_with_certify() {
        let o = ProtocolOverrides {
            certify: Some(true),
            tol: Some(1e-3),
            budget: Some(500),
            ..Default::default()
        };
        let p = o.apply(&base()).unwrap();
        assert!(p.certify);
        assert_eq!((p.certify_tol, p.certify_budget), (1e-3, 500));
        assert_ne!(p.name, "default");
    }

    #[test]
    fn symmetrize_is_recorded_and_named() {
        let o = ProtocolOverrides {
            symmetrize: Some(true),
            ..Default::default()
        };
        let p = o.apply(&base()).unwrap();
        assert!(p.symmetrize && !base().symmetrize);
        assert_eq!(p.name, "default-sym");
        let off = ProtocolOverrides {
            symmetrize: Some(false),
            ..Default::default()
        };
        assert_eq!(off.apply(&base()).unwrap(), base());
    }
}

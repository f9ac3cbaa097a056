//! The auction setting: bidders, items, valuation kind and prior.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::prior::Prior;

/// How a bidder values a set of items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValuationKind {
    /// The value of a bundle is the sum of its items' values.
    Additive,
    /// A bidder wants at most one item: a bundle is worth its best item. Mechanisms give each
    /// bidder at most one item in expectation (`sum_j a_ij <= 1`), so the utility is still
    /// `sum_j a_ij v_ij - p_i`.
    UnitDemand,
    /// Two bidders, two items and bundle values `v_1 + v_2 + C_i` with a complementarity `C_i`
    /// the bidder cannot misreport ([`crate::combinatorial`]); needs the combinatorial prior.
    Combinatorial,
}

impl ValuationKind {
    /// The name used in configs and checkpoint metadata.
    pub fn name(self) -> &'static str {
        match self {
            ValuationKind::Additive => "additive",
            ValuationKind::UnitDemand => "unit_demand",
            ValuationKind::Combinatorial => "combinatorial",
        }
    }
}

/// A fully resolved auction setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Name of the setting (the preset name or the config's own).
    pub name: String,
    /// Number of bidders `n`.
    pub bidders: usize,
    /// Number of items `m`.
    pub items: usize,
    /// Valuation kind.
    pub valuation: ValuationKind,
    /// Prior over profiles.
    pub prior: Prior,
}

impl Setting {
    /// Values in one bidder's type ([`Prior::type_len`]): the `m` item values, plus the
    /// complementarity of a combinatorial bidder.
    pub fn type_len(&self) -> usize {
        self.prior.type_len()
    }

    /// Number of values in one profile: `n * type_len` (`n * m` unless combinatorial).
    pub fn profile_len(&self) -> usize {
        self.bidders * self.type_len()
    }

    /// Draw `count` profiles, row-major `[count, n, type_len]`.
    pub fn sample_profiles<R: Rng + ?Sized>(&self, rng: &mut R, count: usize) -> Vec<f32> {
        let len = self.profile_len();
        let mut out = vec![0.0f32; count * len];
        for profile in out.chunks_exact_mut(len) {
            self.prior.sample_profile(rng, profile);
        }
        out
    }

    /// Project every bidder's row of every profile in `profiles` (`[count, n, type_len]`)
    /// onto the support, in place.
    pub fn project_profiles(&self, profiles: &mut [f32]) {
        for row in profiles.chunks_exact_mut(self.type_len()).enumerate() {
            let (k, values) = row;
            self.prior.project_bidder(k % self.bidders, values);
        }
    }

    /// Copy the coordinates a bidder cannot misreport (those past the `m` item values: a
    /// combinatorial bidder's complementarity) from `truth` into `reports`, both flat
    /// `[count, n, type_len]` with the same `count`; together with [`Setting::project_profiles`]
    /// this is the exact projection onto the set of feasible misreports. Nothing to do unless
    /// the setting has such coordinates.
    pub fn pin_fixed(&self, truth: &[f32], reports: &mut [f32]) {
        let (d, m) = (self.type_len(), self.items);
        if d == m {
            return;
        }
        for (t, r) in truth.chunks_exact(d).zip(reports.chunks_exact_mut(d)) {
            r[m..].copy_from_slice(&t[m..]);
        }
    }
}

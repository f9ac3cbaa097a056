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
}

impl ValuationKind {
    /// The name used in configs and checkpoint metadata.
    pub fn name(self) -> &'static str {
        match self {
            ValuationKind::Additive => "additive",
            ValuationKind::UnitDemand => "unit_demand",
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
    /// Number of values in one profile: `n * m`.
    pub fn profile_len(&self) -> usize {
        self.bidders * self.items
    }

    /// Draw `count` profiles, row-major `[count, n, m]`.
    pub fn sample_profiles<R: Rng + ?Sized>(&self, rng: &mut R, count: usize) -> Vec<f32> {
        let len = self.profile_len();
        let mut out = vec![0.0f32; count * len];
        for profile in out.chunks_exact_mut(len) {
            self.prior.sample_profile(rng, profile);
        }
        out
    }

    /// Project every bidder's row of every profile in `profiles` (`[count, n, m]`) onto the
    /// support, in place.
    pub fn project_profiles(&self, profiles: &mut [f32]) {
        for row in profiles.chunks_exact_mut(self.items).enumerate() {
            let (k, values) = row;
            self.prior.project_bidder(k % self.bidders, values);
        }
    }
}

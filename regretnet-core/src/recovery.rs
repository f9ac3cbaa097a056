//! Does a learned mechanism recover the optimal one, not just its revenue? The allocation of
//! the known optimum on each test profile, and the distance between a learned allocation and
//! it.
//!
//! The distance of one profile is the mean over items of the total-variation distance between
//! the two distributions of the item over its outcomes (each bidder, or unsold):
//! `1/2 (sum_i |a_ij - a*_ij| + |u_j - u*_j|)` with `u_j = 1 - sum_i a_ij`. It lies in
//! `[0, 1]`: 0 when the allocations agree, 1 when every item goes to a different outcome. With
//! one bidder it is `|a_j - a*_j|` averaged over the items; with one item it is the reference
//! MyersonNet's allocation error (`sum |a - a*| / 2` per profile, `myersonNet/nets/net.py`)
//! with the unsold outcome counted.

use crate::baselines::myerson_per_item;
use crate::optimal::known_optimum;
use crate::setting::Setting;
use crate::stats::mean_se;

/// The known optimal mechanism's allocation on each profile of `profiles` (flat
/// `[P, n, type_len]`), flat `[P, n, m]`: the menus of [`crate::optimal`] (one bidder, two
/// items: the lottery of the offer the bidder takes, zero when it takes none) or Myerson's
/// auction (one item: the item to the highest non-negative ironed virtual value, ties shared).
/// `None` where no optimum is known.
///
/// ```
/// use regretnet_core::{presets, recovery::optimum_allocations};
/// let setting = presets::preset("additive_1x2_uniform").unwrap().setting.build().unwrap();
/// // Manelli-Vincent: (0.9, 0.1) buys item 1 at 2/3; (0.9, 0.8) buys the bundle.
/// let a = optimum_allocations(&setting, &[0.9, 0.1, 0.9, 0.8]).unwrap();
/// assert_eq!(a, vec![1.0, 0.0, 1.0, 1.0]);
/// ```
pub fn optimum_allocations(setting: &Setting, profiles: &[f32]) -> Option<Vec<f64>> {
    let len = setting.profile_len();
    if let Some(menu) = known_optimum(setting) {
        let m = setting.items;
        return Some(
            profiles
                .chunks_exact(len)
                .flat_map(|v| match menu.choice(v) {
                    Some(k) => menu.offers[k].1.clone(),
                    None => vec![0.0; m],
                })
                .collect(),
        );
    }
    if setting.items != 1 {
        return None;
    }
    let auction = myerson_per_item(setting)?.pop()?;
    Some(
        profiles
            .chunks_exact(len)
            .flat_map(|v| {
                let bids: Vec<f64> = v.iter().map(|&x| x as f64).collect();
                auction.allocation(&bids)
            })
            .collect(),
    )
}

/// The distance between a learned allocation and the optimum's on the same profiles.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AllocationDistance {
    /// Mean over profiles of the per-profile distance (module doc).
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// Share of profiles whose distance exceeds 0.1.
    pub above_0_1: f64,
}

/// The per-profile distance (module doc) between allocations `ours` and `optimum`, both flat
/// `[P, n, m]`.
///
/// ```
/// use regretnet_core::recovery::allocation_distances;
/// // One bidder, two items: |0.5 - 1| and |0 - 0| averaged over the items.
/// assert_eq!(allocation_distances(&[0.5, 0.0], &[1.0, 0.0], 1, 2), vec![0.25]);
/// ```
pub fn allocation_distances(ours: &[f64], optimum: &[f64], n: usize, m: usize) -> Vec<f64> {
    ours.chunks_exact(n * m)
        .zip(optimum.chunks_exact(n * m))
        .map(|(a, b)| {
            let mut total = 0.0;
            for j in 0..m {
                let (mut diff, mut sold_a, mut sold_b) = (0.0, 0.0, 0.0);
                for i in 0..n {
                    diff += (a[i * m + j] - b[i * m + j]).abs();
                    sold_a += a[i * m + j];
                    sold_b += b[i * m + j];
                }
                total += 0.5 * (diff + ((1.0 - sold_a) - (1.0 - sold_b)).abs());
            }
            total / m as f64
        })
        .collect()
}

impl AllocationDistance {
    /// Summary of [`allocation_distances`].
    pub fn of(ours: &[f64], optimum: &[f64], n: usize, m: usize) -> Self {
        let d = allocation_distances(ours, optimum, n, m);
        let (mean, se) = mean_se(&d);
        let above = d.iter().filter(|&&x| x > 0.1).count() as f64 / d.len().max(1) as f64;
        AllocationDistance {
            mean,
            se,
            above_0_1: above,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    fn setting(name: &str) -> Setting {
        presets::preset(name).unwrap().setting.build().unwrap()
    }

    #[test]
    fn manelli_vincent_allocates_by_its_regions() {
        // Prices: an item at 2/3, the bundle at (4 - sqrt 2)/3 = 0.8619. (0.5, 0.2) buys
        // nothing; (0.1, 0.7) item 2; (0.5, 0.45) the bundle (0.95 - 0.862 > 0, items < 0).
        let s = setting("additive_1x2_uniform");
        let a = optimum_allocations(&s, &[0.5, 0.2, 0.1, 0.7, 0.5, 0.45]).unwrap();
        assert_eq!(a, vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn myerson_gives_the_item_to_the_highest_bid_above_the_reserve() {
        // 3 bidders U[0,1]: reserve 1/2. (0.7, 0.9, 0.2) to bidder 2; (0.4, 0.3, 0.1) unsold.
        let s = setting("additive_3x1_uniform");
        let a = optimum_allocations(&s, &[0.7, 0.9, 0.2, 0.4, 0.3, 0.1]).unwrap();
        assert_eq!(a, vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn no_allocation_without_a_known_optimum() {
        let s = setting("additive_2x2_uniform");
        assert!(optimum_allocations(&s, &[0.5; 4]).is_none());
    }

    #[test]
    fn total_variation_counts_the_unsold_outcome() {
        // One item, 2 bidders: ours (1/2, 0) with 1/2 unsold, optimum (0, 1): the item's
        // distributions (1/2, 0, 1/2) and (0, 1, 0) differ by 1/2 (1/2 + 1 + 1/2) = 1.
        assert_eq!(
            allocation_distances(&[0.5, 0.0], &[0.0, 1.0], 2, 1),
            vec![1.0]
        );
        // Moving mass between a bidder and unsold only: (0.8, 0) against (1, 0) is 0.2.
        let d = allocation_distances(&[0.8, 0.0], &[1.0, 0.0], 2, 1)[0];
        assert!((d - 0.2).abs() < 1e-12, "{d}");
        let s = AllocationDistance::of(&[0.8, 0.0, 1.0, 0.0], &[1.0, 0.0, 1.0, 0.0], 2, 1);
        assert!((s.mean - 0.1).abs() < 1e-12 && s.above_0_1 == 0.5, "{s:?}");
    }
}

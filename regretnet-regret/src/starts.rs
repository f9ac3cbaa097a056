//! Starting points of the misreport search: the truthful report, the corners of the support,
//! and draws from the prior.
//!
//! Start `s` of a profile gives every bidder a report at once (the search moves each bidder's
//! report alone, the others truthful): `s = 0` is the truthful profile, the next
//! [`corner_count`] starts put every bidder at the same corner of its own support, and the rest
//! are independent prior draws. Corners matter because many mechanisms are most manipulable at
//! extreme reports (a bid of zero, or of the upper bound), which a handful of prior draws rarely
//! comes near.

use rand::Rng;
use regretnet_core::Setting;

use crate::search::SearchConfig;

/// Items up to which every one of the `2^m` corners is a start.
pub const FULL_CORNER_ITEMS: usize = 6;

/// Corners used as starts for `m` items: all `2^m` up to [`FULL_CORNER_ITEMS`] items; above
/// that `2m + 2` (see [`corners`]).
pub fn corner_count(m: usize) -> usize {
    if m <= FULL_CORNER_ITEMS {
        1 << m
    } else {
        2 * m + 2
    }
}

/// The corners of a box `(lo, hi)` per item used as starts, in a fixed order. With at most
/// [`FULL_CORNER_ITEMS`] items: all of them, corner `c` taking `hi` for item `j` when bit `j`
/// of `c` is set. With more: all-low, all-high, then for each item the corner with that item
/// alone high and the corner with it alone low.
pub fn corners(bbox: &[(f32, f32)]) -> Vec<Vec<f32>> {
    let m = bbox.len();
    let pick = |high: &dyn Fn(usize) -> bool| -> Vec<f32> {
        bbox.iter()
            .enumerate()
            .map(|(j, &(lo, hi))| if high(j) { hi } else { lo })
            .collect()
    };
    if m <= FULL_CORNER_ITEMS {
        (0..1usize << m)
            .map(|c| pick(&|j| c >> j & 1 == 1))
            .collect()
    } else {
        let mut out = vec![pick(&|_| false), pick(&|_| true)];
        for k in 0..m {
            out.push(pick(&|j| j == k));
            out.push(pick(&|j| j != k));
        }
        out
    }
}

/// Starts per profile under `search`: the truthful report, the corners when
/// `search.corners`, and `search.restarts` prior draws.
pub fn starts_per_profile(setting: &Setting, search: &SearchConfig) -> usize {
    let corners = if search.corners {
        corner_count(setting.items)
    } else {
        0
    };
    1 + corners + search.restarts
}

/// Every start of every profile, flat `[samples, S, n, d]` with `S` from
/// [`starts_per_profile`]. Prior draws are taken from `rng` profile by profile, so the starts
/// depend only on `rng`, never on how the work is later split. Coordinates a bidder cannot
/// misreport (a combinatorial bidder's complementarity) are the profile's own in every start;
/// corners and draws cover the item values.
pub fn draw_starts<R: Rng + ?Sized>(
    setting: &Setting,
    profiles: &[f32],
    search: &SearchConfig,
    rng: &mut R,
) -> Vec<f32> {
    let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
    let len = n * d;
    let per = starts_per_profile(setting, search);
    let bidder_corners: Vec<Vec<Vec<f32>>> = if search.corners {
        (0..n)
            .map(|i| {
                let mut cs = corners(&setting.prior.bounding_box(i));
                for c in &mut cs {
                    setting.prior.project_bidder(i, c);
                    // Placeholders for the fixed coordinates, pinned per profile below.
                    c.resize(d, 0.0);
                }
                cs
            })
            .collect()
    } else {
        vec![Vec::new(); n]
    };
    let ncorners = bidder_corners.first().map_or(0, Vec::len);
    let mut starts = Vec::with_capacity(profiles.len() * per);
    for profile in profiles.chunks_exact(len) {
        let first = starts.len();
        starts.extend_from_slice(profile);
        for c in 0..ncorners {
            for corners in &bidder_corners {
                starts.extend_from_slice(&corners[c]);
            }
        }
        for _ in 0..search.restarts {
            let at = starts.len();
            starts.resize(at + len, 0.0);
            for (i, row) in starts[at..].chunks_exact_mut(d).enumerate() {
                setting.prior.sample_bidder(i, rng, row);
            }
        }
        if d > m {
            for start in starts[first..].chunks_exact_mut(len) {
                setting.pin_fixed(profile, start);
            }
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_corners_of_a_small_box() {
        let cs = corners(&[(0.0, 1.0), (4.0, 7.0)]);
        assert_eq!(
            cs,
            vec![
                vec![0.0, 4.0],
                vec![1.0, 4.0],
                vec![0.0, 7.0],
                vec![1.0, 7.0]
            ]
        );
    }

    #[test]
    fn large_boxes_get_the_extreme_and_one_item_corners() {
        let bbox = vec![(0.0f32, 1.0f32); 10];
        let cs = corners(&bbox);
        assert_eq!(cs.len(), corner_count(10));
        assert_eq!(cs.len(), 22);
        assert_eq!(cs[0], vec![0.0; 10]);
        assert_eq!(cs[1], vec![1.0; 10]);
        assert_eq!(cs[2].iter().sum::<f32>(), 1.0);
        assert_eq!(cs[2][0], 1.0);
        assert_eq!(cs[3].iter().sum::<f32>(), 9.0);
        assert_eq!(cs[3][0], 0.0);
        // No corner twice.
        for a in 0..cs.len() {
            for b in a + 1..cs.len() {
                assert_ne!(cs[a], cs[b]);
            }
        }
    }
}

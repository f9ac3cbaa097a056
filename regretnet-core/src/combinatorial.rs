//! The combinatorial 2-item prior of the paper's CA settings: item values plus a bundle
//! complementarity that a bidder cannot misreport.
//!
//! Bidder `i`'s type is `(v_i1, v_i2, C_i)`: item values from a uniform box and
//! `C_i ~ U[c_lo, c_hi]`. Its value for the bundle of both items is `v_i1 + v_i2 + C_i`
//! (`ca_sym_uniform_12`: items `U[1, 2]`, `C_i ~ U[-1, 1]`; `ca_asym_uniform_12_15`: bidder 2's
//! items `U[1, 5]`; `docs/PAPER.md`, settings table). As in the reference
//! implementation, a misreport changes the item values only: `C_i` stays true, so the search
//! moves the first `m` coordinates of a type and [`crate::Setting::pin_fixed`] keeps the last.
//!
//! Types are stored as rows of `m + 1` values, `(v_1, ..., v_m, C)`. A mechanism's utility is
//! linear in that row: with `a_k` the probability of receiving item `k` alone and `a_b` that of
//! the bundle, bidder `i` gets `(a_1 + a_b) v_1 + (a_2 + a_b) v_2 + a_b C - p`; see
//! [`bundle_coefficients`].

use rand::Rng;

use crate::prior::UniformBox;

/// Item values from a uniform box; per bidder one complementarity `C_i ~ U[c_lo, c_hi]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Combinatorial {
    items: UniformBox,
    c_lo: f64,
    c_hi: f64,
}

impl Combinatorial {
    /// The prior; `None` unless `c_lo < c_hi`, both finite.
    pub fn new(items: UniformBox, c_lo: f64, c_hi: f64) -> Option<Self> {
        (c_lo.is_finite() && c_hi.is_finite() && c_lo < c_hi).then_some(Combinatorial {
            items,
            c_lo,
            c_hi,
        })
    }

    /// The prior of the item values.
    pub fn items(&self) -> &UniformBox {
        &self.items
    }

    /// The support `(c_lo, c_hi)` of every bidder's complementarity.
    pub fn complementarity(&self) -> (f64, f64) {
        (self.c_lo, self.c_hi)
    }

    /// Draw bidder `bidder`'s type into `out` (`m` item values, then `C`).
    pub(crate) fn sample_bidder<R: Rng + ?Sized>(
        &self,
        bidder: usize,
        rng: &mut R,
        out: &mut [f32],
    ) {
        let m = out.len() - 1;
        for (j, o) in out[..m].iter_mut().enumerate() {
            let (lo, hi) = (self.items.lo(bidder, j), self.items.hi(bidder, j));
            *o = (lo + (hi - lo) * rng.random::<f64>()) as f32;
        }
        out[m] = (self.c_lo + (self.c_hi - self.c_lo) * rng.random::<f64>()) as f32;
    }

    /// Clip the item values of `report` (and `C`, when the row holds it) to their ranges.
    pub(crate) fn project_bidder(&self, bidder: usize, report: &mut [f32]) {
        let m = self.items.items();
        for (j, r) in report.iter_mut().enumerate() {
            let (lo, hi) = if j < m {
                (self.items.lo(bidder, j), self.items.hi(bidder, j))
            } else {
                (self.c_lo, self.c_hi)
            };
            let (lo, hi) = (lo as f32, hi as f32);
            *r = if r.is_nan() { lo } else { r.clamp(lo, hi) };
        }
    }

    /// Whether `report` (item values, optionally followed by `C`) lies in the support.
    pub(crate) fn contains_bidder(&self, bidder: usize, report: &[f32]) -> bool {
        let mut r = report.to_vec();
        self.project_bidder(bidder, &mut r);
        r == report
    }
}

/// The coefficients of a type row `(v_1, v_2, C)` in a bidder's value for receiving item 1
/// alone with probability `a[0]`, item 2 alone with `a[1]` and the bundle with `a[2]`:
/// `(a[0] + a[2], a[1] + a[2], a[2])`. The value is their dot product with the row.
pub fn bundle_coefficients(a: [f64; 3]) -> [f64; 3] {
    [a[0] + a[2], a[1] + a[2], a[2]]
}

/// A bidder's values for the three bundles (item 1, item 2, both) from its type row
/// `(v_1, v_2, C)`: `(v_1, v_2, v_1 + v_2 + C)`.
pub fn bundle_values(row: &[f32]) -> [f64; 3] {
    let (v1, v2, c) = (row[0] as f64, row[1] as f64, row[2] as f64);
    [v1, v2, v1 + v2 + c]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    fn ca_asym() -> Combinatorial {
        let items = UniformBox::new(2, 2, vec![1.0; 4], vec![2.0, 2.0, 5.0, 5.0]).unwrap();
        Combinatorial::new(items, -1.0, 1.0).unwrap()
    }

    #[test]
    fn samples_lie_in_the_support_with_the_uniform_means() {
        // Closed form: U[1,5] has mean 3, U[-1,1] mean 0; 100,000 draws give standard errors
        // of 4/sqrt(12e5) = 0.0037 and 2/sqrt(12e5) = 0.0018.
        let p = ca_asym();
        let mut rng = stream_rng(3, Stream::Data);
        let (mut v, mut c) = (0.0, 0.0);
        let draws = 100_000;
        let mut row = [0.0f32; 3];
        for _ in 0..draws {
            p.sample_bidder(1, &mut rng, &mut row);
            assert!(p.contains_bidder(1, &row), "{row:?}");
            v += row[0] as f64;
            c += row[2] as f64;
        }
        assert!((v / draws as f64 - 3.0).abs() < 0.02);
        assert!((c / draws as f64).abs() < 0.01);
    }

    #[test]
    fn projection_clips_items_and_complementarity_per_bidder() {
        let p = ca_asym();
        let mut r = [0.0f32, 9.0, -3.0];
        p.project_bidder(0, &mut r);
        assert_eq!(r, [1.0, 2.0, -1.0]);
        let mut r = [0.0f32, 9.0, 0.5];
        p.project_bidder(1, &mut r);
        assert_eq!(r, [1.0, 5.0, 0.5]);
        // Item values alone (a misreport's free coordinates).
        let mut r = [7.0f32, 1.5];
        p.project_bidder(1, &mut r);
        assert_eq!(r, [5.0, 1.5]);
    }

    #[test]
    fn coefficients_reproduce_the_bundle_value() {
        // a1 v1 + a2 v2 + ab (v1 + v2 + C) for an arbitrary allocation and type.
        let a = [0.2, 0.1, 0.5];
        let row = [1.25f32, 1.75, -0.5];
        let direct: f64 = a.iter().zip(bundle_values(&row)).map(|(a, v)| a * v).sum();
        let via: f64 = bundle_coefficients(a)
            .iter()
            .zip(&row)
            .map(|(k, &v)| k * v as f64)
            .sum();
        assert!((direct - via).abs() < 1e-12);
        assert!((direct - (0.2 * 1.25 + 0.1 * 1.75 + 0.5 * 2.5)).abs() < 1e-12);
    }
}

//! Priors over valuation profiles: sampling and projection onto the support.
//!
//! A prior describes the joint distribution of all bidders' values. The misreport search uses
//! [`Prior::project_bidder`] after every ascent step, so a misreport never leaves the support;
//! projection is derived from the prior itself, never written per setting.

use rand::Rng;

/// Independent uniform values: bidder `i`'s value for item `j` is `U[lo[i][j], hi[i][j]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct UniformBox {
    bidders: usize,
    items: usize,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl UniformBox {
    /// A box prior from row-major `n * m` bounds; `None` when the sizes disagree or some
    /// `lo >= hi` or a bound is not finite (the config layer reports those with field names).
    pub fn new(bidders: usize, items: usize, lo: Vec<f64>, hi: Vec<f64>) -> Option<Self> {
        let len = bidders.checked_mul(items)?;
        let ok = lo.len() == len
            && hi.len() == len
            && lo
                .iter()
                .zip(&hi)
                .all(|(l, h)| l.is_finite() && h.is_finite() && l < h);
        ok.then_some(UniformBox {
            bidders,
            items,
            lo,
            hi,
        })
    }

    /// Lower bound of bidder `i`'s value for item `j`.
    pub fn lo(&self, i: usize, j: usize) -> f64 {
        self.lo[i * self.items + j]
    }

    /// Upper bound of bidder `i`'s value for item `j`.
    pub fn hi(&self, i: usize, j: usize) -> f64 {
        self.hi[i * self.items + j]
    }
}

/// The distribution of valuation profiles.
#[derive(Debug, Clone, PartialEq)]
pub enum Prior {
    /// Independent uniform values per bidder and item.
    UniformBox(UniformBox),
}

impl Prior {
    /// Number of bidders the prior describes.
    pub fn bidders(&self) -> usize {
        match self {
            Prior::UniformBox(b) => b.bidders,
        }
    }

    /// Number of items the prior describes.
    pub fn items(&self) -> usize {
        match self {
            Prior::UniformBox(b) => b.items,
        }
    }

    /// Draw bidder `bidder`'s values into `out` (length `m`).
    pub fn sample_bidder<R: Rng + ?Sized>(&self, bidder: usize, rng: &mut R, out: &mut [f32]) {
        match self {
            Prior::UniformBox(b) => {
                for (j, o) in out.iter_mut().enumerate() {
                    let (lo, hi) = (b.lo(bidder, j), b.hi(bidder, j));
                    let u: f64 = rng.random();
                    *o = (lo + (hi - lo) * u) as f32;
                }
            }
        }
    }

    /// Draw one whole profile into `out` (length `n * m`, row-major).
    pub fn sample_profile<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f32]) {
        let m = self.items();
        for (i, row) in out.chunks_exact_mut(m).enumerate() {
            self.sample_bidder(i, rng, row);
        }
    }

    /// Project bidder `bidder`'s report (length `m`) onto its support, in place (Euclidean
    /// projection; for a box this is clipping each coordinate).
    pub fn project_bidder(&self, bidder: usize, report: &mut [f32]) {
        match self {
            Prior::UniformBox(b) => {
                for (j, r) in report.iter_mut().enumerate() {
                    let (lo, hi) = (b.lo(bidder, j) as f32, b.hi(bidder, j) as f32);
                    *r = if r.is_nan() { lo } else { r.clamp(lo, hi) };
                }
            }
        }
    }

    /// The smallest box holding bidder `bidder`'s support: per item `(lo, hi)`. Audits lay
    /// their grids over this box and project every grid point onto the support.
    pub fn bounding_box(&self, bidder: usize) -> Vec<(f32, f32)> {
        match self {
            Prior::UniformBox(b) => (0..b.items)
                .map(|j| (b.lo(bidder, j) as f32, b.hi(bidder, j) as f32))
                .collect(),
        }
    }

    /// Whether bidder `bidder`'s report lies in the support.
    pub fn contains_bidder(&self, bidder: usize, report: &[f32]) -> bool {
        match self {
            Prior::UniformBox(b) => report
                .iter()
                .enumerate()
                .all(|(j, &r)| (b.lo(bidder, j) as f32) <= r && r <= (b.hi(bidder, j) as f32)),
        }
    }

    /// Expected value of bidder `i` for item `j` under the prior.
    pub fn mean(&self, i: usize, j: usize) -> f64 {
        match self {
            Prior::UniformBox(b) => 0.5 * (b.lo(i, j) + b.hi(i, j)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};
    use proptest::prelude::*;

    fn box_2x2() -> Prior {
        // Asymmetric bounds so that a per-bidder/per-item indexing mistake shows.
        Prior::UniformBox(
            UniformBox::new(2, 2, vec![0.0, 4.0, 1.0, 2.0], vec![1.0, 16.0, 5.0, 3.0]).unwrap(),
        )
    }

    #[test]
    fn samples_stay_in_support_and_have_the_uniform_mean() {
        // Closed form: the mean of U[lo, hi] is (lo + hi) / 2 and its variance (hi - lo)^2 / 12,
        // so with 200,000 draws the standard error is at most 12 / sqrt(12 * 200000) = 0.0078.
        let prior = box_2x2();
        let mut rng = stream_rng(1, Stream::Data);
        let draws = 200_000;
        let mut sums = [0.0f64; 4];
        let mut profile = [0.0f32; 4];
        for _ in 0..draws {
            prior.sample_profile(&mut rng, &mut profile);
            for i in 0..2 {
                assert!(prior.contains_bidder(i, &profile[i * 2..i * 2 + 2]));
            }
            for (s, v) in sums.iter_mut().zip(profile) {
                *s += v as f64;
            }
        }
        for (k, s) in sums.iter().enumerate() {
            let (i, j) = (k / 2, k % 2);
            let mean = s / draws as f64;
            let Prior::UniformBox(b) = &prior;
            let se = (b.hi(i, j) - b.lo(i, j)) / (12.0 * draws as f64).sqrt();
            assert!(
                (mean - prior.mean(i, j)).abs() < 4.0 * se,
                "bidder {i} item {j}: sample mean {mean} vs {}",
                prior.mean(i, j)
            );
        }
    }

    #[test]
    fn rejects_empty_or_non_finite_boxes() {
        assert!(UniformBox::new(1, 1, vec![1.0], vec![1.0]).is_none());
        assert!(UniformBox::new(1, 1, vec![0.0], vec![f64::NAN]).is_none());
        assert!(UniformBox::new(1, 2, vec![0.0], vec![1.0]).is_none());
    }

    proptest! {
        #[test]
        fn projection_lands_in_support_and_is_idempotent(
            r in proptest::collection::vec(-100.0f32..100.0, 2), bidder in 0usize..2
        ) {
            let prior = box_2x2();
            let mut once = r.clone();
            prior.project_bidder(bidder, &mut once);
            prop_assert!(prior.contains_bidder(bidder, &once));
            let mut twice = once.clone();
            prior.project_bidder(bidder, &mut twice);
            prop_assert_eq!(&once, &twice);
            // Points already in the support do not move.
            if prior.contains_bidder(bidder, &r) {
                prop_assert_eq!(&once, &r);
            }
        }
    }
}

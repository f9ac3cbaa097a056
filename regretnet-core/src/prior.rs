//! Priors over valuation profiles: sampling and projection onto the support.
//!
//! A prior describes the joint distribution of all bidders' values. The misreport search uses
//! [`Prior::project_bidder`] after every ascent step, so a misreport never leaves the support;
//! projection is derived from the prior itself, never written per setting.

use rand::Rng;

use crate::combinatorial::Combinatorial;
use crate::marginal::Marginal;

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

    /// Number of items.
    pub fn items(&self) -> usize {
        self.items
    }
}

/// Independent values with their own distribution per bidder and item ([`Marginal`]):
/// exponential values, mixtures of uniforms, or uniforms mixed with those.
#[derive(Debug, Clone, PartialEq)]
pub struct Independent {
    bidders: usize,
    items: usize,
    marginals: Vec<Marginal>,
}

impl Independent {
    /// The prior from row-major `n * m` marginals; `None` when the sizes disagree.
    pub fn new(bidders: usize, items: usize, marginals: Vec<Marginal>) -> Option<Self> {
        (bidders.checked_mul(items)? == marginals.len() && !marginals.is_empty()).then_some(
            Independent {
                bidders,
                items,
                marginals,
            },
        )
    }

    /// Bidder `i`'s distribution of its value for item `j`.
    pub fn marginal(&self, i: usize, j: usize) -> &Marginal {
        &self.marginals[i * self.items + j]
    }
}

/// Every bidder's values uniform on the corner simplex `{v >= 0, sum_j v_j <= 1}` (for two
/// items the triangle `v1 + v2 <= 1` of the paper's `additive_1x2_uniform_triangle`),
/// independently across bidders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Triangle {
    bidders: usize,
    items: usize,
}

impl Triangle {
    /// The prior for `bidders` bidders with `items` items each.
    pub fn new(bidders: usize, items: usize) -> Self {
        Triangle { bidders, items }
    }
}

/// Euclidean projection onto `{x >= 0, sum x <= 1}`, exactly (KKT): `y = max(x - theta, 0)`
/// with `theta = 0` when the clipped point already satisfies the sum, otherwise the `theta > 0`
/// that makes `sum y = 1` (the sort-based simplex projection of Held, Wolfe and Crowder 1974).
fn project_corner_simplex(x: &mut [f32]) {
    // Points of the support (as `contains_bidder` judges them) stay put: idempotence in f32.
    if x.iter().all(|&r| r >= 0.0) && x.iter().sum::<f32>() <= 1.0 + 1e-6 {
        return;
    }
    let v: Vec<f64> = x
        .iter()
        .map(|&r| if r.is_nan() { 0.0 } else { r as f64 })
        .collect();
    let clipped_sum: f64 = v.iter().map(|r| r.max(0.0)).sum();
    let theta = if clipped_sum <= 1.0 {
        0.0
    } else {
        let mut u = v.clone();
        u.sort_by(|a, b| b.total_cmp(a));
        let (mut cum, mut theta) = (0.0, 0.0);
        for (j, &uj) in u.iter().enumerate() {
            cum += uj;
            let t = (cum - 1.0) / (j + 1) as f64;
            if uj - t > 0.0 {
                theta = t;
            }
        }
        theta
    };
    for (o, r) in x.iter_mut().zip(&v) {
        *o = (r - theta).max(0.0) as f32;
    }
    // f32 rounding can leave the sum a hair above 1: scale back onto the face.
    let sum: f32 = x.iter().sum();
    if sum > 1.0 {
        for o in x.iter_mut() {
            *o /= sum;
        }
    }
}

/// The distribution of valuation profiles.
#[derive(Debug, Clone, PartialEq)]
pub enum Prior {
    /// Independent uniform values per bidder and item.
    UniformBox(UniformBox),
    /// Each bidder uniform on the corner simplex `{v >= 0, sum_j v_j <= 1}`.
    Triangle(Triangle),
    /// Uniform item values plus a bundle complementarity the bidder cannot misreport
    /// ([`crate::combinatorial`]); a type row is `(v_1, ..., v_m, C)`.
    Combinatorial(Combinatorial),
    /// Independent values, each with its own [`Marginal`] (exponential, mixture, uniform).
    Independent(Independent),
}

impl Prior {
    /// Number of bidders the prior describes.
    pub fn bidders(&self) -> usize {
        match self {
            Prior::UniformBox(b) => b.bidders,
            Prior::Triangle(t) => t.bidders,
            Prior::Combinatorial(c) => c.items().bidders,
            Prior::Independent(p) => p.bidders,
        }
    }

    /// Number of items the prior describes: the coordinates of a type a bidder may misreport.
    pub fn items(&self) -> usize {
        match self {
            Prior::UniformBox(b) => b.items,
            Prior::Triangle(t) => t.items,
            Prior::Combinatorial(c) => c.items().items,
            Prior::Independent(p) => p.items,
        }
    }

    /// Values in one bidder's type: [`Prior::items`], plus one complementarity for a
    /// combinatorial bidder. Types are stored with this stride; the coordinates past
    /// [`Prior::items`] are never misreported.
    pub fn type_len(&self) -> usize {
        match self {
            Prior::Combinatorial(c) => c.items().items + 1,
            _ => self.items(),
        }
    }

    /// Draw bidder `bidder`'s type into `out` (length [`Prior::type_len`]).
    pub fn sample_bidder<R: Rng + ?Sized>(&self, bidder: usize, rng: &mut R, out: &mut [f32]) {
        match self {
            Prior::UniformBox(b) => {
                for (j, o) in out.iter_mut().enumerate() {
                    let (lo, hi) = (b.lo(bidder, j), b.hi(bidder, j));
                    let u: f64 = rng.random();
                    *o = (lo + (hi - lo) * u) as f32;
                }
            }
            Prior::Triangle(_) => {
                // Uniform on the corner simplex: the first m coordinates of a flat
                // Dirichlet(1, ..., 1) draw over m + 1 parts (normalised exponentials).
                let mut e: Vec<f64> = (0..=out.len())
                    .map(|_| -(1.0 - rng.random::<f64>()).ln())
                    .collect();
                let total: f64 = e.iter().sum();
                e.iter_mut().for_each(|x| *x /= total);
                for (o, x) in out.iter_mut().zip(&e) {
                    *o = *x as f32;
                }
            }
            Prior::Combinatorial(c) => c.sample_bidder(bidder, rng, out),
            Prior::Independent(p) => {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = p.marginal(bidder, j).sample(rng) as f32;
                }
            }
        }
    }

    /// Draw one whole profile into `out` (length `n * type_len`, row-major).
    pub fn sample_profile<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f32]) {
        let m = self.type_len();
        for (i, row) in out.chunks_exact_mut(m).enumerate() {
            self.sample_bidder(i, rng, row);
        }
    }

    /// Project bidder `bidder`'s report onto its support, in place (Euclidean projection; for
    /// a box this is clipping each coordinate). The report is the `m` item values, optionally
    /// followed by the type's fixed coordinates (a combinatorial bidder's `C`, clipped to its
    /// range); pinning those to the truth is [`crate::Setting::pin_fixed`]'s job.
    pub fn project_bidder(&self, bidder: usize, report: &mut [f32]) {
        match self {
            Prior::UniformBox(b) => {
                for (j, r) in report.iter_mut().enumerate() {
                    let (lo, hi) = (b.lo(bidder, j) as f32, b.hi(bidder, j) as f32);
                    *r = if r.is_nan() { lo } else { r.clamp(lo, hi) };
                }
            }
            Prior::Triangle(_) => project_corner_simplex(report),
            Prior::Combinatorial(c) => c.project_bidder(bidder, report),
            Prior::Independent(p) => {
                for (j, r) in report.iter_mut().enumerate() {
                    let (lo, hi) = p.marginal(bidder, j).report_range();
                    let (lo, hi) = (lo as f32, hi as f32);
                    *r = if r.is_nan() { lo } else { r.clamp(lo, hi) };
                }
            }
        }
    }

    /// The smallest box holding bidder `bidder`'s reports: per item `(lo, hi)` (the
    /// misreportable coordinates only). Audits lay their grids over this box and project every
    /// grid point onto the support.
    pub fn bounding_box(&self, bidder: usize) -> Vec<(f32, f32)> {
        match self {
            Prior::UniformBox(b) => (0..b.items)
                .map(|j| (b.lo(bidder, j) as f32, b.hi(bidder, j) as f32))
                .collect(),
            Prior::Triangle(t) => vec![(0.0, 1.0); t.items],
            Prior::Combinatorial(c) => Prior::UniformBox(c.items().clone()).bounding_box(bidder),
            Prior::Independent(p) => (0..p.items)
                .map(|j| {
                    let (lo, hi) = p.marginal(bidder, j).report_range();
                    (lo as f32, hi as f32)
                })
                .collect(),
        }
    }

    /// Whether bidder `bidder`'s report (as for [`Prior::project_bidder`]) lies in the support.
    pub fn contains_bidder(&self, bidder: usize, report: &[f32]) -> bool {
        match self {
            Prior::UniformBox(b) => report
                .iter()
                .enumerate()
                .all(|(j, &r)| (b.lo(bidder, j) as f32) <= r && r <= (b.hi(bidder, j) as f32)),
            // A relative 1e-6 of slack on the sum: f32 rounding of points on the long face.
            Prior::Triangle(_) => {
                report.iter().all(|&r| r >= 0.0) && report.iter().sum::<f32>() <= 1.0 + 1e-6
            }
            Prior::Combinatorial(c) => c.contains_bidder(bidder, report),
            Prior::Independent(p) => report.iter().enumerate().all(|(j, &r)| {
                let (lo, hi) = p.marginal(bidder, j).report_range();
                (lo as f32) <= r && r <= (hi as f32)
            }),
        }
    }

    /// Expected value of bidder `i` for item `j` under the prior.
    pub fn mean(&self, i: usize, j: usize) -> f64 {
        match self {
            Prior::UniformBox(b) => 0.5 * (b.lo(i, j) + b.hi(i, j)),
            Prior::Triangle(t) => 1.0 / (t.items + 1) as f64,
            Prior::Combinatorial(c) => 0.5 * (c.items().lo(i, j) + c.items().hi(i, j)),
            Prior::Independent(p) => p.marginal(i, j).mean(),
        }
    }

    /// Whether relabelling the bidders leaves the prior unchanged: every bidder's values have
    /// the same distribution, independently across bidders (independent values with the same
    /// marginals for every bidder, item by item; the triangle). The combinatorial prior is
    /// not judged (`false`): its symmetries also move the bundle's term.
    ///
    /// ```
    /// use regretnet_core::presets::preset;
    /// let sym = preset("additive_2x3_uniform").unwrap().setting.build().unwrap();
    /// assert!(sym.prior.symmetric_in_bidders() && sym.prior.symmetric_in_items());
    /// let asym = preset("additive_1x2_uniform_416_47").unwrap().setting.build().unwrap();
    /// assert!(!asym.prior.symmetric_in_items());
    /// ```
    pub fn symmetric_in_bidders(&self) -> bool {
        match self {
            Prior::Triangle(_) => true,
            Prior::Combinatorial(_) => false,
            Prior::UniformBox(_) | Prior::Independent(_) => (0..self.bidders())
                .all(|i| (0..self.items()).all(|j| self.marginal(i, j) == self.marginal(0, j))),
        }
    }

    /// Whether relabelling the items leaves the prior unchanged: each bidder's values are
    /// exchangeable across items (independent values with the same marginal for every item,
    /// bidder by bidder; the triangle, uniform on a simplex). The combinatorial prior: `false`
    /// ([`Prior::symmetric_in_bidders`]).
    pub fn symmetric_in_items(&self) -> bool {
        match self {
            Prior::Triangle(_) => true,
            Prior::Combinatorial(_) => false,
            Prior::UniformBox(_) | Prior::Independent(_) => (0..self.bidders())
                .all(|i| (0..self.items()).all(|j| self.marginal(i, j) == self.marginal(i, 0))),
        }
    }

    /// Bidder `i`'s distribution of its value for item `j`, where values are independent
    /// (uniform boxes and [`Independent`] priors); `None` for the triangle and the
    /// combinatorial prior.
    pub fn marginal(&self, i: usize, j: usize) -> Option<Marginal> {
        match self {
            Prior::UniformBox(b) => Some(Marginal::Uniform {
                lo: b.lo(i, j),
                hi: b.hi(i, j),
            }),
            Prior::Independent(p) => Some(p.marginal(i, j).clone()),
            Prior::Triangle(_) | Prior::Combinatorial(_) => None,
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
            let Prior::UniformBox(b) = &prior else {
                panic!("a box prior")
            };
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

    /// The variational inequality that characterises the Euclidean projection `p` of `x` onto
    /// a convex set: `(x - p) . (y - p) <= 0` for every `y` in the set. Checked on a dense grid of
    /// the triangle, plus the brute-force nearest grid point's distance.
    fn assert_is_projection(x: [f64; 2], p: [f32; 2]) {
        let (p0, p1) = (p[0] as f64, p[1] as f64);
        let d_p = ((x[0] - p0).powi(2) + (x[1] - p1).powi(2)).sqrt();
        let mut nearest = f64::INFINITY;
        let k = 200;
        for a in 0..=k {
            for b in 0..=(k - a) {
                let y = (a as f64 / k as f64, b as f64 / k as f64);
                let vi = (x[0] - p0) * (y.0 - p0) + (x[1] - p1) * (y.1 - p1);
                assert!(vi <= 1e-5, "x {x:?} p {p:?} y {y:?}: {vi}");
                nearest = nearest.min(((x[0] - y.0).powi(2) + (x[1] - y.1).powi(2)).sqrt());
            }
        }
        assert!(
            d_p <= nearest + 1e-6,
            "x {x:?}: projection at {d_p}, a grid point at {nearest}"
        );
    }

    #[test]
    fn triangle_projection_is_the_nearest_point() {
        let prior = Prior::Triangle(Triangle::new(1, 2));
        let mut rng = stream_rng(3, Stream::Test);
        let mut xs: Vec<[f64; 2]> = (0..40)
            .map(|_| {
                let mut u = || rand::Rng::random::<f64>(&mut rng) * 3.0 - 1.0;
                [u(), u()]
            })
            .collect();
        // Each region of the normal fan: interior, both legs, the long face, the three corners.
        xs.extend([
            [0.2, 0.3],
            [0.4, -0.7],
            [-0.5, 0.6],
            [0.9, 0.8],
            [-0.3, -0.2],
            [1.7, -0.1],
            [-0.4, 2.0],
        ]);
        for x in xs {
            let mut p = [x[0] as f32, x[1] as f32];
            prior.project_bidder(0, &mut p);
            assert!(prior.contains_bidder(0, &p), "{p:?}");
            assert_is_projection(x, p);
        }
    }

    #[test]
    fn triangle_samples_are_uniform() {
        // Uniform on {v >= 0, v1 + v2 <= 1}: each mean 1/3 (variance 1/18), and
        // P(v1 + v2 <= 1/2) = 1/4 (the area ratio).
        let prior = Prior::Triangle(Triangle::new(2, 2));
        let mut rng = stream_rng(4, Stream::Data);
        let draws = 100_000;
        let (mut sum, mut small) = ([0.0f64; 2], 0usize);
        let mut v = [0.0f32; 4];
        for _ in 0..draws {
            prior.sample_profile(&mut rng, &mut v);
            assert!(prior.contains_bidder(0, &v[..2]) && prior.contains_bidder(1, &v[2..]));
            sum[0] += v[0] as f64;
            sum[1] += v[3] as f64;
            small += usize::from(v[0] + v[1] <= 0.5);
        }
        let se = (1.0f64 / 18.0 / draws as f64).sqrt();
        for s in sum {
            assert!((s / draws as f64 - 1.0 / 3.0).abs() < 4.0 * se, "{s}");
        }
        let share = small as f64 / draws as f64;
        assert!(
            (share - 0.25).abs() < 4.0 * (0.25f64 * 0.75 / draws as f64).sqrt(),
            "{share}"
        );
        assert_eq!(prior.mean(0, 1), 1.0 / 3.0);
    }

    proptest! {
        #[test]
        fn corner_simplex_projection_is_exact_in_any_dimension(
            x in proptest::collection::vec(-2.0f64..2.0, 1..7)
        ) {
            // The KKT conditions of min |p - x|^2 s.t. p >= 0, sum p <= 1: p = max(x - t, 0)
            // for one t >= 0 that is 0 unless the sum is active.
            let prior = Prior::Triangle(Triangle::new(1, x.len()));
            let mut p: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            prior.project_bidder(0, &mut p);
            prop_assert!(prior.contains_bidder(0, &p));
            let sum: f64 = p.iter().map(|&v| v as f64).sum();
            let t = x.iter().zip(&p).filter(|(_, &q)| q > 0.0).map(|(xi, &q)| xi - q as f64).next();
            if let Some(t) = t {
                prop_assert!(t >= -1e-6);
                for (xi, &q) in x.iter().zip(&p) {
                    prop_assert!(((xi - t).max(0.0) - q as f64).abs() < 1e-5, "x {:?} p {:?}", x, p);
                }
                if t > 1e-6 {
                    prop_assert!((sum - 1.0).abs() < 1e-5);
                }
            } else {
                prop_assert!(x.iter().all(|&v| v <= 1e-6 || x.iter().map(|v| v.max(0.0)).sum::<f64>() > 1.0));
            }
            let mut again = p.clone();
            prior.project_bidder(0, &mut again);
            prop_assert_eq!(&again, &p);
        }

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

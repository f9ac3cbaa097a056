//! The coordinate audit: coordinate grid ascent over each bidder's report, refined by projected
//! gradient ascent, plus pairwise 2-D grids on a subsample. The audit for bidders who report
//! more than two values, where a full grid over the support is out of reach.
//!
//! For every profile and bidder it starts from several reports: the truthful one, the best
//! misreport another estimate found (the gradient search's, when given), the all-low and
//! all-high corners of the support and a few prior draws. From each start it sweeps the items in
//! turn: item `j` takes the best of `G` evenly spaced values over its range (ends included)
//! while the other items stay at their current best, and a value replaces the current one only
//! when it raises the bidder's utility. A start stops when a whole sweep gains nothing, or after
//! `max_sweeps` sweeps. The best point of every start is then refined by projected Adam at half
//! the grid spacing. On the first `pair_samples` profiles, every pair of items is finally laid
//! on a coarse `P x P` grid with the other items at the best point found so far, and the best
//! point is refined again.
//!
//! What it catches that a 1-D grid per item (the item-wise audit, [`crate::itemwise`]) misses: a
//! gain that needs several items moved, one after another (each sweep moves one item, starting
//! from where the last left off), or two at once (the pairwise grids); and it starts from where
//! the search ended, so it never reports less than the search's best misreport is worth. What it
//! cannot catch: a gain that needs three or more items moved at once, away from every start,
//! or a region narrower than the grid spacing along an item that no start or refinement
//! reaches. Every report it scores is projected onto the support, so every number it reports is
//! a lower bound on the true regret, like every other estimate.
//!
//! Cost per profile, in network rows: `n S (1 + m G w)` for the sweeps (`S` starts, `w` sweeps
//! run, usually 2 to 3; a start that stops early costs nothing more), `n S k` forward and
//! backward for the refinement of `k` steps, and `n m (m - 1) / 2 P^2` for the pairwise grids on
//! the subsample. Deterministic for a given `rng`; the result does not depend on `work`.

use candle_core::{Device, Tensor};
use rand::Rng;
use regretnet_core::Setting;
use regretnet_nets::WeightGrad;

use crate::error::{RegretError, Result};
use crate::mechanism::Mechanism;
use crate::search::ascend_tracking_best;
use crate::utility::{truthful_utilities, utilities_at_reports};
use crate::work::{for_each_chunk, Work};

/// How hard the coordinate audit looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoordinateConfig {
    /// Grid values per item in a sweep (`G`, ends included).
    pub resolution: usize,
    /// Most sweeps over the items per start.
    pub max_sweeps: usize,
    /// Prior draws per profile and bidder used as starts (besides the truthful report, the
    /// given seeds and the corners).
    pub prior_starts: usize,
    /// Whether the all-low and all-high corners of the support are starts.
    pub corners: bool,
    /// Projected-Adam steps refining each start's best point (0: none).
    pub refine_steps: usize,
    /// The first this many profiles also get the pairwise 2-D grids (0: none).
    pub pair_samples: usize,
    /// Grid values per item of a pairwise grid (`P`).
    pub pair_resolution: usize,
}

impl Default for CoordinateConfig {
    /// 41 values per item (a step of 2.5% of the range), at most 4 sweeps, 2 prior starts
    /// and both corners, 50 refinement steps; pairwise 11 x 11 grids on 200 profiles.
    fn default() -> Self {
        CoordinateConfig {
            resolution: 41,
            max_sweeps: 4,
            prior_starts: 2,
            corners: true,
            refine_steps: 50,
            pair_samples: 200,
            pair_resolution: 11,
        }
    }
}

/// Per-profile results of a coordinate audit.
#[derive(Debug, Clone)]
pub struct CoordinateAudit {
    /// Number of profiles.
    pub samples: usize,
    /// Number of bidders.
    pub bidders: usize,
    /// Regret found by the sweeps alone (grid values only), flat `[samples, n]`.
    pub sweep_regret: Vec<f32>,
    /// Regret after refinement, and on the first `pair_samples` profiles after the pairwise
    /// grids too (never below `sweep_regret`), flat `[samples, n]`.
    pub regret: Vec<f32>,
    /// Profiles (the first ones) that got the pairwise grids.
    pub pair_samples: usize,
    /// On those profiles, the regret before the pairwise grids, flat `[pair_samples, n]`: with
    /// `regret` it says what the pairwise grids added.
    pub before_pairs: Vec<f32>,
    /// The best misreport found, flat `[samples, n, d]`.
    pub best_misreport: Vec<f32>,
    /// Sweeps run, summed over every start of every profile and bidder.
    pub sweeps: u64,
    /// Starts per profile and bidder.
    pub starts: usize,
}

/// Starts per profile and bidder under `config`, with or without seeds.
pub fn coordinate_starts(config: &CoordinateConfig, seeded: bool) -> usize {
    1 + usize::from(seeded) + if config.corners { 2 } else { 0 } + config.prior_starts
}

/// Every start of every profile, flat `[samples, S, n, d]`: the truthful profile, the seed (a
/// profile of misreports, one per bidder), the all-low and all-high corners, then prior draws
/// taken from `rng` profile by profile. Fixed coordinates (a combinatorial bidder's
/// complementarity) are the truth's.
fn draw_starts<R: Rng + ?Sized>(
    setting: &Setting,
    profiles: &[f32],
    seeds: Option<&[f32]>,
    config: &CoordinateConfig,
    rng: &mut R,
) -> Vec<f32> {
    let (n, d) = (setting.bidders, setting.type_len());
    let len = n * d;
    let corner = |i: usize, high: bool| -> Vec<f32> {
        let mut c: Vec<f32> = setting
            .prior
            .bounding_box(i)
            .iter()
            .map(|&(lo, hi)| if high { hi } else { lo })
            .collect();
        c.resize(d, 0.0);
        setting.prior.project_bidder(i, &mut c);
        c
    };
    let corners: Vec<[Vec<f32>; 2]> = (0..n)
        .map(|i| [corner(i, false), corner(i, true)])
        .collect();
    let per = coordinate_starts(config, seeds.is_some());
    let mut starts = Vec::with_capacity(profiles.len() * per);
    for (b, profile) in profiles.chunks_exact(len).enumerate() {
        let first = starts.len();
        starts.extend_from_slice(profile);
        if let Some(s) = seeds {
            starts.extend_from_slice(&s[b * len..(b + 1) * len]);
        }
        if config.corners {
            for k in 0..2 {
                for c in &corners {
                    starts.extend_from_slice(&c[k]);
                }
            }
        }
        for _ in 0..config.prior_starts {
            let at = starts.len();
            starts.resize(at + len, 0.0);
            for (i, row) in starts[at..].chunks_exact_mut(d).enumerate() {
                setting.prior.sample_bidder(i, rng, row);
            }
        }
        for start in starts[first..].chunks_exact_mut(len) {
            setting.project_profiles(start);
            setting.pin_fixed(profile, start);
        }
    }
    starts
}

/// `G` evenly spaced values over `(lo, hi)`, ends exact.
fn axis(lo: f32, hi: f32, g: usize) -> Vec<f32> {
    (0..g)
        .map(|k| {
            let t = k as f64 / (g - 1) as f64;
            (lo as f64 + t * (hi as f64 - lo as f64)) as f32
        })
        .collect()
}

/// Audit every profile by coordinate grid ascent from the starts described in the module doc,
/// `seeds` (flat `[samples, n, d]`, such as the gradient search's best misreports) among them.
pub fn coordinate_audit<M: Mechanism, R: Rng + ?Sized>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    seeds: Option<&[f32]>,
    config: &CoordinateConfig,
    rng: &mut R,
    work: Work<'_>,
) -> Result<CoordinateAudit> {
    let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
    let len = n * d;
    if config.resolution < 2 || (config.pair_samples > 0 && config.pair_resolution < 2) {
        return Err(RegretError::Unsupported(format!(
            "a coordinate audit needs at least 2 grid values per item, not {} (pairwise {})",
            config.resolution, config.pair_resolution
        )));
    }
    if !profiles.len().is_multiple_of(len) {
        return Err(RegretError::Shape(format!(
            "{} values do not make whole {n} x {d} profiles",
            profiles.len()
        )));
    }
    let samples = profiles.len() / len;
    if seeds.is_some_and(|s| s.len() != profiles.len()) {
        return Err(RegretError::Shape(format!(
            "{} seed values for {} profile values",
            seeds.map_or(0, <[f32]>::len),
            profiles.len()
        )));
    }
    let per = coordinate_starts(config, seeds.is_some());
    let starts = draw_starts(setting, profiles, seeds, config, rng);
    let axes: Vec<Vec<Vec<f32>>> = (0..n)
        .map(|i| {
            setting
                .prior
                .bounding_box(i)
                .iter()
                .map(|&(lo, hi)| axis(lo, hi, config.resolution))
                .collect()
        })
        .collect();
    let spacing = (0..n)
        .flat_map(|i| setting.prior.bounding_box(i))
        .map(|(lo, hi)| (hi - lo) as f64 / (config.resolution - 1) as f64)
        .fold(f64::INFINITY, f64::min);
    let ctx = Ctx {
        mech,
        setting,
        config,
        axes: &axes,
        lr: 0.5 * spacing,
        n,
        m,
        d,
    };
    let parts = for_each_chunk(samples, work, |lo, hi| {
        ctx.chunk(
            lo,
            &profiles[lo * len..hi * len],
            &starts[lo * per * len..hi * per * len],
            per,
        )
    })?;
    let mut audit = CoordinateAudit {
        samples,
        bidders: n,
        sweep_regret: Vec::with_capacity(samples * n),
        regret: Vec::with_capacity(samples * n),
        pair_samples: config.pair_samples.min(samples),
        before_pairs: Vec::new(),
        best_misreport: Vec::with_capacity(samples * len),
        sweeps: 0,
        starts: per,
    };
    for p in parts {
        audit.sweep_regret.extend_from_slice(&p.sweep_regret);
        audit.regret.extend_from_slice(&p.regret);
        audit.before_pairs.extend_from_slice(&p.before_pairs);
        audit.best_misreport.extend_from_slice(&p.best_misreport);
        audit.sweeps += p.sweeps;
    }
    Ok(audit)
}

/// What every chunk shares.
struct Ctx<'a, M> {
    mech: &'a M,
    setting: &'a Setting,
    config: &'a CoordinateConfig,
    /// Per bidder, per item, the grid values.
    axes: &'a [Vec<Vec<f32>>],
    lr: f64,
    n: usize,
    m: usize,
    d: usize,
}

struct Part {
    sweep_regret: Vec<f32>,
    regret: Vec<f32>,
    before_pairs: Vec<f32>,
    best_misreport: Vec<f32>,
    sweeps: u64,
}

impl<M: Mechanism> Ctx<'_, M> {
    /// Utilities of bidder `who[r]` (true values `truth` of its profile) when it alone reports
    /// `reports[r]` (a type of length `d`) in profile `profile_of[r]` of `truth`.
    fn score(
        &self,
        truth: &[f32],
        profile_of: &[usize],
        who: &[usize],
        reports: &[f32],
    ) -> Result<Vec<f32>> {
        let (n, d) = (self.n, self.d);
        let len = n * d;
        let mut rows = Vec::with_capacity(who.len() * len);
        let mut values = Vec::with_capacity(who.len() * d);
        for (r, (&b, &i)) in profile_of.iter().zip(who).enumerate() {
            let at = rows.len();
            rows.extend_from_slice(&truth[b * len..(b + 1) * len]);
            rows[at + i * d..at + (i + 1) * d].copy_from_slice(&reports[r * d..(r + 1) * d]);
            values.extend_from_slice(&truth[b * len + i * d..b * len + (i + 1) * d]);
        }
        let u = utilities_at_reports(self.mech, &rows, who, &values)?;
        if u.iter().any(|x| !x.is_finite()) {
            return Err(RegretError::NonFinite {
                what: "coordinate-audit utility",
            });
        }
        Ok(u)
    }

    /// `report` with each `(item, value)` of `moves` set, projected onto bidder `i`'s support,
    /// its fixed coordinates kept.
    fn moved(&self, i: usize, report: &[f32], moves: &[(usize, f32)]) -> Vec<f32> {
        let mut r = report.to_vec();
        for &(j, x) in moves {
            r[j] = x;
        }
        self.setting.prior.project_bidder(i, &mut r);
        r[self.m..].copy_from_slice(&report[self.m..]);
        r
    }

    fn chunk(&self, first: usize, truth: &[f32], starts: &[f32], per: usize) -> Result<Part> {
        let (n, m, d) = (self.n, self.m, self.d);
        let len = n * d;
        let samples = truth.len() / len;
        let truth_t = Tensor::from_slice(truth, (samples, n, d), &Device::Cpu)?;
        let u_truth = truthful_utilities(self.mech, &truth_t, WeightGrad::Frozen)?
            .0
            .flatten_all()?
            .to_vec1::<f32>()?;
        // Row r = (b, s, i): the current report x[r] (a type) and its utility cur[r].
        let rows = samples * per * n;
        let mut x = starts.to_vec();
        let profile_of: Vec<usize> = (0..rows).map(|r| r / (per * n)).collect();
        let who: Vec<usize> = (0..rows).map(|r| r % n).collect();
        let mut cur = self.score(truth, &profile_of, &who, &x)?;
        let mut active: Vec<usize> = (0..rows).collect();
        let mut sweeps = 0u64;
        for _ in 0..self.config.max_sweeps {
            if active.is_empty() {
                break;
            }
            sweeps += active.len() as u64;
            let mut gained = vec![false; rows];
            for j in 0..m {
                let g = self.axes[0][j].len();
                let mut reports = Vec::with_capacity(active.len() * g * d);
                let mut cand_profile = Vec::with_capacity(active.len() * g);
                let mut cand_who = Vec::with_capacity(active.len() * g);
                for &r in &active {
                    let i = who[r];
                    let report = &x[r * d..(r + 1) * d];
                    for &v in &self.axes[i][j] {
                        reports.extend(self.moved(i, report, &[(j, v)]));
                        cand_profile.push(profile_of[r]);
                        cand_who.push(i);
                    }
                }
                let u = self.score(truth, &cand_profile, &cand_who, &reports)?;
                for (k, &r) in active.iter().enumerate() {
                    let (best, arg) = u[k * g..(k + 1) * g].iter().enumerate().fold(
                        (f32::NEG_INFINITY, 0),
                        |(bu, ba), (a, &v)| if v > bu { (v, a) } else { (bu, ba) },
                    );
                    if best > cur[r] {
                        cur[r] = best;
                        let src = (k * g + arg) * d;
                        x[r * d..(r + 1) * d].copy_from_slice(&reports[src..src + d]);
                        gained[r] = true;
                    }
                }
            }
            active.retain(|&r| gained[r]);
        }
        // Best over starts after the sweeps.
        let mut best_u = vec![f32::NEG_INFINITY; samples * n];
        let mut best_misreport = truth.to_vec();
        let offer =
            |best_u: &mut [f32], best_mis: &mut [f32], b: usize, i: usize, u: f32, rep: &[f32]| {
                if u > best_u[b * n + i] {
                    best_u[b * n + i] = u;
                    best_mis[(b * n + i) * d..(b * n + i + 1) * d].copy_from_slice(rep);
                }
            };
        for r in 0..rows {
            offer(
                &mut best_u,
                &mut best_misreport,
                profile_of[r],
                who[r],
                cur[r],
                &x[r * d..(r + 1) * d],
            );
        }
        let sweep_regret: Vec<f32> = best_u
            .iter()
            .zip(&u_truth)
            .map(|(u, t)| (u - t).max(0.0))
            .collect();
        // Refinement: every start's point, arranged [samples * per, n, d] (row (b, s) gives
        // every bidder its point of start s), each paired with its true profile.
        if self.config.refine_steps > 0 {
            let mut replicated = Vec::with_capacity(samples * per * len);
            for b in 0..samples {
                for _ in 0..per {
                    replicated.extend_from_slice(&truth[b * len..(b + 1) * len]);
                }
            }
            let ascent = self.refine(replicated, &mut x, samples * per)?;
            for (q, (&u, rep)) in ascent
                .best_utility
                .iter()
                .zip(ascent.best_misreport.chunks_exact(d))
                .enumerate()
            {
                offer(
                    &mut best_u,
                    &mut best_misreport,
                    q / (per * n),
                    q % n,
                    u,
                    rep,
                );
            }
        }
        // Pairwise grids on the first profiles of the sample.
        let pair_rows = self.config.pair_samples.saturating_sub(first).min(samples);
        let mut before_pairs = Vec::new();
        if pair_rows > 0 && m >= 2 {
            before_pairs = (0..pair_rows * n)
                .map(|k| (best_u[k] - u_truth[k]).max(0.0))
                .collect();
            let p = self.config.pair_resolution;
            // One profile at a time: n m (m - 1) / 2 P^2 rows (27,225 at 5 x 10 with P = 11).
            for b in 0..pair_rows {
                let mut reports = Vec::new();
                let mut cand_who = Vec::new();
                for i in 0..n {
                    let base = best_misreport[(b * n + i) * d..(b * n + i + 1) * d].to_vec();
                    let axes: Vec<Vec<f32>> = self
                        .setting
                        .prior
                        .bounding_box(i)
                        .iter()
                        .map(|&(lo, hi)| axis(lo, hi, p))
                        .collect();
                    for (j, aj) in axes.iter().enumerate() {
                        for (k, ak) in axes.iter().enumerate().skip(j + 1) {
                            for &vj in aj {
                                for &vk in ak {
                                    reports.extend(self.moved(i, &base, &[(j, vj), (k, vk)]));
                                    cand_who.push(i);
                                }
                            }
                        }
                    }
                }
                let cand_profile = vec![b; cand_who.len()];
                let u = self.score(truth, &cand_profile, &cand_who, &reports)?;
                for (r, &ur) in u.iter().enumerate() {
                    offer(
                        &mut best_u,
                        &mut best_misreport,
                        b,
                        cand_who[r],
                        ur,
                        &reports[r * d..(r + 1) * d],
                    );
                }
            }
            if self.config.refine_steps > 0 {
                let mut start = best_misreport[..pair_rows * len].to_vec();
                let ascent =
                    self.refine(truth[..pair_rows * len].to_vec(), &mut start, pair_rows)?;
                for (q, (&u, rep)) in ascent
                    .best_utility
                    .iter()
                    .zip(ascent.best_misreport.chunks_exact(d))
                    .enumerate()
                {
                    offer(&mut best_u, &mut best_misreport, q / n, q % n, u, rep);
                }
            }
        }
        let regret: Vec<f32> = best_u
            .iter()
            .zip(&u_truth)
            .zip(&sweep_regret)
            .map(|((u, t), s)| (u - t).max(*s))
            .collect();
        Ok(Part {
            sweep_regret,
            regret,
            before_pairs,
            best_misreport,
            sweeps,
        })
    }

    /// Projected Adam from `mis` (flat `[rows, n, d]`, every bidder its own report), each row
    /// against its true profile in `truth` (flat `[rows, n, d]`).
    fn refine(
        &self,
        truth: Vec<f32>,
        mis: &mut [f32],
        rows: usize,
    ) -> Result<crate::search::Ascent> {
        let truth = Tensor::from_vec(truth, (rows, self.n, self.d), &Device::Cpu)?;
        let grad = self.mech.utility_gradient()?;
        ascend_tracking_best(
            &*grad,
            self.setting,
            &truth,
            mis,
            self.config.refine_steps,
            self.lr,
        )
    }
}

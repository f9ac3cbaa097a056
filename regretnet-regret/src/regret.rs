//! Regret estimates: the search with restarts over a sample of profiles.

use candle_core::{Device, Tensor};
use rand::Rng;
use regretnet_core::Setting;
use regretnet_nets::WeightGrad;

use crate::error::Result;
use crate::mechanism::Mechanism;
use crate::search::{ascend_tracking_best, SearchConfig};
use crate::starts::{draw_starts, starts_per_profile};
use crate::utility::truthful_utilities;
use crate::work::{for_each_chunk, Work};

/// Per-profile results of a regret search.
#[derive(Debug, Clone)]
pub struct RegretEstimate {
    /// Number of profiles.
    pub samples: usize,
    /// Number of bidders.
    pub bidders: usize,
    /// `max(0, best misreport utility - truthful utility)`, flat `[samples, n]`.
    pub regret: Vec<f32>,
    /// Truthful utility, flat `[samples, n]` (negative values are IR violations).
    pub truthful_utility: Vec<f32>,
    /// Revenue (sum of payments) at the truthful profile, `[samples]`.
    pub revenue: Vec<f32>,
    /// The best misreport found, flat `[samples, n, m]`.
    pub best_misreport: Vec<f32>,
}

impl RegretEstimate {
    /// Mean regret of each bidder over the profiles (f64 sums).
    pub fn mean_per_bidder(&self) -> Vec<f64> {
        (0..self.bidders)
            .map(|i| {
                self.regret
                    .iter()
                    .skip(i)
                    .step_by(self.bidders)
                    .map(|&r| r as f64)
                    .sum::<f64>()
                    / self.samples as f64
            })
            .collect()
    }
}

/// Chunks per worker thread in one window of drawn starts ([`start_window`]).
pub const START_WINDOW_CHUNKS: usize = 2;

/// Profiles whose search starts [`estimate_regret_with`] holds at once: [`START_WINDOW_CHUNKS`]
/// chunks of `chunk` profiles per thread.
///
/// ```
/// assert_eq!(regretnet_regret::regret::start_window(50, 2), 200);
/// ```
pub fn start_window(chunk: usize, threads: usize) -> usize {
    chunk.max(1) * threads.max(1) * START_WINDOW_CHUNKS
}

/// Estimate every profile's regret with the mechanism's utility gradient; see
/// [`estimate_regret_with`].
pub fn estimate_regret<M: Mechanism, R: Rng + ?Sized>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    search: &SearchConfig,
    rng: &mut R,
    threads: usize,
) -> Result<RegretEstimate> {
    estimate_regret_with(
        mech,
        setting,
        profiles,
        search,
        rng,
        Work::new(256, threads),
    )
}

/// Estimate every profile's regret: for each profile and bidder, one projected Adam ascent
/// from every start of [`draw_starts`] (the truthful report, the support's corners when
/// `search.corners`, and `search.restarts` prior draws taken from `rng` in a fixed order),
/// keeping the best iterate of all. Deterministic for a given `rng` whatever `work` says; one
/// chunk holds `work.chunk * S * n` misreported profiles, `S` starts per profile, and the
/// starts are drawn [`start_window`] profiles at a time (in the same order from the same
/// stream), so memory is bounded whatever the sample size.
pub fn estimate_regret_with<M: Mechanism, R: Rng + ?Sized>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    search: &SearchConfig,
    rng: &mut R,
    work: Work<'_>,
) -> Result<RegretEstimate> {
    let (n, m) = (setting.bidders, setting.type_len());
    let len = n * m;
    if !profiles.len().is_multiple_of(len) {
        return Err(crate::RegretError::Shape(format!(
            "{} values do not make whole {n} x {m} profiles",
            profiles.len()
        )));
    }
    let samples = profiles.len() / len;
    let per = starts_per_profile(setting, search);
    let mut est = RegretEstimate {
        samples,
        bidders: n,
        regret: Vec::with_capacity(samples * n),
        truthful_utility: Vec::with_capacity(samples * n),
        revenue: Vec::with_capacity(samples),
        best_misreport: Vec::with_capacity(samples * len),
    };
    // The starts are drawn window by window, each from where the previous window left the
    // stream: the same starts, profile by profile, as drawing them all up front, and the same
    // chunks (a window is whole chunks), so the same numbers; memory holds one window's.
    let chunk = work.chunk.max(1);
    let window = start_window(chunk, work.threads);
    for wlo in (0..samples).step_by(window) {
        let whi = (wlo + window).min(samples);
        let starts = draw_starts(setting, &profiles[wlo * len..whi * len], search, rng);
        let offset = |done: usize| {
            if let Some(p) = work.progress {
                p(wlo + done)
            }
        };
        let part_work = Work {
            chunk,
            threads: work.threads,
            progress: Some(&offset),
        };
        let parts = for_each_chunk(whi - wlo, part_work, |lo, hi| {
            estimate_chunk(
                mech,
                setting,
                &profiles[(wlo + lo) * len..(wlo + hi) * len],
                &starts[lo * per * len..hi * per * len],
                search,
            )
        })?;
        for part in parts {
            est.regret.extend_from_slice(&part.regret);
            est.truthful_utility
                .extend_from_slice(&part.truthful_utility);
            est.revenue.extend_from_slice(&part.revenue);
            est.best_misreport.extend_from_slice(&part.best_misreport);
        }
    }
    Ok(est)
}

struct ChunkResult {
    regret: Vec<f32>,
    truthful_utility: Vec<f32>,
    revenue: Vec<f32>,
    best_misreport: Vec<f32>,
}

fn estimate_chunk<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    starts: &[f32],
    search: &SearchConfig,
) -> Result<ChunkResult> {
    let (n, m) = (setting.bidders, setting.type_len());
    let len = n * m;
    let samples = profiles.len() / len;
    let restarts = starts.len() / profiles.len();
    let truth = Tensor::from_slice(profiles, (samples, n, m), &Device::Cpu)?;
    let (u_truth, revenue) = truthful_utilities(mech, &truth, WeightGrad::Frozen)?;
    let u_truth = u_truth.flatten_all()?.to_vec1::<f32>()?;
    // Every start is paired with its own copy of the true profile.
    let mut replicated = Vec::with_capacity(starts.len());
    for profile in profiles.chunks_exact(len) {
        for _ in 0..restarts {
            replicated.extend_from_slice(profile);
        }
    }
    let truth_rep = Tensor::from_vec(replicated, (samples * restarts, n, m), &Device::Cpu)?;
    let mut mis = starts.to_vec();
    let grad = mech.utility_gradient()?;
    let ascent = ascend_tracking_best(
        &*grad,
        setting,
        &truth_rep,
        &mut mis,
        search.steps,
        search.lr,
    )?;
    let mut regret = vec![0.0f32; samples * n];
    let mut best_misreport = vec![0.0f32; samples * len];
    for b in 0..samples {
        for i in 0..n {
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0;
            for r in 0..restarts {
                let u = ascent.best_utility[(b * restarts + r) * n + i];
                if u > best {
                    best = u;
                    arg = r;
                }
            }
            regret[b * n + i] = (best - u_truth[b * n + i]).max(0.0);
            let src = ((b * restarts + arg) * n + i) * m;
            best_misreport[(b * n + i) * m..(b * n + i + 1) * m]
                .copy_from_slice(&ascent.best_misreport[src..src + m]);
        }
    }
    Ok(ChunkResult {
        regret,
        truthful_utility: u_truth,
        revenue: revenue.to_vec1::<f32>()?,
        best_misreport,
    })
}

/// `f` on every chunk of whole profiles of `profiles` (flat `[samples, n, type_len]`) as a
/// `[chunk, n, type_len]` tensor, chunked and threaded as `work` says; the results in order.
fn map_profile_chunks<T: Send>(
    setting: &Setting,
    profiles: &[f32],
    work: Work<'_>,
    f: impl Fn(&Tensor) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let (n, d) = (setting.bidders, setting.type_len());
    let len = n * d;
    if !profiles.len().is_multiple_of(len) {
        return Err(crate::RegretError::Shape(format!(
            "{} values do not make whole {n} x {d} profiles",
            profiles.len()
        )));
    }
    for_each_chunk(profiles.len() / len, work, |lo, hi| {
        f(&Tensor::from_slice(
            &profiles[lo * len..hi * len],
            (hi - lo, n, d),
            &Device::Cpu,
        )?)
    })
}

/// Revenue (flat `[samples]`) and every bidder's truthful utility (flat `[samples, n]`) on
/// `profiles`, forward passes only, chunked as `work` says: what an evaluation needs on the
/// profiles it does not search.
pub fn truthful_outcomes<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    work: Work<'_>,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let parts = map_profile_chunks(setting, profiles, work, |t| {
        let (u, revenue) = truthful_utilities(mech, t, WeightGrad::Frozen)?;
        Ok((
            revenue.to_vec1::<f32>()?,
            u.flatten_all()?.to_vec1::<f32>()?,
        ))
    })?;
    let (mut revenue, mut utility) = (Vec::new(), Vec::new());
    for (r, u) in parts {
        revenue.extend(r);
        utility.extend(u);
    }
    Ok((revenue, utility))
}

/// The mechanism's allocation at truthful reports (flat `[samples, n, m]`) on `profiles`,
/// forward passes only, chunked as `work` says: what the distance to a known optimal
/// allocation needs (`regretnet_core::recovery`).
pub fn truthful_allocations<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    work: Work<'_>,
) -> Result<Vec<f32>> {
    let parts = map_profile_chunks(setting, profiles, work, |t| {
        Ok(mech
            .outcome(t, WeightGrad::Frozen)?
            .alloc
            .flatten_all()?
            .to_vec1::<f32>()?)
    })?;
    Ok(parts.into_iter().flatten().collect())
}

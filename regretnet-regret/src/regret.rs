//! Regret estimates: the search with restarts over a sample of profiles.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use candle_core::{Device, Tensor};
use rand::Rng;
use regretnet_core::Setting;
use regretnet_nets::WeightGrad;

use crate::error::Result;
use crate::mechanism::Mechanism;
use crate::search::{ascend_tracking_best, Autograd, SearchConfig};
use crate::utility::truthful_utilities;

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

/// How to spread the work: profiles per chunk, worker threads, and a progress callback that
/// receives the number of profiles finished so far.
#[derive(Clone, Copy)]
pub struct Work<'a> {
    /// Profiles per chunk (bounds memory: a chunk holds `chunk * restarts * n` profiles).
    pub chunk: usize,
    /// Worker threads (each runs whole chunks; results do not depend on the count).
    pub threads: usize,
    /// Called after each chunk with the number of profiles done.
    pub progress: Option<&'a (dyn Fn(usize) + Sync)>,
}

impl std::fmt::Debug for Work<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("chunk", &self.chunk)
            .field("threads", &self.threads)
            .finish()
    }
}

/// Estimate every profile's regret with [`Autograd`] gradients; see [`estimate_regret_with`].
pub fn estimate_regret<M: Mechanism, R: Rng + ?Sized>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    search: &SearchConfig,
    rng: &mut R,
    threads: usize,
) -> Result<RegretEstimate> {
    let work = Work {
        chunk: 256,
        threads,
        progress: None,
    };
    estimate_regret_with(mech, setting, profiles, search, rng, work)
}

/// Estimate every profile's regret: for each profile and bidder, `search.restarts` projected
/// Adam ascents (the first from the truthful report, the others from prior draws taken from
/// `rng` in a fixed order), keeping the best iterate of all. Deterministic for a given `rng`
/// whatever `work` says.
pub fn estimate_regret_with<M: Mechanism, R: Rng + ?Sized>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    search: &SearchConfig,
    rng: &mut R,
    work: Work<'_>,
) -> Result<RegretEstimate> {
    let (n, m) = (setting.bidders, setting.items);
    let len = n * m;
    let samples = profiles.len() / len;
    let restarts = search.restarts.max(1);
    // Starts, drawn up front so that the result does not depend on chunking or threads:
    // starts[(b * restarts + r) * len ..] is restart r of profile b.
    let mut starts = vec![0.0f32; samples * restarts * len];
    for (b, profile) in profiles.chunks_exact(len).enumerate() {
        for r in 0..restarts {
            let dst = &mut starts[(b * restarts + r) * len..(b * restarts + r + 1) * len];
            if r == 0 {
                dst.copy_from_slice(profile);
            } else {
                for (i, row) in dst.chunks_exact_mut(m).enumerate() {
                    setting.prior.sample_bidder(i, rng, row);
                }
            }
        }
    }
    let mut est = RegretEstimate {
        samples,
        bidders: n,
        regret: vec![0.0; samples * n],
        truthful_utility: vec![0.0; samples * n],
        revenue: vec![0.0; samples],
        best_misreport: vec![0.0; samples * len],
    };
    let chunk = work.chunk.max(1);
    let chunks = samples.div_ceil(chunk);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(chunks));
    let worker = || -> Result<()> {
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= chunks {
                return Ok(());
            }
            let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(samples));
            let part = estimate_chunk(
                mech,
                setting,
                &profiles[lo * len..hi * len],
                &starts[lo * restarts * len..hi * restarts * len],
                search,
            )?;
            results.lock().expect("no worker panics").push((lo, part));
            let total = done.fetch_add(hi - lo, Ordering::Relaxed) + (hi - lo);
            if let Some(p) = work.progress {
                p(total);
            }
        }
    };
    let threads = work.threads.clamp(1, chunks.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(worker)).collect();
        let mut first = worker();
        for h in handles {
            let r = h.join().expect("regret worker panicked");
            if first.is_ok() {
                first = r;
            }
        }
        first
    })?;
    for (lo, part) in results.into_inner().expect("no worker panics") {
        let rows = part.revenue.len();
        est.regret[lo * n..(lo + rows) * n].copy_from_slice(&part.regret);
        est.truthful_utility[lo * n..(lo + rows) * n].copy_from_slice(&part.truthful_utility);
        est.revenue[lo..lo + rows].copy_from_slice(&part.revenue);
        est.best_misreport[lo * len..(lo + rows) * len].copy_from_slice(&part.best_misreport);
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
    let (n, m) = (setting.bidders, setting.items);
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
    let ascent = ascend_tracking_best(
        &Autograd(mech),
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

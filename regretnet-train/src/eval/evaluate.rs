//! Test-time evaluation: revenue, regret by gradient search and by audit, and IR violation on
//! a fixed test sample, with the protocol that produced them recorded beside every number.
//!
//! The gradient search ([`regretnet_regret::estimate_regret_with`]) is the paper's estimate.
//! The audit checks it: a dense grid over each bidder's support refined by gradient ascent
//! where a bidder reports at most two values ([`regretnet_regret::grid_audit`]); otherwise an
//! item-wise 1-D grid ([`regretnet_regret::itemwise_audit`]) and coordinate grid ascent from
//! the search's best misreports and other starts, with pairwise 2-D grids on the first
//! `pair_samples` profiles ([`regretnet_regret::coordinate_audit`]). On request a
//! paper-strength reference search runs on the first `reference_samples` profiles. Every
//! estimate is a lower bound on the true regret, so the report's headline, the *audited*
//! regret, takes per profile and bidder the largest of them, and each estimate's ratio to the
//! search on the same profiles says how much the search missed.

use std::time::Instant;

use crate::error::Result;
use crate::eval::protocol::Protocol;
use crate::eval::report::{Audit, Certified, Estimate, EvalReport, ReferenceCheck, Timings};
use regretnet_core::baselines::{optimum_revenues, paired_with};
use regretnet_core::recovery::{optimum_allocations, AllocationDistance};
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{ConfigError, Setting};
use regretnet_regret::certify::{certify_mechanism, CertifyConfig};
use regretnet_regret::regret::start_window;
use regretnet_regret::starts::starts_per_profile;
use regretnet_regret::stats::{elementwise_max, mean_se};
use regretnet_regret::{
    coordinate_audit, estimate_regret_with, grid_audit, itemwise_audit, truthful_allocations,
    truthful_outcomes, GridConfig, Mechanism, RegretError, RegretStats, Work,
};

/// Which part of an evaluation is running, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The gradient search.
    Search,
    /// The audit.
    Audit(Audit),
    /// The reference search on the first profiles.
    Reference,
    /// The certified bound (branch and bound).
    Certify,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Phase::Search => write!(f, "gradient search"),
            Phase::Audit(a) => write!(f, "{a} audit"),
            Phase::Reference => write!(f, "reference search"),
            Phase::Certify => write!(f, "certified bound"),
        }
    }
}

/// Profiles per chunk of the one-bidder grid audit, whose per-profile work is a row of one
/// matrix product and a short refinement: large chunks keep the tensors worth their overhead.
const SHARED_GRID_CHUNK: usize = 500;

/// Memory an evaluation may take for its sample and starts, in bytes.
pub const MAX_EVAL_BYTES: u64 = 8 << 30;

/// Refuse, before allocating, a protocol whose test sample and search starts would not fit
/// in [`MAX_EVAL_BYTES`].
fn check_memory(setting: &Setting, protocol: &Protocol, threads: usize) -> Result<()> {
    // The test sample with its per-profile results (about 3 profiles' worth each), and one
    // window of search starts (`start_window`: drawn window by window).
    let per_profile = starts_per_profile(setting, &protocol.search()) as u64;
    let profiles = protocol.regret_profiles() as u64;
    let window = (start_window(protocol.chunk, threads) as u64).min(profiles);
    let floats = setting.profile_len() as u64;
    let sample_bytes = profiles
        .saturating_mul(3)
        .saturating_mul(floats)
        .saturating_mul(4);
    let window_bytes = window
        .saturating_mul(per_profile)
        .saturating_mul(floats)
        .saturating_mul(4);
    let bytes = sample_bytes.saturating_add(window_bytes);
    if bytes > MAX_EVAL_BYTES {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        // Name the term that does not fit: the sample grows with --samples, the window of
        // starts with --restarts, the threads and the chunk.
        let (key, advice) = if sample_bytes >= window_bytes {
            ("eval.samples", "use fewer --samples")
        } else {
            (
                "eval.restarts",
                "use fewer --restarts or --threads, or a smaller eval.batch_size",
            )
        };
        return Err(ConfigError::invalid(
            key,
            format!(
                "{} profiles need {:.1} GiB and their search starts, {} profiles x {} starts \
                 at a time, {:.1} GiB (limit {} GiB); {advice}",
                protocol.samples,
                gib(sample_bytes),
                window,
                per_profile,
                gib(window_bytes),
                MAX_EVAL_BYTES >> 30
            ),
        )
        .into());
    }
    Ok(())
}

/// Evaluate `mech` on the protocol's test sample; `progress` receives the phase and the
/// profiles done in it.
pub fn evaluate<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    progress: Option<&(dyn Fn(Phase, usize) + Sync)>,
) -> Result<EvalReport> {
    check_memory(setting, protocol, threads)?;
    let start = Instant::now();
    let all = setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    );
    let n = setting.bidders;
    // Regret on the first profiles; revenue and IR on all of them.
    let profiles = &all[..protocol.regret_profiles() * setting.profile_len()];
    let search_progress = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Search, done)
        }
    };
    let est = estimate_regret_with(
        mech,
        setting,
        profiles,
        &protocol.search(),
        &mut stream_rng(protocol.seed, Stream::TestMisreport),
        Work {
            chunk: protocol.chunk,
            threads,
            progress: Some(&search_progress),
        },
    )?;
    let search_seconds = start.elapsed().as_secs_f64();
    let audit_start = Instant::now();
    let audit = protocol.audit_for(setting);
    let audit_progress = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Audit(audit), done)
        }
    };
    let work = |chunk: usize| Work {
        chunk,
        threads,
        progress: Some(&audit_progress),
    };
    // Every estimate besides the search: (name, its regret on the first `profiles` profiles).
    let mut estimates: Vec<(String, Vec<f32>)> = Vec::new();
    let audit_regret = match audit {
        Audit::None => None,
        Audit::Grid => {
            let config = GridConfig {
                resolution: protocol.grid,
                refine_top: protocol.grid_refine_top,
                refine_steps: protocol.grid_refine_steps,
            };
            let chunk = if n == 1 {
                SHARED_GRID_CHUNK
            } else {
                protocol.chunk
            };
            let r = grid_audit(mech, setting, profiles, &config, work(chunk))?.regret;
            estimates.push(("grid".into(), r.clone()));
            Some(r)
        }
        Audit::ItemWise => {
            let r = itemwise_audit(mech, setting, profiles, protocol.grid, work(protocol.chunk))?
                .regret;
            estimates.push(("item-wise grid".into(), r.clone()));
            Some(r)
        }
        Audit::Coordinate => {
            // Its own phase, so that a progress display starts a new bar for the sweeps.
            let item_progress = |done: usize| {
                if let Some(p) = progress {
                    p(Phase::Audit(Audit::ItemWise), done)
                }
            };
            let item_work = Work {
                chunk: protocol.chunk,
                threads,
                progress: Some(&item_progress),
            };
            let item = itemwise_audit(mech, setting, profiles, protocol.grid, item_work)?.regret;
            let coord = coordinate_audit(
                mech,
                setting,
                profiles,
                Some(&est.best_misreport),
                &protocol.coordinate(),
                &mut stream_rng(protocol.seed, Stream::AuditStarts),
                work(protocol.chunk),
            )?;
            estimates.push(("item-wise grid".into(), item.clone()));
            estimates.push(("coordinate sweeps".into(), coord.sweep_regret.clone()));
            if coord.pair_samples > 0 {
                estimates.push((
                    "coordinate + pairwise grids".into(),
                    coord.regret[..coord.pair_samples * n].to_vec(),
                ));
            }
            estimates.push(("coordinate audit".into(), coord.regret.clone()));
            Some(elementwise_max(&item, &coord.regret))
        }
    };
    let audit_seconds = audit_start.elapsed().as_secs_f64();
    let reference_start = Instant::now();
    let reference = if protocol.reference_samples > 0 {
        let k = protocol.reference_samples.min(est.samples);
        let reference_progress = |done: usize| {
            if let Some(p) = progress {
                p(Phase::Reference, done)
            }
        };
        let r = estimate_regret_with(
            mech,
            setting,
            &profiles[..k * setting.profile_len()],
            &protocol.reference_search(),
            &mut stream_rng(protocol.seed, Stream::ReferenceSearch),
            Work {
                chunk: 1,
                threads,
                progress: Some(&reference_progress),
            },
        )?;
        Some(r.regret)
    } else {
        None
    };
    let reference_seconds = reference_start.elapsed().as_secs_f64();
    let certify_start = Instant::now();
    let certified = if protocol.certify {
        let bounds = mech.box_bounds().ok_or_else(|| {
            RegretError::Unsupported("this mechanism has no enclosures to certify".into())
        })??;
        let k = protocol.certify_profiles().min(est.samples);
        let certify_progress = |done: usize| {
            if let Some(p) = progress {
                p(Phase::Certify, done)
            }
        };
        let len = setting.profile_len();
        let c = certify_mechanism(
            &*bounds,
            setting,
            &profiles[..k * len],
            Some(&est.best_misreport[..k * len]),
            &CertifyConfig {
                tol: protocol.certify_tol,
                budget: protocol.certify_budget,
            },
            Work {
                chunk: 10,
                threads,
                progress: Some(&certify_progress),
            },
        )?;
        Some(c)
    } else {
        None
    };
    let certify_seconds = certify_start.elapsed().as_secs_f64();

    // The profiles past the regret subsample: revenue and truthful utility by forward passes.
    let (mut revenue_per_profile, mut truthful) =
        (est.revenue.clone(), est.truthful_utility.clone());
    if all.len() > profiles.len() {
        let (r, u) = truthful_outcomes(
            mech,
            setting,
            &all[profiles.len()..],
            Work::new(protocol.chunk.max(256), threads),
        )?;
        revenue_per_profile.extend(r);
        truthful.extend(u);
    }
    let revenue: Vec<f64> = revenue_per_profile.iter().map(|&r| r as f64).collect();
    let baselines = paired_with(setting, &all, &revenue);
    let (revenue, revenue_se) = mean_se(&revenue);
    let ir_violation = truthful
        .iter()
        .map(|&u| (-(u as f64)).max(0.0))
        .sum::<f64>()
        / truthful.len().max(1) as f64;
    let optimal_revenue = optimum_revenues(setting, &all)
        .map(|r| r.iter().sum::<f64>() / protocol.samples.max(1) as f64);
    let allocation_distance = match optimum_allocations(setting, &all) {
        Some(best) => {
            let ours: Vec<f64> = truthful_allocations(
                mech,
                setting,
                &all,
                Work::new(protocol.chunk.max(256), threads),
            )?
            .into_iter()
            .map(f64::from)
            .collect();
            Some(AllocationDistance::of(&ours, &best, n, setting.items))
        }
        None => None,
    };

    let gradient = RegretStats::from_regret(&est.regret, n);
    let mut per_profile = match &audit_regret {
        Some(a) => elementwise_max(&est.regret, a),
        None => est.regret.clone(),
    };
    // Audited without the reference search, for the reference's comparison.
    let audit_only = per_profile.clone();
    if let Some(r) = &reference {
        for (p, x) in per_profile.iter_mut().zip(r) {
            *p = p.max(*x);
        }
        estimates.push(("reference search".into(), r.clone()));
    }
    let mean_of = |x: &[f32]| x.iter().map(|&r| r as f64).sum::<f64>() / x.len().max(1) as f64;
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            a / b
        } else if a > 0.0 {
            f64::INFINITY
        } else {
            1.0
        }
    };
    let estimates: Vec<Estimate> = estimates
        .into_iter()
        .map(|(name, r)| {
            let k = r.len();
            let (mean, search_mean) = (mean_of(&r), mean_of(&est.regret[..k]));
            Estimate {
                name,
                profiles: k / n.max(1),
                mean,
                search_mean,
                to_search: ratio(mean, search_mean),
            }
        })
        .collect();
    let reference_check = reference.as_ref().map(|r| {
        let k = r.len();
        let ref_mean = mean_of(r);
        ReferenceCheck {
            profiles: k / n.max(1),
            restarts: protocol.reference_restarts,
            steps: protocol.reference_steps,
            regret: ref_mean,
            search_share: ratio(mean_of(&est.regret[..k]), ref_mean),
            audit_share: ratio(mean_of(&audit_only[..k]), ref_mean),
            seconds: reference_seconds,
        }
    });
    let audited = RegretStats::from_regret(&per_profile, n);
    let certified = certified.map(|c| {
        Certified::new(
            &c,
            &per_profile[..c.upper.len()],
            protocol.certify_tol,
            protocol.certify_budget,
            certify_seconds,
        )
    });
    let audit_stats = audit_regret
        .as_ref()
        .map(|a| RegretStats::from_regret(a, n));
    let audit_to_gradient = audit_stats.as_ref().map(|a| {
        if gradient.mean > 0.0 {
            a.mean / gradient.mean
        } else if a.mean > 0.0 {
            f64::INFINITY
        } else {
            1.0
        }
    });
    Ok(EvalReport {
        setting: setting.name.clone(),
        samples: protocol.samples,
        regret_samples: est.samples,
        revenue,
        revenue_se,
        optimal_revenue,
        allocation_distance,
        ir_violation,
        regret: audited.mean,
        regret_se: audited.se,
        regret_max: audited.max,
        audit,
        audit_to_gradient,
        gradient,
        audit_stats,
        audited,
        estimates,
        reference: reference_check,
        certified,
        protocol: protocol.clone(),
        timings: Timings {
            search: search_seconds,
            audit: audit_seconds,
            reference: reference_seconds,
            certify: certify_seconds,
            total: start.elapsed().as_secs_f64(),
        },
        threads,
        menu: None,
        per_profile,
        baselines,
        per_profile_revenue: revenue_per_profile,
    })
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

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

use crate::error::{Result, TrainError};
use crate::eval::protocol::Protocol;
use crate::eval::report::{Audit, Certified, Estimate, EvalReport, ReferenceCheck, Timings};
use crate::eval::steps::{self, Audits, Outcomes};
use regretnet_core::baselines::{optimum_revenues, paired_with};
use regretnet_core::recovery::{optimum_allocations, AllocationDistance};
use regretnet_core::{ConfigError, Setting};
use regretnet_regret::certify::CertifiedRegret;
use regretnet_regret::regret::start_window;
use regretnet_regret::starts::starts_per_profile;
use regretnet_regret::stats::{elementwise_max, mean_se};
use regretnet_regret::{
    truthful_allocations, Mechanism, RegretEstimate, RegretStats, Symmetrized, Work,
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
/// profiles done in it. The composition of [`crate::eval::steps`]: the sample, the search and
/// the audits on its first `regret_samples` profiles, the reference search and the certificate
/// where the protocol asks for them, the outcomes on every profile, then [`report`]. With
/// `protocol.symmetrize`, all of it measures `mech` averaged over cyclic shifts of its bidders
/// and items ([`symmetrized`]).
pub fn evaluate<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    progress: Option<&(dyn Fn(Phase, usize) + Sync)>,
) -> Result<EvalReport> {
    if protocol.symmetrize {
        return evaluate_as_given(
            &symmetrized(mech, setting)?,
            setting,
            protocol,
            threads,
            progress,
        );
    }
    evaluate_as_given(mech, setting, protocol, threads, progress)
}

/// `mech` averaged over the cyclic shifts of its bidders and items that leave `setting`'s prior
/// unchanged ([`Symmetrized`]); an input error ([`TrainError::Unsupported`]) saying why where
/// there are none.
pub fn symmetrized<'a, M: Mechanism>(mech: &'a M, setting: &Setting) -> Result<Symmetrized<'a, M>> {
    Symmetrized::new(mech, setting).map_err(|e| TrainError::Unsupported(e.to_string()))
}

fn evaluate_as_given<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    progress: Option<&(dyn Fn(Phase, usize) + Sync)>,
) -> Result<EvalReport> {
    check_memory(setting, protocol, threads)?;
    let start = Instant::now();
    let all = steps::test_sample(setting, protocol);
    // Regret on the first profiles; revenue and IR on all of them.
    let profiles = &all[..protocol.regret_profiles() * setting.profile_len()];
    let found = steps::search(mech, setting, profiles, protocol, threads, progress)?;
    let search_seconds = start.elapsed().as_secs_f64();
    let audit_start = Instant::now();
    let audits = steps::audits(mech, setting, profiles, &found, protocol, threads, progress)?;
    let audit_seconds = audit_start.elapsed().as_secs_f64();
    let reference_start = Instant::now();
    let reference = steps::reference(mech, setting, profiles, protocol, threads, progress)?;
    let reference_seconds = reference_start.elapsed().as_secs_f64();
    let certify_start = Instant::now();
    let certified = steps::certificate(
        mech,
        setting,
        profiles,
        &found.best_misreport,
        protocol,
        threads,
        progress,
    )?;
    let certify_seconds = certify_start.elapsed().as_secs_f64();
    let outcomes = steps::outcomes(mech, setting, &all, &found, protocol, threads)?;
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
            Some(AllocationDistance::of(
                &ours,
                &best,
                setting.bidders,
                setting.items,
            ))
        }
        None => None,
    };
    let timings = Timings {
        search: search_seconds,
        audit: audit_seconds,
        reference: reference_seconds,
        certify: certify_seconds,
        total: start.elapsed().as_secs_f64(),
    };
    Ok(report(
        setting,
        protocol,
        threads,
        &all,
        Measured {
            search: found,
            audits,
            reference: reference.map(|r| r.regret),
            certified,
            outcomes,
            allocation_distance,
        },
        timings,
    ))
}

/// What the steps measured, for [`report`].
#[derive(Debug, Clone)]
pub struct Measured {
    /// The gradient search on the regret subsample.
    pub search: RegretEstimate,
    /// The audits on the same profiles.
    pub audits: Audits,
    /// The reference search's regret on the first profiles, if it ran.
    pub reference: Option<Vec<f32>>,
    /// The certificate, if it ran.
    pub certified: Option<CertifiedRegret>,
    /// Revenue and truthful utility on the whole sample `all`.
    pub outcomes: Outcomes,
    /// Distance of the allocations from the known optimum's, where one is known.
    pub allocation_distance: Option<AllocationDistance>,
}

/// The report of what the steps measured on the test sample `all`: revenue with every baseline
/// paired on `all`, IR violation, each regret estimate with its ratio to the search, the
/// audited regret (per profile and bidder the largest estimate), the reference check and the
/// certificate.
pub fn report(
    setting: &Setting,
    protocol: &Protocol,
    threads: usize,
    all: &[f32],
    measured: Measured,
    timings: Timings,
) -> EvalReport {
    let Measured {
        search: est,
        audits,
        reference,
        certified,
        outcomes,
        allocation_distance,
    } = measured;
    let n = setting.bidders;
    let revenue: Vec<f64> = outcomes.revenue.iter().map(|&r| r as f64).collect();
    let baselines = paired_with(setting, all, &revenue);
    let (revenue, revenue_se) = mean_se(&revenue);
    let truthful = &outcomes.truthful_utility;
    let ir_violation = truthful
        .iter()
        .map(|&u| (-(u as f64)).max(0.0))
        .sum::<f64>()
        / truthful.len().max(1) as f64;
    let optimal_revenue = optimum_revenues(setting, all)
        .map(|r| r.iter().sum::<f64>() / protocol.samples.max(1) as f64);
    let audit = audits.kind;
    let audit_regret = audits.regret;
    let mut estimates: Vec<(String, Vec<f32>)> = audits
        .estimates
        .into_iter()
        .map(|e| (e.name, e.regret))
        .collect();

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
            seconds: timings.reference,
        }
    });
    let audited = RegretStats::from_regret(&per_profile, n);
    let certified = certified.map(|c| {
        Certified::new(
            &c,
            &per_profile[..c.upper.len()],
            protocol.certify_tol,
            protocol.certify_budget,
            timings.certify,
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
    EvalReport {
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
        timings,
        threads,
        menu: None,
        per_profile,
        baselines,
        per_profile_revenue: outcomes.revenue,
    }
}

#[cfg(test)]
#[path = "tests.rs"]
pub(crate) mod tests;

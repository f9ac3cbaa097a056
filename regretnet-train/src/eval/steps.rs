//! The steps of an evaluation, each a function a library user can call on its own:
//! [`test_sample`] (the protocol's profiles), [`search`] (the gradient search), [`audits`]
//! (the grid or coordinate audits the setting calls for), [`reference()`] (the paper-strength
//! search on the first profiles), [`certificate`] (the proven bound where reports are 2-D),
//! [`outcomes`] (revenue and truthful utility on every profile) and
//! [`crate::eval::evaluate::report`], which assembles the [`crate::EvalReport`].
//! [`crate::evaluate()`] is their composition; [`audited_regret`] composes the search, audits and
//! reference on profiles the user supplies, [`certified_regret`] the search and the certificate.

use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{ConfigError, Setting};
use regretnet_regret::certify::{certify_mechanism, CertifiedRegret, CertifyConfig};
use regretnet_regret::stats::elementwise_max;
use regretnet_regret::{
    coordinate_audit, estimate_regret_with, grid_audit, itemwise_audit, truthful_outcomes,
    GridConfig, Mechanism, RegretError, RegretEstimate, Work,
};

use crate::error::Result;
use crate::eval::evaluate::Phase;
use crate::eval::protocol::Protocol;
use crate::eval::report::Audit;

/// Where a step reports the phase and the profiles done in it (from worker threads).
pub type Progress<'a> = Option<&'a (dyn Fn(Phase, usize) + Sync)>;

/// Profiles per chunk of the one-bidder grid audit, whose per-profile work is a row of one
/// matrix product and a short refinement: large chunks keep the tensors worth their overhead.
const SHARED_GRID_CHUNK: usize = 500;

/// The protocol's test sample: `protocol.samples` profiles from its seed's test stream, flat
/// `[samples, n, d]` (regret is measured on the first `protocol.regret_profiles()`).
pub fn test_sample(setting: &Setting, protocol: &Protocol) -> Vec<f32> {
    setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    )
}

/// The protocol's gradient search on `profiles` (its seed's misreport stream).
pub fn search<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    protocol: &Protocol,
    threads: usize,
    progress: Progress<'_>,
) -> Result<RegretEstimate> {
    let tick = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Search, done)
        }
    };
    Ok(estimate_regret_with(
        mech,
        setting,
        profiles,
        &protocol.search(),
        &mut stream_rng(protocol.seed, Stream::TestMisreport),
        Work {
            chunk: protocol.chunk,
            threads,
            progress: Some(&tick),
        },
    )?)
}

/// One estimate of the regret besides the search's, per profile and bidder.
#[derive(Debug, Clone)]
pub struct NamedEstimate {
    /// What found it (as in the report's estimates).
    pub name: String,
    /// Its regret, flat `[k, n]` over the first `k` profiles.
    pub regret: Vec<f32>,
    /// The misreports behind it, flat `[k, n, d]`, where the estimate has its own (the
    /// coordinate sweeps and the pairwise grids share the coordinate audit's).
    pub best_misreport: Option<Vec<f32>>,
}

/// What the audits found.
#[derive(Debug, Clone)]
pub struct Audits {
    /// Which audit ran.
    pub kind: Audit,
    /// Per profile and bidder the largest regret any audit found (`None`: no audit).
    pub regret: Option<Vec<f32>>,
    /// Each audit's own estimate, in the report's order.
    pub estimates: Vec<NamedEstimate>,
}

/// The audits the protocol calls for in `setting` ([`Protocol::audit_for`]) on `profiles`;
/// the coordinate audit starts from `search`'s best misreports among others.
pub fn audits<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    search: &RegretEstimate,
    protocol: &Protocol,
    threads: usize,
    progress: Progress<'_>,
) -> Result<Audits> {
    let n = setting.bidders;
    let kind = protocol.audit_for(setting);
    let tick = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Audit(kind), done)
        }
    };
    let work = |chunk: usize| Work {
        chunk,
        threads,
        progress: Some(&tick),
    };
    let named = |name: &str, regret: Vec<f32>, best: Option<Vec<f32>>| NamedEstimate {
        name: name.into(),
        regret,
        best_misreport: best,
    };
    let mut estimates = Vec::new();
    let regret = match kind {
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
            let g = grid_audit(mech, setting, profiles, &config, work(chunk))?;
            estimates.push(named("grid", g.regret.clone(), Some(g.best_misreport)));
            Some(g.regret)
        }
        Audit::ItemWise => {
            let a = itemwise_audit(mech, setting, profiles, protocol.grid, work(protocol.chunk))?;
            estimates.push(named(
                "item-wise grid",
                a.regret.clone(),
                Some(a.best_misreport),
            ));
            Some(a.regret)
        }
        Audit::Coordinate => {
            // Its own phase, so that a progress display starts a new bar for the sweeps.
            let item_tick = |done: usize| {
                if let Some(p) = progress {
                    p(Phase::Audit(Audit::ItemWise), done)
                }
            };
            let item_work = Work {
                chunk: protocol.chunk,
                threads,
                progress: Some(&item_tick),
            };
            let item = itemwise_audit(mech, setting, profiles, protocol.grid, item_work)?;
            let coord = coordinate_audit(
                mech,
                setting,
                profiles,
                Some(&search.best_misreport),
                &protocol.coordinate(),
                &mut stream_rng(protocol.seed, Stream::AuditStarts),
                work(protocol.chunk),
            )?;
            let max = elementwise_max(&item.regret, &coord.regret);
            estimates.push(named(
                "item-wise grid",
                item.regret,
                Some(item.best_misreport),
            ));
            estimates.push(named("coordinate sweeps", coord.sweep_regret, None));
            if coord.pair_samples > 0 {
                estimates.push(named(
                    "coordinate + pairwise grids",
                    coord.regret[..coord.pair_samples * n].to_vec(),
                    None,
                ));
            }
            estimates.push(named(
                "coordinate audit",
                coord.regret,
                Some(coord.best_misreport),
            ));
            Some(max)
        }
    };
    Ok(Audits {
        kind,
        regret,
        estimates,
    })
}

/// The protocol's reference search (paper strength) on the first `reference_samples` of
/// `profiles`; `None` when the protocol asks for none.
pub fn reference<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    protocol: &Protocol,
    threads: usize,
    progress: Progress<'_>,
) -> Result<Option<RegretEstimate>> {
    if protocol.reference_samples == 0 {
        return Ok(None);
    }
    let len = setting.profile_len();
    let k = protocol.reference_samples.min(profiles.len() / len.max(1));
    let tick = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Reference, done)
        }
    };
    Ok(Some(estimate_regret_with(
        mech,
        setting,
        &profiles[..k * len],
        &protocol.reference_search(),
        &mut stream_rng(protocol.seed, Stream::ReferenceSearch),
        Work {
            chunk: 1,
            threads,
            progress: Some(&tick),
        },
    )?))
}

/// The proven upper bound on the regret (branch and bound over the mechanism's enclosures)
/// on the first `protocol.certify_profiles()` of `profiles`, seeded with the misreports
/// `seeds` (flat as the profiles); `None` unless the protocol asks for it, an error where the
/// mechanism has no enclosures.
pub fn certificate<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    seeds: &[f32],
    protocol: &Protocol,
    threads: usize,
    progress: Progress<'_>,
) -> Result<Option<CertifiedRegret>> {
    if !protocol.certify {
        return Ok(None);
    }
    let bounds = mech.box_bounds().ok_or_else(|| {
        RegretError::Unsupported("this mechanism has no enclosures to certify".into())
    })??;
    let len = setting.profile_len();
    let k = protocol.certify_profiles().min(profiles.len() / len.max(1));
    let tick = |done: usize| {
        if let Some(p) = progress {
            p(Phase::Certify, done)
        }
    };
    Ok(Some(certify_mechanism(
        &*bounds,
        setting,
        &profiles[..k * len],
        Some(&seeds[..k * len]),
        &CertifyConfig {
            tol: protocol.certify_tol,
            budget: protocol.certify_budget,
        },
        Work {
            chunk: 10,
            threads,
            progress: Some(&tick),
        },
    )?))
}

/// Revenue and truthful utility on every profile of the test sample `all`: the search's on
/// the first profiles, forward passes on the rest.
#[derive(Debug, Clone)]
pub struct Outcomes {
    /// Revenue per profile, `[samples]`.
    pub revenue: Vec<f32>,
    /// Truthful utility per profile and bidder, flat `[samples, n]` (negative: IR violated).
    pub truthful_utility: Vec<f32>,
}

/// [`Outcomes`] of `all`, whose first profiles `search` covered.
pub fn outcomes<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    all: &[f32],
    search: &RegretEstimate,
    protocol: &Protocol,
    threads: usize,
) -> Result<Outcomes> {
    let (mut revenue, mut truthful) = (search.revenue.clone(), search.truthful_utility.clone());
    let done = search.samples * setting.profile_len();
    if all.len() > done {
        let (r, u) = truthful_outcomes(
            mech,
            setting,
            &all[done..],
            Work::new(protocol.chunk.max(256), threads),
        )?;
        revenue.extend(r);
        truthful.extend(u);
    }
    Ok(Outcomes {
        revenue,
        truthful_utility: truthful,
    })
}

/// The audited regret of a mechanism on profiles the caller supplies.
#[derive(Debug, Clone)]
pub struct AuditedRegret {
    /// Profiles.
    pub samples: usize,
    /// Bidders.
    pub bidders: usize,
    /// Every estimate, the gradient search first (`"gradient search"`), each per profile and
    /// bidder over the first profiles it covered (the pairwise grids and the reference search
    /// cover only the protocol's first `pair_samples` and `reference_samples`).
    pub estimates: Vec<NamedEstimate>,
    /// Per profile and bidder the largest of them, flat `[samples, n]`: the audited regret.
    pub audited: Vec<f32>,
    /// Per profile and bidder the misreport that gained the most, flat `[samples, n, d]`:
    /// bidder `i`'s report, the others truthful.
    pub best_misreport: Vec<f32>,
}

impl AuditedRegret {
    /// The mean over profiles and bidders of the audited regret (the report's headline
    /// `regret` when the profiles are the evaluation's regret subsample).
    pub fn mean(&self) -> f64 {
        regretnet_regret::RegretStats::from_regret(&self.audited, self.bidders).mean
    }
}

/// Check that `profiles` are whole profiles of `setting`, finite and inside its prior's
/// support; the error names the first that is not.
pub fn check_profiles(setting: &Setting, profiles: &[f32]) -> Result<()> {
    let (n, len) = (setting.bidders, setting.profile_len());
    let bad = |reason: String| Err(ConfigError::invalid("profiles", reason).into());
    if profiles.is_empty() || !profiles.len().is_multiple_of(len) {
        return bad(format!(
            "{} values are not whole profiles of {n} bidders x {} values",
            profiles.len(),
            setting.type_len()
        ));
    }
    for (p, profile) in profiles.chunks_exact(len).enumerate() {
        for (i, report) in profile.chunks_exact(len / n).enumerate() {
            if report.iter().any(|x| !x.is_finite()) {
                return bad(format!("profile {p}, bidder {i}: {report:?} is not finite"));
            }
            if !setting.prior.contains_bidder(i, report) {
                return bad(format!(
                    "profile {p}, bidder {i}: {report:?} lies outside the prior's support"
                ));
            }
        }
    }
    Ok(())
}

/// The audited regret of `mech` on `profiles` (flat `[samples, n, d]`, checked by
/// [`check_profiles`]) under `protocol`'s search, audits and reference search, every one of
/// them on these profiles (the protocol's sample sizes are not used, except the first
/// `pair_samples` and `reference_samples` profiles that get the pairwise grids and the
/// reference search). The same numbers as [`crate::evaluate()`] when `profiles` is its regret
/// subsample.
///
/// ```
/// use regretnet_train::core::{presets, rng::{stream_rng, Stream}};
/// use regretnet_train::eval::steps::audited_regret;
/// use regretnet_train::nets::{Model, NetSpec};
/// use regretnet_train::Protocol;
///
/// let config = presets::preset("additive_1x2_uniform").unwrap();
/// let setting = config.setting.build().unwrap();
/// let mut protocol = Protocol::from_config("doc", &config.eval);
/// protocol.restarts = 1;
/// protocol.steps = 5;
/// let spec = NetSpec { setting: config.setting, net: config.net };
/// let model = Model::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
/// let profiles = [0.2, 0.7, 0.9, 0.4];
/// let r = audited_regret(&model, &setting, &profiles, &protocol, 1).unwrap();
/// assert_eq!((r.samples, r.audited.len(), r.best_misreport.len()), (2, 2, 4));
/// assert!(audited_regret(&model, &setting, &[0.2, 1.5], &protocol, 1).is_err());
/// ```
pub fn audited_regret<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    protocol: &Protocol,
    threads: usize,
) -> Result<AuditedRegret> {
    if protocol.symmetrize {
        let sym = crate::eval::evaluate::symmetrized(mech, setting)?;
        return audited_regret_as_given(&sym, setting, profiles, protocol, threads);
    }
    audited_regret_as_given(mech, setting, profiles, protocol, threads)
}

fn audited_regret_as_given<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    protocol: &Protocol,
    threads: usize,
) -> Result<AuditedRegret> {
    check_profiles(setting, profiles)?;
    let (n, len) = (setting.bidders, setting.profile_len());
    let d = len / n;
    let found = search(mech, setting, profiles, protocol, threads, None)?;
    let audit = audits(mech, setting, profiles, &found, protocol, threads, None)?;
    let mut estimates = vec![NamedEstimate {
        name: "gradient search".into(),
        regret: found.regret.clone(),
        best_misreport: Some(found.best_misreport.clone()),
    }];
    estimates.extend(audit.estimates);
    if let Some(r) = reference(mech, setting, profiles, protocol, threads, None)? {
        estimates.push(NamedEstimate {
            name: "reference search".into(),
            regret: r.regret,
            best_misreport: Some(r.best_misreport),
        });
    }
    let mut audited = found.regret.clone();
    let mut best_misreport = found.best_misreport.clone();
    // The estimates with misreports of their own (the others are covered by the coordinate
    // audit's, never below them).
    for e in estimates[1..].iter().filter(|e| e.best_misreport.is_some()) {
        for (k, &r) in e.regret.iter().enumerate() {
            if r > audited[k] {
                audited[k] = r;
                if let Some(m) = &e.best_misreport {
                    best_misreport[k * d..(k + 1) * d].copy_from_slice(&m[k * d..(k + 1) * d]);
                }
            }
        }
    }
    Ok(AuditedRegret {
        samples: profiles.len() / len,
        bidders: n,
        estimates,
        audited,
        best_misreport,
    })
}

/// The proven upper bound on the regret of `mech` at `profiles` (flat `[samples, n, d]`,
/// checked by [`check_profiles`]; bidders who report at most 2 values), every profile
/// certified under `protocol`'s tolerance and budget, the branch and bound seeded with the
/// protocol's gradient search's best misreports: [`certificate`] on profiles of one's own.
///
/// ```
/// use regretnet_train::core::{presets, rng::{stream_rng, Stream}};
/// use regretnet_train::eval::steps::certified_regret;
/// use regretnet_train::nets::{Model, NetSpec};
/// use regretnet_train::Protocol;
///
/// let config = presets::preset("additive_1x2_uniform").unwrap();
/// let setting = config.setting.build().unwrap();
/// let mut protocol = Protocol::from_config("doc", &config.eval);
/// (protocol.restarts, protocol.steps, protocol.certify_tol) = (1, 5, 1e-2);
/// let spec = NetSpec { setting: config.setting, net: config.net };
/// let model = Model::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
/// let c = certified_regret(&model, &setting, &[0.2, 0.7], &protocol, 1).unwrap();
/// assert!(c.upper[0] >= c.lower[0] && c.lower[0] >= 0.0);
/// ```
pub fn certified_regret<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    protocol: &Protocol,
    threads: usize,
) -> Result<CertifiedRegret> {
    if protocol.symmetrize {
        let sym = crate::eval::evaluate::symmetrized(mech, setting)?;
        return certified_regret_as_given(&sym, setting, profiles, protocol, threads);
    }
    certified_regret_as_given(mech, setting, profiles, protocol, threads)
}

fn certified_regret_as_given<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    protocol: &Protocol,
    threads: usize,
) -> Result<CertifiedRegret> {
    check_profiles(setting, profiles)?;
    let mut protocol = protocol.clone();
    // Every one of these profiles (the protocol's sample sizes are the evaluation's).
    let k = profiles.len() / setting.profile_len();
    (protocol.samples, protocol.regret_samples) = (k, 0);
    (protocol.certify, protocol.certify_samples) = (true, k);
    let found = search(mech, setting, profiles, &protocol, threads, None)?;
    let cert = certificate(
        mech,
        setting,
        profiles,
        &found.best_misreport,
        &protocol,
        threads,
        None,
    )?;
    cert.ok_or_else(|| RegretError::Unsupported("the protocol did not certify".into()).into())
}

#[cfg(test)]
#[path = "tests_steps.rs"]
mod tests;

//! The verdict on the standing hypothesis, from one run's measurements.
//!
//! The hypothesis (issue 8): *the quadratic regret penalty shapes the earlier layers most, so
//! incentive compatibility is secured first and in earlier layers, and revenue is extracted on
//! top of it in later layers.* It is split into four claims, each decided by one measurement
//! with a stated rule, so that a reader can disagree with a rule without redoing the analysis:
//!
//! | claim | holds when |
//! |---|---|
//! | `ic_first` | the audited regret settles below the threshold at an earlier checkpoint than revenue settles within the tolerance of its final value |
//! | `penalty_shapes_early_layers_<net>` | the network's first hidden layer's regret share of the gradient exceeds its output layer's (trace, mean over training) |
//! | `ic_in_early_layers_<net>` | rolling the network's first hidden layer back to the early checkpoint raises audited regret more than rolling its output layer back |
//! | `revenue_in_late_layers_<net>` | rolling the network's output layer back moves revenue more than rolling its first hidden layer back |
//!
//! with `<net>` each of `alloc` and `pay` (the hypothesis does not say which network, so each
//! is judged on its own). The overall verdict is `supported` when all seven hold,
//! `contradicted` when none does, `mixed` otherwise; a claim that cannot be decided (no trace,
//! regret never settles) counts as not holding and says why.

use serde::{Deserialize, Serialize};

use super::analysis::{Intervention, LayerTrace, ProbeConfig, When};

/// One claim of the hypothesis and what decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Short id (`ic_first`, ...).
    pub id: String,
    /// The claim in words.
    pub statement: String,
    /// Whether the run supports it (`None`: undecidable from this run).
    pub holds: Option<bool>,
    /// The numbers that decided it.
    pub evidence: String,
}

/// The four claims and the overall verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The claims, in the table's order.
    pub claims: Vec<Claim>,
    /// `supported`, `contradicted` or `mixed (k of 7 claims hold)`.
    pub overall: String,
}

/// The ids and statements of the claims, in order.
pub const CLAIMS: [(&str, &str); 7] = [
    (
        "ic_first",
        "incentive compatibility is secured before revenue settles",
    ),
    (
        "penalty_shapes_early_layers_alloc",
        "allocation net: the regret terms pull harder (relative to the revenue term) on the first hidden layer than on the output layer",
    ),
    (
        "penalty_shapes_early_layers_pay",
        "payment net: the regret terms pull harder (relative to the revenue term) on the first hidden layer than on the output layer",
    ),
    (
        "ic_in_early_layers_alloc",
        "allocation net: incentive compatibility is held in the first hidden layer more than in the output layer",
    ),
    (
        "ic_in_early_layers_pay",
        "payment net: incentive compatibility is held in the first hidden layer more than in the output layer",
    ),
    (
        "revenue_in_late_layers_alloc",
        "allocation net: revenue is held in the output layer more than in the first hidden layer",
    ),
    (
        "revenue_in_late_layers_pay",
        "payment net: revenue is held in the output layer more than in the first hidden layer",
    ),
];

fn claim(k: usize, holds: Option<bool>, evidence: String) -> Claim {
    Claim {
        id: CLAIMS[k].0.to_string(),
        statement: CLAIMS[k].1.to_string(),
        holds,
        evidence,
    }
}

/// For network `net`, `f` of its first hidden layer and of its output layer.
fn pair<T>(net: &str, f: impl Fn(&str) -> Option<T>) -> Option<(T, T)> {
    Some((f(&format!("{net}.hidden0"))?, f(&format!("{net}.out"))?))
}

/// Decide the claims (module docs).
pub fn judge(
    when: &When,
    trace: &[LayerTrace],
    interventions: &[Intervention],
    config: &ProbeConfig,
) -> Verdict {
    let mut claims = Vec::new();
    let it = |x: Option<u64>| x.map_or("never".to_string(), |i| i.to_string());
    claims.push(claim(
        0,
        match (when.regret_from, when.revenue_from) {
            (Some(a), Some(b)) => Some(a < b),
            (None, _) => Some(false),
            (Some(_), None) => None,
        },
        format!(
            "regret <= {:.0e} from iteration {}; revenue within {:.0}% of its final {:.4} from iteration {}",
            config.regret_threshold,
            it(when.regret_from),
            100.0 * config.revenue_tolerance,
            when.final_revenue,
            it(when.revenue_from)
        ),
    ));
    let share = |l: &str| trace.iter().find(|t| t.layer == l).map(|t| t.regret_share);
    for net in ["alloc", "pay"] {
        let p = pair(net, share);
        claims.push(claim(
            claims.len(),
            p.map(|(a, b)| a > b),
            p.map_or("no trace".into(), |(a, b)| {
                format!("share {a:.3} (hidden0) vs {b:.3} (out)")
            }),
        ));
    }
    // Rollbacks from the early checkpoint (the latest source; the initial one otherwise).
    let source = interventions
        .iter()
        .filter(|i| i.kind == "rollback")
        .filter_map(|i| i.source)
        .max();
    let rollback = |l: &str| {
        interventions
            .iter()
            .find(|i| i.kind == "rollback" && i.target == l && i.source == source)
    };
    let from = source.map_or("no rollback".to_string(), |s| {
        format!("rolled back to iteration {s}")
    });
    for net in ["alloc", "pay"] {
        let p = pair(net, |l| rollback(l).map(|i| i.d_regret));
        claims.push(claim(
            claims.len(),
            p.map(|(a, b)| a > b),
            p.map_or(from.clone(), |(a, b)| {
                format!("{from}: regret {a:+.2e} (hidden0) vs {b:+.2e} (out)")
            }),
        ));
    }
    for net in ["alloc", "pay"] {
        let p = pair(net, |l| rollback(l).map(|i| i.d_revenue.abs()));
        claims.push(claim(
            claims.len(),
            p.map(|(a, b)| b > a),
            p.map_or(from.clone(), |(a, b)| {
                format!("{from}: |revenue change| {a:.4} (hidden0) vs {b:.4} (out)")
            }),
        ));
    }
    let holding = claims.iter().filter(|c| c.holds == Some(true)).count();
    let overall = match holding {
        k if k == CLAIMS.len() => "supported".to_string(),
        0 => "contradicted".to_string(),
        k => format!("mixed ({k} of {} claims hold)", CLAIMS.len()),
    };
    Verdict { claims, overall }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(layer: &str, share: f64) -> LayerTrace {
        LayerTrace {
            layer: layer.into(),
            regret_share: share,
            regret_share_early: share,
            regret_share_late: share,
            cosine: 0.0,
            movement: 1.0,
        }
    }

    fn rollback(target: &str, d_revenue: f64, d_regret: f64) -> Intervention {
        Intervention {
            kind: "rollback".into(),
            target: target.into(),
            source: Some(100),
            revenue: 0.5 + d_revenue,
            regret: 1e-4 + d_regret,
            d_revenue,
            d_regret,
        }
    }

    fn when(regret_from: Option<u64>, revenue_from: Option<u64>) -> When {
        When {
            regret_from,
            revenue_from,
            final_revenue: 0.5,
            final_regret: 1e-4,
        }
    }

    #[test]
    fn a_run_that_fits_the_hypothesis_supports_it_and_its_mirror_contradicts_it() {
        let fits = (
            when(Some(1000), Some(5000)),
            vec![
                trace("alloc.hidden0", 0.6),
                trace("alloc.out", 0.3),
                trace("pay.hidden0", 0.7),
                trace("pay.out", 0.2),
            ],
            vec![
                rollback("alloc.hidden0", -0.01, 5e-3),
                rollback("alloc.out", -0.10, 1e-3),
                rollback("pay.hidden0", 0.02, 4e-3),
                rollback("pay.out", -0.20, 1e-4),
            ],
        );
        let v = judge(&fits.0, &fits.1, &fits.2, &ProbeConfig::default());
        assert_eq!(v.overall, "supported", "{v:?}");
        assert!(v.claims[0].evidence.contains("1000"));

        let mirror = (
            when(Some(5000), Some(1000)),
            vec![
                trace("alloc.hidden0", 0.3),
                trace("alloc.out", 0.6),
                trace("pay.hidden0", 0.2),
                trace("pay.out", 0.7),
            ],
            vec![
                rollback("alloc.hidden0", -0.10, 1e-3),
                rollback("alloc.out", -0.01, 5e-3),
                rollback("pay.hidden0", -0.20, 1e-4),
                rollback("pay.out", 0.02, 4e-3),
            ],
        );
        let v = judge(&mirror.0, &mirror.1, &mirror.2, &ProbeConfig::default());
        assert_eq!(v.overall, "contradicted", "{v:?}");
    }

    #[test]
    fn each_network_is_judged_alone_and_missing_data_is_undecided() {
        let t = vec![
            trace("alloc.hidden0", 0.6),
            trace("alloc.out", 0.3),
            trace("pay.hidden0", 0.1),
            trace("pay.out", 0.2),
        ];
        let v = judge(&when(None, Some(10)), &t, &[], &ProbeConfig::default());
        assert_eq!(v.claims[0].holds, Some(false));
        assert!(v.claims[0].evidence.contains("never"));
        // alloc: 0.6 > 0.3 holds; pay: 0.1 < 0.2 fails; no rollbacks: undecided.
        assert_eq!(v.claims[1].holds, Some(true));
        assert_eq!(v.claims[2].holds, Some(false));
        assert!(v.claims[3..].iter().all(|c| c.holds.is_none()));
        assert_eq!(v.overall, "mixed (1 of 7 claims hold)");
    }
}

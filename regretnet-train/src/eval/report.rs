//! The evaluation report: its fields (serialised as the JSON that `regretnet eval` saves) and
//! its text form.

use regretnet_core::baselines::BaselineRevenue;
use regretnet_core::recovery::AllocationDistance;
use regretnet_regret::stats::SHARE_THRESHOLD;
use regretnet_regret::RegretStats;
use serde::{Deserialize, Serialize};

use crate::eval::Protocol;

/// Which audit checked the gradient search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audit {
    /// None (`grid = 0`).
    None,
    /// A full grid over each bidder's support, refined by gradient ascent (at most 2 items).
    Grid,
    /// A 1-D grid per item, the other items truthful (more than 2 items, no coordinate audit).
    ItemWise,
    /// The item-wise grid plus coordinate grid ascent from the search's best misreports and
    /// other starts, refined, with pairwise 2-D grids on the first profiles (more than 2
    /// items; `regretnet_regret::coordinate`).
    Coordinate,
}

impl std::fmt::Display for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Audit::None => "no",
            Audit::Grid => "grid",
            Audit::ItemWise => "item-wise",
            Audit::Coordinate => "coordinate",
        })
    }
}

/// One regret estimate beside the gradient search: its mean on the profiles it covered and the
/// search's mean on the same profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// What it is (`grid`, `item-wise grid`, `coordinate sweeps`, `coordinate + pairwise
    /// grids`, `coordinate audit`, `reference search`).
    pub name: String,
    /// The profiles it covered: the first this many of the test sample.
    pub profiles: usize,
    /// Its mean regret there (mean over bidders of the mean over profiles).
    pub mean: f64,
    /// The gradient search's mean regret on the same profiles.
    pub search_mean: f64,
    /// `mean / search_mean` (above 1: it found regret the search missed; infinite, `null` in
    /// JSON, when only it found any).
    pub to_search: f64,
}

/// The paper-strength reference search on the first profiles, and how much of its regret the
/// default search and the audit found there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceCheck {
    /// The first this many profiles of the test sample.
    pub profiles: usize,
    /// Prior starts per profile and bidder (besides the truthful report and the corners).
    pub restarts: usize,
    /// Steps per start.
    pub steps: usize,
    /// Its mean regret there.
    pub regret: f64,
    /// The default search's mean regret there over the reference's.
    pub search_share: f64,
    /// The audited regret without the reference search (per profile the largest of the
    /// search and the audit), there, over the reference's.
    pub audit_share: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The certified regret (a proven upper bound per profile and bidder, by branch and bound) on
/// the first profiles, beside what the estimates found there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Certified {
    /// The first this many profiles of the test sample.
    pub profiles: usize,
    /// The tolerance of each certificate.
    pub tol: f64,
    /// Most boxes per profile and bidder.
    pub budget: usize,
    /// Mean certified bound (mean over bidders of the mean over profiles).
    pub mean: f64,
    /// Its standard error (the expectation over the prior is still a sample mean).
    pub se: f64,
    /// The largest certified bound.
    pub max: f64,
    /// Quantiles of the bound over profiles and bidders: 50%, 90%, 99%.
    pub quantiles: [f64; 3],
    /// Share of profiles and bidders whose certificate reached `tol`.
    pub share_within_tol: f64,
    /// The mean regret of the misreports the branch and bound found (a lower bound).
    pub found: f64,
    /// The audited regret (every estimate) on the same profiles.
    pub audited: f64,
    /// Profiles and bidders where an estimate found more regret than the certificate allows
    /// (beyond `f32` rounding, 1e-5): 0 unless something is wrong.
    pub violations: usize,
    /// Mean boxes bounded per profile and bidder.
    pub boxes: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Certified {
    /// The summary of certificates `c` on the profiles whose audited regret (flat
    /// `[profiles, n]`) is `audited`.
    pub fn new(
        c: &regretnet_regret::CertifiedRegret,
        audited: &[f32],
        tol: f64,
        budget: usize,
        seconds: f64,
    ) -> Self {
        let k = c.upper.len();
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len().max(1) as f64;
        let (m, se) = regretnet_core::stats::mean_se(&c.upper);
        let mut sorted = c.upper.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| regretnet_regret::stats::quantile(&sorted, p);
        let audited64: Vec<f64> = audited.iter().map(|&x| f64::from(x)).collect();
        Certified {
            profiles: k / c.bidders.max(1),
            tol,
            budget,
            mean: m,
            se,
            max: sorted.last().copied().unwrap_or(0.0),
            quantiles: [q(0.5), q(0.9), q(0.99)],
            share_within_tol: c.reached.iter().filter(|&&r| r).count() as f64 / k.max(1) as f64,
            found: mean(&c.lower),
            audited: mean(&audited64),
            violations: audited64
                .iter()
                .zip(&c.upper)
                .filter(|(a, u)| **a > **u + 1e-5)
                .count(),
            boxes: c.boxes.iter().sum::<usize>() as f64 / k.max(1) as f64,
            seconds,
        }
    }
}

/// Wall-clock seconds of each part of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timings {
    /// The gradient search.
    pub search: f64,
    /// The audit.
    pub audit: f64,
    /// The reference search (0 when it did not run).
    pub reference: f64,
    /// The certified bound (0 when it did not run).
    pub certify: f64,
    /// Everything.
    pub total: f64,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Setting name.
    pub setting: String,
    /// Number of test profiles (revenue, IR, the known optimum).
    pub samples: usize,
    /// The first this many of them had their regret measured (all unless the protocol's
    /// `regret_samples` is smaller).
    pub regret_samples: usize,
    /// Mean revenue.
    pub revenue: f64,
    /// Standard error of the mean revenue.
    pub revenue_se: f64,
    /// Revenue of the known optimal mechanism on the same test profiles, where one is known
    /// (`regretnet_core::optimal`); `None` otherwise.
    pub optimal_revenue: Option<f64>,
    /// Where the optimal mechanism is known: how far our allocation at truthful reports is
    /// from the optimum's on the same profiles (`regretnet_core::recovery`; `null` otherwise).
    pub allocation_distance: Option<AllocationDistance>,
    /// `mean(max(0, -u_truthful))` over profiles and bidders (0 by construction of the payment
    /// head; reported as a check).
    pub ir_violation: f64,
    /// The headline regret: `audited.mean`.
    pub regret: f64,
    /// Standard error of `regret`.
    pub regret_se: f64,
    /// Largest audited per-profile regret of any bidder.
    pub regret_max: f64,
    /// Which audit ran.
    pub audit: Audit,
    /// Mean audit regret over mean gradient regret (above 1: the search missed regret the
    /// audit found); `None` without an audit, infinite (`null` in JSON) when only the audit
    /// found any.
    pub audit_to_gradient: Option<f64>,
    /// Regret found by the gradient search.
    pub gradient: RegretStats,
    /// Regret found by the audit.
    pub audit_stats: Option<RegretStats>,
    /// Per profile and bidder the largest of every estimate (all are lower bounds on the
    /// truth).
    pub audited: RegretStats,
    /// Every estimate beside the search, with its ratio to the search on the same profiles.
    pub estimates: Vec<Estimate>,
    /// The reference search, where it ran.
    pub reference: Option<ReferenceCheck>,
    /// The certified regret, where it ran.
    pub certified: Option<Certified>,
    /// Every baseline that applies, on the same test profiles, each with the paired
    /// difference ours minus theirs (`regretnet_core::baselines::paired_with`).
    pub baselines: Vec<BaselineRevenue>,
    /// The protocol.
    pub protocol: Protocol,
    /// Wall-clock seconds.
    pub timings: Timings,
    /// Threads used.
    pub threads: usize,
    /// For a learned affine maximizer, which menu entries the mechanism chooses on the test
    /// sample (`None` for other networks and in JSON absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub menu: Option<crate::eval::menu::MenuUsage>,
    /// The audited regret of every profile and bidder, flat `[regret_samples, n]` (not in the JSON
    /// report; `regretnet eval` saves it as `eval-<protocol>-regret.csv`).
    #[serde(skip)]
    pub per_profile: Vec<f32>,
    /// The revenue of every test profile, for paired comparisons with baselines on the same
    /// sample (not in the JSON report).
    #[serde(skip)]
    pub per_profile_revenue: Vec<f32>,
}

impl EvalReport {
    /// [`EvalReport::per_profile`] as CSV: `profile,bidder,regret` rows.
    pub fn per_profile_csv(&self) -> String {
        let n = self.gradient.bidders.len().max(1);
        let mut s = String::from("profile,bidder,regret\n");
        for (k, r) in self.per_profile.iter().enumerate() {
            s += &format!("{},{},{:e}\n", k / n, k % n, r);
        }
        s
    }
}

impl EvalReport {
    /// One line per estimate that found more than 1.1x the search's regret on the same
    /// profiles: the search is too weak for this model there.
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .estimates
            .iter()
            .filter(|e| e.to_search > 1.1)
            .map(|e| {
                format!(
                    "the {} found {:.2}x the search's regret on its {} profiles: the search is \
                     too weak for this model; raise --restarts or --steps",
                    e.name, e.to_search, e.profiles
                )
            })
            .collect();
        if let Some(c) = self.certified.as_ref().filter(|c| c.violations > 0) {
            out.push(format!(
                "{} profiles and bidders have more regret found than the certificate allows: a \
                 bug in the bound or in an estimate; please report it",
                c.violations
            ));
        }
        out
    }
}

fn stats_lines(label: &str, s: &RegretStats) -> String {
    let mut out = format!(
        "  {label:<10} {:>9.3e} {:>8.1e} {:>9.3e} {:>8.1}%\n",
        s.mean,
        s.se,
        s.max,
        100.0 * s.share_above
    );
    if s.bidders.len() > 1 {
        for (i, b) in s.bidders.iter().enumerate() {
            out += &format!(
                "    bidder {i:<2} {:>9.3e} {:>8.1e} {:>9.3e} {:>8.1}%  q50 {:.2e} q90 {:.2e} q99 {:.2e}\n",
                b.mean, b.se, b.max, 100.0 * b.share_above, b.q50, b.q90, b.q99
            );
        }
    } else if let Some(b) = s.bidders.first() {
        out += &format!(
            "             quantiles q50 {:.2e}  q90 {:.2e}  q99 {:.2e}\n",
            b.q50, b.q90, b.q99
        );
    }
    out
}

impl EvalReport {
    /// A human-readable summary (what `regretnet eval` prints without `--json`).
    pub fn to_text(&self) -> String {
        let p = &self.protocol;
        let corners = if p.corners { " + corners" } else { "" };
        let mut s = format!(
            "setting      {}\nprotocol     {}: {} profiles (seed {}); search from the truthful report{corners} + {} prior draws, {} Adam steps at lr {}\n",
            self.setting, p.name, self.samples, p.seed, p.restarts, p.steps, p.lr
        );
        if self.regret_samples < self.samples {
            s += &format!(
                "subsample    regret on the first {} profiles; revenue and IR on all {}\n",
                self.regret_samples, self.samples
            );
        }
        match self.audit {
            Audit::None => s += "audit        none (grid = 0)\n",
            Audit::Grid => {
                s += &format!(
                    "audit        grid of {} points per item, best {} refined by {} Adam steps\n",
                    p.grid, p.grid_refine_top, p.grid_refine_steps
                )
            }
            Audit::ItemWise => {
                s += &format!(
                    "audit        item-wise: {} points per item, one item at a time\n",
                    p.grid
                )
            }
            Audit::Coordinate => {
                s += &format!(
                    "audit        item-wise grid of {} points per item; coordinate grid ascent ({} values per item, at most {} sweeps) from the truthful report, the search's best misreport, 2 corners and {} prior draws, refined by {} Adam steps; pairwise {}x{} grids on the first {} profiles\n",
                    p.grid,
                    p.coordinate_grid,
                    p.coordinate_sweeps,
                    p.coordinate_starts,
                    p.coordinate_refine_steps,
                    p.pair_grid,
                    p.pair_grid,
                    p.pair_samples.min(self.regret_samples)
                )
            }
        }
        if p.reference_samples > 0 {
            s += &format!(
                "reference    search of {} prior starts + truthful{corners} x {} steps on the first {} profiles\n",
                p.reference_restarts,
                p.reference_steps,
                p.reference_samples.min(self.regret_samples)
            );
        }
        s += &format!(
            "revenue      {:.4} +- {:.4} (standard error)\n",
            self.revenue, self.revenue_se
        );
        if let Some(opt) = self.optimal_revenue {
            s += &format!(
                "optimum      {opt:.4} (the known optimal mechanism on the same profiles)\n"
            );
        }
        if let Some(d) = self.allocation_distance {
            s += &format!(
                "allocation   {:.4} +- {:.4} from the optimum's (mean total variation per item; {:.1}% of profiles above 0.1)\n",
                d.mean,
                d.se,
                100.0 * d.above_0_1
            );
        }
        for b in &self.baselines {
            let paired = b.paired.map_or(String::new(), |d| {
                format!(
                    "; ours {:+.4} +- {:.4} paired ({:+.1} SE, {:+.2}%)",
                    d.mean,
                    d.se,
                    d.z(),
                    100.0 * d.mean / b.revenue
                )
            });
            s += &format!(
                "baseline     {:<26} {:.4} +- {:.4}{paired}\n",
                b.name, b.revenue, b.se
            );
        }
        s += &format!(
            "regret       {:.3e} +- {:.1e} (audited: per profile the largest of every estimate; mean over bidders of the mean over profiles)\n",
            self.regret, self.regret_se
        );
        s += &format!(
            "  {:<10} {:>9} {:>8} {:>9} {:>9}\n",
            "",
            "mean",
            "se",
            "max",
            format!(">{SHARE_THRESHOLD:.0e}")
        );
        s += &stats_lines("gradient", &self.gradient);
        if let Some(a) = &self.audit_stats {
            s += &stats_lines(&self.audit.to_string(), a);
            s += &stats_lines("audited", &self.audited);
        }
        if let Some(r) = self.audit_to_gradient {
            s += &format!("audit/search {r:.3} (mean audit regret over mean gradient regret)\n");
        }
        if !self.estimates.is_empty() {
            s += "estimates    mean regret over the profiles each covered, and its ratio to the search's there\n";
            for e in &self.estimates {
                s += &format!(
                    "  {:<28} {:>6} profiles {:>9.3e}  search {:>9.3e}  ratio {:.3}\n",
                    e.name, e.profiles, e.mean, e.search_mean, e.to_search
                );
            }
        }
        if let Some(r) = &self.reference {
            s += &format!(
                "reference    {:.3e} on {} profiles ({:.0} s): the default search found {:.1}% of it, the audit {:.1}%\n",
                r.regret,
                r.profiles,
                r.seconds,
                100.0 * r.search_share,
                100.0 * r.audit_share
            );
        }
        if let Some(c) = &self.certified {
            s += &format!(
                "certified    {:.3e} +- {:.1e} proven upper bound on {} profiles (max {:.2e}; q50 {:.2e} q90 {:.2e} q99 {:.2e}); {:.1}% within tol {:.0e} ({} boxes at most, {:.0} on average, {:.1} s); audited {:.3e} and branch and bound {:.3e} on the same profiles\n",
                c.mean,
                c.se,
                c.profiles,
                c.max,
                c.quantiles[0],
                c.quantiles[1],
                c.quantiles[2],
                100.0 * c.share_within_tol,
                c.tol,
                c.budget,
                c.boxes,
                c.seconds,
                c.audited,
                c.found
            );
        }
        for w in self.warnings() {
            s += &format!("warning      {w}\n");
        }
        s += &format!("IR violation {:.3e}\n", self.ir_violation);
        if let Some(menu) = &self.menu {
            s += &menu.to_text();
        }
        s += &format!(
            "time         {:.1} s ({:.1} s search, {:.1} s audit{}) on {} threads\n",
            self.timings.total,
            self.timings.search,
            self.timings.audit,
            if self.reference.is_some() {
                format!(", {:.1} s reference search", self.timings.reference)
            } else {
                String::new()
            },
            self.threads
        );
        s
    }
}

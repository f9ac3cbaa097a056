//! Across seeds: `regretnet probe --runs DIR...` aggregates the probes of runs that differ only
//! in their seed, with 95% confidence intervals (Student t over runs), and tallies every claim
//! of the [`super::verdict`]. A claim is reported as established only when it holds in every
//! run of at least [`MIN_RUNS`]; otherwise the tally says how it failed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::analysis::ProbeSummary;
use super::report::{write, PROBE_DIR, SUMMARY_JSON};
use super::verdict::CLAIMS;
use crate::error::{Result, TrainError};

/// Runs needed before a finding counts as established.
pub const MIN_RUNS: usize = 5;

/// Check that `runs` can be aggregated as seeds of one experiment, before anything is probed:
/// no run directory twice (the same run counted twice would fake agreement), and every run's
/// resolved config equal to the first's except for `train.seed`.
pub fn check_runs(runs: &[PathBuf]) -> Result<()> {
    let mut seen: Vec<(PathBuf, &PathBuf)> = Vec::new();
    let mut first: Option<(crate::core::Config, &PathBuf)> = None;
    for dir in runs {
        let canonical = std::fs::canonicalize(dir).map_err(|e| TrainError::io(dir, e))?;
        if let Some((_, other)) = seen.iter().find(|(c, _)| *c == canonical) {
            return Err(TrainError::Probe(format!(
                "{} is given twice (also as {}): each run counts once across seeds",
                dir.display(),
                other.display()
            )));
        }
        seen.push((canonical, dir));
        let mut config = crate::run::rundir::RunDir::open(dir)?.read_config()?;
        config.train.seed = 0;
        config.regretnet_version = None;
        match &first {
            None => first = Some((config, dir)),
            Some((c, f)) if *c != config => {
                return Err(TrainError::Probe(format!(
                    "{} and {} differ in more than their seed (config.toml); aggregate runs of \
                     one configuration",
                    f.display(),
                    dir.display()
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Mean and 95% confidence interval of one quantity over runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Runs with a value.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Half-width of the 95% interval (`t_{0.975, n-1} s / sqrt(n)`; infinite for `n < 2`).
    pub half_width: f64,
}

/// Two-sided 95% Student t quantiles for 1..=30 degrees of freedom (standard tables).
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

impl Stat {
    /// Mean and 95% interval of the finite values of `v`.
    ///
    /// ```
    /// use regretnet_train::analysis::probe::seeds::Stat;
    /// let s = Stat::of(&[1.0, 2.0, 3.0]);
    /// assert_eq!(s.mean, 2.0);
    /// // sd 1, n 3: 4.303 / sqrt(3)
    /// assert!((s.half_width - 4.303 / 3f64.sqrt()).abs() < 1e-12);
    /// ```
    pub fn of(v: &[f64]) -> Stat {
        let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        let n = v.len();
        if n == 0 {
            return Stat {
                n,
                mean: f64::NAN,
                half_width: f64::INFINITY,
            };
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Stat {
                n,
                mean,
                half_width: f64::INFINITY,
            };
        }
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let t = T975.get(n - 2).copied().unwrap_or(1.96);
        Stat {
            n,
            mean,
            half_width: t * sd / (n as f64).sqrt(),
        }
    }

    /// `mean ± half_width` with `digits` (scientific with `sci`).
    pub fn show(&self, digits: usize, sci: bool) -> String {
        if self.n == 0 {
            return "-".into();
        }
        if sci {
            format!("{:.digits$e} ± {:.1e}", self.mean, self.half_width)
        } else {
            format!("{:.digits$} ± {:.digits$}", self.mean, self.half_width)
        }
    }
}

/// How one claim fared across the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimTally {
    /// Claim id.
    pub id: String,
    /// The claim.
    pub statement: String,
    /// Runs where it holds.
    pub holds: usize,
    /// Runs where it fails.
    pub fails: usize,
    /// Runs where it was undecided.
    pub undecided: usize,
    /// In words: established, rejected, or not established and why.
    pub status: String,
}

/// One intervention across runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterventionStat {
    /// `rollback`, `swap` or `ablation`.
    pub kind: String,
    /// Layer or network.
    pub target: String,
    /// `init`, `early` or `-`.
    pub source: String,
    /// Revenue change.
    pub d_revenue: Stat,
    /// Audited regret change.
    pub d_regret: Stat,
}

/// The aggregate of several runs' probes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Setting.
    pub setting: String,
    /// The runs, with their seeds.
    pub runs: Vec<(String, u64)>,
    /// First iteration of settled regret (runs where it settles).
    pub regret_from: Stat,
    /// Runs where regret never settles below the threshold.
    pub regret_never: usize,
    /// First iteration of settled revenue.
    pub revenue_from: Stat,
    /// Final revenue.
    pub final_revenue: Stat,
    /// Final audited regret.
    pub final_regret: Stat,
    /// Every claim's tally.
    pub claims: Vec<ClaimTally>,
    /// Per layer: the regret terms' share of the gradient.
    pub regret_share: Vec<(String, Stat)>,
    /// Per layer: the mean cosine between the two terms' gradients.
    pub cosine: Vec<(String, Stat)>,
    /// Per layer: movement since init at the end.
    pub movement: Vec<(String, Stat)>,
    /// Every intervention.
    pub interventions: Vec<InterventionStat>,
    /// Per layer and target: held-out R^2 at the final checkpoint.
    pub probes: Vec<(String, String, Stat)>,
}

/// Read `RUN/probe/summary.json`.
pub fn read_summary(run: &Path) -> Result<ProbeSummary> {
    let p = run.join(PROBE_DIR).join(SUMMARY_JSON);
    let text = std::fs::read_to_string(&p).map_err(|e| {
        TrainError::Probe(format!(
            "{}: {e} (probe the run first: regretnet probe {})",
            p.display(),
            run.display()
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| TrainError::Probe(format!("{} is not a probe summary: {e}", p.display())))
}

fn tally(k: usize, runs: &[ProbeSummary]) -> ClaimTally {
    let get = |s: &ProbeSummary| s.verdict.claims.get(k).and_then(|c| c.holds);
    let holds = runs.iter().filter(|s| get(s) == Some(true)).count();
    let fails = runs.iter().filter(|s| get(s) == Some(false)).count();
    let undecided = runs.len() - holds - fails;
    let n = runs.len();
    let status = if n < MIN_RUNS {
        format!("not established: {n} run(s), at least {MIN_RUNS} needed ({holds} hold)")
    } else if holds == n {
        format!("established: holds in all {n} runs")
    } else if fails == n {
        format!("rejected: fails in all {n} runs")
    } else {
        format!(
            "not established: holds in {holds} of {n} runs ({fails} fail, {undecided} undecided)"
        )
    };
    ClaimTally {
        id: CLAIMS[k].0.into(),
        statement: CLAIMS[k].1.into(),
        holds,
        fails,
        undecided,
        status,
    }
}

/// Aggregate the probe summaries of runs of one setting.
pub fn aggregate(runs: &[ProbeSummary]) -> Result<Aggregate> {
    let first = runs
        .first()
        .ok_or_else(|| TrainError::Probe("no runs to aggregate".into()))?;
    if let Some(other) = runs.iter().find(|s| s.setting != first.setting) {
        return Err(TrainError::Probe(format!(
            "runs of different settings: {} ({}) and {} ({})",
            first.run, first.setting, other.run, other.setting
        )));
    }
    let stat = |f: &dyn Fn(&ProbeSummary) -> Option<f64>| {
        Stat::of(&runs.iter().filter_map(f).collect::<Vec<_>>())
    };
    let per_layer = |f: &dyn Fn(&super::analysis::LayerTrace) -> f64| -> Vec<(String, Stat)> {
        first
            .trace
            .iter()
            .map(|t| {
                let l = &t.layer;
                (
                    l.clone(),
                    stat(&|s| s.trace.iter().find(|x| &x.layer == l).map(f)),
                )
            })
            .collect()
    };
    let regret_share = per_layer(&|x| x.regret_share);
    let cosine = per_layer(&|x| x.cosine);
    let movement = per_layer(&|x| x.movement);
    let source_label = |s: &ProbeSummary, src: Option<u64>| match src {
        None => "-".to_string(),
        Some(0) => "init".to_string(),
        Some(x) if x == s.iterations => "final".to_string(),
        Some(_) => "early".to_string(),
    };
    let mut interventions: Vec<InterventionStat> = Vec::new();
    for i in &first.interventions {
        let label = source_label(first, i.source);
        let pick = |s: &ProbeSummary| {
            s.interventions
                .iter()
                .find(|j| {
                    j.kind == i.kind && j.target == i.target && source_label(s, j.source) == label
                })
                .cloned()
        };
        interventions.push(InterventionStat {
            kind: i.kind.clone(),
            target: i.target.clone(),
            source: label.clone(),
            d_revenue: stat(&|s| pick(s).map(|j| j.d_revenue)),
            d_regret: stat(&|s| pick(s).map(|j| j.d_regret)),
        });
    }
    let mut probes = Vec::new();
    for p in first
        .probes
        .iter()
        .filter(|p| p.iteration == first.iterations)
    {
        let at = |s: &ProbeSummary| {
            s.probes
                .iter()
                .find(|q| q.iteration == s.iterations && q.layer == p.layer && q.target == p.target)
                .and_then(|q| q.r2)
        };
        probes.push((p.layer.clone(), p.target.clone(), stat(&at)));
    }
    Ok(Aggregate {
        setting: first.setting.clone(),
        runs: runs.iter().map(|s| (s.run.clone(), s.seed)).collect(),
        regret_from: stat(&|s| s.when.regret_from.map(|x| x as f64)),
        regret_never: runs.iter().filter(|s| s.when.regret_from.is_none()).count(),
        revenue_from: stat(&|s| s.when.revenue_from.map(|x| x as f64)),
        final_revenue: stat(&|s| Some(s.when.final_revenue)),
        final_regret: stat(&|s| Some(s.when.final_regret)),
        claims: (0..CLAIMS.len()).map(|k| tally(k, runs)).collect(),
        regret_share,
        cosine,
        movement,
        interventions,
        probes,
    })
}

/// `REPORT.md` of an aggregate.
pub fn aggregate_markdown(a: &Aggregate) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Probe of {} across {} runs\n\nRuns (seed): {}. Intervals are 95% Student t intervals \
         over runs; a claim is established only when it holds in every one of at least {MIN_RUNS} \
         runs. Method: docs/EXPLAINABILITY.md.\n",
        a.setting,
        a.runs.len(),
        a.runs
            .iter()
            .map(|(r, s)| format!("`{r}` ({s})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        md,
        "## Claims\n\n| claim | holds / fails / undecided | status |\n|---|---|---|"
    );
    for c in &a.claims {
        let _ = writeln!(
            md,
            "| {} | {} / {} / {} | {} |",
            c.statement, c.holds, c.fails, c.undecided, c.status
        );
    }
    let _ = writeln!(
        md,
        "\n## When\n\n- audited regret settles below the threshold from iteration {} ({} of {} \
         runs never settle)\n- revenue settles within the tolerance from iteration {}\n- final \
         revenue {}, final audited regret {}\n",
        a.regret_from.show(0, false),
        a.regret_never,
        a.runs.len(),
        a.revenue_from.show(0, false),
        a.final_revenue.show(4, false),
        a.final_regret.show(2, true)
    );
    let _ = writeln!(
        md,
        "## Layer trace\n\nThe regret terms' share of each layer's gradient (mean over training), \
         the mean cosine between the two terms' gradients, and the movement since init at the \
         end.\n\n| layer | share | cosine | movement |\n|---|---|---|---|"
    );
    for ((l, s), ((_, c), (_, m))) in a.regret_share.iter().zip(a.cosine.iter().zip(&a.movement)) {
        let _ = writeln!(
            md,
            "| {l} | {} | {} | {} |",
            s.show(3, false),
            c.show(3, false),
            m.show(3, false)
        );
    }
    let _ = writeln!(
        md,
        "\n## Interventions on the final net\n\n| intervention | target | from | revenue change | audited regret change |\n|---|---|---|---|---|"
    );
    for i in &a.interventions {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            i.kind,
            i.target,
            i.source,
            i.d_revenue.show(4, false),
            i.d_regret.show(2, true)
        );
    }
    let _ = writeln!(
        md,
        "\n## Linear probes at the final checkpoint (held-out R^2)\n\n| layer | target | R^2 |\n|---|---|---|"
    );
    for (l, t, s) in &a.probes {
        let _ = writeln!(md, "| {l} | {t} | {} |", s.show(3, false));
    }
    md
}

/// Write `aggregate.json` and `REPORT.md` to `out`; returns the files.
pub fn write_aggregate(out: &Path, a: &Aggregate) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    let json = serde_json::to_string_pretty(a)
        .map_err(|e| TrainError::Probe(format!("cannot serialise the aggregate: {e}")))?;
    let (j, r) = (out.join("aggregate.json"), out.join("REPORT.md"));
    write(&j, &json)?;
    write(&r, &aggregate_markdown(a))?;
    Ok(vec![j, r])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::probe::analysis::{Intervention, LayerTrace, Point, ProbeConfig, When};
    use crate::analysis::probe::verdict::{Claim, Verdict};

    fn summary(
        seed: u64,
        setting: &str,
        first_holds: bool,
        regret_from: Option<u64>,
    ) -> ProbeSummary {
        let claims = CLAIMS
            .iter()
            .enumerate()
            .map(|(k, (id, st))| Claim {
                id: id.to_string(),
                statement: st.to_string(),
                holds: if k == 0 {
                    Some(first_holds)
                } else {
                    Some(false)
                },
                evidence: String::new(),
            })
            .collect();
        ProbeSummary {
            run: format!("run{seed}"),
            setting: setting.into(),
            seed,
            iterations: 1000,
            config: ProbeConfig::default(),
            timeline: vec![Point {
                iteration: 1000,
                revenue: 0.5,
                regret: 1e-4,
            }],
            when: When {
                regret_from,
                revenue_from: Some(500),
                final_revenue: 0.5 + seed as f64 * 0.01,
                final_regret: 1e-4,
            },
            probes: vec![],
            interventions: vec![Intervention {
                kind: "rollback".into(),
                target: "alloc.out".into(),
                source: Some(100 + seed),
                revenue: 0.4,
                regret: 1e-3,
                d_revenue: -0.1 * seed as f64,
                d_regret: 9e-4,
            }],
            trace: vec![LayerTrace {
                layer: "alloc.out".into(),
                regret_share: 0.5,
                regret_share_early: 0.5,
                regret_share_late: 0.5,
                cosine: 0.0,
                movement: 1.0,
            }],
            verdict: Verdict {
                claims,
                overall: "mixed".into(),
            },
            seconds: 1.0,
        }
    }

    #[test]
    fn stat_is_the_t_interval() {
        // Five values 1..5: mean 3, sd sqrt(2.5), t(0.975, 4) = 2.776.
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN]);
        assert_eq!(s.n, 5);
        assert!((s.mean - 3.0).abs() < 1e-12);
        assert!((s.half_width - 2.776 * 2.5f64.sqrt() / 5f64.sqrt()).abs() < 1e-9);
        assert!(Stat::of(&[1.0]).half_width.is_infinite());
        assert_eq!(Stat::of(&[]).show(3, false), "-");
    }

    #[test]
    fn claims_are_established_only_in_every_one_of_five_runs() {
        let five: Vec<_> = (1..=5).map(|s| summary(s, "x", true, Some(100))).collect();
        let a = aggregate(&five).unwrap();
        assert_eq!(a.claims[0].status, "established: holds in all 5 runs");
        assert_eq!(a.claims[1].status, "rejected: fails in all 5 runs");
        // Early checkpoints differ by seed but match as "early"; means over the five runs.
        assert_eq!(a.interventions[0].source, "early");
        assert_eq!(a.interventions[0].d_revenue.n, 5);
        assert!((a.interventions[0].d_revenue.mean + 0.3).abs() < 1e-12);
        assert!((a.final_revenue.mean - 0.53).abs() < 1e-12);

        let mut mixed = five.clone();
        mixed[2] = summary(3, "x", false, None);
        let a = aggregate(&mixed).unwrap();
        assert!(a.claims[0]
            .status
            .starts_with("not established: holds in 4 of 5"));
        assert_eq!(a.regret_never, 1);
        assert_eq!(a.regret_from.n, 4);

        let a = aggregate(&five[..4]).unwrap();
        assert!(a.claims[0].status.contains("at least 5 needed"));
        let md = aggregate_markdown(&a);
        assert!(md.contains("across 4 runs") && md.contains("at least 5 needed"));
    }

    #[test]
    fn different_settings_or_no_runs_do_not_aggregate() {
        assert!(aggregate(&[]).is_err());
        let e = aggregate(&[summary(1, "a", true, None), summary(2, "b", true, None)]).unwrap_err();
        assert!(e.to_string().contains("different settings"));
    }
}

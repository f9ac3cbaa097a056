//! The revenue-regret frontier of one or more runs (`regretnet frontier`): every kept checkpoint
//! evaluated with the audited protocol on one test sample and compared, profile by profile, with
//! every baseline on that sample; then, for each regret bound, the checkpoint of highest revenue
//! whose audited regret is within it.
//!
//! Mean regret buys revenue: a learned mechanism can beat an exactly incentive-compatible
//! baseline (item-wise Myerson, say) only by selling regret. Reading revenue at several regret
//! bounds shows whether a margin survives as regret goes to zero (a better mechanism) or
//! vanishes with it (regret selling). Checkpoints are the points of one training run, whose
//! penalty grows over time; runs trained to other regret targets (`reproduce
//! --regret-targets 1e-3,3e-4,1e-4`) add their checkpoints as points of the same frontier, all
//! on the same sample under the first run's protocol. Every run must be of the same setting.
//!
//! Each checkpoint's evaluation is kept in `RUN/frontier/iter-<iteration>.json` (written as soon
//! as it is done) with the protocol it ran under, and reused when `frontier` runs again under
//! the same protocol: a killed run resumes at the next checkpoint, and a rerun after more
//! training evaluates only the new checkpoints. A run's checkpoint at a given iteration always
//! holds the same weights (training is deterministic; `train --force` removes the directory).

use std::path::{Path, PathBuf};

use regretnet_core::baselines::{baseline_revenues, paired, BaselineRevenue, PairedDifference};
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_nets::{checkpoint, NetSpec};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::eval::{evaluate, Protocol};
use crate::run::rundir::RunDir;

/// The regret bounds reported by default: 1e-3 (the paper's), 3e-4 and 1e-4.
pub const DEFAULT_BOUNDS: [f64; 3] = [1e-3, 3e-4, 1e-4];

/// One evaluated checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// Its run's directory name (the last component of the run's path).
    pub run: String,
    /// Its training iteration.
    pub iteration: u64,
    /// Its file.
    pub checkpoint: PathBuf,
    /// Mean revenue on the sample and its standard error.
    pub revenue: f64,
    /// Standard error of `revenue`.
    pub revenue_se: f64,
    /// Audited regret (the evaluation's headline).
    pub regret: f64,
    /// The gradient search's regret.
    pub search_regret: f64,
    /// Every baseline on the same sample, with the paired difference from this checkpoint.
    pub baselines: Vec<BaselineRevenue>,
}

impl FrontierPoint {
    /// The baseline the verdicts use: the known optimum where there is one, else item-wise
    /// Myerson where it applies, else the baseline of highest revenue.
    pub fn reference(&self) -> Option<&BaselineRevenue> {
        let named = |n: &str| self.baselines.iter().find(|b| b.name == n);
        named("known optimum")
            .or_else(|| named("item-wise Myerson"))
            .or_else(|| {
                self.baselines
                    .iter()
                    .max_by(|a, b| a.revenue.total_cmp(&b.revenue))
            })
    }
}

/// A regret bound and the checkpoint of highest revenue within it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierBound {
    /// The bound on the audited regret.
    pub bound: f64,
    /// Index into [`Frontier::points`] of the best checkpoint within it, if any is.
    pub best: Option<usize>,
}

/// A run's frontier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frontier {
    /// The setting.
    pub setting: String,
    /// The protocol every checkpoint was evaluated under.
    pub protocol: Protocol,
    /// The runs, in the order given.
    pub runs: Vec<PathBuf>,
    /// Every checkpoint: run by run in the order given, each run's oldest first.
    pub points: Vec<FrontierPoint>,
    /// The bounds, as given.
    pub bounds: Vec<FrontierBound>,
}

/// One checkpoint's evaluation as `frontier` keeps it for reuse.
#[derive(Debug, Serialize, Deserialize)]
struct SavedEvaluation {
    iteration: u64,
    /// The protocol, as JSON: reused only under the same one.
    protocol: serde_json::Value,
    revenue: f64,
    revenue_se: f64,
    regret: f64,
    search_regret: f64,
    per_profile_revenue: Vec<f32>,
}

fn saved_path(run: &RunDir, iteration: u64) -> PathBuf {
    run.path()
        .join("frontier")
        .join(format!("iter-{iteration:09}.json"))
}

/// The kept evaluation of `iteration` under `protocol`, if there is one that fits: a file that
/// does not parse or was made under another protocol is ignored (and overwritten).
fn load_saved(
    run: &RunDir,
    iteration: u64,
    protocol: &serde_json::Value,
) -> Option<SavedEvaluation> {
    let text = std::fs::read_to_string(saved_path(run, iteration)).ok()?;
    let saved: SavedEvaluation = serde_json::from_str(&text).ok()?;
    (saved.iteration == iteration && &saved.protocol == protocol).then_some(saved)
}

/// Evaluate every periodic checkpoint of every run in `runs` under `protocol` (on one test
/// sample) and read off the best revenue at each of `bounds`, reusing the evaluations kept in
/// each `RUN/frontier/` under the same protocol. Every run must be of the first run's setting,
/// and hold a checkpoint. `progress` receives (checkpoints done, checkpoints in all) after each.
pub fn frontier(
    runs: &[RunDir],
    protocol: &Protocol,
    bounds: &[f64],
    threads: usize,
    progress: Option<&dyn Fn(usize, usize)>,
) -> Result<Frontier> {
    let Some(first) = runs.first() else {
        return Err(TrainError::Report(
            "a frontier needs at least one run".into(),
        ));
    };
    let config = first.read_config()?;
    let setting = config.setting.build()?;
    let mut all = Vec::with_capacity(runs.len());
    for run in runs {
        let c = run.read_config()?;
        if c.setting != config.setting {
            return Err(TrainError::RunDir {
                path: run.path().display().to_string(),
                reason: format!(
                    "is a run of setting `{}`, not of `{}` like {}: a frontier compares runs \
                     of one setting",
                    c.setting.name,
                    config.setting.name,
                    first.path().display()
                ),
            });
        }
        let checkpoints = run.checkpoints()?;
        if checkpoints.is_empty() {
            return Err(TrainError::RunDir {
                path: run.path().display().to_string(),
                reason: "has no checkpoint to evaluate (checkpoints/iter-*.safetensors)".into(),
            });
        }
        let spec = NetSpec {
            setting: c.setting.clone(),
            net: c.net.clone(),
        };
        all.push((run, spec, checkpoints));
    }
    let total: usize = all.iter().map(|(_, _, c)| c.len()).sum();
    let profiles = setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    );
    let theirs = baseline_revenues(&setting, &profiles);
    let key = serde_json::to_value(protocol).map_err(|e| TrainError::Report(e.to_string()))?;
    let mut points = Vec::with_capacity(total);
    for (run, spec, checkpoints) in &all {
        let dir = run.path().join("frontier");
        std::fs::create_dir_all(&dir).map_err(|e| TrainError::io(&dir, e))?;
        let name = run_name(run.path());
        for (iteration, path) in checkpoints {
            let saved = match load_saved(run, *iteration, &key) {
                Some(saved) => saved,
                None => {
                    let ckpt = checkpoint::load_model_expecting(path, spec)?;
                    let report = evaluate(&ckpt.model, &setting, protocol, threads, None)?;
                    let saved = SavedEvaluation {
                        iteration: *iteration,
                        protocol: key.clone(),
                        revenue: report.revenue,
                        revenue_se: report.revenue_se,
                        regret: report.regret,
                        search_regret: report.gradient.mean,
                        per_profile_revenue: report.per_profile_revenue.clone(),
                    };
                    let out = saved_path(run, *iteration);
                    let json = serde_json::to_string(&saved)
                        .map_err(|e| TrainError::Report(e.to_string()))?;
                    checkpoint::write_atomic(&out, json.as_bytes())
                        .map_err(|e| TrainError::io(&out, e))?;
                    saved
                }
            };
            let ours: Vec<f64> = saved
                .per_profile_revenue
                .iter()
                .map(|&r| r as f64)
                .collect();
            let baselines = theirs
                .iter()
                .map(|(name, r)| paired(name, r, &ours))
                .collect();
            points.push(FrontierPoint {
                run: name.clone(),
                iteration: *iteration,
                checkpoint: path.clone(),
                revenue: saved.revenue,
                revenue_se: saved.revenue_se,
                regret: saved.regret,
                search_regret: saved.search_regret,
                baselines,
            });
            if let Some(p) = progress {
                p(points.len(), total);
            }
        }
    }
    let bounds = bounds
        .iter()
        .map(|&bound| FrontierBound {
            bound,
            best: best_within(&points, bound),
        })
        .collect();
    Ok(Frontier {
        setting: setting.name.clone(),
        protocol: protocol.clone(),
        runs: runs.iter().map(|r| r.path().to_path_buf()).collect(),
        points,
        bounds,
    })
}

/// A run's name in the tables: its directory's last component.
fn run_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The point of highest revenue whose audited regret is at most `bound` (the earliest among
/// equals).
pub fn best_within(points: &[FrontierPoint], bound: f64) -> Option<usize> {
    points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.regret <= bound)
        .fold(None, |best: Option<(usize, f64)>, (i, p)| match best {
            Some((_, r)) if r >= p.revenue => best,
            _ => Some((i, p.revenue)),
        })
        .map(|(i, _)| i)
}

fn versus(p: &FrontierPoint) -> String {
    match p.reference() {
        Some(b) => {
            let d = b.paired.unwrap_or(PairedDifference { mean: 0.0, se: 0.0 });
            format!(
                "{:+.4} ± {:.4} ({:+.1} SE) vs {} {:.4}",
                d.mean,
                d.se,
                d.z(),
                b.name,
                b.revenue
            )
        }
        None => "no baseline".into(),
    }
}

impl Frontier {
    /// Write the frontier into directory `dir` (the run's own for one run) as
    /// `frontier-<protocol>.json` and `frontier-<protocol>.md` (atomically); returns the two
    /// paths.
    pub fn save(&self, dir: &Path) -> Result<[PathBuf; 2]> {
        let json =
            serde_json::to_string_pretty(self).map_err(|e| TrainError::Report(e.to_string()))?;
        let md = self.to_markdown();
        let name = &self.protocol.name;
        let paths = [
            dir.join(format!("frontier-{name}.json")),
            dir.join(format!("frontier-{name}.md")),
        ];
        for (path, text) in paths.iter().zip([&json, &md]) {
            checkpoint::write_atomic(path, text.as_bytes()).map_err(|e| TrainError::io(path, e))?;
        }
        Ok(paths)
    }

    /// The frontier as Markdown: the best checkpoint at each bound, then every checkpoint.
    pub fn to_markdown(&self) -> String {
        let p = &self.protocol;
        let mut s = format!(
            "# Revenue-regret frontier: {}\n\nEvery checkpoint evaluated under protocol `{}` \
             ({} test profiles, seed {}; search {} prior starts + truthful + corners x {} \
             steps; audited), and compared profile by profile with every baseline on the same \
             profiles (paired differences: ours minus theirs, with their standard error).\n\n",
            self.setting, p.name, p.samples, p.seed, p.restarts, p.steps
        );
        // Several runs: a column names each point's run.
        let several = self.runs.len() > 1;
        let run = |pt: &FrontierPoint| match several {
            true => format!(" {} |", pt.run),
            false => String::new(),
        };
        let (run_head, run_rule) = match several {
            true => (" run |", "---|"),
            false => ("", ""),
        };
        s += &format!(
            "| audited regret at most |{run_head} iteration | revenue | audited regret | vs baseline (paired) |\n|---|{run_rule}---|---|---|---|\n"
        );
        for b in &self.bounds {
            match b.best.and_then(|i| self.points.get(i)) {
                Some(pt) => {
                    s += &format!(
                        "| {:.0e} |{} {} | {:.4} ± {:.4} | {:.2e} | {} |\n",
                        b.bound,
                        run(pt),
                        pt.iteration,
                        pt.revenue,
                        pt.revenue_se,
                        pt.regret,
                        versus(pt)
                    )
                }
                None => {
                    s += &format!(
                        "| {:.0e} | none within the bound | | | |{}\n",
                        b.bound,
                        " |".repeat(usize::from(several))
                    )
                }
            }
        }
        s += &format!(
            "\n## Every checkpoint\n\n|{run_head} iteration | revenue | search regret | audited regret | vs baseline (paired) |\n|{run_rule}---|---|---|---|---|\n"
        );
        for pt in &self.points {
            s += &format!(
                "|{} {} | {:.4} ± {:.4} | {:.2e} | {:.2e} | {} |\n",
                run(pt),
                pt.iteration,
                pt.revenue,
                pt.revenue_se,
                pt.search_regret,
                pt.regret,
                versus(pt)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(iteration: u64, revenue: f64, regret: f64) -> FrontierPoint {
        FrontierPoint {
            run: "run".into(),
            iteration,
            checkpoint: PathBuf::from(format!("iter-{iteration}")),
            revenue,
            revenue_se: 0.01,
            regret,
            search_regret: regret,
            baselines: vec![BaselineRevenue {
                name: "item-wise Myerson".into(),
                revenue: 5.3125,
                se: 0.01,
                paired: Some(PairedDifference {
                    mean: revenue - 5.3125,
                    se: 0.005,
                }),
            }],
        }
    }

    /// A 3x10 frontier of `points` from `runs` at the default bounds.
    fn frontier_of(points: Vec<FrontierPoint>, runs: &[&str]) -> Frontier {
        Frontier {
            setting: "additive_3x10_uniform".into(),
            protocol: Protocol::from_config("default", &regretnet_core::EvalConfig::default()),
            runs: runs.iter().map(PathBuf::from).collect(),
            bounds: DEFAULT_BOUNDS
                .iter()
                .map(|&bound| FrontierBound {
                    bound,
                    best: best_within(&points, bound),
                })
                .collect(),
            points,
        }
    }

    #[test]
    fn the_best_within_a_bound_is_the_highest_revenue_at_or_below_it() {
        // Revenue falls as regret is squeezed out: 5.60 at 2e-3, 5.45 at 8e-4, 5.40 at 2e-4,
        // 5.41 at 2.5e-4 (a later checkpoint that gains a little back).
        let pts = vec![
            point(5_000, 5.60, 2e-3),
            point(10_000, 5.45, 8e-4),
            point(15_000, 5.40, 2e-4),
            point(20_000, 5.41, 2.5e-4),
        ];
        assert_eq!(best_within(&pts, 1e-3), Some(1));
        assert_eq!(best_within(&pts, 3e-4), Some(3));
        assert_eq!(best_within(&pts, 2e-4), Some(2));
        assert_eq!(best_within(&pts, 1e-4), None);
        assert_eq!(best_within(&pts, 1.0), Some(0));
        let f = frontier_of(pts, &["runs/3x10"]);
        let md = f.to_markdown();
        assert!(md.contains(
            "| 1e-3 | 10000 | 5.4500 ± 0.0100 | 8.00e-4 | +0.1375 ± 0.0050 (+27.5 SE) vs \
             item-wise Myerson 5.3125 |"
        ));
        assert!(md.contains("| 1e-4 | none within the bound | | | |\n"));
        assert_eq!(md.matches("\n| 5000 |").count(), 1);
        assert!(!md.contains(" run |"), "one run: no run column");
    }

    #[test]
    fn several_runs_share_one_frontier_and_each_point_names_its_run() {
        // Two target runs: the looser one holds the 1e-3 point, the tighter one the 3e-4 point.
        let mut pts = vec![point(5_000, 5.45, 8e-4), point(5_000, 5.40, 2.5e-4)];
        pts[0].run = "additive_3x10_uniform-target1e-3".into();
        pts[1].run = "additive_3x10_uniform-target3e-4".into();
        let f = frontier_of(
            pts,
            &[
                "t/additive_3x10_uniform-target1e-3",
                "t/additive_3x10_uniform-target3e-4",
            ],
        );
        let md = f.to_markdown();
        assert!(md.contains("| audited regret at most | run | iteration |"));
        assert!(md.contains("| 1e-3 | additive_3x10_uniform-target1e-3 | 5000 | 5.4500 ± 0.0100 |"));
        assert!(md.contains("| 3e-4 | additive_3x10_uniform-target3e-4 | 5000 | 5.4000 ± 0.0100 |"));
        assert!(md.contains("| 1e-4 | none within the bound | | | | |\n"));
        assert!(md.contains("\n| additive_3x10_uniform-target3e-4 | 5000 | 5.4000 ± 0.0100 |"));
        // Every row of both tables has the same number of cells as its header.
        for table in md.split("\n\n").filter(|t| t.starts_with('|')) {
            let cells: Vec<usize> = table.lines().map(|l| l.matches('|').count()).collect();
            assert!(cells.iter().all(|&c| c == cells[0]), "{table}");
        }
    }
}

//! The probe of one run: evaluations of its trace checkpoints, linear probes, interventions.

use std::time::Instant;

use candle_core::{Device, Tensor};
use rand::seq::index::sample;
use regretnet_core::optimal::known_optimum;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{EvalConfig, Setting};
use regretnet_nets::{checkpoint, Part, RegretNet, WeightGrad};
use regretnet_regret::utility::truthful_utilities;
use serde::{Deserialize, Serialize};

use super::ridge::probe_r2;
use super::verdict::{judge, Verdict};
use crate::error::{Result, TrainError};
use crate::eval::{evaluate, Protocol};
use crate::run::metrics::TRACE_CSV;
use crate::run::rundir::RunDir;
use crate::run::trace::{parse_trace, TraceRow};

/// What the probe measures and how hard it searches. The evaluation of every checkpoint and
/// intervention is the audited one ([`crate::evaluate()`]) with a protocol sized for the ~35
/// calls a probe makes; its test sample (`samples` profiles, `seed`) is also the linear
/// probes' sample (first half fits, second half scores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeConfig {
    /// Profiles of the probe sample.
    pub samples: usize,
    /// Seed of the probe sample, the search's starts and the ablated units.
    pub seed: u64,
    /// Prior-drawn starts per profile and bidder (besides the truthful report and corners).
    pub restarts: usize,
    /// Adam steps per start.
    pub steps: usize,
    /// Audit grid points per report coordinate.
    pub grid: usize,
    /// "Incentive compatible" below this audited regret (mean over bidders).
    pub regret_threshold: f64,
    /// "Revenue settled" within this fraction of the final revenue.
    pub revenue_tolerance: f64,
    /// Fraction of a hidden layer's units that mean ablation fixes.
    pub ablate_fraction: f64,
    /// The early checkpoint of the rollbacks: the trace checkpoint nearest this fraction of
    /// the run.
    pub early_fraction: f64,
    /// Ridge penalty per fitting row ([`super::ridge`]).
    pub alpha: f64,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            samples: 1000,
            seed: 100,
            restarts: 2,
            steps: 100,
            grid: 41,
            regret_threshold: 1e-3,
            revenue_tolerance: 0.01,
            ablate_fraction: 0.5,
            early_fraction: 0.1,
            alpha: super::ridge::DEFAULT_ALPHA,
        }
    }
}

impl ProbeConfig {
    /// The evaluation protocol of checkpoints and interventions.
    pub fn protocol(&self) -> Protocol {
        let e = EvalConfig {
            samples: self.samples,
            seed: self.seed,
            restarts: self.restarts,
            corners: true,
            steps: self.steps,
            grid: self.grid,
            grid_refine_top: 2,
            grid_refine_steps: 25,
            ..EvalConfig::default()
        };
        Protocol::from_config("probe", &e)
    }
}

/// Revenue and audited regret of one net on the probe sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Training iterations of the checkpoint.
    pub iteration: u64,
    /// Mean revenue.
    pub revenue: f64,
    /// Audited regret, mean over bidders.
    pub regret: f64,
}

/// When the two properties settle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct When {
    /// The first checkpoint from which the audited regret stays at or below
    /// [`ProbeConfig::regret_threshold`] (`None`: it never does).
    pub regret_from: Option<u64>,
    /// The first checkpoint from which revenue stays within [`ProbeConfig::revenue_tolerance`]
    /// of the final revenue.
    pub revenue_from: Option<u64>,
    /// The final checkpoint's revenue.
    pub final_revenue: f64,
    /// The final checkpoint's audited regret.
    pub final_regret: f64,
}

/// The held-out R^2 of one linear probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeScore {
    /// The checkpoint.
    pub iteration: u64,
    /// `input` (the reports themselves, a control) or a hidden layer (`alloc.hidden0`, ...).
    pub layer: String,
    /// `revenue`, `utility_<i>`, `regret_<i>`, `optimal_alloc_<j>` (bidders and items from 1).
    pub target: String,
    /// Held-out R^2 (`None`: the held-out target is constant).
    pub r2: Option<f64>,
}

/// One intervention on the final network and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intervention {
    /// `rollback` (one layer from an earlier checkpoint), `swap` (a whole network from an
    /// earlier checkpoint) or `ablation` (a fraction of a hidden layer's units at their mean).
    pub kind: String,
    /// The layer (`alloc.hidden0`, ...) or network (`alloc`, `pay`).
    pub target: String,
    /// The checkpoint the weights came from (rollback, swap).
    pub source: Option<u64>,
    /// Revenue after the intervention.
    pub revenue: f64,
    /// Audited regret after the intervention.
    pub regret: f64,
    /// Revenue minus the final net's.
    pub d_revenue: f64,
    /// Audited regret minus the final net's.
    pub d_regret: f64,
}

/// The layer trace of one layer, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerTrace {
    /// The layer.
    pub layer: String,
    /// Mean over traced iterations of `|dG| / (|dG| + |dR|)`: the regret terms' share of the
    /// layer's gradient (0.5: as strong as the revenue term).
    pub regret_share: f64,
    /// The same over the first half of training.
    pub regret_share_early: f64,
    /// The same over the second half.
    pub regret_share_late: f64,
    /// Mean cosine between the two terms' gradients.
    pub cosine: f64,
    /// `|W - W_0| / |W_0|` at the last traced iteration.
    pub movement: f64,
}

/// Everything the probe of one run found (`probe/summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeSummary {
    /// The run directory.
    pub run: String,
    /// Setting name.
    pub setting: String,
    /// The run's training seed.
    pub seed: u64,
    /// The final checkpoint's iterations.
    pub iterations: u64,
    /// How the probe ran.
    pub config: ProbeConfig,
    /// Every trace checkpoint on the probe sample.
    pub timeline: Vec<Point>,
    /// When regret and revenue settle.
    pub when: When,
    /// Every linear probe.
    pub probes: Vec<ProbeScore>,
    /// Every intervention.
    pub interventions: Vec<Intervention>,
    /// The layer trace per layer.
    pub trace: Vec<LayerTrace>,
    /// The verdict on the hypothesis.
    pub verdict: Verdict,
    /// Wall-clock seconds of the probe.
    pub seconds: f64,
}

/// The first iteration from which `ok` holds at every later point (`None` if not at the last).
pub fn settled_from(points: &[Point], ok: impl Fn(&Point) -> bool) -> Option<u64> {
    let mut from = None;
    for p in points.iter().rev() {
        if !ok(p) {
            break;
        }
        from = Some(p.iteration);
    }
    from
}

/// Summarise `trace.csv` rows per layer (in their first-seen order); `iterations` splits the
/// early and late halves.
pub fn summarise_trace(rows: &[TraceRow], iterations: u64) -> Vec<LayerTrace> {
    let mut layers: Vec<String> = Vec::new();
    for r in rows {
        if !layers.contains(&r.layer) {
            layers.push(r.layer.clone());
        }
    }
    let mean = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    layers
        .into_iter()
        .map(|layer| {
            let mine: Vec<&TraceRow> = rows.iter().filter(|r| r.layer == layer).collect();
            let share = |r: &&TraceRow| {
                let t = r.regret_grad + r.revenue_grad;
                if t > 0.0 {
                    r.regret_grad / t
                } else {
                    0.0
                }
            };
            let all: Vec<f64> = mine.iter().map(share).collect();
            let early: Vec<f64> = mine
                .iter()
                .filter(|r| 2 * r.iteration < iterations)
                .map(share)
                .collect();
            let late: Vec<f64> = mine
                .iter()
                .filter(|r| 2 * r.iteration >= iterations)
                .map(share)
                .collect();
            let cos: Vec<f64> = mine.iter().map(|r| r.cosine).collect();
            LayerTrace {
                layer,
                regret_share: mean(&all),
                regret_share_early: mean(&early),
                regret_share_late: mean(&late),
                cosine: mean(&cos),
                movement: mine.last().map_or(f64::NAN, |r| r.movement),
            }
        })
        .collect()
}

/// The targets of the linear probes for `net` on `profiles`: name and value per profile.
fn targets(
    net: &RegretNet,
    setting: &Setting,
    profiles: &[f32],
    per_profile_regret: &[f32],
) -> Result<Vec<(String, Vec<f64>)>> {
    let (n, d) = (setting.bidders, setting.type_len());
    let b = profiles.len() / (n * d);
    let truth = Tensor::from_slice(profiles, (b, n, d), &Device::Cpu)?;
    let (u, rev) = truthful_utilities(net, &truth, WeightGrad::Frozen)?;
    let u: Vec<f32> = u.flatten_all()?.to_vec1()?;
    let rev: Vec<f32> = rev.to_vec1()?;
    let mut out = vec![(
        "revenue".to_string(),
        rev.iter().map(|&x| x as f64).collect(),
    )];
    for i in 0..n {
        out.push((
            format!("utility_{}", i + 1),
            (0..b).map(|p| u[p * n + i] as f64).collect(),
        ));
        out.push((
            format!("regret_{}", i + 1),
            (0..b)
                .map(|p| per_profile_regret[p * n + i] as f64)
                .collect(),
        ));
    }
    if let (1, Some(menu)) = (n, known_optimum(setting)) {
        let allocs: Vec<Vec<f64>> = profiles
            .chunks_exact(d)
            .map(|v| match menu.choice(v) {
                Some(k) => menu.offers[k].1.clone(),
                None => vec![0.0; setting.items],
            })
            .collect();
        for j in 0..setting.items {
            out.push((
                format!("optimal_alloc_{}", j + 1),
                allocs.iter().map(|a| a[j]).collect(),
            ));
        }
    }
    Ok(out)
}

/// Linear probes from the input and every hidden layer of `net` to `targets`.
fn probe_layers(
    iteration: u64,
    net: &RegretNet,
    setting: &Setting,
    profiles: &[f32],
    targets: &[(String, Vec<f64>)],
    alpha: f64,
) -> Result<Vec<ProbeScore>> {
    let (n, d) = (setting.bidders, setting.type_len());
    let b = profiles.len() / (n * d);
    let bids = Tensor::from_slice(profiles, (b, n, d), &Device::Cpu)?;
    let mut layers = vec![("input".to_string(), profiles.to_vec(), n * d)];
    for (layer, h) in net.hidden_activations(&bids)? {
        let width = h.dim(1)?;
        layers.push((layer.name(), h.flatten_all()?.to_vec1()?, width));
    }
    let mut out = Vec::new();
    for (layer, h, width) in &layers {
        for (target, y) in targets {
            out.push(ProbeScore {
                iteration,
                layer: layer.clone(),
                target: target.clone(),
                r2: probe_r2(h, *width, y, alpha),
            });
        }
    }
    Ok(out)
}

/// The run's `trace.csv`.
pub fn read_trace(run: &RunDir) -> Result<Vec<TraceRow>> {
    let path = run.path().join(TRACE_CSV);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| TrainError::Probe(format!("{}: {e}", path.display())))?;
    parse_trace(&text).map_err(|e| TrainError::Probe(format!("{}: {e}", path.display())))
}

/// Probe the run in `run` (module docs). `progress` receives a line per step.
pub fn probe_run(
    run: &RunDir,
    config: &ProbeConfig,
    threads: usize,
    progress: &dyn Fn(&str),
) -> Result<ProbeSummary> {
    let start = Instant::now();
    let shown = run.path().display().to_string();
    let run_config = run.read_config()?;
    let setting = run_config.setting.build()?;
    let checkpoints = run.trace_checkpoints()?;
    if checkpoints.len() < 2 {
        return Err(TrainError::Probe(format!(
            "{shown} has {} trace checkpoint(s) in checkpoints/trace/; train it with --trace K \
             (train.trace_every) to probe it",
            checkpoints.len()
        )));
    }
    let trace = read_trace(run)?;
    let protocol = config.protocol();
    let profiles = setting.sample_profiles(
        &mut stream_rng(protocol.seed, Stream::Test),
        protocol.samples,
    );
    let eval = |net: &RegretNet| evaluate(net, &setting, &protocol, threads, None);

    let mut nets = Vec::new();
    let mut timeline = Vec::new();
    let mut probes = Vec::new();
    for (it, path) in &checkpoints {
        let net = checkpoint::load(path)?.net;
        let report = eval(&net)?;
        progress(&format!(
            "checkpoint {it:>7}: revenue {:.4}, audited regret {:.3e}",
            report.revenue, report.regret
        ));
        timeline.push(Point {
            iteration: *it,
            revenue: report.revenue,
            regret: report.regret,
        });
        let t = targets(&net, &setting, &profiles, &report.per_profile)?;
        probes.extend(probe_layers(
            *it,
            &net,
            &setting,
            &profiles,
            &t,
            config.alpha,
        )?);
        nets.push((*it, net));
    }
    let last = timeline.last().expect("at least two checkpoints").clone();
    let when = When {
        regret_from: settled_from(&timeline, |p| p.regret <= config.regret_threshold),
        revenue_from: settled_from(&timeline, |p| {
            (p.revenue - last.revenue).abs() <= config.revenue_tolerance * last.revenue.abs()
        }),
        final_revenue: last.revenue,
        final_regret: last.regret,
    };

    // Interventions on the final net.
    let (final_it, final_net) = nets.last().expect("at least two checkpoints");
    let early_target = config.early_fraction * *final_it as f64;
    let early = nets[1..nets.len() - 1]
        .iter()
        .min_by(|a, b| {
            let da = (a.0 as f64 - early_target).abs();
            let db = (b.0 as f64 - early_target).abs();
            da.total_cmp(&db)
        })
        .or(nets.first());
    let mut sources = Vec::new();
    if let Some(first) = nets.first().filter(|(it, _)| *it == 0) {
        sources.push(first);
    }
    if let Some(e) = early.filter(|(it, _)| *it != 0) {
        sources.push(e);
    }
    let mut interventions = Vec::new();
    let mut record = |kind: &str, target: String, source: Option<u64>, net: &RegretNet| {
        let r = eval(net)?;
        progress(&format!(
            "{kind} {target}{}: revenue {:.4}, audited regret {:.3e}",
            source.map_or(String::new(), |s| format!(" from {s}")),
            r.revenue,
            r.regret
        ));
        interventions.push(Intervention {
            kind: kind.to_string(),
            target,
            source,
            revenue: r.revenue,
            regret: r.regret,
            d_revenue: r.revenue - last.revenue,
            d_regret: r.regret - last.regret,
        });
        Ok::<(), TrainError>(())
    };
    for (src_it, src) in &sources {
        for layer in final_net.layers() {
            let net = final_net.with_layer_from(&layer, src)?;
            record("rollback", layer.name(), Some(*src_it), &net)?;
        }
        for part in [Part::Alloc, Part::Pay] {
            let net = final_net.with_part_from(part, src)?;
            record("swap", part.name().to_string(), Some(*src_it), &net)?;
        }
    }
    let (n, d) = (setting.bidders, setting.type_len());
    let bids = Tensor::from_slice(&profiles, (profiles.len() / (n * d), n, d), &Device::Cpu)?;
    let mut rng = stream_rng(config.seed, Stream::TestMisreport);
    for (layer, h) in final_net.hidden_activations(&bids)? {
        let width = h.dim(1)?;
        let mean: Vec<f32> = h.mean(0)?.to_vec1()?;
        let k = ((config.ablate_fraction * width as f64).round() as usize).clamp(1, width);
        let units = sample(&mut rng, width, k).into_vec();
        let net = final_net.mean_ablated(&layer, &units, &mean)?;
        record("ablation", layer.name(), None, &net)?;
    }
    let trace = summarise_trace(&trace, *final_it);
    let verdict = judge(&when, &trace, &interventions, config);
    Ok(ProbeSummary {
        run: shown,
        setting: setting.name.clone(),
        seed: run_config.train.seed,
        iterations: *final_it,
        config: config.clone(),
        timeline,
        when,
        probes,
        interventions,
        trace,
        verdict,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(iteration: u64, revenue: f64, regret: f64) -> Point {
        Point {
            iteration,
            revenue,
            regret,
        }
    }

    #[test]
    fn settled_means_from_there_on() {
        let pts = [
            p(0, 0.1, 0.1),
            p(10, 0.5, 1e-4),
            p(20, 0.4, 2e-3),
            p(50, 0.55, 5e-4),
            p(100, 0.55, 4e-4),
        ];
        assert_eq!(settled_from(&pts, |q| q.regret <= 1e-3), Some(50));
        assert_eq!(settled_from(&pts, |q| q.revenue > 0.0), Some(0));
        assert_eq!(settled_from(&pts, |q| q.revenue > 0.6), None);
    }

    #[test]
    fn trace_summary_splits_halves() {
        let row = |iteration, layer: &str, r, g| TraceRow {
            iteration,
            layer: layer.into(),
            revenue_grad: r,
            regret_grad: g,
            ratio: g / r,
            cosine: -0.5,
            movement: iteration as f64,
        };
        let rows = [
            row(0, "a", 1.0, 1.0),
            row(0, "b", 1.0, 0.0),
            row(60, "a", 3.0, 1.0),
            row(60, "b", 1.0, 3.0),
        ];
        let s = summarise_trace(&rows, 100);
        assert_eq!(s[0].layer, "a");
        assert!((s[0].regret_share_early - 0.5).abs() < 1e-12);
        assert!((s[0].regret_share_late - 0.25).abs() < 1e-12);
        assert!((s[1].regret_share - 0.375).abs() < 1e-12);
        assert_eq!(s[1].movement, 60.0);
        assert_eq!(s[1].cosine, -0.5);
    }
}

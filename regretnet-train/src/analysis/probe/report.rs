//! What `regretnet probe RUN_DIR` writes to `RUN_DIR/probe/`: `summary.json` (everything, read
//! back by the across-seeds aggregate), CSV tables, SVG figures and `REPORT.md` (the findings
//! in words with their numbers).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::analysis::{ProbeScore, ProbeSummary};
use crate::analysis::plot::curves::LinePanel;
use crate::analysis::plot::Drawing;
use crate::error::{Result, TrainError};
use crate::run::trace::TraceRow;

/// The probe's directory inside a run.
pub const PROBE_DIR: &str = "probe";
/// The summary file inside [`PROBE_DIR`].
pub const SUMMARY_JSON: &str = "summary.json";

pub(crate) fn write(path: &Path, text: &str) -> Result<()> {
    regretnet_nets::checkpoint::write_atomic(path, text.as_bytes())
        .map_err(|e| TrainError::io(path, e))
}

/// `Option<f64>` as a table cell.
pub(crate) fn cell(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".to_string(), |v| format!("{v:.digits$}"))
}

fn it(x: Option<u64>) -> String {
    x.map_or("never".to_string(), |i| i.to_string())
}

/// The linear-probe figure: per target, R^2 of every layer across checkpoints.
fn probes_figure(probes: &[ProbeScore]) -> Drawing {
    let mut targets: Vec<&str> = Vec::new();
    let mut layers: Vec<&str> = Vec::new();
    for p in probes {
        if !targets.contains(&p.target.as_str()) {
            targets.push(&p.target);
        }
        if !layers.contains(&p.layer.as_str()) {
            layers.push(&p.layer);
        }
    }
    let panels = targets
        .iter()
        .map(|&t| LinePanel {
            x_desc: "iteration".into(),
            title: format!("Linear probe R^2: {t}"),
            y_desc: "held-out R^2".into(),
            lines: layers
                .iter()
                .map(|&l| {
                    let s = probes
                        .iter()
                        .filter(|p| p.target == t && p.layer == l)
                        .filter_map(|p| p.r2.map(|r| (p.iteration as f64, r.max(-0.5))))
                        .collect();
                    (l.to_string(), s)
                })
                .collect(),
            log_y: false,
            log_x: true,
        })
        .collect();
    Drawing::Panels(panels)
}

/// The trace figure: regret share of the gradient and movement since init, per layer.
fn trace_figure(rows: &[TraceRow]) -> Drawing {
    let mut layers: Vec<&str> = Vec::new();
    for r in rows {
        if !layers.contains(&r.layer.as_str()) {
            layers.push(&r.layer);
        }
    }
    let series = |net: &str, f: &dyn Fn(&TraceRow) -> f64| -> Vec<(String, Vec<(f64, f64)>)> {
        layers
            .iter()
            .filter(|l| l.starts_with(net))
            .map(|&l| {
                let s = rows
                    .iter()
                    .filter(|r| r.layer == l)
                    .map(|r| (r.iteration as f64, f(r)))
                    .collect();
                (l.to_string(), s)
            })
            .collect()
    };
    let share = |r: &TraceRow| {
        let t = r.regret_grad + r.revenue_grad;
        if t > 0.0 {
            r.regret_grad / t
        } else {
            0.0
        }
    };
    let panel = |title: String, y: &str, lines, log_y| LinePanel {
        x_desc: "iteration".into(),
        title,
        y_desc: y.into(),
        lines,
        log_y,
        log_x: true,
    };
    Drawing::Panels(vec![
        panel(
            "Allocation net: regret terms' share of the gradient".into(),
            "|dG| / (|dG| + |dR|)",
            series("alloc.", &share),
            false,
        ),
        panel(
            "Payment net: regret terms' share of the gradient".into(),
            "|dG| / (|dG| + |dR|)",
            series("pay.", &share),
            false,
        ),
        panel(
            "Allocation net: movement since init".into(),
            "|W - W0| / |W0|",
            series("alloc.", &|r| r.movement),
            false,
        ),
        panel(
            "Payment net: movement since init".into(),
            "|W - W0| / |W0|",
            series("pay.", &|r| r.movement),
            false,
        ),
    ])
}

fn timeline_figure(s: &ProbeSummary) -> Drawing {
    let rev = s
        .timeline
        .iter()
        .map(|p| (p.iteration as f64, p.revenue))
        .collect();
    let rgt = s
        .timeline
        .iter()
        .map(|p| (p.iteration as f64, p.regret))
        .collect();
    Drawing::Panels(vec![
        LinePanel {
            x_desc: "iteration".into(),
            title: "Revenue at the trace checkpoints (probe sample)".into(),
            y_desc: "revenue".into(),
            lines: vec![("revenue".into(), rev)],
            log_y: false,
            log_x: true,
        },
        LinePanel {
            x_desc: "iteration".into(),
            title: "Audited regret at the trace checkpoints (log scale)".into(),
            y_desc: "regret".into(),
            lines: vec![("audited regret".into(), rgt)],
            log_y: true,
            log_x: true,
        },
    ])
}

/// `REPORT.md` of one run.
pub fn report_markdown(s: &ProbeSummary) -> String {
    let mut md = String::new();
    let c = &s.config;
    let _ = writeln!(
        md,
        "# Probe of {} ({}, seed {}, {} iterations)\n\n\
         Written by `regretnet probe`; method and caveats: docs/EXPLAINABILITY.md. Every number \
         is on the probe sample ({} profiles, seed {}) with the audited evaluation ({} prior \
         starts + truthful + corners x {} steps, grid {}). Took {:.0} s.\n",
        s.run,
        s.setting,
        s.seed,
        s.iterations,
        c.samples,
        c.seed,
        c.restarts,
        c.steps,
        c.grid,
        s.seconds
    );
    let _ = writeln!(md, "## Verdict: {}\n", s.verdict.overall);
    let _ = writeln!(md, "| claim | holds | evidence |\n|---|---|---|");
    for cl in &s.verdict.claims {
        let h = match cl.holds {
            Some(true) => "yes",
            Some(false) => "no",
            None => "undecided",
        };
        let _ = writeln!(md, "| {} | {h} | {} |", cl.statement, cl.evidence);
    }
    let w = &s.when;
    let _ = writeln!(
        md,
        "\n## When\n\nAudited regret stays at or below {:.0e} from iteration **{}**; revenue \
         stays within {:.0}% of its final value {:.4} from iteration **{}** (final audited \
         regret {:.2e}). Figure: `timeline.svg`.\n",
        c.regret_threshold,
        it(w.regret_from),
        100.0 * c.revenue_tolerance,
        w.final_revenue,
        it(w.revenue_from),
        w.final_regret
    );
    let _ = writeln!(
        md,
        "| iteration | revenue | audited regret |\n|---|---|---|"
    );
    for p in &s.timeline {
        let _ = writeln!(
            md,
            "| {} | {:.4} | {:.2e} |",
            p.iteration, p.revenue, p.regret
        );
    }
    // Linear probes at the final checkpoint and at the early one.
    let _ = writeln!(
        md,
        "\n## Where the information is (linear probes, held-out R^2)\n\nAt the final checkpoint \
         (`input` is the reports themselves: a layer adds linearly decodable information only \
         where it beats that row). All checkpoints: `probes.csv`, `probes.svg`.\n"
    );
    let finals: Vec<&ProbeScore> = s
        .probes
        .iter()
        .filter(|p| p.iteration == s.iterations)
        .collect();
    let mut targets: Vec<&str> = Vec::new();
    let mut layers: Vec<&str> = Vec::new();
    for p in &finals {
        if !targets.contains(&p.target.as_str()) {
            targets.push(&p.target);
        }
        if !layers.contains(&p.layer.as_str()) {
            layers.push(&p.layer);
        }
    }
    let _ = writeln!(
        md,
        "| layer | {} |\n|---|{}",
        targets.join(" | "),
        "---|".repeat(targets.len())
    );
    for l in &layers {
        let cells: Vec<String> = targets
            .iter()
            .map(|t| {
                cell(
                    finals
                        .iter()
                        .find(|p| p.layer == *l && p.target == *t)
                        .and_then(|p| p.r2),
                    3,
                )
            })
            .collect();
        let _ = writeln!(md, "| {l} | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        md,
        "\n## Where it lives (interventions on the final net)\n\nFinal net: revenue {:.4}, \
         audited regret {:.2e}. Rollback: one layer's weights from an earlier checkpoint; \
         swap: a whole network from it; ablation: {:.0}% of a hidden layer's units fixed at \
         their mean over the probe sample.\n",
        w.final_revenue,
        w.final_regret,
        100.0 * c.ablate_fraction
    );
    let _ = writeln!(
        md,
        "| intervention | target | from iteration | revenue | change | audited regret | change |\n|---|---|---|---|---|---|---|"
    );
    for i in &s.interventions {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.4} | {:+.4} | {:.2e} | {:+.2e} |",
            i.kind,
            i.target,
            i.source.map_or("-".into(), |x| x.to_string()),
            i.revenue,
            i.d_revenue,
            i.regret,
            i.d_regret
        );
    }
    let _ = writeln!(
        md,
        "\n## Layer trace\n\nShare of the regret terms in each layer's gradient, \
         `|dG| / (|dG| + |dR|)` (0.5: as strong as the revenue term), mean over the traced \
         iterations and over each half of training; mean cosine of the two gradients; movement \
         `|W - W0| / |W0|` at the end. Figure: `trace.svg`.\n"
    );
    let _ = writeln!(
        md,
        "| layer | share | share, first half | share, second half | cosine | movement |\n|---|---|---|---|---|---|"
    );
    for t in &s.trace {
        let _ = writeln!(
            md,
            "| {} | {:.3} | {:.3} | {:.3} | {:+.3} | {:.3} |",
            t.layer,
            t.regret_share,
            t.regret_share_early,
            t.regret_share_late,
            t.cosine,
            t.movement
        );
    }
    md
}

/// Write `summary.json`, the CSV tables, the SVG figures and `REPORT.md` of `summary` to
/// `RUN_DIR/probe/`; `trace` is the run's `trace.csv`. Returns the files written.
pub fn write_probe(run: &Path, summary: &ProbeSummary, trace: &[TraceRow]) -> Result<Vec<PathBuf>> {
    let dir = run.join(PROBE_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| TrainError::io(&dir, e))?;
    let mut files = Vec::new();
    let mut put = |name: &str, text: String| -> Result<()> {
        let p = dir.join(name);
        write(&p, &text)?;
        files.push(p);
        Ok(())
    };
    let json = serde_json::to_string_pretty(summary)
        .map_err(|e| TrainError::Probe(format!("cannot serialise the summary: {e}")))?;
    put(SUMMARY_JSON, json)?;
    let mut t = String::from("iteration,revenue,regret\n");
    for p in &summary.timeline {
        let _ = writeln!(t, "{},{:.6},{:.6e}", p.iteration, p.revenue, p.regret);
    }
    put("timeline.csv", t)?;
    let mut t = String::from("iteration,layer,target,r2\n");
    for p in &summary.probes {
        let _ = writeln!(
            t,
            "{},{},{},{}",
            p.iteration,
            p.layer,
            p.target,
            cell(p.r2, 6)
        );
    }
    put("probes.csv", t)?;
    let mut t = String::from("kind,target,source,revenue,regret,d_revenue,d_regret\n");
    for i in &summary.interventions {
        let _ = writeln!(
            t,
            "{},{},{},{:.6},{:.6e},{:.6},{:.6e}",
            i.kind,
            i.target,
            i.source.map_or(String::new(), |s| s.to_string()),
            i.revenue,
            i.regret,
            i.d_revenue,
            i.d_regret
        );
    }
    put("interventions.csv", t)?;
    put("timeline.svg", timeline_figure(summary).to_svg()?)?;
    put("probes.svg", probes_figure(&summary.probes).to_svg()?)?;
    put("trace.svg", trace_figure(trace).to_svg()?)?;
    put("REPORT.md", report_markdown(summary))?;
    Ok(files)
}

//! Pictures of a run (`regretnet plot`): what the mechanism does, how training went, how regret
//! is distributed; and the run's self-contained `report.html`.
//!
//! - **Heatmaps** (bidders who misreport two item values): bidder `i`'s probability of receiving
//!   each item and its payment over a grid of its own values, the other bidders fixed at a
//!   profile (default: the prior's mean), on a fixed colour scale (0..1 for probabilities), with
//!   the regions of the known optimal mechanism drawn on top where one is known
//!   (`regretnet_core::optimal`).
//! - **Single-item mechanisms**: each bidder's allocation and payment against its own bid,
//!   beside Myerson's optimal auction, and MyersonNet's virtual values ([`single_item`]).
//! - **Training curves** from `metrics.csv` and `validation.csv`.
//! - **Regret distribution** of the latest evaluation (`eval-<protocol>-regret.csv`).
//! - **The menu** of a learned affine maximizer: its most chosen entries, what each sells to
//!   whom and how often the latest evaluation's test sample chose it ([`menu`]).
//!
//! Everything is SVG drawn by plotters (text as SVG `<text>`: no fonts needed to draw); the
//! HTML report inlines the SVGs, so it is one file that opens anywhere.

pub mod curves;
pub mod histogram;
pub mod html;
pub mod maps;
pub mod menu;
pub mod png;
pub mod single_item;
pub mod svg;

use std::path::{Path, PathBuf};

use regretnet_core::optimal::known_optimum;
use regretnet_nets::{checkpoint, NetSpec};

use crate::analysis::plot::curves::Table;
use crate::analysis::plot::maps::{
    has_maps, mean_profile, mechanism_maps, menu_boundaries, Map, Segment,
};
use crate::error::{Result, TrainError};
use crate::run::rundir::RunDir;

/// What `regretnet plot` draws.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Cells per axis of the heatmaps.
    pub resolution: usize,
    /// The bidder whose reports vary.
    pub bidder: usize,
    /// The profile the others are fixed at (flat `[n, type_len]`); `None`: the prior's mean.
    pub fixed: Option<Vec<f32>>,
}

impl Default for PlotOptions {
    /// 120 x 120 cells, bidder 0, the others at the prior's mean.
    fn default() -> Self {
        PlotOptions {
            resolution: 120,
            bidder: 0,
            fixed: None,
        }
    }
}

/// What a figure draws, independent of the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Drawing {
    /// A heatmap on the colour scale `0..vmax` with boundary segments on top.
    Heatmap {
        /// The values.
        map: Map,
        /// Top of the colour scale.
        vmax: f32,
        /// Title above the map.
        title: String,
        /// x and y axis labels.
        axes: (String, String),
        /// Colour bar label.
        legend: String,
        /// Boundary segments in value coordinates.
        segments: Vec<Segment>,
    },
    /// The training curves.
    Curves {
        /// `metrics.csv`.
        metrics: Table,
        /// `validation.csv`, when there is one.
        validation: Option<Table>,
    },
    /// Line panels (the probe's figures).
    Panels(Vec<curves::LinePanel>),
    /// A learned affine maximizer's most chosen menu entries ([`menu`]).
    Menu(crate::eval::menu::MenuUsage),
    /// A regret histogram.
    Histogram {
        /// Per-profile regrets.
        values: Vec<f32>,
        /// Title.
        title: String,
    },
}

impl Drawing {
    /// Image size in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Drawing::Heatmap { .. } => svg::HEATMAP_SIZE,
            Drawing::Curves { .. } => curves::CURVES_SIZE,
            Drawing::Histogram { .. } => histogram::HISTOGRAM_SIZE,
            Drawing::Panels(p) => curves::panels_size(p.len()),
            Drawing::Menu(u) => menu::menu_size(u),
        }
    }

    /// Draw on any plotters backend of [`Drawing::size`].
    pub fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()> {
        png::ensure_fonts()?;
        match self {
            Drawing::Heatmap {
                map,
                vmax,
                title,
                axes,
                legend,
                segments,
            } => svg::draw_heatmap(
                root,
                map,
                *vmax,
                title,
                (&axes.0, &axes.1),
                legend,
                segments,
            ),
            Drawing::Curves {
                metrics,
                validation,
            } => curves::draw_curves(root, metrics, validation.as_ref()),
            Drawing::Histogram { values, title } => histogram::draw_histogram(root, values, title),
            Drawing::Panels(p) => curves::draw_panels(root, p),
            Drawing::Menu(u) => menu::draw_menu(root, u),
        }
    }

    /// The drawing as SVG text.
    pub fn to_svg(&self) -> Result<String> {
        use plotters::prelude::IntoDrawingArea;
        let mut out = String::new();
        {
            let root = plotters::prelude::SVGBackend::with_string(&mut out, self.size())
                .into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(svg::plot_err)?;
        }
        Ok(out)
    }
}

/// Image formats `regretnet plot` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// SVG (text drawn as SVG text: no fonts needed).
    #[default]
    Svg,
    /// PNG, drawn with the bundled DejaVu Sans (cargo feature `png`).
    Png,
}

/// One figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File name without its extension.
    pub stem: String,
    /// What it shows.
    pub title: String,
    /// The drawing.
    pub drawing: Drawing,
}

/// The latest evaluation of a run: its protocol name and report JSON, by file time.
pub fn latest_eval(run: &RunDir) -> Result<Option<(String, serde_json::Value)>> {
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    let entries = std::fs::read_dir(run.path()).map_err(|e| TrainError::io(run.path(), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("eval-") && name.ends_with(".json") {
            let t = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            if best.as_ref().is_none_or(|(b, _)| t > *b) {
                best = Some((t, entry.path()));
            }
        }
    }
    let Some((_, path)) = best else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| TrainError::RunDir {
        path: path.display().to_string(),
        reason: format!("not an evaluation report: {e}"),
    })?;
    let name = json["protocol"]["name"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    Ok(Some((name, json)))
}

/// Draw every figure that applies to the run at `run`'s latest checkpoint.
pub fn draw_run(run: &RunDir, options: &PlotOptions) -> Result<Vec<Figure>> {
    let config = run.read_config()?;
    let setting = config.setting.build()?;
    let mut figures = Vec::new();
    // The latest checkpoint and the profile the other bidders report, for the mechanism's
    // figures (heatmaps for two values per bidder, curves for one item).
    let latest = run
        .checkpoints()?
        .last()
        .cloned()
        .filter(|_| has_maps(&setting) || setting.items == 1);
    let loaded = match latest {
        Some((iteration, path)) => {
            let spec = NetSpec {
                setting: config.setting.clone(),
                net: config.net.clone(),
            };
            let ckpt = checkpoint::load_model_expecting(&path, &spec)?;
            let fixed = options
                .fixed
                .clone()
                .unwrap_or_else(|| mean_profile(&setting));
            if options.bidder >= setting.bidders || fixed.len() != setting.profile_len() {
                return Err(TrainError::RunDir {
                    path: run.path().display().to_string(),
                    reason: format!(
                        "cannot plot bidder {} of {} with a fixed profile of {} values \
                         (expected {})",
                        options.bidder + 1,
                        setting.bidders,
                        fixed.len(),
                        setting.profile_len()
                    ),
                });
            }
            Some((iteration, ckpt.model, fixed))
        }
        None => None,
    };
    if let (true, Some((iteration, model, fixed))) = (has_maps(&setting), &loaded) {
        let iteration = *iteration;
        let maps = mechanism_maps(model, &setting, options.bidder, fixed, options.resolution)?;
        let segments = match known_optimum(&setting) {
            Some(menu) => menu_boundaries(&menu, maps.pay.x, maps.pay.y, 4 * options.resolution),
            None => Vec::new(),
        };
        let b = options.bidder + 1;
        let others = if setting.bidders > 1 {
            ", others at the fixed profile"
        } else {
            ""
        };
        let overlay = if segments.is_empty() {
            String::new()
        } else {
            "; black: the optimal mechanism's regions".into()
        };
        let axes = (
            format!("bidder {b}'s value for item 1"),
            format!("bidder {b}'s value for item 2"),
        );
        for (j, map) in maps.alloc.iter().enumerate() {
            let title = format!("Bidder {b}: P(item {}), iteration {iteration}", j + 1);
            figures.push(Figure {
                stem: format!("alloc_item{}", j + 1),
                title: format!("{title}{others}{overlay}"),
                drawing: Drawing::Heatmap {
                    map: map.clone(),
                    vmax: 1.0,
                    title,
                    axes: axes.clone(),
                    legend: "probability".into(),
                    segments: segments.clone(),
                },
            });
        }
        let title = format!("Bidder {b}: payment, iteration {iteration}");
        figures.push(Figure {
            stem: "payment".into(),
            title: format!("{title}{others}{overlay}"),
            drawing: Drawing::Heatmap {
                vmax: maps.pay.max(),
                map: maps.pay,
                title,
                axes,
                legend: "payment".into(),
                segments,
            },
        });
    }
    if let (1, Some((iteration, model, fixed))) = (setting.items, &loaded) {
        let panels = single_item::single_item_panels(model, &setting, fixed, 200)?;
        figures.push(Figure {
            stem: "single_item".into(),
            title: format!(
                "The item's allocation and payment against each bid (others at the fixed \
                 profile), beside Myerson's optimal auction; iteration {iteration}"
            ),
            drawing: Drawing::Panels(panels),
        });
    }
    if let Some(metrics) = Table::read(&run.path().join("metrics.csv"))? {
        let validation = Table::read(&run.path().join("validation.csv"))?;
        if !metrics.rows.is_empty() && config.net.kind.is_exactly_ic() {
            // No regret, multipliers or penalty to show: revenue alone.
            let mut lines = Vec::new();
            lines.extend(
                metrics
                    .series("revenue")
                    .map(|s| ("training batches".to_string(), s)),
            );
            if let Some(v) = validation.as_ref().and_then(|v| v.series("revenue")) {
                lines.push(("validation (the hard mechanism)".to_string(), v));
            }
            figures.push(Figure {
                stem: "curves".into(),
                title: format!(
                    "Training curve of the {} (incentive compatible by construction: no regret \
                     to train against)",
                    config.net.kind.name()
                ),
                drawing: Drawing::Panels(vec![curves::LinePanel {
                    title: "Revenue".into(),
                    x_desc: "iteration".into(),
                    y_desc: "revenue".into(),
                    lines,
                    log_y: false,
                    log_x: false,
                }]),
            });
        } else if !metrics.rows.is_empty() {
            figures.push(Figure {
                stem: "curves".into(),
                title: "Training curves (lines: training batches; dots: validation)".into(),
                drawing: Drawing::Curves {
                    metrics,
                    validation,
                },
            });
        }
    }
    if let Some((name, eval)) = latest_eval(run)? {
        if let Ok(usage) =
            serde_json::from_value::<crate::eval::menu::MenuUsage>(eval["menu"].clone())
        {
            figures.push(Figure {
                stem: "menu".into(),
                title: format!(
                    "The menu entries chosen most often on the test sample of evaluation \
                     `{name}`: what each sells to whom, and how often it is chosen"
                ),
                drawing: Drawing::Menu(usage),
            });
        }
        let path = run.eval_regret_path(&name);
        if let Some(regret) = read_regret(&path)? {
            figures.push(Figure {
                stem: "regret".into(),
                title: format!("Per-profile regret, evaluation `{name}`"),
                drawing: Drawing::Histogram {
                    values: regret,
                    title: format!("audited regret, protocol {name}"),
                },
            });
        }
    }
    Ok(figures)
}

/// The per-profile regrets saved next to an evaluation (`profile,bidder,regret` rows).
pub fn read_regret(path: &Path) -> Result<Option<Vec<f32>>> {
    let Some(table) = Table::read(path)? else {
        return Ok(None);
    };
    let k = table.header.iter().position(|h| h == "regret");
    Ok(k.map(|k| table.rows.iter().map(|r| r[k] as f32).collect()))
}

/// Draw the run's figures into `out` (created if needed) in `format`, and refresh
/// `report.html` in the run directory (SVG inline, whatever `format`). Returns the files
/// written.
pub fn plot_run(
    run: &RunDir,
    out: &Path,
    options: &PlotOptions,
    format: Format,
) -> Result<Vec<PathBuf>> {
    let figures = draw_run(run, options)?;
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    let mut written = Vec::new();
    let mut svgs = Vec::with_capacity(figures.len());
    for f in &figures {
        let svg = f.drawing.to_svg()?;
        let path = match format {
            Format::Svg => {
                let path = out.join(format!("{}.svg", f.stem));
                regretnet_nets::checkpoint::write_atomic(&path, svg.as_bytes())
                    .map_err(|e| TrainError::io(&path, e))?;
                path
            }
            Format::Png => {
                let path = out.join(format!("{}.png", f.stem));
                png::write_png(&f.drawing, &path)?;
                path
            }
        };
        written.push(path);
        svgs.push(svg);
    }
    let html = html::report_html(run, &figures, &svgs)?;
    let path = run.path().join("report.html");
    regretnet_nets::checkpoint::write_atomic(&path, html.as_bytes())
        .map_err(|e| TrainError::io(&path, e))?;
    written.push(path);
    Ok(written)
}

/// Draw the run's figures as SVG into `<run>/plots` with the default options and refresh its
/// `report.html` (after training or a reproduce row). Returns the report's path.
pub fn refresh_report(run: &RunDir) -> Result<PathBuf> {
    plot_run(
        run,
        &run.path().join("plots"),
        &PlotOptions::default(),
        Format::Svg,
    )?;
    Ok(run.path().join("report.html"))
}

#[cfg(test)]
mod tests;

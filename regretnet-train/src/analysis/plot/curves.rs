//! Training curves from a run's `metrics.csv` and `validation.csv`: revenue, regret per bidder
//! (log scale), lambda per bidder and rho, with the validation points.

use std::path::Path;

use plotters::prelude::*;

use crate::analysis::plot::svg::plot_err;
use crate::error::{Result, TrainError};

/// Size of the curves image, pixels.
pub const CURVES_SIZE: (u32, u32) = (1100, 800);

/// Smallest regret drawn on the log axis (zeros are drawn there).
const REGRET_FLOOR: f64 = 1e-7;

/// A numeric CSV table with a header.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows of numbers (a row that does not parse is skipped: a run killed mid-write).
    pub rows: Vec<Vec<f64>>,
}

impl Table {
    /// Read `path`; `None` when the file does not exist.
    pub fn read(path: &Path) -> Result<Option<Table>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(TrainError::io(path, e)),
        };
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        let rows = lines
            .filter_map(|l| {
                let r: std::result::Result<Vec<f64>, _> =
                    l.split(',').map(|x| x.trim().parse::<f64>()).collect();
                r.ok().filter(|r| r.len() == header.len())
            })
            .collect();
        Ok(Some(Table { header, rows }))
    }

    /// The `(iteration, column)` points of column `name`.
    pub fn series(&self, name: &str) -> Option<Vec<(f64, f64)>> {
        let k = self.header.iter().position(|h| h == name)?;
        Some(self.rows.iter().map(|r| (r[0], r[k])).collect())
    }

    /// Every column named `prefix{i}`, in order of `i`.
    pub fn indexed(&self, prefix: &str) -> Vec<(String, Vec<(f64, f64)>)> {
        (0..)
            .map_while(|i| {
                let name = format!("{prefix}{i}");
                self.series(&name).map(|s| (name, s))
            })
            .collect()
    }
}

/// Decades a log axis shows at most below the data's highest value: a regret that has fallen
/// to 1e-7 for a few profiles should not spend the panel on empty decades.
pub(crate) const LOG_DECADES: f64 = 4.0;

/// A log axis's tick as a person writes it: `1e-4`, `2.5e-4`, `3e-2` (two significant digits
/// at most; plotters' default prints `9.9999999999999e-5`).
pub(crate) fn log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return format!("{v}");
    }
    let exp = v.log10().floor();
    let mut mant = (v / 10f64.powf(exp) * 10.0).round() / 10.0;
    let mut exp = exp as i32;
    if mant >= 10.0 {
        mant /= 10.0;
        exp += 1;
    }
    if (mant - mant.round()).abs() < 1e-9 {
        format!("{}e{exp}", mant.round() as i64)
    } else {
        format!("{mant:.1}e{exp}")
    }
}

/// The range of a log axis over values `lo..hi` (positive): whole decades, at most
/// [`LOG_DECADES`] below the top.
pub(crate) fn log_range(lo: f64, hi: f64) -> (f64, f64) {
    let hi = hi.max(REGRET_FLOOR * 10.0);
    let top = 10f64.powf(hi.log10().ceil());
    let lo = lo.max(REGRET_FLOOR).max(top / 10f64.powf(LOG_DECADES));
    let bottom = 10f64.powf(lo.log10().floor());
    (bottom, top.max(bottom * 10.0))
}

fn range(points: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = points
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    // A flat series (rho before its first increase) gets a visible band around it.
    let pad = ((hi - lo) * 0.05)
        .max(hi.abs().max(lo.abs()) * 0.05)
        .max(1e-6);
    (lo - pad, hi + pad)
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// One panel: `lines` as coloured lines, `points` as black circles, optionally a log y axis;
/// with `log_x` the iterations are drawn on a log axis (0 at 1).
#[allow(clippy::too_many_arguments)]
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[(String, Vec<(f64, f64)>)],
    points: Option<(&str, &[(f64, f64)])>,
    log: bool,
    log_x: bool,
    legend_at: SeriesLabelPosition,
) -> Result<()> {
    let to_x = |x: f64| if log_x { x.max(1.0).log10() } else { x };
    let lines: Vec<(String, Vec<(f64, f64)>)> = lines
        .iter()
        .map(|(n, s)| (n.clone(), s.iter().map(|&(x, y)| (to_x(x), y)).collect()))
        .collect();
    let points_x: Option<(&str, Vec<(f64, f64)>)> =
        points.map(|(n, p)| (n, p.iter().map(|&(x, y)| (to_x(x), y)).collect()));
    let points = points_x.as_ref().map(|(n, p)| (*n, p.as_slice()));
    let lines = &lines[..];
    let all = || {
        lines
            .iter()
            .flat_map(|(_, s)| s.iter())
            .chain(points.iter().flat_map(|(_, p)| p.iter()))
    };
    let (x0, x1) = range(all().map(|p| p.0));
    // Whole numbers for iterations; enough digits for a value axis such as [0, 1].
    let x_digits = (1.0 - (x1 - x0).abs().max(1e-12).log10().floor()).clamp(0.0, 8.0) as usize;
    let x_label = |x: &f64| {
        if log_x {
            format!("{:.0}", 10f64.powf(*x))
        } else {
            format!("{x:.x_digits$}")
        }
    };
    let floor = |v: f64| if log { v.max(REGRET_FLOOR) } else { v };
    let (y0, y1) = if log {
        // Log axes: the data's own extent (positive values), widened to whole decades below.
        all()
            .map(|p| floor(p.1))
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)))
    } else {
        range(all().map(|p| floor(p.1)))
    };
    let (y0, y1) = if log { log_range(y0, y1) } else { (y0, y1) };
    // Values below a log axis's bottom are drawn on it.
    let floor = |v: f64| if log { v.max(y0) } else { v };
    let linear_digits = (1.0 - (y1 - y0).abs().max(1e-12).log10().floor()).clamp(0.0, 8.0) as usize;
    let y_label = |y: &f64| {
        if log {
            log_tick(*y)
        } else {
            format!("{y:.linear_digits$}")
        }
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, ("sans-serif", 17))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc(y_desc)
                .x_label_formatter(&x_label)
                .y_label_formatter(&y_label)
                .axis_desc_style(("sans-serif", 14))
                .label_style(("sans-serif", 12))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(plot_err)?;
            for (k, (name, s)) in lines.iter().enumerate() {
                let c = PALETTE[k % PALETTE.len()];
                chart
                    .draw_series(LineSeries::new(
                        s.iter().map(|&(x, y)| (x, floor(y))),
                        c.stroke_width(2),
                    ))
                    .map_err(plot_err)?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                    });
            }
            if let Some((name, p)) = points {
                chart
                    .draw_series(
                        p.iter()
                            .map(|&(x, y)| Circle::new((x, floor(y)), 4, BLACK.filled())),
                    )
                    .map_err(plot_err)?
                    .label(name)
                    .legend(|(x, y)| Circle::new((x + 9, y), 4, BLACK.filled()));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 12))
                .position(legend_at.clone())
                .draw()
                .map_err(plot_err)?;
        }};
    }
    if log {
        draw!(builder
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(plot_err)?);
    } else {
        draw!(builder
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_err)?);
    }
    Ok(())
}

/// The four training panels: revenue (training batches, validation points), regret per bidder
/// on a log axis (with the validation mean), lambda per bidder, rho; on any plotters backend of
/// [`CURVES_SIZE`].
pub fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    metrics: &Table,
    validation: Option<&Table>,
) -> Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let areas = root.split_evenly((2, 2));
    let one = |name: &str, label: &str| -> Vec<(String, Vec<(f64, f64)>)> {
        metrics
            .series(name)
            .map(|s| vec![(label.to_string(), s)])
            .unwrap_or_default()
    };
    let val_revenue = validation.and_then(|v| v.series("revenue"));
    let val_regret = validation.and_then(|v| v.series("regret_mean"));
    let regrets: Vec<_> = metrics
        .indexed("regret_")
        .into_iter()
        .enumerate()
        .map(|(i, (_, s))| (format!("bidder {}", i + 1), s))
        .collect();
    let lambdas: Vec<_> = metrics
        .indexed("lambda_")
        .into_iter()
        .enumerate()
        .map(|(i, (_, s))| (format!("bidder {}", i + 1), s))
        .collect();
    panel(
        &areas[0],
        "Revenue",
        "iteration",
        "revenue",
        &one("revenue", "training batches"),
        val_revenue.as_deref().map(|p| ("validation", p)),
        false,
        false,
        SeriesLabelPosition::LowerRight,
    )?;
    panel(
        &areas[1],
        "Regret per bidder (log scale)",
        "iteration",
        "regret",
        &regrets,
        val_regret.as_deref().map(|p| ("validation (mean)", p)),
        true,
        false,
        SeriesLabelPosition::UpperRight,
    )?;
    panel(
        &areas[2],
        "Lagrange multipliers",
        "iteration",
        "lambda",
        &lambdas,
        None,
        false,
        false,
        SeriesLabelPosition::LowerRight,
    )?;
    panel(
        &areas[3],
        "Penalty weight",
        "iteration",
        "rho",
        &one("rho", "rho"),
        None,
        false,
        false,
        SeriesLabelPosition::LowerRight,
    )?;
    Ok(())
}

/// One panel of a [`draw_panels`] figure.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePanel {
    /// Title above the panel.
    pub title: String,
    /// x axis label (`"iteration"` for training curves).
    pub x_desc: String,
    /// y axis label.
    pub y_desc: String,
    /// Named series of `(x, value)`.
    pub lines: Vec<(String, Vec<(f64, f64)>)>,
    /// Log-scale y axis.
    pub log_y: bool,
    /// Log-scale iteration axis.
    pub log_x: bool,
}

/// Size of a [`draw_panels`] figure of `count` panels (two per row).
pub fn panels_size(count: usize) -> (u32, u32) {
    (1100, 400 * count.div_ceil(2).max(1) as u32)
}

/// Line panels, two per row, on any plotters backend of [`panels_size`].
pub fn draw_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    panels: &[LinePanel],
) -> Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let rows = panels.len().div_ceil(2).max(1);
    let areas = root.split_evenly((rows, 2));
    for (p, area) in panels.iter().zip(&areas) {
        panel(
            area,
            &p.title,
            &p.x_desc,
            &p.y_desc,
            &p.lines,
            None,
            p.log_y,
            p.log_x,
            SeriesLabelPosition::LowerRight,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod log_axis_tests {
    use super::*;

    #[test]
    fn log_ticks_read_as_a_person_writes_them() {
        assert_eq!(log_tick(9.999_999_999_999e-5), "1e-4");
        assert_eq!(log_tick(1e-4), "1e-4");
        assert_eq!(log_tick(2.5e-4), "2.5e-4");
        assert_eq!(log_tick(0.001), "1e-3");
        assert_eq!(log_tick(3.0e-2), "3e-2");
        assert_eq!(log_tick(9.96e-3), "1e-2");
        assert_eq!(log_tick(1.0), "1e0");
    }

    #[test]
    fn a_log_axis_spans_the_data_in_whole_decades_and_at_most_four() {
        // Regret from 3e-4 to 2e-2: 1e-4 .. 1e-1.
        assert_eq!(log_range(3e-4, 2e-2), (1e-4, 0.1));
        // A few profiles at 1e-7 do not pull the axis down past four decades below the top.
        let (lo, hi) = log_range(1e-7, 5e-3);
        assert_eq!(hi, 1e-2);
        assert!((lo - 1e-6).abs() < 1e-18, "{lo}");
    }
}

//! Drawing with plotters' SVG backend (text as SVG `<text>`, so no fonts are needed to draw):
//! the heatmaps with their colour bar and overlaid boundaries, and the shared colour scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::analysis::plot::maps::{Map, Segment};
use crate::error::{Result, TrainError};

/// Width and height of one heatmap image, pixels.
pub const HEATMAP_SIZE: (u32, u32) = (620, 520);

/// plotters' drawing errors as ours.
pub(crate) fn plot_err<E: std::fmt::Debug>(e: E) -> TrainError {
    TrainError::Plot(format!("{e:?}"))
}

/// Viridis, by linear interpolation between five of its stops; `t` in `[0, 1]`.
pub fn colour(t: f32) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let s = t * (STOPS.len() - 1) as f32;
    let k = (s.floor() as usize).min(STOPS.len() - 2);
    let f = s - k as f32;
    let mix = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * f).round() as u8;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A heatmap of `map` on the colour scale `0..vmax`, titled `title`, with axis labels, a colour
/// bar labelled `legend`, and `segments` (value coordinates) drawn on top in black, on any
/// plotters backend of [`HEATMAP_SIZE`] (SVG or PNG: [`crate::analysis::plot::Drawing`]).
pub fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &Map,
    vmax: f32,
    title: &str,
    axes: (&str, &str),
    legend: &str,
    segments: &[Segment],
) -> Result<()> {
    let (w, _) = root.dim_in_pixel();
    root.fill(&WHITE).map_err(plot_err)?;
    let (main, bar) = root.split_horizontally(w - 110);
    let (x, y) = (map.x, map.y);
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(axes.0)
        .y_desc(axes.1)
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(plot_err)?;
    let g = map.resolution;
    let (dx, dy) = ((x.1 - x.0) / g as f32, (y.1 - y.0) / g as f32);
    let scale = if vmax > 0.0 { vmax } else { 1.0 };
    chart
        .draw_series(
            map.values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(c, &v)| {
                    let (ix, iy) = (c % g, c / g);
                    let x0 = x.0 + dx * ix as f32;
                    let y0 = y.0 + dy * iy as f32;
                    Rectangle::new([(x0, y0), (x0 + dx, y0 + dy)], colour(v / scale).filled())
                }),
        )
        .map_err(plot_err)?;
    chart
        .draw_series(
            segments
                .iter()
                .map(|&(a, b)| PathElement::new(vec![a, b], BLACK.stroke_width(2))),
        )
        .map_err(plot_err)?;
    colour_bar(&bar, scale, legend)
}

/// A vertical colour bar for `0..vmax` with tick labels.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    vmax: f32,
    legend: &str,
) -> Result<()> {
    let mut bar = ChartBuilder::on(area)
        .margin_top(44)
        .margin_bottom(57)
        .margin_right(10)
        .y_label_area_size(50)
        .build_cartesian_2d(0f32..1f32, 0f32..vmax)
        .map_err(plot_err)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(legend)
        .axis_desc_style(("sans-serif", 14))
        .label_style(("sans-serif", 12))
        .y_labels(6)
        .draw()
        .map_err(plot_err)?;
    let bands = 64;
    bar.draw_series((0..bands).map(|k| {
        let (lo, hi) = (
            vmax * k as f32 / bands as f32,
            vmax * (k + 1) as f32 / bands as f32,
        );
        Rectangle::new(
            [(0.0, lo), (1.0, hi)],
            colour((k as f32 + 0.5) / bands as f32).filled(),
        )
    }))
    .map_err(plot_err)?;
    Ok(())
}

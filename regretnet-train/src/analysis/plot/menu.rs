//! The menu figure of a learned affine maximizer: its most chosen entries, one row each (most
//! chosen at the top), with each bidder's probability of each item as coloured cells (what the
//! entry sells to whom) and, on the right, a bar of how often the mechanism chooses the entry on
//! the test sample. Drawn from the evaluation's [`MenuUsage`].

use plotters::prelude::*;

use crate::analysis::plot::svg::{colour, plot_err};
use crate::error::Result;
use crate::eval::menu::MenuUsage;

/// Width of the menu image, pixels; the height grows with the rows ([`menu_size`]).
pub const MENU_WIDTH: u32 = 900;

/// Pixels per entry row.
const ROW_PX: u32 = 34;

/// The image size for `usage`.
pub fn menu_size(usage: &MenuUsage) -> (u32, u32) {
    (MENU_WIDTH, 140 + ROW_PX * usage.top.len().max(1) as u32)
}

/// The figure of `usage` (module docs) on any plotters backend of [`menu_size`].
pub fn draw_menu<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    usage: &MenuUsage,
) -> Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let d = usage.columns.len().max(1);
    let n = usage.bidders.max(1);
    // x: each bidder's d cells then a one-cell gap; then the share bar over `bar` units.
    let cells = (n * (d + 1)) as f32;
    let bar = cells.max(4.0);
    let rows = usage.top.len().max(1) as f32;
    let top_share = usage
        .top
        .iter()
        .map(|e| e.share)
        .fold(0.0, f64::max)
        .max(1e-9) as f32;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "The {} most chosen of {} entries ({} chosen on {} profiles)",
                usage.top.len(),
                usage.entries,
                usage.used,
                usage.profiles
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .margin_left(90)
        .x_label_area_size(40)
        .build_cartesian_2d(0f32..cells + bar, 0f32..rows)
        .map_err(plot_err)?;
    let label = ("sans-serif", 13).into_font();
    // Row r (0 at the top) spans y in [rows - r - 1, rows - r].
    for (r, e) in usage.top.iter().enumerate() {
        let y0 = rows - r as f32 - 1.0;
        for (c, &a) in e.alloc.iter().enumerate() {
            let (i, j) = (c / d, c % d);
            let x0 = (i * (d + 1) + j) as f32;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0 + 0.04, y0 + 0.08), (x0 + 0.96, y0 + 0.92)],
                    colour(a as f32).filled(),
                )))
                .map_err(plot_err)?;
        }
        let w = bar * 0.8 * e.share as f32 / top_share;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(cells, y0 + 0.2), (cells + w.max(0.02), y0 + 0.8)],
                RGBColor(90, 90, 90).filled(),
            )))
            .map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{:.1}%", 100.0 * e.share),
                (cells + w + 0.1, y0 + 0.7),
                label.clone(),
            )))
            .map_err(plot_err)?;
        let (px, py) = chart.backend_coord(&(0.0, y0 + 0.7));
        root.draw(&Text::new(
            format!("entry {}", e.entry),
            (px - 82, py - 2),
            label.clone(),
        ))
        .map_err(plot_err)?;
    }
    // Under each bidder's group of cells, the bidder (the columns are in `usage.columns`' order).
    for i in 0..n {
        let (px, py) = chart.backend_coord(&((i * (d + 1)) as f32, 0.0));
        root.draw(&Text::new(
            format!("bidder {}", i + 1),
            (px, py + 6),
            ("sans-serif", 12).into_font(),
        ))
        .map_err(plot_err)?;
    }
    let (px, py) = chart.backend_coord(&(cells, 0.0));
    root.draw(&Text::new(
        "chosen on the test sample",
        (px, py + 6),
        ("sans-serif", 12).into_font(),
    ))
    .map_err(plot_err)?;
    let (_, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        format!(
            "cells: per bidder, {} (left to right): the entry's probability, 0 dark to 1 yellow",
            usage.columns.join(", ")
        ),
        (90, h as i32 - 22),
        ("sans-serif", 12).into_font(),
    ))
    .map_err(plot_err)?;
    Ok(())
}

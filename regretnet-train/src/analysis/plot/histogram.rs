//! The distribution of per-profile regret from an evaluation, on log-spaced bins.

use plotters::prelude::*;

use crate::analysis::plot::svg::plot_err;
use crate::error::Result;

/// Size of the histogram image, pixels.
pub const HISTOGRAM_SIZE: (u32, u32) = (720, 480);

/// Regret below this counts as zero (drawn as its own bar at the left).
pub const ZERO: f64 = 1e-6;

/// Log-spaced bins from [`ZERO`] to the largest regret, 5 per decade: `(lo, hi, count)`, and
/// the number of values below [`ZERO`].
pub fn log_bins(values: &[f32]) -> (Vec<(f64, f64, usize)>, usize) {
    let max = values.iter().map(|&v| v as f64).fold(0.0, f64::max);
    let zeros = values.iter().filter(|&&v| (v as f64) < ZERO).count();
    if max < ZERO {
        return (Vec::new(), zeros);
    }
    let per_decade = 5.0;
    let nbins = ((max / ZERO).log10() * per_decade).ceil().max(1.0) as usize;
    let edge = |k: usize| ZERO * 10f64.powf(k as f64 / per_decade);
    let mut bins: Vec<(f64, f64, usize)> = (0..nbins).map(|k| (edge(k), edge(k + 1), 0)).collect();
    for &v in values {
        let v = v as f64;
        if v >= ZERO {
            let k = (((v / ZERO).log10() * per_decade).floor() as usize).min(nbins - 1);
            bins[k].2 += 1;
        }
    }
    (bins, zeros)
}

/// A histogram of `values` (per-profile regret, all bidders) titled `title`, the share below
/// [`ZERO`] stated in the caption; on any plotters backend of [`HISTOGRAM_SIZE`].
pub fn draw_histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    values: &[f32],
    title: &str,
) -> Result<()> {
    let (bins, zeros) = log_bins(values);
    let total = values.len().max(1);
    root.fill(&WHITE).map_err(plot_err)?;
    let hi = bins.last().map_or(ZERO * 10.0, |b| b.1);
    let top = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as f64 * 1.1;
    let caption = format!(
        "{title}: {:.1}% of {} below {ZERO:.0e}",
        100.0 * zeros as f64 / total as f64,
        values.len()
    );
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((ZERO..hi).log_scale(), 0f64..top)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("regret of a profile and bidder (audited, log scale)")
        .y_desc("profiles x bidders")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_label_formatter(&|x| super::curves::log_tick(*x))
        .axis_desc_style(("sans-serif", 14))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(bins.iter().map(|&(lo, hi, c)| {
            Rectangle::new([(lo, 0.0), (hi, c as f64)], RGBColor(59, 82, 139).filled())
        }))
        .map_err(plot_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_count_every_value_once() {
        // 1.2e-5 and 1.4e-5 share bin 5, [1e-5, 10^-4.8); 1e-3 (just below it in f32) is in
        // the last bin; values below 1e-6 are counted apart.
        let v = [0.0, 1e-7, 1.2e-5, 1.4e-5, 1e-3];
        let (bins, zeros) = log_bins(&v);
        assert_eq!(zeros, 2);
        assert_eq!(bins.iter().map(|b| b.2).sum::<usize>(), 3);
        let at = |x: f64| {
            bins.iter()
                .position(|b| b.0 <= x * 1.000001 && x < b.1)
                .unwrap()
        };
        assert_eq!(at(1.2e-5), 5);
        assert_eq!(bins[5].2, 2);
        assert_eq!(bins.last().unwrap().2, 1, "{bins:?}");
        let svg = crate::analysis::plot::Drawing::Histogram {
            values: v.to_vec(),
            title: "regret".into(),
        }
        .to_svg()
        .unwrap();
        assert!(svg.contains("40.0% of 5 below 1e-6"), "{svg}");
        assert!(svg.contains("profiles x bidders"));
    }
}

//! PNG output (cargo feature `png`): the same drawings on plotters' bitmap backend, text set in
//! DejaVu Sans (free license, bundled by the `dejavu` crate, registered with plotters'
//! `ab_glyph` text renderer at first use: no system fonts are read). Without the feature,
//! asking for PNG is an error that says how to enable it.

use std::path::Path;

use crate::analysis::plot::Drawing;
use crate::error::{Result, TrainError};

/// Whether this build can write PNG.
pub const AVAILABLE: bool = cfg!(feature = "png");

/// Register the bundled font as plotters' "sans-serif" (once). With the `png` feature plotters
/// lays out all text, SVG included, with its `ab_glyph` renderer, which knows only registered
/// fonts; without the feature there is nothing to do.
pub fn ensure_fonts() -> Result<()> {
    #[cfg(feature = "png")]
    {
        use std::sync::OnceLock;
        static FONT: OnceLock<bool> = OnceLock::new();
        let ok = *FONT.get_or_init(|| {
            plotters::style::register_font(
                "sans-serif",
                plotters::style::FontStyle::Normal,
                dejavu::sans::regular(),
            )
            .is_ok()
        });
        if !ok {
            return Err(TrainError::Plot(
                "the bundled DejaVu Sans did not load".into(),
            ));
        }
    }
    Ok(())
}

/// Draw `drawing` into a PNG file at `path`.
#[cfg(feature = "png")]
pub fn write_png(drawing: &Drawing, path: &Path) -> Result<()> {
    use plotters::prelude::*;
    let root = BitMapBackend::new(path, drawing.size()).into_drawing_area();
    drawing.draw(&root)?;
    root.present()
        .map_err(crate::analysis::plot::svg::plot_err)?;
    Ok(())
}

/// Draw `drawing` into a PNG file at `path`: this build has no PNG support.
#[cfg(not(feature = "png"))]
pub fn write_png(_drawing: &Drawing, path: &Path) -> Result<()> {
    Err(TrainError::Plot(format!(
        "cannot write {}: this regretnet was built without PNG support; rebuild with \
         `--features png` or use SVG",
        path.display()
    )))
}

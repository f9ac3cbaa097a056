//! `regretnet plot`: draw a run's figures as SVG and refresh its `report.html`.

use regretnet_train::analysis::plot::{plot_run, Format, PlotOptions};
use regretnet_train::RunDir;

use crate::cli::{ImageFormat, PlotArgs};
use crate::failure::Failure;

pub fn run(args: &PlotArgs) -> Result<(), Failure> {
    let run = RunDir::open(&args.run_dir)?;
    let options = PlotOptions {
        resolution: args.resolution as usize,
        bidder: args.bidder as usize - 1,
        fixed: (!args.fix.is_empty()).then(|| args.fix.clone()),
    };
    if args.fix.iter().any(|v| !v.is_finite()) {
        return Err(Failure::usage("--fix values must be finite numbers"));
    }
    let format = match args.format {
        ImageFormat::Svg => Format::Svg,
        ImageFormat::Png if regretnet_train::analysis::plot::png::AVAILABLE => Format::Png,
        ImageFormat::Png => {
            return Err(Failure::usage(
                "--format png needs a regretnet built with PNG support: cargo install --path \
                 regretnet-cli --features png (or cargo run --features png ...)",
            ))
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.run_dir.join("plots"));
    for path in plot_run(&run, &out, &options, format)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}

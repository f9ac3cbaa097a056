//! `regretnet presets`: the presets and what the paper reports for them.

use regretnet_train::core::presets::PRESETS;
use regretnet_train::tools::listing::presets_json;

use crate::cli::PresetsArgs;
use crate::failure::Failure;

pub fn run(args: &PresetsArgs) -> Result<(), Failure> {
    if args.json {
        println!("{}", presets_json());
        return Ok(());
    }
    println!(
        "{:<30} {:>9} {:>28} {:>18}  description",
        "preset", "optimum", "best baseline", "paper RegretNet"
    );
    for p in PRESETS {
        let opt = p.optimal_revenue.map_or("-".into(), |v| format!("{v:.4}"));
        let base = p
            .best_baseline
            .map_or("-".into(), |(n, v)| format!("{v:.4} ({n})"));
        let paper = p
            .paper_regretnet
            .map_or("-".into(), |(r, g)| format!("{r:.3} @ rgt<{g:.0e}"));
        println!(
            "{:<30} {:>9} {:>28} {:>18}  {}",
            p.name, opt, base, paper, p.description
        );
    }
    println!(
        "\nSource: Dütting et al., Optimal Auctions through Deep Learning (ICML 2019 / JACM 2024)."
    );
    Ok(())
}

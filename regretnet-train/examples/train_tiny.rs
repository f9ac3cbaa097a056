//! Train a small 1-bidder, 2-item auction from code, with `regretnet-train` as the only
//! dependency, then evaluate it against the Manelli-Vincent optimum.
//!
//! Run with `cargo run --release -p regretnet-train --example train_tiny`.

use regretnet_train::core::presets;
use regretnet_train::run::MemorySink;
use regretnet_train::{evaluate, Event, Protocol, Trainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One gemm thread per worker: candle's own threading is slower at these sizes.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    // Start from the paper's preset and shrink it to run in seconds.
    let mut config = presets::preset("additive_1x2_uniform")?;
    config.net.alloc_hidden = vec![32, 32];
    config.net.pay_hidden = vec![32, 32];
    config.train.iterations = 400;
    config.train.train_size = 8_192;
    config.train.validate_every = 200;
    config.train.validation_samples = 500;

    let mut trainer = Trainer::new(config)?;
    let mut sink = MemorySink::default();
    let summary = trainer.run(&mut sink, None, 2, &mut |event| {
        if let Event::Validated(v) = event {
            println!(
                "iteration {:>4}: validation revenue {:.4}, regret {:.2e}",
                v.iteration, v.revenue, v.regret[0]
            );
        }
    })?;
    println!(
        "trained {} iterations in {:.1} s",
        summary.iterations, summary.seconds
    );

    let mut protocol = Protocol::from_config("example", &trainer.config().eval);
    protocol.samples = 1_000;
    let report = evaluate(trainer.net(), trainer.setting(), &protocol, 2, None)?;
    print!("{}", report.to_text());
    let optimum = presets::PRESETS[0].optimal_revenue.unwrap_or(f64::NAN);
    println!("Manelli-Vincent optimum: {optimum:.4} (a short run is not there yet)");
    Ok(())
}

//! Benchmark workloads of the hot loop, shared by the criterion benches
//! (`cargo bench -p regretnet-train --bench hot_loop`) and `regretnet bench`.
//!
//! Four operations per setting, at the reference's sizes (batch 128, 25 misreport steps, the
//! preset's networks): a forward pass of the mechanism on a batch, one misreport step (utility
//! and input gradient for every bidder of a batch), one whole training iteration, and one
//! step of the default test search (50 profiles x 15 starts). Each comes with its FLOP count
//! from the architecture (matrix products only: `2 * rows * in * out` per layer and pass), which
//! `regretnet bench` turns into the time those products would take at one core's measured gemm
//! speed: a yardstick, not a floor (two threads, or products larger than the measured one, beat
//! it).

use std::time::Instant;

use candle_core::{Device, Tensor};
use regretnet_core::presets::preset;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{Config, Setting, TrainConfig};
use regretnet_nets::{RegretNet, WeightGrad};
use regretnet_regret::starts::starts_per_profile;
use regretnet_regret::{Autograd, PlainNet as Plain, UtilityGradient};

use crate::error::Result;
use crate::eval::Protocol;
use crate::train::{search_gradient, Trainer};

/// Named settings of `regretnet bench`, as (label, preset); it measures the first three by
/// default. Any preset name, and any `NxM` ([`bench_setting`]), can be measured too.
pub const SETTINGS: [(&str, &str); 4] = [
    ("1x2", "additive_1x2_uniform"),
    ("2x2", "additive_2x2_uniform"),
    ("5x10", "additive_5x10_uniform"),
    ("ca2x2", "ca_sym_uniform_12"),
];

/// One setting's workloads.
#[derive(Debug)]
pub struct Workload {
    /// The trainer (its net, batch and search as configured by the preset).
    pub trainer: Trainer,
    truth: Tensor,
    mis: Vec<f32>,
    eval_truth: Tensor,
    eval_mis: Vec<f32>,
}

/// The operations measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// The mechanism on a batch of truthful profiles.
    Forward,
    /// One inner-loop step by candle's autograd through candle's plain ops (the starting point).
    MisreportStepPlain,
    /// One inner-loop step by candle's autograd through the fused tanh layers.
    MisreportStepAutograd,
    /// Utility and input gradient of every bidder on a batch (one inner-loop step), by the
    /// hand-written input gradient: what training uses.
    MisreportStep,
    /// One training iteration (25 misreport steps + the Lagrangian weight step).
    Iteration,
    /// One step of the default test search on a chunk of 50 profiles.
    EvalStep,
}

impl Op {
    /// All of them, in table order.
    pub const ALL: [Op; 6] = [
        Op::Forward,
        Op::MisreportStepPlain,
        Op::MisreportStepAutograd,
        Op::MisreportStep,
        Op::Iteration,
        Op::EvalStep,
    ];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Forward => "forward",
            Op::MisreportStepPlain => "misreport (plain ad)",
            Op::MisreportStepAutograd => "misreport (fused ad)",
            Op::MisreportStep => "misreport step",
            Op::Iteration => "training iteration",
            Op::EvalStep => "eval step",
        }
    }
}

/// Items from which an `NxM` setting gets the reference's deep networks (5 x 100, as its 3x10
/// and 5x10 settings); below, 2 x 100.
pub const DEEP_FROM_ITEMS: usize = 10;

/// The config `regretnet bench` measures for `label`: a label of [`SETTINGS`], a preset name,
/// or `NxM` for `N` additive bidders and `M` items with U(0,1) values (`N`, `M` from 1 to 100;
/// the preset of that shape where there is one, else the reference's networks for the size,
/// [`DEEP_FROM_ITEMS`]). Then as [`bench_config`].
pub fn bench_setting(label: &str) -> Result<Config> {
    if let Some((_, name)) = SETTINGS.iter().find(|(l, _)| *l == label) {
        return bench_config(preset(name)?);
    }
    if let Ok(c) = preset(label) {
        return bench_config(c);
    }
    let shape = label
        .split_once('x')
        .and_then(|(n, m)| Some((n.parse::<usize>().ok()?, m.parse::<usize>().ok()?)))
        .filter(|&(n, m)| (1..=100).contains(&n) && (1..=100).contains(&m));
    let Some((n, m)) = shape else {
        return Err(regretnet_core::ConfigError::invalid(
            "--settings",
            format!(
                "unknown setting `{label}`: use {}, a preset name (`regretnet presets`) or NxM \
                 with N bidders and M items from 1 to 100",
                SETTINGS.map(|(l, _)| l).join(", ")
            ),
        )
        .into());
    };
    let name = format!("additive_{n}x{m}_uniform");
    if let Ok(c) = preset(&name) {
        return bench_config(c);
    }
    let widths = if m >= DEEP_FROM_ITEMS { 5 } else { 2 };
    let c = Config::from_toml_str(&format!(
        "[setting]\nname = '{name}'\nbidders = {n}\nitems = {m}\n\
         prior = {{ kind = 'uniform', lo = 0.0, hi = 1.0 }}\n\
         [net]\nalloc_hidden = {w:?}\npay_hidden = {w:?}\n",
        w = vec![100; widths]
    ))?;
    bench_config(c)
}

/// A config at the reference's sizes (batch 128, 25 misreport steps, even where the preset
/// trains with more), with a small training set (the per-iteration cost does not depend on
/// its size) and no validation.
pub fn bench_config(mut c: Config) -> Result<Config> {
    c.train.misreport_steps = TrainConfig::default().misreport_steps;
    c.train.train_size = 16 * c.train.batch_size;
    c.train.validate_every = 0;
    Ok(c)
}

/// `2 * rows * sum(in * out)` over both networks' layers.
pub fn forward_flops(net: &RegretNet, rows: usize) -> f64 {
    let layers = net
        .alloc_net()
        .hidden
        .iter()
        .chain([&net.alloc_net().output])
        .chain(&net.pay_net().hidden)
        .chain([&net.pay_net().output]);
    let macs: usize = layers.map(|l| l.weight.as_tensor().elem_count()).sum();
    2.0 * rows as f64 * macs as f64
}

impl Workload {
    /// Build the workloads of a preset, seeded.
    pub fn new(preset_name: &str) -> Result<Self> {
        Workload::from_config(bench_config(preset(preset_name)?)?)
    }

    /// Build the workloads of a config ([`bench_setting`], [`bench_config`]), seeded.
    pub fn from_config(config: Config) -> Result<Self> {
        let trainer = Trainer::new(config)?;
        trainer.regretnet()?;
        let s = trainer.setting().clone();
        let batch = trainer.config().train.batch_size;
        let truth_v = s.sample_profiles(&mut stream_rng(1, Stream::Test), batch);
        let mis = s.sample_profiles(&mut stream_rng(2, Stream::Test), batch);
        let protocol = Protocol::from_config("default", &trainer.config().eval);
        let rows = protocol.chunk * starts_per_profile(&s, &protocol.search());
        let eval_v = s.sample_profiles(&mut stream_rng(3, Stream::Test), rows);
        let eval_mis = s.sample_profiles(&mut stream_rng(4, Stream::Test), rows);
        let shape = |k: usize| (k, s.bidders, s.type_len());
        Ok(Workload {
            truth: Tensor::from_vec(truth_v, shape(batch), &Device::Cpu)?,
            mis,
            eval_truth: Tensor::from_vec(eval_v, shape(rows), &Device::Cpu)?,
            eval_mis,
            trainer,
        })
    }

    /// The setting.
    pub fn setting(&self) -> &Setting {
        self.trainer.setting()
    }

    /// Run `op` once.
    pub fn run(&mut self, op: Op) -> Result<()> {
        match op {
            Op::Forward => {
                self.trainer
                    .net()
                    .forward(&self.truth, WeightGrad::Frozen)?;
            }
            Op::MisreportStepPlain => {
                Autograd(&Plain(self.trainer.regretnet()?))
                    .utility_and_grad(&self.truth, &self.mis)?;
            }
            Op::MisreportStepAutograd => {
                Autograd(self.trainer.regretnet()?).utility_and_grad(&self.truth, &self.mis)?;
            }
            Op::MisreportStep => {
                search_gradient(self.trainer.regretnet()?)?
                    .utility_and_grad(&self.truth, &self.mis)?;
            }
            Op::Iteration => {
                self.trainer.step()?;
            }
            Op::EvalStep => {
                search_gradient(self.trainer.regretnet()?)?
                    .utility_and_grad(&self.eval_truth, &self.eval_mis)?;
            }
        }
        Ok(())
    }

    /// FLOPs of one `op` (matrix products only; see the module docs).
    pub fn flops(&self, op: Op) -> f64 {
        // Cases are built for RegretNet only (`from_config` refuses the others).
        let Ok(net) = self.trainer.regretnet() else {
            return 0.0;
        };
        let n = self.setting().bidders;
        let b = self.trainer.config().train.batch_size;
        let k = self.trainer.config().train.misreport_steps as f64;
        let eval_rows = self.eval_truth.dim(0).unwrap_or(0) * n;
        match op {
            Op::Forward => forward_flops(net, b),
            // Forward and the input gradient (one product per layer each).
            Op::MisreportStep | Op::MisreportStepPlain | Op::MisreportStepAutograd => {
                2.0 * forward_flops(net, b * n)
            }
            // 25 misreport steps, then forward plus weight and input gradients on the truthful
            // and misreported profiles.
            Op::Iteration => {
                k * 2.0 * forward_flops(net, b * n) + 3.0 * forward_flops(net, b * (n + 1))
            }
            Op::EvalStep => 2.0 * forward_flops(net, eval_rows),
        }
    }
}

/// Median, minimum and maximum of `samples` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Median seconds.
    pub median: f64,
    /// Fastest.
    pub min: f64,
    /// Slowest.
    pub max: f64,
}

/// Time `f` `samples` times after `warmup` untimed calls.
pub fn time<F: FnMut() -> Result<()>>(warmup: usize, samples: usize, mut f: F) -> Result<Timing> {
    for _ in 0..warmup {
        f()?;
    }
    let mut t = Vec::with_capacity(samples.max(1));
    for _ in 0..samples.max(1) {
        let start = Instant::now();
        f()?;
        t.push(start.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    Ok(Timing {
        median: t[t.len() / 2],
        min: t[0],
        max: t[t.len() - 1],
    })
}

/// GFLOP/s of candle's matrix product `[128, 100] x [100, 100]` on this machine (one thread):
/// the speed the "time at gemm speed" column is computed at.
pub fn gemm_gflops() -> Result<f64> {
    let fill = |k: usize| -> Vec<f32> { (0..k).map(|i| (i % 97) as f32 / 97.0).collect() };
    let a = Tensor::from_vec(fill(128 * 100), (128, 100), &Device::Cpu)?;
    let b = Tensor::from_vec(fill(100 * 100), (100, 100), &Device::Cpu)?;
    let t = time(50, 500, || {
        a.matmul(&b)?;
        Ok(())
    })?;
    Ok(2.0 * 128.0 * 100.0 * 100.0 / t.median / 1e9)
}

/// One measured operation of one setting, as `regretnet bench` prints it (and `--json` writes).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchRow {
    /// The setting as asked for (`2x2`, a preset name, `NxM`).
    pub setting: String,
    /// The operation ([`Op::name`]).
    pub operation: &'static str,
    /// Median milliseconds per call.
    pub median_ms: f64,
    /// Fastest call.
    pub min_ms: f64,
    /// Slowest call.
    pub max_ms: f64,
    /// FLOPs of the matrix products over the median time.
    pub gflops: f64,
    /// The time the matrix products would take at one core's measured gemm speed.
    pub at_gemm_speed_ms: f64,
    /// Worker threads.
    pub threads: usize,
}

/// What [`run_benchmarks`] reports as it goes.
#[derive(Debug)]
pub enum BenchEvent<'a> {
    /// The one-thread gemm speed the yardstick column uses, GFLOP/s (first).
    Gemm(f64),
    /// One operation measured.
    Row(&'a BenchRow),
}

/// Timed calls per operation: about 1.5 s of work each at 40 GFLOP/s (fewer for slow
/// operations), between 3 and 200, times `scale`.
pub fn samples_for(flops: f64, scale: f64) -> usize {
    let guess = 1.5 / (flops / 40e9).max(1e-9);
    ((guess.clamp(3.0, 200.0) * scale).round() as usize).max(3)
}

/// Time every operation ([`Op::ALL`]) of every setting (resolved by [`bench_setting`], all
/// before any timing, so that a typo fails at once) with `threads` worker threads and
/// `scale` times the default number of calls; `observer` sees the gemm speed and each row.
pub fn run_benchmarks(
    settings: &[&str],
    scale: f64,
    threads: usize,
    observer: &mut dyn FnMut(BenchEvent<'_>),
) -> Result<Vec<BenchRow>> {
    let configs = settings
        .iter()
        .map(|w| bench_setting(w).map(|c| (*w, c)))
        .collect::<Result<Vec<_>>>()?;
    if !(scale.is_finite() && scale > 0.0) {
        return Err(regretnet_core::ConfigError::invalid(
            "--scale",
            format!("must be a positive number, not {scale}"),
        )
        .into());
    }
    let gemm = gemm_gflops()?;
    observer(BenchEvent::Gemm(gemm));
    let mut rows = Vec::new();
    for (label, config) in configs {
        let mut w = Workload::from_config(config)?;
        w.trainer.set_threads(threads);
        for op in Op::ALL {
            let flops = w.flops(op);
            let t = time(3, samples_for(flops, scale), || w.run(op))?;
            let row = BenchRow {
                setting: label.to_string(),
                operation: op.name(),
                median_ms: t.median * 1e3,
                min_ms: t.min * 1e3,
                max_ms: t.max * 1e3,
                gflops: flops / t.median / 1e9,
                at_gemm_speed_ms: flops / (gemm * 1e9) * 1e3,
                threads,
            };
            observer(BenchEvent::Row(&row));
            rows.push(row);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_settings_resolve_labels_presets_and_shapes() {
        // Labels and preset names: the preset at the reference's sizes.
        let c = bench_setting("2x2").unwrap();
        assert_eq!(c.setting.name, "additive_2x2_uniform");
        assert_eq!(c.train.misreport_steps, 25);
        assert_eq!(c.train.validate_every, 0);
        assert_eq!(
            bench_setting("unit_2x2_uniform").unwrap().setting.name,
            "unit_2x2_uniform"
        );
        // NxM: the preset of that shape where there is one (3x10: 5 x 100 nets, as the
        // reference), otherwise additive U[0,1] with the reference's nets for the size.
        let c = bench_setting("3x10").unwrap();
        assert_eq!(c.setting.name, "additive_3x10_uniform");
        assert_eq!(c.net.alloc_hidden, vec![100; 5]);
        let c = bench_setting("10x10").unwrap();
        assert_eq!((c.setting.bidders, c.setting.items), (10, 10));
        assert_eq!(c.net.pay_hidden, vec![100; 5]);
        let c = bench_setting("4x3").unwrap();
        assert_eq!(c.net.alloc_hidden, vec![100; 2]);
        for bad in ["0x3", "3x0", "3x", "x3", "101x2", "3x3y", "nope"] {
            let e = bench_setting(bad).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains("--settings"), "{bad}: {e}");
        }
    }
}

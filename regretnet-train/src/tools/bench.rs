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
//!
//! The equivariant RegretNet (`--net equivariant`) has the same operations but the two that
//! compare gradient implementations (its misreport gradient is candle's autograd), at the
//! preset's schedule with the presets' exchangeable widths; its FLOP count per profile and pass
//! is `EquivariantNet::macs_per_profile` (each exchangeable layer's products at the `n m`
//! entries, the `n` row and `m` column means and the global mean).
//!
//! A learned affine maximizer (`--net ama`, docs/AMA.md) has no misreport loop, so it has two
//! operations: its hard-argmax mechanism on a batch, and one training iteration (the softmax
//! surrogate's forward and backward passes and the Adam step), at the preset's schedule and
//! menu (1,000 entries); its FLOP count is the products of the bids with the menu (`2 * batch *
//! n * d * (K + 1)` per pass, three passes per iteration). A generated menu's own products do not
//! depend on the batch and are not counted.

use std::time::Instant;

use candle_core::{Device, Tensor};
use regretnet_core::presets::{self, preset};
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{Config, MenuKind, NetKind, Setting, TrainConfig};
use regretnet_nets::{RegretNet, WeightGrad};
use regretnet_regret::starts::starts_per_profile;
use regretnet_regret::{Autograd, Mechanism, PlainNet as Plain, UtilityGradient};

use crate::error::Result;
use crate::eval::Protocol;
use crate::train::Trainer;

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

    /// The operations a network of `kind` has: all of them for RegretNet; the mechanism and
    /// the training iteration for a learned affine maximizer (no misreport loop).
    pub fn for_kind(kind: NetKind) -> &'static [Op] {
        match kind {
            NetKind::Regretnet => &Op::ALL,
            // No hand-written gradient to compare with autograd: the misreport step is autograd.
            NetKind::Equivariant => &[Op::Forward, Op::MisreportStep, Op::Iteration, Op::EvalStep],
            _ => &[Op::Forward, Op::Iteration],
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

/// The config `regretnet bench --net KIND --menu MENU` measures for `label`: for RegretNet
/// [`bench_setting`]; for a learned affine maximizer (`NetKind::Ama`) the preset `label` names
/// (a label of [`SETTINGS`], a preset name, or `NxM` with a preset of that shape) with the AMA's
/// own schedule and menu ([`presets::preset_with_menu`]), a small training set and no
/// validation. Other networks are refused: the paper's exactly-IC networks are benchmarked by
/// nothing here.
pub fn bench_setting_for(label: &str, kind: NetKind, menu: MenuKind) -> Result<Config> {
    let refuse = |why: String| -> Result<Config> {
        Err(regretnet_core::ConfigError::invalid("--net", why).into())
    };
    match kind {
        NetKind::Regretnet if menu == MenuKind::Free => return bench_setting(label),
        NetKind::Equivariant if menu == MenuKind::Free => {
            let mut c = bench_setting(label)?;
            c.net = presets::equivariant_net();
            c.validate()?;
            return Ok(c);
        }
        NetKind::Regretnet | NetKind::Equivariant => {
            return refuse("--menu applies to --net ama only".into());
        }
        NetKind::Ama => {}
        other => {
            return refuse(format!(
                "`regretnet bench` measures regretnet, equivariant and ama, not {}",
                other.name()
            ))
        }
    }
    let name = bench_setting(label)?.setting.name;
    if preset(&name).is_err() {
        return refuse(format!(
            "--net ama needs a preset: `{label}` is not one (`regretnet presets` lists them)"
        ));
    }
    let mut c = presets::preset_with_menu(&name, menu)?;
    c.train.train_size = 16 * c.train.batch_size;
    c.train.validate_every = 0;
    Ok(c)
}

/// `config` (a RegretNet's) on the truthful base `regretnet bench --myerson-base TAU` measures:
/// softened item-wise Myerson at temperature `tau` under the network (`net.base`), at the same
/// schedule, so that the base's share of each operation is the difference from the plain row.
/// Refused, naming the flag, for other networks and where the base does not apply (not
/// additive, not uniform values, a temperature that is not positive).
pub fn with_myerson_base(mut config: Config, tau: f64) -> Result<Config> {
    if config.net.kind != NetKind::Regretnet {
        return Err(regretnet_core::ConfigError::invalid(
            "--myerson-base",
            format!(
                "a truthful base is RegretNet's (--net regretnet), not {}'s",
                config.net.kind.name()
            ),
        )
        .into());
    }
    config.net.base = Some(regretnet_core::NetBase::ItemwiseMyerson);
    config.net.base_temperature = Some(tau);
    config.validate()?;
    Ok(config)
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
    2.0 * rows as f64 * mlp_macs(net) as f64
}

/// Multiply-adds of one profile through both networks' layers: `sum(in * out)`.
fn mlp_macs(net: &RegretNet) -> usize {
    let layers = net
        .alloc_net()
        .hidden
        .iter()
        .chain([&net.alloc_net().output])
        .chain(&net.pay_net().hidden)
        .chain([&net.pay_net().output]);
    layers.map(|l| l.weight.as_tensor().elem_count()).sum()
}

impl Workload {
    /// Build the workloads of a preset, seeded.
    pub fn new(preset_name: &str) -> Result<Self> {
        Workload::from_config(bench_config(preset(preset_name)?)?)
    }

    /// Build the workloads of a config ([`bench_setting`], [`bench_config`]), seeded.
    pub fn from_config(config: Config) -> Result<Self> {
        let kind = config.net.kind;
        if !matches!(
            kind,
            NetKind::Regretnet | NetKind::Ama | NetKind::Equivariant
        ) {
            return Err(regretnet_core::ConfigError::invalid(
                "net.kind",
                format!(
                    "benchmarks measure regretnet, equivariant and ama, not {}",
                    kind.name()
                ),
            )
            .into());
        }
        let trainer = Trainer::new(config)?;
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

    /// The operations this workload's network has ([`Op::for_kind`]).
    pub fn ops(&self) -> &'static [Op] {
        Op::for_kind(self.trainer.net().kind())
    }

    /// Run `op` once (an operation the network does not have, [`Workload::ops`], is an error).
    pub fn run(&mut self, op: Op) -> Result<()> {
        if !self.ops().contains(&op) {
            return Err(crate::error::TrainError::Unsupported(format!(
                "a {} network has no `{}` operation",
                self.trainer.net().kind().name(),
                op.name()
            )));
        }
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
                Mechanism::utility_gradient(self.trainer.net())?
                    .utility_and_grad(&self.truth, &self.mis)?;
            }
            Op::Iteration => {
                self.trainer.step()?;
            }
            Op::EvalStep => {
                Mechanism::utility_gradient(self.trainer.net())?
                    .utility_and_grad(&self.eval_truth, &self.eval_mis)?;
            }
        }
        Ok(())
    }

    /// FLOPs of one `op` (matrix products only; see the module docs).
    pub fn flops(&self, op: Op) -> f64 {
        let n = self.setting().bidders;
        let b = self.trainer.config().train.batch_size;
        let macs = match self.trainer.net() {
            regretnet_nets::Model::RegretNet(net) => mlp_macs(net),
            regretnet_nets::Model::Equivariant(net) => {
                net.macs_per_profile(n, self.setting().items)
            }
            // `from_config` builds RegretNet or an AMA: the bids times the menu.
            regretnet_nets::Model::Ama(ama) => {
                let pass = 2.0
                    * b as f64
                    * (n * self.setting().type_len()) as f64
                    * (ama.entries() + 1) as f64;
                return match op {
                    Op::Iteration => 3.0 * pass,
                    _ => pass,
                };
            }
            _ => return 0.0,
        };
        let k = self.trainer.config().train.misreport_steps as f64;
        let eval_rows = self.eval_truth.dim(0).unwrap_or(0) * n;
        let pass = |rows: usize| 2.0 * rows as f64 * macs as f64;
        match op {
            Op::Forward => pass(b),
            // Forward and the input gradient (one product per layer each).
            Op::MisreportStep | Op::MisreportStepPlain | Op::MisreportStepAutograd => {
                2.0 * pass(b * n)
            }
            // 25 misreport steps, then forward plus weight and input gradients on the truthful
            // and misreported profiles.
            Op::Iteration => k * 2.0 * pass(b * n) + 3.0 * pass(b * (n + 1)),
            Op::EvalStep => 2.0 * pass(eval_rows),
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
    /// The network (`regretnet`, `ama`).
    pub net: &'static str,
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
///
/// `net` and `menu` choose the network ([`bench_setting_for`]): RegretNet and the free menu for
/// the hot loop of RegretNet, `NetKind::Ama` for a learned affine maximizer's operations.
///
/// With `base: Some(tau)` each RegretNet runs on the truthful base ([`with_myerson_base`]), and
/// its rows' setting reads `LABEL+base`.
pub fn run_benchmarks(
    settings: &[&str],
    (net, menu): (NetKind, MenuKind),
    base: Option<f64>,
    scale: f64,
    threads: usize,
    observer: &mut dyn FnMut(BenchEvent<'_>),
) -> Result<Vec<BenchRow>> {
    let configs = settings
        .iter()
        .map(|w| {
            let c = bench_setting_for(w, net, menu)?;
            Ok(match base {
                Some(tau) => (format!("{w}+base"), with_myerson_base(c, tau)?),
                None => (w.to_string(), c),
            })
        })
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
        for &op in w.ops() {
            let flops = w.flops(op);
            let t = time(3, samples_for(flops, scale), || w.run(op))?;
            let row = BenchRow {
                setting: label.clone(),
                net: w.trainer.net().kind().name(),
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

    #[test]
    fn ama_benchmarks_use_the_preset_schedule_and_refuse_what_they_cannot_measure() {
        // The AMA's own preset config (docs/AMA.md): 1,000 entries, its temperature and
        // learning rates, a small training set and no validation.
        let c = bench_setting_for("3x10", NetKind::Ama, MenuKind::Free).unwrap();
        assert_eq!(c.net.kind, NetKind::Ama);
        assert_eq!(c.setting.name, "additive_3x10_uniform");
        assert_eq!(c.net.menu_size, 1_000);
        assert_eq!(c.net.temperature, presets::AMA_TEMPERATURE);
        assert_eq!((c.train.validate_every, c.train.train_size), (0, 16 * 128));
        let g = bench_setting_for("2x2", NetKind::Ama, MenuKind::Generated).unwrap();
        assert_eq!(g.net.menu, MenuKind::Generated);
        assert_eq!(g.train.lr, presets::AMA_GENERATED_LR);
        // RegretNet's path is bench_setting's.
        assert_eq!(
            bench_setting_for("2x2", NetKind::Regretnet, MenuKind::Free).unwrap(),
            bench_setting("2x2").unwrap()
        );
        // Refused, naming the flag: a shape with no preset, a menu for RegretNet, RochetNet,
        // and a generated menu for combinatorial bidders (the preset's own refusal).
        for (label, kind, menu, flag) in [
            ("4x3", NetKind::Ama, MenuKind::Free, "--net"),
            ("2x2", NetKind::Regretnet, MenuKind::Generated, "--menu"),
            ("1x2", NetKind::Rochetnet, MenuKind::Free, "rochetnet"),
            ("ca2x2", NetKind::Ama, MenuKind::Generated, "net.menu"),
        ] {
            let e = bench_setting_for(label, kind, menu)
                .unwrap_err()
                .to_string();
            assert!(e.contains(flag), "{label} {kind:?} {menu:?}: {e}");
        }
    }

    #[test]
    fn a_based_workload_runs_every_operation_on_the_truthful_base() {
        let c = with_myerson_base(bench_setting("2x2").unwrap(), 0.05).unwrap();
        assert_eq!(c.net.base, Some(regretnet_core::NetBase::ItemwiseMyerson));
        assert_eq!(c.net.base_temperature, Some(0.05));
        let mut w = Workload::from_config(c).unwrap();
        assert!(w.trainer.net().as_regretnet().unwrap().base().is_some());
        assert_eq!(w.ops(), &Op::ALL);
        for &op in w.ops() {
            w.run(op).unwrap();
        }
        // Refused, naming what is wrong: another network, bidders the base does not apply to,
        // a temperature that is not positive.
        for (c, tau, want) in [
            (
                bench_setting_for("2x2", NetKind::Ama, MenuKind::Free),
                0.05,
                "--myerson-base",
            ),
            (bench_setting("unit_2x2_uniform"), 0.05, "additive"),
            (bench_setting("2x2"), 0.0, "base_temperature"),
        ] {
            let e = with_myerson_base(c.unwrap(), tau).unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn an_ama_workload_runs_its_two_operations_and_counts_the_menu_products() {
        let mut c = bench_setting_for("2x2", NetKind::Ama, MenuKind::Free).unwrap();
        c.net.menu_size = 50;
        let mut w = Workload::from_config(c).unwrap();
        assert_eq!(w.ops(), &[Op::Forward, Op::Iteration]);
        for &op in w.ops() {
            w.run(op).unwrap();
        }
        assert_eq!(w.trainer.iteration(), 1);
        // 2 * batch 128 * (2 bidders x 2 items) * (50 entries + the empty one) per pass,
        // three passes per iteration.
        let pass = 2.0 * 128.0 * 4.0 * 51.0;
        assert_eq!(w.flops(Op::Forward), pass);
        assert_eq!(w.flops(Op::Iteration), 3.0 * pass);
        // No misreport loop: RegretNet's operations are errors, not silent no-ops.
        assert!(w.run(Op::MisreportStep).is_err());
    }

    #[test]
    fn an_equivariant_workload_runs_its_four_operations_and_counts_its_layers() {
        let mut c = bench_setting_for("2x3", NetKind::Equivariant, MenuKind::Free).unwrap();
        c.train.misreport_steps = 2;
        let mut w = Workload::from_config(c).unwrap();
        assert_eq!(
            w.ops(),
            &[Op::Forward, Op::MisreportStep, Op::Iteration, Op::EvalStep]
        );
        for &op in w.ops() {
            w.run(op).unwrap();
        }
        // 6,800 multiply-adds per 2x3 profile at the presets' widths (the doc test of
        // `EquivariantNet::macs_per_profile` counts them), two FLOPs each, batch 128.
        assert_eq!(w.flops(Op::Forward), 2.0 * 128.0 * 6_800.0);
        // No fused-against-plain comparison for it: those are errors.
        assert!(w.run(Op::MisreportStepPlain).is_err());
        assert!(bench_setting_for("2x3", NetKind::Equivariant, MenuKind::Generated).is_err());
    }
}

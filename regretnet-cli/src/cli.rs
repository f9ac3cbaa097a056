//! The command-line grammar (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use regretnet_train::eval::overrides::limits;

/// Learn revenue-optimal auctions with RegretNet, and check their regret.
#[derive(Debug, Parser)]
#[command(name = "regretnet", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the presets with the paper's numbers.
    Presets(PresetsArgs),
    /// Train a mechanism into a run directory.
    Train(TrainArgs),
    /// Evaluate a run's latest checkpoint on the test sample.
    Eval(EvalArgs),
    /// Time the hot loop (forward, misreport step, training iteration, eval step) per setting.
    Bench(BenchArgs),
    /// Revenue of the baseline mechanisms on a setting's test sample.
    Baseline(BaselineArgs),
    /// Train, evaluate and compare with the baselines every preset of a budget; write
    /// RESULTS.md (rerun the same command to resume after a kill).
    Reproduce(ReproduceArgs),
    /// Draw a run: allocation and payment heatmaps, training curves, regret distribution;
    /// refresh its report.html.
    Plot(PlotArgs),
    /// The revenue-regret frontier of a run: every kept checkpoint audited on one sample and
    /// compared profile by profile with the baselines; the best revenue at each regret bound.
    Frontier(FrontierArgs),
    /// Which layers hold incentive compatibility and which revenue, and when: linear probes,
    /// layer rollback and ablation over a traced run's checkpoints (`train --trace K`);
    /// aggregate several seeds with --runs.
    Probe(ProbeArgs),
    /// Write a run's checkpoint as a small weights-only model directory (config.toml and the
    /// network's weights; no optimizer state or misreport cache): what `models/<row>` holds.
    /// `regretnet eval MODEL_DIR` evaluates it.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run directory written by `regretnet train`.
    pub run_dir: PathBuf,
    /// The model directory to write (e.g. models/additive_5x10_uniform).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The checkpoint to export (default: the run's newest periodic checkpoint).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Replace the model already in --out.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The run directory to probe (trained with `--trace K`); results go to <RUN_DIR>/probe.
    #[arg(required_unless_present = "runs", conflicts_with = "runs")]
    pub run_dir: Option<PathBuf>,
    /// Aggregate these runs (the same setting, different seeds) with confidence intervals;
    /// each is probed first unless it already has probe/summary.json (see --fresh).
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// Where the aggregate of --runs goes (default: runs/probe-<setting>).
    #[arg(long, value_name = "DIR", requires = "runs")]
    pub out: Option<PathBuf>,
    /// Probe every run of --runs again, even those with a probe/summary.json.
    #[arg(long)]
    pub fresh: bool,
    /// Profiles of the probe sample (linear probes and every evaluation).
    #[arg(long, value_name = "K", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(8..=100_000))]
    pub samples: u64,
    /// Audited regret below which a checkpoint counts as incentive compatible.
    #[arg(long, value_name = "X", default_value_t = 1e-3)]
    pub threshold: f64,
    /// Prior-drawn starts of the probe's misreport search (besides truthful and corners).
    #[arg(long, value_name = "R", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub restarts: u64,
    /// Adam steps per start of the probe's misreport search.
    #[arg(long, value_name = "S", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub steps: u64,
    /// Audit grid points per report coordinate (0: no audit).
    #[arg(long, value_name = "N", default_value_t = 41, value_parser = clap::value_parser!(u64).range(0..=1001))]
    pub grid: u64,
    #[command(flatten)]
    pub threads: Threads,
    /// No progress output on stderr.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageFormat {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics (with the bundled DejaVu Sans font).
    Png,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The run directory.
    pub run_dir: PathBuf,
    /// Where the image files go (default: <run_dir>/plots).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Image format: svg (no fonts needed), or png (builds with `--features png` only).
    #[arg(long, value_enum, default_value_t = ImageFormat::Svg)]
    pub format: ImageFormat,
    /// Heatmap cells per axis.
    #[arg(long, value_name = "N", default_value_t = 120, value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub resolution: u64,
    /// The bidder whose reports vary (1-based).
    #[arg(long, value_name = "I", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub bidder: u64,
    /// The profile the other bidders are fixed at, comma-separated, row-major over bidders
    /// (type values per bidder: items, plus C for a combinatorial bidder); default: the
    /// prior's mean.
    #[arg(
        long,
        value_name = "V,V,...",
        value_delimiter = ',',
        allow_negative_numbers = true
    )]
    pub fix: Vec<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetName {
    /// Allocation and payment networks under the regret constraint (any setting).
    Regretnet,
    /// A menu of lotteries, exactly incentive compatible (one bidder).
    Rochetnet,
    /// Monotone virtual values with a second-price auction, exactly IC (one item).
    Myersonnet,
    /// A learned affine maximizer: a menu of lotteries with bidder weights and boosts,
    /// exactly IC for any numbers of bidders and items.
    Ama,
    /// A permutation-equivariant RegretNet (exchangeable layers over bidders x items) under
    /// the regret constraint: the same weights at every number of bidders and items.
    Equivariant,
}

impl NetName {
    /// The config's kind.
    pub fn kind(self) -> regretnet_train::core::NetKind {
        use regretnet_train::core::NetKind;
        match self {
            NetName::Regretnet => NetKind::Regretnet,
            NetName::Rochetnet => NetKind::Rochetnet,
            NetName::Myersonnet => NetKind::Myersonnet,
            NetName::Ama => NetKind::Ama,
            NetName::Equivariant => NetKind::Equivariant,
        }
    }
}

/// Where an AMA's menu comes from (`net.menu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MenuName {
    /// Every entry, boost and weight a parameter (lottery AMA).
    Free,
    /// Entries, boosts and weights from exchangeable layers over fixed bidder and item
    /// representations: the same parameters at every number of bidders and items.
    Generated,
}

impl MenuName {
    /// The config's menu kind.
    pub fn kind(self) -> regretnet_train::core::MenuKind {
        use regretnet_train::core::MenuKind;
        match self {
            MenuName::Free => MenuKind::Free,
            MenuName::Generated => MenuKind::Generated,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BudgetName {
    /// The single-bidder rows and 2x2 under the fast schedules of issue 16 (docs/TRAINING.md).
    Quick,
    /// Every preset at the reference's 400,000 iterations (days on a CPU).
    Full,
    /// 2x3, unit-demand 2x2, 3x10 and 5x10, shortened (estimated 3 hours on 2 cores).
    Large,
    /// RochetNet on every single-bidder row, MyersonNet on the four single-item rows
    /// (exactly incentive compatible; 60,000 iterations with the learning rate decayed over
    /// the second half, docs/TRAINING.md).
    Exact,
    /// The learned affine maximizer (exactly IC) on 2x2, unit-demand 2x2, 2x3, 2x5, both CA
    /// settings, 3x10 and 5x10: 20,000 iterations each (docs/AMA.md).
    Ama,
}

#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// How much to train.
    #[arg(long, value_enum, default_value_t = BudgetName::Quick)]
    pub budget: BudgetName,
    /// Only these presets (any preset; see `regretnet presets`), in this order.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub only: Vec<String>,
    /// The evaluation protocol of every row.
    #[arg(long, value_enum, default_value_t = ProtocolName::Default)]
    pub protocol: ProtocolName,
    /// Where the run directories go (default: runs/reproduce-<budget>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where to write the table (default: <out>/RESULTS.md). Only a file that `reproduce` wrote
    /// (its first line says so) is replaced: a hand-written file is refused.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Train every row N iterations instead of the budget's (a smoke test of the pipeline;
    /// the table shows the iterations).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: Option<u64>,
    /// Evaluate on K test profiles instead of the protocol's (renames the protocol).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    pub samples: Option<u64>,
    /// Train every preset once per training seed, each a row of its own in
    /// <out>/<preset>-seed<S> (the runs `regretnet probe --runs` aggregates).
    #[arg(
        long,
        value_name = "S,S,...",
        value_delimiter = ',',
        conflicts_with = "regret_targets"
    )]
    pub seeds: Vec<u64>,
    /// Train every preset once per regret target (train.regret_target), each a row of its own
    /// in <out>/<preset>-target<R> (the points of a revenue-regret frontier). A target below
    /// 5e-3 is annealed from 5e-3 over the schedule's first half (train.regret_target_start,
    /// docs/TRAINING.md).
    #[arg(long, value_name = "R,R,...", value_delimiter = ',')]
    pub regret_targets: Vec<f64>,
    /// Record the layer trace every K iterations (train.trace_every), so that `regretnet probe`
    /// can explain the rows (RegretNet rows only).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub trace: Option<u64>,
    /// Write a checkpoint every N iterations instead of the budget's (a killed row loses at
    /// most N iterations; pass the same value when running the command again).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,
    #[command(flatten)]
    pub threads: Threads,
    /// No progress output on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Hand the rows to Slurm: write a job array (one task per row, each running this command
    /// with `--only ROW`) as <out>/slurm/reproduce.sbatch and submit it with sbatch
    /// (docs/CLUSTER.md).
    #[arg(long, conflicts_with_all = ["collect", "status"])]
    pub slurm: bool,
    /// With --slurm: write the script and the plan, do not submit.
    #[arg(long, requires = "slurm")]
    pub dry_run: bool,
    /// With --slurm: submit only the rows that are not finished (a killed or timed-out task
    /// resumes from its checkpoint).
    #[arg(long, requires = "slurm")]
    pub resubmit: bool,
    /// With --slurm: the partition (default: the cluster's).
    #[arg(long, value_name = "NAME", requires = "slurm")]
    pub partition: Option<String>,
    /// With --slurm: each task's time limit as Slurm reads it (default: estimated from the
    /// rows' FLOPs per iteration and iterations, 1.5x).
    #[arg(long, value_name = "TIME", requires = "slurm")]
    pub time: Option<String>,
    /// With --slurm: CPUs per task (default: the rows' largest train.shards).
    #[arg(long, value_name = "N", requires = "slurm", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub cpus_per_task: Option<u64>,
    /// With --slurm: memory per task as Slurm reads it (default: estimated from the rows).
    #[arg(long, value_name = "MEM", requires = "slurm")]
    pub mem: Option<String>,
    /// With --slurm: an extra #SBATCH argument (repeatable), e.g. --sbatch-arg=--account=abc.
    #[arg(
        long = "sbatch-arg",
        value_name = "ARG",
        requires = "slurm",
        allow_hyphen_values = true
    )]
    pub sbatch_arg: Vec<String>,
    /// With --slurm: a TOML file whose [slurm] table sets partition, time, cpus_per_task, mem
    /// and extra (a list of #SBATCH arguments); flags override it.
    #[arg(long, value_name = "FILE", requires = "slurm")]
    pub slurm_config: Option<PathBuf>,
    /// Build the table from the finished rows of a --slurm output directory (the same table a
    /// local run writes), naming every row that is not finished; exit 1 when any is not.
    #[arg(long, value_name = "DIR", conflicts_with = "status")]
    pub collect: Option<PathBuf>,
    /// List each row of a --slurm output directory with its state (pending, running at
    /// iteration N, finished, failed with the cause), read from the run directories.
    #[arg(long, value_name = "DIR")]
    pub status: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FrontierArgs {
    /// The run directories, of one setting (train with a large `train.keep_checkpoints` to keep
    /// the points: `reproduce --budget large` keeps every one). Several runs, such as the rows
    /// of `reproduce --regret-targets`, make one frontier on the first run's protocol.
    #[arg(required = true, num_args = 1..)]
    pub run_dirs: Vec<PathBuf>,
    /// Where the frontier's files go (default: the run directory for one run; for several, the
    /// first run's parent directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Test profiles per checkpoint (default: the run's `eval.samples`).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    pub samples: Option<u64>,
    /// Prior starts of the search per profile and bidder (default: the run's `eval.restarts`).
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub restarts: Option<u64>,
    /// Adam steps per start (default: the run's `eval.steps`).
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub steps: Option<u64>,
    /// Bounds on the audited regret, comma-separated.
    #[arg(long, value_name = "X,X,...", value_delimiter = ',', allow_negative_numbers = true, default_values_t = [1e-3, 3e-4, 1e-4])]
    pub bounds: Vec<f64>,
    #[command(flatten)]
    pub threads: Threads,
    /// Print one JSON object instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
    /// No progress output on stderr.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// A preset name (see `regretnet presets`).
    #[arg(long, conflicts_with = "config")]
    pub preset: Option<String>,
    /// A TOML config file (its `[setting]` and `[eval]` sample).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Test profiles (default: the config's `eval.samples`, 10,000).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    pub samples: Option<u64>,
    /// Seed of the test sample (default: the config's `eval.seed`, 100).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Settings to measure, comma-separated: 1x2, 2x2, 5x10, ca2x2 (ca_sym_uniform_12), any
    /// preset name, or NxM (N additive bidders, M items, U[0,1]; 5 x 100 nets from 10 items).
    #[arg(long, value_name = "LIST", default_value = "1x2,2x2,5x10")]
    pub settings: String,
    /// Multiply the number of timed calls (0.2 for a quick look, 3 for steadier medians).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub scale: f64,
    /// The network: regretnet (forward, misreport steps, training iteration, eval step) or ama
    /// (a learned affine maximizer at its preset schedule: forward and training iteration;
    /// the settings must be presets).
    #[arg(long, value_enum, default_value = "regretnet")]
    pub net: NetName,
    /// The AMA's menu with --net ama: free (default) or generated.
    #[arg(long, value_enum, default_value = "free")]
    pub menu: MenuName,
    /// Run each RegretNet on the truthful base: item-wise Myerson softened at temperature TAU
    /// under the network (`net.base`; additive bidders with uniform values), to measure the
    /// base's share of each operation beside the plain rows.
    #[arg(long, value_name = "TAU")]
    pub myerson_base: Option<f64>,
    #[command(flatten)]
    pub threads: Threads,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// A preset name (see `regretnet presets`); the default preset when neither this nor
    /// --config is given.
    #[arg(long, conflicts_with = "config")]
    pub preset: Option<String>,
    /// Continue the run in this directory from its newest usable checkpoint (exactly: the
    /// same metrics and weights as a run that was never interrupted).
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["preset", "config", "seed", "out", "force"])]
    pub resume: Option<PathBuf>,
    /// A TOML config file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The network (`net.kind`). With a preset, RochetNet (one bidder) and MyersonNet (one
    /// item) take the reference's hyperparameters for them (docs/TRAINING.md); the
    /// equivariant net takes the preset's training with its own widths (16, 16).
    #[arg(long, value_enum, conflicts_with = "resume")]
    pub net: Option<NetName>,
    /// The AMA's menu (`net.menu`, with --net ama): free (default) or generated (the same
    /// parameters at every size: --init-from then takes a checkpoint of another size). With a
    /// preset, a generated menu trains at its own learning rate (docs/AMA.md).
    #[arg(long, value_enum, conflicts_with = "resume")]
    pub menu: Option<MenuName>,
    /// With --net ama and a free menu of additive bidders: add the item-wise block, every
    /// deterministic assignment of the items with a boost per item and owner, started at
    /// item-wise Myerson (`net.itemwise`, docs/AMA.md).
    #[arg(long, conflicts_with = "resume")]
    pub itemwise: bool,
    /// Train to this per-bidder mean regret instead of the rho schedule (`train.regret_target`):
    /// the multipliers follow the batch regret every iteration (docs/TRAINING.md).
    #[arg(long, value_name = "REGRET", conflicts_with = "resume")]
    pub regret_target: Option<f64>,
    /// With a regret target: start the target here and let it fall geometrically to the
    /// target over the first half of the schedule (`train.regret_target_start`; the fraction
    /// is `train.regret_target_anneal`), so that the multipliers squeeze the regret late, as
    /// the fast schedules do (docs/TRAINING.md).
    #[arg(long, value_name = "REGRET", conflicts_with = "resume")]
    pub regret_target_start: Option<f64>,
    /// Imitate item-wise Myerson for the first N iterations before the Lagrangian phase
    /// (`train.teacher = "itemwise_myerson"`, `train.teacher_iterations = N`; additive bidders
    /// with independent values; docs/TRAINING.md).
    #[arg(long, value_name = "N", conflicts_with = "resume")]
    pub teacher_iterations: Option<u64>,
    /// With --teacher-iterations: imitate item-wise Myerson softened at this temperature (a
    /// softmax of the virtual values over T beside the reserve, payments by Myerson's identity:
    /// smooth and still exactly IC; `train.teacher_temperature`, docs/TRAINING.md).
    #[arg(long, value_name = "T", requires = "teacher_iterations")]
    pub teacher_temperature: Option<f64>,
    /// With --teacher-iterations: keep the teacher as an anchor after the imitation, adding W
    /// times the imitation loss to the Lagrangian's (`train.teacher_weight`, docs/TRAINING.md).
    #[arg(long, value_name = "W", requires = "teacher_iterations")]
    pub teacher_weight: Option<f64>,
    /// RegretNet on a truthful base: start as item-wise Myerson softened at temperature TAU
    /// and learn a residual to it (`net.base = "itemwise_myerson"`, `net.base_temperature`;
    /// additive bidders with uniform values; docs/TRAINING.md).
    #[arg(long, value_name = "TAU", conflicts_with = "resume")]
    pub myerson_base: Option<f64>,
    /// Start from this checkpoint's weights (`train.init_from`: same setting and network; the
    /// optimizer, multipliers and, without --init-misreports, the misreport cache start fresh
    /// from the config), e.g. to continue a run under a stronger penalty. A generated-menu
    /// AMA's checkpoint may come from another number of bidders and items (same valuation).
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub init_from: Option<PathBuf>,
    /// With --init-from: write the run directory and its iteration-0 checkpoint (the weights
    /// taken as they are), then stop, so that `regretnet eval` measures the mechanism as it
    /// arrives (a generated menu read at another size) and `train --resume` fine-tunes it.
    #[arg(long, requires = "init_from")]
    pub init_only: bool,
    /// With --init-from: take that checkpoint's misreport cache too (`train.init_misreports`:
    /// same setting, training-set size and seed), so that the inner search starts warm.
    #[arg(long, requires = "init_from")]
    pub init_misreports: bool,
    /// Override `train.shards` (each training batch cut into K shards, one thread each; the
    /// result depends on K, not on --threads).
    #[arg(long, value_name = "K", conflicts_with = "resume", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub shards: Option<u64>,
    /// Override `train.iterations` (with --resume: extend the run to N iterations; the
    /// relative schedules, the learning rate's decay and `train.rho_steps`, rescale to N and
    /// the change is printed).
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// With --resume --iterations: keep the schedule the run finished (`train.schedule_end`)
    /// and train the added iterations at the learning rate it reached, instead of rescaling
    /// the decay (which sends the rate back up).
    #[arg(long, requires_all = ["resume", "iterations"])]
    pub tail: bool,
    /// Override `train.seed`.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Trace the layers every K iterations (`train.trace_every`): `trace.csv` and log-spaced
    /// weight checkpoints for `regretnet probe` (docs/EXPLAINABILITY.md).
    #[arg(long, value_name = "K", conflicts_with = "resume")]
    pub trace: Option<u64>,
    /// The run directory (default: runs/<setting>-seed<seed>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the run already in --out.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub threads: Threads,
    /// Print one JSON object with the summary at the end.
    #[arg(long)]
    pub json: bool,
    /// No progress output on stderr.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolName {
    /// The run's `[eval]` section: a strong search sized for a CPU, audited by a grid.
    Default,
    /// The reference protocol: 10,000 profiles, 1,000 prior starts x 2,000 Adam steps, plus
    /// the truthful report, the corners and the default audit (hours on CPU).
    Paper,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The run directory written by `regretnet train`.
    pub run_dir: PathBuf,
    /// The search protocol.
    #[arg(long, value_enum, default_value_t = ProtocolName::Default)]
    pub protocol: ProtocolName,
    /// Override the starts drawn from the prior per profile and bidder (the truthful report
    /// and the support's corners are always starts too).
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(0..=limits::RESTARTS))]
    pub restarts: Option<u64>,
    /// Override the Adam steps per start.
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(0..=limits::STEPS))]
    pub steps: Option<u64>,
    /// Override the number of test profiles.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=limits::PROFILES))]
    pub samples: Option<u64>,
    /// Override the audit's grid points per report coordinate (0: no audit; a full grid when
    /// a bidder reports at most 2 values, one item at a time otherwise).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=limits::GRID))]
    pub grid: Option<u64>,
    /// Measure regret on the first K test profiles only (revenue and IR still on all; 0: all).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(0..=limits::PROFILES))]
    pub regret_samples: Option<u64>,
    /// Override the coordinate audit's values per item (bidders with more than 2 items; 0:
    /// item-wise grid only).
    #[arg(long, value_name = "G", value_parser = clap::value_parser!(u64).range(0..=limits::COORDINATE_GRID))]
    pub coordinate_grid: Option<u64>,
    /// Override how many of the first test profiles get pairwise 2-D grids (more than 2 items).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(0..=limits::PROFILES))]
    pub pair_samples: Option<u64>,
    /// Also run a paper-strength reference search on the first K test profiles and report how
    /// much of its regret the default search and the audit find (it joins the headline).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(0..=limits::PROFILES))]
    pub reference_samples: Option<u64>,
    /// Prior starts per profile and bidder of the reference search (default 1,000).
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(0..=limits::RESTARTS))]
    pub reference_restarts: Option<u64>,
    /// Adam steps per start of the reference search (default 2,000).
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(1..=limits::STEPS))]
    pub reference_steps: Option<u64>,
    /// Certify the regret: a proven upper bound per profile and bidder by branch and bound
    /// over boxes of misreports (bidders who report at most 2 values; docs/EVALUATION.md)
    #[arg(long)]
    pub certify: bool,
    /// Tolerance of each certificate: stop when the bound is within this of the best
    /// misreport found (with --certify; default 5e-5)
    #[arg(long, value_name = "X", requires = "certify")]
    pub tol: Option<f64>,
    /// Most boxes bounded per profile and bidder (with --certify; default 100000)
    #[arg(long, value_name = "B", requires = "certify", value_parser = clap::value_parser!(u64).range(1..=limits::BUDGET))]
    pub budget: Option<u64>,
    /// Certify the first K regret profiles only (with --certify; default all)
    #[arg(long, value_name = "K", requires = "certify", value_parser = clap::value_parser!(u64).range(1..=limits::PROFILES))]
    pub certify_samples: Option<u64>,
    /// Measure the mechanism averaged over cyclic shifts of its bidders and of its items, where
    /// the prior is symmetric in them: the same expected revenue, and an expected regret
    /// (averaged over bidders) no higher (docs/EVALUATION.md). Refused where the prior is
    /// symmetric in neither. Costs one forward pass per shift (n m at most); the protocol's
    /// name gets `-sym`.
    #[arg(long)]
    pub symmetrize: bool,
    /// Exit with status 1 when the audited regret (mean over bidders and profiles) exceeds X;
    /// the report is printed and saved first.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub max_regret: Option<f64>,
    /// Evaluate this checkpoint instead of the run's latest.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    #[command(flatten)]
    pub threads: Threads,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress output on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// `--threads`, shared by the commands that spread work over worker threads.
#[derive(Debug, Args)]
pub struct Threads {
    /// Worker threads (the shards of each training iteration and validation in `train`, the
    /// search and audit in `eval`); results do not depend on it.
    /// Default: the machine's available parallelism (in `train`, at most `train.shards`).
    #[arg(long = "threads", value_name = "T", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub given: Option<u64>,
}

impl Threads {
    /// The thread count: as given, or the machine's available parallelism.
    pub fn count(&self) -> usize {
        self.given.map_or_else(
            || {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            },
            |t| t as usize,
        )
    }
}

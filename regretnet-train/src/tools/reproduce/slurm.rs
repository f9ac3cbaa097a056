//! A reproduction as a Slurm job array (`regretnet reproduce --slurm`): one array task per
//! row, each running the same `regretnet reproduce --only ROW` command a local run would, into
//! its own run directory under the shared output directory. The plan (budget, rows, options)
//! is saved beside the script as `slurm/plan.json`, so that `--status`, `--collect` and
//! `--resubmit` read the run directories, not the scheduler (it forgets finished jobs).
//!
//! A task that exits non-zero leaves `slurm/failed-<row>` with its exit code and the last
//! lines of its error output; a killed or timed-out task leaves its last checkpoint, from
//! which the resubmitted task resumes exactly.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regretnet_core::{Config, NetKind};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::tools::bench::{bench_config, Op, Workload};
use crate::tools::reproduce::runner::ProtocolChoice;
use crate::tools::reproduce::sweep::{self, Sweep, SweepRow};
use crate::tools::reproduce::table::Budget;

/// The folder of the script, the plan, the task logs and the failure markers.
pub const SLURM_DIR: &str = "slurm";

/// Floating-point throughput assumed of one cluster core when estimating a row's wall time
/// (BENCHMARKS.md measured a training iteration at 56 GFLOP/s on one EPYC core; a third of it
/// leaves room for older nodes and shared caches).
pub const ASSUMED_FLOPS_PER_SECOND: f64 = 20e9;

/// The same for the equivariant RegretNet, whose exchangeable layers run at about 1 GFLOP/s of
/// counted products on one EPYC core (BENCHMARKS.md, "The equivariant RegretNet": element-wise
/// work and per-operation overhead dominate); 0.4 GFLOP/s leaves the same room.
pub const ASSUMED_EQUIVARIANT_FLOPS_PER_SECOND: f64 = 0.4e9;

/// Seconds allowed for a row's evaluation and baselines on top of its training (the default
/// protocol's evaluation took 1-9 minutes per row in the budgets' tables; the large rows more).
pub const EVAL_ALLOWANCE_SECONDS: f64 = 1800.0;

/// What a reproduction's rows are, saved as `slurm/plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The budget.
    pub budget: Budget,
    /// The rows (presets), in array-index order.
    pub rows: Vec<String>,
    /// `--protocol paper`.
    pub paper_protocol: bool,
    /// `--iterations`.
    pub iterations: Option<u64>,
    /// `--samples`.
    pub samples: Option<usize>,
    /// `--checkpoint-every`.
    #[serde(default)]
    pub checkpoint_every: Option<u64>,
    /// `--trace`.
    #[serde(default)]
    pub trace_every: Option<u64>,
    /// `--seeds` or `--regret-targets`: each preset once per value.
    #[serde(default)]
    pub sweep: Vec<Sweep>,
}

impl Plan {
    /// The `regretnet reproduce` arguments every task shares (all but `--only`, `--out`,
    /// `--results`, `--threads`).
    pub fn shared_args(&self) -> Vec<String> {
        let mut a = vec!["--budget".to_string(), self.budget.name().to_string()];
        if self.paper_protocol {
            a.extend(["--protocol".into(), "paper".into()]);
        }
        if let Some(n) = self.iterations {
            a.extend(["--iterations".into(), n.to_string()]);
        }
        if let Some(k) = self.samples {
            a.extend(["--samples".into(), k.to_string()]);
        }
        if let Some(k) = self.checkpoint_every {
            a.extend(["--checkpoint-every".into(), k.to_string()]);
        }
        if let Some(k) = self.trace_every {
            a.extend(["--trace".into(), k.to_string()]);
        }
        a
    }

    /// The protocol choice.
    pub fn protocol(&self) -> ProtocolChoice {
        if self.paper_protocol {
            ProtocolChoice::Paper
        } else {
            ProtocolChoice::Default
        }
    }

    /// The array's tasks in index order: `(directory, preset, sweep value)`.
    pub fn tasks(&self) -> Vec<SweepRow> {
        sweep::rows(&self.rows, &self.sweep)
    }

    /// Preset `name`'s training config under this plan (with the sweep's `value`).
    pub fn config(&self, name: &str, value: Option<&Sweep>) -> Result<Config> {
        let mut c = self.budget.config(name)?;
        if let Some(v) = value {
            v.apply(&mut c);
            c.validate()?;
        }
        if let Some(n) = self.iterations {
            c.train.iterations = n;
        }
        if let Some(k) = self.checkpoint_every {
            c.train.checkpoint_every = k;
        }
        if let Some(k) = self.trace_every {
            c.train.trace_every = k;
            c.validate()?;
        }
        Ok(c)
    }

    /// Where the plan of `out` is saved.
    pub fn path(out: &Path) -> PathBuf {
        out.join(SLURM_DIR).join("plan.json")
    }

    /// The plan saved in `out`; an error naming the file when there is none.
    pub fn load(out: &Path) -> Result<Plan> {
        let path = Plan::path(out);
        let text = std::fs::read_to_string(&path).map_err(|e| TrainError::RunDir {
            path: out.display().to_string(),
            reason: format!(
                "has no readable {} ({e}): it is not the output directory of `regretnet \
                 reproduce --slurm`",
                path.display()
            ),
        })?;
        serde_json::from_str(&text).map_err(|e| TrainError::RunDir {
            path: out.display().to_string(),
            reason: format!("{} is not a plan: {e}", path.display()),
        })
    }

    /// Save the plan in `out` (refusing to replace a different one: a directory holds one
    /// reproduction).
    pub fn save(&self, out: &Path) -> Result<()> {
        let path = Plan::path(out);
        if let Ok(old) = Plan::load(out) {
            if old != *self {
                return Err(TrainError::RunDir {
                    path: out.display().to_string(),
                    reason: format!(
                        "holds the plan of another reproduction ({}: the {} budget, rows {}); \
                         use another --out",
                        path.display(),
                        old.budget.name(),
                        old.rows.join(", ")
                    ),
                });
            }
        }
        let dir = out.join(SLURM_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| TrainError::io(&dir, e))?;
        let text =
            serde_json::to_string_pretty(self).map_err(|e| TrainError::Report(e.to_string()))?;
        regretnet_nets::checkpoint::write_atomic(&path, text.as_bytes())
            .map_err(|e| TrainError::io(&path, e))
    }
}

/// The array's resources and extra `#SBATCH` lines (flags, or a TOML `[slurm]` table).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmOptions {
    /// `--partition` (none: the cluster's default).
    #[serde(default)]
    pub partition: Option<String>,
    /// `--time` as Slurm reads it (`HH:MM:SS`, `D-HH:MM:SS`, minutes); none: estimated from
    /// the rows' FLOPs per iteration ([`estimate_seconds`]).
    #[serde(default)]
    pub time: Option<String>,
    /// `--cpus-per-task`; none: the rows' largest `train.shards`.
    #[serde(default)]
    pub cpus_per_task: Option<usize>,
    /// `--mem` as Slurm reads it (`2G`, `800M`); none: [`estimate_memory_mb`].
    #[serde(default)]
    pub mem: Option<String>,
    /// Extra `#SBATCH` arguments, one line each (`--account=abc`, `--qos=short`).
    #[serde(default)]
    pub extra: Vec<String>,
}

/// A TOML file's `[slurm]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlurmFile {
    slurm: SlurmOptions,
}

impl SlurmOptions {
    /// The `[slurm]` table of the TOML file `path`.
    pub fn load(path: &Path) -> Result<SlurmOptions> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
        let f: SlurmFile =
            toml::from_str(&text).map_err(|e| regretnet_core::ConfigError::Parse {
                origin: Some(path.display().to_string()),
                message: e.to_string().trim_end().to_string(),
            })?;
        Ok(f.slurm)
    }

    /// These options with every field `flags` sets taken from `flags` (extra lines added).
    pub fn overridden_by(mut self, flags: SlurmOptions) -> SlurmOptions {
        self.partition = flags.partition.or(self.partition);
        self.time = flags.time.or(self.time);
        self.cpus_per_task = flags.cpus_per_task.or(self.cpus_per_task);
        self.mem = flags.mem.or(self.mem);
        self.extra.extend(flags.extra);
        self
    }
}

/// Estimated wall seconds of a row: its iterations times the FLOPs of one training iteration
/// (`regretnet bench`'s count) at [`ASSUMED_FLOPS_PER_SECOND`] (the equivariant net's at
/// [`ASSUMED_EQUIVARIANT_FLOPS_PER_SECOND`]), plus [`EVAL_ALLOWANCE_SECONDS`]; an exactly
/// incentive-compatible network (no misreport search in training), 10 ms an iteration.
pub fn estimate_seconds(config: &Config) -> Result<f64> {
    let flops = || -> Result<f64> {
        Ok(Workload::from_config(bench_config(config.clone())?)?.flops(Op::Iteration))
    };
    let per_iteration = match config.net.kind {
        NetKind::Regretnet | NetKind::Ama => flops()? / ASSUMED_FLOPS_PER_SECOND,
        NetKind::Equivariant => flops()? / ASSUMED_EQUIVARIANT_FLOPS_PER_SECOND,
        NetKind::Rochetnet | NetKind::Myersonnet => 0.01,
    };
    Ok(config.train.iterations as f64 * per_iteration + EVAL_ALLOWANCE_SECONDS)
}

/// Estimated peak memory of a row in MB: BENCHMARKS.md measured 79 MB for the default 1x2
/// training and 348 MB for a 5x10 evaluation under the paper's protocol; this allows 512 MB
/// plus three copies of the training profiles (profiles, misreport cache, batch buffers), in
/// multiples of 256 MB.
pub fn estimate_memory_mb(config: &Config) -> Result<u64> {
    let setting = config.setting.build()?;
    let profiles = config.train.train_size as u64 * setting.profile_len() as u64 * 4;
    let mb = 512 + 3 * profiles / (1 << 20);
    Ok(mb.div_ceil(256) * 256)
}

/// `seconds` as Slurm's `D-HH:MM:SS`, rounded up to whole minutes.
pub fn slurm_time(seconds: f64) -> String {
    let minutes = (seconds / 60.0).ceil().max(1.0) as u64;
    let (d, h, m) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    format!("{d}-{h:02}:{m:02}:00")
}

/// A value quoted for bash (single quotes).
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The job-array script of `plan`'s rows at `indices` (all rows when empty), writing under
/// `out` and calling the `regretnet` binary at `binary` (both absolute, since tasks run
/// elsewhere). Resources not set in `slurm` are estimated from the rows.
pub fn array_script(
    plan: &Plan,
    indices: &[usize],
    out: &Path,
    binary: &Path,
    slurm: &SlurmOptions,
) -> Result<String> {
    let mut seconds: f64 = 0.0;
    let mut memory = 0;
    let mut shards = 1;
    let tasks = plan.tasks();
    for (_, name, value) in &tasks {
        let c = plan.config(name, value.as_ref())?;
        if slurm.time.is_none() {
            seconds = seconds.max(estimate_seconds(&c)?);
        }
        memory = memory.max(estimate_memory_mb(&c)?);
        shards = shards.max(c.train.shards);
    }
    let time = slurm
        .time
        .clone()
        .unwrap_or_else(|| slurm_time(seconds * 1.5));
    let mem = slurm.mem.clone().unwrap_or_else(|| format!("{memory}M"));
    let cpus = slurm.cpus_per_task.unwrap_or(shards);
    let array = if indices.is_empty() {
        format!("0-{}", tasks.len().saturating_sub(1))
    } else {
        indices
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let dir = out.join(SLURM_DIR);
    let mut s = String::from("#!/bin/bash\n");
    let _ = writeln!(s, "#SBATCH --job-name=regretnet-{}", plan.budget.name());
    let _ = writeln!(s, "#SBATCH --array={array}");
    let _ = writeln!(s, "#SBATCH --output={}/task-%a-%A.out", dir.display());
    let _ = writeln!(s, "#SBATCH --cpus-per-task={cpus}");
    let _ = writeln!(s, "#SBATCH --time={time}");
    let _ = writeln!(s, "#SBATCH --mem={mem}");
    if let Some(p) = &slurm.partition {
        let _ = writeln!(s, "#SBATCH --partition={p}");
    }
    for line in &slurm.extra {
        let _ = writeln!(s, "#SBATCH {line}");
    }
    let column = |f: &dyn Fn(&SweepRow) -> String| {
        tasks
            .iter()
            .map(|t| quote(&f(t)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = column(&|(_, preset, _)| preset.clone());
    let keys = column(&|(key, _, _)| key.clone());
    // Each task's sweep value as the flag a local run of that row alone takes.
    let sweep_flags = column(&|(_, _, v)| v.map_or(String::new(), |v| v.flag().0.into()));
    let sweep_values = column(&|(_, _, v)| v.map_or(String::new(), |v| v.flag().1));
    let shared = plan
        .shared_args()
        .iter()
        .map(|a| quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let _ = write!(
        s,
        r#"# Written by `regretnet reproduce --slurm`: one task per row, each the command a local
# `regretnet reproduce --only ROW` runs; a resubmitted task resumes its row's checkpoint.
set -uo pipefail
PRESETS=({rows})
ROWS=({keys})
SWEEP_FLAGS=({sweep_flags})
SWEEP_VALUES=({sweep_values})
I=$SLURM_ARRAY_TASK_ID
ROW=${{ROWS[$I]}}
SWEEP=()
[ -z "${{SWEEP_FLAGS[$I]}}" ] || SWEEP=("${{SWEEP_FLAGS[$I]}}" "${{SWEEP_VALUES[$I]}}")
OUT={out}
DIR={dir}
export RAYON_NUM_THREADS=1
rm -f "$DIR/failed-$ROW"
{binary} reproduce {shared} --only "${{PRESETS[$I]}}" ${{SWEEP[@]+"${{SWEEP[@]}}"}} --out "$OUT" \
    --results "$DIR/results-$ROW.md" --threads "${{SLURM_CPUS_PER_TASK:-1}}" --quiet \
    2> >(tee "$DIR/task-$ROW.err" >&2)
rc=$?
wait
if [ "$rc" -ne 0 ]; then
    {{ echo "exit $rc"; tail -n 5 "$DIR/task-$ROW.err"; }} > "$DIR/failed-$ROW"
fi
exit "$rc"
"#,
        out = quote(&out.display().to_string()),
        dir = quote(&dir.display().to_string()),
        binary = quote(&binary.display().to_string()),
    );
    Ok(s)
}

/// What [`prepare`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The output directory, absolute.
    pub out: PathBuf,
    /// The array script (`<out>/slurm/reproduce.sbatch`); `None` when a resubmission found
    /// every row finished and wrote nothing.
    pub script: Option<PathBuf>,
    /// The tasks the script runs.
    pub tasks: usize,
}

/// Check every row's config, save `plan` in `out` (created, made absolute: tasks run on other
/// nodes) and write its array script calling `binary`: every row, or with `resubmit` only the
/// rows that are not finished (none: nothing is written).
pub fn prepare(
    plan: &Plan,
    out: &Path,
    binary: &Path,
    slurm: &SlurmOptions,
    resubmit: bool,
) -> Result<Prepared> {
    for (_, name, value) in plan.tasks() {
        plan.config(&name, value.as_ref())?;
    }
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    let out = std::fs::canonicalize(out).map_err(|e| TrainError::io(out, e))?;
    plan.save(&out)?;
    let indices: Vec<usize> = if resubmit {
        let (_, states) = crate::tools::reproduce::status::row_states(&out)?;
        let left: Vec<usize> = states
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| !s.is_finished())
            .map(|(i, _)| i)
            .collect();
        if left.is_empty() {
            return Ok(Prepared {
                out,
                script: None,
                tasks: 0,
            });
        }
        left
    } else {
        Vec::new()
    };
    let script = array_script(plan, &indices, &out, binary, slurm)?;
    let path = out.join(SLURM_DIR).join("reproduce.sbatch");
    regretnet_nets::checkpoint::write_atomic(&path, script.as_bytes())
        .map_err(|e| TrainError::io(&path, e))?;
    let tasks = if indices.is_empty() {
        plan.tasks().len()
    } else {
        indices.len()
    };
    Ok(Prepared {
        out,
        script: Some(path),
        tasks,
    })
}

//! Where each row of a planned reproduction stands, read from the run directories alone
//! ([`row_states`], `regretnet reproduce --status`), and the table of the finished rows with
//! every other row named ([`collect`], `regretnet reproduce --collect`): the same table, from the
//! same code, as a local `regretnet reproduce` writes.

use std::fmt;
use std::path::Path;

use crate::error::{Result, TrainError};
use crate::run::metrics::read_last_iteration;
use crate::tools::reproduce::slurm::{Plan, SLURM_DIR};
use crate::tools::reproduce::table::{machine_description, results_markdown, table_order, Row};

/// Where a row stands.
#[derive(Debug, Clone, PartialEq)]
pub enum RowState {
    /// Nothing written yet (not started, or waiting in the queue).
    Pending,
    /// Started: trained to `iteration` so far, no result yet. The run directories cannot tell a
    /// task still running from one killed there; `--resubmit` continues either.
    Running {
        /// The last logged iteration (0: none logged yet).
        iteration: u64,
        /// Of this many.
        total: u64,
    },
    /// `reproduce.json` written under this plan.
    Finished(Box<Row>),
    /// The task exited non-zero; the cause is its exit code and last error lines.
    Failed(String),
}

impl RowState {
    /// Whether the row has its result.
    pub fn is_finished(&self) -> bool {
        matches!(self, RowState::Finished(_))
    }
}

impl fmt::Display for RowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowState::Pending => write!(f, "pending"),
            RowState::Running { iteration, total } => {
                write!(
                    f,
                    "running at iteration {iteration} of {total} (or stopped there)"
                )
            }
            RowState::Finished(r) => write!(
                f,
                "finished: revenue {:.4}, audited regret {:.2e}",
                r.revenue, r.audited_regret
            ),
            RowState::Failed(cause) => write!(f, "failed: {cause}"),
        }
    }
}

/// The state of every row (task) of the plan saved in `out`, in array order, by directory
/// name.
pub fn row_states(out: &Path) -> Result<(Plan, Vec<(String, RowState)>)> {
    let plan = Plan::load(out)?;
    let mut states = Vec::new();
    for (key, name, value) in plan.tasks() {
        let dir = out.join(&key);
        let failed = out.join(SLURM_DIR).join(format!("failed-{key}"));
        let total = plan.config(&name, value.as_ref())?.train.iterations;
        let state = if let Ok(text) = std::fs::read_to_string(dir.join("reproduce.json")) {
            match serde_json::from_str::<Row>(&text) {
                Ok(r) if r.budget == plan.budget && r.key() == key => {
                    RowState::Finished(Box::new(r))
                }
                Ok(_) => RowState::Failed(format!(
                    "{} holds another budget's or preset's row",
                    dir.join("reproduce.json").display()
                )),
                Err(e) => RowState::Failed(format!(
                    "{} cannot be read: {e}",
                    dir.join("reproduce.json").display()
                )),
            }
        } else if let Ok(cause) = std::fs::read_to_string(&failed) {
            RowState::Failed(cause.trim().replace('\n', " | "))
        } else if dir.join("config.toml").exists() {
            RowState::Running {
                iteration: read_last_iteration(&dir.join("metrics.csv")).unwrap_or(0),
                total,
            }
        } else {
            RowState::Pending
        };
        states.push((key, state));
    }
    Ok((plan, states))
}

/// The table of `out`'s finished rows (what a local `regretnet reproduce` writes, in the
/// paper's order), followed by a section naming every row that is not finished and why; the
/// states of all rows.
pub fn collect(out: &Path) -> Result<(String, Vec<(String, RowState)>)> {
    let (plan, states) = row_states(out)?;
    let mut rows: Vec<Row> = states
        .iter()
        .filter_map(|(_, s)| match s {
            RowState::Finished(r) => Some((**r).clone()),
            _ => None,
        })
        .collect();
    if rows.is_empty() {
        return Err(TrainError::RunDir {
            path: out.display().to_string(),
            reason: "has no finished row yet (`regretnet reproduce --status` says where each \
                     stands)"
                .into(),
        });
    }
    table_order(&mut rows);
    let machine = format!(
        "Slurm array tasks (collected by `regretnet reproduce --collect` on {})",
        machine_description()
    );
    let mut text = results_markdown(plan.budget, &machine, &rows);
    let missing: Vec<_> = states.iter().filter(|(_, s)| !s.is_finished()).collect();
    if !missing.is_empty() {
        text += "\n## Rows not in this table\n\n";
        for (name, state) in missing {
            text += &format!("- {name}: {state}\n");
        }
    }
    Ok((text, states))
}

/// [`collect`] `out`'s rows and write the table to `results` (only a file `reproduce` wrote
/// is replaced, [`crate::tools::reproduce::check_results_path`]); the states of all rows.
pub fn collect_into(out: &Path, results: &Path) -> Result<Vec<(String, RowState)>> {
    crate::tools::reproduce::check_results_path(results).map_err(|reason| TrainError::Io {
        path: results.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, reason),
    })?;
    let (text, states) = collect(out)?;
    regretnet_nets::checkpoint::write_atomic(results, text.as_bytes())
        .map_err(|e| TrainError::io(results, e))?;
    Ok(states)
}

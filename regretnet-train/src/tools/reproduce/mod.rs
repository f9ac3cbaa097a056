//! The paper's table as one command (`regretnet reproduce`).
//!
//! [`table`] says what a budget trains and how a row is judged and written; [`runner`] does it:
//! for each preset it trains (or resumes, or reuses) a run directory, evaluates it under the
//! audited protocol, compares it with every baseline on the same test sample, and rewrites its
//! table file (`--results`; default `<out>/RESULTS.md`) after every row, reporting progress
//! through [`ReproduceProgress`]. It only ever rewrites a file it generated
//! ([`GENERATED_MARKER`], [`check_results_path`]): the repository's hand-written `RESULTS.md`
//! links the generated tables under `docs/results/`.
//!
//! [`slurm`] hands the rows to a cluster as a job array whose tasks each run the same
//! `regretnet reproduce --only ROW`; [`status`] reads where each row stands from the run
//! directories and collects the finished ones into the same table (docs/CLUSTER.md).

pub mod runner;
pub mod slurm;
pub mod status;
pub mod sweep;
pub mod table;

pub use runner::{reproduce, reproduce_row, ProtocolChoice, ReproduceOptions, ReproduceProgress};
pub use table::{
    check_results_path, machine_description, results_markdown, table_order, Budget, Row,
    GENERATED_MARKER,
};

#[cfg(test)]
mod tests_slurm;

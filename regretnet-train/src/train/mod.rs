//! The augmented-Lagrangian trainer ([`Trainer`]) and everything one iteration needs.
//!
//! - [`trainer`]: the trainer's state and loop (logging, validation, the stop flag);
//! - [`step`]: one iteration, the inner misreport search then the outer step;
//! - [`loss`]: the outer loss and the positive utility gains it is built on;
//! - `shards`: the batch cut into fixed shards run in parallel (crate-internal);
//! - [`lagrangian`]: the multipliers and penalty and their schedules;
//! - [`optim`]: Adam on the weights, with its state for checkpoints;
//! - [`data`]: the fixed training set and its misreport cache;
//! - [`resume`]: what a checkpoint holds, and exact resume from it;
//! - [`checkpoints`]: which checkpoints a run keeps (every K, the newest N, the best);
//! - [`session`]: training inside a run directory, resuming from its newest usable checkpoint;
//! - [`teacher`]: the warm start, imitating a truthful mechanism before the Lagrangian phase;
//! - [`layers`]: the optional layer trace (which layers the revenue and regret terms pull on).
//!
//! The inner search's policy (best iterate, second start) lives beside the search it
//! configures: [`regretnet_regret::policy`]. This folder writes through [`crate::run`] and
//! imports nothing from evaluation or analysis.

pub mod checkpoints;
pub mod data;
pub mod lagrangian;
pub mod layers;
pub mod loss;
pub mod optim;
pub mod resume;
pub mod revenue_step;
pub mod session;
pub(crate) mod shards;
pub mod step;
pub mod teacher;
pub mod trainer;

#[cfg(test)]
mod tests_equivariant;

pub use lagrangian::Lagrangian;
pub use session::{create_run, restart_run, resume_latest, resume_run, train_in_run};
pub use trainer::{search_gradient, Event, StepStats, TrainSummary, Trainer};

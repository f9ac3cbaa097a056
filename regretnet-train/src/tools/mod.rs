//! Commands built on everything else: the paper's table as one command ([`reproduce`]: train,
//! evaluate and compare every preset of a budget), the hot-loop benchmarks ([`mod@bench`]) and
//! the presets and baselines as JSON ([`listing`], shared by the CLI and the Python package).

pub mod bench;
pub mod listing;
pub mod reproduce;

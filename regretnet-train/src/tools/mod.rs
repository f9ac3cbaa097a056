//! Commands built on everything else: the paper's table as one command ([`reproduce`]: train,
//! evaluate and compare every preset of a budget) and the hot-loop benchmarks ([`mod@bench`]).

pub mod bench;
pub mod reproduce;

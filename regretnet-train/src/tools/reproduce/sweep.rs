//! Sweeps of one setting: every row of a budget trained once per training seed (the runs that
//! `regretnet probe --runs` aggregates) or once per regret target (`train.regret_target`, the
//! points of a revenue-regret frontier). Each (preset, value) pair is a row of its own, in its
//! own run directory `<preset>-<label>`, so a sweep runs, resumes, and goes to a cluster
//! exactly as a budget's rows do.

use regretnet_core::config::DEFAULT_REGRET_TARGET_START;
use regretnet_core::Config;
use serde::{Deserialize, Serialize};

/// One value of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sweep {
    /// `train.seed`.
    Seed(u64),
    /// `train.regret_target`.
    RegretTarget(f64),
}

impl Sweep {
    /// The label of the row's run directory and table entry: `seed3`, `target1e-4`.
    pub fn label(&self) -> String {
        match self {
            Sweep::Seed(s) => format!("seed{s}"),
            Sweep::RegretTarget(t) => format!("target{t:e}"),
        }
    }

    /// The `regretnet reproduce` flag and value that run this row alone.
    pub fn flag(&self) -> (&'static str, String) {
        match self {
            Sweep::Seed(s) => ("--seeds", s.to_string()),
            Sweep::RegretTarget(t) => ("--regret-targets", format!("{t:e}")),
        }
    }

    /// Set the value in `config`. A regret target below [`DEFAULT_REGRET_TARGET_START`] is
    /// annealed from there (`train.regret_target_start`) unless the config names its own start.
    pub fn apply(&self, config: &mut Config) {
        match *self {
            Sweep::Seed(s) => config.train.seed = s,
            Sweep::RegretTarget(t) => {
                config.train.regret_target = Some(t);
                if config.train.regret_target_start.is_none() && t < DEFAULT_REGRET_TARGET_START {
                    config.train.regret_target_start = Some(DEFAULT_REGRET_TARGET_START);
                }
            }
        }
    }
}

/// A row of a sweep: its directory's name, its preset and its value.
pub type SweepRow = (String, String, Option<Sweep>);

/// The rows of `presets` under `sweep`: `(directory, preset, value)`, each preset once per
/// value (once, with no value, when the sweep is empty).
pub fn rows(presets: &[String], sweep: &[Sweep]) -> Vec<SweepRow> {
    let mut out = Vec::new();
    for p in presets {
        if sweep.is_empty() {
            out.push((p.clone(), p.clone(), None));
        }
        for s in sweep {
            out.push((format!("{p}-{}", s.label()), p.clone(), Some(*s)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_flags_and_rows() {
        assert_eq!(Sweep::Seed(3).label(), "seed3");
        assert_eq!(Sweep::RegretTarget(1e-4).label(), "target1e-4");
        assert_eq!(
            Sweep::RegretTarget(3e-4).flag(),
            ("--regret-targets", "3e-4".into())
        );
        let r = rows(&["a".into(), "b".into()], &[Sweep::Seed(1), Sweep::Seed(2)]);
        let dirs: Vec<_> = r.iter().map(|(d, _, _)| d.as_str()).collect();
        assert_eq!(dirs, ["a-seed1", "a-seed2", "b-seed1", "b-seed2"]);
        assert_eq!(rows(&["a".into()], &[]), [("a".into(), "a".into(), None)]);
        let mut c = regretnet_core::presets::preset("additive_1x2_uniform").unwrap();
        Sweep::RegretTarget(1e-3).apply(&mut c);
        Sweep::Seed(9).apply(&mut c);
        assert_eq!((c.train.seed, c.train.regret_target), (9, Some(1e-3)));
        // A target below the start is annealed from it; one above it is not, and a config's own
        // start stays.
        assert_eq!(
            c.train.regret_target_start,
            Some(DEFAULT_REGRET_TARGET_START)
        );
        c.validate().unwrap();
        let mut high = regretnet_core::presets::preset("additive_1x2_uniform").unwrap();
        Sweep::RegretTarget(1e-2).apply(&mut high);
        assert_eq!(high.train.regret_target_start, None);
        let mut own = regretnet_core::presets::preset("additive_1x2_uniform").unwrap();
        own.train.regret_target_start = Some(2e-2);
        Sweep::RegretTarget(1e-4).apply(&mut own);
        assert_eq!(own.train.regret_target_start, Some(2e-2));
    }
}

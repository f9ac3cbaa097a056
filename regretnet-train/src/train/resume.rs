//! Trainer checkpoints that resume a run exactly: what the trainer writes, and how it reads it.
//!
//! Besides the networks (layout in `regretnet_nets::checkpoint`), a trainer checkpoint holds
//! everything that determines the rest of the run:
//!
//! | tensor | dtype, shape | |
//! |---|---|---|
//! | `optim.m.{var}`, `optim.v.{var}` | F32, as the variable | Adam moments (full state only) |
//! | `optim.step` | F64 `[1]` | Adam steps taken (full state only) |
//! | `lagrange.lambda` | F64 `[n]` | multipliers |
//! | `data.cache` | F32 `[train_size * n * m]` | the per-profile misreport cache (full state only) |
//!
//! | metadata | |
//! |---|---|
//! | `trainer_state` | version of this layout (2; version 1 always held the full state and `data.order`, the epoch's permutation) |
//! | `iteration` | iterations completed |
//! | `config` | the resolved config (TOML) |
//! | `rho` | `rho` for humans; `rho_bits`: its exact f64 bits (16 hex digits) |
//! | `data.cursor`, `data.epoch`, `data.shuffle_word_pos` | position in the permutation, epoch, ChaCha8 word position of the shuffle stream |
//! | `window` | the metrics sums since the last logged row: `count,revenue,loss,regret_0,...` (f64 bits) |
//! | `best` | `iteration,revenue` (bits) of the best qualifying validation, when there is one |
//! | `elapsed_seconds` | wall-clock seconds of the run so far (for the `seconds` column) |
//!
//! The training profiles and the validation sample are not stored: they are redrawn from the
//! seed, and the epoch's permutation is replayed from the shuffle stream
//! ([`TrainingSet::replayed_order`](crate::train::data::TrainingSet::replayed_order)), checked
//! against `data.shuffle_word_pos`. Floats that must come back exactly are stored as bits,
//! never as decimal text.
//!
//! Only the newest periodic checkpoint holds the *full state*: the misreport cache
//! (`train_size * n * m * 4` bytes: 5 MB for 1x2, 128 MB for 5x10 at 640,000 profiles) and
//! Adam's moments (twice the weights). When the trainer writes the next periodic checkpoint,
//! the previous one is rewritten without them (weights and the small state: 0.4 MB at 5x10),
//! and `best.safetensors` never has them. Resuming from such a *lean* checkpoint (the newest
//! was damaged and set aside) continues the run with the misreports redrawn from the seed and
//! Adam restarted, as at iteration 0: a complete run, but no longer bitwise the uninterrupted
//! one ([`Trainer::resumed_exactly`] says which).

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use regretnet_core::Config;
use regretnet_nets::checkpoint;

use crate::error::{Result, TrainError};
use crate::train::data::DataState;
use crate::train::optim::Adam;
use crate::train::trainer::{Best, Trainer, Window};

/// Version of the trainer state layout above.
pub const TRAINER_STATE_VERSION: u32 = 2;

/// The trainer state versions this build resumes: 1 (every checkpoint held the misreport
/// cache) and 2 (only the newest periodic one does).
pub const TRAINER_STATE_READS: [u32; 2] = [1, 2];

/// The name of the misreport cache tensor.
const CACHE: &str = "data.cache";
/// Version 1's tensor of the epoch's permutation (replayed instead since version 2).
const ORDER: &str = "data.order";
/// The prefix of the full state's tensors besides the cache (Adam's).
const OPTIM: &str = "optim.";

fn bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

fn unbits(s: &str) -> Option<f64> {
    (s.len() == 16)
        .then(|| u64::from_str_radix(s, 16).ok())
        .flatten()
        .map(f64::from_bits)
}

impl Trainer {
    /// Write a checkpoint holding the whole training state (see the module docs), the
    /// misreport cache included, atomically: resuming from it continues the run exactly.
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        self.write_checkpoint(path, true)
    }

    /// Write a trainer checkpoint, with the full state (misreport cache, Adam) when `full`.
    pub(crate) fn write_checkpoint(&self, path: &Path, full: bool) -> Result<()> {
        let mut extra = if full {
            self.adam.state()?
        } else {
            BTreeMap::new()
        };
        extra.insert(
            "lagrange.lambda".into(),
            Tensor::new(self.lagrangian.lambda.as_slice(), &Device::Cpu)?,
        );
        let data = self.data.state();
        if full {
            extra.insert(
                CACHE.into(),
                Tensor::from_vec(
                    data.cache,
                    data.order.len() * self.setting.profile_len(),
                    &Device::Cpu,
                )?,
            );
        }
        let w = &self.window;
        let window: Vec<String> = [w.count.to_string(), bits(w.revenue), bits(w.loss)]
            .into_iter()
            .chain(w.regret.iter().map(|&r| bits(r)))
            .collect();
        let mut meta: BTreeMap<String, String> = [
            ("trainer_state", TRAINER_STATE_VERSION.to_string()),
            ("iteration", self.iteration.to_string()),
            ("config", self.config.to_toml_string()),
            ("rho", self.lagrangian.rho.to_string()),
            ("rho_bits", bits(self.lagrangian.rho)),
            ("data.cursor", data.cursor.to_string()),
            ("data.epoch", data.epoch.to_string()),
            ("data.shuffle_word_pos", data.shuffle_word_pos.to_string()),
            ("window", window.join(",")),
            ("elapsed_seconds", format!("{:.3}", self.elapsed)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(b) = self.best {
            meta.insert(
                "best".into(),
                format!("{},{}", b.iteration, bits(b.revenue)),
            );
        }
        checkpoint::save_model(&self.net, &extra, &meta, path)?;
        Ok(())
    }

    /// Rebuild the trainer a checkpoint was written by, exactly where it stopped: continuing
    /// it gives bitwise the same metrics and weights as a run that was never interrupted
    /// (same machine and build). The config is the checkpoint's own.
    pub fn resume(path: &Path) -> Result<Trainer> {
        let shown = path.display().to_string();
        let bad = |reason: String| TrainError::Resume {
            path: shown.clone(),
            reason,
        };
        let ckpt = checkpoint::load_model(path)?;
        let meta = &ckpt.metadata;
        let get = |key: &str| -> Result<&str> {
            meta.get(key).map(String::as_str).ok_or_else(|| {
                bad(format!(
                    "metadata has no `{key}` entry (not written by `regretnet train`?)"
                ))
            })
        };
        let parse = |key: &str| -> Result<u64> {
            get(key)?
                .parse::<u64>()
                .map_err(|_| bad(format!("metadata `{key}` is not a count")))
        };
        let other_version = |reason: String| TrainError::Incompatible {
            path: shown.clone(),
            reason,
        };
        let version = parse("trainer_state")?;
        if !TRAINER_STATE_READS.iter().any(|&v| v as u64 == version) {
            return Err(other_version(format!(
                "training state version {version}; this build reads versions {TRAINER_STATE_READS:?} \
                 (resume it with the regretnet that wrote it)"
            )));
        }
        // A config this build cannot read was written by another version (a field added or
        // removed); the bytes themselves parsed.
        let config = Config::from_toml_str(get("config")?).map_err(|e| {
            other_version(format!(
                "its config is not one this build reads (written by another version?): {e}"
            ))
        })?;
        let mut tr = Trainer::new(config)?;
        if ckpt.model.spec() != tr.net.spec() {
            return Err(bad("its networks do not match its own config".into()));
        }
        tr.net = ckpt.model;
        tr.adam = Adam::new(tr.net.named_vars(), tr.config.train.lr)?;
        // A lean checkpoint (no cache) restarts Adam; version 1 was always full.
        let full = version == 1 || ckpt.extra.contains_key(CACHE);
        if full {
            tr.adam.restore(&ckpt.extra).map_err(bad)?;
        }
        let n = tr.setting.bidders;
        let tensor = |key: &str| {
            ckpt.extra
                .get(key)
                .ok_or_else(|| bad(format!("tensor `{key}` is missing")))
        };
        let lambda = tensor("lagrange.lambda")?
            .to_vec1::<f64>()
            .map_err(|e| bad(format!("tensor `lagrange.lambda`: {e}")))?;
        if lambda.len() != n || lambda.iter().any(|l| !l.is_finite()) {
            return Err(bad(format!(
                "tensor `lagrange.lambda` must hold {n} finite values"
            )));
        }
        tr.lagrangian.lambda = lambda;
        tr.lagrangian.rho = unbits(get("rho_bits")?)
            .filter(|r| r.is_finite())
            .ok_or_else(
                || bad("metadata `rho_bits` is not 16 hex digits of a finite f64".into()),
            )?;
        tr.iteration = parse("iteration")?;
        if tr.iteration > tr.config.train.iterations {
            return Err(bad(format!(
                "iteration {} is past the config's {} iterations",
                tr.iteration, tr.config.train.iterations
            )));
        }
        let cache = if full {
            tensor(CACHE)?
                .to_vec1::<f32>()
                .map_err(|e| bad(format!("tensor `{CACHE}`: {e}")))?
        } else {
            tr.data.state().cache
        };
        tr.cache_restored = full;
        if full {
            tr.cached_checkpoint = Some(path.to_path_buf());
        }
        let epoch = parse("data.epoch")?;
        let shuffle_word_pos = get("data.shuffle_word_pos")?
            .parse::<u128>()
            .map_err(|_| bad("metadata `data.shuffle_word_pos` is not a count".into()))?;
        let order = if version == 1 {
            tensor(ORDER)?
                .to_vec1::<u32>()
                .map_err(|e| bad(format!("tensor `{ORDER}`: {e}")))?
        } else {
            // Bounded before the replay: an epoch takes at least size / batch iterations.
            let t = &tr.config.train;
            let most = tr.iteration * t.batch_size as u64 / t.train_size.max(1) as u64 + 1;
            if epoch > most {
                return Err(bad(format!(
                    "metadata `data.epoch` {epoch} is more epochs than {} iterations make",
                    tr.iteration
                )));
            }
            let (order, pos) = tr.data.replayed_order(epoch);
            if pos != shuffle_word_pos {
                return Err(bad(format!(
                    "metadata `data.shuffle_word_pos` {shuffle_word_pos} is not where epoch \
                     {epoch}'s shuffle ends ({pos})"
                )));
            }
            order
        };
        let state = DataState {
            cache,
            order,
            cursor: parse("data.cursor")? as usize,
            epoch,
            shuffle_word_pos,
        };
        tr.data.restore(state).map_err(bad)?;
        tr.window = parse_window(get("window")?, n).ok_or_else(|| {
            bad(format!(
                "metadata `window` is not a count and {} f64 bit patterns",
                2 + n
            ))
        })?;
        tr.best = match meta.get("best") {
            None => None,
            Some(s) => Some(
                parse_best(s)
                    .ok_or_else(|| bad("metadata `best` is not `iteration,revenue bits`".into()))?,
            ),
        };
        tr.elapsed = get("elapsed_seconds")?
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| bad("metadata `elapsed_seconds` is not a duration".into()))?;
        Ok(tr)
    }

    /// Replace the misreport cache by the one trainer checkpoint `path` holds (`train.
    /// init_misreports`). The cache belongs to the checkpoint's training profiles, so its run
    /// must have drawn the same ones: the same setting, `train.train_size` and `train.seed`;
    /// `Err` names what differs.
    pub fn load_misreports(&mut self, path: &Path) -> Result<()> {
        let shown = path.display().to_string();
        let bad = |reason: String| TrainError::Resume {
            path: shown.clone(),
            reason: format!("cannot take its misreport cache: {reason}"),
        };
        let ckpt = checkpoint::load_model(path)?;
        let theirs = ckpt
            .metadata
            .get("config")
            .ok_or_else(|| bad("it holds no config (not written by `regretnet train`?)".into()))
            .and_then(|s| {
                Config::from_toml_str(s).map_err(|e| bad(format!("its config is invalid: {e}")))
            })?;
        let (t, ours) = (&theirs.train, &self.config.train);
        if theirs.setting != self.config.setting {
            return Err(bad(format!(
                "its setting is `{}`, this run's `{}`",
                theirs.setting.name, self.config.setting.name
            )));
        }
        if (t.seed, t.train_size) != (ours.seed, ours.train_size) {
            return Err(bad(format!(
                "its training set is {} profiles from seed {}, this run's {} from seed {}",
                t.train_size, t.seed, ours.train_size, ours.seed
            )));
        }
        let cache = ckpt
            .extra
            .get(CACHE)
            .ok_or_else(|| {
                bad(format!(
                    "it holds no `{CACHE}`: only the newest periodic checkpoint of a run keeps \
                     the cache (checkpoints/iter-*.safetensors, the highest iteration)"
                ))
            })?
            .to_vec1::<f32>()
            .map_err(|e| bad(format!("tensor `{CACHE}`: {e}")))?;
        self.data.set_cache(cache).map_err(bad)
    }

    /// Rewrite trainer checkpoint `path` lean: without the misreport cache and Adam's moments
    /// (atomically; every other tensor and metadata entry as it was). A lean file is left as
    /// it is.
    pub(crate) fn make_lean(path: &Path) -> Result<()> {
        let mut ckpt = checkpoint::load_model(path)?;
        let before = ckpt.extra.len();
        ckpt.extra
            .retain(|k, _| k != CACHE && k != ORDER && !k.starts_with(OPTIM));
        if ckpt.extra.len() != before {
            checkpoint::save_model(&ckpt.model, &ckpt.extra, &ckpt.metadata, path)?;
        }
        Ok(())
    }

    /// Whether the trainer continues its run exactly: true for a fresh trainer and one resumed
    /// from a checkpoint with the full state; false after a lean one, whose misreports were
    /// redrawn from the seed and whose Adam restarted.
    pub fn resumed_exactly(&self) -> bool {
        self.cache_restored
    }

    /// Change the total number of iterations (to extend a resumed run). Refused below the
    /// iterations already done. Without `tail`, the relative schedules (the learning rate's
    /// decay from `lr_decay_from`, rho's `rho_steps`) rescale to the new total; with `tail`,
    /// the schedule the run was on ends where it ended (`train.schedule_end`) and the added
    /// iterations train at the learning rate it had reached, rho stepping on at its interval.
    /// Returns a line for the user whenever the rate or rho's interval changes at the current
    /// iteration, saying from what to what.
    pub fn set_iterations(&mut self, iterations: u64, tail: bool) -> Result<Option<String>> {
        if iterations < self.iteration {
            return Err(TrainError::Resume {
                path: "--iterations".into(),
                reason: format!(
                    "{iterations} iterations is fewer than the {} already done",
                    self.iteration
                ),
            });
        }
        let before = self.config.train.clone();
        let mut t = before.clone();
        if tail && iterations > t.iterations && t.schedule_end.is_none() {
            t.schedule_end = Some(t.iterations);
        }
        t.iterations = iterations;
        t.resolve_schedule();
        let mut config = self.config.clone();
        config.train = t;
        config.validate()?;
        self.config = config;
        let t = &self.config.train;
        let k = self.iteration;
        let (lr0, lr1) = (before.lr_at(k), t.lr_at(k));
        let (rho0, rho1) = (before.rho_every(), t.rho_every());
        if lr0 == lr1 && rho0 == rho1 {
            return Ok(tail.then(|| {
                format!(
                    "extended to {iterations} iterations with a tail: the added iterations \
                     train at learning rate {lr1:.3e}, rho steps on every {rho1}"
                )
            }));
        }
        let mut note = format!(
            "extended to {iterations} iterations: the schedules rescale with the new total"
        );
        if lr0 != lr1 {
            note += &format!(
                ", so the learning rate at iteration {k} goes from {lr0:.3e} to {lr1:.3e}"
            );
        }
        if rho0 != rho1 {
            note += &format!(", rho's step comes every {rho1} iterations instead of {rho0}");
        }
        note += " (pass --tail to keep the finished schedule and train on at its final rate)";
        Ok(Some(note))
    }
}

fn parse_window(s: &str, n: usize) -> Option<Window> {
    let mut parts = s.split(',');
    let count = parts.next()?.parse::<u64>().ok()?;
    let revenue = unbits(parts.next()?)?;
    let loss = unbits(parts.next()?)?;
    let regret: Vec<f64> = parts.map(unbits).collect::<Option<_>>()?;
    (regret.len() == n).then_some(Window {
        count,
        revenue,
        loss,
        regret,
    })
}

fn parse_best(s: &str) -> Option<Best> {
    let (it, rev) = s.split_once(',')?;
    Some(Best {
        iteration: it.parse().ok()?,
        revenue: unbits(rev)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_through_their_bits() {
        for x in [0.1, -0.0, 1e-300, f64::MAX, 5.0 + 2.0 * f64::EPSILON] {
            assert_eq!(unbits(&bits(x)).unwrap().to_bits(), x.to_bits());
        }
        assert!(unbits("3ff").is_none());
        assert!(unbits("zzzzzzzzzzzzzzzz").is_none());
    }

    #[test]
    fn window_parsing_checks_the_bidder_count() {
        let w = format!("3,{},{},{}", bits(1.5), bits(-2.0), bits(0.25));
        let parsed = parse_window(&w, 1).unwrap();
        assert_eq!((parsed.count, parsed.revenue, parsed.loss), (3, 1.5, -2.0));
        assert_eq!(parsed.regret, vec![0.25]);
        assert!(parse_window(&w, 2).is_none());
        assert!(parse_window("x", 1).is_none());
    }
}

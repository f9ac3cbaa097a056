//! The training-side misreport policy: how the trainer's inner loop uses the search of
//! [`crate::search`] on each minibatch.
//!
//! Per minibatch, the misreports cached for its profiles (warm starts, one per profile and
//! bidder) take `steps` projected Adam steps with the weights frozen. The policy adds two
//! choices the reference does not have (`docs/TRAINING.md` measures both):
//! - **keep the best iterate** (`train.misreport_keep_best`): the search ends at the iterate of
//!   highest utility instead of the last one, so an overshooting Adam step never replaces a
//!   better misreport in the cache;
//! - **a second start** (`train.misreport_extra_start`): the truthful report, or one corner of
//!   the support in turn (iteration `t` uses corner `t mod corners`), ascended the same way; it
//!   replaces the cached misreport of a profile and bidder only where it ends strictly higher;
//! - **prior starts** (`train.misreport_prior_starts`): `K` fresh draws from the prior per
//!   profile and bidder, each ascended the same way and kept on the same terms. They are drawn
//!   for the whole batch before it is split into shards, from a stream keyed by the run's seed
//!   and the iteration ([`Stream::TrainStarts`]), so neither the thread count nor a resume
//!   changes them.
//!
//! The policy is independent per profile, so the trainer runs it shard by shard in parallel
//! and the result does not depend on the number of threads.

use candle_core::Tensor;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{ExtraStart, Setting, TrainConfig};

use crate::error::Result;
use crate::search::{ascend, ascend_tracking_best, SearchConfig, UtilityGradient};
use crate::starts::{draw_starts, starts_per_profile};

/// The inner search of one training iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InnerSearch {
    /// Projected Adam steps per start (`train.misreport_steps`).
    pub steps: usize,
    /// Adam's step size on the misreports (`train.misreport_lr`).
    pub lr: f64,
    /// End at the best iterate rather than the last (`train.misreport_keep_best`).
    pub keep_best: bool,
    /// The second start beside the cached misreport (`train.misreport_extra_start`).
    pub extra: ExtraStart,
    /// Fresh prior draws per profile and bidder (`train.misreport_prior_starts`).
    pub prior_starts: usize,
}

impl InnerSearch {
    /// The policy a training config asks for.
    pub fn from_train(t: &TrainConfig) -> Self {
        InnerSearch {
            steps: t.misreport_steps,
            lr: t.misreport_lr,
            keep_best: t.misreport_keep_best,
            extra: t.misreport_extra_start,
            prior_starts: t.misreport_prior_starts,
        }
    }

    /// Every start this iteration ascends beside the cached misreports, for the batch `truth`
    /// (flat `[B, n, d]`), each flat like it: the second start ([`InnerSearch::second_start`]),
    /// then the `prior_starts` draws of the run with seed `seed` at `iteration`.
    pub fn extra_starts(
        &self,
        setting: &Setting,
        truth: &[f32],
        seed: u64,
        iteration: u64,
    ) -> Vec<Vec<f32>> {
        let mut starts: Vec<Vec<f32>> = self
            .second_start(setting, truth, iteration)
            .into_iter()
            .collect();
        if self.prior_starts > 0 {
            starts.extend(prior_starts(
                setting,
                truth,
                self.prior_starts,
                iteration_key(seed, iteration),
            ));
        }
        starts
    }

    /// This iteration's second start for the batch `truth` (flat `[B, n, d]`), flat like it;
    /// `None` without one.
    pub fn second_start(
        &self,
        setting: &Setting,
        truth: &[f32],
        iteration: u64,
    ) -> Option<Vec<f32>> {
        match self.extra {
            ExtraStart::None => None,
            ExtraStart::Truthful => Some(truth.to_vec()),
            ExtraStart::Corners => Some(corner_start(setting, truth, iteration)),
        }
    }

    /// Run the policy on (a shard of) a batch: ascend `mis` (flat `[B, n, d]`, the cached
    /// misreports of the profiles `truth: [B, n, d]`) in place; ascend each of `starts` (this
    /// shard's rows of [`InnerSearch::extra_starts`]) too, and keep, per profile and bidder,
    /// whichever ends strictly higher.
    pub fn run(
        &self,
        grad: &dyn UtilityGradient,
        setting: &Setting,
        truth: &Tensor,
        mis: &mut [f32],
        starts: &[&[f32]],
    ) -> Result<()> {
        self.ascent(grad, setting, truth, mis)?;
        if starts.is_empty() {
            return Ok(());
        }
        // The kept misreports' utilities, measured once and updated as candidates replace them.
        let mut kept = grad.utility(truth, mis)?;
        for start in starts {
            let mut cand = start.to_vec();
            self.ascent(grad, setting, truth, &mut cand)?;
            keep_better(grad, setting, truth, mis, &mut kept, &cand)?;
        }
        Ok(())
    }

    /// `steps` projected Adam steps from `mis`, left at the last iterate or, with `keep_best`,
    /// at the best one.
    fn ascent(
        &self,
        grad: &dyn UtilityGradient,
        setting: &Setting,
        truth: &Tensor,
        mis: &mut [f32],
    ) -> Result<()> {
        if self.keep_best {
            let best = ascend_tracking_best(grad, setting, truth, mis, self.steps, self.lr)?;
            mis.copy_from_slice(&best.best_misreport);
            Ok(())
        } else {
            ascend(grad, setting, truth, mis, self.steps, self.lr)
        }
    }
}

/// Corner `iteration mod corners` of every bidder's support (projected, fixed coordinates
/// pinned), one per profile and bidder: flat `[B, n, d]` like `truth`.
fn corner_start(setting: &Setting, truth: &[f32], iteration: u64) -> Vec<f32> {
    let search = SearchConfig {
        steps: 0,
        lr: 0.0,
        restarts: 0,
        corners: true,
    };
    let per = starts_per_profile(setting, &search);
    let len = setting.profile_len();
    // No prior draws are taken (restarts 0); the stream only fills the signature.
    let all = draw_starts(
        setting,
        truth,
        &search,
        &mut stream_rng(0, Stream::Misreport),
    );
    let c = 1 + (iteration as usize) % (per - 1).max(1);
    all.chunks_exact(per * len)
        .flat_map(|starts| starts[c * len..(c + 1) * len].iter().copied())
        .collect()
}

/// The key of iteration `iteration`'s prior starts under the run's seed: the pair mixed into
/// one `u64` (`stream_rng` expands it into a ChaCha key), so that every iteration draws from
/// its own sequence.
fn iteration_key(seed: u64, iteration: u64) -> u64 {
    seed ^ iteration
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// `k` prior draws of every profile of `truth` (flat `[B, n, d]`), each flat like it, from the
/// stream [`Stream::TrainStarts`] under `key`: profile by profile, the draws of one profile
/// together (as the test search's restarts, [`draw_starts`]; a combinatorial bidder's fixed
/// coordinates are the profile's own).
fn prior_starts(setting: &Setting, truth: &[f32], k: usize, key: u64) -> Vec<Vec<f32>> {
    let search = SearchConfig {
        steps: 0,
        lr: 0.0,
        restarts: k,
        corners: false,
    };
    let len = setting.profile_len();
    let all = draw_starts(
        setting,
        truth,
        &search,
        &mut stream_rng(key, Stream::TrainStarts),
    );
    // [B, 1 + k, n, d]: start 0 is the truthful profile.
    (1..=k)
        .map(|s| {
            all.chunks_exact((1 + k) * len)
                .flat_map(|starts| starts[s * len..(s + 1) * len].iter().copied())
                .collect()
        })
        .collect()
}

/// Per profile and bidder, replace the misreport in `mis` by the one in `cand` (both flat
/// `[B, n, d]`) where `cand`'s utility is strictly higher than `kept` (the utilities of `mis`,
/// updated where replaced).
fn keep_better(
    grad: &dyn UtilityGradient,
    setting: &Setting,
    truth: &Tensor,
    mis: &mut [f32],
    kept: &mut [f32],
    cand: &[f32],
) -> Result<()> {
    let d = setting.type_len();
    let u = grad.utility(truth, cand)?;
    for (r, (&ur, uk)) in u.iter().zip(kept.iter_mut()).enumerate() {
        if ur > *uk {
            mis[r * d..(r + 1) * d].copy_from_slice(&cand[r * d..(r + 1) * d]);
            *uk = ur;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closed_form::PostedPrice;
    use crate::Mechanism;
    use candle_core::Device;
    use regretnet_core::presets::preset;

    fn setting() -> Setting {
        preset("additive_1x2_uniform")
            .unwrap()
            .setting
            .build()
            .unwrap()
    }

    #[test]
    fn corners_cycle_through_the_support_and_skip_the_truthful_start() {
        // 1 bidder, 2 items in [0, 1]^2: the starts are truth then the 4 corners; iteration t
        // takes corner t mod 4, each a vertex of the unit square.
        let s = setting();
        let truth = [0.3f32, 0.6, 0.2, 0.9];
        let mut seen = Vec::new();
        for it in 0..4 {
            let c = corner_start(&s, &truth, it);
            assert_eq!(c.len(), 4);
            assert_eq!(c[..2], c[2..], "the same corner for both profiles");
            assert!(c.iter().all(|&x| x == 0.0 || x == 1.0), "{c:?}");
            seen.push((c[0], c[1]));
        }
        seen.sort_by(|a, b| a.partial_cmp(b).unwrap());
        seen.dedup();
        assert_eq!(seen.len(), 4, "four iterations visit the four corners");
        assert_eq!(corner_start(&s, &truth, 4), corner_start(&s, &truth, 0));
    }

    /// Posted prices 0.5 per item (closed_form) for one bidder and two items, and two profiles:
    /// the first values both items above the price, the second neither. Returns the mechanism,
    /// the profiles flat and as a tensor `[2, 1, 2]`.
    fn posted_price_case() -> (PostedPrice, [f32; 4], Tensor) {
        let truth_flat = [0.9f32, 0.8, 0.2, 0.1];
        let truth = Tensor::from_slice(&truth_flat, (2, 1, 2), &Device::Cpu).unwrap();
        (PostedPrice::new(vec![0.5, 0.5]), truth_flat, truth)
    }

    /// A best-iterate policy of 3 steps at lr 0.01 with the given extra starts.
    fn policy(extra: ExtraStart, prior_starts: usize) -> InnerSearch {
        InnerSearch {
            steps: 3,
            lr: 0.01,
            keep_best: true,
            extra,
            prior_starts,
        }
    }

    #[test]
    fn a_second_start_only_ever_raises_the_utility() {
        // Posted prices 0.5 per item (closed_form): utility sum_j (v_j - 0.5)+ over the
        // reported items bought. The cached misreport [0, 0] buys nothing and has zero
        // gradient, so plain ascent stays there; the truthful second start buys the items
        // worth more than the price, and the policy keeps it exactly where it is better.
        let s = setting();
        let (mech, truth_flat, truth) = posted_price_case();
        let grad = mech.utility_gradient().unwrap();
        let policy = policy(ExtraStart::Truthful, 0);
        let mut mis = vec![0.0f32; 4];
        let before = grad.utility(&truth, &mis).unwrap();
        let second = policy.second_start(&s, &truth_flat, 7).unwrap();
        assert_eq!(second, truth_flat);
        policy
            .run(&*grad, &s, &truth, &mut mis, &[&second])
            .unwrap();
        let after = grad.utility(&truth, &mis).unwrap();
        assert!(after.iter().zip(&before).all(|(a, b)| a >= b));
        assert!(after[0] > before[0] + 0.5, "{after:?} vs {before:?}");
        // The second profile values both items under the price: nothing to gain, kept as is.
        assert_eq!(&mis[2..], &[0.0, 0.0]);
        let none = InnerSearch {
            extra: ExtraStart::None,
            ..policy
        };
        assert!(none.second_start(&s, &truth_flat, 0).is_none());
    }

    #[test]
    fn prior_starts_are_draws_of_the_iteration_and_only_ever_raise_the_utility() {
        let s = setting();
        let (mech, truth_flat, truth) = posted_price_case();
        let grad = mech.utility_gradient().unwrap();
        let policy = policy(ExtraStart::None, 4);
        let starts = policy.extra_starts(&s, &truth_flat, 42, 7);
        assert_eq!(starts.len(), 4);
        for st in &starts {
            assert_eq!(st.len(), 4);
            assert!(st.iter().all(|&x| (0.0..=1.0).contains(&x)), "{st:?}");
            assert_ne!(st[..], truth_flat[..], "a draw, not the truth");
        }
        assert_ne!(starts[0], starts[1], "the draws differ");
        // A function of (seed, iteration) alone: the same again, another at another iteration
        // or seed.
        assert_eq!(starts, policy.extra_starts(&s, &truth_flat, 42, 7));
        assert_ne!(starts, policy.extra_starts(&s, &truth_flat, 42, 8));
        assert_ne!(starts, policy.extra_starts(&s, &truth_flat, 43, 7));
        // With the truthful second start as well, it comes first.
        let both = InnerSearch {
            extra: ExtraStart::Truthful,
            ..policy
        };
        let with_truth = both.extra_starts(&s, &truth_flat, 42, 7);
        assert_eq!(with_truth[0], truth_flat);
        assert_eq!(with_truth[1..], starts[..]);
        // From the empty report (no gradient: plain ascent stays), four draws find a report
        // that buys the first profile's items, and never lower a utility.
        let mut mis = vec![0.0f32; 4];
        let before = grad.utility(&truth, &mis).unwrap();
        let refs: Vec<&[f32]> = starts.iter().map(Vec::as_slice).collect();
        policy.run(&*grad, &s, &truth, &mut mis, &refs).unwrap();
        let after = grad.utility(&truth, &mis).unwrap();
        assert!(after.iter().zip(&before).all(|(a, b)| a >= b));
        assert!(after[0] > before[0], "{after:?} vs {before:?}");
        // Without draws nothing is added.
        let none = InnerSearch {
            prior_starts: 0,
            ..policy
        };
        assert!(none.extra_starts(&s, &truth_flat, 42, 7).is_empty());
    }
}

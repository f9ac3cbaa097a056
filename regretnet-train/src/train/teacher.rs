//! The warm start from a truthful mechanism (`train.teacher`): for the first
//! `train.teacher_iterations` iterations the outer step descends the squared distance from the
//! network's outcome to the teacher's on the minibatch,
//!
//! ```text
//! L = mean_b [ sum_ij (a_ij - a*_ij)^2 + sum_i (p_i - p*_i)^2 ]
//! ```
//!
//! with the teacher's allocations `a*` and payments `p*` computed exactly in `f64` (item-wise
//! Myerson: [`regretnet_core::myerson::SingleItem`] on each item's column of values, ironed
//! virtual values, threshold payments; ties split). The inner search still runs on the same
//! batch (the logged regret is the imitation's, and the misreport cache is warm when the
//! Lagrangian phase starts), and the multipliers wait. The teacher is a deterministic function
//! of the batch, so a resume inside the phase is exact like any other.

use candle_core::{backprop::GradStore, Device, Tensor};
use regretnet_core::myerson::SingleItem;

use crate::error::{Result, TrainError};
use crate::train::trainer::Trainer;

/// The teacher's allocations `[B, n, m]` and payments `[B, n]` (flat, row-major) on the
/// profiles `truth` (flat `[B, n, m]`): each item's auction on its column of values.
pub fn itemwise_outcomes(auctions: &[SingleItem], n: usize, truth: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let m = auctions.len();
    let batch = truth.len() / (n * m);
    let mut alloc = vec![0f32; batch * n * m];
    let mut pay = vec![0f32; batch * n];
    for b in 0..batch {
        let profile = &truth[b * n * m..(b + 1) * n * m];
        for (j, auction) in auctions.iter().enumerate() {
            let bids: Vec<f64> = (0..n).map(|i| profile[i * m + j] as f64).collect();
            let (a, p) = (auction.allocation(&bids), auction.payments(&bids));
            for i in 0..n {
                alloc[(b * n + i) * m + j] = a[i] as f32;
                pay[b * n + i] += p[i] as f32;
            }
        }
    }
    (alloc, pay)
}

impl Trainer {
    /// The imitation loss's weight gradients on the batch `truth` (flat `[B, n, m]`), and the
    /// loss.
    pub(crate) fn distill_gradients(&self, truth: &[f32]) -> Result<(GradStore, f64)> {
        let auctions = self.teacher.as_ref().ok_or_else(|| {
            TrainError::Unsupported("train.teacher_iterations without a teacher".into())
        })?;
        let (n, m) = (self.setting.bidders, self.setting.items);
        let batch = truth.len() / (n * m);
        let (a, p) = itemwise_outcomes(auctions, n, truth);
        let a = Tensor::from_vec(a, (batch, n, m), &Device::Cpu)?;
        let p = Tensor::from_vec(p, (batch, n), &Device::Cpu)?;
        let bids = Tensor::from_slice(truth, (batch, n, m), &Device::Cpu)?;
        let out = self.net.forward_train(&bids)?;
        let loss = (((out.alloc - a)?.sqr()?.sum_all()? + (out.pay - p)?.sqr()?.sum_all()?)?
            / batch as f64)?;
        let value = loss.to_scalar::<f32>()? as f64;
        Ok((loss.backward()?, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regretnet_core::presets::preset;
    use regretnet_core::Teacher;

    #[test]
    fn the_teacher_is_itemwise_myerson() {
        // Two U[0,1] bidders: each item goes to the higher value at or above the reserve 1/2
        // and costs max(1/2, the other value) (Myerson 1981: phi(v) = 2v - 1).
        let setting = preset("additive_2x2_uniform")
            .unwrap()
            .setting
            .build()
            .unwrap();
        let auctions = regretnet_core::baselines::myerson_per_item(&setting).unwrap();
        let (a, p) = itemwise_outcomes(&auctions, 2, &[0.9, 0.3, 0.6, 0.4]);
        assert_eq!(a, vec![1.0, 0.0, 0.0, 0.0]);
        assert!((p[0] - 0.6).abs() < 1e-6 && p[1] == 0.0, "{p:?}");
    }

    #[test]
    fn imitation_brings_the_network_to_the_teacher_and_then_the_lagrangian_takes_over() {
        let mut c = preset("additive_2x2_uniform").unwrap();
        c.net.alloc_hidden = vec![32, 32];
        c.net.pay_hidden = vec![32, 32];
        c.train.iterations = 160;
        c.train.train_size = 512;
        c.train.batch_size = 128;
        c.train.misreport_steps = 2;
        c.train.lr = 5e-3;
        c.train.teacher = Some(Teacher::ItemwiseMyerson);
        c.train.teacher_iterations = 150;
        let mut trainer = Trainer::new(c).unwrap();
        let lambda = trainer.lagrangian().lambda.clone();
        let mut losses = Vec::new();
        for _ in 0..150 {
            losses.push(trainer.step().unwrap().loss);
        }
        // The multipliers waited; the imitation loss fell to a small part of where it began.
        assert_eq!(trainer.lagrangian().lambda, lambda);
        let (first, last) = (losses[0], losses[140..].iter().sum::<f64>() / 10.0);
        assert!(last < first / 4.0, "imitation loss {first} -> {last}");
        // The Lagrangian step takes over: its loss is -revenue + penalty, negative here.
        let s = trainer.step().unwrap();
        assert!(s.loss < 0.0 && s.loss > -2.0, "{s:?}");
    }

    #[test]
    fn a_teacher_is_refused_where_it_does_not_apply() {
        let mut c = preset("additive_2x2_uniform").unwrap();
        c.train.teacher_iterations = 10;
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("train.teacher_iterations"), "{err}");
        c.train.teacher = Some(Teacher::ItemwiseMyerson);
        c.train.teacher_iterations = c.train.iterations;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("teacher_iterations"));
        let mut t = preset("additive_1x2_uniform_triangle").unwrap();
        t.train.teacher = Some(Teacher::ItemwiseMyerson);
        t.train.teacher_iterations = 10;
        let err = t.validate().unwrap_err().to_string();
        assert!(
            err.contains("train.teacher") && err.contains("independent"),
            "{err}"
        );
        let mut r = regretnet_core::presets::preset_with_net(
            "additive_2x2_uniform",
            regretnet_core::NetKind::Ama,
        )
        .unwrap();
        r.train.teacher = Some(Teacher::ItemwiseMyerson);
        r.train.teacher_iterations = 10;
        let err = r.validate().unwrap_err().to_string();
        assert!(err.contains("exactly IC"), "{err}");
    }
}

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
//! virtual values, threshold payments; ties split; or, with `train.teacher_temperature > 0`,
//! its smooth and still exactly IC softening [`regretnet_core::myerson_soft::SoftItem`]). The inner search still runs on the same
//! batch (the logged regret is the imitation's, and the misreport cache is warm when the
//! Lagrangian phase starts), and the multipliers wait. The teacher is a deterministic function
//! of the batch, so a resume inside the phase is exact like any other.

use candle_core::{backprop::GradStore, Device, Tensor};
use regretnet_core::myerson::SingleItem;
use regretnet_core::myerson_soft::SoftItem;

use crate::error::{Result, TrainError};
use crate::train::trainer::Trainer;

/// The item-wise teacher: Myerson's auction of each item, exact or softened.
#[derive(Debug, Clone)]
pub enum ItemwiseTeacher {
    /// Exact thresholds (`train.teacher_temperature = 0`).
    Exact(Vec<SingleItem>),
    /// Softened at a temperature (`train.teacher_temperature > 0`).
    Soft(Vec<SoftItem>),
}

impl ItemwiseTeacher {
    /// Item-wise Myerson's auctions `auctions`, softened at `temperature` when it is positive.
    pub fn new(auctions: Vec<SingleItem>, temperature: f64) -> Self {
        if temperature > 0.0 {
            ItemwiseTeacher::Soft(
                auctions
                    .iter()
                    .map(|a| {
                        SoftItem::new(a.ironed().to_vec(), temperature)
                            .expect("a positive finite temperature (checked by the config)")
                    })
                    .collect(),
            )
        } else {
            ItemwiseTeacher::Exact(auctions)
        }
    }

    fn items(&self) -> usize {
        match self {
            ItemwiseTeacher::Exact(a) => a.len(),
            ItemwiseTeacher::Soft(a) => a.len(),
        }
    }

    fn item_outcome(&self, j: usize, bids: &[f64]) -> (Vec<f64>, Vec<f64>) {
        match self {
            ItemwiseTeacher::Exact(a) => (a[j].allocation(bids), a[j].payments(bids)),
            ItemwiseTeacher::Soft(a) => a[j].outcome(bids),
        }
    }
}

/// The teacher's allocations `[B, n, m]` and payments `[B, n]` (flat, row-major) on the
/// profiles `truth` (flat `[B, n, m]`): each item's auction on its column of values.
pub fn itemwise_outcomes(
    teacher: &ItemwiseTeacher,
    n: usize,
    truth: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let m = teacher.items();
    let batch = truth.len() / (n * m);
    let mut alloc = vec![0f32; batch * n * m];
    let mut pay = vec![0f32; batch * n];
    for b in 0..batch {
        let profile = &truth[b * n * m..(b + 1) * n * m];
        for j in 0..m {
            let bids: Vec<f64> = (0..n).map(|i| profile[i * m + j] as f64).collect();
            let (a, p) = teacher.item_outcome(j, &bids);
            for i in 0..n {
                alloc[(b * n + i) * m + j] = a[i] as f32;
                pay[b * n + i] += p[i] as f32;
            }
        }
    }
    (alloc, pay)
}

impl Trainer {
    /// The gradients of `weight` times the imitation loss with respect to the network's
    /// weights on the batch `truth` (flat `[B, n, m]`), and the (unweighted) loss.
    pub(crate) fn distill_gradients(&self, truth: &[f32], weight: f64) -> Result<(GradStore, f64)> {
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
        Ok(((loss * weight)?.backward()?, value))
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
        let teacher = ItemwiseTeacher::new(auctions.clone(), 0.0);
        let (a, p) = itemwise_outcomes(&teacher, 2, &[0.9, 0.3, 0.6, 0.4]);
        assert_eq!(a, vec![1.0, 0.0, 0.0, 0.0]);
        assert!((p[0] - 0.6).abs() < 1e-6 && p[1] == 0.0, "{p:?}");
        // Softened: item 1 (values 0.9 and 0.6, virtual values 0.8 and 0.2) at tau = 0.1 goes
        // to bidder 1 with probability e^8 / (1 + e^8 + e^2), item 2 (0.3 and 0.4, virtual
        // values -0.4 and -0.2) to bidder 2 with e^-2 / (1 + e^-4 + e^-2).
        let soft = ItemwiseTeacher::new(auctions, 0.1);
        let (a, p) = itemwise_outcomes(&soft, 2, &[0.9, 0.3, 0.6, 0.4]);
        let e = f64::exp;
        let want = [
            e(8.0) / (1.0 + e(8.0) + e(2.0)),
            e(-4.0) / (1.0 + e(-4.0) + e(-2.0)),
            e(2.0) / (1.0 + e(8.0) + e(2.0)),
            e(-2.0) / (1.0 + e(-4.0) + e(-2.0)),
        ];
        for (got, want) in a.iter().zip(want) {
            assert!((*got as f64 - want).abs() < 1e-6, "{a:?}");
        }
        // Payments by Myerson's identity in closed form for phi(t) = 2t - 1: against a rival
        // virtual value r, x(t) = sigma((2t - 1) / tau - c) with c = ln(1 + e^(r / tau)), and
        // int_0^v x = (tau / 2) [softplus((2v - 1) / tau - c) - softplus(-1 / tau - c)].
        let softplus = regretnet_core::myerson_soft::softplus;
        let pay = |v: f64, rival: f64| {
            let (tau, c) = (0.1, (1.0 + e((2.0 * rival - 1.0) / 0.1)).ln());
            let z = (2.0 * v - 1.0) / tau - c;
            v / (1.0 + e(-z)) - tau / 2.0 * (softplus(z) - softplus(-1.0 / tau - c))
        };
        let want = [pay(0.9, 0.6) + pay(0.3, 0.4), pay(0.6, 0.9) + pay(0.4, 0.3)];
        for (got, want) in p.iter().zip(want) {
            assert!((*got as f64 - want).abs() < 1e-6, "{p:?} vs {want}");
        }
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
    fn the_anchor_keeps_the_network_near_the_teacher_after_the_imitation() {
        // Two runs alike but for train.teacher_weight: after the imitation, the Lagrangian
        // alone pulls the network away from the (softened) teacher; the anchor holds it
        // closer. Measured by the imitation loss on one fixed batch.
        let run = |weight: f64| {
            let mut c = preset("additive_2x2_uniform").unwrap();
            c.net.alloc_hidden = vec![32, 32];
            c.net.pay_hidden = vec![32, 32];
            c.train.iterations = 300;
            c.train.train_size = 512;
            c.train.batch_size = 128;
            c.train.misreport_steps = 2;
            c.train.lr = 5e-3;
            c.train.teacher = Some(Teacher::ItemwiseMyerson);
            c.train.teacher_iterations = 100;
            c.train.teacher_temperature = 0.1;
            c.train.teacher_weight = weight;
            let mut trainer = Trainer::new(c).unwrap();
            let mut losses = Vec::new();
            for _ in 0..300 {
                losses.push(trainer.step().unwrap().loss);
            }
            let batch: Vec<f32> = (0..512).map(|k| ((k * 37) % 101) as f32 / 100.0).collect();
            let (_, distance) = trainer.distill_gradients(&batch, 1.0).unwrap();
            (distance, losses)
        };
        let (free, free_losses) = run(0.0);
        let (anchored, anchored_losses) = run(20.0);
        // The same imitation phase, bit for bit: the anchor only acts after it.
        assert_eq!(free_losses[..100], anchored_losses[..100]);
        assert!(anchored < 0.5 * free, "anchored {anchored} vs free {free}");
    }

    #[test]
    fn a_teacher_is_refused_where_it_does_not_apply() {
        let mut c = preset("additive_2x2_uniform").unwrap();
        c.train.teacher_temperature = 0.1;
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("train.teacher_temperature"), "{err}");
        c.train.teacher_temperature = 0.0;
        c.train.teacher_iterations = 10;
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("train.teacher_iterations"), "{err}");
        let mut soft = preset("additive_2x2_uniform").unwrap();
        soft.train.teacher = Some(Teacher::ItemwiseMyerson);
        soft.train.teacher_iterations = 10;
        soft.train.teacher_temperature = 0.1;
        assert!(soft.validate().is_ok());
        for bad in [-0.1, f64::INFINITY, f64::NAN] {
            soft.train.teacher_temperature = bad;
            let err = soft.validate().unwrap_err().to_string();
            assert!(err.contains("train.teacher_temperature"), "{bad}: {err}");
        }
        soft.train.teacher_temperature = 0.1;
        soft.train.teacher_weight = -1.0;
        let err = soft.validate().unwrap_err().to_string();
        assert!(err.contains("train.teacher_weight"), "{err}");
        c.train.teacher_iterations = 0;
        c.train.teacher_weight = 1.0;
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("train.teacher_weight"), "{err}");
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

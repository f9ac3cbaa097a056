//! One training iteration ([`Trainer::step`]): the inner misreport search on the minibatch
//! (the policy of [`regretnet_regret::policy`], shard by shard in parallel), then one Adam step
//! on the weights along the gradient of the sharded outer loss (`train/shards.rs`), then the
//! multiplier and penalty schedules ([`super::lagrangian`]).

use candle_core::{Device, Tensor};
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_nets::{Model, RegretNet};
use regretnet_regret::{InnerSearch, RegretError};

use crate::error::{Result, TrainError};
use crate::run::trace::TraceRow;
use crate::train::layers::trace_rows;
use crate::train::shards;
use crate::train::trainer::{StepStats, Trainer};

impl Trainer {
    /// One training iteration ([`crate::train::trainer`]'s module docs list its four parts;
    /// RochetNet and MyersonNet take a revenue step instead, `train/revenue_step.rs`).
    pub fn step(&mut self) -> Result<StepStats> {
        if self.net.kind().is_exactly_ic() {
            return self.revenue_step();
        }
        let t = self.config.train.clone();
        let (n, m) = (self.setting.bidders, self.setting.type_len());
        let len = n * m;
        let idx = self.data.next_batch(t.batch_size);
        let (truth, mut mis) = self.data.gather(&idx);
        let iteration = self.iteration;
        let non_finite = |e: RegretError| match e {
            RegretError::NonFinite { what } => TrainError::NonFinite {
                iteration,
                quantity: format!("misreport {what} (inner search)"),
            },
            other => other.into(),
        };

        // Inner loop: gradients reach the misreports only; each shard of the batch ascends on
        // its own thread.
        // RegretNet's hand-written input gradient; autograd for the equivariant net.
        let frozen = regretnet_regret::Mechanism::utility_gradient(&self.net)?;
        let setting = &self.setting;
        let bounds = shards::bounds(t.batch_size, t.shards);
        let policy = InnerSearch::from_train(&t);
        // This iteration's second start and prior draws, each flat `[B, n, d]`, drawn for the
        // whole batch before it is split.
        let extra = policy.extra_starts(setting, &truth, t.seed, iteration);
        let jobs: Vec<_> = bounds
            .iter()
            .copied()
            .zip(shards::split_mut(&mut mis, &bounds, len))
            .map(|((lo, hi), shard)| {
                let (frozen, truth) = (&*frozen, &truth[lo * len..hi * len]);
                let starts: Vec<&[f32]> = extra.iter().map(|c| &c[lo * len..hi * len]).collect();
                move || -> std::result::Result<(), RegretError> {
                    let truth = Tensor::from_slice(truth, (hi - lo, n, m), &Device::Cpu)?;
                    policy.run(frozen, setting, &truth, shard, &starts)
                }
            })
            .collect();
        for r in shards::parallel(self.threads, jobs) {
            r.map_err(non_finite)?;
        }
        self.data.store(&idx, &mis);
        drop(frozen);
        let trace = if t.trace_every > 0 && iteration.is_multiple_of(t.trace_every) {
            Some(self.trace(&truth, &mis)?)
        } else {
            None
        };

        // Outer loop: misreports are constants, gradients reach the weights only.
        let mut outer = shards::outer_gradients(
            &self.net,
            &truth,
            &mis,
            (n, m),
            &self.lagrangian,
            t.shards,
            self.threads,
        )?;
        if !outer.loss.is_finite() {
            return Err(TrainError::NonFinite {
                iteration,
                quantity: "loss".into(),
            });
        }
        if let Some(i) = outer.regret.iter().position(|r| !r.is_finite()) {
            return Err(TrainError::NonFinite {
                iteration,
                quantity: format!("regret of bidder {i}"),
            });
        }
        // The warm start: the same batch's regret is measured, but the step imitates the teacher.
        // After it, with train.teacher_weight, the teacher stays as an anchor beside the
        // Lagrangian.
        let distilling = iteration < t.teacher_iterations;
        let anchored = !distilling && t.teacher.is_some() && t.teacher_weight > 0.0;
        if distilling || anchored {
            let weight = if distilling { 1.0 } else { t.teacher_weight };
            let (grads, loss) = self.distill_gradients(&truth, weight)?;
            if !loss.is_finite() {
                return Err(TrainError::NonFinite {
                    iteration,
                    quantity: "imitation loss (train.teacher)".into(),
                });
            }
            if distilling {
                (outer.grads, outer.loss) = (vec![grads], loss);
            } else {
                outer.grads.push(grads);
                outer.loss += weight * loss;
            }
        }
        self.adam.set_lr(t.lr_at(iteration));
        self.adam.step_sum(&outer.grads)?;
        for (name, var) in self.net.named_vars() {
            if !var.as_tensor().sum_all()?.to_scalar::<f32>()?.is_finite() {
                return Err(TrainError::NonFinite {
                    iteration,
                    quantity: format!("weights `{name}` after the Adam step"),
                });
            }
        }
        if !distilling {
            self.lagrangian
                .after_iteration(iteration, &outer.regret, &t);
        }
        self.iteration += 1;
        Ok(StepStats {
            revenue: outer.revenue,
            regret: outer.regret,
            loss: outer.loss,
            trace,
        })
    }

    /// The layer trace ([`crate::train::layers`]) of the current weights on a batch whose misreports
    /// the inner search has found.
    fn trace(&mut self, truth: &[f32], mis: &[f32]) -> Result<Vec<TraceRow>> {
        if self.trace_init.is_none() {
            let spec = self.net.spec().clone();
            let init = RegretNet::new(
                &self.setting,
                spec,
                &mut stream_rng(self.config.train.seed, Stream::Init),
            )?;
            self.trace_init = Some(init.weights()?);
        }
        let (n, d) = (self.setting.bidders, self.setting.type_len());
        let b = truth.len() / (n * d);
        let truth = Tensor::from_slice(truth, (b, n, d), &Device::Cpu)?;
        let mis = Tensor::from_slice(mis, (b, n, d), &Device::Cpu)?;
        let init = self.trace_init.as_ref().expect("set above");
        trace_rows(
            self.iteration,
            regretnet_of(&self.net)?,
            init,
            &truth,
            &mis,
            &self.lagrangian,
        )
    }
}

/// The RegretNet of a regret-constrained step (the caller dispatched on the kind already).
fn regretnet_of(model: &Model) -> Result<&RegretNet> {
    model
        .as_regretnet()
        .ok_or_else(|| TrainError::Unsupported("the regret step needs a RegretNet".into()))
}

//! The training iteration of the exactly incentive-compatible networks (RochetNet,
//! MyersonNet): one Adam step on `-revenue` of the softmax surrogate over the minibatch, as in
//! the reference implementation. No misreports, no multipliers: the mechanism at test time (the
//! hard argmax) has zero regret by construction.

use candle_core::{Device, Tensor};

use crate::error::{Result, TrainError};
use crate::run::metrics::ValidationRow;
use crate::train::trainer::{StepStats, Trainer};

impl Trainer {
    /// One revenue-ascent iteration of RochetNet or MyersonNet.
    pub(crate) fn revenue_step(&mut self) -> Result<StepStats> {
        let t = self.config.train.clone();
        let (n, d) = (self.setting.bidders, self.setting.type_len());
        let iteration = self.iteration;
        let idx = self.data.next_batch(t.batch_size);
        let (truth, _) = self.data.gather(&idx);
        let batch = idx.len();
        let bids = Tensor::from_vec(truth, (batch, n, d), &Device::Cpu)?;
        let out = self.net.forward_train(&bids)?;
        let revenue = out.pay.sum(1)?.mean(0)?;
        let loss = revenue.neg()?;
        let value = revenue.to_scalar::<f32>()? as f64;
        if !value.is_finite() {
            return Err(TrainError::NonFinite {
                iteration,
                quantity: "revenue".into(),
            });
        }
        let grads = loss.backward()?;
        self.adam.set_lr(t.lr_at(iteration));
        self.adam.step(&grads)?;
        for (name, var) in self.net.named_vars() {
            if !var.as_tensor().sum_all()?.to_scalar::<f32>()?.is_finite() {
                return Err(TrainError::NonFinite {
                    iteration,
                    quantity: format!("weights `{name}` after the Adam step"),
                });
            }
        }
        self.iteration += 1;
        Ok(StepStats {
            revenue: value,
            regret: vec![0.0; n],
            loss: -value,
            trace: None,
        })
    }

    /// The validation of an exactly-IC network: the hard mechanism's revenue on the validation
    /// sample; regret is zero by construction (reported as 0, audited by `regretnet eval`).
    pub(crate) fn validate_revenue(&self, seconds: f64) -> Result<ValidationRow> {
        let (n, d) = (self.setting.bidders, self.setting.type_len());
        let count = self.validation.len() / (n * d);
        let bids = Tensor::from_slice(&self.validation, (count, n, d), &Device::Cpu)?;
        let out = self
            .net
            .forward(&bids, regretnet_nets::WeightGrad::Frozen)?;
        let revenue = out.pay.sum(1)?.mean(0)?.to_scalar::<f32>()? as f64;
        Ok(ValidationRow {
            iteration: self.iteration,
            revenue,
            regret: vec![0.0; n],
            regret_max: 0.0,
            seconds,
        })
    }
}

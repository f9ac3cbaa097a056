//! The augmented-Lagrangian trainer: the outer loop around the misreport search.
//!
//! One iteration ([`Trainer::step`]):
//! 1. take the next minibatch of the fixed training set and its cached misreports;
//! 2. **inner loop**: `misreport_steps` projected Adam ascent steps on the misreports, weights
//!    frozen ([`regretnet_regret::ascend`]); write the result back to the cache;
//! 3. **outer loop**: with the misreports now constants, compute
//!    `loss = -revenue + sum_i lambda_i rgt_i + rho/2 sum_i rgt_i^2`, where
//!    `rgt_i = mean_b max(0, u_i(mis) - u_i(truth))`, differentiate it with respect to the
//!    weights only, and take one Adam step;
//! 4. update lambda and rho on their schedules ([`Lagrangian::after_iteration`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::{Config, Setting};
use regretnet_nets::{checkpoint, NetSpec, RegretNet, WeightGrad};
use regretnet_regret::utility::{misreport_utilities, truthful_utilities};
use regretnet_regret::{ascend, estimate_regret_with, Autograd, SearchConfig, Work};

use crate::data::TrainingSet;
use crate::error::{Result, TrainError};
use crate::lagrangian::Lagrangian;
use crate::metrics::{MetricsRow, MetricsSink, ValidationRow};
use crate::optim::Adam;
use crate::rundir::RunDir;

/// Checkpoints kept in a run directory (the newest ones).
pub const KEEP_CHECKPOINTS: usize = 3;

/// What one iteration measured on its batch.
#[derive(Debug, Clone, PartialEq)]
pub struct StepStats {
    /// Mean revenue of the batch.
    pub revenue: f64,
    /// Each bidder's batch regret `rgt_i` (training search).
    pub regret: Vec<f64>,
    /// The Lagrangian loss.
    pub loss: f64,
}

/// Something that happened during [`Trainer::run`], for progress displays.
#[derive(Debug)]
pub enum Event<'a> {
    /// A row of `metrics.csv`.
    Logged(&'a MetricsRow),
    /// A validation.
    Validated(&'a ValidationRow),
    /// A checkpoint was written.
    Checkpoint(&'a Path),
}

/// Summary of a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// Iterations completed.
    pub iterations: u64,
    /// Wall-clock seconds of this call.
    pub seconds: f64,
    /// The final validation.
    pub validation: ValidationRow,
}

/// The outer loss on one batch and its parts (scalars and `[n]` tensors).
#[derive(Debug)]
pub struct LossParts {
    /// `-revenue + sum_i lambda_i rgt_i + rho/2 sum_i rgt_i^2`.
    pub loss: Tensor,
    /// `rgt_i = mean_b max(0, u_i(mis) - u_i(truth))`, `[n]`.
    pub regret: Tensor,
    /// Mean revenue of the batch.
    pub revenue: Tensor,
}

/// The augmented-Lagrangian loss of `net` on `truth` with the misreports `mis` held fixed
/// (both `[B, n, m]`), differentiable with respect to the weights only.
pub fn lagrangian_loss(
    net: &RegretNet,
    truth: &Tensor,
    mis: &Tensor,
    lagrangian: &Lagrangian,
) -> Result<LossParts> {
    let mis = mis.detach();
    let u_mis = misreport_utilities(net, truth, &mis, WeightGrad::Track)?;
    let (u_truth, revenue) = truthful_utilities(net, truth, WeightGrad::Track)?;
    let gain = (u_mis - u_truth)?;
    // max(0, gain) with gradient 0 at gain == 0 (candle's relu has gradient 1 there).
    let positive = gain.gt(0.0)?.to_dtype(DType::F32)?;
    let regret = (gain * positive)?.mean(0)?;
    let revenue = revenue.mean_all()?;
    let lambda: Vec<f32> = lagrangian.lambda.iter().map(|&l| l as f32).collect();
    let lambda = Tensor::from_vec(lambda, regret.dims1()?, &Device::Cpu)?;
    let penalty =
        ((&regret * &lambda)?.sum_all()? + (regret.sqr()?.sum_all()? * (0.5 * lagrangian.rho))?)?;
    Ok(LossParts {
        loss: (penalty - &revenue)?,
        regret,
        revenue,
    })
}

/// The trainer's whole state.
#[derive(Debug)]
pub struct Trainer {
    config: Config,
    setting: Setting,
    net: RegretNet,
    adam: Adam,
    lagrangian: Lagrangian,
    data: TrainingSet,
    validation: Vec<f32>,
    iteration: u64,
}

impl Trainer {
    /// A fresh trainer: validates the config, draws the training set, the initial misreports,
    /// the validation sample and the initial weights from the streams of `train.seed`.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let setting = config.setting.build()?;
        let seed = config.train.seed;
        let spec = NetSpec {
            setting: config.setting.clone(),
            net: config.net.clone(),
        };
        let net = RegretNet::new(&setting, spec, &mut stream_rng(seed, Stream::Init))?;
        let adam = Adam::new(net.named_vars(), config.train.lr)?;
        let lagrangian = Lagrangian::new(setting.bidders, &config.train);
        let data = TrainingSet::new(&setting, config.train.train_size, seed);
        let validation = setting.sample_profiles(
            &mut stream_rng(seed, Stream::Validation),
            config.train.validation_samples.max(1),
        );
        Ok(Trainer {
            config,
            setting,
            net,
            adam,
            lagrangian,
            data,
            validation,
            iteration: 0,
        })
    }

    /// The network being trained.
    pub fn net(&self) -> &RegretNet {
        &self.net
    }

    /// The setting.
    pub fn setting(&self) -> &Setting {
        &self.setting
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Iterations completed.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// Current multipliers and penalty weight.
    pub fn lagrangian(&self) -> &Lagrangian {
        &self.lagrangian
    }

    /// One training iteration (see the module docs).
    pub fn step(&mut self) -> Result<StepStats> {
        let t = &self.config.train;
        let (n, m) = (self.setting.bidders, self.setting.items);
        let batch = t.batch_size;
        let idx = self.data.next_batch(batch);
        let (truth, mut mis) = self.data.gather(&idx);
        let truth = Tensor::from_vec(truth, (batch, n, m), &Device::Cpu)?;

        // Inner loop: gradients reach the misreports only.
        ascend(
            &Autograd(&self.net),
            &self.setting,
            &truth,
            &mut mis,
            t.misreport_steps,
            t.misreport_lr,
        )?;
        self.data.store(&idx, &mis);

        // Outer loop: misreports are constants, gradients reach the weights only.
        let mis = Tensor::from_vec(mis, (batch, n, m), &Device::Cpu)?;
        let LossParts {
            loss,
            regret: rgt,
            revenue,
        } = lagrangian_loss(&self.net, &truth, &mis, &self.lagrangian)?;
        let loss_value = loss.to_scalar::<f32>()? as f64;
        if !loss_value.is_finite() {
            return Err(TrainError::NonFinite {
                iteration: self.iteration,
                quantity: "loss".into(),
            });
        }
        let grads = loss.backward()?;
        self.adam.set_lr(t.lr_at(self.iteration));
        self.adam.step(&grads)?;

        let regret: Vec<f64> = rgt.to_vec1::<f32>()?.iter().map(|&r| r as f64).collect();
        self.lagrangian
            .after_iteration(self.iteration, &regret, &self.config.train);
        self.iteration += 1;
        Ok(StepStats {
            revenue: revenue.to_scalar::<f32>()? as f64,
            regret,
            loss: loss_value,
        })
    }

    /// Revenue and regret on the validation sample: a search from the truthful report and one
    /// prior draw per profile and bidder, `train.validation_steps` steps each.
    pub fn validate(&self, threads: usize, seconds: f64) -> Result<ValidationRow> {
        let t = &self.config.train;
        let search = SearchConfig {
            steps: t.validation_steps,
            lr: t.misreport_lr,
            restarts: 1,
            corners: false,
        };
        let mut rng = stream_rng(t.seed, Stream::ValidationMisreport);
        let est = estimate_regret_with(
            &self.net,
            &self.setting,
            &self.validation,
            &search,
            &mut rng,
            Work {
                chunk: 250,
                threads,
                progress: None,
            },
        )?;
        let revenue =
            est.revenue.iter().map(|&r| r as f64).sum::<f64>() / est.samples.max(1) as f64;
        let regret_max = est.regret.iter().cloned().fold(0.0f32, f32::max) as f64;
        Ok(ValidationRow {
            iteration: self.iteration,
            revenue,
            regret: est.mean_per_bidder(),
            regret_max,
            seconds,
        })
    }

    /// Write a checkpoint: weights, Adam state, multipliers; metadata holds the iteration,
    /// rho and the resolved config.
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        let mut extra = self.adam.state()?;
        extra.insert(
            "lagrange.lambda".into(),
            Tensor::new(self.lagrangian.lambda.as_slice(), &Device::Cpu)?,
        );
        let meta: BTreeMap<String, String> = [
            ("iteration".to_string(), self.iteration.to_string()),
            ("rho".to_string(), self.lagrangian.rho.to_string()),
            ("config".to_string(), self.config.to_toml_string()),
        ]
        .into();
        checkpoint::save(&self.net, &extra, &meta, path)?;
        Ok(())
    }

    /// Train until `train.iterations` iterations are done, logging to `sink`, validating and
    /// checkpointing on the config's schedules (checkpoints only when `run` is given), and
    /// reporting progress to `observer`. Ends with a validation and, with `run`, a checkpoint.
    pub fn run(
        &mut self,
        sink: &mut dyn MetricsSink,
        run: Option<&RunDir>,
        threads: usize,
        observer: &mut dyn FnMut(Event<'_>),
    ) -> Result<TrainSummary> {
        let start = Instant::now();
        let total = self.config.train.iterations;
        let (log_every, validate_every, checkpoint_every) = (
            self.config.train.log_every,
            self.config.train.validate_every,
            self.config.train.checkpoint_every,
        );
        let n = self.setting.bidders;
        let (mut rev_sum, mut loss_sum, mut count) = (0.0, 0.0, 0u64);
        let mut rgt_sum = vec![0.0; n];
        while self.iteration < total {
            let s = self.step()?;
            rev_sum += s.revenue;
            loss_sum += s.loss;
            count += 1;
            for (a, r) in rgt_sum.iter_mut().zip(&s.regret) {
                *a += r;
            }
            let it = self.iteration;
            if it % log_every == 0 || it == total {
                let c = count as f64;
                let row = MetricsRow {
                    iteration: it,
                    revenue: rev_sum / c,
                    regret: rgt_sum.iter().map(|r| r / c).collect(),
                    lambda: self.lagrangian.lambda.clone(),
                    rho: self.lagrangian.rho,
                    loss: loss_sum / c,
                    seconds: start.elapsed().as_secs_f64(),
                };
                sink.record(&row)?;
                observer(Event::Logged(&row));
                (rev_sum, loss_sum, count) = (0.0, 0.0, 0);
                rgt_sum.iter_mut().for_each(|r| *r = 0.0);
            }
            if validate_every > 0 && it % validate_every == 0 && it < total {
                let v = self.validate(threads, start.elapsed().as_secs_f64())?;
                sink.record_validation(&v)?;
                observer(Event::Validated(&v));
            }
            if let Some(run) = run {
                if checkpoint_every > 0 && it % checkpoint_every == 0 && it < total {
                    self.checkpoint_into(run, observer)?;
                }
            }
        }
        let validation = self.validate(threads, start.elapsed().as_secs_f64())?;
        sink.record_validation(&validation)?;
        observer(Event::Validated(&validation));
        if let Some(run) = run {
            self.checkpoint_into(run, observer)?;
        }
        Ok(TrainSummary {
            iterations: self.iteration,
            seconds: start.elapsed().as_secs_f64(),
            validation,
        })
    }

    fn checkpoint_into(&self, run: &RunDir, observer: &mut dyn FnMut(Event<'_>)) -> Result<()> {
        let path = run.checkpoint_path(self.iteration);
        self.save_checkpoint(&path)?;
        run.prune_checkpoints(KEEP_CHECKPOINTS)?;
        observer(Event::Checkpoint(&path));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regretnet_core::presets::preset;

    fn small_trainer() -> Trainer {
        let mut config = preset("additive_2x2_uniform").unwrap();
        config.net.alloc_hidden = vec![12, 12];
        config.net.pay_hidden = vec![12];
        config.train.train_size = 256;
        config.train.batch_size = 32;
        config.train.misreport_steps = 5;
        config.train.validation_samples = 40;
        config.train.validation_steps = 5;
        Trainer::new(config).unwrap()
    }

    fn batch(tr: &mut Trainer) -> (Tensor, Tensor) {
        let idx = tr.data.next_batch(8);
        let (truth, mis) = tr.data.gather(&idx);
        (
            Tensor::from_vec(truth, (8, 2, 2), &Device::Cpu).unwrap(),
            Tensor::from_vec(mis, (8, 2, 2), &Device::Cpu).unwrap(),
        )
    }

    #[test]
    fn loss_is_the_augmented_lagrangian_of_its_parts() {
        // Independent computation of the loss from the per-profile utilities.
        let mut tr = small_trainer();
        tr.lagrangian.lambda = vec![3.0, 7.0];
        tr.lagrangian.rho = 11.0;
        let (truth, mis) = batch(&mut tr);
        let parts = lagrangian_loss(&tr.net, &truth, &mis, &tr.lagrangian).unwrap();
        let u_mis = misreport_utilities(&tr.net, &truth, &mis, WeightGrad::Frozen)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let (u_truth, rev) = truthful_utilities(&tr.net, &truth, WeightGrad::Frozen).unwrap();
        let u_truth = u_truth.to_vec2::<f32>().unwrap();
        let rev = rev.to_vec1::<f32>().unwrap();
        let mut rgt = [0.0f64; 2];
        for b in 0..8 {
            for i in 0..2 {
                rgt[i] += ((u_mis[b][i] - u_truth[b][i]) as f64).max(0.0) / 8.0;
            }
        }
        let revenue = rev.iter().map(|&r| r as f64).sum::<f64>() / 8.0;
        let want = -revenue + 3.0 * rgt[0] + 7.0 * rgt[1] + 5.5 * (rgt[0].powi(2) + rgt[1].powi(2));
        let got = parts.loss.to_scalar::<f32>().unwrap() as f64;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        assert!(
            rgt.iter().any(|&r| r > 0.0),
            "random misreports should give some regret"
        );
    }

    #[test]
    fn weight_gradient_agrees_with_finite_differences() {
        let mut tr = small_trainer();
        tr.lagrangian.rho = 20.0;
        let (truth, mis) = batch(&mut tr);
        let loss_at = |tr: &Trainer| {
            lagrangian_loss(&tr.net, &truth, &mis, &tr.lagrangian)
                .unwrap()
                .loss
                .to_scalar::<f32>()
                .unwrap()
        };
        let parts = lagrangian_loss(&tr.net, &truth, &mis, &tr.lagrangian).unwrap();
        let grads = parts.loss.backward().unwrap();
        let h = 1e-2f32;
        for (name, var) in tr.net.named_vars() {
            let g = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap();
            let g = g.to_vec1::<f32>().unwrap();
            let base = var
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            for k in [0, base.len() / 2, base.len() - 1] {
                let shape = var.as_tensor().shape().clone();
                let mut w = base.clone();
                w[k] = base[k] + h;
                var.set(&Tensor::from_vec(w.clone(), shape.clone(), &Device::Cpu).unwrap())
                    .unwrap();
                let up = loss_at(&tr);
                w[k] = base[k] - h;
                var.set(&Tensor::from_vec(w, shape.clone(), &Device::Cpu).unwrap())
                    .unwrap();
                let down = loss_at(&tr);
                var.set(&Tensor::from_vec(base.clone(), shape, &Device::Cpu).unwrap())
                    .unwrap();
                let fd = (up - down) / (2.0 * h);
                // The max(0, .) kinks can sit inside the +-h interval; tolerate that scale.
                assert!(
                    (fd - g[k]).abs() < 5e-3 + 2e-2 * fd.abs(),
                    "{name}[{k}]: fd {fd} autograd {}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn steps_move_weights_and_the_misreport_cache_but_stay_finite() {
        let mut tr = small_trainer();
        let before = tr.net.named_vars()["pay.out.weight"]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let cache_before = tr.data.gather(&[0, 1, 2]).1;
        for _ in 0..10 {
            let s = tr.step().unwrap();
            assert!(s.loss.is_finite() && s.regret.iter().all(|r| *r >= 0.0));
        }
        assert_eq!(tr.iteration(), 10);
        let after = tr.net.named_vars()["pay.out.weight"]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_ne!(before, after);
        // 10 batches of 32 out of 256 profiles: more than one epoch, every profile visited.
        assert_ne!(cache_before, tr.data.gather(&[0, 1, 2]).1);
        // lambda was updated at iteration 0 with rho = 1: lambda = 5 + rgt_0 > 5.
        assert!(tr.lagrangian().lambda.iter().all(|&l| l > 5.0));
    }
}

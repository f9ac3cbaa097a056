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
        let u_mis = misreport_utilities(&self.net, &truth, &mis, WeightGrad::Track)?;
        let (u_truth, revenue) = truthful_utilities(&self.net, &truth, WeightGrad::Track)?;
        let gain = (u_mis - u_truth)?;
        // max(0, gain) with gradient 0 at gain == 0 (candle's relu has gradient 1 there).
        let positive = gain.gt(0.0)?.to_dtype(DType::F32)?;
        let rgt = (gain * positive)?.mean(0)?; // [n]
        let revenue = revenue.mean_all()?;
        let lambda: Vec<f32> = self.lagrangian.lambda.iter().map(|&l| l as f32).collect();
        let lambda = Tensor::from_vec(lambda, n, &Device::Cpu)?;
        let penalty = ((&rgt * &lambda)?.sum_all()?
            + (rgt.sqr()?.sum_all()? * (0.5 * self.lagrangian.rho))?)?;
        let loss = (penalty - &revenue)?;
        let loss_value = loss.to_scalar::<f32>()? as f64;
        if !loss_value.is_finite() {
            return Err(TrainError::NonFinite {
                iteration: self.iteration,
                quantity: "loss".into(),
            });
        }
        let grads = loss.backward()?;
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
            restarts: 2,
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

//! Layer tracing: which layers the revenue term and the regret terms of the loss pull on
//! (computed here; the record it writes is [`crate::run::trace::TraceRow`]).
//!
//! Opt-in with `train.trace_every = K` (or `regretnet train --trace K`). Every `K` iterations
//! the trainer takes the batch it is about to step on (misreports already found by the inner
//! search) and splits the outer loss `L = R + G` into
//! - the **revenue term** `R = -revenue`, and
//! - the **regret terms** `G = sum_i lambda_i rgt_i + rho/2 sum_i rgt_i^2`,
//!
//! backpropagating each alone. Per layer (weight and bias together) it writes to `trace.csv`:
//! the norms `|dR/dW|` and `|dG/dW|`, their ratio `|dG|/|dR|`, their cosine (negative: the
//! two terms pull the layer in opposing directions), and the layer's relative movement since
//! initialisation `|W - W_0| / |W_0|` (`W_0` redrawn from the seed's init stream). Since
//! `dL/dW = dR/dW + dG/dW` exactly, the two columns attribute the whole step. With tracing
//! on, the trainer also keeps weight-only checkpoints on a log-spaced schedule
//! ([`is_trace_checkpoint`]) in `checkpoints/trace/` for `regretnet probe`. Off, it costs
//! nothing; on, two extra backward passes every `K` iterations.

use candle_core::{Device, Tensor};
use regretnet_nets::{RegretNet, Weights};
use regretnet_regret::Mechanism;

use crate::error::Result;
use crate::run::trace::TraceRow;
use crate::train::lagrangian::Lagrangian;
use crate::train::loss::lagrangian_loss;

/// Whether the log-spaced trace schedule keeps a checkpoint after `iteration` updates: 0 and
/// `1, 2, 5 x 10^k` from 10 on (the run's last iteration is kept besides).
///
/// ```
/// use regretnet_train::train::layers::is_trace_checkpoint;
/// let kept: Vec<u64> = (0..=1000).filter(|&i| is_trace_checkpoint(i)).collect();
/// assert_eq!(kept, [0, 10, 20, 50, 100, 200, 500, 1000]);
/// ```
pub fn is_trace_checkpoint(iteration: u64) -> bool {
    if iteration == 0 {
        return true;
    }
    if iteration < 10 {
        return false;
    }
    let mut m = iteration;
    while m.is_multiple_of(10) {
        m /= 10;
    }
    matches!(m, 1 | 2 | 5)
}

/// The per-layer gradients of the revenue term and the regret terms, as flat vectors, in
/// [`RegretNet::layers`] order: `(layer, dR/dW, dG/dW)`.
pub type LayerGrads = Vec<(String, Vec<f32>, Vec<f32>)>;

/// Split the outer loss of `net` on `truth` with misreports `mis` (both `[B, n, d]`) into
/// its revenue and regret terms and backpropagate each (module docs).
pub fn split_gradients(
    net: &RegretNet,
    truth: &Tensor,
    mis: &Tensor,
    lagrangian: &Lagrangian,
) -> Result<LayerGrads> {
    let parts = lagrangian_loss(net, truth, mis, lagrangian)?;
    let revenue_term = parts.revenue.neg()?;
    let lambda = Tensor::from_vec(
        lagrangian
            .lambda
            .iter()
            .map(|&l| l as f32)
            .collect::<Vec<_>>(),
        Mechanism::bidders(net),
        &Device::Cpu,
    )?;
    let regret_term = (parts.regret.mul(&lambda)?.sum_all()?
        + (parts.regret.sqr()?.sum_all()? * (lagrangian.rho / 2.0))?)?;
    let g_rev = revenue_term.backward()?;
    let g_rgt = regret_term.backward()?;
    let vars = net.named_vars();
    let flat = |grads: &candle_core::backprop::GradStore, name: &str| -> Result<Vec<f32>> {
        let var = &vars[name];
        Ok(match grads.get(var.as_tensor()) {
            Some(g) => g.flatten_all()?.to_vec1::<f32>()?,
            None => vec![0.0; var.as_tensor().elem_count()],
        })
    };
    let mut out = Vec::new();
    for layer in net.layers() {
        let name = layer.name();
        let (mut r, mut g) = (Vec::new(), Vec::new());
        for p in ["weight", "bias"] {
            let key = format!("{name}.{p}");
            r.extend(flat(&g_rev, &key)?);
            g.extend(flat(&g_rgt, &key)?);
        }
        out.push((name, r, g));
    }
    Ok(out)
}

fn norm(v: &[f32]) -> f64 {
    v.iter()
        .map(|&x| (x as f64) * (x as f64))
        .sum::<f64>()
        .sqrt()
}

/// The trace rows of `net` at `iteration` (module docs); `init` holds the initial weights.
pub fn trace_rows(
    iteration: u64,
    net: &RegretNet,
    init: &Weights,
    truth: &Tensor,
    mis: &Tensor,
    lagrangian: &Lagrangian,
) -> Result<Vec<TraceRow>> {
    let now = net.weights()?;
    split_gradients(net, truth, mis, lagrangian)?
        .into_iter()
        .map(|(layer, r, g)| {
            let (nr, ng) = (norm(&r), norm(&g));
            let dot: f64 = r.iter().zip(&g).map(|(&a, &b)| a as f64 * b as f64).sum();
            let (mut moved, mut base) = (0.0f64, 0.0f64);
            for p in ["weight", "bias"] {
                let key = format!("{layer}.{p}");
                let w = now[&key].flatten_all()?.to_vec1::<f32>()?;
                let w0 = init[&key].flatten_all()?.to_vec1::<f32>()?;
                for (a, b) in w.iter().zip(&w0) {
                    moved += ((a - b) as f64).powi(2);
                    base += (*b as f64).powi(2);
                }
            }
            Ok(TraceRow {
                iteration,
                layer,
                revenue_grad: nr,
                regret_grad: ng,
                ratio: if nr > 0.0 { ng / nr } else { f64::INFINITY },
                cosine: if nr > 0.0 && ng > 0.0 {
                    dot / (nr * ng)
                } else {
                    0.0
                },
                movement: if base > 0.0 {
                    (moved / base).sqrt()
                } else {
                    moved.sqrt()
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::trace::{parse_trace, TRACE_HEADER};
    use crate::train::trainer::Trainer;
    use regretnet_core::presets::preset;
    use regretnet_core::rng::{stream_rng, Stream};
    use regretnet_nets::NetSpec;

    fn setup() -> (Trainer, Tensor, Tensor) {
        let mut c = preset("additive_2x2_uniform").unwrap();
        c.net.alloc_hidden = vec![8, 6];
        c.net.pay_hidden = vec![5];
        c.train.train_size = 64;
        c.train.batch_size = 16;
        c.train.validation_samples = 10;
        let tr = Trainer::new(c).unwrap();
        let setting = tr.setting().clone();
        let truth = setting.sample_profiles(&mut stream_rng(1, Stream::Test), 16);
        let mis = setting.sample_profiles(&mut stream_rng(2, Stream::Test), 16);
        (
            tr,
            Tensor::from_vec(truth, (16, 2, 2), &Device::Cpu).unwrap(),
            Tensor::from_vec(mis, (16, 2, 2), &Device::Cpu).unwrap(),
        )
    }

    #[test]
    fn attribution_sums_to_the_total_gradient() {
        let (tr, truth, mis) = setup();
        let mut lag = tr.lagrangian().clone();
        lag.lambda = vec![2.0, 9.0];
        lag.rho = 30.0;
        let parts = lagrangian_loss(tr.regretnet().unwrap(), &truth, &mis, &lag).unwrap();
        let total = parts.loss.backward().unwrap();
        let split = split_gradients(tr.regretnet().unwrap(), &truth, &mis, &lag).unwrap();
        assert_eq!(split.len(), 5);
        let vars = tr.regretnet().unwrap().named_vars();
        let mut regret_nonzero = false;
        for (layer, r, g) in &split {
            let mut t = Vec::new();
            for p in ["weight", "bias"] {
                let v = &vars[&format!("{layer}.{p}")];
                t.extend(
                    total
                        .get(v.as_tensor())
                        .unwrap()
                        .flatten_all()
                        .unwrap()
                        .to_vec1::<f32>()
                        .unwrap(),
                );
            }
            for ((a, b), c) in r.iter().zip(g).zip(&t) {
                assert!(
                    (a + b - c).abs() <= 1e-5 + 1e-4 * c.abs(),
                    "{layer}: {a} + {b} != {c}"
                );
            }
            regret_nonzero |= g.iter().any(|&x| x != 0.0);
        }
        assert!(
            regret_nonzero,
            "random misreports should give the regret terms a gradient"
        );
    }

    #[test]
    fn rows_measure_norms_cosine_and_movement() {
        let (tr, truth, mis) = setup();
        let spec = NetSpec {
            setting: tr.config().setting.clone(),
            net: tr.config().net.clone(),
        };
        let init = RegretNet::new(tr.setting(), spec, &mut stream_rng(42, Stream::Init))
            .unwrap()
            .weights()
            .unwrap();
        let rows = trace_rows(
            0,
            tr.regretnet().unwrap(),
            &init,
            &truth,
            &mis,
            tr.lagrangian(),
        )
        .unwrap();
        // The trainer's net is the seed's init: nothing has moved yet.
        assert!(rows.iter().all(|r| r.movement == 0.0));
        let split =
            split_gradients(tr.regretnet().unwrap(), &truth, &mis, tr.lagrangian()).unwrap();
        for (row, (_, r, g)) in rows.iter().zip(&split) {
            let (nr, ng) = (norm(r), norm(g));
            assert!((row.ratio - ng / nr).abs() <= 1e-12 * row.ratio.abs().max(1.0));
            assert!((-1.0..=1.0).contains(&row.cosine));
        }
        // Movement of a net scaled by 2: |2W - W| / |W| = 1 in every layer.
        let doubled: Weights = init
            .iter()
            .map(|(k, t)| (k.clone(), (t * 2.0).unwrap()))
            .collect();
        let moved = tr.regretnet().unwrap().with_weights(&doubled).unwrap();
        let rows = trace_rows(5, &moved, &init, &truth, &mis, tr.lagrangian()).unwrap();
        for r in &rows {
            assert!(
                (r.movement - 1.0).abs() < 1e-6,
                "{}: {}",
                r.layer,
                r.movement
            );
        }
        let text = std::iter::once(TRACE_HEADER.to_string())
            .chain(rows.iter().map(TraceRow::csv))
            .collect::<Vec<_>>()
            .join("\n");
        let back = parse_trace(&text).unwrap();
        assert_eq!(back.len(), rows.len());
        assert_eq!(back[2].layer, rows[2].layer);
        assert!(parse_trace("h\n1,a,2").is_err());
    }
}

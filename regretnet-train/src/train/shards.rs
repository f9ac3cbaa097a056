//! One training iteration cut into a fixed number of shards of its batch, run on up to
//! `threads` threads.
//!
//! The inner loop is independent per profile, so each shard runs its own misreport ascent. The
//! outer loss couples the shards only through the batch means `rgt_i` in
//! `-revenue + sum_i lambda_i rgt_i + rho/2 sum_i rgt_i^2`: its gradient is
//! `-d revenue + sum_i (lambda_i + rho rgt_i) d rgt_i`, so each shard first reports its sums of
//! revenue and of positive utility gains (phase 1), then backpropagates the linear surrogate
//! `(sum_i c_i gain_i - revenue) / B` with the full-batch coefficients `c_i` (phase 2), and the
//! shards' weight gradients are added. The shard count is the config's (`train.shards`,
//! recorded in the run's `config.toml`), so the result does not depend on the number of
//! threads, only the speed does (splitting the batch in our own code beat gemm's own
//! threading: docs/CANDLE.md). Another shard count sums in another order: other bits.

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor};
use regretnet_regret::Mechanism;

use crate::error::Result;
use crate::train::lagrangian::Lagrangian;
use crate::train::loss::positive_gains;

/// `[lo, hi)` row ranges of the `shards` shards of a batch of `batch` rows (the first ones one
/// row longer when it does not divide evenly; empty shards are dropped).
pub(crate) fn bounds(batch: usize, shards: usize) -> Vec<(usize, usize)> {
    let shards = shards.max(1);
    let base = batch / shards;
    let extra = batch % shards;
    let mut out = Vec::with_capacity(shards);
    let mut lo = 0;
    for s in 0..shards {
        let hi = lo + base + usize::from(s < extra);
        if hi > lo {
            out.push((lo, hi));
        }
        lo = hi;
    }
    out
}

/// `data` (rows of `row_len` values) cut at the shard `bounds`, which must tile it in order.
pub(crate) fn split_mut<'a>(
    mut data: &'a mut [f32],
    bounds: &[(usize, usize)],
    row_len: usize,
) -> Vec<&'a mut [f32]> {
    let mut out = Vec::with_capacity(bounds.len());
    for &(lo, hi) in bounds {
        let (head, rest) = std::mem::take(&mut data).split_at_mut((hi - lo) * row_len);
        out.push(head);
        data = rest;
    }
    out
}

/// Run `jobs` on up to `threads` threads (in order on one thread when `threads <= 1`): the
/// jobs are cut into `threads` consecutive groups, each run in order on its own thread;
/// results in job order.
pub(crate) fn parallel<T: Send, F: FnOnce() -> T + Send>(threads: usize, jobs: Vec<F>) -> Vec<T> {
    if threads <= 1 || jobs.len() <= 1 {
        return jobs.into_iter().map(|j| j()).collect();
    }
    let per = jobs.len().div_ceil(threads.min(jobs.len()));
    let mut groups: Vec<Vec<F>> = Vec::new();
    for job in jobs {
        match groups.last_mut() {
            Some(g) if g.len() < per => g.push(job),
            _ => groups.push(vec![job]),
        }
    }
    let run = |g: Vec<F>| g.into_iter().map(|j| j()).collect::<Vec<T>>();
    std::thread::scope(|s| {
        let mut groups = groups.into_iter();
        let first = groups.next();
        let handles: Vec<_> = groups.map(|g| s.spawn(move || run(g))).collect();
        let mut out: Vec<T> = first.map(run).unwrap_or_default();
        for h in handles {
            out.extend(h.join().expect("a training shard panicked"));
        }
        out
    })
}

/// The outer step's results: one gradient store per shard and the batch's statistics.
#[derive(Debug)]
pub(crate) struct Outer {
    /// Weight gradients of each shard (their sum is the loss gradient).
    pub(crate) grads: Vec<GradStore>,
    /// `rgt_i`, the batch mean of `max(0, u_i(mis) - u_i(truth))`.
    pub(crate) regret: Vec<f64>,
    /// Mean revenue of the batch.
    pub(crate) revenue: f64,
    /// The augmented-Lagrangian loss.
    pub(crate) loss: f64,
}

/// Phase 1 of one shard: the graph's sums of positive gains `[n]` and of revenue `[]`.
fn shard_sums<M: Mechanism>(
    net: &M,
    truth: &[f32],
    mis: &[f32],
    dims: (usize, usize),
) -> Result<(Tensor, Tensor, Vec<f32>, f32)> {
    let (n, m) = dims;
    let rows = truth.len() / (n * m);
    let truth = Tensor::from_slice(truth, (rows, n, m), &Device::Cpu)?;
    let mis = Tensor::from_slice(mis, (rows, n, m), &Device::Cpu)?;
    let (gains, revenue) = positive_gains(net, &truth, &mis)?;
    let gain_sum = gains.sum(0)?;
    let revenue_sum = revenue.sum_all()?;
    let g = gain_sum.to_vec1::<f32>()?;
    let r = revenue_sum.to_scalar::<f32>()?;
    Ok((gain_sum, revenue_sum, g, r))
}

/// The Lagrangian step's gradients on `truth` and the (fixed) misreports `mis`, both flat
/// `[batch, n, m]`, sharded as the module docs describe.
pub(crate) fn outer_gradients<M: Mechanism>(
    net: &M,
    truth: &[f32],
    mis: &[f32],
    dims: (usize, usize),
    lagrangian: &Lagrangian,
    shards: usize,
    threads: usize,
) -> Result<Outer> {
    let (n, m) = dims;
    let len = n * m;
    let batch = truth.len() / len;
    let jobs: Vec<_> = bounds(batch, shards)
        .into_iter()
        .map(|(lo, hi)| {
            let (t, s) = (&truth[lo * len..hi * len], &mis[lo * len..hi * len]);
            move || shard_sums(net, t, s, dims)
        })
        .collect();
    let parts = parallel(threads, jobs)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let b = batch as f64;
    let mut regret = vec![0f64; n];
    let mut revenue = 0f64;
    for (_, _, g, r) in &parts {
        for (acc, x) in regret.iter_mut().zip(g) {
            *acc += *x as f64 / b;
        }
        revenue += *r as f64 / b;
    }
    let coeff: Vec<f32> = lagrangian
        .lambda
        .iter()
        .zip(&regret)
        .map(|(l, r)| (l + lagrangian.rho * r) as f32)
        .collect();
    let coeff = Tensor::from_vec(coeff, n, &Device::Cpu)?;
    let jobs: Vec<_> = parts
        .into_iter()
        .map(|(gain_sum, revenue_sum, _, _)| {
            let coeff = &coeff;
            move || -> Result<GradStore> {
                let surrogate = (((gain_sum * coeff)?.sum_all()? - revenue_sum)? / b)?;
                Ok(surrogate.backward()?)
            }
        })
        .collect();
    let grads = parallel(threads, jobs)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let loss = -revenue + lagrangian.penalty(&regret);
    Ok(Outer {
        grads,
        regret,
        revenue,
        loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_batch_in_order() {
        assert_eq!(bounds(128, 2), vec![(0, 64), (64, 128)]);
        assert_eq!(bounds(7, 2), vec![(0, 4), (4, 7)]);
        assert_eq!(bounds(7, 3), vec![(0, 3), (3, 5), (5, 7)]);
        assert_eq!(bounds(1, 2), vec![(0, 1)]);
        assert!(bounds(0, 2).is_empty());
    }

    #[test]
    fn split_follows_the_bounds() {
        let mut data: Vec<f32> = (0..14).map(|x| x as f32).collect();
        let parts = split_mut(&mut data, &bounds(7, 2), 2);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 8);
        assert_eq!(parts[1][0], 8.0);
    }

    #[test]
    fn parallel_keeps_job_order() {
        for threads in [1, 2, 4] {
            let jobs: Vec<_> = (0..5).map(|k| move || k * k).collect();
            assert_eq!(parallel(threads, jobs), vec![0, 1, 4, 9, 16]);
        }
    }
}

#[cfg(test)]
mod against_plain {
    use candle_core::{Device, Tensor};
    use regretnet_core::presets::preset;

    use super::*;
    use crate::train::loss::lagrangian_loss;
    use crate::train::trainer::Trainer;
    use regretnet_regret::PlainNet as Plain;

    #[test]
    fn sharded_fused_gradients_match_one_plain_batch() {
        let mut config = preset("additive_2x2_uniform").unwrap();
        config.net.alloc_hidden = vec![16, 16];
        config.net.pay_hidden = vec![16];
        let trainer = Trainer::new(config).unwrap();
        let net = trainer.regretnet().unwrap();
        let setting = trainer.setting();
        let batch = 37; // uneven shards
        let truth = setting.sample_profiles(
            &mut regretnet_core::rng::stream_rng(1, regretnet_core::rng::Stream::Test),
            batch,
        );
        let mis = setting.sample_profiles(
            &mut regretnet_core::rng::stream_rng(2, regretnet_core::rng::Stream::Test),
            batch,
        );
        let mut lagrangian = trainer.lagrangian().clone();
        lagrangian.lambda = vec![3.0, 7.0];
        lagrangian.rho = 11.0;
        let t = Tensor::from_slice(&truth, (batch, 2, 2), &Device::Cpu).unwrap();
        let s = Tensor::from_slice(&mis, (batch, 2, 2), &Device::Cpu).unwrap();
        let plain = lagrangian_loss(&Plain(net), &t, &s, &lagrangian).unwrap();
        let plain_grads = plain.loss.backward().unwrap();
        let plain_regret = plain.regret.to_vec1::<f32>().unwrap();
        for (shards, threads) in [(2, 1), (2, 2), (3, 2), (4, 4)] {
            let out =
                outer_gradients(net, &truth, &mis, (2, 2), &lagrangian, shards, threads).unwrap();
            assert_eq!(out.grads.len(), shards);
            let loss = plain.loss.to_scalar::<f32>().unwrap() as f64;
            assert!((out.loss - loss).abs() < 1e-5, "{} vs {loss}", out.loss);
            for (a, b) in out.regret.iter().zip(&plain_regret) {
                assert!((a - *b as f64).abs() < 1e-6);
            }
            assert!(plain_regret.iter().any(|&r| r > 0.0));
            for (name, var) in net.named_vars() {
                let mut sum: Option<Tensor> = None;
                for g in out.grads.iter().filter_map(|g| g.get(var.as_tensor())) {
                    sum = Some(match sum {
                        None => g.clone(),
                        Some(acc) => (acc + g).unwrap(),
                    });
                }
                let d = (sum.unwrap() - plain_grads.get(var.as_tensor()).unwrap())
                    .unwrap()
                    .abs()
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .max(0)
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                assert!(d < 1e-5, "{name}: {d} (shards {shards}, threads {threads})");
            }
        }
    }
}

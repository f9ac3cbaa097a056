//! Linear probes: closed-form ridge regression with a held-out R^2.
//!
//! A probe asks how much of a target (a profile's revenue, a bidder's utility or regret, the
//! optimal mechanism's allocation) is *linearly decodable* from a layer's activations. Fit on
//! the first half of the probe sample, scored on the second: `R^2 = 1 - SSE / SST` with `SST`
//! around the held-out mean, so 1 is a perfect linear read-out, 0 is no better than the mean,
//! and a negative value is worse (overfitting noise). Features are standardised on the fitting
//! half (constant features dropped), an intercept is fitted unpenalised, and the penalty
//! `alpha * n_fit` is added to the diagonal of the normal equations, solved by Cholesky in
//! `f64`.

/// Ridge penalty per fitting row (on standardised features); small enough not to bias a
/// well-determined fit of up to a few hundred features, large enough to keep the normal
/// equations well-conditioned when units are collinear (saturated tanh units).
pub const DEFAULT_ALPHA: f64 = 1e-3;

/// Held-out R^2 of a ridge probe from `features` (row-major `[rows, width]`) to `target`
/// (`[rows]`): fitted on the first `rows / 2` rows, scored on the rest. `None` when there are
/// fewer than 4 rows or the held-out target is constant (R^2 undefined).
pub fn probe_r2(features: &[f32], width: usize, target: &[f64], alpha: f64) -> Option<f64> {
    let rows = target.len();
    if rows < 4 || features.len() != rows * width {
        return None;
    }
    let fit = rows / 2;
    // Standardise on the fitting half; drop constant columns.
    let mut cols = Vec::new();
    for j in 0..width {
        let col = (0..fit).map(|r| features[r * width + j] as f64);
        let mean = col.clone().sum::<f64>() / fit as f64;
        let var = col.map(|x| (x - mean).powi(2)).sum::<f64>() / fit as f64;
        if var > 1e-12 {
            cols.push((j, mean, var.sqrt()));
        }
    }
    let k = cols.len();
    let x = |r: usize| -> Vec<f64> {
        cols.iter()
            .map(|&(j, m, s)| (features[r * width + j] as f64 - m) / s)
            .collect()
    };
    let ymean = target[..fit].iter().sum::<f64>() / fit as f64;
    // Normal equations of the centred problem: (X'X + alpha n I) w = X'(y - ymean).
    let mut a = vec![0.0f64; k * k];
    let mut b = vec![0.0f64; k];
    for (r, y) in target.iter().enumerate().take(fit) {
        let xr = x(r);
        let yr = y - ymean;
        for i in 0..k {
            b[i] += xr[i] * yr;
            for j in 0..=i {
                a[i * k + j] += xr[i] * xr[j];
            }
        }
    }
    for i in 0..k {
        for j in 0..i {
            a[j * k + i] = a[i * k + j];
        }
        a[i * k + i] += alpha * fit as f64;
    }
    let w = cholesky_solve(&mut a, &b, k)?;
    let test = &target[fit..];
    let tmean = test.iter().sum::<f64>() / test.len() as f64;
    let sst: f64 = test.iter().map(|y| (y - tmean).powi(2)).sum();
    if sst <= 1e-18 * test.len() as f64 {
        return None;
    }
    let sse: f64 = (fit..rows)
        .map(|r| {
            let pred = ymean + x(r).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
            (target[r] - pred).powi(2)
        })
        .sum();
    Some(1.0 - sse / sst)
}

/// Solve `A w = b` for symmetric positive definite `A` (`k x k`, overwritten by its Cholesky
/// factor); `None` when `A` is not positive definite.
fn cholesky_solve(a: &mut [f64], b: &[f64], k: usize) -> Option<Vec<f64>> {
    for j in 0..k {
        let mut d = a[j * k + j];
        for p in 0..j {
            d -= a[j * k + p] * a[j * k + p];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = s / d;
        }
    }
    // L y = b, then L' w = y.
    let mut y = vec![0.0; k];
    for i in 0..k {
        let s: f64 = (0..i).map(|p| a[i * k + p] * y[p]).sum();
        y[i] = (b[i] - s) / a[i * k + i];
    }
    let mut w = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|p| a[p * k + i] * w[p]).sum();
        w[i] = (y[i] - s) / a[i * k + i];
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use regretnet_core::rng::{stream_rng, Stream};

    fn features(rows: usize, width: usize) -> Vec<f32> {
        let mut rng = stream_rng(5, Stream::Test);
        (0..rows * width)
            .map(|_| rng.random::<f32>() * 2.0 - 1.0)
            .collect()
    }

    #[test]
    fn recovers_a_known_linear_function_of_the_layer() {
        // y = 3 h_0 - 2 h_7 + 0.5 h_19 + 1: a linear read-out exists, R^2 must be ~1.
        let (rows, width) = (600, 30);
        let h = features(rows, width);
        let y: Vec<f64> = (0..rows)
            .map(|r| {
                3.0 * h[r * width] as f64 - 2.0 * h[r * width + 7] as f64
                    + 0.5 * h[r * width + 19] as f64
                    + 1.0
            })
            .collect();
        let r2 = probe_r2(&h, width, &y, DEFAULT_ALPHA).unwrap();
        assert!(r2 > 0.999, "R^2 {r2}");
    }

    #[test]
    fn fails_on_noise() {
        // A target independent of the layer: the held-out R^2 is ~0 (slightly negative, the
        // fit's noise), far from 1.
        let (rows, width) = (600, 30);
        let h = features(rows, width);
        let mut rng = stream_rng(9, Stream::Data);
        let y: Vec<f64> = (0..rows).map(|_| rng.random::<f64>()).collect();
        let r2 = probe_r2(&h, width, &y, DEFAULT_ALPHA).unwrap();
        assert!(r2.abs() < 0.15, "R^2 {r2}");
    }

    #[test]
    fn a_nonlinear_target_is_read_partially_and_degenerate_inputs_are_handled() {
        let (rows, width) = (600, 3);
        let h = features(rows, width);
        // y = h_0^2 has no linear component on a symmetric range: R^2 near 0.
        let y: Vec<f64> = (0..rows).map(|r| (h[r * width] as f64).powi(2)).collect();
        assert!(probe_r2(&h, width, &y, DEFAULT_ALPHA).unwrap() < 0.1);
        // A constant target has no R^2; constant and duplicated features are harmless.
        assert!(probe_r2(&h, width, &vec![2.0; rows], DEFAULT_ALPHA).is_none());
        let dup: Vec<f32> = (0..rows)
            .flat_map(|r| [h[r * width], h[r * width], 0.5])
            .collect();
        let y: Vec<f64> = (0..rows).map(|r| h[r * width] as f64).collect();
        assert!(probe_r2(&dup, 3, &y, DEFAULT_ALPHA).unwrap() > 0.999);
        assert!(probe_r2(&h, width, &y[..3], DEFAULT_ALPHA).is_none());
    }
}

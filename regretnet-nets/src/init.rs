//! Seeded weight initialisation (candle's own CPU RNG cannot be seeded).

use candle_core::{Device, Tensor, Var};
use rand::Rng;

use crate::error::Result;

/// Glorot-uniform (Xavier) weights of shape `[fan_in, fan_out]`: `U[-a, a]` with
/// `a = sqrt(6 / (fan_in + fan_out))` (Glorot and Bengio 2010), drawn from `rng`.
pub fn glorot_uniform<R: Rng + ?Sized>(fan_in: usize, fan_out: usize, rng: &mut R) -> Result<Var> {
    let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
    let values: Vec<f32> = (0..fan_in * fan_out)
        .map(|_| (rng.random::<f64>() * 2.0 * a - a) as f32)
        .collect();
    Ok(Var::from_tensor(&Tensor::from_vec(
        values,
        (fan_in, fan_out),
        &Device::Cpu,
    )?)?)
}

/// Zero biases of length `n`.
pub fn zeros(n: usize) -> Result<Var> {
    Ok(Var::zeros(n, candle_core::DType::F32, &Device::Cpu)?)
}

/// Draws from `N(0, sd^2)` by Box-Muller, from our own seeded stream.
pub fn normal<R: Rng + ?Sized>(count: usize, sd: f64, rng: &mut R) -> Vec<f32> {
    (0..count)
        .map(|_| {
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random();
            (sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
        })
        .collect()
}

/// Draws from `U[lo, hi]`.
pub fn uniform<R: Rng + ?Sized>(count: usize, [lo, hi]: [f64; 2], rng: &mut R) -> Vec<f32> {
    (0..count)
        .map(|_| (lo + (hi - lo) * rng.random::<f64>()) as f32)
        .collect()
}

//! The misreport search: projected Adam ascent on each bidder's own report, weights fixed.
//!
//! Each step evaluates, for every profile `b` and bidder `k` at once, the utility of `k` when it
//! alone reports `mis[b, k]`, takes its gradient with respect to `mis[b, k]` (the weights enter
//! the graph as constants), makes one Adam ascent step and projects the report back onto the
//! prior's support. This is the inner loop of training and, with restarts, the test-time search.

use candle_core::{Device, Tensor, Var};
use regretnet_core::Setting;
use regretnet_nets::{FrozenEquivariant, FrozenNet, OwnUtility, WeightGrad};

use crate::adam::SliceAdam;
use crate::error::{RegretError, Result};
use crate::mechanism::Mechanism;
use crate::utility::misreport_utilities;

/// Strength of a search: starts per profile and bidder, Adam steps per start, learning rate.
/// Every search starts from the truthful report; see [`crate::starts`] for the others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchConfig {
    /// Projected-Adam steps per start.
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Starts drawn from the prior, besides the truthful report and the corners.
    pub restarts: usize,
    /// Whether the corners of the support are starts too ([`crate::starts::corners`]).
    pub corners: bool,
}

/// Utility of each bidder at its own misreport, and the gradient with respect to that
/// misreport: the one computation the search needs, behind a trait so that a faster
/// hand-derived implementation can replace [`Autograd`].
pub trait UtilityGradient: Sync {
    /// For `truth: [B, n, m]` and misreports `mis` (flat `[B, n, m]`): utilities (flat
    /// `[B, n]`) and their gradients with respect to `mis` (flat `[B, n, m]`).
    fn utility_and_grad(&self, truth: &Tensor, mis: &[f32]) -> Result<(Vec<f32>, Vec<f32>)>;

    /// Utilities only (flat `[B, n]`).
    fn utility(&self, truth: &Tensor, mis: &[f32]) -> Result<Vec<f32>>;
}

/// [`UtilityGradient`] by candle's reverse-mode autograd on the frozen mechanism.
#[derive(Debug, Clone, Copy)]
pub struct Autograd<'a, M: ?Sized>(pub &'a M);

impl<M: Mechanism + ?Sized> UtilityGradient for Autograd<'_, M> {
    fn utility_and_grad(&self, truth: &Tensor, mis: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        let var = Var::from_slice(mis, truth.shape(), &Device::Cpu)?;
        let u = misreport_utilities(self.0, truth, var.as_tensor(), WeightGrad::Frozen)?;
        let grads = u.sum_all()?.backward()?;
        let g = match grads.get(var.as_tensor()) {
            Some(g) => g.flatten_all()?.to_vec1::<f32>()?,
            // The mechanism does not depend on the bids at all.
            None => vec![0.0; mis.len()],
        };
        Ok((u.flatten_all()?.to_vec1::<f32>()?, g))
    }

    fn utility(&self, truth: &Tensor, mis: &[f32]) -> Result<Vec<f32>> {
        let t = Tensor::from_slice(mis, truth.shape(), &Device::Cpu)?;
        let u = misreport_utilities(self.0, truth, &t, WeightGrad::Frozen)?;
        Ok(u.flatten_all()?.to_vec1::<f32>()?)
    }
}

/// [`UtilityGradient`] of a mechanism whose utility is piecewise constant in a bidder's own
/// report, as an affine maximizer's: its outcome depends on the report only through which
/// menu entry is chosen, so the gradient is zero wherever it exists. Utilities come from the
/// mechanism's forward alone; no backward pass is spent on a gradient known to be zero. The
/// search then scores its starts, and the audits' grids and sweeps do the looking.
#[derive(Debug, Clone, Copy)]
pub struct PiecewiseConstant<'a, M: ?Sized>(pub &'a M);

impl<M: Mechanism + ?Sized> UtilityGradient for PiecewiseConstant<'_, M> {
    fn utility_and_grad(&self, truth: &Tensor, mis: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        Ok((self.utility(truth, mis)?, vec![0.0; mis.len()]))
    }

    fn utility(&self, truth: &Tensor, mis: &[f32]) -> Result<Vec<f32>> {
        Autograd(self.0).utility(truth, mis)
    }
}

/// The misreport search's layout for [`FrozenNet`]: row `b * n + k` is profile `b` with
/// bidder `k`'s row replaced by `mis[b, k]`, scored with `k`'s true values.
fn misreport_rows(truth: &[f32], mis: &[f32], n: usize, m: usize) -> (Vec<f32>, Vec<f32>) {
    let len = n * m;
    let b = truth.len() / len.max(1);
    let mut reports = Vec::with_capacity(b * n * len);
    let mut values = Vec::with_capacity(b * len);
    for p in 0..b {
        let profile = &truth[p * len..(p + 1) * len];
        for k in 0..n {
            let at = reports.len();
            reports.extend_from_slice(profile);
            reports[at + k * m..at + (k + 1) * m]
                .copy_from_slice(&mis[(p * n + k) * m..(p * n + k + 1) * m]);
            values.extend_from_slice(&profile[k * m..(k + 1) * m]);
        }
    }
    (reports, values)
}

/// A frozen network that scores the misreport search's rows ([`misreport_rows`]) by a
/// hand-written input gradient: [`FrozenNet`] and [`FrozenEquivariant`].
trait OwnRows: Sync {
    fn own(&self, reports: &[f32], values: &[f32], with_grad: bool) -> Result<OwnUtility>;
}

impl OwnRows for FrozenNet {
    fn own(&self, reports: &[f32], values: &[f32], with_grad: bool) -> Result<OwnUtility> {
        Ok(self.own_utility_and_grad(reports, values, with_grad)?)
    }
}

impl OwnRows for FrozenEquivariant {
    fn own(&self, reports: &[f32], values: &[f32], with_grad: bool) -> Result<OwnUtility> {
        Ok(self.own_utility_and_grad(reports, values, with_grad)?)
    }
}

/// `net`'s own-bidder utilities (and gradients) of the misreports `mis` against `truth`.
fn own_rows<N: OwnRows>(
    net: &N,
    truth: &Tensor,
    mis: &[f32],
    with_grad: bool,
) -> Result<OwnUtility> {
    let (_, n, m) = truth.dims3()?;
    let t = truth.flatten_all()?.to_vec1::<f32>()?;
    let (reports, values) = misreport_rows(&t, mis, n, m);
    net.own(&reports, &values, with_grad)
}

/// [`UtilityGradient`] of a frozen network by its hand-written input gradient: a RegretNet's
/// ([`regretnet_nets::frozen`], the same values as [`Autograd`] to 1e-5, without the weight
/// gradients that candle's `backward()` cannot skip) and the equivariant net's
/// ([`regretnet_nets::frozen_eq`]).
impl<N: OwnRows> UtilityGradient for N {
    fn utility_and_grad(&self, truth: &Tensor, mis: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        let out = own_rows(self, truth, mis, true)?;
        Ok((out.utility, out.grad))
    }

    fn utility(&self, truth: &Tensor, mis: &[f32]) -> Result<Vec<f32>> {
        Ok(own_rows(self, truth, mis, false)?.utility)
    }
}

/// The best iterate of a search, per profile and bidder.
#[derive(Debug, Clone)]
pub struct Ascent {
    /// Highest utility seen (flat `[B, n]`), over all iterates including the start.
    pub best_utility: Vec<f32>,
    /// The misreport that reached it (flat `[B, n, m]`).
    pub best_misreport: Vec<f32>,
}

/// Run `steps` projected Adam steps from `mis` (flat `[B, n, d]`, updated in place to the last
/// iterate); the Adam state starts fresh. Used by training, where only the last iterate matters.
/// Coordinates a bidder cannot misreport are set to the truth's first
/// ([`Setting::pin_fixed`]).
pub fn ascend<G: UtilityGradient + ?Sized>(
    grad: &G,
    setting: &Setting,
    truth: &Tensor,
    mis: &mut [f32],
    steps: usize,
    lr: f64,
) -> Result<()> {
    run(grad, setting, truth, mis, steps, lr, None)
}

/// Like [`ascend`], but also returns the best iterate of every profile and bidder (every
/// iterate is a feasible misreport, so the best one is a valid lower bound on the regret).
pub fn ascend_tracking_best<G: UtilityGradient + ?Sized>(
    grad: &G,
    setting: &Setting,
    truth: &Tensor,
    mis: &mut [f32],
    steps: usize,
    lr: f64,
) -> Result<Ascent> {
    let mut best = Ascent {
        best_utility: vec![f32::NEG_INFINITY; mis.len() / setting.type_len()],
        best_misreport: mis.to_vec(),
    };
    run(grad, setting, truth, mis, steps, lr, Some(&mut best))?;
    let last = grad.utility(truth, mis)?;
    record(&mut best, &last, mis, setting.type_len())?;
    Ok(best)
}

fn record(best: &mut Ascent, u: &[f32], mis: &[f32], m: usize) -> Result<()> {
    for (r, &ur) in u.iter().enumerate() {
        if !ur.is_finite() {
            return Err(RegretError::NonFinite { what: "utility" });
        }
        if ur > best.best_utility[r] {
            best.best_utility[r] = ur;
            best.best_misreport[r * m..(r + 1) * m].copy_from_slice(&mis[r * m..(r + 1) * m]);
        }
    }
    Ok(())
}

fn run<G: UtilityGradient + ?Sized>(
    grad: &G,
    setting: &Setting,
    truth: &Tensor,
    mis: &mut [f32],
    steps: usize,
    lr: f64,
    mut best: Option<&mut Ascent>,
) -> Result<()> {
    if truth.elem_count() != mis.len() {
        return Err(RegretError::Shape(format!(
            "{} misreport values for a truth tensor of shape {:?}",
            mis.len(),
            truth.dims()
        )));
    }
    // Coordinates a bidder cannot misreport (a combinatorial bidder's complementarity) are
    // the truth's, at the start and after every step: with the projection onto the support,
    // the exact projection onto the feasible misreports.
    let fixed = if setting.type_len() > setting.items {
        truth.flatten_all()?.to_vec1::<f32>()?
    } else {
        Vec::new()
    };
    // The start is projected too: a best iterate recorded at an infeasible start would be an
    // infeasible misreport (a value the prior cannot have) returned as the best.
    setting.project_profiles(mis);
    setting.pin_fixed(&fixed, mis);
    let mut adam = SliceAdam::new(mis.len(), lr as f32);
    for step in 0..steps {
        let (u, g) = grad.utility_and_grad(truth, mis)?;
        if let Some(best) = best.as_deref_mut() {
            record(best, &u, mis, setting.type_len())?;
        }
        if g.iter().any(|x| !x.is_finite()) {
            return Err(RegretError::NonFinite { what: "gradient" });
        }
        // A zero gradient with Adam's first moments at zero leaves every misreport where it
        // is (already projected after the first step), so every later step would compute this
        // same utility and gradient again: the remaining steps change nothing and are skipped.
        // This is what an exactly incentive-compatible network's piecewise-constant utility
        // gives everywhere (RochetNet's argmax menu, MyersonNet's threshold prices).
        if step > 0 && adam.at_rest() && g.iter().all(|&x| x == 0.0) {
            break;
        }
        adam.ascend(mis, &g);
        setting.project_profiles(mis);
        setting.pin_fixed(&fixed, mis);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::one_item_setting as one_item;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A posted price of 1/2 for one item: `u = v - 1/2` when the report is at least 1/2,
    /// else 0. Piecewise constant in the report, so its gradient is zero everywhere (as for
    /// RochetNet's argmax menu); counts its gradient evaluations.
    struct PostedPrice(AtomicUsize);

    impl UtilityGradient for PostedPrice {
        fn utility_and_grad(&self, truth: &Tensor, mis: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok((self.utility(truth, mis)?, vec![0.0; mis.len()]))
        }
        fn utility(&self, truth: &Tensor, mis: &[f32]) -> Result<Vec<f32>> {
            let t = truth.flatten_all()?.to_vec1::<f32>()?;
            Ok(t.iter()
                .zip(mis)
                .map(|(v, b)| if *b >= 0.5 { v - 0.5 } else { 0.0 })
                .collect())
        }
    }

    #[test]
    fn a_zero_gradient_at_rest_ends_the_ascent_after_projecting_the_start() {
        let setting = one_item();
        let truth = Tensor::new(&[[[0.8f32]], [[0.3]]], &Device::Cpu).unwrap();
        // The first start lies outside the support: it is projected to 1 before step 0 (a zero
        // gradient moves nothing, the projection does), step 1 sees a zero gradient at rest and
        // stops.
        let mut mis = vec![1.7f32, 0.2];
        let g = PostedPrice(AtomicUsize::new(0));
        let best = ascend_tracking_best(&g, &setting, &truth, &mut mis, 300, 0.1).unwrap();
        assert_eq!(
            g.0.load(Ordering::Relaxed),
            2,
            "300 steps should stop after 2"
        );
        assert_eq!(mis, vec![1.0, 0.2]);
        // Best utilities: 0.8 - 0.5 at the projected start; 0 for the low start (truthful
        // reporting would give 0 too: value 0.3 is below the price).
        assert!(
            (best.best_utility[0] - 0.3).abs() < 1e-6,
            "{:?}",
            best.best_utility
        );
        assert_eq!(best.best_utility[1], 0.0);
        // The best misreport is feasible: the projected start, not the 1.7 it was given (at 1.7
        // the utility is the same 0.3, so a best recorded there would never be replaced).
        assert_eq!(best.best_misreport, vec![1.0, 0.2]);
    }

    /// `u = min(b, 1/2)`: slope 1 below 1/2, flat above it. Counts its gradient evaluations.
    struct Ramp(AtomicUsize);

    impl UtilityGradient for Ramp {
        fn utility_and_grad(&self, truth: &Tensor, mis: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
            self.0.fetch_add(1, Ordering::Relaxed);
            let g = mis
                .iter()
                .map(|&b| if b < 0.5 { 1.0 } else { 0.0 })
                .collect();
            Ok((self.utility(truth, mis)?, g))
        }
        fn utility(&self, _: &Tensor, mis: &[f32]) -> Result<Vec<f32>> {
            Ok(mis.iter().map(|&b| b.min(0.5)).collect())
        }
    }

    #[test]
    fn a_zero_gradient_with_momentum_left_does_not_end_the_ascent() {
        // From 0.45 at lr 0.01 Adam climbs past 1/2 in a few steps; above it the gradient is
        // exactly zero but the first moments are not, so the iterate keeps moving (up to the
        // support's edge) and every step must run: stopping on the gradient alone would end
        // the ascent at the first flat step.
        let setting = one_item();
        let truth = Tensor::new(&[[[0.5f32]]], &Device::Cpu).unwrap();
        let mut mis = vec![0.45f32];
        let g = Ramp(AtomicUsize::new(0));
        ascend(&g, &setting, &truth, &mut mis, 50, 0.01).unwrap();
        assert_eq!(g.0.load(Ordering::Relaxed), 50);
        assert!(mis[0] > 0.55, "momentum carries the iterate on: {mis:?}");
    }
}

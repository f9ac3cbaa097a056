//! A mechanism averaged over relabellings of iid bidders and items (`regretnet eval
//! --symmetrize`).
//!
//! For a group `G` of relabellings `g` (a cyclic shift `s` of the bidders and `t` of the
//! items), `M^g(b) = g^{-1} M(g b)` is the mechanism that relabels the bids, runs `M` and
//! hands each bidder and item back its own outcome. The symmetrized mechanism is the average
//!
//! ```text
//! M_sym(b) = (1 / |G|) sum_{g in G} g^{-1} M(g b)
//! ```
//!
//! of allocations and payments: a lottery over the `M^g`, so it is feasible and individually
//! rational wherever `M` is. Where the prior is unchanged by every `g`:
//!
//! - **revenue**: each `M^g` has `M`'s expected revenue (the relabelled profile has the same
//!   distribution), so `M_sym` has it too;
//! - **regret**: a bidder's gain from a misreport against `M_sym` is the average of its gains
//!   against the `M^g`, and the best misreport against the average gains at most the average of
//!   the best misreports against each, so per profile
//!   `rgt_i(M_sym, v) <= (1/|G|) sum_g rgt_{g(i)}(M, g v)`; in expectation over the prior the
//!   right side is the average over bidders of `M`'s expected regret. The expected regret
//!   (averaged over bidders) cannot rise (Qin et al., "Benefits of permutation-equivariance in
//!   auction mechanisms", NeurIPS 2022, on equivariance keeping revenue and lowering regret).
//!
//! Cyclic shifts (`n` of the bidders, `m` of the items) rather than all `n! m!` permutations
//! keep the cost at `|G|` forward passes per profile (`n m` when both are symmetric); every
//! statement above holds for any group. Shifts of the bidders are used where the prior is
//! symmetric in bidders ([`regretnet_core::Prior::symmetric_in_bidders`]), of the items where it
//! is symmetric in items; a prior symmetric in neither is refused.

use candle_core::{Device, Tensor};
use regretnet_core::{Setting, ValuationKind};
use regretnet_nets::{Outcome, WeightGrad};

use crate::error::{RegretError, Result};
use crate::mechanism::Mechanism;

/// `M` averaged over cyclic shifts of the bidders and of the items (module docs).
#[derive(Debug, Clone, Copy)]
pub struct Symmetrized<'a, M> {
    inner: &'a M,
    bidder_shifts: usize,
    item_shifts: usize,
}

impl<'a, M: Mechanism> Symmetrized<'a, M> {
    /// `mech` symmetrized over the relabellings that leave `setting`'s prior unchanged; an
    /// error saying why where there is none to average over (a combinatorial setting, a prior
    /// symmetric in neither bidders nor items, or one bidder and one item).
    pub fn new(mech: &'a M, setting: &Setting) -> Result<Self> {
        let refuse = |why: String| {
            Err(RegretError::Unsupported(format!(
                "cannot symmetrize: {why}"
            )))
        };
        if setting.valuation == ValuationKind::Combinatorial {
            return refuse(
                "a combinatorial type's bundle term is not an item's value; symmetrizing \
                 covers additive and unit-demand settings"
                    .into(),
            );
        }
        let (n, m) = (setting.bidders, setting.items);
        let bidders = setting.prior.symmetric_in_bidders() && n > 1;
        let items = setting.prior.symmetric_in_items() && m > 1;
        if !bidders && !items {
            return refuse(format!(
                "the prior of `{}` is symmetric in neither its bidders nor its items (or there \
                 is one of each), so no relabelling keeps the revenue and the regret bound",
                setting.name
            ));
        }
        Ok(Symmetrized {
            inner: mech,
            bidder_shifts: if bidders { n } else { 1 },
            item_shifts: if items { m } else { 1 },
        })
    }

    /// The number of relabellings averaged over, `|G|`.
    pub fn group_size(&self) -> usize {
        self.bidder_shifts * self.item_shifts
    }

    /// How many cyclic shifts of the bidders and of the items (1: that side is not shifted).
    pub fn shifts(&self) -> (usize, usize) {
        (self.bidder_shifts, self.item_shifts)
    }
}

/// Index `k -> (k + shift) mod len`.
fn rotation(len: usize, shift: usize) -> Result<Tensor> {
    let idx: Vec<u32> = (0..len).map(|k| ((k + shift) % len) as u32).collect();
    Ok(Tensor::from_vec(idx, len, &Device::Cpu)?)
}

impl<M: Mechanism> Mechanism for Symmetrized<'_, M> {
    fn bidders(&self) -> usize {
        self.inner.bidders()
    }
    fn items(&self) -> usize {
        self.inner.items()
    }
    fn outcome(&self, bids: &Tensor, mode: WeightGrad) -> Result<Outcome> {
        let (batch, n, m) = bids.dims3()?;
        // Every relabelled batch in one call: rows [g * batch, (g + 1) * batch) hold shift g.
        let mut shifted = Vec::with_capacity(self.group_size());
        for s in 0..self.bidder_shifts {
            let by_bidder = bids.index_select(&rotation(n, s)?, 1)?;
            for t in 0..self.item_shifts {
                shifted.push(by_bidder.index_select(&rotation(m, t)?, 2)?);
            }
        }
        let out = self.inner.outcome(&Tensor::cat(&shifted, 0)?, mode)?;
        let (mut alloc, mut pay) = (Vec::new(), Vec::new());
        let mut g = 0;
        for s in 0..self.bidder_shifts {
            // Bidder i of the relabelled profile is bidder (i + s) mod n: bidder k's outcome is
            // row (k - s) mod n.
            let back_bidders = rotation(n, (n - s) % n)?;
            for t in 0..self.item_shifts {
                let back_items = rotation(m, (m - t) % m)?;
                let a = out.alloc.narrow(0, g * batch, batch)?.contiguous()?;
                let p = out.pay.narrow(0, g * batch, batch)?.contiguous()?;
                alloc.push(
                    a.index_select(&back_bidders, 1)?
                        .contiguous()?
                        .index_select(&back_items, 2)?,
                );
                pay.push(p.index_select(&back_bidders, 1)?);
                g += 1;
            }
        }
        let k = self.group_size() as f64;
        Ok(Outcome {
            alloc: (Tensor::stack(&alloc, 0)?.sum(0)? / k)?,
            pay: (Tensor::stack(&pay, 0)?.sum(0)? / k)?,
        })
    }
}

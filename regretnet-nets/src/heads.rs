//! Output heads: logits to a feasible allocation and an individually rational payment.

use candle_core::Tensor;

use crate::error::Result;

/// Softmax along `dim`, differentiable (the max shift is detached; it cancels in the value and
/// would contribute zero gradient). `candle_nn::ops::softmax_last_dim` is not used: it has no
/// backward and silently yields no gradient (see `candle-notes.md`).
pub fn softmax(x: &Tensor, dim: usize) -> Result<Tensor> {
    let max = x.max_keepdim(dim)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    let s = e.sum_keepdim(dim)?;
    Ok(e.broadcast_div(&s)?)
}

/// Additive allocation head: logits `[batch, (n+1) * (m+1)]` are reshaped to
/// `[batch, n+1, m+1]`, a softmax runs over the bidder axis (row `n` is the dummy bidder who
/// keeps the item unsold), and the first `n` rows and `m` columns are kept (the extra column is
/// the reference implementation's layout). Every entry lies in `[0, 1]` and every item's
/// column sums to at most 1.
pub fn additive_allocation(logits: &Tensor, bidders: usize, items: usize) -> Result<Tensor> {
    let batch = logits.dim(0)?;
    let z = logits.reshape((batch, bidders + 1, items + 1))?;
    let p = softmax(&z, 1)?;
    Ok(p.narrow(1, 0, bidders)?.narrow(2, 0, items)?)
}

/// Unit-demand allocation head: logits `[batch, 2 (n+1)(m+1)]` hold two `[n+1, m+1]` blocks.
/// The first gets a softmax over bidders (row `n` the dummy bidder), the second a softmax over
/// items (column `m` the dummy item: "no item"); the allocation is their elementwise minimum
/// on the first `n` rows and `m` columns (the reference's head). Every item goes to at most one
/// bidder in total and every bidder gets at most one item in total.
pub fn unit_demand_allocation(logits: &Tensor, bidders: usize, items: usize) -> Result<Tensor> {
    let batch = logits.dim(0)?;
    let k = (bidders + 1) * (items + 1);
    let by_bidder = logits
        .narrow(1, 0, k)?
        .reshape((batch, bidders + 1, items + 1))?;
    let by_item = logits
        .narrow(1, k, k)?
        .reshape((batch, bidders + 1, items + 1))?;
    let a1 = softmax(&by_bidder, 1)?
        .narrow(1, 0, bidders)?
        .narrow(2, 0, items)?;
    let a2 = softmax(&by_item, 2)?
        .narrow(1, 0, bidders)?
        .narrow(2, 0, items)?;
    Ok(a1.minimum(&a2)?)
}

/// Payment head: `p_i = sigmoid(z_i) * sum_j a_ij b_ij` with the reported bids `b`, so a
/// truthful bidder never pays more than its value of what it gets (individual rationality).
/// `logits: [batch, n]`, `alloc`, `bids: [batch, n, m]`; returns `[batch, n]`.
pub fn payment(logits: &Tensor, alloc: &Tensor, bids: &Tensor) -> Result<Tensor> {
    let fraction = candle_nn::ops::sigmoid(logits)?;
    let value = (alloc * bids)?.sum(2)?;
    Ok((fraction * value)?)
}

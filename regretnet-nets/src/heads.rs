//! Output heads: logits to a feasible allocation and an individually rational payment.

use candle_core::Tensor;

use crate::error::Result;

/// Softmax along `dim`, differentiable (the max shift is detached; it cancels in the value and
/// would contribute zero gradient). `candle_nn::ops::softmax_last_dim` is not used: it has no
/// backward and silently yields no gradient (see docs/CANDLE.md).
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

/// Logits of the combinatorial head: two 5-way item softmaxes and two 3-way bidder softmaxes.
pub const COMBINATORIAL_LOGITS: usize = 16;

/// Combinatorial 2x2 head, the bundle shares (the reference's head): logits `[batch, 16]` hold,
/// for item 1 then item 2, a 5-way softmax over {bidder 1 alone, bidder 2 alone, bidder 1 in
/// the bundle, bidder 2 in the bundle, unsold}, then for bidder 1 then bidder 2 a 3-way softmax
/// over {item 1, item 2, bundle}. Bidder `k` receives item 1 alone with
/// `min(item1[k], bidder_k[0])`, item 2 alone with `min(item2[k], bidder_k[1])` and the
/// bundle with `min(item1[2+k], item2[2+k], bidder_k[2])`. Returns `[batch, 2, 3]` (item 1,
/// item 2, bundle): each item is given at most once in total (its softmax sums to 1) and each
/// bidder receives at most one package in total (its softmax sums to 1).
pub fn combinatorial_bundles(logits: &Tensor) -> Result<Tensor> {
    let batch = logits.dim(0)?;
    let item1 = softmax(&logits.narrow(1, 0, 5)?, 1)?;
    let item2 = softmax(&logits.narrow(1, 5, 5)?, 1)?;
    let by_bidder = softmax(&logits.narrow(1, 10, 6)?.reshape((batch, 2, 3))?, 2)?;
    let alone1 = item1.narrow(1, 0, 2)?;
    let alone2 = item2.narrow(1, 0, 2)?;
    let both = item1.narrow(1, 2, 2)?.minimum(&item2.narrow(1, 2, 2)?)?;
    let by_item = Tensor::stack(&[alone1, alone2, both], 2)?;
    Ok(by_item.minimum(&by_bidder)?)
}

/// Combinatorial 2x2 allocation head in the form utilities need: the coefficients of a type
/// row `(v_1, v_2, C)` ([`regretnet_core::combinatorial::bundle_coefficients`]): with bundle
/// shares `(a_1, a_2, a_b)` from [`combinatorial_bundles`], `(a_1 + a_b, a_2 + a_b, a_b)`, so
/// that `sum_k coef_k type_k = a_1 v_1 + a_2 v_2 + a_b (v_1 + v_2 + C)`. `[batch, 2, 3]`.
pub fn combinatorial_allocation(logits: &Tensor) -> Result<Tensor> {
    let a = combinatorial_bundles(logits)?;
    let bundle = a.narrow(2, 2, 1)?;
    let items = a.narrow(2, 0, 2)?.broadcast_add(&bundle)?;
    Ok(Tensor::cat(&[items, bundle], 2)?)
}

/// The network input of a combinatorial profile `[batch, 2, 3]` of types `(v_1, v_2, C)`:
/// each bidder's bundle values `(v_1, v_2, v_1 + v_2 + C)` (the reference's input), flattened
/// to `[batch, 6]`.
pub fn combinatorial_input(bids: &Tensor) -> Result<Tensor> {
    let batch = bids.dim(0)?;
    let items = bids.narrow(2, 0, 2)?;
    let bundle = bids.sum_keepdim(2)?;
    Ok(Tensor::cat(&[items, bundle], 2)?.reshape((batch, 6))?)
}

/// Payment head: `p_i = sigmoid(z_i) * sum_j a_ij b_ij` with the reported bids `b`, so a
/// truthful bidder never pays more than its value of what it gets (individual rationality).
/// `logits: [batch, n]`, `alloc`, `bids: [batch, n, m]`; returns `[batch, n]`. For a
/// combinatorial bidder `alloc` holds the coefficients of [`combinatorial_allocation`] and
/// `bids` the reported types, so the sum is the reported value of the bundles received.
pub fn payment(logits: &Tensor, alloc: &Tensor, bids: &Tensor) -> Result<Tensor> {
    let fraction = candle_nn::ops::sigmoid(logits)?;
    let value = (alloc * bids)?.sum(2)?;
    Ok((fraction * value)?)
}

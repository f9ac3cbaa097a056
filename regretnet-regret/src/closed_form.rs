//! Mechanisms whose regret is known in closed form, for calibrating regret estimates and audits.
//!
//! A regret number is only as good as the search behind it. These mechanisms let a user (and
//! our tests) check a search against the truth: two are truthful (regret exactly 0), one is
//! manipulable with a smooth, interior best misreport, and one hides its profitable misreport
//! in a narrow region that random starts rarely reach. All take bids `[batch, n, m]` and are
//! written in candle operations so that [`crate::Autograd`] can differentiate them where they
//! are differentiable.

use candle_core::{DType, Device, Tensor};
use regretnet_nets::{Outcome, WeightGrad};

use crate::error::Result;
use crate::mechanism::Mechanism;

/// One bidder, item `j` sold at the posted price `prices[j]` when the bid reaches it:
/// `a_j = [b_j >= price_j]`, `p = sum_j a_j price_j`. Truthful: reporting `v` buys exactly
/// the items with `v_j >= price_j`, which maximises `sum_j a_j (v_j - price_j)`; regret 0.
#[derive(Debug, Clone)]
pub struct PostedPrice {
    pub(crate) prices: Vec<f32>,
}

impl PostedPrice {
    /// Posted prices, one per item.
    pub fn new(prices: Vec<f32>) -> Self {
        PostedPrice { prices }
    }
}

impl Mechanism for PostedPrice {
    fn bidders(&self) -> usize {
        1
    }
    fn items(&self) -> usize {
        self.prices.len()
    }
    fn outcome(&self, bids: &Tensor, _: WeightGrad) -> Result<Outcome> {
        let m = self.prices.len();
        let price = Tensor::from_slice(&self.prices, (1, 1, m), &Device::Cpu)?;
        let alloc = bids.broadcast_ge(&price)?.to_dtype(DType::F32)?;
        let pay = alloc.broadcast_mul(&price)?.sum(2)?;
        Ok(Outcome { alloc, pay })
    }
}

/// A second-price auction for every item separately (VCG for additive bidders): the highest
/// bid wins when it is strictly above every other bid, and pays the highest other bid.
/// Truthful for additive values; regret 0. Assumes non-negative bids.
#[derive(Debug, Clone, Copy)]
pub struct SecondPrice {
    /// Number of bidders.
    pub bidders: usize,
    /// Number of items.
    pub items: usize,
}

impl Mechanism for SecondPrice {
    fn bidders(&self) -> usize {
        self.bidders
    }
    fn items(&self) -> usize {
        self.items
    }
    fn outcome(&self, bids: &Tensor, _: WeightGrad) -> Result<Outcome> {
        let n = self.bidders;
        let others_only =
            (1.0 - Tensor::eye(n, DType::F32, &Device::Cpu)?)?.reshape((1, n, n, 1))?;
        // [B, n(copy i), n, m] with bidder i's own row zeroed; the max over bidders is the
        // highest other bid (bids are non-negative).
        let others = bids.unsqueeze(1)?.broadcast_mul(&others_only)?.max(2)?;
        let alloc = bids.gt(&others)?.to_dtype(DType::F32)?;
        let pay = (&alloc * &others)?.sum(2)?;
        Ok(Outcome { alloc, pay })
    }
}

/// Every bidder pays its bid for every unit it wins, and wins a share of each item in
/// proportion to its bid: `a_ij = b_ij / n`, `p_i = sum_j a_ij b_ij`, for bids in `[0, 1]`.
/// Bidder `i`'s utility at report `b_i` is `sum_j (b_ij v_ij - b_ij^2) / n`, maximised at
/// `b_ij = v_ij / 2`; truthful utility is 0, so its regret at a profile is
/// `sum_j v_ij^2 / (4n)` ([`BidLottery::regret`]), and `m / (12 n)` in expectation when
/// values are uniform on `[0, 1]`. Smooth with an interior optimum: a fair test of a search.
#[derive(Debug, Clone, Copy)]
pub struct BidLottery {
    /// Number of bidders.
    pub bidders: usize,
    /// Number of items.
    pub items: usize,
}

impl BidLottery {
    /// The exact regret of a bidder with values `v` (length `m`) on a support `[0, hi]` with
    /// `hi >= max v / 2`.
    pub fn regret(&self, v: &[f32]) -> f64 {
        v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / (4.0 * self.bidders as f64)
    }
}

impl Mechanism for BidLottery {
    fn bidders(&self) -> usize {
        self.bidders
    }
    fn items(&self) -> usize {
        self.items
    }
    fn outcome(&self, bids: &Tensor, _: WeightGrad) -> Result<Outcome> {
        let alloc = (bids / self.bidders as f64)?;
        let pay = (&alloc * bids)?.sum(2)?;
        Ok(Outcome { alloc, pay })
    }
}

/// A planted trap for one bidder: nothing is sold and nothing paid, except near the report
/// `center`, where every item is given away with probability
/// `bump(b) = max(0, 1 - |b - center|^2 / radius^2)`. Utility is `bump(b) * sum_j v_j`, so
/// the best misreport is `center` and the regret at `v` is `(1 - bump(v)) * sum_j v_j`
/// ([`Trap::regret`]). Outside the disc the utility is flat (zero gradient): a gradient
/// search finds the trap only from a start inside it, one in `pi r^2 / area` prior draws.
#[derive(Debug, Clone)]
pub struct Trap {
    pub(crate) center: Vec<f32>,
    pub(crate) radius: f32,
}

impl Trap {
    /// A trap at `center` (one value per item) of the given radius.
    pub fn new(center: Vec<f32>, radius: f32) -> Self {
        Trap { center, radius }
    }

    fn bump(&self, b: &[f32]) -> f64 {
        let d2: f64 = b
            .iter()
            .zip(&self.center)
            .map(|(x, c)| ((x - c) as f64).powi(2))
            .sum();
        (1.0 - d2 / (self.radius as f64).powi(2)).max(0.0)
    }

    /// The exact regret of a bidder with values `v` (length `m`), when `center` is in the
    /// support.
    pub fn regret(&self, v: &[f32]) -> f64 {
        (1.0 - self.bump(v)) * v.iter().map(|&x| x as f64).sum::<f64>()
    }
}

impl Mechanism for Trap {
    fn bidders(&self) -> usize {
        1
    }
    fn items(&self) -> usize {
        self.center.len()
    }
    fn outcome(&self, bids: &Tensor, _: WeightGrad) -> Result<Outcome> {
        let m = self.center.len();
        let c = Tensor::from_slice(&self.center, (1, 1, m), &Device::Cpu)?;
        let d2 = bids.broadcast_sub(&c)?.sqr()?.sum_keepdim(2)?; // [B, 1, 1]
        let bump = (1.0 - (d2 / (self.radius as f64).powi(2))?)?.relu()?;
        let alloc = bump.broadcast_as(bids.shape())?.contiguous()?;
        let pay = bids.narrow(2, 0, 1)?.squeeze(2)?.zeros_like()?;
        Ok(Outcome { alloc, pay })
    }
}

/// A single-bidder menu of lotteries (`regretnet_core::optimal::Menu`, such as the known
/// optimal mechanisms) as a [`Mechanism`]: the bidder receives the lottery of the offer it
/// prefers at its report and pays its price. Truthful by construction (a menu); its outcome is
/// piecewise constant, so a gradient search learns nothing from it but plots and audits can
/// evaluate it exactly.
#[derive(Debug, Clone)]
pub struct MenuMechanism {
    pub(crate) menu: regretnet_core::optimal::Menu,
    pub(crate) items: usize,
}

impl MenuMechanism {
    /// The menu over `items` items.
    pub fn new(menu: regretnet_core::optimal::Menu, items: usize) -> Self {
        MenuMechanism { menu, items }
    }
}

impl Mechanism for MenuMechanism {
    fn bidders(&self) -> usize {
        1
    }
    fn items(&self) -> usize {
        self.items
    }
    fn outcome(&self, bids: &Tensor, _: WeightGrad) -> Result<Outcome> {
        let b = bids.dim(0)?;
        let m = self.items;
        let v = bids.flatten_all()?.to_vec1::<f32>()?;
        let mut alloc = Vec::with_capacity(b * m);
        let mut pay = Vec::with_capacity(b);
        for row in v.chunks_exact(m) {
            match self.menu.choice(row) {
                Some(k) => {
                    let (price, lottery) = &self.menu.offers[k];
                    alloc.extend(lottery.iter().map(|&q| q as f32));
                    pay.push(*price as f32);
                }
                None => {
                    alloc.extend(std::iter::repeat_n(0.0, m));
                    pay.push(0.0);
                }
            }
        }
        Ok(Outcome {
            alloc: Tensor::from_vec(alloc, (b, 1, m), &Device::Cpu)?,
            pay: Tensor::from_vec(pay, (b, 1), &Device::Cpu)?,
        })
    }
}

/// A staircase of hidden steps, for calibrating audits of bidders with many items. Every bidder
/// faces the same rule alone (the others' reports do not matter): it receives every item with
/// probability `level(b) / K` and pays nothing, where `level(b)` is how many of the `K` steps,
/// taken in order from the first, its report satisfies, a step being satisfied when every item
/// it names lies in `window`. Utility at report `b` is `level(b) / K * sum_j v_j`, highest
/// (`sum_j v_j`) when every step is satisfied, so the regret at `v` is
/// `(1 - level(v) / K) * sum_j v_j` ([`Staircase::regret`]).
///
/// With one item per step, named in reverse item order (`[[9], [8], [7]]`), changing one item
/// of the truthful report climbs at most one step, and a sweep over the items in order climbs
/// one step per sweep. A step naming two items pays only when both move at once. The window is
/// narrow, so neither corners nor a few prior draws land in it. The outcome is piecewise
/// constant: a gradient gives no signal.
#[derive(Debug, Clone)]
pub struct Staircase {
    bidders: usize,
    items: usize,
    steps: Vec<Vec<usize>>,
    window: (f32, f32),
}

impl Staircase {
    /// `bidders` x `items`, the steps (each a list of items) and the window `(lo, hi)`.
    pub fn new(bidders: usize, items: usize, steps: Vec<Vec<usize>>, window: (f32, f32)) -> Self {
        Staircase {
            bidders,
            items,
            steps,
            window,
        }
    }

    /// The steps satisfied by report `b` (length `m`), counted in order from the first.
    pub fn level(&self, b: &[f32]) -> usize {
        let inside = |x: f32| self.window.0 <= x && x <= self.window.1;
        self.steps
            .iter()
            .take_while(|step| step.iter().all(|&j| inside(b[j])))
            .count()
    }

    /// The exact regret of a bidder with values `v` (length `m`) when the window lies in the
    /// support.
    pub fn regret(&self, v: &[f32]) -> f64 {
        let k = self.steps.len() as f64;
        (1.0 - self.level(v) as f64 / k) * v.iter().map(|&x| x as f64).sum::<f64>()
    }
}

impl Mechanism for Staircase {
    fn bidders(&self) -> usize {
        self.bidders
    }
    fn items(&self) -> usize {
        self.items
    }
    fn outcome(&self, bids: &Tensor, _: WeightGrad) -> Result<Outcome> {
        let (b, n, m) = bids.dims3()?;
        let k = self.steps.len().max(1) as f32;
        let v = bids.flatten_all()?.to_vec1::<f32>()?;
        let mut alloc = Vec::with_capacity(v.len());
        for report in v.chunks_exact(m) {
            let q = self.level(report) as f32 / k;
            alloc.extend(std::iter::repeat_n(q, m));
        }
        Ok(Outcome {
            alloc: Tensor::from_vec(alloc, (b, n, m), &Device::Cpu)?,
            pay: Tensor::zeros((b, n), DType::F32, &Device::Cpu)?,
        })
    }
}

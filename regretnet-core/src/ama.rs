//! Affine maximizer auctions over a menu of randomized allocations, for any number of bidders
//! and items, in `f64`: the mechanism that `[net] kind = "ama"` learns, and the exact reference
//! its network form is checked against.
//!
//! # The mechanism
//!
//! A menu of `K` entries. Entry `k` gives bidder `i` the coefficient row `A[k, i, :]` of its
//! type: the probability of each item (additive, unit demand), or, for the 2 x 2 combinatorial
//! type `(v1, v2, C)`, `(q1 + qb, q2 + qb, qb)` where `q1`, `q2` and `qb` are the
//! probabilities of item 1 alone, item 2 alone and the bundle, so that bidder `i`'s value for
//! the entry is `v_i(k) = sum_d A[k, i, d] b_i[d]`. Bidder weights `w_i > 0` and a boost
//! `lambda_k` per entry. At bids `b` the mechanism
//!
//! - chooses `k* = argmax_k S(k)`, `S(k) = sum_i w_i v_i(k) + lambda_k`, the first maximizer in
//!   menu order (the tie rule: a fixed order, so the choice is a function of the bids);
//! - charges bidder `i` the weighted VCG payment
//!   `p_i = (1 / w_i) [max_k S_{-i}(k) - S_{-i}(k*)]`, `S_{-i}(k) = S(k) - w_i v_i(k)`.
//!
//! Entry 0 is the empty allocation (every coefficient 0): it is always on the menu.
//!
//! # Truthful and individually rational for any parameters
//!
//! *Dominant-strategy IC.* Fix the others' bids `b_-i`; `S_{-i}` does not depend on bidder
//! `i`'s report. If `i` with true type `t_i` reports `r` and entry `k'` is chosen, its utility
//! times `w_i` is `w_i v_i(t_i, k') + S_{-i}(k') - max_k S_{-i}(k)`. The first two terms are the
//! affine welfare `S(k')` evaluated at the *true* type, the last does not depend on `r`. The
//! truthful report makes the mechanism choose a maximizer of exactly that welfare over all
//! entries, so no report does better; `w_i > 0` keeps the direction of the inequality. Any
//! maximizer will do, so the tie rule does not matter.
//!
//! *IR.* At a truthful report `w_i u_i = max_k S(k) - max_k S_{-i}(k) >= 0`, because
//! `S(k) >= S_{-i}(k)` for every entry when values are nonnegative (coefficients are
//! probabilities; every bundle value of our priors is nonnegative). Payments are nonnegative
//! since `k*` is one of the entries the first max runs over.
//!
//! The argument never uses what the entries, weights or boosts are: learning them keeps the
//! mechanism exactly incentive compatible. In floating point the payments are clamped to
//! `[0, v_i(k*)]`, which changes them only by rounding and makes IR exact.
//!
//! VVCA and AMA_bsym ([`crate::affine`]) are affine maximizers over the nine deterministic
//! outcomes of 2 x 2; [`AffineMenu::from_affine`] turns them into menus.
//!
//! # The item-wise block
//!
//! For additive bidders a menu may also hold an [`ItemwiseBlock`]
//! ([`AffineMenu::with_itemwise`]): all `(n + 1)^m` deterministic assignments at once, with a
//! boost that is a sum over items, maximized item by item ([`crate::ama_itemwise`]). They are
//! more outcomes of the same affine maximizer, so the proof above holds unchanged. Item-wise
//! Myerson for iid bidders is such a block, so a menu with one contains it. The block is
//! chosen only where its best welfare is strictly above every explicit entry's (the explicit
//! menu first, as the tie rule); [`MenuOutcome::entry`] is then `len()`.

use crate::affine::{AffineMaximizer, Package};
pub use crate::ama_itemwise::ItemwiseBlock;
use crate::error::ConfigError;

/// An affine maximizer over a menu (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct AffineMenu {
    bidders: usize,
    dim: usize,
    /// `[K, n, d]` coefficients, row-major; entry 0 all zero.
    entries: Vec<f64>,
    weights: Vec<f64>,
    boosts: Vec<f64>,
    itemwise: Option<ItemwiseBlock>,
}

/// The outcome of an [`AffineMenu`] at one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuOutcome {
    /// The chosen entry (`len()`: the item-wise block).
    pub entry: usize,
    /// Each bidder's reported value for it.
    pub values: Vec<f64>,
    /// Each bidder's payment.
    pub payments: Vec<f64>,
    /// Where the item-wise block is chosen, each item's owner (`n`: unsold); else empty.
    pub owners: Vec<usize>,
}

impl AffineMenu {
    /// A menu of `boosts.len()` entries for `bidders` bidders with types of `dim` values.
    /// `entries` is `[K, n, d]` row-major with entry 0 all zero; `weights` positive.
    pub fn new(
        bidders: usize,
        dim: usize,
        entries: Vec<f64>,
        weights: Vec<f64>,
        boosts: Vec<f64>,
    ) -> Result<Self, ConfigError> {
        let k = boosts.len();
        let bad = |reason: String| Err(ConfigError::invalid("ama", reason));
        if bidders == 0 || dim == 0 || k == 0 {
            return bad(format!(
                "needs bidders, type values and entries, got {bidders}, {dim}, {k}"
            ));
        }
        if entries.len() != k * bidders * dim {
            return bad(format!(
                "entries hold {} values, expected {k} x {bidders} x {dim}",
                entries.len()
            ));
        }
        if weights.len() != bidders || weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
            return bad(format!(
                "needs {bidders} positive finite bidder weights, got {weights:?}"
            ));
        }
        if entries.iter().chain(&boosts).any(|x| !x.is_finite()) {
            return bad("entries and boosts must be finite".into());
        }
        if entries.iter().any(|&x| x < 0.0) {
            return bad("entry coefficients must be nonnegative".into());
        }
        if entries[..bidders * dim].iter().any(|&x| x != 0.0) {
            return bad("entry 0 must be the empty allocation".into());
        }
        Ok(AffineMenu {
            bidders,
            dim,
            entries,
            weights,
            boosts,
            itemwise: None,
        })
    }

    /// This menu with the item-wise block `block` beside its entries (additive bidders: the
    /// block's items are the type's values).
    pub fn with_itemwise(mut self, block: ItemwiseBlock) -> Result<Self, ConfigError> {
        if block.bidders() != self.bidders || block.items() != self.dim {
            return Err(ConfigError::invalid(
                "ama",
                format!(
                    "an item-wise block for {} bidders and {} items does not fit a menu of {} \
                     bidders and {} items",
                    block.bidders(),
                    block.items(),
                    self.bidders,
                    self.dim
                ),
            ));
        }
        self.itemwise = Some(block);
        Ok(self)
    }

    /// The item-wise block, if the menu has one.
    pub fn itemwise(&self) -> Option<&ItemwiseBlock> {
        self.itemwise.as_ref()
    }

    /// The nine-outcome affine maximizer `ama` of 2 bidders and 2 items as a menu, for types of
    /// `dim` values: 2 (additive, coefficients of `(v1, v2)`) or 3 (combinatorial
    /// `(v1, v2, C)`). Its first outcome must be the empty one.
    pub fn from_affine(ama: &AffineMaximizer, dim: usize) -> Result<Self, ConfigError> {
        let row = |p: Package| -> Vec<f64> {
            let (a, b, both) = match p {
                Package::None => (0.0, 0.0, 0.0),
                Package::Item1 => (1.0, 0.0, 0.0),
                Package::Item2 => (0.0, 1.0, 0.0),
                Package::Both => (1.0, 1.0, 1.0),
            };
            if dim == 3 {
                vec![a, b, both]
            } else {
                vec![a, b]
            }
        };
        if dim != 2 && dim != 3 {
            return Err(ConfigError::invalid(
                "ama",
                format!("a 2 x 2 affine maximizer needs types of 2 or 3 values, got {dim}"),
            ));
        }
        let entries = ama
            .outcomes
            .iter()
            .flat_map(|o| o.iter().flat_map(|&p| row(p)))
            .collect();
        AffineMenu::new(2, dim, entries, ama.mu.to_vec(), ama.lambda.to_vec())
    }

    /// Number of entries, the empty one included.
    pub fn len(&self) -> usize {
        self.boosts.len()
    }

    /// Whether the menu holds only the empty entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 1
    }

    /// Number of bidders.
    pub fn bidders(&self) -> usize {
        self.bidders
    }

    /// Values in one bidder's type.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Entry `k`'s coefficients for bidder `i`.
    pub fn coefficients(&self, k: usize, i: usize) -> &[f64] {
        let at = (k * self.bidders + i) * self.dim;
        &self.entries[at..at + self.dim]
    }

    /// The bidder weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The boosts, in menu order.
    pub fn boosts(&self) -> &[f64] {
        &self.boosts
    }

    /// Bidder `i`'s value for entry `k` at bids `b` (`[n, d]` row-major).
    fn value(&self, b: &[f32], k: usize, i: usize) -> f64 {
        self.coefficients(k, i)
            .iter()
            .zip(&b[i * self.dim..(i + 1) * self.dim])
            .map(|(a, &x)| a * x as f64)
            .sum()
    }

    /// Bidder `i`'s value at its type `t` (`[n, d]` row-major, the others' entries unused) for
    /// the outcome `o` (an entry, or the block's assignment).
    pub fn true_value(&self, t: &[f32], o: &MenuOutcome, i: usize) -> f64 {
        match &self.itemwise {
            Some(block) if o.entry == self.len() => block.value(t, &o.owners, i),
            _ => self.value(t, o.entry, i),
        }
    }

    /// The chosen entry, the values and the payments at bids `b` (`[n, d]` row-major).
    pub fn outcome(&self, b: &[f32]) -> MenuOutcome {
        let (n, kk) = (self.bidders, self.len());
        let values: Vec<f64> = (0..kk)
            .flat_map(|k| (0..n).map(move |i| (k, i)))
            .map(|(k, i)| self.value(b, k, i))
            .collect();
        let v = |k: usize, i: usize| values[k * n + i];
        let score =
            |k: usize| (0..n).map(|i| self.weights[i] * v(k, i)).sum::<f64>() + self.boosts[k];
        let mut entry = 0;
        let mut best = score(0);
        for k in 1..kk {
            let s = score(k);
            if s > best {
                (entry, best) = (k, s);
            }
        }
        let block = self
            .itemwise
            .as_ref()
            .map(|blk| (blk, blk.best(b, &self.weights)));
        let mut owners = Vec::new();
        if let Some((_, choice)) = &block {
            if choice.score > best {
                (entry, owners) = (kk, choice.owners.clone());
            }
        }
        let chosen_value = |i: usize| match &block {
            Some((blk, _)) if entry == kk => blk.value(b, &owners, i),
            _ => v(entry, i),
        };
        let payments = (0..n)
            .map(|i| {
                let w = self.weights[i];
                let without = |k: usize| score(k) - w * v(k, i);
                let mut top = (0..kk).map(without).fold(f64::NEG_INFINITY, f64::max);
                let mut at = if entry < kk { without(entry) } else { 0.0 };
                if let Some((blk, choice)) = &block {
                    top = top.max(blk.best_without(b, &self.weights, i));
                    if entry == kk {
                        at = choice.score - w * chosen_value(i);
                    }
                }
                ((top - at) / w).clamp(0.0, chosen_value(i).max(0.0))
            })
            .collect();
        MenuOutcome {
            entry,
            values: (0..n).map(chosen_value).collect(),
            payments,
            owners,
        }
    }

    /// Mean revenue over `profiles` (concatenated `[n, d]` profiles).
    pub fn mean_revenue(&self, profiles: &[f32]) -> f64 {
        let len = self.bidders * self.dim;
        let count = profiles.len() / len;
        profiles
            .chunks_exact(len)
            .map(|b| self.outcome(b).payments.iter().sum::<f64>())
            .sum::<f64>()
            / count.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affine::{reference_affine_maximizers, OutcomeList};
    use crate::presets::preset;
    use crate::rng::{stream_rng, Stream};
    use rand::Rng;

    /// A random menu of `k` lotteries for `n` additive bidders and `m` items (each item's
    /// probabilities over the bidders and "unsold" sum to 1).
    fn random_menu(n: usize, m: usize, k: usize, seed: u64) -> AffineMenu {
        let mut rng = stream_rng(seed, Stream::Init);
        let mut entries = vec![0.0; n * m];
        for _ in 1..k {
            let mut e = vec![0.0; n * m];
            for j in 0..m {
                let raw: Vec<f64> = (0..=n).map(|_| rng.random::<f64>()).collect();
                let total: f64 = raw.iter().sum();
                for i in 0..n {
                    e[i * m + j] = raw[i] / total;
                }
            }
            entries.extend(e);
        }
        let weights = (0..n).map(|_| 0.5 + rng.random::<f64>()).collect();
        let boosts = (0..k).map(|_| rng.random::<f64>() - 0.5).collect();
        AffineMenu::new(n, m, entries, weights, boosts).unwrap()
    }

    #[test]
    fn the_nine_outcome_maximizers_have_the_same_revenue_as_a_menu() {
        // Independent computation: `AffineMaximizer::revenue_of_profile` (the baseline code)
        // on the same profiles, for VVCA and AMA_bsym, both lists, 2x2 and the two CA settings.
        for name in [
            "additive_2x2_uniform",
            "ca_sym_uniform_12",
            "ca_asym_uniform_12_15",
        ] {
            let setting = preset(name).unwrap().setting.build().unwrap();
            let profiles = setting.sample_profiles(&mut stream_rng(5, Stream::Test), 2000);
            for list in [OutcomeList::AsCoded, OutcomeList::Corrected] {
                for ama in reference_affine_maximizers(&setting, list) {
                    let menu = AffineMenu::from_affine(&ama, setting.type_len()).unwrap();
                    for b in profiles.chunks_exact(setting.profile_len()) {
                        let want = ama.revenue_of_profile(&setting, b);
                        let got: f64 = menu.outcome(b).payments.iter().sum();
                        assert!(
                            (want - got).abs() < 1e-12,
                            "{name} {}: {want} {got}",
                            ama.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn no_misreport_gains_and_truth_is_individually_rational() {
        // Exhaustive check of the proof: 3 bidders, 4 items, 40 entries; every bidder's
        // utility at 300 random misreports never exceeds its truthful utility (up to 1e-12),
        // and truthful utility is nonnegative.
        let (n, m) = (3, 4);
        let menu = random_menu(n, m, 40, 3);
        let mut rng = stream_rng(9, Stream::Test);
        for _ in 0..50 {
            let t: Vec<f32> = (0..n * m).map(|_| rng.random::<f32>()).collect();
            let truth = menu.outcome(&t);
            for i in 0..n {
                let u = truth.values[i] - truth.payments[i];
                assert!(u >= 0.0 && truth.payments[i] >= 0.0);
                for _ in 0..300 {
                    let mut r = t.clone();
                    for x in &mut r[i * m..(i + 1) * m] {
                        *x = rng.random::<f32>();
                    }
                    let o = menu.outcome(&r);
                    let true_value = menu.true_value(&t, &o, i);
                    assert!(true_value - o.payments[i] <= u + 1e-12);
                }
            }
        }
    }

    #[test]
    fn unit_weights_and_no_boosts_over_deterministic_entries_is_vcg() {
        // One item, two bidders, entries {none, bidder 1, bidder 2}: VCG, the second price.
        let menu = AffineMenu::new(
            2,
            1,
            vec![0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
            vec![1.0, 1.0],
            vec![0.0; 3],
        )
        .unwrap();
        let o = menu.outcome(&[0.7, 0.4]);
        assert_eq!(o.entry, 1);
        assert!((o.payments[0] - 0.4).abs() < 1e-7 && o.payments[1] == 0.0);
        // A boost 0.5 on the empty entry is a reserve: value 0.3 does not win, and the winner
        // at 0.7 against 0.2 pays max(0.5, 0.2) = 0.5.
        let mut boosted = menu.clone();
        boosted.boosts[0] = 0.5;
        assert_eq!(boosted.outcome(&[0.3, 0.1]).entry, 0);
        assert!((boosted.outcome(&[0.7, 0.2]).payments[0] - 0.5).abs() < 1e-7);
        // Ties go to the first entry in menu order.
        assert_eq!(menu.outcome(&[0.5, 0.5]).entry, 1);
    }

    #[test]
    fn bad_menus_are_refused_with_the_problem_named() {
        let err = |r: Result<AffineMenu, ConfigError>| r.unwrap_err().to_string();
        assert!(err(AffineMenu::new(
            1,
            1,
            vec![0.0, 1.0],
            vec![0.0],
            vec![0.0; 2]
        ))
        .contains("positive"));
        assert!(err(AffineMenu::new(
            1,
            1,
            vec![1.0, 1.0],
            vec![1.0],
            vec![0.0; 2]
        ))
        .contains("empty"));
        assert!(
            err(AffineMenu::new(1, 1, vec![0.0], vec![1.0], vec![0.0; 2])).contains("expected")
        );
        assert!(err(AffineMenu::new(
            1,
            1,
            vec![0.0, -0.1],
            vec![1.0],
            vec![0.0; 2]
        ))
        .contains("nonnegative"));
    }
}

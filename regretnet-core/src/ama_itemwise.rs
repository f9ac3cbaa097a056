//! The item-wise block of an affine maximizer: every deterministic assignment of the items to
//! additive bidders as one more part of the menu, with a boost that is a sum over items.
//!
//! # The block
//!
//! An assignment `o` gives item `j` to bidder `o_j` in `0..n`, or leaves it unsold
//! (`o_j = n`). Its boost is `lambda(o) = sum_j beta[j, o_j]` for a table `beta` of
//! `[m, n + 1]`. For additive bidders its affine welfare is a sum over items,
//! `S(o) = sum_j s_j(o_j)` with `s_j(i) = w_i b_ij + beta[j, i]` and `s_j(n) = beta[j, n]`,
//! so the best of the `(n + 1)^m` assignments is found item by item:
//! `max_o S(o) = sum_j max_i s_j(i)`. The welfare without bidder `i` factorizes the same way,
//! `S_{-i}(o) = sum_j s_j^{-i}(o_j)` with `s_j^{-i}(i) = beta[j, i]` and `s_j^{-i}(k) = s_j(k)`
//! otherwise. The block adds outcomes to an [`crate::ama::AffineMenu`]: the mechanism over the
//! explicit entries and the block together is still an affine maximizer over one finite set of
//! outcomes, so the proof of incentive compatibility and IR in [`crate::ama`] covers it.
//!
//! # Item-wise Myerson is a block
//!
//! With unit weights, `beta[j, i] = -r_j` for every bidder and `beta[j, n] = 0`, each item goes
//! to the highest bid at or above the reserve `r_j`, at the larger of the reserve and the
//! second bid: the second-price auction with reserve, Myerson's optimal auction for iid regular
//! bidders when `r_j` is the value where the virtual value crosses zero (1/2 for U[0, 1]).
//! So a menu made of the block alone, with those parameters, is item-wise Myerson, and learned
//! entries beside it can only be chosen where their affine welfare beats it.
//!
//! # Ties
//!
//! Within an item the first maximizer in the order bidder 0, ..., bidder n-1, unsold.

/// The boosts of the item-wise block (module docs): `[m, n + 1]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemwiseBlock {
    bidders: usize,
    items: usize,
    beta: Vec<f64>,
}

/// The block's best assignment at some bids: its affine welfare and each item's owner (`n`:
/// unsold).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockChoice {
    /// `max_o S(o)`.
    pub score: f64,
    /// The maximizing assignment, item by item.
    pub owners: Vec<usize>,
}

impl ItemwiseBlock {
    /// The block of `beta` (`[m, n + 1]` row-major, finite), or why not.
    pub fn new(bidders: usize, items: usize, beta: Vec<f64>) -> Result<Self, String> {
        if bidders == 0 || items == 0 {
            return Err(format!(
                "the item-wise block needs bidders and items, got {bidders} and {items}"
            ));
        }
        if beta.len() != items * (bidders + 1) {
            return Err(format!(
                "the item-wise boosts hold {} values, expected {items} x {}",
                beta.len(),
                bidders + 1
            ));
        }
        if beta.iter().any(|x| !x.is_finite()) {
            return Err("the item-wise boosts must be finite".into());
        }
        Ok(ItemwiseBlock {
            bidders,
            items,
            beta,
        })
    }

    /// Item-wise Myerson for iid bidders (module docs): unit weights, reserve `reserves[j]` on
    /// item `j`.
    pub fn second_price_with_reserves(bidders: usize, reserves: &[f64]) -> Result<Self, String> {
        let beta = reserves
            .iter()
            .flat_map(|&r| (0..=bidders).map(move |i| if i < bidders { -r } else { 0.0 }))
            .collect();
        ItemwiseBlock::new(bidders, reserves.len(), beta)
    }

    /// Number of bidders.
    pub fn bidders(&self) -> usize {
        self.bidders
    }

    /// Number of items.
    pub fn items(&self) -> usize {
        self.items
    }

    /// The boosts, `[m, n + 1]` row-major.
    pub fn boosts(&self) -> &[f64] {
        &self.beta
    }

    /// `s_j(k)` at bids `b` (`[n, m]` row-major) and weights `w`.
    fn term(&self, b: &[f32], w: &[f64], j: usize, k: usize) -> f64 {
        let beta = self.beta[j * (self.bidders + 1) + k];
        if k < self.bidders {
            w[k] * b[k * self.items + j] as f64 + beta
        } else {
            beta
        }
    }

    /// The best assignment at bids `b` with weights `w` (ties: module docs).
    pub fn best(&self, b: &[f32], w: &[f64]) -> BlockChoice {
        let mut score = 0.0;
        let owners = (0..self.items)
            .map(|j| {
                let mut owner = 0;
                let mut top = self.term(b, w, j, 0);
                for k in 1..=self.bidders {
                    let s = self.term(b, w, j, k);
                    if s > top {
                        (owner, top) = (k, s);
                    }
                }
                score += top;
                owner
            })
            .collect();
        BlockChoice { score, owners }
    }

    /// `max_o S_{-i}(o)`: the best welfare of the others over the block.
    pub fn best_without(&self, b: &[f32], w: &[f64], i: usize) -> f64 {
        (0..self.items)
            .map(|j| {
                (0..=self.bidders)
                    .map(|k| {
                        if k == i {
                            self.beta[j * (self.bidders + 1) + i]
                        } else {
                            self.term(b, w, j, k)
                        }
                    })
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .sum()
    }

    /// Bidder `i`'s value `sum_j [o_j = i] b_ij` of the assignment `owners`.
    pub fn value(&self, b: &[f32], owners: &[usize], i: usize) -> f64 {
        owners
            .iter()
            .enumerate()
            .filter(|&(_, &o)| o == i)
            .map(|(j, _)| b[i * self.items + j] as f64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ama::AffineMenu;
    use crate::baselines::itemwise_myerson;
    use crate::presets::preset;
    use crate::rng::{stream_rng, Stream};
    use rand::Rng;

    /// A random block and a few random lottery entries for `n` bidders and `m` items.
    fn random(n: usize, m: usize, entries: usize, seed: u64) -> AffineMenu {
        let mut rng = stream_rng(seed, Stream::Init);
        let mut coefficients = vec![0.0; n * m];
        for _ in 0..entries {
            for _ in 0..m {
                let raw: Vec<f64> = (0..=n).map(|_| rng.random::<f64>().powi(3)).collect();
                let total: f64 = raw.iter().sum();
                coefficients.extend(raw[..n].iter().map(|r| r / total));
            }
        }
        // The loop above fills [entry, item, bidder]; the menu wants [entry, bidder, item].
        let mut laid = vec![0.0; coefficients.len()];
        for k in 0..=entries {
            for j in 0..m {
                for i in 0..n {
                    laid[(k * n + i) * m + j] = coefficients[(k * m + j) * n + i];
                }
            }
        }
        let weights: Vec<f64> = (0..n).map(|_| 0.6 + 0.8 * rng.random::<f64>()).collect();
        let boosts: Vec<f64> = (0..=entries)
            .map(|k| {
                if k == 0 {
                    0.0
                } else {
                    0.5 + 1.0 * rng.random::<f64>()
                }
            })
            .collect();
        let beta = (0..m * (n + 1))
            .map(|_| rng.random::<f64>() - 0.5)
            .collect();
        AffineMenu::new(n, m, laid, weights, boosts)
            .unwrap()
            .with_itemwise(ItemwiseBlock::new(n, m, beta).unwrap())
            .unwrap()
    }

    /// The same mechanism with the block written out as `(n + 1)^m` explicit entries after
    /// the explicit ones (the block's ties then go to the first assignment in this order,
    /// which only matters at measure-zero ties).
    fn enumerated(menu: &AffineMenu) -> AffineMenu {
        let block = menu.itemwise().unwrap();
        let (n, m) = (block.bidders(), block.items());
        let mut entries: Vec<f64> = (0..menu.len())
            .flat_map(|k| (0..n).flat_map(move |i| menu.coefficients(k, i).to_vec()))
            .collect();
        let mut boosts = menu.boosts().to_vec();
        let count = (n + 1).pow(m as u32);
        for code in 0..count {
            let owners: Vec<usize> = (0..m)
                .map(|j| code / (n + 1).pow(j as u32) % (n + 1))
                .collect();
            for i in 0..n {
                entries.extend(owners.iter().map(|&o| if o == i { 1.0 } else { 0.0 }));
            }
            boosts.push(
                owners
                    .iter()
                    .enumerate()
                    .map(|(j, &o)| block.boosts()[j * (n + 1) + o])
                    .sum(),
            );
        }
        AffineMenu::new(n, m, entries, menu.weights().to_vec(), boosts).unwrap()
    }

    #[test]
    fn the_factorized_block_is_the_enumerated_menu() {
        // Independent computation: the same outcomes listed one by one ((n + 1)^m = 81
        // assignments for 2 bidders and 4 items, 64 for 3 bidders and 3 items) through the
        // plain menu's argmax and payments. The same payments to 1e-12 on 500 profiles, and the
        // same values; both choose the block on some profiles and an entry on others.
        for (n, m, seed) in [(2, 4, 1), (3, 3, 2)] {
            let menu = random(n, m, 6, seed);
            let flat = enumerated(&menu);
            let mut rng = stream_rng(seed, Stream::Test);
            let mut block_chosen = 0;
            for _ in 0..500 {
                let b: Vec<f32> = (0..n * m).map(|_| rng.random::<f32>()).collect();
                let (got, want) = (menu.outcome(&b), flat.outcome(&b));
                if got.entry == menu.len() {
                    block_chosen += 1;
                    assert!(want.entry >= menu.len());
                } else {
                    assert_eq!(got.entry, want.entry);
                }
                for i in 0..n {
                    assert!((got.payments[i] - want.payments[i]).abs() < 1e-12);
                    assert!((got.values[i] - want.values[i]).abs() < 1e-12);
                }
            }
            assert!(
                (50..450).contains(&block_chosen),
                "the block is chosen on {block_chosen} of 500"
            );
        }
    }

    #[test]
    fn second_price_with_reserves_is_itemwise_myerson() {
        // Independent computation: `baselines::itemwise_myerson` (virtual values of the
        // uniform boxes) on the same profiles: 3x1, 2x2, 2x5 and 3x10 U[0, 1], reserve 1/2.
        for name in [
            "additive_3x1_uniform",
            "additive_2x2_uniform",
            "additive_2x5_uniform",
            "additive_3x10_uniform",
        ] {
            let reserve = 0.5;
            let setting = preset(name).unwrap().setting.build().unwrap();
            let (n, m) = (setting.bidders, setting.items);
            let block = ItemwiseBlock::second_price_with_reserves(n, &vec![reserve; m]).unwrap();
            let menu = AffineMenu::new(n, m, vec![0.0; n * m], vec![1.0; n], vec![0.0])
                .unwrap()
                .with_itemwise(block)
                .unwrap();
            let profiles = setting.sample_profiles(&mut stream_rng(3, Stream::Test), 2000);
            for b in profiles.chunks_exact(n * m) {
                let want = itemwise_myerson(&setting, b).unwrap();
                let got: f64 = menu.outcome(b).payments.iter().sum();
                assert!((want - got).abs() < 1e-9, "{name}: {want} vs {got}");
            }
        }
    }

    #[test]
    fn no_misreport_gains_against_the_block_and_truth_is_ir() {
        // The proof at float level: 3 bidders, 4 items, a block and 8 entries; 300 random
        // misreports per bidder and profile never gain more than 1e-12.
        let (n, m) = (3, 4);
        let menu = random(n, m, 8, 4);
        let mut rng = stream_rng(10, Stream::Test);
        for _ in 0..50 {
            let t: Vec<f32> = (0..n * m).map(|_| rng.random::<f32>()).collect();
            let truth = menu.outcome(&t);
            for i in 0..n {
                let u = truth.values[i] - truth.payments[i];
                assert!(u >= -1e-12 && truth.payments[i] >= 0.0);
                for _ in 0..300 {
                    let mut r = t.clone();
                    for x in &mut r[i * m..(i + 1) * m] {
                        *x = rng.random::<f32>();
                    }
                    let o = menu.outcome(&r);
                    assert!(menu.true_value(&t, &o, i) - o.payments[i] <= u + 1e-12);
                }
            }
        }
    }

    #[test]
    fn bad_blocks_are_refused() {
        assert!(ItemwiseBlock::new(2, 2, vec![0.0; 5])
            .unwrap_err()
            .contains("expected 2 x 3"));
        assert!(ItemwiseBlock::new(1, 1, vec![f64::NAN, 0.0])
            .unwrap_err()
            .contains("finite"));
        let menu = AffineMenu::new(2, 3, vec![0.0; 6], vec![1.0; 2], vec![0.0]).unwrap();
        let wrong = ItemwiseBlock::new(2, 2, vec![0.0; 6]).unwrap();
        assert!(menu
            .with_itemwise(wrong)
            .unwrap_err()
            .to_string()
            .contains("2 bidders and 3 items"));
    }
}

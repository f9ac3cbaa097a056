//! Which entries of a learned affine maximizer's menu the mechanism uses, and what they sell:
//! on a sample of profiles, how often each entry is chosen, the revenue it brings when it is,
//! and its allocation (per bidder, the probability of each item; for combinatorial bidders the
//! coefficients of `(v1, v2, C)`: the chances of item 1 and item 2 and of the bundle's
//! complementarity term).
//!
//! A menu with the item-wise block ([`regretnet_core::ama_itemwise`]) lists the block as one
//! more entry, the last index (`entries - 1`): its share and revenue as for an entry, boost 0
//! (its boosts, one per item and owner, are [`MenuUsage::itemwise_boosts`]) and as allocation
//! the mean of its assignments over the profiles where it is chosen.
//!
//! `regretnet eval` adds this to the report of every AMA ([`EvalReport::menu`], on the test
//! sample), `regretnet plot` draws it and `report.html` lists it.
//!
//! [`EvalReport::menu`]: crate::eval::EvalReport::menu

use regretnet_core::ama::AffineMenu;
use regretnet_core::{Setting, ValuationKind};
use serde::{Deserialize, Serialize};

/// Entries the report lists (the most chosen first).
pub const TOP_ENTRIES: usize = 12;

/// One menu entry and how the mechanism used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryUse {
    /// The entry's index in the menu (0: the empty allocation).
    pub entry: usize,
    /// Share of the profiles at which it is chosen.
    pub share: f64,
    /// Mean revenue at the profiles where it is chosen.
    pub revenue: f64,
    /// Its boost.
    pub boost: f64,
    /// Its coefficients `[n, d]` row-major: bidder `i`'s value for it is `sum_d a[i, d] b[i, d]`.
    pub alloc: Vec<f64>,
}

/// How the mechanism used its menu on a sample of profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MenuUsage {
    /// Profiles in the sample.
    pub profiles: usize,
    /// Entries in the menu, the empty one included.
    pub entries: usize,
    /// Entries chosen at least once.
    pub used: usize,
    /// Fewest entries that cover half of the profiles, and 90% of them.
    pub cover: [usize; 2],
    /// The bidder weights.
    pub weights: Vec<f64>,
    /// Bidders.
    pub bidders: usize,
    /// Names of the `d` columns of each bidder's coefficients.
    pub columns: Vec<String>,
    /// The most chosen entries (at most [`TOP_ENTRIES`]), most chosen first.
    pub top: Vec<EntryUse>,
    /// The item-wise block's boosts `[m, n + 1]` (column `n`: unsold), if the menu has it; the
    /// block is then entry `entries - 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itemwise_boosts: Option<Vec<f64>>,
}

/// The column names of a bidder's coefficients in `setting`.
pub fn column_names(setting: &Setting) -> Vec<String> {
    match setting.valuation {
        ValuationKind::Combinatorial => vec!["item 1".into(), "item 2".into(), "bundle C".into()],
        _ => (1..=setting.items).map(|j| format!("item {j}")).collect(),
    }
}

/// How `menu` is used on `profiles` (concatenated `[n, d]` profiles), with `columns` naming the
/// coefficients ([`column_names`]); the `top` most chosen entries are listed (ties: the lower
/// index first).
pub fn menu_usage(
    menu: &AffineMenu,
    profiles: &[f32],
    columns: Vec<String>,
    top: usize,
) -> MenuUsage {
    let (n, d) = (menu.bidders(), menu.dim());
    let len = n * d;
    let count = profiles.len() / len.max(1);
    let entries = menu.len() + usize::from(menu.itemwise().is_some());
    let mut chosen = vec![0usize; entries];
    let mut revenue = vec![0f64; entries];
    // The block's assignments, summed over the profiles where it is chosen: [n, d].
    let mut block_alloc = vec![0f64; len];
    for b in profiles.chunks_exact(len) {
        let out = menu.outcome(b);
        chosen[out.entry] += 1;
        revenue[out.entry] += out.payments.iter().sum::<f64>();
        for (j, &o) in out.owners.iter().enumerate() {
            if o < n {
                block_alloc[o * d + j] += 1.0;
            }
        }
    }
    let alloc_of = |k: usize| -> Vec<f64> {
        if k == menu.len() {
            block_alloc
                .iter()
                .map(|x| x / chosen[k].max(1) as f64)
                .collect()
        } else {
            (0..n)
                .flat_map(|i| menu.coefficients(k, i).to_vec())
                .collect()
        }
    };
    let mut order: Vec<usize> = (0..entries).collect();
    order.sort_by(|&a, &b| chosen[b].cmp(&chosen[a]).then(a.cmp(&b)));
    let cover = |share: f64| {
        let need = (share * count as f64).ceil() as usize;
        let mut sum = 0;
        order
            .iter()
            .position(|&k| {
                sum += chosen[k];
                sum >= need
            })
            .map_or(0, |p| p + 1)
    };
    MenuUsage {
        profiles: count,
        entries,
        used: chosen.iter().filter(|&&c| c > 0).count(),
        cover: [cover(0.5), cover(0.9)],
        weights: menu.weights().to_vec(),
        bidders: n,
        columns,
        top: order
            .iter()
            .take(top)
            .filter(|&&k| chosen[k] > 0)
            .map(|&k| EntryUse {
                entry: k,
                share: chosen[k] as f64 / count.max(1) as f64,
                revenue: revenue[k] / chosen[k] as f64,
                boost: menu.boosts().get(k).copied().unwrap_or(0.0),
                alloc: alloc_of(k),
            })
            .collect(),
        itemwise_boosts: menu.itemwise().map(|b| b.boosts().to_vec()),
    }
}

impl MenuUsage {
    /// The entries as text lines: share, revenue when chosen, boost, and per bidder the
    /// coefficients (what `regretnet eval` prints).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "menu         {} entries (the empty one included), {} chosen on the {} profiles; \
             {} cover half of them, {} cover 90%; bidder weights {}\n",
            self.entries,
            self.used,
            self.profiles,
            self.cover[0],
            self.cover[1],
            self.weights
                .iter()
                .map(|w| format!("{w:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        s += &format!(
            "  {:>6} {:>7} {:>8} {:>8}  per bidder: {}\n",
            "entry",
            "share",
            "revenue",
            "boost",
            self.columns.join(", ")
        );
        let d = self.columns.len();
        let block = self.itemwise_boosts.as_ref().map(|_| self.entries - 1);
        for e in &self.top {
            let bidders: Vec<String> = e
                .alloc
                .chunks(d.max(1))
                .map(|row| {
                    row.iter()
                        .map(|a| format!("{a:.2}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let name = if Some(e.entry) == block {
                "block".to_string()
            } else {
                e.entry.to_string()
            };
            s += &format!(
                "  {:>6} {:>6.1}% {:>8.4} {:>8.3}  {}\n",
                name,
                100.0 * e.share,
                e.revenue,
                e.boost,
                bidders.join(" | ")
            );
        }
        if let (Some(beta), Some(_)) = (&self.itemwise_boosts, block) {
            s += &format!(
                "  block: every assignment of the items, boost per item and owner (bidders \
                 1..{}, then unsold): {}\n",
                self.bidders,
                beta.chunks(self.bidders + 1)
                    .map(|r| r
                        .iter()
                        .map(|x| format!("{x:.3}"))
                        .collect::<Vec<_>>()
                        .join(" "))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regretnet_core::presets::preset;

    #[test]
    fn usage_counts_each_choice_and_matches_the_menu_revenue() {
        // A 1 x 2 menu with two lotteries beside the empty entry, unit weight: at bids b the
        // mechanism picks argmax(0, b1 + b2 - 1.2, 0.5 b1 - 0.2); the shares, the revenue when
        // chosen (the boost's negative: a single bidder pays -boost) and the overall revenue
        // are checked against a direct count on the same profiles.
        let menu = AffineMenu::new(
            1,
            2,
            vec![0.0, 0.0, 1.0, 1.0, 0.5, 0.0],
            vec![1.0],
            vec![0.0, -1.2, -0.2],
        )
        .unwrap();
        let setting = preset("additive_1x2_uniform")
            .unwrap()
            .setting
            .build()
            .unwrap();
        let profiles = setting.sample_profiles(
            &mut regretnet_core::rng::stream_rng(3, regretnet_core::rng::Stream::Test),
            4_000,
        );
        let u = menu_usage(&menu, &profiles, column_names(&setting), 5);
        let mut want = [0usize; 3];
        for b in profiles.chunks_exact(2) {
            let s = [0.0, (b[0] + b[1]) as f64 - 1.2, 0.5 * b[0] as f64 - 0.2];
            let k = (0..3).fold(0, |best, k| if s[k] > s[best] { k } else { best });
            want[k] += 1;
        }
        assert_eq!(u.profiles, 4_000);
        assert_eq!(u.entries, 3);
        assert_eq!(u.used, want.iter().filter(|&&c| c > 0).count());
        assert_eq!(
            u.top.iter().map(|e| e.share * 4_000.0).sum::<f64>().round(),
            4_000.0
        );
        for e in &u.top {
            assert_eq!(
                (e.share * 4_000.0).round() as usize,
                want[e.entry],
                "{}",
                e.entry
            );
            // One bidder, weight 1: the payment is minus the chosen entry's boost.
            assert!((e.revenue + e.boost).abs() < 1e-9, "{e:?}");
        }
        assert!(u.top.windows(2).all(|w| w[0].share >= w[1].share));
        let mean: f64 = u.top.iter().map(|e| e.share * e.revenue).sum();
        assert!((mean - menu.mean_revenue(&profiles)).abs() < 1e-9);
        assert_eq!(u.top[0].alloc.len(), 2);
        assert!(u.cover[0] <= u.cover[1] && u.cover[1] <= u.used);
        let text = u.to_text();
        assert!(
            text.contains("3 entries") && text.contains("item 1, item 2"),
            "{text}"
        );
        assert!(u.itemwise_boosts.is_none() && !text.contains("block"));
    }

    #[test]
    fn the_itemwise_block_is_listed_as_the_last_entry() {
        // Item-wise Myerson (the block at reserve 1/2) beside one entry, "both items to
        // bidder 1 at boost -1.3", for 2 bidders and 2 items. Counted directly on the same
        // profiles: the entry is chosen where `b11 + b12 - 1.3` beats the block's best
        // `sum_j max(0, max_i b_ij - 1/2)`; the block's mean allocation is each item's share
        // of wins among the profiles where the block is chosen.
        let setting = preset("additive_2x2_uniform")
            .unwrap()
            .setting
            .build()
            .unwrap();
        let block =
            regretnet_core::ama::ItemwiseBlock::second_price_with_reserves(2, &[0.5, 0.5]).unwrap();
        let menu = AffineMenu::new(
            2,
            2,
            vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
            vec![1.0, 1.0],
            vec![0.0, -1.3],
        )
        .unwrap()
        .with_itemwise(block)
        .unwrap();
        let profiles = setting.sample_profiles(
            &mut regretnet_core::rng::stream_rng(4, regretnet_core::rng::Stream::Test),
            4_000,
        );
        let u = menu_usage(&menu, &profiles, column_names(&setting), 5);
        assert_eq!(u.entries, 3);
        let (mut bundle, mut in_block, mut wins_11) = (0usize, 0usize, 0usize);
        for b in profiles.chunks_exact(4) {
            let best: f64 = (0..2)
                .map(|j| (0.0f64).max(b[j] as f64 - 0.5).max(b[2 + j] as f64 - 0.5))
                .sum();
            let entry = (b[0] + b[1]) as f64 - 1.3;
            if entry.max(0.0) >= best {
                bundle += usize::from(entry > 0.0);
            } else {
                in_block += 1;
                wins_11 += usize::from(b[0] >= 0.5 && b[0] >= b[2]);
            }
        }
        let share = |k: usize| {
            u.top
                .iter()
                .find(|e| e.entry == k)
                .map_or(0.0, |e| e.share * 4_000.0)
                .round() as usize
        };
        assert_eq!(share(1), bundle);
        assert_eq!(share(2), in_block);
        let block_use = u.top.iter().find(|e| e.entry == 2).unwrap();
        assert!((block_use.alloc[0] - wins_11 as f64 / in_block as f64).abs() < 1e-12);
        assert_eq!(block_use.boost, 0.0);
        assert_eq!(u.itemwise_boosts.as_ref().unwrap().len(), 6);
        let mean: f64 = u.top.iter().map(|e| e.share * e.revenue).sum();
        assert!((mean - menu.mean_revenue(&profiles)).abs() < 1e-9);
        let text = u.to_text();
        assert!(text.contains("block") && text.contains("-0.500"), "{text}");
    }
}

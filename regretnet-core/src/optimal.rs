//! Known optimal mechanisms, evaluated on the same sample as a learned one.
//!
//! For one bidder with additive values `U[0,1]^2`, the optimal mechanism (Manelli and Vincent
//! 2006; `docs/PAPER.md`, "Settings") is a menu:
//! each item at 2/3, or the bundle at (4 - sqrt 2)/3. Its expected revenue is 0.5492.

use crate::prior::Prior;
use crate::setting::{Setting, ValuationKind};

/// A menu of (price, lottery) offers for a single bidder; the bidder takes the offer of highest
/// utility if that utility is non-negative (ties go to the more expensive offer, the usual
/// revenue-favouring convention). For a unit-demand bidder every lottery's probabilities sum
/// to at most 1, so its value is linear in the item values as for an additive one.
#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    /// `(price, lottery)` pairs, `lottery[j]` the probability of receiving item `j`.
    pub offers: Vec<(f64, Vec<f64>)>,
}

fn bundle(items: &[bool]) -> Vec<f64> {
    items.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect()
}

impl Menu {
    /// The Manelli-Vincent mechanism for 2 items with values `U[0,1]`.
    pub fn manelli_vincent() -> Self {
        Menu {
            offers: vec![
                (2.0 / 3.0, bundle(&[true, false])),
                (2.0 / 3.0, bundle(&[false, true])),
                ((4.0 - 2f64.sqrt()) / 3.0, bundle(&[true, true])),
            ],
        }
    }

    /// The offer a bidder with values `v` takes (index into `offers`), `None` when it buys
    /// nothing.
    pub fn choice(&self, v: &[f32]) -> Option<usize> {
        let mut best: (f64, f64, Option<usize>) = (0.0, 0.0, None); // (utility, price, offer)
        for (k, (price, lottery)) in self.offers.iter().enumerate() {
            let value: f64 = v.iter().zip(lottery).map(|(&x, &q)| x as f64 * q).sum();
            let u = value - price;
            if u > best.0 || (u == best.0 && u >= 0.0 && *price > best.1) {
                best = (u, *price, Some(k));
            }
        }
        best.2
    }

    /// The price paid by a bidder with values `v` (0 when it buys nothing).
    pub fn revenue(&self, v: &[f32]) -> f64 {
        self.choice(v).map_or(0.0, |k| self.offers[k].0)
    }
}

impl Menu {
    /// The optimal mechanism for 2 additive items with values uniform on the triangle
    /// `v1 + v2 <= 1`: the bundle at `sqrt(1/3)` (`docs/PAPER.md`). It sells when
    /// `v1 + v2 >= p`, which has probability `1 - p^2`, so it earns `p (1 - p^2) = 2 / (3 sqrt 3)
    /// = 0.3849`.
    pub fn triangle_bundle() -> Self {
        Menu {
            offers: vec![((1.0f64 / 3.0).sqrt(), bundle(&[true, true]))],
        }
    }
}

impl Menu {
    /// The optimal mechanism for one unit-demand bidder with 2 items `U[0,1]` (Pavlov 2011;
    /// `docs/PAPER.md`): each item at `1/sqrt(3)`. It sells when `max(v1, v2) >= p`, with
    /// probability `1 - p^2`, earning `p (1 - p^2) = 0.3849`. (With single-item offers only, a
    /// menu's choice is the same for additive and unit-demand bidders.)
    pub fn pavlov_unit_demand() -> Self {
        let p = (1.0f64 / 3.0).sqrt();
        Menu {
            offers: vec![(p, bundle(&[true, false])), (p, bundle(&[false, true]))],
        }
    }

    /// The optimal mechanism for one additive bidder with `v1 ~ U[4,16]`, `v2 ~ U[4,7]`
    /// (Daskalakis, Deckelbaum and Tzamos 2017), as the reference implementation codes it
    /// (`docs/PAPER.md`: "v1 > 8: bundle at 12; v1 <= 8 and v2 > 8 - v1/2: pay 8"): the
    /// bundle at 12, or item 2 plus item 1 with probability 1/2 at 8. The lottery's utility
    /// `v1/2 + v2 - 8` beats the bundle's `v1 + v2 - 12` exactly when `v1 < 8`, and is
    /// non-negative exactly when `v2 >= 8 - v1/2`. Expected revenue 9.778.
    pub fn daskalakis_416_47() -> Self {
        Menu {
            offers: vec![(8.0, vec![0.5, 1.0]), (12.0, bundle(&[true, true]))],
        }
    }

    /// The optimal mechanism for one unit-demand bidder with 2 items `U[2,3]` (Pavlov 2011),
    /// as the reference implementation codes it: with `t = 4/3 + sqrt(4 + 3/2)/3`, each item at
    /// `t + 1/6`, or a fair lottery between the items at `t`. The item beats the lottery when
    /// its value exceeds the other's by more than 1/3; the lottery sells when
    /// `v1 + v2 >= 2t`. Expected revenue about 2.13.
    pub fn pavlov_unit_demand_23() -> Self {
        let t = 4.0 / 3.0 + (4.0f64 + 1.5).sqrt() / 3.0;
        Menu {
            offers: vec![
                (t + 1.0 / 6.0, bundle(&[true, false])),
                (t + 1.0 / 6.0, bundle(&[false, true])),
                (t, vec![0.5, 0.5]),
            ],
        }
    }
}

/// The known optimal mechanism of `setting`, when one is implemented here.
pub fn known_optimum(setting: &Setting) -> Option<Menu> {
    if setting.bidders != 1 || setting.items != 2 {
        return None;
    }
    let bounds = |b: &crate::prior::UniformBox| -> Vec<(f64, f64)> {
        (0..setting.items)
            .map(|j| (b.lo(0, j), b.hi(0, j)))
            .collect()
    };
    match (&setting.prior, setting.valuation) {
        (Prior::UniformBox(b), ValuationKind::Additive) => match bounds(b).as_slice() {
            [(0.0, 1.0), (0.0, 1.0)] => Some(Menu::manelli_vincent()),
            [(4.0, 16.0), (4.0, 7.0)] => Some(Menu::daskalakis_416_47()),
            _ => None,
        },
        (Prior::UniformBox(b), ValuationKind::UnitDemand) => match bounds(b).as_slice() {
            [(0.0, 1.0), (0.0, 1.0)] => Some(Menu::pavlov_unit_demand()),
            [(2.0, 3.0), (2.0, 3.0)] => Some(Menu::pavlov_unit_demand_23()),
            _ => None,
        },
        (Prior::Triangle(_), ValuationKind::Additive) => Some(Menu::triangle_bundle()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use crate::rng::{stream_rng, Stream};

    /// The preset's known optimum and its Monte Carlo revenue on 400,000 prior draws.
    fn monte_carlo(name: &str) -> (Menu, f64) {
        let setting = preset(name).unwrap().setting.build().unwrap();
        let menu = known_optimum(&setting).unwrap();
        let draws = 400_000;
        let profiles = setting.sample_profiles(&mut stream_rng(9, Stream::Test), draws);
        let total: f64 = profiles.chunks_exact(2).map(|v| menu.revenue(v)).sum();
        (menu, total / draws as f64)
    }

    #[test]
    fn manelli_vincent_revenue_matches_the_closed_form() {
        // Closed form of the menu's expected revenue under U[0,1]^2, integrated by hand over its
        // regions: 0.5492 (docs/PAPER.md). Monte Carlo on 400,000 draws, SE < 0.0006.
        let (menu, mean) = monte_carlo("additive_1x2_uniform");
        assert!((mean - 0.5492).abs() < 0.002, "{mean}");
        // Spot checks of the menu itself.
        assert_eq!(menu.revenue(&[0.1, 0.2]), 0.0);
        assert!((menu.revenue(&[0.9, 0.1]) - 2.0 / 3.0).abs() < 1e-12);
        assert!((menu.revenue(&[0.6, 0.6]) - (4.0 - 2f64.sqrt()) / 3.0).abs() < 1e-12);
        let other = preset("additive_1x2_uniform_04_03")
            .unwrap()
            .setting
            .build()
            .unwrap();
        assert!(known_optimum(&other).is_none());
    }

    #[test]
    fn the_416_47_menu_earns_the_published_revenue() {
        // docs/PAPER.md: 9.778 (test-sample value 9.781; SE of revenue on 10,000 profiles
        // about 0.038, so 400,000 draws give about 0.006).
        let (menu, mean) = monte_carlo("additive_1x2_uniform_416_47");
        assert!((mean - 9.778).abs() < 0.02, "{mean}");
        // The reference's coded regions.
        assert_eq!(menu.revenue(&[5.0, 4.0]), 0.0);
        assert_eq!(menu.revenue(&[6.0, 5.5]), 8.0);
        assert_eq!(menu.revenue(&[9.0, 4.5]), 12.0);
    }

    #[test]
    fn the_unit_demand_23_menu_earns_the_published_revenue() {
        // docs/PAPER.md: Pavlov's optimum for U[2,3] is about 2.133-2.137 (SE of 400,000
        // draws below 0.001). Regions as the reference codes them.
        let (menu, mean) = monte_carlo("unit_1x2_uniform_23");
        assert!((2.128..=2.142).contains(&mean), "{mean}");
        let t = 4.0 / 3.0 + 5.5f64.sqrt() / 3.0;
        assert_eq!(menu.revenue(&[2.05, 2.1]), 0.0);
        assert!((menu.revenue(&[2.95, 2.1]) - (t + 1.0 / 6.0)).abs() < 1e-12);
        assert!((menu.revenue(&[2.9, 2.8]) - t).abs() < 1e-12);
    }

    #[test]
    fn the_triangle_bundle_earns_its_closed_form() {
        // p (1 - p^2) at p = sqrt(1/3): 2 / (3 sqrt 3) = 0.38490 (docs/PAPER.md: 0.3849).
        // Monte Carlo on 400,000 draws from the triangle prior: SE < 0.0005.
        let (menu, mean) = monte_carlo("additive_1x2_uniform_triangle");
        let exact = 2.0 / (3.0 * 3f64.sqrt());
        assert!((exact - 0.3849).abs() < 5e-5);
        assert!((mean - exact).abs() < 0.002, "{mean} vs {exact}");
        assert_eq!(menu.revenue(&[0.2, 0.3]), 0.0);
        assert!((menu.revenue(&[0.5, 0.4]) - (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn pavlov_posted_prices_earn_their_closed_form() {
        // p (1 - p^2) at p = 1/sqrt(3): 0.3849 (docs/PAPER.md). Monte Carlo, SE < 0.0008.
        let (menu, mean) = monte_carlo("unit_1x2_uniform");
        assert!((mean - 2.0 / (3.0 * 3f64.sqrt())).abs() < 0.003, "{mean}");
        // A unit-demand bidder buys the item with the larger surplus, and only one.
        assert!((menu.revenue(&[0.9, 0.8]) - (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!(
            known_optimum(&preset("unit_2x2_uniform").unwrap().setting.build().unwrap()).is_none()
        );
    }
}

//! Tests of the figures: exact heatmap values on a mechanism whose allocation is known, a
//! heatmap for every preset whose bidders misreport two values, and the labels of every plot.

use regretnet_core::optimal::{known_optimum, Menu};
use regretnet_core::presets::{self, PRESETS};
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_nets::{NetSpec, RegretNet};
use regretnet_regret::closed_form::MenuMechanism;

use super::curves::Table;
use super::maps::{has_maps, mean_profile, mechanism_maps, menu_boundaries, Map};
use super::Drawing;

#[test]
fn heatmap_cells_are_the_menus_allocation_exactly() {
    // The Manelli-Vincent mechanism as a mechanism (docs/PAPER.md: items at 2/3, bundle
    // at (4 - sqrt 2)/3): every cell holds exactly the lottery and price of the offer chosen
    // at the cell's centre.
    let setting = presets::preset("additive_1x2_uniform")
        .unwrap()
        .setting
        .build()
        .unwrap();
    let menu = Menu::manelli_vincent();
    let mech = MenuMechanism::new(menu.clone(), 2);
    let g = 40;
    let maps = mechanism_maps(&mech, &setting, 0, &mean_profile(&setting), g).unwrap();
    let mut seen = [false; 4];
    for iy in 0..g {
        for ix in 0..g {
            let v = [
                Map::centre((0.0, 1.0), g, ix),
                Map::centre((0.0, 1.0), g, iy),
            ];
            let (lottery, price) = match menu.choice(&v) {
                Some(k) => (menu.offers[k].1.clone(), menu.offers[k].0 as f32),
                None => (vec![0.0, 0.0], 0.0),
            };
            seen[menu.choice(&v).map_or(3, |k| k)] = true;
            let c = iy * g + ix;
            assert_eq!(maps.alloc[0].values[c], lottery[0] as f32, "cell {ix},{iy}");
            assert_eq!(maps.alloc[1].values[c], lottery[1] as f32, "cell {ix},{iy}");
            assert_eq!(maps.pay.values[c], price, "cell {ix},{iy}");
        }
    }
    assert!(seen.iter().all(|&s| s), "every region appears: {seen:?}");
    // Its boundaries: the item-1-only region starts at v1 = 2/3 (a vertical edge there).
    let edges = menu_boundaries(&menu, (0.0, 1.0), (0.0, 1.0), 300);
    assert!(edges
        .iter()
        .any(|&((x0, y0), (x1, _))| x0 == x1 && (x0 - 2.0 / 3.0).abs() < 0.004 && y0 < 0.1));
}

#[test]
fn points_outside_the_support_are_blank() {
    // The triangle v1 + v2 <= 1: cells above the diagonal are NaN (not drawn), below it the
    // bundle at sqrt(1/3) (docs/PAPER.md) sells exactly when v1 + v2 >= sqrt(1/3).
    let setting = presets::preset("additive_1x2_uniform_triangle")
        .unwrap()
        .setting
        .build()
        .unwrap();
    let mech = MenuMechanism::new(Menu::triangle_bundle(), 2);
    let g = 20;
    let maps = mechanism_maps(&mech, &setting, 0, &mean_profile(&setting), g).unwrap();
    for iy in 0..g {
        for ix in 0..g {
            let (x, y) = (
                Map::centre((0.0, 1.0), g, ix),
                Map::centre((0.0, 1.0), g, iy),
            );
            let a = maps.alloc[0].values[iy * g + ix];
            if x + y > 1.0 {
                assert!(a.is_nan());
            } else {
                assert_eq!(
                    a,
                    if x + y >= (1.0f32 / 3.0).sqrt() {
                        1.0
                    } else {
                        0.0
                    }
                );
            }
        }
    }
}

#[test]
fn every_preset_with_two_values_per_bidder_gets_labelled_heatmaps() {
    let mut drawn = 0;
    for info in PRESETS {
        let mut config = presets::preset(info.name).unwrap();
        let setting = config.setting.build().unwrap();
        if !has_maps(&setting) {
            assert_ne!(setting.items, 2, "{}", info.name);
            continue;
        }
        config.net.alloc_hidden = vec![8];
        config.net.pay_hidden = vec![8];
        let spec = NetSpec {
            setting: config.setting.clone(),
            net: config.net.clone(),
        };
        let net = RegretNet::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
        let bidder = setting.bidders - 1;
        let maps = mechanism_maps(&net, &setting, bidder, &mean_profile(&setting), 12).unwrap();
        for map in maps.alloc.iter() {
            assert!(map
                .values
                .iter()
                .filter(|v| v.is_finite())
                .all(|v| (0.0..=1.0 + 1e-6).contains(v)));
        }
        let segments = known_optimum(&setting)
            .map(|m| menu_boundaries(&m, maps.pay.x, maps.pay.y, 48))
            .unwrap_or_default();
        assert_eq!(
            segments.is_empty(),
            known_optimum(&setting).is_none(),
            "{}: a known optimum draws its regions",
            info.name
        );
        let svg = Drawing::Heatmap {
            map: maps.alloc[0].clone(),
            vmax: 1.0,
            title: "Bidder 2: P(item 1)".into(),
            axes: (
                "bidder 2's value for item 1".into(),
                "bidder 2's value for item 2".into(),
            ),
            legend: "probability".into(),
            segments,
        }
        .to_svg()
        .unwrap();
        for needle in [
            "Bidder 2: P(item 1)",
            "bidder 2&apos;s value for item 1",
            "probability",
            "<rect",
        ] {
            assert!(
                svg.contains(needle) || svg.contains(&needle.replace("&apos;", "'")),
                "{}: {needle}",
                info.name
            );
        }
        drawn += 1;
    }
    // 1x2 additive (3 priors + 04_03), unit 1x2 (2), unit 2x2, 2x2 additive, both CA.
    assert_eq!(drawn, 10);
}

#[test]
fn curves_show_every_series_with_axis_labels() {
    let metrics = Table {
        header:
            "iteration,revenue,regret_0,regret_1,regret_mean,lambda_0,lambda_1,rho,loss,seconds"
                .split(',')
                .map(String::from)
                .collect(),
        rows: (1..=5)
            .map(|k| {
                let k = k as f64;
                vec![
                    100.0 * k,
                    0.5 + 0.01 * k,
                    1e-2 / k,
                    2e-2 / k,
                    1.5e-2 / k,
                    5.0,
                    5.1,
                    1.0,
                    -0.5,
                    k,
                ]
            })
            .collect(),
    };
    let validation = Table {
        header: "iteration,revenue,regret_0,regret_1,regret_mean,regret_max,seconds"
            .split(',')
            .map(String::from)
            .collect(),
        rows: vec![vec![500.0, 0.55, 1e-3, 2e-3, 1.5e-3, 1e-2, 5.0]],
    };
    let svg = Drawing::Curves {
        metrics,
        validation: Some(validation),
    }
    .to_svg()
    .unwrap();
    for needle in [
        "Revenue",
        "Regret per bidder (log scale)",
        "Lagrange multipliers",
        "Penalty weight",
        "iteration",
        "bidder 1",
        "bidder 2",
        "validation (mean)",
        "training batches",
        "<circle",
    ] {
        assert!(svg.contains(needle), "{needle}");
    }
}

#[test]
fn the_menu_figure_draws_every_listed_entry_with_its_share() {
    // A usage of three entries for two bidders and two items: every entry's label and share,
    // both bidders' groups and every allocation cell (as a filled rectangle) are drawn.
    use crate::eval::menu::{EntryUse, MenuUsage};
    let entry = |k: usize, share: f64| EntryUse {
        entry: k,
        share,
        revenue: 0.5,
        boost: -0.1,
        alloc: vec![0.9, 0.0, 0.1, 1.0],
    };
    let usage = MenuUsage {
        profiles: 1_000,
        entries: 101,
        used: 40,
        cover: [3, 20],
        weights: vec![1.0, 1.2],
        bidders: 2,
        columns: vec!["item 1".into(), "item 2".into()],
        top: vec![entry(17, 0.25), entry(0, 0.125), entry(4, 0.0625)],
        itemwise_boosts: None,
    };
    let svg = Drawing::Menu(usage).to_svg().unwrap();
    for needle in [
        "entry 17",
        "entry 0",
        "entry 4",
        "25.0%",
        "12.5%",
        "6.2%",
        "bidder 1",
        "bidder 2",
        "3 most chosen of 101 entries",
    ] {
        assert!(svg.contains(needle), "{needle} missing");
    }
    // 3 rows x 4 cells + 3 share bars, beside the white background.
    assert!(
        svg.matches("<rect").count() >= 3 * 4 + 3,
        "{}",
        svg.matches("<rect").count()
    );
}

//! Figures of a single-item mechanism (any of the three networks): each bidder's probability of
//! winning and its payment as functions of its own bid, the others fixed, beside Myerson's
//! optimal auction at the same profiles; and for MyersonNet its learned virtual values beside
//! Myerson's (ironed) ones. A learned virtual value may be any increasing transform of the
//! optimal one shared by all bidders: where it crosses 0 (the reserve) and how the bidders'
//! curves order against each other is what should match.

use candle_core::{Device, Tensor};
use regretnet_core::baselines::myerson_per_item;
use regretnet_core::Setting;
use regretnet_nets::{Model, WeightGrad};

use crate::analysis::plot::curves::LinePanel;
use crate::error::Result;

/// Bidders drawn at most (one panel each).
const MAX_BIDDERS: usize = 6;

/// The panels: one per bidder (allocation and payment against its bid), then, for MyersonNet,
/// the learned and the optimal virtual values. `fixed` is the profile the other bidders report
/// (flat `[n, 1]`); `points` the grid size along each bid axis.
pub fn single_item_panels(
    model: &Model,
    setting: &Setting,
    fixed: &[f32],
    points: usize,
) -> Result<Vec<LinePanel>> {
    let n = setting.bidders;
    let optimum = myerson_per_item(setting);
    let mut panels = Vec::new();
    for i in 0..n.min(MAX_BIDDERS) {
        let (lo, hi) = setting.prior.bounding_box(i)[0];
        let bids: Vec<f64> = (0..points)
            .map(|k| lo as f64 + (hi - lo) as f64 * k as f64 / (points - 1).max(1) as f64)
            .collect();
        let mut profiles = Vec::with_capacity(points * n);
        for &b in &bids {
            let mut p = fixed.to_vec();
            p[i] = b as f32;
            profiles.extend(p);
        }
        let t = Tensor::from_vec(profiles.clone(), (points, n, 1), &Device::Cpu)?;
        let out = model.forward(&t, WeightGrad::Frozen)?;
        let alloc = out.alloc.flatten_all()?.to_vec1::<f32>()?;
        let pay = out.pay.flatten_all()?.to_vec1::<f32>()?;
        let series = |v: &[f32]| -> Vec<(f64, f64)> {
            bids.iter()
                .enumerate()
                .map(|(k, &b)| (b, v[k * n + i] as f64))
                .collect()
        };
        let mut lines = vec![
            ("P(item)".to_string(), series(&alloc)),
            ("payment".to_string(), series(&pay)),
        ];
        if let Some(auctions) = &optimum {
            let (mut a, mut p) = (Vec::new(), Vec::new());
            for (k, &b) in bids.iter().enumerate() {
                let v: Vec<f64> = profiles[k * n..(k + 1) * n]
                    .iter()
                    .map(|&x| x as f64)
                    .collect();
                a.push((b, auctions[0].allocation(&v)[i]));
                p.push((b, auctions[0].payments(&v)[i]));
            }
            lines.push(("Myerson: P(item)".to_string(), a));
            lines.push(("Myerson: payment".to_string(), p));
        }
        panels.push(LinePanel {
            title: format!("Bidder {}: outcome against its bid, others fixed", i + 1),
            x_desc: format!("bidder {}'s bid", i + 1),
            y_desc: "probability / payment".into(),
            lines,
            log_y: false,
            log_x: false,
        });
    }
    if let Model::MyersonNet(net) = model {
        let boxes: Vec<(f32, f32)> = (0..n).map(|i| setting.prior.bounding_box(i)[0]).collect();
        let x: Vec<f32> = (0..points)
            .flat_map(|k| {
                boxes
                    .iter()
                    .map(move |&(lo, hi)| lo + (hi - lo) * k as f32 / (points - 1).max(1) as f32)
            })
            .collect();
        let t = Tensor::from_vec(x.clone(), (points, n), &Device::Cpu)?;
        let vv = net
            .virtual_values(&t, WeightGrad::Frozen)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let curve = |i: usize, f: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
            (0..points).map(|k| (x[k * n + i] as f64, f(k))).collect()
        };
        let learned = (0..n.min(MAX_BIDDERS))
            .map(|i| {
                (
                    format!("bidder {}", i + 1),
                    curve(i, &|k| vv[k * n + i] as f64),
                )
            })
            .collect();
        panels.push(LinePanel {
            title: "MyersonNet's virtual values".into(),
            x_desc: "value".into(),
            y_desc: "virtual value".into(),
            lines: learned,
            log_y: false,
            log_x: false,
        });
        if let Some(auctions) = &optimum {
            let ironed = auctions[0].ironed();
            let optimal = (0..n.min(MAX_BIDDERS))
                .map(|i| {
                    let f = |k: usize| ironed[i].value(x[k * n + i] as f64);
                    (format!("bidder {}", i + 1), curve(i, &f))
                })
                .collect();
            panels.push(LinePanel {
                title: "Myerson's (ironed) virtual values".into(),
                x_desc: "value".into(),
                y_desc: "virtual value".into(),
                lines: optimal,
                log_y: false,
                log_x: false,
            });
        }
    }
    Ok(panels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regretnet_core::presets::preset_with_net;
    use regretnet_core::rng::{stream_rng, Stream};
    use regretnet_core::NetKind;
    use regretnet_nets::NetSpec;

    #[test]
    fn single_item_panels_show_each_bidder_and_both_virtual_values() {
        // Irregular 3x1, others at the prior's mean 2.875 (inside the ironed interval
        // [2.38, 4.38]): Myerson's allocation is 0 below the interval, a 1/3 share of the
        // three-way tie inside it, 1 above; its ironed virtual value is flat inside.
        let c = preset_with_net("additive_3x1_irregular", NetKind::Myersonnet).unwrap();
        let setting = c.setting.build().unwrap();
        let spec = NetSpec {
            setting: c.setting.clone(),
            net: c.net.clone(),
        };
        let model = Model::new(&setting, spec, &mut stream_rng(1, Stream::Init)).unwrap();
        let fixed = vec![2.875f32; 3];
        let panels = single_item_panels(&model, &setting, &fixed, 81).unwrap();
        assert_eq!(panels.len(), 3 + 2);
        let myerson = &panels[0].lines[2].1;
        let at = |x: f64| myerson.iter().find(|p| (p.0 - x).abs() < 1e-9).unwrap().1;
        assert_eq!(at(2.0), 0.0);
        assert!((at(3.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(at(6.0), 1.0);
        let ironed = &panels[4].lines[0].1;
        let flat: Vec<f64> = ironed
            .iter()
            .filter(|p| p.0 > 2.5 && p.0 < 4.3)
            .map(|p| p.1)
            .collect();
        assert!(flat.windows(2).all(|w| w[0] == w[1]) && flat.len() > 5);
    }
}

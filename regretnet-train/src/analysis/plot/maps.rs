//! The data behind the mechanism heatmaps: one bidder's allocation of each item and its payment
//! over a grid of its own reports, the other bidders fixed; and the region boundaries of a known
//! optimal menu on the same square.

use candle_core::{Device, Tensor};
use regretnet_core::optimal::Menu;
use regretnet_core::Setting;
use regretnet_nets::WeightGrad;
use regretnet_regret::Mechanism;

use crate::error::Result;

/// A line segment `((x0, y0), (x1, y1))` in value coordinates.
pub type Segment = ((f32, f32), (f32, f32));

/// Rows per network call when filling a map.
const BLOCK: usize = 16_384;

/// A square map over one bidder's two item values: `values[iy * resolution + ix]` at the cell
/// centre `(x(ix), y(iy))`; `NaN` where the point lies outside the bidder's support.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// `(lo, hi)` of item 1's value (the x axis).
    pub x: (f32, f32),
    /// `(lo, hi)` of item 2's value (the y axis).
    pub y: (f32, f32),
    /// Cells per axis.
    pub resolution: usize,
    /// Row-major values, `y` outer.
    pub values: Vec<f32>,
}

impl Map {
    /// Centre of cell `k` along an axis `(lo, hi)`.
    pub fn centre(axis: (f32, f32), resolution: usize, k: usize) -> f32 {
        axis.0 + (axis.1 - axis.0) * (k as f32 + 0.5) / resolution as f32
    }

    /// The largest finite value (0 for an empty map).
    pub fn max(&self) -> f32 {
        self.values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f32::max)
    }
}

/// What a mechanism does for one bidder over its square of reports.
#[derive(Debug, Clone, PartialEq)]
pub struct MechanismMaps {
    /// The bidder.
    pub bidder: usize,
    /// Probability of receiving item 1 and item 2 (for a combinatorial bidder: alone or in the
    /// bundle).
    pub alloc: [Map; 2],
    /// Expected payment.
    pub pay: Map,
}

/// Whether `setting` gets heatmaps: bidders who misreport two item values.
pub fn has_maps(setting: &Setting) -> bool {
    setting.items == 2
}

/// `bidder`'s allocation and payment over a `resolution x resolution` grid of its item values
/// (its bounding box), every other value as in `fixed` (a profile, flat `[n, type_len]`; a
/// combinatorial bidder keeps its complementarity from it).
pub fn mechanism_maps<M: Mechanism + ?Sized>(
    mech: &M,
    setting: &Setting,
    bidder: usize,
    fixed: &[f32],
    resolution: usize,
) -> Result<MechanismMaps> {
    let (n, d) = (setting.bidders, setting.type_len());
    let bbox = setting.prior.bounding_box(bidder);
    let (x, y) = (bbox[0], bbox[1]);
    let cells = resolution * resolution;
    let mut reports = Vec::with_capacity(cells * n * d);
    let mut inside = Vec::with_capacity(cells);
    for iy in 0..resolution {
        for ix in 0..resolution {
            let at = reports.len();
            reports.extend_from_slice(fixed);
            reports[at + bidder * d] = Map::centre(x, resolution, ix);
            reports[at + bidder * d + 1] = Map::centre(y, resolution, iy);
            inside.push(
                setting
                    .prior
                    .contains_bidder(bidder, &reports[at + bidder * d..at + (bidder + 1) * d]),
            );
        }
    }
    let mut alloc = [vec![f32::NAN; cells], vec![f32::NAN; cells]];
    let mut pay = vec![f32::NAN; cells];
    for lo in (0..cells).step_by(BLOCK) {
        let hi = (lo + BLOCK).min(cells);
        let bids = Tensor::from_slice(
            &reports[lo * n * d..hi * n * d],
            (hi - lo, n, d),
            &Device::Cpu,
        )?;
        let o = mech.outcome(&bids, WeightGrad::Frozen)?;
        let a = o.alloc.flatten_all()?.to_vec1::<f32>()?;
        let p = o.pay.flatten_all()?.to_vec1::<f32>()?;
        for c in lo..hi {
            if inside[c] {
                let r = c - lo;
                alloc[0][c] = a[(r * n + bidder) * d];
                alloc[1][c] = a[(r * n + bidder) * d + 1];
                pay[c] = p[r * n + bidder];
            }
        }
    }
    let map = |values: Vec<f32>| Map {
        x,
        y,
        resolution,
        values,
    };
    let [a0, a1] = alloc;
    Ok(MechanismMaps {
        bidder,
        alloc: [map(a0), map(a1)],
        pay: map(pay),
    })
}

/// The profile the other bidders are fixed at by default: every value at the prior's mean (a
/// combinatorial bidder's complementarity at the middle of its range).
pub fn mean_profile(setting: &Setting) -> Vec<f32> {
    let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
    let mut out = vec![0.0f32; n * d];
    for i in 0..n {
        for j in 0..m {
            out[i * d + j] = setting.prior.mean(i, j) as f32;
        }
        if let regretnet_core::Prior::Combinatorial(c) = &setting.prior {
            let (lo, hi) = c.complementarity();
            out[i * d + m] = (0.5 * (lo + hi)) as f32;
        }
    }
    out
}

/// The edges between cells of a `resolution x resolution` grid over `(x, y)` where `menu`'s
/// choice changes: line segments `((x0, y0), (x1, y1))` in value coordinates, the boundaries of
/// the menu's regions.
pub fn menu_boundaries(
    menu: &Menu,
    x: (f32, f32),
    y: (f32, f32),
    resolution: usize,
) -> Vec<Segment> {
    let g = resolution;
    let choice: Vec<Option<usize>> = (0..g * g)
        .map(|c| menu.choice(&[Map::centre(x, g, c % g), Map::centre(y, g, c / g)]))
        .collect();
    let edge_x = |k: usize| x.0 + (x.1 - x.0) * k as f32 / g as f32;
    let edge_y = |k: usize| y.0 + (y.1 - y.0) * k as f32 / g as f32;
    let mut out = Vec::new();
    for iy in 0..g {
        for ix in 0..g {
            let here = choice[iy * g + ix];
            if ix + 1 < g && choice[iy * g + ix + 1] != here {
                out.push((
                    (edge_x(ix + 1), edge_y(iy)),
                    (edge_x(ix + 1), edge_y(iy + 1)),
                ));
            }
            if iy + 1 < g && choice[(iy + 1) * g + ix] != here {
                out.push((
                    (edge_x(ix), edge_y(iy + 1)),
                    (edge_x(ix + 1), edge_y(iy + 1)),
                ));
            }
        }
    }
    out
}

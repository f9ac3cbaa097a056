//! The grid audit: every bidder's utility on a dense grid over its whole support, refined by
//! projected gradient ascent from the best grid points.
//!
//! Where a bidder's report has at most two coordinates (the 1 x 2 and n x 2 settings, the
//! single-item ones), a grid of `G^m` reports covers the support so densely that a profitable
//! misreport can hide from it only in a region narrower than a grid cell, and the refinement
//! then climbs into the cells the grid flags. Unlike a gradient search it cannot be trapped by
//! flat or narrow regions of the utility: it is the audit that a regret number is checked
//! against.
//!
//! With one bidder the misreported profile is the grid point itself, whatever the true values,
//! so the outcome on the grid is computed once and every profile's grid utilities are one
//! matrix product `V [profiles, m] x A^T [m, points] - p`. With several bidders the others'
//! true reports enter the outcome and the grid is evaluated per profile in blocks of
//! [`BLOCK_ROWS`] report profiles.

use candle_core::{Device, Tensor};
use regretnet_core::Setting;
use regretnet_nets::WeightGrad;

use crate::error::{RegretError, Result};
use crate::mechanism::Mechanism;
use crate::search::ascend_tracking_best;
use crate::utility::{truthful_utilities, utilities_at_reports, BLOCK_ROWS};
use crate::work::{for_each_chunk, Work};

/// The most report coordinates a full grid covers.
pub const MAX_GRID_ITEMS: usize = 2;

/// How dense the grid is and how its best points are refined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridConfig {
    /// Grid points per report coordinate, ends included (`G^m` points per bidder).
    pub resolution: usize,
    /// Best grid points per profile and bidder that the refinement starts from.
    pub refine_top: usize,
    /// Projected-Adam steps of the refinement (0: no refinement).
    pub refine_steps: usize,
}

impl Default for GridConfig {
    /// 101 points per coordinate (a step of 1% of the support), the best 4 refined by 50 steps.
    fn default() -> Self {
        GridConfig {
            resolution: 101,
            refine_top: 4,
            refine_steps: 50,
        }
    }
}

/// Per-profile results of a grid audit.
#[derive(Debug, Clone)]
pub struct GridAudit {
    /// Number of profiles.
    pub samples: usize,
    /// Number of bidders.
    pub bidders: usize,
    /// Grid points per bidder.
    pub points: usize,
    /// Regret found by the grid alone, flat `[samples, n]`.
    pub grid_regret: Vec<f32>,
    /// Regret after refining the best grid points (never below `grid_regret`), flat
    /// `[samples, n]`.
    pub regret: Vec<f32>,
    /// The best misreport found, flat `[samples, n, d]` (whole types: a combinatorial
    /// bidder's complementarity is its true one).
    pub best_misreport: Vec<f32>,
}

/// Bidder `bidder`'s grid, flat `[points, m]`: `resolution` evenly spaced values per coordinate
/// over the bounding box of its support (ends included, the first coordinate varying fastest),
/// each point projected onto the support.
pub fn grid_points(setting: &Setting, bidder: usize, resolution: usize) -> Vec<f32> {
    let bbox = setting.prior.bounding_box(bidder);
    let m = bbox.len();
    let g = resolution.max(2);
    let points = g.pow(m as u32);
    let mut out = Vec::with_capacity(points * m);
    for p in 0..points {
        let start = out.len();
        let mut rest = p;
        for &(lo, hi) in &bbox {
            let k = rest % g;
            rest /= g;
            // Exact ends: lo at k = 0 and hi at k = g - 1.
            let t = k as f64 / (g - 1) as f64;
            out.push((lo as f64 + t * (hi as f64 - lo as f64)) as f32);
        }
        setting.prior.project_bidder(bidder, &mut out[start..]);
    }
    out
}

/// The step between neighbouring grid values of the narrowest coordinate of any bidder.
fn finest_spacing(setting: &Setting, resolution: usize) -> f64 {
    (0..setting.bidders)
        .flat_map(|i| setting.prior.bounding_box(i))
        .map(|(lo, hi)| (hi - lo) as f64 / (resolution.max(2) - 1) as f64)
        .fold(f64::INFINITY, f64::min)
}

/// Audit every profile's regret on the grid of [`grid_points`], then refine the best
/// `config.refine_top` points of each profile and bidder by `config.refine_steps` projected
/// Adam steps at a learning rate of half the finest grid spacing (Adam moves each coordinate by
/// about its learning rate per step, so the refinement explores the neighbouring cells and
/// settles inside one). Deterministic; the result does not depend on `work`.
pub fn grid_audit<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    config: &GridConfig,
    work: Work<'_>,
) -> Result<GridAudit> {
    let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
    if m > MAX_GRID_ITEMS {
        return Err(RegretError::Unsupported(format!(
            "a full grid covers reports of at most {MAX_GRID_ITEMS} coordinates; {} has {m} \
             items per bidder (use the item-wise audit)",
            setting.name
        )));
    }
    if config.resolution < 2 {
        return Err(RegretError::Unsupported(format!(
            "a grid needs at least 2 points per coordinate, not {}",
            config.resolution
        )));
    }
    let len = n * d;
    if !profiles.len().is_multiple_of(len) {
        return Err(RegretError::Shape(format!(
            "{} values do not make whole {n} x {d} profiles",
            profiles.len()
        )));
    }
    let samples = profiles.len() / len;
    let grids: Vec<Vec<f32>> = (0..n)
        .map(|i| grid_points(setting, i, config.resolution))
        .collect();
    let points = grids[0].len() / m;
    // One bidder whose whole type is misreportable: the outcome on the grid does not depend
    // on the profile.
    let table = if n == 1 && d == m {
        Some(outcome_table(mech, &grids[0], m)?)
    } else {
        None
    };
    let lr = 0.5 * finest_spacing(setting, config.resolution);
    let parts = for_each_chunk(samples, work, |lo, hi| {
        let truth = &profiles[lo * len..hi * len];
        let top = match &table {
            Some(t) => top_from_table(t, truth, config.refine_top.max(1))?,
            None => top_by_rows(mech, setting, &grids, truth, config.refine_top.max(1))?,
        };
        finish_chunk(mech, setting, truth, &grids, &top, config, lr)
    })?;
    let mut audit = GridAudit {
        samples,
        bidders: n,
        points,
        grid_regret: Vec::with_capacity(samples * n),
        regret: Vec::with_capacity(samples * n),
        best_misreport: Vec::with_capacity(samples * len),
    };
    for p in parts {
        audit.grid_regret.extend_from_slice(&p.grid_regret);
        audit.regret.extend_from_slice(&p.regret);
        audit.best_misreport.extend_from_slice(&p.best_misreport);
    }
    Ok(audit)
}

/// The outcome at every grid point of a single bidder: allocations `[m, points]` (transposed,
/// ready for the product) and payments `[1, points]`.
struct OutcomeTable {
    alloc_t: Tensor,
    pay: Tensor,
}

fn outcome_table<M: Mechanism>(mech: &M, grid: &[f32], m: usize) -> Result<OutcomeTable> {
    let points = grid.len() / m;
    let mut alloc = Vec::with_capacity(grid.len());
    let mut pay = Vec::with_capacity(points);
    for lo in (0..points).step_by(BLOCK_ROWS) {
        let hi = (lo + BLOCK_ROWS).min(points);
        let bids = Tensor::from_slice(&grid[lo * m..hi * m], (hi - lo, 1, m), &Device::Cpu)?;
        let o = mech.outcome(&bids, WeightGrad::Frozen)?;
        alloc.extend(o.alloc.flatten_all()?.to_vec1::<f32>()?);
        pay.extend(o.pay.flatten_all()?.to_vec1::<f32>()?);
    }
    let alloc_t = Tensor::from_vec(alloc, (points, m), &Device::Cpu)?
        .t()?
        .contiguous()?;
    let pay = Tensor::from_vec(pay, (1, points), &Device::Cpu)?;
    Ok(OutcomeTable { alloc_t, pay })
}

/// The best grid points of every (profile, bidder) of a chunk: flat `[rows, k]` indices into
/// the bidder's grid, best first, and their utilities.
struct Top {
    k: usize,
    index: Vec<usize>,
    utility: Vec<f32>,
}

impl Top {
    fn new(rows: usize, k: usize) -> Self {
        Top {
            k,
            index: vec![0; rows * k],
            utility: vec![f32::NEG_INFINITY; rows * k],
        }
    }

    /// Offer grid point `g` with utility `u` to row `row` (keeps the `k` best, best first).
    fn offer(&mut self, row: usize, g: usize, u: f32) {
        let (idx, ut) = (
            &mut self.index[row * self.k..(row + 1) * self.k],
            &mut self.utility[row * self.k..(row + 1) * self.k],
        );
        if u <= ut[self.k - 1] {
            return;
        }
        let mut at = self.k - 1;
        while at > 0 && u > ut[at - 1] {
            ut[at] = ut[at - 1];
            idx[at] = idx[at - 1];
            at -= 1;
        }
        ut[at] = u;
        idx[at] = g;
    }
}

fn check_finite(u: &[f32]) -> Result<()> {
    if u.iter().any(|x| !x.is_finite()) {
        return Err(RegretError::NonFinite {
            what: "grid utility",
        });
    }
    Ok(())
}

/// One bidder: the chunk's grid utilities are `V A^T - p`, `[profiles, points]`.
fn top_from_table(table: &OutcomeTable, truth: &[f32], k: usize) -> Result<Top> {
    let m = table.alloc_t.dims2()?.0;
    let rows = truth.len() / m;
    let points = table.pay.dims2()?.1;
    let v = Tensor::from_slice(truth, (rows, m), &Device::Cpu)?;
    let u = v
        .matmul(&table.alloc_t)?
        .broadcast_sub(&table.pay)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    check_finite(&u)?;
    let mut top = Top::new(rows, k.min(points));
    for (row, us) in u.chunks_exact(points).enumerate() {
        for (g, &x) in us.iter().enumerate() {
            top.offer(row, g, x);
        }
    }
    Ok(top)
}

/// Several bidders: every grid point of bidder `i` with the others truthful, evaluated in
/// blocks of whole profiles.
fn top_by_rows<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    grids: &[Vec<f32>],
    truth: &[f32],
    k: usize,
) -> Result<Top> {
    let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
    let len = n * d;
    let samples = truth.len() / len;
    let points = grids[0].len() / m;
    let mut top = Top::new(samples * n, k.min(points));
    let per_block = (BLOCK_ROWS / points).max(1);
    for i in 0..n {
        for lo in (0..samples).step_by(per_block) {
            let hi = (lo + per_block).min(samples);
            let rows = (hi - lo) * points;
            let mut reports = Vec::with_capacity(rows * len);
            let mut values = Vec::with_capacity(rows * d);
            for b in lo..hi {
                let profile = &truth[b * len..(b + 1) * len];
                for g in grids[i].chunks_exact(m) {
                    let at = reports.len();
                    reports.extend_from_slice(profile);
                    // The item values only: fixed coordinates stay the truth's.
                    reports[at + i * d..at + i * d + m].copy_from_slice(g);
                    values.extend_from_slice(&profile[i * d..(i + 1) * d]);
                }
            }
            let u = utilities_at_reports(mech, &reports, &vec![i; rows], &values)?;
            check_finite(&u)?;
            for (r, &x) in u.iter().enumerate() {
                top.offer((lo + r / points) * n + i, r % points, x);
            }
        }
    }
    Ok(top)
}

struct ChunkAudit {
    grid_regret: Vec<f32>,
    regret: Vec<f32>,
    best_misreport: Vec<f32>,
}

/// Regret from the grid's best points, then refinement from the `k` best of each bidder.
fn finish_chunk<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    truth: &[f32],
    grids: &[Vec<f32>],
    top: &Top,
    config: &GridConfig,
    lr: f64,
) -> Result<ChunkAudit> {
    let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
    let len = n * d;
    let samples = truth.len() / len;
    let k = top.k;
    let truth_t = Tensor::from_slice(truth, (samples, n, d), &Device::Cpu)?;
    let u_truth = truthful_utilities(mech, &truth_t, WeightGrad::Frozen)?
        .0
        .flatten_all()?
        .to_vec1::<f32>()?;
    let point = |i: usize, g: usize| &grids[i][g * m..(g + 1) * m];
    let mut best_u: Vec<f32> = (0..samples * n).map(|r| top.utility[r * k]).collect();
    // Best misreports as whole types: the grid point's item values, the truth's fixed
    // coordinates.
    let mut best_misreport = truth.to_vec();
    for r in 0..samples * n {
        best_misreport[r * d..r * d + m].copy_from_slice(point(r % n, top.index[r * k]));
    }
    let grid_regret: Vec<f32> = best_u
        .iter()
        .zip(&u_truth)
        .map(|(u, t)| (u - t).max(0.0))
        .collect();
    if config.refine_steps > 0 {
        // Start (b, r) gives every bidder its r-th best grid point at profile b.
        let mut starts = Vec::with_capacity(samples * k * len);
        let mut replicated = Vec::with_capacity(samples * k * len);
        for b in 0..samples {
            for r in 0..k {
                let at = starts.len();
                starts.extend_from_slice(&truth[b * len..(b + 1) * len]);
                for i in 0..n {
                    starts[at + i * d..at + i * d + m]
                        .copy_from_slice(point(i, top.index[(b * n + i) * k + r]));
                }
                replicated.extend_from_slice(&truth[b * len..(b + 1) * len]);
            }
        }
        let truth_rep = Tensor::from_vec(replicated, (samples * k, n, d), &Device::Cpu)?;
        let grad = mech.utility_gradient()?;
        let ascent = ascend_tracking_best(
            &*grad,
            setting,
            &truth_rep,
            &mut starts,
            config.refine_steps,
            lr,
        )?;
        for b in 0..samples {
            for r in 0..k {
                for i in 0..n {
                    let u = ascent.best_utility[(b * k + r) * n + i];
                    if u > best_u[b * n + i] {
                        best_u[b * n + i] = u;
                        let src = ((b * k + r) * n + i) * d;
                        best_misreport[(b * n + i) * d..(b * n + i + 1) * d]
                            .copy_from_slice(&ascent.best_misreport[src..src + d]);
                    }
                }
            }
        }
    }
    let regret = best_u
        .iter()
        .zip(&u_truth)
        .zip(&grid_regret)
        .map(|((u, t), g)| (u - t).max(*g))
        .collect();
    Ok(ChunkAudit {
        grid_regret,
        regret,
        best_misreport,
    })
}

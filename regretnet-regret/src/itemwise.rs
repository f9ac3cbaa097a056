//! The item-wise audit: a cheap lower bound on regret for settings too large for a full grid.
//!
//! For every profile, bidder `i` and item `j`, bidder `i` misreports item `j` alone over a 1-D
//! grid of its support, its other items and the other bidders truthful. Every such report is a
//! feasible misreport, so the best one bounds the regret from below, like a gradient search;
//! unlike the search it cannot stall on a flat stretch or miss a narrow spike along an axis.
//! It costs `n * m * G` network rows per profile, evaluated in blocks of [`BLOCK_ROWS`].

use candle_core::{Device, Tensor};
use regretnet_core::Setting;
use regretnet_nets::WeightGrad;

use crate::error::{RegretError, Result};
use crate::mechanism::Mechanism;
use crate::utility::{truthful_utilities, utilities_at_reports, BLOCK_ROWS};
use crate::work::{for_each_chunk, Work};

/// Per-profile results of an item-wise audit.
#[derive(Debug, Clone)]
pub struct ItemwiseAudit {
    /// Number of profiles.
    pub samples: usize,
    /// Number of bidders.
    pub bidders: usize,
    /// Grid points per item.
    pub resolution: usize,
    /// The regret found, flat `[samples, n]`.
    pub regret: Vec<f32>,
    /// The best misreport found, flat `[samples, n, m]` (differs from the truth in one item).
    pub best_misreport: Vec<f32>,
}

/// Audit every profile item by item on `resolution` evenly spaced values per item (ends
/// included, over the bounding box of the support, each report projected onto the support).
/// Deterministic; the result does not depend on `work`.
pub fn itemwise_audit<M: Mechanism>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    resolution: usize,
    work: Work<'_>,
) -> Result<ItemwiseAudit> {
    let (n, m, d) = (setting.bidders, setting.items, setting.type_len());
    let len = n * d;
    if resolution < 2 {
        return Err(RegretError::Unsupported(format!(
            "an item-wise grid needs at least 2 points per item, not {resolution}"
        )));
    }
    if !profiles.len().is_multiple_of(len) {
        return Err(RegretError::Shape(format!(
            "{} values do not make whole {n} x {m} profiles",
            profiles.len()
        )));
    }
    let samples = profiles.len() / len;
    let values_of = |i: usize| -> Vec<Vec<f32>> {
        setting
            .prior
            .bounding_box(i)
            .iter()
            .map(|&(lo, hi)| {
                (0..resolution)
                    .map(|k| {
                        let t = k as f64 / (resolution - 1) as f64;
                        (lo as f64 + t * (hi as f64 - lo as f64)) as f32
                    })
                    .collect()
            })
            .collect()
    };
    let axes: Vec<Vec<Vec<f32>>> = (0..n).map(values_of).collect();
    // Rows per profile: for each bidder, item and grid value, one misreported profile.
    let per_profile = n * m * resolution;
    let per_block = (BLOCK_ROWS / per_profile).max(1);
    let parts = for_each_chunk(samples, work, |lo, hi| {
        let truth = &profiles[lo * len..hi * len];
        let rows = hi - lo;
        let truth_t = Tensor::from_slice(truth, (rows, n, d), &Device::Cpu)?;
        let u_truth = truthful_utilities(mech, &truth_t, WeightGrad::Frozen)?
            .0
            .flatten_all()?
            .to_vec1::<f32>()?;
        let mut best = vec![f32::NEG_INFINITY; rows * n];
        let mut best_misreport = truth.to_vec();
        for b0 in (0..rows).step_by(per_block) {
            let b1 = (b0 + per_block).min(rows);
            let mut reports = Vec::with_capacity((b1 - b0) * per_profile * len);
            let mut who = Vec::with_capacity((b1 - b0) * per_profile);
            let mut values = Vec::with_capacity((b1 - b0) * per_profile * d);
            for b in b0..b1 {
                let profile = &truth[b * len..(b + 1) * len];
                for (i, axis) in axes.iter().enumerate() {
                    for (j, grid) in axis.iter().enumerate() {
                        for &x in grid {
                            let at = reports.len();
                            reports.extend_from_slice(profile);
                            reports[at + i * d + j] = x;
                            setting
                                .prior
                                .project_bidder(i, &mut reports[at + i * d..at + (i + 1) * d]);
                            who.push(i);
                            values.extend_from_slice(&profile[i * d..(i + 1) * d]);
                        }
                    }
                }
            }
            let u = utilities_at_reports(mech, &reports, &who, &values)?;
            if u.iter().any(|x| !x.is_finite()) {
                return Err(RegretError::NonFinite {
                    what: "item-wise utility",
                });
            }
            for (r, &x) in u.iter().enumerate() {
                let (b, i) = (b0 + r / per_profile, who[r]);
                if x > best[b * n + i] {
                    best[b * n + i] = x;
                    best_misreport[(b * n + i) * d..(b * n + i + 1) * d]
                        .copy_from_slice(&reports[r * len + i * d..r * len + (i + 1) * d]);
                }
            }
        }
        let regret: Vec<f32> = best
            .iter()
            .zip(&u_truth)
            .map(|(u, t)| (u - t).max(0.0))
            .collect();
        Ok((regret, best_misreport))
    })?;
    let mut audit = ItemwiseAudit {
        samples,
        bidders: n,
        resolution,
        regret: Vec::with_capacity(samples * n),
        best_misreport: Vec::with_capacity(samples * len),
    };
    for (r, b) in parts {
        audit.regret.extend_from_slice(&r);
        audit.best_misreport.extend_from_slice(&b);
    }
    Ok(audit)
}

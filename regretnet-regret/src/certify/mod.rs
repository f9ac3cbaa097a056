//! Certified regret: a proven upper bound on each profile's regret, for bidders who report at
//! most two values.
//!
//! Every other regret number here is a lower bound: a misreport that was found. This module
//! proves the other side. For profile `v` and bidder `k` (the others truthful), the regret is
//! `max_b u_k(v_k; b) - u_k(v_k; v_k)` over reports `b` in `k`'s support. A box `B` of reports
//! gets a sound upper bound on `u_k` over `B`: the mechanism is evaluated on affine forms over
//! the box's two coordinates ([`affine`]; [`net64`] for a RegretNet), in which linear layers
//! are exact and each nonlinearity adds a remainder that is second order in the box's width,
//! so the bound's slack shrinks with the square of the width (a mean-value or first-order
//! Taylor bound), which is what makes a tolerance of 1e-4 reachable. Floating point is handled
//! by bounding every operation's rounding error into the remainder ([`affine`]'s docs).
//!
//! **Branch and bound** keeps the best utility of a report found so far (box centres in the
//! support; the truthful report to start) and a priority queue of boxes by upper bound, splits
//! the box of highest bound into `2^d` halves, and stops when that bound is within `tol` of the
//! best found (the certificate reached `tol`) or after `budget` boxes (the bound is still
//! sound, only looser). A child's bound is never above its parent's. With one bidder the
//! mechanism does not depend on anyone else's report, so the outcome forms of a box serve every
//! profile (the utility is linear in the true values): they are computed once and shared
//! ([`BoxBounds::profile_independent`]). The triangle's support is covered by the boxes of its
//! bounding square that meet it; the others are pruned.
//!
//! What is certified: at each test profile, the maximum over all misreports in the support,
//! in real arithmetic on the mechanism the `f32` weights define. The expected regret over the
//! prior is still a sample mean over the test profiles, with its standard error.

pub mod affine;
pub mod closed_form;
pub mod interval;
pub mod net64;

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

use regretnet_core::{Prior, Setting};
use regretnet_nets::RegretNet;

use crate::certify::interval::Ulp;
use crate::error::{RegretError, Result};
use crate::work::{for_each_chunk, Work};
use affine::Aff;
use interval::Iv;
pub use net64::{utility, BoxOutcome, Net64, PayBound};

/// A mechanism whose outcome can be enclosed over a box of one bidder's reports.
pub trait BoxBounds: Sync {
    /// Bidders.
    fn bidders(&self) -> usize;
    /// Values per bidder.
    fn items(&self) -> usize;
    /// Bidder `k`'s outcome when its report is the form `report` (one per value: the box's
    /// coordinates, or constants) and the others report as in `profile` (flat `[n * m]`).
    fn outcome(&self, profile: &[f64], k: usize, report: &[Aff]) -> BoxOutcome;
    /// Bidder `k`'s utility at true values `v` over the box, from its outcome `o` there: by
    /// default `sum_j a_j v_j - pay` on the forms ([`utility`]); a mechanism whose allocation
    /// and payment move together (a posted price) bounds it jointly instead.
    fn utility(&self, o: &BoxOutcome, v: &[f64], report: &[Aff]) -> Aff {
        utility(o, v, report)
    }
    /// Whether bidder `k`'s outcome ignores the other bidders' reports (one bidder): box
    /// enclosures are then shared by every profile.
    fn profile_independent(&self) -> bool {
        self.bidders() == 1
    }
}

impl BoxBounds for Net64 {
    fn bidders(&self) -> usize {
        Net64::bidders(self)
    }
    fn items(&self) -> usize {
        Net64::items(self)
    }
    fn outcome(&self, profile: &[f64], k: usize, report: &[Aff]) -> BoxOutcome {
        Net64::outcome(self, profile, k, report)
    }
}

/// The tolerance and budget of the branch and bound (the defaults are `eval.certify_tol` and
/// `eval.certify_budget`'s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CertifyConfig {
    /// Stop when the best box's upper bound is within `tol` of the best utility found.
    pub tol: f64,
    /// Most boxes bounded per profile and bidder.
    pub budget: usize,
}

impl Default for CertifyConfig {
    fn default() -> Self {
        CertifyConfig {
            tol: 5e-5,
            budget: 100_000,
        }
    }
}

/// Certified regret of every profile and bidder (flat `[samples * n]`, profile-major).
#[derive(Debug, Clone, PartialEq)]
pub struct CertifiedRegret {
    /// Bidders.
    pub bidders: usize,
    /// A proven upper bound on the regret.
    pub upper: Vec<f64>,
    /// The regret of the best misreport the branch and bound found (a lower bound).
    pub lower: Vec<f64>,
    /// Whether the certificate reached the tolerance (`upper - lower <= tol`, up to the
    /// enclosure of the truthful utility).
    pub reached: Vec<bool>,
    /// Boxes bounded.
    pub boxes: Vec<usize>,
}

/// A box of the bisection tree: `level[t]` halvings of the support's bounding box along
/// coordinate `t`, cell `cell[t]` there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    level: [u8; 2],
    cell: [u32; 2],
}

/// The deepest bisection level along a coordinate (cells of `2^-40` of the support).
const MAX_LEVEL: u8 = 40;

/// A box with its enclosures: the forms of its coordinates, the outcome over it, and the
/// outcome at its centre.
#[derive(Debug)]
struct Node {
    forms: Vec<Aff>,
    centre: Vec<f64>,
    over: BoxOutcome,
    /// Computed when the box is first split (most boxes never are).
    at_centre: OnceLock<BoxOutcome>,
}

/// The support of a bidder's reports, as branch and bound sees it.
struct Support {
    root: Vec<(f64, f64)>,
    triangle: bool,
}

impl Support {
    fn of(setting: &Setting, k: usize) -> Result<Self> {
        let triangle = match &setting.prior {
            Prior::UniformBox(_) | Prior::Independent(_) => false,
            Prior::Triangle(_) => true,
            _ => {
                return Err(RegretError::Unsupported(
                    "certified regret covers box and triangle supports".into(),
                ))
            }
        };
        let root = setting
            .prior
            .bounding_box(k)
            .into_iter()
            .map(|(lo, hi)| (f64::from(lo), f64::from(hi)))
            .collect();
        Ok(Support { root, triangle })
    }

    /// The box of `key`: cell ends `lo + c w` with `w = (hi - lo) / 2^level`, the last end
    /// `hi` itself, so that the cells of a level tile the support's box exactly.
    fn bx(&self, key: Key) -> Vec<Iv> {
        self.root
            .iter()
            .zip(key.cell)
            .zip(key.level)
            .map(|((&(lo, hi), c), level)| {
                let cells = 1u64 << level;
                let w = (hi - lo) / cells as f64;
                let end = |c: u64| if c == cells { hi } else { lo + c as f64 * w };
                Iv::new(end(c as u64), end(c as u64 + 1))
            })
            .collect()
    }

    /// Whether the box meets the support.
    fn meets(&self, bx: &[Iv]) -> bool {
        !self.triangle || bx.iter().map(|b| b.lo).sum::<f64>() <= 1.0
    }

    /// Whether the point lies in the support.
    fn holds(&self, p: &[f64]) -> bool {
        !self.triangle || (p.iter().all(|&x| x >= 0.0) && p.iter().sum::<f64>() <= 1.0)
    }

    /// The two halves of `key` along coordinate `t`.
    fn halves(key: Key, t: usize) -> [Key; 2] {
        let mut level = key.level;
        level[t] += 1;
        [0, 1].map(|half| {
            let mut cell = key.cell;
            cell[t] = 2 * cell[t] + half;
            Key { level, cell }
        })
    }
}

/// The forms of a box's coordinates: `centre_t + radius_t eps_t` with the radius rounded up,
/// so that the form's range holds the box.
fn forms(bx: &[Iv]) -> (Vec<Aff>, Vec<f64>) {
    bx.iter()
        .enumerate()
        .map(|(t, b)| {
            let c = 0.5 * b.lo + 0.5 * b.hi;
            let r = (b.hi - c).max(c - b.lo).ulp_up();
            (Aff::coordinate(c, r, t), c)
        })
        .unzip()
}

fn constants(x: &[f64]) -> Vec<Aff> {
    x.iter().map(|&c| Aff::constant(c)).collect()
}

fn node<M: BoxBounds + ?Sized>(
    mech: &M,
    support: &Support,
    profile: &[f64],
    k: usize,
    key: Key,
) -> Node {
    let (forms, centre) = forms(&support.bx(key));
    Node {
        over: mech.outcome(profile, k, &forms),
        at_centre: OnceLock::new(),
        forms,
        centre,
    }
}

/// A lower bound on bidder `k`'s utility (true values `v`) at the node's centre.
fn centre_value<M: BoxBounds + ?Sized>(
    mech: &M,
    n: &Node,
    profile: &[f64],
    k: usize,
    v: &[f64],
) -> f64 {
    let point = constants(&n.centre);
    let o = n.at_centre.get_or_init(|| mech.outcome(profile, k, &point));
    mech.utility(o, v, &point).lo()
}

/// The upper bound on bidder `k`'s utility (true values `v`) over the node's box, and the
/// coordinate to split next: the one halved fewer times (boxes stay square, so that the
/// second-order remainder shrinks), and among equals the one the utility's form depends on
/// most.
fn bound<M: BoxBounds + ?Sized>(mech: &M, n: &Node, key: Key, v: &[f64]) -> (f64, usize) {
    let over = mech.utility(&n.over, v, &n.forms);
    let split = if n.forms.len() < 2 || key.level[0] < key.level[1] {
        0
    } else if key.level[1] < key.level[0] || over.g[1].abs() > over.g[0].abs() {
        1
    } else {
        0
    };
    (over.hi(), split)
}

/// An `f64` ordered for the heap (bounds are never NaN: enclosures of finite quantities).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ub(f64, Key, usize);

impl Eq for Ub {}
impl PartialOrd for Ub {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ub {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0
            .total_cmp(&o.0)
            .then_with(|| (o.1.level, o.1.cell, o.2).cmp(&(self.1.level, self.1.cell, self.2)))
    }
}

/// Shared box enclosures of a profile-independent mechanism.
type Cache = RwLock<HashMap<Key, Arc<Node>>>;

/// Certify bidder `k` at `profile`: `(regret upper bound, regret found, reached tol, boxes)`.
/// `seed` is a misreport known to be good (the search's best), which starts the best found.
fn certify_bidder<M: BoxBounds + ?Sized>(
    mech: &M,
    support: &Support,
    profile: &[f64],
    k: usize,
    seed: Option<&[f64]>,
    config: &CertifyConfig,
    cache: Option<&Cache>,
) -> (f64, f64, bool, usize) {
    let m = mech.items();
    let v = &profile[k * m..(k + 1) * m];
    let truth = constants(v);
    let u_truth = mech.utility(&mech.outcome(profile, k, &truth), v, &truth);
    let get = |key: Key| -> Arc<Node> {
        if let Some(c) = cache {
            if let Some(n) = c.read().expect("cache lock").get(&key) {
                return n.clone();
            }
            let n = Arc::new(node(mech, support, profile, k, key));
            c.write()
                .expect("cache lock")
                .entry(key)
                .or_insert(n)
                .clone()
        } else {
            Arc::new(node(mech, support, profile, k, key))
        }
    };
    let (truth_lo, truth_hi) = (u_truth.lo(), u_truth.hi());
    let mut best = truth_lo;
    if let Some(b) = seed.filter(|b| support.holds(b)) {
        let point = constants(b);
        best = best.max(
            mech.utility(&mech.outcome(profile, k, &point), v, &point)
                .lo(),
        );
    }
    let mut heap = BinaryHeap::new();
    let root = Key {
        level: [0, 0],
        cell: [0, 0],
    };
    let r = get(root);
    let (ub, split) = bound(mech, &r, root, v);
    heap.push(Ub(ub, root, split));
    let mut boxes = 1;
    let (top, reached) = loop {
        let Some(Ub(ub, key, split)) = heap.pop() else {
            // Every box was pruned below the best found: the best is the maximum.
            break (best, true);
        };
        if ub - best <= config.tol {
            break (ub, true);
        }
        // The box is worth splitting: its centre is a candidate misreport.
        let n = get(key);
        if support.holds(&n.centre) {
            best = best.max(centre_value(mech, &n, profile, k, v));
            if ub - best <= config.tol {
                break (ub, true);
            }
        }
        if boxes >= config.budget || key.level[split] >= MAX_LEVEL {
            break (ub, false);
        }
        let split = split.min(m - 1);
        for child in Support::halves(key, split) {
            if !support.meets(&support.bx(child)) {
                continue;
            }
            let n = get(child);
            boxes += 1;
            let (child_ub, next) = bound(mech, &n, child, v);
            heap.push(Ub(child_ub.min(ub), child, next));
        }
    };
    let upper = (top.max(best) - truth_lo).max(0.0);
    let lower = (best - truth_hi).max(0.0);
    (upper, lower, reached, boxes)
}

/// Certified regret of `net` on `profiles` (flat `[samples, n, m]`), every bidder, spread over
/// `work`'s threads (results do not depend on them). `seeds` (flat like `profiles`: bidder
/// `i`'s misreport at `[p, i, :]`, such as a search's best misreports) start the branch and
/// bound's best found, which only speeds it up.
pub fn certify_regret(
    net: &RegretNet,
    setting: &Setting,
    profiles: &[f32],
    seeds: Option<&[f32]>,
    config: &CertifyConfig,
    work: Work<'_>,
) -> Result<CertifiedRegret> {
    let net64 = Net64::new(net)?;
    certify_mechanism(&net64, setting, profiles, seeds, config, work)
}

/// [`certify_regret`] for any mechanism with box enclosures.
pub fn certify_mechanism<M: BoxBounds + ?Sized>(
    mech: &M,
    setting: &Setting,
    profiles: &[f32],
    seeds: Option<&[f32]>,
    config: &CertifyConfig,
    work: Work<'_>,
) -> Result<CertifiedRegret> {
    if seeds.is_some_and(|s| s.len() != profiles.len()) {
        return Err(RegretError::Shape(format!(
            "{} seed values for {} profile values",
            seeds.map_or(0, <[f32]>::len),
            profiles.len()
        )));
    }
    let (n, m) = (setting.bidders, setting.type_len());
    if m > 2 {
        return Err(RegretError::Unsupported(format!(
            "certified regret needs bidders who report at most 2 values; {} has {m}",
            setting.name
        )));
    }
    if !(config.tol.is_finite() && config.tol > 0.0) || config.budget == 0 {
        return Err(RegretError::Unsupported(format!(
            "certification needs a positive tolerance and budget, not {} and {}",
            config.tol, config.budget
        )));
    }
    let supports = (0..n)
        .map(|k| Support::of(setting, k))
        .collect::<Result<Vec<_>>>()?;
    let len = n * m;
    let samples = profiles.len() / len.max(1);
    let caches: Vec<Option<Cache>> = (0..n)
        .map(|_| {
            mech.profile_independent()
                .then(|| RwLock::new(HashMap::new()))
        })
        .collect();
    let parts = for_each_chunk(samples, work, |lo, hi| {
        let mut out = Vec::with_capacity((hi - lo) * n);
        for p in lo..hi {
            let profile: Vec<f64> = profiles[p * len..(p + 1) * len]
                .iter()
                .map(|&x| f64::from(x))
                .collect();
            let seed: Option<Vec<f64>> = seeds.map(|s| {
                s[p * len..(p + 1) * len]
                    .iter()
                    .map(|&x| f64::from(x))
                    .collect()
            });
            for k in 0..n {
                out.push(certify_bidder(
                    mech,
                    &supports[k],
                    &profile,
                    k,
                    seed.as_ref().map(|s| &s[k * m..(k + 1) * m]),
                    config,
                    caches[k].as_ref(),
                ));
            }
        }
        Ok(out)
    })?;
    let mut c = CertifiedRegret {
        bidders: n,
        upper: Vec::with_capacity(samples * n),
        lower: Vec::with_capacity(samples * n),
        reached: Vec::with_capacity(samples * n),
        boxes: Vec::with_capacity(samples * n),
    };
    for (u, l, r, b) in parts.into_iter().flatten() {
        c.upper.push(u);
        c.lower.push(l);
        c.reached.push(r);
        c.boxes.push(b);
    }
    Ok(c)
}

#[cfg(test)]
mod tests;

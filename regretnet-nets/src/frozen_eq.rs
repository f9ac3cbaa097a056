//! The equivariant RegretNet with its weights frozen, and the misreport search's input gradient
//! by hand ([`FrozenEquivariant`]), as [`crate::frozen`] does for the MLPs.
//!
//! Each exchangeable layer's entry product `X W_entry` runs as one matrix product over every
//! entry of every row; the pooled terms (column, row and grid means times `W_col`, `W_row`,
//! `W_all`) and the bias run in plain loops over each profile, with no intermediate tensors,
//! and tanh in one vectorised pass over the layer's output ([`crate::fused::tanh`]). Backward, for the gradient `dY` of a layer's pre-activation:
//!
//! ```text
//! dX[i, j] = dY[i, j] W_entry^T + (1/n) (sum_i' dY[i', j]) W_col^T
//!            + (1/m) (sum_j' dY[i, j']) W_row^T + (1/(n m)) (sum dY) W_all^T
//! ```
//!
//! The heads (module docs of [`crate::equivariant`]): with `P` the softmax over the `n + 1`
//! rows of the logits (row `n` the dummy bidder's `d_j`), `sigma` bidder `k`'s payment
//! fraction and `G_j = v_j - sigma x_kj`:
//!
//! ```text
//! u        = sum_j P_kj (v_j - sigma x_kj)
//! du/dz_ij = P_ij G_j (1[i = k] - P_kj)        (i < n; the dummy row: -P_nj G_j P_kj)
//! du/dg_k  = -sigma (1 - sigma) sum_j P_kj x_kj (the payment logit; 0 for the other bidders)
//! du/dx_kj += -sigma P_kj                        (the payment's direct dependence on the bid)
//! ```
//!
//! then back through the output layer, the dummy's column means and the payment's row means
//! into each stack. Only bidder `k`'s row of the input gradient is kept. Tested against
//! candle's autograd on [`EquivariantNet::forward`].

use candle_core::{Device, Tensor};

use crate::equivariant::EquivariantNet;
use crate::error::{NetsError, Result};
use crate::frozen::OwnUtility;
use crate::fused::tanh_in_place;

/// One exchangeable layer's weights as constants (`[c_in, c_out]` row-major).
#[derive(Debug, Clone)]
struct Layer {
    c_in: usize,
    c_out: usize,
    entry: Tensor,
    entry_t: Tensor,
    col: Vec<f32>,
    row: Vec<f32>,
    all: Vec<f32>,
    bias: Vec<f32>,
    tanh: bool,
}

fn values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}

/// `out[o] += sum_k x[k] w[k, o]` for `w` `[c_in, c_out]` row-major, scaled by `scale`.
fn add_product(out: &mut [f32], x: &[f32], w: &[f32], scale: f32) {
    let c_out = out.len();
    for (k, &xk) in x.iter().enumerate() {
        let s = xk * scale;
        for (o, wk) in out.iter_mut().zip(&w[k * c_out..(k + 1) * c_out]) {
            *o += s * wk;
        }
    }
}

/// `out[k] += scale sum_o g[o] w[k, o]` (the transpose's product).
fn add_product_t(out: &mut [f32], g: &[f32], w: &[f32], scale: f32) {
    let c_out = g.len();
    for (k, o) in out.iter_mut().enumerate() {
        let row = &w[k * c_out..(k + 1) * c_out];
        *o += scale * row.iter().zip(g).map(|(a, b)| a * b).sum::<f32>();
    }
}

impl Layer {
    fn new(
        vars: &std::collections::BTreeMap<String, candle_core::Var>,
        prefix: &str,
        tanh: bool,
    ) -> Result<Self> {
        let get = |name: &str| -> Result<Tensor> {
            Ok(vars
                .get(&format!("{prefix}.{name}"))
                .ok_or_else(|| NetsError::Shape(format!("no variable {prefix}.{name}")))?
                .as_detached_tensor())
        };
        let entry = get("entry")?;
        let (c_in, c_out) = entry.dims2()?;
        Ok(Layer {
            c_in,
            c_out,
            entry_t: entry.t()?.contiguous()?,
            entry,
            col: values(&get("col")?)?,
            row: values(&get("row")?)?,
            all: values(&get("all")?)?,
            bias: values(&get("bias")?)?,
            tanh,
        })
    }

    /// `x` `[R, n, m, c_in]` to the layer's output `[R, n, m, c_out]` (after tanh when the
    /// layer has it).
    fn forward(&self, x: &[f32], rows: usize, n: usize, m: usize) -> Result<Vec<f32>> {
        let (ci, co, cells) = (self.c_in, self.c_out, n * m);
        let mut y = Tensor::from_slice(x, (rows * cells, ci), &Device::Cpu)?
            .matmul(&self.entry)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let (mut colm, mut rowm, mut allm) =
            (vec![0f32; m * ci], vec![0f32; n * ci], vec![0f32; ci]);
        let (mut colt, mut rowt, mut allt) =
            (vec![0f32; m * co], vec![0f32; n * co], vec![0f32; co]);
        for p in 0..rows {
            let xp = &x[p * cells * ci..(p + 1) * cells * ci];
            colm.fill(0.0);
            rowm.fill(0.0);
            allm.fill(0.0);
            for i in 0..n {
                for j in 0..m {
                    let cell = &xp[(i * m + j) * ci..(i * m + j + 1) * ci];
                    for k in 0..ci {
                        colm[j * ci + k] += cell[k];
                        rowm[i * ci + k] += cell[k];
                        allm[k] += cell[k];
                    }
                }
            }
            colt.fill(0.0);
            rowt.fill(0.0);
            allt.copy_from_slice(&self.bias);
            for j in 0..m {
                add_product(
                    &mut colt[j * co..(j + 1) * co],
                    &colm[j * ci..(j + 1) * ci],
                    &self.col,
                    1.0 / n as f32,
                );
            }
            for i in 0..n {
                add_product(
                    &mut rowt[i * co..(i + 1) * co],
                    &rowm[i * ci..(i + 1) * ci],
                    &self.row,
                    1.0 / m as f32,
                );
            }
            add_product(&mut allt, &allm, &self.all, 1.0 / cells as f32);
            let yp = &mut y[p * cells * co..(p + 1) * cells * co];
            for i in 0..n {
                for j in 0..m {
                    let out = &mut yp[(i * m + j) * co..(i * m + j + 1) * co];
                    let (c, r) = (&colt[j * co..(j + 1) * co], &rowt[i * co..(i + 1) * co]);
                    for (((v, c), r), a) in out.iter_mut().zip(c).zip(r).zip(&allt) {
                        *v += c + r + a;
                    }
                }
            }
        }
        if self.tanh {
            // The vectorised tanh (`fused::tanh`, within 2e-7 of libm's): libm's scalar
            // `tanhf` was most of a 5x10 misreport step (BENCHMARKS.md).
            tanh_in_place(&mut y);
        }
        Ok(y)
    }

    /// The input gradient `[R, n, m, c_in]` from the gradient `dy` of the output (`y` the
    /// output, for tanh's derivative).
    fn backward(
        &self,
        y: &[f32],
        mut dy: Vec<f32>,
        rows: usize,
        n: usize,
        m: usize,
    ) -> Result<Vec<f32>> {
        let (ci, co, cells) = (self.c_in, self.c_out, n * m);
        if self.tanh {
            for (d, h) in dy.iter_mut().zip(y) {
                *d *= 1.0 - h * h;
            }
        }
        let mut dx = Tensor::from_slice(&dy, (rows * cells, co), &Device::Cpu)?
            .matmul(&self.entry_t)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let (mut scol, mut srow, mut sall) =
            (vec![0f32; m * co], vec![0f32; n * co], vec![0f32; co]);
        let (mut gc, mut gr, mut ga) = (vec![0f32; m * ci], vec![0f32; n * ci], vec![0f32; ci]);
        for p in 0..rows {
            let dp = &dy[p * cells * co..(p + 1) * cells * co];
            scol.fill(0.0);
            srow.fill(0.0);
            sall.fill(0.0);
            for i in 0..n {
                for j in 0..m {
                    let cell = &dp[(i * m + j) * co..(i * m + j + 1) * co];
                    for o in 0..co {
                        scol[j * co + o] += cell[o];
                        srow[i * co + o] += cell[o];
                        sall[o] += cell[o];
                    }
                }
            }
            gc.fill(0.0);
            gr.fill(0.0);
            ga.fill(0.0);
            for j in 0..m {
                add_product_t(
                    &mut gc[j * ci..(j + 1) * ci],
                    &scol[j * co..(j + 1) * co],
                    &self.col,
                    1.0 / n as f32,
                );
            }
            for i in 0..n {
                add_product_t(
                    &mut gr[i * ci..(i + 1) * ci],
                    &srow[i * co..(i + 1) * co],
                    &self.row,
                    1.0 / m as f32,
                );
            }
            add_product_t(&mut ga, &sall, &self.all, 1.0 / cells as f32);
            let xp = &mut dx[p * cells * ci..(p + 1) * cells * ci];
            for i in 0..n {
                for j in 0..m {
                    let cell = &mut xp[(i * m + j) * ci..(i * m + j + 1) * ci];
                    for k in 0..ci {
                        cell[k] += gc[j * ci + k] + gr[i * ci + k] + ga[k];
                    }
                }
            }
        }
        Ok(dx)
    }
}

/// A snapshot of an [`EquivariantNet`] for the misreport search: weights frozen. Build one per
/// search (the weights do not change during it).
#[derive(Debug, Clone)]
pub struct FrozenEquivariant {
    bidders: usize,
    items: usize,
    alloc: Vec<Layer>,
    dummy: Vec<f32>,
    dummy_bias: f32,
    pay: Vec<Layer>,
    pay_out: Vec<f32>,
    pay_out_bias: f32,
}

/// Run a stack forward, keeping every layer's output (input first).
fn stack_forward(
    layers: &[Layer],
    x: Vec<f32>,
    rows: usize,
    n: usize,
    m: usize,
) -> Result<Vec<Vec<f32>>> {
    let mut acts = vec![x];
    for l in layers {
        let next = l.forward(acts.last().expect("the input"), rows, n, m)?;
        acts.push(next);
    }
    Ok(acts)
}

/// Back through a stack from the gradient of its last output: the input's gradient.
fn stack_backward(
    layers: &[Layer],
    acts: &[Vec<f32>],
    mut d: Vec<f32>,
    rows: usize,
    n: usize,
    m: usize,
) -> Result<Vec<f32>> {
    for (l, y) in layers.iter().zip(&acts[1..]).rev() {
        d = l.backward(y, d, rows, n, m)?;
    }
    Ok(d)
}

impl FrozenEquivariant {
    /// Freeze `net`'s current weights, for profiles of `bidders` bidders and `items` items (any
    /// size: the weights do not depend on it).
    pub fn new(net: &EquivariantNet, bidders: usize, items: usize) -> Result<Self> {
        let vars = net.named_vars();
        let stack = |prefix: &str, widths: &[usize]| -> Result<Vec<Layer>> {
            (0..widths.len())
                .map(|l| Layer::new(&vars, &format!("{prefix}.layer{l}"), true))
                .collect()
        };
        let spec = &net.spec().net;
        let mut alloc = stack("eq.alloc", &spec.alloc_hidden)?;
        alloc.push(Layer::new(&vars, "eq.alloc.out", false)?);
        let scalar = |name: &str| -> Result<f32> { Ok(values(vars[name].as_tensor())?[0]) };
        Ok(FrozenEquivariant {
            bidders,
            items,
            alloc,
            dummy: values(vars["eq.alloc.dummy"].as_tensor())?,
            dummy_bias: scalar("eq.alloc.dummy_bias")?,
            pay: stack("eq.pay", &spec.pay_hidden)?,
            pay_out: values(vars["eq.pay.out"].as_tensor())?,
            pay_out_bias: scalar("eq.pay.out_bias")?,
        })
    }

    /// For each row `r` of `reports` (flat `[rows, n * m]`, a profile) and its bidder
    /// `k = r % n` with true values `values[r]` (flat `[rows, m]`): `k`'s utility and, when
    /// `with_grad`, its gradient with respect to `k`'s own report (the layout of
    /// [`crate::FrozenNet::own_utility_and_grad`]).
    pub fn own_utility_and_grad(
        &self,
        reports: &[f32],
        values: &[f32],
        with_grad: bool,
    ) -> Result<OwnUtility> {
        let (n, m) = (self.bidders, self.items);
        let cells = n * m;
        let rows = values.len() / m.max(1);
        if reports.len() != rows * cells || values.len() != rows * m {
            return Err(NetsError::Shape(format!(
                "{} report values and {} true values for rows of {n} x {m}",
                reports.len(),
                values.len()
            )));
        }
        let alloc_acts = stack_forward(&self.alloc, reports.to_vec(), rows, n, m)?;
        let pay_acts = stack_forward(&self.pay, reports.to_vec(), rows, n, m)?;
        let h = &alloc_acts[alloc_acts.len() - 2]; // the last hidden layer, [R, n, m, hd]
        let hd = self.dummy.len();
        let logits = alloc_acts.last().expect("the output layer"); // [R, n, m]
        let g = pay_acts.last().expect("the payment stack"); // [R, n, m, hp]
        let hp = self.pay_out.len();
        let mut utility = vec![0f32; rows];
        let mut grad = if with_grad {
            vec![0f32; rows * m]
        } else {
            Vec::new()
        };
        let (mut dz, mut dh_dummy, mut dg) = if with_grad {
            (
                vec![0f32; rows * cells],
                vec![0f32; rows * cells * hd],
                vec![0f32; rows * cells * hp],
            )
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let mut p = vec![0f32; (n + 1) * m];
        for r in 0..rows {
            let k = r % n;
            let x = &reports[r * cells..(r + 1) * cells];
            let v = &values[r * m..(r + 1) * m];
            // The payment fraction of bidder k: its row mean of G.
            let gk = &g[(r * cells + k * m) * hp..(r * cells + (k + 1) * m) * hp];
            let mut s = self.pay_out_bias;
            for j in 0..m {
                for c in 0..hp {
                    s += gk[j * hp + c] * self.pay_out[c] / m as f32;
                }
            }
            let sigma = 1.0 / (1.0 + (-s).exp());
            // The allocation: softmax over the n bidders and the dummy, per item.
            let hr = &h[r * cells * hd..(r + 1) * cells * hd];
            for j in 0..m {
                let mut d = self.dummy_bias;
                for i in 0..n {
                    for c in 0..hd {
                        d += hr[(i * m + j) * hd + c] * self.dummy[c] / n as f32;
                    }
                }
                let z = |i: usize| {
                    if i < n {
                        logits[r * cells + i * m + j]
                    } else {
                        d
                    }
                };
                let top = (0..=n).map(z).fold(f32::NEG_INFINITY, f32::max);
                let sum: f32 = (0..=n).map(|i| (z(i) - top).exp()).sum();
                for i in 0..=n {
                    p[i * m + j] = (z(i) - top).exp() / sum;
                }
            }
            let mut u = 0f32;
            let mut bought = 0f32;
            for j in 0..m {
                u += p[k * m + j] * (v[j] - sigma * x[k * m + j]);
                bought += p[k * m + j] * x[k * m + j];
            }
            utility[r] = u;
            if !with_grad {
                continue;
            }
            for j in 0..m {
                let gj = v[j] - sigma * x[k * m + j];
                let pk = p[k * m + j];
                for i in 0..n {
                    let own = if i == k { 1.0 } else { 0.0 };
                    dz[r * cells + i * m + j] = p[i * m + j] * gj * (own - pk);
                }
                // The dummy's logit reads the item's column mean of H.
                let dd = -p[n * m + j] * gj * pk / n as f32;
                for i in 0..n {
                    let cell = &mut dh_dummy
                        [(r * cells + i * m + j) * hd..(r * cells + i * m + j + 1) * hd];
                    for (a, w) in cell.iter_mut().zip(&self.dummy) {
                        *a += dd * w;
                    }
                }
                grad[r * m + j] = -sigma * pk;
            }
            // The payment logit reads bidder k's row mean of G.
            let ds = -sigma * (1.0 - sigma) * bought / m as f32;
            for j in 0..m {
                let cell = &mut dg[(r * cells + k * m + j) * hp..(r * cells + k * m + j + 1) * hp];
                for (a, w) in cell.iter_mut().zip(&self.pay_out) {
                    *a = ds * w;
                }
            }
        }
        if !with_grad {
            return Ok(OwnUtility { utility, grad });
        }
        // Back through the output layer (no tanh) into H, plus the dummy's share.
        let out_layer = self.alloc.last().expect("the output layer");
        let mut dh = out_layer.backward(logits, dz, rows, n, m)?;
        for (a, b) in dh.iter_mut().zip(&dh_dummy) {
            *a += b;
        }
        let hidden = &self.alloc[..self.alloc.len() - 1];
        let dx_alloc = stack_backward(hidden, &alloc_acts[..alloc_acts.len() - 1], dh, rows, n, m)?;
        let dx_pay = stack_backward(&self.pay, &pay_acts, dg, rows, n, m)?;
        for r in 0..rows {
            let k = r % n;
            for j in 0..m {
                let at = r * cells + k * m + j;
                grad[r * m + j] += dx_alloc[at] + dx_pay[at];
            }
        }
        Ok(OwnUtility { utility, grad })
    }
}

//! Adam for the network weights, with its state as named tensors (so checkpoints can hold it).
//!
//! candle-nn's `AdamW` keeps its moments private and defaults to weight decay 0.01; the
//! reference trains with plain Adam (`docs/PAPER.md`: Adam, lr 1e-3), which this is.

use std::collections::BTreeMap;

use candle_core::{backprop::GradStore, Tensor, Var};

use crate::error::Result;

/// Plain Adam (Kingma and Ba 2015) over a name-ordered set of variables.
#[derive(Debug)]
pub struct Adam {
    vars: BTreeMap<String, Var>,
    m: BTreeMap<String, Tensor>,
    v: BTreeMap<String, Tensor>,
    step: u64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl Adam {
    /// Fresh state (zero moments) for `vars` with learning rate `lr`, betas (0.9, 0.999) and
    /// eps 1e-8 (the defaults of TensorFlow 1's `AdamOptimizer`, which the reference uses).
    pub fn new(vars: BTreeMap<String, Var>, lr: f64) -> Result<Self> {
        let mut m = BTreeMap::new();
        let mut v = BTreeMap::new();
        for (name, var) in &vars {
            m.insert(name.clone(), var.as_tensor().zeros_like()?);
            v.insert(name.clone(), var.as_tensor().zeros_like()?);
        }
        Ok(Adam {
            vars,
            m,
            v,
            step: 0,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        })
    }

    /// Change the learning rate (for schedules).
    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// One descent step on the gradients in `grads` (variables without a gradient keep their
    /// value; their moments decay as if the gradient were zero).
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step_sum(std::slice::from_ref(grads))
    }

    /// One descent step on the sum of several gradient stores (one per shard of a batch).
    pub fn step_sum(&mut self, stores: &[GradStore]) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let c1 = 1.0 - self.beta1.powi(t);
        let c2 = 1.0 - self.beta2.powi(t);
        for (name, var) in &self.vars {
            let m = &self.m[name];
            let v = &self.v[name];
            let mut sum: Option<Tensor> = None;
            for g in stores.iter().filter_map(|s| s.get(var.as_tensor())) {
                sum = Some(match sum {
                    None => g.clone(),
                    Some(acc) => (acc + g)?,
                });
            }
            let (m_new, v_new) = match sum.as_ref() {
                Some(g) => (
                    ((m * self.beta1)? + (g * (1.0 - self.beta1))?)?,
                    ((v * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?,
                ),
                None => ((m * self.beta1)?, (v * self.beta2)?),
            };
            let update = ((&m_new / c1)? / ((&v_new / c2)?.sqrt()? + self.eps)?)?;
            var.set(&(var.as_tensor() - (update * self.lr)?)?.detach())?;
            self.m.insert(name.clone(), m_new.detach());
            self.v.insert(name.clone(), v_new.detach());
        }
        Ok(())
    }

    /// Restore moments and step count from [`Adam::state`] tensors; `Err` names the first
    /// missing or misshapen entry.
    pub fn restore(&mut self, state: &BTreeMap<String, Tensor>) -> std::result::Result<(), String> {
        let mut m = BTreeMap::new();
        let mut v = BTreeMap::new();
        for (name, var) in &self.vars {
            for (prefix, out) in [("optim.m.", &mut m), ("optim.v.", &mut v)] {
                let key = format!("{prefix}{name}");
                let t = state
                    .get(&key)
                    .ok_or_else(|| format!("tensor `{key}` is missing"))?;
                if t.shape() != var.as_tensor().shape() || t.dtype() != var.as_tensor().dtype() {
                    return Err(format!(
                        "tensor `{key}` is {:?} {:?}, expected {:?} {:?}",
                        t.dtype(),
                        t.dims(),
                        var.as_tensor().dtype(),
                        var.as_tensor().dims()
                    ));
                }
                out.insert(name.clone(), t.clone());
            }
        }
        let step = state
            .get("optim.step")
            .and_then(|t| t.to_vec1::<f64>().ok())
            .and_then(|v| v.first().copied())
            .filter(|s| s.is_finite() && *s >= 0.0 && s.fract() == 0.0)
            .ok_or("tensor `optim.step` is missing or not a step count")?;
        self.m = m;
        self.v = v;
        self.step = step as u64;
        Ok(())
    }

    /// The state as named tensors: `optim.m.{var}`, `optim.v.{var}`, and `optim.step` (a
    /// one-element f64 tensor).
    pub fn state(&self) -> Result<BTreeMap<String, Tensor>> {
        let mut out = BTreeMap::new();
        for (name, t) in &self.m {
            out.insert(format!("optim.m.{name}"), t.clone());
        }
        for (name, t) in &self.v {
            out.insert(format!("optim.v.{name}"), t.clone());
        }
        out.insert(
            "optim.step".into(),
            Tensor::new(&[self.step as f64], &candle_core::Device::Cpu)?,
        );
        Ok(out)
    }
}

//! Adam on plain `f32` slices, for the misreports (Kingma and Ba 2015, with bias correction).

/// Adam state for a vector of misreports; reset for every new search.
#[derive(Debug, Clone)]
pub struct SliceAdam {
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    step: i32,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl SliceAdam {
    /// Fresh state for `len` parameters with the usual betas (0.9, 0.999) and eps 1e-8.
    pub fn new(len: usize, lr: f32) -> Self {
        SliceAdam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            step: 0,
            m: vec![0.0; len],
            v: vec![0.0; len],
        }
    }

    /// Whether every first-moment estimate is exactly zero. With a zero gradient too, a step
    /// then moves nothing: the ascent sits at a fixed point (see the search's early exit).
    pub fn at_rest(&self) -> bool {
        self.m.iter().all(|&m| m == 0.0)
    }

    /// One *ascent* step: `x += lr * m_hat / (sqrt(v_hat) + eps)` for the gradient `grad`.
    pub fn ascend(&mut self, x: &mut [f32], grad: &[f32]) {
        self.step += 1;
        let c1 = 1.0 - self.beta1.powi(self.step);
        let c2 = 1.0 - self.beta2.powi(self.step);
        for (((x, g), m), v) in x.iter_mut().zip(grad).zip(&mut self.m).zip(&mut self.v) {
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
            *x += self.lr * (*m / c1) / ((*v / c2).sqrt() + self.eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_lr_in_the_gradient_direction() {
        // With bias correction, Adam's first step is lr * g / (|g| + eps) = lr * sign(g).
        let mut adam = SliceAdam::new(2, 0.1);
        let mut x = [0.0f32, 0.0];
        adam.ascend(&mut x, &[3.0, -0.5]);
        assert!(
            (x[0] - 0.1).abs() < 1e-6 && (x[1] + 0.1).abs() < 1e-6,
            "{x:?}"
        );
    }

    #[test]
    fn climbs_a_concave_quadratic_to_its_top() {
        // u(x) = -(x - 0.3)^2 has its maximum at 0.3.
        let mut adam = SliceAdam::new(1, 0.01);
        let mut x = [1.0f32];
        for _ in 0..2000 {
            let g = -2.0 * (x[0] - 0.3);
            adam.ascend(&mut x, &[g]);
        }
        assert!((x[0] - 0.3).abs() < 1e-2, "{x:?}");
    }
}

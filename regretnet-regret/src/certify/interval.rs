//! Boxes of reports as closed intervals, and the neighbouring floats of an `f64` (the outward
//! rounding of [`super::affine`]).

/// The neighbouring floats of an `f64` (`f64::next_up` and `next_down` need Rust 1.86; the
/// workspace supports 1.85).
pub trait Ulp {
    /// The least float above (infinity and NaN unchanged).
    fn ulp_up(self) -> f64;
    /// The greatest float below.
    fn ulp_down(self) -> f64;
}

impl Ulp for f64 {
    fn ulp_up(self) -> f64 {
        if self.is_nan() || self == f64::INFINITY {
            self
        } else if self == 0.0 {
            f64::from_bits(1)
        } else if self > 0.0 {
            f64::from_bits(self.to_bits() + 1)
        } else {
            f64::from_bits(self.to_bits() - 1)
        }
    }
    fn ulp_down(self) -> f64 {
        -(-self).ulp_up()
    }
}

/// A closed interval `[lo, hi]` of reals (a box's side).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Iv {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Iv {
    /// `[lo, hi]`.
    pub fn new(lo: f64, hi: f64) -> Iv {
        debug_assert!(lo <= hi, "[{lo}, {hi}]");
        Iv { lo, hi }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_floats_are_one_ulp_away() {
        for x in [0.0, -0.0, 1.0, -1.0, 1e-310, -1e-310, 3.5e300, f64::MAX] {
            let (u, d) = (x.ulp_up(), x.ulp_down());
            assert!(u > x && d < x, "{x}");
            // Nothing between: the midpoints round back to an end.
            let mid = 0.5 * x + 0.5 * u;
            assert!(mid == x || mid == u);
        }
        assert_eq!(f64::INFINITY.ulp_up(), f64::INFINITY);
    }
}

//! Sample statistics shared by the crates above: the mean and its standard error.

/// Mean and standard error of the mean of `values` (`sd / sqrt(k)` with the `k - 1` divisor;
/// 0 and 0 when empty, standard error 0 for one value).
pub fn mean_se(values: &[f64]) -> (f64, f64) {
    let k = values.len();
    if k == 0 {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / k as f64;
    if k == 1 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1) as f64;
    (mean, (var / k as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_standard_error_by_hand() {
        // [1, 2, 3, 6]: mean 3, sample variance (4 + 1 + 0 + 9) / 3 = 14/3, se sqrt(14/12).
        let (m, se) = mean_se(&[1.0, 2.0, 3.0, 6.0]);
        assert!((m - 3.0).abs() < 1e-12);
        assert!((se - (14.0f64 / 12.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_se(&[]), (0.0, 0.0));
        assert_eq!(mean_se(&[2.5]), (2.5, 0.0));
    }
}

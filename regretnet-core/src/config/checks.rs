//! Field checks shared by the sections' validators; each error names the field.

use crate::error::ConfigError;

pub(crate) fn positive<T: PartialOrd + Default + std::fmt::Display>(
    field: &str,
    v: T,
) -> Result<(), ConfigError> {
    if v > T::default() {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field,
            format!("must be positive, got {v}"),
        ))
    }
}

pub(crate) fn positive_finite(field: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field,
            format!("must be a positive finite number, got {v}"),
        ))
    }
}

pub(crate) fn non_negative_finite(field: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field,
            format!("must be a finite number >= 0, got {v}"),
        ))
    }
}

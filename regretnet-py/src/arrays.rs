//! numpy arrays in and out. Profiles come in as `(batch, bidders, values)` arrays; a C-ordered
//! `float32` array is read in place, anything else (float64, a list, a Fortran-ordered view) is
//! converted once by numpy. Results go out as new `float32` arrays that own the library's
//! buffers (no copy).

use numpy::ndarray::{Array, IxDyn};
use numpy::{PyArray3, PyArrayDyn, PyArrayMethods, PyReadonlyArray3, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::value_error;

/// Profiles read from Python: a read-only `float32` view of `(batch, n, d)`.
#[derive(Debug)]
pub struct Profiles<'py> {
    array: PyReadonlyArray3<'py, f32>,
}

impl<'py> Profiles<'py> {
    /// `obj` as profiles of `n` bidders with `d` values each; a `ValueError` naming `what`
    /// when it is not a 3-D array of that shape or not numbers.
    pub fn read(obj: &Bound<'py, PyAny>, what: &str, n: usize, d: usize) -> PyResult<Self> {
        let py = obj.py();
        let array = match obj.cast::<PyArray3<f32>>() {
            Ok(a) if a.is_c_contiguous() => a.clone(),
            _ => {
                let np = py.import("numpy")?;
                let converted = np
                    .call_method1("ascontiguousarray", (obj, np.getattr("float32")?))
                    .map_err(|e| value_error(format!("{what} must be an array of numbers: {e}")))?;
                let dims = converted.getattr("ndim")?.extract::<usize>()?;
                if dims != 3 {
                    let shape = converted.getattr("shape")?.str()?.to_string();
                    return Err(value_error(format!(
                        "{what} must have shape (batch, {n}, {d}) (profiles x bidders x \
                         values), not {shape}"
                    )));
                }
                converted.cast_into::<PyArray3<f32>>()?
            }
        };
        let shape = array.shape().to_vec();
        if shape[1] != n || shape[2] != d || shape[0] == 0 {
            return Err(value_error(format!(
                "{what} must have shape (batch, {n}, {d}) (profiles x bidders x values) with \
                 batch >= 1, not {:?}",
                shape
            )));
        }
        Ok(Profiles {
            array: array.readonly(),
        })
    }

    /// The values, row-major `[batch, n, d]`.
    pub fn as_slice(&self) -> PyResult<&[f32]> {
        self.array
            .as_slice()
            .map_err(|e| value_error(format!("profiles are not contiguous: {e}")))
    }

    /// Profiles in the batch.
    pub fn batch(&self) -> usize {
        self.array.shape()[0]
    }
}

/// `values` as a new numpy array of `shape` (which must hold exactly `values.len()` entries).
pub fn owned<'py>(
    py: Python<'py>,
    values: Vec<f32>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let a = Array::from_shape_vec(IxDyn(shape), values)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(format!("array shape: {e}")))?;
    Ok(PyArrayDyn::from_owned_array(py, a))
}

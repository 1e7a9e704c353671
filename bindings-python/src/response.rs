//! `passfort.Response`: a 2xx answer of `call`/`request` with its metadata,
//! converted from the core's `ApiResponse` where it is delivered.

use passfort_core::ApiResponse;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{json_to_py, repr_opt};

#[pyclass(module = "passfort._native", name = "Response", frozen, get_all)]
pub struct PyResponse {
    pub status: u16,
    /// Every header (names in lower case; repeated ones joined with ", ").
    pub headers: Py<PyDict>,
    pub request_id: Option<String>,
    pub etag: Option<String>,
    pub rate_limit_remaining: Option<u64>,
    pub rate_limit_reset_secs: Option<f64>,
    pub rate_limit_reset: Option<i64>,
    /// Seconds the server asked to wait (`Retry-After`), if it did.
    pub retry_after: Option<f64>,
    /// The JSON answered, as Python objects (None for an empty body).
    pub body: Py<PyAny>,
    pub raw: Py<PyBytes>,
    /// True when a lost `run_check` answer was resolved by reading the check back.
    pub adopted: bool,
}

#[pymethods]
impl PyResponse {
    fn __repr__(&self) -> String {
        format!(
            "Response(status={}, request_id={}, adopted={})",
            self.status,
            repr_opt(self.request_id.as_deref()),
            quote_bool(self.adopted)
        )
    }
}

fn quote_bool(flag: bool) -> &'static str {
    if flag {
        "True"
    } else {
        "False"
    }
}

/// An `ApiResponse` on its way to Python.
pub struct ResponseOut(pub ApiResponse);

impl<'py> IntoPyObject<'py> for ResponseOut {
    type Target = PyResponse;
    type Output = Bound<'py, PyResponse>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let response = self.0;
        let headers = PyDict::new(py);
        for (name, value) in &response.meta.headers {
            let joined = match headers.get_item(name)? {
                Some(earlier) => format!("{}, {value}", earlier.extract::<String>()?),
                None => value.clone(),
            };
            headers.set_item(name, joined)?;
        }
        Bound::new(
            py,
            PyResponse {
                status: response.status,
                headers: headers.unbind(),
                request_id: response.meta.request_id,
                etag: response.meta.etag,
                rate_limit_remaining: response.meta.rate_limit_remaining,
                rate_limit_reset_secs: response.meta.rate_limit_reset_secs,
                rate_limit_reset: response.meta.rate_limit_reset,
                retry_after: response.meta.retry_after.map(|wait| wait.as_secs_f64()),
                body: json_to_py(py, &response.body)?,
                raw: PyBytes::new(py, &response.raw).unbind(),
                adopted: response.adopted,
            },
        )
    }
}

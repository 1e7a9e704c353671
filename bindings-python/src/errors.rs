//! Core errors as the Python exception classes of `passfort._errors`, chosen
//! by the core's stable error code through that module's one table. Errors
//! are converted on a Python thread: futures hand back the core's error
//! ([`CoreResult`]) and the conversion runs where the result is delivered, so
//! runtime threads never wait for the GIL.

use passfort_core::{Cause, Error};
use pyo3::exceptions::{PyConnectionAbortedError, PyConnectionRefusedError, PyConnectionResetError, PyOSError, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;

use crate::models::PyErrorDetail;

/// A call's result as the core gave it; becomes a value or an exception
/// when converted to Python.
pub struct CoreResult<T>(pub passfort_core::Result<T>);

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for CoreResult<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.0 {
            Ok(value) => value.into_bound_py_any(py),
            Err(error) => Err(build(py, error).unwrap_or_else(|failure| failure)),
        }
    }
}

/// A batch's results: each item a value or its exception object (not raised).
pub struct Outcomes<T>(pub Vec<passfort_core::Result<T>>);

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for Outcomes<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let items = self
            .0
            .into_iter()
            .map(|result| match result {
                Ok(value) => value.into_py_any(py),
                Err(error) => Ok(build(py, error).unwrap_or_else(|failure| failure).into_value(py).into_any()),
            })
            .collect::<PyResult<Vec<_>>>()?;
        items.into_bound_py_any(py)
    }
}

/// For code already holding the GIL on a Python thread.
pub fn to_py_err(error: Error) -> PyErr {
    Python::attach(|py| build(py, error).unwrap_or_else(|failure| failure))
}

/// The exception object for an error, not raised (a batch item, a recovered check's error).
pub fn error_object(py: Python<'_>, error: Error) -> Py<PyAny> {
    build(py, error).unwrap_or_else(|failure| failure).into_value(py).into_any()
}

fn build(py: Python<'_>, error: Error) -> PyResult<PyErr> {
    let message = error.to_string();
    let attributes = PyDict::new(py);
    attributes.set_item("code", error.code())?;
    attributes.set_item("may_have_reached_server", error.may_have_reached_server())?;
    match &error {
        Error::Api(api) => {
            attributes.set_item("status", api.status)?;
            let details: Vec<PyErrorDetail> = api.errors.iter().cloned().map(PyErrorDetail::from).collect();
            attributes.set_item("errors", details)?;
            attributes.set_item("request_id", api.request_id.clone())?;
            attributes.set_item("body_snippet", api.body_snippet.clone())?;
            attributes.set_item("retry_after", api.retry_after.map(|wait| wait.as_secs_f64()))?;
        }
        Error::Decode { status, snippet, .. } => {
            attributes.set_item("status", status)?;
            attributes.set_item("body_snippet", snippet)?;
        }
        Error::Redirect { status, target_host, .. } => {
            attributes.set_item("status", status)?;
            attributes.set_item("target_host", target_host)?;
        }
        Error::WaitTimeout { profile_id, check_id, last_state, waited } => {
            attributes.set_item("profile_id", profile_id)?;
            attributes.set_item("check_id", check_id)?;
            attributes.set_item("last_state", last_state.as_ref().map(|state| state.as_str()))?;
            attributes.set_item("waited", waited.as_secs_f64())?;
        }
        Error::AmbiguousCheckCreation { profile_id, check_type, task_ids, sent_at, .. } => {
            attributes.set_item("profile_id", profile_id)?;
            attributes.set_item("check_type", check_type)?;
            attributes.set_item("task_ids", task_ids.clone())?;
            attributes.set_item("sent_at", *sent_at)?;
        }
        Error::AmbiguousCreation { operation, profile_id, look_for, sent_at, .. } => {
            attributes.set_item("operation", operation)?;
            attributes.set_item("profile_id", profile_id)?;
            attributes.set_item("look_for", look_for)?;
            attributes.set_item("sent_at", *sent_at)?;
        }
        Error::UpdateConflict { profile_id, attempts } => {
            attributes.set_item("status", 412)?;
            attributes.set_item("profile_id", profile_id)?;
            attributes.set_item("attempts", attempts)?;
        }
        Error::PatchFailed { profile_id, index, op, path, test_failed, .. } => {
            attributes.set_item("profile_id", profile_id)?;
            attributes.set_item("index", index)?;
            attributes.set_item("op", op)?;
            attributes.set_item("path", path)?;
            attributes.set_item("test_failed", test_failed)?;
        }
        Error::Webhook { kind, .. } => attributes.set_item("reason", kind.as_str())?,
        _ => {}
    }
    let module = py.import("passfort._errors")?;
    let class = module.getattr("CLASS_BY_CODE")?.get_item(error.code())?;
    let exception = class.call1((message,))?;
    for (name, value) in attributes.iter() {
        exception.setattr(name.extract::<String>()?, value)?;
    }
    if let Some(cause) = error.cause() {
        exception.setattr("__cause__", cause_exception(py, cause, &error)?)?;
    }
    Ok(PyErr::from_value(exception))
}

/// The underlying failure as the exception Python itself would raise for it,
/// so that `except ConnectionRefusedError` and `raise ... from` work.
fn cause_exception<'py>(py: Python<'py>, cause: Cause, error: &Error) -> PyResult<Bound<'py, PyAny>> {
    let class = match cause {
        Cause::ConnectionRefused => py.get_type::<PyConnectionRefusedError>().into_any(),
        Cause::ConnectionReset => py.get_type::<PyConnectionResetError>().into_any(),
        Cause::ConnectionAborted => py.get_type::<PyConnectionAbortedError>().into_any(),
        Cause::TimedOut => py.get_type::<PyTimeoutError>().into_any(),
        Cause::HostNotFound => py.import("socket")?.getattr("gaierror")?,
        Cause::Tls => py.import("ssl")?.getattr("SSLError")?,
        _ => py.get_type::<PyOSError>().into_any(),
    };
    let detail = match error {
        Error::Connection { message, .. } => message.clone(),
        other => other.to_string(),
    };
    class.call1((detail,))
}

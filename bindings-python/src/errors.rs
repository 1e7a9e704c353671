//! Core errors as the Python exception classes defined in `passfort._errors`.

use passfort_core::{ApiErrorKind, Error};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::models::PyErrorDetail;

pub fn to_py_err(error: Error) -> PyErr {
    Python::attach(|py| build(py, error).unwrap_or_else(|failure| failure))
}

fn build(py: Python<'_>, error: Error) -> PyResult<PyErr> {
    let message = error.to_string();
    let attributes = PyDict::new(py);
    attributes.set_item("may_have_reached_server", error.may_have_reached_server())?;
    let class = match &error {
        Error::InvalidArgument(_) => return Ok(PyValueError::new_err(message)),
        Error::Config(_) => "ConfigurationError",
        Error::Api(api) => {
            attributes.set_item("status", api.status)?;
            let details: Vec<PyErrorDetail> = api.errors.iter().cloned().map(PyErrorDetail::from).collect();
            attributes.set_item("errors", details)?;
            attributes.set_item("request_id", api.request_id.clone())?;
            attributes.set_item("body_snippet", api.body_snippet.clone())?;
            match api.kind {
                ApiErrorKind::Authentication => "AuthenticationError",
                ApiErrorKind::NotFound => "NotFoundError",
                ApiErrorKind::BadRequest => "BadRequestError",
                ApiErrorKind::Conflict => "ConflictError",
                ApiErrorKind::RateLimited => {
                    attributes.set_item("retry_after", api.retry_after.map(|wait| wait.as_secs_f64()))?;
                    "RateLimitError"
                }
                ApiErrorKind::Server => "ServerError",
                _ => "APIError",
            }
        }
        Error::Timeout { .. } => "APITimeoutError",
        Error::Connection { .. } => "APIConnectionError",
        Error::Decode { status, snippet, .. } => {
            attributes.set_item("status", status)?;
            attributes.set_item("body_snippet", snippet)?;
            "ResponseDecodeError"
        }
        Error::WaitTimeout { profile_id, check_id, last_state, waited } => {
            attributes.set_item("profile_id", profile_id)?;
            attributes.set_item("check_id", check_id)?;
            attributes.set_item("last_state", last_state.as_ref().map(|state| state.as_str()))?;
            attributes.set_item("waited", waited.as_secs_f64())?;
            "CheckWaitTimeout"
        }
        Error::AmbiguousCheckCreation { profile_id, check_type, task_ids, sent_at, .. } => {
            attributes.set_item("profile_id", profile_id)?;
            attributes.set_item("check_type", check_type)?;
            attributes.set_item("task_ids", task_ids.clone())?;
            attributes.set_item("sent_at", *sent_at)?;
            "AmbiguousCheckError"
        }
        Error::Webhook { kind, .. } => {
            attributes.set_item("reason", format!("{kind:?}").to_lowercase())?;
            "WebhookVerificationError"
        }
        _ => "PassFortError",
    };
    let module = py.import("passfort._errors")?;
    let exception = module.getattr(class)?.call1((message,))?;
    for (name, value) in attributes.iter() {
        exception.setattr(name.extract::<String>()?, value)?;
    }
    Ok(PyErr::from_value(exception))
}

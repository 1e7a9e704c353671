//! `passfort.testing.Emulator`: the Rust emulator inside the Python process.

use std::sync::Mutex;
use std::time::Duration;

use passfort_emulator::{Emulator, EmulatorConfig, WebhookConfig};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::convert::{json_to_py, py_to_json};
use crate::runtime::block_on;

#[pyclass(module = "passfort._native", frozen)]
pub struct NativeEmulator {
    emulator: Mutex<Option<Emulator>>,
    url: String,
    base_url: String,
    api_key: String,
}

impl NativeEmulator {
    fn with<T>(&self, action: impl FnOnce(&Emulator) -> T) -> PyResult<T> {
        let emulator = self.emulator.lock().unwrap_or_else(|p| p.into_inner());
        emulator.as_ref().map(action).ok_or_else(|| PyRuntimeError::new_err("the emulator is closed"))
    }
}

fn json_list(py: Python<'_>, values: Vec<serde_json::Value>) -> PyResult<Py<PyAny>> {
    json_to_py(py, &serde_json::Value::Array(values))
}

/// A simulated delay in seconds, checked by the core (negative ones refused, not a panic).
fn delay(name: &str, seconds: Option<f64>) -> PyResult<Option<Duration>> {
    passfort_core::Dialect::PYTHON.delay(name, seconds, passfort_core::args::limits::EMULATOR_DELAY).map_err(crate::errors::to_py_err)
}

#[pymethods]
impl NativeEmulator {
    #[new]
    #[pyo3(signature = (api_key=None, sync_timeout=None, provider_latency=None))]
    fn new(py: Python<'_>, api_key: Option<String>, sync_timeout: Option<f64>, provider_latency: Option<f64>) -> PyResult<Self> {
        // Anything not given is the emulator's own default.
        let defaults = EmulatorConfig::default();
        let config = EmulatorConfig {
            api_key: api_key.unwrap_or(defaults.api_key.clone()),
            sync_timeout: delay("sync_timeout", sync_timeout)?.unwrap_or(defaults.sync_timeout),
            provider_latency: delay("provider_latency", provider_latency)?.unwrap_or(defaults.provider_latency),
            ..defaults
        };
        let api_key = config.api_key.clone();
        let emulator = block_on(py, async move {
            passfort_emulator::start(config).await.map_err(|e| PyRuntimeError::new_err(format!("the emulator cannot start: {e}")))
        })?;
        let (url, base_url) = (emulator.url().to_owned(), emulator.base_url());
        Ok(Self { emulator: Mutex::new(Some(emulator)), url, base_url, api_key })
    }

    /// The API key the emulator accepts.
    #[getter]
    fn api_key(&self) -> &str {
        &self.api_key
    }
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    #[pyo3(signature = (profile_id, check_type, results, latency))]
    fn script(&self, profile_id: &str, check_type: &str, results: Vec<String>, latency: Option<f64>) -> PyResult<()> {
        let latency = delay("latency", latency)?;
        self.with(|e| e.script(profile_id, check_type, results, latency))?.map_err(PyValueError::new_err)
    }

    fn fault(&self, py: Python<'_>, rule: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let rule = py_to_json("rule", rule)?;
        let added = self.with(|e| e.add_fault(&rule))?.map_err(PyValueError::new_err)?;
        json_to_py(py, &added)
    }

    fn clear_faults(&self) -> PyResult<()> {
        self.with(Emulator::clear_faults)
    }

    fn checks(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_list(py, self.with(Emulator::checks)?)
    }

    fn requests(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_list(py, self.with(Emulator::requests)?)
    }

    fn webhook_deliveries(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_list(py, self.with(Emulator::webhook_deliveries)?)
    }

    #[pyo3(signature = (url, secret, batching))]
    fn set_webhook(&self, url: Option<String>, secret: Option<String>, batching: bool) -> PyResult<()> {
        let config = match (url, secret) {
            (None, _) => None,
            (Some(url), Some(secret)) => Some(WebhookConfig { url, secret, batching, events: None }),
            (Some(_), None) => return Err(PyValueError::new_err("a webhook needs a secret")),
        };
        self.with(|e| e.set_webhook(config))
    }

    #[pyo3(signature = (sync_timeout, provider_latency))]
    fn configure(&self, sync_timeout: Option<f64>, provider_latency: Option<f64>) -> PyResult<()> {
        let (sync_timeout, provider_latency) = (delay("sync_timeout", sync_timeout)?, delay("provider_latency", provider_latency)?);
        self.with(|e| e.configure(sync_timeout, provider_latency))
    }

    fn reset(&self) -> PyResult<()> {
        self.with(Emulator::reset)
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let emulator = self.emulator.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(emulator) = emulator {
            block_on(py, async move {
                emulator.shutdown().await;
                Ok(())
            })?;
        }
        Ok(())
    }
}

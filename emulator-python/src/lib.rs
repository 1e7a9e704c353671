//! `passfort_emulator._native`: the Rust emulator inside a Python process, for
//! tests. Shipped apart from `passfort` so that production installs carry no
//! emulator; `passfort.testing` imports it. Values cross as JSON text.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use passfort_emulator::{Emulator, EmulatorConfig, RateLimit, WebhookConfig};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// The emulator's own runtime, apart from the client's: a test's client and
/// emulator then never share threads. Made on first use.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("passfort-emulator")
            .enable_all()
            .build()
            .expect("a tokio runtime can be built")
    })
}

/// `passfort.InvalidArgumentError` (a `ValueError`), as the client raises for bad input.
fn invalid_argument(message: String) -> PyErr {
    Python::attach(|py| {
        py.import("passfort._errors")
            .and_then(|module| module.getattr("InvalidArgumentError"))
            .and_then(|class| class.call1((message.clone(),)))
            .map(PyErr::from_value)
            .unwrap_or_else(|_| PyValueError::new_err(message))
    })
}

/// A simulated delay in seconds, checked by the core like every other duration.
fn delay(name: &str, seconds: Option<f64>) -> PyResult<Option<Duration>> {
    passfort_core::Dialect::PYTHON
        .delay(name, seconds, passfort_core::args::limits::EMULATOR_DELAY)
        .map_err(|error| invalid_argument(error.to_string()))
}

fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

#[pyclass(module = "passfort_emulator._native", frozen)]
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

#[pymethods]
impl NativeEmulator {
    #[new]
    #[pyo3(signature = (api_key=None, sync_timeout=None, provider_latency=None, rate_limit=None))]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        sync_timeout: Option<f64>,
        provider_latency: Option<f64>,
        rate_limit: Option<(u32, u32)>,
    ) -> PyResult<Self> {
        if rate_limit.is_some_and(|(per_hour, burst)| per_hour == 0 || burst == 0) {
            return Err(invalid_argument("a rate limit allows at least 1 request an hour with a burst of 1".to_owned()));
        }
        // Anything not given is the emulator's own default.
        let defaults = EmulatorConfig::default();
        let config = EmulatorConfig {
            api_key: api_key.unwrap_or(defaults.api_key.clone()),
            sync_timeout: delay("sync_timeout", sync_timeout)?.unwrap_or(defaults.sync_timeout),
            provider_latency: delay("provider_latency", provider_latency)?.unwrap_or(defaults.provider_latency),
            rate_limit: rate_limit.map(|(per_hour, burst)| RateLimit { per_hour, burst }).or(defaults.rate_limit),
            ..defaults
        };
        let api_key = config.api_key.clone();
        let emulator = py
            .detach(|| runtime().block_on(passfort_emulator::start(config)))
            .map_err(|e| PyRuntimeError::new_err(format!("the emulator cannot start: {e}")))?;
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
        self.with(|e| e.script(profile_id, check_type, results, latency))?.map_err(invalid_argument)
    }

    /// Takes and answers a rule as JSON text.
    fn fault(&self, rule_json: &str) -> PyResult<String> {
        let rule: serde_json::Value = serde_json::from_str(rule_json).map_err(|e| invalid_argument(e.to_string()))?;
        let added = self.with(|e| e.add_fault(&rule))?.map_err(invalid_argument)?;
        Ok(json_text(&added))
    }

    fn clear_faults(&self) -> PyResult<()> {
        self.with(Emulator::clear_faults)
    }

    /// JSON text of a list.
    fn checks(&self) -> PyResult<String> {
        self.with(|e| json_text(&e.checks().into()))
    }

    /// JSON text of a list.
    fn requests(&self) -> PyResult<String> {
        self.with(|e| json_text(&e.requests().into()))
    }

    /// JSON text of a list.
    fn webhook_deliveries(&self) -> PyResult<String> {
        self.with(|e| json_text(&e.webhook_deliveries().into()))
    }

    #[pyo3(signature = (url, secret, batching))]
    fn set_webhook(&self, url: Option<String>, secret: Option<String>, batching: bool) -> PyResult<()> {
        let config = match (url, secret) {
            (None, _) => None,
            (Some(url), Some(secret)) => Some(WebhookConfig { url, secret, batching, events: None }),
            (Some(_), None) => return Err(invalid_argument("a webhook needs a secret".to_owned())),
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

    fn close(&self, py: Python<'_>) {
        let emulator = self.emulator.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(emulator) = emulator {
            py.detach(|| runtime().block_on(emulator.shutdown()));
        }
    }
}

/// `passfort_emulator._native` (the crate's library has another name, so as
/// not to collide with `passfort._native` in the workspace's target folder).
#[pymodule(name = "_native")]
fn passfort_emulator_native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<NativeEmulator>()?;
    Ok(())
}

//! The `passfort-emulator` addon: the Rust emulator inside a Node process, for
//! tests. Shipped apart from `passfort` so that production installs carry no
//! emulator; `passfort/testing` loads it. A bad argument throws with the code
//! `InvalidArg`, which `passfort/testing` turns into `InvalidArgumentError`.

use std::sync::Mutex;
use std::time::Duration;

use napi_derive::napi;
use passfort_emulator::{Emulator, EmulatorConfig, WebhookConfig};
use serde_json::Value;

type Result<T> = napi::Result<T>;

#[napi(object)]
pub struct EmulatorOptions {
    pub api_key: Option<String>,
    pub sync_timeout_ms: Option<f64>,
    pub provider_latency_ms: Option<f64>,
}

fn invalid(message: impl Into<String>) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, message.into())
}

/// A simulated delay in milliseconds, checked by the core (negative ones refused, as in Python).
fn delay(name: &str, ms: Option<f64>) -> Result<Option<Duration>> {
    passfort_core::Dialect::NODE.delay(name, ms, passfort_core::args::limits::EMULATOR_DELAY).map_err(|e| invalid(e.to_string()))
}

#[napi]
pub async fn start_emulator(options: EmulatorOptions) -> Result<NativeEmulator> {
    // Anything not given is the emulator's own default.
    let defaults = EmulatorConfig::default();
    let config = EmulatorConfig {
        api_key: options.api_key.unwrap_or(defaults.api_key.clone()),
        sync_timeout: delay("sync_timeout", options.sync_timeout_ms)?.unwrap_or(defaults.sync_timeout),
        provider_latency: delay("provider_latency", options.provider_latency_ms)?.unwrap_or(defaults.provider_latency),
        ..defaults
    };
    let api_key = config.api_key.clone();
    let emulator =
        passfort_emulator::start(config).await.map_err(|e| napi::Error::from_reason(format!("the emulator cannot start: {e}")))?;
    Ok(NativeEmulator { url: emulator.url().to_owned(), base_url: emulator.base_url(), api_key, emulator: Mutex::new(Some(emulator)) })
}

#[napi]
pub struct NativeEmulator {
    url: String,
    base_url: String,
    api_key: String,
    emulator: Mutex<Option<Emulator>>,
}

impl NativeEmulator {
    fn with<T>(&self, action: impl FnOnce(&Emulator) -> T) -> Result<T> {
        let emulator = self.emulator.lock().unwrap_or_else(|p| p.into_inner());
        emulator.as_ref().map(action).ok_or_else(|| napi::Error::from_reason("the emulator is closed"))
    }
}

#[napi]
impl NativeEmulator {
    /// The API key the emulator accepts.
    #[napi(getter)]
    pub fn api_key(&self) -> String {
        self.api_key.clone()
    }

    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    #[napi]
    pub fn script(&self, profile_id: String, check_type: String, results: Vec<String>, latency_ms: Option<f64>) -> Result<()> {
        let latency = delay("latency", latency_ms)?;
        self.with(|e| e.script(&profile_id, &check_type, results, latency))?.map_err(invalid)
    }

    #[napi]
    pub fn fault(&self, rule: Value) -> Result<Value> {
        self.with(|e| e.add_fault(&rule))?.map_err(invalid)
    }

    #[napi]
    pub fn clear_faults(&self) -> Result<()> {
        self.with(Emulator::clear_faults)
    }

    #[napi]
    pub fn checks(&self) -> Result<Vec<Value>> {
        self.with(Emulator::checks)
    }

    #[napi]
    pub fn requests(&self) -> Result<Vec<Value>> {
        self.with(Emulator::requests)
    }

    #[napi]
    pub fn webhook_deliveries(&self) -> Result<Vec<Value>> {
        self.with(Emulator::webhook_deliveries)
    }

    #[napi]
    pub fn set_webhook(&self, url: Option<String>, secret: Option<String>, batching: bool) -> Result<()> {
        let config = match (url, secret) {
            (None, _) => None,
            (Some(url), Some(secret)) => Some(WebhookConfig { url, secret, batching, events: None }),
            (Some(_), None) => return Err(invalid("a webhook needs a secret")),
        };
        self.with(|e| e.set_webhook(config))
    }

    #[napi]
    pub fn configure(&self, sync_timeout_ms: Option<f64>, provider_latency_ms: Option<f64>) -> Result<()> {
        let (sync_timeout, provider_latency) = (delay("sync_timeout", sync_timeout_ms)?, delay("provider_latency", provider_latency_ms)?);
        self.with(|e| e.configure(sync_timeout, provider_latency))
    }

    #[napi]
    pub fn reset(&self) -> Result<()> {
        self.with(Emulator::reset)
    }

    #[napi]
    pub async fn close(&self) -> Result<()> {
        let emulator = self.emulator.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(emulator) = emulator {
            emulator.shutdown().await;
        }
        Ok(())
    }
}

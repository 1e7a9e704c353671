//! `passfort/testing`'s Emulator: the Rust emulator inside the Node process.

use std::sync::Mutex;
use std::time::Duration;

use napi_derive::napi;
use passfort_emulator::{Emulator, EmulatorConfig, WebhookConfig};
use serde_json::Value;

use crate::errors::invalid;

type Result<T> = napi::Result<T>;

#[napi(object)]
pub struct EmulatorOptions {
    pub api_key: Option<String>,
    pub sync_timeout_ms: Option<f64>,
    pub provider_latency_ms: Option<f64>,
}

fn duration(ms: f64) -> Duration {
    Duration::from_secs_f64(ms.max(0.0) / 1000.0)
}

#[napi]
pub async fn start_emulator(options: EmulatorOptions) -> Result<NativeEmulator> {
    let config = EmulatorConfig {
        api_key: options.api_key.unwrap_or_else(|| "test-key".into()),
        sync_timeout: duration(options.sync_timeout_ms.unwrap_or(120_000.0)),
        provider_latency: duration(options.provider_latency_ms.unwrap_or(50.0)),
        ..EmulatorConfig::default()
    };
    let emulator = passfort_emulator::start(config)
        .await
        .map_err(|e| napi::Error::from_reason(format!("the emulator cannot start: {e}")))?;
    Ok(NativeEmulator { url: emulator.url().to_owned(), base_url: emulator.base_url(), emulator: Mutex::new(Some(emulator)) })
}

#[napi]
pub struct NativeEmulator {
    url: String,
    base_url: String,
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
        self.with(|e| e.script(&profile_id, &check_type, results, latency_ms.map(duration)))?.map_err(invalid)
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
        self.with(|e| e.configure(sync_timeout_ms.map(duration), provider_latency_ms.map(duration)))
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

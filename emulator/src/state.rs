//! State shared by every request handler and background task.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::faults::Faults;
use crate::ratelimit::Gcra;
use crate::requests::RequestLog;
use crate::store::Store;
use crate::webhooks::Webhooks;
use crate::EmulatorConfig;

/// Settings tests may change while the emulator runs (`PUT /_emulator/config`).
#[derive(Clone, Debug)]
pub struct Settings {
    pub sync_timeout: Duration,
    pub provider_latency: Duration,
}

pub struct Shared {
    /// The configuration the emulator started with; `reset` returns to it.
    pub initial: EmulatorConfig,
    pub settings: Mutex<Settings>,
    pub store: Mutex<Store>,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<RequestLog>,
    pub rate_limit: Mutex<Option<Gcra>>,
    pub webhooks: Webhooks,
}

pub type AppState = Arc<Shared>;

impl Shared {
    pub fn new(config: EmulatorConfig) -> Arc<Self> {
        let shared = Arc::new(Self {
            settings: Mutex::new(Settings {
                sync_timeout: config.sync_timeout,
                provider_latency: config.provider_latency,
            }),
            store: Mutex::new(Store::default()),
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(RequestLog::default()),
            rate_limit: Mutex::new(config.rate_limit.map(Gcra::new)),
            webhooks: Webhooks::new(config.webhook.clone()),
            initial: config,
        });
        shared.webhooks.start_delivery();
        shared
    }

    /// Forgets everything that happened since start: profiles, scripts,
    /// faults, logs, queued webhooks, and settings changed at run time.
    pub fn reset(&self) {
        *lock(&self.store) = Store::default();
        *lock(&self.faults) = Faults::default();
        *lock(&self.requests) = RequestLog::default();
        *lock(&self.settings) = Settings {
            sync_timeout: self.initial.sync_timeout,
            provider_latency: self.initial.provider_latency,
        };
        *lock(&self.rate_limit) = self.initial.rate_limit.map(Gcra::new);
        self.webhooks.reset(self.initial.webhook.clone());
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }
}

/// Locks a mutex, shrugging off poisoning: no lock here guards an invariant
/// that a panicking holder could leave half-made.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

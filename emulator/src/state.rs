//! State shared by every request handler and background task.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use crate::faults::Faults;
use crate::ratelimit::{LimitedEndpoint, RateLimits};
use crate::requests::RequestLog;
use crate::store::{Script, Store};
use crate::webhooks::Webhooks;
use crate::EmulatorConfig;

/// Settings tests may change while the emulator runs (`PUT /_emulator/config`).
#[derive(Clone, Debug)]
pub struct Settings {
    pub sync_timeout: Duration,
    pub provider_latency: Duration,
    /// When the gateway answers 504 to a request still being handled (PassFort: 60 s).
    pub gateway_timeout: Duration,
}

impl Settings {
    fn initial(config: &EmulatorConfig) -> Self {
        Self { sync_timeout: config.sync_timeout, provider_latency: config.provider_latency, gateway_timeout: config.gateway_timeout }
    }
}

pub struct Shared {
    /// The configuration the emulator started with; `reset` returns to it.
    pub initial: EmulatorConfig,
    pub settings: Mutex<Settings>,
    pub store: Mutex<Store>,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<RequestLog>,
    /// The GCRA buckets of `POST /profiles` and `POST .../collected_data` (`crate::ratelimit`).
    pub rate_limits: RateLimits,
    /// Risk set by `POST /_emulator/profiles/{pid}/risk`, by profile id (`crate::admin`).
    pub risks: Mutex<std::collections::HashMap<String, crate::admin::Risk>>,
    pub webhooks: Webhooks,
    /// A change (a JSON Merge Patch) to make to a profile's collected data
    /// right after its next read, by profile id: another writer coming
    /// between a client's read and its write (`crate::admin`).
    pub after_next_read: Mutex<std::collections::HashMap<String, Value>>,
}

pub type AppState = Arc<Shared>;

impl Shared {
    pub fn new(config: EmulatorConfig) -> Arc<Self> {
        let shared = Arc::new(Self {
            settings: Mutex::new(Settings::initial(&config)),
            store: Mutex::new(Store::default()),
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(RequestLog::default()),
            rate_limits: RateLimits::new(config.rate_limit, config.collected_data_rate_limit()),
            risks: Mutex::default(),
            webhooks: Webhooks::new(config.webhook.clone(), config.webhook_batch_window),
            after_next_read: Mutex::default(),
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
        *lock(&self.settings) = Settings::initial(&self.initial);
        self.rate_limits.set(LimitedEndpoint::Profiles, self.initial.rate_limit);
        self.rate_limits.set(LimitedEndpoint::CollectedData, self.initial.collected_data_rate_limit());
        lock(&self.risks).clear();
        lock(&self.after_next_read).clear();
        self.webhooks.reset(self.initial.webhook.clone(), self.initial.webhook_batch_window);
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Changes settings at run time; `None` leaves one as it is.
    pub fn configure(&self, sync_timeout: Option<Duration>, provider_latency: Option<Duration>) -> Settings {
        let mut settings = lock(&self.settings);
        if let Some(timeout) = sync_timeout {
            settings.sync_timeout = timeout;
        }
        if let Some(latency) = provider_latency {
            settings.provider_latency = latency;
        }
        settings.clone()
    }

    /// Scripts the results of a profile's next checks of one type.
    pub fn script(&self, profile_id: &str, check_type: &str, results: Vec<String>, latency_ms: Option<u64>) -> Result<(), String> {
        if results.is_empty() {
            return Err("results must be a non-empty list of strings".into());
        }
        let mut store = lock(&self.store);
        if !store.profiles.contains_key(profile_id) {
            return Err(format!("no profile {profile_id}"));
        }
        store.scripts.insert((profile_id.to_owned(), check_type.to_owned()), Script { results, next: 0, latency_ms });
        Ok(())
    }

    /// Every check of every profile, each with its `profile_id`.
    pub fn all_checks(&self) -> Vec<Value> {
        let store = lock(&self.store);
        store
            .order
            .iter()
            .filter_map(|id| store.profiles.get(id))
            .flat_map(|profile| {
                profile.checks.iter().map(|check| {
                    let mut json = check.to_json(&profile.role);
                    json["profile_id"] = json!(profile.id);
                    // PassFort's timestamps have whole seconds; tests and benchmarks need finer.
                    json["completed_ms"] = json!(check.completed_on.map(|time| time.timestamp_millis()));
                    json
                })
            })
            .collect()
    }
}

/// Locks a mutex, shrugging off poisoning: no lock here guards an invariant
/// that a panicking holder could leave half-made.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

//! Test harness: an emulator on port 0 and a client pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use passfort_core::{Client, ClientBuilder, Profile, Role};
use passfort_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

pub const API_KEY: &str = "sk_test_4f8a1c7e9b";

pub struct Harness {
    pub emulator: Emulator,
    pub client: Client,
    admin: reqwest::Client,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(EmulatorConfig { provider_latency: Duration::from_millis(10), ..config() }).await
    }

    pub async fn start_with(config: EmulatorConfig) -> Self {
        let emulator = passfort_emulator::start(config).await.expect("emulator starts");
        let client = builder(&emulator).build().expect("client builds");
        Self { emulator, client, admin: reqwest::Client::new() }
    }

    /// A builder for another client against the same emulator.
    pub fn builder(&self) -> ClientBuilder {
        builder(&self.emulator)
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.admin.request(method, format!("{}/_emulator{path}", self.emulator.url()));
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("admin API answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "admin {path} answered {status}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    pub async fn fault(&self, fault: Value) {
        self.admin(reqwest::Method::POST, "/faults", Some(fault)).await;
    }

    pub async fn script(&self, profile_id: &str, check_type: &str, results: &[&str], latency_ms: Option<u64>) {
        let body = json!({ "profile_id": profile_id, "check_type": check_type, "results": results, "latency_ms": latency_ms });
        self.admin(reqwest::Method::POST, "/script", Some(body)).await;
    }

    pub async fn configure(&self, config: Value) {
        self.admin(reqwest::Method::PUT, "/config", Some(config)).await;
    }

    pub async fn requests(&self) -> Vec<Value> {
        self.admin(reqwest::Method::GET, "/requests", None).await.as_array().unwrap().clone()
    }

    /// Requests received with this method whose path ends with `suffix`.
    pub async fn requests_to(&self, method: &str, suffix: &str) -> Vec<Value> {
        self.requests().await.into_iter().filter(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(suffix)).collect()
    }

    /// Reads the request log until `done` holds, by a deadline.
    pub async fn until_requests(&self, what: &str, done: impl Fn(&[Value]) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if done(&self.requests().await) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn checks(&self) -> Vec<Value> {
        self.admin(reqwest::Method::GET, "/checks", None).await.as_array().unwrap().clone()
    }

    /// An individual customer whose family name drives the emulator's results.
    pub async fn individual(&self, family_name: &str) -> Profile {
        self.client.create_profile(Role::IndividualCustomer, individual_data(family_name)).await.expect("profile created")
    }
}

pub fn config() -> EmulatorConfig {
    EmulatorConfig { api_key: API_KEY.into(), ..EmulatorConfig::default() }
}

pub fn builder(emulator: &Emulator) -> ClientBuilder {
    Client::builder()
        .api_key(API_KEY)
        .base_url(emulator.base_url())
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .reconcile_grace(Duration::from_millis(600))
}

pub fn individual_data(family_name: &str) -> Value {
    json!({
        "entity_type": "INDIVIDUAL",
        "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name }, "dob": "1990-01-01" },
    })
}

/// The most requests matching `method` and `suffix` that were in progress at once.
pub fn most_at_once(requests: &[Value], method: &str, suffix: &str) -> usize {
    let spans: Vec<(i64, i64)> = requests
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(suffix))
        .map(|r| (r["timestamp_ms"].as_i64().unwrap(), r["finished_ms"].as_i64().unwrap()))
        .collect();
    spans.iter().map(|(start, _)| spans.iter().filter(|(s, f)| s <= start && start < f).count()).max().unwrap_or(0)
}

/// Everything a `tracing` subscriber writes, kept in memory for a test to read.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// A subscriber writing here every event at `level` or above, from whichever thread.
    pub fn subscriber(&self, level: tracing::Level) -> impl tracing::Subscriber + Send + Sync {
        let writer = self.clone();
        tracing_subscriber::fmt().with_max_level(level).with_writer(move || writer.clone()).finish()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

//! What the `edge_*` tests share: an emulator whose webhooks go to a receiver
//! that records each delivery (a batch stays one delivery), calls over real
//! HTTP, and polls with a deadline.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use passfort_emulator::{Emulator, EmulatorConfig, WebhookConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const KEY: &str = "edge-test-key";
pub const SECRET: &str = "whsec_edge_test_41d0";
/// How long a test waits for something it expects, and how often it looks.
pub const DEADLINE: Duration = Duration::from_secs(15);
pub const POLL: Duration = Duration::from_millis(10);

pub struct Edge {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    /// Each delivery's body as received (an envelope, or an array of them), in order.
    pub deliveries: Arc<Mutex<Vec<Value>>>,
    pub hook_url: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Edge {
    /// An emulator with `config` (the key set), webhooks to a receiver only when `events` is given
    /// (`Some(None)`: every non-deprecated event).
    pub async fn start(config: EmulatorConfig, events: Option<Option<Vec<&str>>>, batching: bool) -> Self {
        let deliveries: Arc<Mutex<Vec<Value>>> = Arc::default();
        let store = deliveries.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::body::Bytes| {
                let store = store.clone();
                async move {
                    store.lock().unwrap().push(serde_json::from_slice::<Value>(&body).unwrap());
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let webhook = events.map(|events| WebhookConfig {
            url: hook_url.clone(),
            secret: SECRET.into(),
            batching,
            events: events.map(|list| list.into_iter().map(str::to_owned).collect()),
        });
        let emulator = passfort_emulator::start(EmulatorConfig { api_key: KEY.into(), webhook, ..config }).await.unwrap();
        Self { emulator, http: reqwest::Client::new(), deliveries, hook_url }
    }

    pub async fn send(&self, method: Method, url: String, body: Option<Value>, with_key: bool) -> Answer {
        let mut request = self.http.request(method, url);
        if with_key {
            request = request.header("apikey", KEY);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        Answer { status, headers, text: response.text().await.unwrap() }
    }

    /// A call under `/4.0`, with the key.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send(method, format!("{}{path}", self.emulator.base_url()), body, true).await
    }

    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let answer = self.call(method, path, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.json()
    }

    /// A call under `/_emulator`.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send(method, format!("{}/_emulator{path}", self.emulator.url()), body, false).await
    }

    pub async fn individual(&self, family_name: &str) -> Value {
        let data =
            json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name } } });
        self.ok(Method::POST, "/profiles", Some(json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": data }))).await
    }

    /// Every envelope received so far, batches flattened, in order.
    pub fn envelopes(&self) -> Vec<Value> {
        self.deliveries
            .lock()
            .unwrap()
            .iter()
            .flat_map(|delivery| match delivery {
                Value::Array(batch) => batch.clone(),
                single => vec![single.clone()],
            })
            .collect()
    }

    /// The event names received so far, in order.
    pub fn events(&self) -> Vec<String> {
        self.envelopes().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect()
    }

    /// Waits until the receiver has what `done` wants, by the deadline.
    pub async fn hooks_until(&self, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        wait_for(|| {
            let envelopes = self.envelopes();
            done(&envelopes).then_some(envelopes)
        })
        .await
    }

    /// Waits until every event queued so far is delivered: the emulator's
    /// delivery log then holds an answered attempt for each one queued before
    /// `marker` (an event the test causes last), and the marker itself.
    pub async fn hooks_settled_after(&self, marker: &str) -> Vec<Value> {
        self.hooks_until(|envelopes| envelopes.iter().any(|e| e["event"] == marker)).await
    }
}

/// Polls `probe` until it gives a value, by the deadline.
pub async fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(POLL).await;
    }
}

/// Polls an async `probe` until it gives a value, by the deadline.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(mut probe: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(POLL).await;
    }
}

//! Webhook delivery, as PassFort does it: envelopes `{id, event, secret,
//! timestamp, data}` posted with `Authorization: Bearer <secret>`, in order,
//! retried with backoff until the receiver answers 200; with batching, a JSON
//! array of up to 100 envelopes (the batch shape is [A]). Each attempt
//! stamps `timestamp` afresh (seconds since the epoch, [A]), so that a
//! retried delivery stays within a receiver's replay tolerance.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::requests::millis;
use crate::state::lock;

/// Where and how webhooks are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: String,
    pub batching: bool,
    /// Events to send; `None` sends every event.
    pub events: Option<Vec<String>>,
}

/// The most envelopes one batched delivery carries.
pub const MAX_BATCH: usize = 100;
/// How long batching waits for more events before sending [A: PassFort says "about every 0-10 s"].
const BATCH_WINDOW: Duration = Duration::from_millis(50);
const FIRST_RETRY: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    config: Mutex<Option<WebhookConfig>>,
    queue: Mutex<VecDeque<Value>>,
    deliveries: Mutex<Vec<Value>>,
    wake: Notify,
    /// Bumped by reset and reconfiguration: a batch from an older generation is abandoned.
    generation: AtomicU64,
    closed: AtomicBool,
}

impl Webhooks {
    pub fn new(config: Option<WebhookConfig>) -> Self {
        Self {
            inner: Arc::new(Inner {
                config: Mutex::new(config),
                queue: Mutex::new(VecDeque::new()),
                deliveries: Mutex::new(Vec::new()),
                wake: Notify::new(),
                generation: AtomicU64::new(0),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// Starts the delivery worker on the current runtime.
    pub fn start_delivery(&self) {
        tokio::spawn(deliver_forever(self.inner.clone()));
    }

    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
    }

    /// Replaces the configuration; events queued for the old one are dropped.
    pub fn configure(&self, config: Option<WebhookConfig>) {
        *lock(&self.inner.config) = config;
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        lock(&self.inner.queue).clear();
    }

    pub fn reset(&self, config: Option<WebhookConfig>) {
        self.configure(config);
        lock(&self.inner.deliveries).clear();
    }

    pub fn deliveries(&self) -> Vec<Value> {
        lock(&self.inner.deliveries).clone()
    }

    /// Queues an event if webhooks are on and the event is enabled.
    pub fn emit(&self, event: &str, data: Value) {
        let config = lock(&self.inner.config);
        let Some(config) = config.as_ref() else { return };
        if config.events.as_ref().is_some_and(|events| !events.iter().any(|e| e == event)) {
            return;
        }
        let envelope = json!({
            "id": Uuid::new_v4().to_string(),
            "event": event,
            "secret": config.secret,
            "timestamp": Utc::now().timestamp(),
            "data": data,
        });
        // Queued under the config lock, so that no event slips past a reconfiguration.
        lock(&self.inner.queue).push_back(envelope);
        self.inner.wake.notify_one();
    }
}

async fn deliver_forever(inner: Arc<Inner>) {
    let http = http_client();
    loop {
        if inner.closed.load(Ordering::SeqCst) {
            return;
        }
        let waiting = inner.wake.notified();
        let batching = lock(&inner.config).as_ref().is_some_and(|c| c.batching);
        if lock(&inner.queue).is_empty() {
            waiting.await;
            continue;
        }
        // A full batch goes at once; a partial one waits a moment for more.
        if batching && lock(&inner.queue).len() < MAX_BATCH {
            tokio::time::sleep(BATCH_WINDOW).await;
        }
        let generation = inner.generation.load(Ordering::SeqCst);
        let batch: Vec<Value> = {
            let mut queue = lock(&inner.queue);
            let take = if batching { queue.len().min(MAX_BATCH) } else { 1 };
            queue.drain(..take).collect()
        };
        if batch.is_empty() {
            continue;
        }
        deliver(&inner, &http, generation, batching, batch).await;
    }
}

/// Sends one delivery until it is answered 200, the configuration changes, or the emulator closes.
async fn deliver(inner: &Inner, http: &reqwest::Client, generation: u64, batching: bool, mut batch: Vec<Value>) {
    let event_ids: Vec<Value> = batch.iter().map(|e| e["id"].clone()).collect();
    let events: Vec<Value> = batch.iter().map(|e| e["event"].clone()).collect();
    let mut wait = FIRST_RETRY;
    for attempt in 1.. {
        if inner.closed.load(Ordering::SeqCst) || inner.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        let Some(config) = lock(&inner.config).clone() else { return };
        let sent = Utc::now();
        for envelope in &mut batch {
            envelope["timestamp"] = json!(sent.timestamp());
        }
        let body = if batching { serde_json::to_vec(&batch) } else { serde_json::to_vec(&batch[0]) };
        let body = body.expect("JSON values serialise");
        let outcome = http
            .post(&config.url)
            .header("authorization", format!("Bearer {}", config.secret))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let (status, error) = match &outcome {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error.to_string())),
        };
        lock(&inner.deliveries).push(json!({
            "event_ids": event_ids,
            "events": events,
            "batch": batching,
            "attempt": attempt,
            "status": status,
            "error": error,
            "time": millis(sent),
            "timestamp_ms": sent.timestamp_millis(),
            "answered_ms": Utc::now().timestamp_millis(),
        }));
        if status == Some(200) {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_RETRY);
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).no_proxy().build().expect("a plain HTTP client always builds")
}

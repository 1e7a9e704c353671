//! Webhook delivery, as PassFort does it: envelopes `{id, event, secret,
//! timestamp, data}` posted with `Authorization: Bearer <secret>`, in order,
//! retried with backoff until the receiver answers 200; with batching, a JSON
//! array of up to 100 envelopes (the batch shape is [A]) gathered for a batch
//! window of 0 to 10 s. Each attempt stamps `timestamp` afresh (seconds since
//! the epoch, [A]), so that a retried delivery stays within a receiver's
//! replay tolerance.
//!
//! [`EVENTS`] is the one table of the event types: which the emulator sends,
//! what causes each, what its `data` holds, and which names and shapes are
//! assumptions [A]. The README cites it.

use std::collections::{HashMap, VecDeque};
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
    /// Events to send; `None` sends every event that is not deprecated. A
    /// deprecated event (see [`EVENTS`]) is sent only when listed here.
    pub events: Option<Vec<String>>,
}

/// One event type PassFort sends (help centre, *Configuring webhooks* [C]).
#[derive(Clone, Copy, Debug)]
pub struct EventType {
    /// The `event` string. Only `PRODUCT_STATUS_CHANGED` is published [C]; the
    /// others are the UPPER_SNAKE form of their names [A].
    pub name: &'static str,
    /// Whether the exact event string is published [C] (else [A]).
    pub name_confirmed: bool,
    /// Deprecated by PassFort and still seen: off unless listed in `events`.
    pub deprecated: bool,
    /// What makes the emulator send it ("never" for what it does not model).
    pub cause: &'static str,
    /// The fields of `data`, beyond `profile_id` and `customer_ref` (which
    /// every event carries [C/A]); [C] where documented, else [A].
    pub data: &'static str,
}

const fn event(name: &'static str, deprecated: bool, cause: &'static str, data: &'static str) -> EventType {
    EventType { name, name_confirmed: false, deprecated, cause, data }
}

/// Every event type in PassFort's list, in its order; the emulator sends those
/// whose `cause` is not "never".
pub const EVENTS: &[EventType] = &[
    EventType {
        name: "PRODUCT_STATUS_CHANGED",
        name_confirmed: true,
        deprecated: false,
        cause: "an application is created, approved, rejected, cancelled or its decision reverted",
        data: "[C] apikey: {name}, application_id, new_status, product: {alias, id, name}, user: {email, id, name} | null",
    },
    event(
        "TASK_CREATED",
        false,
        "a task is added (POST .../tasks, or an application needing a task the profile lacks)",
        "[A] task: {id, type, state}",
    ),
    event(
        "CHECK_COMPLETED",
        false,
        "a check completes (also one started by a sync run that met the gateway timeout)",
        "[C, seen in a third-party consumer] check: {id, check_type, result}; [A] check.decision",
    ),
    event("PRODUCT_BADGE_CHANGED", false, "never: the emulator does not model product badges", "[A] not sent"),
    event(
        "RISK_LEVEL_CHANGED",
        false,
        "POST /_emulator/profiles/{pid}/risk with a new level",
        "[A] new_risk_level, old_risk_level (LOW, MEDIUM, HIGH, UNDETERMINED or null)",
    ),
    event(
        "RISK_SCORE_CHANGED",
        false,
        "POST /_emulator/profiles/{pid}/risk with a new score",
        "[A] new_risk_score, old_risk_score (numbers or null)",
    ),
    event("TASK_STATE_CHANGED", false, "a task's state changes (POST .../tasks/{tid})", "[A] task: {id, type, state}"),
    event(
        "COLLECTED_DATA_UPDATED",
        true,
        "sent with each COLLECTED_DATA_CHANGED, when enabled",
        "[A] the same data as COLLECTED_DATA_CHANGED",
    ),
    event("COLLECTED_DATA_CHANGED", false, "collected data is replaced or a document added", "[A] nothing more"),
    event("FORM_STATE_CHANGED", false, "never: the emulator does not model forms", "[A] not sent"),
    event(
        "MANUAL_ACTION_REQUIRED",
        false,
        "a check ends with a decision other than PASS while an application is open; or POST /_emulator/profiles/{pid}/manual_action",
        "[A] application_id, product: {alias, id, name}, check (the check, or null from the admin trigger)",
    ),
    event("CUSTOMER_REQUEST_CHANGED", false, "never: the emulator does not model customer requests", "[A] not sent"),
    event("EVENTS_CREATED", false, "a screening check returns PEP, Sanction or Media, or POST .../events", "[A] events: [event summaries]"),
    event("EVENTS_UPDATED", false, "an event's resolution changes (POST .../events/{eid}, bulk_update)", "[A] events: [event summaries]"),
    event("PROFILE_STATUS_CHANGED", true, "the profile status changes (POST .../status), when enabled", "[A] new_status"),
    event(
        "TASK_IS_COMPLETE_CHANGED",
        true,
        "sent with a TASK_STATE_CHANGED that flips the task's is_complete, when enabled",
        "[A] task: {id, type, is_complete}",
    ),
    event(
        "COLLECTION_STEPS_COMPLETED",
        true,
        "collection steps are all completed (POST .../collection_steps with an empty list, when there were some), when enabled",
        "[A] nothing more",
    ),
];

/// The table entry of an event name.
pub fn event_type(name: &str) -> Option<&'static EventType> {
    EVENTS.iter().find(|event| event.name == name)
}

/// The most envelopes one batched delivery carries.
pub const MAX_BATCH: usize = 100;
/// How long batching gathers events before sending, by default [A: PassFort says "about every 0-10 s";
/// the emulator gathers for less so that tests run fast; set it up to [`MAX_BATCH_WINDOW`]].
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(50);
/// The longest batch window PassFort describes.
pub const MAX_BATCH_WINDOW: Duration = Duration::from_secs(10);
const FIRST_RETRY: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    config: Mutex<Option<WebhookConfig>>,
    batch_window: Mutex<Duration>,
    queue: Mutex<VecDeque<Value>>,
    deliveries: Mutex<Vec<Value>>,
    /// Each task's `is_complete` as the last TASK_STATE_CHANGED left it (for TASK_IS_COMPLETE_CHANGED).
    task_complete: Mutex<HashMap<String, bool>>,
    wake: Notify,
    /// Bumped by reset and reconfiguration: a batch from an older generation is abandoned.
    generation: AtomicU64,
    closed: AtomicBool,
}

impl Webhooks {
    pub fn new(config: Option<WebhookConfig>, batch_window: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                config: Mutex::new(config),
                batch_window: Mutex::new(batch_window.min(MAX_BATCH_WINDOW)),
                queue: Mutex::new(VecDeque::new()),
                deliveries: Mutex::new(Vec::new()),
                task_complete: Mutex::new(HashMap::new()),
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

    /// Sets how long a batch gathers events; refused above [`MAX_BATCH_WINDOW`].
    pub fn set_batch_window(&self, window: Duration) -> Result<(), String> {
        if window > MAX_BATCH_WINDOW {
            return Err(format!("the batch window must be 0 to {} ms", MAX_BATCH_WINDOW.as_millis()));
        }
        *lock(&self.inner.batch_window) = window;
        self.inner.wake.notify_one();
        Ok(())
    }

    pub fn batch_window(&self) -> Duration {
        *lock(&self.inner.batch_window)
    }

    pub fn reset(&self, config: Option<WebhookConfig>, batch_window: Duration) {
        self.configure(config);
        *lock(&self.inner.batch_window) = batch_window.min(MAX_BATCH_WINDOW);
        lock(&self.inner.task_complete).clear();
        lock(&self.inner.deliveries).clear();
    }

    pub fn deliveries(&self) -> Vec<Value> {
        lock(&self.inner.deliveries).clone()
    }

    /// Queues an event if webhooks are on and the event is enabled (see
    /// [`WebhookConfig::events`]), followed by the deprecated events that go
    /// with it (COLLECTED_DATA_UPDATED with COLLECTED_DATA_CHANGED,
    /// TASK_IS_COMPLETE_CHANGED with a TASK_STATE_CHANGED that flips
    /// `is_complete`), when those are enabled. `data` must carry `profile_id`.
    pub fn emit(&self, event: &str, data: Value) {
        debug_assert!(event_type(event).is_some(), "{event} is not in the webhooks::EVENTS table");
        debug_assert!(data.get("profile_id").is_some_and(Value::is_string), "{event} data has no profile_id: {data}");
        let companion = match event {
            "COLLECTED_DATA_CHANGED" => Some(("COLLECTED_DATA_UPDATED", data.clone())),
            "TASK_STATE_CHANGED" => self.is_complete_change(&data),
            _ => None,
        };
        let config = lock(&self.inner.config);
        let Some(config) = config.as_ref() else { return };
        let mut queue = lock(&self.inner.queue);
        for (event, data) in std::iter::once((event, data)).chain(companion) {
            if !enabled(config, event) {
                continue;
            }
            // Queued under the config lock, so that no event slips past a reconfiguration.
            queue.push_back(json!({
                "id": Uuid::new_v4().to_string(),
                "event": event,
                "secret": config.secret,
                "timestamp": Utc::now().timestamp(),
                "data": data,
            }));
        }
        self.inner.wake.notify_one();
    }

    /// TASK_IS_COMPLETE_CHANGED's data when a TASK_STATE_CHANGED flips the
    /// task's `is_complete` (tasks are created incomplete). Tracked whether or
    /// not webhooks are on, so that turning them on later does not misfire.
    fn is_complete_change(&self, data: &Value) -> Option<(&'static str, Value)> {
        let task = data.get("task")?;
        let (id, state) = (task.get("id")?.as_str()?, task.get("state")?.as_str()?);
        let complete = state != "INCOMPLETE";
        let was = lock(&self.inner.task_complete).insert(id.to_owned(), complete).unwrap_or(false);
        (was != complete).then(|| {
            let mut data = data.clone();
            data["task"] = json!({ "id": id, "type": task.get("type"), "is_complete": complete });
            ("TASK_IS_COMPLETE_CHANGED", data)
        })
    }
}

/// Whether `config` sends `event`: listed, or with no list, not deprecated.
fn enabled(config: &WebhookConfig, event: &str) -> bool {
    match &config.events {
        Some(events) => events.iter().any(|e| e == event),
        None => !event_type(event).is_some_and(|event| event.deprecated),
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
        // A full batch goes at once; a partial one gathers for the batch window, from its first event.
        if batching {
            let deadline = tokio::time::Instant::now() + *lock(&inner.batch_window);
            loop {
                let waiting = inner.wake.notified();
                if lock(&inner.queue).len() >= MAX_BATCH || inner.closed.load(Ordering::SeqCst) {
                    break;
                }
                tokio::select! {
                    _ = waiting => {}
                    _ = tokio::time::sleep_until(deadline) => break,
                }
            }
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

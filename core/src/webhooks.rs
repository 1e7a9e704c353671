//! Webhooks: verifying PassFort's deliveries, and the hub that wakes waiters.
//!
//! PassFort authenticates a delivery with the shared secret twice: as
//! `Authorization: Bearer <secret>` and as the envelope's `secret` field.
//! There is no signature. Both are compared in constant time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

use crate::bounded::BoundedSet;
use crate::config::Secret;
use crate::error::{Error, Result};
use crate::models::{CheckResult, CheckType, Decision, TaskState, TaskType};

/// Bodies larger than this are refused unread.
pub const DEFAULT_MAX_WEBHOOK_BYTES: usize = 5 * 1024 * 1024;
/// Event ids remembered for de-duplication, and completed check ids
/// remembered for a waiter that subscribes after its webhook came.
const REMEMBERED_IDS: usize = 10_000;
/// How long after the last webhook waiters expect more.
const EXPECTED_FOR: Duration = Duration::from_secs(300);

/// Why a webhook delivery was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookErrorKind {
    /// No `Authorization: Bearer` header, or a secret that does not match.
    Unauthorized,
    /// Not JSON, or not PassFort's envelope.
    Malformed,
    /// Over the size limit.
    TooLarge,
}

fn rejected(kind: WebhookErrorKind, message: impl Into<String>) -> Error {
    Error::Webhook { kind, message: message.into() }
}

/// A verified webhook event.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEvent {
    pub id: String,
    /// The event name as sent, e.g. `CHECK_COMPLETED`.
    pub event: String,
    /// Seconds since the epoch, as sent.
    pub timestamp: Option<i64>,
    /// The event's `data`, whole.
    pub data: Value,
    pub kind: WebhookEventKind,
}

/// What a webhook event is about.
#[derive(Clone, Debug, PartialEq)]
pub enum WebhookEventKind {
    CheckCompleted {
        profile_id: String,
        check_id: String,
        check_type: Option<CheckType>,
        result: Option<CheckResult>,
        decision: Option<Decision>,
        customer_ref: Option<String>,
    },
    TaskStateChanged {
        profile_id: String,
        task_id: String,
        task_type: Option<TaskType>,
        state: Option<TaskState>,
        customer_ref: Option<String>,
    },
    /// Any other event: see `event` and `data`.
    Other,
}

/// Checks and parses webhook deliveries for one shared secret.
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secret: Secret,
    max_body_bytes: usize,
}

impl WebhookVerifier {
    pub fn new(secret: impl Into<String>) -> Result<Self> {
        let secret = Secret::new(secret);
        if secret.expose().is_empty() {
            return Err(Error::Config("the webhook secret must not be empty".into()));
        }
        Ok(Self { secret, max_body_bytes: DEFAULT_MAX_WEBHOOK_BYTES })
    }

    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Verifies a delivery (one envelope, or a batch as a JSON array) and
    /// parses its events. Any failure rejects the whole delivery.
    pub fn verify<I, K, V>(&self, headers: I, body: &[u8]) -> Result<Vec<WebhookEvent>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        if body.len() > self.max_body_bytes {
            return Err(rejected(
                WebhookErrorKind::TooLarge,
                format!("the body is {} bytes, over the {} byte limit", body.len(), self.max_body_bytes),
            ));
        }
        let authorization = headers
            .into_iter()
            .find(|(name, _)| name.as_ref().eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.as_ref().to_vec());
        let Some(authorization) = authorization else {
            return Err(rejected(WebhookErrorKind::Unauthorized, "no Authorization header"));
        };
        let token = authorization.strip_prefix(b"Bearer ").unwrap_or(b"");
        if !constant_time_eq(token, self.secret.expose().as_bytes()) {
            return Err(rejected(WebhookErrorKind::Unauthorized, "the Authorization header does not carry the shared secret"));
        }
        let json: Value = serde_json::from_slice(body)
            .map_err(|error| rejected(WebhookErrorKind::Malformed, format!("the body is not JSON: {error}")))?;
        let envelopes = match json {
            Value::Array(envelopes) => envelopes,
            envelope @ Value::Object(_) => vec![envelope],
            _ => return Err(rejected(WebhookErrorKind::Malformed, "the body is neither an envelope nor a batch")),
        };
        envelopes.into_iter().enumerate().map(|(index, envelope)| self.parse_envelope(index, envelope)).collect()
    }

    fn parse_envelope(&self, index: usize, mut envelope: Value) -> Result<WebhookEvent> {
        let malformed = |what: &str| rejected(WebhookErrorKind::Malformed, format!("envelope {index}: {what}"));
        let object = envelope.as_object_mut().ok_or_else(|| malformed("not an object"))?;
        if let Some(secret) = object.remove("secret") {
            let secret = secret.as_str().ok_or_else(|| malformed("secret is not a string"))?;
            if !constant_time_eq(secret.as_bytes(), self.secret.expose().as_bytes()) {
                return Err(rejected(WebhookErrorKind::Unauthorized, format!("envelope {index}: the body's secret does not match")));
            }
        }
        let id = object.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).ok_or_else(|| malformed("no id"))?.to_owned();
        let event = object.get("event").and_then(Value::as_str).ok_or_else(|| malformed("no event name"))?.to_owned();
        let timestamp = object.get("timestamp").and_then(Value::as_i64);
        let data = object.remove("data").unwrap_or(Value::Null);
        // `data.<outer>.<field>`, or `data.<field>` without an outer name. (Not
        // `Value::pointer`, which allocates for every segment.)
        let text = |outer: Option<&str>, field: &str| {
            let object = match outer {
                Some(outer) => data.get(outer)?,
                None => &data,
            };
            object.get(field).and_then(Value::as_str).map(str::to_owned)
        };
        let kind = match event.as_str() {
            "CHECK_COMPLETED" => WebhookEventKind::CheckCompleted {
                profile_id: text(None, "profile_id").ok_or_else(|| malformed("CHECK_COMPLETED without data.profile_id"))?,
                check_id: text(Some("check"), "id").ok_or_else(|| malformed("CHECK_COMPLETED without data.check.id"))?,
                check_type: text(Some("check"), "check_type").map(CheckType::from),
                result: text(Some("check"), "result").map(CheckResult::from),
                decision: text(Some("check"), "decision").map(Decision::from),
                customer_ref: text(None, "customer_ref"),
            },
            "TASK_STATE_CHANGED" => WebhookEventKind::TaskStateChanged {
                profile_id: text(None, "profile_id").ok_or_else(|| malformed("TASK_STATE_CHANGED without data.profile_id"))?,
                task_id: text(Some("task"), "id").ok_or_else(|| malformed("TASK_STATE_CHANGED without data.task.id"))?,
                task_type: text(Some("task"), "type").map(TaskType::from),
                state: text(Some("task"), "state").map(TaskState::from),
                customer_ref: text(None, "customer_ref"),
            },
            _ => WebhookEventKind::Other,
        };
        Ok(WebhookEvent { id, event, timestamp, data, kind })
    }
}

/// Equality in time that depends only on the lengths, not on where the bytes differ.
fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = (given.len() ^ expected.len()) as u64;
    for (index, byte) in expected.iter().enumerate() {
        let other = given.get(index).copied().unwrap_or(0);
        difference |= u64::from(byte ^ other);
    }
    difference == 0
}

/// Receives webhook deliveries for a client and wakes the waiters of the
/// checks they announce. Shared by every clone of the client.
#[derive(Debug)]
pub struct WebhookHub {
    verifier: Option<WebhookVerifier>,
    state: Mutex<HubState>,
    /// Built-in listeners serving this hub now.
    listeners: AtomicUsize,
}

/// A running listener, as [`WebhookHub::webhooks_expected`] counts it.
#[derive(Debug)]
pub(crate) struct ListeningGuard(Arc<WebhookHub>);

impl Drop for ListeningGuard {
    fn drop(&mut self) {
        self.0.listeners.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct HubState {
    waiters: HashMap<String, Waiters>,
    seen_events: BoundedSet,
    completed_checks: BoundedSet,
    last_delivery: Option<Instant>,
}

#[derive(Debug)]
struct Waiters {
    wake: watch::Sender<u64>,
    count: usize,
}

impl WebhookHub {
    pub(crate) fn new(verifier: Option<WebhookVerifier>) -> Arc<Self> {
        let state = HubState {
            waiters: HashMap::new(),
            seen_events: BoundedSet::new(REMEMBERED_IDS),
            completed_checks: BoundedSet::new(REMEMBERED_IDS),
            last_delivery: None,
        };
        Arc::new(Self { verifier, state: Mutex::new(state), listeners: AtomicUsize::new(0) })
    }

    pub fn verifier(&self) -> Option<&WebhookVerifier> {
        self.verifier.as_ref()
    }

    /// Verifies a delivery, forgets events already seen, wakes every waiter
    /// of a completed check, and gives back the new events.
    pub fn handle<I, K, V>(&self, headers: I, body: &[u8]) -> Result<Vec<WebhookEvent>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let verifier = self
            .verifier
            .as_ref()
            .ok_or_else(|| Error::Config("no webhook secret configured on this client".into()))?;
        let events = verifier.verify(headers, body)?;
        let mut state = self.lock();
        state.last_delivery = Some(Instant::now());
        let fresh: Vec<WebhookEvent> = events.into_iter().filter(|event| state.seen_events.insert(&event.id)).collect();
        for event in &fresh {
            if let WebhookEventKind::CheckCompleted { check_id, .. } = &event.kind {
                state.completed_checks.insert(check_id);
                if let Some(waiters) = state.waiters.get(check_id) {
                    waiters.wake.send_modify(|wakes| *wakes += 1);
                }
            }
        }
        tracing::debug!(events = fresh.len(), "webhook delivery handled");
        Ok(fresh)
    }

    /// Notice of a check's completion, by webhook. Dropping it unsubscribes.
    pub fn subscribe(self: &Arc<Self>, check_id: &str) -> CheckSubscription {
        let mut state = self.lock();
        let completed = state.completed_checks.contains(check_id);
        let waiters = state
            .waiters
            .entry(check_id.to_owned())
            .or_insert_with(|| Waiters { wake: watch::channel(0).0, count: 0 });
        waiters.count += 1;
        let mut wake = waiters.wake.subscribe();
        if completed {
            // The webhook came before the waiter: wake it at once.
            wake.mark_changed();
        }
        CheckSubscription { hub: self.clone(), check_id: check_id.to_owned(), wake }
    }

    /// How many waiters are subscribed now.
    pub fn waiting(&self) -> usize {
        self.lock().waiters.values().map(|w| w.count).sum()
    }

    /// True while webhooks are expected, so that waiters poll less often: a
    /// built-in listener of this client is running, or a delivery came in the
    /// last 5 minutes.
    pub fn webhooks_expected(&self) -> bool {
        self.listeners.load(Ordering::SeqCst) > 0 || self.lock().last_delivery.is_some_and(|last| last.elapsed() < EXPECTED_FOR)
    }

    /// Counts a running listener until the guard is dropped.
    pub(crate) fn listening(self: &Arc<Self>) -> ListeningGuard {
        self.listeners.fetch_add(1, Ordering::SeqCst);
        ListeningGuard(self.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A waiter's subscription to one check's completion.
#[derive(Debug)]
pub struct CheckSubscription {
    hub: Arc<WebhookHub>,
    check_id: String,
    wake: watch::Receiver<u64>,
}

impl CheckSubscription {
    /// Resolves when a webhook announces the check as completed.
    pub async fn completed(&mut self) {
        if self.wake.changed().await.is_err() {
            // Cannot happen while subscribed; never spin if it does.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for CheckSubscription {
    fn drop(&mut self) {
        let mut state = self.hub.lock();
        if let Some(waiters) = state.waiters.get_mut(&self.check_id) {
            waiters.count -= 1;
            if waiters.count == 0 {
                state.waiters.remove(&self.check_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn verifier() -> WebhookVerifier {
        WebhookVerifier::new("whsec").unwrap()
    }

    fn bearer(secret: &str) -> [(&'static str, String); 1] {
        [("Authorization", format!("Bearer {secret}"))]
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abd", b"abc"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(!constant_time_eq(b"", b"abc"));
    }

    #[test]
    fn secrets_in_header_and_body_must_both_match() {
        let body = json!({ "id": "e1", "event": "X", "secret": "whsec", "data": {} }).to_string();
        assert_eq!(verifier().verify(bearer("whsec"), body.as_bytes()).unwrap().len(), 1);
        let wrong_header = verifier().verify(bearer("nope"), body.as_bytes()).unwrap_err();
        assert!(matches!(wrong_header, Error::Webhook { kind: WebhookErrorKind::Unauthorized, .. }));
        let wrong_body = json!({ "id": "e1", "event": "X", "secret": "nope" }).to_string();
        assert!(matches!(verifier().verify(bearer("whsec"), wrong_body.as_bytes()), Err(Error::Webhook { kind: WebhookErrorKind::Unauthorized, .. })));
        let none: [(&str, &str); 0] = [];
        assert!(matches!(verifier().verify(none, body.as_bytes()), Err(Error::Webhook { kind: WebhookErrorKind::Unauthorized, .. })));
        assert!(!wrong_header.to_string().contains("whsec"));
    }

    #[test]
    fn malformed_and_oversized_bodies_are_refused() {
        for body in [&b"{"[..], b"42", br#"[{"event":"X"}]"#, br#"{"id":"e","event":"CHECK_COMPLETED","data":{}}"#] {
            assert!(matches!(verifier().verify(bearer("whsec"), body), Err(Error::Webhook { kind: WebhookErrorKind::Malformed, .. })), "{body:?}");
        }
        let small = verifier().with_max_body_bytes(10);
        assert!(matches!(small.verify(bearer("whsec"), &[b' '; 11]), Err(Error::Webhook { kind: WebhookErrorKind::TooLarge, .. })));
    }
}

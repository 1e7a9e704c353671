//! Webhooks: verifying PassFort's deliveries, and the hub that wakes waiters.
//!
//! PassFort authenticates a delivery with the shared secret twice: as
//! `Authorization: Bearer <secret>` and as the envelope's `secret` field.
//! There is no signature, so both are required, and each is compared as a
//! SHA-256 digest in constant time (neither its bytes nor its length leak).
//! With no signature, nothing but the envelope's `timestamp` bounds a replay:
//! it must be within a tolerance of now (5 minutes by default).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ring::digest::{digest, SHA256, SHA256_OUTPUT_LEN};
use serde_json::Value;
use subtle::ConstantTimeEq;
use tokio::sync::Notify;
use zeroize::Zeroizing;

use crate::bounded::BoundedSet;
pub use crate::error::WebhookErrorKind;
use crate::error::{Error, Result};
pub use crate::webhook_events::*;

/// Bodies larger than this are refused unread.
pub const DEFAULT_MAX_WEBHOOK_BYTES: usize = 5 * 1024 * 1024;
/// The shortest shared secret accepted: a shorter one can be guessed.
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 16;
/// How far an envelope's `timestamp` may be from now, either way (as Stripe's default).
pub const DEFAULT_WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);
/// Event ids remembered for de-duplication, and completed check ids
/// remembered for a waiter that subscribes after its webhook came.
const REMEMBERED_IDS: usize = 10_000;
/// How long after the last webhook waiters expect more.
const EXPECTED_FOR: Duration = Duration::from_secs(300);

fn rejected(kind: WebhookErrorKind, message: impl Into<String>) -> Error {
    Error::Webhook { kind, message: message.into() }
}

/// A verified webhook event. Its `Debug` shows the id and event name only:
/// `data` holds names and references of the profile.
#[derive(Clone, PartialEq)]
pub struct WebhookEvent {
    pub id: String,
    /// The event name as sent, e.g. `CHECK_COMPLETED`.
    pub event: String,
    /// Seconds since the epoch, as sent (a fraction is dropped). Always
    /// there unless the verifier's tolerance is off.
    pub timestamp: Option<i64>,
    /// The event's `data`, whole.
    pub data: Value,
    pub kind: WebhookEventKind,
}

impl fmt::Debug for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEvent").field("id", &self.id).field("event", &self.event).finish_non_exhaustive()
    }
}

/// The fields of an event the bindings show flat, `None` where the event
/// has no such field: one mapping for every language. (Each event type's own
/// fields are on [`WebhookEventKind`].)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFields<'a> {
    pub profile_id: Option<&'a str>,
    pub check_id: Option<&'a str>,
    pub task_id: Option<&'a str>,
    pub check_type: Option<&'a str>,
    pub result: Option<&'a str>,
    pub decision: Option<&'a str>,
    pub task_type: Option<&'a str>,
    pub task_state: Option<&'a str>,
    pub customer_ref: Option<&'a str>,
}

impl WebhookEvent {
    /// The event's fields, flat: the profile and customer ref of every known
    /// event, the check of CHECK_COMPLETED, the task of task events.
    pub fn fields(&self) -> EventFields<'_> {
        let mut fields =
            EventFields { profile_id: self.kind.profile_id(), customer_ref: self.kind.customer_ref(), ..EventFields::default() };
        match &self.kind {
            WebhookEventKind::CheckCompleted(CheckCompleted { check, .. }) => {
                fields.check_id = Some(&check.id);
                fields.check_type = check.check_type.as_ref().map(|t| t.as_str());
                fields.result = check.result.as_ref().map(|r| r.as_str());
                fields.decision = check.decision.as_ref().map(|d| d.as_str());
            }
            WebhookEventKind::TaskCreated(TaskChanged { task, .. })
            | WebhookEventKind::TaskStateChanged(TaskChanged { task, .. })
            | WebhookEventKind::TaskIsCompleteChanged(TaskChanged { task, .. }) => {
                fields.task_id = Some(&task.id);
                fields.task_type = task.task_type.as_ref().map(|t| t.as_str());
                fields.task_state = task.state.as_ref().map(|s| s.as_str());
            }
            _ => {}
        }
        fields
    }
}

/// Checks and parses webhook deliveries for one shared secret.
#[derive(Clone)]
pub struct WebhookVerifier {
    /// SHA-256 of the secret: what is compared, so that the comparison is of
    /// fixed size. The secret itself is not kept; the digest is wiped on drop.
    secret_digest: Zeroizing<[u8; SHA256_OUTPUT_LEN]>,
    max_body_bytes: usize,
    tolerance: Option<Duration>,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the digest: it would let anyone holding the output test guesses offline.
        f.debug_struct("WebhookVerifier")
            .field("secret", &"***")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier for `secret`, which must be at least
    /// [`MIN_WEBHOOK_SECRET_BYTES`] long; `Error::Config` otherwise.
    pub fn new(secret: impl Into<String>) -> Result<Self> {
        let secret = Zeroizing::new(secret.into());
        if secret.len() < MIN_WEBHOOK_SECRET_BYTES {
            return Err(Error::Config(format!(
                "the webhook secret is too short: it must be at least {MIN_WEBHOOK_SECRET_BYTES} bytes (use the secret PassFort generated)"
            )));
        }
        let mut secret_digest = Zeroizing::new([0; SHA256_OUTPUT_LEN]);
        secret_digest.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
        Ok(Self { secret_digest, max_body_bytes: DEFAULT_MAX_WEBHOOK_BYTES, tolerance: Some(DEFAULT_WEBHOOK_TOLERANCE) })
    }

    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// How far an envelope's `timestamp` may be from now, either way;
    /// `None` accepts any timestamp, or none, and so any replay.
    pub fn with_tolerance(mut self, tolerance: Option<Duration>) -> Self {
        self.tolerance = tolerance;
        self
    }

    pub fn tolerance(&self) -> Option<Duration> {
        self.tolerance
    }

    /// Checks the `Authorization: Bearer <secret>` header alone, so that a
    /// server can refuse a stranger before reading the body. [`Self::verify`]
    /// checks it again, with the body's secret.
    pub fn authorize<I, K, V>(&self, headers: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let mut headers = headers.into_iter();
        let Some((_, authorization)) = headers.find(|(name, _)| name.as_ref().eq_ignore_ascii_case("authorization")) else {
            return Err(rejected(WebhookErrorKind::Unauthorized, "no Authorization header"));
        };
        let authorization = authorization.as_ref();
        // The scheme is case-insensitive (RFC 9110 section 11.1).
        let token = match (authorization.get(..7), authorization.get(7..)) {
            (Some(scheme), Some(token)) if scheme.eq_ignore_ascii_case(b"Bearer ") => token,
            _ => return Err(rejected(WebhookErrorKind::Unauthorized, "the Authorization header is not a Bearer token")),
        };
        if !self.is_secret(token) {
            return Err(rejected(WebhookErrorKind::Unauthorized, "the Authorization header does not carry the shared secret"));
        }
        Ok(())
    }

    /// Compares digests, not the values: fixed size, so the time taken says
    /// nothing of the secret's length or of where a guess goes wrong.
    fn is_secret(&self, given: &[u8]) -> bool {
        digest(&SHA256, given).as_ref().ct_eq(&self.secret_digest[..]).into()
    }

    /// Verifies a delivery (one envelope, or a batch as a JSON array) and
    /// parses its events. Any failure rejects the whole delivery: a wrong or
    /// missing secret in the header or in any envelope, a timestamp outside
    /// the tolerance, a malformed envelope.
    pub fn verify<I, K, V>(&self, body: &[u8], headers: I) -> Result<Vec<WebhookEvent>>
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
        self.authorize(headers)?;
        let now = chrono::Utc::now().timestamp();
        let json: Value = serde_json::from_slice(body)
            .map_err(|error| rejected(WebhookErrorKind::Malformed, format!("the body is not JSON: {error}")))?;
        let envelopes = match json {
            Value::Array(envelopes) => envelopes,
            envelope @ Value::Object(_) => vec![envelope],
            _ => return Err(rejected(WebhookErrorKind::Malformed, "the body is neither an envelope nor a batch")),
        };
        envelopes.into_iter().enumerate().map(|(index, envelope)| self.parse_envelope(index, envelope, now)).collect()
    }

    fn parse_envelope(&self, index: usize, mut envelope: Value, now: i64) -> Result<WebhookEvent> {
        let malformed = |what: &str| rejected(WebhookErrorKind::Malformed, format!("envelope {index}: {what}"));
        let object = envelope.as_object_mut().ok_or_else(|| malformed("not an object"))?;
        let Some(secret) = object.remove("secret") else {
            return Err(rejected(WebhookErrorKind::Unauthorized, format!("envelope {index}: no secret in the body")));
        };
        let secret = secret.as_str().ok_or_else(|| malformed("secret is not a string"))?;
        if !self.is_secret(secret.as_bytes()) {
            return Err(rejected(WebhookErrorKind::Unauthorized, format!("envelope {index}: the body's secret does not match")));
        }
        let timestamp = object.get("timestamp").and_then(seconds);
        if let Some(tolerance) = self.tolerance {
            let Some(sent) = timestamp else {
                return Err(rejected(WebhookErrorKind::Expired, format!("envelope {index}: no timestamp (seconds since the epoch)")));
            };
            let off_by = now.abs_diff(sent);
            if off_by > tolerance.as_secs() {
                return Err(rejected(
                    WebhookErrorKind::Expired,
                    format!(
                        "envelope {index}: its timestamp {sent} is {off_by} s from now, outside the {} s tolerance",
                        tolerance.as_secs()
                    ),
                ));
            }
        }
        let id = object.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).ok_or_else(|| malformed("no id"))?.to_owned();
        let event = object.get("event").and_then(Value::as_str).ok_or_else(|| malformed("no event name"))?.to_owned();
        let data = object.remove("data").unwrap_or(Value::Null);
        let kind = WebhookEventKind::decode(&event, &data);
        Ok(WebhookEvent { id, event, timestamp, data, kind })
    }
}

/// Whole seconds from a JSON number (PassFort's schema types its Unix
/// timestamps as `number`, so a fraction is possible).
fn seconds(value: &Value) -> Option<i64> {
    // `as` saturates: an absurd value stays absurd and is refused.
    value.as_i64().or_else(|| value.as_f64().filter(|seconds| seconds.is_finite()).map(|seconds| seconds as i64))
}

/// Receives webhook deliveries for a client and wakes the waiters of the
/// checks they announce. Shared by every clone of the client.
#[derive(Debug)]
pub struct WebhookHub {
    verifier: Option<WebhookVerifier>,
    state: Mutex<HubState>,
    /// Built-in listeners serving this hub now.
    listeners: AtomicUsize,
    /// The fleet sharing this hub's webhooks through Redis, when one is on (`fleet.rs`).
    pub(crate) fleet: std::sync::OnceLock<std::sync::Weak<crate::fleet::Shared>>,
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
    signal: Arc<Signal>,
    count: usize,
}

/// A check's completion notices, shared by its waiters. Each of thousands of
/// waits holds one: a counter and a `Notify` are a tenth of a watch channel.
#[derive(Debug, Default)]
struct Signal {
    /// Notices so far; each waiter remembers the count it last saw.
    wakes: AtomicU64,
    notify: Notify,
}

impl Signal {
    fn wake(&self) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
}

impl WebhookHub {
    pub(crate) fn new(verifier: Option<WebhookVerifier>) -> Arc<Self> {
        let state = HubState {
            waiters: HashMap::new(),
            seen_events: BoundedSet::new(REMEMBERED_IDS),
            completed_checks: BoundedSet::new(REMEMBERED_IDS),
            last_delivery: None,
        };
        Arc::new(Self { verifier, state: Mutex::new(state), listeners: AtomicUsize::new(0), fleet: std::sync::OnceLock::new() })
    }

    pub fn verifier(&self) -> Option<&WebhookVerifier> {
        self.verifier.as_ref()
    }

    /// Verifies a delivery, forgets events already seen, wakes every waiter
    /// of a completed check, and gives back the new events, which are marked
    /// seen at once: a redelivery of them returns nothing. If your handling
    /// can fail, and PassFort should deliver again when it does, use
    /// [`Self::handle_unacknowledged`] and [`Self::acknowledge`] instead.
    pub fn handle<I, K, V>(&self, body: &[u8], headers: I) -> Result<Vec<WebhookEvent>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        self.receive(headers, body, true, true)
    }

    /// As [`Self::handle`], but the events are not marked seen: they come
    /// back on a redelivery until [`Self::acknowledge`]d. Handle them, then
    /// acknowledge their ids and answer 200; on failure answer an error, so
    /// that PassFort delivers again. Waiters of completed checks are still
    /// woken (they re-read the check, so an early wake is harmless).
    ///
    /// Two concurrent deliveries of one event both return it, so handling
    /// must be idempotent, or serialised by event id.
    pub fn handle_unacknowledged<I, K, V>(&self, body: &[u8], headers: I) -> Result<Vec<WebhookEvent>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        self.receive(headers, body, false, true)
    }

    /// Marks events as handled: later deliveries of these ids return nothing
    /// (the last 10,000 ids are remembered). Unknown ids are remembered too.
    pub fn acknowledge<I, S>(&self, event_ids: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut state = self.lock();
        for id in event_ids {
            state.seen_events.insert(id.as_ref());
        }
    }

    /// `publish`: also announce the new events to the fleet, if there is one, in the background.
    pub(crate) fn receive<I, K, V>(&self, headers: I, body: &[u8], acknowledge: bool, publish: bool) -> Result<Vec<WebhookEvent>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let verifier = self.verifier.as_ref().ok_or_else(|| Error::Config("no webhook secret configured on this client".into()))?;
        let events = verifier.verify(body, headers)?;
        let mut state = self.lock();
        state.last_delivery = Some(Instant::now());
        // Without acknowledging, duplicates within this delivery are dropped here.
        let mut in_this_delivery = HashSet::new();
        let fresh: Vec<WebhookEvent> = events
            .into_iter()
            .filter(|event| {
                if acknowledge {
                    state.seen_events.insert(&event.id)
                } else {
                    !state.seen_events.contains(&event.id) && in_this_delivery.insert(event.id.clone())
                }
            })
            .collect();
        for event in &fresh {
            if let Some(check_id) = event.kind.completed_check_id() {
                state.completed_checks.insert(check_id);
                if let Some(waiters) = state.waiters.get(check_id) {
                    waiters.signal.wake();
                }
            }
        }
        drop(state);
        if publish {
            crate::fleet::publish_in_background(self, &fresh);
        }
        tracing::debug!(events = fresh.len(), "webhook delivery handled");
        Ok(fresh)
    }

    /// Notice of a check's completion, by webhook. Dropping it unsubscribes.
    pub fn subscribe(self: &Arc<Self>, check_id: &str) -> CheckSubscription {
        let mut state = self.lock();
        let completed = state.completed_checks.contains(check_id);
        let waiters = state.waiters.entry(check_id.to_owned()).or_insert_with(|| Waiters { signal: Arc::default(), count: 0 });
        waiters.count += 1;
        let signal = waiters.signal.clone();
        let wakes = signal.wakes.load(Ordering::SeqCst);
        // The webhook came before the waiter: a notice not yet seen wakes it at once.
        let seen = if completed { wakes.wrapping_sub(1) } else { wakes };
        CheckSubscription { hub: self.clone(), check_id: check_id.to_owned(), signal, seen }
    }

    /// Wakes the waiters of a check another worker of the fleet heard of.
    pub(crate) fn wake_check(&self, check_id: &str) {
        let mut state = self.lock();
        state.completed_checks.insert(check_id);
        if let Some(waiters) = state.waiters.get(check_id) {
            waiters.signal.wake();
        }
    }

    /// How many waiters are subscribed now.
    pub fn waiting(&self) -> usize {
        self.lock().waiters.values().map(|w| w.count).sum()
    }

    /// True while webhooks are expected, so that waiters poll less often: a
    /// built-in listener of this client is running, or a delivery came in the
    /// last 5 minutes.
    pub fn webhooks_expected(&self) -> bool {
        self.listeners.load(Ordering::SeqCst) > 0
            || crate::fleet::hears_webhooks(self)
            || self.lock().last_delivery.is_some_and(|last| last.elapsed() < EXPECTED_FOR)
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
    signal: Arc<Signal>,
    /// The count of notices when this waiter last looked.
    seen: u64,
}

impl CheckSubscription {
    /// Resolves when a webhook announces the check as completed.
    pub async fn completed(&mut self) {
        loop {
            let notified = self.signal.notify.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the count is read: a notice in between is not lost.
            notified.as_mut().enable();
            let wakes = self.signal.wakes.load(Ordering::SeqCst);
            if wakes != self.seen {
                self.seen = wakes;
                return;
            }
            notified.await;
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

    const SECRET: &str = "whsec_unit_test_5e1d";

    fn verifier() -> WebhookVerifier {
        WebhookVerifier::new(SECRET).unwrap()
    }

    fn bearer(secret: &str) -> [(&'static str, String); 1] {
        [("Authorization", format!("Bearer {secret}"))]
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn refused(result: Result<Vec<WebhookEvent>>) -> Option<WebhookErrorKind> {
        match result {
            Err(Error::Webhook { kind, .. }) => Some(kind),
            _ => None,
        }
    }

    #[test]
    fn secrets_in_header_and_body_must_both_match() {
        let body = json!({ "id": "e1", "event": "X", "secret": SECRET, "timestamp": now(), "data": {} }).to_string();
        assert_eq!(verifier().verify(body.as_bytes(), bearer(SECRET)).unwrap().len(), 1);
        let lowercase_scheme = [("authorization", format!("bearer {SECRET}"))];
        assert_eq!(verifier().verify(body.as_bytes(), lowercase_scheme).unwrap().len(), 1);
        let wrong_header = verifier().verify(body.as_bytes(), bearer("nope")).unwrap_err();
        assert!(matches!(wrong_header, Error::Webhook { kind: WebhookErrorKind::Unauthorized, .. }));
        let wrong_body = json!({ "id": "e1", "event": "X", "secret": "nope", "timestamp": now() }).to_string();
        assert_eq!(refused(verifier().verify(wrong_body.as_bytes(), bearer(SECRET))), Some(WebhookErrorKind::Unauthorized));
        let none: [(&str, &str); 0] = [];
        assert_eq!(refused(verifier().verify(body.as_bytes(), none)), Some(WebhookErrorKind::Unauthorized));
        assert!(!wrong_header.to_string().contains(SECRET));
    }

    #[test]
    fn an_envelope_without_the_body_secret_is_unauthorized() {
        let without = json!({ "id": "e1", "event": "X", "timestamp": now(), "data": {} }).to_string();
        assert_eq!(refused(verifier().verify(without.as_bytes(), bearer(SECRET))), Some(WebhookErrorKind::Unauthorized));
        // One envelope of a batch without it refuses the whole batch.
        let batch = json!([
            { "id": "e1", "event": "X", "secret": SECRET, "timestamp": now() },
            { "id": "e2", "event": "X", "timestamp": now() },
        ])
        .to_string();
        assert_eq!(refused(verifier().verify(batch.as_bytes(), bearer(SECRET))), Some(WebhookErrorKind::Unauthorized));
    }

    #[test]
    fn the_header_alone_is_authorized_before_any_body() {
        assert!(verifier().authorize(bearer(SECRET)).is_ok());
        for headers in [bearer("whsec_unit_test_5e1"), bearer(&format!("{SECRET}x")), bearer(""), [("Authorization", SECRET.to_owned())]] {
            assert!(matches!(verifier().authorize(headers), Err(Error::Webhook { kind: WebhookErrorKind::Unauthorized, .. })));
        }
        let short = [("Authorization", "Bear")];
        assert!(verifier().authorize(short).is_err());
    }

    #[test]
    fn secrets_shorter_than_16_bytes_are_refused_without_echoing_them() {
        let error = WebhookVerifier::new("whsec_15_bytes!").unwrap_err();
        assert!(matches!(&error, Error::Config(message) if message.contains("at least 16 bytes")), "{error}");
        assert!(!error.to_string().contains("whsec_15_bytes!"));
        assert!(WebhookVerifier::new("").is_err() && WebhookVerifier::new("x").is_err());
        assert!(WebhookVerifier::new("sixteen_bytes_ok").is_ok());
    }

    #[test]
    fn debug_output_holds_neither_the_secret_nor_its_digest() {
        let shown = format!("{:?}", verifier());
        assert!(!shown.contains(SECRET) && shown.contains("***"), "{shown}");
        let digest_bytes = format!("{:?}", digest(&SHA256, SECRET.as_bytes()).as_ref());
        assert!(!shown.contains(&digest_bytes[1..20]), "{shown}");
    }

    #[test]
    fn timestamps_outside_the_tolerance_or_missing_are_expired() {
        let at = |timestamp: Value| json!({ "id": "e1", "event": "X", "secret": SECRET, "timestamp": timestamp }).to_string();
        for timestamp in [json!(now()), json!(now() - 299), json!(now() + 299), json!(now() as f64 + 0.5)] {
            assert!(verifier().verify(at(timestamp.clone()).as_bytes(), bearer(SECRET)).is_ok(), "{timestamp}");
        }
        for timestamp in [json!(now() - 301), json!(now() + 301), json!(1_700_000_000), json!(null), json!("1700000000"), json!(1e300)] {
            assert_eq!(
                refused(verifier().verify(at(timestamp.clone()).as_bytes(), bearer(SECRET))),
                Some(WebhookErrorKind::Expired),
                "{timestamp}"
            );
        }
        let without = json!({ "id": "e1", "event": "X", "secret": SECRET }).to_string();
        assert_eq!(refused(verifier().verify(without.as_bytes(), bearer(SECRET))), Some(WebhookErrorKind::Expired));

        let lenient = verifier().with_tolerance(None);
        assert_eq!(lenient.tolerance(), None);
        assert_eq!(lenient.verify(without.as_bytes(), bearer(SECRET)).unwrap()[0].timestamp, None);
        assert!(lenient.verify(at(json!(1_700_000_000)).as_bytes(), bearer(SECRET)).is_ok());
        let tight = verifier().with_tolerance(Some(Duration::from_secs(10)));
        assert_eq!(refused(tight.verify(at(json!(now() - 60)).as_bytes(), bearer(SECRET))), Some(WebhookErrorKind::Expired));
        assert_eq!(verifier().tolerance(), Some(DEFAULT_WEBHOOK_TOLERANCE));
    }

    #[test]
    fn error_kinds_have_stable_names_used_by_display() {
        let names: Vec<&str> = WebhookErrorKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(names, ["unauthorized", "malformed", "too_large", "expired"]);
        assert_eq!(WebhookErrorKind::TooLarge.to_string(), "too_large");
    }

    #[test]
    fn malformed_and_oversized_bodies_are_refused() {
        let no_event = json!([{ "id": "e", "secret": SECRET, "timestamp": now() }]).to_string();
        let no_check = json!({ "id": "e", "event": "CHECK_COMPLETED", "secret": SECRET, "timestamp": now(), "data": {} }).to_string();
        for body in [&b"{"[..], b"42", no_event.as_bytes()] {
            assert_eq!(refused(verifier().verify(body, bearer(SECRET))), Some(WebhookErrorKind::Malformed), "{body:?}");
        }
        // A known event whose data does not fit is passed through, not refused (PassFort would retry it forever).
        let passed = verifier().verify(no_check.as_bytes(), bearer(SECRET)).unwrap();
        assert_eq!((passed[0].event.as_str(), &passed[0].kind), ("CHECK_COMPLETED", &WebhookEventKind::Unknown));
        let small = verifier().with_max_body_bytes(10);
        assert_eq!(refused(small.verify(&[b' '; 11], bearer(SECRET))), Some(WebhookErrorKind::TooLarge));
    }

    fn completed(id: &str, check_id: &str) -> String {
        json!({ "id": id, "event": "CHECK_COMPLETED", "secret": SECRET, "timestamp": now(), "data": { "profile_id": "p", "check": { "id": check_id } } })
            .to_string()
    }

    #[test]
    fn unacknowledged_events_come_back_on_redelivery_until_acknowledged() {
        let hub = WebhookHub::new(Some(verifier()));
        let body = completed("evt-1", "check-1");
        assert_eq!(hub.handle_unacknowledged(body.as_bytes(), bearer(SECRET)).unwrap().len(), 1);
        // The application failed and answered an error: PassFort delivers again, and the event is still there.
        let again = hub.handle_unacknowledged(body.as_bytes(), bearer(SECRET)).unwrap();
        assert_eq!(again.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["evt-1"]);
        hub.acknowledge(again.iter().map(|e| &e.id));
        assert!(hub.handle_unacknowledged(body.as_bytes(), bearer(SECRET)).unwrap().is_empty(), "acknowledged: a duplicate");
        assert!(hub.handle(body.as_bytes(), bearer(SECRET)).unwrap().is_empty());
        // `handle` marks seen at once, for both ways.
        let other = completed("evt-2", "check-2");
        assert_eq!(hub.handle(other.as_bytes(), bearer(SECRET)).unwrap().len(), 1);
        assert!(hub.handle_unacknowledged(other.as_bytes(), bearer(SECRET)).unwrap().is_empty());
        // A delivery carrying one event twice returns it once.
        let twice = format!("[{},{}]", completed("evt-3", "check-3"), completed("evt-3", "check-3"));
        assert_eq!(hub.handle_unacknowledged(twice.as_bytes(), bearer(SECRET)).unwrap().len(), 1);
    }

    #[tokio::test]
    async fn unacknowledged_events_still_wake_waiters() {
        let hub = WebhookHub::new(Some(verifier()));
        let mut subscription = hub.subscribe("check-9");
        hub.handle_unacknowledged(completed("evt-9", "check-9").as_bytes(), bearer(SECRET)).unwrap();
        tokio::time::timeout(Duration::from_secs(5), subscription.completed()).await.expect("woken");
    }
}

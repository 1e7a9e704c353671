//! A fleet of workers sharing one Redis (issue 16): PassFort sends each
//! webhook to one URL, so to one worker, while the code waiting for that
//! check may run in another.
//!
//! Off by default: a client is a fleet of one, with its in-process hub,
//! de-duplication and pacing. `redis_url` (or `PASSFORT_REDIS_URL`) turns the
//! fleet on; every worker given the same Redis then shares:
//!
//! - **Fan-out.** A verified webhook handed to any worker's hub is announced
//!   on the channel `passfort:fleet:events`, one message a delivery: a JSON array of
//!   `{"id", "event", "check_id"|"task_id"}`
//!   (ids and the event name only: never the secret nor the event's data).
//!   Every worker's subscriber wakes its local waiters of that check, which
//!   then read the check from PassFort as they do for a local webhook.
//! - **De-duplication.** [`WebhookHub::handle_async`] claims each event id
//!   with `SET passfort:fleet:event:<id> 1 NX EX 3 days`: an event is given
//!   back to one caller in the fleet, however often PassFort retries it and
//!   whichever worker receives it; the built-in listener uses it.
//!   [`WebhookHub::handle_unacknowledged_async`] and
//!   [`WebhookHub::acknowledge_async`] do the same for handling that may fail:
//!   an event comes back on any worker until one acknowledges it. (`handle`,
//!   `handle_unacknowledged` and `acknowledge`, which are not async,
//!   de-duplicate per process and still fan out.)
//! - **One rate budget.** Before each `POST /profiles` and
//!   `POST /profiles/{id}/collected_data`, the worker asks a Lua GCRA script
//!   for a slot in the bucket's shared schedule (`passfort:fleet:gcra:<bucket>`,
//!   Redis's clock), and waits its turn: N workers together stay within the
//!   budget ([`RateBudget`], PassFort's documented 10,000 an hour by default).
//! - **A ledger of started checks.** Each check that
//!   [`Client::run_check_and_wait`] starts and does not get back finished is
//!   recorded (`passfort:fleet:check:<check id>`, a hash of profile id, check
//!   id, check type, task ids, the caller's [`CheckRequest::tag`], owner) with
//!   a lease in the sorted set `passfort:fleet:leases` (score: expiry, in
//!   Redis's milliseconds). The owner renews the lease every third of
//!   `fleet_lease` while it waits, and deletes the record once it has seen the
//!   check finished. A worker that dies stops renewing; once its leases
//!   expire, [`Client::recover`] on any worker takes its checks over: one Lua
//!   script moves each expired record to the caller atomically (so each is
//!   handed to exactly one taker), the taker waits for each (webhook or
//!   polling, renewing its own lease) and gives back each finished check,
//!   once; it then deletes the record. A taker that dies in turn lets the
//!   lease expire again, so the check is recovered again, until someone has
//!   seen it finished. A wait that ends without seeing its check finished (a
//!   wait timeout, an error, a cancelled future) leaves the check in the
//!   ledger in the same way. A check whose creation answer is lost when the
//!   worker dies is not in the ledger (it never got its id). A lease renewal
//!   that finds the record gone (Redis restarted empty, or was down when the
//!   check started) records it again. Redis keeps the ledger only as well as
//!   its persistence does (`appendonly yes` in production).
//! - **Limits.** If Redis is unreachable for longer than the lease while a
//!   worker still waits, another worker may take the check over meanwhile:
//!   both then see it finish (at least once, not exactly once, in that case).
//!
//! **Redis down or restarted.** Every Redis call has a short timeout
//! ([`CALL_TIMEOUT`]); after a failure Redis is not asked again for a second,
//! so requests do not queue behind it. Meanwhile waiters poll (a webhook
//! heard locally still wakes local waiters), the budget falls back to
//! per-process pacing with PassFort's 429 handling, and `handle_async`
//! de-duplicates per process; the subscriber reconnects every half second.
//! Each transition (unreachable, reachable again) is logged once, with the URL
//! redacted: the password never appears in logs, `Debug` output or errors.
//!
//! All keys start with `passfort:fleet:`; one Redis serves one fleet.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::client::{CheckRequest, Client};
use crate::config::ClientConfig;
use crate::error::{Cause, Error, Result};
use crate::http::ApiRequest;
use crate::models::CheckType;
use crate::waiting::{FinishedCheck, WaitOptions};
use crate::webhooks::{WebhookEvent, WebhookHub};

/// The prefix of every key and channel.
const PREFIX: &str = "passfort:fleet";
/// Each Redis call (and each connection attempt) gives up after this long.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(1000);
/// After a failure, Redis is not asked again for this long.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);
/// Between attempts to subscribe again.
const RESUBSCRIBE_EVERY: Duration = Duration::from_millis(500);
/// How long an event id stays claimed: longer than PassFort retries a delivery.
const EVENT_CLAIM_SECONDS: u64 = 3 * 24 * 3600;
/// The default lease of a waited-for check.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// The leases accepted.
pub const LEASE_RANGE: (Duration, Duration) = (crate::args::limits::FLEET_LEASE.min, crate::args::limits::FLEET_LEASE.max);
/// A check's tag, at most.
pub const MAX_TAG_BYTES: usize = 256;
/// Checks taken over by one [`Client::recover`] call, at most.
const RECOVER_BATCH: usize = 1000;
/// Recovered checks waited for at once.
const RECOVER_CONCURRENCY: usize = 64;

/// Refuses a Redis URL that is not `redis://`, `rediss://` or `unix://`
/// (`redis+unix://`), without repeating it: it may carry a password.
pub(crate) fn check_redis_url(url: &str) -> Result<()> {
    let parsed = url::Url::parse(url)
        .map_err(|_| Error::Config("the Redis URL is not a URL: give one such as redis://:password@redis.internal:6379/0".into()))?;
    let has_host = parsed.host_str().is_some_and(|host| !host.is_empty());
    match parsed.scheme() {
        "redis" if has_host => {}
        "redis" | "rediss" if !has_host => return Err(Error::Config("the Redis URL has no host".into())),
        "rediss" => {
            return Err(Error::Config(
                "rediss:// (Redis over TLS) is not supported by this build: use redis:// on a private network, or unix://".into(),
            ))
        }
        "unix" | "redis+unix" if !parsed.path().is_empty() => {}
        "unix" | "redis+unix" => return Err(Error::Config("the Redis unix:// URL has no socket path".into())),
        _ => return Err(Error::Config("the Redis URL must start with redis://, rediss:// or unix://".into())),
    }
    redis::Client::open(url).map(drop).map_err(|_| Error::Config("the Redis URL is not usable by the Redis client".into()))
}

/// The URL as logs show it: scheme, host, port and database, no credentials.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "<redis url>".into(),
    }
}

/// The budget of one rate-limited endpoint: `per_hour` requests, of which
/// `burst` may go at once (GCRA, as PassFort meters it). The two endpoints
/// (`POST /profiles`, `POST .../collected_data`) each have a bucket of this size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateBudget {
    pub per_hour: u32,
    pub burst: u32,
}

impl RateBudget {
    /// PassFort's documented limit: 10,000 an hour per endpoint (its burst
    /// is not documented; 50 is assumed, and a 429 is still handled).
    pub const PASSFORT: RateBudget = RateBudget { per_hour: 10_000, burst: 50 };

    pub(crate) fn validate(&self) -> Result<()> {
        use crate::args::limits::{RATE_BUDGET_BURST, RATE_BUDGET_PER_HOUR};
        let in_range = |value: u32, (min, max): (u64, u64)| (min..=max).contains(&u64::from(value));
        if !(in_range(self.per_hour, RATE_BUDGET_PER_HOUR) && in_range(self.burst, RATE_BUDGET_BURST)) {
            return Err(Error::Config(format!(
                "the rate budget must allow 1 to 36,000,000 requests an hour with a burst of 1 to 1,000,000, not {} with {}",
                self.per_hour, self.burst
            )));
        }
        Ok(())
    }

    /// Time between requests at the sustained rate, in microseconds.
    fn interval_micros(&self) -> u64 {
        3_600_000_000 / u64::from(self.per_hour)
    }
}

/// Whether Redis answers, as last seen: each change is logged once.
struct Health {
    up: AtomicBool,
    retry_at: Mutex<Option<Instant>>,
    shown_url: String,
    /// Scrubbed from every message of the Redis client before it is logged.
    password: Option<crate::config::Secret>,
}

impl Health {
    fn may_try(&self) -> bool {
        self.up.load(Ordering::SeqCst) || self.retry_at.lock().unwrap_or_else(|p| p.into_inner()).map_or(true, |at| Instant::now() >= at)
    }

    fn succeeded(&self) {
        if !self.up.swap(true, Ordering::SeqCst) {
            tracing::warn!(redis = %self.shown_url, "Redis is reachable again: the fleet shares webhooks, the rate budget and the ledger again");
        }
    }

    fn failed(&self, what: &str, message: &str) {
        *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + RETRY_AFTER_FAILURE);
        if self.up.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                redis = %self.shown_url,
                error = %self.scrub(message),
                "Redis is unreachable ({what}): waiters poll, the rate budget is paced per process, webhooks are de-duplicated per process until it is back"
            );
        }
    }

    fn scrub(&self, message: &str) -> String {
        match &self.password {
            Some(password) if !password.expose().is_empty() => message.replace(password.expose(), "***"),
            _ => message.to_owned(),
        }
    }
}

/// What the fleet's background tasks and the hub share.
pub(crate) struct Shared {
    client: redis::Client,
    worker_id: String,
    lease: Duration,
    connection: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    health: Health,
    subscribed: AtomicBool,
    hub: Weak<WebhookHub>,
    /// Closed when the [`Fleet`] is dropped: the subscriber stops.
    stopped: watch::Receiver<()>,
    subscriber_started: AtomicBool,
    /// The runtime the subscriber runs on: announcements from a caller
    /// outside any runtime (a binding's thread calling `handle`) go there.
    runtime: std::sync::OnceLock<tokio::runtime::Handle>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet").field("redis", &self.health.shown_url).field("worker_id", &self.worker_id).finish_non_exhaustive()
    }
}

/// A client's membership of a fleet; its background subscriber stops when it is dropped.
pub(crate) struct Fleet {
    shared: Arc<Shared>,
    /// Dropped with the fleet: the subscriber sees its channel close and stops.
    _stop: watch::Sender<()>,
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

fn key(parts: &[&str]) -> String {
    let mut key = PREFIX.to_owned();
    for part in parts {
        key.push(':');
        key.push_str(part);
    }
    key
}

impl Fleet {
    /// Joins the fleet of `config.redis_url`, if any. No connection is made
    /// yet: Redis may be down at start.
    pub(crate) fn join(config: &ClientConfig, hub: &Arc<WebhookHub>) -> Result<Option<Arc<Fleet>>> {
        let Some(url) = &config.redis_url else { return Ok(None) };
        let client =
            redis::Client::open(url.expose()).map_err(|_| Error::Config("the Redis URL is not usable by the Redis client".into()))?;
        let password = client.get_connection_info().redis.password.clone().map(crate::config::Secret::new);
        let worker_id = format!("{}-{}-{:08x}", hostname(), std::process::id(), fastrand::u32(..));
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared {
            client,
            worker_id,
            lease: config.fleet_lease,
            connection: tokio::sync::Mutex::new(None),
            health: Health { up: AtomicBool::new(true), retry_at: Mutex::new(None), shown_url: redacted(url.expose()), password },
            subscribed: AtomicBool::new(false),
            hub: Arc::downgrade(hub),
            stopped,
            subscriber_started: AtomicBool::new(false),
            runtime: std::sync::OnceLock::new(),
        });
        let _ = hub.fleet.set(Arc::downgrade(&shared));
        shared.start_subscriber();
        Ok(Some(Arc::new(Fleet { shared, _stop: stop })))
    }

    pub(crate) fn start_subscriber(&self) {
        self.shared.start_subscriber();
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.').take(64).collect::<String>())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "worker".into())
}

impl Shared {
    /// Starts the subscriber once, when a tokio runtime is there to run it
    /// (a client built outside one starts it on its first wait or fleet call).
    fn start_subscriber(self: &Arc<Self>) {
        if self.subscriber_started.load(Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if self.subscriber_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.runtime.set(runtime.clone());
        runtime.spawn(subscribe(self.clone(), self.stopped.clone()));
    }

    /// The shared connection, connecting if needed; `None` while Redis is unreachable.
    async fn connection(&self) -> Option<redis::aio::MultiplexedConnection> {
        if !self.health.may_try() {
            return None;
        }
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Some(connection.clone());
        }
        if !self.health.may_try() {
            return None;
        }
        let config = redis::AsyncConnectionConfig::new().set_connection_timeout(CALL_TIMEOUT).set_response_timeout(CALL_TIMEOUT);
        match tokio::time::timeout(CALL_TIMEOUT, self.client.get_multiplexed_async_connection_with_config(&config)).await {
            Ok(Ok(connection)) => {
                *slot = Some(connection.clone());
                Some(connection)
            }
            Ok(Err(error)) => {
                self.health.failed("connecting", &error.to_string());
                None
            }
            Err(_) => {
                self.health.failed("connecting", "timed out");
                None
            }
        }
    }

    /// Runs one command (or script) within [`CALL_TIMEOUT`]; `None` if Redis
    /// is unreachable or failed, which is logged once per transition.
    async fn query<T: redis::FromRedisValue>(&self, what: &str, command: &redis::Cmd) -> Option<T> {
        let mut connection = self.connection().await?;
        let outcome = tokio::time::timeout(CALL_TIMEOUT, command.query_async::<T>(&mut connection)).await;
        self.settle(what, outcome).await
    }

    /// Several commands in one round trip (a webhook batch's claims): their
    /// answers in order, or `None` as for [`Shared::query`].
    async fn query_pipelined<T: redis::FromRedisValue>(&self, what: &str, pipeline: &redis::Pipeline) -> Option<T> {
        let mut connection = self.connection().await?;
        let outcome = tokio::time::timeout(CALL_TIMEOUT, pipeline.query_async::<T>(&mut connection)).await;
        self.settle(what, outcome).await
    }

    async fn settle<T>(&self, what: &str, outcome: std::result::Result<redis::RedisResult<T>, tokio::time::error::Elapsed>) -> Option<T> {
        let failure = match outcome {
            Ok(Ok(value)) => {
                self.health.succeeded();
                return Some(value);
            }
            Ok(Err(error))
                if !(error.is_io_error() || error.is_connection_dropped() || error.is_timeout() || error.is_connection_refusal()) =>
            {
                // Redis answered, with an error: not an outage.
                tracing::error!(error = %self.health.scrub(&error.to_string()), "Redis refused the fleet's {what}");
                return None;
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        self.connection.lock().await.take();
        self.health.failed(what, &failure);
        None
    }

    async fn script<T: redis::FromRedisValue>(&self, what: &str, source: &str, keys: &[&str], args: &[&str]) -> Option<T> {
        let mut command = redis::cmd("EVAL");
        command.arg(source).arg(keys.len()).arg(keys).arg(args);
        self.query(what, &command).await
    }

    /// One message for a delivery's events: a JSON array of notices.
    async fn publish(&self, events: &[Notice]) {
        if events.is_empty() {
            return;
        }
        let message = Value::Array(events.iter().map(Notice::to_json).collect()).to_string();
        let _: Option<i64> = self.query("publish", redis::cmd("PUBLISH").arg(key(&["events"])).arg(message)).await;
    }

    fn deliver(&self, payload: &[u8]) {
        let Some(hub) = self.hub.upgrade() else { return };
        let Ok(message) = serde_json::from_slice::<Value>(payload) else { return };
        let notices = match message {
            Value::Array(notices) => notices,
            notice => vec![notice],
        };
        for notice in notices {
            if let Some(check_id) = notice.get("check_id").and_then(Value::as_str) {
                hub.wake_check(check_id);
            }
        }
    }
}

/// What goes over the channel: ids and the event name, nothing else.
struct Notice {
    id: String,
    event: String,
    check_id: Option<String>,
    task_id: Option<String>,
}

impl Notice {
    fn of(event: &WebhookEvent) -> Self {
        let fields = event.fields();
        Notice {
            id: event.id.clone(),
            event: event.event.clone(),
            check_id: fields.check_id.map(str::to_owned),
            task_id: fields.task_id.map(str::to_owned),
        }
    }

    fn to_json(&self) -> Value {
        let mut notice = json!({ "id": self.id, "event": self.event });
        if let Some(check_id) = &self.check_id {
            notice["check_id"] = json!(check_id);
        }
        if let Some(task_id) = &self.task_id {
            notice["task_id"] = json!(task_id);
        }
        notice
    }
}

/// The subscriber: wakes local waiters of checks announced by any worker;
/// subscribes again after Redis drops it, until the fleet is dropped.
async fn subscribe(shared: Arc<Shared>, mut stop: watch::Receiver<()>) {
    let channel = key(&["events"]);
    loop {
        let attempt = async {
            let mut pubsub = shared.client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(CALL_TIMEOUT, attempt).await {
            Ok(Ok(pubsub)) => {
                // Redis may have restarted since the command connection was made: the next command connects afresh.
                if let Ok(mut connection) = shared.connection.try_lock() {
                    connection.take();
                }
                shared.subscribed.store(true, Ordering::SeqCst);
                shared.health.succeeded();
                let mut messages = pubsub.into_on_message();
                loop {
                    tokio::select! {
                        message = messages.next() => match message {
                            Some(message) => shared.deliver(message.get_payload_bytes()),
                            None => break,
                        },
                        _ = stop.changed() => return,
                    }
                }
                shared.subscribed.store(false, Ordering::SeqCst);
                shared.health.failed("subscription lost", "the connection closed");
            }
            Ok(Err(error)) => shared.health.failed("subscribing", &error.to_string()),
            Err(_) => shared.health.failed("subscribing", "timed out"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RESUBSCRIBE_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// True while this hub's fleet subscription is live and webhooks are
/// configured: webhooks heard by any worker wake this one's waiters.
pub(crate) fn hears_webhooks(hub: &WebhookHub) -> bool {
    hub.verifier().is_some()
        && hub.fleet.get().and_then(Weak::upgrade).is_some_and(|shared| {
            shared.start_subscriber();
            shared.subscribed.load(Ordering::SeqCst)
        })
}

/// Announces events to the fleet from a caller that cannot wait (`handle`).
pub(crate) fn publish_in_background(hub: &WebhookHub, events: &[WebhookEvent]) {
    let Some(shared) = hub.fleet.get().and_then(Weak::upgrade) else { return };
    let notices: Vec<Notice> = events.iter().filter(|event| announced(event)).map(Notice::of).collect();
    if notices.is_empty() {
        return;
    }
    match tokio::runtime::Handle::try_current().ok().or_else(|| shared.runtime.get().cloned()) {
        Some(runtime) => drop(runtime.spawn(async move { shared.publish(&notices).await })),
        None => tracing::debug!("webhook events not announced to the fleet: no runtime yet (use handle_async)"),
    }
}

/// Only events about a check or a task are announced.
fn announced(event: &WebhookEvent) -> bool {
    let fields = event.fields();
    fields.check_id.is_some() || fields.task_id.is_some()
}

impl WebhookHub {
    /// As [`WebhookHub::handle`], de-duplicated across the fleet: each event
    /// id is claimed in Redis, and an event is given back only to the one
    /// caller in the fleet that claimed it, whichever worker receives it and
    /// however often PassFort retries it. Waiters of its check are woken on
    /// every worker. Without a fleet, or while Redis is unreachable, it is
    /// [`WebhookHub::handle`] (de-duplicated per process).
    pub async fn handle_async<I, K, V>(&self, body: &[u8], headers: I) -> Result<Vec<WebhookEvent>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let Some(shared) = self.fleet.get().and_then(Weak::upgrade) else { return self.receive(headers, body, true, true) };
        shared.start_subscriber();
        let events = self.receive(headers, body, true, false)?;
        let mut claims = redis::pipe();
        for event in &events {
            claims.cmd("SET").arg(key(&["event", &event.id])).arg(1).arg("NX").arg("EX").arg(EVENT_CLAIM_SECONDS);
        }
        // One round trip for the delivery's claims. Redis unreachable: every
        // event acted on here (per-process de-duplication).
        let won: Vec<bool> = match shared.query_pipelined::<Vec<Option<String>>>("claiming events", &claims).await {
            Some(answers) if answers.len() == events.len() => answers.iter().map(Option::is_some).collect(),
            _ => vec![true; events.len()],
        };
        let mut claimed = Vec::with_capacity(events.len());
        for (event, won) in events.into_iter().zip(won) {
            if won {
                claimed.push(event);
            } else {
                tracing::debug!(event_id = %event.id, "webhook event already claimed by a worker of the fleet");
            }
        }
        let notices: Vec<Notice> = claimed.iter().filter(|event| announced(event)).map(Notice::of).collect();
        shared.publish(&notices).await;
        Ok(claimed)
    }
}

impl WebhookHub {
    /// As [`WebhookHub::handle_unacknowledged`], across the fleet: an event
    /// some worker [acknowledged](Self::acknowledge_async) is a duplicate on
    /// every worker; until then every delivery of it returns it (so handling
    /// must be idempotent, or serialised by event id, as in one process).
    /// Waiters of its check are woken on every worker.
    pub async fn handle_unacknowledged_async<I, K, V>(&self, body: &[u8], headers: I) -> Result<Vec<WebhookEvent>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let Some(shared) = self.fleet.get().and_then(Weak::upgrade) else { return self.receive(headers, body, false, true) };
        shared.start_subscriber();
        let events = self.receive(headers, body, false, false)?;
        let mut lookups = redis::pipe();
        for event in &events {
            lookups.cmd("EXISTS").arg(key(&["event", &event.id]));
        }
        let acknowledged: Vec<bool> = match shared.query_pipelined::<Vec<bool>>("looking up events", &lookups).await {
            Some(answers) if answers.len() == events.len() => answers,
            // Redis unreachable: every event given back.
            _ => vec![false; events.len()],
        };
        let mut fresh = Vec::with_capacity(events.len());
        for (event, acknowledged) in events.into_iter().zip(acknowledged) {
            if acknowledged {
                self.acknowledge([&event.id]);
            } else {
                fresh.push(event);
            }
        }
        let notices: Vec<Notice> = fresh.iter().filter(|event| announced(event)).map(Notice::of).collect();
        shared.publish(&notices).await;
        Ok(fresh)
    }

    /// As [`WebhookHub::acknowledge`], across the fleet: later deliveries of
    /// these ids return nothing on any worker (for 3 days). Per process only
    /// while Redis is unreachable.
    pub async fn acknowledge_async<I, S>(&self, event_ids: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids: Vec<String> = event_ids.into_iter().map(|id| id.as_ref().to_owned()).collect();
        self.acknowledge(&ids);
        let Some(shared) = self.fleet.get().and_then(Weak::upgrade) else { return };
        let mut acknowledgements = redis::pipe();
        for id in &ids {
            acknowledgements.cmd("SET").arg(key(&["event", id])).arg(1).arg("EX").arg(EVENT_CLAIM_SECONDS).ignore();
        }
        let _: Option<()> = shared.query_pipelined("acknowledging events", &acknowledgements).await;
    }
}

/// Paces PassFort's rate-limited creations: shared GCRA in Redis, or per process.
#[derive(Debug)]
pub(crate) struct Pacer {
    budget: RateBudget,
    fleet: Option<Arc<Shared>>,
    /// The per-process schedule: theoretical arrival times, by bucket.
    local: Mutex<[Option<Instant>; 2]>,
}

/// The GCRA of the shared budget, on Redis's clock. KEYS[1]: the bucket;
/// ARGV: interval and tolerance (interval × burst), in microseconds. Gives
/// back 0 when the request may go now (and counts it), or the microseconds
/// to wait before asking again.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local ahead = tat + interval - now
if ahead > tolerance then return ahead - tolerance end
redis.call('SET', KEYS[1], string.format('%d', tat + interval), 'PX', math.floor(ahead / 1000) + 1000)
return 0
";

impl Pacer {
    pub(crate) fn for_config(config: &ClientConfig, fleet: Option<&Arc<Fleet>>) -> Option<Pacer> {
        let budget = config.rate_budget.or_else(|| fleet.map(|_| RateBudget::PASSFORT))?;
        Some(Pacer { budget, fleet: fleet.map(|fleet| fleet.shared.clone()), local: Mutex::new([None, None]) })
    }

    /// Waits for a slot when the request is one of PassFort's rate-limited creations.
    pub(crate) async fn pace(&self, request: &ApiRequest) {
        if request.method != http::Method::POST {
            return;
        }
        let bucket = match &*request.template {
            "/profiles" => 0,
            "/profiles/{profile_id}/collected_data" => 1,
            _ => return,
        };
        loop {
            let wait = match self.shared_wait(bucket).await {
                Some(wait) => wait,
                None => self.local_wait(bucket),
            };
            if wait.is_zero() {
                return;
            }
            tracing::debug!(wait_ms = wait.as_millis() as u64, "waiting for the rate budget");
            tokio::time::sleep(wait).await;
        }
    }

    async fn shared_wait(&self, bucket: usize) -> Option<Duration> {
        let shared = self.fleet.as_ref()?;
        let interval = self.budget.interval_micros();
        let tolerance = interval * u64::from(self.budget.burst);
        let name = ["profiles", "collected_data"][bucket];
        let micros: i64 =
            shared.script("rate budget", GCRA, &[&key(&["gcra", name])], &[&interval.to_string(), &tolerance.to_string()]).await?;
        Some(Duration::from_micros(micros.max(0) as u64))
    }

    fn local_wait(&self, bucket: usize) -> Duration {
        let interval = Duration::from_micros(self.budget.interval_micros());
        let tolerance = interval * self.budget.burst;
        let now = Instant::now();
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let arrival = local[bucket].map_or(now, |tat| tat.max(now));
        let ahead = arrival + interval - now;
        if ahead > tolerance {
            return ahead - tolerance;
        }
        local[bucket] = Some(arrival + interval);
        Duration::ZERO
    }
}

/// Records a check in the ledger, or renews its lease. KEYS[1]: its hash;
/// KEYS[2]: the leases. ARGV: check id, lease in ms, owner, then the hash's
/// field/value pairs. A missing hash (a new check, or Redis restarted empty)
/// is recorded (2); the owner's lease is renewed (1); a check another
/// worker took over is left alone (0).
const RECORD_OR_RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  redis.call('HSET', KEYS[1], unpack(ARGV, 4))
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
  return 2
end
if owner ~= ARGV[3] then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
";

/// Takes over the checks whose lease expired: each becomes the caller's,
/// with a fresh lease, in one atomic step. KEYS[1]: the leases. ARGV: key
/// prefix of the hashes, new owner, lease in ms, how many at most. Gives back
/// each taken hash as a flat field/value list.
const TAKE_EXPIRED: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
local taken = {}
for _, id in ipairs(ids) do
  local hash = ARGV[1] .. id
  if redis.call('EXISTS', hash) == 1 then
    local previous = redis.call('HGET', hash, 'owner')
    redis.call('HSET', hash, 'owner', ARGV[2], 'previous_owner', previous or '')
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), id)
    table.insert(taken, redis.call('HGETALL', hash))
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return taken
";

/// A check in the fleet's ledger, as [`Client::recover`] took it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    pub profile_id: String,
    pub check_id: String,
    pub check_type: CheckType,
    pub task_ids: Vec<String>,
    /// The caller's [`CheckRequest::tag`], if it gave one.
    pub tag: Option<String>,
    /// The worker that started (or last took over) the check and stopped renewing its lease.
    pub previous_owner: String,
}

impl LedgerEntry {
    fn from_fields(fields: Vec<String>) -> Option<Self> {
        let mut map: HashMap<String, String> = HashMap::new();
        let mut fields = fields.into_iter();
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            map.insert(name, value);
        }
        let task_ids: Vec<String> = map.get("task_ids").and_then(|ids| serde_json::from_str(ids).ok()).unwrap_or_default();
        Some(LedgerEntry {
            profile_id: map.remove("profile_id")?,
            check_id: map.remove("check_id")?,
            check_type: CheckType::from(map.remove("check_type").unwrap_or_default()),
            task_ids,
            tag: map.remove("tag").filter(|tag| !tag.is_empty()),
            previous_owner: map.remove("previous_owner").unwrap_or_default(),
        })
    }
}

/// A check taken over by [`Client::recover`], and how waiting for it went.
#[derive(Debug)]
pub struct RecoveredCheck {
    pub entry: LedgerEntry,
    /// The finished check; an error (a wait timeout, say) leaves the check in
    /// the ledger, to be recovered again once this worker's lease expires.
    pub outcome: Result<FinishedCheck>,
}

/// A worker's lease on a check it waits for: renewed in the background until
/// dropped (re-recording the check if Redis lost it); [`Lease::finished`]
/// removes the check from the ledger.
pub(crate) struct Lease {
    shared: Arc<Shared>,
    check_id: String,
    renewing: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(renewing) = self.renewing.take() {
            renewing.abort();
        }
    }
}

impl Lease {
    /// Records the check (now, if Redis answers) and keeps renewing its lease.
    async fn start(shared: Arc<Shared>, entry: &LedgerEntry) -> Lease {
        let keys = [key(&["check", &entry.check_id]), key(&["leases"])];
        let mut args = vec![entry.check_id.clone(), shared.lease.as_millis().to_string(), shared.worker_id.clone()];
        for (name, value) in [
            ("profile_id", entry.profile_id.clone()),
            ("check_id", entry.check_id.clone()),
            ("check_type", entry.check_type.as_str().to_owned()),
            ("task_ids", serde_json::to_string(&entry.task_ids).unwrap_or_else(|_| "[]".into())),
            ("tag", entry.tag.clone().unwrap_or_default()),
            ("owner", shared.worker_id.clone()),
            ("previous_owner", entry.previous_owner.clone()),
        ] {
            args.push(name.to_owned());
            args.push(value);
        }
        let renew = {
            let shared = shared.clone();
            move || {
                let (shared, keys, args) = (shared.clone(), keys.clone(), args.clone());
                async move {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    shared.script::<i64>("recording a check's lease", RECORD_OR_RENEW, &[&keys[0], &keys[1]], &args).await
                }
            }
        };
        renew().await;
        let every = shared.lease / 3;
        let check_id = entry.check_id.clone();
        let renewing = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if renew().await == Some(0) {
                    tracing::warn!(check_id = %check_id, "another worker of the fleet took this check over (this worker's lease had expired)");
                    return;
                }
            }
        });
        Lease { shared, check_id: entry.check_id.clone(), renewing: Some(renewing) }
    }

    /// The check was seen finished: it leaves the ledger.
    pub(crate) async fn finished(mut self) {
        if let Some(renewing) = self.renewing.take() {
            renewing.abort();
        }
        let mut command = redis::cmd("EVAL");
        command
            .arg("redis.call('DEL', KEYS[1]); redis.call('ZREM', KEYS[2], ARGV[1]); return 1")
            .arg(2)
            .arg(key(&["check", &self.check_id]))
            .arg(key(&["leases"]))
            .arg(&self.check_id);
        let _: Option<i64> = self.shared.query("marking a check finished", &command).await;
    }
}

impl Client {
    /// This worker's id in the fleet (host, process, random), or `None`
    /// without a fleet.
    pub fn worker_id(&self) -> Option<&str> {
        self.fleet.as_ref().map(|fleet| fleet.shared.worker_id.as_str())
    }

    /// Whether this worker hears the fleet's webhooks now (its subscription
    /// to Redis is live): false without a fleet, and while Redis is unreachable.
    pub fn fleet_subscribed(&self) -> bool {
        self.fleet.as_ref().is_some_and(|fleet| {
            fleet.start_subscriber();
            fleet.shared.subscribed.load(Ordering::SeqCst)
        })
    }

    /// Whether this client is a worker of a fleet (a Redis URL was given).
    pub fn in_fleet(&self) -> bool {
        self.fleet.is_some()
    }

    /// Puts a check just started into the ledger, with a lease renewed while
    /// the caller waits (recorded as soon as Redis answers, if it is down now).
    /// `None` without a fleet.
    pub(crate) async fn record_started_check(&self, profile_id: &str, check_id: &str, request: &CheckRequest) -> Option<Lease> {
        let fleet = self.fleet.as_ref()?;
        fleet.start_subscriber();
        let entry = LedgerEntry {
            profile_id: profile_id.to_owned(),
            check_id: check_id.to_owned(),
            check_type: request.check_type.clone(),
            task_ids: request.task_ids.clone(),
            tag: request.tag.clone(),
            previous_owner: String::new(),
        };
        Some(Lease::start(fleet.shared.clone(), &entry).await)
    }

    /// Takes over the checks of dead workers: every check in the fleet's
    /// ledger whose lease expired (its owner stopped renewing it) becomes
    /// this worker's, each handed to exactly one caller across the fleet.
    /// Each is then waited for (webhook or polling, within `options`) and
    /// given back finished, once; it then leaves the ledger. Up to 1,000
    /// checks a call; call it at start-up and then now and then (every
    /// `fleet_lease`, say).
    ///
    /// [`Error::Config`] without a fleet; [`Error::Connection`] when Redis is
    /// unreachable (nothing was taken: call again later).
    pub async fn recover(&self, options: &WaitOptions) -> Result<Vec<RecoveredCheck>> {
        options.validate()?;
        let fleet = self.fleet.as_ref().ok_or_else(|| {
            Error::Config(
                "recover needs a fleet: set the Redis URL (Rust and Python redis_url, Node redisUrl) or PASSFORT_REDIS_URL".into(),
            )
        })?;
        fleet.start_subscriber();
        let shared = &fleet.shared;
        let prefix = format!("{}:", key(&["check"]));
        let lease_ms = shared.lease.as_millis().to_string();
        let taken: Vec<Vec<String>> = shared
            .script(
                "recovering checks",
                TAKE_EXPIRED,
                &[&key(&["leases"])],
                &[&prefix, &shared.worker_id, &lease_ms, &RECOVER_BATCH.to_string()],
            )
            .await
            .ok_or_else(|| Error::Connection {
                method: "EVAL".into(),
                path: "the fleet's ledger in Redis".into(),
                message: "Redis is unreachable: no check was taken over; call recover again later".into(),
                request_sent: false,
                cause: Cause::Other,
            })?;
        let entries: Vec<LedgerEntry> = taken.into_iter().filter_map(LedgerEntry::from_fields).collect();
        if !entries.is_empty() {
            tracing::info!(checks = entries.len(), "took over checks of workers that stopped");
        }
        let recovered = futures_util::stream::iter(entries)
            .map(|entry| async move {
                let lease = Lease::start(shared.clone(), &entry).await;
                let outcome = self.wait_for_check(&entry.profile_id, &entry.check_id, options).await;
                if outcome.is_ok() {
                    lease.finished().await;
                }
                RecoveredCheck { entry, outcome }
            })
            .buffer_unordered(RECOVER_CONCURRENCY)
            .collect()
            .await;
        Ok(recovered)
    }
}

//! The log of API requests received (`GET /_emulator/requests`), and how
//! busy the API is (`GET /_emulator/idle`, `GET /_emulator/quiesce`).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub struct RequestLog {
    entries: Vec<Entry>,
    /// Requests begun and not yet finished (since the last reset).
    in_flight: usize,
    /// When a request last began or finished; the log's creation (start or
    /// reset) until then.
    last_activity: Instant,
}

impl Default for RequestLog {
    fn default() -> Self {
        Self { entries: Vec::new(), in_flight: 0, last_activity: Instant::now() }
    }
}

/// How busy the API is now: what `GET /_emulator/idle` answers.
#[derive(Clone, Copy, Debug)]
pub struct Activity {
    /// Requests received since start or the last reset (the length of `GET /_emulator/requests`).
    pub requests: usize,
    /// Of those, how many have not been answered (or dropped) yet.
    pub in_flight: usize,
    /// How long since a request last began or finished (or since start or reset).
    pub idle: Duration,
}

impl Activity {
    pub fn to_json(self) -> Value {
        json!({
            "requests": self.requests,
            "in_flight": self.in_flight,
            "idle_ms": self.idle.as_millis() as u64,
        })
    }
}

struct Entry {
    sequence: u64,
    method: String,
    path: String,
    query: Option<String>,
    fault: Option<&'static str>,
    received: DateTime<Utc>,
    finished: Option<DateTime<Utc>>,
    /// None while in progress, or when the connection was dropped on purpose.
    status: Option<u16>,
    /// Answered 504 by the gateway timeout while the work went on.
    gateway_timeout: bool,
}

/// Which entry a request's answer belongs to. Sequence numbers never repeat,
/// not even across resets, so a late answer cannot land on a newer entry.
#[derive(Clone, Copy, Debug)]
pub struct EntryId(u64);

static NEXT_SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl RequestLog {
    pub fn begin(&mut self, method: &str, path: &str, query: Option<String>, fault: Option<&'static str>) -> EntryId {
        let sequence = NEXT_SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.entries.push(Entry {
            sequence,
            method: method.to_owned(),
            path: path.to_owned(),
            query,
            fault,
            received: Utc::now(),
            finished: None,
            status: None,
            gateway_timeout: false,
        });
        self.in_flight += 1;
        self.last_activity = Instant::now();
        EntryId(sequence)
    }

    /// Records how a request was answered. The first answer counts: after a
    /// gateway timeout, the handler's own answer (which nobody receives) does not
    /// change the entry.
    pub fn finish(&mut self, id: EntryId, status: Option<u16>) {
        // Entries are in sequence order; after a reset the entry is gone.
        if let Ok(index) = self.entries.binary_search_by_key(&id.0, |entry| entry.sequence) {
            let entry = &mut self.entries[index];
            if entry.finished.is_some() {
                return;
            }
            self.in_flight -= 1;
            self.last_activity = Instant::now();
            entry.status = status;
            entry.finished = Some(Utc::now());
        }
    }

    /// Records that the gateway answered 504 while the request's work goes on.
    pub fn gateway_timeout(&mut self, id: EntryId) {
        self.finish(id, Some(504));
        if let Ok(index) = self.entries.binary_search_by_key(&id.0, |entry| entry.sequence) {
            self.entries[index].gateway_timeout = true;
        }
    }

    pub fn activity(&self) -> Activity {
        Activity { requests: self.entries.len(), in_flight: self.in_flight, idle: self.last_activity.elapsed() }
    }

    pub fn to_json(&self) -> Vec<Value> {
        self.entries
            .iter()
            .map(|entry| {
                json!({
                    "method": entry.method,
                    "path": entry.path,
                    "query": entry.query,
                    "status": entry.status,
                    "fault": entry.fault,
                    "gateway_timeout": entry.gateway_timeout,
                    "time": millis(entry.received),
                    "timestamp_ms": entry.received.timestamp_millis(),
                    "finished_ms": entry.finished.map(|t| t.timestamp_millis()),
                })
            })
            .collect()
    }
}

/// RFC 3339 with milliseconds, in UTC.
pub fn millis(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

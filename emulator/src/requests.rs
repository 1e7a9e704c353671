//! The log of API requests received (`GET /_emulator/requests`).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

#[derive(Default)]
pub struct RequestLog {
    entries: Vec<Entry>,
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
        });
        EntryId(sequence)
    }

    pub fn finish(&mut self, id: EntryId, status: Option<u16>) {
        // Entries are in sequence order; after a reset the entry is gone.
        if let Ok(index) = self.entries.binary_search_by_key(&id.0, |entry| entry.sequence) {
            let entry = &mut self.entries[index];
            entry.status = status;
            entry.finished = Some(Utc::now());
        }
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

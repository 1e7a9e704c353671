//! Arguments as the bindings receive them, checked and defaulted here, once.
//!
//! A binding passes what its caller gave, or `None` for "not given", with
//! numbers as `f64` in its own unit (seconds in Rust and Python, milliseconds
//! in Node). This module owns every default, every range and every message,
//! naming each argument as the caller's language spells it (`max_retries`,
//! `maxRetries`; `timeout`, `timeoutMs`).

use std::time::Duration;

use crate::error::{Error, Result};

/// How a language spells argument names and which unit its durations use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    pub camel_case: bool,
    pub millis: bool,
}

impl Dialect {
    pub const RUST: Dialect = Dialect { camel_case: false, millis: false };
    pub const PYTHON: Dialect = Dialect { camel_case: false, millis: false };
    pub const NODE: Dialect = Dialect { camel_case: true, millis: true };

    /// `max_retries` as this language spells it; durations carry `Ms` in Node.
    pub fn name(self, snake: &str, duration: bool) -> String {
        if !self.camel_case {
            return snake.to_owned();
        }
        let mut name = String::with_capacity(snake.len() + 2);
        let mut upper = false;
        for c in snake.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                name.extend(c.to_uppercase());
                upper = false;
            } else {
                name.push(c);
            }
        }
        if duration && self.millis {
            name.push_str("Ms");
        }
        name
    }

    fn unit(self) -> &'static str {
        if self.millis {
            "milliseconds"
        } else {
            "seconds"
        }
    }

    fn per_second(self) -> f64 {
        if self.millis {
            1000.0
        } else {
            1.0
        }
    }

    /// A duration given in this dialect's unit, within `range`.
    pub fn duration(self, snake: &str, value: Option<f64>, range: DurationRange) -> Result<Option<Duration>> {
        let Some(value) = value else { return Ok(None) };
        let scale = self.per_second();
        let (min, max) = (range.min.as_secs_f64() * scale, range.max.as_secs_f64() * scale);
        let in_range = value.is_finite() && if range.min.is_zero() { value > 0.0 } else { value >= min } && value <= max;
        if !in_range {
            let lower = if range.min.is_zero() { "greater than 0".to_owned() } else { format!("at least {}", trim(min)) };
            return Err(Error::InvalidArgument(format!(
                "{} must be a number of {} {lower} and at most {}, not {}",
                self.name(snake, true),
                self.unit(),
                trim(max),
                shown_number(value)
            )));
        }
        // In range, so finite and far from Duration's limits; but a positive
        // value under a nanosecond (1e-300, say) would round to zero.
        let duration = Duration::from_secs_f64(value / scale);
        if range.min.is_zero() && duration.is_zero() {
            return Err(Error::InvalidArgument(format!(
                "{} must be at least one nanosecond, not {}",
                self.name(snake, true),
                shown_number(value)
            )));
        }
        Ok(Some(duration))
    }

    /// A delay of zero or more, at most `max` (the emulator's latencies).
    pub fn delay(self, snake: &str, value: Option<f64>, max: Duration) -> Result<Option<Duration>> {
        let Some(value) = value else { return Ok(None) };
        let limit = max.as_secs_f64() * self.per_second();
        if !(value.is_finite() && value >= 0.0 && value <= limit) {
            return Err(Error::InvalidArgument(format!(
                "{} must be a number of {} from 0 to {}, not {}",
                self.name(snake, true),
                self.unit(),
                trim(limit),
                shown_number(value)
            )));
        }
        Ok(Some(Duration::from_secs_f64(value / self.per_second())))
    }

    /// A whole number within `min..=max`.
    pub fn count(self, snake: &str, value: Option<f64>, min: u64, max: u64) -> Result<Option<u64>> {
        let Some(value) = value else { return Ok(None) };
        if !(value.is_finite() && value.fract() == 0.0 && value >= min as f64 && value <= max as f64) {
            return Err(Error::InvalidArgument(format!(
                "{} must be a whole number from {min} to {max}, not {}",
                self.name(snake, false),
                shown_number(value)
            )));
        }
        Ok(Some(value as u64))
    }
}

/// The accepted span of a duration argument. `min` of zero means "greater than zero".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationRange {
    pub min: Duration,
    pub max: Duration,
}

const fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// Every limit a caller's argument is checked against.
pub mod limits {
    use super::{secs, DurationRange};
    use std::time::Duration;

    /// Per-request timeouts (`timeout`, `connect_timeout`, `sync_timeout`).
    pub const REQUEST_TIMEOUT: DurationRange = DurationRange { min: Duration::ZERO, max: secs(24 * 3600) };
    /// The longest server-requested wait honoured before surfacing a rate limit.
    pub const MAX_RETRY_WAIT: DurationRange = DurationRange { min: Duration::ZERO, max: secs(3600) };
    /// Waiting for a check (`wait_timeout`): up to 30 days.
    pub const WAIT_TIMEOUT: DurationRange = DurationRange { min: Duration::ZERO, max: secs(30 * 24 * 3600) };
    /// A fixed polling interval: 10 ms to one hour.
    pub const POLL_INTERVAL: DurationRange = DurationRange { min: Duration::from_millis(10), max: secs(3600) };
    /// Webhook timestamp tolerance.
    /// Webhook timestamps have whole seconds: so does the window.
    pub const WEBHOOK_TOLERANCE: DurationRange = DurationRange { min: secs(1), max: secs(24 * 3600) };
    /// A fleet worker's lease on a check it waits for (`fleet_lease`).
    pub const FLEET_LEASE: DurationRange = DurationRange { min: Duration::from_millis(200), max: secs(3600) };
    /// A rate budget's requests an hour, and its burst.
    pub const RATE_BUDGET_PER_HOUR: (u64, u64) = (1, 36_000_000);
    pub const RATE_BUDGET_BURST: (u64, u64) = (1, 1_000_000);
    pub const MAX_RETRIES: (u64, u64) = (0, 10);
    pub const MAX_CONNECTIONS: (u64, u64) = (1, 10_000);
    pub const CONCURRENCY: (u64, u64) = (1, 1_000);
    pub const MAX_FAILURES: (u64, u64) = (1, 100);
    pub const PAGE_SIZE: (u64, u64) = (1, 200);
    /// A free-text profile search (`q`), in bytes.
    pub const MAX_QUERY_BYTES: usize = 1024;
    /// A check type or role name, in bytes.
    pub const MAX_ENUM_BYTES: usize = 128;
    /// Task ids on one check.
    pub const MAX_TASK_IDS: usize = 100;
    /// Nesting of JSON given by a caller (collected data, check fields).
    pub const MAX_JSON_DEPTH: usize = 64;
    /// Encoded size of JSON given by a caller.
    pub const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;
    /// The emulator's simulated latencies and timeouts.
    pub const EMULATOR_DELAY: Duration = secs(3600);
    /// Jobs in one batch.
    pub const MAX_BATCH_JOBS: usize = 100_000;
    /// A document image, decoded (the API's limit: 4 MiB).
    pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
    /// A test on a file's first bytes.
    pub type MagicTest = fn(&[u8]) -> bool;
    /// The formats a document image may have, each with its test on the first bytes.
    pub const IMAGE_FORMATS: &[(&str, MagicTest)] = &[
        ("JPEG", |b| b.starts_with(&[0xFF, 0xD8, 0xFF])),
        ("PNG", |b| b.starts_with(b"\x89PNG")),
        ("GIF", |b| b.starts_with(b"GIF8")),
        ("TIFF", |b| b.starts_with(b"II\x2a\x00") || b.starts_with(b"MM\x00\x2a")),
        ("WEBP", |b| b.len() >= 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP"),
        ("PDF", |b| b.starts_with(b"%PDF")),
    ];
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

/// A caller's number in a message: short, whatever its size.
fn shown_number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.abs() >= 1e15 || (value != 0.0 && value.abs() < 1e-6) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// A caller's text in a message: quoted, and cut short when long, so that a
/// 10 MB argument never becomes a 10 MB message.
pub fn shown_text(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.len() <= SHOWN {
        return format!("{text:?}");
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}… ({} bytes)", &text[..end], text.len())
}

/// Checks JSON a caller gave: nesting depth and encoded size.
pub fn check_json(what: &str, value: &serde_json::Value) -> Result<()> {
    fn depth_over(value: &serde_json::Value, limit: usize) -> bool {
        if limit == 0 {
            return true;
        }
        match value {
            serde_json::Value::Array(items) => items.iter().any(|item| depth_over(item, limit - 1)),
            serde_json::Value::Object(map) => map.values().any(|item| depth_over(item, limit - 1)),
            _ => false,
        }
    }
    if depth_over(value, limits::MAX_JSON_DEPTH + 1) {
        return Err(Error::InvalidArgument(format!("{what} is nested deeper than {} levels", limits::MAX_JSON_DEPTH)));
    }
    /// Counts bytes, stopping once past the limit.
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            if self.0 > limits::MAX_JSON_BYTES {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    if serde_json::to_writer(Counter(0), value).is_err() {
        return Err(Error::InvalidArgument(format!("{what} is over {} bytes as JSON", limits::MAX_JSON_BYTES)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_dialect() {
        assert_eq!(Dialect::NODE.name("max_retries", false), "maxRetries");
        assert_eq!(Dialect::NODE.name("timeout", true), "timeoutMs");
        assert_eq!(Dialect::PYTHON.name("sync_timeout", true), "sync_timeout");
    }

    #[test]
    fn numbers_out_of_range_are_refused_with_the_range() {
        let node = Dialect::NODE;
        let error = node.duration("timeout", Some(1e300), limits::REQUEST_TIMEOUT).unwrap_err().to_string();
        assert!(error.contains("timeoutMs") && error.contains("86400000") && error.contains("1e300"), "{error}");
        // 1e-300 is positive but rounds to a zero Duration (found by fuzz/fuzz_targets/arguments.rs).
        for bad in [f64::NAN, -1.0, 0.0, f64::INFINITY, 1e-300, f64::MIN_POSITIVE] {
            assert!(node.duration("timeout", Some(bad), limits::REQUEST_TIMEOUT).is_err(), "{bad}");
        }
        assert_eq!(node.duration("timeout", Some(1500.0), limits::REQUEST_TIMEOUT).unwrap(), Some(Duration::from_millis(1500)));
        for bad in [-1.0, 1.5, f64::NAN, 4_294_967_295.0] {
            let error = node.count("max_retries", Some(bad), 0, 10).unwrap_err().to_string();
            assert!(error.contains("maxRetries") && error.contains("0 to 10"), "{error}");
        }
        assert_eq!(Dialect::PYTHON.count("max_retries", Some(3.0), 0, 10).unwrap(), Some(3));
        assert_eq!(Dialect::PYTHON.count("max_retries", None, 0, 10).unwrap(), None);
    }

    #[test]
    fn long_text_is_cut_in_messages() {
        let long = "x".repeat(10_000_000);
        assert!(shown_text(&long).len() < 100);
    }
}

//! When a failed request may be sent again, and how long to wait first.

use std::time::Duration;

use http::HeaderMap;

use crate::config::ClientConfig;
use crate::error::Error;

/// How a request may be retried. Chosen per call, never per failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    /// Reads, and writes that are harmless to repeat (setting a task's state
    /// twice): retried on connection errors, timeouts, 408, 429 and 5xx.
    Idempotent,
    /// Creations (`POST /profiles`, `POST .../checks`): a check can cost real
    /// money, and PassFort has no idempotency key. Retried only when PassFort
    /// provably did no work: the connection was never made, or PassFort
    /// answered 429 (it refused the request; its rate-limit docs say to wait
    /// and retry).
    CreateOnce,
}

impl RetryClass {
    pub fn allows_retry(self, error: &Error) -> bool {
        match (self, error) {
            (_, Error::Connection { request_sent: false, .. } | Error::Timeout { request_sent: false, .. }) => true,
            (_, Error::Api(api)) if api.status == 429 => true,
            (RetryClass::CreateOnce, _) => false,
            (RetryClass::Idempotent, Error::Connection { .. } | Error::Timeout { .. }) => true,
            (RetryClass::Idempotent, Error::Api(api)) => api.status == 408 || api.status >= 500,
            (RetryClass::Idempotent, _) => false,
        }
    }
}

/// The wait before retry number `retry` (0-based): the server's wish when it
/// stated one, otherwise exponential backoff with full jitter. `None` means
/// the server asked for longer than we are willing to wait.
pub fn delay_before_retry(config: &ClientConfig, retry: u32, error: &Error) -> Option<Duration> {
    if let Some(wait) = error.api().and_then(|api| api.retry_after) {
        return (wait <= config.max_retry_wait).then_some(wait);
    }
    let ceiling = config.backoff_base.saturating_mul(2u32.saturating_pow(retry)).min(config.backoff_max);
    Some(ceiling.mul_f64(fastrand::f64()))
}

/// The longest wait a server can ask for, as far as we count: anything longer
/// (`Retry-After: 1e300`) is taken as this, which is already more than any
/// client's `max_retry_wait`, so the rate limit is surfaced, not waited out.
pub const SERVER_WAIT_CAP: Duration = crate::args::limits::MAX_RETRY_WAIT.max;

/// The wait a server asked for: `Retry-After` (seconds or an HTTP date), or
/// PassFort's `X-RateLimit-Retry-Secs`, or on a 429 `X-RateLimit-Reset-Secs`.
/// Any proxy can send these: every value is clamped to [`SERVER_WAIT_CAP`],
/// and a negative, non-numeric or non-finite one is ignored.
pub fn server_requested_wait(status: u16, headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let seconds = |text: &str| {
        let seconds = text.parse::<f64>().ok().filter(|s| !s.is_nan() && *s >= 0.0)?;
        Some(Duration::try_from_secs_f64(seconds).unwrap_or(SERVER_WAIT_CAP).min(SERVER_WAIT_CAP))
    };
    if let Some(wait) = header("x-ratelimit-retry-secs").and_then(seconds) {
        return Some(wait);
    }
    if let Some(text) = header("retry-after") {
        if let Some(wait) = seconds(text) {
            return Some(wait);
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(text) {
            let wait = date.with_timezone(&chrono::Utc).signed_duration_since(chrono::Utc::now());
            return Some(wait.to_std().unwrap_or_default().min(SERVER_WAIT_CAP));
        }
    }
    if status == 429 {
        return header("x-ratelimit-reset-secs").and_then(seconds);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_headers_in_order_of_precedence() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset-secs", "7".parse().unwrap());
        assert_eq!(server_requested_wait(429, &headers), Some(Duration::from_secs(7)));
        assert_eq!(server_requested_wait(503, &headers), None);
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(server_requested_wait(429, &headers), Some(Duration::from_secs(2)));
        headers.insert("x-ratelimit-retry-secs", "0.5".parse().unwrap());
        assert_eq!(server_requested_wait(429, &headers), Some(Duration::from_millis(500)));
    }

    #[test]
    fn absurd_waits_are_clamped_or_ignored_never_a_panic() {
        for (value, expected) in [
            ("1e300", Some(SERVER_WAIT_CAP)),
            ("1e19", Some(SERVER_WAIT_CAP)),
            ("18446744073709551616", Some(SERVER_WAIT_CAP)),
            ("inf", Some(SERVER_WAIT_CAP)),
            ("-1", None),
            ("NaN", None),
            ("-inf", None),
            ("soon", None),
            ("Fri, 31 Dec 9999 23:59:59 GMT", Some(SERVER_WAIT_CAP)),
        ] {
            let names: &[&str] =
                if value.contains("GMT") { &["retry-after"] } else { &["retry-after", "x-ratelimit-retry-secs", "x-ratelimit-reset-secs"] };
            for name in names {
                let mut headers = HeaderMap::new();
                headers.insert(*name, value.parse().unwrap());
                assert_eq!(server_requested_wait(429, &headers), expected, "{name}: {value}");
            }
        }
    }
}

#[cfg(test)]
mod retry_class_tests {
    use super::*;
    use crate::error::{ApiError, ApiErrorKind};

    fn api(status: u16) -> Error {
        Error::Api(Box::new(ApiError {
            kind: ApiErrorKind::from_status(status),
            status,
            errors: vec![],
            request_id: None,
            retry_after: None,
            method: "POST".into(),
            path: "/x".into(),
            body_snippet: None,
            latest: None,
        }))
    }

    fn connection(request_sent: bool) -> Error {
        Error::Connection {
            method: "POST".into(),
            path: "/x".into(),
            message: "reset".into(),
            request_sent,
            cause: crate::error::Cause::ConnectionReset,
        }
    }

    #[test]
    fn creations_are_retried_only_when_no_work_can_have_been_done() {
        let create = RetryClass::CreateOnce;
        assert!(create.allows_retry(&connection(false)));
        assert!(create.allows_retry(&api(429)));
        assert!(!create.allows_retry(&connection(true)));
        for status in [408, 500, 502, 503, 504] {
            assert!(!create.allows_retry(&api(status)), "{status}");
        }
        let read = RetryClass::Idempotent;
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(read.allows_retry(&api(status)), "{status}");
        }
        assert!(read.allows_retry(&connection(true)));
        assert!(!read.allows_retry(&api(400)) && !read.allows_retry(&api(404)) && !read.allows_retry(&api(401)));
    }
}

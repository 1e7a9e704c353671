//! GCRA rate limiting for PassFort's two limited endpoints, `POST /profiles`
//! and `POST /profiles/{pid}/collected_data` (10,000 an hour each, with a
//! burst [C]), each with its own bucket and PassFort's `X-RateLimit-*` headers.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode};

use crate::api_error::ApiFailure;
use crate::state::lock;

/// A limit of `per_hour` requests, of which `burst` may come at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_hour: u32,
    pub burst: u32,
}

/// The endpoints PassFort rate-limits, each with a bucket of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitedEndpoint {
    /// `POST /profiles`.
    Profiles,
    /// `POST /profiles/{pid}/collected_data` (every profile shares the one bucket [A]).
    CollectedData,
}

impl LimitedEndpoint {
    /// Both, in the order the admin API lists them.
    pub const ALL: [LimitedEndpoint; 2] = [LimitedEndpoint::Profiles, LimitedEndpoint::CollectedData];

    /// The name the admin API uses (`GET /_emulator/config`, `rate_limits`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Profiles => "profiles",
            Self::CollectedData => "collected_data",
        }
    }

    fn refusal(self) -> &'static str {
        match self {
            Self::Profiles => "Rate limit exceeded for creating profiles",
            Self::CollectedData => "Rate limit exceeded for updating collected data",
        }
    }
}

/// The error code of a 429 [A: PassFort documents the status and headers, not the body's code].
pub const RATE_LIMITED_CODE: u16 = 107;

/// The two buckets. Each is off (`None`) unless configured.
#[derive(Default)]
pub struct RateLimits {
    profiles: Mutex<Option<Gcra>>,
    collected_data: Mutex<Option<Gcra>>,
}

impl RateLimits {
    pub fn new(profiles: Option<RateLimit>, collected_data: Option<RateLimit>) -> Self {
        Self { profiles: Mutex::new(profiles.map(Gcra::new)), collected_data: Mutex::new(collected_data.map(Gcra::new)) }
    }

    fn bucket(&self, endpoint: LimitedEndpoint) -> &Mutex<Option<Gcra>> {
        match endpoint {
            LimitedEndpoint::Profiles => &self.profiles,
            LimitedEndpoint::CollectedData => &self.collected_data,
        }
    }

    /// Counts one request against `endpoint`'s bucket. Allowed: the
    /// `X-RateLimit-*` headers to add to the answer (none when the limit is
    /// off). Refused: PassFort's 429, with those headers and
    /// `X-RateLimit-Retry-Secs`. Call it before doing any work.
    pub fn check(&self, endpoint: LimitedEndpoint) -> Result<HeaderMap, ApiFailure> {
        let mut headers = HeaderMap::new();
        let mut bucket = lock(self.bucket(endpoint));
        let Some(limiter) = bucket.as_mut() else { return Ok(headers) };
        let decision = limiter.check(Instant::now());
        decision.write_headers(&mut headers);
        if decision.allowed {
            return Ok(headers);
        }
        let mut failure = ApiFailure::new(StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED_CODE, endpoint.refusal());
        failure.headers = headers;
        Err(failure)
    }

    /// Replaces one bucket's limit (a fresh, full bucket), or turns it off with `None`.
    pub fn set(&self, endpoint: LimitedEndpoint, limit: Option<RateLimit>) {
        *lock(self.bucket(endpoint)) = limit.map(Gcra::new);
    }

    /// The limit in force on one bucket.
    pub fn limit(&self, endpoint: LimitedEndpoint) -> Option<RateLimit> {
        lock(self.bucket(endpoint)).as_ref().map(|gcra| gcra.limit)
    }
}

pub struct Gcra {
    limit: RateLimit,
    /// Time between requests at the sustained rate.
    interval: Duration,
    /// How far ahead of now the theoretical arrival time may run.
    tolerance: Duration,
    theoretical_arrival: Option<Instant>,
}

pub struct Decision {
    pub allowed: bool,
    pub remaining: u64,
    /// Until the bucket is full again.
    pub reset_after: Duration,
    /// Until the next request would be allowed (0 when allowed).
    pub retry_after: Duration,
}

impl Gcra {
    pub fn new(limit: RateLimit) -> Self {
        let interval = Duration::from_secs(3600) / limit.per_hour.max(1);
        Self { limit, interval, tolerance: interval * limit.burst.max(1), theoretical_arrival: None }
    }

    pub fn check(&mut self, now: Instant) -> Decision {
        let arrival = self.theoretical_arrival.map_or(now, |tat| tat.max(now));
        let next = arrival + self.interval;
        let ahead = next - now;
        if ahead > self.tolerance {
            return Decision { allowed: false, remaining: 0, reset_after: arrival - now, retry_after: ahead - self.tolerance };
        }
        self.theoretical_arrival = Some(next);
        let remaining = ((self.tolerance - ahead).as_nanos() / self.interval.as_nanos()) as u64;
        Decision { allowed: true, remaining, reset_after: ahead, retry_after: Duration::ZERO }
    }
}

impl Decision {
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let seconds = |wait: Duration| HeaderValue::from(wait.as_secs_f64().ceil() as u64);
        let reset_at = chrono::Utc::now().timestamp() as u64 + self.reset_after.as_secs_f64().ceil() as u64;
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset-secs", seconds(self.reset_after));
        headers.insert("x-ratelimit-reset", HeaderValue::from(reset_at));
        if !self.allowed {
            headers.insert("x-ratelimit-retry-secs", seconds(self.retry_after));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_until_the_interval_passes() {
        let mut limiter = Gcra::new(RateLimit { per_hour: 3600, burst: 3 });
        let start = Instant::now();
        let remaining: Vec<u64> = (0..3)
            .map(|_| limiter.check(start))
            .map(|d| {
                assert!(d.allowed);
                d.remaining
            })
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let refused = limiter.check(start);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        assert!(limiter.check(start + Duration::from_secs(1)).allowed);
    }

    #[test]
    fn the_buckets_are_separate() {
        let limits = RateLimits::new(Some(RateLimit { per_hour: 1, burst: 1 }), Some(RateLimit { per_hour: 1, burst: 1 }));
        assert!(limits.check(LimitedEndpoint::Profiles).is_ok());
        assert!(limits.check(LimitedEndpoint::Profiles).is_err());
        let headers = limits.check(LimitedEndpoint::CollectedData).unwrap();
        assert_eq!(headers["x-ratelimit-remaining"], "0");
        let refused = limits.check(LimitedEndpoint::CollectedData).unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers.contains_key("x-ratelimit-retry-secs"));
    }

    #[test]
    fn an_unconfigured_bucket_adds_no_headers() {
        let limits = RateLimits::default();
        assert!(limits.check(LimitedEndpoint::CollectedData).unwrap().is_empty());
    }
}

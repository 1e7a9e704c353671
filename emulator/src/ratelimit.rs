//! GCRA rate limiting for `POST /profiles`, with PassFort's `X-RateLimit-*` headers.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};

/// A limit of `per_hour` requests, of which `burst` may come at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_hour: u32,
    pub burst: u32,
}

pub struct Gcra {
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
        Self { interval, tolerance: interval * limit.burst.max(1), theoretical_arrival: None }
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
}

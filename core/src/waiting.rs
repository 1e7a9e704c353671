//! Waiting for a check to finish: by webhook when one arrives, by polling
//! when none does, within a deadline.

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::models::{Check, CheckState};

/// How long to wait for a check, and how often to read it meanwhile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WaitOptions {
    /// Overall deadline, from the start of the wait (default 15 minutes).
    pub timeout: Duration,
    pub poll: PollSchedule,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(15 * 60), poll: PollSchedule::default() }
    }
}

impl WaitOptions {
    pub(crate) fn validate(&self) -> crate::Result<()> {
        let range = crate::args::limits::WAIT_TIMEOUT;
        if self.timeout.is_zero() || self.timeout > range.max {
            return Err(Error::InvalidArgument(format!(
                "the wait timeout must be greater than zero and at most {} s, not {:?}",
                range.max.as_secs(),
                self.timeout
            )));
        }
        self.poll.validate()
    }
}

/// A wait's options as a binding received them; `None` is "not given".
#[derive(Clone, Copy, Debug, Default)]
pub struct WaitArgs {
    /// The overall deadline of the wait (`wait_timeout`; not the per-request `timeout`).
    pub wait_timeout: Option<f64>,
    /// A fixed interval between reads, instead of the default backoff.
    pub poll_interval: Option<f64>,
}

impl WaitArgs {
    pub fn resolve(self, dialect: crate::args::Dialect) -> crate::Result<WaitOptions> {
        use crate::args::limits;
        let mut options = WaitOptions::default();
        if let Some(timeout) = dialect.duration("wait_timeout", self.wait_timeout, limits::WAIT_TIMEOUT)? {
            options.timeout = timeout;
        }
        if let Some(interval) = dialect.duration("poll_interval", self.poll_interval, limits::POLL_INTERVAL)? {
            options.poll = PollSchedule::Fixed(interval);
        }
        Ok(options)
    }
}

/// When to read a check that has not finished.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PollSchedule {
    /// First read after `first`, each next wait `factor` times longer, at most
    /// `max`; each wait is jittered by ±10 %.
    Backoff { first: Duration, factor: f64, max: Duration },
    /// A fixed interval, without jitter.
    Fixed(Duration),
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule::Backoff { first: Duration::from_secs(1), factor: 1.5, max: Duration::from_secs(30) }
    }
}

/// While webhooks are expected, polling is only a fallback: this much slower.
const SLOWER_WHILE_WEBHOOKS_EXPECTED: u32 = 4;

impl PollSchedule {
    /// The wait before read number `poll` (0-based).
    pub fn interval(&self, poll: u32, webhooks_expected: bool) -> Duration {
        let (base, max) = match *self {
            PollSchedule::Fixed(interval) => (interval, interval),
            PollSchedule::Backoff { first, factor, max } => {
                let grown = first.as_secs_f64() * factor.max(1.0).powi(poll.min(64) as i32);
                let grown = Duration::from_secs_f64(grown.min(max.as_secs_f64()));
                (grown.mul_f64(0.9 + 0.2 * fastrand::f64()), max)
            }
        };
        if webhooks_expected {
            base.saturating_mul(SLOWER_WHILE_WEBHOOKS_EXPECTED).min(max.saturating_mul(SLOWER_WHILE_WEBHOOKS_EXPECTED))
        } else {
            base
        }
    }

    pub(crate) fn validate(&self) -> crate::Result<()> {
        let range = crate::args::limits::POLL_INTERVAL;
        let in_range = |interval: Duration| interval >= range.min && interval <= range.max;
        let ok = match *self {
            PollSchedule::Fixed(interval) => in_range(interval),
            PollSchedule::Backoff { first, factor, max } => {
                in_range(first) && in_range(max) && factor.is_finite() && (1.0..=100.0).contains(&factor) && max >= first
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!("invalid poll schedule {self:?}")))
        }
    }
}

/// How a wait learned that its check had finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResolvedBy {
    /// PassFort's first answer already held the finished check.
    Immediately,
    /// A webhook announced it; one read fetched it.
    Webhook,
    /// A scheduled read found it finished.
    Polling,
}

impl ResolvedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolvedBy::Immediately => "immediately",
            ResolvedBy::Webhook => "webhook",
            ResolvedBy::Polling => "polling",
        }
    }
}

/// A finished check and how the wait for it went.
#[derive(Clone, Debug)]
pub struct FinishedCheck {
    pub check: Check,
    pub resolved_by: ResolvedBy,
    /// Reads of the check made while waiting.
    pub polls: u32,
    pub waited: Duration,
}

/// What a wait knows while it runs, for its timeout error.
pub(crate) struct WaitProgress {
    pub started: Instant,
    pub last_state: Option<CheckState>,
    pub polls: u32,
}

impl WaitProgress {
    pub fn timeout_error(&self, profile_id: &str, check_id: &str) -> Error {
        Error::WaitTimeout {
            profile_id: profile_id.to_owned(),
            check_id: check_id.to_owned(),
            last_state: self.last_state.clone(),
            waited: self.started.elapsed(),
        }
    }
}

/// Errors a wait rides out by reading again later: the transport already
/// retried them, and the check is still there to read.
pub(crate) fn worth_waiting_through(error: &Error) -> bool {
    match error {
        Error::Connection { .. } | Error::Timeout { .. } => true,
        Error::Api(api) => api.status == 408 || api.status == 429 || api.status >= 500,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_by_half_to_the_cap_with_jitter() {
        let schedule = PollSchedule::default();
        for (poll, expected) in [(0, 1.0), (1, 1.5), (2, 2.25), (20, 30.0)] {
            let interval = schedule.interval(poll, false).as_secs_f64();
            assert!(interval >= expected * 0.9 - 1e-9 && interval <= expected * 1.1 + 1e-9, "{poll}: {interval}");
        }
        let slow = schedule.interval(20, true).as_secs_f64();
        assert!((30.0 * 0.9 * 4.0 - 1e-9..=120.0 + 1e-9).contains(&slow), "{slow}");
        assert_eq!(PollSchedule::Fixed(Duration::from_millis(200)).interval(7, false), Duration::from_millis(200));
    }
}

//! Pacing for batches: when PassFort rate-limits one item, the whole batch
//! pauses starting checks for the wait PassFort asked for (within the
//! client's `max_retry_wait` and each item's own deadline), then the refused
//! creation is sent again. Used by `batch.rs` and by `verify_task` inside a batch.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::{CheckMode, CheckRequest, Client};
use crate::error::{ApiErrorKind, Error, Result};
use crate::waiting::{FinishedCheck, WaitOptions};

/// The wait PassFort asks for when it rate-limits: while it lasts, no item of
/// the batch starts a check.
#[derive(Debug, Default)]
pub(crate) struct RateLimitPause {
    until: Mutex<Option<Instant>>,
    /// The rate limit that set the pause: the error of an item whose
    /// deadline comes before the pause ends.
    cause: Mutex<Option<crate::error::ApiError>>,
}

/// When PassFort gives no wait with its 429.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

impl RateLimitPause {
    /// The rate limit that paused the batch, as the error of an item out of time.
    fn cause_error(&self) -> Option<Error> {
        let cause = self.cause.lock().unwrap_or_else(|p| p.into_inner()).clone();
        cause.map(|api| Error::Api(Box::new(api)))
    }

    /// Waits out a pause set by any item; the rate limit error if the pause
    /// lasts past `deadline`.
    async fn wait_turn(&self, deadline: Instant) -> Result<()> {
        loop {
            let until = *self.until.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                Some(until) if until > deadline => return Err(self.cause_error().unwrap_or(Error::Closed)),
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until.into()).await,
                _ => return Ok(()),
            }
        }
    }

    fn pause_for(&self, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else { return };
        let mut slot = self.until.lock().unwrap_or_else(|p| p.into_inner());
        // The longer of the two waits (Option::is_none_or needs Rust 1.82; the MSRV is 1.80).
        *slot = Some(slot.map_or(until, |current| current.max(until)));
    }

    /// Pauses the batch if `error` is a rate limit whose wait is within
    /// `max_wait` (the client's `max_retry_wait`); says whether it did. A
    /// longer wait is not obeyed: the item ends with the rate limit error.
    fn on_error(&self, error: &Error, max_wait: Duration) -> bool {
        match error {
            Error::Api(api) if api.kind == ApiErrorKind::RateLimited => {
                let wait = api.retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT);
                if wait > max_wait {
                    return false;
                }
                *self.cause.lock().unwrap_or_else(|p| p.into_inner()) = Some((**api).clone());
                self.pause_for(wait);
                true
            }
            _ => false,
        }
    }
}

/// A batch's shared pause, and how often one item may be sent again for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pacing<'a> {
    pub(crate) pause: &'a RateLimitPause,
    pub(crate) retries: u32,
}

/// An instant later than any deadline a caller can set.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

impl Client {
    /// [`Client::run_check_and_wait`], paced by a batch: no check starts while
    /// the batch is paused, and a creation PassFort rate-limited (after the
    /// transport's own retries) is sent again after the pause. Safe: a 429
    /// means PassFort did no work, and a wait rides out 429s on reads, so a
    /// 429 here always comes from creating the check.
    pub(crate) async fn run_check_and_wait_paced(
        &self,
        profile_id: &str,
        request: &CheckRequest,
        mode: CheckMode,
        wait: &WaitOptions,
        pacing: Option<Pacing<'_>>,
    ) -> Result<FinishedCheck> {
        let Some(pacing) = pacing else {
            return self.run_check_and_wait(profile_id, request, mode, wait).await;
        };
        // The caller's deadline for this item wins over any pause.
        let deadline = Instant::now().checked_add(wait.timeout).unwrap_or_else(far_future);
        let mut retries = 0;
        loop {
            pacing.pause.wait_turn(deadline).await?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                // A pause used up the item's time: never start a paid check that could only time out.
                if let Some(error) = pacing.pause.cause_error() {
                    return Err(error);
                }
            }
            let wait = WaitOptions { timeout: remaining.max(Duration::from_millis(1)), ..*wait };
            let result = self.run_check_and_wait(profile_id, request, mode, &wait).await;
            match result {
                Err(error) if retries < pacing.retries && pacing.pause.on_error(&error, self.config().max_retry_wait) => {
                    retries += 1;
                }
                result => return result,
            }
        }
    }
}

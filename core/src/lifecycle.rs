//! The check lifecycle: run a check and wait for it, whatever PassFort
//! chooses (sync answer, switch to async, webhook or none), and the task
//! policy of PassFort's guide.

use std::time::Instant;

use crate::client::{validate_id, CheckMode, CheckRequest, Client, TaskOutcome};
use crate::error::{Error, Result};
use crate::models::{Check, Decision, Task};
use crate::pacing::Pacing;
use crate::waiting::{worth_waiting_through, FinishedCheck, ResolvedBy, WaitOptions, WaitProgress};
use crate::webhooks::CheckSubscription;

/// A check [`Client::run_check_and_wait`] created: finished already, or to wait for.
enum Started {
    Finished(Box<FinishedCheck>),
    Running { check_id: String, progress: WaitProgress },
}

/// A check seen finished leaves the fleet's ledger; one not seen finished (a
/// wait timeout, say) stays there, to be recovered once this worker's lease expires.
async fn release_lease(lease: crate::fleet::Lease, finished: Result<FinishedCheck>) -> Result<FinishedCheck> {
    if finished.is_ok() {
        lease.finished().await;
    }
    finished
}

/// How [`Client::verify_task`] runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VerifyOptions {
    /// Failed checks after which the task is completed as failed (default 3).
    pub max_failures: u32,
    /// How each check is run (default sync).
    pub mode: CheckMode,
    /// How long to wait for each check.
    pub wait: WaitOptions,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self { max_failures: 3, mode: CheckMode::WAIT_DEFAULT, wait: WaitOptions::default() }
    }
}

/// [`VerifyOptions`] as a binding received them; `None` is "not given".
#[derive(Clone, Debug, Default)]
pub struct VerifyArgs {
    pub max_failures: Option<f64>,
    pub mode: Option<String>,
    pub wait: crate::waiting::WaitArgs,
}

impl VerifyArgs {
    pub fn resolve(self, dialect: crate::args::Dialect) -> Result<VerifyOptions> {
        let defaults = VerifyOptions::default();
        let (min, max) = crate::args::limits::MAX_FAILURES;
        Ok(VerifyOptions {
            max_failures: dialect.count("max_failures", self.max_failures, min, max)?.map_or(defaults.max_failures, |n| n as u32),
            mode: crate::client::check_mode(dialect, self.mode.as_deref(), defaults.mode)?,
            wait: self.wait.resolve(dialect)?,
        })
    }
}

/// Why [`Client::verify_task`] stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyStop {
    /// A check passed; the task was completed COMPLETED_PASS.
    Passed,
    /// `max_failures` checks failed; the task was completed COMPLETED_FAIL.
    FailedTooOften,
    /// A check ended ERROR, WARN, PARTIAL or without a decision: a person must
    /// look at it. The task was left incomplete.
    NeedsReview { decision: Option<Decision> },
}

impl VerifyStop {
    /// `"passed"`, `"failed"` or `"needs_review"`: the name every binding uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            VerifyStop::Passed => "passed",
            VerifyStop::FailedTooOften => "failed",
            VerifyStop::NeedsReview { .. } => "needs_review",
        }
    }
}

/// Everything [`Client::verify_task`] did.
#[derive(Clone, Debug)]
pub struct VerifyOutcome {
    /// Every check run, in order.
    pub checks: Vec<Check>,
    /// The completed task, or `None` when it was left for a person.
    pub task: Option<Task>,
    pub stop: VerifyStop,
}

impl VerifyOutcome {
    pub fn needs_review(&self) -> bool {
        matches!(self.stop, VerifyStop::NeedsReview { .. })
    }

    /// One line on why it stopped.
    pub fn reason(&self) -> String {
        match &self.stop {
            VerifyStop::Passed => "a check passed: task completed COMPLETED_PASS".into(),
            VerifyStop::FailedTooOften => {
                format!("{} checks failed: task completed COMPLETED_FAIL", self.checks.len())
            }
            VerifyStop::NeedsReview { decision } => {
                format!("decision {} needs a person: task left incomplete", decision.as_ref().map_or("none", |d| d.as_str()))
            }
        }
    }
}

impl Client {
    /// Resolves to the check once it is COMPLETE: woken by a webhook when one
    /// arrives through [`Client::webhooks`], reading it on `options.poll`
    /// meanwhile. Past the deadline, [`Error::WaitTimeout`] names the check.
    /// Dropping the future stops its polling and unsubscribes at once.
    pub async fn wait_for_check(&self, profile_id: &str, check_id: &str, options: &WaitOptions) -> Result<FinishedCheck> {
        validate_id("profile id", profile_id)?;
        validate_id("check id", check_id)?;
        options.validate()?;
        let mut progress = WaitProgress { started: Instant::now(), last_state: None, polls: 1 };
        let subscription = self.webhooks().subscribe(check_id);
        match Box::pin(self.get_check(profile_id, check_id)).await {
            Ok(check) if check.is_complete() => {
                return Ok(FinishedCheck { check, resolved_by: ResolvedBy::Immediately, polls: 1, waited: progress.started.elapsed() })
            }
            Ok(check) => progress.last_state = Some(check.state.clone()),
            Err(error) if worth_waiting_through(&error) => {}
            Err(error) => return Err(error),
        }
        self.wait_until_complete(profile_id, check_id, subscription, options, progress).await
    }

    /// Runs a check and resolves to it finished. A sync run that PassFort
    /// switched to async (after 120 s), or an async run, is waited for as in
    /// [`Client::wait_for_check`], with the deadline counted from this call.
    /// A check that finished with `Fail` or `Error` is an outcome, not an error.
    pub async fn run_check_and_wait(
        &self,
        profile_id: &str,
        request: &CheckRequest,
        mode: CheckMode,
        options: &WaitOptions,
    ) -> Result<FinishedCheck> {
        Box::pin(self.run_check_and_wait_boxed(profile_id, request, mode, options)).await
    }

    /// [`Self::run_check_and_wait`]'s body, boxed there: the futures of the
    /// bindings, which hold it, stay small however they nest it.
    ///
    /// Thousands of waits at once each hold their future for as long as the
    /// check runs, so each phase is boxed on its own and only the phase that
    /// runs takes room: starting the check (a request), then waiting for it
    /// (a subscription and a timer).
    async fn run_check_and_wait_boxed(
        &self,
        profile_id: &str,
        request: &CheckRequest,
        mode: CheckMode,
        options: &WaitOptions,
    ) -> Result<FinishedCheck> {
        options.validate()?;
        let started = Instant::now();
        let (check_id, progress) = match Box::pin(self.start_check_to_wait(profile_id, request, mode, started)).await? {
            Started::Finished(finished) => return Ok(*finished),
            Started::Running { check_id, progress } => (check_id, progress),
        };
        Box::pin(self.wait_for_started_check(profile_id, request, check_id, options, progress)).await
    }

    /// Creates the check; a check PassFort already finished is the answer.
    async fn start_check_to_wait(&self, profile_id: &str, request: &CheckRequest, mode: CheckMode, started: Instant) -> Result<Started> {
        let check = self.run_check(profile_id, request, mode).await?;
        if check.is_complete() {
            let finished = FinishedCheck { check, resolved_by: ResolvedBy::Immediately, polls: 0, waited: started.elapsed() };
            return Ok(Started::Finished(Box::new(finished)));
        }
        Ok(Started::Running {
            check_id: check.id.clone(),
            progress: WaitProgress { started, last_state: Some(check.state.clone()), polls: 0 },
        })
    }

    /// Waits for a check this client started, recording it in the fleet's
    /// ledger (when there is a fleet) until it is seen finished.
    async fn wait_for_started_check(
        &self,
        profile_id: &str,
        request: &CheckRequest,
        check_id: String,
        options: &WaitOptions,
        progress: WaitProgress,
    ) -> Result<FinishedCheck> {
        let subscription = self.webhooks().subscribe(&check_id);
        let lease = match self.fleet {
            Some(_) => Box::pin(self.record_started_check(profile_id, &check_id, request)).await,
            None => None,
        };
        let finished = self.wait_until_complete(profile_id, &check_id, subscription, options, progress).await;
        match lease {
            // Boxed, and `finished` moved into it rather than looked at here:
            // either would otherwise take room for a whole check in every wait.
            Some(lease) => Box::pin(release_lease(lease, finished)).await,
            None => finished,
        }
    }

    pub(crate) async fn wait_until_complete(
        &self,
        profile_id: &str,
        check_id: &str,
        mut subscription: CheckSubscription,
        options: &WaitOptions,
        mut progress: WaitProgress,
    ) -> Result<FinishedCheck> {
        // In range (validated), so this cannot overflow; saturate all the same.
        let deadline = progress.started.checked_add(options.timeout).unwrap_or(progress.started);
        let mut scheduled_reads = 0;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(progress.timeout_error(profile_id, check_id));
            }
            let pause = options.poll.interval(scheduled_reads, self.webhooks().webhooks_expected());
            scheduled_reads += 1;
            let woken_by_webhook = tokio::select! {
                biased;
                _ = subscription.completed() => true,
                _ = tokio::time::sleep_until((now + pause).min(deadline).into()) => false,
            };
            progress.polls += 1;
            // Boxed: a read takes room only while it runs, not in every waiting check.
            if let Some(over) = Box::pin(self.read_while_waiting(profile_id, check_id, woken_by_webhook, &mut progress)).await {
                return over;
            }
        }
    }

    /// One read of a check being waited for: `Some` once the wait is over
    /// (the check finished, or an error not worth waiting through).
    async fn read_while_waiting(
        &self,
        profile_id: &str,
        check_id: &str,
        woken_by_webhook: bool,
        progress: &mut WaitProgress,
    ) -> Option<Result<FinishedCheck>> {
        match self.get_check(profile_id, check_id).await {
            Ok(check) if check.is_complete() => {
                let resolved_by = if woken_by_webhook { ResolvedBy::Webhook } else { ResolvedBy::Polling };
                tracing::debug!(check_id, resolved_by = resolved_by.as_str(), polls = progress.polls, "check finished");
                Some(Ok(FinishedCheck { check, resolved_by, polls: progress.polls, waited: progress.started.elapsed() }))
            }
            Ok(check) => {
                progress.last_state = Some(check.state.clone());
                None
            }
            Err(error) if worth_waiting_through(&error) => {
                tracing::debug!(check_id, error = %error, "reading the check failed; waiting on");
                None
            }
            Err(error) => Some(Err(error)),
        }
    }

    /// PassFort's example task policy: run the check for the task and wait;
    /// PASS completes the task COMPLETED_PASS; FAIL runs it again, and after
    /// `max_failures` failures completes it COMPLETED_FAIL; ERROR, WARN or
    /// PARTIAL leaves the task incomplete for a person.
    pub async fn verify_task(
        &self,
        profile_id: &str,
        task_id: &str,
        request: &CheckRequest,
        options: &VerifyOptions,
    ) -> Result<VerifyOutcome> {
        self.verify_task_paced(profile_id, task_id, request, options, None).await
    }

    /// [`Client::verify_task`], its checks paced by a batch when it runs in one.
    pub(crate) async fn verify_task_paced(
        &self,
        profile_id: &str,
        task_id: &str,
        request: &CheckRequest,
        options: &VerifyOptions,
        pacing: Option<Pacing<'_>>,
    ) -> Result<VerifyOutcome> {
        validate_id("profile id", profile_id)?;
        validate_id("task id", task_id)?;
        let (min, max) = crate::args::limits::MAX_FAILURES;
        if !(min..=max).contains(&u64::from(options.max_failures)) {
            return Err(Error::InvalidArgument(format!("max_failures must be {min} to {max}, not {}", options.max_failures)));
        }
        options.wait.validate()?;
        let mut request = request.clone();
        if !request.task_ids.iter().any(|id| id == task_id) {
            request.task_ids.push(task_id.to_owned());
        }
        let mut checks = Vec::new();
        let mut failures = 0;
        loop {
            let finished = self.run_check_and_wait_paced(profile_id, &request, options.mode, &options.wait, pacing).await?;
            let decision = finished.check.decision.clone();
            checks.push(finished.check);
            let outcome = match decision {
                Some(Decision::Pass) => Some((TaskOutcome::Pass, VerifyStop::Passed)),
                Some(Decision::Fail) => {
                    failures += 1;
                    (failures >= options.max_failures).then_some((TaskOutcome::Fail, VerifyStop::FailedTooOften))
                }
                decision => return Ok(VerifyOutcome { checks, task: None, stop: VerifyStop::NeedsReview { decision } }),
            };
            if let Some((outcome, stop)) = outcome {
                let task = self.complete_task(profile_id, task_id, outcome).await?;
                return Ok(VerifyOutcome { checks, task: Some(task), stop });
            }
        }
    }
}

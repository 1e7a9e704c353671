//! Batch runs: many checks, or many task verifications, at a bounded
//! concurrency. Results come back in input order, one per item; a failed item
//! never stops the others. Dropping the future cancels the whole batch.

use std::future::Future;

use futures_util::stream::{self, StreamExt};

use crate::client::{CheckMode, CheckRequest, Client};
use crate::error::{Error, Result};
use crate::lifecycle::{VerifyOptions, VerifyOutcome};
use crate::pacing::{Pacing, RateLimitPause};
use crate::waiting::{FinishedCheck, WaitOptions};

/// One check of a batch: which profile, and what to run.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckJob {
    pub profile_id: String,
    pub request: CheckRequest,
}

/// One task of a batch of verifications: the check that serves it is run
/// under [`Client::verify_task`]'s policy.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskJob {
    pub profile_id: String,
    pub task_id: String,
    pub request: CheckRequest,
}

/// How a batch runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchOptions {
    /// Items in flight at once (default 8).
    pub concurrency: usize,
    /// How each check is run (default sync).
    pub mode: CheckMode,
    /// How long to wait for each check.
    pub wait: WaitOptions,
    /// How often an item is tried again when PassFort still answers 429 after
    /// the transport's own retries (default 5). Each time, the whole batch
    /// pauses starting checks for the wait PassFort asked for.
    pub rate_limit_retries: u32,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self { concurrency: 8, mode: CheckMode::WAIT_DEFAULT, wait: WaitOptions::default(), rate_limit_retries: 5 }
    }
}

/// Where a batch is, after each item finishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchProgress {
    pub total: usize,
    /// Items finished, with a result or an error.
    pub done: usize,
    /// Items that ended in an error.
    pub failed: usize,
}

impl Client {
    /// Runs every check and waits for each to finish, `options.concurrency`
    /// at a time. Gives one result per job, in input order: the finished check
    /// (whatever its decision) or the error for that job. `progress` is called
    /// after each job finishes. Only a bad `options` fails the whole call.
    pub async fn run_checks<P>(&self, jobs: Vec<CheckJob>, options: &BatchOptions, progress: P) -> Result<Vec<Result<FinishedCheck>>>
    where
        P: Fn(BatchProgress) + Send + Sync,
    {
        validate(options)?;
        validate_jobs(jobs.len())?;
        let pause = RateLimitPause::default();
        let pacing = Pacing { pause: &pause, retries: options.rate_limit_retries };
        Ok(run_batch(jobs, options.concurrency, progress, |job: CheckJob| async move {
            self.run_check_and_wait_paced(&job.profile_id, &job.request, options.mode, &options.wait, Some(pacing)).await
        })
        .await)
    }

    /// Runs [`Client::verify_task`] for every job, `options.concurrency` at a
    /// time; one result per job, in input order, as [`Client::run_checks`].
    pub async fn verify_tasks<P>(
        &self,
        jobs: Vec<TaskJob>,
        options: &BatchOptions,
        max_failures: u32,
        progress: P,
    ) -> Result<Vec<Result<VerifyOutcome>>>
    where
        P: Fn(BatchProgress) + Send + Sync,
    {
        validate(options)?;
        validate_jobs(jobs.len())?;
        let verify = VerifyOptions { max_failures, mode: options.mode, wait: options.wait };
        let pause = RateLimitPause::default();
        let pacing = Pacing { pause: &pause, retries: options.rate_limit_retries };
        let verify = &verify;
        Ok(run_batch(jobs, options.concurrency, progress, |job: TaskJob| async move {
            self.verify_task_paced(&job.profile_id, &job.task_id, &job.request, verify, Some(pacing)).await
        })
        .await)
    }
}

fn validate_jobs(count: usize) -> Result<()> {
    let max = crate::args::limits::MAX_BATCH_JOBS;
    if count > max {
        return Err(Error::InvalidArgument(format!("a batch holds at most {max} items, not {count}")));
    }
    Ok(())
}

fn validate(options: &BatchOptions) -> Result<()> {
    let (min, max) = crate::args::limits::CONCURRENCY;
    if !(min..=max).contains(&(options.concurrency as u64)) {
        return Err(Error::InvalidArgument(format!("concurrency must be {min} to {max}, not {}", options.concurrency)));
    }
    options.wait.validate()
}

/// A batch's options as a binding received them; `None` is "not given".
#[derive(Clone, Debug, Default)]
pub struct BatchArgs {
    pub concurrency: Option<f64>,
    /// `"sync"` (the default for batches), `"async"` or `"server_default"`.
    pub mode: Option<String>,
    /// The wait for each item, from its start (`wait_timeout`).
    pub wait_timeout: Option<f64>,
    /// For `verify_tasks`: failed checks before a task is failed (default 3).
    pub max_failures: Option<f64>,
}

impl BatchArgs {
    /// The batch options and `max_failures`, defaulted and checked.
    pub fn resolve(self, dialect: crate::args::Dialect) -> Result<(BatchOptions, u32)> {
        use crate::args::limits;
        let defaults = BatchOptions::default();
        let (min, max) = limits::CONCURRENCY;
        let concurrency = dialect.count("concurrency", self.concurrency, min, max)?.map_or(defaults.concurrency, |n| n as usize);
        let mode = crate::client::check_mode(dialect, self.mode.as_deref(), defaults.mode)?;
        let wait = crate::waiting::WaitArgs { wait_timeout: self.wait_timeout, poll_interval: None }.resolve(dialect)?;
        let verify = crate::lifecycle::VerifyArgs { max_failures: self.max_failures, ..Default::default() }.resolve(dialect)?;
        Ok((BatchOptions { concurrency, mode, wait, ..defaults }, verify.max_failures))
    }
}

/// Runs `run_one` over the jobs, `concurrency` at a time, and puts the
/// results back in input order.
async fn run_batch<J, T, F, Fut, P>(jobs: Vec<J>, concurrency: usize, progress: P, run_one: F) -> Vec<Result<T>>
where
    F: Fn(J) -> Fut,
    Fut: Future<Output = Result<T>>,
    P: Fn(BatchProgress),
{
    let total = jobs.len();
    let mut results: Vec<Option<Result<T>>> = std::iter::repeat_with(|| None).take(total).collect();
    let run_one = &run_one;
    let mut finished = stream::iter(jobs.into_iter().enumerate())
        .map(|(index, job)| async move { (index, run_one(job).await) })
        .buffer_unordered(concurrency);
    let mut state = BatchProgress { total, done: 0, failed: 0 };
    while let Some((index, result)) = finished.next().await {
        state.done += 1;
        state.failed += usize::from(result.is_err());
        results[index] = Some(result);
        progress(state);
    }
    results.into_iter().map(|result| result.expect("every job gives one result")).collect()
}

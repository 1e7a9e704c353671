//! The native client behind the JS `PassFort` class. Every method is a
//! promise; the JS layer adds defaults, AbortSignal and error classes.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use napi::bindgen_prelude::Buffer;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use passfort_core::{
    BatchOptions, CheckJob, TaskJob, CheckMode, CheckRequest, Client, PollSchedule, ProfileQuery, Role, TaskOutcome, VerifyOptions, WaitOptions,
    WebhookListener, WebhookVerifier,
};
use serde_json::Value;

use crate::cancel::cancellable;
use crate::errors::{error_reason, invalid, js_error};
use crate::models::{Check, Profile, Task, VerifyOutcome, WebhookEvent, WhoAmI};

type Result<T> = napi::Result<T>;

#[napi(object)]
pub struct ClientOptions {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub timeout_ms: Option<f64>,
    pub sync_timeout_ms: Option<f64>,
    pub max_retries: Option<u32>,
    pub webhook_secret: Option<String>,
    pub max_connections: Option<u32>,
    pub binding: Option<String>,
}

#[napi(object)]
pub struct CheckOptions {
    pub check_type: String,
    pub task_ids: Option<Vec<String>>,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
    /// `'sync'`, `'async'`, or undefined for PassFort's default.
    pub mode: Option<String>,
}

/// One check of a batch.
#[napi(object)]
pub struct BatchCheckJob {
    pub profile_id: String,
    pub check_type: String,
    pub task_ids: Option<Vec<String>>,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
}

/// One task of a batch of verifications.
#[napi(object)]
pub struct BatchTaskJob {
    pub profile_id: String,
    pub task_id: String,
    pub check_type: String,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
}

#[napi(object)]
pub struct BatchRunOptions {
    pub concurrency: Option<u32>,
    pub mode: Option<String>,
    pub timeout_ms: Option<f64>,
    pub max_failures: Option<u32>,
}

#[napi(object)]
pub struct BatchProgress {
    pub done: u32,
    pub total: u32,
    pub failed: u32,
}

/// A batch item: the check, or `error` as a `PASSFORT_ERROR:` reason the JS layer turns into an Error.
#[napi(object)]
pub struct CheckBatchItem {
    pub check: Option<Check>,
    pub error: Option<String>,
}

#[napi(object)]
pub struct TaskBatchItem {
    pub outcome: Option<VerifyOutcome>,
    pub error: Option<String>,
}

/// The JS `onProgress` callback, called with one `BatchProgress` argument.
type ProgressCallback = ThreadsafeFunction<BatchProgress, (), BatchProgress, napi::Status, false>;

fn batch_options(options: &BatchRunOptions, mode: Option<&str>) -> Result<BatchOptions> {
    let concurrency = options.concurrency.unwrap_or(8) as usize;
    Ok(BatchOptions { concurrency, mode: check_mode(mode)?, wait: wait_options(options.timeout_ms, None)?, ..BatchOptions::default() })
}

fn report_progress(callback: Option<&ProgressCallback>, progress: passfort_core::BatchProgress) {
    if let Some(callback) = callback {
        let progress = BatchProgress { done: progress.done as u32, total: progress.total as u32, failed: progress.failed as u32 };
        callback.call(progress, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

fn batch_item<T, U>(result: passfort_core::Result<T>, convert: impl FnOnce(T) -> U) -> (Option<U>, Option<String>) {
    match result {
        Ok(value) => (Some(convert(value)), None),
        Err(error) => (None, Some(error_reason(&error))),
    }
}

#[napi(object)]
pub struct VerifyTaskOptions {
    pub check_type: String,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
    pub max_failures: Option<u32>,
    pub timeout_ms: Option<f64>,
}

fn millis(name: &str, value: Option<f64>) -> Result<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(ms) if ms.is_finite() && ms > 0.0 => Ok(Some(Duration::from_secs_f64(ms / 1000.0))),
        Some(ms) => Err(invalid(format!("{name} must be a positive number of milliseconds, not {ms}"))),
    }
}

fn check_mode(mode: Option<&str>) -> Result<CheckMode> {
    match mode {
        None => Ok(CheckMode::ServerDefault),
        Some("sync") => Ok(CheckMode::Sync),
        Some("async") => Ok(CheckMode::Async),
        Some(other) => Err(invalid(format!("mode must be 'sync', 'async' or undefined, not {other:?}"))),
    }
}

fn check_request(check_type: &str, task_ids: Option<Vec<String>>, alias: Option<String>, id: Option<String>) -> Result<CheckRequest> {
    let request = CheckRequest::new(check_type).task_ids(task_ids.unwrap_or_default());
    match (alias, id) {
        (Some(_), Some(_)) => Err(invalid("give variantAlias or variantId, not both")),
        (Some(alias), None) => Ok(request.variant_alias(alias)),
        (None, Some(id)) => Ok(request.variant_id(id)),
        (None, None) => Ok(request),
    }
}

fn wait_options(timeout_ms: Option<f64>, poll_interval_ms: Option<f64>) -> Result<WaitOptions> {
    let mut options = WaitOptions::default();
    if let Some(timeout) = millis("timeoutMs", timeout_ms)? {
        options.timeout = timeout;
    }
    if let Some(interval) = millis("pollIntervalMs", poll_interval_ms)? {
        options.poll = PollSchedule::Fixed(interval);
    }
    Ok(options)
}

#[napi]
pub struct NativeClient {
    client: Client,
}

#[napi]
impl NativeClient {
    #[napi(constructor)]
    pub fn new(options: ClientOptions) -> Result<Self> {
        let mut builder = Client::builder().binding(options.binding.unwrap_or_else(|| "node".into()));
        if let Some(key) = options.api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = options.base_url {
            builder = builder.base_url(url);
        }
        if let Some(timeout) = millis("timeoutMs", options.timeout_ms)? {
            builder = builder.request_timeout(timeout);
        }
        if let Some(timeout) = millis("syncTimeoutMs", options.sync_timeout_ms)? {
            builder = builder.sync_timeout(timeout);
        }
        if let Some(retries) = options.max_retries {
            builder = builder.max_retries(retries);
        }
        if let Some(secret) = options.webhook_secret {
            builder = builder.webhook_secret(secret);
        }
        if let Some(limit) = options.max_connections {
            builder = builder.max_connections(limit as usize);
        }
        Ok(Self { client: builder.build().map_err(js_error)? })
    }

    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.client.config().base_url.clone()
    }

    #[napi]
    pub async fn whoami(&self) -> Result<WhoAmI> {
        self.client.whoami().await.map(WhoAmI::from).map_err(js_error)
    }

    #[napi]
    pub async fn create_profile(&self, role: String, collected_data: Value) -> Result<Profile> {
        self.client.create_profile(Role::from(role), collected_data).await.map(Profile::from).map_err(js_error)
    }

    #[napi]
    pub async fn get_profile(&self, profile_id: String) -> Result<Profile> {
        self.client.get_profile(&profile_id).await.map(Profile::from).map_err(js_error)
    }

    #[napi]
    pub fn list_profiles(&self, query: Option<String>, page_size: Option<u32>) -> ProfilePager {
        let stream = self.client.list_profiles(ProfileQuery { query, page_size: page_size.unwrap_or(100) });
        ProfilePager { stream: Arc::new(tokio::sync::Mutex::new(Box::pin(stream))) }
    }

    #[napi]
    pub async fn run_check(&self, profile_id: String, options: CheckOptions) -> Result<Check> {
        let mode = check_mode(options.mode.as_deref())?;
        let request = check_request(&options.check_type, options.task_ids, options.variant_alias, options.variant_id)?;
        self.client.run_check(&profile_id, &request, mode).await.map(Check::from).map_err(js_error)
    }

    #[napi]
    pub async fn get_check(&self, profile_id: String, check_id: String) -> Result<Check> {
        self.client.get_check(&profile_id, &check_id).await.map(Check::from).map_err(js_error)
    }

    #[napi]
    pub async fn list_checks(&self, profile_id: String) -> Result<Vec<Check>> {
        let checks = self.client.list_checks(&profile_id).await.map_err(js_error)?;
        Ok(checks.into_iter().map(Check::from).collect())
    }

    #[napi]
    pub async fn wait_for_check(
        &self,
        profile_id: String,
        check_id: String,
        timeout_ms: Option<f64>,
        poll_interval_ms: Option<f64>,
        cancel: Option<u32>,
    ) -> Result<Check> {
        let options = wait_options(timeout_ms, poll_interval_ms)?;
        cancellable(cancel, async {
            self.client.wait_for_check(&profile_id, &check_id, &options).await.map(|f| Check::from(f.check)).map_err(js_error)
        })
        .await
    }

    #[napi]
    pub async fn run_check_and_wait(&self, profile_id: String, options: CheckOptions, timeout_ms: Option<f64>, cancel: Option<u32>) -> Result<Check> {
        let mode = check_mode(options.mode.as_deref())?;
        let request = check_request(&options.check_type, options.task_ids, options.variant_alias, options.variant_id)?;
        let wait = wait_options(timeout_ms, None)?;
        cancellable(cancel, async {
            self.client.run_check_and_wait(&profile_id, &request, mode, &wait).await.map(|f| Check::from(f.check)).map_err(js_error)
        })
        .await
    }

    #[napi]
    pub async fn get_task(&self, profile_id: String, task_id: String) -> Result<Task> {
        self.client.get_task(&profile_id, &task_id).await.map(Task::from).map_err(js_error)
    }

    #[napi]
    pub async fn list_tasks(&self, profile_id: String) -> Result<Vec<Task>> {
        let tasks = self.client.list_tasks(&profile_id).await.map_err(js_error)?;
        Ok(tasks.into_iter().map(Task::from).collect())
    }

    #[napi]
    pub async fn complete_task(&self, profile_id: String, task_id: String, state: String) -> Result<Task> {
        let outcome = TaskOutcome::try_from(state.as_str()).map_err(js_error)?;
        self.client.complete_task(&profile_id, &task_id, outcome).await.map(Task::from).map_err(js_error)
    }

    #[napi]
    pub async fn verify_task(&self, profile_id: String, task_id: String, options: VerifyTaskOptions, cancel: Option<u32>) -> Result<VerifyOutcome> {
        let request = check_request(&options.check_type, None, options.variant_alias, options.variant_id)?;
        let verify = VerifyOptions {
            max_failures: options.max_failures.unwrap_or(3),
            wait: wait_options(options.timeout_ms, None)?,
            ..VerifyOptions::default()
        };
        cancellable(cancel, async {
            self.client.verify_task(&profile_id, &task_id, &request, &verify).await.map(VerifyOutcome::from).map_err(js_error)
        })
        .await
    }

    /// Runs a batch of checks; one item per job, in input order.
    #[napi]
    pub async fn run_checks(
        &self,
        jobs: Vec<BatchCheckJob>,
        options: BatchRunOptions,
        on_progress: Option<ProgressCallback>,
        cancel: Option<u32>,
    ) -> Result<Vec<CheckBatchItem>> {
        let batch = batch_options(&options, options.mode.as_deref().or(Some("sync")))?;
        let jobs = jobs
            .into_iter()
            .map(|job| {
                let request = check_request(&job.check_type, job.task_ids, job.variant_alias, job.variant_id)?;
                Ok(CheckJob { profile_id: job.profile_id, request })
            })
            .collect::<Result<Vec<_>>>()?;
        cancellable(cancel, async {
            let results = self.client.run_checks(jobs, &batch, |p| report_progress(on_progress.as_ref(), p)).await.map_err(js_error)?;
            Ok(results
                .into_iter()
                .map(|result| {
                    let (check, error) = batch_item(result, |finished| Check::from(finished.check));
                    CheckBatchItem { check, error }
                })
                .collect())
        })
        .await
    }

    /// Runs `verifyTask` for a batch of tasks; one item per job, in input order.
    #[napi]
    pub async fn verify_tasks(
        &self,
        jobs: Vec<BatchTaskJob>,
        options: BatchRunOptions,
        on_progress: Option<ProgressCallback>,
        cancel: Option<u32>,
    ) -> Result<Vec<TaskBatchItem>> {
        let batch = batch_options(&options, Some("sync"))?;
        let jobs = jobs
            .into_iter()
            .map(|job| {
                let request = check_request(&job.check_type, None, job.variant_alias, job.variant_id)?;
                Ok(TaskJob { profile_id: job.profile_id, task_id: job.task_id, request })
            })
            .collect::<Result<Vec<_>>>()?;
        let max_failures = options.max_failures.unwrap_or(3);
        cancellable(cancel, async {
            let results = self
                .client
                .verify_tasks(jobs, &batch, max_failures, |p| report_progress(on_progress.as_ref(), p))
                .await
                .map_err(js_error)?;
            Ok(results
                .into_iter()
                .map(|result| {
                    let (outcome, error) = batch_item(result, VerifyOutcome::from);
                    TaskBatchItem { outcome, error }
                })
                .collect())
        })
        .await
    }

    /// Verifies a delivery, wakes waiters, returns the new events. No I/O.
    #[napi]
    pub fn handle_webhook(&self, body: Buffer, headers: HashMap<String, String>) -> Result<Vec<WebhookEvent>> {
        let events = self.client.webhooks().handle(headers, &body).map_err(js_error)?;
        Ok(events.into_iter().map(WebhookEvent::from).collect())
    }

    #[napi]
    pub async fn serve_webhooks(&self, host: String, port: u32, path: String) -> Result<NativeListener> {
        let listener = self.client.serve_webhooks(&format!("{host}:{port}"), &path).await.map_err(js_error)?;
        Ok(NativeListener { url: listener.url().to_owned(), listener: Arc::new(Mutex::new(Some(listener))) })
    }
}

/// Verifies and parses a delivery for `secret`, dispatching nothing.
#[napi]
pub fn verify_webhook(body: Buffer, headers: HashMap<String, String>, secret: String) -> Result<Vec<WebhookEvent>> {
    let verifier = WebhookVerifier::new(secret).map_err(js_error)?;
    let events = verifier.verify(headers, &body).map_err(js_error)?;
    Ok(events.into_iter().map(WebhookEvent::from).collect())
}

#[napi]
pub struct NativeListener {
    url: String,
    listener: Arc<Mutex<Option<WebhookListener>>>,
}

#[napi]
impl NativeListener {
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    #[napi]
    pub async fn close(&self) -> Result<()> {
        let listener = self.listener.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(listener) = listener {
            listener.close().await;
        }
        Ok(())
    }
}

type ProfileStream = Pin<Box<dyn Stream<Item = passfort_core::Result<passfort_core::Profile>> + Send>>;

/// Every profile of a query, page by page.
#[napi]
pub struct ProfilePager {
    stream: Arc<tokio::sync::Mutex<ProfileStream>>,
}

#[napi]
impl ProfilePager {
    /// The next profile, or null after the last.
    #[napi]
    pub async fn next(&self) -> Result<Option<Profile>> {
        match self.stream.lock().await.next().await {
            Some(Ok(profile)) => Ok(Some(Profile::from(profile))),
            Some(Err(error)) => Err(js_error(error)),
            None => Ok(None),
        }
    }
}

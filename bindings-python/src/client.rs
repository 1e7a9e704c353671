//! The native client behind `passfort.AsyncClient` and `passfort.Client`.
//! Each method takes `blocking`: awaitable for the first, blocking for the second.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use passfort_core::{
    BatchOptions, BatchProgress, CheckJob, TaskJob, CheckMode, CheckRequest, Client, ClientConfig, PollSchedule, ProfileQuery, Role, TaskOutcome, VerifyOptions,
    WaitOptions, WebhookListener, WebhookVerifier,
};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;

use crate::convert::{json_to_py, py_to_json};
use crate::errors::to_py_err;
use crate::models::{PyCheck, PyProfile, PyTask, PyVerifyOutcome, PyWebhookEvent};
use crate::runtime::{block_on, fork_generation, run};

type Headers = Vec<(String, Vec<u8>)>;

#[pyclass(module = "passfort._native", frozen)]
pub struct NativeClient {
    config: ClientConfig,
    /// The core client of the current fork generation: a client made before
    /// fork() holds connections whose tasks do not exist in the child.
    client: Mutex<(u64, Client)>,
}

impl NativeClient {
    fn client(&self) -> PyResult<Client> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let generation = fork_generation();
        if slot.0 != generation {
            *slot = (generation, Client::from_config(self.config.clone()).map_err(to_py_err)?);
        }
        Ok(slot.1.clone())
    }
}

fn seconds(name: &str, value: Option<f64>) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(PyValueError::new_err(format!("{name} must be a positive number of seconds, not {s}"))),
    }
}

fn check_mode(mode: Option<&str>) -> PyResult<CheckMode> {
    match mode {
        None => Ok(CheckMode::ServerDefault),
        Some("sync") => Ok(CheckMode::Sync),
        Some("async") => Ok(CheckMode::Async),
        Some(other) => Err(PyValueError::new_err(format!("mode must be \"sync\", \"async\" or None, not {other:?}"))),
    }
}

fn check_request(check_type: &str, task_ids: Option<Vec<String>>, variant_alias: Option<String>, variant_id: Option<String>) -> PyResult<CheckRequest> {
    let mut request = CheckRequest::new(check_type).task_ids(task_ids.unwrap_or_default());
    request = match (variant_alias, variant_id) {
        (Some(_), Some(_)) => return Err(PyValueError::new_err("give variant_alias or variant_id, not both")),
        (Some(alias), None) => request.variant_alias(alias),
        (None, Some(id)) => request.variant_id(id),
        (None, None) => request,
    };
    Ok(request)
}

fn wait_options(timeout: Option<f64>, poll_interval: Option<f64>) -> PyResult<WaitOptions> {
    let mut options = WaitOptions::default();
    if let Some(timeout) = seconds("timeout", timeout)? {
        options.timeout = timeout;
    }
    if let Some(interval) = seconds("poll_interval", poll_interval)? {
        options.poll = PollSchedule::Fixed(interval);
    }
    Ok(options)
}

/// A batch job as Python passes it: profile id, check type, task ids, variant alias, variant id.
type CheckJobArgs = (String, String, Option<Vec<String>>, Option<String>, Option<String>);
/// profile id, task id, check type, variant alias, variant id.
type TaskJobArgs = (String, String, String, Option<String>, Option<String>);

fn batch_options(mode: Option<&str>, timeout: Option<f64>, concurrency: usize) -> PyResult<BatchOptions> {
    Ok(BatchOptions { concurrency, mode: check_mode(mode)?, wait: wait_options(timeout, None)?, ..BatchOptions::default() })
}

/// Calls the binding's progress callable; an exception in it is reported, not raised.
fn report_progress(callback: Option<&Py<PyAny>>, progress: BatchProgress) {
    if let Some(callback) = callback {
        Python::attach(|py| {
            if let Err(error) = callback.call1(py, (progress.done, progress.total, progress.failed)) {
                error.write_unraisable(py, Some(callback.bind(py)));
            }
        });
    }
}

/// A batch item's result, or its error as an exception object (not raised).
fn item_outcome<T: for<'py> IntoPyObject<'py>>(py: Python<'_>, result: passfort_core::Result<T>) -> PyResult<Py<PyAny>> {
    match result {
        Ok(value) => value.into_py_any(py),
        Err(error) => Ok(to_py_err(error).into_value(py).into_any()),
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key, base_url, timeout, sync_timeout, max_retries, webhook_secret, max_connections, binding))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: f64,
        sync_timeout: f64,
        max_retries: u32,
        webhook_secret: Option<String>,
        max_connections: usize,
        binding: String,
    ) -> PyResult<Self> {
        let mut builder = Client::builder().binding(binding).max_retries(max_retries).max_connections(max_connections);
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(timeout) = seconds("timeout", Some(timeout))? {
            builder = builder.request_timeout(timeout);
        }
        if let Some(timeout) = seconds("sync_timeout", Some(sync_timeout))? {
            builder = builder.sync_timeout(timeout);
        }
        if let Some(secret) = webhook_secret {
            builder = builder.webhook_secret(secret);
        }
        let config = builder.config().map_err(to_py_err)?;
        let client = Client::from_config(config.clone()).map_err(to_py_err)?;
        Ok(Self { config, client: Mutex::new((fork_generation(), client)) })
    }

    #[getter]
    fn base_url(&self) -> &str {
        &self.config.base_url
    }

    fn whoami(&self, py: Python<'_>, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        run(py, blocking, async move {
            let me = client.whoami().await.map_err(to_py_err)?;
            Python::attach(|py| json_to_py(py, &me.to_value()))
        })
    }

    fn create_profile(&self, py: Python<'_>, role: &str, collected_data: &Bound<'_, PyAny>, blocking: bool) -> PyResult<Py<PyAny>> {
        let (client, role, data) = (self.client()?, Role::from(role), py_to_json(py, collected_data)?);
        run(py, blocking, async move { client.create_profile(role, data).await.map(PyProfile).map_err(to_py_err) })
    }

    fn get_profile(&self, py: Python<'_>, profile_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        run(py, blocking, async move { client.get_profile(&profile_id).await.map(PyProfile).map_err(to_py_err) })
    }

    #[pyo3(signature = (query, page_size))]
    fn list_profiles(&self, query: Option<String>, page_size: u32) -> PyResult<ProfilePager> {
        let stream = self.client()?.list_profiles(ProfileQuery { query, page_size });
        Ok(ProfilePager { stream: Arc::new(tokio::sync::Mutex::new(Box::pin(stream))) })
    }

    #[pyo3(signature = (profile_id, check_type, task_ids, variant_alias, variant_id, mode, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn run_check(
        &self,
        py: Python<'_>,
        profile_id: String,
        check_type: &str,
        task_ids: Option<Vec<String>>,
        variant_alias: Option<String>,
        variant_id: Option<String>,
        mode: Option<&str>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let (client, request, mode) = (self.client()?, check_request(check_type, task_ids, variant_alias, variant_id)?, check_mode(mode)?);
        run(py, blocking, async move { client.run_check(&profile_id, &request, mode).await.map(PyCheck).map_err(to_py_err) })
    }

    fn get_check(&self, py: Python<'_>, profile_id: String, check_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        run(py, blocking, async move { client.get_check(&profile_id, &check_id).await.map(PyCheck).map_err(to_py_err) })
    }

    fn list_checks(&self, py: Python<'_>, profile_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        run(py, blocking, async move {
            let checks = client.list_checks(&profile_id).await.map_err(to_py_err)?;
            Ok(checks.into_iter().map(PyCheck).collect::<Vec<_>>())
        })
    }

    #[pyo3(signature = (profile_id, check_id, timeout, poll_interval, blocking))]
    fn wait_for_check(&self, py: Python<'_>, profile_id: String, check_id: String, timeout: Option<f64>, poll_interval: Option<f64>, blocking: bool) -> PyResult<Py<PyAny>> {
        let (client, options) = (self.client()?, wait_options(timeout, poll_interval)?);
        run(py, blocking, async move {
            client.wait_for_check(&profile_id, &check_id, &options).await.map(|f| PyCheck(f.check)).map_err(to_py_err)
        })
    }

    #[pyo3(signature = (profile_id, check_type, task_ids, variant_alias, variant_id, mode, timeout, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn run_check_and_wait(
        &self,
        py: Python<'_>,
        profile_id: String,
        check_type: &str,
        task_ids: Option<Vec<String>>,
        variant_alias: Option<String>,
        variant_id: Option<String>,
        mode: Option<&str>,
        timeout: Option<f64>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        let (request, mode, options) = (check_request(check_type, task_ids, variant_alias, variant_id)?, check_mode(mode)?, wait_options(timeout, None)?);
        run(py, blocking, async move {
            client.run_check_and_wait(&profile_id, &request, mode, &options).await.map(|f| PyCheck(f.check)).map_err(to_py_err)
        })
    }

    fn get_task(&self, py: Python<'_>, profile_id: String, task_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        run(py, blocking, async move { client.get_task(&profile_id, &task_id).await.map(PyTask).map_err(to_py_err) })
    }

    fn list_tasks(&self, py: Python<'_>, profile_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        run(py, blocking, async move {
            let tasks = client.list_tasks(&profile_id).await.map_err(to_py_err)?;
            Ok(tasks.into_iter().map(PyTask).collect::<Vec<_>>())
        })
    }

    fn complete_task(&self, py: Python<'_>, profile_id: String, task_id: String, state: &str, blocking: bool) -> PyResult<Py<PyAny>> {
        let (client, outcome) = (self.client()?, TaskOutcome::try_from(state).map_err(to_py_err)?);
        run(py, blocking, async move { client.complete_task(&profile_id, &task_id, outcome).await.map(PyTask).map_err(to_py_err) })
    }

    #[pyo3(signature = (profile_id, task_id, check_type, variant_alias, variant_id, max_failures, timeout, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn verify_task(
        &self,
        py: Python<'_>,
        profile_id: String,
        task_id: String,
        check_type: &str,
        variant_alias: Option<String>,
        variant_id: Option<String>,
        max_failures: u32,
        timeout: Option<f64>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        let request = check_request(check_type, None, variant_alias, variant_id)?;
        let options = VerifyOptions { max_failures, wait: wait_options(timeout, None)?, ..VerifyOptions::default() };
        run(py, blocking, async move {
            client.verify_task(&profile_id, &task_id, &request, &options).await.map(PyVerifyOutcome).map_err(to_py_err)
        })
    }

    /// Runs a batch of checks; one result per job, in order: a `Check`, or the
    /// exception for that job (not raised). `progress(done, total, failed)` is
    /// called from a runtime thread after each job.
    #[pyo3(signature = (jobs, mode, timeout, concurrency, progress, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn run_checks(
        &self,
        py: Python<'_>,
        jobs: Vec<CheckJobArgs>,
        mode: Option<&str>,
        timeout: Option<f64>,
        concurrency: usize,
        progress: Option<Py<PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        let jobs = jobs
            .into_iter()
            .map(|(profile_id, check_type, task_ids, alias, id)| {
                Ok(CheckJob { profile_id, request: check_request(&check_type, task_ids, alias, id)? })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let options = batch_options(mode, timeout, concurrency)?;
        run(py, blocking, async move {
            let results = client.run_checks(jobs, &options, |p| report_progress(progress.as_ref(), p)).await.map_err(to_py_err)?;
            Python::attach(|py| results.into_iter().map(|result| item_outcome(py, result.map(|f| PyCheck(f.check)))).collect::<PyResult<Vec<_>>>())
        })
    }

    /// Runs `verify_task` for a batch of tasks; one `VerifyOutcome` or
    /// exception per job, in order, as `run_checks`.
    #[pyo3(signature = (jobs, max_failures, timeout, concurrency, progress, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn verify_tasks(
        &self,
        py: Python<'_>,
        jobs: Vec<TaskJobArgs>,
        max_failures: u32,
        timeout: Option<f64>,
        concurrency: usize,
        progress: Option<Py<PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        let jobs = jobs
            .into_iter()
            .map(|(profile_id, task_id, check_type, alias, id)| {
                Ok(TaskJob { profile_id, task_id, request: check_request(&check_type, None, alias, id)? })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let options = batch_options(Some("sync"), timeout, concurrency)?;
        run(py, blocking, async move {
            let results = client
                .verify_tasks(jobs, &options, max_failures, |p| report_progress(progress.as_ref(), p))
                .await
                .map_err(to_py_err)?;
            Python::attach(|py| results.into_iter().map(|result| item_outcome(py, result.map(PyVerifyOutcome))).collect::<PyResult<Vec<_>>>())
        })
    }

    /// Verifies a delivery, wakes waiters, returns the new events. No I/O.
    fn handle_webhook(&self, body: &Bound<'_, PyBytes>, headers: Headers) -> PyResult<Vec<PyWebhookEvent>> {
        let events = self.client()?.webhooks().handle(headers, body.as_bytes()).map_err(to_py_err)?;
        Ok(events.into_iter().map(PyWebhookEvent).collect())
    }

    fn serve_webhooks(&self, py: Python<'_>, host: String, port: u16, path: String) -> PyResult<NativeListener> {
        let client = self.client()?;
        let listener = block_on(py, async move {
            client.serve_webhooks(&format!("{host}:{port}"), &path).await.map_err(to_py_err)
        })?;
        Ok(NativeListener { url: listener.url().to_owned(), listener: Mutex::new(Some(listener)) })
    }
}

/// Verifies and parses a delivery for `secret`, dispatching nothing.
#[pyfunction]
pub fn verify_webhook(body: &Bound<'_, PyBytes>, headers: Headers, secret: String) -> PyResult<Vec<PyWebhookEvent>> {
    let verifier = WebhookVerifier::new(secret).map_err(to_py_err)?;
    let events = verifier.verify(headers, body.as_bytes()).map_err(to_py_err)?;
    Ok(events.into_iter().map(PyWebhookEvent).collect())
}

#[pyclass(module = "passfort._native", frozen)]
pub struct NativeListener {
    url: String,
    listener: Mutex<Option<WebhookListener>>,
}

#[pymethods]
impl NativeListener {
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let listener = self.listener.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(listener) = listener {
            block_on(py, async move {
                listener.close().await;
                Ok(())
            })?;
        }
        Ok(())
    }
}

type ProfileStream = Pin<Box<dyn Stream<Item = passfort_core::Result<passfort_core::Profile>> + Send>>;

/// Every profile of a query, page by page, for `async for` and `for`.
#[pyclass(module = "passfort._native", frozen)]
pub struct ProfilePager {
    stream: Arc<tokio::sync::Mutex<ProfileStream>>,
}

async fn next_profile(stream: Arc<tokio::sync::Mutex<ProfileStream>>) -> PyResult<Option<PyProfile>> {
    match stream.lock().await.next().await {
        Some(Ok(profile)) => Ok(Some(PyProfile(profile))),
        Some(Err(error)) => Err(to_py_err(error)),
        None => Ok(None),
    }
}

#[pymethods]
impl ProfilePager {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.stream.clone();
        crate::runtime::awaitable(py, async move {
            next_profile(stream).await?.ok_or_else(|| PyStopAsyncIteration::new_err(()))
        })
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<PyProfile> {
        let stream = self.stream.clone();
        block_on(py, next_profile(stream))?.ok_or_else(|| PyStopIteration::new_err(()))
    }
}

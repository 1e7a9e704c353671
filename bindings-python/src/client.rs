//! The native client behind `passfort.AsyncClient` and `passfort.Client`.
//! Each method takes `blocking`: awaitable for the first, blocking for the second.

use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::{Stream, StreamExt};
use passfort_core::{
    BatchArgs, BatchProgress, CallArgs, CheckArgs, CheckJob, CheckMode, Client, ClientBuilder, ClientConfig, ClientOptions, Dialect,
    DocumentCheckArgs, ProfileQuery, RequestOptions, RequestOptionsArgs, Role, Secret, TaskJob, TaskOutcome, VerifyArgs, WaitArgs,
    WebhookListener, WebhookVerifier,
};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;

use crate::convert::{py_headers, py_number, py_query, py_str_list, py_to_json, JsonValue};
use crate::errors::{error_object, to_py_err, CoreResult, Outcomes};
use crate::models::{PyApplicationDecision, PyCheck, PyProfile, PyRecoveredCheck, PyTask, PyUpdatedData, PyVerifyOutcome};
use crate::response::ResponseOut;
use crate::runtime::{block_on, fork_generation, run, run_requests};
use crate::webhook_events::event_to_py;

type Headers = Vec<(String, Vec<u8>)>;

const PY: Dialect = Dialect::PYTHON;

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
            let closed = slot.1.is_closed();
            *slot = (generation, new_client(&self.config)?);
            if closed {
                slot.1.close();
            }
        }
        Ok(slot.1.clone())
    }
}

/// A core client made inside the current runtime: a fleet worker's
/// subscriber starts now, on the runtime of this fork generation (a client
/// re-made after fork() gets one of its own in the child).
fn new_client(config: &ClientConfig) -> PyResult<Client> {
    let _entered = crate::runtime::runtime().enter();
    Client::from_config(config.clone()).map_err(to_py_err)
}

/// A check as the Python layer passes it: check type, task ids, variant alias, variant id, fields.
fn check_args(
    check_type: String,
    task_ids: Option<&Bound<'_, PyAny>>,
    variant_alias: Option<String>,
    variant_id: Option<String>,
    fields: Option<&Bound<'_, PyAny>>,
    tag: Option<String>,
) -> PyResult<CheckArgs> {
    Ok(CheckArgs {
        check_type,
        task_ids: py_str_list("task_ids", task_ids)?,
        variant_alias,
        variant_id,
        fields: fields.map(|fields| py_to_json("fields", fields)).transpose()?,
        tag,
    })
}

/// A batch's check as `CheckRequest._native()` passes it: profile id, check
/// type, task ids, variant alias, variant id, fields, tag.
type CheckJobTuple<'py> =
    (String, String, Option<Bound<'py, PyAny>>, Option<String>, Option<String>, Option<Bound<'py, PyAny>>, Option<String>);
/// `TaskRequest._native()`: profile id, task id, check type, variant alias, variant id, fields.
type TaskJobTuple<'py> = (String, String, String, Option<String>, Option<String>, Option<Bound<'py, PyAny>>);

/// A core call, awaitable or blocking; its result (or error) is converted
/// to Python where it is delivered, never on a runtime thread.
fn call<F, T>(py: Python<'_>, blocking: bool, fut: F) -> PyResult<Py<PyAny>>
where
    F: std::future::Future<Output = CoreResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    // Boxed: each wrapper on the way to the runtime would otherwise hold its
    // own room for the whole future, which thousands of waits at once pay for.
    let fut = Box::pin(fut);
    run(py, blocking, async move { Ok::<_, PyErr>(fut.await) })
}

/// As `call`, for a core call that only makes requests (one, or a few in
/// turn): blocking, it runs on the calling thread (`block_here`).
fn call_requests<F, T>(py: Python<'_>, blocking: bool, fut: F) -> PyResult<Py<PyAny>>
where
    F: std::future::Future<Output = CoreResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    run_requests(py, blocking, async move { Ok::<_, PyErr>(fut.await) })
}

/// Per-call options, checked by the core in Python's units.
fn request_options(
    timeout: Option<&Bound<'_, PyAny>>,
    max_retries: Option<&Bound<'_, PyAny>>,
    extra_headers: Option<&Bound<'_, PyAny>>,
) -> PyResult<RequestOptions> {
    RequestOptionsArgs::from_args(PY, py_number("timeout", timeout)?, py_number("max_retries", max_retries)?, py_headers(extra_headers)?)
        .map_err(to_py_err)
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

#[pymethods]
impl NativeClient {
    /// Every argument as the caller gave it (`None`: not given); the core
    /// checks them and supplies the defaults.
    #[new]
    #[pyo3(signature = (*, api_key=None, base_url=None, timeout=None, connect_timeout=None, sync_timeout=None, max_retries=None, max_retry_wait=None, max_connections=None, webhook_secret=None, allow_insecure_http=None, include_body_snippets=None, webhook_tolerance=None, proxy=None, ca_bundle=None, redis_url=None, fleet_lease=None, rate_budget_per_hour=None, rate_budget_burst=None, binding=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        sync_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        max_retry_wait: Option<&Bound<'_, PyAny>>,
        max_connections: Option<&Bound<'_, PyAny>>,
        webhook_secret: Option<String>,
        allow_insecure_http: Option<bool>,
        include_body_snippets: Option<bool>,
        webhook_tolerance: Option<&Bound<'_, PyAny>>,
        proxy: Option<String>,
        ca_bundle: Option<std::path::PathBuf>,
        redis_url: Option<String>,
        fleet_lease: Option<&Bound<'_, PyAny>>,
        rate_budget_per_hour: Option<&Bound<'_, PyAny>>,
        rate_budget_burst: Option<&Bound<'_, PyAny>>,
        binding: Option<String>,
    ) -> PyResult<Self> {
        let options = ClientOptions {
            api_key: api_key.map(Secret::new),
            base_url,
            webhook_secret: webhook_secret.map(Secret::new),
            timeout: py_number("timeout", timeout)?,
            connect_timeout: py_number("connect_timeout", connect_timeout)?,
            sync_timeout: py_number("sync_timeout", sync_timeout)?,
            max_retries: py_number("max_retries", max_retries)?,
            max_retry_wait: py_number("max_retry_wait", max_retry_wait)?,
            max_connections: py_number("max_connections", max_connections)?,
            allow_insecure_http,
            include_body_snippets,
            webhook_tolerance: py_number("webhook_tolerance", webhook_tolerance)?,
            proxy: proxy.map(Secret::new),
            ca_bundle,
            binding,
            redis_url: redis_url.map(Secret::new),
            fleet_lease: py_number("fleet_lease", fleet_lease)?,
            rate_budget_per_hour: py_number("rate_budget_per_hour", rate_budget_per_hour)?,
            rate_budget_burst: py_number("rate_budget_burst", rate_budget_burst)?,
        };
        let config = ClientBuilder::from_options(PY, options).and_then(ClientBuilder::config).map_err(to_py_err)?;
        let client = new_client(&config)?;
        Ok(Self { config, client: Mutex::new((fork_generation(), client)) })
    }

    #[getter]
    fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// Closes the connection pool now; later calls raise `ClientClosedError`.
    fn close(&self) -> PyResult<()> {
        self.client()?.close();
        Ok(())
    }

    /// A table operation by name (`passfort_core::operations`); the core
    /// checks every argument before anything is sent.
    #[pyo3(signature = (name, path_params, query, body, if_match, timeout, max_retries, extra_headers, *, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn call(
        &self,
        py: Python<'_>,
        name: String,
        path_params: std::collections::BTreeMap<String, String>,
        query: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        if_match: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        extra_headers: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let options = request_options(timeout, max_retries, extra_headers)?;
        let body = body.map(|body| py_to_json("body", body)).transpose()?;
        let args = CallArgs { path: path_params.into_iter().collect(), query: py_query(query)?, body, if_match };
        let client = self.client()?;
        call(py, blocking, async move { CoreResult(client.call(&name, args, &options).await.map(ResponseOut)) })
    }

    /// Any request, relative to the base URL, with the client's authentication, retries and errors.
    #[pyo3(signature = (method, path, query, body, timeout, max_retries, extra_headers, *, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        method: String,
        path: String,
        query: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        extra_headers: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let options = request_options(timeout, max_retries, extra_headers)?;
        let query = py_query(query)?;
        let body = body.map(|body| py_to_json("body", body)).transpose()?;
        let client = self.client()?;
        call(py, blocking, async move { CoreResult(client.request(&method, &path, query, body, &options).await.map(ResponseOut)) })
    }

    fn whoami(&self, py: Python<'_>, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        call_requests(py, blocking, async move { CoreResult(client.whoami().await.map(|me| JsonValue(me.to_value()))) })
    }

    #[pyo3(signature = (role, collected_data, blocking))]
    fn create_profile(
        &self,
        py: Python<'_>,
        role: String,
        collected_data: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let data = collected_data.map(|data| py_to_json("collected_data", data)).transpose()?.unwrap_or_default();
        let client = self.client()?;
        call(py, blocking, async move { CoreResult(client.create_profile(Role::from(role), data).await.map(PyProfile)) })
    }

    fn get_profile(&self, py: Python<'_>, profile_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        call_requests(py, blocking, async move { CoreResult(client.get_profile(&profile_id).await.map(PyProfile)) })
    }

    #[pyo3(signature = (query=None, page_size=None))]
    fn list_profiles(&self, query: Option<String>, page_size: Option<&Bound<'_, PyAny>>) -> PyResult<ProfilePager> {
        let query = ProfileQuery::from_args(PY, query, py_number("page_size", page_size)?).map_err(to_py_err)?;
        let stream = self.client()?.list_profiles(query);
        Ok(ProfilePager { stream: Arc::new(tokio::sync::Mutex::new(Box::pin(stream))) })
    }

    #[pyo3(signature = (profile_id, check_type, task_ids=None, variant_alias=None, variant_id=None, fields=None, mode=None, tag=None, *, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn run_check(
        &self,
        py: Python<'_>,
        profile_id: String,
        check_type: String,
        task_ids: Option<&Bound<'_, PyAny>>,
        variant_alias: Option<String>,
        variant_id: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        mode: Option<&str>,
        tag: Option<String>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = check_args(check_type, task_ids, variant_alias, variant_id, fields, tag)?.into_request(PY).map_err(to_py_err)?;
        let mode = passfort_core::check_mode(PY, mode, CheckMode::RUN_DEFAULT).map_err(to_py_err)?;
        let client = self.client()?;
        call(py, blocking, async move { CoreResult(client.run_check(&profile_id, &request, mode).await.map(PyCheck::from)) })
    }

    fn get_check(&self, py: Python<'_>, profile_id: String, check_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        call_requests(py, blocking, async move { CoreResult(client.get_check(&profile_id, &check_id).await.map(PyCheck::from)) })
    }

    fn list_checks(&self, py: Python<'_>, profile_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        call_requests(py, blocking, async move {
            CoreResult(client.list_checks(&profile_id).await.map(|c| c.into_iter().map(PyCheck::from).collect::<Vec<_>>()))
        })
    }

    #[pyo3(signature = (profile_id, check_id, wait_timeout=None, poll_interval=None, *, blocking))]
    fn wait_for_check(
        &self,
        py: Python<'_>,
        profile_id: String,
        check_id: String,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        poll_interval: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let wait =
            WaitArgs { wait_timeout: py_number("wait_timeout", wait_timeout)?, poll_interval: py_number("poll_interval", poll_interval)? };
        let (client, options) = (self.client()?, wait.resolve(PY).map_err(to_py_err)?);
        call(py, blocking, async move { CoreResult(client.wait_for_check(&profile_id, &check_id, &options).await.map(PyCheck::from)) })
    }

    #[pyo3(signature = (profile_id, check_type, task_ids=None, variant_alias=None, variant_id=None, fields=None, mode=None, wait_timeout=None, poll_interval=None, tag=None, *, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn run_check_and_wait(
        &self,
        py: Python<'_>,
        profile_id: String,
        check_type: String,
        task_ids: Option<&Bound<'_, PyAny>>,
        variant_alias: Option<String>,
        variant_id: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        mode: Option<&str>,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        poll_interval: Option<&Bound<'_, PyAny>>,
        tag: Option<String>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = check_args(check_type, task_ids, variant_alias, variant_id, fields, tag)?.into_request(PY).map_err(to_py_err)?;
        let mode = passfort_core::check_mode(PY, mode, CheckMode::WAIT_DEFAULT).map_err(to_py_err)?;
        let wait =
            WaitArgs { wait_timeout: py_number("wait_timeout", wait_timeout)?, poll_interval: py_number("poll_interval", poll_interval)? };
        let options = wait.resolve(PY).map_err(to_py_err)?;
        let client = self.client()?;
        call(
            py,
            blocking,
            async move { CoreResult(client.run_check_and_wait(&profile_id, &request, mode, &options).await.map(PyCheck::from)) },
        )
    }

    /// Approves, rejects or reports the blockers of an application, once.
    fn decide_application(&self, py: Python<'_>, profile_id: String, application_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        call(
            py,
            blocking,
            async move { CoreResult(client.decide_application(&profile_id, &application_id).await.map(PyApplicationDecision)) },
        )
    }

    /// Uploads an image, adds a document naming it, runs DOCUMENT_VERIFICATION and waits.
    #[pyo3(signature = (profile_id, image, image_type, document_type, document_category=None, task_ids=None, mode=None, wait_timeout=None, poll_interval=None, *, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn run_document_check(
        &self,
        py: Python<'_>,
        profile_id: String,
        image: &Bound<'_, PyAny>,
        image_type: String,
        document_type: String,
        document_category: Option<String>,
        task_ids: Option<&Bound<'_, PyAny>>,
        mode: Option<&str>,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        poll_interval: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let image = crate::convert::py_bytes("image", image)?;
        let args = DocumentCheckArgs { image, image_type, document_type, document_category, task_ids: py_str_list("task_ids", task_ids)? };
        args.validate(PY).map_err(to_py_err)?;
        let mode = passfort_core::check_mode(PY, mode, CheckMode::WAIT_DEFAULT).map_err(to_py_err)?;
        let wait =
            WaitArgs { wait_timeout: py_number("wait_timeout", wait_timeout)?, poll_interval: py_number("poll_interval", poll_interval)? };
        let options = wait.resolve(PY).map_err(to_py_err)?;
        let client = self.client()?;
        call(py, blocking, async move {
            CoreResult(client.run_document_check_in(PY, &profile_id, &args, mode, &options).await.map(PyCheck::from))
        })
    }

    /// Changes collected data safely: read with its ETag, apply the change
    /// (a merge patch object or a JSON Patch list), write with If-Match,
    /// re-apply on 412.
    #[pyo3(signature = (profile_id, change, max_attempts=None, *, blocking))]
    fn update_collected_data(
        &self,
        py: Python<'_>,
        profile_id: String,
        change: &Bound<'_, PyAny>,
        max_attempts: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let change = passfort_core::DataChange::from_value(PY, py_to_json("change", change)?).map_err(to_py_err)?;
        let attempts = passfort_core::update_attempts(PY, py_number("max_attempts", max_attempts)?).map_err(to_py_err)?;
        let client = self.client()?;
        call(py, blocking, async move {
            CoreResult(client.update_collected_data(&profile_id, &change, Some(attempts)).await.map(PyUpdatedData))
        })
    }

    fn get_task(&self, py: Python<'_>, profile_id: String, task_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        call_requests(py, blocking, async move { CoreResult(client.get_task(&profile_id, &task_id).await.map(PyTask)) })
    }

    fn list_tasks(&self, py: Python<'_>, profile_id: String, blocking: bool) -> PyResult<Py<PyAny>> {
        let client = self.client()?;
        call_requests(py, blocking, async move {
            CoreResult(client.list_tasks(&profile_id).await.map(|t| t.into_iter().map(PyTask).collect::<Vec<_>>()))
        })
    }

    fn complete_task(&self, py: Python<'_>, profile_id: String, task_id: String, state: &str, blocking: bool) -> PyResult<Py<PyAny>> {
        let (client, outcome) = (self.client()?, TaskOutcome::try_from(state).map_err(to_py_err)?);
        call(py, blocking, async move { CoreResult(client.complete_task(&profile_id, &task_id, outcome).await.map(PyTask)) })
    }

    #[pyo3(signature = (profile_id, task_id, check_type, variant_alias=None, variant_id=None, fields=None, max_failures=None, mode=None, wait_timeout=None, *, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn verify_task(
        &self,
        py: Python<'_>,
        profile_id: String,
        task_id: String,
        check_type: String,
        variant_alias: Option<String>,
        variant_id: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        max_failures: Option<&Bound<'_, PyAny>>,
        mode: Option<String>,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = check_args(check_type, None, variant_alias, variant_id, fields, None)?.into_request(PY).map_err(to_py_err)?;
        let args = VerifyArgs {
            max_failures: py_number("max_failures", max_failures)?,
            mode,
            wait: WaitArgs { wait_timeout: py_number("wait_timeout", wait_timeout)?, poll_interval: None },
        };
        let (client, options) = (self.client()?, args.resolve(PY).map_err(to_py_err)?);
        call(
            py,
            blocking,
            async move { CoreResult(client.verify_task(&profile_id, &task_id, &request, &options).await.map(PyVerifyOutcome)) },
        )
    }

    /// Runs a batch of checks; one result per job, in order: a `Check`, or the
    /// exception for that job (not raised). `progress(done, total, failed)` is
    /// called from a runtime thread after each job.
    #[pyo3(signature = (jobs, *, mode=None, wait_timeout=None, concurrency=None, progress=None, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn run_checks(
        &self,
        py: Python<'_>,
        jobs: Vec<Bound<'_, PyAny>>,
        mode: Option<String>,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        concurrency: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let jobs = jobs
            .iter()
            .map(|job| {
                let (profile_id, check_type, task_ids, alias, id, fields, tag): CheckJobTuple<'_> = job.extract()?;
                let request =
                    check_args(check_type, task_ids.as_ref(), alias, id, fields.as_ref(), tag)?.into_request(PY).map_err(to_py_err)?;
                Ok(CheckJob { profile_id, request })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let args = BatchArgs {
            concurrency: py_number("concurrency", concurrency)?,
            mode,
            wait_timeout: py_number("wait_timeout", wait_timeout)?,
            max_failures: None,
        };
        let (options, _) = args.resolve(PY).map_err(to_py_err)?;
        let client = self.client()?;
        call(py, blocking, async move {
            let results = client.run_checks(jobs, &options, |p| report_progress(progress.as_ref(), p)).await;
            CoreResult(results.map(|results| Outcomes(results.into_iter().map(|r| r.map(PyCheck::from)).collect())))
        })
    }

    /// Runs `verify_task` for a batch of tasks; one `VerifyOutcome` or
    /// exception per job, in order, as `run_checks`.
    #[pyo3(signature = (jobs, *, max_failures=None, wait_timeout=None, concurrency=None, progress=None, blocking))]
    #[allow(clippy::too_many_arguments)]
    fn verify_tasks(
        &self,
        py: Python<'_>,
        jobs: Vec<Bound<'_, PyAny>>,
        max_failures: Option<&Bound<'_, PyAny>>,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        concurrency: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let jobs = jobs
            .iter()
            .map(|job| {
                let (profile_id, task_id, check_type, alias, id, fields): TaskJobTuple<'_> = job.extract()?;
                let request = check_args(check_type, None, alias, id, fields.as_ref(), None)?.into_request(PY).map_err(to_py_err)?;
                Ok(TaskJob { profile_id, task_id, request })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let args = BatchArgs {
            concurrency: py_number("concurrency", concurrency)?,
            mode: None,
            wait_timeout: py_number("wait_timeout", wait_timeout)?,
            max_failures: py_number("max_failures", max_failures)?,
        };
        let (options, max_failures) = args.resolve(PY).map_err(to_py_err)?;
        let client = self.client()?;
        call(py, blocking, async move {
            let results = client.verify_tasks(jobs, &options, max_failures, |p| report_progress(progress.as_ref(), p)).await;
            CoreResult(results.map(|results| Outcomes(results.into_iter().map(|r| r.map(PyVerifyOutcome)).collect())))
        })
    }

    /// Verifies a delivery and returns the new events, de-duplicated across
    /// the fleet (`WebhookHub::handle_async`); marks them seen at once
    /// (`acknowledge`), or only when `acknowledge_webhooks` names them.
    /// Blocking (the GIL released) or awaitable.
    #[pyo3(signature = (body, headers, acknowledge=true, *, blocking=true))]
    fn handle_webhook(&self, body: &Bound<'_, PyBytes>, headers: Headers, acknowledge: bool, blocking: bool) -> PyResult<Py<PyAny>> {
        let (py, hub, body) = (body.py(), self.client()?.webhooks().clone(), body.as_bytes().to_vec());
        run(py, blocking, async move {
            let events =
                if acknowledge { hub.handle_async(&body, headers).await } else { hub.handle_unacknowledged_async(&body, headers).await };
            Ok::<_, PyErr>(WebhookEvents(events))
        })
    }

    /// Marks events handled across the fleet: a redelivery of them is then a duplicate on any worker.
    #[pyo3(signature = (event_ids, *, blocking=true))]
    fn acknowledge_webhooks(&self, py: Python<'_>, event_ids: Vec<String>, blocking: bool) -> PyResult<Py<PyAny>> {
        let hub = self.client()?.webhooks().clone();
        run(py, blocking, async move {
            hub.acknowledge_async(event_ids).await;
            Ok::<_, PyErr>(())
        })
    }

    /// This worker's id in the fleet, `None` without one.
    #[getter]
    fn worker_id(&self) -> PyResult<Option<String>> {
        Ok(self.client()?.worker_id().map(str::to_owned))
    }

    #[getter]
    fn in_fleet(&self) -> PyResult<bool> {
        Ok(self.client()?.in_fleet())
    }

    /// Whether this worker hears the fleet's webhooks now (its Redis subscription is live).
    #[getter]
    fn fleet_subscribed(&self) -> PyResult<bool> {
        let client = self.client()?;
        let _entered = crate::runtime::runtime().enter();
        Ok(client.fleet_subscribed())
    }

    /// Takes over the checks of workers that stopped and waits for each; one
    /// `RecoveredCheck` per check taken over.
    #[pyo3(signature = (wait_timeout=None, poll_interval=None, *, blocking))]
    fn recover(
        &self,
        py: Python<'_>,
        wait_timeout: Option<&Bound<'_, PyAny>>,
        poll_interval: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let wait =
            WaitArgs { wait_timeout: py_number("wait_timeout", wait_timeout)?, poll_interval: py_number("poll_interval", poll_interval)? };
        let (client, options) = (self.client()?, wait.resolve(PY).map_err(to_py_err)?);
        call(py, blocking, async move { CoreResult(client.recover(&options).await.map(Recovered)) })
    }

    #[pyo3(signature = (host=None, port=None, path=None))]
    fn serve_webhooks(
        &self,
        py: Python<'_>,
        host: Option<String>,
        port: Option<&Bound<'_, PyAny>>,
        path: Option<String>,
    ) -> PyResult<NativeListener> {
        let args = passfort_core::ListenArgs { host, port: py_number("port", port)?, path };
        let client = self.client()?;
        let listener = block_on(py, async move { Ok(client.serve_webhooks_from_args(PY, args).await) })?.map_err(to_py_err)?;
        Ok(NativeListener { url: listener.url().to_owned(), listener: Mutex::new(Some(listener)) })
    }
}

/// A hub's answer, converted where delivered: the new events, or the error.
struct WebhookEvents(passfort_core::Result<Vec<passfort_core::WebhookEvent>>);

impl<'py> IntoPyObject<'py> for WebhookEvents {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let events = self.0.map_err(|error| PyErr::from_value(error_object(py, error).into_bound(py)))?;
        events.into_iter().map(|event| event_to_py(py, event)).collect::<PyResult<Vec<_>>>()?.into_bound_py_any(py)
    }
}

/// The checks `recover` took over, each with its finished check or its error (not raised).
struct Recovered(Vec<passfort_core::RecoveredCheck>);

impl<'py> IntoPyObject<'py> for Recovered {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let items = self
            .0
            .into_iter()
            .map(|recovered| {
                let (check, error) = match recovered.outcome {
                    Ok(finished) => (Some(Py::new(py, PyCheck::from(finished))?), None),
                    Err(error) => (None, Some(error_object(py, error))),
                };
                Ok(PyRecoveredCheck { entry: recovered.entry, check, error })
            })
            .collect::<PyResult<Vec<_>>>()?;
        items.into_bound_py_any(py)
    }
}

/// Verifies and parses a delivery for `secret`, dispatching nothing.
#[pyfunction]
pub fn verify_webhook(body: &Bound<'_, PyBytes>, headers: Headers, secret: String) -> PyResult<Vec<Py<PyAny>>> {
    let verifier = WebhookVerifier::new(secret).map_err(to_py_err)?;
    let events = verifier.verify(body.as_bytes(), headers).map_err(to_py_err)?;
    events.into_iter().map(|event| event_to_py(body.py(), event)).collect()
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

/// The next profile, the end (StopAsyncIteration) or the error, converted where delivered.
struct NextProfile(passfort_core::Result<Option<PyProfile>>);

impl<'py> IntoPyObject<'py> for NextProfile {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.0 {
            Ok(Some(profile)) => profile.into_bound_py_any(py),
            Ok(None) => Err(PyStopAsyncIteration::new_err(())),
            Err(error) => CoreResult::<()>(Err(error)).into_pyobject(py),
        }
    }
}

type ProfileStream = Pin<Box<dyn Stream<Item = passfort_core::Result<passfort_core::Profile>> + Send>>;

/// Every profile of a query, page by page, for `async for` and `for`.
#[pyclass(module = "passfort._native", frozen)]
pub struct ProfilePager {
    stream: Arc<tokio::sync::Mutex<ProfileStream>>,
}

async fn next_profile(stream: Arc<tokio::sync::Mutex<ProfileStream>>) -> passfort_core::Result<Option<PyProfile>> {
    stream.lock().await.next().await.transpose().map(|profile| profile.map(PyProfile))
}

#[pymethods]
impl ProfilePager {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.stream.clone();
        crate::runtime::awaitable(py, async move { Ok::<_, PyErr>(NextProfile(next_profile(stream).await)) })
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<PyProfile> {
        let stream = self.stream.clone();
        block_on(py, async move { Ok(next_profile(stream).await) })?.map_err(to_py_err)?.ok_or_else(|| PyStopIteration::new_err(()))
    }
}

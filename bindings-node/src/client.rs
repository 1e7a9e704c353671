//! The native client behind the JS `PassFort` class. Every method is a
//! promise; the JS layer adds defaults, AbortSignal and error classes.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::{Stream, StreamExt};
use napi::bindgen_prelude::{Buffer, Function, JsValue, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use passfort_core::{
    ApiResponse, BatchArgs, CallArgs, CheckArgs, CheckJob, CheckMode, Client, ClientBuilder, ClientOptions as CoreClientOptions, Dialect,
    DocumentCheckArgs, ProfileQuery, QueryValue, RequestOptions, RequestOptionsArgs, Role, Secret, TaskJob, TaskOutcome, VerifyArgs,
    WaitArgs, WebhookListener, WebhookVerifier,
};
use serde_json::Value;

use crate::bridge::{promise, promise_shaped, promise_with, Callback, Shape};
use crate::errors::{error_reason, js_error};
use crate::models::{
    check_text, finished_check_text, webhook_event, ApplicationDecision, Check, Profile, RecoveredCheck, Task, UpdatedCollectedData,
    VerifyOutcome, WhoAmI,
};

type Result<T> = napi::Result<T>;

const NODE: Dialect = Dialect::NODE;

/// A document check's input as the JS layer passes it: `image` is absent
/// when the caller's value was not bytes (`imageKind` names what it was).
#[napi(object)]
pub struct DocumentCheckOptions {
    pub image: Option<Buffer>,
    pub image_kind: Option<String>,
    pub image_type: Option<String>,
    pub document_type: Option<String>,
    pub document_category: Option<String>,
    pub task_ids: Option<Vec<String>>,
    pub mode: Option<String>,
}

/// Every option as the caller gave it (undefined: not given); the core checks
/// ranges and supplies defaults. Numbers arrive as JS numbers, unwrapped.
#[napi(object)]
pub struct ClientOptions {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub timeout_ms: Option<f64>,
    pub connect_timeout_ms: Option<f64>,
    pub sync_timeout_ms: Option<f64>,
    pub max_retries: Option<f64>,
    pub max_retry_wait_ms: Option<f64>,
    pub webhook_secret: Option<String>,
    pub max_connections: Option<f64>,
    pub allow_insecure_http: Option<bool>,
    pub include_body_snippets: Option<bool>,
    pub webhook_tolerance_ms: Option<f64>,
    /// An explicit proxy URL (may carry user:password@); undefined: HTTPS_PROXY/NO_PROXY.
    pub proxy: Option<String>,
    /// A PEM file of extra root certificates.
    pub ca_bundle: Option<String>,
    pub binding: Option<String>,
    /// The fleet's Redis (may carry a password); undefined: PASSFORT_REDIS_URL, else no fleet.
    pub redis_url: Option<String>,
    pub fleet_lease_ms: Option<f64>,
    pub rate_budget_per_hour: Option<f64>,
    pub rate_budget_burst: Option<f64>,
}

#[napi(object)]
pub struct CheckOptions {
    pub check_type: String,
    pub task_ids: Option<Vec<String>>,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
    /// Type-specific fields as JSON text (the JS layer stringifies them).
    pub fields_json: Option<String>,
    /// `'sync'`, `'async'`, `'server_default'`, or undefined for the call's default.
    pub mode: Option<String>,
    /// The caller's reference kept in the fleet's ledger; never sent to PassFort.
    pub tag: Option<String>,
}

/// One check of a batch.
#[napi(object)]
pub struct BatchCheckJob {
    pub profile_id: String,
    pub check_type: String,
    pub task_ids: Option<Vec<String>>,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
    pub fields_json: Option<String>,
    pub tag: Option<String>,
}

/// One task of a batch of verifications.
#[napi(object)]
pub struct BatchTaskJob {
    pub profile_id: String,
    pub task_id: String,
    pub check_type: String,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
    pub fields_json: Option<String>,
    pub tag: Option<String>,
}

#[napi(object)]
pub struct BatchRunOptions {
    pub concurrency: Option<f64>,
    pub mode: Option<String>,
    pub timeout_ms: Option<f64>,
    pub max_failures: Option<f64>,
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

/// Keeps the JS `onProgress` callback, called with one `BatchProgress` argument, for calls from the runtime.
fn progress_callback(env: &Env, function: Option<Function<'_, BatchProgress, ()>>) -> Result<Option<Callback<BatchProgress>>> {
    function.map(|function| Callback::new(env, function.raw())).transpose()
}

fn report_progress(callback: Option<&Callback<BatchProgress>>, progress: passfort_core::BatchProgress) {
    if let Some(callback) = callback {
        callback.call(BatchProgress { done: progress.done as u32, total: progress.total as u32, failed: progress.failed as u32 });
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
    pub fields_json: Option<String>,
    pub max_failures: Option<f64>,
    pub mode: Option<String>,
    pub timeout_ms: Option<f64>,
    pub tag: Option<String>,
}

/// JSON text the JS layer made with `JSON.stringify`; serde's own nesting
/// limit stops a 10,000-deep value before it is built.
fn parse_json(what: &str, text: Option<String>) -> Result<Option<Value>> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text)
        .map_err(|_| js_error(passfort_core::Error::InvalidArgument(format!("{what} is not JSON, or is nested too deeply"))))?;
    passfort_core::args::check_json(what, &value).map_err(js_error)?;
    Ok(Some(value))
}

fn check_args(
    check_type: String,
    task_ids: Option<Vec<String>>,
    variant_alias: Option<String>,
    variant_id: Option<String>,
    fields_json: Option<String>,
    tag: Option<String>,
) -> Result<passfort_core::CheckRequest> {
    let fields = parse_json("fields", fields_json)?;
    CheckArgs { check_type, task_ids, variant_alias, variant_id, fields, tag }.into_request(NODE).map_err(js_error)
}

fn mode(mode: Option<&str>, default: CheckMode) -> Result<CheckMode> {
    passfort_core::check_mode(NODE, mode, default).map_err(js_error)
}

/// Per-call options as the JS layer passes them (headers as name/value pairs).
#[napi(object)]
pub struct CallOptions {
    pub timeout_ms: Option<f64>,
    pub max_retries: Option<f64>,
    pub headers: Option<Vec<Vec<String>>>,
}

/// A table operation's arguments: path values by placeholder, query pairs, the body as JSON text.
#[napi(object)]
pub struct OperationArgs {
    pub path: Option<HashMap<String, String>>,
    pub query: Option<Vec<Vec<serde_json::Value>>>,
    pub body_json: Option<String>,
    pub if_match: Option<String>,
}

/// A 2xx answer with its metadata; the JS layer parses `bodyJson` into `body`.
#[napi(object)]
pub struct NativeResponse {
    pub status: u32,
    pub headers: HashMap<String, String>,
    pub request_id: Option<String>,
    pub etag: Option<String>,
    pub rate_limit_remaining: Option<f64>,
    pub rate_limit_reset_secs: Option<f64>,
    pub rate_limit_reset: Option<f64>,
    pub retry_after_ms: Option<f64>,
    pub body_json: String,
    pub raw: Buffer,
    pub adopted: bool,
}

impl From<ApiResponse> for NativeResponse {
    fn from(response: ApiResponse) -> Self {
        let mut headers = HashMap::<String, String>::new();
        for (name, value) in response.meta.headers {
            headers.entry(name).and_modify(|earlier| *earlier = format!("{earlier}, {value}")).or_insert(value);
        }
        Self {
            status: u32::from(response.status),
            headers,
            request_id: response.meta.request_id,
            etag: response.meta.etag,
            rate_limit_remaining: response.meta.rate_limit_remaining.map(|n| n as f64),
            rate_limit_reset_secs: response.meta.rate_limit_reset_secs,
            rate_limit_reset: response.meta.rate_limit_reset.map(|n| n as f64),
            retry_after_ms: response.meta.retry_after.map(|wait| wait.as_secs_f64() * 1000.0),
            body_json: response.body.to_string(),
            raw: response.raw.to_vec().into(),
            adopted: response.adopted,
        }
    }
}

/// Name/value pairs from the JS layer; anything but a pair is refused.
fn pairs(what: &str, given: Option<Vec<Vec<String>>>) -> Result<Vec<(String, String)>> {
    given
        .unwrap_or_default()
        .into_iter()
        .map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Ok((name, value)),
            Err(_) => Err(js_error(passfort_core::Error::InvalidArgument(format!("each of {what} is a [name, value] pair")))),
        })
        .collect()
}

/// Query `[name, value]` pairs from the JS layer, each value as the core takes it.
fn query(given: Option<Vec<Vec<serde_json::Value>>>) -> Result<Vec<(String, QueryValue)>> {
    fn value(given: serde_json::Value) -> QueryValue {
        use serde_json::Value;
        match given {
            Value::Null => QueryValue::Null,
            Value::Bool(flag) => QueryValue::Bool(flag),
            Value::Number(number) => {
                number.as_i64().map_or_else(|| QueryValue::Number(number.as_f64().unwrap_or(f64::NAN)), QueryValue::Int)
            }
            Value::String(text) => QueryValue::Text(text),
            Value::Array(items) => QueryValue::List(items.into_iter().map(value).collect()),
            Value::Object(marker) => QueryValue::Unsupported(marker.get("$type").and_then(Value::as_str).unwrap_or("object").to_owned()),
        }
    }
    given
        .unwrap_or_default()
        .into_iter()
        .map(|pair| match <[serde_json::Value; 2]>::try_from(pair) {
            Ok([serde_json::Value::String(name), given]) => Ok((name, value(given))),
            _ => Err(js_error(passfort_core::Error::InvalidArgument("each of query is a [name, value] pair".into()))),
        })
        .collect()
}

fn request_options(options: Option<CallOptions>) -> Result<RequestOptions> {
    let options = options.unwrap_or(CallOptions { timeout_ms: None, max_retries: None, headers: None });
    RequestOptionsArgs::from_args(NODE, options.timeout_ms, options.max_retries, pairs("headers", options.headers)?).map_err(js_error)
}

#[napi]
pub struct NativeClient {
    client: Arc<Client>,
}

#[napi]
impl NativeClient {
    #[napi(constructor)]
    pub fn new(options: ClientOptions) -> Result<Self> {
        let options = CoreClientOptions {
            api_key: options.api_key.map(Secret::new),
            base_url: options.base_url,
            webhook_secret: options.webhook_secret.map(Secret::new),
            timeout: options.timeout_ms,
            connect_timeout: options.connect_timeout_ms,
            sync_timeout: options.sync_timeout_ms,
            max_retries: options.max_retries,
            max_retry_wait: options.max_retry_wait_ms,
            max_connections: options.max_connections,
            allow_insecure_http: options.allow_insecure_http,
            include_body_snippets: options.include_body_snippets,
            webhook_tolerance: options.webhook_tolerance_ms,
            proxy: options.proxy.map(Secret::new),
            ca_bundle: options.ca_bundle.map(Into::into),
            binding: Some(options.binding.unwrap_or_else(|| "node".into())),
            redis_url: options.redis_url.map(Secret::new),
            fleet_lease: options.fleet_lease_ms,
            rate_budget_per_hour: options.rate_budget_per_hour,
            rate_budget_burst: options.rate_budget_burst,
        };
        let client = ClientBuilder::from_options(NODE, options).and_then(ClientBuilder::build).map_err(js_error)?;
        Ok(Self { client: Arc::new(client) })
    }

    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.client.config().base_url.clone()
    }

    /// This worker's id in the fleet, or null without a fleet.
    #[napi(getter)]
    pub fn worker_id(&self) -> Option<String> {
        self.client.worker_id().map(str::to_owned)
    }

    /// Whether this client is a worker of a fleet (a Redis URL was given).
    #[napi(getter)]
    pub fn in_fleet(&self) -> bool {
        self.client.in_fleet()
    }

    /// Whether this worker hears the fleet's webhooks now (its Redis subscription is live).
    #[napi(getter)]
    pub fn fleet_subscribed(&self) -> bool {
        self.client.fleet_subscribed()
    }

    /// Takes over the checks of workers that stopped, waits for each, and gives each back once.
    #[napi]
    pub fn recover<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<f64>,
        poll_interval_ms: Option<f64>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, Vec<RecoveredCheck>>> {
        let options = WaitArgs { wait_timeout: timeout_ms, poll_interval: poll_interval_ms }.resolve(NODE).map_err(js_error)?;
        let client = self.client.clone();
        promise_with(env, cancel, async move {
            let recovered = client.recover(&options).await.map_err(js_error)?;
            Ok(recovered.into_iter().map(RecoveredCheck::from).collect())
        })
    }

    /// Closes the connection pool now; later calls reject with `ClientClosedError`.
    #[napi]
    pub fn close(&self) {
        self.client.close();
    }

    /// A table operation by name; the core checks every argument before anything is sent.
    #[napi]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        name: String,
        args: OperationArgs,
        options: Option<CallOptions>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, NativeResponse>> {
        let options = request_options(options)?;
        let args = CallArgs {
            path: args.path.unwrap_or_default().into_iter().collect(),
            query: query(args.query)?,
            body: parse_json("body", args.body_json)?,
            if_match: args.if_match,
        };
        let client = self.client.clone();
        promise_with(env, cancel, async move { client.call(&name, args, &options).await.map(NativeResponse::from).map_err(js_error) })
    }

    /// Any request, relative to the base URL, with the client's authentication, retries and errors.
    #[napi]
    #[allow(clippy::too_many_arguments)] // the env napi passes, then the JS arguments
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        query: Option<Vec<Vec<serde_json::Value>>>,
        body_json: Option<String>,
        options: Option<CallOptions>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, NativeResponse>> {
        let options = request_options(options)?;
        let query = self::query(query)?;
        let body = parse_json("body", body_json)?;
        let client = self.client.clone();
        promise_with(env, cancel, async move {
            client.request(&method, &path, query, body, &options).await.map(NativeResponse::from).map_err(js_error)
        })
    }

    #[napi]
    pub fn whoami<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, WhoAmI>> {
        {
            let client = self.client.clone();
            promise(env, async move { client.whoami().await.map(WhoAmI::from).map_err(js_error) })
        }
    }

    #[napi]
    pub fn create_profile<'env>(&self, env: &'env Env, role: String, collected_data_json: String) -> Result<PromiseRaw<'env, Profile>> {
        let data = parse_json("collectedData", Some(collected_data_json))?.unwrap_or(Value::Null);
        {
            let client = self.client.clone();
            promise(env, async move { client.create_profile(Role::from(role), data).await.map(Profile::from).map_err(js_error) })
        }
    }

    #[napi]
    pub fn get_profile<'env>(&self, env: &'env Env, profile_id: String) -> Result<PromiseRaw<'env, Profile>> {
        {
            let client = self.client.clone();
            promise(env, async move { client.get_profile(&profile_id).await.map(Profile::from).map_err(js_error) })
        }
    }

    #[napi]
    pub fn list_profiles(&self, query: Option<String>, page_size: Option<f64>) -> Result<ProfilePager> {
        let query = ProfileQuery::from_args(NODE, query, page_size).map_err(js_error)?;
        let stream = self.client.list_profiles(query);
        Ok(ProfilePager { stream: Arc::new(tokio::sync::Mutex::new(Box::pin(stream))) })
    }

    #[napi]
    pub fn run_check<'env>(&self, env: &'env Env, profile_id: String, options: CheckOptions) -> Result<PromiseRaw<'env, String>> {
        let mode = mode(options.mode.as_deref(), CheckMode::RUN_DEFAULT)?;
        let request =
            check_args(options.check_type, options.task_ids, options.variant_alias, options.variant_id, options.fields_json, options.tag)?;
        {
            let client = self.client.clone();
            promise_shaped(env, Shape::Check, None, async move {
                client.run_check(&profile_id, &request, mode).await.map(|check| check_text(&check, None)).map_err(js_error)
            })
        }
    }

    #[napi]
    pub fn get_check<'env>(&self, env: &'env Env, profile_id: String, check_id: String) -> Result<PromiseRaw<'env, String>> {
        {
            let client = self.client.clone();
            promise_shaped(env, Shape::Check, None, async move {
                client.get_check(&profile_id, &check_id).await.map(|check| check_text(&check, None)).map_err(js_error)
            })
        }
    }

    #[napi]
    pub fn list_checks<'env>(&self, env: &'env Env, profile_id: String) -> Result<PromiseRaw<'env, Vec<Check>>> {
        let client = self.client.clone();
        promise(env, async move {
            let checks = client.list_checks(&profile_id).await.map_err(js_error)?;
            Ok(checks.into_iter().map(Check::from).collect())
        })
    }

    #[napi]
    pub fn wait_for_check<'env>(
        &self,
        env: &'env Env,
        profile_id: String,
        check_id: String,
        timeout_ms: Option<f64>,
        poll_interval_ms: Option<f64>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, String>> {
        let options = WaitArgs { wait_timeout: timeout_ms, poll_interval: poll_interval_ms }.resolve(NODE).map_err(js_error)?;
        let client = self.client.clone();
        promise_shaped(env, Shape::Check, cancel, async move {
            client.wait_for_check(&profile_id, &check_id, &options).await.map(|check| finished_check_text(&check)).map_err(js_error)
        })
    }

    #[napi]
    pub fn run_check_and_wait<'env>(
        &self,
        env: &'env Env,
        profile_id: String,
        options: CheckOptions,
        timeout_ms: Option<f64>,
        poll_interval_ms: Option<f64>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, String>> {
        let mode = mode(options.mode.as_deref(), CheckMode::WAIT_DEFAULT)?;
        let request =
            check_args(options.check_type, options.task_ids, options.variant_alias, options.variant_id, options.fields_json, options.tag)?;
        let wait = WaitArgs { wait_timeout: timeout_ms, poll_interval: poll_interval_ms }.resolve(NODE).map_err(js_error)?;
        let client = self.client.clone();
        promise_shaped(env, Shape::Check, cancel, async move {
            client.run_check_and_wait(&profile_id, &request, mode, &wait).await.map(|check| finished_check_text(&check)).map_err(js_error)
        })
    }

    /// Approves, rejects or reports the blockers of an application, once.
    #[napi]
    pub fn decide_application<'env>(
        &self,
        env: &'env Env,
        profile_id: String,
        application_id: String,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, ApplicationDecision>> {
        let client = self.client.clone();
        promise_with(env, cancel, async move {
            client.decide_application(&profile_id, &application_id).await.map(ApplicationDecision::from).map_err(js_error)
        })
    }

    /// Changes collected data safely: read with its ETag, apply the change
    /// (JSON text of a merge patch object or a JSON Patch array), write with
    /// If-Match, re-apply on 412.
    #[napi]
    pub fn update_collected_data<'env>(
        &self,
        env: &'env Env,
        profile_id: String,
        change_json: String,
        max_attempts: Option<f64>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, UpdatedCollectedData>> {
        let change = parse_json("change", Some(change_json))?.unwrap_or(Value::Null);
        let change = passfort_core::DataChange::from_value(NODE, change).map_err(js_error)?;
        let attempts = passfort_core::update_attempts(NODE, max_attempts).map_err(js_error)?;
        let client = self.client.clone();
        promise_with(env, cancel, async move {
            client.update_collected_data(&profile_id, &change, Some(attempts)).await.map(UpdatedCollectedData::from).map_err(js_error)
        })
    }

    /// Uploads an image, adds a document naming it, runs DOCUMENT_VERIFICATION and waits.
    #[napi]
    pub fn run_document_check<'env>(
        &self,
        env: &'env Env,
        profile_id: String,
        options: DocumentCheckOptions,
        timeout_ms: Option<f64>,
        poll_interval_ms: Option<f64>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, String>> {
        let image = match options.image {
            Some(image) => image.to_vec(),
            None => {
                return Err(js_error(passfort_core::Error::InvalidArgument(format!(
                    "image must be a Buffer or Uint8Array, not {}",
                    options.image_kind.as_deref().unwrap_or("undefined")
                ))))
            }
        };
        let args = DocumentCheckArgs {
            image,
            image_type: options.image_type.unwrap_or_default(),
            document_type: options.document_type.unwrap_or_default(),
            document_category: options.document_category,
            task_ids: options.task_ids,
        };
        args.validate(NODE).map_err(js_error)?;
        let mode = mode(options.mode.as_deref(), CheckMode::WAIT_DEFAULT)?;
        let wait = WaitArgs { wait_timeout: timeout_ms, poll_interval: poll_interval_ms }.resolve(NODE).map_err(js_error)?;
        let client = self.client.clone();
        promise_shaped(env, Shape::Check, cancel, async move {
            client
                .run_document_check_in(NODE, &profile_id, &args, mode, &wait)
                .await
                .map(|check| finished_check_text(&check))
                .map_err(js_error)
        })
    }

    #[napi]
    pub fn get_task<'env>(&self, env: &'env Env, profile_id: String, task_id: String) -> Result<PromiseRaw<'env, Task>> {
        {
            let client = self.client.clone();
            promise(env, async move { client.get_task(&profile_id, &task_id).await.map(Task::from).map_err(js_error) })
        }
    }

    #[napi]
    pub fn list_tasks<'env>(&self, env: &'env Env, profile_id: String) -> Result<PromiseRaw<'env, Vec<Task>>> {
        let client = self.client.clone();
        promise(env, async move {
            let tasks = client.list_tasks(&profile_id).await.map_err(js_error)?;
            Ok(tasks.into_iter().map(Task::from).collect())
        })
    }

    #[napi]
    pub fn complete_task<'env>(
        &self,
        env: &'env Env,
        profile_id: String,
        task_id: String,
        state: String,
    ) -> Result<PromiseRaw<'env, Task>> {
        let outcome = TaskOutcome::try_from(state.as_str()).map_err(js_error)?;
        {
            let client = self.client.clone();
            promise(env, async move { client.complete_task(&profile_id, &task_id, outcome).await.map(Task::from).map_err(js_error) })
        }
    }

    #[napi]
    pub fn verify_task<'env>(
        &self,
        env: &'env Env,
        profile_id: String,
        task_id: String,
        options: VerifyTaskOptions,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, VerifyOutcome>> {
        let request = check_args(options.check_type, None, options.variant_alias, options.variant_id, options.fields_json, options.tag)?;
        let args = VerifyArgs {
            max_failures: options.max_failures,
            mode: options.mode,
            wait: WaitArgs { wait_timeout: options.timeout_ms, poll_interval: None },
        };
        let verify = args.resolve(NODE).map_err(js_error)?;
        let client = self.client.clone();
        promise_with(env, cancel, async move {
            client.verify_task(&profile_id, &task_id, &request, &verify).await.map(VerifyOutcome::from).map_err(js_error)
        })
    }

    /// Runs a batch of checks; one item per job, in input order.
    #[napi]
    pub fn run_checks<'env>(
        &self,
        env: &'env Env,
        jobs: Vec<BatchCheckJob>,
        options: BatchRunOptions,
        on_progress: Option<Function<'_, BatchProgress, ()>>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, Vec<CheckBatchItem>>> {
        let args = BatchArgs { concurrency: options.concurrency, mode: options.mode, wait_timeout: options.timeout_ms, max_failures: None };
        let (batch, _) = args.resolve(NODE).map_err(js_error)?;
        let jobs = jobs
            .into_iter()
            .map(|job| {
                let request = check_args(job.check_type, job.task_ids, job.variant_alias, job.variant_id, job.fields_json, job.tag)?;
                Ok(CheckJob { profile_id: job.profile_id, request })
            })
            .collect::<Result<Vec<_>>>()?;
        let on_progress = progress_callback(env, on_progress)?;
        let client = self.client.clone();
        promise_with(env, cancel, async move {
            let results = client.run_checks(jobs, &batch, |p| report_progress(on_progress.as_ref(), p)).await.map_err(js_error)?;
            Ok(results
                .into_iter()
                .map(|result| {
                    let (check, error) = batch_item(result, Check::from);
                    CheckBatchItem { check, error }
                })
                .collect())
        })
    }

    /// Runs `verifyTask` for a batch of tasks; one item per job, in input order.
    #[napi]
    pub fn verify_tasks<'env>(
        &self,
        env: &'env Env,
        jobs: Vec<BatchTaskJob>,
        options: BatchRunOptions,
        on_progress: Option<Function<'_, BatchProgress, ()>>,
        cancel: Option<u32>,
    ) -> Result<PromiseRaw<'env, Vec<TaskBatchItem>>> {
        let args = BatchArgs {
            concurrency: options.concurrency,
            mode: None,
            wait_timeout: options.timeout_ms,
            max_failures: options.max_failures,
        };
        let (batch, max_failures) = args.resolve(NODE).map_err(js_error)?;
        let jobs = jobs
            .into_iter()
            .map(|job| {
                let request = check_args(job.check_type, None, job.variant_alias, job.variant_id, job.fields_json, job.tag)?;
                Ok(TaskJob { profile_id: job.profile_id, task_id: job.task_id, request })
            })
            .collect::<Result<Vec<_>>>()?;
        let on_progress = progress_callback(env, on_progress)?;
        let client = self.client.clone();
        promise_with(env, cancel, async move {
            let results =
                client.verify_tasks(jobs, &batch, max_failures, |p| report_progress(on_progress.as_ref(), p)).await.map_err(js_error)?;
            Ok(results
                .into_iter()
                .map(|result| {
                    let (outcome, error) = batch_item(result, VerifyOutcome::from);
                    TaskBatchItem { outcome, error }
                })
                .collect())
        })
    }

    /// Verifies a delivery, wakes waiters, returns the new events. No I/O.
    #[napi]
    pub fn handle_webhook(&self, body: Buffer, headers: HashMap<String, String>, acknowledge: Option<bool>) -> Result<Vec<Value>> {
        let hub = self.client.webhooks();
        let events = if acknowledge.unwrap_or(true) { hub.handle(&body, headers) } else { hub.handle_unacknowledged(&body, headers) };
        Ok(events.map_err(js_error)?.into_iter().map(webhook_event).collect())
    }

    /// Marks events handled: a redelivery of them is then a duplicate.
    #[napi]
    pub fn acknowledge_webhooks(&self, event_ids: Vec<String>) {
        self.client.webhooks().acknowledge(event_ids);
    }

    /// As `handle_webhook`, de-duplicated across the fleet (each event id claimed in Redis).
    #[napi]
    pub fn handle_webhook_async<'env>(
        &self,
        env: &'env Env,
        body: Buffer,
        headers: HashMap<String, String>,
        acknowledge: Option<bool>,
    ) -> Result<PromiseRaw<'env, Vec<Value>>> {
        let hub = self.client.webhooks().clone();
        let body = body.to_vec();
        promise(env, async move {
            let events = if acknowledge.unwrap_or(true) {
                hub.handle_async(&body, headers).await
            } else {
                hub.handle_unacknowledged_async(&body, headers).await
            };
            Ok(events.map_err(js_error)?.into_iter().map(webhook_event).collect())
        })
    }

    /// As `acknowledge_webhooks`, across the fleet.
    #[napi]
    pub fn acknowledge_webhooks_async<'env>(&self, env: &'env Env, event_ids: Vec<String>) -> Result<PromiseRaw<'env, ()>> {
        let hub = self.client.webhooks().clone();
        promise(env, async move {
            hub.acknowledge_async(event_ids).await;
            Ok(())
        })
    }

    #[napi]
    pub fn serve_webhooks<'env>(
        &self,
        env: &'env Env,
        host: Option<String>,
        port: Option<f64>,
        path: Option<String>,
    ) -> Result<PromiseRaw<'env, NativeListener>> {
        let args = passfort_core::ListenArgs { host, port, path };
        let client = self.client.clone();
        promise(env, async move {
            let listener = client.serve_webhooks_from_args(NODE, args).await.map_err(js_error)?;
            Ok(NativeListener { url: listener.url().to_owned(), listener: Arc::new(Mutex::new(Some(listener))) })
        })
    }
}

/// Verifies and parses a delivery for `secret`, dispatching nothing.
#[napi]
pub fn verify_webhook(body: Buffer, headers: HashMap<String, String>, secret: String) -> Result<Vec<Value>> {
    let verifier = WebhookVerifier::new(secret).map_err(js_error)?;
    let events = verifier.verify(&body, headers).map_err(js_error)?;
    Ok(events.into_iter().map(webhook_event).collect())
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
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let listener = self.listener.lock().unwrap_or_else(|p| p.into_inner()).take();
        promise(env, async move {
            if let Some(listener) = listener {
                listener.close().await;
            }
            Ok(())
        })
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
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<Profile>>> {
        let stream = self.stream.clone();
        promise(env, async move {
            match stream.lock().await.next().await {
                Some(Ok(profile)) => Ok(Some(Profile::from(profile))),
                Some(Err(error)) => Err(js_error(error)),
                None => Ok(None),
            }
        })
    }
}

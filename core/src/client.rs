//! The PassFort client: one method per API call.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use futures_util::Stream;
use http::Method;
use serde_json::{json, Value};

use crate::args::Dialect;
use crate::bounded::BoundedSet;
use crate::config::{ClientBuilder, ClientConfig};
use crate::error::{Error, Result};
use crate::http::{ApiRequest, Transport};
use crate::models::{Check, CheckType, Profile, ProfilePage, Role, Task, TaskState, WhoAmI};
use crate::retry::RetryClass;
use crate::webhooks::{WebhookHub, WebhookVerifier};

/// How PassFort should run a check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CheckMode {
    /// `mode=sync`: answer with the finished check, unless the provider takes
    /// longer than 120 s, when PassFort switches to async by itself.
    #[default]
    Sync,
    /// `mode=async`: answer at once with a PENDING or RUNNING check.
    Async,
    /// No `mode` sent: PassFort runs IDENTITY_CHECK sync and every other type async.
    ServerDefault,
}

impl std::str::FromStr for CheckMode {
    type Err = Error;
    /// `"sync"`, `"async"` or `"server_default"`.
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "sync" => Ok(CheckMode::Sync),
            "async" => Ok(CheckMode::Async),
            "server_default" => Ok(CheckMode::ServerDefault),
            other => Err(Error::InvalidArgument(format!(
                "mode must be \"sync\", \"async\" or \"server_default\", not {}",
                crate::args::shown_text(other)
            ))),
        }
    }
}

impl CheckMode {
    /// `run_check`'s mode when none is given: PassFort's own default.
    pub const RUN_DEFAULT: CheckMode = CheckMode::ServerDefault;
    /// The mode of `run_check_and_wait`, `verify_task` and batches when none is given.
    pub const WAIT_DEFAULT: CheckMode = CheckMode::Sync;

    pub fn as_str(self) -> &'static str {
        match self {
            CheckMode::Sync => "sync",
            CheckMode::Async => "async",
            CheckMode::ServerDefault => "server_default",
        }
    }

    fn query_value(self) -> Option<&'static str> {
        match self {
            CheckMode::Sync => Some("sync"),
            CheckMode::Async => Some("async"),
            CheckMode::ServerDefault => None,
        }
    }
}

/// Which variant of a check to run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VariantSelector {
    Alias(String),
    Id(String),
}

/// What to run: the body of `POST /profiles/{id}/checks`.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRequest {
    pub check_type: CheckType,
    pub task_ids: Vec<String>,
    pub variant: Option<VariantSelector>,
    /// Type-specific fields, e.g. `document_id` for DOCUMENT_VERIFICATION.
    pub fields: Vec<(String, Value)>,
    /// The caller's own reference for the check (an order number, say): not
    /// sent to PassFort; kept in the fleet's ledger so that a worker that
    /// recovers the check knows what it was for. At most 256 bytes.
    pub tag: Option<String>,
}

impl CheckRequest {
    pub fn new(check_type: impl Into<CheckType>) -> Self {
        Self { check_type: check_type.into(), task_ids: Vec::new(), variant: None, fields: Vec::new(), tag: None }
    }

    pub fn task_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.task_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    pub fn variant_alias(mut self, alias: impl Into<String>) -> Self {
        self.variant = Some(VariantSelector::Alias(alias.into()));
        self
    }

    pub fn variant_id(mut self, id: impl Into<String>) -> Self {
        self.variant = Some(VariantSelector::Id(id.into()));
        self
    }

    /// The caller's reference kept with the check in the fleet's ledger (see [`Self::tag`]).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// Adds a type-specific field, e.g. `document_id` for DOCUMENT_VERIFICATION.
    pub fn field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.fields.push((name.into(), value));
        self
    }

    /// Checks the request before anything is sent.
    pub fn validate(&self) -> Result<()> {
        if let Some((name, _)) = self.fields.iter().find(|(name, _)| matches!(name.as_str(), "check_type" | "task_ids" | "variant")) {
            return Err(Error::InvalidArgument(format!("{name} is set by its own argument, not as a field")));
        }
        validate_enum_value("check_type", self.check_type.as_str())?;
        if let Some(tag) = &self.tag {
            if tag.len() > crate::fleet::MAX_TAG_BYTES || tag.chars().any(char::is_control) {
                return Err(Error::InvalidArgument(format!(
                    "a check's tag must be at most {} bytes without control characters (it is {} bytes)",
                    crate::fleet::MAX_TAG_BYTES,
                    tag.len()
                )));
            }
        }
        if self.task_ids.len() > crate::args::limits::MAX_TASK_IDS {
            return Err(Error::InvalidArgument(format!(
                "a check serves at most {} tasks, not {}",
                crate::args::limits::MAX_TASK_IDS,
                self.task_ids.len()
            )));
        }
        for task_id in &self.task_ids {
            validate_id("task id", task_id)?;
        }
        for (name, value) in &self.fields {
            if name.is_empty() || name.len() > crate::args::limits::MAX_ENUM_BYTES {
                return Err(Error::InvalidArgument(format!("the field name {} is empty or too long", crate::args::shown_text(name))));
            }
            crate::args::check_json(name, value)?;
        }
        match &self.variant {
            Some(VariantSelector::Alias(value)) | Some(VariantSelector::Id(value)) if value.trim().is_empty() => {
                Err(Error::InvalidArgument("a variant alias or id must not be empty".into()))
            }
            _ => Ok(()),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut body = json!({ "check_type": self.check_type.as_str() });
        for (name, value) in &self.fields {
            body[name] = value.clone();
        }
        if !self.task_ids.is_empty() {
            body["task_ids"] = json!(self.task_ids);
        }
        match &self.variant {
            Some(VariantSelector::Alias(alias)) => body["variant"] = json!({ "alias": alias }),
            Some(VariantSelector::Id(id)) => body["variant"] = json!({ "id": id }),
            None => {}
        }
        body
    }
}

// What a binding passes for a check and its mode, checked here.
/// The check mode by its wire name; `None` (not given) is the call's default.
pub fn check_mode(dialect: Dialect, mode: Option<&str>, default: CheckMode) -> Result<CheckMode> {
    match mode {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_: Error| {
            Error::InvalidArgument(format!(
                "{} must be \"sync\", \"async\" or \"server_default\", not {}",
                dialect.name("mode", false),
                crate::args::shown_text(text)
            ))
        }),
    }
}

/// What a binding passes to describe a check to run.
#[derive(Clone, Debug, Default)]
pub struct CheckArgs {
    pub check_type: String,
    pub task_ids: Option<Vec<String>>,
    pub variant_alias: Option<String>,
    pub variant_id: Option<String>,
    /// Type-specific fields, e.g. `document_id`; a JSON object.
    pub fields: Option<serde_json::Value>,
    /// The caller's reference kept in the fleet's ledger ([`CheckRequest::tag`]).
    pub tag: Option<String>,
}

impl CheckArgs {
    pub fn into_request(self, dialect: Dialect) -> Result<CheckRequest> {
        let mut request = CheckRequest::new(self.check_type.as_str()).task_ids(self.task_ids.unwrap_or_default());
        request.tag = self.tag;
        request = match (self.variant_alias, self.variant_id) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(format!(
                    "give {} or {}, not both",
                    dialect.name("variant_alias", false),
                    dialect.name("variant_id", false)
                )))
            }
            (Some(alias), None) => request.variant_alias(alias),
            (None, Some(id)) => request.variant_id(id),
            (None, None) => request,
        };
        match self.fields {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(fields)) => {
                for (name, value) in fields {
                    request = request.field(name, value);
                }
            }
            Some(_) => return Err(Error::InvalidArgument(format!("{} must be an object", dialect.name("fields", false)))),
        }
        request.validate()?;
        Ok(request)
    }
}

/// How to complete a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskOutcome {
    Pass,
    Fail,
}

impl TaskOutcome {
    pub fn state(self) -> TaskState {
        match self {
            TaskOutcome::Pass => TaskState::CompletedPass,
            TaskOutcome::Fail => TaskState::CompletedFail,
        }
    }
}

impl TryFrom<&str> for TaskOutcome {
    type Error = Error;
    fn try_from(state: &str) -> Result<Self> {
        match state {
            "COMPLETED_PASS" => Ok(TaskOutcome::Pass),
            "COMPLETED_FAIL" => Ok(TaskOutcome::Fail),
            other => Err(Error::InvalidArgument(format!(
                "a task is completed with COMPLETED_PASS or COMPLETED_FAIL, not {}",
                crate::args::shown_text(other)
            ))),
        }
    }
}

/// Filters for [`Client::list_profiles`].
#[derive(Clone, Debug)]
pub struct ProfileQuery {
    /// PassFort's free-text search (`q`).
    pub query: Option<String>,
    /// Profiles fetched per request, 1 to 200.
    pub page_size: u32,
}

impl Default for ProfileQuery {
    fn default() -> Self {
        Self { query: None, page_size: 100 }
    }
}

impl ProfileQuery {
    /// A query as a binding received it; `None` is "not given".
    pub fn from_args(dialect: crate::args::Dialect, query: Option<String>, page_size: Option<f64>) -> Result<Self> {
        let (min, max) = crate::args::limits::PAGE_SIZE;
        let page_size = dialect.count("page_size", page_size, min, max)?.map_or(Self::default().page_size, |n| n as u32);
        let query = Self { query, page_size };
        query.validate()?;
        Ok(query)
    }

    /// Checked before the first page is asked for.
    pub fn validate(&self) -> Result<()> {
        let (min, max) = crate::args::limits::PAGE_SIZE;
        if !(min..=max).contains(&u64::from(self.page_size)) {
            return Err(Error::InvalidArgument(format!("page_size must be {min} to {max}, not {}", self.page_size)));
        }
        if let Some(text) = &self.query {
            // The search goes into the URL: bounded so that it cannot make an
            // oversized request (refused unsent, not retried as a lost one).
            if text.len() > crate::args::limits::MAX_QUERY_BYTES || text.chars().any(char::is_control) {
                return Err(Error::InvalidArgument(format!(
                    "the search query must be at most {} bytes without control characters (it is {} bytes)",
                    crate::args::limits::MAX_QUERY_BYTES,
                    text.len()
                )));
            }
        }
        Ok(())
    }
}

/// A PassFort API client. Cheap to clone: clones share one connection pool
/// and one webhook hub.
#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
    hub: Arc<WebhookHub>,
    /// Checks this client created or adopted: a lost answer is never
    /// reconciled onto a check another call of this client owns.
    claimed_checks: Arc<Mutex<BoundedSet>>,
    /// Application decisions under way: a second decider of the same
    /// application on this client (or its clones) waits for the first and
    /// then reads its decision, so that only one status write is sent.
    pub(crate) deciding: crate::flows::Deciding,
    /// The fleet this client is a worker of, when Redis is on (`fleet.rs`).
    pub(crate) fleet: Option<Arc<crate::fleet::Fleet>>,
}

/// Check ids remembered as claimed.
const REMEMBERED_CLAIMS: usize = 100_000;

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.transport.config).finish()
    }
}

impl Client {
    /// Starts building a client; unset values come from the environment.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `PASSFORT_API_KEY` and `PASSFORT_BASE_URL`.
    pub fn from_env() -> Result<Self> {
        Self::builder().build()
    }

    pub fn from_config(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let verifier = match &config.webhook_secret {
            Some(secret) => Some(WebhookVerifier::new(secret.expose())?.with_tolerance(config.webhook_tolerance)),
            None => None,
        };
        let hub = WebhookHub::new(verifier);
        let fleet = crate::fleet::Fleet::join(&config, &hub)?;
        let pacer = crate::fleet::Pacer::for_config(&config, fleet.as_ref());
        let transport = Transport::new(config)?;
        if let Some(pacer) = pacer {
            let _ = transport.pacer.set(pacer);
        }
        Ok(Self {
            transport: Arc::new(transport),
            hub,
            claimed_checks: Arc::new(Mutex::new(BoundedSet::new(REMEMBERED_CLAIMS))),
            deciding: Arc::default(),
            fleet,
        })
    }

    /// The hub that receives this client's webhooks and wakes its waiters.
    pub fn webhooks(&self) -> &Arc<WebhookHub> {
        &self.hub
    }

    pub fn config(&self) -> &ClientConfig {
        &self.transport.config
    }

    /// Closes the connection pool now: later calls on this client or its
    /// clones fail with [`Error::Closed`]. Listeners are closed by their own
    /// handles. Idempotent.
    pub fn close(&self) {
        self.transport.close();
    }

    pub fn is_closed(&self) -> bool {
        self.transport.is_closed()
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Marks a check as this client's; false if it already was.
    pub(crate) fn claim_check(&self, check_id: &str) -> bool {
        self.claimed_checks.lock().unwrap_or_else(|p| p.into_inner()).insert(check_id)
    }

    fn api_request(&self, method: Method, template: &'static str, path: String, retry: RetryClass) -> ApiRequest {
        ApiRequest::new(method, template, path, retry, &self.transport.config)
    }

    fn get(&self, template: &'static str, path: String) -> ApiRequest {
        self.api_request(Method::GET, template, path, RetryClass::Idempotent)
    }

    /// `GET /whoami`: the cheapest way to check a key.
    pub async fn whoami(&self) -> Result<WhoAmI> {
        self.transport.send_json(&self.get("/whoami", "/whoami".into())).await
    }

    /// `POST /profiles`. Not retried once it may have reached PassFort.
    pub async fn create_profile(&self, role: impl Into<Role>, collected_data: Value) -> Result<Profile> {
        let role = role.into();
        validate_enum_value("role", role.as_str())?;
        if !(collected_data.is_object() || collected_data.is_null()) {
            return Err(Error::InvalidArgument("collected_data must be a JSON object".into()));
        }
        crate::args::check_json("collected_data", &collected_data)?;
        let mut body = json!({ "role": role.as_str() });
        if !collected_data.is_null() {
            body["collected_data"] = collected_data;
        }
        let request = self.api_request(Method::POST, "/profiles", "/profiles".into(), RetryClass::CreateOnce).json_body(&body);
        self.transport.send_json(&request).await
    }

    /// `GET /profiles/{profile_id}`.
    pub async fn get_profile(&self, profile_id: &str) -> Result<Profile> {
        validate_id("profile id", profile_id)?;
        let request = self.get("/profiles/{profile_id}", format!("/profiles/{profile_id}"));
        self.transport.send_json(&request).await
    }

    /// One page of `GET /profiles`.
    pub async fn list_profiles_page(&self, query: &ProfileQuery, offset: u64) -> Result<ProfilePage> {
        query.validate()?;
        let mut request = self.get("/profiles", "/profiles".into());
        if let Some(text) = &query.query {
            request.query.push(("q".into(), text.clone()));
        }
        request.query.push(("limit".into(), query.page_size.to_string()));
        request.query.push(("offset".into(), offset.to_string()));
        self.transport.send_json(&request).await
    }

    /// Every profile matching `query`, fetching pages as the stream is read.
    pub fn list_profiles(&self, query: ProfileQuery) -> impl Stream<Item = Result<Profile>> + Send + 'static {
        struct Pages {
            client: Client,
            query: ProfileQuery,
            offset: u64,
            buffered: VecDeque<Profile>,
            finished: bool,
        }
        let pages = Pages { client: self.clone(), query, offset: 0, buffered: VecDeque::new(), finished: false };
        futures_util::stream::unfold(pages, |mut pages| async move {
            loop {
                if let Some(profile) = pages.buffered.pop_front() {
                    return Some((Ok(profile), pages));
                }
                if pages.finished {
                    return None;
                }
                match pages.client.list_profiles_page(&pages.query, pages.offset).await {
                    Ok(page) => {
                        let received = page.results.len() as u64;
                        pages.offset += received;
                        pages.finished = received == 0 || pages.offset >= page.count;
                        pages.buffered.extend(page.results);
                    }
                    Err(error) => {
                        pages.finished = true;
                        return Some((Err(error), pages));
                    }
                }
            }
        })
    }

    /// `POST /profiles/{profile_id}/checks[?mode=...]`: starts a check.
    ///
    /// A sync run is given `sync_timeout`, longer than PassFort's 120 s switch
    /// to async. The answer may still be PENDING or RUNNING. If the answer is
    /// lost after the request may have reached PassFort, the check it created
    /// is found and adopted; the request is sent again only when, after
    /// `reconcile_grace`, no such check exists (see `reconcile.rs`).
    pub async fn run_check(&self, profile_id: &str, check: &CheckRequest, mode: CheckMode) -> Result<Check> {
        validate_id("profile id", profile_id)?;
        check.validate()?;
        let mut request = self
            .api_request(Method::POST, "/profiles/{profile_id}/checks", format!("/profiles/{profile_id}/checks"), RetryClass::CreateOnce)
            .json_body(&check.to_json());
        if let Some(mode) = mode.query_value() {
            request.query.push(("mode".into(), mode.to_owned()));
        }
        if mode != CheckMode::Async {
            request.timeout = self.transport.config.sync_timeout;
        }
        self.create_check(profile_id, check, &request).await
    }

    /// `GET /profiles/{profile_id}/checks/{check_id}`.
    pub async fn get_check(&self, profile_id: &str, check_id: &str) -> Result<Check> {
        validate_id("profile id", profile_id)?;
        validate_id("check id", check_id)?;
        let request = self.get("/profiles/{profile_id}/checks/{check_id}", format!("/profiles/{profile_id}/checks/{check_id}"));
        self.transport.send_json(&request).await
    }

    /// `GET /profiles/{profile_id}/checks`: every check of the profile.
    pub async fn list_checks(&self, profile_id: &str) -> Result<Vec<Check>> {
        validate_id("profile id", profile_id)?;
        let request = self.get("/profiles/{profile_id}/checks", format!("/profiles/{profile_id}/checks"));
        self.transport.send_json(&request).await
    }

    /// `GET /profiles/{profile_id}/tasks/{task_id}`.
    pub async fn get_task(&self, profile_id: &str, task_id: &str) -> Result<Task> {
        validate_id("profile id", profile_id)?;
        validate_id("task id", task_id)?;
        let request = self.get("/profiles/{profile_id}/tasks/{task_id}", format!("/profiles/{profile_id}/tasks/{task_id}"));
        self.transport.send_json(&request).await
    }

    /// `GET /profiles/{profile_id}/tasks`.
    pub async fn list_tasks(&self, profile_id: &str) -> Result<Vec<Task>> {
        validate_id("profile id", profile_id)?;
        let request = self.get("/profiles/{profile_id}/tasks", format!("/profiles/{profile_id}/tasks"));
        self.transport.send_json(&request).await
    }

    /// `POST /profiles/{profile_id}/tasks/{task_id}` with `COMPLETED_PASS` or
    /// `COMPLETED_FAIL`. Retried like a read: setting the same state twice is harmless.
    pub async fn complete_task(&self, profile_id: &str, task_id: &str, outcome: TaskOutcome) -> Result<Task> {
        validate_id("profile id", profile_id)?;
        validate_id("task id", task_id)?;
        let request = self
            .api_request(
                Method::POST,
                "/profiles/{profile_id}/tasks/{task_id}",
                format!("/profiles/{profile_id}/tasks/{task_id}"),
                RetryClass::Idempotent,
            )
            .json_body(&json!({ "state": outcome.state().as_str() }));
        self.transport.send_json(&request).await
    }
}

/// Ids go into URL paths: only plain id characters are allowed, so that no
/// value can change which endpoint a call reaches.
pub(crate) fn validate_id(what: &str, id: &str) -> Result<()> {
    let plain = !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!("{what} {} is not a PassFort id", crate::args::shown_text(id))))
    }
}

/// A check type or role: PassFort's names are upper-case words joined by `_`
/// (open enums: a name this version does not know is still sent).
fn validate_enum_value(what: &str, value: &str) -> Result<()> {
    let plain = !value.is_empty()
        && value.len() <= crate::args::limits::MAX_ENUM_BYTES
        && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if plain {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "{what} {} is not a PassFort name (upper-case letters, digits and _)",
            crate::args::shown_text(value)
        )))
    }
}

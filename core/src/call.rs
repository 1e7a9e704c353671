//! The generic paths: any table operation by name ([`Client::call`]) and any
//! path at all ([`Client::request`]), with per-call options and the answer's
//! metadata. Both keep the typed calls' authentication, retries, errors and
//! secret handling, because they go through the same [`Transport`].

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use serde_json::Value;

use crate::args::{limits, shown_text, Dialect};
use crate::client::{validate_id, CheckMode, CheckRequest, Client, VariantSelector};
use crate::error::{Error, Result};
use crate::http::{Answer, ApiRequest};
use crate::operations::{self, BodyRule, Operation, TEXT_PLACEHOLDERS};
use crate::retry::RetryClass;

/// Extra headers on one call, at most.
pub const MAX_EXTRA_HEADERS: usize = 32;
/// One extra header's value, in bytes.
pub const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;
/// A raw request's path, in bytes.
pub const MAX_RAW_PATH_BYTES: usize = 2048;
/// Query parameters on one call.
pub const MAX_QUERY_PARAMS: usize = 64;

/// A check run by a raw request is not reconciled (`call("run_check")` is).
const RAW_RUN_CHECK_LOOK_FOR: &str =
    "list the profile's checks for one of this type instructed at about the time sent (a raw request does not reconcile: \
     run checks with call(\"run_check\"))";

/// Headers the SDK owns: a caller's value would replace the API key, change
/// where the request goes, or break the framing of its body.
const RESERVED_HEADERS: &[&str] = &[
    "apikey",
    "authorization",
    "proxy-authorization",
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
];

/// Per-call options. The default changes nothing and costs nothing.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// Replaces the client's request timeout (and a sync run's `sync_timeout`).
    pub timeout: Option<Duration>,
    /// Replaces the client's `max_retries` for this call.
    pub max_retries: Option<u32>,
    /// Sent as given; values are never logged, as they may be secrets.
    pub extra_headers: Vec<(String, String)>,
}

/// Header names only: a value may be a credential.
impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("extra_headers", &self.extra_headers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish()
    }
}

impl RequestOptions {
    /// The headers, checked: names are tokens and not [reserved](RESERVED_HEADERS),
    /// values are valid header values. Refused before anything is sent.
    fn headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>> {
        if self.extra_headers.len() > MAX_EXTRA_HEADERS {
            return Err(Error::InvalidArgument(format!("at most {MAX_EXTRA_HEADERS} extra headers, not {}", self.extra_headers.len())));
        }
        self.extra_headers
            .iter()
            .map(|(name, value)| {
                let header = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| Error::InvalidArgument(format!("{} is not a header name", shown_text(name))))?;
                if RESERVED_HEADERS.contains(&header.as_str()) {
                    return Err(Error::InvalidArgument(format!("the {} header is set by the client and cannot be given", header.as_str())));
                }
                // The value is never quoted back: it may be a credential.
                let mut value =
                    (value.len() <= MAX_HEADER_VALUE_BYTES).then(|| HeaderValue::from_str(value).ok()).flatten().ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "the value of the {} header is not a valid header value of at most {MAX_HEADER_VALUE_BYTES} bytes",
                            header.as_str()
                        ))
                    })?;
                value.set_sensitive(true);
                Ok((header, value))
            })
            .collect()
    }

    fn validate(&self) -> Result<Vec<(HeaderName, HeaderValue)>> {
        if let Some(timeout) = self.timeout {
            let range = limits::REQUEST_TIMEOUT;
            if timeout.is_zero() || timeout > range.max {
                return Err(Error::InvalidArgument(format!("timeout must be more than 0 and at most {:?}, not {timeout:?}", range.max)));
            }
        }
        if let Some(retries) = self.max_retries {
            let (min, max) = limits::MAX_RETRIES;
            if !(min..=max).contains(&u64::from(retries)) {
                return Err(Error::InvalidArgument(format!("max_retries must be {min} to {max}, not {retries}")));
            }
        }
        self.headers()
    }

    /// Applies the options to a request; a no-op (no allocation) for the default.
    fn apply(&self, request: &mut ApiRequest) -> Result<()> {
        request.extra_headers = self.validate()?;
        if let Some(timeout) = self.timeout {
            request.timeout = timeout;
        }
        request.max_retries = self.max_retries;
        Ok(())
    }
}

/// Per-call options as a binding receives them (numbers as `f64` in the
/// dialect's unit), checked here once.
pub struct RequestOptionsArgs;

impl RequestOptionsArgs {
    pub fn from_args(
        dialect: Dialect,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        headers: Vec<(String, String)>,
    ) -> Result<RequestOptions> {
        let (min, max) = limits::MAX_RETRIES;
        let options = RequestOptions {
            timeout: dialect.duration("timeout", timeout, limits::REQUEST_TIMEOUT)?,
            max_retries: dialect.count("max_retries", max_retries, min, max)?.map(|n| n as u32),
            extra_headers: headers,
        };
        options.validate()?;
        Ok(options)
    }
}

/// One query parameter's value as a binding received it; [`flatten_query`]
/// turns values into the text sent: absent ones are left out, a list is
/// repeated, an integer is sent as its digits, anything else is refused.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryValue {
    /// `None`, `null` or `undefined`: the parameter is left out.
    Null,
    Text(String),
    Int(i64),
    /// A JavaScript number: sent as digits when it is a whole number.
    Number(f64),
    /// Repeated once per item (`?tag=a&tag=b`); items may not be lists.
    List(Vec<QueryValue>),
    /// Refused: a flag has no agreed text form in a query.
    Bool(bool),
    /// Refused: any other host value, by the name of its type.
    Unsupported(String),
}

impl From<&str> for QueryValue {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for QueryValue {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for QueryValue {
    fn from(number: i64) -> Self {
        Self::Int(number)
    }
}

impl<T: Into<QueryValue>> From<Vec<T>> for QueryValue {
    fn from(items: Vec<T>) -> Self {
        Self::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<QueryValue>> From<Option<T>> for QueryValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// Query parameters as sent: `(name, text)` pairs in order, by the rules of
/// [`QueryValue`]; a refused value is an [`Error::InvalidArgument`] naming the parameter.
pub fn flatten_query(query: Vec<(String, QueryValue)>) -> Result<Vec<(String, String)>> {
    fn text(name: &str, value: QueryValue, nested: bool, out: &mut Vec<String>) -> Result<()> {
        let refuse = |got: &str| {
            Err(Error::InvalidArgument(format!("query parameter {}: expected a string or an integer, got {got}", shown_text(name))))
        };
        match value {
            QueryValue::Null => {}
            QueryValue::Text(text) => out.push(text),
            QueryValue::Int(number) => out.push(number.to_string()),
            QueryValue::Number(number) if number.is_finite() && number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 => {
                out.push((number as i64).to_string())
            }
            QueryValue::Number(number) => return refuse(&format!("the number {number}")),
            QueryValue::List(_) if nested => return refuse("a list inside a list"),
            QueryValue::List(items) => {
                for item in items {
                    text(name, item, true, out)?;
                }
            }
            QueryValue::Bool(flag) => return refuse(&format!("the boolean {flag}")),
            QueryValue::Unsupported(kind) => return refuse(&shown_text(&kind)),
        }
        Ok(())
    }
    let mut pairs = Vec::with_capacity(query.len());
    for (name, value) in query {
        let mut texts = Vec::new();
        text(&name, value, false, &mut texts)?;
        pairs.extend(texts.into_iter().map(|text| (name.clone(), text)));
        if pairs.len() > MAX_QUERY_PARAMS {
            return Err(Error::InvalidArgument(format!("at most {MAX_QUERY_PARAMS} query parameters")));
        }
    }
    Ok(pairs)
}

/// The arguments of a table operation, by the names of its description.
#[derive(Clone, Debug, Default)]
pub struct CallArgs {
    /// A value for every `{placeholder}` of the path, and nothing else.
    pub path: Vec<(String, String)>,
    /// Names from the operation's list; a name may repeat. Flattened by [`flatten_query`].
    pub query: Vec<(String, QueryValue)>,
    pub body: Option<Value>,
    /// Sent as `If-Match` (collected data's optimistic concurrency).
    pub if_match: Option<String>,
}

/// What the answer's headers say, plus the headers themselves.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResponseMeta {
    pub request_id: Option<String>,
    pub etag: Option<String>,
    pub rate_limit_remaining: Option<u64>,
    pub rate_limit_reset_secs: Option<f64>,
    /// When the bucket is full again, in seconds since the epoch.
    pub rate_limit_reset: Option<i64>,
    /// A wait the server asked for (`Retry-After`, `X-RateLimit-Retry-Secs`).
    pub retry_after: Option<Duration>,
    /// Every header in order, names in lower case, minus `set-cookie`.
    pub headers: Vec<(String, String)>,
}

impl ResponseMeta {
    fn from_headers(status: u16, headers: &http::HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
        Self {
            request_id: crate::http::request_id(headers),
            etag: text("etag").map(str::to_owned),
            rate_limit_remaining: text("x-ratelimit-remaining").and_then(|v| v.parse().ok()),
            rate_limit_reset_secs: text("x-ratelimit-reset-secs").and_then(|v| v.parse().ok()).filter(|v: &f64| v.is_finite()),
            rate_limit_reset: text("x-ratelimit-reset").and_then(|v| v.parse().ok()),
            retry_after: crate::retry::server_requested_wait(status, headers),
            headers: headers
                .iter()
                .filter(|(name, _)| *name != http::header::SET_COOKIE)
                .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect(),
        }
    }
}

/// A 2xx answer with its metadata.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub meta: ResponseMeta,
    /// The JSON answered; `Null` for an empty body (and, for [`Client::request`]
    /// only, for a body that is not JSON: `raw` has it).
    pub body: Value,
    pub raw: Bytes,
    /// True when `run_check`'s answer was lost and the check it created was
    /// found by reading back: `meta` is then empty and `status` 200.
    pub adopted: bool,
}

impl ApiResponse {
    fn from_answer(answer: Answer, body: Value) -> Self {
        Self {
            status: answer.status,
            meta: ResponseMeta::from_headers(answer.status, &answer.headers),
            body,
            raw: answer.body,
            adopted: false,
        }
    }
}

impl Client {
    /// Calls a table operation ([`crate::operations::OPERATIONS`]) by name.
    ///
    /// Everything is checked before a request is sent: the name, every path
    /// value (ids as ids), the query names, the body. `run_check` goes
    /// through check reconciliation (a lost answer is adopted, never
    /// resent); any other creating write whose answer is lost after it may
    /// have reached PassFort fails with [`Error::AmbiguousCreation`].
    pub async fn call(&self, name: &str, mut args: CallArgs, options: &RequestOptions) -> Result<ApiResponse> {
        let operation = operations::find(name)
            .ok_or_else(|| Error::InvalidArgument(format!("{} is not an operation of the PassFort API", shown_text(name))))?;
        let (path, profile_id) = fill_path(operation, &args.path)?;
        let mut request = ApiRequest::new(operation.http_method(), operation.path, path, operation.retry, self.config());
        for (name, value) in flatten_query(std::mem::take(&mut args.query))? {
            let known = operation.query.iter().find(|known| **known == name.as_str()).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{} takes no query parameter {} (it takes {})",
                    operation.name,
                    shown_text(&name),
                    if operation.query.is_empty() { "none".to_owned() } else { operation.query.join(", ") }
                ))
            })?;
            request.query.push((Cow::Borrowed(*known), value));
        }
        check_query_values(&request.query)?;
        match (operation.body, &args.body) {
            (BodyRule::None, Some(_)) => return Err(Error::InvalidArgument(format!("{} takes no body", operation.name))),
            (BodyRule::Required, None) => return Err(Error::InvalidArgument(format!("{} needs a body", operation.name))),
            (_, Some(body)) => {
                crate::args::check_json("the body", body)?;
                request = request.json_body(body);
            }
            (_, None) => {}
        }
        options.apply(&mut request)?;
        if let Some(tag) = &args.if_match {
            if request.extra_headers.iter().any(|(name, _)| name == http::header::IF_MATCH) {
                return Err(Error::InvalidArgument("give if_match or an If-Match header, not both".into()));
            }
            let value = HeaderValue::from_str(tag)
                .ok()
                .filter(|_| tag.len() <= MAX_HEADER_VALUE_BYTES)
                .ok_or_else(|| Error::InvalidArgument(format!("if_match {} is not a valid header value", shown_text(tag))))?;
            request.extra_headers.push((http::header::IF_MATCH, value));
            // A conditional write resent after it may have landed meets its
            // own 412, reporting a conflict that is none: send it once, and
            // let the caller (or the update flow) re-read and compare.
            request.retry = RetryClass::CreateOnce;
        }
        if operation.name == "run_check" {
            return self.call_run_check(profile_id.unwrap_or_default(), &args, request, options).await;
        }
        self.send_operation(Some(operation), profile_id, request, true).await
    }

    /// `run_check` by table: the body becomes a [`CheckRequest`], so that a
    /// lost answer is reconciled exactly as [`Client::run_check`] does it.
    async fn call_run_check(
        &self,
        profile_id: String,
        args: &CallArgs,
        mut request: ApiRequest,
        options: &RequestOptions,
    ) -> Result<ApiResponse> {
        let check = check_request(args.body.as_ref().expect("run_check requires a body"))?;
        let mut mode = CheckMode::ServerDefault;
        for (_, value) in &request.query {
            mode = match value.as_str() {
                "sync" => CheckMode::Sync,
                "async" => CheckMode::Async,
                other => return Err(Error::InvalidArgument(format!("mode must be \"sync\" or \"async\", not {}", shown_text(other)))),
            };
        }
        if mode != CheckMode::Async && options.timeout.is_none() {
            request.timeout = self.config().sync_timeout;
        }
        request = request.json_body(&check.to_json());
        let (created, answer) = self.create_check_answered(&profile_id, &check, &request).await?;
        Ok(match answer {
            Some(answer) => ApiResponse::from_answer(answer, created.to_value()),
            None => ApiResponse {
                status: 200,
                meta: ResponseMeta::default(),
                body: created.to_value(),
                raw: Bytes::copy_from_slice(created.raw().as_bytes()),
                adopted: true,
            },
        })
    }

    /// Sends any request to the API, relative to the base URL, with the
    /// client's authentication, retries and errors.
    ///
    /// Retried as the table operation the path is an instance of, if any;
    /// otherwise GET, HEAD and OPTIONS as reads and anything else as a
    /// creation (never resent once it may have arrived). No reconciliation:
    /// run checks with `call("run_check", ...)`. The path is logged as its
    /// template, or with id-like segments replaced by `{id}`.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        query: Vec<(String, QueryValue)>,
        body: Option<Value>,
        options: &RequestOptions,
    ) -> Result<ApiResponse> {
        let method = raw_method(method)?;
        let query = flatten_query(query)?;
        check_raw_path(path)?;
        let operation = operations::match_path(method.as_str(), path);
        let (template, retry) = match operation {
            Some(operation) => (Cow::Borrowed(operation.path), operation.retry),
            None if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) => {
                (Cow::Owned(log_template(path)), RetryClass::Idempotent)
            }
            None => (Cow::Owned(log_template(path)), RetryClass::CreateOnce),
        };
        let mut request = ApiRequest::new(method.clone(), template, path.to_owned(), retry, self.config());
        if query.len() > MAX_QUERY_PARAMS {
            return Err(Error::InvalidArgument(format!("at most {MAX_QUERY_PARAMS} query parameters, not {}", query.len())));
        }
        for (name, value) in query {
            let plain = !name.is_empty() && name.len() <= limits::MAX_ENUM_BYTES && !name.chars().any(char::is_control);
            if !plain {
                return Err(Error::InvalidArgument(format!(
                    "the query parameter name {} is empty, too long or has control characters",
                    shown_text(&name)
                )));
            }
            if name.eq_ignore_ascii_case("apikey") {
                return Err(Error::InvalidArgument("the API key is sent as a header by the client, never in the query".into()));
            }
            request.query.push((Cow::Owned(name), value));
        }
        check_query_values(&request.query)?;
        if let Some(body) = &body {
            if matches!(method, Method::GET | Method::HEAD) {
                return Err(Error::InvalidArgument(format!("a {method} request takes no body")));
            }
            crate::args::check_json("the body", body)?;
            request = request.json_body(body);
        }
        options.apply(&mut request)?;
        let profile_id = profile_of(path);
        self.send_operation(operation, profile_id, request, false).await
    }

    /// Sends, turning a lost answer to a creating write into
    /// [`Error::AmbiguousCreation`] and the body into JSON.
    async fn send_operation(
        &self,
        operation: Option<&'static Operation>,
        profile_id: Option<String>,
        request: ApiRequest,
        strict_json: bool,
    ) -> Result<ApiResponse> {
        let sent_at = chrono::Utc::now();
        let ambiguous = |error: Error| match operation {
            Some(operation) if error.may_have_reached_server() && request.retry == RetryClass::CreateOnce => {
                // Only `call` reconciles a check; a raw request says what to look for.
                let look_for = if operation.name == "run_check" { Some(RAW_RUN_CHECK_LOOK_FOR) } else { operation.on_ambiguous };
                match look_for {
                    Some(look_for) => Error::AmbiguousCreation {
                        operation: operation.name.to_owned(),
                        profile_id: profile_id.clone(),
                        look_for: look_for.to_owned(),
                        sent_at,
                        message: error.to_string(),
                    },
                    // A conditional write sent once: its own error says enough.
                    None => error,
                }
            }
            _ => error,
        };
        let answer = self.transport().send_answer(&request).await.map_err(&ambiguous)?;
        let body = if answer.body.is_empty() {
            Value::Null
        } else if strict_json {
            crate::http::decode(&request, answer.status, &answer.body, self.config().include_body_snippets).map_err(&ambiguous)?
        } else {
            serde_json::from_slice(&answer.body).unwrap_or(Value::Null)
        };
        Ok(ApiResponse::from_answer(answer, body))
    }
}

/// The path with every placeholder filled, and the profile id if it has one.
fn fill_path(operation: &Operation, given: &[(String, String)]) -> Result<(String, Option<String>)> {
    for (name, _) in given {
        if !operation.placeholders().any(|placeholder| placeholder == name) {
            return Err(Error::InvalidArgument(format!("{} has no path parameter {}", operation.name, shown_text(name))));
        }
    }
    let mut path = String::with_capacity(operation.path.len() + 64);
    let mut profile_id = None;
    for segment in operation.path.split('/').skip(1) {
        path.push('/');
        let Some(name) = segment.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) else {
            path.push_str(segment);
            continue;
        };
        let mut values = given.iter().filter(|(given, _)| given == name);
        let (Some((_, value)), None) = (values.next(), values.next()) else {
            return Err(Error::InvalidArgument(format!("{} needs exactly one value for the path parameter {name}", operation.name)));
        };
        if TEXT_PLACEHOLDERS.contains(&name) {
            let dots = value == "." || value == "..";
            if dots || value.is_empty() || value.len() > limits::MAX_QUERY_BYTES || value.chars().any(char::is_control) {
                return Err(Error::InvalidArgument(format!(
                    "{name} must be 1 to {} bytes without control characters, and not . or ..",
                    limits::MAX_QUERY_BYTES
                )));
            }
            percent_encode_segment(value, &mut path);
        } else {
            validate_id(&name.replace('_', " "), value)?;
            path.push_str(value);
            if name == "profile_id" {
                profile_id = Some(value.clone());
            }
        }
    }
    Ok((path, profile_id))
}

/// Everything but RFC 3986's unreserved characters, so that free text can
/// never add a segment or a query (`.` and `..` alone are refused before).
fn percent_encode_segment(text: &str, out: &mut String) {
    percent_encode(text, |byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~' | b'.'), out);
}

/// Appends `text`, each byte `as_is` refuses written as `%XX`.
pub(crate) fn percent_encode(text: &str, as_is: impl Fn(u8) -> bool, out: &mut String) {
    use std::fmt::Write;
    for byte in text.bytes() {
        if as_is(byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// Query values go into the URL: bounded, so that no call makes an
/// oversized request that a server refuses after it was sent.
fn check_query_values(query: &[(Cow<'static, str>, String)]) -> Result<()> {
    if query.len() > MAX_QUERY_PARAMS {
        return Err(Error::InvalidArgument(format!("at most {MAX_QUERY_PARAMS} query parameters, not {}", query.len())));
    }
    for (name, value) in query {
        if value.len() > limits::MAX_QUERY_BYTES || value.chars().any(char::is_control) {
            return Err(Error::InvalidArgument(format!(
                "the query parameter {name} must be at most {} bytes without control characters (it is {} bytes)",
                limits::MAX_QUERY_BYTES,
                value.len()
            )));
        }
    }
    Ok(())
}

/// A check body as [`CheckRequest`]: `check_type`, `task_ids`, `variant`,
/// and every other field as a type-specific one.
fn check_request(body: &Value) -> Result<CheckRequest> {
    let Value::Object(fields) = body else {
        return Err(Error::InvalidArgument("a check body must be a JSON object".into()));
    };
    let check_type = fields
        .get("check_type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::InvalidArgument("a check body needs check_type, a string".into()))?;
    let mut check = CheckRequest::new(check_type);
    for (name, value) in fields {
        match name.as_str() {
            "check_type" => {}
            "task_ids" => {
                let ids = value.as_array().and_then(|ids| ids.iter().map(|id| id.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>());
                check = check.task_ids(ids.ok_or_else(|| Error::InvalidArgument("task_ids must be a list of strings".into()))?);
            }
            "variant" => {
                let alias = value.get("alias").and_then(Value::as_str);
                let id = value.get("id").and_then(Value::as_str);
                check.variant = match (alias, id, value.as_object().map(|v| v.len())) {
                    (Some(alias), None, Some(1)) => Some(VariantSelector::Alias(alias.to_owned())),
                    (None, Some(id), Some(1)) => Some(VariantSelector::Id(id.to_owned())),
                    _ => return Err(Error::InvalidArgument("variant must be {\"alias\": ...} or {\"id\": ...}".into())),
                };
            }
            _ => check = check.field(name.clone(), value.clone()),
        }
    }
    check.validate()?;
    Ok(check)
}

fn raw_method(method: &str) -> Result<Method> {
    const ALLOWED: &[Method] = &[Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS];
    let upper = method.to_ascii_uppercase();
    ALLOWED.iter().find(|allowed| allowed.as_str() == upper).cloned().ok_or_else(|| {
        Error::InvalidArgument(format!("the method {} is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS", shown_text(method)))
    })
}

/// A raw path can only name a resource under the base URL: no scheme, host,
/// dot segment (plain or percent-encoded), query, fragment or control character.
fn check_raw_path(path: &str) -> Result<()> {
    let refuse = |why: &str| Err(Error::InvalidArgument(format!("the path {} {why}", shown_text(path))));
    if path.len() > MAX_RAW_PATH_BYTES {
        return refuse(&format!("is longer than {MAX_RAW_PATH_BYTES} bytes"));
    }
    if !path.starts_with('/') || path.starts_with("//") {
        return refuse("must start with a single / (it is relative to the base URL)");
    }
    if path.contains(['?', '#']) {
        return refuse("must not hold ? or # (give query parameters separately)");
    }
    if path.contains('\\') || path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse("must not hold backslashes, spaces or control characters");
    }
    let dot_segment = path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    });
    if dot_segment {
        return refuse("must not hold . or .. segments");
    }
    if path.split('/').skip(1).any(|segment| segment.contains(':') && segment.contains("//")) || path.contains("://") {
        return refuse("must not hold a scheme or host");
    }
    Ok(())
}

/// The path as logged: each segment that may be an id or free text becomes `{id}`.
fn log_template(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let digits = segment.bytes().any(|b| b.is_ascii_digit());
            let long_hex = segment.len() >= 16 && segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
            if digits || long_hex || segment.contains('%') {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `/profiles/{id}/...`'s id, for the ambiguous-creation error.
fn profile_of(path: &str) -> Option<String> {
    let mut segments = path.split('/').skip(1);
    match (segments.next(), segments.next()) {
        (Some("profiles"), Some(id)) if validate_id("profile id", id).is_ok() => Some(id.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_paths_stay_under_the_base_url() {
        for good in ["/whoami", "/profiles/abc-1/checks", "/new/endpoint_x"] {
            assert!(check_raw_path(good).is_ok(), "{good}");
        }
        let long = format!("/{}", "a".repeat(MAX_RAW_PATH_BYTES));
        for bad in [
            "whoami",
            "//evil.example/x",
            "/a/../b",
            "/a/%2E%2e/b",
            "/a/./b",
            "/a?apikey=x",
            "/a#f",
            "/a\\b",
            "/a\nb",
            "/a b",
            "/x/http://evil",
            "http://evil.example/x",
            long.as_str(),
        ] {
            assert!(check_raw_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn logged_paths_hide_ids() {
        assert_eq!(log_template("/profiles/6f0e2c1a-1b2c-4d5e-8f90-123456789abc/widgets/42"), "/profiles/{id}/widgets/{id}");
        assert_eq!(log_template("/new/endpoint_x/deadbeefdeadbeefdead"), "/new/endpoint_x/{id}");
        assert_eq!(log_template("/search/Ada%20Smith"), "/search/{id}");
    }

    #[test]
    fn options_refuse_reserved_and_malformed_headers() {
        let with = |name: &str, value: &str| RequestOptions { extra_headers: vec![(name.into(), value.into())], ..Default::default() };
        assert!(with("X-Trace", "abc").validate().is_ok());
        for name in ["apikey", "Authorization", "HOST", "content-length", "Content-Type", "transfer-encoding", "connection"] {
            let error = with(name, "x").validate().unwrap_err().to_string();
            assert!(error.contains("set by the client"), "{error}");
        }
        assert!(with("bad name", "x").validate().is_err());
        let error = with("x-secret", "line\nbreak-s3cr3t").validate().unwrap_err().to_string();
        assert!(!error.contains("s3cr3t"), "a value is never quoted: {error}");
        let many = RequestOptions { extra_headers: vec![("x-a".into(), "1".into()); MAX_EXTRA_HEADERS + 1], ..Default::default() };
        assert!(many.validate().is_err());
        let secret = with("x-secret", "s3cr3t");
        assert!(!format!("{secret:?}").contains("s3cr3t"), "Debug shows header names only");
        let node = RequestOptionsArgs::from_args(Dialect::NODE, Some(1500.0), Some(3.0), vec![]).unwrap();
        assert_eq!((node.timeout, node.max_retries), (Some(Duration::from_millis(1500)), Some(3)));
        let error = RequestOptionsArgs::from_args(Dialect::NODE, None, Some(11.0), vec![]).unwrap_err().to_string();
        assert!(error.contains("maxRetries"), "{error}");
    }

    #[test]
    fn query_values_are_flattened_or_refused_by_name() {
        let query = vec![
            ("q".to_owned(), QueryValue::from("ada")),
            ("gone".to_owned(), QueryValue::Null),
            ("limit".to_owned(), QueryValue::Int(5)),
            ("offset".to_owned(), QueryValue::Number(10.0)),
            ("categories".to_owned(), QueryValue::from(vec![QueryValue::from("a"), QueryValue::Null, QueryValue::Int(2)])),
        ];
        let pairs: Vec<(&str, &str)> = vec![("q", "ada"), ("limit", "5"), ("offset", "10"), ("categories", "a"), ("categories", "2")];
        let flat = flatten_query(query).unwrap();
        assert_eq!(flat.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect::<Vec<_>>(), pairs);
        for (bad, shown) in [
            (QueryValue::Bool(true), "boolean"),
            (QueryValue::Number(1.5), "1.5"),
            (QueryValue::Number(f64::NAN), "NaN"),
            (QueryValue::List(vec![QueryValue::List(vec![])]), "list inside a list"),
            (QueryValue::List(vec![QueryValue::Bool(false)]), "boolean"),
            (QueryValue::Unsupported("dict".into()), "dict"),
        ] {
            let error = flatten_query(vec![("limit".to_owned(), bad)]).unwrap_err();
            assert!(matches!(&error, Error::InvalidArgument(m) if m.contains("\"limit\"") && m.contains(shown)), "{error}");
        }
        let many = vec![("q".to_owned(), QueryValue::List(vec![QueryValue::Int(1); MAX_QUERY_PARAMS + 1]))];
        assert!(flatten_query(many).is_err());
    }

    #[test]
    fn path_values_are_checked_and_text_encoded() {
        let get = operations::find("get_task").unwrap();
        let args = |pairs: &[(&str, &str)]| pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>();
        let (path, profile) = fill_path(get, &args(&[("task_id", "t1"), ("profile_id", "p1")])).unwrap();
        assert_eq!((path.as_str(), profile.as_deref()), ("/profiles/p1/tasks/t1", Some("p1")));
        assert!(fill_path(get, &args(&[("profile_id", "p1")])).is_err(), "missing");
        assert!(fill_path(get, &args(&[("profile_id", "p1"), ("task_id", "t1"), ("check_id", "c")])).is_err(), "extra");
        assert!(fill_path(get, &args(&[("profile_id", "../x"), ("task_id", "t1")])).is_err(), "not an id");
        assert!(fill_path(get, &args(&[("profile_id", "p1"), ("profile_id", "p2"), ("task_id", "t1")])).is_err(), "twice");
        let search = operations::find("search_tags").unwrap();
        assert_eq!(fill_path(search, &args(&[("term", "vip/../x y")])).unwrap().0, "/tags/search/vip%2F..%2Fx%20y");
    }
}

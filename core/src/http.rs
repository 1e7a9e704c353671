//! One HTTP round trip with PassFort, retried as its [`RetryClass`] allows.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::Method;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::config::ClientConfig;
use crate::connect::Connector;
use crate::error::{cause_chain, snippet, ApiError, ApiErrorKind, Error, Result};
use crate::models::one_or_many;
use crate::retry::{delay_before_retry, server_requested_wait, RetryClass};

/// A request to PassFort, relative to the base URL.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub method: Method,
    /// The path with placeholders, e.g. `/profiles/{profile_id}/checks`: logged instead of ids.
    /// Borrowed for every table operation; owned only for a raw request.
    pub template: Cow<'static, str>,
    pub path: String,
    pub query: Vec<(Cow<'static, str>, String)>,
    pub body: Option<Bytes>,
    pub retry: RetryClass,
    pub timeout: Duration,
    /// A per-call override of the client's `max_retries`.
    pub max_retries: Option<u32>,
    /// Checked per-call headers, marked sensitive so that no log shows them.
    /// Empty (no allocation) unless the caller gave some.
    pub extra_headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

impl ApiRequest {
    pub fn new(method: Method, template: impl Into<Cow<'static, str>>, path: String, retry: RetryClass, config: &ClientConfig) -> Self {
        Self {
            method,
            template: template.into(),
            path,
            query: Vec::new(),
            body: None,
            retry,
            timeout: config.request_timeout,
            max_retries: None,
            extra_headers: Vec::new(),
        }
    }

    pub fn json_body(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(Bytes::from(serde_json::to_vec(body).expect("a JSON value always serialises")));
        self
    }
}

tokio::task_local! {
    static CALLER_DRIVEN: ();
}

/// Runs `fut` on connections of its own, apart from the shared pool: for a
/// runtime that runs only while its caller waits (a blocking call driven on
/// the calling thread). Those connections' tasks live on that runtime, so a
/// task of another runtime must never be handed one: it would stall until
/// the next such call.
pub async fn with_caller_driven_connections<F: std::future::Future>(fut: F) -> F::Output {
    CALLER_DRIVEN.scope((), fut).await
}

/// A pool of connections to PassFort.
type Pool = hyper_util::client::legacy::Client<Connector, http_body_util::Full<Bytes>>;

/// The shared pool, and (made on first use) the one of caller-driven calls.
/// Each request takes one reference: an `Arc`, not a clone of the client's parts.
#[derive(Debug)]
struct Pools {
    shared: Arc<Pool>,
    caller_driven: Option<Arc<Pool>>,
}

/// The pooled HTTP client and the configuration that shapes every request.
#[derive(Debug)]
pub(crate) struct Transport {
    pub config: ClientConfig,
    /// `None` once closed: dropping the pools closes their idle connections
    /// now, rather than when the last clone of the client is garbage-collected.
    http: std::sync::RwLock<Option<Pools>>,
    api_key_header: http::HeaderValue,
    user_agent: http::HeaderValue,
    /// The base URL as parsed once (host, IDNA and all), without its last
    /// `/`: a request's URI is this and its path.
    uri_prefix: String,
    connector: Connector,
    /// The proxy's `Proxy-Authorization`, when a proxy forwards the requests (http:// only).
    forward_credentials: Option<http::HeaderValue>,
    /// One permit per request in flight: `max_connections`.
    in_flight: tokio::sync::Semaphore,
    /// Paces PassFort's rate-limited creations, when a budget is set (`fleet.rs`).
    pub(crate) pacer: std::sync::OnceLock<crate::fleet::Pacer>,
}

impl Transport {
    pub fn new(config: ClientConfig) -> Result<Self> {
        let mut api_key_header = http::HeaderValue::from_str(config.api_key.expose())
            .map_err(|_| Error::Config("the API key is not a valid header value".into()))?;
        api_key_header.set_sensitive(true);
        let user_agent = http::HeaderValue::from_str(&config.user_agent)
            .map_err(|_| Error::Config("the user agent is not a valid header value".into()))?;
        let base_url = url::Url::parse(&config.base_url).map_err(|error| Error::Config(format!("the base URL is not a URL: {error}")))?;
        let uri_prefix = base_url.as_str().trim_end_matches('/').to_owned();
        let base_uri = http::Uri::try_from(format!("{uri_prefix}/")).map_err(|_| Error::Config("the base URL is not a URL".into()))?;
        let (connector, forward_credentials) = Connector::new(&config, &base_uri)?;
        let shared = Arc::new(pool(&config, &connector));
        let in_flight = tokio::sync::Semaphore::new(config.max_connections);
        Ok(Self {
            config,
            http: std::sync::RwLock::new(Some(Pools { shared, caller_driven: None })),
            api_key_header,
            user_agent,
            uri_prefix,
            connector,
            forward_credentials,
            in_flight,
            pacer: std::sync::OnceLock::new(),
        })
    }

    /// The pool of this request: see [`with_caller_driven_connections`].
    fn pool(&self) -> Result<Arc<Pool>> {
        let caller_driven = CALLER_DRIVEN.try_with(|_| ()).is_ok();
        {
            let pools = self.http.read().unwrap_or_else(|p| p.into_inner());
            let pools = pools.as_ref().ok_or(Error::Closed)?;
            match (caller_driven, &pools.caller_driven) {
                (false, _) => return Ok(pools.shared.clone()),
                (true, Some(pool)) => return Ok(pool.clone()),
                (true, None) => {}
            }
        }
        let mut pools = self.http.write().unwrap_or_else(|p| p.into_inner());
        let pools = pools.as_mut().ok_or(Error::Closed)?;
        if pools.caller_driven.is_none() {
            pools.caller_driven = Some(Arc::new(pool(&self.config, &self.connector)));
        }
        Ok(pools.caller_driven.clone().expect("made above"))
    }

    /// Closes the connection pool; every later request fails with [`Error::Closed`].
    pub fn close(&self) {
        self.http.write().unwrap_or_else(|p| p.into_inner()).take();
        // Calls queued for a connection fail now, not when one frees up.
        self.in_flight.close();
    }

    pub fn is_closed(&self) -> bool {
        self.http.read().unwrap_or_else(|p| p.into_inner()).is_none()
    }

    /// Sends the request, retrying as allowed, and decodes a 2xx answer.
    pub async fn send_json<T: DeserializeOwned>(&self, request: &ApiRequest) -> Result<T> {
        let (status, body) = self.send(request).await?;
        decode(request, status, &body, self.config.include_body_snippets)
    }

    /// Sends the request, retrying as allowed; gives back a 2xx answer's status and body.
    pub async fn send(&self, request: &ApiRequest) -> Result<(u16, Bytes)> {
        self.send_answer(request).await.map(|answer| (answer.status, answer.body))
    }

    /// As [`Transport::send`], keeping the answer's headers.
    pub async fn send_answer(&self, request: &ApiRequest) -> Result<Answer> {
        let max_retries = request.max_retries.unwrap_or(self.config.max_retries);
        let mut retry = 0;
        loop {
            let span = tracing::debug_span!(
                "passfort.request",
                method = %request.method,
                path = &*request.template,
                attempt = retry + 1,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            if let Some(pacer) = self.pacer.get() {
                // Boxed, as Redis's futures are large: only paced requests pay for the room.
                Box::pin(pacer.pace(request)).instrument(span.clone()).await;
            }
            let started = Instant::now();
            let outcome = self.attempt(request).instrument(span.clone()).await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            match &outcome {
                Ok(answer) => {
                    span.record("status", answer.status);
                    span.in_scope(|| tracing::debug!("answered"));
                }
                Err(error) => {
                    if let Some(status) = error.status() {
                        span.record("status", status);
                    }
                    span.in_scope(|| tracing::debug!(error = %error, "failed"));
                }
            }
            let error = match outcome {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            if retry >= max_retries || !request.retry.allows_retry(&error) {
                return Err(error);
            }
            let Some(wait) = delay_before_retry(&self.config, retry, &error) else {
                return Err(error);
            };
            span.in_scope(|| tracing::debug!(wait_ms = wait.as_millis() as u64, "retrying"));
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    async fn attempt(&self, request: &ApiRequest) -> Result<Answer> {
        let _permit = self.in_flight.acquire().await.map_err(|_| Error::Closed)?;
        // Boxed: a request queued for a permit (thousands of waits at once)
        // holds only its place in the queue, not room for a whole exchange,
        // and the unstarted future of every call stays small, so a binding's
        // hand-over of it to the runtime copies a few bytes rather than
        // hyper's whole state machine.
        Box::pin(self.exchange(request)).await
    }

    async fn exchange(&self, request: &ApiRequest) -> Result<Answer> {
        let http = self.pool()?;
        let outgoing = self.outgoing(request)?;
        let round_trip = async {
            let response = http.request(outgoing).await.map_err(|error| transport_error(request, &error))?;
            let (parts, body) = response.into_parts();
            let status = parts.status.as_u16();
            let body = self.read_body(request, status, body).await?;
            Ok::<_, Error>((status, parts.headers, body))
        };
        // The whole exchange, the body's last byte included, within the timeout.
        let (status, headers, body) = match tokio::time::timeout(request.timeout, round_trip).await {
            Ok(answer) => answer?,
            Err(_) => {
                let (method, path) = (request.method.to_string(), request.path.clone());
                return Err(Error::Timeout { method, path, after: request.timeout, request_sent: true });
            }
        };
        if (200..300).contains(&status) {
            return Ok(Answer { status, headers, body });
        }
        if (300..400).contains(&status) {
            return Err(redirect_error(request, status, &headers));
        }
        Err(api_error(request, status, &headers, &body, self.config.include_body_snippets))
    }

    /// The HTTP request: the base URL's scheme, host and path, then the request's.
    fn outgoing(&self, request: &ApiRequest) -> Result<http::Request<http_body_util::Full<Bytes>>> {
        let mut uri = String::with_capacity(self.uri_prefix.len() + request.path.len() + 16);
        uri.push_str(&self.uri_prefix);
        push_path(&mut uri, &request.path);
        if !request.query.is_empty() {
            uri.push('?');
            let start = uri.len();
            let pairs = request.query.iter().map(|(name, value)| (name.as_ref(), value.as_str()));
            form_urlencoded::Serializer::for_suffix(&mut uri, start).extend_pairs(pairs);
        }
        let mut outgoing = http::Request::builder()
            .method(request.method.clone())
            .uri(uri)
            .header("apikey", self.api_key_header.clone())
            .header(http::header::ACCEPT, http::HeaderValue::from_static("application/json"))
            .header(http::header::USER_AGENT, self.user_agent.clone());
        if let Some(credentials) = &self.forward_credentials {
            outgoing = outgoing.header(http::header::PROXY_AUTHORIZATION, credentials.clone());
        }
        if request.body.is_some() {
            outgoing = outgoing.header(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        }
        for (name, value) in &request.extra_headers {
            outgoing = outgoing.header(name.clone(), value.clone());
        }
        // The path and query were checked when the call was made; a URI the
        // check let through is still refused here, before anything is sent.
        outgoing
            .body(http_body_util::Full::new(request.body.clone().unwrap_or_default()))
            .map_err(|_| Error::InvalidArgument(format!("the path of {} {} does not make a valid URI", request.method, request.template)))
    }

    /// Reads the body, refusing to hold more than `max_response_bytes`. A body
    /// that comes in one piece (most do) is kept as it came, not copied.
    async fn read_body(&self, request: &ApiRequest, status: u16, mut body: hyper::body::Incoming) -> Result<Bytes> {
        let limit = self.config.max_response_bytes;
        // Content-Length, as hyper read it.
        let declared = hyper::body::Body::size_hint(&body).exact();
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large(request, status, limit));
        }
        let mut first = Bytes::new();
        let mut joined: Option<BytesMut> = None;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| body_error(request, &error))?;
            let Ok(chunk) = frame.into_data() else { continue };
            let held = joined.as_ref().map_or(first.len(), BytesMut::len);
            if held + chunk.len() > limit {
                return Err(too_large(request, status, limit));
            }
            match &mut joined {
                Some(buffer) => buffer.extend_from_slice(&chunk),
                None if first.is_empty() => first = chunk,
                None => {
                    let mut buffer = BytesMut::with_capacity(declared.map_or(0, |length| length as usize).max(held + chunk.len()));
                    buffer.extend_from_slice(&first);
                    buffer.extend_from_slice(&chunk);
                    joined = Some(buffer);
                }
            }
        }
        Ok(joined.map_or(first, BytesMut::freeze))
    }
}

/// A connection pool shaped by the configuration. Redirects are never
/// followed (PassFort does not redirect; following one would send the
/// `apikey` header and bodies to another host): a 3xx is an error.
fn pool(config: &ClientConfig, connector: &Connector) -> Pool {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(config.max_connections)
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .timer(hyper_util::rt::TokioTimer::new())
        .build(connector.clone())
}

/// Appends a path, percent-encoding every byte a URI path cannot hold as it
/// is (spaces, quotes, non-ASCII, ...). `%` stays: escapes already made are kept.
fn push_path(uri: &mut String, path: &str) {
    crate::call::percent_encode(path, |byte| byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&byte), uri);
}

/// A 2xx answer as received.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

fn too_large(request: &ApiRequest, status: u16, limit: usize) -> Error {
    Error::Decode {
        method: request.method.to_string(),
        path: request.path.clone(),
        status,
        message: format!("the answer is larger than {limit} bytes and was not read further"),
        body_bytes: limit,
        snippet: None,
    }
}

/// The host a redirect points to, never its path or query (which may carry data).
fn redirect_error(request: &ApiRequest, status: u16, headers: &http::HeaderMap) -> Error {
    let target_host =
        headers.get(http::header::LOCATION).and_then(|value| value.to_str().ok()).map(|location| match url::Url::parse(location) {
            Ok(url) => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("?")),
            Err(_) => "a relative location on the same host".to_owned(),
        });
    Error::Redirect { method: request.method.to_string(), path: request.path.clone(), status, target_host }
}

/// Decodes a 2xx body as `T`. The error says where decoding failed and what
/// kind of failure it was, never what the body held: serde's own messages
/// quote the offending value, which may be a name or a date of birth.
pub(crate) fn decode<T: DeserializeOwned>(request: &ApiRequest, status: u16, body: &[u8], with_snippet: bool) -> Result<T> {
    serde_json::from_slice(body).map_err(|error| Error::Decode {
        method: request.method.to_string(),
        path: request.path.clone(),
        status,
        message: if body.is_empty() { "empty body".to_owned() } else { decode_failure(&error) },
        body_bytes: body.len(),
        snippet: with_snippet.then(|| snippet(body)),
    })
}

pub(crate) fn decode_failure(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "JSON of an unexpected shape",
        serde_json::error::Category::Eof => "JSON cut short",
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}

fn transport_error(request: &ApiRequest, error: &hyper_util::client::legacy::Error) -> Error {
    let method = request.method.to_string();
    let path = request.path.clone();
    // A failed connect proves the request never left; anything later may have reached PassFort.
    let request_sent = !error.is_connect();
    let cause = crate::error::Cause::of(error);
    if !request_sent && cause == crate::error::Cause::TimedOut {
        return Error::Timeout { method, path, after: Duration::ZERO, request_sent };
    }
    // hyper-util's own layer says only "client error (Connect)": its causes say what happened.
    let message = std::error::Error::source(error).map_or_else(|| error.to_string(), cause_chain);
    Error::Connection { method, path, message, request_sent, cause }
}

/// The connection failed while the answer's body was coming.
fn body_error(request: &ApiRequest, error: &hyper::Error) -> Error {
    let (method, path) = (request.method.to_string(), request.path.clone());
    let cause = crate::error::Cause::of(error);
    Error::Connection { method, path, message: cause_chain(error), request_sent: true, cause }
}

fn api_error(request: &ApiRequest, status: u16, headers: &http::HeaderMap, body: &[u8], with_snippet: bool) -> Error {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        #[serde(default, deserialize_with = "one_or_many")]
        errors: Vec<crate::models::ErrorDetail>,
    }
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let body_snippet = match &parsed {
        _ if !with_snippet => None,
        Some(parsed) if !parsed.errors.is_empty() => None,
        _ if body.is_empty() => None,
        _ => Some(snippet(body)),
    };
    let request_id = request_id(headers);
    // A stale If-Match is answered with the data as it is now, not an error body.
    let latest = match status {
        412 if parsed.as_ref().map_or(true, |parsed| parsed.errors.is_empty()) => {
            serde_json::from_slice::<serde_json::Value>(body).ok().map(|body| {
                let etag = headers.get(http::header::ETAG).and_then(|value| value.to_str().ok()).map(str::to_owned);
                Box::new(crate::error::LatestData { etag, body })
            })
        }
        _ => None,
    };
    Error::Api(Box::new(ApiError {
        kind: ApiErrorKind::from_status(status),
        status,
        errors: parsed.map(|parsed| parsed.errors).unwrap_or_default(),
        request_id,
        retry_after: server_requested_wait(status, headers),
        method: request.method.to_string(),
        path: request.path.clone(),
        body_snippet,
        latest,
    }))
}

/// The request id a server or gateway stamped on an answer, kept short.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-request-id", "request-id", "x-amzn-requestid"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|value| value.to_str().ok())
        .map(|id| id.chars().take(128).collect())
}

//! One HTTP round trip with PassFort, retried as its [`RetryClass`] allows.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::Method;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::config::ClientConfig;
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

/// The shared pool, and (made on first use) the one of caller-driven calls.
#[derive(Debug)]
struct Pools {
    shared: reqwest::Client,
    caller_driven: Option<reqwest::Client>,
}

/// The pooled HTTP client and the configuration that shapes every request.
#[derive(Debug)]
pub(crate) struct Transport {
    pub config: ClientConfig,
    /// `None` once closed: dropping the pools closes their idle connections
    /// now, rather than when the last clone of the client is garbage-collected.
    http: std::sync::RwLock<Option<Pools>>,
    api_key_header: http::HeaderValue,
    /// The base URL parsed once: each request only sets its path, rather
    /// than parsing a whole URL (host, IDNA and all) every time.
    base_url: reqwest::Url,
    /// One permit per request in flight: `max_connections`.
    in_flight: tokio::sync::Semaphore,
    /// Paces PassFort's rate-limited creations, when a budget is set (`fleet.rs`).
    pub(crate) pacer: std::sync::OnceLock<crate::fleet::Pacer>,
}

impl Transport {
    pub fn new(config: ClientConfig) -> Result<Self> {
        install_crypto_provider();
        let mut api_key_header = http::HeaderValue::from_str(config.api_key.expose())
            .map_err(|_| Error::Config("the API key is not a valid header value".into()))?;
        api_key_header.set_sensitive(true);
        let shared = http_client(&config)?;
        let base_url =
            reqwest::Url::parse(&config.base_url).map_err(|error| Error::Config(format!("the base URL is not a URL: {error}")))?;
        let in_flight = tokio::sync::Semaphore::new(config.max_connections);
        Ok(Self {
            config,
            http: std::sync::RwLock::new(Some(Pools { shared, caller_driven: None })),
            api_key_header,
            base_url,
            in_flight,
            pacer: std::sync::OnceLock::new(),
        })
    }

    /// The pool of this request: see [`with_caller_driven_connections`].
    fn pool(&self) -> Result<reqwest::Client> {
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
            pools.caller_driven = Some(http_client(&self.config)?);
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
        // reqwest's whole state machine.
        Box::pin(self.exchange(request)).await
    }

    async fn exchange(&self, request: &ApiRequest) -> Result<Answer> {
        let http = self.pool()?;
        let mut url = self.base_url.clone();
        url.set_path(&format!("{}{}", self.base_url.path().trim_end_matches('/'), request.path));
        let mut builder = http
            .request(request.method.clone(), url)
            .header("apikey", self.api_key_header.clone())
            .header(http::header::ACCEPT, "application/json")
            .timeout(request.timeout);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(body) = &request.body {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json").body(body.clone());
        }
        for (name, value) in &request.extra_headers {
            builder = builder.header(name.clone(), value.clone());
        }
        let mut response = builder.send().await.map_err(|error| transport_error(request, &error))?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let body = self.read_body(request, status, response).await?;
        if (200..300).contains(&status) {
            return Ok(Answer { status, headers, body });
        }
        if (300..400).contains(&status) {
            return Err(redirect_error(request, status, &headers));
        }
        Err(api_error(request, status, &headers, &body, self.config.include_body_snippets))
    }

    /// Reads the body, refusing to hold more than `max_response_bytes`.
    async fn read_body(&self, request: &ApiRequest, status: u16, mut response: reqwest::Response) -> Result<Bytes> {
        let limit = self.config.max_response_bytes;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(too_large(request, status, limit));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| transport_error(request, &error))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large(request, status, limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// A connection pool shaped by the configuration.
fn http_client(config: &ClientConfig) -> Result<reqwest::Client> {
    let mut http = reqwest::Client::builder()
        // PassFort never redirects; following one would send the `apikey`
        // header (which reqwest does not strip) and bodies to another host.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(config.user_agent.clone())
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(config.max_connections)
        .tcp_nodelay(true);
    // Without an explicit proxy, reqwest reads HTTPS_PROXY, HTTP_PROXY,
    // ALL_PROXY and NO_PROXY (either case) now, at build time; an explicit
    // one replaces them. reqwest keeps a proxy's credentials out of its
    // Debug output; the messages here never repeat the URL.
    if let Some(proxy) = &config.proxy {
        let proxy = reqwest::Proxy::all(proxy.expose())
            .map_err(|_| Error::Config("the proxy URL is not usable: give one such as http://proxy.example:3128".into()))?;
        http = http.proxy(proxy);
    }
    // Verification is rustls-platform-verifier's: the operating system's
    // trust store (on Linux the system CA bundle, or SSL_CERT_FILE /
    // SSL_CERT_DIR), plus the CA bundle's roots when one is given.
    if let Some(bundle) = &config.ca_bundle {
        let certificates = bundle
            .certificates()
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| Error::Config(format!("the CA bundle {} could not be used", bundle.path().display())))?;
        http = http.tls_certs_merge(certificates);
    }
    http.build().map_err(|error| Error::Config(cause_chain(&error)))
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
        headers.get(http::header::LOCATION).and_then(|value| value.to_str().ok()).map(|location| match reqwest::Url::parse(location) {
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

fn transport_error(request: &ApiRequest, error: &reqwest::Error) -> Error {
    let method = request.method.to_string();
    let path = request.path.clone();
    // A failed connect proves the request never left; anything later may have reached PassFort.
    let request_sent = !error.is_connect();
    if error.is_timeout() {
        let after = if request_sent { request.timeout } else { Duration::ZERO };
        return Error::Timeout { method, path, after, request_sent };
    }
    Error::Connection { method, path, message: message_without_url(error), request_sent, cause: crate::error::Cause::of(error) }
}

/// The cause chain, minus reqwest's " for url (...)": our message already names the path.
fn message_without_url(error: &reqwest::Error) -> String {
    let message = cause_chain(error);
    match error.url() {
        Some(url) => message.replace(&format!(" for url ({url})"), ""),
        None => message,
    }
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

/// reqwest is built without a default crypto provider (ring instead of
/// aws-lc, to keep builds fast); install ring once unless the host
/// application already installed one.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

//! One error type for every call, with kinds a caller can match on.

use std::fmt;
use std::time::Duration;

use crate::models::{CheckState, ErrorDetail};

/// Result of every fallible call in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PassFort answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),

    /// No complete answer arrived in time.
    #[error("{method} {path} timed out after {after:?}{}", sent_note(*request_sent))]
    Timeout { method: String, path: String, after: Duration, request_sent: bool },

    /// The connection could not be made or broke; `message` carries the cause
    /// chain, `cause` its kind (for the bindings' `__cause__` / `cause`).
    #[error("connection error on {method} {path}: {message}{}", sent_note(*request_sent))]
    Connection { method: String, path: String, message: String, request_sent: bool, cause: Cause },

    /// The answer was not the JSON we expected. `message` says where and what
    /// kind of error, never the body's content; `snippet`, the start of the
    /// body, is kept only when the client was built with `include_body_snippets`.
    #[error("could not decode the answer to {method} {path} (HTTP {status}, {body_bytes} bytes): {message}{}", snippet_note(snippet.as_deref()))]
    Decode { method: String, path: String, status: u16, message: String, body_bytes: usize, snippet: Option<String> },

    /// PassFort's API never redirects: a 3xx answer (from a proxy, say) is not
    /// followed, so that neither the API key nor a body goes to another host.
    #[error("{method} {path} was answered {status} redirecting to {}; redirects are not followed", target_host.as_deref().unwrap_or("an unnamed location"))]
    Redirect { method: String, path: String, status: u16, target_host: Option<String> },

    /// The client was closed with `close()`.
    #[error("the client is closed")]
    Closed,

    /// A bad argument, caught before any request was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The client could not be built from its configuration.
    #[error("configuration error: {0}")]
    Config(String),

    /// A check had not finished by the wait's deadline. It is still at
    /// PassFort: wait for `check_id` again later; nothing is lost.
    #[error("check {check_id} of profile {profile_id} had not finished after {waited:?} (last state {})", last_state.as_ref().map_or("unknown", |s| s.as_str()))]
    WaitTimeout { profile_id: String, check_id: String, last_state: Option<CheckState>, waited: Duration },

    /// A check creation's answer was lost and the profile's checks could not
    /// be read to find out whether PassFort created it. Look for a check of
    /// `check_type` on `profile_id` instructed at or after `sent_at` before
    /// running it again.
    #[error("cannot tell whether the {check_type} check for profile {profile_id} sent at {sent_at} was created: {message}")]
    AmbiguousCheckCreation {
        profile_id: String,
        check_type: String,
        task_ids: Vec<String>,
        sent_at: chrono::DateTime<chrono::Utc>,
        message: String,
    },

    /// A write that must not be sent twice (a creation, a decision) lost its
    /// answer after it may have reached PassFort. It was not resent: look
    /// for what `look_for` names before sending it again.
    #[error("cannot tell whether {operation} took effect{}: {message}; before sending it again, {look_for}", profile_id.as_deref().map(|id| format!(" on profile {id}")).unwrap_or_default())]
    AmbiguousCreation {
        operation: String,
        profile_id: Option<String>,
        look_for: String,
        sent_at: chrono::DateTime<chrono::Utc>,
        message: String,
    },

    /// A safe update of collected data met another writer's change before
    /// each of its `attempts` writes (a 412 every time); nothing of it was written.
    #[error("the collected data of profile {profile_id} was changed by another writer before each of {attempts} attempts to update it; nothing of this update was written")]
    UpdateConflict { profile_id: String, attempts: u32 },

    /// A change to collected data did not apply to the data as it is: a
    /// JSON Patch `test` did not hold (`test_failed`), or an operation
    /// names a path the data does not allow. Nothing was written.
    #[error("the change to the collected data of profile {profile_id} was not applied: operation {index} ({op} {path}) {}: {reason}; nothing was written", if *test_failed { "failed its test" } else { "does not apply" })]
    PatchFailed { profile_id: String, index: usize, op: String, path: String, test_failed: bool, reason: String },

    /// A webhook delivery was refused; nothing in it was dispatched.
    #[error("webhook refused ({kind}): {message}")]
    Webhook { kind: WebhookErrorKind, message: String },
}

fn snippet_note(snippet: Option<&str>) -> String {
    snippet.map(|text| format!("; body starts {text:?}")).unwrap_or_default()
}

fn sent_note(request_sent: bool) -> &'static str {
    if request_sent {
        " (the request may have reached PassFort)"
    } else {
        " (the request was not sent)"
    }
}

/// Why a webhook delivery was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookErrorKind {
    /// No `Authorization: Bearer` header, or a secret that does not match.
    Unauthorized,
    /// Not JSON, or not PassFort's envelope.
    Malformed,
    /// Over the size limit.
    TooLarge,
    /// An envelope without a timestamp, or one outside the tolerance: a
    /// replay, or a clock far off.
    Expired,
}

impl WebhookErrorKind {
    /// Every kind, for bindings that map them.
    pub const ALL: &'static [WebhookErrorKind] =
        &[WebhookErrorKind::Unauthorized, WebhookErrorKind::Malformed, WebhookErrorKind::TooLarge, WebhookErrorKind::Expired];

    /// A stable name for logs, bindings and wire formats, unlike `Debug`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookErrorKind::Unauthorized => "unauthorized",
            WebhookErrorKind::Malformed => "malformed",
            WebhookErrorKind::TooLarge => "too_large",
            WebhookErrorKind::Expired => "expired",
        }
    }
}

impl fmt::Display for WebhookErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The underlying failure of a connection error, as the operating system or
/// the TLS library reported it. The bindings raise it as the exception's
/// cause (`ConnectionRefusedError`, `ECONNREFUSED`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cause {
    ConnectionRefused,
    ConnectionReset,
    ConnectionAborted,
    TimedOut,
    /// The host name did not resolve.
    HostNotFound,
    /// The TLS handshake failed (an untrusted certificate, say).
    Tls,
    Other,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::ConnectionRefused => "connection_refused",
            Cause::ConnectionReset => "connection_reset",
            Cause::ConnectionAborted => "connection_aborted",
            Cause::TimedOut => "timed_out",
            Cause::HostNotFound => "host_not_found",
            Cause::Tls => "tls",
            Cause::Other => "other",
        }
    }

    /// The kind of the deepest I/O or TLS error in `error`'s source chain.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Cause {
        let mut found = Cause::Other;
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = next {
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                found = match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => Cause::ConnectionRefused,
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => Cause::ConnectionReset,
                    std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::UnexpectedEof => Cause::ConnectionAborted,
                    std::io::ErrorKind::TimedOut => Cause::TimedOut,
                    _ => found,
                };
            }
            if current.downcast_ref::<rustls::Error>().is_some() {
                return Cause::Tls;
            }
            let text = current.to_string();
            if text.contains("dns error") || text.contains("failed to lookup address") {
                found = Cause::HostNotFound;
            }
            next = current.source();
        }
        found
    }
}

/// What kind of HTTP error PassFort answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 400 or 422: the request was invalid (codes 101, 201, ...).
    BadRequest,
    /// 401 or 403: missing (203) or invalid (204) API key, or not allowed.
    Authentication,
    /// 404: unknown profile, check or task.
    NotFound,
    /// 409 or 412: a conflicting or stale write.
    Conflict,
    /// 429: rate limited; see [`ApiError::retry_after`].
    RateLimited,
    /// 5xx.
    Server,
    /// Any other status.
    Other,
}

impl ApiErrorKind {
    /// The error code of an API error of this kind (see [`Error::code`]).
    pub fn code(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Authentication => "authentication",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate_limited",
            Self::Server => "server",
            Self::Other => "api",
        }
    }

    pub fn from_status(status: u16) -> Self {
        match status {
            400 | 422 => Self::BadRequest,
            401 | 403 => Self::Authentication,
            404 => Self::NotFound,
            409 | 412 => Self::Conflict,
            429 => Self::RateLimited,
            500..=599 => Self::Server,
            _ => Self::Other,
        }
    }
}

/// An error answer from PassFort.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub status: u16,
    /// PassFort's error list (`{"errors": [...]}`); empty when the body had none.
    pub errors: Vec<ErrorDetail>,
    /// The request id the server sent, if any.
    pub request_id: Option<String>,
    /// How long the server asked us to wait (`Retry-After`, `X-RateLimit-Retry-Secs`).
    pub retry_after: Option<Duration>,
    pub method: String,
    pub path: String,
    /// The start of a body that was not PassFort's error JSON (an HTML proxy
    /// page, say); only with `include_body_snippets`, as it may hold personal data.
    pub body_snippet: Option<String>,
    /// On a 412 (a stale `If-Match`), the data as it is now and its `Etag`,
    /// which PassFort answers instead of an error body: re-apply onto it.
    pub latest: Option<Box<LatestData>>,
}

/// What a 412 answered: the current data and its `Etag`. Its `Debug` shows
/// neither the data (personal data) nor more than its size.
#[derive(Clone, PartialEq)]
pub struct LatestData {
    pub etag: Option<String>,
    pub body: serde_json::Value,
}

impl fmt::Debug for LatestData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatestData")
            .field("etag", &self.etag)
            .field("body", &format_args!("<{} bytes>", self.body.to_string().len()))
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = http::StatusCode::from_u16(self.status).ok().and_then(|s| s.canonical_reason());
        write!(f, "PassFort answered {} {} to {} {}", self.status, reason.unwrap_or(""), self.method, self.path)?;
        for (index, detail) in self.errors.iter().enumerate() {
            f.write_str(if index == 0 { ": " } else { "; " })?;
            fmt::Display::fmt(detail, f)?;
        }
        if let Some(snippet) = &self.body_snippet {
            write!(f, ": body starts {snippet:?}")?;
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {wait:?})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl Error {
    /// The API error, when PassFort answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The HTTP status PassFort answered with, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the request may have reached PassFort and had an effect there:
    /// the connection broke or timed out after the request was written, or a
    /// gateway answered 502/503/504 in PassFort's stead. A check creation that
    /// ends like this is ambiguous: it must be reconciled, never blindly re-sent.
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Error::Timeout { request_sent, .. } | Error::Connection { request_sent, .. } => *request_sent,
            Error::Api(api) => matches!(api.status, 500 | 502 | 503 | 504),
            Error::Decode { .. } | Error::AmbiguousCheckCreation { .. } | Error::AmbiguousCreation { .. } => true,
            Error::InvalidArgument(_)
            | Error::Config(_)
            | Error::WaitTimeout { .. }
            | Error::Webhook { .. }
            | Error::UpdateConflict { .. }
            | Error::PatchFailed { .. }
            | Error::Redirect { .. }
            | Error::Closed => false,
        }
    }

    /// The underlying failure, for a connection error or a timeout.
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Error::Connection { cause, .. } => Some(*cause),
            Error::Timeout { .. } => Some(Cause::TimedOut),
            _ => None,
        }
    }

    /// A stable name for the kind of error, the same in every language: the
    /// bindings choose their exception class by it (see [`Error::CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Api(api) => api.kind.code(),
            Error::Timeout { .. } => "timeout",
            Error::Connection { .. } => "connection",
            Error::Decode { .. } => "decode",
            Error::Redirect { .. } => "redirect",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::Config(_) => "configuration",
            Error::WaitTimeout { .. } => "wait_timeout",
            Error::AmbiguousCheckCreation { .. } => "ambiguous_check_creation",
            Error::AmbiguousCreation { .. } => "ambiguous_creation",
            Error::UpdateConflict { .. } => "update_conflict",
            Error::PatchFailed { .. } => "patch_failed",
            Error::Webhook { .. } => "webhook",
            Error::Closed => "closed",
        }
    }

    /// Every value [`Error::code`] can take.
    pub const CODES: &'static [&'static str] = &[
        "bad_request",
        "authentication",
        "not_found",
        "conflict",
        "rate_limited",
        "server",
        "api",
        "timeout",
        "connection",
        "decode",
        "redirect",
        "invalid_argument",
        "configuration",
        "wait_timeout",
        "ambiguous_check_creation",
        "ambiguous_creation",
        "update_conflict",
        "patch_failed",
        "webhook",
        "closed",
    ];
}

/// Renders an error with its whole `source()` chain, skipping repeats, so that
/// a message says "connection refused" and not just "error sending request".
pub(crate) fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The start of a body, for error messages: short, on one line.
pub(crate) fn snippet(body: &[u8]) -> String {
    const LIMIT: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(LIMIT)]);
    let mut text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if body.len() > LIMIT {
        text.push('…');
    }
    text
}

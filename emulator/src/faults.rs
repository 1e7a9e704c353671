//! Injected faults (`POST /_emulator/faults`) and the request log, applied to
//! every request under `/4.0`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::api_error::{ApiFailure, UNKNOWN_INTERNAL_ERROR};
use crate::state::{lock, AppState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer `status` with PassFort's error body, without doing the work.
    Status,
    /// Wait `delay`, then handle the request normally.
    Delay,
    /// Close the connection without doing the work.
    DropBefore,
    /// Do the work, then close the connection without answering.
    DropAfterCommit,
}

impl FaultAction {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "status" => Self::Status,
            "delay" => Self::Delay,
            "drop_before" => Self::DropBefore,
            "drop_after_commit" => Self::DropAfterCommit,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Delay => "delay",
            Self::DropBefore => "drop_before",
            Self::DropAfterCommit => "drop_after_commit",
        }
    }
}

#[derive(Clone, Debug)]
pub struct FaultRule {
    pub id: u64,
    /// Upper-case HTTP method, or `*` for any.
    pub method: String,
    /// Path segments; `*` matches any one segment.
    pub path: Vec<String>,
    pub remaining: u32,
    pub action: FaultAction,
    pub status: Option<StatusCode>,
    pub delay: Duration,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl FaultRule {
    /// Reads the admin API's fault body; the error says what is wrong.
    pub fn from_json(body: &Value) -> Result<Self, String> {
        let text = |name: &str| body.get(name).and_then(Value::as_str);
        let method = text("method").ok_or("method is required")?.to_ascii_uppercase();
        let path = text("path").ok_or("path is required")?;
        if !path.starts_with('/') {
            return Err("path must start with /, e.g. /4.0/profiles/*/checks".into());
        }
        let action_name = text("action").ok_or("action is required")?;
        let action = FaultAction::parse(action_name).ok_or("action must be status, delay, drop_before or drop_after_commit")?;
        let times = match body.get("times") {
            None | Some(Value::Null) => 1,
            Some(times) => times.as_u64().filter(|t| *t >= 1 && *t <= u32::MAX as u64).ok_or("times must be a positive integer")? as u32,
        };
        let status = match body.get("status").and_then(Value::as_u64) {
            Some(code) => Some(StatusCode::from_u16(code as u16).map_err(|_| "status must be an HTTP status")?),
            None => None,
        };
        if action == FaultAction::Status && status.is_none() {
            return Err("action status needs a status".into());
        }
        let delay = Duration::from_millis(body.get("delay_ms").and_then(Value::as_u64).unwrap_or(0));
        if action == FaultAction::Delay && delay.is_zero() {
            return Err("action delay needs delay_ms".into());
        }
        let mut headers = Vec::new();
        if let Some(map) = body.get("headers").and_then(Value::as_object) {
            for (name, value) in map {
                let value = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("bad header name {name}"))?;
                let value = HeaderValue::from_str(&value).map_err(|_| format!("bad header value for {name}"))?;
                headers.push((name, value));
            }
        }
        Ok(Self { id: 0, method, path: path.split('/').map(str::to_owned).collect(), remaining: times, action, status, delay, headers })
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method == method) && {
            let segments: Vec<&str> = path.split('/').collect();
            segments.len() == self.path.len()
                && self.path.iter().zip(segments).all(|(pattern, segment)| pattern == "*" || pattern == segment)
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "method": self.method,
            "path": self.path.join("/"),
            "times": self.remaining,
            "action": self.action.name(),
            "status": self.status.map(|s| s.as_u16()),
            "delay_ms": self.delay.as_millis() as u64,
            "headers": self.headers.iter().map(|(n, v)| (n.to_string(), json!(v.to_str().unwrap_or("")))).collect::<Map<_, _>>(),
        })
    }
}

#[derive(Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl Faults {
    pub fn add(&mut self, mut rule: FaultRule) -> Value {
        self.next_id += 1;
        rule.id = self.next_id;
        let json = rule.to_json();
        self.rules.push(rule);
        json
    }

    pub fn list(&self) -> Vec<Value> {
        self.rules.iter().map(FaultRule::to_json).collect()
    }

    /// The first rule matching this request, counted as used.
    fn take(&mut self, method: &str, path: &str) -> Option<FaultRule> {
        let index = self.rules.iter().position(|rule| rule.matches(method, path))?;
        let rule = &mut self.rules[index];
        rule.remaining -= 1;
        let taken = rule.clone();
        if rule.remaining == 0 {
            self.rules.remove(index);
        }
        Some(taken)
    }
}

/// Marks a response whose connection must be closed instead of answered.
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

/// Logs every API request and applies the first matching fault. The work runs
/// in its own task, so that a client that hangs up (a timeout) does not
/// cancel it: PassFort does not notice either. The same holds for the
/// gateway timeout: a request still being handled after it is answered 504
/// (see [`gateway_timeout`]) while its work carries on to the end.
pub async fn faults_and_log(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if !(path == "/4.0" || path.starts_with("/4.0/")) {
        return next.run(request).await;
    }
    let method = request.method().as_str().to_owned();
    let query = request.uri().query().map(redact_search);
    let fault = lock(&state.faults).take(&method, &path);
    let entry = lock(&state.requests).begin(&method, &path, query, fault.as_ref().map(|f| f.action.name()));
    let gateway = state.settings().gateway_timeout;
    let worker_state = state.clone();
    let work = tokio::spawn(async move {
        let response = match &fault {
            None => next.run(request).await,
            Some(fault) => apply(fault, request, next).await,
        };
        let status = response.extensions().get::<DropConnection>().is_none().then(|| response.status().as_u16());
        lock(&worker_state.requests).finish(entry, status);
        response
    });
    match tokio::time::timeout(gateway, work).await {
        Ok(done) => done.unwrap_or_else(|_| {
            ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, UNKNOWN_INTERNAL_ERROR, "Emulator handler failed").into_response()
        }),
        // The JoinHandle is dropped, not the task: the work goes on.
        Err(_elapsed) => {
            lock(&state.requests).gateway_timeout(entry);
            gateway_timeout()
        }
    }
}

/// The body of a gateway timeout [A]. PassFort's API "has a timeout of 60
/// seconds" [C]; what a caller then receives is not documented. The timeout
/// is a gateway's (a load balancer or proxy in front of the application), and
/// a gateway knows nothing of PassFort's error format: so the emulator answers
/// what common gateways answer, a 504 with a small HTML page (nginx's own
/// words), not PassFort's JSON error body. A client must treat the 504 by
/// its status alone; one that insists on the JSON body fails here, in a test,
/// rather than in production.
pub const GATEWAY_TIMEOUT_BODY: &str =
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n";

fn gateway_timeout() -> Response {
    let mut response = (StatusCode::GATEWAY_TIMEOUT, GATEWAY_TIMEOUT_BODY).into_response();
    response.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

async fn apply(fault: &FaultRule, request: Request, next: Next) -> Response {
    match fault.action {
        FaultAction::Status => {
            let status = fault.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut failure = ApiFailure::new(status, UNKNOWN_INTERNAL_ERROR, format!("Injected fault: {status}"));
            for (name, value) in &fault.headers {
                failure.headers.insert(name.clone(), value.clone());
            }
            failure.into_response()
        }
        FaultAction::Delay => {
            tokio::time::sleep(fault.delay).await;
            next.run(request).await
        }
        FaultAction::DropBefore => dropped(),
        FaultAction::DropAfterCommit => {
            drop(next.run(request).await);
            dropped()
        }
    }
}

fn dropped() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

/// The query as logged: a profile search (`q=`) holds names, so its value is
/// replaced by its length; paging and mode parameters are kept as sent.
fn redact_search(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("q", value)) => format!("q=<{} bytes>", value.len()),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod redaction_tests {
    #[test]
    fn searches_are_logged_by_length_only() {
        assert_eq!(super::redact_search("q=Ada%20Smith&limit=100&offset=0"), "q=<11 bytes>&limit=100&offset=0");
        assert_eq!(super::redact_search("mode=sync"), "mode=sync");
    }
}

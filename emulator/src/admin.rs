//! The admin API for tests, outside `/4.0`.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::faults::FaultRule;
use crate::state::{lock, AppState};
use crate::webhooks::WebhookConfig;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reset", post(reset))
        .route("/config", put(set_config).get(get_config))
        .route("/script", post(script))
        .route("/faults", post(add_fault).delete(clear_faults).get(list_faults))
        .route("/checks", get(all_checks))
        .route("/requests", get(requests))
        .route("/idle", get(idle))
        .route("/quiesce", get(quiesce))
        .route("/webhook", put(set_webhook))
        .route("/webhook/deliveries", get(deliveries))
}

fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message.into() }))).into_response()
}

fn parse(body: &[u8]) -> Result<Value, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(bad_request("the body must be a JSON object")),
        Err(error) => Err(bad_request(format!("malformed JSON: {error}"))),
    }
}

async fn reset(State(state): State<AppState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

fn settings_json(state: &AppState) -> Value {
    let settings = state.settings();
    json!({
        "sync_timeout_ms": settings.sync_timeout.as_millis() as u64,
        "provider_latency_ms": settings.provider_latency.as_millis() as u64,
    })
}

async fn get_config(State(state): State<AppState>) -> Json<Value> {
    Json(settings_json(&state))
}

async fn set_config(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let millis = |name: &str| -> Result<Option<Duration>, Response> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(|ms| Some(Duration::from_millis(ms)))
                .ok_or_else(|| bad_request(format!("{name} must be a non-negative integer"))),
        }
    };
    match (millis("sync_timeout_ms"), millis("provider_latency_ms")) {
        (Ok(sync), Ok(latency)) => {
            state.configure(sync, latency);
            Json(settings_json(&state)).into_response()
        }
        (Err(response), _) | (_, Err(response)) => response,
    }
}

async fn script(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let (Some(profile_id), Some(check_type)) =
        (body.get("profile_id").and_then(Value::as_str), body.get("check_type").and_then(Value::as_str))
    else {
        return bad_request("profile_id and check_type are required strings");
    };
    let results: Option<Vec<String>> =
        body.get("results").and_then(Value::as_array).and_then(|list| list.iter().map(|r| r.as_str().map(str::to_owned)).collect());
    let Some(results) = results else {
        return bad_request("results must be a non-empty list of strings");
    };
    let latency_ms = match body.get("latency_ms") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(ms) => Some(ms),
            None => return bad_request("latency_ms must be a non-negative integer"),
        },
    };
    match state.script(profile_id, check_type, results, latency_ms) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response(),
    }
}

async fn add_fault(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    match FaultRule::from_json(&body) {
        Ok(rule) => (StatusCode::CREATED, Json(lock(&state.faults).add(rule))).into_response(),
        Err(message) => bad_request(message),
    }
}

async fn list_faults(State(state): State<AppState>) -> Json<Vec<Value>> {
    Json(lock(&state.faults).list())
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    *lock(&state.faults) = Default::default();
    StatusCode::NO_CONTENT
}

async fn all_checks(State(state): State<AppState>) -> Json<Vec<Value>> {
    Json(state.all_checks())
}

async fn requests(State(state): State<AppState>) -> Json<Vec<Value>> {
    Json(lock(&state.requests).to_json())
}

async fn idle(State(state): State<AppState>) -> Json<Value> {
    Json(lock(&state.requests).activity().to_json())
}

/// `idle_ms` when a quiesce does not say.
const DEFAULT_IDLE: Duration = Duration::from_millis(200);
/// `timeout_ms` when a quiesce does not say, and the most it may ask for.
const DEFAULT_QUIESCE_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_QUIESCE_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a quiesce looks again while a request is in flight.
const IN_FLIGHT_TICK: Duration = Duration::from_millis(5);

/// Waits until no API request is in flight and none has begun or finished
/// for `idle_ms`; 200 with `quiescent: true` then, or 504 with
/// `quiescent: false` if `timeout_ms` passes first. Either way the body has
/// the request count, so that a test can cancel something, quiesce, and
/// compare the count with the one it took when it cancelled.
async fn quiesce(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let (mut idle_for, mut timeout) = (DEFAULT_IDLE, DEFAULT_QUIESCE_TIMEOUT);
    for pair in query.as_deref().unwrap_or("").split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let target = match name {
            "idle_ms" => &mut idle_for,
            "timeout_ms" => &mut timeout,
            _ => return bad_request(format!("unknown parameter {name}: quiesce takes idle_ms and timeout_ms")),
        };
        match value.parse::<u64>() {
            Ok(ms) => *target = Duration::from_millis(ms),
            Err(_) => return bad_request(format!("{name} must be a non-negative integer (milliseconds)")),
        }
    }
    if timeout > MAX_QUIESCE_TIMEOUT {
        return bad_request(format!("timeout_ms must be at most {}", MAX_QUIESCE_TIMEOUT.as_millis()));
    }
    let started = Instant::now();
    let deadline = started + timeout;
    loop {
        let activity = lock(&state.requests).activity();
        let quiescent = activity.in_flight == 0 && activity.idle >= idle_for;
        let now = Instant::now();
        if quiescent || now >= deadline {
            let mut body = activity.to_json();
            body["quiescent"] = json!(quiescent);
            body["waited_ms"] = json!(now.duration_since(started).as_millis() as u64);
            let status = if quiescent { StatusCode::OK } else { StatusCode::GATEWAY_TIMEOUT };
            return (status, Json(body)).into_response();
        }
        // Idle now: nothing can change the answer before the window is up but a new request, which
        // restarts it anyway; so sleep to the end of the window and look again.
        let nap = if activity.in_flight > 0 { IN_FLIGHT_TICK } else { idle_for - activity.idle };
        tokio::time::sleep(nap.min(deadline - now)).await;
    }
}

async fn set_webhook(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let url = match body.get("url") {
        None | Some(Value::Null) => {
            state.webhooks.configure(None);
            return StatusCode::NO_CONTENT.into_response();
        }
        Some(Value::String(url)) if url.starts_with("http://") || url.starts_with("https://") => url.clone(),
        Some(_) => return bad_request("url must be an http(s) URL, or null to turn webhooks off"),
    };
    let Some(secret) = body.get("secret").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
        return bad_request("secret is required");
    };
    let events = match body.get("events") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => match list.iter().map(|e| e.as_str().map(str::to_owned)).collect() {
            Some(events) => Some(events),
            None => return bad_request("events must be a list of strings"),
        },
        Some(_) => return bad_request("events must be a list of strings"),
    };
    let batching = body.get("batching").and_then(Value::as_bool).unwrap_or(false);
    state.webhooks.configure(Some(WebhookConfig { url, secret: secret.to_owned(), batching, events }));
    StatusCode::NO_CONTENT.into_response()
}

async fn deliveries(State(state): State<AppState>) -> Json<Vec<Value>> {
    Json(state.webhooks.deliveries())
}

//! The admin API for tests, outside `/4.0`.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::catalog::Product;
use crate::faults::FaultRule;
use crate::ratelimit::{LimitedEndpoint, RateLimit};
use crate::state::{lock, AppState};
use crate::webhooks::{WebhookConfig, MAX_BATCH_WINDOW};

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
        .route("/webhook/events", get(event_table))
        .route("/products", put(set_products).get(get_products))
        .route("/profiles/{profile_id}/risk", post(trigger_risk))
        .route("/profiles/{profile_id}/manual_action", post(trigger_manual_action))
        .route("/profiles/{profile_id}/collected_data/after_next_read", post(change_after_next_read))
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

pub fn settings_json(state: &AppState) -> Value {
    let settings = state.settings();
    let limit = |endpoint| match state.rate_limits.limit(endpoint) {
        Some(RateLimit { per_hour, burst }) => json!({ "per_hour": per_hour, "burst": burst }),
        None => Value::Null,
    };
    json!({
        "sync_timeout_ms": settings.sync_timeout.as_millis() as u64,
        "provider_latency_ms": settings.provider_latency.as_millis() as u64,
        "gateway_timeout_ms": settings.gateway_timeout.as_millis() as u64,
        "webhook_batch_window_ms": state.webhooks.batch_window().as_millis() as u64,
        "rate_limits": {
            "profiles": limit(LimitedEndpoint::Profiles),
            "collected_data": limit(LimitedEndpoint::CollectedData),
        },
    })
}

async fn get_config(State(state): State<AppState>) -> Json<Value> {
    Json(settings_json(&state))
}

/// A change of run-time settings: what `PUT /_emulator/config` and
/// `Emulator::configure_with` take. `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigChange {
    /// How long a sync run waits before answering RUNNING (PassFort: 120 s).
    pub sync_timeout: Option<Duration>,
    /// How long the provider takes per check.
    pub provider_latency: Option<Duration>,
    /// When a request still being handled is answered 504 (PassFort: 60 s); at least 1 ms.
    pub gateway_timeout: Option<Duration>,
    /// How long a batch of webhooks gathers events, 0 to 10 s.
    pub webhook_batch_window: Option<Duration>,
    /// `Some(None)` turns the `POST /profiles` limit off; `Some(Some(limit))` sets it (a full bucket).
    pub profiles_rate_limit: Option<Option<RateLimit>>,
    /// The same for `POST /profiles/{pid}/collected_data`.
    pub collected_data_rate_limit: Option<Option<RateLimit>>,
}

impl ConfigChange {
    /// Reads `PUT /_emulator/config`'s body; the error says what is wrong.
    pub fn from_json(body: &Value) -> Result<Self, String> {
        let millis = |name: &str| -> Result<Option<Duration>, String> {
            match body.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => {
                    value.as_u64().map(|ms| Some(Duration::from_millis(ms))).ok_or_else(|| format!("{name} must be a non-negative integer"))
                }
            }
        };
        let mut change = Self {
            sync_timeout: millis("sync_timeout_ms")?,
            provider_latency: millis("provider_latency_ms")?,
            gateway_timeout: millis("gateway_timeout_ms")?,
            webhook_batch_window: millis("webhook_batch_window_ms")?,
            ..Self::default()
        };
        match body.get("rate_limits") {
            None | Some(Value::Null) => {}
            Some(Value::Object(limits)) => {
                for (name, value) in limits {
                    let endpoint = LimitedEndpoint::ALL
                        .into_iter()
                        .find(|endpoint| endpoint.name() == name)
                        .ok_or_else(|| format!("unknown rate limit {name}: use profiles or collected_data"))?;
                    let limit = match value {
                        Value::Null => None,
                        value => Some(rate_limit(value).ok_or_else(|| {
                            format!("rate_limits.{name} must be null or {{\"per_hour\": n, \"burst\": n}} with positive integers")
                        })?),
                    };
                    match endpoint {
                        LimitedEndpoint::Profiles => change.profiles_rate_limit = Some(limit),
                        LimitedEndpoint::CollectedData => change.collected_data_rate_limit = Some(limit),
                    }
                }
            }
            Some(_) => return Err("rate_limits must be an object with profiles and/or collected_data".into()),
        }
        change.validate()?;
        Ok(change)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.gateway_timeout.is_some_and(|timeout| timeout.is_zero()) {
            return Err("gateway_timeout_ms must be at least 1".into());
        }
        if self.webhook_batch_window.is_some_and(|window| window > MAX_BATCH_WINDOW) {
            return Err(format!("webhook_batch_window_ms must be 0 to {}", MAX_BATCH_WINDOW.as_millis()));
        }
        Ok(())
    }

    /// Applies the change, all or nothing.
    pub fn apply(&self, state: &AppState) -> Result<(), String> {
        self.validate()?;
        state.configure(self.sync_timeout, self.provider_latency);
        if let Some(timeout) = self.gateway_timeout {
            lock(&state.settings).gateway_timeout = timeout;
        }
        if let Some(window) = self.webhook_batch_window {
            state.webhooks.set_batch_window(window)?;
        }
        if let Some(limit) = self.profiles_rate_limit {
            state.rate_limits.set(LimitedEndpoint::Profiles, limit);
        }
        if let Some(limit) = self.collected_data_rate_limit {
            state.rate_limits.set(LimitedEndpoint::CollectedData, limit);
        }
        Ok(())
    }
}

fn rate_limit(value: &Value) -> Option<RateLimit> {
    let number = |name| value.get(name)?.as_u64().filter(|n| (1..=u32::MAX as u64).contains(n)).map(|n| n as u32);
    Some(RateLimit { per_hour: number("per_hour")?, burst: number("burst")? })
}

async fn set_config(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    match ConfigChange::from_json(&body).and_then(|change| change.apply(&state)) {
        Ok(()) => Json(settings_json(&state)).into_response(),
        Err(message) => bad_request(message),
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

/// The event table (`webhooks::EVENTS`): name, whether the name is published, deprecated, cause, data.
async fn event_table() -> Json<Vec<Value>> {
    Json(
        crate::webhooks::EVENTS
            .iter()
            .map(|event| {
                json!({
                    "event": event.name,
                    "name_confirmed": event.name_confirmed,
                    "deprecated": event.deprecated,
                    "cause": event.cause,
                    "data": event.data,
                })
            })
            .collect(),
    )
}

fn product_json(product: &Product) -> Value {
    json!({
        "id": product.id(),
        "alias": product.alias,
        "name": product.name,
        "entity_type": product.entity_type,
        "required_tasks": product.required_tasks,
    })
}

async fn get_products(State(state): State<AppState>) -> Json<Vec<Value>> {
    Json(lock(&state.store).products().iter().map(product_json).collect())
}

/// Reads `{"products": [{alias, name, entity_type, required_tasks}]}`, or
/// `{"products": null}` for the built-in catalogue.
pub fn products_from_json(body: &Value) -> Result<Option<Vec<Product>>, String> {
    let list = match body.get("products") {
        None => return Err("products is required: a list, or null for the built-in catalogue".into()),
        Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(_) => return Err("products must be a list, or null for the built-in catalogue".into()),
    };
    let mut products: Vec<Product> = Vec::new();
    for (index, item) in list.iter().enumerate() {
        let text = |name: &str| item.get(name).and_then(Value::as_str).filter(|text| !text.is_empty());
        let (Some(alias), Some(name)) = (text("alias"), text("name")) else {
            return Err(format!("products[{index}] needs a non-empty alias and name"));
        };
        let entity_type = match text("entity_type") {
            Some(kind @ ("INDIVIDUAL" | "COMPANY")) => kind,
            _ => return Err(format!("products[{index}].entity_type must be INDIVIDUAL or COMPANY")),
        };
        let required_tasks: Option<Vec<String>> = match item.get("required_tasks") {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(tasks)) => tasks.iter().map(|task| task.as_str().map(str::to_owned)).collect(),
            Some(_) => None,
        };
        let Some(required_tasks) = required_tasks else {
            return Err(format!("products[{index}].required_tasks must be a list of task types"));
        };
        if products.iter().any(|product| product.alias == alias) {
            return Err(format!("products[{index}]: alias {alias} appears twice"));
        }
        products.push(Product { alias: alias.into(), name: name.into(), entity_type: entity_type.into(), required_tasks });
    }
    Ok(Some(products))
}

/// Replaces the product catalogue applications are made from; answers it.
async fn set_products(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    match products_from_json(&body) {
        Ok(products) => {
            lock(&state.store).products = products;
            get_products(State(state)).await.into_response()
        }
        Err(message) => bad_request(message),
    }
}

/// A profile's risk as set through the admin API (PassFort computes it from
/// its risk model, which the emulator does not have).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Risk {
    pub level: Option<String>,
    pub score: Option<f64>,
}

/// The risk levels of PassFort's `RiskLevelCategory`.
pub const RISK_LEVELS: &[&str] = &["LOW", "MEDIUM", "HIGH", "UNDETERMINED"];

/// Sets a profile's risk level and/or score; sends RISK_LEVEL_CHANGED and
/// RISK_SCORE_CHANGED for what changed. Answers the risk now in force.
pub fn set_risk(state: &AppState, profile_id: &str, level: Option<String>, score: Option<f64>) -> Result<Risk, (StatusCode, String)> {
    if let Some(level) = level.as_deref().filter(|level| !RISK_LEVELS.contains(level)) {
        return Err((StatusCode::BAD_REQUEST, format!("level {level} is not one of {}", RISK_LEVELS.join(", "))));
    }
    if score.is_some_and(|score| !score.is_finite()) {
        return Err((StatusCode::BAD_REQUEST, "score must be a finite number".into()));
    }
    let customer_ref = customer_ref(state, profile_id)?;
    let (old, new) = {
        let mut risks = lock(&state.risks);
        let risk = risks.entry(profile_id.to_owned()).or_default();
        let old = risk.clone();
        if level.is_some() {
            risk.level = level;
        }
        if score.is_some() {
            risk.score = score;
        }
        (old, risk.clone())
    };
    let base = json!({ "profile_id": profile_id, "customer_ref": customer_ref });
    if new.level != old.level {
        let mut data = base.clone();
        data["new_risk_level"] = json!(new.level);
        data["old_risk_level"] = json!(old.level);
        state.webhooks.emit("RISK_LEVEL_CHANGED", data);
    }
    if new.score != old.score {
        let mut data = base;
        data["new_risk_score"] = json!(new.score);
        data["old_risk_score"] = json!(old.score);
        state.webhooks.emit("RISK_SCORE_CHANGED", data);
    }
    Ok(new)
}

fn customer_ref(state: &AppState, profile_id: &str) -> Result<Option<String>, (StatusCode, String)> {
    let store = lock(&state.store);
    let profile = store.profiles.get(profile_id).ok_or_else(|| (StatusCode::NOT_FOUND, format!("no profile {profile_id}")))?;
    Ok(profile.customer_ref.clone())
}

fn failed((status, message): (StatusCode, String)) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn trigger_risk(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let level = match body.get("level") {
        None | Some(Value::Null) => None,
        Some(Value::String(level)) => Some(level.clone()),
        Some(_) => return bad_request(format!("level must be one of {}", RISK_LEVELS.join(", "))),
    };
    let score = match body.get("score") {
        None | Some(Value::Null) => None,
        Some(score) => match score.as_f64() {
            Some(score) => Some(score),
            None => return bad_request("score must be a number"),
        },
    };
    if level.is_none() && score.is_none() {
        return bad_request("give level and/or score");
    }
    match set_risk(&state, &profile_id, level, score) {
        Ok(risk) => Json(json!({ "profile_id": profile_id, "level": risk.level, "score": risk.score })).into_response(),
        Err(failure) => failed(failure),
    }
}

/// Sends MANUAL_ACTION_REQUIRED for a profile, with the data the emulator
/// sends when a check needs a human (`check` null): about `application_id`,
/// or the profile's first application, or none. Answers the data sent.
pub fn manual_action(state: &AppState, profile_id: &str, application_id: Option<&str>) -> Result<Value, (StatusCode, String)> {
    let data = {
        let store = lock(&state.store);
        let profile = store.profiles.get(profile_id).ok_or_else(|| (StatusCode::NOT_FOUND, format!("no profile {profile_id}")))?;
        let application = match application_id {
            Some(id) => Some(
                profile
                    .applications
                    .iter()
                    .find(|application| application.id == id)
                    .ok_or_else(|| (StatusCode::NOT_FOUND, format!("no application {id} on profile {profile_id}")))?,
            ),
            None => profile.applications.first(),
        };
        json!({
            "profile_id": profile_id,
            "customer_ref": profile.customer_ref,
            "application_id": application.map(|a| a.id.clone()),
            "product": application.map(|a| json!({ "alias": a.product.alias, "id": a.product.id(), "name": a.product.name })),
            "check": null,
        })
    };
    state.webhooks.emit("MANUAL_ACTION_REQUIRED", data.clone());
    Ok(data)
}

async fn trigger_manual_action(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> Response {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match parse(&body) {
            Ok(body) => body,
            Err(response) => return response,
        }
    };
    let application_id = match body.get("application_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.as_str()),
        Some(_) => return bad_request("application_id must be a string"),
    };
    match manual_action(&state, &profile_id, application_id) {
        Ok(data) => Json(json!({ "event": "MANUAL_ACTION_REQUIRED", "data": data })).into_response(),
        Err(failure) => failed(failure),
    }
}

/// Queues a change (a JSON Merge Patch object) to the profile's collected
/// data, made right after its next read: as if another writer wrote between
/// that reader's read and its write. 204, or 404 for an unknown profile.
async fn change_after_next_read(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> Response {
    let change = match parse(&body) {
        Ok(change @ Value::Object(_)) => change,
        Ok(_) => return bad_request("the change must be a JSON Merge Patch object"),
        Err(response) => return response,
    };
    if let Err(failure) = customer_ref(&state, &profile_id) {
        return failed(failure);
    }
    lock(&state.after_next_read).insert(profile_id, change);
    StatusCode::NO_CONTENT.into_response()
}

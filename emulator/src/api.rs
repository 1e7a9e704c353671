//! The PassFort 4.0 endpoints, served under `/4.0`.

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::api_error::{parse_body, ApiFailure, INVALID_API_KEY, MISSING_API_KEY};
use crate::catalog;
use crate::engine::{self, CheckOrder};
use crate::resources;
use crate::state::{lock, AppState};
use crate::store::{ProfileRecord, TaskRecord};

type ApiResult = Result<Response, ApiFailure>;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/profiles", get(list_profiles).post(create_profile))
        .route("/profiles/{profile_id}", get(get_profile))
        .route("/profiles/{profile_id}/checks", get(list_checks).post(run_check))
        .route("/profiles/{profile_id}/checks/{check_id}", get(get_check).post(resources::update_task_ids))
        .route("/profiles/{profile_id}/tasks", get(list_tasks).post(resources::add_task))
        .route("/profiles/{profile_id}/tasks/{task_id}", get(get_task).post(update_task))
        .merge(resources::router())
        .fallback(|| async { ApiFailure::new(StatusCode::NOT_FOUND, 201, "No such endpoint") })
        .layer(middleware::from_fn_with_state(state, authenticate))
}

/// `apikey` header (or the `?apikey=` query form the API also accepts):
/// 401 with code 203 when missing, 204 when wrong. Adds a request id [A].
async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let header_key = request.headers().get("apikey").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let query_key = Query::<std::collections::HashMap<String, String>>::try_from_uri(request.uri())
        .ok()
        .and_then(|Query(mut query)| query.remove("apikey"));
    let mut response = match header_key.or(query_key) {
        None => ApiFailure::new(StatusCode::UNAUTHORIZED, MISSING_API_KEY, "Missing API key").into_response(),
        Some(key) if key != state.initial.api_key => {
            ApiFailure::new(StatusCode::UNAUTHORIZED, INVALID_API_KEY, "Invalid API key").into_response()
        }
        Some(_) => next.run(request).await,
    };
    if let Ok(id) = HeaderValue::from_str(&Uuid::new_v4().to_string()) {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

async fn whoami(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "auditee_name": "Emulator User",
        "institution": {
            "id": crate::store::variant_id("institution", &state.initial.institution_name),
            "name": state.initial.institution_name,
            "logo_url": null,
        },
        "user": {
            "id": crate::store::variant_id("user", "emulator"),
            "name": "Emulator User",
            "email": "user@emulator.invalid",
        },
    }))
}

async fn create_profile(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let rate_headers = state.rate_limits.check(crate::ratelimit::LimitedEndpoint::Profiles)?;
    let body = parse_body(&body)?;
    let role = match body.get("role") {
        None | Some(Value::Null) => return Err(ApiFailure::missing("role")),
        Some(Value::String(role)) => role.clone(),
        Some(_) => return Err(ApiFailure::invalid("role must be a string")),
    };
    let task_types = catalog::tasks_for_role(&role)
        .ok_or_else(|| ApiFailure::invalid(format!("Unknown role {role}")).with_info(json!({ "field": "role" })))?;
    let collected_data =
        resources::checked_collected_data(body.get("collected_data"), catalog::entity_type_for_role(&role), "collected_data")?;
    let customer_ref = match body.get("customer_ref") {
        None | Some(Value::Null) => None,
        Some(Value::String(reference)) => Some(reference.clone()),
        Some(_) => return Err(ApiFailure::invalid("customer_ref must be a string").with_info(json!({ "field": "customer_ref" }))),
    };
    let requested_applications = match body.get("applications") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.clone(),
        Some(_) => return Err(ApiFailure::invalid("applications must be a list").with_info(json!({ "field": "applications" }))),
    };
    let mut profile = ProfileRecord::new(role, collected_data, customer_ref, task_types, Utc::now());
    profile.audit("created-profile", "Created the profile", json!({}));
    let mut store = lock(&state.store);
    // Applications named on creation [A: as POST .../applications, each announced].
    let products = store.products();
    let mut applied = Vec::new();
    for (index, request) in requested_applications.iter().enumerate() {
        applied.push(resources::apply_for(&mut profile, &products, request, &format!("applications[{index}]"))?);
    }
    let answer = profile.to_json();
    let (profile_id, customer_ref) = (profile.id.clone(), profile.customer_ref.clone());
    store.order.push(profile.id.clone());
    store.profiles.insert(profile.id.clone(), profile);
    drop(store);
    for applied in applied {
        applied.announce(&state, &profile_id, &customer_ref);
    }
    Ok((rate_headers, Json(answer)).into_response())
}

#[derive(Deserialize)]
struct ProfileListQuery {
    q: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// Default page size when `limit` is not sent [A].
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 200;

async fn list_profiles(State(state): State<AppState>, Query(query): Query<ProfileListQuery>) -> ApiResult {
    let number = |name: &str, text: &Option<String>, default: usize| -> Result<usize, ApiFailure> {
        match text {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| ApiFailure::invalid(format!("{name} must be a whole number"))),
        }
    };
    let limit = number("limit", &query.limit, DEFAULT_PAGE_SIZE)?;
    let offset = number("offset", &query.offset, 0)?;
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(ApiFailure::invalid(format!("limit must be 1 to {MAX_PAGE_SIZE}")));
    }
    let needle = query.q.as_deref().map(str::to_lowercase).filter(|q| !q.is_empty());
    let store = lock(&state.store);
    let matching: Vec<&ProfileRecord> = store
        .order
        .iter()
        .filter_map(|id| store.profiles.get(id))
        .filter(|profile| match &needle {
            None => true,
            // PassFort searches names and tags.
            Some(needle) => {
                profile.display_name().is_some_and(|name| name.to_lowercase().contains(needle))
                    || profile.tags.iter().any(|tag| tag.name.to_lowercase().contains(needle))
            }
        })
        .collect();
    let results: Vec<Value> = matching.iter().skip(offset).take(limit).map(|p| p.to_json()).collect();
    let page = json!({
        "count": matching.len(),
        "limit": limit,
        "offset": offset,
        "results": results,
        "associated_results": [],
    });
    Ok(Json(page).into_response())
}

fn with_profile<T>(
    state: &AppState,
    profile_id: &str,
    read: impl FnOnce(&ProfileRecord) -> Result<T, ApiFailure>,
) -> Result<T, ApiFailure> {
    let store = lock(&state.store);
    let profile = store.profiles.get(profile_id).ok_or_else(|| ApiFailure::not_found("Profile", profile_id))?;
    read(profile)
}

async fn get_profile(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile(&state, &profile_id, |profile| Ok(Json(profile.to_json()).into_response()))
}

async fn list_checks(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile(&state, &profile_id, |profile| {
        let checks: Vec<Value> = profile.checks.iter().map(|c| c.to_json(&profile.role)).collect();
        Ok(Json(checks).into_response())
    })
}

async fn get_check(State(state): State<AppState>, Path((profile_id, check_id)): Path<(String, String)>) -> ApiResult {
    with_profile(&state, &profile_id, |profile| {
        let check = profile.check(&check_id).ok_or_else(|| ApiFailure::not_found("Check", &check_id))?;
        Ok(Json(check.to_json(&profile.role)).into_response())
    })
}

#[derive(Deserialize)]
struct RunCheckQuery {
    mode: Option<String>,
}

async fn run_check(
    State(state): State<AppState>,
    Path(profile_id): Path<String>,
    Query(query): Query<RunCheckQuery>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let order = CheckOrder::from_body(&body)?;
    let sync = match query.mode.as_deref() {
        Some("sync") => true,
        Some("async") => false,
        None => catalog::runs_sync_by_default(&order.check_type),
        Some(other) => return Err(ApiFailure::invalid(format!("mode must be sync or async, not {other}"))),
    };
    let (check, done) = engine::instruct(&state, &profile_id, order)?;
    if !sync {
        return Ok(Json(check).into_response());
    }
    let check_id = check["id"].as_str().unwrap_or_default().to_owned();
    let check = engine::wait_for_sync(&state, &profile_id, &check_id, done).await.unwrap_or(check);
    Ok(Json(check).into_response())
}

async fn list_tasks(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile(&state, &profile_id, |profile| Ok(Json(profile.tasks.iter().map(TaskRecord::to_json).collect::<Vec<_>>()).into_response()))
}

async fn get_task(State(state): State<AppState>, Path((profile_id, task_id)): Path<(String, String)>) -> ApiResult {
    with_profile(&state, &profile_id, |profile| {
        let task = profile.task(&task_id).ok_or_else(|| ApiFailure::not_found("Task", &task_id))?;
        Ok(Json(task.to_json()).into_response())
    })
}

/// Completes a task: `{"state": "COMPLETED_PASS"|"COMPLETED_FAIL"}`, or the
/// legacy `{"is_complete": true}` meaning COMPLETED_PASS.
async fn update_task(State(state): State<AppState>, Path((profile_id, task_id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let new_state = match (body.get("state"), body.get("is_complete")) {
        (Some(Value::String(s)), _) if s == "COMPLETED_PASS" => "COMPLETED_PASS",
        (Some(Value::String(s)), _) if s == "COMPLETED_FAIL" => "COMPLETED_FAIL",
        (Some(other), _) if !other.is_null() => {
            return Err(ApiFailure::invalid(format!("Invalid task state {other}; use COMPLETED_PASS or COMPLETED_FAIL"))
                .with_info(json!({ "field": "state" })))
        }
        (_, Some(Value::Bool(true))) => "COMPLETED_PASS",
        (_, Some(_)) => return Err(ApiFailure::invalid("is_complete can only be set to true")),
        _ => return Err(ApiFailure::missing("state")),
    };
    let (task, changed, customer_ref) = {
        let mut store = lock(&state.store);
        let profile = store.profiles.get_mut(&profile_id).ok_or_else(|| ApiFailure::not_found("Profile", &profile_id))?;
        let customer_ref = profile.customer_ref.clone();
        let task = profile.tasks.iter_mut().find(|task| task.id == task_id).ok_or_else(|| ApiFailure::not_found("Task", &task_id))?;
        let changed = task.state != new_state;
        task.state = new_state;
        let answer = task.to_json();
        if changed {
            profile.audit("completed-a-task", format!("Completed the task as {new_state}"), json!({ "task_id": task_id }));
        }
        (answer, changed, customer_ref)
    };
    if changed {
        state.webhooks.emit(
            "TASK_STATE_CHANGED",
            json!({
                "profile_id": profile_id,
                "customer_ref": customer_ref,
                "task": { "id": task["id"], "type": task["type"], "state": task["state"] },
            }),
        );
    }
    Ok(Json(task).into_response())
}

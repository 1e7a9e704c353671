//! A profile's status, tags, collection steps and audit items; collect API keys.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{emit, field_invalid, parse_any, with_profile_mut};
use crate::api_error::{parse_body, ApiFailure};
use crate::catalog;
use crate::state::{lock, AppState};
use crate::store::{wire_time, TagRecord};
use crate::validate;

type ApiResult = Result<Response, ApiFailure>;

/// The status, as the schema says: a bare `ProfileStatus` string.
pub async fn get_status(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| Ok(Json(&profile.status).into_response()))
}

/// Sets the status: the body is a `ProfileStatus` string, as the schema
/// says, or `{"status": ...}` [A]. SUSPENDED and BANNED block approvals
/// (`SUSPENDED_PROFILE`). A change sends PROFILE_STATUS_CHANGED, which is
/// deprecated, so only when the webhook config lists it.
pub async fn set_status(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_any(&body)?;
    let status = match &body {
        Value::Object(object) => object.get("status").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    if status.is_null() {
        return Err(ApiFailure::missing("status"));
    }
    validate::check("ProfileStatus", &status, "status")?;
    let status = status.as_str().unwrap_or_default().to_owned();
    let (answer, changed, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        let changed = profile.status != status;
        if changed {
            let message = format!("Changed the profile status from {} to {status}", profile.status);
            profile.status = status.clone();
            profile.audit("profile-status-changed", message, json!({ "status": status }));
        }
        Ok((Json(&profile.status).into_response(), changed, profile.customer_ref.clone()))
    })?;
    if changed {
        emit(&state, "PROFILE_STATUS_CHANGED", &profile_id, &customer_ref, json!({ "new_status": status }));
    }
    Ok(answer)
}

/// Adds a tag by `name` (required [A]); a tag's id is the same on every
/// profile [A]. Adding a tag the profile has answers it again.
pub async fn add_tag(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("TagResource", &body, "")?;
    let Some(name) = body.get("name").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned) else {
        return Err(ApiFailure::missing("name"));
    };
    with_profile_mut(&state, &profile_id, |profile| {
        let tag = TagRecord::new(&name);
        let answer = tag.to_json();
        if !profile.tags.iter().any(|t| t.id == tag.id) {
            profile.tags.push(tag);
            profile.audit("added-a-tag", format!("Added the tag {name}"), json!({ "tag_id": answer["id"] }));
        }
        Ok(Json(answer).into_response())
    })
}

/// Removes a tag; answers it.
pub async fn remove_tag(State(state): State<AppState>, Path((profile_id, tag_id)): Path<(String, String)>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        let index = profile.tags.iter().position(|t| t.id == tag_id).ok_or_else(|| ApiFailure::not_found("Tag", &tag_id))?;
        let tag = profile.tags.remove(index);
        profile.audit("removed-a-tag", format!("Removed the tag {}", tag.name), json!({ "tag_id": tag.id }));
        Ok(Json(tag.to_json()).into_response())
    })
}

pub async fn get_steps(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| Ok(Json(&profile.collection_steps).into_response()))
}

/// Replaces the collection steps with a list of `CollectionStep`s. Emptying
/// them completes them all: COLLECTION_STEPS_COMPLETED, deprecated, so only
/// when the webhook config lists it.
pub async fn set_steps(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_any(&body)?;
    let Some(steps) = body.as_array() else {
        return Err(ApiFailure::invalid("The body must be a list of collection steps"));
    };
    for (index, step) in steps.iter().enumerate() {
        validate::check("CollectionStep", step, &format!("[{index}]"))?;
    }
    let (answer, completed, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        let completed = !profile.collection_steps.is_empty() && steps.is_empty();
        profile.collection_steps = steps.clone();
        profile.audit("requested-data", format!("Set {} collection steps", steps.len()), json!({}));
        Ok((Json(&profile.collection_steps).into_response(), completed, profile.customer_ref.clone()))
    })?;
    if completed {
        emit(&state, "COLLECTION_STEPS_COMPLETED", &profile_id, &customer_ref, json!({}));
    }
    Ok(answer)
}

/// Every audit item of the profile, oldest first [A].
pub async fn audit_items(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| Ok(Json(&profile.audit).into_response()))
}

/// A collect key: a made-up key, valid for `catalog::COLLECT_KEY_LIFETIME_HOURS` [A];
/// the emulator's API does not accept it.
fn new_collect_key(profile_count: usize) -> Value {
    json!({
        "name": format!("Collect key for {profile_count} profile(s)"),
        "key": format!("collect_{}", Uuid::new_v4().simple()),
        "expiry": wire_time(Utc::now() + Duration::hours(catalog::COLLECT_KEY_LIFETIME_HOURS)),
    })
}

/// `POST /api_keys/collect` with `{"profile_ids": [...]}`: each must be a known profile.
pub async fn collect_key(State(state): State<AppState>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let ids: Vec<String> = match body.get("profile_ids") {
        None | Some(Value::Null) => return Err(ApiFailure::missing("profile_ids")),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| id.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| field_invalid("profile_ids", "profile_ids must be a list of profile ids"))?,
        Some(_) => return Err(field_invalid("profile_ids", "profile_ids must be a list of profile ids")),
    };
    let mut store = lock(&state.store);
    if let Some((index, unknown)) = ids.iter().enumerate().find(|(_, id)| !store.profiles.contains_key(*id)) {
        return Err(field_invalid(&format!("profile_ids[{index}]"), format!("No profile {unknown}")));
    }
    for id in &ids {
        if let Some(profile) = store.profiles.get_mut(id) {
            profile.audit("requested-data", "Created a collect API key", json!({}));
        }
    }
    Ok(Json(new_collect_key(ids.len())).into_response())
}

pub async fn collect_key_for(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        profile.audit("requested-data", "Created a collect API key", json!({}));
        Ok(Json(new_collect_key(1)).into_response())
    })
}

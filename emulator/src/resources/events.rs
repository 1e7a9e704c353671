//! Profile events (screening matches): list, create, get, resolve, bulk resolve.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::{emit, field_invalid, optional_string, parse_any, with_profile_mut};
use crate::api_error::{parse_body, ApiFailure};
use crate::state::AppState;
use crate::store::{EventRecord, ProfileRecord};
use crate::validate;

type ApiResult = Result<Response, ApiFailure>;

pub async fn list(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        Ok(Json(profile.events.iter().map(EventRecord::to_json).collect::<Vec<_>>()).into_response())
    })
}

pub async fn get(State(state): State<AppState>, Path((profile_id, event_id)): Path<(String, String)>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        Ok(Json(profile.event(&event_id).ok_or_else(|| ApiFailure::not_found("Event", &event_id))?.to_json()).into_response())
    })
}

/// Creates an event from an `EventResource`: `data` (an `EventData`) is
/// required [A]; a `resolution` may be given. Sends EVENTS_CREATED with
/// `{events: [{id, event_type, resolution}]}` [A].
pub async fn create(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("EventResource", &body, "")?;
    let Some(data) = body.get("data").filter(|d| !d.is_null()).cloned() else {
        return Err(ApiFailure::missing("data"));
    };
    let (event, summary, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        let mut event = EventRecord::new(data, None);
        resolve(profile, &mut event, &body, "")?;
        profile.audit("added-event", format!("Added a {} event", event.data["event_type"]), json!({ "event_id": event.id }));
        let answer = (event.to_json(), event.summary(), profile.customer_ref.clone());
        profile.events.push(event);
        Ok(answer)
    })?;
    emit(&state, "EVENTS_CREATED", &profile_id, &customer_ref, json!({ "events": [summary] }));
    Ok(Json(event).into_response())
}

/// Applies the resolution fields of an `EventResource` (under `at`):
/// `resolution` (stamping `resolution_date`), `resolution_reason`,
/// `resolution_task_ids` (tasks of the profile). Other fields, `data`
/// included, are not changed by an update [A].
fn resolve(profile: &ProfileRecord, event: &mut EventRecord, body: &Value, at: &str) -> Result<(), ApiFailure> {
    let field = |name: &str| if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") };
    if let Some(ids) = body.get("resolution_task_ids").and_then(Value::as_array) {
        let ids: Vec<String> = ids.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        if let Some(unknown) = ids.iter().find(|id| profile.task(id).is_none()) {
            return Err(field_invalid(&field("resolution_task_ids"), format!("Task {unknown} is not a task of this profile")));
        }
        event.resolution_task_ids = ids;
    }
    if let Some(reason) =
        optional_string(body, "resolution_reason").map_err(|e| e.with_info(json!({ "field": field("resolution_reason") })))?
    {
        event.resolution_reason = Some(reason);
    }
    if let Some(resolution) = body.get("resolution").and_then(Value::as_str) {
        if resolution != event.resolution {
            event.resolution = resolution.to_owned();
            event.resolution_date = Some(Utc::now());
        }
    }
    Ok(())
}

/// Resolves one event. Sends EVENTS_UPDATED with `{events: [{id, event_type, resolution}]}` [A].
pub async fn update(State(state): State<AppState>, Path((profile_id, event_id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("EventResource", &body, "")?;
    let (answer, summary, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        let index = profile.events.iter().position(|e| e.id == event_id).ok_or_else(|| ApiFailure::not_found("Event", &event_id))?;
        let mut event = profile.events[index].clone();
        resolve(profile, &mut event, &body, "")?;
        let answer = (event.to_json(), event.summary(), profile.customer_ref.clone());
        let resolution = event.resolution.clone();
        profile.events[index] = event;
        profile.audit("event-resolution", format!("Resolved an event as {resolution}"), json!({ "event_id": event_id }));
        Ok(answer)
    })?;
    emit(&state, "EVENTS_UPDATED", &profile_id, &customer_ref, json!({ "events": [summary] }));
    Ok(Json(answer).into_response())
}

/// Resolves several events: a list of `EventResource`s, each with the `id`
/// of an event of the profile. All or nothing [A]; one EVENTS_UPDATED.
pub async fn bulk_update(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_any(&body)?;
    let Some(items) = body.as_array() else {
        return Err(ApiFailure::invalid("The body must be a list of events"));
    };
    for (index, item) in items.iter().enumerate() {
        validate::check("EventResource", item, &format!("[{index}]"))?;
        if item.get("id").and_then(Value::as_str).is_none() {
            return Err(ApiFailure::missing(&format!("[{index}].id")));
        }
    }
    let (answers, summaries, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        let mut updated: Vec<EventRecord> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let id = item["id"].as_str().unwrap_or_default();
            let Some(event) = profile.event(id) else {
                return Err(field_invalid(&format!("[{index}].id"), format!("No event {id} on this profile")));
            };
            // Work on copies, so that a refusal part-way changes nothing.
            let mut copy = updated.iter().position(|e| e.id == id).map(|i| updated.remove(i)).unwrap_or_else(|| event.clone());
            resolve(profile, &mut copy, item, &format!("[{index}]"))?;
            updated.push(copy);
        }
        let answers: Vec<Value> = updated.iter().map(EventRecord::to_json).collect();
        let summaries: Vec<Value> = updated.iter().map(EventRecord::summary).collect();
        for event in updated {
            if let Some(slot) = profile.events.iter_mut().find(|e| e.id == event.id) {
                *slot = event;
            }
        }
        profile.audit(
            "event-bulk-resolution",
            format!("Resolved {} events", answers.len()),
            json!({ "event_ids": summaries.iter().map(|s| s["id"].clone()).collect::<Vec<_>>() }),
        );
        Ok((answers, summaries, profile.customer_ref.clone()))
    })?;
    emit(&state, "EVENTS_UPDATED", &profile_id, &customer_ref, json!({ "events": summaries }));
    Ok(Json(answers).into_response())
}

//! The operations of API 4.0 beyond profiles, checks and tasks: collected
//! data and documents, applications, manual check decisions, task notes,
//! events, status, tags, collection steps, audit items, searches and collect
//! keys. Each group has its own file; `router` joins them.

mod applications;
mod checks;
mod collected;
mod events;
mod profile;
mod search;
mod tasks;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::api_error::ApiFailure;
use crate::state::{lock, AppState};
use crate::store::ProfileRecord;

/// Uploads travel base64 in JSON: a third larger than the limit, and room for the rest.
const UPLOAD_BODY_LIMIT: usize = crate::catalog::MAX_UPLOAD_BYTES / 3 * 4 + 64 * 1024;

pub fn router() -> Router<AppState> {
    let upload_limit = || DefaultBodyLimit::max(UPLOAD_BODY_LIMIT * 2);
    Router::new()
        .route("/profiles/{profile_id}/collected_data", get(collected::get_data).post(collected::replace_data))
        .route("/profiles/{profile_id}/collected_data/documents", post(collected::add_document))
        .route("/profiles/{profile_id}/document_images", get(collected::list_images).post(collected::upload_image).layer(upload_limit()))
        .route("/profiles/{profile_id}/document_images/{image_id}", get(collected::get_image))
        .route("/profiles/{profile_id}/files", post(collected::upload_file).layer(upload_limit()))
        .route("/profiles/{profile_id}/files/{file_id}", get(collected::get_file))
        .route("/profiles/{profile_id}/applications", get(applications::list).post(applications::create))
        .route("/profiles/{profile_id}/applications/{application_id}", get(applications::get).post(applications::update))
        .route("/profiles/{profile_id}/applications/{application_id}/revert_decision", post(applications::revert))
        .route("/profiles/{profile_id}/checks/{check_id}/approve", post(checks::approve))
        .route("/profiles/{profile_id}/checks/{check_id}/reject", post(checks::reject))
        .route("/profiles/{profile_id}/tasks/{task_id}/notes", get(tasks::list_notes).post(tasks::add_note))
        .route("/profiles/{profile_id}/tasks/{task_id}/notes/{note_id}", delete(tasks::delete_note))
        .route("/profiles/{profile_id}/events", get(events::list).post(events::create))
        .route("/profiles/{profile_id}/events/bulk_update", post(events::bulk_update))
        .route("/profiles/{profile_id}/events/{event_id}", get(events::get).post(events::update))
        .route("/profiles/{profile_id}/status", get(profile::get_status).post(profile::set_status))
        .route("/profiles/{profile_id}/tags", post(profile::add_tag))
        .route("/profiles/{profile_id}/tags/{tag_id}", delete(profile::remove_tag))
        .route("/profiles/{profile_id}/collection_steps", get(profile::get_steps).post(profile::set_steps))
        .route("/profiles/{profile_id}/audit-items", get(profile::audit_items))
        .route("/api_keys/collect", post(profile::collect_key))
        .route("/api_keys/collect/{profile_id}", post(profile::collect_key_for))
        .route("/tags/search/{term}", get(search::tags))
        .route("/search/companies", get(search::companies))
        .route("/address/search", get(search::addresses))
        .route("/address/format", get(search::format_address))
}

pub use applications::apply_for;
pub use checks::update_task_ids;
pub use collected::checked_collected_data;
pub use tasks::add_task;

/// Runs `change` on a profile under the store lock: 404 for an unknown one.
fn with_profile_mut<T>(
    state: &AppState,
    profile_id: &str,
    change: impl FnOnce(&mut ProfileRecord) -> Result<T, ApiFailure>,
) -> Result<T, ApiFailure> {
    let mut store = lock(&state.store);
    let profile = store.profiles.get_mut(profile_id).ok_or_else(|| ApiFailure::not_found("Profile", profile_id))?;
    change(profile)
}

/// Queues a webhook whose data carries the profile's id and customer ref, then `extra`'s fields.
fn emit(state: &AppState, event: &str, profile_id: &str, customer_ref: &Option<String>, extra: Value) {
    let mut data = json!({ "profile_id": profile_id, "customer_ref": customer_ref });
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    state.webhooks.emit(event, data);
}

/// Any JSON body (a list for bulk updates, a bare string for a status).
fn parse_any(body: &[u8]) -> Result<Value, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|error| ApiFailure::invalid(format!("Malformed JSON body: {error}")))
}

fn field_invalid(field: &str, message: impl Into<String>) -> ApiFailure {
    ApiFailure::invalid(message).with_info(json!({ "field": field }))
}

/// A string field of a body: None when absent or null; 201 when not a string.
fn optional_string(body: &Value, field: &str) -> Result<Option<String>, ApiFailure> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(field_invalid(field, format!("{field} must be a string"))),
    }
}

/// 402 TRANSITION_ERROR [A: the status].
fn transition_error(message: impl Into<String>) -> ApiFailure {
    ApiFailure::new(StatusCode::BAD_REQUEST, crate::api_error::TRANSITION_ERROR, message)
}

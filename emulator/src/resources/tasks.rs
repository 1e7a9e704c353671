//! Adding a task to a profile, and task notes.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{emit, field_invalid, with_profile_mut};
use crate::api_error::{parse_body, ApiFailure};
use crate::catalog;
use crate::state::AppState;
use crate::store::{api_user, wire_time, TaskRecord};
use crate::validate;

type ApiResult = Result<Response, ApiFailure>;

/// Adds a task: a `TaskResource` with `type` (or `variant.task_type`) of the
/// profile's entity (INDIVIDUAL_ or COMPANY_ [A]). A profile may hold several
/// tasks of one type [A]. Sends TASK_CREATED with `{task: {id, type, state}}` [A].
pub async fn add_task(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("TaskResource", &body, "")?;
    let field = if body.get("type").is_some_and(|t| !t.is_null()) { "type" } else { "variant.task_type" };
    let Some(kind) = body.get("type").or_else(|| body.pointer("/variant/task_type")).and_then(Value::as_str).map(str::to_owned) else {
        return Err(ApiFailure::missing("type"));
    };
    let (task, customer_ref) = with_profile_mut(&state, &profile_id, |profile| {
        if catalog::entity_type_for_task(&kind) != profile.entity_type() {
            return Err(field_invalid(field, format!("{kind} is not a task for a {} profile", profile.entity_type())));
        }
        let task = TaskRecord::new(&kind, Utc::now());
        let answer = task.to_json();
        profile.audit("added-a-task", format!("Added a {kind} task"), json!({ "task_id": task.id }));
        profile.tasks.push(task);
        Ok((answer, profile.customer_ref.clone()))
    })?;
    let summary = json!({ "id": task["id"], "type": task["type"], "state": task["state"] });
    emit(&state, "TASK_CREATED", &profile_id, &customer_ref, json!({ "task": summary }));
    Ok(Json(task).into_response())
}

pub async fn list_notes(State(state): State<AppState>, Path((profile_id, task_id)): Path<(String, String)>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        let task = profile.task(&task_id).ok_or_else(|| ApiFailure::not_found("Task", &task_id))?;
        Ok(Json(&task.notes).into_response())
    })
}

/// Adds a note: `text` is required [A]; `attachments` name files uploaded to the profile [A].
pub async fn add_note(State(state): State<AppState>, Path((profile_id, task_id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("CreateNoteResource", &body, "")?;
    let Some(text) = body.get("text").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ApiFailure::missing("text"));
    };
    let note = with_profile_mut(&state, &profile_id, |profile| {
        let mut attachments = Vec::new();
        for (index, attachment) in body.get("attachments").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let field = format!("attachments[{index}].id");
            let id = attachment.get("id").and_then(Value::as_str).ok_or_else(|| ApiFailure::missing(&field))?;
            let file = profile
                .files
                .iter()
                .find(|file| file["id"] == id)
                .ok_or_else(|| field_invalid(&field, format!("No file {id} on this profile")))?;
            attachments.push(json!({ "id": file["id"], "name": file["name"] }));
        }
        let user = api_user();
        let note = json!({
            "id": Uuid::new_v4().to_string(),
            "created_on": wire_time(Utc::now()),
            "text": text,
            "attachments": attachments,
            "author_name": user["name"],
            "author_name_customised": false,
            "author": { "id": user["id"], "name": user["name"] },
        });
        let task = profile.task_mut(&task_id).ok_or_else(|| ApiFailure::not_found("Task", &task_id))?;
        task.notes.push(note.clone());
        profile.audit("added-a-task-note", "Added a task note", json!({ "task_id": task_id, "note_id": note["id"] }));
        Ok(note)
    })?;
    Ok(Json(note).into_response())
}

/// Deletes a note; answers the note deleted [A: the schema leaves the answer open].
pub async fn delete_note(State(state): State<AppState>, Path((profile_id, task_id, note_id)): Path<(String, String, String)>) -> ApiResult {
    let note = with_profile_mut(&state, &profile_id, |profile| {
        let task = profile.task_mut(&task_id).ok_or_else(|| ApiFailure::not_found("Task", &task_id))?;
        let index =
            task.notes.iter().position(|note| note["id"] == note_id.as_str()).ok_or_else(|| ApiFailure::not_found("Note", &note_id))?;
        let note = task.notes.remove(index);
        profile.audit("deleted-a-task-note", "Deleted a task note", json!({ "task_id": task_id, "note_id": note_id }));
        Ok(note)
    })?;
    Ok(Json(note).into_response())
}

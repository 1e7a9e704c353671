//! Manual decisions on checks, and a check's `task_ids`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::watch;
use uuid::Uuid;

use super::{field_invalid, transition_error, with_profile_mut};
use crate::api_error::{parse_body, ApiFailure};
use crate::catalog;
use crate::engine;
use crate::state::AppState;
use crate::store::CheckRecord;

type ApiResult = Result<Response, ApiFailure>;

pub async fn approve(State(state): State<AppState>, Path((profile_id, check_id)): Path<(String, String)>) -> ApiResult {
    decide(&state, &profile_id, &check_id, true)
}

pub async fn reject(State(state): State<AppState>, Path((profile_id, check_id)): Path<(String, String)>) -> ApiResult {
    decide(&state, &profile_id, &check_id, false)
}

/// A manual decision: a NEW check of the same type, variant and tasks,
/// COMPLETE at once with decision PASS (approve) or FAIL (reject); the
/// original check is left as it was. Only a COMPLETE check can be decided
/// (else 402 [A]). The new check is announced as any completed check is
/// (CHECK_COMPLETED [A]) and answered.
fn decide(state: &AppState, profile_id: &str, check_id: &str, approve: bool) -> ApiResult {
    let (answer, completion) = with_profile_mut(state, profile_id, |profile| {
        let original = profile.check(check_id).ok_or_else(|| ApiFailure::not_found("Check", check_id))?;
        if original.state != "COMPLETE" {
            return Err(transition_error(format!("Check {check_id} is {}: only a complete check can be decided", original.state)));
        }
        let result = catalog::manual_result(&original.check_type, approve, original.result.as_deref().unwrap_or_default());
        let now = Utc::now();
        let (done, _) = watch::channel(true);
        let check = CheckRecord {
            id: Uuid::new_v4().to_string(),
            check_type: original.check_type.clone(),
            state: "COMPLETE",
            result: Some(result.clone()),
            variant: original.variant.clone(),
            task_ids: original.task_ids.clone(),
            errors: Vec::new(),
            extras: original.extras.clone(),
            input_data: original.input_data.clone(),
            instructed_on: now,
            started_on: Some(now),
            completed_on: Some(now),
            decision_override: Some(if approve { "PASS" } else { "FAIL" }),
            done,
        };
        for task in profile.tasks.iter_mut().filter(|task| check.task_ids.contains(&task.id)) {
            task.check_ids.push(check.id.clone());
        }
        let verb = if approve { "approved" } else { "rejected" };
        profile.audit(
            "manual-decision",
            format!("Manually {verb} the {} check {check_id}", check.check_type),
            json!({ "check_id": check_id, "new_check_id": check.id }),
        );
        let answer = check.to_json(&profile.role);
        let (summary, check_type, decision) = (check.summary(), check.check_type.clone(), check.decision());
        profile.checks.push(check);
        // A manual decision raises no screening events again: they came with the original result.
        let completion = engine::after_completion(profile, summary, &check_type, "", decision);
        Ok((answer, completion))
    })?;
    completion.announce(state);
    Ok(Json(answer).into_response())
}

/// `POST .../checks/{id}`: changes only the check's `task_ids` (required;
/// each a task of the profile); every other field of the body is ignored [A].
pub async fn update_task_ids(
    State(state): State<AppState>,
    Path((profile_id, check_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let task_ids: Vec<String> = match body.get("task_ids") {
        None | Some(Value::Null) => return Err(ApiFailure::missing("task_ids")),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| id.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| field_invalid("task_ids", "task_ids must be a list of task ids"))?,
        Some(_) => return Err(field_invalid("task_ids", "task_ids must be a list of task ids")),
    };
    let answer = with_profile_mut(&state, &profile_id, |profile| {
        if profile.check(&check_id).is_none() {
            return Err(ApiFailure::not_found("Check", &check_id));
        }
        if let Some(unknown) = task_ids.iter().find(|id| profile.task(id).is_none()) {
            return Err(field_invalid("task_ids", format!("Task {unknown} is not a task of profile {profile_id}")));
        }
        for task in profile.tasks.iter_mut() {
            task.check_ids.retain(|id| *id != check_id);
            if task_ids.contains(&task.id) {
                task.check_ids.push(check_id.clone());
            }
        }
        profile.audit(
            "updated-check",
            format!("Updated the tasks of check {check_id}"),
            json!({ "check_id": check_id, "task_ids": task_ids }),
        );
        let role = profile.role.clone();
        let check = profile.checks.iter_mut().find(|check| check.id == check_id).expect("found above");
        check.task_ids = task_ids.clone();
        Ok(check.to_json(&role))
    })?;
    Ok(Json(answer).into_response())
}

//! Product applications: create, list, get, decide (`status`), revert a decision.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{emit, field_invalid, optional_string, parse_any, transition_error, with_profile_mut};
use crate::api_error::{parse_body, ApiFailure, CONSTRAINTS_NOT_SATISFIED, DATA_PRESENT, ENTITY_ALREADY_APPROVED, ENTITY_ALREADY_REJECTED};
use crate::catalog::{self, Product};
use crate::state::{lock, AppState};
use crate::store::{api_user, wire_time, ApplicationRecord, ProfileRecord, TaskRecord};
use crate::validate;

type ApiResult = Result<Response, ApiFailure>;

/// What applying changed, to announce once the store is unlocked.
pub struct Applied {
    pub application: Value,
    /// TASK_CREATED data for the product's tasks the profile did not have.
    task_events: Vec<Value>,
    status_event: Value,
}

impl Applied {
    pub fn announce(self, state: &AppState, profile_id: &str, customer_ref: &Option<String>) {
        for task in self.task_events {
            emit(state, "TASK_CREATED", profile_id, customer_ref, json!({ "task": task }));
        }
        state.webhooks.emit("PRODUCT_STATUS_CHANGED", self.status_event);
    }
}

/// PRODUCT_STATUS_CHANGED's documented data. Changes made with the API key
/// carry the user the key acts as (`GET /whoami`); `user` is null only for
/// the smart policy, which the emulator does not run.
fn status_event(profile: &ProfileRecord, application: &ApplicationRecord) -> Value {
    let product = &application.product;
    json!({
        "apikey": { "name": catalog::API_KEY_NAME },
        "application_id": application.id,
        "customer_ref": profile.customer_ref,
        "new_status": application.status,
        "product": { "alias": product.alias, "id": product.id(), "name": product.name },
        "profile_id": profile.id,
        "user": api_user(),
    })
}

fn history_entry(status: &str, comment: Option<String>) -> Value {
    let mut entry = json!({ "status": status, "date": wire_time(Utc::now()), "decisioner": api_user() });
    if let Some(comment) = comment {
        entry["comment"] = json!(comment);
    }
    entry
}

/// Applies a profile for the product a `ProductApplication` names (under
/// `at` in the body): by `product.id`, or by `product.alias` [A]. The
/// product's tasks that the profile lacks are added to it.
pub fn apply_for(profile: &mut ProfileRecord, products: &[Product], request: &Value, at: &str) -> Result<Applied, ApiFailure> {
    let field = |name: &str| if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") };
    validate::check("ProductApplication", request, at)?;
    let Some(selector) = request.get("product").filter(|p| !p.is_null()) else {
        return Err(ApiFailure::missing(&field("product")));
    };
    let product = match (selector.get("id").and_then(Value::as_str), selector.get("alias").and_then(Value::as_str)) {
        (Some(id), _) => {
            products.iter().find(|p| p.id() == id).ok_or_else(|| field_invalid(&field("product.id"), format!("No product {id}")))?
        }
        (None, Some(alias)) => products
            .iter()
            .find(|p| p.alias == alias)
            .ok_or_else(|| field_invalid(&field("product.alias"), format!("No product {alias}")))?,
        (None, None) => return Err(ApiFailure::missing(&field("product.id"))),
    };
    if product.entity_type != profile.entity_type() {
        return Err(field_invalid(&field("product"), format!("{} is for {} profiles", product.name, product.entity_type)));
    }
    if profile.applications.iter().any(|a| a.product.alias == product.alias && a.status != "CANCELLED") {
        return Err(ApiFailure::new(StatusCode::BAD_REQUEST, DATA_PRESENT, format!("The profile already applies for {}", product.name))
            .with_info(json!({ "field": field("product") })));
    }
    let now = Utc::now();
    let mut task_events = Vec::new();
    for kind in &product.required_tasks {
        if !profile.tasks.iter().any(|task| &task.task_type == kind) {
            let task = TaskRecord::new(kind, now);
            task_events.push(json!({ "id": task.id, "type": task.task_type, "state": task.state }));
            profile.audit("added-a-task", format!("Added a {kind} task"), json!({ "task_id": task.id }));
            profile.tasks.push(task);
        }
    }
    let application = ApplicationRecord {
        id: Uuid::new_v4().to_string(),
        product: product.clone(),
        status: "APPLIED".into(),
        history: vec![history_entry("APPLIED", None)],
    };
    profile.audit("added-product", format!("Applied for {}", product.name), json!({ "application_id": application.id }));
    let status_event = status_event(profile, &application);
    let answer = profile.application_json(&application);
    profile.applications.push(application);
    Ok(Applied { application: answer, task_events, status_event })
}

pub async fn create(State(state): State<AppState>, Path(profile_id): Path<String>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let mut store = lock(&state.store);
    let products = store.products();
    let profile = store.profiles.get_mut(&profile_id).ok_or_else(|| ApiFailure::not_found("Profile", &profile_id))?;
    let applied = apply_for(profile, &products, &body, "")?;
    let customer_ref = profile.customer_ref.clone();
    drop(store);
    let answer = applied.application.clone();
    applied.announce(&state, &profile_id, &customer_ref);
    Ok(Json(answer).into_response())
}

pub async fn list(State(state): State<AppState>, Path(profile_id): Path<String>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        Ok(Json(profile.applications.iter().map(|a| profile.application_json(a)).collect::<Vec<_>>()).into_response())
    })
}

pub async fn get(State(state): State<AppState>, Path((profile_id, application_id)): Path<(String, String)>) -> ApiResult {
    with_profile_mut(&state, &profile_id, |profile| {
        let application = profile.application(&application_id).ok_or_else(|| ApiFailure::not_found("Application", &application_id))?;
        Ok(Json(profile.application_json(application)).into_response())
    })
}

/// Sets an application's `status` [A: the transitions]: an undecided one
/// (APPLIED, IN_REVIEW) may go to any status, but to APPROVED only without
/// approval blockers (else 105 CONSTRAINTS_NOT_SATISFIED with the blockers in
/// `info`); approving an approved one is 102, rejecting a rejected one 103;
/// any other change of a decided one (APPROVED, REJECTED, CANCELLED) is 402
/// TRANSITION_ERROR: revert the decision first.
pub async fn update(State(state): State<AppState>, Path((profile_id, application_id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    validate::check("ProductApplication", &body, "")?;
    let Some(new_status) = body.get("status").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ApiFailure::missing("status"));
    };
    let comment = optional_string(&body, "comment")?;
    change_status(&state, &profile_id, &application_id, |profile, application| {
        match (application.status.as_str(), new_status.as_str()) {
            ("APPROVED", "APPROVED") => {
                return Err(ApiFailure::new(StatusCode::BAD_REQUEST, ENTITY_ALREADY_APPROVED, "The application is already approved")
                    .with_info(json!({ "field": "status" })))
            }
            ("REJECTED", "REJECTED") => {
                return Err(ApiFailure::new(StatusCode::BAD_REQUEST, ENTITY_ALREADY_REJECTED, "The application is already rejected")
                    .with_info(json!({ "field": "status" })))
            }
            ("APPROVED" | "REJECTED" | "CANCELLED", _) => {
                return Err(transition_error(format!("The application is {}; revert the decision first", application.status))
                    .with_info(json!({ "field": "status" })))
            }
            _ => {}
        }
        if new_status == "APPROVED" {
            let blockers = profile.approval_blockers(application);
            if !blockers.is_empty() {
                return Err(ApiFailure::new(StatusCode::BAD_REQUEST, CONSTRAINTS_NOT_SATISFIED, "The application has approval blockers")
                    .with_info(json!({ "field": "status", "approval_blockers": blockers })));
            }
        }
        Ok((new_status.clone(), comment.clone(), "profile-application-status-changed"))
    })
}

/// Reverts an APPROVED or REJECTED application to the undecided status it
/// had before (APPLIED or IN_REVIEW) [A]; anything else is 402.
pub async fn revert(State(state): State<AppState>, Path((profile_id, application_id)): Path<(String, String)>, body: Bytes) -> ApiResult {
    let body = parse_any(&body)?;
    if !body.is_null() {
        validate::check("ProductApplicationRevertDecision", &body, "")?;
    }
    let comment = if body.is_null() { None } else { optional_string(&body, "comment")? };
    change_status(&state, &profile_id, &application_id, |_, application| {
        if !matches!(application.status.as_str(), "APPROVED" | "REJECTED") {
            return Err(transition_error(format!("The application is {}: there is no decision to revert", application.status)));
        }
        let previous = application
            .history
            .iter()
            .rev()
            .filter_map(|entry| entry["status"].as_str())
            .find(|status| matches!(*status, "APPLIED" | "IN_REVIEW"))
            .unwrap_or("APPLIED");
        Ok((previous.to_owned(), comment.clone(), "revert-decision"))
    })
}

/// Decides a change with `decide` (the new status, a comment, the audit
/// action), applies it, and sends PRODUCT_STATUS_CHANGED.
fn change_status(
    state: &AppState,
    profile_id: &str,
    application_id: &str,
    decide: impl FnOnce(&ProfileRecord, &ApplicationRecord) -> Result<(String, Option<String>, &'static str), ApiFailure>,
) -> ApiResult {
    let (answer, event) = with_profile_mut(state, profile_id, |profile| {
        let index = profile
            .applications
            .iter()
            .position(|a| a.id == application_id)
            .ok_or_else(|| ApiFailure::not_found("Application", application_id))?;
        let (status, comment, action) = decide(profile, &profile.applications[index])?;
        let application = &mut profile.applications[index];
        application.status = status.clone();
        application.history.push(history_entry(&status, comment));
        let name = application.product.name.clone();
        profile.audit(action, format!("{name}: {status}"), json!({ "application_id": application_id, "status": status }));
        let application = &profile.applications[index];
        Ok((profile.application_json(application), status_event(profile, application)))
    })?;
    state.webhooks.emit("PRODUCT_STATUS_CHANGED", event);
    Ok(Json(answer).into_response())
}

//! The check engine: instructs checks, runs them through PENDING → RUNNING →
//! COMPLETE after a provider latency, and answers sync runs.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::watch;
use uuid::Uuid;

use crate::api_error::ApiFailure;
use crate::catalog;
use crate::state::{lock, AppState};
use crate::store::{variant_id, CheckRecord};

/// What `POST /profiles/{id}/checks` asked for.
pub struct CheckOrder {
    pub check_type: String,
    pub task_ids: Vec<String>,
    pub variant: Value,
    /// Type-specific fields (`document_id`, `form_id`, ...), echoed on the check.
    pub extras: serde_json::Map<String, Value>,
}

impl CheckOrder {
    pub fn from_body(body: &Value) -> Result<Self, ApiFailure> {
        let check_type = match body.get("check_type") {
            None | Some(Value::Null) => return Err(ApiFailure::missing("check_type")),
            Some(Value::String(kind)) => kind.clone(),
            Some(_) => return Err(ApiFailure::invalid("check_type must be a string")),
        };
        if catalog::results_for(&check_type).is_none() {
            return Err(ApiFailure::invalid(format!("Unknown check type {check_type}")));
        }
        let task_ids = match body.get("task_ids") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|id| id.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiFailure::invalid("task_ids must be a list of strings"))?,
            Some(_) => return Err(ApiFailure::invalid("task_ids must be a list of strings")),
        };
        let name = catalog::variant_name(&check_type);
        let variant = match body.get("variant") {
            None | Some(Value::Null) => {
                json!({ "id": variant_id(&check_type, "default"), "alias": "default", "name": name })
            }
            Some(Value::Object(selector)) => match (selector.get("alias"), selector.get("id")) {
                (Some(Value::String(alias)), _) if !alias.is_empty() => {
                    json!({ "id": variant_id(&check_type, alias), "alias": alias, "name": name })
                }
                (_, Some(Value::String(id))) if Uuid::parse_str(id).is_ok() => json!({ "id": id, "name": name }),
                _ => return Err(ApiFailure::invalid("variant must be {\"alias\": ...} or {\"id\": <uuid>}")),
            },
            Some(_) => return Err(ApiFailure::invalid("variant must be an object")),
        };
        if let Some(missing) = catalog::required_fields(&check_type).iter().find(|field| body.get(**field).is_none()) {
            return Err(ApiFailure::missing(missing));
        }
        let extras =
            catalog::ECHOED_FIELDS.iter().filter_map(|field| body.get(*field).map(|value| ((*field).to_owned(), value.clone()))).collect();
        Ok(Self { check_type, task_ids, variant, extras })
    }
}

/// Instructs a check and starts it running in the background. Gives back the
/// check as it is now (PENDING) and a receiver that turns true on completion.
pub fn instruct(state: &AppState, profile_id: &str, order: CheckOrder) -> Result<(Value, watch::Receiver<bool>), ApiFailure> {
    let settings = state.settings();
    let mut store = lock(&state.store);
    let script = store
        .scripts
        .get_mut(&(profile_id.to_owned(), order.check_type.clone()))
        .map(|script| (script.take(), script.latency_ms.map(Duration::from_millis)));
    let profile = store.profiles.get_mut(profile_id).ok_or_else(|| ApiFailure::not_found("Profile", profile_id))?;
    if let Some(unknown) = order.task_ids.iter().find(|id| profile.task(id).is_none()) {
        return Err(
            ApiFailure::invalid(format!("Task {unknown} is not a task of profile {profile_id}")).with_info(json!({ "field": "task_ids" }))
        );
    }
    let entity_type = catalog::entity_type_for_check(&order.check_type);
    if entity_type != profile.entity_type() {
        return Err(ApiFailure::invalid(format!(
            "{} runs on a {entity_type} profile; this profile is {}",
            order.check_type,
            profile.entity_type()
        ))
        .with_info(json!({ "field": "check_type" })));
    }
    // A document check names a document of the profile's collected data.
    if let Some(document_id) =
        order.extras.get("document_id").filter(|_| catalog::required_fields(&order.check_type).contains(&"document_id"))
    {
        let documents = profile.collected_data.get("documents").and_then(Value::as_array);
        if !documents.is_some_and(|documents| documents.iter().any(|document| &document["id"] == document_id)) {
            return Err(ApiFailure::invalid(format!("Document {document_id} is not in the profile's collected_data.documents"))
                .with_info(json!({ "field": "document_id" })));
        }
    }
    let results = catalog::results_for(&order.check_type).expect("check type validated in CheckOrder");
    let trigger = profile.trigger_name().map(str::to_owned);
    let (result, scripted_latency) = script.unwrap_or_else(|| {
        let named = trigger.as_deref().filter(|name| results.contains(name));
        (named.unwrap_or(results[0]).to_owned(), None)
    });
    let latency = scripted_latency.unwrap_or(if trigger.as_deref() == Some("Slow") {
        settings.sync_timeout + Duration::from_secs(1)
    } else {
        settings.provider_latency
    });

    let (done, done_receiver) = watch::channel(false);
    let check = CheckRecord {
        id: Uuid::new_v4().to_string(),
        check_type: order.check_type,
        state: "PENDING",
        result: None,
        variant: order.variant,
        task_ids: order.task_ids,
        errors: Vec::new(),
        extras: order.extras,
        input_data: profile.collected_data.clone(),
        instructed_on: Utc::now(),
        started_on: None,
        completed_on: None,
        decision_override: None,
        done,
    };
    for task in profile.tasks.iter_mut().filter(|task| check.task_ids.contains(&task.id)) {
        task.check_ids.push(check.id.clone());
    }
    let answer = check.to_json(&profile.role);
    let check_id = check.id.clone();
    profile.audit("instructed-check", format!("Instructed a {} check", check.check_type), json!({ "check_id": check.id }));
    profile.checks.push(check);
    drop(store);

    tokio::spawn(run_provider(state.clone(), profile_id.to_owned(), check_id, result, latency));
    Ok((answer, done_receiver))
}

/// The provider at work: RUNNING soon after instruction, COMPLETE after `latency`.
async fn run_provider(state: AppState, profile_id: String, check_id: String, result: String, latency: Duration) {
    let until_running = (latency / 2).min(Duration::from_millis(20));
    tokio::time::sleep(until_running).await;
    update_check(&state, &profile_id, &check_id, |check| {
        check.state = "RUNNING";
        check.started_on = Some(Utc::now());
    });
    tokio::time::sleep(latency - until_running).await;

    let finished = complete_check(&state, &profile_id, &check_id, &result);
    // None: the emulator was reset while the provider worked.
    if let Some(completion) = finished {
        completion.announce(&state);
    }
}

/// What a finished check changed, to announce once the store is unlocked.
pub struct Completion {
    profile_id: String,
    customer_ref: Value,
    check: Value,
    events: Vec<Value>,
    /// Applications now needing a human, with the check that made them so.
    manual_actions: Vec<Value>,
}

impl Completion {
    /// CHECK_COMPLETED, then EVENTS_CREATED for the events the result raised,
    /// then MANUAL_ACTION_REQUIRED for each undecided application [A: when a
    /// check ends with any decision but PASS, an open application needs a human].
    pub fn announce(self, state: &AppState) {
        let base = |extra: Value| {
            let mut data = json!({ "profile_id": self.profile_id, "customer_ref": self.customer_ref });
            if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
                data.extend(extra);
            }
            data
        };
        state.webhooks.emit("CHECK_COMPLETED", base(json!({ "check": self.check })));
        if !self.events.is_empty() {
            state.webhooks.emit("EVENTS_CREATED", base(json!({ "events": self.events })));
        }
        for action in &self.manual_actions {
            state.webhooks.emit("MANUAL_ACTION_REQUIRED", base(action.clone()));
        }
    }
}

/// Marks a check COMPLETE with `result`, under one lock with what follows from it: profile events for a
/// screening match, and the applications that now need a manual decision.
fn complete_check(state: &AppState, profile_id: &str, check_id: &str, result: &str) -> Option<Completion> {
    let mut store = lock(&state.store);
    let profile = store.profiles.get_mut(profile_id)?;
    let check = profile.checks.iter_mut().find(|check| check.id == check_id)?;
    check.state = "COMPLETE";
    check.completed_on = Some(Utc::now());
    if result == "Error" {
        check.errors.push(json!({
            "code": 303,
            "message": "The provider returned an unknown error",
            "source": "PROVIDER",
            "info": { "provider": "Emulator" },
        }));
    }
    check.result = Some(result.to_owned());
    check.done.send_replace(true);
    let summary = check.summary();
    let check_type = check.check_type.clone();
    let decision = check.decision();
    Some(after_completion(profile, summary, &check_type, result, decision))
}

/// The events and manual actions that a completed check brings about on its profile.
pub fn after_completion(
    profile: &mut crate::store::ProfileRecord,
    check: Value,
    check_type: &str,
    result: &str,
    decision: Option<&str>,
) -> Completion {
    let mut events = Vec::new();
    if let Some(event_type) = catalog::event_type_for_result(check_type, result) {
        let data = json!({
            "event_type": event_type,
            "match_id": Uuid::new_v4().to_string(),
            "match_name": profile.display_name().unwrap_or_else(|| "Unknown".into()),
            "provider_name": "Emulator",
            "score": 1.0,
            "modified_date": crate::store::wire_time(Utc::now()),
        });
        let event = crate::store::EventRecord::new(data, check["id"].as_str().map(str::to_owned));
        events.push(event.summary());
        profile.audit("added-event", format!("A {check_type} check raised a {event_type} event"), json!({ "event_id": event.id }));
        profile.events.push(event);
    }
    let mut manual_actions = Vec::new();
    if decision.is_some_and(|decision| decision != "PASS") {
        for application in profile.applications.iter().filter(|a| matches!(a.status.as_str(), "APPLIED" | "IN_REVIEW")) {
            let product = &application.product;
            manual_actions.push(json!({
                "application_id": application.id,
                "product": { "alias": product.alias, "id": product.id(), "name": product.name },
                "check": check,
            }));
        }
    }
    Completion { profile_id: profile.id.clone(), customer_ref: json!(profile.customer_ref), check, events, manual_actions }
}

/// Applies `change` to a check; gives back the profile's customer ref and the
/// change's value, or None when the check no longer exists.
fn update_check<T>(state: &AppState, profile_id: &str, check_id: &str, change: impl FnOnce(&mut CheckRecord) -> T) -> Option<(Value, T)> {
    let mut store = lock(&state.store);
    let profile = store.profiles.get_mut(profile_id)?;
    let customer_ref = json!(profile.customer_ref);
    let check = profile.checks.iter_mut().find(|check| check.id == check_id)?;
    Some((customer_ref, change(check)))
}

/// The check as it is now.
pub fn current_check(state: &AppState, profile_id: &str, check_id: &str) -> Option<Value> {
    let store = lock(&state.store);
    let profile = store.profiles.get(profile_id)?;
    Some(profile.check(check_id)?.to_json(&profile.role))
}

/// Waits for a sync run: the finished check, or after the sync timeout the
/// check as it is (RUNNING), as PassFort does when it switches to async.
pub async fn wait_for_sync(state: &AppState, profile_id: &str, check_id: &str, mut done: watch::Receiver<bool>) -> Option<Value> {
    let sync_timeout = state.settings().sync_timeout;
    let _ = tokio::time::timeout(sync_timeout, done.wait_for(|finished| *finished)).await;
    current_check(state, profile_id, check_id)
}

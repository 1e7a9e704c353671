//! The resources as plain JS objects: camelCase fields and `Date`s. The API's
//! JSON travels as text in `raw`: the JS layer replaces it with the parsed
//! JSON (and adds the free-form fields such as `inputData`) with `JSON.parse`,
//! which V8 does far faster than the addon can build the same objects
//! property by property.

use chrono::{DateTime, Utc};
use napi_derive::napi;
use passfort_core::webhooks::WebhookEvent as CoreEvent;
use serde_json::Value;

#[napi(object)]
pub struct ErrorDetail {
    pub code: Option<i64>,
    pub code_name: Option<String>,
    pub message: String,
    pub source: Option<String>,
    pub info: Option<Value>,
}

impl From<&passfort_core::ErrorDetail> for ErrorDetail {
    fn from(detail: &passfort_core::ErrorDetail) -> Self {
        Self {
            code: detail.code,
            code_name: detail.code_name().map(str::to_owned),
            message: detail.message.clone(),
            source: detail.source.as_ref().map(|s| s.as_str().to_owned()),
            info: detail.info.clone(),
        }
    }
}

#[napi(object)]
pub struct Variant {
    pub id: Option<String>,
    pub alias: Option<String>,
    pub name: Option<String>,
    pub task_type: Option<String>,
}

impl From<&passfort_core::Variant> for Variant {
    fn from(variant: &passfort_core::Variant) -> Self {
        Self {
            id: variant.id.clone(),
            alias: variant.alias.clone(),
            name: variant.name.clone(),
            task_type: variant.task_type.as_ref().map(|t| t.as_str().to_owned()),
        }
    }
}

#[napi(object)]
pub struct Check {
    pub id: String,
    pub check_type: String,
    pub state: String,
    pub result: Option<String>,
    pub decision: Option<String>,
    pub errors: Vec<ErrorDetail>,
    pub task_ids: Vec<String>,
    pub variant: Option<Variant>,
    pub instructed_on: Option<DateTime<Utc>>,
    pub started_on: Option<DateTime<Utc>>,
    pub completed_on: Option<DateTime<Utc>>,
    pub performed_on: Option<DateTime<Utc>>,
    pub is_complete: bool,
    /// How the wait for this check ended, when it came from a wait.
    pub wait: Option<WaitInfo>,
    /// The API's JSON text as sent, unknown fields included (parsed by the JS layer).
    pub raw: String,
}

/// How a wait for a check ended.
#[napi(object)]
pub struct WaitInfo {
    /// `'immediately'`, `'webhook'` or `'polling'`.
    pub resolved_by: String,
    /// Reads of the check made while waiting.
    pub polls: u32,
    pub waited_ms: f64,
}

impl From<passfort_core::FinishedCheck> for Check {
    fn from(finished: passfort_core::FinishedCheck) -> Self {
        let wait = WaitInfo {
            resolved_by: finished.resolved_by.as_str().to_owned(),
            polls: finished.polls,
            waited_ms: finished.waited.as_secs_f64() * 1000.0,
        };
        Self { wait: Some(wait), ..Self::from(finished.check) }
    }
}

impl From<passfort_core::Check> for Check {
    fn from(check: passfort_core::Check) -> Self {
        Self {
            id: check.id.clone(),
            check_type: check.check_type.as_str().to_owned(),
            state: check.state.as_str().to_owned(),
            result: check.result.as_ref().map(|r| r.as_str().to_owned()),
            decision: check.decision.as_ref().map(|d| d.as_str().to_owned()),
            errors: check.errors.iter().map(ErrorDetail::from).collect(),
            task_ids: check.task_ids.clone(),
            variant: check.variant.as_ref().map(Variant::from),
            instructed_on: check.instructed_on,
            started_on: check.started_on,
            completed_on: check.completed_on,
            performed_on: check.performed_on,
            is_complete: check.is_complete(),
            wait: None,
            raw: check.raw().to_owned(),
        }
    }
}

/// A check `recover` took over: its ledger entry, and the finished check or
/// `error` as a `PASSFORT_ERROR:` reason the JS layer turns into an Error.
#[napi(object)]
pub struct RecoveredCheck {
    pub profile_id: String,
    pub check_id: String,
    pub check_type: String,
    pub task_ids: Vec<String>,
    pub tag: Option<String>,
    /// The worker that started (or last took over) the check and stopped renewing its lease.
    pub previous_owner: String,
    pub check: Option<Check>,
    pub error: Option<String>,
}

impl From<passfort_core::RecoveredCheck> for RecoveredCheck {
    fn from(recovered: passfort_core::RecoveredCheck) -> Self {
        let entry = recovered.entry;
        let (check, error) = match recovered.outcome {
            Ok(finished) => (Some(Check::from(finished)), None),
            Err(error) => (None, Some(crate::errors::error_reason(&error))),
        };
        Self {
            profile_id: entry.profile_id,
            check_id: entry.check_id,
            check_type: entry.check_type.as_str().to_owned(),
            task_ids: entry.task_ids,
            tag: entry.tag,
            previous_owner: entry.previous_owner,
            check,
            error,
        }
    }
}

#[napi(object)]
pub struct Task {
    pub id: String,
    #[napi(js_name = "type")]
    pub task_type: String,
    pub state: String,
    pub is_complete: bool,
    pub is_expired: bool,
    pub is_skipped: bool,
    pub creation_date: Option<DateTime<Utc>>,
    pub expiry_date: Option<DateTime<Utc>>,
    pub check_ids: Vec<String>,
    pub form_instance_ids: Vec<String>,
    pub variant: Option<Variant>,
    pub raw: String,
}

impl From<passfort_core::Task> for Task {
    fn from(task: passfort_core::Task) -> Self {
        Self {
            id: task.id.clone(),
            task_type: task.task_type.as_str().to_owned(),
            state: task.state.as_str().to_owned(),
            is_complete: task.is_complete,
            is_expired: task.is_expired,
            is_skipped: task.is_skipped,
            creation_date: task.creation_date,
            expiry_date: task.expiry_date,
            check_ids: task.check_ids.clone(),
            form_instance_ids: task.form_instance_ids.clone(),
            variant: task.variant.as_ref().map(Variant::from),
            raw: task.raw().to_owned(),
        }
    }
}

#[napi(object)]
pub struct Profile {
    pub id: String,
    pub role: String,
    pub display_name: Option<String>,
    pub customer_ref: Option<String>,
    pub creation_date: Option<DateTime<Utc>>,
    pub checks: Vec<Check>,
    pub tasks: Vec<Task>,
    pub raw: String,
}

impl From<passfort_core::Profile> for Profile {
    fn from(profile: passfort_core::Profile) -> Self {
        Self {
            id: profile.id.clone(),
            role: profile.role.as_str().to_owned(),
            display_name: profile.display_name.clone(),
            customer_ref: profile.customer_ref.clone(),
            creation_date: profile.creation_date,
            checks: profile.checks.iter().cloned().map(Check::from).collect(),
            tasks: profile.tasks.iter().cloned().map(Task::from).collect(),
            raw: profile.raw().to_owned(),
        }
    }
}

#[napi(object)]
pub struct VerifyOutcome {
    pub checks: Vec<Check>,
    pub task: Option<Task>,
    /// `'passed'`, `'failed'` or `'needs_review'`.
    pub stop: String,
    pub needs_review: bool,
    pub reason: String,
}

impl From<passfort_core::VerifyOutcome> for VerifyOutcome {
    fn from(outcome: passfort_core::VerifyOutcome) -> Self {
        Self {
            stop: outcome.stop.as_str().to_owned(),
            needs_review: outcome.needs_review(),
            reason: outcome.reason(),
            task: outcome.task.map(Task::from),
            checks: outcome.checks.into_iter().map(Check::from).collect(),
        }
    }
}

/// What `decideApplication` found or did.
#[napi(object)]
pub struct ApplicationDecision {
    /// `'approved'`, `'rejected'` or `'blocked'`.
    pub outcome: String,
    /// The application as last read or written.
    pub application: Value,
    /// Why it is not decided; empty once decided.
    pub blockers: Vec<Value>,
    /// True when this call wrote the status.
    pub written: bool,
}

impl From<passfort_core::ApplicationDecision> for ApplicationDecision {
    fn from(decision: passfort_core::ApplicationDecision) -> Self {
        Self {
            outcome: decision.outcome.as_str().to_owned(),
            application: decision.application,
            blockers: decision.blockers,
            written: decision.written,
        }
    }
}

/// What `updateCollectedData` wrote.
#[napi(object)]
pub struct UpdatedCollectedData {
    pub data: Value,
    pub etag: Option<String>,
    pub attempts: u32,
}

impl From<passfort_core::UpdatedData> for UpdatedCollectedData {
    fn from(updated: passfort_core::UpdatedData) -> Self {
        Self { data: updated.data, etag: updated.etag, attempts: updated.attempts }
    }
}

/// A webhook event as a plain JS object: `id`, `event`, `timestamp`, `data`
/// (whole, as sent), `known`, the flat fields of `WebhookEvent::fields` when
/// present, and the event type's typed fields (the core's `typed_fields`,
/// camelCase, null where absent). `known` is false for pass-through events.
pub fn webhook_event(event: CoreEvent) -> Value {
    let mut object = serde_json::Map::new();
    let flat = event.fields();
    let flat = [
        ("profileId", flat.profile_id),
        ("checkId", flat.check_id),
        ("taskId", flat.task_id),
        ("checkType", flat.check_type),
        ("result", flat.result),
        ("decision", flat.decision),
        ("taskType", flat.task_type),
        ("taskState", flat.task_state),
        ("customerRef", flat.customer_ref),
    ];
    for (name, value) in flat {
        if let Some(value) = value {
            object.insert(name.to_owned(), Value::from(value));
        }
    }
    for (name, value) in event.kind.typed_fields() {
        object.insert(camel_case(&name), camel_case_keys(value));
    }
    object.insert("known".into(), Value::Bool(event.kind.is_known()));
    object.insert("id".into(), Value::String(event.id));
    object.insert("event".into(), Value::String(event.event));
    if let Some(timestamp) = event.timestamp {
        object.insert("timestamp".into(), Value::from(timestamp));
    }
    object.insert("data".into(), event.data);
    Value::Object(object)
}

fn camel_case(name: &str) -> String {
    let mut parts = name.split('_');
    let mut camel = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            camel.extend(first.to_uppercase());
            camel.push_str(chars.as_str());
        }
    }
    camel
}

/// The typed fields' nested objects (product, check, task, ...) camelCased too.
fn camel_case_keys(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            Value::Object(object.into_iter().map(|(name, value)| (camel_case(&name), camel_case_keys(value))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

#[napi(object)]
pub struct Institution {
    pub id: Option<String>,
    pub name: Option<String>,
    pub logo_url: Option<String>,
}

#[napi(object)]
pub struct WhoAmI {
    pub auditee_name: Option<String>,
    pub institution: Option<Institution>,
    pub user: Option<Value>,
    pub raw: Value,
}

impl From<passfort_core::WhoAmI> for WhoAmI {
    fn from(me: passfort_core::WhoAmI) -> Self {
        Self {
            auditee_name: me.auditee_name.clone(),
            institution: me.institution.as_ref().map(|i| Institution {
                id: i.id.clone(),
                name: i.name.clone(),
                logo_url: i.logo_url.clone(),
            }),
            user: me.user.clone(),
            raw: me.to_value(),
        }
    }
}

/// A check as the JSON text the JS layer's `check` converter parses: V8's
/// `JSON.parse` builds the object far faster than N-API can property by
/// property. The fields and their names are those of `Check`, absent ones
/// left out; dates are milliseconds (the converter makes them Dates) and
/// `raw` is the API's JSON as sent, parsed in the same pass.
pub fn check_text(check: &passfort_core::Check, wait: Option<&passfort_core::FinishedCheck>) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct VariantText<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        alias: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        task_type: Option<&'a str>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ErrorText<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        code_name: Option<&'a str>,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        info: Option<&'a Value>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct WaitText<'a> {
        resolved_by: &'a str,
        polls: u32,
        waited_ms: f64,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct CheckText<'a> {
        id: &'a str,
        check_type: &'a str,
        state: &'a str,
        errors: Vec<ErrorText<'a>>,
        task_ids: &'a [String],
        is_complete: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        result: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        decision: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        variant: Option<VariantText<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        instructed_on: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        started_on: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        completed_on: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        performed_on: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        wait: Option<WaitText<'a>>,
    }
    let millis = |date: &Option<DateTime<Utc>>| date.as_ref().map(DateTime::timestamp_millis);
    let text = CheckText {
        id: &check.id,
        check_type: check.check_type.as_str(),
        state: check.state.as_str(),
        errors: check
            .errors
            .iter()
            .map(|detail| ErrorText {
                code: detail.code,
                code_name: detail.code_name(),
                message: &detail.message,
                source: detail.source.as_ref().map(|s| s.as_str()),
                info: detail.info.as_ref(),
            })
            .collect(),
        task_ids: &check.task_ids,
        is_complete: check.is_complete(),
        result: check.result.as_ref().map(|r| r.as_str()),
        decision: check.decision.as_ref().map(|d| d.as_str()),
        variant: check.variant.as_ref().map(|v| VariantText {
            id: v.id.as_deref(),
            alias: v.alias.as_deref(),
            name: v.name.as_deref(),
            task_type: v.task_type.as_ref().map(|t| t.as_str()),
        }),
        instructed_on: millis(&check.instructed_on),
        started_on: millis(&check.started_on),
        completed_on: millis(&check.completed_on),
        performed_on: millis(&check.performed_on),
        wait: wait.map(|finished| WaitText {
            resolved_by: finished.resolved_by.as_str(),
            polls: finished.polls,
            waited_ms: finished.waited.as_secs_f64() * 1000.0,
        }),
    };
    let mut json = serde_json::to_string(&text).expect("a check serialises");
    // `raw` is valid JSON already (the core decoded it): spliced in, not re-encoded.
    json.pop();
    json.push_str(",\"raw\":");
    json.push_str(check.raw());
    json.push('}');
    json
}

/// A finished wait's check as `check_text`, with how the wait ended.
pub fn finished_check_text(finished: &passfort_core::FinishedCheck) -> String {
    check_text(&finished.check, Some(finished))
}

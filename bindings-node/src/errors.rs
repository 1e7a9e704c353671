//! napi promises can only reject with a status and a reason, so a core error
//! travels as `PASSFORT_ERROR:<json>` and the JS layer (lib/errors.js)
//! rebuilds the matching Error subclass from it.

use passfort_core::Error;
use serde_json::{json, Map, Value};

pub const PREFIX: &str = "PASSFORT_ERROR:";

pub fn js_error(error: Error) -> napi::Error {
    coded(error_payload(&error))
}

/// A core error as the JSON the JS layer rebuilds its Error subclass from,
/// prefixed: the reason of a rejection, or a batch item's `error`.
pub fn error_reason(error: &Error) -> String {
    format!("{PREFIX}{}", error_payload(error))
}

/// The error's code (the JS layer picks its class by it, from one table) and fields.
fn error_payload(error: &Error) -> Value {
    let mut payload = Map::new();
    match error {
        Error::Api(api) => {
            payload.insert("status".into(), json!(api.status));
            let details: Vec<Value> = api.errors.iter().map(error_detail).collect();
            payload.insert("errors".into(), Value::Array(details));
            payload.insert("requestId".into(), json!(api.request_id));
            payload.insert("bodySnippet".into(), json!(api.body_snippet));
            payload.insert("retryAfterMs".into(), json!(api.retry_after.map(|wait| wait.as_millis() as u64)));
        }
        Error::Decode { status, snippet, .. } => {
            payload.insert("status".into(), json!(status));
            payload.insert("bodySnippet".into(), json!(snippet));
        }
        Error::Redirect { status, target_host, .. } => {
            payload.insert("status".into(), json!(status));
            payload.insert("targetHost".into(), json!(target_host));
        }
        Error::WaitTimeout { profile_id, check_id, last_state, waited } => {
            payload.insert("profileId".into(), json!(profile_id));
            payload.insert("checkId".into(), json!(check_id));
            payload.insert("lastState".into(), json!(last_state.as_ref().map(|s| s.as_str())));
            payload.insert("waitedMs".into(), json!(waited.as_millis() as u64));
        }
        Error::AmbiguousCheckCreation { profile_id, check_type, task_ids, sent_at, .. } => {
            payload.insert("profileId".into(), json!(profile_id));
            payload.insert("checkType".into(), json!(check_type));
            payload.insert("taskIds".into(), json!(task_ids));
            payload.insert("sentAt".into(), json!(sent_at.to_rfc3339()));
        }
        Error::AmbiguousCreation { operation, profile_id, look_for, sent_at, .. } => {
            payload.insert("operation".into(), json!(operation));
            payload.insert("profileId".into(), json!(profile_id));
            payload.insert("lookFor".into(), json!(look_for));
            payload.insert("sentAt".into(), json!(sent_at.to_rfc3339()));
        }
        Error::UpdateConflict { profile_id, attempts } => {
            payload.insert("status".into(), json!(412));
            payload.insert("profileId".into(), json!(profile_id));
            payload.insert("attempts".into(), json!(attempts));
        }
        Error::PatchFailed { profile_id, index, op, path, test_failed, .. } => {
            payload.insert("profileId".into(), json!(profile_id));
            payload.insert("index".into(), json!(index));
            payload.insert("op".into(), json!(op));
            payload.insert("path".into(), json!(path));
            payload.insert("testFailed".into(), json!(test_failed));
        }
        Error::Webhook { kind, .. } => {
            payload.insert("reason".into(), json!(kind.as_str()));
        }
        _ => {}
    }
    if let Some(cause) = error.cause() {
        let detail = match error {
            Error::Connection { message, .. } => message.clone(),
            other => other.to_string(),
        };
        payload.insert("cause".into(), json!({ "kind": cause.as_str(), "message": detail }));
    }
    payload.insert("code".into(), json!(error.code()));
    payload.insert("message".into(), json!(error.to_string()));
    payload.insert("mayHaveReachedServer".into(), json!(error.may_have_reached_server()));
    Value::Object(payload)
}

/// Every code `error_payload` can carry; the JS table is tested against it.
#[napi_derive::napi]
pub fn error_codes() -> Vec<&'static str> {
    Error::CODES.to_vec()
}

/// Every value the core's open enums know; the .d.ts unions are tested against it.
#[napi_derive::napi]
pub fn known_enums() -> std::collections::HashMap<String, Vec<&'static str>> {
    passfort_core::models::KNOWN_ENUMS.iter().map(|(name, values)| (name.to_string(), values.to_vec())).collect()
}

/// A panic in the core, as the package's error.
pub fn internal() -> napi::Error {
    coded(json!({ "code": "internal", "message": "internal error in the PassFort SDK (a panic; please report it)" }))
}

/// The same shape as a check's `errors` entries (`ErrorDetail` in models.rs).
fn error_detail(detail: &passfort_core::ErrorDetail) -> Value {
    json!({
        "code": detail.code,
        "codeName": detail.code_name(),
        "message": detail.message,
        "source": detail.source.as_ref().map(|s| s.as_str()),
        "info": detail.info,
    })
}

/// An error the JS layer turns into `AbortError`.
pub fn aborted() -> napi::Error {
    coded(json!({ "code": "aborted", "message": "The operation was aborted" }))
}

fn coded(payload: Value) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{PREFIX}{payload}"))
}

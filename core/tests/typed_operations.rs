//! The generated typed methods (`client.api()`, core/src/operations_typed.rs)
//! over real HTTP: each model decodes from the emulator's answers, its
//! open enums hold the values sent, and fields the model does not name are
//! kept in the resource's JSON.

mod support;

use passfort_core::models::{ApplicationStatus, DocumentImageType, EventResolution, EventType};
use passfort_core::{CheckState, QueryValue, RequestOptions, TaskState};
use serde_json::{json, Value};
use support::{individual_data, Harness};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[tokio::test]
async fn typed_methods_decode_every_model_and_keep_unknown_fields() {
    let h = Harness::start().await;
    let api = h.client.api();
    let none = RequestOptions::default();

    let me: Value = api.whoami(&none).await.unwrap();
    assert!(me.get("institution").is_some());
    let profile =
        api.create_profile(&json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": individual_data("Typed") }), &none).await.unwrap();
    let pid = profile.id.clone();
    let page =
        api.list_profiles(&[("q", "typed".into()), ("limit", QueryValue::Int(5)), ("offset", QueryValue::Null)], &none).await.unwrap();
    assert_eq!(page.results.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [pid.as_str()]);

    // Applications: status and flag typed, the rest (history, product) kept.
    let application = api.create_application(&pid, &json!({ "product": { "alias": "individual-account" } }), &none).await.unwrap();
    assert_eq!(application.status, ApplicationStatus::Applied);
    assert_eq!(application.product.as_ref().and_then(|p| p.alias.as_deref()), Some("individual-account"));
    let rejected = api.update_application(&pid, &application.id, &json!({ "status": "REJECTED" }), &none).await.unwrap();
    assert_eq!(rejected.status, ApplicationStatus::Rejected);
    let reverted = api.revert_application_decision(&pid, &application.id, Some(json!({ "comment": "again" })), &none).await.unwrap();
    assert_eq!(reverted.status, ApplicationStatus::Applied);
    assert!(reverted.history.iter().any(|change| change.status == ApplicationStatus::Rejected));
    let listed = api.list_applications(&pid, &none).await.unwrap();
    assert!(listed.iter().any(|a| a.id == application.id));
    assert_unknown_fields_kept(&api.get_application(&pid, &application.id, &none).await.unwrap().to_value(), &["id", "status"]);

    // Events: the resolution and event type typed; `data` kept whole.
    let body = json!({ "data": { "event_type": "ADVERSE_MEDIA_FLAG", "match_name": "Ada" } });
    let event = api.create_event(&pid, &body, &none).await.unwrap();
    assert_eq!(event.event_type(), Some(EventType::AdverseMediaFlag));
    assert_eq!(event.data.as_ref().unwrap()["match_name"], "Ada");
    let resolved =
        api.update_event(&pid, &event.id, &json!({ "resolution": "MISMATCH", "resolution_reason": "another Ada" }), &none).await.unwrap();
    assert_eq!(resolved.resolution, Some(EventResolution::Mismatch));
    assert_eq!(resolved.resolution_reason.as_deref(), Some("another Ada"));
    let bulk = api.bulk_update_events(&pid, &json!([{ "id": event.id, "resolution": "MATCH" }]), &none).await.unwrap();
    assert_eq!(bulk[0].resolution, Some(EventResolution::Match));
    assert_eq!(api.list_events(&pid, &none).await.unwrap().len(), 1);
    assert_eq!(api.get_event(&pid, &event.id, &none).await.unwrap().resolution, Some(EventResolution::Match));

    // Document images.
    let image = api.upload_document_image(&pid, &json!({ "data": PNG, "image_type": "FRONT" }), &none).await.unwrap();
    assert_eq!(image.image_type, Some(DocumentImageType::Front));
    assert_eq!(api.get_document_image(&pid, &image.id, &none).await.unwrap().id, image.id);
    assert_eq!(api.list_document_images(&pid, &none).await.unwrap().len(), 1);
    assert!(image.upload_date.is_some(), "PassFort's timestamp form is decoded");

    // Tasks and notes.
    let task = api.create_task(&pid, &json!({ "type": "INDIVIDUAL_VERIFY_ADDRESS" }), &none).await.unwrap();
    let note = api.add_note(&pid, &task.id, &json!({ "text": "Utility bill requested" }), &none).await.unwrap();
    assert_eq!(note.text.as_deref(), Some("Utility bill requested"));
    assert!(note.field("author").is_some(), "the author is kept though Note does not name it");
    assert_eq!(api.list_notes(&pid, &task.id, &none).await.unwrap().len(), 1);
    let deleted = api.delete_note(&pid, &task.id, note.id.as_deref().unwrap(), &none).await.unwrap();
    assert_eq!(deleted.id, note.id);
    let completed = api.complete_task(&pid, &task.id, &json!({ "state": "COMPLETED_PASS" }), &none).await.unwrap();
    assert_eq!(completed.state, TaskState::CompletedPass);
    let tasks = api.list_tasks(&pid, &none).await.unwrap();
    assert!(tasks.iter().any(|t| t.id == task.id && t.state == TaskState::CompletedPass));

    // Tags, found by free text.
    let tag = api.add_tag(&pid, &json!({ "name": "VIP lounge" }), &none).await.unwrap();
    assert_eq!(tag.name.as_deref(), Some("VIP lounge"));
    let found = api.search_tags("vip l", &[("limit", QueryValue::Int(5))], &none).await.unwrap();
    assert_eq!(found[0].id, tag.id);
    assert_eq!(api.remove_tag(&pid, &tag.id, &none).await.unwrap().id, tag.id);

    // Checks, through the same reconciliation as call("run_check").
    let check = api.run_check(&pid, &json!({ "check_type": "IDENTITY_CHECK" }), &[("mode", "sync".into())], &none).await.unwrap();
    assert_eq!(check.state, CheckState::Complete);
    assert_eq!(api.get_check(&pid, &check.id, &none).await.unwrap().id, check.id);

    // Everything else is JSON, whole.
    let status: Value = api.set_profile_status(&pid, "SUSPENDED", &none).await.unwrap();
    assert_eq!(status, "SUSPENDED");
    let audit: Vec<Value> = api.list_audit_items(&pid, &none).await.unwrap();
    assert!(audit.len() > 5);
}

/// The resource's JSON has fields besides those its model names.
fn assert_unknown_fields_kept(json: &Value, named: &[&str]) {
    let object = json.as_object().unwrap();
    assert!(object.keys().any(|key| !named.contains(&key.as_str())), "only named fields in {object:?}");
}

#[tokio::test]
async fn typed_methods_refuse_bad_arguments_before_any_request() {
    let h = Harness::start().await;
    let api = h.client.api();
    let none = RequestOptions::default();
    let before = h.requests().await.len();
    let error = api.list_profiles(&[("limit", QueryValue::Bool(true))], &none).await.unwrap_err();
    assert!(error.to_string().contains("limit"), "{error}");
    let mut keys_not_strings = std::collections::HashMap::new();
    keys_not_strings.insert((1, 2), "x");
    assert!(api.add_tag("p1", &keys_not_strings, &none).await.is_err(), "a body that is no JSON object");
    assert!(api.get_profile("not an id!", &none).await.is_err());
    assert_eq!(h.requests().await.len(), before);
}

#[test]
fn open_enums_know_the_descriptions_values() {
    let spec: Value = serde_json::from_str(include_str!("../../tests/fixtures/passfort-openapi-4.0-2019.json")).unwrap();
    let values = |name: &str| -> Vec<String> {
        spec["components"]["schemas"][name]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(values("ProductApplicationStatus"), ApplicationStatus::KNOWN);
    assert_eq!(values("ProductApplicationFlag"), passfort_core::models::ApplicationFlag::KNOWN);
    assert_eq!(values("EventResolution"), EventResolution::KNOWN);
    assert_eq!(values("EventType"), EventType::KNOWN);
    assert_eq!(values("DocumentImageType"), DocumentImageType::KNOWN);
}

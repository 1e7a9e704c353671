//! The generated typed methods (`client.applications().create(...)`, core/src/resources.rs)
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
    let api = &h.client;
    let none = RequestOptions::default();

    let me: Value = api.account().whoami(&none).await.unwrap();
    assert!(me.get("institution").is_some());
    let profile =
        api.profiles().create(&json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": individual_data("Typed") }), &none).await.unwrap();
    let pid = profile.id.clone();
    let page =
        api.profiles().list(&[("q", "typed".into()), ("limit", QueryValue::Int(5)), ("offset", QueryValue::Null)], &none).await.unwrap();
    assert_eq!(page.results.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [pid.as_str()]);

    // Applications: status and flag typed, the rest (history, product) kept.
    let application = api.applications().create(&pid, &json!({ "product": { "alias": "individual-account" } }), &none).await.unwrap();
    assert_eq!(application.status, ApplicationStatus::Applied);
    assert_eq!(application.product.as_ref().and_then(|p| p.alias.as_deref()), Some("individual-account"));
    let rejected = api.applications().update(&pid, &application.id, &json!({ "status": "REJECTED" }), &none).await.unwrap();
    assert_eq!(rejected.status, ApplicationStatus::Rejected);
    let reverted = api.applications().revert_decision(&pid, &application.id, Some(json!({ "comment": "again" })), &none).await.unwrap();
    assert_eq!(reverted.status, ApplicationStatus::Applied);
    assert!(reverted.history.iter().any(|change| change.status == ApplicationStatus::Rejected));
    let listed = api.applications().list(&pid, &none).await.unwrap();
    assert!(listed.iter().any(|a| a.id == application.id));
    assert_unknown_fields_kept(&api.applications().get(&pid, &application.id, &none).await.unwrap().to_value(), &["id", "status"]);

    // Events: the resolution and event type typed; `data` kept whole.
    let body = json!({ "data": { "event_type": "ADVERSE_MEDIA_FLAG", "match_name": "Ada" } });
    let event = api.events().create(&pid, &body, &none).await.unwrap();
    assert_eq!(event.event_type(), Some(EventType::AdverseMediaFlag));
    assert_eq!(event.data.as_ref().unwrap()["match_name"], "Ada");
    let resolved = api
        .events()
        .update(&pid, &event.id, &json!({ "resolution": "MISMATCH", "resolution_reason": "another Ada" }), &none)
        .await
        .unwrap();
    assert_eq!(resolved.resolution, Some(EventResolution::Mismatch));
    assert_eq!(resolved.resolution_reason.as_deref(), Some("another Ada"));
    let bulk = api.events().bulk_update(&pid, &json!([{ "id": event.id, "resolution": "MATCH" }]), &none).await.unwrap();
    assert_eq!(bulk[0].resolution, Some(EventResolution::Match));
    assert_eq!(api.events().list(&pid, &none).await.unwrap().len(), 1);
    assert_eq!(api.events().get(&pid, &event.id, &none).await.unwrap().resolution, Some(EventResolution::Match));

    // Document images.
    let image = api.documents().upload_image(&pid, &json!({ "data": PNG, "image_type": "FRONT" }), &none).await.unwrap();
    assert_eq!(image.image_type, Some(DocumentImageType::Front));
    assert_eq!(api.documents().get_image(&pid, &image.id, &none).await.unwrap().id, image.id);
    assert_eq!(api.documents().list_images(&pid, &none).await.unwrap().len(), 1);
    assert!(image.upload_date.is_some(), "PassFort's timestamp form is decoded");

    // Tasks and notes.
    let task = api.tasks().create(&pid, &json!({ "type": "INDIVIDUAL_VERIFY_ADDRESS" }), &none).await.unwrap();
    let note = api.notes().add(&pid, &task.id, &json!({ "text": "Utility bill requested" }), &none).await.unwrap();
    assert_eq!(note.text.as_deref(), Some("Utility bill requested"));
    assert!(note.field("author").is_some(), "the author is kept though Note does not name it");
    assert_eq!(api.notes().list(&pid, &task.id, &none).await.unwrap().len(), 1);
    let deleted = api.notes().delete(&pid, &task.id, note.id.as_deref().unwrap(), &none).await.unwrap();
    assert_eq!(deleted.id, note.id);
    let completed = api.tasks().complete(&pid, &task.id, &json!({ "state": "COMPLETED_PASS" }), &none).await.unwrap();
    assert_eq!(completed.state, TaskState::CompletedPass);
    let tasks = api.tasks().list(&pid, &none).await.unwrap();
    assert!(tasks.iter().any(|t| t.id == task.id && t.state == TaskState::CompletedPass));

    // Tags, found by free text.
    let tag = api.tags().add(&pid, &json!({ "name": "VIP lounge" }), &none).await.unwrap();
    assert_eq!(tag.name.as_deref(), Some("VIP lounge"));
    let found = api.tags().search("vip l", &[("limit", QueryValue::Int(5))], &none).await.unwrap();
    assert_eq!(found[0].id, tag.id);
    assert_eq!(api.tags().remove(&pid, &tag.id, &none).await.unwrap().id, tag.id);

    // Checks, through the same reconciliation as call("run_check").
    let check = api.checks().run(&pid, &json!({ "check_type": "IDENTITY_CHECK" }), &[("mode", "sync".into())], &none).await.unwrap();
    assert_eq!(check.state, CheckState::Complete);
    assert_eq!(api.checks().get(&pid, &check.id, &none).await.unwrap().id, check.id);

    // Everything else is JSON, whole.
    let status: Value = api.status().set(&pid, "SUSPENDED", &none).await.unwrap();
    assert_eq!(status, "SUSPENDED");
    let audit: Vec<Value> = api.audit_items().list(&pid, &none).await.unwrap();
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
    let api = &h.client;
    let none = RequestOptions::default();
    let before = h.requests().await.len();
    let error = api.profiles().list(&[("limit", QueryValue::Bool(true))], &none).await.unwrap_err();
    assert!(error.to_string().contains("limit"), "{error}");
    let mut keys_not_strings = std::collections::HashMap::new();
    keys_not_strings.insert((1, 2), "x");
    assert!(api.tags().add("p1", &keys_not_strings, &none).await.is_err(), "a body that is no JSON object");
    assert!(api.profiles().get("not an id!", &none).await.is_err());
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

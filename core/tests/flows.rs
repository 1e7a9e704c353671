//! The flows against the emulator: an application decision taken once, and a
//! document check end to end with its refusals and a lost upload.

mod support;

use passfort_core::{CallArgs, CheckMode, DecisionOutcome, DocumentCheckArgs, Error, RequestOptions, TaskOutcome, WaitOptions};
use serde_json::{json, Value};
use support::Harness;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63,
    0x64, 0x60, 0xf8, 0x5f, 0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

fn path(pairs: &[(&str, &str)]) -> CallArgs {
    CallArgs { path: pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(), ..CallArgs::default() }
}

async fn apply(h: &Harness, profile_id: &str) -> String {
    let body = json!({ "product": { "alias": "individual-account" } });
    let created = h
        .client
        .call("create_application", CallArgs { body: Some(body), ..path(&[("profile_id", profile_id)]) }, &RequestOptions::default())
        .await
        .unwrap();
    created.body["id"].as_str().unwrap().to_owned()
}

/// Successful status writes to applications.
async fn status_writes(h: &Harness) -> Vec<Value> {
    h.requests()
        .await
        .into_iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"].as_str().unwrap().contains("/applications/")
                && !r["path"].as_str().unwrap().ends_with("revert_decision")
        })
        .collect()
}

fn passport(image: &[u8]) -> DocumentCheckArgs {
    DocumentCheckArgs { image: image.to_vec(), image_type: "FRONT".into(), document_type: "PASSPORT".into(), ..Default::default() }
}

fn wait() -> WaitOptions {
    WaitOptions { timeout: std::time::Duration::from_secs(20), ..WaitOptions::default() }
}

#[tokio::test]
async fn a_decision_is_blocked_then_approved_once_the_tasks_pass() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let aid = apply(&h, &pid).await;

    let blocked = h.client.decide_application(&pid, &aid).await.unwrap();
    assert_eq!(blocked.outcome, DecisionOutcome::Blocked);
    assert_eq!(blocked.blockers.len(), 2, "{:?}", blocked.blockers);
    assert!(blocked.blockers.iter().all(|b| b["blocker_type"] == "INCOMPLETE_TASK"));
    assert_eq!(blocked.application["status"], "APPLIED");
    assert!(status_writes(&h).await.is_empty(), "blocked: nothing written");

    for task in h.client.list_tasks(&pid).await.unwrap() {
        h.client.complete_task(&pid, &task.id, TaskOutcome::Pass).await.unwrap();
    }
    let approved = h.client.decide_application(&pid, &aid).await.unwrap();
    assert_eq!(approved.outcome, DecisionOutcome::Approved);
    assert!(approved.written);
    assert!(approved.blockers.is_empty());
    assert_eq!(approved.application["status"], "APPROVED");

    // Asked again: the decision stands, nothing more is written.
    let again = h.client.decide_application(&pid, &aid).await.unwrap();
    assert_eq!(again.outcome, DecisionOutcome::Approved);
    assert!(!again.written);
    assert_eq!(status_writes(&h).await.len(), 1);
}

#[tokio::test]
async fn a_failed_task_rejects_the_application() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let aid = apply(&h, &pid).await;
    let tasks = h.client.list_tasks(&pid).await.unwrap();
    h.client.complete_task(&pid, &tasks[0].id, TaskOutcome::Fail).await.unwrap();

    let rejected = h.client.decide_application(&pid, &aid).await.unwrap();
    assert_eq!(rejected.outcome, DecisionOutcome::Rejected);
    assert_eq!(rejected.application["status"], "REJECTED");
    assert_eq!(status_writes(&h).await.len(), 1);
}

#[tokio::test]
async fn two_concurrent_deciders_write_the_status_once() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let aid = apply(&h, &pid).await;
    for task in h.client.list_tasks(&pid).await.unwrap() {
        h.client.complete_task(&pid, &task.id, TaskOutcome::Pass).await.unwrap();
    }
    // Both read the application before either writes: the writes meet.
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/applications/*", "action": "delay", "delay_ms": 300, "times": 2 })).await;
    let other = h.builder().build().unwrap();
    let (first, second) = tokio::join!(h.client.decide_application(&pid, &aid), other.decide_application(&pid, &aid));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.outcome, DecisionOutcome::Approved);
    assert_eq!(second.outcome, DecisionOutcome::Approved);
    assert_eq!(u8::from(first.written) + u8::from(second.written), 1, "exactly one of them decided");
    let writes = status_writes(&h).await;
    let succeeded: Vec<&Value> = writes.iter().filter(|r| r["status"] == 200).collect();
    assert_eq!(succeeded.len(), 1, "exactly one status write took effect: {writes:?}");
    assert!(writes.len() <= 2, "each worker writes at most once: {writes:?}");
    let application = h
        .client
        .call("get_application", path(&[("profile_id", &pid), ("application_id", &aid)]), &RequestOptions::default())
        .await
        .unwrap();
    let history = application.body["history"].as_array().unwrap();
    assert_eq!(history.iter().filter(|entry| entry["status"] == "APPROVED").count(), 1, "{history:?}");
}

#[tokio::test]
async fn two_deciders_on_one_client_send_one_status_write() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let aid = apply(&h, &pid).await;
    for task in h.client.list_tasks(&pid).await.unwrap() {
        h.client.complete_task(&pid, &task.id, TaskOutcome::Pass).await.unwrap();
    }
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/applications/*", "action": "delay", "delay_ms": 300 })).await;
    let clone = h.client.clone();
    let (first, second) = tokio::join!(h.client.decide_application(&pid, &aid), clone.decide_application(&pid, &aid));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!((first.outcome, second.outcome), (DecisionOutcome::Approved, DecisionOutcome::Approved));
    assert_eq!(u8::from(first.written) + u8::from(second.written), 1);
    assert_eq!(status_writes(&h).await.len(), 1, "exactly one status write in the request log");
}

#[tokio::test]
async fn a_lost_document_add_is_ambiguous_and_never_resent() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/collected_data/documents", "action": "drop_after_commit" })).await;
    let error = h.client.run_document_check(&pid, &passport(PNG), CheckMode::Sync, &wait()).await.unwrap_err();
    match &error {
        Error::AmbiguousCreation { operation, look_for, .. } => {
            assert_eq!(operation, "add_document");
            assert!(look_for.contains("collected data"), "{look_for}");
        }
        other => panic!("expected AmbiguousCreation, got {other}"),
    }
    assert_eq!(h.requests_to("POST", "/collected_data/documents").await.len(), 1, "never resent");
    assert!(h.requests_to("POST", "/checks").await.is_empty(), "no check without its document's answer");
}

#[tokio::test]
async fn bad_images_are_refused_before_any_request() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let before = h.requests().await.len();
    let mut too_large = PNG.to_vec();
    too_large.resize(4 * 1024 * 1024 + 1, 0);
    let mut wrong_type = passport(PNG);
    wrong_type.image_type = "front side".into();
    for (args, says) in [
        (passport(b""), "empty"),
        (passport(&too_large), "over the limit"),
        (passport(b"plain text, not an image"), "known format"),
        (wrong_type, "image_type"),
    ] {
        let error = h.client.run_document_check(&pid, &args, CheckMode::Sync, &wait()).await.unwrap_err();
        assert!(matches!(error, Error::InvalidArgument(_)), "{error}");
        assert!(error.to_string().contains(says), "{error}");
    }
    assert_eq!(h.requests().await.len(), before, "no request was sent");
}

#[tokio::test]
async fn a_document_check_runs_end_to_end() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let finished = h.client.run_document_check(&pid, &passport(PNG), CheckMode::Sync, &wait()).await.unwrap();
    assert!(finished.check.is_complete());
    let check = finished.check.to_value();
    assert_eq!(check["check_type"], "DOCUMENT_VERIFICATION");
    let data = h.client.call("get_collected_data", path(&[("profile_id", &pid)]), &RequestOptions::default()).await.unwrap().body;
    let documents = data["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!(check["document_id"], documents[0]["id"]);
    assert_eq!(documents[0]["document_type"], "PASSPORT");
    assert_eq!(h.requests_to("POST", "/document_images").await.len(), 1);
    assert_eq!(h.requests_to("POST", "/collected_data/documents").await.len(), 1);
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 1);
}

#[tokio::test]
async fn a_lost_upload_is_ambiguous_and_never_resent() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/document_images", "action": "drop_after_commit" })).await;
    let error = h.client.run_document_check(&pid, &passport(PNG), CheckMode::Sync, &wait()).await.unwrap_err();
    match &error {
        Error::AmbiguousCreation { operation, profile_id, look_for, .. } => {
            assert_eq!(operation, "upload_document_image");
            assert_eq!(profile_id.as_deref(), Some(pid.as_str()));
            assert!(look_for.contains("document images"), "{look_for}");
        }
        other => panic!("expected AmbiguousCreation, got {other}"),
    }
    assert_eq!(h.requests_to("POST", "/document_images").await.len(), 1, "never resent");
    assert!(h.requests_to("POST", "/collected_data/documents").await.is_empty());
    let images = h.client.call("list_document_images", path(&[("profile_id", &pid)]), &RequestOptions::default()).await.unwrap();
    assert_eq!(images.body.as_array().unwrap().len(), 1, "exactly one image exists");
}

//! The safe collected-data update against the emulator: read with the ETag,
//! change, write with If-Match, re-apply on 412. Two writers racing both
//! keep their change; a failing `test` or a bad patch writes nothing.

mod support;

use passfort_core::{CallArgs, DataChange, Dialect, Error, RequestOptions};
use serde_json::{json, Value};
use support::Harness;

fn change(value: Value) -> DataChange {
    DataChange::from_value(Dialect::RUST, value).unwrap()
}

async fn stored(h: &Harness, profile_id: &str) -> (Value, Option<String>) {
    let args = CallArgs { path: vec![("profile_id".into(), profile_id.into())], ..CallArgs::default() };
    let answer = h.client.call("get_collected_data", args, &RequestOptions::default()).await.unwrap();
    (answer.body, answer.meta.etag)
}

/// Statuses of the writes to the profile's collected data, in order.
async fn writes(h: &Harness, profile_id: &str) -> Vec<u64> {
    let path = format!("/profiles/{profile_id}/collected_data");
    h.requests()
        .await
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with(&path))
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect()
}

async fn after_next_read(h: &Harness, profile_id: &str, change: Value) {
    h.admin(reqwest::Method::POST, &format!("/profiles/{profile_id}/collected_data/after_next_read"), Some(change)).await;
}

#[tokio::test]
async fn a_merge_patch_is_written_once_with_the_etag_it_was_read_with() {
    let h = Harness::start().await;
    let pid = h.individual("Merge").await.id.clone();
    let updated =
        h.client.update_collected_data(&pid, &change(json!({ "contact_details": { "email": "ada@example.com" } })), None).await.unwrap();

    assert_eq!(updated.attempts, 1);
    assert_eq!(updated.data["contact_details"]["email"], "ada@example.com");
    assert_eq!(updated.data["personal_details"]["name"]["family_name"], "Merge", "the rest is kept");
    let (data, etag) = stored(&h, &pid).await;
    assert_eq!(data, updated.data);
    assert_eq!(etag, updated.etag);
    let posts: Vec<Value> = h.requests_to("POST", "/collected_data").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["status"], 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_clients_racing_both_keep_their_change() {
    let h = Harness::start().await;
    let pid = h.individual("Race").await.id.clone();
    let (a, b) = (h.builder().build().unwrap(), h.builder().build().unwrap());

    // B writes between A's read and A's write: inside A's change, the first time.
    let mut calls = 0;
    let updated = a
        .update_collected_data_with(&pid, None, |data| {
            calls += 1;
            if calls == 1 {
                let (b, pid) = (b.clone(), pid.clone());
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(async move {
                        let email = change(json!({ "contact_details": { "email": "b@example.com" } }));
                        b.update_collected_data(&pid, &email, None).await.unwrap();
                    })
                });
            }
            data["personal_details"]["nationality"] = json!("GBR");
            Ok(())
        })
        .await
        .unwrap();

    assert_eq!((calls, updated.attempts), (2, 2), "A met B's write once and re-applied");
    assert_eq!(writes(&h, &pid).await, [200, 412, 200], "B wrote, A met a 412, A wrote");
    let (data, _) = stored(&h, &pid).await;
    assert_eq!(data["contact_details"]["email"], "b@example.com", "B's change survived");
    assert_eq!(data["personal_details"]["nationality"], "GBR", "A's change survived");
}

#[tokio::test]
async fn a_json_patch_is_reapplied_onto_the_data_the_412_answered() {
    let h = Harness::start().await;
    let pid = h.individual("Patch").await.id.clone();
    after_next_read(&h, &pid, json!({ "contact_details": { "email": "other@example.com" } })).await;

    let patch = change(json!([
        { "op": "test", "path": "/personal_details/name/family_name", "value": "Patch" },
        { "op": "add", "path": "/personal_details/name/given_names/-", "value": "Grace" },
    ]));
    let updated = h.client.update_collected_data(&pid, &patch, None).await.unwrap();

    assert_eq!(updated.attempts, 2);
    assert_eq!(writes(&h, &pid).await, [412, 200]);
    let (data, _) = stored(&h, &pid).await;
    assert_eq!(data["personal_details"]["name"]["given_names"], json!(["Ada", "Grace"]), "appended once");
    assert_eq!(data["contact_details"]["email"], "other@example.com", "the other writer's change survived");
}

#[tokio::test]
async fn a_failing_test_or_a_bad_patch_writes_nothing() {
    let h = Harness::start().await;
    let pid = h.individual("Precondition").await.id.clone();
    let before = stored(&h, &pid).await;

    let patch = change(json!([
        { "op": "test", "path": "/personal_details/name/family_name", "value": "Someone Else" },
        { "op": "replace", "path": "/personal_details/name/family_name", "value": "Changed" },
    ]));
    let error = h.client.update_collected_data(&pid, &patch, None).await.unwrap_err();
    assert!(matches!(&error, Error::PatchFailed { index: 0, test_failed: true, op, .. } if op == "test"), "{error:?}");
    assert_eq!(error.code(), "patch_failed");
    assert!(!error.to_string().contains("Someone Else"), "no values in the message: {error}");

    let missing = change(json!([{ "op": "remove", "path": "/no_such_field" }]));
    let error = h.client.update_collected_data(&pid, &missing, None).await.unwrap_err();
    assert!(matches!(error, Error::PatchFailed { test_failed: false, .. }), "{error:?}");

    let requests = h.requests().await.len();
    let bad = DataChange::from_value(Dialect::RUST, json!([{ "op": "add", "path": "no-slash", "value": 1 }])).unwrap_err();
    assert!(matches!(bad, Error::InvalidArgument(_)));
    let error = h.client.update_collected_data("not an id", &change(json!({})), None).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)));
    let error = h.client.update_collected_data(&pid, &change(json!({})), Some(0)).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)));
    assert_eq!(h.requests().await.len(), requests, "refused before any request");

    assert!(writes(&h, &pid).await.is_empty());
    assert_eq!(stored(&h, &pid).await, before);
}

#[tokio::test]
async fn a_conflict_on_every_attempt_is_a_typed_error_and_writes_nothing_of_the_change() {
    let h = Harness::start().await;
    let pid = h.individual("Busy").await.id.clone();
    after_next_read(&h, &pid, json!({ "contact_details": { "email": "other@example.com" } })).await;

    let error =
        h.client.update_collected_data(&pid, &change(json!({ "personal_details": { "nationality": "FRA" } })), Some(1)).await.unwrap_err();

    assert!(matches!(&error, Error::UpdateConflict { attempts: 1, profile_id } if *profile_id == pid), "{error:?}");
    assert_eq!(error.code(), "update_conflict");
    assert!(!error.may_have_reached_server());
    assert_eq!(writes(&h, &pid).await, [412]);
    let (data, _) = stored(&h, &pid).await;
    assert_eq!(data["contact_details"]["email"], "other@example.com");
    assert!(data["personal_details"].get("nationality").is_none());
}

#[tokio::test]
async fn a_lost_write_answer_is_read_back_not_applied_twice() {
    let h = Harness::start().await;
    let pid = h.individual("Lost").await.id.clone();
    h.fault(json!({ "method": "POST", "path": format!("/4.0/profiles/{pid}/collected_data"), "action": "drop_after_commit" })).await;

    let append = change(json!([{ "op": "add", "path": "/personal_details/name/given_names/-", "value": "Grace" }]));
    let updated = h.client.update_collected_data(&pid, &append, None).await.unwrap();

    assert_eq!(updated.attempts, 1);
    assert_eq!(writes(&h, &pid).await.len(), 1, "not resent");
    let (data, etag) = stored(&h, &pid).await;
    assert_eq!(data["personal_details"]["name"]["given_names"], json!(["Ada", "Grace"]), "appended once");
    assert_eq!((updated.data, updated.etag), (data, etag));
}

//! Manual check decisions, a check's tasks, and events from screening results.

mod api_support;

use api_support::{assert_valid, id, schema, Api};
use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn approving_or_rejecting_a_check_makes_a_new_check_on_the_same_tasks() {
    let api = Api::start().await;
    let profile = api.individual("Fail").await;
    let pid = id(&profile);
    let task = &profile["tasks"][0]["id"];
    let failed = api.check(pid, "IDENTITY_CHECK", &[task]).await;
    assert_eq!(failed["decision"], "FAIL");

    let approved = api.post(&format!("/profiles/{pid}/checks/{}/approve", id(&failed)), Value::Null).await;
    assert_ne!(approved["id"], failed["id"]);
    assert_eq!(
        (approved["state"].as_str(), approved["result"].as_str(), approved["decision"].as_str()),
        (Some("COMPLETE"), Some("2+2"), Some("PASS"))
    );
    assert_eq!(approved["task_ids"], json!([task]));
    assert_valid(&schema("CheckResource"), &approved);
    let original = api.get(&format!("/profiles/{pid}/checks/{}", id(&failed))).await;
    assert_eq!(
        (original["result"].as_str(), original["decision"].as_str()),
        (Some("Fail"), Some("FAIL")),
        "the original is left as it was"
    );
    let task_now = api.get(&format!("/profiles/{pid}/tasks/{}", task.as_str().unwrap())).await;
    assert_eq!(task_now["check_ids"], json!([failed["id"], approved["id"]]));
    api.hook("CHECK_COMPLETED", pid, |data| data["check"]["id"] == approved["id"] && data["check"]["decision"] == "PASS").await;

    let rejected = api.post(&format!("/profiles/{pid}/checks/{}/reject", id(&approved)), Value::Null).await;
    assert_eq!((rejected["result"].as_str(), rejected["decision"].as_str()), (Some("Fail"), Some("FAIL")));
    assert_eq!(api.get(&format!("/profiles/{pid}/checks")).await.as_array().unwrap().len(), 3);
    // A screen has no Fail result: a rejection keeps the result and decides FAIL.
    let screen = api.check(pid, "PEPS_AND_SANCTIONS_SCREEN", &[]).await;
    let rejected = api.post(&format!("/profiles/{pid}/checks/{}/reject", id(&screen)), Value::Null).await;
    assert_eq!((rejected["result"].as_str(), rejected["decision"].as_str()), (Some("Pass"), Some("FAIL")));
    assert_valid(&schema("CheckResource"), &rejected);

    let unknown = api.call(Method::POST, &format!("/profiles/{pid}/checks/00000000-0000-0000-0000-000000000000/approve"), None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(api.audit_actions(pid).await.iter().filter(|a| *a == "manual-decision").count() == 3);
}

#[tokio::test]
async fn a_decision_on_a_running_check_is_refused() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    api.emulator.configure(None, Some(std::time::Duration::from_secs(60)));
    let running = api.post(&format!("/profiles/{pid}/checks?mode=async"), json!({ "check_type": "IDENTITY_CHECK" })).await;
    api.call(Method::POST, &format!("/profiles/{pid}/checks/{}/approve", id(&running)), None).await.refused(402, "");
}

#[tokio::test]
async fn updating_a_check_changes_only_its_task_ids() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let (first, second) = (&profile["tasks"][0]["id"], &profile["tasks"][1]["id"]);
    let check = api.check(pid, "IDENTITY_CHECK", &[first]).await;
    let path = format!("/profiles/{pid}/checks/{}", id(&check));
    let updated = api.post(&path, json!({ "task_ids": [second], "result": "Fail", "check_type": "IDENTITY_CHECK" })).await;
    assert_eq!(updated["task_ids"], json!([second]));
    assert_eq!(updated["result"], "2+2", "nothing else changes");
    let tasks = api.get(&format!("/profiles/{pid}/tasks")).await;
    assert_eq!((tasks[0]["check_ids"].clone(), tasks[1]["check_ids"].clone()), (json!([]), json!([check["id"]])));
    api.call(Method::POST, &path, Some(json!({}))).await.refused(101, "task_ids");
    api.call(Method::POST, &path, Some(json!({ "task_ids": ["nope"] }))).await.refused(201, "task_ids");
    assert!(api.audit_actions(pid).await.contains(&"updated-check".to_owned()));
}

#[tokio::test]
async fn screening_matches_raise_events_that_can_be_resolved_one_by_one_or_in_bulk() {
    let api = Api::start().await;
    let profile = api.individual("PEP").await;
    let pid = id(&profile);
    let application = api.post(&format!("/profiles/{pid}/applications"), json!({ "product": { "alias": "individual-account" } })).await;
    let clean = api.check(pid, "IDENTITY_CHECK", &[]).await;
    assert_eq!(clean["result"], "2+2");
    assert_eq!(api.get(&format!("/profiles/{pid}/events")).await, json!([]), "no match, no event");

    let screen = api.check(pid, "PEPS_AND_SANCTIONS_SCREEN", &[]).await;
    assert_eq!(screen["result"], "PEP");
    let events = api.get(&format!("/profiles/{pid}/events")).await;
    let validator = schema("EventResource");
    assert_eq!(events.as_array().unwrap().len(), 1);
    let pep = &events[0];
    assert_valid(&validator, pep);
    assert_eq!((pep["data"]["event_type"].as_str(), pep["resolution"].as_str()), (Some("PEP_FLAG"), Some("UNRESOLVED")));
    assert_eq!(pep["check_id"], screen["id"]);
    let created = api.hook("EVENTS_CREATED", pid, |_| true).await;
    assert_eq!(created["data"]["events"], json!([{ "id": pep["id"], "event_type": "PEP_FLAG", "resolution": "UNRESOLVED" }]));
    let profile_now = api.get(&format!("/profiles/{pid}")).await;
    assert_eq!(profile_now["unresolved_event_types"], json!(["PEP_FLAG"]));
    let blockers = &api.get(&format!("/profiles/{pid}/applications/{}", id(&application))).await["approval_blockers"];
    assert!(
        blockers.as_array().unwrap().iter().any(|b| b["blocker_type"] == "UNRESOLVED_EVENT" && b["event_id"] == pep["id"]),
        "{blockers}"
    );

    // Sanction and media results too, on another profile's scripted screens.
    let scripted = api.individual("Smith").await;
    let sid = id(&scripted);
    let script = json!({ "profile_id": sid, "check_type": "PEPS_AND_SANCTIONS_SCREEN", "results": ["Sanction", "Media", "Pass"] });
    api.http.post(format!("{}/_emulator/script", api.emulator.url())).body(script.to_string()).send().await.unwrap();
    for _ in 0..3 {
        api.check(sid, "PEPS_AND_SANCTIONS_SCREEN", &[]).await;
    }
    let kinds: Vec<Value> =
        api.get(&format!("/profiles/{sid}/events")).await.as_array().unwrap().iter().map(|e| e["data"]["event_type"].clone()).collect();
    assert_eq!(kinds, [json!("SANCTION_FLAG"), json!("ADVERSE_MEDIA_FLAG")]);

    // One by one.
    let path = format!("/profiles/{pid}/events/{}", id(pep));
    let resolved = api.post(&path, json!({ "resolution": "MISMATCH", "resolution_reason": "different person" })).await;
    assert_eq!((resolved["resolution"].as_str(), resolved["resolution_reason"].as_str()), (Some("MISMATCH"), Some("different person")));
    assert!(resolved["resolution_date"].is_string());
    assert_valid(&validator, &resolved);
    assert_eq!(api.get(&path).await, resolved);
    let updated = api.hook("EVENTS_UPDATED", pid, |_| true).await;
    assert_eq!(updated["data"]["events"][0]["resolution"], "MISMATCH");
    api.call(Method::POST, &path, Some(json!({ "resolution": "SHRUG" }))).await.refused(201, "resolution");

    // A created one, then both in bulk; a bad item changes nothing.
    let manual = api
        .post(&format!("/profiles/{pid}/events"), json!({ "data": { "event_type": "ADVERSE_MEDIA_FLAG", "match_name": "Ada PEP" } }))
        .await;
    assert_valid(&validator, &manual);
    api.hook("EVENTS_CREATED", pid, |data| data["events"][0]["id"] == manual["id"]).await;
    api.call(Method::POST, &format!("/profiles/{pid}/events"), Some(json!({ "data": { "event_type": "DOCUMENT_EXPIRY" } })))
        .await
        .refused(201, "data.event_type");
    api.call(Method::POST, &format!("/profiles/{pid}/events"), Some(json!({ "resolution": "MATCH" }))).await.refused(101, "data");
    let bulk = format!("/profiles/{pid}/events/bulk_update");
    let bad = json!([{ "id": pep["id"], "resolution": "MATCH" }, { "id": "00000000-0000-0000-0000-000000000000", "resolution": "MATCH" }]);
    api.call(Method::POST, &bulk, Some(bad)).await.refused(201, "[1].id");
    assert_eq!(api.get(&path).await["resolution"], "MISMATCH", "all or nothing");
    api.call(Method::POST, &bulk, Some(json!([{ "resolution": "MATCH" }]))).await.refused(101, "[0].id");
    let task = &profile["tasks"][1]["id"];
    let both = api
        .post(&bulk, json!([{ "id": pep["id"], "resolution": "MATCH" }, { "id": manual["id"], "resolution": "CREATED_TASK", "resolution_task_ids": [task] }]))
        .await;
    let resolutions: Vec<&str> = both.as_array().unwrap().iter().map(|e| e["resolution"].as_str().unwrap()).collect();
    assert_eq!(resolutions, ["MATCH", "CREATED_TASK"]);
    assert_eq!(both[1]["resolution_task_ids"], json!([task]));
    let bulk_hook = api.hook("EVENTS_UPDATED", pid, |data| data["events"].as_array().is_some_and(|e| e.len() == 2)).await;
    assert_eq!(bulk_hook["data"]["events"][1]["resolution"], "CREATED_TASK");
    assert_eq!(api.get(&format!("/profiles/{pid}")).await["unresolved_event_types"], json!([]));
    let actions = api.audit_actions(pid).await;
    for action in ["added-event", "event-resolution", "event-bulk-resolution", "instructed-check"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

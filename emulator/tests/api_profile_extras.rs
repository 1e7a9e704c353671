//! Tasks and notes, status, tags, collection steps, audit items, searches and collect keys.

mod api_support;

use api_support::{assert_valid, id, schema, Api};
use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn tasks_can_be_added_and_carry_notes() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let task = api.post(&format!("/profiles/{pid}/tasks"), json!({ "type": "INDIVIDUAL_VERIFY_ADDRESS" })).await;
    assert_valid(&schema("TaskResource"), &task);
    assert_eq!(task["state"], "INCOMPLETE");
    let created = api.hook("TASK_CREATED", pid, |_| true).await;
    assert_eq!(created["data"]["task"], json!({ "id": task["id"], "type": "INDIVIDUAL_VERIFY_ADDRESS", "state": "INCOMPLETE" }));
    api.call(Method::POST, &format!("/profiles/{pid}/tasks"), Some(json!({ "type": "COMPANY_VERIFY_IDENTITY" })))
        .await
        .refused(201, "type");
    api.call(Method::POST, &format!("/profiles/{pid}/tasks"), Some(json!({ "type": "WASH_THE_CAR" }))).await.refused(201, "type");
    api.call(Method::POST, &format!("/profiles/{pid}/tasks"), Some(json!({}))).await.refused(101, "type");

    let notes = format!("/profiles/{pid}/tasks/{}/notes", id(&task));
    assert_eq!(api.get(&notes).await, json!([]));
    let file = api.post(&format!("/profiles/{pid}/files"), json!({ "data": api_support::PNG, "name": "bill.png" })).await;
    let note = api.post(&notes, json!({ "text": "Utility bill requested", "attachments": [{ "id": file["id"] }] })).await;
    assert_valid(&schema("NoteResource"), &note);
    assert_eq!(note["attachments"], json!([file]));
    let second = api.post(&notes, json!({ "text": "Received" })).await;
    api.call(Method::POST, &notes, Some(json!({ "attachments": [] }))).await.refused(101, "text");
    api.call(Method::POST, &notes, Some(json!({ "text": 5 }))).await.refused(201, "text");
    assert_eq!(api.get(&notes).await, json!([note, second]));
    let deleted = api.ok(Method::DELETE, &format!("{notes}/{}", id(&note)), None).await;
    assert_eq!(deleted["id"], note["id"]);
    assert_eq!(api.get(&notes).await, json!([second]));
    assert_eq!(api.call(Method::DELETE, &format!("{notes}/{}", id(&note)), None).await.status, StatusCode::NOT_FOUND);
    let actions = api.audit_actions(pid).await;
    for action in ["created-profile", "added-a-task", "added-a-task-note", "deleted-a-task-note"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn status_and_tags_change_the_profile_and_leave_audit_items() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let status = format!("/profiles/{pid}/status");
    assert_eq!(api.get(&status).await, "NORMAL");
    assert_eq!(api.post(&status, json!("SUSPENDED")).await, "SUSPENDED");
    assert_eq!(api.post(&status, json!({ "status": "BANNED" })).await, "BANNED");
    api.call(Method::POST, &status, Some(json!("DELETED"))).await.refused(201, "status");
    api.call(Method::POST, &status, Some(json!({}))).await.refused(101, "status");
    assert_eq!(api.get(&format!("/profiles/{pid}")).await["status"], "BANNED");
    let application = api.post(&format!("/profiles/{pid}/applications"), json!({ "product": { "alias": "individual-account" } })).await;
    assert!(application["approval_blockers"].as_array().unwrap().iter().any(|b| b["blocker_type"] == "SUSPENDED_PROFILE"));

    let tag = api.post(&format!("/profiles/{pid}/tags"), json!({ "name": "VIP" })).await;
    assert_valid(&schema("TagResource"), &tag);
    assert_eq!(api.post(&format!("/profiles/{pid}/tags"), json!({ "name": "VIP" })).await, tag, "adding again answers the same tag");
    api.call(Method::POST, &format!("/profiles/{pid}/tags"), Some(json!({}))).await.refused(101, "name");
    let other = api.individual("Jones").await;
    let other_tag = api.post(&format!("/profiles/{}/tags", id(&other)), json!({ "name": "VIP" })).await;
    assert_eq!(other_tag["id"], tag["id"], "a tag is the same on every profile");
    api.post(&format!("/profiles/{}/tags", id(&other)), json!({ "name": "vip-lounge" })).await;
    let found = api.get("/tags/search/vi").await;
    assert_eq!(found.as_array().unwrap().iter().map(|t| t["name"].clone()).collect::<Vec<_>>(), [json!("VIP"), json!("vip-lounge")]);
    assert_eq!(api.get("/tags/search/vi?limit=1").await.as_array().unwrap().len(), 1);
    assert_eq!(api.get("/profiles?q=lounge").await["count"], 1, "profile search covers tags");
    assert_eq!(api.get(&format!("/profiles/{pid}")).await["tags"], json!([tag]));

    let removed = api.ok(Method::DELETE, &format!("/profiles/{pid}/tags/{}", id(&tag)), None).await;
    assert_eq!(removed, tag);
    assert_eq!(api.call(Method::DELETE, &format!("/profiles/{pid}/tags/{}", id(&tag)), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&format!("/profiles/{pid}")).await["tags"], json!([]));
    let actions = api.audit_actions(pid).await;
    assert_eq!(actions.iter().filter(|a| *a == "profile-status-changed").count(), 2);
    for action in ["added-a-tag", "removed-a-tag"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    assert_valid(&schema("ProfileResource"), &api.get(&format!("/profiles/{pid}")).await);
}

#[tokio::test]
async fn collection_steps_are_replaced_and_validated() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let path = format!("/profiles/{pid}/collection_steps");
    assert_eq!(api.get(&path).await, json!([]));
    let steps = json!([
        { "collection_type": "FULL_NAME" },
        { "collection_type": "DOB", "precision": "YEAR" },
        { "collection_type": "DOCUMENT", "category": "PROOF_OF_IDENTITY", "allowed_types": ["PASSPORT"] },
    ]);
    assert_eq!(api.post(&path, steps.clone()).await, steps);
    api.call(Method::POST, &path, Some(json!([{ "collection_type": "SHOE_SIZE" }]))).await.refused(201, "[0].collection_type");
    api.call(Method::POST, &path, Some(json!([{ "collection_type": "DOB", "precision": "DECADE" }]))).await.refused(201, "[0].precision");
    api.call(Method::POST, &path, Some(json!([{ "collection_type": "DOCUMENT", "category": "PROOF_OF_IDENTITY" }])))
        .await
        .refused(101, "[0].allowed_types");
    api.call(Method::POST, &path, Some(json!({ "collection_type": "DOB" }))).await.refused(201, "");
    assert_eq!(api.get(&path).await, steps);
    let fetched = api.get(&format!("/profiles/{pid}")).await;
    assert_eq!((fetched["collection_steps"].clone(), fetched["has_collection_steps"].clone()), (steps, json!(true)));
    assert!(api.audit_actions(pid).await.contains(&"requested-data".to_owned()));
}

#[tokio::test]
async fn searches_use_the_built_in_data_sets() {
    let api = Api::start().await;
    let found = api.get("/search/companies?country=GBR&query=acme").await;
    let names: Vec<&str> = found["companies"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ACME TRADING LIMITED", "ACME HOLDINGS PLC"]);
    assert_eq!(api.get("/search/companies?country=GBR&query=08776223").await["companies"][0]["name"], "PASSFORT LIMITED");
    assert_eq!(api.get("/search/companies?country=USA&state=DE&query=acme").await["companies"][0]["state"], "DE");
    api.call(Method::GET, "/search/companies?country=USA&query=acme", None).await.refused(101, "state");
    api.call(Method::GET, "/search/companies?query=acme", None).await.refused(101, "country");
    api.call(Method::GET, "/search/companies?country=UK&query=acme", None).await.refused(201, "country");
    api.call(Method::GET, "/search/companies?country=GBR&query=acme&provider=other", None).await.refused(201, "provider");

    let addresses = api.get("/address/search?address=baker&country_code=GBR").await;
    assert_eq!(addresses["count"], 1);
    let hit = &addresses["results"][0];
    let (start, end) = (hit["query_substrings"][0][0].as_u64().unwrap() as usize, hit["query_substrings"][0][1].as_u64().unwrap() as usize);
    assert_eq!(&hit["text"].as_str().unwrap()[start..end], "Baker");
    assert_eq!(api.get("/address/search?address=london&country_code=GBR&limit=2").await["results"].as_array().unwrap().len(), 2);
    api.call(Method::GET, "/address/search?address=london&country_code=GBR&limit=0", None).await.refused(201, "limit");
    api.call(Method::GET, &format!("/address/search?address={}&country_code=GBR", "a".repeat(201)), None).await.refused(201, "address");
    api.call(Method::GET, "/address/search?country_code=GBR", None).await.refused(101, "address");
    let structured = api.get(&format!("/address/format?id={}&country_code=GBR", hit["id"].as_str().unwrap())).await;
    assert_valid(&schema("StructuredAddress"), &structured);
    assert_eq!((structured["route"].as_str(), structured["postal_code"].as_str()), (Some("Baker Street"), Some("NW1 6XE")));
    assert_eq!(api.call(Method::GET, "/address/format?id=GBR-1&country_code=USA", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn collect_keys_are_made_for_known_profiles() {
    let api = Api::start().await;
    let profile = api.individual("Smith").await;
    let pid = id(&profile);
    let key = api.post(&format!("/api_keys/collect/{pid}"), Value::Null).await;
    assert!(key["key"].as_str().unwrap().starts_with("collect_") && key["expiry"].is_string() && key["name"].is_string(), "{key}");
    assert_valid(&schema("ApiKey"), &json!({ "name": key["name"], "expiry": key["expiry"] }));
    let many = api.post("/api_keys/collect", json!({ "profile_ids": [pid] })).await;
    assert_ne!(many["key"], key["key"]);
    api.call(Method::POST, "/api_keys/collect", Some(json!({}))).await.refused(101, "profile_ids");
    api.call(Method::POST, "/api_keys/collect", Some(json!({ "profile_ids": [pid, "nope"] }))).await.refused(201, "profile_ids[1]");
    let unknown = api.call(Method::POST, "/api_keys/collect/00000000-0000-0000-0000-000000000000", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(api.audit_actions(pid).await.iter().filter(|a| *a == "requested-data").count(), 2);
}

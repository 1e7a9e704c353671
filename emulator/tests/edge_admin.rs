//! Admin triggers for what the API cannot cause on its own: risk changes, a
//! manual-action event, the catalogue of products.

mod edge_support;

use std::time::Duration;

use edge_support::Edge;
use passfort_emulator::{EmulatorConfig, Product, Risk};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn fast() -> EmulatorConfig {
    EmulatorConfig { provider_latency: Duration::ZERO, ..EmulatorConfig::default() }
}

#[tokio::test]
async fn a_risk_change_sends_risk_level_and_score_events_for_what_changed() {
    let edge = Edge::start(fast(), Some(None), false).await;
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();

    let set = edge.admin(Method::POST, &format!("/profiles/{pid}/risk"), Some(json!({ "level": "HIGH", "score": 72.5 }))).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json(), json!({ "profile_id": pid, "level": "HIGH", "score": 72.5 }));
    // The same level again with a new score: only the score changed. Then a marker.
    edge.admin(Method::POST, &format!("/profiles/{pid}/risk"), Some(json!({ "level": "HIGH", "score": 80 }))).await;
    edge.admin(Method::POST, &format!("/profiles/{pid}/manual_action"), Some(json!({}))).await;

    let hooks = edge.hooks_settled_after("MANUAL_ACTION_REQUIRED").await;
    let events: Vec<&str> = hooks.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["RISK_LEVEL_CHANGED", "RISK_SCORE_CHANGED", "RISK_SCORE_CHANGED", "MANUAL_ACTION_REQUIRED"]);
    assert_eq!(hooks[0]["data"], json!({ "profile_id": pid, "customer_ref": null, "new_risk_level": "HIGH", "old_risk_level": null }));
    assert_eq!(hooks[1]["data"]["new_risk_score"], 72.5);
    assert_eq!(hooks[2]["data"]["old_risk_score"], 72.5);
    assert_eq!(hooks[2]["data"]["new_risk_score"], 80.0);

    assert_eq!(edge.admin(Method::POST, &format!("/profiles/{pid}/risk"), Some(json!({ "level": "EXTREME" }))).await.status, 400);
    assert_eq!(edge.admin(Method::POST, &format!("/profiles/{pid}/risk"), Some(json!({}))).await.status, 400);
    let unknown = edge.admin(Method::POST, "/profiles/00000000-0000-0000-0000-000000000000/risk", Some(json!({ "score": 1 }))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The library form.
    assert_eq!(edge.emulator.set_risk(pid, Some("LOW"), None).unwrap(), Risk { level: Some("LOW".into()), score: Some(80.0) });
}

#[tokio::test]
async fn a_manual_action_event_names_the_application() {
    let edge = Edge::start(fast(), Some(Some(vec!["MANUAL_ACTION_REQUIRED"])), false).await;
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let application = edge
        .ok(Method::POST, &format!("/profiles/{pid}/applications"), Some(json!({ "product": { "alias": "individual-account" } })))
        .await;
    let application_id = application["id"].as_str().unwrap();

    let answer =
        edge.admin(Method::POST, &format!("/profiles/{pid}/manual_action"), Some(json!({ "application_id": application_id }))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let hooks = edge.hooks_until(|hooks| !hooks.is_empty()).await;
    assert_eq!(hooks[0]["event"], "MANUAL_ACTION_REQUIRED");
    let data = &hooks[0]["data"];
    assert_eq!(data, &answer.json()["data"]);
    assert_eq!(data["profile_id"], pid);
    assert_eq!(data["application_id"], application_id);
    assert_eq!(data["product"]["alias"], "individual-account");
    assert_eq!(data["check"], Value::Null);

    let unknown = edge.admin(Method::POST, &format!("/profiles/{pid}/manual_action"), Some(json!({ "application_id": "nope" }))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let data = edge.emulator.trigger_manual_action(pid, None).unwrap();
    assert_eq!(data["application_id"], application_id, "the profile's first application");
}

#[tokio::test]
async fn the_catalogue_of_products_can_be_replaced_and_restored() {
    let edge = Edge::start(fast(), None, false).await;
    let built_in = edge.admin(Method::GET, "/products", None).await.json();
    assert!(built_in.as_array().unwrap().iter().any(|p| p["alias"] == "individual-account"), "{built_in}");

    let catalogue = json!({ "products": [
        { "alias": "savings", "name": "Savings account", "entity_type": "INDIVIDUAL", "required_tasks": ["INDIVIDUAL_VERIFY_IDENTITY"] },
    ] });
    let set = edge.admin(Method::PUT, "/products", Some(catalogue)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json().as_array().unwrap().len(), 1);
    assert!(set.json()[0]["id"].is_string());

    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let path = format!("/profiles/{pid}/applications");
    let applied = edge.ok(Method::POST, &path, Some(json!({ "product": { "alias": "savings" } }))).await;
    assert_eq!(applied["product"]["name"], "Savings account", "{applied}");
    let gone = edge.call(Method::POST, &path, Some(json!({ "product": { "alias": "individual-account" } }))).await;
    assert_eq!(gone.status, StatusCode::BAD_REQUEST, "no longer in the catalogue: {}", gone.text);

    for bad in [json!({}), json!({ "products": [{ "alias": "x", "name": "X", "entity_type": "TRUST" }] }), json!({ "products": 3 })] {
        assert_eq!(edge.admin(Method::PUT, "/products", Some(bad)).await.status, StatusCode::BAD_REQUEST);
    }

    let restored = edge.admin(Method::PUT, "/products", Some(json!({ "products": null }))).await.json();
    assert_eq!(restored, built_in);
    edge.emulator.set_products(Some(vec![Product {
        alias: "lib".into(),
        name: "From the library".into(),
        entity_type: "COMPANY".into(),
        required_tasks: vec![],
    }]));
    assert_eq!(edge.admin(Method::GET, "/products", None).await.json()[0]["alias"], "lib");
    edge.emulator.reset();
    assert_eq!(edge.admin(Method::GET, "/products", None).await.json(), built_in, "reset restores the built-in catalogue");
}

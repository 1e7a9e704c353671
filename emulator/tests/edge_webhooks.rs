//! Webhook events: the table, deprecated events off unless listed, the batch
//! window, and `profile_id` in every event's data.

mod edge_support;

use std::time::Duration;

use edge_support::Edge;
use passfort_emulator::{ConfigChange, EmulatorConfig, WEBHOOK_EVENTS};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const DEPRECATED: [&str; 4] =
    ["PROFILE_STATUS_CHANGED", "TASK_IS_COMPLETE_CHANGED", "COLLECTION_STEPS_COMPLETED", "COLLECTED_DATA_UPDATED"];

fn fast() -> EmulatorConfig {
    EmulatorConfig { provider_latency: Duration::ZERO, ..EmulatorConfig::default() }
}

fn individual_data(family_name: &str) -> Value {
    json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name } } })
}

/// Changes collected data, completes a task as passed then as failed, and
/// finally sets a risk level: RISK_LEVEL_CHANGED is the marker after which
/// everything queued before has been delivered (delivery is in order).
async fn cause_events(edge: &Edge) -> String {
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap().to_owned();
    edge.ok(Method::POST, &format!("/profiles/{pid}/collected_data"), Some(individual_data("Jones"))).await;
    let task = profile["tasks"][0]["id"].as_str().unwrap();
    for state in ["COMPLETED_PASS", "COMPLETED_FAIL"] {
        edge.ok(Method::POST, &format!("/profiles/{pid}/tasks/{task}"), Some(json!({ "state": state }))).await;
    }
    let risk = edge.admin(Method::POST, &format!("/profiles/{pid}/risk"), Some(json!({ "level": "HIGH" }))).await;
    assert_eq!(risk.status, StatusCode::OK, "{}", risk.text);
    pid
}

#[tokio::test]
async fn the_event_table_lists_passforts_events_and_the_deprecated_ones() {
    assert_eq!(WEBHOOK_EVENTS.len(), 17);
    let deprecated: Vec<&str> = WEBHOOK_EVENTS.iter().filter(|e| e.deprecated).map(|e| e.name).collect();
    assert_eq!(deprecated.len(), 4);
    assert!(DEPRECATED.iter().all(|name| deprecated.contains(name)));
    let confirmed: Vec<&str> = WEBHOOK_EVENTS.iter().filter(|e| e.name_confirmed).map(|e| e.name).collect();
    assert_eq!(confirmed, ["PRODUCT_STATUS_CHANGED"], "the only published event string");
    let edge = Edge::start(fast(), None, false).await;
    let table = edge.admin(Method::GET, "/webhook/events", None).await.json();
    assert_eq!(table.as_array().unwrap().len(), 17);
    assert_eq!(table[0]["event"], "PRODUCT_STATUS_CHANGED");
}

#[tokio::test]
async fn deprecated_events_are_off_by_default() {
    let edge = Edge::start(fast(), Some(None), false).await;
    let pid = cause_events(&edge).await;
    let hooks = edge.hooks_settled_after("RISK_LEVEL_CHANGED").await;
    let events: Vec<&str> = hooks.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["COLLECTED_DATA_CHANGED", "TASK_STATE_CHANGED", "TASK_STATE_CHANGED", "RISK_LEVEL_CHANGED"]);
    assert!(hooks.iter().all(|e| e["data"]["profile_id"] == pid.as_str()), "{hooks:?}");
}

#[tokio::test]
async fn deprecated_events_are_sent_when_listed() {
    let events =
        vec!["COLLECTED_DATA_CHANGED", "COLLECTED_DATA_UPDATED", "TASK_STATE_CHANGED", "TASK_IS_COMPLETE_CHANGED", "RISK_LEVEL_CHANGED"];
    let edge = Edge::start(fast(), Some(Some(events)), false).await;
    let pid = cause_events(&edge).await;
    let hooks = edge.hooks_settled_after("RISK_LEVEL_CHANGED").await;
    let events: Vec<&str> = hooks.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        [
            "COLLECTED_DATA_CHANGED",
            "COLLECTED_DATA_UPDATED",
            "TASK_STATE_CHANGED",
            "TASK_IS_COMPLETE_CHANGED", // INCOMPLETE -> COMPLETED_PASS flips is_complete
            "TASK_STATE_CHANGED",       // COMPLETED_PASS -> COMPLETED_FAIL does not
            "RISK_LEVEL_CHANGED",
        ]
    );
    assert!(hooks.iter().all(|e| e["data"]["profile_id"] == pid.as_str()), "{hooks:?}");
    assert_eq!(hooks[1]["data"], hooks[0]["data"], "COLLECTED_DATA_UPDATED carries COLLECTED_DATA_CHANGED's data");
    assert_eq!(hooks[3]["data"]["task"]["is_complete"], true);
    assert_eq!(hooks[3]["data"]["task"]["id"], hooks[2]["data"]["task"]["id"]);
}

#[tokio::test]
async fn a_batch_gathers_for_the_configured_window() {
    let edge = Edge::start(fast(), Some(None), true).await;
    let window = Duration::from_millis(400);
    let set = edge.admin(Method::PUT, "/config", Some(json!({ "webhook_batch_window_ms": 400 }))).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json()["webhook_batch_window_ms"], 400);
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();

    let first_queued_ms = chrono::Utc::now().timestamp_millis();
    // Three events in quick succession: risk level and score, then a manual action.
    let risk = edge.admin(Method::POST, &format!("/profiles/{pid}/risk"), Some(json!({ "level": "LOW", "score": 10 }))).await;
    assert_eq!(risk.status, StatusCode::OK);
    edge.admin(Method::POST, &format!("/profiles/{pid}/manual_action"), None).await;

    let hooks = edge.hooks_until(|hooks| hooks.len() == 3).await;
    let deliveries = edge.deliveries.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "one batch: {deliveries:?}");
    assert!(deliveries[0].is_array());
    let events: Vec<&str> = hooks.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["RISK_LEVEL_CHANGED", "RISK_SCORE_CHANGED", "MANUAL_ACTION_REQUIRED"]);
    let log = edge.admin(Method::GET, "/webhook/deliveries", None).await.json();
    let sent_ms = log[0]["timestamp_ms"].as_i64().unwrap();
    assert!(sent_ms - first_queued_ms >= window.as_millis() as i64, "sent {} ms after the first event", sent_ms - first_queued_ms);
}

#[tokio::test]
async fn the_batch_window_is_0_to_10_s() {
    let edge = Edge::start(fast(), Some(None), true).await;
    assert_eq!(edge.emulator.config()["webhook_batch_window_ms"], 50, "the default");
    let refused = edge.admin(Method::PUT, "/config", Some(json!({ "webhook_batch_window_ms": 10_001 }))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(edge
        .emulator
        .configure_with(&ConfigChange { webhook_batch_window: Some(Duration::from_secs(11)), ..Default::default() })
        .is_err());
    let ten = edge.admin(Method::PUT, "/config", Some(json!({ "webhook_batch_window_ms": 10_000 }))).await;
    assert_eq!(ten.json()["webhook_batch_window_ms"], 10_000);

    // A window of 0 sends what is queued at once.
    edge.emulator.configure_with(&ConfigChange { webhook_batch_window: Some(Duration::ZERO), ..Default::default() }).unwrap();
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    edge.emulator.set_risk(pid, Some("MEDIUM"), None).unwrap();
    let hooks = edge.hooks_until(|hooks| !hooks.is_empty()).await;
    assert_eq!(hooks[0]["event"], "RISK_LEVEL_CHANGED");
    assert!(edge.deliveries.lock().unwrap()[0].is_array(), "still a batch, of one");

    // The window starts as configured, and reset returns to it.
    edge.emulator.reset();
    assert_eq!(edge.emulator.config()["webhook_batch_window_ms"], 50);
    let configured = Edge::start(EmulatorConfig { webhook_batch_window: Duration::from_secs(2), ..fast() }, None, false).await;
    assert_eq!(configured.emulator.config()["webhook_batch_window_ms"], 2000);
}

#[tokio::test]
async fn the_old_events_filter_still_selects_events() {
    let edge = Edge::start(fast(), Some(Some(vec!["RISK_SCORE_CHANGED"])), false).await;
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    edge.ok(Method::POST, &format!("/profiles/{pid}/collected_data"), Some(individual_data("Jones"))).await;
    edge.emulator.set_risk(pid, Some("HIGH"), Some(90.0)).unwrap();
    let hooks = edge.hooks_settled_after("RISK_SCORE_CHANGED").await;
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0]["data"]["new_risk_score"], 90.0);
}

#[tokio::test]
async fn profile_status_and_completed_collection_steps_are_sent_when_listed() {
    let events = vec!["PROFILE_STATUS_CHANGED", "COLLECTION_STEPS_COMPLETED", "RISK_LEVEL_CHANGED"];
    let edge = Edge::start(fast(), Some(Some(events)), false).await;
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let steps = format!("/profiles/{pid}/collection_steps");
    edge.ok(Method::POST, &steps, Some(json!([]))).await; // none before: nothing completed
    edge.ok(Method::POST, &steps, Some(json!([{ "collection_type": "FULL_NAME" }]))).await;
    edge.ok(Method::POST, &steps, Some(json!([]))).await;
    for status in ["SUSPENDED", "SUSPENDED", "NORMAL"] {
        edge.ok(Method::POST, &format!("/profiles/{pid}/status"), Some(json!(status))).await;
    }
    edge.admin(Method::POST, &format!("/profiles/{pid}/risk"), Some(json!({ "level": "LOW" }))).await;
    let hooks = edge.hooks_settled_after("RISK_LEVEL_CHANGED").await;
    let sent: Vec<(&str, &Value)> = hooks.iter().map(|e| (e["event"].as_str().unwrap(), &e["data"]["new_status"])).collect();
    assert_eq!(
        sent,
        [
            ("COLLECTION_STEPS_COMPLETED", &Value::Null),
            ("PROFILE_STATUS_CHANGED", &json!("SUSPENDED")),
            ("PROFILE_STATUS_CHANGED", &json!("NORMAL")),
            ("RISK_LEVEL_CHANGED", &Value::Null),
        ]
    );
    assert!(hooks.iter().all(|e| e["data"]["profile_id"] == pid), "{hooks:?}");
}

//! The API's 60-second timeout, modelled as a gateway timeout: a request still
//! being handled is answered 504 while its work carries on.

mod edge_support;

use std::time::Duration;

use edge_support::{eventually, Edge};
use passfort_emulator::{ConfigChange, EmulatorConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn short_gateway() -> EmulatorConfig {
    EmulatorConfig {
        gateway_timeout: Duration::from_millis(300),
        provider_latency: Duration::from_secs(1),
        sync_timeout: Duration::from_secs(5),
        ..EmulatorConfig::default()
    }
}

#[tokio::test]
async fn a_sync_run_past_the_gateway_timeout_answers_504_then_completes_once_with_its_webhook() {
    let edge = Edge::start(short_gateway(), Some(Some(vec!["CHECK_COMPLETED"])), false).await;
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();

    let answer =
        edge.call(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    assert_eq!(answer.status, StatusCode::GATEWAY_TIMEOUT, "{}", answer.text);
    assert_eq!(answer.header("content-type"), Some("text/html"), "a gateway's page, not PassFort's JSON body");
    assert!(answer.text.contains("504 Gateway Time-out"), "{}", answer.text);
    assert!(serde_json::from_str::<serde_json::Value>(&answer.text).is_err());

    // The request log has what the client got.
    let log = edge.admin(Method::GET, "/requests", None).await.json();
    let entry = log.as_array().unwrap().iter().find(|e| e["path"] == format!("/4.0/profiles/{pid}/checks")).unwrap().clone();
    assert_eq!(entry["status"], 504, "{entry}");
    assert_eq!(entry["gateway_timeout"], true, "{entry}");

    // The check goes on and completes, with its webhook.
    let hooks = edge.hooks_until(|hooks| !hooks.is_empty()).await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["event"], "CHECK_COMPLETED");
    assert_eq!(hooks[0]["data"]["profile_id"], pid);
    assert_eq!(hooks[0]["data"]["check"]["result"], "2+2");
    let check_id = hooks[0]["data"]["check"]["id"].as_str().unwrap();

    // Exactly one check exists: the ambiguous creation happened once.
    let checks = edge.ok(Method::GET, &format!("/profiles/{pid}/checks"), None).await;
    let checks = checks.as_array().unwrap();
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0]["id"], check_id);
    assert_eq!(checks[0]["state"], "COMPLETE");
    assert_eq!(edge.emulator.checks().len(), 1);
}

#[tokio::test]
async fn a_request_within_the_gateway_timeout_is_answered_as_usual() {
    let edge = Edge::start(EmulatorConfig { provider_latency: Duration::from_millis(10), ..short_gateway() }, None, false).await;
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let check = edge.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    assert_eq!(check["state"], "COMPLETE");
    let log = edge.admin(Method::GET, "/requests", None).await.json();
    assert!(log.as_array().unwrap().iter().all(|e| e["gateway_timeout"] == false && e["status"] == 200), "{log}");
}

#[tokio::test]
async fn the_sync_switch_comes_first_when_it_is_shorter_than_the_gateway_timeout() {
    let config = EmulatorConfig { sync_timeout: Duration::from_millis(100), gateway_timeout: Duration::from_secs(5), ..short_gateway() };
    let edge = Edge::start(config, None, false).await;
    let profile = edge.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let check = edge.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    assert_ne!(check["state"], "COMPLETE", "switched to async: {check}");
}

#[tokio::test]
async fn any_slow_request_meets_the_gateway_and_its_work_is_done() {
    let edge = Edge::start(short_gateway(), None, false).await;
    let fault = json!({ "method": "POST", "path": "/4.0/profiles", "action": "delay", "delay_ms": 600 });
    assert_eq!(edge.admin(Method::POST, "/faults", Some(fault)).await.status, StatusCode::CREATED);
    let body = json!({ "role": "INDIVIDUAL_CUSTOMER" });
    let answer = edge.call(Method::POST, "/profiles", Some(body)).await;
    assert_eq!(answer.status, StatusCode::GATEWAY_TIMEOUT);
    // The profile is created all the same, once the delay is over.
    eventually(|| async { (edge.ok(Method::GET, "/profiles", None).await["count"] == 1).then_some(()) }).await;
    let log = edge.admin(Method::GET, "/requests", None).await.json();
    assert_eq!(log[0]["status"], 504, "{log}");
}

#[tokio::test]
async fn the_gateway_timeout_is_set_by_the_admin_api_the_library_and_reset() {
    let edge = Edge::start(EmulatorConfig::default(), None, false).await;
    let config = edge.admin(Method::GET, "/config", None).await.json();
    assert_eq!(config["gateway_timeout_ms"], 60_000, "PassFort's 60 s by default");
    assert_eq!(config["sync_timeout_ms"], 120_000, "the sync switch stays separate");

    let changed = edge.admin(Method::PUT, "/config", Some(json!({ "gateway_timeout_ms": 250 }))).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.json()["gateway_timeout_ms"], 250);
    assert_eq!(changed.json()["sync_timeout_ms"], 120_000);
    let refused = edge.admin(Method::PUT, "/config", Some(json!({ "gateway_timeout_ms": 0 }))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);

    edge.emulator.configure_with(&ConfigChange { gateway_timeout: Some(Duration::from_millis(400)), ..ConfigChange::default() }).unwrap();
    assert_eq!(edge.emulator.config()["gateway_timeout_ms"], 400);
    // The old two-setting form still works, and leaves the gateway timeout alone.
    edge.emulator.configure(Some(Duration::from_secs(2)), None);
    assert_eq!(edge.emulator.config()["sync_timeout_ms"], 2000);
    assert_eq!(edge.emulator.config()["gateway_timeout_ms"], 400);

    edge.emulator.reset();
    assert_eq!(edge.emulator.config()["gateway_timeout_ms"], 60_000);
}

#[tokio::test]
async fn the_command_line_takes_the_new_settings() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_passfort-emulator"))
        .args(["--port", "0", "--gateway-timeout", "250ms", "--webhook-batch-window", "2s"])
        .args(["--rate-limit-per-hour", "100", "--rate-limit-burst", "5", "--collected-data-rate-limit-burst", "7"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let line = lines.next_line().await.unwrap().unwrap();
    let url = line.strip_prefix("listening on ").unwrap().to_owned();
    let config: serde_json::Value = reqwest::get(format!("{url}/_emulator/config")).await.unwrap().json().await.unwrap();
    assert_eq!(config["gateway_timeout_ms"], 250);
    assert_eq!(config["webhook_batch_window_ms"], 2000);
    assert_eq!(config["rate_limits"]["profiles"], json!({ "per_hour": 100, "burst": 5 }));
    assert_eq!(config["rate_limits"]["collected_data"], json!({ "per_hour": 100, "burst": 7 }));
    child.kill().await.unwrap();
}

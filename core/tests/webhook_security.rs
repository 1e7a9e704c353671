//! Webhook authentication end to end: secret rules through the client
//! builder and the listener, and verify-then-acknowledge against the
//! emulator's real retries.

mod support;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use passfort_core::{CheckMode, CheckRequest, CheckType, Client, Error, WebhookHub};
use reqwest::Method;
use serde_json::json;
use support::Harness;

const WEBHOOK_SECRET: &str = "whsec_security_tests_a7f2";

#[test]
fn a_client_with_a_short_webhook_secret_does_not_build() {
    let error = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret("whsec_short").build().unwrap_err();
    assert!(matches!(&error, Error::Config(message) if message.contains("at least 16 bytes")), "{error}");
    assert!(!error.to_string().contains("whsec_short") && !format!("{error:?}").contains("whsec_short"));
}

#[tokio::test]
async fn the_listener_refuses_an_envelope_without_its_body_secret() {
    let client = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let listener = client.serve_webhooks("127.0.0.1:0", "/hooks").await.unwrap();
    let envelope = json!({ "id": "evt-1", "event": "X", "timestamp": chrono::Utc::now().timestamp(), "data": {} });
    let answer = reqwest::Client::new()
        .post(listener.url())
        .header("authorization", format!("Bearer {WEBHOOK_SECRET}"))
        .body(envelope.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
}

/// A receiver whose application fails the first time it sees each event:
/// it answers 500 without acknowledging, so the event must come again.
async fn failing_once_receiver(hub: Arc<WebhookHub>, seen: Arc<Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (hub, seen) = (hub.clone(), seen.clone());
            let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                let (hub, seen) = (hub.clone(), seen.clone());
                async move {
                    let (parts, body) = request.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    let events = hub.handle_unacknowledged(&body, parts.headers.iter()).unwrap();
                    let mut seen = seen.lock().unwrap();
                    let first_time = events.iter().any(|event| !seen.contains(&event.id));
                    seen.extend(events.iter().map(|event| event.id.clone()));
                    let status = if first_time {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        hub.acknowledge(events.iter().map(|event| &event.id));
                        StatusCode::OK
                    };
                    let mut response = Response::new(Full::new(Bytes::new()));
                    *response.status_mut() = status;
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    url
}

#[tokio::test]
async fn an_unacknowledged_event_comes_back_with_the_retry_and_an_acknowledged_one_does_not() {
    let h = Harness::start().await;
    let client = h.builder().webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let url = failing_once_receiver(client.webhooks().clone(), seen.clone()).await;
    h.admin(Method::PUT, "/webhook", Some(json!({ "url": url, "secret": WEBHOOK_SECRET, "events": ["CHECK_COMPLETED"] }))).await;

    let profile = h.individual("Smith").await;
    client.run_check(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    let mut deliveries = Vec::new();
    for _ in 0..400 {
        deliveries = h.admin(Method::GET, "/webhook/deliveries", None).await.as_array().unwrap().clone();
        if deliveries.iter().any(|d| d["status"] == 200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let attempts: Vec<_> = deliveries.iter().map(|d| (d["attempt"].as_u64().unwrap(), d["status"].as_u64().unwrap())).collect();
    assert_eq!(attempts, [(1, 500), (2, 200)], "failed once, then delivered again and acknowledged");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "the application saw the event on both attempts: {seen:?}");
    assert_eq!(seen[0], seen[1]);

    // A third delivery of the acknowledged event is a duplicate.
    let again = json!({ "id": seen[0], "event": "CHECK_COMPLETED", "secret": WEBHOOK_SECRET, "timestamp": chrono::Utc::now().timestamp(),
                        "data": { "profile_id": profile.id, "check": { "id": "c" } } });
    let headers = [("authorization", format!("Bearer {WEBHOOK_SECRET}"))];
    assert!(client.webhooks().handle_unacknowledged(again.to_string().as_bytes(), headers.clone()).unwrap().is_empty());
    assert!(client.webhooks().handle(again.to_string().as_bytes(), headers).unwrap().is_empty());
}

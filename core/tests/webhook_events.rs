//! Typed webhook events: every event type decoded from envelopes as the
//! emulator sends them, unknown names, fields and values passed through; and
//! the shared scenario (tests/scenarios/webhook-events.json): the emulator
//! sends every event type it can while run_check_and_wait waiters wait.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use passfort_core::webhooks::{CheckCompleted, ProductStatusChanged, TaskChanged};
use passfort_core::{ApplicationStatus, RiskLevel};
use passfort_core::{
    CheckMode, CheckRequest, CheckType, Client, PollSchedule, ResolvedBy, TaskState, WaitOptions, WebhookEvent, WebhookEventKind,
};
use reqwest::Method;
use serde_json::{json, Value};
use support::{Harness, API_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_webhook_events_91c2";

fn scenario() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/webhook-events.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn envelope(id: &str, event: &str, data: &Value) -> Value {
    json!({ "id": id, "event": event, "secret": SECRET, "timestamp": chrono::Utc::now().timestamp(), "data": data })
}

fn bearer() -> [(&'static str, String); 1] {
    [("Authorization", format!("Bearer {SECRET}"))]
}

fn offline_client() -> Client {
    Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(SECRET).build().unwrap()
}

/// A "$name.a.b" reference resolved against the saved bodies; other values as they are.
fn resolve(value: &Value, saved: &HashMap<String, Value>) -> Value {
    match value {
        Value::String(text) if text.starts_with('$') => {
            let (name, rest) = text[1..].split_once('.').unwrap_or((&text[1..], ""));
            let saved = &saved[name];
            if rest.is_empty() {
                saved.clone()
            } else {
                lookup(saved, rest).unwrap_or_else(|| panic!("{text} not in {saved}")).clone()
            }
        }
        Value::String(text) if text.contains('$') => Value::String(interpolate(text, saved)),
        Value::Array(items) => Value::Array(items.iter().map(|item| resolve(item, saved)).collect()),
        Value::Object(object) => Value::Object(object.iter().map(|(k, v)| (k.clone(), resolve(v, saved))).collect()),
        other => other.clone(),
    }
}

/// A path with references in it: each `$name.a.b` replaced by its (text) value.
fn interpolate(text: &str, saved: &HashMap<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let token_len =
            rest[start + 1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len() - start - 1);
        let token = &rest[start..start + 1 + token_len];
        out.push_str(resolve(&json!(token), saved).as_str().unwrap_or_else(|| panic!("{token} is not text")));
        rest = &rest[start + 1 + token_len..];
    }
    out.push_str(rest);
    out
}

fn lookup<'a>(value: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(value, |value, part| match part.parse::<usize>() {
        Ok(index) => value.get(index),
        Err(_) => value.get(part),
    })
}

/// Equal as JSON, numbers by value (12 and 12.0 are one number).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The typed fields of `event` have every `fields` value (dotted paths).
fn has_fields(event: &WebhookEvent, fields: &Value, saved: &HashMap<String, Value>) -> bool {
    let typed = Value::Object(event.kind.typed_fields());
    fields.as_object().unwrap().iter().all(|(path, want)| lookup(&typed, path).is_some_and(|got| same(got, &resolve(want, saved))))
}

#[test]
fn every_decode_case_of_the_scenario_decodes_as_it_says() {
    let client = offline_client();
    for (index, case) in scenario()["decode"].as_array().unwrap().iter().enumerate() {
        let event_name = case["event"].as_str().unwrap();
        let body = envelope(&format!("evt-{index}"), event_name, &case["data"]).to_string();
        let events = client.webhooks().handle(body.as_bytes(), bearer()).unwrap();
        let event = &events[0];
        assert_eq!(event.kind.name(), case["class"], "{event_name} (case {index})");
        assert_eq!((event.event.as_str(), &event.data), (event_name, &case["data"]), "the event and its data come whole");
        if let Some(fields) = case.get("fields") {
            assert!(has_fields(event, fields, &HashMap::new()), "case {index}: {:?} lacks {fields}", event.kind.typed_fields());
        }
        for (list, length) in case.get("lengths").and_then(Value::as_object).into_iter().flatten() {
            assert_eq!(event.kind.typed_fields()[list].as_array().unwrap().len() as u64, length.as_u64().unwrap(), "case {index}");
        }
    }
}

#[test]
fn every_event_type_of_the_emulators_table_has_a_variant() {
    let names: Vec<&str> = passfort_emulator::WEBHOOK_EVENTS.iter().map(|event| event.name).collect();
    assert_eq!(names, passfort_core::webhooks::KNOWN_EVENTS, "the same event types, in PassFort's order");
    let data = json!({ "profile_id": "p-1", "check": { "id": "c-1" }, "task": { "id": "t-1" } });
    let mut variants = HashSet::new();
    for name in names {
        let kind = WebhookEventKind::decode(name, &data);
        assert!(kind.is_known() && kind.profile_id() == Some("p-1"), "{name}: {kind:?}");
        assert!(variants.insert(kind.name()), "{name} shares a variant");
    }
    assert!(!WebhookEventKind::decode("CHECK_COMPLETED_V2", &data).is_known());
}

#[test]
fn the_envelopes_the_emulator_sends_decode_into_their_variants() {
    let client = offline_client();
    let data = json!({
        "apikey": { "name": "Emulator API key" },
        "application_id": "a-1",
        "customer_ref": "cust-1",
        "new_status": "APPROVED",
        "product": { "alias": "individual-account", "id": "pr-1", "name": "Individual account" },
        "profile_id": "p-1",
        "user": { "email": "ada@example.com", "id": "u-1", "name": "Ada Lovelace" },
    });
    let events = client.webhooks().handle(envelope("e-1", "PRODUCT_STATUS_CHANGED", &data).to_string().as_bytes(), bearer()).unwrap();
    let WebhookEventKind::ProductStatusChanged(ProductStatusChanged {
        profile_id, application_id, new_status, product, user, apikey, ..
    }) = &events[0].kind
    else {
        panic!("{:?}", events[0].kind)
    };
    assert_eq!((profile_id.as_str(), application_id.as_deref(), new_status), ("p-1", Some("a-1"), &Some(ApplicationStatus::Approved)));
    assert_eq!(product.as_ref().map(|p| (p.id.as_str(), p.alias.as_deref())), Some(("pr-1", Some("individual-account"))));
    assert_eq!(user.as_ref().and_then(|u| u.email.as_deref()), Some("ada@example.com"));
    assert_eq!(apikey.as_ref().and_then(|k| k.name.as_deref()), Some("Emulator API key"));
    // Debug shows ids and names of events only: no email, person's name or customer ref.
    let shown = format!("{:?} {:?}", events[0], events[0].kind);
    assert!(shown.contains("a-1") && shown.contains("PRODUCT_STATUS_CHANGED"), "{shown}");
    for personal in ["ada@example.com", "Ada Lovelace", "cust-1"] {
        assert!(!shown.contains(personal), "{shown}");
    }

    let check = json!({ "profile_id": "p-1", "customer_ref": null, "check": { "id": "c-1", "check_type": "IDENTITY_CHECK", "result": "2+2", "decision": "PASS" } });
    let task = json!({ "profile_id": "p-1", "customer_ref": null, "task": { "id": "t-1", "type": "INDIVIDUAL_VERIFY_IDENTITY", "state": "COMPLETED_PASS" } });
    let risk = json!({ "profile_id": "p-1", "customer_ref": null, "new_risk_level": "HIGH", "old_risk_level": null });
    let batch = json!([
        envelope("e-2", "CHECK_COMPLETED", &check),
        envelope("e-3", "TASK_STATE_CHANGED", &task),
        envelope("e-4", "RISK_LEVEL_CHANGED", &risk)
    ]);
    let events = client.webhooks().handle(batch.to_string().as_bytes(), bearer()).unwrap();
    assert!(matches!(&events[0].kind, WebhookEventKind::CheckCompleted(CheckCompleted { check, .. }) if check.id == "c-1"));
    assert_eq!(events[0].fields().check_id, Some("c-1"), "the flat fields the bindings show still come");
    assert!(
        matches!(&events[1].kind, WebhookEventKind::TaskStateChanged(TaskChanged { task, .. }) if task.state == Some(TaskState::CompletedPass))
    );
    assert!(
        matches!(&events[2].kind, WebhookEventKind::RiskLevelChanged(risk) if risk.new_risk_level == Some(RiskLevel::High) && risk.old_risk_level.is_none())
    );
    assert!(events.iter().all(|event| event.kind.is_known() && event.kind.profile_id() == Some("p-1")));
}

/// The application's own webhook endpoint: hands each delivery to
/// `client.webhooks().handle()` and keeps the events it returns.
async fn receiver(client: Client) -> (String, Arc<Mutex<Vec<WebhookEvent>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let (client, kept) = (client.clone(), kept.clone());
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0; 8192];
                let (head_end, length) = loop {
                    let read = stream.read(&mut chunk).await.unwrap();
                    assert!(read > 0, "the delivery broke off");
                    buffer.extend_from_slice(&chunk[..read]);
                    if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
                        let length =
                            head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse::<usize>().unwrap());
                        break (end + 4, length.unwrap_or(0));
                    }
                };
                while buffer.len() < head_end + length {
                    let read = stream.read(&mut chunk).await.unwrap();
                    buffer.extend_from_slice(&chunk[..read]);
                }
                let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
                let headers: Vec<(String, String)> = head
                    .lines()
                    .skip(1)
                    .filter_map(|line| line.split_once(':'))
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .collect();
                let status = match client.webhooks().handle(&buffer[head_end..head_end + length], headers) {
                    Ok(events) => {
                        kept.lock().unwrap().extend(events);
                        "200 OK"
                    }
                    Err(_) => "400 Bad Request",
                };
                let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                stream.write_all(answer.as_bytes()).await.unwrap();
            });
        }
    });
    (url, received)
}

async fn poll_until<T>(what: &str, mut done: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = done() {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_event_the_emulator_sends_arrives_typed_once_while_waiters_wait() {
    let scenario = scenario();
    let h = Harness::start().await;
    let client = h.builder().webhook_secret(SECRET).build().unwrap();
    let (url, received) = receiver(client.clone()).await;
    let mut webhook = scenario["webhook"].clone();
    webhook["url"] = json!(url);
    webhook["secret"] = json!(SECRET);
    h.admin(Method::PUT, "/webhook", Some(webhook)).await;

    let wait = &scenario["wait"];
    let options = WaitOptions {
        timeout: Duration::from_millis(wait["timeout_ms"].as_u64().unwrap()),
        poll: PollSchedule::Fixed(Duration::from_millis(wait["poll_interval_ms"].as_u64().unwrap())),
    };
    let http = reqwest::Client::new();
    let mut saved: HashMap<String, Value> = HashMap::new();
    let mut waiters = Vec::new();
    for step in scenario["steps"].as_array().unwrap() {
        if let Some(check_types) = step.get("start_waiters") {
            let profile_id = saved["profile"]["id"].as_str().unwrap().to_owned();
            for check_type in check_types.as_array().unwrap() {
                let (client, profile_id) = (client.clone(), profile_id.clone());
                let request = CheckRequest::new(CheckType::from(check_type.as_str().unwrap()));
                waiters
                    .push(tokio::spawn(async move { client.run_check_and_wait(&profile_id, &request, CheckMode::Async, &options).await }));
            }
            continue;
        }
        if step.get("join_waiters").is_some() {
            for finished in join_all(waiters.drain(..)).await {
                let finished = finished.unwrap().expect("every waiter resolves");
                assert_eq!(finished.resolved_by, ResolvedBy::Webhook, "{}", finished.check.id);
                saved.entry("checks".into()).or_insert_with(|| json!([])).as_array_mut().unwrap().push(json!(finished.check.id));
            }
            continue;
        }
        let (method, url) = match (step.get("call"), step.get("admin")) {
            (Some(method), None) => (method, format!("{}{}", h.emulator.base_url(), resolve(&step["path"], &saved).as_str().unwrap())),
            (None, Some(method)) => (method, format!("{}/_emulator{}", h.emulator.url(), resolve(&step["path"], &saved).as_str().unwrap())),
            _ => panic!("an unknown step: {step}"),
        };
        let method = Method::from_bytes(method.as_str().unwrap().as_bytes()).unwrap();
        let mut request = http.request(method, &url).header("apikey", API_KEY);
        if let Some(body) = step.get("body") {
            request = request.header("content-type", "application/json").body(resolve(body, &saved).to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null);
        assert!(status.is_success(), "{step}: {status} {body}");
        if let Some(name) = step.get("save") {
            saved.insert(name.as_str().unwrap().to_owned(), body);
        }
    }

    let expect = scenario["expect"].as_object().unwrap();
    let count_of = |events: &[WebhookEvent], name: &str| events.iter().filter(|e| e.event == name).count();
    poll_until("every expected event", || {
        let events = received.lock().unwrap().clone();
        expect.iter().all(|(name, rule)| count_of(&events, name) as u64 >= rule["count"].as_u64().unwrap()).then_some(())
    })
    .await;
    // Each delivery is answered after handle() returned: wait until the emulator has every answer.
    let delivered = poll_until("the emulator's record of every delivery", || {
        let received: HashSet<String> = received.lock().unwrap().iter().map(|e| e.id.clone()).collect();
        let deliveries = h.emulator.webhook_deliveries();
        let delivered: HashSet<String> = deliveries
            .iter()
            .filter(|d| d["status"] == 200)
            .flat_map(|d| d["event_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()))
            .collect();
        received.is_subset(&delivered).then_some(delivered)
    })
    .await;
    let events = received.lock().unwrap().clone();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "each event arrives once");
    assert_eq!(ids.iter().map(|id| id.to_string()).collect::<HashSet<_>>(), delivered, "every delivered event came out of handle()");

    let profile_id = saved["profile"]["id"].as_str().unwrap();
    for event in &events {
        assert_eq!(event.kind.profile_id(), Some(profile_id), "{event:?}");
        let rule = expect.get(&event.event).unwrap_or_else(|| panic!("an unexpected {event:?}"));
        assert_eq!(event.kind.name(), rule["class"], "{event:?}");
    }
    for (name, rule) in expect {
        let of_name: Vec<&WebhookEvent> = events.iter().filter(|e| &e.event == name).collect();
        assert_eq!(of_name.len() as u64, rule["count"].as_u64().unwrap(), "{name}");
        if let Some(fields) = rule.get("fields") {
            assert!(
                of_name.iter().any(|e| has_fields(e, fields, &saved)),
                "no {name} with {fields}: {:?}",
                of_name.iter().map(|e| e.kind.typed_fields()).collect::<Vec<_>>()
            );
        }
    }
    let completed: HashSet<&str> = events.iter().filter_map(|e| e.kind.completed_check_id()).collect();
    let waited: HashSet<&str> = saved["checks"].as_array().unwrap().iter().map(|id| id.as_str().unwrap()).collect();
    assert_eq!(completed, waited, "one CHECK_COMPLETED for each waited check");
    assert_eq!(client.webhooks().waiting(), 0, "no waiter left subscribed");
}

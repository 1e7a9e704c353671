//! The emulator against PassFort's published schema and documented behaviour.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use passfort_emulator::{Emulator, EmulatorConfig, WebhookConfig};
use reqwest::Method;
use serde_json::{json, Value};

const KEY: &str = "emulator-test-key";

struct Api {
    emulator: Emulator,
    http: reqwest::Client,
}

impl Api {
    async fn start(config: EmulatorConfig) -> Self {
        let emulator = passfort_emulator::start(EmulatorConfig { api_key: KEY.into(), ..config }).await.unwrap();
        Self { emulator, http: reqwest::Client::new() }
    }

    /// Sends a request under `/4.0` (with the key) or `/_emulator`, answering the status and the JSON.
    async fn send(&self, method: Method, path: String, body: Option<Value>, with_key: bool) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.emulator.url()));
        if with_key {
            request = request.header("apikey", KEY);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let text = response.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(method, format!("/4.0{path}"), body, true).await
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self.call(method, path, body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(method, format!("/_emulator{path}"), body, false).await
    }

    async fn individual(&self, family_name: &str) -> Value {
        let data = json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name } } });
        self.ok(Method::POST, "/profiles", Some(json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": data }))).await
    }
}

fn fast() -> EmulatorConfig {
    EmulatorConfig { provider_latency: Duration::ZERO, ..EmulatorConfig::default() }
}

/// A validator for one schema of PassFort's OpenAPI file.
fn schema(name: &str) -> jsonschema::Validator {
    let text = include_str!("../../tests/fixtures/passfort-openapi-4.0-2019.json");
    let document: Value = serde_json::from_str(text).unwrap();
    let root = json!({ "$ref": format!("#/components/schemas/{name}"), "components": document["components"] });
    jsonschema::options().with_draft(jsonschema::Draft::Draft7).build(&root).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value) {
    let errors: Vec<String> = validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{instance}\n{}", errors.join("\n"));
}

#[tokio::test]
async fn checks_tasks_profiles_and_errors_validate_against_the_published_schema() {
    let api = Api::start(fast()).await;
    let check_schema = schema("CheckResource");
    let task_schema = schema("TaskResource");
    let profile_schema = schema("ProfileResource");
    let error_schema = schema("Error");

    let person = api.individual("Smith").await;
    let company = api
        .ok(Method::POST, "/profiles", Some(json!({ "role": "COMPANY_CUSTOMER", "collected_data": { "entity_type": "COMPANY", "metadata": { "name": "Acme Ltd" } } })))
        .await;
    let document: Value = serde_json::from_str(include_str!("../../tests/fixtures/passfort-openapi-4.0-2019.json")).unwrap();
    let check_types: Vec<String> = serde_json::from_value(document["components"]["schemas"]["CheckType"]["enum"].clone()).unwrap();
    assert_eq!(check_types.len(), 14);
    for check_type in &check_types {
        let profile = if check_type.starts_with("COMPANY") { &company } else { &person };
        let pid = profile["id"].as_str().unwrap();
        let mut order = json!({ "check_type": check_type });
        match check_type.as_str() {
            "DOCUMENT_VERIFICATION" | "COMPANY_DOCUMENT_VERIFICATION" => order["document_id"] = json!(uuid::Uuid::new_v4().to_string()),
            "DOCUMENT_FETCH" => order.as_object_mut().unwrap().extend([("source".into(), json!("ONFIDO")), ("reference".into(), json!("ref-1"))]),
            _ => {}
        }
        let pending = api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=async"), Some(order.clone())).await;
        assert_eq!(pending["state"], "PENDING");
        assert_valid(&check_schema, &pending);
        let done = api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(order)).await;
        assert_eq!(done["state"], "COMPLETE", "{check_type}");
        assert_valid(&check_schema, &done);
    }
    for profile in [&person, &company] {
        let pid = profile["id"].as_str().unwrap();
        let fetched = api.ok(Method::GET, &format!("/profiles/{pid}"), None).await;
        assert_valid(&profile_schema, &fetched);
        for task in api.ok(Method::GET, &format!("/profiles/{pid}/tasks"), None).await.as_array().unwrap() {
            assert_valid(&task_schema, task);
        }
    }
    assert_valid(&schema("ProfileSearchResults"), &api.ok(Method::GET, "/profiles?limit=1", None).await);
    let pid = person["id"].as_str().unwrap();
    let (status, body) = api.call(Method::POST, &format!("/profiles/{pid}/checks"), Some(json!({ "check_type": "DOCUMENT_VERIFICATION" }))).await;
    assert_eq!((status, body["errors"][0]["code"].as_u64()), (StatusCode::BAD_REQUEST, Some(101)), "document_id is required");
    let (status, body) = api.call(Method::POST, "/profiles", Some(json!({ "role": "NOBODY" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_valid(&error_schema, &body["errors"][0]);
    assert_eq!(body["errors"][0]["code"], 201);
}

#[tokio::test]
async fn authentication_and_not_found_follow_passfort() {
    let api = Api::start(fast()).await;
    let anonymous = api.http.get(format!("{}/4.0/whoami", api.emulator.url())).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(anonymous.json::<Value>().await.unwrap()["errors"][0]["code"], 203);
    let by_query = api.http.get(format!("{}/4.0/whoami?apikey={KEY}", api.emulator.url())).send().await.unwrap();
    assert_eq!(by_query.status().as_u16(), 200, "the API also accepts ?apikey=");
    let (status, body) = api.call(Method::GET, "/profiles/00000000-0000-0000-0000-000000000000", None).await;
    assert_eq!((status, body["errors"][0]["source"].as_str()), (StatusCode::NOT_FOUND, Some("API")));
    let (status, _) = api.call(Method::POST, "/profiles", Some(json!("not an object"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tasks_complete_with_state_or_the_legacy_flag_and_nothing_else() {
    let api = Api::start(fast()).await;
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let first = profile["tasks"][0]["id"].as_str().unwrap();
    let second = profile["tasks"][1]["id"].as_str().unwrap();

    let task = api.ok(Method::POST, &format!("/profiles/{pid}/tasks/{first}"), Some(json!({ "is_complete": true }))).await;
    assert_eq!((task["state"].as_str(), task["is_complete"].as_bool()), (Some("COMPLETED_PASS"), Some(true)));
    let task = api.ok(Method::POST, &format!("/profiles/{pid}/tasks/{second}"), Some(json!({ "state": "COMPLETED_FAIL" }))).await;
    assert_eq!(task["state"], "COMPLETED_FAIL");

    for bad in [json!({ "state": "INCOMPLETE" }), json!({ "state": "DONE" }), json!({ "state": 1 })] {
        let (status, body) = api.call(Method::POST, &format!("/profiles/{pid}/tasks/{first}"), Some(bad.clone())).await;
        assert_eq!((status, body["errors"][0]["code"].as_u64()), (StatusCode::BAD_REQUEST, Some(201)), "{bad}");
    }
    let (status, _) = api.call(Method::POST, &format!("/profiles/{pid}/tasks/{first}"), Some(json!("{"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = api.call(Method::POST, &format!("/profiles/{pid}/tasks/nope"), Some(json!({ "state": "COMPLETED_PASS" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call(Method::POST, &format!("/profiles/{pid}/checks"), Some(json!({ "check_type": "IDENTITY_CHECK", "task_ids": ["nope"] })))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a check may only name the profile's own tasks");
}

#[tokio::test]
async fn async_checks_go_pending_running_complete() {
    let api = Api::start(EmulatorConfig { provider_latency: Duration::from_millis(600), ..EmulatorConfig::default() }).await;
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let check = api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=async"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    assert_eq!(check["state"], "PENDING");
    let path = format!("/profiles/{pid}/checks/{}", check["id"].as_str().unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(api.ok(Method::GET, &path, None).await["state"], "RUNNING");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let done = api.ok(Method::GET, &path, None).await;
    assert_eq!((done["state"].as_str(), done["result"].as_str(), done["decision"].as_str()), (Some("COMPLETE"), Some("2+2"), Some("PASS")));
}

#[tokio::test]
async fn scripts_give_results_in_order_then_repeat_the_last() {
    let api = Api::start(fast()).await;
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let (status, _) = api
        .admin(Method::POST, "/script", Some(json!({ "profile_id": pid, "check_type": "IDENTITY_CHECK", "results": ["Fail", "1+1", "2+2"] })))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut results = Vec::new();
    for _ in 0..4 {
        let check = api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
        results.push(format!("{}/{}", check["result"].as_str().unwrap(), check["decision"].as_str().unwrap()));
    }
    assert_eq!(results, ["Fail/FAIL", "1+1/PARTIAL", "2+2/PASS", "2+2/PASS"]);
    let other = api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "PEPS_AND_SANCTIONS_SCREEN" }))).await;
    assert_eq!(other["result"], "Pass", "a script is per check type");
}

#[tokio::test]
async fn faults_match_one_segment_per_star_and_run_out() {
    let api = Api::start(fast()).await;
    let (status, _) = api.admin(Method::POST, "/faults", Some(json!({ "method": "GET", "path": "/4.0/profiles/*", "action": "status", "status": 503, "times": 2 }))).await;
    assert_eq!(status, StatusCode::CREATED);
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}/tasks"), None).await.0, StatusCode::OK, "* is one segment");
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}"), None).await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}"), None).await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}"), None).await.0, StatusCode::OK, "used up after 2");

    api.admin(Method::POST, "/faults", Some(json!({ "method": "GET", "path": "/4.0/whoami", "action": "status", "status": 500, "times": 5 }))).await;
    assert_eq!(api.admin(Method::DELETE, "/faults", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.call(Method::GET, "/whoami", None).await.0, StatusCode::OK);

    for bad in [json!({ "path": "/4.0/x", "action": "status", "status": 500 }), json!({ "method": "GET", "path": "/4.0/x", "action": "explode" }), json!({ "method": "GET", "path": "/4.0/x", "action": "status" })] {
        assert_eq!(api.admin(Method::POST, "/faults", Some(bad)).await.0, StatusCode::BAD_REQUEST);
    }

    let requests = api.admin(Method::GET, "/requests", None).await.1;
    let faulted: Vec<_> = requests.as_array().unwrap().iter().filter(|r| r["fault"] == "status").collect();
    assert_eq!(faulted.len(), 2);
    assert!(requests[0]["time"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn reset_forgets_everything() {
    let api = Api::start(fast()).await;
    api.individual("Smith").await;
    api.admin(Method::PUT, "/config", Some(json!({ "provider_latency_ms": 5000 }))).await;
    assert_eq!(api.admin(Method::POST, "/reset", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.ok(Method::GET, "/profiles", None).await["count"], 0);
    assert_eq!(api.admin(Method::GET, "/config", None).await.1["provider_latency_ms"], 0);
    assert_eq!(api.admin(Method::GET, "/requests", None).await.1.as_array().unwrap().len(), 1, "only the GET since the reset");
}

/// A webhook receiver that records what it is sent and fails the first `failures` deliveries.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<(HeaderMap, Value)>>>) {
    let received: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Arc::default();
    let remaining_failures = Arc::new(Mutex::new(failures));
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let store = store.clone();
            let remaining_failures = remaining_failures.clone();
            async move {
                let mut remaining = remaining_failures.lock().unwrap();
                if *remaining > 0 {
                    *remaining -= 1;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                store.lock().unwrap().push((headers, serde_json::from_slice(&body).unwrap()));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(value) = probe() {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting");
}

#[tokio::test]
async fn webhooks_announce_completed_checks_and_task_changes_until_answered_200() {
    let (url, received) = receiver(1).await;
    let webhook = WebhookConfig { url, secret: "whsec_emulator_test_6a2c".into(), batching: false, events: None };
    let api = Api::start(EmulatorConfig { webhook: Some(webhook), ..fast() }).await;
    let profile = api.individual("Fail").await;
    let pid = profile["id"].as_str().unwrap();
    let check = api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    let task = profile["tasks"][0]["id"].as_str().unwrap();
    api.ok(Method::POST, &format!("/profiles/{pid}/tasks/{task}"), Some(json!({ "state": "COMPLETED_FAIL" }))).await;

    let events = wait_for(|| {
        let events = received.lock().unwrap();
        (events.len() == 2).then(|| events.clone())
    })
    .await;
    let (headers, completed) = &events[0];
    assert_eq!(headers["authorization"], "Bearer whsec_emulator_test_6a2c");
    assert_eq!(completed["event"], "CHECK_COMPLETED");
    assert_eq!(completed["secret"], "whsec_emulator_test_6a2c");
    assert!(completed["id"].is_string() && completed["timestamp"].is_i64());
    let age = chrono::Utc::now().timestamp() - completed["timestamp"].as_i64().unwrap();
    assert!((0..60).contains(&age), "stamped when sent, within receivers' replay tolerance: {age} s old");
    assert_eq!(completed["data"]["profile_id"], pid);
    assert_eq!(completed["data"]["check"], json!({ "id": check["id"], "check_type": "IDENTITY_CHECK", "result": "Fail", "decision": "FAIL" }));
    assert_eq!(events[1].1["event"], "TASK_STATE_CHANGED");
    assert_eq!(events[1].1["data"]["task"]["state"], "COMPLETED_FAIL");

    let deliveries = api.admin(Method::GET, "/webhook/deliveries", None).await.1;
    let attempts: Vec<_> = deliveries.as_array().unwrap().iter().map(|d| (d["attempt"].as_u64().unwrap(), d["status"].as_u64().unwrap())).collect();
    assert_eq!(attempts, [(1, 500), (2, 200), (1, 200)], "retried until 200, in order");
    assert!(deliveries[0]["time"].as_str().unwrap().contains('.'), "milliseconds");
}

#[tokio::test]
async fn a_retried_delivery_is_stamped_again() {
    // Five failures: the retries wait 50 + 100 + 200 + 400 + 800 ms, so the sixth attempt is over a second later.
    let (url, received) = receiver(5).await;
    let webhook = WebhookConfig { url, secret: "whsec_emulator_test_6a2c".into(), batching: false, events: Some(vec!["CHECK_COMPLETED".into()]) };
    let api = Api::start(EmulatorConfig { webhook: Some(webhook), ..fast() }).await;
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    let delivered = wait_for(|| received.lock().unwrap().first().map(|(_, body)| body.clone())).await;
    let deliveries = api.admin(Method::GET, "/webhook/deliveries", None).await.1;
    let attempts = deliveries.as_array().unwrap();
    assert_eq!(attempts.len(), 6);
    let first_sent_s = attempts[0]["timestamp_ms"].as_i64().unwrap() / 1000;
    let last_sent_s = attempts[5]["timestamp_ms"].as_i64().unwrap() / 1000;
    assert_eq!(delivered["timestamp"], last_sent_s, "the envelope carries the time of the attempt that got through");
    assert!(last_sent_s > first_sent_s, "not the time of the first attempt");
}

#[tokio::test]
async fn batched_webhooks_arrive_as_one_array() {
    let (url, received) = receiver(0).await;
    let api = Api::start(fast()).await;
    let (status, _) = api.admin(Method::PUT, "/webhook", Some(json!({ "url": url, "secret": "whsec_batching_test_9d4e", "batching": true, "events": ["CHECK_COMPLETED"] }))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    for _ in 0..5 {
        api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=async"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    }
    let task = profile["tasks"][0]["id"].as_str().unwrap();
    api.ok(Method::POST, &format!("/profiles/{pid}/tasks/{task}"), Some(json!({ "state": "COMPLETED_PASS" }))).await;
    let total = wait_for(|| {
        let batches = received.lock().unwrap();
        let total: usize = batches.iter().map(|(_, body)| body.as_array().expect("a batch is an array").len()).sum();
        (total >= 5).then_some(total)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(total, 5, "TASK_STATE_CHANGED is not enabled");
    assert!(received.lock().unwrap().len() < 5, "events were batched");
}

#[tokio::test]
async fn the_cli_prints_where_it_listens_first() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_passfort-emulator"))
        .args(["--port", "0", "--api-key", KEY, "--sync-timeout", "2s", "--provider-latency", "1ms"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first.strip_prefix("listening on ").expect("first line names the URL");
    assert!(url.starts_with("http://127.0.0.1:"));
    let answer = reqwest::Client::new().get(format!("{url}/4.0/whoami")).header("apikey", KEY).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    child.kill().await.unwrap();
}

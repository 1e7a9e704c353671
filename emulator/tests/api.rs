//! The emulator against PassFort's published schema and documented behaviour.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use passfort_emulator::{Emulator, EmulatorConfig, WebhookConfig};
use reqwest::Method;
use serde_json::{json, Value};

const KEY: &str = "emulator-test-key";
/// How long a test waits for something it expects, and how often it looks.
const DEADLINE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(10);

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

    /// Uploads a tiny PNG and adds a document with it to the profile's collected data; answers the document's id.
    async fn document(&self, pid: &str) -> Value {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
        let image =
            self.ok(Method::POST, &format!("/profiles/{pid}/document_images"), Some(json!({ "data": png, "image_type": "FRONT" }))).await;
        let document = json!({ "category": "PROOF_OF_IDENTITY", "document_type": "PASSPORT", "images": [{ "id": image["id"] }] });
        self.ok(Method::POST, &format!("/profiles/{pid}/collected_data/documents"), Some(document)).await["id"].clone()
    }

    async fn individual(&self, family_name: &str) -> Value {
        let data =
            json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name } } });
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
        .ok(
            Method::POST,
            "/profiles",
            Some(json!({ "role": "COMPANY_CUSTOMER", "collected_data": { "entity_type": "COMPANY", "metadata": { "name": "Acme Ltd" } } })),
        )
        .await;
    let document: Value = serde_json::from_str(include_str!("../../tests/fixtures/passfort-openapi-4.0-2019.json")).unwrap();
    let check_types: Vec<String> = serde_json::from_value(document["components"]["schemas"]["CheckType"]["enum"].clone()).unwrap();
    assert_eq!(check_types.len(), 14);
    for check_type in &check_types {
        let profile = if check_type.starts_with("COMPANY") { &company } else { &person };
        let pid = profile["id"].as_str().unwrap();
        let mut order = json!({ "check_type": check_type });
        match check_type.as_str() {
            "DOCUMENT_VERIFICATION" | "COMPANY_DOCUMENT_VERIFICATION" => order["document_id"] = api.document(pid).await,
            "DOCUMENT_FETCH" => {
                order.as_object_mut().unwrap().extend([("source".into(), json!("ONFIDO")), ("reference".into(), json!("ref-1"))])
            }
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
    let (status, body) =
        api.call(Method::POST, &format!("/profiles/{pid}/checks"), Some(json!({ "check_type": "DOCUMENT_VERIFICATION" }))).await;
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
    let api = Api::start(EmulatorConfig { provider_latency: Duration::from_secs(60), ..EmulatorConfig::default() }).await;
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let checks_path = format!("/profiles/{pid}/checks?mode=async");
    let instruct = || api.ok(Method::POST, &checks_path, Some(json!({ "check_type": "IDENTITY_CHECK" })));

    // A provider that takes a minute: once the check has left PENDING, it is RUNNING, and stays so.
    let slow = instruct().await;
    assert_eq!(slow["state"], "PENDING");
    let states = states_until(&api, pid, &slow, "RUNNING").await;
    assert_eq!(states, ["PENDING", "RUNNING"]);
    let running = api.ok(Method::GET, &format!("/profiles/{pid}/checks/{}", slow["id"].as_str().unwrap()), None).await;
    assert!(running["started_on"].is_string() && running["result"].is_null(), "{running}");

    // A quick provider: the same states, in that order, to COMPLETE with the pass result.
    api.admin(Method::PUT, "/config", Some(json!({ "provider_latency_ms": 300 }))).await;
    let quick = instruct().await;
    assert_eq!(quick["state"], "PENDING");
    let states = states_until(&api, pid, &quick, "COMPLETE").await;
    let order = ["PENDING", "RUNNING", "COMPLETE"];
    let ranks: Vec<usize> =
        states.iter().map(|state| order.iter().position(|o| o == state).unwrap_or_else(|| panic!("unknown state {state}"))).collect();
    assert!(ranks.windows(2).all(|pair| pair[0] < pair[1]), "states out of order: {states:?}");
    let done = api.ok(Method::GET, &format!("/profiles/{pid}/checks/{}", quick["id"].as_str().unwrap()), None).await;
    assert_eq!((done["state"].as_str(), done["result"].as_str(), done["decision"].as_str()), (Some("COMPLETE"), Some("2+2"), Some("PASS")));
    assert!(done["started_on"].is_string(), "it was RUNNING on the way: {done}");
}

/// Reads a check until it is in `last`, by a deadline; answers each distinct state seen, in order.
async fn states_until(api: &Api, pid: &str, check: &Value, last: &str) -> Vec<String> {
    let path = format!("/profiles/{pid}/checks/{}", check["id"].as_str().unwrap());
    let mut states = vec![check["state"].as_str().unwrap().to_owned()];
    let deadline = Instant::now() + DEADLINE;
    while states.last().map(String::as_str) != Some(last) {
        assert!(Instant::now() < deadline, "the check never reached {last}: {states:?}");
        tokio::time::sleep(POLL).await;
        let state = api.ok(Method::GET, &path, None).await["state"].as_str().unwrap().to_owned();
        if states.last() != Some(&state) {
            states.push(state);
        }
    }
    states
}

#[tokio::test]
async fn scripts_give_results_in_order_then_repeat_the_last() {
    let api = Api::start(fast()).await;
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let (status, _) = api
        .admin(
            Method::POST,
            "/script",
            Some(json!({ "profile_id": pid, "check_type": "IDENTITY_CHECK", "results": ["Fail", "1+1", "2+2"] })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut results = Vec::new();
    for _ in 0..4 {
        let check =
            api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
        results.push(format!("{}/{}", check["result"].as_str().unwrap(), check["decision"].as_str().unwrap()));
    }
    assert_eq!(results, ["Fail/FAIL", "1+1/PARTIAL", "2+2/PASS", "2+2/PASS"]);
    let other = api
        .ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "PEPS_AND_SANCTIONS_SCREEN" })))
        .await;
    assert_eq!(other["result"], "Pass", "a script is per check type");
}

#[tokio::test]
async fn faults_match_one_segment_per_star_and_run_out() {
    let api = Api::start(fast()).await;
    let (status, _) = api
        .admin(
            Method::POST,
            "/faults",
            Some(json!({ "method": "GET", "path": "/4.0/profiles/*", "action": "status", "status": 503, "times": 2 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}/tasks"), None).await.0, StatusCode::OK, "* is one segment");
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}"), None).await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}"), None).await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.call(Method::GET, &format!("/profiles/{pid}"), None).await.0, StatusCode::OK, "used up after 2");

    api.admin(
        Method::POST,
        "/faults",
        Some(json!({ "method": "GET", "path": "/4.0/whoami", "action": "status", "status": 500, "times": 5 })),
    )
    .await;
    assert_eq!(api.admin(Method::DELETE, "/faults", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.call(Method::GET, "/whoami", None).await.0, StatusCode::OK);

    for bad in [
        json!({ "path": "/4.0/x", "action": "status", "status": 500 }),
        json!({ "method": "GET", "path": "/4.0/x", "action": "explode" }),
        json!({ "method": "GET", "path": "/4.0/x", "action": "status" }),
    ] {
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
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test]
async fn webhooks_announce_completed_checks_and_task_changes_until_answered_200() {
    let (url, received) = receiver(1).await;
    let webhook = WebhookConfig { url, secret: "whsec_emulator_test_6a2c".into(), batching: false, events: None };
    let api = Api::start(EmulatorConfig { webhook: Some(webhook), ..fast() }).await;
    let profile = api.individual("Fail").await;
    let pid = profile["id"].as_str().unwrap();
    let before_s = chrono::Utc::now().timestamp();
    let check = api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    let task = profile["tasks"][0]["id"].as_str().unwrap();
    api.ok(Method::POST, &format!("/profiles/{pid}/tasks/{task}"), Some(json!({ "state": "COMPLETED_FAIL" }))).await;

    let events = wait_for(|| {
        let events = received.lock().unwrap();
        (events.len() == 2).then(|| events.clone())
    })
    .await;
    let after_s = chrono::Utc::now().timestamp();
    let (headers, completed) = &events[0];
    assert_eq!(headers["authorization"], "Bearer whsec_emulator_test_6a2c");
    assert_eq!(completed["event"], "CHECK_COMPLETED");
    assert_eq!(completed["secret"], "whsec_emulator_test_6a2c");
    assert!(completed["id"].is_string() && completed["timestamp"].is_i64());
    let stamped_s = completed["timestamp"].as_i64().unwrap();
    assert!((before_s..=after_s).contains(&stamped_s), "stamped when sent: {stamped_s} not in {before_s}..={after_s}");
    assert_eq!(completed["data"]["profile_id"], pid);
    assert_eq!(
        completed["data"]["check"],
        json!({ "id": check["id"], "check_type": "IDENTITY_CHECK", "result": "Fail", "decision": "FAIL" })
    );
    assert_eq!(events[1].1["event"], "TASK_STATE_CHANGED");
    assert_eq!(events[1].1["data"]["task"]["state"], "COMPLETED_FAIL");

    // The emulator logs an attempt once it has the answer, which the receiver gives after storing the event.
    let deliveries = deliveries_until(&api, |attempts| attempts.iter().filter(|d| d["status"] == 200).count() == 2).await;
    let attempts: Vec<_> = deliveries.iter().map(|d| (d["attempt"].as_u64().unwrap(), d["status"].as_u64().unwrap())).collect();
    assert_eq!(attempts, [(1, 500), (2, 200), (1, 200)], "retried until 200, in order");
    assert!(deliveries[0]["time"].as_str().unwrap().contains('.'), "milliseconds");
}

#[tokio::test]
async fn a_retried_delivery_is_stamped_again() {
    // Five failures: the retries wait 50 + 100 + 200 + 400 + 800 ms, so the sixth attempt is over a second later.
    let (url, received) = receiver(5).await;
    let webhook =
        WebhookConfig { url, secret: "whsec_emulator_test_6a2c".into(), batching: false, events: Some(vec!["CHECK_COMPLETED".into()]) };
    let api = Api::start(EmulatorConfig { webhook: Some(webhook), ..fast() }).await;
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=sync"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    let delivered = wait_for(|| received.lock().unwrap().first().map(|(_, body)| body.clone())).await;
    let attempts = deliveries_until(&api, |attempts| attempts.iter().any(|d| d["status"] == 200)).await;
    assert_eq!(attempts.len(), 6);
    let first_sent_s = attempts[0]["timestamp_ms"].as_i64().unwrap() / 1000;
    let last_sent_s = attempts[5]["timestamp_ms"].as_i64().unwrap() / 1000;
    assert_eq!(delivered["timestamp"], last_sent_s, "the envelope carries the time of the attempt that got through");
    assert!(last_sent_s > first_sent_s, "not the time of the first attempt");
}

/// Reads the emulator's webhook delivery log until `done` holds, by a deadline.
async fn deliveries_until(api: &Api, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let deliveries = api.admin(Method::GET, "/webhook/deliveries", None).await.1.as_array().unwrap().clone();
        if done(&deliveries) {
            return deliveries;
        }
        assert!(Instant::now() < deadline, "timed out waiting for webhook deliveries: {deliveries:?}");
        tokio::time::sleep(POLL).await;
    }
}

/// A webhook receiver that records what it is sent, answering 200, but holds
/// its first delivery until `gate` is notified.
async fn held_receiver() -> (String, Arc<Mutex<Vec<Value>>>, Arc<tokio::sync::Notify>) {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let gate = Arc::new(tokio::sync::Notify::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let (store, held) = (received.clone(), gate.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (store, held, calls) = (store.clone(), held.clone(), calls.clone());
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    held.notified().await;
                }
                store.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received, gate)
}

#[tokio::test]
async fn batched_webhooks_arrive_as_one_array() {
    let (url, received, gate) = held_receiver().await;
    let api = Api::start(fast()).await;
    let (status, _) = api
        .admin(
            Method::PUT,
            "/webhook",
            Some(json!({ "url": url, "secret": "whsec_batching_test_9d4e", "batching": true, "events": ["CHECK_COMPLETED"] })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let profile = api.individual("Smith").await;
    let pid = profile["id"].as_str().unwrap();
    let mut check_ids = Vec::new();
    for _ in 0..5 {
        let check =
            api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=async"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
        check_ids.push(check["id"].clone());
    }
    // Not enabled: were it sent, it would be queued here, after the five checks' events.
    let task = profile["tasks"][0]["id"].as_str().unwrap();
    api.ok(Method::POST, &format!("/profiles/{pid}/tasks/{task}"), Some(json!({ "state": "COMPLETED_PASS" }))).await;
    // Deliveries go one at a time and in order: once this later check's event is in, so is everything queued before it.
    let sentinel =
        api.ok(Method::POST, &format!("/profiles/{pid}/checks?mode=async"), Some(json!({ "check_type": "IDENTITY_CHECK" }))).await;
    check_ids.push(sentinel["id"].clone());
    // The receiver holds the first delivery until every check has finished, so the other events queue up behind it.
    wait_for_checks_complete(&api, 6).await;
    gate.notify_one();

    let batches = wait_for(|| {
        let batches = received.lock().unwrap();
        let arrived = |id: &Value| batches.iter().filter_map(Value::as_array).flatten().any(|event| &event["data"]["check"]["id"] == id);
        check_ids.iter().all(arrived).then(|| batches.clone())
    })
    .await;
    let events: Vec<&Value> = batches.iter().flat_map(|body| body.as_array().expect("a batch is an array")).collect();
    let names: Vec<&Value> = events.iter().map(|event| &event["event"]).collect();
    assert!(names.iter().all(|name| *name == "CHECK_COMPLETED"), "TASK_STATE_CHANGED is not enabled: {names:?}");
    let mut delivered: Vec<Value> = events.iter().map(|event| event["data"]["check"]["id"].clone()).collect();
    delivered.sort_by_key(|id| id.to_string());
    check_ids.sort_by_key(|id| id.to_string());
    assert_eq!(delivered, check_ids, "each check's event once");
    assert!(batches.len() < events.len(), "events were batched: {} deliveries for {} events", batches.len(), events.len());
}

/// Waits, by a deadline, until the emulator holds `count` checks, all COMPLETE.
async fn wait_for_checks_complete(api: &Api, count: usize) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let checks = api.admin(Method::GET, "/checks", None).await.1;
        let checks = checks.as_array().unwrap();
        if checks.len() == count && checks.iter().all(|check| check["state"] == "COMPLETE") {
            return;
        }
        assert!(Instant::now() < deadline, "the checks never all finished: {checks:?}");
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test]
async fn idle_and_quiesce_report_requests_in_flight_and_wait_for_quiet() {
    let api = Api::start(fast()).await;
    let (status, idle) = api.admin(Method::GET, "/idle", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((idle["requests"].as_u64(), idle["in_flight"].as_u64()), (Some(0), Some(0)), "{idle}");
    assert!(idle["idle_ms"].is_u64(), "{idle}");

    // One request held in the emulator by a delay fault.
    api.admin(Method::POST, "/faults", Some(json!({ "method": "GET", "path": "/4.0/whoami", "action": "delay", "delay_ms": 500 }))).await;
    let held = {
        let http = api.http.clone();
        let url = format!("{}/4.0/whoami", api.emulator.url());
        tokio::spawn(async move { http.get(url).header("apikey", KEY).send().await.unwrap().status().as_u16() })
    };
    let deadline = Instant::now() + DEADLINE;
    while api.admin(Method::GET, "/idle", None).await.1["in_flight"] != 1 {
        assert!(Instant::now() < deadline, "the held request never arrived");
        tokio::time::sleep(POLL).await;
    }
    // While it is in flight, the emulator is not quiescent, however short the idle window.
    let (status, busy) = api.admin(Method::GET, "/quiesce?idle_ms=0&timeout_ms=0", None).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{busy}");
    assert_eq!(
        (busy["quiescent"].as_bool(), busy["in_flight"].as_u64(), busy["requests"].as_u64()),
        (Some(false), Some(1), Some(1)),
        "{busy}"
    );

    // Quiesce returns only once it has been answered and a quiet window has passed after that.
    let (status, quiet) = api.admin(Method::GET, "/quiesce?idle_ms=100&timeout_ms=10000", None).await;
    assert_eq!(status, StatusCode::OK, "{quiet}");
    assert_eq!(
        (quiet["quiescent"].as_bool(), quiet["in_flight"].as_u64(), quiet["requests"].as_u64()),
        (Some(true), Some(0), Some(1)),
        "{quiet}"
    );
    assert!(quiet["idle_ms"].as_u64().unwrap() >= 100, "{quiet}");
    let log = api.admin(Method::GET, "/requests", None).await.1;
    assert!(log[0]["finished_ms"].is_i64() && log[0]["status"] == 200, "answered before quiesce returned: {log}");
    assert_eq!(held.await.unwrap(), 200);

    // A fresh request restarts the window, and counts; admin calls do not.
    api.ok(Method::GET, "/whoami", None).await;
    let quiet = api.admin(Method::GET, "/quiesce?idle_ms=50", None).await.1;
    assert_eq!((quiet["quiescent"].as_bool(), quiet["requests"].as_u64()), (Some(true), Some(2)), "{quiet}");

    for bad in ["idle_ms=soon", "timeout_ms=-1", "idle=5", "timeout_ms=3600000"] {
        let (status, body) = api.admin(Method::GET, &format!("/quiesce?{bad}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    assert_eq!(api.admin(Method::POST, "/reset", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.admin(Method::GET, "/idle", None).await.1["requests"], 0, "counted since the last reset");
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

//! The operation table over real HTTP: every operation through `Client::call`,
//! response metadata, per-call options, raw requests, refusals before any
//! request, and a lost answer to a creating write.

mod support;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use passfort_core::operations::OPERATIONS;
use passfort_core::{ApiResponse, CallArgs, Client, Error, QueryValue, RequestOptions};
use serde_json::{json, Value};
use support::{individual_data, Harness, API_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A 1×1 PNG, base64.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn args(path: &[(&str, &str)], query: &[(&str, &str)], body: Option<Value>) -> CallArgs {
    let pairs = |pairs: &[(&str, &str)]| pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    let query = query.iter().map(|(n, v)| (n.to_string(), QueryValue::from(*v))).collect();
    CallArgs { path: pairs(path), query, body, if_match: None }
}

/// Calls by name, remembering which operations were called.
struct Caller<'a> {
    client: &'a Client,
    called: Mutex<BTreeSet<&'static str>>,
}

impl Caller<'_> {
    async fn call(&self, name: &'static str, path: &[(&str, &str)], query: &[(&str, &str)], body: Option<Value>) -> ApiResponse {
        let response = self
            .client
            .call(name, args(path, query, body), &RequestOptions::default())
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!((200..300).contains(&response.status), "{name}: {}", response.status);
        assert!(response.meta.request_id.is_some(), "{name}: the emulator stamps a request id");
        self.called.lock().unwrap().insert(name);
        response
    }
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

#[tokio::test]
async fn every_operation_answers_through_call() {
    let h = Harness::start().await;
    let c = Caller { client: &h.client, called: Mutex::new(BTreeSet::new()) };

    c.call("whoami", &[], &[], None).await;
    let profile = c
        .call("create_profile", &[], &[], Some(json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": individual_data("Smith") })))
        .await;
    let pid = id(&profile.body);
    let p = ("profile_id", pid.as_str());
    assert_eq!(c.call("list_profiles", &[], &[("q", "smith"), ("limit", "10"), ("offset", "0")], None).await.body["count"], 1);
    c.call("get_profile", &[p], &[], None).await;

    // Tasks and notes.
    let tasks = c.call("list_tasks", &[p], &[], None).await.body;
    let identity_task = id(&tasks[0]);
    let task = c.call("create_task", &[p], &[], Some(json!({ "type": "INDIVIDUAL_VERIFY_ADDRESS" }))).await.body;
    let tid = id(&task);
    let t = ("task_id", tid.as_str());
    c.call("get_task", &[p, t], &[], None).await;
    let note = c.call("add_note", &[p, t], &[], Some(json!({ "text": "Utility bill requested" }))).await.body;
    assert_eq!(c.call("list_notes", &[p, t], &[], None).await.body.as_array().unwrap().len(), 1);
    c.call("delete_note", &[p, t, ("note_id", &id(&note))], &[], None).await;
    let completed = c.call("complete_task", &[p, t], &[], Some(json!({ "state": "COMPLETED_PASS" }))).await.body;
    assert_eq!(completed["state"], "COMPLETED_PASS");

    // Documents: an image, a document naming it, a document check on it.
    let image = c.call("upload_document_image", &[p], &[], Some(json!({ "data": PNG, "image_type": "FRONT" }))).await.body;
    c.call("list_document_images", &[p], &[], None).await;
    c.call("get_document_image", &[p, ("document_image_id", &id(&image))], &[], None).await;
    let passport = json!({ "category": "PROOF_OF_IDENTITY", "document_type": "PASSPORT", "images": [{ "id": image["id"] }] });
    let document = c.call("add_document", &[p], &[], Some(passport)).await.body;
    let file = c.call("upload_file", &[p], &[], Some(json!({ "data": PNG, "name": "scan.png" }))).await.body;
    c.call("get_file", &[p, ("file_id", &id(&file))], &[], None).await;

    // Checks.
    let body = json!({ "check_type": "DOCUMENT_VERIFICATION", "document_id": document["id"] });
    let document_check = c.call("run_check", &[p], &[("mode", "sync")], Some(body)).await;
    assert!(!document_check.adopted);
    assert_eq!(document_check.body["document_id"], document["id"]);
    let check = c
        .call("run_check", &[p], &[("mode", "sync")], Some(json!({ "check_type": "IDENTITY_CHECK", "task_ids": [identity_task] })))
        .await
        .body;
    assert_eq!(check["state"], "COMPLETE");
    let k = ("check_id", id(&check));
    let k = (k.0, k.1.as_str());
    c.call("get_check", &[p, k], &[], None).await;
    assert_eq!(c.call("list_checks", &[p], &[], None).await.body.as_array().unwrap().len(), 2);
    c.call("update_check_tasks", &[p, k], &[], Some(json!({ "task_ids": [tid] }))).await;
    assert_eq!(c.call("approve_check", &[p, k], &[], None).await.body["decision"], "PASS");
    assert_eq!(c.call("reject_check", &[p, k], &[], None).await.body["decision"], "FAIL");

    // Applications.
    let application = c.call("create_application", &[p], &[], Some(json!({ "product": { "alias": "individual-account" } }))).await.body;
    let a = ("application_id", id(&application));
    let a = (a.0, a.1.as_str());
    c.call("list_applications", &[p], &[], None).await;
    c.call("get_application", &[p, a], &[], None).await;
    assert_eq!(c.call("update_application", &[p, a], &[], Some(json!({ "status": "REJECTED" }))).await.body["status"], "REJECTED");
    let reverted = c.call("revert_application_decision", &[p, a], &[], Some(json!({ "comment": "second look" }))).await.body;
    assert_eq!(reverted["status"], "APPLIED");

    // Events.
    let event =
        c.call("create_event", &[p], &[], Some(json!({ "data": { "event_type": "ADVERSE_MEDIA_FLAG", "match_name": "Ada" } }))).await.body;
    let e = ("event_id", id(&event));
    let e = (e.0, e.1.as_str());
    c.call("list_events", &[p], &[], None).await;
    c.call("get_event", &[p, e], &[], None).await;
    c.call("update_event", &[p, e], &[], Some(json!({ "resolution": "MISMATCH", "resolution_reason": "another Ada" }))).await;
    c.call("bulk_update_events", &[p], &[], Some(json!([{ "id": event["id"], "resolution": "MATCH" }]))).await;

    // Collected data, collection steps, status, tags, audit.
    let data = c.call("get_collected_data", &[p], &[], None).await;
    assert!(data.meta.etag.is_some(), "collected data answers an Etag");
    let updated = c.call("update_collected_data", &[p], &[], Some(individual_data("Jones"))).await;
    assert!(updated.meta.etag.is_some() && updated.meta.etag != data.meta.etag);
    c.call("update_collection_steps", &[p], &[], Some(json!([{ "collection_type": "FULL_NAME" }]))).await;
    c.call("list_collection_steps", &[p], &[], None).await;
    assert_eq!(c.call("set_profile_status", &[p], &[], Some(json!("SUSPENDED"))).await.body, "SUSPENDED");
    assert_eq!(c.call("get_profile_status", &[p], &[], None).await.body, "SUSPENDED");
    let tag = c.call("add_tag", &[p], &[], Some(json!({ "name": "VIP lounge" }))).await.body;
    let found = c.call("search_tags", &[("term", "vip l")], &[("limit", "5")], None).await.body;
    assert_eq!(found[0]["id"], tag["id"], "free text in a path segment is encoded");
    c.call("remove_tag", &[p, ("tag_id", &id(&tag))], &[], None).await;
    assert!(c.call("list_audit_items", &[p], &[], None).await.body.as_array().unwrap().len() > 5);

    // Elsewhere.
    let companies = c.call("search_companies", &[], &[("country", "GBR"), ("query", "acme")], None).await.body;
    assert_eq!(companies["companies"].as_array().unwrap().len(), 2);
    assert_eq!(c.call("search_addresses", &[], &[("address", "baker"), ("country_code", "GBR")], None).await.body["count"], 1);
    c.call("format_address", &[], &[("id", "GBR-1"), ("country_code", "GBR")], None).await;
    assert!(c.call("create_collect_key", &[], &[], Some(json!({ "profile_ids": [pid] }))).await.body["key"].is_string());
    c.call("create_profile_collect_key", &[p], &[], None).await;

    let all: BTreeSet<_> = OPERATIONS.iter().map(|op| op.name).collect();
    assert_eq!(*c.called.lock().unwrap(), all, "every operation of the table was called");
}

#[tokio::test]
async fn rate_limit_headers_are_read_into_the_metadata() {
    let h = Harness::start().await;
    h.configure(json!({ "rate_limits": { "profiles": { "per_hour": 3600, "burst": 10 } } })).await;
    let body = json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": individual_data("Smith") });
    let created = h.client.call("create_profile", args(&[], &[], Some(body)), &RequestOptions::default()).await.unwrap();
    let meta = &created.meta;
    assert_eq!(meta.rate_limit_remaining, Some(9));
    assert!(meta.rate_limit_reset_secs.is_some_and(|secs| secs > 0.0), "{meta:?}");
    assert!(meta.rate_limit_reset.is_some_and(|epoch| epoch > 1_600_000_000), "{meta:?}");
    assert!(meta.headers.iter().any(|(name, _)| name == "x-ratelimit-remaining"));
    assert_eq!(created.body, serde_json::from_slice::<Value>(&created.raw).unwrap());
}

#[tokio::test]
async fn a_stale_if_match_is_a_412_carrying_the_latest_data() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let p = [("profile_id", pid.as_str())];
    let options = RequestOptions::default();
    let read = h.client.call("get_collected_data", args(&p, &[], None), &options).await.unwrap();
    let stale = read.meta.etag.clone().unwrap();
    let mut write = args(&p, &[], Some(individual_data("Jones")));
    write.if_match = Some(stale.clone());
    let written = h.client.call("update_collected_data", write, &options).await.unwrap();

    let mut late = args(&p, &[], Some(individual_data("Brown")));
    late.if_match = Some(stale);
    let error = h.client.call("update_collected_data", late, &options).await.unwrap_err();
    let api = error.api().unwrap_or_else(|| panic!("an API error, not {error}"));
    assert_eq!(api.status, 412);
    let latest = api.latest.as_ref().expect("the latest data");
    assert_eq!(latest.body, written.body);
    assert_eq!(latest.etag, written.meta.etag);
    assert!(!format!("{error:?}").contains("Jones"), "Debug shows no personal data");
    assert_eq!(h.requests_to("POST", "/collected_data").await.len(), 2, "a 412 is not retried");
}

#[tokio::test]
async fn per_call_timeout_and_max_retries_are_honoured() {
    let h = Harness::start().await;
    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "delay", "delay_ms": 1000, "times": 1 })).await;
    let short = RequestOptions { timeout: Some(Duration::from_millis(150)), max_retries: Some(0), ..Default::default() };
    let started = Instant::now();
    let error = h.client.call("whoami", CallArgs::default(), &short).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_millis(900), "the call's timeout, not the client's");
    assert_eq!(h.requests_to("GET", "/whoami").await.len(), 1, "max_retries 0: no retry");

    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "status", "status": 503, "times": 5 })).await;
    let once_more = RequestOptions { max_retries: Some(1), ..Default::default() };
    let error = h.client.call("whoami", CallArgs::default(), &once_more).await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(h.requests_to("GET", "/whoami").await.len(), 3, "one more request and one retry");
}

/// A server that answers every request `{}` and hands back what it received.
async fn recording_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/4.0", listener.local_addr().unwrap());
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut received = Vec::new();
                let mut buffer = [0u8; 4096];
                while !received.windows(4).any(|w| w == b"\r\n\r\n") {
                    let Ok(read) = socket.read(&mut buffer).await else { return };
                    if read == 0 {
                        return;
                    }
                    received.extend_from_slice(&buffer[..read]);
                }
                let _ = sender.send(String::from_utf8_lossy(&received).into_owned());
                let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nx-request-id: req-1\r\n\
                              set-cookie: session=s3cr3t\r\nconnection: close\r\n\r\n{}";
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, receiver)
}

#[tokio::test]
async fn extra_headers_are_sent_and_cookies_kept_out_of_the_metadata() {
    let (url, mut received) = recording_server().await;
    let client = Client::builder().api_key(API_KEY).base_url(url).build().unwrap();
    let options = RequestOptions { extra_headers: vec![("X-Trace-Id".into(), "trace-42".into())], ..Default::default() };
    let answer = client.call("whoami", CallArgs::default(), &options).await.unwrap();
    let request = received.recv().await.unwrap().to_ascii_lowercase();
    assert!(request.starts_with("get /4.0/whoami "), "{request}");
    assert!(request.contains("\r\nx-trace-id: trace-42\r\n"), "{request}");
    assert_eq!(request.matches("\r\napikey: ").count(), 1, "{request}");
    assert_eq!(answer.meta.request_id.as_deref(), Some("req-1"));
    assert!(answer.meta.headers.iter().all(|(name, value)| name != "set-cookie" && !value.contains("s3cr3t")));

    let answer = client.request("get", "/new/endpoint", vec![("page".into(), "2".into())], None, &options).await.unwrap();
    assert_eq!(answer.body, json!({}));
    let request = received.recv().await.unwrap().to_ascii_lowercase();
    assert!(request.starts_with("get /4.0/new/endpoint?page=2 "), "{request}");
    assert!(request.contains("\r\nx-trace-id: trace-42\r\n"), "{request}");
}

#[tokio::test]
async fn raw_requests_share_auth_errors_and_retries() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let none = RequestOptions::default();
    let tasks = h.client.request("GET", &format!("/profiles/{pid}/tasks"), vec![], None, &none).await.unwrap();
    assert_eq!(tasks.body.as_array().unwrap().len(), 2);
    let tag = h.client.request("POST", &format!("/profiles/{pid}/tags"), vec![], Some(json!({ "name": "VIP" })), &none).await.unwrap();
    assert_eq!(tag.body["name"], "VIP");
    let missing = h.client.request("GET", "/profiles/00000000-0000-0000-0000-000000000000", vec![], None, &none).await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
    // A read is retried as one; the path matched a table operation.
    h.fault(json!({ "method": "GET", "path": "/4.0/profiles/*/checks", "action": "status", "status": 503, "times": 1 })).await;
    h.client.request("GET", &format!("/profiles/{pid}/checks"), vec![], None, &none).await.unwrap();
    assert_eq!(h.requests_to("GET", "/checks").await.len(), 2);
    // A creating write by raw request is sent once, and its loss is named.
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/tasks", "action": "drop_after_commit" })).await;
    let body = json!({ "type": "INDIVIDUAL_VERIFY_ADDRESS" });
    let error = h.client.request("POST", &format!("/profiles/{pid}/tasks"), vec![], Some(body), &none).await.unwrap_err();
    assert!(matches!(&error, Error::AmbiguousCreation { operation, .. } if operation == "create_task"), "{error}");
    assert_eq!(h.requests_to("POST", "/tasks").await.len(), 1);
}

#[tokio::test]
async fn invalid_arguments_are_refused_before_any_request() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    let before = h.admin(reqwest::Method::GET, "/idle", None).await["requests"].clone();
    let none = RequestOptions::default();
    let p = ("profile_id", pid.as_str());
    let deep = (0..100).fold(json!(1), |inner, _| json!([inner]));
    let cases: Vec<(&str, CallArgs, RequestOptions)> = vec![
        ("no_such_operation", CallArgs::default(), none.clone()),
        ("get_profile", args(&[], &[], None), none.clone()),
        ("get_profile", args(&[("profile_id", "../whoami")], &[], None), none.clone()),
        ("get_profile", args(&[p, ("task_id", "t1")], &[], None), none.clone()),
        ("get_profile", args(&[p], &[("expand", "all")], None), none.clone()),
        ("get_profile", args(&[p], &[], Some(json!({}))), none.clone()),
        ("add_tag", args(&[p], &[], None), none.clone()),
        ("add_tag", args(&[p], &[], Some(deep)), none.clone()),
        ("list_profiles", args(&[], &[("q", &"x".repeat(5000))], None), none.clone()),
        ("search_tags", args(&[("term", "..")], &[], None), none.clone()),
        ("run_check", args(&[p], &[("mode", "later")], Some(json!({ "check_type": "IDENTITY_CHECK" }))), none.clone()),
        ("run_check", args(&[p], &[], Some(json!({ "check_type": "identity check" }))), none.clone()),
        ("whoami", CallArgs::default(), RequestOptions { extra_headers: vec![("apikey".into(), "other".into())], ..Default::default() }),
        ("whoami", CallArgs::default(), RequestOptions { extra_headers: vec![("x-a".into(), "a\r\nb".into())], ..Default::default() }),
        ("whoami", CallArgs::default(), RequestOptions { max_retries: Some(11), ..Default::default() }),
        ("whoami", CallArgs::default(), RequestOptions { timeout: Some(Duration::ZERO), ..Default::default() }),
    ];
    for (name, call_args, options) in cases {
        let error = h.client.call(name, call_args, &options).await.unwrap_err();
        assert!(matches!(error, Error::InvalidArgument(_)), "{name}: {error}");
    }
    for (method, path, query) in [
        ("GET", "whoami", vec![]),
        ("GET", "//evil.example/x", vec![]),
        ("GET", "/profiles/../whoami", vec![]),
        ("GET", "/whoami?apikey=x", vec![]),
        ("GET", "/whoami", vec![("apikey".to_owned(), "x".into())]),
        ("BREW", "/whoami", vec![]),
    ] {
        let error = h.client.request(method, path, query, None, &none).await.unwrap_err();
        assert!(matches!(error, Error::InvalidArgument(_)), "{method} {path}: {error}");
    }
    let error = h.client.request("GET", "/whoami", vec![], Some(json!({})), &none).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error}");
    let after = h.admin(reqwest::Method::GET, "/idle", None).await["requests"].clone();
    assert_eq!(before, after, "no request was sent");
}

#[tokio::test]
async fn a_lost_application_create_is_ambiguous_and_never_resent() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/applications", "action": "drop_after_commit" })).await;
    let body = json!({ "product": { "alias": "individual-account" } });
    let error =
        h.client.call("create_application", args(&[("profile_id", &pid)], &[], Some(body)), &RequestOptions::default()).await.unwrap_err();
    match &error {
        Error::AmbiguousCreation { operation, profile_id, look_for, .. } => {
            assert_eq!(operation, "create_application");
            assert_eq!(profile_id.as_deref(), Some(pid.as_str()));
            assert!(look_for.contains("applications"), "{look_for}");
        }
        other => panic!("expected AmbiguousCreation, got {other}"),
    }
    assert_eq!(error.code(), "ambiguous_creation");
    assert!(error.may_have_reached_server());
    assert_eq!(h.requests_to("POST", "/applications").await.len(), 1, "never resent");
    let listed = h.client.call("list_applications", args(&[("profile_id", &pid)], &[], None), &RequestOptions::default()).await.unwrap();
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "exactly one application exists");
}

#[tokio::test]
async fn a_lost_run_check_answer_is_adopted_by_reading_back() {
    let h = Harness::start().await;
    let pid = h.individual("Smith").await.id.clone();
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "drop_after_commit" })).await;
    let call_args = args(&[("profile_id", &pid)], &[("mode", "sync")], Some(json!({ "check_type": "IDENTITY_CHECK" })));
    let adopted = h.client.call("run_check", call_args, &RequestOptions::default()).await.unwrap();
    assert!(adopted.adopted);
    assert_eq!(adopted.body["check_type"], "IDENTITY_CHECK");
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 1, "never resent");
    assert_eq!(h.checks().await.len(), 1, "exactly one check");
}

/// The shared scenario file (tests/scenarios/operations.json), also run by the
/// Python and Node suites: every operation, in order, through `Client::call`.
#[tokio::test]
async fn the_shared_scenarios_run_through_call() {
    let scenarios: Value = serde_json::from_str(include_str!("../../tests/scenarios/operations.json")).expect("operations.json is JSON");
    let steps = scenarios["steps"].as_array().expect("steps");
    let named: BTreeSet<&str> = steps.iter().map(|step| step["operation"].as_str().expect("an operation name")).collect();
    assert_eq!(named, OPERATIONS.iter().map(|operation| operation.name).collect(), "one step or more per operation");

    let h = Harness::start().await;
    let mut saved = serde_json::Map::new();
    for step in steps {
        let name = step["operation"].as_str().unwrap();
        let pairs = |key: &str| -> Vec<(String, String)> {
            let object = resolve(&step[key], &saved);
            object
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().expect("text values").to_owned())).collect())
                .unwrap_or_default()
        };
        let query = pairs("query").into_iter().map(|(name, value)| (name, QueryValue::from(value))).collect();
        let body = step.get("body").map(|body| resolve(body, &saved));
        let args = CallArgs { path: pairs("path"), query, body, if_match: None };
        let response = h.client.call(name, args, &RequestOptions::default()).await.unwrap_or_else(|error| panic!("{name}: {error}"));

        let expect = &step["expect"];
        assert_eq!(u64::from(response.status), expect["status"].as_u64().unwrap(), "{name}");
        assert!(response.meta.request_id.is_some(), "{name}: the emulator stamps a request id");
        for key in expect["keys"].as_array().into_iter().flatten() {
            assert!(response.body.get(key.as_str().unwrap()).is_some(), "{name}: no {key}");
        }
        for (dotted, value) in expect["equals"].as_object().into_iter().flatten() {
            assert_eq!(lookup(&response.body, dotted), &resolve(value, &saved), "{name}: {dotted}");
        }
        if let Some(length) = expect.get("length") {
            assert_eq!(response.body.as_array().map(Vec::len), length.as_u64().map(|n| n as usize), "{name}");
        }
        if let Some(least) = expect.get("min_length") {
            assert!(response.body.as_array().map_or(0, Vec::len) as u64 >= least.as_u64().unwrap(), "{name}");
        }
        if let Some(body) = expect.get("body") {
            assert_eq!(&response.body, body, "{name}");
        }
        if expect.get("etag") == Some(&json!(true)) {
            assert!(response.meta.etag.is_some(), "{name}: an Etag");
        }
        assert_eq!(serde_json::from_slice::<Value>(&response.raw).unwrap_or(Value::Null), response.body, "{name}: raw is the body");
        if let Some(save) = step["save"].as_str() {
            saved.insert(save.to_owned(), response.body.clone());
        }
    }
}

fn lookup<'a>(mut value: &'a Value, dotted: &str) -> &'a Value {
    for part in dotted.split('.') {
        value = match value {
            Value::Array(items) => &items[part.parse::<usize>().expect("an index")],
            other => &other[part],
        };
    }
    value
}

/// `"$name.a.b"` is the value at `a.b` of the body saved as `name`.
fn resolve(value: &Value, saved: &serde_json::Map<String, Value>) -> Value {
    match value {
        Value::String(text) if text.starts_with('$') => {
            let (name, rest) = text[1..].split_once('.').map_or((&text[1..], None), |(name, rest)| (name, Some(rest)));
            let body = &saved[name];
            rest.map_or_else(|| body.clone(), |rest| lookup(body, rest).clone())
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| resolve(item, saved)).collect()),
        Value::Object(object) => Value::Object(object.iter().map(|(k, v)| (k.clone(), resolve(v, saved))).collect()),
        other => other.clone(),
    }
}

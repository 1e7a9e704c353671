//! What the `api_*` tests share: an emulator with a webhook receiver, calls
//! over real HTTP, deadline polls, and PassFort's schema as a validator.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use passfort_emulator::{Emulator, EmulatorConfig, WebhookConfig};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

pub const KEY: &str = "api-test-key";
pub const DEADLINE: Duration = Duration::from_secs(10);
pub const POLL: Duration = Duration::from_millis(10);
/// A 1×1 PNG.
pub const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

pub struct Api {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    /// Every webhook envelope received, in order.
    pub hooks: Arc<Mutex<Vec<Value>>>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> Option<u64> {
        self.body["errors"][0]["code"].as_u64()
    }

    pub fn field(&self) -> Option<&str> {
        self.body["errors"][0]["info"]["field"].as_str()
    }

    /// Asserts a 400 with PassFort's error body, `code` and the field in `info` ("": no field).
    pub fn refused(&self, code: u64, field: &str) {
        let field = (!field.is_empty()).then_some(field);
        assert_eq!((self.status, self.code(), self.field()), (StatusCode::BAD_REQUEST, Some(code), field), "{}", self.body);
        assert_eq!(self.body["errors"][0]["source"], "API", "{}", self.body);
    }
}

impl Api {
    /// An emulator with an instant provider, its webhooks sent to a receiver that answers 200.
    pub async fn start() -> Self {
        let hooks: Arc<Mutex<Vec<Value>>> = Arc::default();
        let store = hooks.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::body::Bytes| {
                let store = store.clone();
                async move {
                    store.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let webhook = WebhookConfig { url, secret: "whsec_api_tests".into(), batching: false, events: None };
        let config =
            EmulatorConfig { api_key: KEY.into(), provider_latency: Duration::ZERO, webhook: Some(webhook), ..EmulatorConfig::default() };
        let emulator = passfort_emulator::start(config).await.unwrap();
        Self { emulator, http: reqwest::Client::new(), hooks }
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.http.request(method, format!("{}/4.0{path}", self.emulator.url())).header("apikey", KEY);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")) };
        Answer { status, headers, body }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.request(method, path, body, &[]).await
    }

    pub async fn get(&self, path: &str) -> Value {
        self.ok(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.ok(Method::POST, path, Some(body)).await
    }

    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let answer = self.call(method.clone(), path, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{method} {path}: {}", answer.body);
        answer.body
    }

    pub async fn individual(&self, family_name: &str) -> Value {
        let data =
            json!({ "entity_type": "INDIVIDUAL", "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name } } });
        self.post("/profiles", json!({ "role": "INDIVIDUAL_CUSTOMER", "collected_data": data, "customer_ref": "ref-1" })).await
    }

    pub async fn company(&self, name: &str) -> Value {
        self.post(
            "/profiles",
            json!({ "role": "COMPANY_CUSTOMER", "collected_data": { "entity_type": "COMPANY", "metadata": { "name": name } } }),
        )
        .await
    }

    /// Runs a check in sync mode; answers it complete.
    pub async fn check(&self, pid: &str, check_type: &str, task_ids: &[&Value]) -> Value {
        let check =
            self.post(&format!("/profiles/{pid}/checks?mode=sync"), json!({ "check_type": check_type, "task_ids": task_ids })).await;
        assert_eq!(check["state"], "COMPLETE", "{check}");
        check
    }

    /// Waits until webhooks named `event` satisfy `done`; answers them.
    pub async fn hooks_until(&self, event: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let named: Vec<Value> = self.hooks.lock().unwrap().iter().filter(|h| h["event"] == event).cloned().collect();
            if done(&named) {
                return named;
            }
            assert!(Instant::now() < deadline, "no {event} webhook as expected; got {:?}", self.hooks.lock().unwrap());
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for a webhook named `event` about `pid` whose data satisfies `matches`.
    pub async fn hook(&self, event: &str, pid: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let found = self.hooks_until(event, |hooks| hooks.iter().any(|h| h["data"]["profile_id"] == pid && matches(&h["data"]))).await;
        found.into_iter().find(|h| h["data"]["profile_id"] == pid && matches(&h["data"])).unwrap()
    }

    pub async fn audit_actions(&self, pid: &str) -> Vec<String> {
        let items = self.get(&format!("/profiles/{pid}/audit-items")).await;
        let schema = schema("AuditItem");
        items
            .as_array()
            .unwrap()
            .iter()
            .inspect(|item| assert_valid(&schema, item))
            .map(|item| item["action"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// OpenAPI 3.0 to JSON Schema: `nullable` becomes a null type, `x-patternProperties` patternProperties.
fn to_json_schema(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(kind)) = object.get("type").cloned() {
                    object.insert("type".into(), json!([kind, "null"]));
                }
            }
            if let Some(patterns) = object.remove("x-patternProperties") {
                object.insert("patternProperties".into(), patterns);
            }
            object.values_mut().for_each(to_json_schema);
        }
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        _ => {}
    }
}

/// A validator for one schema of PassFort's OpenAPI file.
pub fn schema(name: &str) -> jsonschema::Validator {
    let mut document: Value = serde_json::from_str(include_str!("../../../tests/fixtures/passfort-openapi-4.0-2019.json")).unwrap();
    to_json_schema(&mut document);
    let root = json!({ "$ref": format!("#/components/schemas/{name}"), "components": document["components"] });
    jsonschema::options().with_draft(jsonschema::Draft::Draft7).build(&root).unwrap()
}

pub fn assert_valid(validator: &jsonschema::Validator, instance: &Value) {
    let errors: Vec<String> = validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{instance}\n{}", errors.join("\n"));
}

pub fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}"))
}

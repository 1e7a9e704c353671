//! The shared mission scenarios (tests/scenarios/mission.json), run through
//! the core with the same argument entry points the bindings use
//! (`ClientBuilder::from_options`, `CheckArgs`, `WaitArgs`, `VerifyArgs`,
//! `BatchArgs`, all in the Rust dialect). The step language is described at
//! the top of the JSON file; this file is its Rust interpreter.
//!
//! `MISSION_SCENARIO=name cargo test -p passfort-core --test mission` runs one scenario.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use passfort_core::{
    check_mode, BatchArgs, CallArgs, Check, CheckArgs, CheckJob, CheckMode, Client, ClientBuilder, ClientOptions, DataChange, Dialect,
    DocumentCheckArgs, Error, FinishedCheck, Profile, RequestOptions, Secret, Task, TaskOutcome, VerifyArgs, VerifyOutcome, VerifyStop,
    WaitArgs, WebhookListener,
};
use passfort_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Map, Value};
use tokio::task::JoinHandle;

const RUST: Dialect = Dialect::RUST;
const API_KEY: &str = "sk_mission_rust_3f1a";
const WEBHOOK_SECRET: &str = "whsec_mission_rust_8c2d";
/// How often the runner itself reads the emulator's request log while it waits for something.
const LOG_POLL: Duration = Duration::from_millis(20);

type Outcome = Result<(), String>;

fn table() -> Value {
    serde_json::from_str(include_str!("../../tests/scenarios/mission.json")).expect("mission.json is JSON")
}

// ---- views: what `as` binds, the same shape in every runner ----------------

fn check_view(check: &Check) -> Value {
    json!({
        "id": check.id,
        "check_type": check.check_type.as_str(),
        "state": check.state.as_str(),
        "result": check.result.as_ref().map(|r| r.as_str()),
        "decision": check.decision.as_ref().map(|d| d.as_str()),
        "task_ids": check.task_ids,
        "is_complete": check.is_complete(),
    })
}

fn finished_view(finished: &FinishedCheck) -> Value {
    let mut view = check_view(&finished.check);
    view["resolved_by"] = json!(finished.resolved_by.as_str());
    view
}

fn task_view(task: &Task) -> Value {
    json!({
        "id": task.id,
        "type": task.task_type.as_str(),
        "state": task.state.as_str(),
        "is_complete": task.is_complete,
        "check_ids": task.check_ids,
    })
}

fn profile_view(profile: &Profile) -> Value {
    json!({ "id": profile.id, "role": profile.role.as_str(), "tasks": profile.tasks.iter().map(task_view).collect::<Vec<_>>() })
}

fn outcome_view(outcome: &VerifyOutcome) -> Value {
    let stop = match outcome.stop {
        VerifyStop::Passed => "passed",
        VerifyStop::FailedTooOften => "failed",
        VerifyStop::NeedsReview { .. } => "needs_review",
    };
    json!({
        "stop": stop,
        "needs_review": outcome.needs_review(),
        "checks": outcome.checks.iter().map(check_view).collect::<Vec<_>>(),
        "task": outcome.task.as_ref().map(task_view),
    })
}

fn error_view(error: &Error) -> Value {
    let (profile_id, check_id) = match error {
        Error::WaitTimeout { profile_id, check_id, .. } => (Some(profile_id.clone()), Some(check_id.clone())),
        Error::AmbiguousCheckCreation { profile_id, .. } => (Some(profile_id.clone()), None),
        _ => (None, None),
    };
    json!({ "code": error.code(), "status": error.status(), "profile_id": profile_id, "check_id": check_id })
}

// ---- arguments ------------------------------------------------------------

fn text(args: &Value, name: &str) -> Option<String> {
    args.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn required(args: &Value, name: &str) -> String {
    text(args, name).unwrap_or_else(|| panic!("the step needs {name}: {args}"))
}

fn number(args: &Value, name: &str) -> Option<f64> {
    args.get(name).and_then(Value::as_f64)
}

fn strings(args: &Value, name: &str) -> Option<Vec<String>> {
    args.get(name).and_then(Value::as_array).map(|list| list.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
}

fn individual_data(family_name: &str) -> Value {
    json!({
        "entity_type": "INDIVIDUAL",
        "personal_details": { "name": { "given_names": ["Ada"], "family_name": family_name }, "dob": "1990-01-01" },
    })
}

/// A 1×1 PNG (base64 iVBORw0KGgo... in the other runners): `run_document_check`'s image.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63,
    0x64, 0x60, 0xf8, 0x5f, 0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// A table operation on one profile, by name, answering its body.
async fn operation(client: &Client, name: &str, profile_id: String, body: Option<Value>) -> passfort_core::Result<Value> {
    let args = CallArgs { path: vec![("profile_id".into(), profile_id)], body, ..CallArgs::default() };
    Ok(client.call(name, args, &RequestOptions::default()).await?.body)
}

fn check_args(args: &Value) -> CheckArgs {
    CheckArgs { check_type: required(args, "check_type"), task_ids: strings(args, "task_ids"), ..CheckArgs::default() }
}

fn build_client(base_url: &str, options: &Value) -> passfort_core::Result<Client> {
    let options = ClientOptions {
        api_key: Some(Secret::new(text(options, "api_key").unwrap_or_else(|| API_KEY.into()))),
        base_url: Some(base_url.to_owned()),
        webhook_secret: Some(Secret::new(WEBHOOK_SECRET)),
        timeout: number(options, "timeout"),
        connect_timeout: number(options, "connect_timeout"),
        sync_timeout: number(options, "sync_timeout"),
        max_retries: number(options, "max_retries"),
        max_retry_wait: number(options, "max_retry_wait"),
        max_connections: number(options, "max_connections"),
        binding: Some("rust-mission".into()),
        ..ClientOptions::default()
    };
    ClientBuilder::from_options(RUST, options)?.build()
}

/// One call of the step language, through the core's public API.
async fn call(client: Client, name: String, args: Value) -> passfort_core::Result<Value> {
    let profile = || required(&args, "profile");
    Ok(match name.as_str() {
        "whoami" => {
            let me = client.whoami().await?;
            json!({ "institution": me.institution.as_ref().and_then(|i| i.name.clone()) })
        }
        "create_profile" => {
            let role = text(&args, "role").unwrap_or_else(|| "INDIVIDUAL_CUSTOMER".into());
            let data = individual_data(&text(&args, "family_name").unwrap_or_else(|| "Smith".into()));
            profile_view(&client.create_profile(role.as_str(), data).await?)
        }
        "get_profile" => profile_view(&client.get_profile(&profile()).await?),
        "get_check" => check_view(&client.get_check(&profile(), &required(&args, "check")).await?),
        "get_task" => task_view(&client.get_task(&profile(), &required(&args, "task")).await?),
        "run_check" => {
            let request = check_args(&args).into_request(RUST)?;
            let mode = check_mode(RUST, text(&args, "mode").as_deref(), CheckMode::ServerDefault)?;
            check_view(&client.run_check(&profile(), &request, mode).await?)
        }
        "run_check_and_wait" => {
            let request = check_args(&args).into_request(RUST)?;
            let mode = check_mode(RUST, text(&args, "mode").as_deref(), CheckMode::Sync)?;
            let wait = WaitArgs { wait_timeout: number(&args, "wait_timeout"), poll_interval: None }.resolve(RUST)?;
            finished_view(&client.run_check_and_wait(&profile(), &request, mode, &wait).await?)
        }
        "wait_for_check" => {
            let wait =
                WaitArgs { wait_timeout: number(&args, "wait_timeout"), poll_interval: number(&args, "poll_interval") }.resolve(RUST)?;
            finished_view(&client.wait_for_check(&profile(), &required(&args, "check"), &wait).await?)
        }
        "complete_task" => {
            let outcome = TaskOutcome::try_from(required(&args, "state").as_str())?;
            task_view(&client.complete_task(&profile(), &required(&args, "task"), outcome).await?)
        }
        "verify_task" => {
            let options = VerifyArgs { max_failures: number(&args, "max_failures"), ..VerifyArgs::default() }.resolve(RUST)?;
            let request = check_args(&args).into_request(RUST)?;
            outcome_view(&client.verify_task(&profile(), &required(&args, "task"), &request, &options).await?)
        }
        "run_checks" => {
            let (options, _) = BatchArgs { concurrency: number(&args, "concurrency"), ..BatchArgs::default() }.resolve(RUST)?;
            let mut jobs = Vec::new();
            for request in args["requests"].as_array().expect("run_checks needs requests") {
                jobs.push(CheckJob { profile_id: required(request, "profile"), request: check_args(request).into_request(RUST)? });
            }
            let items = client.run_checks(jobs, &options, |_| {}).await?;
            Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Ok(finished) => json!({ "ok": true, "check": check_view(&finished.check), "error": null }),
                        Err(error) => json!({ "ok": false, "check": null, "error": error.code() }),
                    })
                    .collect(),
            )
        }
        "create_application" => {
            let application =
                operation(&client, "create_application", profile(), Some(json!({ "product": { "alias": "individual-account" } }))).await?;
            json!({ "id": application["id"], "status": application["status"] })
        }
        "list_applications" => operation(&client, "list_applications", profile(), None).await?,
        "list_document_images" => operation(&client, "list_document_images", profile(), None).await?,
        "get_collected_data" => operation(&client, "get_collected_data", profile(), None).await?,
        "decide_application" => {
            let decision = client.decide_application(&profile(), &required(&args, "application")).await?;
            json!({
                "outcome": decision.outcome.as_str(),
                "written": decision.written,
                "status": decision.application["status"],
                "blockers": decision.blockers.iter().map(|b| b["blocker_type"].clone()).collect::<Vec<_>>(),
            })
        }
        "run_document_check" => {
            let document = DocumentCheckArgs {
                image: PNG.to_vec(),
                image_type: text(&args, "image_type").unwrap_or_else(|| "FRONT".into()),
                document_type: text(&args, "document_type").unwrap_or_else(|| "PASSPORT".into()),
                ..DocumentCheckArgs::default()
            };
            let wait = WaitArgs { wait_timeout: number(&args, "wait_timeout"), poll_interval: None }.resolve(RUST)?;
            finished_view(&client.run_document_check(&profile(), &document, CheckMode::Sync, &wait).await?)
        }
        "update_collected_data" => {
            let change = DataChange::from_value(RUST, args["change"].clone())?;
            let attempts = passfort_core::update_attempts(RUST, number(&args, "max_attempts"))?;
            let updated = client.update_collected_data(&profile(), &change, Some(attempts)).await?;
            json!({ "data": updated.data, "attempts": updated.attempts })
        }
        other => panic!("no such call in the step language: {other}"),
    })
}

// ---- references and expectations -------------------------------------------

fn lookup(vars: &HashMap<String, Value>, reference: &str) -> Result<Value, String> {
    let mut parts = reference.trim_start_matches('$').split('.');
    let name = parts.next().unwrap();
    let mut value = vars.get(name).ok_or_else(|| format!("nothing is bound to {name}"))?.clone();
    for part in parts {
        value = match (&value, part.parse::<usize>()) {
            (Value::Array(list), Ok(index)) => list.get(index).cloned(),
            (Value::Object(map), _) => map.get(part).cloned(),
            _ => None,
        }
        .ok_or_else(|| format!("{reference}: no {part} in {value}"))?;
    }
    Ok(value)
}

fn resolve(vars: &HashMap<String, Value>, value: &Value) -> Result<Value, String> {
    Ok(match value {
        Value::String(text) if text.starts_with('$') => lookup(vars, text)?,
        Value::Array(list) => Value::Array(list.iter().map(|v| resolve(vars, v)).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| Ok((k.clone(), resolve(vars, v)?))).collect::<Result<Map<_, _>, String>>()?)
        }
        other => other.clone(),
    })
}

/// JSON equality with numbers compared as numbers (401 == 401.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a == b,
    }
}

fn expect(actual: &Value, step: &Value, expected: &Value) -> Outcome {
    let shown = |what: &str| Err(format!("{}: {what}, got {actual}", step["expect"]));
    if let Some(value) = expected.get("is") {
        if !same(actual, value) {
            return shown(&format!("expected {value}"));
        }
    }
    if let Some(Value::Object(fields)) = expected.get("has") {
        for (name, value) in fields {
            if !actual.get(name).is_some_and(|field| same(field, value)) {
                return shown(&format!("expected {name} = {value}"));
            }
        }
    }
    if let Some(Value::Array(options)) = expected.get("one_of") {
        if !options.iter().any(|option| same(actual, option)) {
            return shown(&format!("expected one of {options:?}"));
        }
    }
    if let Some(length) = expected.get("length") {
        if actual.as_array().map(Vec::len) != length.as_u64().map(|n| n as usize) {
            return shown(&format!("expected length {length}"));
        }
    }
    if let Some(least) = expected.get("at_least") {
        let have = actual.as_array().map_or_else(|| actual.as_f64().unwrap_or(f64::NAN), |list| list.len() as f64);
        if have.is_nan() || have < least.as_f64().unwrap() {
            return shown(&format!("expected at least {least}"));
        }
    }
    Ok(())
}

/// `*` in a pattern matches one path segment, as in the emulator's faults.
fn path_matches(pattern: &str, path: &str) -> bool {
    let (pattern, path): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
    pattern.len() == path.len() && pattern.iter().zip(&path).all(|(p, s)| *p == "*" || p == s)
}

fn request_matches(filter: &Value, request: &Value) -> bool {
    filter.get("method").map_or(true, |m| request["method"] == *m)
        && filter.get("path").and_then(Value::as_str).map_or(true, |p| path_matches(p, request["path"].as_str().unwrap_or("")))
        && filter.get("query").map_or(true, |q| request["query"] == *q)
}

// ---- one scenario -----------------------------------------------------------

struct Run {
    emulator: Emulator,
    admin: reqwest::Client,
    client: Client,
    vars: HashMap<String, Value>,
    started: HashMap<String, JoinHandle<passfort_core::Result<Value>>>,
    listeners: Vec<WebhookListener>,
    servers: Vec<JoinHandle<()>>,
}

impl Run {
    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut request = self.admin.request(method, format!("{}/_emulator{path}", self.emulator.url()));
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.map_err(|e| format!("admin {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("admin {path} answered {status}: {text}"));
        }
        Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text).map_err(|e| e.to_string())? })
    }

    async fn list(&self, path: &str) -> Result<Vec<Value>, String> {
        Ok(self.admin(reqwest::Method::GET, path, None).await?.as_array().cloned().unwrap_or_default())
    }

    /// An emulator read: `{"requests": filter}`, `{"checks": filter}` or `{"deliveries": filter}`.
    async fn read(&self, read: &Value) -> Result<Vec<Value>, String> {
        if let Some(filter) = read.get("requests") {
            Ok(self.list("/requests").await?.into_iter().filter(|r| request_matches(filter, r)).collect())
        } else if let Some(filter) = read.get("checks") {
            let checks = self.list("/checks").await?;
            Ok(checks.into_iter().filter(|c| filter.get("profile").map_or(true, |p| c["profile_id"] == *p)).collect())
        } else if let Some(filter) = read.get("deliveries") {
            let deliveries = self.list("/webhook/deliveries").await?;
            Ok(deliveries
                .into_iter()
                .filter(|d| filter.get("status").map_or(true, |s| d["status"] == *s))
                .filter(|d| filter.get("event").map_or(true, |e| d["events"].as_array().is_some_and(|list| list.contains(e))))
                .collect())
        } else {
            Err(format!("not an emulator read: {read}"))
        }
    }

    async fn webhooks(&mut self, how: &str) -> Outcome {
        let url = match how {
            "serve" => {
                let listener = self.client.serve_webhooks("127.0.0.1:0", "/passfort/webhooks").await.map_err(|e| e.to_string())?;
                let url = listener.url().to_owned();
                self.listeners.push(listener);
                url
            }
            "handle" => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
                let url = format!("http://{}/hooks", listener.local_addr().unwrap());
                let hub = self.client.webhooks().clone();
                self.servers.push(tokio::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        let hub = hub.clone();
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                                let hub = hub.clone();
                                async move {
                                    let headers: Vec<(String, Vec<u8>)> = request
                                        .headers()
                                        .iter()
                                        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
                                        .collect();
                                    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                                    let status = if hub.handle(&body, headers).is_ok() { 200 } else { 401 };
                                    Ok::<_, Infallible>(hyper::Response::builder().status(status).body(Full::new(Bytes::new())).unwrap())
                                }
                            });
                            let io = hyper_util::rt::TokioIo::new(stream);
                            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                        });
                    }
                }));
                url
            }
            other => return Err(format!("webhooks: {other}?")),
        };
        self.admin(reqwest::Method::PUT, "/webhook", Some(json!({ "url": url, "secret": WEBHOOK_SECRET }))).await.map(drop)
    }

    async fn step(&mut self, raw: &Value) -> Outcome {
        let step = resolve(&self.vars, raw)?;
        let bind = |vars: &mut HashMap<String, Value>, value: Value| {
            if let Some(name) = step.get("as").and_then(Value::as_str) {
                vars.insert(name.to_owned(), value);
            }
        };
        let ms = |value: &Value| value.as_f64().map(|s| (s * 1000.0).round() as u64);
        if let Some(config) = step.get("configure") {
            let body = json!({ "sync_timeout_ms": config.get("sync_timeout").and_then(ms), "provider_latency_ms": config.get("provider_latency").and_then(ms) });
            self.admin(reqwest::Method::PUT, "/config", Some(body)).await?;
        } else if let Some(seconds) = step.get("gateway_timeout") {
            self.admin(reqwest::Method::PUT, "/config", Some(json!({ "gateway_timeout_ms": ms(seconds) }))).await?;
        } else if let Some(next) = step.get("after_next_read") {
            let path = format!("/profiles/{}/collected_data/after_next_read", required(next, "profile"));
            self.admin(reqwest::Method::POST, &path, Some(next["change"].clone())).await?;
        } else if let Some(script) = step.get("script") {
            let body = json!({ "profile_id": script["profile"], "check_type": script["check_type"], "results": script["results"] });
            self.admin(reqwest::Method::POST, "/script", Some(body)).await?;
        } else if let Some(fault) = step.get("fault") {
            let mut body = fault.clone();
            if let Some(delay) = body.as_object_mut().unwrap().remove("delay") {
                body["delay_ms"] = json!(ms(&delay));
            }
            self.admin(reqwest::Method::POST, "/faults", Some(body)).await?;
        } else if let Some(how) = step.get("webhooks") {
            self.webhooks(how.as_str().unwrap_or("")).await?;
        } else if let Some(options) = step.get("client") {
            match (build_client(&self.emulator.base_url(), options), step.get("error")) {
                (Ok(client), None) => self.client = client,
                (Err(error), Some(code)) if error.code() == code => {}
                (Ok(_), Some(code)) => return Err(format!("client {options}: built, expected {code}")),
                (Err(error), _) => return Err(format!("client {options}: {error} ({})", error.code())),
            }
        } else if let Some(name) = step.get("call").and_then(Value::as_str) {
            let result = call(self.client.clone(), name.to_owned(), step.clone()).await;
            match (result, step.get("error")) {
                (Ok(value), None) => bind(&mut self.vars, value),
                (Err(error), Some(code)) if error.code() == code => bind(&mut self.vars, error_view(&error)),
                (Ok(value), Some(code)) => return Err(format!("{name}: succeeded with {value}, expected {code}")),
                (Err(error), _) => return Err(format!("{name}: {error} ({})", error.code())),
            }
        } else if let Some(name) = step.get("start").and_then(Value::as_str) {
            let handle = tokio::spawn(call(self.client.clone(), name.to_owned(), step.clone()));
            self.started.insert(step["as"].as_str().expect("start needs as").to_owned(), handle);
        } else if let Some(name) = step.get("cancel").and_then(Value::as_str) {
            // Dropping the future: abort its task, which drops the future at its next await.
            let handle = self.started.remove(name).ok_or_else(|| format!("nothing started as {name}"))?;
            handle.abort();
            match handle.await {
                Err(join) if join.is_cancelled() => {}
                other => return Err(format!("cancel {name}: it ended before it was cancelled: {other:?}")),
            }
        } else if ["requests", "checks", "deliveries"].iter().any(|read| step.get(*read).is_some()) {
            let found = self.read(&step).await?;
            bind(&mut self.vars, Value::Array(found));
        } else if let Some(read) = step.get("wait_until") {
            let least = step["at_least"].as_u64().expect("wait_until needs at_least") as usize;
            let deadline = Instant::now() + Duration::from_secs_f64(step.get("within").and_then(Value::as_f64).unwrap_or(10.0));
            loop {
                let count = self.read(read).await?.len();
                if count >= least {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(format!("wait_until {read}: {count} found, expected at least {least}"));
                }
                tokio::time::sleep(LOG_POLL).await;
            }
        } else if let Some(read) = step.get("settle") {
            let quiet = Duration::from_secs_f64(step["quiet"].as_f64().expect("settle needs quiet"));
            let within = Duration::from_secs_f64(step.get("within").and_then(Value::as_f64).unwrap_or(10.0));
            let grew_at_most = step["grew_at_most"].as_u64().expect("settle needs grew_at_most") as usize;
            let started = Instant::now();
            let first = self.read(read).await?.len();
            let (mut count, mut changed) = (first, Instant::now());
            while changed.elapsed() < quiet {
                if started.elapsed() >= within {
                    return Err(format!("settle {read}: still growing after {within:?} ({first} then {count})"));
                }
                tokio::time::sleep(LOG_POLL).await;
                let now = self.read(read).await?.len();
                if now != count {
                    (count, changed) = (now, Instant::now());
                }
            }
            if count > first + grew_at_most {
                return Err(format!("settle {read}: grew from {first} to {count}, at most {grew_at_most} allowed"));
            }
        } else if let Some(reference) = raw.get("expect").and_then(Value::as_str) {
            expect(&lookup(&self.vars, reference)?, raw, &step)?;
        } else {
            return Err(format!("unknown step {raw}"));
        }
        Ok(())
    }

    async fn close(self) {
        for handle in self.started.values() {
            handle.abort();
        }
        for server in &self.servers {
            server.abort();
        }
        for listener in self.listeners {
            listener.close().await;
        }
        self.client.close();
        self.emulator.shutdown().await;
    }
}

async fn run_scenario(scenario: Value) -> Outcome {
    let config = EmulatorConfig { api_key: API_KEY.into(), provider_latency: Duration::from_millis(10), ..EmulatorConfig::default() };
    let emulator = passfort_emulator::start(config).await.map_err(|e| e.to_string())?;
    let client = build_client(&emulator.base_url(), &json!({})).map_err(|e| e.to_string())?;
    let mut run = Run {
        emulator,
        admin: reqwest::Client::new(),
        client,
        vars: HashMap::new(),
        started: HashMap::new(),
        listeners: Vec::new(),
        servers: Vec::new(),
    };
    let mut outcome = Ok(());
    for (index, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        if let Err(message) = run.step(step).await {
            outcome = Err(format!("step {}: {message}", index + 1));
            break;
        }
    }
    run.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mission_scenario() {
    let only = std::env::var("MISSION_SCENARIO").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for scenario in table()["scenarios"].as_array().unwrap() {
        let name = scenario["name"].as_str().unwrap().to_owned();
        if only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let started = Instant::now();
        // Its own task, so that a panic in one scenario is reported with the others.
        let outcome = tokio::spawn(run_scenario(scenario.clone())).await.unwrap_or_else(|panic| Err(format!("panicked: {panic}")));
        println!("{} {name} ({:.1} s)", if outcome.is_ok() { "ok  " } else { "FAIL" }, started.elapsed().as_secs_f64());
        if let Err(message) = outcome {
            failures.push(format!("{name}: {message}"));
        }
        ran += 1;
    }
    assert!(failures.is_empty(), "{} of {ran} scenarios failed:\n{}", failures.len(), failures.join("\n"));
    assert!(ran > 0, "no scenario ran");
}

#[test]
fn every_scenario_is_well_formed() {
    let table = table();
    let mut names = std::collections::HashSet::new();
    for scenario in table["scenarios"].as_array().unwrap() {
        let name = scenario["name"].as_str().expect("a name");
        assert!(names.insert(name), "{name} twice");
        assert!(!scenario["steps"].as_array().expect("steps").is_empty(), "{name} has no steps");
        let cancels = scenario["steps"].as_array().unwrap().iter().any(|s| s.get("start").is_some() || s.get("cancel").is_some());
        assert_eq!(cancels, scenario.get("async_only") == Some(&json!(true)), "{name}: async_only marks exactly the scenarios that cancel");
    }
}

//! The check lifecycle against the emulator: run-and-wait, webhooks, the task policy.

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::join_all;
use futures_util::FutureExt;
use passfort_core::{
    CheckMode, CheckRequest, CheckState, CheckType, Client, Decision, Error, PollSchedule, ResolvedBy, Role, TaskState, VerifyOptions,
    VerifyStop, WaitOptions, WebhookErrorKind, WebhookEventKind, WebhookListener,
};
use passfort_emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::json;
use support::{individual_data, Harness};

const WEBHOOK_SECRET: &str = "whsec_lifecycle_7d3f";

/// A client that receives webhooks through the built-in listener, with the emulator posting to it.
async fn with_webhooks(h: &Harness, batching: bool) -> (Client, WebhookListener) {
    let client = h.builder().webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let listener = client.serve_webhooks("127.0.0.1:0", "/passfort/webhooks").await.unwrap();
    let config = json!({ "url": listener.url(), "secret": WEBHOOK_SECRET, "batching": batching });
    h.admin(Method::PUT, "/webhook", Some(config)).await;
    (client, listener)
}

fn fast_polling(timeout: Duration) -> WaitOptions {
    WaitOptions { timeout, poll: PollSchedule::Fixed(Duration::from_millis(100)) }
}

fn identity() -> CheckRequest {
    CheckRequest::new(CheckType::IdentityCheck)
}

#[tokio::test]
async fn a_sync_run_switched_to_async_resolves_by_webhook() {
    let h = Harness::start().await;
    h.configure(json!({ "sync_timeout_ms": 300 })).await;
    let (client, _listener) = with_webhooks(&h, false).await;
    let profile = h.individual("Slow").await;
    // Polling alone would take 60 s to read again: only the webhook can resolve this in time.
    let options = WaitOptions { timeout: Duration::from_secs(20), poll: PollSchedule::Fixed(Duration::from_secs(60)) };
    let finished = client.run_check_and_wait(&profile.id, &identity(), CheckMode::Sync, &options).await.unwrap();
    let resolved_at = Utc::now().timestamp_millis();
    assert_eq!(finished.resolved_by, ResolvedBy::Webhook);
    assert_eq!(finished.check.state, CheckState::Complete);
    assert_eq!(finished.polls, 1, "one read, after the webhook");

    // The emulator logs a delivery once it has the listener's answer, which may come after the wait has woken.
    let delivery = delivered(&h).await;
    let latency = resolved_at - delivery["timestamp_ms"].as_i64().unwrap();
    // How soon after the webhook is a timing goal, measured by bench/ (waiting lag, bench/report.py); here, only that
    // the wait ended after the emulator sent it.
    println!("webhook-to-resolution latency: {latency} ms");
    assert!(latency >= 0, "resolved {latency} ms after the emulator sent the webhook");
    assert_eq!(client.webhooks().waiting(), 0, "the subscription is freed");
}

#[tokio::test]
async fn a_sync_run_switched_to_async_resolves_by_polling_without_webhooks() {
    let h = Harness::start().await;
    h.configure(json!({ "sync_timeout_ms": 300 })).await;
    let profile = h.individual("Slow").await;
    let finished =
        h.client.run_check_and_wait(&profile.id, &identity(), CheckMode::Sync, &fast_polling(Duration::from_secs(20))).await.unwrap();
    assert_eq!(finished.resolved_by, ResolvedBy::Polling);
    assert_eq!(finished.check.result.as_ref().map(|r| r.as_str()), Some("2+2"));
    // It read until the check finished, 100 ms apart (a count of reads in so much time would be a timing goal).
    let reads: Vec<i64> = h.requests_to("GET", &finished.check.id).await.iter().map(|r| r["timestamp_ms"].as_i64().unwrap()).collect();
    assert_eq!(reads.len() as u64, finished.polls as u64, "every read counted");
    assert!(reads.len() >= 2, "the first read after the switch found it running: {} reads", reads.len());
    // Whole milliseconds on both sides: a 100 ms gap can show as 99.
    assert!(reads.windows(2).all(|pair| pair[1] - pair[0] >= 99), "reads at least the poll interval apart: {reads:?}");
}

#[tokio::test]
async fn a_finished_answer_resolves_immediately_and_fail_is_an_outcome() {
    let h = Harness::start().await;
    let profile = h.individual("Fail").await;
    let finished = h.client.run_check_and_wait(&profile.id, &identity(), CheckMode::Sync, &WaitOptions::default()).await.unwrap();
    assert_eq!((finished.resolved_by, finished.polls), (ResolvedBy::Immediately, 0));
    assert_eq!(finished.check.decision, Some(Decision::Fail));

    let again = h.client.wait_for_check(&profile.id, &finished.check.id, &WaitOptions::default()).await.unwrap();
    assert_eq!((again.resolved_by, again.polls), (ResolvedBy::Immediately, 1));
}

#[tokio::test]
async fn batched_deliveries_wake_every_waiter() {
    let h = Harness::start_with(EmulatorConfig { provider_latency: Duration::from_millis(300), ..support::config() }).await;
    let (client, _listener) = with_webhooks(&h, true).await;
    let mut profiles = Vec::new();
    for _ in 0..20 {
        profiles.push(h.individual("Smith").await);
    }
    let slow_polls = WaitOptions { timeout: Duration::from_secs(20), poll: PollSchedule::Fixed(Duration::from_secs(60)) };
    let request = identity();
    let waits = profiles.iter().map(|p| client.run_check_and_wait(&p.id, &request, CheckMode::Async, &slow_polls));
    let finished = join_all(waits).await;
    assert!(finished.iter().all(|f| f.as_ref().unwrap().resolved_by == ResolvedBy::Webhook));
    let deliveries = h.admin(Method::GET, "/webhook/deliveries", None).await;
    let batches = deliveries.as_array().unwrap();
    assert!(batches.iter().all(|d| d["batch"] == true));
    assert!(batches.len() < 20, "{} deliveries for 20 events", batches.len());
}

fn envelope(id: &str, event: &str, data: serde_json::Value) -> serde_json::Value {
    json!({ "id": id, "event": event, "secret": WEBHOOK_SECRET, "timestamp": Utc::now().timestamp(), "data": data })
}

fn bearer(secret: &str) -> Vec<(String, String)> {
    vec![("authorization".to_owned(), format!("Bearer {secret}"))]
}

#[tokio::test]
async fn a_duplicate_delivery_wakes_waiters_once() {
    let h = Harness::start().await;
    let client = h.builder().webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let hub = client.webhooks();
    let mut subscription = hub.subscribe("check-1");
    let body = envelope(
        "evt-1",
        "CHECK_COMPLETED",
        json!({ "profile_id": "p-1", "check": { "id": "check-1", "check_type": "IDENTITY_CHECK", "result": "2+2" } }),
    )
    .to_string();

    let events = hub.handle(body.as_bytes(), bearer(WEBHOOK_SECRET)).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind.completed_check_id(), Some("check-1"));
    // `handle` wakes waiters before it returns, so a waiter woken is ready at once, and one not woken by now never will be.
    subscription.completed().now_or_never().expect("woken");

    assert!(hub.handle(body.as_bytes(), bearer(WEBHOOK_SECRET)).unwrap().is_empty(), "the duplicate is dropped");
    assert!(subscription.completed().now_or_never().is_none(), "and wakes nobody");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_wakes_nobody() {
    let h = Harness::start().await;
    let client = h.builder().webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let listener = client.serve_webhooks("127.0.0.1:0", "/hooks").await.unwrap();
    let mut subscription = client.webhooks().subscribe("check-2");
    let body = envelope("evt-2", "CHECK_COMPLETED", json!({ "profile_id": "p", "check": { "id": "check-2" } })).to_string();
    let http = reqwest::Client::new();
    let post = |secret: &'static str, body: String| {
        http.post(listener.url()).header("authorization", format!("Bearer {secret}")).body(body).send()
    };

    assert_eq!(post("whsec_wrong", body.clone()).await.unwrap().status().as_u16(), 401);
    let forged = json!({ "id": "evt-3", "event": "CHECK_COMPLETED", "secret": "whsec_wrong", "data": { "profile_id": "p", "check": { "id": "check-2" } } });
    assert_eq!(post(WEBHOOK_SECRET, forged.to_string()).await.unwrap().status().as_u16(), 401, "the body's secret is checked too");
    assert_eq!(post(WEBHOOK_SECRET, "{not json".into()).await.unwrap().status().as_u16(), 400);
    assert_eq!(http.post(listener.url()).body(body.clone()).send().await.unwrap().status().as_u16(), 401);
    // The listener answers after handling, so by each answer any wake has happened.
    assert!(subscription.completed().now_or_never().is_none());

    let error = client.webhooks().handle(body.as_bytes(), bearer("whsec_wrong")).unwrap_err();
    assert!(matches!(error, Error::Webhook { kind: WebhookErrorKind::Unauthorized, .. }));
    assert!(!error.to_string().contains(WEBHOOK_SECRET) && !error.to_string().contains("whsec_wrong"));
    assert_eq!(post(WEBHOOK_SECRET, body).await.unwrap().status().as_u16(), 200);
    subscription.completed().now_or_never().expect("the right secret wakes it");
}

#[tokio::test]
async fn unknown_events_pass_through_whole() {
    let client = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let batch = json!([
        envelope("evt-a", "PRODUCT_REVIEW_SCHEDULED", json!({ "profile_id": "p", "product": { "status": "APPROVED" } })),
        envelope(
            "evt-b",
            "TASK_STATE_CHANGED",
            json!({ "profile_id": "p", "task": { "id": "t", "type": "INDIVIDUAL_VERIFY_IDENTITY", "state": "COMPLETED_PASS" } })
        ),
    ]);
    let events = client.webhooks().handle(batch.to_string().as_bytes(), bearer(WEBHOOK_SECRET)).unwrap();
    assert_eq!(events[0].event, "PRODUCT_REVIEW_SCHEDULED");
    assert_eq!(events[0].kind, WebhookEventKind::Unknown);
    assert_eq!(events[0].data["product"]["status"], "APPROVED");
    assert!(matches!(&events[1].kind, WebhookEventKind::TaskStateChanged(changed) if changed.task.state == Some(TaskState::CompletedPass)));
}

#[tokio::test]
async fn a_thousand_concurrent_waits_all_resolve_with_a_thousand_checks() {
    let h = Harness::start().await;
    let (client, _listener) = with_webhooks(&h, true).await;
    let creations = (0..1000).map(|i| client.create_profile(Role::IndividualCustomer, individual_data(&format!("Many{i}"))));
    let profiles: Vec<_> = join_all(creations).await.into_iter().map(Result::unwrap).collect();
    let options = WaitOptions { timeout: Duration::from_secs(60), poll: PollSchedule::default() };
    let request = identity();
    let waits = profiles.iter().map(|p| client.run_check_and_wait(&p.id, &request, CheckMode::Async, &options));
    let finished = join_all(waits).await;
    let resolved = finished.iter().filter(|f| matches!(f, Ok(f) if f.check.is_complete())).count();
    assert_eq!(resolved, 1000);
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 1000);
    assert_eq!(h.checks().await.len(), 1000, "exactly one check per call");
    assert_eq!(client.webhooks().waiting(), 0);
}

async fn verify(h: &Harness, results: &[&str]) -> passfort_core::VerifyOutcome {
    let profile = h.individual("Smith").await;
    let task = &profile.tasks[0];
    h.script(&profile.id, "IDENTITY_CHECK", results, None).await;
    let options = VerifyOptions { wait: fast_polling(Duration::from_secs(20)), ..VerifyOptions::default() };
    let outcome = h.client.verify_task(&profile.id, &task.id, &identity(), &options).await.unwrap();
    let task_now = h.client.get_task(&profile.id, &task.id).await.unwrap();
    assert_eq!(task_now.check_ids.len(), outcome.checks.len(), "every check names the task");
    outcome
}

// The outcomes of the task policy are mission scenarios (tests/scenarios/mission.json);
// this keeps what they do not check: every check names the task, and the reason's text.
#[tokio::test]
async fn verify_task_links_every_check_to_its_task_and_says_why_it_stopped() {
    let h = Harness::start().await;
    let outcome = verify(&h, &["Fail", "Fail", "Fail"]).await;
    assert_eq!((outcome.stop.clone(), outcome.checks.len()), (VerifyStop::FailedTooOften, 3));
    assert_eq!(outcome.reason(), "3 checks failed: task completed COMPLETED_FAIL");
}

#[tokio::test]
async fn a_passed_deadline_names_the_check_and_its_last_state() {
    let h = Harness::start_with(EmulatorConfig { provider_latency: Duration::from_secs(30), ..support::config() }).await;
    let profile = h.individual("Smith").await;
    let options = fast_polling(Duration::from_millis(400));
    let error = h.client.run_check_and_wait(&profile.id, &identity(), CheckMode::Async, &options).await.unwrap_err();
    let Error::WaitTimeout { profile_id, check_id, last_state, .. } = &error else { panic!("{error:?}") };
    assert_eq!(profile_id, &profile.id);
    assert_eq!(check_id, h.checks().await[0]["id"].as_str().unwrap());
    assert_eq!(last_state, &Some(CheckState::Running));
    assert!(error.to_string().contains(check_id.as_str()));
}

#[tokio::test]
async fn cancelling_a_wait_stops_its_requests_at_once() {
    let h = Harness::start_with(EmulatorConfig { provider_latency: Duration::from_secs(30), ..support::config() }).await;
    let profile = h.individual("Smith").await;
    let check = h.client.run_check(&profile.id, &identity(), CheckMode::Async).await.unwrap();
    let client = h.client.clone();
    let (pid, cid) = (profile.id.clone(), check.id.clone());
    let options = WaitOptions { timeout: Duration::from_secs(60), poll: PollSchedule::Fixed(Duration::from_millis(50)) };
    let wait = tokio::spawn(async move { client.wait_for_check(&pid, &cid, &options).await });
    let reads = |requests: &[serde_json::Value]| {
        requests.iter().filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap().ends_with(check.id.as_str())).count()
    };
    h.until_requests("a few reads", |requests| reads(requests) >= 4).await;
    assert_eq!(h.client.webhooks().waiting(), 1);
    // Its next read is held in the emulator: cancelled then, the wait has one request out, and the emulator has it.
    let path = format!("/4.0/profiles/{}/checks/{}", profile.id, check.id);
    h.fault(json!({ "method": "GET", "path": path, "action": "delay", "delay_ms": 300 })).await;
    h.until_requests("the held read", |requests| requests.iter().any(|r| r["fault"] == "delay" && r["finished_ms"].is_null())).await;
    wait.abort();
    let _ = wait.await;
    assert_eq!(h.client.webhooks().waiting(), 0, "the subscription is freed at once");
    let reads_at_cancel = reads(&h.requests().await);
    // Quiet for ten poll intervals after the held read was answered: a wait still running would have read again.
    h.admin(Method::GET, "/quiesce?idle_ms=500&timeout_ms=10000", None).await;
    assert_eq!(reads(&h.requests().await), reads_at_cancel, "no read after cancelling");
}

/// The first webhook delivery answered 200, read from the emulator's log by a deadline.
async fn delivered(h: &Harness) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let deliveries = h.admin(Method::GET, "/webhook/deliveries", None).await;
        if let Some(delivery) = deliveries.as_array().unwrap().iter().find(|d| d["status"] == 200) {
            return delivery.clone();
        }
        assert!(Instant::now() < deadline, "no delivery answered 200: {deliveries}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_batch_of_a_hundred_out_of_order_wakes_every_waiter_once() {
    let client = Client::builder().api_key("k").base_url("http://127.0.0.1:9/4.0").webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let hub = client.webhooks();
    let mut subscriptions: Vec<_> = (0..98).map(|i| hub.subscribe(&format!("check-{i}"))).collect();
    // A task event ahead of the checks, the checks newest first, and check-98 that nobody waits for yet.
    let mut batch =
        vec![envelope("evt-task", "TASK_STATE_CHANGED", json!({ "profile_id": "p", "task": { "id": "t", "state": "COMPLETED_PASS" } }))];
    batch.extend(
        (0..99).rev().map(|i| {
            envelope(&format!("evt-{i}"), "CHECK_COMPLETED", json!({ "profile_id": "p", "check": { "id": format!("check-{i}") } }))
        }),
    );
    let events = hub.handle(serde_json::to_vec(&batch).unwrap().as_slice(), bearer(WEBHOOK_SECRET)).unwrap();
    assert_eq!(events.len(), 100);
    for subscription in &mut subscriptions {
        subscription.completed().now_or_never().expect("every waiter woken");
    }
    let mut late = hub.subscribe("check-98");
    late.completed().now_or_never().expect("a waiter that subscribes after its webhook is woken at once");
    assert!(
        hub.handle(serde_json::to_vec(&batch).unwrap().as_slice(), bearer(WEBHOOK_SECRET)).unwrap().is_empty(),
        "a redelivery is all duplicates"
    );
    for subscription in &mut subscriptions {
        assert!(subscription.completed().now_or_never().is_none(), "woken once");
    }
}

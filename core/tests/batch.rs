//! Batch runs against the emulator: order, per-item errors, the concurrency
//! bound, rate limits, cancellation, and batches of task verifications.

mod support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use passfort_core::{
    ApiErrorKind, BatchOptions, BatchProgress, CheckJob, CheckMode, CheckRequest, CheckResult, CheckType, Decision, Error, PollSchedule,
    TaskJob, TaskState, VerifyStop, WaitOptions,
};
use serde_json::json;
use support::{most_at_once, Harness};

fn identity() -> CheckRequest {
    CheckRequest::new(CheckType::IdentityCheck)
}

fn options(concurrency: usize) -> BatchOptions {
    BatchOptions {
        concurrency,
        wait: WaitOptions { timeout: Duration::from_secs(30), poll: PollSchedule::Fixed(Duration::from_millis(100)) },
        ..BatchOptions::default()
    }
}

#[tokio::test]
async fn results_come_back_in_input_order_each_with_its_own_outcome_or_error() {
    let h = Harness::start().await;
    let mut jobs = Vec::new();
    let mut expected = Vec::new();
    for index in 0..24u64 {
        let (name, result) = match index % 4 {
            0 => ("Fail", CheckResult::Fail),
            1 => ("Error", CheckResult::Error),
            _ => ("Smith", CheckResult::from("2+2")),
        };
        let profile = h.individual(name).await;
        // Later items finish first, so completion order is not input order.
        h.script(&profile.id, "IDENTITY_CHECK", &[result.as_str()], Some(10 + (24 - index) * 15)).await;
        jobs.push(CheckJob { profile_id: profile.id.clone(), request: identity() });
        expected.push(Some(result));
    }
    jobs.insert(5, CheckJob { profile_id: "00000000-0000-4000-8000-000000000000".into(), request: identity() });
    expected.insert(5, None);
    jobs.insert(9, CheckJob { profile_id: " ".into(), request: identity() });
    expected.insert(9, None);

    let seen = Mutex::new(Vec::new());
    let results = h.client.run_checks(jobs, &options(8), |p| seen.lock().unwrap().push(p)).await.unwrap();

    assert_eq!(results.len(), 26);
    for (index, (result, expected)) in results.iter().zip(&expected).enumerate() {
        match (result, expected) {
            (Ok(finished), Some(expected)) => assert_eq!(finished.check.result.as_ref(), Some(expected), "item {index}"),
            (Err(_), None) => {}
            (other, _) => panic!("item {index}: {other:?}"),
        }
    }
    assert!(matches!(&results[5], Err(Error::Api(api)) if api.kind == ApiErrorKind::NotFound));
    assert!(matches!(&results[9], Err(Error::InvalidArgument(_))));
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.iter().map(|p| p.done).collect::<Vec<_>>(), (1..=26).collect::<Vec<_>>());
    assert_eq!(seen.last(), Some(&BatchProgress { total: 26, done: 26, failed: 2 }));
    assert_eq!(h.checks().await.len(), 24, "one check per valid item, none doubled");
}

#[tokio::test]
async fn no_more_than_the_concurrency_limit_runs_at_once() {
    let h = Harness::start().await;
    h.configure(json!({ "provider_latency_ms": 80 })).await;
    let profile = h.individual("Smith").await;
    let jobs = vec![CheckJob { profile_id: profile.id.clone(), request: identity() }; 18];

    let results = h.client.run_checks(jobs, &options(3), |_| {}).await.unwrap();

    assert!(results.iter().all(Result::is_ok));
    let at_once = most_at_once(&h.requests().await, "POST", "/checks");
    assert_eq!(at_once, 3, "sync runs held at once");
}

#[tokio::test]
async fn a_rate_limited_batch_pauses_then_runs_every_check_exactly_once() {
    let h = Harness::start().await;
    // No transport retries, so every 429 reaches the batch.
    let client = h.builder().max_retries(0).build().unwrap();
    let profile = h.individual("Smith").await;
    let limited = json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "status", "status": 429,
                          "times": 5, "headers": { "X-RateLimit-Retry-Secs": "1" } });
    h.fault(limited).await;
    let jobs = vec![CheckJob { profile_id: profile.id.clone(), request: identity() }; 10];

    let started = Instant::now();
    let results = client.run_checks(jobs, &options(4), |_| {}).await.unwrap();

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(started.elapsed() >= Duration::from_secs(1), "the batch waited as PassFort asked");
    let posts = h.requests_to("POST", "/checks").await;
    assert_eq!(posts.iter().filter(|r| r["status"] == 429).count(), 5);
    assert_eq!(h.checks().await.len(), 10, "every check once");
}

#[tokio::test]
async fn rate_limits_past_the_retry_budget_are_that_items_error() {
    let h = Harness::start().await;
    let client = h.builder().max_retries(0).build().unwrap();
    let profile = h.individual("Smith").await;
    let limited = json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "status", "status": 429,
                          "times": 100, "headers": { "X-RateLimit-Retry-Secs": "0" } });
    h.fault(limited).await;
    let jobs = vec![CheckJob { profile_id: profile.id.clone(), request: identity() }; 2];
    let batch = BatchOptions { rate_limit_retries: 2, ..options(1) };

    let results = client.run_checks(jobs, &batch, |_| {}).await.unwrap();

    for result in &results {
        assert!(matches!(result, Err(Error::Api(api)) if api.kind == ApiErrorKind::RateLimited), "{result:?}");
    }
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 6, "each item sent three times, then given up");
    assert!(h.checks().await.is_empty());
}

#[tokio::test]
async fn dropping_the_batch_stops_everything_it_was_doing() {
    let h = Harness::start().await;
    h.configure(json!({ "provider_latency_ms": 10_000 })).await;
    let profile = h.individual("Smith").await;
    let jobs = vec![CheckJob { profile_id: profile.id.clone(), request: identity() }; 40];
    let batch = BatchOptions { mode: CheckMode::Async, ..options(4) };
    // The first four creations are held in the emulator (which does their work all the same): the batch is dropped
    // with exactly those four requests out, all of them already received.
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "delay", "delay_ms": 300, "times": 4 })).await;
    let held = |requests: &[serde_json::Value]| requests.iter().filter(|r| r["fault"] == "delay" && r["finished_ms"].is_null()).count();

    tokio::select! {
        _ = h.client.run_checks(jobs, &batch, |_| {}) => panic!("the batch finished"),
        _ = h.until_requests("four creations held", |requests| held(requests) == 4) => {}
    }

    let at_drop = h.requests().await.len();
    // Quiet for five poll intervals after the held creations were answered: a worker still running would have read its check.
    h.admin(reqwest::Method::GET, "/quiesce?idle_ms=500&timeout_ms=10000", None).await;
    assert_eq!(h.requests().await.len(), at_drop, "no request after the batch was dropped");
    assert_eq!(h.checks().await.len(), 4, "only the items in flight had started");
}

#[tokio::test]
async fn bad_options_fail_the_whole_call_before_any_request() {
    let h = Harness::start().await;
    let jobs = vec![CheckJob { profile_id: "p".into(), request: identity() }];
    let error = h.client.run_checks(jobs, &options(0), |_| {}).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(message) if message.contains("concurrency")));
    assert!(h.requests().await.is_empty());
    assert!(h.client.run_checks(Vec::new(), &options(8), |_| panic!("no progress for nothing")).await.unwrap().is_empty());
}

#[tokio::test]
async fn verify_tasks_gives_each_tasks_outcome_in_order() {
    let h = Harness::start().await;
    let mut jobs = Vec::new();
    for results in [&["2+2"][..], &["Fail", "Fail", "Fail"], &["Error"], &["Fail", "2+2"]] {
        let profile = h.individual("Smith").await;
        h.script(&profile.id, "IDENTITY_CHECK", results, None).await;
        jobs.push(TaskJob { profile_id: profile.id.clone(), task_id: profile.tasks[0].id.clone(), request: identity() });
    }
    jobs.push(TaskJob { profile_id: jobs[0].profile_id.clone(), task_id: "no-such-task".into(), request: identity() });

    let outcomes = h.client.verify_tasks(jobs, &options(8), 3, |_| {}).await.unwrap();

    let summary: Vec<_> =
        outcomes.iter().map(|o| o.as_ref().map(|o| (o.stop.clone(), o.checks.len(), o.task.as_ref().map(|t| t.state.clone())))).collect();
    assert_eq!(summary[0].as_ref().unwrap(), &(VerifyStop::Passed, 1, Some(TaskState::CompletedPass)));
    assert_eq!(summary[1].as_ref().unwrap(), &(VerifyStop::FailedTooOften, 3, Some(TaskState::CompletedFail)));
    assert_eq!(summary[2].as_ref().unwrap(), &(VerifyStop::NeedsReview { decision: Some(Decision::Error) }, 1, None));
    assert_eq!(summary[3].as_ref().unwrap(), &(VerifyStop::Passed, 2, Some(TaskState::CompletedPass)));
    assert!(summary[4].is_err(), "a task the profile does not have is that item's error");
}

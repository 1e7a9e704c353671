//! Every core call against the emulator, over real HTTP.

mod support;

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use passfort_core::{
    ApiErrorKind, CheckMode, CheckRequest, CheckResult, CheckState, CheckType, Client, Decision, Error, ProfileQuery, Role, TaskOutcome,
    TaskState, TaskType,
};
use serde_json::json;
use support::{individual_data, most_at_once, Harness, API_KEY};

#[tokio::test]
async fn whoami_answers_with_the_institution() {
    let h = Harness::start().await;
    let me = h.client.whoami().await.unwrap();
    assert_eq!(me.institution.as_ref().unwrap().name.as_deref(), Some("Emulated Institution"));
    assert!(me.raw().contains("auditee_name"));
}

#[tokio::test]
async fn profiles_get_their_tasks_by_role() {
    let h = Harness::start().await;
    let person = h.individual("Smith").await;
    assert_eq!(person.role, Role::IndividualCustomer);
    assert_eq!(person.display_name.as_deref(), Some("Ada Smith"));
    let types: Vec<_> = person.tasks.iter().map(|t| t.task_type.clone()).collect();
    assert_eq!(types, [TaskType::IndividualVerifyIdentity, TaskType::IndividualAssessPoliticalAndSanctionsExposure]);
    assert!(person.tasks.iter().all(|t| t.state == TaskState::Incomplete && t.variant.is_some()));

    let company = h.client.create_profile(Role::CompanyCustomer, json!({ "metadata": { "name": "Acme Ltd" } })).await.unwrap();
    let types: Vec<_> = company.tasks.iter().map(|t| t.task_type.clone()).collect();
    assert_eq!(types, [TaskType::CompanyVerifyIdentity, TaskType::CompanyAssessSanctionsExposure]);

    let fetched = h.client.get_profile(&person.id).await.unwrap();
    assert_eq!(fetched.id, person.id);
    assert_eq!(h.client.list_tasks(&person.id).await.unwrap().len(), 2);
    let task = h.client.get_task(&person.id, &person.tasks[0].id).await.unwrap();
    assert_eq!(task.id, person.tasks[0].id);
}

#[tokio::test]
async fn list_profiles_reads_every_page() {
    let h = Harness::start().await;
    for index in 0..5 {
        h.individual(&format!("Page{index}")).await;
    }
    let query = ProfileQuery { query: None, page_size: 2 };
    let all: Vec<_> = h.client.list_profiles(query).try_collect().await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(h.requests_to("GET", "/4.0/profiles").await.len(), 3, "pages of 2, 2 and 1");

    let query = ProfileQuery { query: Some("page3".into()), page_size: 200 };
    let found: Vec<_> = h.client.list_profiles(query).try_collect().await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].display_name.as_deref(), Some("Ada Page3"));
}

#[tokio::test]
async fn sync_check_completes_and_links_its_task() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    let task_id = profile.tasks[0].id.clone();
    let request = CheckRequest::new(CheckType::IdentityCheck).task_ids([task_id.clone()]).variant_alias("emulator");
    let check = h.client.run_check(&profile.id, &request, CheckMode::Sync).await.unwrap();
    assert_eq!(check.state, CheckState::Complete);
    assert!(check.is_complete());
    assert_eq!(check.result, Some(CheckResult::TwoPlusTwo));
    assert_eq!(check.decision, Some(Decision::Pass));
    assert_eq!(check.variant.as_ref().unwrap().alias.as_deref(), Some("emulator"));
    assert!(check.instructed_on.is_some() && check.started_on.is_some() && check.completed_on.is_some());
    assert_eq!(check.task_ids, std::slice::from_ref(&task_id));

    let task = h.client.get_task(&profile.id, &task_id).await.unwrap();
    assert_eq!(task.check_ids, std::slice::from_ref(&check.id));
    assert_eq!(h.client.get_check(&profile.id, &check.id).await.unwrap(), check);
    assert_eq!(h.client.list_checks(&profile.id).await.unwrap(), std::slice::from_ref(&check));
    assert_eq!(h.requests_to("POST", "/checks").await[0]["query"], "mode=sync");
}

#[tokio::test]
async fn async_check_answers_pending_then_completes() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    let request = CheckRequest::new(CheckType::PepsAndSanctionsScreen);
    let check = h.client.run_check(&profile.id, &request, CheckMode::Async).await.unwrap();
    assert_eq!(check.state, CheckState::Pending);
    assert_eq!(check.result, None);
    let finished = poll_until_complete(&h.client, &profile.id, &check.id).await;
    assert_eq!(finished.result, Some(CheckResult::Pass));
    assert_eq!(finished.decision, Some(Decision::Pass));
}

#[tokio::test]
async fn server_default_mode_sends_no_mode() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    let identity = h.client.run_check(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::ServerDefault).await.unwrap();
    let screen =
        h.client.run_check(&profile.id, &CheckRequest::new(CheckType::PepsAndSanctionsScreen), CheckMode::ServerDefault).await.unwrap();
    assert_eq!(identity.state, CheckState::Complete, "identity checks run sync by default");
    assert_eq!(screen.state, CheckState::Pending, "other checks run async by default");
    assert!(h.requests_to("POST", "/checks").await.iter().all(|r| r["query"].is_null()));
}

#[tokio::test]
async fn sync_run_past_the_sync_timeout_answers_running() {
    let h = Harness::start().await;
    h.configure(json!({ "sync_timeout_ms": 300 })).await;
    let profile = h.individual("Slow").await;
    let started = Instant::now();
    let check = h.client.run_check(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    assert!(matches!(check.state, CheckState::Pending | CheckState::Running), "{:?}", check.state);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let finished = poll_until_complete(&h.client, &profile.id, &check.id).await;
    assert_eq!(finished.result, Some(CheckResult::TwoPlusTwo));
}

#[tokio::test]
async fn results_follow_the_family_name_and_errors_are_outcomes() {
    let h = Harness::start().await;
    let failing = h.individual("Fail").await;
    let check = h.client.run_check(&failing.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    assert_eq!((check.result.clone(), check.decision.clone()), (Some(CheckResult::Fail), Some(Decision::Fail)));

    let erroring = h.individual("Error").await;
    let check = h.client.run_check(&erroring.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    assert_eq!(check.result, Some(CheckResult::Error));
    assert_eq!(check.decision, Some(Decision::Error));
    assert_eq!(check.errors[0].code, Some(303));
    assert_eq!(check.errors[0].source.as_ref().map(|s| s.as_str()), Some("PROVIDER"));

    let pep = h.individual("PEP").await;
    let identity = h.client.run_check(&pep.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    assert_eq!(identity.result, Some(CheckResult::TwoPlusTwo), "PEP is not an identity result");
    let screen = h.client.run_check(&pep.id, &CheckRequest::new(CheckType::PepsAndSanctionsScreen), CheckMode::Sync).await.unwrap();
    assert_eq!((screen.result.clone(), screen.decision.clone()), (Some(CheckResult::Pep), Some(Decision::Warn)));
}

#[tokio::test]
async fn complete_task_sets_pass_and_fail() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    let passed = h.client.complete_task(&profile.id, &profile.tasks[0].id, TaskOutcome::Pass).await.unwrap();
    assert_eq!((passed.state.clone(), passed.is_complete), (TaskState::CompletedPass, true));
    let failed = h.client.complete_task(&profile.id, &profile.tasks[1].id, TaskOutcome::Fail).await.unwrap();
    assert_eq!(failed.state, TaskState::CompletedFail);
    let body = h.requests_to("POST", &format!("/tasks/{}", profile.tasks[0].id)).await;
    assert_eq!(body.len(), 1);

    assert!(matches!(TaskOutcome::try_from("INCOMPLETE"), Err(Error::InvalidArgument(_))));
    assert_eq!(TaskOutcome::try_from("COMPLETED_FAIL").unwrap(), TaskOutcome::Fail);
}

#[tokio::test]
async fn complete_task_is_retried_on_a_server_error() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/tasks/*", "action": "status", "status": 503 })).await;
    let task = h.client.complete_task(&profile.id, &profile.tasks[0].id, TaskOutcome::Pass).await.unwrap();
    assert_eq!(task.state, TaskState::CompletedPass);
    assert_eq!(h.requests_to("POST", &profile.tasks[0].id).await.len(), 2);
}

#[tokio::test]
async fn unknown_enum_values_and_fields_round_trip() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    h.script(&profile.id, "VISA_CHECK", &["Clear"], None).await;
    let check = h.client.run_check(&profile.id, &CheckRequest::new("VISA_CHECK"), CheckMode::Sync).await.unwrap();
    assert_eq!(check.check_type, CheckType::Other("VISA_CHECK".into()));
    assert!(check.check_type.is_unknown());
    assert_eq!(check.result, Some(CheckResult::Other("Clear".into())));
    assert_eq!(serde_json::to_string(&check).unwrap(), check.raw(), "serialising gives back the API's JSON");
    assert_eq!(check.to_value()["check_type"], "VISA_CHECK");
    assert_eq!(check.field("output_data").unwrap()["entity_type"], "INDIVIDUAL");
}

// ---- errors ---------------------------------------------------------------

#[tokio::test]
async fn a_wrong_key_is_an_authentication_error_with_code_204() {
    let h = Harness::start().await;
    let client = h.builder().api_key("sk_wrong_key").build().unwrap();
    let error = client.whoami().await.unwrap_err();
    let api = error.api().expect("an API error");
    assert_eq!((api.kind, api.status), (ApiErrorKind::Authentication, 401));
    assert_eq!(api.errors[0].code, Some(204));
    assert_eq!(api.errors[0].code_name(), Some("INVALID_API_KEY"));
    assert!(api.request_id.is_some());
    assert!(!error.to_string().contains("sk_wrong_key"));
    assert_eq!(h.requests().await.len(), 1, "authentication errors are not retried");
}

#[tokio::test]
async fn a_missing_key_is_a_configuration_error_before_any_request() {
    let h = Harness::start().await;
    let error = Client::builder().api_key("  ").base_url(h.emulator.base_url()).build().unwrap_err();
    assert!(matches!(error, Error::Config(ref m) if m.contains("PASSFORT_API_KEY")), "{error}");
    let error = Client::builder().api_key("k").base_url("ftp://x").build().unwrap_err();
    assert!(matches!(error, Error::Config(_)));
}

#[tokio::test]
async fn bad_arguments_fail_before_any_request() {
    let h = Harness::start().await;
    let bad_ids = ["", "../whoami", "a/b", "id?x=1", "id with space"];
    for id in bad_ids {
        assert!(matches!(h.client.get_profile(id).await, Err(Error::InvalidArgument(_))), "{id:?}");
    }
    let request = CheckRequest::new(CheckType::IdentityCheck).task_ids(["../x"]);
    assert!(matches!(h.client.run_check("p1", &request, CheckMode::Sync).await, Err(Error::InvalidArgument(_))));
    assert!(matches!(h.client.create_profile(Role::IndividualCustomer, json!([1])).await, Err(Error::InvalidArgument(_))));
    assert!(h.requests().await.is_empty());
}

#[tokio::test]
async fn invalid_input_is_a_bad_request_with_code_201() {
    let h = Harness::start().await;
    let error = h.client.create_profile("SUPPLIER", json!({})).await.unwrap_err();
    let api = error.api().unwrap();
    assert_eq!((api.kind, api.errors[0].code), (ApiErrorKind::BadRequest, Some(201)));
    assert!(error.to_string().contains("INVALID_INPUT_DATA"), "{error}");
}

#[tokio::test]
async fn a_get_is_retried_on_429_after_the_wait_the_server_asked_for() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    h.fault(json!({ "method": "GET", "path": "/4.0/profiles/*", "action": "status", "status": 429, "headers": { "Retry-After": "1" } }))
        .await;
    h.client.get_profile(&profile.id).await.unwrap();
    let gets = h.requests_to("GET", &profile.id).await;
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[0]["status"], 429);
    let waited = gets[1]["timestamp_ms"].as_i64().unwrap() - gets[0]["timestamp_ms"].as_i64().unwrap();
    assert!(waited >= 990, "waited {waited} ms, asked for 1000");
}

#[tokio::test]
async fn a_rate_limit_that_outlasts_the_retries_is_a_rate_limited_error() {
    let h = Harness::start().await;
    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "status", "status": 429, "times": 3, "headers": { "X-RateLimit-Retry-Secs": "0" } })).await;
    let error = h.client.whoami().await.unwrap_err();
    let api = error.api().unwrap();
    assert_eq!((api.kind, api.retry_after), (ApiErrorKind::RateLimited, Some(Duration::ZERO)));
    assert_eq!(h.requests().await.len(), 3, "one try and two retries");

    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "status", "status": 429, "headers": { "Retry-After": "3600" } }))
        .await;
    let error = h.client.whoami().await.unwrap_err();
    assert_eq!(error.api().unwrap().retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(h.requests().await.len(), 4, "a wait beyond max_retry_wait is surfaced, not slept");
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let h = Harness::start().await;
    let client = h.builder().request_timeout(Duration::from_millis(200)).max_retries(1).build().unwrap();
    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "delay", "delay_ms": 1000, "times": 2 })).await;
    let error = client.whoami().await.unwrap_err();
    assert!(matches!(error, Error::Timeout { request_sent: true, .. }), "{error:?}");
    assert!(error.may_have_reached_server());
    assert_eq!(h.requests().await.len(), 2, "a GET that timed out is retried");
}

#[tokio::test]
async fn a_refused_connection_names_its_cause_and_is_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::builder()
        .api_key(API_KEY)
        .base_url(format!("http://127.0.0.1:{port}/4.0"))
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .unwrap();
    let error = client.create_profile(Role::IndividualCustomer, json!({})).await.unwrap_err();
    match &error {
        Error::Connection { request_sent: false, message, .. } => {
            assert!(message.to_lowercase().contains("refused"), "cause chain missing: {message}")
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(!error.may_have_reached_server());
}

// ---- never a doubled or lost check ----------------------------------------

#[tokio::test]
async fn a_check_creation_dropped_before_work_is_sent_again_after_the_grace_period() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "drop_before" })).await;
    let started = Instant::now();
    let check = h.client.run_check(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600), "it looked for the whole grace period first");
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 2);
    assert_eq!(h.checks().await.len(), 1);
    assert!(check.is_complete());
}

#[tokio::test]
async fn a_gateway_503_on_creation_is_reconciled_before_any_resend() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "status", "status": 503 })).await;
    h.client.run_check(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Async).await.unwrap();
    let requests = h.requests().await;
    let first_post = requests.iter().position(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/checks")).unwrap();
    assert!(requests[first_post + 1]["method"] == "GET", "the profile's checks were read before sending again");
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 2);
    assert_eq!(h.checks().await.len(), 1);
}

#[tokio::test]
async fn when_the_checks_cannot_be_read_the_creation_is_reported_ambiguous() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "drop_after_commit" })).await;
    h.fault(json!({ "method": "GET", "path": "/4.0/profiles/*/checks", "action": "status", "status": 500, "times": 10 })).await;
    let request = CheckRequest::new(CheckType::IdentityCheck).variant_alias("fast");
    let error = h.client.run_check(&profile.id, &request, CheckMode::Sync).await.unwrap_err();
    let Error::AmbiguousCheckCreation { profile_id, check_type, sent_at, .. } = &error else { panic!("{error:?}") };
    assert_eq!((profile_id.as_str(), check_type.as_str()), (profile.id.as_str(), "IDENTITY_CHECK"));
    assert!(*sent_at <= chrono::Utc::now());
    assert!(error.may_have_reached_server());
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 1, "never sent again blindly");
}

#[tokio::test]
async fn concurrent_identical_creations_with_lost_answers_each_adopt_their_own_check() {
    let h = Harness::start().await;
    let profile = h.individual("Smith").await;
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "drop_after_commit", "times": 2 })).await;
    let request = CheckRequest::new(CheckType::PepsAndSanctionsScreen);
    let (first, second) = tokio::join!(
        h.client.run_check(&profile.id, &request, CheckMode::Async),
        h.client.run_check(&profile.id, &request, CheckMode::Async),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_ne!(first.id, second.id, "one check each");
    assert_eq!(h.requests_to("POST", "/checks").await.len(), 2);
    assert_eq!(h.checks().await.len(), 2);
}

#[tokio::test]
async fn profile_creation_waits_out_the_rate_limit() {
    use passfort_emulator::{EmulatorConfig, RateLimit};
    let h = Harness::start_with(EmulatorConfig { rate_limit: Some(RateLimit { per_hour: 3600, burst: 2 }), ..support::config() }).await;
    for _ in 0..3 {
        h.client.create_profile(Role::IndividualCustomer, individual_data("Smith")).await.unwrap();
    }
    let posts = h.requests_to("POST", "/4.0/profiles").await;
    let statuses: Vec<_> = posts.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 200, 429, 200], "the 429 said no work was done, so it was retried");
    let waited = posts[3]["timestamp_ms"].as_i64().unwrap() - posts[2]["timestamp_ms"].as_i64().unwrap();
    assert!(waited >= 990, "waited {waited} ms for X-RateLimit-Retry-Secs: 1");
}

// ---- secrets --------------------------------------------------------------

#[tokio::test]
async fn the_key_never_shows_in_debug_errors_or_urls() {
    let h = Harness::start().await;
    assert!(!format!("{:?}", h.client).contains(API_KEY));
    assert!(format!("{:?}", h.client).contains("Secret(***)"));
    let profile = h.individual("Smith").await;
    let _ = h.client.get_check(&profile.id, "missing").await;
    for request in h.requests().await {
        assert!(!request.to_string().contains(API_KEY), "{request}");
    }
}

async fn poll_until_complete(client: &Client, profile_id: &str, check_id: &str) -> passfort_core::Check {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let check = client.get_check(profile_id, check_id).await.unwrap();
        if check.is_complete() {
            return check;
        }
        assert!(Instant::now() < deadline, "check never completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn no_more_requests_are_in_flight_than_max_connections() {
    let h = Harness::start().await;
    h.configure(json!({ "provider_latency_ms": 150 })).await;
    let client = h.builder().max_connections(2).build().unwrap();
    let profile = h.individual("Smith").await;
    let request = CheckRequest::new(CheckType::IdentityCheck);

    let runs = (0..6).map(|_| client.run_check(&profile.id, &request, CheckMode::Sync));
    let checks = futures_util::future::try_join_all(runs).await.unwrap();

    assert!(checks.iter().all(|check| check.state == CheckState::Complete));
    assert_eq!(most_at_once(&h.requests().await, "POST", "/checks"), 2, "sync runs held at once");
    let error = h.builder().max_connections(0).build().unwrap_err();
    assert!(matches!(error, Error::Config(message) if message.contains("max_connections")));
}

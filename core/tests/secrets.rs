//! With debug logging on, every call and error path leaves the API key and
//! the webhook secret out of logs, Debug output, error messages and URLs, and
//! a name planted in the profile's collected data out of logs, Debug output
//! and error messages.

mod support;

use std::time::Duration;

use futures_util::TryStreamExt;
use passfort_core::{CheckMode, CheckRequest, CheckType, ProfileQuery, TaskOutcome, VerifyOptions, WaitOptions};
use serde_json::json;
use support::{Harness, API_KEY};

const WEBHOOK_SECRET: &str = "whsec_secret_hygiene_51f0";
/// A family name planted in collected data: personal data that must not leak.
const SENTINEL_NAME: &str = "Quorvathsentinel";

// One thread, so that the subscriber set for this test sees the client's and the emulator's tasks.
#[tokio::test(flavor = "current_thread")]
async fn secrets_appear_nowhere() {
    let captured = support::CapturedLogs::default();
    let subscriber = captured.subscriber(tracing::Level::TRACE);
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::start().await;
    let client = h.builder().webhook_secret(WEBHOOK_SECRET).build().unwrap();
    let mut shown = vec![format!("{client:?}"), format!("{:?}", client.config())];

    let profile = client.create_profile("INDIVIDUAL_CUSTOMER", support::individual_data(SENTINEL_NAME)).await.unwrap();
    shown.push(format!("{profile:?}"));
    let task = profile.tasks[0].id.clone();
    client.whoami().await.unwrap();
    client.get_profile(&profile.id).await.unwrap();
    let _: Vec<_> = client.list_profiles(ProfileQuery::default()).try_collect().await.unwrap();
    let search = ProfileQuery { query: Some(SENTINEL_NAME.into()), ..ProfileQuery::default() };
    let _: Vec<_> = client.list_profiles(search).try_collect().await.unwrap();
    let check = client.run_check(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    shown.push(format!("{check:?}"));
    // A lost answer: reconciliation logs at WARN and INFO while it adopts the check.
    h.fault(json!({ "method": "POST", "path": "/4.0/profiles/*/checks", "action": "drop_after_commit", "times": 1 })).await;
    let adopted = client.run_check(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync).await.unwrap();
    shown.push(format!("{adopted:?}"));
    client.get_check(&profile.id, &check.id).await.unwrap();
    client.list_checks(&profile.id).await.unwrap();
    client.wait_for_check(&profile.id, &check.id, &WaitOptions::default()).await.unwrap();
    client
        .run_check_and_wait(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync, &WaitOptions::default())
        .await
        .unwrap();
    client.get_task(&profile.id, &task).await.unwrap();
    client.list_tasks(&profile.id).await.unwrap();
    client.complete_task(&profile.id, &task, TaskOutcome::Pass).await.unwrap();
    client
        .verify_task(&profile.id, &profile.tasks[1].id, &CheckRequest::new(CheckType::PepsAndSanctionsScreen), &VerifyOptions::default())
        .await
        .unwrap();

    // Error paths: authentication, not found, server errors, timeouts, dropped connections, webhooks.
    let wrong = h.builder().api_key("sk_wrong_secret_key").build().unwrap();
    let mut errors = vec![wrong.whoami().await.unwrap_err(), client.get_check(&profile.id, "missing").await.unwrap_err()];
    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "status", "status": 503, "times": 3 })).await;
    errors.push(client.whoami().await.unwrap_err());
    let impatient = h.builder().request_timeout(Duration::from_millis(100)).max_retries(0).build().unwrap();
    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "delay", "delay_ms": 500 })).await;
    errors.push(impatient.whoami().await.unwrap_err());
    h.fault(json!({ "method": "GET", "path": "/4.0/whoami", "action": "drop_before", "times": 3 })).await;
    errors.push(client.whoami().await.unwrap_err());
    let forged = json!({ "id": "e", "event": "CHECK_COMPLETED", "secret": "whsec_forged", "data": {} }).to_string();
    errors.push(client.webhooks().handle(forged.as_bytes(), [("authorization", format!("Bearer {WEBHOOK_SECRET}"))]).unwrap_err());
    errors.push(client.webhooks().handle(forged.as_bytes(), [("authorization", "Bearer whsec_forged")]).unwrap_err());
    for error in &errors {
        shown.push(error.to_string());
        shown.push(format!("{error:?}"));
    }

    let logs = captured.text();
    assert!(logs.contains("passfort.request"), "debug logging was on");
    assert!(logs.contains("reconciling"), "the reconciliation path ran");
    assert!(!logs.contains(SENTINEL_NAME), "a name in the logs");
    for text in &shown {
        assert!(!text.contains(SENTINEL_NAME), "a name in {text}");
    }
    // A search is sent in the URL, as the API wants; the emulator logs its length only.
    for request in h.requests().await {
        assert!(!request.to_string().contains(SENTINEL_NAME), "a name in the request log: {request}");
    }
    for secret in [API_KEY, WEBHOOK_SECRET, "sk_wrong_secret_key", "whsec_forged"] {
        assert!(!logs.contains(secret), "{secret} in the logs");
        for text in &shown {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        for request in h.requests().await {
            assert!(!request.to_string().contains(secret), "{secret} in a URL: {request}");
        }
    }
}

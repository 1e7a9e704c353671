//! Quick-start: an embedded emulator, a profile, checks that resolve however
//! PassFort answers (at once, by webhook, by polling), and the task policy.
//!
//! Run: `cargo run -p passfort-core --example quickstart`

use std::time::Duration;

use passfort_core::{CheckMode, CheckRequest, CheckType, Client, FinishedCheck, Role, TaskType, VerifyOptions, WaitOptions};
use passfort_emulator::{EmulatorConfig, WebhookConfig};
use serde_json::json;

const API_KEY: &str = "quickstart-key";
const WEBHOOK_SECRET: &str = "quickstart-webhook-secret";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A local PassFort. Its sync runs give up after 1 s (PassFort: 120 s), and
    // the family name "Slow" makes the provider take a second longer than that.
    let emulator = passfort_emulator::start(EmulatorConfig {
        api_key: API_KEY.into(),
        sync_timeout: Duration::from_secs(1),
        ..EmulatorConfig::default()
    })
    .await?;
    println!("1. emulator listening at {}", emulator.base_url());

    // The client receives PassFort's webhooks on a small built-in listener.
    let client = Client::builder().api_key(API_KEY).base_url(emulator.base_url()).webhook_secret(WEBHOOK_SECRET).build()?;
    let listener = client.serve_webhooks("127.0.0.1:0", "/passfort/webhooks").await?;
    emulator.set_webhook(Some(WebhookConfig {
        url: listener.url().to_owned(),
        secret: WEBHOOK_SECRET.into(),
        batching: false,
        events: None,
    }));
    println!("2. webhooks go to {}", listener.url());

    let profile = client
        .create_profile(
            Role::IndividualCustomer,
            json!({
                "entity_type": "INDIVIDUAL",
                "personal_details": { "name": { "given_names": ["Grace"], "family_name": "Slow" }, "dob": "1985-12-09" },
            }),
        )
        .await?;
    let task_of = |kind: TaskType| profile.tasks.iter().find(|task| task.task_type == kind).map(|task| task.id.clone());
    let identity_task = task_of(TaskType::IndividualVerifyIdentity).ok_or("no identity task")?;
    println!("3. created profile {} with {} tasks", profile.id, profile.tasks.len());

    let identity = CheckRequest::new(CheckType::IdentityCheck).task_ids([identity_task.clone()]);
    let finished = client.run_check_and_wait(&profile.id, &identity, CheckMode::Sync, &WaitOptions::default()).await?;
    report("4. identity check, sync (PassFort switched it to async)", &finished);

    emulator.set_webhook(None);
    let screening = CheckRequest::new(CheckType::PepsAndSanctionsScreen);
    let finished = client.run_check_and_wait(&profile.id, &screening, CheckMode::Async, &WaitOptions::default()).await?;
    // Webhooks flowed a moment ago, so the client polls 4x slower as a fallback.
    report("5. screening, async, with webhooks off (fallback polling)", &finished);

    let outcome = client.verify_task(&profile.id, &identity_task, &identity, &VerifyOptions::default()).await?;
    println!("6. verify_task on the identity task: {} ({} check run)", outcome.reason(), outcome.checks.len());

    listener.close().await;
    emulator.shutdown().await;
    Ok(())
}

fn report(step: &str, finished: &FinishedCheck) {
    let check = &finished.check;
    println!(
        "{step}: {} {} / {} — resolved {} after {:.1}s",
        check.id,
        check.result.as_ref().map_or("no result", |r| r.as_str()),
        check.decision.as_ref().map_or("no decision", |d| d.as_str()),
        match finished.resolved_by {
            passfort_core::ResolvedBy::Immediately => "immediately".to_owned(),
            passfort_core::ResolvedBy::Webhook => "by webhook".to_owned(),
            passfort_core::ResolvedBy::Polling => {
                format!("by polling ({} read{})", finished.polls, if finished.polls == 1 { "" } else { "s" })
            }
        },
        finished.waited.as_secs_f64(),
    );
}

//! Quick-start: an embedded emulator, a profile, an identity check whose sync
//! run falls back to async, reading it until complete, then completing its task.
//!
//! Run: `cargo run -p passfort-core --example quickstart`

use std::time::{Duration, Instant};

use passfort_core::{CheckMode, CheckRequest, CheckType, Client, Role, TaskOutcome, TaskType};
use passfort_emulator::EmulatorConfig;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A local PassFort. Its sync runs give up after 2 s (PassFort: 120 s), and
    // the family name "Slow" makes the provider take a second longer than that.
    let emulator = passfort_emulator::start(EmulatorConfig {
        api_key: "quickstart-key".into(),
        sync_timeout: Duration::from_secs(2),
        ..EmulatorConfig::default()
    })
    .await?;
    println!("1. emulator listening at {}", emulator.base_url());

    let client = Client::builder().api_key("quickstart-key").base_url(emulator.base_url()).build()?;
    let me = client.whoami().await?;
    println!("2. authenticated as {}", me.institution.as_ref().and_then(|i| i.name.as_deref()).unwrap_or("?"));

    let profile = client
        .create_profile(
            Role::IndividualCustomer,
            json!({
                "entity_type": "INDIVIDUAL",
                "personal_details": { "name": { "given_names": ["Grace"], "family_name": "Slow" }, "dob": "1985-12-09" },
            }),
        )
        .await?;
    let task = profile
        .tasks
        .iter()
        .find(|task| task.task_type == TaskType::IndividualVerifyIdentity)
        .ok_or("the profile has no identity task")?;
    println!("3. created profile {} with task {} ({})", profile.id, task.id, task.task_type);

    let request = CheckRequest::new(CheckType::IdentityCheck).task_ids([task.id.clone()]);
    let started = Instant::now();
    let mut check = client.run_check(&profile.id, &request, CheckMode::Sync).await?;
    println!(
        "4. ran {} in sync mode: PassFort answered {} after {:.1}s (it switched to async)",
        check.check_type,
        check.state,
        started.elapsed().as_secs_f64()
    );

    while !check.is_complete() {
        tokio::time::sleep(Duration::from_millis(250)).await;
        check = client.get_check(&profile.id, &check.id).await?;
    }
    let result = check.result.as_ref().map_or("none".into(), |r| r.to_string());
    let decision = check.decision.as_ref().map_or("none".into(), |d| d.to_string());
    println!("5. check {} is {}: result {result}, decision {decision}", check.id, check.state);

    let outcome = if check.decision == Some(passfort_core::Decision::Pass) { TaskOutcome::Pass } else { TaskOutcome::Fail };
    let task = client.complete_task(&profile.id, &task.id, outcome).await?;
    println!("6. task {} is now {}", task.id, task.state);

    emulator.shutdown().await;
    Ok(())
}

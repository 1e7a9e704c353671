//! The chaos suite: 1,000 run-and-wait calls on distinct profiles while
//! injected faults of every kind hit the POST and GET paths. From the
//! emulator's own records: exactly one check per call, none lost.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use passfort_core::{CheckMode, CheckRequest, CheckType, Error, PollSchedule, Role, WaitOptions};
use passfort_emulator::EmulatorConfig;
use serde_json::{json, Value};
use support::{individual_data, Harness};

const CALLS: usize = 1000;
/// The plan's 3 s delays must outlast it.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// The fault plan shared with the Python and Node chaos tests.
fn fault_plan() -> (Vec<usize>, Vec<Value>) {
    let plan: Value = serde_json::from_str(include_str!("../../tests/fixtures/chaos-faults.json")).unwrap();
    let faulted = plan["faulted_calls_mod_5"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap() as usize).collect();
    (faulted, plan["faults"].as_array().unwrap().clone())
}

/// The `nth` fault rule, for one profile.
fn fault_for(faults: &[Value], nth: usize, profile_id: &str) -> Value {
    let mut rule = faults[nth % faults.len()].clone();
    let on = rule.as_object_mut().unwrap().remove("on").unwrap();
    let (method, path) = match on.as_str().unwrap() {
        "post" => ("POST", format!("/4.0/profiles/{profile_id}/checks")),
        _ => ("GET", format!("/4.0/profiles/{profile_id}/checks/*")),
    };
    rule["method"] = json!(method);
    rule["path"] = json!(path);
    rule
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_checks_under_faults_none_doubled_none_lost() {
    let h = Harness::start_with(EmulatorConfig { provider_latency: Duration::from_millis(200), ..support::config() }).await;
    let client = h.builder().request_timeout(CLIENT_TIMEOUT).reconcile_grace(Duration::from_millis(3500)).max_retries(3).build().unwrap();
    let creations = (0..CALLS).map(|i| client.create_profile(Role::IndividualCustomer, individual_data(&format!("Chaos{i}"))));
    let profiles: Vec<_> = join_all(creations).await.into_iter().map(Result::unwrap).collect();
    let (faulted_calls, faults) = fault_plan();
    let faulted_profiles = profiles.iter().enumerate().filter(|(index, _)| faulted_calls.contains(&(index % 5)));
    for (nth, (_, profile)) in faulted_profiles.enumerate() {
        h.fault(fault_for(&faults, nth, &profile.id)).await;
    }
    let log_start = h.requests().await.len();

    let started = Instant::now();
    let request = CheckRequest::new(CheckType::IdentityCheck);
    let options = WaitOptions { timeout: Duration::from_secs(90), poll: PollSchedule::Fixed(Duration::from_millis(250)) };
    let calls = profiles.iter().map(|p| client.run_check_and_wait(&p.id, &request, CheckMode::Async, &options));
    let outcomes = join_all(calls).await;
    let elapsed = started.elapsed();

    // The emulator's own records.
    let mut created: HashMap<String, Vec<String>> = HashMap::new();
    for check in h.checks().await {
        created.entry(check["profile_id"].as_str().unwrap().to_owned()).or_default().push(check["id"].as_str().unwrap().to_owned());
    }
    let requests: Vec<Value> = h.requests().await.split_off(log_start);
    let faulted = requests.iter().filter(|r| !r["fault"].is_null()).count();

    let mut finished = 0;
    let mut gave_up_naming_their_check = 0;
    let mut lost = Vec::new();
    for (profile, outcome) in profiles.iter().zip(&outcomes) {
        let made = created.get(&profile.id).cloned().unwrap_or_default();
        match outcome {
            Ok(done) if done.check.is_complete() && made == [done.check.id.clone()] => finished += 1,
            Err(Error::WaitTimeout { check_id, .. }) if made == [check_id.clone()] => gave_up_naming_their_check += 1,
            other => lost.push(format!("{}: {:?} (created {made:?})", profile.id, other.as_ref().map(|f| &f.check.id))),
        }
    }
    let total_checks: usize = created.values().map(Vec::len).sum();
    let duplicates = created.values().filter(|ids| ids.len() > 1).count();
    println!(
        "chaos: {CALLS} calls in {:.1}s; {} requests, {faulted} faulted ({:.1} %); {total_checks} checks created, \
         {duplicates} profiles with duplicates; {finished} finished, {gave_up_naming_their_check} gave up naming their check, {} lost",
        elapsed.as_secs_f64(),
        requests.len(),
        100.0 * faulted as f64 / requests.len() as f64,
        lost.len(),
    );
    assert!(lost.is_empty(), "lost or mismatched: {lost:#?}");
    assert_eq!(duplicates, 0);
    assert_eq!(total_checks, CALLS, "exactly one check per call");
    assert_eq!(finished + gave_up_naming_their_check, CALLS);
    assert!(faulted * 100 >= requests.len() * 20, "at least 20 % of requests must meet a fault");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_serves_two_hundred_concurrent_clients_without_errors() {
    let h = Harness::start_with(EmulatorConfig { provider_latency: Duration::from_millis(20), ..support::config() }).await;
    let clients: Vec<_> = (0..200).map(|_| h.builder().build().unwrap()).collect();
    let sessions = clients.iter().enumerate().map(|(i, client)| async move {
        let profile = client.create_profile(Role::IndividualCustomer, individual_data(&format!("Busy{i}"))).await?;
        let request = CheckRequest::new(CheckType::IdentityCheck).task_ids([profile.tasks[0].id.clone()]);
        client.run_check(&profile.id, &request, CheckMode::Sync).await?;
        client.get_profile(&profile.id).await?;
        client.list_checks(&profile.id).await?;
        client.list_tasks(&profile.id).await
    });
    let failures: Vec<_> = join_all(sessions).await.into_iter().filter_map(Result::err).collect();
    assert!(failures.is_empty(), "{failures:?}");
    let statuses: Vec<u64> = h.requests().await.iter().map(|r| r["status"].as_u64().unwrap_or(0)).collect();
    assert_eq!(statuses.len(), 200 * 5);
    assert!(statuses.iter().all(|s| *s == 200), "every request answered 200");
}

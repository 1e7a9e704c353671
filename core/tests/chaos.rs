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
/// Calls whose index modulo 5 is listed meet a fault rule (on the POST or
/// the reads): 3 in 5 calls, which makes a little over 20 % of all requests.
const FAULTED: [usize; 3] = [0, 2, 3];
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// The `nth` fault: every kind the emulator has, on both paths, in turn.
fn fault_for(nth: usize, profile_id: &str) -> Value {
    let kind = nth % 10;
    let post = json!({ "method": "POST", "path": format!("/4.0/profiles/{profile_id}/checks") });
    let get = json!({ "method": "GET", "path": format!("/4.0/profiles/{profile_id}/checks/*") });
    let (mut rule, action) = match kind {
        0 => (post, json!({ "action": "drop_before" })),
        1 => (post, json!({ "action": "drop_after_commit" })),
        2 => (post, json!({ "action": "status", "status": 503 })),
        3 => (post, json!({ "action": "status", "status": 429, "headers": { "Retry-After": "1" } })),
        4 => (post, json!({ "action": "delay", "delay_ms": 3000 })),
        5 => (get, json!({ "action": "drop_before", "times": 2 })),
        6 => (get, json!({ "action": "drop_after_commit", "times": 2 })),
        7 => (get, json!({ "action": "status", "status": 503, "times": 2 })),
        8 => (get, json!({ "action": "status", "status": 429, "times": 2, "headers": { "Retry-After": "1" } })),
        _ => (get, json!({ "action": "delay", "delay_ms": 3000 })),
    };
    rule.as_object_mut().unwrap().extend(action.as_object().unwrap().clone());
    rule
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_checks_under_faults_none_doubled_none_lost() {
    let h = Harness::start_with(EmulatorConfig { provider_latency: Duration::from_millis(200), ..support::config() }).await;
    let client = h
        .builder()
        .request_timeout(CLIENT_TIMEOUT)
        .reconcile_grace(Duration::from_millis(3500))
        .max_retries(3)
        .build()
        .unwrap();
    let creations = (0..CALLS).map(|i| client.create_profile(Role::IndividualCustomer, individual_data(&format!("Chaos{i}"))));
    let profiles: Vec<_> = join_all(creations).await.into_iter().map(Result::unwrap).collect();
    let faulted_profiles = profiles.iter().enumerate().filter(|(index, _)| FAULTED.contains(&(index % 5)));
    for (nth, (_, profile)) in faulted_profiles.enumerate() {
        h.fault(fault_for(nth, &profile.id)).await;
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

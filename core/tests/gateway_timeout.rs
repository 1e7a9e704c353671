//! PassFort's API times out after 60 s, before a sync run's 120 s switch to
//! async: the caller gets a gateway's 504 (not PassFort's JSON) while the
//! check goes on. That is an ambiguous creation: the SDK must adopt the one
//! check that exists, never start a second, paid one.

mod support;

use std::time::Duration;

use passfort_core::{CheckMode, CheckRequest, CheckState, CheckType, PollSchedule, WaitOptions};
use passfort_emulator::EmulatorConfig;
use support::Harness;

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_run_that_meets_the_gateway_timeout_resolves_to_the_one_check_it_started() {
    let h = Harness::start_with(EmulatorConfig {
        gateway_timeout: Duration::from_millis(300),
        provider_latency: Duration::from_secs(1),
        sync_timeout: Duration::from_secs(5),
        ..support::config()
    })
    .await;
    let client = h.builder().build().unwrap();
    let profile = h.individual("Gateway").await;
    let options = WaitOptions { timeout: Duration::from_secs(30), poll: PollSchedule::Fixed(Duration::from_millis(100)) };

    let finished = client
        .run_check_and_wait(&profile.id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Sync, &options)
        .await
        .expect("the check the timed-out request started, adopted and waited for");
    let check = finished.check;

    assert_eq!(check.state, CheckState::Complete);
    let posts = h.requests_to("POST", "/checks").await;
    assert_eq!(posts.len(), 1, "sent once: {posts:?}");
    assert_eq!(posts[0]["status"], 504, "the gateway answered: {posts:?}");
    let checks = h.checks().await;
    assert_eq!(checks.len(), 1, "exactly one check exists: {checks:?}");
    assert_eq!(checks[0]["id"], check.id.as_str());
}

//! Nothing lost when a worker dies (a process killed with SIGKILL in the
//! middle of 100 waits: each of its checks is taken over exactly once) or
//! when Redis goes away and comes back (waiters poll, the budget is paced
//! per process, and the fleet shares again once Redis is back).

mod fleet_support;
mod support;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fleet_support::{bearer, check_completed, until, RedisServer, WEBHOOK_SECRET};
use passfort_core::{CheckMode, CheckRequest, CheckType, Client, PollSchedule, RateBudget, ResolvedBy, Role, WaitOptions};
use passfort_emulator::EmulatorConfig;
use support::{individual_data, Harness};

const CHILD_REDIS: &str = "FLEET_TEST_CHILD_REDIS_URL";
const CHILD_BASE_URL: &str = "FLEET_TEST_CHILD_BASE_URL";
const CHILD_PROFILE: &str = "FLEET_TEST_CHILD_PROFILE";
const WAITS: usize = 100;

async fn ledger_size(redis: &RedisServer) -> usize {
    let mut connection = redis.connection().await;
    redis::cmd("ZCARD").arg("passfort:fleet:leases").query_async(&mut connection).await.unwrap()
}

/// The worker that is killed: run by `a_killed_worker_s_checks_are_each_taken_over_once`
/// in a child process of this test binary; it starts 100 waits and waits forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a worker process for the SIGKILL test, not a test"]
async fn dead_worker_child() {
    let (Ok(redis_url), Ok(base_url), Ok(profile_id)) =
        (std::env::var(CHILD_REDIS), std::env::var(CHILD_BASE_URL), std::env::var(CHILD_PROFILE))
    else {
        return;
    };
    let client = Client::builder()
        .api_key(support::API_KEY)
        .base_url(base_url)
        .webhook_secret(WEBHOOK_SECRET)
        .redis_url(redis_url)
        .fleet_lease(Duration::from_secs(1))
        .build()
        .unwrap();
    // No webhook comes and the first scheduled read is an hour away: every wait is in the middle when the worker dies.
    let options = WaitOptions { timeout: Duration::from_secs(3600), poll: PollSchedule::Fixed(Duration::from_secs(3600)) };
    let waits: Vec<_> = (0..WAITS)
        .map(|n| {
            let (client, profile_id) = (client.clone(), profile_id.clone());
            tokio::spawn(async move {
                let request = CheckRequest::new(CheckType::IdentityCheck).tag(format!("order-{n}"));
                client.run_check_and_wait(&profile_id, &request, CheckMode::Async, &options).await
            })
        })
        .collect();
    for wait in waits {
        let _ = wait.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_worker_s_checks_are_each_taken_over_once() {
    let redis = redis_or_skip!();
    let h = Harness::start().await;
    let profile = h.individual("Killed").await;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "dead_worker_child", "--nocapture"])
        .env(CHILD_REDIS, redis.url())
        .env(CHILD_BASE_URL, h.emulator.base_url())
        .env(CHILD_PROFILE, &profile.id)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while ledger_size(&redis).await < WAITS {
        assert!(Instant::now() < deadline, "the worker did not start its {WAITS} checks");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // Two workers recover at once, again and again, until every check is handed over.
    let takers: Vec<Client> =
        (0..2).map(|_| h.builder().redis_url(redis.url()).fleet_lease(Duration::from_secs(1)).build().unwrap()).collect();
    let options = WaitOptions { timeout: Duration::from_secs(30), poll: PollSchedule::Fixed(Duration::from_millis(200)) };
    let total = Arc::new(AtomicUsize::new(0));
    let rounds: Vec<_> = takers
        .iter()
        .map(|taker| {
            let (taker, total) = (taker.clone(), total.clone());
            tokio::spawn(async move {
                let mut recovered = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(30);
                while total.load(Ordering::SeqCst) < WAITS && Instant::now() < deadline {
                    let round = taker.recover(&options).await.unwrap();
                    total.fetch_add(round.len(), Ordering::SeqCst);
                    recovered.extend(round);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                recovered
            })
        })
        .collect();
    let mut recovered = Vec::new();
    let mut per_taker = Vec::new();
    for round in rounds {
        let mine = round.await.unwrap();
        per_taker.push(mine.len());
        recovered.extend(mine);
    }
    let ids: HashSet<&str> = recovered.iter().map(|r| r.entry.check_id.as_str()).collect();
    assert_eq!(recovered.len(), WAITS, "each check handed over exactly once (per taker: {per_taker:?})");
    assert_eq!(ids.len(), WAITS);
    let tags: HashSet<String> = recovered.iter().map(|r| r.entry.tag.clone().unwrap()).collect();
    assert_eq!(tags, (0..WAITS).map(|n| format!("order-{n}")).collect());
    let taker_ids: Vec<&str> = takers.iter().map(|t| t.worker_id().unwrap()).collect();
    for check in &recovered {
        assert_eq!(check.entry.profile_id, profile.id);
        assert_eq!(check.entry.check_type, CheckType::IdentityCheck);
        assert!(!check.entry.previous_owner.is_empty() && !taker_ids.contains(&check.entry.previous_owner.as_str()), "{:?}", check.entry);
        let finished = check.outcome.as_ref().expect("the recovered check is waited for to the end");
        assert!(finished.check.is_complete());
        assert_eq!(finished.check.id, check.entry.check_id);
    }
    for taker in &takers {
        assert!(taker.recover(&options).await.unwrap().is_empty(), "nothing is handed over twice");
    }
    // Seen finished: out of the ledger.
    assert_eq!(ledger_size(&redis).await, 0);
    let mut connection = redis.connection().await;
    let left: Vec<String> = redis::cmd("KEYS").arg("passfort:fleet:check:*").query_async(&mut connection).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Starts `count` checks on `waiter` and waits for each; gives back the check ids and the waits.
async fn start_waits(
    waiter: &Client,
    profile_id: &str,
    count: usize,
    options: WaitOptions,
) -> Vec<tokio::task::JoinHandle<passfort_core::Result<passfort_core::FinishedCheck>>> {
    (0..count)
        .map(|_| {
            let (waiter, profile_id) = (waiter.clone(), profile_id.to_owned());
            tokio::spawn(async move {
                waiter.run_check_and_wait(&profile_id, &CheckRequest::new(CheckType::IdentityCheck), CheckMode::Async, &options).await
            })
        })
        .collect()
}

/// Hands a CHECK_COMPLETED for every check of the profile to `receiver`, once each finished.
async fn deliver_completions(h: &Harness, receiver: &Client, profile_id: &str, round: &str, expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut delivered = HashSet::new();
    let mut acted_on = 0;
    while delivered.len() < expected {
        assert!(Instant::now() < deadline, "the checks did not finish");
        for check in h.checks().await {
            let id = check["id"].as_str().unwrap().to_owned();
            if check["state"] == "COMPLETE" && check["profile_id"] == profile_id && delivered.insert(id.clone()) {
                let events =
                    receiver.webhooks().handle_async(&check_completed(&format!("{round}-{id}"), profile_id, &id), bearer()).await.unwrap();
                acted_on += events.len();
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    acted_on
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_redis_stopped_and_restarted_every_wait_resolves_and_the_fleet_shares_again() {
    let mut redis = redis_or_skip!();
    // The fleet's log lines, from every thread (the other test of this binary does not stop Redis).
    let captured = support::CapturedLogs::default();
    let subscriber = captured.subscriber(tracing::Level::WARN);
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let h = Harness::start_with(EmulatorConfig { provider_latency: Duration::from_millis(500), ..support::config() }).await;
    let build = || {
        h.builder()
            .webhook_secret(WEBHOOK_SECRET)
            .redis_url(redis.url())
            .rate_budget(RateBudget { per_hour: 36_000, burst: 10 })
            .fleet_lease(Duration::from_secs(1))
            .build()
            .unwrap()
    };
    let (receiver, waiter) = (build(), build());
    until("both subscribed", Duration::from_secs(10), || receiver.fleet_subscribed() && waiter.fleet_subscribed()).await;

    // Redis goes away: waiters fall back to polling, webhooks are acted on per process, creations are paced per process.
    redis.stop();
    until("the outage noticed", Duration::from_secs(10), || !waiter.fleet_subscribed()).await;
    let profile = waiter.create_profile(Role::IndividualCustomer, individual_data("Outage")).await.unwrap();
    let polling = WaitOptions { timeout: Duration::from_secs(30), poll: PollSchedule::Fixed(Duration::from_millis(300)) };
    let waits = start_waits(&waiter, &profile.id, 10, polling).await;
    // One more wait, whose first scheduled read is far off: it is recorded in the ledger once Redis is back.
    let woken = WaitOptions { timeout: Duration::from_secs(60), poll: PollSchedule::Fixed(Duration::from_secs(50)) };
    let mut long = start_waits(&waiter, &profile.id, 1, woken).await;
    assert_eq!(deliver_completions(&h, &receiver, &profile.id, "down", 11).await, 11, "each event acted on once");
    for wait in waits {
        let finished = wait.await.unwrap().expect("resolves without Redis");
        assert_eq!(finished.resolved_by, ResolvedBy::Polling);
    }
    assert!(receiver.recover(&polling).await.is_err(), "recover says Redis is unreachable, without hanging");

    // Redis is back (empty): the fleet shares again.
    redis.restart();
    until("both subscribed again", Duration::from_secs(15), || receiver.fleet_subscribed() && waiter.fleet_subscribed()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while ledger_size(&redis).await < 1 {
        assert!(Instant::now() < deadline, "the wait started during the outage was not recorded once Redis was back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Announced again, through the other worker: it reaches the waiter now.
    assert_eq!(deliver_completions(&h, &receiver, &profile.id, "again", 11).await, 11);
    let finished = long.pop().unwrap().await.unwrap().expect("resolves");
    assert_eq!(finished.resolved_by, ResolvedBy::Webhook, "{finished:?}");

    let profile = receiver.create_profile(Role::IndividualCustomer, individual_data("Back")).await.unwrap();
    let waits = start_waits(&waiter, &profile.id, 10, woken).await;
    // The waits are in the ledger.
    let deadline = Instant::now() + Duration::from_secs(10);
    while ledger_size(&redis).await < 10 {
        assert!(Instant::now() < deadline, "the waits were not recorded once Redis was back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(deliver_completions(&h, &receiver, &profile.id, "up", 10).await, 10);
    for wait in waits {
        let finished = wait.await.unwrap().expect("resolves");
        assert_eq!(finished.resolved_by, ResolvedBy::Webhook, "woken through the fleet again: {finished:?}");
    }
    assert_eq!(ledger_size(&redis).await, 0, "seen finished: out of the ledger");
    // De-duplicated across the fleet again: a retry to the other worker is a duplicate.
    let check_id =
        h.checks().await.into_iter().find(|c| c["profile_id"] == profile.id.as_str()).unwrap()["id"].as_str().unwrap().to_owned();
    let retried = waiter.webhooks().handle_async(&check_completed(&format!("up-{check_id}"), &profile.id, &check_id), bearer()).await;
    assert!(retried.unwrap().is_empty());

    // Each transition logged once per worker, not once per request. The capture is
    // the process's: other tests' fleets log their own Redis, so lines name this one.
    let logs = captured.text();
    let this_redis = redis.url();
    let lines = |text: &str| logs.lines().filter(|line| line.contains(text) && line.contains(this_redis.as_str())).count();
    assert_eq!((lines("Redis is unreachable"), lines("Redis is reachable again")), (2, 2), "{logs}");
}
